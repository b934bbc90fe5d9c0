/*
 * modbus_test.c - dissectors/modbus.c on hand-built ADUs.
 *
 * Every ADU is written out byte by byte with its fields named; expected
 * values come from the MODBUS Application Protocol Specification V1.1b3
 * (most examples are the spec's own, section noted) and from the bytes.
 * A small model of the flow layer (stream_feed) keeps what feed() did not
 * consume and passes it in again with the next chunk.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../dissectors/dissector.h"
#include "dissect_stub.h"
#include "testhelp.h"

extern const struct dissector modbus_dissector;

#define MAX_EVS 64

static struct ev_modbus evs[MAX_EVS];
static int nev;
static _Alignas(max_align_t) unsigned char st[APP_STATE_MAX];
static struct flow_ctx fctx;

/* The flow layer's unconsumed bytes, per direction. */
static uint8_t pendbuf[2][4096];
static size_t npendbuf[2];
static enum feed_status last_status;

static void on_event(const struct ev_hdr *h)
{
	if (h->type == EV_MODBUS && nev < MAX_EVS)
		memcpy(&evs[nev++], h, sizeof(struct ev_modbus));
}

static void reset(void)
{
	modbus_dissector.init(st);
	nev = 0;
	memset(evs, 0, sizeof(evs));
	memset(stub_anomalies, 0, sizeof(stub_anomalies));
	stub_last_anomaly[0] = '\0';
	npendbuf[0] = npendbuf[1] = 0;
	fctx.ts_us = 1000000000ULL;
	stub_on_event = on_event;
}

/* Like the flow layer: appends, feeds, keeps the unconsumed tail. */
static void stream_feed(enum dir d, const uint8_t *p, size_t n)
{
	struct feed_result r;

	memcpy(pendbuf[d] + npendbuf[d], p, n);
	npendbuf[d] += n;
	r = modbus_dissector.feed(st, &fctx, d, pendbuf[d], npendbuf[d]);
	last_status = r.status;
	if (r.consumed > npendbuf[d])
		r.consumed = (uint32_t)npendbuf[d];
	memmove(pendbuf[d], pendbuf[d] + r.consumed, npendbuf[d] - r.consumed);
	npendbuf[d] -= r.consumed;
}

#define REQ(a) stream_feed(DIR_TO_SERVER, a, sizeof(a))
#define RESP(a) stream_feed(DIR_TO_CLIENT, a, sizeof(a))

/* One request then, 1.5 ms later, its response. */
static void pair(const uint8_t *req, size_t nreq, const uint8_t *resp,
    size_t nresp)
{
	reset();
	stream_feed(DIR_TO_SERVER, req, nreq);
	fctx.ts_us += 1500;
	stream_feed(DIR_TO_CLIENT, resp, nresp);
}

#define PAIR(a, b) pair(a, sizeof(a), b, sizeof(b))

static bool bits_are(const struct ev_modbus_values *v, const char *want)
{
	size_t n = strlen(want);

	if (v->kind != MODBUS_VAL_BITS || v->count != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ev_modbus_bit(v, (unsigned)i) != (want[i] == '1'))
			return false;
	return true;
}

static bool regs_are(const struct ev_modbus_values *v, const uint16_t *want,
    unsigned n)
{
	if (v->kind != MODBUS_VAL_REGS || v->count != n)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (v->regs[i] != want[i])
			return false;
	return true;
}

/* Common checks for a clean, matched pair. */
static void check_pair(const char *what, uint8_t fc, uint16_t tid)
{
	test_eq_u64(what, nev, 1);
	test_eq_u64("no anomaly", stub_anomaly_total(), 0);
	test_eq_u64("fc", evs[0].fc, fc);
	test_eq_u64("tid", evs[0].tid, tid);
	test_cond("matched", evs[0].matched && evs[0].has_request &&
	    evs[0].has_response && !evs[0].request_lost);
	test_eq_u64("rtt", evs[0].rtt_us, 1500);
	test_eq_u64("ts is the request's", evs[0].h.ts_us, 1000000000ULL);
	test_eq_u64("everything consumed", npendbuf[0] + npendbuf[1], 0);
}

/* ------------------------------------------------------------------------ */

static void test_fc1(void)
{
	static const uint8_t req[] = {
		0x00, 0x01,		/* tid 1 */
		0x00, 0x00,		/* protocol id 0 */
		0x00, 0x06,		/* length 6 */
		0x04,			/* unit 4 */
		0x01,			/* fc 1 read coils */
		0x00, 0x13,		/* address 19 */
		0x00, 0x13,		/* quantity 19 (6.1 example) */
	};
	static const uint8_t resp[] = {
		0x00, 0x01, 0x00, 0x00,	/* tid 1, protocol 0 */
		0x00, 0x06,		/* length 6 */
		0x04, 0x01,		/* unit 4, fc 1 */
		0x03,			/* byte count 3 */
		0xCD, 0x6B, 0x05,	/* coils 27..20, 35..28, 38..36 */
	};

	PAIR(req, resp);
	check_pair("fc1 one event", 1, 1);
	test_eq_u64("fc1 unit", evs[0].unit, 4);
	test_eq_u64("fc1 category", evs[0].category, MODBUS_CAT_READ);
	test_cond("fc1 address/quantity", evs[0].has_address &&
	    evs[0].address == 19 && evs[0].quantity == 19);
	/* 0xCD = 1100 1101, LSB first: 1 0 1 1 0 0 1 1; 0x6B: 1 1 0 1 0 1 1 0;
	 * 0x05 low 3 bits: 1 0 1 */
	test_cond("fc1 coils", bits_are(&evs[0].resp, "1011001111010110101"));
	test_cond("fc1 start", evs[0].resp.has_start && evs[0].resp.start == 19);
}

static void test_fc2(void)
{
	static const uint8_t req[] = {
		0x00, 0x02, 0x00, 0x00, 0x00, 0x06,	/* tid 2, proto 0, len 6 */
		0x01, 0x02,		/* unit 1, fc 2 read discrete inputs */
		0x00, 0xC4,		/* address 196 */
		0x00, 0x16,		/* quantity 22 (6.2 example) */
	};
	static const uint8_t resp[] = {
		0x00, 0x02, 0x00, 0x00, 0x00, 0x06,	/* len 6 */
		0x01, 0x02,		/* unit 1, fc 2 */
		0x03,			/* byte count 3 */
		0xAC, 0xDB, 0x35,	/* inputs 196.. */
	};

	PAIR(req, resp);
	check_pair("fc2 one event", 2, 2);
	test_cond("fc2 address/quantity", evs[0].address == 196 &&
	    evs[0].quantity == 22);
	/* 0xAC: 0 0 1 1 0 1 0 1; 0xDB: 1 1 0 1 1 0 1 1; 0x35 low 6: 1 0 1 0 1 1 */
	test_cond("fc2 inputs", bits_are(&evs[0].resp, "0011010111011011101011"));
}

static void test_fc3(void)
{
	static const uint8_t req[] = {
		0x00, 0x03, 0x00, 0x00, 0x00, 0x06,	/* tid 3, len 6 */
		0x11, 0x03,		/* unit 17, fc 3 read holding registers */
		0x00, 0x6B,		/* address 107 */
		0x00, 0x03,		/* quantity 3 (6.3 example) */
	};
	static const uint8_t resp[] = {
		0x00, 0x03, 0x00, 0x00, 0x00, 0x09,	/* len 9 */
		0x11, 0x03,		/* unit 17, fc 3 */
		0x06,			/* byte count 6 */
		0x02, 0x2B,		/* reg 107 = 555 */
		0x00, 0x00,		/* reg 108 = 0 */
		0x00, 0x64,		/* reg 109 = 100 */
	};
	static const uint16_t want[] = { 555, 0, 100 };

	PAIR(req, resp);
	check_pair("fc3 one event", 3, 3);
	test_eq_u64("fc3 unit", evs[0].unit, 17);
	test_cond("fc3 address/quantity", evs[0].address == 107 &&
	    evs[0].quantity == 3);
	test_cond("fc3 registers", regs_are(&evs[0].resp, want, 3));
	test_cond("fc3 start", evs[0].resp.start == 107);
	test_cond("fc3 no request values", evs[0].req.kind == MODBUS_VAL_NONE);
}

static void test_fc4(void)
{
	static const uint8_t req[] = {
		0x00, 0x04, 0x00, 0x00, 0x00, 0x06,	/* tid 4, len 6 */
		0x01, 0x04,		/* unit 1, fc 4 read input registers */
		0x00, 0x08,		/* address 8 */
		0x00, 0x01,		/* quantity 1 (6.4 example) */
	};
	static const uint8_t resp[] = {
		0x00, 0x04, 0x00, 0x00, 0x00, 0x05,	/* len 5 */
		0x01, 0x04,		/* unit 1, fc 4 */
		0x02,			/* byte count 2 */
		0x00, 0x0A,		/* reg 8 = 10 */
	};
	static const uint16_t want[] = { 10 };

	PAIR(req, resp);
	check_pair("fc4 one event", 4, 4);
	test_cond("fc4 registers", regs_are(&evs[0].resp, want, 1) &&
	    evs[0].resp.start == 8);
}

static void test_fc5(void)
{
	static const uint8_t req[] = {
		0x00, 0x05, 0x00, 0x00, 0x00, 0x06,	/* tid 5, len 6 */
		0x01, 0x05,		/* unit 1, fc 5 write single coil */
		0x00, 0xAC,		/* address 172 */
		0xFF, 0x00,		/* ON (6.5 example) */
	};

	PAIR(req, req);		/* the response is an echo */
	check_pair("fc5 one event", 5, 5);
	test_eq_u64("fc5 category", evs[0].category, MODBUS_CAT_WRITE);
	test_cond("fc5 address", evs[0].address == 172);
	test_cond("fc5 request value", bits_are(&evs[0].req, "1") &&
	    evs[0].req.start == 172);
	test_cond("fc5 response value", bits_are(&evs[0].resp, "1"));
}

static void test_fc6(void)
{
	static const uint8_t req[] = {
		0x00, 0x06, 0x00, 0x00, 0x00, 0x06,	/* tid 6, len 6 */
		0x01, 0x06,		/* unit 1, fc 6 write single register */
		0x00, 0x01,		/* address 1 */
		0x00, 0x03,		/* value 3 (6.6 example) */
	};
	static const uint16_t want[] = { 3 };

	PAIR(req, req);
	check_pair("fc6 one event", 6, 6);
	test_cond("fc6 request value", regs_are(&evs[0].req, want, 1) &&
	    evs[0].req.start == 1);
	test_cond("fc6 response value", regs_are(&evs[0].resp, want, 1));
}

static void test_fc7_11_12(void)
{
	static const uint8_t req7[] = {
		0x00, 0x07, 0x00, 0x00, 0x00, 0x02,	/* tid 7, len 2 */
		0x01, 0x07,		/* unit 1, fc 7 read exception status */
	};
	static const uint8_t resp7[] = {
		0x00, 0x07, 0x00, 0x00, 0x00, 0x03,	/* len 3 */
		0x01, 0x07,		/* unit 1, fc 7 */
		0x6D,			/* outputs 0110 1101 (6.7 example) */
	};
	static const uint8_t req11[] = {
		0x00, 0x0B, 0x00, 0x00, 0x00, 0x02,	/* tid 11, len 2 */
		0x01, 0x0B,		/* fc 11 get comm event counter */
	};
	static const uint8_t resp11[] = {
		0x00, 0x0B, 0x00, 0x00, 0x00, 0x06,	/* len 6 */
		0x01, 0x0B,		/* fc 11 */
		0xFF, 0xFF,		/* status: busy */
		0x01, 0x08,		/* event count 264 (6.9 example) */
	};
	static const uint16_t want11[] = { 0xFFFF, 264 };
	static const uint8_t req12[] = {
		0x00, 0x0C, 0x00, 0x00, 0x00, 0x02,	/* tid 12, len 2 */
		0x01, 0x0C,		/* fc 12 get comm event log */
	};
	static const uint8_t resp12[] = {
		0x00, 0x0C, 0x00, 0x00, 0x00, 0x0B,	/* len 11 */
		0x01, 0x0C,		/* fc 12 */
		0x08,			/* byte count 8 */
		0x00, 0x00,		/* status */
		0x01, 0x08,		/* event count */
		0x01, 0x21,		/* message count */
		0x20, 0x00,		/* events (6.10 example) */
	};

	PAIR(req7, resp7);
	check_pair("fc7 one event", 7, 7);
	test_eq_u64("fc7 category", evs[0].category, MODBUS_CAT_DIAGNOSTIC);
	test_cond("fc7 outputs", bits_are(&evs[0].resp, "10110110") &&
	    !evs[0].resp.has_start);

	PAIR(req11, resp11);
	check_pair("fc11 one event", 11, 11);
	test_cond("fc11 status, count", regs_are(&evs[0].resp, want11, 2));

	PAIR(req12, resp12);
	check_pair("fc12 one event", 12, 12);
	test_cond("fc12 bytes", evs[0].resp.kind == MODBUS_VAL_BYTES &&
	    evs[0].resp.count == 8 && evs[0].resp.bytes[5] == 0x21 &&
	    evs[0].resp.bytes[6] == 0x20);
}

static void test_fc8(void)
{
	static const uint8_t req[] = {
		0x00, 0x08, 0x00, 0x00, 0x00, 0x06,	/* tid 8, len 6 */
		0x01, 0x08,		/* unit 1, fc 8 diagnostics */
		0x00, 0x00,		/* sub-function 0 return query data */
		0xA5, 0x37,		/* data (6.8 example) */
	};
	static const uint8_t req4[] = {
		0x00, 0x09, 0x00, 0x00, 0x00, 0x06,	/* tid 9, len 6 */
		0x01, 0x08,		/* fc 8 */
		0x00, 0x04,		/* sub-function 4 force listen only */
		0x00, 0x00,		/* data */
	};
	static const uint16_t want[] = { 0xA537 };

	PAIR(req, req);		/* echo */
	check_pair("fc8 one event", 8, 8);
	test_cond("fc8 subfunction", evs[0].has_subfunction &&
	    evs[0].subfunction == 0);
	test_cond("fc8 data", regs_are(&evs[0].req, want, 1) &&
	    regs_are(&evs[0].resp, want, 1) && !evs[0].req.has_start);

	reset();
	REQ(req4);		/* no response: a listen-only device is silent */
	modbus_dissector.close(st, &fctx);
	test_eq_u64("fc8/4 flushed at close", nev, 1);
	test_cond("fc8/4 unmatched", !evs[0].matched && evs[0].has_request &&
	    !evs[0].has_response && evs[0].subfunction == 4);
	test_cond("diag name", strcmp(modbus_diag_name(4),
	    "FORCE_LISTEN_ONLY_MODE") == 0);
}

static void test_fc15_16(void)
{
	static const uint8_t req15[] = {
		0x00, 0x0F, 0x00, 0x00, 0x00, 0x09,	/* tid 15, len 9 */
		0x01, 0x0F,		/* unit 1, fc 15 write multiple coils */
		0x00, 0x13,		/* address 19 */
		0x00, 0x0A,		/* quantity 10 */
		0x02,			/* byte count 2 */
		0xCD, 0x01,		/* coils (6.11 example) */
	};
	static const uint8_t resp15[] = {
		0x00, 0x0F, 0x00, 0x00, 0x00, 0x06,	/* len 6 */
		0x01, 0x0F,		/* fc 15 */
		0x00, 0x13,		/* address 19 */
		0x00, 0x0A,		/* quantity 10 */
	};
	static const uint8_t req16[] = {
		0x00, 0x10, 0x00, 0x00, 0x00, 0x0B,	/* tid 16, len 11 */
		0x01, 0x10,		/* unit 1, fc 16 write multiple registers */
		0x00, 0x01,		/* address 1 */
		0x00, 0x02,		/* quantity 2 */
		0x04,			/* byte count 4 */
		0x00, 0x0A,		/* reg 1 = 10 */
		0x01, 0x02,		/* reg 2 = 258 (6.12 example) */
	};
	static const uint8_t resp16[] = {
		0x00, 0x10, 0x00, 0x00, 0x00, 0x06,	/* len 6 */
		0x01, 0x10,		/* fc 16 */
		0x00, 0x01,		/* address 1 */
		0x00, 0x02,		/* quantity 2 */
	};
	static const uint16_t want16[] = { 10, 258 };

	PAIR(req15, resp15);
	check_pair("fc15 one event", 15, 15);
	test_cond("fc15 address/quantity", evs[0].address == 19 &&
	    evs[0].quantity == 10);
	/* 0xCD LSB first 1 0 1 1 0 0 1 1, then 0x01: 1 0 */
	test_cond("fc15 coils", bits_are(&evs[0].req, "1011001110") &&
	    evs[0].req.start == 19);

	PAIR(req16, resp16);
	check_pair("fc16 one event", 16, 16);
	test_cond("fc16 registers", regs_are(&evs[0].req, want16, 2) &&
	    evs[0].req.start == 1);
	test_cond("fc16 quantity", evs[0].quantity == 2);
}

static void test_fc17(void)
{
	static const uint8_t req[] = {
		0x00, 0x11, 0x00, 0x00, 0x00, 0x02,	/* tid 17, len 2 */
		0x01, 0x11,		/* unit 1, fc 17 report server id */
	};
	static const uint8_t resp[] = {
		0x00, 0x11, 0x00, 0x00, 0x00, 0x07,	/* len 7 */
		0x01, 0x11,		/* fc 17 */
		0x04,			/* byte count 4 */
		'P', 'L', 'C',		/* server id (device specific) */
		0xFF,			/* run indicator ON */
	};

	PAIR(req, resp);
	check_pair("fc17 one event", 17, 17);
	test_eq_u64("fc17 category", evs[0].category, MODBUS_CAT_IDENTIFICATION);
	test_cond("fc17 bytes", evs[0].resp.kind == MODBUS_VAL_BYTES &&
	    evs[0].resp.count == 4 && memcmp(evs[0].resp.bytes, "PLC\xff", 4) == 0);
}

static void test_fc20_21(void)
{
	static const uint8_t req20[] = {
		0x00, 0x14, 0x00, 0x00, 0x00, 0x11,	/* tid 20, len 17 */
		0x01, 0x14,		/* unit 1, fc 20 read file record */
		0x0E,			/* byte count 14 */
		0x06, 0x00, 0x04,	/* ref 6, file 4 */
		0x00, 0x01, 0x00, 0x02,	/* record 1, length 2 */
		0x06, 0x00, 0x03,	/* ref 6, file 3 */
		0x00, 0x09, 0x00, 0x02,	/* record 9, length 2 (6.14 example) */
	};
	static const uint8_t resp20[] = {
		0x00, 0x14, 0x00, 0x00, 0x00, 0x0F,	/* len 15 */
		0x01, 0x14,		/* fc 20 */
		0x0C,			/* response data length 12 */
		0x05, 0x06,		/* group length 5, ref 6 */
		0x0D, 0xFE, 0x00, 0x20,	/* 0x0DFE, 0x0020 */
		0x05, 0x06,		/* group length 5, ref 6 */
		0x33, 0xCD, 0x00, 0x40,	/* 0x33CD, 0x0040 */
	};
	static const uint8_t req21[] = {
		0x00, 0x15, 0x00, 0x00, 0x00, 0x10,	/* tid 21, len 16 */
		0x01, 0x15,		/* unit 1, fc 21 write file record */
		0x0D,			/* byte count 13 */
		0x06, 0x00, 0x04,	/* ref 6, file 4 */
		0x00, 0x07, 0x00, 0x03,	/* record 7, length 3 */
		0x06, 0xAF, 0x04, 0xBE,	/* data */
		0x10, 0x0D,		/* (6.15 example) */
	};

	PAIR(req20, resp20);
	check_pair("fc20 one event", 20, 20);
	test_eq_u64("fc20 records", evs[0].nfile_recs, 2);
	test_cond("fc20 rec 0", evs[0].file_recs[0].file == 4 &&
	    evs[0].file_recs[0].record == 1 && evs[0].file_recs[0].length == 2 &&
	    evs[0].file_recs[0].ndata == 2 &&
	    evs[0].file_recs[0].data[0] == 0x0DFE &&
	    evs[0].file_recs[0].data[1] == 0x0020);
	test_cond("fc20 rec 1", evs[0].file_recs[1].file == 3 &&
	    evs[0].file_recs[1].record == 9 && evs[0].file_recs[1].ndata == 2 &&
	    evs[0].file_recs[1].data[0] == 0x33CD &&
	    evs[0].file_recs[1].data[1] == 0x0040);

	PAIR(req21, req21);	/* echo */
	check_pair("fc21 one event", 21, 21);
	test_eq_u64("fc21 category", evs[0].category, MODBUS_CAT_WRITE);
	test_eq_u64("fc21 records", evs[0].nfile_recs, 1);
	test_cond("fc21 rec", evs[0].file_recs[0].file == 4 &&
	    evs[0].file_recs[0].record == 7 && evs[0].file_recs[0].length == 3 &&
	    evs[0].file_recs[0].ndata == 3 &&
	    evs[0].file_recs[0].data[0] == 0x06AF &&
	    evs[0].file_recs[0].data[2] == 0x100D);
}

static void test_fc22_23_24(void)
{
	static const uint8_t req22[] = {
		0x00, 0x16, 0x00, 0x00, 0x00, 0x08,	/* tid 22, len 8 */
		0x01, 0x16,		/* unit 1, fc 22 mask write register */
		0x00, 0x04,		/* address 4 */
		0x00, 0xF2,		/* and mask */
		0x00, 0x25,		/* or mask (6.16 example) */
	};
	static const uint8_t req23[] = {
		0x00, 0x17, 0x00, 0x00, 0x00, 0x11,	/* tid 23, len 17 */
		0x01, 0x17,		/* unit 1, fc 23 read/write registers */
		0x00, 0x03,		/* read address 3 */
		0x00, 0x06,		/* read quantity 6 */
		0x00, 0x0E,		/* write address 14 */
		0x00, 0x03,		/* write quantity 3 */
		0x06,			/* write byte count 6 */
		0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, /* (6.17 example) */
	};
	static const uint8_t resp23[] = {
		0x00, 0x17, 0x00, 0x00, 0x00, 0x0F,	/* len 15 */
		0x01, 0x17,		/* fc 23 */
		0x0C,			/* byte count 12 */
		0x00, 0xFE, 0x0A, 0xCD, 0x00, 0x01,
		0x00, 0x03, 0x00, 0x0D, 0x00, 0xFF,
	};
	static const uint16_t w23[] = { 0xFF, 0xFF, 0xFF };
	static const uint16_t r23[] = { 0xFE, 0x0ACD, 1, 3, 0x0D, 0xFF };
	static const uint8_t req24[] = {
		0x00, 0x18, 0x00, 0x00, 0x00, 0x04,	/* tid 24, len 4 */
		0x01, 0x18,		/* unit 1, fc 24 read FIFO queue */
		0x04, 0xDE,		/* FIFO pointer address 1246 */
	};
	static const uint8_t resp24[] = {
		0x00, 0x18, 0x00, 0x00, 0x00, 0x0A,	/* len 10 */
		0x01, 0x18,		/* fc 24 */
		0x00, 0x06,		/* byte count 6 */
		0x00, 0x02,		/* FIFO count 2 */
		0x01, 0xB8, 0x12, 0x84,	/* 440, 4740 (6.18 example) */
	};
	static const uint16_t f24[] = { 440, 4740 };

	PAIR(req22, req22);	/* echo */
	check_pair("fc22 one event", 22, 22);
	test_cond("fc22 masks", evs[0].has_masks && evs[0].address == 4 &&
	    evs[0].and_mask == 0xF2 && evs[0].or_mask == 0x25);

	PAIR(req23, resp23);
	check_pair("fc23 one event", 23, 23);
	test_cond("fc23 read part", evs[0].address == 3 && evs[0].quantity == 6);
	test_cond("fc23 write part", evs[0].has_write &&
	    evs[0].write_address == 14 && evs[0].write_quantity == 3);
	test_cond("fc23 written", regs_are(&evs[0].req, w23, 3) &&
	    evs[0].req.start == 14);
	test_cond("fc23 read", regs_are(&evs[0].resp, r23, 6) &&
	    evs[0].resp.start == 3);

	PAIR(req24, resp24);
	check_pair("fc24 one event", 24, 24);
	test_cond("fc24 fifo", evs[0].has_fifo && evs[0].address == 1246 &&
	    evs[0].fifo_count == 2 && regs_are(&evs[0].resp, f24, 2));
}

static void test_fc43(void)
{
	static const uint8_t req[] = {
		0x00, 0x2B, 0x00, 0x00, 0x00, 0x05,	/* tid 43, len 5 */
		0x01, 0x2B,		/* unit 1, fc 43 */
		0x0E,			/* MEI 14 read device identification */
		0x01,			/* read code 1 basic */
		0x00,			/* object id 0 */
	};
	static const uint8_t resp[] = {
		0x00, 0x2B, 0x00, 0x00, 0x00, 0x1E,	/* len 30 */
		0x01, 0x2B,		/* fc 43 */
		0x0E, 0x01,		/* MEI 14, read code 1 */
		0x01,			/* conformity level 1 */
		0x00, 0x00,		/* more follows no, next object 0 */
		0x03,			/* 3 objects */
		0x00, 0x07, 'C', 'o', 'm', 'p', 'a', 'n', 'y',	/* vendor */
		0x01, 0x05, 'P', 'R', 'D', '-', '1',		/* product code */
		0x02, 0x04, 'V', '2', '.', '1',			/* revision */
	};

	PAIR(req, resp);
	check_pair("fc43 one event", 43, 43);
	test_cond("fc43 mei", evs[0].has_mei && evs[0].mei_type == 14);
	test_cond("fc43 devid", evs[0].has_devid &&
	    evs[0].devid.read_code == 1 && evs[0].devid.conformity == 1 &&
	    evs[0].devid.nobjects == 3 && evs[0].devid.nobjs == 3);
	test_cond("fc43 vendor", evs[0].devid.objs[0].id == 0 &&
	    strcmp(evs[0].devid.objs[0].value, "Company") == 0);
	test_cond("fc43 product code", evs[0].devid.objs[1].id == 1 &&
	    strcmp(evs[0].devid.objs[1].value, "PRD-1") == 0);
	test_cond("fc43 revision", strcmp(evs[0].devid.objs[2].value, "V2.1") == 0);
	test_cond("devid names", strcmp(modbus_devid_obj_name(0), "vendor") == 0 &&
	    modbus_devid_obj_name(0x80) == NULL);
}

static void test_umas(void)
{
	static const uint8_t req[] = {
		0x00, 0x5A, 0x00, 0x00, 0x00, 0x04,	/* tid 90, len 4 */
		0x00, 0x5A,		/* unit 0, fc 90 UMAS */
		0x00,			/* session key 0 */
		0x02,			/* UMAS READ_ID */
	};
	static const uint8_t resp[] = {
		0x00, 0x5A, 0x00, 0x00, 0x00, 0x07,	/* len 7 */
		0x00, 0x5A,		/* fc 90 */
		0x00,			/* session key */
		0xFE,			/* OK */
		0x10, 0xFF, 0x5A,	/* data */
	};
	static const uint8_t stop[] = {
		0x00, 0x5B, 0x00, 0x00, 0x00, 0x05,	/* tid 91, len 5 */
		0x00, 0x5A,		/* fc 90 */
		0x37,			/* session key 0x37 */
		0x41,			/* UMAS STOP_PLC */
		0xFF,			/* data */
	};
	static uint8_t big[6 + 255];

	PAIR(req, resp);
	check_pair("umas one event", 90, 90);
	test_eq_u64("umas category", evs[0].category, MODBUS_CAT_PROGRAM);
	test_cond("umas fields", evs[0].has_umas && evs[0].umas_fc == 0x02 &&
	    evs[0].umas_session == 0 && evs[0].has_umas_status &&
	    evs[0].umas_status == 0xFE);
	test_cond("umas data", evs[0].resp.kind == MODBUS_VAL_BYTES &&
	    evs[0].resp.count == 3 && evs[0].resp.bytes[2] == 0x5A);
	test_cond("umas names", strcmp(modbus_umas_name(0x02), "READ_ID") == 0 &&
	    strcmp(modbus_umas_name(0x41), "STOP_PLC") == 0 &&
	    strcmp(modbus_umas_name(0x40), "START_PLC") == 0 &&
	    strcmp(modbus_umas_name(0x33), "INITIALIZE_DOWNLOAD") == 0 &&
	    strcmp(modbus_umas_name(0x31), "UPLOAD_BLOCK") == 0 &&
	    modbus_umas_name(0x05) == NULL);

	reset();
	REQ(stop);
	modbus_dissector.close(st, &fctx);
	test_cond("umas stop", nev == 1 && evs[0].umas_fc == 0x41 &&
	    evs[0].umas_session == 0x37);

	/* UMAS frames past 254 (seen in the nDPI umas.pcap): no anomaly. */
	reset();
	memset(big, 0x54, sizeof(big));
	big[0] = 0x00; big[1] = 0x07;	/* tid 7 */
	big[2] = 0x00; big[3] = 0x00;	/* protocol 0 */
	big[4] = 0x00; big[5] = 0xFF;	/* length 255 */
	big[6] = 0x00; big[7] = 0x5A;	/* unit 0, fc 90 */
	big[8] = 0x00; big[9] = 0x0A;	/* session 0, REPEAT */
	REQ(big);
	modbus_dissector.close(st, &fctx);
	test_cond("umas 255 parsed", nev == 1 && evs[0].umas_fc == 0x0A &&
	    stub_anomaly_total() == 0 && npendbuf[0] == 0);
	test_cond("umas 255 data truncated to what was kept",
	    evs[0].req.kind == MODBUS_VAL_BYTES && evs[0].req.truncated);
}

static void test_exception(void)
{
	static const uint8_t req[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x06,	/* tid 1, len 6 */
		0x00, 0x03,		/* unit 0, fc 3 */
		0x02, 0x58,		/* address 600 */
		0x00, 0x0A,		/* quantity 10 */
	};
	static const uint8_t resp[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x03,	/* len 3 */
		0x00, 0x83,		/* fc 3 | 0x80 */
		0x02,			/* ILLEGAL DATA ADDRESS */
	};

	PAIR(req, resp);
	check_pair("exception one event", 3, 1);
	test_cond("exception fields", evs[0].exception &&
	    evs[0].exception_code == 2 && evs[0].address == 600 &&
	    evs[0].quantity == 10 && evs[0].resp.kind == MODBUS_VAL_NONE);
	test_cond("exception name", strcmp(modbus_exception_name(2),
	    "ILLEGAL_DATA_ADDRESS") == 0 && modbus_exception_name(7) == NULL &&
	    strcmp(modbus_exception_name(0x0B),
	    "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND") == 0);
}

static void test_names(void)
{
	static const struct { uint8_t fc; const char *name; } t[] = {
		{ 1, "READ_COILS" }, { 2, "READ_DISCRETE_INPUTS" },
		{ 3, "READ_HOLDING_REGISTERS" }, { 4, "READ_INPUT_REGISTERS" },
		{ 5, "WRITE_SINGLE_COIL" }, { 6, "WRITE_SINGLE_REGISTER" },
		{ 7, "READ_EXCEPTION_STATUS" }, { 8, "DIAGNOSTICS" },
		{ 11, "GET_COMM_EVENT_COUNTER" }, { 12, "GET_COMM_EVENT_LOG" },
		{ 15, "WRITE_MULTIPLE_COILS" }, { 16, "WRITE_MULTIPLE_REGISTERS" },
		{ 17, "REPORT_SLAVE_ID" }, { 20, "READ_FILE_RECORD" },
		{ 21, "WRITE_FILE_RECORD" }, { 22, "MASK_WRITE_REGISTER" },
		{ 23, "READ_WRITE_MULTIPLE_REGISTERS" }, { 24, "READ_FIFO_QUEUE" },
		{ 43, "ENCAP_INTERFACE_TRANSPORT" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *n = modbus_func_name(t[i].fc);

		test_cond(t[i].name, n && strcmp(n, t[i].name) == 0);
	}
	test_cond("unknown fc", modbus_func_name(0x1D) == NULL &&
	    modbus_func_name(0x83) == NULL && modbus_func_name(0) == NULL);
	test_cond("categories", modbus_func_category(0x41) ==
	    MODBUS_CAT_USER_DEFINED && modbus_func_category(0x83) ==
	    MODBUS_CAT_READ && modbus_func_category(0x1D) == MODBUS_CAT_OTHER);
	test_cond("category names", strcmp(modbus_category_name(
	    MODBUS_CAT_USER_DEFINED), "user-defined") == 0 &&
	    strcmp(modbus_category_name(200), "other") == 0);
}

/* ------------------------------------------------------------------------ */

/* FC 16 request + response, split at every pair of offsets. */
static void test_split_everywhere(void)
{
	static const uint8_t adu[] = {
		0x12, 0x34, 0x00, 0x00, 0x00, 0x0F,	/* tid 0x1234, len 15 */
		0x07, 0x10,		/* unit 7, fc 16 */
		0x00, 0x64,		/* address 100 */
		0x00, 0x04,		/* quantity 4 */
		0x08,			/* byte count 8 */
		0x00, 0x0A, 0x00, 0x14,	/* 10, 20 */
		0x00, 0x1E, 0xFF, 0xFF,	/* 30, 65535 */
	};
	static const uint8_t resp[] = {
		0x12, 0x34, 0x00, 0x00, 0x00, 0x06,	/* len 6 */
		0x07, 0x10,		/* fc 16 */
		0x00, 0x64, 0x00, 0x04,	/* address 100, quantity 4 */
	};
	static const uint16_t want[] = { 10, 20, 30, 65535 };
	int bad = 0, cases = 0;

	for (size_t i = 0; i <= sizeof(adu); i++) {
		for (size_t j = i; j <= sizeof(adu); j++) {
			reset();
			stream_feed(DIR_TO_SERVER, adu, i);
			stream_feed(DIR_TO_SERVER, adu + i, j - i);
			stream_feed(DIR_TO_SERVER, adu + j, sizeof(adu) - j);
			/* response split at i too (when it fits) */
			if (i <= sizeof(resp)) {
				stream_feed(DIR_TO_CLIENT, resp, i);
				stream_feed(DIR_TO_CLIENT, resp + i,
				    sizeof(resp) - i);
			} else {
				RESP(resp);
			}
			cases++;
			if (nev != 1 || !evs[0].matched || evs[0].tid != 0x1234 ||
			    evs[0].unit != 7 || evs[0].address != 100 ||
			    !regs_are(&evs[0].req, want, 4) ||
			    stub_anomaly_total() != 0 || npendbuf[0] ||
			    npendbuf[1])
				bad++;
		}
	}
	test_eq_u64("split at every offset pair: bad cases", bad, 0);
	test_cond("split cases run", cases == 22 * 23 / 2);
}

/* Ten requests in one segment, ten responses in another. */
static void test_many_in_one_feed(void)
{
	uint8_t reqs[10 * 12], resps[10 * 11];
	int ok = 0;

	for (int k = 0; k < 10; k++) {
		uint8_t *q = reqs + 12 * k, *s = resps + 11 * k;

		/* tid k, proto 0, len 6, unit 1, fc 3, addr 10k, qty 1 */
		q[0] = 0; q[1] = (uint8_t)k; q[2] = 0; q[3] = 0;
		q[4] = 0; q[5] = 6; q[6] = 1; q[7] = 3;
		q[8] = 0; q[9] = (uint8_t)(10 * k); q[10] = 0; q[11] = 1;
		/* tid k, len 5, unit 1, fc 3, bc 2, value 1000 + k */
		s[0] = 0; s[1] = (uint8_t)k; s[2] = 0; s[3] = 0;
		s[4] = 0; s[5] = 5; s[6] = 1; s[7] = 3; s[8] = 2;
		s[9] = (uint8_t)((1000 + k) >> 8); s[10] = (uint8_t)(1000 + k);
	}
	reset();
	REQ(reqs);
	test_eq_u64("ten requests consumed", npendbuf[0], 0);
	RESP(resps);
	test_eq_u64("ten events", nev, 10);
	/* Pipelined: only the last request's bytes are kept, but address and
	 * quantity of every one survive in the pending table. */
	for (int k = 0; k < nev; k++)
		if (evs[k].matched && evs[k].tid == k && evs[k].address == 10 * k &&
		    evs[k].quantity == 1 && evs[k].resp.count == 1 &&
		    evs[k].resp.regs[0] == 1000 + k && evs[k].resp.start == 10 * k &&
		    evs[k].request_lost == (k != 9))
			ok++;
	test_eq_u64("ten matched in order", ok, 10);

	/* One at a time, as most clients do: nothing lost. */
	reset();
	ok = 0;
	for (int k = 0; k < 10; k++) {
		stream_feed(DIR_TO_SERVER, reqs + 12 * k, 12);
		stream_feed(DIR_TO_CLIENT, resps + 11 * k, 11);
	}
	for (int k = 0; k < nev; k++)
		ok += evs[k].matched && !evs[k].request_lost &&
		    evs[k].address == 10 * k;
	test_eq_u64("stop-and-wait: ten complete", ok, 10);
}

static void test_unmatched(void)
{
	static const uint8_t req[] = {
		0x00, 0x21, 0x00, 0x00, 0x00, 0x06,	/* tid 33, len 6 */
		0x01, 0x06,		/* unit 1, fc 6 */
		0x00, 0x02, 0x12, 0x34,	/* address 2 := 0x1234 */
	};
	static const uint8_t resp[] = {
		0x00, 0x22, 0x00, 0x00, 0x00, 0x05,	/* tid 34, len 5 */
		0x01, 0x03,		/* unit 1, fc 3 */
		0x02, 0x00, 0x07,	/* bc 2, value 7 */
	};
	static const uint8_t wrong_unit[] = {
		0x00, 0x21, 0x00, 0x00, 0x00, 0x06,	/* tid 33, len 6 */
		0x02, 0x06,		/* unit 2 (not 1), fc 6 */
		0x00, 0x02, 0x12, 0x34,
	};

	/* request without response, flushed at close */
	reset();
	REQ(req);
	test_eq_u64("nothing before close", nev, 0);
	modbus_dissector.close(st, &fctx);
	test_eq_u64("flushed at close", nev, 1);
	test_cond("close: unmatched request", !evs[0].matched &&
	    evs[0].has_request && !evs[0].has_response && !evs[0].timed_out &&
	    evs[0].tid == 33 && evs[0].address == 2 &&
	    evs[0].req.regs[0] == 0x1234 && evs[0].h.dir == DIR_TO_SERVER);

	/* response without request */
	reset();
	RESP(resp);
	test_eq_u64("orphan response: one event", nev, 1);
	test_cond("orphan response fields", !evs[0].matched &&
	    !evs[0].has_request && evs[0].has_response && evs[0].tid == 34 &&
	    evs[0].resp.count == 1 && evs[0].resp.regs[0] == 7 &&
	    !evs[0].resp.has_start && evs[0].h.dir == DIR_TO_CLIENT);
	test_eq_u64("orphan response: no anomaly", stub_anomaly_total(), 0);

	/* same tid, other unit: no pairing */
	reset();
	REQ(req);
	RESP(wrong_unit);
	modbus_dissector.close(st, &fctx);
	test_cond("unit is part of the key", nev == 2 && !evs[0].matched &&
	    !evs[1].matched);

	/* same tid and unit, other function: no pairing either */
	reset();
	REQ(req);		/* fc 6, tid 33 */
	{
		static const uint8_t other_fc[] = {
			0x00, 0x21, 0x00, 0x00, 0x00, 0x03,	/* tid 33, len 3 */
			0x01, 0x85, 0x01,	/* unit 1, fc 5 exception 1 */
		};

		RESP(other_fc);
	}
	modbus_dissector.close(st, &fctx);
	test_cond("fc is part of the key", nev == 2 && !evs[0].matched &&
	    evs[0].fc == 5 && evs[0].exception && !evs[1].matched &&
	    evs[1].fc == 6);

	/* timeout: checked on a later feed and in tick() */
	reset();
	REQ(req);
	fctx.ts_us += 4000000;
	modbus_dissector.tick(st, &fctx);
	test_eq_u64("4 s: still pending", nev, 0);
	fctx.ts_us += 1000001;
	modbus_dissector.tick(st, &fctx);
	test_eq_u64("5 s: timed out", nev, 1);
	test_cond("timed out fields", evs[0].timed_out && !evs[0].matched &&
	    evs[0].h.ts_us == 1000000000ULL && evs[0].address == 2);
	modbus_dissector.close(st, &fctx);
	test_eq_u64("nothing left at close", nev, 1);

	reset();
	REQ(req);
	fctx.ts_us += 6000000;
	RESP(resp);	/* a feed in the other direction also expires */
	test_cond("timed out on a later feed", nev == 2 && evs[0].timed_out &&
	    evs[0].tid == 33 && evs[1].tid == 34);

	/* A late response after the timeout is its own unmatched event. */
	reset();
	REQ(req);
	fctx.ts_us += 3600ULL * 1000000 * 2;	/* two hours, past 32-bit us */
	REQ(req);
	test_cond("2 h later: old one timed out with its own ts", nev == 1 &&
	    evs[0].timed_out && evs[0].h.ts_us == 1000000000ULL);
}

static void test_flood(void)
{
	int unmatched = 0;

	reset();
	for (int k = 0; k < 20; k++) {
		const uint8_t q[] = {
			0x01, (uint8_t)k, 0x00, 0x00, 0x00, 0x06, /* tid 0x01kk */
			0x01, 0x03,	/* unit 1, fc 3 */
			0x00, (uint8_t)k, 0x00, 0x01, /* address k, qty 1 */
		};

		fctx.ts_us += 1000;
		REQ(q);
	}
	test_eq_u64("flood: 4 flushed", nev, 4);
	test_eq_u64("flood: one too-many anomaly",
	    stub_anomalies[ANOM_APP_TOO_MANY], 1);
	test_cond("flood: anomaly name", strncmp(stub_last_anomaly,
	    "modbus.too_many_pending", 23) == 0);
	test_cond("flood: oldest first", evs[0].tid == 0x0100 &&
	    evs[3].tid == 0x0103 && !evs[0].matched && !evs[0].timed_out);
	modbus_dissector.close(st, &fctx);
	test_eq_u64("flood: the rest at close", nev, 20);
	for (int k = 0; k < nev; k++)
		unmatched += !evs[k].matched && evs[k].address == k;
	test_eq_u64("flood: all unmatched, in order", unmatched, 20);
}

static void test_gap(void)
{
	static const uint8_t a1[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x06,	/* tid 1, len 6 */
		0x01, 0x03, 0x00, 0x01, 0x00, 0x01,	/* fc 3 addr 1 qty 1 */
	};
	static const uint8_t a2_tail[] = {
		0x00, 0x02, 0x00, 0x05,			/* tail of an ADU */
	};
	static const uint8_t a3[] = {
		0x00, 0x03, 0x00, 0x00, 0x00, 0x06,	/* tid 3, len 6 */
		0x01, 0x03, 0x00, 0x03, 0x00, 0x01,	/* fc 3 addr 3 qty 1 */
	};
	uint8_t after[sizeof(a2_tail) + sizeof(a3)];

	memcpy(after, a2_tail, sizeof(a2_tail));
	memcpy(after + sizeof(a2_tail), a3, sizeof(a3));
	reset();
	REQ(a1);
	modbus_dissector.gap(st, &fctx, DIR_TO_SERVER, 100);
	REQ(after);
	modbus_dissector.close(st, &fctx);
	test_eq_u64("gap: two requests", nev, 2);
	test_cond("gap: resynced on tid 3", evs[0].tid == 1 && evs[1].tid == 3 &&
	    evs[1].address == 3);
	test_eq_u64("gap: no anomaly", stub_anomaly_total(), 0);
	test_eq_u64("gap: all consumed", npendbuf[0], 0);

	/* resync waits when the tail is too short to judge */
	reset();
	modbus_dissector.gap(st, &fctx, DIR_TO_SERVER, 7);
	stream_feed(DIR_TO_SERVER, a3, 5);
	test_eq_u64("gap: short tail kept", npendbuf[0], 5);
	stream_feed(DIR_TO_SERVER, a3 + 5, sizeof(a3) - 5);
	modbus_dissector.close(st, &fctx);
	test_cond("gap: then parsed", nev == 1 && evs[0].tid == 3);
}

static void test_anomalies(void)
{
	static const uint8_t bad_proto_then_ok[] = {
		0x00, 0x01, 0x00, 0x01, 0x00, 0x06,	/* tid 1, proto 1 (bad) */
		0x01, 0x03, 0x00, 0x01, 0x00, 0x01,
		0x00, 0x02, 0x00, 0x00, 0x00, 0x06,	/* tid 2, proto 0 */
		0x01, 0x03, 0x00, 0x02, 0x00, 0x01,	/* fc 3 addr 2 qty 1 */
	};
	static const uint8_t bad_len[] = {
		0x00, 0x05, 0x00, 0x00, 0x00, 0x06,	/* a good ADU first */
		0x01, 0x03, 0x00, 0x05, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x00, 0x00, 0x01,	/* len 1: below 2 */
		0x01, 0x03, 0x00, 0x01,
	};
	static const uint8_t long_len_then_ok[] = {
		0x00, 0x01, 0x00, 0x00, 0x01, 0x00,	/* len 256, fc 3 */
		0x01, 0x03,
	};
	static const uint8_t bad_qty[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x06,	/* tid 1, len 6 */
		0x01, 0x03, 0x00, 0x00,			/* fc 3 address 0 */
		0x00, 0x7E,				/* quantity 126 > 125 */
	};
	static const uint8_t bad_qty_coils[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x06,
		0x01, 0x01, 0x00, 0x00,			/* fc 1 address 0 */
		0x07, 0xD1,				/* quantity 2001 > 2000 */
	};
	static const uint8_t bad_bc[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x0B,	/* tid 1, len 11 */
		0x01, 0x10, 0x00, 0x01,			/* fc 16 address 1 */
		0x00, 0x03,				/* quantity 3 */
		0x04,					/* byte count 4 != 6 */
		0x00, 0x0A, 0x01, 0x02,
	};
	static const uint8_t qreq[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x06,	/* fc 3 addr 0 qty 2 */
		0x01, 0x03, 0x00, 0x00, 0x00, 0x02,
	};
	static const uint8_t resp_short[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x05,	/* fc 3 */
		0x01, 0x03, 0x02, 0x00, 0x01,		/* bc 2, but qty was 2 */
	};
	static const uint8_t fc0[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x02,	/* len 2 */
		0x01, 0x00,				/* fc 0: illegal */
	};
	static const uint8_t fc_high[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x01, 0x85,				/* fc 0x85 in a request */
	};
	static const uint8_t fc16_overqty[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x07,
		0x01, 0x10, 0x00, 0x00, 0x00, 0x7C,	/* fc 16 qty 124 > 123 */
		0x00,					/* byte count 0 */
	};
	static const uint8_t fc15_overqty[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x07,
		0x01, 0x0F, 0x00, 0x00, 0x07, 0xB1,	/* fc 15 qty 1969 > 1968 */
		0x00,
	};
	uint8_t big[6 + 256 + 12];

	reset();
	REQ(bad_proto_then_ok);
	modbus_dissector.close(st, &fctx);
	test_eq_u64("bad proto: one anomaly", stub_anomalies[ANOM_APP_MALFORMED], 1);
	test_cond("bad proto: name", strncmp(stub_last_anomaly,
	    "modbus.bad_protocol_id", 22) == 0);
	test_cond("bad proto: next ADU parsed", nev == 1 && evs[0].tid == 2 &&
	    evs[0].address == 2);
	test_eq_u64("bad proto: consumed", npendbuf[0], 0);

	/* a length that cannot be trusted: resync on the next header */
	reset();
	REQ(bad_len);
	test_eq_u64("bad length: one anomaly", stub_anomaly_total(), 1);
	test_cond("bad length: name", strncmp(stub_last_anomaly,
	    "modbus.bad_length", 17) == 0);
	test_eq_u64("bad length: waits for more", last_status, FEED_NEED_MORE);
	REQ(qreq);
	modbus_dissector.close(st, &fctx);
	test_cond("bad length: ADUs before and after kept", nev == 2 &&
	    evs[0].address == 5 && evs[1].quantity == 2 &&
	    stub_anomaly_total() == 1 && npendbuf[0] == 0);

	/* ... but not forever: 8 framing errors in a row end the flow */
	reset();
	for (int k = 0; k < 7; k++)
		stream_feed(DIR_TO_SERVER, bad_proto_then_ok, 12);
	test_eq_u64("7 strikes: still fed", last_status, FEED_OK);
	stream_feed(DIR_TO_SERVER, bad_proto_then_ok, 12);
	test_eq_u64("8 strikes: malformed", last_status, FEED_MALFORMED);
	test_eq_u64("8 strikes: 8 anomalies", stub_anomaly_total(), 8);
	/* a good ADU in between resets the count */
	reset();
	for (int k = 0; k < 20; k++)
		stream_feed(DIR_TO_SERVER, bad_proto_then_ok,
		    sizeof(bad_proto_then_ok));
	test_cond("good ADUs between: still fed", last_status == FEED_OK &&
	    stub_anomaly_total() == 20);

	/* 256 is out of spec but sane: skipped by its length */
	reset();
	memset(big, 0, sizeof(big));
	memcpy(big, long_len_then_ok, sizeof(long_len_then_ok));
	memcpy(big + 6 + 256, qreq, sizeof(qreq));
	REQ(big);
	modbus_dissector.close(st, &fctx);
	test_cond("len 256: anomaly, skipped, next parsed", nev == 1 &&
	    stub_anomalies[ANOM_APP_MALFORMED] == 1 &&
	    strncmp(stub_last_anomaly, "modbus.bad_length", 17) == 0 &&
	    evs[0].quantity == 2 && npendbuf[0] == 0);

	reset();
	REQ(bad_qty);
	test_cond("fc3 quantity 126", stub_anomalies[ANOM_APP_MALFORMED] == 1 &&
	    strncmp(stub_last_anomaly, "modbus.bad_quantity", 19) == 0);
	modbus_dissector.close(st, &fctx);
	test_cond("bad quantity still an event", nev == 1 &&
	    evs[0].quantity == 126);

	reset();
	REQ(bad_qty_coils);
	test_cond("fc1 quantity 2001", stub_anomalies[ANOM_APP_MALFORMED] == 1 &&
	    strncmp(stub_last_anomaly, "modbus.bad_quantity", 19) == 0);

	reset();
	REQ(fc16_overqty);
	test_cond("fc16 quantity 124", strstr(stub_last_anomaly, "") &&
	    stub_anomalies[ANOM_APP_MALFORMED] == 2);	/* qty + byte count */

	reset();
	REQ(fc15_overqty);
	test_cond("fc15 quantity 1969", stub_anomalies[ANOM_APP_MALFORMED] == 2);

	reset();
	REQ(bad_bc);
	test_cond("fc16 byte count", stub_anomalies[ANOM_APP_MALFORMED] == 1 &&
	    strncmp(stub_last_anomaly, "modbus.byte_count_mismatch", 26) == 0);

	reset();
	REQ(qreq);
	RESP(resp_short);
	test_cond("response byte count vs quantity",
	    stub_anomalies[ANOM_APP_MALFORMED] == 1 &&
	    strncmp(stub_last_anomaly, "modbus.byte_count_mismatch", 26) == 0 &&
	    nev == 1 && evs[0].matched && evs[0].resp.count == 1);

	reset();
	REQ(fc0);
	test_cond("fc 0", stub_anomalies[ANOM_APP_MALFORMED] == 1 &&
	    strncmp(stub_last_anomaly, "modbus.illegal_function", 23) == 0);
	reset();
	REQ(fc_high);
	test_cond("fc 0x85 request", stub_anomalies[ANOM_APP_MALFORMED] == 1 &&
	    strncmp(stub_last_anomaly, "modbus.illegal_function", 23) == 0);
}

static void test_probe(void)
{
	static const uint8_t req[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x06,	/* tid 1, len 6 */
		0x01, 0x03, 0x00, 0x00, 0x00, 0x01,	/* fc 3 */
	};
	static const uint8_t exc[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x03,	/* len 3 */
		0x01, 0x83, 0x02,			/* exception response */
	};
	static const uint8_t zero_len[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	};
	static const uint8_t fc0[] = {
		0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00,
	};
	static const uint8_t nuls[] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const char http[] = "GET / HTTP/1.1\r\nHost: plc\r\n\r\n";
	static const char banner[] = "220 plc.example FTP ready\r\n";
	const struct dissector *m = &modbus_dissector;

	test_eq_u64("probe request", m->probe(req, sizeof(req), DIR_TO_SERVER,
	    40000, 502), PROBE_YES);
	test_eq_u64("probe request on another port", m->probe(req, sizeof(req),
	    DIR_TO_SERVER, 40000, 10502), PROBE_YES);
	test_eq_u64("probe exception response", m->probe(exc, sizeof(exc),
	    DIR_TO_CLIENT, 502, 40000), PROBE_YES);
	test_eq_u64("probe exception fc as request", m->probe(exc, sizeof(exc),
	    DIR_TO_SERVER, 40000, 502), PROBE_NO);
	for (size_t n = 0; n < 8; n++)
		test_eq_u64("probe short: more", m->probe(req, n, DIR_TO_SERVER,
		    40000, 502), PROBE_MORE);
	test_eq_u64("probe HTTP on 502", m->probe((const uint8_t *)http,
	    sizeof(http) - 1, DIR_TO_SERVER, 40000, 502), PROBE_NO);
	test_eq_u64("probe 3 bytes of HTTP", m->probe((const uint8_t *)http, 3,
	    DIR_TO_SERVER, 40000, 502), PROBE_NO);
	test_eq_u64("probe text banner", m->probe((const uint8_t *)banner,
	    sizeof(banner) - 1, DIR_TO_CLIENT, 502, 40000), PROBE_NO);
	test_eq_u64("probe length 0", m->probe(zero_len, sizeof(zero_len),
	    DIR_TO_SERVER, 40000, 502), PROBE_NO);
	test_eq_u64("probe fc 0", m->probe(fc0, sizeof(fc0), DIR_TO_SERVER,
	    40000, 502), PROBE_NO);
	test_eq_u64("probe NULs", m->probe(nuls, sizeof(nuls), DIR_TO_SERVER,
	    40000, 502), PROBE_NO);
	test_cond("contract", m->ipproto == 6 && m->hint_port == 502 &&
	    m->state_size <= APP_STATE_MAX && strcmp(m->name, "modbus") == 0);
}

static void test_tid_reuse(void)
{
	static const uint8_t q1[] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x06,	/* tid 0 */
		0x01, 0x03, 0x00, 0x01, 0x00, 0x01,	/* fc 3 addr 1 */
	};
	static const uint8_t q2[] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x06,	/* tid 0 again */
		0x01, 0x03, 0x00, 0x02, 0x00, 0x01,	/* fc 3 addr 2 */
	};
	static const uint8_t r[] = {
		0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
		0x01, 0x03, 0x02, 0x00, 0x09,		/* bc 2, value 9 */
	};

	reset();
	REQ(q1);
	REQ(q2);
	RESP(r);
	test_cond("tid reuse: first orphaned, second paired", nev == 2 &&
	    !evs[0].matched && evs[0].address == 1 && evs[1].matched &&
	    evs[1].address == 2 && evs[1].resp.regs[0] == 9 &&
	    evs[1].resp.start == 2);
}

int main(void)
{
	test_fc1();
	test_fc2();
	test_fc3();
	test_fc4();
	test_fc5();
	test_fc6();
	test_fc7_11_12();
	test_fc8();
	test_fc15_16();
	test_fc17();
	test_fc20_21();
	test_fc22_23_24();
	test_fc43();
	test_umas();
	test_exception();
	test_names();
	test_split_everywhere();
	test_many_in_one_feed();
	test_unmatched();
	test_flood();
	test_gap();
	test_anomalies();
	test_probe();
	test_tid_reuse();
	return test_report();
}
