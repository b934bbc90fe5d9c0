/*
 * assets.c - the asset inventory (see assets.h): observation, composition
 * of records, identity, flush and lookups.  State lines, listing and
 * printing are in assets_state.c; the tables in assets_int.h.
 *
 * clang-format off
 *
 *   out_emit(ev_flow | ev_modbus | ev_dnp3 | ev_http | ev_dns | ev_smtp)
 *     -> assets_observe(): for each end, the address entry (and the MAC
 *        entry, and the link between them); facts go to the ADDRESS:
 *        roles, ports served, unit ids, DNP3 addresses, identity (Modbus
 *        FC 43/14, DNP3 g0 attributes)
 *       -> out_emit(ev_asset)   new address / identity changed (realtime)
 *       -> alerts_raise()       ot.asset.firmware_changed,
 *                               ot.asset.identity_changed
 *   assets_flush() / assets_list() / assets_get()
 *     -> composition: records from the two tables (below)
 *
 * clang-format on
 *
 * Order independence.  With several workers the same events reach this
 * file in any interleaving, so nothing stored may depend on their order:
 *   - facts are kept per address and per MAC, merged by set operations:
 *     roles OR-ed, lists sorted with the smallest values kept when full
 *     (a value pushed out can never come back: the ones that pushed it
 *     out stay), a served port's app name the smallest (strcmp) of the
 *     names seen for it, first/last seen min/max;
 *   - an identity part (vendor, product, revision) is the one of the
 *     answer with the latest capture time (equal times: the greater
 *     string); id_source is the protocol of the latest answer (equal
 *     times: the higher enum value);
 *   - which address belongs to which device is decided only when a
 *     record is composed (Composition), from the links, never when an
 *     event arrives.
 * Order still matters when a table is full (what is dropped is what came
 * last; counted in assets_tab.dropped, see assets_dropped()), for an
 * address seen with more than ASSETS_IP_MACS MACs (later ones are not
 * linked; counted), for realtime "new"/"identity" records and for the
 * alerts, which are raised as answers arrive.
 *
 * Composition.  A MAC seen with more than ASSETS_GATEWAY_IPS distinct
 * addresses is a gateway (a router, or a host with many aliases).  Each
 * address belongs to one record:
 *   - to the device of a non-gateway MAC it was seen with; if several,
 *     the one with the fewest addresses, then the lowest MAC (a host
 *     seen with its own MAC and, on a SPAN of both router ports, with the
 *     router's, is the host's);
 *   - otherwise it is a "routed" record of its own, keyed by IP, with its
 *     own facts.
 * A device record (keyed by MAC) has the addresses that belong to it, the
 * union of their facts, first/last over them (the MAC's own when it has
 * none).  A gateway record has the MAC, its vendor, role "gateway",
 * first/last of every frame with that MAC, and no address: from events
 * alone (no ARP, no TTL, no prefix lengths) a router's own interface
 * address cannot be told from the addresses it forwards for, so the
 * router's own address, and what it serves (DNS on the router, say), is a
 * routed record like every other address behind it.
 *
 * Roles: Modbus client/server and DNP3 master/outstation from transactions
 * (the sender of a request is the client/master); HTTP/DNS/SMTP client and
 * server from the flow orientation of those events; engineering
 * workstation when a client sent a request whose rule class is a
 * programming one (eng_class_is_programming: download, upload, firmware,
 * start, stop).  Ports served: TCP ports that sent payload back and UDP
 * ports that answered, with the dissector's or nDPI's protocol name.
 *
 * Ids: asset_id = hash of the key (MAC, or IP when routed) >> 1; a
 * realtime record's event_id = flow_hash64(source event_id, constant +
 * record number in that event); an inventory record's from asset_id and
 * last seen.
 *
 * Locking: one mutex (assets_lock) over both tables; records and alerts
 * are built under it and emitted after the unlock, so out_emit() (and
 * alerts_raise(), which asks assets_vendor()) never runs under the lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../flows/flow_table.h"
#include "alerts.h"
#include "assets_int.h"
#include "eng_cmds.h"
#include "oui.h"
#include "zones.h"

#define ASSETS_SEED_KEY 0x61736b6579ULL		/* "askey" */
#define ASSETS_SEED_EV 0x61736576ULL		/* "asev" */
#define ASSETS_PENDING 4	/* records one event can produce */

/* What one observed event leads to, emitted after the unlock. */
struct assets_out {
	int nrec;
	struct ev_asset rec[ASSETS_PENDING];
	int nalert;
	struct alert_in alert[2];
};

pthread_mutex_t assets_lock = PTHREAD_MUTEX_INITIALIZER;
struct assets_table assets_tab;
static bool realtime;		/* records as things happen, not only at flush */

void assets_set_realtime(bool on)
{
	realtime = on;
}

const char *const assets_role_names[ASSET_ROLE__COUNT] = {
	"modbus_client", "modbus_server", "dnp3_master", "dnp3_outstation",
	"http_client", "http_server", "dns_client", "dns_server",
	"smtp_client", "smtp_server", "engineering_workstation", "gateway",
};

const char *asset_role_name(uint32_t bit)
{
	for (unsigned i = 0; i < ASSET_ROLE__COUNT; i++)
		if (bit == 1u << i)
			return assets_role_names[i];
	return NULL;
}

static const char *const id_source_names[ASSET_ID__COUNT] = {
	[ASSET_ID_MODBUS] = "modbus",
	[ASSET_ID_DNP3] = "dnp3",
};

const char *asset_id_source_name(uint8_t src)
{
	return src < ASSET_ID__COUNT ? id_source_names[src] : NULL;
}

/* ------------------------------------------------------------------------
 * Tables and indexes (lock held)
 * --------------------------------------------------------------------- */

uint64_t assets_mac_key(const uint8_t mac[6])
{
	uint8_t k[7] = { 'm' };

	memcpy(k + 1, mac, 6);
	return flow_hash64(k, sizeof(k), ASSETS_SEED_KEY);
}

uint64_t assets_ip_key(int family, const uint8_t ip[16])
{
	uint8_t k[17];

	k[0] = (uint8_t)family;
	memcpy(k + 1, ip, 16);
	return flow_hash64(k, sizeof(k), ASSETS_SEED_KEY);
}

/* The index slot of ip: its own, or the empty one where it would go. */
static int32_t *ip_slot(int family, const uint8_t ip[16])
{
	uint64_t h = assets_ip_key(family, ip);

	for (unsigned j = 0; j < ASSETS_IP_INDEX; j++) {
		int32_t *v = &assets_tab.ip_index[(h + j) &
		    (ASSETS_IP_INDEX - 1)];
		const struct asset_ip *e;

		if (*v == 0)
			return v;
		e = &assets_tab.ips[*v - 1];
		if (e->family == family && memcmp(e->ip, ip, 16) == 0)
			return v;
	}
	return NULL;	/* never: the index has 4 slots per entry */
}

static int32_t *mac_slot(const uint8_t mac[6])
{
	uint64_t h = assets_mac_key(mac);

	for (unsigned j = 0; j < ASSETS_MAC_INDEX; j++) {
		int32_t *v = &assets_tab.mac_index[(h + j) &
		    (ASSETS_MAC_INDEX - 1)];

		if (*v == 0 || memcmp(assets_tab.macs[*v - 1].mac, mac, 6) == 0)
			return v;
	}
	return NULL;
}

struct asset_ip *assets_ip_find(int family, const uint8_t ip[16])
{
	int32_t *v = ip_slot(family, ip);

	return v && *v ? &assets_tab.ips[*v - 1] : NULL;
}

struct asset_mac *assets_mac_find(const uint8_t mac[6])
{
	int32_t *v = mac_slot(mac);

	return v && *v ? &assets_tab.macs[*v - 1] : NULL;
}

struct asset_ip *assets_ip_new(int family, const uint8_t ip[16], uint64_t ts)
{
	int32_t *v = ip_slot(family, ip);
	struct asset_ip *e;

	if (v == NULL || *v || assets_tab.nip == ASSETS_MAX) {
		assets_tab.dropped++;
		return NULL;
	}
	e = &assets_tab.ips[assets_tab.nip];
	memset(e, 0, sizeof(*e));
	e->family = (uint8_t)family;
	memcpy(e->ip, ip, 16);
	e->first_us = e->last_us = ts;
	*v = ++assets_tab.nip;
	return e;
}

struct asset_mac *assets_mac_new(const uint8_t mac[6], uint64_t ts)
{
	int32_t *v = mac_slot(mac);
	struct asset_mac *m;

	if (v == NULL || *v || assets_tab.nmac == ASSETS_MAX) {
		assets_tab.dropped++;
		return NULL;
	}
	m = &assets_tab.macs[assets_tab.nmac];
	memset(m, 0, sizeof(*m));
	memcpy(m->mac, mac, 6);
	m->first_us = m->last_us = ts;
	*v = ++assets_tab.nmac;
	return m;
}

void assets_link(struct asset_ip *e, struct asset_mac *m)
{
	int32_t mi = (int32_t)(m - assets_tab.macs);

	for (unsigned i = 0; i < e->nmacs; i++)
		if (e->mac[i] == mi)
			return;
	if (e->nmacs == ASSETS_IP_MACS) {
		assets_tab.dropped++;
		return;
	}
	e->mac[e->nmacs++] = mi;
	if (m->nlinks < ASSETS_GATEWAY_IPS)
		m->ip[m->nlinks] = (int32_t)(e - assets_tab.ips);
	if (m->nlinks < UINT32_MAX)
		m->nlinks++;
}

/* Rebuilds m's address list from the links (after one was removed). */
static void mac_relist(struct asset_mac *m)
{
	int32_t mi = (int32_t)(m - assets_tab.macs);
	uint32_t n = 0;

	for (int32_t i = 0; i < assets_tab.nip; i++) {
		const struct asset_ip *e = &assets_tab.ips[i];

		for (unsigned j = 0; j < e->nmacs; j++)
			if (e->mac[j] == mi) {
				if (n < ASSETS_GATEWAY_IPS)
					m->ip[n] = i;
				n++;
			}
	}
	m->nlinks = n;
}

void assets_unlink_all(struct asset_ip *e)
{
	uint8_t n = e->nmacs;

	e->nmacs = 0;
	for (unsigned i = 0; i < n; i++)
		mac_relist(&assets_tab.macs[e->mac[i]]);
}

bool assets_mac_is_gateway(const struct asset_mac *m)
{
	return m->nlinks > ASSETS_GATEWAY_IPS;
}

int32_t assets_owner(const struct asset_ip *e)
{
	int32_t best = -1;

	for (unsigned i = 0; i < e->nmacs; i++) {
		const struct asset_mac *m = &assets_tab.macs[e->mac[i]];
		const struct asset_mac *b;

		if (assets_mac_is_gateway(m))
			continue;
		b = best >= 0 ? &assets_tab.macs[best] : NULL;
		if (b == NULL || m->nlinks < b->nlinks ||
		    (m->nlinks == b->nlinks && memcmp(m->mac, b->mac, 6) < 0))
			best = e->mac[i];
	}
	return best;
}

/* ------------------------------------------------------------------------
 * Sorted lists, smallest kept (one helper per element type)
 * --------------------------------------------------------------------- */

/* 1 inserted, 0 already there (app merged), -1 not kept (full). */
static int served_put(struct ev_asset_served *s, uint8_t *n, uint8_t proto,
    uint16_t port, const char *app)
{
	uint32_t key = (uint32_t)proto << 16 | port;
	unsigned i;

	for (i = 0; i < *n; i++) {
		uint32_t k = (uint32_t)s[i].proto << 16 | s[i].port;

		if (k == key) {
			if (app && (!s[i].app || strcmp(app, s[i].app) < 0))
				s[i].app = app;
			return 0;
		}
		if (k > key)
			break;
	}
	if (i == EV_ASSET_MAX_SERVED)
		return -1;
	if (*n == EV_ASSET_MAX_SERVED)
		(*n)--;		/* the largest goes */
	memmove(s + i + 1, s + i, (*n - i) * sizeof(*s));
	s[i].proto = proto;
	s[i].port = port;
	s[i].app = app;
	(*n)++;
	return 1;
}

static int u8_put(uint8_t *a, uint8_t *n, unsigned cap, uint8_t v)
{
	unsigned i;

	for (i = 0; i < *n && a[i] <= v; i++)
		if (a[i] == v)
			return 0;
	if (i == cap)
		return -1;
	if (*n == cap)
		(*n)--;
	memmove(a + i + 1, a + i, (*n - i) * sizeof(*a));
	a[i] = v;
	(*n)++;
	return 1;
}

static int u16_put(uint16_t *a, uint8_t *n, unsigned cap, uint16_t v)
{
	unsigned i;

	for (i = 0; i < *n && a[i] <= v; i++)
		if (a[i] == v)
			return 0;
	if (i == cap)
		return -1;
	if (*n == cap)
		(*n)--;
	memmove(a + i + 1, a + i, (*n - i) * sizeof(*a));
	a[i] = v;
	(*n)++;
	return 1;
}

static char app_pool[ASSETS_APP_POOL][ASSETS_APP_LEN];
static unsigned app_pool_used;

const char *assets_app_intern(const char *name)
{
	for (unsigned i = 0; i < app_pool_used; i++)
		if (strcmp(app_pool[i], name) == 0)
			return app_pool[i];
	if (app_pool_used == ASSETS_APP_POOL) {
		assets_tab.dropped++;
		return NULL;
	}
	snprintf(app_pool[app_pool_used], ASSETS_APP_LEN, "%s", name);
	return app_pool[app_pool_used++];
}

bool assets_add_served(struct asset_ip *e, uint8_t proto, uint16_t port,
    const char *app)
{
	int r = served_put(e->served, &e->nserved, proto, port, app);

	if (r < 0)
		assets_tab.dropped++;
	return r > 0;
}

bool assets_add_unit(struct asset_ip *e, uint8_t unit)
{
	int r = u8_put(e->units, &e->nunits, EV_ASSET_MAX_UNITS, unit);

	if (r < 0)
		assets_tab.dropped++;
	return r > 0;
}

bool assets_add_dnp3(struct asset_ip *e, uint16_t addr)
{
	int r = u16_put(e->dnp3, &e->ndnp3, EV_ASSET_MAX_DNP3, addr);

	if (r < 0)
		assets_tab.dropped++;
	return r > 0;
}

bool assets_id_merge(struct asset_id_field *f, const char *v, uint64_t ts)
{
	if (!v[0])
		return false;
	if (f->v[0] && (ts < f->ts || (ts == f->ts &&
	    strncmp(v, f->v, sizeof(f->v)) <= 0)))
		return false;
	f->ts = ts;
	if (strncmp(v, f->v, sizeof(f->v)) == 0)
		return false;
	snprintf(f->v, sizeof(f->v), "%s", v);
	return true;
}

uint64_t assets_id_ts(const struct asset_ip *e)
{
	uint64_t t = 0;

	for (unsigned k = 0; k < ASSET_PART__COUNT; k++)
		if (e->id[k].v[0] && e->id[k].ts > t)
			t = e->id[k].ts;
	return t;
}

/* ------------------------------------------------------------------------
 * Composition (lock held)
 * --------------------------------------------------------------------- */

/* Address order: family, then the bytes (IPv4 before IPv6). */
static int ip_cmp(int fa, const uint8_t *a, int fb, const uint8_t *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a, b, 16);
}

/* A record under construction: the part times that decide the merge. */
struct compose {
	struct ev_asset *r;
	struct asset_id_field id[ASSET_PART__COUNT];
	uint64_t src_ts;
	const struct asset_ip *lowest;	/* its zone names the record */
};

static void compose_init(struct compose *c, struct ev_asset *out,
    uint64_t key)
{
	memset(out, 0, sizeof(*out));
	memset(c, 0, sizeof(*c));
	c->r = out;
	out->h.type = EV_ASSET;
	out->asset_id = key >> 1;
	out->reason = ASSET_REASON_INVENTORY;
	out->first_us = UINT64_MAX;
}

/* Adds address e and its facts to the record. */
static void compose_add(struct compose *c, const struct asset_ip *e)
{
	struct ev_asset *r = c->r;
	unsigned i;
	uint64_t t;

	if (r->nips < EV_ASSET_MAX_IPS) {
		for (i = r->nips; i > 0 && ip_cmp(r->ip_family[i - 1],
		    r->ips[i - 1], e->family, e->ip) > 0; i--) {
			r->ip_family[i] = r->ip_family[i - 1];
			memcpy(r->ips[i], r->ips[i - 1], 16);
		}
		r->ip_family[i] = e->family;
		memcpy(r->ips[i], e->ip, 16);
		r->nips++;
	}
	if (!c->lowest || ip_cmp(e->family, e->ip, c->lowest->family,
	    c->lowest->ip) < 0)
		c->lowest = e;
	if (e->first_us < r->first_us)
		r->first_us = e->first_us;
	if (e->last_us > r->last_us)
		r->last_us = e->last_us;
	r->roles |= e->roles;
	for (i = 0; i < e->nserved; i++)
		(void)served_put(r->served, &r->nserved, e->served[i].proto,
		    e->served[i].port, e->served[i].app);
	for (i = 0; i < e->nunits; i++)
		(void)u8_put(r->units, &r->nunits, EV_ASSET_MAX_UNITS,
		    e->units[i]);
	for (i = 0; i < e->ndnp3; i++)
		(void)u16_put(r->dnp3_addrs, &r->ndnp3, EV_ASSET_MAX_DNP3,
		    e->dnp3[i]);
	if (!e->has_identity)
		return;
	r->has_identity = true;
	for (unsigned k = 0; k < ASSET_PART__COUNT; k++)
		(void)assets_id_merge(&c->id[k], e->id[k].v, e->id[k].ts);
	t = assets_id_ts(e);
	if (t > c->src_ts || (t == c->src_ts && e->id_source > r->id_source)) {
		c->src_ts = t;
		r->id_source = e->id_source;
	}
}

static void compose_done(struct compose *c)
{
	struct ev_asset *r = c->r;

	memcpy(r->id_vendor, c->id[ASSET_PART_VENDOR].v, EV_ASSET_STR);
	memcpy(r->id_product, c->id[ASSET_PART_PRODUCT].v, EV_ASSET_STR);
	memcpy(r->id_revision, c->id[ASSET_PART_REVISION].v, EV_ASSET_STR);
	if (c->lowest) {
		/* zones configured now first; else the one known (state) */
		const char *z = zones_name(zones_lookup(c->lowest->family,
		    c->lowest->ip));

		snprintf(r->zone, sizeof(r->zone), "%s", z[0] ? z :
		    c->lowest->zone);
	}
	if (r->first_us > r->last_us)
		r->first_us = r->last_us;
	r->h.ts_us = r->last_us;
}

void assets_compose_mac(int32_t mi, struct ev_asset *out)
{
	const struct asset_mac *m = &assets_tab.macs[mi];
	struct compose c;

	compose_init(&c, out, assets_mac_key(m->mac));
	out->has_mac = true;
	memcpy(out->mac, m->mac, 6);
	out->vendor = oui_vendor(m->mac);
	if (assets_mac_is_gateway(m)) {
		out->roles = ASSET_ROLE_GATEWAY;
	} else {
		for (uint32_t i = 0; i < m->nlinks; i++) {
			const struct asset_ip *e = &assets_tab.ips[m->ip[i]];

			if (assets_owner(e) == mi)
				compose_add(&c, e);
		}
	}
	if (out->nips == 0) {
		out->first_us = m->first_us;
		out->last_us = m->last_us;
	}
	compose_done(&c);
}

void assets_compose_ip(const struct asset_ip *e, struct ev_asset *out)
{
	struct compose c;

	compose_init(&c, out, assets_ip_key(e->family, e->ip));
	compose_add(&c, e);
	compose_done(&c);
}

void assets_compose_of(const struct asset_ip *e, struct ev_asset *out)
{
	int32_t mi = assets_owner(e);

	if (mi >= 0)
		assets_compose_mac(mi, out);
	else
		assets_compose_ip(e, out);
}

/* ------------------------------------------------------------------------
 * Observation (lock held)
 * --------------------------------------------------------------------- */

/* A realtime record of the record holding e (nothing when realtime off). */
static void record(struct assets_out *o, const struct asset_ip *e,
    const struct ev_hdr *src, uint8_t reason)
{
	struct ev_asset *r;

	if (!realtime || o->nrec == ASSETS_PENDING)
		return;
	r = &o->rec[o->nrec];
	assets_compose_of(e, r);
	r->h.ts_us = src->ts_us;
	r->h.event_id = flow_hash64(&src->event_id, sizeof(src->event_id),
	    ASSETS_SEED_EV + (uint64_t)o->nrec) >> 1;
	r->reason = reason;
	o->nrec++;
}

static bool eligible(int family, const uint8_t ip[16])
{
	return !zones_addr_is_public(family, ip) ||
	    zones_lookup(family, ip) != ZONE_NONE;
}

/*
 * The address entry of one end (ip, and its MAC if known), made if new
 * (a "new" record is queued), linked to its MAC, first/last updated.
 * NULL if not inventoried or the table is full.
 */
static struct asset_ip *end_of(struct assets_out *o, const struct ev_hdr *h,
    int family, const uint8_t ip[16], const uint8_t *mac)
{
	struct asset_ip *e = assets_ip_find(family, ip);
	struct asset_mac *m = mac ? assets_mac_find(mac) : NULL;
	bool fresh = false;

	if (!e) {
		bool routed = !mac || (m && assets_mac_is_gateway(m));

		if (!eligible(family, ip))
			return NULL;
		if (routed && assets_tab.nip >= ASSETS_ROUTED_MAX) {
			assets_tab.dropped++;
			return NULL;
		}
		e = assets_ip_new(family, ip, h->ts_us);
		if (!e)
			return NULL;
		snprintf(e->zone, sizeof(e->zone), "%s",
		    zones_name(zones_lookup(family, ip)));
		fresh = true;
	}
	if (h->ts_us < e->first_us)
		e->first_us = h->ts_us;
	if (h->ts_us > e->last_us)
		e->last_us = h->ts_us;
	e->dirty = true;
	if (mac && !m)
		m = assets_mac_new(mac, h->ts_us);
	if (m) {
		if (h->ts_us < m->first_us)
			m->first_us = h->ts_us;
		if (h->ts_us > m->last_us)
			m->last_us = h->ts_us;
		m->dirty = true;
		assets_link(e, m);
	}
	if (fresh)
		record(o, e, h, ASSET_REASON_NEW);
	return e;
}

/* The entry of the flow's client (side 0) or server (side 1). */
static struct asset_ip *side(struct assets_out *o, const struct ev_hdr *h,
    int s)
{
	const struct flow_key *k = &h->key;

	return end_of(o, h, k->family, s ? k->dst : k->src,
	    h->has_mac ? (s ? h->dst_mac : h->src_mac) : NULL);
}

static void add_role(struct asset_ip *e, uint32_t role)
{
	if (e)
		e->roles |= role;
}

/* ------------------------------------------------------------------------
 * Identity (Modbus FC 43/14, DNP3 group 0)
 * --------------------------------------------------------------------- */

/*
 * What one answer says about a device's identity.  An empty string means
 * "not in this answer" (DNP3 outstations often give one attribute per
 * READ), never "now empty": missing parts are merged, not compared.
 */
struct id_answer {
	uint8_t source;			/* enum asset_id_source */
	const char *protocol;		/* static, for the alert */
	uint16_t function;
	bool has_subfunction;
	int32_t subfunction;
	char part[ASSET_PART__COUNT][EV_ASSET_STR];	/* vendor, product, rev */
};

static void identity_alert(struct assets_out *o, const struct ev_hdr *h,
    bool client_is_src, bool firmware, const char *was, const char *now,
    const struct id_answer *ans)
{
	struct alert_in *in;

	if (o->nalert == 2)
		return;
	in = &o->alert[o->nalert++];
	memset(in, 0, sizeof(*in));
	/* {src} is the client that asked, {dst} the device that answered */
	in->family = h->key.family;
	memcpy(in->src, client_is_src ? h->key.src : h->key.dst, 16);
	memcpy(in->dst, client_is_src ? h->key.dst : h->key.src, 16);
	in->signature = firmware ? "ot.asset.firmware_changed" :
	    "ot.asset.identity_changed";
	in->category = "asset";
	in->severity = firmware ? 3 : 2;
	in->protocol = ans->protocol;
	in->has_function = true;
	in->function = ans->function;
	in->has_subfunction = ans->has_subfunction;
	in->subfunction = ans->subfunction;
	snprintf(in->detail, sizeof(in->detail), "%s \"%.40s\" -> \"%.40s\"",
	    firmware ? "revision" : "identity", was, now);
	snprintf(in->message, sizeof(in->message), "{dst} now reports %s "
	    "\"%.60s\" instead of \"%.60s\"%s (in its answer to {src}).",
	    firmware ? "revision" : "vendor/product", now, was,
	    firmware ? ": its firmware changed" : "");
}

/* A part of the answer that differs from a part already known. */
static bool id_differs(const char *now, const char *known)
{
	return now[0] && known[0] && strcmp(now, known) != 0;
}

/*
 * Merges one answer into the identity of the address that gave it
 * (Modbus and DNP3 alike).  Alerts compare with what is known when the
 * answer arrives: ot.asset.identity_changed when a known vendor or
 * product differs, ot.asset.firmware_changed when a known revision
 * differs.  What is kept follows the capture time (assets_id_merge), so
 * it does not depend on the order of arrival.  An "identity" record when
 * anything kept was added or changed.
 */
static void identity_merge(struct assets_out *o, const struct ev_hdr *h,
    bool client_is_src, struct asset_ip *dev, const struct id_answer *ans)
{
	struct asset_id_field *id = dev->id;
	const char *v = ans->part[ASSET_PART_VENDOR];
	const char *p = ans->part[ASSET_PART_PRODUCT];
	const char *rv = ans->part[ASSET_PART_REVISION];
	char was[2 * EV_ASSET_STR + 3], now[2 * EV_ASSET_STR + 3];
	bool changed = !dev->has_identity;
	uint64_t latest = assets_id_ts(dev);

	if (!v[0] && !p[0] && !rv[0])
		return;
	if (id_differs(v, id[ASSET_PART_VENDOR].v) ||
	    id_differs(p, id[ASSET_PART_PRODUCT].v)) {
		snprintf(was, sizeof(was), "%.63s %.63s", id[ASSET_PART_VENDOR].v,
		    id[ASSET_PART_PRODUCT].v);
		snprintf(now, sizeof(now), "%.63s %.63s", v[0] ? v :
		    id[ASSET_PART_VENDOR].v, p[0] ? p : id[ASSET_PART_PRODUCT].v);
		identity_alert(o, h, client_is_src, false, was, now, ans);
	}
	if (id_differs(rv, id[ASSET_PART_REVISION].v))
		identity_alert(o, h, client_is_src, true,
		    id[ASSET_PART_REVISION].v, rv, ans);
	for (unsigned k = 0; k < ASSET_PART__COUNT; k++)
		if (assets_id_merge(&id[k], ans->part[k], h->ts_us))
			changed = true;
	if (h->ts_us > latest || (h->ts_us == latest &&
	    ans->source > dev->id_source))
		dev->id_source = ans->source;
	dev->has_identity = true;
	if (changed)
		record(o, dev, h, ASSET_REASON_IDENTITY);
}

/* Modbus FC 43/14 Read Device Identification answer. */
static void identity_modbus(struct assets_out *o, const struct ev_modbus *e,
    bool client_is_src, struct asset_ip *dev)
{
	const struct ev_modbus_devid *d = &e->devid;
	struct id_answer ans;

	memset(&ans, 0, sizeof(ans));
	ans.source = ASSET_ID_MODBUS;
	ans.protocol = "modbus";
	ans.function = 0x2B;
	ans.has_subfunction = true;
	ans.subfunction = 0x0E;
	for (unsigned i = 0; i < d->nobjs && i < EV_MODBUS_MAX_DEVID_OBJS; i++) {
		const struct ev_modbus_devid_obj *ob = &d->objs[i];
		char *dst = NULL;

		/* 0 VendorName, 1 ProductCode, 2 MajorMinorRevision,
		 * 4 ProductName (Modbus App Protocol 6.21 table) */
		if (ob->id == 0)
			dst = ans.part[ASSET_PART_VENDOR];
		else if (ob->id == 1 || (ob->id == 4 &&
		    !ans.part[ASSET_PART_PRODUCT][0]))
			dst = ans.part[ASSET_PART_PRODUCT];
		else if (ob->id == 2)
			dst = ans.part[ASSET_PART_REVISION];
		if (dst)
			snprintf(dst, EV_ASSET_STR, "%s", ob->value);
	}
	identity_merge(o, &e->h, client_is_src, dev, &ans);
}

/*
 * DNP3 group 0 device attributes in an outstation's RESPONSE or
 * UNSOLICITED_RESPONSE (IEEE 1815-2012 A.1): g0v252 device manufacturer's
 * name -> vendor, g0v250 device manufacturer's product name and model ->
 * product, g0v242 device manufacturer's software version -> revision.
 * Only attribute set 0 (point index 0, the set the standard defines) is
 * read: other sets are private, their variation numbers mean what their
 * owner says.  g0v243 (hardware version) is not firmware and g0v249 (DNP
 * subset and conformance) is not a product name: neither is used.
 */
static void identity_dnp3(struct assets_out *o, const struct ev_dnp3 *e,
    bool master_is_src, struct asset_ip *dev)
{
	const struct dnp3_msg *m = &e->resp;
	unsigned nobj = m->nobjects < DNP3_EV_MAX_OBJECTS ? m->nobjects :
	    DNP3_EV_MAX_OBJECTS;
	unsigned npts = e->npoints < DNP3_EV_MAX_POINTS ? e->npoints :
	    DNP3_EV_MAX_POINTS;
	size_t pool = e->strpool_len < DNP3_EV_STRPOOL ? e->strpool_len :
	    DNP3_EV_STRPOOL;
	struct id_answer ans;

	if (!m->present || (m->func != 0x81 && m->func != 0x82))
		return;
	memset(&ans, 0, sizeof(ans));
	ans.source = ASSET_ID_DNP3;
	ans.protocol = "dnp3";
	ans.function = m->func;
	for (unsigned i = 0; i < nobj; i++) {
		const struct dnp3_object *ob = &m->objects[i];
		char *dst = NULL;

		if (ob->group != 0)
			continue;
		if (ob->variation == 252)
			dst = ans.part[ASSET_PART_VENDOR];
		else if (ob->variation == 250)
			dst = ans.part[ASSET_PART_PRODUCT];
		else if (ob->variation == 242)
			dst = ans.part[ASSET_PART_REVISION];
		else
			continue;
		for (unsigned j = 0; j < ob->point_count; j++) {
			unsigned k = (unsigned)ob->point_first + j;
			const struct dnp3_point *pt;
			size_t n;

			if (k >= npts)
				break;
			pt = &e->points[k];
			if (pt->index != 0 || pt->kind != DNP3_VAL_STR ||
			    pt->str_off >= pool || pt->str_len > pool - pt->str_off)
				continue;
			n = strnlen(e->strpool + pt->str_off, pt->str_len);
			if (n > EV_ASSET_STR - 1)
				n = EV_ASSET_STR - 1;
			memcpy(dst, e->strpool + pt->str_off, n);
			dst[n] = '\0';
		}
	}
	identity_merge(o, &e->h, master_is_src, dev, &ans);
}

/* ------------------------------------------------------------------------
 * Observers (lock held)
 * --------------------------------------------------------------------- */

static void obs_flow(struct assets_out *o, const struct ev_flow *f)
{
	const struct ev_hdr *h = &f->h;
	struct asset_ip *srv;
	bool answered;

	side(o, h, 0);
	if (h->key.proto == 6 && f->pkts[DIR_TO_CLIENT] == 0)
		return;	/* a SYN nobody answered proves no device there */
	srv = side(o, h, 1);
	/*
	 * The interim record (struct ev_flow) only makes its two devices
	 * known, with this flow's own MACs, so that the alerts it raises name
	 * them as the final record would; ports served come from the final.
	 */
	if (!srv || f->interim)
		return;
	answered = h->key.proto == 6 ? f->payload_bytes[DIR_TO_CLIENT] > 0 :
	    h->key.proto == 17 ? f->pkts[DIR_TO_CLIENT] > 0 : false;
	if (answered) {
		const char *app = h->app_proto ? h->app_proto : f->ndpi_proto;

		(void)assets_add_served(srv, h->key.proto, h->key.dport,
		    app ? assets_app_intern(app) : NULL);
	}
}

static void obs_modbus(struct assets_out *o, const struct ev_modbus *e)
{
	/* h.dir is the request's when there is one: its sender is the client */
	bool client_is_src = e->has_request ? e->h.dir == DIR_TO_SERVER :
	    e->h.dir == DIR_TO_CLIENT;
	struct asset_ip *c = side(o, &e->h, client_is_src ? 0 : 1);
	struct asset_ip *s = side(o, &e->h, client_is_src ? 1 : 0);
	const struct eng_rule *r[2];
	size_t n;

	add_role(c, ASSET_ROLE_MODBUS_CLIENT);
	add_role(s, ASSET_ROLE_MODBUS_SERVER);
	if (s && e->has_response)
		(void)assets_add_unit(s, e->unit);
	n = eng_classify_modbus(e, r, 2);
	for (size_t i = 0; i < n; i++)
		if (eng_class_is_programming(r[i]->cls))
			add_role(c, ASSET_ROLE_ENG_WORKSTATION);
	if (s && (e->fc & 0x7F) == 0x2B && e->has_devid &&
	    e->devid.has_response && !e->exception)
		identity_modbus(o, e, client_is_src, s);
}

static void obs_dnp3(struct assets_out *o, const struct ev_dnp3 *e)
{
	bool req = e->req.present;
	bool master_is_src = req ? e->h.dir == DIR_TO_SERVER :
	    e->h.dir == DIR_TO_CLIENT;
	struct asset_ip *m = side(o, &e->h, master_is_src ? 0 : 1);
	struct asset_ip *s = side(o, &e->h, master_is_src ? 1 : 0);
	const struct eng_rule *r[4];
	size_t n;

	add_role(m, ASSET_ROLE_DNP3_MASTER);
	add_role(s, ASSET_ROLE_DNP3_OUTSTATION);
	if (m)
		(void)assets_add_dnp3(m, req ? e->req.link_src :
		    e->resp.link_dst);
	if (s)
		(void)assets_add_dnp3(s, req ? e->req.link_dst :
		    e->resp.link_src);
	n = eng_classify_dnp3(e, r, 4);
	for (size_t i = 0; i < n; i++)
		if (eng_class_is_programming(r[i]->cls))
			add_role(m, ASSET_ROLE_ENG_WORKSTATION);
	if (s)
		identity_dnp3(o, e, master_is_src, s);
}

static void obs_app(struct assets_out *o, const struct ev_hdr *h,
    uint32_t client_role, uint32_t server_role)
{
	add_role(side(o, h, 0), client_role);
	add_role(side(o, h, 1), server_role);
}

void assets_observe(const struct ev_hdr *ev)
{
	struct assets_out o;

	if (!ev->has_key)
		return;
	switch (ev->type) {
	case EV_FLOW:
	case EV_MODBUS: case EV_DNP3:
	case EV_HTTP: case EV_DNS: case EV_SMTP:
		break;
	default:
		return;
	}
	o.nrec = o.nalert = 0;
	pthread_mutex_lock(&assets_lock);
	switch (ev->type) {
	case EV_FLOW:
		obs_flow(&o, (const struct ev_flow *)ev);
		break;
	case EV_MODBUS:
		obs_modbus(&o, (const struct ev_modbus *)ev);
		break;
	case EV_DNP3:
		obs_dnp3(&o, (const struct ev_dnp3 *)ev);
		break;
	case EV_HTTP:
		obs_app(&o, ev, ASSET_ROLE_HTTP_CLIENT, ASSET_ROLE_HTTP_SERVER);
		break;
	case EV_DNS:
		obs_app(&o, ev, ASSET_ROLE_DNS_CLIENT, ASSET_ROLE_DNS_SERVER);
		break;
	case EV_SMTP:
		obs_app(&o, ev, ASSET_ROLE_SMTP_CLIENT, ASSET_ROLE_SMTP_SERVER);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&assets_lock);
	for (int i = 0; i < o.nrec; i++)
		out_emit(&o.rec[i].h);
	for (int i = 0; i < o.nalert; i++)
		alerts_raise(ev, &o.alert[i]);
}

/* ------------------------------------------------------------------------
 * Flush, reset, lookups
 * --------------------------------------------------------------------- */

/*
 * Composes the record of row (assets_sorted) into out if any of its
 * entries was seen since the last flush, and marks them clean.  false
 * when there is nothing to write (lock held).
 */
static bool flush_row(int32_t row, struct ev_asset *out)
{
	bool dirty;

	if (row < 0) {
		struct asset_ip *e = &assets_tab.ips[-row - 1];

		if (-row - 1 >= assets_tab.nip || !e->dirty)
			return false;
		e->dirty = false;
		assets_compose_ip(e, out);
		return true;
	}
	if (row >= assets_tab.nmac)
		return false;
	{
		struct asset_mac *m = &assets_tab.macs[row];

		dirty = m->dirty;
		m->dirty = false;
		for (uint32_t i = 0; !assets_mac_is_gateway(m) &&
		    i < m->nlinks; i++) {
			struct asset_ip *e = &assets_tab.ips[m->ip[i]];

			if (assets_owner(e) == row) {
				dirty |= e->dirty;
				e->dirty = false;
			}
		}
		if (dirty)
			assets_compose_mac(row, out);
	}
	return dirty;
}

void assets_flush(void)
{
	static int32_t rows[2 * ASSETS_MAX];	/* under flush_lock */
	static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
	struct ev_asset r;
	size_t n;

	pthread_mutex_lock(&flush_lock);
	pthread_mutex_lock(&assets_lock);
	n = assets_sorted(rows);
	pthread_mutex_unlock(&assets_lock);
	for (size_t i = 0; i < n; i++) {
		bool found;

		pthread_mutex_lock(&assets_lock);
		found = flush_row(rows[i], &r);
		pthread_mutex_unlock(&assets_lock);
		if (!found)
			continue;
		r.h.event_id = flow_hash64(&r.asset_id, sizeof(r.asset_id),
		    ASSETS_SEED_EV ^ r.last_us) >> 1;
		out_emit(&r.h);
	}
	pthread_mutex_unlock(&flush_lock);
}

void assets_reset(void)
{
	pthread_mutex_lock(&assets_lock);
	memset(&assets_tab, 0, sizeof(assets_tab));
	pthread_mutex_unlock(&assets_lock);
}

uint64_t assets_dropped(void)
{
	uint64_t n;

	pthread_mutex_lock(&assets_lock);
	n = assets_tab.dropped;
	pthread_mutex_unlock(&assets_lock);
	return n;
}

const char *assets_vendor(int family, const uint8_t ip[16])
{
	const struct asset_ip *e;
	const char *v = NULL;
	int32_t mi;

	pthread_mutex_lock(&assets_lock);
	e = assets_ip_find(family, ip);
	if (e && (mi = assets_owner(e)) >= 0)
		v = oui_vendor(assets_tab.macs[mi].mac);
	pthread_mutex_unlock(&assets_lock);
	return v;
}

bool assets_is_ot_device(int family, const uint8_t ip[16])
{
	const struct asset_ip *e;
	struct ev_asset r;
	bool ot = false;

	pthread_mutex_lock(&assets_lock);
	e = assets_ip_find(family, ip);
	if (e) {
		assets_compose_of(e, &r);
		ot = (r.roles & (ASSET_ROLE_MODBUS_SERVER |
		    ASSET_ROLE_DNP3_OUTSTATION)) != 0;
	}
	pthread_mutex_unlock(&assets_lock);
	return ot;
}

int assets_get(int family, const uint8_t ip[16], struct ev_asset *out)
{
	const struct asset_ip *e;
	int rc = -1;

	pthread_mutex_lock(&assets_lock);
	e = assets_ip_find(family, ip);
	if (e) {
		assets_compose_of(e, out);
		rc = 0;
	}
	pthread_mutex_unlock(&assets_lock);
	return rc;
}
