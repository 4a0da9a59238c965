/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ring-sizing study's numbers of a ring port queue, in the stats
 * snapshot: occupancy at each poll (exact, from rte_ring_count), each
 * packet's sojourn from its arrival stamp to its dequeue, drops by cause
 * and the worker's cycles per packet. Main lcore; the counters are written
 * by the producer and the worker while this reads them (64-bit loads, so
 * each is a value that was, if not all from the same instant).
 */

#include <inttypes.h>

#include <rte_cycles.h>

#include "dpp_stats.h"

/* Smallest occupancy with at least q of the polls at or below it. */
static uint32_t occ_quantile(const uint64_t *hist, uint32_t size, uint64_t polls, double q)
{
	uint64_t seen = 0;
	double rank = q * (double)polls;

	for (uint32_t i = 0; i <= size; i++) {
		seen += hist[i];
		if ((double)seen >= rank && seen > 0)
			return i;
	}
	return size;
}

void dpp_stats_write_ring_port(FILE *f, const struct dpp_ring_port *rp)
{
	const struct dpp_ring_poll_stats *ps = &rp->poll;
	const double us = 1e6 / (double)rp->tsc_hz;
	uint64_t offered = rp->offered;
	uint64_t lost = rp->ring_full + rp->pool_empty;

	fprintf(f,
		",\"ring_port\":{\"size\":%u,\"offered\":%" PRIu64 ",\"dequeued\":%" PRIu64
		",\"drops\":{\"ring_full\":%" PRIu64 ",\"pool_empty\":%" PRIu64 "},\"loss\":%.9g",
		rp->size, offered, ps->packets, rp->ring_full, rp->pool_empty,
		offered ? (double)lost / (double)offered : 0.0);
	fprintf(f,
		",\"occupancy\":{\"polls\":%" PRIu64 ",\"p50\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u"
		",\"full_polls\":%" PRIu64 ",\"full_frac\":%.9g}",
		ps->polls, occ_quantile(ps->occ_hist, rp->size, ps->polls, 0.5),
		occ_quantile(ps->occ_hist, rp->size, ps->polls, 0.99),
		occ_quantile(ps->occ_hist, rp->size, ps->polls, 0.999), ps->occ_max,
		ps->full_polls, ps->polls ? (double)ps->full_polls / (double)ps->polls : 0.0);
	fprintf(f, ",\"occupancy_hist\":[");
	/* Only up to the largest occupancy seen: the rest is zeros. */
	for (uint32_t i = 0; i <= ps->occ_max && i <= rp->size; i++)
		fprintf(f, "%s%" PRIu64, i ? "," : "", ps->occ_hist[i]);
	fprintf(f,
		"],\"sojourn_us\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}",
		dpp_loghist_quantile(ps->sojourn, 0.5) * us,
		dpp_loghist_quantile(ps->sojourn, 0.99) * us,
		dpp_loghist_quantile(ps->sojourn, 0.999) * us,
		(double)ps->sojourn->max * us);
	fprintf(f,
		",\"cycles_per_pkt\":%.1f,\"tsc_hz\":%" PRIu64 ",\"empty_polls\":%" PRIu64
		",\"empty_poll_cycles\":%.1f,\"stalls\":%" PRIu64 ",\"stall_cycles\":%" PRIu64
		",\"idle_gaps\":%" PRIu64 ",\"busy_preemptions\":%" PRIu64
		",\"busy_preempted_cycles\":%" PRIu64 "}",
		ps->packets ? (double)ps->busy_cycles / (double)ps->packets : 0.0, rp->tsc_hz,
		ps->empty_polls,
		ps->empty_polls ? (double)ps->empty_cycles / (double)ps->empty_polls : 0.0,
		ps->stalls, ps->stall_cycles, ps->idle_gaps, ps->aways, ps->away_cycles);
}
