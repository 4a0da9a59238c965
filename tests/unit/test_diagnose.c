/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the diagnosis (CONTRACT "Diagnosis": tcpparse/diagnose.c
 * and the evidence tcp_track.c keeps), fed segment by segment through a
 * flow table, on each rule's edges: thresholds exactly met and just
 * missed, RSTs that do and do not acknowledge client payload, stalls that
 * end with a retransmission or a window update, SYN-ACKs that are timeout
 * retransmissions or answers to a retransmitted SYN, history letters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diagnose.h"
#include "dpp_flow.h"

#define US 1000ULL
#define MS 1000000ULL
#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)
#define MAX_RECORDS 16

#define F_S DPP_TCP_SYN
#define F_A DPP_TCP_ACK
#define F_SA (DPP_TCP_SYN | DPP_TCP_ACK)
#define F_PA (DPP_TCP_PSH | DPP_TCP_ACK)
#define F_FA (DPP_TCP_FIN | DPP_TCP_ACK)
#define F_R DPP_TCP_RST
#define F_RA (DPP_TCP_RST | DPP_TCP_ACK)

struct harness {
	struct dpp_flow_table *t;
	void *mem;
	struct dpp_flow_record rec[MAX_RECORDS];
	unsigned nrec;
	uint64_t now;
	uint32_t cisn, sisn;
};

static int sink(void *arg, const struct dpp_flow_record *r)
{
	struct harness *h = arg;

	assert_true(h->nrec < MAX_RECORDS);
	h->rec[h->nrec++] = *r;
	return 0;
}

/* A table with the contract's default thresholds (1 s stall, 10 s idle reset). */
static struct harness *harness_new(void)
{
	struct dpp_flow_params p = {.capacity = 64,
				    .idle_timeout_ns = 300 * SEC,
				    .syn_timeout_ns = 30 * SEC,
				    .close_linger_ns = 2 * SEC,
				    .time_wait_ns = 60 * SEC,
				    .stall_threshold_ns = 1 * SEC,
				    .idle_reset_threshold_ns = 10 * SEC};
	struct harness *h = calloc(1, sizeof(*h));
	size_t sz = dpp_flow_table_mem_size(&p);

	assert_non_null(h);
	h->mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	assert_non_null(h->mem);
	memset(h->mem, 0, sz);
	h->t = dpp_flow_table_init(h->mem, &p, sink, h);
	assert_non_null(h->t);
	h->now = T0;
	h->cisn = 1000;
	h->sisn = 90000;
	return h;
}

static void harness_free(struct harness *h)
{
	free(h->mem);
	free(h);
}

/* One segment after dt ns; seq and ack relative to the sender's and the peer's ISN. */
static void seg(struct harness *h, bool from_client, uint64_t dt, uint8_t fl, uint32_t seq,
		uint32_t ack, uint16_t win, uint16_t len)
{
	struct dpp_pkt_view v;

	memset(&v, 0, sizeof(v));
	v.ip_version = 4;
	v.tcp_flags = fl;
	v.src[0] = v.dst[0] = 198;
	v.src[1] = v.dst[1] = 18;
	v.src[3] = from_client ? 1 : 2;
	v.dst[3] = from_client ? 2 : 1;
	v.sport = from_client ? 40000 : 8080;
	v.dport = from_client ? 8080 : 40000;
	v.seq = (from_client ? h->cisn : h->sisn) + seq;
	v.ack = (from_client ? h->sisn : h->cisn) + ack;
	v.window = win;
	v.payload_len = len;
	h->now += dt;
	dpp_flow_table_packet(h->t, &v, h->now);
}

#define C(h, dt, fl, seq, ack, win, len) seg(h, true, dt, fl, seq, ack, win, len)
#define S(h, dt, fl, seq, ack, win, len) seg(h, false, dt, fl, seq, ack, win, len)

static void handshake(struct harness *h)
{
	C(h, 0, F_S, 0, 0, 64240, 0);
	S(h, 100 * US, F_SA, 0, 1, 65160, 0);
	C(h, 100 * US, F_A, 1, 1, 502, 0);
}

static const struct dpp_flow_diag_record *only_diag(struct harness *h)
{
	dpp_flow_table_flush(h->t);
	assert_int_equal(h->nrec, 1);
	return &h->rec[0].diag;
}

static void expect_class(const struct dpp_flow_diag_record *d, int cls, int cause)
{
	if (d->cls != cls || d->cause != cause)
		fail_msg("diagnosis %s/%s, expected %s/%s", dpp_diag_class_name(d->cls),
			 dpp_diag_cause_name(d->cause) ? dpp_diag_cause_name(d->cause) : "null",
			 dpp_diag_class_name(cls),
			 dpp_diag_cause_name(cause) ? dpp_diag_cause_name(cause) : "null");
}

#define EXPECT(d, cls, cause) expect_class(d, DPP_DIAG_CLASS_##cls, DPP_DIAG_CAUSE_##cause)

/* ------------------------------------------------------------------ */
/* Bad and thin input first                                            */
/* ------------------------------------------------------------------ */

static void lone_rst_is_a_midstream_reset_without_idle_evidence(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	S(h, 0, F_R, 5, 0, 0, 0);
	d = only_diag(h);
	EXPECT(d, reset, abort);
	assert_true(d->idle_before_rst_us == DPP_DIAG_NONE);
	assert_true(d->longest_stall_us == DPP_DIAG_NONE);
	assert_int_equal(d->stall_dir, DPP_SIDE_NONE);
	assert_int_equal(d->syn_retrans, 0);
	assert_string_equal(d->history, "r");
	harness_free(h);
}

static void midstream_without_rst_is_unknown(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	C(h, 0, F_PA, 1, 1, 502, 100);
	S(h, 200 * US, F_A, 1, 101, 509, 0); /* the first time the server is seen */
	C(h, 100 * US, F_PA, 101, 1, 502, 100);
	S(h, 300 * US, F_A, 1, 201, 509, 0);
	d = only_diag(h);
	EXPECT(d, unknown, NONE);
	/* The first exchange does not count: its data was sent before the server was seen. */
	assert_int_equal(d->longest_stall_us, 300);
	assert_int_equal(d->stall_dir, DPP_SIDE_CLIENT);
	assert_string_equal(d->history, "Da");
	harness_free(h);
}

static void one_direction_capture_never_stalls_on_unseen_acks(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	/* Only the client's side of a running connection: its ACKs never come into view. */
	C(h, 0, F_PA, 1, 1, 502, 100);
	C(h, 2 * SEC, F_PA, 101, 1, 502, 100);
	C(h, 2 * SEC, F_PA, 201, 1, 502, 100);
	d = only_diag(h);
	EXPECT(d, unknown, NONE);
	assert_true(d->longest_stall_us == DPP_DIAG_NONE);
	harness_free(h);
}

static void decide_follows_contract_order_on_conflicting_facts(void **state)
{
	/* Refused wins over everything; a handshake never acked is timed_out before reset. */
	struct dpp_diag_facts f = {.outcome = DPP_OUTCOME_REFUSED, .reset = true, .synack = 0};
	struct dpp_diag_params p = {.stall_threshold_us = 1000000, .idle_reset_threshold_us = 1};
	uint8_t cls, cause;

	(void)state;
	dpp_diag_decide(&f, &p, &cls, &cause);
	assert_int_equal(cls, DPP_DIAG_CLASS_refused);
	assert_int_equal(cause, DPP_DIAG_CAUSE_NONE);
	f.outcome = DPP_OUTCOME_RESET;
	f.synack = 1;
	f.handshake_done = false;
	dpp_diag_decide(&f, &p, &cls, &cause);
	assert_int_equal(cls, DPP_DIAG_CLASS_timed_out);
	assert_int_equal(cause, DPP_DIAG_CAUSE_synack_lost);
	/* accept_queue_overflow needs a seen handshake: never in a midstream flow. */
	f.outcome = DPP_OUTCOME_MIDSTREAM;
	f.synack = 0;
	f.rst_before_server_spoke = true;
	dpp_diag_decide(&f, &p, &cls, &cause);
	assert_int_equal(cls, DPP_DIAG_CLASS_reset);
	assert_int_equal(cause, DPP_DIAG_CAUSE_abort);
	assert_null(dpp_diag_cause_name(DPP_DIAG_CAUSE_NONE));
	assert_string_equal(dpp_diag_class_name(DPP_DIAG_CLASS_MAX + 5), "unknown");
}

/* ------------------------------------------------------------------ */
/* Handshakes                                                          */
/* ------------------------------------------------------------------ */

static void syn_answered_by_rst_is_refused(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	C(h, 0, F_S, 0, 0, 64240, 0);
	S(h, 50 * US, F_RA, 0, 1, 0, 0);
	d = only_diag(h);
	EXPECT(d, refused, NONE);
	assert_string_equal(d->history, "Sr");
	harness_free(h);
}

static void unanswered_syns_time_out_with_no_answer(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	C(h, 0, F_S, 0, 0, 64240, 0);
	C(h, 1 * SEC, F_S, 0, 0, 64240, 0);
	C(h, 2 * SEC, F_S, 0, 0, 64240, 0);
	d = only_diag(h);
	EXPECT(d, timed_out, no_answer);
	assert_int_equal(d->syn_retrans, 2);
	assert_int_equal(d->synack_retrans, 0);
	assert_string_equal(d->history, "S");
	harness_free(h);
}

static void synack_never_acknowledged_is_synack_lost(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	C(h, 0, F_S, 0, 0, 64240, 0);
	S(h, 100 * US, F_SA, 0, 1, 65160, 0);
	S(h, 1 * SEC, F_SA, 0, 1, 65160, 0);
	C(h, 1 * SEC, F_R, 1, 0, 0, 0); /* an RST is not an acknowledgement */
	d = only_diag(h);
	EXPECT(d, timed_out, synack_lost);
	assert_int_equal(d->synack_retrans, 1);
	assert_string_equal(d->history, "ShR");
	harness_free(h);
}

static void synack_timeout_retransmission_after_the_ack_is_accept_queue_overflow(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	/* The server's kernel dropped that ACK and retransmits its SYN-ACK on timeout. */
	S(h, 200 * MS - 200 * US, F_SA, 0, 1, 65160, 0); /* exactly 200 ms after the SYN */
	C(h, 100 * US, F_A, 1, 1, 502, 0);
	d = only_diag(h);
	EXPECT(d, ok, accept_queue_overflow);
	assert_int_equal(d->synack_retrans, 1);
	harness_free(h);
}

static void synack_answering_a_retransmitted_syn_is_not_an_overflow(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	C(h, 0, F_S, 0, 0, 64240, 0);
	S(h, 999 * MS, F_SA, 0, 1, 65160, 0); /* a slow answer to the first SYN */
	C(h, 1 * MS, F_S, 0, 0, 64240, 0);    /* the retransmitted SYN crosses it */
	C(h, 100 * US, F_A, 1, 1, 502, 0);    /* the client's ACK */
	S(h, 100 * US, F_SA, 0, 1, 65160, 0); /* the answer to the second SYN */
	d = only_diag(h);
	EXPECT(d, ok, syn_retransmitted);
	assert_int_equal(d->syn_retrans, 1);
	assert_int_equal(d->synack_retrans, 1);
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Resets                                                              */
/* ------------------------------------------------------------------ */

static void rst_not_acking_client_payload_is_accept_queue_overflow(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 100);
	S(h, 412 * US, F_R, 1, 0, 0, 0); /* no ACK: the kernel had no socket */
	d = only_diag(h);
	EXPECT(d, reset, accept_queue_overflow);
	assert_int_equal(d->idle_before_rst_us, 412);
	assert_string_equal(d->history, "ShADr");
	harness_free(h);
}

static void rst_acking_client_payload_is_an_abort(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 100);
	S(h, 412 * US, F_RA, 1, 101, 0, 0); /* the RST acknowledges the request */
	d = only_diag(h);
	EXPECT(d, reset, abort);
	harness_free(h);
}

static void rst_after_the_server_acked_payload_is_an_abort(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 100);
	S(h, 100 * US, F_A, 1, 101, 509, 0);
	S(h, 100 * US, F_R, 1, 0, 0, 0);
	d = only_diag(h);
	EXPECT(d, reset, abort);
	harness_free(h);
}

static void rst_after_idle_exactly_the_threshold_is_idle_timeout(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 10);
	S(h, 100 * US, F_PA, 1, 11, 509, 20);
	C(h, 100 * US, F_A, 11, 21, 502, 0);
	/* Keep-alives and pure ACKs do not break the silence. */
	C(h, 5 * SEC - 100 * US, F_A, 10, 21, 502, 0);
	S(h, 100 * US, F_A, 21, 11, 509, 0);
	S(h, 5 * SEC - 100 * US, F_RA, 21, 11, 0, 0); /* 10 s after the last payload */
	d = only_diag(h);
	EXPECT(d, reset, idle_timeout);
	assert_int_equal(d->idle_before_rst_us, 10 * 1000000);
	harness_free(h);
}

static void rst_one_microsecond_before_the_idle_threshold_is_an_abort(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 10);
	S(h, 100 * US, F_PA, 1, 11, 509, 20);
	C(h, 100 * US, F_A, 11, 21, 502, 0);
	S(h, 10 * SEC - 100 * US - 1 * US, F_RA, 21, 11, 0, 0);
	d = only_diag(h);
	EXPECT(d, reset, abort);
	assert_int_equal(d->idle_before_rst_us, 10 * 1000000 - 1);
	harness_free(h);
}

static void rst_answering_writes_after_the_servers_fin_is_data_after_close(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 10);
	S(h, 100 * US, F_PA, 1, 11, 509, 20);
	S(h, 100 * US, F_FA, 21, 11, 509, 0); /* the server closes */
	C(h, 100 * US, F_A, 11, 22, 502, 0);
	C(h, 100 * US, F_PA, 11, 22, 502, 30); /* the client keeps writing */
	S(h, 100 * US, F_R, 22, 0, 0, 0);
	d = only_diag(h);
	EXPECT(d, reset, data_after_close);
	assert_string_equal(d->history, "ShADdfr");
	harness_free(h);
}

/* ------------------------------------------------------------------ */
/* Stalls                                                              */
/* ------------------------------------------------------------------ */

static void stall_of_exactly_the_threshold_is_stalled(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 100);
	S(h, 1 * SEC, F_A, 1, 101, 509, 0);
	d = only_diag(h);
	EXPECT(d, stalled, no_progress);
	assert_int_equal(d->longest_stall_us, 1000000);
	assert_int_equal(d->stall_dir, DPP_SIDE_CLIENT);
	harness_free(h);
}

static void stall_just_under_the_threshold_is_ok(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 100);
	S(h, 1 * SEC - 1 * US, F_A, 1, 101, 509, 0);
	d = only_diag(h);
	EXPECT(d, ok, NONE);
	assert_int_equal(d->longest_stall_us, 999999);
	harness_free(h);
}

static void stall_ended_by_acked_retransmission_is_retransmission_timeout(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 100); /* lost */
	C(h, 400 * MS, F_PA, 1, 1, 502, 100); /* RTO */
	C(h, 800 * MS, F_PA, 1, 1, 502, 100); /* backed off */
	S(h, 300 * US, F_A, 1, 101, 509, 0);
	S(h, 100 * US, F_PA, 1, 101, 509, 50); /* the answer: no stall of its own yet */
	C(h, 100 * US, F_A, 101, 51, 502, 0);
	d = only_diag(h);
	EXPECT(d, stalled, retransmission_timeout);
	assert_int_equal(d->longest_stall_us, 1200300);
	assert_int_equal(d->stall_dir, DPP_SIDE_CLIENT);
	assert_int_equal(d->server_response_us, 1200400);
	assert_string_equal(d->history, "ShADTad");
	harness_free(h);
}

static void stall_ended_by_window_update_is_zero_window(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 1000);
	S(h, 100 * US, F_A, 1, 1001, 0, 0);   /* acked, but the receiver does not read */
	C(h, 500 * MS, F_A, 1000, 1, 502, 0); /* a probe (keep-alive form) */
	S(h, 100 * US, F_A, 1, 1001, 0, 0);
	S(h, 1500 * MS, F_A, 1, 1001, 509, 0); /* window update */
	C(h, 100 * US, F_PA, 1001, 1, 502, 1000);
	S(h, 100 * US, F_A, 1, 2001, 509, 0);
	d = only_diag(h);
	EXPECT(d, stalled, zero_window);
	assert_int_equal(d->longest_stall_us, 2000100);
	assert_int_equal(d->stall_dir, DPP_SIDE_CLIENT);
	assert_int_equal(d->zero_window_s2c_us, 2000100);
	assert_int_equal(d->zero_window_c2s_us, 0);
	assert_string_equal(d->history, "ShADaw");
	harness_free(h);
}

static void stall_open_at_exit_counts_to_the_last_packet(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	S(h, 100 * US, F_PA, 1, 1, 509, 100);
	S(h, 3 * SEC, F_PA, 1, 1, 509, 100); /* retransmitted, never acked */
	d = only_diag(h);
	EXPECT(d, stalled, retransmission_timeout);
	assert_int_equal(d->longest_stall_us, 3000000);
	assert_int_equal(d->stall_dir, DPP_SIDE_SERVER);
	assert_int_equal(d->server_response_us, 100); /* the server spoke first */
	harness_free(h);
}

static void equal_stalls_both_ways_name_c2s(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_diag_record *d;

	(void)state;
	handshake(h);
	S(h, 100 * US, F_PA, 1, 1, 509, 10);
	C(h, 2 * SEC, F_PA, 1, 11, 502, 10); /* acks the server's after 2 s */
	S(h, 2 * SEC, F_A, 11, 11, 509, 0);  /* and is acked after 2 s */
	d = only_diag(h);
	assert_int_equal(d->longest_stall_us, 2000000);
	assert_int_equal(d->stall_dir, DPP_SIDE_CLIENT);
	harness_free(h);
}

static void completed_flow_is_ok_with_response_time_and_history(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_record *r;
	const struct dpp_flow_counters *c;

	(void)state;
	handshake(h);
	C(h, 100 * US, F_PA, 1, 1, 502, 10);
	S(h, 5 * MS, F_PA, 1, 11, 509, 20);
	C(h, 100 * US, F_FA, 11, 21, 502, 0);
	S(h, 100 * US, F_FA, 21, 12, 509, 0);
	C(h, 100 * US, F_A, 12, 22, 502, 0);
	dpp_flow_table_flush(h->t);
	assert_int_equal(h->nrec, 1);
	r = &h->rec[0];
	EXPECT(&r->diag, ok, NONE);
	assert_int_equal(r->diag.server_response_us, 5000);
	assert_true(r->diag.idle_before_rst_us == DPP_DIAG_NONE);
	assert_string_equal(r->diag.history, "ShADdFf");
	c = dpp_flow_table_counters(h->t);
	assert_int_equal(c->diag_class[DPP_DIAG_CLASS_ok], 1);
	assert_int_equal(c->completed, 1);
	harness_free(h);
}

static void outcomes_classes_and_causes_are_counted_once_per_flow(void **state)
{
	struct harness *h = harness_new();
	const struct dpp_flow_counters *c;

	(void)state;
	C(h, 0, F_S, 0, 0, 64240, 0);
	S(h, 50 * US, F_RA, 0, 1, 0, 0);
	h->cisn += 100000; /* a new stream on the same 4-tuple */
	C(h, 10 * SEC, F_S, 0, 0, 64240, 0);
	dpp_flow_table_flush(h->t);
	c = dpp_flow_table_counters(h->t);
	assert_int_equal(h->nrec, 2);
	assert_int_equal(c->refused, 1);
	assert_int_equal(c->syn_timeout, 1);
	assert_int_equal(c->diag_class[DPP_DIAG_CLASS_refused], 1);
	assert_int_equal(c->diag_class[DPP_DIAG_CLASS_timed_out], 1);
	assert_int_equal(c->diag_cause[DPP_DIAG_CAUSE_no_answer], 1);
	/* The second SYN reused the 4-tuple 10 s after the first flow's last packet. */
	assert_int_equal(h->rec[1].port_reuse_gap_us, 10 * 1000000);
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lone_rst_is_a_midstream_reset_without_idle_evidence),
		cmocka_unit_test(midstream_without_rst_is_unknown),
		cmocka_unit_test(one_direction_capture_never_stalls_on_unseen_acks),
		cmocka_unit_test(decide_follows_contract_order_on_conflicting_facts),
		cmocka_unit_test(syn_answered_by_rst_is_refused),
		cmocka_unit_test(unanswered_syns_time_out_with_no_answer),
		cmocka_unit_test(synack_never_acknowledged_is_synack_lost),
		cmocka_unit_test(
			synack_timeout_retransmission_after_the_ack_is_accept_queue_overflow),
		cmocka_unit_test(synack_answering_a_retransmitted_syn_is_not_an_overflow),
		cmocka_unit_test(rst_not_acking_client_payload_is_accept_queue_overflow),
		cmocka_unit_test(rst_acking_client_payload_is_an_abort),
		cmocka_unit_test(rst_after_the_server_acked_payload_is_an_abort),
		cmocka_unit_test(rst_after_idle_exactly_the_threshold_is_idle_timeout),
		cmocka_unit_test(rst_one_microsecond_before_the_idle_threshold_is_an_abort),
		cmocka_unit_test(rst_answering_writes_after_the_servers_fin_is_data_after_close),
		cmocka_unit_test(stall_of_exactly_the_threshold_is_stalled),
		cmocka_unit_test(stall_just_under_the_threshold_is_ok),
		cmocka_unit_test(stall_ended_by_acked_retransmission_is_retransmission_timeout),
		cmocka_unit_test(stall_ended_by_window_update_is_zero_window),
		cmocka_unit_test(stall_open_at_exit_counts_to_the_last_packet),
		cmocka_unit_test(equal_stalls_both_ways_name_c2s),
		cmocka_unit_test(completed_flow_is_ok_with_response_time_and_history),
		cmocka_unit_test(outcomes_classes_and_causes_are_counted_once_per_flow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
