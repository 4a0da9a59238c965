/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --prometheus: /metrics in the Prometheus text format (0.0.4), served by
 * libmicrohttpd on its own thread. That thread is created by the main
 * lcore after EAL started, so it inherits the main lcore's CPU set and
 * never runs on a worker's core. Each scrape copies the latest published
 * view (dpp_publish.h) and renders it: it never reads a live counter and
 * never waits on a worker.
 *
 * Why libmicrohttpd: it is Debian's small, maintained embedded HTTP
 * server (libmicrohttpd-dev), with one internal epoll thread for every
 * connection and the limits an exposed port needs (connection limit,
 * per-connection inactivity timeout, per-connection memory cap), so idle
 * or slow clients cost a file descriptor each and never stall a scrape.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <netinet/in.h>

#include <rte_common.h>

#include "dpp_publish.h"

/* Enough for a scrape every second from many servers, and for 200 idle clients. */
#define PROM_CONNECTION_LIMIT 512
/* Seconds a connection may stay idle (no byte either way) before it is closed. */
#define PROM_CONNECTION_TIMEOUT_S 10
/* Per-connection memory pool: a request line and headers, never a body. */
#define PROM_CONNECTION_MEMORY 16384

struct dpp_prom {
	struct MHD_Daemon *daemon;
	struct dpp_publisher *pub;
	struct dpp_stats_view *view; /* The MHD thread's own copy (one thread). */
	bool named;
};

struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)n;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* Append len bytes as they are. */
static void put_raw(struct buf *b, const char *s, size_t len)
{
	if (b->failed)
		return;
	if (b->cap - b->len <= len) {
		size_t cap = b->cap * 2 + len;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/*
 * A label value: backslash, double quote and newline escaped (text format
 * 0.0.4). Runs without them are copied at once: a scrape writes hundreds
 * of server and ring names.
 */
static void put_label_value(struct buf *b, const char *s)
{
	while (*s != '\0') {
		size_t run = strcspn(s, "\\\"\n");

		put_raw(b, s, run);
		s += run;
		if (*s == '\0')
			break;
		put_raw(b, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		s++;
	}
}

static void header(struct buf *b, const struct dpp_metric_desc *d)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", d->prom, d->help, d->prom, d->type);
}

static void family(struct buf *b, enum dpp_family f)
{
	header(b, &dpp_family_desc[f]);
}

static const char *fam(enum dpp_family f)
{
	return dpp_family_desc[f].prom;
}

static void render_ports(struct buf *b, const struct dpp_stats_view *v)
{
	static const struct {
		enum dpp_family f;
		size_t off;
	} port_counters[] = {
		{DPP_FAMILY_port_packets, offsetof(struct dpp_view_port, ipackets)},
		{DPP_FAMILY_port_bytes, offsetof(struct dpp_view_port, ibytes)},
		{DPP_FAMILY_port_missed, offsetof(struct dpp_view_port, imissed)},
		{DPP_FAMILY_port_errors, offsetof(struct dpp_view_port, ierrors)},
		{DPP_FAMILY_port_nombuf, offsetof(struct dpp_view_port, rx_nombuf)},
	};
	static const struct {
		enum dpp_family f;
		size_t off;
	} queue_counters[] = {
		{DPP_FAMILY_queue_packets, offsetof(struct dpp_view_queue, packets)},
		{DPP_FAMILY_queue_polls, offsetof(struct dpp_view_queue, polls)},
		{DPP_FAMILY_queue_empty, offsetof(struct dpp_view_queue, empty)},
		{DPP_FAMILY_queue_full, offsetof(struct dpp_view_queue, full)},
	};
	bool any_occ = false;

	for (size_t i = 0; i < RTE_DIM(port_counters); i++) {
		family(b, port_counters[i].f);
		for (uint16_t p = 0; p < v->nb_ports; p++)
			put(b, "%s{port=\"%u\"} %" PRIu64 "\n", fam(port_counters[i].f),
			    v->ports[p].port,
			    *(const uint64_t *)((const char *)&v->ports[p] + port_counters[i].off));
	}
	for (size_t i = 0; i < RTE_DIM(queue_counters); i++) {
		family(b, queue_counters[i].f);
		for (uint16_t q = 0; q < v->nb_queues; q++)
			put(b, "%s{port=\"%u\",queue=\"%u\"} %" PRIu64 "\n",
			    fam(queue_counters[i].f), v->queues[q].port, v->queues[q].queue,
			    *(const uint64_t *)((const char *)&v->queues[q] +
						queue_counters[i].off));
	}
	family(b, DPP_FAMILY_queue_ring_size);
	for (uint16_t q = 0; q < v->nb_queues; q++)
		put(b, "%s{port=\"%u\",queue=\"%u\"} %u\n", fam(DPP_FAMILY_queue_ring_size),
		    v->queues[q].port, v->queues[q].queue, v->queues[q].ring_size);

	family(b, DPP_FAMILY_queue_burst);
	for (uint16_t q = 0; q < v->nb_queues; q++) {
		const struct dpp_view_queue *vq = &v->queues[q];
		const char *n = fam(DPP_FAMILY_queue_burst);

		for (uint8_t i = 0; i < vq->nb_burst_le; i++)
			put(b, "%s_bucket{port=\"%u\",queue=\"%u\",le=\"%u\"} %" PRIu64 "\n", n,
			    vq->port, vq->queue, vq->burst_le[i], vq->burst_cum[i]);
		put(b, "%s_bucket{port=\"%u\",queue=\"%u\",le=\"+Inf\"} %" PRIu64 "\n", n, vq->port,
		    vq->queue, vq->polls);
		put(b, "%s_sum{port=\"%u\",queue=\"%u\"} %" PRIu64 "\n", n, vq->port, vq->queue,
		    vq->burst_sum);
		put(b, "%s_count{port=\"%u\",queue=\"%u\"} %" PRIu64 "\n", n, vq->port, vq->queue,
		    vq->polls);
	}

	/* Occupancy only where the PMD can tell it: never a made-up 0. */
	for (uint16_t q = 0; q < v->nb_queues; q++)
		any_occ |= v->queues[q].occ_supported;
	if (any_occ) {
		const char *n = fam(DPP_FAMILY_queue_occupancy);

		family(b, DPP_FAMILY_queue_occupancy);
		for (uint16_t q = 0; q < v->nb_queues; q++) {
			const struct dpp_view_queue *vq = &v->queues[q];

			if (!vq->occ_supported)
				continue;
			for (unsigned int i = 0; i < DPP_RXQ_OCC_BUCKETS; i++)
				put(b,
				    "%s_bucket{port=\"%u\",queue=\"%u\",le=\"%u\"} %" PRIu64 "\n",
				    n, vq->port, vq->queue, (1u << i) - 1, vq->occ_cum[i]);
			put(b, "%s_bucket{port=\"%u\",queue=\"%u\",le=\"+Inf\"} %" PRIu64 "\n", n,
			    vq->port, vq->queue, vq->occ_samples);
			put(b, "%s_sum{port=\"%u\",queue=\"%u\"} %" PRIu64 "\n", n, vq->port,
			    vq->queue, vq->occ_sum);
			put(b, "%s_count{port=\"%u\",queue=\"%u\"} %" PRIu64 "\n", n, vq->port,
			    vq->queue, vq->occ_samples);
		}
		family(b, DPP_FAMILY_queue_occupancy_max);
		for (uint16_t q = 0; q < v->nb_queues; q++)
			if (v->queues[q].occ_supported)
				put(b, "%s{port=\"%u\",queue=\"%u\"} %u\n",
				    fam(DPP_FAMILY_queue_occupancy_max), v->queues[q].port,
				    v->queues[q].queue, v->queues[q].occ_max);
	}
}

static void render_rings_lcores(struct buf *b, const struct dpp_stats_view *v)
{
	static const struct {
		enum dpp_family f;
		bool wide;
		size_t off;
	} ring_fields[] = {
		{DPP_FAMILY_ring_size, false, offsetof(struct dpp_view_ring, size)},
		{DPP_FAMILY_ring_count, false, offsetof(struct dpp_view_ring, count)},
		{DPP_FAMILY_ring_max, false, offsetof(struct dpp_view_ring, max)},
		{DPP_FAMILY_ring_enqueued, true, offsetof(struct dpp_view_ring, enqueued)},
		{DPP_FAMILY_ring_drops, true, offsetof(struct dpp_view_ring, enq_drops)},
	};

	for (size_t i = 0; i < RTE_DIM(ring_fields); i++) {
		family(b, ring_fields[i].f);
		for (uint16_t r = 0; r < v->nb_rings; r++) {
			const char *field = (const char *)&v->rings[r] + ring_fields[i].off;
			uint64_t val = ring_fields[i].wide ? *(const uint64_t *)field
							   : *(const uint32_t *)field;

			put(b, "%s{ring=\"", fam(ring_fields[i].f));
			put_label_value(b, v->rings[r].name);
			put(b, "\"} %" PRIu64 "\n", val);
		}
	}
	family(b, DPP_FAMILY_lcore_busy);
	for (uint16_t l = 0; l < v->nb_lcores; l++)
		put(b, "%s{lcore=\"%u\",role=\"%s\"} %.4f\n", fam(DPP_FAMILY_lcore_busy),
		    v->lcores[l].lcore, v->lcores[l].role, v->lcores[l].busy_pct / 100.0);
	family(b, DPP_FAMILY_lcore_packets);
	for (uint16_t l = 0; l < v->nb_lcores; l++)
		put(b, "%s{lcore=\"%u\",role=\"%s\"} %" PRIu64 "\n", fam(DPP_FAMILY_lcore_packets),
		    v->lcores[l].lcore, v->lcores[l].role, v->lcores[l].packets);
}

static void render_counters(struct buf *b, const struct dpp_stats_view *v)
{
	const struct dpp_stats_totals *t = &v->totals;

	for (int s = 0; s < DPP_SCALAR_MAX; s++) {
		header(b, &dpp_scalar_desc[s]);
		put(b, "%s %" PRIu64 "\n", dpp_scalar_desc[s].prom, t->scalar[s]);
	}
	/* Every reason, seen or not: a series that appears late breaks rate(). */
	family(b, DPP_FAMILY_malformed);
	for (int r = DPP_PARSE_MALFORMED_FIRST; r < DPP_PARSE_RESULT_MAX; r++)
		put(b, "%s{reason=\"%s\"} %" PRIu64 "\n", fam(DPP_FAMILY_malformed),
		    dpp_parse_result_name(r), t->malformed[r]);
	family(b, DPP_FAMILY_outcomes);
	for (size_t i = 0; i < DPP_STATS_OUTCOMES; i++)
		put(b, "%s{outcome=\"%s\"} %" PRIu64 "\n", fam(DPP_FAMILY_outcomes),
		    dpp_flow_outcome_name(dpp_stats_outcomes[i]),
		    t->outcome[dpp_stats_outcomes[i]]);
}

static void put_server(struct buf *b, const char *metric, const char *suffix,
		       const struct dpp_view_service *vs)
{
	put(b, "%s%s{server=\"", metric, suffix);
	put_label_value(b, vs->server);
	put(b, "\"");
}

static void render_latency(struct buf *b, enum dpp_family f, const struct dpp_view_service *vs,
			   const char *leg, const struct dpp_view_hist *h)
{
	const char *n = fam(f);
	char extra[48] = "";

	if (leg != NULL)
		snprintf(extra, sizeof(extra), ",leg=\"%s\"", leg);
	for (unsigned int i = 0; i < DPP_VIEW_LAT_BUCKETS; i++) {
		/* Values are whole microseconds: below 2^k is at most 2^k - 1. */
		put_server(b, n, "_bucket", vs);
		put(b, "%s,le=\"%.6f\"} %" PRIu64 "\n", extra,
		    (double)((1ull << (DPP_VIEW_LAT_K_MIN + i)) - 1) / 1e6, h->below[i]);
	}
	put_server(b, n, "_bucket", vs);
	put(b, "%s,le=\"+Inf\"} %" PRIu64 "\n", extra, h->n);
	put_server(b, n, "_sum", vs);
	put(b, "%s} %.6f\n", extra, (double)h->sum_us / 1e6);
	put_server(b, n, "_count", vs);
	put(b, "%s} %" PRIu64 "\n", extra, h->n);
}

static void render_services(struct buf *b, const struct dpp_stats_view *v)
{
	const struct dpp_view_service *s = v->services;
	const uint32_t ns = v->nb_services;

	static const char *const dirs[2] = {"c2s", "s2c"};

	family(b, DPP_FAMILY_capture_loss_acks);
	for (int d = 0; d < 2; d++)
		put(b, "%s{direction=\"%s\"} %" PRIu64 "\n", fam(DPP_FAMILY_capture_loss_acks),
		    dirs[d], v->totals.capture_loss_acks[d]);
	family(b, DPP_FAMILY_capture_loss_bytes);
	for (int d = 0; d < 2; d++)
		put(b, "%s{direction=\"%s\"} %" PRIu64 "\n", fam(DPP_FAMILY_capture_loss_bytes),
		    dirs[d], v->totals.capture_loss_bytes[d]);
	family(b, DPP_FAMILY_classes);
	for (int c = 0; c < DPP_DIAG_CLASS_MAX; c++)
		put(b, "%s{class=\"%s\"} %" PRIu64 "\n", fam(DPP_FAMILY_classes),
		    dpp_diag_class_name(c), v->totals.diag_class[c]);
	family(b, DPP_FAMILY_causes);
	for (int c = 1; c < DPP_DIAG_CAUSE_MAX; c++)
		put(b, "%s{cause=\"%s\"} %" PRIu64 "\n", fam(DPP_FAMILY_causes),
		    dpp_diag_cause_name(c), v->totals.diag_cause[c]);
	if (ns == 0)
		return;

	family(b, DPP_FAMILY_service_flows);
	for (uint32_t i = 0; i < ns; i++) {
		put_server(b, fam(DPP_FAMILY_service_flows), "", &s[i]);
		put(b, "} %" PRIu64 "\n", s[i].flows);
	}
	family(b, DPP_FAMILY_service_active);
	for (uint32_t i = 0; i < ns; i++) {
		put_server(b, fam(DPP_FAMILY_service_active), "", &s[i]);
		put(b, "} %" PRIu64 "\n", s[i].active);
	}
	family(b, DPP_FAMILY_service_connections);
	for (uint32_t i = 0; i < ns; i++)
		for (int c = 0; c < DPP_DIAG_CLASS_MAX; c++) {
			put_server(b, fam(DPP_FAMILY_service_connections), "", &s[i]);
			put(b, ",class=\"%s\"} %" PRIu64 "\n", dpp_diag_class_name(c), s[i].cls[c]);
		}
	family(b, DPP_FAMILY_service_failures);
	for (uint32_t i = 0; i < ns; i++)
		for (int c = 1; c < DPP_DIAG_CAUSE_MAX; c++) {
			put_server(b, fam(DPP_FAMILY_service_failures), "", &s[i]);
			put(b, ",cause=\"%s\"} %" PRIu64 "\n", dpp_diag_cause_name(c),
			    s[i].cause[c]);
		}
	family(b, DPP_FAMILY_service_handshake);
	for (uint32_t i = 0; i < ns; i++) {
		render_latency(b, DPP_FAMILY_service_handshake, &s[i], "syn_to_synack",
			       &s[i].lat[DPP_VIEW_SYN_TO_SYNACK]);
		render_latency(b, DPP_FAMILY_service_handshake, &s[i], "synack_to_ack",
			       &s[i].lat[DPP_VIEW_SYNACK_TO_ACK]);
	}
	family(b, DPP_FAMILY_service_response);
	for (uint32_t i = 0; i < ns; i++)
		render_latency(b, DPP_FAMILY_service_response, &s[i], NULL,
			       &s[i].lat[DPP_VIEW_SERVER_RESPONSE]);
	family(b, DPP_FAMILY_service_packets);
	for (uint32_t i = 0; i < ns; i++) {
		put_server(b, fam(DPP_FAMILY_service_packets), "", &s[i]);
		put(b, ",direction=\"c2s\"} %" PRIu64 "\n", s[i].c2s_packets);
		put_server(b, fam(DPP_FAMILY_service_packets), "", &s[i]);
		put(b, ",direction=\"s2c\"} %" PRIu64 "\n", s[i].s2c_packets);
	}
	family(b, DPP_FAMILY_service_retrans);
	for (uint32_t i = 0; i < ns; i++) {
		put_server(b, fam(DPP_FAMILY_service_retrans), "", &s[i]);
		put(b, ",direction=\"c2s\"} %" PRIu64 "\n", s[i].c2s_retrans);
		put_server(b, fam(DPP_FAMILY_service_retrans), "", &s[i]);
		put(b, ",direction=\"s2c\"} %" PRIu64 "\n", s[i].s2c_retrans);
	}
	family(b, DPP_FAMILY_service_port_reuse);
	for (uint32_t i = 0; i < ns; i++) {
		put_server(b, fam(DPP_FAMILY_service_port_reuse), "", &s[i]);
		put(b, "} %" PRIu64 "\n", s[i].port_reuse);
	}
	family(b, DPP_FAMILY_service_clients);
	for (uint32_t i = 0; i < ns; i++) {
		put_server(b, fam(DPP_FAMILY_service_clients), "", &s[i]);
		put(b, "} %" PRIu64 "\n", s[i].clients);
	}
	family(b, DPP_FAMILY_service_ports);
	for (uint32_t i = 0; i < ns; i++) {
		put_server(b, fam(DPP_FAMILY_service_ports), "", &s[i]);
		put(b, "} %u\n", s[i].max_ports_per_client);
	}
}

char *dpp_prom_render(const struct dpp_stats_view *v, size_t *len)
{
	struct buf b = {.cap = 32768};

	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	family(&b, DPP_FAMILY_snapshot_ts);
	put(&b, "%s %.6f\n", fam(DPP_FAMILY_snapshot_ts), v->ts);
	render_ports(&b, v);
	render_rings_lcores(&b, v);
	render_counters(&b, v);
	render_services(&b, v);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct dpp_prom *pr = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *text;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (!pr->named) {
		/* So ps, top and the tests can find the control thread. */
		prctl(PR_SET_NAME, "dpp-prometheus");
		pr->named = true;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* No body is read: drop it. */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (dpp_publisher_read(pr->pub, pr->view) != 0)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet\n");
	text = dpp_prom_render(pr->view, &len);
	if (text == NULL)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* libmicrohttpd's own messages (a client that misbehaves): not for stderr. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

int dpp_prom_listen(const struct sockaddr *addr, unsigned int addrlen, const char *spec, char *err,
		    size_t errlen)
{
	int one = 1;
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		snprintf(err, errlen, "--prometheus %s: %s", spec, strerror(errno));
		return -errno;
	}
	/* A restart must not wait for TIME_WAIT; a port in use is still refused. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, addr, addrlen) != 0 || listen(fd, 64) != 0) {
		int e = errno;

		snprintf(err, errlen, "--prometheus %s: %s", spec, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

struct dpp_prom *dpp_prom_start(int fd, struct dpp_publisher *pub)
{
	struct dpp_prom *pr = calloc(1, sizeof(*pr));

	if (pr == NULL)
		return NULL;
	pr->pub = pub;
	pr->view = dpp_publisher_view_alloc(pub);
	if (pr->view == NULL)
		goto fail;
	pr->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, pr,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)PROM_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)PROM_CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)PROM_CONNECTION_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_END);
	if (pr->daemon == NULL)
		goto fail;
	return pr;
fail:
	dpp_stats_view_free(pr->view);
	free(pr);
	return NULL;
}

void dpp_prom_stop(struct dpp_prom *pr)
{
	if (pr == NULL)
		return;
	/* Joins the control thread: no scrape runs once this returns. */
	MHD_stop_daemon(pr->daemon);
	dpp_stats_view_free(pr->view);
	free(pr);
}
