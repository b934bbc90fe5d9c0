/*
 * dnp3_decode.c - DNP3 application objects: object headers (group,
 * variation, qualifier, range), the object library's point layouts, and
 * the decoding of points, CROB and analog output blocks, g0 device
 * attributes, time objects and g70 file objects into struct ev_dnp3.
 *
 * dissectors/dnp3.c rebuilds each application fragment from link frames
 * and transport segments and calls dnp3_msg_decode() here (dnp3_int.h).
 * Everything is read from that borrowed fragment through the rd cursor;
 * nothing is kept between calls.
 *
 * clang-format off
 *
 *   application fragment (4.2):
 *   +----+----+---------------+--------------------------------------+
 *   | AC | FC | IIN1 IIN2     | object header [data] object header ...
 *   +----+----+---------------+--------------------------------------+
 *   object header (4.2.2.7):
 *   +-------+-----------+-----------+---------------+------------------+
 *   | GROUP | VARIATION | QUALIFIER | range 0-8 B   | [prefix] point * |
 *   +-------+-----------+-----------+---------------+------------------+
 *     QUALIFIER = 0 PREFIX(3) RANGE(4).  Prefix 0 none, 1-3 index of
 *     1/2/4 bytes, 4-6 object size of 1/2/4 bytes.  Range 0-5 start and
 *     stop, 6 all points, 7-9 count of 1/2/4 bytes, 0xb free-format count.
 *
 * clang-format on
 *
 * Reference: IEEE Std 1815-2012, 4.2.2.7 (object headers and qualifiers),
 * 4.4 (which requests carry object data), clauses 10/11 and annex A
 * (object library; A.1 for the g0 attribute types).
 *
 * Not decoded, on purpose: see dnp3.c.  A group/variation missing from
 * dnp3_gv_table stops the decode of its fragment (msg.unparsed).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dissector.h"
#include "dnp3_int.h"
#include "rd.h"

/* ---------------------------------------------------------------------- */
/* Object library: point sizes and layouts (IEEE 1815-2012 annex A)       */
/* ---------------------------------------------------------------------- */

enum dnp3_vt {
	VT_NONE,
	VT_BIT7,	/* state in bit 7 of the flags byte */
	VT_DBIT,	/* double-bit state in bits 6-7 of the flags byte */
	VT_PACK1,	/* packed, 1 bit per point */
	VT_PACK2,	/* packed, 2 bits per point */
	VT_U16,
	VT_U32,
	VT_I16,
	VT_I32,
	VT_F32,
	VT_F64,
	VT_T48,		/* the value is an absolute time */
	VT_CTO,		/* common time of occurrence (g51) */
	VT_CROB,	/* control relay output block -> controls[] */
	VT_OCTETS,	/* size = variation (g110-113) */
	VT_ATTR,	/* g0: type, length, value */
};

enum dnp3_tt { TT_NONE, TT_48, TT_16 };

/*
 * One row per group/variation.  'size' is the bytes of one point without
 * its index prefix (0 for packed and variable ones), 'bits' the bits per
 * point of packed variations.  A point is read as: [flags] value [time]
 * [status if aob] then 'post' bytes skipped.
 */
struct dnp3_gv {
	uint8_t group, variation;
	uint8_t size, bits;
	uint8_t flags;		/* leading flags byte */
	uint8_t vt, tt;
	uint8_t aob;		/* analog output block: trailing status -> controls[] */
	uint8_t post;		/* trailing bytes not decoded */
};

#define GV(g, v, sz, f, vt, tt) { g, v, sz, 0, f, vt, tt, 0, 0 }
#define GVP(g, v, bits, vt) { g, v, 0, bits, 0, vt, TT_NONE, 0, 0 }
#define GVA(g, v, sz, vt) { g, v, sz, 0, 0, vt, TT_NONE, 1, 0 }
#define GVX(g, v, sz, vt, post) { g, v, sz, 0, 0, vt, TT_NONE, 0, post }

/* clang-format off */
static const struct dnp3_gv dnp3_gv_table[] = {
	/* binary inputs and events */
	GVP(1, 1, 1, VT_PACK1),
	GV(1, 2, 1, 1, VT_BIT7, TT_NONE),
	GV(2, 1, 1, 1, VT_BIT7, TT_NONE),
	GV(2, 2, 7, 1, VT_BIT7, TT_48),
	GV(2, 3, 3, 1, VT_BIT7, TT_16),
	/* double-bit inputs and events */
	GVP(3, 1, 2, VT_PACK2),
	GV(3, 2, 1, 1, VT_DBIT, TT_NONE),
	GV(4, 1, 1, 1, VT_DBIT, TT_NONE),
	GV(4, 2, 7, 1, VT_DBIT, TT_48),
	GV(4, 3, 3, 1, VT_DBIT, TT_16),
	/* binary outputs, events, commands */
	GVP(10, 1, 1, VT_PACK1),
	GV(10, 2, 1, 1, VT_BIT7, TT_NONE),
	GV(11, 1, 1, 1, VT_BIT7, TT_NONE),
	GV(11, 2, 7, 1, VT_BIT7, TT_48),
	GV(12, 1, 11, 0, VT_CROB, TT_NONE),
	GV(12, 2, 11, 0, VT_CROB, TT_NONE),
	GVP(12, 3, 1, VT_PACK1),
	GV(13, 1, 1, 1, VT_BIT7, TT_NONE),
	GV(13, 2, 7, 1, VT_BIT7, TT_48),
	/* counters */
	GV(20, 1, 5, 1, VT_U32, TT_NONE),
	GV(20, 2, 3, 1, VT_U16, TT_NONE),
	GV(20, 3, 5, 1, VT_U32, TT_NONE),
	GV(20, 4, 3, 1, VT_U16, TT_NONE),
	GV(20, 5, 4, 0, VT_U32, TT_NONE),
	GV(20, 6, 2, 0, VT_U16, TT_NONE),
	GV(20, 7, 4, 0, VT_U32, TT_NONE),
	GV(20, 8, 2, 0, VT_U16, TT_NONE),
	GV(21, 1, 5, 1, VT_U32, TT_NONE),
	GV(21, 2, 3, 1, VT_U16, TT_NONE),
	GV(21, 3, 5, 1, VT_U32, TT_NONE),
	GV(21, 4, 3, 1, VT_U16, TT_NONE),
	GV(21, 5, 11, 1, VT_U32, TT_48),
	GV(21, 6, 9, 1, VT_U16, TT_48),
	GV(21, 7, 11, 1, VT_U32, TT_48),
	GV(21, 8, 9, 1, VT_U16, TT_48),
	GV(21, 9, 4, 0, VT_U32, TT_NONE),
	GV(21, 10, 2, 0, VT_U16, TT_NONE),
	GV(21, 11, 4, 0, VT_U32, TT_NONE),
	GV(21, 12, 2, 0, VT_U16, TT_NONE),
	GV(22, 1, 5, 1, VT_U32, TT_NONE),
	GV(22, 2, 3, 1, VT_U16, TT_NONE),
	GV(22, 3, 5, 1, VT_U32, TT_NONE),
	GV(22, 4, 3, 1, VT_U16, TT_NONE),
	GV(22, 5, 11, 1, VT_U32, TT_48),
	GV(22, 6, 9, 1, VT_U16, TT_48),
	GV(22, 7, 11, 1, VT_U32, TT_48),
	GV(22, 8, 9, 1, VT_U16, TT_48),
	GV(23, 1, 5, 1, VT_U32, TT_NONE),
	GV(23, 2, 3, 1, VT_U16, TT_NONE),
	GV(23, 3, 5, 1, VT_U32, TT_NONE),
	GV(23, 4, 3, 1, VT_U16, TT_NONE),
	GV(23, 5, 11, 1, VT_U32, TT_48),
	GV(23, 6, 9, 1, VT_U16, TT_48),
	GV(23, 7, 11, 1, VT_U32, TT_48),
	GV(23, 8, 9, 1, VT_U16, TT_48),
	/* analog inputs, frozen, events, deadbands */
	GV(30, 1, 5, 1, VT_I32, TT_NONE),
	GV(30, 2, 3, 1, VT_I16, TT_NONE),
	GV(30, 3, 4, 0, VT_I32, TT_NONE),
	GV(30, 4, 2, 0, VT_I16, TT_NONE),
	GV(30, 5, 5, 1, VT_F32, TT_NONE),
	GV(30, 6, 9, 1, VT_F64, TT_NONE),
	GV(31, 1, 5, 1, VT_I32, TT_NONE),
	GV(31, 2, 3, 1, VT_I16, TT_NONE),
	GV(31, 3, 11, 1, VT_I32, TT_48),
	GV(31, 4, 9, 1, VT_I16, TT_48),
	GV(31, 5, 4, 0, VT_I32, TT_NONE),
	GV(31, 6, 2, 0, VT_I16, TT_NONE),
	GV(31, 7, 5, 1, VT_F32, TT_NONE),
	GV(31, 8, 9, 1, VT_F64, TT_NONE),
	GV(32, 1, 5, 1, VT_I32, TT_NONE),
	GV(32, 2, 3, 1, VT_I16, TT_NONE),
	GV(32, 3, 11, 1, VT_I32, TT_48),
	GV(32, 4, 9, 1, VT_I16, TT_48),
	GV(32, 5, 5, 1, VT_F32, TT_NONE),
	GV(32, 6, 9, 1, VT_F64, TT_NONE),
	GV(32, 7, 11, 1, VT_F32, TT_48),
	GV(32, 8, 15, 1, VT_F64, TT_48),
	GV(33, 1, 5, 1, VT_I32, TT_NONE),
	GV(33, 2, 3, 1, VT_I16, TT_NONE),
	GV(33, 3, 11, 1, VT_I32, TT_48),
	GV(33, 4, 9, 1, VT_I16, TT_48),
	GV(33, 5, 5, 1, VT_F32, TT_NONE),
	GV(33, 6, 9, 1, VT_F64, TT_NONE),
	GV(33, 7, 11, 1, VT_F32, TT_48),
	GV(33, 8, 15, 1, VT_F64, TT_48),
	GV(34, 1, 2, 0, VT_U16, TT_NONE),
	GV(34, 2, 4, 0, VT_U32, TT_NONE),
	GV(34, 3, 4, 0, VT_F32, TT_NONE),
	/* analog outputs: status, blocks (commands), events, command events */
	GV(40, 1, 5, 1, VT_I32, TT_NONE),
	GV(40, 2, 3, 1, VT_I16, TT_NONE),
	GV(40, 3, 5, 1, VT_F32, TT_NONE),
	GV(40, 4, 9, 1, VT_F64, TT_NONE),
	GVA(41, 1, 5, VT_I32),
	GVA(41, 2, 3, VT_I16),
	GVA(41, 3, 5, VT_F32),
	GVA(41, 4, 9, VT_F64),
	GV(42, 1, 5, 1, VT_I32, TT_NONE),
	GV(42, 2, 3, 1, VT_I16, TT_NONE),
	GV(42, 3, 11, 1, VT_I32, TT_48),
	GV(42, 4, 9, 1, VT_I16, TT_48),
	GV(42, 5, 5, 1, VT_F32, TT_NONE),
	GV(42, 6, 9, 1, VT_F64, TT_NONE),
	GV(42, 7, 11, 1, VT_F32, TT_48),
	GV(42, 8, 15, 1, VT_F64, TT_48),
	GV(43, 1, 5, 1, VT_I32, TT_NONE),	/* "flags" = command status */
	GV(43, 2, 3, 1, VT_I16, TT_NONE),
	GV(43, 3, 11, 1, VT_I32, TT_48),
	GV(43, 4, 9, 1, VT_I16, TT_48),
	GV(43, 5, 5, 1, VT_F32, TT_NONE),
	GV(43, 6, 9, 1, VT_F64, TT_NONE),
	GV(43, 7, 11, 1, VT_F32, TT_48),
	GV(43, 8, 15, 1, VT_F64, TT_48),
	/* time */
	GV(50, 1, 6, 0, VT_T48, TT_NONE),
	GVX(50, 2, 10, VT_T48, 4),		/* + interval (ms) */
	GV(50, 3, 6, 0, VT_T48, TT_NONE),
	GVX(50, 4, 11, VT_T48, 5),		/* + interval count, units */
	GV(51, 1, 6, 0, VT_CTO, TT_NONE),
	GV(51, 2, 6, 0, VT_CTO, TT_NONE),
	GV(52, 1, 2, 0, VT_U16, TT_NONE),	/* coarse delay, seconds */
	GV(52, 2, 2, 0, VT_U16, TT_NONE),	/* fine delay, ms */
	/* internal indications */
	GVP(80, 1, 1, VT_PACK1),
};
/* clang-format on */

static const struct dnp3_gv dnp3_gv_octets = { 0, 0, 0, 0, 0, VT_OCTETS,
	TT_NONE, 0, 0 };
static const struct dnp3_gv dnp3_gv_attr = { 0, 0, 0, 0, 0, VT_ATTR,
	TT_NONE, 0, 0 };

/* The layout of group g variation v, or NULL when we do not know it. */
static const struct dnp3_gv *dnp3_gv_find(uint8_t g, uint8_t v)
{
	if (g == 0 && v != 0 && v < 254)
		return &dnp3_gv_attr;
	if (g >= 110 && g <= 113 && v != 0)
		return &dnp3_gv_octets;
	for (size_t i = 0; i < sizeof(dnp3_gv_table) / sizeof(dnp3_gv_table[0]);
	    i++) {
		if (dnp3_gv_table[i].group == g &&
		    dnp3_gv_table[i].variation == v)
			return &dnp3_gv_table[i];
	}
	return NULL;
}

/*
 * Whether objects in a request with this function code carry data
 * (IEEE 1815-2012 clause 4.4): READ, freeze, class assignment and
 * unsolicited enable/disable name points only.
 */
static bool dnp3_req_has_data(uint8_t fc, uint8_t group)
{
	switch (fc) {
	case DNP3_FC_WRITE:
	case DNP3_FC_SELECT:
	case DNP3_FC_OPERATE:
	case DNP3_FC_DIRECT_OPERATE:
	case DNP3_FC_DIRECT_OPERATE_NR:
		return true;
	case DNP3_FC_FREEZE_AT_TIME:
	case DNP3_FC_FREEZE_AT_TIME_NR:
		return group == 50;
	default:
		/* file, activate-config and authentication functions */
		return fc >= DNP3_FC_OPEN_FILE && fc <= DNP3_FC_AUTH_REQ_NO_ACK;
	}
}

/* ---------------------------------------------------------------------- */
/* Object decoding                                                        */
/* ---------------------------------------------------------------------- */

/* Decoding context for one application fragment. */
struct dnp3_px {
	struct dnp3_state *st;
	struct flow_ctx *fc;
	enum dir d;
	struct ev_dnp3 *ev;
	struct dnp3_msg *m;
	uint8_t func;
	bool is_resp;
	bool have_cto;
	uint64_t cto_ms;
};

static void dnp3_cap_hit(struct dnp3_px *px, const char *what, int cap)
{
	if (!px->ev->truncated)
		dnp3_anom(px->st, px->fc, px->d, ANOM_APP_TOO_MANY,
		    "dnp3.max_%s: more than %d in one event", what, cap);
	px->ev->truncated = true;
	px->m->truncated = true;
}

static void dnp3_malformed(struct dnp3_px *px, const char *what,
    const struct dnp3_object *o, uint64_t want, size_t left)
{
	px->m->malformed = true;
	dnp3_anom(px->st, px->fc, px->d, ANOM_APP_MALFORMED,
	    "dnp3.%s: fc %u g%uv%u qualifier 0x%02x needs %llu bytes, %zu left",
	    what, px->func, o->group, o->variation, o->qualifier,
	    (unsigned long long)want, left);
}

/* A new point for object o, or NULL past DNP3_EV_MAX_POINTS. */
static struct dnp3_point *dnp3_point_add(struct dnp3_px *px,
    struct dnp3_object *o, uint32_t index)
{
	struct ev_dnp3 *ev = px->ev;
	struct dnp3_point *pt;

	if (ev->npoints >= DNP3_EV_MAX_POINTS) {
		dnp3_cap_hit(px, "points", DNP3_EV_MAX_POINTS);
		return NULL;
	}
	pt = &ev->points[ev->npoints++];
	memset(pt, 0, sizeof(*pt));
	pt->index = index;
	o->point_count++;
	return pt;
}

static struct dnp3_control *dnp3_control_add(struct dnp3_px *px,
    struct dnp3_object *o, uint32_t index)
{
	struct ev_dnp3 *ev = px->ev;
	struct dnp3_control *c;

	if (ev->ncontrols >= DNP3_EV_MAX_CONTROLS) {
		dnp3_cap_hit(px, "controls", DNP3_EV_MAX_CONTROLS);
		return NULL;
	}
	c = &ev->controls[ev->ncontrols++];
	memset(c, 0, sizeof(*c));
	c->index = index;
	c->group = o->group;
	c->variation = o->variation;
	o->control_count++;
	return c;
}

/* Copies n bytes (borrowed) into the string pool of the event; a point. */
static void dnp3_point_str(struct dnp3_px *px, struct dnp3_object *o,
    uint32_t index, const uint8_t *s, size_t n)
{
	struct ev_dnp3 *ev = px->ev;
	struct dnp3_point *pt = dnp3_point_add(px, o, index);
	size_t room;

	if (pt == NULL)
		return;
	pt->kind = DNP3_VAL_STR;
	room = DNP3_EV_STRPOOL - ev->strpool_len;
	if (room == 0) {
		pt->kind = DNP3_VAL_NONE;
		ev->truncated = px->m->truncated = true;
		return;
	}
	if (n > room - 1) {
		n = room - 1;
		ev->truncated = px->m->truncated = true;
	}
	pt->str_off = ev->strpool_len;
	pt->str_len = (uint16_t)n;
	memcpy(ev->strpool + ev->strpool_len, s, n);
	ev->strpool[ev->strpool_len + n] = '\0';
	ev->strpool_len = (uint16_t)(ev->strpool_len + n + 1);
}

static double dnp3_f32(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static double dnp3_f64(struct rd *r)
{
	uint64_t u = rd_le32(r);
	double f;

	u |= (uint64_t)rd_le32(r) << 32;
	memcpy(&f, &u, sizeof(f));
	return f;
}

/*
 * Reads a numeric value of type vt from r into ival/fval; returns true
 * when it was a float.  Short reads leave 0 (the caller checked sizes).
 */
static bool dnp3_read_num(struct rd *r, uint8_t vt, int64_t *ival,
    double *fval)
{
	switch (vt) {
	case VT_U16:
		*ival = rd_le16(r);
		return false;
	case VT_U32:
		*ival = rd_le32(r);
		return false;
	case VT_I16:
		*ival = (int16_t)rd_le16(r);
		return false;
	case VT_I32:
		*ival = (int32_t)rd_le32(r);
		return false;
	case VT_F32:
		*fval = dnp3_f32(rd_le32(r));
		return true;
	case VT_F64:
		*fval = dnp3_f64(r);
		return true;
	default:
		return false;
	}
}

/* One fixed-size point of layout gv from s (exactly gv->size bytes). */
static void dnp3_point_fixed(struct dnp3_px *px, struct dnp3_object *o,
    const struct dnp3_gv *gv, struct rd *s, uint32_t index)
{
	struct dnp3_point *pt;
	struct dnp3_control *c;
	uint16_t rel;

	if (gv->vt == VT_CROB) {
		c = dnp3_control_add(px, o, index);
		if (c == NULL)
			return;
		c->code = rd_u8(s);
		c->count = rd_u8(s);
		c->on_ms = rd_le32(s);
		c->off_ms = rd_le32(s);
		c->status = rd_u8(s);
		return;
	}
	if (gv->aob) {
		c = dnp3_control_add(px, o, index);
		if (c == NULL)
			return;
		c->is_analog = true;
		c->is_float = dnp3_read_num(s, gv->vt, &c->ival, &c->fval);
		c->status = rd_u8(s);
		return;
	}
	pt = dnp3_point_add(px, o, index);
	if (pt == NULL)
		return;
	if (gv->flags) {
		pt->flags = rd_u8(s);
		pt->has_flags = true;
	}
	switch (gv->vt) {
	case VT_BIT7:
		pt->kind = DNP3_VAL_BOOL;
		pt->ival = pt->flags >> 7;
		break;
	case VT_DBIT:
		pt->kind = DNP3_VAL_DBIT;
		pt->ival = pt->flags >> 6;
		break;
	case VT_U16:
	case VT_U32:
		pt->kind = DNP3_VAL_UINT;
		dnp3_read_num(s, gv->vt, &pt->ival, &pt->fval);
		break;
	case VT_I16:
	case VT_I32:
		pt->kind = DNP3_VAL_INT;
		dnp3_read_num(s, gv->vt, &pt->ival, &pt->fval);
		break;
	case VT_F32:
	case VT_F64:
		pt->kind = DNP3_VAL_FLOAT;
		dnp3_read_num(s, gv->vt, &pt->ival, &pt->fval);
		break;
	case VT_T48:
	case VT_CTO:
		pt->kind = DNP3_VAL_TIME;
		pt->time_ms = rd_le48(s);
		pt->has_time = true;
		if (gv->vt == VT_CTO) {
			px->have_cto = true;
			px->cto_ms = pt->time_ms;
		}
		break;
	default:
		break;
	}
	if (gv->tt == TT_48) {
		pt->time_ms = rd_le48(s);
		pt->has_time = true;
	} else if (gv->tt == TT_16) {
		rel = rd_le16(s);
		pt->has_time = true;
		if (px->have_cto) {
			pt->time_ms = px->cto_ms + rel;
		} else {
			pt->time_ms = rel;
			pt->time_relative = true;
		}
	}
}

/*
 * One g0 device attribute: data type, length, value (A.1, table A-3).
 * Returns -1 (malformed raised) when the value runs past the fragment.
 */
static int dnp3_point_attr(struct dnp3_px *px, struct dnp3_object *o,
    struct rd *r, uint32_t index)
{
	uint8_t type = rd_u8(r);
	uint8_t len = rd_u8(r);
	const uint8_t *val = rd_ptr(r, len);
	struct dnp3_point *pt;
	uint64_t u = 0;

	if (r->short_read) {
		dnp3_malformed(px, "object_overrun", o, 2u + len, r->left);
		return -1;
	}
	switch (type) {
	case 1:		/* VSTR */
	case 5:		/* OSTR */
	case 6:		/* BSTR */
		dnp3_point_str(px, o, index, val, len);
		return 0;
	case 2:		/* UINT */
	case 3:		/* INT */
		pt = dnp3_point_add(px, o, index);
		if (pt == NULL || len == 0 || len > 8)
			return 0;
		for (int i = len - 1; i >= 0; i--)
			u = u << 8 | val[i];
		if (type == 3 && len < 8 && (val[len - 1] & 0x80))
			u |= ~0ULL << (8 * len);	/* sign-extend */
		pt->kind = type == 2 ? DNP3_VAL_UINT : DNP3_VAL_INT;
		memcpy(&pt->ival, &u, sizeof(u));
		return 0;
	case 4:		/* FLT */
		pt = dnp3_point_add(px, o, index);
		if (pt == NULL || (len != 4 && len != 8))
			return 0;
		{
			struct rd v = rd_init(val, len);

			pt->kind = DNP3_VAL_FLOAT;
			pt->fval = len == 4 ? dnp3_f32(rd_le32(&v)) :
			    dnp3_f64(&v);
		}
		return 0;
	default:
		dnp3_point_add(px, o, index);	/* value not decoded */
		return 0;
	}
}

/*
 * One object with a size prefix (free format, qualifier prefix codes 4-6):
 * only g70 (file control) is looked into; the rest is skipped by size.
 */
static void dnp3_object_sized(struct dnp3_px *px, struct dnp3_object *o,
    struct rd *s, uint32_t index)
{
	const uint8_t *base = s->p;
	size_t total = s->left;
	struct dnp3_point *pt;
	uint16_t off, len;

	if (o->group != 70)
		return;
	switch (o->variation) {
	case 3:		/* file command: name offset/size, ..., name */
	case 7:		/* file descriptor */
		off = rd_le16(s);
		len = rd_le16(s);
		if (!s->short_read && (size_t)off + len <= total)
			dnp3_point_str(px, o, index, base + off, len);
		break;
	case 8:		/* file specification string */
		dnp3_point_str(px, o, index, base, total);
		break;
	case 4:		/* command status: handle, size, block, req id, status */
		rd_skip(s, 12);
		pt = dnp3_point_add(px, o, index);
		if (pt != NULL && !s->short_read) {
			pt->kind = DNP3_VAL_UINT;
			pt->ival = rd_u8(s);
		}
		break;
	case 5:		/* transport: handle, block number (bit 31 = last) */
	case 6:		/* transport status: handle, block, status */
		rd_skip(s, 4);
		pt = dnp3_point_add(px, o, index);
		if (pt != NULL && !s->short_read) {
			pt->kind = DNP3_VAL_UINT;
			pt->ival = rd_le32(s);
		}
		break;
	default:
		break;
	}
}

static const uint8_t dnp3_width[8] = { 0, 1, 2, 4, 1, 2, 4, 0 };

static uint32_t dnp3_read_width(struct rd *r, uint8_t w)
{
	switch (w) {
	case 1:
		return rd_u8(r);
	case 2:
		return rd_le16(r);
	case 4:
		return rd_le32(r);
	default:
		return 0;
	}
}

/*
 * The range and data of one object header (group, variation, qualifier
 * already in o).  Consumes them from r.  Returns 0 to go on with the next
 * header, -1 to stop decoding the fragment (unparsed or malformed set).
 */
static int dnp3_object_body(struct dnp3_px *px, struct rd *r,
    struct dnp3_object *o)
{
	const struct dnp3_gv *gv;
	uint64_t count = 0, need;
	uint32_t start = 0, stop, index;
	uint8_t w, prefix = o->prefix_code;

	switch (o->range_code) {
	case 0x0: case 0x1: case 0x2:	/* start-stop indexes */
	case 0x3: case 0x4: case 0x5:	/* start-stop virtual addresses */
		w = dnp3_width[o->range_code % 3 + 1];
		start = dnp3_read_width(r, w);
		stop = dnp3_read_width(r, w);
		if (r->short_read) {
			dnp3_malformed(px, "object_overrun", o, 2u * w,
			    r->left);
			return -1;
		}
		/* stop >= start before counting */
		if (stop < start) {
			px->m->malformed = true;
			dnp3_anom(px->st, px->fc, px->d, ANOM_APP_MALFORMED,
			    "dnp3.bad_range: g%uv%u start %u > stop %u",
			    o->group, o->variation, start, stop);
			return -1;
		}
		o->has_range = true;
		o->start = start;
		o->stop = stop;
		count = (uint64_t)stop - start + 1;
		break;
	case 0x6:			/* all points, no range */
		return 0;
	case 0x7: case 0x8: case 0x9:	/* count of 1, 2, 4 bytes */
		count = dnp3_read_width(r, dnp3_width[o->range_code - 6]);
		break;
	case 0xb:			/* free format: 1-byte count */
		count = rd_u8(r);
		break;
	default:
		px->m->malformed = true;
		dnp3_anom(px->st, px->fc, px->d, ANOM_APP_MALFORMED,
		    "dnp3.bad_qualifier: g%uv%u qualifier 0x%02x",
		    o->group, o->variation, o->qualifier);
		return -1;
	}
	if (r->short_read) {
		dnp3_malformed(px, "object_overrun", o, 1, r->left);
		return -1;
	}
	o->count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
	if (o->group == 60)
		return 0;		/* class data: never any data */
	if (prefix >= 4 && prefix <= 6) {
		o->has_data = true;	/* sizes say where each object ends */
	} else if (!px->is_resp &&
	    !dnp3_req_has_data(px->func, o->group)) {
		return 0;
	}
	if (o->variation == 0 && !(prefix >= 4 && prefix <= 6)) {
		if (!px->is_resp)
			return 0;	/* "any variation" in a request */
		px->m->unparsed = true;
		return -1;
	}
	o->has_data = true;
	if (prefix == 7) {
		dnp3_malformed(px, "bad_qualifier", o, 0, r->left);
		return -1;
	}
	w = dnp3_width[prefix];

	/* free format: every object carries its own size */
	if (prefix >= 4) {
		if (count * w > r->left) {
			dnp3_malformed(px, "object_overrun", o, count * w,
			    r->left);
			return -1;
		}
		for (uint64_t i = 0; i < count; i++) {
			uint32_t sz = dnp3_read_width(r, w);
			struct rd s = rd_sub(r, sz);

			if (r->short_read) {
				dnp3_malformed(px, "object_overrun", o, sz,
				    r->left);
				return -1;
			}
			dnp3_object_sized(px, o, &s, (uint32_t)i);
		}
		return 0;
	}

	gv = dnp3_gv_find(o->group, o->variation);
	if (gv == NULL) {
		px->m->unparsed = true;	/* cannot know where it ends */
		return -1;
	}

	/* packed bits: only with a range, no prefix */
	if (gv->bits != 0) {
		uint8_t cur = 0, per = (uint8_t)(8 / gv->bits);
		struct rd s;

		if (prefix != 0) {
			px->m->unparsed = true;
			return -1;
		}
		need = (count * gv->bits + 7) / 8;
		if (need > r->left) {
			dnp3_malformed(px, "object_overrun", o, need, r->left);
			return -1;
		}
		s = rd_sub(r, (size_t)need);
		for (uint64_t i = 0; i < count; i++) {
			struct dnp3_point *pt;
			unsigned sh = (unsigned)(i % per) * gv->bits;

			if (sh == 0)
				cur = rd_u8(&s);
			pt = dnp3_point_add(px, o, (uint32_t)(start + i));
			if (pt == NULL)
				break;	/* cap: rest of the bits skipped */
			pt->ival = (cur >> sh) & ((1u << gv->bits) - 1);
			pt->kind = gv->bits == 1 ? DNP3_VAL_BOOL :
			    DNP3_VAL_DBIT;
		}
		return 0;
	}

	/* variable-size points: checked one by one */
	if (gv->vt == VT_ATTR) {
		for (uint64_t i = 0; i < count; i++) {
			index = w ? dnp3_read_width(r, w) :
			    (uint32_t)(start + i);
			if (r->short_read) {
				dnp3_malformed(px, "object_overrun", o, w,
				    r->left);
				return -1;
			}
			if (dnp3_point_attr(px, o, r, index) < 0)
				return -1;
		}
		return 0;
	}

	/* fixed-size points: check the whole run against what is left */
	{
		size_t size = gv->vt == VT_OCTETS ? o->variation : gv->size;

		need = count * (size + w);
		if (need > r->left) {
			dnp3_malformed(px, "object_overrun", o, need, r->left);
			return -1;
		}
		for (uint64_t i = 0; i < count; i++) {
			index = w ? dnp3_read_width(r, w) :
			    (uint32_t)(start + i);
			struct rd s = rd_sub(r, size);

			if (gv->vt == VT_OCTETS)
				dnp3_point_str(px, o, index, s.p, size);
			else
				dnp3_point_fixed(px, o, gv, &s, index);
		}
	}
	return 0;
}

/* Object headers of one fragment, from r to its end. */
static void dnp3_objects(struct dnp3_px *px, struct rd *r)
{
	struct dnp3_msg *m = px->m;
	struct dnp3_object *o;

	while (r->left > 0) {
		uint8_t g = rd_u8(r), v = rd_u8(r), q = rd_u8(r);

		if (r->short_read) {
			m->malformed = true;
			dnp3_anom(px->st, px->fc, px->d, ANOM_APP_MALFORMED,
			    "dnp3.object_header_truncated: fc %u", px->func);
			return;
		}
		m->objects_seen++;
		if (m->nobjects >= DNP3_EV_MAX_OBJECTS) {
			m->truncated = px->ev->truncated = true;
			dnp3_anom(px->st, px->fc, px->d, ANOM_APP_TOO_MANY,
			    "dnp3.max_objects: more than %d object headers",
			    DNP3_EV_MAX_OBJECTS);
			return;
		}
		o = &m->objects[m->nobjects++];
		memset(o, 0, sizeof(*o));
		o->group = g;
		o->variation = v;
		o->qualifier = q;
		o->prefix_code = (q >> 4) & 7;
		o->range_code = q & 0x0f;
		o->point_first = px->ev->npoints;
		o->control_first = px->ev->ncontrols;
		if (dnp3_object_body(px, r, o) < 0)
			return;
	}
}

/*
 * Decodes one application fragment (borrowed, n >= 2, n >= 4 for a
 * response) into m, its points and controls into ev.  Anomalies go to
 * direction d.  Never fails: what could not be decoded is flagged in m.
 */
void dnp3_msg_decode(struct dnp3_state *st, struct flow_ctx *fc,
    enum dir d, struct ev_dnp3 *ev, struct dnp3_msg *m, const uint8_t *p,
    size_t n, const struct dnp3_link *lk, uint64_t ts)
{
	struct rd r = rd_init(p, n);
	struct dnp3_px px = { st, fc, d, ev, m, 0, false, false, 0 };

	m->present = true;
	m->ac = rd_u8(&r);
	m->func = rd_u8(&r);
	m->seq = m->ac & DNP3_AC_SEQ;
	m->fir = (m->ac & DNP3_AC_FIR) != 0;
	m->fin = (m->ac & DNP3_AC_FIN) != 0;
	m->con = (m->ac & DNP3_AC_CON) != 0;
	m->uns = (m->ac & DNP3_AC_UNS) != 0;
	m->frag_len = (uint16_t)n;
	m->link_src = lk->src;
	m->link_dst = lk->dst;
	m->link_ctrl = lk->ctrl;
	m->ts_us = ts;
	px.func = m->func;
	px.is_resp = m->func >= DNP3_FC_RESPONSE;
	if (px.is_resp) {
		m->iin = rd_be16(&r);	/* IIN1 first: IIN1 << 8 | IIN2 */
		m->has_iin = true;
	}
	if (r.short_read) {
		m->malformed = true;
		return;
	}
	dnp3_objects(&px, &r);
}
