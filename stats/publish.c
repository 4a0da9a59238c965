/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The published snapshot (dpp_publish.h): the main lcore collects the same
 * numbers the JSON snapshot shows (its totals from dpp_stats_collect(),
 * the one aggregation) into a spare view and swaps it in; other threads
 * copy the latest one out under a mutex held only for the copy.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "dpp_publish.h"
#include "dpp_stats.h"

struct dpp_publisher {
	const struct dpp_stats_src *src;
	pthread_mutex_t lock;
	struct dpp_stats_view *latest; /* Under lock; NULL until the first snapshot. */
	struct dpp_stats_view *spare;  /* Main lcore only. */
	bool closed;		       /* Under lock. */
	uint64_t seq;
	/* Main lcore only: busy cycles at the previous snapshot, per lcore entry. */
	uint64_t *prev_busy, *prev_total;
	/* Main lcore only: the most retransmitting records seen lately. */
	struct dpp_view_flow top[DPP_VIEW_FLOWS];
	uint16_t nb_top;
	/* Main lcore only: the workers' services, merged (NULL: no services). */
	struct dpp_services_merged *merged;
	const struct dpp_service **ranked;
};

/* How long a snapshot waits for the workers' copies of their services (as snapshot.c). */
#define SERVICES_WAIT_US 100000

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct dpp_stats_view *dpp_publisher_view_alloc(const struct dpp_publisher *p)
{
	const struct dpp_stats_src *src = p->src;
	struct dpp_stats_view *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->nb_ports = src->nb_ports;
	v->nb_queues = src->nb_queues;
	v->nb_rings = src->nb_rings;
	v->nb_lcores = src->nb_lcores;
	v->ports = calloc(src->nb_ports + 1u, sizeof(*v->ports));
	v->queues = calloc(src->nb_queues + 1u, sizeof(*v->queues));
	v->rings = calloc(src->nb_rings + 1u, sizeof(*v->rings));
	v->lcores = calloc(src->nb_lcores + 1u, sizeof(*v->lcores));
	v->services =
		calloc(src->nb_services > 0 ? src->services_top + 1u : 1u, sizeof(*v->services));
	if (v->ports == NULL || v->queues == NULL || v->rings == NULL || v->lcores == NULL ||
	    v->services == NULL) {
		dpp_stats_view_free(v);
		return NULL;
	}
	return v;
}

void dpp_stats_view_free(struct dpp_stats_view *v)
{
	if (v == NULL)
		return;
	free(v->ports);
	free(v->queues);
	free(v->rings);
	free(v->lcores);
	free(v->services);
	free(v);
}

/* Copy src into dst, both of one publisher's shape (dst keeps its own arrays). */
static void view_copy(struct dpp_stats_view *dst, const struct dpp_stats_view *src)
{
	struct dpp_view_port *ports = dst->ports;
	struct dpp_view_queue *queues = dst->queues;
	struct dpp_view_ring *rings = dst->rings;
	struct dpp_view_lcore *lcores = dst->lcores;
	struct dpp_view_service *services = dst->services;

	*dst = *src;
	dst->services = services;
	memcpy(services, src->services, sizeof(*services) * src->nb_services);
	dst->ports = ports;
	dst->queues = queues;
	dst->rings = rings;
	dst->lcores = lcores;
	memcpy(ports, src->ports, sizeof(*ports) * src->nb_ports);
	memcpy(queues, src->queues, sizeof(*queues) * src->nb_queues);
	memcpy(rings, src->rings, sizeof(*rings) * src->nb_rings);
	memcpy(lcores, src->lcores, sizeof(*lcores) * src->nb_lcores);
}

struct dpp_publisher *dpp_publisher_create(const struct dpp_stats_src *src)
{
	struct dpp_publisher *p = calloc(1, sizeof(*p));

	if (p == NULL)
		goto fail;
	p->src = src;
	pthread_mutex_init(&p->lock, NULL);
	p->spare = dpp_publisher_view_alloc(p);
	p->prev_busy = calloc(src->nb_lcores + 1u, sizeof(uint64_t));
	p->prev_total = calloc(src->nb_lcores + 1u, sizeof(uint64_t));
	if (p->spare == NULL || p->prev_busy == NULL || p->prev_total == NULL)
		goto fail;
	if (src->nb_services > 0) {
		p->merged = dpp_services_merged_create(src->nb_services);
		p->ranked = calloc(src->services_top + 1u, sizeof(*p->ranked));
		if (p->merged == NULL || p->ranked == NULL)
			goto fail;
	}
	return p;
fail:
	if (p != NULL) {
		dpp_services_merged_free(p->merged);
		free(p->ranked);
		dpp_stats_view_free(p->spare);
		free(p->prev_busy);
		free(p->prev_total);
		free(p);
	}
	rte_errno = ENOMEM;
	return NULL;
}

/* Burst histogram as Prometheus wants it: cumulative at 0, 1, 2, 4, ..., burst. */
static void collect_bursts(struct dpp_view_queue *vq, const struct dpp_rxq_stats *rx)
{
	uint64_t cum = 0, sum = 0;
	uint16_t le = 0, i = 0;
	uint8_t b = 0;

	vq->burst = rx->burst;
	while (b < DPP_VIEW_BURST_BUCKETS) {
		for (; i <= le && i <= rx->burst; i++) {
			cum += rx->hist[i];
			sum += (uint64_t)i * rx->hist[i];
		}
		vq->burst_le[b] = le;
		vq->burst_cum[b] = cum;
		b++;
		if (le >= rx->burst)
			break;
		le = le == 0 ? 1 : (uint16_t)RTE_MIN(2u * le, rx->burst);
	}
	vq->nb_burst_le = b;
	vq->burst_sum = sum;
}

static void collect_ports(struct dpp_stats_view *v, const struct dpp_stats_src *src)
{
	for (uint16_t p = 0; p < src->nb_ports; p++) {
		struct dpp_view_port *vp = &v->ports[p];
		struct rte_eth_dev_info info;
		struct rte_eth_stats st;

		memset(&st, 0, sizeof(st));
		rte_eth_stats_get(src->ports[p], &st);
		if (rte_eth_dev_info_get(src->ports[p], &info) != 0)
			info.driver_name = "unknown";
		vp->port = src->ports[p];
		snprintf(vp->driver, sizeof(vp->driver), "%s", info.driver_name);
		vp->ipackets = st.ipackets;
		vp->ibytes = st.ibytes;
		vp->imissed = st.imissed;
		vp->ierrors = st.ierrors;
		vp->rx_nombuf = st.rx_nombuf;
	}
	for (uint16_t q = 0; q < src->nb_queues; q++) {
		const struct dpp_stats_queue_src *qs = &src->queues[q];
		const struct dpp_rxq_stats *rx = qs->rx;
		struct dpp_view_queue *vq = &v->queues[q];

		vq->port = qs->port_id;
		vq->queue = qs->queue_id;
		vq->lcore = qs->lcore;
		vq->ring_size = qs->ring_size;
		vq->packets = rx->packets;
		vq->polls = rx->polls;
		vq->empty = rx->empty;
		vq->full = rx->full;
		vq->occ_supported = rx->occupancy_supported;
		vq->occ_last = rx->occupancy_last;
		vq->occ_max = rx->occupancy_max;
		vq->occ_samples = rx->occupancy_samples;
		vq->occ_sum = rx->occupancy_sum;
		vq->occ_cum[0] = rx->occupancy_hist[0];
		for (unsigned int b = 1; b < DPP_RXQ_OCC_BUCKETS; b++)
			vq->occ_cum[b] = vq->occ_cum[b - 1] + rx->occupancy_hist[b];
		collect_bursts(vq, rx);
	}
	for (uint16_t i = 0; i < src->nb_rings; i++) {
		const struct dpp_ring *r = src->rings[i];
		struct dpp_view_ring *vr = &v->rings[i];

		snprintf(vr->name, sizeof(vr->name), "%s", r->name);
		vr->size = r->size;
		vr->count = dpp_ring_count(r);
		vr->max = r->max;
		vr->enq_drops = r->enq_drops;
		vr->enqueued = r->enqueued;
	}
}

/*
 * Each lcore's entry, and the totals: those the JSON line of the same
 * snapshot was written from when given, else dpp_stats_collect()'s now.
 */
static void collect_lcores(struct dpp_publisher *p, struct dpp_stats_view *v,
			   const struct dpp_stats_totals *totals)
{
	const struct dpp_stats_src *src = p->src;

	for (uint16_t i = 0; i < src->nb_lcores; i++) {
		const struct dpp_stats_lcore_src *l = &src->lcores[i];
		struct dpp_view_lcore *vl = &v->lcores[i];

		vl->lcore = l->lcore;
		snprintf(vl->role, sizeof(vl->role), "%s", l->role);
		vl->busy_pct = 0.0;
		vl->packets = 0;
		if (l->c != NULL) {
			uint64_t busy = l->c->cycles_busy, total = l->c->cycles_total;

			if (total > p->prev_total[i])
				vl->busy_pct = 100.0 * (double)(busy - p->prev_busy[i]) /
					       (double)(total - p->prev_total[i]);
			p->prev_busy[i] = busy;
			p->prev_total[i] = total;
			vl->packets = l->c->packets;
		}
	}
	if (totals != NULL)
		v->totals = *totals;
	else
		dpp_stats_collect(src, &v->totals);
}

static void view_hist(struct dpp_view_hist *vh, const struct dpp_hist *h)
{
	for (unsigned int i = 0; i < DPP_VIEW_LAT_BUCKETS; i++)
		vh->below[i] = dpp_hist_count_below_pow2(h, DPP_VIEW_LAT_K_MIN + i);
	vh->n = h->n;
	vh->sum_us = h->sum;
	vh->max_us = h->max;
	vh->p50_us = dpp_hist_quantile(h, 0.50);
	vh->p90_us = dpp_hist_quantile(h, 0.90);
	vh->p99_us = dpp_hist_quantile(h, 0.99);
}

static void view_service(struct dpp_view_service *vs, const struct dpp_service *s, bool other)
{
	vs->other = other;
	if (other)
		snprintf(vs->server, sizeof(vs->server), "other");
	else
		dpp_view_endpoint(vs->server, sizeof(vs->server), s->ip_version, s->ip, s->port);
	vs->flows = s->flows;
	vs->active = s->active;
	memcpy(vs->cls, s->cls, sizeof(vs->cls));
	memcpy(vs->cause, s->cause, sizeof(vs->cause));
	vs->c2s_packets = s->c2s_packets;
	vs->c2s_retrans = s->c2s_retrans;
	vs->s2c_packets = s->s2c_packets;
	vs->s2c_retrans = s->s2c_retrans;
	vs->port_reuse = s->port_reuse;
	vs->clients = dpp_service_clients(s);
	vs->max_ports_per_client = s->max_ports_per_client;
	view_hist(&vs->lat[DPP_VIEW_SYN_TO_SYNACK], &s->syn_to_synack);
	view_hist(&vs->lat[DPP_VIEW_SYNACK_TO_ACK], &s->synack_to_ack);
	view_hist(&vs->lat[DPP_VIEW_SERVER_RESPONSE], &s->server_response);
}

/*
 * The snapshot's services: the workers' published copies (at the final
 * snapshot the workers have stopped: their live tables), merged here, on
 * the main lcore, the top N and the rest as "other".
 */
static void collect_services(struct dpp_publisher *p, struct dpp_stats_view *v, bool final,
			     bool request)
{
	const struct dpp_stats_src *src = p->src;
	struct dpp_service other;
	uint32_t shown;

	v->nb_services = 0;
	if (p->merged == NULL)
		return;
	if (request && !final) {
		for (uint16_t i = 0; i < src->nb_services; i++)
			dpp_services_request(src->services[i]);
		for (unsigned int waited = 0; waited < SERVICES_WAIT_US; waited += 100) {
			bool all = true;

			for (uint16_t i = 0; i < src->nb_services; i++)
				all &= dpp_services_published(src->services[i]);
			if (all)
				break;
			rte_delay_us_sleep(100);
		}
	}
	dpp_services_merge(p->merged, src->services, src->nb_services, final);
	shown = dpp_services_merged_top(p->merged, src->services_top, p->ranked, &other);
	for (uint32_t i = 0; i < shown; i++)
		view_service(&v->services[i], p->ranked[i], false);
	view_service(&v->services[shown], &other, true);
	v->services[shown].services = dpp_services_merged_count(p->merged) - shown;
	v->nb_services = shown + 1;
}

static uint32_t flow_retrans(const struct dpp_view_flow *f)
{
	return f->c2s_retrans + f->s2c_retrans;
}

/* Forget the flows that ended more than the window ago. */
static void top_age(struct dpp_publisher *p, uint64_t now_ns)
{
	uint16_t n = 0;

	for (uint16_t i = 0; i < p->nb_top; i++)
		if (now_ns - p->top[i].ended_wall_ns <= DPP_VIEW_FLOWS_WINDOW_S * 1000000000ull)
			p->top[n++] = p->top[i];
	p->nb_top = n;
}

void dpp_publisher_note_flow(struct dpp_publisher *p, const struct dpp_flow_record *rec)
{
	uint32_t retrans = rec->c2s.retrans + rec->s2c.retrans;
	struct dpp_view_flow *slot = NULL;

	if (p == NULL)
		return;
	if (p->nb_top < DPP_VIEW_FLOWS) {
		slot = &p->top[p->nb_top++];
	} else {
		/* Full: replace the least retransmitting, if this one beats it. */
		struct dpp_view_flow *min = &p->top[0];

		for (uint16_t i = 1; i < p->nb_top; i++)
			if (flow_retrans(&p->top[i]) < flow_retrans(min))
				min = &p->top[i];
		if (retrans <= flow_retrans(min))
			return;
		slot = min;
	}
	*slot = (struct dpp_view_flow){
		.ip_version = rec->ip_version,
		.outcome = rec->outcome,
		.end_reason = rec->end_reason,
		.client_port = rec->client_port,
		.server_port = rec->server_port,
		.first_ts_ns = rec->first_ts_ns,
		.last_ts_ns = rec->last_ts_ns,
		.c2s_packets = rec->c2s.packets,
		.s2c_packets = rec->s2c.packets,
		.c2s_retrans = rec->c2s.retrans,
		.s2c_retrans = rec->s2c.retrans,
		.ended_wall_ns = wall_ns(),
	};
	memcpy(slot->client_ip, rec->client_ip, sizeof(slot->client_ip));
	memcpy(slot->server_ip, rec->server_ip, sizeof(slot->server_ip));
}

static int by_retrans_desc(const void *a, const void *b)
{
	uint32_t ra = flow_retrans(a), rb = flow_retrans(b);

	if (ra != rb)
		return ra > rb ? -1 : 1;
	/* Then the latest ended first, so equal counts keep a stable order. */
	const struct dpp_view_flow *fa = a, *fb = b;

	return fa->last_ts_ns > fb->last_ts_ns ? -1 : fa->last_ts_ns < fb->last_ts_ns;
}

void dpp_publisher_snapshot(struct dpp_publisher *p, double ts, bool final, bool request_services,
			    const struct dpp_stats_totals *totals)
{
	struct dpp_stats_view *v = p->spare, *old;

	if (v == NULL)
		return; /* closed, or out of memory */
	v->ts = ts;
	v->final = final;
	v->seq = ++p->seq;
	collect_ports(v, p->src);
	collect_lcores(p, v, totals);
	collect_services(p, v, final, request_services);
	top_age(p, wall_ns());
	memcpy(v->flows, p->top, sizeof(p->top[0]) * p->nb_top);
	v->nb_flows = p->nb_top;
	qsort(v->flows, v->nb_flows, sizeof(v->flows[0]), by_retrans_desc);

	pthread_mutex_lock(&p->lock);
	if (p->closed) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	old = p->latest;
	p->latest = v;
	pthread_mutex_unlock(&p->lock);
	/* The first time there is no old view: make the next spare. */
	p->spare = old != NULL ? old : dpp_publisher_view_alloc(p);
	if (p->spare == NULL) {
		/* Out of memory: keep publishing into the latest's place next time. */
		pthread_mutex_lock(&p->lock);
		p->spare = p->latest;
		p->latest = NULL;
		pthread_mutex_unlock(&p->lock);
	}
}

int dpp_publisher_read(struct dpp_publisher *p, struct dpp_stats_view *v)
{
	int rc = -EAGAIN;

	pthread_mutex_lock(&p->lock);
	if (!p->closed && p->latest != NULL) {
		view_copy(v, p->latest);
		rc = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void dpp_publisher_close(struct dpp_publisher *p)
{
	struct dpp_stats_view *latest;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->closed = true;
	latest = p->latest;
	p->latest = NULL;
	pthread_mutex_unlock(&p->lock);
	dpp_stats_view_free(latest);
	dpp_stats_view_free(p->spare);
	p->spare = NULL;
	free(p->prev_busy);
	free(p->prev_total);
	p->prev_busy = p->prev_total = NULL;
	dpp_services_merged_free(p->merged);
	p->merged = NULL;
	free(p->ranked);
	p->ranked = NULL;
}

void dpp_publisher_free(struct dpp_publisher *p)
{
	if (p == NULL)
		return;
	dpp_publisher_close(p);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void dpp_view_endpoint(char *buf, size_t len, uint8_t ip_version, const uint8_t ip[16],
		       uint16_t port)
{
	char addr[INET6_ADDRSTRLEN];

	if (inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, ip, addr, sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	if (ip_version == 6)
		snprintf(buf, len, "[%s]:%u", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
}
