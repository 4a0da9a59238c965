/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: how many RX queues each gets, how big its rings are, which
 * mempool feeds it, and whether it is a capture that ends by itself.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_devargs.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dpp_dataplane.h"

/* Descriptors of each unused TX queue (PMDs that need TX queues to receive). */
#define DPP_TXQ_DESC 512

/*
 * net_af_xdp (DPDK 22.11) keeps this many buffers in the kernel's fill ring
 * (ETH_AF_XDP_DFLT_NUM_DESCS) and reports in imissed only the frames the kernel
 * dropped for want of a fill buffer (XDP_STATISTICS rx_dropped). An RX ring
 * smaller than that overflows first, and the kernel counts those drops as
 * rx_ring_full, which the PMD never reads: loss nobody sees
 * (tests/integration/it_mirror.sh runs both sides of the boundary).
 */
#define DPP_AF_XDP_FILL_BUFFERS 2048

/* Per-lcore mempool cache, as testpmd sizes it. */
#define DPP_MEMPOOL_CACHE 256

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A vdev's argument string, e.g. "rx_pcap=a.pcap,infinite_rx=1", or "". */
static const char *port_devargs(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da;

	if (info->device == NULL)
		return "";
	da = rte_dev_devargs(info->device);
	if (da == NULL || da->args == NULL)
		return "";
	return da->args;
}

/*
 * A net_pcap port ends by itself when it reads files only: rx_pcap= and
 * no infinite_rx=1 and no live rx_iface. (DPDK gives no end-of-file
 * signal; the control loop watches for rx returning 0 while ierrors and
 * rx_nombuf stand still.)
 */
static bool pcap_is_finite(const char *args)
{
	return strstr(args, "rx_pcap=") != NULL && strstr(args, "infinite_rx=1") == NULL &&
	       strstr(args, "rx_iface") == NULL && strstr(args, "iface=") == NULL;
}

/*
 * How many RX queues to use. A PMD with RSS spreads flows over as many
 * queues as we ask: one per worker. A PMD without RSS whose queues are its
 * configuration (one per rx_pcap= file, per net_ring ring, af_packet
 * qpairs) carries different packets on each queue, so every one of them
 * must be polled or packets would be lost unseen.
 */
static uint16_t pick_nb_rxq(const struct dpp_config *cfg, const struct rte_eth_dev_info *info,
			    uint16_t nb_workers)
{
	uint16_t n;

	if (cfg->rxq != 0)
		n = (uint16_t)cfg->rxq;
	else if (info->flow_type_rss_offloads != 0)
		n = nb_workers;
	else if (info->max_rx_queues <= DPP_MAX_QUEUES_PER_LCORE)
		n = info->max_rx_queues;
	else
		n = nb_workers;
	if (n > info->max_rx_queues)
		n = info->max_rx_queues;
	return n == 0 ? 1 : n;
}

/*
 * A symmetric RSS key (the 0x6d5a pattern): the Toeplitz hash of
 * (src, dst) then equals that of (dst, src), so both directions of a flow
 * land on the same queue and the same worker's flow table.
 */
static uint8_t symmetric_rss_key[52];

/*
 * What each queue's frames are. A net_pcap queue reads one rx_pcap= file,
 * in the order of the devargs: its link type and snap length come from the
 * file (checked before EAL started). Every other queue is a live Ethernet
 * port, whose frames may have been sliced by a packet broker.
 */
static int describe_queues(struct dpp_port *p, const char *args, char *err, size_t errlen)
{
	static char paths[DPP_MAX_QUEUES_PER_LCORE][PATH_MAX];
	unsigned int n = 0;

	if (strcmp(p->driver, "net_pcap") == 0)
		n = dpp_capture_paths(args, paths, RTE_DIM(paths));
	for (uint16_t q = 0; q < RTE_DIM(p->queue); q++) {
		struct dpp_port_queue *pq = &p->queue[q];
		const struct dpp_capture_info *known;
		struct dpp_capture_info ci;

		pq->link_type = DPP_LINK_ETHERNET;
		pq->snaplen = 0;
		pq->records = 0;
		pq->corrupt = false;
		pq->big = NULL;
		pq->nb_big = 0;
		if (q >= n)
			continue;
		known = dpp_capture_find(paths[q]);
		if (known == NULL) {
			int rc = dpp_capture_inspect(paths[q], &ci, err, errlen);

			if (rc != 0)
				return rc;
			known = &ci;
		}
		pq->link_type = (uint16_t)known->link_type;
		pq->snaplen = known->snaplen;
		/*
		 * Records sliced below the snap length: the snap length is no sign
		 * of slicing in this file, so every frame may be sliced, as on a
		 * live port (those whose IP length passes their wire length were
		 * noted one by one and stay malformed).
		 */
		if (known->cut_below_snaplen != 0)
			pq->snaplen = 0;
		pq->records = known->records;
		pq->corrupt = known->stop_offset != 0;
		/* Files checked before EAL keep their notes for the whole run. */
		if (known != &ci) {
			pq->big = known->big;
			pq->nb_big = known->nb_big;
		} else {
			free(ci.big);
		}
	}
	return 0;
}

/*
 * PMDs that refuse RX queues without as many TX queues (DPDK-FACTS:
 * net_af_xdp, net_tap): they get TX queues that are never sent on.
 */
static bool needs_tx_queues(const char *driver)
{
	return strcmp(driver, "net_af_xdp") == 0 || strcmp(driver, "net_tap") == 0;
}

static int configure_port(const struct dpp_config *cfg, struct dpp_port *p, uint16_t nb_workers,
			  char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	const char *args;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		set_err(err, errlen, "port %u: cannot get device info: %s", p->port_id,
			rte_strerror(-rc));
		return rc;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	args = port_devargs(&info);
	p->pcap_time = strcmp(info.driver_name, "net_pcap") == 0;
	p->finite = p->pcap_time && pcap_is_finite(args);
	p->nb_rxq = pick_nb_rxq(cfg, &info, nb_workers);
	rc = describe_queues(p, args, err, errlen);
	if (rc != 0)
		return rc;
	p->nb_txq = needs_tx_queues(p->driver) ? RTE_MIN(p->nb_rxq, info.max_tx_queues) : 0;
	p->socket_id = rte_eth_dev_socket_id(p->port_id);
	if (p->socket_id < 0)
		p->socket_id = (int)rte_socket_id();

	memset(&conf, 0, sizeof(conf));
	if (p->nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		for (size_t i = 0; i < sizeof(symmetric_rss_key); i += 2) {
			symmetric_rss_key[i] = 0x6d;
			symmetric_rss_key[i + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len =
			info.hash_key_size ? info.hash_key_size : 40;
		if (conf.rx_adv_conf.rss_conf.rss_key_len > sizeof(symmetric_rss_key))
			conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(symmetric_rss_key);
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP) & info.flow_type_rss_offloads;
	}

	rc = rte_eth_dev_configure(p->port_id, p->nb_rxq, p->nb_txq, &conf);
	if (rc != 0) {
		set_err(err, errlen, "port %u (%s): cannot configure %u rx and %u tx queues: %s",
			p->port_id, p->driver, p->nb_rxq, p->nb_txq, rte_strerror(-rc));
		return rc;
	}
	rc = dpp_rxq_ring_size(p->port_id, (uint16_t)cfg->rxd, &p->ring_size);
	if (rc != 0) {
		set_err(err, errlen, "port %u: --rxd %u: %s", p->port_id, cfg->rxd,
			rte_strerror(-rc));
		return rc;
	}
	if (p->ring_size != cfg->rxd)
		DPP_LOG(WARNING, "port %u (%s): --rxd %u adjusted to %u by the driver\n",
			p->port_id, p->driver, cfg->rxd, p->ring_size);
	if (strcmp(p->driver, "net_af_xdp") == 0 && p->ring_size < DPP_AF_XDP_FILL_BUFFERS)
		DPP_LOG(WARNING,
			"port %u (net_af_xdp): with --rxd %u below %u, frames the kernel drops "
			"when the worker falls behind reach no counter (its rx_ring_full is not "
			"in imissed); use --rxd 4096\n",
			p->port_id, p->ring_size, DPP_AF_XDP_FILL_BUFFERS);
	return 0;
}

static uint32_t pool_size_for_socket(const struct dpp_config *cfg, const struct dpp_port *ports,
				     uint16_t nb_ports, int socket, uint16_t nb_workers)
{
	uint64_t n = 0;

	/*
	 * Every descriptor of every ring holds an mbuf, each lcore cache can
	 * hold DPP_MEMPOOL_CACHE more, and each worker has a burst in flight;
	 * then some room so a ring can refill while bursts are being freed.
	 */
	for (uint16_t i = 0; i < nb_ports; i++)
		if (ports[i].socket_id == socket)
			n += (uint64_t)ports[i].nb_rxq * ports[i].ring_size;
	if (n == 0)
		return 0;
	n += (uint64_t)(nb_workers + 1) * (DPP_MEMPOOL_CACHE + cfg->burst);
	/* --dist sw: every packet waiting in an RX-to-worker ring holds an mbuf. */
	if (cfg->dist_sw)
		n += (uint64_t)nb_workers * cfg->dist_ring;
	n += 1024;
	/* Mempools are most efficient at 2^q - 1 elements. */
	return (uint32_t)(rte_align64pow2(n + 1) - 1);
}

static struct rte_mempool *get_pool(const struct dpp_config *cfg, const struct dpp_port *ports,
				    uint16_t nb_ports, int socket, uint16_t nb_workers, char *err,
				    size_t errlen)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t n;

	if (pools[socket] != NULL)
		return pools[socket];
	n = cfg->total_num_mbufs ? cfg->total_num_mbufs :
				   pool_size_for_socket(cfg, ports, nb_ports, socket, nb_workers);
	snprintf(name, sizeof(name), "dpp_mbuf_s%d", socket);
	pools[socket] = rte_pktmbuf_pool_create(name, n, DPP_MEMPOOL_CACHE, 0,
						(uint16_t)cfg->mbuf_size, socket);
	if (pools[socket] == NULL)
		pools[socket] = rte_pktmbuf_pool_create(name, n, DPP_MEMPOOL_CACHE, 0,
							(uint16_t)cfg->mbuf_size, SOCKET_ID_ANY);
	if (pools[socket] == NULL) {
		set_err(err, errlen,
			"cannot allocate %u mbufs of %u bytes on socket %d: %s "
			"(give EAL more memory with -m, use hugepages, or lower "
			"--total-num-mbufs / --rxd)",
			n, cfg->mbuf_size, socket, rte_strerror(rte_errno));
		return NULL;
	}
	DPP_LOG(INFO, "socket %d: mempool of %u mbufs x %u bytes\n", socket, n, cfg->mbuf_size);
	return pools[socket];
}

int dpp_ports_setup(const struct dpp_config *cfg, struct dpp_port *ports, uint16_t nb_workers,
		    char *err, size_t errlen)
{
	uint16_t nb_ports = 0;
	uint16_t port_id;
	int rc;

	RTE_ETH_FOREACH_DEV(port_id) {
		ports[nb_ports].port_id = port_id;
		rc = configure_port(cfg, &ports[nb_ports], nb_workers, err, errlen);
		if (rc != 0)
			return rc;
		nb_ports++;
	}
	if (nb_ports == 0) {
		set_err(err, errlen,
			"no ports: no device was probed (EAL reports above a --vdev that "
			"failed, e.g. an unreadable rx_pcap file); give one with --vdev "
			"net_pcap0,rx_pcap=FILE or -a PCI_ADDRESS");
		return -ENODEV;
	}

	for (uint16_t i = 0; i < nb_ports; i++) {
		struct dpp_port *p = &ports[i];
		struct rte_mempool *mp;

		mp = get_pool(cfg, ports, nb_ports, p->socket_id, nb_workers, err, errlen);
		if (mp == NULL)
			return -ENOMEM;
		for (uint16_t q = 0; q < p->nb_rxq; q++) {
			rc = rte_eth_rx_queue_setup(p->port_id, q, p->ring_size, p->socket_id,
						    NULL, mp);
			if (rc != 0) {
				set_err(err, errlen, "port %u (%s): rx queue %u setup: %s",
					p->port_id, p->driver, q, rte_strerror(-rc));
				return rc;
			}
		}
		/* Never sent on: only there because the PMD wants them. */
		for (uint16_t q = 0; q < p->nb_txq; q++) {
			rc = rte_eth_tx_queue_setup(p->port_id, q, DPP_TXQ_DESC, p->socket_id, NULL);
			if (rc != 0) {
				set_err(err, errlen, "port %u (%s): tx queue %u setup: %s",
					p->port_id, p->driver, q, rte_strerror(-rc));
				return rc;
			}
		}
		rc = rte_eth_dev_start(p->port_id);
		if (rc != 0) {
			set_err(err, errlen, "port %u (%s): cannot start: %s", p->port_id,
				p->driver, rte_strerror(-rc));
			return rc;
		}
		/* A mirror port sees other hosts' traffic; not every PMD has the knob. */
		rc = rte_eth_promiscuous_enable(p->port_id);
		if (rc != 0 && rc != -ENOTSUP)
			DPP_LOG(NOTICE, "port %u: promiscuous mode not enabled: %s\n", p->port_id,
				rte_strerror(-rc));
	}
	return nb_ports;
}

void dpp_ports_close(struct dpp_port *ports, uint16_t nb_ports)
{
	for (uint16_t i = 0; i < nb_ports; i++) {
		rte_eth_dev_stop(ports[i].port_id);
		rte_eth_dev_close(ports[i].port_id);
	}
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(pools[s]);
		pools[s] = NULL;
	}
}
