/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture files given to net_pcap (rx_pcap=): what they are, checked
 * before EAL starts, so a wrong file is one line and exit 2, not a run that
 * silently counts every frame as non-IP.
 *
 * net_pcap hands each record's captured bytes over as they are, whatever
 * the file's link type, and says nothing when libpcap stops early (a file
 * cut inside a record, a corrupt record header): pcap_next() returns NULL
 * and the queue looks like the end of the file. So each file is opened with
 * libpcap (link type, snap length: the same library net_pcap reads it
 * with) and its records are walked once through a read-only mapping (about
 * memory speed; the packet bytes are never copied) to count the complete
 * ones and find where a truncated or corrupt file stops being readable.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dpp_dataplane.h"

/* Classic pcap: magic, version, ..., snaplen, link type (24 bytes); records of 16 + caplen. */
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16
/* pcapng (pcapng spec section 4): blocks of type, total length, body, total length. */
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_BOM 0x1a2b3c4du
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_SPB 0x00000003u
#define PCAPNG_OPB 0x00000002u
#define PCAPNG_IDB 0x00000001u
/* libpcap refuses records longer than this (pcap-int.h: MAXIMUM_SNAPLEN). */
#define PCAP_MAX_CAPLEN 262144u
/* net_pcap copies a record's length in 16 bits: from here on it cuts them. */
#define NET_PCAP_MAX_LEN 65536u
/* Big records noted per file at most (each 16 bytes). */
#define MAX_BIG_RECORDS 65536u

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/*
 * Note the current record of ci when the probe must know its length on the
 * wire, which net_pcap does not hand over: a record of 64 KiB or more
 * (net_pcap keeps its length mod 64 KiB), or a sliced record (captured
 * shorter than on the wire) whose IP length goes beyond its wire length,
 * which the contract calls malformed but which, seen only as the captured
 * bytes, would look like slicing. The parser tells which sliced records
 * those are; it costs one parse of each sliced record at start-up.
 */
static void note_wire_len(struct dpp_capture_info *ci, const uint8_t *data, uint32_t caplen,
			  uint32_t orig_len)
{
	struct dpp_big_record *b;

	/*
	 * Cut short of its wire length but shorter than the snap length (a
	 * packet broker that slices at its own length): the snap-length sign
	 * of slicing misses it, so the file's queue takes every frame as
	 * possibly sliced (see describe_queues()).
	 */
	if (caplen < orig_len && caplen < ci->snaplen)
		ci->cut_below_snaplen++;
	if (caplen < NET_PCAP_MAX_LEN) {
		struct dpp_pkt_view v;
		const struct dpp_frame fr = {.data = data,
					     .len = caplen,
					     .wire_len = orig_len,
					     .link_type = (uint16_t)ci->link_type};

		if (orig_len <= caplen ||
		    dpp_tcp_parse_frame(&fr, &v) != DPP_PARSE_MALFORMED_ip_len_beyond_frame)
			return;
	}
	if (ci->nb_big == MAX_BIG_RECORDS)
		return;
	if ((ci->nb_big & (ci->nb_big - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
		b = realloc(ci->big, sizeof(*b) * (ci->nb_big ? 2 * ci->nb_big : 1));
		if (b == NULL)
			return;
		ci->big = b;
	}
	ci->big[ci->nb_big++] = (struct dpp_big_record){
		.index = ci->records, .orig_len = orig_len > caplen ? orig_len : caplen};
}

/* Walk classic pcap records; sets records and, when the file stops short, where. */
static void walk_pcap(const uint8_t *m, size_t size, bool swap, struct dpp_capture_info *ci)
{
	size_t off = PCAP_FILE_HDR;

	while (off < size) {
		uint32_t caplen;

		if (size - off < PCAP_REC_HDR) {
			ci->stop_offset = off;
			snprintf(ci->stop_why, sizeof(ci->stop_why),
				 "truncated capture: a record header is cut short");
			return;
		}
		caplen = rd32(m + off + 8, swap);
		if (caplen > PCAP_MAX_CAPLEN) {
			ci->stop_offset = off;
			snprintf(ci->stop_why, sizeof(ci->stop_why),
				 "corrupt capture: a record claims %u captured bytes", caplen);
			return;
		}
		if (size - off - PCAP_REC_HDR < caplen) {
			ci->stop_offset = off;
			snprintf(
				ci->stop_why, sizeof(ci->stop_why),
				"truncated capture: the last record is cut short (%zu of %u bytes)",
				size - off - PCAP_REC_HDR, caplen);
			return;
		}
		note_wire_len(ci, m + off + PCAP_REC_HDR, caplen, rd32(m + off + 12, swap));
		off += PCAP_REC_HDR + caplen;
		ci->records++;
	}
}

/* Walk pcapng blocks, counting the packet blocks, per the block total lengths. */
static void walk_pcapng(const uint8_t *m, size_t size, struct dpp_capture_info *ci)
{
	size_t off = 0;
	bool swap = false;
	int first_link = -1;
	uint16_t if_link[64];
	unsigned int nb_if = 0;

	while (off < size) {
		uint32_t type, len;

		if (size - off < 12) {
			ci->stop_offset = off;
			snprintf(ci->stop_why, sizeof(ci->stop_why),
				 "truncated capture: a block header is cut short");
			return;
		}
		memcpy(&type, m + off, 4);
		if (type == PCAPNG_SHB) {
			/* Each section says its own byte order. */
			swap = rd32(m + off + 8, false) != PCAPNG_BOM;
		}
		type = rd32(m + off, swap);
		len = rd32(m + off + 4, swap);
		if (len < 12 || len % 4 != 0) {
			ci->stop_offset = off;
			snprintf(ci->stop_why, sizeof(ci->stop_why),
				 "corrupt capture: a block claims a length of %u bytes", len);
			return;
		}
		if (size - off < len) {
			ci->stop_offset = off;
			snprintf(ci->stop_why, sizeof(ci->stop_why),
				 "truncated capture: the last block is cut short (%zu of %u bytes)",
				 size - off, len);
			return;
		}
		/*
		 * libpcap reads a pcapng file with the first interface's link
		 * type and stops, with an error net_pcap does not report, at the
		 * first packet of an interface of another link type: the records
		 * from there on are lost.
		 */
		if (type == PCAPNG_SHB) {
			nb_if = 0;
		} else if (type == PCAPNG_IDB && len >= 20) {
			/* Link type (16 bits), reserved (16 bits), in the section's order. */
			const uint32_t w = rd32(m + off + 8, swap);
			const uint16_t lt = (uint16_t)(swap ? w >> 16 : w & 0xffff);

			if (first_link < 0)
				first_link = lt;
			if (nb_if < RTE_DIM(if_link))
				if_link[nb_if++] = lt;
		} else if (type == PCAPNG_EPB && len >= 32) {
			const uint32_t ifc = rd32(m + off + 8, swap);

			if (ifc < nb_if && if_link[ifc] != first_link) {
				ci->stop_offset = off;
				snprintf(ci->stop_why, sizeof(ci->stop_why),
					 "mixed link types: a packet of link type %u after link "
					 "type "
					 "%d (libpcap reads only the first)",
					 if_link[ifc], first_link);
				return;
			}
		}
		/* EPB: interface, timestamp (8), captured length, original length. */
		if (type == PCAPNG_EPB && len >= 32)
			note_wire_len(ci, m + off + 28, RTE_MIN(rd32(m + off + 20, swap), len - 32),
				      rd32(m + off + 24, swap));
		if (type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_OPB)
			ci->records++;
		off += len;
	}
}

/* Files checked before EAL, looked up again when their ports are set up. */
static struct dpp_capture_info checked[DPP_MAX_QUEUES_PER_LCORE];
static unsigned int nb_checked;

const struct dpp_capture_info *dpp_capture_find(const char *path)
{
	for (unsigned int i = 0; i < nb_checked; i++)
		if (strcmp(checked[i].path, path) == 0)
			return &checked[i];
	return NULL;
}

int dpp_capture_inspect(const char *path, struct dpp_capture_info *ci, char *err, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	struct stat st;
	uint8_t *m;
	uint32_t magic;
	pcap_t *p;
	int fd;

	memset(ci, 0, sizeof(*ci));
	snprintf(ci->path, sizeof(ci->path), "%s", path);
	/*
	 * A pipe or a device (rx_pcap=/dev/stdin) can be read once only, by
	 * net_pcap: it is taken as Ethernet, unchecked, and its end is found
	 * the slow way (rx quiet while no error counter grows).
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		ci->link_type = DPP_LINK_ETHERNET;
		return 0;
	}
	p = pcap_open_offline(path, pcap_err);
	if (p == NULL) {
		snprintf(err, errlen, "rx_pcap=%s: not a capture file libpcap can read: %s", path,
			 pcap_err);
		return -EINVAL;
	}
	/*
	 * pcap_datalink() answers in DLT_ values, which equal the file's
	 * LINKTYPE_ values but for raw IP: LINKTYPE_RAW (101) is DLT_RAW, 12
	 * on Linux (14 on OpenBSD).
	 */
	ci->link_type = pcap_datalink(p);
	if (ci->link_type == DLT_RAW || ci->link_type == 12 || ci->link_type == 14)
		ci->link_type = DPP_LINK_RAW;
	ci->snaplen = (uint32_t)pcap_snapshot(p);
	pcap_close(p);
	if (!dpp_link_type_supported(ci->link_type)) {
		const char *name = pcap_datalink_val_to_name(ci->link_type);

		snprintf(err, errlen,
			 "rx_pcap=%s: link type %d (%s) is not supported (Ethernet, Linux cooked "
			 "v1/v2, raw IP, BSD loopback are)",
			 path, ci->link_type, name != NULL ? name : "unknown");
		return -ENOTSUP;
	}

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "rx_pcap=%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	ci->size = (uint64_t)st.st_size;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "rx_pcap=%s: cannot map: %s", path, strerror(errno));
		return -errno;
	}
	(void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
	memcpy(&magic, m, 4); /* libpcap opened it: at least a file header is there */
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS)
		walk_pcap(m, (size_t)st.st_size, false, ci);
	else if (magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		 magic == __builtin_bswap32(PCAP_MAGIC_NS))
		walk_pcap(m, (size_t)st.st_size, true, ci);
	else
		walk_pcapng(m, (size_t)st.st_size, ci);
	munmap(m, (size_t)st.st_size);
	ci->counted = true;
	return 0;
}

/*
 * The value of every "rx_pcap=" in a vdev argument string, in order (the
 * order net_pcap gives its queues). Returns how many were found.
 */
unsigned int dpp_capture_paths(const char *devargs, char paths[][PATH_MAX], unsigned int max)
{
	unsigned int n = 0;
	const char *p = devargs;

	while (p != NULL && *p != '\0' && n < max) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > 8 && strncmp(p, "rx_pcap=", 8) == 0 && len - 8 < PATH_MAX) {
			memcpy(paths[n], p + 8, len - 8);
			paths[n][len - 8] = '\0';
			n++;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return n;
}

int dpp_captures_check(int argc, char **argv, char *err, size_t errlen)
{
	char paths[DPP_MAX_QUEUES_PER_LCORE][PATH_MAX];

	for (int i = 1; i < argc; i++) {
		const char *vdev = NULL;
		struct dpp_capture_info ci;
		unsigned int n;
		int rc;

		if (strcmp(argv[i], "--vdev") == 0 && i + 1 < argc)
			vdev = argv[++i];
		else if (strncmp(argv[i], "--vdev=", 7) == 0)
			vdev = argv[i] + 7;
		if (vdev == NULL || strncmp(vdev, "net_pcap", 8) != 0)
			continue;
		n = dpp_capture_paths(strchr(vdev, ',') != NULL ? strchr(vdev, ',') + 1 : "", paths,
				      RTE_DIM(paths));
		for (unsigned int k = 0; k < n; k++) {
			rc = dpp_capture_inspect(paths[k], &ci, err, errlen);
			if (rc != 0)
				return rc;
			if (nb_checked < RTE_DIM(checked) && dpp_capture_find(ci.path) == NULL)
				checked[nb_checked++] = ci;
			if (ci.stop_offset != 0)
				fprintf(stderr,
					"dpprobe: warning: rx_pcap=%s: %s at byte "
					"%" PRIu64 " of %" PRIu64 "; the %" PRIu64
					" complete records before it are read\n",
					ci.path, ci.stop_why, ci.stop_offset, ci.size, ci.records);
		}
	}
	return 0;
}

void dpp_captures_free(void)
{
	for (unsigned int i = 0; i < nb_checked; i++) {
		free(checked[i].big);
		checked[i].big = NULL;
		checked[i].nb_big = 0;
	}
	nb_checked = 0;
}
