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

/** Defaults of the diagnosis thresholds when params leave them 0 (CONTRACT). */
#define DPP_FLOW_STALL_THRESHOLD_NS (1ULL * 1000 * 1000 * 1000)
#define DPP_FLOW_IDLE_RESET_THRESHOLD_NS (10ULL * 1000 * 1000 * 1000)

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

/* dpp_diag_dir.flags */
#define DPP_DG_SEQ 0x0001	  /* snd_max holds a value */
#define DPP_DG_UNA 0x0002	  /* una holds a value */
#define DPP_DG_COND 0x0004	  /* stall condition true since cond_since_ns */
#define DPP_DG_BEGAN 0x0008	  /* a stall began since the last progress event */
#define DPP_DG_BEGAN_ZW 0x0010	  /* ... with the other side's window at zero */
#define DPP_DG_DATA_SEEN 0x0020	  /* ... and this side has sent payload since */
#define DPP_DG_DATA_RETRANS 0x0040 /* ... the first of it a retransmission */
#define DPP_DG_WIN0 0x0080	  /* this side's last window (RSTs excluded) was 0 */
#define DPP_DG_ZW_OPEN 0x0100	  /* a zero-window episode of this sender is open */
#define DPP_DG_ACKED 0x0200	  /* the other side has acked payload of this side */
#define DPP_DG_AFTER_FIN 0x0400	  /* this side sent payload after the other's FIN */
#define DPP_DG_PEER_SEEN 0x0800	  /* the other side has sent a segment (RSTs aside) */

/**
 * Stall state of one direction (CONTRACT "Diagnosis"): a stall of a
 * direction runs between two of its progress events (new payload, or the
 * other side's ACK advancing over its payload) while it has
 * unacknowledged payload or the other side's window is zero. The stall
 * condition only changes at progress events and window changes, so each
 * segment updates it in O(1): closed pieces add up in stall_accum_us, the
 * open piece starts at cond_since_ns.
 */
struct dpp_diag_dir {
	uint64_t cond_since_ns;	 /**< Stall condition true since (DPP_DG_COND). */
	uint32_t snd_max;	 /**< End of the highest payload sent. */
	uint32_t una;		 /**< Highest ack from the other side. */
	uint32_t stall_accum_us; /**< Closed pieces of the current stall (saturates). */
	uint16_t flags;		 /**< DPP_DG_* */
	uint16_t pad;
};

/* dpp_diag_hot.flags: what segments read. */
#define DPP_DF_STALLED 0x0001	   /* some direction stalled (longest_* valid) */
#define DPP_DF_LONGEST_DIR1 0x0002 /* the longest stall is dir[1]'s */
#define DPP_DF_LONGEST_ZW 0x0004   /* it began with the other side's window at zero */
#define DPP_DF_LONGEST_RTO 0x0008  /* its first payload was a retransmission */
#define DPP_DF_HS_DONE 0x0010	   /* the client acknowledged the SYN-ACK */
#define DPP_DF_CLI_DATA 0x0020	   /* the client has sent payload */
#define DPP_DF_SRV_DATA 0x0040	   /* the server has sent payload */
#define DPP_DF_EVENT 0x0080	   /* last_event_ns holds a value */

/**
 * The diagnosis state a segment reads, one cache line: both directions'
 * stalls, the last event, the longest stall so far, the history letters
 * already seen.
 */
struct dpp_diag_hot {
	struct dpp_diag_dir dir[2];
	uint64_t last_event_ns; /**< Last payload (keep-alives excluded), SYN or FIN. */
	uint32_t longest_stall_us;
	uint16_t flags;	       /**< DPP_DF_* */
	uint16_t history_seen; /**< Bit (letter + 8 * dir) per letter already in history. */
};

/* dpp_diag.flags: written on events. */
#define DPP_DC_RESPONSE 0x0001	       /* server_response_us measured */
#define DPP_DC_IDLE 0x0002	       /* idle_before_rst_us measured */
#define DPP_DC_RST_EARLY 0x0004	       /* first RST: the server's, before it spoke or acked */
#define DPP_DC_RST_AFTER_FIN 0x0008    /* first RST: sender had closed, other side wrote */
#define DPP_DC_SYNACK_AFTER_ACK 0x0010 /* SYN-ACK retransmitted after the client's ACK */
#define DPP_DC_RESP_FROM 0x0020	       /* response_from_ns holds a value */

/**
 * The rest of the diagnosis, one cache line written only on events:
 * zero-window episodes opening or closing, first payloads, the first RST,
 * a new history letter.
 */
struct dpp_diag {
	uint64_t zw_since_ns[2]; /**< A sender's open zero-window episode began (DPP_DG_ZW_OPEN). */
	uint64_t zw_total_ns[2]; /**< Closed zero-window episodes, per sender (dir index). */
	/** The client's first payload, or before it the handshake's completion. */
	uint64_t response_from_ns;
	uint64_t history; /**< 4-bit letter codes in order of first appearance. */
	uint32_t idle_before_rst_us;
	uint32_t server_response_us;
	uint16_t flags; /**< DPP_DC_* */
	uint16_t pad[3];
};

/* dpp_flow.flags */
#define DPP_FLOW_F_RESET 0x01	     /* first RST came before both FINs */
#define DPP_FLOW_F_CLOSED_RST 0x02   /* closed by an RST (else by FINs) */
#define DPP_FLOW_F_SYNACK_ACKED 0x04 /* synack_to_ack measured */
#define DPP_FLOW_F_FIN0 0x08	     /* dir[0] sent a FIN */
#define DPP_FLOW_F_FIN1 0x10	     /* dir[1] sent a FIN */
#define DPP_FLOW_F_RTT_PENDING 0x20  /* a SYN was seen, ts_first_rtt not set yet */
#define DPP_FLOW_F_OPEN_SRV0 0x40    /* opened with addr[0] as the server (on_open) */

/** A side not known yet (fits the 2-bit side fields). */
#define DPP_FLOW_SIDE_UNKNOWN 3

/**
 * One flow, laid out by how often it is touched. Lines 0-2 are what every
 * segment reads or writes (key and aging, then both directions: the
 * analysis of one side reads the other's state); line 3 holds the
 * handshake, written by SYNs and the first ACKs; line 4 the event counters;
 * line 5 the diagnosis every segment reads (both directions' stalls, the
 * last event, the longest stall, the history letters seen), line 6 the
 * rest of it, written only on events (a zero-window episode opening or
 * closing, first payloads, the first RST, a new history letter). The table prefetches
 * all seven (see prefetch_flow() in flow_table.c). Before the diagnosis a
 * flow was the 320 bytes of lines 0-4.
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
	/* Line 5: the diagnosis a segment reads (stalls, last event, history seen). */
	struct dpp_diag_hot dh __attribute__((aligned(64)));
	/* Line 6: the rest of the diagnosis, written on events. */
	struct dpp_diag diag __attribute__((aligned(64)));
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
 * reason it ends the flow for; closed flows always report fin or rst),
 * diagnosis included, with the thresholds of p.
 */
void dpp_tcp_fill_record(const struct dpp_flow *f, int reason, const struct dpp_flow_params *p,
			 struct dpp_flow_record *r);

/**
 * Count an ended flow's outcome, class and cause in c: the tracker's
 * counters, so the table only has to hand the record over.
 */
void dpp_tcp_count_end(const struct dpp_flow_record *r, struct dpp_flow_counters *c);

#endif /* DPP_FLOW_PRIV_H */
