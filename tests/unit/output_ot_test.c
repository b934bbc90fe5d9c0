/*
 * output_ot_test.c - the Modbus/DNP3 JSON layout and the device log, on
 * events built by hand the way dissectors/modbus.c and dissectors/dnp3.c
 * fill them.
 *
 * Expected values come from the specs, not from the code: MODBUS
 * Application Protocol V1.1b3 (function codes 6.x, exception codes 7:
 * 02 = ILLEGAL_DATA_ADDRESS, FC 8 sub-function 4 = Force Listen Only Mode,
 * FC 5 0xFF00 = ON), IEEE 1815-2012 (IIN1.7 DEVICE_RESTART = 0x8000 in
 * IIN1 << 8 | IIN2, IIN1.4 NEED_TIME = 0x1000, CROB code 3 = LATCH_ON,
 * control status 2 = NO_SELECT, g52v2 fine time delay in ms).  JSON text is
 * checked with exact substrings; device records through out_set_hook().
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ot/device_log.h"
#include "sensor/output.h"
#include "tests/unit/testhelp.h"

#define MAX_DEV 32
#define BUF 65536

static struct ev_device got[MAX_DEV];
static int ngot;
static char buf[BUF];

static void hook(const struct ev_hdr *ev, void *arg)
{
	(void)arg;
	if (ev->type == EV_DEVICE && ngot < MAX_DEV)
		got[ngot++] = *(const struct ev_device *)ev;
}

/* 2024-01-01T00:00:00Z plus seconds. */
static uint64_t t0(unsigned secs)
{
	return (1704067200ULL + secs) * 1000000ULL;
}

static void mk_hdr(struct ev_hdr *h, enum ev_type type, enum dir d,
    uint64_t ts, uint16_t dport, uint64_t id)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->dir = d;
	h->ts_us = ts;
	h->flow_id = 42;
	h->event_id = id;
	h->has_key = true;
	h->key.family = 4;
	h->key.proto = 6;
	inet_pton(AF_INET, "10.0.0.10", h->key.src);	/* client */
	inet_pton(AF_INET, "10.0.1.5", h->key.dst);	/* server */
	h->key.sport = 40000;
	h->key.dport = dport;
}

static const char *ser(const struct ev_hdr *h)
{
	size_t n = json_event(h, "t", buf, sizeof(buf));

	buf[n] = '\0';
	return buf;
}

#define has(descr, hay, needle) do {					\
	const char *h_ = (hay);						\
	bool ok_ = strstr(h_, (needle)) != NULL;			\
	test_cond(descr, ok_);						\
	if (!ok_)							\
		printf("  want: %s\n  in:   %s\n", (needle), h_);	\
} while (0)

#define streq(descr, got_, want_) do {					\
	bool ok_ = strcmp((got_), (want_)) == 0;			\
	test_cond(descr, ok_);						\
	if (!ok_)							\
		printf("  got:  \"%s\"\n  want: \"%s\"\n", (got_), (want_)); \
} while (0)

/* A matched Modbus transaction skeleton, as modbus.c fills it. */
static void mb_init(struct ev_modbus *e, uint8_t fc, uint64_t ts,
    uint64_t id)
{
	memset(e, 0, sizeof(*e));
	mk_hdr(&e->h, EV_MODBUS, DIR_TO_SERVER, ts, 502, id);
	e->tid = 7;
	e->unit = 1;
	e->fc = fc;
	e->category = (uint8_t)modbus_func_category(fc);
	e->has_request = e->has_response = e->matched = true;
	e->rtt_us = 1500;
}

/* FC 16: write 3 registers at 100 (spec 6.12). */
static void test_modbus_write_multiple(void)
{
	struct ev_modbus e;
	const char *j;

	mb_init(&e, 0x10, t0(0), 1001);
	e.has_address = e.has_quantity = true;
	e.address = 100;
	e.quantity = 3;
	e.req.kind = MODBUS_VAL_REGS;
	e.req.has_start = true;
	e.req.start = 100;
	e.req.count = 3;
	e.req.regs[0] = 10;
	e.req.regs[1] = 20;
	e.req.regs[2] = 30;
	j = ser(&e.h);
	has("fc16 envelope", j, "\"event_type\":\"modbus\"");
	has("fc16 header", j, "\"modbus\":{\"transaction_id\":7,\"unit_id\":1,"
	    "\"function_code\":16,\"function\":\"WRITE_MULTIPLE_REGISTERS\","
	    "\"category\":\"write\",\"address\":100,\"quantity\":3");
	has("fc16 values", j,
	    "\"request_values\":{\"start\":100,\"values\":[10,20,30]}");
	has("fc16 matched", j, "\"matched\":true,\"rtt_ms\":1.500}");
	test_cond("fc16 no exception", strstr(j, "exception") == NULL);

	ngot = 0;
	out_emit(&e.h);
	test_eq_u64("fc16 one device record", ngot, 1);
	if (ngot < 1)
		return;
	streq("fc16 detail", got[0].detail, "holding 100..102 := [10, 20, 30]");
	streq("fc16 action", got[0].action, "write_registers");
	streq("fc16 result", got[0].result, "ok");
	test_eq_u64("fc16 unit", got[0].unit, 1);
	test_cond("fc16 device id differs", got[0].h.event_id != 1001);
	j = ser(&got[0].h);
	has("device json", j, "\"event_type\":\"device\"");
	has("device object", j, "\"device\":{\"ip\":\"10.0.1.5\",\"port\":502,"
	    "\"protocol\":\"modbus\",\"kind\":\"command\",\"unit\":1,"
	    "\"action\":\"write_registers\",\"by\":\"10.0.0.10\","
	    "\"detail\":\"holding 100..102 := [10, 20, 30]\",\"result\":\"ok\"}");
}

/* FC 3 answered with exception 2 (spec 7), then summarized as a read. */
static void test_modbus_exception(void)
{
	struct ev_modbus e;
	const char *j;

	device_log_flush();
	mb_init(&e, 0x03, t0(120), 1002);
	e.has_address = e.has_quantity = true;
	e.address = 600;
	e.quantity = 10;
	e.exception = true;
	e.exception_code = 2;
	j = ser(&e.h);
	has("exception function name", j,
	    "\"function\":\"READ_HOLDING_REGISTERS_EXCEPTION\"");
	has("exception code", j,
	    "\"exception_code\":2,\"exception\":\"ILLEGAL_DATA_ADDRESS\"");
	test_cond("no response_values", strstr(j, "response_values") == NULL);

	ngot = 0;
	out_emit(&e.h);
	test_eq_u64("read is summarized, not logged at once", ngot, 0);
	device_log_flush();
	test_eq_u64("flush writes the summary", ngot, 1);
	if (ngot < 1)
		return;
	test_eq_u64("summary kind", got[0].kind, DEVICE_KIND_SUMMARY);
	test_eq_u64("summary count", got[0].count, 1);
	test_eq_u64("summary failed", got[0].failed, 1);
	streq("summary detail", got[0].detail, "holding 600..609");
	streq("summary result", got[0].result,
	    "1 of 1 failed, last: exception 02 ILLEGAL_DATA_ADDRESS");
	j = ser(&got[0].h);
	has("summary json", j, "\"kind\":\"summary\"");
	has("summary counts", j, "\"count\":1,\"failed\":1,"
	    "\"first\":\"2024-01-01T00:02:00.000000Z\"");
}

/* Reads of one minute fold into one record; the next minute rolls it. */
static void test_modbus_summary(void)
{
	struct ev_modbus e;

	device_log_flush();
	ngot = 0;
	for (unsigned i = 0; i < 3; i++) {
		mb_init(&e, 0x03, t0(600 + i), 2000 + i);
		e.has_address = e.has_quantity = true;
		e.address = i == 2 ? 100 : 0;
		e.quantity = 10;
		out_emit(&e.h);
	}
	/* a request with no response in the same minute */
	mb_init(&e, 0x03, t0(610), 2010);
	e.has_response = e.matched = false;
	e.timed_out = true;
	e.has_address = e.has_quantity = true;
	e.quantity = 10;
	out_emit(&e.h);
	test_eq_u64("nothing before the minute ends", ngot, 0);
	/* a write in the next minute: the window closes first */
	mb_init(&e, 0x06, t0(660), 2020);
	e.has_address = true;
	e.address = 5;
	e.req.kind = MODBUS_VAL_REGS;
	e.req.has_start = true;
	e.req.start = 5;
	e.req.count = 1;
	e.req.regs[0] = 1234;
	out_emit(&e.h);
	test_eq_u64("summary then write", ngot, 2);
	if (ngot < 2)
		return;
	test_eq_u64("summary first", got[0].kind, DEVICE_KIND_SUMMARY);
	test_eq_u64("summary count 4", got[0].count, 4);
	test_eq_u64("summary failed 1", got[0].failed, 1);
	streq("summary lists distinct ranges", got[0].detail,
	    "holding 0..9; holding 100..109");
	streq("summary result", got[0].result,
	    "1 of 4 failed, last: no response");
	test_eq_u64("summary first ts", got[0].first_us, t0(600));
	test_eq_u64("summary last ts", got[0].last_us, t0(610));
	streq("fc6 detail", got[1].detail, "holding 5 := 1234");
	streq("fc6 action", got[1].action, "write_register");
}

static void test_modbus_misc(void)
{
	struct ev_modbus e;
	const char *j;

	/* FC 5 write coil 5 ON: 0xFF00 (spec 6.5) */
	mb_init(&e, 0x05, t0(700), 3001);
	e.has_address = true;
	e.address = 5;
	e.req.kind = MODBUS_VAL_BITS;
	e.req.has_start = true;
	e.req.start = 5;
	e.req.count = 1;
	e.req.bytes[0] = 1;
	e.req.regs[0] = 0xFF00;
	j = ser(&e.h);
	has("fc5 coil as boolean", j,
	    "\"request_values\":{\"start\":5,\"values\":[true],\"raw\":65280}");
	ngot = 0;
	out_emit(&e.h);
	test_eq_u64("fc5 logged", ngot, 1);
	if (ngot)
		streq("fc5 detail", got[0].detail, "coil 5 := ON");

	/* FC 15: 3 coils at 20: 1, 0, 1 */
	mb_init(&e, 0x0F, t0(701), 3002);
	e.has_address = e.has_quantity = true;
	e.address = 20;
	e.quantity = 3;
	e.req.kind = MODBUS_VAL_BITS;
	e.req.has_start = true;
	e.req.start = 20;
	e.req.count = 3;
	e.req.bytes[0] = 0x05;
	j = ser(&e.h);
	has("fc15 bits", j, "\"request_values\":{\"start\":20,"
	    "\"values\":[true,false,true]}");
	ngot = 0;
	out_emit(&e.h);
	if (ngot)
		streq("fc15 detail", got[0].detail, "coils 20..22 := [1, 0, 1]");

	/* FC 8 sub-function 4: force listen only mode (spec 6.8.1) */
	mb_init(&e, 0x08, t0(702), 3003);
	e.has_subfunction = true;
	e.subfunction = 4;
	e.req.kind = MODBUS_VAL_REGS;
	e.req.count = 1;
	e.req.regs[0] = 0;
	e.has_response = e.matched = false;
	j = ser(&e.h);
	has("fc8 sub", j, "\"subfunction\":4,"
	    "\"subfunction_name\":\"FORCE_LISTEN_ONLY_MODE\"");
	has("fc8 values without start", j, "\"request_values\":{\"values\":[0]}");
	has("fc8 no response", j, "\"matched\":false,\"response_seen\":false");
	ngot = 0;
	out_emit(&e.h);
	test_eq_u64("fc8 logged at once", ngot, 1);
	if (ngot) {
		streq("fc8 action", got[0].action, "diagnostics");
		streq("fc8 result", got[0].result, "no response");
	}

	/* FC 22 mask write (spec 6.16 example: and 0x00F2, or 0x0025) */
	mb_init(&e, 0x16, t0(703), 3004);
	e.has_address = e.has_masks = true;
	e.address = 4;
	e.and_mask = 0x00F2;
	e.or_mask = 0x0025;
	j = ser(&e.h);
	has("fc22 masks", j, "\"address\":4,\"and_mask\":242,\"or_mask\":37");
	ngot = 0;
	out_emit(&e.h);
	if (ngot)
		streq("fc22 detail", got[0].detail,
		    "holding 4 := (x & 0x00f2) | 0x0025");

	/* FC 23: read 6 at 3, write 3 at 14 (spec 6.17 example) */
	mb_init(&e, 0x17, t0(704), 3005);
	e.has_address = e.has_quantity = e.has_write = true;
	e.address = 3;
	e.quantity = 6;
	e.write_address = 14;
	e.write_quantity = 3;
	e.req.kind = MODBUS_VAL_REGS;
	e.req.has_start = true;
	e.req.start = 14;
	e.req.count = 3;
	e.req.regs[0] = 0x00FF;
	e.req.regs[1] = 0x00FF;
	e.req.regs[2] = 0x00FF;
	e.resp.kind = MODBUS_VAL_REGS;
	e.resp.has_start = true;
	e.resp.start = 3;
	e.resp.count = 6;
	for (unsigned i = 0; i < 6; i++)
		e.resp.regs[i] = (uint16_t)(0x00FE + i);
	j = ser(&e.h);
	has("fc23 parts", j, "\"address\":3,\"quantity\":6,"
	    "\"write_address\":14,\"write_quantity\":3");
	has("fc23 written", j,
	    "\"request_values\":{\"start\":14,\"values\":[255,255,255]}");
	has("fc23 read", j, "\"response_values\":{\"start\":3,"
	    "\"values\":[254,255,256,257,258,259]}");
	ngot = 0;
	out_emit(&e.h);
	if (ngot)
		streq("fc23 detail", got[0].detail,
		    "holding 14..16 := [255, 255, 255]; read holding 3..8");

	/* unknown function 65 (user-defined, spec 5) with an exception */
	mb_init(&e, 0x41, t0(705), 3006);
	e.exception = true;
	e.exception_code = 1;
	j = ser(&e.h);
	has("unknown fc", j, "\"function_code\":65,"
	    "\"function\":\"unknown-65_EXCEPTION\",\"category\":\"user-defined\"");
	has("illegal function", j, "\"exception\":\"ILLEGAL_FUNCTION\"");
	ngot = 0;
	out_emit(&e.h);
	if (ngot) {
		streq("unknown fc action", got[0].action, "function_65");
		streq("unknown fc result", got[0].result,
		    "exception 01 ILLEGAL_FUNCTION");
	}

	/* response with no request (capture started mid-way) */
	mb_init(&e, 0x10, t0(706), 3007);
	e.h.dir = DIR_TO_CLIENT;
	e.has_request = e.matched = false;
	e.has_address = e.has_quantity = true;
	e.address = 100;
	e.quantity = 3;
	j = ser(&e.h);
	has("lone response", j, "\"matched\":false,\"request_seen\":false");
	ngot = 0;
	out_emit(&e.h);
	if (ngot) {
		streq("lone response detail", got[0].detail,
		    "holding 100..102 (request not seen)");
		test_cond("lone response device is the server",
		    memcmp(got[0].ip, e.h.key.dst, 4) == 0);
	}
}

/* FC 43/14 read device id (spec 6.21) and FC 90 UMAS. */
static void test_modbus_devid_umas(void)
{
	static const char *const vals[4] = { "ACME", "PLC-9", "V2.1", "app" };
	static const uint8_t ids[4] = { 0, 1, 2, 6 };
	struct ev_modbus e;
	const char *j;

	mb_init(&e, 0x2B, t0(800), 4001);
	e.has_mei = e.has_devid = true;
	e.mei_type = 14;
	e.devid.read_code = 1;
	e.devid.object_id = 0;
	e.devid.has_response = true;
	e.devid.conformity = 0x01;
	e.devid.nobjects = 5;
	e.devid.nobjs = 5;
	for (unsigned i = 0; i < 4; i++) {
		e.devid.objs[i].id = ids[i];
		snprintf(e.devid.objs[i].value, EV_MODBUS_DEVID_STR, "%s",
		    vals[i]);
	}
	e.devid.objs[4].id = 0x80;
	snprintf(e.devid.objs[4].value, EV_MODBUS_DEVID_STR, "x");
	j = ser(&e.h);
	has("devid", j, "\"mei_type\":14,\"device_id\":{\"read_device_id_code\":1,"
	    "\"object_id\":0,\"conformity_level\":1,\"more_follows\":false,"
	    "\"next_object_id\":0,\"number_of_objects\":5,\"vendor\":\"ACME\","
	    "\"product_code\":\"PLC-9\",\"revision\":\"V2.1\","
	    "\"user_application_name\":\"app\","
	    "\"extended\":[{\"id\":128,\"value\":\"x\"}]}");
	ngot = 0;
	out_emit(&e.h);
	if (ngot)
		streq("devid action", got[0].action, "read_device_id");

	mb_init(&e, 0x5A, t0(801), 4002);
	e.unit = 0;
	e.has_umas = e.has_umas_status = true;
	e.umas_session = 0x12;
	e.umas_fc = 0x41;	/* STOP_PLC */
	e.umas_status = 0xFE;
	j = ser(&e.h);
	has("umas", j, "\"function\":\"PROGRAM_UNITY\",\"category\":\"program\"");
	has("umas object", j, "\"umas\":{\"session\":18,\"subfunction\":65,"
	    "\"name\":\"STOP_PLC\",\"status\":254,\"status_name\":\"RESPONSE_OK\"}");
	ngot = 0;
	out_emit(&e.h);
	test_eq_u64("umas logged", ngot, 1);
	if (ngot) {
		streq("umas action", got[0].action, "umas_stop_plc");
		streq("umas detail", got[0].detail, "UMAS STOP_PLC (0x41)");
	}
}

/* ------------------------------------------------------------------------
 * DNP3
 * --------------------------------------------------------------------- */

static struct ev_dnp3 d3;

static void dnp3_msg(struct dnp3_msg *m, uint8_t func, uint8_t ac,
    uint16_t src, uint16_t dst, uint64_t ts)
{
	memset(m, 0, sizeof(*m));
	m->present = true;
	m->func = func;
	m->ac = ac;
	m->seq = ac & DNP3_AC_SEQ;
	m->fir = ac & DNP3_AC_FIR;
	m->fin = ac & DNP3_AC_FIN;
	m->con = ac & DNP3_AC_CON;
	m->uns = ac & DNP3_AC_UNS;
	m->link_src = src;
	m->link_dst = dst;
	m->link_ctrl = 0xC4;	/* DIR PRM, unconfirmed user data */
	m->ts_us = ts;
	m->has_iin = func >= 129;
}

static void dnp3_init(uint64_t ts, uint64_t id)
{
	memset(&d3, 0, sizeof(d3));
	mk_hdr(&d3.h, EV_DNP3, DIR_TO_SERVER, ts, 20000, id);
}

/* A g12v1 object (qualifier 0x28: 2-byte count, 2-byte index prefix). */
static void crob(struct dnp3_msg *m, uint8_t status)
{
	struct dnp3_object *o = &m->objects[m->nobjects++];
	struct dnp3_control *c = &d3.controls[d3.ncontrols];

	o->group = 12;
	o->variation = 1;
	o->qualifier = 0x28;
	o->prefix_code = 2;
	o->range_code = 8;
	o->has_data = true;
	o->count = 1;
	o->control_first = d3.ncontrols++;
	o->control_count = 1;
	o->point_first = d3.npoints;
	c->index = 3;
	c->group = 12;
	c->variation = 1;
	c->code = 3;		/* LATCH_ON */
	c->count = 1;
	c->status = status;
}

static void test_dnp3_operate(void)
{
	const char *j;

	dnp3_init(t0(900), 5001);
	dnp3_msg(&d3.req, 4, 0xC5, 3, 4, t0(900));
	crob(&d3.req, 0);
	dnp3_msg(&d3.resp, 129, 0xC5, 4, 3, t0(900) + 2500);
	crob(&d3.resp, 0);
	d3.matched = true;
	d3.rtt_us = 2500;
	j = ser(&d3.h);
	has("dnp3 top", j, "\"dnp3\":{\"src\":3,\"dst\":4,\"function_code\":4,"
	    "\"function\":\"OPERATE\",\"application_control\":{\"fir\":true,"
	    "\"fin\":true,\"con\":false,\"uns\":false,\"seq\":5},"
	    "\"matched\":true,\"rtt_ms\":2.500,\"unsolicited\":false");
	has("dnp3 object", j, "\"objects\":[{\"group\":12,\"variation\":1,"
	    "\"name\":\"binary_output_command\",\"qualifier\":40,\"count\":1}]");
	has("dnp3 control", j, "\"control\":[{\"index\":3,\"group\":12,"
	    "\"variation\":1,\"code\":3,\"op\":\"LATCH_ON\",\"count\":1,"
	    "\"on_ms\":0,\"off_ms\":0,\"status\":0,\"status_name\":\"SUCCESS\"}]");
	has("dnp3 response", j, "\"response\":{\"function_code\":129,"
	    "\"function\":\"RESPONSE\",\"src\":4,\"dst\":3");
	has("dnp3 empty iin", j, "\"iin\":[],\"iin_raw\":0");

	ngot = 0;
	out_emit(&d3.h);
	/* first response of outstation 4 with IIN 0: no state record */
	test_eq_u64("operate: one record", ngot, 1);
	if (ngot) {
		streq("operate detail", got[0].detail, "operate CROB 3 LATCH_ON");
		streq("operate result", got[0].result, "ok");
		streq("operate action", got[0].action, "operate");
		test_eq_u64("outstation address", got[0].unit, 4);
		test_eq_u64("master address", got[0].master, 3);
		j = ser(&got[0].h);
		has("operate json", j, "\"device\":{\"ip\":\"10.0.1.5\","
		    "\"port\":20000,\"protocol\":\"dnp3\",\"kind\":\"command\","
		    "\"unit\":4,\"master\":3,\"action\":\"operate\","
		    "\"by\":\"10.0.0.10\",\"detail\":\"operate CROB 3 LATCH_ON\","
		    "\"result\":\"ok\"}");
	}

	/* the same, but the outstation answers NO_SELECT (status 2) */
	dnp3_init(t0(901), 5002);
	dnp3_msg(&d3.req, 4, 0xC6, 3, 4, t0(901));
	crob(&d3.req, 0);
	dnp3_msg(&d3.resp, 129, 0xC6, 4, 3, t0(901) + 1000);
	crob(&d3.resp, 2);
	d3.matched = true;
	ngot = 0;
	out_emit(&d3.h);
	if (ngot)
		streq("no select", got[0].result, "status NO_SELECT (CROB 3)");

	/* direct operate, no ack: no response expected */
	dnp3_init(t0(902), 5003);
	dnp3_msg(&d3.req, 6, 0xC7, 3, 4, t0(902));
	crob(&d3.req, 0);
	ngot = 0;
	out_emit(&d3.h);
	if (ngot) {
		streq("nr detail", got[0].detail,
		    "direct operate (no ack) CROB 3 LATCH_ON");
		streq("nr result", got[0].result, "no response expected");
	}
}

static void test_dnp3_iin_restart(void)
{
	struct dnp3_object *o;
	const char *j;

	/* unsolicited response with IIN 0x9000: DEVICE_RESTART + NEED_TIME */
	dnp3_init(t0(1000), 6001);
	d3.h.dir = DIR_TO_CLIENT;
	d3.unsolicited = true;
	dnp3_msg(&d3.resp, 130, 0xF0, 10, 1, t0(1000));
	d3.resp.iin = 0x9000;
	j = ser(&d3.h);
	has("iin names", j, "\"iin\":[\"NEED_TIME\",\"DEVICE_RESTART\"],"
	    "\"iin_raw\":36864");
	has("unsolicited", j, "\"unsolicited\":true");
	test_cond("no request object", strstr(j, "\"request\"") == NULL);
	ngot = 0;
	out_emit(&d3.h);
	test_eq_u64("state on", ngot, 1);
	if (ngot) {
		test_eq_u64("state kind", got[0].kind, DEVICE_KIND_STATE);
		streq("state detail", got[0].detail,
		    "DEVICE_RESTART on, NEED_TIME on (iin 0x9000)");
		test_eq_u64("state outstation", got[0].unit, 10);
		test_cond("state device is the server",
		    memcmp(got[0].ip, d3.h.key.dst, 4) == 0);
	}

	/* master clears IIN1.7 (write g80v1 index 7 := 0) */
	dnp3_init(t0(1001), 6002);
	dnp3_msg(&d3.req, 2, 0xC1, 1, 10, t0(1001));
	o = &d3.req.objects[d3.req.nobjects++];
	o->group = 80;
	o->variation = 1;
	o->qualifier = 0x00;
	o->has_range = o->has_data = true;
	o->start = o->stop = 7;
	o->count = 1;
	o->point_first = 0;
	o->point_count = 1;
	d3.points[0].index = 7;
	d3.points[0].kind = DNP3_VAL_BOOL;
	d3.points[0].ival = 0;
	d3.npoints = 1;
	dnp3_msg(&d3.resp, 129, 0xC1, 10, 1, t0(1001) + 1000);
	d3.resp.iin = 0x1000;
	d3.matched = true;
	ngot = 0;
	out_emit(&d3.h);
	test_eq_u64("write + state off", ngot, 2);
	if (ngot == 2) {
		streq("write detail", got[0].detail, "IIN DEVICE_RESTART := 0");
		streq("write action", got[0].action, "write");
		streq("restart off", got[1].detail,
		    "DEVICE_RESTART off (iin 0x1000)");
	}

	/* same IIN again: nothing changes */
	dnp3_init(t0(1002), 6003);
	d3.h.dir = DIR_TO_CLIENT;
	d3.unsolicited = true;
	dnp3_msg(&d3.resp, 130, 0xF2, 10, 1, t0(1002));
	d3.resp.iin = 0x1000;
	ngot = 0;
	out_emit(&d3.h);
	test_eq_u64("no change, no record", ngot, 0);

	/* cold restart answered with g52v2 time delay 1000 ms */
	dnp3_init(t0(1003), 6004);
	dnp3_msg(&d3.req, 13, 0xC3, 1, 10, t0(1003));
	dnp3_msg(&d3.resp, 129, 0xC3, 10, 1, t0(1003) + 500);
	d3.resp.iin = 0x1000;
	o = &d3.resp.objects[d3.resp.nobjects++];
	o->group = 52;
	o->variation = 2;
	o->qualifier = 0x07;
	o->has_data = true;
	o->count = 1;
	o->point_first = 0;
	o->point_count = 1;
	d3.points[0].index = 0;
	d3.points[0].kind = DNP3_VAL_UINT;
	d3.points[0].ival = 1000;
	d3.npoints = 1;
	d3.matched = true;
	j = ser(&d3.h);
	has("g52 point", j, "\"group\":52,\"variation\":2,\"name\":\"time_delay\","
	    "\"qualifier\":7,\"count\":1,\"points\":[{\"index\":0,\"value\":1000}]");
	ngot = 0;
	out_emit(&d3.h);
	test_eq_u64("restart logged", ngot, 1);
	if (ngot) {
		streq("restart action", got[0].action, "cold_restart");
		streq("restart detail", got[0].detail, "cold restart");
		streq("restart result", got[0].result, "ok, restart in 1000 ms");
	}
}

static void test_dnp3_points(void)
{
	struct dnp3_object *o;
	const char *j;

	/* READ class 0 answered with g30v5 (float), g3v2 (double bit, time) */
	dnp3_init(t0(1100), 7001);
	dnp3_msg(&d3.req, 1, 0xC8, 1, 20, t0(1100));
	o = &d3.req.objects[d3.req.nobjects++];
	o->group = 60;
	o->variation = 1;
	o->qualifier = 0x06;
	dnp3_msg(&d3.resp, 129, 0xC8, 20, 1, t0(1100) + 100);
	o = &d3.resp.objects[d3.resp.nobjects++];
	o->group = 30;
	o->variation = 5;
	o->qualifier = 0x01;
	o->has_range = o->has_data = true;
	o->start = 2;
	o->stop = 3;
	o->count = 2;
	o->point_first = 0;
	o->point_count = 2;
	d3.points[0].index = 2;
	d3.points[0].kind = DNP3_VAL_FLOAT;
	d3.points[0].fval = 12.5;
	d3.points[0].has_flags = true;
	d3.points[0].flags = 0x01;	/* ONLINE */
	d3.points[1].index = 3;
	d3.points[1].kind = DNP3_VAL_FLOAT;
	d3.points[1].fval = (float)0.1;
	d3.points[1].has_flags = true;
	d3.points[1].flags = 0x01;
	o = &d3.resp.objects[d3.resp.nobjects++];
	o->group = 4;
	o->variation = 2;
	o->qualifier = 0x28;
	o->has_data = true;
	o->count = 1;
	o->point_first = 2;
	o->point_count = 1;
	d3.points[2].index = 9;
	d3.points[2].kind = DNP3_VAL_DBIT;
	d3.points[2].ival = 2;		/* ON (IEEE 1815 A.5) */
	d3.points[2].has_flags = true;
	d3.points[2].flags = 0x81;
	d3.points[2].has_time = true;
	d3.points[2].time_ms = 1704067200123ULL;
	d3.npoints = 3;
	d3.matched = true;
	j = ser(&d3.h);
	has("float points", j, "\"points\":[{\"index\":2,\"value\":12.5,"
	    "\"flags\":1},{\"index\":3,\"value\":0.1,\"flags\":1}]");
	has("range", j, "\"qualifier\":1,\"start\":2,\"stop\":3,\"count\":2");
	has("double bit + time", j, "{\"index\":9,\"value\":\"ON\",\"flags\":129,"
	    "\"time\":\"2024-01-01T00:00:00.123Z\"}");
	ngot = 0;
	out_emit(&d3.h);
	test_eq_u64("read summarized", ngot, 0);
	device_log_flush();
	test_eq_u64("read summary", ngot, 1);
	if (ngot) {
		streq("read detail", got[0].detail, "class 0");
		streq("read action", got[0].action, "read");
		test_eq_u64("read summary count", got[0].count, 1);
	}

	/* unknown application function */
	dnp3_init(t0(1101), 7002);
	dnp3_msg(&d3.req, 200, 0xC9, 1, 20, t0(1101));
	j = ser(&d3.h);
	has("unknown dnp3 fc", j, "\"function_code\":200,"
	    "\"function\":\"unknown-200\"");
	has("unmatched", j, "\"matched\":false,\"unsolicited\":false");
	ngot = 0;
	out_emit(&d3.h);
	if (ngot) {
		streq("unknown action", got[0].action, "function_200");
		streq("unknown result", got[0].result, "no response");
	}
}

int main(void)
{
	out_set_hook(hook, NULL);
	test_modbus_write_multiple();
	test_modbus_exception();
	test_modbus_summary();
	test_modbus_misc();
	test_modbus_devid_umas();
	test_dnp3_operate();
	test_dnp3_iin_restart();
	test_dnp3_points();
	device_log_flush();
	return test_report();
}
