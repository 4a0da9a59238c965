/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_CONFIG_H
#define DPP_CONFIG_H

/**
 * @file
 * config: the probe options, from the command line and from an INI file
 * (rte_cfgfile format), validated before anything else starts.
 *
 * Every option is a key in the INI file too, spelled as the long option
 * without its dashes ("stats-interval = 5"), in the [probe] section or
 * before any section. The command line wins over the file.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DPP_CONFIG_ERR_LEN 512

struct dpp_config {
	char config_file[PATH_MAX]; /**< "" when none. */
	char flows_path[PATH_MAX];  /**< "-" is stdout. */
	char stats_path[PATH_MAX];  /**< "" is no stats; "-" is stdout. */
	double stats_interval_s;
	double idle_timeout_s;
	double syn_timeout_s;
	double close_linger_s; /**< Closed flows stay this long (packet time). */
	double time_wait_s;    /**< Ended 4-tuples remembered this long (packet time). */
	uint32_t time_wait_slots; /**< Ended 4-tuples remembered per worker; 0: flow_capacity. */
	double stall_threshold_s;      /**< A stall this long is diagnosed "stalled". */
	double idle_reset_threshold_s; /**< An RST after this much silence is an idle timeout. */
	uint32_t services;	       /**< Services listed per snapshot (top N). */
	double duration_s; /**< 0: run until signal or end of input. */
	uint32_t rxd;
	uint32_t burst;
	uint32_t total_num_mbufs; /**< 0: computed from ports, queues, descriptors. */
	uint32_t mbuf_size;
	uint32_t flow_capacity;
	uint32_t rxq; /**< RX queues per port; 0: chosen per PMD. */
	uint32_t export_ring; /**< Flow-record ring size per worker. */
	bool dist_sw;         /**< Software distribution: one RX lcore feeds the workers. */
	uint32_t dist_ring;   /**< Packets in flight per RX-lcore-to-worker ring. */
	char prometheus[64];  /**< --prometheus as given; "" when off. */
	struct sockaddr_storage prometheus_addr; /**< Its address, parsed. */
	unsigned int prometheus_addrlen;
};

/** What dpp_config_parse() asks the caller to do. */
enum dpp_config_action {
	DPP_CONFIG_RUN = 0,   /**< Options are valid: start the probe. */
	DPP_CONFIG_HELP,      /**< --help was given: print dpp_config_usage(), exit 0. */
	DPP_CONFIG_VERSION,   /**< --version was given: print the version, exit 0. */
};

/** Fill cfg with the contract's defaults. */
void dpp_config_defaults(struct dpp_config *cfg);

/**
 * Parse the probe options (the part of the command line after "--").
 *
 * argv[0] is the program name. A --config file is read first, then every
 * other command-line option overrides it.
 *
 * @param cfg   Filled with defaults, then with the options.
 * @param argc  Number of entries in argv.
 * @param argv  Probe options; not modified.
 * @param err   On failure, one line naming the option or file and the reason.
 * @param errlen Size of err.
 * @return A dpp_config_action (>= 0), or -EINVAL with err filled.
 */
int dpp_config_parse(struct dpp_config *cfg, int argc, char *const argv[], char *err,
		     size_t errlen);

/** Usage text for --help. */
const char *dpp_config_usage(void);

#endif /* DPP_CONFIG_H */
