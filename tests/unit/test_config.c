/* SPDX-License-Identifier: BSD-3-Clause */
/* config: every bad value is refused with a line naming it; then what works. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "dpp_config.h"

static struct dpp_config cfg;
static char err[DPP_CONFIG_ERR_LEN];

#define ARGV(...) (char *const[]){"dpprobe", __VA_ARGS__, NULL}
#define ARGC(...) ((int)(sizeof((char *[]){"dpprobe", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(...) dpp_config_parse(&cfg, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), err, sizeof(err))

/* Write an INI file to a fresh temporary path; the caller unlinks it. */
static char *write_ini(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/dpp_test_config_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void expect_error(int rc, const char *must_name, const char *reason)
{
	assert_int_equal(rc, -EINVAL);
	/* One line: no newline inside, and it names the culprit and the reason. */
	assert_null(strchr(err, '\n'));
	if (strstr(err, must_name) == NULL || strstr(err, reason) == NULL)
		fail_msg("error '%s' should name '%s' and say '%s'", err, must_name, reason);
}

static void config_rejects_unknown_option(void **state)
{
	(void)state;
	expect_error(PARSE("--no-such-thing", "1"), "--no-such-thing", "unknown option");
}

static void config_rejects_unknown_short_option(void **state)
{
	(void)state;
	expect_error(PARSE("-z"), "-z", "unknown option");
}

static void config_rejects_missing_value(void **state)
{
	(void)state;
	expect_error(PARSE("--rxd"), "--rxd", "value is required");
}

static void config_rejects_negative_interval(void **state)
{
	(void)state;
	expect_error(PARSE("--stats-interval", "-1"), "--stats-interval", "greater than 0");
}

static void config_rejects_zero_interval(void **state)
{
	(void)state;
	expect_error(PARSE("--stats-interval", "0"), "--stats-interval", "greater than 0");
}

static void config_rejects_non_numeric_timeout(void **state)
{
	(void)state;
	expect_error(PARSE("--idle-timeout", "5min"), "--idle-timeout", "not a number");
	expect_error(PARSE("--syn-timeout", "nan"), "--syn-timeout", "not a number");
	expect_error(PARSE("--duration", "inf"), "--duration", "not a number");
}

static void config_rejects_rxd_not_power_of_two(void **state)
{
	(void)state;
	expect_error(PARSE("--rxd", "1000"), "--rxd", "not a power of two");
}

static void config_rejects_rxd_out_of_range(void **state)
{
	(void)state;
	expect_error(PARSE("--rxd", "16"), "--rxd", "out of range");
	expect_error(PARSE("--rxd", "65536"), "--rxd", "out of range");
}

static void config_rejects_negative_integer(void **state)
{
	(void)state;
	/* strtoull would wrap "-1" to a huge number: it must be refused instead. */
	expect_error(PARSE("--burst", "-1"), "--burst", "non-negative integer");
	expect_error(PARSE("--flow-capacity", "-5"), "--flow-capacity", "non-negative integer");
}

static void config_rejects_trailing_garbage(void **state)
{
	(void)state;
	expect_error(PARSE("--burst", "32x"), "--burst", "non-negative integer");
	expect_error(PARSE("--total-num-mbufs", ""), "--total-num-mbufs", "value is required");
}

static void config_rejects_burst_out_of_range(void **state)
{
	(void)state;
	expect_error(PARSE("--burst", "0"), "--burst", "out of range");
	expect_error(PARSE("--burst", "513"), "--burst", "out of range");
}

static void config_rejects_small_mbuf_size(void **state)
{
	(void)state;
	expect_error(PARSE("--mbuf-size", "64"), "--mbuf-size", "out of range");
}

static void config_rejects_bad_prometheus_address(void **state)
{
	(void)state;
	expect_error(PARSE("--prometheus", "0"), "--prometheus", "from 1 to 65535");
	expect_error(PARSE("--prometheus", "70000"), "--prometheus", "from 1 to 65535");
	expect_error(PARSE("--prometheus", "9100x"), "--prometheus", "from 1 to 65535");
	expect_error(PARSE("--prometheus", "-1"), "--prometheus", "from 1 to 65535");
	expect_error(PARSE("--prometheus", "localhost:9100"), "--prometheus", "not an IPv4");
	expect_error(PARSE("--prometheus", "::1:9100"), "--prometheus", "not an IPv4");
	expect_error(PARSE("--prometheus", "[::1]9100"), "--prometheus", "[IPv6]:PORT");
	expect_error(PARSE("--prometheus", "[1.2.3.4]:9100"), "--prometheus", "not an IPv6");
}

static void config_prometheus_address_forms(void **state)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&cfg.prometheus_addr;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&cfg.prometheus_addr;

	(void)state;
	assert_int_equal(PARSE("--flows", "-"), DPP_CONFIG_RUN);
	assert_string_equal(cfg.prometheus, ""); /* off by default */
	/* A bare port listens on 127.0.0.1 only. */
	assert_int_equal(PARSE("--prometheus", "9100"), DPP_CONFIG_RUN);
	assert_int_equal(in4->sin_family, AF_INET);
	assert_int_equal(ntohs(in4->sin_port), 9100);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(PARSE("--prometheus", "0.0.0.0:65535"), DPP_CONFIG_RUN);
	assert_int_equal(ntohs(in4->sin_port), 65535);
	assert_int_equal(in4->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(PARSE("--prometheus", "[::1]:1"), DPP_CONFIG_RUN);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 1);
	assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
	assert_int_equal(cfg.prometheus_addrlen, sizeof(*in6));
}

static void config_rejects_positional_argument(void **state)
{
	(void)state;
	expect_error(PARSE("capture.pcap"), "capture.pcap", "unexpected argument");
}

static void config_rejects_unreadable_config_file(void **state)
{
	(void)state;
	expect_error(PARSE("--config", "/nonexistent/dpprobe.ini"), "/nonexistent/dpprobe.ini",
		     "No such file");
	expect_error(PARSE("--config", "/tmp"), "/tmp", "Is a directory");
}

static void config_rejects_malformed_config_file(void **state)
{
	char *path = write_ini("[probe\nrxd = 512\n");

	(void)state;
	expect_error(PARSE("--config", path), path, "malformed");
	unlink(path);
}

static void config_rejects_unknown_key_in_file(void **state)
{
	char *path = write_ini("[probe]\nrxd = 512\nring_size = 9\n");

	(void)state;
	expect_error(PARSE("-c", path), "ring_size", "unknown key");
	unlink(path);
}

static void config_rejects_unknown_section(void **state)
{
	char *path = write_ini("[ports]\nrxd = 512\n");

	(void)state;
	expect_error(PARSE("-c", path), "[ports]", "unknown section");
	unlink(path);
}

static void config_rejects_bad_value_in_file(void **state)
{
	char *path = write_ini("[probe]\nrxd = 1000\n");

	(void)state;
	expect_error(PARSE("-c", path), "rxd", "not a power of two");
	assert_non_null(strstr(err, path));
	unlink(path);
}

static void config_rejects_config_key_in_file(void **state)
{
	char *path = write_ini("[probe]\nconfig = other.ini\n");

	(void)state;
	expect_error(PARSE("-c", path), "config", "unknown key");
	unlink(path);
}

static void config_rejects_bad_diagnosis_thresholds(void **state)
{
	(void)state;
	expect_error(PARSE("--stall-threshold", "0"), "--stall-threshold", "greater than 0");
	expect_error(PARSE("--stall-threshold", "1s"), "--stall-threshold", "not a number");
	expect_error(PARSE("--idle-reset-threshold", "-10"), "--idle-reset-threshold",
		     "greater than 0");
	expect_error(PARSE("--idle-reset-threshold", "86401"), "--idle-reset-threshold",
		     "at most 86400");
}

static void config_rejects_bad_services_count(void **state)
{
	(void)state;
	expect_error(PARSE("--services", "-1"), "--services", "non-negative integer");
	expect_error(PARSE("--services", "4097"), "--services", "out of range");
	expect_error(PARSE("--services", "ten"), "--services", "non-negative integer");
}

static void config_rejects_bad_diagnosis_value_in_file(void **state)
{
	char *path = write_ini("[probe]\nstall-threshold = never\n");

	(void)state;
	expect_error(PARSE("--config", path), "stall-threshold", "not a number");
	unlink(path);
}

static void config_diagnosis_options_apply_from_file_and_command_line(void **state)
{
	char *path = write_ini("[probe]\nstall-threshold = 0.25\nidle-reset-threshold = 30\n"
			       "services = 5\n");

	(void)state;
	assert_int_equal(PARSE("--config", path, "--services", "0"), DPP_CONFIG_RUN);
	assert_true(cfg.stall_threshold_s == 0.25);
	assert_true(cfg.idle_reset_threshold_s == 30.0);
	assert_int_equal(cfg.services, 0);
	unlink(path);
}

static void config_defaults_match_contract(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--flows", "-"), DPP_CONFIG_RUN);
	assert_string_equal(cfg.flows_path, "-");
	assert_string_equal(cfg.stats_path, "");
	assert_true(cfg.stats_interval_s == 1.0);
	assert_true(cfg.idle_timeout_s == 300.0);
	assert_true(cfg.syn_timeout_s == 30.0);
	assert_true(cfg.duration_s == 0.0);
	assert_int_equal(cfg.rxd, 1024);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.total_num_mbufs, 0);
	assert_int_equal(cfg.mbuf_size, 2176);
	assert_int_equal(cfg.flow_capacity, 1048576);
	assert_true(cfg.stall_threshold_s == 1.0);
	assert_true(cfg.idle_reset_threshold_s == 10.0);
	assert_true(cfg.time_wait_s == 60.0);
	assert_int_equal(cfg.services, 20);
}

static void config_no_options_is_valid(void **state)
{
	char *const argv[] = {"dpprobe", NULL};

	(void)state;
	assert_int_equal(dpp_config_parse(&cfg, 1, argv, err, sizeof(err)), DPP_CONFIG_RUN);
}

static void config_command_line_options_apply(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--rxd", "4096", "--burst", "64", "--stats", "s.jsonl",
			       "--stats-interval", "0.5", "--idle-timeout", "60", "--syn-timeout",
			       "3", "--duration", "10", "--total-num-mbufs", "65535",
			       "--mbuf-size", "9216", "--flow-capacity", "1000", "--flows", "f.jsonl"),
			 DPP_CONFIG_RUN);
	assert_int_equal(cfg.rxd, 4096);
	assert_int_equal(cfg.burst, 64);
	assert_string_equal(cfg.stats_path, "s.jsonl");
	assert_string_equal(cfg.flows_path, "f.jsonl");
	assert_true(cfg.stats_interval_s == 0.5);
	assert_true(cfg.idle_timeout_s == 60.0);
	assert_true(cfg.syn_timeout_s == 3.0);
	assert_true(cfg.duration_s == 10.0);
	assert_int_equal(cfg.total_num_mbufs, 65535);
	assert_int_equal(cfg.mbuf_size, 9216);
	assert_int_equal(cfg.flow_capacity, 1000);
}

static void config_file_values_apply(void **state)
{
	char *path = write_ini("; comment\n[probe]\nrxd = 512\nburst = 16\n"
			       "stats = /tmp/x.jsonl\nidle-timeout = 42\n");

	(void)state;
	assert_int_equal(PARSE("--config", path), DPP_CONFIG_RUN);
	assert_int_equal(cfg.rxd, 512);
	assert_int_equal(cfg.burst, 16);
	assert_string_equal(cfg.stats_path, "/tmp/x.jsonl");
	assert_true(cfg.idle_timeout_s == 42.0);
	assert_string_equal(cfg.config_file, path);
	unlink(path);
}

static void config_file_keys_before_any_section_apply(void **state)
{
	char *path = write_ini("burst = 8\n");

	(void)state;
	assert_int_equal(PARSE("--config", path), DPP_CONFIG_RUN);
	assert_int_equal(cfg.burst, 8);
	unlink(path);
}

static void config_command_line_wins_over_file(void **state)
{
	char *path = write_ini("[probe]\nrxd = 512\nburst = 16\n");

	(void)state;
	/* Order on the command line does not matter: the file is read first. */
	assert_int_equal(PARSE("--burst", "128", "--config", path), DPP_CONFIG_RUN);
	assert_int_equal(cfg.burst, 128);
	assert_int_equal(cfg.rxd, 512);
	unlink(path);
}

static void config_help_and_version(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--help"), DPP_CONFIG_HELP);
	assert_int_equal(PARSE("-h"), DPP_CONFIG_HELP);
	assert_int_equal(PARSE("--version"), DPP_CONFIG_VERSION);
	assert_non_null(strstr(dpp_config_usage(), "--stats-interval"));
	assert_non_null(strstr(dpp_config_usage(), "--flow-capacity"));
	assert_non_null(strstr(dpp_config_usage(), "--stall-threshold SEC"));
	assert_non_null(strstr(dpp_config_usage(), "--idle-reset-threshold SEC"));
	assert_non_null(strstr(dpp_config_usage(), "--services N"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_rejects_unknown_option),
		cmocka_unit_test(config_rejects_unknown_short_option),
		cmocka_unit_test(config_rejects_missing_value),
		cmocka_unit_test(config_rejects_negative_interval),
		cmocka_unit_test(config_rejects_zero_interval),
		cmocka_unit_test(config_rejects_non_numeric_timeout),
		cmocka_unit_test(config_rejects_rxd_not_power_of_two),
		cmocka_unit_test(config_rejects_rxd_out_of_range),
		cmocka_unit_test(config_rejects_negative_integer),
		cmocka_unit_test(config_rejects_trailing_garbage),
		cmocka_unit_test(config_rejects_burst_out_of_range),
		cmocka_unit_test(config_rejects_small_mbuf_size),
		cmocka_unit_test(config_rejects_bad_prometheus_address),
		cmocka_unit_test(config_prometheus_address_forms),
		cmocka_unit_test(config_rejects_positional_argument),
		cmocka_unit_test(config_rejects_unreadable_config_file),
		cmocka_unit_test(config_rejects_malformed_config_file),
		cmocka_unit_test(config_rejects_unknown_key_in_file),
		cmocka_unit_test(config_rejects_unknown_section),
		cmocka_unit_test(config_rejects_bad_value_in_file),
		cmocka_unit_test(config_rejects_config_key_in_file),
		cmocka_unit_test(config_rejects_bad_diagnosis_thresholds),
		cmocka_unit_test(config_rejects_bad_services_count),
		cmocka_unit_test(config_rejects_bad_diagnosis_value_in_file),
		cmocka_unit_test(config_diagnosis_options_apply_from_file_and_command_line),
		cmocka_unit_test(config_defaults_match_contract),
		cmocka_unit_test(config_no_options_is_valid),
		cmocka_unit_test(config_command_line_options_apply),
		cmocka_unit_test(config_file_values_apply),
		cmocka_unit_test(config_file_keys_before_any_section_apply),
		cmocka_unit_test(config_command_line_wins_over_file),
		cmocka_unit_test(config_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
