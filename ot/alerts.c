/*
 * alerts.c - OT alerts: engineering activity, zone policy, aggregation
 * (see alerts.h for the aggregation rules).
 *
 * clang-format off
 *
 *   out_emit(ev_modbus | ev_dnp3 | ev_flow | ev_http ...)
 *     -> alerts_observe(): eng_classify_*() rows, zone policy, remote access
 *       -> alerts_raise(): aggregate by (signature, src, dst, detail)
 *         -> out_emit(ev_alert)          first time, then periodic updates
 *
 * clang-format on
 *
 * Conditions of the rule table that need state, all per thread and fixed:
 *   ENG_COND_NEW_CLIENT    a table of (client ip, device ip) pairs that did
 *                          FC 43/14 (ALERTS_PAIR_SLOTS, oldest replaced);
 *                          the first request of a pair alerts.
 *   ENG_COND_NO_SELECT     a table of DNP3 SELECTs by (master ip, outstation
 *                          ip, outstation address); an OPERATE or
 *                          DIRECT_OPERATE[_NR] with no SELECT of the same
 *                          key in the ALERTS_SELECT_WINDOW_US before alerts.
 *   ENG_COND_INTO_OT_ZONE  the flow's server is in an OT zone or is a
 *                          known Modbus/DNP3 device (ot/assets.h).
 *
 * Zone policy (only when zones are configured), once per flow (a small
 * direct-mapped cache of flow ids judged, so an alert comes with the first
 * Modbus transaction, not only when the flow ends; count = flows):
 *   ot.zone.ot_to_public   one end in an OT zone, the other a public
 *                          address that is in no zone (severity 3);
 *   ot.zone.not_allowed    both ends in zones, different, and no allow rule
 *                          matches (client zone, server zone, proto, server
 *                          port) (severity 2).
 *
 * Ids: an alert's alert_id is the hash of its key; the first report's
 * event_id is flow_hash64(source event_id, the key), an
 * update's is flow_hash64(alert_id, count).  All deterministic.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../flows/flow_table.h"
#include "alerts.h"
#include "assets.h"
#include "eng_cmds.h"
#include "zones.h"

#define ALERTS_SEED_KEY 0x616c6b6579ULL		/* "alkey" */
#define ALERTS_SEED_UPD 0x616c757064ULL		/* "alupd" */
#define ALERTS_DEFAULT_INTERVAL_US (60ULL * 60 * 1000000)

struct alert_slot {
	bool used;
	uint64_t key;
	uint64_t emitted_count;
	uint64_t last_emit_us;
	struct ev_alert ev;
};

struct alert_pair {
	bool used;
	uint8_t family;
	uint8_t a[16], b[16];
	uint64_t last_us;
};

struct alert_select {
	bool used;
	uint8_t family;
	uint8_t master[16], outstation[16];
	uint16_t addr;
	uint64_t ts_us;
};

struct alerts_tls {
	struct alert_slot slots[ALERTS_SLOTS];
	struct alert_pair pairs[ALERTS_PAIR_SLOTS];
	struct alert_select selects[ALERTS_SELECT_SLOTS];
	uint64_t judged[ALERTS_FLOW_CACHE];	/* flow ids; 0 = empty */
};

static _Thread_local struct alerts_tls tl;
static uint64_t update_interval_us = ALERTS_DEFAULT_INTERVAL_US;

void alerts_set_interval(uint64_t us)
{
	update_interval_us = us ? us : ALERTS_DEFAULT_INTERVAL_US;
}

/* ------------------------------------------------------------------------
 * Message text
 * --------------------------------------------------------------------- */

static void ip_text(int family, const uint8_t *ip, char *b, size_t n)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, b, (socklen_t)n))
		snprintf(b, n, "?");
}

/* Fills one side's vendor and zone. */
static void side_fill(struct ev_alert_side *s, int family, const uint8_t *ip)
{
	const char *v = assets_vendor(family, ip);
	int z = zones_lookup(family, ip);

	s->family = (uint8_t)family;
	memcpy(s->ip, ip, 16);
	snprintf(s->vendor, sizeof(s->vendor), "%s", v ? v : "");
	snprintf(s->zone, sizeof(s->zone), "%s", zones_name(z));
}

/* "10.0.0.5 (TELEMECANIQUE ELECTRIQUE, zone control)" */
static void side_text(const struct ev_alert_side *s, char *b, size_t n)
{
	char ip[48];

	ip_text(s->family, s->ip, ip, sizeof(ip));
	if (s->vendor[0] && s->zone[0])
		snprintf(b, n, "%s (%s, zone %s)", ip, s->vendor, s->zone);
	else if (s->vendor[0])
		snprintf(b, n, "%s (%s)", ip, s->vendor);
	else if (s->zone[0])
		snprintf(b, n, "%s (zone %s)", ip, s->zone);
	else
		snprintf(b, n, "%s", ip);
}

/* Expands {src} and {dst} in tmpl into out. */
static void expand(char *out, size_t cap, const char *tmpl,
    const struct ev_alert_side *src, const struct ev_alert_side *dst)
{
	char sb[160], db[160];
	size_t len = 0;

	side_text(src, sb, sizeof(sb));
	side_text(dst, db, sizeof(db));
	out[0] = '\0';
	for (const char *p = tmpl; *p && len + 1 < cap;) {
		const char *ins = NULL;

		if (strncmp(p, "{src}", 5) == 0)
			ins = sb;
		else if (strncmp(p, "{dst}", 5) == 0)
			ins = db;
		if (ins) {
			int w = snprintf(out + len, cap - len, "%s", ins);

			len = w < 0 ? len : len + (size_t)w;
			if (len >= cap)
				len = cap - 1;
			p += 5;
			continue;
		}
		out[len++] = *p++;
		out[len] = '\0';
	}
}

/* ------------------------------------------------------------------------
 * Aggregation
 * --------------------------------------------------------------------- */

static uint64_t alert_key(const struct alert_in *in, int family,
    const uint8_t *src, const uint8_t *dst)
{
	uint64_t h = flow_hash64(in->signature, strlen(in->signature),
	    ALERTS_SEED_KEY);

	h = flow_hash64(&family, sizeof(family), h);
	h = flow_hash64(src, 16, h);
	h = flow_hash64(dst, 16, h);
	return flow_hash64(in->detail, strnlen(in->detail, sizeof(in->detail)),
	    h);
}

static void report_update(struct alert_slot *s)
{
	s->ev.update = true;
	s->ev.h.event_id = flow_hash64(&s->ev.count, sizeof(s->ev.count),
	    s->ev.alert_id ^ ALERTS_SEED_UPD) >> 1;
	s->ev.h.ts_us = s->ev.last_us;
	s->emitted_count = s->ev.count;
	s->last_emit_us = s->ev.last_us;
	out_emit(&s->ev.h);
}

void alerts_raise(const struct ev_hdr *src, const struct alert_in *in)
{
	int family = in->family ? in->family : src->key.family;
	const uint8_t *sip = in->family ? in->src : src->key.src;
	const uint8_t *dip = in->family ? in->dst : src->key.dst;
	uint64_t key = alert_key(in, family, sip, dip);
	struct alert_slot *s = NULL, *free_slot = NULL, *oldest = NULL;
	struct ev_alert *a;

	for (unsigned j = 0; j < ALERTS_PROBE; j++) {
		struct alert_slot *c = &tl.slots[(key + j) & (ALERTS_SLOTS - 1)];

		if (c->used && c->key == key &&
		    strcmp(c->ev.signature, in->signature) == 0) {
			s = c;
			break;
		}
		if (!c->used && !free_slot)
			free_slot = c;
		if (c->used && (!oldest || c->ev.last_us < oldest->ev.last_us))
			oldest = c;
	}
	if (s) {
		s->ev.count++;
		if (src->ts_us > s->ev.last_us)
			s->ev.last_us = src->ts_us;
		if (s->ev.last_us >= s->last_emit_us + update_interval_us)
			report_update(s);
		return;
	}
	if (!free_slot) {
		if (oldest->ev.count > oldest->emitted_count)
			report_update(oldest);
		free_slot = oldest;
	}
	s = free_slot;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->key = key;
	a = &s->ev;
	a->h = *src;
	a->h.type = EV_ALERT;
	/* one source event may raise several alerts: the key tells them apart */
	a->h.event_id = flow_hash64(&src->event_id, sizeof(src->event_id),
	    key) >> 1;
	a->alert_id = key >> 1;
	a->signature = in->signature;
	a->category = in->category;
	a->severity = in->severity;
	a->protocol = in->protocol;
	a->has_function = in->has_function;
	a->function = in->function;
	a->has_subfunction = in->has_subfunction;
	a->subfunction = in->subfunction;
	a->has_unit = in->has_unit;
	a->unit = in->unit;
	memcpy(a->detail, in->detail, sizeof(a->detail));
	a->detail[sizeof(a->detail) - 1] = '\0';
	side_fill(&a->src, family, sip);
	side_fill(&a->dst, family, dip);
	expand(a->message, sizeof(a->message), in->message, &a->src, &a->dst);
	a->first_us = a->last_us = src->ts_us;
	a->count = 1;
	s->emitted_count = 1;
	s->last_emit_us = src->ts_us;
	out_emit(&a->h);
}

void alerts_flush(void)
{
	for (unsigned i = 0; i < ALERTS_SLOTS; i++) {
		struct alert_slot *s = &tl.slots[i];

		if (s->used && s->ev.count > s->emitted_count)
			report_update(s);
	}
	memset(&tl, 0, sizeof(tl));
}

/* ------------------------------------------------------------------------
 * Stateful conditions
 * --------------------------------------------------------------------- */

/* True the first time (family, a, b) is seen; remembers it. */
static bool pair_is_new(int family, const uint8_t *a, const uint8_t *b,
    uint64_t ts)
{
	struct alert_pair *lru = NULL;

	for (unsigned i = 0; i < ALERTS_PAIR_SLOTS; i++) {
		struct alert_pair *p = &tl.pairs[i];

		if (p->used && p->family == family && !memcmp(p->a, a, 16) &&
		    !memcmp(p->b, b, 16)) {
			p->last_us = ts;
			return false;
		}
		if (!lru || (lru->used && (!p->used || p->last_us < lru->last_us)))
			lru = p;
	}
	lru->used = true;
	lru->family = (uint8_t)family;
	memcpy(lru->a, a, 16);
	memcpy(lru->b, b, 16);
	lru->last_us = ts;
	return true;
}

static struct alert_select *select_find(int family, const uint8_t *m,
    const uint8_t *o, uint16_t addr, bool create)
{
	struct alert_select *lru = NULL;

	for (unsigned i = 0; i < ALERTS_SELECT_SLOTS; i++) {
		struct alert_select *s = &tl.selects[i];

		if (s->used && s->family == family && s->addr == addr &&
		    !memcmp(s->master, m, 16) && !memcmp(s->outstation, o, 16))
			return s;
		if (!lru || (lru->used && (!s->used || s->ts_us < lru->ts_us)))
			lru = s;
	}
	if (!create)
		return NULL;
	memset(lru, 0, sizeof(*lru));
	lru->used = true;
	lru->family = (uint8_t)family;
	memcpy(lru->master, m, 16);
	memcpy(lru->outstation, o, 16);
	lru->addr = addr;
	return lru;
}

/* ------------------------------------------------------------------------
 * Engineering rules
 * --------------------------------------------------------------------- */

/*
 * The sender (client, master) and receiver of the request an event holds:
 * h.dir is the request's, and the flow's src is whoever opened it.
 */
static void req_ends(const struct ev_hdr *h, const uint8_t **c,
    const uint8_t **s)
{
	bool rev = h->dir == DIR_TO_CLIENT;

	*c = rev ? h->key.dst : h->key.src;
	*s = rev ? h->key.src : h->key.dst;
}

static void rule_alert(const struct ev_hdr *h, const struct eng_rule *r,
    const char *proto, int fc, int32_t sub, bool has_unit, uint16_t unit,
    const char *extra)
{
	struct alert_in in;
	const uint8_t *c, *sv;

	memset(&in, 0, sizeof(in));
	req_ends(h, &c, &sv);
	in.family = h->key.family;
	memcpy(in.src, c, 16);
	memcpy(in.dst, sv, 16);
	in.signature = r->signature;
	in.category = eng_class_name(r->cls);
	in.severity = r->severity;
	in.protocol = proto;
	in.has_function = true;
	in.function = (uint16_t)fc;
	in.has_subfunction = sub != ENG_ANY;
	in.subfunction = sub;
	in.has_unit = has_unit;
	in.unit = unit;
	if (sub != ENG_ANY)
		snprintf(in.detail, sizeof(in.detail), "FC %d/0x%02x %s %u%s",
		    fc, (unsigned)sub, proto[0] == 'd' ? "outstation" : "unit",
		    unit, extra);
	else
		snprintf(in.detail, sizeof(in.detail), "FC %d %s %u%s", fc,
		    proto[0] == 'd' ? "outstation" : "unit", unit, extra);
	/* {src} is the request's sender, {dst} the device */
	if (has_unit)
		snprintf(in.message, sizeof(in.message),
		    "{src} sent %s to {dst}, %s %u%s.", r->desc,
		    proto[0] == 'd' ? "outstation" : "unit", unit, extra);
	else
		snprintf(in.message, sizeof(in.message), "{src} sent %s to "
		    "{dst}%s.", r->desc, extra);
	alerts_raise(h, &in);
}

static void observe_modbus(const struct ev_modbus *e)
{
	const struct eng_rule *rules[2];
	size_t n = eng_classify_modbus(e, rules, 2);

	for (size_t i = 0; i < n; i++) {
		const struct eng_rule *r = rules[i];
		int32_t sub = r->sub;

		const uint8_t *c, *sv;

		req_ends(&e->h, &c, &sv);
		if (r->cond == ENG_COND_NEW_CLIENT &&
		    !pair_is_new(e->h.key.family, c, sv, e->h.ts_us))
			continue;
		if (sub == ENG_ANY && (e->fc & 0x7F) == 0x08 &&
		    e->has_subfunction)
			sub = e->subfunction;	/* name the sub in the evidence */
		rule_alert(&e->h, r, "modbus", e->fc & 0x7F, sub, true, e->unit,
		    e->exception ? " (exception)" : "");
	}
}

static void observe_dnp3(const struct ev_dnp3 *e)
{
	const struct dnp3_msg *m = &e->req;
	const struct eng_rule *rules[4];
	const uint8_t *c, *sv;
	size_t n;

	if (!m->present)
		return;
	req_ends(&e->h, &c, &sv);
	if (m->func == 3) {	/* SELECT: remember it for OPERATE */
		struct alert_select *s = select_find(e->h.key.family, c, sv,
		    m->link_dst, true);

		s->ts_us = e->h.ts_us;
		return;
	}
	n = eng_classify_dnp3(e, rules, 4);
	for (size_t i = 0; i < n; i++) {
		const struct eng_rule *r = rules[i];

		if (r->cond == ENG_COND_NO_SELECT) {
			const struct alert_select *s = select_find(
			    e->h.key.family, c, sv, m->link_dst, false);

			if (s && e->h.ts_us >= s->ts_us &&
			    e->h.ts_us - s->ts_us <= ALERTS_SELECT_WINDOW_US)
				continue;
		}
		rule_alert(&e->h, r, "dnp3", m->func, r->sub, true, m->link_dst,
		    "");
	}
}

/* ------------------------------------------------------------------------
 * Zones
 * --------------------------------------------------------------------- */

static const char *l4_name(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 || p == 58 ? "icmp" :
	    "ip";
}

/* True if the flow was judged already; marks it. */
static bool flow_judged(uint64_t flow_id, bool forget)
{
	uint64_t *c = &tl.judged[flow_hash64(&flow_id, sizeof(flow_id), 0x6a) &
	    (ALERTS_FLOW_CACHE - 1)];
	bool seen = *c == flow_id;

	if (!forget)
		*c = flow_id;
	else if (seen)
		*c = 0;		/* (not another flow's entry) */
	return seen;
}

/* 'last': the flow's final record (its cache entry is freed). */
static void zone_policy(const struct ev_hdr *h, bool last)
{
	const struct flow_key *k = &h->key;
	int zs, zd;
	bool ports = k->proto == 6 || k->proto == 17;
	uint16_t port = ports ? k->dport : 0;
	struct alert_in in;

	if (flow_judged(h->flow_id, last))
		return;
	zs = zones_lookup(k->family, k->src);
	zd = zones_lookup(k->family, k->dst);
	if (zs == ZONE_NONE && zd == ZONE_NONE)
		return;
	memset(&in, 0, sizeof(in));
	in.category = "policy";
	in.protocol = h->app_proto ? h->app_proto : l4_name(k->proto);
	if (ports)
		snprintf(in.detail, sizeof(in.detail), "%s/%u", l4_name(k->proto),
		    port);
	else
		snprintf(in.detail, sizeof(in.detail), "%s", l4_name(k->proto));
	if ((zones_is_ot(zs) && zd == ZONE_NONE &&
	    zones_addr_is_public(k->family, k->dst)) ||
	    (zones_is_ot(zd) && zs == ZONE_NONE &&
	    zones_addr_is_public(k->family, k->src))) {
		in.signature = "ot.zone.ot_to_public";
		in.severity = 3;
		snprintf(in.message, sizeof(in.message), "{src} talked to {dst} "
		    "over %s: traffic between an OT zone and a public address.",
		    in.detail);
		alerts_raise(h, &in);
		return;
	}
	if (zs == ZONE_NONE || zd == ZONE_NONE ||
	    zones_allowed(zs, zd, k->proto, port))
		return;
	in.signature = "ot.zone.not_allowed";
	in.severity = 2;
	snprintf(in.message, sizeof(in.message), "{src} opened %s to {dst}, a "
	    "conversation from zone %s to zone %s that no allow rule permits.",
	    in.detail, zones_name(zs), zones_name(zd));
	alerts_raise(h, &in);
}

static void observe_flow(const struct ev_flow *e)
{
	const struct flow_key *k = &e->h.key;
	const struct eng_rule *r = eng_match_app(e->ndpi_proto);
	struct alert_in in;

	if (r == NULL)
		r = eng_match_app(e->ndpi_master);
	if (r == NULL || !e->h.has_key)
		return;
	if (!zones_is_ot(zones_lookup(k->family, k->dst)) &&
	    !assets_is_ot_device(k->family, k->dst))
		return;
	memset(&in, 0, sizeof(in));
	in.signature = r->signature;
	in.category = eng_class_name(r->cls);
	in.severity = r->severity;
	in.protocol = r->app;
	snprintf(in.detail, sizeof(in.detail), "%s %s/%u", r->app,
	    l4_name(k->proto), k->dport);
	snprintf(in.message, sizeof(in.message), "{src} opened %s to {dst}, "
	    "an OT device or zone (%s).", r->desc, in.detail);
	alerts_raise(&e->h, &in);
}

void alerts_observe(const struct ev_hdr *ev)
{
	const struct ev_flow *fl;
	bool last = false;

	switch (ev->type) {
	case EV_MODBUS:
		observe_modbus((const struct ev_modbus *)ev);
		break;
	case EV_DNP3:
		observe_dnp3((const struct ev_dnp3 *)ev);
		break;
	case EV_FLOW:
		fl = (const struct ev_flow *)ev;
		if (fl->started) {
			/* judged from its interim record already */
			(void)flow_judged(ev->flow_id, true);
			return;
		}
		if (ev_flow_tcp_try(fl)) {
			/* a try, not a conversation (nDPI named it from the
			 * port at best): ot/scan.c counts it */
			(void)flow_judged(ev->flow_id, true);
			return;
		}
		observe_flow(fl);
		last = !fl->interim;
		break;
	case EV_HTTP:
	case EV_DNS:
	case EV_SMTP:
		break;
	default:
		return;
	}
	if (ev->has_key && ev->flow_id && zones_count() > 0)
		zone_policy(ev, last);
}
