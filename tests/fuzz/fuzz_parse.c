/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * libFuzzer target for dpp_tcp_parse().
 *
 * Each input is one captured Ethernet frame. Built with
 * -fsanitize=fuzzer,address,undefined, so any read past the input is a crash;
 * on top of that the invariants below must hold for every frame the parser
 * calls TCP, because the tracker trusts them without checking again.
 *
 * The same bytes then go through dpp_tcp_parse_frame() as a frame of every
 * supported link type (Ethernet, Linux cooked v1 and v2, raw IP, raw IPv4
 * and IPv6, BSD and OpenBSD loopback), each with the wire lengths a capture
 * can give: the captured length, unknown (a live port, a frame as long as
 * the snap length), longer (a sliced frame) and shorter (a corrupt record
 * whose original length is below its captured one). The same invariants
 * hold, plus: a sliced view only when the wire length exceeds the captured
 * one or is unknown; a frame that is TCP with its own length as wire length
 * is the same TCP with the wire length unknown.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpp_tcpparse.h"

/* The smallest frame that can carry TCP: Ethernet, IPv4, TCP fixed headers. */
#define MIN_TCP_FRAME (14 + 20 + 20)

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* The link types the parser decodes and their fixed header length. */
static const struct {
	uint16_t type;
	uint8_t hdr_len;
	bool vlans; /* its protocol field is an ethertype: VLAN tags are walked */
} links[] = {
	{DPP_LINK_ETHERNET, 14, true},	 {DPP_LINK_LINUX_SLL, 16, true},
	{DPP_LINK_LINUX_SLL2, 20, true}, {DPP_LINK_RAW, 0, false},
	{DPP_LINK_IPV4, 0, false},	 {DPP_LINK_IPV6, 0, false},
	{DPP_LINK_NULL, 4, false},	 {DPP_LINK_LOOP, 4, false},
};

/* Invariants of a view the parser calls TCP (any link type). */
static void check_view(const struct dpp_pkt_view *v, uint32_t min_frame, uint32_t len,
		       uint32_t wire)
{
	FUZZ_CHECK(v->ip_version == 4 || v->ip_version == 6);
	FUZZ_CHECK(v->vlan_count <= 4);
	FUZZ_CHECK(v->sack_blocks <= DPP_TCP_MAX_SACK_BLOCKS);
	FUZZ_CHECK(v->has_mss == 0 || v->has_mss == 1);
	FUZZ_CHECK(v->has_wscale == 0 || v->has_wscale == 1);
	FUZZ_CHECK(v->sack_permitted == 0 || v->sack_permitted == 1);
	FUZZ_CHECK(v->has_timestamps == 0 || v->has_timestamps == 1);
	FUZZ_CHECK(v->sliced == 0 || v->sliced == 1);
	FUZZ_CHECK(v->has_mss || v->mss == 0);
	FUZZ_CHECK(v->has_wscale || v->wscale == 0);
	/* Link header, tags, the smallest IP and TCP headers: all captured. */
	FUZZ_CHECK(len >= min_frame + 4u * v->vlan_count);
	/* The payload fits in what was captured, or, sliced, in the wire length. */
	if (!v->sliced)
		FUZZ_CHECK((uint64_t)v->payload_len + min_frame + 4u * v->vlan_count <= len);
	else
		FUZZ_CHECK(wire == DPP_WIRE_LEN_UNKNOWN ||
			   (wire > len &&
			    (uint64_t)v->payload_len + min_frame + 4u * v->vlan_count <= wire));
	if (v->ip_version == 4) {
		static const uint8_t zeros[12];

		FUZZ_CHECK(memcmp(v->src + 4, zeros, sizeof(zeros)) == 0);
		FUZZ_CHECK(memcmp(v->dst + 4, zeros, sizeof(zeros)) == 0);
	}
}

static int parse_as(const uint8_t *data, uint32_t len, uint32_t wire, int li,
		    struct dpp_pkt_view *v)
{
	const struct dpp_frame fr = {
		.data = data, .len = len, .wire_len = wire, .link_type = links[li].type};
	int rc;

	memset(v, 0xa5, sizeof(*v));
	rc = dpp_tcp_parse_frame(&fr, v);
	FUZZ_CHECK(rc >= 0 && rc < DPP_PARSE_RESULT_MAX);
	if (rc != DPP_PARSE_TCP)
		return rc;
	check_view(v, links[li].hdr_len + 40u, len, wire);
	FUZZ_CHECK(links[li].vlans || v->vlan_count == 0);
	FUZZ_CHECK(links[li].type != DPP_LINK_IPV4 || v->ip_version == 4);
	FUZZ_CHECK(links[li].type != DPP_LINK_IPV6 || v->ip_version == 6);
	FUZZ_CHECK(!v->sliced || wire == DPP_WIRE_LEN_UNKNOWN || wire > len);
	return rc;
}

static void parse_every_link_type(const uint8_t *data, uint32_t len)
{
	/* Longer and shorter wire lengths from the frame's last byte. */
	const uint32_t extra = len ? 1u + data[len - 1] * 257u : 1u;

	for (int li = 0; li < (int)(sizeof(links) / sizeof(links[0])); li++) {
		struct dpp_pkt_view whole, unknown, v;
		const int rc = parse_as(data, len, len, li, &whole);
		const int rc_unknown = parse_as(data, len, DPP_WIRE_LEN_UNKNOWN, li, &unknown);

		if (rc == DPP_PARSE_TCP) {
			FUZZ_CHECK(!whole.sliced);
			FUZZ_CHECK(rc_unknown == DPP_PARSE_TCP);
			FUZZ_CHECK(memcmp(&whole, &unknown, sizeof(whole)) == 0);
		}
		(void)parse_as(data, len, len + extra, li, &v);
		(void)parse_as(data, len, len > extra ? len - extra : 0, li, &v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpp_pkt_view v;
	uint16_t len;
	int rc;

	/* The parser takes a 16-bit length, as an mbuf's data_len is. */
	if (size > UINT16_MAX)
		return -1;
	len = (uint16_t)size;

	/* Poison the view so a field the parser forgot to set shows up. */
	memset(&v, 0xa5, sizeof(v));
	rc = dpp_tcp_parse(data, len, &v);

	FUZZ_CHECK(rc >= 0 && rc < DPP_PARSE_RESULT_MAX);
	FUZZ_CHECK(dpp_parse_result_name(rc) != NULL);
	FUZZ_CHECK(strcmp(dpp_parse_result_name(rc), "unknown") != 0);
	FUZZ_CHECK(dpp_parse_result_doc(rc) != NULL);
	parse_every_link_type(data, len);
	if (rc != DPP_PARSE_TCP)
		return 0;

	FUZZ_CHECK(len >= MIN_TCP_FRAME);
	FUZZ_CHECK(v.payload_len <= len);
	FUZZ_CHECK(v.payload_len <= len - MIN_TCP_FRAME - 4u * v.vlan_count);
	FUZZ_CHECK(v.ip_version == 4 || v.ip_version == 6);
	FUZZ_CHECK(v.vlan_count <= 4);
	FUZZ_CHECK(v.sack_blocks <= DPP_TCP_MAX_SACK_BLOCKS);
	FUZZ_CHECK(v.has_mss == 0 || v.has_mss == 1);
	FUZZ_CHECK(v.has_wscale == 0 || v.has_wscale == 1);
	FUZZ_CHECK(v.sack_permitted == 0 || v.sack_permitted == 1);
	FUZZ_CHECK(v.has_timestamps == 0 || v.has_timestamps == 1);
	FUZZ_CHECK(v.has_mss || v.mss == 0);
	FUZZ_CHECK(v.has_wscale || v.wscale == 0);
	if (v.ip_version == 4) {
		static const uint8_t zeros[12];

		FUZZ_CHECK(memcmp(v.src + 4, zeros, sizeof(zeros)) == 0);
		FUZZ_CHECK(memcmp(v.dst + 4, zeros, sizeof(zeros)) == 0);
	}
	return 0;
}
