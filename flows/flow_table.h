/*
 * flow_table.h - one worker's bidirectional flow table.
 *
 * Every flow slot comes from one array allocated at start (flows/pool in
 * flow_table_new) and sized from the configuration; when the pool is full
 * the least recently active flow is ended ("evicted") and its slot reused.
 * Nothing is allocated per packet.  The table tracks TCP state the way Zeek
 * does (conn_state, history), reassembles TCP streams, runs nDPI until it
 * decides, probes and feeds dissectors, and emits a flow event when a flow
 * ends.  One table per worker thread; no locks.
 */
#ifndef SPANLOG_FLOW_TABLE_H
#define SPANLOG_FLOW_TABLE_H

#include <stdint.h>

#include "decode.h"

struct config;
struct flow_table;

struct flow_table_stats {
	uint64_t packets, bytes;
	uint64_t not_ip, decode_errors;
	uint64_t flows_active, flows_active_peak, flows_total, flows_ended, flows_evicted;
	uint64_t ndpi_active, ndpi_pool_exhausted;
	uint64_t reasm_mem, reasm_mem_peak, reasm_drops, reasm_gaps;
	uint64_t events[EV__COUNT];	/* events this table emitted */
	uint64_t anomalies[ANOM__COUNT];
};

/*
 * Allocates a table for 'max_flows' flows (this worker's share) and its
 * reassembly pool.  'worker' numbers the table (0..n-1).  NULL with a
 * message in err on failure.
 */
struct flow_table *flow_table_new(const struct config *cfg, uint32_t max_flows,
    size_t reasm_memcap, int worker, char *err, size_t errlen);

/* Ends every flow (reason: shutdown), emitting its events, then frees. */
void flow_table_free(struct flow_table *ft);

/* Processes one decoded packet (DECODE_OK, or a reassembled datagram). */
void flow_table_packet(struct flow_table *ft, const struct pkt *p);

/*
 * Ends flows idle past their timeout as of capture time 'now_us'.  Called
 * regularly by the worker (cheap when nothing is due).
 */
void flow_table_expire(struct flow_table *ft, uint64_t now_us);

/* Ends every flow now (end of capture / signal). */
void flow_table_flush(struct flow_table *ft, uint64_t now_us);

/* Emits an anomaly that belongs to no flow (decode errors). */
void flow_table_anomaly(struct flow_table *ft, const struct pkt *p,
    enum anomaly_code code, const char *layer, const char *detail);

/* Counts a frame that was not decoded into a flow (ARP, errors). */
void flow_table_count_frame(struct flow_table *ft, const struct pkt *p,
    enum decode_result r);

void flow_table_get_stats(const struct flow_table *ft,
    struct flow_table_stats *s);

/* 64-bit mixing hash used for flow ids, event ids and worker dispatch. */
uint64_t flow_hash64(const void *p, size_t n, uint64_t seed);

/* Symmetric hash of a packet's flow (both directions give the same value). */
uint64_t flow_key_hash_sym(const struct flow_key *k);

/*
 * Symmetric hash of a packet's two addresses only (ports and protocol
 * ignored): the offline reader dispatches by it, so every conversation
 * between two hosts lands on one worker, and per-host-pair state in ot/
 * (alert aggregation, baseline edges, silence) sees it in order.
 */
uint64_t flow_key_hash_pair(const struct flow_key *k);

#endif
