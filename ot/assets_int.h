/*
 * assets_int.h - private to ot/assets.c and ot/assets_state.c: the tables
 * of the asset inventory, their lock and the helpers both files use.
 * Nothing outside ot/assets*.c includes it.
 *
 * Two tables, both fixed (ASSETS_MAX entries each), entries never removed
 * during a run (only assets_reset() empties them):
 *
 *   struct asset_ip   one per address: every fact observed for it (roles,
 *                     ports served, units, DNP3 addresses, identity,
 *                     first/last seen) and the MACs it was seen with;
 *   struct asset_mac  one per MAC: first/last seen, how many distinct
 *                     addresses it was seen with, and (while that is at
 *                     most ASSETS_GATEWAY_IPS) which.
 *
 * Records (struct ev_asset) are composed from them when asked for (flush,
 * list, get), never stored: see "Composition" in assets.c.  Every list in
 * an entry keeps the smallest values (sorted), so what an entry holds is a
 * function of the set of observations, not of their order.
 *
 * Locking: every function here expects assets_lock held, unless it says
 * otherwise.
 */
#ifndef SPANLOG_OT_ASSETS_INT_H
#define SPANLOG_OT_ASSETS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "assets.h"

#define ASSETS_IP_MACS 4		/* MACs remembered per address */
#define ASSETS_IP_INDEX (ASSETS_MAX * 4)	/* power of two */
#define ASSETS_MAC_INDEX (ASSETS_MAX * 2)	/* power of two */
/*
 * Addresses first seen with no MAC or behind a known gateway may fill
 * only this much of the address table: a scan through a router cannot
 * push out the devices of the local segment.
 */
#define ASSETS_ROUTED_MAX (ASSETS_MAX / 4 * 3)
#define ASSETS_APP_LEN 32	/* longest app name read back, with its NUL */

/* Identity parts, the order of asset_ip.id[]. */
enum asset_id_part {
	ASSET_PART_VENDOR,
	ASSET_PART_PRODUCT,
	ASSET_PART_REVISION,
	ASSET_PART__COUNT,
};

/* One identity part: the value of the latest answer that gave it. */
struct asset_id_field {
	char v[EV_ASSET_STR];		/* "" = never given */
	uint64_t ts;			/* capture time of that answer */
};

struct asset_ip {
	uint8_t family;			/* 4 or 6 */
	uint8_t ip[16];
	bool dirty;			/* seen since the last flush */
	uint8_t nmacs;
	int32_t mac[ASSETS_IP_MACS];	/* indexes into assets_tab.macs */
	uint64_t first_us, last_us;
	uint32_t roles;			/* enum asset_role bits */
	uint8_t nserved;		/* sorted by (proto, port), smallest kept */
	struct ev_asset_served served[EV_ASSET_MAX_SERVED];
	uint8_t nunits;			/* sorted, smallest kept */
	uint8_t units[EV_ASSET_MAX_UNITS];
	uint8_t ndnp3;			/* sorted, smallest kept */
	uint16_t dnp3[EV_ASSET_MAX_DNP3];
	bool has_identity;
	struct asset_id_field id[ASSET_PART__COUNT];
	uint8_t id_source;		/* of the latest answer (ties: higher) */
	char zone[32];			/* zone when first seen (or read back) */
};

struct asset_mac {
	uint8_t mac[6];
	bool dirty;
	uint32_t nlinks;		/* distinct addresses seen with it */
	int32_t ip[ASSETS_GATEWAY_IPS];	/* valid while nlinks <= that */
	uint64_t first_us, last_us;
};

struct assets_table {
	struct asset_ip ips[ASSETS_MAX];
	struct asset_mac macs[ASSETS_MAX];
	int32_t nip, nmac;
	int32_t ip_index[ASSETS_IP_INDEX];	/* ips index + 1; 0 = empty */
	int32_t mac_index[ASSETS_MAC_INDEX];	/* macs index + 1; 0 = empty */
	uint64_t dropped;	/* observations lost to a full table or list */
};

extern pthread_mutex_t assets_lock;
extern struct assets_table assets_tab;

/* Names of the role bits, in bit order. */
extern const char *const assets_role_names[ASSET_ROLE__COUNT];

/* asset_id of a device keyed by MAC / of a routed address (<< 1). */
uint64_t assets_mac_key(const uint8_t mac[6]);
uint64_t assets_ip_key(int family, const uint8_t ip[16]);

struct asset_ip *assets_ip_find(int family, const uint8_t ip[16]);
struct asset_mac *assets_mac_find(const uint8_t mac[6]);

/*
 * A new, empty entry (first = last = ts, not dirty), or NULL when the
 * table is full (counted in assets_tab.dropped).
 */
struct asset_ip *assets_ip_new(int family, const uint8_t ip[16], uint64_t ts);
struct asset_mac *assets_mac_new(const uint8_t mac[6], uint64_t ts);

/*
 * Records that e was seen with m (once per pair).  When e already has
 * ASSETS_IP_MACS MACs the link is dropped and counted.
 */
void assets_link(struct asset_ip *e, struct asset_mac *m);

/* Forgets every MAC of e (reading a state line that replaces it). */
void assets_unlink_all(struct asset_ip *e);

/* A MAC seen with more than ASSETS_GATEWAY_IPS addresses. */
bool assets_mac_is_gateway(const struct asset_mac *m);

/*
 * The MAC index of the device that holds e, or -1 when e is a routed
 * record of its own.  See "Composition" in assets.c.
 */
int32_t assets_owner(const struct asset_ip *e);

/*
 * The record of MAC m (a device with the addresses it holds, or a
 * gateway), and the routed record of address e.  Lists sorted, zone of
 * the lowest address, reason "inventory", header zeroed but for type and
 * ts (= last seen).
 */
void assets_compose_mac(int32_t m, struct ev_asset *out);
void assets_compose_ip(const struct asset_ip *e, struct ev_asset *out);

/* The record holding e (its owner's, or its own when routed). */
void assets_compose_of(const struct asset_ip *e, struct ev_asset *out);

/*
 * served[].app names are interned here (lock held): one copy per distinct
 * name, in a pool that only grows (assets_reset() keeps it: records
 * already handed to out_emit() may point into it), because the names
 * events carry (nDPI's) die with the flow table that gave them.  NULL
 * when the pool is full (the port stays, without its app; counted).
 */
#define ASSETS_APP_POOL 512
const char *assets_app_intern(const char *name);

/* Insertion into the sorted lists of an entry: false if not kept. */
bool assets_add_served(struct asset_ip *e, uint8_t proto, uint16_t port,
    const char *app);
bool assets_add_unit(struct asset_ip *e, uint8_t unit);
bool assets_add_dnp3(struct asset_ip *e, uint16_t addr);

/*
 * Merges one identity part given by an answer at capture time ts:
 * the later answer wins, equal times the greater string.  true if the
 * stored value changed.
 */
bool assets_id_merge(struct asset_id_field *f, const char *v, uint64_t ts);

/* The latest time any identity part was given (0 if none). */
uint64_t assets_id_ts(const struct asset_ip *e);

/*
 * One row per record, in assets_list() order: the MAC index (>= 0) or
 * -(address index) - 1 for a routed address.  Fills rows (2 * ASSETS_MAX
 * elements) and returns how many.
 */
size_t assets_sorted(int32_t *rows);

#endif
