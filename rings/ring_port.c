/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A NIC ring you can see into. Virtual PMDs say nothing of their ring's
 * fill (rte_eth_rx_queue_count is -ENOTSUP on all of them), so the
 * ring-sizing study builds its "NIC" from one of the probe's own
 * rte_rings: net_ring (rte_eth_from_rings) turns it into an ethdev the
 * worker polls with rte_eth_rx_burst like any port, a producer lcore
 * enqueues into it as a NIC's DMA would, and rte_ring_count() gives the
 * exact occupancy at every poll.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "dpp_rings.h"

#define DPP_STAMP_DYNFIELD "dpp_arrival_tsc"

double dpp_loghist_quantile(const struct dpp_loghist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0.0;
	if (q >= 1.0)
		return (double)h->max;
	/* The smallest value with at least q of the counts at or below it. */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count || rank == 0)
		rank++;
	for (unsigned int i = 0; i < DPP_LOGHIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			unsigned int g = i >> DPP_LOGHIST_SUB_BITS;
			double lo, width;

			if (g == 0)
				return (double)i;
			lo = (double)((uint64_t)(DPP_LOGHIST_SUB + (i & (DPP_LOGHIST_SUB - 1)))
				      << (g - 1));
			width = (double)(1ull << (g - 1));
			/* Exact below 128 (width 1); else the bucket's middle. */
			return width <= 1.0 ? lo : lo + width / 2.0;
		}
	}
	return (double)h->max;
}

static void record_free(struct dpp_ring_record *r)
{
	if (r == NULL)
		return;
	free(r->arr_tsc);
	free(r->arr_fate);
	free(r->poll_tsc);
	free(r->poll_n);
	free(r->poll_occ);
	free(r->poll_svc);
	free(r->vac_start);
	free(r->vac_end);
	free(r->vac_kind);
	free(r);
}

/*
 * Plain (not EAL) memory: a record of millions of entries would not fit a
 * --no-huge -m 256 heap, and pages are touched only as entries are written.
 */
static struct dpp_ring_record *record_alloc(uint64_t max)
{
	struct dpp_ring_record *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->max = max;
	r->vac_max = max;
	r->arr_tsc = calloc(max, sizeof(*r->arr_tsc));
	r->arr_fate = calloc(max, sizeof(*r->arr_fate));
	r->poll_tsc = calloc(max, sizeof(*r->poll_tsc));
	r->poll_n = calloc(max, sizeof(*r->poll_n));
	r->poll_occ = calloc(max, sizeof(*r->poll_occ));
	r->poll_svc = calloc(max, sizeof(*r->poll_svc));
	r->vac_start = calloc(max, sizeof(*r->vac_start));
	r->vac_end = calloc(max, sizeof(*r->vac_end));
	r->vac_kind = calloc(max, sizeof(*r->vac_kind));
	if (r->arr_tsc == NULL || r->arr_fate == NULL || r->poll_tsc == NULL ||
	    r->poll_n == NULL || r->poll_occ == NULL || r->poll_svc == NULL ||
	    r->vac_start == NULL || r->vac_end == NULL || r->vac_kind == NULL) {
		record_free(r);
		return NULL;
	}
	return r;
}

struct dpp_ring_port *dpp_ring_port_create(const char *name, uint32_t size, int socket_id,
					   uint64_t record_max)
{
	static const struct rte_mbuf_dynfield stamp_desc = {
		.name = DPP_STAMP_DYNFIELD,
		.size = sizeof(uint64_t),
		.align = __alignof__(uint64_t),
	};
	char rname[RTE_RING_NAMESIZE];
	struct dpp_ring_port *rp;
	int err = ENOMEM, rc;

	if (name == NULL || size == 0 || (size & (size - 1)) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	rp = rte_zmalloc_socket("dpp_ring_port", sizeof(*rp), RTE_CACHE_LINE_SIZE, socket_id);
	if (rp == NULL)
		rp = rte_zmalloc("dpp_ring_port", sizeof(*rp), RTE_CACHE_LINE_SIZE);
	if (rp == NULL)
		goto fail;
	rp->size = size;
	rp->window_end = UINT64_MAX;
	rp->tsc_hz = rte_get_tsc_hz();
	/* An empty poll takes ~0.1 us; one 1 us late was preempted (or interrupted). */
	rp->poll.idle_gap_cycles = rp->tsc_hz / 1000000;

	/* EXACT_SZ: a ring of K holds K packets, as a NIC ring of K descriptors does. */
	snprintf(rname, sizeof(rname), "%s_rx", name);
	rp->rx = rte_ring_create(rname, size, socket_id,
				 RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	snprintf(rname, sizeof(rname), "%s_tx", name);
	rp->tx = rte_ring_create(rname, 64, socket_id, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rp->rx == NULL || rp->tx == NULL) {
		err = rte_errno;
		goto fail;
	}
	rp->stamp_offset = rte_mbuf_dynfield_register(&stamp_desc);
	if (rp->stamp_offset < 0) {
		err = rte_errno;
		goto fail;
	}
	rp->poll.occ_hist = rte_zmalloc_socket("dpp_occ_hist", sizeof(uint64_t) * (size + 1u),
					       RTE_CACHE_LINE_SIZE, socket_id);
	rp->poll.sojourn = rte_zmalloc_socket("dpp_sojourn", sizeof(struct dpp_loghist),
					      RTE_CACHE_LINE_SIZE, socket_id);
	if (rp->poll.occ_hist == NULL || rp->poll.sojourn == NULL)
		goto fail;
	if (record_max > 0) {
		rp->rec = record_alloc(record_max);
		if (rp->rec == NULL)
			goto fail;
	}
	rc = rte_eth_from_rings(name, &rp->rx, 1, &rp->tx, 1,
				socket_id < 0 ? (unsigned int)rte_socket_id() : (unsigned int)socket_id);
	if (rc < 0) {
		err = rte_errno != 0 ? rte_errno : EINVAL;
		goto fail;
	}
	rp->port_id = (uint16_t)rc;
	return rp;
fail:
	dpp_ring_port_free(rp);
	rte_errno = err;
	return NULL;
}

void dpp_ring_port_free(struct dpp_ring_port *rp)
{
	if (rp == NULL)
		return;
	rte_ring_free(rp->rx);
	rte_ring_free(rp->tx);
	rte_free(rp->poll.occ_hist);
	rte_free(rp->poll.sojourn);
	record_free(rp->rec);
	rte_free(rp);
}

static int put(FILE *f, const void *p, size_t esize, uint64_t n)
{
	return n == 0 || fwrite(p, esize, n, f) == n ? 0 : -EIO;
}

int dpp_ring_record_write(const struct dpp_ring_port *rp, const char *path)
{
	const struct dpp_ring_record *r = rp->rec;
	const struct dpp_ring_poll_stats *ps = &rp->poll;
	FILE *f;
	int rc = 0;

	if (r == NULL)
		return -EINVAL;
	f = fopen(path, "wb");
	if (f == NULL)
		return -errno;
	/* The header says what follows, so the reader needs no struct layout. */
	fprintf(f,
		"{\"format\":\"dpprobe-ring-record\",\"version\":1,\"tsc_hz\":%" PRIu64
		",\"ring_size\":%u,\"window_start\":%" PRIu64 ",\"window_end\":%" PRIu64
		",\"truncated\":%s,\"empty_polls\":%" PRIu64 ",\"empty_cycles\":%" PRIu64
		",\"count_lag_cycles\":%.1f"
		",\"offered\":%" PRIu64 ",\"ring_full\":%" PRIu64 ",\"pool_empty\":%" PRIu64
		",\"arrays\":[[\"arr_tsc\",\"u8\",%" PRIu64 "],[\"arr_fate\",\"u1\",%" PRIu64
		"],[\"poll_tsc\",\"u8\",%" PRIu64 "],[\"poll_n\",\"u4\",%" PRIu64
		"],[\"poll_occ\",\"u4\",%" PRIu64 "],[\"poll_svc\",\"u4\",%" PRIu64
		"],[\"vac_start\",\"u8\",%" PRIu64 "],[\"vac_end\",\"u8\",%" PRIu64
		"],[\"vac_kind\",\"u1\",%" PRIu64 "]]}\n",
		rp->tsc_hz, rp->size, rp->window_start, rp->window_end,
		r->truncated ? "true" : "false", ps->empty_polls, ps->empty_cycles,
		ps->count_lag_polls ? (double)ps->count_lag_cycles / (double)ps->count_lag_polls : 0.0,
		rp->offered,
		rp->ring_full, rp->pool_empty, r->n_arr, r->n_arr, r->n_poll, r->n_poll, r->n_poll,
		r->n_poll, r->n_vac, r->n_vac, r->n_vac);
	rc |= put(f, r->arr_tsc, sizeof(uint64_t), r->n_arr);
	rc |= put(f, r->arr_fate, 1, r->n_arr);
	rc |= put(f, r->poll_tsc, sizeof(uint64_t), r->n_poll);
	rc |= put(f, r->poll_n, sizeof(uint32_t), r->n_poll);
	rc |= put(f, r->poll_occ, sizeof(uint32_t), r->n_poll);
	rc |= put(f, r->poll_svc, sizeof(uint32_t), r->n_poll);
	rc |= put(f, r->vac_start, sizeof(uint64_t), r->n_vac);
	rc |= put(f, r->vac_end, sizeof(uint64_t), r->n_vac);
	rc |= put(f, r->vac_kind, 1, r->n_vac);
	if (fclose(f) != 0)
		rc = -EIO;
	return rc != 0 ? -EIO : 0;
}
