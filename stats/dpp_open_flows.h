/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_OPEN_FLOWS_H
#define DPP_OPEN_FLOWS_H

/**
 * @file
 * stats, open flows (CONTRACT "Live interfaces", /dpprobe/flows,N): the
 * open flows with the most retransmissions, found by the workers in their
 * own tables when asked. No DPDK in here.
 *
 * A flow table is its worker's alone, so nobody else reads it. Each
 * worker has one board. An asker (one at a time: the caller serialises
 * them) raises req_seq; the worker, between polls (never inside a burst),
 * scans a few entries of its table per loop (DPP_OPEN_FLOWS_STEP) into the
 * board's top list and, once past the last entry, stores pub_seq =
 * req_seq with release order. The asker reads the list only after an
 * acquire load shows pub_seq == req_seq, and raises req_seq again only
 * then, so the worker never writes the list while it is read. A worker
 * that has stopped, or is late, is left out of the answer and counted.
 */

#include <stdbool.h>
#include <stdint.h>

#include "dpp_flow.h"

/** Most flows a board keeps, and an answer gives. */
#define DPP_OPEN_FLOWS_MAX 32

/** Table entries a worker scans per loop while a request is pending. */
#define DPP_OPEN_FLOWS_STEP 64

/** One open flow of an answer. */
struct dpp_open_flow {
	struct dpp_flow_record rec; /**< As if it ended now (end_reason "exit"), lcore set. */
	bool half_open;		    /**< Its handshake is not over. */
};

struct dpp_open_flows {
	uint64_t req_seq; /**< Written by the asker. */
	uint64_t pub_seq; /**< Written by the worker. */
	/* Worker-side scan state. */
	uint32_t cursor;
	uint32_t min_retrans;
	bool scanning;
	uint16_t lcore;
	/* The top list: written by the worker while pub_seq < req_seq. */
	uint16_t nb;
	struct dpp_open_flow top[DPP_OPEN_FLOWS_MAX];
};

/** Worker lcore's board, before its worker starts. */
void dpp_open_flows_init(struct dpp_open_flows *b, uint16_t lcore);

/**
 * Worker, between polls: advance a requested scan of table t by
 * DPP_OPEN_FLOWS_STEP entries. O(1) when no request is pending.
 */
void dpp_open_flows_step(struct dpp_open_flows *b, const struct dpp_flow_table *t);

/** What dpp_open_flows_query() found. */
struct dpp_open_flows_answer {
	uint16_t workers;  /**< Boards asked. */
	uint16_t answered; /**< Of them, those whose scan ended in time. */
	uint32_t nb;	   /**< Flows in flows[], most retransmitting first. */
	struct dpp_open_flow flows[DPP_OPEN_FLOWS_MAX];
};

/**
 * Asker (one at a time): ask every board for a scan, wait up to
 * timeout_ms for them, and merge their lists: the n (at most
 * DPP_OPEN_FLOWS_MAX) open flows with the most retransmissions, then the
 * most packets. A board whose previous scan is still running is not asked
 * again; it answers once that scan ends.
 */
void dpp_open_flows_query(struct dpp_open_flows *const *boards, uint16_t nb_boards, uint32_t n,
			  unsigned int timeout_ms, struct dpp_open_flows_answer *a);

#endif /* DPP_OPEN_FLOWS_H */
