/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the flow table and TCP tracker (tcpparse/flow_table.c,
 * tcpparse/tcp_track.c), fed with hand-made dpp_pkt_view structs.
 *
 * The segment sequences of the analysis tests were also written as pcaps
 * and run through tshark 4.0.17 (default preferences); the expected counts
 * are what tshark flags (tcp.analysis.retransmission / fast_retransmission /
 * spurious_retransmission, out_of_order, zero_window, keep_alive,
 * zero_window_probe) on those captures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpp_flow.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)
#define MAX_RECORDS 8192

struct harness {
	struct dpp_flow_table *t;
	void *mem;
	struct dpp_flow_record rec[MAX_RECORDS];
	unsigned nrec;
};

/* A connection between a client and a server; sequence numbers relative to the ISNs. */
struct conn {
	struct harness *h;
	uint8_t cip, sip;
	uint16_t cport, sport;
	uint32_t cisn, sisn;
	uint64_t now;
	uint8_t ip_version;
};

static int sink(void *arg, const struct dpp_flow_record *r)
{
	struct harness *h = arg;

	assert_true(h->nrec < MAX_RECORDS);
	h->rec[h->nrec++] = *r;
	return 0;
}

static void check_conservation(const struct harness *h)
{
	const struct dpp_flow_counters *c = dpp_flow_table_counters(h->t);

	assert_int_equal(c->created, c->ended + dpp_flow_table_active(h->t));
	assert_int_equal(c->ended, h->nrec);
}

static struct harness *harness_params(const struct dpp_flow_params *params)
{
	struct dpp_flow_params p = *params;
	struct harness *h = calloc(1, sizeof(*h));
	size_t sz = dpp_flow_table_mem_size(&p);

	assert_non_null(h);
	assert_true(sz > 0);
	h->mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	assert_non_null(h->mem);
	memset(h->mem, 0, sz);
	h->t = dpp_flow_table_init(h->mem, &p, sink, h);
	assert_non_null(h->t);
	return h;
}

static struct harness *harness_new(uint32_t capacity, uint64_t idle_ns, uint64_t syn_ns)
{
	struct dpp_flow_params p = {
		.capacity = capacity,
		.idle_timeout_ns = idle_ns,
		.syn_timeout_ns = syn_ns,
		/* The tests below were written for a 2 s linger; the default is 5 s. */
		.close_linger_ns = 2 * SEC};

	return harness_params(&p);
}

/* A table that remembers ended 4-tuples for time_wait_ns (linger 2 s). */
static struct harness *harness_time_wait(uint64_t time_wait_ns, uint32_t slots)
{
	struct dpp_flow_params p = {.capacity = 1024,
				    .idle_timeout_ns = 300 * SEC,
				    .syn_timeout_ns = 30 * SEC,
				    .close_linger_ns = 2 * SEC,
				    .time_wait_ns = time_wait_ns,
				    .time_wait_slots = slots};

	return harness_params(&p);
}

static struct harness *harness_default(void)
{
	return harness_new(1024, 300 * SEC, 30 * SEC);
}

static void harness_free(struct harness *h)
{
	free(h->mem);
	free(h);
}

static void flush(struct harness *h)
{
	dpp_flow_table_flush(h->t);
	check_conservation(h);
	assert_int_equal(dpp_flow_table_active(h->t), 0);
}

static struct conn conn_new(struct harness *h, uint16_t cport, uint32_t cisn, uint32_t sisn)
{
	struct conn c = {.h = h,
			 .cip = 1,
			 .sip = 2,
			 .cport = cport,
			 .sport = 80,
			 .cisn = cisn,
			 .sisn = sisn,
			 .now = T0,
			 .ip_version = 4};
	return c;
}

static void fill_addr(uint8_t *a, int version, uint8_t last)
{
	memset(a, 0, 16);
	if (version == 4) {
		a[0] = 10;
		a[3] = last;
	} else {
		a[0] = 0x20;
		a[1] = 0x01;
		a[15] = last;
	}
}

static struct dpp_pkt_view seg(const struct conn *c, bool from_client, uint8_t flags, uint32_t rseq,
			       uint32_t rack, uint16_t win, uint16_t len)
{
	struct dpp_pkt_view v;

	memset(&v, 0, sizeof(v));
	v.ip_version = c->ip_version;
	v.tcp_flags = flags;
	fill_addr(v.src, c->ip_version, from_client ? c->cip : c->sip);
	fill_addr(v.dst, c->ip_version, from_client ? c->sip : c->cip);
	v.sport = from_client ? c->cport : c->sport;
	v.dport = from_client ? c->sport : c->cport;
	v.seq = (from_client ? c->cisn : c->sisn) + rseq;
	v.ack = (from_client ? c->sisn : c->cisn) + rack;
	v.window = win;
	v.payload_len = len;
	return v;
}

static void send_view(struct conn *c, const struct dpp_pkt_view *v)
{
	dpp_flow_table_packet(c->h->t, v, c->now);
	check_conservation(c->h);
}

/* Client sends after dt_ns. */
static void C(struct conn *c, uint64_t dt, uint8_t fl, uint32_t seq, uint32_t ack, uint16_t win,
	      uint16_t len)
{
	struct dpp_pkt_view v = seg(c, true, fl, seq, ack, win, len);

	c->now += dt;
	send_view(c, &v);
}

/* Server sends after dt_ns. */
static void S(struct conn *c, uint64_t dt, uint8_t fl, uint32_t seq, uint32_t ack, uint16_t win,
	      uint16_t len)
{
	struct dpp_pkt_view v = seg(c, false, fl, seq, ack, win, len);

	c->now += dt;
	send_view(c, &v);
}

#define F_S DPP_TCP_SYN
#define F_A DPP_TCP_ACK
#define F_SA (DPP_TCP_SYN | DPP_TCP_ACK)
#define F_PA (DPP_TCP_PSH | DPP_TCP_ACK)
#define F_FA (DPP_TCP_FIN | DPP_TCP_ACK)
#define F_R DPP_TCP_RST
#define F_RA (DPP_TCP_RST | DPP_TCP_ACK)

/* SYN with options from the client, SYN-ACK after rtt/2, ACK after rtt/2. */
static void handshake_opts(struct conn *c, uint64_t rtt, int cws, int sws)
{
	struct dpp_pkt_view v = seg(c, true, F_S, 0, 0, 64240, 0);

	v.has_mss = true;
	v.mss = 1460;
	v.sack_permitted = true;
	v.has_wscale = cws >= 0;
	v.wscale = cws >= 0 ? (uint8_t)cws : 0;
	send_view(c, &v);
	v = seg(c, false, F_SA, 0, 1, 65160, 0);
	v.has_mss = true;
	v.mss = 1400;
	v.has_wscale = sws >= 0;
	v.wscale = sws >= 0 ? (uint8_t)sws : 0;
	c->now += rtt / 2;
	send_view(c, &v);
	C(c, rtt / 2, F_A, 1, 1, 502, 0);
}

static void handshake(struct conn *c, uint64_t rtt)
{
	handshake_opts(c, rtt, 7, 7);
}

static const struct dpp_flow_record *only_record(struct harness *h)
{
	flush(h);
	assert_int_equal(h->nrec, 1);
	return &h->rec[0];
}

/* ------------------------------------------------------------------ */
/* Bad input and edges first                                           */
/* ------------------------------------------------------------------ */

static void init_rejects_invalid_params(void **state)
{
	struct dpp_flow_params p = {.capacity = 0, .idle_timeout_ns = SEC, .syn_timeout_ns = SEC};
	void *mem = aligned_alloc(64, 1 << 20);

	(void)state;
	assert_int_equal(dpp_flow_table_mem_size(&p), 0);
	assert_null(dpp_flow_table_init(mem, &p, sink, NULL));
	assert_int_equal(dpp_flow_table_mem_size(NULL), 0);
	p.capacity = 16;
	assert_null(dpp_flow_table_init(NULL, &p, sink, NULL));
	assert_null(dpp_flow_table_init((uint8_t *)mem + 8, &p, sink, NULL)); /* misaligned */
	assert_true(dpp_flow_table_mem_size(&p) <= (1 << 20));
	assert_non_null(dpp_flow_table_init(mem, &p, NULL, NULL));
	free(mem);
}

static void hash_sym_is_symmetric_and_spreads(void **state)
{
	struct conn c = conn_new(NULL, 40000, 1, 2);
	struct dpp_pkt_view a = seg(&c, true, F_A, 0, 0, 1, 0);
	struct dpp_pkt_view b = seg(&c, false, F_A, 0, 0, 1, 0);
	struct dpp_pkt_view d = seg(&c, true, F_A, 0, 0, 1, 0);
	unsigned low_bits[8] = {0};

	(void)state;
	assert_int_equal(dpp_flow_hash_sym(&a), dpp_flow_hash_sym(&b));
	d.sport++;
	assert_int_not_equal(dpp_flow_hash_sym(&a), dpp_flow_hash_sym(&d));
	c.ip_version = 6;
	a = seg(&c, true, F_A, 0, 0, 1, 0);
	b = seg(&c, false, F_A, 0, 0, 1, 0);
	assert_int_equal(dpp_flow_hash_sym(&a), dpp_flow_hash_sym(&b));
	/* Consecutive client ports spread over 8 workers. */
	for (int i = 0; i < 800; i++) {
		d.sport = (uint16_t)(30000 + i);
		low_bits[dpp_flow_hash_sym(&d) & 7]++;
	}
	for (int i = 0; i < 8; i++)
		assert_true(low_bits[i] > 50 && low_bits[i] < 150);
}

static void seq_wraparound_gives_no_false_retransmission(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 0xffffff00u, 0xfffffff0u);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS);
	for (uint32_t i = 0; i < 6; i++) {
		C(&c, 1 * MS, F_PA, 1 + i * 100, 1 + i * 5, 502, 100);
		S(&c, 1 * MS, F_PA, 1 + i * 5, 1 + (i + 1) * 100, 509, 5);
	}
	/* A real retransmission of data sent after the wrap, long after. */
	C(&c, 500 * MS, F_PA, 201, 31, 502, 100);
	C(&c, 10 * MS, F_FA, 601, 31, 502, 0);
	S(&c, 1 * MS, F_FA, 31, 602, 509, 0);
	C(&c, 1 * MS, F_A, 602, 32, 502, 0);
	r = only_record(h);
	assert_int_equal(r->outcome, DPP_OUTCOME_COMPLETED);
	assert_int_equal(r->c2s.retrans, 1);
	assert_int_equal(r->c2s.out_of_order, 0);
	assert_int_equal(r->s2c.retrans, 0);
	assert_int_equal(r->c2s.payload_bytes, 700);
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Retransmission, out-of-order, keep-alive, zero window               */
/* ------------------------------------------------------------------ */

static void retransmission_vs_out_of_order_by_handshake_rtt(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS); /* ts_first_rtt = 10 ms */
	C(&c, 1 * MS, F_PA, 1, 1, 502, 100);
	C(&c, MS / 10, F_PA, 101, 1, 502, 100);
	C(&c, MS / 10, F_PA, 201, 1, 502, 100);
	C(&c, 1 * MS, F_PA, 101, 1, 502, 100); /* 1 ms < RTT after new data: out-of-order */
	C(&c, 300 * MS, F_PA, 1, 1, 502, 100); /* long after: retransmission */
	r = only_record(h);
	assert_int_equal(r->c2s.out_of_order, 1);
	assert_int_equal(r->c2s.retrans, 1);
	harness_free(h);
}

static void out_of_order_threshold_is_3ms_without_handshake(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	C(&c, 0, F_PA, 1, 1, 502, 100);
	C(&c, MS / 10, F_PA, 101, 1, 502, 100);
	C(&c, 2 * MS, F_PA, 1, 1, 502, 100); /* 2 ms after nextseq advanced: ooo */
	C(&c, MS / 10, F_PA, 201, 1, 502, 100);
	C(&c, 4 * MS, F_PA, 1, 1, 502, 100); /* 4 ms: retransmission */
	C(&c, 0, F_PA, 201, 1, 502, 100);    /* ends at nextseq: a retransmission too */
	r = only_record(h);
	assert_int_equal(r->outcome, DPP_OUTCOME_MIDSTREAM);
	assert_int_equal(r->c2s.out_of_order, 1);
	assert_int_equal(r->c2s.retrans, 2);
	harness_free(h);
}

static void keep_alive_is_not_retransmission(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_PA, 1, 1, 502, 10);
	S(&c, 1 * MS, F_A, 1, 11, 509, 0);
	C(&c, 60 * SEC, F_A, 10, 1, 502, 0); /* keep-alive, 0 bytes */
	S(&c, 1 * MS, F_A, 1, 11, 509, 0);   /* keep-alive ACK, not a dup ACK */
	C(&c, 60 * SEC, F_A, 10, 1, 502, 1); /* keep-alive, 1 byte of garbage */
	S(&c, 1 * MS, F_A, 1, 11, 509, 0);
	r = only_record(h);
	assert_int_equal(r->c2s.retrans, 0);
	assert_int_equal(r->c2s.out_of_order, 0);
	assert_int_equal(r->c2s.keep_alive, 2);
	assert_int_equal(r->s2c.dup_ack, 0);
	harness_free(h);
}

static void zero_window_probe_is_not_retransmission(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_PA, 1, 1, 502, 1000);
	S(&c, 1 * MS, F_A, 1, 1001, 0, 0);     /* zero window */
	C(&c, 200 * MS, F_A, 1001, 1, 502, 1); /* probe */
	S(&c, 1 * MS, F_A, 1, 1001, 0, 0);     /* probe ACK: not counted as zero window */
	C(&c, 400 * MS, F_A, 1001, 1, 502, 1); /* second probe, same byte */
	S(&c, 1 * MS, F_A, 1, 1001, 0, 0);
	S(&c, 500 * MS, F_A, 1, 1001, 300, 0); /* window opens */
	C(&c, 1 * MS, F_PA, 1001, 1, 502, 300);
	r = only_record(h);
	assert_int_equal(r->c2s.retrans, 0);
	assert_int_equal(r->c2s.out_of_order, 0);
	assert_int_equal(r->c2s.zero_window_probe, 2);
	assert_int_equal(r->s2c.zero_window, 3); /* tshark: frames 5, 7, 9 */
	assert_int_equal(r->c2s.payload_bytes, 1302);
	harness_free(h);
}

static void fast_retransmission_after_two_dup_acks(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 2 * MS);
	for (uint32_t i = 0; i < 6; i++)
		C(&c, MS / 10, F_A, 1 + i * 100, 1, 502, 100);
	S(&c, 1 * MS, F_A, 1, 101, 509, 0);
	S(&c, MS / 10, F_A, 1, 101, 509, 0);  /* dup 1 */
	S(&c, MS / 10, F_A, 1, 101, 509, 0);  /* dup 2 */
	S(&c, MS / 10, F_A, 1, 101, 509, 0);  /* dup 3 */
	C(&c, 1 * MS, F_A, 101, 1, 502, 100); /* fast retransmission (> 2 ms RTT: not ooo) */
	S(&c, 1 * MS, F_A, 1, 601, 509, 0);
	r = only_record(h);
	assert_int_equal(r->s2c.dup_ack, 3);
	assert_int_equal(r->c2s.retrans, 1);
	assert_int_equal(r->c2s.out_of_order, 0);
	harness_free(h);
}

static void spurious_retransmission_counts_as_retrans(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_PA, 1, 1, 502, 100);
	S(&c, 10 * MS, F_A, 1, 101, 509, 0);
	C(&c, 200 * MS, F_PA, 1, 1, 502, 100); /* already acked */
	r = only_record(h);
	assert_int_equal(r->c2s.retrans, 1);
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Window scaling and options                                          */
/* ------------------------------------------------------------------ */

static void window_scaled_only_when_both_sides_offer_it(void **state)
{
	struct harness *h = harness_default();
	struct conn both = conn_new(h, 40001, 1000, 5000);
	struct conn one = conn_new(h, 40002, 1000, 5000);
	struct conn mid = conn_new(h, 40003, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake_opts(&both, 10 * MS, 7, 9); /* client ACK window 502 << 7 */
	S(&both, 1 * MS, F_A, 1, 1, 300, 0);  /* 300 << 9 */
	handshake_opts(&one, 10 * MS, 7, -1);
	S(&one, 1 * MS, F_A, 1, 1, 300, 0);
	C(&mid, 0, F_A, 1, 1, 502, 0);
	S(&mid, 1 * MS, F_A, 1, 1, 300, 0);
	flush(h);
	assert_int_equal(h->nrec, 3);
	for (unsigned i = 0; i < h->nrec; i++) {
		r = &h->rec[i];
		switch (r->client_port) {
		case 40001:
			assert_int_equal(r->c2s.win_max, 502 << 7);
			assert_int_equal(r->s2c.win_max, 300 << 9);
			assert_true(r->c2s.has_wscale);
			assert_int_equal(r->c2s.wscale, 7);
			assert_int_equal(r->s2c.wscale, 9);
			assert_int_equal(r->c2s.mss, 1460);
			assert_int_equal(r->s2c.mss, 1400);
			assert_true(r->c2s.sack_ok);
			assert_false(r->s2c.sack_ok);
			break;
		case 40002:
			/* SYN windows are never scaled: 64240 > 502, 65160 > 300. */
			assert_int_equal(r->c2s.win_max, 64240);
			assert_int_equal(r->s2c.win_max, 65160);
			assert_true(r->c2s.has_wscale);
			assert_false(r->s2c.has_wscale);
			break;
		case 40003:
			assert_int_equal(r->outcome, DPP_OUTCOME_MIDSTREAM);
			assert_int_equal(r->c2s.win_max, 502);
			assert_int_equal(r->s2c.win_max, 300);
			assert_false(r->c2s.has_mss);
			assert_false(r->c2s.has_wscale);
			break;
		default:
			fail();
		}
	}
	harness_free(h);
}

static void window_scale_shift_above_14_is_clamped(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake_opts(&c, 10 * MS, 15, 7);
	C(&c, 1 * MS, F_A, 1, 1, 4, 0);
	r = only_record(h);
	assert_int_equal(r->c2s.wscale, 15); /* as sent */
	assert_int_equal(r->c2s.win_max, 64240 > (502 << 14) ? 64240 : 502 << 14);
	harness_free(h);
}

/*
 * Only one side's handshake segment captured: Wireshark scales the side
 * whose shift it saw, as soon as it saw it, and leaves the other raw.
 */
static void window_scaled_by_the_one_shift_seen(void **state)
{
	struct harness *h = harness_default();
	struct conn synack_only = conn_new(h, 40001, 1000, 5000);
	struct conn syn_only = conn_new(h, 40002, 1000, 5000);
	struct dpp_pkt_view v;

	(void)state;
	/* Capture starts at the SYN-ACK (shift 9): the server's windows scale, the client's don't. */
	v = seg(&synack_only, false, F_SA, 0, 1, 65160, 0);
	v.has_wscale = true;
	v.wscale = 9;
	send_view(&synack_only, &v);
	C(&synack_only, 1 * MS, F_A, 1, 1, 40000, 0);
	S(&synack_only, 1 * MS, F_A, 1, 1, 300, 0);
	/* Only the client's SYN (shift 7) and then data: the client's scale. */
	v = seg(&syn_only, true, F_S, 0, 0, 64240, 0);
	v.has_wscale = true;
	v.wscale = 7;
	send_view(&syn_only, &v);
	C(&syn_only, 1 * MS, F_A, 1, 1, 1000, 0);
	S(&syn_only, 1 * MS, F_A, 1, 1, 40000, 0);
	flush(h);
	assert_int_equal(h->nrec, 2);
	for (unsigned i = 0; i < h->nrec; i++) {
		const struct dpp_flow_record *r = &h->rec[i];

		if (r->server_port == 80 && r->s2c.packets == 2 && r->c2s.packets == 1) {
			/* No SYN: client is the higher port (40001), server 80 sent the SYN-ACK. */
			assert_int_equal(r->s2c.win_max, 300 << 9);
			assert_int_equal(r->c2s.win_max, 40000);
		} else {
			assert_int_equal(r->client_port, 40002);
			assert_int_equal(r->c2s.win_max, 1000 << 7);
			assert_int_equal(r->s2c.win_max, 40000);
		}
	}
	harness_free(h);
}

/* nmap's OS probes carry window scale without SYN: later windows of that side scale by it. */
static void window_scale_option_without_syn_scales_later_windows(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	struct dpp_pkt_view v = seg(&c, true, F_A, 1, 1, 128, 0);
	const struct dpp_flow_record *r;

	(void)state;
	v.has_wscale = true;
	v.wscale = 10;
	send_view(&c, &v); /* its own window is not scaled yet */
	C(&c, 1 * MS, F_A, 1, 1, 100, 0);
	r = only_record(h);
	assert_int_equal(r->c2s.win_max, 100 << 10);
	harness_free(h);
}

/* A SYN-ACK with the option answering a SYN without it: nobody scales. */
static void window_not_scaled_when_syn_lacked_the_option(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake_opts(&c, 10 * MS, -1, 7);
	S(&c, 1 * MS, F_A, 1, 1, 1000, 0);
	C(&c, 1 * MS, F_A, 1, 1, 1000, 0);
	r = only_record(h);
	assert_int_equal(r->s2c.win_max, 65160); /* the SYN-ACK's, raw and larger than 1000 */
	assert_int_equal(r->c2s.win_max, 64240);
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Outcomes, handshake                                                 */
/* ------------------------------------------------------------------ */

static void outcome_completed_after_fin_both_ways(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_FA, 1, 1, 502, 0);
	S(&c, 1 * MS, F_FA, 1, 2, 509, 0);
	C(&c, 1 * MS, F_A, 2, 2, 502, 0);
	C(&c, 1 * MS, F_RA, 2, 2, 0, 0); /* RST after both FINs: still completed */
	r = only_record(h);
	assert_int_equal(r->outcome, DPP_OUTCOME_COMPLETED);
	assert_int_equal(r->end_reason, DPP_END_FIN);
	assert_int_equal(r->rst_by, DPP_SIDE_CLIENT);
	assert_int_equal(r->c2s.fin, 1);
	assert_int_equal(r->s2c.fin, 1);
	assert_int_equal(r->c2s.rst, 1);
	assert_int_equal(r->c2s.packets, 5);
	assert_int_equal(dpp_flow_table_counters(h->t)->completed, 1);
	harness_free(h);
}

static void outcome_established_when_open_at_exit(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_FA, 1, 1, 502, 0); /* only one side closed */
	r = only_record(h);
	assert_int_equal(r->outcome, DPP_OUTCOME_ESTABLISHED);
	assert_int_equal(r->end_reason, DPP_END_EXIT);
	assert_int_equal(r->rst_by, DPP_SIDE_NONE);
	harness_free(h);
}

static void outcome_reset_names_the_server(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_FA, 1, 1, 502, 0);
	S(&c, 1 * MS, F_RA, 1, 2, 0, 0); /* RST before the second FIN */
	S(&c, 1 * MS, F_R, 1, 0, 0, 0);	 /* repeated RST, same flow */
	r = only_record(h);
	assert_int_equal(r->outcome, DPP_OUTCOME_RESET);
	assert_int_equal(r->end_reason, DPP_END_RST);
	assert_int_equal(r->rst_by, DPP_SIDE_SERVER);
	assert_int_equal(r->s2c.rst, 2);
	assert_int_equal(dpp_flow_table_counters(h->t)->reset, 1);
	assert_int_equal(dpp_flow_table_counters(h->t)->rst, 2);
	harness_free(h);
}

static void outcome_refused_when_syn_answered_by_rst(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	C(&c, 0, F_S, 0, 0, 64240, 0);
	S(&c, 1 * MS, F_RA, 0, 1, 0, 0);
	r = only_record(h);
	assert_int_equal(r->outcome, DPP_OUTCOME_REFUSED);
	assert_int_equal(r->end_reason, DPP_END_RST);
	assert_int_equal(r->rst_by, DPP_SIDE_SERVER);
	assert_int_equal(r->syn, 1);
	assert_int_equal(r->synack, 0);
	assert_int_equal(r->syn_to_synack_ns, DPP_FLOW_NO_TIME);
	assert_int_equal(dpp_flow_table_counters(h->t)->refused, 1);
	harness_free(h);
}

static void outcome_midstream_picks_client_by_port(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	S(&c, 0, F_PA, 1, 1, 509, 100); /* first packet from the server */
	C(&c, 1 * MS, F_A, 1, 101, 502, 0);
	r = only_record(h);
	assert_int_equal(r->outcome, DPP_OUTCOME_MIDSTREAM);
	assert_int_equal(r->client_port, 40000);
	assert_int_equal(r->server_port, 80);
	assert_int_equal(r->s2c.payload_bytes, 100);
	assert_int_equal(r->c2s.packets, 1);
	assert_int_equal(r->synack_to_ack_ns, DPP_FLOW_NO_TIME);
	harness_free(h);
}

static void syn_retransmits_count_in_handshake_not_retrans(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_record *r;

	(void)state;
	C(&c, 0, F_S, 0, 0, 64240, 0);
	C(&c, 1 * SEC, F_S, 0, 0, 64240, 0);
	C(&c, 2 * SEC, F_S, 0, 0, 64240, 0);
	S(&c, 40 * MS, F_SA, 0, 1, 65160, 0);
	S(&c, 5 * MS, F_SA, 0, 1, 65160, 0); /* SYN-ACK retransmit */
	C(&c, 15 * MS, F_PA, 1, 1, 502, 10); /* not a pure ACK */
	C(&c, 5 * MS, F_A, 11, 1, 502, 0);   /* first pure ACK */
	r = only_record(h);
	assert_int_equal(r->syn, 3);
	assert_int_equal(r->synack, 2);
	assert_int_equal(r->c2s.retrans, 0);
	assert_int_equal(r->s2c.retrans, 0);
	assert_int_equal(r->syn_to_synack_ns, 40 * MS); /* from the last SYN */
	assert_int_equal(r->synack_to_ack_ns, 25 * MS); /* from the first SYN-ACK */
	assert_int_equal(r->first_ts_ns, T0);
	assert_int_equal(r->last_ts_ns, T0 + 3 * SEC + 65 * MS);
	assert_int_equal(r->outcome, DPP_OUTCOME_ESTABLISHED);
	assert_int_equal(dpp_flow_table_counters(h->t)->syn, 3);
	assert_int_equal(dpp_flow_table_counters(h->t)->synack, 2);
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Streams: port reuse, linger                                         */
/* ------------------------------------------------------------------ */

static void port_reuse_with_new_isn_starts_a_new_flow(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_FA, 1, 1, 502, 0);
	S(&c, 1 * MS, F_FA, 1, 2, 509, 0);
	C(&c, 1 * MS, F_A, 2, 2, 502, 0);
	C(&c, 500 * MS, F_A, 2, 2, 502, 0); /* trailing ACK while lingering: same flow */
	assert_int_equal(h->nrec, 0);
	c.cisn = 777777;
	c.sisn = 999999;
	C(&c, 300 * MS, F_S, 0, 0, 64240, 0); /* new ISN: the old flow ends now */
	assert_int_equal(h->nrec, 1);
	assert_int_equal(h->rec[0].end_reason, DPP_END_FIN);
	assert_int_equal(h->rec[0].outcome, DPP_OUTCOME_COMPLETED);
	assert_int_equal(h->rec[0].c2s.packets, 5);
	C(&c, 1 * SEC, F_S, 0, 0, 64240, 0); /* same ISN: a retransmit, same flow */
	assert_int_equal(h->nrec, 1);
	S(&c, 1 * MS, F_SA, 0, 1, 65160, 0);
	flush(h);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[1].syn, 2);
	assert_int_equal(h->rec[1].synack, 1);
	assert_int_equal(h->rec[1].outcome, DPP_OUTCOME_ESTABLISHED);
	harness_free(h);
}

static void closed_flow_lingers_two_seconds(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_RA, 1, 1, 0, 0);
	C(&c, 1900 * MS, F_R, 1, 0, 0, 0); /* within the linger: counted in the flow */
	assert_int_equal(h->nrec, 0);
	dpp_flow_table_expire(h->t, c.now + 2 * SEC - 1);
	assert_int_equal(h->nrec, 0);
	dpp_flow_table_expire(h->t, c.now + 2 * SEC);
	check_conservation(h);
	assert_int_equal(h->nrec, 1);
	assert_int_equal(h->rec[0].end_reason, DPP_END_RST);
	assert_int_equal(h->rec[0].c2s.rst, 2);
	/* A later packet on the same key is a new (midstream) flow. */
	C(&c, 3 * SEC, F_A, 1, 1, 502, 0);
	flush(h);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[1].outcome, DPP_OUTCOME_MIDSTREAM);
	harness_free(h);
}


/* ------------------------------------------------------------------ */
/* Recently ended 4-tuples: late segments, port reuse                  */
/* ------------------------------------------------------------------ */

/* Handshake, FIN both ways, last ACK: a completed connection. */
static void complete(struct conn *c)
{
	handshake(c, 10 * MS);
	C(c, 1 * MS, F_FA, 1, 1, 502, 0);
	S(c, 1 * MS, F_FA, 1, 2, 509, 0);
	C(c, 1 * MS, F_A, 2, 2, 502, 0);
}

static void closed_flow_lingers_five_seconds_by_default(void **state)
{
	struct dpp_flow_params p = {.capacity = 64, .idle_timeout_ns = 300 * SEC};
	struct harness *h = harness_params(&p);
	struct conn c = conn_new(h, 40000, 1000, 5000);

	(void)state;
	complete(&c);
	dpp_flow_table_expire(h->t, c.now + 5 * SEC - 1);
	assert_int_equal(h->nrec, 0);
	dpp_flow_table_expire(h->t, c.now + 5 * SEC);
	assert_int_equal(h->nrec, 1);
	check_conservation(h);
	harness_free(h);
}

static void late_fin_after_linger_is_counted_not_a_flow(void **state)
{
	struct harness *h = harness_time_wait(60 * SEC, 0);
	struct conn c = conn_new(h, 40000, 1000, 5000);

	(void)state;
	complete(&c);
	S(&c, 8 * SEC, F_FA, 1, 2, 509, 0); /* a FIN retransmitted 8 s later */
	C(&c, 1 * MS, F_A, 2, 2, 502, 0);   /* and its ACK */
	S(&c, 20 * SEC, F_RA, 2, 2, 0, 0);  /* an RST, later still */
	assert_int_equal(dpp_flow_table_counters(h->t)->late_segments, 3);
	flush(h);
	assert_int_equal(h->nrec, 1);
	assert_int_equal(dpp_flow_table_counters(h->t)->created, 1);
	assert_int_equal(h->rec[0].outcome, DPP_OUTCOME_COMPLETED);
	harness_free(h);
}

static void segment_after_time_wait_is_a_midstream_flow(void **state)
{
	struct harness *h = harness_time_wait(60 * SEC, 0);
	struct conn c = conn_new(h, 40000, 1000, 5000);

	(void)state;
	complete(&c);
	S(&c, 60 * SEC, F_A, 2, 2, 509, 0); /* exactly --time-wait after the last packet */
	assert_int_equal(dpp_flow_table_counters(h->t)->late_segments, 0);
	flush(h);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[1].outcome, DPP_OUTCOME_MIDSTREAM);
	harness_free(h);
}

static void idle_ended_flow_is_not_closed_so_its_segments_make_a_flow(void **state)
{
	struct harness *h = harness_time_wait(60 * SEC, 0);
	struct conn c = conn_new(h, 40000, 1000, 5000);

	(void)state;
	handshake(&c, 10 * MS);
	dpp_flow_table_expire(h->t, c.now + 300 * SEC); /* idle timeout: not closed */
	assert_int_equal(h->nrec, 1);
	C(&c, 301 * SEC, F_PA, 1, 1, 502, 100);
	assert_int_equal(dpp_flow_table_counters(h->t)->late_segments, 0);
	flush(h);
	assert_int_equal(h->nrec, 2);
	harness_free(h);
}

static void syn_reusing_a_recent_tuple_reports_the_gap(void **state)
{
	struct harness *h = harness_time_wait(60 * SEC, 0);
	struct conn c = conn_new(h, 40000, 1000, 5000);
	uint64_t last;

	(void)state;
	complete(&c);
	last = c.now;
	c.cisn = 777777;
	c.sisn = 999999;
	C(&c, 3 * SEC, F_S, 0, 0, 64240, 0); /* after the 2 s linger: the old flow is gone */
	assert_int_equal(h->nrec, 1);
	assert_int_equal(h->rec[0].port_reuse_gap_us, UINT32_MAX);
	S(&c, 1 * MS, F_SA, 0, 1, 65160, 0);
	flush(h);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[1].port_reuse_gap_us, (c.now - 1 * MS - last) / 1000);
	assert_int_equal(h->rec[1].port_reuse_gap_us, 3000000);
	harness_free(h);
}

static void syn_after_time_wait_reports_no_gap(void **state)
{
	struct harness *h = harness_time_wait(10 * SEC, 0);
	struct conn c = conn_new(h, 40000, 1000, 5000);

	(void)state;
	complete(&c);
	c.cisn = 777777;
	C(&c, 10 * SEC, F_S, 0, 0, 64240, 0);
	flush(h);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[1].port_reuse_gap_us, UINT32_MAX);
	harness_free(h);
}

/*
 * Ports (p, q) and (p - 1, q + 1) between the same addresses once hashed
 * alike, and the memory of ended 4-tuples keys by hash alone: the first use
 * of 40001 -> 8081 looked like a reuse of 40002 -> 8080 (found by the real
 * kernel scenarios of it_diagnosis, port_pressure).
 */
static void new_tuple_next_to_an_ended_one_is_not_a_reuse(void **state)
{
	struct harness *h = harness_time_wait(60 * SEC, 0);
	struct conn a = conn_new(h, 40002, 1000, 5000);
	struct conn b = conn_new(h, 40001, 1000, 5000);

	(void)state;
	a.sport = 8080;
	b.sport = 8081;
	complete(&a);
	b.now = a.now + 3 * SEC;
	handshake(&b, 10 * MS);
	flush(h);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[1].client_port, 40001);
	assert_int_equal(h->rec[1].port_reuse_gap_us, UINT32_MAX);
	/* And many neighbours: none may look reused. */
	for (uint16_t p = 0; p < 2000; p++) {
		struct conn c = conn_new(h, (uint16_t)(20000 + p), 1000, 5000);

		c.sport = (uint16_t)(9000 - p);
		c.now = b.now + 10 * SEC + p * 10 * MS;
		handshake(&c, 1 * MS);
	}
	flush(h);
	for (unsigned i = 2; i < h->nrec; i++)
		assert_int_equal(h->rec[i].port_reuse_gap_us, UINT32_MAX);
	harness_free(h);
}

/* An ACK for data the probe never saw is capture loss, by the direction of the lost data. */
static void ack_of_unseen_data_counts_as_capture_loss(void **state)
{
	struct harness *h = harness_default();
	struct conn c = conn_new(h, 40000, 1000, 5000);
	const struct dpp_flow_counters *k = dpp_flow_table_counters(h->t);

	(void)state;
	handshake(&c, 10 * MS);
	C(&c, 1 * MS, F_PA, 1, 1, 502, 100);  /* seen: 1..101 */
	S(&c, 1 * MS, F_A, 1, 101, 509, 0);   /* acks what was seen: no loss */
	assert_int_equal(k->capture_loss_acks[0] + k->capture_loss_acks[1], 0);
	/* 101..1101 and 1101..2101 never reach the probe; the server acks them all. */
	S(&c, 5 * MS, F_A, 1, 1101, 509, 0);
	S(&c, 5 * MS, F_A, 1, 2101, 509, 0); /* the next ack: only its own 1000 bytes are new */
	assert_int_equal(k->capture_loss_acks[0], 2);
	assert_int_equal(k->capture_loss_bytes[0], 2000);
	assert_int_equal(k->capture_loss_acks[1], 0);
	/* A hole: the probe sees 3101..3201 but not 2101..3101, then the ack covers it. */
	C(&c, 1 * MS, F_PA, 3101, 1, 502, 100);
	S(&c, 1 * MS, F_A, 1, 3201, 509, 0);
	assert_int_equal(k->capture_loss_acks[0], 3);
	assert_int_equal(k->capture_loss_bytes[0], 2000); /* a hole's size is not kept */
	/* The server's data the probe missed, acked by the client: s2c. */
	C(&c, 1 * MS, F_A, 3201, 501, 502, 0);
	assert_int_equal(k->capture_loss_acks[1], 1);
	assert_int_equal(k->capture_loss_bytes[1], 500);
	flush(h);
	harness_free(h);
}

static void full_time_wait_memory_forgets_the_oldest_and_counts_it(void **state)
{
	/* 16 slots: 4 sets of 4 ways; 40 ended tuples must overflow some set. */
	struct harness *h = harness_time_wait(60 * SEC, 16);
	uint64_t now = T0;

	(void)state;
	for (uint16_t i = 0; i < 40; i++) {
		struct conn c = conn_new(h, (uint16_t)(30000 + i), 1000, 5000);

		c.now = now;
		complete(&c);
		now = c.now + 3 * SEC; /* past the linger: the previous one has ended */
		dpp_flow_table_expire(h->t, now);
	}
	assert_int_equal(h->nrec, 40);
	assert_true(dpp_flow_table_counters(h->t)->time_wait_overflow >= 40 - 16);
	flush(h);
	harness_free(h);
}

static void record_keeps_the_queue_of_its_first_packet(void **state)
{
	struct harness *h = harness_default();
	struct conn a = conn_new(h, 40000, 1000, 5000);
	struct conn b = conn_new(h, 40001, 1000, 5000);
	struct dpp_pkt_view va = seg(&a, true, F_S, 0, 0, 64240, 0);
	struct dpp_pkt_view vb = seg(&b, true, F_S, 0, 0, 64240, 0);
	uint64_t ts = T0;

	(void)state;
	dpp_flow_table_burst(h->t, &va, &ts, 1, 3);
	dpp_flow_table_burst(h->t, &vb, &ts, 1, 7);
	va = seg(&a, false, F_SA, 0, 1, 65160, 0);
	dpp_flow_table_burst(h->t, &va, &ts, 1, 7); /* a later packet on another queue */
	flush(h); /* ended by the exit flush, after queue 7 was polled last */
	assert_int_equal(h->nrec, 2);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(h->rec[i].queue, h->rec[i].client_port == 40000 ? 3 : 7);
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Aging                                                               */
/* ------------------------------------------------------------------ */

static void idle_and_syn_timeouts_across_capture_gap(void **state)
{
	struct harness *h = harness_new(1024, 300 * SEC, 30 * SEC);
	struct conn est = conn_new(h, 40001, 1000, 5000);
	struct conn half = conn_new(h, 40002, 1000, 5000);
	struct conn late;
	const struct dpp_flow_counters *cnt = dpp_flow_table_counters(h->t);

	(void)state;
	handshake(&est, 10 * MS);
	C(&half, 0, F_S, 0, 0, 64240, 0);
	C(&half, 3 * SEC, F_S, 0, 0, 64240, 0);
	/* 29 s after the last SYN: nothing due yet. */
	dpp_flow_table_expire(h->t, half.now + 29 * SEC);
	assert_int_equal(h->nrec, 0);
	/* A capture gap of a day: both end, each with its own reason. */
	late = conn_new(h, 40003, 1, 1);
	late.now = half.now + 86400 * SEC;
	C(&late, 0, F_A, 1, 1, 502, 0);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[0].end_reason, DPP_END_SYN_TIMEOUT);
	assert_int_equal(h->rec[0].outcome, DPP_OUTCOME_SYN_TIMEOUT);
	assert_int_equal(h->rec[0].syn, 2);
	assert_int_equal(h->rec[1].end_reason, DPP_END_IDLE);
	assert_int_equal(h->rec[1].outcome, DPP_OUTCOME_ESTABLISHED);
	assert_int_equal(cnt->syn_timeout, 1);
	assert_int_equal(dpp_flow_table_active(h->t), 1);
	flush(h);
	harness_free(h);
}

static void aging_keeps_recently_active_flows(void **state)
{
	struct harness *h = harness_new(1024, 10 * SEC, 30 * SEC);
	struct conn a = conn_new(h, 40001, 1000, 5000);
	struct conn b = conn_new(h, 40002, 1000, 5000);

	(void)state;
	handshake(&a, 10 * MS);
	handshake(&b, 10 * MS);
	for (int i = 0; i < 5; i++) {
		a.now = b.now = T0 + (uint64_t)(i + 1) * 4 * SEC;
		C(&a, 0, F_A, 1, 1, 502, 0); /* a stays active, b goes idle */
	}
	assert_int_equal(h->nrec, 1);
	assert_int_equal(h->rec[0].client_port, 40002);
	assert_int_equal(h->rec[0].end_reason, DPP_END_IDLE);
	flush(h);
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Capacity and eviction                                               */
/* ------------------------------------------------------------------ */

static void table_full_evicts_half_open_then_closed_then_oldest(void **state)
{
	struct harness *h = harness_new(8, 300 * SEC, 30 * SEC);
	const struct dpp_flow_counters *cnt = dpp_flow_table_counters(h->t);
	struct conn c[12];

	(void)state;
	for (int i = 0; i < 12; i++)
		c[i] = conn_new(h, (uint16_t)(41000 + i), 1000, 5000);
	/* 6 established flows, 1 closed, 1 half-open (budget 8 / 4 = 2). */
	for (int i = 0; i < 6; i++) {
		c[i].now = T0 + (uint64_t)i * MS;
		handshake(&c[i], 10 * MS);
	}
	c[6].now = T0 + 10 * MS;
	handshake(&c[6], 10 * MS);
	C(&c[6], 1 * MS, F_RA, 1, 1, 0, 0);
	c[7].now = T0 + 30 * MS;
	C(&c[7], 0, F_S, 0, 0, 64240, 0);
	assert_int_equal(dpp_flow_table_active(h->t), 8);

	/* Full: a midstream flow evicts the half-open one first. */
	c[8].now = T0 + 40 * MS;
	C(&c[8], 0, F_A, 1, 1, 502, 0);
	assert_int_equal(h->nrec, 1);
	assert_int_equal(h->rec[0].client_port, 41007);
	assert_int_equal(h->rec[0].end_reason, DPP_END_EVICTED);
	/* Then the closed one, which keeps its reason. */
	c[9].now = T0 + 41 * MS;
	C(&c[9], 0, F_A, 1, 1, 502, 0);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(h->rec[1].client_port, 41006);
	assert_int_equal(h->rec[1].end_reason, DPP_END_RST);
	/* Then the least recently seen open flow: c[0], unless touched. */
	C(&c[0], 1 * MS, F_A, 1, 1, 502, 0);
	c[10].now = T0 + 60 * MS;
	C(&c[10], 0, F_A, 1, 1, 502, 0);
	assert_int_equal(h->nrec, 3);
	assert_int_equal(h->rec[2].client_port, 41001);
	assert_int_equal(h->rec[2].end_reason, DPP_END_EVICTED);
	assert_int_equal(cnt->evicted, 3);
	assert_int_equal(cnt->table_full_drops, 0);
	flush(h);
	harness_free(h);
}

static void syn_flood_never_evicts_established_flows(void **state)
{
	struct harness *h = harness_new(64, 300 * SEC, 30 * SEC);
	const struct dpp_flow_counters *cnt = dpp_flow_table_counters(h->t);
	struct conn est[40];
	unsigned established_ended = 0;

	(void)state;
	for (int i = 0; i < 40; i++) {
		est[i] = conn_new(h, (uint16_t)(42000 + i), 1000, 5000);
		handshake(&est[i], 10 * MS);
	}
	for (int i = 0; i < 5000; i++) {
		struct conn s = conn_new(h, (uint16_t)(1024 + i % 60000), (uint32_t)i, 0);

		s.cip = (uint8_t)(100 + i % 100);
		s.now = est[0].now + (uint64_t)i * 1000;
		C(&s, 0, F_S, 0, 0, 1024, 0);
	}
	/* Half-open flows never exceed the budget (64 / 4). */
	assert_int_equal(dpp_flow_table_active(h->t), 40 + 16);
	for (unsigned i = 0; i < h->nrec; i++)
		established_ended += h->rec[i].synack != 0;
	assert_int_equal(established_ended, 0);
	assert_int_equal(cnt->evicted, 5000 - 16);
	/* Fill the rest with open flows; then a SYN finds no victim. */
	for (int i = 0; i < 8; i++) {
		struct conn m = conn_new(h, (uint16_t)(43000 + i), 1, 1);

		m.now = est[0].now + 6 * SEC;
		C(&m, 0, F_A, 1, 1, 502, 0);
	}
	assert_int_equal(dpp_flow_table_active(h->t), 64);
	flush(h);
	harness_free(h);
}

/*
 * A server answers spoofed SYNs: SYN-ACKs do not end the handshake, so the
 * flood stays in the half-open budget. Only the client's ACK does; and a
 * half-open flow that was answered times out as idle, not syn_timeout.
 */
static void answered_syn_flood_never_evicts_established_flows(void **state)
{
	struct harness *h = harness_new(64, 300 * SEC, 30 * SEC);
	const struct dpp_flow_counters *cnt = dpp_flow_table_counters(h->t);
	struct conn est[40];
	struct conn late;

	(void)state;
	for (int i = 0; i < 40; i++) {
		est[i] = conn_new(h, (uint16_t)(42000 + i), 1000, 5000);
		handshake(&est[i], 10 * MS);
	}
	for (int i = 0; i < 5000; i++) {
		struct conn s = conn_new(h, (uint16_t)(1024 + i % 60000), (uint32_t)i, 77);

		s.cip = (uint8_t)(100 + i % 100);
		s.now = est[0].now + (uint64_t)i * 1000;
		C(&s, 0, F_S, 0, 0, 1024, 0);
		S(&s, 100, F_SA, 0, 1, 65160, 0);
	}
	assert_int_equal(dpp_flow_table_active(h->t), 40 + 16);
	assert_int_equal(cnt->evicted, 5000 - 16);
	for (unsigned i = 0; i < h->nrec; i++) {
		assert_int_equal(h->rec[i].end_reason, DPP_END_EVICTED);
		assert_true(h->rec[i].client_port < 42000); /* a flood flow, never est[] */
	}
	/*
	 * A new SYN takes the oldest half-open entry; its handshake completes
	 * and leaves the budget: it is open from its ACK.
	 */
	late = conn_new(h, 44000, 9, 9);
	late.now = est[0].now + 5 * SEC + 1;
	handshake(&late, 1 * MS);
	assert_int_equal(cnt->evicted, 5000 - 15);
	/* 31 s later only the open flows remain; the 15 answered ones went as idle. */
	late.now += 31 * SEC;
	dpp_flow_table_expire(h->t, late.now);
	assert_int_equal(dpp_flow_table_active(h->t), 41);
	for (unsigned i = h->nrec - 15; i < h->nrec; i++) {
		assert_int_equal(h->rec[i].end_reason, DPP_END_IDLE);
		assert_int_equal(h->rec[i].outcome, DPP_OUTCOME_ESTABLISHED);
	}
	flush(h);
	harness_free(h);
}

static void syn_into_table_full_of_open_flows_is_dropped(void **state)
{
	struct harness *h = harness_new(4, 300 * SEC, 30 * SEC);
	const struct dpp_flow_counters *cnt = dpp_flow_table_counters(h->t);
	struct conn c;

	(void)state;
	for (int i = 0; i < 4; i++) {
		c = conn_new(h, (uint16_t)(44000 + i), 1, 1);
		C(&c, 0, F_A, 1, 1, 502, 0);
	}
	c = conn_new(h, 45000, 1, 1);
	C(&c, 0, F_S, 0, 0, 64240, 0);
	assert_int_equal(cnt->table_full_drops, 1);
	assert_int_equal(cnt->evicted, 0);
	assert_int_equal(dpp_flow_table_active(h->t), 4);
	flush(h);
	assert_int_equal(cnt->created, 4);
	harness_free(h);
}

static void many_flows_ipv6_and_ipv4_conserve(void **state)
{
	struct harness *h = harness_new(4096, 300 * SEC, 30 * SEC);
	const struct dpp_flow_counters *cnt = dpp_flow_table_counters(h->t);

	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct conn c = conn_new(h, (uint16_t)(20000 + i), (uint32_t)i * 7919, 1);

		c.ip_version = (i & 1) ? 6 : 4;
		c.now = T0 + (uint64_t)i * MS;
		handshake(&c, 1 * MS);
		C(&c, 1 * MS, F_FA, 1, 1, 502, 0);
		S(&c, 1 * MS, F_FA, 1, 2, 509, 0);
		if (i % 3 == 0)
			C(&c, 1 * MS, F_A, 2, 2, 502, 0);
	}
	/* Closed flows linger 2 s: about 2000 still in the table. */
	assert_true(dpp_flow_table_active(h->t) > 1900 && dpp_flow_table_active(h->t) < 2100);
	flush(h);
	assert_int_equal(cnt->created, 3000);
	assert_int_equal(cnt->completed, 3000);
	for (unsigned i = 0; i < h->nrec; i++) {
		assert_int_equal(h->rec[i].end_reason, DPP_END_FIN);
		assert_int_equal(h->rec[i].c2s.packets,
				 h->rec[i].client_port % 3 == 20000 % 3 ? 4 : 3);
	}
	harness_free(h);
}

/* A small deterministic generator (64-bit LCG), for the burst test's stream. */
static uint32_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/*
 * dpp_flow_table_burst() must be exactly dpp_flow_table_packet() in a
 * loop: same records in the same order, same counters. The stream is
 * random segments over 300 4-tuples into a 64-flow table, so bursts
 * create, end, evict, drop (table full) and reuse flows mid-burst, and time
 * jumps past the timeouts now and then; burst sizes go past the 64 the
 * table prefetches at once.
 */
static void burst_equals_packet_by_packet(void **state)
{
	static const uint8_t flags[] = {F_S, F_SA, F_A, F_A, F_PA, F_PA, F_FA, F_R, F_RA};
	enum { N = 8000 }; /* at most one record per packet: fits MAX_RECORDS */
	struct harness *one = harness_new(64, 5 * SEC, 2 * SEC);
	struct harness *bulk = harness_new(64, 5 * SEC, 2 * SEC);
	struct dpp_pkt_view *v = calloc(N, sizeof(*v));
	uint64_t *ts = calloc(N, sizeof(*ts));
	uint64_t seed = 42, now = T0;

	(void)state;
	assert_non_null(v);
	assert_non_null(ts);
	for (int i = 0; i < N; i++) {
		const uint32_t r = lcg(&seed);
		struct conn c = conn_new(one, (uint16_t)(1000 + r % 300), 1000, 5000);

		c.ip_version = (r >> 9) % 4 == 0 ? 6 : 4;
		now += (r >> 12) % 64 == 0 ? 3 * SEC : (r >> 12) % 500 * 1000;
		v[i] = seg(&c, (r >> 20) & 1, flags[(r >> 21) % sizeof(flags)], (r >> 25) % 4 * 100,
			   1, (r >> 8) % 8 == 0 ? 0 : 1000, (r >> 23) % 2 * 100);
		if ((r >> 27) % 16 == 0)
			v[i].seq += 77777; /* a new ISN now and then: port reuse */
		ts[i] = now;
	}
	for (int i = 0; i < N; i++)
		dpp_flow_table_packet(one->t, &v[i], ts[i]);
	for (int i = 0; i < N;) {
		uint16_t n = (uint16_t)(1 + lcg(&seed) % 100);

		if (n > N - i)
			n = (uint16_t)(N - i);
		dpp_flow_table_burst(bulk->t, &v[i], &ts[i], n, 0);
		check_conservation(bulk);
		i += n;
	}
	flush(one);
	flush(bulk);
	/* The stream exercised what it is meant to. */
	assert_true(dpp_flow_table_counters(one->t)->evicted > 100);
	assert_true(dpp_flow_table_counters(one->t)->table_full_drops > 0);
	assert_int_equal(one->nrec, bulk->nrec);
	assert_memory_equal(one->rec, bulk->rec, one->nrec * sizeof(one->rec[0]));
	assert_memory_equal(dpp_flow_table_counters(one->t), dpp_flow_table_counters(bulk->t),
			    sizeof(struct dpp_flow_counters));
	free(v);
	free(ts);
	harness_free(one);
	harness_free(bulk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_rejects_invalid_params),
		cmocka_unit_test(hash_sym_is_symmetric_and_spreads),
		cmocka_unit_test(seq_wraparound_gives_no_false_retransmission),
		cmocka_unit_test(retransmission_vs_out_of_order_by_handshake_rtt),
		cmocka_unit_test(out_of_order_threshold_is_3ms_without_handshake),
		cmocka_unit_test(keep_alive_is_not_retransmission),
		cmocka_unit_test(zero_window_probe_is_not_retransmission),
		cmocka_unit_test(fast_retransmission_after_two_dup_acks),
		cmocka_unit_test(spurious_retransmission_counts_as_retrans),
		cmocka_unit_test(window_scaled_only_when_both_sides_offer_it),
		cmocka_unit_test(window_scale_shift_above_14_is_clamped),
		cmocka_unit_test(window_scaled_by_the_one_shift_seen),
		cmocka_unit_test(window_not_scaled_when_syn_lacked_the_option),
		cmocka_unit_test(window_scale_option_without_syn_scales_later_windows),
		cmocka_unit_test(outcome_completed_after_fin_both_ways),
		cmocka_unit_test(outcome_established_when_open_at_exit),
		cmocka_unit_test(outcome_reset_names_the_server),
		cmocka_unit_test(outcome_refused_when_syn_answered_by_rst),
		cmocka_unit_test(outcome_midstream_picks_client_by_port),
		cmocka_unit_test(syn_retransmits_count_in_handshake_not_retrans),
		cmocka_unit_test(port_reuse_with_new_isn_starts_a_new_flow),
		cmocka_unit_test(closed_flow_lingers_two_seconds),
		cmocka_unit_test(closed_flow_lingers_five_seconds_by_default),
		cmocka_unit_test(late_fin_after_linger_is_counted_not_a_flow),
		cmocka_unit_test(segment_after_time_wait_is_a_midstream_flow),
		cmocka_unit_test(idle_ended_flow_is_not_closed_so_its_segments_make_a_flow),
		cmocka_unit_test(syn_reusing_a_recent_tuple_reports_the_gap),
		cmocka_unit_test(syn_after_time_wait_reports_no_gap),
		cmocka_unit_test(new_tuple_next_to_an_ended_one_is_not_a_reuse),
		cmocka_unit_test(ack_of_unseen_data_counts_as_capture_loss),
		cmocka_unit_test(full_time_wait_memory_forgets_the_oldest_and_counts_it),
		cmocka_unit_test(record_keeps_the_queue_of_its_first_packet),
		cmocka_unit_test(idle_and_syn_timeouts_across_capture_gap),
		cmocka_unit_test(aging_keeps_recently_active_flows),
		cmocka_unit_test(table_full_evicts_half_open_then_closed_then_oldest),
		cmocka_unit_test(syn_flood_never_evicts_established_flows),
		cmocka_unit_test(answered_syn_flood_never_evicts_established_flows),
		cmocka_unit_test(syn_into_table_full_of_open_flows_is_dropped),
		cmocka_unit_test(many_flows_ipv6_and_ipv4_conserve),
		cmocka_unit_test(burst_equals_packet_by_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
