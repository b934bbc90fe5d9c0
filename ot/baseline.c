/*
 * baseline.c - the learned baseline (see baseline.h for what is learned
 * and when it alerts).
 *
 * clang-format off
 *
 *   out_emit(ev_flow | ev_modbus | ev_dnp3)
 *     -> baseline_observe(): under bl_tab.lock, note devices, the edge, its
 *        functions and write ranges, polling times; collect alerts
 *     -> alerts_raise() for each collected alert, after the unlock
 *   tick(now) -> baseline_tick(): silence checks of this worker's edges
 *
 * clang-format on
 *
 * Three open-addressing tables (linear probing, no deletion), kept at most
 * BL_FILL full so probes stay short: devices by address, edges by
 * (family, client, server, proto, port, which end is public), facts by
 * (edge index, kind, unit, master, code).  A list of the edges that carry
 * Modbus/DNP3 (bl_tab.ot_edges) is what the silence check walks.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../flows/flow_table.h"
#include "alerts.h"
#include "baseline_int.h"
#include "zones.h"

struct bl_pend {
	struct ev_hdr h;
	struct alert_in in;
};

struct bl_pends {
	unsigned n;
	struct bl_pend p[BL_PEND];
};

/*
 * New devices wait BL_NEWDEV_HOLD of capture time before they are reported,
 * so that the alert names the earliest peer (lowest time, then lowest
 * address) of all the events seen meanwhile, whichever worker saw them:
 * with several workers one device's conversations land on different
 * workers, and the first one processed is not the first one in time.
 */
#define BL_NEWDEV 256
#define BL_NEWDEV_HOLD (60ULL * 1000000)

struct bl_newdev {
	uint32_t dev;			/* index in bl_tab.dev */
	struct ev_hdr h;		/* the earliest event so far */
	uint8_t peer[16];
};

static struct bl_newdev bl_newdev[BL_NEWDEV];	/* under bl_tab.lock */
static unsigned bl_nnew;

struct bl_tab bl_tab = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.period_us = BL_DEFAULT_PERIOD, .nworkers = 1 };

static _Thread_local int bl_worker;
static _Thread_local uint64_t bl_next_check;

/*
 * Per-thread cache of what a flow's Modbus/DNP3 transactions resolved to:
 * its edge, whether both of its devices were noted, and its facts, so a
 * polling connection does not hash and probe the tables on every
 * transaction.  Entries are indices, valid while bl_tab.gen is unchanged
 * (the tables never delete; a reset or a state load bumps gen).
 */
#define BL_CACHE 512		/* power of two */
#define BL_CACHE_FACTS 6
#define BL_NO_DEV (-1)		/* not a device, or the table is full */
#define BL_DEV_UNSEEN (-2)

struct bl_cache {
	uint64_t flow_id;
	uint32_t gen;
	int32_t edge;
	int32_t dev[2];		/* client, server: slot, BL_NO_DEV, or
				   BL_DEV_UNSEEN (not noted yet) */
	uint8_t nfacts, next;
	uint64_t fkey[BL_CACHE_FACTS];
	int32_t fidx[BL_CACHE_FACTS];
};

static _Thread_local struct bl_cache bl_cache[BL_CACHE];

/* The cache entry of a flow (reset when it held another flow). */
static struct bl_cache *cache_get(uint64_t flow_id)
{
	struct bl_cache *c = &bl_cache[(flow_id ^ (flow_id >> 17)) &
	    (BL_CACHE - 1)];

	if (c->flow_id != flow_id || c->gen != bl_tab.gen) {
		memset(c, 0, sizeof(*c));
		c->flow_id = flow_id;
		c->gen = bl_tab.gen;
		c->edge = -1;
		c->dev[0] = c->dev[1] = BL_DEV_UNSEEN;
	}
	return c;
}

void baseline_set_period(uint64_t us)
{
	bl_tab.period_us = us ? us : BL_DEFAULT_PERIOD;
}

void baseline_set_workers(int n)
{
	bl_tab.nworkers = n > 0 ? (n < BL_WORKERS ? n : BL_WORKERS) : 1;
	memset(bl_tab.wtick, 0, sizeof(bl_tab.wtick));
}

void baseline_capture_start(uint64_t ts_us)
{
	pthread_mutex_lock(&bl_tab.lock);
	if (!bl_tab.learn_start_us)
		bl_tab.learn_start_us = ts_us;
	if (!bl_tab.resume_us)
		bl_tab.resume_us = ts_us;
	pthread_mutex_unlock(&bl_tab.lock);
}

void baseline_thread_init(int worker)
{
	bl_worker = worker;
	bl_next_check = 0;
}

void baseline_reset(void)
{
	uint64_t period = bl_tab.period_us;

	pthread_mutex_lock(&bl_tab.lock);
	bl_tab.learn_start_us = bl_tab.last_us = bl_tab.resume_us = bl_tab.last_tick_us = 0;
	bl_tab.forced = false;
	bl_tab.full_drops = 0;
	bl_tab.ndev = bl_tab.nedge = bl_tab.nfact = bl_tab.not = 0;
	bl_tab.gen++;
	bl_nnew = 0;
	memset(bl_tab.wtick, 0, sizeof(bl_tab.wtick));
	memset(bl_tab.dev, 0, sizeof(bl_tab.dev));
	memset(bl_tab.edge, 0, sizeof(bl_tab.edge));
	memset(bl_tab.fact, 0, sizeof(bl_tab.fact));
	bl_tab.period_us = period;
	pthread_mutex_unlock(&bl_tab.lock);
	bl_next_check = 0;
}

/* ------------------------------------------------------------------------
 * Addresses and text
 * --------------------------------------------------------------------- */

int bl_alen(int family)
{
	return family == 6 ? 16 : 4;
}

/* A device address: local (not public), unicast, not unspecified/loopback. */
static bool is_device(int family, const uint8_t *ip)
{
	static const uint8_t zero[16];

	if (zones_addr_is_public(family, ip))
		return false;
	if (family == 4)
		return ip[0] != 0 && ip[0] != 127 && ip[0] < 224;
	if (ip[0] == 0xff || memcmp(ip, zero, 16) == 0)
		return false;
	return !(memcmp(ip, zero, 15) == 0 && ip[15] == 1);
}

void bl_ip_text(int family, const uint8_t *ip, char *b, size_t n)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, b, (socklen_t)n))
		snprintf(b, n, "?");
}

const char *bl_proto_text(uint8_t p, char *b, size_t n)
{
	if (p == 6)
		return "tcp";
	if (p == 17)
		return "udp";
	if (p == 1 || p == 58)
		return "icmp";
	snprintf(b, n, "ip%u", p);
	return b;
}

bool bl_has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 132;
}

bool bl_known(uint8_t status)
{
	return status == BASELINE_LEARNED || status == BASELINE_ACCEPTED;
}

/* ------------------------------------------------------------------------
 * Tables (caller holds bl_tab.lock)
 * --------------------------------------------------------------------- */

static uint64_t dev_hash(int family, const uint8_t *ip)
{
	uint8_t f = (uint8_t)family;

	return flow_hash64(ip, 16, flow_hash64(&f, 1, 0x626c6476));
}

/* Index of the device, or of the free slot for it (*found false); -1 full. */
long bl_dev_slot(int family, const uint8_t *ip, bool *found)
{
	uint64_t h = dev_hash(family, ip);

	for (uint32_t j = 0; j < BASELINE_DEVICES; j++) {
		uint32_t i = (uint32_t)(h + j) & (BASELINE_DEVICES - 1);
		struct bl_device *d = &bl_tab.dev[i];

		if (!d->used) {
			*found = false;
			return bl_tab.ndev < BL_FILL(BASELINE_DEVICES) ? (long)i : -1;
		}
		if (d->family == family && memcmp(d->ip, ip, 16) == 0) {
			*found = true;
			return (long)i;
		}
	}
	*found = false;
	return -1;
}

uint64_t bl_edge_hash(const struct bl_edge *k)
{
	uint8_t b[6] = { k->family, k->proto, k->pub, 0, (uint8_t)(k->port >> 8),
		(uint8_t)k->port };
	uint64_t h = flow_hash64(b, sizeof(b), 0x626c6564);

	h = flow_hash64(k->client, 16, h);
	return flow_hash64(k->server, 16, h);
}

static bool edge_eq(const struct bl_edge *a, const struct bl_edge *k)
{
	return a->family == k->family && a->proto == k->proto &&
	    a->pub == k->pub && a->port == k->port &&
	    memcmp(a->client, k->client, 16) == 0 &&
	    memcmp(a->server, k->server, 16) == 0;
}

long bl_edge_slot(const struct bl_edge *k, bool *found)
{
	uint64_t h = bl_edge_hash(k);

	for (uint32_t j = 0; j < BASELINE_EDGES; j++) {
		uint32_t i = (uint32_t)(h + j) & (BASELINE_EDGES - 1);
		struct bl_edge *e = &bl_tab.edge[i];

		if (!e->used) {
			*found = false;
			return bl_tab.nedge < BL_FILL(BASELINE_EDGES) ? (long)i : -1;
		}
		if (edge_eq(e, k)) {
			*found = true;
			return (long)i;
		}
	}
	*found = false;
	return -1;
}

static uint64_t fact_hash(uint32_t edge, uint8_t kind, uint16_t unit,
    uint16_t master, uint8_t code)
{
	uint8_t b[10] = { (uint8_t)(edge >> 24), (uint8_t)(edge >> 16),
		(uint8_t)(edge >> 8), (uint8_t)edge, kind, (uint8_t)(unit >> 8),
		(uint8_t)unit, (uint8_t)(master >> 8), (uint8_t)master, code };

	return flow_hash64(b, sizeof(b), 0x626c6661);
}

long bl_fact_slot(uint32_t edge, uint8_t kind, uint16_t unit,
    uint16_t master, uint8_t code, bool *found)
{
	uint64_t h = fact_hash(edge, kind, unit, master, code);

	for (uint32_t j = 0; j < BASELINE_FACTS; j++) {
		uint32_t i = (uint32_t)(h + j) & (BASELINE_FACTS - 1);
		struct bl_fact *f = &bl_tab.fact[i];

		if (!f->used) {
			*found = false;
			return bl_tab.nfact < BL_FILL(BASELINE_FACTS) ? (long)i : -1;
		}
		if (f->edge == edge && f->kind == kind && f->unit == unit &&
		    f->master == master && f->code == code) {
			*found = true;
			return (long)i;
		}
	}
	*found = false;
	return -1;
}

void bl_ot_edge_add(uint32_t i)
{
	struct bl_edge *e = &bl_tab.edge[i];

	if (e->ot)
		return;
	if (bl_tab.not >= BL_OT_EDGES) {
		bl_tab.full_drops++;
		return;
	}
	e->ot = true;
	bl_tab.ot_edges[bl_tab.not++] = i;
}

/* ------------------------------------------------------------------------
 * Mode
 * --------------------------------------------------------------------- */

bool bl_enforcing_at(uint64_t ts)
{
	return bl_tab.forced ||
	    (bl_tab.learn_start_us && ts >= bl_tab.learn_start_us + bl_tab.period_us);
}

/* Notes an event time; returns the mode for it. */
static bool note_time(uint64_t ts)
{
	if (!bl_tab.learn_start_us)
		bl_tab.learn_start_us = ts;
	if (ts > bl_tab.last_us)
		bl_tab.last_us = ts;
	if (!bl_tab.resume_us)
		bl_tab.resume_us = ts;
	return bl_enforcing_at(ts);
}

/* ------------------------------------------------------------------------
 * Alerts
 * --------------------------------------------------------------------- */

__attribute__((format(printf, 9, 10)))
static struct alert_in *pend(struct bl_pends *ps, const struct ev_hdr *h,
    const char *sig, const char *cat, int family, const uint8_t *src,
    const uint8_t *dst, const char *detail, const char *fmt, ...)
{
	struct bl_pend *p;
	va_list ap;

	if (ps->n >= BL_PEND)
		return NULL;
	p = &ps->p[ps->n++];
	memset(&p->in, 0, sizeof(p->in));
	p->h = *h;
	p->in.signature = sig;
	p->in.category = cat;
	p->in.severity = 2;
	p->in.family = (uint8_t)family;
	memcpy(p->in.src, src, 16);
	memcpy(p->in.dst, dst, 16);
	snprintf(p->in.detail, sizeof(p->in.detail), "%s", detail);
	va_start(ap, fmt);
	vsnprintf(p->in.message, sizeof(p->in.message), fmt, ap);
	va_end(ap);
	return &p->in;
}

static void raise_all(const struct bl_pends *ps)
{
	for (unsigned i = 0; i < ps->n; i++)
		alerts_raise(&ps->p[i].h, &ps->p[i].in);
}

static const char *app_static(const char *app)
{
	if (strcmp(app, "modbus") == 0)
		return "modbus";
	if (strcmp(app, "dnp3") == 0)
		return "dnp3";
	return NULL;
}

/* ------------------------------------------------------------------------
 * Learning and checking
 * --------------------------------------------------------------------- */

static void new_device_alert(struct bl_pends *ps, const struct ev_hdr *h,
    int family, const uint8_t *ip, const uint8_t *peer, bool full)
{
	if (full)
		pend(ps, h, "ot.baseline.new_device", "baseline", family, ip,
		    peer, "", "{src} appeared on the network, first seen "
		    "talking to {dst}; it is not in the baseline (the device "
		    "table is full).");
	else
		pend(ps, h, "ot.baseline.new_device", "baseline", family, ip,
		    peer, "", "{src} appeared on the network, first seen "
		    "talking to {dst}; it was not seen while learning.");
}

/* True when (ts, peer) comes before the held event of n. */
static bool newdev_earlier(const struct bl_newdev *n, uint64_t ts,
    const uint8_t *peer)
{
	if (ts != n->h.ts_us)
		return ts < n->h.ts_us;
	return memcmp(peer, n->peer, 16) < 0;
}

static void newdev_hold(struct bl_pends *ps, const struct ev_hdr *h,
    long i, const uint8_t *peer)
{
	struct bl_device *d = &bl_tab.dev[i];
	struct bl_newdev *n;

	if (d->newdev) {
		n = &bl_newdev[d->newdev - 1];
		if (newdev_earlier(n, h->ts_us, peer)) {
			n->h = *h;
			memcpy(n->peer, peer, 16);
		}
		return;
	}
	if (bl_nnew >= BL_NEWDEV) {	/* too many at once: report now */
		new_device_alert(ps, h, d->family, d->ip, peer, false);
		return;
	}
	n = &bl_newdev[bl_nnew++];
	n->dev = (uint32_t)i;
	n->h = *h;
	memcpy(n->peer, peer, 16);
	d->newdev = (uint16_t)bl_nnew;
}

/*
 * Reports the held new devices whose earliest event is older than
 * BL_NEWDEV_HOLD at 'now' (all of them when 'all'), as many as fit in ps;
 * caller holds the lock.
 */
static void newdev_release(struct bl_pends *ps, uint64_t now, bool all)
{
	unsigned j = 0;

	while (j < bl_nnew && ps->n < BL_PEND) {
		struct bl_newdev *n = &bl_newdev[j];
		struct bl_device *d = &bl_tab.dev[n->dev];

		if (!all && now < n->h.ts_us + BL_NEWDEV_HOLD) {
			j++;
			continue;
		}
		if (d->status == BASELINE_NEW)	/* not accepted meanwhile */
			new_device_alert(ps, &n->h, d->family, d->ip, n->peer,
			    false);
		d->newdev = 0;
		if (j != --bl_nnew) {
			*n = bl_newdev[bl_nnew];
			bl_tab.dev[n->dev].newdev = (uint16_t)(j + 1);
		}
	}
}

/*
 * Notes a device seen in an event with a peer; returns its slot, or
 * BL_NO_DEV when it is not a device or the table is full.
 */
static long device_note(struct bl_pends *ps, const struct ev_hdr *h,
    bool enf, int family, const uint8_t *ip, const uint8_t *peer)
{
	bool found;
	long i;
	struct bl_device *d;

	if (!is_device(family, ip))
		return BL_NO_DEV;
	i = bl_dev_slot(family, ip, &found);
	if (i < 0) {
		bl_tab.full_drops++;
		if (enf)	/* not remembered: alerts.c aggregates the repeats */
			new_device_alert(ps, h, family, ip, peer, true);
		return BL_NO_DEV;
	}
	d = &bl_tab.dev[i];
	if (found) {
		if (h->ts_us > d->last_us)
			d->last_us = h->ts_us;
		if (h->ts_us < d->first_us)
			d->first_us = h->ts_us;
		if (d->newdev)
			newdev_hold(ps, h, i, peer);
		return i;
	}
	d->used = 1;
	d->family = (uint8_t)family;
	memcpy(d->ip, ip, 16);
	d->first_us = d->last_us = h->ts_us;
	d->status = enf ? BASELINE_NEW : BASELINE_LEARNED;
	bl_tab.ndev++;
	if (enf)
		newdev_hold(ps, h, i, peer);
	return i;
}

/*
 * device_note() through the flow cache: side 0 client, 1 server.  A
 * device already noted for this flow only has its last-seen time moved.
 */
static void device_note_cached(struct bl_pends *ps, struct bl_cache *cc,
    int side, const struct ev_hdr *h, bool enf, const uint8_t *ip,
    const uint8_t *peer)
{
	int32_t i = cc->dev[side];

	if (i == BL_DEV_UNSEEN) {
		cc->dev[side] = (int32_t)device_note(ps, h, enf, h->key.family,
		    ip, peer);
		return;
	}
	if (i >= 0 && h->ts_us > bl_tab.dev[i].last_us)
		bl_tab.dev[i].last_us = h->ts_us;
}

/*
 * Notes the edge of an event (client = flow originator).  Returns its
 * index (or -1 when the table is full and it is not known); *is_new: the
 * edge has status new.
 */
static long edge_note(struct bl_pends *ps, const struct ev_hdr *h, bool enf,
    const char *app, long hint, bool *is_new)
{
	const struct flow_key *k = &h->key;
	struct bl_edge key, *e;
	bool cpub = zones_addr_is_public(k->family, k->src);
	bool spub = zones_addr_is_public(k->family, k->dst);
	bool found, ports = bl_has_ports(k->proto);
	const uint8_t *peer;
	struct alert_in *in;
	char pb[8], det[48];
	long i;

	*is_new = false;
	if (cpub && spub)
		return -1;		/* transit: not our plant */
	memset(&key, 0, sizeof(key));
	key.family = k->family;
	key.proto = k->proto;
	key.port = ports ? k->dport : 0;
	key.pub = spub ? BL_PUB_SERVER : cpub ? BL_PUB_CLIENT : BL_PUB_NONE;
	if (!cpub)
		memcpy(key.client, k->src, (size_t)bl_alen(k->family));
	if (!spub)
		memcpy(key.server, k->dst, (size_t)bl_alen(k->family));
	peer = spub ? k->dst : cpub ? k->src : NULL;
	if (hint >= 0) {
		i = hint;	/* this flow's edge, from the cache */
		found = true;
	} else {
		i = bl_edge_slot(&key, &found);
	}
	if (i >= 0 && !found) {
		e = &bl_tab.edge[i];
		*e = key;
		e->used = 1;
		e->status = enf ? BASELINE_NEW : BASELINE_LEARNED;
		e->first_us = e->last_us = h->ts_us;
		if (peer)
			memcpy(e->peer, peer, 16);
		bl_tab.nedge++;
	} else if (i < 0) {
		bl_tab.full_drops++;
		if (!enf)
			return -1;
		e = &key;	/* unknown: alert, aggregated by alerts.c */
		e->status = BASELINE_NEW;
		if (peer)
			memcpy(e->peer, peer, 16);
		found = false;
	} else {
		e = &bl_tab.edge[i];
		if (h->ts_us > e->last_us)
			e->last_us = h->ts_us;
	}
	e->events++;
	if (app && !e->app[0])
		snprintf(e->app, sizeof(e->app), "%s", app);
	if (e->status != BASELINE_NEW)
		return i;
	*is_new = true;
	if (!enf)
		return i;
	/* a public end: only the first public address seen names the alert */
	if (peer && memcmp(peer, e->peer, 16) != 0)
		return i;
	if (ports)
		snprintf(det, sizeof(det), "%s/%u", bl_proto_text(k->proto, pb,
		    sizeof(pb)), k->dport);
	else
		snprintf(det, sizeof(det), "%s", bl_proto_text(k->proto, pb,
		    sizeof(pb)));
	if (peer)
		in = pend(ps, h, "ot.baseline.new_edge", "baseline", k->family, k->src,
		    k->dst, det, "{src} talked to {dst} over %s%s%s%s; while "
		    "learning, %s never talked to a public address that way.",
		    det, app ? " (" : "", app ? app : "", app ? ")" : "",
		    cpub ? "the server" : "the client");
	else
		in = pend(ps, h, "ot.baseline.new_edge", "baseline", k->family,
		    k->src, k->dst, det, "{src} opened %s%s%s%s to {dst}, a "
		    "conversation not seen while learning.", det, app ? " (" : "",
		    app ? app : "", app ? ")" : "");
	if (in)
		in->protocol = app && app_static(app) ? app_static(app) :
		    k->proto == 6 ? "tcp" : k->proto == 17 ? "udp" :
		    k->proto == 1 || k->proto == 58 ? "icmp" : "ip";
	return i;
}

/* Polling times of an OT edge. */
static void poll_note(long i, bool enf, bool req, bool resp, uint64_t ts)
{
	struct bl_edge *e;

	if (i < 0)
		return;
	e = &bl_tab.edge[i];
	bl_ot_edge_add((uint32_t)i);
	if (req) {
		bool learn = !enf || e->gaps < BASELINE_MIN_GAPS;

		if (e->last_req_us && e->last_req_us >= bl_tab.resume_us &&
		    ts > e->last_req_us && learn) {
			uint64_t gap = ts - e->last_req_us;

			if (gap > BASELINE_GAP_MAX)
				e->irregular = true;
			else {
				e->gaps++;
				if (gap > e->peak_us)
					e->peak_us = gap;
			}
		}
		if (ts > e->last_req_us)
			e->last_req_us = ts;
		if (e->silent == BL_SILENT_POLL)
			e->silent = BL_SILENT_NO;
	}
	if (resp) {
		if (ts > e->last_resp_us)
			e->last_resp_us = ts;
		if (e->silent == BL_SILENT_ANSWER)
			e->silent = BL_SILENT_NO;
	}
}

/* Range [lo, hi] fully inside the known ranges of f. */
static bool range_known(const struct bl_fact *f, uint16_t lo, uint16_t hi)
{
	uint32_t at = lo;

	/* ranges of one status never overlap; walk up from lo */
	for (bool moved = true; moved && at <= hi;) {
		moved = false;
		for (unsigned r = 0; r < f->nranges; r++) {
			const struct bl_range *g = &f->ranges[r];

			if (bl_known(g->status) && g->lo <= at && g->hi >= at) {
				at = (uint32_t)g->hi + 1;
				moved = true;
			}
		}
	}
	return at > hi;
}

/* Adds [lo, hi] with 'status', merging with touching ranges of that status. */
void bl_range_add(struct bl_fact *f, uint16_t lo, uint16_t hi,
    uint8_t status)
{
	struct bl_range r[BASELINE_RANGES + 1];
	unsigned n = 0;
	bool merged = true;

	for (unsigned i = 0; i < f->nranges && i < BASELINE_RANGES; i++)
		r[n++] = f->ranges[i];
	r[n].lo = lo;
	r[n].hi = hi;
	r[n].status = status;
	n++;
	/* merge touching or overlapping ranges of one status */
	while (merged) {
		merged = false;
		for (unsigned a = 0; a < n && !merged; a++)
			for (unsigned b = a + 1; b < n && !merged; b++) {
				struct bl_range *x = &r[a], *y = &r[b];

				if (x->status != y->status ||
				    (uint32_t)x->hi + 1 < y->lo ||
				    (uint32_t)y->hi + 1 < x->lo)
					continue;
				if (y->lo < x->lo)
					x->lo = y->lo;
				if (y->hi > x->hi)
					x->hi = y->hi;
				r[b] = r[--n];
				merged = true;
			}
	}
	/* too many: merge the two closest of one status, the new one included */
	while (n > BASELINE_RANGES) {
		unsigned ba = 0, bb = 0;
		uint32_t best = UINT32_MAX;

		for (unsigned a = 0; a < n; a++)
			for (unsigned b = 0; b < n; b++)
				if (a != b && r[a].status == r[b].status &&
				    r[a].hi < r[b].lo &&
				    (uint32_t)(r[b].lo - r[a].hi) < best) {
					best = (uint32_t)(r[b].lo - r[a].hi);
					ba = a;
					bb = b;
				}
		if (best == UINT32_MAX) {
			/* all of different statuses: the new range is not kept */
			bl_tab.full_drops++;
			n--;
			break;
		}
		r[ba].hi = r[bb].hi;
		r[bb] = r[--n];
	}
	memcpy(f->ranges, r, n * sizeof(r[0]));
	f->nranges = (uint8_t)n;
}

/*
 * Notes a fact; returns it (or NULL when the table is full).  *created:
 * it did not exist.
 */
static struct bl_fact *fact_note(struct bl_cache *c, long edge,
    bool edge_new, bool enf, uint8_t kind, uint16_t unit, uint16_t master,
    uint8_t code, uint64_t ts, bool *created)
{
	uint64_t ck = (uint64_t)kind << 40 | (uint64_t)code << 32 |
	    (uint64_t)unit << 16 | master;
	bool found = false;
	long i = -1;
	struct bl_fact *f;

	*created = false;
	if (edge < 0)
		return NULL;
	for (unsigned j = 0; j < c->nfacts; j++)
		if (c->fkey[j] == ck) {
			i = c->fidx[j];
			found = true;
			break;
		}
	if (!found) {
		i = bl_fact_slot((uint32_t)edge, kind, unit, master, code, &found);
		if (i >= 0) {
			unsigned j = c->nfacts < BL_CACHE_FACTS ? c->nfacts++ :
			    c->next++ % BL_CACHE_FACTS;

			c->fkey[j] = ck;
			c->fidx[j] = (int32_t)i;
		}
	}
	if (i < 0) {
		bl_tab.full_drops++;
		return NULL;
	}
	f = &bl_tab.fact[i];
	if (!found) {
		memset(f, 0, sizeof(*f));
		f->used = 1;
		f->edge = (uint32_t)edge;
		f->kind = kind;
		f->unit = unit;
		f->master = master;
		f->code = code;
		f->status = enf || edge_new ? BASELINE_NEW : BASELINE_LEARNED;
		f->first_us = ts;
		bl_tab.nfact++;
		*created = true;
	}
	if (ts > f->last_us)
		f->last_us = ts;
	f->count++;
	return f;
}

/* The table and address range a Modbus request writes; false if none. */
static bool modbus_write_range(const struct ev_modbus *m, uint8_t *table,
    uint16_t *lo, uint16_t *hi)
{
	uint32_t a, q = 1;

	switch (m->fc & 0x7F) {
	case 5:
	case 15:
		*table = BL_TABLE_COILS;
		break;
	case 6:
	case 16:
	case 22:
	case 23:
		*table = BL_TABLE_HOLDING;
		break;
	default:
		return false;
	}
	if ((m->fc & 0x7F) == 23) {
		if (!m->has_write)
			return false;
		a = m->write_address;
		q = m->write_quantity;
	} else {
		if (!m->has_address)
			return false;
		a = m->address;
		if ((m->fc == 15 || m->fc == 16) && m->has_quantity)
			q = m->quantity;
	}
	if (q == 0)
		q = 1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)(a + q - 1 > 0xFFFF ? 0xFFFF : a + q - 1);
	return true;
}

static void observe_modbus(struct bl_pends *ps, const struct ev_modbus *m)
{
	const struct ev_hdr *h = &m->h;
	const uint8_t *c = h->key.src, *s = h->key.dst;
	bool enf = note_time(h->ts_us), edge_new, created;
	uint8_t fc = m->fc & 0x7F, table;
	uint16_t lo, hi;
	struct bl_fact *f, *w;
	long ei;
	char det[64];
	const char *fname;

	struct bl_cache *cc = cache_get(h->flow_id);

	if (m->has_request)
		device_note_cached(ps, cc, 0, h, enf, c, s);
	if (m->has_response)
		device_note_cached(ps, cc, 1, h, enf, s, c);
	ei = edge_note(ps, h, enf, "modbus", cc->edge, &edge_new);
	cc->edge = (int32_t)ei;
	poll_note(ei, enf, m->has_request, m->has_response, h->ts_us);
	if (!m->has_request || m->request_lost)
		return;
	f = fact_note(cc, ei, edge_new, enf, BL_FACT_MODBUS_FC, m->unit, 0, fc,
	    h->ts_us, &created);
	if (f && enf && !edge_new && f->status == BASELINE_NEW) {
		struct alert_in *in;

		fname = modbus_func_name(fc);
		snprintf(det, sizeof(det), "unit %u FC %u", m->unit, fc);
		in = pend(ps, h, "ot.baseline.new_function", "baseline",
		    h->key.family, c, s, det, "{src} sent Modbus function %u "
		    "(%s) to {dst}, unit %u, a function it did not use there "
		    "while learning.", fc, fname ? fname : "unknown", m->unit);
		if (in) {
			in->protocol = "modbus";
			in->has_function = in->has_unit = true;
			in->function = fc;
			in->unit = m->unit;
		}
	}
	if (!modbus_write_range(m, &table, &lo, &hi))
		return;
	w = fact_note(cc, ei, edge_new, enf, BL_FACT_MODBUS_WRITE, m->unit, 0,
	    table, h->ts_us, &created);
	if (!w || range_known(w, lo, hi))
		return;
	bl_range_add(w, lo, hi, enf || edge_new ? BASELINE_NEW : BASELINE_LEARNED);
	if (enf && !edge_new && f && f->status != BASELINE_NEW) {
		struct alert_in *in;
		const char *tn = table == BL_TABLE_COILS ? "coils" :
		    "holding registers";

		snprintf(det, sizeof(det), "unit %u %s", m->unit, tn);
		in = pend(ps, h, "ot.baseline.new_write_range", "baseline",
		    h->key.family, c, s, det, "{src} wrote %s %u-%u on {dst}, "
		    "unit %u (FC %u), outside every range written while "
		    "learning.", tn, lo, hi, m->unit, fc);
		if (in) {
			in->protocol = "modbus";
			in->has_function = in->has_unit = true;
			in->function = fc;
			in->unit = m->unit;
		}
	}
}

static void observe_dnp3(struct bl_pends *ps, const struct ev_dnp3 *d)
{
	const struct ev_hdr *h = &d->h;
	const uint8_t *c = h->key.src, *s = h->key.dst;
	bool enf = note_time(h->ts_us), edge_new, created;
	bool req = d->req.present, resp = d->resp.present;
	struct bl_fact *f;
	long ei;

	struct bl_cache *cc = cache_get(h->flow_id);
	bool rev = h->dir == DIR_TO_CLIENT;

	/* the request's sender asked; whoever answered is alive */
	if (req)
		device_note_cached(ps, cc, rev ? 1 : 0, h, enf, rev ? s : c,
		    rev ? c : s);
	if (resp)
		device_note_cached(ps, cc, rev ? 0 : 1, h, enf, rev ? c : s,
		    rev ? s : c);
	ei = edge_note(ps, h, enf, "dnp3", cc->edge, &edge_new);
	cc->edge = (int32_t)ei;
	poll_note(ei, enf, req, resp, h->ts_us);
	if (!req)
		return;
	f = fact_note(cc, ei, edge_new, enf, BL_FACT_DNP3_FC, d->req.link_dst,
	    d->req.link_src, d->req.func, h->ts_us, &created);
	if (f && enf && !edge_new && f->status == BASELINE_NEW) {
		struct alert_in *in;
		const char *fname = dnp3_func_name(d->req.func);
		char det[64];

		snprintf(det, sizeof(det), "outstation %u master %u FC %u",
		    d->req.link_dst, d->req.link_src, d->req.func);
		in = pend(ps, h, "ot.baseline.new_function", "baseline",
		    h->key.family, h->dir == DIR_TO_CLIENT ? s : c,
		    h->dir == DIR_TO_CLIENT ? c : s, det, "{src} sent DNP3 "
		    "function %u (%s) to {dst}, outstation %u, a function that "
		    "master %u did not use there while learning.", d->req.func,
		    fname ? fname : "unknown", d->req.link_dst, d->req.link_src);
		if (in) {
			in->protocol = "dnp3";
			in->has_function = in->has_unit = true;
			in->function = d->req.func;
			in->unit = d->req.link_dst;
		}
	}
}

static void observe_flow(struct bl_pends *ps, const struct ev_flow *fl)
{
	const struct ev_hdr *h = &fl->h;
	bool enf = note_time(h->ts_us), edge_new;
	bool answered = fl->pkts[DIR_TO_CLIENT] > 0;
	const char *app = h->app_proto ? h->app_proto :
	    fl->ndpi_proto && strcmp(fl->ndpi_proto, "Unknown") != 0 ?
	    fl->ndpi_proto : NULL;

	device_note(ps, h, enf, h->key.family, h->key.src, h->key.dst);
	if (answered)
		device_note(ps, h, enf, h->key.family, h->key.dst, h->key.src);
	/* TCP without an answer, or refused (REJ), is a try, not an edge
	 * (ot/scan.c counts those); started: its interim record counted it */
	if (ev_flow_tcp_try(fl) || fl->started)
		return;
	(void)edge_note(ps, h, enf, app, -1, &edge_new);
}

void baseline_observe(const struct ev_hdr *ev)
{
	struct bl_pends ps;

	if (!ev->has_key || (ev->type != EV_FLOW && ev->type != EV_MODBUS &&
	    ev->type != EV_DNP3))
		return;
	ps.n = 0;
	pthread_mutex_lock(&bl_tab.lock);
	if (ev->type == EV_FLOW)
		observe_flow(&ps, (const struct ev_flow *)ev);
	else if (ev->type == EV_MODBUS)
		observe_modbus(&ps, (const struct ev_modbus *)ev);
	else
		observe_dnp3(&ps, (const struct ev_dnp3 *)ev);
	pthread_mutex_unlock(&bl_tab.lock);
	raise_all(&ps);
}

/* ------------------------------------------------------------------------
 * Silence
 * --------------------------------------------------------------------- */

uint64_t bl_silence_threshold(const struct bl_edge *e)
{
	uint64_t t = e->peak_us * 3;

	if (t < BASELINE_SILENCE_MIN)
		t = BASELINE_SILENCE_MIN;
	return t > BASELINE_GAP_MAX ? BASELINE_GAP_MAX : t;
}

void bl_fmt_dur(uint64_t us, char *b, size_t n)
{
	uint64_t s = us / 1000000;

	if (s < 600)
		snprintf(b, n, "%" PRIu64 " s", s);
	else if (s < 7200)
		snprintf(b, n, "%" PRIu64 " min", s / 60);
	else
		snprintf(b, n, "%" PRIu64 " h", s / 3600);
}

static void silence_alert(struct bl_pends *ps, struct bl_edge *e,
    uint64_t now, bool polling)
{
	struct ev_hdr h;
	struct alert_in *in;
	char quiet[16], every[16], det[48], pb[8];
	uint64_t since = polling ? e->last_req_us : e->last_resp_us;
	const char *proto = app_static(e->app);
	uint64_t idv[2] = { (uint64_t)(e - bl_tab.edge), since };

	if (since < bl_tab.resume_us)
		since = bl_tab.resume_us;
	memset(&h, 0, sizeof(h));
	h.type = EV_ALERT;
	h.ts_us = now;
	h.has_key = true;
	h.key.family = e->family;
	memcpy(h.key.src, e->client, 16);
	memcpy(h.key.dst, e->server, 16);
	h.key.proto = e->proto;
	h.key.dport = e->port;
	h.app_proto = proto;
	h.event_id = flow_hash64(idv, sizeof(idv), bl_edge_hash(e)) >> 1;
	bl_fmt_dur(now - since, quiet, sizeof(quiet));
	bl_fmt_dur(e->peak_us, every, sizeof(every));
	snprintf(det, sizeof(det), "%s/%u", bl_proto_text(e->proto, pb,
	    sizeof(pb)), e->port);
	if (polling)
		in = pend(ps, &h, "ot.baseline.polling_stopped", "availability",
		    e->family, e->client, e->server, det, "{src} stopped "
		    "polling {dst}: no %s request for %s; while learning it "
		    "asked at least every %s.", proto ? proto : "", quiet, every);
	else
		in = pend(ps, &h, "ot.baseline.device_silent", "availability",
		    e->family, e->client, e->server, det, "{dst} stopped "
		    "answering {src}: no %s answer for %s although it is still "
		    "polled; while learning it was asked at least every %s.",
		    proto ? proto : "", quiet, every);
	if (in)
		in->protocol = proto;
}

/*
 * The worker that checks an edge for silence: the one the offline reader
 * dispatches its packets to (flow_key_hash_pair of its two addresses, as
 * in sensor/pipeline.c), so the check never runs ahead of the edge's own
 * events on a worker that lags.  Live, the kernel's fanout program picks
 * the worker instead; there all workers run in real time.
 */
static int edge_owner(const struct bl_edge *e)
{
	struct flow_key k;

	if (bl_tab.nworkers <= 1)
		return 0;
	memset(&k, 0, sizeof(k));
	k.family = e->family;
	memcpy(k.src, e->pub == BL_PUB_CLIENT ? e->peer : e->client, 16);
	memcpy(k.dst, e->pub == BL_PUB_SERVER ? e->peer : e->server, 16);
	return (int)(flow_key_hash_pair(&k) % (uint64_t)bl_tab.nworkers);
}

/* Checks the polled edges (of this worker, or all); caller holds the lock. */
static void silence_check(struct bl_pends *ps, uint64_t now, bool all)
{
	for (uint32_t j = 0; j < bl_tab.not && ps->n < BL_PEND; j++) {
		struct bl_edge *e = &bl_tab.edge[bl_tab.ot_edges[j]];
		uint64_t thr, req, ans;

		if (!bl_known(e->status) || e->irregular ||
		    e->gaps < BASELINE_MIN_GAPS || !e->last_req_us ||
		    (!all && edge_owner(e) != bl_worker))
			continue;
		if (!bl_enforcing_at(now))
			continue;
		thr = bl_silence_threshold(e);
		req = e->last_req_us > bl_tab.resume_us ? e->last_req_us : bl_tab.resume_us;
		ans = e->last_resp_us > bl_tab.resume_us ? e->last_resp_us :
		    bl_tab.resume_us;
		if (now > req + thr) {
			if (e->silent != BL_SILENT_POLL) {
				silence_alert(ps, e, now, true);
				e->silent = BL_SILENT_POLL;
			}
		} else if (now > ans + thr && e->silent == BL_SILENT_NO) {
			silence_alert(ps, e, now, false);
			e->silent = BL_SILENT_ANSWER;
		}
	}
}

/*
 * The capture time every worker has reached (the lowest last tick): an
 * event a lagging worker has still to report is no older than this.
 */
static uint64_t tick_floor(void)
{
	uint64_t m = bl_tab.wtick[0];

	for (int i = 1; i < bl_tab.nworkers; i++)
		if (bl_tab.wtick[i] < m)
			m = bl_tab.wtick[i];
	return m;
}

void baseline_tick(uint64_t now_us)
{
	struct bl_pends ps;

	ps.n = 0;
	pthread_mutex_lock(&bl_tab.lock);
	if (!bl_tab.resume_us ||
	    (bl_tab.last_tick_us && now_us > bl_tab.last_tick_us + BASELINE_CAPTURE_GAP))
		bl_tab.resume_us = now_us;
	if (now_us > bl_tab.last_tick_us)
		bl_tab.last_tick_us = now_us;
	if (bl_worker >= 0 && bl_worker < bl_tab.nworkers &&
	    now_us > bl_tab.wtick[bl_worker])
		bl_tab.wtick[bl_worker] = now_us;
	if (now_us >= bl_next_check) {
		bl_next_check = now_us + BASELINE_CHECK_US;
		silence_check(&ps, now_us, false);
		newdev_release(&ps, tick_floor(), false);
	}
	pthread_mutex_unlock(&bl_tab.lock);
	raise_all(&ps);
}

void baseline_finish(uint64_t now_us)
{
	struct bl_pends ps;

	ps.n = 0;
	pthread_mutex_lock(&bl_tab.lock);
	if (bl_tab.resume_us && now_us)
		silence_check(&ps, now_us, true);
	pthread_mutex_unlock(&bl_tab.lock);
	raise_all(&ps);
	do {		/* held new devices, BL_PEND at a time */
		ps.n = 0;
		pthread_mutex_lock(&bl_tab.lock);
		newdev_release(&ps, 0, true);
		pthread_mutex_unlock(&bl_tab.lock);
		raise_all(&ps);
	} while (ps.n);
}

void baseline_get_stats(struct baseline_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&bl_tab.lock);
	st->forced = bl_tab.forced;
	st->learn_start_us = bl_tab.learn_start_us;
	st->learn_end_us = bl_tab.learn_start_us ? bl_tab.learn_start_us + bl_tab.period_us :
	    0;
	st->last_us = bl_tab.last_us;
	st->enforcing = bl_tab.last_us ? bl_enforcing_at(bl_tab.last_us) : bl_tab.forced;
	st->devices = bl_tab.ndev;
	st->edges = bl_tab.nedge;
	st->facts = bl_tab.nfact;
	for (uint32_t i = 0; i < BASELINE_DEVICES; i++)
		st->new_devices += bl_tab.dev[i].used &&
		    bl_tab.dev[i].status == BASELINE_NEW;
	for (uint32_t i = 0; i < BASELINE_EDGES; i++)
		st->new_edges += bl_tab.edge[i].used &&
		    bl_tab.edge[i].status == BASELINE_NEW;
	for (uint32_t i = 0; i < BASELINE_FACTS; i++) {
		const struct bl_fact *f = &bl_tab.fact[i];
		bool n = f->used && f->status == BASELINE_NEW;

		for (unsigned r = 0; f->used && r < f->nranges; r++)
			n = n || f->ranges[r].status == BASELINE_NEW;
		st->new_facts += n;
	}
	st->full_drops = bl_tab.full_drops;
	pthread_mutex_unlock(&bl_tab.lock);
}

bool baseline_edge_known(int family, const uint8_t *client,
    const uint8_t *server, uint8_t proto, uint16_t port)
{
	struct bl_edge key;
	bool found, known = false;
	long i;

	if (zones_addr_is_public(family, client) ||
	    zones_addr_is_public(family, server))
		return false;
	memset(&key, 0, sizeof(key));
	key.family = (uint8_t)family;
	key.proto = proto;
	key.port = bl_has_ports(proto) ? port : 0;
	key.pub = BL_PUB_NONE;
	memcpy(key.client, client, (size_t)bl_alen(family));
	memcpy(key.server, server, (size_t)bl_alen(family));
	pthread_mutex_lock(&bl_tab.lock);
	i = bl_edge_slot(&key, &found);
	if (i >= 0 && found)
		known = bl_known(bl_tab.edge[i].status);
	pthread_mutex_unlock(&bl_tab.lock);
	return known;
}

uint64_t baseline_tick_floor(void)
{
	uint64_t m;

	pthread_mutex_lock(&bl_tab.lock);
	m = tick_floor();
	pthread_mutex_unlock(&bl_tab.lock);
	return m;
}
