/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ring-sizing study's NIC: a producer lcore that offers packets to a
 * ring port (rings/ring_port.c) with a load profile, stamps each with its
 * arrival time (TSC) and counts what does not fit as the NIC's imissed.
 *
 * Profiles (mean rate lambda = --load-rate):
 *  - const:   one packet every 1/lambda;
 *  - poisson: exponential gaps of mean 1/lambda;
 *  - burst:   --load-burst packets back to back at --load-line-rate (or as
 *             fast as this lcore can), then silence, so that the mean stays
 *             lambda (RFC 9004's back-to-back frames, repeated).
 * A producer preempted by the OS does not catch up in a burst the profile
 * never had: when it is more than DPP_LOAD_SLACK_US late, its schedule
 * moves on. The recorded arrival times are the ones that happened, and
 * the model replays those.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dpp_dataplane.h"

/* Late by more than this: move the schedule on rather than catch up. */
#define DPP_LOAD_SLACK_US 10
/* Frames kept from a --load-capture file, at most. */
#define DPP_LOAD_CAPTURE_MAX 65536
/* Bytes of payload in each synthetic data segment (a 64-byte frame). */
#define DPP_SYN_PAYLOAD 10
#define DPP_SYN_FRAME                                                                              \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + \
	 DPP_SYN_PAYLOAD)
/* Mempool cache of the producer's pool. */
#define DPP_LOAD_POOL_CACHE 256

/* xorshift64*: a fast, seedable generator for gaps and work (not for secrets). */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in (0, 1]. */
static inline double rng_unit(uint64_t *s)
{
	return ((double)(rng_next(s) >> 11) + 1.0) / 9007199254740992.0;
}

double dpp_rng_exp(uint64_t *state, double mean)
{
	return -log(rng_unit(state)) * mean;
}

uint64_t dpp_rng_seed(uint32_t seed)
{
	uint64_t s = 0x9E3779B97F4A7C15ull * ((uint64_t)seed + 1);

	return s != 0 ? s : 1;
}

/* Keep up to DPP_LOAD_CAPTURE_MAX frames of a capture, to replay in a loop. */
static int load_capture(struct dpp_producer *p, const char *path, uint16_t data_room, char *err,
			size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline(path, pcap_err);
	if (pc == NULL) {
		snprintf(err, errlen, "--load-capture %s: %s", path, pcap_err);
		return -EINVAL;
	}
	p->link_type = (uint16_t)pcap_datalink(pc);
	if (!dpp_link_type_supported(p->link_type)) {
		snprintf(err, errlen, "--load-capture %s: link type %u is not one the probe decodes",
			 path, p->link_type);
		pcap_close(pc);
		return -ENOTSUP;
	}
	p->frames = calloc(DPP_LOAD_CAPTURE_MAX, sizeof(*p->frames));
	p->frame_len = calloc(DPP_LOAD_CAPTURE_MAX, sizeof(*p->frame_len));
	if (p->frames == NULL || p->frame_len == NULL) {
		snprintf(err, errlen, "--load-capture %s: out of memory", path);
		pcap_close(pc);
		return -ENOMEM;
	}
	while (p->nb_frames < DPP_LOAD_CAPTURE_MAX && (rc = pcap_next_ex(pc, &h, &bytes)) == 1) {
		/* Frames longer than one mbuf are cut: the parser counts them as sliced. */
		uint16_t len = (uint16_t)RTE_MIN(h->caplen, (uint32_t)data_room);

		p->frames[p->nb_frames] = malloc(len);
		if (p->frames[p->nb_frames] == NULL)
			break;
		memcpy(p->frames[p->nb_frames], bytes, len);
		p->frame_len[p->nb_frames++] = len;
	}
	pcap_close(pc);
	if (p->nb_frames == 0) {
		snprintf(err, errlen, "--load-capture %s: no packets", path);
		return -EINVAL;
	}
	return 0;
}

int dpp_producer_setup(const struct dpp_config *cfg, struct dpp_producer **out, char *err,
		       size_t errlen)
{
	struct dpp_producer *p;
	uint64_t record_max = cfg->load_record[0] != '\0' ? cfg->load_record_max : 0;
	uint16_t data_room;
	uint32_t nb_mbufs;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "--load: out of memory");
		return -ENOMEM;
	}
	p->profile = cfg->load;
	p->rate = cfg->load_rate;
	p->line_rate = cfg->load_line_rate;
	p->burst = cfg->load_burst;
	p->packets = cfg->load_packets;
	p->flows = cfg->load_flows;
	p->rng = dpp_rng_seed(cfg->load_seed);
	p->link_type = DPP_LINK_ETHERNET;
	data_room = cfg->load_capture[0] != '\0' ? (uint16_t)(cfg->mbuf_size - RTE_PKTMBUF_HEADROOM)
						  : 128;
	if (cfg->load_capture[0] != '\0') {
		rc = load_capture(p, cfg->load_capture, data_room, err, errlen);
		if (rc != 0)
			return rc;
	}
	p->rp = dpp_ring_port_create("dpp_ring0", cfg->rxd, (int)rte_socket_id(), record_max);
	if (p->rp == NULL) {
		snprintf(err, errlen, "--load: cannot create the ring port of %u slots: %s%s",
			 cfg->rxd, rte_strerror(rte_errno),
			 record_max ? " (a smaller --load-record-max needs less memory)" : "");
		return -ENOMEM;
	}
	/*
	 * Every slot of the ring holds an mbuf, the worker has a burst in
	 * flight and each lcore's cache holds some: an empty pool is then a
	 * real (counted) event, never the normal state.
	 */
	nb_mbufs = (uint32_t)rte_align32pow2(cfg->rxd + 2 * cfg->burst + 3 * DPP_LOAD_POOL_CACHE +
					     1024) - 1;
	p->pool = rte_pktmbuf_pool_create("dpp_load", nb_mbufs, DPP_LOAD_POOL_CACHE, 0,
					  (uint16_t)(data_room + RTE_PKTMBUF_HEADROOM),
					  (int)rte_socket_id());
	if (p->pool == NULL) {
		snprintf(err, errlen,
			 "--load: cannot allocate %u mbufs: %s (give EAL more memory with -m)",
			 nb_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	p->tsc_hz = rte_get_tsc_hz();
	*out = p;
	return 0;
}

/*
 * Synthetic TCP: packet i belongs to flow i % flows; a flow's packets are
 * its handshake (SYN, SYN-ACK, ACK) and then client data segments, each
 * DPP_SYN_PAYLOAD bytes further in sequence space, so the worker's tracker
 * does its whole job (lookup, state, sequence analysis) on every packet.
 */
static void build_synthetic(struct dpp_producer *p, struct rte_mbuf *m, uint64_t i)
{
	uint32_t flow = (uint32_t)(i % p->flows);
	uint64_t k = i / p->flows;
	bool s2c = k == 1;
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	/* 198.18.0.0/15 is for tests: clients in 198.18/16, the server 198.19.0.1. */
	uint32_t cli = RTE_IPV4(198, 18, (flow >> 8) & 0xff, flow & 0xff);
	uint32_t srv = RTE_IPV4(198, 19, 0, 1);
	uint16_t cport = (uint16_t)(10000 + flow % 50000), sport = 8080;
	uint32_t cisn = 1000u + flow * 7919u, sisn = 5000u + flow * 104729u;
	uint16_t payload = k >= 3 ? DPP_SYN_PAYLOAD : 0;

	memset(b, 0, DPP_SYN_FRAME);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	eth->src_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[5] = 0x01;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*tcp) + payload);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(s2c ? srv : cli);
	ip->dst_addr = rte_cpu_to_be_32(s2c ? cli : srv);
	tcp->src_port = rte_cpu_to_be_16(s2c ? sport : cport);
	tcp->dst_port = rte_cpu_to_be_16(s2c ? cport : sport);
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	switch (k) {
	case 0:
		tcp->tcp_flags = RTE_TCP_SYN_FLAG;
		tcp->sent_seq = rte_cpu_to_be_32(cisn);
		break;
	case 1:
		tcp->tcp_flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG;
		tcp->sent_seq = rte_cpu_to_be_32(sisn);
		tcp->recv_ack = rte_cpu_to_be_32(cisn + 1);
		break;
	default:
		tcp->tcp_flags = RTE_TCP_ACK_FLAG | (k >= 3 ? RTE_TCP_PSH_FLAG : 0);
		tcp->sent_seq = rte_cpu_to_be_32(cisn + 1 + (uint32_t)(k >= 3 ? (k - 3) : 0) *
							   DPP_SYN_PAYLOAD);
		tcp->recv_ack = rte_cpu_to_be_32(sisn + 1);
		break;
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->data_len = m->pkt_len = DPP_SYN_FRAME;
}

static inline void build_packet(struct dpp_producer *p, struct rte_mbuf *m, uint64_t i)
{
	if (p->nb_frames == 0) {
		build_synthetic(p, m, i);
		return;
	}
	uint32_t f = (uint32_t)(i % p->nb_frames);

	rte_memcpy(rte_pktmbuf_mtod(m, void *), p->frames[f], p->frame_len[f]);
	m->data_len = m->pkt_len = p->frame_len[f];
}

/* Record an offered packet's arrival and fate. */
static inline void record_arrival(struct dpp_ring_port *rp, uint64_t tsc, uint8_t fate)
{
	struct dpp_ring_record *r = rp->rec;

	if (r == NULL)
		return;
	if (r->n_arr == r->max) {
		r->truncated = true;
		return;
	}
	r->arr_tsc[r->n_arr] = tsc;
	r->arr_fate[r->n_arr++] = fate;
}

int dpp_producer_main(void *arg)
{
	struct dpp_producer *p = arg;
	struct dpp_ring_port *rp = p->rp;
	const double hz = (double)p->tsc_hz;
	const double gap = hz / p->rate;
	const double line_gap = hz / p->line_rate;
	const double period = (double)p->burst * gap;
	const uint64_t slack = p->tsc_hz / 1000000 * DPP_LOAD_SLACK_US;
	uint64_t last = 0;
	uint32_t in_burst = 0;
	double t, burst_start;
	uint64_t i;

	/* Start a millisecond from now, so the worker is already polling. */
	t = burst_start = (double)(rte_rdtsc() + p->tsc_hz / 1000);
	for (i = 0; !p->stop && (p->packets == 0 || i < p->packets); i++) {
		uint64_t now = rte_rdtsc();
		struct rte_mbuf *m;

		while ((double)now < t && !p->stop) {
			rte_pause();
			now = rte_rdtsc();
		}
		if (p->stop)
			break;
		/* Late (preempted): move the schedule on; inside a burst, go flat out. */
		if (in_burst == 0 && (double)now > t + (double)slack) {
			burst_start += (double)now - t;
			t = (double)now;
		}
		m = rte_pktmbuf_alloc(p->pool);
		if (unlikely(m == NULL)) {
			rp->pool_empty++;
			record_arrival(rp, now, DPP_FATE_POOL_EMPTY);
			last = now;
		} else {
			build_packet(p, m, i);
			last = rte_rdtsc();
			*RTE_MBUF_DYNFIELD(m, rp->stamp_offset, uint64_t *) = last;
			if (rp->window_start == 0)
				__atomic_store_n(&rp->window_start, last, __ATOMIC_RELEASE);
			if (rte_ring_sp_enqueue(rp->rx, m) != 0) {
				rte_pktmbuf_free(m);
				rp->ring_full++;
				record_arrival(rp, last, DPP_FATE_RING_FULL);
			} else {
				record_arrival(rp, last, DPP_FATE_ENQUEUED);
			}
		}
		__atomic_store_n(&rp->offered, rp->offered + 1, __ATOMIC_RELEASE);

		switch (p->profile) {
		case DPP_LOAD_CONST:
			t += gap;
			break;
		case DPP_LOAD_POISSON:
			t += dpp_rng_exp(&p->rng, gap);
			break;
		case DPP_LOAD_BURST:
		default:
			if (++in_burst < p->burst) {
				t += line_gap;
			} else {
				in_burst = 0;
				burst_start += period;
				t = burst_start;
			}
			break;
		}
	}
	__atomic_store_n(&rp->window_end, last != 0 ? last : UINT64_MAX, __ATOMIC_RELEASE);
	__atomic_store_n(&rp->producer_done, true, __ATOMIC_RELEASE);
	__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
	return 0;
}

void dpp_worker_knobs(struct dpp_lcore_ctx *ctx, const struct dpp_config *cfg)
{
	double hz = (double)rte_get_tsc_hz();

	ctx->work_cycles = (double)cfg->work_ns * hz / 1e9;
	ctx->work_exp = cfg->work_dist == DPP_WORK_EXP;
	ctx->rng = dpp_rng_seed(cfg->load_seed + 1000u + ctx->lcore_id);
	ctx->stall_cycles = (uint64_t)(cfg->stall_us * hz / 1e6);
	ctx->stall_every = cfg->stall_us > 0 ? cfg->stall_every : 0;
}

bool dpp_producer_drained(const struct dpp_producer *p)
{
	const struct dpp_ring_port *rp = p->rp;
	uint64_t lost;

	if (!__atomic_load_n(&rp->producer_done, __ATOMIC_ACQUIRE))
		return false;
	lost = rp->ring_full + rp->pool_empty;
	return rte_ring_count(rp->rx) == 0 &&
	       __atomic_load_n(&rp->poll.packets, __ATOMIC_ACQUIRE) + lost == rp->offered;
}

void dpp_producer_free(struct dpp_producer *p)
{
	if (p == NULL)
		return;
	for (uint32_t f = 0; f < p->nb_frames; f++)
		free(p->frames[f]);
	free(p->frames);
	free(p->frame_len);
	rte_mempool_free(p->pool);
	dpp_ring_port_free(p->rp);
	free(p);
}
