/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_DIAGNOSE_H
#define DPP_DIAGNOSE_H

/*
 * Private to tcpparse: the decision rules of the diagnosis (CONTRACT
 * "Diagnosis: why a connection failed"). The tracker (tcp_track.c) keeps
 * the evidence as segments pass; when a flow ends it sums that evidence up
 * as facts, and dpp_diag_decide() turns the facts into a class and a cause.
 * Keeping the rules a pure function over facts lets a reader check them
 * against the contract line by line, and lets tests hit each edge.
 */

#include <stdbool.h>
#include <stdint.h>

#include "dpp_flow.h"

/** What the tracker knows about a flow when it ends. */
struct dpp_diag_facts {
	uint8_t outcome;     /**< enum dpp_flow_outcome */
	bool handshake_done; /**< The client acknowledged the SYN-ACK. */
	bool reset;	     /**< The first RST came before both FINs. */
	uint32_t synack;     /**< SYN-ACK segments seen. */
	uint32_t syn;	     /**< SYN-without-ACK segments seen. */
	/* The first RST (valid when reset): */
	bool rst_before_server_spoke; /**< Server's, before it sent or acked payload. */
	bool rst_after_own_fin;	      /**< Its sender had closed, the other side wrote. */
	bool idle_known;
	uint64_t idle_before_rst_us;
	/** A SYN-ACK after the client's ACK, >= 200 ms after its last SYN. */
	bool synack_after_ack;
	/* The longest stall of either direction. */
	bool stalled_ever;
	uint64_t longest_stall_us;
	bool longest_began_zero_window;
	bool longest_first_payload_retrans;
};

/** The thresholds the rules use, in microseconds. */
struct dpp_diag_params {
	uint64_t stall_threshold_us;
	uint64_t idle_reset_threshold_us;
};

/** Decide class and cause from the facts (CONTRACT order). */
void dpp_diag_decide(const struct dpp_diag_facts *in, const struct dpp_diag_params *p, uint8_t *cls,
		     uint8_t *cause);

/** Timeout retransmission of a SYN-ACK: this long after the client's last SYN. */
#define DPP_DIAG_SYNACK_RTO_NS (200ULL * 1000 * 1000)

#endif /* DPP_DIAGNOSE_H */
