/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stats snapshots: one JSON line per interval, totals since start, built by
 * the main lcore from counters each lcore writes alone.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "dpp_stats.h"

struct dpp_stats_writer {
	FILE *out;
	const struct dpp_stats_src *src;
	/* Previous busy/total cycles per lcore entry, for busy_pct per interval. */
	uint64_t *prev_busy;
	uint64_t *prev_total;
	struct dpp_services_merged *services; /* NULL: no services in the output */
};

/* How long a snapshot waits for the workers' copies of their services. */
#define SERVICES_WAIT_US 10000

void dpp_stats_lcore_add(struct dpp_lcore_counters *out, const struct dpp_lcore_counters *in)
{
	out->packets += in->packets;
	out->bytes += in->bytes;
	out->tcp += in->tcp;
	for (int i = 0; i < DPP_PARSE_RESULT_MAX; i++)
		out->parse[i] += in->parse[i];
	out->sliced += in->sliced;
	out->export_drops += in->export_drops;
	out->cycles_busy += in->cycles_busy;
	out->cycles_total += in->cycles_total;
}

void dpp_stats_flow_add(struct dpp_flow_counters *out, const struct dpp_flow_counters *in)
{
	out->created += in->created;
	out->ended += in->ended;
	out->evicted += in->evicted;
	out->table_full_drops += in->table_full_drops;
	out->late_segments += in->late_segments;
	out->time_wait_overflow += in->time_wait_overflow;
	for (int d = 0; d < 2; d++) {
		out->capture_loss_acks[d] += in->capture_loss_acks[d];
		out->capture_loss_bytes[d] += in->capture_loss_bytes[d];
	}
	out->syn += in->syn;
	out->synack += in->synack;
	out->rst += in->rst;
	out->retrans += in->retrans;
	out->zero_window += in->zero_window;
	out->refused += in->refused;
	out->syn_timeout += in->syn_timeout;
	out->reset += in->reset;
	out->completed += in->completed;
	for (int i = 0; i < DPP_DIAG_CLASS_MAX; i++)
		out->diag_class[i] += in->diag_class[i];
	for (int i = 0; i < DPP_DIAG_CAUSE_MAX; i++)
		out->diag_cause[i] += in->diag_cause[i];
}

struct dpp_stats_writer *dpp_stats_writer_create(FILE *out, const struct dpp_stats_src *src)
{
	struct dpp_stats_writer *w;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto fail;
	w->out = out;
	w->src = src;
	w->prev_busy = calloc(src->nb_lcores + 1u, sizeof(uint64_t));
	w->prev_total = calloc(src->nb_lcores + 1u, sizeof(uint64_t));
	if (w->prev_busy == NULL || w->prev_total == NULL)
		goto fail;
	if (src->nb_services > 0) {
		w->services = dpp_services_merged_create(src->nb_services);
		if (w->services == NULL)
			goto fail;
	}
	return w;
fail:
	dpp_stats_writer_free(w);
	rte_errno = ENOMEM;
	return NULL;
}

void dpp_stats_writer_free(struct dpp_stats_writer *w)
{
	if (w == NULL)
		return;
	free(w->prev_busy);
	free(w->prev_total);
	dpp_services_merged_free(w->services);
	free(w);
}

/* JSON string with the few escapes names can need. */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void write_xstats(FILE *f, uint16_t port_id)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, got;

	fputs(",\"xstats\":{", f);
	n = rte_eth_xstats_get_names(port_id, NULL, 0);
	if (n <= 0)
		goto out;
	names = malloc(sizeof(*names) * (size_t)n);
	vals = malloc(sizeof(*vals) * (size_t)n);
	if (names == NULL || vals == NULL)
		goto out;
	if (rte_eth_xstats_get_names(port_id, names, (unsigned int)n) != n)
		goto out;
	got = rte_eth_xstats_get(port_id, vals, (unsigned int)n);
	if (got != n)
		goto out;
	for (int i = 0; i < n; i++) {
		if (vals[i].id >= (uint64_t)n)
			continue;
		if (i > 0)
			fputc(',', f);
		put_str(f, names[vals[i].id].name);
		fprintf(f, ":%" PRIu64, vals[i].value);
	}
out:
	fputc('}', f);
	free(names);
	free(vals);
}

static void write_ports(struct dpp_stats_writer *w)
{
	const struct dpp_stats_src *src = w->src;
	FILE *f = w->out;

	fputs("\"ports\":[", f);
	for (uint16_t p = 0; p < src->nb_ports; p++) {
		uint16_t port_id = src->ports[p];
		struct rte_eth_dev_info info;
		struct rte_eth_stats st;
		bool first_q = true;

		memset(&st, 0, sizeof(st));
		rte_eth_stats_get(port_id, &st);
		if (rte_eth_dev_info_get(port_id, &info) != 0)
			info.driver_name = "unknown";
		fprintf(f, "%s{\"port\":%u,\"driver\":", p ? "," : "", port_id);
		put_str(f, info.driver_name);
		fprintf(f,
			",\"ipackets\":%" PRIu64 ",\"ibytes\":%" PRIu64 ",\"imissed\":%" PRIu64
			",\"ierrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64,
			st.ipackets, st.ibytes, st.imissed, st.ierrors, st.rx_nombuf);
		fputs(",\"queues\":[", f);
		for (uint16_t q = 0; q < src->nb_queues; q++) {
			const struct dpp_stats_queue_src *qs = &src->queues[q];
			const struct dpp_rxq_stats *rx = qs->rx;

			if (qs->port_id != port_id)
				continue;
			fprintf(f,
				"%s{\"queue\":%u,\"lcore\":%u,\"ring_size\":%u,\"packets\":%" PRIu64,
				first_q ? "" : ",", qs->queue_id, qs->lcore, qs->ring_size,
				rx->packets);
			first_q = false;
			if (rx->occupancy_supported && rx->occupancy_samples > 0)
				fprintf(f,
					",\"occupancy\":{\"supported\":true,\"last\":%u,\"max\":%u,"
					"\"samples\":%" PRIu64 "}",
					rx->occupancy_last, rx->occupancy_max,
					rx->occupancy_samples);
			else if (rx->occupancy_supported)
				fputs(",\"occupancy\":{\"supported\":true,\"last\":null,\"max\":null,"
				      "\"samples\":0}",
				      f);
			else
				fputs(",\"occupancy\":{\"supported\":false,\"last\":null,"
				      "\"max\":null}",
				      f);
			fprintf(f,
				",\"bursts\":{\"polls\":%" PRIu64 ",\"empty\":%" PRIu64
				",\"full\":%" PRIu64 ",\"hist\":[",
				rx->polls, rx->empty, rx->full);
			for (uint16_t i = 0; i <= rx->burst; i++)
				fprintf(f, "%s%" PRIu64, i ? "," : "", rx->hist[i]);
			fputs("]}", f);
			if (rx->past_corrupt_record != 0)
				fprintf(f, ",\"past_corrupt_record\":%" PRIu64,
					rx->past_corrupt_record);
			if (qs->ring != NULL)
				dpp_stats_write_ring_port(f, qs->ring);
			fputc('}', f);
		}
		fputc(']', f);
		write_xstats(f, port_id);
		fputc('}', f);
	}
	fputc(']', f);
}

static void write_rings(struct dpp_stats_writer *w)
{
	const struct dpp_stats_src *src = w->src;
	FILE *f = w->out;

	fputs(",\"rings\":[", f);
	for (uint16_t i = 0; i < src->nb_rings; i++) {
		const struct dpp_ring *r = src->rings[i];

		fprintf(f, "%s{\"name\":", i ? "," : "");
		put_str(f, r->name);
		fprintf(f,
			",\"size\":%u,\"count\":%u,\"max\":%u,\"enq_drops\":%" PRIu64
			",\"enqueued\":%" PRIu64 "}",
			r->size, dpp_ring_count(r), r->max, r->enq_drops, r->enqueued);
	}
	fputc(']', f);
}

/*
 * Services: ask each worker for a fresh copy of its table and give them a
 * moment (they copy between polls); a worker that has not finished is
 * shown from its previous copy. At the final snapshot the workers have
 * stopped and their live tables are read (conservation: the flows of all
 * services plus other equal the records written).
 */
static void write_services(struct dpp_stats_writer *w, bool final)
{
	const struct dpp_stats_src *src = w->src;

	if (w->services == NULL)
		return;
	if (!final) {
		for (uint16_t i = 0; i < src->nb_services; i++)
			dpp_services_request(src->services[i]);
		for (unsigned waited = 0; waited < SERVICES_WAIT_US; waited += 100) {
			bool all = true;

			for (uint16_t i = 0; i < src->nb_services; i++)
				all &= dpp_services_published(src->services[i]);
			if (all)
				break;
			rte_delay_us_sleep(100);
		}
	}
	dpp_services_merge(w->services, src->services, src->nb_services, final);
	dpp_services_write_json(w->out, w->services, src->services_top);
}

int dpp_stats_write(struct dpp_stats_writer *w, double ts, bool final)
{
	const struct dpp_stats_src *src = w->src;
	struct dpp_lcore_counters sum;
	struct dpp_flow_counters flows;
	uint64_t active = 0;
	FILE *f = w->out;
	bool first;

	memset(&sum, 0, sizeof(sum));
	memset(&flows, 0, sizeof(flows));

	fprintf(f, "{\"type\":\"stats\",\"ts\":%.6f,\"final\":%s,", ts, final ? "true" : "false");
	write_ports(w);
	write_rings(w);

	fputs(",\"lcores\":[", f);
	for (uint16_t i = 0; i < src->nb_lcores; i++) {
		const struct dpp_stats_lcore_src *l = &src->lcores[i];
		double busy_pct = 0.0;
		uint64_t packets = 0;

		if (l->c != NULL) {
			uint64_t busy = l->c->cycles_busy, total = l->c->cycles_total;

			if (total > w->prev_total[i])
				busy_pct = 100.0 * (double)(busy - w->prev_busy[i]) /
					   (double)(total - w->prev_total[i]);
			w->prev_busy[i] = busy;
			w->prev_total[i] = total;
			packets = l->c->packets;
			/*
			 * An RX lcore (--dist sw) only hands packets on: the workers
			 * count them again when they parse them, so parse totals and
			 * export drops come from the other lcores.
			 */
			if (strcmp(l->role, "rx") != 0)
				dpp_stats_lcore_add(&sum, l->c);
		}
		if (l->flows != NULL) {
			struct dpp_flow_counters fc;
			uint64_t ended;

			/*
			 * The worker updates these while we read. Read `ended`
			 * before the rest so created >= ended, and report
			 * active as their difference: the snapshot then keeps
			 * created == ended + active exactly, as the contract says.
			 */
			ended = __atomic_load_n(&dpp_flow_table_counters(l->flows)->ended,
						__ATOMIC_ACQUIRE);
			fc = *dpp_flow_table_counters(l->flows);
			fc.ended = ended;
			dpp_stats_flow_add(&flows, &fc);
			active += fc.created - fc.ended;
		}
		fprintf(f, "%s{\"lcore\":%u,\"role\":", i ? "," : "", l->lcore);
		put_str(f, l->role);
		fprintf(f, ",\"busy_pct\":%.1f,\"packets\":%" PRIu64 "}", busy_pct, packets);
	}
	fputc(']', f);

	fprintf(f,
		",\"flows\":{\"active\":%" PRIu64 ",\"created\":%" PRIu64 ",\"ended\":%" PRIu64
		",\"evicted\":%" PRIu64 ",\"table_full_drops\":%" PRIu64
		",\"export_drops\":%" PRIu64 ",\"late_segments\":%" PRIu64
		",\"time_wait_overflow\":%" PRIu64 "}",
		active, flows.created, flows.ended, flows.evicted, flows.table_full_drops,
		sum.export_drops, flows.late_segments, flows.time_wait_overflow);
	/* Loss no PMD counter shows (af_packet, tap), seen from TCP itself. */
	fprintf(f,
		",\"capture_loss\":{\"c2s\":{\"acks_of_unseen_data\":%" PRIu64
		",\"unseen_bytes\":%" PRIu64 "},\"s2c\":{\"acks_of_unseen_data\":%" PRIu64
		",\"unseen_bytes\":%" PRIu64 "}}",
		flows.capture_loss_acks[0], flows.capture_loss_bytes[0], flows.capture_loss_acks[1],
		flows.capture_loss_bytes[1]);
	fprintf(f,
		",\"flow_tables\":{\"count\":%u,\"capacity\":%u,\"flow_state_bytes\":%u"
		",\"bytes_per_flow\":%.1f,\"bytes\":%" PRIu64 ",\"huge_bytes\":%" PRIu64
		",\"resident_bytes\":%" PRIu64 "}",
		src->tables.count, src->tables.capacity, src->tables.flow_state_bytes,
		src->tables.count && src->tables.capacity
			? (double)src->tables.bytes / ((double)src->tables.count * src->tables.capacity)
			: 0.0,
		src->tables.bytes, src->tables.huge_bytes, src->tables.resident_bytes);
	fprintf(f,
		",\"tcp\":{\"syn\":%" PRIu64 ",\"synack\":%" PRIu64 ",\"rst\":%" PRIu64
		",\"retrans\":%" PRIu64 ",\"zero_window\":%" PRIu64 ",\"refused\":%" PRIu64
		",\"syn_timeout\":%" PRIu64 ",\"reset\":%" PRIu64 ",\"completed\":%" PRIu64,
		flows.syn, flows.synack, flows.rst, flows.retrans, flows.zero_window,
		flows.refused, flows.syn_timeout, flows.reset, flows.completed);
	/* Extra: ended flows by diagnosis class and cause (CONTRACT "Diagnosis"). */
	fputs(",\"class\":{", f);
	for (int i = 0; i < DPP_DIAG_CLASS_MAX; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", dpp_diag_class_name(i),
			flows.diag_class[i]);
	fputs("},\"cause\":{", f);
	for (int i = 1; i < DPP_DIAG_CAUSE_MAX; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i > 1 ? "," : "", dpp_diag_cause_name(i),
			flows.diag_cause[i]);
	fputs("}}", f);
	write_services(w, final);

	fprintf(f,
		",\"parse\":{\"packets\":%" PRIu64 ",\"tcp\":%" PRIu64 ",\"non_ip\":%" PRIu64
		",\"non_tcp\":%" PRIu64 ",\"fragments\":%" PRIu64 ",\"sliced\":%" PRIu64
		",\"malformed\":{",
		sum.packets, sum.tcp, sum.parse[DPP_PARSE_NON_IP], sum.parse[DPP_PARSE_NON_TCP],
		sum.parse[DPP_PARSE_FRAGMENT], sum.sliced);
	first = true;
	for (int r = DPP_PARSE_MALFORMED_FIRST; r < DPP_PARSE_RESULT_MAX; r++) {
		if (sum.parse[r] == 0)
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", dpp_parse_result_name(r),
			sum.parse[r]);
		first = false;
	}
	fputs("}}}\n", f);

	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
