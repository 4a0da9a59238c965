/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-flow TCP tracking: the connection state machine (aging class, outcome)
 * and a re-implementation of the sequence analysis Wireshark 4.0 performs
 * (epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number() and the
 * conversation handling in dissect_tcp()), so that the per-direction counters
 * equal what tshark flags on the same capture with default preferences.
 *
 * The rules, in the order Wireshark applies them to each segment. "fwd" is
 * the direction of the segment, "rev" the opposite one; a zero nextseq,
 * lastack or maxseqtobeacked means "not known yet", exactly as in Wireshark.
 *
 *  0. Base sequence: fwd's is set by its first segment (seq for a SYN, else
 *     seq - 1); rev's by the first ACK-flagged segment of fwd (ack - 1).
 *     A SYN without ACK from a side whose base differs from the SYN's seq
 *     starts a new stream (handled by the table: the old flow ends); with
 *     the same seq, fwd.nextseq is restored to fwd.maxseqtobeacked. A SYN-ACK
 *     with a different seq replaces fwd's base.
 *  1. Zero-window probe: 1 byte, seq == fwd.nextseq, rev's last window 0;
 *     skips to step 9.
 *  2. Zero window: window 0 and none of SYN/FIN/RST.
 *  3. (Lost segment: no effect on the counters here.)
 *  4. Keep-alive: 0 or 1 byte, seq == fwd.nextseq - 1, no SYN/FIN/RST.
 *  5. (Window update, window full: no effect on the counters here.)
 *  6. Keep-alive ACK: empty, same non-zero window, seq and ack as fwd's last
 *     segment, rev's last segment a keep-alive; skips to step 9.
 *  7. Zero-window-probe ACK: the same with window 0 after a probe; skips.
 *  8. Duplicate ACK: empty, same non-zero window, seq == fwd.nextseq,
 *     ack == fwd.lastack, no SYN/FIN/RST: fwd.dupacks++ (-1 becomes 1).
 *  9. A new ack value resets fwd.dupacks. An ACK beyond rev.maxseqtobeacked
 *     ("ACKed unseen segment") moves that up to rev.nextseq when it is behind
 *     it, or else sets rev.dupacks to -1.
 * 10. For segments with data, SYN or FIN (keep-alives excluded):
 *     not advanced = fwd.nextseq known and seq < fwd.nextseq, except when the
 *     segment has > 1 byte and starts at fwd.nextseq - 1;
 *     spurious retransmission if it has data and seq + len <= rev.lastack;
 *     else fast retransmission if not advanced, rev.dupacks >= 2 (compared
 *       unsigned, as Wireshark's counter is: -1 counts as many),
 *       seq == rev.lastack and rev's last segment was < 20 ms ago
 *       (tcp.fastrt_supersedes_ooo defaults to TRUE, so this goes first);
 *     else out-of-order if not advanced, less than the handshake RTT
 *       (ts_first_rtt, 3 ms if unknown) after fwd.nextseq last advanced,
 *       and the segment does not end exactly at fwd.nextseq;
 *     else retransmission if not advanced.
 * 11. nextseq of the segment = seq + len, + 1 for SYN or FIN only while the
 *     unacked list holds fewer than 10000 segments; fwd.nextseq advances to
 *     it (not for a zero-window probe) and so does fwd.maxseqtobeacked when
 *     the segment starts at it; fwd.window, fwd.lastack and their time are
 *     the segment's; the keep-alive / probe bits are remembered.
 *
 * ts_mru_syn is the time of the last SYN without ACK; ts_first_rtt is set
 * once, by the first segment with ACK and without SYN (either side) after a
 * SYN: its time minus ts_mru_syn. Both are updated after the analysis.
 *
 * Knowingly not reproduced: the exact unacked-segment list (a direction's
 * count is modelled: it grows while the other side has sent nothing and
 * empties when an ack covers fwd.nextseq), MPTCP's tolerance of duplicate
 * ACKs, and the ICMP-embedded / fragmented TCP cases (never tracked here).
 */

#include <string.h>

#include "diagnose.h"
#include "flow_priv.h"

/* Analysis flags of one segment (Wireshark's TCP_A_*, those that matter). */
#define A_ZERO_WINDOW_PROBE 0x001
#define A_ZERO_WINDOW 0x002
#define A_KEEP_ALIVE 0x004
#define A_KEEP_ALIVE_ACK 0x008
#define A_ZERO_WINDOW_PROBE_ACK 0x010
#define A_DUPLICATE_ACK 0x020
#define A_SPURIOUS_RETRANSMISSION 0x040
#define A_FAST_RETRANSMISSION 0x080
#define A_OUT_OF_ORDER 0x100
#define A_RETRANSMISSION 0x200
#define A_ACK_LOST_PACKET 0x400 /* "ACKed segment that wasn't captured" */

#define A_ANY_RETRANSMISSION (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)

#define NS_PER_MS 1000000ULL
#define FAST_RETRANS_WINDOW_NS (20 * NS_PER_MS)
#define OOO_DEFAULT_THRESHOLD_NS (3 * NS_PER_MS)

/* RFC 7323 section 2.3: a shift above 14 is treated as 14. */
#define WSCALE_MAX 14

#define SFR (DPP_TCP_SYN | DPP_TCP_FIN | DPP_TCP_RST)

/*
 * Connection state machine: the aging class after a segment, from the class
 * before it and the event the segment is. Events are ranked; a segment is
 * the highest-ranked event that applies to it.
 */
enum tcp_event {
	EV_OTHER,    /* anything else (initiator's data, ACKs, ...) */
	EV_SYN,	     /* SYN or SYN-ACK: the handshake goes on */
	EV_ANSWER,   /* the handshake is over: see handshake_over() */
	EV_FIN_BOTH, /* this FIN means both sides have now sent one */
	EV_RST,	     /* RST (RFC 9293 section 3.10.7: the connection is gone) */
	EV_MAX,
};

/*
 * Every (state, event) pair is listed, so a reader can follow a connection
 * through it (a pair left out would silently read as 0, HALF_OPEN). The
 * states are aging classes (enum dpp_flow_state); the outcome is decided
 * from the flow's flags when it ends (flow_outcome()).
 */
static const uint8_t tcp_transition[DPP_FLOW_STATE_MAX][EV_MAX] = {
	[DPP_FLOW_HALF_OPEN] = {
		/* The SYN sender again without its final ACK (data on a SYN, ...): still waiting. */
		[EV_OTHER] = DPP_FLOW_HALF_OPEN,
		/* SYN retransmits and SYN-ACKs: the handshake goes on (spoofed SYNs stay here). */
		[EV_SYN] = DPP_FLOW_HALF_OPEN,
		/* The client's ACK after the SYN-ACK, or the server speaking: established. */
		[EV_ANSWER] = DPP_FLOW_OPEN,
		/* Both FINs before the handshake was seen to end: the connection is over. */
		[EV_FIN_BOTH] = DPP_FLOW_CLOSED,
		/* An RST (a refused SYN, an aborted handshake): gone, RFC 9293 3.10.7.4. */
		[EV_RST] = DPP_FLOW_CLOSED,
	},
	[DPP_FLOW_OPEN] = {
		/* Data and ACKs of an established or midstream flow. */
		[EV_OTHER] = DPP_FLOW_OPEN,
		/* A SYN on an open flow (a retransmit with the same ISN): no change. */
		[EV_SYN] = DPP_FLOW_OPEN,
		[EV_ANSWER] = DPP_FLOW_OPEN,
		/* The second side's FIN: closed, lingering for its last ACK (RFC 9293 3.6). */
		[EV_FIN_BOTH] = DPP_FLOW_CLOSED,
		/* An RST ends it at once. */
		[EV_RST] = DPP_FLOW_CLOSED,
	},
	[DPP_FLOW_CLOSED] = {
		/*
		 * Closed is final: late ACKs, retransmitted FINs and RSTs belong to
		 * the flow while it lingers; a new SYN with another ISN starts a new
		 * flow before it gets here (dpp_tcp_starts_new_stream()).
		 */
		[EV_OTHER] = DPP_FLOW_CLOSED,
		[EV_SYN] = DPP_FLOW_CLOSED,
		[EV_ANSWER] = DPP_FLOW_CLOSED,
		[EV_FIN_BOTH] = DPP_FLOW_CLOSED,
		[EV_RST] = DPP_FLOW_CLOSED,
	},
};

/* CONTRACT "Client/server without a SYN": higher port, then greater address. */
static int client_side(const struct dpp_flow *f)
{
	if (f->syn_side != DPP_FLOW_SIDE_UNKNOWN)
		return f->syn_side;
	if (f->port[0] != f->port[1])
		return f->port[0] > f->port[1] ? 0 : 1;
	return memcmp(f->addr[0], f->addr[1], 16) >= 0 ? 0 : 1;
}

static inline bool is_syn_only(uint8_t flags)
{
	return (flags & (DPP_TCP_SYN | DPP_TCP_ACK)) == DPP_TCP_SYN;
}

int dpp_tcp_initial_state(const struct dpp_pkt_view *v)
{
	/* The state machine then applies the first packet itself (an RST closes). */
	return (v->tcp_flags & DPP_TCP_SYN) ? DPP_FLOW_HALF_OPEN : DPP_FLOW_OPEN;
}

/*
 * Does a segment without SYN, sent by side d, show the handshake is over?
 * Yes if it comes from the side that did not send the SYN (or no SYN was
 * seen), or if it is the SYN sender's ACK after a SYN-ACK. Until then the
 * flow stays half-open, also once a SYN-ACK answered it: a server answers
 * spoofed SYNs too, and those flows must stay inside the half-open budget,
 * never push established flows out.
 */
static inline bool handshake_over(const struct dpp_flow *f, uint8_t fl, int d)
{
	return f->syn_side == DPP_FLOW_SIDE_UNKNOWN || f->syn_side != d ||
	       (f->synack_side != DPP_FLOW_SIDE_UNKNOWN && (fl & DPP_TCP_ACK));
}

bool dpp_tcp_starts_new_stream(const struct dpp_flow *f, const struct dpp_pkt_view *v, int d)
{
	const struct dpp_tcp_dir *fwd = &f->dir[d];

	return is_syn_only(v->tcp_flags) && (fwd->flags & DPP_DIR_BASE_SET) &&
	       v->seq != fwd->base_seq;
}

void dpp_tcp_flow_init(struct dpp_flow *f, const struct dpp_pkt_view *v, uint64_t ts_ns)
{
	memcpy(f->addr[0], v->src, 16);
	memcpy(f->addr[1], v->dst, 16);
	f->port[0] = v->sport;
	f->port[1] = v->dport;
	f->ip_version = v->ip_version;
	f->syn_side = DPP_FLOW_SIDE_UNKNOWN;
	f->synack_side = DPP_FLOW_SIDE_UNKNOWN;
	f->rst_side = DPP_FLOW_SIDE_UNKNOWN;
	f->flags = 0;
	f->first_ns = ts_ns;
	f->last_ns = ts_ns;
	f->mru_syn_ns = 0;
	f->first_rtt_ns = 0;
	f->first_synack_ns = 0;
	f->syn_to_synack_ns = DPP_FLOW_NO_TIME;
	f->synack_to_ack_ns = DPP_FLOW_NO_TIME;
	f->syn = 0;
	f->synack = 0;
	memset(f->dir, 0, sizeof(f->dir));
	f->dir[0].win_shift = DPP_WIN_SCALE_UNKNOWN;
	f->dir[1].win_shift = DPP_WIN_SCALE_UNKNOWN;
	memset(f->ev, 0, sizeof(f->ev));
	memset(&f->dh, 0, sizeof(f->dh));
	memset(&f->diag, 0, sizeof(f->diag));
}

/*
 * Wireshark's sequence analysis of one segment (see the rules at the top).
 * Returns the A_* flags of the segment.
 */
static unsigned analyze_segment(struct dpp_flow *f, struct dpp_tcp_dir *fwd,
				struct dpp_tcp_dir *rev, const struct dpp_pkt_view *v, uint64_t ts,
				uint32_t *unseen_bytes)
{
	const uint32_t seq = v->seq;
	const uint32_t ack = v->ack;
	const uint32_t len = v->payload_len;
	const uint8_t fl = v->tcp_flags;
	const uint16_t win = v->window;
	const bool no_sfr = (fl & SFR) == 0;
	/* Same window, seq and ack as fwd's previous segment, nothing in it. */
	const bool repeats_last = len == 0 && (fwd->flags & DPP_DIR_WIN) && win == fwd->window &&
				  seq == fwd->nextseq && ack == fwd->lastack && no_sfr;
	unsigned a = 0;
	uint32_t nextseq;

	/* 0. Base sequence numbers; a SYN-ACK with a new ISN replaces fwd's. */
	if (!(fwd->flags & DPP_DIR_BASE_SET)) {
		fwd->base_seq = (fl & DPP_TCP_SYN) ? seq : seq - 1;
		fwd->flags |= DPP_DIR_BASE_SET;
	}
	if (!(rev->flags & DPP_DIR_BASE_SET) && (fl & DPP_TCP_ACK)) {
		rev->base_seq = ack - 1;
		rev->flags |= DPP_DIR_BASE_SET;
	}

	/* 1. Zero-window probe. */
	if (len == 1 && seq == fwd->nextseq && (rev->flags & DPP_DIR_WIN) && rev->window == 0) {
		a |= A_ZERO_WINDOW_PROBE;
		goto ack_checks;
	}
	/* 2. Zero window. */
	if (win == 0 && no_sfr)
		a |= A_ZERO_WINDOW;
	/* 4. Keep-alive (also when nextseq is still unknown, as Wireshark does). */
	if (len <= 1 && seq == fwd->nextseq - 1 && no_sfr)
		a |= A_KEEP_ALIVE;
	/* 6. Keep-alive ACK. */
	if (repeats_last && win != 0 && (rev->flags & DPP_DIR_LAST_KA)) {
		a |= A_KEEP_ALIVE_ACK;
		goto ack_checks;
	}
	/* 7. Zero-window-probe ACK. */
	if (repeats_last && win == 0 && (rev->flags & DPP_DIR_LAST_ZWP)) {
		a |= A_ZERO_WINDOW_PROBE_ACK;
		goto ack_checks;
	}
	/* 8. Duplicate ACK. */
	if (repeats_last && win != 0) {
		if (fwd->dupacks == -1)
			fwd->dupacks = 1;
		else if (fwd->dupacks < INT16_MAX)
			fwd->dupacks++;
		a |= A_DUPLICATE_ACK;
	}

ack_checks:
	/* 9. A new ack value ends a duplicate ACK run. */
	if (ack != fwd->lastack)
		fwd->dupacks = 0;
	/*
	 * ACKed unseen segment: the other side received data the probe never
	 * saw, either a hole before data it did see or data past all it saw.
	 * On a capture point that is capture loss (Wireshark's "ACKed segment
	 * that wasn't captured"; Zeek's capture_loss counts the same). The
	 * bytes are what the ack covers past all rev sent that the probe saw;
	 * a hole inside data it saw counts as an event only (its size is not
	 * kept), so the bytes are a lower bound.
	 */
	if (rev->maxseqtobeacked && DPP_SEQ_GT(ack, rev->maxseqtobeacked) && (fl & DPP_TCP_ACK)) {
		a |= A_ACK_LOST_PACKET;
		if (DPP_SEQ_LT(rev->maxseqtobeacked, rev->nextseq)) {
			rev->maxseqtobeacked = rev->nextseq;
		} else {
			/* Not again what this side's previous ack already covered. */
			const uint32_t from = (fwd->lastack && DPP_SEQ_GT(fwd->lastack, rev->nextseq))
						      ? fwd->lastack
						      : rev->nextseq;

			*unseen_bytes = DPP_SEQ_GT(ack, from) ? ack - from : 0;
			rev->dupacks = -1;
		}
	}

	/* 10. Retransmission, fast retransmission, spurious, out-of-order. */
	if ((len > 0 || (fl & (DPP_TCP_SYN | DPP_TCP_FIN))) && !(a & A_KEEP_ALIVE)) {
		bool not_advanced = fwd->nextseq && DPP_SEQ_LT(seq, fwd->nextseq);
		uint64_t ooo_threshold;

		/* More than one byte from nextseq - 1: new data after a probe. */
		if (len > 1 && fwd->nextseq - 1 == seq)
			not_advanced = false;

		if (len > 0 && rev->lastack && DPP_SEQ_LE(seq + len, rev->lastack)) {
			a |= A_SPURIOUS_RETRANSMISSION;
		} else if (not_advanced && (uint16_t)rev->dupacks >= 2 && rev->lastack == seq &&
			   ts - rev->lastack_ns < FAST_RETRANS_WINDOW_NS) {
			a |= A_FAST_RETRANSMISSION;
		} else if (not_advanced) {
			/* Only here is the handshake line read: most segments advance. */
			ooo_threshold =
				f->first_rtt_ns ? f->first_rtt_ns : OOO_DEFAULT_THRESHOLD_NS;
			if (ts - fwd->nextseq_ns < ooo_threshold &&
			    fwd->nextseq !=
				    seq + len + ((fl & (DPP_TCP_SYN | DPP_TCP_FIN)) ? 1 : 0))
				a |= A_OUT_OF_ORDER;
			else
				a |= A_RETRANSMISSION;
		}
	}

	/* 11. Remember the segment. */
	nextseq = seq + len;
	if ((len > 0 || (fl & (DPP_TCP_SYN | DPP_TCP_FIN))) && fwd->unacked < DPP_TCP_MAX_UNACKED) {
		if (fl & (DPP_TCP_SYN | DPP_TCP_FIN))
			nextseq++;
		/* Only a silent other side lets Wireshark's list grow long. */
		if (rev->packets == 0)
			fwd->unacked++;
	}
	if (!(a & A_ZERO_WINDOW_PROBE)) {
		if (DPP_SEQ_GT(nextseq, fwd->nextseq) || !fwd->nextseq) {
			fwd->nextseq = nextseq;
			fwd->nextseq_ns = ts;
		}
		if (seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked)
			fwd->maxseqtobeacked = fwd->nextseq;
	}
	fwd->window = win;
	fwd->lastack = ack;
	fwd->lastack_ns = ts;
	fwd->flags = (fwd->flags & ~(DPP_DIR_LAST_KA | DPP_DIR_LAST_ZWP)) | DPP_DIR_WIN |
		     ((a & A_KEEP_ALIVE) ? DPP_DIR_LAST_KA : 0) |
		     ((a & A_ZERO_WINDOW_PROBE) ? DPP_DIR_LAST_ZWP : 0);
	/* This ack empties rev's unacked list when it covers all of it. */
	if (rev->unacked && DPP_SEQ_LE(rev->nextseq, ack))
		rev->unacked = 0;

	return a;
}

/* ------------------------------------------------------------------ */
/* Diagnosis evidence (CONTRACT "Diagnosis"; decided in diagnose.c)    */
/* ------------------------------------------------------------------ */

/* Nanoseconds as whole microseconds, saturating at UINT32_MAX (71 minutes). */
static inline uint32_t sat_us(uint64_t ns)
{
	ns /= 1000;
	return ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static inline uint32_t sat_add(uint32_t a, uint32_t b)
{
	return a + b < a ? UINT32_MAX : a + b;
}

/*
 * Stall condition of direction x: unacked payload, or the other side's
 * window at zero. Payload counts as unacked only once the other side has
 * been seen at all: in a capture of one direction its ACKs are invisible.
 */
static inline bool stall_cond(const struct dpp_flow *f, int x)
{
	const uint16_t need = DPP_DG_SEQ | DPP_DG_UNA | DPP_DG_PEER_SEEN;
	const struct dpp_diag_dir *g = &f->dh.dir[x];
	const bool unacked = (g->flags & need) == need && DPP_SEQ_LT(g->una, g->snd_max);

	return unacked || (f->dh.dir[x ^ 1].flags & DPP_DG_WIN0);
}

/* Length of x's current stall if it ended at t. */
static inline uint32_t stall_us_at(const struct dpp_diag_dir *g, uint64_t t)
{
	uint32_t us = g->stall_accum_us;

	if ((g->flags & DPP_DG_COND) && t > g->cond_since_ns)
		us = sat_add(us, sat_us(t - g->cond_since_ns));
	return us;
}

/* A stall of direction x of us microseconds ended: keep it if it is the longest (c2s on a tie). */
static void stall_ended(struct dpp_diag_hot *dg, const struct dpp_flow *f, int x, uint32_t us)
{
	const uint16_t g = f->dh.dir[x].flags;
	const int longest_dir = (dg->flags & DPP_DF_LONGEST_DIR1) ? 1 : 0;

	if (dg->flags & DPP_DF_STALLED) {
		if (us < dg->longest_stall_us)
			return;
		if (us == dg->longest_stall_us && (longest_dir == x || x != client_side(f)))
			return;
	}
	dg->longest_stall_us = us;
	dg->flags = (uint16_t)((dg->flags & ~(DPP_DF_LONGEST_DIR1 | DPP_DF_LONGEST_ZW |
					      DPP_DF_LONGEST_RTO)) |
			       DPP_DF_STALLED | (x ? DPP_DF_LONGEST_DIR1 : 0) |
			       ((g & DPP_DG_BEGAN_ZW) ? DPP_DF_LONGEST_ZW : 0) |
			       ((g & DPP_DG_DATA_RETRANS) ? DPP_DF_LONGEST_RTO : 0));
}

/* The stall condition of x became true at t. */
static inline void stall_begin(struct dpp_flow *f, int x, uint64_t t)
{
	struct dpp_diag_dir *g = &f->dh.dir[x];

	g->flags |= DPP_DG_COND;
	g->cond_since_ns = t;
	if (!(g->flags & DPP_DG_BEGAN))
		g->flags |= DPP_DG_BEGAN | ((f->dh.dir[x ^ 1].flags & DPP_DG_WIN0) ? DPP_DG_BEGAN_ZW : 0);
}

/*
 * Stalls and zero-window episodes, for a segment without RST from d with
 * analysis flags a. O(1): each direction's condition is re-evaluated once.
 */
static void track_stalls(struct dpp_flow *f, const struct dpp_pkt_view *v, int d, uint64_t t,
			 unsigned a)
{
	struct dpp_diag_dir *fw = &f->dh.dir[d];
	struct dpp_diag_dir *rv = &f->dh.dir[d ^ 1];
	const uint32_t len = v->payload_len;
	const uint8_t fl = v->tcp_flags;
	bool progress[2] = {false, false};
	/* Something a stall condition reads changed (besides progress). */
	bool changed = false;

	/* The other side now knows this one is there: its ACKs can be judged. */
	if (!(rv->flags & DPP_DG_PEER_SEEN)) {
		rv->flags |= DPP_DG_PEER_SEEN;
		changed = true;
	}
	/* Where this side's sequence space starts: after the SYN, or at the first segment. */
	if (!(fw->flags & DPP_DG_SEQ)) {
		fw->snd_max = v->seq + ((fl & DPP_TCP_SYN) ? 1 : 0);
		fw->flags |= DPP_DG_SEQ;
		if (!(fw->flags & DPP_DG_UNA)) {
			fw->una = fw->snd_max;
			fw->flags |= DPP_DG_UNA;
		}
		changed = true;
	}
	/* Progress 1: new payload, sequence space never sent (probes are not new payload). */
	if (len > 0 && !(a & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE))) {
		if (DPP_SEQ_GT(v->seq + len, fw->snd_max)) {
			fw->snd_max = v->seq + len;
			progress[d] = true;
		} else if ((fw->flags & (DPP_DG_BEGAN | DPP_DG_DATA_SEEN)) == DPP_DG_BEGAN) {
			/* The first payload during the stall repeats old sequence space. */
			fw->flags |= DPP_DG_DATA_SEEN | DPP_DG_DATA_RETRANS;
		}
	}
	/* Progress 2: this ACK advances over the other side's payload. */
	if (fl & DPP_TCP_ACK) {
		if (!(rv->flags & DPP_DG_UNA)) {
			rv->una = v->ack;
			rv->flags |= DPP_DG_UNA;
			changed = true;
		} else if (DPP_SEQ_GT(v->ack, rv->una)) {
			if ((rv->flags & DPP_DG_SEQ) && DPP_SEQ_LT(rv->una, rv->snd_max)) {
				progress[d ^ 1] = true;
				rv->flags |= DPP_DG_ACKED;
			}
			rv->una = v->ack;
		}
	}
	/* The window the other side's stall condition reads (RSTs excluded). */
	if ((v->window == 0) != ((fw->flags & DPP_DG_WIN0) != 0)) {
		fw->flags ^= DPP_DG_WIN0;
		changed = true;
	}
	/* Zero-window episodes of this sender; SYN, FIN, RST neither open nor close one. */
	if ((v->window == 0) != ((fw->flags & DPP_DG_ZW_OPEN) != 0) && !(fl & SFR)) {
		if (v->window == 0) {
			f->diag.zw_since_ns[d] = t;
			fw->flags |= DPP_DG_ZW_OPEN;
		} else {
			f->diag.zw_total_ns[d] += t - f->diag.zw_since_ns[d];
			fw->flags &= (uint16_t)~DPP_DG_ZW_OPEN;
		}
	}
	/*
	 * A condition changes only with a progress event, a window that turns
	 * zero or non-zero, or a side's sequence space becoming known: most
	 * segments (an ACK of nothing new, a retransmission) skip the rest.
	 */
	if (!progress[0] && !progress[1] && !changed)
		return;

	for (int x = 0; x < 2; x++) {
		struct dpp_diag_dir *g = &f->dh.dir[x];
		const bool was = (g->flags & DPP_DG_COND) != 0;
		const bool now = stall_cond(f, x);

		if (progress[x]) {
			/* A progress event ends the stall (if any) and starts a new interval. */
			if (g->flags & DPP_DG_BEGAN)
				stall_ended(&f->dh, f, x, stall_us_at(g, t));
			g->flags &= (uint16_t)~(DPP_DG_COND | DPP_DG_BEGAN | DPP_DG_BEGAN_ZW |
						DPP_DG_DATA_SEEN | DPP_DG_DATA_RETRANS);
			g->stall_accum_us = 0;
			if (now)
				stall_begin(f, x, t);
		} else if (was && !now) {
			g->stall_accum_us = sat_add(g->stall_accum_us, sat_us(t - g->cond_since_ns));
			g->flags &= (uint16_t)~DPP_DG_COND;
		} else if (!was && now) {
			stall_begin(f, x, t);
		}
	}
}

/* The flow's first RST, sent by d at t: the evidence for the reset causes. */
static void track_first_rst(struct dpp_flow *f, const struct dpp_pkt_view *v, int d, uint64_t t)
{
	const struct dpp_diag_hot *h = &f->dh;
	struct dpp_diag *dg = &f->diag;
	const int cl = client_side(f);
	const struct dpp_diag_dir *cg = &h->dir[cl];
	/* Does this RST acknowledge client payload? */
	const bool acks_payload = (v->tcp_flags & DPP_TCP_ACK) &&
				  (cg->flags & (DPP_DG_SEQ | DPP_DG_UNA)) ==
					  (DPP_DG_SEQ | DPP_DG_UNA) &&
				  DPP_SEQ_GT(v->ack, cg->una) && DPP_SEQ_LT(cg->una, cg->snd_max);

	/* Silence before it, for flows whose handshake completed (or was never seen). */
	if ((h->flags & DPP_DF_EVENT) && ((h->flags & DPP_DF_HS_DONE) || f->syn == 0)) {
		dg->idle_before_rst_us = t > h->last_event_ns ? sat_us(t - h->last_event_ns) : 0;
		dg->flags |= DPP_DC_IDLE;
	}
	/* The server's, before it sent payload or acked any of the client's. */
	if (d != cl && f->dir[d].payload_bytes == 0 && !(cg->flags & DPP_DG_ACKED) && !acks_payload)
		dg->flags |= DPP_DC_RST_EARLY;
	/* Its sender had closed, and the other side wrote after that FIN. */
	if ((f->flags & (d ? DPP_FLOW_F_FIN1 : DPP_FLOW_F_FIN0)) &&
	    (h->dir[d ^ 1].flags & DPP_DG_AFTER_FIN))
		dg->flags |= DPP_DC_RST_AFTER_FIN;
}

/* History letters, as bits: S H A D F R T W (CONTRACT "history"). */
static const char history_letters[] = "SHADFRTW";

/*
 * The letters a segment's flags give (S, H, A for an empty segment, F, R),
 * indexed by its SYN, ACK, FIN and RST bits.
 */
static const uint8_t history_of_flags[64] = {
#define H_ENTRY(fl)                                                                                \
	[fl] = (uint8_t)((((fl) & DPP_TCP_SYN) ? (((fl) & DPP_TCP_ACK) ? 0x02 : 0x01) : 0) |       \
			 ((((fl) & (DPP_TCP_ACK | SFR)) == DPP_TCP_ACK) ? 0x04 : 0) |              \
			 (((fl) & DPP_TCP_FIN) ? 0x10 : 0) | (((fl) & DPP_TCP_RST) ? 0x20 : 0))
#define H_ROW(b) H_ENTRY(b), H_ENTRY(b + 1), H_ENTRY(b + 2), H_ENTRY(b + 3), H_ENTRY(b + 4), \
		 H_ENTRY(b + 5), H_ENTRY(b + 6), H_ENTRY(b + 7)
	H_ROW(0), H_ROW(8), H_ROW(16), H_ROW(24), H_ROW(32), H_ROW(40), H_ROW(48), H_ROW(56),
#undef H_ROW
#undef H_ENTRY
};

static inline void track_history(struct dpp_flow *f, const struct dpp_pkt_view *v, int d,
				 unsigned a)
{
	unsigned letters = history_of_flags[v->tcp_flags & (DPP_TCP_SYN | DPP_TCP_ACK | SFR)];
	unsigned fresh;

	/* A pure ACK carries no payload; D is payload other than a keep-alive byte. */
	if (v->payload_len > 0)
		letters = (letters & ~0x04u) | ((a & A_KEEP_ALIVE) ? 0 : 0x08u);
	if ((a & A_ANY_RETRANSMISSION) && !(v->tcp_flags & DPP_TCP_SYN))
		letters |= 0x40;
	if (a & A_ZERO_WINDOW)
		letters |= 0x80;
	/* Most segments add nothing: one test, on line 5. */
	fresh = (letters << (8 * d)) & ~(unsigned)f->dh.history_seen;
	while (fresh != 0) {
		const unsigned bit = (unsigned)__builtin_ctz(fresh);
		const unsigned pos = (unsigned)__builtin_popcount(f->dh.history_seen);

		f->diag.history |= (uint64_t)bit << (4 * pos);
		f->dh.history_seen |= (uint16_t)(1u << bit);
		fresh &= fresh - 1;
	}
}

/*
 * All the diagnosis evidence of one segment from d, after the analysis (a)
 * and the handshake bookkeeping, before the per-direction counters move.
 */
static void track_diagnosis(struct dpp_flow *f, const struct dpp_pkt_view *v, int d, uint64_t t,
			    unsigned a)
{
	struct dpp_diag_hot *h = &f->dh;
	const uint8_t fl = v->tcp_flags;
	const bool payload = v->payload_len > 0 && !(a & A_KEEP_ALIVE);

	/* The handshake completed: the client's first segment with ACK, without SYN (or RST). */
	if (!(h->flags & DPP_DF_HS_DONE) && f->synack_side != DPP_FLOW_SIDE_UNKNOWN &&
	    f->synack_side != d && (fl & (DPP_TCP_ACK | DPP_TCP_SYN | DPP_TCP_RST)) == DPP_TCP_ACK) {
		h->flags |= DPP_DF_HS_DONE;
		/* If the server speaks first, its response time counts from here. */
		f->diag.response_from_ns = t;
		f->diag.flags |= DPP_DC_RESP_FROM;
	}
	/* A SYN-ACK timeout retransmission after the client's ACK: the ACK was dropped. */
	if ((fl & (DPP_TCP_SYN | DPP_TCP_ACK)) == (DPP_TCP_SYN | DPP_TCP_ACK) &&
	    (h->flags & DPP_DF_HS_DONE) && f->syn > 0 && t >= f->mru_syn_ns + DPP_DIAG_SYNACK_RTO_NS)
		f->diag.flags |= DPP_DC_SYNACK_AFTER_ACK;

	track_history(f, v, d, a);

	if (fl & DPP_TCP_RST) {
		if (f->rst_side == DPP_FLOW_SIDE_UNKNOWN)
			track_first_rst(f, v, d, t);
		return; /* RSTs are neither progress nor windows nor events. */
	}

	if (payload) {
		if (f->flags & (d ? DPP_FLOW_F_FIN0 : DPP_FLOW_F_FIN1))
			h->dir[d].flags |= DPP_DG_AFTER_FIN;
		/* Server response time: first client payload, then the server's first after it. */
		if ((h->flags & (DPP_DF_CLI_DATA | DPP_DF_SRV_DATA)) !=
		    (DPP_DF_CLI_DATA | DPP_DF_SRV_DATA)) {
			struct dpp_diag *dg = &f->diag;

			if (d == client_side(f)) {
				if (!(h->flags & DPP_DF_CLI_DATA)) {
					h->flags |= DPP_DF_CLI_DATA;
					/* Unless the server has already spoken. */
					if (!(h->flags & DPP_DF_SRV_DATA)) {
						dg->response_from_ns = t;
						dg->flags |= DPP_DC_RESP_FROM;
					}
				}
			} else if (!(h->flags & DPP_DF_SRV_DATA)) {
				h->flags |= DPP_DF_SRV_DATA;
				if (dg->flags & DPP_DC_RESP_FROM) {
					const uint64_t from = dg->response_from_ns;

					dg->server_response_us = t > from ? sat_us(t - from) : 0;
					dg->flags |= DPP_DC_RESPONSE;
				}
			}
		}
	}
	if (payload || (fl & (DPP_TCP_SYN | DPP_TCP_FIN))) {
		h->last_event_ns = t;
		h->flags |= DPP_DF_EVENT;
	}
	track_stalls(f, v, d, t, a);
}

/*
 * Which shift scales each side's windows, as Wireshark 4.0 decides it
 * (packet-tcp.c: the window-scale option sets the sender's win_scale, then
 * verify_tcp_window_scaling()), one SYN or SYN-ACK at a time: a SYN or
 * SYN-ACK with the option gives its sender's shift (RFC 7323 2.2; above 14
 * counts as 14, 2.3); one without it, from a side with no shift yet, means
 * neither side scales; a SYN-ACK with it after a SYN without it scales
 * nothing either. A side whose handshake segment was not captured keeps
 * an unknown shift and its windows stay raw, while the other side's are
 * scaled by its own shift as soon as it is seen (never retroactively).
 */
static void track_window_scale(struct dpp_tcp_dir *fwd, struct dpp_tcp_dir *rev,
			       const struct dpp_pkt_view *v)
{
	if (v->has_wscale)
		fwd->win_shift = (int8_t)(v->wscale > WSCALE_MAX ? WSCALE_MAX : v->wscale);
	if (fwd->win_shift == DPP_WIN_SCALE_UNKNOWN) {
		fwd->win_shift = DPP_WIN_SCALE_NONE;
		rev->win_shift = DPP_WIN_SCALE_NONE;
	} else if ((v->tcp_flags & DPP_TCP_ACK) && rev->win_shift == DPP_WIN_SCALE_NONE) {
		fwd->win_shift = DPP_WIN_SCALE_NONE;
	}
}

/* Handshake bookkeeping: SYN/SYN-ACK counts, options, timings. */
static void track_handshake(struct dpp_flow *f, struct dpp_tcp_dir *fwd,
			    struct dpp_tcp_dir *rev, const struct dpp_pkt_view *v, int d,
			    uint64_t ts, struct dpp_flow_counters *c)
{
	const uint8_t fl = v->tcp_flags;

	if (fl & DPP_TCP_SYN) {
		if (fl & DPP_TCP_ACK) {
			f->synack++;
			c->synack++;
			if (f->synack_side == DPP_FLOW_SIDE_UNKNOWN) {
				f->synack_side = (uint8_t)(d & 1);
				f->first_synack_ns = ts;
				if (f->syn)
					f->syn_to_synack_ns = (int64_t)(ts - f->mru_syn_ns);
			}
		} else {
			f->syn++;
			c->syn++;
			if (f->syn_side == DPP_FLOW_SIDE_UNKNOWN)
				f->syn_side = (uint8_t)(d & 1);
		}
		track_window_scale(fwd, rev, v);
		/* RFC 9293 3.7.1 (MSS), RFC 7323 2.2 (WS), RFC 2018 2 (SACK-permitted). */
		if (!(fwd->flags & DPP_DIR_OPTS)) {
			fwd->flags |= DPP_DIR_OPTS | (v->has_mss ? DPP_DIR_MSS : 0) |
				      (v->has_wscale ? DPP_DIR_WS : 0) |
				      (v->sack_permitted ? DPP_DIR_SACK : 0);
			fwd->mss = v->has_mss ? v->mss : 0;
			fwd->wscale = v->has_wscale ? v->wscale : 0;
		}
	} else if ((fl & (DPP_TCP_ACK | DPP_TCP_FIN | DPP_TCP_RST)) == DPP_TCP_ACK &&
		   v->payload_len == 0 && f->synack_side != DPP_FLOW_SIDE_UNKNOWN &&
		   f->synack_side != d && !(f->flags & DPP_FLOW_F_SYNACK_ACKED)) {
		/* The client's first pure ACK after the first SYN-ACK. */
		f->synack_to_ack_ns = (int64_t)(ts - f->first_synack_ns);
		f->flags |= DPP_FLOW_F_SYNACK_ACKED;
	}
}

int dpp_tcp_track(struct dpp_flow *f, const struct dpp_pkt_view *v, int d, uint64_t ts,
		  struct dpp_flow_counters *c)
{
	struct dpp_tcp_dir *fwd = &f->dir[d];
	struct dpp_tcp_dir *rev = &f->dir[d ^ 1];
	struct dpp_tcp_dir_events *fev = &f->ev[d];
	const uint8_t fl = v->tcp_flags;
	const uint8_t fin_bit = d ? DPP_FLOW_F_FIN1 : DPP_FLOW_F_FIN0;
	enum tcp_event ev = EV_OTHER;
	uint32_t unseen_bytes = 0;
	unsigned a;

	/* Conversation-level SYN rules of Wireshark (see rule 0). */
	if ((fl & DPP_TCP_SYN) && (fwd->flags & DPP_DIR_BASE_SET)) {
		if (!(fl & DPP_TCP_ACK))
			fwd->nextseq = fwd->maxseqtobeacked; /* same ISN: a SYN retransmit */
		else if (v->seq != fwd->base_seq)
			fwd->base_seq = v->seq;
	}

	a = analyze_segment(f, fwd, rev, v, ts, &unseen_bytes);
	if (__builtin_expect((a & A_ACK_LOST_PACKET) != 0, 0)) {
		/* The unseen data was rev's: c2s when rev is the client (as known now). */
		const int to_client = (d ^ 1) == client_side(f) ? 0 : 1;

		c->capture_loss_acks[to_client]++;
		c->capture_loss_bytes[to_client] += unseen_bytes;
	}

	/* Handshake RTT used by the out-of-order rule, set after the analysis. */
	if (is_syn_only(fl)) {
		f->mru_syn_ns = ts;
		/* RTT_PENDING stands for "mru_syn_ns && !first_rtt_ns" in line 0. */
		if (ts != 0 && f->first_rtt_ns == 0)
			f->flags |= DPP_FLOW_F_RTT_PENDING;
		else
			f->flags &= (uint8_t)~DPP_FLOW_F_RTT_PENDING;
	}
	if ((f->flags & DPP_FLOW_F_RTT_PENDING) &&
	    (fl & (DPP_TCP_SYN | DPP_TCP_ACK)) == DPP_TCP_ACK) {
		f->first_rtt_ns = ts - f->mru_syn_ns;
		if (f->first_rtt_ns != 0)
			f->flags &= (uint8_t)~DPP_FLOW_F_RTT_PENDING;
	}

	track_handshake(f, fwd, rev, v, d, ts, c);
	track_diagnosis(f, v, d, ts, a);

	/* Per-direction counters (CONTRACT: c2s / s2c). */
	fwd->packets++;
	fwd->payload_bytes += v->payload_len;
	/* SYN windows are never scaled (RFC 7323 2.2); others by the shift known now. */
	{
		uint32_t win = v->window;

		if (!(fl & DPP_TCP_SYN) && fwd->win_shift >= 0)
			win <<= fwd->win_shift;
		if (win > fwd->win_max)
			fwd->win_max = win;
	}
	/*
	 * A window-scale option on a segment without SYN (nmap's OS probes):
	 * Wireshark stores its shift for the sender all the same
	 * (dissect_tcpopt_wscale() has no SYN check; only SYNs are verified),
	 * and scales that side's later windows by it.
	 */
	if (__builtin_expect(v->has_wscale, 0) && !(fl & DPP_TCP_SYN))
		fwd->win_shift = (int8_t)(v->wscale > WSCALE_MAX ? WSCALE_MAX : v->wscale);
	if (!(fl & DPP_TCP_SYN)) {
		if (a & A_ANY_RETRANSMISSION) {
			fev->retrans++;
			c->retrans++;
		} else if (a & A_OUT_OF_ORDER) {
			fev->out_of_order++;
		}
	}
	if (a & A_ZERO_WINDOW) {
		fev->zero_window++;
		c->zero_window++;
	}
	if (a & A_DUPLICATE_ACK)
		fev->dup_ack++;
	if (a & A_KEEP_ALIVE)
		fev->keep_alive++;
	if (a & A_ZERO_WINDOW_PROBE)
		fev->zero_window_probe++;
	f->last_ns = ts;

	/* Close bookkeeping; a FIN in the same segment as an RST counts first. */
	if (fl & DPP_TCP_FIN) {
		fev->fin++;
		f->flags |= fin_bit;
		if ((f->flags & (DPP_FLOW_F_FIN0 | DPP_FLOW_F_FIN1)) ==
		    (DPP_FLOW_F_FIN0 | DPP_FLOW_F_FIN1))
			ev = EV_FIN_BOTH;
	}
	if (fl & DPP_TCP_RST) {
		fev->rst++;
		c->rst++;
		if (f->rst_side == DPP_FLOW_SIDE_UNKNOWN) {
			f->rst_side = (uint8_t)(d & 1);
			if ((f->flags & (DPP_FLOW_F_FIN0 | DPP_FLOW_F_FIN1)) !=
			    (DPP_FLOW_F_FIN0 | DPP_FLOW_F_FIN1))
				f->flags |= DPP_FLOW_F_RESET;
		}
		ev = EV_RST;
	}
	if (ev == EV_OTHER) {
		if (fl & DPP_TCP_SYN)
			ev = EV_SYN;
		else if (handshake_over(f, fl, d))
			ev = EV_ANSWER;
	}

	if (f->state != DPP_FLOW_CLOSED && tcp_transition[f->state][ev] == DPP_FLOW_CLOSED &&
	    ev == EV_RST)
		f->flags |= DPP_FLOW_F_CLOSED_RST;
	return tcp_transition[f->state][ev];
}

static void fill_dir(const struct dpp_tcp_dir *s, const struct dpp_tcp_dir_events *e,
		     struct dpp_flow_dir_record *r)
{
	r->packets = s->packets;
	r->payload_bytes = s->payload_bytes;
	r->retrans = e->retrans;
	r->out_of_order = e->out_of_order;
	r->zero_window = e->zero_window;
	r->rst = e->rst;
	r->fin = e->fin;
	r->win_max = s->win_max;
	r->has_mss = (s->flags & DPP_DIR_MSS) != 0;
	r->mss = s->mss;
	r->has_wscale = (s->flags & DPP_DIR_WS) != 0;
	r->wscale = s->wscale;
	r->sack_ok = (s->flags & DPP_DIR_SACK) != 0;
	r->dup_ack = e->dup_ack;
	r->keep_alive = e->keep_alive;
	r->zero_window_probe = e->zero_window_probe;
}

/* CONTRACT "Outcome, decided in this order". */
static int flow_outcome(const struct dpp_flow *f, int client)
{
	const uint8_t both_fin = DPP_FLOW_F_FIN0 | DPP_FLOW_F_FIN1;

	if (!f->syn)
		return DPP_OUTCOME_MIDSTREAM;
	if (!f->synack)
		return f->ev[client ^ 1].rst ? DPP_OUTCOME_REFUSED : DPP_OUTCOME_SYN_TIMEOUT;
	if (f->flags & DPP_FLOW_F_RESET)
		return DPP_OUTCOME_RESET;
	if ((f->flags & both_fin) == both_fin)
		return DPP_OUTCOME_COMPLETED;
	return DPP_OUTCOME_ESTABLISHED;
}

/* A duration or DPP_DIAG_NONE. */
static inline int64_t us_or_none(bool known, uint64_t us)
{
	return known ? (int64_t)us : DPP_DIAG_NONE;
}

/*
 * The diagnosis of a flow that ends now: open stalls and zero-window
 * episodes count up to its last packet, then the facts go to the rules.
 */
static void fill_diagnosis(const struct dpp_flow *f, int client, uint8_t outcome,
			   const struct dpp_flow_params *p, struct dpp_flow_diag_record *out)
{
	struct dpp_diag_hot h = f->dh;
	const struct dpp_diag *dg = &f->diag;
	struct dpp_diag_facts facts;
	struct dpp_diag_params dp = {
		.stall_threshold_us = (p && p->stall_threshold_ns ? p->stall_threshold_ns
								   : DPP_FLOW_STALL_THRESHOLD_NS) /
				      1000,
		.idle_reset_threshold_us =
			(p && p->idle_reset_threshold_ns ? p->idle_reset_threshold_ns
							 : DPP_FLOW_IDLE_RESET_THRESHOLD_NS) /
			1000,
	};
	uint64_t zw[2];
	unsigned n = 0;

	for (int x = 0; x < 2; x++) {
		const struct dpp_diag_dir *g = &f->dh.dir[x];

		if (g->flags & DPP_DG_BEGAN)
			stall_ended(&h, f, x, stall_us_at(g, f->last_ns));
		zw[x] = dg->zw_total_ns[x];
		if ((g->flags & DPP_DG_ZW_OPEN) && f->last_ns > dg->zw_since_ns[x])
			zw[x] += f->last_ns - dg->zw_since_ns[x];
	}

	memset(&facts, 0, sizeof(facts));
	facts.outcome = outcome;
	facts.handshake_done = (h.flags & DPP_DF_HS_DONE) != 0;
	facts.reset = (f->flags & DPP_FLOW_F_RESET) != 0;
	facts.syn = f->syn;
	facts.synack = f->synack;
	facts.rst_before_server_spoke = (dg->flags & DPP_DC_RST_EARLY) != 0;
	facts.rst_after_own_fin = (dg->flags & DPP_DC_RST_AFTER_FIN) != 0;
	facts.idle_known = (dg->flags & DPP_DC_IDLE) != 0;
	facts.idle_before_rst_us = dg->idle_before_rst_us;
	facts.synack_after_ack = (dg->flags & DPP_DC_SYNACK_AFTER_ACK) != 0;
	facts.stalled_ever = (h.flags & DPP_DF_STALLED) != 0;
	facts.longest_stall_us = h.longest_stall_us;
	facts.longest_began_zero_window = (h.flags & DPP_DF_LONGEST_ZW) != 0;
	facts.longest_first_payload_retrans = (h.flags & DPP_DF_LONGEST_RTO) != 0;
	dpp_diag_decide(&facts, &dp, &out->cls, &out->cause);

	out->syn_retrans = f->syn ? f->syn - 1 : 0;
	out->synack_retrans = f->synack ? f->synack - 1 : 0;
	out->idle_before_rst_us = us_or_none(facts.idle_known, dg->idle_before_rst_us);
	out->server_response_us =
		us_or_none((dg->flags & DPP_DC_RESPONSE) != 0, dg->server_response_us);
	out->zero_window_c2s_us = zw[client] / 1000;
	out->zero_window_s2c_us = zw[client ^ 1] / 1000;
	out->longest_stall_us = us_or_none(facts.stalled_ever, h.longest_stall_us);
	if (!facts.stalled_ever)
		out->stall_dir = DPP_SIDE_NONE;
	else
		out->stall_dir = ((h.flags & DPP_DF_LONGEST_DIR1) ? 1 : 0) == client
					 ? DPP_SIDE_CLIENT
					 : DPP_SIDE_SERVER;
	/* Letters of dir[client] upper case, of the server lower case. */
	for (unsigned pos = 0; pos < (unsigned)__builtin_popcount(h.history_seen); pos++) {
		const unsigned code = (unsigned)(dg->history >> (4 * pos)) & 0xf;
		const char c = history_letters[code & 7];

		out->history[n++] = (int)(code >> 3) == client ? c : (char)(c - 'A' + 'a');
	}
	out->history[n] = '\0';
}

void dpp_tcp_count_end(const struct dpp_flow_record *r, struct dpp_flow_counters *c)
{
	switch (r->outcome) {
	case DPP_OUTCOME_REFUSED:
		c->refused++;
		break;
	case DPP_OUTCOME_SYN_TIMEOUT:
		c->syn_timeout++;
		break;
	case DPP_OUTCOME_RESET:
		c->reset++;
		break;
	case DPP_OUTCOME_COMPLETED:
		c->completed++;
		break;
	default:
		break;
	}
	if (r->diag.cls < DPP_DIAG_CLASS_MAX)
		c->diag_class[r->diag.cls]++;
	if (r->diag.cause != DPP_DIAG_CAUSE_NONE && r->diag.cause < DPP_DIAG_CAUSE_MAX)
		c->diag_cause[r->diag.cause]++;
}

void dpp_tcp_fill_record(const struct dpp_flow *f, int reason, const struct dpp_flow_params *p,
			 struct dpp_flow_record *r)
{
	const int client = client_side(f);
	const int server = client ^ 1;

	memset(r, 0, sizeof(*r));
	r->ip_version = f->ip_version;
	r->outcome = (uint8_t)flow_outcome(f, client);
	if (f->state == DPP_FLOW_CLOSED)
		reason = (f->flags & DPP_FLOW_F_CLOSED_RST) ? DPP_END_RST : DPP_END_FIN;
	r->end_reason = (uint8_t)reason;
	if (f->rst_side == DPP_FLOW_SIDE_UNKNOWN)
		r->rst_by = DPP_SIDE_NONE;
	else
		r->rst_by = f->rst_side == client ? DPP_SIDE_CLIENT : DPP_SIDE_SERVER;
	r->client_port = f->port[client];
	r->server_port = f->port[server];
	memcpy(r->client_ip, f->addr[client], 16);
	memcpy(r->server_ip, f->addr[server], 16);
	r->first_ts_ns = f->first_ns;
	r->last_ts_ns = f->last_ns;
	r->syn = f->syn;
	r->synack = f->synack;
	r->syn_to_synack_ns = f->syn_to_synack_ns;
	r->queue = f->queue;
	r->port_reuse_gap_us = f->reuse_gap_us;
	r->opened_swapped = ((f->flags & DPP_FLOW_F_OPEN_SRV0) ? 0 : 1) != server;
	r->synack_to_ack_ns = f->synack_to_ack_ns;
	fill_dir(&f->dir[client], &f->ev[client], &r->c2s);
	fill_dir(&f->dir[server], &f->ev[server], &r->s2c);
	fill_diagnosis(f, client, r->outcome, p, &r->diag);
}
