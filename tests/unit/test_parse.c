/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Unit tests of dpp_tcp_parse() and the result names, on hand-built frames.
 *
 * Most tests build a valid frame with the small builder below, break one
 * field, and check the named reason. Bad input comes first: one test per
 * reason in malformed.def, then frames that are well formed but not tracked
 * (non_ip, non_tcp, fragments), then the good cases.
 *
 * Every frame is parsed from a heap copy of exactly its length, so an ASan
 * build catches any read past the captured bytes.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpp_flow.h"

/* ------------------------------------------------------------------ */
/* Frame builder                                                       */
/* ------------------------------------------------------------------ */

#define FRAME_MAX 1600

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_ARP 0x0806
#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88a8
#define TPID_9100 0x9100

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_ICMPV6 58
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60

#define TEST_SPORT 40112
#define TEST_DPORT 8080
#define TEST_SEQ 0x01020304u
#define TEST_ACK 0xa0b0c0d0u
#define TEST_WINDOW 64256

struct frame {
	uint8_t b[FRAME_MAX];
	uint16_t len;	    /**< Bytes built so far. */
	uint16_t l3;	    /**< Offset of the IP header. */
	uint16_t l4;	    /**< Offset of the header after the last IP/extension header. */
	uint8_t ip_version; /**< 4 or 6, for ip_finish(). */
};

static void put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, p, n);
	f->len += (uint16_t)n;
}

static void put_u8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put_be16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(f, b, sizeof(b));
}

static void put_be32(struct frame *f, uint32_t v)
{
	put_be16(f, (uint16_t)(v >> 16));
	put_be16(f, (uint16_t)v);
}

static void set_be16(struct frame *f, size_t at, uint16_t v)
{
	f->b[at] = (uint8_t)(v >> 8);
	f->b[at + 1] = (uint8_t)v;
}

/* Ethernet header; tpids[] are the VLAN tags, outermost first. */
static void eth_tagged(struct frame *f, const uint16_t *tpids, unsigned int n_tags,
		       uint16_t ethertype)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
	unsigned int i;

	memset(f, 0, sizeof(*f));
	put(f, macs, sizeof(macs));
	for (i = 0; i < n_tags; i++) {
		put_be16(f, tpids[i]);
		put_be16(f, (uint16_t)(100 + i)); /* TCI: VLAN id 100 + i. */
	}
	put_be16(f, ethertype);
}

static void eth(struct frame *f, uint16_t ethertype)
{
	eth_tagged(f, NULL, 0, ethertype);
}

/* IPv4 198.18.0.1 -> 198.18.0.2, DF set; ip_finish() fills the total length. */
static void ipv4(struct frame *f, uint8_t proto, const uint8_t *opts, size_t opts_len)
{
	static const uint8_t addrs[8] = {198, 18, 0, 1, 198, 18, 0, 2};

	assert_int_equal(opts_len % 4, 0);
	f->l3 = f->len;
	f->ip_version = 4;
	put_u8(f, (uint8_t)(0x40 | (5 + opts_len / 4)));
	put_u8(f, 0);	     /* DSCP/ECN */
	put_be16(f, 0);	     /* total length, see ip_finish() */
	put_be16(f, 0x1234); /* identification */
	put_be16(f, 0x4000); /* DF, offset 0 */
	put_u8(f, 64);	     /* TTL */
	put_u8(f, proto);
	put_be16(f, 0); /* checksum: not verified */
	put(f, addrs, sizeof(addrs));
	if (opts_len)
		put(f, opts, opts_len);
	f->l4 = f->len;
}

/* IPv6 2001:db8::1 -> 2001:db8::2; ip_finish() fills the payload length. */
static void ipv6(struct frame *f, uint8_t next_header)
{
	uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8};

	f->l3 = f->len;
	f->ip_version = 6;
	put_be32(f, 0x60000000); /* version 6, class 0, flow label 0 */
	put_be16(f, 0);		 /* payload length, see ip_finish() */
	put_u8(f, next_header);
	put_u8(f, 64); /* hop limit */
	addr[15] = 1;
	put(f, addr, sizeof(addr));
	addr[15] = 2;
	put(f, addr, sizeof(addr));
	f->l4 = f->len;
}

/*
 * Hop-by-hop, routing or destination-options header of 8 * (1 + units)
 * octets (RFC 8200 4.3), its body one PadN option. The parser only reads
 * next header and length, so the same body serves all three kinds.
 */
static void ipv6_ext(struct frame *f, uint8_t next_header, uint8_t units)
{
	size_t body = 6 + 8 * (size_t)units;
	uint8_t zeros[6 + 8 * 255] = {0};

	put_u8(f, next_header);
	put_u8(f, units);
	put_u8(f, 1); /* PadN */
	put_u8(f, (uint8_t)(body - 2));
	put(f, zeros, body - 2);
	f->l4 = f->len;
}

/* IPv6 fragment header (RFC 8200 4.5); offset in 8-octet units. */
static void ipv6_frag(struct frame *f, uint8_t next_header, uint16_t offset, bool more)
{
	put_u8(f, next_header);
	put_u8(f, 0);
	put_be16(f, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	put_be32(f, 0xcafe);
	f->l4 = f->len;
}

/* TCP header TEST_SPORT -> TEST_DPORT with the given options (a multiple of 4). */
static void tcp(struct frame *f, uint8_t flags, const uint8_t *opts, size_t opts_len)
{
	assert_int_equal(opts_len % 4, 0);
	put_be16(f, TEST_SPORT);
	put_be16(f, TEST_DPORT);
	put_be32(f, TEST_SEQ);
	put_be32(f, TEST_ACK);
	put_u8(f, (uint8_t)((5 + opts_len / 4) << 4));
	put_u8(f, flags);
	put_be16(f, TEST_WINDOW);
	put_be16(f, 0); /* checksum: not verified */
	put_be16(f, 0); /* urgent pointer */
	if (opts_len)
		put(f, opts, opts_len);
}

static void payload(struct frame *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put_u8(f, (uint8_t)(0xa0 + i));
}

/* Set the IP length field to cover everything built after the IP header. */
static void ip_finish(struct frame *f)
{
	if (f->ip_version == 4)
		set_be16(f, f->l3 + 2, (uint16_t)(f->len - f->l3));
	else
		set_be16(f, f->l3 + 4, (uint16_t)(f->len - f->l3 - 40));
}

/* A valid IPv4 TCP frame, ACK set. */
static void tcp4_frame(struct frame *f, const uint8_t *opts, size_t opts_len, size_t payload_len)
{
	eth(f, ETHERTYPE_IPV4);
	ipv4(f, PROTO_TCP, NULL, 0);
	tcp(f, DPP_TCP_ACK, opts, opts_len);
	payload(f, payload_len);
	ip_finish(f);
}

/* A valid IPv6 TCP frame, ACK set. */
static void tcp6_frame(struct frame *f, size_t payload_len)
{
	eth(f, ETHERTYPE_IPV6);
	ipv6(f, PROTO_TCP);
	tcp(f, DPP_TCP_ACK, NULL, 0);
	payload(f, payload_len);
	ip_finish(f);
}

/* Parse from a heap copy of exactly len bytes so ASan sees any over-read. */
static int parse_bytes(const uint8_t *b, uint16_t len, struct dpp_pkt_view *v)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, b, len);
	rc = dpp_tcp_parse(copy, len, v);
	free(copy);
	return rc;
}

static int parse(const struct frame *f, struct dpp_pkt_view *v)
{
	return parse_bytes(f->b, f->len, v);
}

/* Compare by name first so a failure says which reason came back. */
static void expect_result(const struct frame *f, int expected)
{
	struct dpp_pkt_view v;
	int rc = parse(f, &v);

	assert_string_equal(dpp_parse_result_name(rc), dpp_parse_result_name(expected));
	assert_int_equal(rc, expected);
}

static void expect_tcp(const struct frame *f, struct dpp_pkt_view *v)
{
	int rc = parse(f, v);

	assert_string_equal(dpp_parse_result_name(rc), "tcp");
}

/* A valid IPv4 frame whose options are the given bytes, expecting reason. */
static void expect_options_result(const uint8_t *opts, size_t opts_len, int expected)
{
	struct frame f;

	tcp4_frame(&f, opts, opts_len, 0);
	expect_result(&f, expected);
}

/* ------------------------------------------------------------------ */
/* Malformed: one test per reason in malformed.def                     */
/* ------------------------------------------------------------------ */

static void parse_rejects_zero_length_input(void **state)
{
	struct dpp_pkt_view v;

	(void)state;
	assert_int_equal(parse_bytes(NULL, 0, &v), DPP_PARSE_MALFORMED_eth_truncated);
}

static void parse_rejects_frame_shorter_than_ethernet(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	f.len = 13;
	expect_result(&f, DPP_PARSE_MALFORMED_eth_truncated);
}

static void parse_rejects_vlan_tag_with_nothing_after(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, TPID_8021Q);
	assert_int_equal(f.len, 14);
	expect_result(&f, DPP_PARSE_MALFORMED_vlan_truncated);
}

static void parse_rejects_vlan_tag_cut_before_inner_ethertype(void **state)
{
	static const uint16_t tags[] = {TPID_8021AD};
	struct frame f;

	(void)state;
	eth_tagged(&f, tags, 1, ETHERTYPE_IPV4);
	f.len = 16; /* TCI present, inner ethertype missing. */
	expect_result(&f, DPP_PARSE_MALFORMED_vlan_truncated);
	f.len = 17;
	expect_result(&f, DPP_PARSE_MALFORMED_vlan_truncated);
}

static void parse_rejects_fifth_vlan_tag(void **state)
{
	static const uint16_t tags[] = {TPID_8021AD, TPID_8021Q, TPID_8021Q, TPID_8021Q,
					TPID_8021Q};
	struct frame f;

	(void)state;
	eth_tagged(&f, tags, 5, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, NULL, 0);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_MALFORMED_vlan_too_many);
}

static void parse_rejects_truncated_ipv4(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	f.len = 14 + 19;
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_truncated);
}

static void parse_rejects_ipv4_options_beyond_capture(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	f.b[f.l3] = 0x4f; /* IHL 15: 60 bytes of header, 40 captured. */
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_truncated);
}

static void parse_rejects_ihl_below_five(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	f.b[f.l3] = 0x44;
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_ihl_short);
	f.b[f.l3] = 0x40;
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_ihl_short);
}

static void parse_rejects_ipv4_ethertype_with_other_version(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	f.b[f.l3] = 0x65;
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_version);
}

static void parse_rejects_truncated_ipv6(void **state)
{
	struct frame f;

	(void)state;
	tcp6_frame(&f, 0);
	f.len = 14 + 39;
	expect_result(&f, DPP_PARSE_MALFORMED_ipv6_truncated);
}

static void parse_rejects_ipv6_ethertype_with_other_version(void **state)
{
	struct frame f;

	(void)state;
	tcp6_frame(&f, 0);
	f.b[f.l3] = 0x45;
	expect_result(&f, DPP_PARSE_MALFORMED_ipv6_version);
}

static void parse_rejects_ipv6_ext_header_past_payload(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_HOPOPTS);
	ipv6_ext(&f, PROTO_TCP, 0);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	f.b[f.l3 + 40 + 1] = 5; /* Claims 48 octets; the payload has 28. */
	expect_result(&f, DPP_PARSE_MALFORMED_ipv6_ext_truncated);
}

static void parse_rejects_ipv6_ext_header_in_ethernet_padding(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_DSTOPTS);
	ip_finish(&f); /* Payload length 0: the header below is padding. */
	ipv6_ext(&f, PROTO_TCP, 0);
	expect_result(&f, DPP_PARSE_MALFORMED_ipv6_ext_truncated);
}

static void parse_rejects_ipv6_fragment_header_past_payload(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_DSTOPTS);
	ipv6_ext(&f, PROTO_FRAGMENT, 0);
	payload(&f, 4); /* Half a fragment header. */
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_MALFORMED_ipv6_ext_truncated);
}

static void parse_rejects_more_than_eight_ipv6_ext_headers(void **state)
{
	struct frame f;
	int i;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_DSTOPTS);
	for (i = 0; i < 8; i++)
		ipv6_ext(&f, PROTO_DSTOPTS, 0);
	ipv6_ext(&f, PROTO_TCP, 0);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_MALFORMED_ipv6_ext_too_many);
}

static void parse_rejects_ip_len_below_header(void **state)
{
	static const uint8_t ip_opts[4] = {1, 1, 1, 0}; /* NOP NOP NOP EOL */
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	set_be16(&f, f.l3 + 2, 19);
	expect_result(&f, DPP_PARSE_MALFORMED_ip_len_short);

	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, ip_opts, sizeof(ip_opts));
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	set_be16(&f, f.l3 + 2, 20); /* Below IHL * 4 = 24. */
	expect_result(&f, DPP_PARSE_MALFORMED_ip_len_short);
}

static void parse_rejects_ip_len_beyond_frame(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 10);
	set_be16(&f, f.l3 + 2, (uint16_t)(f.len - f.l3 + 1));
	expect_result(&f, DPP_PARSE_MALFORMED_ip_len_beyond_frame);
}

static void parse_rejects_ipv6_payload_len_beyond_frame(void **state)
{
	struct frame f;

	(void)state;
	tcp6_frame(&f, 10);
	set_be16(&f, f.l3 + 4, (uint16_t)(f.len - f.l3 - 40 + 1));
	expect_result(&f, DPP_PARSE_MALFORMED_ip_len_beyond_frame);
}

static void parse_rejects_truncated_tcp(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	f.len -= 1;
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_MALFORMED_tcp_truncated);
}

static void parse_rejects_tcp_header_beyond_ip_length(void **state)
{
	struct frame f;

	(void)state;
	/* The bytes are captured, but the IP length ends the packet first. */
	tcp6_frame(&f, 0);
	set_be16(&f, f.l3 + 4, 19);
	expect_result(&f, DPP_PARSE_MALFORMED_tcp_truncated);
}

static void parse_rejects_doff_below_five(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 20);
	f.b[f.l4 + 12] = 4 << 4;
	expect_result(&f, DPP_PARSE_MALFORMED_tcp_doff_short);
	f.b[f.l4 + 12] = 0;
	expect_result(&f, DPP_PARSE_MALFORMED_tcp_doff_short);
}

static void parse_rejects_doff_beyond_segment(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	f.b[f.l4 + 12] = 6 << 4;
	expect_result(&f, DPP_PARSE_MALFORMED_tcp_doff_beyond_segment);

	tcp4_frame(&f, NULL, 0, 39); /* 59 bytes of segment, doff 15 wants 60. */
	f.b[f.l4 + 12] = 15 << 4;
	expect_result(&f, DPP_PARSE_MALFORMED_tcp_doff_beyond_segment);
}

static void parse_rejects_option_without_length_byte(void **state)
{
	static const uint8_t opts[] = {1, 1, 1, 2}; /* NOP NOP NOP, MSS kind last */

	(void)state;
	expect_options_result(opts, sizeof(opts), DPP_PARSE_MALFORMED_tcp_opt_len);
}

static void parse_rejects_option_length_below_two(void **state)
{
	static const uint8_t len_one[] = {30, 1, 1, 1};
	static const uint8_t len_zero[] = {30, 0, 1, 1};

	(void)state;
	expect_options_result(len_one, sizeof(len_one), DPP_PARSE_MALFORMED_tcp_opt_len);
	expect_options_result(len_zero, sizeof(len_zero), DPP_PARSE_MALFORMED_tcp_opt_len);
}

static void parse_rejects_option_past_header(void **state)
{
	static const uint8_t opts[] = {1, 1, 8, 10}; /* Timestamps, 2 of 10 bytes present */
	static const uint8_t unknown[] = {30, 9, 0, 0, 0, 0, 0, 0};

	(void)state;
	expect_options_result(opts, sizeof(opts), DPP_PARSE_MALFORMED_tcp_opt_len);
	expect_options_result(unknown, sizeof(unknown), DPP_PARSE_MALFORMED_tcp_opt_len);
}

static void parse_rejects_mss_length_not_four(void **state)
{
	static const uint8_t short_mss[] = {2, 3, 5, 1};
	static const uint8_t long_mss[] = {2, 6, 5, 0xb4, 0, 0, 1, 1};

	(void)state;
	expect_options_result(short_mss, sizeof(short_mss), DPP_PARSE_MALFORMED_tcp_opt_mss_len);
	expect_options_result(long_mss, sizeof(long_mss), DPP_PARSE_MALFORMED_tcp_opt_mss_len);
}

static void parse_rejects_wscale_length_not_three(void **state)
{
	static const uint8_t opts[] = {3, 4, 7, 0};

	(void)state;
	expect_options_result(opts, sizeof(opts), DPP_PARSE_MALFORMED_tcp_opt_wscale_len);
}

static void parse_rejects_sack_permitted_length_not_two(void **state)
{
	static const uint8_t opts[] = {4, 3, 0, 1};

	(void)state;
	expect_options_result(opts, sizeof(opts), DPP_PARSE_MALFORMED_tcp_opt_sackperm_len);
}

static void parse_rejects_timestamps_length_not_ten(void **state)
{
	static const uint8_t opts[] = {8, 8, 0, 0, 0, 1, 0, 0};

	(void)state;
	expect_options_result(opts, sizeof(opts), DPP_PARSE_MALFORMED_tcp_opt_ts_len);
}

static void parse_rejects_sack_length_not_two_plus_eight_n(void **state)
{
	static const uint8_t no_blocks[] = {5, 2, 1, 1};
	static const uint8_t partial_block[] = {5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1};

	(void)state;
	expect_options_result(no_blocks, sizeof(no_blocks), DPP_PARSE_MALFORMED_tcp_opt_sack_len);
	expect_options_result(partial_block, sizeof(partial_block),
			      DPP_PARSE_MALFORMED_tcp_opt_sack_len);
}

/* ------------------------------------------------------------------ */
/* Well formed but not tracked: non_ip, non_tcp, fragments             */
/* ------------------------------------------------------------------ */

static void parse_counts_arp_as_non_ip(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_ARP);
	payload(&f, 28);
	expect_result(&f, DPP_PARSE_NON_IP);
}

static void parse_counts_8023_length_field_as_non_ip(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, 0x0026); /* 802.3 length, LLC follows (e.g. STP). */
	payload(&f, 38);
	expect_result(&f, DPP_PARSE_NON_IP);
}

static void parse_counts_non_ip_behind_vlan_as_non_ip(void **state)
{
	static const uint16_t tags[] = {TPID_8021Q};
	struct frame f;

	(void)state;
	eth_tagged(&f, tags, 1, ETHERTYPE_ARP);
	payload(&f, 28);
	expect_result(&f, DPP_PARSE_NON_IP);
}

static void parse_counts_udp_as_non_tcp(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_UDP, NULL, 0);
	payload(&f, 8);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_NON_TCP);
}

static void parse_counts_icmp_error_carrying_tcp_as_non_tcp(void **state)
{
	struct frame f;
	uint16_t inner;

	(void)state;
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_ICMP, NULL, 0);
	put_u8(&f, 3); /* destination unreachable */
	put_u8(&f, 3); /* port unreachable */
	put_be16(&f, 0);
	put_be32(&f, 0);
	/* The quoted datagram: an IPv4 header and the first 8 bytes of TCP. */
	inner = f.len;
	ipv4(&f, PROTO_TCP, NULL, 0);
	set_be16(&f, inner + 2, 40);
	put_be16(&f, TEST_SPORT);
	put_be16(&f, TEST_DPORT);
	put_be32(&f, TEST_SEQ);
	f.l3 = 14;
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_NON_TCP);
}

static void parse_counts_icmpv6_as_non_tcp(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_ICMPV6);
	payload(&f, 8);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_NON_TCP);
}

static void parse_counts_ipv6_no_next_header_as_non_tcp(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_HOPOPTS);
	ipv6_ext(&f, PROTO_NONE, 0);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_NON_TCP);
}

static void parse_counts_ipv4_first_fragment_as_fragment(void **state)
{
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 100);
	set_be16(&f, f.l3 + 6, 0x2000); /* MF, offset 0 */
	expect_result(&f, DPP_PARSE_FRAGMENT);
}

static void parse_counts_ipv4_later_fragment_as_fragment(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, NULL, 0);
	payload(&f, 100);
	ip_finish(&f);
	set_be16(&f, f.l3 + 6, 185); /* last fragment: MF clear, offset 1480 */
	expect_result(&f, DPP_PARSE_FRAGMENT);
	set_be16(&f, f.l3 + 6, 0x2000 | 185); /* middle fragment */
	expect_result(&f, DPP_PARSE_FRAGMENT);
}

static void parse_counts_non_tcp_ipv4_fragment_as_non_tcp(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_UDP, NULL, 0);
	payload(&f, 100);
	ip_finish(&f);
	set_be16(&f, f.l3 + 6, 0x2000);
	expect_result(&f, DPP_PARSE_NON_TCP);
}

static void parse_counts_ipv6_first_fragment_as_fragment(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_FRAGMENT);
	ipv6_frag(&f, PROTO_TCP, 0, true);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	payload(&f, 100);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_FRAGMENT);
}

static void parse_counts_ipv6_first_fragment_with_cut_chain_as_fragment(void **state)
{
	struct frame f;

	(void)state;
	/* The destination options after the fragment header are cut off: unknown. */
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_FRAGMENT);
	ipv6_frag(&f, PROTO_DSTOPTS, 0, true);
	payload(&f, 4);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_FRAGMENT);
}

static void parse_counts_ipv6_later_fragment_as_fragment(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_HOPOPTS);
	ipv6_ext(&f, PROTO_FRAGMENT, 0);
	ipv6_frag(&f, PROTO_TCP, 181, false);
	payload(&f, 100);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_FRAGMENT);

	/* The fragmentable part starts with destination options: unknown, so a fragment. */
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_FRAGMENT);
	ipv6_frag(&f, PROTO_DSTOPTS, 181, true);
	payload(&f, 100);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_FRAGMENT);
}

static void parse_counts_ipv6_udp_fragment_as_non_tcp(void **state)
{
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_FRAGMENT);
	ipv6_frag(&f, PROTO_UDP, 181, false);
	payload(&f, 100);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_NON_TCP);
}

/* ------------------------------------------------------------------ */
/* Good frames                                                         */
/* ------------------------------------------------------------------ */

static void parse_reads_ipv4_tcp_header_fields(void **state)
{
	static const uint8_t src[16] = {198, 18, 0, 1};
	static const uint8_t dst[16] = {198, 18, 0, 2};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	memset(&v, 0xee, sizeof(v)); /* Stale bytes must not leak into the view. */
	tcp4_frame(&f, NULL, 0, 10);
	f.b[f.l4 + 13] = DPP_TCP_PSH | DPP_TCP_ACK;
	expect_tcp(&f, &v);
	assert_int_equal(v.ip_version, 4);
	assert_int_equal(v.vlan_count, 0);
	assert_memory_equal(v.src, src, sizeof(src));
	assert_memory_equal(v.dst, dst, sizeof(dst));
	assert_int_equal(v.sport, TEST_SPORT);
	assert_int_equal(v.dport, TEST_DPORT);
	assert_int_equal(v.seq, TEST_SEQ);
	assert_int_equal(v.ack, TEST_ACK);
	assert_int_equal(v.tcp_flags, DPP_TCP_PSH | DPP_TCP_ACK);
	assert_int_equal(v.window, TEST_WINDOW);
	assert_int_equal(v.payload_len, 10);
	assert_false(v.has_mss);
	assert_false(v.has_wscale);
	assert_false(v.sack_permitted);
	assert_false(v.has_timestamps);
	assert_int_equal(v.sack_blocks, 0);
}

static void parse_accepts_ipv4_with_options(void **state)
{
	/* Router alert (RFC 2113), then NOPs and EOL: IHL 8. */
	static const uint8_t ip_opts[12] = {0x94, 4, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, ip_opts, sizeof(ip_opts));
	tcp(&f, DPP_TCP_SYN, NULL, 0);
	payload(&f, 7);
	ip_finish(&f);
	expect_tcp(&f, &v);
	assert_int_equal(v.sport, TEST_SPORT);
	assert_int_equal(v.seq, TEST_SEQ);
	assert_int_equal(v.tcp_flags, DPP_TCP_SYN);
	assert_int_equal(v.payload_len, 7);
}

static void parse_reads_ipv6_tcp_header_fields(void **state)
{
	static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	tcp6_frame(&f, 33);
	expect_tcp(&f, &v);
	assert_int_equal(v.ip_version, 6);
	assert_memory_equal(v.src, src, sizeof(src));
	assert_memory_equal(v.dst, dst, sizeof(dst));
	assert_int_equal(v.sport, TEST_SPORT);
	assert_int_equal(v.ack, TEST_ACK);
	assert_int_equal(v.payload_len, 33);
}

static void parse_accepts_ipv6_hop_by_hop_and_dest_opts(void **state)
{
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_HOPOPTS);
	ipv6_ext(&f, PROTO_DSTOPTS, 0);
	ipv6_ext(&f, PROTO_TCP, 2);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	payload(&f, 5);
	ip_finish(&f);
	expect_tcp(&f, &v);
	assert_int_equal(v.dport, TEST_DPORT);
	assert_int_equal(v.payload_len, 5);
}

static void parse_accepts_ipv6_routing_and_eight_ext_headers(void **state)
{
	struct dpp_pkt_view v;
	struct frame f;
	int i;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_ROUTING);
	ipv6_ext(&f, PROTO_DSTOPTS, 1);
	for (i = 0; i < 6; i++)
		ipv6_ext(&f, PROTO_DSTOPTS, 0);
	ipv6_ext(&f, PROTO_TCP, 0);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	payload(&f, 1);
	ip_finish(&f);
	expect_tcp(&f, &v);
	assert_int_equal(v.payload_len, 1);
}

static void parse_accepts_ipv6_atomic_fragment(void **state)
{
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_FRAGMENT);
	ipv6_frag(&f, PROTO_TCP, 0, false);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	payload(&f, 12);
	ip_finish(&f);
	expect_tcp(&f, &v);
	assert_int_equal(v.payload_len, 12);
}

static void parse_accepts_qinq_two_tags(void **state)
{
	static const uint16_t tags[] = {TPID_8021AD, TPID_8021Q};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	eth_tagged(&f, tags, 2, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_TCP);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	payload(&f, 3);
	ip_finish(&f);
	expect_tcp(&f, &v);
	assert_int_equal(v.vlan_count, 2);
	assert_int_equal(v.ip_version, 6);
	assert_int_equal(v.payload_len, 3);
}

static void parse_accepts_four_vlan_tags(void **state)
{
	static const uint16_t tags[] = {TPID_9100, TPID_8021AD, TPID_8021Q, TPID_8021Q};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	eth_tagged(&f, tags, 4, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, NULL, 0);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	expect_tcp(&f, &v);
	assert_int_equal(v.vlan_count, 4);
	assert_int_equal(v.sport, TEST_SPORT);
}

static void parse_ignores_ethernet_padding(void **state)
{
	static const uint8_t zeros[16] = {0};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	tcp4_frame(&f, NULL, 0, 0);
	put(&f, zeros, 6); /* 54 -> 60 bytes, the Ethernet minimum. */
	expect_tcp(&f, &v);
	assert_int_equal(v.payload_len, 0);

	tcp4_frame(&f, NULL, 0, 2);
	put(&f, zeros, 4);
	expect_tcp(&f, &v);
	assert_int_equal(v.payload_len, 2);

	tcp6_frame(&f, 1);
	put(&f, zeros, 16);
	expect_tcp(&f, &v);
	assert_int_equal(v.payload_len, 1);
}

static void parse_reads_all_syn_options(void **state)
{
	/* A Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale. */
	static const uint8_t opts[] = {
		2, 4,  0x05, 0xb4,				       /* MSS 1460 */
		4, 2,						       /* SACK permitted */
		8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* timestamps */
		1,						       /* NOP */
		3, 3,  7,					       /* window scale 7 */
	};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	tcp4_frame(&f, opts, sizeof(opts), 0);
	f.b[f.l4 + 13] = DPP_TCP_SYN;
	expect_tcp(&f, &v);
	assert_true(v.has_mss);
	assert_int_equal(v.mss, 1460);
	assert_true(v.sack_permitted);
	assert_true(v.has_timestamps);
	assert_int_equal(v.tsval, 0x11223344);
	assert_int_equal(v.tsecr, 0x55667788);
	assert_true(v.has_wscale);
	assert_int_equal(v.wscale, 7);
	assert_int_equal(v.sack_blocks, 0);
	assert_int_equal(v.payload_len, 0);
}

static void parse_reads_four_sack_blocks(void **state)
{
	uint8_t opts[36] = {1, 1, 5, 34};
	struct dpp_pkt_view v;
	struct frame f;
	int b;

	(void)state;
	for (b = 0; b < 4; b++) {
		opts[4 + 8 * b + 3] = (uint8_t)(2 * b + 1);
		opts[4 + 8 * b + 7] = (uint8_t)(2 * b + 2);
		opts[4 + 8 * b + 0] = 0x80; /* Edges above 2^31: no sign trouble. */
		opts[4 + 8 * b + 4] = 0x80;
	}
	tcp4_frame(&f, opts, sizeof(opts), 4);
	expect_tcp(&f, &v);
	assert_int_equal(v.sack_blocks, 4);
	for (b = 0; b < 4; b++) {
		assert_int_equal(v.sack[b][0], 0x80000000u + 2 * b + 1);
		assert_int_equal(v.sack[b][1], 0x80000000u + 2 * b + 2);
	}
	assert_int_equal(v.payload_len, 4);
}

static void parse_reads_sack_block_after_timestamps(void **state)
{
	static const uint8_t opts[] = {
		1, 1, 8, 10, 0, 0, 0,	 9, 0, 0, 0,	8, /* NOP NOP timestamps 9 8 */
		1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0, /* NOP NOP SACK 0x1000-0x2000 */
	};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	tcp4_frame(&f, opts, sizeof(opts), 0);
	expect_tcp(&f, &v);
	assert_true(v.has_timestamps);
	assert_int_equal(v.tsval, 9);
	assert_int_equal(v.tsecr, 8);
	assert_int_equal(v.sack_blocks, 1);
	assert_int_equal(v.sack[0][0], 0x1000);
	assert_int_equal(v.sack[0][1], 0x2000);
}

static void parse_stops_options_at_eol(void **state)
{
	/* After EOL the rest is padding, even if it looks like a bad option. */
	static const uint8_t opts[] = {2, 4, 0x05, 0xb4, 0, 2, 3, 0};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	tcp4_frame(&f, opts, sizeof(opts), 0);
	expect_tcp(&f, &v);
	assert_true(v.has_mss);
	assert_int_equal(v.mss, 1460);
}

static void parse_skips_unknown_options(void **state)
{
	/* TCP Fast Open cookie (kind 34, RFC 7413) then window scale. */
	static const uint8_t opts[] = {34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 3, 3, 14};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	tcp4_frame(&f, opts, sizeof(opts), 0);
	expect_tcp(&f, &v);
	assert_true(v.has_wscale);
	assert_int_equal(v.wscale, 14);
	assert_false(v.has_mss);
}

static void parse_resets_options_between_packets(void **state)
{
	static const uint8_t opts[] = {
		2, 4,  0x05, 0xb4,		     /* MSS */
		4, 2,				     /* SACK permitted */
		3, 3,  7,			     /* window scale */
		1,				     /* NOP */
		5, 10, 0,    0,	   0, 1, 0, 0, 0, 2, /* SACK, one block */
		8, 10, 0,    0,	   0, 1, 0, 0, 0, 2, /* timestamps */
	};
	uint8_t padded[32] = {0};
	struct dpp_pkt_view v;
	struct frame f;

	(void)state;
	memcpy(padded, opts, sizeof(opts)); /* 30 bytes, EOL-padded to 32 */
	tcp4_frame(&f, padded, sizeof(padded), 0);
	expect_tcp(&f, &v);
	assert_true(v.has_mss && v.has_wscale && v.sack_permitted && v.has_timestamps);
	assert_int_equal(v.sack_blocks, 1);

	tcp4_frame(&f, NULL, 0, 0);
	expect_tcp(&f, &v);
	assert_false(v.has_mss);
	assert_false(v.has_wscale);
	assert_false(v.sack_permitted);
	assert_false(v.has_timestamps);
	assert_int_equal(v.sack_blocks, 0);
	assert_int_equal(v.mss, 0);
	assert_int_equal(v.wscale, 0);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static void names_give_every_result_a_distinct_name_and_doc(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < DPP_PARSE_RESULT_MAX; i++) {
		assert_non_null(dpp_parse_result_name(i));
		assert_string_not_equal(dpp_parse_result_name(i), "unknown");
		assert_non_null(dpp_parse_result_doc(i));
		assert_true(strlen(dpp_parse_result_doc(i)) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(dpp_parse_result_name(i), dpp_parse_result_name(j));
	}
}

static void names_match_the_json_counter_keys(void **state)
{
	(void)state;
	assert_string_equal(dpp_parse_result_name(DPP_PARSE_NON_IP), "non_ip");
	assert_string_equal(dpp_parse_result_name(DPP_PARSE_NON_TCP), "non_tcp");
	assert_string_equal(dpp_parse_result_name(DPP_PARSE_FRAGMENT), "fragments");
	assert_string_equal(dpp_parse_result_name(DPP_PARSE_MALFORMED_tcp_doff_short),
			    "tcp_doff_short");
	assert_string_equal(dpp_parse_result_name(DPP_PARSE_MALFORMED_ip_len_beyond_frame),
			    "ip_len_beyond_frame");
#define DPP_MALFORMED(name, doc)                                                                   \
	assert_string_equal(dpp_parse_result_name(DPP_PARSE_MALFORMED_##name), #name);             \
	assert_string_equal(dpp_parse_result_doc(DPP_PARSE_MALFORMED_##name), doc);
#include "malformed.def"
#undef DPP_MALFORMED
}

static void names_report_unknown_out_of_range(void **state)
{
	(void)state;
	assert_string_equal(dpp_parse_result_name(-1), "unknown");
	assert_string_equal(dpp_parse_result_name(DPP_PARSE_RESULT_MAX), "unknown");
	assert_non_null(dpp_parse_result_doc(DPP_PARSE_RESULT_MAX));
	assert_string_equal(dpp_flow_outcome_name(DPP_OUTCOME_MAX), "unknown");
	assert_string_equal(dpp_flow_outcome_name(-1), "unknown");
	assert_string_equal(dpp_flow_end_reason_name(DPP_END_MAX), "unknown");
	assert_string_equal(dpp_flow_end_reason_name(1000), "unknown");
}

static void names_match_flow_record_values(void **state)
{
	(void)state;
	assert_string_equal(dpp_flow_outcome_name(DPP_OUTCOME_COMPLETED), "completed");
	assert_string_equal(dpp_flow_outcome_name(DPP_OUTCOME_ESTABLISHED), "established");
	assert_string_equal(dpp_flow_outcome_name(DPP_OUTCOME_RESET), "reset");
	assert_string_equal(dpp_flow_outcome_name(DPP_OUTCOME_REFUSED), "refused");
	assert_string_equal(dpp_flow_outcome_name(DPP_OUTCOME_SYN_TIMEOUT), "syn_timeout");
	assert_string_equal(dpp_flow_outcome_name(DPP_OUTCOME_MIDSTREAM), "midstream");
	assert_string_equal(dpp_flow_end_reason_name(DPP_END_FIN), "fin");
	assert_string_equal(dpp_flow_end_reason_name(DPP_END_RST), "rst");
	assert_string_equal(dpp_flow_end_reason_name(DPP_END_IDLE), "idle");
	assert_string_equal(dpp_flow_end_reason_name(DPP_END_SYN_TIMEOUT), "syn_timeout");
	assert_string_equal(dpp_flow_end_reason_name(DPP_END_EVICTED), "evicted");
	assert_string_equal(dpp_flow_end_reason_name(DPP_END_EXIT), "exit");
}

/* ------------------------------------------------------------------ */
/* Link types, sliced frames, frames over 64 KiB                       */
/* ------------------------------------------------------------------ */

/* Parse the first cap bytes of b (a heap copy: ASan sees any over-read). */
static int parse_as(const uint8_t *b, uint32_t cap, uint32_t wire, uint16_t link,
		    struct dpp_pkt_view *v)
{
	uint8_t *copy = malloc(cap ? cap : 1);
	struct dpp_frame fr = {.len = cap, .wire_len = wire, .link_type = link};
	int rc;

	assert_non_null(copy);
	if (cap)
		memcpy(copy, b, cap);
	fr.data = copy;
	memset(v, 0xa5, sizeof(*v));
	rc = dpp_tcp_parse_frame(&fr, v);
	free(copy);
	return rc;
}

/* An Ethernet frame's network layer behind another link-layer header. */
static uint32_t relink(const struct frame *f, const uint8_t *hdr, size_t hdr_len, uint8_t *out)
{
	if (hdr_len != 0) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(out, hdr, hdr_len);
	memcpy(out + hdr_len, f->b + 14, f->len - 14u);
	return (uint32_t)(hdr_len + f->len - 14u);
}

static void expect_same_segment(const struct dpp_pkt_view *a, const struct dpp_pkt_view *b)
{
	assert_int_equal(a->ip_version, b->ip_version);
	assert_memory_equal(a->src, b->src, 16);
	assert_memory_equal(a->dst, b->dst, 16);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->payload_len, b->payload_len);
}

static void parse_rejects_cooked_frame_shorter_than_its_header(void **state)
{
	struct dpp_pkt_view v;
	uint8_t b[19] = {0};

	(void)state;
	assert_int_equal(parse_as(b, 15, 15, DPP_LINK_LINUX_SLL, &v),
			 DPP_PARSE_MALFORMED_link_truncated);
	assert_int_equal(parse_as(b, 19, 19, DPP_LINK_LINUX_SLL2, &v),
			 DPP_PARSE_MALFORMED_link_truncated);
	assert_int_equal(parse_as(b, 3, 3, DPP_LINK_NULL, &v), DPP_PARSE_MALFORMED_link_truncated);
	assert_int_equal(parse_as(b, 0, 0, DPP_LINK_RAW, &v), DPP_PARSE_MALFORMED_link_truncated);
}

static void parse_rejects_unknown_link_type_as_non_ip(void **state)
{
	struct frame f;
	struct dpp_pkt_view v;

	(void)state;
	tcp4_frame(&f, NULL, 0, 10);
	assert_false(dpp_link_type_supported(105)); /* IEEE 802.11 */
	assert_null(dpp_link_type_name(105));
	assert_int_equal(parse_as(f.b, f.len, f.len, 105, &v), DPP_PARSE_NON_IP);
}

static void parse_decodes_every_supported_link_type(void **state)
{
	struct frame f4, f6;
	struct dpp_pkt_view want4, want6, v;
	uint8_t out[FRAME_MAX + 32];
	/* Linux cooked v1: pkttype, ARPHRD_ETHER, address length 6, address, protocol. */
	const uint8_t sll4[16] = {0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
	const uint8_t sll6[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd};
	/* Linux cooked v2: protocol, reserved, ifindex, ARPHRD, pkttype, halen, address. */
	const uint8_t sll2_4[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1};
	/* BSD loopback: AF_INET 2 little-endian (DLT_NULL), AF_INET6 24/28/30. */
	const uint8_t null4_le[4] = {2, 0, 0, 0};
	const uint8_t null4_be[4] = {0, 0, 0, 2}; /* a big-endian capturing host */
	const uint8_t null6[3][4] = {{24, 0, 0, 0}, {28, 0, 0, 0}, {0, 0, 0, 30}};
	const uint8_t loop4[4] = {0, 0, 0, 2};	 /* DLT_LOOP: network order */
	const uint8_t null_other[4] = {7, 0, 0, 0}; /* an address family that is not IP */
	uint32_t n;

	(void)state;
	tcp4_frame(&f4, NULL, 0, 10);
	tcp6_frame(&f6, 7);
	expect_tcp(&f4, &want4);
	expect_tcp(&f6, &want6);

	n = relink(&f4, sll4, sizeof(sll4), out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_LINUX_SLL, &v), DPP_PARSE_TCP);
	expect_same_segment(&v, &want4);
	n = relink(&f6, sll6, sizeof(sll6), out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_LINUX_SLL, &v), DPP_PARSE_TCP);
	expect_same_segment(&v, &want6);
	n = relink(&f4, sll2_4, sizeof(sll2_4), out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_LINUX_SLL2, &v), DPP_PARSE_TCP);
	expect_same_segment(&v, &want4);

	for (uint16_t link = DPP_LINK_RAW; link != 0;
	     link = link == DPP_LINK_RAW ? DPP_LINK_IPV4 : 0) {
		n = relink(&f4, NULL, 0, out);
		assert_int_equal(parse_as(out, n, n, link, &v), DPP_PARSE_TCP);
		expect_same_segment(&v, &want4);
	}
	n = relink(&f6, NULL, 0, out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_RAW, &v), DPP_PARSE_TCP);
	expect_same_segment(&v, &want6);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_IPV6, &v), DPP_PARSE_TCP);
	/* Raw IPv4 link type with an IPv6 packet: its version nibble says it is not IPv4. */
	assert_int_equal(parse_as(out, n, n, DPP_LINK_IPV4, &v),
			 DPP_PARSE_MALFORMED_ipv4_version);

	n = relink(&f4, null4_le, 4, out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_NULL, &v), DPP_PARSE_TCP);
	expect_same_segment(&v, &want4);
	n = relink(&f4, null4_be, 4, out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_NULL, &v), DPP_PARSE_TCP);
	for (int i = 0; i < 3; i++) {
		n = relink(&f6, null6[i], 4, out);
		assert_int_equal(parse_as(out, n, n, DPP_LINK_NULL, &v), DPP_PARSE_TCP);
		expect_same_segment(&v, &want6);
	}
	n = relink(&f4, loop4, 4, out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_LOOP, &v), DPP_PARSE_TCP);
	expect_same_segment(&v, &want4);
	n = relink(&f4, null_other, 4, out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_NULL, &v), DPP_PARSE_NON_IP);
}

static void parse_walks_vlan_tags_behind_linux_cooked(void **state)
{
	struct frame f;
	struct dpp_pkt_view want, v;
	uint8_t out[FRAME_MAX + 32];
	/* Protocol 0x8100: the tag stays in the payload when it is not offloaded. */
	const uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x81, 0x00};
	const uint16_t tags[1] = {TPID_8021Q};
	uint32_t n;

	(void)state;
	eth_tagged(&f, tags, 1, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, NULL, 0);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	payload(&f, 5);
	ip_finish(&f);
	expect_tcp(&f, &want);
	/* The SLL header takes the place of the MACs and the tag's TPID. */
	n = relink(&f, sll, sizeof(sll), out);
	assert_int_equal(parse_as(out, n, n, DPP_LINK_LINUX_SLL, &v), DPP_PARSE_TCP);
	expect_same_segment(&v, &want);
	assert_int_equal(v.vlan_count, 1);
}

static void parse_tracks_sliced_frame_with_whole_tcp_header(void **state)
{
	struct frame f;
	struct dpp_pkt_view v;
	const uint8_t ts_opts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
	const uint32_t hdrs = 14 + 20 + 20 + 12;

	(void)state;
	tcp4_frame(&f, ts_opts, sizeof(ts_opts), 1200);
	/* Cut at a snap length of 96: wire length unknown, payload from the IP length. */
	assert_int_equal(parse_as(f.b, 96, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_TCP);
	assert_int_equal(v.payload_len, 1200);
	assert_true(v.sliced);
	assert_true(v.has_timestamps);
	/* Cut right after the TCP options: still whole headers. */
	assert_int_equal(parse_as(f.b, hdrs, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_TCP);
	assert_int_equal(v.payload_len, 1200);
	/* The same frame complete is not sliced. */
	assert_int_equal(parse_as(f.b, f.len, f.len, DPP_LINK_ETHERNET, &v), DPP_PARSE_TCP);
	assert_false(v.sliced);
	/* And IPv6. */
	tcp6_frame(&f, 900);
	assert_int_equal(parse_as(f.b, 80, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_TCP);
	assert_int_equal(v.payload_len, 900);
	assert_true(v.sliced);
}

static void parse_rejects_sliced_frame_cut_inside_a_header(void **state)
{
	struct frame f;
	struct dpp_pkt_view v;
	const uint8_t ts_opts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

	(void)state;
	tcp4_frame(&f, ts_opts, sizeof(ts_opts), 1200);
	/* Inside the TCP options, inside the fixed TCP header, inside the IP header. */
	assert_int_equal(parse_as(f.b, 14 + 20 + 20 + 8, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET,
				  &v),
			 DPP_PARSE_MALFORMED_ip_len_beyond_frame);
	assert_int_equal(parse_as(f.b, 14 + 20 + 10, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_MALFORMED_ip_len_beyond_frame);
	assert_int_equal(parse_as(f.b, 14 + 12, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_MALFORMED_ipv4_truncated);
	/* IPv6 cut inside an extension header. */
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_DSTOPTS);
	ipv6_ext(&f, PROTO_TCP, 1);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	payload(&f, 100);
	ip_finish(&f);
	assert_int_equal(parse_as(f.b, 14 + 40 + 8, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_MALFORMED_ip_len_beyond_frame);
}

static void parse_rejects_ip_length_beyond_known_wire_length(void **state)
{
	struct frame f;
	struct dpp_pkt_view v;

	(void)state;
	tcp4_frame(&f, NULL, 0, 1200);
	/* A complete 96-byte frame (shorter than the snap length) whose IP length says more. */
	assert_int_equal(parse_as(f.b, 96, 96, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_MALFORMED_ip_len_beyond_frame);
	/* Sliced, but the IP length goes past what the wire carried. */
	assert_int_equal(parse_as(f.b, 96, 200, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_MALFORMED_ip_len_beyond_frame);
}

static void parse_rejects_malformed_ipv4_options(void **state)
{
	struct frame f;
	const uint8_t len_one[4] = {0x07, 1, 0, 0};	   /* record route, length 1 */
	const uint8_t past_header[4] = {0x44, 12, 5, 0};  /* timestamp option, 12 > 4 */
	const uint8_t no_length[4] = {1, 1, 1, 0x83};	   /* NOPs, then a kind at the end */
	const uint8_t fine[4] = {0x94, 4, 0, 0};	   /* router alert, then EOL padding */

	(void)state;
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, len_one, sizeof(len_one));
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_opt_len);
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, past_header, sizeof(past_header));
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_opt_len);
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, no_length, sizeof(no_length));
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_MALFORMED_ipv4_opt_len);
	eth(&f, ETHERTYPE_IPV4);
	ipv4(&f, PROTO_TCP, fine, sizeof(fine));
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	ip_finish(&f);
	expect_result(&f, DPP_PARSE_TCP);
}

static void parse_measures_tso_frame_with_ipv4_length_zero(void **state)
{
	struct frame f;
	struct dpp_pkt_view v;
	const uint32_t wire = 200000; /* a BIG TCP super-frame, its first 64 KiB captured */
	uint8_t *big = calloc(1, 65536);

	(void)state;
	assert_non_null(big);
	tcp4_frame(&f, NULL, 0, 0);
	set_be16(&f, f.l3 + 2, 0);
	memcpy(big, f.b, f.len);
	assert_int_equal(parse_as(big, 65536, wire, DPP_LINK_ETHERNET, &v), DPP_PARSE_TCP);
	assert_int_equal(v.payload_len, wire - 14 - 20 - 20);
	assert_true(v.sliced);
	/* Complete and short: the frame's length. */
	assert_int_equal(parse_as(big, 100, 100, DPP_LINK_ETHERNET, &v), DPP_PARSE_TCP);
	assert_int_equal(v.payload_len, 100 - 14 - 20 - 20);
	assert_false(v.sliced);
	free(big);
}

static void parse_measures_ipv6_jumbogram(void **state)
{
	struct frame f;
	struct dpp_pkt_view v;
	const uint32_t jumbo = 8 + 20 + 150000; /* hop-by-hop, TCP, payload */

	(void)state;
	eth(&f, ETHERTYPE_IPV6);
	ipv6(&f, PROTO_HOPOPTS);
	put_u8(&f, PROTO_TCP);
	put_u8(&f, 0);
	put_u8(&f, 0xc2); /* Jumbo Payload */
	put_u8(&f, 4);
	put_be32(&f, jumbo);
	tcp(&f, DPP_TCP_ACK, NULL, 0);
	assert_int_equal(parse_as(f.b, f.len, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_TCP);
	assert_int_equal(v.payload_len, 150000);
	/* A jumbo length beyond the known frame is malformed. */
	assert_int_equal(parse_as(f.b, f.len, f.len, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_MALFORMED_ip_len_beyond_frame);
	/* Payload length 0 without the option. */
	f.b[14 + 40 + 2] = 1; /* PadN instead of Jumbo */
	assert_int_equal(parse_as(f.b, f.len, DPP_WIRE_LEN_UNKNOWN, DPP_LINK_ETHERNET, &v),
			 DPP_PARSE_MALFORMED_ipv6_jumbo);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		/* Malformed, in malformed.def order. */
		cmocka_unit_test(parse_rejects_zero_length_input),
		cmocka_unit_test(parse_rejects_frame_shorter_than_ethernet),
		cmocka_unit_test(parse_rejects_vlan_tag_with_nothing_after),
		cmocka_unit_test(parse_rejects_vlan_tag_cut_before_inner_ethertype),
		cmocka_unit_test(parse_rejects_fifth_vlan_tag),
		cmocka_unit_test(parse_rejects_truncated_ipv4),
		cmocka_unit_test(parse_rejects_ipv4_options_beyond_capture),
		cmocka_unit_test(parse_rejects_ihl_below_five),
		cmocka_unit_test(parse_rejects_ipv4_ethertype_with_other_version),
		cmocka_unit_test(parse_rejects_truncated_ipv6),
		cmocka_unit_test(parse_rejects_ipv6_ethertype_with_other_version),
		cmocka_unit_test(parse_rejects_ipv6_ext_header_past_payload),
		cmocka_unit_test(parse_rejects_ipv6_ext_header_in_ethernet_padding),
		cmocka_unit_test(parse_rejects_ipv6_fragment_header_past_payload),
		cmocka_unit_test(parse_rejects_ip_len_below_header),
		cmocka_unit_test(parse_rejects_ip_len_beyond_frame),
		cmocka_unit_test(parse_rejects_ipv6_payload_len_beyond_frame),
		cmocka_unit_test(parse_rejects_truncated_tcp),
		cmocka_unit_test(parse_rejects_tcp_header_beyond_ip_length),
		cmocka_unit_test(parse_rejects_doff_below_five),
		cmocka_unit_test(parse_rejects_doff_beyond_segment),
		cmocka_unit_test(parse_rejects_option_without_length_byte),
		cmocka_unit_test(parse_rejects_option_length_below_two),
		cmocka_unit_test(parse_rejects_option_past_header),
		cmocka_unit_test(parse_rejects_mss_length_not_four),
		cmocka_unit_test(parse_rejects_wscale_length_not_three),
		cmocka_unit_test(parse_rejects_sack_permitted_length_not_two),
		cmocka_unit_test(parse_rejects_timestamps_length_not_ten),
		cmocka_unit_test(parse_rejects_sack_length_not_two_plus_eight_n),
		cmocka_unit_test(parse_rejects_more_than_eight_ipv6_ext_headers),
		cmocka_unit_test(parse_rejects_malformed_ipv4_options),
		cmocka_unit_test(parse_rejects_cooked_frame_shorter_than_its_header),
		cmocka_unit_test(parse_rejects_unknown_link_type_as_non_ip),
		cmocka_unit_test(parse_rejects_sliced_frame_cut_inside_a_header),
		cmocka_unit_test(parse_rejects_ip_length_beyond_known_wire_length),
		/* Not tracked. */
		cmocka_unit_test(parse_counts_arp_as_non_ip),
		cmocka_unit_test(parse_counts_8023_length_field_as_non_ip),
		cmocka_unit_test(parse_counts_non_ip_behind_vlan_as_non_ip),
		cmocka_unit_test(parse_counts_udp_as_non_tcp),
		cmocka_unit_test(parse_counts_icmp_error_carrying_tcp_as_non_tcp),
		cmocka_unit_test(parse_counts_icmpv6_as_non_tcp),
		cmocka_unit_test(parse_counts_ipv6_no_next_header_as_non_tcp),
		cmocka_unit_test(parse_counts_ipv4_first_fragment_as_fragment),
		cmocka_unit_test(parse_counts_ipv4_later_fragment_as_fragment),
		cmocka_unit_test(parse_counts_non_tcp_ipv4_fragment_as_non_tcp),
		cmocka_unit_test(parse_counts_ipv6_first_fragment_as_fragment),
		cmocka_unit_test(parse_counts_ipv6_first_fragment_with_cut_chain_as_fragment),
		cmocka_unit_test(parse_counts_ipv6_later_fragment_as_fragment),
		cmocka_unit_test(parse_counts_ipv6_udp_fragment_as_non_tcp),
		/* Tracked. */
		cmocka_unit_test(parse_reads_ipv4_tcp_header_fields),
		cmocka_unit_test(parse_accepts_ipv4_with_options),
		cmocka_unit_test(parse_reads_ipv6_tcp_header_fields),
		cmocka_unit_test(parse_accepts_ipv6_hop_by_hop_and_dest_opts),
		cmocka_unit_test(parse_accepts_ipv6_routing_and_eight_ext_headers),
		cmocka_unit_test(parse_accepts_ipv6_atomic_fragment),
		cmocka_unit_test(parse_accepts_qinq_two_tags),
		cmocka_unit_test(parse_accepts_four_vlan_tags),
		cmocka_unit_test(parse_ignores_ethernet_padding),
		cmocka_unit_test(parse_reads_all_syn_options),
		cmocka_unit_test(parse_reads_four_sack_blocks),
		cmocka_unit_test(parse_reads_sack_block_after_timestamps),
		cmocka_unit_test(parse_stops_options_at_eol),
		cmocka_unit_test(parse_skips_unknown_options),
		cmocka_unit_test(parse_resets_options_between_packets),
		cmocka_unit_test(parse_decodes_every_supported_link_type),
		cmocka_unit_test(parse_walks_vlan_tags_behind_linux_cooked),
		cmocka_unit_test(parse_tracks_sliced_frame_with_whole_tcp_header),
		cmocka_unit_test(parse_measures_tso_frame_with_ipv4_length_zero),
		cmocka_unit_test(parse_measures_ipv6_jumbogram),
		/* Names. */
		cmocka_unit_test(names_give_every_result_a_distinct_name_and_doc),
		cmocka_unit_test(names_match_the_json_counter_keys),
		cmocka_unit_test(names_report_unknown_out_of_range),
		cmocka_unit_test(names_match_flow_record_values),
	};

	return cmocka_run_group_tests_name("tcpparse", tests, NULL, NULL);
}
