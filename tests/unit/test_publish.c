/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The published snapshot and its Prometheus rendering: what a reader sees
 * before the first snapshot, that a copy is a copy, the burst and
 * occupancy histograms, label escaping, HELP and TYPE on every family,
 * and the most retransmitting recent flows. No EAL: a source with queues
 * and lcores but no ports or rings needs none.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpp_publish.h"
#include "dpp_stats.h"

static uint64_t hist[33];
static struct dpp_rxq_stats rxq;
static struct dpp_stats_queue_src queue;
static struct dpp_lcore_counters counters;
static struct dpp_stats_lcore_src lcores[2];
static struct dpp_stats_src src;

static int setup(void **state)
{
	(void)state;
	memset(hist, 0, sizeof(hist));
	memset(&rxq, 0, sizeof(rxq));
	memset(&counters, 0, sizeof(counters));
	rxq.burst = 32;
	rxq.hist = hist;
	queue = (struct dpp_stats_queue_src){
		.port_id = 0, .queue_id = 3, .lcore = 1, .ring_size = 1024, .rx = &rxq};
	lcores[0] = (struct dpp_stats_lcore_src){.lcore = 0, .role = "main"};
	lcores[1] = (struct dpp_stats_lcore_src){.lcore = 1, .role = "worker", .c = &counters};
	src = (struct dpp_stats_src){
		.nb_queues = 1, .queues = &queue, .nb_lcores = 2, .lcores = lcores};
	return 0;
}

static char *render_latest(struct dpp_publisher *p)
{
	struct dpp_stats_view *v = dpp_publisher_view_alloc(p);
	size_t len;
	char *text;

	assert_non_null(v);
	assert_int_equal(dpp_publisher_read(p, v), 0);
	text = dpp_prom_render(v, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	dpp_stats_view_free(v);
	return text;
}

static void expect_line(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strstr(text, want) == NULL)
		fail_msg("expected the line '%s' in:\n%s", line, text);
}

static void publish_read_before_first_snapshot_is_eagain(void **state)
{
	struct dpp_publisher *p = dpp_publisher_create(&src);
	struct dpp_stats_view *v;

	(void)state;
	assert_non_null(p);
	v = dpp_publisher_view_alloc(p);
	assert_int_equal(dpp_publisher_read(p, v), -EAGAIN);
	dpp_publisher_snapshot(p, 1.5, false, false, NULL);
	assert_int_equal(dpp_publisher_read(p, v), 0);
	assert_int_equal(v->seq, 1);
	dpp_publisher_close(p);
	/* Closed: readers (a telemetry callback still running) get nothing, safely. */
	assert_int_equal(dpp_publisher_read(p, v), -EAGAIN);
	dpp_publisher_snapshot(p, 2.0, true, false, NULL);
	dpp_publisher_free(p);
	dpp_stats_view_free(v);
}

static void publish_reader_copy_does_not_change_under_it(void **state)
{
	struct dpp_publisher *p = dpp_publisher_create(&src);
	struct dpp_stats_view *a = dpp_publisher_view_alloc(p);

	(void)state;
	rxq.packets = 10;
	dpp_publisher_snapshot(p, 1.0, false, false, NULL);
	assert_int_equal(dpp_publisher_read(p, a), 0);
	rxq.packets = 20;
	dpp_publisher_snapshot(p, 2.0, false, false, NULL);
	dpp_publisher_snapshot(p, 3.0, false, false, NULL);
	assert_int_equal(a->queues[0].packets, 10);
	assert_int_equal(a->seq, 1);
	assert_int_equal(dpp_publisher_read(p, a), 0);
	assert_int_equal(a->queues[0].packets, 20);
	assert_int_equal(a->seq, 3);
	assert_true(a->ts == 3.0);
	dpp_stats_view_free(a);
	dpp_publisher_free(p);
}

static void prom_burst_histogram_is_cumulative(void **state)
{
	struct dpp_publisher *p = dpp_publisher_create(&src);
	char *text;

	(void)state;
	hist[0] = 5;
	hist[1] = 2;
	hist[3] = 1;
	hist[32] = 4;
	rxq.polls = 12;
	rxq.empty = 5;
	rxq.full = 4;
	rxq.packets = 2 + 3 + 128;
	dpp_publisher_snapshot(p, 1.0, false, false, NULL);
	text = render_latest(p);
	expect_line(text, "# TYPE dpprobe_rx_burst_packets histogram");
	expect_line(text, "dpprobe_rx_burst_packets_bucket{port=\"0\",queue=\"3\",le=\"0\"} 5");
	expect_line(text, "dpprobe_rx_burst_packets_bucket{port=\"0\",queue=\"3\",le=\"1\"} 7");
	expect_line(text, "dpprobe_rx_burst_packets_bucket{port=\"0\",queue=\"3\",le=\"2\"} 7");
	expect_line(text, "dpprobe_rx_burst_packets_bucket{port=\"0\",queue=\"3\",le=\"4\"} 8");
	expect_line(text, "dpprobe_rx_burst_packets_bucket{port=\"0\",queue=\"3\",le=\"16\"} 8");
	expect_line(text, "dpprobe_rx_burst_packets_bucket{port=\"0\",queue=\"3\",le=\"32\"} 12");
	expect_line(text, "dpprobe_rx_burst_packets_bucket{port=\"0\",queue=\"3\",le=\"+Inf\"} 12");
	expect_line(text, "dpprobe_rx_burst_packets_sum{port=\"0\",queue=\"3\"} 133");
	expect_line(text, "dpprobe_rx_burst_packets_count{port=\"0\",queue=\"3\"} 12");
	expect_line(text, "dpprobe_rx_packets_total{port=\"0\",queue=\"3\"} 133");
	expect_line(text, "dpprobe_rx_full_polls_total{port=\"0\",queue=\"3\"} 4");
	free(text);
	dpp_publisher_free(p);
}

static void prom_occupancy_only_where_supported(void **state)
{
	struct dpp_publisher *p = dpp_publisher_create(&src);
	char *text;

	(void)state;
	dpp_rxq_account_occupancy(&rxq, 7); /* counted, but the PMD cannot tell: not shown */
	dpp_publisher_snapshot(p, 1.0, false, false, NULL);
	text = render_latest(p);
	assert_null(strstr(text, "dpprobe_rx_ring_occupancy"));
	free(text);

	memset(rxq.occupancy_hist, 0, sizeof(rxq.occupancy_hist));
	rxq.occupancy_samples = rxq.occupancy_sum = rxq.occupancy_max = 0;
	rxq.occupancy_supported = true;
	dpp_rxq_account_occupancy(&rxq, 0);
	dpp_rxq_account_occupancy(&rxq, 1);
	dpp_rxq_account_occupancy(&rxq, 5);
	dpp_rxq_account_occupancy(&rxq, 1000);
	dpp_rxq_account_occupancy(&rxq, 70000); /* beyond the last bucket: counted in it */
	dpp_rxq_account_occupancy(&rxq, -95);	/* an error from the PMD: not a sample */
	dpp_publisher_snapshot(p, 2.0, false, false, NULL);
	text = render_latest(p);
	expect_line(text, "# TYPE dpprobe_rx_ring_occupancy_descriptors histogram");
	expect_line(
		text,
		"dpprobe_rx_ring_occupancy_descriptors_bucket{port=\"0\",queue=\"3\",le=\"0\"} 1");
	expect_line(
		text,
		"dpprobe_rx_ring_occupancy_descriptors_bucket{port=\"0\",queue=\"3\",le=\"1\"} 2");
	expect_line(
		text,
		"dpprobe_rx_ring_occupancy_descriptors_bucket{port=\"0\",queue=\"3\",le=\"7\"} 3");
	expect_line(text, "dpprobe_rx_ring_occupancy_descriptors_bucket{port=\"0\",queue=\"3\","
			  "le=\"1023\"} 4");
	expect_line(text, "dpprobe_rx_ring_occupancy_descriptors_bucket{port=\"0\",queue=\"3\","
			  "le=\"65535\"} 5");
	expect_line(text, "dpprobe_rx_ring_occupancy_descriptors_count{port=\"0\",queue=\"3\"} 5");
	expect_line(text,
		    "dpprobe_rx_ring_occupancy_descriptors_sum{port=\"0\",queue=\"3\"} 71006");
	expect_line(text,
		    "dpprobe_rx_ring_occupancy_max_descriptors{port=\"0\",queue=\"3\"} 70000");
	free(text);
	dpp_publisher_free(p);
}

static void prom_every_family_has_help_and_type(void **state)
{
	struct dpp_publisher *p = dpp_publisher_create(&src);
	char *text, *line, *save = NULL;
	char family[128] = "";
	int helps = 0, types = 0;

	(void)state;
	counters.packets = 42;
	counters.cycles_busy = 25;
	counters.cycles_total = 100;
	dpp_publisher_snapshot(p, 1.0, false, false, NULL);
	text = render_latest(p);
	expect_line(text, "dpprobe_lcore_busy_ratio{lcore=\"1\",role=\"worker\"} 0.2500");
	expect_line(text, "dpprobe_lcore_packets_total{lcore=\"1\",role=\"worker\"} 42");
	expect_line(text, "dpprobe_parse_malformed_total{reason=\"tcp_doff_short\"} 0");
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			helps++;
			sscanf(line + 7, "%127s", family);
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			char name[128];

			types++;
			sscanf(line + 7, "%127s", name);
			assert_string_equal(name, family);
		} else {
			/* Every sample belongs to the family announced last. */
			if (strncmp(line, family, strlen(family)) != 0)
				fail_msg("sample '%s' outside its family %s", line, family);
		}
	}
	assert_int_equal(helps, types);
	assert_true(helps >= DPP_SCALAR_MAX);
	free(text);
	dpp_publisher_free(p);
}

static void publish_keeps_the_most_retransmitting_flows(void **state)
{
	struct dpp_publisher *p = dpp_publisher_create(&src);
	struct dpp_stats_view *v = dpp_publisher_view_alloc(p);
	struct dpp_flow_record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.ip_version = 4;
	/* 100 flows with 0..99 retransmissions, in a scrambled order. */
	for (uint32_t i = 0; i < 100; i++) {
		r.c2s.retrans = (i * 37) % 100;
		r.client_port = (uint16_t)r.c2s.retrans;
		dpp_publisher_note_flow(p, &r);
	}
	dpp_publisher_snapshot(p, 1.0, false, false, NULL);
	assert_int_equal(dpp_publisher_read(p, v), 0);
	assert_int_equal(v->nb_flows, DPP_VIEW_FLOWS);
	for (uint16_t i = 0; i < v->nb_flows; i++) {
		assert_int_equal(v->flows[i].c2s_retrans, 99 - i);
		assert_int_equal(v->flows[i].client_port, 99 - i);
	}
	dpp_stats_view_free(v);
	dpp_publisher_free(p);
}

static void prom_services_top_n_and_other(void **state)
{
	struct dpp_services *svc = calloc(1, dpp_services_size());
	struct dpp_services *const tables[1] = {svc};
	struct dpp_flow_record r;
	struct dpp_publisher *p;
	char *text;

	(void)state;
	assert_non_null(svc);
	dpp_services_init(svc, 60ull * 1000 * 1000 * 1000);
	memset(&r, 0, sizeof(r));
	r.ip_version = 4;
	r.client_ip[0] = 198, r.client_ip[1] = 18, r.client_ip[3] = 1;
	r.server_ip[0] = 198, r.server_ip[1] = 18, r.server_ip[3] = 2;
	r.port_reuse_gap_us = UINT32_MAX;
	r.synack_to_ack_ns = DPP_FLOW_NO_TIME;
	r.diag.server_response_us = DPP_DIAG_NONE;
	/* 8080: three resets (abort) with a 100 us and two 40 us SYN-ACKs; 9090 and 7070: one each.
	 */
	r.server_port = 8080;
	r.diag.cls = DPP_DIAG_CLASS_reset;
	r.diag.cause = DPP_DIAG_CAUSE_abort;
	for (int i = 0; i < 3; i++) {
		r.client_port = (uint16_t)(40000 + i);
		r.syn_to_synack_ns = i == 0 ? 100000 : 40000;
		r.c2s.retrans = 2;
		dpp_services_add(svc, &r);
	}
	r.diag.cls = DPP_DIAG_CLASS_ok;
	r.diag.cause = DPP_DIAG_CAUSE_NONE;
	r.c2s.retrans = 0;
	r.server_port = 9090;
	dpp_services_add(svc, &r);
	r.server_port = 7070;
	dpp_services_add(svc, &r);

	src.nb_services = 1;
	src.services = tables;
	src.services_top = 1; /* 8080 shown, 9090 and 7070 folded into other */
	p = dpp_publisher_create(&src);
	assert_non_null(p);
	dpp_publisher_snapshot(p, 1.0, true, false, NULL); /* final: the live tables */
	text = render_latest(p);
	expect_line(text, "dpprobe_service_flows_total{server=\"198.18.0.2:8080\"} 3");
	expect_line(text, "dpprobe_service_flows_total{server=\"other\"} 2");
	expect_line(text, "dpprobe_service_connections_total{server=\"198.18.0.2:8080\","
			  "class=\"reset\"} 3");
	expect_line(text, "dpprobe_service_connections_total{server=\"other\",class=\"ok\"} 2");
	expect_line(text, "dpprobe_service_failures_total{server=\"198.18.0.2:8080\","
			  "cause=\"abort\"} 3");
	expect_line(text, "dpprobe_service_retransmitted_segments_total{server=\"198.18.0.2:8080\","
			  "direction=\"c2s\"} 6");
	/* le = 2^k - 1 us: 40 us is below 63 us, 100 us below 127 us. */
	expect_line(text, "dpprobe_service_handshake_seconds_bucket{server=\"198.18.0.2:8080\","
			  "leg=\"syn_to_synack\",le=\"0.000031\"} 0");
	expect_line(text, "dpprobe_service_handshake_seconds_bucket{server=\"198.18.0.2:8080\","
			  "leg=\"syn_to_synack\",le=\"0.000063\"} 2");
	expect_line(text, "dpprobe_service_handshake_seconds_bucket{server=\"198.18.0.2:8080\","
			  "leg=\"syn_to_synack\",le=\"0.000127\"} 3");
	expect_line(text, "dpprobe_service_handshake_seconds_sum{server=\"198.18.0.2:8080\","
			  "leg=\"syn_to_synack\"} 0.000180");
	expect_line(text, "dpprobe_service_handshake_seconds_count{server=\"198.18.0.2:8080\","
			  "leg=\"synack_to_ack\"} 0");
	expect_line(text, "dpprobe_service_response_seconds_bucket{server=\"other\","
			  "le=\"+Inf\"} 0");
	free(text);
	dpp_publisher_free(p);
	free(svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(publish_read_before_first_snapshot_is_eagain, setup),
		cmocka_unit_test_setup(publish_reader_copy_does_not_change_under_it, setup),
		cmocka_unit_test_setup(prom_burst_histogram_is_cumulative, setup),
		cmocka_unit_test_setup(prom_occupancy_only_where_supported, setup),
		cmocka_unit_test_setup(prom_every_family_has_help_and_type, setup),
		cmocka_unit_test_setup(publish_keeps_the_most_retransmitting_flows, setup),
		cmocka_unit_test_setup(prom_services_top_n_and_other, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
