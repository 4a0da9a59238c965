/* SPDX-License-Identifier: BSD-3-Clause */
/* rings: drops and high-water marks of our rings, burst histograms, occupancy. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dpp_rings.h"
#include "eal_fixture.h"

struct elem {
	uint32_t seq;
	uint32_t pad[7]; /* 32 bytes, like a small record */
};

static void ring_create_rejects_bad_element_size(void **state)
{
	(void)state;
	assert_null(dpp_ring_create("bad-esize", 64, 6, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(dpp_ring_create("bad-count", 0, 8, SOCKET_ID_ANY));
	assert_null(dpp_ring_create("a-name-far-too-long-for-a-dpdk-ring-name", 64, 8,
				    SOCKET_ID_ANY));
}

static void ring_holds_exactly_the_requested_count(void **state)
{
	struct dpp_ring *r = dpp_ring_create("exact", 100, sizeof(struct elem), SOCKET_ID_ANY);

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->size, 100);
	dpp_ring_free(r);
}

static void ring_counts_enqueue_drops_when_full(void **state)
{
	struct dpp_ring *r = dpp_ring_create("drops", 8, sizeof(struct elem), SOCKET_ID_ANY);
	struct elem e[12];

	(void)state;
	assert_non_null(r);
	memset(e, 0, sizeof(e));
	assert_int_equal(dpp_ring_enqueue(r, e, 5), 5);
	assert_int_equal(r->enq_drops, 0);
	/* Room for 3 more: 9 offered, 6 dropped and counted. */
	assert_int_equal(dpp_ring_enqueue(r, e, 9), 3);
	assert_int_equal(r->enq_drops, 6);
	assert_int_equal(r->enqueued, 8);
	assert_int_equal(dpp_ring_count(r), 8);
	/* try_enqueue fails without counting a drop: the caller retries. */
	assert_int_equal(dpp_ring_try_enqueue(r, e, 1), 0);
	assert_int_equal(r->enq_drops, 6);
	dpp_ring_free(r);
}

static void ring_tracks_high_water_mark(void **state)
{
	struct dpp_ring *r = dpp_ring_create("hwm", 64, sizeof(struct elem), SOCKET_ID_ANY);
	struct elem e[40];

	(void)state;
	assert_non_null(r);
	memset(e, 0, sizeof(e));
	dpp_ring_enqueue(r, e, 10);
	assert_int_equal(r->max, 10);
	assert_int_equal(dpp_ring_dequeue(r, e, 40), 10);
	dpp_ring_enqueue(r, e, 4);
	/* The mark stays at the highest fill, not the current one. */
	assert_int_equal(r->max, 10);
	assert_int_equal(dpp_ring_count(r), 4);
	dpp_ring_enqueue(r, e, 30);
	assert_int_equal(r->max, 34);
	dpp_ring_free(r);
}

static void ring_keeps_elements_whole_and_in_order(void **state)
{
	struct dpp_ring *r = dpp_ring_create("order", 32, sizeof(struct elem), SOCKET_ID_ANY);
	struct elem in[20], out[20];

	(void)state;
	for (uint32_t i = 0; i < 20; i++) {
		in[i].seq = i;
		for (int k = 0; k < 7; k++)
			in[i].pad[k] = i * 100 + (uint32_t)k;
	}
	assert_int_equal(dpp_ring_enqueue(r, in, 20), 20);
	assert_int_equal(dpp_ring_dequeue(r, out, 20), 20);
	assert_memory_equal(in, out, sizeof(in));
	dpp_ring_free(r);
}

static void rxq_hist_counts_polls_by_fill(void **state)
{
	struct dpp_rxq_stats s;

	(void)state;
	assert_int_equal(dpp_rxq_stats_init(&s, 0, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(dpp_rxq_stats_init(&s, DPP_RXQ_MAX_BURST + 1, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(dpp_rxq_stats_init(&s, 4, SOCKET_ID_ANY), 0);
	dpp_rxq_account_poll(&s, 0);
	dpp_rxq_account_poll(&s, 0);
	dpp_rxq_account_poll(&s, 3);
	dpp_rxq_account_poll(&s, 4);
	dpp_rxq_account_poll(&s, 4);
	assert_int_equal(s.polls, 5);
	assert_int_equal(s.empty, 2);
	assert_int_equal(s.full, 2);
	assert_int_equal(s.packets, 11);
	assert_int_equal(s.hist[0], 2);
	assert_int_equal(s.hist[1], 0);
	assert_int_equal(s.hist[3], 1);
	assert_int_equal(s.hist[4], 2);
	dpp_rxq_stats_fini(&s);
}

static void rxq_occupancy_keeps_last_and_max_and_ignores_errors(void **state)
{
	struct dpp_rxq_stats s;

	(void)state;
	assert_int_equal(dpp_rxq_stats_init(&s, 32, SOCKET_ID_ANY), 0);
	dpp_rxq_account_occupancy(&s, 100);
	dpp_rxq_account_occupancy(&s, 700);
	dpp_rxq_account_occupancy(&s, 20);
	dpp_rxq_account_occupancy(&s, -ENOTSUP);
	assert_int_equal(s.occupancy_last, 20);
	assert_int_equal(s.occupancy_max, 700);
	assert_int_equal(s.occupancy_samples, 3);
	dpp_rxq_stats_fini(&s);
}

/* net_null has no rx_queue_count: the probe must say "unsupported", not 0. */
static void rxq_occupancy_unsupported_on_net_null(void **state)
{
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	uint16_t port_id, ring_size = 0;

	(void)state;
	assert_int_equal(rte_eal_hotplug_add("vdev", "net_null_rings_test", ""), 0);
	assert_int_equal(rte_eth_dev_get_port_by_name("net_null_rings_test", &port_id), 0);
	memset(&conf, 0, sizeof(conf));
	assert_int_equal(rte_eth_dev_configure(port_id, 1, 0, &conf), 0);
	assert_int_equal(dpp_rxq_ring_size(port_id, 512, &ring_size), 0);
	assert_int_equal(ring_size, 512);
	mp = rte_pktmbuf_pool_create("rings_test_mp", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	assert_non_null(mp);
	assert_int_equal(rte_eth_rx_queue_setup(port_id, 0, ring_size, SOCKET_ID_ANY, NULL, mp), 0);
	assert_int_equal(rte_eth_dev_start(port_id), 0);
	assert_false(dpp_rxq_occupancy_probe(port_id, 0));
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	rte_eal_hotplug_remove("vdev", "net_null_rings_test");
	rte_mempool_free(mp);
}


static void loghist_is_exact_below_128_and_within_2_percent_above(void **state)
{
	static struct dpp_loghist h;

	(void)state;
	assert_int_equal(dpp_loghist_index(0), 0);
	assert_int_equal(dpp_loghist_index(63), 63);
	assert_int_equal(dpp_loghist_index(64), 64);
	assert_int_equal(dpp_loghist_index(127), 127);
	assert_int_equal(dpp_loghist_index(128), 128);
	assert_int_equal(dpp_loghist_index(129), 128);
	assert_true(dpp_loghist_index(UINT64_MAX) < DPP_LOGHIST_BUCKETS);
	memset(&h, 0, sizeof(h));
	assert_true(dpp_loghist_quantile(&h, 0.5) == 0.0);
	for (uint64_t v = 1; v <= 100; v++)
		dpp_loghist_add(&h, v);
	assert_true(dpp_loghist_quantile(&h, 0.5) == 50.0);
	assert_true(dpp_loghist_quantile(&h, 0.99) == 99.0);
	assert_true(dpp_loghist_quantile(&h, 1.0) == 100.0);
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 99; i++)
		dpp_loghist_add(&h, 1000);
	dpp_loghist_add(&h, 1000000);
	double p99 = dpp_loghist_quantile(&h, 0.99), p100 = dpp_loghist_quantile(&h, 1.0);

	assert_true(p99 > 1000 * 0.98 && p99 < 1000 * 1.02);
	assert_true(p100 == 1000000.0);
}

static void ring_port_rejects_a_size_not_a_power_of_two(void **state)
{
	(void)state;
	assert_null(dpp_ring_port_create("rp_bad", 100, SOCKET_ID_ANY, 0));
	assert_int_equal(rte_errno, EINVAL);
}

static void ring_port_polls_count_occupancy_in_the_window_and_close_service(void **state)
{
	struct dpp_ring_port *rp = dpp_ring_port_create("rp_poll", 64, SOCKET_ID_ANY, 16);
	struct dpp_ring_poll_stats *ps;

	(void)state;
	assert_non_null(rp);
	assert_int_equal(rte_ring_get_capacity(rp->rx), 64);
	ps = &rp->poll;
	ps->idle_gap_cycles = 100;
	/* Before the producer's first arrival: not in the window. */
	dpp_ring_port_poll(rp, 1000, 5, 5, true);
	assert_int_equal(ps->polls, 0);
	rp->window_start = 1500;
	dpp_ring_port_poll(rp, 2000, 64, 32, true); /* busy 1000 cycles after the last */
	dpp_ring_port_poll(rp, 2500, 32, 32, true);
	/* A stall of 300 cycles, then an empty poll: the busy poll's service is 200. */
	dpp_ring_port_stalled(rp, 2600, 2900);
	dpp_ring_port_poll(rp, 3200, 0, 0, true);
	/* An empty poll 1000 cycles later: an idle gap, recorded as a vacation. */
	dpp_ring_port_poll(rp, 4200, 0, 0, true);
	/* A stale count (away between count and dequeue) is not sampled. */
	dpp_ring_port_poll(rp, 4250, 7, 7, false);
	rp->window_end = 5000;
	dpp_ring_port_poll(rp, 6000, 3, 3, true);

	assert_int_equal(ps->polls, 4);
	assert_int_equal(ps->occ_hist[64], 1);
	assert_int_equal(ps->occ_hist[32], 1);
	assert_int_equal(ps->occ_hist[0], 2);
	assert_int_equal(ps->full_polls, 1);
	assert_int_equal(ps->occ_max, 64);
	assert_int_equal(ps->packets, 5 + 32 + 32 + 7 + 3);
	assert_int_equal(ps->idle_gaps, 1);
	assert_int_equal(ps->stalls, 1);
	assert_int_equal(ps->stall_cycles, 300);
	/* The record: every busy poll with its service time, the stall and the gap. */
	assert_int_equal(rp->rec->n_poll, 5);
	assert_int_equal(rp->rec->poll_svc[1], 500);
	assert_int_equal(rp->rec->poll_svc[2], 400); /* 3200 - 2500 - the 300 stall */
	assert_int_equal(rp->rec->n_vac, 2);
	assert_int_equal(rp->rec->vac_kind[0], DPP_VAC_STALL);
	assert_int_equal(rp->rec->vac_kind[1], DPP_VAC_IDLE);
	assert_int_equal(rp->rec->vac_start[1], 3200);
	assert_int_equal(rp->rec->vac_end[1], 4200);
	dpp_ring_port_free(rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_create_rejects_bad_element_size),
		cmocka_unit_test(ring_holds_exactly_the_requested_count),
		cmocka_unit_test(ring_counts_enqueue_drops_when_full),
		cmocka_unit_test(ring_tracks_high_water_mark),
		cmocka_unit_test(ring_keeps_elements_whole_and_in_order),
		cmocka_unit_test(rxq_hist_counts_polls_by_fill),
		cmocka_unit_test(rxq_occupancy_keeps_last_and_max_and_ignores_errors),
		cmocka_unit_test(rxq_occupancy_unsupported_on_net_null),
		cmocka_unit_test(loghist_is_exact_below_128_and_within_2_percent_above),
		cmocka_unit_test(ring_port_rejects_a_size_not_a_power_of_two),
		cmocka_unit_test(ring_port_polls_count_occupancy_in_the_window_and_close_service),
	};

	if (dpp_test_eal_init() < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	dpp_test_eal_fini();
	return rc;
}
