/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the services tables (stats/services.c): histograms within
 * their error bound, bounded memory under 100k services, conservation of
 * flows through eviction and merge, a stable top N, the handoff protocol,
 * and the sketches behind clients and max_ports_per_client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpp_services.h"

#define SEC 1000000000ULL
#define T0 (1700000000ULL * SEC)

static char out_buf[1 << 20];

static struct dpp_services *services_new(void)
{
	struct dpp_services *s = calloc(1, dpp_services_size());

	assert_non_null(s);
	dpp_services_init(s, 60 * SEC);
	return s;
}

/* An ended flow from client 10.0.c.c:cport to server 198.18.x.y:port. */
static struct dpp_flow_record rec(uint32_t server, uint16_t port, uint32_t client, uint16_t cport,
				  int cls, uint64_t t)
{
	struct dpp_flow_record r;

	memset(&r, 0, sizeof(r));
	r.ip_version = 4;
	r.server_ip[0] = 198;
	r.server_ip[1] = 18;
	r.server_ip[2] = (uint8_t)(server >> 8);
	r.server_ip[3] = (uint8_t)server;
	r.server_port = port;
	r.client_ip[0] = 10;
	r.client_ip[1] = (uint8_t)(client >> 16);
	r.client_ip[2] = (uint8_t)(client >> 8);
	r.client_ip[3] = (uint8_t)client;
	r.client_port = cport;
	r.first_ts_ns = r.last_ts_ns = t;
	r.syn_to_synack_ns = 40000;
	r.synack_to_ack_ns = -1;
	r.port_reuse_gap_us = UINT32_MAX;
	r.diag.cls = (uint8_t)cls;
	r.diag.cause = cls == DPP_DIAG_CLASS_reset ? DPP_DIAG_CAUSE_accept_queue_overflow
						   : DPP_DIAG_CAUSE_NONE;
	r.diag.server_response_us = DPP_DIAG_NONE;
	return r;
}

static const char *write_json(struct dpp_services *const *w, uint16_t nb, uint32_t top)
{
	struct dpp_services_merged *m = dpp_services_merged_create(nb);
	struct dpp_json j;

	assert_non_null(m);
	dpp_json_init(&j, out_buf, sizeof(out_buf) - 1);
	dpp_services_merge(m, w, nb, true);
	dpp_json_obj_begin(&j);
	dpp_services_write_json(&j, m, top);
	dpp_json_obj_end(&j);
	assert_false(j.overflow);
	out_buf[dpp_json_len(&j)] = '\0';
	dpp_services_merged_free(m);
	return out_buf;
}

static void hist_of_nothing_is_zero_and_of_one_value_is_that_value(void **state)
{
	struct dpp_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(dpp_hist_quantile(&h, 0.5), 0);
	dpp_hist_add(&h, 0);
	assert_int_equal(dpp_hist_quantile(&h, 0.99), 0);
	dpp_hist_add(&h, UINT64_MAX); /* beyond the last bucket: clamped, max exact */
	assert_true(dpp_hist_quantile(&h, 1.0) == UINT64_MAX);
}

static void hist_percentiles_are_within_ten_percent(void **state)
{
	struct dpp_hist h;

	(void)state;
	/* Every value alone, from 1 us to about 35 minutes. */
	for (uint64_t v = 1; v < (1ULL << 31); v = v * 9 / 8 + 1) {
		uint64_t q;

		memset(&h, 0, sizeof(h));
		dpp_hist_add(&h, v);
		dpp_hist_add(&h, v);
		q = dpp_hist_quantile(&h, 0.5);
		if ((double)q < 0.9 * (double)v || (double)q > 1.1 * (double)v)
			fail_msg("p50 of %llu is %llu", (unsigned long long)v,
				 (unsigned long long)q);
	}
	/* 1..1000: p90 is 900 within 10 %. */
	memset(&h, 0, sizeof(h));
	for (uint64_t v = 1; v <= 1000; v++)
		dpp_hist_add(&h, v);
	assert_true(dpp_hist_quantile(&h, 0.9) >= 810 && dpp_hist_quantile(&h, 0.9) <= 990);
	assert_int_equal(dpp_hist_quantile(&h, 1.0), 1000);
}

static void hundred_thousand_services_keep_memory_bounded_and_conserve_flows(void **state)
{
	struct dpp_services *s = services_new();
	struct dpp_services_merged *m = dpp_services_merged_create(1);
	const size_t size = dpp_services_size();
	uint64_t n = 0;

	(void)state;
	assert_non_null(m);
	for (uint32_t i = 0; i < 100000; i++) {
		struct dpp_flow_record r = rec(i / 60000, (uint16_t)(1000 + i % 60000), i, 40000,
					       DPP_DIAG_CLASS_ok, T0 + i * 1000ULL);

		dpp_services_add(s, &r);
		n++;
	}
	dpp_services_merge(m, &s, 1, true);
	/* The table never grows: its size is fixed, entries in use at most its slots. */
	assert_int_equal(dpp_services_size(), size);
	assert_true(size < 16u << 20);
	assert_true(s->evicted >= 100000 - DPP_SERVICES_SLOTS);
	assert_int_equal(s->fed, n);
	assert_int_equal(dpp_services_merged_flows(m), n);
	dpp_services_merged_free(m);
	write_json(&s, 1, 20);
	assert_non_null(strstr(out_buf, "\"services_tables\":{\"count\":1,\"capacity\":512,"
					"\"used\":512,"));
	free(s);
}

static void top_services_stay_in_order_among_churn(void **state)
{
	struct dpp_services *s = services_new();
	char first[4096];

	(void)state;
	for (int round = 0; round < 50; round++) {
		/* Three busy services with fixed shares, then a burst of one-off ones. */
		for (int k = 0; k < 30; k++) {
			struct dpp_flow_record a =
				rec(1, 80, (uint32_t)k, 1, DPP_DIAG_CLASS_ok, T0 + round * SEC);
			struct dpp_flow_record b = rec(
				2, 443, (uint32_t)k, 1,
				k % 3 ? DPP_DIAG_CLASS_ok : DPP_DIAG_CLASS_reset, T0 + round * SEC);

			dpp_services_add(s, &a);
			if (k < 20)
				dpp_services_add(s, &b);
			if (k < 10) {
				struct dpp_flow_record c =
					rec(3, 22, 1, 1, DPP_DIAG_CLASS_ok, T0 + round * SEC);

				dpp_services_add(s, &c);
			}
		}
		for (uint32_t k = 0; k < 2000; k++) {
			struct dpp_flow_record o = rec(100 + k, (uint16_t)(2000 + round), 7, 1,
						       DPP_DIAG_CLASS_timed_out, T0 + round * SEC);

			dpp_services_add(s, &o);
		}
		write_json(&s, 1, 3);
		if (round == 0)
			snprintf(first, sizeof(first), "%.40s", strstr(out_buf, "[{"));
		/* The same three, in the same order: 198.18.0.1:80, then :443, then :22. */
		assert_string_equal(first, "[{\"server\":{\"ip\":\"198.18.0.1\",\"port\":80}");
		assert_true(strncmp(strstr(out_buf, "[{"), first, strlen(first)) == 0);
		{
			const char *p80 = strstr(out_buf, "\"port\":80}");
			const char *p443 = strstr(out_buf, "\"port\":443}");
			const char *p22 = strstr(out_buf, "\"port\":22}");
			const char *other = strstr(out_buf, "\"services_other\"");

			assert_true(p80 && p443 && p22 && other);
			assert_true(p80 < p443 && p443 < p22 && p22 < other);
		}
	}
	free(s);
}

static void merge_adds_workers_and_other_up_to_records(void **state)
{
	struct dpp_services *w[2] = {services_new(), services_new()};
	struct dpp_services_merged *m = dpp_services_merged_create(2);
	unsigned long long flows = 0, ok = 0;

	(void)state;
	for (uint32_t i = 0; i < 3000; i++) {
		struct dpp_flow_record r =
			rec(i % 700, 8080, i, (uint16_t)i, DPP_DIAG_CLASS_ok, T0 + i * SEC / 100);

		dpp_services_add(w[i & 1], &r);
	}
	dpp_services_merge(m, w, 2, true);
	assert_int_equal(dpp_services_merged_flows(m), 3000);
	dpp_services_merged_free(m);
	write_json(w, 2, 5);
	/* Five shown, the rest in other: their flows and classes add up to the records. */
	for (const char *p = out_buf; (p = strstr(p, "\"flows\":")) != NULL; p++) {
		unsigned long long v;

		if (sscanf(p, "\"flows\":%llu,", &v) == 1 &&
		    p > strstr(out_buf, "\"services_tables\""))
			break;
		if (sscanf(p, "\"flows\":%llu", &v) == 1)
			flows += v;
	}
	for (const char *p = out_buf; (p = strstr(p, "\"ok\":")) != NULL; p++) {
		unsigned long long v;

		if (sscanf(p, "\"ok\":%llu", &v) == 1)
			ok += v;
	}
	assert_int_equal(flows, 3000);
	assert_int_equal(ok, 3000);
	free(w[0]);
	free(w[1]);
}

static void copy_is_read_only_once_published(void **state)
{
	struct dpp_services *s = services_new();
	struct dpp_services_merged *m = dpp_services_merged_create(1);
	struct dpp_flow_record r = rec(1, 80, 1, 1, DPP_DIAG_CLASS_ok, T0);
	int steps = 0;

	(void)state;
	dpp_services_add(s, &r);
	/* Nothing published yet: the merge shows nothing rather than a half copy. */
	dpp_services_merge(m, &s, 1, false);
	assert_int_equal(dpp_services_merged_flows(m), 0);
	dpp_services_request(s);
	assert_false(dpp_services_published(s));
	while (!dpp_services_published(s)) {
		dpp_services_publish_step(s);
		steps++;
	}
	assert_int_equal(steps, DPP_SERVICES_SLOTS / 8);
	/* Later flows are not in the published copy until the next request. */
	dpp_services_add(s, &r);
	dpp_services_merge(m, &s, 1, false);
	assert_int_equal(dpp_services_merged_flows(m), 1);
	dpp_services_request(s);
	dpp_services_request(s); /* a second request before delivery changes nothing */
	assert_int_equal(s->req_seq, 2);
	while (!dpp_services_published(s))
		dpp_services_publish_step(s);
	dpp_services_merge(m, &s, 1, false);
	assert_int_equal(dpp_services_merged_flows(m), 2);
	dpp_services_merged_free(m);
	free(s);
}

static void ports_per_client_count_fresh_ports_within_time_wait(void **state)
{
	struct dpp_services *s = services_new();
	uint16_t port = 30000;

	(void)state;
	/* Client 1: 500 connections in 10 s, 100 of them reusing a 4-tuple. */
	for (int i = 0; i < 500; i++) {
		struct dpp_flow_record r =
			rec(1, 80, 1, port++, DPP_DIAG_CLASS_ok, T0 + (uint64_t)i * SEC / 50);

		if (i % 5 == 0)
			r.port_reuse_gap_us = 1000;
		dpp_services_add(s, &r);
	}
	/* Ten other clients with one connection each, then one every 2 minutes. */
	for (uint32_t c = 2; c < 12; c++) {
		struct dpp_flow_record r = rec(1, 80, c, 1, DPP_DIAG_CLASS_ok, T0 + 11 * SEC);

		dpp_services_add(s, &r);
	}
	for (int i = 0; i < 5; i++) {
		struct dpp_flow_record r = rec(1, 80, 1, port++, DPP_DIAG_CLASS_ok,
					       T0 + (uint64_t)(i + 1) * 120 * SEC);

		dpp_services_add(s, &r);
	}
	write_json(&s, 1, 1);
	{
		unsigned long long reuse, clients, ports;

		assert_int_equal(sscanf(strstr(out_buf, "\"port_reuse\""),
					"\"port_reuse\":%llu,\"clients\":%llu,"
					"\"max_ports_per_client\":%llu",
					&reuse, &clients, &ports),
				 3);
		assert_int_equal(reuse, 100);
		/* 11 clients; the HyperLogLog may merge two of them at this size. */
		assert_true(clients >= 10 && clients <= 12);
		/* 400 fresh ports within 60 s; the later ones, 2 minutes apart, never pile up. */
		assert_int_equal(ports, 400);
	}
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist_of_nothing_is_zero_and_of_one_value_is_that_value),
		cmocka_unit_test(hist_percentiles_are_within_ten_percent),
		cmocka_unit_test(hundred_thousand_services_keep_memory_bounded_and_conserve_flows),
		cmocka_unit_test(top_services_stay_in_order_among_churn),
		cmocka_unit_test(merge_adds_workers_and_other_up_to_records),
		cmocka_unit_test(copy_is_read_only_once_published),
		cmocka_unit_test(ports_per_client_count_fresh_ports_within_time_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
