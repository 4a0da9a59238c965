/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_FLOW_PRIV_H
#define DPP_FLOW_PRIV_H

/*
 * Private to tcpparse: the per-flow state shared by the flow table
 * (flow_table.c: key, hash, lookup, aging, eviction) and the TCP tracker
 * (tcp_track.c: state machine and Wireshark-equivalent segment analysis).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpp_flow.h"

/* Wrap-safe sequence number comparisons (RFC 9293 section 3.4). */
#define DPP_SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define DPP_SEQ_LE(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define DPP_SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define DPP_SEQ_GE(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

/**
 * Closed flows stay this long (packet time, since their last packet) for
 * trailing segments when params.close_linger_ns is 0 (CONTRACT default 5 s).
 */
#define DPP_FLOW_LINGER_NS (5ULL * 1000 * 1000 * 1000)

/** A port_reuse_gap_us that was not measured. */
#define DPP_FLOW_NO_REUSE UINT32_MAX

/**
 * Aging class of a flow; each class is one LRU list ordered by last activity,
 * so the list head is always the next flow to time out.
 */
enum dpp_flow_state {
	DPP_FLOW_HALF_OPEN = 0, /**< Handshake not over: SYN, maybe SYN-ACK, no final ACK yet. */
	DPP_FLOW_OPEN = 1,	/**< Established or midstream. */
	DPP_FLOW_CLOSED = 2,	/**< FIN from both sides or an RST: lingering. */
	DPP_FLOW_STATE_MAX,
};

/* dpp_tcp_dir.flags */
#define DPP_DIR_BASE_SET 0x01 /* Wireshark's TCP_S_BASE_SEQ_SET */
#define DPP_DIR_LAST_KA 0x02  /* last segment was a keep-alive */
#define DPP_DIR_LAST_ZWP 0x04 /* last segment was a zero-window probe */
#define DPP_DIR_WIN 0x08      /* window holds a value (Wireshark starts at UINT32_MAX) */
#define DPP_DIR_OPTS 0x10     /* options of this side's first SYN/SYN-ACK recorded */
#define DPP_DIR_MSS 0x20
#define DPP_DIR_WS 0x40
#define DPP_DIR_SACK 0x80

/** Wireshark's "unacked segments" list is capped at this many entries. */
#define DPP_TCP_MAX_UNACKED 10000

/**
 * One direction of a flow, the part every segment reads or writes: the
 * sequence analysis state Wireshark keeps per direction
 * (tcp_analyze_seq_flow_info_t), packet and byte counts, windows. One cache
 * line.
 */
struct dpp_tcp_dir {
	/* Sequence analysis. Zero means "unknown", as in Wireshark. */
	uint32_t base_seq;
	uint32_t nextseq;	  /**< Highest seq + len (+1 for SYN/FIN) seen. */
	uint32_t maxseqtobeacked; /**< Highest contiguous nextseq. */
	uint32_t lastack;	  /**< Raw ack field of the last segment. */
	uint64_t nextseq_ns;	  /**< When nextseq last advanced. */
	uint64_t lastack_ns;	  /**< When the last segment was sent. */
	uint64_t packets;
	uint64_t payload_bytes;
	int16_t dupacks;  /**< Duplicate ACK run (saturates); -1 after an ACK of unseen data. */
	uint16_t window;  /**< Last raw window; valid once DPP_DIR_WIN is set. */
	uint16_t unacked; /**< Model of the unacked-segment list length. */
	uint8_t flags;	  /**< DPP_DIR_* */
	uint8_t wscale;	  /**< Shift as sent in this side's SYN/SYN-ACK. */
	uint32_t win_max; /**< Largest window in bytes, each scaled as known when it came. */
	uint16_t mss;
	int8_t win_shift; /**< Wireshark's win_scale: DPP_WIN_SCALE_* or the shift in use. */
	uint8_t pad;
};

/* dpp_tcp_dir.win_shift before a shift is known (Wireshark: -1) or once none applies (-2). */
#define DPP_WIN_SCALE_UNKNOWN (-1)
#define DPP_WIN_SCALE_NONE (-2)

/** Event counters of one direction: written only when the event happens. */
struct dpp_tcp_dir_events {
	uint32_t retrans;
	uint32_t out_of_order;
	uint32_t zero_window;
	uint32_t rst;
	uint32_t fin;
	uint32_t dup_ack;
	uint32_t keep_alive;
	uint32_t zero_window_probe;
};

/* dpp_flow.flags */
#define DPP_FLOW_F_RESET 0x01	     /* first RST came before both FINs */
#define DPP_FLOW_F_CLOSED_RST 0x02   /* closed by an RST (else by FINs) */
#define DPP_FLOW_F_SYNACK_ACKED 0x04 /* synack_to_ack measured */
#define DPP_FLOW_F_FIN0 0x08	     /* dir[0] sent a FIN */
#define DPP_FLOW_F_FIN1 0x10	     /* dir[1] sent a FIN */
#define DPP_FLOW_F_RTT_PENDING 0x20  /* a SYN was seen, ts_first_rtt not set yet */

/** A side not known yet (fits the 2-bit side fields). */
#define DPP_FLOW_SIDE_UNKNOWN 3

/**
 * One flow, laid out by how often it is touched. Lines 0-2 are what every
 * segment reads or writes (key and aging, then both directions: the
 * analysis of one side reads the other's state); line 3 holds the
 * handshake, written by SYNs and the first ACKs; line 4 the event counters.
 * The table prefetches all five (see prefetch_flow() in flow_table.c).
 *
 * dir[0] holds what addr[0]:port[0] sent (the sender of the flow's first
 * packet), dir[1] the other side; client/server are decided when the
 * record is written.
 */
struct dpp_flow {
	/* Line 0: key, aging, flags. */
	uint8_t addr[2][16];
	uint16_t port[2];
	uint8_t ip_version;
	uint8_t state;		 /**< enum dpp_flow_state */
	uint8_t syn_side : 2;	 /**< dir index of the first SYN's sender, or UNKNOWN. */
	uint8_t synack_side : 2; /**< dir index of the first SYN-ACK's sender, or UNKNOWN. */
	uint8_t rst_side : 2;	 /**< dir index of the first RST's sender, or UNKNOWN. */
	uint8_t flags;		 /**< DPP_FLOW_F_* */
	uint32_t prev; /**< LRU list links (flow index, 0 = none). */
	uint32_t next;
	uint64_t active_ns; /**< Table time of the last packet (aging key). */
	uint64_t last_ns;
	/* Lines 1-2. */
	struct dpp_tcp_dir dir[2];
	/* Line 3: handshake and times written once. */
	uint64_t first_ns;
	uint64_t mru_syn_ns;   /**< Last SYN-without-ACK (Wireshark's ts_mru_syn). */
	uint64_t first_rtt_ns; /**< Wireshark's ts_first_rtt; 0 = unknown. */
	uint64_t first_synack_ns;
	int64_t syn_to_synack_ns;
	int64_t synack_to_ack_ns;
	uint32_t syn;
	uint32_t synack;
	uint16_t queue;		 /**< RX queue of the first packet. */
	uint16_t pad3;
	uint32_t reuse_gap_us;	 /**< SYN reused a recently ended 4-tuple; DPP_FLOW_NO_REUSE. */
	/* Line 4. */
	struct dpp_tcp_dir_events ev[2] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/** Bytes of a flow that every segment touches (lines 0-2). */
#define DPP_FLOW_HOT_BYTES offsetof(struct dpp_flow, first_ns)

/**
 * Wireshark's rule for a SYN that starts a new TCP stream on an existing
 * conversation: a SYN without ACK whose sender already has a base sequence
 * number different from this SYN's sequence number.
 */
bool dpp_tcp_starts_new_stream(const struct dpp_flow *f, const struct dpp_pkt_view *v, int d);

/** Initialise the tracking part of a new flow whose first packet is v. */
void dpp_tcp_flow_init(struct dpp_flow *f, const struct dpp_pkt_view *v, uint64_t ts_ns);

/**
 * Account segment v sent by side d of f at time ts_ns; adds to the table's
 * TCP totals in c.
 *
 * @return The flow's new aging class (enum dpp_flow_state).
 */
int dpp_tcp_track(struct dpp_flow *f, const struct dpp_pkt_view *v, int d, uint64_t ts_ns,
		  struct dpp_flow_counters *c);

/** Aging class of a brand-new flow before its first packet v is tracked. */
int dpp_tcp_initial_state(const struct dpp_pkt_view *v);

/**
 * Fill the record of a flow that ends now for reason (the table passes the
 * reason it ends the flow for; closed flows always report fin or rst).
 */
void dpp_tcp_fill_record(const struct dpp_flow *f, int reason, struct dpp_flow_record *r);

#endif /* DPP_FLOW_PRIV_H */
