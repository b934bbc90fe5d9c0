/*
 * dnp3.c - DNP3 (IEEE 1815) over TCP and UDP: link frames, transport
 * reassembly, application fragments and request/response pairing.
 * Object headers and point values are decoded in dnp3_decode.c; the two
 * files share dnp3_int.h.
 *
 * DNP3 is the SCADA protocol between a master (control centre) and an
 * outstation (RTU, IED).  On IP (IEEE 1815-2012 annex "DNP3 over IP",
 * port 20000) the whole serial stack is carried unchanged:
 *
 * clang-format off
 *
 *   TCP stream / UDP datagram
 *   +------------------------------------------------------------------+
 *   | link frame | link frame | ...        (frames may split anywhere)  |
 *   +------------------------------------------------------------------+
 *   link frame (9.2), at most 292 bytes:
 *   +----+----+-----+------+-------+-------+-----+----------+-----+---
 *   | 05 | 64 | LEN | CTRL | DST16 | SRC16 | CRC | 16 bytes | CRC | ...
 *   +----+----+-----+------+-------+-------+-----+----------+-----+---
 *     LEN counts CTRL..SRC plus user data (5..255), not the CRCs;
 *     CTRL = DIR PRM FCB FCV/DFC FUNC(4); CRC-16/DNP after the header and
 *     after every 16 bytes of user data.
 *   user data = transport segment (8.2):
 *   +---------------------+------------------------+
 *   | FIN FIR SEQ(6 bits) | up to 249 bytes        |  FIR..FIN rebuild one
 *   +---------------------+------------------------+  application fragment
 *   application fragment (4.2), at most 2048 bytes here:
 *   +----+----+---------------+--------------------------------------+
 *   | AC | FC | IIN1 IIN2     | object header [data] object header ...
 *   +----+----+---------------+--------------------------------------+
 *     AC = FIR FIN CON UNS SEQ(4); IIN only in responses (FC 129-131).
 *   object header (4.2.2.7): GROUP VARIATION QUALIFIER range [prefix+point]*
 *
 * clang-format on
 *
 * Reference: IEEE Std 1815-2012, clauses 4 (application layer), 8
 * (transport), 9 (link), 10/11 and annex A (object library).  CRC-16/DNP:
 * polynomial 0x3D65 (0xA6BC reflected), init 0, output inverted, sent
 * little-endian (9.2.5; check value 0xEA82 for "123456789").
 *
 * Events: one struct ev_dnp3 per request/response pair, paired by
 * application sequence number; unsolicited responses (FC 130) and
 * responses or requests without a partner are their own events
 * (matched = false).  CONFIRMs are counted, not logged.
 *
 * Memory: the flow's state (struct dnp3_state, inline, <= APP_STATE_MAX)
 * holds sequence numbers, counters and the pending request when it fits in
 * DNP3_REQ_INLINE bytes (almost all requests do).  Transport reassembly
 * (fragments up to DNP3_FRAG_MAX = 2048 bytes) and larger requests use a
 * slot from a per-thread pool of DNP3_POOL_SLOTS slots (static __thread,
 * about 6 KiB each, so ~200 KiB per worker thread).  A flow claims a slot
 * only while a multi-frame fragment or a large request is outstanding and
 * gives it back at once after; a slot unused for DNP3_SLOT_IDLE_US of
 * capture time may be taken over by another flow (the first owner notices
 * the tag mismatch and drops what it had).  When no slot is free the
 * fragment is dropped (a large request is logged unmatched) and one
 * app.limit_reached 'dnp3.pool_full' anomaly per flow is raised.  This
 * assumes a flow is always fed by the same worker thread.  Events are built
 * in one static __thread scratch event (sizeof(struct ev_dnp3), ~25 KiB).
 *
 * Not handled, on purpose: secure authentication (g120) contents (headers
 * are logged and skipped), data sets (g85-88), the link-layer FCB state
 * machine (we log frames, we do not check retries), and link-layer
 * duplicates beyond "same transport sequence again" being ignored.
 * Unknown group/variation pairs stop the decode of that fragment and set
 * msg.unparsed (no anomaly: new objects are not an attack).
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dissector.h"
#include "dnp3_int.h"
#include "rd.h"

#define DNP3_START0 0x05
#define DNP3_START1 0x64
#define DNP3_HDR_LEN 10		/* start(2) len ctrl dst(2) src(2) crc(2) */
#define DNP3_LEN_MIN 5		/* ctrl + dst + src, no user data */
#define DNP3_FRAG_MAX 2048	/* largest application fragment we rebuild */
#define DNP3_REQ_INLINE 256	/* pending requests up to this size stay in state */
#define DNP3_POOL_SLOTS 32
#define DNP3_SLOT_IDLE_US (10ULL * 1000000)
#define DNP3_REQ_TIMEOUT_US (30ULL * 1000000)	/* unanswered request: flush */
#define DNP3_ANOM_BUDGET 64	/* anomalies emitted per flow; counted after */

enum dnp3_tp_bits {
	DNP3_TP_FIN = 1 << 7,
	DNP3_TP_FIR = 1 << 6,
	DNP3_TP_SEQ = 0x3f,
};

enum dnp3_link_bits {
	DNP3_LINK_DIR = 1 << 7,
	DNP3_LINK_PRM = 1 << 6,
	DNP3_LINK_FUNC = 0x0f,
};

/* ---------------------------------------------------------------------- */
/* CRC-16/DNP                                                             */
/* ---------------------------------------------------------------------- */

/* Table for the reflected polynomial 0xA6BC, one entry per byte value. */
static const uint16_t dnp3_crc_table[256] = {
	0x0000, 0x365e, 0x6cbc, 0x5ae2, 0xd978, 0xef26, 0xb5c4, 0x839a,
	0xff89, 0xc9d7, 0x9335, 0xa56b, 0x26f1, 0x10af, 0x4a4d, 0x7c13,
	0xb26b, 0x8435, 0xded7, 0xe889, 0x6b13, 0x5d4d, 0x07af, 0x31f1,
	0x4de2, 0x7bbc, 0x215e, 0x1700, 0x949a, 0xa2c4, 0xf826, 0xce78,
	0x29af, 0x1ff1, 0x4513, 0x734d, 0xf0d7, 0xc689, 0x9c6b, 0xaa35,
	0xd626, 0xe078, 0xba9a, 0x8cc4, 0x0f5e, 0x3900, 0x63e2, 0x55bc,
	0x9bc4, 0xad9a, 0xf778, 0xc126, 0x42bc, 0x74e2, 0x2e00, 0x185e,
	0x644d, 0x5213, 0x08f1, 0x3eaf, 0xbd35, 0x8b6b, 0xd189, 0xe7d7,
	0x535e, 0x6500, 0x3fe2, 0x09bc, 0x8a26, 0xbc78, 0xe69a, 0xd0c4,
	0xacd7, 0x9a89, 0xc06b, 0xf635, 0x75af, 0x43f1, 0x1913, 0x2f4d,
	0xe135, 0xd76b, 0x8d89, 0xbbd7, 0x384d, 0x0e13, 0x54f1, 0x62af,
	0x1ebc, 0x28e2, 0x7200, 0x445e, 0xc7c4, 0xf19a, 0xab78, 0x9d26,
	0x7af1, 0x4caf, 0x164d, 0x2013, 0xa389, 0x95d7, 0xcf35, 0xf96b,
	0x8578, 0xb326, 0xe9c4, 0xdf9a, 0x5c00, 0x6a5e, 0x30bc, 0x06e2,
	0xc89a, 0xfec4, 0xa426, 0x9278, 0x11e2, 0x27bc, 0x7d5e, 0x4b00,
	0x3713, 0x014d, 0x5baf, 0x6df1, 0xee6b, 0xd835, 0x82d7, 0xb489,
	0xa6bc, 0x90e2, 0xca00, 0xfc5e, 0x7fc4, 0x499a, 0x1378, 0x2526,
	0x5935, 0x6f6b, 0x3589, 0x03d7, 0x804d, 0xb613, 0xecf1, 0xdaaf,
	0x14d7, 0x2289, 0x786b, 0x4e35, 0xcdaf, 0xfbf1, 0xa113, 0x974d,
	0xeb5e, 0xdd00, 0x87e2, 0xb1bc, 0x3226, 0x0478, 0x5e9a, 0x68c4,
	0x8f13, 0xb94d, 0xe3af, 0xd5f1, 0x566b, 0x6035, 0x3ad7, 0x0c89,
	0x709a, 0x46c4, 0x1c26, 0x2a78, 0xa9e2, 0x9fbc, 0xc55e, 0xf300,
	0x3d78, 0x0b26, 0x51c4, 0x679a, 0xe400, 0xd25e, 0x88bc, 0xbee2,
	0xc2f1, 0xf4af, 0xae4d, 0x9813, 0x1b89, 0x2dd7, 0x7735, 0x416b,
	0xf5e2, 0xc3bc, 0x995e, 0xaf00, 0x2c9a, 0x1ac4, 0x4026, 0x7678,
	0x0a6b, 0x3c35, 0x66d7, 0x5089, 0xd313, 0xe54d, 0xbfaf, 0x89f1,
	0x4789, 0x71d7, 0x2b35, 0x1d6b, 0x9ef1, 0xa8af, 0xf24d, 0xc413,
	0xb800, 0x8e5e, 0xd4bc, 0xe2e2, 0x6178, 0x5726, 0x0dc4, 0x3b9a,
	0xdc4d, 0xea13, 0xb0f1, 0x86af, 0x0535, 0x336b, 0x6989, 0x5fd7,
	0x23c4, 0x159a, 0x4f78, 0x7926, 0xfabc, 0xcce2, 0x9600, 0xa05e,
	0x6e26, 0x5878, 0x029a, 0x34c4, 0xb75e, 0x8100, 0xdbe2, 0xedbc,
	0x91af, 0xa7f1, 0xfd13, 0xcb4d, 0x48d7, 0x7e89, 0x246b, 0x1235,
};

/* CRC-16/DNP of n bytes (borrows p); compare with the little-endian CRC. */
static uint16_t dnp3_crc(const uint8_t *p, size_t n)
{
	uint16_t c = 0;

	for (size_t i = 0; i < n; i++)
		c = (uint16_t)((c >> 8) ^ dnp3_crc_table[(c ^ p[i]) & 0xff]);
	return (uint16_t)~c;
}

/* ---------------------------------------------------------------------- */
/* Per-flow state and the per-thread slot pool                            */
/* ---------------------------------------------------------------------- */

struct dnp3_dir_state {
	uint8_t tp_next;	/* transport sequence expected next */
	bool tp_active;		/* a FIR was seen, FIN not yet (data in slot) */
	bool in_sync;		/* last thing parsed was a good frame */
};

struct dnp3_state {
	uint32_t tag;		/* pool slot ownership tag; 0 = no slot */
	uint16_t slot;
	struct dnp3_dir_state dir[2];
	/* the request waiting for its response */
	bool pend;
	bool pend_in_slot;	/* bytes in slot->req, else in pend_buf */
	uint8_t pend_dir;
	uint8_t pend_seq;
	uint16_t pend_len;
	struct dnp3_link pend_link;
	uint64_t pend_ts;
	/* counters */
	uint32_t frames[2];
	uint32_t bad_crc;
	uint32_t confirms;
	uint32_t garbage_bytes;
	uint32_t tp_dropped;	/* transport segments dropped */
	uint32_t lost;		/* slot taken over or unavailable */
	uint32_t anomalies;	/* raised (emitted up to DNP3_ANOM_BUDGET) */
	bool pool_full_said;
	uint8_t pend_buf[DNP3_REQ_INLINE];
};

_Static_assert(sizeof(struct dnp3_state) <= APP_STATE_MAX,
    "dnp3 state over budget");

struct dnp3_slot {
	uint32_t owner;		/* tag of the owning flow; 0 = free */
	uint64_t last_us;	/* capture time of last use */
	uint16_t len[2];	/* bytes assembled per direction */
	uint8_t buf[2][DNP3_FRAG_MAX];
	uint8_t req[DNP3_FRAG_MAX];
};

static __thread struct dnp3_slot dnp3_pool[DNP3_POOL_SLOTS];
static __thread uint32_t dnp3_tag_seq;
static __thread struct ev_dnp3 dnp3_scratch;

/*
 * Raises an anomaly for this flow with layer "dnp3", up to
 * DNP3_ANOM_BUDGET per flow (every one is counted in st->anomalies).
 * 'fmt' must start with the stable "dnp3.<what>" prefix.
 */
void dnp3_anom(struct dnp3_state *st, struct flow_ctx *fc, enum dir d,
    enum anomaly_code code, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	if (st->anomalies++ >= DNP3_ANOM_BUDGET)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	flow_anomaly(fc, d, code, "dnp3", "%s", buf);
}

/* Forgets everything that lived in the flow's slot (taken over or gone). */
static void dnp3_slot_lost(struct dnp3_state *st)
{
	if (st->dir[0].tp_active || st->dir[1].tp_active ||
	    (st->pend && st->pend_in_slot))
		st->lost++;
	st->dir[0].tp_active = st->dir[1].tp_active = false;
	if (st->pend_in_slot)
		st->pend = false;
	st->pend_in_slot = false;
	st->tag = 0;
}

/*
 * Returns the flow's slot, claiming one when 'claim' is set and the flow
 * has none.  NULL when the flow has no slot (or lost it: then whatever was
 * assembled there is dropped) and none can be claimed.  The slot's bytes
 * are borrowed by the caller until the next feed of any flow.
 */
static struct dnp3_slot *dnp3_slot_get(struct dnp3_state *st,
    struct flow_ctx *fc, enum dir d, bool claim)
{
	struct dnp3_slot *s;
	int best = -1;

	if (st->tag != 0) {
		if (st->slot < DNP3_POOL_SLOTS &&
		    dnp3_pool[st->slot].owner == st->tag) {
			s = &dnp3_pool[st->slot];
			s->last_us = fc->ts_us;
			return s;
		}
		dnp3_slot_lost(st);
	}
	if (!claim)
		return NULL;
	for (int i = 0; i < DNP3_POOL_SLOTS; i++) {
		s = &dnp3_pool[i];
		if (s->owner == 0) {
			best = i;
			break;
		}
		/* abandoned: owner closed without close() or stalled */
		if (s->last_us + DNP3_SLOT_IDLE_US <= fc->ts_us &&
		    (best < 0 || s->last_us < dnp3_pool[best].last_us))
			best = i;
	}
	if (best < 0) {
		st->lost++;
		if (!st->pool_full_said) {
			st->pool_full_said = true;
			dnp3_anom(st, fc, d, ANOM_APP_TOO_MANY,
			    "dnp3.pool_full: %d reassembly slots busy",
			    DNP3_POOL_SLOTS);
		}
		return NULL;
	}
	if (++dnp3_tag_seq == 0)
		dnp3_tag_seq = 1;
	s = &dnp3_pool[best];
	s->owner = dnp3_tag_seq;
	s->last_us = fc->ts_us;
	s->len[0] = s->len[1] = 0;
	st->tag = s->owner;
	st->slot = (uint16_t)best;
	return s;
}

/* Gives the slot back when nothing of this flow lives in it any more. */
static void dnp3_slot_maybe_release(struct dnp3_state *st)
{
	if (st->tag == 0 || st->dir[0].tp_active || st->dir[1].tp_active ||
	    (st->pend && st->pend_in_slot))
		return;
	if (st->slot < DNP3_POOL_SLOTS && dnp3_pool[st->slot].owner == st->tag)
		dnp3_pool[st->slot].owner = 0;
	st->tag = 0;
}

/* ---------------------------------------------------------------------- */
/* Application layer: pairing and events                                  */
/* ---------------------------------------------------------------------- */

/* The scratch event, cleared up to its arrays (they are used by count). */
static struct ev_dnp3 *dnp3_ev_new(void)
{
	struct ev_dnp3 *ev = &dnp3_scratch;

	memset(ev, 0, offsetof(struct ev_dnp3, points));
	return ev;
}

static void dnp3_ev_emit(struct dnp3_state *st, struct flow_ctx *fc,
    struct ev_dnp3 *ev, enum dir d, uint64_t ts)
{
	flow_ev_init(fc, &ev->h, EV_DNP3, d);
	ev->h.ts_us = ts;
	ev->bad_crc_total = st->bad_crc;
	ev->confirms_total = st->confirms;
	out_emit(&ev->h);
}

/* Bytes of the pending request, or NULL when its slot was lost. */
static const uint8_t *dnp3_pend_bytes(struct dnp3_state *st,
    struct flow_ctx *fc)
{
	struct dnp3_slot *s;

	if (!st->pend_in_slot)
		return st->pend_buf;
	s = dnp3_slot_get(st, fc, (enum dir)st->pend_dir, false);
	return s != NULL ? s->req : NULL;
}

/* Emits the pending request with matched = false, if there is one. */
static void dnp3_flush_pending(struct dnp3_state *st, struct flow_ctx *fc)
{
	const uint8_t *req;
	struct ev_dnp3 *ev;
	enum dir pd = (enum dir)st->pend_dir;

	if (!st->pend)
		return;
	req = dnp3_pend_bytes(st, fc);
	if (req != NULL && st->pend) {
		ev = dnp3_ev_new();
		dnp3_msg_decode(st, fc, pd, ev, &ev->req, req, st->pend_len,
		    &st->pend_link, st->pend_ts);
		dnp3_ev_emit(st, fc, ev, pd, st->pend_ts);
	}
	st->pend = false;
	st->pend_in_slot = false;
	dnp3_slot_maybe_release(st);
}

/*
 * One whole application fragment (borrowed; may live in the flow's slot)
 * from direction d.  Pairs, stores or emits; never fails.
 */
static void dnp3_app(struct dnp3_state *st, struct flow_ctx *fc, enum dir d,
    const uint8_t *p, size_t n, const struct dnp3_link *lk)
{
	struct ev_dnp3 *ev;
	const uint8_t *req;
	struct dnp3_slot *s;
	uint8_t ac, func;

	if (n < 2) {
		dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
		    "dnp3.short_fragment: %zu bytes", n);
		return;
	}
	ac = p[0];
	func = p[1];
	if (func == DNP3_FC_CONFIRM) {
		st->confirms++;
		return;
	}

	if (func >= DNP3_FC_RESPONSE) {
		if (n < 4) {
			dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
			    "dnp3.short_fragment: response of %zu bytes", n);
			return;
		}
		ev = dnp3_ev_new();
		if (func == DNP3_FC_UNSOLICITED) {
			ev->unsolicited = true;
		} else if (st->pend && st->pend_dir != d &&
		    st->pend_seq == (ac & DNP3_AC_SEQ) && (ac & DNP3_AC_FIR)) {
			req = dnp3_pend_bytes(st, fc);
			if (req != NULL && st->pend) {
				dnp3_msg_decode(st, fc, (enum dir)st->pend_dir,
				    ev, &ev->req, req, st->pend_len,
				    &st->pend_link, st->pend_ts);
				ev->matched = true;
				ev->rtt_us = fc->ts_us >= st->pend_ts ?
				    fc->ts_us - st->pend_ts : 0;
			}
		} else if (!(ac & DNP3_AC_FIR)) {
			ev->continuation = true;
		}
		dnp3_msg_decode(st, fc, d, ev, &ev->resp, p, n, lk, fc->ts_us);
		if (ev->matched) {
			dnp3_ev_emit(st, fc, ev, (enum dir)st->pend_dir,
			    st->pend_ts);
			st->pend = false;
			st->pend_in_slot = false;
		} else {
			dnp3_ev_emit(st, fc, ev, d, fc->ts_us);
		}
		return;
	}

	/* a request: the one before it is not going to be answered now */
	dnp3_flush_pending(st, fc);
	switch (func) {
	case DNP3_FC_DIRECT_OPERATE_NR:
	case DNP3_FC_IMMED_FREEZE_NR:
	case DNP3_FC_FREEZE_CLEAR_NR:
	case DNP3_FC_FREEZE_AT_TIME_NR:
	case DNP3_FC_AUTH_REQ_NO_ACK:
		goto alone;		/* no response expected */
	default:
		break;
	}
	if (n <= DNP3_REQ_INLINE) {
		memcpy(st->pend_buf, p, n);
		st->pend_in_slot = false;
	} else {
		s = dnp3_slot_get(st, fc, d, true);
		if (s == NULL || n > DNP3_FRAG_MAX)
			goto alone;
		memmove(s->req, p, n);
		st->pend_in_slot = true;
	}
	st->pend = true;
	st->pend_dir = (uint8_t)d;
	st->pend_seq = ac & DNP3_AC_SEQ;
	st->pend_len = (uint16_t)n;
	st->pend_link = *lk;
	st->pend_ts = fc->ts_us;
	return;
alone:
	ev = dnp3_ev_new();
	dnp3_msg_decode(st, fc, d, ev, &ev->req, p, n, lk, fc->ts_us);
	dnp3_ev_emit(st, fc, ev, d, fc->ts_us);
}

/* ---------------------------------------------------------------------- */
/* Transport layer (IEEE 1815-2012 clause 8)                              */
/* ---------------------------------------------------------------------- */

/*
 * One transport segment (borrowed user data of one frame, n >= 1).
 * FIR starts a fragment, FIN ends it, sequence numbers count up mod 64
 * in between; anything else throws the partial fragment away.
 */
static void dnp3_transport(struct dnp3_state *st, struct flow_ctx *fc,
    enum dir d, const uint8_t *ud, size_t n, const struct dnp3_link *lk)
{
	struct dnp3_dir_state *ds = &st->dir[d];
	struct dnp3_slot *s;
	uint8_t th = ud[0], seq = th & DNP3_TP_SEQ;
	const uint8_t *data = ud + 1;
	size_t dn = n - 1;

	if (th & DNP3_TP_FIR) {
		if (ds->tp_active) {
			st->tp_dropped++;
			ds->tp_active = false;
			dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
			    "dnp3.transport_sequence: FIR before FIN, "
			    "partial fragment dropped");
		}
		if (th & DNP3_TP_FIN) {
			dnp3_app(st, fc, d, data, dn, lk);
			dnp3_slot_maybe_release(st);
			return;
		}
		s = dnp3_slot_get(st, fc, d, true);
		if (s == NULL) {
			st->tp_dropped++;
			return;
		}
		memcpy(s->buf[d], data, dn);
		s->len[d] = (uint16_t)dn;
		ds->tp_active = true;
		ds->tp_next = (seq + 1) & DNP3_TP_SEQ;
		return;
	}
	if (!ds->tp_active) {
		st->tp_dropped++;
		dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
		    "dnp3.transport_sequence: segment seq %u without FIR", seq);
		return;
	}
	s = dnp3_slot_get(st, fc, d, false);
	if (s == NULL) {
		st->tp_dropped++;
		return;
	}
	if (seq == ((ds->tp_next - 1) & DNP3_TP_SEQ))
		return;		/* the same segment again (link retry) */
	if (seq != ds->tp_next) {
		st->tp_dropped++;
		ds->tp_active = false;
		dnp3_slot_maybe_release(st);
		dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
		    "dnp3.transport_sequence: got %u, want %u, "
		    "partial fragment dropped", seq, ds->tp_next);
		return;
	}
	if (s->len[d] + dn > DNP3_FRAG_MAX) {
		st->tp_dropped++;
		ds->tp_active = false;
		dnp3_slot_maybe_release(st);
		dnp3_anom(st, fc, d, ANOM_APP_TOO_MANY,
		    "dnp3.fragment_too_long: over %d bytes", DNP3_FRAG_MAX);
		return;
	}
	memcpy(s->buf[d] + s->len[d], data, dn);
	s->len[d] = (uint16_t)(s->len[d] + dn);
	ds->tp_next = (seq + 1) & DNP3_TP_SEQ;
	if (th & DNP3_TP_FIN) {
		ds->tp_active = false;
		/* the slot stays ours while dnp3_app reads from it */
		dnp3_app(st, fc, d, s->buf[d], s->len[d], lk);
		dnp3_slot_maybe_release(st);
	}
}

/* ---------------------------------------------------------------------- */
/* Link layer (IEEE 1815-2012 clause 9)                                   */
/* ---------------------------------------------------------------------- */

/* Bytes on the wire of a frame whose LEN field is len (>= 5). */
static size_t dnp3_frame_size(uint8_t len)
{
	size_t ud = (size_t)len - DNP3_LEN_MIN;

	return DNP3_HDR_LEN + ud + 2 * ((ud + 15) / 16);
}

/* Whether p holds a link header with a good CRC (n >= DNP3_HDR_LEN). */
static bool dnp3_header_ok(const uint8_t *p)
{
	struct rd r = rd_init(p + 8, 2);

	return p[0] == DNP3_START0 && p[1] == DNP3_START1 &&
	    p[2] >= DNP3_LEN_MIN && dnp3_crc(p, 8) == rd_le16(&r);
}

/*
 * One whole frame (borrowed, header already checked, exactly
 * dnp3_frame_size bytes).  Checks the block CRCs, strips them and hands
 * user data of primary user-data frames to the transport layer.  Returns
 * -1 on a bad block CRC (anomaly raised, frame dropped): the caller then
 * rescans from just after the start bytes, so that a frame cut by a gap
 * cannot swallow the good frame that follows it.
 */
static int dnp3_frame(struct dnp3_state *st, struct flow_ctx *fc, enum dir d,
    const uint8_t *f, size_t flen)
{
	struct rd r = rd_init(f, flen);
	struct dnp3_link lk;
	uint8_t ud[255];
	size_t udn = 0, left;
	uint8_t len;

	rd_skip(&r, 2);
	len = rd_u8(&r);
	lk.ctrl = rd_u8(&r);
	lk.dst = rd_le16(&r);
	lk.src = rd_le16(&r);
	rd_skip(&r, 2);
	left = (size_t)len - DNP3_LEN_MIN;
	for (unsigned blk = 0; left > 0; blk++) {
		size_t b = left < 16 ? left : 16;
		const uint8_t *q = rd_ptr(&r, b);
		uint16_t crc = rd_le16(&r);

		if (r.short_read)
			return -1;	/* cannot happen: size checked */
		if (dnp3_crc(q, b) != crc) {
			st->bad_crc++;
			dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
			    "dnp3.bad_crc: data block %u of frame %u -> %u, "
			    "frame dropped", blk, lk.src, lk.dst);
			return -1;
		}
		memcpy(ud + udn, q, b);
		udn += b;
		left -= b;
	}
	st->frames[d]++;
	st->dir[d].in_sync = true;
	if (!(lk.ctrl & DNP3_LINK_PRM) || udn == 0)
		return 0;		/* link-only frame (ack, status...) */
	switch (lk.ctrl & DNP3_LINK_FUNC) {
	case 3:				/* CONFIRMED_USER_DATA */
	case 4:				/* UNCONFIRMED_USER_DATA */
		dnp3_transport(st, fc, d, ud, udn, &lk);
		break;
	default:
		break;
	}
	return 0;
}

/* Skipped n bytes that are not a frame; one anomaly per lost sync. */
static void dnp3_garbage(struct dnp3_state *st, struct flow_ctx *fc,
    enum dir d, size_t n)
{
	st->garbage_bytes += (uint32_t)n;
	if (st->dir[d].in_sync) {
		st->dir[d].in_sync = false;
		dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
		    "dnp3.resync: skipped %zu bytes that are not a frame", n);
	}
}

/* ---------------------------------------------------------------------- */
/* Dissector callbacks                                                    */
/* ---------------------------------------------------------------------- */

/*
 * Yes when a link header with a good CRC starts anywhere in p (a capture
 * may begin mid-stream); more when the only candidate is cut short.
 */
static enum probe_result dnp3_probe(const uint8_t *p, size_t n, enum dir d,
    uint16_t sport, uint16_t dport)
{
	enum probe_result res = PROBE_NO;

	(void)d;
	(void)sport;
	(void)dport;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != DNP3_START0)
			continue;
		if (i + 1 < n && p[i + 1] != DNP3_START1)
			continue;
		if (n - i < DNP3_HDR_LEN) {
			res = PROBE_MORE;
			continue;
		}
		if (dnp3_header_ok(p + i))
			return PROBE_YES;
	}
	return res;
}

static void dnp3_init(void *state)
{
	struct dnp3_state *st = state;

	memset(st, 0, sizeof(*st));
	st->dir[0].in_sync = st->dir[1].in_sync = true;
}

/*
 * Consumes every whole frame in p (and garbage before frames); a partial
 * frame at the end is left to the flow layer (FEED_NEED_MORE).  Bad frames
 * are dropped with an anomaly and parsing resumes at the next start bytes:
 * never FEED_MALFORMED.
 */
static struct feed_result dnp3_feed(void *state, struct flow_ctx *fc,
    enum dir d, const uint8_t *p, size_t n)
{
	struct dnp3_state *st = state;
	struct feed_result res = { FEED_OK, 0 };
	size_t pos = 0, s, flen;

	while (pos < n) {
		for (s = pos; s + 1 < n; s++) {
			if (p[s] == DNP3_START0 && p[s + 1] == DNP3_START1)
				break;
		}
		if (s + 1 >= n)		/* keep a lone trailing 0x05 */
			s = p[n - 1] == DNP3_START0 ? n - 1 : n;
		if (s > pos) {
			dnp3_garbage(st, fc, d, s - pos);
			pos = s;
		}
		if (n - pos < DNP3_HDR_LEN)
			break;
		if (!dnp3_header_ok(p + pos)) {
			if (p[pos + 2] < DNP3_LEN_MIN) {
				dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
				    "dnp3.bad_length: link length %u",
				    p[pos + 2]);
			} else {
				st->bad_crc++;
				dnp3_anom(st, fc, d, ANOM_APP_MALFORMED,
				    "dnp3.bad_crc: link header, frame dropped");
			}
			st->dir[d].in_sync = false;	/* said once */
			pos += 2;
			continue;
		}
		flen = dnp3_frame_size(p[pos + 2]);
		if (n - pos < flen)
			break;
		if (dnp3_frame(st, fc, d, p + pos, flen) < 0) {
			st->dir[d].in_sync = false;	/* said once */
			pos += 2;
			continue;
		}
		pos += flen;
	}
	dnp3_slot_maybe_release(st);
	res.consumed = (uint32_t)pos;
	if (pos < n)
		res.status = FEED_NEED_MORE;
	return res;
}

/* Bytes lost in direction d: drop the partial fragment and resync. */
static void dnp3_gap(void *state, struct flow_ctx *fc, enum dir d,
    uint32_t len)
{
	struct dnp3_state *st = state;

	(void)fc;
	(void)len;
	if (st->dir[d].tp_active)
		st->tp_dropped++;
	st->dir[d].tp_active = false;
	st->dir[d].in_sync = false;	/* stream.gap already says it */
	dnp3_slot_maybe_release(st);
}

static void dnp3_eof(void *state, struct flow_ctx *fc, enum dir d)
{
	(void)state;
	(void)fc;
	(void)d;
}

/* Flushes the unanswered request (matched = false) and frees the slot. */
static void dnp3_close(void *state, struct flow_ctx *fc)
{
	struct dnp3_state *st = state;

	dnp3_flush_pending(st, fc);
	for (int i = 0; i < 2; i++) {
		if (st->dir[i].tp_active)
			st->tp_dropped++;
		st->dir[i].tp_active = false;
	}
	dnp3_slot_maybe_release(st);
}

/* A request unanswered for DNP3_REQ_TIMEOUT_US is logged unmatched. */
static void dnp3_tick(void *state, struct flow_ctx *fc)
{
	struct dnp3_state *st = state;

	if (st->pend && fc->ts_us >= st->pend_ts + DNP3_REQ_TIMEOUT_US)
		dnp3_flush_pending(st, fc);
}

const struct dissector dnp3_dissector = {
	.name = "dnp3",
	.ipproto = 0,
	.hint_port = 20000,
	.hint_port2 = 0,
	.state_size = sizeof(struct dnp3_state),
	.probe = dnp3_probe,
	.init = dnp3_init,
	.feed = dnp3_feed,
	.gap = dnp3_gap,
	.eof = dnp3_eof,
	.close = dnp3_close,
	.tick = dnp3_tick,
};
