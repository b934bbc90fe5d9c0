/*
 * dnp3_test.c - unit tests for dissectors/dnp3.c on hand-built frames.
 *
 * Frames are built here with an independent CRC-16/DNP routine (bitwise,
 * reflected polynomial 0xA6BC, init 0, inverted; IEEE 1815-2012 9.2.5),
 * checked against the catalogue check value 0xEA82 for "123456789" and
 * the widely published reset-link frame 05 64 05 C0 01 00 00 04 E9 21.
 * Expected values come from the bytes written below, never from the
 * dissector's own output.  A small harness stands in for the flow layer:
 * it keeps what feed() did not consume and passes it in again.
 */
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "dissect_stub.h"

extern const struct dissector dnp3_dissector;

/* ---- independent CRC and frame builders ---- */

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

/* A link frame around ud (0..250 bytes); returns its length. */
static size_t t_frame(uint8_t *out, uint8_t ctrl, uint16_t dst, uint16_t src,
    const uint8_t *ud, size_t udn)
{
	size_t o = 0;
	uint16_t c;

	out[o++] = 0x05;
	out[o++] = 0x64;
	out[o++] = (uint8_t)(udn + 5);
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

/*
 * An application fragment sent as 'nseg' transport segments (seq from
 * tseq), each in its own frame; returns the bytes written.
 */
static size_t t_app(uint8_t *out, uint8_t ctrl, uint16_t dst, uint16_t src,
    uint8_t tseq, const uint8_t *app, size_t n, int nseg)
{
	uint8_t ud[251];
	size_t o = 0, per = (n + (size_t)nseg - 1) / (size_t)nseg, off = 0;

	for (int i = 0; i < nseg; i++) {
		size_t b = n - off < per ? n - off : per;

		ud[0] = (uint8_t)(((tseq + i) & 0x3f) | (i == 0 ? 0x40 : 0) |
		    (i == nseg - 1 ? 0x80 : 0));
		memcpy(ud + 1, app + off, b);
		o += t_frame(out + o, ctrl, dst, src, ud, b + 1);
		off += b;
	}
	return o;
}

/* Wire size of the frame starting at f, from its LEN byte. */
static size_t t_frame_size(const uint8_t *f)
{
	size_t ud = (size_t)f[2] - 5;

	return 10 + ud + 2 * ((ud + 15) / 16);
}

/* master (link 1) -> outstation (link 10); and back */
#define M2O 0xC4	/* DIR=1 PRM=1 UNCONFIRMED_USER_DATA */
#define O2M 0x44	/* DIR=0 PRM=1 UNCONFIRMED_USER_DATA */

/* ---- flow-layer stand-in ---- */

#define T_MAXEV 8
static struct ev_dnp3 t_ev[T_MAXEV];
static int t_nev;
static _Alignas(16) unsigned char t_state[APP_STATE_MAX];
static uint8_t t_buf[2][8192];
static size_t t_len[2];
static struct flow_ctx t_fc;

static void t_on_event(const struct ev_hdr *h)
{
	if (h->type == EV_DNP3 && t_nev < T_MAXEV)
		memcpy(&t_ev[t_nev], h, sizeof(struct ev_dnp3));
	t_nev++;
}

static void t_reset(void)
{
	dnp3_dissector.init(t_state);
	memset(stub_anomalies, 0, sizeof(stub_anomalies));
	stub_last_anomaly[0] = '\0';
	t_nev = 0;
	t_len[0] = t_len[1] = 0;
	t_fc.ts_us = 1000000;
	stub_on_event = t_on_event;
}

static void t_feed(enum dir d, const uint8_t *p, size_t n)
{
	struct feed_result r;

	memcpy(t_buf[d] + t_len[d], p, n);
	t_len[d] += n;
	t_fc.ts_us += 1000;
	r = dnp3_dissector.feed(t_state, &t_fc, d, t_buf[d], t_len[d]);
	if (r.consumed > t_len[d])
		abort();
	memmove(t_buf[d], t_buf[d] + r.consumed, t_len[d] - r.consumed);
	t_len[d] -= r.consumed;
}

static void t_close(void)
{
	dnp3_dissector.close(t_state, &t_fc);
}

static const struct dnp3_point *t_pt(const struct ev_dnp3 *ev,
    const struct dnp3_object *o, unsigned i)
{
	return &ev->points[o->point_first + i];
}

/* ---- fixtures ---- */

/* READ class 0,1,2,3: AC FIR|FIN seq 1, FC 1, g60v2..v4 and g60v1 all */
static const uint8_t read_req[] = {
	0xC1, 0x01,
	0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06, 0x3C, 0x04, 0x06, 0x3C, 0x01, 0x06,
};

static const uint8_t read_resp[] = {
	0xC1, 0x81, 0x90, 0x00,		/* seq 1, RESPONSE, IIN1 0x90 */
	/* g1v2 q00 0..2: flags with state in bit 7 */
	0x01, 0x02, 0x00, 0x00, 0x02, 0x81, 0x01, 0x81,
	/* g30v1 q01 0..1 (16-bit range): flags + int32 12345, -2 */
	0x1E, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00,
	0x01, 0x39, 0x30, 0x00, 0x00, 0x01, 0xFE, 0xFF, 0xFF, 0xFF,
	/* g20v1 q00 5..5: counter 10000 */
	0x14, 0x01, 0x00, 0x05, 0x05, 0x01, 0x10, 0x27, 0x00, 0x00,
	/* g30v5 q00 0..0: flags + float 1.5 */
	0x1E, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xC0, 0x3F,
	/* g32v3 q28 count 1: index 7, flags, int32 100, time 1e12 ms */
	0x20, 0x03, 0x28, 0x01, 0x00, 0x07, 0x00, 0x01, 0x64, 0x00, 0x00,
	0x00, 0x00, 0x10, 0xA5, 0xD4, 0xE8, 0x00,
	/* g51v1 q07 count 1: CTO 1000 ms */
	0x33, 0x01, 0x07, 0x01, 0xE8, 0x03, 0x00, 0x00, 0x00, 0x00,
	/* g2v3 q28 count 1: index 3, flags 0x81, relative time 10 ms */
	0x02, 0x03, 0x28, 0x01, 0x00, 0x03, 0x00, 0x81, 0x0A, 0x00,
	/* g1v1 q00 0..9 packed: 0x05 0x02 -> 1,0,1,0,0,0,0,0,0,1 */
	0x01, 0x01, 0x00, 0x00, 0x09, 0x05, 0x02,
	/* g3v1 q00 0..3 packed 2 bits: 0x99 -> 1,2,1,2 */
	0x03, 0x01, 0x00, 0x00, 0x03, 0x99,
};

static void check_read_event(const struct ev_dnp3 *ev)
{
	const struct dnp3_msg *rq = &ev->req, *rs = &ev->resp;
	const struct dnp3_object *o;

	test_cond("read: matched", ev->matched);
	test_cond("read: not unsolicited", !ev->unsolicited);
	test_eq_u64("read: req func", rq->func, 1);
	test_eq_u64("read: req seq", rq->seq, 1);
	test_cond("read: req fir fin", rq->fir && rq->fin && !rq->con);
	test_eq_u64("read: req link src", rq->link_src, 1);
	test_eq_u64("read: req link dst", rq->link_dst, 10);
	test_eq_u64("read: req objects", rq->nobjects, 4);
	test_eq_u64("read: req obj0 group", rq->objects[0].group, 60);
	test_eq_u64("read: req obj0 var", rq->objects[0].variation, 2);
	test_eq_u64("read: req obj0 qual", rq->objects[0].qualifier, 6);
	test_cond("read: req obj no data", !rq->objects[3].has_data);
	test_eq_u64("read: resp func", rs->func, 129);
	test_eq_u64("read: resp iin", rs->iin, 0x9000);
	test_eq_u64("read: resp link src", rs->link_src, 10);
	test_eq_u64("read: resp objects", rs->nobjects, 9);
	test_cond("read: resp clean", !rs->unparsed && !rs->malformed &&
	    !rs->truncated);

	o = &rs->objects[0];
	test_eq_u64("g1v2 count", o->count, 3);
	test_eq_u64("g1v2 points", o->point_count, 3);
	test_eq_u64("g1v2 p0 value", t_pt(ev, o, 0)->ival, 1);
	test_eq_u64("g1v2 p1 value", t_pt(ev, o, 1)->ival, 0);
	test_eq_u64("g1v2 p1 flags", t_pt(ev, o, 1)->flags, 0x01);
	test_eq_u64("g1v2 p2 index", t_pt(ev, o, 2)->index, 2);
	test_eq_u64("g1v2 p2 kind", t_pt(ev, o, 2)->kind, DNP3_VAL_BOOL);

	o = &rs->objects[1];
	test_eq_u64("g30v1 group", o->group, 30);
	test_eq_u64("g30v1 p0", t_pt(ev, o, 0)->ival, 12345);
	test_cond("g30v1 p1 -2", t_pt(ev, o, 1)->ival == -2);
	test_eq_u64("g30v1 kind", t_pt(ev, o, 1)->kind, DNP3_VAL_INT);

	o = &rs->objects[2];
	test_eq_u64("g20v1 index", t_pt(ev, o, 0)->index, 5);
	test_eq_u64("g20v1 value", t_pt(ev, o, 0)->ival, 10000);
	test_eq_u64("g20v1 kind", t_pt(ev, o, 0)->kind, DNP3_VAL_UINT);

	o = &rs->objects[3];
	test_cond("g30v5 1.5", t_pt(ev, o, 0)->fval == 1.5 &&
	    t_pt(ev, o, 0)->kind == DNP3_VAL_FLOAT);

	o = &rs->objects[4];
	test_eq_u64("g32v3 qualifier", o->qualifier, 0x28);
	test_eq_u64("g32v3 index", t_pt(ev, o, 0)->index, 7);
	test_eq_u64("g32v3 value", t_pt(ev, o, 0)->ival, 100);
	test_eq_u64("g32v3 time", t_pt(ev, o, 0)->time_ms, 1000000000000ULL);

	o = &rs->objects[6];
	test_eq_u64("g2v3 index", t_pt(ev, o, 0)->index, 3);
	test_eq_u64("g2v3 time = cto + 10", t_pt(ev, o, 0)->time_ms, 1010);
	test_cond("g2v3 absolute", !t_pt(ev, o, 0)->time_relative);

	o = &rs->objects[7];
	test_eq_u64("g1v1 points", o->point_count, 10);
	test_eq_u64("g1v1 p0", t_pt(ev, o, 0)->ival, 1);
	test_eq_u64("g1v1 p1", t_pt(ev, o, 1)->ival, 0);
	test_eq_u64("g1v1 p2", t_pt(ev, o, 2)->ival, 1);
	test_eq_u64("g1v1 p8", t_pt(ev, o, 8)->ival, 0);
	test_eq_u64("g1v1 p9", t_pt(ev, o, 9)->ival, 1);

	o = &rs->objects[8];
	test_eq_u64("g3v1 p0", t_pt(ev, o, 0)->ival, 1);
	test_eq_u64("g3v1 p1", t_pt(ev, o, 1)->ival, 2);
	test_eq_u64("g3v1 p3", t_pt(ev, o, 3)->ival, 2);
	test_eq_u64("g3v1 kind", t_pt(ev, o, 3)->kind, DNP3_VAL_DBIT);
}

/* ---- tests ---- */

static void test_crc_and_probe(void)
{
	static const uint8_t reset_link[] = {
		0x05, 0x64, 0x05, 0xC0, 0x01, 0x00, 0x00, 0x04, 0xE9, 0x21,
	};
	uint8_t f[32];

	test_eq_u64("crc check value", t_crc((const uint8_t *)"123456789", 9),
	    0xEA82);
	test_eq_u64("builder = published frame",
	    t_frame(f, 0xC0, 1, 0x0400, NULL, 0), 10);
	test_cond("builder bytes", memcmp(f, reset_link, 10) == 0);
	test_eq_u64("probe yes", dnp3_dissector.probe(reset_link, 10,
	    DIR_TO_SERVER, 1234, 20000), PROBE_YES);
	test_eq_u64("probe more", dnp3_dissector.probe(reset_link, 5,
	    DIR_TO_SERVER, 1234, 20000), PROBE_MORE);
	test_eq_u64("probe no", dnp3_dissector.probe((const uint8_t *)
	    "GET / HTTP/1.1\r\n", 16, DIR_TO_SERVER, 1234, 80), PROBE_NO);
	f[8] ^= 1;
	test_eq_u64("probe bad crc", dnp3_dissector.probe(f, 10,
	    DIR_TO_SERVER, 1234, 20000), PROBE_NO);
	test_cond("state budget", dnp3_dissector.state_size <= APP_STATE_MAX);

	t_reset();
	t_feed(DIR_TO_SERVER, reset_link, sizeof(reset_link));
	t_close();
	test_eq_u64("link-only frame: no event", t_nev, 0);
	test_eq_u64("link-only frame: no anomaly", stub_anomaly_total(), 0);
}

static void test_read_pair(void)
{
	uint8_t a[256], b[256];
	size_t na, nb;

	na = t_app(a, M2O, 10, 1, 0, read_req, sizeof(read_req), 1);
	nb = t_app(b, O2M, 1, 10, 0, read_resp, sizeof(read_resp), 1);
	t_reset();
	t_feed(DIR_TO_SERVER, a, na);
	test_eq_u64("read: no event before response", t_nev, 0);
	t_feed(DIR_TO_CLIENT, b, nb);
	test_eq_u64("read: one event", t_nev, 1);
	check_read_event(&t_ev[0]);
	test_eq_u64("read: rtt", t_ev[0].rtt_us, 1000);
	test_eq_u64("read: event dir", t_ev[0].h.dir, DIR_TO_SERVER);
	t_close();
	test_eq_u64("read: still one event", t_nev, 1);
	test_eq_u64("read: no anomaly", stub_anomaly_total(), 0);
}

static void test_split_everywhere(void)
{
	uint8_t a[256], b[256];
	size_t na, nb;
	int bad = 0;

	na = t_app(a, M2O, 10, 1, 0, read_req, sizeof(read_req), 1);
	nb = t_app(b, O2M, 1, 10, 0, read_resp, sizeof(read_resp), 1);
	for (size_t k = 1; k < na + nb; k++) {
		t_reset();
		if (k < na) {
			t_feed(DIR_TO_SERVER, a, k);
			t_feed(DIR_TO_SERVER, a + k, na - k);
			t_feed(DIR_TO_CLIENT, b, nb);
		} else {
			t_feed(DIR_TO_SERVER, a, na);
			t_feed(DIR_TO_CLIENT, b, k - na);
			t_feed(DIR_TO_CLIENT, b + (k - na), nb - (k - na));
		}
		if (t_nev != 1 || stub_anomaly_total() != 0 ||
		    !t_ev[0].matched || t_ev[0].npoints != 24)
			bad++;
		else if (k == na + nb / 2)
			check_read_event(&t_ev[0]);
	}
	test_eq_u64("split at every offset: all parsed", bad, 0);

	/* and byte by byte */
	t_reset();
	for (size_t k = 0; k < na; k++)
		t_feed(DIR_TO_SERVER, a + k, 1);
	for (size_t k = 0; k < nb; k++)
		t_feed(DIR_TO_CLIENT, b + k, 1);
	test_eq_u64("byte by byte: one event", t_nev, 1);
	test_cond("byte by byte: matched", t_ev[0].matched);
}

static void test_multi_frame(void)
{
	/* response: g30v3 q01 0..99, int32 values i*3 - 100 */
	uint8_t app[512], buf[1024], ack[16];
	size_t n = 0, nb, nack;
	const struct dnp3_object *o;
	int bad = 0, wrong = 0;

	app[n++] = 0xC2;
	app[n++] = 0x81;
	app[n++] = 0x00;
	app[n++] = 0x00;
	app[n++] = 0x1E;
	app[n++] = 0x03;
	app[n++] = 0x01;
	app[n++] = 0x00;
	app[n++] = 0x00;
	app[n++] = 99;
	app[n++] = 0x00;
	for (int i = 0; i < 100; i++) {
		int32_t v = i * 3 - 100;
		uint32_t u = (uint32_t)v;

		app[n++] = (uint8_t)u;
		app[n++] = (uint8_t)(u >> 8);
		app[n++] = (uint8_t)(u >> 16);
		app[n++] = (uint8_t)(u >> 24);
	}
	/* 411 bytes over 3 frames, transport seq 62, 63, 0 (wraps) */
	nb = t_app(buf, O2M, 1, 10, 62, app, n, 3);
	/* a link-layer ACK in between must not disturb anything */
	nack = t_frame(ack, 0x00, 10, 1, NULL, 0);

	for (size_t k = 0; k <= nb; k += (k < nb ? 1 : 1)) {
		uint8_t rq[32];
		static const uint8_t req[] = { 0xC2, 0x01, 0x1E, 0x03, 0x06 };
		size_t nr = t_app(rq, M2O, 10, 1, 5, req, sizeof(req), 1);

		t_reset();
		t_feed(DIR_TO_SERVER, rq, nr);
		t_feed(DIR_TO_SERVER, ack, nack);
		t_feed(DIR_TO_CLIENT, buf, k);
		t_feed(DIR_TO_CLIENT, buf + k, nb - k);
		if (t_nev != 1 || stub_anomaly_total() != 0 ||
		    !t_ev[0].matched || t_ev[0].resp.frag_len != 411) {
			bad++;
			continue;
		}
		o = &t_ev[0].resp.objects[0];
		if (o->point_count != 100 || t_pt(&t_ev[0], o, 57)->ival !=
		    57 * 3 - 100 || t_pt(&t_ev[0], o, 99)->index != 99)
			wrong++;
		if (k == nb)
			break;
	}
	test_eq_u64("multi-frame at every split: one matched event", bad, 0);
	test_eq_u64("multi-frame values", wrong, 0);
	test_cond("multi-frame: obj count", t_ev[0].resp.objects[0].count ==
	    100);
}

static void test_several_frames_one_feed(void)
{
	static const uint8_t unsol[] = {
		0xF0, 0x82, 0x00, 0x00,		/* FIR FIN CON UNS seq 0 */
		/* g2v2 q28 count 1 index 4 flags 0x81 time 0x0102030405 */
		0x02, 0x02, 0x28, 0x01, 0x00, 0x04, 0x00, 0x81,
		0x05, 0x04, 0x03, 0x02, 0x01, 0x00,
	};
	static const uint8_t confirm[] = { 0xD0, 0x00 };
	uint8_t a[128], b[512];
	size_t na, nb = 0;

	na = t_app(a, M2O, 10, 1, 0, read_req, sizeof(read_req), 1);
	na += t_app(a + na, M2O, 10, 1, 1, confirm, sizeof(confirm), 1);
	nb += t_app(b + nb, O2M, 1, 10, 0, read_resp, sizeof(read_resp), 1);
	nb += t_app(b + nb, O2M, 1, 10, 1, unsol, sizeof(unsol), 1);
	nb += t_frame(b + nb, 0x0B, 1, 10, NULL, 0);	/* LINK_STATUS */
	t_reset();
	t_feed(DIR_TO_SERVER, a, na);
	t_feed(DIR_TO_CLIENT, b, nb);
	test_eq_u64("several frames: two events", t_nev, 2);
	test_eq_u64("several frames: nothing left", t_len[1], 0);
	check_read_event(&t_ev[0]);
	test_cond("unsolicited: flagged", t_ev[1].unsolicited &&
	    !t_ev[1].matched && !t_ev[1].req.present);
	test_eq_u64("unsolicited: func", t_ev[1].resp.func, 130);
	test_cond("unsolicited: uns con", t_ev[1].resp.uns &&
	    t_ev[1].resp.con);
	test_eq_u64("unsolicited: dir", t_ev[1].h.dir, DIR_TO_CLIENT);
	test_eq_u64("unsolicited: index", t_ev[1].points[0].index, 4);
	test_eq_u64("unsolicited: time", t_ev[1].points[0].time_ms,
	    0x0102030405ULL);
	test_eq_u64("unsolicited: confirm counted", t_ev[1].confirms_total, 1);
	t_close();
	test_eq_u64("several frames: no anomaly", stub_anomaly_total(), 0);
}

static void test_bad_crc(void)
{
	uint8_t a[256], b[256];
	size_t na, nb, k;

	/* data block corrupted, then a good frame in the same feed */
	na = t_app(a, M2O, 10, 1, 0, read_req, sizeof(read_req), 1);
	memcpy(b, a, na);
	b[12] ^= 0x10;		/* inside the first data block */
	memcpy(b + na, a, na);
	t_reset();
	t_feed(DIR_TO_SERVER, b, 2 * na);
	test_eq_u64("bad crc: one anomaly",
	    stub_anomalies[ANOM_APP_MALFORMED], 1);
	test_cond("bad crc: detail", strncmp(stub_last_anomaly,
	    "dnp3.bad_crc", 12) == 0);
	t_close();
	test_eq_u64("bad crc: next frame parsed", t_nev, 1);
	test_eq_u64("bad crc: it is the read", t_ev[0].req.func, 1);
	test_eq_u64("bad crc: counted", t_ev[0].bad_crc_total, 1);

	/* header CRC corrupted */
	memcpy(b, a, na);
	b[9] ^= 0xFF;
	memcpy(b + na, a, na);
	t_reset();
	t_feed(DIR_TO_SERVER, b, 2 * na);
	test_eq_u64("bad header crc: one anomaly", stub_anomaly_total(), 1);
	test_cond("bad header crc: detail", strncmp(stub_last_anomaly,
	    "dnp3.bad_crc", 12) == 0);
	t_close();
	test_eq_u64("bad header crc: next frame parsed", t_nev, 1);

	/* garbage before a frame */
	nb = 0;
	for (k = 0; k < 7; k++)
		b[nb++] = (uint8_t)(0x30 + k);
	memcpy(b + nb, a, na);
	nb += na;
	t_reset();
	t_feed(DIR_TO_SERVER, b, nb);
	t_close();
	test_eq_u64("garbage: frame parsed", t_nev, 1);
	test_cond("garbage: resync anomaly", strncmp(stub_last_anomaly,
	    "dnp3.resync", 11) == 0);
}

static void test_crob_select_operate(void)
{
	static const uint8_t sel[] = {
		0xC3, 0x03,			/* seq 3, SELECT */
		0x0C, 0x01, 0x28, 0x02, 0x00,	/* g12v1 q28 count 2 */
		0x03, 0x00, 0x81, 0x01, 0xE8, 0x03, 0x00, 0x00,	/* idx 3 TRIP PULSE_ON */
		0x00, 0x00, 0x00, 0x00, 0x00,	/* off 0, status 0 */
		0x04, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00,	/* idx 4 LATCH_ON */
		0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t sel_resp[sizeof(sel) + 2], op[sizeof(sel)],
	    op_resp[sizeof(sel) + 2];
	uint8_t buf[256];
	size_t n;
	const struct ev_dnp3 *ev;

	sel_resp[0] = 0xC3;
	sel_resp[1] = 0x81;
	sel_resp[2] = 0x00;
	sel_resp[3] = 0x00;
	memcpy(sel_resp + 4, sel + 2, sizeof(sel) - 2);
	memcpy(op, sel, sizeof(sel));
	op[0] = 0xC4;
	op[1] = 0x04;			/* OPERATE, seq 4 */
	memcpy(op_resp, sel_resp, sizeof(sel_resp));
	op_resp[0] = 0xC4;
	/* header 4, object header 5, idx 3 block 2+11, idx 4 block 2+10 */
	op_resp[4 + 5 + 13 + 12] = 0x04;	/* idx 4 status NOT_SUPPORTED */

	t_reset();
	n = t_app(buf, M2O, 10, 1, 0, sel, sizeof(sel), 1);
	t_feed(DIR_TO_SERVER, buf, n);
	n = t_app(buf, O2M, 1, 10, 0, sel_resp, sizeof(sel_resp), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	n = t_app(buf, M2O, 10, 1, 1, op, sizeof(op), 1);
	t_feed(DIR_TO_SERVER, buf, n);
	n = t_app(buf, O2M, 1, 10, 1, op_resp, sizeof(op_resp), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	t_close();
	test_eq_u64("crob: two events", t_nev, 2);
	ev = &t_ev[0];
	test_eq_u64("crob: select", ev->req.func, 3);
	test_cond("crob: matched", ev->matched);
	test_eq_u64("crob: 4 controls (req + resp)", ev->ncontrols, 4);
	test_eq_u64("crob: req obj controls",
	    ev->req.objects[0].control_count, 2);
	test_eq_u64("crob: idx", ev->controls[0].index, 3);
	test_eq_u64("crob: code", ev->controls[0].code, 0x81);
	test_eq_u64("crob: count", ev->controls[0].count, 1);
	test_eq_u64("crob: on ms", ev->controls[0].on_ms, 1000);
	test_cond("crob: op PULSE_ON", strcmp(dnp3_control_op_name(
	    ev->controls[0].code), "PULSE_ON") == 0);
	test_cond("crob: TRIP", strcmp(dnp3_control_tcc_name(
	    ev->controls[0].code), "TRIP") == 0);
	test_cond("crob: LATCH_ON", strcmp(dnp3_control_op_name(
	    ev->controls[1].code), "LATCH_ON") == 0);
	test_cond("crob: no tcc", dnp3_control_tcc_name(
	    ev->controls[1].code) == NULL);
	test_eq_u64("crob: no points", ev->npoints, 0);
	ev = &t_ev[1];
	test_eq_u64("crob: operate", ev->req.func, 4);
	test_cond("crob: operate matched", ev->matched);
	test_eq_u64("crob: resp status idx 4",
	    ev->controls[ev->resp.objects[0].control_first + 1].status, 4);
	test_cond("crob: status name", strcmp(dnp3_control_status_name(4),
	    "NOT_SUPPORTED") == 0);
	test_eq_u64("crob: no anomaly", stub_anomaly_total(), 0);
}

static void test_analog_output(void)
{
	static const uint8_t req[] = {
		0xC5, 0x05,				/* DIRECT_OPERATE */
		0x29, 0x02, 0x17, 0x01, 0x07, 0x10, 0x27, 0x00,	/* g41v2 idx 7 10000 */
		0x29, 0x03, 0x17, 0x01, 0x02,		/* g41v3 idx 2 */
		0x00, 0x00, 0xC0, 0xBF, 0x00,		/* -1.5, status 0 */
	};
	uint8_t resp[sizeof(req) + 2], buf[128];
	size_t n;
	const struct ev_dnp3 *ev;

	resp[0] = 0xC5;
	resp[1] = 0x81;
	resp[2] = 0x00;
	resp[3] = 0x00;
	memcpy(resp + 4, req + 2, sizeof(req) - 2);
	resp[4 + 7] = 0x01;		/* idx 7 status TIMEOUT */
	t_reset();
	n = t_app(buf, M2O, 10, 1, 0, req, sizeof(req), 1);
	t_feed(DIR_TO_SERVER, buf, n);
	n = t_app(buf, O2M, 1, 10, 0, resp, sizeof(resp), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	t_close();
	test_eq_u64("g41: one event", t_nev, 1);
	ev = &t_ev[0];
	test_eq_u64("g41: controls", ev->ncontrols, 4);
	test_cond("g41: analog", ev->controls[0].is_analog &&
	    !ev->controls[0].is_float);
	test_eq_u64("g41: idx", ev->controls[0].index, 7);
	test_eq_u64("g41: value", ev->controls[0].ival, 10000);
	test_cond("g41: float", ev->controls[1].is_float &&
	    ev->controls[1].fval == -1.5 && ev->controls[1].index == 2);
	test_eq_u64("g41: resp status", ev->controls[2].status, 1);
	test_eq_u64("g41: no anomaly", stub_anomaly_total(), 0);
}

static void test_cold_restart(void)
{
	static const uint8_t req[] = { 0xC6, 0x0D };
	static const uint8_t resp[] = {
		0xC6, 0x81, 0x80, 0x00,			/* IIN1.7 restart */
		0x34, 0x01, 0x07, 0x01, 0x0A, 0x00,	/* g52v1 10 s */
	};
	uint8_t buf[64];
	size_t n;
	const struct ev_dnp3 *ev;
	int names = 0;

	t_reset();
	n = t_app(buf, M2O, 10, 1, 0, req, sizeof(req), 1);
	t_feed(DIR_TO_SERVER, buf, n);
	n = t_app(buf, O2M, 1, 10, 0, resp, sizeof(resp), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	test_eq_u64("restart: one event", t_nev, 1);
	ev = &t_ev[0];
	test_cond("restart: COLD_RESTART", strcmp(dnp3_func_name(
	    ev->req.func), "COLD_RESTART") == 0);
	test_eq_u64("restart: no req objects", ev->req.nobjects, 0);
	test_eq_u64("restart: iin", ev->resp.iin, 0x8000);
	for (unsigned bit = 0; bit < 16; bit++)
		if (ev->resp.iin & (1u << bit))
			names += strcmp(dnp3_iin_name(bit), "DEVICE_RESTART")
			    == 0;
	test_eq_u64("restart: DEVICE_RESTART named", names, 1);
	test_eq_u64("restart: g52", ev->resp.objects[0].group, 52);
	test_eq_u64("restart: delay", ev->points[0].ival, 10);
	test_eq_u64("restart: delay kind", ev->points[0].kind, DNP3_VAL_UINT);
	t_close();
}

static void test_flood(void)
{
	uint8_t app[1024], buf[2048];
	size_t n = 0, nb;

	/* 70 headers of g1v2 q00 i..i: past the 64-header cap */
	app[n++] = 0xC1;
	app[n++] = 0x81;
	app[n++] = 0x00;
	app[n++] = 0x00;
	for (int i = 0; i < 70; i++) {
		app[n++] = 0x01;
		app[n++] = 0x02;
		app[n++] = 0x00;
		app[n++] = (uint8_t)i;
		app[n++] = (uint8_t)i;
		app[n++] = 0x81;
	}
	nb = t_app(buf, O2M, 1, 10, 0, app, n, 3);
	t_reset();
	t_feed(DIR_TO_CLIENT, buf, nb);
	test_eq_u64("flood objects: event", t_nev, 1);
	test_eq_u64("flood objects: capped", t_ev[0].resp.nobjects,
	    DNP3_EV_MAX_OBJECTS);
	test_cond("flood objects: truncated", t_ev[0].resp.truncated);
	test_eq_u64("flood objects: anomaly", stub_anomalies[ANOM_APP_TOO_MANY],
	    1);
	test_cond("flood objects: detail", strncmp(stub_last_anomaly,
	    "dnp3.max_objects", 16) == 0);

	/* 1000 packed points, then one more object that still decodes */
	n = 0;
	app[n++] = 0xC1;
	app[n++] = 0x81;
	app[n++] = 0x00;
	app[n++] = 0x00;
	app[n++] = 0x01;
	app[n++] = 0x01;
	app[n++] = 0x01;
	app[n++] = 0x00;
	app[n++] = 0x00;
	app[n++] = 0xE7;		/* stop 999 */
	app[n++] = 0x03;
	for (int i = 0; i < 125; i++)
		app[n++] = 0xFF;
	app[n++] = 0x14;		/* g20v6 q07 count 1: 16-bit 7 */
	app[n++] = 0x06;
	app[n++] = 0x07;
	app[n++] = 0x01;
	app[n++] = 0x07;
	app[n++] = 0x00;
	nb = t_app(buf, O2M, 1, 10, 0, app, n, 1);
	t_reset();
	t_feed(DIR_TO_CLIENT, buf, nb);
	test_eq_u64("flood points: event", t_nev, 1);
	test_eq_u64("flood points: capped", t_ev[0].npoints,
	    DNP3_EV_MAX_POINTS);
	test_cond("flood points: truncated", t_ev[0].truncated);
	test_eq_u64("flood points: both headers", t_ev[0].resp.nobjects, 2);
	test_eq_u64("flood points: count", t_ev[0].resp.objects[0].count,
	    1000);
	test_eq_u64("flood points: one anomaly",
	    stub_anomalies[ANOM_APP_TOO_MANY], 1);
	test_cond("flood points: detail", strncmp(stub_last_anomaly,
	    "dnp3.max_points", 15) == 0);
}

static void test_gap_resync(void)
{
	uint8_t a[128], b[256];
	size_t na, nb;

	na = t_app(a, M2O, 10, 1, 0, read_req, sizeof(read_req), 1);
	nb = t_app(b, O2M, 1, 10, 0, read_resp, sizeof(read_resp), 1);

	/* half a frame, a gap, the flow layer keeps the half: the next frame
	 * must still come through (rescan after the bad CRC) */
	t_reset();
	t_feed(DIR_TO_SERVER, a, na / 2);
	dnp3_dissector.gap(t_state, &t_fc, DIR_TO_SERVER, 100);
	t_feed(DIR_TO_SERVER, a, na);
	t_feed(DIR_TO_CLIENT, b, nb);
	test_eq_u64("gap: event after resync", t_nev, 1);
	test_cond("gap: matched", t_nev == 1 && t_ev[0].matched);

	/* the flow layer drops the half frame, garbage follows */
	t_reset();
	t_feed(DIR_TO_SERVER, a, na / 2);
	dnp3_dissector.gap(t_state, &t_fc, DIR_TO_SERVER, 100);
	t_len[DIR_TO_SERVER] = 0;
	t_feed(DIR_TO_SERVER, (const uint8_t *)"\x11\x22\x05\x33", 4);
	t_feed(DIR_TO_SERVER, a, na);
	t_feed(DIR_TO_CLIENT, b, nb);
	test_eq_u64("gap+garbage: event", t_nev, 1);
	test_eq_u64("gap+garbage: no anomaly (gap said it)",
	    stub_anomaly_total(), 0);

	/* a gap in the middle of a multi-frame fragment drops it */
	{
		uint8_t app[300], buf[600];
		size_t n = 0, nbuf, f1;

		app[n++] = 0xC1;
		app[n++] = 0x81;
		app[n++] = 0x00;
		app[n++] = 0x00;
		while (n < 300)
			app[n++] = 0x00;	/* never parsed */
		nbuf = t_app(buf, O2M, 1, 10, 0, app, n, 2);
		f1 = t_frame_size(buf);
		t_reset();
		t_feed(DIR_TO_CLIENT, buf, f1);
		dnp3_dissector.gap(t_state, &t_fc, DIR_TO_CLIENT, 50);
		t_feed(DIR_TO_CLIENT, buf + f1, nbuf - f1);
		t_close();
		test_eq_u64("gap mid-fragment: no event", t_nev, 0);
		test_cond("gap mid-fragment: out of sequence said",
		    strncmp(stub_last_anomaly, "dnp3.transport_sequence",
		    23) == 0);
	}
}

static void test_unmatched_and_close(void)
{
	static const uint8_t req5[] = { 0xC5, 0x01, 0x3C, 0x01, 0x06 };
	static const uint8_t resp6[] = { 0xC6, 0x81, 0x00, 0x00 };
	uint8_t buf[64];
	size_t n;

	t_reset();
	n = t_app(buf, M2O, 10, 1, 0, req5, sizeof(req5), 1);
	t_feed(DIR_TO_SERVER, buf, n);
	n = t_app(buf, O2M, 1, 10, 0, resp6, sizeof(resp6), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	test_eq_u64("wrong seq: response alone", t_nev, 1);
	test_cond("wrong seq: unmatched resp", !t_ev[0].matched &&
	    t_ev[0].resp.present && !t_ev[0].req.present);
	t_close();
	test_eq_u64("close: request flushed", t_nev, 2);
	test_cond("close: unmatched req", !t_ev[1].matched &&
	    t_ev[1].req.present && !t_ev[1].resp.present &&
	    t_ev[1].req.seq == 5);

	/* timeout through tick */
	t_reset();
	n = t_app(buf, M2O, 10, 1, 0, req5, sizeof(req5), 1);
	t_feed(DIR_TO_SERVER, buf, n);
	t_fc.ts_us += 5000000;
	dnp3_dissector.tick(t_state, &t_fc);
	test_eq_u64("tick: not yet", t_nev, 0);
	t_fc.ts_us += 30000000;
	dnp3_dissector.tick(t_state, &t_fc);
	test_eq_u64("tick: flushed", t_nev, 1);
	t_close();
	test_eq_u64("tick: once", t_nev, 1);
}

static void test_malformed_objects(void)
{
	static const uint8_t bad_range[] = {
		0xC1, 0x81, 0x00, 0x00, 0x01, 0x02, 0x00, 0x05, 0x02, 0x81,
	};
	static const uint8_t overrun[] = {
		0xC1, 0x81, 0x00, 0x00, 0x1E, 0x01, 0x00, 0x00, 0x09,
		0x01, 0x02, 0x03, 0x04, 0x05,
	};
	static const uint8_t unknown[] = {
		0xC1, 0x81, 0x00, 0x00, 0x63, 0x01, 0x00, 0x00, 0x00, 0x01,
		0x1E, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00,
	};
	uint8_t buf[64];
	size_t n;

	t_reset();
	n = t_app(buf, O2M, 1, 10, 0, bad_range, sizeof(bad_range), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	test_cond("bad range: malformed", t_nev == 1 &&
	    t_ev[0].resp.malformed && t_ev[0].npoints == 0);
	test_cond("bad range: anomaly", strncmp(stub_last_anomaly,
	    "dnp3.bad_range", 14) == 0);

	t_reset();
	n = t_app(buf, O2M, 1, 10, 0, overrun, sizeof(overrun), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	test_cond("overrun: malformed", t_nev == 1 &&
	    t_ev[0].resp.malformed && t_ev[0].npoints == 0);
	test_cond("overrun: anomaly", strncmp(stub_last_anomaly,
	    "dnp3.object_overrun", 19) == 0);

	t_reset();
	n = t_app(buf, O2M, 1, 10, 0, unknown, sizeof(unknown), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	test_cond("unknown g/v: unparsed", t_nev == 1 &&
	    t_ev[0].resp.unparsed && t_ev[0].resp.nobjects == 1);
	test_eq_u64("unknown g/v: no anomaly", stub_anomaly_total(), 0);
}

static void test_attributes_and_files(void)
{
	static const uint8_t attr[] = {
		0xC1, 0x81, 0x00, 0x00,
		0x00, 0xFA, 0x00, 0x00, 0x00, 0x01, 0x05, 'R', 'T', 'U', '-', '7',
		0x00, 0xF0, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x08,
		0x00, 0xCB, 0x00, 0x00, 0x00, 0x03, 0x01, 0xFE,	/* INT -2 */
	};
	/* OPEN_FILE g70v3 q5B count 1, size 31, name "a.cfg" at 26 */
	static const uint8_t open[] = {
		0xC2, 0x19, 0x46, 0x03, 0x5B, 0x01, 0x1F, 0x00,
		0x1A, 0x00, 0x05, 0x00,			/* name off 26, size 5 */
		0, 0, 0, 0, 0, 0,			/* created */
		0xA4, 0x01,				/* permissions */
		0, 0, 0, 0,				/* auth key */
		0, 0, 0, 0,				/* file size */
		0x01, 0x00, 0x00, 0x04, 0x01, 0x00,	/* mode, block, req id */
		'a', '.', 'c', 'f', 'g',
	};
	uint8_t buf[128];
	size_t n;
	const struct ev_dnp3 *ev;

	t_reset();
	n = t_app(buf, O2M, 1, 10, 0, attr, sizeof(attr), 1);
	t_feed(DIR_TO_CLIENT, buf, n);
	ev = &t_ev[0];
	test_eq_u64("g0: three points", ev->npoints, 3);
	test_cond("g0: product name", ev->points[0].kind == DNP3_VAL_STR &&
	    strcmp(ev->strpool + ev->points[0].str_off, "RTU-7") == 0);
	test_cond("g0: attr name", strcmp(dnp3_attr_name(ev->resp.objects[0]
	    .variation), "device_manufacturers_product_name") == 0);
	test_cond("g0: uint 2048", ev->points[1].kind == DNP3_VAL_UINT &&
	    ev->points[1].ival == 2048);
	test_cond("g0: int -2", ev->points[2].kind == DNP3_VAL_INT &&
	    ev->points[2].ival == -2);

	t_reset();
	n = t_app(buf, M2O, 10, 1, 0, open, sizeof(open), 1);
	t_feed(DIR_TO_SERVER, buf, n);
	t_close();
	ev = &t_ev[0];
	test_cond("g70: OPEN_FILE", t_nev == 1 && strcmp(dnp3_func_name(
	    ev->req.func), "OPEN_FILE") == 0);
	test_cond("g70: file name", ev->npoints == 1 && strcmp(ev->strpool +
	    ev->points[0].str_off, "a.cfg") == 0);
	test_eq_u64("g70: no anomaly", stub_anomaly_total(), 0);
}

static void test_names(void)
{
	test_cond("READ", strcmp(dnp3_func_name(1), "READ") == 0);
	test_cond("DIRECT_OPERATE_NR",
	    strcmp(dnp3_func_name(6), "DIRECT_OPERATE_NR") == 0);
	test_cond("AUTH_REQ_NO_ACK",
	    strcmp(dnp3_func_name(33), "AUTH_REQ_NO_ACK") == 0);
	test_cond("UNSOLICITED_RESPONSE",
	    strcmp(dnp3_func_name(130), "UNSOLICITED_RESPONSE") == 0);
	test_cond("unknown func", dnp3_func_name(99) == NULL &&
	    dnp3_func_name(200) == NULL);
	test_cond("iin NEED_TIME", strcmp(dnp3_iin_name(12), "NEED_TIME") == 0);
	test_cond("iin CONFIG_CORRUPT",
	    strcmp(dnp3_iin_name(5), "CONFIG_CORRUPT") == 0);
	test_cond("iin 16", dnp3_iin_name(16) == NULL);
	test_cond("LATCH_OFF", strcmp(dnp3_control_op_name(0x44),
	    "LATCH_OFF") == 0);
	test_cond("CLOSE", strcmp(dnp3_control_tcc_name(0x41), "CLOSE") == 0);
	test_cond("group 12", strcmp(dnp3_group_name(12),
	    "binary_output_command") == 0);
	test_cond("group 255", dnp3_group_name(255) == NULL);
	test_cond("link", strcmp(dnp3_link_func_name(0xC4),
	    "UNCONFIRMED_USER_DATA") == 0 && strcmp(dnp3_link_func_name(0x0B),
	    "LINK_STATUS") == 0);
}

int main(void)
{
	test_crc_and_probe();
	test_read_pair();
	test_split_everywhere();
	test_multi_frame();
	test_several_frames_one_feed();
	test_bad_crc();
	test_crob_select_operate();
	test_analog_output();
	test_cold_restart();
	test_flood();
	test_gap_resync();
	test_unmatched_and_close();
	test_malformed_objects();
	test_attributes_and_files();
	test_names();
	return test_report();
}
