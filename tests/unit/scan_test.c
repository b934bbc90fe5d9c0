/*
 * scan_test.c - address sweeps and port scans (ot/scan.h) on hand-built
 * flow records: thresholds, what counts as a try, fixed windows judged
 * after the hold, the same alert whatever the order of the records,
 * learned conversations left out, re-arming, full tables.
 *
 * Expected values come from the contract in ot/scan.h.  Records go through
 * out_emit() as in the sensor; alerts are caught with out_set_hook().
 * Times: W0 is the start of a 5-minute window (1700000100 s is a multiple
 * of 300 s).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot/alerts.h"
#include "ot/baseline.h"
#include "ot/scan.h"
#include "sensor/output.h"
#include "tests/unit/testhelp.h"

#define SEC 1000000ULL
#define W0 (1700000100ULL * SEC)
#define WIN (300 * SEC)
#define HOLD (120 * SEC)
#define MAX_CAUGHT 512

static struct ev_alert caught[MAX_CAUGHT];
static int ncaught;

static void hook(const struct ev_hdr *ev, void *arg)
{
	const struct ev_alert *a = (const struct ev_alert *)ev;

	(void)arg;
	if (ev->type == EV_ALERT && !a->update &&
	    strncmp(a->signature, "ot.scan.", 8) == 0 && ncaught < MAX_CAUGHT)
		caught[ncaught++] = *a;
}

static int nsig(const char *sig)
{
	int n = 0;

	for (int i = 0; i < ncaught; i++)
		if (strcmp(caught[i].signature, sig) == 0)
			n++;
	return n;
}

static const struct ev_alert *find(const char *sig)
{
	for (int i = 0; i < ncaught; i++)
		if (strcmp(caught[i].signature, sig) == 0)
			return &caught[i];
	return NULL;
}

static void ip_parse(const char *s, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, s, ip) != 1)
		abort();	/* a typo in this file, not input */
}

static bool side_is(const struct ev_alert_side *sd, const char *s)
{
	uint8_t ip[16];

	ip_parse(s, ip);
	return sd->family == 4 && memcmp(sd->ip, ip, 4) == 0;
}

enum try_kind { T_S0, T_REJ, T_OPEN, T_DATA, T_UDP, T_UDP_ANSWERED, T_PING,
	T_PING_ANSWERED };

static uint64_t next_id = 1;

/* A final flow record src -> dst:port at ts, shaped as 'kind'. */
static void flow(const char *src, const char *dst, uint16_t port,
    enum try_kind kind, uint64_t ts)
{
	struct ev_flow f;

	memset(&f, 0, sizeof(f));
	f.h.type = EV_FLOW;
	f.h.ts_us = ts;
	f.h.event_id = next_id;
	f.h.flow_id = 1000000 + next_id++;
	f.h.has_key = true;
	f.h.key.family = 4;
	ip_parse(src, f.h.key.src);
	ip_parse(dst, f.h.key.dst);
	f.h.key.proto = kind == T_UDP || kind == T_UDP_ANSWERED ? 17 :
	    kind == T_PING || kind == T_PING_ANSWERED ? 1 : 6;
	f.h.key.sport = f.h.key.proto == 1 ? 8 : 40000;	/* ICMP: type */
	f.h.key.dport = f.h.key.proto == 1 ? 0 : port;
	f.start_us = f.end_us = ts;
	f.pkts[DIR_TO_SERVER] = 1;
	snprintf(f.state, sizeof(f.state), "%s", kind == T_S0 ? "S0" :
	    kind == T_REJ ? "REJ" : kind == T_OPEN ? "RSTO" :
	    kind == T_DATA ? "SF" : "");
	switch (kind) {
	case T_S0: case T_UDP: case T_PING:
		break;
	case T_REJ: case T_OPEN: case T_UDP_ANSWERED: case T_PING_ANSWERED:
		f.pkts[DIR_TO_CLIENT] = 1;
		break;
	case T_DATA:
		f.pkts[DIR_TO_CLIENT] = 3;
		f.payload_bytes[DIR_TO_SERVER] = 12;
		f.payload_bytes[DIR_TO_CLIENT] = 40;
		break;
	}
	out_emit(&f.h);
}

/* 10.0.2.<first>..<first+n-1> tried by src, one every 3 s from t. */
static void sweep(const char *src, int first, int n, uint16_t port,
    enum try_kind kind, uint64_t t)
{
	char ip[32];

	for (int i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "10.0.2.%d", first + i);
		flow(src, ip, port, kind, t + (uint64_t)i * 3 * SEC);
	}
}

static void reset(void)
{
	alerts_flush();
	scan_reset();
	scan_set_thresholds(SCAN_HOSTS, SCAN_PORTS);
	scan_set_hold(HOLD);
	baseline_reset();
	ncaught = 0;
}

static void test_sweep(void)
{
	const struct ev_alert *a;

	reset();
	sweep("10.0.1.66", 1, 16, 502, T_S0, W0 + 10 * SEC);
	scan_tick(W0 + WIN + HOLD - SEC);
	test_eq_u64("sweep: not judged before window end + hold", ncaught, 0);
	scan_tick(W0 + WIN + HOLD + 10 * SEC);	/* judged every 10 s */
	test_eq_u64("sweep: 16 hosts in a window: one alert",
	    nsig("ot.scan.address_sweep"), 1);
	test_eq_u64("sweep: no port scan (one port per host)",
	    nsig("ot.scan.port_scan"), 0);
	a = find("ot.scan.address_sweep");
	test_cond("sweep: src is the scanner", a && side_is(&a->src, "10.0.1.66"));
	test_cond("sweep: dst is the first host tried",
	    a && side_is(&a->dst, "10.0.2.1"));
	test_eq_u64("sweep: first_seen is the first try",
	    a ? a->first_us : 0, W0 + 10 * SEC);
	test_cond("sweep: category recon, severity 2", a &&
	    strcmp(a->category, "recon") == 0 && a->severity == 2);
	test_cond("sweep: detail names the window and the count", a &&
	    strcmp(a->detail, "window 2023-11-14T22:15Z, 16 hosts") == 0);
	scan_tick(W0 + 10 * WIN);
	scan_finish();
	test_eq_u64("sweep: judged once", ncaught, 1);

	/* 15 hosts: under the threshold; repeats of one host count once */
	reset();
	sweep("10.0.1.66", 1, 15, 502, T_S0, W0);
	sweep("10.0.1.66", 1, 15, 502, T_REJ, W0 + 100 * SEC);
	scan_finish();
	test_eq_u64("sweep: 15 distinct hosts (tried twice): nothing",
	    ncaught, 0);

	/* the same 16 split over two windows: nothing */
	reset();
	sweep("10.0.1.66", 1, 8, 502, T_S0, W0 + WIN - 10 * SEC);
	sweep("10.0.1.66", 9, 8, 502, T_S0, W0 + WIN + 30 * SEC);
	scan_finish();
	test_eq_u64("sweep: 8 + 8 in two windows: nothing", ncaught, 0);

	/* rejected and open ports count; conversations and answered UDP don't */
	reset();
	sweep("10.0.1.66", 1, 5, 502, T_REJ, W0);
	sweep("10.0.1.66", 6, 5, 502, T_OPEN, W0 + 20 * SEC);
	sweep("10.0.1.66", 11, 5, 161, T_UDP, W0 + 40 * SEC);
	sweep("10.0.1.66", 16, 10, 502, T_DATA, W0 + 60 * SEC);
	sweep("10.0.1.66", 26, 10, 161, T_UDP_ANSWERED, W0 + 90 * SEC);
	scan_finish();
	test_eq_u64("sweep: 15 tries + 20 conversations: nothing", ncaught, 0);
	reset();
	sweep("10.0.1.66", 1, 5, 502, T_REJ, W0);
	sweep("10.0.1.66", 6, 5, 502, T_OPEN, W0 + 20 * SEC);
	sweep("10.0.1.66", 11, 6, 161, T_UDP, W0 + 40 * SEC);
	scan_finish();
	test_eq_u64("sweep: REJ + SYN/reset + unanswered UDP = 16: alert",
	    nsig("ot.scan.address_sweep"), 1);

	/* a ping sweep: echo requests nobody answers count; answered don't */
	reset();
	sweep("10.0.1.66", 1, 20, 0, T_PING_ANSWERED, W0);
	scan_finish();
	test_eq_u64("sweep: 20 answered pings: nothing", ncaught, 0);
	reset();
	sweep("10.0.1.66", 1, 20, 0, T_PING, W0);
	scan_finish();
	test_eq_u64("sweep: 20 unanswered pings: a sweep",
	    nsig("ot.scan.address_sweep"), 1);
	test_eq_u64("sweep: pings have no ports: no port scan",
	    nsig("ot.scan.port_scan"), 0);

	/* a public source is not a plant host */
	reset();
	sweep("93.184.216.34", 1, 30, 22, T_S0, W0);
	scan_finish();
	test_eq_u64("sweep: from a public address: nothing", ncaught, 0);

	/* threshold 0: off */
	reset();
	scan_set_thresholds(0, SCAN_PORTS);
	sweep("10.0.1.66", 1, 40, 502, T_S0, W0);
	scan_finish();
	test_eq_u64("sweep: scan_hosts 0: off", ncaught, 0);
}

static void test_port_scan(void)
{
	const struct ev_alert *a;

	reset();
	for (int p = 0; p < 20; p++)
		flow("10.0.1.66", "10.0.2.20", (uint16_t)(1000 - p * 7),
		    p % 2 ? T_REJ : T_S0, W0 + (uint64_t)(20 - p) * SEC);
	scan_finish();
	test_eq_u64("ports: 20 ports of one host: one port scan",
	    nsig("ot.scan.port_scan"), 1);
	test_eq_u64("ports: no sweep (one host)",
	    nsig("ot.scan.address_sweep"), 0);
	a = find("ot.scan.port_scan");
	test_cond("ports: dst is the host", a && side_is(&a->dst, "10.0.2.20"));
	test_eq_u64("ports: first_seen is the earliest try",
	    a ? a->first_us : 0, W0 + SEC);
	test_cond("ports: detail has 20 ports", a &&
	    strcmp(a->detail, "window 2023-11-14T22:15Z, 20 ports") == 0);

	/* more than SCAN_SET ports: "at least 64" */
	reset();
	for (int p = 1; p <= 100; p++)
		flow("10.0.1.66", "10.0.2.20", (uint16_t)p, T_S0,
		    W0 + (uint64_t)p * SEC);
	scan_finish();
	a = find("ot.scan.port_scan");
	test_cond("ports: 100 ports: at least 64", a &&
	    strcmp(a->detail, "window 2023-11-14T22:15Z, at least 64 ports") == 0);
	test_eq_u64("ports: 100 ports: one alert", ncaught, 1);
}

/* The same records in another order give the same alert. */
static void test_order(void)
{
	struct ev_alert first;
	char ip[32];
	int order[24];

	reset();
	sweep("10.0.1.66", 1, 24, 502, T_S0, W0 + 5 * SEC);
	scan_finish();
	test_eq_u64("order: forward: one alert", ncaught, 1);
	if (ncaught != 1)
		return;
	first = caught[0];
	reset();
	for (int i = 0; i < 24; i++)
		order[i] = (i * 7) % 24;	/* 7 and 24 coprime: a permutation */
	for (int i = 0; i < 24; i++) {
		snprintf(ip, sizeof(ip), "10.0.2.%d", 1 + order[i]);
		flow("10.0.1.66", ip, 502, T_S0,
		    W0 + 5 * SEC + (uint64_t)order[i] * 3 * SEC);
	}
	scan_finish();
	test_eq_u64("order: shuffled: one alert", ncaught, 1);
	test_cond("order: same alert id", ncaught == 1 &&
	    caught[0].alert_id == first.alert_id);
	test_cond("order: same event id", ncaught == 1 &&
	    caught[0].h.event_id == first.h.event_id);
	test_cond("order: same dst, first_seen and detail", ncaught == 1 &&
	    memcmp(caught[0].dst.ip, first.dst.ip, 4) == 0 &&
	    caught[0].first_us == first.first_us &&
	    strcmp(caught[0].detail, first.detail) == 0);
}

/* A master retrying RTUs that are down is not a sweep. */
static void test_learned(void)
{
	reset();
	baseline_set_period(3600 * SEC);
	/* learning: the master talks to 20 RTUs */
	sweep("10.0.1.10", 1, 20, 20000, T_DATA, W0 - 2 * 3600 * SEC);
	/* an hour later they are all down; the master keeps trying */
	sweep("10.0.1.10", 1, 20, 20000, T_S0, W0);
	/* and a stranger sweeps the same RTUs */
	sweep("10.0.1.99", 1, 20, 20000, T_S0, W0 + 60 * SEC);
	scan_finish();
	test_eq_u64("learned: one sweep", nsig("ot.scan.address_sweep"), 1);
	test_cond("learned: by the stranger, not the master", ncaught == 1 &&
	    side_is(&caught[0].src, "10.0.1.99"));
	baseline_set_period(0);
}

static void test_rearm(void)
{
	reset();
	/* a sweep lasting three windows, then quiet, then again 2 h later */
	for (int w = 0; w < 3; w++)
		sweep("10.0.1.66", 1 + w * 20, 20, 502, T_S0,
		    W0 + (uint64_t)w * WIN);
	scan_tick(W0 + 3 * WIN + HOLD);
	test_eq_u64("rearm: three windows in a row: one alert", ncaught, 1);
	sweep("10.0.1.66", 100, 20, 502, T_S0, W0 + 2 * 3600 * SEC);
	scan_tick(W0 + 2 * 3600 * SEC + WIN + HOLD);
	test_eq_u64("rearm: again after more than an hour of quiet", ncaught, 2);
	/* another scanner is not held back by the first */
	sweep("10.0.1.67", 1, 20, 502, T_S0, W0 + 2 * 3600 * SEC + WIN);
	scan_finish();
	test_eq_u64("rearm: a second scanner alerts", ncaught, 3);
	/* a late record of a judged window does not alert again */
	sweep("10.0.1.66", 1, 20, 502, T_S0, W0 + 5 * SEC);
	scan_finish();
	test_eq_u64("rearm: late tries of an old window: nothing", ncaught, 3);
}

static void test_full(void)
{
	char ip[32];

	reset();
	/* 5000 sources, each trying two hosts: the source table fills */
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, 1 + i % 250);
		flow(ip, "10.0.2.1", 502, T_S0, W0 + (uint64_t)i * 1000);
		flow(ip, "10.0.2.2", 502, T_S0, W0 + (uint64_t)i * 1000 + 500);
	}
	test_cond("full: tries dropped and counted", scan_dropped() > 0);
	scan_finish();
	test_eq_u64("full: nothing raised", ncaught, 0);
	/* after judging, the tables are free again */
	sweep("10.0.1.66", 1, 16, 502, T_S0, W0 + 3600 * SEC);
	scan_finish();
	test_eq_u64("full: freed: a sweep alerts", ncaught, 1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	out_set_hook(hook, NULL);
	alerts_set_interval(1000 * 3600 * SEC);
	test_sweep();
	test_port_scan();
	test_order();
	test_learned();
	test_rearm();
	test_full();
	alerts_flush();
	out_set_hook(NULL, NULL);
	return test_report();
}
