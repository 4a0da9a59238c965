/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one aggregation: the lcores' counters summed into the totals every
 * output shows (the JSON snapshot, the published view behind Prometheus
 * and telemetry), each scalar filled by its value expression in
 * metrics.def.
 */

#include <string.h>

#include "dpp_stats.h"

const struct dpp_metric_desc dpp_scalar_desc[DPP_SCALAR_MAX] = {
#define DPP_SCALAR(group, key, prom, type, value, help) {#group, #key, #prom, #type, "", help},
#include "metrics.def"
#undef DPP_SCALAR
};

const struct dpp_metric_desc dpp_family_desc[DPP_FAMILY_MAX] = {
#define DPP_FAMILY(id, prom, type, labels, json, help) {NULL, json, #prom, #type, labels, help},
#include "metrics.def"
#undef DPP_FAMILY
};

const uint8_t dpp_stats_outcomes[DPP_STATS_OUTCOMES] = {
	DPP_OUTCOME_REFUSED,
	DPP_OUTCOME_SYN_TIMEOUT,
	DPP_OUTCOME_RESET,
	DPP_OUTCOME_COMPLETED,
};

void dpp_stats_lcore_add(struct dpp_lcore_counters *out, const struct dpp_lcore_counters *in)
{
	out->packets += in->packets;
	out->bytes += in->bytes;
	out->tcp += in->tcp;
	for (int i = 0; i < DPP_PARSE_RESULT_MAX; i++)
		out->parse[i] += in->parse[i];
	out->sliced += in->sliced;
	out->export_drops += in->export_drops;
	out->cycles_busy += in->cycles_busy;
	out->cycles_total += in->cycles_total;
}

void dpp_stats_flow_add(struct dpp_flow_counters *out, const struct dpp_flow_counters *in)
{
	out->created += in->created;
	out->ended += in->ended;
	out->evicted += in->evicted;
	out->table_full_drops += in->table_full_drops;
	out->late_segments += in->late_segments;
	out->time_wait_overflow += in->time_wait_overflow;
	for (int d = 0; d < 2; d++) {
		out->capture_loss_acks[d] += in->capture_loss_acks[d];
		out->capture_loss_bytes[d] += in->capture_loss_bytes[d];
	}
	out->syn += in->syn;
	out->synack += in->synack;
	out->rst += in->rst;
	out->retrans += in->retrans;
	out->zero_window += in->zero_window;
	out->refused += in->refused;
	out->syn_timeout += in->syn_timeout;
	out->reset += in->reset;
	out->completed += in->completed;
	for (int i = 0; i < DPP_DIAG_CLASS_MAX; i++)
		out->diag_class[i] += in->diag_class[i];
	for (int i = 0; i < DPP_DIAG_CAUSE_MAX; i++)
		out->diag_cause[i] += in->diag_cause[i];
}

void dpp_stats_collect(const struct dpp_stats_src *src, struct dpp_stats_totals *t)
{
	/* The names metrics.def's value expressions use. */
	struct dpp_lcore_counters lcore;
	struct dpp_flow_counters flow;

	memset(&lcore, 0, sizeof(lcore));
	memset(&flow, 0, sizeof(flow));
	for (uint16_t i = 0; i < src->nb_lcores; i++) {
		const struct dpp_stats_lcore_src *l = &src->lcores[i];

		/*
		 * An RX lcore (--dist sw) only hands packets on: the workers
		 * count them again when they parse them, so parse totals and
		 * export drops come from the other lcores.
		 */
		if (l->c != NULL && strcmp(l->role, "rx") != 0)
			dpp_stats_lcore_add(&lcore, l->c);
		if (l->flows != NULL) {
			const struct dpp_flow_counters *live = dpp_flow_table_counters(l->flows);
			struct dpp_flow_counters fc;
			uint64_t ended;

			/*
			 * The worker updates these while we read. Read `ended`
			 * before the rest so created >= ended, and report
			 * active as their difference: the snapshot then keeps
			 * created == ended + active exactly, as the contract says.
			 */
			ended = __atomic_load_n(&live->ended, __ATOMIC_ACQUIRE);
			fc = *live;
			fc.ended = ended;
			dpp_stats_flow_add(&flow, &fc);
		}
	}

#define DPP_SCALAR(group, key, prom, type, value, help)                                            \
	t->scalar[DPP_SCALAR_##group##_##key] = (uint64_t)(value);
#include "metrics.def"
#undef DPP_SCALAR

	memcpy(t->malformed, lcore.parse, sizeof(t->malformed));
	memset(t->outcome, 0, sizeof(t->outcome));
	t->outcome[DPP_OUTCOME_REFUSED] = flow.refused;
	t->outcome[DPP_OUTCOME_SYN_TIMEOUT] = flow.syn_timeout;
	t->outcome[DPP_OUTCOME_RESET] = flow.reset;
	t->outcome[DPP_OUTCOME_COMPLETED] = flow.completed;
	memcpy(t->capture_loss_acks, flow.capture_loss_acks, sizeof(t->capture_loss_acks));
	memcpy(t->capture_loss_bytes, flow.capture_loss_bytes, sizeof(t->capture_loss_bytes));
	memcpy(t->diag_class, flow.diag_class, sizeof(t->diag_class));
	memcpy(t->diag_cause, flow.diag_cause, sizeof(t->diag_cause));
}
