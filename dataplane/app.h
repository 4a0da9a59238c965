/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_APP_H
#define DPP_APP_H

/*
 * The probe process on its main lcore, private to dataplane/: what main.c
 * (options, EAL, ports, start and exit), setup.c (lcores, flow tables,
 * queues) and control.c (the control loop and the clean stop) share.
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dpp_dataplane.h"
#include "dpp_publish.h"

/* Exit statuses: 0 clean stop, 1 runtime failure, 2 bad input. */
#define EXIT_BAD_INPUT 2

struct app {
	struct dpp_config cfg;
	struct dpp_port ports[RTE_MAX_ETHPORTS];
	uint16_t nb_ports;
	uint16_t port_ids[RTE_MAX_ETHPORTS];
	struct dpp_lcore_ctx *workers[RTE_MAX_LCORE];
	uint16_t nb_workers;
	struct dpp_lcore_ctx *rx; /**< --dist sw: the RX lcore; NULL otherwise. */
	struct dpp_producer *producer; /**< --load: the ring port's producer; NULL otherwise. */
	struct dpp_stats_queue_src queues[RTE_MAX_ETHPORTS * 8];
	uint16_t nb_queues;
	struct dpp_stats_lcore_src lcores[RTE_MAX_LCORE];
	struct dpp_ring *rings[2 * RTE_MAX_LCORE];
	uint16_t nb_rings;
	struct dpp_stats_src src;
	void *flow_mem[RTE_MAX_LCORE];
	struct dpp_services *services[RTE_MAX_LCORE];
	struct dpp_open_flows *open_flows[RTE_MAX_LCORE]; /**< One board per worker. */
	size_t flow_mem_size;	 /**< Mapped per worker (2 MiB multiple). */
	size_t flow_table_bytes; /**< Used by each worker's table. */
	FILE *flows_out;
	FILE *stats_out;
	uint64_t flow_records;
	struct dpp_publisher *pub; /**< The latest snapshot, for Prometheus and telemetry. */
	struct dpp_prom *prom;     /**< --prometheus: the /metrics server; NULL when off. */
	int prom_fd;		   /**< --prometheus: its listening socket, bound before EAL. */
	bool output_failed;
	char output_error[PATH_MAX + 128]; /**< The first failure, as the one line printed. */
};

/* main.c */

/** One line "dpprobe: error: MSG" and exit status 2. */
void dpp_app_die_bad_input(const char *msg) __attribute__((noreturn));

/* setup.c */

/**
 * Give every lcore but the main one its role (worker, RX lcore, producer),
 * its flow table, services table and open-flows board, and its RX queues;
 * fill app->src, what snapshots read. Exits with status 2 on a bad setting.
 */
void dpp_app_setup_lcores(struct app *app);

/** Resident and huge-page-backed bytes of the flow tables now (for snapshots). */
void dpp_app_flow_mem_usage(struct app *app);

/* control.c */

/** Wall clock, ns since the epoch. */
uint64_t dpp_wall_now_ns(void);

/**
 * An output failed (a full disk, a closed pipe): keep the first failure as
 * the line to print; the control loop then stops the probe cleanly.
 */
void dpp_app_fail_output(struct app *app, const char *what, const char *path);

/** SIGINT and SIGTERM stop the control loop. */
void dpp_app_catch_signals(void);

/**
 * The control loop, once the lcores run: export flow records, write and
 * publish snapshots, until a signal, --duration, the end of every finite
 * input, a failed output or the producer's last packet.
 * @return Why it stopped, for the log.
 */
const char *dpp_app_run(struct app *app, struct dpp_stats_writer *sw);

/**
 * The clean stop: the producer and the RX lcore stop and drain, the
 * workers drain and flush their tables, every record is written, then
 * the final snapshot.
 */
void dpp_app_stop(struct app *app, struct dpp_stats_writer *sw);

#endif /* DPP_APP_H */
