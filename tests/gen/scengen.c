/*
 * scengen.c - the OT plant scenario for the learned-baseline tests
 * (issue 6): two weeks of normal traffic and one attack day.
 *
 *   scengen OUTDIR
 *
 * writes into OUTDIR (created if missing):
 *
 *   learn1.pcap          2026-01-05T00:00:00Z .. +3.5 d   week 1, first half
 *   learn2.pcap          +3.5 d .. +7 d                   week 1, second half
 *   normal.pcap          +7 d .. +14 d                    week 2
 *   attack.pcap          +14 d .. +15 d                   normal day + (a)-(i)
 *   expected_alerts.tsv  "signature<TAB>src_ip<TAB>dest_ip", one line per
 *                        alert the attack day must raise (header first)
 *   facts.txt            hosts, phases and events, times in ISO UTC
 *
 * Intervals are half-open: a packet at exactly +3.5 d is in learn2.
 *
 * A standalone program like otgen (no libpcap, no spanlog code; the pcap
 * writer, TCP/UDP conversations and Modbus/DNP3 framing are gen_common.h).
 * Deterministic: no clock, no environment; TCP initial sequence numbers
 * come from the xorshift64* PRNG with a fixed seed, drawn in a fixed order.
 * Classic pcap, microsecond timestamps, Ethernet/IPv4, every IPv4/TCP/UDP
 * checksum valid, every frame at most 1514 bytes (checked).
 *
 * expected_alerts.tsv is written from the attack table below (scen_attacks),
 * the same table the attack-day generator takes its times from; it is the
 * scenario's definition of what must be raised, never spanlog output.
 *
 * ---------------------------------------------------------------------------
 * The plant (MACs: 02:00:00:00:<subnet>:<host> locally administered, except
 * the PLCs under Schneider's OUI 00:80:F4 and the RTUs under SEL's 00:30:A7;
 * public addresses sit behind the gateway's MAC)
 * ---------------------------------------------------------------------------
 *   enterprise 10.10.0.0/24  gateway .1, DNS server .53, IT workstation .100
 *   scada      10.10.1.0/24  HMI .10 (Modbus client), DNP3 master .11,
 *                            engineering workstation .50
 *   control    10.10.2.0/24  PLC1 .20, PLC2 .21 (Modbus unit 1)
 *   field      10.10.3.0/24  RTU1 .30 (DNP3 outstation 10), RTU2 .31 (11);
 *                            master link address 1
 *
 * ---------------------------------------------------------------------------
 * Every day (times from 00:00:00Z of the day)
 * ---------------------------------------------------------------------------
 *   HMI -> PLC1 :502   handshake 00:00:05.000; poll at 00:00:06.000 + 60 s k
 *                      (k = 0..1439): FC 3 holding 0..9 (response 2 ms
 *                      later), FC 4 input 100..119 at +10 ms, the HMI's ACK
 *                      at +52 ms; 08:00:00 FC 6 holding 50 := 1500, then
 *                      FC 16 holding 60..63 := 10,20,30,40; FIN 23:59:50.000
 *   HMI -> PLC2 :502   the same poll (no writes) at 00:00:06.500 + 60 s k;
 *                      handshake 00:00:05.200, FIN 23:59:50.200
 *   master -> RTU1 :20000  handshake 00:00:05.400; READ class 0 (g60v1,
 *                      qualifier 06) at 00:00:07.000 + 120 s k (k =
 *                      0..719), RESPONSE 3 ms later with g30v1 0..3
 *                      (qualifier 00), the master's ACK at +43 ms;
 *                      application sequence 0, 1, .. mod 16 per connection;
 *                      FIN 23:59:50.400
 *   master -> RTU2 :20000  the same at 00:00:07.500 + 120 s k; handshake
 *                      00:00:05.600, FIN 23:59:50.600
 *   eng. WS -> PLC1 :502   09:00:00, its own connection: UMAS (FC 90)
 *                      READ_ID (0x02), session 0, answered 0xFE
 *   IT WS -> DNS :53/udp   hh:15:00.000 every hour: A example.com, answered
 *                      93.184.216.34 1 ms later
 *   IT WS -> 93.184.216.34 :80   hh:15:00.100 every hour: GET /, 200 OK
 * The poll times are aligned so that the gap between two requests is the
 * same across midnight as inside a day (60 s / 120 s).  Client ports change
 * every day (a new connection per day and per hour).
 *
 * ---------------------------------------------------------------------------
 * Attack day (+14 d), on top of the normal day: see scen_attacks[].
 * ---------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define GEN_PROG "scengen"
#include "gen_common.h"

#define SCEN_T0_S 1767571200ULL			/* 2026-01-05T00:00:00Z */
#define SCEN_SEC 1000000ULL
#define SCEN_MS 1000ULL
#define SCEN_MIN (60ULL * SCEN_SEC)
#define SCEN_HOUR (3600ULL * SCEN_SEC)
#define SCEN_DAY (86400ULL * SCEN_SEC)
#define SCEN_T0 (SCEN_T0_S * SCEN_SEC)
#define SCEN_DAYS 15				/* 14 normal + attack day */
#define SCEN_ATTACK_DAY 14
#define SCEN_MAX_FRAME 1514
#define SCEN_SEED 0x5ca1ab1e0dd5eedULL

#define SCEN_UNIT 1				/* Modbus unit of both PLCs */
#define SCEN_MASTER_ADDR 1			/* DNP3 master link address */
#define SCEN_MB_RESP_US (2 * SCEN_MS)		/* Modbus response delay */
#define SCEN_DNP3_RESP_US (3 * SCEN_MS)		/* DNP3 response delay */
#define SCEN_ACK_US (40 * SCEN_MS)		/* delayed ACK */

/* ------------------------------------------------------------------------
 * Hosts
 * --------------------------------------------------------------------- */

enum scen_host {
	H_GW, H_DNS, H_IT, H_ROGUE,
	H_HMI, H_MASTER, H_HMI_NEW, H_EWS,
	H_PLC1, H_PLC2, H_RTU1, H_RTU2,
	H_WEB, H_C2, H_SWEPT,
	H_COUNT
};

struct scen_host_def {
	const char *ip;
	const char *name;
	const char *zone;
	uint8_t mac[6];
	bool attack_only;
};

#define SCEN_GW_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }

static const struct scen_host_def scen_hosts[H_COUNT] = {
	[H_GW] = { "10.10.0.1", "gateway (MAC only; public traffic)",
	    "enterprise", SCEN_GW_MAC, false },
	[H_DNS] = { "10.10.0.53", "DNS server", "enterprise",
	    { 0x02, 0x00, 0x00, 0x00, 0x00, 0x35 }, false },
	[H_IT] = { "10.10.0.100", "IT workstation", "enterprise",
	    { 0x02, 0x00, 0x00, 0x00, 0x00, 0x64 }, false },
	[H_ROGUE] = { "10.10.0.66", "unknown host (attack b)", "enterprise",
	    { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 }, true },
	[H_HMI] = { "10.10.1.10", "HMI (Modbus client)", "scada",
	    { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0a }, false },
	[H_MASTER] = { "10.10.1.11", "DNP3 master (link address 1)", "scada",
	    { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0b }, false },
	[H_HMI_NEW] = { "10.10.1.12", "new HMI (attack a)", "scada",
	    { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0c }, true },
	[H_EWS] = { "10.10.1.50", "engineering workstation", "scada",
	    { 0x02, 0x00, 0x00, 0x00, 0x01, 0x32 }, false },
	[H_PLC1] = { "10.10.2.20", "PLC1 (Modbus unit 1, Schneider OUI)",
	    "control", { 0x00, 0x80, 0xf4, 0x00, 0x02, 0x14 }, false },
	[H_PLC2] = { "10.10.2.21", "PLC2 (Modbus unit 1, Schneider OUI)",
	    "control", { 0x00, 0x80, 0xf4, 0x00, 0x02, 0x15 }, false },
	[H_RTU1] = { "10.10.3.30", "RTU1 (DNP3 outstation 10, SEL OUI)",
	    "field", { 0x00, 0x30, 0xa7, 0x00, 0x03, 0x1e }, false },
	[H_RTU2] = { "10.10.3.31", "RTU2 (DNP3 outstation 11, SEL OUI)",
	    "field", { 0x00, 0x30, 0xa7, 0x00, 0x03, 0x1f }, false },
	[H_WEB] = { "93.184.216.34", "public web server (example.com)",
	    "public", SCEN_GW_MAC, false },
	[H_C2] = { "45.33.32.156", "public host (attack d)", "public",
	    SCEN_GW_MAC, true },
	[H_SWEPT] = { "10.10.2.1", "no device: first address swept (attack i)",
	    "control", SCEN_GW_MAC, true },
};

#define SCEN_RTU1_ADDR 10
#define SCEN_RTU2_ADDR 11

/* ------------------------------------------------------------------------
 * The attack day: times and the alerts each event must raise
 * --------------------------------------------------------------------- */

enum scen_attack_id { A_NEW_HMI, A_COLD_RESTART, A_UMAS_STOP, A_OT_PUBLIC,
	A_RTU2_SILENT, A_NEW_RANGE, A_NEW_FUNCTION, A_POLL_STOP, A_SCAN,
	A_COUNT };

/* Attack times, from 00:00:00 of the attack day. */
#define SCEN_AT_A (2 * SCEN_HOUR)
#define SCEN_AT_B (4 * SCEN_HOUR)
#define SCEN_AT_C (6 * SCEN_HOUR)
#define SCEN_AT_D (8 * SCEN_HOUR + 30 * SCEN_MIN)
#define SCEN_AT_E (10 * SCEN_HOUR)
#define SCEN_AT_F (12 * SCEN_HOUR)
#define SCEN_AT_G (13 * SCEN_HOUR)
#define SCEN_AT_H (14 * SCEN_HOUR)
#define SCEN_AT_I (15 * SCEN_HOUR)

struct scen_alert {
	const char *signature;
	enum scen_host src, dst;
};

#define SCEN_ALERTS_MAX 7

struct scen_attack {
	char label;
	uint64_t at;			/* from 00:00:00 of the attack day */
	const char *what;
	struct scen_alert alerts[SCEN_ALERTS_MAX];	/* ends at signature NULL */
};

static const struct scen_attack scen_attacks[A_COUNT] = {
	[A_NEW_HMI] = { 'a', SCEN_AT_A,
	    "new HMI 10.10.1.12 (new MAC) -> PLC1 tcp/502: FC 16 holding "
	    "200..239 (qty 40), 3 times 1 min apart on one connection",
	    { { "ot.baseline.new_device", H_HMI_NEW, H_PLC1 },
	      { "ot.baseline.new_edge", H_HMI_NEW, H_PLC1 } } },
	[A_COLD_RESTART] = { 'b', SCEN_AT_B,
	    "unknown 10.10.0.66 -> RTU1 tcp/20000: DNP3 COLD_RESTART (FC 13) "
	    "to outstation 10 from master address 1, answered g52v2 5000 ms",
	    { { "ot.eng.dnp3_cold_restart", H_ROGUE, H_RTU1 },
	      { "ot.baseline.new_device", H_ROGUE, H_RTU1 },
	      { "ot.baseline.new_edge", H_ROGUE, H_RTU1 },
	      { "ot.zone.not_allowed", H_ROGUE, H_RTU1 } } },
	[A_UMAS_STOP] = { 'c', SCEN_AT_C,
	    "eng. WS 10.10.1.50 -> PLC1 tcp/502 (known edge): UMAS FC 90 "
	    "STOP_PLC (0x41), answered 0xFE",
	    { { "ot.eng.umas_stop_plc", H_EWS, H_PLC1 } } },
	[A_OT_PUBLIC] = { 'd', SCEN_AT_D,
	    "PLC2 10.10.2.21 -> public 45.33.32.156 tcp/443: handshake, "
	    "21 bytes each way, FIN",
	    { { "ot.zone.ot_to_public", H_PLC2, H_C2 },
	      { "ot.baseline.new_edge", H_PLC2, H_C2 } } },
	[A_RTU2_SILENT] = { 'e', SCEN_AT_E,
	    "RTU2 10.10.3.31 stops answering: the master's READ polls go on "
	    "every 120 s, RTU2 sends nothing (no response, ACK or FIN)",
	    { { "ot.baseline.device_silent", H_MASTER, H_RTU2 } } },
	[A_NEW_RANGE] = { 'f', SCEN_AT_F,
	    "HMI -> PLC1 on its daily connection: FC 6 holding 900 := 1 "
	    "(never written before)",
	    { { "ot.baseline.new_write_range", H_HMI, H_PLC1 } } },
	[A_NEW_FUNCTION] = { 'g', SCEN_AT_G,
	    "HMI -> PLC1 on its daily connection: FC 5 coil 7 := ON "
	    "(function never used before)",
	    { { "ot.baseline.new_function", H_HMI, H_PLC1 } } },
	[A_POLL_STOP] = { 'h', SCEN_AT_H,
	    "HMI stops polling PLC2: its connection closes (FIN both ways), "
	    "no more PLC2 traffic that day",
	    { { "ot.baseline.polling_stopped", H_HMI, H_PLC2 } } },
	[A_SCAN] = { 'i', SCEN_AT_I,
	    "unknown 10.10.0.66 sweeps the control subnet for tcp/502: SYNs "
	    "to 10.10.2.1..40, 200 ms apart (only PLC1 and PLC2 answer, "
	    "SYN-ACK, and the scanner resets); at +60 s it tries ports "
	    "1..30 of PLC1, 100 ms apart, each refused (RST)",
	    { { "ot.scan.address_sweep", H_ROGUE, H_SWEPT },
	      { "ot.scan.port_scan", H_ROGUE, H_PLC1 },
	      { "ot.baseline.new_edge", H_ROGUE, H_PLC1 },
	      { "ot.baseline.new_edge", H_ROGUE, H_PLC2 },
	      { "ot.zone.not_allowed", H_ROGUE, H_PLC1 },
	      { "ot.zone.not_allowed", H_ROGUE, H_PLC2 } } },
};

/* ------------------------------------------------------------------------
 * Phases (output files)
 * --------------------------------------------------------------------- */

enum scen_phase { P_LEARN1, P_LEARN2, P_NORMAL, P_ATTACK, P_COUNT };

static const struct {
	const char *file;
	uint64_t from, to;		/* from SCEN_T0, half-open */
	const char *what;
} scen_phases[P_COUNT] = {
	[P_LEARN1] = { "learn1.pcap", 0, 3 * SCEN_DAY + 12 * SCEN_HOUR,
	    "week 1, first half (learning)" },
	[P_LEARN2] = { "learn2.pcap", 3 * SCEN_DAY + 12 * SCEN_HOUR,
	    7 * SCEN_DAY, "week 1, second half (learning)" },
	[P_NORMAL] = { "normal.pcap", 7 * SCEN_DAY, 14 * SCEN_DAY,
	    "week 2 (enforcing, normal traffic only)" },
	[P_ATTACK] = { "attack.pcap", 14 * SCEN_DAY, 15 * SCEN_DAY,
	    "attack day (normal traffic + events a-h)" },
};

static struct out scen_files[P_COUNT];
static char scen_paths[P_COUNT][4096];

/* ------------------------------------------------------------------------
 * One day: packets go to a memory stream, then are sorted by time
 * --------------------------------------------------------------------- */

static struct out dayo;
static char *day_buf;
static size_t day_len;

/* Counters for facts.txt (per day kind; from what was built). */
struct scen_counts {
	unsigned mb_req[H_COUNT][H_COUNT];	/* Modbus requests src -> dst */
	unsigned dnp3_req[H_COUNT][H_COUNT];
	unsigned dnp3_resp[H_COUNT][H_COUNT];	/* by outstation -> master */
};

static struct scen_counts cnt_normal, cnt_attack, *cnt;

/* The next packets are stamped at absolute time t (microseconds). */
static void at(uint64_t t)
{
	dayo.ts_us = t;
}

static void day_begin(void)
{
	dayo.f = open_memstream(&day_buf, &day_len);
	if (!dayo.f)
		die("open_memstream: %s", strerror(errno));
	dayo.ts_us = 0;
	dayo.step_us = 500;	/* packets written back to back: 0.5 ms apart */
	dayo.packets = 0;
	dayo.bytes = 0;
}

struct scen_rec {
	uint64_t ts;
	size_t off;		/* of the 16-byte record header in day_buf */
	size_t len;		/* header + frame */
};

static int rec_cmp(const void *a, const void *b)
{
	const struct scen_rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;	/* written order */
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Sorts the day's records by time and appends each to its phase file. */
static void day_end(void)
{
	struct scen_rec *r;
	size_t n = 0, off = 0;

	if (fclose(dayo.f) != 0)
		die("memory stream failed");
	dayo.f = NULL;
	r = calloc(dayo.packets ? dayo.packets : 1, sizeof(*r));
	if (!r)
		die("out of memory");
	while (off < day_len) {
		const uint8_t *h = (const uint8_t *)day_buf + off;
		uint32_t caplen;

		if (day_len - off < 16 || n >= dayo.packets)
			die("bad day buffer");
		caplen = get_le32(h + 8);
		if (caplen > SCEN_MAX_FRAME)
			die("frame of %u bytes (over %d)", caplen,
			    SCEN_MAX_FRAME);
		if (day_len - off - 16 < caplen)
			die("bad day buffer");
		r[n].ts = get_le32(h) * SCEN_SEC + get_le32(h + 4);
		r[n].off = off;
		r[n].len = 16 + (size_t)caplen;
		off += r[n].len;
		n++;
	}
	qsort(r, n, sizeof(*r), rec_cmp);
	for (size_t i = 0; i < n; i++) {
		uint64_t rel;
		int p;

		if (r[i].ts < SCEN_T0)
			die("packet before the scenario start");
		rel = r[i].ts - SCEN_T0;
		for (p = 0; p < P_COUNT; p++)
			if (rel >= scen_phases[p].from && rel < scen_phases[p].to)
				break;
		if (p == P_COUNT)
			die("packet after the scenario end");
		fwrite(day_buf + r[i].off, 1, r[i].len, scen_files[p].f);
		scen_files[p].packets++;
		scen_files[p].bytes += r[i].len;
	}
	free(r);
	free(day_buf);
	day_buf = NULL;
	day_len = 0;
}

/* ------------------------------------------------------------------------
 * Connections
 * --------------------------------------------------------------------- */

/* A conversation plus its application state. */
struct scen_link {
	struct conn c;
	enum scen_host cl, sv;
	uint16_t tid;		/* Modbus transaction id, next */
	uint8_t app_seq;	/* DNP3 application sequence, next */
	uint16_t outstation;	/* DNP3 link address of the server */
	uint64_t next;		/* no packet of this link before this time */
};

static void link_init(struct scen_link *l, bool udp, enum scen_host cl,
    uint16_t cport, enum scen_host sv, uint16_t sport)
{
	memset(l, 0, sizeof(*l));
	conn_init(&l->c, udp, scen_hosts[cl].ip, cport, scen_hosts[sv].ip,
	    sport);
	memcpy(l->c.mac[0], scen_hosts[cl].mac, 6);
	memcpy(l->c.mac[1], scen_hosts[sv].mac, 6);
	if (!udp) {
		l->c.seq[0] = (uint32_t)rng();
		l->c.seq[1] = (uint32_t)rng();
	}
	l->cl = cl;
	l->sv = sv;
	l->tid = 1;
}

/*
 * The next packets of link l are stamped from t on.  Sequence numbers
 * advance as packets are built, so a link's packets must be built in time
 * order: this dies when they are not.
 */
static void link_at(struct scen_link *l, uint64_t t)
{
	if (t < l->next)
		die("%s -> %s: packet at %llu built after one at %llu",
		    scen_hosts[l->cl].ip, scen_hosts[l->sv].ip,
		    (unsigned long long)t, (unsigned long long)l->next);
	l->next = t;
	at(t);
}

/* Handshake from time t (0.5 ms between packets). */
static void link_open(struct scen_link *l, uint64_t t)
{
	link_at(l, t);
	conn_open(&dayo, &l->c);
}

/* FIN both ways from time t. */
static void link_close(struct scen_link *l, uint64_t t)
{
	link_at(l, t);
	conn_close(&dayo, &l->c);
}

/* A bare ACK from side 'dir' at t. */
static void link_ack(struct scen_link *l, int dir, uint64_t t)
{
	link_at(l, t);
	conn_pkt(&dayo, &l->c, dir, TCP_ACK, NULL, 0);
}

/* ------------------------------------------------------------------------
 * Modbus
 * --------------------------------------------------------------------- */

/* Request at t, response (if any) SCEN_MB_RESP_US later, same tid. */
static void mb_txn(struct scen_link *l, uint64_t t, const struct bb *q,
    const struct bb *r)
{
	link_at(l, t);
	mb_pair(&dayo, &l->c, l->tid, SCEN_UNIT, q, NULL);
	cnt->mb_req[l->cl][l->sv]++;
	if (r) {
		link_at(l, t + SCEN_MB_RESP_US);
		mb_pair(&dayo, &l->c, l->tid, SCEN_UNIT, NULL, r);
	}
	l->tid++;
}

/* FC 3 / FC 4 read of qty registers at addr; values from (addr, k). */
static void mb_read(struct scen_link *l, uint64_t t, uint8_t fc,
    uint16_t addr, uint16_t qty, unsigned k)
{
	struct bb q = { 0 }, r = { 0 };

	bb_u8(&q, fc);
	bb_be16(&q, addr);
	bb_be16(&q, qty);
	bb_u8(&r, fc);
	bb_u8(&r, 2u * qty);
	for (unsigned i = 0; i < qty; i++) {
		if (fc == 3)	/* setpoints: constant */
			bb_be16(&r, 1000u + 10u * (addr + i));
		else		/* measurements: move a little */
			bb_be16(&r, 500u + (k * 13u + i * 7u) % 50u);
	}
	mb_txn(l, t, &q, &r);
}

/* FC 6: holding addr := v, echoed. */
static void mb_write1(struct scen_link *l, uint64_t t, uint16_t addr,
    uint16_t v)
{
	struct bb q = { 0 };

	bb_u8(&q, 6);
	bb_be16(&q, addr);
	bb_be16(&q, v);
	mb_txn(l, t, &q, &q);
}

/* FC 16: holding addr.. := v[0..qty-1], answered addr, qty. */
static void mb_write_n(struct scen_link *l, uint64_t t, uint16_t addr,
    uint16_t qty, const uint16_t *v)
{
	struct bb q = { 0 }, r = { 0 };

	bb_u8(&q, 16);
	bb_be16(&q, addr);
	bb_be16(&q, qty);
	bb_u8(&q, 2u * qty);
	for (unsigned i = 0; i < qty; i++)
		bb_be16(&q, v[i]);
	bb_u8(&r, 16);
	bb_be16(&r, addr);
	bb_be16(&r, qty);
	mb_txn(l, t, &q, &r);
}

/* FC 5: coil addr := ON (FF00), echoed. */
static void mb_coil_on(struct scen_link *l, uint64_t t, uint16_t addr)
{
	struct bb q = { 0 };

	bb_u8(&q, 5);
	bb_be16(&q, addr);
	bb_be16(&q, 0xff00);
	mb_txn(l, t, &q, &q);
}

/* FC 90 UMAS request (session, code) answered 0xFE (OK) + 'data'. */
static void mb_umas(struct scen_link *l, uint64_t t, uint8_t session,
    uint8_t code, const void *data, size_t n)
{
	struct bb q = { 0 }, r = { 0 };

	bb_u8(&q, 90);
	bb_u8(&q, session);
	bb_u8(&q, code);
	bb_u8(&r, 90);
	bb_u8(&r, session);
	bb_u8(&r, 0xfe);
	if (n)
		bb_mem(&r, data, n);
	mb_txn(l, t, &q, &r);
}

/* One poll cycle at t: FC 3 holding 0..9, FC 4 input 100..119, ACK. */
static void mb_poll(struct scen_link *l, uint64_t t, unsigned k)
{
	mb_read(l, t, 3, 0, 10, k);
	mb_read(l, t + 10 * SCEN_MS, 4, 100, 20, k);
	link_ack(l, 0, t + 10 * SCEN_MS + SCEN_MB_RESP_US + SCEN_ACK_US);
}

/* ------------------------------------------------------------------------
 * DNP3
 * --------------------------------------------------------------------- */

/* READ class 0 (g60v1, all) at t; answered with g30v1 0..3 unless mute. */
static void dnp3_poll(struct scen_link *l, uint64_t t, unsigned k,
    bool answer)
{
	struct bb q, r;
	uint8_t seq = l->app_seq;

	l->app_seq = (l->app_seq + 1) & 0x0f;
	dnp3_req_hdr(&q, seq, 1);		/* READ */
	bb_u8(&q, 60);
	bb_u8(&q, 1);
	bb_u8(&q, 0x06);			/* all objects */
	link_at(l, t);
	dnp3_send(&dayo, &l->c, 0, l->outstation, SCEN_MASTER_ADDR, &q, 0);
	cnt->dnp3_req[l->cl][l->sv]++;
	if (!answer)
		return;
	dnp3_resp_hdr(&r, 0xc0 | seq, 129, 0);	/* FIR FIN, RESPONSE */
	bb_u8(&r, 30);
	bb_u8(&r, 1);				/* 32-bit analog with flag */
	bb_u8(&r, 0x00);			/* 8-bit start, stop */
	bb_u8(&r, 0);
	bb_u8(&r, 3);
	for (unsigned i = 0; i < 4; i++) {
		bb_u8(&r, 0x01);		/* ONLINE */
		bb_le32(&r, 100u * l->outstation + i * 10u +
		    (k * 7u + i) % 10u);
	}
	link_at(l, t + SCEN_DNP3_RESP_US);
	dnp3_send(&dayo, &l->c, 1, SCEN_MASTER_ADDR, l->outstation, &r, 0);
	cnt->dnp3_resp[l->sv][l->cl]++;
	link_ack(l, 0, t + SCEN_DNP3_RESP_US + SCEN_ACK_US);
}

/* ------------------------------------------------------------------------
 * Enterprise traffic
 * --------------------------------------------------------------------- */

/* DNS name "example.com" in wire form. */
static void dns_qname(struct bb *b)
{
	bb_u8(b, 7);
	bb_mem(b, "example", 7);
	bb_u8(b, 3);
	bb_mem(b, "com", 3);
	bb_u8(b, 0);
}

/* RFC 1035 4.1: A query for example.com and its answer 1 ms later. */
static void it_dns(uint64_t t, uint16_t cport, uint16_t id)
{
	struct scen_link l;
	struct bb q = { 0 }, r = { 0 };
	uint8_t web[4];

	link_init(&l, true, H_IT, cport, H_DNS, 53);
	gen_ip4(web, scen_hosts[H_WEB].ip);
	bb_be16(&q, id);
	bb_be16(&q, 0x0100);		/* query, RD */
	bb_be16(&q, 1);
	bb_be16(&q, 0);
	bb_be16(&q, 0);
	bb_be16(&q, 0);
	dns_qname(&q);
	bb_be16(&q, 1);			/* A */
	bb_be16(&q, 1);			/* IN */
	bb_be16(&r, id);
	bb_be16(&r, 0x8180);		/* response, RD, RA, NOERROR */
	bb_be16(&r, 1);
	bb_be16(&r, 1);
	bb_be16(&r, 0);
	bb_be16(&r, 0);
	dns_qname(&r);
	bb_be16(&r, 1);
	bb_be16(&r, 1);
	bb_be16(&r, 0xc00c);		/* the question's name */
	bb_be16(&r, 1);
	bb_be16(&r, 1);
	bb_be16(&r, 0);			/* TTL 3600 */
	bb_be16(&r, 3600);
	bb_be16(&r, 4);
	bb_mem(&r, web, 4);
	link_at(&l, t);
	conn_send(&dayo, &l.c, 0, q.b, q.n);
	link_at(&l, t + SCEN_MS);
	conn_send(&dayo, &l.c, 1, r.b, r.n);
}

/* GET / from the IT workstation to the public web server, 200 OK. */
static void it_http(uint64_t t, uint16_t cport)
{
	static const char req[] =
	    "GET / HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "User-Agent: scengen/1\r\n"
	    "Accept: */*\r\n"
	    "\r\n";
	static const char body[] =
	    "<html><body>example</body></html>\n";
	char resp[256];
	int n;
	struct scen_link l;

	n = snprintf(resp, sizeof(resp),
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html\r\n"
	    "Content-Length: %zu\r\n"
	    "\r\n%s", sizeof(body) - 1, body);
	if (n < 0 || (size_t)n >= sizeof(resp))
		die("HTTP response too long");
	link_init(&l, false, H_IT, cport, H_WEB, 80);
	link_open(&l, t);
	link_at(&l, t + 2 * SCEN_MS);
	conn_send(&dayo, &l.c, 0, (const uint8_t *)req, sizeof(req) - 1);
	link_at(&l, t + 30 * SCEN_MS);
	conn_send(&dayo, &l.c, 1, (const uint8_t *)resp, (size_t)n);
	link_ack(&l, 0, t + 31 * SCEN_MS);
	link_close(&l, t + 100 * SCEN_MS);
}

/* ------------------------------------------------------------------------
 * The days
 * --------------------------------------------------------------------- */

#define MB_POLLS 1440		/* 24 h / 60 s */
#define DNP3_POLLS 720		/* 24 h / 120 s */

static const uint8_t umas_id_data[] = {	/* PLC identity, opaque here */
	0x01, 0x04, 0x00, 0x00, 0x22, 0x07, 0x02, 0x01,
	'B', 'M', 'X', ' ', 'P', '3', '4', ' ', '2', '0', '2', '0',
};

/* Attack a: the new HMI writes FC 16 holding 200..239, 3 times. */
static void attack_new_hmi(uint64_t day0)
{
	struct scen_link l;
	uint64_t t = day0 + scen_attacks[A_NEW_HMI].at;
	uint16_t v[40];

	link_init(&l, false, H_HMI_NEW, 52001, H_PLC1, 502);
	link_open(&l, t);
	for (unsigned w = 0; w < 3; w++) {
		uint64_t tw = t + SCEN_SEC + w * SCEN_MIN;

		for (unsigned i = 0; i < 40; i++)
			v[i] = (uint16_t)(0x7000 + w * 0x100 + i);
		mb_write_n(&l, tw, 200, 40, v);
		link_ack(&l, 0, tw + SCEN_MB_RESP_US + SCEN_ACK_US);
	}
	link_close(&l, t + 2 * SCEN_MIN + 30 * SCEN_SEC);
}

/* Attack b: COLD_RESTART from 10.10.0.66, answered with g52v2. */
static void attack_cold_restart(uint64_t day0)
{
	struct scen_link l;
	uint64_t t = day0 + scen_attacks[A_COLD_RESTART].at;
	struct bb q, r;

	link_init(&l, false, H_ROGUE, 52002, H_RTU1, 20000);
	l.outstation = SCEN_RTU1_ADDR;
	link_open(&l, t);
	dnp3_req_hdr(&q, 0, 13);		/* COLD_RESTART, no objects */
	link_at(&l, t + 2 * SCEN_MS);
	dnp3_send(&dayo, &l.c, 0, l.outstation, SCEN_MASTER_ADDR, &q, 0);
	cnt->dnp3_req[l.cl][l.sv]++;
	dnp3_resp_hdr(&r, 0xc0, 129, 0);
	bb_u8(&r, 52);
	bb_u8(&r, 2);				/* time delay fine (ms) */
	bb_u8(&r, 0x07);			/* 8-bit count */
	bb_u8(&r, 1);
	bb_le16(&r, 5000);
	link_at(&l, t + 2 * SCEN_MS + SCEN_DNP3_RESP_US);
	dnp3_send(&dayo, &l.c, 1, SCEN_MASTER_ADDR, l.outstation, &r, 0);
	cnt->dnp3_resp[l.sv][l.cl]++;
	link_ack(&l, 0, t + 2 * SCEN_MS + SCEN_DNP3_RESP_US + SCEN_ACK_US);
	link_close(&l, t + SCEN_SEC);
}

/* Daily: UMAS READ_ID; attack c: UMAS STOP_PLC. Own short connection. */
static void ews_umas(uint64_t t, uint16_t cport, bool stop)
{
	struct scen_link l;

	link_init(&l, false, H_EWS, cport, H_PLC1, 502);
	link_open(&l, t);
	if (stop)
		mb_umas(&l, t + 2 * SCEN_MS, 0x2a, 0x41, NULL, 0);
	else
		mb_umas(&l, t + 2 * SCEN_MS, 0x00, 0x02, umas_id_data,
		    sizeof(umas_id_data));
	link_ack(&l, 0, t + 2 * SCEN_MS + SCEN_MB_RESP_US + SCEN_ACK_US);
	link_close(&l, t + 200 * SCEN_MS);
}

/* Attack d: PLC2 opens a connection to a public address on 443. */
static void attack_ot_public(uint64_t day0)
{
	/* two TLS 1.2 application_data records (RFC 5246 6.2), 16 bytes */
	static const uint8_t cdata[] = { 0x17, 0x03, 0x03, 0x00, 0x10,
		0x4f, 0x1c, 0x93, 0x2e, 0xa0, 0x57, 0x61, 0x08,
		0xd2, 0x3b, 0x7e, 0x15, 0x99, 0xc4, 0x0a, 0x66 };
	static const uint8_t sdata[] = { 0x17, 0x03, 0x03, 0x00, 0x10,
		0x8a, 0x02, 0x5d, 0xe1, 0x33, 0x9f, 0x70, 0x4c,
		0x1b, 0xc8, 0x26, 0xf5, 0x6d, 0x90, 0x3e, 0xb7 };
	struct scen_link l;
	uint64_t t = day0 + scen_attacks[A_OT_PUBLIC].at;

	link_init(&l, false, H_PLC2, 49800, H_C2, 443);
	link_open(&l, t);
	link_at(&l, t + 5 * SCEN_MS);
	conn_send(&dayo, &l.c, 0, cdata, sizeof(cdata));
	link_at(&l, t + 60 * SCEN_MS);
	conn_send(&dayo, &l.c, 1, sdata, sizeof(sdata));
	link_ack(&l, 0, t + 61 * SCEN_MS);
	link_close(&l, t + 500 * SCEN_MS);
}

/* One TCP try from the scanner: SYN, then the answer 'kind'. */
enum scan_answer { SCAN_NONE, SCAN_OPEN, SCAN_REFUSED };

static void scan_try(const char *dst, const uint8_t *dmac, uint16_t sport,
    uint16_t dport, enum scan_answer kind, uint64_t t)
{
	struct conn c;

	conn_init(&c, false, scen_hosts[H_ROGUE].ip, sport, dst, dport);
	memcpy(c.mac[0], scen_hosts[H_ROGUE].mac, 6);
	memcpy(c.mac[1], dmac, 6);
	c.seq[0] = (uint32_t)rng();
	c.seq[1] = (uint32_t)rng();
	at(t);
	conn_pkt(&dayo, &c, 0, TCP_SYN, NULL, 0);
	if (kind == SCAN_OPEN) {
		at(t + SCEN_MS);
		conn_pkt(&dayo, &c, 1, TCP_SYN | TCP_ACK, NULL, 0);
		at(t + 2 * SCEN_MS);
		conn_pkt(&dayo, &c, 0, TCP_RST, NULL, 0);
	} else if (kind == SCAN_REFUSED) {
		at(t + SCEN_MS);
		conn_pkt(&dayo, &c, 1, TCP_RST | TCP_ACK, NULL, 0);
	}
}

/* Attack i: an address sweep of the control subnet, then a port scan. */
static void attack_scan(uint64_t day0)
{
	static const uint8_t gw[6] = SCEN_GW_MAC;
	uint64_t t = day0 + scen_attacks[A_SCAN].at;
	char ip[32];

	for (unsigned h = 1; h <= 40; h++) {
		uint64_t th = t + (uint64_t)(h - 1) * 200 * SCEN_MS;

		snprintf(ip, sizeof(ip), "10.10.2.%u", h);
		if (strcmp(ip, scen_hosts[H_PLC1].ip) == 0)
			scan_try(ip, scen_hosts[H_PLC1].mac, (uint16_t)(53000 + h), 502,
			    SCAN_OPEN, th);
		else if (strcmp(ip, scen_hosts[H_PLC2].ip) == 0)
			scan_try(ip, scen_hosts[H_PLC2].mac, (uint16_t)(53000 + h), 502,
			    SCAN_OPEN, th);
		else
			scan_try(ip, gw, (uint16_t)(53000 + h), 502,
			    SCAN_NONE, th);
	}
	for (unsigned p = 1; p <= 30; p++)
		scan_try(scen_hosts[H_PLC1].ip, scen_hosts[H_PLC1].mac,
		    (uint16_t)(54000 + p), (uint16_t)p, SCAN_REFUSED,
		    t + 60 * SCEN_SEC + (uint64_t)p * 100 * SCEN_MS);
}

/* What the HMI does on its PLC1 connection besides polling. */
enum plc1_kind { PLC1_DAILY_WRITES, PLC1_NEW_RANGE, PLC1_NEW_FUNCTION };

#define PLC1_EXTRAS 3

static const struct {
	uint64_t at;		/* from 00:00:00 of the day */
	enum plc1_kind kind;
	bool attack;		/* attack day only */
} plc1_extras[PLC1_EXTRAS] = {
	{ 8 * SCEN_HOUR, PLC1_DAILY_WRITES, false },
	{ SCEN_AT_F, PLC1_NEW_RANGE, true },
	{ SCEN_AT_G, PLC1_NEW_FUNCTION, true },
};

static void plc1_extra(struct scen_link *l, uint64_t t, enum plc1_kind kind)
{
	static const uint16_t daily_regs[4] = { 10, 20, 30, 40 };

	switch (kind) {
	case PLC1_DAILY_WRITES:
		mb_write1(l, t, 50, 1500);
		mb_write_n(l, t + 10 * SCEN_MS, 60, 4, daily_regs);
		link_ack(l, 0, t + 10 * SCEN_MS + SCEN_MB_RESP_US +
		    SCEN_ACK_US);
		break;
	case PLC1_NEW_RANGE:
		mb_write1(l, t, 900, 1);
		link_ack(l, 0, t + SCEN_MB_RESP_US + SCEN_ACK_US);
		break;
	case PLC1_NEW_FUNCTION:
		mb_coil_on(l, t, 7);
		link_ack(l, 0, t + SCEN_MB_RESP_US + SCEN_ACK_US);
		break;
	}
}

/* One whole day d (0-based); the attack day adds scen_attacks[]. */
static void gen_day(unsigned d)
{
	bool attack = d == SCEN_ATTACK_DAY;
	uint64_t day0 = SCEN_T0 + d * SCEN_DAY;
	uint64_t silent_from = day0 + scen_attacks[A_RTU2_SILENT].at;
	uint64_t plc2_stop = day0 + scen_attacks[A_POLL_STOP].at;
	struct scen_link plc1, plc2, rtu1, rtu2;
	bool extra_done[PLC1_EXTRAS] = { false };

	cnt = attack ? &cnt_attack : &cnt_normal;
	if (!attack && d > 0)
		memset(&cnt_normal, 0, sizeof(cnt_normal));	/* last day's */
	day_begin();

	/*
	 * HMI -> PLC1.  A connection's packets must be built in time order
	 * (sequence numbers advance as they are written), so the writes go
	 * in between the polls, before the first poll after them.
	 */
	link_init(&plc1, false, H_HMI, (uint16_t)(49200 + d), H_PLC1, 502);
	link_open(&plc1, day0 + 5 * SCEN_SEC);
	for (unsigned k = 0; k <= MB_POLLS; k++) {
		uint64_t t = day0 + 6 * SCEN_SEC + k * SCEN_MIN;

		for (unsigned x = 0; x < PLC1_EXTRAS; x++)
			if (!extra_done[x] && (attack || !plc1_extras[x].attack) &&
			    day0 + plc1_extras[x].at < t) {
				plc1_extra(&plc1, day0 + plc1_extras[x].at,
				    plc1_extras[x].kind);
				extra_done[x] = true;
			}
		if (k < MB_POLLS)
			mb_poll(&plc1, t, k);
	}
	link_close(&plc1, day0 + 23 * SCEN_HOUR + 59 * SCEN_MIN +
	    50 * SCEN_SEC);

	/* HMI -> PLC2 (attack h: closed at 14:00, no polls after) */
	link_init(&plc2, false, H_HMI, (uint16_t)(49300 + d), H_PLC2, 502);
	link_open(&plc2, day0 + 5 * SCEN_SEC + 200 * SCEN_MS);
	for (unsigned k = 0; k < MB_POLLS; k++) {
		uint64_t t = day0 + 6 * SCEN_SEC + 500 * SCEN_MS +
		    k * SCEN_MIN;

		if (attack && t >= plc2_stop)
			break;
		mb_poll(&plc2, t, k);
	}
	if (attack)
		link_close(&plc2, plc2_stop);
	else
		link_close(&plc2, day0 + 23 * SCEN_HOUR + 59 * SCEN_MIN +
		    50 * SCEN_SEC + 200 * SCEN_MS);

	/* master -> RTU1, RTU2 (attack e: RTU2 mute from 10:00, no FIN) */
	link_init(&rtu1, false, H_MASTER, (uint16_t)(49400 + d), H_RTU1,
	    20000);
	rtu1.outstation = SCEN_RTU1_ADDR;
	link_init(&rtu2, false, H_MASTER, (uint16_t)(49500 + d), H_RTU2,
	    20000);
	rtu2.outstation = SCEN_RTU2_ADDR;
	link_open(&rtu1, day0 + 5 * SCEN_SEC + 400 * SCEN_MS);
	link_open(&rtu2, day0 + 5 * SCEN_SEC + 600 * SCEN_MS);
	for (unsigned k = 0; k < DNP3_POLLS; k++) {
		uint64_t t1 = day0 + 7 * SCEN_SEC + k * 2 * SCEN_MIN;
		uint64_t t2 = t1 + 500 * SCEN_MS;

		dnp3_poll(&rtu1, t1, k, true);
		dnp3_poll(&rtu2, t2, k, !(attack && t2 >= silent_from));
	}
	link_close(&rtu1, day0 + 23 * SCEN_HOUR + 59 * SCEN_MIN +
	    50 * SCEN_SEC + 400 * SCEN_MS);
	if (!attack)
		link_close(&rtu2, day0 + 23 * SCEN_HOUR + 59 * SCEN_MIN +
		    50 * SCEN_SEC + 600 * SCEN_MS);

	/* engineering workstation, 09:00 */
	ews_umas(day0 + 9 * SCEN_HOUR, (uint16_t)(49600 + d), false);

	/* IT workstation, every hour */
	for (unsigned h = 0; h < 24; h++) {
		uint64_t t = day0 + h * SCEN_HOUR + 15 * SCEN_MIN;
		unsigned n = d * 24 + h;

		it_dns(t, (uint16_t)(50000 + n), (uint16_t)(0x1000 + n));
		it_http(t + 100 * SCEN_MS, (uint16_t)(51000 + n));
	}

	if (attack) {
		attack_new_hmi(day0);
		attack_cold_restart(day0);
		ews_umas(day0 + scen_attacks[A_UMAS_STOP].at, 49700, true);
		attack_ot_public(day0);
		attack_scan(day0);
	}
	day_end();
}

/* ------------------------------------------------------------------------
 * Facts and expected alerts
 * --------------------------------------------------------------------- */

/* "2026-01-05T00:00:05.200Z" (milliseconds only when not whole). */
static const char *iso(uint64_t us)
{
	static char b[4][40];
	static unsigned k;
	char *s = b[k++ & 3];
	time_t sec = (time_t)(us / SCEN_SEC);
	unsigned ms = (unsigned)(us % SCEN_SEC / SCEN_MS);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(s, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ms)
		snprintf(s + n, 40 - n, ".%03uZ", ms);
	else
		snprintf(s + n, 40 - n, "Z");
	return s;
}

static FILE *open_in(const char *dir, const char *name, char *path,
    size_t cap)
{
	FILE *f;

	if ((size_t)snprintf(path, cap, "%s/%s", dir, name) >= cap)
		die("path too long");
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

static void write_expected(const char *dir)
{
	char path[4096];
	FILE *f = open_in(dir, "expected_alerts.tsv", path, sizeof(path));

	fprintf(f, "signature\tsrc_ip\tdest_ip\n");
	for (unsigned a = 0; a < A_COUNT; a++)
		for (unsigned i = 0; i < SCEN_ALERTS_MAX &&
		    scen_attacks[a].alerts[i].signature;
		    i++) {
			const struct scen_alert *x = &scen_attacks[a].alerts[i];

			fprintf(f, "%s\t%s\t%s\n", x->signature,
			    scen_hosts[x->src].ip, scen_hosts[x->dst].ip);
		}
	if (fclose(f) != 0)
		die("%s: write failed", path);
}

static void fact_counts(FILE *f, const char *day, const struct scen_counts *c)
{
	for (unsigned s = 0; s < H_COUNT; s++)
		for (unsigned t = 0; t < H_COUNT; t++) {
			if (c->mb_req[s][t])
				fprintf(f, "  %s: modbus requests %s -> %s: %u\n",
				    day, scen_hosts[s].ip, scen_hosts[t].ip,
				    c->mb_req[s][t]);
			if (c->dnp3_req[s][t])
				fprintf(f, "  %s: dnp3 requests %s -> %s: %u\n",
				    day, scen_hosts[s].ip, scen_hosts[t].ip,
				    c->dnp3_req[s][t]);
			if (c->dnp3_resp[s][t])
				fprintf(f, "  %s: dnp3 responses %s -> %s: %u\n",
				    day, scen_hosts[s].ip, scen_hosts[t].ip,
				    c->dnp3_resp[s][t]);
		}
}

static void write_facts(const char *dir)
{
	char path[4096];
	FILE *f = open_in(dir, "facts.txt", path, sizeof(path));
	uint64_t day14 = SCEN_T0 + SCEN_ATTACK_DAY * SCEN_DAY;

	fprintf(f, "scengen: OT plant scenario (tests/scenario/README.md)\n\n");
	fprintf(f, "hosts (ip, mac, zone, role):\n");
	for (unsigned h = 0; h < H_COUNT; h++) {
		const struct scen_host_def *x = &scen_hosts[h];

		fprintf(f, "  %-14s %02x:%02x:%02x:%02x:%02x:%02x  %-10s %s%s\n",
		    x->ip, x->mac[0], x->mac[1], x->mac[2], x->mac[3],
		    x->mac[4], x->mac[5], x->zone, x->name,
		    x->attack_only ? " [attack day only]" : "");
	}
	fprintf(f, "\nphases (half-open intervals):\n");
	for (unsigned p = 0; p < P_COUNT; p++)
		fprintf(f, "  %-12s %s .. %s  %s: %llu packets, %llu bytes\n",
		    scen_phases[p].file, iso(SCEN_T0 + scen_phases[p].from),
		    iso(SCEN_T0 + scen_phases[p].to), scen_phases[p].what,
		    (unsigned long long)scen_files[p].packets,
		    (unsigned long long)scen_files[p].bytes);
	fprintf(f, "\nevery day D (00:00:00Z):\n"
	    "  D+00:00:05.000 HMI -> PLC1 connection; polls FC 3 (0..9) and "
	    "FC 4 (100..119) every 60 s from D+00:00:06.000\n"
	    "  D+00:00:05.200 HMI -> PLC2 connection; the same polls from "
	    "D+00:00:06.500\n"
	    "  D+00:00:05.400 master -> RTU1 (outstation 10); READ g60v1 every "
	    "120 s from D+00:00:07.000\n"
	    "  D+00:00:05.600 master -> RTU2 (outstation 11); READ g60v1 every "
	    "120 s from D+00:00:07.500\n"
	    "  D+08:00:00.000 HMI -> PLC1: FC 6 holding 50 := 1500; FC 16 "
	    "holding 60..63 := 10,20,30,40\n"
	    "  D+09:00:00.000 eng. WS -> PLC1: UMAS FC 90 READ_ID (0x02), own "
	    "connection\n"
	    "  D+hh:15:00.000 IT WS: DNS A example.com to 10.10.0.53; "
	    "+100 ms HTTP GET to 93.184.216.34:80 (200)\n"
	    "  D+23:59:50     the four polling connections close (FIN both "
	    "ways)\n");
	fprintf(f, "\nattack day events (on top of the normal day):\n");
	for (unsigned a = 0; a < A_COUNT; a++) {
		fprintf(f, "  (%c) %s %s\n", scen_attacks[a].label,
		    iso(day14 + scen_attacks[a].at), scen_attacks[a].what);
		for (unsigned i = 0; i < SCEN_ALERTS_MAX &&
		    scen_attacks[a].alerts[i].signature;
		    i++) {
			const struct scen_alert *x = &scen_attacks[a].alerts[i];

			fprintf(f, "        expect %s %s -> %s\n", x->signature,
			    scen_hosts[x->src].ip, scen_hosts[x->dst].ip);
		}
	}
	fprintf(f, "\nrequests per day (as built):\n");
	fact_counts(f, "normal day", &cnt_normal);
	fact_counts(f, "attack day", &cnt_attack);
	if (fclose(f) != 0)
		die("%s: write failed", path);
}

int main(int argc, char **argv)
{
	const char *dir;

	if (argc != 2) {
		fprintf(stderr, "usage: scengen OUTDIR\n");
		return 2;
	}
	dir = argv[1];
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	dnp3_crc_selftest();
	rng_state = SCEN_SEED;
	for (unsigned p = 0; p < P_COUNT; p++) {
		if ((size_t)snprintf(scen_paths[p], sizeof(scen_paths[p]),
		    "%s/%s", dir, scen_phases[p].file) >= sizeof(scen_paths[p]))
			die("path too long");
		out_open(&scen_files[p], scen_paths[p], SCEN_T0, 0);
	}
	for (unsigned d = 0; d < SCEN_DAYS; d++)
		gen_day(d);
	for (unsigned p = 0; p < P_COUNT; p++)
		out_close(&scen_files[p], scen_paths[p]);
	write_expected(dir);
	write_facts(dir);
	return 0;
}
