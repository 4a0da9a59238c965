/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_RINGS_H
#define DPP_RINGS_H

/**
 * @file
 * rings: how full the rings are and what they drop.
 *
 * Two kinds of ring carry packets and records through the probe:
 *  - the NIC's RX descriptor rings: sized here, their fill measured by
 *    rte_eth_rx_queue_count() where the PMD supports it, and by a
 *    burst-fill histogram on every PMD (a poll that returns a whole burst
 *    is the software sign of a ring backing up);
 *  - the probe's own rte_rings between lcores, wrapped so each keeps a
 *    high-water mark and counts its enqueue failures.
 * All counters are written by one lcore (the poller or the producer) and
 * read by the main lcore.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

/* ------------------------------------------------------------------ */
/* RX descriptor rings                                                 */
/* ------------------------------------------------------------------ */

/** Largest burst the histogram can describe. */
#define DPP_RXQ_MAX_BURST 512

/** Per-queue fill statistics, written only by the lcore polling the queue. */
/** Buckets of the occupancy histogram: 0, then one per power of two up to 65535. */
#define DPP_RXQ_OCC_BUCKETS 17

struct dpp_rxq_stats {
	uint64_t polls;   /**< rx_burst calls. */
	uint64_t empty;   /**< Polls that returned 0 packets. */
	uint64_t full;    /**< Polls that returned a whole burst. */
	uint64_t packets; /**< Packets returned. */
	uint32_t occupancy_last; /**< Descriptors in use at the last sample. */
	uint32_t occupancy_max;  /**< Highest sample seen. */
	uint64_t occupancy_samples;
	bool occupancy_supported; /**< rte_eth_rx_queue_count works on this queue. */
	uint16_t burst;   /**< Burst size the histogram was made for. */
	uint64_t *hist;   /**< hist[i]: polls that returned i packets, i = 0..burst. */
	/** Occupancy samples by log2: [0] used 0, [b] used in [2^(b-1), 2^b - 1]. */
	uint64_t occupancy_hist[DPP_RXQ_OCC_BUCKETS];
	uint64_t occupancy_sum; /**< Descriptors in use, summed over the samples. */
} __rte_cache_aligned;

/**
 * Pick the RX ring size for a port: the requested size, adjusted to the
 * PMD's limits (rte_eth_dev_adjust_nb_rx_tx_desc).
 *
 * @param port_id   Port.
 * @param requested Requested descriptors (power of two).
 * @param actual    Out: the size the PMD will use.
 * @return 0, or -errno.
 */
int dpp_rxq_ring_size(uint16_t port_id, uint16_t requested, uint16_t *actual);

/**
 * Ask the PMD whether it can report RX ring occupancy for a started queue.
 * Most virtual PMDs answer -ENOTSUP, and then the probe reports
 * "supported": false rather than a made-up 0.
 */
bool dpp_rxq_occupancy_probe(uint16_t port_id, uint16_t queue_id);

/**
 * Initialise queue stats with a histogram of burst + 1 buckets, allocated
 * on the given NUMA socket.
 * @return 0 or -ENOMEM.
 */
int dpp_rxq_stats_init(struct dpp_rxq_stats *s, uint16_t burst, int socket_id);

/** Free what dpp_rxq_stats_init() allocated. */
void dpp_rxq_stats_fini(struct dpp_rxq_stats *s);

/** Account one poll that returned n packets. Hot path. */
static inline void dpp_rxq_account_poll(struct dpp_rxq_stats *s, uint16_t n)
{
	s->polls++;
	s->packets += n;
	s->hist[n]++;
	if (n == 0)
		s->empty++;
	else if (n == s->burst)
		s->full++;
}

/** Record one occupancy sample (descriptors in use). */
static inline void dpp_rxq_account_occupancy(struct dpp_rxq_stats *s, int used)
{
	if (used < 0)
		return;
	s->occupancy_last = (uint32_t)used;
	s->occupancy_samples++;
	s->occupancy_sum += (uint32_t)used;
	s->occupancy_hist[used == 0 ? 0 : RTE_MIN(32u - (unsigned int)__builtin_clz((unsigned int)used),
						  DPP_RXQ_OCC_BUCKETS - 1u)]++;
	if ((uint32_t)used > s->occupancy_max)
		s->occupancy_max = (uint32_t)used;
}

/* ------------------------------------------------------------------ */
/* The probe's own rings                                               */
/* ------------------------------------------------------------------ */

#define DPP_RING_NAMESIZE 32

/**
 * An rte_ring of fixed-size elements, single producer and single consumer,
 * with the producer-side accounting the stats need.
 */
struct dpp_ring {
	struct rte_ring *r;
	uint32_t esize; /**< Element size in bytes (multiple of 4). */
	uint32_t size;  /**< Usable capacity. */
	char name[DPP_RING_NAMESIZE];
	/* Written by the producer only. */
	uint64_t enqueued __rte_cache_aligned;
	uint64_t enq_drops; /**< Elements refused because the ring was full. */
	uint32_t max;       /**< High-water mark: most elements ever in the ring. */
};

/**
 * Create a ring holding at least `count` elements of `esize` bytes.
 *
 * @param name      Unique name (also the name in the stats).
 * @param count     Capacity wanted; rounded up to a power of two minus one is avoided
 *                  with RING_F_EXACT_SZ, so exactly count elements fit.
 * @param esize     Element size, a multiple of 4.
 * @param socket_id NUMA socket for the memory.
 * @return The ring, or NULL with rte_errno set.
 */
struct dpp_ring *dpp_ring_create(const char *name, uint32_t count, uint32_t esize, int socket_id);

/** Free a ring made by dpp_ring_create(); NULL is fine. */
void dpp_ring_free(struct dpp_ring *ring);

/**
 * Enqueue up to n elements; count the ones that did not fit as drops and
 * move the high-water mark. Never blocks. Producer lcore only.
 * @return Elements enqueued.
 */
static inline unsigned int dpp_ring_enqueue(struct dpp_ring *ring, const void *objs, unsigned int n)
{
	unsigned int free_space = 0;
	unsigned int done;
	uint32_t used;

	done = rte_ring_sp_enqueue_burst_elem(ring->r, objs, ring->esize, n, &free_space);
	ring->enqueued += done;
	ring->enq_drops += n - done;
	used = ring->size - free_space;
	if (used > ring->max)
		ring->max = used;
	return done;
}

/**
 * Try to enqueue n elements without counting failures as drops (used
 * when the caller will retry, as at shutdown). Producer lcore only.
 */
static inline unsigned int dpp_ring_try_enqueue(struct dpp_ring *ring, const void *objs,
						unsigned int n)
{
	unsigned int free_space = 0;
	unsigned int done;
	uint32_t used;

	done = rte_ring_sp_enqueue_burst_elem(ring->r, objs, ring->esize, n, &free_space);
	ring->enqueued += done;
	used = ring->size - free_space;
	if (used > ring->max)
		ring->max = used;
	return done;
}

/** Dequeue up to n elements. Consumer lcore only. */
static inline unsigned int dpp_ring_dequeue(struct dpp_ring *ring, void *objs, unsigned int n)
{
	return rte_ring_sc_dequeue_burst_elem(ring->r, objs, ring->esize, n, NULL);
}

/** Elements in the ring now (any lcore). */
static inline unsigned int dpp_ring_count(const struct dpp_ring *ring)
{
	return rte_ring_count(ring->r);
}

#endif /* DPP_RINGS_H */
