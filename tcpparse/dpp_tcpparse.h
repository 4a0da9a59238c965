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
 * Link-layer header types the parser decodes: the LINKTYPE_ values of pcap
 * and pcapng files (tcpdump.org/linktypes.html), which net_pcap hands over
 * as they are in the file.
 */
enum dpp_link_type {
	DPP_LINK_NULL = 0,	     /**< BSD loopback: 4-byte address family, host order. */
	DPP_LINK_ETHERNET = 1,	     /**< Ethernet II, 802.1Q/802.1ad tags. */
	DPP_LINK_RAW = 101,	     /**< Raw IP: IPv4 or IPv6 by the version nibble. */
	DPP_LINK_LOOP = 108,	     /**< OpenBSD loopback: address family in network order. */
	DPP_LINK_LINUX_SLL = 113,    /**< Linux cooked v1 (tcpdump -i any before libpcap 1.10). */
	DPP_LINK_IPV4 = 228,	     /**< Raw IPv4. */
	DPP_LINK_IPV6 = 229,	     /**< Raw IPv6. */
	DPP_LINK_LINUX_SLL2 = 276,   /**< Linux cooked v2 (tcpdump -i any). */
};

/** Does the parser decode frames of this link type? */
bool dpp_link_type_supported(int link_type);

/** Short name of a link type ("ethernet", "linux_sll2", ...), or NULL if not supported. */
const char *dpp_link_type_name(int link_type);

/** A wire length that is not known (a live port, or a frame cut at the snap length). */
#define DPP_WIRE_LEN_UNKNOWN UINT32_MAX

/** One captured frame: its bytes and what is known of the frame it came from. */
struct dpp_frame {
	const uint8_t *data; /**< First byte of the link-layer header. */
	uint32_t len;	     /**< Bytes readable at data (what was captured). */
	/**
	 * Bytes the frame had on the wire: len for a complete frame,
	 * DPP_WIRE_LEN_UNKNOWN when it may have been sliced (a capture file's
	 * frame as long as the snap length, any frame of a live port). An IP
	 * length beyond len but not beyond wire_len is slicing: the segment is
	 * tracked if its whole TCP header was captured, and view.sliced is set.
	 */
	uint32_t wire_len;
	uint16_t link_type; /**< enum dpp_link_type. */
};

/**
 * Parse one captured frame of any supported link type down to TCP.
 *
 * Linux cooked and Ethernet frames may carry up to 4 VLAN tags; then IPv4
 * (options checked) or IPv6 (hop-by-hop, routing, destination-options and
 * fragment headers walked, jumbograms measured). Every length is checked
 * before it is read.
 *
 * @param fr   The frame.
 * @param out  Valid only when DPP_PARSE_TCP is returned.
 * @return DPP_PARSE_TCP, or the reason the frame is not tracked.
 */
int dpp_tcp_parse_frame(const struct dpp_frame *fr, struct dpp_pkt_view *out);

/**
 * Parse one complete Ethernet frame down to TCP (dpp_tcp_parse_frame() with
 * DPP_LINK_ETHERNET and wire_len == len).
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
