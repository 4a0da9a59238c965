/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpp_tcp_parse(): one Ethernet frame down to its TCP header, as a pure
 * function over bytes and a length.
 *
 * The walk is Ethernet, up to four VLAN tags, IPv4 or IPv6 (with its
 * extension headers), then TCP and its options. Every length is checked
 * before the bytes it covers are read, and every way a frame can fail has
 * its own named reason (malformed.def), in the manner of Suricata's
 * decode-tcp.c. Multi-byte fields are read byte by byte so the code never
 * depends on the alignment of the frame in its buffer.
 *
 * Checksums are not verified: captures taken on a host with offloads carry
 * unfilled checksums, and Wireshark's default preferences do not verify them
 * either, so verifying would make the probe disagree with the reference.
 *
 * This runs once per received packet: no loops over payload, no calls into
 * libc beyond small fixed-size memcpy/memset, no writes to the whole view.
 */

#include <string.h>

#include "dpp_tcpparse.h"

#define DPP_PARSE_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Ethernet and IEEE 802.1Q/802.1ad tags. */
#define ETH_HDR_LEN 14
#define ETH_TYPE_OFF 12
#define VLAN_TAG_LEN 4 /* TCI, then the next ethertype. */
#define VLAN_MAX_TAGS 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100	   /* IEEE 802.1Q customer tag. */
#define ETHERTYPE_QINQ 0x88a8	   /* IEEE 802.1ad service tag. */
#define ETHERTYPE_QINQ_9100 0x9100 /* Pre-standard QinQ, still seen on the wire. */

/* IPv4, RFC 791 section 3.1. */
#define IPV4_MIN_HDR_LEN 20
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFF_MASK 0x1fff

/* IPv6, RFC 8200 sections 3 and 4. */
#define IPV6_HDR_LEN 40
#define IPV6_EXT_UNIT 8 /* Extension headers are multiples of 8 octets. */
#define IPV6_FRAG_HDR_LEN 8
#define IPV6_FRAG_OFF_MASK 0xfff8
#define IPV6_FRAG_M 0x0001
/*
 * RFC 8200 section 4.1 allows each extension header once, destination
 * options twice: at most five of the kinds walked here. The cap leaves room
 * for sloppy senders while bounding the work an attacker can make the probe
 * do on one packet (a 64 KiB chain of 8-byte headers would be 8000 steps).
 */
#define IPV6_MAX_EXT_HDRS 8

/* IP protocol numbers (IANA). */
#define PROTO_HOPOPTS 0
#define PROTO_TCP 6
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_DSTOPTS 60

/* TCP, RFC 9293 section 3.1, and its options. */
#define TCP_MIN_HDR_LEN 20
#define TCPOPT_EOL 0	   /* RFC 9293 3.2 */
#define TCPOPT_NOP 1	   /* RFC 9293 3.2 */
#define TCPOPT_MSS 2	   /* RFC 9293 3.2 */
#define TCPOPT_WSCALE 3	   /* RFC 7323 2.2 */
#define TCPOPT_SACK_PERM 4 /* RFC 2018 2 */
#define TCPOPT_SACK 5	   /* RFC 2018 3 */
#define TCPOPT_TIMESTAMP 8 /* RFC 7323 3.2 */
#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8

static inline uint16_t rd_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t rd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline int is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ ||
	       ethertype == ETHERTYPE_QINQ_9100;
}

static inline int is_ipv6_ext_walked(uint8_t nh)
{
	return nh == PROTO_HOPOPTS || nh == PROTO_ROUTING || nh == PROTO_DSTOPTS ||
	       nh == PROTO_FRAGMENT;
}

/**
 * Check an IPv4 header and find its TCP segment.
 *
 * Lengths are checked in the order of RFC 791 section 3.1: the fixed header,
 * then IHL, then the total length against both the header and the capture.
 * Options are skipped, not interpreted.
 *
 * @param ip     First byte of the IPv4 header.
 * @param avail  Bytes captured from ip on.
 * @param out    Receives version and addresses when the packet is TCP.
 * @param seg    Set to the first byte of the TCP header.
 * @param seg_len Set to the TCP segment length from the IP total length.
 * @return DPP_PARSE_TCP, or the reason the packet is not tracked.
 */
static inline int parse_ipv4(const uint8_t *ip, uint32_t avail, struct dpp_pkt_view *out,
			     const uint8_t **seg, uint32_t *seg_len)
{
	uint32_t hdr_len;
	uint32_t total_len;
	uint16_t frag;
	uint8_t proto;

	if (DPP_PARSE_UNLIKELY(avail < IPV4_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_ipv4_truncated;
	if (DPP_PARSE_UNLIKELY((ip[0] >> 4) != 4))
		return DPP_PARSE_MALFORMED_ipv4_version;
	hdr_len = (uint32_t)(ip[0] & 0x0f) * 4;
	if (DPP_PARSE_UNLIKELY(hdr_len < IPV4_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_ipv4_ihl_short;
	if (DPP_PARSE_UNLIKELY(hdr_len > avail))
		return DPP_PARSE_MALFORMED_ipv4_truncated;
	total_len = rd_be16(ip + 2);
	if (DPP_PARSE_UNLIKELY(total_len < hdr_len))
		return DPP_PARSE_MALFORMED_ip_len_short;
	/* Anything past total_len is Ethernet padding and is ignored. */
	if (DPP_PARSE_UNLIKELY(total_len > avail))
		return DPP_PARSE_MALFORMED_ip_len_beyond_frame;

	/*
	 * A fragment is MF set or a non-zero offset (RFC 791 section 3.2). Only
	 * TCP fragments count as "fragments"; other fragments are not TCP.
	 */
	proto = ip[9];
	frag = rd_be16(ip + 6);
	if (DPP_PARSE_UNLIKELY(frag & (IPV4_FLAG_MF | IPV4_FRAG_OFF_MASK)))
		return proto == PROTO_TCP ? DPP_PARSE_FRAGMENT : DPP_PARSE_NON_TCP;
	/* ICMP errors quote a TCP header but are ICMP: not TCP (CONTRACT). */
	if (proto != PROTO_TCP)
		return DPP_PARSE_NON_TCP;

	out->ip_version = 4;
	memcpy(out->src, ip + 12, 4);
	memset(out->src + 4, 0, sizeof(out->src) - 4);
	memcpy(out->dst, ip + 16, 4);
	memset(out->dst + 4, 0, sizeof(out->dst) - 4);
	*seg = ip + hdr_len;
	*seg_len = total_len - hdr_len;
	return DPP_PARSE_TCP;
}

/**
 * Check an IPv6 header, walk its extension headers and find the TCP segment.
 *
 * Hop-by-hop, routing and destination options share the layout of RFC 8200
 * section 4.3 (next header, length in 8-octet units not counting the first
 * 8); the fragment header is 8 octets (section 4.5). The chain is walked
 * inside the payload length, never into Ethernet padding.
 *
 * A fragment header with a non-zero offset or M set makes the packet a
 * fragment. A later fragment (offset != 0) carries no upper-layer header, so
 * its next-header field decides: TCP, or an extension header that could still
 * lead to TCP, counts as a fragment; anything else is not TCP. A first
 * fragment is walked on, and a chain that then cannot be followed counts as
 * a fragment too. An atomic fragment (offset 0, M clear, RFC 6946) is a
 * whole packet and is tracked.
 *
 * @param ip     First byte of the IPv6 header.
 * @param avail  Bytes captured from ip on.
 * @param out    Receives version and addresses when the packet is TCP.
 * @param seg    Set to the first byte of the TCP header.
 * @param seg_len Set to the TCP segment length from the payload length.
 * @return DPP_PARSE_TCP, or the reason the packet is not tracked.
 */
static inline int parse_ipv6(const uint8_t *ip, uint32_t avail, struct dpp_pkt_view *out,
			     const uint8_t **seg, uint32_t *seg_len)
{
	uint32_t end;
	uint32_t off = IPV6_HDR_LEN;
	uint32_t ext_len;
	unsigned int n_ext = 0;
	int fragmented = 0;
	uint16_t frag;
	uint8_t nh;

	if (DPP_PARSE_UNLIKELY(avail < IPV6_HDR_LEN))
		return DPP_PARSE_MALFORMED_ipv6_truncated;
	if (DPP_PARSE_UNLIKELY((ip[0] >> 4) != 6))
		return DPP_PARSE_MALFORMED_ipv6_version;
	/* Payload length counts extension headers too (RFC 8200 section 3). */
	end = IPV6_HDR_LEN + (uint32_t)rd_be16(ip + 4);
	if (DPP_PARSE_UNLIKELY(end > avail))
		return DPP_PARSE_MALFORMED_ip_len_beyond_frame;

	nh = ip[6];
	while (nh != PROTO_TCP) {
		if (!is_ipv6_ext_walked(nh))
			return DPP_PARSE_NON_TCP; /* ICMPv6, UDP, no next header, AH, ESP ... */
		if (DPP_PARSE_UNLIKELY(n_ext == IPV6_MAX_EXT_HDRS))
			return DPP_PARSE_MALFORMED_ipv6_ext_too_many;
		n_ext++;
		/* Every extension header is at least 8 octets. */
		if (DPP_PARSE_UNLIKELY(end - off < IPV6_EXT_UNIT))
			goto ext_truncated;
		if (nh == PROTO_FRAGMENT) {
			frag = rd_be16(ip + off + 2);
			if (frag & IPV6_FRAG_OFF_MASK) {
				/* A later fragment: its upper-layer header is elsewhere. */
				nh = ip[off];
				if (nh == PROTO_TCP || is_ipv6_ext_walked(nh))
					return DPP_PARSE_FRAGMENT;
				return DPP_PARSE_NON_TCP;
			}
			if (frag & IPV6_FRAG_M)
				fragmented = 1;
			ext_len = IPV6_FRAG_HDR_LEN;
		} else {
			ext_len = ((uint32_t)ip[off + 1] + 1) * IPV6_EXT_UNIT;
			if (DPP_PARSE_UNLIKELY(ext_len > end - off))
				goto ext_truncated;
		}
		nh = ip[off];
		off += ext_len;
	}
	if (DPP_PARSE_UNLIKELY(fragmented))
		return DPP_PARSE_FRAGMENT;

	out->ip_version = 6;
	memcpy(out->src, ip + 8, 16);
	memcpy(out->dst, ip + 24, 16);
	*seg = ip + off;
	*seg_len = end - off;
	return DPP_PARSE_TCP;

ext_truncated:
	return fragmented ? DPP_PARSE_FRAGMENT : DPP_PARSE_MALFORMED_ipv6_ext_truncated;
}

/**
 * Read the TCP options between the fixed header and the data offset.
 *
 * RFC 9293 section 3.2: EOL ends the list, NOP is one octet, every other
 * kind has a length octet that counts kind and length and must stay inside
 * the header. The kinds the tracker uses must have their defined lengths:
 * MSS 4 (RFC 9293 3.2), window scale 3 (RFC 7323 2.2), timestamps 10
 * (RFC 7323 3.2), SACK-permitted 2 (RFC 2018 section 2) and SACK 2+8n
 * (RFC 2018 section 3). Unknown kinds with a sane length are skipped. When an
 * option repeats, the last one wins, as in Linux's tcp_parse_options().
 *
 * The loop runs over at most 40 octets of options, never over payload.
 *
 * @param opt     First option octet.
 * @param opt_len Octets of options (data offset * 4 - 20).
 * @param out     Receives the options; its option fields are already reset.
 * @return DPP_PARSE_TCP, or the tcp_opt_* reason.
 */
static inline int parse_tcp_options(const uint8_t *opt, uint32_t opt_len, struct dpp_pkt_view *out)
{
	uint32_t i = 0;
	uint32_t len;
	uint32_t n;
	uint32_t b;

	while (i < opt_len) {
		if (opt[i] == TCPOPT_EOL)
			break;
		if (opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (DPP_PARSE_UNLIKELY(opt_len - i < 2))
			return DPP_PARSE_MALFORMED_tcp_opt_len;
		len = opt[i + 1];
		if (DPP_PARSE_UNLIKELY(len < 2 || len > opt_len - i))
			return DPP_PARSE_MALFORMED_tcp_opt_len;

		switch (opt[i]) {
		case TCPOPT_MSS:
			if (DPP_PARSE_UNLIKELY(len != TCPOLEN_MSS))
				return DPP_PARSE_MALFORMED_tcp_opt_mss_len;
			out->has_mss = true;
			out->mss = rd_be16(opt + i + 2);
			break;
		case TCPOPT_WSCALE:
			if (DPP_PARSE_UNLIKELY(len != TCPOLEN_WSCALE))
				return DPP_PARSE_MALFORMED_tcp_opt_wscale_len;
			out->has_wscale = true;
			out->wscale = opt[i + 2];
			break;
		case TCPOPT_SACK_PERM:
			if (DPP_PARSE_UNLIKELY(len != TCPOLEN_SACK_PERM))
				return DPP_PARSE_MALFORMED_tcp_opt_sackperm_len;
			out->sack_permitted = true;
			break;
		case TCPOPT_TIMESTAMP:
			if (DPP_PARSE_UNLIKELY(len != TCPOLEN_TIMESTAMP))
				return DPP_PARSE_MALFORMED_tcp_opt_ts_len;
			out->has_timestamps = true;
			out->tsval = rd_be32(opt + i + 2);
			out->tsecr = rd_be32(opt + i + 6);
			break;
		case TCPOPT_SACK:
			/* 2 + 8n with n 1..4; 40 octets of options cannot hold more. */
			n = (len - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK;
			if (DPP_PARSE_UNLIKELY(n == 0 || n > DPP_TCP_MAX_SACK_BLOCKS ||
					       len != TCPOLEN_SACK_BASE + n * TCPOLEN_SACK_BLOCK))
				return DPP_PARSE_MALFORMED_tcp_opt_sack_len;
			for (b = 0; b < n; b++) {
				out->sack[b][0] = rd_be32(opt + i + 2 + b * TCPOLEN_SACK_BLOCK);
				out->sack[b][1] = rd_be32(opt + i + 6 + b * TCPOLEN_SACK_BLOCK);
			}
			out->sack_blocks = (uint8_t)n;
			break;
		default:
			break;
		}
		i += len;
	}
	return DPP_PARSE_TCP;
}

/**
 * Check a TCP header (RFC 9293 section 3.1) and fill the view from it.
 *
 * @param th      First byte of the TCP header.
 * @param seg_len Segment length from the IP header (not the capture).
 * @param out     The view to fill.
 * @return DPP_PARSE_TCP, or the tcp_* reason.
 */
static inline int parse_tcp(const uint8_t *th, uint32_t seg_len, struct dpp_pkt_view *out)
{
	uint32_t hdr_len;

	if (DPP_PARSE_UNLIKELY(seg_len < TCP_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_tcp_truncated;
	hdr_len = (uint32_t)(th[12] >> 4) * 4;
	if (DPP_PARSE_UNLIKELY(hdr_len < TCP_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_tcp_doff_short;
	if (DPP_PARSE_UNLIKELY(hdr_len > seg_len))
		return DPP_PARSE_MALFORMED_tcp_doff_beyond_segment;

	out->sport = rd_be16(th);
	out->dport = rd_be16(th + 2);
	out->seq = rd_be32(th + 4);
	out->ack = rd_be32(th + 8);
	out->tcp_flags = th[13];
	out->window = rd_be16(th + 14);
	out->payload_len = (uint16_t)(seg_len - hdr_len);

	/* Options are per segment: nothing may leak from the previous packet. */
	out->has_mss = false;
	out->has_wscale = false;
	out->sack_permitted = false;
	out->has_timestamps = false;
	out->mss = 0;
	out->wscale = 0;
	out->tsval = 0;
	out->tsecr = 0;
	out->sack_blocks = 0;
	if (hdr_len == TCP_MIN_HDR_LEN)
		return DPP_PARSE_TCP;
	return parse_tcp_options(th + TCP_MIN_HDR_LEN, hdr_len - TCP_MIN_HDR_LEN, out);
}

int dpp_tcp_parse(const uint8_t *pkt, uint16_t len, struct dpp_pkt_view *out)
{
	const uint8_t *seg = NULL;
	uint32_t seg_len = 0;
	uint32_t off = ETH_HDR_LEN;
	uint16_t ethertype;
	uint8_t vlans = 0;
	int rc;

	if (DPP_PARSE_UNLIKELY(len < ETH_HDR_LEN))
		return DPP_PARSE_MALFORMED_eth_truncated;
	ethertype = rd_be16(pkt + ETH_TYPE_OFF);

	/* Each tag is a TCI and the next ethertype; a fifth tag is refused. */
	while (is_vlan_tpid(ethertype)) {
		if (DPP_PARSE_UNLIKELY(vlans == VLAN_MAX_TAGS))
			return DPP_PARSE_MALFORMED_vlan_too_many;
		if (DPP_PARSE_UNLIKELY(len - off < VLAN_TAG_LEN))
			return DPP_PARSE_MALFORMED_vlan_truncated;
		ethertype = rd_be16(pkt + off + 2);
		off += VLAN_TAG_LEN;
		vlans++;
	}

	if (ethertype == ETHERTYPE_IPV4)
		rc = parse_ipv4(pkt + off, len - off, out, &seg, &seg_len);
	else if (ethertype == ETHERTYPE_IPV6)
		rc = parse_ipv6(pkt + off, len - off, out, &seg, &seg_len);
	else
		return DPP_PARSE_NON_IP;
	if (rc != DPP_PARSE_TCP)
		return rc;

	out->vlan_count = vlans;
	return parse_tcp(seg, seg_len, out);
}
