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
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

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
	/**
	 * Frames a capture file's queue returned past the corrupt record where
	 * libpcap's reading went wrong (net_pcap reads on after its error and
	 * hands over garbage): discarded, never parsed.
	 */
	uint64_t past_corrupt_record;
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


/* ------------------------------------------------------------------ */
/* A NIC ring you can see into: the ring-sizing study (ring_port.c)    */
/* ------------------------------------------------------------------ */

/*
 * Log-linear histogram of cycle counts: 64 sub-buckets per power of two,
 * so a percentile read from it is within 1/64 (1.6 %) of the true value;
 * values below 64 are exact.
 */
#define DPP_LOGHIST_SUB_BITS 6
#define DPP_LOGHIST_SUB (1u << DPP_LOGHIST_SUB_BITS)
#define DPP_LOGHIST_BUCKETS ((64 - DPP_LOGHIST_SUB_BITS + 1) * DPP_LOGHIST_SUB)

/** A histogram of cycle counts; written by one lcore. */
struct dpp_loghist {
	uint64_t count;
	uint64_t max;
	uint64_t b[DPP_LOGHIST_BUCKETS];
};

/** Bucket of a value in a struct dpp_loghist. */
static inline unsigned int dpp_loghist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < DPP_LOGHIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - DPP_LOGHIST_SUB_BITS;
	return ((shift + 1u) << DPP_LOGHIST_SUB_BITS) + (unsigned int)((v >> shift) & (DPP_LOGHIST_SUB - 1));
}

/** Count one value. */
static inline void dpp_loghist_add(struct dpp_loghist *h, uint64_t v)
{
	h->b[dpp_loghist_index(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

/**
 * The q-quantile (0 < q <= 1) of a histogram: the middle of the bucket
 * holding it (the largest value seen for q = 1). 0 when empty.
 */
double dpp_loghist_quantile(const struct dpp_loghist *h, double q);

/** What a recorded interval without polls was. */
enum dpp_vacation_kind {
	DPP_VAC_STALL = 0, /**< Injected with --stall-us. */
	DPP_VAC_IDLE = 1,  /**< A gap between two empty polls far longer than a poll (preemption). */
	DPP_VAC_AWAY = 2,  /**< A gap in the --work-ns spin of a busy poll (preemption). */
};

/**
 * What the model needs, recorded during a run (bounded by --load-record-max):
 * every offered packet's arrival, every busy poll, every interval in which
 * the worker did not poll. Written by the producer (arrivals) and the
 * worker (the rest); read by the main lcore after both stopped.
 */
struct dpp_ring_record {
	uint64_t max;
	uint64_t n_arr;
	uint64_t *arr_tsc;
	uint8_t *arr_fate; /**< 0 enqueued, 1 ring full, 2 pool empty. */
	uint64_t n_poll;   /**< Busy polls (n > 0). */
	uint64_t *poll_tsc;
	uint32_t *poll_n;
	uint32_t *poll_occ;
	uint32_t *poll_svc; /**< Cycles to the next poll, stalls excluded. */
	uint64_t n_vac;
	uint64_t vac_max;
	uint64_t *vac_start;
	uint64_t *vac_end;
	uint8_t *vac_kind;
	bool truncated; /**< Something did not fit. */
};

/** Fate of an offered packet. */
enum dpp_ring_fate { DPP_FATE_ENQUEUED = 0, DPP_FATE_RING_FULL = 1, DPP_FATE_POOL_EMPTY = 2 };

/**
 * Per-poll measurements of a ring port's queue; written by the polling
 * worker only.
 */
struct dpp_ring_poll_stats {
	uint64_t polls;        /**< Polls inside the load window. */
	uint64_t full_polls;   /**< Of those, polls that found every slot in use. */
	uint64_t *occ_hist;    /**< occ_hist[i]: polls (in the window) that found i packets; size + 1. */
	uint32_t occ_max;
	uint32_t occ_last;
	struct dpp_loghist *sojourn; /**< Cycles from arrival stamp to dequeue, per packet. */
	uint64_t packets;      /**< Packets dequeued. */
	uint64_t busy_cycles;  /**< Cycles from each busy poll to the next, stalls excluded. */
	uint64_t empty_polls;
	uint64_t empty_cycles; /**< Same for empty polls, idle gaps excluded. */
	uint64_t stall_cycles; /**< Injected stalls. */
	uint64_t stalls;
	uint64_t idle_gaps;    /**< Empty-poll gaps over the idle threshold (recorded as vacations). */
	uint64_t count_lag_cycles; /**< Sum over polls of count-to-dequeue time. */
	uint64_t count_lag_polls;
	uint64_t aways;        /**< Preemptions seen while busy (--work-ns spin). */
	uint64_t away_cycles;
	/* Poll-to-poll state. */
	uint64_t last_tsc;
	uint64_t stall_pending; /**< Stalls and preemptions since the last poll: not service. */
	uint32_t last_n;
	uint64_t last_rec; /**< 1 + record index of the previous poll; 0 if not recorded. */
	uint64_t idle_gap_cycles; /**< Threshold: an empty poll longer than this is a vacation. */
} __rte_cache_aligned;

/**
 * A net_ring port made of one of our rte_rings: the producer lcore is the
 * NIC (it enqueues, counting what does not fit as the NIC's imissed), the
 * worker polls it with rte_eth_rx_burst like any port, and its occupancy is
 * exact: rte_ring_count() at every poll.
 */
struct dpp_ring_port {
	struct rte_ring *rx; /**< The RX descriptor ring: `size` slots exactly. */
	struct rte_ring *tx; /**< rte_eth_from_rings wants one; never used. */
	uint16_t port_id;
	uint32_t size;
	int stamp_offset;    /**< mbuf dynfield: the arrival TSC. */
	uint64_t tsc_hz;
	/* Written by the producer. */
	uint64_t offered __rte_cache_aligned;
	uint64_t ring_full;  /**< Enqueue failures: the NIC's imissed. */
	uint64_t pool_empty; /**< No mbuf for an arrival: the NIC's rx_nombuf. */
	uint64_t window_start; /**< TSC of the first arrival; 0 before. */
	uint64_t window_end;   /**< TSC of the last arrival; UINT64_MAX while offering. */
	bool producer_done;
	/* Written by the worker. */
	struct dpp_ring_poll_stats poll;
	struct dpp_ring_record *rec; /**< NULL: nothing recorded. */
};

/**
 * Create the ring (exactly `size` slots, single producer and consumer),
 * the net_ring port on it, the arrival-stamp dynfield and, when
 * record_max > 0, the record buffers.
 *
 * @return The port, or NULL with rte_errno set.
 */
struct dpp_ring_port *dpp_ring_port_create(const char *name, uint32_t size, int socket_id,
					   uint64_t record_max);

/** Free what dpp_ring_port_create() made (the ethdev is closed by the caller). */
void dpp_ring_port_free(struct dpp_ring_port *rp);

/**
 * Write the record as one JSON header line followed by its raw arrays
 * (little-endian, in the order the header lists them).
 * @return 0 or -errno.
 */
int dpp_ring_record_write(const struct dpp_ring_port *rp, const char *path);

/** Record an interval without polls. Worker only. */
static inline void dpp_ring_record_vacation(struct dpp_ring_port *rp, uint64_t start, uint64_t end,
					    uint8_t kind)
{
	struct dpp_ring_record *r = rp->rec;

	if (r == NULL)
		return;
	if (r->n_vac == r->vac_max) {
		r->truncated = true;
		return;
	}
	r->vac_start[r->n_vac] = start;
	r->vac_end[r->n_vac] = end;
	r->vac_kind[r->n_vac++] = kind;
}

/** An injected stall from start to end (TSC). Worker only. */
static inline void dpp_ring_port_stalled(struct dpp_ring_port *rp, uint64_t start, uint64_t end)
{
	rp->poll.stall_pending += end - start;
	rp->poll.stall_cycles += end - start;
	rp->poll.stalls++;
	dpp_ring_record_vacation(rp, start, end, DPP_VAC_STALL);
}

/**
 * The worker was away (preempted) from start to end while busy with a
 * burst: the model's vacation, not service. Worker only.
 */
static inline void dpp_ring_port_away(struct dpp_ring_port *rp, uint64_t start, uint64_t end)
{
	rp->poll.stall_pending += end - start;
	rp->poll.away_cycles += end - start;
	rp->poll.aways++;
	dpp_ring_record_vacation(rp, start, end, DPP_VAC_AWAY);
}

/**
 * Account one poll of the ring port: `now` is the TSC of the dequeue,
 * `occ` the ring's count just before it, `n` the packets dequeued; `fresh`
 * false when the count is stale (the lcore was away in between: then the
 * occupancy is not sampled). Closes the previous poll's service time.
 * Worker only; hot path.
 */
static inline void dpp_ring_port_poll(struct dpp_ring_port *rp, uint64_t now, uint32_t occ,
				      uint32_t n, bool fresh)
{
	struct dpp_ring_poll_stats *ps = &rp->poll;
	struct dpp_ring_record *r = rp->rec;
	uint64_t ws = __atomic_load_n(&rp->window_start, __ATOMIC_RELAXED);
	uint64_t we = __atomic_load_n(&rp->window_end, __ATOMIC_RELAXED);

	if (ps->last_tsc != 0) {
		uint64_t since = now - ps->last_tsc - ps->stall_pending;

		if (ps->last_n > 0) {
			ps->busy_cycles += since;
			if (ps->last_rec != 0)
				r->poll_svc[ps->last_rec - 1] = (uint32_t)RTE_MIN(since, UINT32_MAX);
		} else if (since > ps->idle_gap_cycles) {
			ps->idle_gaps++;
			dpp_ring_record_vacation(rp, ps->last_tsc, now, DPP_VAC_IDLE);
		} else {
			ps->empty_polls++;
			ps->empty_cycles += since;
		}
	}
	ps->stall_pending = 0;
	ps->last_rec = 0;
	ps->last_tsc = now;
	ps->last_n = n;
	ps->occ_last = occ;
	if (fresh && ws != 0 && now >= ws && now <= we) {
		ps->polls++;
		ps->occ_hist[RTE_MIN(occ, rp->size)]++;
		if (occ >= rp->size)
			ps->full_polls++;
		if (occ > ps->occ_max)
			ps->occ_max = occ;
	}
	if (n > 0) {
		ps->packets += n;
		if (r != NULL) {
			if (r->n_poll < r->max) {
				r->poll_tsc[r->n_poll] = now;
				r->poll_n[r->n_poll] = n;
				r->poll_occ[r->n_poll] = occ;
				r->poll_svc[r->n_poll] = 0;
				ps->last_rec = ++r->n_poll;
			} else {
				r->truncated = true;
			}
		}
	}
}

/** Arrival stamp of a packet from the ring port. */
static inline uint64_t dpp_ring_port_stamp(const struct dpp_ring_port *rp, const struct rte_mbuf *m)
{
	return *RTE_MBUF_DYNFIELD(m, rp->stamp_offset, const uint64_t *);
}

#endif /* DPP_RINGS_H */
