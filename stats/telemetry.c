/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands (dpdk-telemetry.py -f PREFIX): /dpprobe/stats,
 * /dpprobe/ports[,PORT], /dpprobe/rings, /dpprobe/lcores,
 * /dpprobe/services, /dpprobe/flows[,N], /dpprobe/recent_flows[,N]. The
 * callbacks run on EAL's telemetry threads (one per client connection)
 * and answer from a copy of the latest published view (dpp_publish.h): no
 * live counter is read. /dpprobe/flows alone asks the workers, through
 * their open-flow boards (dpp_open_flows.h): a worker scans its own table
 * between polls, a few entries a loop, and the answer waits for that
 * (at most TEL_FLOWS_WAIT_MS) on the telemetry thread, never a worker.
 *
 * 22.11's telemetry nests one level: a command returns a dict whose values
 * are numbers, strings, or dicts and arrays of those. Every answer
 * carries the ts of the snapshot it comes from. Dict keys may hold
 * only letters, digits, '_' and '/': ring names ("flows-w1") are keys with
 * '-' made '_', and their real name is the "name" value.
 */

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "dpp_open_flows.h"
#include "dpp_publish.h"

/* Telemetry callbacks take no argument: the publisher they read, the boards they ask. */
static struct dpp_publisher *tel_pub;
static struct dpp_open_flows *const *tel_boards; /* NULL once stopped */
static uint16_t tel_nb_boards;
/* One asker of the boards at a time (telemetry runs a thread per client). */
static pthread_mutex_t tel_asking = PTHREAD_MUTEX_INITIALIZER;

/* How long /dpprobe/flows waits for the workers' scans. */
#define TEL_FLOWS_WAIT_MS 500

/* Default and most flows /dpprobe/flows gives (DPDK caps a reply at 16 KB). */
#define TEL_FLOWS_DEFAULT 10
#define TEL_FLOWS_MAX 32

static struct dpp_stats_view *tel_view(struct rte_tel_data *d)
{
	struct dpp_stats_view *v = dpp_publisher_view_alloc(tel_pub);

	if (v == NULL) {
		rte_tel_data_string(d, "out of memory");
		return NULL;
	}
	if (dpp_publisher_read(tel_pub, v) != 0) {
		dpp_stats_view_free(v);
		rte_tel_data_string(d, "no snapshot yet");
		return NULL;
	}
	return v;
}

static void add_ts(struct rte_tel_data *d, const char *name, double ts)
{
	char s[32];

	snprintf(s, sizeof(s), "%.6f", ts);
	rte_tel_data_add_dict_string(d, name, s);
}

static struct rte_tel_data *new_dict(void)
{
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c != NULL)
		rte_tel_data_start_dict(c);
	return c;
}

static void add_dict(struct rte_tel_data *d, const char *name, struct rte_tel_data *c)
{
	if (c != NULL && rte_tel_data_add_dict_container(d, name, c, 0) != 0)
		rte_tel_data_free(c);
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const int outcomes[] = {DPP_OUTCOME_REFUSED, DPP_OUTCOME_SYN_TIMEOUT,
				       DPP_OUTCOME_RESET, DPP_OUTCOME_COMPLETED};
	const struct dpp_stats_totals *t;
	struct dpp_stats_view *v;
	const char *group = NULL;
	struct rte_tel_data *g = NULL, *m;

	(void)cmd;
	(void)params;
	v = tel_view(d);
	if (v == NULL)
		return 0;
	t = &v->totals;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "seq", v->seq);
	add_ts(d, "ts", v->ts);
	rte_tel_data_add_dict_int(d, "final", v->final);
	/* One dict per snapshot object, in metrics.def's order. */
	for (int s = 0; s < DPP_SCALAR_MAX; s++) {
		if (group == NULL || strcmp(group, dpp_scalar_desc[s].group) != 0) {
			if (g != NULL)
				add_dict(d, group, g);
			group = dpp_scalar_desc[s].group;
			g = new_dict();
		}
		if (g != NULL)
			rte_tel_data_add_dict_u64(g, dpp_scalar_desc[s].key, t->scalar[s]);
	}
	if (g != NULL)
		add_dict(d, group, g);
	m = new_dict();
	for (int r = DPP_PARSE_MALFORMED_FIRST; m != NULL && r < DPP_PARSE_RESULT_MAX; r++)
		rte_tel_data_add_dict_u64(m, dpp_parse_result_name(r), t->malformed[r]);
	add_dict(d, "malformed", m);
	m = new_dict();
	for (size_t i = 0; m != NULL && i < RTE_DIM(outcomes); i++)
		rte_tel_data_add_dict_u64(m, dpp_flow_outcome_name(outcomes[i]),
					  t->outcome[outcomes[i]]);
	add_dict(d, "outcomes", m);
	m = new_dict();
	if (m != NULL) {
		rte_tel_data_add_dict_u64(m, "c2s_acks_of_unseen_data", t->capture_loss_acks[0]);
		rte_tel_data_add_dict_u64(m, "c2s_unseen_bytes", t->capture_loss_bytes[0]);
		rte_tel_data_add_dict_u64(m, "s2c_acks_of_unseen_data", t->capture_loss_acks[1]);
		rte_tel_data_add_dict_u64(m, "s2c_unseen_bytes", t->capture_loss_bytes[1]);
	}
	add_dict(d, "capture_loss", m);
	m = new_dict();
	for (int c = 0; m != NULL && c < DPP_DIAG_CLASS_MAX; c++)
		rte_tel_data_add_dict_u64(m, dpp_diag_class_name(c), t->diag_class[c]);
	add_dict(d, "class", m);
	m = new_dict();
	for (int c = 1; m != NULL && c < DPP_DIAG_CAUSE_MAX; c++)
		rte_tel_data_add_dict_u64(m, dpp_diag_cause_name(c), t->diag_cause[c]);
	add_dict(d, "cause", m);
	dpp_stats_view_free(v);
	return 0;
}

static void port_fields(struct rte_tel_data *c, const struct dpp_stats_view *v,
			const struct dpp_view_port *p)
{
	uint64_t nq = 0;

	for (uint16_t q = 0; q < v->nb_queues; q++)
		nq += v->queues[q].port == p->port;
	rte_tel_data_add_dict_u64(c, "port", p->port);
	rte_tel_data_add_dict_string(c, "driver", p->driver);
	rte_tel_data_add_dict_u64(c, "ipackets", p->ipackets);
	rte_tel_data_add_dict_u64(c, "ibytes", p->ibytes);
	rte_tel_data_add_dict_u64(c, "imissed", p->imissed);
	rte_tel_data_add_dict_u64(c, "ierrors", p->ierrors);
	rte_tel_data_add_dict_u64(c, "rx_nombuf", p->rx_nombuf);
	rte_tel_data_add_dict_u64(c, "queues", nq);
}

/* /dpprobe/ports: every port's counters; /dpprobe/ports,N: port N and its queues. */
static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpp_stats_view *v;
	char name[32];
	char *end;
	long want = -1;

	(void)cmd;
	if (params != NULL && params[0] != '\0') {
		want = strtol(params, &end, 10);
		if (*end != '\0' || want < 0 || want > UINT16_MAX)
			return -EINVAL;
	}
	v = tel_view(d);
	if (v == NULL)
		return 0;
	rte_tel_data_start_dict(d);
	add_ts(d, "ts", v->ts);
	for (uint16_t p = 0; p < v->nb_ports; p++) {
		const struct dpp_view_port *vp = &v->ports[p];

		if (want < 0) {
			struct rte_tel_data *c = new_dict();

			if (c != NULL)
				port_fields(c, v, vp);
			snprintf(name, sizeof(name), "port%u", vp->port);
			add_dict(d, name, c);
			continue;
		}
		if (vp->port != want)
			continue;
		port_fields(d, v, vp);
		for (uint16_t q = 0; q < v->nb_queues; q++) {
			const struct dpp_view_queue *vq = &v->queues[q];
			struct rte_tel_data *c;

			if (vq->port != vp->port)
				continue;
			c = new_dict();
			if (c == NULL)
				continue;
			rte_tel_data_add_dict_u64(c, "queue", vq->queue);
			rte_tel_data_add_dict_u64(c, "lcore", vq->lcore);
			rte_tel_data_add_dict_u64(c, "ring_size", vq->ring_size);
			rte_tel_data_add_dict_u64(c, "packets", vq->packets);
			rte_tel_data_add_dict_u64(c, "polls", vq->polls);
			rte_tel_data_add_dict_u64(c, "empty", vq->empty);
			rte_tel_data_add_dict_u64(c, "full", vq->full);
			rte_tel_data_add_dict_int(c, "occupancy_supported", vq->occ_supported);
			if (vq->occ_supported) {
				rte_tel_data_add_dict_u64(c, "occupancy_last", vq->occ_last);
				rte_tel_data_add_dict_u64(c, "occupancy_max", vq->occ_max);
				rte_tel_data_add_dict_u64(c, "occupancy_samples", vq->occ_samples);
			}
			snprintf(name, sizeof(name), "queue%u", vq->queue);
			add_dict(d, name, c);
		}
	}
	dpp_stats_view_free(v);
	return 0;
}

static int cmd_rings(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpp_stats_view *v;

	(void)cmd;
	(void)params;
	v = tel_view(d);
	if (v == NULL)
		return 0;
	rte_tel_data_start_dict(d);
	add_ts(d, "ts", v->ts);
	for (uint16_t r = 0; r < v->nb_rings; r++) {
		const struct dpp_view_ring *vr = &v->rings[r];
		struct rte_tel_data *c = new_dict();
		char key[sizeof(vr->name)];

		if (c == NULL)
			continue;
		rte_tel_data_add_dict_string(c, "name", vr->name);
		rte_tel_data_add_dict_u64(c, "size", vr->size);
		rte_tel_data_add_dict_u64(c, "count", vr->count);
		rte_tel_data_add_dict_u64(c, "max", vr->max);
		rte_tel_data_add_dict_u64(c, "enq_drops", vr->enq_drops);
		rte_tel_data_add_dict_u64(c, "enqueued", vr->enqueued);
		snprintf(key, sizeof(key), "%s", vr->name);
		for (char *k = key; *k != '\0'; k++)
			if (!(*k >= 'a' && *k <= 'z') && !(*k >= 'A' && *k <= 'Z') &&
			    !(*k >= '0' && *k <= '9'))
				*k = '_';
		add_dict(d, key, c);
	}
	dpp_stats_view_free(v);
	return 0;
}

static int cmd_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpp_stats_view *v;

	(void)cmd;
	(void)params;
	v = tel_view(d);
	if (v == NULL)
		return 0;
	rte_tel_data_start_dict(d);
	add_ts(d, "ts", v->ts);
	for (uint16_t l = 0; l < v->nb_lcores; l++) {
		const struct dpp_view_lcore *vl = &v->lcores[l];
		struct rte_tel_data *c = new_dict();
		char name[32], busy[32];

		if (c == NULL)
			continue;
		rte_tel_data_add_dict_u64(c, "lcore", vl->lcore);
		rte_tel_data_add_dict_string(c, "role", vl->role);
		/* As the snapshot prints it (telemetry has no floats in 22.11). */
		snprintf(busy, sizeof(busy), "%.1f", vl->busy_pct);
		rte_tel_data_add_dict_string(c, "busy_pct", busy);
		rte_tel_data_add_dict_u64(c, "packets", vl->packets);
		snprintf(name, sizeof(name), "lcore%u", vl->lcore);
		add_dict(d, name, c);
	}
	dpp_stats_view_free(v);
	return 0;
}

static void add_latency(struct rte_tel_data *c, const char *name, const struct dpp_view_hist *h)
{
	char key[64];

	/* As the snapshot: percentiles and max in microseconds, absent when empty. */
	if (h->n == 0)
		return;
	snprintf(key, sizeof(key), "%s_p50_us", name);
	rte_tel_data_add_dict_u64(c, key, h->p50_us);
	snprintf(key, sizeof(key), "%s_p90_us", name);
	rte_tel_data_add_dict_u64(c, key, h->p90_us);
	snprintf(key, sizeof(key), "%s_p99_us", name);
	rte_tel_data_add_dict_u64(c, key, h->p99_us);
	snprintf(key, sizeof(key), "%s_max_us", name);
	rte_tel_data_add_dict_u64(c, key, h->max_us);
}

/*
 * /dpprobe/services: service0 .. (the snapshot's order), then other. Each
 * a flat dict: class_<name> and cause_<name> for the nested objects of
 * the JSON (22.11 nests one level).
 */
static int cmd_services(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpp_stats_view *v;

	(void)cmd;
	(void)params;
	v = tel_view(d);
	if (v == NULL)
		return 0;
	rte_tel_data_start_dict(d);
	add_ts(d, "ts", v->ts);
	for (uint32_t i = 0; i < v->nb_services; i++) {
		const struct dpp_view_service *vs = &v->services[i];
		struct rte_tel_data *c = new_dict();
		char key[64];

		if (c == NULL)
			continue;
		rte_tel_data_add_dict_string(c, "server", vs->server);
		if (vs->other)
			rte_tel_data_add_dict_u64(c, "services", vs->services);
		rte_tel_data_add_dict_u64(c, "flows", vs->flows);
		rte_tel_data_add_dict_u64(c, "active", vs->active);
		for (int k = 0; k < DPP_DIAG_CLASS_MAX; k++) {
			snprintf(key, sizeof(key), "class_%s", dpp_diag_class_name(k));
			rte_tel_data_add_dict_u64(c, key, vs->cls[k]);
		}
		for (int k = 1; k < DPP_DIAG_CAUSE_MAX; k++) {
			snprintf(key, sizeof(key), "cause_%s", dpp_diag_cause_name(k));
			rte_tel_data_add_dict_u64(c, key, vs->cause[k]);
		}
		add_latency(c, "syn_to_synack", &vs->lat[DPP_VIEW_SYN_TO_SYNACK]);
		add_latency(c, "synack_to_ack", &vs->lat[DPP_VIEW_SYNACK_TO_ACK]);
		add_latency(c, "server_response", &vs->lat[DPP_VIEW_SERVER_RESPONSE]);
		rte_tel_data_add_dict_u64(c, "c2s_packets", vs->c2s_packets);
		rte_tel_data_add_dict_u64(c, "c2s_retrans", vs->c2s_retrans);
		rte_tel_data_add_dict_u64(c, "s2c_packets", vs->s2c_packets);
		rte_tel_data_add_dict_u64(c, "s2c_retrans", vs->s2c_retrans);
		rte_tel_data_add_dict_u64(c, "port_reuse", vs->port_reuse);
		rte_tel_data_add_dict_u64(c, "clients", vs->clients);
		rte_tel_data_add_dict_u64(c, "max_ports_per_client", vs->max_ports_per_client);
		if (vs->other)
			snprintf(key, sizeof(key), "other");
		else
			snprintf(key, sizeof(key), "service%u", i);
		add_dict(d, key, c);
	}
	dpp_stats_view_free(v);
	return 0;
}

/* What /dpprobe/flows and /dpprobe/recent_flows say of every flow. */
struct tel_flow {
	uint8_t ip_version;
	const uint8_t *client_ip;
	uint16_t client_port;
	const uint8_t *server_ip;
	uint16_t server_port;
	uint32_t c2s_retrans, s2c_retrans;
	uint64_t c2s_packets, s2c_packets;
};

static void add_flow_fields(struct rte_tel_data *c, const struct tel_flow *f)
{
	char ep[64];

	dpp_view_endpoint(ep, sizeof(ep), f->ip_version, f->client_ip, f->client_port);
	rte_tel_data_add_dict_string(c, "client", ep);
	dpp_view_endpoint(ep, sizeof(ep), f->ip_version, f->server_ip, f->server_port);
	rte_tel_data_add_dict_string(c, "server", ep);
	rte_tel_data_add_dict_u64(c, "retrans", (uint64_t)f->c2s_retrans + f->s2c_retrans);
	rte_tel_data_add_dict_u64(c, "c2s_retrans", f->c2s_retrans);
	rte_tel_data_add_dict_u64(c, "s2c_retrans", f->s2c_retrans);
	rte_tel_data_add_dict_u64(c, "c2s_packets", f->c2s_packets);
	rte_tel_data_add_dict_u64(c, "s2c_packets", f->s2c_packets);
}

/* N of /dpprobe/flows,N and /dpprobe/recent_flows,N; -EINVAL when not a number >= 1. */
static long flows_param(const char *params)
{
	long n = TEL_FLOWS_DEFAULT;
	char *end;

	if (params != NULL && params[0] != '\0') {
		errno = 0;
		n = strtol(params, &end, 10);
		if (*end != '\0' || n < 1 || errno != 0)
			return -EINVAL;
		n = RTE_MIN(n, TEL_FLOWS_MAX);
	}
	return n;
}

/*
 * /dpprobe/flows,N: the N open flows with the most retransmissions, most
 * first, found by each worker in its own table when asked (never read from
 * here). One asker at a time: telemetry runs a thread per client.
 */
static int cmd_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct dpp_open_flows_answer a; /* under tel_asking: 32 records */
	const long n = flows_param(params);

	(void)cmd;
	if (n < 0)
		return -EINVAL;
	pthread_mutex_lock(&tel_asking);
	if (tel_boards == NULL) {
		pthread_mutex_unlock(&tel_asking);
		rte_tel_data_string(d, "stopping");
		return 0;
	}
	dpp_open_flows_query(tel_boards, tel_nb_boards, (uint32_t)n, TEL_FLOWS_WAIT_MS, &a);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "workers", a.workers);
	rte_tel_data_add_dict_u64(d, "answered", a.answered);
	for (uint32_t i = 0; i < a.nb; i++) {
		const struct dpp_open_flow *of = &a.flows[i];
		const struct dpp_flow_record *r = &of->rec;
		struct rte_tel_data *c = new_dict();
		char name[32];

		if (c == NULL)
			continue;
		add_flow_fields(c, &(struct tel_flow){r->ip_version, r->client_ip, r->client_port,
						       r->server_ip, r->server_port, r->c2s.retrans,
						       r->s2c.retrans, r->c2s.packets, r->s2c.packets});
		rte_tel_data_add_dict_string(c, "state", of->half_open ? "half_open" : "open");
		rte_tel_data_add_dict_u64(c, "c2s_bytes", r->c2s.payload_bytes);
		rte_tel_data_add_dict_u64(c, "s2c_bytes", r->s2c.payload_bytes);
		rte_tel_data_add_dict_string(c, "class", dpp_diag_class_name(r->diag.cls));
		rte_tel_data_add_dict_string(c, "cause", r->diag.cause == DPP_DIAG_CAUSE_NONE
								 ? ""
								 : dpp_diag_cause_name(r->diag.cause));
		rte_tel_data_add_dict_u64(c, "lcore", r->lcore);
		add_ts(c, "first_ts", (double)r->first_ts_ns / 1e9);
		add_ts(c, "last_ts", (double)r->last_ts_ns / 1e9);
		snprintf(name, sizeof(name), "flow%u", i);
		add_dict(d, name, c);
	}
	pthread_mutex_unlock(&tel_asking);
	return 0;
}

/*
 * /dpprobe/recent_flows,N: the N most retransmitting flows whose records
 * were written in the last minute, from the latest snapshot, most first.
 */
static int cmd_recent_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dpp_stats_view *v;
	const long n = flows_param(params);

	(void)cmd;
	if (n < 0)
		return -EINVAL;
	v = tel_view(d);
	if (v == NULL)
		return 0;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "seq", v->seq);
	rte_tel_data_add_dict_u64(d, "window_s", DPP_VIEW_FLOWS_WINDOW_S);
	for (uint16_t i = 0; i < v->nb_flows && i < n; i++) {
		const struct dpp_view_flow *f = &v->flows[i];
		struct rte_tel_data *c = new_dict();
		char name[32];

		if (c == NULL)
			continue;
		add_flow_fields(c, &(struct tel_flow){f->ip_version, f->client_ip, f->client_port,
						       f->server_ip, f->server_port, f->c2s_retrans,
						       f->s2c_retrans, f->c2s_packets, f->s2c_packets});
		rte_tel_data_add_dict_string(c, "outcome", dpp_flow_outcome_name(f->outcome));
		rte_tel_data_add_dict_string(c, "end_reason",
					     dpp_flow_end_reason_name(f->end_reason));
		add_ts(c, "first_ts", (double)f->first_ts_ns / 1e9);
		add_ts(c, "last_ts", (double)f->last_ts_ns / 1e9);
		snprintf(name, sizeof(name), "flow%u", i);
		add_dict(d, name, c);
	}
	dpp_stats_view_free(v);
	return 0;
}

int dpp_telemetry_register(struct dpp_publisher *p, struct dpp_open_flows *const *boards,
			   uint16_t nb_boards)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{"/dpprobe/stats", cmd_stats,
		 "Flows, flow tables, TCP and parse totals of the latest stats snapshot"},
		{"/dpprobe/ports", cmd_ports,
		 "Every port's RX counters; with a port id (/dpprobe/ports,0) that port and its "
		 "queues."},
		{"/dpprobe/rings", cmd_rings,
		 "The probe's own rings: size, count, max, enq_drops."},
		{"/dpprobe/lcores", cmd_lcores, "Each lcore's role, busy_pct and packets."},
		{"/dpprobe/services", cmd_services,
		 "The top services (server ip:port) of the latest snapshot, then other"},
		{"/dpprobe/flows", cmd_flows,
		 "Param N (10, at most 32): the open flows with the most retransmissions, as the "
		 "workers find them in their tables now"},
		{"/dpprobe/recent_flows", cmd_recent_flows,
		 "Param N (10, at most 32): the most retransmitting flows among those ended in the "
		 "last 60 s"},
	};

	tel_pub = p;
	pthread_mutex_lock(&tel_asking);
	tel_boards = boards;
	tel_nb_boards = nb_boards;
	pthread_mutex_unlock(&tel_asking);
	for (size_t i = 0; i < RTE_DIM(cmds); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);

		/* 22.11 takes help strings shorter than RTE_TEL_MAX_STRING_LEN. */
		if (rc != 0)
			return rc;
	}
	return 0;
}

void dpp_telemetry_stop(void)
{
	pthread_mutex_lock(&tel_asking);
	tel_boards = NULL;
	tel_nb_boards = 0;
	pthread_mutex_unlock(&tel_asking);
}
