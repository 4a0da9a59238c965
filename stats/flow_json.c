/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow records as JSON Lines, field for field the contract's layout. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <sys/socket.h>

#include "dpp_stats.h"

static void put_endpoint(FILE *f, const char *key, uint8_t ip_version, const uint8_t *addr,
			 uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)) == NULL)
		buf[0] = '\0';
	fprintf(f, "\"%s\":{\"ip\":\"%s\",\"port\":%u}", key, buf, port);
}

/* Seconds since the epoch with microsecond precision, from nanoseconds. */
static void put_ts(FILE *f, const char *key, uint64_t ns)
{
	uint64_t us = (ns + 500) / 1000;

	fprintf(f, "\"%s\":%" PRIu64 ".%06" PRIu64, key, us / 1000000, us % 1000000);
}

static void put_us_or_null(FILE *f, const char *key, int64_t ns)
{
	if (ns < 0)
		fprintf(f, "\"%s\":null", key);
	else
		fprintf(f, "\"%s\":%.3f", key, (double)ns / 1000.0);
}

static void put_dir(FILE *f, const char *key, const struct dpp_flow_dir_record *d)
{
	fprintf(f,
		"\"%s\":{\"packets\":%" PRIu64 ",\"payload_bytes\":%" PRIu64
		",\"retrans\":%u,\"out_of_order\":%u,\"zero_window\":%u,\"rst\":%u,\"fin\":%u"
		",\"win_max\":%u,",
		key, d->packets, d->payload_bytes, d->retrans, d->out_of_order, d->zero_window,
		d->rst, d->fin, d->win_max);
	if (d->has_wscale)
		fprintf(f, "\"wscale\":%u,", d->wscale);
	else
		fputs("\"wscale\":null,", f);
	if (d->has_mss)
		fprintf(f, "\"mss\":%u,", d->mss);
	else
		fputs("\"mss\":null,", f);
	fprintf(f, "\"sack_ok\":%s,\"dup_ack\":%u,\"keep_alive\":%u,\"zero_window_probe\":%u}",
		d->sack_ok ? "true" : "false", d->dup_ack, d->keep_alive, d->zero_window_probe);
}

int dpp_flow_json_write(FILE *f, const struct dpp_flow_record *r)
{
	fputs("{\"type\":\"flow\",", f);
	put_endpoint(f, "client", r->ip_version, r->client_ip, r->client_port);
	fputc(',', f);
	put_endpoint(f, "server", r->ip_version, r->server_ip, r->server_port);
	fputc(',', f);
	put_ts(f, "first_ts", r->first_ts_ns);
	fputc(',', f);
	put_ts(f, "last_ts", r->last_ts_ns);
	fprintf(f, ",\"outcome\":\"%s\",\"rst_by\":%s,\"end_reason\":\"%s\",",
		dpp_flow_outcome_name(r->outcome),
		r->rst_by == DPP_SIDE_CLIENT ? "\"client\"" :
		r->rst_by == DPP_SIDE_SERVER ? "\"server\"" : "null",
		dpp_flow_end_reason_name(r->end_reason));
	fprintf(f, "\"handshake\":{\"syn\":%u,\"synack\":%u,", r->syn, r->synack);
	put_us_or_null(f, "syn_to_synack_us", r->syn_to_synack_ns);
	fputc(',', f);
	put_us_or_null(f, "synack_to_ack_us", r->synack_to_ack_ns);
	fputs("},", f);
	put_dir(f, "c2s", &r->c2s);
	fputc(',', f);
	put_dir(f, "s2c", &r->s2c);
	fprintf(f, ",\"lcore\":%u,\"queue\":%u}\n", r->lcore, r->queue);
	return ferror(f) ? -EIO : 0;
}
