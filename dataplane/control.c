/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main lcore once the others run: the control loop (move ended flows'
 * records from the workers' export rings to the flows output, write the
 * stats snapshot and publish it for Prometheus and telemetry every
 * --stats-interval, decide when to stop) and the clean stop (the producer,
 * the RX lcore, then the workers drain; the final snapshot).
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "app.h"

/* How often the control loop checks whether finite captures are all read. */
#define DPP_EOF_CHECK_MS 50
/* Quiet checks in a row (rx returns 0, no error counter grows) that mean end of input. */
#define DPP_EOF_QUIET_CHECKS 3

static volatile sig_atomic_t signal_received;

static void on_signal(int sig)
{
	signal_received = sig;
}

void dpp_app_catch_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t dpp_wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * An output failed (a full disk, a closed pipe): remember the first failure
 * as the line to print; the control loop then stops the probe cleanly
 * rather than lose records silently for the rest of the run.
 */
void dpp_app_fail_output(struct app *app, const char *what, const char *path)
{
	int e = errno != 0 ? errno : EIO;

	if (app->output_failed)
		return;
	app->output_failed = true;
	snprintf(app->output_error, sizeof(app->output_error), "--%s %s: write failed: %s", what,
		 path, strerror(e));
}
/*
 * Move ended-flow records from every worker's ring to the flows output.
 * At most one ring's worth from each worker per call: under a SYN flood a
 * worker can end flows as fast as they are written, and an unbounded drain
 * would never return to the control loop (no snapshots, no --duration, no
 * signal handling). What is left stays for the next call.
 */
static unsigned int drain_exports(struct app *app)
{
	struct dpp_flow_record recs[32];
	unsigned int total = 0;

	for (uint16_t w = 0; w < app->nb_workers; w++) {
		struct dpp_ring *ring = app->workers[w]->export_ring;
		unsigned int budget = ring->size;
		unsigned int n;

		while (budget > 0 &&
		       (n = dpp_ring_dequeue(ring, recs, RTE_MIN(budget, RTE_DIM(recs)))) > 0) {
			for (unsigned int i = 0; i < n; i++) {
				if (!app->output_failed &&
				    dpp_flow_json_write(app->flows_out, &recs[i]) != 0)
					dpp_app_fail_output(app, "flows", app->cfg.flows_path);
				dpp_publisher_note_flow(app->pub, &recs[i]);
			}
			total += n;
			budget -= n;
		}
	}
	app->flow_records += total;
	return total;
}

/*
 * End of finite captures: DPDK gives no signal, so watch for every queue
 * being polled and returning nothing while the ports' ierrors and
 * rx_nombuf stand still (an empty pool also makes rx return 0, but then
 * rx_nombuf grows).
 */
struct eof_watch {
	uint64_t packets;
	uint64_t polls;
	uint64_t errors;
	int quiet;
};

/*
 * The quick answer: every capture's complete records (counted before EAL
 * started) have been taken from its queue, and none wait in the RX
 * lcore's rings. No waiting for quiet polls, so a small capture ends in
 * milliseconds. False when a count is unknown.
 */
static bool inputs_all_read(const struct app *app)
{
	for (uint16_t p = 0; p < app->nb_ports; p++)
		if (!app->ports[p].finite)
			return false;
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		const struct dpp_stats_queue_src *src = &app->queues[q];
		const struct dpp_port *port = NULL;

		for (uint16_t p = 0; p < app->nb_ports; p++)
			if (app->ports[p].port_id == src->port_id)
				port = &app->ports[p];
		if (port == NULL || src->queue_id >= RTE_DIM(port->queue) ||
		    src->rx->packets < port->queue[src->queue_id].records ||
		    port->queue[src->queue_id].records == 0)
			return false;
	}
	if (app->rx != NULL)
		for (uint16_t w = 0; w < app->rx->nb_dist; w++)
			if (dpp_ring_count(app->rx->dist[w]) != 0)
				return false;
	/* And every worker has tracked all it polled (it counts packets after a burst). */
	for (uint16_t w = 0; w < app->nb_workers; w++) {
		const struct dpp_lcore_ctx *ctx = app->workers[w];
		uint64_t polled = 0;

		for (uint16_t i = 0; i < ctx->nb_rxq; i++)
			polled += __atomic_load_n(&ctx->rxq[i].stats.packets, __ATOMIC_RELAXED);
		if (__atomic_load_n(&ctx->counters.packets, __ATOMIC_ACQUIRE) != polled)
			return false;
	}
	return true;
}

static bool inputs_exhausted(struct app *app, struct eof_watch *ew)
{
	uint64_t packets = 0, polls = 0, errors = 0;
	uint64_t min_polls = UINT64_MAX;

	for (uint16_t p = 0; p < app->nb_ports; p++) {
		struct rte_eth_stats st;

		if (!app->ports[p].finite)
			return false;
		if (rte_eth_stats_get(app->ports[p].port_id, &st) == 0)
			errors += st.ierrors + st.rx_nombuf;
	}
	/*
	 * net_pcap returns 0 without counting anything when its pool is empty,
	 * which looks like the end of the file: not the end while packets
	 * still wait in the RX lcore's rings (they hold mbufs).
	 */
	if (app->rx != NULL)
		for (uint16_t w = 0; w < app->rx->nb_dist; w++)
			if (dpp_ring_count(app->rx->dist[w]) != 0) {
				ew->quiet = 0;
				return false;
			}
	for (uint16_t q = 0; q < app->nb_queues; q++) {
		packets += app->queues[q].rx->packets;
		polls += app->queues[q].rx->polls;
		if (app->queues[q].rx->polls < min_polls)
			min_polls = app->queues[q].rx->polls;
	}
	if (packets == ew->packets && errors == ew->errors && polls > ew->polls + app->nb_queues &&
	    min_polls > 0)
		ew->quiet++;
	else
		ew->quiet = 0;
	ew->packets = packets;
	ew->polls = polls;
	ew->errors = errors;
	return ew->quiet >= DPP_EOF_QUIET_CHECKS;
}

static void write_snapshot(struct app *app, struct dpp_stats_writer *sw, bool final)
{
	double ts = wall_now();

	if (sw == NULL && app->pub == NULL)
		return;
	dpp_app_flow_mem_usage(app);
	errno = 0;
	if (sw != NULL && dpp_stats_write(sw, ts, final) != 0)
		dpp_app_fail_output(app, "stats", app->cfg.stats_path);
	/*
	 * The live interfaces' copy, with or without --stats
	 * (stats/dpp_publish.h), right after the JSON line: the services
	 * copies that line asked the workers for are the ones it merges.
	 */
	if (app->pub != NULL)
		dpp_publisher_snapshot(app->pub, ts, final, sw == NULL,
				       sw != NULL ? dpp_stats_writer_totals(sw) : NULL);
}

const char *dpp_app_run(struct app *app, struct dpp_stats_writer *sw)
{
	struct eof_watch ew = {0};
	double start, next_stats, next_eof_check;
	const char *why = "end of input";

	start = wall_now();
	next_stats = start + app->cfg.stats_interval_s;
	next_eof_check = start + DPP_EOF_CHECK_MS / 1000.0;
	for (;;) {
		double now;

		if (drain_exports(app) == 0) {
			if (inputs_all_read(app)) {
				/* The table as the input left it, before the exit flush. */
				write_snapshot(app, sw, false);
				break;
			}
			rte_delay_us_sleep(1000);
		} else {
			errno = 0;
			if (fflush(app->flows_out) != 0)
				dpp_app_fail_output(app, "flows", app->cfg.flows_path);
		}
		now = wall_now();
		if (now >= next_stats) {
			write_snapshot(app, sw, false);
			next_stats += app->cfg.stats_interval_s;
			if (next_stats < now)
				next_stats = now + app->cfg.stats_interval_s;
		}
		if (signal_received) {
			why = signal_received == SIGINT ? "SIGINT" : "SIGTERM";
			break;
		}
		if (app->output_failed) {
			why = "an output failed";
			break;
		}
		if (app->cfg.duration_s > 0 && now - start >= app->cfg.duration_s) {
			why = "--duration";
			break;
		}
		if (now >= next_eof_check) {
			next_eof_check = now + DPP_EOF_CHECK_MS / 1000.0;
			if (inputs_exhausted(app, &ew))
				break;
		}
		if (app->producer != NULL && dpp_producer_drained(app->producer)) {
			why = "--load-packets offered";
			break;
		}
	}
	return why;
}

void dpp_app_stop(struct app *app, struct dpp_stats_writer *sw)
{
	unsigned int lcore_id;

	/*
	 * Clean stop: the producer (if any) stops offering, the RX lcore (if
	 * any) drains its queues into the workers' rings; then workers drain
	 * and flush their tables.
	 */
	if (app->producer != NULL) {
		app->producer->stop = true;
		while (!__atomic_load_n(&app->producer->done, __ATOMIC_ACQUIRE)) {
			drain_exports(app);
			rte_delay_us_sleep(100);
		}
	}
	if (app->rx != NULL) {
		app->rx->stop = true;
		while (!__atomic_load_n(&app->rx->done, __ATOMIC_ACQUIRE)) {
			drain_exports(app);
			rte_delay_us_sleep(100);
		}
	}
	for (uint16_t w = 0; w < app->nb_workers; w++)
		app->workers[w]->stop = true;
	for (;;) {
		bool all_done = true;

		drain_exports(app);
		for (uint16_t w = 0; w < app->nb_workers; w++)
			all_done &= __atomic_load_n(&app->workers[w]->done, __ATOMIC_ACQUIRE);
		if (all_done)
			break;
		rte_delay_us_sleep(100);
	}
	RTE_LCORE_FOREACH_WORKER(lcore_id)
		rte_eal_wait_lcore(lcore_id);
	while (drain_exports(app) != 0)
		;
	errno = 0;
	if (fflush(app->flows_out) != 0)
		dpp_app_fail_output(app, "flows", app->cfg.flows_path);

	write_snapshot(app, sw, true);
}
