/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The open flows with the most retransmissions (dpp_open_flows.h): a
 * worker scans its own table a few entries per loop when asked; the asker
 * merges what the workers published.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpp_open_flows.h"

static inline uint64_t retrans_of(const struct dpp_flow_record *r)
{
	return (uint64_t)r->c2s.retrans + r->s2c.retrans;
}

/* a before b in an answer: more retransmissions, then more packets. */
static bool before(const struct dpp_open_flow *a, const struct dpp_open_flow *b)
{
	const uint64_t ra = retrans_of(&a->rec), rb = retrans_of(&b->rec);

	if (ra != rb)
		return ra > rb;
	return a->rec.c2s.packets + a->rec.s2c.packets > b->rec.c2s.packets + b->rec.s2c.packets;
}

/* The entry of list[0..nb-1] that comes last in an answer. */
static uint32_t last_of(const struct dpp_open_flow *list, uint32_t nb)
{
	uint32_t m = 0;

	for (uint32_t i = 1; i < nb; i++)
		if (before(&list[m], &list[i]))
			m = i;
	return m;
}

/* Keep e among the cap best of list[0..*nb-1]. */
static void keep(struct dpp_open_flow *list, uint32_t *nb, uint32_t cap,
		 const struct dpp_open_flow *e)
{
	uint32_t m;

	if (cap == 0)
		return;
	if (*nb < cap) {
		list[(*nb)++] = *e;
		return;
	}
	m = last_of(list, *nb);
	if (before(e, &list[m]))
		list[m] = *e;
}

void dpp_open_flows_init(struct dpp_open_flows *b, uint16_t lcore)
{
	memset(b, 0, sizeof(*b));
	b->lcore = lcore;
}

/*
 * A flow the table offers. Once the list is full, only a flow with more
 * retransmissions than the list's last can enter it, so the table is told
 * to offer only those (ties go to the flow scanned first).
 */
static uint32_t offer(void *arg, const struct dpp_flow_record *rec, bool half_open)
{
	struct dpp_open_flows *b = arg;
	struct dpp_open_flow e = {.rec = *rec, .half_open = half_open};
	uint32_t nb = b->nb;

	e.rec.lcore = b->lcore;
	keep(b->top, &nb, DPP_OPEN_FLOWS_MAX, &e);
	b->nb = (uint16_t)nb;
	if (nb < DPP_OPEN_FLOWS_MAX)
		return 0;
	return (uint32_t)retrans_of(&b->top[last_of(b->top, nb)].rec) + 1;
}

void dpp_open_flows_step(struct dpp_open_flows *b, const struct dpp_flow_table *t)
{
	const uint64_t req = __atomic_load_n(&b->req_seq, __ATOMIC_ACQUIRE);

	if (req == b->pub_seq)
		return;
	if (!b->scanning) {
		b->scanning = true;
		b->cursor = 0;
		b->min_retrans = 0;
		b->nb = 0;
	}
	if (!dpp_flow_table_scan_open(t, &b->cursor, DPP_OPEN_FLOWS_STEP, &b->min_retrans, offer, b))
		return;
	b->scanning = false;
	__atomic_store_n(&b->pub_seq, req, __ATOMIC_RELEASE);
}

static int by_answer_order(const void *a, const void *b)
{
	const struct dpp_open_flow *x = a, *y = b;

	if (before(x, y))
		return -1;
	return before(y, x) ? 1 : 0;
}

void dpp_open_flows_query(struct dpp_open_flows *const *boards, uint16_t nb_boards, uint32_t n,
			  unsigned int timeout_ms, struct dpp_open_flows_answer *a)
{
	const struct timespec tick = {.tv_sec = 0, .tv_nsec = 1000 * 1000};
	uint64_t want[nb_boards ? nb_boards : 1];
	unsigned int waited = 0;
	uint32_t nb = 0;

	memset(a, 0, sizeof(*a));
	a->workers = nb_boards;
	if (n > DPP_OPEN_FLOWS_MAX)
		n = DPP_OPEN_FLOWS_MAX;
	for (uint16_t i = 0; i < nb_boards; i++) {
		struct dpp_open_flows *b = boards[i];
		const uint64_t pub = __atomic_load_n(&b->pub_seq, __ATOMIC_ACQUIRE);
		const uint64_t req = __atomic_load_n(&b->req_seq, __ATOMIC_RELAXED);

		want[i] = req;
		if (pub == req) {
			want[i] = req + 1;
			__atomic_store_n(&b->req_seq, want[i], __ATOMIC_RELEASE);
		}
	}
	for (;;) {
		uint16_t done = 0;

		for (uint16_t i = 0; i < nb_boards; i++)
			done += __atomic_load_n(&boards[i]->pub_seq, __ATOMIC_ACQUIRE) == want[i];
		if (done == nb_boards || waited >= timeout_ms)
			break;
		nanosleep(&tick, NULL);
		waited++;
	}
	for (uint16_t i = 0; i < nb_boards; i++) {
		const struct dpp_open_flows *b = boards[i];

		if (__atomic_load_n(&b->pub_seq, __ATOMIC_ACQUIRE) != want[i])
			continue;
		a->answered++;
		for (uint16_t k = 0; k < b->nb; k++)
			keep(a->flows, &nb, n, &b->top[k]);
	}
	qsort(a->flows, nb, sizeof(a->flows[0]), by_answer_order);
	a->nb = nb;
}
