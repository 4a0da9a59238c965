/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON writer (stats/dpp_json.h): a buffer never written past, an
 * overflow at exactly the byte that does not fit, escapes, commas, and
 * number formats. No EAL.
 */

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpp_json.h"

static char text[4096];

/* Finish j's text as a C string (in its own buffer, after the last byte) and return it. */
static const char *done(struct dpp_json *j)
{
	assert_false(j->overflow);
	assert_true(dpp_json_len(j) < sizeof(text));
	memcpy(text, j->buf, dpp_json_len(j));
	text[dpp_json_len(j)] = '\0';
	return text;
}

/* One of everything the writer writes, nested. */
static void write_everything(struct dpp_json *j)
{
	dpp_json_obj_begin(j);
	DPP_JSON_KEY(j, "type");
	dpp_json_str(j, "stats");
	DPP_JSON_U64(j, "n", 18446744073709551615ull);
	DPP_JSON_KEY(j, "neg");
	dpp_json_i64(j, INT64_MIN);
	dpp_json_key(j, "we\"ird");
	dpp_json_str(j, "a\\b\n");
	DPP_JSON_KEY(j, "list");
	dpp_json_arr_begin(j);
	dpp_json_u64(j, 0);
	dpp_json_null(j);
	dpp_json_bool(j, true);
	dpp_json_obj_begin(j);
	dpp_json_obj_end(j);
	dpp_json_arr_begin(j);
	dpp_json_arr_end(j);
	dpp_json_fixed(j, -1500, 3);
	dpp_json_double(j, 0.25, 1);
	dpp_json_double_g(j, 1e-5, 9);
	dpp_json_str_plain(j, "198.18.0.1");
	dpp_json_arr_end(j);
	DPP_JSON_KEY(j, "ts");
	dpp_json_ufixed(j, 1700000000123456ull, 6);
	dpp_json_obj_end(j);
	DPP_JSON_RAW(j, "\n");
}

static const char everything[] =
	"{\"type\":\"stats\",\"n\":18446744073709551615,\"neg\":-9223372036854775808,"
	"\"we\\\"ird\":\"a\\\\b\\u000a\",\"list\":[0,null,true,{},[],-1.500,0.2,1e-05,"
	"\"198.18.0.1\"],\"ts\":1700000000.123456}\n";

static void json_overflows_at_exactly_the_first_byte_that_does_not_fit(void **state)
{
	const size_t len = sizeof(everything) - 1;
	char buf[sizeof(everything) + 16];
	struct dpp_json j;

	(void)state;
	/* Every size from nothing to one more than the text: each write's room check. */
	for (size_t size = 0; size <= len + 1; size++) {
		memset(buf, '#', sizeof(buf));
		dpp_json_init(&j, buf, size);
		write_everything(&j);
		assert_true(j.overflow == (size < len));
		assert_true(dpp_json_len(&j) <= size);
		for (size_t i = size; i < sizeof(buf); i++)
			if (buf[i] != '#')
				fail_msg("size %zu: byte %zu written", size, i);
		if (size >= len)
			assert_memory_equal(buf, everything, len);
	}
}

static void json_overflow_is_sticky(void **state)
{
	char buf[8];
	struct dpp_json j;
	size_t len;

	(void)state;
	dpp_json_init(&j, buf, sizeof(buf));
	dpp_json_str(&j, "too long for eight");
	assert_true(j.overflow);
	len = dpp_json_len(&j);
	dpp_json_u64(&j, 1); /* would fit, but the text is already incomplete */
	dpp_json_null(&j);
	assert_int_equal(dpp_json_len(&j), len);
	assert_true(j.overflow);
	dpp_json_reset(&j);
	assert_false(j.overflow);
	dpp_json_u64(&j, 1);
	assert_string_equal(done(&j), "1");
}

static void json_escapes_quotes_backslashes_and_control_characters(void **state)
{
	char buf[512], in[40];
	struct dpp_json j;
	int n = 0;

	(void)state;
	for (int c = 1; c < 0x20; c++)
		in[n++] = (char)c;
	in[n++] = '"';
	in[n++] = '\\';
	in[n++] = 0x7f;	      /* DEL needs no escape */
	in[n++] = (char)0xc3; /* UTF-8 passes as it is */
	in[n++] = (char)0xa9;
	in[n++] = '/';
	in[n] = '\0';
	dpp_json_init(&j, buf, sizeof(buf));
	dpp_json_obj_begin(&j);
	dpp_json_key(&j, in);
	dpp_json_str(&j, in);
	dpp_json_obj_end(&j);
	char want[512] = "\"";
	for (int c = 1; c < 0x20; c++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "\\u%04x", c);
	strcat(want, "\\\"\\\\\x7f\xc3\xa9/\"");
	char all[1100];
	snprintf(all, sizeof(all), "{%s:%s}", want, want);
	assert_string_equal(done(&j), all);
	/* Hex digits are lower case, as the snapshot always wrote them. */
	assert_non_null(strstr(text, "\\u001f"));
}

static void json_string_with_an_escape_at_the_boundary_overflows_exactly(void **state)
{
	char buf[16];
	struct dpp_json j;

	(void)state;
	/* a" is 2 bytes, 5 written: "a\"" (the plain length fits in 4, the escape does not). */
	dpp_json_init(&j, buf, 4);
	dpp_json_str(&j, "a\"");
	assert_true(j.overflow);
	assert_int_equal(dpp_json_len(&j), 0);
	dpp_json_init(&j, buf, 5);
	dpp_json_str(&j, "a\"");
	assert_false(j.overflow);
	assert_memory_equal(buf, "\"a\\\"\"", 5);
}

static void json_puts_commas_between_members_and_elements_only(void **state)
{
	char buf[256];
	struct dpp_json j;

	(void)state;
	dpp_json_init(&j, buf, sizeof(buf));
	dpp_json_obj_begin(&j);
	DPP_JSON_KEY(&j, "a");
	dpp_json_obj_begin(&j);
	dpp_json_obj_end(&j);
	DPP_JSON_KEY(&j, "b");
	dpp_json_arr_begin(&j);
	for (int i = 0; i < 3; i++) {
		dpp_json_obj_begin(&j);
		DPP_JSON_U64(&j, "i", (uint64_t)i);
		DPP_JSON_KEY(&j, "x");
		dpp_json_arr_begin(&j);
		dpp_json_arr_end(&j);
		dpp_json_obj_end(&j);
	}
	dpp_json_arr_end(&j);
	DPP_JSON_KEY(&j, "c");
	dpp_json_bool(&j, false);
	dpp_json_obj_end(&j);
	assert_string_equal(
		done(&j),
		"{\"a\":{},\"b\":[{\"i\":0,\"x\":[]},{\"i\":1,\"x\":[]},{\"i\":2,\"x\":[]}],"
		"\"c\":false}");
}

/* What printf gives, for the doubles. */
static void expect_double(double v, int prec, bool g)
{
	char buf[512], want[512];
	struct dpp_json j;

	dpp_json_init(&j, buf, sizeof(buf));
	if (g)
		dpp_json_double_g(&j, v, prec);
	else
		dpp_json_double(&j, v, prec);
	snprintf(want, sizeof(want), g ? "%.*g" : "%.*f", prec, v);
	assert_string_equal(done(&j), want);
}

static void json_number_formats(void **state)
{
	static const struct {
		int64_t v;
		unsigned int decimals;
		const char *want;
	} fixed[] = {
		{0, 3, "0.000"},
		{5, 6, "0.000005"},
		{-1, 3, "-0.001"},
		{-1500, 3, "-1.500"},
		{41000, 3, "41.000"},
		{INT64_MAX, 3, "9223372036854775.807"},
		{INT64_MIN, 3, "-9223372036854775.808"},
		{123, 0, "123"},
	};
	static const double doubles[] = {0.0,	-0.0,	  0.05,	  0.25,
					 480.0, 69.04999, 1e-9,	  1700000001.0000004,
					 1e300, -DBL_MAX, DBL_MIN};
	char buf[64];
	struct dpp_json j;

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		dpp_json_init(&j, buf, sizeof(buf));
		dpp_json_fixed(&j, fixed[i].v, fixed[i].decimals);
		assert_string_equal(done(&j), fixed[i].want);
	}
	dpp_json_init(&j, buf, sizeof(buf));
	dpp_json_ufixed(&j, UINT64_MAX, 6);
	assert_string_equal(done(&j), "18446744073709.551615");
	for (uint64_t v = 1, k = 0; k < 20; v *= 10, k++) {
		char want[48];

		dpp_json_init(&j, buf, sizeof(buf));
		dpp_json_u64(&j, v - 1);
		dpp_json_u64(&j, v);
		snprintf(want, sizeof(want), "%llu,%llu", (unsigned long long)(v - 1),
			 (unsigned long long)v);
		assert_string_equal(done(&j), want);
	}
	dpp_json_init(&j, buf, sizeof(buf));
	dpp_json_i64(&j, -1);
	dpp_json_i64(&j, INT64_MAX);
	assert_string_equal(done(&j), "-1,9223372036854775807");
	for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
		expect_double(doubles[i], 1, false);
		expect_double(doubles[i], 6, false);
		expect_double(doubles[i], 9, true);
	}
	/* JSON has no NaN or infinity: null, never a word a parser refuses. */
	dpp_json_init(&j, buf, sizeof(buf));
	dpp_json_double(&j, NAN, 1);
	dpp_json_double(&j, INFINITY, 3);
	dpp_json_double_g(&j, -INFINITY, 9);
	assert_string_equal(done(&j), "null,null,null");
}

static void json_growable_doubles_up_to_its_limit_then_overflows(void **state)
{
	struct dpp_json j;

	(void)state;
	assert_int_equal(dpp_json_init_growable(&j, 8, 100), 0);
	for (int i = 0; i < 50; i++)
		DPP_JSON_RAW(&j, "ab");
	assert_false(j.overflow);
	assert_int_equal(dpp_json_len(&j), 100);
	assert_int_equal(j.cap, 100);
	DPP_JSON_RAW(&j, "c");
	assert_true(j.overflow);
	assert_int_equal(dpp_json_len(&j), 100);
	/* Reset keeps the grown buffer: the next line needs no realloc. */
	dpp_json_reset(&j);
	for (int i = 0; i < 50; i++)
		DPP_JSON_RAW(&j, "xy");
	assert_false(j.overflow);
	assert_int_equal(j.cap, 100);
	assert_memory_equal(j.buf, "xyxy", 4);
	dpp_json_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_overflows_at_exactly_the_first_byte_that_does_not_fit),
		cmocka_unit_test(json_overflow_is_sticky),
		cmocka_unit_test(json_string_with_an_escape_at_the_boundary_overflows_exactly),
		cmocka_unit_test(json_escapes_quotes_backslashes_and_control_characters),
		cmocka_unit_test(json_puts_commas_between_members_and_elements_only),
		cmocka_unit_test(json_number_formats),
		cmocka_unit_test(json_growable_doubles_up_to_its_limit_then_overflows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
