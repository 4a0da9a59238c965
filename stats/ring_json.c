/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ring-sizing study's numbers of a ring port queue, in the stats
 * snapshot: occupancy at each poll (exact, from rte_ring_count), each
 * packet's sojourn from its arrival stamp to its dequeue, drops by cause
 * and the worker's cycles per packet. Main lcore; the counters are written
 * by the producer and the worker while this reads them (64-bit loads, so
 * each is a value that was, if not all from the same instant).
 */

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

/* A key and a double with that many decimals. */
#define PUT_F(j, key, v, prec)                                                                     \
	do {                                                                                       \
		DPP_JSON_KEY(j, key);                                                              \
		dpp_json_double(j, v, prec);                                                       \
	} while (0)

void dpp_stats_write_ring_port(struct dpp_json *j, const struct dpp_ring_port *rp)
{
	const struct dpp_ring_poll_stats *ps = &rp->poll;
	const double us = 1e6 / (double)rp->tsc_hz;
	uint64_t offered = rp->offered;
	uint64_t lost = rp->ring_full + rp->pool_empty;

	DPP_JSON_KEY(j, "ring_port");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "size", rp->size);
	DPP_JSON_U64(j, "offered", offered);
	DPP_JSON_U64(j, "dequeued", ps->packets);
	DPP_JSON_KEY(j, "drops");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "ring_full", rp->ring_full);
	DPP_JSON_U64(j, "pool_empty", rp->pool_empty);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "loss");
	dpp_json_double_g(j, offered ? (double)lost / (double)offered : 0.0, 9);

	DPP_JSON_KEY(j, "occupancy");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "polls", ps->polls);
	DPP_JSON_U64(j, "p50", occ_quantile(ps->occ_hist, rp->size, ps->polls, 0.5));
	DPP_JSON_U64(j, "p99", occ_quantile(ps->occ_hist, rp->size, ps->polls, 0.99));
	DPP_JSON_U64(j, "p999", occ_quantile(ps->occ_hist, rp->size, ps->polls, 0.999));
	DPP_JSON_U64(j, "max", ps->occ_max);
	DPP_JSON_U64(j, "full_polls", ps->full_polls);
	DPP_JSON_KEY(j, "full_frac");
	dpp_json_double_g(j, ps->polls ? (double)ps->full_polls / (double)ps->polls : 0.0, 9);
	dpp_json_obj_end(j);

	DPP_JSON_KEY(j, "occupancy_hist");
	dpp_json_arr_begin(j);
	/* Only up to the largest occupancy seen: the rest is zeros. */
	for (uint32_t i = 0; i <= ps->occ_max && i <= rp->size; i++)
		dpp_json_u64(j, ps->occ_hist[i]);
	dpp_json_arr_end(j);

	DPP_JSON_KEY(j, "sojourn_us");
	dpp_json_obj_begin(j);
	PUT_F(j, "p50", dpp_loghist_quantile(ps->sojourn, 0.5) * us, 3);
	PUT_F(j, "p99", dpp_loghist_quantile(ps->sojourn, 0.99) * us, 3);
	PUT_F(j, "p999", dpp_loghist_quantile(ps->sojourn, 0.999) * us, 3);
	PUT_F(j, "max", (double)ps->sojourn->max * us, 3);
	dpp_json_obj_end(j);

	PUT_F(j, "cycles_per_pkt",
	      ps->packets ? (double)ps->busy_cycles / (double)ps->packets : 0.0, 1);
	DPP_JSON_U64(j, "tsc_hz", rp->tsc_hz);
	DPP_JSON_U64(j, "empty_polls", ps->empty_polls);
	PUT_F(j, "empty_poll_cycles",
	      ps->empty_polls ? (double)ps->empty_cycles / (double)ps->empty_polls : 0.0, 1);
	DPP_JSON_U64(j, "stalls", ps->stalls);
	DPP_JSON_U64(j, "stall_cycles", ps->stall_cycles);
	DPP_JSON_U64(j, "idle_gaps", ps->idle_gaps);
	DPP_JSON_U64(j, "busy_preemptions", ps->aways);
	DPP_JSON_U64(j, "busy_preempted_cycles", ps->away_cycles);
	dpp_json_obj_end(j);
}
