/*
 * output_json_dnp3.c - the JSON layout of the "dnp3" event object.
 *
 *   "dnp3": {
 *     "src", "dst",            link addresses of the first message of the
 *                              event (the request when there is one)
 *     "function_code", "function",     of that same message
 *     "application_control": {"fir", "fin", "con", "uns", "seq"},
 *     "matched", ["rtt_ms"], "unsolicited", ["continuation"],
 *     ["truncated"], ["bad_crc_total"],
 *     ["request": MSG], ["response": MSG]
 *   }
 *
 *   MSG = {"function_code", "function", "src", "dst", "link_function",
 *          "application_control": {fir, fin, con, uns, seq}, "length",
 *          ["iin": [names], "iin_raw"],                  responses only
 *          "objects": [OBJ], ["control": [CTL]],
 *          ["objects_seen"],   when more headers came than were kept
 *          ["truncated"], ["unparsed"], ["malformed"]}
 *
 *   OBJ = {"group", "variation", ["name"], "qualifier" (raw byte),
 *          ["start", "stop"], ["count"], ["attribute"] (g0),
 *          ["points": [{"index", ["value"], ["flags"], ["time"] |
 *                       ["time_offset_ms"]}]]}
 *
 *   CTL = CROB (g12): {"index", "group", "variation", "code", "op",
 *                      ["tcc"], ["queue"], ["clear"], "count", "on_ms",
 *                      "off_ms", "status", "status_name"}
 *         analog output block (g41): {"index", "group", "variation",
 *                      "value", "status", "status_name"}
 *
 * A response to SELECT/OPERATE echoes the controls with their status, so
 * the request's "control" carries the command and the response's the
 * outcome.  "iin" lists the set bits of IIN1 (bit 0..7) then IIN2 (bit
 * 0..7), names from dnp3_iin_name(); "iin_raw" is IIN1 << 8 | IIN2, as
 * tshark shows it.  Point values: booleans for binary points, the state
 * name (INTERMEDIATE, OFF, ON, INDETERMINATE) for double-bit points,
 * numbers for counters and analogs, an ISO 8601 string for times (ms
 * precision), strings for g0/g70/g110 text.  "time" is absolute; a 16-bit
 * relative time with no common time of occurrence before it goes out as
 * "time_offset_ms".  Unknown codes go out as "unknown-<n>".
 *
 * Reference: IEEE 1815-2012 clauses 4.2.2 (application header, IIN),
 * 11 and annex A (objects, CROB codes and status).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "output.h"

/* Latest representable ISO time: 9999-12-31T23:59:59.999Z. */
#define DNP3_TIME_MAX_MS 253402300799999ULL

static void put_name_or_unknown(struct jw *w, const char *key,
    const char *name, unsigned code)
{
	char b[24];

	if (name) {
		jw_str(w, key, name);
		return;
	}
	snprintf(b, sizeof(b), "unknown-%u", code);
	jw_str(w, key, b);
}

/*
 * A number with as few decimals as it needs to read back the same
 * (single-precision values compare as floats).
 */
static void put_num(struct jw *w, const char *key, double v)
{
	bool single = (double)(float)v == v;	/* a g30v5-style value */
	char b[400];

	for (int d = 0; d < 17; d++) {
		double back;

		snprintf(b, sizeof(b), "%.*f", d, v);
		back = strtod(b, NULL);
		if (back == v || (single && (float)back == (float)v)) {
			jw_dbl(w, key, v, d);
			return;
		}
	}
	jw_dbl(w, key, v, 17);
}

/* DNP3 absolute time (ms since 1970 UTC) as ISO 8601, or the number. */
static void put_dnp3_time(struct jw *w, const char *key, uint64_t ms)
{
	char b[80];
	time_t t;
	struct tm tm;

	if (ms > DNP3_TIME_MAX_MS) {
		jw_u64(w, key, ms);
		return;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	jw_str(w, key, b);
}

static void put_ac(struct jw *w, const struct dnp3_msg *m)
{
	jw_obj_open(w, "application_control");
	jw_bool(w, "fir", m->fir);
	jw_bool(w, "fin", m->fin);
	jw_bool(w, "con", m->con);
	jw_bool(w, "uns", m->uns);
	jw_u64(w, "seq", m->seq);
	jw_obj_close(w);
}

static const char *const dbit_names[4] = {
	"INTERMEDIATE", "OFF", "ON", "INDETERMINATE",
};

static void put_point(struct jw *w, const struct ev_dnp3 *e,
    const struct dnp3_point *p)
{
	jw_obj_open(w, NULL);
	jw_u64(w, "index", p->index);
	switch (p->kind) {
	case DNP3_VAL_BOOL:
		jw_bool(w, "value", p->ival != 0);
		break;
	case DNP3_VAL_DBIT:
		jw_str(w, "value", dbit_names[p->ival & 3]);
		break;
	case DNP3_VAL_INT:
		jw_i64(w, "value", p->ival);
		break;
	case DNP3_VAL_UINT:
		jw_u64(w, "value", (uint64_t)p->ival);
		break;
	case DNP3_VAL_FLOAT:
		put_num(w, "value", p->fval);
		break;
	case DNP3_VAL_STR:
		if ((size_t)p->str_off + p->str_len <= DNP3_EV_STRPOOL &&
		    p->str_off <= e->strpool_len)
			jw_strn(w, "value", e->strpool + p->str_off, p->str_len);
		break;
	default:
		break;		/* DNP3_VAL_TIME: in "time" below */
	}
	if (p->has_flags)
		jw_u64(w, "flags", p->flags);
	if (p->has_time) {
		if (p->time_relative)
			jw_u64(w, "time_offset_ms", p->time_ms);
		else
			put_dnp3_time(w, "time", p->time_ms);
	}
	jw_obj_close(w);
}

static void put_object(struct jw *w, const struct ev_dnp3 *e,
    const struct dnp3_object *o)
{
	const char *gname = dnp3_group_name(o->group);

	jw_obj_open(w, NULL);
	jw_u64(w, "group", o->group);
	jw_u64(w, "variation", o->variation);
	if (gname)
		jw_str(w, "name", gname);
	jw_u64(w, "qualifier", o->qualifier);
	if (o->has_range) {
		jw_u64(w, "start", o->start);
		jw_u64(w, "stop", o->stop);
	}
	if (o->count)
		jw_u64(w, "count", o->count);
	if (o->group == 0 && dnp3_attr_name(o->variation))
		jw_str(w, "attribute", dnp3_attr_name(o->variation));
	if (o->point_count) {
		jw_arr_open(w, "points");
		for (unsigned i = 0; i < o->point_count; i++) {
			unsigned k = (unsigned)o->point_first + i;

			if (k >= e->npoints || k >= DNP3_EV_MAX_POINTS)
				break;
			put_point(w, e, &e->points[k]);
		}
		jw_arr_close(w);
	}
	jw_obj_close(w);
}

static void put_control(struct jw *w, const struct dnp3_control *c)
{
	jw_obj_open(w, NULL);
	jw_u64(w, "index", c->index);
	jw_u64(w, "group", c->group);
	jw_u64(w, "variation", c->variation);
	if (c->is_analog) {
		if (c->is_float)
			put_num(w, "value", c->fval);
		else
			jw_i64(w, "value", c->ival);
	} else {
		const char *tcc = dnp3_control_tcc_name(c->code);

		jw_u64(w, "code", c->code);
		put_name_or_unknown(w, "op", dnp3_control_op_name(c->code),
		    c->code & 0x0f);
		if (tcc)
			jw_str(w, "tcc", tcc);
		if (c->code & 0x10)
			jw_bool(w, "queue", true);
		if (c->code & 0x20)
			jw_bool(w, "clear", true);
		jw_u64(w, "count", c->count);
		jw_u64(w, "on_ms", c->on_ms);
		jw_u64(w, "off_ms", c->off_ms);
	}
	jw_u64(w, "status", c->status);
	put_name_or_unknown(w, "status_name",
	    dnp3_control_status_name(c->status), c->status);
	jw_obj_close(w);
}

static void put_msg(struct jw *w, const char *key, const struct ev_dnp3 *e,
    const struct dnp3_msg *m)
{
	unsigned nobj = m->nobjects < DNP3_EV_MAX_OBJECTS ? m->nobjects :
	    DNP3_EV_MAX_OBJECTS;
	unsigned nctl = 0;
	const char *lf = dnp3_link_func_name(m->link_ctrl);

	jw_obj_open(w, key);
	jw_u64(w, "function_code", m->func);
	put_name_or_unknown(w, "function", dnp3_func_name(m->func), m->func);
	jw_u64(w, "src", m->link_src);
	jw_u64(w, "dst", m->link_dst);
	put_name_or_unknown(w, "link_function", lf, m->link_ctrl & 0x0f);
	put_ac(w, m);
	jw_u64(w, "length", m->frag_len);
	if (m->has_iin) {
		static const unsigned order[16] = {
			8, 9, 10, 11, 12, 13, 14, 15,	/* IIN1.0 .. IIN1.7 */
			0, 1, 2, 3, 4, 5, 6, 7,		/* IIN2.0 .. IIN2.7 */
		};

		jw_arr_open(w, "iin");
		for (unsigned i = 0; i < 16; i++)
			if (m->iin & (1u << order[i]))
				put_name_or_unknown(w, NULL,
				    dnp3_iin_name(order[i]), order[i]);
		jw_arr_close(w);
		jw_u64(w, "iin_raw", m->iin);
	}
	jw_arr_open(w, "objects");
	for (unsigned i = 0; i < nobj; i++) {
		put_object(w, e, &m->objects[i]);
		nctl += m->objects[i].control_count;
	}
	jw_arr_close(w);
	if (nctl) {
		jw_arr_open(w, "control");
		for (unsigned i = 0; i < nobj; i++) {
			const struct dnp3_object *o = &m->objects[i];

			for (unsigned c = 0; c < o->control_count; c++) {
				unsigned k = (unsigned)o->control_first + c;

				if (k >= e->ncontrols || k >= DNP3_EV_MAX_CONTROLS)
					break;
				put_control(w, &e->controls[k]);
			}
		}
		jw_arr_close(w);
	}
	if (m->objects_seen > m->nobjects)
		jw_u64(w, "objects_seen", m->objects_seen);
	if (m->truncated)
		jw_bool(w, "truncated", true);
	if (m->unparsed)
		jw_bool(w, "unparsed", true);
	if (m->malformed)
		jw_bool(w, "malformed", true);
	jw_obj_close(w);
}

void json_put_dnp3(struct jw *w, const struct ev_dnp3 *e)
{
	const struct dnp3_msg *first = e->req.present ? &e->req : &e->resp;

	jw_obj_open(w, "dnp3");
	jw_u64(w, "src", first->link_src);
	jw_u64(w, "dst", first->link_dst);
	jw_u64(w, "function_code", first->func);
	put_name_or_unknown(w, "function", dnp3_func_name(first->func),
	    first->func);
	put_ac(w, first);
	jw_bool(w, "matched", e->matched);
	if (e->matched)
		jw_dbl(w, "rtt_ms", (double)e->rtt_us / 1000.0, 3);
	jw_bool(w, "unsolicited", e->unsolicited);
	if (e->continuation)
		jw_bool(w, "continuation", true);
	if (e->truncated)
		jw_bool(w, "truncated", true);
	if (e->bad_crc_total)
		jw_u64(w, "bad_crc_total", e->bad_crc_total);
	if (e->req.present)
		put_msg(w, "request", e, &e->req);
	if (e->resp.present)
		put_msg(w, "response", e, &e->resp);
	jw_obj_close(w);
}
