/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_FLOW_H
#define DPP_FLOW_H

/**
 * @file
 * tcpparse, the flows: the per-worker flow table (lookup, aging, eviction),
 * the TCP tracker behind it (state machine and Wireshark-equivalent
 * analysis) and the record every flow leaves when it ends.
 *
 * Like the parser (dpp_tcpparse.h), nothing here depends on DPDK: the
 * tracker is a function over parsed views and packet times.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpp_tcpparse.h"

/* ------------------------------------------------------------------ */
/* Flow records: what a flow leaves when it ends                       */
/* ------------------------------------------------------------------ */

enum dpp_flow_outcome {
	DPP_OUTCOME_COMPLETED,
	DPP_OUTCOME_ESTABLISHED,
	DPP_OUTCOME_RESET,
	DPP_OUTCOME_REFUSED,
	DPP_OUTCOME_SYN_TIMEOUT,
	DPP_OUTCOME_MIDSTREAM,
	DPP_OUTCOME_MAX,
};

enum dpp_flow_end_reason {
	DPP_END_FIN,
	DPP_END_RST,
	DPP_END_IDLE,
	DPP_END_SYN_TIMEOUT,
	DPP_END_EVICTED,
	DPP_END_EXIT,
	DPP_END_MAX,
};

enum dpp_flow_side {
	DPP_SIDE_NONE = 0,
	DPP_SIDE_CLIENT = 1,
	DPP_SIDE_SERVER = 2,
};

/** Diagnosis classes (CONTRACT "Diagnosis"), in the order they are decided. */
enum dpp_diag_class {
#define DPP_DIAG_CLASS(name, doc) DPP_DIAG_CLASS_##name,
#include "diagnosis.def"
#undef DPP_DIAG_CLASS
	DPP_DIAG_CLASS_MAX,
};

/** Diagnosis causes; DPP_DIAG_CAUSE_NONE is null in JSON. */
enum dpp_diag_cause {
	DPP_DIAG_CAUSE_NONE = 0,
#define DPP_DIAG_CAUSE(name, doc) DPP_DIAG_CAUSE_##name,
#include "diagnosis.def"
#undef DPP_DIAG_CAUSE
	DPP_DIAG_CAUSE_MAX,
};

/** A diagnosis duration that is null in JSON. */
#define DPP_DIAG_NONE INT64_MIN

/** Zeek-style history: at most 8 letters per direction. */
#define DPP_DIAG_HISTORY_MAX 16

/** The "diagnosis" object of a flow record (CONTRACT "Diagnosis"). */
struct dpp_flow_diag_record {
	uint8_t cls;	   /**< enum dpp_diag_class */
	uint8_t cause;	   /**< enum dpp_diag_cause */
	uint8_t stall_dir; /**< enum dpp_flow_side of the longest stall; NONE: no stall. */
	uint8_t pad;
	uint32_t syn_retrans;
	uint32_t synack_retrans;
	int64_t idle_before_rst_us; /**< DPP_DIAG_NONE: null. */
	int64_t server_response_us; /**< DPP_DIAG_NONE: null. */
	uint64_t zero_window_c2s_us;
	uint64_t zero_window_s2c_us;
	int64_t longest_stall_us; /**< DPP_DIAG_NONE: null. */
	char history[DPP_DIAG_HISTORY_MAX + 1];
};

/**
 * A handshake interval that was not measured (null in JSON). Any other
 * value is as measured, negative when packet times went backwards
 * (CONTRACT "Timestamps": reported as Wireshark does).
 */
#define DPP_FLOW_NO_TIME INT64_MIN

/** Per-direction counters of a flow record (CONTRACT: c2s / s2c). */
struct dpp_flow_dir_record {
	uint64_t packets;
	uint64_t payload_bytes;
	uint32_t retrans;
	uint32_t out_of_order;
	uint32_t zero_window;
	uint32_t rst;
	uint32_t fin;
	uint32_t win_max;   /**< Bytes, scaled per the contract. */
	uint16_t mss;       /**< 0 when absent (null in JSON). */
	uint8_t wscale;     /**< Valid when has_wscale. */
	bool has_mss;
	bool has_wscale;
	bool sack_ok;
	uint32_t dup_ack;     /**< Extra: duplicate ACKs (Wireshark's rule). */
	uint32_t keep_alive;  /**< Extra: keep-alives. */
	uint32_t zero_window_probe; /**< Extra: zero-window probes. */
};

/** A finished flow, flat so it can cross an rte_ring by value. */
struct dpp_flow_record {
	uint8_t ip_version;
	uint8_t outcome;    /**< enum dpp_flow_outcome */
	uint8_t end_reason; /**< enum dpp_flow_end_reason */
	uint8_t rst_by;     /**< enum dpp_flow_side */
	uint16_t client_port;
	uint16_t server_port;
	uint8_t client_ip[16];
	uint8_t server_ip[16];
	uint64_t first_ts_ns; /**< Packet time, ns since the epoch. */
	uint64_t last_ts_ns;
	uint32_t syn;    /**< SYN-without-ACK segments seen. */
	uint32_t synack; /**< SYN+ACK segments seen. */
	int64_t syn_to_synack_ns;  /**< DPP_FLOW_NO_TIME when not seen; negative if time went back. */
	int64_t synack_to_ack_ns;  /**< DPP_FLOW_NO_TIME when not seen; negative if time went back. */
	struct dpp_flow_dir_record c2s;
	struct dpp_flow_dir_record s2c;
	uint16_t lcore; /**< Filled by the dataplane. */
	uint16_t queue; /**< RX queue of the flow's first packet (given to the table). */
	/** Its first SYN reused the 4-tuple of a flow that ended this long before; UINT32_MAX: no. */
	uint32_t port_reuse_gap_us;
	/** The open callback was given the record's client as the server (its first packet said so). */
	bool opened_swapped;
	struct dpp_flow_diag_record diag;
};

const char *dpp_flow_outcome_name(int outcome);
const char *dpp_flow_end_reason_name(int reason);
/** JSON name of a diagnosis class ("reset"); never NULL. */
const char *dpp_diag_class_name(int cls);
/** JSON name of a diagnosis cause ("abort"); NULL for DPP_DIAG_CAUSE_NONE. */
const char *dpp_diag_cause_name(int cause);

/* ------------------------------------------------------------------ */
/* Flow tracker: one table per worker lcore, no locks                  */
/* ------------------------------------------------------------------ */

/** Counters a table keeps; written only by its owner, read by the main lcore. */
struct dpp_flow_counters {
	uint64_t created;
	uint64_t ended;
	uint64_t evicted;
	uint64_t table_full_drops;
	/** Segments without SYN for a 4-tuple closed within time_wait, after the linger. */
	uint64_t late_segments;
	/** Ended 4-tuples forgotten before time_wait passed (the memory was full). */
	uint64_t time_wait_overflow;
	/**
	 * Capture loss inferred from TCP: segments that ACK data the probe never
	 * saw, and those bytes, [0] for client-to-server data, [1] the other way
	 * (client as known at that segment).
	 */
	uint64_t capture_loss_acks[2];
	uint64_t capture_loss_bytes[2];
	/* TCP totals over all flows (CONTRACT stats "tcp"). */
	uint64_t syn;
	uint64_t synack;
	uint64_t rst;
	uint64_t retrans;
	uint64_t zero_window;
	uint64_t refused;
	uint64_t syn_timeout;
	uint64_t reset;
	uint64_t completed;
	/* Ended flows by diagnosis class and cause (counted by the tracker). */
	uint64_t diag_class[DPP_DIAG_CLASS_MAX];
	uint64_t diag_cause[DPP_DIAG_CAUSE_MAX]; /**< Index 0 (no cause) unused. */
};

struct dpp_flow_params {
	uint32_t capacity;        /**< Flows the table can hold. */
	uint64_t idle_timeout_ns; /**< Established flows idle this long end as "idle". */
	uint64_t syn_timeout_ns;  /**< Unanswered SYN flows end as "syn_timeout". */
	uint64_t close_linger_ns; /**< Closed flows stay this long for late FIN/RST retransmits. */
	uint64_t time_wait_ns;    /**< Ended 4-tuples remembered this long; 0: not at all. */
	uint32_t time_wait_slots; /**< Ended 4-tuples remembered at most; 0: capacity. */
	/** A stall this long makes a flow "stalled"; 0: 1 s (CONTRACT default). */
	uint64_t stall_threshold_ns;
	/** An RST after this much silence is an "idle_timeout"; 0: 10 s. */
	uint64_t idle_reset_threshold_ns;
	/**
	 * Called when a flow is created, with the endpoint its first packet
	 * makes the server (SYN: its destination; SYN-ACK: its source; else
	 * the lower port). NULL: not called. Its record says whether the
	 * server turned out to be the other endpoint (opened_swapped).
	 */
	void (*on_open)(void *arg, uint8_t ip_version, const uint8_t ip[16], uint16_t port,
			uint64_t ts_ns);
	void *on_open_arg;
};

/**
 * Called for every flow that ends. Returns 0 if the record was taken,
 * non-zero if it was dropped (the table counts nothing; the caller counts
 * export drops).
 */
typedef int (*dpp_flow_sink_fn)(void *arg, const struct dpp_flow_record *rec);

struct dpp_flow_table;

/** Bytes of the state of one flow (the table adds its index: see mem_size). */
size_t dpp_flow_state_size(void);

/** Bytes of memory dpp_flow_table_init() needs for these params. */
size_t dpp_flow_table_mem_size(const struct dpp_flow_params *params);

/**
 * Build a table in caller-provided, zeroed, 64-byte-aligned memory of
 * dpp_flow_table_mem_size() bytes (rte_zmalloc_socket in the dataplane,
 * aligned_alloc in tests).
 *
 * @return The table (== mem), or NULL if params are invalid.
 */
struct dpp_flow_table *dpp_flow_table_init(void *mem, const struct dpp_flow_params *params,
					   dpp_flow_sink_fn sink, void *sink_arg);

/**
 * Account one parsed TCP segment at packet time ts_ns. May end flows
 * (FIN both ways, RST, port reuse, eviction, timeouts reached by aging)
 * and hand their records to the sink.
 */
void dpp_flow_table_packet(struct dpp_flow_table *t, const struct dpp_pkt_view *v,
			   uint64_t ts_ns);

/** Largest burst dpp_flow_table_burst() prefetches at once (longer ones are split). */
#define DPP_FLOW_BURST_MAX 64

/**
 * The same as dpp_flow_table_packet() on v[0..n-1] with times ts_ns[0..n-1],
 * in that order, with the table's memory accesses for the whole burst
 * issued ahead (hash, bucket prefetch, flow prefetch, then tracking).
 * queue is the RX queue the burst came from: a flow created here keeps it
 * for its record (dpp_flow_table_packet() uses queue 0).
 */
void dpp_flow_table_burst(struct dpp_flow_table *t, const struct dpp_pkt_view *v,
			  const uint64_t *ts_ns, uint16_t n, uint16_t queue);

/**
 * Advance packet time to now_ns without a packet: ends flows whose idle or
 * SYN timeout has passed. Cheap when nothing is due.
 */
void dpp_flow_table_expire(struct dpp_flow_table *t, uint64_t now_ns);

/** End every flow still in the table with end_reason "exit". */
void dpp_flow_table_flush(struct dpp_flow_table *t);

/**
 * Symmetric hash of a segment's connection: IP version, addresses and ports,
 * the same value for both directions. Use it to spread packets over workers
 * (the table itself indexes with other bits of the same hash).
 *
 * @param v  A parsed segment.
 * @return 32-bit hash, equal for v and its reverse direction.
 */
uint32_t dpp_flow_hash_sym(const struct dpp_pkt_view *v);

/**
 * Offered one open flow by dpp_flow_table_scan_open(): its record as if it
 * ended now (end_reason "exit", diagnosis so far), half_open while its
 * handshake is under way.
 * @return The retransmissions (both directions) a flow needs from now on
 *   to be offered.
 */
typedef uint32_t (*dpp_flow_open_fn)(void *arg, const struct dpp_flow_record *rec, bool half_open);

/**
 * Visit up to max_slots of the table's entries from *cursor on (0 starts a
 * scan), the owner lcore between bursts: each flow still open (handshake
 * under way or established; a closed flow lingering for late segments is
 * not) with at least *min_retrans retransmissions in both directions
 * together goes to fn, whose answer becomes *min_retrans. Flows stay in
 * their entry while they live, so a scan spread over many calls sees every
 * flow that lived through it once; one that began or ended meanwhile may
 * or may not be seen. Entries never used are not visited.
 *
 * @return true when the scan has passed the last entry (*cursor is 0 again).
 */
bool dpp_flow_table_scan_open(const struct dpp_flow_table *t, uint32_t *cursor,
			      uint32_t max_slots, uint32_t *min_retrans, dpp_flow_open_fn fn,
			      void *arg);

/** Flows currently in the table. */
uint64_t dpp_flow_table_active(const struct dpp_flow_table *t);

/** The table's counters (owner lcore writes, others may read). */
const struct dpp_flow_counters *dpp_flow_table_counters(const struct dpp_flow_table *t);

#endif /* DPP_FLOW_H */
