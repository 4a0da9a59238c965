/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * libFuzzer target for the flow table and the TCP tracker behind it.
 *
 * Each input is decoded into a table configuration (capacity 16..64, small
 * timeouts, a short close linger, the memory of ended 4-tuples on) and a
 * sequence of operations: single segments (dpp_flow_table_packet()),
 * bursts of 1..80 segments on one RX queue (dpp_flow_table_burst()), time
 * advancing without packets (dpp_flow_table_expire()), and at the end
 * dpp_flow_table_flush(). Segments are synthetic views, as the parser would
 * give them: a small set of 4-tuples (ten hot ones, among them a port
 * tie, a connection of an endpoint with itself and two that differ only by
 * which side has which port, and 128 cold ones so
 * that the table fills), flags, sequence and ack numbers that mostly follow
 * the stream and sometimes repeat, skip or restart near a few bases (with
 * wrap-around), payload lengths up to BIG TCP's, windows including zero,
 * options including window scale, and packet times that mostly advance by
 * microseconds, sometimes by exactly a timeout, by seconds or minutes,
 * sometimes repeat and now and then go back by milliseconds.
 *
 * Two tables see the same operations: table A as decoded (bursts and
 * single packets), table B always packet by packet. B is checked against a
 * model of what the public contract says (tcpparse/flow_table.c's header,
 * CONTRACT "Precise rules"), after every packet:
 *  - conservation: created == ended + active, ended == records the sink got,
 *    active == the model's live flows, every segment fed is in exactly one
 *    of: a flow, late_segments, table_full_drops;
 *  - each record: outcome, end_reason and rst_by in range and as the
 *    contract's rules give them from the segments of that flow; its
 *    addresses and ports are a flow key that is live in the model; per
 *    direction packets, payload bytes, FIN and RST counts, options, SYN and
 *    SYN-ACK counts, first_ts and last_ts exactly those of the segments fed;
 *    retrans + out_of_order <= packets without SYN; other event counters
 *    <= packets; window maximum within the raw and scaled bounds;
 *    port_reuse_gap_us as remembered;
 *  - ends: a flow ends by a timeout only once its timeout has passed, none
 *    outlives it, a closed flow keeps fin/rst, a SYN with a new ISN ends
 *    the old flow of its 4-tuple, at most one eviction a packet and only to
 *    make room for a new flow, a SYN is dropped only when the table is
 *    full, a late segment only for a 4-tuple that closed within time_wait,
 *    "exit" only from the flush, and nothing is left after it;
 *  - the TCP totals equal the sums over what was fed and over the records.
 * A is checked against B: after every operation the same records in the
 * same order (the queue excepted: A's records carry the queue of the burst
 * that created the flow) and the same counters.
 *
 * Any failed check calls abort(), which libFuzzer reports as a crash with
 * the input that caused it. With FUZZ_FLOW_VERBOSE set in the environment
 * each input ends with a line of its table's counters (to see what a seed
 * exercises: tests/fuzz/make_corpus_flow.py).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpp_flow.h"

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_flow: check failed at line %d: %s\n", __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * The checks and the decoder are not what is being explored: keep
 * libFuzzer's coverage feedback to the table and the tracker (the model's
 * loops would otherwise flood it with features and cost half the run time).
 */
#define UNGUIDED __attribute__((no_sanitize("coverage")))

#define NS_PER_US 1000ULL
#define NS_PER_MS (1000 * NS_PER_US)
#define NS_PER_S (1000 * NS_PER_MS)

#define HOT_TUPLES 10
#define COLD_TUPLES 128
#define N_TUPLES (HOT_TUPLES + COLD_TUPLES)
#define MAX_SEGMENTS 4096
#define MAX_BURST 80	 /* more than DPP_FLOW_BURST_MAX: the split is exercised too */
#define MAX_RECORDS 1024 /* per operation: bounded by capacity + 3 per packet */
#define NO_REUSE UINT32_MAX

/* ------------------------------------------------------------------ */
/* Input                                                               */
/* ------------------------------------------------------------------ */

struct reader {
	const uint8_t *p;
	size_t n;
	uint64_t prng; /* bytes after the end of the input: a stream seeded by all of it */
};

UNGUIDED static void reader_init(struct reader *r, const uint8_t *data, size_t size)
{
	r->p = data;
	r->n = size;
	r->prng = 0xcbf29ce484222325ULL; /* FNV-1a of the input */
	for (size_t i = 0; i < size; i++)
		r->prng = (r->prng ^ data[i]) * 0x100000001b3ULL;
	r->prng |= 1;
}

/*
 * Next input byte. Once the input is used up, an operation that started
 * inside it goes on with pseudo-random bytes (xorshift, seeded by the
 * input), so a short input can still fill a burst or a table.
 */
UNGUIDED static uint8_t rd(struct reader *r)
{
	if (r->n == 0) {
		r->prng ^= r->prng << 13;
		r->prng ^= r->prng >> 7;
		r->prng ^= r->prng << 17;
		return (uint8_t)(r->prng >> 32);
	}
	r->n--;
	return *r->p++;
}

/* ------------------------------------------------------------------ */
/* The 4-tuples                                                        */
/* ------------------------------------------------------------------ */

/* Endpoint 0 is the "a" side of the tuple, endpoint 1 the "b" side. */
struct tuple {
	uint8_t ver;
	uint8_t addr[2][16];
	uint16_t port[2];
};

static struct tuple tuples[N_TUPLES];

UNGUIDED static void set_v4(uint8_t a[16], uint8_t x, uint8_t y)
{
	memset(a, 0, 16);
	a[0] = 198;
	a[1] = 18;
	a[2] = x;
	a[3] = y;
}

UNGUIDED static void set_v6(uint8_t a[16], uint8_t y)
{
	memset(a, 0, 16);
	a[0] = 0xfd;
	a[15] = y;
}

UNGUIDED static void tuple_v4(int i, uint8_t ah, uint16_t ap, uint8_t bh, uint16_t bp)
{
	tuples[i].ver = 4;
	set_v4(tuples[i].addr[0], 0, ah);
	set_v4(tuples[i].addr[1], 0, bh);
	tuples[i].port[0] = ap;
	tuples[i].port[1] = bp;
}

UNGUIDED static void tuples_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	tuple_v4(0, 1, 40000, 2, 80);
	tuple_v4(1, 1, 40001, 2, 80);
	tuple_v4(2, 3, 40000, 2, 80);
	tuple_v4(3, 1, 40000, 2, 443);
	tuple_v4(4, 2, 80, 1, 80);     /* port tie: the greater address is the client */
	tuple_v4(5, 1, 5000, 1, 5000); /* one endpoint talking to itself */
	tuple_v4(7, 1, 0, 2, 65535);
	/* The same two addresses, the ports swapped: a hash that adds the ports collides. */
	tuple_v4(8, 1, 50000, 2, 50001);
	tuple_v4(9, 1, 50001, 2, 50000);
	tuples[6].ver = 6;
	set_v6(tuples[6].addr[0], 1);
	set_v6(tuples[6].addr[1], 2);
	tuples[6].port[0] = 40000;
	tuples[6].port[1] = 80;
	for (int k = 0; k < COLD_TUPLES; k++) {
		struct tuple *t = &tuples[HOT_TUPLES + k];

		t->ver = (k % 8 == 7) ? 6 : 4;
		if (t->ver == 4) {
			set_v4(t->addr[0], 1, (uint8_t)(1 + k % 4));
			set_v4(t->addr[1], 0, 2);
		} else {
			set_v6(t->addr[0], (uint8_t)(0x10 + k % 4));
			set_v6(t->addr[1], 2);
		}
		t->port[0] = (uint16_t)(41000 + k);
		t->port[1] = 80;
	}
}

UNGUIDED static bool tuple_self(const struct tuple *t)
{
	return t->port[0] == t->port[1] && memcmp(t->addr[0], t->addr[1], 16) == 0;
}

/* The tuple a record belongs to, and which endpoint is its client; -1 if none. */
UNGUIDED static int tuple_of_record(const struct dpp_flow_record *r, int *client_ep)
{
	for (int i = 0; i < N_TUPLES; i++) {
		const struct tuple *t = &tuples[i];

		if (t->ver != r->ip_version)
			continue;
		for (int e = 0; e < 2; e++) {
			if (r->client_port == t->port[e] && r->server_port == t->port[e ^ 1] &&
			    memcmp(r->client_ip, t->addr[e], 16) == 0 &&
			    memcmp(r->server_ip, t->addr[e ^ 1], 16) == 0) {
				*client_ep = e;
				return i;
			}
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Segment generator: per tuple and endpoint, where its stream is       */
/* ------------------------------------------------------------------ */

struct gen_dir {
	uint32_t isn;
	uint32_t nxt;
	bool started;
	uint16_t window;
};

static const uint32_t seq_bases[4] = {0, 1000, 0xffffff00u, 0x7ffffff0u};

static const uint8_t flag_table[16] = {
	DPP_TCP_ACK,
	DPP_TCP_ACK | DPP_TCP_PSH,
	DPP_TCP_ACK,
	DPP_TCP_SYN,
	DPP_TCP_SYN | DPP_TCP_ACK,
	DPP_TCP_FIN | DPP_TCP_ACK,
	DPP_TCP_RST,
	DPP_TCP_RST | DPP_TCP_ACK,
	DPP_TCP_ACK | DPP_TCP_PSH,
	DPP_TCP_ACK,
	DPP_TCP_FIN,
	DPP_TCP_SYN,
	DPP_TCP_ACK,
	DPP_TCP_FIN | DPP_TCP_PSH | DPP_TCP_ACK,
	DPP_TCP_SYN | DPP_TCP_FIN,
	0,
};

static const uint32_t len_table[16] = {0,   0,	  0,	0,    1,    1,	   10,	   100,
				       536, 1448, 1460, 1460, 9000, 65495, 185000, 0};

struct segment {
	struct dpp_pkt_view v;
	int tuple;
	int ep; /* endpoint that sent it */
	uint64_t ts_ns;
};

struct gen {
	struct gen_dir dir[N_TUPLES][2];
	uint64_t now_ns;
	uint64_t step_exact[4]; /* the configured timeouts: steps that hit a boundary */
};

/* What one segment is made of, read from the input or written by a script. */
struct seg_spec {
	int tuple;
	int ep;
	uint8_t flags;
	uint8_t modes; /* bits 0-1 seq mode, 2-3 ack mode, 4-7 length */
	uint8_t delta;
	uint8_t opt; /* bits 0-1 window mode, 2 MSS, 3 WS, 4 SACK-permitted, 5 TS, 6-7 SACK */
	uint16_t len_raw;
	uint16_t win_raw;
	uint8_t time;
};

UNGUIDED static void spec_read(struct reader *r, struct seg_spec *sp)
{
	const uint8_t b0 = rd(r), b1 = rd(r);

	sp->tuple = (b0 >> 1) < 96 ? (b0 >> 1) % HOT_TUPLES : HOT_TUPLES + rd(r) % COLD_TUPLES;
	sp->ep = b0 & 1;
	sp->flags = b1 < 224 ? flag_table[b1 & 15] : rd(r);
	sp->modes = rd(r);
	sp->delta = rd(r);
	sp->opt = rd(r);
	sp->len_raw = (sp->modes >> 4) == 15 ? (uint16_t)(rd(r) << 8 | rd(r)) : 0;
	sp->win_raw = (sp->opt & 3) == 2 ? (uint16_t)(rd(r) << 8 | rd(r)) : 0;
	sp->time = rd(r);
}

UNGUIDED static uint64_t time_step_of(const struct gen *g, uint8_t b)
{
	const uint64_t k = (uint64_t)(b >> 2) + 1;

	switch (b & 3) {
	case 0:
		return 0; /* the same packet time again */
	case 1:
		return k * 10 * NS_PER_US;
	case 2:
		return k * NS_PER_MS;
	default:
		switch ((b >> 2) & 3) {
		case 0:
			return (uint64_t)((b >> 4) + 1) * NS_PER_S;
		case 1:
			return (uint64_t)((b >> 4) + 1) * 60 * NS_PER_S;
		case 2:
			return g->step_exact[(b >> 4) & 3];
		default:
			return g->step_exact[(b >> 4) & 3] - NS_PER_US;
		}
	}
}

/*
 * The packet time of the next segment: mostly forward, sometimes the same,
 * and now and then 1..4 ms back (captures merged from several taps, or
 * several queues): the table's clock never goes back, the records report
 * what they saw (CONTRACT "Timestamps").
 */
UNGUIDED static void time_advance(struct gen *g, uint8_t b)
{
	if ((b & 3) == 0 && (b >> 2) >= 60) {
		const uint64_t back = (uint64_t)((b >> 2) - 59) * NS_PER_MS;

		g->now_ns = g->now_ns > back ? g->now_ns - back : 0;
		return;
	}
	g->now_ns += time_step_of(g, b);
}

UNGUIDED static void build_segment(struct gen *g, const struct seg_spec *sp, struct segment *s)
{
	const int ti = sp->tuple;
	const int ep = sp->ep;
	const struct tuple *t = &tuples[ti];
	struct gen_dir *fwd = &g->dir[ti][ep];
	struct gen_dir *rev = &g->dir[ti][ep ^ 1];
	struct dpp_pkt_view *v = &s->v;
	const uint8_t fl = sp->flags;
	const uint8_t modes = sp->modes;
	const uint8_t delta = sp->delta;
	const uint8_t opt = sp->opt;
	uint32_t len = (modes >> 4) == 15 ? sp->len_raw : len_table[modes >> 4];
	uint32_t seq, ack, end;

	if (!fwd->started) {
		fwd->isn = seq_bases[delta & 3] + (delta >> 2);
		fwd->nxt = fwd->isn;
		fwd->started = true;
		fwd->window = 29200;
	}

	switch (modes & 3) {
	case 0: /* in order; a SYN repeats the ISN */
		seq = (fl & DPP_TCP_SYN) && !(fl & DPP_TCP_ACK) ? fwd->isn : fwd->nxt;
		break;
	case 1: /* behind: retransmission, keep-alive (delta 0: nxt - 1) */
		seq = fwd->nxt - 1 - delta;
		break;
	case 2: /* ahead: a hole */
		seq = fwd->nxt + 100u * delta;
		break;
	default: /* a new ISN near a base, maybe across the wrap */
		seq = seq_bases[delta & 3] + (delta >> 2) * 7u;
		if (fl & DPP_TCP_SYN)
			fwd->isn = seq;
		break;
	}
	switch ((modes >> 2) & 3) {
	case 0:
		ack = rev->started ? rev->nxt : 0;
		break;
	case 1:
		ack = rev->nxt - delta;
		break;
	case 2:
		ack = rev->nxt + 1000u * delta; /* acks data never seen */
		break;
	default:
		ack = seq_bases[(delta >> 2) & 3];
		break;
	}
	end = seq + len + ((fl & (DPP_TCP_SYN | DPP_TCP_FIN)) ? 1 : 0);
	if ((int32_t)(end - fwd->nxt) > 0 || (modes & 3) == 3)
		fwd->nxt = end;

	memset(v, 0, sizeof(*v));
	v->ip_version = t->ver;
	v->tcp_flags = fl;
	memcpy(v->src, t->addr[ep], 16);
	memcpy(v->dst, t->addr[ep ^ 1], 16);
	v->sport = t->port[ep];
	v->dport = t->port[ep ^ 1];
	v->seq = seq;
	v->ack = ack;
	v->payload_len = len;
	v->sliced = (opt & 0xc0) == 0xc0;
	switch (opt & 3) {
	case 0:
		v->window = fwd->window; /* the same as before: duplicate ACKs need it */
		break;
	case 1:
		v->window = 0;
		break;
	case 2:
		v->window = sp->win_raw;
		break;
	default:
		fwd->window = (uint16_t)(1024u * (1 + (delta & 63)));
		v->window = fwd->window;
		break;
	}
	if (opt & 0x04) {
		v->has_mss = true;
		v->mss = (uint16_t)(536 + 8u * delta);
	}
	if (opt & 0x08) {
		v->has_wscale = true;
		v->wscale = (uint8_t)(delta % 16); /* 15 is above RFC 7323's 14 */
	}
	v->sack_permitted = (opt & 0x10) != 0;
	if (opt & 0x20) {
		v->has_timestamps = true;
		v->tsval = (uint32_t)(g->now_ns / NS_PER_MS);
		v->tsecr = v->tsval - delta;
	}
	v->sack_blocks = (uint8_t)((opt >> 6) & 3);
	for (int i = 0; i < v->sack_blocks; i++) {
		v->sack[i][0] = ack + 1000u * (uint32_t)i;
		v->sack[i][1] = ack + 1000u * (uint32_t)i + 500;
	}
	time_advance(g, sp->time);
	s->ts_ns = g->now_ns;
	s->tuple = ti;
	s->ep = ep;
}

/* ------------------------------------------------------------------ */
/* Record collection                                                   */
/* ------------------------------------------------------------------ */

struct sink {
	struct dpp_flow_record rec[MAX_RECORDS];
	unsigned n;
	uint64_t total;
};

UNGUIDED static int sink_fn(void *arg, const struct dpp_flow_record *rec)
{
	struct sink *s = arg;

	FUZZ_CHECK(s->n < MAX_RECORDS);
	s->rec[s->n++] = *rec;
	s->total++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The model of table B                                                */
/* ------------------------------------------------------------------ */

enum { ST_HALF_OPEN, ST_OPEN, ST_CLOSED };

struct model_dir {
	bool base_set;
	uint32_t base;
	bool fin;
	bool opts;
	bool has_mss, has_ws, sack;
	uint16_t mss;
	uint8_t ws;
	uint64_t packets, bytes, syn_segments;
	uint32_t fins, rsts;
	uint32_t win_max_syn, win_max_raw;
};

/* One flow of the model, indexed by tuple (a 4-tuple has at most one flow). */
struct model_flow {
	bool live;
	int ep0;	       /* endpoint whose segment created the flow: the table's dir 0 */
	struct model_dir d[2]; /* by table dir */
	int state;
	bool closed_rst;
	bool reset;			     /* first RST before both FINs */
	int syn_side, synack_side, rst_side; /* table dir, -1 unknown */
	uint32_t syn, synack;
	uint64_t first_ts, last_ts, active_ns;
	uint64_t min_ts, max_ts; /* of its segments */
	bool backwards;		 /* a segment came with a time before the one before it */
	uint64_t touch;		 /* when the table last moved it to the tail of its list */
	uint16_t queue_a;	 /* queue of the flow in table A */
	uint32_t reuse_gap_us;
	bool gap_may_be_lost; /* the memory of ended 4-tuples had overflowed */
	/* The last flow of this tuple that ended. */
	bool ended_before;
	uint64_t end_last_ts;
	bool end_closed;
};

struct model {
	struct model_flow f[N_TUPLES];
	struct dpp_flow_params p;
	uint64_t timeout[3];
	uint64_t now_ns;
	uint64_t fed, tracked_live, late, drops;
	uint64_t records, record_packets;
	uint64_t syn, synack, rst;
	uint64_t outcomes[DPP_OUTCOME_MAX];
	uint64_t evicted_records;
	uint64_t rec_retrans, rec_zero_window;
	uint64_t live;
	unsigned count[3]; /* live flows by state */
	uint64_t tick;
	uint16_t queue_of_rec[MAX_RECORDS]; /* expected A queue of each record of the op */
};

/* Table dir of a segment from endpoint ep of tuple ti. */
UNGUIDED static int model_dir_of(const struct model_flow *f, int ti, int ep)
{
	if (tuple_self(&tuples[ti]))
		return 0;
	return ep == f->ep0 ? 0 : 1;
}

UNGUIDED static bool is_syn_only(uint8_t fl)
{
	return (fl & (DPP_TCP_SYN | DPP_TCP_ACK)) == DPP_TCP_SYN;
}

UNGUIDED static int reason_if_abandoned(const struct model_flow *f)
{
	if (f->state == ST_HALF_OPEN)
		return f->synack ? DPP_END_IDLE : DPP_END_SYN_TIMEOUT;
	return DPP_END_IDLE;
}

UNGUIDED static int expect_outcome(const struct model_flow *f, int client)
{
	if (!f->syn)
		return DPP_OUTCOME_MIDSTREAM;
	if (!f->synack)
		return f->d[client ^ 1].rsts ? DPP_OUTCOME_REFUSED : DPP_OUTCOME_SYN_TIMEOUT;
	if (f->reset)
		return DPP_OUTCOME_RESET;
	if (f->d[0].fin && f->d[1].fin)
		return DPP_OUTCOME_COMPLETED;
	return DPP_OUTCOME_ESTABLISHED;
}

UNGUIDED static void check_dir(const struct model_dir *m, const struct dpp_flow_dir_record *r)
{
	FUZZ_CHECK(r->packets == m->packets);
	FUZZ_CHECK(r->payload_bytes == m->bytes);
	FUZZ_CHECK(r->fin == m->fins);
	FUZZ_CHECK(r->rst == m->rsts);
	FUZZ_CHECK((uint64_t)r->retrans + r->out_of_order <= m->packets - m->syn_segments);
	FUZZ_CHECK(r->zero_window <= m->packets);
	FUZZ_CHECK(r->dup_ack <= m->packets);
	FUZZ_CHECK(r->keep_alive <= m->packets);
	FUZZ_CHECK(r->zero_window_probe <= m->packets);
	FUZZ_CHECK(r->has_mss == m->has_mss);
	FUZZ_CHECK(r->has_wscale == m->has_ws);
	FUZZ_CHECK(r->sack_ok == m->sack);
	FUZZ_CHECK(!m->has_mss || r->mss == m->mss);
	FUZZ_CHECK(!m->has_ws || r->wscale == m->ws);
	/* Scaled or not, by whatever rule: between the raw maximum and it shifted by 14. */
	FUZZ_CHECK(r->win_max >= m->win_max_syn && r->win_max >= m->win_max_raw);
	FUZZ_CHECK(r->win_max <= (m->win_max_syn > (m->win_max_raw << 14)
					  ? m->win_max_syn
					  : (m->win_max_raw << 14)));
}

UNGUIDED static uint32_t half_open_budget(const struct model *m)
{
	return m->p.capacity / 4 ? m->p.capacity / 4 : 1;
}

/* Live flows of the model by state, and the least recently touched of each. */
UNGUIDED static void model_census(const struct model *m, unsigned count[3], uint64_t oldest[3])
{
	for (int s = 0; s < 3; s++) {
		count[s] = 0;
		oldest[s] = UINT64_MAX;
	}
	for (int i = 0; i < N_TUPLES; i++) {
		const struct model_flow *f = &m->f[i];

		if (!f->live)
			continue;
		count[f->state]++;
		if (f->touch < oldest[f->state])
			oldest[f->state] = f->touch;
	}
}

/*
 * The eviction policy (flow_table.c): a new half-open flow over the budget
 * evicts the oldest half-open one; a full table evicts the oldest half-open
 * flow, else the oldest closed one, else, for a flow that is not half-open
 * (no SYN), the least recently seen open one.
 */
UNGUIDED static void check_victim(const struct model *m, const struct model_flow *v, bool cur_syn)
{
	unsigned count[3];
	uint64_t oldest[3];
	const bool full = m->live == m->p.capacity;

	model_census(m, count, oldest);
	FUZZ_CHECK(v->touch == oldest[v->state]);
	switch (v->state) {
	case ST_HALF_OPEN:
		FUZZ_CHECK(full || (cur_syn && count[ST_HALF_OPEN] >= half_open_budget(m)));
		break;
	case ST_CLOSED:
		FUZZ_CHECK(full && count[ST_HALF_OPEN] == 0);
		break;
	default:
		FUZZ_CHECK(full && count[ST_HALF_OPEN] == 0 && count[ST_CLOSED] == 0 && !cur_syn);
		break;
	}
}

/*
 * A record table B gave while a packet of tuple cur (-1: none, an expire or
 * the flush) was handled. why: 0 packet, 1 expire, 2 flush.
 */
UNGUIDED static bool model_record(struct model *m, const struct dpp_flow_record *r, int cur,
				  bool cur_new_stream, bool cur_syn, int why, unsigned idx)
{
	bool evicted = false;

	int client_ep, ti = tuple_of_record(r, &client_ep);
	struct model_flow *f;
	int client;

	FUZZ_CHECK(ti >= 0);
	f = &m->f[ti];
	FUZZ_CHECK(f->live);
	FUZZ_CHECK(r->outcome < DPP_OUTCOME_MAX);
	FUZZ_CHECK(r->end_reason < DPP_END_MAX);
	FUZZ_CHECK(r->rst_by <= DPP_SIDE_SERVER);
	FUZZ_CHECK(r->ip_version == tuples[ti].ver);
	FUZZ_CHECK(r->queue == 0); /* table B takes packets one by one: queue 0 */

	/* CONTRACT "Client/server without a SYN": higher port, then greater address. */
	if (f->syn_side >= 0)
		client = f->syn_side;
	else if (tuples[ti].port[f->ep0] != tuples[ti].port[f->ep0 ^ 1])
		client = tuples[ti].port[f->ep0] > tuples[ti].port[f->ep0 ^ 1] ? 0 : 1;
	else
		client = memcmp(tuples[ti].addr[f->ep0], tuples[ti].addr[f->ep0 ^ 1], 16) >= 0 ? 0
											       : 1;
	FUZZ_CHECK(tuple_self(&tuples[ti]) || client_ep == (client == 0 ? f->ep0 : f->ep0 ^ 1));

	FUZZ_CHECK(r->c2s.packets + r->s2c.packets >= 1);
	FUZZ_CHECK(r->first_ts_ns == f->first_ts);
	FUZZ_CHECK(r->last_ts_ns == f->last_ts);
	FUZZ_CHECK(r->first_ts_ns <= r->last_ts_ns || f->backwards);
	FUZZ_CHECK(r->syn == f->syn);
	FUZZ_CHECK(r->synack == f->synack);
	check_dir(&f->d[client], &r->c2s);
	check_dir(&f->d[client ^ 1], &r->s2c);
	FUZZ_CHECK(r->outcome == expect_outcome(f, client));
	if (f->rst_side < 0)
		FUZZ_CHECK(r->rst_by == DPP_SIDE_NONE);
	else
		FUZZ_CHECK(r->rst_by ==
			   (f->rst_side == client ? DPP_SIDE_CLIENT : DPP_SIDE_SERVER));
	/* An interval is unmeasured, or as measured: within the span of the flow's times. */
	const int64_t span = (int64_t)(f->max_ts - f->min_ts);

	FUZZ_CHECK(f->synack || r->syn_to_synack_ns == DPP_FLOW_NO_TIME);
	FUZZ_CHECK(f->synack || r->synack_to_ack_ns == DPP_FLOW_NO_TIME);
	FUZZ_CHECK(r->syn_to_synack_ns == DPP_FLOW_NO_TIME ||
		   (r->syn_to_synack_ns >= -span && r->syn_to_synack_ns <= span));
	FUZZ_CHECK(r->synack_to_ack_ns == DPP_FLOW_NO_TIME ||
		   (r->synack_to_ack_ns >= -span && r->synack_to_ack_ns <= span));
	FUZZ_CHECK(f->syn || r->syn_to_synack_ns == DPP_FLOW_NO_TIME);
	FUZZ_CHECK(r->port_reuse_gap_us == f->reuse_gap_us ||
		   (f->gap_may_be_lost && r->port_reuse_gap_us == NO_REUSE));

	/* Why it ended. */
	if (f->state == ST_CLOSED) {
		FUZZ_CHECK(r->end_reason == (f->closed_rst ? DPP_END_RST : DPP_END_FIN));
	} else {
		FUZZ_CHECK(r->end_reason != DPP_END_FIN && r->end_reason != DPP_END_RST);
	}
	const bool due = m->timeout[f->state] && m->now_ns - f->active_ns >= m->timeout[f->state];

	if (why == 2) {
		FUZZ_CHECK(f->state == ST_CLOSED || r->end_reason == DPP_END_EXIT);
	} else if (due) {
		/* Timed out (the table expires before it evicts, so not evicted). */
		FUZZ_CHECK(f->state == ST_CLOSED || r->end_reason == reason_if_abandoned(f));
	} else if (ti == cur && cur_new_stream) {
		/* A SYN with a new ISN: the old stream is over (Wireshark's rule). */
		FUZZ_CHECK(f->state == ST_CLOSED || r->end_reason == reason_if_abandoned(f));
	} else {
		/* Anything else is an eviction for a new flow; a closed flow keeps fin/rst. */
		FUZZ_CHECK(why == 0);
		FUZZ_CHECK(f->state == ST_CLOSED || r->end_reason == DPP_END_EVICTED);
		check_victim(m, f, cur_syn);
		evicted = true;
		m->evicted_records++;
	}

	m->queue_of_rec[idx] = f->queue_a;
	m->records++;
	m->record_packets += r->c2s.packets + r->s2c.packets;
	m->tracked_live -= r->c2s.packets + r->s2c.packets;
	m->outcomes[r->outcome]++;
	m->rec_retrans += r->c2s.retrans + r->s2c.retrans;
	m->rec_zero_window += r->c2s.zero_window + r->s2c.zero_window;
	f->live = false;
	f->ended_before = true;
	f->end_last_ts = f->last_ts;
	f->end_closed = f->state == ST_CLOSED;
	m->live--;
	m->count[f->state]--;
	return evicted;
}

/* Would the table see a new stream (Wireshark's rule) in this segment? */
UNGUIDED static bool model_new_stream(const struct model *m, const struct segment *s)
{
	const struct model_flow *f = &m->f[s->tuple];

	if (!f->live || !is_syn_only(s->v.tcp_flags))
		return false;
	const struct model_dir *fwd = &f->d[model_dir_of(f, s->tuple, s->ep)];

	return fwd->base_set && s->v.seq != fwd->base;
}

UNGUIDED static void model_create(struct model *m, const struct segment *s, uint16_t queue_a)
{
	struct model_flow *f = &m->f[s->tuple];
	const bool ended = f->ended_before;
	const uint64_t end = f->end_last_ts;

	memset(f, 0, offsetof(struct model_flow, ended_before));
	f->live = true;
	f->ep0 = s->ep;
	f->state = (s->v.tcp_flags & DPP_TCP_SYN) ? ST_HALF_OPEN : ST_OPEN;
	f->syn_side = f->synack_side = f->rst_side = -1;
	f->first_ts = s->ts_ns;
	f->queue_a = queue_a;
	f->reuse_gap_us = NO_REUSE;
	m->count[f->state]++;
	if (is_syn_only(s->v.tcp_flags) && ended && m->p.time_wait_ns &&
	    m->now_ns - end < m->p.time_wait_ns)
		f->reuse_gap_us = s->ts_ns > end ? (uint32_t)((s->ts_ns - end) / NS_PER_US) : 0;
	m->live++;
}

/* Account a tracked segment in its (live) model flow. */
UNGUIDED static void model_track(struct model *m, const struct segment *s)
{
	struct model_flow *f = &m->f[s->tuple];
	const int d = model_dir_of(f, s->tuple, s->ep);
	struct model_dir *fwd = &f->d[d], *rev = &f->d[d ^ 1];
	const struct dpp_pkt_view *v = &s->v;
	const uint8_t fl = v->tcp_flags;
	int ev = 0; /* 0 other, 1 syn, 2 answer, 3 fin both, 4 rst */

	/* Base sequence numbers (Wireshark): a SYN-ACK with a new ISN replaces fwd's. */
	if ((fl & DPP_TCP_SYN) && (fl & DPP_TCP_ACK) && fwd->base_set && v->seq != fwd->base)
		fwd->base = v->seq;
	if (!fwd->base_set) {
		fwd->base = (fl & DPP_TCP_SYN) ? v->seq : v->seq - 1;
		fwd->base_set = true;
	}
	if (!rev->base_set && (fl & DPP_TCP_ACK)) {
		rev->base = v->ack - 1;
		rev->base_set = true;
	}

	if (fl & DPP_TCP_SYN) {
		fwd->syn_segments++;
		if (fl & DPP_TCP_ACK) {
			f->synack++;
			m->synack++;
			if (f->synack_side < 0)
				f->synack_side = d;
		} else {
			f->syn++;
			m->syn++;
			if (f->syn_side < 0)
				f->syn_side = d;
		}
		if (!fwd->opts) {
			fwd->opts = true;
			fwd->has_mss = v->has_mss;
			fwd->mss = v->mss;
			fwd->has_ws = v->has_wscale;
			fwd->ws = v->wscale;
			fwd->sack = v->sack_permitted;
		}
		if (v->window > fwd->win_max_syn)
			fwd->win_max_syn = v->window;
	} else if (v->window > fwd->win_max_raw) {
		fwd->win_max_raw = v->window;
	}
	fwd->packets++;
	fwd->bytes += v->payload_len;
	if (fl & DPP_TCP_FIN) {
		fwd->fins++;
		fwd->fin = true;
		if (f->d[0].fin && f->d[1].fin)
			ev = 3;
	}
	if (fl & DPP_TCP_RST) {
		fwd->rsts++;
		m->rst++;
		if (f->rst_side < 0) {
			f->rst_side = d;
			f->reset = !(f->d[0].fin && f->d[1].fin);
		}
		ev = 4;
	}
	if (ev == 0) {
		if (fl & DPP_TCP_SYN)
			ev = 1;
		else if (f->syn_side < 0 || f->syn_side != d ||
			 (f->synack_side >= 0 && (fl & DPP_TCP_ACK)))
			ev = 2; /* the handshake is over */
	}
	m->count[f->state]--;
	if (f->state != ST_CLOSED && ev >= 3) {
		f->state = ST_CLOSED;
		f->closed_rst = ev == 4;
	} else if (f->state == ST_HALF_OPEN && ev == 2) {
		f->state = ST_OPEN;
	}
	m->count[f->state]++;
	if (fwd->packets + rev->packets > 1 && s->ts_ns < f->last_ts)
		f->backwards = true;
	f->last_ts = s->ts_ns;
	if (fwd->packets + rev->packets == 1 || s->ts_ns < f->min_ts)
		f->min_ts = s->ts_ns;
	if (s->ts_ns > f->max_ts)
		f->max_ts = s->ts_ns;
	f->active_ns = m->now_ns;
	f->touch = ++m->tick;
	m->tracked_live++;
}

/*
 * Checks that hold after every packet; with full, also those that look at
 * every flow (after every operation).
 */
/* What dpp_flow_table_scan_open() offered: open flows by kind. */
struct scan_count {
	unsigned half_open, open;
};

UNGUIDED static uint32_t scan_offer(void *arg, const struct dpp_flow_record *rec, bool half_open)
{
	struct scan_count *sc = arg;

	FUZZ_CHECK(rec->ip_version == 4 || rec->ip_version == 6);
	FUZZ_CHECK(rec->end_reason == DPP_END_EXIT);
	if (half_open)
		sc->half_open++;
	else
		sc->open++;
	return 0; /* offer every open flow */
}

/*
 * A whole scan, a few entries a call as the workers do: every live flow
 * that is not closed, once, as the model counts them.
 */
UNGUIDED static void check_scan(const struct model *m, const struct dpp_flow_table *t)
{
	struct scan_count sc = {0, 0};
	uint32_t cursor = 0, min = 0;
	unsigned calls = 0;

	while (!dpp_flow_table_scan_open(t, &cursor, 7, &min, scan_offer, &sc))
		FUZZ_CHECK(++calls <= m->p.capacity);
	FUZZ_CHECK(cursor == 0);
	FUZZ_CHECK(sc.half_open == m->count[ST_HALF_OPEN]);
	FUZZ_CHECK(sc.open == m->count[ST_OPEN]);
}

UNGUIDED static void model_invariants(const struct model *m, const struct dpp_flow_table *t,
				      const struct sink *sk, bool full)
{
	const struct dpp_flow_counters *c = dpp_flow_table_counters(t);

	FUZZ_CHECK(c->created == c->ended + dpp_flow_table_active(t));
	FUZZ_CHECK(c->ended == sk->total);
	FUZZ_CHECK(c->ended == m->records);
	FUZZ_CHECK(dpp_flow_table_active(t) == m->live);
	FUZZ_CHECK(dpp_flow_table_active(t) <= m->p.capacity);
	FUZZ_CHECK(c->late_segments == m->late);
	FUZZ_CHECK(c->table_full_drops == m->drops);
	FUZZ_CHECK(m->record_packets + m->tracked_live + m->late + m->drops == m->fed);
	FUZZ_CHECK(c->evicted == m->evicted_records);
	FUZZ_CHECK(c->evicted <= c->ended);
	FUZZ_CHECK(c->syn == m->syn);
	FUZZ_CHECK(c->synack == m->synack);
	FUZZ_CHECK(c->rst == m->rst);
	FUZZ_CHECK(c->refused == m->outcomes[DPP_OUTCOME_REFUSED]);
	FUZZ_CHECK(c->syn_timeout == m->outcomes[DPP_OUTCOME_SYN_TIMEOUT]);
	FUZZ_CHECK(c->reset == m->outcomes[DPP_OUTCOME_RESET]);
	FUZZ_CHECK(c->completed == m->outcomes[DPP_OUTCOME_COMPLETED]);
	FUZZ_CHECK(c->retrans >= m->rec_retrans);
	FUZZ_CHECK(c->zero_window >= m->rec_zero_window);
	/* The half-open budget holds. */
	FUZZ_CHECK(m->count[ST_HALF_OPEN] <= half_open_budget(m));
	FUZZ_CHECK(m->count[0] + m->count[1] + m->count[2] == m->live);
	if (!full)
		return;
	check_scan(m, t);

	unsigned count[3];
	uint64_t oldest[3];

	model_census(m, count, oldest);
	FUZZ_CHECK(memcmp(count, m->count, sizeof(count)) == 0);
	/* No flow outlives its timeout. */
	for (int i = 0; i < N_TUPLES; i++) {
		const struct model_flow *f = &m->f[i];

		if (f->live && m->timeout[f->state])
			FUZZ_CHECK(m->now_ns - f->active_ns < m->timeout[f->state]);
	}
}

/* One segment through table B, checked against the model. */
UNGUIDED static void model_packet(struct model *m, struct dpp_flow_table *t, struct sink *sk,
				  const struct segment *s, uint16_t queue_a)
{
	const struct dpp_flow_counters *c = dpp_flow_table_counters(t);
	const struct dpp_flow_counters before = *c;
	const bool new_stream = model_new_stream(m, s);
	const bool was_live = m->f[s->tuple].live;
	const unsigned n0 = sk->n;
	struct model_flow *f = &m->f[s->tuple];
	uint64_t evictions = 0;
	bool tracked;

	dpp_flow_table_packet(t, &s->v, s->ts_ns);
	if (s->ts_ns > m->now_ns)
		m->now_ns = s->ts_ns;
	m->fed++;
	for (unsigned i = n0; i < sk->n; i++)
		evictions += model_record(m, &sk->rec[i], s->tuple, new_stream,
					  (s->v.tcp_flags & DPP_TCP_SYN) != 0, 0, i);
	if (new_stream)
		FUZZ_CHECK(!f->live); /* the old stream ended */

	const uint64_t d_created = c->created - before.created;
	const uint64_t d_late = c->late_segments - before.late_segments;
	const uint64_t d_drop = c->table_full_drops - before.table_full_drops;
	const uint64_t d_evicted = c->evicted - before.evicted;

	FUZZ_CHECK(d_late + d_drop <= 1);
	FUZZ_CHECK(d_evicted <= 1 && d_evicted == evictions);
	FUZZ_CHECK(d_created <= 1);
	tracked = d_late + d_drop == 0;
	if (f->live) {
		/* An existing flow always takes its segments. */
		FUZZ_CHECK(tracked && d_created == 0);
		FUZZ_CHECK(was_live);
	} else {
		FUZZ_CHECK(d_created == (tracked ? 1u : 0u));
	}
	if (d_evicted)
		FUZZ_CHECK(d_created == 1);
	if (d_drop) {
		/* Only a SYN that finds every entry holding an open flow. */
		unsigned count[3];
		uint64_t oldest[3];

		model_census(m, count, oldest);
		FUZZ_CHECK(s->v.tcp_flags & DPP_TCP_SYN);
		FUZZ_CHECK(dpp_flow_table_active(t) == m->p.capacity);
		FUZZ_CHECK(count[ST_HALF_OPEN] == 0 && count[ST_CLOSED] == 0);
	}
	const bool tw_closed = f->ended_before && f->end_closed && m->p.time_wait_ns &&
			       m->now_ns - f->end_last_ts < m->p.time_wait_ns;
	if (d_late) {
		FUZZ_CHECK(!(s->v.tcp_flags & DPP_TCP_SYN));
		FUZZ_CHECK(tw_closed);
	} else if (!f->live && tw_closed && !(s->v.tcp_flags & DPP_TCP_SYN) &&
		   c->time_wait_overflow == 0) {
		FUZZ_CHECK(0 && "segment of a recently closed 4-tuple made a flow");
	}
	m->late += d_late;
	m->drops += d_drop;
	if (!tracked)
		return;
	if (d_created) {
		model_create(m, s, queue_a);
		/* The memory may have forgotten the ended 4-tuple: then no gap. */
		f->gap_may_be_lost = c->time_wait_overflow != 0;
	}
	model_track(m, s);
}

/* ------------------------------------------------------------------ */
/* The target                                                          */
/* ------------------------------------------------------------------ */

struct run {
	struct dpp_flow_table *a, *b;
	struct sink sa, sb;
	struct model m;
	struct gen g;
	/* A burst being gathered for table A. */
	struct segment seg[MAX_BURST];
	struct dpp_pkt_view views[MAX_BURST];
	uint64_t ts[MAX_BURST];
	uint16_t pending;
	uint16_t burst_queue;
	uint16_t burst_len;
	unsigned segments;
};

/* After an operation: A gave what B gave, record for record, and counts the same. */
UNGUIDED static void compare_tables(struct run *x)
{
	FUZZ_CHECK(x->sa.n == x->sb.n);
	for (unsigned i = 0; i < x->sa.n; i++) {
		struct dpp_flow_record ra = x->sa.rec[i];

		FUZZ_CHECK(ra.queue == x->m.queue_of_rec[i]);
		ra.queue = x->sb.rec[i].queue;
		FUZZ_CHECK(memcmp(&ra, &x->sb.rec[i], sizeof(ra)) == 0);
	}
	FUZZ_CHECK(memcmp(dpp_flow_table_counters(x->a), dpp_flow_table_counters(x->b),
			  sizeof(struct dpp_flow_counters)) == 0);
	FUZZ_CHECK(dpp_flow_table_active(x->a) == dpp_flow_table_active(x->b));
	x->sa.n = x->sb.n = 0;
}

/* Table A takes the gathered burst at once; table B, checked, one by one. */
UNGUIDED static void flush_burst(struct run *x)
{
	if (x->pending == 0)
		return;
	dpp_flow_table_burst(x->a, x->views, x->ts, x->pending, x->burst_queue);
	for (uint16_t i = 0; i < x->pending; i++) {
		model_packet(&x->m, x->b, &x->sb, &x->seg[i], x->burst_queue);
		model_invariants(&x->m, x->b, &x->sb, false);
	}
	model_invariants(&x->m, x->b, &x->sb, true);
	x->pending = 0;
	compare_tables(x);
}

UNGUIDED static void feed_single(struct run *x, const struct seg_spec *sp)
{
	flush_burst(x);
	build_segment(&x->g, sp, &x->seg[0]);
	dpp_flow_table_packet(x->a, &x->seg[0].v, x->seg[0].ts_ns);
	model_packet(&x->m, x->b, &x->sb, &x->seg[0], 0);
	model_invariants(&x->m, x->b, &x->sb, true);
	compare_tables(x);
	x->segments++;
}

UNGUIDED static void feed_burst(struct run *x, const struct seg_spec *sp, uint16_t queue)
{
	if (x->pending && x->burst_queue != queue)
		flush_burst(x);
	x->burst_queue = queue;
	build_segment(&x->g, sp, &x->seg[x->pending]);
	x->views[x->pending] = x->seg[x->pending].v;
	x->ts[x->pending] = x->seg[x->pending].ts_ns;
	x->pending++;
	x->segments++;
	if (x->pending >= x->burst_len)
		flush_burst(x);
}

/*
 * Scripts: whole connections, so that a few input bytes fill the table
 * with flows in every state. Endpoint 0 is the client.
 */
struct script_step {
	uint8_t ep;
	uint8_t flags;
	uint8_t len_index; /* into len_table */
};

#define SCRIPT_STEPS 9
static const struct script_step scripts[8][SCRIPT_STEPS] = {
	/* completed: handshake, data both ways, FIN both ways */
	{{0, DPP_TCP_SYN, 0},
	 {1, DPP_TCP_SYN | DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK | DPP_TCP_PSH, 7},
	 {1, DPP_TCP_ACK | DPP_TCP_PSH, 10},
	 {0, DPP_TCP_ACK, 0},
	 {0, DPP_TCP_FIN | DPP_TCP_ACK, 0},
	 {1, DPP_TCP_FIN | DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK, 0}},
	/* unanswered SYN, sent again with the same ISN */
	{{0, DPP_TCP_SYN, 0}, {0, DPP_TCP_SYN, 0}},
	/* refused */
	{{0, DPP_TCP_SYN, 0}, {1, DPP_TCP_RST | DPP_TCP_ACK, 0}},
	/* established, stays open */
	{{0, DPP_TCP_SYN, 0},
	 {1, DPP_TCP_SYN | DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK | DPP_TCP_PSH, 6},
	 {1, DPP_TCP_ACK | DPP_TCP_PSH, 6}},
	/* reset by the server after data */
	{{0, DPP_TCP_SYN, 0},
	 {1, DPP_TCP_SYN | DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK | DPP_TCP_PSH, 7},
	 {1, DPP_TCP_RST, 0}},
	/* midstream */
	{{0, DPP_TCP_ACK | DPP_TCP_PSH, 7}, {1, DPP_TCP_ACK, 0}, {0, DPP_TCP_ACK | DPP_TCP_PSH, 9}},
	/* SYN answered, never acknowledged (a spoofed SYN the server answers) */
	{{0, DPP_TCP_SYN, 0}, {1, DPP_TCP_SYN | DPP_TCP_ACK, 0}},
	/* the end of a connection: FIN both ways, the last ACK, then that ACK again */
	{{0, DPP_TCP_FIN | DPP_TCP_ACK, 0},
	 {1, DPP_TCP_FIN | DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK, 0},
	 {0, DPP_TCP_ACK, 0}},
};

UNGUIDED static void run_script(struct run *x, struct reader *r, uint8_t op)
{
	const uint8_t b0 = rd(r), b1 = rd(r), b2 = rd(r), b3 = rd(r);
	const struct script_step *sc = scripts[b0 & 7];
	const unsigned flows = 1 + (b0 >> 3); /* 1..32 consecutive tuples */
	const bool round_robin = b3 & 1;
	const bool swap = b3 & 0x80; /* endpoint b is the client */
	const uint16_t queue = (uint16_t)(1 + (op >> 5));
	unsigned steps = 0;

	while (steps < SCRIPT_STEPS && (sc[steps].flags || sc[steps].ep))
		steps++;
	for (unsigned outer = 0; outer < (round_robin ? steps : flows); outer++) {
		for (unsigned inner = 0; inner < (round_robin ? flows : steps); inner++) {
			const unsigned step = round_robin ? outer : inner;
			const unsigned flow = round_robin ? inner : outer;
			struct seg_spec sp = {0};

			sp.tuple = (int)((b1 + flow) % N_TUPLES);
			sp.ep = sc[step].ep ^ (swap ? 1 : 0);
			sp.flags = sc[step].flags;
			sp.modes = (uint8_t)(sc[step].len_index << 4);
			sp.delta = (uint8_t)(b1 + flow);
			/* SYNs carry MSS, window scale and SACK-permitted as b3 says. */
			sp.opt = (sp.flags & DPP_TCP_SYN) ? (b3 & 0x1c) : 0;
			sp.time = b2;
			if (op & 0x10)
				feed_burst(x, &sp, queue);
			else
				feed_single(x, &sp);
		}
	}
	flush_burst(x);
}

UNGUIDED static void *table_new(const struct dpp_flow_params *p, struct sink *sk)
{
	const size_t sz = (dpp_flow_table_mem_size(p) + 63) & ~(size_t)63;
	void *mem;

	FUZZ_CHECK(sz > 0);
	mem = aligned_alloc(64, sz);
	FUZZ_CHECK(mem != NULL);
	memset(mem, 0, sz);
	FUZZ_CHECK(dpp_flow_table_init(mem, p, sink_fn, sk) == mem);
	return mem;
}

UNGUIDED static void configure(struct run *x, struct reader *r)
{
	static const uint64_t idle_s[4] = {1, 2, 5, 0};
	static const uint64_t syn_ms[4] = {500, 1000, 3000, 0};
	static const uint64_t linger_ms[4] = {0, 100, 1000, 2000}; /* 0: the default, 5 s */
	static const uint64_t tw_s[4] = {0, 2, 10, 60};
	static const uint32_t tw_slots[4] = {0, 4, 8, 16};
	static const uint64_t start_s[4] = {0, 1700000000ULL, 2147483647ULL, 4294967000ULL};
	const uint8_t b0 = rd(r), b1 = rd(r), b2 = rd(r);
	struct dpp_flow_params *p = &x->m.p;

	p->capacity = 16 + b0 % 49;
	p->idle_timeout_ns = idle_s[b1 & 3] * NS_PER_S;
	p->syn_timeout_ns = syn_ms[(b1 >> 2) & 3] * NS_PER_MS;
	p->close_linger_ns = linger_ms[(b1 >> 4) & 3] * NS_PER_MS;
	/* Mostly on: the memory of ended 4-tuples is what --time-wait adds. */
	p->time_wait_ns = tw_s[(b1 >> 6) ? (b1 >> 6) : (b2 & 1) * 3] * NS_PER_S;
	p->time_wait_slots = tw_slots[(b2 >> 1) & 3];
	x->m.timeout[ST_HALF_OPEN] = p->syn_timeout_ns;
	x->m.timeout[ST_OPEN] = p->idle_timeout_ns;
	x->m.timeout[ST_CLOSED] = p->close_linger_ns ? p->close_linger_ns : 5 * NS_PER_S;
	x->g.now_ns = start_s[(b2 >> 3) & 3] * NS_PER_S + (uint64_t)(b2 >> 5) * NS_PER_US;
	x->m.now_ns = 0;
	x->g.step_exact[0] = x->m.timeout[ST_OPEN] ? x->m.timeout[ST_OPEN] : NS_PER_S;
	x->g.step_exact[1] = x->m.timeout[ST_HALF_OPEN] ? x->m.timeout[ST_HALF_OPEN] : NS_PER_S;
	x->g.step_exact[2] = x->m.timeout[ST_CLOSED];
	x->g.step_exact[3] = p->time_wait_ns ? p->time_wait_ns : NS_PER_S;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

UNGUIDED int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run x;
	struct reader r;

	reader_init(&r, data, size);
	tuples_init();
	memset(&x, 0, sizeof(x));
	configure(&x, &r);
	x.a = table_new(&x.m.p, &x.sa);
	x.b = table_new(&x.m.p, &x.sb);

	while (r.n > 0 && x.segments < MAX_SEGMENTS) {
		const uint8_t op = rd(&r);

		if ((op & 7) == 7) {
			/* Time passes without packets (the worker's idle poll). */
			uint64_t now = x.g.now_ns + time_step_of(&x.g, rd(&r));

			if (op & 8) /* a clock behind the table's: must change nothing */
				now = x.g.now_ns > NS_PER_S ? x.g.now_ns - NS_PER_S : 0;
			else
				x.g.now_ns = now;
			dpp_flow_table_expire(x.a, now);
			dpp_flow_table_expire(x.b, now);
			if (now > x.m.now_ns)
				x.m.now_ns = now;
			for (unsigned i = 0; i < x.sb.n; i++)
				model_record(&x.m, &x.sb.rec[i], -1, false, false, 1, i);
			model_invariants(&x.m, x.b, &x.sb, true);
			compare_tables(&x);
		} else if ((op & 7) >= 5) {
			/* A burst from one RX queue. */
			const uint16_t n = (uint16_t)(1 + rd(&r) % MAX_BURST);
			const uint16_t queue = (uint16_t)(1 + (op >> 4));

			x.burst_len = n;
			for (uint16_t i = 0; i < n; i++) {
				struct seg_spec sp;

				spec_read(&r, &sp);
				feed_burst(&x, &sp, queue);
			}
			flush_burst(&x);
		} else if ((op & 7) == 4) {
			x.burst_len = (uint16_t)(1 + (op >> 3) % MAX_BURST);
			run_script(&x, &r, op);
		} else {
			struct seg_spec sp;

			spec_read(&r, &sp);
			feed_single(&x, &sp);
		}
	}

	dpp_flow_table_flush(x.a);
	dpp_flow_table_flush(x.b);
	for (unsigned i = 0; i < x.sb.n; i++)
		model_record(&x.m, &x.sb.rec[i], -1, false, false, 2, i);
	model_invariants(&x.m, x.b, &x.sb, true);
	compare_tables(&x);

	const struct dpp_flow_counters *c = dpp_flow_table_counters(x.b);

	FUZZ_CHECK(dpp_flow_table_active(x.a) == 0 && dpp_flow_table_active(x.b) == 0);
	FUZZ_CHECK(x.m.live == 0 && x.m.tracked_live == 0);
	FUZZ_CHECK(c->created == c->ended);
	FUZZ_CHECK(x.m.record_packets + c->late_segments + c->table_full_drops == x.m.fed);
	FUZZ_CHECK(c->retrans == x.m.rec_retrans);
	FUZZ_CHECK(c->zero_window == x.m.rec_zero_window);
	if (getenv("FUZZ_FLOW_VERBOSE"))
		fprintf(stderr,
			"fuzz_flow: capacity %u, %u segments: created %llu evicted %llu "
			"table_full_drops %llu late_segments %llu time_wait_overflow %llu "
			"syn %llu synack %llu rst %llu retrans %llu refused %llu syn_timeout %llu "
			"reset %llu completed %llu\n",
			x.m.p.capacity, x.segments, (unsigned long long)c->created,
			(unsigned long long)c->evicted, (unsigned long long)c->table_full_drops,
			(unsigned long long)c->late_segments,
			(unsigned long long)c->time_wait_overflow, (unsigned long long)c->syn,
			(unsigned long long)c->synack, (unsigned long long)c->rst,
			(unsigned long long)c->retrans, (unsigned long long)c->refused,
			(unsigned long long)c->syn_timeout, (unsigned long long)c->reset,
			(unsigned long long)c->completed);
	free(x.a);
	free(x.b);
	return 0;
}
