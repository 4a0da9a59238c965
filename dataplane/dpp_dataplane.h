/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_DATAPLANE_H
#define DPP_DATAPLANE_H

/**
 * @file
 * dataplane: EAL, ports, the worker lcore loop and the main lcore's control
 * loop. A packet goes: rte_eth_rx_burst (worker.c) -> dpp_tcp_parse
 * (tcpparse/) -> dpp_flow_table_packet (tcpparse/) -> an ended flow's
 * record -> the worker's export ring (rings/) -> the main lcore -> JSON
 * (stats/).
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "dpp_config.h"
#include "dpp_rings.h"
#include "dpp_stats.h"
#include "dpp_open_flows.h"
#include "dpp_flow.h"

extern int dpp_dataplane_logtype;
#define DPP_LOG(level, ...)                                                                       \
	rte_log(RTE_LOG_##level, dpp_dataplane_logtype, "dpprobe: " __VA_ARGS__)

#define DPP_MAX_QUEUES_PER_LCORE 64
#define DPP_MAX_WORKERS 64

/** What an lcore does with the packets it polls. */
enum dpp_lcore_role {
	DPP_ROLE_WORKER, /**< Parses and tracks the packets of its RX queues or ring. */
	DPP_ROLE_RX,     /**< --dist sw: spreads its RX queues' packets over workers' rings. */
};

/**
 * One packet source of an lcore: an RX queue of a port or, for a worker fed
 * by an RX lcore (--dist sw), the ring that lcore fills.
 */
struct dpp_rxq {
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t ring_size;
	uint16_t link_type; /**< enum dpp_link_type of its frames. */
	uint32_t snaplen;   /**< A capture file's snap length; 0 on a live port. */
	bool pcap_time; /**< Packets carry net_pcap's record time (us) in the dynfield. */
	/* Records of 64 KiB or more of its capture file (see struct dpp_big_record). */
	const struct dpp_big_record *big;
	uint32_t nb_big;
	uint32_t big_next; /**< The next one to come. */
	/** A capture file that stops being readable: its complete records; 0: no limit. */
	uint64_t max_records;
	struct dpp_ring *dist_ring; /**< Non-NULL: dequeue mbufs from here, not from the port. */
	struct dpp_ring_port *ring_port; /**< Non-NULL: the study's ring port (exact occupancy). */
	struct dpp_rxq_stats stats;
};

/**
 * Everything one worker touches, passed as its launch argument. Written by
 * the worker only, except `stop`, which the main lcore sets.
 */
struct dpp_lcore_ctx {
	uint16_t lcore_id;
	uint8_t role; /**< enum dpp_lcore_role */
	uint16_t nb_rxq;
	/* RX lcore only: one ring per worker, indexed by flow hash. */
	uint16_t nb_dist;
	struct dpp_ring *dist[DPP_MAX_WORKERS];
	uint16_t burst;
	volatile bool stop; /**< Main lcore asks the worker to drain and flush. */
	volatile bool done; /**< Worker has flushed its table and exited. */
	struct dpp_rxq rxq[DPP_MAX_QUEUES_PER_LCORE];
	struct dpp_flow_table *flows;
	struct dpp_services *services; /**< Services of the flows this worker ends. */
	struct dpp_open_flows *open_flows; /**< Its most retransmitting open flows, when asked. */
	struct dpp_ring *export_ring;
	bool flushing;      /**< At exit: retry the export ring instead of dropping. */
	bool export_wait;   /**< Input is finite captures only: wait for the exporter, never drop. */
	uint8_t *linear;    /**< 64 KiB to parse chained (jumbo) mbufs contiguously. */
	/* Packet-time clock. */
	int ts_dynfield_offset; /**< -1 if no timestamp dynfield is registered. */
	uint64_t ts_dynflag;    /**< ol_flags bit that says the dynfield is valid. */
	uint64_t tsc_hz;
	uint64_t tsc_base;      /**< TSC at wall_base_ns. */
	uint64_t wall_base_ns;  /**< Wall clock at start, ns since the epoch. */
	uint64_t last_pkt_ns;   /**< Latest packet time seen; drives aging. */
	/* Knobs of the ring-sizing study: a slower probe, interrupted polls. */
	double work_cycles;     /**< Extra cost per packet (mean); 0: none. */
	bool work_exp;          /**< Exponential rather than fixed. */
	uint64_t rng;           /**< State of the exponential draws. */
	uint64_t stall_cycles;  /**< Injected stall; 0: none. */
	uint32_t stall_every;   /**< Loop iterations between two stalls. */
	uint32_t stall_count;
	struct dpp_lcore_counters counters;
} __rte_cache_aligned;

/** The worker loop, launched with rte_eal_remote_launch(). arg is a struct dpp_lcore_ctx. */
int dpp_worker_main(void *arg);

/**
 * The RX lcore loop of --dist sw: poll RX queues, hash each packet's flow
 * symmetrically and hand it to that flow's worker over a ring. A full ring
 * drops the packet, counted as that ring's enq_drops.
 */
int dpp_rx_main(void *arg);

/**
 * Flow sink used by the tracker: copies a record into the export ring and,
 * once it is in, adds it to the worker's services.
 */
int dpp_worker_export(void *arg, const struct dpp_flow_record *rec);

/** Flow-open callback of the tracker: the service gains an active flow. arg is the ctx. */
void dpp_worker_flow_open(void *arg, uint8_t ip_version, const uint8_t ip[16], uint16_t port,
			  uint64_t ts_ns);

/**
 * A capture record whose length on the wire the probe must know, which
 * net_pcap does not hand over: one of 64 KiB or more (net_pcap keeps only
 * its first length mod 64 KiB bytes and says nothing), or a sliced one
 * whose IP length goes beyond its wire length (malformed, not sliced). The
 * probe notes, before it starts, which records those are.
 */
struct dpp_big_record {
	uint64_t index;	   /**< Record number in the file, from 0. */
	uint32_t orig_len; /**< The frame's length on the wire. */
};

/** One queue of a port: what its frames are (net_pcap: one capture file each). */
struct dpp_port_queue {
	uint16_t link_type; /**< enum dpp_link_type. */
	uint32_t snaplen;   /**< Capture file's snap length, 0 for a live queue. */
	uint64_t records;   /**< Complete records in its file (finite captures). */
	bool corrupt;	    /**< The file stops being readable after `records`. */
	const struct dpp_big_record *big; /**< Its records of 64 KiB or more, in order. */
	uint32_t nb_big;
};

/** Per-port facts the control loop needs. */
struct dpp_port {
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t nb_txq; /**< Only for PMDs that refuse RX queues without TX queues; never used. */
	uint16_t ring_size;
	int socket_id;
	bool finite;    /**< A net_pcap rx_pcap= file without infinite_rx: it ends. */
	bool pcap_time; /**< net_pcap: the dynfield holds the pcap record time in us. */
	char driver[32];
	struct dpp_port_queue queue[DPP_MAX_QUEUES_PER_LCORE];
};

/**
 * Configure and start every port: queues, ring sizes, mempools per socket.
 *
 * @param cfg    Validated options.
 * @param ports  Out: array of rte_eth_dev_count_avail() entries.
 * @param nb_workers Worker lcores available.
 * @param err, errlen  One-line reason on failure.
 * @return Number of ports (> 0), or -errno.
 */
int dpp_ports_setup(const struct dpp_config *cfg, struct dpp_port *ports, uint16_t nb_workers,
		    char *err, size_t errlen);

/** What a capture file is, from dpp_capture_inspect(). */
struct dpp_capture_info {
	char path[PATH_MAX];
	int link_type;	      /**< LINKTYPE_* of the file (its first interface for pcapng). */
	uint32_t snaplen;     /**< The file's snap length. */
	uint64_t size;	      /**< Bytes. */
	uint64_t records;     /**< Complete packet records libpcap will return. */
	bool counted;	      /**< records was counted. */
	struct dpp_big_record *big; /**< Records of 64 KiB or more (malloc'd), in order. */
	uint32_t nb_big;
	uint64_t cut_below_snaplen; /**< Records cut short of their wire length below the snap length. */
	uint64_t stop_offset; /**< Non-zero: the file stops being readable here... */
	char stop_why[160];    /**< ...for this reason (cut short, corrupt header). */
};

/**
 * Open a capture file as net_pcap will (libpcap), check its link type, and
 * count its complete records.
 *
 * @return 0 (a truncated file too: see stop_offset), -EINVAL if libpcap
 *   cannot read it, -ENOTSUP for a link type the parser does not decode,
 *   another -errno; err holds one line naming the file and the reason.
 */
int dpp_capture_inspect(const char *path, struct dpp_capture_info *ci, char *err, size_t errlen);

/** The result of dpp_captures_check() for a file, or NULL if it did not see it. */
const struct dpp_capture_info *dpp_capture_find(const char *path);

/** The rx_pcap= paths of a vdev argument string, in queue order; returns how many. */
unsigned int dpp_capture_paths(const char *devargs, char paths[][PATH_MAX], unsigned int max);

/**
 * Check every rx_pcap= file of every net_pcap --vdev in the EAL arguments
 * before EAL starts; print one warning line per truncated file.
 *
 * @return 0, or -errno with err filled (exit 2).
 */
int dpp_captures_check(int argc, char **argv, char *err, size_t errlen);

/**
 * The ring-sizing study's producer lcore: the NIC of a ring port
 * (dataplane/producer.c). Written by the producer, except `stop`.
 */
struct dpp_producer {
	struct dpp_ring_port *rp;
	struct rte_mempool *pool;
	uint16_t lcore_id;
	uint16_t link_type;  /**< Of the frames offered (a --load-capture's). */
	uint32_t profile;    /**< enum dpp_load_profile. */
	double rate, line_rate;
	uint32_t burst;
	uint64_t packets;    /**< 0: until stopped. */
	uint32_t flows;
	uint64_t rng;
	uint64_t tsc_hz;
	uint8_t **frames;    /**< --load-capture frames; NULL: synthetic TCP. */
	uint16_t *frame_len;
	uint32_t nb_frames;
	volatile bool stop;
	volatile bool done;
};

/**
 * Build the ring port (--rxd slots), its pool and the producer's frames
 * from the options. Call after rte_eal_init and before dpp_ports_setup,
 * which then configures the ring port like any other.
 * @return 0, or -errno with err filled (one line).
 */
int dpp_producer_setup(const struct dpp_config *cfg, struct dpp_producer **p, char *err,
		       size_t errlen);

/** The producer loop, launched on its lcore. arg is a struct dpp_producer. */
int dpp_producer_main(void *arg);

/** True once the producer is done and the worker took every packet it enqueued. */
bool dpp_producer_drained(const struct dpp_producer *p);

/** Free the producer, its pool and ring port (after the port is closed). */
void dpp_producer_free(struct dpp_producer *p);

/** Set a worker's --work-ns and --stall-us knobs from the options. */
void dpp_worker_knobs(struct dpp_lcore_ctx *ctx, const struct dpp_config *cfg);

/** A seed for dpp_rng_exp's generator state (never 0). */
uint64_t dpp_rng_seed(uint32_t seed);

/** An exponential draw of the given mean. */
double dpp_rng_exp(uint64_t *state, double mean);

/** Free what dpp_captures_check() kept (after the ports are closed). */
void dpp_captures_free(void);

/** Stop and close every port. */
void dpp_ports_close(struct dpp_port *ports, uint16_t nb_ports);

#endif /* DPP_DATAPLANE_H */
