/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpp_tcp_parse_frame(): one captured frame down to its TCP header, as a
 * pure function over bytes and lengths.
 *
 * The walk is the link-layer header (Ethernet, Linux cooked v1/v2, raw IP,
 * BSD loopback), up to four VLAN tags, IPv4 (options checked) or IPv6 (with
 * its extension headers), then TCP and its options. Every length is checked
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

/* Other link-layer headers (tcpdump.org/linktypes.html). */
#define SLL_HDR_LEN 16	   /* pkttype, hatype, halen, 8 address bytes, protocol */
#define SLL_PROTO_OFF 14
#define SLL2_HDR_LEN 20	   /* protocol, reserved, ifindex, hatype, pkttype, halen, address */
#define SLL2_PROTO_OFF 0
#define NULL_HDR_LEN 4	   /* the sender's address family, 32 bits */
#define BSD_AF_INET 2
#define BSD_AF_INET6_NETBSD 24 /* also OpenBSD */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

/* IPv4 options, RFC 791 section 3.1. */
#define IPOPT_EOL 0
#define IPOPT_NOP 1

/* IPv6 jumbograms, RFC 2675 section 2. */
#define IP6OPT_PAD1 0
#define IP6OPT_JUMBO 0xc2
#define IP6OPT_JUMBO_LEN 4

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

static inline uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
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
 * Check IPv4 options (RFC 791 section 3.1): EOL ends the list, NOP is one
 * octet, every other option has a length octet of at least 2 that stays
 * inside the header. Nothing else of them is interpreted.
 */
static inline int check_ipv4_options(const uint8_t *opt, uint32_t opt_len)
{
	uint32_t i = 0;

	while (i < opt_len) {
		if (opt[i] == IPOPT_EOL)
			break;
		if (opt[i] == IPOPT_NOP) {
			i++;
			continue;
		}
		if (DPP_PARSE_UNLIKELY(opt_len - i < 2 || opt[i + 1] < 2 ||
				       opt[i + 1] > opt_len - i))
			return DPP_PARSE_MALFORMED_ipv4_opt_len;
		i += opt[i + 1];
	}
	return DPP_PARSE_TCP;
}

/** Where an IP header's segment is, and how much of it was captured. */
struct ip_segment {
	const uint8_t *seg; /**< First byte of the TCP header. */
	uint32_t len;	    /**< Segment length from the IP header. */
	uint32_t avail;	    /**< Of those, bytes captured (less when sliced). */
};

/**
 * Check an IPv4 header and find its TCP segment.
 *
 * Lengths are checked in the order of RFC 791 section 3.1: the fixed header,
 * then IHL, the options, then the total length against both the header and
 * the frame. A total length beyond the captured bytes is slicing when the
 * frame may have been sliced (wire length unknown), else malformed. A total
 * length of 0 is a TSO / BIG TCP super-frame: its length is the frame's,
 * as Wireshark assumes by default (ip.tso_support).
 *
 * @param ip     First byte of the IPv4 header.
 * @param avail  Bytes captured from ip on.
 * @param wire   Bytes the frame had from ip on, or DPP_WIRE_LEN_UNKNOWN.
 * @param out    Receives version, addresses and the sliced flag when it is TCP.
 * @param ts     Set to the TCP segment.
 * @return DPP_PARSE_TCP, or the reason the packet is not tracked.
 */
static inline int parse_ipv4(const uint8_t *ip, uint32_t avail, uint32_t wire,
			     struct dpp_pkt_view *out, struct ip_segment *ts)
{
	uint32_t hdr_len;
	uint32_t total_len;
	uint16_t frag;
	uint8_t proto;
	int rc;

	if (DPP_PARSE_UNLIKELY(avail < IPV4_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_ipv4_truncated;
	if (DPP_PARSE_UNLIKELY((ip[0] >> 4) != 4))
		return DPP_PARSE_MALFORMED_ipv4_version;
	hdr_len = (uint32_t)(ip[0] & 0x0f) * 4;
	if (DPP_PARSE_UNLIKELY(hdr_len < IPV4_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_ipv4_ihl_short;
	if (DPP_PARSE_UNLIKELY(hdr_len > avail))
		return DPP_PARSE_MALFORMED_ipv4_truncated;
	if (hdr_len > IPV4_MIN_HDR_LEN) {
		rc = check_ipv4_options(ip + IPV4_MIN_HDR_LEN, hdr_len - IPV4_MIN_HDR_LEN);
		if (DPP_PARSE_UNLIKELY(rc != DPP_PARSE_TCP))
			return rc;
	}
	total_len = rd_be16(ip + 2);
	if (DPP_PARSE_UNLIKELY(total_len == 0))
		total_len = wire != DPP_WIRE_LEN_UNKNOWN ? wire : avail;
	if (DPP_PARSE_UNLIKELY(total_len < hdr_len))
		return DPP_PARSE_MALFORMED_ip_len_short;
	/* Anything past total_len is Ethernet padding and is ignored. */
	if (DPP_PARSE_UNLIKELY(total_len > wire))
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
	out->sliced = total_len > avail;
	memcpy(out->src, ip + 12, 4);
	memset(out->src + 4, 0, sizeof(out->src) - 4);
	memcpy(out->dst, ip + 16, 4);
	memset(out->dst + 4, 0, sizeof(out->dst) - 4);
	ts->seg = ip + hdr_len;
	ts->len = total_len - hdr_len;
	ts->avail = min_u32(total_len, avail) - hdr_len;
	return DPP_PARSE_TCP;
}

/**
 * The length of an IPv6 jumbogram (RFC 2675): payload length 0 and a
 * hop-by-hop header, first after the fixed header, with a Jumbo Payload
 * option. Linux BIG TCP sends these (and captures show them) for GSO/GRO
 * packets over 64 KiB.
 *
 * @return The jumbo payload length, or 0 if there is no well-formed option.
 */
static inline uint32_t ipv6_jumbo_len(const uint8_t *ip, uint32_t avail)
{
	uint32_t hbh_len, i;

	if (ip[6] != PROTO_HOPOPTS || avail < IPV6_HDR_LEN + IPV6_EXT_UNIT)
		return 0;
	hbh_len = ((uint32_t)ip[IPV6_HDR_LEN + 1] + 1) * IPV6_EXT_UNIT;
	if (hbh_len > avail - IPV6_HDR_LEN)
		return 0;
	/* Options after the next-header and length octets (RFC 8200 4.2). */
	for (i = 2; i < hbh_len;) {
		const uint8_t *o = ip + IPV6_HDR_LEN + i;

		if (o[0] == IP6OPT_PAD1) {
			i++;
			continue;
		}
		if (hbh_len - i < 2 || (uint32_t)o[1] + 2 > hbh_len - i)
			return 0;
		if (o[0] == IP6OPT_JUMBO)
			return o[1] == IP6OPT_JUMBO_LEN ? rd_be32(o + 2) : 0;
		i += (uint32_t)o[1] + 2;
	}
	return 0;
}

/**
 * Check an IPv6 header, walk its extension headers and find the TCP segment.
 *
 * Hop-by-hop, routing and destination options share the layout of RFC 8200
 * section 4.3 (next header, length in 8-octet units not counting the first
 * 8); the fragment header is 8 octets (section 4.5). The chain is walked
 * inside the payload length, never into Ethernet padding, and must have been
 * captured whole (a sliced frame cut inside it is not tracked).
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
 * @param wire   Bytes the frame had from ip on, or DPP_WIRE_LEN_UNKNOWN.
 * @param out    Receives version, addresses and the sliced flag when it is TCP.
 * @param ts     Set to the TCP segment.
 * @return DPP_PARSE_TCP, or the reason the packet is not tracked.
 */
static inline int parse_ipv6(const uint8_t *ip, uint32_t avail, uint32_t wire,
			     struct dpp_pkt_view *out, struct ip_segment *ts)
{
	uint64_t end64;
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
	end64 = IPV6_HDR_LEN + (uint64_t)rd_be16(ip + 4);
	if (DPP_PARSE_UNLIKELY(end64 == IPV6_HDR_LEN && ip[6] == PROTO_HOPOPTS)) {
		uint32_t jumbo = ipv6_jumbo_len(ip, avail);

		if (jumbo == 0)
			return DPP_PARSE_MALFORMED_ipv6_jumbo;
		end64 = IPV6_HDR_LEN + (uint64_t)jumbo;
	}
	if (DPP_PARSE_UNLIKELY(end64 > wire))
		return DPP_PARSE_MALFORMED_ip_len_beyond_frame;
	end = (uint32_t)end64;

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
		if (DPP_PARSE_UNLIKELY(avail - off < IPV6_EXT_UNIT))
			goto ext_cut;
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
			if (DPP_PARSE_UNLIKELY(ext_len > avail - off))
				goto ext_cut;
		}
		nh = ip[off];
		off += ext_len;
	}
	if (DPP_PARSE_UNLIKELY(fragmented))
		return DPP_PARSE_FRAGMENT;

	out->ip_version = 6;
	out->sliced = end > avail;
	memcpy(out->src, ip + 8, 16);
	memcpy(out->dst, ip + 24, 16);
	ts->seg = ip + off;
	ts->len = end - off;
	ts->avail = min_u32(end, avail) - off;
	return DPP_PARSE_TCP;

ext_truncated:
	return fragmented ? DPP_PARSE_FRAGMENT : DPP_PARSE_MALFORMED_ipv6_ext_truncated;
ext_cut:
	/* Sliced inside the extension headers: the IP header was not captured whole. */
	return fragmented ? DPP_PARSE_FRAGMENT : DPP_PARSE_MALFORMED_ip_len_beyond_frame;
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
 * @param ts   The segment: its length from the IP header and the bytes of it
 *             captured. The whole header (options included) must have been
 *             captured; a sliced frame cut inside it is ip_len_beyond_frame,
 *             as it would be unsliced.
 * @param out  The view to fill.
 * @return DPP_PARSE_TCP, or the reason.
 */
static inline int parse_tcp(const struct ip_segment *ts, struct dpp_pkt_view *out)
{
	const uint8_t *th = ts->seg;
	uint32_t hdr_len;

	if (DPP_PARSE_UNLIKELY(ts->len < TCP_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_tcp_truncated;
	if (DPP_PARSE_UNLIKELY(ts->avail < TCP_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_ip_len_beyond_frame;
	hdr_len = (uint32_t)(th[12] >> 4) * 4;
	if (DPP_PARSE_UNLIKELY(hdr_len < TCP_MIN_HDR_LEN))
		return DPP_PARSE_MALFORMED_tcp_doff_short;
	if (DPP_PARSE_UNLIKELY(hdr_len > ts->len))
		return DPP_PARSE_MALFORMED_tcp_doff_beyond_segment;
	if (DPP_PARSE_UNLIKELY(hdr_len > ts->avail))
		return DPP_PARSE_MALFORMED_ip_len_beyond_frame;

	out->sport = rd_be16(th);
	out->dport = rd_be16(th + 2);
	out->seq = rd_be32(th + 4);
	out->ack = rd_be32(th + 8);
	out->tcp_flags = th[13];
	out->window = rd_be16(th + 14);
	out->payload_len = ts->len - hdr_len;

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

/*
 * The link-layer header: where the network layer starts and the ethertype
 * that says what it is (raw IP and loopback frames get the ethertype their
 * version or address family means). VLAN tags are walked for Ethernet and
 * Linux cooked frames, whose protocol field is an ethertype.
 */
static inline int parse_link(const struct dpp_frame *fr, uint32_t *l3_off, uint16_t *ethertype,
			     uint8_t *vlan_count)
{
	const uint8_t *pkt = fr->data;
	const uint32_t len = fr->len;
	uint32_t off, af;
	uint8_t vlans = 0;
	uint16_t et;

	switch (fr->link_type) {
	case DPP_LINK_ETHERNET:
		if (DPP_PARSE_UNLIKELY(len < ETH_HDR_LEN))
			return DPP_PARSE_MALFORMED_eth_truncated;
		et = rd_be16(pkt + ETH_TYPE_OFF);
		off = ETH_HDR_LEN;
		break;
	case DPP_LINK_LINUX_SLL:
		if (DPP_PARSE_UNLIKELY(len < SLL_HDR_LEN))
			return DPP_PARSE_MALFORMED_link_truncated;
		et = rd_be16(pkt + SLL_PROTO_OFF);
		off = SLL_HDR_LEN;
		break;
	case DPP_LINK_LINUX_SLL2:
		if (DPP_PARSE_UNLIKELY(len < SLL2_HDR_LEN))
			return DPP_PARSE_MALFORMED_link_truncated;
		et = rd_be16(pkt + SLL2_PROTO_OFF);
		off = SLL2_HDR_LEN;
		break;
	case DPP_LINK_RAW:
		if (DPP_PARSE_UNLIKELY(len < 1))
			return DPP_PARSE_MALFORMED_link_truncated;
		*l3_off = 0;
		*vlan_count = 0;
		*ethertype = (pkt[0] >> 4) == 4 ? ETHERTYPE_IPV4 :
			     (pkt[0] >> 4) == 6 ? ETHERTYPE_IPV6 : 0;
		return DPP_PARSE_TCP;
	case DPP_LINK_IPV4:
	case DPP_LINK_IPV6:
		*l3_off = 0;
		*vlan_count = 0;
		*ethertype = fr->link_type == DPP_LINK_IPV4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
		return DPP_PARSE_TCP;
	case DPP_LINK_NULL:
	case DPP_LINK_LOOP:
		if (DPP_PARSE_UNLIKELY(len < NULL_HDR_LEN))
			return DPP_PARSE_MALFORMED_link_truncated;
		/*
		 * DLT_NULL is in the capturing host's byte order, which the
		 * file does not say: a family is small, so a value above 16
		 * bits is the other order (Wireshark reads it the same way).
		 */
		af = fr->link_type == DPP_LINK_LOOP ? rd_be32(pkt) : rd_le32(pkt);
		if (af > 0xffff)
			af = rd_be32(pkt) > 0xffff ? rd_le32(pkt) : rd_be32(pkt);
		*l3_off = NULL_HDR_LEN;
		*vlan_count = 0;
		*ethertype = af == BSD_AF_INET ? ETHERTYPE_IPV4 :
			     (af == BSD_AF_INET6_NETBSD || af == BSD_AF_INET6_FREEBSD ||
			      af == BSD_AF_INET6_DARWIN) ? ETHERTYPE_IPV6 : 0;
		return DPP_PARSE_TCP;
	default:
		return DPP_PARSE_NON_IP;
	}

	/* Each tag is a TCI and the next ethertype; a fifth tag is refused. */
	while (is_vlan_tpid(et)) {
		if (DPP_PARSE_UNLIKELY(vlans == VLAN_MAX_TAGS))
			return DPP_PARSE_MALFORMED_vlan_too_many;
		if (DPP_PARSE_UNLIKELY(len - off < VLAN_TAG_LEN))
			return DPP_PARSE_MALFORMED_vlan_truncated;
		et = rd_be16(pkt + off + 2);
		off += VLAN_TAG_LEN;
		vlans++;
	}
	*l3_off = off;
	*ethertype = et;
	*vlan_count = vlans;
	return DPP_PARSE_TCP;
}

bool dpp_link_type_supported(int link_type)
{
	return dpp_link_type_name(link_type) != NULL;
}

const char *dpp_link_type_name(int link_type)
{
	switch (link_type) {
	case DPP_LINK_NULL:
		return "null";
	case DPP_LINK_ETHERNET:
		return "ethernet";
	case DPP_LINK_RAW:
		return "raw";
	case DPP_LINK_LOOP:
		return "loop";
	case DPP_LINK_LINUX_SLL:
		return "linux_sll";
	case DPP_LINK_IPV4:
		return "ipv4";
	case DPP_LINK_IPV6:
		return "ipv6";
	case DPP_LINK_LINUX_SLL2:
		return "linux_sll2";
	default:
		return NULL;
	}
}

int dpp_tcp_parse_frame(const struct dpp_frame *fr, struct dpp_pkt_view *out)
{
	struct ip_segment ts;
	uint32_t off, wire;
	uint16_t ethertype;
	uint8_t vlans;
	int rc;

	rc = parse_link(fr, &off, &ethertype, &vlans);
	if (rc != DPP_PARSE_TCP)
		return rc;
	wire = fr->wire_len == DPP_WIRE_LEN_UNKNOWN ? DPP_WIRE_LEN_UNKNOWN :
	       fr->wire_len > off			 ? fr->wire_len - off :
							   0;
	if (ethertype == ETHERTYPE_IPV4)
		rc = parse_ipv4(fr->data + off, fr->len - off, wire, out, &ts);
	else if (ethertype == ETHERTYPE_IPV6)
		rc = parse_ipv6(fr->data + off, fr->len - off, wire, out, &ts);
	else
		return DPP_PARSE_NON_IP;
	if (rc != DPP_PARSE_TCP)
		return rc;

	out->vlan_count = vlans;
	return parse_tcp(&ts, out);
}

int dpp_tcp_parse(const uint8_t *pkt, uint16_t len, struct dpp_pkt_view *out)
{
	const struct dpp_frame fr = {
		.data = pkt, .len = len, .wire_len = len, .link_type = DPP_LINK_ETHERNET};

	return dpp_tcp_parse_frame(&fr, out);
}
