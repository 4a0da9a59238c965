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
	};

	if (dpp_test_eal_init() < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	dpp_test_eal_fini();
	return rc;
}
