/*
 * device_log.c - the device log (event_type "device").
 *
 * For every request addressed to an OT device (Modbus server, DNP3
 * outstation) this writes one short record as the device itself would have
 * logged it: who asked ("by"), what ("action", "detail"), with what result.
 * It reads ev_modbus / ev_dnp3 structs only, never packets, so it can be
 * tested with events built by hand.
 *
 * clang-format off
 *
 *   dissector --ev_modbus/ev_dnp3--> out_emit() --serialize, then-->
 *     device_log_observe() --ev_device--> out_emit()
 *
 * clang-format on
 *
 * Records (struct ev_device):
 *   command  one per request, always, for writes, controls, restarts, file
 *            operations, program/diagnostic/identification functions and
 *            anything unknown.  Examples:
 *              write_registers  "holding 100..102 := [10, 20, 30]"  "ok"
 *              write_coil       "coil 5 := ON"
 *              mask_write_register "holding 4 := (x & 0x00f2) | 0x0025"
 *              read_write_registers "holding 3..5 := [1, 2, 3]; read holding 0..5"
 *              diagnostics      "FORCE_LISTEN_ONLY_MODE (sub 4) data 0000"
 *              umas_stop_plc    "UMAS STOP_PLC (0x41)"
 *              operate          "operate CROB 3 LATCH_ON"
 *              cold_restart     "cold restart"    "ok, restart in 1 s"
 *              write            "IIN DEVICE_RESTART := 0"
 *            result: "ok"; "exception 02 ILLEGAL_DATA_ADDRESS" (code in
 *            hex, as in the Modbus spec's table 7); "no response";
 *            "no response expected" (DNP3 *_NR functions); DNP3 "iin
 *            PARAMETER_ERROR" when the response raised IIN2.0-2.2 or 2.4,
 *            "status NO_SELECT (CROB 3)" for the first control that did not
 *            succeed; "umas error (0xfd)".  A request the dissector did not
 *            keep ends its detail with "(request not seen)".
 *   summary  reads (Modbus FC 1, 2, 3, 4, 24; DNP3 READ) are NOT logged one
 *            line each: they are counted into one record per connection
 *            (flow), unit and function per minute of capture time, with
 *            "count", "failed", "first", "last"; "detail" lists the distinct
 *            ranges polled ("holding 0..9; holding 100..109"), "result" is
 *            "ok" or "N of M failed, last: <result>".  A window is written
 *            when an event of a later minute is seen by the same thread, when
 *            its slot is needed (a hash table of DEVLOG_SUM_SLOTS per
 *            thread; when the DEVLOG_SUM_PROBE slots a key may use are all
 *            taken, the oldest of them is written early), or by
 *            device_log_flush() at the end.  Keyed by flow and minute, the
 *            records are the same whatever the number of workers, unless
 *            more than DEVLOG_SUM_PROBE windows collide in one thread.
 *   state    DNP3: per (device ip, outstation address), kept in a table of
 *            DEVLOG_IIN_SLOTS per thread (least recently seen is replaced),
 *            the last IIN of every response (solicited or not).  When
 *            DEVICE_RESTART, NEED_TIME, LOCAL_CONTROL, DEVICE_TROUBLE or
 *            CONFIG_CORRUPT turns on or off, one record lists the changes:
 *            action "iin_change", detail "DEVICE_RESTART on, NEED_TIME on
 *            (iin 0x9000)".  The first response of an outstation counts as
 *            a change from "all off".
 *
 * The device is the side a request was sent to (the sender of a
 * response), "by" the other side.  Each record copies the source event's
 * header with type EV_DEVICE and event_id = flow_hash64(source event_id,
 * a constant per record kind), so ids stay deterministic.
 *
 * References: MODBUS Application Protocol V1.1b3 (6.x function layouts, 7
 * exception codes); IEEE 1815-2012 4.2.2.7.2 (IIN), table 11-6/11-8 (CROB
 * codes, control status), A.26 (g52 time delay).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../flows/flow_table.h"
#include "device_log.h"

#define DEVLOG_SUM_SLOTS 1024	/* power of two: hashed, linear probing */
#define DEVLOG_SUM_PROBE 16
#define DEVLOG_IIN_SLOTS 64
#define DEVLOG_MINUTE_US 60000000ULL
#define DEVLOG_MAX_LIST 32		/* values listed in one detail */

#define DEVLOG_SEED_CMD 0x646576636d64ULL	/* "devcmd" */
#define DEVLOG_SEED_SUM 0x64657673756dULL	/* "devsum" */
#define DEVLOG_SEED_STATE 0x646576737461ULL	/* "devsta" */

/* IIN bits (IIN1 << 8 | IIN2) whose changes make a state record. */
enum devlog_iin_bits {
	DEVLOG_IIN_CONFIG_CORRUPT = 1 << 5,	/* IIN2.5 */
	DEVLOG_IIN_NEED_TIME = 1 << 12,		/* IIN1.4 */
	DEVLOG_IIN_LOCAL_CONTROL = 1 << 13,	/* IIN1.5 */
	DEVLOG_IIN_DEVICE_TROUBLE = 1 << 14,	/* IIN1.6 */
	DEVLOG_IIN_DEVICE_RESTART = 1 << 15,	/* IIN1.7 */
	DEVLOG_IIN_WATCH = DEVLOG_IIN_CONFIG_CORRUPT | DEVLOG_IIN_NEED_TIME |
	    DEVLOG_IIN_LOCAL_CONTROL | DEVLOG_IIN_DEVICE_TROUBLE |
	    DEVLOG_IIN_DEVICE_RESTART,
	/* a request the outstation refused: IIN2.0, 2.1, 2.2, 2.4 */
	DEVLOG_IIN_REFUSED = 1 << 0 | 1 << 1 | 1 << 2 | 1 << 4,
};

/* DNP3 function codes the log treats specially (IEEE 1815 table 4-1). */
enum devlog_dnp3_fc {
	DEVLOG_DNP3_READ = 1,
	DEVLOG_DNP3_WRITE = 2,
	DEVLOG_DNP3_SELECT = 3,
	DEVLOG_DNP3_OPERATE = 4,
	DEVLOG_DNP3_DIRECT_OPERATE = 5,
	DEVLOG_DNP3_DIRECT_OPERATE_NR = 6,
	DEVLOG_DNP3_IMMED_FREEZE_NR = 8,
	DEVLOG_DNP3_FREEZE_CLEAR_NR = 10,
	DEVLOG_DNP3_FREEZE_AT_TIME_NR = 12,
	DEVLOG_DNP3_COLD_RESTART = 13,
	DEVLOG_DNP3_WARM_RESTART = 14,
	DEVLOG_DNP3_AUTH_REQ_NO_ACK = 33,
};

/*
 * What a lookup reads of one summary slot.  Every read probes up to
 * DEVLOG_SUM_PROBE slots, so this is kept apart from the records: 16 keys
 * fill 8 cache lines, where 16 records took two or three lines each.
 */
struct devlog_sum_key {
	bool used;
	uint8_t func;
	uint16_t unit;
	uint64_t flow_id;
	uint64_t minute;
	uint64_t first_us;	/* of the window; ev.first_us is set on writing */
};

/* One open read summary, beside its key of the same index. */
struct devlog_sum {
	uint64_t src_event_id;
	char lastfail[EV_DEVICE_RESULT];
	struct ev_device ev;
};

struct devlog_iin {
	bool used;
	uint8_t family;
	uint8_t ip[16];
	uint16_t addr;
	uint16_t iin;
	uint64_t last_us;
};

struct devlog_tls {
	uint64_t cur_minute;
	struct devlog_sum_key sumkey[DEVLOG_SUM_SLOTS];
	struct devlog_sum sum[DEVLOG_SUM_SLOTS];
	struct devlog_iin iin[DEVLOG_IIN_SLOTS];
};

static _Thread_local struct devlog_tls tl;

/* ------------------------------------------------------------------------
 * A string builder over a fixed array
 *
 * Text that does not fit is cut at the end of the array and the builder is
 * marked truncated; later appends do nothing.  Appending the parts of a
 * text one by one therefore gives the same bytes as one snprintf of the
 * whole, which is what the records were first written with.
 * --------------------------------------------------------------------- */

struct sb {
	char *p;
	size_t cap, len;
	bool trunc;
};

static void sb_init(struct sb *s, char *p, size_t cap)
{
	s->p = p;
	s->cap = cap;
	s->len = 0;
	s->trunc = false;
	p[0] = '\0';
}

/* Inline, so that literals get a constant length and a plain copy. */
static inline void sb_putn(struct sb *s, const char *src, size_t n)
{
	size_t room = s->cap - s->len;		/* at least 1, for the NUL */

	if (s->trunc)
		return;
	if (n >= room) {
		s->trunc = true;
		n = room - 1;
	}
	memcpy(s->p + s->len, src, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static inline void sb_puts(struct sb *s, const char *str)
{
	sb_putn(s, str, strlen(str));
}

static inline void sb_putc(struct sb *s, char c)
{
	sb_putn(s, &c, 1);
}

/* Decimal, as "%llu": in place, or through b[] when it may not fit. */
static void sb_putu(struct sb *s, uint64_t v)
{
	char b[20], *end;
	size_t n = 1;
	bool fits;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	fits = !s->trunc && n < s->cap - s->len;
	end = (fits ? s->p + s->len : b) + n;
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (fits) {
		s->len += n;
		s->p[s->len] = '\0';
	} else {
		sb_putn(s, b, n);
	}
}

/* Decimal, as "%lld". */
static void sb_puti(struct sb *s, int64_t v)
{
	if (v < 0) {
		sb_putc(s, '-');
		sb_putu(s, -(uint64_t)v);
	} else {
		sb_putu(s, (uint64_t)v);
	}
}

/*
 * Exactly 'width' hex digits of v, as "%0<width>x" (or "X") for a v that
 * fits in them: callers pass 8-bit values with width 2, 16-bit with 4.
 */
static void sb_hex(struct sb *s, unsigned v, unsigned width, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char b[8];

	for (unsigned i = width; i > 0; i--, v >>= 4)
		b[i - 1] = digits[v & 0xf];
	sb_putn(s, b, width);
}

/* For what has no short path: floats ("%g") and dates. */
static void sb_printf(struct sb *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->trunc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len) {
		s->trunc = true;
		s->len = s->cap - 1;
		s->p[s->len] = '\0';
		return;
	}
	s->len += (size_t)n;
}

/* Copies src into dst[cap], cut to cap - 1 bytes (as snprintf "%s"). */
static void str_set(char *dst, size_t cap, const char *src)
{
	struct sb s;

	sb_init(&s, dst, cap);
	sb_puts(&s, src);
}

/* Lower-case copy of a static name, '_' kept ("COLD_RESTART" -> "cold_restart"). */
static void lower_copy(char *dst, size_t cap, const char *src, char sep)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++) {
		char c = src[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '_')
			c = sep;
		dst[i] = c;
	}
	dst[i] = '\0';
}

/* DNP3 absolute time (ms since 1970 UTC) as ISO 8601 with ms. */
static void sb_time_ms(struct sb *s, uint64_t ms)
{
	struct tm tm;
	time_t t;

	if (ms > 253402300799999ULL) {		/* past year 9999 */
		sb_printf(s, "%llu ms", (unsigned long long)ms);
		return;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	sb_printf(s, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned)(ms % 1000));
}

/* ------------------------------------------------------------------------
 * Common record setup
 * --------------------------------------------------------------------- */

/*
 * Whether the device is the flow's server (dst).  'dev_receives' says
 * whether it is the receiver of the packet that gave h.dir (a request) or
 * its sender (a response).
 */
static bool dev_is_dst(const struct ev_hdr *h, bool dev_receives)
{
	/* the receiver of a DIR_TO_SERVER packet is the flow's server */
	return (h->dir == DIR_TO_SERVER) == dev_receives;
}

/*
 * Fills the header and the device/client addresses of d from a source
 * event (see dev_is_dst() for 'dev_receives').  h.event_id stays the
 * source's until emit(): reads counted into a summary never need their own.
 */
static void rec_init(struct ev_device *d, const struct ev_hdr *h,
    bool dev_receives, uint8_t proto)
{
	const struct flow_key *k = &h->key;
	bool dst = dev_is_dst(h, dev_receives);

	memset(d, 0, sizeof(*d));
	d->h = *h;
	d->h.type = EV_DEVICE;
	d->proto = proto;
	d->kind = DEVICE_KIND_COMMAND;
	d->family = k->family;
	memcpy(d->ip, dst ? k->dst : k->src, 16);
	memcpy(d->by, dst ? k->src : k->dst, 16);
	d->port = dst ? k->dport : k->sport;
	d->has_by = true;
}

/* Gives d its id, derived from its source event's, and writes it. */
static void emit(struct ev_device *d, uint64_t src_event_id, uint64_t seed)
{
	d->h.event_id = flow_hash64(&src_event_id, sizeof(src_event_id), seed);
	out_emit(&d->h);
}

/* ------------------------------------------------------------------------
 * Read summaries
 * --------------------------------------------------------------------- */

/*
 * A window is one flow's reads of one (unit, function) in one minute, so
 * its content does not depend on which worker thread owns the flow or on
 * what else that thread saw: the same capture gives the same records with
 * any number of workers.
 */
static bool sum_same(const struct devlog_sum_key *k,
    const struct ev_device *b, uint64_t minute)
{
	const struct ev_device *a = &tl.sum[k - tl.sumkey].ev;

	/* the key first: a probe has it in cache already */
	return k->flow_id == b->h.flow_id && k->minute == minute &&
	    k->unit == b->unit && k->func == b->func &&
	    a->proto == b->proto && a->family == b->family &&
	    a->port == b->port &&
	    memcmp(a->ip, b->ip, 16) == 0 && memcmp(a->by, b->by, 16) == 0;
}

static void sum_emit(struct devlog_sum_key *k)
{
	struct devlog_sum *s = &tl.sum[k - tl.sumkey];
	struct ev_device *d = &s->ev;
	struct sb r;

	sb_init(&r, d->result, sizeof(d->result));
	if (d->failed == 0) {
		sb_puts(&r, "ok");
	} else {
		sb_putu(&r, d->failed);
		sb_puts(&r, " of ");
		sb_putu(&r, d->count);
		sb_puts(&r, " failed, last: ");
		sb_puts(&r, s->lastfail);
	}
	d->first_us = k->first_us;
	d->h.ts_us = k->first_us;
	k->used = false;
	emit(d, s->src_event_id, DEVLOG_SEED_SUM);
}

static bool result_ok(const char *r)
{
	return strcmp(r, "ok") == 0 || strncmp(r, "ok,", 3) == 0;
}

/* Counts the read record d (built as a command) into its window. */
static void sum_add(const struct ev_device *d, uint64_t src_event_id)
{
	uint64_t minute = d->h.ts_us / DEVLOG_MINUTE_US;
	struct devlog_sum_key *k = NULL, *oldest = NULL, *free_slot = NULL;
	struct devlog_sum *s;
	bool ok = result_ok(d->result);
	uint64_t kv[3] = { d->h.flow_id, minute, (uint64_t)d->unit << 8 | d->func };
	unsigned h = (unsigned)flow_hash64(kv, sizeof(kv), 0x73756d);

	for (unsigned j = 0; j < DEVLOG_SUM_PROBE; j++) {
		struct devlog_sum_key *c =
		    &tl.sumkey[(h + j) & (DEVLOG_SUM_SLOTS - 1)];

		if (c->used && sum_same(c, d, minute)) {
			k = c;
			break;
		}
		if (!c->used && !free_slot)
			free_slot = c;
		if (c->used && (!oldest || c->first_us < oldest->first_us))
			oldest = c;
	}
	if (k == NULL) {
		k = free_slot;
		if (k == NULL) {
			sum_emit(oldest);	/* neighbourhood full: write it early */
			k = oldest;
		}
		k->used = true;
		k->func = d->func;
		k->unit = d->unit;
		k->flow_id = d->h.flow_id;
		k->minute = minute;
		k->first_us = d->h.ts_us;
		s = &tl.sum[k - tl.sumkey];
		s->src_event_id = src_event_id;
		s->lastfail[0] = '\0';
		s->ev = *d;
		s->ev.kind = DEVICE_KIND_SUMMARY;
		s->ev.count = 0;
		s->ev.failed = 0;
		s->ev.last_us = d->h.ts_us;
	} else {
		s = &tl.sum[k - tl.sumkey];
		if (!strstr(s->ev.detail, d->detail)) {
			/* another range polled: list it once */
			struct sb t = { s->ev.detail, sizeof(s->ev.detail),
				strlen(s->ev.detail), false };

			sb_puts(&t, "; ");
			sb_puts(&t, d->detail);
			if (t.trunc)
				s->ev.detail_truncated = true;
		}
	}
	s->ev.count++;
	if (!ok) {
		s->ev.failed++;
		str_set(s->lastfail, sizeof(s->lastfail), d->result);
	}
	if (d->h.ts_us < k->first_us)
		k->first_us = d->h.ts_us;
	if (d->h.ts_us > s->ev.last_us)
		s->ev.last_us = d->h.ts_us;
}

/* Writes the windows of minutes before the one of ts_us. */
static void sum_roll(uint64_t ts_us)
{
	uint64_t minute = ts_us / DEVLOG_MINUTE_US;

	if (minute <= tl.cur_minute)
		return;
	tl.cur_minute = minute;
	for (unsigned i = 0; i < DEVLOG_SUM_SLOTS; i++)
		if (tl.sumkey[i].used && tl.sumkey[i].minute < minute)
			sum_emit(&tl.sumkey[i]);
}

void device_log_flush(void)
{
	for (;;) {
		struct devlog_sum_key *first = NULL;

		/* oldest first, so the output reads in time order */
		for (unsigned i = 0; i < DEVLOG_SUM_SLOTS; i++)
			if (tl.sumkey[i].used && (!first ||
			    tl.sumkey[i].first_us < first->first_us))
				first = &tl.sumkey[i];
		if (!first)
			break;
		sum_emit(first);
	}
	tl.cur_minute = 0;
}

/* ------------------------------------------------------------------------
 * Modbus
 * --------------------------------------------------------------------- */

/* Actions, in the device's words (Application Protocol V1.1b3, 6.x). */
static const char *const modbus_actions[128] = {
	[0x01] = "read_coils",
	[0x02] = "read_discrete_inputs",
	[0x03] = "read_holding_registers",
	[0x04] = "read_input_registers",
	[0x05] = "write_coil",
	[0x06] = "write_register",
	[0x07] = "read_exception_status",
	[0x08] = "diagnostics",
	[0x0B] = "get_comm_event_counter",
	[0x0C] = "get_comm_event_log",
	[0x0F] = "write_coils",
	[0x10] = "write_registers",
	[0x11] = "report_server_id",
	[0x14] = "read_file_record",
	[0x15] = "write_file_record",
	[0x16] = "mask_write_register",
	[0x17] = "read_write_registers",
	[0x18] = "read_fifo_queue",
	[0x2B] = "encapsulated_interface",
	[0x7D] = "firmware_replacement",
};

/* Name of the data table a function addresses. */
static const char *const modbus_tables[128] = {
	[0x01] = "coils",
	[0x02] = "discrete_inputs",
	[0x03] = "holding",
	[0x04] = "input",
	[0x05] = "coil",
	[0x06] = "holding",
	[0x0F] = "coils",
	[0x10] = "holding",
	[0x16] = "holding",
	[0x17] = "holding",
};

/* Reads that go into per-minute summaries. */
static bool modbus_is_poll(uint8_t fc)
{
	return fc == 0x01 || fc == 0x02 || fc == 0x03 || fc == 0x04 ||
	    fc == 0x18;
}

/* "holding 100..102" (or "holding 100" for one). */
static void put_range(struct sb *s, const char *table, uint16_t addr,
    bool has_qty, uint16_t qty)
{
	unsigned last = (unsigned)addr + qty - 1u;

	sb_puts(s, table);
	sb_putc(s, ' ');
	sb_putu(s, addr);
	if (has_qty && qty > 1) {
		sb_puts(s, "..");
		sb_putu(s, last > 0xFFFF ? 0xFFFFu : last);
	}
}

/* " := [10, 20, 30]" from a value block (registers or bits). */
static void put_vals(struct sb *s, const struct ev_modbus_values *v,
    bool *trunc)
{
	unsigned n = v->count;

	if (v->kind == MODBUS_VAL_REGS && n > EV_MODBUS_MAX_REGS)
		n = EV_MODBUS_MAX_REGS;
	if (v->kind == MODBUS_VAL_BITS && n > EV_MODBUS_MAX_BITS)
		n = EV_MODBUS_MAX_BITS;
	sb_puts(s, " := [");
	/* other kinds list nothing, but still say "..." past the limit */
	for (unsigned i = 0; i < n; i++) {
		if (i == DEVLOG_MAX_LIST) {
			sb_puts(s, ", ...");
			*trunc = true;
			break;
		}
		if (v->kind != MODBUS_VAL_REGS && v->kind != MODBUS_VAL_BITS)
			continue;
		if (i)
			sb_puts(s, ", ");
		if (v->kind == MODBUS_VAL_REGS)
			sb_putu(s, v->regs[i]);
		else
			sb_putc(s, ev_modbus_bit(v, i) ? '1' : '0');
	}
	sb_putc(s, ']');
	if (v->truncated)
		*trunc = true;
}

static void modbus_detail(const struct ev_modbus *e, struct ev_device *d)
{
	uint8_t fc = e->fc & 0x7F;
	const char *table = modbus_tables[fc];
	const char *fname = modbus_func_name(fc);
	bool req_known = e->has_request && !e->request_lost;
	bool trunc = false;
	struct sb s;

	sb_init(&s, d->detail, sizeof(d->detail));
	switch (fc) {
	case 0x01: case 0x02: case 0x03: case 0x04:
		if (e->has_address)
			put_range(&s, table, e->address, e->has_quantity,
			    e->quantity);
		else
			sb_puts(&s, table);
		break;
	case 0x05: case 0x06:
		sb_puts(&s, table);
		if (e->has_address) {
			sb_putc(&s, ' ');
			sb_putu(&s, e->address);
		}
		{
			const struct ev_modbus_values *v = e->req.count ?
			    &e->req : &e->resp;

			if (!v->count)
				break;
			sb_puts(&s, " := ");
			if (fc == 0x06) {
				sb_putu(&s, v->regs[0]);
			} else if (v->regs[0] == 0xFF00) {
				sb_puts(&s, "ON");
			} else if (v->regs[0] == 0x0000) {
				sb_puts(&s, "OFF");
			} else {
				sb_puts(&s, "0x");
				sb_hex(&s, v->regs[0], 4, false);
			}
		}
		break;
	case 0x0F: case 0x10:
		if (e->has_address)
			put_range(&s, table, e->address, e->has_quantity,
			    e->quantity);
		else
			sb_puts(&s, table);
		if (e->req.kind != MODBUS_VAL_NONE)
			put_vals(&s, &e->req, &trunc);
		break;
	case 0x08:
		if (e->has_subfunction) {
			const char *sub = modbus_diag_name(e->subfunction);

			if (sub) {
				sb_puts(&s, sub);
				sb_puts(&s, " (sub ");
				sb_putu(&s, e->subfunction);
				sb_putc(&s, ')');
			} else {
				sb_puts(&s, "sub-function ");
				sb_putu(&s, e->subfunction);
			}
		} else {
			sb_puts(&s, "diagnostics");
		}
		if (e->req.kind == MODBUS_VAL_REGS && e->req.count) {
			sb_puts(&s, " data");
			for (unsigned i = 0; i < e->req.count &&
			    i < DEVLOG_MAX_LIST; i++) {
				sb_putc(&s, ' ');
				sb_hex(&s, e->req.regs[i], 4, false);
			}
		}
		break;
	case 0x14: case 0x15:
		for (unsigned i = 0; i < e->nfile_recs &&
		    i < EV_MODBUS_MAX_FILE_RECS; i++) {
			const struct ev_modbus_file_rec *f = &e->file_recs[i];

			if (i)
				sb_puts(&s, "; ");
			sb_puts(&s, "file ");
			sb_putu(&s, f->file);
			sb_puts(&s, " record ");
			sb_putu(&s, f->record);
			if (fc == 0x14 || !f->ndata) {
				sb_puts(&s, " length ");
				sb_putu(&s, f->length);
				continue;
			}
			sb_puts(&s, " := [");
			for (unsigned k = 0; k < f->ndata &&
			    k < EV_MODBUS_FILE_REC_REGS; k++) {
				if (k)
					sb_puts(&s, ", ");
				sb_putu(&s, f->data[k]);
			}
			sb_putc(&s, ']');
			if (f->truncated)
				trunc = true;
		}
		if (!e->nfile_recs)
			sb_puts(&s, "no file records");
		if (e->file_recs_truncated)
			trunc = true;
		break;
	case 0x16:
		sb_puts(&s, "holding ");
		sb_putu(&s, e->address);
		if (e->has_masks) {
			sb_puts(&s, " := (x & 0x");
			sb_hex(&s, e->and_mask, 4, false);
			sb_puts(&s, ") | 0x");
			sb_hex(&s, e->or_mask, 4, false);
		}
		break;
	case 0x17:
		if (e->has_write) {
			put_range(&s, table, e->write_address, true,
			    e->write_quantity);
			if (e->req.kind != MODBUS_VAL_NONE)
				put_vals(&s, &e->req, &trunc);
			sb_puts(&s, "; ");
		}
		sb_puts(&s, "read ");
		put_range(&s, table, e->address, e->has_quantity, e->quantity);
		break;
	case 0x18:
		sb_puts(&s, "fifo ");
		sb_putu(&s, e->address);
		break;
	case 0x2B:
		if (e->has_devid) {
			const struct ev_modbus_devid *dv = &e->devid;

			sb_puts(&s, "read device id code ");
			sb_putu(&s, dv->read_code);
			sb_puts(&s, " object ");
			sb_putu(&s, dv->object_id);
			for (unsigned i = 0; i < dv->nobjs &&
			    i < EV_MODBUS_MAX_DEVID_OBJS; i++) {
				const char *on = modbus_devid_obj_name(dv->objs[i].id);

				sb_puts(&s, i ? ", " : ": ");
				if (on) {
					sb_puts(&s, on);
				} else {
					sb_puts(&s, "object ");
					sb_putu(&s, dv->objs[i].id);
				}
				sb_puts(&s, " \"");
				sb_puts(&s, dv->objs[i].value);
				sb_putc(&s, '"');
			}
		} else if (e->has_mei) {
			sb_puts(&s, "mei type ");
			sb_putu(&s, e->mei_type);
		} else {
			sb_puts(&s, "encapsulated interface");
		}
		break;
	case 0x5A:
		if (e->has_umas && req_known) {
			const char *un = modbus_umas_name(e->umas_fc);

			if (un) {
				sb_puts(&s, "UMAS ");
				sb_puts(&s, un);
				sb_puts(&s, " (0x");
				sb_hex(&s, e->umas_fc, 2, false);
				sb_putc(&s, ')');
			} else {
				sb_puts(&s, "UMAS function 0x");
				sb_hex(&s, e->umas_fc, 2, false);
			}
		} else {
			sb_puts(&s, "UMAS");
		}
		break;
	default:
		if (fname) {
			sb_puts(&s, fname);
		} else {
			sb_puts(&s, "function ");
			sb_putu(&s, fc);
		}
		if (e->req.kind == MODBUS_VAL_BYTES && e->req.count) {
			sb_puts(&s, ", ");
			sb_putu(&s, e->req.count);
			sb_puts(&s, " data bytes");
		}
		break;
	}
	if (!e->has_request)
		sb_puts(&s, " (request not seen)");
	else if (e->request_lost)
		sb_puts(&s, " (request data not kept)");
	d->detail_truncated = trunc || s.trunc;
}

static void modbus_action(const struct ev_modbus *e, struct ev_device *d)
{
	uint8_t fc = e->fc & 0x7F;
	const char *a = modbus_actions[fc];
	const char *name;
	struct sb s;

	if (fc == 0x2B && e->has_mei && e->mei_type == 0x0E) {
		a = "read_device_id";
	} else if (fc == 0x5A && e->has_umas && e->has_request &&
	    !e->request_lost && (name = modbus_umas_name(e->umas_fc))) {
		char b[EV_DEVICE_ACTION - 5];

		lower_copy(b, sizeof(b), name, '_');
		sb_init(&s, d->action, sizeof(d->action));
		sb_puts(&s, "umas_");
		sb_puts(&s, b);
		return;
	} else if (fc == 0x5A) {
		a = "umas";
	}
	if (a) {
		str_set(d->action, sizeof(d->action), a);
	} else if ((name = modbus_func_name(fc))) {
		lower_copy(d->action, sizeof(d->action), name, '_');
	} else {
		sb_init(&s, d->action, sizeof(d->action));
		sb_puts(&s, "function_");
		sb_putu(&s, fc);
	}
}

static void modbus_result(const struct ev_modbus *e, struct ev_device *d)
{
	const char *xn;
	struct sb s;

	sb_init(&s, d->result, sizeof(d->result));
	if (e->exception) {
		sb_puts(&s, "exception ");
		sb_hex(&s, e->exception_code, 2, true);
		xn = modbus_exception_name(e->exception_code);
		if (xn) {
			sb_putc(&s, ' ');
			sb_puts(&s, xn);
		} else {
			sb_puts(&s, " unknown-");
			sb_putu(&s, e->exception_code);
		}
	} else if (!e->has_response) {
		sb_puts(&s, "no response");
	} else if (e->has_umas_status && e->umas_status == 0xFD) {
		sb_puts(&s, "umas error (0x");
		sb_hex(&s, e->umas_status, 2, false);
		sb_putc(&s, ')');
	} else {
		sb_puts(&s, "ok");
	}
}

static void observe_modbus(const struct ev_modbus *e)
{
	struct ev_device d;
	/* h.dir is the request's when there is one, else the response's */
	bool dev_receives = e->has_request;
	uint8_t fc = e->fc & 0x7F;

	if (!e->has_request && !e->has_response)
		return;
	rec_init(&d, &e->h, dev_receives, DEVICE_PROTO_MODBUS);
	d.has_unit = true;
	d.unit = e->unit;
	d.func = fc;
	modbus_action(e, &d);
	modbus_detail(e, &d);
	modbus_result(e, &d);
	if (modbus_is_poll(fc))
		sum_add(&d, e->h.event_id);
	else
		emit(&d, e->h.event_id, DEVLOG_SEED_CMD);
}

/* ------------------------------------------------------------------------
 * DNP3
 * --------------------------------------------------------------------- */

static bool dnp3_is_nr(uint8_t fc)
{
	return fc == DEVLOG_DNP3_DIRECT_OPERATE_NR ||
	    fc == DEVLOG_DNP3_IMMED_FREEZE_NR ||
	    fc == DEVLOG_DNP3_FREEZE_CLEAR_NR ||
	    fc == DEVLOG_DNP3_FREEZE_AT_TIME_NR ||
	    fc == DEVLOG_DNP3_AUTH_REQ_NO_ACK;
}

static bool dnp3_is_control(uint8_t fc)
{
	return fc >= DEVLOG_DNP3_SELECT && fc <= DEVLOG_DNP3_DIRECT_OPERATE_NR;
}

/* IIN bit (IIN1 << 8 | IIN2 numbering) of g80v1 point index i. */
static unsigned g80_bit(uint32_t i)
{
	return i < 8 ? 8 + i : i - 8;
}

static void dnp3_point_text(struct sb *s, const struct ev_dnp3 *e,
    const struct dnp3_point *p)
{
	static const char *const dbit[4] = {
		"INTERMEDIATE", "OFF", "ON", "INDETERMINATE",
	};

	switch (p->kind) {
	case DNP3_VAL_BOOL:
		sb_putc(s, p->ival ? '1' : '0');
		break;
	case DNP3_VAL_DBIT:
		sb_puts(s, dbit[p->ival & 3]);
		break;
	case DNP3_VAL_INT:
		sb_puti(s, p->ival);
		break;
	case DNP3_VAL_UINT:
		sb_putu(s, (uint64_t)p->ival);
		break;
	case DNP3_VAL_FLOAT:
		sb_printf(s, "%g", p->fval);
		break;
	case DNP3_VAL_TIME:
		sb_time_ms(s, p->time_ms);
		break;
	case DNP3_VAL_STR:
		if ((size_t)p->str_off + p->str_len < DNP3_EV_STRPOOL) {
			sb_putc(s, '"');
			for (unsigned i = 0; i < p->str_len; i++) {
				unsigned char c =
				    (unsigned char)e->strpool[p->str_off + i];

				sb_putc(s, c >= 0x20 && c < 0x7F ? (char)c : '.');
			}
			sb_putc(s, '"');
		}
		break;
	default:
		sb_putc(s, '?');
		break;
	}
}

/* One object header of a request, for READ/WRITE/freeze/file functions. */
static void dnp3_object_text(struct sb *s, const struct ev_dnp3 *e,
    const struct dnp3_object *o, bool *trunc)
{
	if (o->group == 60 && o->variation >= 1 && o->variation <= 4) {
		sb_puts(s, "class ");
		sb_putu(s, o->variation - 1u);
		return;
	}
	if (o->group == 80 && o->variation == 1 && o->point_count) {
		for (unsigned i = 0; i < o->point_count; i++) {
			unsigned k = (unsigned)o->point_first + i;
			const char *n;

			if (k >= e->npoints || k >= DNP3_EV_MAX_POINTS)
				break;
			n = dnp3_iin_name(g80_bit(e->points[k].index));
			if (i)
				sb_puts(s, ", ");
			sb_puts(s, "IIN ");
			sb_puts(s, n ? n : "?");
			sb_puts(s, " := ");
			sb_putc(s, e->points[k].ival ? '1' : '0');
		}
		return;
	}
	if (o->group == 50 && o->point_count == 1 &&
	    o->point_first < e->npoints) {
		sb_puts(s, "time := ");
		sb_time_ms(s, e->points[o->point_first].time_ms);
		return;
	}
	if (o->group == 70 && o->point_count == 1 &&
	    o->point_first < e->npoints &&
	    e->points[o->point_first].kind == DNP3_VAL_STR) {
		sb_puts(s, "file ");
		dnp3_point_text(s, e, &e->points[o->point_first]);
		return;
	}
	sb_putc(s, 'g');
	sb_putu(s, o->group);
	sb_putc(s, 'v');
	sb_putu(s, o->variation);
	if (o->has_range) {
		sb_putc(s, ' ');
		sb_putu(s, o->start);
		sb_puts(s, "..");
		sb_putu(s, o->stop);
	} else if (o->count) {
		sb_puts(s, " count ");
		sb_putu(s, o->count);
	}
	if (o->point_count) {
		sb_puts(s, " := [");
		for (unsigned i = 0; i < o->point_count; i++) {
			unsigned k = (unsigned)o->point_first + i;

			if (k >= e->npoints || k >= DNP3_EV_MAX_POINTS)
				break;
			if (i == DEVLOG_MAX_LIST) {
				sb_puts(s, ", ...");
				*trunc = true;
				break;
			}
			if (i)
				sb_puts(s, ", ");
			if (!o->has_range) {
				sb_putu(s, e->points[k].index);
				sb_puts(s, ": ");
			}
			dnp3_point_text(s, e, &e->points[k]);
		}
		sb_putc(s, ']');
	}
}

/* "operate CROB 3 LATCH_ON", "direct operate AO 2 := 12.5". */
static void dnp3_control_text(struct sb *s, const struct dnp3_control *c)
{
	if (c->is_analog) {
		sb_puts(s, "AO ");
		sb_putu(s, c->index);
		sb_puts(s, " := ");
		if (c->is_float)
			sb_printf(s, "%g", c->fval);
		else
			sb_puti(s, c->ival);
		return;
	}
	{
		const char *op = dnp3_control_op_name(c->code);
		const char *tcc = dnp3_control_tcc_name(c->code);
		uint8_t opc = c->code & 0x0f;

		sb_puts(s, "CROB ");
		sb_putu(s, c->index);
		if (op) {
			sb_putc(s, ' ');
			sb_puts(s, op);
		} else {
			sb_puts(s, " op ");
			sb_putu(s, opc);
		}
		if (tcc) {
			sb_putc(s, ' ');
			sb_puts(s, tcc);
		}
		if (c->code & 0x20)
			sb_puts(s, " CLEAR");
		if (opc == 1 || opc == 2 || c->count > 1) {
			sb_puts(s, " count ");
			sb_putu(s, c->count);
			sb_puts(s, " on ");
			sb_putu(s, c->on_ms);
			sb_puts(s, " ms off ");
			sb_putu(s, c->off_ms);
			sb_puts(s, " ms");
		}
	}
}

static void dnp3_detail(const struct ev_dnp3 *e, struct ev_device *d)
{
	const struct dnp3_msg *m = &e->req;
	unsigned nobj = m->nobjects < DNP3_EV_MAX_OBJECTS ? m->nobjects :
	    DNP3_EV_MAX_OBJECTS;
	bool trunc = false;
	struct sb s;

	sb_init(&s, d->detail, sizeof(d->detail));
	if (dnp3_is_control(m->func)) {
		static const char *const verbs[] = {
			[DEVLOG_DNP3_SELECT] = "select",
			[DEVLOG_DNP3_OPERATE] = "operate",
			[DEVLOG_DNP3_DIRECT_OPERATE] = "direct operate",
			[DEVLOG_DNP3_DIRECT_OPERATE_NR] = "direct operate (no ack)",
		};
		unsigned n = 0;

		sb_puts(&s, verbs[m->func]);
		for (unsigned i = 0; i < nobj; i++) {
			const struct dnp3_object *o = &m->objects[i];

			for (unsigned c = 0; c < o->control_count; c++) {
				unsigned k = (unsigned)o->control_first + c;

				if (k >= e->ncontrols || k >= DNP3_EV_MAX_CONTROLS)
					break;
				sb_puts(&s, n++ ? ", " : " ");
				dnp3_control_text(&s, &e->controls[k]);
			}
		}
		if (n == 0)
			for (unsigned i = 0; i < nobj; i++) {
				sb_puts(&s, i ? ", " : " ");
				dnp3_object_text(&s, e, &m->objects[i], &trunc);
			}
	} else if (nobj == 0) {
		const char *fn = dnp3_func_name(m->func);

		if (fn) {
			lower_copy(d->detail, sizeof(d->detail), fn, ' ');
			s.len = strlen(d->detail);
		} else {
			sb_puts(&s, "function ");
			sb_putu(&s, m->func);
		}
	} else {
		for (unsigned i = 0; i < nobj; i++) {
			if (i)
				sb_puts(&s, ", ");
			dnp3_object_text(&s, e, &m->objects[i], &trunc);
		}
	}
	if (m->truncated || m->unparsed || m->malformed) {
		sb_puts(&s, " (");
		sb_puts(&s, m->malformed ? "malformed" :
		    m->unparsed ? "not fully decoded" : "truncated");
		sb_putc(&s, ')');
	}
	d->detail_truncated = trunc || s.trunc || m->truncated;
}

static void dnp3_result(const struct ev_dnp3 *e, struct ev_device *d)
{
	const struct dnp3_msg *r = &e->resp;
	struct sb s;

	sb_init(&s, d->result, sizeof(d->result));
	if (!e->matched || !r->present) {
		sb_puts(&s, dnp3_is_nr(e->req.func) ? "no response expected" :
		    "no response");
		return;
	}
	if (r->has_iin && (r->iin & DEVLOG_IIN_REFUSED)) {
		sb_puts(&s, "iin");
		for (unsigned b = 0; b < 8; b++)
			if ((DEVLOG_IIN_REFUSED & (1u << b)) && (r->iin & (1u << b))) {
				sb_putc(&s, ' ');
				sb_puts(&s, dnp3_iin_name(b));
			}
		return;
	}
	for (unsigned i = 0; i < r->nobjects && i < DNP3_EV_MAX_OBJECTS; i++) {
		const struct dnp3_object *o = &r->objects[i];

		for (unsigned c = 0; c < o->control_count; c++) {
			unsigned k = (unsigned)o->control_first + c;
			const struct dnp3_control *ct;
			const char *sn;

			if (k >= e->ncontrols || k >= DNP3_EV_MAX_CONTROLS)
				break;
			ct = &e->controls[k];
			if (ct->status == 0)
				continue;
			sn = dnp3_control_status_name(ct->status);
			sb_puts(&s, "status ");
			if (sn)
				sb_puts(&s, sn);
			else
				sb_putu(&s, ct->status);
			sb_puts(&s, ct->is_analog ? " (AO " : " (CROB ");
			sb_putu(&s, ct->index);
			sb_putc(&s, ')');
			return;
		}
	}
	sb_puts(&s, "ok");
	/* restarts answer with the time to wait (g52v1 s, g52v2 ms) */
	if (e->req.func == DEVLOG_DNP3_COLD_RESTART ||
	    e->req.func == DEVLOG_DNP3_WARM_RESTART) {
		for (unsigned i = 0; i < r->nobjects && i < DNP3_EV_MAX_OBJECTS;
		    i++) {
			const struct dnp3_object *o = &r->objects[i];

			if (o->group != 52 || !o->point_count ||
			    o->point_first >= e->npoints)
				continue;
			sb_puts(&s, ", restart in ");
			sb_putu(&s, (uint64_t)e->points[o->point_first].ival);
			sb_puts(&s, o->variation == 1 ? " s" : " ms");
			break;
		}
	}
}

static void dnp3_command(const struct ev_dnp3 *e)
{
	struct ev_device d;
	const char *fn = dnp3_func_name(e->req.func);

	rec_init(&d, &e->h, true, DEVICE_PROTO_DNP3);
	d.has_unit = true;
	d.unit = e->req.link_dst;
	d.has_master = true;
	d.master = e->req.link_src;
	d.func = e->req.func;
	if (fn) {
		lower_copy(d.action, sizeof(d.action), fn, '_');
	} else {
		struct sb s;

		sb_init(&s, d.action, sizeof(d.action));
		sb_puts(&s, "function_");
		sb_putu(&s, e->req.func);
	}
	dnp3_detail(e, &d);
	dnp3_result(e, &d);
	if (e->req.func == DEVLOG_DNP3_READ)
		sum_add(&d, e->h.event_id);
	else
		emit(&d, e->h.event_id, DEVLOG_SEED_CMD);
}

/* Compares the response's IIN with the last one of its outstation. */
static void dnp3_iin(const struct ev_dnp3 *e)
{
	const struct dnp3_msg *r = &e->resp;
	struct devlog_iin *slot = NULL, *lru = NULL;
	struct ev_device d;
	uint16_t before, changed;
	unsigned n = 0;
	struct sb s;
	/* the device sent the response; h.dir is the request's if any */
	bool dev_receives = e->req.present;
	const struct flow_key *k = &e->h.key;
	const uint8_t *ip = dev_is_dst(&e->h, dev_receives) ? k->dst : k->src;

	for (unsigned i = 0; i < DEVLOG_IIN_SLOTS; i++) {
		struct devlog_iin *c = &tl.iin[i];

		if (c->used && c->addr == r->link_src &&
		    c->family == k->family && memcmp(c->ip, ip, 16) == 0) {
			slot = c;
			break;
		}
		/* a free slot, else the one seen least recently */
		if (!lru || (lru->used && (!c->used || c->last_us < lru->last_us)))
			lru = c;
	}
	if (slot == NULL) {
		slot = lru;
		memset(slot, 0, sizeof(*slot));
		slot->used = true;
		slot->family = k->family;
		memcpy(slot->ip, ip, 16);
		slot->addr = r->link_src;
	}
	before = slot->iin;
	slot->iin = r->iin;
	slot->last_us = r->ts_us;
	changed = (uint16_t)((before ^ r->iin) & DEVLOG_IIN_WATCH);
	if (!changed)
		return;

	rec_init(&d, &e->h, dev_receives, DEVICE_PROTO_DNP3);
	d.kind = DEVICE_KIND_STATE;
	d.has_by = false;
	d.has_unit = true;
	d.unit = r->link_src;
	d.func = r->func;
	if (r->ts_us)
		d.h.ts_us = r->ts_us;
	str_set(d.action, sizeof(d.action), "iin_change");
	sb_init(&s, d.detail, sizeof(d.detail));
	for (int b = 15; b >= 0; b--) {
		if (!(changed & (1u << b)))
			continue;
		if (n++)
			sb_puts(&s, ", ");
		sb_puts(&s, dnp3_iin_name((unsigned)b));
		sb_puts(&s, (r->iin & (1u << b)) ? " on" : " off");
	}
	sb_puts(&s, " (iin 0x");
	sb_hex(&s, r->iin, 4, false);
	sb_putc(&s, ')');
	d.detail_truncated = s.trunc;
	emit(&d, e->h.event_id, DEVLOG_SEED_STATE);
}

static void observe_dnp3(const struct ev_dnp3 *e)
{
	if (e->req.present)
		dnp3_command(e);
	if (e->resp.present && e->resp.has_iin)
		dnp3_iin(e);
}

/* ------------------------------------------------------------------------
 * Entry
 * --------------------------------------------------------------------- */

void device_log_observe(const struct ev_hdr *ev)
{
	if (ev->type != EV_MODBUS && ev->type != EV_DNP3)
		return;
	sum_roll(ev->ts_us);
	if (ev->type == EV_MODBUS)
		observe_modbus((const struct ev_modbus *)ev);
	else
		observe_dnp3((const struct ev_dnp3 *)ev);
}
