/*
 * baseline_int.h - what ot/baseline.c (learning, alerts, silence) and
 * ot/baseline_ops.c (operators, printing, state lines) share.  Private to
 * those two files: everyone else uses baseline.h.
 *
 * Everything in bl_tab is guarded by bl_tab.lock; every function below
 * expects the caller to hold it, except the pure text helpers.
 */
#ifndef SPANLOG_OT_BASELINE_INT_H
#define SPANLOG_OT_BASELINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baseline.h"

#define BL_FILL(n) ((n) / 10 * 9)	/* at most 90% used */
#define BL_OT_EDGES 4096
#define BL_PEND 16
#define BL_WORKERS 256		/* CFG_WORKERS_MAX */
#define BL_DEFAULT_PERIOD (7ULL * 24 * 3600 * 1000000)

enum bl_fact_kind {
	BL_FACT_MODBUS_FC = 1,
	BL_FACT_DNP3_FC,
	BL_FACT_MODBUS_WRITE,	/* code: enum bl_table */
};

enum bl_table { BL_TABLE_COILS, BL_TABLE_HOLDING };

/* Which end of an edge is the "public" placeholder (address zeroed). */
enum bl_public { BL_PUB_NONE, BL_PUB_SERVER, BL_PUB_CLIENT };

enum bl_silence { BL_SILENT_NO, BL_SILENT_ANSWER, BL_SILENT_POLL };

struct bl_device {
	uint8_t used, status, family;
	uint16_t newdev;		/* held new-device alert + 1, or 0 */
	uint8_t ip[16];
	uint64_t first_us, last_us;
};

struct bl_edge {
	uint8_t used, status, family, proto;
	uint8_t pub;			/* enum bl_public */
	bool ot;			/* carries Modbus/DNP3: in ot_edges */
	bool irregular;			/* a gap over BASELINE_GAP_MAX */
	uint8_t silent;			/* enum bl_silence, reported */
	uint16_t port;
	uint8_t client[16], server[16];
	uint8_t peer[16];		/* public end: the first address seen */
	char app[16];
	uint64_t first_us, last_us, events;
	uint64_t last_req_us, last_resp_us, peak_us;
	uint32_t gaps;
};

struct bl_range {
	uint16_t lo, hi;
	uint8_t status;
};

struct bl_fact {
	uint8_t used, status, kind, code;
	uint16_t unit, master;
	uint32_t edge;
	uint8_t nranges;
	struct bl_range ranges[BASELINE_RANGES];
	uint64_t first_us, last_us, count;
};

struct bl_tab {
	pthread_mutex_t lock;
	uint64_t period_us;
	uint64_t learn_start_us, last_us;
	bool forced;
	uint64_t resume_us;		/* silence clocks start here */
	uint64_t last_tick_us;
	uint64_t full_drops;
	int nworkers;			/* silence checks: see edge_owner() */
	uint64_t wtick[BL_WORKERS];	/* last tick of each worker */
	uint32_t gen;			/* bumped by reset and state loads */
	uint32_t ndev, nedge, nfact, not;
	struct bl_device dev[BASELINE_DEVICES];
	struct bl_edge edge[BASELINE_EDGES];
	struct bl_fact fact[BASELINE_FACTS];
	uint32_t ot_edges[BL_OT_EDGES];
};

extern struct bl_tab bl_tab;


/* Text and addresses (no lock needed). */
int bl_alen(int family);
void bl_ip_text(int family, const uint8_t *ip, char *b, size_t n);
const char *bl_proto_text(uint8_t p, char *b, size_t n);
bool bl_has_ports(uint8_t p);
bool bl_known(uint8_t status);
void bl_fmt_dur(uint64_t us, char *b, size_t n);

/* Tables: index of the entry, or of the free slot (*found false); -1 full. */
long bl_dev_slot(int family, const uint8_t *ip, bool *found);
long bl_edge_slot(const struct bl_edge *k, bool *found);
long bl_fact_slot(uint32_t edge, uint8_t kind, uint16_t unit,
    uint16_t master, uint8_t code, bool *found);
uint64_t bl_edge_hash(const struct bl_edge *k);
void bl_ot_edge_add(uint32_t i);
/* Adds [lo, hi] with 'status', merging touching ranges of that status. */
void bl_range_add(struct bl_fact *f, uint16_t lo, uint16_t hi,
    uint8_t status);
bool bl_enforcing_at(uint64_t ts);
uint64_t bl_silence_threshold(const struct bl_edge *e);

#endif
