/* SPDX-License-Identifier: BSD-3-Clause */
/* stats: per-lcore sums, the snapshot line and the flow-record line. */

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpp_stats.h"
#include "eal_fixture.h"

/* Run fn(f) on an in-memory stream and return what it wrote (static buffer). */
static char out_buf[1 << 16];

static FILE *mem_stream(void)
{
	FILE *f;

	memset(out_buf, 0, sizeof(out_buf));
	f = fmemopen(out_buf, sizeof(out_buf) - 1, "w");
	assert_non_null(f);
	return f;
}

static void expect_in_output(const char *needle)
{
	if (strstr(out_buf, needle) == NULL)
		fail_msg("expected %s in %s", needle, out_buf);
}

static void stats_lcore_add_sums_every_counter(void **state)
{
	struct dpp_lcore_counters a, b, sum;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&sum, 0, sizeof(sum));
	a.packets = 10;
	a.bytes = 1000;
	a.tcp = 7;
	a.parse[DPP_PARSE_NON_IP] = 2;
	a.parse[DPP_PARSE_MALFORMED_tcp_doff_short] = 1;
	a.export_drops = 3;
	a.cycles_busy = 5;
	a.cycles_total = 50;
	b = a;
	b.packets = 1;
	b.parse[DPP_PARSE_RESULT_MAX - 1] = 9;
	dpp_stats_lcore_add(&sum, &a);
	dpp_stats_lcore_add(&sum, &b);
	assert_int_equal(sum.packets, 11);
	assert_int_equal(sum.bytes, 2000);
	assert_int_equal(sum.tcp, 14);
	assert_int_equal(sum.parse[DPP_PARSE_NON_IP], 4);
	assert_int_equal(sum.parse[DPP_PARSE_MALFORMED_tcp_doff_short], 2);
	assert_int_equal(sum.parse[DPP_PARSE_RESULT_MAX - 1], 9);
	assert_int_equal(sum.export_drops, 6);
	assert_int_equal(sum.cycles_busy, 10);
	assert_int_equal(sum.cycles_total, 100);
}

static void stats_flow_add_sums_every_counter(void **state)
{
	struct dpp_flow_counters a, sum;
	uint64_t *fields = (uint64_t *)&a;
	size_t n = sizeof(a) / sizeof(uint64_t);

	(void)state;
	/* Every field is a u64; give each a distinct value and check all of them. */
	for (size_t i = 0; i < n; i++)
		fields[i] = i + 1;
	memset(&sum, 0, sizeof(sum));
	dpp_stats_flow_add(&sum, &a);
	dpp_stats_flow_add(&sum, &a);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(((uint64_t *)&sum)[i], 2 * (i + 1));
}

static struct dpp_flow_record sample_record(void)
{
	struct dpp_flow_record r;

	memset(&r, 0, sizeof(r));
	r.ip_version = 4;
	r.client_ip[0] = 198, r.client_ip[1] = 18, r.client_ip[2] = 0, r.client_ip[3] = 1;
	r.server_ip[0] = 198, r.server_ip[1] = 18, r.server_ip[2] = 0, r.server_ip[3] = 2;
	r.client_port = 40112;
	r.server_port = 8080;
	r.first_ts_ns = 1700000000123456000ull;
	r.last_ts_ns = 1700000000456789400ull; /* rounds down to .456789 */
	r.outcome = DPP_OUTCOME_RESET;
	r.end_reason = DPP_END_RST;
	r.rst_by = DPP_SIDE_SERVER;
	r.syn = 2;
	r.synack = 1;
	r.syn_to_synack_ns = 41000;
	r.synack_to_ack_ns = DPP_FLOW_NO_TIME;
	r.c2s.packets = 12;
	r.c2s.payload_bytes = 900;
	r.c2s.win_max = 64256;
	r.c2s.has_wscale = true;
	r.c2s.wscale = 7;
	r.c2s.has_mss = true;
	r.c2s.mss = 1460;
	r.c2s.sack_ok = true;
	r.s2c.rst = 1;
	r.port_reuse_gap_us = UINT32_MAX;
	r.diag.cls = DPP_DIAG_CLASS_reset;
	r.diag.cause = DPP_DIAG_CAUSE_accept_queue_overflow;
	r.diag.syn_retrans = 1;
	r.diag.idle_before_rst_us = 412;
	r.diag.server_response_us = DPP_DIAG_NONE;
	r.diag.longest_stall_us = DPP_DIAG_NONE;
	strcpy(r.diag.history, "ShADr");
	return r;
}

static void flow_json_writes_contract_fields(void **state)
{
	struct dpp_flow_record r = sample_record();
	FILE *f = mem_stream();

	(void)state;
	assert_int_equal(dpp_flow_json_write(f, &r), 0);
	fclose(f);
	expect_in_output("{\"type\":\"flow\",");
	expect_in_output("\"client\":{\"ip\":\"198.18.0.1\",\"port\":40112}");
	expect_in_output("\"server\":{\"ip\":\"198.18.0.2\",\"port\":8080}");
	expect_in_output("\"first_ts\":1700000000.123456,");
	expect_in_output("\"last_ts\":1700000000.456789,");
	expect_in_output("\"outcome\":\"reset\",\"rst_by\":\"server\",\"end_reason\":\"rst\"");
	expect_in_output("\"handshake\":{\"syn\":2,\"synack\":1,\"syn_to_synack_us\":41.000,"
			 "\"synack_to_ack_us\":null}");
	expect_in_output("\"c2s\":{\"packets\":12,\"payload_bytes\":900,\"retrans\":0,"
			 "\"out_of_order\":0,\"zero_window\":0,\"rst\":0,\"fin\":0,"
			 "\"win_max\":64256,\"wscale\":7,\"mss\":1460,\"sack_ok\":true");
	/* A direction with nothing negotiated: nulls and false. */
	expect_in_output("\"wscale\":null,\"mss\":null,\"sack_ok\":false");
	/* The contract's diagnosis example, nulls where nothing was measured. */
	expect_in_output("\"diagnosis\":{\"class\":\"reset\",\"cause\":\"accept_queue_overflow\","
			 "\"syn_retrans\":1,\"synack_retrans\":0,\"idle_before_rst_us\":412,"
			 "\"server_response_us\":null,\"zero_window_us\":{\"c2s\":0,\"s2c\":0},"
			 "\"longest_stall_us\":null,\"stall_dir\":null,\"port_reuse_gap_us\":null,"
			 "\"history\":\"ShADr\"}}");
	/* One line, ending in a newline. */
	assert_int_equal(strchr(out_buf, '\n') - out_buf, (long)strlen(out_buf) - 1);
}

static void flow_json_writes_ipv6_and_null_rst_by(void **state)
{
	struct dpp_flow_record r = sample_record();
	FILE *f = mem_stream();

	(void)state;
	r.ip_version = 6;
	memset(r.client_ip, 0, 16);
	memset(r.server_ip, 0, 16);
	r.client_ip[0] = 0xfd;
	r.client_ip[15] = 1;
	r.server_ip[0] = 0xfd;
	r.server_ip[15] = 2;
	r.rst_by = DPP_SIDE_NONE;
	r.outcome = DPP_OUTCOME_COMPLETED;
	r.end_reason = DPP_END_FIN;
	assert_int_equal(dpp_flow_json_write(f, &r), 0);
	fclose(f);
	expect_in_output("\"client\":{\"ip\":\"fd00::1\",\"port\":40112}");
	expect_in_output("\"server\":{\"ip\":\"fd00::2\",\"port\":8080}");
	expect_in_output("\"outcome\":\"completed\",\"rst_by\":null,\"end_reason\":\"fin\"");
}

/* Every field at its largest: the record still fits and says it exactly. */
static void flow_json_writes_largest_values(void **state)
{
	struct dpp_flow_record r = sample_record();
	struct dpp_flow_dir_record *d[2] = {&r.c2s, &r.s2c};
	FILE *f = mem_stream();

	(void)state;
	r.ip_version = 6;
	memset(r.client_ip, 0xff, 16);
	memset(r.server_ip, 0xfe, 16);
	r.client_port = r.server_port = UINT16_MAX;
	r.first_ts_ns = r.last_ts_ns = UINT64_MAX - 1000;
	r.syn = r.synack = UINT32_MAX;
	r.syn_to_synack_ns = INT64_MAX;
	r.synack_to_ack_ns = INT64_MIN + 1; /* the most negative measured interval */
	r.lcore = r.queue = UINT16_MAX;
	r.port_reuse_gap_us = UINT32_MAX - 1;
	r.diag.cls = DPP_DIAG_CLASS_stalled;
	r.diag.cause = DPP_DIAG_CAUSE_retransmission_timeout;
	r.diag.stall_dir = DPP_SIDE_SERVER;
	r.diag.syn_retrans = r.diag.synack_retrans = UINT32_MAX;
	r.diag.idle_before_rst_us = INT64_MAX;
	r.diag.server_response_us = -INT64_MAX;
	r.diag.zero_window_c2s_us = r.diag.zero_window_s2c_us = UINT64_MAX;
	r.diag.longest_stall_us = INT64_MAX;
	memcpy(r.diag.history, "ShADFRTWshadfrtw", DPP_DIAG_HISTORY_MAX + 1);
	for (int i = 0; i < 2; i++) {
		d[i]->packets = d[i]->payload_bytes = UINT64_MAX;
		d[i]->retrans = d[i]->out_of_order = d[i]->zero_window = UINT32_MAX;
		d[i]->rst = d[i]->fin = d[i]->win_max = UINT32_MAX;
		d[i]->dup_ack = d[i]->keep_alive = d[i]->zero_window_probe = UINT32_MAX;
		d[i]->has_wscale = d[i]->has_mss = true;
		d[i]->wscale = UINT8_MAX;
		d[i]->mss = UINT16_MAX;
	}
	assert_int_equal(dpp_flow_json_write(f, &r), 0);
	fclose(f);
	expect_in_output("\"client\":{\"ip\":\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\","
			 "\"port\":65535}");
	expect_in_output("\"first_ts\":18446744073.709551,");
	expect_in_output("\"syn_to_synack_us\":9223372036854775.807,");
	/* Time went backwards: reported negative, as measured (CONTRACT "Timestamps"). */
	expect_in_output("\"synack_to_ack_us\":-9223372036854775.807}");
	expect_in_output("\"packets\":18446744073709551615,\"payload_bytes\":18446744073709551615,"
			 "\"retrans\":4294967295");
	expect_in_output("\"zero_window_probe\":4294967295},\"lcore\":65535,\"queue\":65535,");
	expect_in_output(
		"\"diagnosis\":{\"class\":\"stalled\",\"cause\":\"retransmission_timeout\","
		"\"syn_retrans\":4294967295,\"synack_retrans\":4294967295,"
		"\"idle_before_rst_us\":9223372036854775807,"
		"\"server_response_us\":-9223372036854775807,"
		"\"zero_window_us\":{\"c2s\":18446744073709551615,\"s2c\":18446744073709551615},"
		"\"longest_stall_us\":9223372036854775807,\"stall_dir\":\"s2c\","
		"\"port_reuse_gap_us\":4294967294,\"history\":\"ShADFRTWshadfrtw\"}}\n");
	assert_int_equal(strchr(out_buf, '\n') - out_buf, (long)strlen(out_buf) - 1);
}

static void stats_snapshot_sums_workers_and_names_malformed_reasons(void **state)
{
	struct dpp_lcore_counters w1, w2;
	struct dpp_stats_lcore_src lcores[3];
	struct dpp_ring *ring;
	struct dpp_stats_src src;
	struct dpp_stats_writer *sw;
	uint8_t rec[64];
	FILE *f = mem_stream();

	(void)state;
	memset(&w1, 0, sizeof(w1));
	memset(&w2, 0, sizeof(w2));
	w1.packets = 100;
	w1.tcp = 90;
	w1.parse[DPP_PARSE_NON_TCP] = 6;
	w1.parse[DPP_PARSE_MALFORMED_tcp_doff_short] = 4;
	w1.export_drops = 1;
	w2.packets = 50;
	w2.tcp = 45;
	w2.parse[DPP_PARSE_FRAGMENT] = 3;
	w2.parse[DPP_PARSE_MALFORMED_ip_len_beyond_frame] = 2;
	w2.export_drops = 2;
	lcores[0] = (struct dpp_stats_lcore_src){.lcore = 0, .role = "main"};
	lcores[1] = (struct dpp_stats_lcore_src){.lcore = 1, .role = "worker", .c = &w1};
	lcores[2] = (struct dpp_stats_lcore_src){.lcore = 2, .role = "worker", .c = &w2};

	ring = dpp_ring_create("flows-w1", 4, sizeof(rec), SOCKET_ID_ANY);
	assert_non_null(ring);
	memset(rec, 0, sizeof(rec));
	dpp_ring_enqueue(ring, rec, 1);
	dpp_ring_enqueue(ring, rec, 1);
	dpp_ring_enqueue(ring, rec, 1);
	dpp_ring_enqueue(ring, rec, 1);
	dpp_ring_enqueue(ring, rec, 1); /* one drop */

	memset(&src, 0, sizeof(src));
	src.nb_lcores = 3;
	src.lcores = lcores;
	src.nb_rings = 1;
	src.rings = &ring;
	sw = dpp_stats_writer_create(f, &src);
	assert_non_null(sw);
	assert_int_equal(dpp_stats_write(sw, 1700000001.0, true), 0);
	fclose(f);
	dpp_stats_writer_free(sw);
	dpp_ring_free(ring);

	expect_in_output("{\"type\":\"stats\",\"ts\":1700000001.000000,\"final\":true,");
	expect_in_output("\"rings\":[{\"name\":\"flows-w1\",\"size\":4,\"count\":4,\"max\":4,"
			 "\"enq_drops\":1");
	expect_in_output("{\"lcore\":1,\"role\":\"worker\",\"busy_pct\":0.0,\"packets\":100}");
	expect_in_output("{\"lcore\":2,\"role\":\"worker\",\"busy_pct\":0.0,\"packets\":50}");
	expect_in_output("\"export_drops\":3,");
	expect_in_output("\"parse\":{\"packets\":150,\"tcp\":135,\"non_ip\":0,\"non_tcp\":6,"
			 "\"fragments\":3,\"sliced\":0,\"malformed\":{");
	expect_in_output("\"tcp_doff_short\":4");
	expect_in_output("\"ip_len_beyond_frame\":2");
	/* Reasons that never happened are left out, not listed as 0. */
	assert_null(strstr(out_buf, "\"tcp_opt_len\""));
}

/*
 * The members at the top level of the object "group":{...} of out_buf, as
 * "key":value strings ending in ','; NULL when there is no such object.
 */
static const char *group_members(const char *group, char *buf, size_t len)
{
	char open[64];
	const char *p;
	int depth = 0;
	size_t n = 0;

	snprintf(open, sizeof(open), "\"%s\":{", group);
	p = strstr(out_buf, open);
	if (p == NULL)
		return NULL;
	for (p += strlen(open); *p != '\0' && n + 2 < len; p++) {
		if (*p == '}' && depth == 0)
			break;
		depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
		if (depth == 0 && !(*p == '}' || *p == ']'))
			buf[n++] = *p;
	}
	buf[n++] = ',';
	buf[n] = '\0';
	return buf;
}

/* A flow table whose counters the test sets (the worker is the only writer, and there is none). */
static struct dpp_flow_table *counted_table(void **mem)
{
	struct dpp_flow_params fp = {.capacity = 64, .idle_timeout_ns = 1, .syn_timeout_ns = 1};
	size_t sz = (dpp_flow_table_mem_size(&fp) + 63) & ~(size_t)63;

	*mem = aligned_alloc(64, sz);
	assert_non_null(*mem);
	memset(*mem, 0, sz);
	return dpp_flow_table_init(*mem, &fp, NULL, NULL);
}

static void stats_snapshot_has_every_metrics_def_scalar_with_the_value_collected(void **state)
{
	struct dpp_lcore_counters lc[3];
	struct dpp_stats_lcore_src lcores[4];
	struct dpp_flow_table *tables[2];
	struct dpp_flow_counters *fc[2];
	struct dpp_stats_totals t;
	struct dpp_stats_src src;
	struct dpp_stats_writer *sw;
	void *mem[2];
	uint64_t next = 1000;
	FILE *f = mem_stream();

	(void)state;
	/* Every counter of every lcore and table a value of its own. */
	for (int l = 0; l < 3; l++) {
		uint64_t *fields = (uint64_t *)&lc[l];

		memset(&lc[l], 0, sizeof(lc[l]));
		for (size_t i = 0; i < offsetof(struct dpp_lcore_counters, cycles_busy) / 8; i++)
			fields[i] = (next += 7919) * (l == 0 ? 1000 : 1);
	}
	for (int k = 0; k < 2; k++) {
		uint64_t *fields;

		tables[k] = counted_table(&mem[k]);
		assert_non_null(tables[k]);
		fc[k] = (struct dpp_flow_counters *)dpp_flow_table_counters(tables[k]);
		fields = (uint64_t *)fc[k];
		for (size_t i = 0; i < sizeof(*fc[k]) / 8; i++)
			fields[i] = (next += 104729);
		fc[k]->ended = fc[k]->created / 3;
	}
	/* An RX lcore (--dist sw): its counters are the workers' packets again. */
	lcores[0] = (struct dpp_stats_lcore_src){.lcore = 0, .role = "main"};
	lcores[1] = (struct dpp_stats_lcore_src){.lcore = 1, .role = "rx", .c = &lc[0]};
	lcores[2] = (struct dpp_stats_lcore_src){
		.lcore = 2, .role = "worker", .c = &lc[1], .flows = tables[0]};
	lcores[3] = (struct dpp_stats_lcore_src){
		.lcore = 3, .role = "worker", .c = &lc[2], .flows = tables[1]};
	memset(&src, 0, sizeof(src));
	src.nb_lcores = 4;
	src.lcores = lcores;
	src.tables.count = 2;
	src.tables.capacity = 64;
	src.tables.flow_state_bytes = 448;
	src.tables.bytes = 123456789;
	src.tables.huge_bytes = 2097152;
	src.tables.resident_bytes = 1 << 20;

	sw = dpp_stats_writer_create(f, &src);
	assert_non_null(sw);
	assert_int_equal(dpp_stats_write(sw, 1700000001.0, false), 0);
	fclose(f);
	dpp_stats_writer_free(sw);
	dpp_stats_collect(&src, &t);

	/* The sums and the two rules (dpp_stats_collect). */
	assert_int_equal(t.scalar[DPP_SCALAR_flows_created], fc[0]->created + fc[1]->created);
	assert_int_equal(t.scalar[DPP_SCALAR_flows_active],
			 t.scalar[DPP_SCALAR_flows_created] - t.scalar[DPP_SCALAR_flows_ended]);
	assert_int_equal(t.scalar[DPP_SCALAR_parse_packets], lc[1].packets + lc[2].packets);
	assert_int_equal(t.scalar[DPP_SCALAR_flows_export_drops],
			 lc[1].export_drops + lc[2].export_drops);
	assert_int_equal(t.scalar[DPP_SCALAR_parse_non_tcp],
			 lc[1].parse[DPP_PARSE_NON_TCP] + lc[2].parse[DPP_PARSE_NON_TCP]);
	assert_int_equal(t.scalar[DPP_SCALAR_flow_tables_flow_state_bytes], 448);
	assert_int_equal(t.outcome[DPP_OUTCOME_RESET], fc[0]->reset + fc[1]->reset);
	assert_int_equal(t.malformed[DPP_PARSE_MALFORMED_tcp_doff_short],
			 lc[1].parse[DPP_PARSE_MALFORMED_tcp_doff_short] +
				 lc[2].parse[DPP_PARSE_MALFORMED_tcp_doff_short]);

	/* Each scalar once, in its group, with the value collected: a mix-up shows. */
	for (int s = 0; s < DPP_SCALAR_MAX; s++) {
		char members[8192], want[128];
		const char *m = group_members(dpp_scalar_desc[s].group, members, sizeof(members));

		for (int o = 0; o < s; o++)
			if (t.scalar[o] == t.scalar[s] &&
			    strcmp(dpp_scalar_desc[o].group, dpp_scalar_desc[s].group) == 0)
				fail_msg("%s.%s == %s.%s: the test cannot tell them apart",
					 dpp_scalar_desc[o].group, dpp_scalar_desc[o].key,
					 dpp_scalar_desc[s].group, dpp_scalar_desc[s].key);
		if (m == NULL)
			fail_msg("no object %s in %s", dpp_scalar_desc[s].group, out_buf);
		snprintf(want, sizeof(want), "\"%s\":%" PRIu64 ",", dpp_scalar_desc[s].key,
			 t.scalar[s]);
		if (strstr(m, want) == NULL)
			fail_msg("%s.%s: expected %s in %s", dpp_scalar_desc[s].group,
				 dpp_scalar_desc[s].key, want, m);
		/* Only once: the key appears a single time among the group's members. */
		snprintf(want, sizeof(want), "\"%s\":", dpp_scalar_desc[s].key);
		assert_true(strstr(strstr(m, want) + 1, want) == NULL);
	}
	/* The one member that is not a scalar of metrics.def: a ratio, 123456789 / (2 * 64). */
	expect_in_output("\"flow_state_bytes\":448,\"bytes_per_flow\":964506.2,");
	free(mem[0]);
	free(mem[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stats_lcore_add_sums_every_counter),
		cmocka_unit_test(stats_flow_add_sums_every_counter),
		cmocka_unit_test(flow_json_writes_contract_fields),
		cmocka_unit_test(flow_json_writes_ipv6_and_null_rst_by),
		cmocka_unit_test(flow_json_writes_largest_values),
		cmocka_unit_test(stats_snapshot_sums_workers_and_names_malformed_reasons),
		cmocka_unit_test(
			stats_snapshot_has_every_metrics_def_scalar_with_the_value_collected),
	};
	int rc;

	if (dpp_test_eal_init() < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dpp_test_eal_fini();
	return rc;
}
