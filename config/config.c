/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Probe options: one table describes every option once; the command-line
 * parser, the INI loader and --help all read it, so a key can't exist in
 * one place and not the other.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_cfgfile.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "dpp_config.h"

#define DPP_INI_SECTION "probe"

enum opt_kind {
	OPT_PATH,    /* string, must not be empty */
	OPT_SECONDS, /* positive finite number */
	OPT_U32,     /* unsigned integer in [min, max] */
	OPT_POW2,    /* power of two in [min, max] */
	OPT_DIST,    /* "queues" or "sw" */
	OPT_CHOICE,  /* one of `choices`, stored as its index (uint32_t) */
	OPT_NUMBER,  /* positive finite number at most max (double) */
	OPT_LISTEN,  /* [ADDR:]PORT, ADDR an IPv4 literal or [IPv6] */
};

struct opt_desc {
	const char *name;
	int short_opt; /* 0 if none */
	enum opt_kind kind;
	size_t offset;
	uint64_t min;
	uint64_t max;
	const char *help;
	const char *const *choices; /* OPT_CHOICE: NULL-terminated names */
};

#define OFF(f) offsetof(struct dpp_config, f)

const char *const dpp_load_profile_names[] = {"none", "const", "burst", "poisson", NULL};
static const char *const work_dist_names[] = {"fixed", "exp", NULL};

/* Long-option ids start above any char so they can't clash with short ones. */
enum { OPT_ID_BASE = 256 };

static const struct opt_desc options[] = {
	{"flows", 0, OPT_PATH, OFF(flows_path), 0, 0,
	 "flow records, JSON Lines; - is stdout (default -)"},
	{"stats", 0, OPT_PATH, OFF(stats_path), 0, 0,
	 "stats snapshots, JSON Lines; - is stdout (default: none)"},
	{"stats-interval", 0, OPT_SECONDS, OFF(stats_interval_s), 0, 86400,
	 "seconds between stats snapshots, wall clock (default 1)"},
	{"idle-timeout", 0, OPT_SECONDS, OFF(idle_timeout_s), 0, 31536000,
	 "an established flow idle this long (packet time) ends (default 300)"},
	{"syn-timeout", 0, OPT_SECONDS, OFF(syn_timeout_s), 0, 31536000,
	 "an unanswered SYN flow ends as syn_timeout after this (packet time) (default 30)"},
	{"close-linger", 0, OPT_SECONDS, OFF(close_linger_s), 0, 31536000,
	 "a closed flow (FIN both ways or RST) stays this long (packet time) for late "
	 "retransmissions of its FIN or RST (default 5)"},
	{"time-wait", 0, OPT_SECONDS, OFF(time_wait_s), 0, 86400,
	 "ended 4-tuples are remembered this long (packet time): late segments of a closed flow "
	 "are counted, not made into flows; a SYN reusing one reports the gap (default 60)"},
	{"time-wait-slots", 0, OPT_U32, OFF(time_wait_slots), 16, 1u << 28,
	 "ended 4-tuples remembered per worker at most (default: --flow-capacity)"},
	{"stall-threshold", 0, OPT_SECONDS, OFF(stall_threshold_s), 0, 86400,
	 "a direction without progress this long (packet time) while it has unacknowledged "
	 "payload or faces a zero window makes the flow's diagnosis 'stalled' (default 1)"},
	{"idle-reset-threshold", 0, OPT_SECONDS, OFF(idle_reset_threshold_s), 0, 86400,
	 "an RST after this much silence (no payload, SYN or FIN; packet time) is diagnosed "
	 "as an idle timeout (default 10)"},
	{"services", 0, OPT_U32, OFF(services), 0, 4096,
	 "services (server ip:port) listed in each stats snapshot, the rest in services_other "
	 "(default 20)"},
	{"duration", 0, OPT_SECONDS, OFF(duration_s), 0, 31536000,
	 "stop after this many seconds of wall time (default: until signal / end of input)"},
	{"rxd", 0, OPT_POW2, OFF(rxd), 32, 32768,
	 "RX descriptors per queue, a power of two (default 1024)"},
	{"burst", 0, OPT_U32, OFF(burst), 1, 512, "packets per rx burst (default 32)"},
	{"total-num-mbufs", 0, OPT_U32, OFF(total_num_mbufs), 1024, 1u << 30,
	 "mbufs in each NUMA socket's pool (default: computed)"},
	{"mbuf-size", 0, OPT_U32, OFF(mbuf_size), RTE_PKTMBUF_HEADROOM + 64, 65535,
	 "mbuf data room in bytes, headroom included (default 2176)"},
	{"flow-capacity", 0, OPT_U32, OFF(flow_capacity), 16, 1u << 28,
	 "flows per worker table (default 1048576)"},
	{"rxq", 0, OPT_U32, OFF(rxq), 1, 1024,
	 "RX queues per port (default: every queue of a PMD without RSS, else one per worker)"},
	{"export-ring", 0, OPT_POW2, OFF(export_ring), 64, 1u << 24,
	 "flow records in flight per worker to the exporter, a power of two (default 16384)"},
	{"dist", 0, OPT_DIST, OFF(dist_sw), 0, 0,
	 "queues: each worker polls RX queues (RSS, several files); sw: the first worker lcore "
	 "polls every queue and spreads flows to the others by a symmetric hash (default queues)"},
	{"prometheus", 0, OPT_LISTEN, OFF(prometheus), 0, 0,
	 "serve /metrics (Prometheus text format) on [ADDR:]PORT; ADDR an IPv4 address or "
	 "[IPv6], default 127.0.0.1 (default: off)"},
	{"dist-ring", 0, OPT_POW2, OFF(dist_ring), 64, 1u << 20,
	 "packets in flight per RX-lcore-to-worker ring in --dist sw, a power of two (default 4096)"},
	{"load", 0, OPT_CHOICE, OFF(load), 0, 0,
	 "none, const, burst or poisson: a net_ring port of the probe's own rte_ring (--rxd slots, "
	 "exact occupancy) fed by a producer lcore with this load profile (default none)",
	 dpp_load_profile_names},
	{"load-rate", 0, OPT_NUMBER, OFF(load_rate), 0, 1000000000,
	 "mean packets per second the producer offers (default 1000000)"},
	{"load-burst", 0, OPT_U32, OFF(load_burst), 1, 1u << 24,
	 "packets per on/off burst of --load burst (default 256)"},
	{"load-line-rate", 0, OPT_NUMBER, OFF(load_line_rate), 0, 1000000000,
	 "packets per second inside a burst, at most (default 14880952, 10GbE at 64 bytes)"},
	{"load-packets", 0, OPT_U32, OFF(load_packets), 1, 1u << 31,
	 "packets the producer offers, then the probe stops (default: until --duration or signal)"},
	{"load-flows", 0, OPT_U32, OFF(load_flows), 1, 1u << 20,
	 "synthetic TCP flows the offered packets belong to (default 1024)"},
	{"load-seed", 0, OPT_U32, OFF(load_seed), 0, UINT32_MAX,
	 "seed of the Poisson gaps and the exponential --work-ns (default 1)"},
	{"load-capture", 0, OPT_PATH, OFF(load_capture), 0, 0,
	 "replay this capture's frames (in a loop) instead of synthetic TCP (default: none)"},
	{"load-record", 0, OPT_PATH, OFF(load_record), 0, 0,
	 "write every arrival, busy poll and stall to this file at exit, for the model "
	 "(default: none)"},
	{"load-record-max", 0, OPT_U32, OFF(load_record_max), 1024, 1u << 28,
	 "arrivals and polls recorded at most (default 4194304)"},
	{"work-ns", 0, OPT_U32, OFF(work_ns), 0, 100000000,
	 "extra cost per packet on the workers, in ns, to play a slower probe (default 0)"},
	{"work-dist", 0, OPT_CHOICE, OFF(work_dist), 0, 0,
	 "fixed or exp: every packet costs --work-ns, or an exponential of that mean (default fixed)",
	 work_dist_names},
	{"stall-us", 0, OPT_NUMBER, OFF(stall_us), 0, 10000000,
	 "inject a poll stall this long (us) every --stall-every polls, as an interrupt would "
	 "(default: none)"},
	{"stall-every", 0, OPT_U32, OFF(stall_every), 1, UINT32_MAX,
	 "polls between two injected stalls (with --stall-us)"},
};

#define NB_OPTIONS (sizeof(options) / sizeof(options[0]))

void dpp_config_defaults(struct dpp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->flows_path, "-");
	cfg->stats_interval_s = 1.0;
	cfg->idle_timeout_s = 300.0;
	cfg->syn_timeout_s = 30.0;
	cfg->close_linger_s = 5.0;
	cfg->time_wait_s = 60.0;
	cfg->time_wait_slots = 0;
	cfg->stall_threshold_s = 1.0;
	cfg->idle_reset_threshold_s = 10.0;
	cfg->services = 20;
	cfg->duration_s = 0.0;
	cfg->rxd = 1024;
	cfg->burst = 32;
	cfg->total_num_mbufs = 0;
	cfg->mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
	cfg->flow_capacity = 1u << 20;
	cfg->rxq = 0;
	cfg->export_ring = 16384;
	cfg->dist_sw = false;
	cfg->dist_ring = 4096;
	cfg->load = DPP_LOAD_NONE;
	cfg->load_rate = 1e6;
	cfg->load_burst = 256;
	cfg->load_line_rate = 14880952.0;
	cfg->load_flows = 1024;
	cfg->load_seed = 1;
	cfg->load_record_max = 1u << 22;
	cfg->work_dist = DPP_WORK_FIXED;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int parse_listen(struct dpp_config *cfg, const char *value, const char *where, char *err,
			size_t errlen);

/*
 * Apply one value to cfg. `where` names the source for the message:
 * "--rxd" on the command line, "file.ini: rxd" from a file.
 */
static int apply(struct dpp_config *cfg, const struct opt_desc *o, const char *value,
		 const char *where, char *err, size_t errlen)
{
	char *end = NULL;
	void *field = (char *)cfg + o->offset;

	if (value == NULL || value[0] == '\0') {
		set_err(err, errlen, "%s: a value is required", where);
		return -EINVAL;
	}

	switch (o->kind) {
	case OPT_PATH:
		if (strlen(value) >= PATH_MAX) {
			set_err(err, errlen, "%s: path too long", where);
			return -EINVAL;
		}
		strcpy(field, value);
		return 0;
	case OPT_SECONDS:
	case OPT_NUMBER: {
		const char *what = o->kind == OPT_SECONDS ? "a number of seconds" : "a number";
		double d;

		errno = 0;
		d = strtod(value, &end);
		if (errno != 0 || end == value || *end != '\0' || !isfinite(d)) {
			set_err(err, errlen, "%s: '%s' is not %s", where, value, what);
			return -EINVAL;
		}
		if (d <= 0.0 || d > (double)o->max) {
			set_err(err, errlen, "%s: %s must be greater than 0 and at most %" PRIu64,
				where, value, o->max);
			return -EINVAL;
		}
		*(double *)field = d;
		return 0;
	}
	case OPT_CHOICE: {
		char names[128];
		size_t len = 0;

		for (uint32_t i = 0; o->choices[i] != NULL; i++) {
			if (strcmp(value, o->choices[i]) == 0) {
				*(uint32_t *)field = i;
				return 0;
			}
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
						i ? ", " : "", o->choices[i]);
			if (len >= sizeof(names))
				break;
		}
		set_err(err, errlen, "%s: '%s' is not one of: %s", where, value, names);
		return -EINVAL;
	}
	case OPT_LISTEN:
		return parse_listen(cfg, value, where, err, errlen);
	case OPT_DIST:
		if (strcmp(value, "queues") == 0)
			*(bool *)field = false;
		else if (strcmp(value, "sw") == 0)
			*(bool *)field = true;
		else {
			set_err(err, errlen, "%s: '%s' is not a mode (queues or sw)", where, value);
			return -EINVAL;
		}
		return 0;
	case OPT_U32:
	case OPT_POW2: {
		unsigned long long v;

		/* strtoull accepts "-1" and wraps it; reject any sign explicitly. */
		if (value[0] == '-' || value[0] == '+') {
			set_err(err, errlen, "%s: '%s' is not a non-negative integer", where,
				value);
			return -EINVAL;
		}
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0') {
			set_err(err, errlen, "%s: '%s' is not a non-negative integer", where,
				value);
			return -EINVAL;
		}
		if (v < o->min || v > o->max) {
			set_err(err, errlen, "%s: %s is out of range [%" PRIu64 ", %" PRIu64 "]",
				where, value, o->min, o->max);
			return -EINVAL;
		}
		if (o->kind == OPT_POW2 && (v & (v - 1)) != 0) {
			set_err(err, errlen, "%s: %s is not a power of two", where, value);
			return -EINVAL;
		}
		*(uint32_t *)field = (uint32_t)v;
		return 0;
	}
	}
	return -EINVAL;
}

/*
 * --prometheus [ADDR:]PORT: a numeric address only (no name lookup before
 * EAL starts), the port 1-65535. Binding is the caller's: a busy port is
 * found then.
 */
static int parse_listen(struct dpp_config *cfg, const char *value, const char *where, char *err,
			size_t errlen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&cfg->prometheus_addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&cfg->prometheus_addr;
	char addr[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *port = value, *colon;
	unsigned long v;
	char *end;

	if (strlen(value) >= sizeof(cfg->prometheus)) {
		set_err(err, errlen, "%s: '%s' is too long", where, value);
		return -EINVAL;
	}
	if (value[0] == '[') {
		const char *close = strchr(value, ']');

		if (close == NULL || close[1] != ':' || (size_t)(close - value - 1) >= sizeof(addr)) {
			set_err(err, errlen, "%s: '%s' is not [IPv6]:PORT", where, value);
			return -EINVAL;
		}
		memcpy(addr, value + 1, (size_t)(close - value - 1));
		addr[close - value - 1] = '\0';
		port = close + 2;
	} else if ((colon = strrchr(value, ':')) != NULL) {
		if ((size_t)(colon - value) >= sizeof(addr)) {
			set_err(err, errlen, "%s: '%s' is not ADDR:PORT", where, value);
			return -EINVAL;
		}
		memcpy(addr, value, (size_t)(colon - value));
		addr[colon - value] = '\0';
		port = colon + 1;
	}
	errno = 0;
	v = strtoul(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || errno != 0 || *end != '\0' || v < 1 ||
	    v > 65535) {
		set_err(err, errlen, "%s: '%s': the port must be a number from 1 to 65535", where,
			value);
		return -EINVAL;
	}
	memset(&cfg->prometheus_addr, 0, sizeof(cfg->prometheus_addr));
	if (value[0] == '[') {
		if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1) {
			set_err(err, errlen, "%s: '%s' is not an IPv6 address", where, addr);
			return -EINVAL;
		}
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)v);
		cfg->prometheus_addrlen = sizeof(*in6);
	} else {
		if (inet_pton(AF_INET, addr, &in4->sin_addr) != 1) {
			set_err(err, errlen, "%s: '%s' is not an IPv4 address (IPv6: [ADDR]:PORT)",
				where, addr);
			return -EINVAL;
		}
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)v);
		cfg->prometheus_addrlen = sizeof(*in4);
	}
	strcpy(cfg->prometheus, value);
	return 0;
}

static const struct opt_desc *find_option(const char *name)
{
	for (size_t i = 0; i < NB_OPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

/*
 * rte_cfgfile logs its own parse errors through rte_log; silence them
 * while loading so the user sees our single line, then restore.
 */
static struct rte_cfgfile *load_quietly(const char *path)
{
	struct rte_cfgfile *f;
	uint32_t global = rte_log_get_global_level();

	rte_log_set_global_level(RTE_LOG_EMERG);
	f = rte_cfgfile_load(path, CFG_FLAG_GLOBAL_SECTION);
	rte_log_set_global_level(global);
	return f;
}

static int load_file(struct dpp_config *cfg, const char *path, char *err, size_t errlen)
{
	struct rte_cfgfile *f;
	int nb_sections, rc = 0;
	FILE *probe;

	/* Open it ourselves first to report the real reason (ENOENT, EACCES, EISDIR). */
	probe = fopen(path, "r");
	if (probe == NULL) {
		set_err(err, errlen, "--config %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (fgetc(probe) == EOF && ferror(probe)) {
		set_err(err, errlen, "--config %s: %s", path, strerror(errno));
		fclose(probe);
		return -EINVAL;
	}
	fclose(probe);

	f = load_quietly(path);
	if (f == NULL) {
		set_err(err, errlen,
			"--config %s: malformed INI file (expect [probe] and key = value lines)",
			path);
		return -EINVAL;
	}

	nb_sections = rte_cfgfile_num_sections(f, NULL, 0);
	for (int s = 0; s < nb_sections && rc == 0; s++) {
		char secname[CFG_NAME_LEN];
		struct rte_cfgfile_entry *entries;
		int n;

		/* Walk sections by index: this also fills secname. */
		n = rte_cfgfile_section_num_entries_by_index(f, secname, s);
		if (n < 0) {
			set_err(err, errlen, "--config %s: cannot read section %d", path, s);
			rc = -EINVAL;
			break;
		}
		if (strcmp(secname, "GLOBAL") != 0 && strcmp(secname, DPP_INI_SECTION) != 0) {
			set_err(err, errlen, "--config %s: unknown section [%s] (expected [%s])",
				path, secname, DPP_INI_SECTION);
			rc = -EINVAL;
			break;
		}
		if (n == 0)
			continue;
		entries = calloc((size_t)n, sizeof(*entries));
		if (entries == NULL) {
			set_err(err, errlen, "--config %s: out of memory", path);
			rc = -EINVAL;
			break;
		}
		n = rte_cfgfile_section_entries_by_index(f, s, secname, entries, n);
		for (int e = 0; e < n && rc == 0; e++) {
			const struct opt_desc *o = find_option(entries[e].name);
			char where[PATH_MAX + CFG_NAME_LEN + 16];

			snprintf(where, sizeof(where), "--config %s: %s", path, entries[e].name);
			if (o == NULL || strcmp(entries[e].name, "config") == 0) {
				set_err(err, errlen, "--config %s: unknown key '%s'", path,
					entries[e].name);
				rc = -EINVAL;
			} else {
				rc = apply(cfg, o, entries[e].value, where, err, errlen);
			}
		}
		free(entries);
	}
	rte_cfgfile_close(f);
	return rc;
}

const char *dpp_config_usage(void)
{
	static char buf[16384];
	size_t len;

	if (buf[0] != '\0')
		return buf;
	len = (size_t)snprintf(buf, sizeof(buf),
			       "Usage: dpprobe [EAL options] -- [probe options]\n\n"
			       "Probe options (each also a key of the [probe] section of --config):\n"
			       "  -c, --config FILE          INI file (rte_cfgfile format)\n");
	for (size_t i = 0; i < NB_OPTIONS && len < sizeof(buf); i++) {
		char lhs[40];

		snprintf(lhs, sizeof(lhs), "--%s %s", options[i].name,
			 options[i].kind == OPT_PATH ? "PATH" :
			 options[i].kind == OPT_SECONDS ? "SEC" :
			 options[i].kind == OPT_DIST || options[i].kind == OPT_CHOICE ? "MODE" :
			 options[i].kind == OPT_LISTEN ? "[ADDR:]PORT" :
			 options[i].kind == OPT_NUMBER ? "X" : "N");
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "  %-26s %s\n", lhs,
					options[i].help);
	}
	if (len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len,
			 "  -h, --help                 this text\n"
			 "  -V, --version              print the version\n\n"
			 "Example: dpprobe --no-pci --no-huge -m 256 -l 0,1 "
			 "--vdev net_pcap0,rx_pcap=in.pcap -- --stats stats.jsonl\n");
	return buf;
}

/* The ring-sizing study's options only make sense together: say which one is missing. */
static int check_load(const struct dpp_config *cfg, char *err, size_t errlen)
{
	if ((cfg->stall_us > 0) != (cfg->stall_every > 0)) {
		set_err(err, errlen, "%s: needs %s too", cfg->stall_us > 0 ? "--stall-us" :
			"--stall-every", cfg->stall_us > 0 ? "--stall-every N" : "--stall-us V");
		return -EINVAL;
	}
	if (cfg->load == DPP_LOAD_NONE) {
		if (cfg->load_capture[0] != '\0' || cfg->load_record[0] != '\0' ||
		    cfg->load_packets != 0) {
			set_err(err, errlen, "%s: needs --load const|burst|poisson",
				cfg->load_capture[0] != '\0' ? "--load-capture" :
				cfg->load_record[0] != '\0' ? "--load-record" : "--load-packets");
			return -EINVAL;
		}
		return DPP_CONFIG_RUN;
	}
	if (cfg->dist_sw) {
		set_err(err, errlen, "--load: works with --dist queues only (the producer is the NIC)");
		return -EINVAL;
	}
	if (cfg->load_rate > cfg->load_line_rate) {
		set_err(err, errlen, "--load-rate: %.0f is above --load-line-rate %.0f",
			cfg->load_rate, cfg->load_line_rate);
		return -EINVAL;
	}
	if (cfg->load == DPP_LOAD_BURST && cfg->load_rate >= cfg->load_line_rate) {
		set_err(err, errlen, "--load-rate: bursts need a mean rate below --load-line-rate");
		return -EINVAL;
	}
	return DPP_CONFIG_RUN;
}

int dpp_config_parse(struct dpp_config *cfg, int argc, char *const argv[], char *err,
		     size_t errlen)
{
	struct option longopts[NB_OPTIONS + 4];
	const char *config_path = NULL;
	int opt, rc;

	dpp_config_defaults(cfg);

	for (size_t i = 0; i < NB_OPTIONS; i++)
		longopts[i] = (struct option){options[i].name, required_argument, NULL,
					      OPT_ID_BASE + (int)i};
	longopts[NB_OPTIONS] = (struct option){"config", required_argument, NULL, 'c'};
	longopts[NB_OPTIONS + 1] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[NB_OPTIONS + 2] = (struct option){"version", no_argument, NULL, 'V'};
	longopts[NB_OPTIONS + 3] = (struct option){NULL, 0, NULL, 0};

	/*
	 * Pass 1 finds --config, --help and --version and rejects unknown
	 * options; pass 2 applies the rest over the file's values.
	 */
	opterr = 0;
	optind = 0; /* 0 makes glibc re-initialise getopt between passes */
	while ((opt = getopt_long(argc, argv, ":c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			return DPP_CONFIG_HELP;
		case 'V':
			return DPP_CONFIG_VERSION;
		case ':':
			set_err(err, errlen, "%s: a value is required", argv[optind - 1]);
			return -EINVAL;
		case '?':
			if (optopt != 0)
				set_err(err, errlen, "-%c: unknown option", optopt);
			else
				set_err(err, errlen, "%s: unknown option", argv[optind - 1]);
			return -EINVAL;
		default:
			break;
		}
	}
	if (optind < argc) {
		set_err(err, errlen, "%s: unexpected argument (options take the form --name VALUE)",
			argv[optind]);
		return -EINVAL;
	}

	if (config_path != NULL) {
		if (strlen(config_path) >= sizeof(cfg->config_file)) {
			set_err(err, errlen, "--config: path too long");
			return -EINVAL;
		}
		strcpy(cfg->config_file, config_path);
		rc = load_file(cfg, config_path, err, errlen);
		if (rc < 0)
			return rc;
	}

	optind = 0;
	while ((opt = getopt_long(argc, argv, ":c:hV", longopts, NULL)) != -1) {
		if (opt >= OPT_ID_BASE && opt < OPT_ID_BASE + (int)NB_OPTIONS) {
			const struct opt_desc *o = &options[opt - OPT_ID_BASE];
			char where[64];

			snprintf(where, sizeof(where), "--%s", o->name);
			rc = apply(cfg, o, optarg, where, err, errlen);
			if (rc < 0)
				return rc;
		}
	}

	if (cfg->flows_path[0] == '\0') {
		set_err(err, errlen, "--flows: a path is required");
		return -EINVAL;
	}
	return check_load(cfg, err, errlen);
}
