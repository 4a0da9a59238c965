/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Start a small EAL for unit tests that need DPDK memory: no hugepages,
 * no PCI, no shared config, no telemetry socket, so tests can run in
 * parallel and never touch the machine's NIC.
 */
#ifndef DPP_TEST_EAL_FIXTURE_H
#define DPP_TEST_EAL_FIXTURE_H

#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>

static inline int dpp_test_eal_init(void)
{
	char prefix[64];
	char *argv[] = {"dpp_test", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
			"-m", "128", "-l", "0", "--log-level", "lib.eal:error", prefix, NULL};

	snprintf(prefix, sizeof(prefix), "--file-prefix=dpp_test_%d", (int)getpid());
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
}

/* Stop the EAL and remove the (empty) runtime directory it made. */
static inline void dpp_test_eal_fini(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(dir);
}

#endif
