/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_STATS_H
#define DPP_STATS_H

/**
 * @file
 * stats: per-lcore counters, their sum, and the two JSON Lines outputs
 * (stats snapshots and flow records).
 *
 * Counters are written only by the lcore that owns them and summed by the
 * main lcore; nothing here takes a lock. Every number of the snapshot and
 * the live interfaces is declared once, in metrics.def; one function,
 * dpp_stats_collect(), sums them for the JSON snapshot and the published
 * view alike. The JSON layout is the contract's (docs/output.md); it is
 * written with the one bounded writer of dpp_json.h.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>

#include "dpp_rings.h"
#include "dpp_flow.h"
#include "dpp_json.h"
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

/** Every scalar of metrics.def, by index. */
enum dpp_scalar {
#define DPP_SCALAR(group, key, prom, type, value, help) DPP_SCALAR_##group##_##key,
#include "metrics.def"
#undef DPP_SCALAR
	DPP_SCALAR_MAX,
};

/** Labelled families of metrics.def, by index. */
enum dpp_family {
#define DPP_FAMILY(id, prom, type, labels, json, help) DPP_FAMILY_##id,
#include "metrics.def"
#undef DPP_FAMILY
	DPP_FAMILY_MAX,
};

/** Metadata of one scalar or family, straight from metrics.def. */
struct dpp_metric_desc {
	const char *group; /**< Scalars: the snapshot's object ("flows"); families: NULL. */
	const char *key;   /**< Scalars: the key in it ("active"); families: the JSON source. */
	const char *prom;  /**< Prometheus name. */
	const char *type;  /**< "counter", "gauge" or "histogram". */
	const char *labels;
	const char *help;
};

extern const struct dpp_metric_desc dpp_scalar_desc[DPP_SCALAR_MAX];
extern const struct dpp_metric_desc dpp_family_desc[DPP_FAMILY_MAX];

/** The outcomes the snapshot's tcp object and the outcomes family count, in that order. */
#define DPP_STATS_OUTCOMES 4
extern const uint8_t dpp_stats_outcomes[DPP_STATS_OUTCOMES];

/**
 * The totals of one snapshot: the scalars of metrics.def and the arrays of
 * its families that are sums over the lcores. Filled by dpp_stats_collect()
 * only.
 */
struct dpp_stats_totals {
	uint64_t scalar[DPP_SCALAR_MAX];
	uint64_t malformed[DPP_PARSE_RESULT_MAX]; /**< Index: dpp_parse_result. */
	uint64_t outcome[DPP_OUTCOME_MAX];	  /**< Ended flows by outcome (refused...). */
	uint64_t capture_loss_acks[2];		  /**< [0] c2s, [1] s2c. */
	uint64_t capture_loss_bytes[2];
	uint64_t diag_class[DPP_DIAG_CLASS_MAX]; /**< Ended flows by diagnosis class. */
	uint64_t diag_cause[DPP_DIAG_CAUSE_MAX]; /**< ... and cause (index 0 unused). */
};

struct dpp_stats_src;

/**
 * Sum the lcores' counters of src into t: the one aggregation behind the
 * JSON snapshot, Prometheus and telemetry. Main lcore; the workers keep
 * writing while it reads (plain loads of counters each writes alone).
 *
 * Two rules make the numbers agree with the contract: an RX lcore
 * (--dist sw, role "rx") only hands packets on, so its counters are left
 * out of the parse and export totals (the workers count those packets
 * when they parse them); and each flow table's `ended` is read (acquire)
 * before its other counters, so created >= ended per table and
 * flows.active = created - ended keeps created == ended + active exactly.
 *
 * @param src The live counters.
 * @param t   Out: every field written.
 */
void dpp_stats_collect(const struct dpp_stats_src *src, struct dpp_stats_totals *t);

/** One RX queue, as the snapshot shows it. */
struct dpp_stats_queue_src {
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t lcore;
	uint16_t ring_size;
	const struct dpp_rxq_stats *rx;
	const struct dpp_ring_port *ring; /**< The ring-sizing study's ring port, else NULL. */
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
 * Write one snapshot line: totals since start (dpp_stats_collect()),
 * busy_pct over the interval since the previous snapshot. Main lcore
 * only. The line is built in the writer's buffer and written with one
 * fwrite(); a line that does not fit the buffer's limit is not written
 * at all.
 *
 * @param ts    Wall-clock time, seconds since the epoch.
 * @param final True for the last snapshot at exit.
 * @return 0, -EOVERFLOW (errno too) if the line outgrew the buffer's
 *   limit, or -errno if the stream failed.
 */
int dpp_stats_write(struct dpp_stats_writer *w, double ts, bool final);

/** The totals the last dpp_stats_write() collected (for the published view of the same snapshot). */
const struct dpp_stats_totals *dpp_stats_writer_totals(const struct dpp_stats_writer *w);

/** Free a writer (the stream stays open). */
void dpp_stats_writer_free(struct dpp_stats_writer *w);

/**
 * Write the ring-sizing study's object of a ring port queue (occupancy
 * percentiles, sojourn, drops by cause, cycles per packet) as the member
 * `"ring_port":{...}` of the object being written (stats/ring_json.c).
 */
void dpp_stats_write_ring_port(struct dpp_json *j, const struct dpp_ring_port *rp);

/** Room for the longest flow record: two IPv6 endpoints, every counter at its maximum. */
#define DPP_FLOW_JSON_MAX 2048

/**
 * Format one flow record (contract format) with its newline into j.
 * @return 0, or -EOVERFLOW if it did not fit (nothing usable in j).
 */
int dpp_flow_json_format(struct dpp_json *j, const struct dpp_flow_record *rec);

/**
 * Write one flow record as a JSON line (contract format), with one
 * fwrite() of the whole line.
 * @return 0, -EOVERFLOW (nothing written), or -errno if the stream failed.
 */
int dpp_flow_json_write(FILE *out, const struct dpp_flow_record *rec);

#endif /* DPP_STATS_H */
