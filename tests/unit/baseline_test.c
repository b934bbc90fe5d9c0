/*
 * baseline_test.c - the learned baseline (ot/baseline.h) on hand-built
 * events: learning and the switch to enforcing, new devices, edges,
 * functions and write ranges, public ends, silence of polled edges,
 * operators (accept, enforce), the state lines and hostile state lines.
 *
 * Every expected value comes from the contract in ot/baseline.h (and the
 * aggregation rules of ot/alerts.h, the line format of ot/state.h), never
 * from what the code printed.  Events go through out_emit(), as in the
 * sensor (assets, alerts, then the baseline); alerts are caught with
 * out_set_hook().  Only "ot.baseline.*" alerts are kept: the engineering
 * and policy alerts of ot/alerts.c are tested in ot_test.c.
 *
 * Capture times start at T0 (2023-11-14); a "poll" is one Modbus
 * transaction 10.0.0.5 -> 10.0.1.10:502, unit 1, FC 3.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/flow_table.h"
#include "ot/alerts.h"
#include "ot/assets.h"
#include "ot/baseline.h"
#include "ot/zones.h"
#include "sensor/output.h"
#include "tests/unit/testhelp.h"

#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)
#define HOUR (3600 * SEC)
#define MAX_CAUGHT 4096

/* ------------------------------------------------------------------------
 * Caught alerts
 * --------------------------------------------------------------------- */

static struct ev_alert caught[MAX_CAUGHT];
static int ncaught;

static void hook(const struct ev_hdr *ev, void *arg)
{
	const struct ev_alert *a = (const struct ev_alert *)ev;

	(void)arg;
	if (ev->type != EV_ALERT || !a->signature ||
	    strncmp(a->signature, "ot.baseline.", 12) != 0)
		return;
	if (ncaught < MAX_CAUGHT)
		caught[ncaught++] = *a;
}

/* First reports (update false) of a signature ("ot.baseline." omitted). */
static int nfirst(const char *sig)
{
	int n = 0;

	for (int i = 0; i < ncaught; i++)
		if (!caught[i].update &&
		    strcmp(caught[i].signature + 12, sig) == 0)
			n++;
	return n;
}

static int nupdate(const char *sig)
{
	int n = 0;

	for (int i = 0; i < ncaught; i++)
		if (caught[i].update &&
		    strcmp(caught[i].signature + 12, sig) == 0)
			n++;
	return n;
}

/* The first (update false) or last update (true) of a signature. */
static const struct ev_alert *find(const char *sig, bool update)
{
	const struct ev_alert *r = NULL;

	for (int i = 0; i < ncaught; i++)
		if (caught[i].update == update &&
		    strcmp(caught[i].signature + 12, sig) == 0) {
			r = &caught[i];
			if (!update)
				break;
		}
	return r;
}

/* ------------------------------------------------------------------------
 * Addresses
 * --------------------------------------------------------------------- */

/* Text to 16 bytes (IPv4 in the first 4); returns the family. */
static uint8_t ip_parse(const char *s, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, ip) != 1)
			abort();	/* a typo in this file, not input */
		return 6;
	}
	if (inet_pton(AF_INET, s, ip) != 1)
		abort();
	return 4;
}

static bool side_is(const struct ev_alert_side *sd, const char *s)
{
	uint8_t ip[16];
	uint8_t f = ip_parse(s, ip);

	return sd->family == f && memcmp(sd->ip, ip, f == 6 ? 16 : 4) == 0;
}

/* ------------------------------------------------------------------------
 * Event builders
 * --------------------------------------------------------------------- */

static uint64_t next_id = 5000;

static void hdr(struct ev_hdr *h, enum ev_type t, const char *c,
    const char *s, uint8_t proto, uint16_t dport, uint64_t ts)
{
	memset(h, 0, sizeof(*h));
	h->type = t;
	h->dir = DIR_TO_SERVER;
	h->ts_us = ts;
	h->event_id = next_id++;
	h->flow_id = 90000 + next_id;
	h->has_key = true;
	h->key.family = ip_parse(c, h->key.src);
	if (ip_parse(s, h->key.dst) != h->key.family)
		abort();
	h->key.proto = proto;
	h->key.sport = proto == 6 || proto == 17 ? 40001 : 0;
	h->key.dport = dport;
}

static struct ev_modbus mb;
static struct ev_dnp3 dn;
static struct ev_flow fl;

/* A matched Modbus transaction (request and response) c -> s:502. */
static struct ev_modbus *mb_new(const char *c, const char *s, uint8_t unit,
    uint8_t fc, uint64_t ts)
{
	memset(&mb, 0, sizeof(mb));
	hdr(&mb.h, EV_MODBUS, c, s, 6, 502, ts);
	mb.unit = unit;
	mb.fc = fc;
	mb.has_request = true;
	mb.has_response = true;
	mb.matched = true;
	return &mb;
}

static void modbus(const char *c, const char *s, uint8_t unit, uint8_t fc,
    uint64_t ts)
{
	out_emit(&mb_new(c, s, unit, fc, ts)->h);
}

/* A write: FC 5/6 one address; FC 15/16 'qty' from 'addr'. */
static void modbus_write(const char *c, const char *s, uint8_t unit,
    uint8_t fc, uint16_t addr, uint16_t qty, uint64_t ts)
{
	struct ev_modbus *m = mb_new(c, s, unit, fc, ts);

	m->has_address = true;
	m->address = addr;
	if (fc == 15 || fc == 16) {
		m->has_quantity = true;
		m->quantity = qty;
	}
	out_emit(&m->h);
}

/* A request the server never answered (timed out). */
static void modbus_unanswered(const char *c, const char *s, uint64_t ts)
{
	struct ev_modbus *m = mb_new(c, s, 1, 3, ts);

	m->has_response = false;
	m->matched = false;
	m->timed_out = true;
	out_emit(&m->h);
}

/* A DNP3 request 'func' from master to outstation, answered. */
static void dnp3(const char *c, const char *s, uint16_t master,
    uint16_t outstation, uint8_t func, uint64_t ts)
{
	memset(&dn, 0, sizeof(dn));
	hdr(&dn.h, EV_DNP3, c, s, 6, 20000, ts);
	dn.matched = true;
	dn.req.present = true;
	dn.req.func = func;
	dn.req.link_src = master;
	dn.req.link_dst = outstation;
	dn.req.fir = dn.req.fin = true;
	dn.resp.present = true;
	dn.resp.func = 129;		/* RESPONSE */
	dn.resp.link_src = outstation;
	dn.resp.link_dst = master;
	dn.resp.fir = dn.resp.fin = true;
	out_emit(&dn.h);
}

/* A flow record; answered: the server sent packets back. */
static void flow(const char *c, const char *s, uint8_t proto, uint16_t dport,
    bool answered, uint64_t ts)
{
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, c, s, proto, dport, ts);
	fl.start_us = ts;
	fl.end_us = ts + 1000;
	fl.pkts[DIR_TO_SERVER] = 3;
	fl.pkts[DIR_TO_CLIENT] = answered ? 3 : 0;
	fl.bytes[DIR_TO_SERVER] = 200;
	fl.bytes[DIR_TO_CLIENT] = answered ? 300 : 0;
	fl.ndpi_proto = "Unknown";
	fl.reason = FLOW_END_TIMEOUT;
	out_emit(&fl.h);
}

/* ------------------------------------------------------------------------
 * Setup
 * --------------------------------------------------------------------- */

/* New devices are held a minute of capture time: tick past that. */
static void hold_over(uint64_t t)
{
	baseline_tick(t + 61 * SEC);
}

static void reset_all(uint64_t period)
{
	alerts_flush();		/* emits leftovers of the last test: dropped below */
	baseline_thread_init(0);
	baseline_reset();
	baseline_set_period(period);
	assets_reset();
	zones_reset();
	ncaught = 0;
}

static struct baseline_stats stats(void)
{
	struct baseline_stats st;

	baseline_get_stats(&st);
	return st;
}

/* ------------------------------------------------------------------------
 * 1. Learning, and the switch to enforcing
 * --------------------------------------------------------------------- */

static void test_learning_switch(void)
{
	const uint64_t P = HOUR;
	struct baseline_stats st;

	reset_all(P);
	/* all sorts while learning: none of it may alert */
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	for (int i = 1; i < 40; i++) {
		uint64_t t = T0 + (uint64_t)i * 60 * SEC;

		modbus("10.0.0.5", "10.0.1.10", 1, 3, t);
		modbus("10.0.0.5", "10.0.1.10", 1, (uint8_t)(1 + i % 20), t + 1);
		modbus_write("10.0.0.5", "10.0.1.10", 1, 16,
		    (uint16_t)(i * 50), 2, t + 2);
		dnp3("10.0.0.6", "10.0.1.20", 1, 10, (uint8_t)(i % 30), t + 3);
		flow("10.0.0.5", "93.184.216.34", 6, 443, true, t + 4);
		flow("10.0.2.1", "10.0.1.30", 17, (uint16_t)(100 + i), false, t + 5);
		flow("fd00::1", "fd00::2", 6, 502, true, t + 6);
		baseline_tick(t + 7);
	}
	/* a polled edge that then stops, while still learning */
	for (uint64_t t = T0 + 40 * 60 * SEC; t < T0 + P - 1; t += 10 * SEC)
		baseline_tick(t);
	baseline_finish(T0 + P - 2);
	test_eq_u64("learning: no ot.baseline alert at all", ncaught, 0);
	st = stats();
	test_cond("learning: mode is learning", !st.enforcing);
	test_eq_u64("learn_start is the first event", st.learn_start_us, T0);
	test_eq_u64("learn_end = learn_start + period", st.learn_end_us, T0 + P);

	/* 1 us before the end: a new client is still learned */
	modbus("10.0.0.77", "10.0.1.10", 1, 3, T0 + P - 1);
	test_eq_u64("1 us before the end: no alert", ncaught, 0);
	test_cond("1 us before the end: still learning", !stats().enforcing);
	/* at the end exactly: enforcing */
	modbus("10.0.0.78", "10.0.1.10", 1, 3, T0 + P);
	test_eq_u64("at learn_start + period: one new_edge", nfirst("new_edge"), 1);
	test_eq_u64("new_device held for a minute", nfirst("new_device"), 0);
	hold_over(T0 + P);
	test_eq_u64("at learn_start + period: one new_device",
	    nfirst("new_device"), 1);
	test_cond("at the end: mode is enforcing", stats().enforcing);
	/* the client learned 1 us before the end is known */
	ncaught = 0;
	modbus("10.0.0.77", "10.0.1.10", 1, 3, T0 + P + 5 * SEC);
	test_eq_u64("edge learned 1 us before the end: no alert", ncaught, 0);
	/* mode judged by the event's own time: a late event of another
	 * worker, stamped before the end, is learned */
	modbus("10.0.0.79", "10.0.1.10", 1, 3, T0 + P - 10);
	test_eq_u64("event stamped before the end, seen later: no alert",
	    ncaught, 0);
	modbus("10.0.0.79", "10.0.1.10", 1, 3, T0 + P + 6 * SEC);
	test_eq_u64("... and its edge is learned", ncaught, 0);
}

/* ------------------------------------------------------------------------
 * 2. New edges and devices
 * --------------------------------------------------------------------- */

static bool accept_ok(const char *what);

/*
 * A new device is reported once, a minute of capture time after it was
 * first seen, naming its earliest peer whatever order the events came in
 * (several workers: one device's conversations are on different workers).
 */
static void test_new_device_hold(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	const struct ev_alert *a;
	char ip[32];

	reset_all(P);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	/* processed first, but later in time */
	flow("10.0.0.9", "10.0.1.40", 17, 161, true, E + 20 * SEC);
	baseline_tick(E + 25 * SEC);
	test_eq_u64("hold: nothing before a minute", nfirst("new_device"), 0);
	flow("10.0.0.9", "10.0.1.41", 17, 161, true, E + 10 * SEC);
	/* the same time: the lower address wins */
	flow("10.0.0.9", "10.0.1.39", 17, 161, true, E + 10 * SEC);
	baseline_tick(E + 69 * SEC);
	test_eq_u64("hold: 59 s after the earliest: still nothing",
	    nfirst("new_device"), 0);
	baseline_tick(E + 79 * SEC);
	a = find("new_device", false);
	test_cond("hold: reported for 10.0.0.9", a && side_is(&a->src, "10.0.0.9"));
	test_cond("hold: names the earliest peer (lowest address at a tie)",
	    a && side_is(&a->dst, "10.0.1.39"));
	test_eq_u64("hold: first_seen is the earliest event",
	    a ? a->first_us : 0, E + 10 * SEC);
	/* the peers: 10.0.1.39 and 10.0.1.41 are new devices too, 10.0.1.40
	 * (seen at E + 20 s) is not due yet at E + 79 s */
	test_eq_u64("hold: four new devices, three reported",
	    nfirst("new_device"), 3);
	baseline_tick(E + 90 * SEC);
	test_eq_u64("hold: the fourth 61 s after its event",
	    nfirst("new_device"), 4);
	baseline_tick(E + 200 * SEC);
	test_eq_u64("hold: each once", nfirst("new_device"), 4);

	/* accepted while held: never reported */
	ncaught = 0;
	flow("10.0.0.20", "10.0.1.40", 17, 161, false, E + 300 * SEC);
	test_cond("accepted while held", accept_ok("10.0.0.20"));
	baseline_finish(E + 400 * SEC);
	test_eq_u64("accepted while held: no new_device", nfirst("new_device"),
	    0);

	/* more held than one batch (16) and than the hold list (256):
	 * every one reported exactly once */
	reset_all(P);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	ncaught = 0;
	for (int i = 0; i < 300; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", 2 + i / 200, 1 + i % 200);
		modbus(ip, "10.0.1.10", 1, 3, E + (uint64_t)i * 1000);
	}
	test_eq_u64("over the hold list: the rest reported at once",
	    nfirst("new_device"), 300 - 256);
	baseline_finish(E + SEC);
	test_eq_u64("finish: all 300 reported once", nfirst("new_device"), 300);
	alerts_flush();

	/* two workers: held until the slower one's ticks pass the minute */
	reset_all(P);
	baseline_set_workers(2);
	baseline_thread_init(0);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	ncaught = 0;
	modbus("10.0.0.6", "10.0.1.10", 1, 3, E);
	baseline_tick(E + 120 * SEC);
	test_eq_u64("2 workers: worker 0 at +120 s, worker 1 silent: held",
	    nfirst("new_device"), 0);
	baseline_thread_init(1);
	baseline_tick(E + 30 * SEC);
	test_eq_u64("2 workers: worker 1 at +30 s: held", nfirst("new_device"),
	    0);
	baseline_tick(E + 61 * SEC);
	test_eq_u64("2 workers: both past the minute: reported",
	    nfirst("new_device"), 1);
	baseline_thread_init(0);
	baseline_set_workers(1);

	/* the learning period starts at the first packet, not at the first
	 * event reported */
	reset_all(P);
	baseline_capture_start(T0);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0 + P + SEC);
	test_eq_u64("capture_start: learn_start is the first packet",
	    stats().learn_start_us, T0);
	test_eq_u64("capture_start: an event past the period alerts",
	    nfirst("new_edge"), 1);
	baseline_capture_start(T0 + 5 * SEC);
	test_eq_u64("capture_start again: learn_start kept",
	    stats().learn_start_us, T0);
}

static void test_new_edge(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	const struct ev_alert *a;
	struct baseline_stats st;

	reset_all(P);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	flow("10.0.0.5", "10.0.1.30", 6, 8080, false, T0 + SEC);	/* unanswered */
	flow("10.0.0.5", "10.0.1.40", 17, 161, false, T0 + 2 * SEC);	/* UDP */
	test_eq_u64("learned: Modbus and UDP edges (unanswered TCP makes none)",
	    stats().edges, 2);
	test_eq_u64("learned: devices 10.0.0.5, 10.0.1.10 (not silent servers)",
	    stats().devices, 2);

	/* a new client on a known server */
	modbus("10.0.0.6", "10.0.1.10", 1, 3, E);
	test_eq_u64("new client: one new_edge", nfirst("new_edge"), 1);
	hold_over(E);
	test_eq_u64("new client: one new_device", nfirst("new_device"), 1);
	test_eq_u64("new edge: no new_function of its own",
	    nfirst("new_function"), 0);
	test_eq_u64("nothing else", ncaught, 2);
	a = find("new_edge", false);
	test_cond("new_edge src is the client",
	    a && side_is(&a->src, "10.0.0.6"));
	test_cond("new_edge dst is the server",
	    a && side_is(&a->dst, "10.0.1.10"));
	test_cond("new_edge detail tcp/502",
	    a && strcmp(a->detail, "tcp/502") == 0);
	test_eq_u64("new_edge count 1", a ? a->count : 0, 1);
	a = find("new_device", false);
	test_cond("new_device names 10.0.0.6",
	    a && side_is(&a->src, "10.0.0.6"));
	/* repeats count, no second first report */
	for (int i = 1; i <= 4; i++)
		modbus("10.0.0.6", "10.0.1.10", 1, 3, E + (uint64_t)i * SEC);
	test_eq_u64("4 repeats: still one new_edge", nfirst("new_edge"), 1);
	test_eq_u64("4 repeats: still one new_device", nfirst("new_device"), 1);
	test_eq_u64("4 repeats: nothing emitted", ncaught, 2);
	/* a learned edge raises nothing */
	modbus("10.0.0.5", "10.0.1.10", 1, 3, E + 10 * SEC);
	test_eq_u64("learned edge: nothing", ncaught, 2);
	alerts_flush();
	test_eq_u64("flush: one new_edge update", nupdate("new_edge"), 1);
	a = find("new_edge", true);
	test_eq_u64("new_edge update count 5", a ? a->count : 0, 5);
	test_eq_u64("new_device counted once: no update", nupdate("new_device"), 0);

	/* TCP the server never answered: no edge, and no device for it */
	ncaught = 0;
	flow("10.0.0.5", "10.0.1.50", 6, 22, false, E + 20 * SEC);
	test_eq_u64("unanswered TCP in enforcing: nothing", ncaught, 0);
	st = stats();
	test_eq_u64("unanswered TCP: edges unchanged", st.edges, 3);
	/* the unanswered TCP learned earlier was not an edge: now it is new */
	flow("10.0.0.5", "10.0.1.30", 6, 8080, true, E + 21 * SEC);
	test_eq_u64("answered TCP not learned before: new_edge",
	    nfirst("new_edge"), 1);
	hold_over(E + 21 * SEC);
	test_eq_u64("its server answered for the first time: new_device",
	    nfirst("new_device"), 1);
	a = find("new_device", false);
	test_cond("new_device names the server 10.0.1.30",
	    a && side_is(&a->src, "10.0.1.30"));
	/* UDP learned without an answer is known */
	ncaught = 0;
	flow("10.0.0.5", "10.0.1.40", 17, 161, false, E + 22 * SEC);
	test_eq_u64("UDP learned unanswered: known", ncaught, 0);
	/* a new UDP edge without answer: new_edge, no device for the server */
	flow("10.0.0.5", "10.0.1.41", 17, 161, false, E + 23 * SEC);
	test_eq_u64("new unanswered UDP: one new_edge", nfirst("new_edge"), 1);
	test_eq_u64("new unanswered UDP: no new_device", nfirst("new_device"), 0);
	a = find("new_edge", false);
	test_cond("UDP new_edge detail udp/161",
	    a && strcmp(a->detail, "udp/161") == 0);
	/* a Modbus request the server did not answer still makes an edge,
	 * but the silent server is no device */
	ncaught = 0;
	modbus_unanswered("10.0.0.5", "10.0.1.60", E + 24 * SEC);
	test_eq_u64("unanswered Modbus txn: one new_edge", nfirst("new_edge"), 1);
	test_eq_u64("unanswered Modbus txn: no new_device",
	    nfirst("new_device"), 0);
}

/* ------------------------------------------------------------------------
 * 3. Public ends
 * --------------------------------------------------------------------- */

static void test_public(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	const struct ev_alert *a;

	reset_all(P);
	flow("10.0.0.5", "93.184.216.34", 6, 80, true, T0);
	flow("10.0.0.5", "10.0.1.10", 6, 502, true, T0 + SEC);
	test_eq_u64("public server is not a device", stats().devices, 2);
	test_eq_u64("two edges learned", stats().edges, 2);

	flow("10.0.0.5", "151.101.1.69", 6, 80, true, E);
	test_eq_u64("another public address on tcp/80: nothing", ncaught, 0);
	test_eq_u64("one public edge for both", stats().edges, 2);

	flow("10.0.0.5", "93.184.216.34", 6, 443, true, E + SEC);
	test_eq_u64("tcp/443 to public: one new_edge", nfirst("new_edge"), 1);
	test_eq_u64("no new_device for a public address", nfirst("new_device"), 0);
	a = find("new_edge", false);
	test_cond("public new_edge names the client",
	    a && side_is(&a->src, "10.0.0.5"));
	test_cond("public new_edge names the first public address",
	    a && side_is(&a->dst, "93.184.216.34"));
	test_cond("public new_edge detail tcp/443",
	    a && strcmp(a->detail, "tcp/443") == 0);
	flow("10.0.0.5", "8.8.8.8", 6, 443, true, E + 2 * SEC);
	test_eq_u64("second public address on the new edge: no alert",
	    nfirst("new_edge"), 1);
	test_eq_u64("one public edge for tcp/443", stats().edges, 3);
	flow("10.0.0.5", "93.184.216.34", 6, 443, true, E + 3 * SEC);
	test_eq_u64("repeat to the first public address: counted, not new",
	    nfirst("new_edge"), 1);
	/* a public client into the plant */
	flow("8.8.4.4", "10.0.1.10", 6, 22, true, E + 4 * SEC);
	test_eq_u64("public client -> local server: a second new_edge",
	    nfirst("new_edge"), 2);
	test_eq_u64("public client: no new_device", nfirst("new_device"), 0);
	/* transit between two public addresses is not our plant */
	flow("8.8.4.4", "9.9.9.9", 6, 25, true, E + 5 * SEC);
	test_eq_u64("public -> public: nothing", nfirst("new_edge"), 2);
	test_eq_u64("public -> public: no edge", stats().edges, 4);
	alerts_flush();
	a = find("new_edge", true);
	test_cond("public tcp/443 edge: repeats counted on the first address",
	    a && side_is(&a->dst, "93.184.216.34") && a->count >= 2);
}

/* ------------------------------------------------------------------------
 * 4. New functions
 * --------------------------------------------------------------------- */

static void test_new_function(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	const struct ev_alert *a;

	reset_all(P);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	dnp3("10.0.0.5", "10.0.1.20", 1, 10, 1, T0 + SEC);	/* READ */

	modbus("10.0.0.5", "10.0.1.10", 1, 4, E);
	test_eq_u64("modbus FC 4 on a learned edge: new_function",
	    nfirst("new_function"), 1);
	test_eq_u64("only that", ncaught, 1);
	a = find("new_function", false);
	test_cond("new_function: function 4 unit 1", a && a->has_function &&
	    a->function == 4 && a->has_unit && a->unit == 1);
	test_cond("new_function: src client, dst server",
	    a && side_is(&a->src, "10.0.0.5") && side_is(&a->dst, "10.0.1.10"));
	modbus("10.0.0.5", "10.0.1.10", 1, 4, E + SEC);
	test_eq_u64("FC 4 again: no second report", nfirst("new_function"), 1);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, E + 2 * SEC);
	test_eq_u64("learned FC 3: nothing", ncaught, 1);
	modbus("10.0.0.5", "10.0.1.10", 2, 3, E + 3 * SEC);
	test_eq_u64("FC 3 on another unit: new_function",
	    nfirst("new_function"), 2);
	/* on a new edge: only new_edge */
	ncaught = 0;
	modbus("10.0.0.5", "10.0.1.11", 1, 16, E + 4 * SEC);
	test_eq_u64("new edge: new_edge", nfirst("new_edge"), 1);
	test_eq_u64("new edge: no new_function", nfirst("new_function"), 0);
	test_eq_u64("new edge: no new_write_range", nfirst("new_write_range"), 0);

	/* DNP3: (outstation, master, FC) */
	ncaught = 0;
	dnp3("10.0.0.5", "10.0.1.20", 1, 10, 1, E + 5 * SEC);
	test_eq_u64("DNP3 learned READ: nothing", ncaught, 0);
	dnp3("10.0.0.5", "10.0.1.20", 1, 10, 2, E + 6 * SEC);	/* WRITE */
	test_eq_u64("DNP3 WRITE: new_function", nfirst("new_function"), 1);
	a = find("new_function", false);
	test_cond("DNP3 new_function: FC 2, outstation 10", a &&
	    a->has_function && a->function == 2 && a->has_unit && a->unit == 10);
	test_cond("DNP3 new_function: protocol dnp3",
	    a && a->protocol && strcmp(a->protocol, "dnp3") == 0);
	test_cond("DNP3 new_function: src master host",
	    a && side_is(&a->src, "10.0.0.5") && side_is(&a->dst, "10.0.1.20"));
	dnp3("10.0.0.5", "10.0.1.20", 1, 10, 2, E + 7 * SEC);
	test_eq_u64("DNP3 WRITE again: no second report",
	    nfirst("new_function"), 1);
	dnp3("10.0.0.5", "10.0.1.20", 3, 10, 1, E + 8 * SEC);
	test_eq_u64("DNP3 READ from another master: new_function",
	    nfirst("new_function"), 2);
	dnp3("10.0.0.5", "10.0.1.20", 1, 11, 1, E + 9 * SEC);
	test_eq_u64("DNP3 READ to another outstation: new_function",
	    nfirst("new_function"), 3);
	ncaught = 0;
	dnp3("10.0.0.5", "10.0.1.21", 1, 10, 13, E + 10 * SEC);
	test_eq_u64("DNP3 on a new edge: new_edge", nfirst("new_edge"), 1);
	test_eq_u64("DNP3 on a new edge: no new_function",
	    nfirst("new_function"), 0);
}

/* ------------------------------------------------------------------------
 * 5. Write ranges
 * --------------------------------------------------------------------- */

static void test_write_ranges(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	static const uint16_t at[9] = { 0, 1000, 2100, 3300, 4600, 6000, 7500,
		9100, 9105 };
	const struct ev_alert *a;

	reset_all(P);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 50, 1, T0);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 16, 60, 4, T0 + SEC);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 15, 0, 8, T0 + 2 * SEC);

	modbus_write("10.0.0.5", "10.0.1.10", 1, 16, 61, 2, E);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 50, 1, E + SEC);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 63, 1, E + SEC);
	test_eq_u64("writes inside learned ranges: nothing", ncaught, 0);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 900, 1, E + 2 * SEC);
	test_eq_u64("FC 6 reg 900: new_write_range", nfirst("new_write_range"), 1);
	test_eq_u64("... only that", ncaught, 1);
	a = find("new_write_range", false);
	test_cond("new_write_range: FC 6, unit 1", a && a->has_function &&
	    a->function == 6 && a->has_unit && a->unit == 1);
	test_cond("new_write_range: client -> server",
	    a && side_is(&a->src, "10.0.0.5") && side_is(&a->dst, "10.0.1.10"));
	modbus_write("10.0.0.5", "10.0.1.10", 1, 16, 63, 2, E + 3 * SEC);
	test_eq_u64("FC 16 63..64 (partly outside): same alert, counted",
	    nfirst("new_write_range"), 1);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 5, 100, 1, E + 4 * SEC);
	test_eq_u64("FC 5 (new FC): new_function", nfirst("new_function"), 1);
	test_eq_u64("FC 5 (new FC) coil 100 outside 0..7: no new_write_range",
	    nfirst("new_write_range"), 1);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 15, 7, 2, E + 5 * SEC);
	test_eq_u64("FC 15 coils 7..8, 8 outside 0..7: a coils range alert",
	    nfirst("new_write_range"), 2);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 15, 2, 6, E + 6 * SEC);
	test_eq_u64("FC 15 coils 2..7 inside: nothing more", ncaught, 3);
	alerts_flush();
	test_eq_u64("flush: one update (holding registers)",
	    nupdate("new_write_range"), 1);
	a = find("new_write_range", true);
	test_eq_u64("holding registers alert counted 2", a ? a->count : 0, 2);

	/*
	 * More distinct ranges than BASELINE_RANGES: 9 intervals, 8 kept,
	 * so the two closest (9100 and 9105, 5 apart; every other pair is
	 * 1000 or more apart) merge into 9100-9105.  Two runs, because both
	 * probes raise the same aggregated alert.
	 */
	for (int run_ = 0; run_ < 2; run_++) {
		reset_all(P);
		for (int i = 0; i < 9; i++)
			modbus_write("10.0.0.5", "10.0.1.10", 1, 6, at[i], 1,
			    T0 + (uint64_t)i * SEC);
		for (int i = 0; i < 9; i++)
			modbus_write("10.0.0.5", "10.0.1.10", 1, 6, at[i], 1,
			    E + (uint64_t)i * SEC);
		test_eq_u64("9 learned ranges: all still known", ncaught, 0);
		if (run_ == 0) {
			modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 9103, 1,
			    E + 20 * SEC);
			test_eq_u64("9103, between the two closest (merged): "
			    "known", ncaught, 0);
		} else {
			modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 500, 1,
			    E + 20 * SEC);
			test_eq_u64("500, between 0 and 1000 (not the closest "
			    "pair): new", nfirst("new_write_range"), 1);
		}
	}
	/* many more: no crash, learned addresses stay known */
	reset_all(P);
	for (int i = 0; i < 200; i++)
		modbus_write("10.0.0.5", "10.0.1.10", 1, 6,
		    (uint16_t)(i * 37 % 5000 * 13), 1, T0 + (uint64_t)i * SEC);
	for (int i = 0; i < 200; i++)
		modbus_write("10.0.0.5", "10.0.1.10", 1, 6,
		    (uint16_t)(i * 37 % 5000 * 13), 1, E + (uint64_t)i * SEC);
	test_eq_u64("200 learned single writes: all still known", ncaught, 0);
	/* learned addresses are all below 65000 */
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 65535, 1, E + 300 * SEC);
	test_eq_u64("write 65535 (above every learned range): a new range",
	    nfirst("new_write_range"), 1);
}

/* ------------------------------------------------------------------------
 * 6. Silence of polled edges
 * --------------------------------------------------------------------- */

enum poll_mode { POLL_ANSWERED, POLL_REQUEST_ONLY };

static uint64_t last_poll;

/*
 * Capture time from 'from' to 'to' (exclusive) in ticks of 10 s; a poll at
 * every 60 s step of [poll_from, poll_to], sent before that tick.
 */
static void run(uint64_t from, uint64_t to, uint64_t poll_from,
    uint64_t poll_to, enum poll_mode mode)
{
	for (uint64_t t = from; t < to; t += 10 * SEC) {
		if (t >= poll_from && t <= poll_to &&
		    (t - poll_from) % (60 * SEC) == 0) {
			if (mode == POLL_ANSWERED)
				modbus("10.0.0.5", "10.0.1.10", 1, 3, t);
			else
				modbus_unanswered("10.0.0.5", "10.0.1.10", t);
			last_poll = t;
		}
		baseline_tick(t);
	}
}

#define NONE 0, 0, POLL_ANSWERED	/* no polls: poll_to < poll_from */
#define S(x) (T0 + (uint64_t)(x) * SEC)

/* 30 polls a minute apart (29 gaps, peak 60 s), period 1800 s */
static void learn_polled(void)
{
	reset_all(1800 * SEC);
	run(S(0), S(1800), S(0), S(1740), POLL_ANSWERED);
}

static bool at_between(const struct ev_alert *a, uint64_t lo, uint64_t hi)
{
	return a && a->h.ts_us >= lo && a->h.ts_us <= hi;
}

static void test_silence(void)
{
	uint64_t ta, tb, tc, tr;
	const struct ev_alert *a;

	learn_polled();
	test_eq_u64("polled while learning: no alert", ncaught, 0);
	run(S(1800), S(2410), S(1800), S(2400), POLL_ANSWERED);
	ta = last_poll;
	test_eq_u64("polled, answered: no alert", ncaught, 0);
	/* the server stops answering, the client keeps asking */
	run(S(2410), S(3000), S(2460), S(2940), POLL_REQUEST_ONLY);
	test_eq_u64("no answers: one device_silent", nfirst("device_silent"), 1);
	test_eq_u64("client still asks: no polling_stopped",
	    nfirst("polling_stopped"), 0);
	a = find("device_silent", false);
	test_cond("device_silent not before 3 x 60 s after the last answer, "
	    "at most 10 s later", at_between(a, ta + 180 * SEC, ta + 190 * SEC));
	test_cond("device_silent: src client, dst server",
	    a && side_is(&a->src, "10.0.0.5") && side_is(&a->dst, "10.0.1.10"));
	/* answers resume, then stop again */
	run(S(3000), S(3310), S(3000), S(3300), POLL_ANSWERED);
	tb = last_poll;
	run(S(3310), S(3900), S(3360), S(3840), POLL_REQUEST_ONLY);
	test_eq_u64("second silence: same alert key, no second first report",
	    nfirst("device_silent"), 1);
	/* then the client stops asking altogether */
	run(S(3900), S(4210), S(3900), S(4200), POLL_ANSWERED);
	tc = last_poll;
	run(S(4210), S(6000), NONE);
	test_eq_u64("requests stop: one polling_stopped",
	    nfirst("polling_stopped"), 1);
	a = find("polling_stopped", false);
	test_cond("polling_stopped in [last request + 180 s, + 190 s]",
	    at_between(a, tc + 180 * SEC, tc + 190 * SEC));
	test_eq_u64("requests stop: no device_silent on top",
	    nfirst("device_silent"), 1);
	alerts_flush();
	a = find("device_silent", true);
	test_eq_u64("flush: device_silent counted 2", a ? a->count : 0, 2);
	test_cond("second silence in [last answer + 180 s, + 190 s]",
	    a && a->last_us >= tb + 180 * SEC && a->last_us <= tb + 190 * SEC);
	test_eq_u64("polling_stopped reported once: no update",
	    nupdate("polling_stopped"), 0);

	/* a capture gap restarts the clocks: nothing right after it */
	learn_polled();
	run(S(1800), S(2410), S(1800), S(2400), POLL_ANSWERED);
	tr = S(2410 + 700);		/* last tick 2400: 710 s without ticks */
	run(tr, tr + 600 * SEC, NONE);
	test_eq_u64("after a capture gap: one polling_stopped",
	    nfirst("polling_stopped"), 1);
	a = find("polling_stopped", false);
	test_cond("after a capture gap: not before resume + 180 s",
	    at_between(a, tr + 180 * SEC, tr + 190 * SEC));
	test_eq_u64("after a capture gap: nothing else", ncaught, 1);
	learn_polled();
	run(S(1800), S(2410), S(1800), S(2400), POLL_ANSWERED);
	run(tr, tr + 600 * SEC, tr, tr + 540 * SEC, POLL_REQUEST_ONLY);
	test_eq_u64("after a gap, asked but unanswered: one device_silent",
	    nfirst("device_silent"), 1);
	a = find("device_silent", false);
	test_cond("device_silent after a gap: not before resume + 180 s",
	    at_between(a, tr + 180 * SEC, tr + 190 * SEC));
	test_eq_u64("after a gap: no polling_stopped", nfirst("polling_stopped"), 0);

	/* a gap over 1 h while learning: irregular, never silent */
	reset_all(4 * HOUR);
	run(S(0), S(1800), S(0), S(1740), POLL_ANSWERED);
	run(S(1800), S(1740 + 7200), NONE);		/* 2 h, ticks go on */
	run(S(1740 + 7200), S(14400), S(1740 + 7200), S(14400), POLL_ANSWERED);
	run(S(14400), S(14400 + 3600), NONE);
	baseline_finish(S(14400 + 3600));
	test_eq_u64("irregular edge: no silence alert", ncaught, 0);

	/* BASELINE_MIN_GAPS: 19 gaps are not enough, 20 are */
	reset_all(1800 * SEC);
	run(S(0), S(1800), S(0), S(60 * (BASELINE_MIN_GAPS - 1)), POLL_ANSWERED);
	run(S(1800), S(1800 + 3600), NONE);
	baseline_finish(S(1800 + 3600));
	test_eq_u64("19 gaps: no silence alert", ncaught, 0);
	reset_all(1800 * SEC);
	run(S(0), S(1800), S(0), S(60 * BASELINE_MIN_GAPS), POLL_ANSWERED);
	run(S(1800), S(1800 + 3600), NONE);
	test_eq_u64("20 gaps: polled, one polling_stopped",
	    nfirst("polling_stopped"), 1);
	a = find("polling_stopped", false);
	test_cond("first check of enforcing", at_between(a, S(1800), S(1810)));
	/* contract: an edge with fewer than BASELINE_MIN_GAPS gaps keeps
	 * learning its polling while enforcing (an accepted or late edge
	 * becomes polled); one that had enough stops learning it */
	reset_all(1800 * SEC);
	run(S(0), S(1800), S(0), S(60 * (BASELINE_MIN_GAPS - 1)), POLL_ANSWERED);
	run(S(1800), S(2410), S(1800), S(2400), POLL_ANSWERED);
	run(S(2410), S(7200), NONE);
	test_eq_u64("19 gaps while learning + more while enforcing: polled, "
	    "one polling_stopped", nfirst("polling_stopped"), 1);
	test_eq_u64("... and nothing else", ncaught, 1);

	/* baseline_finish checks every edge, whoever owned it */
	learn_polled();
	run(S(1800), S(2410), S(1800), S(2400), POLL_ANSWERED);
	tc = last_poll;
	baseline_finish(tc + 100 * SEC);
	test_eq_u64("finish under the threshold: nothing", ncaught, 0);
	baseline_thread_init(1);
	run(tc + 10 * SEC, tc + 300 * SEC, NONE);
	test_eq_u64("worker 1 ticks: worker 0's edge not checked", ncaught, 0);
	baseline_finish(tc + 300 * SEC);
	test_eq_u64("finish over the threshold: one polling_stopped",
	    nfirst("polling_stopped"), 1);
	baseline_finish(tc + 400 * SEC);
	test_eq_u64("finish again: reported once", nfirst("polling_stopped"), 1);
	test_eq_u64("finish: nothing else", ncaught, 1);

	/*
	 * With two workers, the worker the pair 10.0.0.5/10.0.1.10 is
	 * dispatched to (flow_key_hash_pair % 2, as sensor/pipeline.c does)
	 * checks the edge, whoever fed its events; the other never does.
	 */
	{
		struct flow_key k;
		int own;

		memset(&k, 0, sizeof(k));
		k.family = 4;
		inet_pton(AF_INET, "10.0.1.10", k.src);
		inet_pton(AF_INET, "10.0.0.5", k.dst);
		own = (int)(flow_key_hash_pair(&k) % 2);
		baseline_set_workers(2);
		learn_polled();
		baseline_thread_init(1 - own);
		run(S(1800), S(2410), S(1800), S(2400), POLL_ANSWERED);
		tc = last_poll;
		run(tc + 10 * SEC, tc + 400 * SEC, NONE);
		test_eq_u64("the other worker ticks: the edge is not checked",
		    ncaught, 0);
		baseline_thread_init(own);
		run(tc + 400 * SEC, tc + 420 * SEC, NONE);
		test_eq_u64("the dispatch worker ticks: the edge is checked",
		    nfirst("polling_stopped"), 1);
		baseline_set_workers(1);
	}
	baseline_thread_init(0);
}

/* ------------------------------------------------------------------------
 * 7. Operators
 * --------------------------------------------------------------------- */

/* baseline_accept(what) succeeded; prints the message when it did not. */
static bool accept_ok(const char *what)
{
	char err[256] = "";

	if (baseline_accept(what, err, sizeof(err)) == 0)
		return true;
	printf("  accept \"%s\": %s\n", what, err);
	return false;
}

static void test_operators(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	struct baseline_stats st;
	char err[256];
	size_t n;

	reset_all(P);
	modbus("10.0.0.6", "10.0.1.10", 1, 3, T0);
	flow("10.0.0.5", "10.0.1.99", 6, 80, true, T0 + SEC);
	/* a new edge with a new function, a new range, a new client */
	modbus("10.0.0.5", "10.0.1.10", 1, 3, E);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 16, 5, 1, E + SEC);
	modbus("10.0.0.7", "10.0.1.10", 1, 3, E + 2 * SEC);	/* new device */
	st = stats();
	test_eq_u64("before accept: new edges", st.new_edges, 2);
	test_eq_u64("before accept: new devices", st.new_devices, 1);
	test_cond("before accept: new facts", st.new_facts >= 2);
	err[0] = '\0';
	test_cond("accept the edge", accept_ok("10.0.0.5>10.0.1.10:tcp/502"));
	st = stats();
	test_eq_u64("accepted: one new edge left", st.new_edges, 1);
	test_eq_u64("accepted: its facts too (one left on 10.0.0.7's edge)",
	    st.new_facts, 1);
	test_eq_u64("accepted: 10.0.0.7 is not on that edge", st.new_devices, 1);
	alerts_flush();
	ncaught = 0;
	modbus("10.0.0.5", "10.0.1.10", 1, 3, E + 10 * SEC);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 16, 5, 1, E + 11 * SEC);
	test_eq_u64("accepted edge, function, range: nothing", ncaught, 0);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 16, 6, 1, E + 12 * SEC);
	test_eq_u64("accepted counts as learned: write outside it alerts",
	    nfirst("new_write_range"), 1);
	modbus("10.0.0.5", "10.0.1.10", 1, 4, E + 13 * SEC);
	test_eq_u64("accepted edge: another FC alerts", nfirst("new_function"), 1);

	/* accepting an edge accepts its two devices */
	test_cond("accept 10.0.0.7's edge",
	    accept_ok("10.0.0.7>10.0.1.10:tcp/502"));
	st = stats();
	test_eq_u64("edge accepted: its client device too", st.new_devices, 0);

	/* a device alone */
	flow("10.0.0.50", "10.0.1.10", 17, 161, false, E + 20 * SEC);
	test_eq_u64("new UDP client: new device", stats().new_devices, 1);
	test_cond("accept a device address", accept_ok("10.0.0.50"));
	st = stats();
	test_eq_u64("device accepted", st.new_devices, 0);
	test_eq_u64("its edge is still new", st.new_edges, 1);

	/* unknown and bad */
	err[0] = '\0';
	test_cond("unknown edge: -1", baseline_accept("10.9.9.9>10.0.1.10:tcp/502",
	    err, sizeof(err)) == -1 && err[0]);
	err[0] = '\0';
	test_cond("unknown device: -1", baseline_accept("10.0.0.222", err,
	    sizeof(err)) == -1 && err[0]);
	err[0] = '\0';
	test_cond("learned edge, other port: -1", baseline_accept(
	    "10.0.0.6>10.0.1.10:tcp/503", err, sizeof(err)) == -1 && err[0]);
	{
		static const char *const bad[] = { "", "garbage", "10.0.0.5>",
			">10.0.1.10:tcp/502", "10.0.0.5>10.0.1.10",
			"10.0.0.5>10.0.1.10:tcp", "10.0.0.5>10.0.1.10:tcp/",
			"10.0.0.5>10.0.1.10:tcp/65536", "10.0.0.5>10.0.1.10:tcp/-1",
			"10.0.0.5>10.0.1.10:bogus/502", "10.0.0.5>10.0.1.10:icmp/1",
			"10.0.0.5>[fd00::1]:tcp/502", "public>public:tcp/1",
			"[::1>x:tcp/1", "a>b:tcp/1", "1.2.3.4>5.6.7.8",
			"public", "999.0.0.1", "10.0.0.5>10.0.1.10:tcp/502x",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char msg[80];

			err[0] = '\0';
			snprintf(msg, sizeof(msg), "accept \"%s\": -1 with a message",
			    bad[i]);
			test_cond(msg, baseline_accept(bad[i], err, sizeof(err)) == -1 &&
			    err[0] && !strchr(err, '\n'));
		}
	}

	/* public ends and IPv6 parse */
	flow("10.0.0.5", "93.184.216.34", 6, 443, true, E + 30 * SEC);
	flow("8.8.4.4", "10.0.1.10", 6, 22, true, E + 31 * SEC);
	modbus("fd00::1", "fd00::2", 1, 3, E + 32 * SEC);
	test_eq_u64("three more new edges", stats().new_edges, 4);
	test_cond("accept 10.0.0.5>public:tcp/443",
	    accept_ok("10.0.0.5>public:tcp/443"));
	test_cond("accept public>10.0.1.10:tcp/22",
	    accept_ok("public>10.0.1.10:tcp/22"));
	test_cond("accept [fd00::1]>[fd00::2]:tcp/502",
	    accept_ok("[fd00::1]>[fd00::2]:tcp/502"));
	test_eq_u64("all but the UDP one accepted", stats().new_edges, 1);
	test_eq_u64("IPv6 devices accepted with their edge",
	    stats().new_devices, 0);
	ncaught = 0;
	flow("10.0.0.5", "8.8.8.8", 6, 443, true, E + 40 * SEC);
	modbus("fd00::1", "fd00::2", 1, 3, E + 41 * SEC);
	test_eq_u64("accepted public and IPv6 edges: nothing", ncaught, 0);
	/* an IPv6 device, with and without brackets */
	modbus("fd00::1", "fd00::50", 1, 3, E + 42 * SEC);
	modbus("fd00::1", "fd00::51", 1, 3, E + 43 * SEC);
	test_eq_u64("two new IPv6 devices", stats().new_devices, 2);
	test_cond("accept [fd00::50]", accept_ok("[fd00::50]"));
	test_cond("accept fd00::51 (as baseline_print shows it)",
	    accept_ok("fd00::51"));
	test_eq_u64("IPv6 devices accepted", stats().new_devices, 0);
	/* accept_all */
	reset_all(P);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 50, 1, T0 + SEC);
	/* new: 2 devices, 1 edge, 1 function (FC 3 on the new edge) */
	modbus("10.0.0.8", "10.0.1.12", 1, 3, E);
	/* new: 1 function (FC 4), 1 range (reg 900) on the learned edge */
	modbus("10.0.0.5", "10.0.1.10", 1, 4, E + SEC);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 900, 1, E + 2 * SEC);
	n = baseline_accept_all();
	test_eq_u64("accept_all: 2 devices + 1 edge + 2 functions + 1 range",
	    n, 6);
	st = stats();
	test_cond("accept_all: nothing new left", st.new_devices == 0 &&
	    st.new_edges == 0 && st.new_facts == 0);
	test_eq_u64("accept_all again: 0", baseline_accept_all(), 0);
	alerts_flush();
	ncaught = 0;
	modbus("10.0.0.8", "10.0.1.12", 1, 3, E + 10 * SEC);
	modbus("10.0.0.5", "10.0.1.10", 1, 4, E + 11 * SEC);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 900, 1, E + 12 * SEC);
	test_eq_u64("after accept_all: nothing", ncaught, 0);

	/* baseline_enforce ends learning at once */
	reset_all(7 * 24 * HOUR);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	test_cond("a week to learn: learning", !stats().enforcing);
	baseline_enforce();
	st = stats();
	test_cond("enforce: forced and enforcing", st.forced && st.enforcing);
	modbus("10.0.0.6", "10.0.1.10", 1, 3, T0 + SEC);
	test_eq_u64("enforce: a new client 1 s later alerts",
	    nfirst("new_edge"), 1);
	baseline_finish(T0 + 2 * SEC);
	test_eq_u64("enforce: and its device (at the end)",
	    nfirst("new_device"), 1);
}

static char *mem_text(int (*fn)(FILE *), size_t *items, bool only_new);

/*
 * One connection's transactions share a flow id: the per-thread flow cache
 * must still move last-seen times and see new functions and ranges.
 */
static void test_flow_cache(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	struct ev_modbus *m;
	char *w, want[160];

	reset_all(P);
	for (int i = 0; i < 5; i++) {
		m = mb_new("10.0.0.5", "10.0.1.10", 1, 3, T0 + (uint64_t)i * SEC);
		m->h.flow_id = 4242;
		out_emit(&m->h);
	}
	w = mem_text(baseline_state_write, NULL, false);
	snprintf(want, sizeof(want), "device ip=10.0.0.5 status=learned "
	    "first=%llu last=%llu", (unsigned long long)T0,
	    (unsigned long long)(T0 + 4 * SEC));
	test_cond("cached flow: client last seen moves", w && strstr(w, want));
	snprintf(want, sizeof(want), "device ip=10.0.1.10 status=learned "
	    "first=%llu last=%llu", (unsigned long long)T0,
	    (unsigned long long)(T0 + 4 * SEC));
	test_cond("cached flow: server last seen moves", w && strstr(w, want));
	free(w);
	/* same connection, enforcing: a new FC and a new range still alert */
	m = mb_new("10.0.0.5", "10.0.1.10", 1, 6, T0 + 10 * SEC);
	m->h.flow_id = 4242;
	m->has_address = true;
	m->address = 10;
	out_emit(&m->h);
	ncaught = 0;
	m = mb_new("10.0.0.5", "10.0.1.10", 1, 4, E);
	m->h.flow_id = 4242;
	out_emit(&m->h);
	test_eq_u64("cached flow: new function alerts", nfirst("new_function"), 1);
	m = mb_new("10.0.0.5", "10.0.1.10", 1, 6, E + SEC);
	m->h.flow_id = 4242;
	m->has_address = true;
	m->address = 900;
	out_emit(&m->h);
	test_eq_u64("cached flow: new write range alerts",
	    nfirst("new_write_range"), 1);
	m = mb_new("10.0.0.5", "10.0.1.10", 1, 6, E + 2 * SEC);
	m->h.flow_id = 4242;
	m->has_address = true;
	m->address = 10;
	out_emit(&m->h);
	test_eq_u64("cached flow: the learned range does not",
	    nfirst("new_write_range"), 1);
	test_eq_u64("cached flow: no new edge or device", nfirst("new_edge") +
	    nfirst("new_device"), 0);
	alerts_flush();
}

/* ------------------------------------------------------------------------
 * 8. State lines
 * --------------------------------------------------------------------- */

static char *mem_text(int (*fn)(FILE *), size_t *items, bool only_new)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	if (fn) {
		if (fn(f) != 0)
			test_cond("state_write returns 0", false);
	} else {
		*items = baseline_print(f, only_new);
	}
	fclose(f);
	return buf;
}

/* Feeds every line of text; returns how many failed. */
static int read_lines(const char *text, bool merge)
{
	char *copy = strdup(text), *save = NULL;
	int bad = 0;

	for (char *l = strtok_r(copy, "\n", &save); l;
	    l = strtok_r(NULL, "\n", &save)) {
		char err[256] = "";

		if (!baseline_state_owns(l) ||
		    baseline_state_read(l, merge, err, sizeof(err)) != 0) {
			printf("  line \"%s\": %s\n", l, err);
			bad++;
		}
	}
	free(copy);
	return bad;
}

/* The line of 'text' that starts with 'prefix' (copied, or NULL). */
static char *line_of(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return strndup(p, n);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* The line of 'text' that starts with 'prefix' and contains 'has'. */
static char *line_with(const char *text, const char *prefix, const char *has)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *l = strndup(p, n);

		if (strncmp(l, prefix, strlen(prefix)) == 0 && strstr(l, has))
			return l;
		free(l);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Replaces the first 'from' in s by 'to' (same or shorter buffer). */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = s ? strstr(s, from) : NULL;
	size_t n;
	char *r;

	if (!at)
		return NULL;
	n = strlen(s) - strlen(from) + strlen(to) + 1;
	r = malloc(n);
	snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return r;
}

static void build_mixed(void)
{
	const uint64_t P = 1800 * SEC, E = T0 + P + 60 * SEC;
	char err[128];

	reset_all(P);
	/* learning: a polled Modbus edge with writes, DNP3, public, IPv6,
	 * UDP, ICMP */
	run(S(0), S(1800), S(0), S(1740), POLL_ANSWERED);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 50, 1, T0 + 5);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 16, 60, 4, T0 + 6);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 15, 0, 16, T0 + 7);
	dnp3("10.0.0.5", "10.0.1.20", 1, 10, 1, T0 + 8);
	flow("10.0.0.5", "93.184.216.34", 6, 80, true, T0 + 9);
	flow("8.8.8.8", "10.0.1.10", 6, 22, true, T0 + 10);
	modbus("fd00::1", "fd00::2", 1, 3, T0 + 11);
	flow("10.0.0.5", "10.0.1.30", 17, 161, true, T0 + 12);
	flow("10.0.0.5", "10.0.1.30", 1, 0, true, T0 + 13);
	/* enforcing: new range, accepted; another new range; new edges */
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 900, 1, E);
	modbus_write("10.0.0.6", "10.0.1.10", 1, 16, 5, 2, E + 1);
	if (baseline_accept("10.0.0.5>10.0.1.10:tcp/502", err, sizeof(err)) ||
	    baseline_accept("10.0.0.6>10.0.1.10:tcp/502", err, sizeof(err)))
		test_cond("build_mixed: accept", false);
	modbus_write("10.0.0.5", "10.0.1.10", 1, 6, 2000, 1, E + 2);
	modbus("10.0.0.7", "10.0.1.10", 1, 3, E + 3);
	dnp3("10.0.0.5", "10.0.1.20", 2, 10, 2, E + 4);
	flow("10.0.0.5", "151.101.1.69", 6, 443, true, E + 5);
	modbus("fd00::1", "fd00::3", 1, 3, E + 6);
	flow("8.8.4.4", "10.0.1.10", 6, 23, true, E + 7);
}

static void test_state_roundtrip(void)
{
	char *w1, *w2, *p1, *p2, *d1, *d2;
	size_t items1, items2, nd1, nd2;
	struct baseline_stats s1, s2;
	char err[256];

	build_mixed();
	s1 = stats();
	w1 = mem_text(baseline_state_write, NULL, false);
	p1 = mem_text(NULL, &items1, false);
	d1 = mem_text(NULL, &nd1, true);
	test_cond("mixed baseline has new items", s1.new_devices > 0 &&
	    s1.new_edges > 0 && s1.new_facts > 0);
	test_cond("every state line is owned", read_lines(w1, false) == 0);
	baseline_reset();
	test_eq_u64("reset: no edges", stats().edges, 0);
	test_eq_u64("read back: no line fails", read_lines(w1, false), 0);
	w2 = mem_text(baseline_state_write, NULL, false);
	p2 = mem_text(NULL, &items2, false);
	d2 = mem_text(NULL, &nd2, true);
	test_cond("state written again is identical", strcmp(w1, w2) == 0);
	test_cond("baseline_print identical", strcmp(p1, p2) == 0);
	test_cond("baseline_print(only_new) identical", strcmp(d1, d2) == 0);
	test_eq_u64("print item counts", items2, items1);
	s2 = stats();
	test_cond("stats identical", s1.devices == s2.devices &&
	    s1.edges == s2.edges && s1.facts == s2.facts &&
	    s1.new_devices == s2.new_devices && s1.new_edges == s2.new_edges &&
	    s1.new_facts == s2.new_facts && s1.learn_start_us == s2.learn_start_us &&
	    s1.last_us == s2.last_us && s1.enforcing == s2.enforcing);
	if (strcmp(w1, w2) != 0)
		printf("--- first\n%s--- second\n%s", w1, w2);
	/* the polled edge keeps its profile; a restart restarts its clock */
	ncaught = 0;
	run(S(5400), S(5700), NONE);
	test_eq_u64("reloaded polled edge: one polling_stopped",
	    nfirst("polling_stopped"), 1);
	test_cond("reloaded: not before the first tick + 180 s",
	    at_between(find("polling_stopped", false), S(5580), S(5590)));

	/* merge_accepted */
	{
		char *l, *m;
		uint64_t devices = s2.devices, edges = s2.edges, facts = s2.facts;
		struct baseline_stats st;

		st = stats();
		l = line_of(w1, "device ip=10.0.0.7 ");
		m = replace(l, "status=new", "status=accepted");
		test_cond("merge: accepted device line",
		    m && baseline_state_read(m, true, err, sizeof(err)) == 0);
		test_eq_u64("merge: device accepted", stats().new_devices,
		    st.new_devices - 1);
		free(l);
		free(m);
		l = line_of(w1, "edge e=10.0.0.7>10.0.1.10:tcp/502 ");
		m = replace(l, "status=new", "status=accepted");
		test_cond("merge: accepted edge line",
		    m && baseline_state_read(m, true, err, sizeof(err)) == 0);
		test_eq_u64("merge: edge accepted", stats().new_edges,
		    st.new_edges - 1);
		free(l);
		free(m);
		l = line_of(w1, "fact e=10.0.0.7>10.0.1.10:tcp/502 kind=modbus_fc ");
		m = replace(l, "status=new", "status=accepted");
		test_cond("merge: accepted fact line",
		    m && baseline_state_read(m, true, err, sizeof(err)) == 0);
		test_eq_u64("merge: fact accepted", stats().new_facts,
		    st.new_facts - 1);
		free(l);
		free(m);
		/* a range accepted on disk */
		l = line_with(w1, "fact e=10.0.0.5>10.0.1.10:tcp/502 ",
		    "2000-2000:new");
		m = replace(l, "2000-2000:new", "2000-2000:accepted");
		test_cond("merge: accepted range line",
		    m && baseline_state_read(m, true, err, sizeof(err)) == 0);
		test_eq_u64("merge: range accepted", stats().new_facts,
		    st.new_facts - 2);
		free(l);
		free(m);
		st = stats();
		/* never the reverse */
		test_cond("merge: learned device line 'new'", baseline_state_read(
		    "device ip=10.0.0.5 status=new first=1 last=2", true, err,
		    sizeof(err)) == 0);
		test_cond("merge: accepted device line 'new'", baseline_state_read(
		    "device ip=10.0.0.6 status=new first=1 last=2", true, err,
		    sizeof(err)) == 0);
		test_cond("merge: accepted edge line 'new'", baseline_state_read(
		    "edge e=10.0.0.6>10.0.1.10:tcp/502 status=new", true, err,
		    sizeof(err)) == 0);
		test_cond("merge: learned edge line 'new'", baseline_state_read(
		    "edge e=10.0.0.5>10.0.1.10:tcp/502 status=new", true, err,
		    sizeof(err)) == 0);
		test_cond("merge: learned fact line 'new'", baseline_state_read(
		    "fact e=10.0.0.5>10.0.1.10:tcp/502 kind=modbus_fc unit=1 "
		    "code=3 status=new", true, err, sizeof(err)) == 0);
		/* only "accepted" on disk accepts: "new"/"learned" change nothing */
		test_cond("merge: new device line 'learned'", baseline_state_read(
		    "device ip=fd00::3 status=learned first=1 last=2", true, err,
		    sizeof(err)) == 0);
		test_cond("merge: new edge line 'learned'", baseline_state_read(
		    "edge e=[fd00::1]>[fd00::3]:tcp/502 status=learned", true, err,
		    sizeof(err)) == 0);
		test_cond("merge: new fact line 'new'", baseline_state_read(
		    "fact e=10.0.0.5>10.0.1.20:tcp/20000 kind=dnp3_fc unit=10 "
		    "master=2 code=2 status=new", true, err, sizeof(err)) == 0);
		test_cond("merge: new fact line 'learned'", baseline_state_read(
		    "fact e=10.0.0.5>10.0.1.20:tcp/20000 kind=dnp3_fc unit=10 "
		    "master=2 code=2 status=learned", true, err, sizeof(err)) == 0);
		test_cond("merge: 'new' never reverses acceptance",
		    stats().new_devices == st.new_devices &&
		    stats().new_edges == st.new_edges &&
		    stats().new_facts == st.new_facts);
		/* not in memory: not added */
		test_cond("merge: device not in memory", baseline_state_read(
		    "device ip=10.0.0.99 status=accepted first=1 last=2", true,
		    err, sizeof(err)) == 0);
		test_cond("merge: edge not in memory", baseline_state_read(
		    "edge e=10.0.0.99>10.0.1.10:tcp/502 status=accepted", true,
		    err, sizeof(err)) == 0);
		test_cond("merge: fact not in memory", baseline_state_read(
		    "fact e=10.0.0.5>10.0.1.10:tcp/502 kind=modbus_fc unit=1 "
		    "code=99 status=accepted", true, err, sizeof(err)) == 0);
		err[0] = '\0';
		test_cond("merge: fact of an edge not in memory: ignored",
		    baseline_state_read("fact e=10.0.0.99>10.0.1.10:tcp/502 "
		    "kind=modbus_fc unit=1 code=3 status=accepted", true, err,
		    sizeof(err)) == 0);
		if (err[0])
			printf("  (message: %s)\n", err);
		test_cond("merge adds nothing", stats().devices == devices &&
		    stats().edges == edges && stats().facts == facts);
		/* the header: forced is or-ed, the window is kept */
		test_cond("merge: header", baseline_state_read("baseline "
		    "learn_start=5 period=7 last=9 forced=1", true, err,
		    sizeof(err)) == 0);
		st = stats();
		test_cond("merge: forced or-ed", st.forced);
		test_eq_u64("merge: learn_start kept", st.learn_start_us, T0);
	}
	free(w1);
	free(w2);
	free(p1);
	free(p2);
	free(d1);
	free(d2);
}

/* Every "new" of a state text as "accepted", merged: nothing new left. */
static void test_state_merge_all(void)
{
	char *w, *acc, *p, *q;
	struct baseline_stats s1, s2;
	size_t n = 0;

	build_mixed();
	s1 = stats();
	w = mem_text(baseline_state_write, NULL, false);
	acc = malloc(strlen(w) * 2 + 1);
	for (p = w, q = acc; *p;) {
		if (p > w && strncmp(p, "new", 3) == 0 &&
		    (p[-1] == '=' || p[-1] == ':')) {
			memcpy(q, "accepted", 8);
			q += 8;
			p += 3;
			n++;
		} else {
			*q++ = *p++;
		}
	}
	*q = '\0';
	test_cond("merge all: the text had new items", n > 3);
	test_eq_u64("merge all: every line reads", read_lines(acc, true), 0);
	s2 = stats();
	test_cond("merge all: nothing new left", s2.new_devices == 0 &&
	    s2.new_edges == 0 && s2.new_facts == 0);
	test_cond("merge all: counts unchanged", s1.devices == s2.devices &&
	    s1.edges == s2.edges && s1.facts == s2.facts);
	free(w);
	free(acc);
}

/* ------------------------------------------------------------------------
 * 9. Hostile state lines
 * --------------------------------------------------------------------- */

static void hostile(const char *line, bool merge)
{
	char err[256] = "", msg[200];
	int rc = baseline_state_read(line, merge, err, sizeof(err));

	snprintf(msg, sizeof(msg), "%s \"%.120s\": -1 with a one-line message",
	    merge ? "merge" : "read", line);
	test_cond(msg, rc == -1 && err[0] && !strchr(err, '\n'));
}

static void test_hostile(void)
{
	static const char *const lines[] = {
		"",
		"baseline",
		"baseline learn_start=",
		"baseline learn_start=99999999999999999999",
		"baseline learn_start=-1",
		"baseline learn_start=12x",
		"baseline learn_start=1 forced=2",
		"device",
		"device ip=10.0.0.1",
		"device ip=10.0.0.1 status=bogus",
		"device ip=10.0.0.1 status=",
		"device ip=10.0.0.1 status=new first=99999999999999999999",
		"device ip=10.0.0.1 status=new first=18446744073709551616",
		"device ip=10.0.0.1 status=new first=-5",
		"device ip=10.0.0.999 status=new",
		"device ip= status=new",
		"device ip=[::1 status=new",
		"device ip=10.0.0.1 status=new junk",
		"device =10.0.0.1 status=new",
		"edge e=1.2.3.4>5.6.7.8 status=learned",
		"edge e=a>b:tcp/1 status=learned",
		"edge e=[::1>x:tcp/1 status=learned",
		"edge e=public>public:tcp/1 status=learned",
		"edge e=10.0.0.1>10.0.0.2:tcp/65536 status=learned",
		"edge e=10.0.0.1>10.0.0.2:tcp/ status=learned",
		"edge e=10.0.0.1>10.0.0.2:tcp status=learned",
		"edge e=10.0.0.1>10.0.0.2:bogus/1 status=learned",
		"edge e=10.0.0.1>10.0.0.2:ip256 status=learned",
		"edge e=10.0.0.1>[fd00::2]:tcp/1 status=learned",
		"edge e=>:tcp/1 status=learned",
		"edge e=10.0.0.1>10.0.0.2:tcp/1 status=maybe",
		"edge e=10.0.0.1>10.0.0.2:tcp/1",
		"edge e=10.0.0.1>10.0.0.2:tcp/1 status=learned first=-1",
		"edge e=10.0.0.1>10.0.0.2:tcp/1 status=learned events=99999999999999999999",
		"fact e=10.0.0.1>10.0.0.3:tcp/502 kind=modbus_fc unit=1 code=3 status=learned",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_fc unit=1 code=3",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=bogus unit=1 code=3 status=learned",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_fc unit=70000 code=3 status=learned",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_fc unit=1 code=256 status=learned",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_fc unit=1 code=-3 status=learned",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=5-3:new",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=1-2:bogus",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=1-2",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=1:new",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=1-70000:new",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=-1-2:new",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=1-2:new,,",
		"fact e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 code=1 status=learned ranges=1-2:new,x",
		"asset mac=00:11:22:33:44:55",
		"something else",
	};
	char err[256];
	char *big;
	size_t n;

	reset_all(HOUR);
	/* one good edge, so that fact lines have something to hang on */
	test_cond("good edge line", baseline_state_read("edge "
	    "e=10.0.0.1>10.0.0.2:tcp/502 status=learned app=modbus first=1 "
	    "last=2 events=3 peer=- ot=1 req=0 resp=0 peak=0 gaps=0 irregular=0",
	    false, err, sizeof(err)) == 0);
	test_cond("good fact line", baseline_state_read("fact "
	    "e=10.0.0.1>10.0.0.2:tcp/502 kind=modbus_write unit=1 master=0 code=1 "
	    "status=learned first=1 last=2 count=3 ranges=1-2:learned,9-9:new",
	    false, err, sizeof(err)) == 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		hostile(lines[i], false);
	/* syntax errors are errors when merging too */
	hostile("device ip=10.0.0.999 status=new", true);
	hostile("edge e=public>public:tcp/1 status=accepted", true);
	hostile("device ip=10.0.0.1 status=bogus", true);

	/* 30 tokens */
	big = malloc(70000);
	n = (size_t)snprintf(big, 70000, "device ip=10.0.0.1 status=new");
	for (int i = 0; i < 28; i++)
		n += (size_t)snprintf(big + n, 70000 - n, " x%d=1", i);
	hostile(big, false);
	/* one huge token, and a huge edge */
	n = (size_t)snprintf(big, 70000, "edge e=");
	memset(big + n, '1', 60000);
	snprintf(big + n + 60000, 70000 - n - 60000, " status=new");
	hostile(big, false);
	n = (size_t)snprintf(big, 70000, "device ip=10.0.0.1 status=new first=");
	memset(big + n, '9', 60000);
	big[n + 60000] = '\0';
	hostile(big, false);
	/* every prefix of a good line: no crash (some are still valid) */
	{
		static const char good[] = "fact e=[fd00::1]>public:udp/53 "
		    "kind=modbus_write unit=1 master=0 code=1 status=new "
		    "first=1 last=2 count=3 ranges=1-2:learned,9-9:new";

		(void)baseline_state_read("edge e=[fd00::1]>public:udp/53 "
		    "status=new", false, err, sizeof(err));
		int silent = 0;

		for (size_t i = 0; i < sizeof(good) - 1; i++) {
			memcpy(big, good, i);
			big[i] = '\0';
			for (int m = 0; m < 2; m++) {
				err[0] = '\0';
				if (baseline_state_read(big, m, err,
				    sizeof(err)) != 0 && !err[0])
					silent++;
			}
		}
		test_eq_u64("every prefix of a line: -1 always has a message",
		    silent, 0);
	}
	free(big);
	/* a small error buffer: still terminated */
	{
		char tiny[8];

		memset(tiny, 'Z', sizeof(tiny));
		test_cond("tiny err buffer: -1", baseline_state_read(
		    "device ip=10.0.0.999 status=new", false, tiny,
		    sizeof(tiny)) == -1);
		test_cond("tiny err buffer: terminated",
		    memchr(tiny, '\0', sizeof(tiny)) != NULL);
	}
	test_cond("owns: baseline/device/edge/fact",
	    baseline_state_owns("baseline learn_start=1") &&
	    baseline_state_owns("device ip=1.2.3.4") &&
	    baseline_state_owns("edge e=x") && baseline_state_owns("fact e=x"));
	test_cond("owns: not asset, not empty, not a prefix word",
	    !baseline_state_owns("asset mac=x") && !baseline_state_owns("") &&
	    !baseline_state_owns("devices x=1") &&
	    !baseline_state_owns("edgeless x=1"));
}

/* ------------------------------------------------------------------------
 * 10. Stats, print, full tables
 * --------------------------------------------------------------------- */

static void test_stats(void)
{
	const uint64_t P = HOUR, E = T0 + P + 60 * SEC;
	struct baseline_stats st;
	size_t items;
	char *txt;
	uint64_t fed;

	reset_all(P);
	st = stats();
	test_cond("empty: all zero", st.devices == 0 && st.edges == 0 &&
	    st.facts == 0 && st.learn_start_us == 0 && !st.enforcing);
	modbus("10.0.0.5", "10.0.1.10", 1, 3, T0);
	st = stats();
	test_eq_u64("devices 2", st.devices, 2);
	test_eq_u64("edges 1", st.edges, 1);
	test_eq_u64("facts 1 (FC 3)", st.facts, 1);
	test_cond("learned: no new", st.new_devices == 0 && st.new_edges == 0 &&
	    st.new_facts == 0);
	modbus("10.0.0.6", "10.0.1.10", 1, 3, E);
	st = stats();
	test_eq_u64("devices 3", st.devices, 3);
	test_eq_u64("new_devices 1", st.new_devices, 1);
	test_eq_u64("edges 2", st.edges, 2);
	test_eq_u64("new_edges 1", st.new_edges, 1);
	test_eq_u64("facts 2", st.facts, 2);
	test_eq_u64("new_facts 1 (FC 3 under the new edge)", st.new_facts, 1);
	test_eq_u64("last_us", st.last_us, E);
	test_cond("enforcing, not forced", st.enforcing && !st.forced);
	modbus("10.0.0.5", "10.0.1.10", 1, 4, E + SEC);
	st = stats();
	test_eq_u64("facts 3", st.facts, 3);
	test_eq_u64("new_facts 2", st.new_facts, 2);
	txt = mem_text(NULL, &items, true);
	test_eq_u64("print(only_new): device, edge, 2 functions", items, 4);
	test_cond("print(only_new) names the new client",
	    txt && strstr(txt, "10.0.0.6") != NULL);
	free(txt);
	txt = mem_text(NULL, &items, false);
	test_eq_u64("print: 3 devices, 2 edges, 3 functions", items, 8);
	free(txt);

	/* a full device table: nothing more kept, counted, still alerts */
	reset_all(P);
	fed = BASELINE_DEVICES + 200;
	for (uint64_t i = 0; i < fed; i++) {
		char c[32];

		snprintf(c, sizeof(c), "10.%u.%u.%u", (unsigned)(1 + i / 65536),
		    (unsigned)(i / 256 % 256), (unsigned)(i % 256));
		memset(&fl, 0, sizeof(fl));
		hdr(&fl.h, EV_FLOW, c, "192.168.0.1", 17, 53, T0 + i);
		fl.pkts[DIR_TO_SERVER] = 1;	/* unanswered: server no device */
		baseline_observe(&fl.h);
	}
	st = stats();
	test_cond("full: at most BASELINE_DEVICES kept",
	    st.devices <= BASELINE_DEVICES && st.devices > 0);
	test_cond("full: some not kept", st.devices < fed);
	test_eq_u64("full: every device kept or counted as dropped",
	    st.devices + st.full_drops, fed);
	test_eq_u64("full: edges all kept", st.edges, fed);
	test_eq_u64("full: learning, no alerts", ncaught, 0);
	modbus_unanswered("10.200.0.1", "192.168.0.1", E);
	test_eq_u64("full device table, enforcing: a new edge alerts",
	    nfirst("new_edge"), 1);
	test_eq_u64("full device table, enforcing: a new device still alerts",
	    nfirst("new_device"), 1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);	/* FAIL lines survive a crash */
	out_set_hook(hook, NULL);
	alerts_set_interval(1000 * HOUR);	/* updates only from alerts_flush */
	test_learning_switch();
	test_new_edge();
	test_new_device_hold();
	test_public();
	test_new_function();
	test_write_ranges();
	test_silence();
	test_operators();
	test_state_roundtrip();
	test_state_merge_all();
	test_hostile();
	test_stats();
	test_flow_cache();
	alerts_flush();
	alerts_set_interval(0);
	baseline_reset();
	out_set_hook(NULL, NULL);
	return test_report();
}
