/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_STATS_H
#define DPP_STATS_H

/**
 * @file
 * stats: per-lcore counters, their sum, and the two JSON Lines outputs
 * (stats snapshots and flow records).
 *
 * Counters are written only by the lcore that owns them and summed by the
 * main lcore; nothing here takes a lock. The JSON layout is the contract's
 * (docs/output.md).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>

#include "dpp_rings.h"
#include "dpp_flow.h"
#include "dpp_services.h"

/** What one worker counts; written by that worker only. */
struct dpp_lcore_counters {
	uint64_t packets;      /**< Packets taken from RX queues. */
	uint64_t bytes;        /**< Their frame bytes. */
	uint64_t tcp;          /**< Packets parsed as trackable TCP. */
	uint64_t sliced;       /**< Of those, frames cut short of their IP length (snap length). */
	uint64_t parse[DPP_PARSE_RESULT_MAX]; /**< Per dpp_parse_result (index 0 unused). */
	uint64_t export_drops; /**< Flow records lost to a full export ring. */
	uint64_t cycles_busy;  /**< TSC cycles spent in polls that returned packets. */
	uint64_t cycles_total; /**< TSC cycles in the poll loop. */
} __rte_cache_aligned;

/**
 * Add each counter of `in` into `out`. The main lcore calls this for every
 * worker to build the totals; `out` starts zeroed.
 */
void dpp_stats_lcore_add(struct dpp_lcore_counters *out, const struct dpp_lcore_counters *in);

/** Add flow-table counters of one worker into a total. */
void dpp_stats_flow_add(struct dpp_flow_counters *out, const struct dpp_flow_counters *in);

/** One RX queue, as the snapshot shows it. */
struct dpp_stats_queue_src {
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t lcore;
	uint16_t ring_size;
	const struct dpp_rxq_stats *rx;
};

/** One lcore, as the snapshot shows it. */
struct dpp_stats_lcore_src {
	uint16_t lcore;
	const char *role; /**< "worker", "rx", "main". */
	const struct dpp_lcore_counters *c; /**< NULL for the main lcore. */
	const struct dpp_flow_table *flows; /**< NULL if the lcore tracks no flows. */
};

/** Everything a snapshot reads; owned by the dataplane. */
struct dpp_stats_src {
	uint16_t nb_ports;
	const uint16_t *ports;
	uint16_t nb_queues;
	const struct dpp_stats_queue_src *queues;
	uint16_t nb_lcores;
	const struct dpp_stats_lcore_src *lcores;
	uint16_t nb_rings;
	struct dpp_ring *const *rings;
	/** The workers' flow tables (one per worker, all the same size). */
	struct {
		uint16_t count;
		uint32_t capacity;	   /**< Flows per table. */
		uint32_t flow_state_bytes; /**< sizeof the state of one flow. */
		uint64_t bytes;		   /**< All tables: state, buckets, header. */
		uint64_t huge_bytes;	   /**< Of those, backed by huge pages. */
		uint64_t resident_bytes;   /**< Of those, backed by memory at all (touched). */
	} tables;
	/** The workers' services tables (nb_services of them; 0: no services output). */
	uint16_t nb_services;
	struct dpp_services *const *services;
	uint32_t services_top; /**< --services N */
};

struct dpp_stats_writer;

/**
 * Create a snapshot writer on an open stream.
 * @return The writer, or NULL with rte_errno set.
 */
struct dpp_stats_writer *dpp_stats_writer_create(FILE *out, const struct dpp_stats_src *src);

/**
 * Write one snapshot line: totals since start, busy_pct over the interval
 * since the previous snapshot. Main lcore only.
 *
 * @param ts    Wall-clock time, seconds since the epoch.
 * @param final True for the last snapshot at exit.
 * @return 0, or -errno if the stream failed.
 */
int dpp_stats_write(struct dpp_stats_writer *w, double ts, bool final);

/** Free a writer (the stream stays open). */
void dpp_stats_writer_free(struct dpp_stats_writer *w);

/**
 * Write one flow record as a JSON line (contract format).
 * @return 0, or -errno if the stream failed.
 */
int dpp_flow_json_write(FILE *out, const struct dpp_flow_record *rec);

#endif /* DPP_STATS_H */
