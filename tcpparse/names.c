/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Names of parse results, flow outcomes and end reasons.
 *
 * These strings are public: they are the JSON keys under parse.malformed and
 * the values of "outcome" and "end_reason" in flow records (CONTRACT.md).
 * The malformed ones are generated from malformed.def so the enum, the
 * counter names and the docs cannot drift apart.
 */

#include "dpp_flow.h"

static const char *const parse_result_names[DPP_PARSE_RESULT_MAX] = {
	[DPP_PARSE_TCP] = "tcp",
	[DPP_PARSE_NON_IP] = "non_ip",
	[DPP_PARSE_NON_TCP] = "non_tcp",
	[DPP_PARSE_FRAGMENT] = "fragments",
#define DPP_MALFORMED(name, doc) [DPP_PARSE_MALFORMED_##name] = #name,
#include "malformed.def"
#undef DPP_MALFORMED
};

static const char *const parse_result_docs[DPP_PARSE_RESULT_MAX] = {
	[DPP_PARSE_TCP] = "A well-formed TCP segment, tracked",
	[DPP_PARSE_NON_IP] = "Not IPv4 or IPv6 (ARP, LLDP, ...)",
	[DPP_PARSE_NON_TCP] = "IP but not TCP (UDP, ICMP, TCP quoted in ICMP errors)",
	[DPP_PARSE_FRAGMENT] = "TCP in an IP fragment (never tracked)",
#define DPP_MALFORMED(name, doc) [DPP_PARSE_MALFORMED_##name] = doc,
#include "malformed.def"
#undef DPP_MALFORMED
};

static const char *const flow_outcome_names[DPP_OUTCOME_MAX] = {
	[DPP_OUTCOME_COMPLETED] = "completed",
	[DPP_OUTCOME_ESTABLISHED] = "established",
	[DPP_OUTCOME_RESET] = "reset",
	[DPP_OUTCOME_REFUSED] = "refused",
	[DPP_OUTCOME_SYN_TIMEOUT] = "syn_timeout",
	[DPP_OUTCOME_MIDSTREAM] = "midstream",
};

static const char *const flow_end_reason_names[DPP_END_MAX] = {
	[DPP_END_FIN] = "fin",	       [DPP_END_RST] = "rst",
	[DPP_END_IDLE] = "idle",       [DPP_END_SYN_TIMEOUT] = "syn_timeout",
	[DPP_END_EVICTED] = "evicted", [DPP_END_EXIT] = "exit",
};

/* A value outside a table, or a hole in it, reads as "unknown", never NULL. */
static const char *lookup(const char *const *table, int count, int value, const char *fallback)
{
	if (value < 0 || value >= count || table[value] == NULL)
		return fallback;
	return table[value];
}

const char *dpp_parse_result_name(int result)
{
	return lookup(parse_result_names, DPP_PARSE_RESULT_MAX, result, "unknown");
}

const char *dpp_parse_result_doc(int result)
{
	return lookup(parse_result_docs, DPP_PARSE_RESULT_MAX, result, "Unknown parse result");
}

const char *dpp_flow_outcome_name(int outcome)
{
	return lookup(flow_outcome_names, DPP_OUTCOME_MAX, outcome, "unknown");
}

const char *dpp_flow_end_reason_name(int reason)
{
	return lookup(flow_end_reason_names, DPP_END_MAX, reason, "unknown");
}

static const char *const diag_class_names[DPP_DIAG_CLASS_MAX] = {
#define DPP_DIAG_CLASS(name, doc) [DPP_DIAG_CLASS_##name] = #name,
#include "diagnosis.def"
#undef DPP_DIAG_CLASS
};

static const char *const diag_cause_names[DPP_DIAG_CAUSE_MAX] = {
#define DPP_DIAG_CAUSE(name, doc) [DPP_DIAG_CAUSE_##name] = #name,
#include "diagnosis.def"
#undef DPP_DIAG_CAUSE
};

const char *dpp_diag_class_name(int cls)
{
	return lookup(diag_class_names, DPP_DIAG_CLASS_MAX, cls, "unknown");
}

const char *dpp_diag_cause_name(int cause)
{
	if (cause == DPP_DIAG_CAUSE_NONE)
		return NULL;
	return lookup(diag_cause_names, DPP_DIAG_CAUSE_MAX, cause, "unknown");
}
