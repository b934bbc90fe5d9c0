/*
 * assets_test.c - the asset inventory (ot/assets.c): DNP3 group 0 device
 * identity, the state-file lines (assets_state_write/assets_state_read),
 * assets_list() and assets_print().
 *
 * Where expected values come from:
 *   - DNP3: IEEE 1815-2012 A.1 variation numbers (g0v252 device
 *     manufacturer's name, g0v250 product name and model, g0v242 software
 *     version, g0v243 hardware version, g0v249 DNP subset), attribute data
 *     type 1 = VSTR, qualifier 0x00 (8-bit start/stop), application and
 *     transport headers (4.2.2, 8.2), link frames with CRC-16/DNP computed
 *     here by an independent bitwise routine checked against the catalogue
 *     value 0xEA82 for "123456789" (9.2.5);
 *   - the state line format is written out by hand from ot/assets.h, not
 *     captured from the writer; percent-encoding per RFC 3986 2.1;
 *   - vendors from the IEEE's oui.csv (00:80:F4 TELEMECANIQUE ELECTRIQUE);
 *     ISO times checked with `date -u -d @1767571205`
 *     (2026-01-05T00:00:05Z).
 * Events are caught with out_set_hook(); no sink is open.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/decode.h"
#include "flows/flow_table.h"
#include "ot/alerts.h"
#include "ot/assets.h"
#include "ot/zones.h"
#include "sensor/config.h"
#include "sensor/output.h"
#include "tests/unit/testhelp.h"

#define MAX_CAUGHT 256

static struct ev_alert alerts[MAX_CAUGHT];
static int nalerts;
static struct ev_asset recs[MAX_CAUGHT];
static int nrecs;
static int ndnp3_events;
static int nflow_events;

/*
 * Source events kept while 'capture' is on, to be replayed in other
 * orders (test_order_free).
 */
union any_ev {
	struct ev_hdr h;
	struct ev_flow f;
	struct ev_modbus m;
	struct ev_dnp3 d;
};

#define MAX_EVS 128

static union any_ev evs[MAX_EVS];
static int nevs;
static bool capture;
/* the hook runs on two threads in test_order_free */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;

static void hook(const struct ev_hdr *ev, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hook_lock);
	if (ev->type == EV_ALERT && nalerts < MAX_CAUGHT)
		alerts[nalerts++] = *(const struct ev_alert *)ev;
	if (ev->type == EV_ASSET && nrecs < MAX_CAUGHT)
		recs[nrecs++] = *(const struct ev_asset *)ev;
	if (ev->type == EV_DNP3)
		ndnp3_events++;
	if (ev->type == EV_FLOW)
		nflow_events++;
	if (capture && nevs < MAX_EVS) {
		if (ev->type == EV_FLOW)
			evs[nevs++].f = *(const struct ev_flow *)ev;
		else if (ev->type == EV_MODBUS)
			evs[nevs++].m = *(const struct ev_modbus *)ev;
		else if (ev->type == EV_DNP3)
			evs[nevs++].d = *(const struct ev_dnp3 *)ev;
	}
	pthread_mutex_unlock(&hook_lock);
}

static void reset_caught(void)
{
	nalerts = nrecs = ndnp3_events = nflow_events = 0;
}

static int count_sig(const char *sig)
{
	int n = 0;

	for (int i = 0; i < nalerts; i++)
		if (strcmp(alerts[i].signature, sig) == 0)
			n++;
	return n;
}

static const struct ev_alert *last_alert(const char *sig)
{
	for (int i = nalerts - 1; i >= 0; i--)
		if (strcmp(alerts[i].signature, sig) == 0)
			return &alerts[i];
	return NULL;
}

static void ip4(uint8_t ip[16], const char *s)
{
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, s, ip) != 1)
		abort();
}

static uint64_t next_id = 5000;

static const uint8_t mac_master[6] = { 0x00, 0x00, 0x54, 0x44, 0x55, 0x66 };
static const uint8_t mac_rtu[6] = { 0x00, 0x80, 0xF4, 0x01, 0x02, 0x03 };

static void hdr(struct ev_hdr *h, enum ev_type t, const char *src,
    const char *dst, uint16_t dport, uint64_t ts, const uint8_t *smac,
    const uint8_t *dmac)
{
	memset(h, 0, sizeof(*h));
	h->type = t;
	h->dir = DIR_TO_SERVER;
	h->ts_us = ts;
	h->event_id = next_id++;
	h->flow_id = 91000 + next_id;
	h->has_key = true;
	h->key.family = 4;
	h->key.proto = 6;
	ip4(h->key.src, src);
	ip4(h->key.dst, dst);
	h->key.sport = 40000;
	h->key.dport = dport;
	if (smac && dmac) {
		h->has_mac = true;
		memcpy(h->src_mac, smac, 6);
		memcpy(h->dst_mac, dmac, 6);
	}
}

/* ------------------------------------------------------------------------
 * DNP3 events built by hand the way dissectors/dnp3.c fills them
 * --------------------------------------------------------------------- */

struct attr {
	uint8_t variation;
	uint32_t index;		/* attribute set: 0 = the standard's */
	const char *value;
};

static struct ev_dnp3 dn;
static const uint8_t *g0_rtu_mac = mac_rtu;	/* outstation MAC in send_g0 */
static const uint8_t *g0_master_mac = mac_master;	/* master MAC */
static uint16_t g0_link_master = 1, g0_link_out = 10;	/* link addresses */

/*
 * A matched READ / RESPONSE pair, master (link 1) -> outstation (link 10),
 * whose response carries the given g0 attributes as VSTR points.
 */
static void send_g0(const char *master, const char *rtu, uint64_t ts,
    const struct attr *at, int n)
{
	struct dnp3_msg *rq = &dn.req, *rs = &dn.resp;

	memset(&dn, 0, sizeof(dn));
	hdr(&dn.h, EV_DNP3, master, rtu, 20000, ts, g0_master_mac, g0_rtu_mac);
	dn.matched = true;
	rq->present = true;
	rq->func = 0x01;			/* READ */
	rq->ac = 0xC1;
	rq->fir = rq->fin = true;
	rq->seq = 1;
	rq->link_src = g0_link_master;
	rq->link_dst = g0_link_out;
	rs->present = true;
	rs->func = 0x81;			/* RESPONSE */
	rs->ac = 0xC1;
	rs->fir = rs->fin = true;
	rs->seq = 1;
	rs->has_iin = true;
	rs->link_src = g0_link_out;
	rs->link_dst = g0_link_master;
	for (int i = 0; i < n; i++) {
		struct dnp3_object *qo = &rq->objects[rq->nobjects++];
		struct dnp3_object *o = &rs->objects[rs->nobjects++];
		struct dnp3_point *pt = &dn.points[dn.npoints];
		size_t len = strlen(at[i].value);

		qo->group = 0;
		qo->variation = at[i].variation;
		qo->qualifier = 0x00;
		qo->has_range = true;
		qo->count = 1;
		o->group = 0;
		o->variation = at[i].variation;
		o->qualifier = 0x00;
		o->has_range = o->has_data = true;
		o->start = o->stop = at[i].index;
		o->count = 1;
		o->point_first = dn.npoints++;
		o->point_count = 1;
		pt->index = at[i].index;
		pt->kind = DNP3_VAL_STR;
		pt->str_off = dn.strpool_len;
		pt->str_len = (uint16_t)len;
		memcpy(dn.strpool + dn.strpool_len, at[i].value, len + 1);
		dn.strpool_len = (uint16_t)(dn.strpool_len + len + 1);
	}
	rq->objects_seen = rq->nobjects;
	rs->objects_seen = rs->nobjects;
	out_emit(&dn.h);
}

static void send_one(uint8_t variation, const char *value, uint64_t ts)
{
	struct attr a = { variation, 0, value };

	send_g0("10.10.1.10", "10.10.2.20", ts, &a, 1);
}

static void test_dnp3_identity(void)
{
	struct ev_asset a;
	uint8_t rtu[16];
	const struct ev_alert *al;

	ip4(rtu, "10.10.2.20");
	assets_reset();
	reset_caught();

	/* one attribute per READ: name, then product, then software version */
	send_one(252, "ACME Controls", 1000000);
	test_cond("g0v252: device known", assets_get(4, rtu, &a) == 0);
	test_cond("g0v252 -> vendor", a.has_identity &&
	    strcmp(a.id_vendor, "ACME Controls") == 0 && a.id_product[0] == 0 &&
	    a.id_revision[0] == 0);
	test_eq_u64("source dnp3", a.id_source, ASSET_ID_DNP3);
	test_cond("source name", asset_id_source_name(a.id_source) &&
	    strcmp(asset_id_source_name(a.id_source), "dnp3") == 0);
	test_cond("outstation role", a.roles & ASSET_ROLE_DNP3_OUTSTATION);
	send_one(250, "RTU-7 model 2", 2000000);
	test_cond("g0v250 -> product, vendor kept", assets_get(4, rtu, &a) == 0 &&
	    strcmp(a.id_product, "RTU-7 model 2") == 0 &&
	    strcmp(a.id_vendor, "ACME Controls") == 0);
	send_one(242, "2.1.0", 3000000);
	test_cond("g0v242 -> revision", assets_get(4, rtu, &a) == 0 &&
	    strcmp(a.id_revision, "2.1.0") == 0 &&
	    strcmp(a.id_product, "RTU-7 model 2") == 0);
	test_eq_u64("merging parts: no identity alert",
	    count_sig("ot.asset.identity_changed"), 0);
	test_eq_u64("first revision: no firmware alert",
	    count_sig("ot.asset.firmware_changed"), 0);

	/* hardware version alone is not firmware; other attributes not used */
	send_one(243, "HW rev B", 4000000);
	send_one(249, "Level 2", 4100000);
	test_cond("g0v243/g0v249 change nothing", assets_get(4, rtu, &a) == 0 &&
	    strcmp(a.id_revision, "2.1.0") == 0 &&
	    strcmp(a.id_product, "RTU-7 model 2") == 0);
	/* attributes missing in a response are not a change */
	send_one(252, "ACME Controls", 4500000);
	test_cond("missing attribute keeps the revision",
	    assets_get(4, rtu, &a) == 0 && strcmp(a.id_revision, "2.1.0") == 0);
	test_eq_u64("no alert so far", nalerts, 0);
	/* a private attribute set (index 1) is not the standard's v242 */
	{
		struct attr p = { 242, 1, "9.9.9" };

		send_g0("10.10.1.10", "10.10.2.20", 4600000, &p, 1);
	}
	test_cond("attribute set 1 ignored", assets_get(4, rtu, &a) == 0 &&
	    strcmp(a.id_revision, "2.1.0") == 0);
	test_eq_u64("attribute set 1: no alert", nalerts, 0);

	/* firmware update */
	send_one(242, "2.2.0", 5000000);
	test_eq_u64("software version changed: one firmware alert",
	    count_sig("ot.asset.firmware_changed"), 1);
	al = last_alert("ot.asset.firmware_changed");
	test_cond("firmware alert: dnp3, both versions", al &&
	    strcmp(al->protocol, "dnp3") == 0 && strstr(al->message, "2.1.0") &&
	    strstr(al->message, "2.2.0") && al->severity == 3);
	test_cond("firmware alert names the outstation", al &&
	    strstr(al->message, "10.10.2.20"));
	test_eq_u64("no identity alert for a revision",
	    count_sig("ot.asset.identity_changed"), 0);
	send_one(242, "2.2.0", 5100000);
	send_one(250, "RTU-7 model 2", 5200000);
	test_eq_u64("same version again: still one alert",
	    count_sig("ot.asset.firmware_changed"), 1);
	test_cond("record has 2.2.0", assets_get(4, rtu, &a) == 0 &&
	    strcmp(a.id_revision, "2.2.0") == 0);

	/* all three in one response; vendor changes */
	{
		struct attr all[3] = {
			{ 252, 0, "Other Corp" }, { 250, 0, "RTU-7 model 2" },
			{ 242, 0, "2.2.0" },
		};

		send_g0("10.10.1.10", "10.10.2.20", 6000000, all, 3);
	}
	test_eq_u64("vendor changed: identity alert",
	    count_sig("ot.asset.identity_changed"), 1);
	test_eq_u64("vendor changed: no firmware alert",
	    count_sig("ot.asset.firmware_changed"), 1);
	al = last_alert("ot.asset.identity_changed");
	test_cond("identity alert has both vendors", al &&
	    strstr(al->message, "ACME Controls") &&
	    strstr(al->message, "Other Corp") && al->severity == 2);

	/* attributes in a request (a WRITE of g0 by the master) are not used */
	memset(&dn, 0, sizeof(dn));
	hdr(&dn.h, EV_DNP3, "10.10.1.10", "10.10.2.20", 20000, 7000000,
	    mac_master, mac_rtu);
	dn.req.present = true;
	dn.req.func = 0x02;			/* WRITE */
	dn.req.link_src = 1;
	dn.req.link_dst = 10;
	dn.req.nobjects = 1;
	dn.req.objects[0].group = 0;
	dn.req.objects[0].variation = 242;
	dn.req.objects[0].has_data = true;
	dn.req.objects[0].point_count = 1;
	dn.npoints = 1;
	dn.points[0].kind = DNP3_VAL_STR;
	dn.points[0].str_len = 3;
	memcpy(dn.strpool, "6.6", 4);
	dn.strpool_len = 4;
	out_emit(&dn.h);
	test_cond("g0 in a request: ignored", assets_get(4, rtu, &a) == 0 &&
	    strcmp(a.id_revision, "2.2.0") == 0);

	/* a hostile event: point slice past npoints, str_off past the pool */
	memset(&dn, 0, sizeof(dn));
	hdr(&dn.h, EV_DNP3, "10.10.1.10", "10.10.2.20", 20000, 7100000,
	    mac_master, mac_rtu);
	dn.resp.present = true;
	dn.resp.func = 0x81;
	dn.resp.nobjects = 2;
	dn.resp.objects[0].variation = 242;
	dn.resp.objects[0].point_first = 60000;
	dn.resp.objects[0].point_count = 60000;
	dn.resp.objects[1].variation = 252;
	dn.resp.objects[1].point_count = 1;
	dn.npoints = 1;
	dn.points[0].kind = DNP3_VAL_STR;
	dn.points[0].str_off = 5000;
	dn.points[0].str_len = 4000;
	dn.strpool_len = 10;
	out_emit(&dn.h);
	test_cond("bad slices: nothing read", assets_get(4, rtu, &a) == 0 &&
	    strcmp(a.id_vendor, "Other Corp") == 0 &&
	    strcmp(a.id_revision, "2.2.0") == 0);

	/* realtime: a changed identity writes an "identity" record */
	assets_reset();
	reset_caught();
	assets_set_realtime(true);
	send_one(242, "1.0", 8000000);
	test_cond("realtime: identity record", nrecs >= 1 &&
	    recs[nrecs - 1].reason == ASSET_REASON_IDENTITY &&
	    strcmp(recs[nrecs - 1].id_revision, "1.0") == 0);
	nrecs = 0;
	send_one(243, "HW 2", 8100000);
	test_eq_u64("realtime: hardware version makes no record", nrecs, 0);
	assets_set_realtime(false);
	assets_reset();
}

/* The Modbus path shares the merge: FC 43/14 then a change of revision. */
static struct ev_modbus mb;

static void send_devid(const char *client, const char *server, uint64_t ts,
    const char *vendor, const char *product, const char *rev)
{
	int k = 0;

	memset(&mb, 0, sizeof(mb));
	hdr(&mb.h, EV_MODBUS, client, server, 502, ts, mac_master, mac_rtu);
	mb.unit = 1;
	mb.fc = 0x2B;
	mb.has_request = mb.has_response = mb.matched = true;
	mb.has_mei = true;
	mb.mei_type = 14;
	mb.has_devid = true;
	mb.devid.has_response = true;
	if (vendor) {
		mb.devid.objs[k].id = 0;
		snprintf(mb.devid.objs[k++].value, sizeof(mb.devid.objs[0].value),
		    "%s", vendor);
	}
	if (product) {
		mb.devid.objs[k].id = 1;
		snprintf(mb.devid.objs[k++].value, sizeof(mb.devid.objs[0].value),
		    "%s", product);
	}
	if (rev) {
		mb.devid.objs[k].id = 2;
		snprintf(mb.devid.objs[k++].value, sizeof(mb.devid.objs[0].value),
		    "%s", rev);
	}
	mb.devid.nobjs = (uint8_t)k;
	out_emit(&mb.h);
}

static void test_modbus_identity(void)
{
	struct ev_asset a;
	uint8_t plc[16];
	const struct ev_alert *al;

	ip4(plc, "10.10.2.30");
	assets_reset();
	reset_caught();
	send_devid("10.10.1.10", "10.10.2.30", 1000000, "Schneider Electric",
	    "BMX P34 2020", "V1.0");
	test_cond("modbus identity", assets_get(4, plc, &a) == 0 &&
	    a.has_identity && strcmp(a.id_revision, "V1.0") == 0);
	test_eq_u64("source modbus", a.id_source, ASSET_ID_MODBUS);
	send_devid("10.10.1.10", "10.10.2.30", 2000000, NULL, NULL, "V2.0");
	test_eq_u64("modbus revision change: one alert",
	    count_sig("ot.asset.firmware_changed"), 1);
	al = last_alert("ot.asset.firmware_changed");
	test_cond("modbus alert keeps FC 43/14", al &&
	    strcmp(al->protocol, "modbus") == 0 && al->function == 0x2B &&
	    al->has_subfunction && al->subfunction == 0x0E);
	test_cond("vendor kept when not in the answer",
	    assets_get(4, plc, &a) == 0 &&
	    strcmp(a.id_vendor, "Schneider Electric") == 0 &&
	    strcmp(a.id_revision, "V2.0") == 0);
	test_eq_u64("no identity alert", count_sig("ot.asset.identity_changed"),
	    0);
	assets_reset();
}

/* ------------------------------------------------------------------------
 * Real DNP3 bytes through decode, the flow table and the dissector
 * --------------------------------------------------------------------- */

static uint16_t t_crc(const uint8_t *p, size_t n)
{
	uint16_t c = 0;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = (c & 1) ? (uint16_t)((c >> 1) ^ 0xA6BC) :
			    (uint16_t)(c >> 1);
	}
	return (uint16_t)~c;
}

/* One link frame around a transport segment + app fragment (ud bytes). */
static size_t t_frame(uint8_t *out, uint8_t ctrl, uint16_t dst, uint16_t src,
    const uint8_t *ud, size_t udn)
{
	size_t o = 0;
	uint16_t c;

	out[o++] = 0x05;
	out[o++] = 0x64;
	out[o++] = (uint8_t)(udn + 5);		/* LEN: ctrl+dst+src+data */
	out[o++] = ctrl;
	out[o++] = (uint8_t)dst;
	out[o++] = (uint8_t)(dst >> 8);
	out[o++] = (uint8_t)src;
	out[o++] = (uint8_t)(src >> 8);
	c = t_crc(out, 8);
	out[o++] = (uint8_t)c;
	out[o++] = (uint8_t)(c >> 8);
	for (size_t i = 0; i < udn; i += 16) {
		size_t b = udn - i < 16 ? udn - i : 16;

		memcpy(out + o, ud + i, b);
		c = t_crc(ud + i, b);
		o += b;
		out[o++] = (uint8_t)c;
		out[o++] = (uint8_t)(c >> 8);
	}
	return o;
}

/* Ethernet + IPv4 + TCP around payload; returns the frame length. */
static size_t t_tcp(uint8_t *f, const uint8_t *smac, const uint8_t *dmac,
    const char *src, const char *dst, uint16_t sport, uint16_t dport,
    uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *pl, size_t pn)
{
	uint8_t s[16], d[16];
	size_t tot = 20 + 20 + pn;
	uint32_t sum = 0;

	ip4(s, src);
	ip4(d, dst);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	f += 14;
	memset(f, 0, 40);
	f[0] = 0x45;
	f[2] = (uint8_t)(tot >> 8);
	f[3] = (uint8_t)tot;
	f[6] = 0x40;				/* DF */
	f[8] = 64;
	f[9] = 6;
	memcpy(f + 12, s, 4);
	memcpy(f + 16, d, 4);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	f[10] = (uint8_t)(~sum >> 8);
	f[11] = (uint8_t)~sum;
	f[20] = (uint8_t)(sport >> 8);
	f[21] = (uint8_t)sport;
	f[22] = (uint8_t)(dport >> 8);
	f[23] = (uint8_t)dport;
	f[24] = (uint8_t)(seq >> 24); f[25] = (uint8_t)(seq >> 16);
	f[26] = (uint8_t)(seq >> 8); f[27] = (uint8_t)seq;
	f[28] = (uint8_t)(ack >> 24); f[29] = (uint8_t)(ack >> 16);
	f[30] = (uint8_t)(ack >> 8); f[31] = (uint8_t)ack;
	f[32] = 0x50;				/* data offset 5 */
	f[33] = flags;
	f[34] = 0xff;
	f[35] = 0xff;
	if (pn)
		memcpy(f + 40, pl, pn);
	return 14 + tot;
}

static void t_packet(struct flow_table *ft, const uint8_t *f, size_t n,
    uint64_t ts)
{
	struct pkt p;
	enum anomaly_code an;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	if (decode_packet(LINK_EN10MB, f, (uint32_t)n, (uint32_t)n, &p, &an) ==
	    DECODE_OK)
		flow_table_packet(ft, &p);
}

static void test_dnp3_wire(void)
{
	/* READ g0v252 and g0v242, both q00 0..0 (A.1: attribute set 0) */
	static const uint8_t req_ud[] = {
		0xC0,			/* transport: FIR FIN seq 0 */
		0xC1, 0x01,		/* AC FIR FIN seq 1, READ */
		0x00, 0xFC, 0x00, 0x00, 0x00,	/* g0v252 q00 0..0 */
		0x00, 0xF2, 0x00, 0x00, 0x00,	/* g0v242 q00 0..0 */
	};
	static const uint8_t resp_ud[] = {
		0xC0,
		0xC1, 0x81, 0x00, 0x00,	/* RESPONSE, IIN 0000 */
		0x00, 0xFC, 0x00, 0x00, 0x00,	/* g0v252 q00 0..0 */
		0x01, 0x0D,			/* VSTR, 13 bytes */
		'A', 'C', 'M', 'E', ' ', 'C', 'o', 'n', 't', 'r', 'o', 'l', 's',
		0x00, 0xF2, 0x00, 0x00, 0x00,	/* g0v242 q00 0..0 */
		0x01, 0x05, '3', '.', '0', '.', '1',	/* VSTR "3.0.1" */
		0x00, 0xF3, 0x00, 0x00, 0x00,	/* g0v243 q00 0..0 */
		0x01, 0x02, 'H', '4',		/* VSTR "H4" (hardware) */
	};
	static const uint8_t check[] = "123456789";
	uint8_t req[64], resp[128], f[256];
	size_t nq, nr, n;
	struct config cfg;
	struct flow_table *ft;
	char err[256];
	struct ev_asset a;
	uint8_t rtu[16];
	const char *m = "10.10.1.10", *o = "10.10.2.20";
	uint64_t ts = 1767571205000000ULL;

	test_eq_u64("CRC-16/DNP check value", t_crc(check, 9), 0xEA82);
	nq = t_frame(req, 0xC4, 10, 1, req_ud, sizeof(req_ud));
	nr = t_frame(resp, 0x44, 1, 10, resp_ud, sizeof(resp_ud));
	ip4(rtu, o);
	assets_reset();
	reset_caught();
	config_defaults(&cfg);
	cfg.ndpi_enabled = false;
	ft = flow_table_new(&cfg, 64, 1 << 20, 0, err, sizeof(err));
	test_cond("flow table", ft != NULL);
	if (!ft)
		return;
	n = t_tcp(f, mac_master, mac_rtu, m, o, 40000, 20000, 1000, 0, 0x02,
	    NULL, 0);
	t_packet(ft, f, n, ts);
	n = t_tcp(f, mac_rtu, mac_master, o, m, 20000, 40000, 5000, 1001, 0x12,
	    NULL, 0);
	t_packet(ft, f, n, ts + 100);
	n = t_tcp(f, mac_master, mac_rtu, m, o, 40000, 20000, 1001, 5001, 0x10,
	    NULL, 0);
	t_packet(ft, f, n, ts + 200);
	n = t_tcp(f, mac_master, mac_rtu, m, o, 40000, 20000, 1001, 5001, 0x18,
	    req, nq);
	t_packet(ft, f, n, ts + 1000);
	n = t_tcp(f, mac_rtu, mac_master, o, m, 20000, 40000, 5001,
	    1001 + (uint32_t)nq, 0x18, resp, nr);
	t_packet(ft, f, n, ts + 2000);
	n = t_tcp(f, mac_master, mac_rtu, m, o, 40000, 20000, 1001 + (uint32_t)nq,
	    5001 + (uint32_t)nr, 0x10, NULL, 0);
	t_packet(ft, f, n, ts + 3000);
	flow_table_free(ft);
	test_cond("wire: a DNP3 event", ndnp3_events >= 1);
	test_cond("wire: outstation known", assets_get(4, rtu, &a) == 0);
	test_cond("wire: vendor from g0v252", a.has_identity &&
	    strcmp(a.id_vendor, "ACME Controls") == 0);
	test_cond("wire: revision from g0v242, not g0v243",
	    strcmp(a.id_revision, "3.0.1") == 0);
	test_cond("wire: no product", a.id_product[0] == 0);
	test_eq_u64("wire: source dnp3", a.id_source, ASSET_ID_DNP3);
	test_cond("wire: link address 10", a.ndnp3 == 1 &&
	    a.dnp3_addrs[0] == 10);
	test_cond("wire: keyed by the RTU's MAC", a.has_mac &&
	    memcmp(a.mac, mac_rtu, 6) == 0);
	test_eq_u64("wire: no alert", nalerts, 0);
	assets_reset();
}

/*
 * A long SSH session from the enterprise zone into the control zone
 * alerts as soon as nDPI is done with it (here after 32 packets) and the
 * server answered, not when it ends (flows/flow_table.c: the interim flow record); the record written
 * is still the one at the end, and the alerts are not counted twice.
 */
static void test_flow_start_wire(void)
{
	static const char zones_yaml[] =
	    "zones:\n"
	    "  - name: enterprise\n"
	    "    cidrs: [10.10.0.0/24]\n"
	    "  - name: control\n"
	    "    ot: true\n"
	    "    cidrs: [10.10.2.0/24]\n";
	static const char sbanner[] = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n";
	static const char cbanner[] = "SSH-2.0-PuTTY_Release_0.78\r\n";
	uint8_t f[256], blob[64];
	size_t n, ns = sizeof(sbanner) - 1, nc = sizeof(cbanner) - 1;
	struct config cfg;
	struct flow_table *ft;
	char err[256];
	const char *c = "10.10.0.5", *sv = "10.10.2.20";
	uint64_t ts = 1767571205000000ULL, hour = 3600000000ULL;
	uint32_t cs = 1001, ss = 5001;
	int at_start_ssh, at_start_zone;

	test_cond("flow start: zones load", zones_load_string(zones_yaml,
	    sizeof(zones_yaml) - 1, "t.yaml", err, sizeof(err)) == 0);
	assets_reset();
	reset_caught();
	config_defaults(&cfg);
	cfg.ndpi_enabled = true;
	ft = flow_table_new(&cfg, 64, 1 << 20, 0, err, sizeof(err));
	test_cond("flow start: flow table", ft != NULL);
	if (!ft)
		return;
	n = t_tcp(f, mac_master, mac_rtu, c, sv, 50000, 22, 1000, 0, 0x02,
	    NULL, 0);
	t_packet(ft, f, n, ts);
	n = t_tcp(f, mac_rtu, mac_master, sv, c, 22, 50000, 5000, cs, 0x12,
	    NULL, 0);
	t_packet(ft, f, n, ts + 100);
	n = t_tcp(f, mac_master, mac_rtu, c, sv, 50000, 22, cs, ss, 0x10,
	    NULL, 0);
	t_packet(ft, f, n, ts + 200);
	n = t_tcp(f, mac_rtu, mac_master, sv, c, 22, 50000, ss, cs, 0x18,
	    (const uint8_t *)sbanner, ns);
	t_packet(ft, f, n, ts + 1000);
	ss += (uint32_t)ns;
	n = t_tcp(f, mac_master, mac_rtu, c, sv, 50000, 22, cs, ss, 0x18,
	    (const uint8_t *)cbanner, nc);
	t_packet(ft, f, n, ts + 2000);
	cs += (uint32_t)nc;
	/* an hour of session traffic, a packet a minute each way */
	memset(blob, 0xA5, sizeof(blob));
	for (uint64_t m = 1; m <= 60; m++) {
		n = t_tcp(f, mac_master, mac_rtu, c, sv, 50000, 22, cs, ss, 0x18,
		    blob, sizeof(blob));
		t_packet(ft, f, n, ts + m * 60000000ULL);
		cs += sizeof(blob);
		n = t_tcp(f, mac_rtu, mac_master, sv, c, 22, 50000, ss, cs, 0x18,
		    blob, sizeof(blob));
		t_packet(ft, f, n, ts + m * 60000000ULL + 500);
		ss += sizeof(blob);
		/* nDPI keeps looking at SSH (extra dissection) until
		 * ndpi.max_packets (32): by then it is known for good */
		if (m == 14) {
			at_start_ssh = count_sig("ot.eng.remote_access_ssh");
			at_start_zone = count_sig("ot.zone.not_allowed");
			test_eq_u64("flow start: SSH alert while the session is "
			    "open", (uint64_t)at_start_ssh, 1);
			test_eq_u64("flow start: zone alert while it is open",
			    (uint64_t)at_start_zone, 1);
			test_eq_u64("flow start: no flow record written yet",
			    (uint64_t)nflow_events, 0);
			/* the inventory learnt the devices from the interim
			 * record: the alert names the server's vendor, as it
			 * would at the end (whatever other workers saw) */
			test_cond("flow start: the alert names the vendor",
			    last_alert("ot.eng.remote_access_ssh") &&
			    strstr(last_alert("ot.eng.remote_access_ssh")->message,
			    "TELEMECANIQUE") != NULL);
		}
	}
	n = t_tcp(f, mac_master, mac_rtu, c, sv, 50000, 22, cs, ss, 0x11,
	    NULL, 0);
	t_packet(ft, f, n, ts + hour + 70000000ULL);
	n = t_tcp(f, mac_rtu, mac_master, sv, c, 22, 50000, ss, cs + 1, 0x11,
	    NULL, 0);
	t_packet(ft, f, n, ts + hour + 70000100ULL);
	n = t_tcp(f, mac_master, mac_rtu, c, sv, 50000, 22, cs + 1, ss + 1,
	    0x10, NULL, 0);
	t_packet(ft, f, n, ts + hour + 70000200ULL);
	flow_table_flush(ft, ts + hour + 80000000ULL);
	flow_table_free(ft);
	test_eq_u64("flow start: one flow record, at the end",
	    (uint64_t)nflow_events, 1);
	test_eq_u64("flow start: still one SSH alert",
	    (uint64_t)count_sig("ot.eng.remote_access_ssh"), 1);
	test_eq_u64("flow start: still one zone alert",
	    (uint64_t)count_sig("ot.zone.not_allowed"), 1);
	alerts_flush();
	test_eq_u64("flow start: no count update (counted once)",
	    (uint64_t)count_sig("ot.eng.remote_access_ssh"), 1);
	zones_reset();
	assets_reset();
}

/* ------------------------------------------------------------------------
 * State lines
 * --------------------------------------------------------------------- */

static struct ev_flow fl;

static void send_flow(const char *src, const char *dst, uint16_t dport,
    const char *app, uint64_t ts, const uint8_t *smac, const uint8_t *dmac)
{
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, src, dst, dport, ts, smac, dmac);
	fl.h.app_proto = app;
	fl.pkts[0] = fl.pkts[1] = 3;
	fl.payload_bytes[0] = fl.payload_bytes[1] = 40;
	out_emit(&fl.h);
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Every field of two records; a message names the first that differs. */
static const char *asset_diff(const struct ev_asset *x,
    const struct ev_asset *y)
{
	if (x->asset_id != y->asset_id)
		return "asset_id";
	if (x->has_mac != y->has_mac || memcmp(x->mac, y->mac, 6))
		return "mac";
	if (!str_eq(x->vendor, y->vendor))
		return "vendor";
	if (x->nips != y->nips)
		return "nips";
	for (unsigned i = 0; i < x->nips; i++)
		if (x->ip_family[i] != y->ip_family[i] ||
		    memcmp(x->ips[i], y->ips[i], 16))
			return "ips";
	if (x->first_us != y->first_us || x->last_us != y->last_us)
		return "first/last";
	if (x->roles != y->roles)
		return "roles";
	if (x->nserved != y->nserved)
		return "nserved";
	for (unsigned i = 0; i < x->nserved; i++)
		if (x->served[i].proto != y->served[i].proto ||
		    x->served[i].port != y->served[i].port ||
		    !str_eq(x->served[i].app, y->served[i].app))
			return "served";
	if (x->nunits != y->nunits || memcmp(x->units, y->units, x->nunits))
		return "units";
	if (x->ndnp3 != y->ndnp3 || memcmp(x->dnp3_addrs, y->dnp3_addrs,
	    x->ndnp3 * sizeof(x->dnp3_addrs[0])))
		return "dnp3";
	if (x->has_identity != y->has_identity ||
	    strcmp(x->id_vendor, y->id_vendor) ||
	    strcmp(x->id_product, y->id_product) ||
	    strcmp(x->id_revision, y->id_revision))
		return "identity";
	if (x->id_source != y->id_source)
		return "id_source";
	if (strcmp(x->zone, y->zone))
		return "zone";
	return NULL;
}

static char *write_state(size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	if (!m)
		abort();
	test_cond("state write", assets_state_write(m) == 0);
	fclose(m);
	return buf;
}

/* Reads every line of buf; the number that failed. */
static int read_state(const char *buf)
{
	char line[4096], err[256];
	int bad = 0;

	while (*buf) {
		const char *nl = strchr(buf, '\n');
		size_t n = nl ? (size_t)(nl - buf + 1) : strlen(buf);

		if (n >= sizeof(line))
			return -1;
		memcpy(line, buf, n);
		line[n] = '\0';
		if (assets_state_read(line, err, sizeof(err)) != 0) {
			printf("  read: %s: %s", err, line);
			bad++;
		}
		buf += n;
	}
	return bad;
}

static void build_devices(void)
{
	static const uint8_t mac_ews[6] = { 0x00, 0x00, 0x54, 0x10, 0x20, 0x30 };
	static const uint8_t mac_gw[6] = { 0x00, 0x1B, 0x1B, 0x00, 0x00, 0x01 };
	struct attr odd[3] = {
		/* every byte class the encoding must carry */
		{ 252, 0, "A%B=C,D/E F\t\x01\xc3\xa9" },
		{ 250, 0, "RTU 100%" },
		{ 242, 0, "v1.2 build=7,rc/2" },
	};

	/* Modbus PLC with FC 43/14, and its client */
	send_devid("10.9.1.10", "10.9.2.30", 1767571205000000ULL,
	    "Schneider Electric", "BMX P34 2020", "V1.0");
	send_flow("10.9.1.10", "10.9.2.30", 502, "modbus",
	    1767571206000000ULL, mac_master, mac_rtu);
	/* DNP3 outstation with odd identity strings (another MAC) */
	{
		static const uint8_t mac_rtu2[6] = { 0x00, 0x80, 0xF4, 0x0A, 0x0B,
			0x0C };

		g0_rtu_mac = mac_rtu2;
		send_g0("10.9.1.10", "10.9.2.40", 1767571207000000ULL, odd, 3);
		g0_rtu_mac = mac_rtu;
	}
	/* an EWS with several addresses, and UDP served */
	send_flow("10.9.1.20", "10.9.2.30", 502, "modbus",
	    1767571208000000ULL, mac_ews, mac_rtu);
	send_flow("10.9.1.21", "10.9.2.30", 80, NULL, 1767571209000000ULL,
	    mac_ews, mac_rtu);
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, "10.9.1.21", "10.9.1.20", 161, 1767571210000000ULL,
	    mac_master, mac_ews);
	fl.h.key.proto = 17;
	fl.h.app_proto = "snmp-like name/with slash";
	fl.pkts[0] = fl.pkts[1] = 1;
	out_emit(&fl.h);
	/* a router: more addresses than ASSETS_GATEWAY_IPS, then routed ones */
	for (int i = 0; i < ASSETS_GATEWAY_IPS + 2; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.8.0.%d", i + 1);
		send_flow(src, "10.9.2.30", 502, "modbus",
		    1767571211000000ULL + (uint64_t)i, mac_gw, mac_rtu);
	}
	/* IPv6 device */
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, "10.9.1.10", "10.9.1.10", 443, 1767571220000000ULL,
	    NULL, NULL);
	fl.h.key.family = 6;
	inet_pton(AF_INET6, "fd00::1", fl.h.key.src);
	inet_pton(AF_INET6, "fd00::20", fl.h.key.dst);
	fl.h.app_proto = "http";
	fl.pkts[0] = fl.pkts[1] = 2;
	fl.payload_bytes[0] = fl.payload_bytes[1] = 10;
	out_emit(&fl.h);
}

#define NDEV 64

static void test_round_trip(void)
{
	static struct ev_asset before[NDEV], after[NDEV];
	size_t nb, na, len;
	char *buf, *buf2;
	char err[256];
	static const char zones_yaml[] =
	    "zones:\n"
	    "  - name: control\n"
	    "    ot: true\n"
	    "    cidrs: [10.9.2.0/24]\n";

	test_cond("zones load", zones_load_string(zones_yaml,
	    sizeof(zones_yaml) - 1, "t.yaml", err, sizeof(err)) == 0);
	assets_reset();
	reset_caught();
	build_devices();
	nb = assets_list(before, NDEV);
	test_cond("several devices built", nb >= 8);
	buf = write_state(&len);
	{
		/* every line starts with "asset ", has no tab or control byte */
		bool ok = len > 0 && buf[len - 1] == '\n';

		for (size_t i = 0; i < len; i++)
			if ((buf[i] < 0x20 && buf[i] != '\n') ||
			    (unsigned char)buf[i] > 0x7e)
				ok = false;
		for (const char *l = buf; ok && *l; l = strchr(l, '\n') + 1)
			if (strncmp(l, "asset ", 6) != 0)
				ok = false;
		test_cond("only printable \"asset \" lines", ok);
		test_cond("odd string percent-encoded", strstr(buf,
		    "vendor_id=A%25B%3DC%2CD%2FE%20F%09%01%C3%A9 "));
		test_cond("100% encoded", strstr(buf, "product=RTU%20100%25 "));
		test_cond("app with a slash encoded", strstr(buf,
		    "udp/161/snmp-like%20name%2Fwith%20slash"));
		test_cond("zone written", strstr(buf, " zone=control"));
	}
	assets_reset();
	test_eq_u64("reset: empty", assets_list(after, NDEV), 0);
	test_eq_u64("every line reads back", read_state(buf), 0);
	na = assets_list(after, NDEV);
	test_eq_u64("same number of devices", na, nb);
	for (size_t i = 0; i < na && i < nb; i++) {
		const char *d = asset_diff(&before[i], &after[i]);

		if (d)
			printf("  device %zu differs in %s\n", i, d);
		test_cond("device identical after the round trip", d == NULL);
	}
	/* written again: the same text (table order kept) */
	buf2 = write_state(&len);
	test_cond("second write is identical", strcmp(buf, buf2) == 0);
	free(buf2);

	/* loaded devices are known but not in the next inventory */
	reset_caught();
	assets_flush();
	test_eq_u64("loaded devices: no inventory record", nrecs, 0);
	assets_set_realtime(true);
	send_flow("10.9.1.10", "10.9.2.30", 502, "modbus",
	    1767571300000000ULL, mac_master, mac_rtu);
	test_eq_u64("loaded device seen again: not new", nrecs, 0);
	assets_set_realtime(false);
	assets_flush();
	test_eq_u64("seen again: in the inventory (two ends)", nrecs, 2);
	{
		uint8_t plc[16];
		struct ev_asset a;

		ip4(plc, "10.9.2.30");
		test_cond("first seen kept from the state", assets_get(4, plc,
		    &a) == 0 && a.first_us == 1767571205000000ULL &&
		    a.last_us == 1767571300000000ULL);
		test_cond("vendor looked up again", a.vendor &&
		    strcmp(a.vendor, "TELEMECANIQUE ELECTRIQUE") == 0);
	}
	/*
	 * Replacing an address (a line for an address already known): its
	 * facts and its links are the line's.  10.9.2.30 moves from the
	 * RTU's MAC (whose only address it was) to a new MAC.
	 */
	{
		uint8_t plc[16];
		struct ev_asset a;
		static const uint8_t mac_new[6] = { 0x02, 0, 0, 0, 0, 0x99 };
		int rtu_empty = 0;

		test_cond("replace", assets_state_read("asset ip=10.9.2.30 "
		    "via=02:00:00:00:00:99 first=1 last=2", err, sizeof(err)) == 0);
		ip4(plc, "10.9.2.30");
		test_cond("replaced: new MAC, the line's facts only",
		    assets_get(4, plc, &a) == 0 && a.has_mac &&
		    memcmp(a.mac, mac_new, 6) == 0 && a.first_us == 1 &&
		    a.roles == 0 && !a.has_identity && a.nserved == 0);
		na = assets_list(after, NDEV);
		/* one more record: the new MAC; the RTU's stays, empty */
		test_eq_u64("one more record", na, nb + 1);
		for (size_t i = 0; i < na; i++)
			if (after[i].has_mac && !memcmp(after[i].mac, mac_rtu, 6))
				rtu_empty += after[i].nips == 0 &&
				    after[i].roles == 0;
		test_eq_u64("the RTU's MAC keeps a record, with no address",
		    rtu_empty, 1);
	}
	free(buf);
	zones_reset();
	assets_reset();
}

/*
 * An nDPI protocol name lives in the flow table's nDPI module, which is
 * freed at the end of a run, before the state file is written: the
 * inventory must keep its own copy (under ASan a kept pointer is a
 * use-after-free).
 */
static void test_app_name_copied(void)
{
	char *name = malloc(16);
	struct ev_asset a;
	uint8_t srv[16];
	char *buf;
	size_t len;

	if (!name)
		return;
	assets_reset();
	strcpy(name, "FakeProto");
	send_flow("10.9.1.10", "10.9.2.31", 4711, NULL, 1767571209000000ULL,
	    NULL, NULL);
	fl.ndpi_proto = name;		/* the same flow, named by nDPI */
	fl.h.event_id++;
	out_emit(&fl.h);
	memset(name, 'X', 15);
	free(name);
	ip4(srv, "10.9.2.31");
	test_cond("nDPI name: served port kept", assets_get(4, srv, &a) == 0 &&
	    a.nserved == 1 && a.served[0].port == 4711);
	test_cond("nDPI name: a copy of the name", a.nserved == 1 &&
	    a.served[0].app && strcmp(a.served[0].app, "FakeProto") == 0);
	buf = write_state(&len);
	test_cond("nDPI name: in the state line", buf &&
	    strstr(buf, "served=tcp/4711/FakeProto") != NULL);
	free(buf);
	assets_reset();
}

static void test_exact_line(void)
{
	char *buf;
	size_t len;
	char err[256], line[512];
	struct ev_asset a;
	uint8_t ip[16];
	/* written by hand from the format in ot/assets.h */
	static const char want_mac[] = "asset mac=00:80:f4:01:02:03 "
	    "first=1767571205000000 last=1767571205000000\n";
	static const char want[] = "asset ip=10.10.2.30 "
	    "via=00:80:f4:01:02:03 "
	    "first=1767571205000000 last=1767571205000000 roles=modbus_server "
	    "units=1 vendor_id=Schneider%20Electric product=BMX%20P34%202020 "
	    "revision=V1.0 id_source=modbus id_ts=1767571205000000,"
	    "1767571205000000,1767571205000000\n";

	assets_reset();
	send_devid("10.10.1.10", "10.10.2.30", 1767571205000000ULL,
	    "Schneider Electric", "BMX P34 2020", "V1.0");
	buf = write_state(&len);
	test_cond("exact line for the PLC", strstr(buf, want) != NULL);
	test_cond("exact line for its MAC", strstr(buf, want_mac) != NULL);
	test_cond("MAC lines first", strstr(buf, want_mac) < strstr(buf, want) &&
	    strstr(buf, "asset mac=00:00:54:44:55:66 ") < strstr(buf, want));
	if (!strstr(buf, want) || !strstr(buf, want_mac))
		printf("  got:\n%s", buf);
	free(buf);

	/*
	 * A line written by hand, with CRLF and a key from a later version,
	 * read from a buffer that is then overwritten: nothing may point
	 * into it.
	 */
	assets_reset();
	snprintf(line, sizeof(line), "asset ip=10.10.2.20 "
	    "via=00:80:F4:01:02:03 first=1767571205000000 "
	    "last=1767571206000000 roles=modbus_server,dnp3_outstation "
	    "served=udp/47808,tcp/20000/dnp3,tcp/502/modbus units=255,1 "
	    "dnp3=65535,10 vendor_id=ACME%%20Corp product=RTU-7 revision=1.0 "
	    "id_source=dnp3 id_ts=5,6,7 zone=control future_key=whatever\r\n");
	test_cond("hand-written line", assets_state_read(line, err,
	    sizeof(err)) == 0);
	memset(line, 'Z', sizeof(line));
	ip4(ip, "10.10.2.20");
	test_cond("hand-written: found", assets_get(4, ip, &a) == 0);
	test_cond("hand-written: mac (upper-case hex)", a.has_mac &&
	    memcmp(a.mac, mac_rtu, 6) == 0);
	test_cond("hand-written: vendor from OUI", a.vendor &&
	    strcmp(a.vendor, "TELEMECANIQUE ELECTRIQUE") == 0);
	test_eq_u64("hand-written: first", a.first_us, 1767571205000000ULL);
	test_eq_u64("hand-written: last", a.last_us, 1767571206000000ULL);
	test_eq_u64("hand-written: roles", a.roles, ASSET_ROLE_MODBUS_SERVER |
	    ASSET_ROLE_DNP3_OUTSTATION);
	test_cond("hand-written: served", a.nserved == 3 &&
	    a.served[0].proto == 6 && a.served[0].port == 502 &&
	    str_eq(a.served[0].app, "modbus") && a.served[1].port == 20000 &&
	    str_eq(a.served[1].app, "dnp3") && a.served[2].proto == 17 &&
	    a.served[2].port == 47808 && a.served[2].app == NULL);
	test_cond("hand-written: app not in the line", a.served[0].app &&
	    (a.served[0].app < line || a.served[0].app >= line + sizeof(line)));
	test_cond("hand-written: units", a.nunits == 2 && a.units[0] == 1 &&
	    a.units[1] == 255);
	test_cond("hand-written: dnp3", a.ndnp3 == 2 && a.dnp3_addrs[0] == 10 &&
	    a.dnp3_addrs[1] == 65535);
	test_cond("hand-written: identity", a.has_identity &&
	    !strcmp(a.id_vendor, "ACME Corp") && !strcmp(a.id_product, "RTU-7")
	    && !strcmp(a.id_revision, "1.0") && a.id_source == ASSET_ID_DNP3);
	test_cond("hand-written: zone", strcmp(a.zone, "control") == 0);
	/* the MAC had no line: its times are the address's; then a line */
	{
		static struct ev_asset l[4];
		uint8_t ip2[16];

		test_cond("hand-written: second address", assets_state_read(
		    "asset ip=10.10.2.21 via=00:80:f4:01:02:03 first=1767571204000000 "
		    "last=1767571204000000 units=3", err, sizeof(err)) == 0);
		test_eq_u64("hand-written: one device", assets_list(l, 4), 1);
		test_cond("hand-written: two addresses, sorted", l[0].nips == 2 &&
		    l[0].ips[0][3] == 20 && l[0].ips[1][3] == 21);
		test_eq_u64("hand-written: first over both", l[0].first_us,
		    1767571204000000ULL);
		test_cond("hand-written: units merged and sorted", l[0].nunits == 3 &&
		    l[0].units[0] == 1 && l[0].units[1] == 3 &&
		    l[0].units[2] == 255);
		ip4(ip2, "10.10.2.21");
		test_cond("hand-written: the second address finds the device",
		    assets_get(4, ip2, &a) == 0 && a.nips == 2);
		test_cond("hand-written: mac line", assets_state_read("asset "
		    "mac=00:80:f4:01:02:03 first=7 last=9", err, sizeof(err)) == 0);
		test_eq_u64("hand-written: still one device", assets_list(l, 4), 1);
	}
	/* minimal line: routed (no mac), no trailing newline */
	test_cond("minimal line", assets_state_read("asset ip=fd00::7 first=0 "
	    "last=0", err, sizeof(err)) == 0);
	memset(ip, 0, 16);
	inet_pton(AF_INET6, "fd00::7", ip);
	test_cond("minimal: routed IPv6", assets_get(6, ip, &a) == 0 &&
	    !a.has_mac && a.vendor == NULL && !a.has_identity);
	assets_reset();
}

/*
 * Moving addresses between MACs in a full table: 2000 MACs of 2
 * addresses each (4000 of the 4096 address entries), then the addresses
 * of every even MAC re-read via the next (odd) MAC, which then has 4 (a
 * device, ASSETS_GATEWAY_IPS) while the even one has none.  Every address
 * must lead to the odd MAC's device; one more address on MAC 1 makes it a
 * gateway and its 4 addresses routed.  Then the table fills up.
 */
static void test_replace_crowded(void)
{
	char line[256], err[256];
	int bad = 0, lost = 0, empty = 0;
	struct ev_asset a;
	static struct ev_asset l[ASSETS_LIST_MAX];
	size_t n;

	assets_reset();
	for (int d = 0; d < 2000 && !bad; d++)
		for (int k = 0; k < 2; k++) {
			snprintf(line, sizeof(line), "asset ip=10.%d.%d.%d "
			    "via=02:00:00:00:%02x:%02x first=1 last=2 units=%d",
			    20 + k, d / 200, d % 200, d >> 8, d & 255, d % 200);
			bad += assets_state_read(line, err, sizeof(err)) != 0;
		}
	for (int d = 0; d < 2000 && !bad; d += 2)
		for (int k = 0; k < 2; k++) {
			snprintf(line, sizeof(line), "asset ip=10.%d.%d.%d "
			    "via=02:00:00:00:%02x:%02x first=1 last=3 units=%d",
			    20 + k, d / 200, d % 200, (d + 1) >> 8, (d + 1) & 255,
			    d % 200);
			bad += assets_state_read(line, err, sizeof(err)) != 0;
		}
	test_eq_u64("crowded: every line read", bad, 0);
	for (int d = 0; d < 2000; d++)
		for (int k = 0; k < 2; k++) {
			uint8_t ip[16] = { 10, (uint8_t)(20 + k),
				(uint8_t)(d / 200), (uint8_t)(d % 200) };
			int owner = d | 1;

			if (assets_get(4, ip, &a) != 0 || a.nips != 4 ||
			    !a.has_mac || a.mac[4] != (owner >> 8) ||
			    a.mac[5] != (owner & 255))
				lost++;
		}
	test_eq_u64("crowded: every address finds its new device", lost, 0);
	n = assets_list(l, ASSETS_LIST_MAX);
	test_eq_u64("crowded: 2000 records (one per MAC)", n, 2000);
	for (size_t i = 0; i < n; i++)
		empty += l[i].nips == 0;
	test_eq_u64("crowded: 1000 MACs left with no address", empty, 1000);
	test_cond("crowded: a fifth address", assets_state_read("asset "
	    "ip=10.99.0.1 via=02:00:00:00:00:01 first=1 last=2", err,
	    sizeof(err)) == 0);
	{
		uint8_t ip[16] = { 10, 20, 0, 0 };

		test_cond("crowded: MAC 1 is now a gateway: its addresses routed",
		    assets_get(4, ip, &a) == 0 && !a.has_mac && a.nips == 1);
	}
	/* 4001 addresses so far: 95 more fit, the next does not */
	for (int i = 0; i < 95 && !bad; i++) {
		snprintf(line, sizeof(line), "asset ip=10.98.0.%d first=1 last=2",
		    i + 1);
		bad += assets_state_read(line, err, sizeof(err)) != 0;
	}
	test_eq_u64("crowded: up to ASSETS_MAX addresses", bad, 0);
	test_cond("crowded: full", assets_state_read("asset ip=10.98.1.1 "
	    "first=1 last=2", err, sizeof(err)) == -1 && strstr(err, "full"));
	test_cond("crowded: a known address can still be replaced",
	    assets_state_read("asset ip=10.98.0.1 first=1 last=5", err,
	    sizeof(err)) == 0);
	assets_reset();
}

/* ------------------------------------------------------------------------
 * Hostile lines
 * --------------------------------------------------------------------- */

static void expect_bad(const char *what, const char *line, const char *key)
{
	char err[256];
	struct ev_asset tmp[8];
	size_t before = assets_list(tmp, 8);
	int rc;

	memset(err, 0, sizeof(err));
	rc = assets_state_read(line, err, sizeof(err));
	test_cond(what, rc == -1);
	test_cond("error message names the token", err[0] && (!key ||
	    strstr(err, key)));
	if (rc != -1 || !err[0] || (key && !strstr(err, key)))
		printf("  %s: rc %d err \"%s\"\n", what, rc, err);
	test_cond("table unchanged on error", assets_list(tmp, 8) == before);
}

#define GOOD "asset ip=10.1.1.1 first=1 last=2"

static void test_hostile(void)
{
	static char big[40000];
	char line[512], err[256];
	size_t o;

	assets_reset();
	test_cond("good base line", assets_state_read(GOOD, err,
	    sizeof(err)) == 0);
	expect_bad("empty", "", NULL);
	expect_bad("not asset", "device ip=10.1.1.2 first=1 last=2", NULL);
	expect_bad("bare asset", "asset", NULL);
	expect_bad("no tokens", "asset ", "missing");
	expect_bad("missing last", "asset ip=10.1.1.2 first=1", "last");
	expect_bad("missing ip", "asset first=1 last=2", "ip");
	expect_bad("truncated value", "asset ip=10.1.1.2 first=1 last=", "last");
	expect_bad("truncated ip", "asset ip=10.1.1 first=1 last=2", "ip");
	expect_bad("ip garbage", "asset ip=10.1.1.2.3.4.5.6.7.8.9.10.11.12.13."
	    "14.15.16.17.18.19.20 first=1 last=2", "ip");
	expect_bad("empty ip item", "asset ip=10.1.1.2,,10.1.1.3 first=1 "
	    "last=2", "ip");
	expect_bad("ip twice", "asset ip=10.1.1.2,10.1.1.2 first=1 last=2",
	    "ip");
	expect_bad("bad hex in mac", "asset mac=00:80:f4:01:02:0g ip=10.1.1.2 "
	    "first=1 last=2", "mac");
	expect_bad("short mac", "asset mac=00:80:f4:01:02 ip=10.1.1.2 first=1 "
	    "last=2", "mac");
	expect_bad("mac with dashes", "asset mac=00-80-f4-01-02-03 ip=10.1.1.2 "
	    "first=1 last=2", "mac");
	expect_bad("negative number", "asset ip=10.1.1.2 first=-1 last=2",
	    "first");
	expect_bad("number overflow", "asset ip=10.1.1.2 first=1 "
	    "last=18446744073709551616", "last");
	expect_bad("first after last", "asset ip=10.1.1.2 first=3 last=2",
	    "first");
	expect_bad("duplicate key", "asset ip=10.1.1.2 first=1 first=1 last=2",
	    "first");
	expect_bad("not key=value", "asset ip=10.1.1.2 first=1 last=2 oops",
	    "oops");
	expect_bad("empty key", "asset ip=10.1.1.2 first=1 last=2 =x", NULL);
	expect_bad("unknown role", "asset ip=10.1.1.2 first=1 last=2 roles=plc",
	    "roles");
	expect_bad("empty role", "asset ip=10.1.1.2 first=1 last=2 "
	    "roles=modbus_server,", "roles");
	expect_bad("unknown id_source", "asset ip=10.1.1.2 first=1 last=2 "
	    "id_source=bacnet", "id_source");
	expect_bad("unit 256", "asset ip=10.1.1.2 first=1 last=2 units=256",
	    "units");
	expect_bad("nine units", "asset ip=10.1.1.2 first=1 last=2 "
	    "units=1,2,3,4,5,6,7,8,9", "units");
	expect_bad("dnp3 65536", "asset ip=10.1.1.2 first=1 last=2 dnp3=65536",
	    "dnp3");
	expect_bad("five dnp3", "asset ip=10.1.1.2 first=1 last=2 "
	    "dnp3=1,2,3,4,5", "dnp3");
	expect_bad("port 70000", "asset ip=10.1.1.2 first=1 last=2 "
	    "served=tcp/70000", "served");
	expect_bad("proto 300", "asset ip=10.1.1.2 first=1 last=2 "
	    "served=300/1", "served");
	expect_bad("proto name", "asset ip=10.1.1.2 first=1 last=2 "
	    "served=sctp/1", "served");
	expect_bad("no port", "asset ip=10.1.1.2 first=1 last=2 served=tcp",
	    "served");
	expect_bad("empty app", "asset ip=10.1.1.2 first=1 last=2 "
	    "served=tcp/502/", "served");
	expect_bad("four parts", "asset ip=10.1.1.2 first=1 last=2 "
	    "served=tcp/502/a/b", "served");
	expect_bad("long app", "asset ip=10.1.1.2 first=1 last=2 "
	    "served=tcp/502/abcdefghijabcdefghijabcdefghijabc", "served");
	expect_bad("nine served", "asset ip=10.1.1.2 first=1 last=2 served="
	    "tcp/1,tcp/2,tcp/3,tcp/4,tcp/5,tcp/6,tcp/7,tcp/8,tcp/9", "served");
	expect_bad("embedded NUL", "asset ip=10.1.1.2 first=1 last=2 "
	    "product=ab%00cd", "product");
	expect_bad("bad escape", "asset ip=10.1.1.2 first=1 last=2 "
	    "product=ab%zz", "product");
	expect_bad("escape cut at the end", "asset ip=10.1.1.2 first=1 last=2 "
	    "product=ab%4", "product");
	expect_bad("escape cut at the end 2", "asset ip=10.1.1.2 first=1 last=2 "
	    "revision=%", "revision");
	expect_bad("raw = in a value", "asset ip=10.1.1.2 first=1 last=2 "
	    "product=a=b", "product");
	expect_bad("raw , in a value", "asset ip=10.1.1.2 first=1 last=2 "
	    "vendor_id=a,b", "vendor_id");
	expect_bad("tab in the line", "asset ip=10.1.1.2\tfirst=1 last=2", NULL);
	expect_bad("byte 0xff", "asset ip=10.1.1.2 first=1 last=2 "
	    "product=\xff", NULL);
	expect_bad("newline inside", "asset ip=10.1.1.2 first=1\nlast=2", NULL);
	expect_bad("zone too long", "asset ip=10.1.1.2 first=1 last=2 "
	    "zone=abcdefghijabcdefghijabcdefghijab", "zone");
	/* mac lines and ip lines (the format since the order-free tables) */
	expect_bad("mac and ip on one line", "asset mac=00:00:00:00:00:09 "
	    "ip=10.1.1.1 first=1 last=2", "mac");
	expect_bad("a fact on a mac line", "asset mac=00:00:00:00:00:09 "
	    "first=1 last=2 roles=modbus_server", "roles");
	expect_bad("via on a mac line", "asset mac=00:00:00:00:00:09 "
	    "first=1 last=2 via=00:00:00:00:00:08", "via");
	expect_bad("mac line without last", "asset mac=00:00:00:00:00:09 "
	    "first=1", "last");
	expect_bad("two addresses", "asset ip=10.1.1.2,10.1.1.3 first=1 last=2",
	    "ip");
	expect_bad("five via", "asset ip=10.1.1.2 via=00:00:00:00:00:01,"
	    "00:00:00:00:00:02,00:00:00:00:00:03,00:00:00:00:00:04,"
	    "00:00:00:00:00:05 first=1 last=2", "via");
	expect_bad("via twice", "asset ip=10.1.1.2 via=00:00:00:00:00:01,"
	    "00:00:00:00:00:01 first=1 last=2", "via");
	expect_bad("empty via", "asset ip=10.1.1.2 via= first=1 last=2", "via");
	expect_bad("bad via", "asset ip=10.1.1.2 via=00:00:00:00:00 first=1 "
	    "last=2", "via");
	expect_bad("unit twice", "asset ip=10.1.1.2 first=1 last=2 units=3,3",
	    "units");
	expect_bad("dnp3 twice", "asset ip=10.1.1.2 first=1 last=2 dnp3=3,3",
	    "dnp3");
	expect_bad("port twice", "asset ip=10.1.1.2 first=1 last=2 "
	    "served=tcp/502,tcp/502/modbus", "served");
	expect_bad("two id times", "asset ip=10.1.1.2 first=1 last=2 "
	    "revision=1 id_ts=1,2", "id_ts");
	expect_bad("four id times", "asset ip=10.1.1.2 first=1 last=2 "
	    "revision=1 id_ts=1,2,3,4", "id_ts");
	expect_bad("bad id time", "asset ip=10.1.1.2 first=1 last=2 "
	    "revision=1 id_ts=1,x,3", "id_ts");

	/* string caps: 63 bytes fit, 64 do not (also when escaped) */
	o = (size_t)snprintf(line, sizeof(line), "asset ip=10.1.1.3 first=1 "
	    "last=2 product=");
	memset(line + o, 'A', 63);
	line[o + 63] = '\0';
	test_cond("63-byte product fits", assets_state_read(line, err,
	    sizeof(err)) == 0);
	o = (size_t)snprintf(line, sizeof(line), "asset ip=10.1.1.4 first=1 "
	    "last=2 product=");
	memset(line + o, 'A', 64);
	line[o + 64] = '\0';
	expect_bad("64-byte product", line, "product");
	o = (size_t)snprintf(line, sizeof(line), "asset ip=10.1.1.4 first=1 "
	    "last=2 vendor_id=");
	for (int i = 0; i < 64; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%%41");
	expect_bad("64 escaped bytes", line, "vendor_id");

	/* 1000 addresses */
	o = (size_t)snprintf(big, sizeof(big), "asset ip=");
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s10.2.%d.%d",
		    i ? "," : "", i / 250, i % 250 + 1);
	snprintf(big + o, sizeof(big) - o, " first=1 last=2");
	expect_bad("1000 addresses", big, "ip");
	/* a 30000-byte string */
	o = (size_t)snprintf(big, sizeof(big), GOOD " vendor_id=");
	memset(big + o, 'x', 30000);
	big[o + 30000] = '\0';
	expect_bad("30000-byte vendor", big, "vendor_id");

	/* every truncation of a full line: never a crash, table bounded */
	{
		static const char full[] = "asset ip=10.3.0.1 "
		    "via=00:80:f4:01:02:03,00:80:f4:01:02:04 first=10 last=20 "
		    "roles=modbus_server,dnp3_outstation "
		    "served=tcp/502/modbus,udp/47808 units=1,2 "
		    "dnp3=10 vendor_id=A%20B product=P revision=R "
		    "id_source=dnp3 id_ts=1,2,3 zone=z";
		size_t fl_len = strlen(full);
		int ok = 0;

		for (size_t cut = 0; cut <= fl_len; cut++) {
			memcpy(line, full, cut);
			line[cut] = '\0';
			ok += assets_state_read(line, err, sizeof(err)) == 0;
		}
		test_cond("truncations: some readable, no crash", ok > 0 &&
		    ok < (int)fl_len);
		/* random mutations, deterministic */
		{
			uint32_t x = 12345;
			int nread = 0;

			for (int it = 0; it < 20000; it++) {
				memcpy(line, full, fl_len + 1);
				for (int k = 0; k < 3; k++) {
					x = x * 1103515245u + 12345u;
					line[(x >> 8) % fl_len] = (char)(x >> 20);
				}
				if (it % 1000 == 0)
					assets_reset();
				if (assets_state_read(line, err, sizeof(err)) == 0)
					nread++;
			}
			test_cond("20000 mutated lines: no crash, most refused",
			    nread < 20000);
		}
	}
	/* tiny or no error buffer */
	test_cond("errlen 0", assets_state_read("asset x", NULL, 0) == -1);
	test_cond("errlen 1", assets_state_read("asset x", err, 1) == -1 &&
	    err[0] == '\0');
	assets_reset();
}

/* ------------------------------------------------------------------------
 * Listing and printing
 * --------------------------------------------------------------------- */

static void test_list_print(void)
{
	struct ev_asset l[8];
	char *out = NULL;
	size_t len = 0, n;
	FILE *m;
	char err[256];

	assets_reset();
	m = open_memstream(&out, &len);
	assets_print(m);
	fclose(m);
	test_cond("empty: \"no devices\"", out && strcmp(out, "no devices\n")
	    == 0);
	free(out);

	/* order: numeric (10.0.0.9 before 10.0.0.10), IPv4 before IPv6 */
	test_cond("lines", assets_state_read("asset ip=fd00::1 first=1 last=1",
	    err, sizeof(err)) == 0 &&
	    assets_state_read("asset ip=10.0.0.10 first=1 last=1", err,
	    sizeof(err)) == 0 &&
	    assets_state_read("asset ip=10.0.0.9 first=1 last=1", err,
	    sizeof(err)) == 0 &&
	    assets_state_read("asset ip=192.168.0.1 via=02:00:00:00:00:01 "
	    "first=1 last=1", err, sizeof(err)) == 0 &&
	    assets_state_read("asset ip=9.9.9.9 via=02:00:00:00:00:01 "
	    "first=1 last=1", err, sizeof(err)) == 0 &&
	    assets_state_read("asset mac=02:00:00:00:00:07 first=1 last=1", err,
	    sizeof(err)) == 0);
	n = assets_list(l, 8);
	test_eq_u64("five listed", n, 5);
	test_cond("a MAC with no address comes last", n == 5 &&
	    l[4].has_mac && l[4].mac[5] == 7 && l[4].nips == 0);
	if (n == 4) {
		char b[4][64];

		for (int i = 0; i < 4; i++)
			inet_ntop(l[i].ip_family[0] == 6 ? AF_INET6 : AF_INET,
			    l[i].ips[0], b[i], sizeof(b[i]));
		test_cond("order by lowest address", !strcmp(b[0], "9.9.9.9") &&
		    !strcmp(b[1], "10.0.0.9") && !strcmp(b[2], "10.0.0.10") &&
		    !strcmp(b[3], "fd00::1"));
		test_cond("list records are inventory records",
		    l[0].h.type == EV_ASSET &&
		    l[0].reason == ASSET_REASON_INVENTORY);
	}
	test_eq_u64("max respected", assets_list(l, 2), 2);
	{
		char b[64];

		inet_ntop(AF_INET, l[1].ips[0], b, sizeof(b));
		test_cond("max keeps the first ones", !strcmp(b, "10.0.0.9"));
	}

	/* one known device in full */
	assets_reset();
	test_cond("device line", assets_state_read("asset ip=10.10.2.20 "
	    "via=00:80:f4:01:02:03 first=1767571205000000 last=1767657605000000 "
	    "roles=modbus_server,dnp3_outstation served=tcp/502/modbus "
	    "units=1 dnp3=10 vendor_id=ACME%20Corp product=RTU-7 "
	    "revision=2.1%1B%5B31m id_source=dnp3 zone=control", err,
	    sizeof(err)) == 0);
	out = NULL;
	m = open_memstream(&out, &len);
	assets_print(m);
	fclose(m);
	test_cond("print: header", out && strncmp(out, "IP ", 3) == 0 &&
	    strstr(out, "MAC VENDOR") && strstr(out, "FIRST SEEN"));
	test_cond("print: two lines", out && strchr(out, '\n') &&
	    strchr(strchr(out, '\n') + 1, '\n') &&
	    strchr(strchr(out, '\n') + 1, '\n')[1] == '\0');
	if (out) {
		const char *row = strchr(out, '\n') + 1;

		test_cond("print: ip first", strncmp(row, "10.10.2.20 ", 11) == 0);
		test_cond("print: mac", strstr(row, "00:80:f4:01:02:03"));
		test_cond("print: mac vendor", strstr(row,
		    "TELEMECANIQUE ELECTRIQUE"));
		test_cond("print: zone", strstr(row, "control"));
		test_cond("print: roles", strstr(row,
		    "modbus_server,dnp3_outstation"));
		test_cond("print: served", strstr(row, "tcp/502 modbus"));
		test_cond("print: units and dnp3", strstr(row, "unit 1; dnp3 10"));
		test_cond("print: first seen", strstr(row,
		    "2026-01-05T00:00:05Z"));
		test_cond("print: last seen", strstr(row,
		    "2026-01-06T00:00:05Z"));
		test_cond("print: identity, ESC shown as ?", strstr(row,
		    "ACME Corp / RTU-7 / 2.1?[31m (dnp3)"));
		test_cond("print: no ESC byte", !strchr(out, 0x1b));
		/* fixed width: the MAC column starts at the same place */
		test_cond("print: columns aligned", strstr(out, "MAC ") - out ==
		    strstr(row, "00:80:f4") - row);
	}
	free(out);

	/* addresses that do not fit the column are counted, not cut */
	assets_reset();
	for (int i = 4; i >= 1; i--) {
		char line[128];

		snprintf(line, sizeof(line), "asset ip=10.0.1.%d "
		    "via=02:00:00:00:00:01 first=1 last=1", i);
		test_cond("four addresses", assets_state_read(line, err,
		    sizeof(err)) == 0);
	}
	out = NULL;
	m = open_memstream(&out, &len);
	assets_print(m);
	fclose(m);
	test_cond("print: \"+2\" for the addresses left out", out &&
	    strstr(out, "\n10.0.1.1,10.0.1.2 +2 "));
	free(out);
	assets_reset();
}

/* ------------------------------------------------------------------------
 * Order independence: the same set of events in other orders
 * --------------------------------------------------------------------- */

static const uint8_t mac_gw6[6] = { 0x00, 0x1B, 0x1B, 0x00, 0x00, 0x66 };
static const uint8_t mac_ews2[6] = { 0x00, 0x00, 0x54, 0x00, 0x00, 0x20 };
static const uint8_t mac_host[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x30 };
static const uint8_t mac_two[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x40 };
static const uint8_t mac_out[6] = { 0x00, 0x80, 0xF4, 0x00, 0x00, 0x50 };
static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x61 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x62 };
static const uint8_t mac_far[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x70 };

/* A Modbus transaction: FC 43/14 when an identity part is given, else FC 3. */
static void mb_tx(const char *client, const char *server, uint64_t ts,
    const uint8_t *cmac, const uint8_t *smac, uint8_t unit,
    const char *vendor, const char *rev)
{
	int k = 0;

	memset(&mb, 0, sizeof(mb));
	hdr(&mb.h, EV_MODBUS, client, server, 502, ts, cmac, smac);
	mb.unit = unit;
	mb.fc = 3;
	mb.has_request = mb.has_response = mb.matched = true;
	if (vendor || rev) {
		mb.fc = 0x2B;
		mb.has_mei = true;
		mb.mei_type = 14;
		mb.has_devid = true;
		mb.devid.has_response = true;
	}
	if (vendor) {
		mb.devid.objs[k].id = 0;		/* VendorName */
		snprintf(mb.devid.objs[k++].value, sizeof(mb.devid.objs[0].value),
		    "%s", vendor);
	}
	if (rev) {
		mb.devid.objs[k].id = 2;		/* MajorMinorRevision */
		snprintf(mb.devid.objs[k++].value, sizeof(mb.devid.objs[0].value),
		    "%s", rev);
	}
	mb.devid.nobjs = (uint8_t)k;
	out_emit(&mb.h);
}

/*
 * The event set.  Times are deliberately not in array order.  What the
 * inventory must say, from the rules in ot/assets.h:
 *   - router mac_gw6: 10.50.0.1-6 and 10.60.0.30 behind it (7 > 4): a
 *     gateway record, no address; 10.50.0.1-5 routed records;
 *   - 10.50.0.3 (routed): Modbus server, units 10..1 answered -> the 8
 *     smallest 1..8; revision answers "1.0"@5000, "2.0"@9000,
 *     "1.5"@7000, then "A9" and "B2" both @9500 -> "B2"; vendor "Acme";
 *   - 10.50.0.6 also seen with its own MAC (mac_far, far side of the
 *     router): mac_far's device, not routed;
 *   - 10.60.0.30: its own MAC (mac_host) and, forwarded, the router's:
 *     mac_host's device;
 *   - mac_two holds 10.60.0.40 and 10.60.0.41: served ports 100, 200,
 *     ..., 1000 and 502 (11) -> the 8 smallest (100..500, 502, 600, 700);
 *     502's app seen as "modbus", "Modbus" and none -> "Modbus"
 *     (strcmp-smallest); vendor "Vendor40"@5000 (.40) and
 *     "Vendor41"@7000 (.41) -> "Vendor41"; revision "r40"@8000 (Modbus,
 *     .40) and product "P41"@8000 (DNP3 g0v250, .41): equal latest
 *     times -> id_source dnp3 (the higher);
 *   - 10.60.0.50 (mac_out): DNP3 outstation with link addresses 30, 25,
 *     20, 15, 10, 5 -> 5, 10, 15, 20; g0v252 "DNP Corp"@3000, g0v242
 *     "3.0"@4000 then "3.1"@6000 -> "3.1";
 *   - 10.60.0.70 with mac_b and mac_a (one address each): the lower MAC,
 *     mac_a; mac_b a record with no address;
 *   - fd00::1 -> fd00::2, no MAC: two routed records.
 * 8 MACs + 5 + 2 routed = 15 records.
 */
static void build_order_set(void)
{
	static const struct attr vend = { 252, 0, "DNP Corp" };
	static const struct attr r30 = { 242, 0, "3.0" };
	static const struct attr r31 = { 242, 0, "3.1" };
	static const struct attr p41 = { 250, 0, "P41" };
	static const uint16_t links[6] = { 30, 25, 20, 15, 10, 5 };
	static const char *const app502[3] = { "modbus", NULL, "Modbus" };
	char a[32];

	for (int k = 1; k <= 6; k++) {
		snprintf(a, sizeof(a), "10.50.0.%d", k);
		send_flow("10.60.0.20", a, 502, "modbus",
		    1000 + (uint64_t)((k * 37) % 11) * 100, mac_ews2, mac_gw6);
	}
	for (int u = 10; u >= 1; u--)
		mb_tx("10.60.0.20", "10.50.0.3", 2000 + (uint64_t)((u * 7) % 10),
		    mac_ews2, mac_gw6, (uint8_t)u, NULL, NULL);
	mb_tx("10.60.0.20", "10.50.0.3", 5000, mac_ews2, mac_gw6, 1, "Acme",
	    "1.0");
	mb_tx("10.60.0.20", "10.50.0.3", 9000, mac_ews2, mac_gw6, 1, NULL,
	    "2.0");
	mb_tx("10.60.0.20", "10.50.0.3", 7000, mac_ews2, mac_gw6, 1, NULL,
	    "1.5");
	mb_tx("10.60.0.20", "10.50.0.3", 9500, mac_ews2, mac_gw6, 1, NULL,
	    "A9");
	mb_tx("10.60.0.20", "10.50.0.3", 9500, mac_ews2, mac_gw6, 1, NULL,
	    "B2");
	send_flow("10.60.0.30", "10.50.0.6", 443, NULL, 1500, mac_gw6,
	    mac_far);
	send_flow("10.50.0.5", "10.60.0.30", 80, "http", 1600, mac_gw6,
	    mac_host);
	send_flow("10.60.0.20", "10.60.0.30", 80, "http", 1700, mac_ews2,
	    mac_host);
	for (int k = 1; k <= 10; k++)
		send_flow("10.60.0.20", k % 2 ? "10.60.0.40" : "10.60.0.41",
		    (uint16_t)(k * 100), NULL, 3000 + (uint64_t)((k * 3) % 7),
		    mac_ews2, mac_two);
	for (int k = 0; k < 3; k++)
		send_flow("10.60.0.20", k == 1 ? "10.60.0.41" : "10.60.0.40", 502,
		    app502[k], 3100 + (uint64_t)k, mac_ews2, mac_two);
	mb_tx("10.60.0.20", "10.60.0.40", 5000, mac_ews2, mac_two, 1,
	    "Vendor40", NULL);
	mb_tx("10.60.0.20", "10.60.0.41", 7000, mac_ews2, mac_two, 1,
	    "Vendor41", NULL);
	mb_tx("10.60.0.20", "10.60.0.40", 8000, mac_ews2, mac_two, 1, NULL,
	    "r40");
	g0_master_mac = mac_ews2;
	g0_rtu_mac = mac_two;
	send_g0("10.60.0.20", "10.60.0.41", 8000, &p41, 1);
	g0_rtu_mac = mac_out;
	for (int k = 0; k < 6; k++) {
		g0_link_out = links[k];
		send_g0("10.60.0.20", "10.60.0.50", 2500 + (uint64_t)k, NULL, 0);
	}
	g0_link_out = 10;
	send_g0("10.60.0.20", "10.60.0.50", 6000, &r31, 1);
	send_g0("10.60.0.20", "10.60.0.50", 3000, &vend, 1);
	send_g0("10.60.0.20", "10.60.0.50", 4000, &r30, 1);
	g0_master_mac = mac_master;
	g0_rtu_mac = mac_rtu;
	send_flow("10.60.0.20", "10.60.0.70", 161, "snmp", 1800, mac_ews2,
	    mac_b);
	send_flow("10.60.0.20", "10.60.0.70", 161, "snmp", 1900, mac_ews2,
	    mac_a);
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, "10.0.0.1", "10.0.0.2", 443, 1200, NULL, NULL);
	fl.h.key.family = 6;
	memset(fl.h.key.src, 0, 16);
	memset(fl.h.key.dst, 0, 16);
	inet_pton(AF_INET6, "fd00::1", fl.h.key.src);
	inet_pton(AF_INET6, "fd00::2", fl.h.key.dst);
	fl.h.app_proto = "tls";
	fl.pkts[0] = fl.pkts[1] = 2;
	fl.payload_bytes[0] = fl.payload_bytes[1] = 10;
	out_emit(&fl.h);
}

static const struct ev_asset *by_mac(const struct ev_asset *l, size_t n,
    const uint8_t mac[6])
{
	for (size_t i = 0; i < n; i++)
		if (l[i].has_mac && memcmp(l[i].mac, mac, 6) == 0)
			return &l[i];
	return NULL;
}

/* The record whose address list holds s. */
static const struct ev_asset *by_ip(const struct ev_asset *l, size_t n,
    const char *s)
{
	uint8_t ip[16] = { 0 };
	int fam = strchr(s, ':') ? 6 : 4;

	inet_pton(fam == 6 ? AF_INET6 : AF_INET, s, ip);
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < l[i].nips; j++)
			if (l[i].ip_family[j] == fam && !memcmp(l[i].ips[j], ip, 16))
				return &l[i];
	return NULL;
}

/* The reference inventory checked against the rules, value by value. */
static void check_order_set(const struct ev_asset *l, size_t n)
{
	const struct ev_asset *r;
	static const uint16_t ports[8] = { 100, 200, 300, 400, 500, 502, 600,
		700 };

	test_eq_u64("order set: 15 records", n, 15);
	r = by_mac(l, n, mac_gw6);
	test_cond("router: a gateway record with no address", r &&
	    r->roles == ASSET_ROLE_GATEWAY && r->nips == 0 && r->vendor &&
	    r->first_us == 1100 && r->last_us == 9500);
	for (int k = 1; k <= 5; k++) {
		char a[32];

		snprintf(a, sizeof(a), "10.50.0.%d", k);
		r = by_ip(l, n, a);
		/* a flow answered on tcp/502: a port served (no role) */
		test_cond("router: addresses behind it routed", r && !r->has_mac &&
		    r->nips == 1 && r->nserved == 1 && r->served[0].port == 502);
	}
	r = by_ip(l, n, "10.50.0.3");
	test_cond("routed PLC: units 1..8 (smallest kept)", r && r->nunits == 8 &&
	    r->units[0] == 1 && r->units[7] == 8);
	test_cond("routed PLC: latest revision, tie by the greater string", r &&
	    !strcmp(r->id_revision, "B2") && !strcmp(r->id_vendor, "Acme") &&
	    r->id_source == ASSET_ID_MODBUS);
	test_cond("routed PLC: first/last min/max", r && r->first_us == 1000 +
	    (3 * 37 % 11) * 100 && r->last_us == 9500);
	r = by_ip(l, n, "10.50.0.6");
	test_cond("far host: its own MAC wins over the router's", r &&
	    r->has_mac && !memcmp(r->mac, mac_far, 6));
	r = by_ip(l, n, "10.60.0.30");
	test_cond("SPAN host: its own device", r && r->has_mac &&
	    !memcmp(r->mac, mac_host, 6) && r->nips == 1 && r->nserved == 1 &&
	    r->served[0].port == 80 && r->first_us == 1500);
	r = by_mac(l, n, mac_two);
	test_cond("two addresses: one device, sorted", r && r->nips == 2 &&
	    r->ips[0][3] == 40 && r->ips[1][3] == 41);
	test_eq_u64("two addresses: 8 ports kept", r ? r->nserved : 0, 8);
	for (int i = 0; r && i < 8 && i < r->nserved; i++)
		test_cond("two addresses: the smallest ports, sorted",
		    r->served[i].proto == 6 && r->served[i].port == ports[i]);
	test_cond("two addresses: 502 named by the smallest name", r &&
	    r->served[5].app && !strcmp(r->served[5].app, "Modbus"));
	test_cond("two addresses: identity part by part, latest", r &&
	    !strcmp(r->id_vendor, "Vendor41") && !strcmp(r->id_product, "P41")
	    && !strcmp(r->id_revision, "r40"));
	test_eq_u64("two addresses: id_source of the latest (tie: dnp3)",
	    r ? r->id_source : 0, ASSET_ID_DNP3);
	r = by_ip(l, n, "10.60.0.50");
	test_cond("outstation: 4 smallest link addresses", r && r->ndnp3 == 4 &&
	    r->dnp3_addrs[0] == 5 && r->dnp3_addrs[1] == 10 &&
	    r->dnp3_addrs[2] == 15 && r->dnp3_addrs[3] == 20);
	test_cond("outstation: g0 identity by time", r &&
	    !strcmp(r->id_vendor, "DNP Corp") && !strcmp(r->id_revision, "3.1")
	    && r->id_source == ASSET_ID_DNP3);
	r = by_ip(l, n, "10.60.0.70");
	test_cond("two MACs, one address each: the lower MAC", r && r->has_mac &&
	    !memcmp(r->mac, mac_a, 6));
	r = by_mac(l, n, mac_b);
	test_cond("the other MAC: a record with no address", r && r->nips == 0);
	r = by_ip(l, n, "fd00::2");
	test_cond("no MAC: routed", r && !r->has_mac && r->nips == 1);
}

static struct ev_asset ref_list[32], ref_flush[32];
static size_t ref_n;
static int ref_nflush;

/* Compares the inventory now (list and flush) with the reference. */
static int compare_now(const char *what)
{
	static struct ev_asset l[32];
	size_t n;
	int bad = 0;

	n = assets_list(l, 32);
	reset_caught();
	assets_flush();
	if (n != ref_n || nrecs != ref_nflush) {
		printf("  %s: %zu records (flush %d), want %zu (%d)\n", what, n,
		    nrecs, ref_n, ref_nflush);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *d = asset_diff(&l[i], &ref_list[i]);

		if (!d)
			d = asset_diff(&recs[i], &ref_flush[i]);
		if (!d && (recs[i].h.event_id != ref_flush[i].h.event_id ||
		    recs[i].h.ts_us != ref_flush[i].h.ts_us ||
		    recs[i].reason != ASSET_REASON_INVENTORY))
			d = "flush header";
		if (d) {
			printf("  %s: record %zu differs in %s\n", what, i, d);
			bad++;
		}
	}
	return bad;
}

static void replay(const int *order, int n)
{
	for (int i = 0; i < n; i++)
		out_emit(&evs[order[i]].h);
}

struct half {
	int which;		/* 0: even events ascending, 1: odd descending */
};

static void *replay_half(void *arg)
{
	const struct half *hf = arg;

	if (hf->which == 0) {
		for (int i = 0; i < nevs; i += 2)
			out_emit(&evs[i].h);
	} else {
		for (int i = nevs - 1 - ((nevs - 1) % 2 == 0); i >= 0; i -= 2)
			out_emit(&evs[i].h);
	}
	return NULL;
}

static void test_order_free(void)
{
	int order[MAX_EVS];
	int bad;
	uint32_t x = 777;
	char *buf;
	size_t len;

	assets_reset();
	reset_caught();
	nevs = 0;
	capture = true;
	build_order_set();
	capture = false;
	test_cond("order set: every event kept", nevs > 40 && nevs < MAX_EVS);
	ref_n = assets_list(ref_list, 32);
	check_order_set(ref_list, ref_n);
	reset_caught();
	assets_flush();
	ref_nflush = nrecs;
	test_eq_u64("order set: flush writes every record", ref_nflush, ref_n);
	if (ref_n > 32 || ref_nflush > 32)
		return;
	memcpy(ref_flush, recs, sizeof(ref_flush[0]) * (size_t)nrecs);
	for (size_t i = 0; i < ref_n; i++)
		test_cond("flush in list order", !asset_diff(&ref_flush[i],
		    &ref_list[i]));

	/* the same events again, in the same order: the same inventory */
	for (int i = 0; i < nevs; i++)
		order[i] = i;
	assets_reset();
	replay(order, nevs);
	test_eq_u64("replay, same order", compare_now("same"), 0);
	/* reversed */
	for (int i = 0; i < nevs; i++)
		order[i] = nevs - 1 - i;
	assets_reset();
	replay(order, nevs);
	test_eq_u64("reversed order: same records", compare_now("reversed"), 0);
	/* shuffled (Fisher-Yates, fixed seeds) */
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < nevs; i++)
			order[i] = i;
		for (int i = nevs - 1; i > 0; i--) {
			int j, t;

			x = x * 1103515245u + 12345u;
			j = (int)((x >> 8) % (uint32_t)(i + 1));
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		assets_reset();
		replay(order, nevs);
		test_eq_u64("shuffled order: same records", compare_now("shuffled"),
		    0);
	}
	/* the shuffled tables through the state file: still the same */
	buf = write_state(&len);
	assets_reset();
	test_eq_u64("order set: state reads back", read_state(buf), 0);
	free(buf);
	{
		static struct ev_asset l[32];
		size_t n = assets_list(l, 32);
		int diff = n != ref_n;

		for (size_t i = 0; i < n && i < ref_n; i++)
			diff += asset_diff(&l[i], &ref_list[i]) != NULL;
		test_eq_u64("order set: state round trip", diff, 0);
	}
	/* two threads interleaving the events, as two workers do */
	bad = 0;
	for (int round = 0; round < 20; round++) {
		pthread_t t[2];
		struct half hf[2] = { { 0 }, { 1 } };

		assets_reset();
		for (int k = 0; k < 2; k++)
			if (pthread_create(&t[k], NULL, replay_half, &hf[k]) != 0)
				abort();
		for (int k = 0; k < 2; k++)
			pthread_join(t[k], NULL);
		bad += compare_now("two threads");
	}
	test_eq_u64("two threads, 20 rounds: same records", bad, 0);
	assets_reset();
}

/*
 * Hostile: one MAC with 100,000 addresses (a scan through a router, or a
 * forged source).  The tables stay fixed, the losses are counted, the
 * MAC is a gateway, and a local device seen afterwards still gets in
 * (addresses behind a gateway fill at most three quarters).
 */
static void test_flood(void)
{
	static const uint8_t mac_scan[6] = { 0x02, 0xBA, 0xD0, 0x00, 0x00, 0x01 };
	static const uint8_t mac_late[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
	static struct ev_asset l[ASSETS_LIST_MAX];
	const struct ev_asset *r;
	size_t n;
	int routed = 0;

	assets_reset();
	reset_caught();
	for (int i = 0; i < 100000; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.%d.%d.%d", 100 + (i >> 16),
		    (i >> 8) & 255, i & 255);
		memset(&fl, 0, sizeof(fl));
		hdr(&fl.h, EV_FLOW, src, "192.168.9.9", 502, 1000 + (uint64_t)i,
		    mac_scan, mac_rtu);
		fl.pkts[0] = 1;
		out_emit(&fl.h);
	}
	send_flow("192.168.9.10", "192.168.9.9", 502, "modbus", 200000,
	    mac_late, mac_rtu);
	test_cond("flood: losses counted", assets_dropped() > 90000);
	n = assets_list(l, ASSETS_LIST_MAX);
	test_cond("flood: bounded", n <= ASSETS_LIST_MAX);
	for (size_t i = 0; i < n; i++)
		routed += !l[i].has_mac;
	test_cond("flood: routed addresses capped below the table",
	    routed > 1000 && routed < ASSETS_MAX);
	r = by_mac(l, n, mac_scan);
	/* its times cover what was recorded, not the frames dropped */
	test_cond("flood: the MAC is a gateway", r &&
	    r->roles == ASSET_ROLE_GATEWAY && r->nips == 0 &&
	    r->first_us == 1000);
	r = by_ip(l, n, "192.168.9.9");
	test_cond("flood: the server keeps its device", r && r->has_mac &&
	    !memcmp(r->mac, mac_rtu, 6));
	r = by_ip(l, n, "192.168.9.10");
	test_cond("flood: a local device seen later still gets in", r &&
	    r->has_mac && !memcmp(r->mac, mac_late, 6));
	assets_reset();
	test_eq_u64("reset clears the count", assets_dropped(), 0);
}

int main(void)
{
	out_set_hook(hook, NULL);
	test_dnp3_identity();
	test_modbus_identity();
	test_dnp3_wire();
	test_flow_start_wire();
	test_app_name_copied();
	test_exact_line();
	test_round_trip();
	test_replace_crowded();
	test_hostile();
	test_list_print();
	test_order_free();
	test_flood();
	out_set_hook(NULL, NULL);
	return test_report();
}
