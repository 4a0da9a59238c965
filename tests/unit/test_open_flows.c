/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the open-flows boards (stats/open_flows.c) over real flow
 * tables (tcpparse): a worker thread per table steps its board as the
 * dataplane's worker loop does, the test asks as /dpprobe/flows does, and
 * the answer is checked against what the test sent: which flows are open,
 * and how many retransmissions each was given.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpp_flow.h"
#include "dpp_open_flows.h"

#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

struct table {
	struct dpp_flow_table *t;
	void *mem;
	uint64_t ended;
	uint64_t now;
	struct dpp_open_flows board;
	pthread_t worker;
	volatile bool stop;
};

static int sink(void *arg, const struct dpp_flow_record *r)
{
	struct table *tb = arg;

	(void)r;
	tb->ended++;
	return 0;
}

static void table_init(struct table *tb, uint16_t lcore)
{
	struct dpp_flow_params p = {.capacity = 4096,
				    .idle_timeout_ns = 300 * SEC,
				    .syn_timeout_ns = 30 * SEC,
				    .close_linger_ns = 2 * SEC};
	size_t sz = dpp_flow_table_mem_size(&p);

	memset(tb, 0, sizeof(*tb));
	tb->mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	assert_non_null(tb->mem);
	memset(tb->mem, 0, sz);
	tb->t = dpp_flow_table_init(tb->mem, &p, sink, tb);
	assert_non_null(tb->t);
	tb->now = T0;
	dpp_open_flows_init(&tb->board, lcore);
}

static void *worker(void *arg)
{
	struct table *tb = arg;

	/* The dataplane's loop, without packets: the board's step between polls. */
	while (!tb->stop)
		dpp_open_flows_step(&tb->board, tb->t);
	return NULL;
}

static void worker_start(struct table *tb)
{
	tb->stop = false;
	assert_int_equal(pthread_create(&tb->worker, NULL, worker, tb), 0);
}

static void worker_stop(struct table *tb)
{
	tb->stop = true;
	pthread_join(tb->worker, NULL);
}

static void table_free(struct table *tb)
{
	free(tb->mem);
}

static void seg(struct table *tb, uint16_t cport, bool from_client, uint8_t flags, uint32_t seq,
		uint32_t ack, uint16_t len)
{
	struct dpp_pkt_view v;

	memset(&v, 0, sizeof(v));
	v.ip_version = 4;
	v.tcp_flags = flags;
	v.src[0] = v.dst[0] = 198;
	v.src[1] = v.dst[1] = 18;
	v.src[3] = from_client ? 1 : 2;
	v.dst[3] = from_client ? 2 : 1;
	v.sport = from_client ? cport : 80;
	v.dport = from_client ? 80 : cport;
	v.seq = (from_client ? 1000 : 5000) + seq;
	v.ack = (from_client ? 5000 : 1000) + ack;
	v.window = 1000;
	v.payload_len = len;
	tb->now += 1000;
	dpp_flow_table_packet(tb->t, &v, tb->now);
}

/* A connection on cport: handshake, then one 100-byte segment sent 1 + retrans times, acked. */
static void conn(struct table *tb, uint16_t cport, unsigned int retrans)
{
	seg(tb, cport, true, DPP_TCP_SYN, 0, 0, 0);
	seg(tb, cport, false, DPP_TCP_SYN | DPP_TCP_ACK, 0, 1, 0);
	seg(tb, cport, true, DPP_TCP_ACK, 1, 1, 0);
	for (unsigned int i = 0; i <= retrans; i++)
		seg(tb, cport, true, DPP_TCP_PSH | DPP_TCP_ACK, 1, 1, 100);
	seg(tb, cport, false, DPP_TCP_ACK, 1, 101, 0);
}

/* Both FINs: the flow is closed, lingering in the table, not open. */
static void close_conn(struct table *tb, uint16_t cport)
{
	seg(tb, cport, true, DPP_TCP_FIN | DPP_TCP_ACK, 101, 1, 0);
	seg(tb, cport, false, DPP_TCP_FIN | DPP_TCP_ACK, 1, 102, 0);
	seg(tb, cport, true, DPP_TCP_ACK, 102, 2, 0);
}

static uint16_t port_of(const struct dpp_open_flow *f)
{
	return f->rec.client_port;
}

static uint64_t retrans_of(const struct dpp_open_flow *f)
{
	return (uint64_t)f->rec.c2s.retrans + f->rec.s2c.retrans;
}

/*
 * 300 open flows (ports 10000 + i, i % 37 retransmissions each: more than
 * one scan step of entries), 20 closed flows and 20 ended ones with more
 * retransmissions than any open flow, 3 half-open ones with SYN
 * retransmissions. The answer is the open flows with the most
 * retransmissions, most first, and none of the others.
 */
static void test_top_open_flows(void **state)
{
	static struct table tb;
	struct dpp_open_flows *boards[1] = {&tb.board};
	static struct dpp_open_flows_answer a;
	unsigned int expect_at_least;

	(void)state;
	table_init(&tb, 7);
	for (uint16_t i = 0; i < 300; i++)
		conn(&tb, (uint16_t)(10000 + i), i % 37);
	for (uint16_t i = 0; i < 20; i++) {
		conn(&tb, (uint16_t)(20000 + i), 100);
		close_conn(&tb, (uint16_t)(20000 + i));
	}
	for (uint16_t i = 0; i < 20; i++) {
		conn(&tb, (uint16_t)(30000 + i), 200);
		seg(&tb, (uint16_t)(30000 + i), true, DPP_TCP_RST, 101, 0, 0);
	}
	/* Past the 2 s linger: the closed and reset flows leave, their entries free. */
	tb.now += 3 * SEC;
	dpp_flow_table_expire(tb.t, tb.now);
	assert_int_equal(tb.ended, 40);
	for (uint16_t i = 0; i < 20; i++) {
		conn(&tb, (uint16_t)(20100 + i), 100);
		close_conn(&tb, (uint16_t)(20100 + i)); /* closed, lingering now */
	}
	for (uint16_t i = 0; i < 3; i++) {
		for (int k = 0; k < 4; k++)
			seg(&tb, (uint16_t)(40000 + i), true, DPP_TCP_SYN, 0, 0, 0);
	}

	worker_start(&tb);
	dpp_open_flows_query(boards, 1, 10, 2000, &a);
	worker_stop(&tb);
	assert_int_equal(a.workers, 1);
	assert_int_equal(a.answered, 1);
	assert_int_equal(a.nb, 10);
	/* i % 37 == 36 for i = 36, 73, ..., 295: eight flows with 36, then 35s. */
	for (uint32_t k = 0; k < a.nb; k++) {
		const uint16_t p = port_of(&a.flows[k]);

		assert_true(p >= 10000 && p < 10300);
		assert_int_equal(retrans_of(&a.flows[k]), (p - 10000) % 37);
		assert_int_equal(retrans_of(&a.flows[k]), k < 8 ? 36 : 35);
		assert_false(a.flows[k].half_open);
		assert_int_equal(a.flows[k].rec.lcore, 7);
		assert_int_equal(a.flows[k].rec.c2s.packets, 3 + 36 - (k < 8 ? 0 : 1));
		if (k > 0)
			assert_true(retrans_of(&a.flows[k - 1]) >= retrans_of(&a.flows[k]));
	}

	/* All 32: the 8 + 8 with 36 and 35, then 34s ... and half-open flows never ahead. */
	worker_start(&tb);
	dpp_open_flows_query(boards, 1, 100, 2000, &a);
	worker_stop(&tb);
	assert_int_equal(a.nb, DPP_OPEN_FLOWS_MAX);
	expect_at_least = 36 - (DPP_OPEN_FLOWS_MAX - 1) / 8;
	for (uint32_t k = 0; k < a.nb; k++) {
		assert_true(port_of(&a.flows[k]) < 10300);
		assert_true(retrans_of(&a.flows[k]) >= expect_at_least);
	}
	table_free(&tb);
}

/*
 * Half-open flows are open too. SYN retransmissions are the diagnosis's
 * syn_retrans, not retransmissions (as tshark sees them): among flows
 * without retransmissions the answer goes by packets.
 */
static void test_half_open(void **state)
{
	static struct table tb;
	struct dpp_open_flows *boards[1] = {&tb.board};
	static struct dpp_open_flows_answer a;

	(void)state;
	table_init(&tb, 1);
	conn(&tb, 10000, 0); /* 5 packets */
	/* 2, 3 and 4 SYNs 1 s apart, as a client's kernel retransmits them. */
	for (uint16_t i = 0; i < 3; i++)
		for (int k = 0; k <= i + 1; k++) {
			tb.now += SEC;
			seg(&tb, (uint16_t)(40000 + i), true, DPP_TCP_SYN, 0, 0, 0);
		}
	worker_start(&tb);
	dpp_open_flows_query(boards, 1, 10, 2000, &a);
	worker_stop(&tb);
	assert_int_equal(a.nb, 4);
	assert_int_equal(port_of(&a.flows[0]), 10000);
	assert_false(a.flows[0].half_open);
	for (uint32_t k = 1; k < 4; k++) {
		const struct dpp_flow_record *r = &a.flows[k].rec;

		assert_int_equal(port_of(&a.flows[k]), 40003 - k);
		assert_true(a.flows[k].half_open);
		assert_int_equal(r->syn, 5 - k);
		assert_int_equal(r->diag.syn_retrans, 4 - k);
		assert_int_equal(retrans_of(&a.flows[k]), 0);
	}
	table_free(&tb);
}

/*
 * Two workers: the answer merges both tables. A worker that does not step
 * (stopped) is left out and counted, and answers the next query once it
 * runs again.
 */
static void test_two_workers_one_late(void **state)
{
	static struct table w[2];
	struct dpp_open_flows *boards[2] = {&w[0].board, &w[1].board};
	static struct dpp_open_flows_answer a;

	(void)state;
	table_init(&w[0], 1);
	table_init(&w[1], 2);
	for (uint16_t i = 0; i < 10; i++) {
		conn(&w[0], (uint16_t)(10000 + i), 2 * i);	/* even counts */
		conn(&w[1], (uint16_t)(11000 + i), 2 * i + 1); /* odd counts */
	}
	worker_start(&w[0]);
	worker_start(&w[1]);
	dpp_open_flows_query(boards, 2, 6, 2000, &a);
	assert_int_equal(a.answered, 2);
	assert_int_equal(a.nb, 6);
	for (uint32_t k = 0; k < a.nb; k++) {
		assert_int_equal(retrans_of(&a.flows[k]), 19 - k);
		assert_int_equal(a.flows[k].rec.lcore, (k % 2) ? 1 : 2);
	}

	worker_stop(&w[1]);
	dpp_open_flows_query(boards, 2, 6, 50, &a);
	assert_int_equal(a.workers, 2);
	assert_int_equal(a.answered, 1);
	assert_int_equal(a.nb, 6);
	for (uint32_t k = 0; k < a.nb; k++)
		assert_int_equal(retrans_of(&a.flows[k]), 18 - 2 * k);

	/* Its request is still pending: it is not asked again, and answers once it runs. */
	worker_start(&w[1]);
	dpp_open_flows_query(boards, 2, 1, 2000, &a);
	worker_stop(&w[0]);
	worker_stop(&w[1]);
	assert_int_equal(a.answered, 2);
	assert_int_equal(retrans_of(&a.flows[0]), 19);
	table_free(&w[0]);
	table_free(&w[1]);
}

/* An empty table answers at once with nothing; N = 0 asks nothing of the merge. */
static void test_empty(void **state)
{
	static struct table tb;
	struct dpp_open_flows *boards[1] = {&tb.board};
	static struct dpp_open_flows_answer a;

	(void)state;
	table_init(&tb, 1);
	worker_start(&tb);
	dpp_open_flows_query(boards, 1, 10, 2000, &a);
	assert_int_equal(a.answered, 1);
	assert_int_equal(a.nb, 0);
	conn(&tb, 10000, 1); /* not while a scan could run: the worker only steps when asked */
	dpp_open_flows_query(boards, 1, 0, 2000, &a);
	worker_stop(&tb);
	assert_int_equal(a.answered, 1);
	assert_int_equal(a.nb, 0);
	table_free(&tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_open_flows),
		cmocka_unit_test(test_half_open),
		cmocka_unit_test(test_two_workers_one_late),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
