/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stats snapshots: one JSON line per interval, totals since start, built by
 * the main lcore from counters each lcore writes alone. The sums come from
 * dpp_stats_collect() (the published view's too) and their keys from
 * metrics.def; the line is built with the bounded writer (dpp_json.h) and
 * written whole, with one fwrite(), or not at all.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "dpp_stats.h"

/*
 * The most a snapshot line may take. It starts at an estimate from the
 * source's shape (queues and their burst histograms, ring ports, services
 * shown) and doubles when a line needs more; a line that would need more
 * than this (or than twice the estimate, if that is more) is not written.
 */
#define LINE_LIMIT (64u << 20)

struct dpp_stats_writer {
	FILE *out;
	const struct dpp_stats_src *src;
	/* Previous busy/total cycles per lcore entry, for busy_pct per interval. */
	uint64_t *prev_busy;
	uint64_t *prev_total;
	struct dpp_services_merged *services; /* NULL: no services in the output */
	struct dpp_stats_totals totals;	      /* This snapshot's sums (dpp_stats_collect). */
	struct dpp_json line;		      /* The line being built, one fwrite() per snapshot. */
};

/* How long a snapshot waits for the workers' copies of their services. */
#define SERVICES_WAIT_US 10000

/* Bytes a line of this source's shape takes, about (numbers of 20 digits make it longer). */
static size_t line_estimate(const struct dpp_stats_src *src)
{
	size_t n = 4096 + (size_t)src->nb_ports * 4096 + (size_t)src->nb_rings * 192 +
		   (size_t)src->nb_lcores * 96 + (size_t)DPP_PARSE_RESULT_MAX * 48;

	for (uint16_t q = 0; q < src->nb_queues; q++) {
		const struct dpp_stats_queue_src *qs = &src->queues[q];

		n += 512 + (qs->rx != NULL ? 8 * ((size_t)qs->rx->burst + 1) : 0);
		if (qs->ring != NULL)
			n += 2048 + 8 * ((size_t)qs->ring->size + 1);
	}
	if (src->nb_services > 0)
		n += ((size_t)src->services_top + 1) * 2048;
	return n;
}

struct dpp_stats_writer *dpp_stats_writer_create(FILE *out, const struct dpp_stats_src *src)
{
	struct dpp_stats_writer *w;
	size_t estimate = line_estimate(src);

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto fail;
	w->out = out;
	w->src = src;
	w->prev_busy = calloc(src->nb_lcores + 1u, sizeof(uint64_t));
	w->prev_total = calloc(src->nb_lcores + 1u, sizeof(uint64_t));
	if (w->prev_busy == NULL || w->prev_total == NULL)
		goto fail;
	if (dpp_json_init_growable(&w->line, estimate, RTE_MAX((size_t)LINE_LIMIT, 2 * estimate)) !=
	    0)
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
	dpp_json_free(&w->line);
	free(w);
}

static void write_xstats(struct dpp_json *j, uint16_t port_id)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, got;

	DPP_JSON_KEY(j, "xstats");
	dpp_json_obj_begin(j);
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
		dpp_json_key(j, names[vals[i].id].name);
		dpp_json_u64(j, vals[i].value);
	}
out:
	dpp_json_obj_end(j);
	free(names);
	free(vals);
}

static void write_queue(struct dpp_json *j, const struct dpp_stats_queue_src *qs)
{
	const struct dpp_rxq_stats *rx = qs->rx;

	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "queue", qs->queue_id);
	DPP_JSON_U64(j, "lcore", qs->lcore);
	DPP_JSON_U64(j, "ring_size", qs->ring_size);
	DPP_JSON_U64(j, "packets", rx->packets);
	DPP_JSON_KEY(j, "occupancy");
	dpp_json_obj_begin(j);
	DPP_JSON_KEY(j, "supported");
	dpp_json_bool(j, rx->occupancy_supported);
	/* Never a made-up 0: null where the PMD cannot tell, or nothing was sampled yet. */
	if (rx->occupancy_supported && rx->occupancy_samples > 0) {
		DPP_JSON_U64(j, "last", rx->occupancy_last);
		DPP_JSON_U64(j, "max", rx->occupancy_max);
	} else {
		DPP_JSON_KEY(j, "last");
		dpp_json_null(j);
		DPP_JSON_KEY(j, "max");
		dpp_json_null(j);
	}
	if (rx->occupancy_supported)
		DPP_JSON_U64(j, "samples", rx->occupancy_samples);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "bursts");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "polls", rx->polls);
	DPP_JSON_U64(j, "empty", rx->empty);
	DPP_JSON_U64(j, "full", rx->full);
	DPP_JSON_KEY(j, "hist");
	dpp_json_arr_begin(j);
	for (uint16_t i = 0; i <= rx->burst; i++)
		dpp_json_u64(j, rx->hist[i]);
	dpp_json_arr_end(j);
	dpp_json_obj_end(j);
	if (rx->past_corrupt_record != 0)
		DPP_JSON_U64(j, "past_corrupt_record", rx->past_corrupt_record);
	if (qs->ring != NULL)
		dpp_stats_write_ring_port(j, qs->ring);
	dpp_json_obj_end(j);
}

static void write_ports(struct dpp_stats_writer *w)
{
	const struct dpp_stats_src *src = w->src;
	struct dpp_json *j = &w->line;

	DPP_JSON_KEY(j, "ports");
	dpp_json_arr_begin(j);
	for (uint16_t p = 0; p < src->nb_ports; p++) {
		uint16_t port_id = src->ports[p];
		struct rte_eth_dev_info info;
		struct rte_eth_stats st;

		memset(&st, 0, sizeof(st));
		rte_eth_stats_get(port_id, &st);
		if (rte_eth_dev_info_get(port_id, &info) != 0)
			info.driver_name = "unknown";
		dpp_json_obj_begin(j);
		DPP_JSON_U64(j, "port", port_id);
		DPP_JSON_KEY(j, "driver");
		dpp_json_str(j, info.driver_name);
		DPP_JSON_U64(j, "ipackets", st.ipackets);
		DPP_JSON_U64(j, "ibytes", st.ibytes);
		DPP_JSON_U64(j, "imissed", st.imissed);
		DPP_JSON_U64(j, "ierrors", st.ierrors);
		DPP_JSON_U64(j, "rx_nombuf", st.rx_nombuf);
		DPP_JSON_KEY(j, "queues");
		dpp_json_arr_begin(j);
		for (uint16_t q = 0; q < src->nb_queues; q++)
			if (src->queues[q].port_id == port_id)
				write_queue(j, &src->queues[q]);
		dpp_json_arr_end(j);
		write_xstats(j, port_id);
		dpp_json_obj_end(j);
	}
	dpp_json_arr_end(j);
}

static void write_rings(struct dpp_stats_writer *w)
{
	const struct dpp_stats_src *src = w->src;
	struct dpp_json *j = &w->line;

	DPP_JSON_KEY(j, "rings");
	dpp_json_arr_begin(j);
	for (uint16_t i = 0; i < src->nb_rings; i++) {
		const struct dpp_ring *r = src->rings[i];

		dpp_json_obj_begin(j);
		DPP_JSON_KEY(j, "name");
		dpp_json_str(j, r->name);
		DPP_JSON_U64(j, "size", r->size);
		DPP_JSON_U64(j, "count", dpp_ring_count(r));
		DPP_JSON_U64(j, "max", r->max);
		DPP_JSON_U64(j, "enq_drops", r->enq_drops);
		DPP_JSON_U64(j, "enqueued", r->enqueued);
		dpp_json_obj_end(j);
	}
	dpp_json_arr_end(j);
}

/* Each lcore's share of busy polls since the previous snapshot, and its packets. */
static void write_lcores(struct dpp_stats_writer *w)
{
	const struct dpp_stats_src *src = w->src;
	struct dpp_json *j = &w->line;

	DPP_JSON_KEY(j, "lcores");
	dpp_json_arr_begin(j);
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
		}
		dpp_json_obj_begin(j);
		DPP_JSON_U64(j, "lcore", l->lcore);
		DPP_JSON_KEY(j, "role");
		dpp_json_str(j, l->role);
		DPP_JSON_KEY(j, "busy_pct");
		dpp_json_double(j, busy_pct, 1);
		DPP_JSON_U64(j, "packets", packets);
		dpp_json_obj_end(j);
	}
	dpp_json_arr_end(j);
}

/*
 * The scalars of metrics.def in `group`, in its order, as members of the
 * object being written; done[] marks them. flow_tables.bytes_per_flow, a
 * ratio metrics.def cannot hold (its scalars are integers), follows
 * flow_state_bytes, where the snapshot has always had it.
 */
static void write_scalars(struct dpp_json *j, const struct dpp_stats_totals *t, const char *group,
			  bool *done)
{
	const uint64_t *v = t->scalar;

	for (int s = 0; s < DPP_SCALAR_MAX; s++) {
		if (done[s] || strcmp(dpp_scalar_desc[s].group, group) != 0)
			continue;
		dpp_json_key(j, dpp_scalar_desc[s].key);
		dpp_json_u64(j, v[s]);
		done[s] = true;
		if (s == DPP_SCALAR_flow_tables_flow_state_bytes) {
			uint64_t tables = v[DPP_SCALAR_flow_tables_count];
			uint64_t capacity = v[DPP_SCALAR_flow_tables_capacity];

			DPP_JSON_KEY(j, "bytes_per_flow");
			dpp_json_double(j,
					tables && capacity
						? (double)v[DPP_SCALAR_flow_tables_bytes] /
							  ((double)tables * capacity)
						: 0.0,
					1);
		}
	}
}

/* "name":{counts by name} for the names of a family, from first to max - 1. */
static void write_named(struct dpp_json *j, const char *key, const uint64_t *counts, int first,
			int max, const char *(*name)(int))
{
	dpp_json_key(j, key);
	dpp_json_obj_begin(j);
	for (int i = first; i < max; i++) {
		dpp_json_key(j, name(i));
		dpp_json_u64(j, counts[i]);
	}
	dpp_json_obj_end(j);
}

/* Loss no PMD counter shows (af_packet, tap), seen from TCP itself. */
static void write_capture_loss(struct dpp_json *j, const struct dpp_stats_totals *t)
{
	static const char *const dirs[2] = {"c2s", "s2c"};

	DPP_JSON_KEY(j, "capture_loss");
	dpp_json_obj_begin(j);
	for (int d = 0; d < 2; d++) {
		dpp_json_key(j, dirs[d]);
		dpp_json_obj_begin(j);
		DPP_JSON_U64(j, "acks_of_unseen_data", t->capture_loss_acks[d]);
		DPP_JSON_U64(j, "unseen_bytes", t->capture_loss_bytes[d]);
		dpp_json_obj_end(j);
	}
	dpp_json_obj_end(j);
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
	dpp_services_write_json(&w->line, w->services, src->services_top);
}

/*
 * The sums (flows, capture_loss, flow_tables, tcp, parse): every scalar of
 * metrics.def under its group, the families' objects after them. A group
 * metrics.def gains later comes after parse.
 */
static void write_totals(struct dpp_stats_writer *w, bool final)
{
	const struct dpp_stats_totals *t = &w->totals;
	struct dpp_json *j = &w->line;
	bool done[DPP_SCALAR_MAX] = {false};

	DPP_JSON_KEY(j, "flows");
	dpp_json_obj_begin(j);
	write_scalars(j, t, "flows", done);
	dpp_json_obj_end(j);
	write_capture_loss(j, t);
	DPP_JSON_KEY(j, "flow_tables");
	dpp_json_obj_begin(j);
	write_scalars(j, t, "flow_tables", done);
	dpp_json_obj_end(j);

	DPP_JSON_KEY(j, "tcp");
	dpp_json_obj_begin(j);
	write_scalars(j, t, "tcp", done);
	for (int i = 0; i < DPP_STATS_OUTCOMES; i++) {
		dpp_json_key(j, dpp_flow_outcome_name(dpp_stats_outcomes[i]));
		dpp_json_u64(j, t->outcome[dpp_stats_outcomes[i]]);
	}
	/* Extra: ended flows by diagnosis class and cause (CONTRACT "Diagnosis"). */
	write_named(j, "class", t->diag_class, 0, DPP_DIAG_CLASS_MAX, dpp_diag_class_name);
	write_named(j, "cause", t->diag_cause, 1, DPP_DIAG_CAUSE_MAX, dpp_diag_cause_name);
	dpp_json_obj_end(j);
	write_services(w, final);

	DPP_JSON_KEY(j, "parse");
	dpp_json_obj_begin(j);
	write_scalars(j, t, "parse", done);
	/* Only the reasons seen (CONTRACT: a count per reason). */
	DPP_JSON_KEY(j, "malformed");
	dpp_json_obj_begin(j);
	for (int r = DPP_PARSE_MALFORMED_FIRST; r < DPP_PARSE_RESULT_MAX; r++) {
		if (t->malformed[r] == 0)
			continue;
		dpp_json_key(j, dpp_parse_result_name(r));
		dpp_json_u64(j, t->malformed[r]);
	}
	dpp_json_obj_end(j);
	dpp_json_obj_end(j);

	for (int s = 0; s < DPP_SCALAR_MAX; s++) {
		if (done[s])
			continue;
		dpp_json_key(j, dpp_scalar_desc[s].group);
		dpp_json_obj_begin(j);
		write_scalars(j, t, dpp_scalar_desc[s].group, done);
		dpp_json_obj_end(j);
	}
}

int dpp_stats_write(struct dpp_stats_writer *w, double ts, bool final)
{
	struct dpp_json *j = &w->line;
	size_t len;

	dpp_json_reset(j);
	dpp_json_obj_begin(j);
	DPP_JSON_KEY(j, "type");
	dpp_json_str(j, "stats");
	DPP_JSON_KEY(j, "ts");
	dpp_json_double(j, ts, 6);
	DPP_JSON_KEY(j, "final");
	dpp_json_bool(j, final);
	write_ports(w);
	write_rings(w);
	write_lcores(w);
	dpp_stats_collect(w->src, &w->totals);
	write_totals(w, final);
	dpp_json_obj_end(j);
	DPP_JSON_RAW(j, "\n");
	if (j->overflow) {
		errno = EOVERFLOW;
		return -EOVERFLOW;
	}
	len = dpp_json_len(j);
	if (fwrite(j->buf, 1, len, w->out) != len || fflush(w->out) != 0 || ferror(w->out))
		return -EIO;
	return 0;
}

const struct dpp_stats_totals *dpp_stats_writer_totals(const struct dpp_stats_writer *w)
{
	return &w->totals;
}
