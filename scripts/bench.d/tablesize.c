/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prints the bytes of one worker's flow table for a --flow-capacity, as the
 * table code computes it (dpp_flow_table_mem_size()), and the share of one
 * flow. A benchmark tool, compiled by scripts/bench against the built
 * tcpparse library.
 *   tablesize CAPACITY  ->  "BYTES BYTES_PER_FLOW"
 */
#include <stdio.h>
#include <stdlib.h>

#include "dpp_flow.h"

int main(int argc, char **argv)
{
	struct dpp_flow_params p = {0};
	size_t bytes;

	if (argc != 2)
		return 2;
	p.capacity = (uint32_t)strtoul(argv[1], NULL, 10);
	p.idle_timeout_ns = 300000000000ull;
	p.syn_timeout_ns = 30000000000ull;
	bytes = dpp_flow_table_mem_size(&p);
	if (bytes == 0)
		return 1;
	printf("%zu %.1f\n", bytes, (double)bytes / p.capacity);
	return 0;
}
