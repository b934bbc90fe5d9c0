/*
 * dnp3.c - DNP3 (IEEE 1815) over TCP and UDP: link frames, transport
 * reassembly, application fragments, object headers and point values.
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

enum dnp3_fc {
	DNP3_FC_CONFIRM = 0,
	DNP3_FC_WRITE = 2,
	DNP3_FC_SELECT = 3,
	DNP3_FC_OPERATE = 4,
	DNP3_FC_DIRECT_OPERATE = 5,
	DNP3_FC_DIRECT_OPERATE_NR = 6,
	DNP3_FC_IMMED_FREEZE_NR = 8,
	DNP3_FC_FREEZE_CLEAR_NR = 10,
	DNP3_FC_FREEZE_AT_TIME = 11,
	DNP3_FC_FREEZE_AT_TIME_NR = 12,
	DNP3_FC_OPEN_FILE = 25,
	DNP3_FC_AUTH_REQ_NO_ACK = 33,
	DNP3_FC_RESPONSE = 129,
	DNP3_FC_UNSOLICITED = 130,
	DNP3_FC_AUTH_RESP = 131,
};

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

/* Link addresses of the frame that finished a fragment. */
struct dnp3_link {
	uint16_t src, dst;
	uint8_t ctrl;
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
static void dnp3_anom(struct dnp3_state *st, struct flow_ctx *fc, enum dir d,
    enum anomaly_code code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void dnp3_anom(struct dnp3_state *st, struct flow_ctx *fc, enum dir d,
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
static void dnp3_msg_decode(struct dnp3_state *st, struct flow_ctx *fc,
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
