/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records as JSON Lines, field for field the contract's layout.
 *
 * The main lcore writes every record, so this is on the export path's
 * critical route (a worker ending a million flows waits for it when it
 * reads files): a record is formatted into a local buffer with plain
 * integer conversions and written with one fwrite(), not a dozen
 * fprintf() calls.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dpp_stats.h"

/* Room for the longest record: two IPv6 endpoints, every counter at its maximum. */
#define REC_MAX 2048

/*
 * The record is built in a fixed buffer; every write checks the room left,
 * so a record longer than the buffer (a bug: REC_MAX holds the longest one
 * the fields allow, test_stats writes it) is refused, never written past.
 */
struct out {
	char *p;
	char *end;
	bool overflow;
};

static inline bool room(struct out *o, size_t n)
{
	if (o->overflow || (size_t)(o->end - o->p) < n) {
		o->overflow = true;
		return false;
	}
	return true;
}

static inline void put_ch(struct out *o, char c)
{
	if (room(o, 1))
		*o->p++ = c;
}

static inline void put_lit(struct out *o, const char *s, size_t n)
{
	if (!room(o, n))
		return;
	memcpy(o->p, s, n);
	o->p += n;
}

#define PUT(o, lit) put_lit((o), (lit), sizeof(lit) - 1)

static inline void put_str(struct out *o, const char *s)
{
	put_lit(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (!room(o, (size_t)n))
		return;
	while (n > 0)
		*o->p++ = tmp[--n];
}

/* v as exactly `width` digits, zero-padded (v < 10^width). */
static void put_frac(struct out *o, uint64_t v, int width)
{
	if (!room(o, (size_t)width))
		return;
	for (int i = width - 1; i >= 0; i--) {
		o->p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	o->p += width;
}

/* A key (with its leading punctuation, as a literal) and an integer value. */
#define PUT_U64(o, key_lit, v)                                                                     \
	do {                                                                                       \
		PUT(o, key_lit);                                                                   \
		put_u64(o, v);                                                                     \
	} while (0)

/* The same, or null when the value is absent. */
#define PUT_U64_OR_NULL(o, key_lit, has, v)                                                        \
	do {                                                                                       \
		PUT(o, key_lit);                                                                   \
		if (has)                                                                           \
			put_u64(o, v);                                                             \
		else                                                                               \
			PUT(o, "null");                                                            \
	} while (0)

static void put_endpoint(struct out *o, uint8_t ip_version, const uint8_t *addr, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)) == NULL)
		buf[0] = '\0';
	PUT(o, "{\"ip\":\"");
	put_str(o, buf);
	PUT_U64(o, "\",\"port\":", port);
	put_ch(o, '}');
}

/* Seconds since the epoch with microsecond precision, from nanoseconds. */
static void put_ts(struct out *o, uint64_t ns)
{
	uint64_t us = (ns + 500) / 1000;

	put_u64(o, us / 1000000);
	put_ch(o, '.');
	put_frac(o, us % 1000000, 6);
}

/* Microseconds with three decimals (exactly ns / 1000), negative as measured, or null. */
static void put_us_or_null(struct out *o, int64_t ns)
{
	uint64_t mag;

	if (ns == DPP_FLOW_NO_TIME) {
		PUT(o, "null");
		return;
	}
	mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	if (ns < 0)
		put_ch(o, '-');
	put_u64(o, mag / 1000);
	put_ch(o, '.');
	put_frac(o, mag % 1000, 3);
}

static void put_dir(struct out *o, const struct dpp_flow_dir_record *d)
{
	PUT_U64(o, "{\"packets\":", d->packets);
	PUT_U64(o, ",\"payload_bytes\":", d->payload_bytes);
	PUT_U64(o, ",\"retrans\":", d->retrans);
	PUT_U64(o, ",\"out_of_order\":", d->out_of_order);
	PUT_U64(o, ",\"zero_window\":", d->zero_window);
	PUT_U64(o, ",\"rst\":", d->rst);
	PUT_U64(o, ",\"fin\":", d->fin);
	PUT_U64(o, ",\"win_max\":", d->win_max);
	PUT_U64_OR_NULL(o, ",\"wscale\":", d->has_wscale, d->wscale);
	PUT_U64_OR_NULL(o, ",\"mss\":", d->has_mss, d->mss);
	if (d->sack_ok)
		PUT(o, ",\"sack_ok\":true");
	else
		PUT(o, ",\"sack_ok\":false");
	PUT_U64(o, ",\"dup_ack\":", d->dup_ack);
	PUT_U64(o, ",\"keep_alive\":", d->keep_alive);
	PUT_U64(o, ",\"zero_window_probe\":", d->zero_window_probe);
	put_ch(o, '}');
}

/* A signed microsecond count, or null for DPP_DIAG_NONE. */
static void put_i64_or_null(struct out *o, int64_t v)
{
	if (v == DPP_DIAG_NONE) {
		PUT(o, "null");
		return;
	}
	if (v < 0) {
		put_ch(o, '-');
		put_u64(o, (uint64_t)-v);
		return;
	}
	put_u64(o, (uint64_t)v);
}

static void put_side_or_null(struct out *o, uint8_t side, const char *client, const char *server)
{
	if (side == DPP_SIDE_CLIENT)
		put_str(o, client);
	else if (side == DPP_SIDE_SERVER)
		put_str(o, server);
	else
		PUT(o, "null");
}

/* CONTRACT "Diagnosis": the diagnosis object, port_reuse_gap_us included. */
static void put_diagnosis(struct out *o, const struct dpp_flow_record *r)
{
	const struct dpp_flow_diag_record *d = &r->diag;
	const char *cause = dpp_diag_cause_name(d->cause);

	PUT(o, ",\"diagnosis\":{\"class\":\"");
	put_str(o, dpp_diag_class_name(d->cls));
	PUT(o, "\",\"cause\":");
	if (cause != NULL) {
		put_ch(o, '"');
		put_str(o, cause);
		put_ch(o, '"');
	} else {
		PUT(o, "null");
	}
	PUT_U64(o, ",\"syn_retrans\":", d->syn_retrans);
	PUT_U64(o, ",\"synack_retrans\":", d->synack_retrans);
	PUT(o, ",\"idle_before_rst_us\":");
	put_i64_or_null(o, d->idle_before_rst_us);
	PUT(o, ",\"server_response_us\":");
	put_i64_or_null(o, d->server_response_us);
	PUT_U64(o, ",\"zero_window_us\":{\"c2s\":", d->zero_window_c2s_us);
	PUT_U64(o, ",\"s2c\":", d->zero_window_s2c_us);
	PUT(o, "},\"longest_stall_us\":");
	put_i64_or_null(o, d->longest_stall_us);
	PUT(o, ",\"stall_dir\":");
	put_side_or_null(o, d->stall_dir, "\"c2s\"", "\"s2c\"");
	PUT_U64_OR_NULL(o, ",\"port_reuse_gap_us\":", r->port_reuse_gap_us != UINT32_MAX,
			r->port_reuse_gap_us);
	PUT(o, ",\"history\":\"");
	put_str(o, d->history);
	PUT(o, "\"}");
}

int dpp_flow_json_write(FILE *f, const struct dpp_flow_record *r)
{
	char buf[REC_MAX];
	struct out o = {.p = buf, .end = buf + sizeof(buf)};

	PUT(&o, "{\"type\":\"flow\",\"client\":");
	put_endpoint(&o, r->ip_version, r->client_ip, r->client_port);
	PUT(&o, ",\"server\":");
	put_endpoint(&o, r->ip_version, r->server_ip, r->server_port);
	PUT(&o, ",\"first_ts\":");
	put_ts(&o, r->first_ts_ns);
	PUT(&o, ",\"last_ts\":");
	put_ts(&o, r->last_ts_ns);
	PUT(&o, ",\"outcome\":\"");
	put_str(&o, dpp_flow_outcome_name(r->outcome));
	PUT(&o, "\",\"rst_by\":");
	if (r->rst_by == DPP_SIDE_CLIENT)
		PUT(&o, "\"client\"");
	else if (r->rst_by == DPP_SIDE_SERVER)
		PUT(&o, "\"server\"");
	else
		PUT(&o, "null");
	PUT(&o, ",\"end_reason\":\"");
	put_str(&o, dpp_flow_end_reason_name(r->end_reason));
	PUT_U64(&o, "\",\"handshake\":{\"syn\":", r->syn);
	PUT_U64(&o, ",\"synack\":", r->synack);
	PUT(&o, ",\"syn_to_synack_us\":");
	put_us_or_null(&o, r->syn_to_synack_ns);
	PUT(&o, ",\"synack_to_ack_us\":");
	put_us_or_null(&o, r->synack_to_ack_ns);
	PUT(&o, "},\"c2s\":");
	put_dir(&o, &r->c2s);
	PUT(&o, ",\"s2c\":");
	put_dir(&o, &r->s2c);
	PUT_U64(&o, ",\"lcore\":", r->lcore);
	PUT_U64(&o, ",\"queue\":", r->queue);
	put_diagnosis(&o, r);
	PUT(&o, "}\n");
	if (o.overflow)
		return -EOVERFLOW;
	if (fwrite(buf, 1, (size_t)(o.p - buf), f) != (size_t)(o.p - buf))
		return -EIO;
	return ferror(f) ? -EIO : 0;
}
