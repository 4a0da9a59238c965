/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * libFuzzer target for dpp_tcp_parse().
 *
 * Each input is one captured Ethernet frame. Built with
 * -fsanitize=fuzzer,address,undefined, so any read past the input is a crash;
 * on top of that the invariants below must hold for every frame the parser
 * calls TCP, because the tracker trusts them without checking again.
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
