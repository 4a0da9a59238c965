/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker flow table: key, hash, lookup/insert, aging and eviction.
 * One table per worker lcore; only its owner touches it, so there are no
 * locks, and all memory is given by the caller at init (no malloc).
 *
 * Layout (one block of dpp_flow_table_mem_size() bytes, zeroed by the
 * caller, touched only as flows use it: anonymous memory stays unbacked
 * until then, so start-up and resident memory follow the flows in use,
 * not the capacity):
 *   struct dpp_flow_table | buckets[nbuckets] | flows[capacity] | tw[slots]
 *
 * Key and hash. A flow is keyed by IP version, both addresses (16 bytes,
 * IPv4 in the first 4) and both ports, independent of direction: a flow
 * stores the endpoints as its first packet had them and a lookup matches
 * either orientation, which also tells the packet's direction. The hash is
 * symmetric (the sum of a hash of each endpoint, then mixed), so both
 * directions of a connection land in the same bucket and on the same worker
 * (dpp_flow_hash_sym()). The dataplane uses the low 32 bits; the table uses
 * the upper 32 for the bucket and bits 16..31 for the 16-bit signature, so
 * spreading over workers does not thin out any worker's buckets.
 *
 * Buckets. Open addressing over 64-byte buckets of 8 (signature, flow index)
 * slots, with at least two slots per flow of capacity. A flow lives in its
 * home bucket or, when that is full, in the next bucket with room (linear
 * probing by bucket); every bucket it passes counts it in "overflow", so a
 * lookup stops at the first bucket whose overflow count is zero. At the load
 * factor used (<= 50 %) a lookup reads one bucket line and one flow.
 *
 * Aging, in packet time. Each flow is on one of three LRU lists by state:
 * half-open, from its SYN (or SYN-ACK) until the handshake is over: the
 * SYN sender's ACK after a SYN-ACK, or anything but a SYN-ACK from the
 * other side (timeout params.syn_timeout_ns, ends as "syn_timeout", or
 * "idle" if a SYN-ACK answered it), open
 * (params.idle_timeout_ns, ends as "idle") and closed (DPP_FLOW_LINGER_NS,
 * ends with "fin" or "rst"). A packet moves its flow to the tail of its
 * list, so each list is ordered by last activity and only list heads are
 * ever looked at: when packet time advances, due heads are ended until a
 * head is not due. The work is O(1) per packet plus O(1) per flow that
 * actually ends, however far packet time jumps. A timeout of 0 disables
 * that timeout. Time never goes back: the table's clock is the largest
 * packet time seen.
 *
 * Eviction policy, when a new flow needs an entry:
 *  1. Half-open budget: at most max(1, capacity / 4) flows may be
 *     half-open. A new SYN flow over the budget first ends the oldest
 *     half-open flow ("evicted"). A SYN flood therefore cycles through this
 *     budget and never pushes out established flows, also when the server
 *     answers the spoofed SYNs: a SYN-ACK does not end the handshake.
 *  2. If no entry is free: the oldest half-open flow is evicted; if there is
 *     none, the oldest closed (lingering) flow (its record keeps end_reason
 *     "fin"/"rst": it had already ended, it only lingers less); if there is
 *     none and the new flow is not half-open, the least recently seen open
 *     flow ("evicted").
 *  3. Otherwise (a SYN or SYN-ACK, and every entry holds an open flow) the packet is
 *     not tracked and counts as table_full_drops.
 * Every eviction counts in counters.evicted.
 *
 * Recently ended 4-tuples (tw[], "time wait"). A flow that ends leaves its
 * key's hash and last packet time in a 4-way set-associative memory,
 * remembered for params.time_wait_ns. A segment without SYN for a 4-tuple
 * that closed (FIN both ways or RST) within that time, after its linger,
 * is counted in late_segments and creates no flow (it would be a bogus
 * midstream flow: late FIN or RST retransmissions, the last ACK of a
 * TIME_WAIT). A SYN that opens a new flow on a 4-tuple that ended within
 * that time gets the gap (port_reuse_gap_us), as Wireshark's
 * tcp.analysis.reused_ports. A full set forgets its oldest entry, counted
 * in time_wait_overflow.
 */

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "flow_priv.h"

#define BUCKET_SLOTS 8

struct dpp_flow_bucket {
	uint16_t sig[BUCKET_SLOTS];
	uint32_t idx[BUCKET_SLOTS]; /* 1-based flow index, 0 = free slot */
	uint32_t overflow;	    /* flows homed earlier, stored later */
	uint32_t pad[3];
} __attribute__((aligned(64)));

struct dpp_flow_list {
	uint32_t head; /* oldest activity */
	uint32_t tail;
	uint32_t count;
};

/* One remembered 4-tuple: its key hash (0 = empty) and end time (bit 0: it closed). */
struct dpp_flow_tw {
	uint64_t hash;
	uint64_t end;
};

#define TW_WAYS 4
#define TW_CLOSED 1ULL

struct dpp_flow_table {
	struct dpp_flow_counters cnt;
	struct dpp_flow_params params;
	dpp_flow_sink_fn sink;
	void *sink_arg;
	uint64_t now_ns;
	uint64_t timeout_ns[DPP_FLOW_STATE_MAX];
	struct dpp_flow_list lists[DPP_FLOW_STATE_MAX];
	uint32_t bucket_mask;
	uint32_t free_head;  /* ended entries, linked through dpp_flow.next */
	uint32_t next_fresh; /* entries from here to capacity were never used */
	uint32_t half_open_budget;
	uint32_t active;
	uint32_t tw_set_mask; /* sets of TW_WAYS entries, minus one */
	struct dpp_flow_bucket *buckets;
	struct dpp_flow *flows; /* flows[i - 1] is flow index i */
	struct dpp_flow_tw *tw;
} __attribute__((aligned(64)));

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)

/* ------------------------------------------------------------------ */
/* Hash                                                                */
/* ------------------------------------------------------------------ */

/* 64x64->128 multiply folded to 64 bits: one strong mixing step. */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
	__uint128_t p = (__uint128_t)a * b;

	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/*
 * One endpoint: the port and version go through the multiply with the
 * address, so the sum of two endpoints is not linear in the ports (with a
 * port added outside the multiply, ports (p, q) and (p - 1, q + 1) between
 * the same two addresses collided on all 64 bits, which made the memory of
 * ended 4-tuples, keyed by hash alone, see reuse where there was none).
 */
static inline uint64_t endpoint_hash(const uint8_t addr[16], uint16_t port, uint8_t ver)
{
	uint64_t w0, w1;

	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	return mum(w0 ^ 0xa0761d6478bd642fULL ^ (((uint64_t)ver << 16 | port) * 0x8ebc6af09c88c6e3ULL),
		   mum(w1 ^ 0xe7037ed1a0b428dbULL, ((uint64_t)port << 8 | ver) ^ 0x589965cc75374cc3ULL));
}

_Static_assert(sizeof(struct dpp_tcp_dir) == 64, "one direction is one cache line");
_Static_assert(offsetof(struct dpp_flow, dir) == 64, "key and aging fill line 0");
_Static_assert(DPP_FLOW_HOT_BYTES == 192, "every segment touches three lines");
_Static_assert(offsetof(struct dpp_flow, ev) == 256, "event counters in line 4");
_Static_assert(sizeof(struct dpp_diag_hot) == 64, "what a segment reads of the diagnosis: one line");
_Static_assert(offsetof(struct dpp_flow, dh) == 320, "stall state in line 5");
_Static_assert(sizeof(struct dpp_diag) == 64, "the rest of the diagnosis fills one line");
_Static_assert(offsetof(struct dpp_flow, diag) == 384, "diagnosis events in line 6");
_Static_assert(sizeof(struct dpp_flow) == 448, "a flow is seven cache lines");

/* Symmetric in its two endpoints: both directions of a connection agree. */
static inline uint64_t pair_hash(const uint8_t a0[16], uint16_t p0, const uint8_t a1[16],
				 uint16_t p1, uint8_t ver)
{
	uint64_t h = endpoint_hash(a0, p0, ver) + endpoint_hash(a1, p1, ver);

	return mum(h ^ 0x589965cc75374cc3ULL, 0x1d8e4e27c47d124fULL);
}

static inline uint64_t flow_hash64(const struct dpp_pkt_view *v)
{
	return pair_hash(v->src, v->sport, v->dst, v->dport, v->ip_version);
}

uint32_t dpp_flow_hash_sym(const struct dpp_pkt_view *v)
{
	return (uint32_t)flow_hash64(v);
}

/* ------------------------------------------------------------------ */
/* Entries, buckets, lists                                             */
/* ------------------------------------------------------------------ */

static inline struct dpp_flow *flow_at(const struct dpp_flow_table *t, uint32_t idx)
{
	return &t->flows[idx - 1];
}

static inline bool addr_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* Does f match v? Sets *dir to the index of v's sender in f. */
static inline bool key_match(const struct dpp_flow *f, const struct dpp_pkt_view *v, int *dir)
{
	if (f->ip_version != v->ip_version)
		return false;
	if (f->port[0] == v->sport && f->port[1] == v->dport && addr_eq(f->addr[0], v->src) &&
	    addr_eq(f->addr[1], v->dst)) {
		*dir = 0;
		return true;
	}
	if (f->port[1] == v->sport && f->port[0] == v->dport && addr_eq(f->addr[1], v->src) &&
	    addr_eq(f->addr[0], v->dst)) {
		*dir = 1;
		return true;
	}
	return false;
}

/*
 * Slots of bk whose signature is sig, as bit 2*i for slot i: one SSE2
 * compare of all eight 16-bit signatures (as rte_hash does), or a loop.
 */
static inline uint32_t sig_matches(const struct dpp_flow_bucket *bk, uint16_t sig)
{
#ifdef __SSE2__
	const __m128i sigs = _mm_load_si128((const __m128i *)bk->sig);
	uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi16(sigs, _mm_set1_epi16((short)sig)));

	return m & 0x5555u;
#else
	uint32_t m = 0;

	for (int i = 0; i < BUCKET_SLOTS; i++)
		m |= (uint32_t)(bk->sig[i] == sig) << (2 * i);
	return m;
#endif
}

static uint32_t lookup(const struct dpp_flow_table *t, const struct dpp_pkt_view *v, uint64_t h,
		       int *dir)
{
	uint32_t b = (uint32_t)(h >> 32) & t->bucket_mask;
	const uint16_t sig = (uint16_t)(h >> 16);

	for (;;) {
		const struct dpp_flow_bucket *bk = &t->buckets[b];

		for (uint32_t m = sig_matches(bk, sig); m != 0; m &= m - 1) {
			const uint32_t idx = bk->idx[__builtin_ctz(m) >> 1];

			if (idx && key_match(flow_at(t, idx), v, dir))
				return idx;
		}
		if (bk->overflow == 0)
			return 0;
		b = (b + 1) & t->bucket_mask;
	}
}

static void bucket_insert(struct dpp_flow_table *t, uint32_t idx, uint64_t h)
{
	uint32_t b = (uint32_t)(h >> 32) & t->bucket_mask;

	/* Terminates: there are more slots than flows. */
	for (;;) {
		struct dpp_flow_bucket *bk = &t->buckets[b];

		for (int i = 0; i < BUCKET_SLOTS; i++) {
			if (bk->idx[i] == 0) {
				bk->idx[i] = idx;
				bk->sig[i] = (uint16_t)(h >> 16);
				return;
			}
		}
		bk->overflow++;
		b = (b + 1) & t->bucket_mask;
	}
}

/* The hash of a stored flow: the same as flow_hash64() of any of its packets. */
static inline uint64_t flow_key_hash(const struct dpp_flow *f)
{
	return pair_hash(f->addr[0], f->port[0], f->addr[1], f->port[1], f->ip_version);
}

static void bucket_remove(struct dpp_flow_table *t, uint32_t idx, uint64_t h)
{
	uint32_t b = (uint32_t)(h >> 32) & t->bucket_mask;

	for (;;) {
		struct dpp_flow_bucket *bk = &t->buckets[b];

		for (int i = 0; i < BUCKET_SLOTS; i++) {
			if (bk->idx[i] == idx) {
				bk->idx[i] = 0;
				bk->sig[i] = 0;
				return;
			}
		}
		bk->overflow--;
		b = (b + 1) & t->bucket_mask;
	}
}

static void list_unlink(struct dpp_flow_table *t, uint32_t idx)
{
	struct dpp_flow *f = flow_at(t, idx);
	struct dpp_flow_list *l = &t->lists[f->state];

	if (f->prev)
		flow_at(t, f->prev)->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		flow_at(t, f->next)->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = 0;
	l->count--;
}

static void list_append(struct dpp_flow_table *t, uint32_t idx)
{
	struct dpp_flow *f = flow_at(t, idx);
	struct dpp_flow_list *l = &t->lists[f->state];

	f->next = 0;
	f->prev = l->tail;
	if (l->tail)
		flow_at(t, l->tail)->next = idx;
	else
		l->head = idx;
	l->tail = idx;
	l->count++;
}

/* ------------------------------------------------------------------ */
/* Recently ended 4-tuples                                             */
/* ------------------------------------------------------------------ */

static inline struct dpp_flow_tw *tw_set(const struct dpp_flow_table *t, uint64_t h)
{
	return &t->tw[((uint32_t)h & t->tw_set_mask) * TW_WAYS];
}

static void tw_remember(struct dpp_flow_table *t, uint64_t h, uint64_t last_ns, bool closed)
{
	struct dpp_flow_tw *set, *victim;

	if (t->params.time_wait_ns == 0)
		return;
	h |= 1; /* never 0, which marks a free entry */
	set = tw_set(t, h);
	victim = &set[0];
	for (int i = 0; i < TW_WAYS; i++) {
		if (set[i].hash == h || set[i].hash == 0) {
			victim = &set[i];
			goto store;
		}
		if ((set[i].end & ~TW_CLOSED) < (victim->end & ~TW_CLOSED))
			victim = &set[i];
	}
	/* The set is full: the oldest goes, counted unless its time had passed. */
	if (t->now_ns - (victim->end & ~TW_CLOSED) < t->params.time_wait_ns)
		t->cnt.time_wait_overflow++;
store:
	victim->hash = h;
	victim->end = (last_ns & ~TW_CLOSED) | (closed ? TW_CLOSED : 0);
}

/* The remembered end of h's 4-tuple within time_wait of now, or NULL. */
static const struct dpp_flow_tw *tw_find(const struct dpp_flow_table *t, uint64_t h)
{
	const struct dpp_flow_tw *set;

	if (t->params.time_wait_ns == 0)
		return NULL;
	h |= 1;
	set = tw_set(t, h);
	for (int i = 0; i < TW_WAYS; i++)
		if (set[i].hash == h && t->now_ns - (set[i].end & ~TW_CLOSED) < t->params.time_wait_ns)
			return &set[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Ending flows                                                        */
/* ------------------------------------------------------------------ */

static void flow_end(struct dpp_flow_table *t, uint32_t idx, int reason)
{
	struct dpp_flow *f = flow_at(t, idx);
	struct dpp_flow_record rec;

	dpp_tcp_fill_record(f, reason, &t->params, &rec);
	dpp_tcp_count_end(&rec, &t->cnt);
	if (t->sink)
		t->sink(t->sink_arg, &rec);

	const uint64_t h = flow_key_hash(f);

	tw_remember(t, h, f->last_ns, f->state == DPP_FLOW_CLOSED);
	bucket_remove(t, idx, h);
	list_unlink(t, idx);
	f->ip_version = 0; /* a free entry, for dpp_flow_table_scan_open() */
	f->next = t->free_head;
	t->free_head = idx;
	t->active--;
	t->cnt.ended++;
}

/*
 * Reason a flow ends with when it times out in its current list, or when
 * a new stream replaces it: a half-open flow that a SYN-ACK answered was
 * answered, so it goes as idle; closed ones keep fin/rst (set by the record).
 */
static int timeout_reason(const struct dpp_flow *f)
{
	switch (f->state) {
	case DPP_FLOW_HALF_OPEN:
		return f->synack ? DPP_END_IDLE : DPP_END_SYN_TIMEOUT;
	case DPP_FLOW_CLOSED:
		return DPP_END_FIN;
	default:
		return DPP_END_IDLE;
	}
}

static void expire_due(struct dpp_flow_table *t)
{
	for (int s = 0; s < DPP_FLOW_STATE_MAX; s++) {
		const uint64_t timeout = t->timeout_ns[s];
		struct dpp_flow_list *l = &t->lists[s];

		if (timeout == 0)
			continue;
		while (l->head && t->now_ns - flow_at(t, l->head)->active_ns >= timeout)
			flow_end(t, l->head, timeout_reason(flow_at(t, l->head)));
	}
}

static void evict(struct dpp_flow_table *t, uint32_t idx)
{
	t->cnt.evicted++;
	flow_end(t, idx, DPP_END_EVICTED);
}

static inline bool has_free(const struct dpp_flow_table *t)
{
	return t->free_head != 0 || t->next_fresh <= t->params.capacity;
}

/* An unused entry: a freed one first (its lines are warm), else a fresh one. */
static inline uint32_t take_free(struct dpp_flow_table *t)
{
	uint32_t idx = t->free_head;

	if (idx != 0)
		t->free_head = flow_at(t, idx)->next;
	else
		idx = t->next_fresh++;
	return idx;
}

/* Make room for a new flow per the eviction policy; false if none. */
static bool make_room(struct dpp_flow_table *t, bool half_open)
{
	if (half_open && t->lists[DPP_FLOW_HALF_OPEN].count >= t->half_open_budget)
		evict(t, t->lists[DPP_FLOW_HALF_OPEN].head);
	if (has_free(t))
		return true;
	if (t->lists[DPP_FLOW_HALF_OPEN].head)
		evict(t, t->lists[DPP_FLOW_HALF_OPEN].head);
	else if (t->lists[DPP_FLOW_CLOSED].head)
		evict(t, t->lists[DPP_FLOW_CLOSED].head);
	else if (!half_open && t->lists[DPP_FLOW_OPEN].head)
		evict(t, t->lists[DPP_FLOW_OPEN].head);
	return has_free(t);
}

/* ------------------------------------------------------------------ */
/* API                                                                 */
/* ------------------------------------------------------------------ */

static uint32_t bucket_count(uint32_t capacity)
{
	uint32_t n = 1;

	/* At least two slots per flow keeps the load factor <= 50 %. */
	while ((uint64_t)n * BUCKET_SLOTS < 2ULL * capacity)
		n <<= 1;
	return n;
}

static bool params_valid(const struct dpp_flow_params *p)
{
	return p != NULL && p->capacity > 0 && p->capacity <= (1U << 30) &&
	       p->time_wait_slots <= (1U << 30);
}

size_t dpp_flow_state_size(void)
{
	return sizeof(struct dpp_flow);
}

/* Sets of the ended-4-tuple memory: a power of two, slots / TW_WAYS of them. */
static uint32_t tw_set_count(const struct dpp_flow_params *p)
{
	uint64_t slots = p->time_wait_slots ? p->time_wait_slots : p->capacity;
	uint32_t n = 1;

	if (p->time_wait_ns == 0)
		return 0;
	while ((uint64_t)n * TW_WAYS < slots)
		n <<= 1;
	return n;
}

size_t dpp_flow_table_mem_size(const struct dpp_flow_params *params)
{
	if (!params_valid(params))
		return 0;
	return ALIGN64(sizeof(struct dpp_flow_table)) +
	       (size_t)bucket_count(params->capacity) * sizeof(struct dpp_flow_bucket) +
	       (size_t)params->capacity * sizeof(struct dpp_flow) +
	       (size_t)tw_set_count(params) * TW_WAYS * sizeof(struct dpp_flow_tw);
}

struct dpp_flow_table *dpp_flow_table_init(void *mem, const struct dpp_flow_params *params,
					   dpp_flow_sink_fn sink, void *sink_arg)
{
	struct dpp_flow_table *t = mem;
	uint32_t nb;

	if (mem == NULL || ((uintptr_t)mem & 63) || !params_valid(params))
		return NULL;
	nb = bucket_count(params->capacity);
	memset(t, 0, sizeof(*t));
	t->params = *params;
	t->sink = sink;
	t->sink_arg = sink_arg;
	t->timeout_ns[DPP_FLOW_HALF_OPEN] = params->syn_timeout_ns;
	t->timeout_ns[DPP_FLOW_OPEN] = params->idle_timeout_ns;
	t->timeout_ns[DPP_FLOW_CLOSED] =
		params->close_linger_ns ? params->close_linger_ns : DPP_FLOW_LINGER_NS;
	t->bucket_mask = nb - 1;
	t->half_open_budget = params->capacity / 4 ? params->capacity / 4 : 1;
	t->buckets = (struct dpp_flow_bucket *)((uint8_t *)mem + ALIGN64(sizeof(*t)));
	t->flows = (struct dpp_flow *)(t->buckets + nb);
	t->tw = (struct dpp_flow_tw *)(t->flows + params->capacity);
	t->tw_set_mask = tw_set_count(params) ? tw_set_count(params) - 1 : 0;
	/*
	 * The buckets and the memory of ended 4-tuples are the caller's zeroed
	 * memory; flows are taken front to back (next_fresh) and recycled
	 * through the free list, so nothing here touches the big arrays.
	 */
	t->next_fresh = 1;
	return t;
}

/*
 * The server as a flow's first packet shows it (dir index): a SYN's
 * destination, a SYN-ACK's source, else the lower port (CONTRACT "Client/
 * server without a SYN", the client being the higher port or address).
 */
static inline int first_packet_server(const struct dpp_pkt_view *v)
{
	if (v->tcp_flags & DPP_TCP_SYN)
		return (v->tcp_flags & DPP_TCP_ACK) ? 0 : 1;
	if (v->sport != v->dport)
		return v->sport > v->dport ? 1 : 0;
	return memcmp(v->src, v->dst, 16) >= 0 ? 1 : 0;
}

/* One packet whose flow hash h is known (see dpp_flow_table_packet()). */
static inline void packet_hashed(struct dpp_flow_table *t, const struct dpp_pkt_view *v,
				 uint64_t ts_ns, uint64_t h, uint16_t queue)
{
	uint32_t reuse_gap_us = DPP_FLOW_NO_REUSE;
	struct dpp_flow *f;
	uint32_t idx;
	int dir = 0;
	int state;

	if (ts_ns > t->now_ns) {
		t->now_ns = ts_ns;
		expire_due(t);
	}

	idx = lookup(t, v, h, &dir);
	if (idx && dpp_tcp_starts_new_stream(flow_at(t, idx), v, dir)) {
		/*
		 * Port reuse, Wireshark's rule: the old flow is over. One that
		 * never closed was abandoned: it ends as a half-open one would
		 * time out, or as idle.
		 */
		flow_end(t, idx, timeout_reason(flow_at(t, idx)));
		idx = 0;
	}
	if (idx == 0) {
		const struct dpp_flow_tw *ended = tw_find(t, h);

		if (ended != NULL) {
			const uint64_t end_ns = ended->end & ~TW_CLOSED;

			if (!(v->tcp_flags & DPP_TCP_SYN) && (ended->end & TW_CLOSED)) {
				t->cnt.late_segments++;
				return;
			}
			if ((v->tcp_flags & (DPP_TCP_SYN | DPP_TCP_ACK)) == DPP_TCP_SYN)
				reuse_gap_us = ts_ns > end_ns ? (uint32_t)((ts_ns - end_ns) / 1000)
							      : 0;
		}
		state = dpp_tcp_initial_state(v);
		if (!make_room(t, state == DPP_FLOW_HALF_OPEN)) {
			t->cnt.table_full_drops++;
			return;
		}
		idx = take_free(t);
		f = flow_at(t, idx);
		dpp_tcp_flow_init(f, v, ts_ns);
		f->queue = queue;
		f->reuse_gap_us = reuse_gap_us;
		f->state = (uint8_t)state;
		f->prev = f->next = 0;
		bucket_insert(t, idx, h);
		t->active++;
		t->cnt.created++;
		dir = 0;
		if (t->params.on_open != NULL) {
			const int srv = first_packet_server(v);

			if (srv == 0)
				f->flags |= DPP_FLOW_F_OPEN_SRV0;
			t->params.on_open(t->params.on_open_arg, v->ip_version, f->addr[srv],
					  f->port[srv], ts_ns);
		}
	} else {
		f = flow_at(t, idx);
		list_unlink(t, idx);
	}

	f->state = (uint8_t)dpp_tcp_track(f, v, dir, ts_ns, &t->cnt);
	f->active_ns = t->now_ns;
	list_append(t, idx);
}

void dpp_flow_table_packet(struct dpp_flow_table *t, const struct dpp_pkt_view *v, uint64_t ts_ns)
{
	packet_hashed(t, v, ts_ns, flow_hash64(v), 0);
}

/*
 * Every line of the flow, not only the three every segment touches:
 * retransmissions and other events touch the other two, and a replayed
 * capture is all retransmissions after its first pass (conn-1M replay:
 * 10.9 Mpps with five lines, 9.1 with three). Prefetching the flows
 * before and after it on its aging list, which moving it to the tail
 * writes, measured no gain.
 */
static inline void prefetch_flow(const struct dpp_flow *f)
{
	for (size_t off = 0; off < sizeof(*f); off += 64)
		__builtin_prefetch((const uint8_t *)f + off, 1, 3);
}

/*
 * A burst in four passes, so that its memory accesses overlap instead of
 * each packet waiting for its own: hash every packet and prefetch its home
 * bucket; then, with the buckets arriving, prefetch the flow each signature
 * points to; then, with the flows arriving, prefetch their neighbours on
 * the aging list (moving a flow to the list's tail writes their links: at
 * 1M flows those misses, waited for one by one, cost the tracker 28 % of
 * its rate, scripts/bench --compare); then track the packets in order
 * (lookups and list moves now hit the cache).
 * Tracking stays strictly in order: packets of one flow in one burst, and
 * flows created or ended by earlier packets, behave as packet by packet.
 */
void dpp_flow_table_burst(struct dpp_flow_table *t, const struct dpp_pkt_view *v,
			  const uint64_t *ts_ns, uint16_t n, uint16_t queue)
{
	uint64_t h[DPP_FLOW_BURST_MAX];
	uint32_t cand[DPP_FLOW_BURST_MAX];

	while (n > DPP_FLOW_BURST_MAX) {
		dpp_flow_table_burst(t, v, ts_ns, DPP_FLOW_BURST_MAX, queue);
		v += DPP_FLOW_BURST_MAX;
		ts_ns += DPP_FLOW_BURST_MAX;
		n -= DPP_FLOW_BURST_MAX;
	}
	for (uint16_t i = 0; i < n; i++) {
		h[i] = flow_hash64(&v[i]);
		__builtin_prefetch(&t->buckets[(uint32_t)(h[i] >> 32) & t->bucket_mask], 0, 3);
	}
	for (uint16_t i = 0; i < n; i++) {
		const struct dpp_flow_bucket *bk =
			&t->buckets[(uint32_t)(h[i] >> 32) & t->bucket_mask];
		const uint32_t m = sig_matches(bk, (uint16_t)(h[i] >> 16));

		cand[i] = m != 0 ? bk->idx[__builtin_ctz(m) >> 1] : 0;
		if (cand[i] != 0)
			prefetch_flow(flow_at(t, cand[i]));
	}
	for (uint16_t i = 0; i < n; i++) {
		const struct dpp_flow *f;

		if (cand[i] == 0)
			continue;
		f = flow_at(t, cand[i]);
		if (f->prev != 0)
			__builtin_prefetch(flow_at(t, f->prev), 1, 3);
		if (f->next != 0)
			__builtin_prefetch(flow_at(t, f->next), 1, 3);
	}
	for (uint16_t i = 0; i < n; i++)
		packet_hashed(t, &v[i], ts_ns[i], h[i], queue);
}

void dpp_flow_table_expire(struct dpp_flow_table *t, uint64_t now_ns)
{
	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	expire_due(t);
}

void dpp_flow_table_flush(struct dpp_flow_table *t)
{
	for (int s = 0; s < DPP_FLOW_STATE_MAX; s++) {
		while (t->lists[s].head)
			flow_end(t, t->lists[s].head, DPP_END_EXIT);
	}
}

bool dpp_flow_table_scan_open(const struct dpp_flow_table *t, uint32_t *cursor,
			      uint32_t max_slots, uint32_t *min_retrans, dpp_flow_open_fn fn,
			      void *arg)
{
	/* Entries 1 .. next_fresh - 1 have been used; *cursor counts from 0. */
	const uint32_t used = t->next_fresh - 1;
	uint32_t i = *cursor, end;

	if (i >= used) {
		*cursor = 0;
		return true;
	}
	end = used - i > max_slots ? i + max_slots : used;
	for (; i < end; i++) {
		const struct dpp_flow *f = &t->flows[i];
		struct dpp_flow_record rec;

		if (f->ip_version == 0 || f->state == DPP_FLOW_CLOSED)
			continue;
		if ((uint64_t)f->ev[0].retrans + f->ev[1].retrans < *min_retrans)
			continue;
		dpp_tcp_fill_record(f, DPP_END_EXIT, &t->params, &rec);
		*min_retrans = fn(arg, &rec, f->state == DPP_FLOW_HALF_OPEN);
	}
	*cursor = end < used ? end : 0;
	return end >= used;
}

uint64_t dpp_flow_table_active(const struct dpp_flow_table *t)
{
	return t->active;
}

const struct dpp_flow_counters *dpp_flow_table_counters(const struct dpp_flow_table *t)
{
	return &t->cnt;
}
