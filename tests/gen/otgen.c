/*
 * otgen.c - deterministic Modbus/TCP and DNP3 captures with expected facts.
 *
 *   otgen golden OUTDIR                  small captures, one per case
 *   otgen bench OUTFILE SIZE_MB [SEED]   one large OT-heavy capture
 *
 * A standalone program: no libpcap, no spanlog code.  The pcap writer,
 * TCP/UDP conversations and Modbus/DNP3 framing live in gen_common.h,
 * shared with scengen.c.  Captures are classic pcap (magic a1b2c3d4 written
 * little-endian, version 2.4, microsecond timestamps, DLT_EN10MB), Ethernet
 * + IPv4 + TCP or UDP, every IPv4/TCP/UDP checksum computed.  Nothing
 * depends on the clock or the environment: golden timestamps start at
 * 2024-01-01T00:00:00Z and advance 1000 us per packet; bench mode uses a
 * xorshift64* PRNG seeded from SEED (default 1).
 *
 * ---------------------------------------------------------------------------
 * Golden mode
 * ---------------------------------------------------------------------------
 * For each case OUTDIR/<case>.pcap and OUTDIR/<case>.facts.jsonl.  A facts
 * file holds one JSON object per line, checked by tests/lib/check_ot_facts.py:
 *
 *   {"event_type": T, key: value, ...}   one event of type T must carry
 *                                        these values (each fact its own
 *                                        event); keys are looked up inside
 *                                        the event's T object first, then at
 *                                        the top; "a.b.0.c" walks objects
 *                                        and lists; an object value matches
 *                                        when its listed keys match (a
 *                                        subset), a list must have the same
 *                                        length and match item by item; a
 *                                        key ending in "^" is a prefix match
 *   {"count_event_type": T, "count": N [, key: value ...]}
 *                                        exactly N events of type T (that
 *                                        match the extra keys, if any)
 *
 * Every value is written from the variables this program used to build the
 * bytes (addresses, quantities, register values, function codes, object
 * headers, point values), never from spanlog output.  Names (function,
 * exception, IIN bit, CROB op, control status, UMAS function) are the
 * spec's names spelled as Zeek's consts spell them; device-log "action",
 * "detail" and "result" strings follow the formats documented at the top of
 * ot/device_log.c, filled from the generator's values.  Reads are not
 * logged one line each in the device log (they are summarized), so device
 * facts are given for writes, diagnostics, program, identification and
 * control functions, plus one summary per read case.
 *
 * Bytes follow: MODBUS Application Protocol Specification V1.1b3 (6.1-6.21,
 * 7), MODBUS Messaging on TCP/IP Implementation Guide V1.0b (MBAP), IEEE
 * 1815-2012 (DNP3: 9.2 link frame and CRC, 8.2 transport, 4.2 application,
 * annex A objects), UMAS function codes from public notes.  CRC-16/DNP is
 * computed here (poly 0x3D65 reflected = 0xA6BC, init 0, xor out 0xFFFF,
 * little-endian on the wire) and checked at start-up against the check
 * value of "123456789" (0xEA82) and the known frame
 * 05 64 05 C0 01 00 00 04 E9 21.
 *
 * ---------------------------------------------------------------------------
 * Bench mode
 * ---------------------------------------------------------------------------
 * Many masters polling many PLCs (Modbus/TCP, port 502: FC 3 mostly, FC 4,
 * FC 1, some FC 16 writes) and RTUs (DNP3/TCP, port 20000: class 0 polls
 * answered with g30v2, some CROB direct operates), each transaction one
 * request segment and one response segment, connections opened with a
 * handshake on first use and closed at the end.  The transaction counts go
 * to stderr and to OUTFILE.facts as {"modbus_transactions":N,
 * "dnp3_transactions":M}.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OTGEN_T0_US (1704067200ULL * 1000000ULL)
#define OTGEN_T0_MS (1704067200ULL * 1000ULL)

#define GEN_PROG "otgen"
#include "gen_common.h"

/* ------------------------------------------------------------------------
 * Facts
 * --------------------------------------------------------------------- */

static FILE *facts;

static void fact(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fact(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(facts, fmt, ap);
	va_end(ap);
	fputc('\n', facts);
}

/* "[10,20,30]" (JSON) or "[10, 20, 30]" (device-log text) */
static const char *regs_list(const uint16_t *v, unsigned n, bool spaced)
{
	static char b[4][2048];
	static unsigned k;
	char *s = b[k++ & 3];
	size_t len = 0;

	s[len++] = '[';
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, 2048 - len, "%s%u",
		    i ? (spaced ? ", " : ",") : "", v[i]);
	snprintf(s + len, 2048 - len, "]");
	return s;
}

/* bits LSB first: JSON booleans or device-log 0/1 */
static const char *bits_list(const uint8_t *bytes, unsigned n, bool json)
{
	static char b[4][4096];
	static unsigned k;
	char *s = b[k++ & 3];
	size_t len = 0;

	s[len++] = '[';
	for (unsigned i = 0; i < n; i++) {
		bool on = (bytes[i / 8] >> (i % 8)) & 1;

		len += (size_t)snprintf(s + len, 4096 - len, "%s%s",
		    i ? (json ? "," : ", ") : "",
		    json ? (on ? "true" : "false") : (on ? "1" : "0"));
	}
	snprintf(s + len, 4096 - len, "]");
	return s;
}

/*
 * The device (server side) and client of the current golden connection,
 * as the device log should name them.
 */
static char dev_ip[16], dev_by[16];
static unsigned dev_port;
static const char *golden_dir;
static struct out gout;

/* Response ts - request ts of a pair written by mb_pair(), in ms. */
static double rtt_ms(void)
{
	return gout.step_us / 1000.0;
}

static void dev_set(const struct conn *c)
{
	snprintf(dev_ip, sizeof(dev_ip), "%u.%u.%u.%u", c->ip[1][0],
	    c->ip[1][1], c->ip[1][2], c->ip[1][3]);
	snprintf(dev_by, sizeof(dev_by), "%u.%u.%u.%u", c->ip[0][0],
	    c->ip[0][1], c->ip[0][2], c->ip[0][3]);
	dev_port = c->port[1];
}

/* ------------------------------------------------------------------------
 * Modbus
 * --------------------------------------------------------------------- */

static const char *const mb_fname[128] = {
	[1] = "READ_COILS", [2] = "READ_DISCRETE_INPUTS",
	[3] = "READ_HOLDING_REGISTERS", [4] = "READ_INPUT_REGISTERS",
	[5] = "WRITE_SINGLE_COIL", [6] = "WRITE_SINGLE_REGISTER",
	[7] = "READ_EXCEPTION_STATUS", [8] = "DIAGNOSTICS",
	[11] = "GET_COMM_EVENT_COUNTER", [12] = "GET_COMM_EVENT_LOG",
	[15] = "WRITE_MULTIPLE_COILS", [16] = "WRITE_MULTIPLE_REGISTERS",
	[17] = "REPORT_SLAVE_ID", [20] = "READ_FILE_RECORD",
	[21] = "WRITE_FILE_RECORD", [22] = "MASK_WRITE_REGISTER",
	[23] = "READ_WRITE_MULTIPLE_REGISTERS", [24] = "READ_FIFO_QUEUE",
	[43] = "ENCAP_INTERFACE_TRANSPORT", [90] = "PROGRAM_UNITY",
};

/* FC 1/2: read bits. */
static void mb_read_bits(struct out *o, struct conn *c, uint16_t tid,
    uint8_t unit, uint8_t fc, uint16_t addr, uint16_t qty,
    const uint8_t *bits)
{
	struct bb q = { 0 }, r = { 0 };
	unsigned nb = (qty + 7u) / 8u;

	bb_u8(&q, fc);
	bb_be16(&q, addr);
	bb_be16(&q, qty);
	bb_u8(&r, fc);
	bb_u8(&r, nb);
	bb_mem(&r, bits, nb);
	mb_pair(o, c, tid, unit, &q, &r);
	fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,\"unit_id\":%u,"
	    "\"function_code\":%u,\"function\":\"%s\",\"category\":\"read\","
	    "\"address\":%u,\"quantity\":%u,"
	    "\"response_values\":{\"start\":%u,\"values\":%s},"
	    "\"matched\":true,\"rtt_ms\":%g}", tid, unit, fc, mb_fname[fc],
	    addr, qty, addr, bits_list(bits, qty, true), rtt_ms());
}

/* FC 3/4: read registers. */
static void mb_read_regs(struct out *o, struct conn *c, uint16_t tid,
    uint8_t unit, uint8_t fc, uint16_t addr, uint16_t qty,
    const uint16_t *vals)
{
	struct bb q = { 0 }, r = { 0 };

	bb_u8(&q, fc);
	bb_be16(&q, addr);
	bb_be16(&q, qty);
	bb_u8(&r, fc);
	bb_u8(&r, 2u * qty);
	for (unsigned i = 0; i < qty; i++)
		bb_be16(&r, vals[i]);
	mb_pair(o, c, tid, unit, &q, &r);
	fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,\"unit_id\":%u,"
	    "\"function_code\":%u,\"function\":\"%s\",\"category\":\"read\","
	    "\"address\":%u,\"quantity\":%u,"
	    "\"response_values\":{\"start\":%u,\"values\":%s},"
	    "\"matched\":true,\"rtt_ms\":%g}", tid, unit, fc, mb_fname[fc],
	    addr, qty, addr, regs_list(vals, qty, false), rtt_ms());
}

/* FC 16: write registers. */
static void mb_write_regs(struct out *o, struct conn *c, uint16_t tid,
    uint8_t unit, uint16_t addr, uint16_t qty, const uint16_t *vals)
{
	struct bb q = { 0 }, r = { 0 };

	bb_u8(&q, 16);
	bb_be16(&q, addr);
	bb_be16(&q, qty);
	bb_u8(&q, 2u * qty);
	for (unsigned i = 0; i < qty; i++)
		bb_be16(&q, vals[i]);
	bb_u8(&r, 16);
	bb_be16(&r, addr);
	bb_be16(&r, qty);
	mb_pair(o, c, tid, unit, &q, &r);
	fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,\"unit_id\":%u,"
	    "\"function_code\":16,\"function\":\"WRITE_MULTIPLE_REGISTERS\","
	    "\"category\":\"write\",\"address\":%u,\"quantity\":%u,"
	    "\"request_values\":{\"start\":%u,\"values\":%s},\"matched\":true,"
	    "\"rtt_ms\":%g}", tid, unit, addr, qty, addr,
	    regs_list(vals, qty, false), rtt_ms());
	fact("{\"event_type\":\"device\",\"protocol\":\"modbus\",\"kind\":\"command\","
	    "\"ip\":\"%s\",\"by\":\"%s\",\"port\":%u,"
	    "\"unit\":%u,\"action\":\"write_registers\","
	    "\"detail\":\"holding %u..%u := %s\",\"result\":\"ok\"}", dev_ip,
	    dev_by, dev_port, unit, addr, addr + qty - 1u,
	    regs_list(vals, qty, true));
}

/* Device-log fact for a command with an exact detail (dev_ip, dev_by). */
static void dev_fact(const char *proto, unsigned unit, const char *action,
    const char *detail, const char *result)
{
	fact("{\"event_type\":\"device\",\"protocol\":\"%s\",\"kind\":\"command\","
	    "\"ip\":\"%s\",\"by\":\"%s\",\"port\":%u,"
	    "\"unit\":%u,\"action\":\"%s\",\"detail\":\"%s\",\"result\":\"%s\"}",
	    proto, dev_ip, dev_by, dev_port, unit, action, detail, result);
}

static char cur_case[64];

static void case_begin(const char *name)
{
	char p[4096];

	snprintf(cur_case, sizeof(cur_case), "%s", name);
	snprintf(p, sizeof(p), "%s/%s.pcap", golden_dir, name);
	out_open(&gout, p, OTGEN_T0_US, 1000);
	snprintf(p, sizeof(p), "%s/%s.facts.jsonl", golden_dir, name);
	facts = fopen(p, "w");
	if (!facts)
		die("%s: %s", p, strerror(errno));
}

static void case_end(void)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s.pcap", golden_dir, cur_case);
	out_close(&gout, p);
	if (fclose(facts) != 0)
		die("facts of %s: write failed", cur_case);
	facts = NULL;
}

/*
 * modbus_fc: one connection 10.0.0.10 -> 10.0.1.5:502, unit 1, one
 * request/response per function code of the public set (FC 1-8, 11, 12,
 * 15-17, 20-24, 43/14), tids 1, 2, ...
 */
static void case_modbus_fc(void)
{
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	uint16_t tid = 1;
	const uint8_t unit = 1;

	case_begin("modbus_fc");
	conn_init(&c, false, "10.0.0.10", 40001, "10.0.1.5", 502);
	dev_set(&c);
	conn_open(o, &c);

	{	/* FC 1: coils 0..9 */
		static const uint8_t bits[] = { 0xcd, 0x01 };

		mb_read_bits(o, &c, tid++, unit, 1, 0, 10, bits);
	}
	{	/* FC 2: discrete inputs 100..104 */
		static const uint8_t bits[] = { 0x15 };

		mb_read_bits(o, &c, tid++, unit, 2, 100, 5, bits);
	}
	{	/* FC 3: holding 100..102 */
		static const uint16_t v[] = { 555, 0, 65535 };

		mb_read_regs(o, &c, tid++, unit, 3, 100, 3, v);
	}
	{	/* FC 4: input 0..1 */
		static const uint16_t v[] = { 1234, 4321 };

		mb_read_regs(o, &c, tid++, unit, 4, 0, 2, v);
	}
	{	/* FC 5: coil 5 := ON (0xFF00), echoed */
		const uint16_t addr = 5, val = 0xff00;

		q.n = 0;
		bb_u8(&q, 5);
		bb_be16(&q, addr);
		bb_be16(&q, val);
		mb_pair(o, &c, tid, unit, &q, &q);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":5,\"function\":\"WRITE_SINGLE_COIL\","
		    "\"category\":\"write\",\"address\":%u,"
		    "\"request_values\":{\"start\":%u,\"values\":[true],\"raw\":%u},"
		    "\"matched\":true}", tid, addr, addr, val);
		dev_fact("modbus", unit, "write_coil", "coil 5 := ON", "ok");
		tid++;
	}
	{	/* FC 6: holding 4 := 1234, echoed */
		const uint16_t addr = 4, val = 1234;

		q.n = 0;
		bb_u8(&q, 6);
		bb_be16(&q, addr);
		bb_be16(&q, val);
		mb_pair(o, &c, tid, unit, &q, &q);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":6,\"function\":\"WRITE_SINGLE_REGISTER\","
		    "\"category\":\"write\",\"address\":%u,"
		    "\"request_values\":{\"start\":%u,\"values\":[%u]},"
		    "\"matched\":true}", tid, addr, addr, val);
		dev_fact("modbus", unit, "write_register", "holding 4 := 1234",
		    "ok");
		tid++;
	}
	{	/* FC 7: exception status 0x6d */
		static const uint8_t st[] = { 0x6d };

		q.n = r.n = 0;
		bb_u8(&q, 7);
		bb_u8(&r, 7);
		bb_u8(&r, st[0]);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":7,\"function\":\"READ_EXCEPTION_STATUS\","
		    "\"category\":\"diagnostic\",\"response_values\":{\"values\":%s},"
		    "\"matched\":true}", tid, bits_list(st, 8, true));
		dev_fact("modbus", unit, "read_exception_status",
		    "READ_EXCEPTION_STATUS", "ok");
		tid++;
	}
	{	/* FC 8: sub 0 (echo a537), sub 1 (restart comms), sub 4 (no reply) */
		static const struct {
			uint16_t sub, data;
			const char *name;
			bool reply;
		} d8[] = {
			{ 0x0000, 0xa537, "RETURN_QUERY_DATA", true },
			{ 0x0001, 0x0000, "RESTART_COMMUNICATIONS_OPTION", true },
			{ 0x0004, 0x0000, "FORCE_LISTEN_ONLY_MODE", false },
		};

		for (unsigned i = 0; i < sizeof(d8) / sizeof(d8[0]); i++) {
			char det[128];

			q.n = 0;
			bb_u8(&q, 8);
			bb_be16(&q, d8[i].sub);
			bb_be16(&q, d8[i].data);
			/* spec 6.8: the normal response echoes the request;
			   force listen only returns no response */
			mb_pair(o, &c, tid, unit, &q, d8[i].reply ? &q : NULL);
			fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
			    "\"function_code\":8,\"function\":\"DIAGNOSTICS\","
			    "\"category\":\"diagnostic\",\"subfunction\":%u,"
			    "\"subfunction_name\":\"%s\","
			    "\"request_values\":{\"values\":[%u]},\"matched\":%s}",
			    tid, d8[i].sub, d8[i].name, d8[i].data,
			    d8[i].reply ? "true" : "false");
			snprintf(det, sizeof(det), "%s (sub %u) data %04x",
			    d8[i].name, d8[i].sub, d8[i].data);
			dev_fact("modbus", unit, "diagnostics", det,
			    d8[i].reply ? "ok" : "no response");
			tid++;
		}
	}
	{	/* FC 11: status 0xffff, event count 264 */
		const uint16_t st = 0xffff, cnt = 264;

		q.n = r.n = 0;
		bb_u8(&q, 11);
		bb_u8(&r, 11);
		bb_be16(&r, st);
		bb_be16(&r, cnt);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":11,\"function\":\"GET_COMM_EVENT_COUNTER\","
		    "\"category\":\"diagnostic\",\"response_values\":{\"values\":[%u,%u]},"
		    "\"matched\":true}", tid, st, cnt);
		dev_fact("modbus", unit, "get_comm_event_counter",
		    "GET_COMM_EVENT_COUNTER", "ok");
		tid++;
	}
	{	/* FC 12: status 0, event count 264, message count 289, 2 events */
		q.n = r.n = 0;
		bb_u8(&q, 12);
		bb_u8(&r, 12);
		bb_u8(&r, 8);
		bb_be16(&r, 0x0000);
		bb_be16(&r, 264);
		bb_be16(&r, 289);
		bb_u8(&r, 0x20);
		bb_u8(&r, 0x00);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":12,\"function\":\"GET_COMM_EVENT_LOG\","
		    "\"category\":\"diagnostic\",\"matched\":true}", tid);
		dev_fact("modbus", unit, "get_comm_event_log",
		    "GET_COMM_EVENT_LOG", "ok");
		tid++;
	}
	{	/* FC 15: coils 20..29 := cd 01 */
		static const uint8_t bits[] = { 0xcd, 0x01 };
		const uint16_t addr = 20, qty = 10;
		char det[256];

		q.n = r.n = 0;
		bb_u8(&q, 15);
		bb_be16(&q, addr);
		bb_be16(&q, qty);
		bb_u8(&q, 2);
		bb_mem(&q, bits, 2);
		bb_u8(&r, 15);
		bb_be16(&r, addr);
		bb_be16(&r, qty);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":15,\"function\":\"WRITE_MULTIPLE_COILS\","
		    "\"category\":\"write\",\"address\":%u,\"quantity\":%u,"
		    "\"request_values\":{\"start\":%u,\"values\":%s},"
		    "\"matched\":true}", tid, addr, qty, addr,
		    bits_list(bits, qty, true));
		snprintf(det, sizeof(det), "coils %u..%u := %s", addr,
		    addr + qty - 1u, bits_list(bits, qty, false));
		dev_fact("modbus", unit, "write_coils", det, "ok");
		tid++;
	}
	{	/* FC 16: holding 100..102 := 10, 20, 30 */
		static const uint16_t v[] = { 10, 20, 30 };

		mb_write_regs(o, &c, tid++, unit, 100, 3, v);
	}
	{	/* FC 17: server id 0x42, run indicator ON, "PLC1" */
		q.n = r.n = 0;
		bb_u8(&q, 17);
		bb_u8(&r, 17);
		bb_u8(&r, 6);
		bb_u8(&r, 0x42);
		bb_u8(&r, 0xff);
		bb_mem(&r, "PLC1", 4);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":17,\"function\":\"REPORT_SLAVE_ID\","
		    "\"category\":\"identification\",\"matched\":true}", tid);
		dev_fact("modbus", unit, "report_server_id", "REPORT_SLAVE_ID",
		    "ok");
		tid++;
	}
	{	/* FC 20: file 4 record 1 length 2 -> [0x0dfe, 0x0020] */
		const uint16_t file = 4, rec = 1, len = 2;
		static const uint16_t data[] = { 0x0dfe, 0x0020 };
		char det[128];

		q.n = r.n = 0;
		bb_u8(&q, 20);
		bb_u8(&q, 7);
		bb_u8(&q, 6);
		bb_be16(&q, file);
		bb_be16(&q, rec);
		bb_be16(&q, len);
		bb_u8(&r, 20);
		bb_u8(&r, 2 + 2 * len);		/* response data length */
		bb_u8(&r, 1 + 2 * len);		/* file response length */
		bb_u8(&r, 6);
		for (unsigned i = 0; i < len; i++)
			bb_be16(&r, data[i]);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":20,\"function\":\"READ_FILE_RECORD\","
		    "\"file_records\":[{\"reference_type\":6,\"file\":%u,"
		    "\"record\":%u,\"length\":%u,\"values\":%s}],"
		    "\"matched\":true}", tid, file, rec, len,
		    regs_list(data, len, false));
		snprintf(det, sizeof(det), "file %u record %u length %u", file,
		    rec, len);
		dev_fact("modbus", unit, "read_file_record", det, "ok");
		tid++;
	}
	{	/* FC 21: file 4 record 7 := [0x06af, 0x04be, 0x100d], echoed */
		const uint16_t file = 4, rec = 7, len = 3;
		static const uint16_t data[] = { 0x06af, 0x04be, 0x100d };
		char det[128];

		q.n = 0;
		bb_u8(&q, 21);
		bb_u8(&q, 7 + 2 * len);
		bb_u8(&q, 6);
		bb_be16(&q, file);
		bb_be16(&q, rec);
		bb_be16(&q, len);
		for (unsigned i = 0; i < len; i++)
			bb_be16(&q, data[i]);
		mb_pair(o, &c, tid, unit, &q, &q);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":21,\"function\":\"WRITE_FILE_RECORD\","
		    "\"category\":\"write\",\"file_records\":[{\"reference_type\":6,"
		    "\"file\":%u,\"record\":%u,\"length\":%u,\"values\":%s}],"
		    "\"matched\":true}", tid, file, rec, len,
		    regs_list(data, len, false));
		snprintf(det, sizeof(det), "file %u record %u := %s", file, rec,
		    regs_list(data, len, true));
		dev_fact("modbus", unit, "write_file_record", det, "ok");
		tid++;
	}
	{	/* FC 22: holding 4 := (x & 0x00f2) | 0x0025, echoed */
		const uint16_t addr = 4, andm = 0x00f2, orm = 0x0025;
		char det[128];

		q.n = 0;
		bb_u8(&q, 22);
		bb_be16(&q, addr);
		bb_be16(&q, andm);
		bb_be16(&q, orm);
		mb_pair(o, &c, tid, unit, &q, &q);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":22,\"function\":\"MASK_WRITE_REGISTER\","
		    "\"category\":\"write\",\"address\":%u,\"and_mask\":%u,"
		    "\"or_mask\":%u,\"matched\":true}", tid, addr, andm, orm);
		snprintf(det, sizeof(det), "holding %u := (x & 0x%04x) | 0x%04x",
		    addr, andm, orm);
		dev_fact("modbus", unit, "mask_write_register", det, "ok");
		tid++;
	}
	{	/* FC 23: write 14..16 := 255 x3, read 3..8 */
		const uint16_t raddr = 3, rqty = 6, waddr = 14, wqty = 3;
		static const uint16_t wv[] = { 0x00ff, 0x00ff, 0x00ff };
		static const uint16_t rv[] = { 0x00fe, 0x0acd, 0x0001, 0x0003,
			0x000d, 0x00ff };
		char det[256];

		q.n = r.n = 0;
		bb_u8(&q, 23);
		bb_be16(&q, raddr);
		bb_be16(&q, rqty);
		bb_be16(&q, waddr);
		bb_be16(&q, wqty);
		bb_u8(&q, 2 * wqty);
		for (unsigned i = 0; i < wqty; i++)
			bb_be16(&q, wv[i]);
		bb_u8(&r, 23);
		bb_u8(&r, 2 * rqty);
		for (unsigned i = 0; i < rqty; i++)
			bb_be16(&r, rv[i]);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":23,"
		    "\"function\":\"READ_WRITE_MULTIPLE_REGISTERS\","
		    "\"address\":%u,\"quantity\":%u,\"write_address\":%u,"
		    "\"write_quantity\":%u,"
		    "\"request_values\":{\"start\":%u,\"values\":%s},"
		    "\"response_values\":{\"start\":%u,\"values\":%s},"
		    "\"matched\":true}", tid, raddr, rqty, waddr, wqty, waddr,
		    regs_list(wv, wqty, false), raddr, regs_list(rv, rqty, false));
		snprintf(det, sizeof(det), "holding %u..%u := %s; read holding %u..%u",
		    waddr, waddr + wqty - 1u, regs_list(wv, wqty, true), raddr,
		    raddr + rqty - 1u);
		dev_fact("modbus", unit, "read_write_registers", det, "ok");
		tid++;
	}
	{	/* FC 24: FIFO at 0x04de holds [0x01b8, 0x1284] */
		const uint16_t ptr = 0x04de;
		static const uint16_t fv[] = { 0x01b8, 0x1284 };

		q.n = r.n = 0;
		bb_u8(&q, 24);
		bb_be16(&q, ptr);
		bb_u8(&r, 24);
		bb_be16(&r, 2 + 2 * 2);		/* byte count */
		bb_be16(&r, 2);			/* FIFO count */
		bb_be16(&r, fv[0]);
		bb_be16(&r, fv[1]);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":24,\"function\":\"READ_FIFO_QUEUE\","
		    "\"address\":%u,\"fifo_count\":2,"
		    "\"response_values\":{\"values\":%s},\"matched\":true}",
		    tid, ptr, regs_list(fv, 2, false));
		tid++;
	}
	{	/* FC 43/14: basic device identification, 3 objects */
		static const char *const obj[3] = { "Schneider Electric",
			"BMX P34 2020", "v3.10" };

		q.n = r.n = 0;
		bb_u8(&q, 43);
		bb_u8(&q, 14);
		bb_u8(&q, 1);
		bb_u8(&q, 0);
		bb_u8(&r, 43);
		bb_u8(&r, 14);
		bb_u8(&r, 1);		/* read device id code */
		bb_u8(&r, 0x01);	/* conformity level */
		bb_u8(&r, 0x00);	/* more follows */
		bb_u8(&r, 0x00);	/* next object id */
		bb_u8(&r, 3);		/* number of objects */
		for (unsigned i = 0; i < 3; i++) {
			bb_u8(&r, i);
			bb_u8(&r, (unsigned)strlen(obj[i]));
			bb_mem(&r, obj[i], strlen(obj[i]));
		}
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"function_code\":43,\"category\":\"identification\","
		    "\"mei_type\":14,\"device_id\":{\"read_device_id_code\":1,"
		    "\"object_id\":0,\"conformity_level\":1,\"more_follows\":false,"
		    "\"number_of_objects\":3,\"vendor\":\"%s\","
		    "\"product_code\":\"%s\",\"revision\":\"%s\"},"
		    "\"matched\":true}", tid, obj[0], obj[1], obj[2]);
		fact("{\"event_type\":\"device\",\"protocol\":\"modbus\","
		    "\"action\":\"read_device_id\",\"detail^\":"
		    "\"read device id code 1 object 0\",\"result\":\"ok\"}");
		tid++;
	}
	conn_close(o, &c);
	fact("{\"count_event_type\":\"modbus\",\"count\":%u}", tid - 1u);
	/* the FC 3 read went into a summary, one per (flow, unit, fc) */
	fact("{\"event_type\":\"device\",\"kind\":\"summary\","
	    "\"action\":\"read_holding_registers\",\"unit\":1,"
	    "\"detail\":\"holding 100..102\",\"count\":1,\"failed\":0,"
	    "\"result\":\"ok\"}");
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

/* modbus_umas: FC 90 with the UMAS functions of the issue, session 0x12. */
static void case_modbus_umas(void)
{
	static const struct {
		uint8_t code;
		const char *name;
		const char *action;
	} u[] = {
		{ 0x02, "READ_ID", "umas_read_id" },
		{ 0x41, "STOP_PLC", "umas_stop_plc" },
		{ 0x33, "INITIALIZE_DOWNLOAD", "umas_initialize_download" },
		{ 0x34, "DOWNLOAD_BLOCK", "umas_download_block" },
		{ 0x35, "END_STRATEGY_DOWNLOAD", "umas_end_strategy_download" },
		{ 0x30, "INITIALIZE_UPLOAD", "umas_initialize_upload" },
		{ 0x31, "UPLOAD_BLOCK", "umas_upload_block" },
		{ 0x40, "START_PLC", "umas_start_plc" },
	};
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	uint16_t tid = 0x100;
	const uint8_t unit = 0, sess = 0x12;

	case_begin("modbus_umas");
	conn_init(&c, false, "10.0.0.11", 40002, "10.0.1.6", 502);
	dev_set(&c);
	conn_open(o, &c);
	for (unsigned i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		char det[96];
		/* READ_ID is sent before a session exists: session byte 0 */
		uint8_t s = u[i].code == 0x02 ? 0 : sess;

		q.n = r.n = 0;
		bb_u8(&q, 90);
		bb_u8(&q, s);
		bb_u8(&q, u[i].code);
		if (u[i].code == 0x34) {	/* block number + some data */
			bb_le16(&q, 1);
			bb_le16(&q, 8);
			bb_mem(&q, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
		} else if (u[i].code == 0x31) {
			bb_le16(&q, 1);
		}
		bb_u8(&r, 90);
		bb_u8(&r, s);
		bb_u8(&r, 0xfe);
		if (u[i].code == 0x02)
			bb_mem(&r, "\x00\x01\x02\x03", 4);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"unit_id\":%u,\"function_code\":90,\"function\":\"PROGRAM_UNITY\","
		    "\"category\":\"program\",\"umas\":{\"session\":%u,"
		    "\"subfunction\":%u,\"name\":\"%s\",\"status\":254,"
		    "\"status_name\":\"RESPONSE_OK\"},\"matched\":true}",
		    tid, unit, s, u[i].code, u[i].name);
		snprintf(det, sizeof(det), "UMAS %s (0x%02x)", u[i].name,
		    u[i].code);
		dev_fact("modbus", unit, u[i].action, det, "ok");
		tid++;
	}
	conn_close(o, &c);
	fact("{\"count_event_type\":\"modbus\",\"count\":%u}", tid - 0x100u);
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

/* modbus_exceptions: exception responses with codes 1, 2, 3, 4. */
static void case_modbus_exceptions(void)
{
	static const struct {
		uint8_t fc, code;
		const char *fname, *xname, *action;
	} x[] = {
		{ 43, 1, "ENCAP_INTERFACE_TRANSPORT", "ILLEGAL_FUNCTION",
		    "read_device_id" },
		{ 3, 2, "READ_HOLDING_REGISTERS", "ILLEGAL_DATA_ADDRESS", NULL },
		{ 16, 3, "WRITE_MULTIPLE_REGISTERS", "ILLEGAL_DATA_VALUE",
		    "write_registers" },
		{ 6, 4, "WRITE_SINGLE_REGISTER", "SLAVE_DEVICE_FAILURE",
		    "write_register" },
	};
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	uint16_t tid = 10;
	const uint8_t unit = 7;

	case_begin("modbus_exceptions");
	conn_init(&c, false, "10.0.0.12", 40003, "10.0.1.7", 502);
	dev_set(&c);
	conn_open(o, &c);
	for (unsigned i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		q.n = r.n = 0;
		bb_u8(&q, x[i].fc);
		switch (x[i].fc) {
		case 43:
			bb_u8(&q, 14);
			bb_u8(&q, 1);
			bb_u8(&q, 0);
			break;
		case 3:
			bb_be16(&q, 9000);
			bb_be16(&q, 10);
			break;
		case 16:
			bb_be16(&q, 200);
			bb_be16(&q, 1);
			bb_u8(&q, 2);
			bb_be16(&q, 7);
			break;
		case 6:
			bb_be16(&q, 300);
			bb_be16(&q, 1);
			break;
		}
		bb_u8(&r, x[i].fc | 0x80);
		bb_u8(&r, x[i].code);
		mb_pair(o, &c, tid, unit, &q, &r);
		fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,"
		    "\"unit_id\":%u,\"function_code\":%u,"
		    "\"function\":\"%s_EXCEPTION\",\"exception_code\":%u,"
		    "\"exception\":\"%s\",\"matched\":true}", tid, unit, x[i].fc,
		    x[i].fname, x[i].code, x[i].xname);
		if (x[i].action)
			fact("{\"event_type\":\"device\",\"protocol\":\"modbus\","
			    "\"unit\":%u,\"action\":\"%s\","
			    "\"result\":\"exception %02X %s\"}", unit, x[i].action,
			    x[i].code, x[i].xname);
		tid++;
	}
	conn_close(o, &c);
	fact("{\"event_type\":\"device\",\"kind\":\"summary\","
	    "\"action\":\"read_holding_registers\",\"unit\":%u,"
	    "\"detail\":\"holding 9000..9009\",\"count\":1,\"failed\":1,"
	    "\"result\":\"1 of 1 failed, last: exception 02 ILLEGAL_DATA_ADDRESS\"}",
	    unit);
	fact("{\"count_event_type\":\"modbus\",\"count\":4}");
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

static void fc3_req(struct bb *q, uint16_t addr, uint16_t qty)
{
	q->n = 0;
	bb_u8(q, 3);
	bb_be16(q, addr);
	bb_be16(q, qty);
}

static void fc3_resp(struct bb *r, uint16_t qty, uint16_t base)
{
	r->n = 0;
	bb_u8(r, 3);
	bb_u8(r, 2 * qty);
	for (unsigned i = 0; i < qty; i++)
		bb_be16(r, base + i);
}

static void fc3_fact(uint16_t tid, uint8_t unit, uint16_t addr, uint16_t qty,
    uint16_t base, const char *extra)
{
	uint16_t v[125];

	for (unsigned i = 0; i < qty; i++)
		v[i] = (uint16_t)(base + i);
	fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,\"unit_id\":%u,"
	    "\"function_code\":3,\"address\":%u,\"quantity\":%u,"
	    "\"response_values\":{\"start\":%u,\"values\":%s}%s}", tid, unit,
	    addr, qty, addr, regs_list(v, qty, false), extra);
}

/* modbus_merged: 3 requests in one segment, 3 responses in one segment. */
static void case_modbus_merged(void)
{
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	uint8_t seg[1024];
	size_t n = 0;
	const uint8_t unit = 2;

	case_begin("modbus_merged");
	conn_init(&c, false, "10.0.0.13", 40004, "10.0.1.8", 502);
	dev_set(&c);
	conn_open(o, &c);
	for (unsigned i = 0; i < 3; i++) {
		fc3_req(&q, (uint16_t)(10 * i), (uint16_t)(2 + i));
		n += mb_adu(seg + n, (uint16_t)(21 + i), unit, &q);
	}
	conn_send(o, &c, 0, seg, n);
	n = 0;
	for (unsigned i = 0; i < 3; i++) {
		fc3_resp(&r, (uint16_t)(2 + i), (uint16_t)(100 * (i + 1)));
		n += mb_adu(seg + n, (uint16_t)(21 + i), unit, &r);
	}
	conn_send(o, &c, 1, seg, n);
	for (unsigned i = 0; i < 3; i++)
		fc3_fact((uint16_t)(21 + i), unit, (uint16_t)(10 * i),
		    (uint16_t)(2 + i), (uint16_t)(100 * (i + 1)),
		    ",\"matched\":true");
	conn_close(o, &c);
	fact("{\"count_event_type\":\"modbus\",\"count\":3}");
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

/*
 * modbus_split: one FC 16 request split over 3 segments (5, 6, rest), its
 * response over 3 segments (1, 7, rest), then a normal FC 3 pair.
 */
static void case_modbus_split(void)
{
	static const uint16_t v[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	uint8_t a[300];
	size_t n;
	const uint8_t unit = 3;
	const uint16_t tid = 0x1234, addr = 500, qty = 8;

	case_begin("modbus_split");
	conn_init(&c, false, "10.0.0.14", 40005, "10.0.1.9", 502);
	dev_set(&c);
	conn_open(o, &c);
	q.n = r.n = 0;
	bb_u8(&q, 16);
	bb_be16(&q, addr);
	bb_be16(&q, qty);
	bb_u8(&q, 2 * qty);
	for (unsigned i = 0; i < qty; i++)
		bb_be16(&q, v[i]);
	n = mb_adu(a, tid, unit, &q);
	conn_send(o, &c, 0, a, 5);
	conn_send(o, &c, 0, a + 5, 6);
	conn_send(o, &c, 0, a + 11, n - 11);
	bb_u8(&r, 16);
	bb_be16(&r, addr);
	bb_be16(&r, qty);
	n = mb_adu(a, tid, unit, &r);
	conn_send(o, &c, 1, a, 1);
	conn_send(o, &c, 1, a + 1, 7);
	conn_send(o, &c, 1, a + 8, n - 8);
	fact("{\"event_type\":\"modbus\",\"transaction_id\":%u,\"unit_id\":%u,"
	    "\"function_code\":16,\"address\":%u,\"quantity\":%u,"
	    "\"request_values\":{\"start\":%u,\"values\":%s},\"matched\":true}",
	    tid, unit, addr, qty, addr, regs_list(v, qty, false));
	fact("{\"event_type\":\"device\",\"action\":\"write_registers\","
	    "\"unit\":%u,\"detail\":\"holding %u..%u := %s\",\"result\":\"ok\"}",
	    unit, addr, addr + qty - 1u, regs_list(v, qty, true));
	fc3_req(&q, 0, 4);
	fc3_resp(&r, 4, 40);
	mb_pair(o, &c, tid + 1, unit, &q, &r);
	fc3_fact(tid + 1, unit, 0, 4, 40, ",\"matched\":true");
	conn_close(o, &c);
	fact("{\"count_event_type\":\"modbus\",\"count\":2}");
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

/* modbus_port5020: Modbus/TCP on a port that is not 502. */
static void case_modbus_port5020(void)
{
	static const uint16_t v[] = { 7, 8 };
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint8_t unit = 4;

	case_begin("modbus_port5020");
	conn_init(&c, false, "10.0.0.15", 40006, "10.0.1.10", 5020);
	dev_set(&c);
	conn_open(o, &c);
	fc3_req(&q, 1000, 5);
	fc3_resp(&r, 5, 77);
	mb_pair(o, &c, 1, unit, &q, &r);
	fc3_fact(1, unit, 1000, 5, 77,
	    ",\"matched\":true,\"dest_port\":5020");
	mb_write_regs(o, &c, 2, unit, 10, 2, v);
	conn_close(o, &c);
	fact("{\"count_event_type\":\"modbus\",\"count\":2}");
	case_end();
}

/* modbus_not_modbus: HTTP-like text on port 502: no modbus events. */
static void case_modbus_not_modbus(void)
{
	static const char req[] = "GET /status HTTP/1.1\r\nHost: plc\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "\r\nok";
	struct out *o = &gout;
	struct conn c;

	case_begin("modbus_not_modbus");
	conn_init(&c, false, "10.0.0.16", 40007, "10.0.1.11", 502);
	dev_set(&c);
	conn_open(o, &c);
	conn_send(o, &c, 0, (const uint8_t *)req, sizeof(req) - 1);
	conn_send(o, &c, 1, (const uint8_t *)resp, sizeof(resp) - 1);
	conn_send(o, &c, 0, (const uint8_t *)req, sizeof(req) - 1);
	conn_send(o, &c, 1, (const uint8_t *)resp, sizeof(resp) - 1);
	conn_close(o, &c);
	fact("{\"count_event_type\":\"modbus\",\"count\":0}");
	fact("{\"count_event_type\":\"device\",\"count\":0}");
	case_end();
}

/*
 * modbus_unmatched: pair tid 1; request tid 2 never answered; response
 * tid 3 with no request; pair tid 4.
 */
static void case_modbus_unmatched(void)
{
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint8_t unit = 5;

	case_begin("modbus_unmatched");
	conn_init(&c, false, "10.0.0.17", 40008, "10.0.1.12", 502);
	dev_set(&c);
	conn_open(o, &c);
	fc3_req(&q, 0, 2);
	fc3_resp(&r, 2, 10);
	mb_pair(o, &c, 1, unit, &q, &r);
	fc3_req(&q, 50, 3);
	mb_pair(o, &c, 2, unit, &q, NULL);
	fc3_resp(&r, 2, 90);
	mb_pair(o, &c, 3, unit, NULL, &r);
	fc3_req(&q, 4, 1);
	fc3_resp(&r, 1, 44);
	mb_pair(o, &c, 4, unit, &q, &r);
	conn_close(o, &c);
	fc3_fact(1, unit, 0, 2, 10, ",\"matched\":true");
	fact("{\"event_type\":\"modbus\",\"transaction_id\":2,\"unit_id\":%u,"
	    "\"function_code\":3,\"address\":50,\"quantity\":3,"
	    "\"matched\":false,\"response_seen\":false}", unit);
	fact("{\"event_type\":\"modbus\",\"transaction_id\":3,\"unit_id\":%u,"
	    "\"function_code\":3,\"response_values\":{\"values\":[90,91]},"
	    "\"matched\":false,\"request_seen\":false}", unit);
	fc3_fact(4, unit, 4, 1, 44, ",\"matched\":true");
	fact("{\"count_event_type\":\"modbus\",\"count\":4}");
	fact("{\"count_event_type\":\"modbus\",\"count\":2,\"matched\":false}");
	case_end();
}

/* ------------------------------------------------------------------------
 * DNP3 (frames, CRC and transport: gen_common.h)
 * --------------------------------------------------------------------- */

/* Points list of g30v2 / g20v5 style values, JSON. */
static void fact_points_int(char *s, size_t cap, unsigned start,
    const int32_t *v, unsigned n, int flags)
{
	size_t len = 0;

	len += (size_t)snprintf(s + len, cap - len, "[");
	for (unsigned i = 0; i < n && len < cap; i++) {
		if (flags >= 0)
			len += (size_t)snprintf(s + len, cap - len,
			    "%s{\"index\":%u,\"value\":%d,\"flags\":%d}",
			    i ? "," : "", start + i, v[i], flags);
		else
			len += (size_t)snprintf(s + len, cap - len,
			    "%s{\"index\":%u,\"value\":%d}", i ? "," : "",
			    start + i, v[i]);
	}
	if (len < cap)
		snprintf(s + len, cap - len, "]");
}

static void fact_points_bool(char *s, size_t cap, unsigned start,
    const uint8_t *flags, unsigned n)
{
	size_t len = 0;

	len += (size_t)snprintf(s + len, cap - len, "[");
	for (unsigned i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(s + len, cap - len,
		    "%s{\"index\":%u,\"value\":%s}", i ? "," : "", start + i,
		    (flags[i] & 0x80) ? "true" : "false");
	if (len < cap)
		snprintf(s + len, cap - len, "]");
}

#define M_ADDR 1	/* master link address */

/*
 * dnp3_read_multi (TCP 20000): READ class 0; the response is two
 * application fragments: fragment 1 (FIR, CON; g1v2 0..9 and g30v2 0..99,
 * 324 bytes, so two link frames: transport FIR then FIN) confirmed by the
 * master, then fragment 2 (FIN; g20v5 0..4).  Outstation address 10.
 */
static void case_dnp3_read_multi(void)
{
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint16_t out_addr = 10;
	const uint8_t seq = 3;
	uint8_t bflags[10];
	int32_t av[100], cv[5];
	static char pa[8192], pb[1024], pc[512];
	unsigned frames;

	case_begin("dnp3_read_multi");
	conn_init(&c, false, "10.0.2.1", 40010, "10.0.3.1", 20000);
	dev_set(&c);
	conn_open(o, &c);
	dnp3_req_hdr(&q, seq, 1);
	bb_u8(&q, 60);
	bb_u8(&q, 1);
	bb_u8(&q, 0x06);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);

	dnp3_resp_hdr(&r, 0x80 | 0x20 | seq, 129, 0);	/* FIR CON */
	bb_u8(&r, 1);
	bb_u8(&r, 2);
	bb_u8(&r, 0x00);
	bb_u8(&r, 0);
	bb_u8(&r, 9);
	for (unsigned i = 0; i < 10; i++) {
		bflags[i] = (uint8_t)(0x01 | ((i % 3 == 0) ? 0x80 : 0));
		bb_u8(&r, bflags[i]);
	}
	bb_u8(&r, 30);
	bb_u8(&r, 2);
	bb_u8(&r, 0x00);
	bb_u8(&r, 0);
	bb_u8(&r, 99);
	for (unsigned i = 0; i < 100; i++) {
		av[i] = (int32_t)i * 10 - 200;
		bb_u8(&r, 0x01);
		bb_le16(&r, (uint16_t)(int16_t)av[i]);
	}
	frames = dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	if (frames < 2)
		die("dnp3_read_multi: fragment 1 should take 2+ link frames");
	q.n = 0;
	bb_u8(&q, 0xc0 | seq);		/* CONFIRM of fragment 1 */
	bb_u8(&q, 0);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0x40 | ((seq + 1) & 0x0f), 129, 0);	/* FIN */
	bb_u8(&r, 20);
	bb_u8(&r, 5);
	bb_u8(&r, 0x00);
	bb_u8(&r, 0);
	bb_u8(&r, 4);
	for (unsigned i = 0; i < 5; i++) {
		cv[i] = (int32_t)(1000 + 7 * i);
		bb_le32(&r, (uint32_t)cv[i]);
	}
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	conn_close(o, &c);

	fact_points_bool(pb, sizeof(pb), 0, bflags, 10);
	fact_points_int(pa, sizeof(pa), 0, av, 100, 1);
	fact_points_int(pc, sizeof(pc), 0, cv, 5, -1);
	fact("{\"event_type\":\"dnp3\",\"src\":%u,\"dst\":%u,\"function_code\":1,"
	    "\"function\":\"READ\",\"matched\":true,\"unsolicited\":false,"
	    "\"request.objects\":[{\"group\":60,\"variation\":1,\"qualifier\":6}],"
	    "\"response.function_code\":129,\"response.src\":%u,"
	    "\"response.dst\":%u,\"response.application_control\":{\"fir\":true,"
	    "\"fin\":false,\"con\":true,\"uns\":false,\"seq\":%u},"
	    "\"response.objects\":[{\"group\":1,\"variation\":2,\"qualifier\":0,"
	    "\"start\":0,\"stop\":9,\"points\":%s},{\"group\":30,\"variation\":2,"
	    "\"qualifier\":0,\"start\":0,\"stop\":99,\"points\":%s}]}",
	    M_ADDR, out_addr, out_addr, M_ADDR, seq, pb, pa);
	fact("{\"event_type\":\"dnp3\",\"continuation\":true,"
	    "\"response.function_code\":129,"
	    "\"response.application_control\":{\"fir\":false,\"fin\":true,"
	    "\"seq\":%u},\"response.objects\":[{\"group\":20,\"variation\":5,"
	    "\"start\":0,\"stop\":4,\"points\":%s}]}", (seq + 1) & 0x0f, pc);
	fact("{\"count_event_type\":\"dnp3\",\"count\":2}");
	fact("{\"event_type\":\"device\",\"protocol\":\"dnp3\","
	    "\"kind\":\"summary\",\"unit\":%u,\"master\":%u,\"action\":\"read\","
	    "\"detail\":\"class 0\",\"count\":1,\"failed\":0,\"result\":\"ok\"}",
	    out_addr, M_ADDR);
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

/*
 * dnp3_bad_crc (TCP): a READ whose data block CRC is wrong (dropped), the
 * same READ again intact right behind it in the same TCP segment, answered
 * with g1v2 0..3.
 */
static void case_dnp3_bad_crc(void)
{
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint16_t out_addr = 11;
	uint8_t bflags[4] = { 0x81, 0x01, 0x81, 0x01 };
	char pb[512];

	case_begin("dnp3_bad_crc");
	conn_init(&c, false, "10.0.2.2", 40011, "10.0.3.2", 20000);
	dev_set(&c);
	conn_open(o, &c);
	dnp3_req_hdr(&q, 0, 1);
	bb_u8(&q, 60);
	bb_u8(&q, 1);
	bb_u8(&q, 0x06);
	/* the bad frame and the good one share one TCP segment */
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, DNP3_BAD_CRC | DNP3_HOLD);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc0, 129, 0);
	bb_u8(&r, 1);
	bb_u8(&r, 2);
	bb_u8(&r, 0x00);
	bb_u8(&r, 0);
	bb_u8(&r, 3);
	bb_mem(&r, bflags, 4);
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	conn_close(o, &c);
	fact_points_bool(pb, sizeof(pb), 0, bflags, 4);
	fact("{\"event_type\":\"dnp3\",\"function_code\":1,\"matched\":true,"
	    "\"bad_crc_total\":1,\"response.objects\":[{\"group\":1,"
	    "\"variation\":2,\"start\":0,\"stop\":3,\"points\":%s}]}", pb);
	fact("{\"count_event_type\":\"dnp3\",\"count\":1}");
	fact("{\"count_event_type\":\"anomaly\",\"count\":1,"
	    "\"detail^\":\"dnp3.bad_crc\"}");
	case_end();
}

/*
 * dnp3_unsolicited (TCP): a null unsolicited response (FC 130, UNS, CON)
 * with IIN1.7 DEVICE_RESTART, the master's CONFIRM, then the master clears
 * the bit (WRITE g80v1 index 7 := 0) and the response has IIN 0.
 */
static void case_dnp3_unsolicited(void)
{
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint16_t out_addr = 12;

	case_begin("dnp3_unsolicited");
	conn_init(&c, false, "10.0.2.3", 40012, "10.0.3.3", 20000);
	dev_set(&c);
	conn_open(o, &c);
	dnp3_resp_hdr(&r, 0xf0 | 0, 130, 0x8000);	/* FIR FIN CON UNS */
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	q.n = 0;
	bb_u8(&q, 0xd0 | 0);				/* FIR FIN UNS */
	bb_u8(&q, 0);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_req_hdr(&q, 1, 2);
	bb_u8(&q, 80);
	bb_u8(&q, 1);
	bb_u8(&q, 0x00);
	bb_u8(&q, 7);
	bb_u8(&q, 7);
	bb_u8(&q, 0x00);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc1, 129, 0x0000);
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	conn_close(o, &c);
	fact("{\"event_type\":\"dnp3\",\"unsolicited\":true,\"function_code\":130,"
	    "\"function\":\"UNSOLICITED_RESPONSE\",\"src\":%u,\"dst\":%u,"
	    "\"response.application_control\":{\"fir\":true,\"fin\":true,"
	    "\"con\":true,\"uns\":true,\"seq\":0},"
	    "\"response.iin\":[\"DEVICE_RESTART\"],\"response.iin_raw\":32768}",
	    out_addr, M_ADDR);
	fact("{\"event_type\":\"dnp3\",\"function_code\":2,\"function\":\"WRITE\","
	    "\"matched\":true,\"request.objects\":[{\"group\":80,\"variation\":1,"
	    "\"qualifier\":0,\"start\":7,\"stop\":7}],\"response.iin\":[]}");
	fact("{\"count_event_type\":\"dnp3\",\"count\":2}");
	fact("{\"event_type\":\"device\",\"protocol\":\"dnp3\",\"kind\":\"state\","
	    "\"ip\":\"%s\",\"unit\":%u,\"action\":\"iin_change\","
	    "\"detail\":\"DEVICE_RESTART on (iin 0x8000)\"}", dev_ip, out_addr);
	fact("{\"event_type\":\"device\",\"protocol\":\"dnp3\",\"kind\":\"state\","
	    "\"ip\":\"%s\",\"unit\":%u,\"action\":\"iin_change\","
	    "\"detail\":\"DEVICE_RESTART off (iin 0x0000)\"}", dev_ip, out_addr);
	dev_fact("dnp3", out_addr, "write", "IIN DEVICE_RESTART := 0", "ok");
	case_end();
}

/* g12v1 CROB request/echo with qualifier 0x28 (2-byte count and index). */
static void crob_obj(struct bb *b, uint16_t index, uint8_t code,
    uint8_t count, uint32_t on_ms, uint32_t off_ms, uint8_t status)
{
	bb_u8(b, 12);
	bb_u8(b, 1);
	bb_u8(b, 0x28);
	bb_le16(b, 1);
	bb_le16(b, index);
	bb_u8(b, code);
	bb_u8(b, count);
	bb_le32(b, on_ms);
	bb_le32(b, off_ms);
	bb_u8(b, status);
}

/*
 * dnp3_crob (TCP): SELECT then OPERATE of CROB 3 LATCH_ON, then SELECT
 * then OPERATE of CROB 5 PULSE_ON TRIP (code 0x81) 1000 ms; each response
 * echoes the CROB with status SUCCESS.
 */
static void case_dnp3_crob(void)
{
	static const struct {
		uint16_t index;
		uint8_t code, count;
		uint32_t on, off;
		const char *op, *tcc, *text;
	} cr[] = {
		{ 3, 0x03, 1, 0, 0, "LATCH_ON", NULL, "CROB 3 LATCH_ON" },
		{ 5, 0x81, 1, 1000, 0, "PULSE_ON", "TRIP",
		    "CROB 5 PULSE_ON TRIP count 1 on 1000 ms off 0 ms" },
	};
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint16_t out_addr = 13;
	uint8_t seq = 5;

	case_begin("dnp3_crob");
	conn_init(&c, false, "10.0.2.4", 40013, "10.0.3.4", 20000);
	dev_set(&c);
	conn_open(o, &c);
	for (unsigned i = 0; i < 2; i++) {
		for (uint8_t fc = 3; fc <= 4; fc++) {
			char tcc[32] = "";
			char det[128];

			dnp3_req_hdr(&q, seq, fc);
			crob_obj(&q, cr[i].index, cr[i].code, cr[i].count,
			    cr[i].on, cr[i].off, 0);
			dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
			dnp3_resp_hdr(&r, 0xc0 | seq, 129, 0);
			crob_obj(&r, cr[i].index, cr[i].code, cr[i].count,
			    cr[i].on, cr[i].off, 0);
			dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
			if (cr[i].tcc)
				snprintf(tcc, sizeof(tcc), ",\"tcc\":\"%s\"",
				    cr[i].tcc);
			fact("{\"event_type\":\"dnp3\",\"function_code\":%u,"
			    "\"function\":\"%s\",\"matched\":true,\"rtt_ms\":%g,"
			    "\"application_control\":{\"seq\":%u},"
			    "\"request.objects\":[{\"group\":12,\"variation\":1,"
			    "\"qualifier\":40,\"count\":1}],"
			    "\"request.control\":[{\"index\":%u,\"group\":12,"
			    "\"variation\":1,\"code\":%u,\"op\":\"%s\"%s,"
			    "\"count\":%u,\"on_ms\":%u,\"off_ms\":%u}],"
			    "\"response.control\":[{\"index\":%u,\"code\":%u,"
			    "\"status\":0,\"status_name\":\"SUCCESS\"}]}",
			    fc, fc == 3 ? "SELECT" : "OPERATE", rtt_ms(), seq,
			    cr[i].index, cr[i].code, cr[i].op, tcc, cr[i].count,
			    cr[i].on, cr[i].off, cr[i].index, cr[i].code);
			snprintf(det, sizeof(det), "%s %s",
			    fc == 3 ? "select" : "operate", cr[i].text);
			dev_fact("dnp3", out_addr, fc == 3 ? "select" : "operate",
			    det, "ok");
			seq = (seq + 1) & 0x0f;
		}
	}
	conn_close(o, &c);
	fact("{\"count_event_type\":\"dnp3\",\"count\":4}");
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

/*
 * dnp3_commands (TCP): DIRECT_OPERATE g41v2 AO 2 := 1234; COLD_RESTART
 * (g52v2 5000 ms); WARM_RESTART (g52v1 3 s); ENABLE_UNSOLICITED and
 * DISABLE_UNSOLICITED (g60v2-4); WRITE g50v1 time; OPEN_FILE g70v3
 * answered with g70v4.
 */
static void case_dnp3_commands(void)
{
	static const char fname[] = "/cfg/settings.xml";
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint16_t out_addr = 14;
	uint8_t seq = 0;
	const int16_t aval = 1234;
	const uint16_t cold_ms = 5000, warm_s = 3;
	const uint64_t wtime = OTGEN_T0_MS + 5000;
	char det[128];

	case_begin("dnp3_commands");
	conn_init(&c, false, "10.0.2.5", 40014, "10.0.3.5", 20000);
	dev_set(&c);
	conn_open(o, &c);

	/* DIRECT_OPERATE g41v2 */
	for (int side = 0; side < 2; side++) {
		struct bb *b = side ? &r : &q;

		if (side)
			dnp3_resp_hdr(b, 0xc0 | seq, 129, 0);
		else
			dnp3_req_hdr(b, seq, 5);
		bb_u8(b, 41);
		bb_u8(b, 2);
		bb_u8(b, 0x28);
		bb_le16(b, 1);
		bb_le16(b, 2);
		bb_le16(b, (uint16_t)aval);
		bb_u8(b, 0);
		dnp3_send(o, &c, side, side ? M_ADDR : out_addr,
		    side ? out_addr : M_ADDR, b, 0);
	}
	fact("{\"event_type\":\"dnp3\",\"function_code\":5,"
	    "\"function\":\"DIRECT_OPERATE\",\"matched\":true,"
	    "\"request.control\":[{\"index\":2,\"group\":41,\"variation\":2,"
	    "\"value\":%d}],\"response.control\":[{\"index\":2,\"value\":%d,"
	    "\"status\":0}]}", aval, aval);
	snprintf(det, sizeof(det), "direct operate AO 2 := %d", aval);
	dev_fact("dnp3", out_addr, "direct_operate", det, "ok");
	seq++;

	/* COLD_RESTART */
	dnp3_req_hdr(&q, seq, 13);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc0 | seq, 129, 0);
	bb_u8(&r, 52);
	bb_u8(&r, 2);
	bb_u8(&r, 0x07);
	bb_u8(&r, 1);
	bb_le16(&r, cold_ms);
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	fact("{\"event_type\":\"dnp3\",\"function_code\":13,"
	    "\"function\":\"COLD_RESTART\",\"matched\":true,"
	    "\"response.objects\":[{\"group\":52,\"variation\":2,\"qualifier\":7,"
	    "\"count\":1,\"points\":[{\"value\":%u}]}]}", cold_ms);
	snprintf(det, sizeof(det), "ok, restart in %u ms", cold_ms);
	dev_fact("dnp3", out_addr, "cold_restart", "cold restart", det);
	seq++;

	/* WARM_RESTART */
	dnp3_req_hdr(&q, seq, 14);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc0 | seq, 129, 0);
	bb_u8(&r, 52);
	bb_u8(&r, 1);
	bb_u8(&r, 0x07);
	bb_u8(&r, 1);
	bb_le16(&r, warm_s);
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	fact("{\"event_type\":\"dnp3\",\"function_code\":14,"
	    "\"function\":\"WARM_RESTART\",\"matched\":true,"
	    "\"response.objects\":[{\"group\":52,\"variation\":1,\"qualifier\":7,"
	    "\"count\":1,\"points\":[{\"value\":%u}]}]}", warm_s);
	snprintf(det, sizeof(det), "ok, restart in %u s", warm_s);
	dev_fact("dnp3", out_addr, "warm_restart", "warm restart", det);
	seq++;

	/* ENABLE / DISABLE_UNSOLICITED, classes 1-3 */
	for (uint8_t fc = 20; fc <= 21; fc++) {
		dnp3_req_hdr(&q, seq, fc);
		for (uint8_t v = 2; v <= 4; v++) {
			bb_u8(&q, 60);
			bb_u8(&q, v);
			bb_u8(&q, 0x06);
		}
		dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
		dnp3_resp_hdr(&r, 0xc0 | seq, 129, 0);
		dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
		fact("{\"event_type\":\"dnp3\",\"function_code\":%u,"
		    "\"function\":\"%s\",\"matched\":true,"
		    "\"request.objects\":[{\"group\":60,\"variation\":2,"
		    "\"qualifier\":6},{\"group\":60,\"variation\":3,\"qualifier\":6},"
		    "{\"group\":60,\"variation\":4,\"qualifier\":6}]}", fc,
		    fc == 20 ? "ENABLE_UNSOLICITED" : "DISABLE_UNSOLICITED");
		dev_fact("dnp3", out_addr, fc == 20 ? "enable_unsolicited" :
		    "disable_unsolicited", "class 1, class 2, class 3", "ok");
		seq++;
	}

	/* WRITE g50v1 */
	dnp3_req_hdr(&q, seq, 2);
	bb_u8(&q, 50);
	bb_u8(&q, 1);
	bb_u8(&q, 0x07);
	bb_u8(&q, 1);
	bb_le48(&q, wtime);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc0 | seq, 129, 0);
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	/* wtime = 2024-01-01T00:00:05.000Z */
	fact("{\"event_type\":\"dnp3\",\"function_code\":2,\"function\":\"WRITE\","
	    "\"matched\":true,\"request.objects\":[{\"group\":50,\"variation\":1,"
	    "\"qualifier\":7,\"count\":1,"
	    "\"points\":[{\"time\":\"2024-01-01T00:00:05.000Z\"}]}]}");
	dev_fact("dnp3", out_addr, "write", "time := 2024-01-01T00:00:05.000Z",
	    "ok");
	seq++;

	/* OPEN_FILE g70v3, qualifier 0x5b: 1-byte count, 2-byte size prefix */
	dnp3_req_hdr(&q, seq, 25);
	bb_u8(&q, 70);
	bb_u8(&q, 3);
	bb_u8(&q, 0x5b);
	bb_u8(&q, 1);
	bb_le16(&q, 26 + (unsigned)strlen(fname));
	bb_le16(&q, 26);			/* file name offset */
	bb_le16(&q, (unsigned)strlen(fname));	/* file name size */
	bb_le48(&q, 0);				/* time of creation */
	bb_le16(&q, 0x01a4);			/* permissions 0644 */
	bb_le32(&q, 0);				/* authentication key */
	bb_le32(&q, 0);				/* file size */
	bb_le16(&q, 1);				/* mode: read */
	bb_le16(&q, 1024);			/* maximum block size */
	bb_le16(&q, 0x0042);			/* request id */
	bb_mem(&q, fname, strlen(fname));
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc0 | seq, 129, 0);
	bb_u8(&r, 70);
	bb_u8(&r, 4);
	bb_u8(&r, 0x5b);
	bb_u8(&r, 1);
	bb_le16(&r, 13);
	bb_le32(&r, 0x11223344);		/* file handle */
	bb_le32(&r, 2048);			/* file size */
	bb_le16(&r, 1024);			/* maximum block size */
	bb_le16(&r, 0x0042);			/* request id */
	bb_u8(&r, 0);				/* status: success */
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	fact("{\"event_type\":\"dnp3\",\"function_code\":25,"
	    "\"function\":\"OPEN_FILE\",\"matched\":true,"
	    "\"request.objects\":[{\"group\":70,\"variation\":3,\"qualifier\":91,"
	    "\"count\":1}],\"response.objects\":[{\"group\":70,\"variation\":4,"
	    "\"qualifier\":91,\"count\":1}]}");
	snprintf(det, sizeof(det), "file \\\"%s\\\"", fname);
	dev_fact("dnp3", out_addr, "open_file", det, "ok");
	seq++;

	conn_close(o, &c);
	fact("{\"count_event_type\":\"dnp3\",\"count\":%u}", seq);
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

/*
 * dnp3_udp: DNP3 over UDP 40020 -> 20000: READ class 0 answered with g1v2
 * 0..3 and g30v1 0..1, then COLD_RESTART (g52v1 1 s).
 */
static void case_dnp3_udp(void)
{
	struct out *o = &gout;
	struct conn c;
	struct bb q, r;
	const uint16_t out_addr = 20;
	uint8_t bflags[4] = { 0x01, 0x81, 0x81, 0x01 };
	int32_t av[2] = { 100000, -5 };
	char pb[512], pa[512];

	case_begin("dnp3_udp");
	conn_init(&c, true, "10.0.2.6", 40020, "10.0.3.6", 20000);
	dev_set(&c);
	dnp3_req_hdr(&q, 7, 1);
	bb_u8(&q, 60);
	bb_u8(&q, 1);
	bb_u8(&q, 0x06);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc7, 129, 0);
	bb_u8(&r, 1);
	bb_u8(&r, 2);
	bb_u8(&r, 0x01);		/* 2-byte start/stop */
	bb_le16(&r, 0);
	bb_le16(&r, 3);
	bb_mem(&r, bflags, 4);
	bb_u8(&r, 30);
	bb_u8(&r, 1);
	bb_u8(&r, 0x00);
	bb_u8(&r, 0);
	bb_u8(&r, 1);
	for (unsigned i = 0; i < 2; i++) {
		bb_u8(&r, 0x01);
		bb_le32(&r, (uint32_t)av[i]);
	}
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	dnp3_req_hdr(&q, 8, 13);
	dnp3_send(o, &c, 0, out_addr, M_ADDR, &q, 0);
	dnp3_resp_hdr(&r, 0xc8, 129, 0);
	bb_u8(&r, 52);
	bb_u8(&r, 1);
	bb_u8(&r, 0x07);
	bb_u8(&r, 1);
	bb_le16(&r, 1);
	dnp3_send(o, &c, 1, M_ADDR, out_addr, &r, 0);
	fact_points_bool(pb, sizeof(pb), 0, bflags, 4);
	fact_points_int(pa, sizeof(pa), 0, av, 2, 1);
	fact("{\"event_type\":\"dnp3\",\"proto\":\"UDP\",\"function_code\":1,"
	    "\"matched\":true,\"src\":%u,\"dst\":%u,"
	    "\"response.objects\":[{\"group\":1,\"variation\":2,\"qualifier\":1,"
	    "\"start\":0,\"stop\":3,\"points\":%s},{\"group\":30,\"variation\":1,"
	    "\"qualifier\":0,\"start\":0,\"stop\":1,\"points\":%s}]}",
	    M_ADDR, out_addr, pb, pa);
	fact("{\"event_type\":\"dnp3\",\"proto\":\"UDP\",\"function_code\":13,"
	    "\"matched\":true}");
	dev_fact("dnp3", out_addr, "cold_restart", "cold restart",
	    "ok, restart in 1 s");
	fact("{\"count_event_type\":\"dnp3\",\"count\":2}");
	fact("{\"count_event_type\":\"anomaly\",\"count\":0}");
	case_end();
}

static int golden(const char *dir)
{
	golden_dir = dir;
	dnp3_crc_selftest();
	case_modbus_fc();
	case_modbus_umas();
	case_modbus_exceptions();
	case_modbus_merged();
	case_modbus_split();
	case_modbus_port5020();
	case_modbus_not_modbus();
	case_modbus_unmatched();
	case_dnp3_read_multi();
	case_dnp3_bad_crc();
	case_dnp3_unsolicited();
	case_dnp3_crob();
	case_dnp3_commands();
	case_dnp3_udp();
	return 0;
}

/* ------------------------------------------------------------------------
 * Bench (PRNG: rng() in gen_common.h)
 * --------------------------------------------------------------------- */

#define BENCH_MB_CONNS 1600	/* 40 masters x 40 PLCs */
#define BENCH_DNP_CONNS 400	/* 20 masters x 20 RTUs */

struct bconn {
	struct conn c;
	bool open;
	uint16_t tid;
	uint8_t unit;
	uint8_t seq;
	uint16_t out_addr;
};

static struct bconn bmb[BENCH_MB_CONNS], bdn[BENCH_DNP_CONNS];

static void bench_conn_init(struct bconn *b, unsigned master, unsigned dev,
    uint16_t port, bool dnp)
{
	char cip[32], sip[32];

	snprintf(cip, sizeof(cip), "10.%u.0.%u", dnp ? 20 : 10, master + 1);
	snprintf(sip, sizeof(sip), "10.%u.1.%u", dnp ? 21 : 11, dev + 1);
	conn_init(&b->c, false, cip, (uint16_t)(30000 + dev), sip, port);
	b->c.seq[0] = (uint32_t)rng();
	b->c.seq[1] = (uint32_t)rng();
	b->open = false;
	b->tid = (uint16_t)rng();
	b->unit = (uint8_t)(1 + dev % 4);
	b->seq = 0;
	b->out_addr = (uint16_t)(100 + dev);
}

static int bench(const char *path, unsigned size_mb, uint64_t seed)
{
	struct out o;
	struct bb q, r;
	uint64_t limit = (uint64_t)size_mb << 20, written = 0;
	uint64_t nmb = 0, ndnp = 0;
	char fpath[4096];
	FILE *ff;

	rng_state = seed ? seed * 0x9e3779b97f4a7c15ULL : 1;
	dnp3_crc_selftest();
	for (unsigned i = 0; i < BENCH_MB_CONNS; i++)
		bench_conn_init(&bmb[i], i / 40, i % 40, 502, false);
	for (unsigned i = 0; i < BENCH_DNP_CONNS; i++)
		bench_conn_init(&bdn[i], i / 20, i % 20, 20000, true);
	out_open(&o, path, OTGEN_T0_US, 50);
	while (written < limit) {
		uint64_t x = rng();
		if ((x & 0xff) < 205) {		/* ~80 % Modbus */
			struct bconn *b = &bmb[(x >> 8) % BENCH_MB_CONNS];
			unsigned kind = (unsigned)(x >> 24) % 100;
			uint16_t addr = (uint16_t)((x >> 32) % 1000);
			uint16_t qty = (uint16_t)(1 + (x >> 42) % 20);

			if (!b->open) {
				conn_open(&o, &b->c);
				b->open = true;
			}
			q.n = r.n = 0;
			if (kind < 60 || kind >= 95) {	/* FC 3 / FC 4 */
				uint8_t fc = kind < 60 ? 3 : 4;

				bb_u8(&q, fc);
				bb_be16(&q, addr);
				bb_be16(&q, qty);
				bb_u8(&r, fc);
				bb_u8(&r, 2 * qty);
				for (unsigned i = 0; i < qty; i++)
					bb_be16(&r, (addr + i) * 3u);
			} else if (kind < 85) {		/* FC 1 */
				unsigned nb = (qty + 7u) / 8u;

				bb_u8(&q, 1);
				bb_be16(&q, addr);
				bb_be16(&q, qty);
				bb_u8(&r, 1);
				bb_u8(&r, nb);
				for (unsigned i = 0; i < nb; i++)
					bb_u8(&r, (unsigned)(x >> (8 * (i % 8))) &
					    (i + 1 == nb && qty % 8 ?
					    (1u << (qty % 8)) - 1u : 0xffu));
			} else {			/* FC 16 */
				bb_u8(&q, 16);
				bb_be16(&q, addr);
				bb_be16(&q, qty);
				bb_u8(&q, 2 * qty);
				for (unsigned i = 0; i < qty; i++)
					bb_be16(&q, (unsigned)(x >> i) & 0xffff);
				bb_u8(&r, 16);
				bb_be16(&r, addr);
				bb_be16(&r, qty);
			}
			mb_pair(&o, &b->c, b->tid++, b->unit, &q, &r);
			nmb++;
		} else {			/* DNP3 */
			struct bconn *b = &bdn[(x >> 8) % BENCH_DNP_CONNS];
			unsigned kind = (unsigned)(x >> 24) % 100;

			if (!b->open) {
				conn_open(&o, &b->c);
				b->open = true;
			}
			if (kind < 95) {	/* class 0 poll, g30v2 0..19 */
				dnp3_req_hdr(&q, b->seq, 1);
				bb_u8(&q, 60);
				bb_u8(&q, 1);
				bb_u8(&q, 0x06);
				dnp3_resp_hdr(&r, 0xc0 | b->seq, 129, 0);
				bb_u8(&r, 30);
				bb_u8(&r, 2);
				bb_u8(&r, 0x00);
				bb_u8(&r, 0);
				bb_u8(&r, 19);
				for (unsigned i = 0; i < 20; i++) {
					bb_u8(&r, 0x01);
					bb_le16(&r, (unsigned)(x >> (i % 48)) &
					    0x7fff);
				}
			} else {		/* direct operate CROB */
				uint16_t idx = (uint16_t)((x >> 32) % 16);
				uint8_t code = (x >> 40) & 1 ? 0x03 : 0x04;

				dnp3_req_hdr(&q, b->seq, 5);
				crob_obj(&q, idx, code, 1, 0, 0, 0);
				dnp3_resp_hdr(&r, 0xc0 | b->seq, 129, 0);
				crob_obj(&r, idx, code, 1, 0, 0, 0);
			}
			dnp3_send(&o, &b->c, 0, b->out_addr, M_ADDR, &q, 0);
			dnp3_send(&o, &b->c, 1, M_ADDR, b->out_addr, &r, 0);
			b->seq = (b->seq + 1) & 0x0f;
			ndnp++;
		}
		written = o.bytes;
	}
	for (unsigned i = 0; i < BENCH_MB_CONNS; i++)
		if (bmb[i].open)
			conn_close(&o, &bmb[i].c);
	for (unsigned i = 0; i < BENCH_DNP_CONNS; i++)
		if (bdn[i].open)
			conn_close(&o, &bdn[i].c);
	out_close(&o, path);
	snprintf(fpath, sizeof(fpath), "%s.facts", path);
	ff = fopen(fpath, "w");
	if (!ff)
		die("%s: %s", fpath, strerror(errno));
	fprintf(ff, "{\"modbus_transactions\":%llu,\"dnp3_transactions\":%llu}\n",
	    (unsigned long long)nmb, (unsigned long long)ndnp);
	if (fclose(ff) != 0)
		die("%s: write failed", fpath);
	fprintf(stderr, "otgen bench: %llu packets, %llu modbus transactions, "
	    "%llu dnp3 transactions, %llu total\n",
	    (unsigned long long)o.packets, (unsigned long long)nmb,
	    (unsigned long long)ndnp, (unsigned long long)(nmb + ndnp));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "golden") == 0)
		return golden(argv[2]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "bench") == 0) {
		char *end;
		unsigned long mb = strtoul(argv[3], &end, 10);
		unsigned long long seed = 1;

		if (*end || mb == 0)
			die("bad SIZE_MB '%s'", argv[3]);
		if (argc == 5) {
			seed = strtoull(argv[4], &end, 10);
			if (*end)
				die("bad SEED '%s'", argv[4]);
		}
		return bench(argv[2], (unsigned)mb, seed);
	}
	fprintf(stderr, "usage: otgen golden OUTDIR\n"
	    "       otgen bench OUTFILE SIZE_MB [SEED]\n");
	return 2;
}
