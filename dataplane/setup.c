/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Setting up the lcores before they run: each worker's flow table (in
 * memory of its NUMA node), services table and open-flows board, the RX
 * queues spread over the workers (or over the RX lcore with --dist sw),
 * the producer of --load, and the sources every snapshot reads.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <numa.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "app.h"

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
	ctx->wall_base_ns = dpp_wall_now_ns();
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
		dpp_app_die_bad_input(err);
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
		dpp_app_die_bad_input(err);
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

void dpp_app_setup_lcores(struct app *app)
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
		dpp_app_die_bad_input("--dist sw: needs at least three lcores (main, one RX lcore, and "
			      "workers), e.g. -l 0-2");
	if (rte_lcore_count() - 1 > DPP_MAX_WORKERS)
		dpp_app_die_bad_input("-l: too many lcores for this build");
	if (app->producer != NULL && rte_lcore_count() < 3)
		dpp_app_die_bad_input("--load: needs at least three lcores (main, the producer, and "
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
					dpp_app_die_bad_input("--dist sw: every input must have the same link "
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

void dpp_app_flow_mem_usage(struct app *app)
{
	flow_mem_usage(app->flow_mem, app->nb_workers, app->flow_mem_size,
		       &app->src.tables.resident_bytes, &app->src.tables.huge_bytes);
}
