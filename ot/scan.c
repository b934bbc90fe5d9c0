/*
 * scan.c - address sweeps and port scans from plant hosts (see scan.h).
 *
 * Three fixed tables under one lock: (source, window) entries holding the
 * distinct hosts tried, (source, host, window) entries holding the
 * distinct ports tried, and the last window each source (or source and
 * host) crossed a threshold in, for re-arming.  Lookups probe SCAN_PROBE
 * slots from the key's hash and look at all of them, so a freed slot
 * needs no tombstone.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../flows/flow_table.h"
#include "alerts.h"
#include "baseline.h"
#include "scan.h"
#include "zones.h"

#define SCAN_PROBE 16
#define SCAN_REARMS 4096
#define SCAN_CHECK_US (10ULL * 1000000)		/* judge every 10 s */

enum scan_kind { SCAN_SWEEP, SCAN_PORTS_KIND };

struct scan_entry {
	bool used;
	uint8_t kind, family;
	uint8_t src[16];
	uint8_t dst[16];	/* port scan: the host; sweep: earliest host */
	uint64_t window;	/* capture time / SCAN_WINDOW */
	uint64_t first_us;	/* earliest try */
	uint16_t first_port;	/* port of the earliest try (0: none) */
	uint8_t first_proto;	/* its IP protocol */
	uint16_t n;		/* distinct targets kept */
	bool more;		/* more than SCAN_SET */
	uint32_t set[SCAN_SET];	/* host hashes, or proto << 16 | port */
};

struct scan_rearm {
	bool used;
	uint8_t kind, family;
	uint8_t src[16], dst[16];
	uint64_t last_window;	/* the last window that crossed */
};

static struct {
	pthread_mutex_t lock;
	unsigned hosts, ports;
	uint64_t hold_us;
	uint64_t next_check;
	uint64_t dropped;
	struct scan_entry src[SCAN_SOURCES];
	struct scan_entry pair[SCAN_PAIRS];
	struct scan_rearm rearm[SCAN_REARMS];
} sc = { .lock = PTHREAD_MUTEX_INITIALIZER, .hosts = SCAN_HOSTS,
	.ports = SCAN_PORTS, .hold_us = 60ULL * 1000000 };

void scan_set_thresholds(unsigned hosts, unsigned ports)
{
	sc.hosts = hosts > SCAN_SET ? SCAN_SET : hosts;
	sc.ports = ports > SCAN_SET ? SCAN_SET : ports;
}

void scan_set_hold(uint64_t us)
{
	sc.hold_us = us;
}

void scan_reset(void)
{
	pthread_mutex_lock(&sc.lock);
	memset(sc.src, 0, sizeof(sc.src));
	memset(sc.pair, 0, sizeof(sc.pair));
	memset(sc.rearm, 0, sizeof(sc.rearm));
	sc.dropped = 0;
	sc.next_check = 0;
	pthread_mutex_unlock(&sc.lock);
}

uint64_t scan_dropped(void)
{
	uint64_t n;

	pthread_mutex_lock(&sc.lock);
	n = sc.dropped;
	pthread_mutex_unlock(&sc.lock);
	return n;
}

/* ------------------------------------------------------------------------
 * Tables
 * --------------------------------------------------------------------- */

static uint64_t key_hash(uint8_t kind, uint8_t family, const uint8_t *src,
    const uint8_t *dst, uint64_t window)
{
	uint8_t b[2 + 32 + 8];

	b[0] = kind;
	b[1] = family;
	memcpy(b + 2, src, 16);
	memcpy(b + 18, dst, 16);
	memcpy(b + 34, &window, 8);
	return flow_hash64(b, sizeof(b), 0x7363616e);
}

/*
 * The entry of (kind, family, src, [dst], window) in table t of n slots,
 * made if missing; NULL when its neighbourhood is full.
 */
static struct scan_entry *entry_get(struct scan_entry *t, size_t n,
    uint8_t kind, uint8_t family, const uint8_t *src, const uint8_t *dst,
    uint64_t window)
{
	static const uint8_t zero[16];
	const uint8_t *kd = kind == SCAN_PORTS_KIND ? dst : zero;
	uint64_t h = key_hash(kind, family, src, kd, window);
	struct scan_entry *fr = NULL;

	for (size_t j = 0; j < SCAN_PROBE; j++) {
		struct scan_entry *e = &t[(h + j) & (n - 1)];

		if (!e->used) {
			if (!fr)
				fr = e;
			continue;
		}
		if (e->kind == kind && e->family == family &&
		    e->window == window && memcmp(e->src, src, 16) == 0 &&
		    (kind != SCAN_PORTS_KIND || memcmp(e->dst, dst, 16) == 0))
			return e;
	}
	if (fr) {
		memset(fr, 0, sizeof(*fr));
		fr->used = true;
		fr->kind = kind;
		fr->family = family;
		memcpy(fr->src, src, 16);
		memcpy(fr->dst, dst, 16);
		fr->window = window;
		fr->first_us = UINT64_MAX;
	}
	return fr;
}

/* Adds a distinct target; keeps at most SCAN_SET. */
static void set_add(struct scan_entry *e, uint32_t v)
{
	for (unsigned i = 0; i < e->n; i++)
		if (e->set[i] == v)
			return;
	if (e->n < SCAN_SET)
		e->set[e->n++] = v;
	else
		e->more = true;	/* (a value seen again may also land here) */
}

/* ------------------------------------------------------------------------
 * Observing tries
 * --------------------------------------------------------------------- */

/* True when (ts, ip) comes before the entry's earliest try. */
static bool earlier(const struct scan_entry *e, uint64_t ts,
    const uint8_t *ip, uint16_t port)
{
	int c;

	if (ts != e->first_us)
		return ts < e->first_us;
	c = memcmp(ip, e->dst, 16);
	return c < 0 || (c == 0 && port < e->first_port);
}

static void note_try(const struct ev_flow *fl)
{
	const struct flow_key *k = &fl->h.key;
	uint64_t ts = fl->h.ts_us, w = ts / SCAN_WINDOW;
	bool ports = k->proto == 6 || k->proto == 17;
	uint16_t port = ports ? k->dport : 0;
	struct scan_entry *e;

	if (sc.hosts) {
		e = entry_get(sc.src, SCAN_SOURCES, SCAN_SWEEP, k->family,
		    k->src, k->dst, w);
		if (!e)
			sc.dropped++;
		else {
			set_add(e, (uint32_t)flow_hash64(k->dst, 16, 0x686f7374));
			if (earlier(e, ts, k->dst, port)) {
				e->first_us = ts;
				memcpy(e->dst, k->dst, 16);
				e->first_port = port;
				e->first_proto = k->proto;
			}
		}
	}
	if (sc.ports && ports) {
		e = entry_get(sc.pair, SCAN_PAIRS, SCAN_PORTS_KIND, k->family,
		    k->src, k->dst, w);
		if (!e)
			sc.dropped++;
		else {
			set_add(e, (uint32_t)k->proto << 16 | port);
			if (earlier(e, ts, k->dst, port)) {
				e->first_us = ts;
				e->first_port = port;
				e->first_proto = k->proto;
			}
		}
	}
}

void scan_observe(const struct ev_hdr *ev)
{
	const struct ev_flow *fl = (const struct ev_flow *)ev;
	const struct flow_key *k = &ev->key;

	if (ev->type != EV_FLOW || !ev->has_key || fl->interim)
		return;
	if (fl->payload_bytes[0] || fl->payload_bytes[1])
		return;		/* a conversation, not a try */
	if (k->proto != 6 && fl->pkts[DIR_TO_CLIENT])
		return;		/* UDP/ICMP answered */
	if (zones_addr_is_public(k->family, k->src) ||
	    baseline_edge_known(k->family, k->src, k->dst, k->proto,
	    k->proto == 6 || k->proto == 17 ? k->dport : 0))
		return;
	pthread_mutex_lock(&sc.lock);
	note_try(fl);
	pthread_mutex_unlock(&sc.lock);
}

/* ------------------------------------------------------------------------
 * Judging windows
 * --------------------------------------------------------------------- */

static struct scan_rearm *rearm_get(const struct scan_entry *e)
{
	static const uint8_t zero[16];
	const uint8_t *kd = e->kind == SCAN_PORTS_KIND ? e->dst : zero;
	uint64_t h = key_hash(e->kind, e->family, e->src, kd, 0);
	struct scan_rearm *fr = NULL;

	for (size_t j = 0; j < SCAN_PROBE; j++) {
		struct scan_rearm *r = &sc.rearm[(h + j) & (SCAN_REARMS - 1)];

		if (r->used && r->kind == e->kind && r->family == e->family &&
		    memcmp(r->src, e->src, 16) == 0 && memcmp(r->dst, kd, 16) == 0)
			return r;
		/* free, or quiet for longer than SCAN_REARM: reusable */
		if (!fr && (!r->used || (e->window > r->last_window &&
		    (e->window - r->last_window) * SCAN_WINDOW > SCAN_REARM)))
			fr = r;
	}
	if (fr) {
		memset(fr, 0, sizeof(*fr));
		fr->used = true;
		fr->kind = e->kind;
		fr->family = e->family;
		memcpy(fr->src, e->src, 16);
		memcpy(fr->dst, kd, 16);
		fr->last_window = UINT64_MAX;	/* never crossed */
	}
	return fr;
}

/*
 * Crossed: report unless it crossed within SCAN_REARM before (or in a
 * later window: a try that came after its window was judged).
 */
static bool rearmed(const struct scan_entry *e)
{
	struct scan_rearm *r = rearm_get(e);
	bool report;

	if (!r)
		return true;	/* no room to remember it: report */
	if (r->last_window == UINT64_MAX) {
		r->last_window = e->window;
		return true;
	}
	if (e->window <= r->last_window)
		return false;
	report = (e->window - r->last_window) * SCAN_WINDOW > SCAN_REARM;
	r->last_window = e->window;
	return report;
}

static void window_text(uint64_t window, char *b, size_t n)
{
	time_t t = (time_t)(window * SCAN_WINDOW / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(b, n, "%Y-%m-%dT%H:%MZ", &tm);
}

static void raise_entry(const struct scan_entry *e)
{
	struct ev_hdr h;
	struct alert_in in;
	uint64_t idv[2];
	char win[32], cnt[16];

	memset(&h, 0, sizeof(h));
	h.type = EV_FLOW;
	h.ts_us = e->first_us;
	h.has_key = true;
	h.key.family = e->family;
	memcpy(h.key.src, e->src, 16);
	memcpy(h.key.dst, e->dst, 16);
	h.key.proto = e->first_proto;	/* the envelope shows the first try */
	h.key.dport = e->first_port;
	idv[0] = key_hash(e->kind, e->family, e->src, e->dst, e->window);
	idv[1] = e->n;
	h.event_id = flow_hash64(idv, sizeof(idv), 0x7363616e) >> 1;
	memset(&in, 0, sizeof(in));
	in.category = "recon";
	in.severity = 2;
	in.family = e->family;
	memcpy(in.src, e->src, 16);
	memcpy(in.dst, e->dst, 16);
	window_text(e->window, win, sizeof(win));
	snprintf(cnt, sizeof(cnt), "%s%u", e->more ? "at least " : "", e->n);
	if (e->kind == SCAN_SWEEP) {
		in.signature = "ot.scan.address_sweep";
		snprintf(in.detail, sizeof(in.detail), "window %s, %s hosts",
		    win, cnt);
		snprintf(in.message, sizeof(in.message), "{src} tried %s hosts "
		    "in the 5 minutes from %s without a conversation with any, "
		    "the first {dst}: an address sweep.", cnt, win);
	} else {
		in.signature = "ot.scan.port_scan";
		snprintf(in.detail, sizeof(in.detail), "window %s, %s ports",
		    win, cnt);
		snprintf(in.message, sizeof(in.message), "{src} tried %s ports "
		    "of {dst} in the 5 minutes from %s without a conversation: "
		    "a port scan.", cnt, win);
	}
	alerts_raise(&h, &in);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct scan_entry *x = *(const struct scan_entry *const *)a;
	const struct scan_entry *y = *(const struct scan_entry *const *)b;
	int c;

	if (x->window != y->window)
		return x->window < y->window ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = memcmp(x->src, y->src, 16);
	return c ? c : memcmp(x->dst, y->dst, 16);
}

/*
 * Judges the windows that ended before 'limit' (all when 'all'), oldest
 * first, and frees them.  Alerts are raised under the lock: out_emit()
 * of an alert never comes back here.
 */
static void judge(uint64_t limit, bool all)
{
	static struct scan_entry *due[SCAN_SOURCES + SCAN_PAIRS];
	size_t nd = 0;

	for (size_t i = 0; i < SCAN_SOURCES + SCAN_PAIRS; i++) {
		struct scan_entry *e = i < SCAN_SOURCES ? &sc.src[i] :
		    &sc.pair[i - SCAN_SOURCES];

		if (e->used && (all || (e->window + 1) * SCAN_WINDOW <= limit))
			due[nd++] = e;
	}
	if (nd > 1)
		qsort(due, nd, sizeof(due[0]), entry_cmp);
	for (size_t i = 0; i < nd; i++) {
		struct scan_entry *e = due[i];
		unsigned need = e->kind == SCAN_SWEEP ? sc.hosts : sc.ports;

		if (need && e->n >= need && rearmed(e))
			raise_entry(e);
		e->used = false;
	}
}

void scan_tick(uint64_t floor)
{
	pthread_mutex_lock(&sc.lock);
	if (floor >= sc.next_check && floor > sc.hold_us) {
		sc.next_check = floor + SCAN_CHECK_US;
		judge(floor - sc.hold_us, false);
	}
	pthread_mutex_unlock(&sc.lock);
}

void scan_finish(void)
{
	pthread_mutex_lock(&sc.lock);
	judge(0, true);
	pthread_mutex_unlock(&sc.lock);
}
