/* SPDX-License-Identifier: BSD-3-Clause */
/* RX descriptor rings: sizing and occupancy. */

#include <errno.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "dpp_rings.h"

int dpp_rxq_ring_size(uint16_t port_id, uint16_t requested, uint16_t *actual)
{
	uint16_t nb_rxd = requested;
	uint16_t nb_txd = 0;
	int rc;

	/* Adjust to the PMD's min/max/alignment; the caller reports any change. */
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc < 0)
		return rc;
	*actual = nb_rxd;
	return 0;
}

bool dpp_rxq_occupancy_probe(uint16_t port_id, uint16_t queue_id)
{
	/*
	 * rte_eth_rx_queue_count() returns -ENOTSUP when the PMD has no
	 * rx_queue_count op (net_pcap, net_ring, net_null, af_packet, ...).
	 * Any other negative value is an error, also "not supported" for us.
	 */
	return rte_eth_rx_queue_count(port_id, queue_id) >= 0;
}

int dpp_rxq_stats_init(struct dpp_rxq_stats *s, uint16_t burst, int socket_id)
{
	memset(s, 0, sizeof(*s));
	if (burst == 0 || burst > DPP_RXQ_MAX_BURST)
		return -EINVAL;
	s->burst = burst;
	s->hist = rte_zmalloc_socket("dpp_rxq_hist", sizeof(uint64_t) * (burst + 1u),
				     RTE_CACHE_LINE_SIZE, socket_id);
	if (s->hist == NULL)
		s->hist = rte_zmalloc("dpp_rxq_hist", sizeof(uint64_t) * (burst + 1u),
				      RTE_CACHE_LINE_SIZE);
	return s->hist == NULL ? -ENOMEM : 0;
}

void dpp_rxq_stats_fini(struct dpp_rxq_stats *s)
{
	rte_free(s->hist);
	s->hist = NULL;
}
