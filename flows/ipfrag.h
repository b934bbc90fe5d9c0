/*
 * ipfrag.h - IPv4 and IPv6 fragment reassembly with a memory cap.
 *
 * One context per thread that decodes packets.  All memory comes from a
 * budget fixed at creation (memcap); a datagram that would exceed it, or the
 * maximum datagram size (65535 + header), is dropped and counted.
 * Overlaps: first copy wins; overlapping with different bytes is reported.
 */
#ifndef SPANLOG_IPFRAG_H
#define SPANLOG_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct ipfrag_ctx;

struct ipfrag_stats {
	uint64_t reassembled;	/* datagrams completed */
	uint64_t dropped;	/* datagrams abandoned (timeout, memcap, too large) */
	uint64_t timeouts;
	uint64_t overlaps;
	uint64_t mem;		/* bytes held now */
	uint64_t mem_peak;
};

/* Allocates the context and its whole budget.  NULL on allocation failure. */
struct ipfrag_ctx *ipfrag_new(size_t memcap, uint64_t timeout_us);
void ipfrag_free(struct ipfrag_ctx *c);

enum ipfrag_result {
	IPFRAG_HELD,		/* stored; datagram not complete yet */
	IPFRAG_DONE,		/* *out and *outlen hold the whole datagram */
	IPFRAG_DROPPED,		/* refused: *anom says why */
};

/*
 * Adds fragment 'p' (decode_packet() returned DECODE_FRAGMENT).  Copies the
 * bytes it keeps.  On IPFRAG_DONE, *out points at a complete IP datagram
 * (header rewritten: IPv4 MF/offset cleared and total length/checksum set;
 * IPv6 Fragment header removed, Next Header and Payload Length fixed) owned
 * by the context and valid until the next call.  *anom is set for
 * IPFRAG_DROPPED and also for IPFRAG_HELD/DONE when an overlap with
 * different bytes was seen (ANOM_FRAG_OVERLAP), else left ANOM__COUNT.
 */
enum ipfrag_result ipfrag_add(struct ipfrag_ctx *c, const struct pkt *p,
    const uint8_t **out, size_t *outlen, enum anomaly_code *anom);

/*
 * After IPFRAG_DONE: how many fragment frames made the datagram and their
 * wire lengths summed (so flow records count every frame on the wire).
 */
void ipfrag_last_frames(const struct ipfrag_ctx *c, uint32_t *frames,
    uint64_t *wirelen);

/* Drops datagrams whose first fragment is older than the timeout. */
void ipfrag_expire(struct ipfrag_ctx *c, uint64_t now_us);

void ipfrag_get_stats(const struct ipfrag_ctx *c, struct ipfrag_stats *s);

#endif
