/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_TCPPARSE_H
#define DPP_TCPPARSE_H

/**
 * @file
 * tcpparse, the parser: one captured frame down to its TCP header, as a
 * pure function over bytes and a length. The flow table, the tracker and
 * the records it leaves are in dpp_flow.h.
 *
 * Nothing here depends on DPDK, which keeps the parser testable with
 * hand-built bytes and fuzzable with libFuzzer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

/**
 * Result of dpp_tcp_parse(). DPP_PARSE_TCP means the view is filled and the
 * packet may create or update a flow. Every other value is a reason the
 * packet is not tracked; the malformed ones come from malformed.def so the
 * enum, the JSON counter names and the docs cannot drift apart.
 */
enum dpp_parse_result {
	DPP_PARSE_TCP = 0,
	DPP_PARSE_NON_IP,   /**< Not IPv4/IPv6 (ARP, LLDP, ...). */
	DPP_PARSE_NON_TCP,  /**< IP but not TCP (UDP, ICMP incl. TCP inside ICMP errors). */
	DPP_PARSE_FRAGMENT, /**< An IP fragment (never tracked). */
#define DPP_MALFORMED(name, doc) DPP_PARSE_MALFORMED_##name,
#include "malformed.def"
#undef DPP_MALFORMED
	DPP_PARSE_RESULT_MAX,
};

/** First malformed reason; reasons are [DPP_PARSE_MALFORMED_FIRST, DPP_PARSE_RESULT_MAX). */
#define DPP_PARSE_MALFORMED_FIRST (DPP_PARSE_FRAGMENT + 1)
#define DPP_PARSE_MALFORMED_COUNT (DPP_PARSE_RESULT_MAX - DPP_PARSE_MALFORMED_FIRST)

/** TCP flag bits as on the wire (RFC 9293 section 3.1). */
#define DPP_TCP_FIN 0x01
#define DPP_TCP_SYN 0x02
#define DPP_TCP_RST 0x04
#define DPP_TCP_PSH 0x08
#define DPP_TCP_ACK 0x10
#define DPP_TCP_URG 0x20
#define DPP_TCP_ECE 0x40
#define DPP_TCP_CWR 0x80

#define DPP_TCP_MAX_SACK_BLOCKS 4

/** What the tracker needs of one TCP segment; all numbers in host order. */
struct dpp_pkt_view {
	uint8_t ip_version; /**< 4 or 6. */
	uint8_t vlan_count; /**< VLAN tags seen (0..4). */
	uint8_t tcp_flags;  /**< DPP_TCP_* bits. */
	uint8_t sack_blocks; /**< Number of valid entries in sack[]. */
	/** Addresses; IPv4 uses the first 4 bytes, the rest are zero. */
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint16_t window;      /**< Raw 16-bit window field, unscaled. */
	bool sliced;          /**< The frame was cut short of its IP length (CONTRACT: sliced). */
	uint32_t payload_len; /**< TCP payload from the IP length (padding ignored). */
	/* Options (RFC 9293 3.2, RFC 7323, RFC 2018). */
	bool has_mss;
	bool has_wscale;
	bool sack_permitted;
	bool has_timestamps;
	uint16_t mss;
	uint8_t wscale; /**< Shift as sent (may exceed 14; the tracker clamps). */
	uint32_t tsval;
	uint32_t tsecr;
	uint32_t sack[DPP_TCP_MAX_SACK_BLOCKS][2]; /**< Left and right edges. */
};

/**
 * Parse one Ethernet frame down to TCP.
 *
 * Accepts IPv4 and IPv6 behind at most 4 VLAN tags (0x8100, 0x88a8, 0x9100),
 * IPv4 options and the IPv6 hop-by-hop, routing, destination-options and
 * fragment headers. Every length is checked before it is read.
 *
 * @param pkt  First byte of the Ethernet header.
 * @param len  Bytes available at pkt (captured length).
 * @param out  Valid only when DPP_PARSE_TCP is returned (written as parsing goes).
 * @return DPP_PARSE_TCP, or the reason the packet is not tracked.
 */
int dpp_tcp_parse(const uint8_t *pkt, uint16_t len, struct dpp_pkt_view *out);

/**
 * Name of a parse result as used in JSON counters and the docs
 * ("non_ip", "tcp_doff_short", ...). Never NULL.
 */
const char *dpp_parse_result_name(int result);

/** One-sentence description of a parse result, for docs and --help. Never NULL. */
const char *dpp_parse_result_doc(int result);

#endif /* DPP_TCPPARSE_H */
