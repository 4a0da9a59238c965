/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Synthetic TCP captures for scripts/bench: classic pcap (microseconds),
 * every frame 64 bytes (Ethernet + IPv4 + TCP without options, padded;
 * 64 bytes captured, no FCS), timestamps one microsecond apart.
 *
 *   gen conn FLOWS ROUNDS OUT.pcap
 *   gen open FLOWS OUT.pcap
 *   gen synflood FLOWS FLOOD_PER_PACKET SEED OUT.pcap
 *
 * conn: FLOWS connections open at once, in ROUNDS rounds. Each round opens
 * every flow (SYN, SYN-ACK, ACK back to back, so no flow stays half-open),
 * then sends the client's request (10 bytes) on every flow, then the
 * server's answer (10 bytes) on every flow, then closes every flow (FIN,
 * FIN, last ACK): 8 frames per flow per round, and all FLOWS flows are
 * established at the same time. Each round uses new client ports.
 *
 * open: only the handshakes of the conn pattern (3 frames per flow), so
 * that FLOWS established flows fit in memory as a replayed capture at 10M
 * flows; replayed in a loop, the later passes are SYN retransmissions and
 * duplicate segments of flows that stay open.
 *
 * synflood: the conn pattern (one round) with FLOOD_PER_PACKET spoofed
 * SYNs, from random addresses and ports to the server, after every frame
 * of the real connections.
 *
 * Prints the number of frames written on stdout. A benchmark tool, not
 * part of dpprobe.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME 64
#define CLIENTS 120000u /* client addresses 198.18.0.1 and up */
#define SERVER_IP 0xC613FF01u /* 198.19.255.1 */
#define SERVER_PORT 80
#define TS0 1700000000ull

#define F_FIN 0x01
#define F_SYN 0x02
#define F_PSH 0x08
#define F_ACK 0x10

static FILE *out;
static uint64_t frames;
static uint64_t now_us;
static uint8_t buf[1 << 22];
static size_t fill;

static void flush_buf(void)
{
	if (fill && fwrite(buf, 1, fill, out) != fill) {
		perror("gen: write");
		exit(1);
	}
	fill = 0;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void frame(uint32_t sip, uint16_t sport, uint32_t dip, uint16_t dport, uint32_t seq,
		  uint32_t ack, uint8_t flags, uint16_t payload)
{
	uint8_t *r, *p, *ip, *tcp;
	uint64_t ts = TS0 * 1000000ull + now_us++;
	uint16_t tcplen = 20 + payload;
	uint32_t s;

	if (fill + 16 + FRAME > sizeof(buf))
		flush_buf();
	r = buf + fill;
	fill += 16 + FRAME;
	{
		uint32_t v[4] = {(uint32_t)(ts / 1000000), (uint32_t)(ts % 1000000), FRAME, FRAME};

		memcpy(r, v, sizeof(v));
	}
	p = r + 16;
	memset(p, 0, FRAME);
	/* Ethernet: locally administered MACs, client side 02:..:01. */
	memcpy(p, (const uint8_t[]){2, 0, 0, 0, 0, (dip == SERVER_IP) ? 2 : 1}, 6);
	memcpy(p + 6, (const uint8_t[]){2, 0, 0, 0, 0, (dip == SERVER_IP) ? 1 : 2}, 6);
	put16(p + 12, 0x0800);
	ip = p + 14;
	ip[0] = 0x45;
	put16(ip + 2, 20 + tcplen);
	put16(ip + 4, (uint16_t)frames);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, sip);
	put32(ip + 16, dip);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	tcp = ip + 20;
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 64240);
	for (uint16_t i = 0; i < payload; i++)
		tcp[20 + i] = 'a' + i % 26;
	/* Pseudo-header + segment. */
	s = (sip >> 16) + (sip & 0xffff) + (dip >> 16) + (dip & 0xffff) + 6 + tcplen;
	put16(tcp + 16, fold(sum16(tcp, tcplen, s)));
	frames++;
}

static inline uint32_t mix32(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

static uint64_t rng = 88172645463325252ULL;

static inline uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t flood_per_packet;

static void flood(void)
{
	for (uint32_t k = 0; k < flood_per_packet; k++) {
		uint64_t r = xorshift();

		frame((uint32_t)r, (uint16_t)(1024 + (r >> 32) % 64000), SERVER_IP, SERVER_PORT,
		      (uint32_t)(r >> 16), 0, F_SYN, 0);
	}
}

/* Flow i of round r: client address and port. */
static void client_of(uint64_t i, uint64_t flows, uint32_t r, uint32_t *ip, uint16_t *port)
{
	uint64_t ports_per_round = (flows + CLIENTS - 1) / CLIENTS;

	*ip = 0xC6120001u + (uint32_t)(i % CLIENTS);
	*port = (uint16_t)(1024 + r * ports_per_round + i / CLIENTS);
}

/*
 * Each phase visits the flows in its own order, k -> (k * M + C) mod flows
 * with M a prime that does not divide flows (flows = 2^a 5^b here): packets
 * in a row belong to unrelated flows, as on a real link, and neither the
 * flow state nor the table's aging lists are walked in memory order.
 */
static const uint64_t phase_mul[] = {2654435761u, 2246822519u, 3266489917u, 668265263u};

static inline uint64_t visit(uint64_t k, uint64_t flows, unsigned phase)
{
	return (k * (phase_mul[phase] % flows ? phase_mul[phase] % flows : 1) + phase * 7919) %
	       flows;
}

#define EACH_FLOW(phase, body)                                                                     \
	for (uint64_t k = 0, i; k < flows && (i = visit(k, flows, phase), 1); k++) {               \
		uint32_t cip, cs = mix32(i * 2 + 1 + ((uint64_t)r << 40)),                         \
			      ss = mix32(i * 2 + 2 + ((uint64_t)r << 40));                         \
		uint16_t cport;                                                                    \
		client_of(i, flows, r, &cip, &cport);                                              \
		body                                                                               \
	}

#define C2S(seq, ack, fl, len)                                                                     \
	do {                                                                                       \
		frame(cip, cport, SERVER_IP, SERVER_PORT, seq, ack, fl, len);                      \
		flood();                                                                           \
	} while (0)
#define S2C(seq, ack, fl, len)                                                                     \
	do {                                                                                       \
		frame(SERVER_IP, SERVER_PORT, cip, cport, seq, ack, fl, len);                      \
		flood();                                                                           \
	} while (0)

static bool open_only;

static void conn_rounds(uint64_t flows, uint32_t rounds)
{
	for (uint32_t r = 0; r < rounds; r++) {
		EACH_FLOW(0, C2S(cs, 0, F_SYN, 0); S2C(ss, cs + 1, F_SYN | F_ACK, 0);
			  C2S(cs + 1, ss + 1, F_ACK, 0);)
		if (open_only)
			continue;
		EACH_FLOW(1, C2S(cs + 1, ss + 1, F_PSH | F_ACK, 10);)
		EACH_FLOW(2, S2C(ss + 1, cs + 11, F_PSH | F_ACK, 10);)
		EACH_FLOW(3, C2S(cs + 11, ss + 11, F_FIN | F_ACK, 0);
			  S2C(ss + 11, cs + 12, F_FIN | F_ACK, 0);
			  C2S(cs + 12, ss + 12, F_ACK, 0);)
	}
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s) {
		fprintf(stderr, "gen: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	/* Classic pcap header: microseconds, snaplen 65535, Ethernet. */
	const uint32_t hdr[6] = {0xa1b2c3d4, 2 | (4u << 16), 0, 0, 65535, 1};
	uint64_t flows;
	uint32_t rounds = 1;
	const char *path;

	if (argc == 5 && !strcmp(argv[1], "conn")) {
		flows = parse_u64(argv[2], "FLOWS");
		rounds = (uint32_t)parse_u64(argv[3], "ROUNDS");
		path = argv[4];
	} else if (argc == 4 && !strcmp(argv[1], "open")) {
		flows = parse_u64(argv[2], "FLOWS");
		open_only = true;
		path = argv[3];
	} else if (argc == 6 && !strcmp(argv[1], "synflood")) {
		flows = parse_u64(argv[2], "FLOWS");
		flood_per_packet = (uint32_t)parse_u64(argv[3], "FLOOD_PER_PACKET");
		rng ^= parse_u64(argv[4], "SEED") * 0x9e3779b97f4a7c15ULL;
		if (rng == 0)
			rng = 1;
		path = argv[5];
	} else {
		fprintf(stderr, "usage: gen conn FLOWS ROUNDS OUT.pcap\n"
				"       gen open FLOWS OUT.pcap\n"
				"       gen synflood FLOWS FLOOD_PER_PACKET SEED OUT.pcap\n");
		return 2;
	}
	if (flows == 0 || rounds == 0 ||
	    (flows + CLIENTS - 1) / CLIENTS * rounds > 65535 - 1024) {
		fprintf(stderr, "gen: too many flows x rounds for the client ports\n");
		return 2;
	}
	out = fopen(path, "wb");
	if (out == NULL) {
		perror(path);
		return 1;
	}
	memcpy(buf, hdr, sizeof(hdr));
	fill = sizeof(hdr);
	conn_rounds(flows, rounds);
	flush_buf();
	if (fclose(out) != 0) {
		perror(path);
		return 1;
	}
	printf("%llu\n", (unsigned long long)frames);
	return 0;
}
