/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Diagnosis decision rules: a class (what the client's application saw)
 * and a cause (the most specific explanation the packets support), from
 * the facts the tracker gathered (diagnose.h). Each step below quotes the
 * rule of CONTRACT.md "Diagnosis" it implements, in the contract's order.
 */

#include "diagnose.h"

/* "reset" causes. The first matching one wins. */
static uint8_t reset_cause(const struct dpp_diag_facts *in, const struct dpp_diag_params *p)
{
	/*
	 * accept_queue_overflow: the client completed the handshake, and the
	 * server's first RST came before the server sent payload and before
	 * any server segment (that RST included) acknowledged client payload.
	 * Not in a midstream flow: its handshake was not seen.
	 */
	if (in->outcome != DPP_OUTCOME_MIDSTREAM && in->handshake_done &&
	    in->rst_before_server_spoke)
		return DPP_DIAG_CAUSE_accept_queue_overflow;
	/* idle_timeout: at least --idle-reset-threshold of silence before it. */
	if (in->idle_known && in->idle_before_rst_us >= p->idle_reset_threshold_us)
		return DPP_DIAG_CAUSE_idle_timeout;
	/* data_after_close: its sender had sent its FIN; the other side wrote after that. */
	if (in->rst_after_own_fin)
		return DPP_DIAG_CAUSE_data_after_close;
	return DPP_DIAG_CAUSE_abort;
}

/* "stalled" causes, and the first "ok" one. */
static uint8_t stall_cause(const struct dpp_diag_facts *in)
{
	if (in->synack_after_ack)
		return DPP_DIAG_CAUSE_accept_queue_overflow;
	if (in->longest_began_zero_window)
		return DPP_DIAG_CAUSE_zero_window;
	if (in->longest_first_payload_retrans)
		return DPP_DIAG_CAUSE_retransmission_timeout;
	return DPP_DIAG_CAUSE_no_progress;
}

void dpp_diag_decide(const struct dpp_diag_facts *in, const struct dpp_diag_params *p, uint8_t *cls,
		     uint8_t *cause)
{
	const bool midstream = in->outcome == DPP_OUTCOME_MIDSTREAM;

	/* refused: outcome refused (ECONNREFUSED); no cause. */
	if (in->outcome == DPP_OUTCOME_REFUSED) {
		*cls = DPP_DIAG_CLASS_refused;
		*cause = DPP_DIAG_CAUSE_NONE;
		return;
	}
	/*
	 * timed_out: outcome syn_timeout, or a SYN-ACK was seen but the
	 * client never acknowledged it. synack_lost when the server answered.
	 */
	if (in->outcome == DPP_OUTCOME_SYN_TIMEOUT || (in->synack > 0 && !in->handshake_done)) {
		*cls = DPP_DIAG_CLASS_timed_out;
		*cause = in->synack > 0 ? DPP_DIAG_CAUSE_synack_lost : DPP_DIAG_CAUSE_no_answer;
		return;
	}
	/* reset: outcome reset, or an RST (before both FINs) in a midstream flow. */
	if (in->outcome == DPP_OUTCOME_RESET || (midstream && in->reset)) {
		*cls = DPP_DIAG_CLASS_reset;
		*cause = reset_cause(in, p);
		return;
	}
	/* stalled: the longest stall reached --stall-threshold (exactly met counts). */
	if (in->stalled_ever && in->longest_stall_us >= p->stall_threshold_us) {
		*cls = DPP_DIAG_CLASS_stalled;
		*cause = stall_cause(in);
		return;
	}
	if (midstream) {
		*cls = DPP_DIAG_CLASS_unknown;
		*cause = DPP_DIAG_CAUSE_NONE;
		return;
	}
	/* ok: the accept queue dropped the ACK but drained, or SYNs were retransmitted. */
	*cls = DPP_DIAG_CLASS_ok;
	if (in->synack_after_ack)
		*cause = DPP_DIAG_CAUSE_accept_queue_overflow;
	else if (in->syn > 1)
		*cause = DPP_DIAG_CAUSE_syn_retransmitted;
	else
		*cause = DPP_DIAG_CAUSE_NONE;
}
