/*
 * devlog_fmt_test.c - the device log writes its numbers itself; check the
 * text against libc.
 *
 * ot/device_log.c builds details and results with its own digit writers
 * and cuts them at the end of the fixed arrays of struct ev_device.  The
 * expected texts here are made with snprintf() into a large buffer and cut
 * at EV_DEVICE_DETAIL - 1 bytes, which is what the log wrote when it used
 * snprintf itself: the two must agree byte for byte, cut included, and
 * detail_truncated must say so.  Events are built by hand and given to
 * device_log_observe(); records come back through out_set_hook().
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ot/device_log.h"
#include "sensor/output.h"
#include "tests/unit/testhelp.h"

#define MAX_DEV 8
#define LIST_MAX 32		/* values listed in one detail (DEVLOG_MAX_LIST) */

static struct ev_device got[MAX_DEV];
static int ngot;

static void hook(const struct ev_hdr *ev, void *arg)
{
	(void)arg;
	if (ev->type == EV_DEVICE && ngot < MAX_DEV)
		got[ngot++] = *(const struct ev_device *)ev;
}

/* The expected text, appended with snprintf into a buffer with room to spare. */
struct model {
	char s[4096];
	size_t len;
};

static void m_printf(struct model *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void m_printf(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	m->len += (size_t)vsnprintf(m->s + m->len, sizeof(m->s) - m->len, fmt, ap);
	va_end(ap);
}

/* Compares the one record of the last event with the model, cut as the log cuts. */
static void check(const char *descr, const char *got_s, size_t cap,
    const struct model *m, bool got_trunc, bool list_cut)
{
	char want[EV_DEVICE_DETAIL];
	bool cut = m->len >= cap;
	size_t n = cut ? cap - 1 : m->len;

	memcpy(want, m->s, n);
	want[n] = '\0';
	test_cond(descr, strcmp(got_s, want) == 0);
	if (strcmp(got_s, want) != 0)
		printf("  got:  \"%s\"\n  want: \"%s\"\n", got_s, want);
	test_cond("detail_truncated", got_trunc == (cut || list_cut));
}

static uint64_t ts = 1704067200ULL * 1000000ULL;

static void mk_hdr(struct ev_hdr *h, enum ev_type type)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->dir = DIR_TO_SERVER;
	h->ts_us = ts;
	h->flow_id = 7;
	h->event_id = 1;
	h->has_key = true;
	h->key.family = 4;
	h->key.proto = 6;
	h->key.src[0] = 10;
	h->key.dst[0] = 10;
	h->key.dst[3] = 5;
	h->key.sport = 40000;
	h->key.dport = 502;
}

static struct ev_modbus mb;

static void mb_init(uint8_t fc)
{
	memset(&mb, 0, sizeof(mb));
	mk_hdr(&mb.h, EV_MODBUS);
	mb.unit = 1;
	mb.fc = fc;
	mb.has_request = mb.has_response = mb.matched = true;
}

/* Runs one event; true when it gave exactly one record. */
static bool run(const struct ev_hdr *h)
{
	ngot = 0;
	device_log_observe(h);
	test_eq_u64("one record", ngot, 1);
	return ngot == 1;
}

/* "holding A..B" as put_range() writes it. */
static void m_range(struct model *m, unsigned addr, bool has_qty, unsigned qty)
{
	unsigned last = addr + qty - 1u;

	if (!has_qty || qty <= 1)
		m_printf(m, "holding %u", addr);
	else
		m_printf(m, "holding %u..%u", addr, last > 0xFFFF ? 0xFFFFu : last);
}

/*
 * FC 23: a write range, up to 40 values and a read range.  Widths of the
 * addresses and values move the 256-byte cut across every kind of byte
 * (digit, separator, "; read ", range dots).
 */
static void test_modbus_cut(void)
{
	static const unsigned addrs[] = { 0, 7, 65, 999, 4321, 65500, 65535 };
	static const unsigned vals[] = { 0, 9, 10, 99, 100, 999, 1000, 9999,
		10000, 65535 };
	unsigned nv = sizeof(vals) / sizeof(vals[0]);

	for (unsigned a = 0; a < sizeof(addrs) / sizeof(addrs[0]); a++) {
		for (unsigned n = 0; n <= 40; n++) {
			for (unsigned v = 0; v < nv; v++) {
				struct model m = { .len = 0 };

				mb_init(0x17);
				mb.has_write = true;
				mb.write_address = (uint16_t)addrs[a];
				mb.write_quantity = (uint16_t)n;
				mb.req.kind = MODBUS_VAL_REGS;
				mb.req.count = (uint16_t)n;
				for (unsigned i = 0; i < n; i++)
					mb.req.regs[i] = (uint16_t)vals[(v + i) % nv];
				mb.has_address = mb.has_quantity = true;
				mb.address = (uint16_t)addrs[(a + v) % 7];
				mb.quantity = (uint16_t)(v * 7);
				mb.request_lost = v == 3;
				if (!run(&mb.h))
					return;

				m_range(&m, addrs[a], true, n);
				m_printf(&m, " := [");
				for (unsigned i = 0; i < n; i++) {
					if (i == LIST_MAX) {
						m_printf(&m, ", ...");
						break;
					}
					m_printf(&m, "%s%u", i ? ", " : "", mb.req.regs[i]);
				}
				m_printf(&m, "]; read ");
				m_range(&m, mb.address, true, mb.quantity);
				if (mb.request_lost)
					m_printf(&m, " (request data not kept)");
				check("fc23 detail", got[0].detail, EV_DEVICE_DETAIL, &m,
				    got[0].detail_truncated, n > LIST_MAX);
			}
		}
	}
}

/* Hex fields: FC 22 masks, FC 5 odd values, FC 8 data, exception codes. */
static void test_modbus_hex(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint16_t and_mask = (uint16_t)(i * 0x0101 ^ 0x0f0f);
		uint16_t or_mask = (uint16_t)(i << 4 | i >> 4);
		const char *xn;
		struct model m = { .len = 0 };

		mb_init(0x16);
		mb.address = (uint16_t)(i * 257);
		mb.has_masks = true;
		mb.and_mask = and_mask;
		mb.or_mask = or_mask;
		if (!run(&mb.h))
			return;
		m_printf(&m, "holding %u := (x & 0x%04x) | 0x%04x", mb.address,
		    and_mask, or_mask);
		check("fc22 detail", got[0].detail, EV_DEVICE_DETAIL, &m,
		    got[0].detail_truncated, false);

		mb_init(0x05);
		mb.has_address = true;
		mb.address = (uint16_t)i;
		mb.req.kind = MODBUS_VAL_REGS;
		mb.req.count = 1;
		mb.req.regs[0] = (uint16_t)(i * 0x0123);
		if (!run(&mb.h))
			return;
		m.len = 0;
		m_printf(&m, "coil %u := ", i);
		if (mb.req.regs[0] == 0xFF00)
			m_printf(&m, "ON");
		else if (mb.req.regs[0] == 0)
			m_printf(&m, "OFF");
		else
			m_printf(&m, "0x%04x", mb.req.regs[0]);
		check("fc5 detail", got[0].detail, EV_DEVICE_DETAIL, &m,
		    got[0].detail_truncated, false);

		mb_init(0x08);
		mb.has_subfunction = true;
		mb.subfunction = (uint16_t)(i * 300);
		mb.req.kind = MODBUS_VAL_REGS;
		mb.req.count = (uint16_t)(i % 40);
		for (unsigned k = 0; k < mb.req.count; k++)
			mb.req.regs[k] = (uint16_t)(i * 4099 + k * 17);
		if (!run(&mb.h))
			return;
		m.len = 0;
		xn = modbus_diag_name(mb.subfunction);
		if (xn)
			m_printf(&m, "%s (sub %u)", xn, mb.subfunction);
		else
			m_printf(&m, "sub-function %u", mb.subfunction);
		if (mb.req.count) {
			m_printf(&m, " data");
			for (unsigned k = 0; k < mb.req.count && k < LIST_MAX; k++)
				m_printf(&m, " %04x", mb.req.regs[k]);
		}
		check("fc8 detail", got[0].detail, EV_DEVICE_DETAIL, &m,
		    got[0].detail_truncated, false);

		mb_init(0x06);
		mb.exception = true;
		mb.exception_code = (uint8_t)i;
		if (!run(&mb.h))
			return;
		m.len = 0;
		xn = modbus_exception_name((uint8_t)i);
		if (xn)
			m_printf(&m, "exception %02X %s", i, xn);
		else
			m_printf(&m, "exception %02X unknown-%u", i, i);
		check("exception result", got[0].result, EV_DEVICE_RESULT, &m,
		    false, false);
	}
}

/*
 * DNP3 WRITE of g30v1 with 64-bit signed and unsigned values: up to 20
 * digits and a sign each, so the detail is cut at many offsets.
 */
static struct ev_dnp3 d3;

static void test_dnp3_values(void)
{
	static const int64_t vals[] = { 0, -1, 1, 9, -10, 123456789,
		INT64_MAX, INT64_MIN, -9223372036854775807LL, 4294967296LL };
	unsigned nv = sizeof(vals) / sizeof(vals[0]);

	for (unsigned kind = DNP3_VAL_INT; kind <= DNP3_VAL_UINT; kind++) {
		for (unsigned n = 1; n <= 36; n++) {
			for (unsigned v = 0; v < nv; v++) {
				struct dnp3_object *o;
				struct model m = { .len = 0 };

				memset(&d3, 0, sizeof(d3));
				mk_hdr(&d3.h, EV_DNP3);
				d3.h.key.dport = 20000;
				d3.req.present = true;
				d3.req.func = 2;	/* WRITE */
				d3.req.link_src = 1;
				d3.req.link_dst = 10;
				d3.req.nobjects = 1;
				o = &d3.req.objects[0];
				o->group = 30;
				o->variation = 1;
				o->has_range = true;
				o->start = v * 1000000u;
				o->stop = o->start + n - 1;
				o->point_count = (uint16_t)n;
				d3.npoints = (uint16_t)n;
				for (unsigned i = 0; i < n; i++) {
					d3.points[i].index = o->start + i;
					d3.points[i].kind = (uint8_t)kind;
					d3.points[i].ival = vals[(v + i) % nv];
				}
				if (!run(&d3.h))
					return;

				m_printf(&m, "g30v1 %u..%u := [", o->start, o->stop);
				for (unsigned i = 0; i < n; i++) {
					if (i == LIST_MAX) {
						m_printf(&m, ", ...");
						break;
					}
					if (kind == DNP3_VAL_INT)
						m_printf(&m, "%s%lld", i ? ", " : "",
						    (long long)d3.points[i].ival);
					else
						m_printf(&m, "%s%llu", i ? ", " : "",
						    (unsigned long long)d3.points[i].ival);
				}
				m_printf(&m, "]");
				check("g30 detail", got[0].detail, EV_DEVICE_DETAIL, &m,
				    got[0].detail_truncated, n > LIST_MAX);
				test_cond("g30 result", strcmp(got[0].result,
				    "no response") == 0);
			}
		}
	}
}

/* A summary's counts: "N of M failed, last: ..." past one digit. */
static void test_summary_counts(void)
{
	struct model m = { .len = 0 };
	unsigned failed = 0;

	device_log_flush();
	ngot = 0;
	for (unsigned i = 0; i < 1234; i++) {
		mb_init(0x03);
		mb.has_address = mb.has_quantity = true;
		mb.quantity = 10;
		if (i % 3 == 0) {
			mb.exception = true;
			mb.exception_code = 2;
			failed++;
		}
		device_log_observe(&mb.h);
	}
	test_eq_u64("nothing before the flush", ngot, 0);
	device_log_flush();
	test_eq_u64("one summary", ngot, 1);
	if (ngot != 1)
		return;
	m_printf(&m, "%u of %u failed, last: exception 02 %s", failed, 1234u,
	    modbus_exception_name(2));
	check("summary result", got[0].result, EV_DEVICE_RESULT, &m, false,
	    false);
	test_eq_u64("summary count", got[0].count, 1234);
}

int main(void)
{
	out_set_hook(hook, NULL);
	test_modbus_cut();
	test_modbus_hex();
	test_dnp3_values();
	test_summary_counts();
	device_log_flush();
	return test_report();
}
