/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore loop: poll each RX queue it owns, stamp each packet with
 * its packet time, parse it, track it, free it. Everything it writes lives
 * in its own struct dpp_lcore_ctx; no locks, no syscalls, no logging here.
 */

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "dpp_dataplane.h"

/* Polls between two occupancy samples of a queue. */
#define DPP_OCCUPANCY_EVERY 64
/* Packets prefetched ahead of the one being parsed (l3fwd does the same). */
#define DPP_PREFETCH_AHEAD 3
/* At shutdown a worker waits this long for room in its export ring. */
#define DPP_FLUSH_WAIT_SEC 10

int dpp_worker_export(void *arg, const struct dpp_flow_record *rec)
{
	struct dpp_lcore_ctx *ctx = arg;
	struct dpp_flow_record copy = *rec;

	copy.lcore = ctx->lcore_id;
	/*
	 * Live input can't wait: a full ring drops the record, counted. When
	 * every input is a capture file nothing is lost by waiting, and a
	 * replay must give every record, so the worker waits instead.
	 */
	if (likely(!ctx->flushing && !ctx->export_wait)) {
		if (dpp_ring_enqueue(ctx->export_ring, &copy, 1) == 1) {
			dpp_services_add(ctx->services, &copy);
			return 0;
		}
		ctx->counters.export_drops++;
		dpp_services_drop(ctx->services, &copy);
		return -1;
	}
	/*
	 * At shutdown, or reading files, the main lcore is draining the ring:
	 * wait for room rather than lose a record, but never forever.
	 */
	uint64_t deadline = rte_rdtsc() + DPP_FLUSH_WAIT_SEC * ctx->tsc_hz;

	while (dpp_ring_try_enqueue(ctx->export_ring, &copy, 1) != 1) {
		if (rte_rdtsc() > deadline) {
			ctx->export_ring->enq_drops++;
			ctx->counters.export_drops++;
			dpp_services_drop(ctx->services, &copy);
			return -1;
		}
		rte_pause();
	}
	/* Only records that will be written count, so services add up to them. */
	dpp_services_add(ctx->services, &copy);
	return 0;
}

void dpp_worker_flow_open(void *arg, uint8_t ip_version, const uint8_t ip[16], uint16_t port,
			  uint64_t ts_ns)
{
	struct dpp_lcore_ctx *ctx = arg;

	dpp_services_open(ctx->services, ip_version, ip, port, ts_ns);
}

/* Wall-clock ns from the TSC, for packets without a PMD timestamp. */
static inline uint64_t tsc_to_ns(const struct dpp_lcore_ctx *ctx, uint64_t tsc)
{
	uint64_t d = tsc - ctx->tsc_base;

	return ctx->wall_base_ns + (d / ctx->tsc_hz) * 1000000000ull +
	       ((d % ctx->tsc_hz) * 1000000000ull) / ctx->tsc_hz;
}

/* 2^32 seconds in microseconds: see packet_ns(). */
#define PCAP_TIME_WRAP_US (4294967296ull * 1000000ull)

/*
 * Packet time: net_pcap puts the pcap record time, in microseconds, in
 * the timestamp dynfield and sets the rx-timestamp flag. libpcap reads the
 * record's seconds as a signed 32-bit number, so from 2038 on the value
 * comes out negative (a huge uint64): pcap's seconds are unsigned, good
 * until 2106 (CONTRACT "Timestamps"), so it is taken modulo 2^32 s.
 */
static inline uint64_t packet_ns(const struct dpp_lcore_ctx *ctx, const struct dpp_rxq *q,
				 const struct rte_mbuf *m, uint64_t burst_ns, uint16_t i)
{
	if (q->pcap_time && ctx->ts_dynfield_offset >= 0 && (m->ol_flags & ctx->ts_dynflag)) {
		uint64_t us = *RTE_MBUF_DYNFIELD(m, ctx->ts_dynfield_offset, const uint64_t *);

		if (unlikely((int64_t)us < 0))
			us += PCAP_TIME_WRAP_US;
		return us * 1000ull;
	}
	return burst_ns + i;
}

/*
 * The frame as the parser wants it: contiguous bytes (at most 64 KiB; a
 * chain, as net_pcap builds for jumbo records, is copied into `linear`),
 * its captured length and what is known of its wire length. The captured
 * length is the sum of the segments' data_len, not pkt_len: net_pcap
 * stores pkt_len in 16 bits, so a record over 64 KiB (Linux BIG TCP) has a
 * pkt_len shorter than its chain. A capture file's frame shorter than the
 * snap length is complete; one as long may have been sliced, and a live
 * port's frames may have been sliced by a packet broker (CONTRACT "Sliced
 * frames count").
 */
static inline void frame_of(const struct dpp_rxq *q, struct rte_mbuf *m, uint8_t *linear,
			    struct dpp_frame *fr, uint32_t *frame_len)
{
	uint32_t total = 0, copied = 0;

	fr->link_type = q->link_type;
	if (likely(m->nb_segs == 1)) {
		fr->data = rte_pktmbuf_mtod(m, const uint8_t *);
		total = copied = m->data_len;
	} else {
		for (const struct rte_mbuf *seg = m; seg != NULL; seg = seg->next) {
			uint32_t n = RTE_MIN((uint32_t)seg->data_len, (UINT16_MAX + 1u) - copied);

			rte_memcpy(linear + copied, rte_pktmbuf_mtod(seg, const uint8_t *), n);
			copied += n;
			total += seg->data_len;
		}
		fr->data = linear;
	}
	fr->len = copied;
	fr->wire_len = (q->snaplen != 0 && total < q->snaplen) ? total : DPP_WIRE_LEN_UNKNOWN;
	/* A record whose wire length was noted (see mark_big_records()): in pkt_len. */
	if (unlikely(m->pkt_len > total)) {
		fr->wire_len = m->pkt_len;
		total = m->pkt_len;
	}
	*frame_len = total;
}

/*
 * Parse m into *view; false (counted by reason) when it is not a segment
 * the tracker takes.
 */
static inline bool parse_one(struct dpp_lcore_ctx *ctx, const struct dpp_rxq *q,
			     struct rte_mbuf *m, struct dpp_pkt_view *view, uint8_t *linear,
			     uint32_t *frame_len)
{
	struct dpp_frame fr;
	int rc;

	frame_of(q, m, linear, &fr, frame_len);
	rc = dpp_tcp_parse_frame(&fr, view);
	if (unlikely(rc != DPP_PARSE_TCP)) {
		ctx->counters.parse[rc]++;
		return false;
	}
	ctx->counters.sliced += view->sliced;
	return true;
}

/*
 * A poll of the ring-sizing study's ring port: the exact occupancy just
 * before the dequeue (rte_ring_count on the port's own ring), and each
 * packet's sojourn from its arrival stamp to the moment it was dequeued
 * (the TSC read right after rx_burst: the poll is timed by its dequeue).
 * If the OS took the lcore away between the count and the dequeue, the
 * count is stale: that gap is a vacation and the poll's occupancy is not
 * sampled.
 */
static __rte_noinline uint16_t ring_port_poll(struct dpp_rxq *q, struct rte_mbuf **pkts,
					      uint16_t burst)
{
	struct dpp_ring_port *rp = q->ring_port;
	uint64_t before = rte_rdtsc();
	uint32_t occ = rte_ring_count(rp->rx);
	uint16_t n = rte_eth_rx_burst(q->port_id, q->queue_id, pkts, burst);
	uint64_t now = rte_rdtsc();
	bool fresh = now - before <= rp->poll.idle_gap_cycles;

	if (unlikely(!fresh)) {
		dpp_ring_port_away(rp, before, now);
	} else {
		rp->poll.count_lag_cycles += now - before;
		rp->poll.count_lag_polls++;
	}
	dpp_rxq_account_poll(&q->stats, n);
	dpp_rxq_account_occupancy(&q->stats, (int)occ);
	for (uint16_t i = 0; i < n; i++) {
		uint64_t stamp = dpp_ring_port_stamp(rp, pkts[i]);

		dpp_loghist_add(rp->poll.sojourn, stamp < now ? now - stamp : 0);
	}
	dpp_ring_port_poll(rp, now, occ, n, fresh);
	return n;
}

/*
 * --work-ns: spin as long as n packets more would cost, a fixed or an
 * exponential amount each. Runs after the burst is tracked, so the ring
 * sees a probe that is that much slower per packet. Time the lcore did not
 * run (the OS preempted it: a gap between two TSC reads far longer than
 * one turn of this loop) does no work: the spin goes on after it, as a
 * preempted probe's work would, and the gap is recorded as a vacation of
 * the ring port, where the model sees it as the server being away.
 */
static __rte_noinline void extra_work(struct dpp_lcore_ctx *ctx, struct dpp_ring_port *rp,
				      uint16_t n)
{
	double cycles = 0;
	uint64_t left, prev, now, gap_max;

	if (ctx->work_exp)
		for (uint16_t i = 0; i < n; i++)
			cycles += dpp_rng_exp(&ctx->rng, ctx->work_cycles);
	else
		cycles = ctx->work_cycles * n;
	left = (uint64_t)cycles;
	gap_max = ctx->tsc_hz / 1000000; /* 1 us: one turn takes ~10 ns */
	prev = rte_rdtsc();
	while (left > 0) {
		uint64_t d;

		rte_pause();
		now = rte_rdtsc();
		d = now - prev;
		if (unlikely(d > gap_max)) {
			if (rp != NULL)
				dpp_ring_port_away(rp, prev, now);
		} else {
			left = d >= left ? 0 : left - d;
		}
		prev = now;
	}
}

/* --stall-us: the poll loop stops as an interrupt or a cache-miss storm would stop it. */
static __rte_noinline void stall(struct dpp_lcore_ctx *ctx)
{
	uint64_t start = rte_rdtsc(), end;

	while (rte_rdtsc() - start < ctx->stall_cycles)
		rte_pause();
	end = rte_rdtsc();
	for (uint16_t i = 0; i < ctx->nb_rxq; i++)
		if (ctx->rxq[i].ring_port != NULL)
			dpp_ring_port_stalled(ctx->rxq[i].ring_port, start, end);
}

/*
 * net_pcap copies a capture record's length in 16 bits, so a record of
 * 64 KiB or more (Linux BIG TCP) arrives cut to its length mod 64 KiB,
 * with nothing to say so. The capture check before EAL noted those
 * records: the packet that is one of them gets its real length in pkt_len
 * (the frame's bytes stay what net_pcap copied; nothing reads past them),
 * so the parser measures it as Wireshark does. Packets are numbered by the
 * queue's packet count, which is also their record number in the file.
 */
static void mark_big_records(struct dpp_rxq *q, struct rte_mbuf **pkts, uint16_t n)
{
	const uint64_t first = q->stats.packets;

	while (q->big_next < q->nb_big && q->big[q->big_next].index < first + n) {
		const struct dpp_big_record *b = &q->big[q->big_next++];

		if (b->index >= first)
			pkts[b->index - first]->pkt_len = b->orig_len;
	}
}

/*
 * One poll of a packet source (an RX queue, or the ring an RX lcore fills)
 * with its fill accounting; occupancy is sampled every DPP_OCCUPANCY_EVERY
 * polls where the PMD supports it.
 */
static inline uint16_t rxq_poll(struct dpp_rxq *q, struct rte_mbuf **pkts, uint16_t burst)
{
	uint16_t n;

	if (unlikely(q->ring_port != NULL))
		return ring_port_poll(q, pkts, burst);
	if (q->dist_ring != NULL)
		n = (uint16_t)dpp_ring_dequeue(q->dist_ring, pkts, burst);
	else
		n = rte_eth_rx_burst(q->port_id, q->queue_id, pkts, burst);
	/*
	 * A file that stops being readable (a corrupt record header): libpcap
	 * errs there, net_pcap reads on and hands over garbage; its complete
	 * records were counted before EAL, the rest is discarded, counted.
	 */
	if (unlikely(q->max_records != 0) && q->stats.packets + n > q->max_records) {
		const uint16_t keep = q->stats.packets >= q->max_records
					      ? 0
					      : (uint16_t)(q->max_records - q->stats.packets);

		rte_pktmbuf_free_bulk(&pkts[keep], n - keep);
		q->stats.past_corrupt_record += n - keep;
		n = keep;
	}
	if (unlikely(q->big_next < q->nb_big) && n != 0)
		mark_big_records(q, pkts, n);
	dpp_rxq_account_poll(&q->stats, n);
	if (unlikely(q->stats.occupancy_supported && q->stats.polls % DPP_OCCUPANCY_EVERY == 0))
		dpp_rxq_account_occupancy(&q->stats,
					  rte_eth_rx_queue_count(q->port_id, q->queue_id));
	return n;
}

static inline uint16_t poll_queue(struct dpp_lcore_ctx *ctx, struct dpp_rxq *q,
				  struct rte_mbuf **pkts, uint8_t *linear)
{
	struct dpp_pkt_view views[DPP_FLOW_BURST_MAX];
	uint64_t ts_ns[DPP_FLOW_BURST_MAX];
	uint64_t bytes = 0;
	uint64_t burst_ns;
	uint16_t n;

	n = rxq_poll(q, pkts, ctx->burst);
	if (n == 0)
		return 0;

	burst_ns = q->pcap_time ? 0 : tsc_to_ns(ctx, rte_rdtsc());
	for (uint16_t i = 0; i < n && i < DPP_PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	/* Parse a chunk, then hand it to the table at once (it prefetches across it). */
	for (uint16_t i = 0; i < n;) {
		uint16_t nb_tcp = 0;

		for (; i < n && nb_tcp < DPP_FLOW_BURST_MAX; i++) {
			uint32_t frame_len;
			uint64_t ts;

			if (i + DPP_PREFETCH_AHEAD < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DPP_PREFETCH_AHEAD], void *));
			bool tcp = parse_one(ctx, q, pkts[i], &views[nb_tcp], linear, &frame_len);

			bytes += frame_len;
			if (!tcp)
				continue;
			ts = packet_ns(ctx, q, pkts[i], burst_ns, i);
			if (ts > ctx->last_pkt_ns)
				ctx->last_pkt_ns = ts;
			ts_ns[nb_tcp++] = ts;
		}
		ctx->counters.tcp += nb_tcp;
		dpp_flow_table_burst(ctx->flows, views, ts_ns, nb_tcp, q->queue_id);
	}
	rte_pktmbuf_free_bulk(pkts, n);
	if (unlikely(ctx->work_cycles > 0))
		extra_work(ctx, q->ring_port, n);

	ctx->counters.packets += n;
	ctx->counters.bytes += bytes;
	/* Age flows in packet time: replaying a capture fast or slow gives the same records. */
	dpp_flow_table_expire(ctx->flows, ctx->last_pkt_ns);
	return n;
}

int dpp_worker_main(void *arg)
{
	struct dpp_lcore_ctx *ctx = arg;
	struct rte_mbuf *pkts[DPP_RXQ_MAX_BURST];
	uint8_t *linear = ctx->linear;
	uint64_t prev = rte_rdtsc();
	bool any_tsc_clock = false;
	uint32_t idle_rounds = 0;

	for (uint16_t i = 0; i < ctx->nb_rxq; i++)
		any_tsc_clock |= !ctx->rxq[i].pcap_time;

	while (!ctx->stop) {
		uint32_t got = 0;
		uint64_t now;

		for (uint16_t i = 0; i < ctx->nb_rxq; i++)
			got += poll_queue(ctx, &ctx->rxq[i], pkts, linear);
		if (unlikely(ctx->stall_every != 0) && ++ctx->stall_count >= ctx->stall_every) {
			ctx->stall_count = 0;
			stall(ctx);
		}

		now = rte_rdtsc();
		ctx->counters.cycles_total += now - prev;
		if (got != 0) {
			ctx->counters.cycles_busy += now - prev;
			idle_rounds = 0;
		} else if (any_tsc_clock && ++idle_rounds % 1024 == 0) {
			/* Live traffic: time passes without packets too. */
			uint64_t now_ns = tsc_to_ns(ctx, now);

			if (now_ns > ctx->last_pkt_ns)
				ctx->last_pkt_ns = now_ns;
			dpp_flow_table_expire(ctx->flows, ctx->last_pkt_ns);
		}
		/* Between polls: a few entries of a requested services copy or open-flows scan. */
		dpp_services_publish_step(ctx->services);
		dpp_open_flows_step(ctx->open_flows, ctx->flows);
		prev = now;
	}

	/* Drain what is already in the rings, bounded, then end every flow. */
	for (int round = 0; round < 1024; round++) {
		uint32_t got = 0;

		for (uint16_t i = 0; i < ctx->nb_rxq; i++)
			got += poll_queue(ctx, &ctx->rxq[i], pkts, linear);
		if (got == 0)
			break;
	}
	ctx->flushing = true;
	dpp_flow_table_flush(ctx->flows);
	__atomic_store_n(&ctx->done, true, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Which worker a packet goes to in --dist sw: the symmetric flow hash, so
 * both directions of a flow meet in one worker's table. Packets that are
 * not trackable TCP go to worker 0, which counts them by reason.
 */
static inline uint16_t dist_pick(const struct dpp_lcore_ctx *ctx, const struct dpp_rxq *q,
				 struct rte_mbuf *m, uint8_t *linear, uint32_t *frame_len)
{
	struct dpp_pkt_view view;
	struct dpp_frame fr;

	frame_of(q, m, linear, &fr, frame_len);
	if (dpp_tcp_parse_frame(&fr, &view) != DPP_PARSE_TCP)
		return 0;
	return (uint16_t)(dpp_flow_hash_sym(&view) % ctx->nb_dist);
}

/*
 * Capture files only: wait for worker w to make room rather than drop, as
 * a replay must see every packet; but never forever (a worker that stopped
 * draining would hang the probe): after DPP_FLUSH_WAIT_SEC the rest is
 * dropped, counted in the ring's enq_drops. Returns how many went in.
 */
static unsigned int dist_wait_enqueue(struct dpp_lcore_ctx *ctx, uint16_t w,
				      struct rte_mbuf **pkts, unsigned int n)
{
	uint64_t deadline = 0;
	unsigned int sent = 0;

	for (;;) {
		sent += dpp_ring_try_enqueue(ctx->dist[w], &pkts[sent], n - sent);
		if (sent == n)
			return sent;
		if (deadline == 0)
			deadline = rte_rdtsc() + DPP_FLUSH_WAIT_SEC * ctx->tsc_hz;
		else if (rte_rdtsc() > deadline)
			return sent;
		rte_pause();
	}
}

int dpp_rx_main(void *arg)
{
	struct dpp_lcore_ctx *ctx = arg;
	struct rte_mbuf *pkts[DPP_RXQ_MAX_BURST];
	struct rte_mbuf *out[DPP_MAX_WORKERS][DPP_RXQ_MAX_BURST];
	uint16_t nb_out[DPP_MAX_WORKERS];
	uint64_t prev = rte_rdtsc();
	uint32_t drain_rounds = 0;

	for (;;) {
		uint32_t got = 0;
		uint64_t now;

		for (uint16_t i = 0; i < ctx->nb_rxq; i++) {
			struct dpp_rxq *q = &ctx->rxq[i];
			uint64_t bytes = 0;
			uint16_t n;

			n = rxq_poll(q, pkts, ctx->burst);
			if (n == 0)
				continue;
			got += n;
			memset(nb_out, 0, sizeof(nb_out[0]) * ctx->nb_dist);
			for (uint16_t k = 0; k < n; k++) {
				uint32_t frame_len;
				uint16_t w = dist_pick(ctx, q, pkts[k], ctx->linear, &frame_len);

				bytes += frame_len;
				out[w][nb_out[w]++] = pkts[k];
			}
			for (uint16_t w = 0; w < ctx->nb_dist; w++) {
				unsigned int sent;

				if (nb_out[w] == 0)
					continue;
				/*
				 * Live input: a full ring drops, counted in its enq_drops,
				 * never wait. Capture files only: wait for the worker.
				 */
				if (ctx->export_wait) {
					sent = dist_wait_enqueue(ctx, w, out[w], nb_out[w]);
					if (unlikely(sent < nb_out[w])) {
						ctx->dist[w]->enq_drops += nb_out[w] - sent;
						rte_pktmbuf_free_bulk(&out[w][sent],
								      nb_out[w] - sent);
					}
					continue;
				}
				sent = dpp_ring_enqueue(ctx->dist[w], out[w], nb_out[w]);
				if (unlikely(sent < nb_out[w]))
					rte_pktmbuf_free_bulk(&out[w][sent], nb_out[w] - sent);
			}
			ctx->counters.packets += n;
			ctx->counters.bytes += bytes;
		}
		now = rte_rdtsc();
		ctx->counters.cycles_total += now - prev;
		if (got != 0)
			ctx->counters.cycles_busy += now - prev;
		prev = now;
		/* Stopping: poll until the queues are empty (bounded: a replay never is). */
		if (ctx->stop && (got == 0 || ++drain_rounds >= 1024))
			break;
	}
	__atomic_store_n(&ctx->done, true, __ATOMIC_RELEASE);
	return 0;
}
