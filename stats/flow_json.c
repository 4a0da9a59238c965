/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records as JSON Lines, field for field the contract's layout.
 *
 * The main lcore writes every record, so this is on the export path's
 * critical route (a worker ending a million flows waits for it when it
 * reads files): a record is formatted into a local buffer with plain
 * integer conversions (the inline fast path of dpp_json.h) and written
 * with one fwrite(), not a dozen fprintf() calls. The buffer's room is
 * checked at every write, so a record longer than it (a bug:
 * DPP_FLOW_JSON_MAX holds the longest one the fields allow, test_stats
 * writes it) is refused, never written past or cut.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dpp_stats.h"

/* A member with a literal key: the integer, or null when the value is absent. */
#define PUT_U64_OR_NULL(j, key, has, v)                                                            \
	do {                                                                                       \
		DPP_JSON_KEY(j, key);                                                              \
		if (has)                                                                           \
			dpp_json_u64(j, v);                                                        \
		else                                                                               \
			dpp_json_null(j);                                                          \
	} while (0)

static void put_endpoint(struct dpp_json *j, uint8_t ip_version, const uint8_t *addr, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)) == NULL)
		buf[0] = '\0';
	dpp_json_obj_begin(j);
	DPP_JSON_KEY(j, "ip");
	dpp_json_str_plain(j, buf);
	DPP_JSON_U64(j, "port", port);
	dpp_json_obj_end(j);
}

/* Seconds since the epoch with microsecond precision, from nanoseconds. */
static void put_ts(struct dpp_json *j, uint64_t ns)
{
	dpp_json_ufixed(j, (ns + 500) / 1000, 6);
}

/* Microseconds with three decimals (exactly ns / 1000), negative as measured, or null. */
static void put_us_or_null(struct dpp_json *j, int64_t ns)
{
	if (ns == DPP_FLOW_NO_TIME)
		dpp_json_null(j);
	else
		dpp_json_fixed(j, ns, 3);
}

static void put_dir(struct dpp_json *j, const struct dpp_flow_dir_record *d)
{
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "packets", d->packets);
	DPP_JSON_U64(j, "payload_bytes", d->payload_bytes);
	DPP_JSON_U64(j, "retrans", d->retrans);
	DPP_JSON_U64(j, "out_of_order", d->out_of_order);
	DPP_JSON_U64(j, "zero_window", d->zero_window);
	DPP_JSON_U64(j, "rst", d->rst);
	DPP_JSON_U64(j, "fin", d->fin);
	DPP_JSON_U64(j, "win_max", d->win_max);
	PUT_U64_OR_NULL(j, "wscale", d->has_wscale, d->wscale);
	PUT_U64_OR_NULL(j, "mss", d->has_mss, d->mss);
	DPP_JSON_KEY(j, "sack_ok");
	dpp_json_bool(j, d->sack_ok);
	DPP_JSON_U64(j, "dup_ack", d->dup_ack);
	DPP_JSON_U64(j, "keep_alive", d->keep_alive);
	DPP_JSON_U64(j, "zero_window_probe", d->zero_window_probe);
	dpp_json_obj_end(j);
}

/* A signed microsecond count, or null for DPP_DIAG_NONE. */
static void put_i64_or_null(struct dpp_json *j, int64_t v)
{
	if (v == DPP_DIAG_NONE)
		dpp_json_null(j);
	else
		dpp_json_i64(j, v);
}

/* A side as a string ("client", "c2s"), or null. */
static void put_side_or_null(struct dpp_json *j, uint8_t side, const char *client,
			     const char *server)
{
	if (side == DPP_SIDE_CLIENT)
		dpp_json_str_plain(j, client);
	else if (side == DPP_SIDE_SERVER)
		dpp_json_str_plain(j, server);
	else
		dpp_json_null(j);
}

/* CONTRACT "Diagnosis": the diagnosis object, port_reuse_gap_us included. */
static void put_diagnosis(struct dpp_json *j, const struct dpp_flow_record *r)
{
	const struct dpp_flow_diag_record *d = &r->diag;
	const char *cause = dpp_diag_cause_name(d->cause);

	DPP_JSON_KEY(j, "diagnosis");
	dpp_json_obj_begin(j);
	DPP_JSON_KEY(j, "class");
	dpp_json_str_plain(j, dpp_diag_class_name(d->cls));
	DPP_JSON_KEY(j, "cause");
	if (cause != NULL)
		dpp_json_str_plain(j, cause);
	else
		dpp_json_null(j);
	DPP_JSON_U64(j, "syn_retrans", d->syn_retrans);
	DPP_JSON_U64(j, "synack_retrans", d->synack_retrans);
	DPP_JSON_KEY(j, "idle_before_rst_us");
	put_i64_or_null(j, d->idle_before_rst_us);
	DPP_JSON_KEY(j, "server_response_us");
	put_i64_or_null(j, d->server_response_us);
	DPP_JSON_KEY(j, "zero_window_us");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "c2s", d->zero_window_c2s_us);
	DPP_JSON_U64(j, "s2c", d->zero_window_s2c_us);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "longest_stall_us");
	put_i64_or_null(j, d->longest_stall_us);
	DPP_JSON_KEY(j, "stall_dir");
	put_side_or_null(j, d->stall_dir, "c2s", "s2c");
	PUT_U64_OR_NULL(j, "port_reuse_gap_us", r->port_reuse_gap_us != UINT32_MAX,
			r->port_reuse_gap_us);
	DPP_JSON_KEY(j, "history");
	dpp_json_str_plain(j, d->history);
	dpp_json_obj_end(j);
}

int dpp_flow_json_format(struct dpp_json *j, const struct dpp_flow_record *r)
{
	dpp_json_obj_begin(j);
	DPP_JSON_KEY(j, "type");
	dpp_json_str_plain(j, "flow");
	DPP_JSON_KEY(j, "client");
	put_endpoint(j, r->ip_version, r->client_ip, r->client_port);
	DPP_JSON_KEY(j, "server");
	put_endpoint(j, r->ip_version, r->server_ip, r->server_port);
	DPP_JSON_KEY(j, "first_ts");
	put_ts(j, r->first_ts_ns);
	DPP_JSON_KEY(j, "last_ts");
	put_ts(j, r->last_ts_ns);
	DPP_JSON_KEY(j, "outcome");
	dpp_json_str_plain(j, dpp_flow_outcome_name(r->outcome));
	DPP_JSON_KEY(j, "rst_by");
	put_side_or_null(j, r->rst_by, "client", "server");
	DPP_JSON_KEY(j, "end_reason");
	dpp_json_str_plain(j, dpp_flow_end_reason_name(r->end_reason));
	DPP_JSON_KEY(j, "handshake");
	dpp_json_obj_begin(j);
	DPP_JSON_U64(j, "syn", r->syn);
	DPP_JSON_U64(j, "synack", r->synack);
	DPP_JSON_KEY(j, "syn_to_synack_us");
	put_us_or_null(j, r->syn_to_synack_ns);
	DPP_JSON_KEY(j, "synack_to_ack_us");
	put_us_or_null(j, r->synack_to_ack_ns);
	dpp_json_obj_end(j);
	DPP_JSON_KEY(j, "c2s");
	put_dir(j, &r->c2s);
	DPP_JSON_KEY(j, "s2c");
	put_dir(j, &r->s2c);
	DPP_JSON_U64(j, "lcore", r->lcore);
	DPP_JSON_U64(j, "queue", r->queue);
	put_diagnosis(j, r);
	dpp_json_obj_end(j);
	DPP_JSON_RAW(j, "\n");
	return j->overflow ? -EOVERFLOW : 0;
}

int dpp_flow_json_write(FILE *f, const struct dpp_flow_record *r)
{
	char buf[DPP_FLOW_JSON_MAX];
	struct dpp_json j;
	size_t len;

	dpp_json_init(&j, buf, sizeof(buf));
	if (dpp_flow_json_format(&j, r) != 0)
		return -EOVERFLOW;
	len = dpp_json_len(&j);
	if (fwrite(buf, 1, len, f) != len)
		return -EIO;
	return ferror(f) ? -EIO : 0;
}
