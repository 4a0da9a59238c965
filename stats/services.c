/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Services (CONTRACT "Services"): per-worker tables of server ip:port,
 * their merge on the main lcore, and their JSON. See dpp_services.h for
 * the handoff between a worker and the main lcore.
 *
 * A worker's table is set-associative (64 sets of 8 ways): a service
 * lives in the set its key hashes to; when a new service finds its set
 * full, one entry goes (evict_before(): idle ones, aged ones, then the
 * least busy): its counts are folded into "other" so that every ended
 * flow stays counted once (conservation), and "evicted" counts it.
 * Memory is fixed at start whatever the traffic.
 *
 * Estimators, and their error:
 *  - Percentiles: log-scale histograms, 8 buckets per power of two; a
 *    bucket spans 1/8 of its lower edge and reports its middle, so a
 *    percentile is within 6.25 % of the true one (values below 8 us are
 *    exact; the max is exact).
 *  - clients: a HyperLogLog of 256 registers over the client addresses
 *    (standard error 1.04 / sqrt(256) = 6.5 %; exact-ish below ~100 by
 *    linear counting). Mergeable across workers (register max).
 *  - max_ports_per_client: distinct source ports of one client within
 *    --time-wait. A new flow whose first SYN did not reuse a 4-tuple still
 *    in the time-wait memory uses a fresh source port, so distinct ports
 *    are counted as such flows per client, over a sliding window of
 *    --time-wait approximated by two tumbling windows (the previous one
 *    weighted by how much of it still overlaps). Only the 4 busiest
 *    clients of a service are followed per worker (space-saving: a new
 *    client takes the slot with the smallest count), so a client is
 *    missed only if 4 others are busier. Across workers (RSS spreads one
 *    client's ports over them), the merge adds each client's per-worker
 *    maxima, which can overstate by the time shift between those maxima.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dpp_services.h"

/* Entries the worker copies per publish step (about 6 KB each). */
#define COPY_PER_STEP 8

/* ------------------------------------------------------------------ */
/* Histograms                                                          */
/* ------------------------------------------------------------------ */

static inline unsigned hist_bucket(uint64_t v)
{
	unsigned k, idx;

	if (v < 8)
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v); /* 2^k <= v < 2^(k+1), k >= 3 */
	idx = 8 + (k - 3) * 8 + (unsigned)((v >> (k - 3)) & 7);
	return idx < DPP_HIST_BUCKETS ? idx : DPP_HIST_BUCKETS - 1;
}

/* The middle of bucket b (its value for buckets below 8). */
static inline uint64_t hist_mid(unsigned b)
{
	unsigned k, sub;
	uint64_t lo, width;

	if (b < 8)
		return b;
	k = (b - 8) / 8 + 3;
	sub = (b - 8) % 8;
	width = 1ULL << (k - 3);
	lo = (1ULL << k) + sub * width;
	return lo + width / 2;
}

void dpp_hist_add(struct dpp_hist *h, uint64_t v)
{
	h->count[hist_bucket(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

void dpp_hist_merge(struct dpp_hist *out, const struct dpp_hist *in)
{
	if (in->n == 0)
		return;
	for (unsigned i = 0; i < DPP_HIST_BUCKETS; i++)
		out->count[i] += in->count[i];
	out->n += in->n;
	out->sum += in->sum;
	if (in->max > out->max)
		out->max = in->max;
}

uint64_t dpp_hist_count_below_pow2(const struct dpp_hist *h, unsigned int k)
{
	const unsigned int end = 8u * k - 16u < DPP_HIST_BUCKETS ? 8u * k - 16u : DPP_HIST_BUCKETS;
	uint64_t n = 0;

	if (k < 3)
		return 0;
	for (unsigned int b = 0; b < end; b++)
		n += h->count[b];
	return n;
}

uint64_t dpp_hist_quantile(const struct dpp_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	if (q >= 1.0)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank == 0)
		rank = 1;
	for (unsigned b = 0; b < DPP_HIST_BUCKETS; b++) {
		seen += h->count[b];
		if (seen >= rank) {
			const uint64_t mid = hist_mid(b);

			return mid < h->max ? mid : h->max;
		}
	}
	return h->max;
}

/* ------------------------------------------------------------------ */
/* One service                                                         */
/* ------------------------------------------------------------------ */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t addr_hash(uint8_t ver, const uint8_t ip[16], uint16_t port)
{
	uint64_t a, b;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return mix64(a ^ mix64(b ^ ((uint64_t)ver << 16 | port)));
}

static inline bool key_eq(const struct dpp_service *e, uint8_t ver, const uint8_t ip[16],
			  uint16_t port)
{
	return e->ip_version == ver && e->port == port && memcmp(e->ip, ip, 16) == 0;
}

/* Add every count of in to out (the key and clients of out stay). */
static void service_fold(struct dpp_service *out, const struct dpp_service *in)
{
	out->flows += in->flows;
	out->active += in->active;
	for (int i = 0; i < DPP_DIAG_CLASS_MAX; i++)
		out->cls[i] += in->cls[i];
	for (int i = 0; i < DPP_DIAG_CAUSE_MAX; i++)
		out->cause[i] += in->cause[i];
	out->c2s_packets += in->c2s_packets;
	out->c2s_retrans += in->c2s_retrans;
	out->s2c_packets += in->s2c_packets;
	out->s2c_retrans += in->s2c_retrans;
	out->port_reuse += in->port_reuse;
	if (in->max_ports_per_client > out->max_ports_per_client)
		out->max_ports_per_client = in->max_ports_per_client;
	for (int i = 0; i < DPP_SERVICES_HLL; i++)
		if (in->clients_hll[i] > out->clients_hll[i])
			out->clients_hll[i] = in->clients_hll[i];
	dpp_hist_merge(&out->syn_to_synack, &in->syn_to_synack);
	dpp_hist_merge(&out->synack_to_ack, &in->synack_to_ack);
	dpp_hist_merge(&out->server_response, &in->server_response);
	if (in->last_ns > out->last_ns)
		out->last_ns = in->last_ns;
}

static uint64_t failures(const struct dpp_service *s)
{
	return s->cls[DPP_DIAG_CLASS_refused] + s->cls[DPP_DIAG_CLASS_timed_out] +
	       s->cls[DPP_DIAG_CLASS_reset] + s->cls[DPP_DIAG_CLASS_stalled];
}

/* HyperLogLog estimate of the distinct clients. */
static uint64_t hll_estimate(const uint8_t *reg)
{
	const double m = DPP_SERVICES_HLL;
	double sum = 0.0, e;
	int zeros = 0;

	for (int i = 0; i < DPP_SERVICES_HLL; i++) {
		sum += ldexp(1.0, -reg[i]);
		zeros += reg[i] == 0;
	}
	if (zeros == DPP_SERVICES_HLL)
		return 0;
	e = (0.7213 / (1.0 + 1.079 / m)) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros); /* linear counting for small counts */
	return (uint64_t)(e + 0.5);
}

static void hll_add(uint8_t *reg, uint64_t h)
{
	const unsigned idx = (unsigned)(h & (DPP_SERVICES_HLL - 1));
	const uint64_t rest = h >> 8;
	const uint8_t rank = rest ? (uint8_t)(__builtin_ctzll(rest) + 1) : 57;

	if (rank > reg[idx])
		reg[idx] = rank;
}

/* Sliding-window estimate of a client's new source ports at t. */
static uint32_t ports_estimate(const struct dpp_service_client *c, uint64_t t, uint64_t w)
{
	uint64_t into = t > c->window_ns ? t - c->window_ns : 0;

	if (w == 0 || into >= w)
		return c->cur;
	return c->cur + (uint32_t)((c->prev * (w - into)) / w);
}

static void count_client_port(struct dpp_service *e, const struct dpp_flow_record *r, uint64_t w)
{
	const uint64_t h = addr_hash(r->ip_version, r->client_ip, 0) | 1;
	const uint64_t t = r->first_ts_ns;
	struct dpp_service_client *c = NULL, *least = &e->client[0];
	uint32_t est;

	hll_add(e->clients_hll, h);
	for (int i = 0; i < DPP_SERVICES_CLIENT_SLOTS; i++) {
		if (e->client[i].ip_hash == h) {
			c = &e->client[i];
			break;
		}
		if (e->client[i].max < least->max)
			least = &e->client[i];
	}
	if (c == NULL) {
		c = least;
		memset(c, 0, sizeof(*c));
		c->ip_hash = h;
		c->window_ns = t;
	}
	if (w != 0 && t >= c->window_ns + 2 * w) {
		c->prev = c->cur = 0;
		c->window_ns = t;
	} else if (w != 0 && t >= c->window_ns + w) {
		c->prev = c->cur;
		c->cur = 0;
		c->window_ns += w;
	}
	/* A SYN that reused a 4-tuple within time-wait used a port already counted. */
	if (r->port_reuse_gap_us == UINT32_MAX)
		c->cur++;
	est = ports_estimate(c, t, w);
	if (est > c->max)
		c->max = est;
	if (c->max > e->max_ports_per_client)
		e->max_ports_per_client = c->max;
}

static void service_add_record(struct dpp_service *e, const struct dpp_flow_record *r, uint64_t w)
{
	const struct dpp_flow_diag_record *d = &r->diag;

	e->flows++;
	if (d->cls < DPP_DIAG_CLASS_MAX)
		e->cls[d->cls]++;
	if (d->cause != DPP_DIAG_CAUSE_NONE && d->cause < DPP_DIAG_CAUSE_MAX)
		e->cause[d->cause]++;
	e->c2s_packets += r->c2s.packets;
	e->c2s_retrans += r->c2s.retrans;
	e->s2c_packets += r->s2c.packets;
	e->s2c_retrans += r->s2c.retrans;
	if (r->port_reuse_gap_us != UINT32_MAX)
		e->port_reuse++;
	if (r->syn_to_synack_ns >= 0)
		dpp_hist_add(&e->syn_to_synack, (uint64_t)r->syn_to_synack_ns / 1000);
	if (r->synack_to_ack_ns >= 0)
		dpp_hist_add(&e->synack_to_ack, (uint64_t)r->synack_to_ack_ns / 1000);
	if (d->server_response_us != DPP_DIAG_NONE && d->server_response_us >= 0)
		dpp_hist_add(&e->server_response, (uint64_t)d->server_response_us);
	count_client_port(e, r, w);
	if (r->last_ts_ns > e->last_ns)
		e->last_ns = r->last_ts_ns;
}

/* ------------------------------------------------------------------ */
/* A worker's table                                                    */
/* ------------------------------------------------------------------ */

size_t dpp_services_size(void)
{
	return sizeof(struct dpp_services);
}

void dpp_services_init(struct dpp_services *s, uint64_t time_wait_ns)
{
	s->time_wait_ns = time_wait_ns;
	s->other.ip_version = 0;
}

/*
 * Which of two entries of a full set goes first: one without active
 * flows; then one aged out (no flow event for DPP_SERVICES_AGE_NS of
 * packet time); then the one with fewer flows plus failures, so one-off
 * services churn among themselves and busy ones stay; then the older.
 */
static bool evict_before(const struct dpp_service *a, const struct dpp_service *b, uint64_t now)
{
	const bool a_aged = now > a->last_ns + DPP_SERVICES_AGE_NS;
	const bool b_aged = now > b->last_ns + DPP_SERVICES_AGE_NS;
	uint64_t sa, sb;

	if ((a->active == 0) != (b->active == 0))
		return a->active == 0;
	if (a_aged != b_aged)
		return a_aged;
	sa = a->flows + failures(a);
	sb = b->flows + failures(b);
	if (sa != sb)
		return sa < sb;
	return a->last_ns < b->last_ns;
}

/*
 * The entry of ip:port, created if needed; when its set is full the
 * oldest entry (preferring one without active flows) goes to other.
 */
static struct dpp_service *lookup_or_add(struct dpp_services *s, uint8_t ver, const uint8_t ip[16],
					 uint16_t port, uint64_t ts)
{
	const uint64_t h = addr_hash(ver, ip, port);
	struct dpp_service *set = &s->slot[(h % DPP_SERVICES_SETS) * DPP_SERVICES_WAYS];
	struct dpp_service *free_e = NULL, *victim = NULL;

	for (int i = 0; i < DPP_SERVICES_WAYS; i++) {
		struct dpp_service *e = &set[i];

		if (e->ip_version == 0) {
			if (free_e == NULL)
				free_e = e;
			continue;
		}
		if (key_eq(e, ver, ip, port))
			return e;
		if (victim == NULL || evict_before(e, victim, ts))
			victim = e;
	}
	if (free_e == NULL) {
		service_fold(&s->other, victim);
		s->evicted++;
		free_e = victim;
	}
	memset(free_e, 0, sizeof(*free_e));
	free_e->ip_version = ver;
	memcpy(free_e->ip, ip, 16);
	free_e->port = port;
	free_e->last_ns = ts;
	return free_e;
}

void dpp_services_open(struct dpp_services *s, uint8_t ip_version, const uint8_t ip[16],
		       uint16_t port, uint64_t ts_ns)
{
	struct dpp_service *e = lookup_or_add(s, ip_version, ip, port, ts_ns);

	e->active++;
	if (ts_ns > e->last_ns)
		e->last_ns = ts_ns;
}

/*
 * The flow of r is no longer active. It was opened under the endpoint its
 * first packet made look like the server (opened_swapped: the record's
 * client). An entry at 0 was aged out since the flow opened.
 */
static void flow_closed(struct dpp_services *s, const struct dpp_flow_record *r)
{
	struct dpp_service *o = r->opened_swapped ? lookup_or_add(s, r->ip_version, r->client_ip,
								  r->client_port, r->last_ts_ns)
						  : lookup_or_add(s, r->ip_version, r->server_ip,
								  r->server_port, r->last_ts_ns);

	if (o->active > 0)
		o->active--;
}

void dpp_services_add(struct dpp_services *s, const struct dpp_flow_record *r)
{
	flow_closed(s, r);
	service_add_record(
		lookup_or_add(s, r->ip_version, r->server_ip, r->server_port, r->last_ts_ns), r,
		s->time_wait_ns);
	s->fed++;
}

void dpp_services_drop(struct dpp_services *s, const struct dpp_flow_record *r)
{
	flow_closed(s, r);
}

void dpp_services_publish_step(struct dpp_services *s)
{
	const uint64_t req = __atomic_load_n(&s->req_seq, __ATOMIC_ACQUIRE);
	struct dpp_services_copy *c;
	uint32_t end;

	if (req == s->pub_seq)
		return;
	c = &s->copy[req & 1];
	end = s->copy_next + COPY_PER_STEP;
	if (end > DPP_SERVICES_SLOTS)
		end = DPP_SERVICES_SLOTS;
	for (uint32_t i = s->copy_next; i < end; i++) {
		if (s->slot[i].ip_version != 0 || c->slot[i].ip_version != 0)
			c->slot[i] = s->slot[i];
	}
	s->copy_next = end;
	if (end < DPP_SERVICES_SLOTS)
		return;
	c->other = s->other;
	c->evicted = s->evicted;
	c->fed = s->fed;
	s->copy_next = 0;
	__atomic_store_n(&s->pub_seq, req, __ATOMIC_RELEASE);
}

void dpp_services_request(struct dpp_services *s)
{
	const uint64_t pub = __atomic_load_n(&s->pub_seq, __ATOMIC_ACQUIRE);

	if (pub == __atomic_load_n(&s->req_seq, __ATOMIC_RELAXED))
		__atomic_store_n(&s->req_seq, pub + 1, __ATOMIC_RELEASE);
}

bool dpp_services_published(const struct dpp_services *s)
{
	return __atomic_load_n(&s->pub_seq, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&s->req_seq, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Merge on the main lcore                                             */
/* ------------------------------------------------------------------ */

/* A client's port maxima summed over the workers (see max_ports_per_client above). */
struct merged_client {
	uint64_t ip_hash;
	uint32_t max_sum;
};

struct merged_entry {
	struct dpp_service s;
	struct merged_client client[DPP_SERVICES_CLIENT_SLOTS * 4];
	uint32_t nclients;
};

struct dpp_services_merged {
	uint16_t nb;
	uint32_t cap; /* hash slots: a power of two >= 2 x entries */
	uint32_t used;
	uint32_t *index; /* hash slot -> entry + 1 */
	struct merged_entry *e;
	struct dpp_service other;
	uint64_t evicted;
	uint64_t fed;
	uint64_t slots; /* entries in use over the workers' tables */
	uint32_t *order;
};

struct dpp_services_merged *dpp_services_merged_create(uint16_t nb)
{
	struct dpp_services_merged *m = calloc(1, sizeof(*m));
	const uint32_t entries = (uint32_t)nb * DPP_SERVICES_SLOTS;

	if (m == NULL)
		return NULL;
	m->nb = nb;
	m->cap = 1;
	while (m->cap < 2 * entries)
		m->cap <<= 1;
	m->index = calloc(m->cap, sizeof(*m->index));
	m->e = calloc(entries ? entries : 1, sizeof(*m->e));
	m->order = calloc(entries ? entries : 1, sizeof(*m->order));
	if (m->index == NULL || m->e == NULL || m->order == NULL) {
		dpp_services_merged_free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void dpp_services_merged_free(struct dpp_services_merged *m)
{
	if (m == NULL)
		return;
	free(m->index);
	free(m->e);
	free(m->order);
	free(m);
}

static void merge_clients(struct merged_entry *me, const struct dpp_service *in)
{
	for (int i = 0; i < DPP_SERVICES_CLIENT_SLOTS; i++) {
		const struct dpp_service_client *c = &in->client[i];
		uint32_t k;

		if (c->ip_hash == 0)
			continue;
		for (k = 0; k < me->nclients; k++)
			if (me->client[k].ip_hash == c->ip_hash)
				break;
		if (k == me->nclients) {
			if (me->nclients == DPP_SERVICES_CLIENT_SLOTS * 4)
				continue;
			me->client[me->nclients++] = (struct merged_client){.ip_hash = c->ip_hash};
		}
		me->client[k].max_sum += c->max;
		if (me->client[k].max_sum > me->s.max_ports_per_client)
			me->s.max_ports_per_client = me->client[k].max_sum;
	}
}

static void merge_one(struct dpp_services_merged *m, const struct dpp_service *in)
{
	const uint64_t h = addr_hash(in->ip_version, in->ip, in->port);
	uint32_t i = (uint32_t)h & (m->cap - 1);
	struct merged_entry *me;

	for (;;) {
		const uint32_t idx = m->index[i];

		if (idx == 0) {
			me = &m->e[m->used];
			memset(me, 0, sizeof(*me));
			me->s.ip_version = in->ip_version;
			memcpy(me->s.ip, in->ip, 16);
			me->s.port = in->port;
			m->index[i] = ++m->used;
			break;
		}
		me = &m->e[idx - 1];
		if (key_eq(&me->s, in->ip_version, in->ip, in->port))
			break;
		i = (i + 1) & (m->cap - 1);
	}
	service_fold(&me->s, in);
	merge_clients(me, in);
}

void dpp_services_merge(struct dpp_services_merged *m, struct dpp_services *const *w, uint16_t nb,
			bool live)
{
	memset(m->index, 0, sizeof(*m->index) * m->cap);
	m->used = 0;
	m->slots = 0;
	m->evicted = 0;
	m->fed = 0;
	memset(&m->other, 0, sizeof(m->other));
	for (uint16_t k = 0; k < nb && k < m->nb; k++) {
		const struct dpp_service *slots, *other;
		uint64_t pub;

		if (live) {
			slots = w[k]->slot;
			other = &w[k]->other;
			m->evicted += w[k]->evicted;
			m->fed += w[k]->fed;
		} else {
			pub = __atomic_load_n(&w[k]->pub_seq, __ATOMIC_ACQUIRE);
			if (pub == 0)
				continue; /* nothing published yet */
			slots = w[k]->copy[pub & 1].slot;
			other = &w[k]->copy[pub & 1].other;
			m->evicted += w[k]->copy[pub & 1].evicted;
			m->fed += w[k]->copy[pub & 1].fed;
		}
		for (uint32_t i = 0; i < DPP_SERVICES_SLOTS; i++) {
			if (slots[i].ip_version == 0)
				continue;
			m->slots++;
			merge_one(m, &slots[i]);
		}
		service_fold(&m->other, other);
	}
}

uint64_t dpp_services_merged_flows(const struct dpp_services_merged *m)
{
	uint64_t n = m->other.flows;

	for (uint32_t i = 0; i < m->used; i++)
		n += m->e[i].s.flows;
	return n;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

/* Rank: flows plus failures, then the key, so the order is stable between snapshots. */
static const struct dpp_services_merged *sort_m;

static int rank_cmp(const void *a, const void *b)
{
	const struct dpp_service *x = &sort_m->e[*(const uint32_t *)a].s;
	const struct dpp_service *y = &sort_m->e[*(const uint32_t *)b].s;
	const uint64_t sx = x->flows + failures(x), sy = y->flows + failures(y);
	int c;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (x->active != y->active)
		return x->active > y->active ? -1 : 1;
	if (x->ip_version != y->ip_version)
		return x->ip_version < y->ip_version ? -1 : 1;
	c = memcmp(x->ip, y->ip, 16);
	if (c != 0)
		return c;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* A member whose key is a name from a table (a diagnosis class or cause). */
static void put_u64(struct dpp_json *j, const char *key, uint64_t v)
{
	dpp_json_key(j, key);
	dpp_json_u64(j, v);
}

static void write_hist(struct dpp_json *j, const char *name, const struct dpp_hist *h)
{
	static const char *const keys[] = {"p50", "p90", "p99", "max"};
	uint64_t v[4];

	dpp_json_key(j, name);
	dpp_json_obj_begin(j);
	if (h->n != 0) {
		v[0] = dpp_hist_quantile(h, 0.50);
		v[1] = dpp_hist_quantile(h, 0.90);
		v[2] = dpp_hist_quantile(h, 0.99);
		v[3] = h->max;
	}
	for (int i = 0; i < 4; i++) {
		dpp_json_key(j, keys[i]);
		if (h->n == 0)
			dpp_json_null(j);
		else
			dpp_json_u64(j, v[i]);
	}
	dpp_json_obj_end(j);
}

/* Everything after the key: shared by a service and services_other. */
static void write_body(struct dpp_json *j, const struct dpp_service *s)
{
	DPP_JSON_U64(j, "flows", s->flows);
	DPP_JSON_U64(j, "active", s->active);
	DPP_JSON_KEY(j, "class");
	dpp_json_obj_begin(j);
	for (int i = 0; i < DPP_DIAG_CLASS_MAX; i++)
		put_u64(j, dpp_diag_class_name(i), s->cls[i]);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "cause");
	dpp_json_obj_begin(j);
	for (int i = 1; i < DPP_DIAG_CAUSE_MAX; i++)
		put_u64(j, dpp_diag_cause_name(i), s->cause[i]);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "handshake_us");
	dpp_json_obj_begin(j);
	write_hist(j, "syn_to_synack", &s->syn_to_synack);
	write_hist(j, "synack_to_ack", &s->synack_to_ack);
	dpp_json_obj_end(j);
	write_hist(j, "server_response_us", &s->server_response);
	DPP_JSON_KEY(j, "c2s");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "packets", s->c2s_packets);
	DPP_JSON_U64(j, "retrans", s->c2s_retrans);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "s2c");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "packets", s->s2c_packets);
	DPP_JSON_U64(j, "retrans", s->s2c_retrans);
	dpp_json_obj_end(j);
	DPP_JSON_U64(j, "port_reuse", s->port_reuse);
	DPP_JSON_U64(j, "clients", hll_estimate(s->clients_hll));
	DPP_JSON_U64(j, "max_ports_per_client", s->max_ports_per_client);
}

uint32_t dpp_services_merged_count(const struct dpp_services_merged *m)
{
	return m->used;
}

uint64_t dpp_service_clients(const struct dpp_service *s)
{
	return hll_estimate(s->clients_hll);
}

uint32_t dpp_services_merged_top(struct dpp_services_merged *m, uint32_t n,
				 const struct dpp_service **out, struct dpp_service *other)
{
	uint32_t shown;

	for (uint32_t i = 0; i < m->used; i++)
		m->order[i] = i;
	sort_m = m;
	qsort(m->order, m->used, sizeof(*m->order), rank_cmp);
	shown = m->used < n ? m->used : n;
	*other = m->other;
	for (uint32_t k = 0; k < shown; k++)
		out[k] = &m->e[m->order[k]].s;
	for (uint32_t k = shown; k < m->used; k++)
		service_fold(other, &m->e[m->order[k]].s);
	return shown;
}

void dpp_services_write_json(struct dpp_json *j, const struct dpp_services_merged *m,
			     uint32_t top_n)
{
	struct dpp_service other = m->other;
	uint32_t shown;

	for (uint32_t i = 0; i < m->used; i++)
		m->order[i] = i;
	sort_m = m;
	qsort(m->order, m->used, sizeof(*m->order), rank_cmp);
	shown = m->used < top_n ? m->used : top_n;

	DPP_JSON_KEY(j, "services");
	dpp_json_arr_begin(j);
	for (uint32_t k = 0; k < shown; k++) {
		const struct dpp_service *s = &m->e[m->order[k]].s;
		char ip[INET6_ADDRSTRLEN];

		if (inet_ntop(s->ip_version == 6 ? AF_INET6 : AF_INET, s->ip, ip, sizeof(ip)) ==
		    NULL)
			ip[0] = '\0';
		dpp_json_obj_begin(j);
		DPP_JSON_KEY(j, "server");
		dpp_json_obj_begin(j);
		DPP_JSON_KEY(j, "ip");
		dpp_json_str(j, ip);
		DPP_JSON_U64(j, "port", s->port);
		dpp_json_obj_end(j);
		write_body(j, s);
		dpp_json_obj_end(j);
	}
	dpp_json_arr_end(j);
	for (uint32_t k = shown; k < m->used; k++)
		service_fold(&other, &m->e[m->order[k]].s);
	DPP_JSON_KEY(j, "services_other");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "services", m->used - shown);
	write_body(j, &other);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "services_tables");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "count", m->nb);
	DPP_JSON_U64(j, "capacity", DPP_SERVICES_SLOTS);
	DPP_JSON_U64(j, "used", m->slots);
	DPP_JSON_U64(j, "evicted", m->evicted);
	DPP_JSON_U64(j, "flows", m->fed);
	DPP_JSON_U64(j, "bytes", (uint64_t)m->nb * dpp_services_size());
	dpp_json_obj_end(j);
}
