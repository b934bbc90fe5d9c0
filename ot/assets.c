/*
 * assets.c - the asset inventory (see assets.h).
 *
 * clang-format off
 *
 *   out_emit(ev_flow | ev_modbus | ev_dnp3 | ev_http | ev_dns | ev_smtp)
 *     -> assets_observe(): find or make the asset of each end, add roles,
 *        ports served, unit ids, DNP3 addresses, identity (Modbus
 *        FC 43/14, DNP3 g0 attributes)
 *       -> out_emit(ev_asset)   new device / identity changed
 *       -> alerts_raise()       ot.asset.firmware_changed,
 *                               ot.asset.identity_changed
 *
 * clang-format on
 *
 * Table: ASSETS_MAX entries, each a struct ev_asset plus a 'dirty' bit,
 * in one static array; an open-addressing index by key (MAC, or IP for
 * routed devices) and one by IP.  Entries are never removed during a run;
 * when the table is full new devices are not added (assets_dropped counts
 * them).  One mutex guards it; events to emit are copied out and emitted
 * after the unlock, so out_emit() (and alerts_raise(), which asks
 * assets_vendor()) never runs under the lock.
 *
 * Routed traffic: a MAC is first taken as one device.  When it has shown
 * more than ASSETS_GATEWAY_IPS addresses it gets the role "gateway", its
 * vendor is no longer given to its addresses, and further addresses behind
 * it become assets of their own keyed by IP ("routed", no MAC).  The first
 * addresses seen behind a router stay attached to the router's record:
 * a heuristic, stated here so nobody trusts it more than it deserves.
 *
 * Roles: Modbus client/server and DNP3 master/outstation from transactions
 * (the sender of a request is the client/master); HTTP/DNS/SMTP client and
 * server from the flow orientation of those events; engineering
 * workstation when a client sent a request whose rule class is a
 * programming one (eng_class_is_programming: download, upload, firmware,
 * start, stop).  Ports served: TCP ports that sent payload back and UDP
 * ports that answered, with the dissector's or nDPI's protocol name.
 *
 * Ids: asset_id = hash of the key; a record's event_id =
 * flow_hash64(source event_id, constant + record number in that event).
 *
 * State lines (assets_state_write/read, format in assets.h): written from
 * a copy of each entry taken under the lock; read into a local record
 * that is fully checked before the lock is taken to insert it, so a bad
 * line leaves the table as it was.  served[].app names read back live in
 * a fixed pool (app_pool) that only grows.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../flows/flow_table.h"
#include "alerts.h"
#include "assets.h"
#include "eng_cmds.h"
#include "oui.h"
#include "zones.h"

#define ASSETS_IP_INDEX (ASSETS_MAX * 4)	/* power of two */
#define ASSETS_SEED_KEY 0x61736b6579ULL		/* "askey" */
#define ASSETS_SEED_EV 0x61736576ULL		/* "asev" */
#define ASSETS_PENDING 4	/* records one event can produce */

struct asset_entry {
	bool used;
	bool dirty;		/* changed since its last record */
	uint64_t key;
	struct ev_asset a;
};

struct ip_ref {
	int32_t idx;		/* entry + 1; 0 = empty */
	uint8_t family;
	uint8_t ip[16];
};

/* What one observed event leads to, emitted after the unlock. */
struct assets_out {
	int nrec;
	struct ev_asset rec[ASSETS_PENDING];
	int nalert;
	struct alert_in alert[2];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct asset_entry tab[ASSETS_MAX];
static int32_t key_index[ASSETS_MAX * 2];	/* entry + 1; 0 = empty */
static struct ip_ref ip_index[ASSETS_IP_INDEX];
static int nused;
static uint64_t assets_dropped;
static bool realtime;		/* records as things happen, not only at flush */

void assets_set_realtime(bool on)
{
	realtime = on;
}

static const char *const role_names[ASSET_ROLE__COUNT] = {
	"modbus_client", "modbus_server", "dnp3_master", "dnp3_outstation",
	"http_client", "http_server", "dns_client", "dns_server",
	"smtp_client", "smtp_server", "engineering_workstation", "gateway",
};

const char *asset_role_name(uint32_t bit)
{
	for (unsigned i = 0; i < ASSET_ROLE__COUNT; i++)
		if (bit == 1u << i)
			return role_names[i];
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
 * Indexes (called with the lock held)
 * --------------------------------------------------------------------- */

static uint64_t mac_key(const uint8_t mac[6])
{
	uint8_t k[7] = { 'm' };

	memcpy(k + 1, mac, 6);
	return flow_hash64(k, sizeof(k), ASSETS_SEED_KEY);
}

static uint64_t ip_key(int family, const uint8_t ip[16])
{
	uint8_t k[17];

	k[0] = (uint8_t)family;
	memcpy(k + 1, ip, 16);
	return flow_hash64(k, sizeof(k), ASSETS_SEED_KEY);
}

static struct asset_entry *key_find(uint64_t key)
{
	for (unsigned j = 0; j < ASSETS_MAX * 2; j++) {
		int32_t v = key_index[(key + j) % (ASSETS_MAX * 2)];

		if (v == 0)
			return NULL;
		if (tab[v - 1].key == key)
			return &tab[v - 1];
	}
	return NULL;
}

static struct ip_ref *ip_slot(int family, const uint8_t ip[16])
{
	uint64_t h = ip_key(family, ip);

	for (unsigned j = 0; j < ASSETS_IP_INDEX; j++) {
		struct ip_ref *r = &ip_index[(h + j) & (ASSETS_IP_INDEX - 1)];

		if (r->idx == 0 || (r->family == family &&
		    memcmp(r->ip, ip, 16) == 0))
			return r;
	}
	return NULL;
}

static struct asset_entry *ip_find(int family, const uint8_t ip[16])
{
	struct ip_ref *r = ip_slot(family, ip);

	return r && r->idx ? &tab[r->idx - 1] : NULL;
}

/* Points 'ip' at entry e in the index; false if it is taken (or full). */
static bool ip_index_add(struct asset_entry *e, int family,
    const uint8_t ip[16])
{
	struct ip_ref *r = ip_slot(family, ip);

	if (r == NULL || r->idx)
		return false;
	r->idx = (int32_t)(e - tab) + 1;
	r->family = (uint8_t)family;
	memcpy(r->ip, ip, 16);
	return true;
}

static void ip_link(struct asset_entry *e, int family, const uint8_t ip[16])
{
	struct ev_asset *a = &e->a;

	if (!ip_index_add(e, family, ip))
		return;
	if (a->nips < EV_ASSET_MAX_IPS) {
		a->ip_family[a->nips] = (uint8_t)family;
		memcpy(a->ips[a->nips++], ip, 16);
	}
}

static struct asset_entry *entry_new(uint64_t key, uint64_t ts)
{
	struct asset_entry *e;

	if (nused == ASSETS_MAX) {
		assets_dropped++;
		return NULL;
	}
	e = &tab[nused];
	for (unsigned j = 0; j < ASSETS_MAX * 2; j++) {
		int32_t *v = &key_index[(key + j) % (ASSETS_MAX * 2)];

		if (*v == 0) {
			*v = nused + 1;
			break;
		}
	}
	nused++;
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->key = key;
	e->a.h.type = EV_ASSET;
	e->a.asset_id = key >> 1;
	e->a.first_us = e->a.last_us = ts;
	return e;
}

/* ------------------------------------------------------------------------
 * Records
 * --------------------------------------------------------------------- */

static void record(struct assets_out *o, struct asset_entry *e,
    const struct ev_hdr *src, uint8_t reason)
{
	struct ev_asset *r;

	if (!realtime || o->nrec == ASSETS_PENDING) {
		e->dirty = true;	/* the inventory at flush has it */
		return;
	}
	e->dirty = false;
	r = &o->rec[o->nrec];
	*r = e->a;
	memset(&r->h, 0, sizeof(r->h));
	r->h.type = EV_ASSET;
	r->h.ts_us = src->ts_us;
	r->h.event_id = flow_hash64(&src->event_id, sizeof(src->event_id),
	    ASSETS_SEED_EV + (uint64_t)o->nrec) >> 1;
	r->reason = reason;
	o->nrec++;
}

/* first/last seen as min/max, whatever order the workers deliver in */
static void touch(struct asset_entry *e, uint64_t ts)
{
	if (ts < e->a.first_us)
		e->a.first_us = ts;
	if (ts > e->a.last_us)
		e->a.last_us = ts;
	e->dirty = true;
}

static bool eligible(int family, const uint8_t ip[16])
{
	return !zones_addr_is_public(family, ip) ||
	    zones_lookup(family, ip) != ZONE_NONE;
}

/*
 * The asset of one end (ip, and its MAC if known); made if new (a "new"
 * record is queued).  NULL if not inventoried or the table is full.
 */
static struct asset_entry *asset_of(struct assets_out *o,
    const struct ev_hdr *h, int family, const uint8_t ip[16],
    const uint8_t *mac)
{
	struct asset_entry *e = ip_find(family, ip), *m;

	if (e) {
		touch(e, h->ts_us);
		return e;
	}
	if (!eligible(family, ip))
		return NULL;
	if (mac && (m = key_find(mac_key(mac))) != NULL &&
	    !(m->a.roles & ASSET_ROLE_GATEWAY)) {
		if (m->a.nips < ASSETS_GATEWAY_IPS) {
			ip_link(m, family, ip);
			m->dirty = true;
			touch(m, h->ts_us);
			return m;
		}
		m->a.roles |= ASSET_ROLE_GATEWAY;
		m->dirty = true;
	}
	if (mac && (m = key_find(mac_key(mac))) == NULL) {
		e = entry_new(mac_key(mac), h->ts_us);
		if (!e)
			return NULL;
		e->a.has_mac = true;
		memcpy(e->a.mac, mac, 6);
		e->a.vendor = oui_vendor(mac);
	} else {
		/* no MAC, or behind a gateway: keyed by IP */
		e = entry_new(ip_key(family, ip), h->ts_us);
		if (!e)
			return NULL;
	}
	ip_link(e, family, ip);
	snprintf(e->a.zone, sizeof(e->a.zone), "%s",
	    zones_name(zones_lookup(family, ip)));
	record(o, e, h, ASSET_REASON_NEW);
	return e;
}

static void add_role(struct asset_entry *e, uint32_t role)
{
	if (e && !(e->a.roles & role)) {
		e->a.roles |= role;
		e->dirty = true;
	}
}

static void add_served(struct asset_entry *e, uint8_t proto, uint16_t port,
    const char *app)
{
	struct ev_asset *a = &e->a;

	for (unsigned i = 0; i < a->nserved; i++)
		if (a->served[i].proto == proto && a->served[i].port == port) {
			if (!a->served[i].app && app) {
				a->served[i].app = app;
				e->dirty = true;
			}
			return;
		}
	if (a->nserved == EV_ASSET_MAX_SERVED)
		return;
	a->served[a->nserved].proto = proto;
	a->served[a->nserved].port = port;
	a->served[a->nserved].app = app;
	a->nserved++;
	e->dirty = true;
}

static void add_unit(struct asset_entry *e, uint8_t unit)
{
	struct ev_asset *a = &e->a;

	for (unsigned i = 0; i < a->nunits; i++)
		if (a->units[i] == unit)
			return;
	if (a->nunits < EV_ASSET_MAX_UNITS) {
		a->units[a->nunits++] = unit;
		e->dirty = true;
	}
}

static void add_dnp3(struct asset_entry *e, uint16_t addr)
{
	struct ev_asset *a = &e->a;

	for (unsigned i = 0; i < a->ndnp3; i++)
		if (a->dnp3_addrs[i] == addr)
			return;
	if (a->ndnp3 < EV_ASSET_MAX_DNP3) {
		a->dnp3_addrs[a->ndnp3++] = addr;
		e->dirty = true;
	}
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
	char vendor[EV_ASSET_STR];
	char product[EV_ASSET_STR];
	char rev[EV_ASSET_STR];		/* firmware (software) version */
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
 * Merges one answer into the device's identity (Modbus and DNP3 alike):
 * ot.asset.identity_changed when a known vendor or product differs,
 * ot.asset.firmware_changed when a known revision differs; an "identity"
 * record when anything was added or changed.
 */
static void identity_merge(struct assets_out *o, const struct ev_hdr *h,
    bool client_is_src, struct asset_entry *dev, const struct id_answer *ans)
{
	struct ev_asset *a = &dev->a;
	char was[2 * EV_ASSET_STR + 3], now[2 * EV_ASSET_STR + 3];
	bool changed;

	if (!ans->vendor[0] && !ans->product[0] && !ans->rev[0])
		return;
	if (id_differs(ans->vendor, a->id_vendor) ||
	    id_differs(ans->product, a->id_product)) {
		snprintf(was, sizeof(was), "%s %s", a->id_vendor, a->id_product);
		snprintf(now, sizeof(now), "%s %s", ans->vendor[0] ?
		    ans->vendor : a->id_vendor, ans->product[0] ? ans->product :
		    a->id_product);
		identity_alert(o, h, client_is_src, false, was, now, ans);
	}
	if (id_differs(ans->rev, a->id_revision))
		identity_alert(o, h, client_is_src, true, a->id_revision,
		    ans->rev, ans);
	changed = !a->has_identity ||
	    (ans->vendor[0] && strcmp(ans->vendor, a->id_vendor) != 0) ||
	    (ans->product[0] && strcmp(ans->product, a->id_product) != 0) ||
	    (ans->rev[0] && strcmp(ans->rev, a->id_revision) != 0);
	if (ans->vendor[0])
		memcpy(a->id_vendor, ans->vendor, sizeof(a->id_vendor));
	if (ans->product[0])
		memcpy(a->id_product, ans->product, sizeof(a->id_product));
	if (ans->rev[0])
		memcpy(a->id_revision, ans->rev, sizeof(a->id_revision));
	a->has_identity = true;
	if (changed) {
		a->id_source = ans->source;
		record(o, dev, h, ASSET_REASON_IDENTITY);
	}
}

/* Modbus FC 43/14 Read Device Identification answer. */
static void identity_modbus(struct assets_out *o, const struct ev_modbus *e,
    bool client_is_src, struct asset_entry *dev)
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

		/* 0 VendorName, 1 ProductCode, 2 MajorMinorRevision,
		 * 4 ProductName (Modbus App Protocol 6.21 table) */
		if (ob->id == 0)
			snprintf(ans.vendor, sizeof(ans.vendor), "%s", ob->value);
		else if (ob->id == 1 || (ob->id == 4 && !ans.product[0]))
			snprintf(ans.product, sizeof(ans.product), "%s",
			    ob->value);
		else if (ob->id == 2)
			snprintf(ans.rev, sizeof(ans.rev), "%s", ob->value);
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
    bool master_is_src, struct asset_entry *dev)
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
			dst = ans.vendor;
		else if (ob->variation == 250)
			dst = ans.product;
		else if (ob->variation == 242)
			dst = ans.rev;
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

/* The asset of the flow's client (side 0) or server (side 1). */
static struct asset_entry *side(struct assets_out *o, const struct ev_hdr *h,
    int s)
{
	const struct flow_key *k = &h->key;

	return asset_of(o, h, k->family, s ? k->dst : k->src,
	    h->has_mac ? (s ? h->dst_mac : h->src_mac) : NULL);
}

static void obs_flow(struct assets_out *o, const struct ev_flow *f)
{
	const struct ev_hdr *h = &f->h;
	struct asset_entry *srv;
	bool answered;

	side(o, h, 0);
	srv = side(o, h, 1);
	if (!srv)
		return;
	answered = h->key.proto == 6 ? f->payload_bytes[DIR_TO_CLIENT] > 0 :
	    h->key.proto == 17 ? f->pkts[DIR_TO_CLIENT] > 0 : false;
	if (answered)
		add_served(srv, h->key.proto, h->key.dport,
		    h->app_proto ? h->app_proto : f->ndpi_proto);
}

static void obs_modbus(struct assets_out *o, const struct ev_modbus *e)
{
	/* h.dir is the request's when there is one: its sender is the client */
	bool client_is_src = e->has_request ? e->h.dir == DIR_TO_SERVER :
	    e->h.dir == DIR_TO_CLIENT;
	struct asset_entry *c = side(o, &e->h, client_is_src ? 0 : 1);
	struct asset_entry *s = side(o, &e->h, client_is_src ? 1 : 0);
	const struct eng_rule *r[2];
	size_t n;

	add_role(c, ASSET_ROLE_MODBUS_CLIENT);
	add_role(s, ASSET_ROLE_MODBUS_SERVER);
	if (s && e->has_response)
		add_unit(s, e->unit);
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
	struct asset_entry *m = side(o, &e->h, master_is_src ? 0 : 1);
	struct asset_entry *s = side(o, &e->h, master_is_src ? 1 : 0);
	const struct eng_rule *r[4];
	size_t n;

	add_role(m, ASSET_ROLE_DNP3_MASTER);
	add_role(s, ASSET_ROLE_DNP3_OUTSTATION);
	if (m)
		add_dnp3(m, req ? e->req.link_src : e->resp.link_dst);
	if (s)
		add_dnp3(s, req ? e->req.link_dst : e->resp.link_src);
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
	case EV_FLOW: case EV_MODBUS: case EV_DNP3:
	case EV_HTTP: case EV_DNS: case EV_SMTP:
		break;
	default:
		return;
	}
	o.nrec = o.nalert = 0;
	pthread_mutex_lock(&lock);
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
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < o.nrec; i++)
		out_emit(&o.rec[i].h);
	for (int i = 0; i < o.nalert; i++)
		alerts_raise(ev, &o.alert[i]);
}

static int cmp_ip(const void *x, const void *y)
{
	/* rows of 17 bytes: family, then the address */
	return memcmp(x, y, 17);
}

static int cmp_served(const void *x, const void *y)
{
	const struct ev_asset_served *a = x, *b = y;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

static int cmp_u8(const void *x, const void *y)
{
	return *(const uint8_t *)x - *(const uint8_t *)y;
}

static int cmp_u16(const void *x, const void *y)
{
	uint16_t a = *(const uint16_t *)x, b = *(const uint16_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * Puts every list of a record in a fixed order, so the record does not
 * depend on the order in which workers saw the device's flows.
 */
static void canonical(struct ev_asset *r)
{
	uint8_t ips[EV_ASSET_MAX_IPS][17];
	unsigned n = r->nips < EV_ASSET_MAX_IPS ? r->nips : EV_ASSET_MAX_IPS;

	for (unsigned i = 0; i < n; i++) {
		ips[i][0] = r->ip_family[i];
		memcpy(ips[i] + 1, r->ips[i], 16);
	}
	qsort(ips, n, sizeof(ips[0]), cmp_ip);
	for (unsigned i = 0; i < n; i++) {
		r->ip_family[i] = ips[i][0];
		memcpy(r->ips[i], ips[i] + 1, 16);
	}
	if (n)
		snprintf(r->zone, sizeof(r->zone), "%s",
		    zones_name(zones_lookup(r->ip_family[0], r->ips[0])));
	qsort(r->served, r->nserved, sizeof(r->served[0]), cmp_served);
	qsort(r->units, r->nunits, sizeof(r->units[0]), cmp_u8);
	qsort(r->dnp3_addrs, r->ndnp3, sizeof(r->dnp3_addrs[0]), cmp_u16);
}

void assets_flush(void)
{
	struct ev_asset r;

	for (int i = 0;; i++) {
		bool found = false;

		pthread_mutex_lock(&lock);
		for (; i < nused; i++)
			if (tab[i].dirty) {
				tab[i].dirty = false;
				r = tab[i].a;
				found = true;
				break;
			}
		pthread_mutex_unlock(&lock);
		if (!found)
			return;
		canonical(&r);
		memset(&r.h, 0, sizeof(r.h));
		r.h.type = EV_ASSET;
		r.h.ts_us = r.last_us;
		r.h.event_id = flow_hash64(&r.asset_id, sizeof(r.asset_id),
		    ASSETS_SEED_EV ^ r.last_us) >> 1;
		r.reason = ASSET_REASON_INVENTORY;
		out_emit(&r.h);
	}
}

void assets_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(tab, 0, sizeof(tab));
	memset(key_index, 0, sizeof(key_index));
	memset(ip_index, 0, sizeof(ip_index));
	nused = 0;
	assets_dropped = 0;
	pthread_mutex_unlock(&lock);
}

const char *assets_vendor(int family, const uint8_t ip[16])
{
	const struct asset_entry *e;
	const char *v = NULL;

	pthread_mutex_lock(&lock);
	e = ip_find(family, ip);
	if (e && e->a.has_mac && !(e->a.roles & ASSET_ROLE_GATEWAY))
		v = e->a.vendor;
	pthread_mutex_unlock(&lock);
	return v;
}

bool assets_is_ot_device(int family, const uint8_t ip[16])
{
	const struct asset_entry *e;
	bool ot = false;

	pthread_mutex_lock(&lock);
	e = ip_find(family, ip);
	if (e)
		ot = (e->a.roles & (ASSET_ROLE_MODBUS_SERVER |
		    ASSET_ROLE_DNP3_OUTSTATION)) != 0;
	pthread_mutex_unlock(&lock);
	return ot;
}

int assets_get(int family, const uint8_t ip[16], struct ev_asset *out)
{
	const struct asset_entry *e;
	int rc = -1;

	pthread_mutex_lock(&lock);
	e = ip_find(family, ip);
	if (e) {
		*out = e->a;
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

/* ------------------------------------------------------------------------
 * State file lines (ot/state.c owns the file, its header and locking)
 * --------------------------------------------------------------------- */

#define ASSETS_APP_POOL 256	/* distinct served[].app names read back */
#define ASSETS_APP_LEN 32	/* longest app name read back, with its NUL */

/*
 * served[].app is a static string in memory.  A name read from the state
 * file is copied once into this pool and the copy is shared; the pool
 * only grows (assets_reset() keeps it: records already handed to
 * out_emit() may still point into it).  When it is full a name is
 * dropped (the port stays, without its app) and counted.
 */
static char app_pool[ASSETS_APP_POOL][ASSETS_APP_LEN];
static unsigned app_pool_used;
static uint64_t app_pool_dropped;

/* Interns name (lock held): the pooled copy, or NULL when full. */
static const char *app_intern(const char *name)
{
	for (unsigned i = 0; i < app_pool_used; i++)
		if (strcmp(app_pool[i], name) == 0)
			return app_pool[i];
	if (app_pool_used == ASSETS_APP_POOL) {
		app_pool_dropped++;
		return NULL;
	}
	snprintf(app_pool[app_pool_used], ASSETS_APP_LEN, "%s", name);
	return app_pool[app_pool_used++];
}

/* A byte written as %XX: never a space, newline, '=' or a list separator. */
static bool st_escaped(unsigned char c)
{
	return c < 0x21 || c > 0x7e || c == '%' || c == '=' || c == ',' ||
	    c == '/';
}

/* Writes at most max bytes of s (stops at NUL), percent-encoded. */
static void st_put_str(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (st_escaped(c))
			fprintf(f, "%%%02X", c);
		else
			putc(c, f);
	}
}

static const char *st_proto_name(uint8_t proto, char *b, size_t n)
{
	if (proto == 6)
		return "tcp";
	if (proto == 17)
		return "udp";
	snprintf(b, n, "%u", proto);
	return b;
}

static void st_put_asset(FILE *f, const struct ev_asset *a)
{
	char b[INET6_ADDRSTRLEN];
	unsigned n;
	const char *sep;

	fputs("asset", f);
	if (a->has_mac)
		fprintf(f, " mac=%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0],
		    a->mac[1], a->mac[2], a->mac[3], a->mac[4], a->mac[5]);
	/* table order: ips[0] is the key of a routed device */
	fputs(" ip=", f);
	n = a->nips < EV_ASSET_MAX_IPS ? a->nips : EV_ASSET_MAX_IPS;
	for (unsigned i = 0; i < n; i++) {
		if (!inet_ntop(a->ip_family[i] == 6 ? AF_INET6 : AF_INET,
		    a->ips[i], b, sizeof(b)))
			snprintf(b, sizeof(b), "0.0.0.0");
		fprintf(f, "%s%s", i ? "," : "", b);
	}
	fprintf(f, " first=%llu last=%llu", (unsigned long long)a->first_us,
	    (unsigned long long)a->last_us);
	sep = " roles=";
	for (unsigned i = 0; i < ASSET_ROLE__COUNT; i++)
		if (a->roles & (1u << i)) {
			fprintf(f, "%s%s", sep, role_names[i]);
			sep = ",";
		}
	n = a->nserved < EV_ASSET_MAX_SERVED ? a->nserved : EV_ASSET_MAX_SERVED;
	for (unsigned i = 0; i < n; i++) {
		const struct ev_asset_served *s = &a->served[i];

		fprintf(f, "%s%s/%u", i ? "," : " served=",
		    st_proto_name(s->proto, b, sizeof(b)), s->port);
		if (s->app && s->app[0]) {
			putc('/', f);
			st_put_str(f, s->app, ASSETS_APP_LEN - 1);
		}
	}
	n = a->nunits < EV_ASSET_MAX_UNITS ? a->nunits : EV_ASSET_MAX_UNITS;
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? "," : " units=", a->units[i]);
	n = a->ndnp3 < EV_ASSET_MAX_DNP3 ? a->ndnp3 : EV_ASSET_MAX_DNP3;
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? "," : " dnp3=", a->dnp3_addrs[i]);
	if (a->has_identity) {
		fputs(" vendor_id=", f);
		st_put_str(f, a->id_vendor, sizeof(a->id_vendor));
		fputs(" product=", f);
		st_put_str(f, a->id_product, sizeof(a->id_product));
		fputs(" revision=", f);
		st_put_str(f, a->id_revision, sizeof(a->id_revision));
		if (asset_id_source_name(a->id_source))
			fprintf(f, " id_source=%s",
			    asset_id_source_name(a->id_source));
	}
	if (a->zone[0]) {
		fputs(" zone=", f);
		st_put_str(f, a->zone, sizeof(a->zone));
	}
	putc('\n', f);
}

int assets_state_write(FILE *f)
{
	struct ev_asset a;

	for (int i = 0;; i++) {
		bool found = false;

		pthread_mutex_lock(&lock);
		if (i < nused) {
			a = tab[i].a;
			found = true;
		}
		pthread_mutex_unlock(&lock);
		if (!found)
			break;
		if (a.nips == 0)
			continue;	/* not findable, and a line needs an ip */
		st_put_asset(f, &a);
	}
	return ferror(f) ? -1 : 0;
}

/* ---- reading one line back ---- */

struct st_parse {
	struct ev_asset a;
	char app[EV_ASSET_MAX_SERVED][ASSETS_APP_LEN];	/* "" = none */
	char *err;
	size_t errlen;
};

static int st_fail(struct st_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int st_fail(struct st_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Shown in messages: at most 32 bytes of a (printable, checked) value. */
#define ST_SHOW(n) (int)((n) < 32 ? (n) : 32)

static int st_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes a percent-encoded value of n bytes into out (NUL-terminated,
 * outsz bytes with the NUL).  NULL, or why it is bad.
 */
static const char *st_unescape(const char *v, size_t n, char *out,
    size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = st_hex(v[i + 1])) < 0 ||
			    (lo = st_hex(v[i + 2])) < 0)
				return "bad %-escape";
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0)
				return "embedded NUL (%00)";
			i += 2;
		} else if (st_escaped(c)) {
			return "character that must be %-escaped";
		}
		if (o + 1 >= outsz)
			return "too long";
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return NULL;
}

/* Decimal 0..max, digits only. */
static int st_uint(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (v[i] < '0' || v[i] > '9')
			return -1;
		d = (unsigned)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

/* A walk over a list value; "" has no items, "a,,b" has an empty one. */
struct st_list {
	const char *pos, *end;
	bool done;
};

static void st_list_init(struct st_list *l, const char *v, size_t n)
{
	l->pos = v;
	l->end = v + n;
	l->done = n == 0;
}

/* The next item up to sep: true with *it and *itn set, false at the end. */
static bool st_list_next(struct st_list *l, char sep, const char **it,
    size_t *itn)
{
	const char *q;

	if (l->done)
		return false;
	q = memchr(l->pos, sep, (size_t)(l->end - l->pos));
	if (q == NULL) {
		q = l->end;
		l->done = true;
	}
	*it = l->pos;
	*itn = (size_t)(q - l->pos);
	l->pos = l->done ? l->end : q + 1;
	return true;
}

static int st_mac(struct st_parse *p, const char *v, size_t n)
{
	if (n != 17)
		return st_fail(p, "mac: want 17 characters, not %zu", n);
	for (int i = 0; i < 6; i++) {
		int hi = st_hex(v[i * 3]), lo = st_hex(v[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v[i * 3 + 2] != ':'))
			return st_fail(p, "mac: bad \"%.*s\"", ST_SHOW(n), v);
		p->a.mac[i] = (uint8_t)(hi << 4 | lo);
	}
	p->a.has_mac = true;
	return 0;
}

static int st_ip(struct st_parse *p, const char *v, size_t n)
{
	struct ev_asset *a = &p->a;
	struct st_list l;
	const char *it;
	size_t itn;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		char b[INET6_ADDRSTRLEN];
		uint8_t ip[16] = { 0 };
		int fam;

		if (a->nips == EV_ASSET_MAX_IPS)
			return st_fail(p, "ip: more than %d addresses",
			    EV_ASSET_MAX_IPS);
		if (itn == 0 || itn >= sizeof(b))
			return st_fail(p, "ip: bad address \"%.*s\"",
			    ST_SHOW(itn), it);
		memcpy(b, it, itn);
		b[itn] = '\0';
		fam = memchr(b, ':', itn) ? 6 : 4;
		if (inet_pton(fam == 6 ? AF_INET6 : AF_INET, b, ip) != 1)
			return st_fail(p, "ip: bad address \"%s\"", b);
		for (unsigned i = 0; i < a->nips; i++)
			if (a->ip_family[i] == fam && !memcmp(a->ips[i], ip, 16))
				return st_fail(p, "ip: %s twice", b);
		a->ip_family[a->nips] = (uint8_t)fam;
		memcpy(a->ips[a->nips++], ip, 16);
	}
	if (a->nips == 0)
		return st_fail(p, "ip: no address");
	return 0;
}

static int st_first(struct st_parse *p, const char *v, size_t n)
{
	if (st_uint(v, n, UINT64_MAX, &p->a.first_us) != 0)
		return st_fail(p, "first: bad \"%.*s\"", ST_SHOW(n), v);
	return 0;
}

static int st_last(struct st_parse *p, const char *v, size_t n)
{
	if (st_uint(v, n, UINT64_MAX, &p->a.last_us) != 0)
		return st_fail(p, "last: bad \"%.*s\"", ST_SHOW(n), v);
	return 0;
}

static int st_roles(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		unsigned i;

		for (i = 0; i < ASSET_ROLE__COUNT; i++)
			if (strlen(role_names[i]) == itn &&
			    memcmp(role_names[i], it, itn) == 0)
				break;
		if (i == ASSET_ROLE__COUNT)
			return st_fail(p, "roles: unknown role \"%.*s\"",
			    ST_SHOW(itn), it);
		p->a.roles |= 1u << i;
	}
	return 0;
}

static int st_served(struct st_parse *p, const char *v, size_t n)
{
	struct ev_asset *a = &p->a;
	struct st_list l;
	const char *it;
	size_t itn;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		struct st_list parts;
		const char *part;
		size_t partn;
		struct ev_asset_served *s;
		uint64_t x;
		int k = 0;

		if (a->nserved == EV_ASSET_MAX_SERVED)
			return st_fail(p, "served: more than %d ports",
			    EV_ASSET_MAX_SERVED);
		s = &a->served[a->nserved];
		st_list_init(&parts, it, itn);
		while (st_list_next(&parts, '/', &part, &partn)) {
			const char *why;

			if (k == 0 && partn == 3 && !memcmp(part, "tcp", 3))
				s->proto = 6;
			else if (k == 0 && partn == 3 && !memcmp(part, "udp", 3))
				s->proto = 17;
			else if (k == 0 && st_uint(part, partn, 255, &x) == 0)
				s->proto = (uint8_t)x;
			else if (k == 1 && st_uint(part, partn, 65535, &x) == 0)
				s->port = (uint16_t)x;
			else if (k == 2 && partn > 0) {
				why = st_unescape(part, partn,
				    p->app[a->nserved], ASSETS_APP_LEN);
				if (why)
					return st_fail(p, "served: app \"%.*s\": "
					    "%s", ST_SHOW(partn), part, why);
			} else
				return st_fail(p, "served: bad \"%.*s\" (want "
				    "tcp/PORT[/APP])", ST_SHOW(itn), it);
			k++;
		}
		if (k < 2)
			return st_fail(p, "served: bad \"%.*s\" (want "
			    "tcp/PORT[/APP])", ST_SHOW(itn), it);
		a->nserved++;
	}
	return 0;
}

static int st_units(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;
	uint64_t x;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		if (p->a.nunits == EV_ASSET_MAX_UNITS)
			return st_fail(p, "units: more than %d",
			    EV_ASSET_MAX_UNITS);
		if (st_uint(it, itn, 255, &x) != 0)
			return st_fail(p, "units: bad unit \"%.*s\"",
			    ST_SHOW(itn), it);
		p->a.units[p->a.nunits++] = (uint8_t)x;
	}
	return 0;
}

static int st_dnp3(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;
	uint64_t x;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		if (p->a.ndnp3 == EV_ASSET_MAX_DNP3)
			return st_fail(p, "dnp3: more than %d addresses",
			    EV_ASSET_MAX_DNP3);
		if (st_uint(it, itn, 65535, &x) != 0)
			return st_fail(p, "dnp3: bad address \"%.*s\"",
			    ST_SHOW(itn), it);
		p->a.dnp3_addrs[p->a.ndnp3++] = (uint16_t)x;
	}
	return 0;
}

static int st_string(struct st_parse *p, const char *key, const char *v,
    size_t n, char *out, size_t outsz)
{
	const char *why = st_unescape(v, n, out, outsz);

	if (why)
		return st_fail(p, "%s: %s", key, why);
	return 0;
}

static int st_vendor(struct st_parse *p, const char *v, size_t n)
{
	p->a.has_identity = true;
	return st_string(p, "vendor_id", v, n, p->a.id_vendor,
	    sizeof(p->a.id_vendor));
}

static int st_product(struct st_parse *p, const char *v, size_t n)
{
	p->a.has_identity = true;
	return st_string(p, "product", v, n, p->a.id_product,
	    sizeof(p->a.id_product));
}

static int st_revision(struct st_parse *p, const char *v, size_t n)
{
	p->a.has_identity = true;
	return st_string(p, "revision", v, n, p->a.id_revision,
	    sizeof(p->a.id_revision));
}

static int st_id_source(struct st_parse *p, const char *v, size_t n)
{
	for (uint8_t i = 0; i < ASSET_ID__COUNT; i++) {
		const char *name = asset_id_source_name(i);

		if (name && strlen(name) == n && memcmp(name, v, n) == 0) {
			p->a.id_source = i;
			return 0;
		}
	}
	return st_fail(p, "id_source: unknown \"%.*s\"", ST_SHOW(n), v);
}

static int st_zone(struct st_parse *p, const char *v, size_t n)
{
	return st_string(p, "zone", v, n, p->a.zone, sizeof(p->a.zone));
}

enum st_need {
	ST_NEED = 1,		/* mandatory */
};

static const struct st_key {
	const char *name;
	int (*fn)(struct st_parse *p, const char *v, size_t n);
	unsigned flags;		/* enum st_need */
} st_keys[] = {
	{ "mac", st_mac, 0 },
	{ "ip", st_ip, ST_NEED },
	{ "first", st_first, ST_NEED },
	{ "last", st_last, ST_NEED },
	{ "roles", st_roles, 0 },
	{ "served", st_served, 0 },
	{ "units", st_units, 0 },
	{ "dnp3", st_dnp3, 0 },
	{ "vendor_id", st_vendor, 0 },
	{ "product", st_product, 0 },
	{ "revision", st_revision, 0 },
	{ "id_source", st_id_source, 0 },
	{ "zone", st_zone, 0 },
};

#define ST_NKEYS (sizeof(st_keys) / sizeof(st_keys[0]))

/*
 * Removes 'ip' from the index if it points at e (lock held).  Linear probing, so the entries
 * after it in the same run are moved back where a lookup will still find
 * them (backward-shift deletion; no tombstones).
 */
static void ip_index_del(const struct asset_entry *e, int family,
    const uint8_t ip[16])
{
	const uint64_t mask = ASSETS_IP_INDEX - 1;
	struct ip_ref *r = ip_slot(family, ip);
	uint64_t i, j;

	if (r == NULL || r->idx != (int32_t)(e - tab) + 1)
		return;
	i = (uint64_t)(r - ip_index);
	for (j = (i + 1) & mask; ip_index[j].idx != 0; j = (j + 1) & mask) {
		uint64_t home = ip_key(ip_index[j].family, ip_index[j].ip) & mask;

		/* stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		ip_index[i] = ip_index[j];
		i = j;
	}
	memset(&ip_index[i], 0, sizeof(ip_index[i]));
}

/* Puts the parsed device into the table (takes the lock). */
static int st_commit(struct st_parse *p)
{
	struct ev_asset *a = &p->a;
	uint64_t key = a->has_mac ? mac_key(a->mac) :
	    ip_key(a->ip_family[0], a->ips[0]);
	struct asset_entry *old, *e;

	pthread_mutex_lock(&lock);
	old = key_find(key);
	for (unsigned i = 0; i < a->nips; i++) {
		e = ip_find(a->ip_family[i], a->ips[i]);
		if (e && e != old) {
			char b[INET6_ADDRSTRLEN];

			pthread_mutex_unlock(&lock);
			if (!inet_ntop(a->ip_family[i] == 6 ? AF_INET6 : AF_INET,
			    a->ips[i], b, sizeof(b)))
				b[0] = '\0';
			return st_fail(p, "ip: %s already belongs to another "
			    "device", b);
		}
	}
	if (old == NULL && nused == ASSETS_MAX) {
		pthread_mutex_unlock(&lock);
		return st_fail(p, "inventory full (%d devices)", ASSETS_MAX);
	}
	e = old ? old : entry_new(key, a->first_us);
	for (unsigned i = 0; i < a->nserved; i++)
		a->served[i].app = p->app[i][0] ? app_intern(p->app[i]) : NULL;
	memset(&a->h, 0, sizeof(a->h));
	a->h.type = EV_ASSET;
	a->asset_id = key >> 1;
	a->reason = ASSET_REASON_NEW;
	a->vendor = a->has_mac ? oui_vendor(a->mac) : NULL;
	if (old)
		for (unsigned i = 0; i < old->a.nips && i < EV_ASSET_MAX_IPS; i++)
			ip_index_del(old, old->a.ip_family[i], old->a.ips[i]);
	e->a = *a;
	e->dirty = false;	/* known, but not seen in this run yet */
	for (unsigned i = 0; i < a->nips; i++)
		(void)ip_index_add(e, a->ip_family[i], a->ips[i]);
	pthread_mutex_unlock(&lock);
	return 0;
}

int assets_state_read(const char *line, char *err, size_t errlen)
{
	struct st_parse p;
	size_t len = strlen(line);
	unsigned seen = 0;
	const char *pos, *end;

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (errlen)
		err[0] = '\0';
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len < 6 || memcmp(line, "asset ", 6) != 0)
		return st_fail(&p, "not an asset line");
	for (size_t i = 0; i < len; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			return st_fail(&p, "byte 0x%02x at column %zu (only "
			    "printable ASCII)", (unsigned char)line[i], i + 1);
	pos = line + 6;
	end = line + len;
	while (pos < end) {
		const char *tok = pos, *eq;
		size_t tokn, kn;
		unsigned k;

		while (pos < end && *pos != ' ')
			pos++;
		tokn = (size_t)(pos - tok);
		if (pos < end)
			pos++;
		if (tokn == 0)
			continue;
		eq = memchr(tok, '=', tokn);
		if (eq == NULL || eq == tok)
			return st_fail(&p, "token \"%.*s\" is not key=value",
			    ST_SHOW(tokn), tok);
		kn = (size_t)(eq - tok);
		for (k = 0; k < ST_NKEYS; k++)
			if (strlen(st_keys[k].name) == kn &&
			    memcmp(st_keys[k].name, tok, kn) == 0)
				break;
		if (k == ST_NKEYS)
			continue;	/* a later version's key */
		if (seen & (1u << k))
			return st_fail(&p, "%s: given twice", st_keys[k].name);
		seen |= 1u << k;
		if (st_keys[k].fn(&p, eq + 1, tokn - kn - 1) != 0)
			return -1;
	}
	for (unsigned k = 0; k < ST_NKEYS; k++)
		if ((st_keys[k].flags & ST_NEED) && !(seen & (1u << k)))
			return st_fail(&p, "%s: missing", st_keys[k].name);
	if (p.a.first_us > p.a.last_us)
		return st_fail(&p, "first: after last");
	return st_commit(&p);
}

/* ------------------------------------------------------------------------
 * Listing
 * --------------------------------------------------------------------- */

struct list_row {
	uint8_t k[18];		/* 0 if it has an address; family; lowest address */
	uint64_t id;
	int32_t idx;
};

static struct list_row list_rows[ASSETS_MAX];	/* lock held */

static int cmp_row(const void *x, const void *y)
{
	const struct list_row *a = x, *b = y;
	int c = memcmp(a->k, b->k, sizeof(a->k));

	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Sorts the entries into list_rows by lowest address (lock held). */
static size_t list_sort(void)
{
	for (int i = 0; i < nused; i++) {
		const struct ev_asset *a = &tab[i].a;
		struct list_row *r = &list_rows[i];
		unsigned n = a->nips < EV_ASSET_MAX_IPS ? a->nips :
		    EV_ASSET_MAX_IPS;

		memset(r->k, 0xff, sizeof(r->k));
		for (unsigned j = 0; j < n; j++) {
			uint8_t k[18];

			k[0] = 0;
			k[1] = a->ip_family[j];
			memcpy(k + 2, a->ips[j], 16);
			if (memcmp(k, r->k, sizeof(k)) < 0)
				memcpy(r->k, k, sizeof(k));
		}
		r->id = a->asset_id;
		r->idx = i;
	}
	qsort(list_rows, (size_t)nused, sizeof(list_rows[0]), cmp_row);
	return (size_t)nused;
}

/* A copy of the table's record made ready to show. */
static void list_finish(struct ev_asset *r)
{
	char zone[sizeof(r->zone)];

	memcpy(zone, r->zone, sizeof(zone));
	canonical(r);
	if (!r->zone[0])	/* no zones configured here: keep the known one */
		memcpy(r->zone, zone, sizeof(zone));
	memset(&r->h, 0, sizeof(r->h));
	r->h.type = EV_ASSET;
	r->h.ts_us = r->last_us;
	r->reason = ASSET_REASON_INVENTORY;
}

size_t assets_list(struct ev_asset *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = list_sort();
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = tab[list_rows[i].idx].a;
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < n; i++)
		list_finish(&out[i]);
	return n;
}

/* Appends to a NUL-terminated buffer, truncating. */
static void pr_add(char *b, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pr_add(char *b, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(b, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(b + len, size - len, fmt, ap);
	va_end(ap);
}

/* One column: w characters (cut with '~'), non-printables as '?'. */
static void pr_col(FILE *f, const char *s, int w)
{
	int n = 0;
	bool cut = strnlen(s, (size_t)w + 1) > (size_t)w;

	for (; n < w && s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (cut && n == w - 1)
			c = '~';
		putc(c >= 0x20 && c < 0x7f ? c : '?', f);
	}
	fprintf(f, "%*s", w - n + 2, "");
}

/* Device-reported text (may hold anything): printable ASCII only. */
static void pr_text(FILE *f, const char *s, size_t max)
{
	if (!s[0]) {
		putc('-', f);
		return;
	}
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		putc(c >= 0x20 && c < 0x7f ? c : '?', f);
	}
}

static void pr_time(uint64_t us, char *b, size_t n)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(b, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(b, n, "-");
}

#define PR_W_IP 28
#define PR_W_MAC 17
#define PR_W_VENDOR 24
#define PR_W_ZONE 12
#define PR_W_ROLES 30
#define PR_W_SERVED 28
#define PR_W_ADDR 18
#define PR_W_TIME 20

static void pr_row(FILE *f, const struct ev_asset *a)
{
	char b[512], t[INET6_ADDRSTRLEN];

	b[0] = '\0';
	for (unsigned i = 0, n = a->nips < EV_ASSET_MAX_IPS ? a->nips :
	    EV_ASSET_MAX_IPS; i < n; i++) {
		if (!inet_ntop(a->ip_family[i] == 6 ? AF_INET6 : AF_INET,
		    a->ips[i], t, sizeof(t)))
			snprintf(t, sizeof(t), "?");
		/* what does not fit is counted: "10.0.0.1,10.0.0.2 +2" */
		if (i > 0 && strlen(b) + 1 + strlen(t) + (i + 1 < n ? 3 : 0) >
		    PR_W_IP) {
			pr_add(b, sizeof(b), " +%u", n - i);
			break;
		}
		pr_add(b, sizeof(b), "%s%s", i ? "," : "", t);
	}
	pr_col(f, b[0] ? b : "-", PR_W_IP);
	if (a->has_mac)
		snprintf(b, sizeof(b), "%02x:%02x:%02x:%02x:%02x:%02x",
		    a->mac[0], a->mac[1], a->mac[2], a->mac[3], a->mac[4],
		    a->mac[5]);
	else
		snprintf(b, sizeof(b), "(routed)");
	pr_col(f, b, PR_W_MAC);
	pr_col(f, a->vendor ? a->vendor : "-", PR_W_VENDOR);
	pr_col(f, a->zone[0] ? a->zone : "-", PR_W_ZONE);
	b[0] = '\0';
	for (unsigned i = 0; i < ASSET_ROLE__COUNT; i++)
		if (a->roles & (1u << i))
			pr_add(b, sizeof(b), "%s%s", b[0] ? "," : "",
			    role_names[i]);
	pr_col(f, b[0] ? b : "-", PR_W_ROLES);
	b[0] = '\0';
	for (unsigned i = 0; i < a->nserved && i < EV_ASSET_MAX_SERVED; i++) {
		const struct ev_asset_served *s = &a->served[i];

		pr_add(b, sizeof(b), "%s%s/%u%s%s", b[0] ? "," : "",
		    st_proto_name(s->proto, t, sizeof(t)), s->port,
		    s->app ? " " : "", s->app ? s->app : "");
	}
	pr_col(f, b[0] ? b : "-", PR_W_SERVED);
	b[0] = '\0';
	for (unsigned i = 0; i < a->nunits && i < EV_ASSET_MAX_UNITS; i++)
		pr_add(b, sizeof(b), "%s%u", i ? "," : "unit ", a->units[i]);
	for (unsigned i = 0; i < a->ndnp3 && i < EV_ASSET_MAX_DNP3; i++)
		pr_add(b, sizeof(b), "%s%u", i ? "," : b[0] ? "; dnp3 " :
		    "dnp3 ", a->dnp3_addrs[i]);
	pr_col(f, b[0] ? b : "-", PR_W_ADDR);
	pr_time(a->first_us, b, sizeof(b));
	pr_col(f, b, PR_W_TIME);
	pr_time(a->last_us, b, sizeof(b));
	pr_col(f, b, PR_W_TIME);
	if (a->has_identity) {
		pr_text(f, a->id_vendor, sizeof(a->id_vendor));
		fputs(" / ", f);
		pr_text(f, a->id_product, sizeof(a->id_product));
		fputs(" / ", f);
		pr_text(f, a->id_revision, sizeof(a->id_revision));
		if (asset_id_source_name(a->id_source))
			fprintf(f, " (%s)", asset_id_source_name(a->id_source));
	} else {
		putc('-', f);
	}
	putc('\n', f);
}

void assets_print(FILE *f)
{
	static int32_t order[ASSETS_MAX];	/* under print_lock */
	static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
	struct ev_asset a;
	size_t n;

	pthread_mutex_lock(&print_lock);
	pthread_mutex_lock(&lock);
	n = list_sort();
	for (size_t i = 0; i < n; i++)
		order[i] = list_rows[i].idx;
	pthread_mutex_unlock(&lock);
	if (n == 0) {
		fputs("no devices\n", f);
		pthread_mutex_unlock(&print_lock);
		return;
	}
	fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n",
	    PR_W_IP, "IP", PR_W_MAC, "MAC", PR_W_VENDOR, "MAC VENDOR",
	    PR_W_ZONE, "ZONE", PR_W_ROLES, "ROLES", PR_W_SERVED, "SERVED",
	    PR_W_ADDR, "UNITS/DNP3", PR_W_TIME, "FIRST SEEN (UTC)",
	    PR_W_TIME, "LAST SEEN (UTC)", "IDENTITY (VENDOR / PRODUCT / "
	    "REVISION)");
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&lock);
		a = tab[order[i]].a;
		pthread_mutex_unlock(&lock);
		list_finish(&a);
		pr_row(f, &a);
	}
	pthread_mutex_unlock(&print_lock);
}
