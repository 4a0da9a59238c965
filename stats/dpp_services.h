/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_SERVICES_H
#define DPP_SERVICES_H

/**
 * @file
 * stats, services (CONTRACT "Services"): what the flows to each server
 * ip:port came to. Each worker owns one bounded table, fed by the flows it
 * ends (and opens, for "active"); the main lcore merges the workers'
 * published copies at each snapshot and writes the top N and the rest as
 * "other". Included by dpp_stats.h; no DPDK in here.
 *
 * Handoff between a worker and the main lcore, without locks: each
 * worker has two published copies of its table. The main lcore asks for a
 * new copy by raising req_seq; the worker, between polls (never inside a
 * burst), copies a few entries per loop into copy[req_seq % 2] and, once
 * the whole table is in, stores pub_seq = req_seq with release order. The
 * main lcore reads only copy[pub_seq % 2] after an acquire load of
 * pub_seq, and raises req_seq again only once pub_seq has caught up, so
 * the copy it reads is never the one being written. At exit the workers
 * have stopped and the main lcore reads their live tables.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dpp_flow.h"
#include "dpp_json.h"

/** Entries of one worker's table: 64 sets of 8 ways. */
#define DPP_SERVICES_SETS 64
#define DPP_SERVICES_WAYS 8
#define DPP_SERVICES_SLOTS (DPP_SERVICES_SETS * DPP_SERVICES_WAYS)

/** A service without a flow event this long (packet time) is the first to go from a full set. */
#define DPP_SERVICES_AGE_NS (300ULL * 1000 * 1000 * 1000)

/** Log-scale histogram: 8 buckets per power of two, so a bucket's middle is within 6.25 %. */
#define DPP_HIST_BUCKETS 232

struct dpp_hist {
	uint64_t n;
	uint64_t max;
	uint64_t sum; /**< Of the values (a Prometheus histogram's _sum). */
	uint64_t count[DPP_HIST_BUCKETS];
};

/** Add one value (microseconds) to h. */
void dpp_hist_add(struct dpp_hist *h, uint64_t v);
/** Add every value of in to out. */
void dpp_hist_merge(struct dpp_hist *out, const struct dpp_hist *in);
/**
 * Values below 2^k (k >= 3): exact, 2^k starts a bucket. For the
 * Prometheus buckets le = 2^k - 1 microseconds.
 */
uint64_t dpp_hist_count_below_pow2(const struct dpp_hist *h, unsigned int k);
/** The q-quantile (0 < q <= 1) of h, within 6.25 % (the max exactly for q = 1); 0 if empty. */
uint64_t dpp_hist_quantile(const struct dpp_hist *h, double q);

/** Clients whose source ports a service counts (the busiest of each worker, space-saving). */
#define DPP_SERVICES_CLIENT_SLOTS 4
/** Registers of the HyperLogLog that counts a service's distinct clients. */
#define DPP_SERVICES_HLL 256

struct dpp_service_client {
	uint64_t ip_hash;   /**< 0: free. */
	uint64_t window_ns; /**< Start of the current --time-wait window. */
	uint32_t cur;	    /**< New source ports in the current window. */
	uint32_t prev;	    /**< ... in the previous one. */
	uint32_t max;	    /**< Largest sliding-window estimate seen. */
	uint32_t pad;
};

/** What the flows to one server ip:port (or to all the others) came to. */
struct dpp_service {
	uint8_t ip_version; /**< 0: a free entry. */
	uint8_t pad;
	uint16_t port;
	uint8_t ip[16];
	uint64_t last_ns; /**< Packet time of its last flow event (aging). */
	uint64_t flows;	  /**< Ended flows (records). */
	uint64_t active;  /**< Flows opened and not ended yet. */
	uint64_t cls[DPP_DIAG_CLASS_MAX];
	uint64_t cause[DPP_DIAG_CAUSE_MAX];
	uint64_t c2s_packets, c2s_retrans, s2c_packets, s2c_retrans;
	uint64_t port_reuse;
	uint32_t max_ports_per_client;
	uint8_t clients_hll[DPP_SERVICES_HLL];
	struct dpp_service_client client[DPP_SERVICES_CLIENT_SLOTS];
	struct dpp_hist syn_to_synack;
	struct dpp_hist synack_to_ack;
	struct dpp_hist server_response;
};

/** One worker's services: written by that worker only. */
struct dpp_services {
	uint64_t time_wait_ns;
	uint64_t evicted; /**< Entries folded into other to make room. */
	uint64_t fed;	  /**< Ended flows added (conservation: sum of flows + other.flows). */
	struct dpp_service other;
	struct dpp_service slot[DPP_SERVICES_SLOTS];
	/* Handoff to the main lcore (see the file comment). */
	uint64_t req_seq;   /**< Written by the main lcore. */
	uint64_t pub_seq;   /**< Written by the worker. */
	uint32_t copy_next; /**< Worker: next slot to copy into copy[req % 2]. */
	struct dpp_services_copy {
		uint64_t evicted;
		uint64_t fed;
		struct dpp_service other;
		struct dpp_service slot[DPP_SERVICES_SLOTS];
	} copy[2];
};

/** Bytes of one worker's services (live table and both copies). */
size_t dpp_services_size(void);

/** Initialise zeroed memory of dpp_services_size() bytes. */
void dpp_services_init(struct dpp_services *s, uint64_t time_wait_ns);

/** A flow was opened: server ip:port gains an active flow. Worker only. */
void dpp_services_open(struct dpp_services *s, uint8_t ip_version, const uint8_t ip[16],
		       uint16_t port, uint64_t ts_ns);

/** An ended flow's record was written: add it to its service. Worker only. */
void dpp_services_add(struct dpp_services *s, const struct dpp_flow_record *r);

/** An ended flow's record was lost (export drop): it is only no longer active. Worker only. */
void dpp_services_drop(struct dpp_services *s, const struct dpp_flow_record *r);

/** Worker, between polls: advance a requested copy by a few entries. O(1) when none is due. */
void dpp_services_publish_step(struct dpp_services *s);

/** Main lcore: ask every worker for a fresh copy, if the last one was delivered. */
void dpp_services_request(struct dpp_services *s);

/** Main lcore: true once the requested copy is complete. */
bool dpp_services_published(const struct dpp_services *s);

struct dpp_services_merged;

/** Main lcore: a merge buffer for nb tables; NULL on ENOMEM. */
struct dpp_services_merged *dpp_services_merged_create(uint16_t nb);
void dpp_services_merged_free(struct dpp_services_merged *m);

/**
 * Merge the workers' latest published copies (live: their live tables,
 * only once they have stopped) into m.
 */
void dpp_services_merge(struct dpp_services_merged *m, struct dpp_services *const *w, uint16_t nb,
			bool live);

/** Ended flows over all merged services and other (== records written at exit). */
uint64_t dpp_services_merged_flows(const struct dpp_services_merged *m);

/**
 * The top n merged services in the snapshot's order (flows plus failures),
 * and every other one folded into *other, as dpp_services_write_json()
 * shows them. out has room for n. Returns how many are in out.
 */
uint32_t dpp_services_merged_top(struct dpp_services_merged *m, uint32_t n,
				 const struct dpp_service **out, struct dpp_service *other);

/** Services merged (top and other together). */
uint32_t dpp_services_merged_count(const struct dpp_services_merged *m);

/** Distinct clients of a service (its HyperLogLog estimate, as in the JSON). */
uint64_t dpp_service_clients(const struct dpp_service *s);

/**
 * Write the members "services":[top n],"services_other":{...} and
 * "services_tables":{...} into the object j is writing.
 */
void dpp_services_write_json(struct dpp_json *j, const struct dpp_services_merged *m,
			     uint32_t top_n);

#endif /* DPP_SERVICES_H */
