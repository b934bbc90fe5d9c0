/*
 * assets.c - the asset inventory (see assets.h).
 *
 * clang-format off
 *
 *   out_emit(ev_flow | ev_modbus | ev_dnp3 | ev_http | ev_dns | ev_smtp)
 *     -> assets_observe(): find or make the asset of each end, add roles,
 *        ports served, unit ids, DNP3 addresses, FC 43/14 identity
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
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void ip_link(struct asset_entry *e, int family, const uint8_t ip[16])
{
	struct ip_ref *r = ip_slot(family, ip);
	struct ev_asset *a = &e->a;

	if (r == NULL || r->idx)
		return;
	r->idx = (int32_t)(e - tab) + 1;
	r->family = (uint8_t)family;
	memcpy(r->ip, ip, 16);
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
 * Identity (Modbus FC 43/14)
 * --------------------------------------------------------------------- */

static void identity_alert(struct assets_out *o, const struct ev_hdr *h,
    bool client_is_src, bool firmware, const char *was, const char *now)
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
	in->protocol = "modbus";
	in->has_function = true;
	in->function = 0x2B;
	in->has_subfunction = true;
	in->subfunction = 0x0E;
	snprintf(in->detail, sizeof(in->detail), "%s \"%.40s\" -> \"%.40s\"",
	    firmware ? "revision" : "identity", was, now);
	snprintf(in->message, sizeof(in->message), "{dst} now reports %s "
	    "\"%.60s\" instead of \"%.60s\"%s (in its answer to {src}).",
	    firmware ? "revision" : "vendor/product", now, was,
	    firmware ? ": its firmware changed" : "");
}

static void identity(struct assets_out *o, const struct ev_modbus *e,
    bool client_is_src, struct asset_entry *dev)
{
	const struct ev_modbus_devid *d = &e->devid;
	struct ev_asset *a = &dev->a;
	char vendor[EV_ASSET_STR] = "", product[EV_ASSET_STR] = "";
	char rev[EV_ASSET_STR] = "", was[2 * EV_ASSET_STR + 3];
	char now[2 * EV_ASSET_STR + 3];
	bool changed = false;

	for (unsigned i = 0; i < d->nobjs && i < EV_MODBUS_MAX_DEVID_OBJS; i++) {
		const struct ev_modbus_devid_obj *ob = &d->objs[i];

		/* 0 VendorName, 1 ProductCode, 2 MajorMinorRevision,
		 * 4 ProductName (Modbus App Protocol 6.21 table) */
		if (ob->id == 0)
			snprintf(vendor, sizeof(vendor), "%s", ob->value);
		else if (ob->id == 1 || (ob->id == 4 && !product[0]))
			snprintf(product, sizeof(product), "%s", ob->value);
		else if (ob->id == 2)
			snprintf(rev, sizeof(rev), "%s", ob->value);
	}
	if (!vendor[0] && !product[0] && !rev[0])
		return;
	if (a->has_identity && ((vendor[0] && strcmp(vendor, a->id_vendor)) ||
	    (product[0] && strcmp(product, a->id_product)))) {
		snprintf(was, sizeof(was), "%s %s", a->id_vendor, a->id_product);
		snprintf(now, sizeof(now), "%s %s", vendor[0] ? vendor :
		    a->id_vendor, product[0] ? product : a->id_product);
		identity_alert(o, &e->h, client_is_src, false, was, now);
		changed = true;
	}
	if (a->has_identity && rev[0] && a->id_revision[0] &&
	    strcmp(rev, a->id_revision) != 0) {
		identity_alert(o, &e->h, client_is_src, true, a->id_revision,
		    rev);
		changed = true;
	}
	if (!a->has_identity)
		changed = true;
	else if (rev[0] && !a->id_revision[0])
		changed = true;
	if (vendor[0])
		memcpy(a->id_vendor, vendor, sizeof(vendor));
	if (product[0])
		memcpy(a->id_product, product, sizeof(product));
	if (rev[0])
		memcpy(a->id_revision, rev, sizeof(rev));
	a->has_identity = true;
	if (changed)
		record(o, dev, &e->h, ASSET_REASON_IDENTITY);
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
		identity(o, e, client_is_src, s);
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
