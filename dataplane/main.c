/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpprobe's main lcore: options, EAL, ports, workers, then the control
 * loop (export flow records, write stats snapshots, decide when to stop)
 * and a clean stop: workers drain and flush, the final snapshot is
 * written, exit status 0.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <numa.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_version.h>

#include "dpp_dataplane.h"
#include "dpp_publish.h"

RTE_LOG_REGISTER(dpp_dataplane_logtype, dpprobe.dataplane, NOTICE);

/* Exit statuses: 0 clean stop, 1 runtime failure, 2 bad input. */
#define EXIT_BAD_INPUT 2

/* How often the control loop checks whether finite captures are all read. */
#define DPP_EOF_CHECK_MS 50
/* Quiet checks in a row (rx returns 0, no error counter grows) that mean end of input. */
#define DPP_EOF_QUIET_CHECKS 3

static volatile sig_atomic_t signal_received;

static void on_signal(int sig)
{
	signal_received = sig;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die_bad_input(const char *msg)
{
	fprintf(stderr, "dpprobe: error: %s\n", msg);
	exit(EXIT_BAD_INPUT);
}

struct app {
	struct dpp_config cfg;
	struct dpp_port ports[RTE_MAX_ETHPORTS];
	uint16_t nb_ports;
	uint16_t port_ids[RTE_MAX_ETHPORTS];
	struct dpp_lcore_ctx *workers[RTE_MAX_LCORE];
	uint16_t nb_workers;
	struct dpp_lcore_ctx *rx; /**< --dist sw: the RX lcore; NULL otherwise. */
	struct dpp_producer *producer; /**< --load: the ring port's producer; NULL otherwise. */
	struct dpp_stats_queue_src queues[RTE_MAX_ETHPORTS * 8];
	uint16_t nb_queues;
	struct dpp_stats_lcore_src lcores[RTE_MAX_LCORE];
	struct dpp_ring *rings[2 * RTE_MAX_LCORE];
	uint16_t nb_rings;
	struct dpp_stats_src src;
	void *flow_mem[RTE_MAX_LCORE];
	struct dpp_services *services[RTE_MAX_LCORE];
	struct dpp_open_flows *open_flows[RTE_MAX_LCORE]; /**< One board per worker. */
	size_t flow_mem_size;	 /**< Mapped per worker (2 MiB multiple). */
	size_t flow_table_bytes; /**< Used by each worker's table. */
	FILE *flows_out;
	FILE *stats_out;
	uint64_t flow_records;
	struct dpp_publisher *pub; /**< The latest snapshot, for Prometheus and telemetry. */
	struct dpp_prom *prom;     /**< --prometheus: the /metrics server; NULL when off. */
	int prom_fd;		   /**< --prometheus: its listening socket, bound before EAL. */
	bool output_failed;
	char output_error[PATH_MAX + 128]; /**< The first failure, as the one line printed. */
};

/*
 * An output failed (a full disk, a closed pipe): remember the first failure
 * as the line to print; the control loop then stops the probe cleanly
 * rather than lose records silently for the rest of the run.
 */
static void fail_output(struct app *app, const char *what, const char *path)
{
	int e = errno != 0 ? errno : EIO;

	if (app->output_failed)
		return;
	app->output_failed = true;
	snprintf(app->output_error, sizeof(app->output_error), "--%s %s: write failed: %s", what,
		 path, strerror(e));
}

static FILE *open_output(const char *path, const char *what)
{
	FILE *f;
	char msg[PATH_MAX + 128];

	if (strcmp(path, "-") == 0)
		return stdout;
	f = fopen(path, "w");
	if (f == NULL) {
		snprintf(msg, sizeof(msg), "--%s %s: %s", what, path, strerror(errno));
		die_bad_input(msg);
	}
	/* Large buffer: records are flushed every loop and at each snapshot. */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/*
 * Split argv at "--": EAL options before, probe options after. A bare
 * `dpprobe --help` / `--version` is taken as a probe option.
 */
static int split_args(int argc, char **argv, int *eal_argc, char ***probe_argv, int *probe_argc)
{
	static char *only_name[2];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*eal_argc = i;
			/* probe argv[0] is the program name, as getopt expects. */
			argv[i] = argv[0];
			*probe_argv = &argv[i];
			*probe_argc = argc - i;
			return 0;
		}
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		*eal_argc = 0;
		*probe_argv = argv;
		*probe_argc = argc;
		return 0;
	}
	*eal_argc = argc;
	only_name[0] = argv[0];
	*probe_argv = only_name;
	*probe_argc = 1;
	return 0;
}

#define DPP_HUGE_2M ((size_t)2 << 20)

/*
 * Flow tables are large (capacity x flow state) and live for the whole
 * run, so they come from the kernel rather than the EAL heap: anonymous
 * memory bound to the worker's NUMA node (libnuma), zero-filled on first
 * touch, with no need to size EAL's -m for them. It is 2 MiB aligned and
 * marked MADV_HUGEPAGE: lookups land at random over hundreds of MB, and
 * transparent huge pages keep most of them from missing the TLB as well.
 * The hugetlbfs pool is left to EAL (mempools, rings), which is sized for it.
 */
static void *flow_mem_alloc(size_t size, int socket, size_t *mapped)
{
	const size_t len = RTE_ALIGN_CEIL(size, DPP_HUGE_2M);
	uint8_t *raw, *mem;

	raw = mmap(NULL, len + DPP_HUGE_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	mem = RTE_PTR_ALIGN_CEIL(raw, DPP_HUGE_2M);
	if (mem > raw)
		munmap(raw, (size_t)(mem - raw));
	if (raw + len + DPP_HUGE_2M > mem + len)
		munmap(mem + len, (size_t)(raw + len + DPP_HUGE_2M - (mem + len)));
	(void)madvise(mem, len, MADV_HUGEPAGE); /* best effort: THP may be off */
	if (numa_available() >= 0 && socket >= 0)
		numa_tonode_memory(mem, len, socket);
	*mapped = len;
	return mem;
}

/*
 * Bytes of the flow tables the kernel backs with memory (Rss) and, of
 * those, with huge pages (AnonHugePages), from /proc/self/smaps. The
 * tables are touched only as flows use them, so this follows the flows in
 * use, not the capacity: it is read again at every snapshot (main lcore,
 * outside the data path).
 */
static void flow_mem_usage(void *const *mem, uint16_t n, size_t len, uint64_t *resident,
			   uint64_t *huge)
{
	char line[256];
	bool ours = false;
	uint64_t rss_kb = 0, huge_kb = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	*resident = *huge = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t lo, hi;
		uint64_t kb;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
			ours = false;
			for (uint16_t i = 0; i < n; i++)
				if (lo < (uintptr_t)mem[i] + len && (uintptr_t)mem[i] < hi)
					ours = true;
		} else if (ours && sscanf(line, "AnonHugePages: %" SCNu64 " kB", &kb) == 1) {
			huge_kb += kb;
		} else if (ours && sscanf(line, "Rss: %" SCNu64 " kB", &kb) == 1) {
			rss_kb += kb;
		}
	}
	fclose(f);
	*resident = rss_kb * 1024;
	*huge = huge_kb * 1024;
}

static struct dpp_lcore_ctx *new_lcore_ctx(const struct app *app, unsigned int lcore_id,
					    uint8_t role, int ts_off, int ts_bit)
{
	int socket = (int)rte_lcore_to_socket_id(lcore_id);
	struct dpp_lcore_ctx *ctx;

	ctx = rte_zmalloc_socket("dpp_lcore_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE, socket);
	if (ctx == NULL)
		ctx = rte_zmalloc("dpp_lcore_ctx", sizeof(*ctx), RTE_CACHE_LINE_SIZE);
	if (ctx == NULL)
		rte_exit(EXIT_FAILURE, "cannot allocate lcore context\n");
	ctx->lcore_id = (uint16_t)lcore_id;
	ctx->role = role;
	ctx->burst = (uint16_t)app->cfg.burst;
	ctx->ts_dynfield_offset = ts_off;
	ctx->ts_dynflag = ts_bit >= 0 ? RTE_BIT64(ts_bit) : 0;
	ctx->tsc_hz = rte_get_tsc_hz();
	ctx->tsc_base = rte_rdtsc();
	ctx->wall_base_ns = wall_now_ns();
	ctx->linear = rte_malloc_socket("dpp_linear", UINT16_MAX + 1, 0, socket);
	if (ctx->linear == NULL)
		ctx->linear = rte_malloc("dpp_linear", UINT16_MAX + 1, 0);
	if (ctx->linear == NULL)
		rte_exit(EXIT_FAILURE, "cannot allocate parse buffer\n");
	dpp_worker_knobs(ctx, &app->cfg);
	return ctx;
}

/* A worker's flow table and the ring its ended flows leave by. */
static void attach_flow_table(struct app *app, struct dpp_lcore_ctx *ctx, uint16_t w)
{
	int socket = (int)rte_lcore_to_socket_id(ctx->lcore_id);
	struct dpp_flow_params fp;
	char name[DPP_RING_NAMESIZE];
	char err[256];
	size_t fmem;
	void *mem;

	memset(&fp, 0, sizeof(fp));
	fp.capacity = app->cfg.flow_capacity;
	fp.idle_timeout_ns = (uint64_t)(app->cfg.idle_timeout_s * 1e9);
	fp.syn_timeout_ns = (uint64_t)(app->cfg.syn_timeout_s * 1e9);
	fp.close_linger_ns = (uint64_t)(app->cfg.close_linger_s * 1e9);
	fp.time_wait_ns = (uint64_t)(app->cfg.time_wait_s * 1e9);
	fp.time_wait_slots = app->cfg.time_wait_slots;
	fp.stall_threshold_ns = (uint64_t)(app->cfg.stall_threshold_s * 1e9);
	fp.idle_reset_threshold_ns = (uint64_t)(app->cfg.idle_reset_threshold_s * 1e9);
	fp.on_open = dpp_worker_flow_open;
	fp.on_open_arg = ctx;
	ctx->services = rte_zmalloc_socket("dpp_services", dpp_services_size(),
					   RTE_CACHE_LINE_SIZE, socket);
	if (ctx->services == NULL)
		ctx->services = calloc(1, dpp_services_size());
	if (ctx->services == NULL)
		rte_exit(EXIT_FAILURE, "cannot allocate the services table\n");
	dpp_services_init(ctx->services, fp.time_wait_ns);
	app->services[w] = ctx->services;
	ctx->open_flows = rte_zmalloc_socket("dpp_open_flows", sizeof(*ctx->open_flows),
					     RTE_CACHE_LINE_SIZE, socket);
	if (ctx->open_flows == NULL)
		ctx->open_flows = calloc(1, sizeof(*ctx->open_flows));
	if (ctx->open_flows == NULL)
		rte_exit(EXIT_FAILURE, "cannot allocate the open-flows board\n");
	dpp_open_flows_init(ctx->open_flows, ctx->lcore_id);
	app->open_flows[w] = ctx->open_flows;
	fmem = dpp_flow_table_mem_size(&fp);
	mem = flow_mem_alloc(fmem, socket, &app->flow_mem_size);
	if (mem == NULL) {
		snprintf(err, sizeof(err),
			 "--flow-capacity %u: cannot allocate %zu bytes for lcore %u's flow table: %s",
			 app->cfg.flow_capacity, fmem, ctx->lcore_id, strerror(errno));
		die_bad_input(err);
	}
	app->flow_mem[w] = mem;
	app->flow_table_bytes = fmem;
	ctx->flows = dpp_flow_table_init(mem, &fp, dpp_worker_export, ctx);
	if (ctx->flows == NULL)
		rte_exit(EXIT_FAILURE, "cannot initialise flow table\n");

	snprintf(name, sizeof(name), "flows-w%u", ctx->lcore_id);
	ctx->export_ring = dpp_ring_create(name, app->cfg.export_ring,
					   sizeof(struct dpp_flow_record), socket);
	if (ctx->export_ring == NULL)
		rte_exit(EXIT_FAILURE, "cannot create ring %s: %s\n", name,
			 rte_strerror(rte_errno));
	app->rings[app->nb_rings++] = ctx->export_ring;
}

/* Give a port queue to an lcore, and to the stats. */
static void attach_port_queue(struct app *app, struct dpp_lcore_ctx *ctx,
			      const struct dpp_port *port, uint16_t q)
{
	struct dpp_rxq *rxq;
	char err[256];

	if (ctx->nb_rxq == DPP_MAX_QUEUES_PER_LCORE || app->nb_queues == RTE_DIM(app->queues)) {
		snprintf(err, sizeof(err),
			 "too many rx queues for the lcores given (at most %u per lcore): "
			 "add lcores with -l or lower --rxq",
			 DPP_MAX_QUEUES_PER_LCORE);
		die_bad_input(err);
	}
	rxq = &ctx->rxq[ctx->nb_rxq++];
	rxq->port_id = port->port_id;
	rxq->queue_id = q;
	rxq->ring_size = port->ring_size;
	rxq->link_type = port->queue[q].link_type;
	rxq->snaplen = port->queue[q].snaplen;
	rxq->max_records = port->queue[q].corrupt ? port->queue[q].records : 0;
	rxq->big = port->queue[q].big;
	rxq->nb_big = port->queue[q].nb_big;
	rxq->pcap_time = port->pcap_time;
	if (dpp_rxq_stats_init(&rxq->stats, ctx->burst,
			       (int)rte_lcore_to_socket_id(ctx->lcore_id)) != 0)
		rte_exit(EXIT_FAILURE, "cannot allocate queue stats\n");
	rxq->stats.occupancy_supported = dpp_rxq_occupancy_probe(port->port_id, q);
	if (app->producer != NULL && app->producer->rp->port_id == port->port_id) {
		/* The study's ring port: its occupancy is exact (rte_ring_count). */
		rxq->ring_port = app->producer->rp;
		rxq->stats.occupancy_supported = true;
	}
	if (port->socket_id >= 0 && (int)rte_lcore_to_socket_id(ctx->lcore_id) != port->socket_id)
		DPP_LOG(WARNING,
			"lcore %u polls port %u queue %u on another NUMA node "
			"(lcore socket %u, port socket %d): expect lower rates\n",
			ctx->lcore_id, port->port_id, q, rte_lcore_to_socket_id(ctx->lcore_id),
			port->socket_id);
	app->queues[app->nb_queues++] = (struct dpp_stats_queue_src){
		.port_id = port->port_id,
		.queue_id = q,
		.lcore = ctx->lcore_id,
		.ring_size = port->ring_size,
		.rx = &rxq->stats,
		.ring = rxq->ring_port,
	};
}

static void setup_lcores(struct app *app)
{
	unsigned int lcore_id;
	int ts_off, ts_bit;
	bool all_pcap = true;
	uint16_t next = 0;

	/* net_pcap registers these when it starts; other PMDs may not. */
	ts_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	ts_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	for (uint16_t p = 0; p < app->nb_ports; p++)
		all_pcap &= app->ports[p].pcap_time;

	if (app->cfg.dist_sw && rte_lcore_count() < 3)
		die_bad_input("--dist sw: needs at least three lcores (main, one RX lcore, and "
			      "workers), e.g. -l 0-2");
	if (rte_lcore_count() - 1 > DPP_MAX_WORKERS)
		die_bad_input("-l: too many lcores for this build");
	if (app->producer != NULL && rte_lcore_count() < 3)
		die_bad_input("--load: needs at least three lcores (main, the producer, and "
			      "workers), e.g. -l 0-2 or --lcores 0@0,1@0,2@1");

	/* In --dist sw the first lcore after the main one is the RX lcore. */
	bool producer_placed = false;

	RTE_LCORE_FOREACH_WORKER(lcore_id) {
		/* With --load the first lcore after the main one is the ring port's NIC. */
		if (app->producer != NULL && !producer_placed) {
			app->producer->lcore_id = (uint16_t)lcore_id;
			producer_placed = true;
			continue;
		}
		if (app->cfg.dist_sw && app->rx == NULL) {
			app->rx = new_lcore_ctx(app, lcore_id, DPP_ROLE_RX, ts_off, ts_bit);
			continue;
		}
		struct dpp_lcore_ctx *ctx = new_lcore_ctx(app, lcore_id, DPP_ROLE_WORKER, ts_off,
							  ts_bit);

		attach_flow_table(app, ctx, app->nb_workers);
		app->workers[app->nb_workers++] = ctx;
	}

	bool all_finite = true;

	for (uint16_t p = 0; p < app->nb_ports; p++)
		all_finite &= app->ports[p].finite;
	for (uint16_t w = 0; w < app->nb_workers; w++)
		app->workers[w]->export_wait = all_finite;
	if (app->rx != NULL)
		app->rx->export_wait = all_finite;

	if (app->rx != NULL) {
		uint16_t link_type = app->ports[0].queue[0].link_type;
		uint32_t snaplen = UINT32_MAX;

		/* Every port queue on the RX lcore; one ring from it to each worker. */
		for (uint16_t p = 0; p < app->nb_ports; p++)
			for (uint16_t q = 0; q < app->ports[p].nb_rxq; q++) {
				const struct dpp_port_queue *pq = &app->ports[p].queue[q];

				/*
				 * A worker's ring mixes every queue's packets: one link
				 * type for all, and the smallest snap length (a frame
				 * that long may have been sliced) stands for all.
				 */
				if (pq->link_type != link_type)
					die_bad_input("--dist sw: every input must have the same link "
						      "type (use --dist queues for mixed captures)");
				if (pq->snaplen == 0 || pq->snaplen < snaplen)
					snaplen = pq->snaplen;
				attach_port_queue(app, app->rx, &app->ports[p], q);
			}
		for (uint16_t w = 0; w < app->nb_workers; w++) {
			struct dpp_lcore_ctx *ctx = app->workers[w];
			struct dpp_rxq *src = &ctx->rxq[ctx->nb_rxq++];
			char name[DPP_RING_NAMESIZE];

			snprintf(name, sizeof(name), "dist%u-w%u", app->rx->lcore_id, ctx->lcore_id);
			app->rx->dist[w] = dpp_ring_create(name, app->cfg.dist_ring,
							   sizeof(struct rte_mbuf *),
							   (int)rte_lcore_to_socket_id(ctx->lcore_id));
			if (app->rx->dist[w] == NULL)
				rte_exit(EXIT_FAILURE, "cannot create ring %s: %s\n", name,
					 rte_strerror(rte_errno));
			app->rings[app->nb_rings++] = app->rx->dist[w];
			src->dist_ring = app->rx->dist[w];
			src->queue_id = w;
			src->link_type = link_type;
			src->snaplen = snaplen;
			src->pcap_time = all_pcap;
			if (dpp_rxq_stats_init(&src->stats, ctx->burst, SOCKET_ID_ANY) != 0)
				rte_exit(EXIT_FAILURE, "cannot allocate ring stats\n");
		}
		app->rx->nb_dist = app->nb_workers;
	} else {
		/* Spread every (port, queue) over the workers, round robin. */
		for (uint16_t p = 0; p < app->nb_ports; p++)
			for (uint16_t q = 0; q < app->ports[p].nb_rxq; q++)
				attach_port_queue(app, app->workers[next++ % app->nb_workers],
						  &app->ports[p], q);
	}

	/* Stats sources: main lcore first, then the RX lcore, then the workers. */
	uint16_t nl = 0;

	app->lcores[nl++] = (struct dpp_stats_lcore_src){
		.lcore = (uint16_t)rte_get_main_lcore(), .role = "main"};
	if (app->rx != NULL)
		app->lcores[nl++] = (struct dpp_stats_lcore_src){
			.lcore = app->rx->lcore_id, .role = "rx", .c = &app->rx->counters};
	for (uint16_t i = 0; i < app->nb_workers; i++)
		app->lcores[nl++] = (struct dpp_stats_lcore_src){
			.lcore = app->workers[i]->lcore_id,
			.role = "worker",
			.c = &app->workers[i]->counters,
			.flows = app->workers[i]->flows,
		};
	app->src = (struct dpp_stats_src){
		.nb_ports = app->nb_ports,
		.ports = app->port_ids,
		.nb_queues = app->nb_queues,
		.queues = app->queues,
		.nb_lcores = nl,
		.lcores = app->lcores,
		.nb_rings = app->nb_rings,
		.rings = app->rings,
		.tables = {
			.count = app->nb_workers,
			.capacity = app->cfg.flow_capacity,
			.flow_state_bytes = dpp_flow_state_size(),
			.bytes = (uint64_t)app->flow_table_bytes * app->nb_workers,
		},
		.nb_services = app->nb_workers,
		.services = app->services,
		.services_top = app->cfg.services,
	};
}

/*
 * Move ended-flow records from every worker's ring to the flows output.
 * At most one ring's worth from each worker per call: under a SYN flood a
 * worker can end flows as fast as they are written, and an unbounded drain
 * would never return to the control loop (no snapshots, no --duration, no
 * signal handling). What is left stays for the next call.
 */
static unsigned int drain_exports(struct app *app)
{
	struct dpp_flow_record recs[32];
	unsigned int total = 0;

	for (uint16_t w = 0; w < app->nb_workers; w++) {
		struct dpp_ring *ring = app->workers[w]->export_ring;
		unsigned int budget = ring->size;
		unsigned int n;

		while (budget > 0 &&
		       (n = dpp_ring_dequeue(ring, recs, RTE_MIN(budget, RTE_DIM(recs)))) > 0) {
			for (unsigned int i = 0; i < n; i++) {
				if (!app->output_failed &&
				    dpp_flow_json_write(app->flows_out, &recs[i]) != 0)
					fail_output(app, "flows", app->cfg.flows_path);
				dpp_publisher_note_flow(app->pub, &recs[i]);
			}
			total += n;
			budget -= n;
		}
	}
	app->flow_records += total;
	return total;
}

/*
 * End of finite captures: DPDK gives no signal, so watch for every queue
 * being polled and returning nothing while the ports' ierrors and
 * rx_nombuf stand still (an empty pool also makes rx return 0, but then
 * rx_nombuf grows).
 */
struct eof_watch {
	uint64_t packets;
	uint64_t polls;
	uint64_t errors;
	int quiet;
};

/*
 * The quick answer: every capture's complete records (counted before EAL
 * started) have been taken from its queue, and none wait in the RX
 * lcore's rings. No waiting for quiet polls, so a small capture ends in
 * milliseconds. False when a count is unknown.
 */
static bool inputs_all_read(const struct app *app)
{
	for (uint16_t p = 0; p < app->nb_ports; p++)
		if (!app->ports[p].finite)
			return false;
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		const struct dpp_stats_queue_src *src = &app->queues[q];
		const struct dpp_port *port = NULL;

		for (uint16_t p = 0; p < app->nb_ports; p++)
			if (app->ports[p].port_id == src->port_id)
				port = &app->ports[p];
		if (port == NULL || src->queue_id >= RTE_DIM(port->queue) ||
		    src->rx->packets < port->queue[src->queue_id].records ||
		    port->queue[src->queue_id].records == 0)
			return false;
	}
	if (app->rx != NULL)
		for (uint16_t w = 0; w < app->rx->nb_dist; w++)
			if (dpp_ring_count(app->rx->dist[w]) != 0)
				return false;
	/* And every worker has tracked all it polled (it counts packets after a burst). */
	for (uint16_t w = 0; w < app->nb_workers; w++) {
		const struct dpp_lcore_ctx *ctx = app->workers[w];
		uint64_t polled = 0;

		for (uint16_t i = 0; i < ctx->nb_rxq; i++)
			polled += __atomic_load_n(&ctx->rxq[i].stats.packets, __ATOMIC_RELAXED);
		if (__atomic_load_n(&ctx->counters.packets, __ATOMIC_ACQUIRE) != polled)
			return false;
	}
	return true;
}

static bool inputs_exhausted(struct app *app, struct eof_watch *ew)
{
	uint64_t packets = 0, polls = 0, errors = 0;
	uint64_t min_polls = UINT64_MAX;

	for (uint16_t p = 0; p < app->nb_ports; p++) {
		struct rte_eth_stats st;

		if (!app->ports[p].finite)
			return false;
		if (rte_eth_stats_get(app->ports[p].port_id, &st) == 0)
			errors += st.ierrors + st.rx_nombuf;
	}
	/*
	 * net_pcap returns 0 without counting anything when its pool is empty,
	 * which looks like the end of the file: not the end while packets
	 * still wait in the RX lcore's rings (they hold mbufs).
	 */
	if (app->rx != NULL)
		for (uint16_t w = 0; w < app->rx->nb_dist; w++)
			if (dpp_ring_count(app->rx->dist[w]) != 0) {
				ew->quiet = 0;
				return false;
			}
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		packets += app->queues[q].rx->packets;
		polls += app->queues[q].rx->polls;
		if (app->queues[q].rx->polls < min_polls)
			min_polls = app->queues[q].rx->polls;
	}
	if (packets == ew->packets && errors == ew->errors && polls > ew->polls + app->nb_queues &&
	    min_polls > 0)
		ew->quiet++;
	else
		ew->quiet = 0;
	ew->packets = packets;
	ew->polls = polls;
	ew->errors = errors;
	return ew->quiet >= DPP_EOF_QUIET_CHECKS;
}

static void write_snapshot(struct app *app, struct dpp_stats_writer *sw, bool final)
{
	double ts = wall_now();

	if (sw == NULL && app->pub == NULL)
		return;
	flow_mem_usage(app->flow_mem, app->nb_workers, app->flow_mem_size,
		       &app->src.tables.resident_bytes, &app->src.tables.huge_bytes);
	errno = 0;
	if (sw != NULL && dpp_stats_write(sw, ts, final) != 0)
		fail_output(app, "stats", app->cfg.stats_path);
	/*
	 * The live interfaces' copy, with or without --stats
	 * (stats/dpp_publish.h), right after the JSON line: the services
	 * copies that line asked the workers for are the ones it merges.
	 */
	if (app->pub != NULL)
		dpp_publisher_snapshot(app->pub, ts, final, sw == NULL);
}

int main(int argc, char **argv)
{
	static struct app app;
	char err[DPP_CONFIG_ERR_LEN];
	char **probe_argv;
	int eal_argc, probe_argc, rc;
	struct dpp_stats_writer *sw = NULL;
	struct eof_watch ew = {0};
	double start, next_stats, next_eof_check;
	const char *why = "end of input";
	unsigned int lcore_id;

	split_args(argc, argv, &eal_argc, &probe_argv, &probe_argc);

	/* Probe options are checked before EAL starts: a typo costs nothing. */
	rc = dpp_config_parse(&app.cfg, probe_argc, probe_argv, err, sizeof(err));
	if (rc < 0)
		die_bad_input(err);
	if (rc == DPP_CONFIG_HELP) {
		fputs(dpp_config_usage(), stdout);
		return 0;
	}
	if (rc == DPP_CONFIG_VERSION) {
		printf("dpprobe %s (DPDK %s)\n", DPP_VERSION, rte_version());
		return 0;
	}

	/* Capture files too: a wrong one is one line, before EAL prints anything. */
	rc = dpp_captures_check(eal_argc, argv, err, sizeof(err));
	if (rc < 0)
		die_bad_input(err);

	/* --prometheus: bind now, so a busy address is one line before EAL starts. */
	app.prom_fd = -1;
	if (app.cfg.prometheus[0] != '\0') {
		app.prom_fd = dpp_prom_listen((const struct sockaddr *)&app.cfg.prometheus_addr,
					      app.cfg.prometheus_addrlen, app.cfg.prometheus, err,
					      sizeof(err));
		if (app.prom_fd < 0)
			die_bad_input(err);
	}

	/*
	 * EAL's telemetry warns that it made no legacy socket (harmless), on
	 * stderr, before any error of ours: quiet by default (a later
	 * --log-level on the command line still wins).
	 */
	char **eal_argv = calloc((size_t)eal_argc + 2, sizeof(*eal_argv));
	static char quiet_telemetry[] = "--log-level=lib.telemetry:error";

	if (eal_argv == NULL)
		rte_exit(EXIT_FAILURE, "out of memory\n");
	eal_argv[0] = argv[0];
	eal_argv[1] = quiet_telemetry;
	for (int i = 1; i < eal_argc; i++)
		eal_argv[i + 1] = argv[i];
	rc = rte_eal_init(eal_argc > 0 ? eal_argc + 1 : 0, eal_argv);
	if (rc < 0) {
		snprintf(err, sizeof(err), "EAL initialisation failed: %s (check the EAL options "
			 "before --)", rte_strerror(rte_errno));
		die_bad_input(err);
	}

	if (rte_lcore_count() < 2)
		die_bad_input("-l: need at least two lcores (the main lcore controls, the others "
			      "poll), e.g. -l 0,1 or --lcores 0@0,1@0");

	/* --load: the ring port exists before the ports are set up, like any vdev. */
	if (app.cfg.load != DPP_LOAD_NONE) {
		rc = dpp_producer_setup(&app.cfg, &app.producer, err, sizeof(err));
		if (rc < 0)
			die_bad_input(err);
	}

	rc = dpp_ports_setup(&app.cfg, app.ports, (uint16_t)(rte_lcore_count() - 1), err,
			     sizeof(err));
	if (rc < 0)
		die_bad_input(err);
	app.nb_ports = (uint16_t)rc;
	for (uint16_t i = 0; i < app.nb_ports; i++) {
		app.port_ids[i] = app.ports[i].port_id;
		/* A replayed capture's frames are of its link type. */
		if (app.producer != NULL && app.ports[i].port_id == app.producer->rp->port_id)
			app.ports[i].queue[0].link_type = app.producer->link_type;
	}

	setup_lcores(&app);

	/* What Prometheus and telemetry read: published by this lcore only. */
	app.pub = dpp_publisher_create(&app.src);
	if (app.pub == NULL)
		rte_exit(EXIT_FAILURE, "cannot create the snapshot publisher\n");
	if (dpp_telemetry_register(app.pub, app.open_flows, app.nb_workers) != 0)
		DPP_LOG(WARNING, "cannot register the /dpprobe/ telemetry commands\n");

	/* Outputs are opened last, so a run that fails to start writes nothing. */
	app.flows_out = open_output(app.cfg.flows_path, "flows");
	if (app.cfg.stats_path[0] != '\0') {
		app.stats_out = open_output(app.cfg.stats_path, "stats");
		sw = dpp_stats_writer_create(app.stats_out, &app.src);
		if (sw == NULL)
			rte_exit(EXIT_FAILURE, "cannot create stats writer\n");
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* Started here, the control thread shares this lcore's CPUs, never a worker's. */
	if (app.prom_fd >= 0) {
		app.prom = dpp_prom_start(app.prom_fd, app.pub);
		if (app.prom == NULL)
			rte_exit(EXIT_FAILURE, "--prometheus %s: cannot start the HTTP server\n",
				 app.cfg.prometheus);
	}

	for (uint16_t w = 0; w < app.nb_workers; w++)
		rte_eal_remote_launch(dpp_worker_main, app.workers[w], app.workers[w]->lcore_id);
	if (app.rx != NULL)
		rte_eal_remote_launch(dpp_rx_main, app.rx, app.rx->lcore_id);
	if (app.producer != NULL)
		rte_eal_remote_launch(dpp_producer_main, app.producer, app.producer->lcore_id);

	start = wall_now();
	next_stats = start + app.cfg.stats_interval_s;
	next_eof_check = start + DPP_EOF_CHECK_MS / 1000.0;
	for (;;) {
		double now;

		if (drain_exports(&app) == 0) {
			if (inputs_all_read(&app)) {
				/* The table as the input left it, before the exit flush. */
				write_snapshot(&app, sw, false);
				break;
			}
			rte_delay_us_sleep(1000);
		} else {
			errno = 0;
			if (fflush(app.flows_out) != 0)
				fail_output(&app, "flows", app.cfg.flows_path);
		}
		now = wall_now();
		if (now >= next_stats) {
			write_snapshot(&app, sw, false);
			next_stats += app.cfg.stats_interval_s;
			if (next_stats < now)
				next_stats = now + app.cfg.stats_interval_s;
		}
		if (signal_received) {
			why = signal_received == SIGINT ? "SIGINT" : "SIGTERM";
			break;
		}
		if (app.output_failed) {
			why = "an output failed";
			break;
		}
		if (app.cfg.duration_s > 0 && now - start >= app.cfg.duration_s) {
			why = "--duration";
			break;
		}
		if (now >= next_eof_check) {
			next_eof_check = now + DPP_EOF_CHECK_MS / 1000.0;
			if (inputs_exhausted(&app, &ew))
				break;
		}
		if (app.producer != NULL && dpp_producer_drained(app.producer)) {
			why = "--load-packets offered";
			break;
		}
	}
	DPP_LOG(INFO, "stopping (%s)\n", why);

	/*
	 * Clean stop: the producer (if any) stops offering, the RX lcore (if
	 * any) drains its queues into the workers' rings; then workers drain
	 * and flush their tables.
	 */
	if (app.producer != NULL) {
		app.producer->stop = true;
		while (!__atomic_load_n(&app.producer->done, __ATOMIC_ACQUIRE)) {
			drain_exports(&app);
			rte_delay_us_sleep(100);
		}
	}
	if (app.rx != NULL) {
		app.rx->stop = true;
		while (!__atomic_load_n(&app.rx->done, __ATOMIC_ACQUIRE)) {
			drain_exports(&app);
			rte_delay_us_sleep(100);
		}
	}
	for (uint16_t w = 0; w < app.nb_workers; w++)
		app.workers[w]->stop = true;
	for (;;) {
		bool all_done = true;

		drain_exports(&app);
		for (uint16_t w = 0; w < app.nb_workers; w++)
			all_done &= __atomic_load_n(&app.workers[w]->done, __ATOMIC_ACQUIRE);
		if (all_done)
			break;
		rte_delay_us_sleep(100);
	}
	RTE_LCORE_FOREACH_WORKER(lcore_id)
		rte_eal_wait_lcore(lcore_id);
	while (drain_exports(&app) != 0)
		;
	errno = 0;
	if (fflush(app.flows_out) != 0)
		fail_output(&app, "flows", app.cfg.flows_path);

	write_snapshot(&app, sw, true);
	dpp_stats_writer_free(sw);
	if (app.producer != NULL && app.cfg.load_record[0] != '\0' &&
	    dpp_ring_record_write(app.producer->rp, app.cfg.load_record) != 0) {
		errno = EIO;
		fail_output(&app, "load-record", app.cfg.load_record);
	}
	/* Readers stop before EAL goes: no scrape or telemetry answer after this. */
	dpp_prom_stop(app.prom);
	dpp_publisher_close(app.pub);

	errno = 0;
	if (app.flows_out != stdout && fclose(app.flows_out) != 0)
		fail_output(&app, "flows", app.cfg.flows_path);
	errno = 0;
	if (app.stats_out != NULL && app.stats_out != stdout && fclose(app.stats_out) != 0)
		fail_output(&app, "stats", app.cfg.stats_path);

	dpp_ports_close(app.ports, app.nb_ports);
	dpp_producer_free(app.producer);
	dpp_captures_free();
	for (uint16_t w = 0; w < app.nb_workers; w++)
		munmap(app.flow_mem[w], app.flow_mem_size);
	{
		/* Leave no empty runtime directory behind (rmdir fails if others use it). */
		char rundir[PATH_MAX];

		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		rmdir(rundir);
		free(eal_argv);
	}

	if (app.output_failed) {
		fprintf(stderr, "dpprobe: error: %s\n", app.output_error);
		return EXIT_FAILURE;
	}
	return 0;
}
