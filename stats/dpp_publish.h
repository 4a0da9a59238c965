/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_PUBLISH_H
#define DPP_PUBLISH_H

/**
 * @file
 * stats, the published snapshot: the numbers of the latest stats snapshot,
 * copied out of the live counters by the main lcore at every
 * --stats-interval, for readers on other threads (the Prometheus control
 * thread, DPDK's telemetry thread).
 *
 * Why nothing here can make a worker wait, or wait on one: workers never
 * call into this module. The main lcore reads their counters as it does
 * for the JSON snapshot (plain loads of counters each worker writes
 * alone), fills a spare view without any lock, then swaps it in under a
 * mutex held for a pointer swap. A reader takes the same mutex only to
 * copy the latest view into its own buffer, then renders from its copy
 * with no lock held. The mutex is shared by the main lcore and readers
 * only; a slow reader costs at most one memcpy of the view on the main
 * lcore, never a worker's time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpp_flow.h"
#include "dpp_rings.h"
#include "dpp_stats.h"

struct dpp_open_flows;

/** Upper bounds (le) of the burst-size histogram: 0, 1, 2, 4, ... up to the burst. */
#define DPP_VIEW_BURST_BUCKETS 11

struct dpp_view_port {
	uint16_t port;
	char driver[32];
	uint64_t ipackets, ibytes, imissed, ierrors, rx_nombuf;
};

struct dpp_view_queue {
	uint16_t port, queue, lcore, ring_size;
	uint64_t packets, polls, empty, full;
	uint16_t burst;
	uint8_t nb_burst_le; /**< Buckets used in burst_le/burst_cum. */
	uint16_t burst_le[DPP_VIEW_BURST_BUCKETS];
	uint64_t burst_cum[DPP_VIEW_BURST_BUCKETS]; /**< Polls that returned <= burst_le[i]. */
	uint64_t burst_sum;			    /**< Packets over all polls. */
	bool occ_supported;
	uint32_t occ_last, occ_max;
	uint64_t occ_samples;
	uint64_t occ_cum[DPP_RXQ_OCC_BUCKETS]; /**< Samples with <= 2^b - 1 in use. */
	uint64_t occ_sum;
};

struct dpp_view_ring {
	char name[32];
	uint32_t size, count, max;
	uint64_t enq_drops, enqueued;
};

struct dpp_view_lcore {
	uint16_t lcore;
	char role[8];
	double busy_pct;
	uint64_t packets;
};

/** One recently ended flow, for /dpprobe/flows. */
struct dpp_view_flow {
	uint8_t ip_version, outcome, end_reason;
	uint16_t client_port, server_port;
	uint8_t client_ip[16], server_ip[16];
	uint64_t first_ts_ns, last_ts_ns;
	uint64_t c2s_packets, s2c_packets;
	uint32_t c2s_retrans, s2c_retrans;
	uint64_t ended_wall_ns; /**< When the main lcore wrote its record. */
};

/** Top flows kept: the most retransmitting records of the last DPP_VIEW_FLOWS_WINDOW_S. */
#define DPP_VIEW_FLOWS 64
#define DPP_VIEW_FLOWS_WINDOW_S 60

/* Services' latency buckets, in microseconds: le = 2^k - 1, k = 4 .. 24 (15 us .. 16.8 s). */
#define DPP_VIEW_LAT_K_MIN 4
#define DPP_VIEW_LAT_K_MAX 24
#define DPP_VIEW_LAT_BUCKETS (DPP_VIEW_LAT_K_MAX - DPP_VIEW_LAT_K_MIN + 1)

/** A service's latencies: the handshake legs and the server's response. */
enum dpp_view_latency {
	DPP_VIEW_SYN_TO_SYNACK,
	DPP_VIEW_SYNACK_TO_ACK,
	DPP_VIEW_SERVER_RESPONSE,
	DPP_VIEW_LATENCY_MAX,
};

struct dpp_view_hist {
	/** below[i]: values below 2^(DPP_VIEW_LAT_K_MIN + i) us. */
	uint64_t below[DPP_VIEW_LAT_BUCKETS];
	uint64_t n, sum_us, max_us;
	uint64_t p50_us, p90_us, p99_us; /**< As the snapshot shows them. */
};

/** One service of the snapshot's top N, or (other) all the rest. */
struct dpp_view_service {
	char server[64]; /**< "ip:port", "[ip6]:port", or "other". */
	bool other;
	uint64_t services; /**< other: how many services it folds. */
	uint64_t flows, active;
	uint64_t cls[DPP_DIAG_CLASS_MAX];
	uint64_t cause[DPP_DIAG_CAUSE_MAX];
	uint64_t c2s_packets, c2s_retrans, s2c_packets, s2c_retrans;
	uint64_t port_reuse, clients;
	uint32_t max_ports_per_client;
	struct dpp_view_hist lat[DPP_VIEW_LATENCY_MAX];
};

/** The published snapshot. Arrays are sized once, when the publisher is made. */
struct dpp_stats_view {
	uint64_t seq; /**< 1 for the first snapshot published, then +1 each. */
	double ts;
	bool final;
	struct dpp_stats_totals totals; /**< As the JSON snapshot of the same ts sums them. */
	uint16_t nb_ports, nb_queues, nb_rings, nb_lcores, nb_flows;
	uint32_t nb_services; /**< The top services, then "other" last (0: none). */
	struct dpp_view_service *services;
	struct dpp_view_port *ports;
	struct dpp_view_queue *queues;
	struct dpp_view_ring *rings;
	struct dpp_view_lcore *lcores;
	struct dpp_view_flow flows[DPP_VIEW_FLOWS]; /**< By retransmissions, most first. */
};

struct dpp_publisher;

/**
 * Make a publisher for the shape of src (ports, queues, rings, lcores).
 * @return The publisher, or NULL with rte_errno set.
 */
struct dpp_publisher *dpp_publisher_create(const struct dpp_stats_src *src);

/**
 * Main lcore: collect the live counters of src into a new view and publish
 * it. Call it right after the JSON snapshot is written, with the same ts
 * and that line's totals (dpp_stats_writer_totals(), so both show the same
 * sums), or NULL without a JSON snapshot: then they are collected here.
 * Services come from the workers' published copies of their tables; with
 * request_services (no JSON snapshot asked for fresh ones) it asks the
 * workers for new copies and gives them at most 100 ms, as the JSON
 * snapshot does; a worker that is late is shown from its previous copy.
 */
void dpp_publisher_snapshot(struct dpp_publisher *p, double ts, bool final, bool request_services,
			    const struct dpp_stats_totals *totals);

/**
 * Main lcore: note a flow record as it is written (the most retransmitting
 * ones of the last minute are published with the next snapshot).
 */
void dpp_publisher_note_flow(struct dpp_publisher *p, const struct dpp_flow_record *rec);

/** A view of the publisher's shape, for a reader to copy into; NULL on ENOMEM. */
struct dpp_stats_view *dpp_publisher_view_alloc(const struct dpp_publisher *p);
void dpp_stats_view_free(struct dpp_stats_view *v);

/**
 * Any thread: copy the latest published view into v (from
 * dpp_publisher_view_alloc()).
 * @return 0, or -EAGAIN when nothing was published yet or the publisher is closed.
 */
int dpp_publisher_read(struct dpp_publisher *p, struct dpp_stats_view *v);

/**
 * Stop publishing: later reads get -EAGAIN. The publisher itself stays
 * allocated (a telemetry callback may still be running); its views are
 * freed.
 */
void dpp_publisher_close(struct dpp_publisher *p);

/**
 * Close and free the publisher, for when no reader can run any more (the
 * unit tests). The probe does not: EAL's telemetry thread is not stopped
 * before exit, so its publisher stays, closed, until the process ends.
 */
void dpp_publisher_free(struct dpp_publisher *p);

/* ------------------------------------------------------------------ */
/* Prometheus (--prometheus) and DPDK telemetry, readers of the view    */
/* ------------------------------------------------------------------ */

struct sockaddr;
struct dpp_prom;

/**
 * Bind and listen on the --prometheus address (before EAL starts, so a bad
 * or busy address costs nothing).
 * @return The listening socket, or -errno with err holding one line
 *   naming spec and the reason.
 */
int dpp_prom_listen(const struct sockaddr *addr, unsigned int addrlen, const char *spec, char *err,
		    size_t errlen);

/**
 * Serve /metrics on fd from the views p publishes, on libmicrohttpd's own
 * thread (created here, so it shares the calling main lcore's CPU set).
 * @return The server, or NULL.
 */
struct dpp_prom *dpp_prom_start(int fd, struct dpp_publisher *p);

/** Stop serving and join the server's thread (before EAL cleanup). */
void dpp_prom_stop(struct dpp_prom *pr);

/** Render a view in the Prometheus text format; malloc'd, NULL on ENOMEM. */
char *dpp_prom_render(const struct dpp_stats_view *v, size_t *len);

/**
 * Register the /dpprobe/ telemetry commands (after rte_eal_init), answered
 * from p's latest view on EAL's telemetry thread; /dpprobe/flows asks the
 * workers' open-flow boards (dpp_open_flows.h).
 * @return 0 or -errno.
 */
int dpp_telemetry_register(struct dpp_publisher *p, struct dpp_open_flows *const *boards,
			   uint16_t nb_boards);

/**
 * Stop asking the boards given to dpp_telemetry_register() (before their
 * memory goes with EAL): /dpprobe/flows answers "stopping" from then on.
 * Waits for a question in flight.
 */
void dpp_telemetry_stop(void);

/** "ip:port", IPv6 as [ip]:port. */
void dpp_view_endpoint(char *buf, size_t len, uint8_t ip_version, const uint8_t ip[16],
		       uint16_t port);

#endif /* DPP_PUBLISH_H */
