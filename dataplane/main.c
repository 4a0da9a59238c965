/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpprobe: options and capture files checked before EAL starts, EAL, the
 * ports (port.c), the lcores (setup.c), the outputs and live interfaces,
 * then the control loop and the clean stop (control.c), and the exit:
 * status 0 after a clean stop, 1 when an output failed, 2 on bad input.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <numa.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_version.h>

#include "app.h"
RTE_LOG_REGISTER(dpp_dataplane_logtype, dpprobe.dataplane, NOTICE);

void dpp_app_die_bad_input(const char *msg)
{
	fprintf(stderr, "dpprobe: error: %s\n", msg);
	exit(EXIT_BAD_INPUT);
}

static FILE *open_output(const char *path, const char *what)
{
	FILE *f;
	char msg[PATH_MAX + 128];

	if (strcmp(path, "-") == 0)
		return stdout;
	f = fopen(path, "w");
	if (f == NULL) {
		snprintf(msg, sizeof(msg), "--%s %s: %s", what, path, strerror(errno));
		dpp_app_die_bad_input(msg);
	}
	/* Large buffer: records are flushed every loop and at each snapshot. */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/*
 * Split argv at "--": EAL options before, probe options after. A bare
 * `dpprobe --help` / `--version` is taken as a probe option.
 */
static int split_args(int argc, char **argv, int *eal_argc, char ***probe_argv, int *probe_argc)
{
	static char *only_name[2];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			*eal_argc = i;
			/* probe argv[0] is the program name, as getopt expects. */
			argv[i] = argv[0];
			*probe_argv = &argv[i];
			*probe_argc = argc - i;
			return 0;
		}
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		*eal_argc = 0;
		*probe_argv = argv;
		*probe_argc = argc;
		return 0;
	}
	*eal_argc = argc;
	only_name[0] = argv[0];
	*probe_argv = only_name;
	*probe_argc = 1;
	return 0;
}
int main(int argc, char **argv)
{
	static struct app app;
	char err[DPP_CONFIG_ERR_LEN];
	char **probe_argv;
	int eal_argc, probe_argc, rc;
	struct dpp_stats_writer *sw = NULL;
	const char *why;

	split_args(argc, argv, &eal_argc, &probe_argv, &probe_argc);

	/* Probe options are checked before EAL starts: a typo costs nothing. */
	rc = dpp_config_parse(&app.cfg, probe_argc, probe_argv, err, sizeof(err));
	if (rc < 0)
		dpp_app_die_bad_input(err);
	if (rc == DPP_CONFIG_HELP) {
		fputs(dpp_config_usage(), stdout);
		return 0;
	}
	if (rc == DPP_CONFIG_VERSION) {
		printf("dpprobe %s (DPDK %s)\n", DPP_VERSION, rte_version());
		return 0;
	}

	/* Capture files too: a wrong one is one line, before EAL prints anything. */
	rc = dpp_captures_check(eal_argc, argv, err, sizeof(err));
	if (rc < 0)
		dpp_app_die_bad_input(err);

	/* --prometheus: bind now, so a busy address is one line before EAL starts. */
	app.prom_fd = -1;
	if (app.cfg.prometheus[0] != '\0') {
		app.prom_fd = dpp_prom_listen((const struct sockaddr *)&app.cfg.prometheus_addr,
					      app.cfg.prometheus_addrlen, app.cfg.prometheus, err,
					      sizeof(err));
		if (app.prom_fd < 0)
			dpp_app_die_bad_input(err);
	}

	/*
	 * EAL's telemetry warns that it made no legacy socket (harmless), on
	 * stderr, before any error of ours: quiet by default (a later
	 * --log-level on the command line still wins).
	 */
	char **eal_argv = calloc((size_t)eal_argc + 2, sizeof(*eal_argv));
	static char quiet_telemetry[] = "--log-level=lib.telemetry:error";

	if (eal_argv == NULL)
		rte_exit(EXIT_FAILURE, "out of memory\n");
	eal_argv[0] = argv[0];
	eal_argv[1] = quiet_telemetry;
	for (int i = 1; i < eal_argc; i++)
		eal_argv[i + 1] = argv[i];
	rc = rte_eal_init(eal_argc > 0 ? eal_argc + 1 : 0, eal_argv);
	if (rc < 0) {
		snprintf(err, sizeof(err), "EAL initialisation failed: %s (check the EAL options "
			 "before --)", rte_strerror(rte_errno));
		dpp_app_die_bad_input(err);
	}

	if (rte_lcore_count() < 2)
		dpp_app_die_bad_input("-l: need at least two lcores (the main lcore controls, the others "
			      "poll), e.g. -l 0,1 or --lcores 0@0,1@0");

	/* --load: the ring port exists before the ports are set up, like any vdev. */
	if (app.cfg.load != DPP_LOAD_NONE) {
		rc = dpp_producer_setup(&app.cfg, &app.producer, err, sizeof(err));
		if (rc < 0)
			dpp_app_die_bad_input(err);
	}

	rc = dpp_ports_setup(&app.cfg, app.ports, (uint16_t)(rte_lcore_count() - 1), err,
			     sizeof(err));
	if (rc < 0)
		dpp_app_die_bad_input(err);
	app.nb_ports = (uint16_t)rc;
	for (uint16_t i = 0; i < app.nb_ports; i++) {
		app.port_ids[i] = app.ports[i].port_id;
		/* A replayed capture's frames are of its link type. */
		if (app.producer != NULL && app.ports[i].port_id == app.producer->rp->port_id)
			app.ports[i].queue[0].link_type = app.producer->link_type;
	}

	dpp_app_setup_lcores(&app);

	/* What Prometheus and telemetry read: published by this lcore only. */
	app.pub = dpp_publisher_create(&app.src);
	if (app.pub == NULL)
		rte_exit(EXIT_FAILURE, "cannot create the snapshot publisher\n");
	if (dpp_telemetry_register(app.pub, app.open_flows, app.nb_workers) != 0)
		DPP_LOG(WARNING, "cannot register the /dpprobe/ telemetry commands\n");

	/* Outputs are opened last, so a run that fails to start writes nothing. */
	app.flows_out = open_output(app.cfg.flows_path, "flows");
	if (app.cfg.stats_path[0] != '\0') {
		app.stats_out = open_output(app.cfg.stats_path, "stats");
		sw = dpp_stats_writer_create(app.stats_out, &app.src);
		if (sw == NULL)
			rte_exit(EXIT_FAILURE, "cannot create stats writer\n");
	}

	dpp_app_catch_signals();

	/* Started here, the control thread shares this lcore's CPUs, never a worker's. */
	if (app.prom_fd >= 0) {
		app.prom = dpp_prom_start(app.prom_fd, app.pub);
		if (app.prom == NULL)
			rte_exit(EXIT_FAILURE, "--prometheus %s: cannot start the HTTP server\n",
				 app.cfg.prometheus);
	}

	for (uint16_t w = 0; w < app.nb_workers; w++)
		rte_eal_remote_launch(dpp_worker_main, app.workers[w], app.workers[w]->lcore_id);
	if (app.rx != NULL)
		rte_eal_remote_launch(dpp_rx_main, app.rx, app.rx->lcore_id);
	if (app.producer != NULL)
		rte_eal_remote_launch(dpp_producer_main, app.producer, app.producer->lcore_id);

	why = dpp_app_run(&app, sw);
	DPP_LOG(INFO, "stopping (%s)\n", why);

	dpp_app_stop(&app, sw);
	dpp_stats_writer_free(sw);
	if (app.producer != NULL && app.cfg.load_record[0] != '\0' &&
	    dpp_ring_record_write(app.producer->rp, app.cfg.load_record) != 0) {
		errno = EIO;
		dpp_app_fail_output(&app, "load-record", app.cfg.load_record);
	}
	/* Readers stop before EAL goes: no scrape or telemetry answer after this. */
	dpp_prom_stop(app.prom);
	dpp_publisher_close(app.pub);
	dpp_telemetry_stop();

	errno = 0;
	if (app.flows_out != stdout && fclose(app.flows_out) != 0)
		dpp_app_fail_output(&app, "flows", app.cfg.flows_path);
	errno = 0;
	if (app.stats_out != NULL && app.stats_out != stdout && fclose(app.stats_out) != 0)
		dpp_app_fail_output(&app, "stats", app.cfg.stats_path);

	dpp_ports_close(app.ports, app.nb_ports);
	dpp_producer_free(app.producer);
	dpp_captures_free();
	for (uint16_t w = 0; w < app.nb_workers; w++)
		munmap(app.flow_mem[w], app.flow_mem_size);
	{
		/* Leave no empty runtime directory behind (rmdir fails if others use it). */
		char rundir[PATH_MAX];

		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		rmdir(rundir);
		free(eal_argv);
	}

	if (app.output_failed) {
		fprintf(stderr, "dpprobe: error: %s\n", app.output_error);
		return EXIT_FAILURE;
	}
	return 0;
}
