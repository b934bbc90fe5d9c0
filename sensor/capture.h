/*
 * capture.h - packets in, from pcap/pcapng files or a live interface.
 * The only module that knows <pcap.h>.
 *
 * Offline: every file named by -r (a file, "-" for stdin, or a directory
 * walked recursively) is opened at once and packets are merged by timestamp,
 * so the files read as ONE capture.  Live: one handle per worker, joined in
 * a PACKET_FANOUT group (hash mode) so each worker sees whole flows.
 */
#ifndef SPANLOG_CAPTURE_H
#define SPANLOG_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct capture;

/* One packet, borrowed from the capture until the next capture_next(). */
struct cap_pkt {
	uint64_t ts_us;
	const uint8_t *data;
	uint32_t caplen, wirelen;
	int linktype;
};

enum cap_status { CAP_OK, CAP_EOF, CAP_ERROR, CAP_TIMEOUT };

/*
 * Opens every path (files, "-", directories) for merged reading.
 * Returns NULL with a one-line message in err ("FILE: reason").
 */
struct capture *capture_open_offline(const char *const *paths, int npaths,
    uint32_t snaplen, char *err, size_t errlen);

/*
 * Opens live handle number 'index' of 'count' on cfg->iface, promiscuous,
 * with cfg->snaplen, cfg->buffer_mb and cfg->bpf.  With count > 1 the
 * handles join one PACKET_FANOUT hash group ('group' id).  Never transmits.
 */
struct capture *capture_open_live(const struct config *cfg, int index,
    int count, uint16_t group, char *err, size_t errlen);

/*
 * Next packet (offline: the earliest of all files).  CAP_TIMEOUT (live) means
 * no packet within the read timeout; call again.  On CAP_ERROR, err holds
 * "FILE: reason at byte offset N".
 */
enum cap_status capture_next(struct capture *c, struct cap_pkt *pkt,
    char *err, size_t errlen);

/*
 * Checks every opened source's link type with ok(); -1 with
 * "PATH: unsupported link type N (NAME)" in err for the first refused one.
 * (A pcapng interface added later in a file is checked as packets come.)
 */
int capture_check_links(const struct capture *c, bool (*ok)(int linktype),
    char *err, size_t errlen);

/* Offline progress: bytes consumed so far and total (0 if unknown, e.g. stdin). */
void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total);

/* Live drop counters (pcap_stats); 0 for offline.  -1 if unavailable. */
int capture_stats(struct capture *c, uint64_t *recv, uint64_t *drop,
    uint64_t *ifdrop);

/* Makes a blocking capture_next() return CAP_EOF soon (signal handler safe). */
void capture_break(struct capture *c);

void capture_close(struct capture *c);

#endif
