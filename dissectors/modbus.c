/*
 * modbus.c - Modbus/TCP dissector: one event per request/response pair.
 *
 * Modbus/TCP carries Modbus PDUs over a TCP stream, each behind a 7-byte
 * MBAP header.  The client (the side that opened the connection) sends
 * requests; the server answers each with a response carrying the same
 * transaction id, or with an exception response (function code | 0x80).
 *
 * clang-format off
 *
 *   +---------+-----------+---------+------+------+----------------+
 *   | tid (2) | proto (2) | len (2) | unit | fc   | data (len - 2) |
 *   +---------+-----------+---------+------+------+----------------+
 *   |<-------- MBAP header (7) ----------->|<--- PDU (len - 1) --->|
 *   'len' counts the unit id and the PDU: 2..254 in a legal ADU.
 *
 *   FC 90 (Schneider UMAS) request:  | 0x5A | session | umas fc   | data |
 *                          response: | 0x5A | session | 0xFE/0xFD | data |
 *
 * clang-format on
 *
 * References: MODBUS Messaging on TCP/IP Implementation Guide V1.0b, 3.1.3
 * (MBAP); MODBUS Application Protocol Specification V1.1b3, 6.1-6.21 (each
 * function code's request/response layout and quantity ranges), 7 (exception
 * codes), 5 (public, user-defined and reserved codes); Zeek's modbus consts
 * (function and exception names).  UMAS: public reverse-engineering notes
 * (lirasenlared.blogspot.com, "The Unity (UMAS) protocol", 2017).
 *
 * Pairing: a small fixed table of outstanding requests in the flow state,
 * keyed by (tid, unit, fc).  Only the latest request's PDU is kept (the
 * state budget is 512 bytes), so for pipelined clients an earlier request
 * keeps its address and quantity (FC 5/6: its value) but loses the rest
 * (request_lost).  A request is flushed unmatched when its tid+unit is
 * reused, when the table overflows (oldest first, one app.limit_reached per
 * flow), after MODBUS_TIMEOUT_US of capture time, and at close().
 *
 * Anomalies (app.malformed unless noted; the detail starts with the name):
 * modbus.bad_protocol_id, modbus.bad_length, modbus.bad_quantity,
 * modbus.byte_count_mismatch, modbus.bad_byte_count, modbus.illegal_function,
 * modbus.bad_coil_value, modbus.bad_reference_type,
 * modbus.bad_read_device_id_code, modbus.truncated_pdu,
 * modbus.trailing_bytes; modbus.too_many_pending (app.limit_reached).
 * Content errors still give an event; framing errors skip the ADU.
 *
 * Deliberately not handled: Modbus RTU/ASCII framing tunnelled over TCP,
 * Modbus/TCP Security (TLS, port 802), UMAS payloads beyond the function
 * code and status (kept as bytes), Modbus over UDP, and guessing roles when
 * the flow layer picked up a connection mid-way with its sides reversed.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dissector.h"
#include "rd.h"

#define MODBUS_PORT 502
#define MODBUS_LEN_MIN 2		/* unit + fc */
#define MODBUS_LEN_MAX 254		/* ADU of 260 bytes */
/*
 * Lengths above MODBUS_LEN_MAX are out of spec but still used to skip the
 * ADU (UMAS negotiates frames of about 1 KiB and uses them on FC 90).
 */
#define MODBUS_LEN_SANE 2048
/*
 * Framing errors (bad protocol id or length) in a row, with no good ADU
 * between them, after which the flow is given up as not Modbus.
 */
#define MODBUS_MAX_STRIKES 8
#define MODBUS_MAX_PENDING 16
#define MODBUS_RAW_MAX 252		/* request PDU bytes kept after the fc */
#define MODBUS_TIMEOUT_US 5000000ULL	/* capture time */
#define MODBUS_FC_UMAS 0x5A
#define MODBUS_UMAS_MAGIC 0x5A

enum modbus_flag {
	MODBUS_RESYNC_REQ = 1 << 0,	/* DIR_TO_SERVER lost its framing */
	MODBUS_RESYNC_RESP = 1 << 1,	/* DIR_TO_CLIENT lost its framing */
	MODBUS_TOO_MANY_SAID = 1 << 2,	/* pending overflow already reported */
	MODBUS_RAW_VALID = 1 << 3,	/* raw[] holds a pending request */
	MODBUS_RAW_TRUNC = 1 << 4,	/* ... longer than MODBUS_RAW_MAX */
};

/* An outstanding request.  ts is capture time mod 2^32 us (see pend_ts). */
struct modbus_pend {
	uint32_t ts;
	uint16_t tid;
	uint16_t addr;
	uint16_t qty;		/* FC 5/6: the value written */
	uint8_t unit;
	uint8_t fc;
};

struct modbus_state {
	uint64_t last_ts;	/* latest capture time seen */
	struct modbus_pend pend[MODBUS_MAX_PENDING]; /* oldest first */
	uint8_t npend;
	uint8_t flags;		/* enum modbus_flag */
	uint8_t strikes;	/* framing errors since the last good ADU */
	uint16_t raw_tid;	/* owner of raw[]: (tid, unit, fc) */
	uint8_t raw_unit;
	uint8_t raw_fc;
	uint8_t raw_len;
	uint8_t raw[MODBUS_RAW_MAX];
};

/* ------------------------------------------------------------------------
 * Name tables
 * --------------------------------------------------------------------- */

struct modbus_fc_row {
	const char *name;
	uint8_t cat;		/* enum modbus_category */
};

/* Names as in Zeek's base/protocols/modbus/consts.zeek. */
static const struct modbus_fc_row modbus_fc_rows[128] = {
	[0x01] = { "READ_COILS", MODBUS_CAT_READ },
	[0x02] = { "READ_DISCRETE_INPUTS", MODBUS_CAT_READ },
	[0x03] = { "READ_HOLDING_REGISTERS", MODBUS_CAT_READ },
	[0x04] = { "READ_INPUT_REGISTERS", MODBUS_CAT_READ },
	[0x05] = { "WRITE_SINGLE_COIL", MODBUS_CAT_WRITE },
	[0x06] = { "WRITE_SINGLE_REGISTER", MODBUS_CAT_WRITE },
	[0x07] = { "READ_EXCEPTION_STATUS", MODBUS_CAT_DIAGNOSTIC },
	[0x08] = { "DIAGNOSTICS", MODBUS_CAT_DIAGNOSTIC },
	[0x09] = { "PROGRAM_484", MODBUS_CAT_PROGRAM },
	[0x0A] = { "POLL_484", MODBUS_CAT_PROGRAM },
	[0x0B] = { "GET_COMM_EVENT_COUNTER", MODBUS_CAT_DIAGNOSTIC },
	[0x0C] = { "GET_COMM_EVENT_LOG", MODBUS_CAT_DIAGNOSTIC },
	[0x0D] = { "PROGRAM_584_984", MODBUS_CAT_PROGRAM },
	[0x0E] = { "POLL_584_984", MODBUS_CAT_PROGRAM },
	[0x0F] = { "WRITE_MULTIPLE_COILS", MODBUS_CAT_WRITE },
	[0x10] = { "WRITE_MULTIPLE_REGISTERS", MODBUS_CAT_WRITE },
	[0x11] = { "REPORT_SLAVE_ID", MODBUS_CAT_IDENTIFICATION },
	[0x12] = { "PROGRAM_884_U84", MODBUS_CAT_PROGRAM },
	[0x13] = { "RESET_COMM_LINK_884_U84", MODBUS_CAT_DIAGNOSTIC },
	[0x14] = { "READ_FILE_RECORD", MODBUS_CAT_READ },
	[0x15] = { "WRITE_FILE_RECORD", MODBUS_CAT_WRITE },
	[0x16] = { "MASK_WRITE_REGISTER", MODBUS_CAT_WRITE },
	[0x17] = { "READ_WRITE_MULTIPLE_REGISTERS", MODBUS_CAT_WRITE },
	[0x18] = { "READ_FIFO_QUEUE", MODBUS_CAT_READ },
	[0x28] = { "PROGRAM_CONCEPT", MODBUS_CAT_PROGRAM },
	[0x29] = { "MULTIPLE_FUNCTION_CODES", MODBUS_CAT_OTHER },
	[0x2B] = { "ENCAP_INTERFACE_TRANSPORT", MODBUS_CAT_IDENTIFICATION },
	/* Application Protocol V1.1b3, 5: user-defined 65-72 and 100-110 */
	[0x41] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x42] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x43] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x44] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x45] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x46] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x47] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x48] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x5A] = { "PROGRAM_UNITY", MODBUS_CAT_PROGRAM },
	[0x5B] = { "OBJECT_MESSAGING", MODBUS_CAT_OTHER },
	[0x64] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x65] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x66] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x67] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x68] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x69] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x6A] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x6B] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x6C] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x6D] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x6E] = { NULL, MODBUS_CAT_USER_DEFINED },
	[0x7D] = { "FIRMWARE_REPLACEMENT", MODBUS_CAT_PROGRAM },
	[0x7E] = { "PROGRAM_584_984_2", MODBUS_CAT_PROGRAM },
	[0x7F] = { "REPORT_LOCAL_ADDRESS", MODBUS_CAT_IDENTIFICATION },
};

static const char *const modbus_cat_names[MODBUS_CAT__COUNT] = {
	[MODBUS_CAT_OTHER] = "other",
	[MODBUS_CAT_READ] = "read",
	[MODBUS_CAT_WRITE] = "write",
	[MODBUS_CAT_DIAGNOSTIC] = "diagnostic",
	[MODBUS_CAT_PROGRAM] = "program",
	[MODBUS_CAT_IDENTIFICATION] = "identification",
	[MODBUS_CAT_USER_DEFINED] = "user-defined",
};

/* Application Protocol V1.1b3, 7; names as in Zeek. */
static const char *const modbus_exc_names[12] = {
	[0x01] = "ILLEGAL_FUNCTION",
	[0x02] = "ILLEGAL_DATA_ADDRESS",
	[0x03] = "ILLEGAL_DATA_VALUE",
	[0x04] = "SLAVE_DEVICE_FAILURE",
	[0x05] = "ACKNOWLEDGE",
	[0x06] = "SLAVE_DEVICE_BUSY",
	[0x08] = "MEMORY_PARITY_ERROR",
	[0x0A] = "GATEWAY_PATH_UNAVAILABLE",
	[0x0B] = "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND",
};

/* UMAS function codes (the byte after the session key), and the statuses. */
static const char *const modbus_umas_names[256] = {
	[0x01] = "INIT_COMM",
	[0x02] = "READ_ID",
	[0x03] = "READ_PROJECT_INFO",
	[0x04] = "READ_PLC_INFO",
	[0x06] = "READ_CARD_INFO",
	[0x0A] = "REPEAT",
	[0x10] = "TAKE_PLC_RESERVATION",
	[0x11] = "RELEASE_PLC_RESERVATION",
	[0x12] = "KEEP_ALIVE",
	[0x20] = "READ_MEMORY_BLOCK",
	[0x22] = "READ_VARIABLES",
	[0x23] = "WRITE_VARIABLES",
	[0x24] = "READ_COILS_REGISTERS",
	[0x25] = "WRITE_COILS_REGISTERS",
	[0x30] = "INITIALIZE_UPLOAD",
	[0x31] = "UPLOAD_BLOCK",
	[0x32] = "END_STRATEGY_UPLOAD",
	[0x33] = "INITIALIZE_DOWNLOAD",
	[0x34] = "DOWNLOAD_BLOCK",
	[0x35] = "END_STRATEGY_DOWNLOAD",
	[0x39] = "READ_ETH_MASTER_DATA",
	[0x40] = "START_PLC",
	[0x41] = "STOP_PLC",
	[0x50] = "MONITOR_PLC",
	[0x58] = "CHECK_PLC",
	[0x70] = "READ_IO_OBJECT",
	[0x71] = "WRITE_IO_OBJECT",
	[0x73] = "GET_STATUS_MODULE",
	[0xFD] = "RESPONSE_ERROR",
	[0xFE] = "RESPONSE_OK",
};

/* FC 8 sub-functions, Application Protocol V1.1b3, 6.8.1. */
static const char *const modbus_diag_names[0x15] = {
	[0x00] = "RETURN_QUERY_DATA",
	[0x01] = "RESTART_COMMUNICATIONS_OPTION",
	[0x02] = "RETURN_DIAGNOSTIC_REGISTER",
	[0x03] = "CHANGE_ASCII_INPUT_DELIMITER",
	[0x04] = "FORCE_LISTEN_ONLY_MODE",
	[0x0A] = "CLEAR_COUNTERS_AND_DIAGNOSTIC_REGISTER",
	[0x0B] = "RETURN_BUS_MESSAGE_COUNT",
	[0x0C] = "RETURN_BUS_COMMUNICATION_ERROR_COUNT",
	[0x0D] = "RETURN_BUS_EXCEPTION_ERROR_COUNT",
	[0x0E] = "RETURN_SERVER_MESSAGE_COUNT",
	[0x0F] = "RETURN_SERVER_NO_RESPONSE_COUNT",
	[0x10] = "RETURN_SERVER_NAK_COUNT",
	[0x11] = "RETURN_SERVER_BUSY_COUNT",
	[0x12] = "RETURN_BUS_CHARACTER_OVERRUN_COUNT",
	[0x14] = "CLEAR_OVERRUN_COUNTER_AND_FLAG",
};

/* FC 43/14 basic and regular objects, Application Protocol V1.1b3, 6.21. */
static const char *const modbus_devid_names[7] = {
	"vendor", "product_code", "revision", "vendor_url",
	"product_name", "model_name", "user_app_name",
};

const char *modbus_func_name(uint8_t fc)
{
	return fc < 128 ? modbus_fc_rows[fc].name : NULL;
}

enum modbus_category modbus_func_category(uint8_t fc)
{
	return (enum modbus_category)modbus_fc_rows[fc & 0x7F].cat;
}

const char *modbus_category_name(uint8_t cat)
{
	return cat < MODBUS_CAT__COUNT ? modbus_cat_names[cat] : "other";
}

const char *modbus_exception_name(uint8_t code)
{
	return code < 12 ? modbus_exc_names[code] : NULL;
}

const char *modbus_umas_name(uint8_t code)
{
	return modbus_umas_names[code];
}

const char *modbus_diag_name(uint16_t sub)
{
	return sub < 0x15 ? modbus_diag_names[sub] : NULL;
}

const char *modbus_devid_obj_name(uint8_t id)
{
	return id < 7 ? modbus_devid_names[id] : NULL;
}

/* ------------------------------------------------------------------------
 * Value blocks
 * --------------------------------------------------------------------- */

/* Reads n registers (big-endian) into v; keeps at most the cap. */
static void vals_regs(struct ev_modbus_values *v, struct rd *r, unsigned n,
    bool has_start, uint16_t start)
{
	v->kind = MODBUS_VAL_REGS;
	v->has_start = has_start;
	v->start = start;
	v->count = 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t x = rd_be16(r);

		if (r->short_read) {
			v->truncated = true;
			return;
		}
		if (v->count < EV_MODBUS_MAX_REGS)
			v->regs[v->count++] = x;
		else
			v->truncated = true;
	}
}

/*
 * Reads nbytes of packed bits; nbits of them are values (the rest is
 * padding).  nbits 0 means "all of them" (quantity unknown).
 */
static void vals_bits(struct ev_modbus_values *v, struct rd *r,
    unsigned nbytes, unsigned nbits, bool has_start, uint16_t start)
{
	unsigned keep = nbytes < EV_MODBUS_MAX_BYTES ? nbytes : EV_MODBUS_MAX_BYTES;
	unsigned got;

	v->kind = MODBUS_VAL_BITS;
	v->has_start = has_start;
	v->start = start;
	if (keep > r->left) {
		keep = (unsigned)r->left;
		v->truncated = true;
	}
	rd_copy(r, v->bytes, keep);
	if (nbytes > keep) {
		rd_skip(r, nbytes - keep);
		v->truncated = true;
	}
	got = keep * 8;
	if (nbits == 0 || nbits > nbytes * 8)
		nbits = nbytes * 8;
	if (nbits > got) {
		v->truncated = true;
		nbits = got;
	}
	v->count = (uint16_t)nbits;
}

/* Copies up to n opaque bytes (capped), moving the cursor past n. */
static void vals_bytes(struct ev_modbus_values *v, struct rd *r, size_t n)
{
	size_t keep = n < EV_MODBUS_MAX_BYTES ? n : EV_MODBUS_MAX_BYTES;

	v->kind = MODBUS_VAL_BYTES;
	v->has_start = false;
	if (keep > r->left)
		keep = r->left;
	rd_copy(r, v->bytes, keep);
	v->count = (uint16_t)keep;
	if (n > keep) {
		v->truncated = true;
		rd_skip(r, n - keep);
	}
}

/* Copies a device-id string as printable ASCII, NUL-terminated. */
static void devid_str(struct ev_modbus_devid_obj *o, const uint8_t *s,
    size_t n)
{
	size_t keep = n < EV_MODBUS_DEVID_STR - 1 ? n : EV_MODBUS_DEVID_STR - 1;

	for (size_t i = 0; i < keep; i++)
		o->value[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? (char)s[i] : '.';
	o->value[keep] = '\0';
	o->truncated = n > keep;
}

/* ------------------------------------------------------------------------
 * PDU parsing
 * --------------------------------------------------------------------- */

/* Where anomalies go; 'fc' NULL means "parse quietly" (a second parse). */
struct modbus_say {
	struct flow_ctx *fc;
	enum dir d;
};

#define MODBUS_SAY(s, ...) do {						\
	if ((s)->fc)							\
		flow_anomaly((s)->fc, (s)->d, ANOM_APP_MALFORMED,	\
		    "modbus", __VA_ARGS__);				\
} while (0)

/* A child cursor over a count-prefixed part, clipped to what is there. */
static struct rd counted(struct rd *r, size_t bc)
{
	return rd_sub(r, bc <= r->left ? bc : r->left);
}

static void check_qty(const struct modbus_say *s, uint8_t fc, uint16_t qty,
    uint16_t max)
{
	if (qty < 1 || qty > max)
		MODBUS_SAY(s, "modbus.bad_quantity fc=%u quantity=%u (1..%u)",
		    fc, qty, max);
}

/* Reports a PDU whose length disagrees with its function's layout. */
static void check_end(const struct modbus_say *s, const struct rd *r,
    uint8_t fc, bool resp)
{
	if (r->short_read)
		MODBUS_SAY(s, "modbus.truncated_pdu fc=%u %s", fc,
		    resp ? "response" : "request");
	else if (r->left)
		MODBUS_SAY(s, "modbus.trailing_bytes fc=%u %s: %zu", fc,
		    resp ? "response" : "request", r->left);
}

static void parse_file_req(struct ev_modbus *ev, struct rd *r, uint8_t fc,
    const struct modbus_say *s)
{
	uint8_t bc = rd_u8(r);
	struct rd sub;

	if (r->short_read)
		return;
	if ((fc == 0x14 && (bc < 0x07 || bc > 0xF5)) ||
	    (fc == 0x15 && (bc < 0x09 || bc > 0xFB)))
		MODBUS_SAY(s, "modbus.bad_byte_count fc=%u byte_count=%u", fc, bc);
	if (bc != r->left) {
		MODBUS_SAY(s, "modbus.byte_count_mismatch fc=%u byte_count=%u"
		    " data=%zu", fc, bc, r->left);
		sub = counted(r, bc);
		rd_skip(r, r->left);	/* said once is enough */
	} else {
		sub = counted(r, bc);
	}
	while (sub.left && !sub.short_read) {
		struct ev_modbus_file_rec tmp, *f;
		unsigned n;

		f = ev->nfile_recs < EV_MODBUS_MAX_FILE_RECS ?
		    &ev->file_recs[ev->nfile_recs] : &tmp;
		memset(f, 0, sizeof(*f));
		f->ref_type = rd_u8(&sub);
		f->file = rd_be16(&sub);
		f->record = rd_be16(&sub);
		f->length = rd_be16(&sub);
		if (sub.short_read) {
			MODBUS_SAY(s, "modbus.truncated_pdu fc=%u request sub-request", fc);
			break;
		}
		f->has_ref = true;
		if (f->ref_type != 6)
			MODBUS_SAY(s, "modbus.bad_reference_type fc=%u ref=%u", fc,
			    f->ref_type);
		if (fc == 0x15) {
			for (n = 0; n < f->length; n++) {
				uint16_t x = rd_be16(&sub);

				if (sub.short_read) {
					MODBUS_SAY(s, "modbus.byte_count_mismatch fc=%u"
					    " record data short", fc);
					f->truncated = true;
					break;
				}
				if (f->ndata < EV_MODBUS_FILE_REC_REGS)
					f->data[f->ndata++] = x;
				else
					f->truncated = true;
			}
		}
		if (f == &tmp)
			ev->file_recs_truncated = true;
		else
			ev->nfile_recs++;
	}
}

/*
 * Parses a request PDU (after the function code) into ev.  Raises an
 * anomaly per spec violation through s (quiet if s->fc is NULL).
 */
static void parse_request(struct ev_modbus *ev, uint8_t fc, struct rd *r,
    const struct modbus_say *s)
{
	bool mismatch = false;
	uint16_t addr, qty;
	struct rd sub;
	uint8_t bc;

	ev->has_request = true;
	if (fc == 0 || fc >= 0x80) {
		MODBUS_SAY(s, "modbus.illegal_function fc=%u", fc);
		vals_bytes(&ev->req, r, r->left);
		return;
	}
	switch (fc) {
	case 0x01: case 0x02: case 0x03: case 0x04:
		addr = rd_be16(r);
		qty = rd_be16(r);
		if (r->short_read)
			break;
		ev->has_address = ev->has_quantity = true;
		ev->address = addr;
		ev->quantity = qty;
		check_qty(s, fc, qty, fc <= 0x02 ? 2000 : 125);
		break;
	case 0x05: case 0x06:
		addr = rd_be16(r);
		qty = rd_be16(r);	/* the value */
		if (r->short_read)
			break;
		ev->has_address = true;
		ev->address = addr;
		if (fc == 0x05) {
			if (qty != 0x0000 && qty != 0xFF00)
				MODBUS_SAY(s, "modbus.bad_coil_value value=0x%04x", qty);
			ev->req.kind = MODBUS_VAL_BITS;
			ev->req.bytes[0] = qty == 0xFF00;
		} else {
			ev->req.kind = MODBUS_VAL_REGS;
		}
		ev->req.regs[0] = qty;	/* FC 5: the value as sent */
		ev->req.has_start = true;
		ev->req.start = addr;
		ev->req.count = 1;
		break;
	case 0x0F: case 0x10:
		addr = rd_be16(r);
		qty = rd_be16(r);
		bc = rd_u8(r);
		if (r->short_read)
			break;
		ev->has_address = ev->has_quantity = true;
		ev->address = addr;
		ev->quantity = qty;
		check_qty(s, fc, qty, fc == 0x0F ? 1968 : 123);
		mismatch = bc != (fc == 0x0F ? (qty + 7u) / 8 : 2u * qty) ||
		    bc != r->left;
		if (mismatch)
			MODBUS_SAY(s, "modbus.byte_count_mismatch fc=%u quantity=%u"
			    " byte_count=%u data=%zu", fc, qty, bc, r->left);
		sub = counted(r, bc);
		if (fc == 0x0F)
			vals_bits(&ev->req, &sub, bc, qty, true, addr);
		else
			vals_regs(&ev->req, &sub, bc / 2u, true, addr);
		break;
	case 0x08:
		ev->subfunction = rd_be16(r);
		if (r->short_read)
			break;
		ev->has_subfunction = true;
		if (r->left % 2)
			vals_bytes(&ev->req, r, r->left);
		else
			vals_regs(&ev->req, r, (unsigned)(r->left / 2), false, 0);
		break;
	case 0x07: case 0x0B: case 0x0C: case 0x11:
		break;		/* no request data */
	case 0x14: case 0x15:
		parse_file_req(ev, r, fc, s);
		break;
	case 0x16:
		addr = rd_be16(r);
		ev->and_mask = rd_be16(r);
		ev->or_mask = rd_be16(r);
		if (r->short_read)
			break;
		ev->has_address = ev->has_masks = true;
		ev->address = addr;
		break;
	case 0x17:
		ev->address = rd_be16(r);
		ev->quantity = rd_be16(r);
		ev->write_address = rd_be16(r);
		ev->write_quantity = rd_be16(r);
		bc = rd_u8(r);
		if (r->short_read)
			break;
		ev->has_address = ev->has_quantity = ev->has_write = true;
		check_qty(s, fc, ev->quantity, 125);
		check_qty(s, fc, ev->write_quantity, 121);
		mismatch = bc != 2u * ev->write_quantity || bc != r->left;
		if (mismatch)
			MODBUS_SAY(s, "modbus.byte_count_mismatch fc=%u quantity=%u"
			    " byte_count=%u data=%zu", fc, ev->write_quantity, bc,
			    r->left);
		sub = counted(r, bc);
		vals_regs(&ev->req, &sub, bc / 2u, true, ev->write_address);
		break;
	case 0x18:
		addr = rd_be16(r);
		if (r->short_read)
			break;
		ev->has_address = ev->has_fifo = true;
		ev->address = addr;
		break;
	case 0x2B:
		ev->mei_type = rd_u8(r);
		if (r->short_read)
			break;
		ev->has_mei = true;
		if (ev->mei_type == 0x0E) {
			ev->devid.read_code = rd_u8(r);
			ev->devid.object_id = rd_u8(r);
			if (r->short_read)
				break;
			ev->has_devid = true;
			if (ev->devid.read_code < 1 || ev->devid.read_code > 4)
				MODBUS_SAY(s, "modbus.bad_read_device_id_code code=%u",
				    ev->devid.read_code);
		} else {
			vals_bytes(&ev->req, r, r->left);
		}
		break;
	case MODBUS_FC_UMAS:
		ev->umas_session = rd_u8(r);
		ev->umas_fc = rd_u8(r);
		if (r->short_read)
			break;
		ev->has_umas = true;
		vals_bytes(&ev->req, r, r->left);
		break;
	default:
		/* vendor, user-defined or unknown: keep the bytes */
		vals_bytes(&ev->req, r, r->left);
		break;
	}
	if (mismatch)
		rd_skip(r, r->left);	/* said once is enough */
	check_end(s, r, fc, false);
}

/* FC 43/14 response: the objects of a Read Device Identification. */
static void parse_devid_resp(struct ev_modbus *ev, struct rd *r,
    const struct modbus_say *s)
{
	struct ev_modbus_devid *dv = &ev->devid;

	dv->read_code = rd_u8(r);
	dv->conformity = rd_u8(r);
	dv->more_follows = rd_u8(r);
	dv->next_object_id = rd_u8(r);
	dv->nobjects = rd_u8(r);
	if (r->short_read)
		return;
	ev->has_devid = true;
	dv->has_response = true;
	dv->nobjs = 0;
	for (unsigned i = 0; i < dv->nobjects; i++) {
		uint8_t id = rd_u8(r);
		uint8_t len = rd_u8(r);
		const uint8_t *v = rd_ptr(r, len);

		if (!v) {
			MODBUS_SAY(s, "modbus.truncated_pdu fc=43 device id object %u",
			    i);
			dv->truncated = true;
			return;
		}
		if (dv->nobjs >= EV_MODBUS_MAX_DEVID_OBJS) {
			dv->truncated = true;
			continue;
		}
		dv->objs[dv->nobjs].id = id;
		dv->objs[dv->nobjs].len = len;
		devid_str(&dv->objs[dv->nobjs], v, len);
		dv->nobjs++;
	}
}

/* FC 20 response: one group of record data per sub-request. */
static void parse_file_resp(struct ev_modbus *ev, struct rd *r,
    const struct modbus_say *s)
{
	uint8_t len = rd_u8(r);
	unsigned i = 0;
	struct rd sub;

	if (r->short_read)
		return;
	if (len != r->left) {
		MODBUS_SAY(s, "modbus.byte_count_mismatch fc=20 byte_count=%u"
		    " data=%zu", len, r->left);
		sub = counted(r, len);
		rd_skip(r, r->left);	/* said once is enough */
	} else {
		sub = counted(r, len);
	}
	for (; sub.left && !sub.short_read; i++) {
		uint8_t flen = rd_u8(&sub);
		uint8_t ref = rd_u8(&sub);
		struct ev_modbus_file_rec *f = NULL;
		unsigned nregs;

		if (sub.short_read || flen < 1) {
			MODBUS_SAY(s, "modbus.truncated_pdu fc=20 response group %u", i);
			break;
		}
		nregs = (flen - 1u) / 2u;
		if (i < ev->nfile_recs) {
			f = &ev->file_recs[i];
		} else if (ev->nfile_recs < EV_MODBUS_MAX_FILE_RECS) {
			f = &ev->file_recs[ev->nfile_recs++];
			memset(f, 0, sizeof(*f));
			f->ref_type = ref;
			f->length = (uint16_t)nregs;
		} else {
			ev->file_recs_truncated = true;
		}
		if (f && f->has_ref && f->length != nregs)
			MODBUS_SAY(s, "modbus.byte_count_mismatch fc=20 record %u"
			    " length=%u data=%u", i, f->length, nregs);
		for (unsigned k = 0; k < nregs; k++) {
			uint16_t x = rd_be16(&sub);

			if (sub.short_read) {
				MODBUS_SAY(s, "modbus.truncated_pdu fc=20 record data");
				if (f)
					f->truncated = true;
				return;
			}
			if (!f)
				continue;
			if (f->ndata < EV_MODBUS_FILE_REC_REGS)
				f->data[f->ndata++] = x;
			else
				f->truncated = true;
		}
		if ((flen - 1u) % 2)
			rd_skip(&sub, 1);
	}
}

/*
 * Parses a response PDU (after the function code) into ev.  The request
 * part of ev, if any, is already filled and supplies the quantity that
 * byte counts must agree with.
 */
static void parse_response(struct ev_modbus *ev, uint8_t fc, struct rd *r,
    const struct modbus_say *s)
{
	bool knows_qty = ev->has_request && ev->has_quantity;
	bool mismatch = false;
	uint16_t addr, qty;
	struct rd sub;
	uint8_t bc;

	ev->has_response = true;
	switch (fc) {
	case 0x01: case 0x02:
		bc = rd_u8(r);
		if (r->short_read)
			break;
		mismatch = bc != r->left ||
		    (knows_qty && bc != (ev->quantity + 7u) / 8);
		if (mismatch)
			MODBUS_SAY(s, "modbus.byte_count_mismatch fc=%u quantity=%u"
			    " byte_count=%u data=%zu", fc,
			    knows_qty ? ev->quantity : 0, bc, r->left);
		sub = counted(r, bc);
		vals_bits(&ev->resp, &sub, bc, knows_qty ? ev->quantity : 0,
		    ev->has_address, ev->address);
		break;
	case 0x03: case 0x04: case 0x17:
		bc = rd_u8(r);
		if (r->short_read)
			break;
		mismatch = bc != r->left || bc % 2 ||
		    (knows_qty && bc != 2u * ev->quantity);
		if (mismatch)
			MODBUS_SAY(s, "modbus.byte_count_mismatch fc=%u quantity=%u"
			    " byte_count=%u data=%zu", fc,
			    knows_qty ? ev->quantity : 0, bc, r->left);
		sub = counted(r, bc);
		vals_regs(&ev->resp, &sub, bc / 2u, ev->has_address, ev->address);
		break;
	case 0x05: case 0x06:
		addr = rd_be16(r);
		qty = rd_be16(r);
		if (r->short_read)
			break;
		if (!ev->has_address) {
			ev->has_address = true;
			ev->address = addr;
		}
		ev->resp.kind = fc == 0x05 ? MODBUS_VAL_BITS : MODBUS_VAL_REGS;
		ev->resp.bytes[0] = qty == 0xFF00;
		ev->resp.regs[0] = qty;
		ev->resp.has_start = true;
		ev->resp.start = addr;
		ev->resp.count = 1;
		break;
	case 0x0F: case 0x10:
		addr = rd_be16(r);
		qty = rd_be16(r);
		if (r->short_read)
			break;
		if (!ev->has_address) {
			ev->has_address = ev->has_quantity = true;
			ev->address = addr;
			ev->quantity = qty;
		}
		break;
	case 0x07:
		vals_bits(&ev->resp, r, 1, 8, false, 0);
		break;
	case 0x08:
		qty = rd_be16(r);
		if (r->short_read)
			break;
		if (!ev->has_subfunction) {
			ev->has_subfunction = true;
			ev->subfunction = qty;
		}
		if (r->left % 2)
			vals_bytes(&ev->resp, r, r->left);
		else
			vals_regs(&ev->resp, r, (unsigned)(r->left / 2), false, 0);
		break;
	case 0x0B:
		vals_regs(&ev->resp, r, 2, false, 0);	/* status, event count */
		break;
	case 0x0C: case 0x11:
		bc = rd_u8(r);
		if (r->short_read)
			break;
		mismatch = bc != r->left;
		if (mismatch)
			MODBUS_SAY(s, "modbus.byte_count_mismatch fc=%u byte_count=%u"
			    " data=%zu", fc, bc, r->left);
		sub = counted(r, bc);
		vals_bytes(&ev->resp, &sub, bc);
		break;
	case 0x14:
		parse_file_resp(ev, r, s);
		break;
	case 0x15:
		/* an echo of the request; parsed only if the request is unknown */
		if (!ev->has_request || ev->request_lost)
			parse_file_req(ev, r, fc, s);
		else
			rd_skip(r, r->left);
		break;
	case 0x16:
		addr = rd_be16(r);
		ev->and_mask = rd_be16(r);
		ev->or_mask = rd_be16(r);
		if (r->short_read)
			break;
		ev->has_masks = true;
		if (!ev->has_address) {
			ev->has_address = true;
			ev->address = addr;
		}
		break;
	case 0x18: {
		uint16_t bcount = rd_be16(r);

		ev->fifo_count = rd_be16(r);
		if (r->short_read)
			break;
		ev->has_fifo = true;
		mismatch = bcount != r->left + 2 ||
		    bcount != 2u + 2u * ev->fifo_count;
		if (mismatch)
			MODBUS_SAY(s, "modbus.byte_count_mismatch fc=24 byte_count=%u"
			    " fifo_count=%u data=%zu", bcount, ev->fifo_count,
			    r->left);
		if (ev->fifo_count > 31)
			MODBUS_SAY(s, "modbus.bad_quantity fc=24 fifo_count=%u (0..31)",
			    ev->fifo_count);
		sub = counted(r, 2u * ev->fifo_count);
		vals_regs(&ev->resp, &sub, ev->fifo_count, false, 0);
		break;
	}
	case 0x2B:
		ev->mei_type = rd_u8(r);
		if (r->short_read)
			break;
		ev->has_mei = true;
		if (ev->mei_type == 0x0E)
			parse_devid_resp(ev, r, s);
		else
			vals_bytes(&ev->resp, r, r->left);
		break;
	case MODBUS_FC_UMAS:
		qty = rd_u8(r);		/* session key */
		ev->umas_status = rd_u8(r);
		if (r->short_read)
			break;
		if (!ev->has_umas) {
			ev->has_umas = true;
			ev->umas_session = (uint8_t)qty;
		}
		ev->has_umas_status = true;
		vals_bytes(&ev->resp, r, r->left);
		break;
	default:
		vals_bytes(&ev->resp, r, r->left);
		break;
	}
	if (mismatch)
		rd_skip(r, r->left);	/* said once is enough */
	check_end(s, r, fc, true);
}

/* ------------------------------------------------------------------------
 * Pending requests
 * --------------------------------------------------------------------- */

/*
 * Absolute capture time of a pending request.  Entries keep the low 32 bits
 * (71 minutes); they are rebuilt against last_ts, which is never more than
 * MODBUS_TIMEOUT_US past an entry still pending when it is updated.
 */
static uint64_t pend_ts(const struct modbus_state *st,
    const struct modbus_pend *p)
{
	uint32_t back = (uint32_t)st->last_ts - p->ts;

	if (back > st->last_ts)
		return 0;
	return st->last_ts - back;
}

static bool raw_owned(const struct modbus_state *st,
    const struct modbus_pend *p)
{
	return (st->flags & MODBUS_RAW_VALID) && st->raw_tid == p->tid &&
	    st->raw_unit == p->unit && st->raw_fc == p->fc;
}

/* Fills the request side of ev from a pending entry (and raw[] if its). */
static void fill_request(const struct modbus_state *st,
    const struct modbus_pend *p, struct ev_modbus *ev)
{
	static const struct modbus_say quiet = { NULL, DIR_TO_SERVER };

	ev->tid = p->tid;
	ev->unit = p->unit;
	ev->fc = p->fc & 0x7F;
	ev->category = (uint8_t)modbus_func_category(p->fc);
	ev->h.ts_us = pend_ts(st, p);
	ev->h.dir = DIR_TO_SERVER;
	if (raw_owned(st, p)) {
		struct rd r = rd_init(st->raw, st->raw_len);

		parse_request(ev, p->fc, &r, &quiet);
		if (st->flags & MODBUS_RAW_TRUNC)
			ev->req.truncated = true;
		return;
	}
	/* Only what the pending entry kept. */
	ev->has_request = true;
	ev->request_lost = true;
	switch (p->fc) {
	case 0x01: case 0x02: case 0x03: case 0x04:
	case 0x0F: case 0x10: case 0x17:
		ev->has_quantity = true;
		ev->quantity = p->qty;
		/* fall through */
	case 0x16: case 0x18:
		ev->has_address = true;
		ev->address = p->addr;
		ev->has_fifo = p->fc == 0x18;
		break;
	case 0x05: case 0x06:
		ev->has_address = true;
		ev->address = p->addr;
		ev->req.kind = p->fc == 0x05 ? MODBUS_VAL_BITS : MODBUS_VAL_REGS;
		ev->req.bytes[0] = p->qty == 0xFF00;
		ev->req.regs[0] = p->qty;
		ev->req.has_start = true;
		ev->req.start = p->addr;
		ev->req.count = 1;
		ev->request_lost = false;	/* nothing else to lose */
		break;
	case 0x08:
		ev->has_subfunction = true;
		ev->subfunction = p->addr;
		ev->req.kind = MODBUS_VAL_REGS;
		ev->req.regs[0] = p->qty;
		ev->req.count = 1;
		ev->request_lost = false;	/* sub-function and data word */
		break;
	default:
		break;
	}
}

static void pend_drop(struct modbus_state *st, unsigned i)
{
	if (raw_owned(st, &st->pend[i]))
		st->flags &= (uint8_t)~MODBUS_RAW_VALID;
	memmove(&st->pend[i], &st->pend[i + 1],
	    (st->npend - i - 1) * sizeof(st->pend[0]));
	st->npend--;
}

/* Emits pending entry i as an unmatched request and drops it. */
static void pend_flush(struct modbus_state *st, struct flow_ctx *fc,
    unsigned i, bool timed_out)
{
	struct ev_modbus ev;

	memset(&ev, 0, sizeof(ev));
	flow_ev_init(fc, &ev.h, EV_MODBUS, DIR_TO_SERVER);
	fill_request(st, &st->pend[i], &ev);
	ev.timed_out = timed_out;
	pend_drop(st, i);
	out_emit(&ev.h);
}

/* Flushes requests older than the timeout, then advances last_ts. */
static void pend_expire(struct modbus_state *st, struct flow_ctx *fc)
{
	uint64_t now = fc->ts_us;

	for (unsigned i = 0; i < st->npend;) {
		uint64_t t = pend_ts(st, &st->pend[i]);

		if (now > t && now - t >= MODBUS_TIMEOUT_US)
			pend_flush(st, fc, i, true);
		else
			i++;
	}
	if (now > st->last_ts)
		st->last_ts = now;
}

/* ------------------------------------------------------------------------
 * ADUs
 * --------------------------------------------------------------------- */

static void on_request(struct modbus_state *st, struct flow_ctx *fc,
    uint16_t tid, uint8_t unit, uint8_t fcode, const uint8_t *data,
    size_t n)
{
	struct modbus_say say = { fc, DIR_TO_SERVER };
	struct modbus_pend *p;
	struct ev_modbus ev;
	struct rd r = rd_init(data, n);

	/* Parsed now for its anomalies and the fields the entry keeps. */
	memset(&ev, 0, sizeof(ev));
	parse_request(&ev, fcode, &r, &say);

	/* A reused tid+unit orphans the earlier request. */
	for (unsigned i = 0; i < st->npend; i++) {
		if (st->pend[i].tid == tid && st->pend[i].unit == unit) {
			pend_flush(st, fc, i, false);
			break;
		}
	}
	if (st->npend == MODBUS_MAX_PENDING) {
		if (!(st->flags & MODBUS_TOO_MANY_SAID)) {
			st->flags |= MODBUS_TOO_MANY_SAID;
			flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_TOO_MANY, "modbus",
			    "modbus.too_many_pending more than %u requests"
			    " without a response", MODBUS_MAX_PENDING);
		}
		pend_flush(st, fc, 0, false);
	}
	p = &st->pend[st->npend++];
	p->ts = (uint32_t)fc->ts_us;
	p->tid = tid;
	p->unit = unit;
	p->fc = fcode;
	p->addr = ev.address;
	p->qty = ev.quantity;
	if (fcode == 0x05 || fcode == 0x06)
		p->qty = ev.req.regs[0];	/* the value written */
	if (fcode == 0x08) {
		/*
		 * Diagnostics often get no response at all (force listen only),
		 * so keep the sub-function and its (usually one) data word.
		 */
		p->addr = ev.subfunction;
		p->qty = ev.req.count ? ev.req.regs[0] : 0;
	}

	st->raw_tid = tid;
	st->raw_unit = unit;
	st->raw_fc = fcode;
	st->raw_len = (uint8_t)(n < MODBUS_RAW_MAX ? n : MODBUS_RAW_MAX);
	memcpy(st->raw, data, st->raw_len);
	st->flags |= MODBUS_RAW_VALID;
	if (n > MODBUS_RAW_MAX)
		st->flags |= MODBUS_RAW_TRUNC;
	else
		st->flags &= (uint8_t)~MODBUS_RAW_TRUNC;
}

static void on_response(struct modbus_state *st, struct flow_ctx *fc,
    uint16_t tid, uint8_t unit, uint8_t fcode, const uint8_t *data,
    size_t n)
{
	struct modbus_say say = { fc, DIR_TO_CLIENT };
	uint8_t base = fcode & 0x7F;
	struct ev_modbus ev;
	struct rd r = rd_init(data, n);
	int hit = -1;

	memset(&ev, 0, sizeof(ev));
	flow_ev_init(fc, &ev.h, EV_MODBUS, DIR_TO_CLIENT);
	for (unsigned i = 0; i < st->npend; i++) {
		if (st->pend[i].tid == tid && st->pend[i].unit == unit &&
		    st->pend[i].fc == base) {
			hit = (int)i;
			break;
		}
	}
	if (hit >= 0) {
		uint64_t t;

		fill_request(st, &st->pend[hit], &ev);
		t = ev.h.ts_us;
		ev.rtt_us = fc->ts_us > t ? fc->ts_us - t : 0;
		ev.matched = true;
		pend_drop(st, (unsigned)hit);
	} else {
		ev.tid = tid;
		ev.unit = unit;
		ev.fc = base;
		ev.category = (uint8_t)modbus_func_category(base);
	}
	if (base == 0) {
		MODBUS_SAY(&say, "modbus.illegal_function fc=%u response", fcode);
		ev.has_response = true;
		vals_bytes(&ev.resp, &r, r.left);
	} else if (fcode & 0x80) {
		ev.has_response = true;
		ev.exception = true;
		ev.exception_code = rd_u8(&r);
		check_end(&say, &r, fcode, true);
	} else {
		parse_response(&ev, fcode, &r, &say);
	}
	out_emit(&ev.h);
}

/* A function code a header may carry in direction d. */
static bool fc_plausible(uint8_t fc, enum dir d)
{
	if ((fc & 0x7F) == 0)
		return false;
	return d == DIR_TO_CLIENT || fc < 0x80;
}

/*
 * Looks for the next plausible MBAP header in p[0..n) after a gap.  Returns
 * its offset, or -1 with *keep_from set to where the search must resume
 * when more bytes come (the tail too short to judge).
 */
static long resync_scan(const uint8_t *p, size_t n, enum dir d,
    size_t *keep_from)
{
	size_t i;

	for (i = 0; i + 8 <= n; i++) {
		struct rd r = rd_init(p + i, n - i);
		uint16_t proto, len;
		uint8_t fcode;

		rd_skip(&r, 2);
		proto = rd_be16(&r);
		len = rd_be16(&r);
		rd_skip(&r, 1);
		fcode = rd_u8(&r);
		if (r.short_read || proto != 0 || len < MODBUS_LEN_MIN ||
		    len > MODBUS_LEN_MAX || !fc_plausible(fcode, d))
			continue;
		/* If the next header is in view, its protocol id must be 0. */
		if (i + 6 + len + 4 <= n) {
			struct rd nx = rd_init(p + i + 6 + len, 4);

			rd_skip(&nx, 2);
			if (rd_be16(&nx) != 0)
				continue;
		}
		return (long)i;
	}
	*keep_from = i;
	return -1;
}

/* ------------------------------------------------------------------------
 * Dissector callbacks
 * --------------------------------------------------------------------- */

/*
 * By content: protocol id 0, length 2..254, a function code that can come
 * this way.  The port only orders the probes.
 */
static enum probe_result modbus_probe(const uint8_t *p, size_t n, enum dir d,
    uint16_t sport, uint16_t dport)
{
	struct rd r = rd_init(p, n);
	size_t have = n < 8 ? n : 8;
	uint8_t b[8] = { 0 };

	(void)sport;
	(void)dport;
	rd_copy(&r, b, have);	/* tid(2) proto(2) len(2) unit fc */
	if ((have > 2 && b[2]) || (have > 3 && b[3]))
		return PROBE_NO;			/* protocol id */
	if ((have > 4 && b[4]) ||
	    (have > 5 && (b[5] < MODBUS_LEN_MIN || b[5] > MODBUS_LEN_MAX)))
		return PROBE_NO;			/* length */
	if (have < 8)
		return PROBE_MORE;
	return fc_plausible(b[7], d) ? PROBE_YES : PROBE_NO;
}

static void modbus_init(void *state)
{
	memset(state, 0, sizeof(struct modbus_state));
}

/*
 * Consumes whole ADUs from p[0..n) and leaves a partial one for the flow
 * layer to pass again.  A framing error raises an anomaly: an ADU with a
 * bad protocol id (or an oversized length up to MODBUS_LEN_SANE) is skipped
 * by its length; a length that cannot be trusted sends the direction into
 * resync, as after gap(): the next plausible MBAP header is searched for.
 * After MODBUS_MAX_STRIKES framing errors with no good ADU between them the
 * flow is given up: FEED_MALFORMED.
 */
static struct feed_result modbus_feed(void *state, struct flow_ctx *fc,
    enum dir d, const uint8_t *p, size_t n)
{
	struct modbus_state *st = state;
	uint8_t resync = d == DIR_TO_SERVER ? MODBUS_RESYNC_REQ :
	    MODBUS_RESYNC_RESP;
	struct feed_result res = { FEED_OK, 0 };
	size_t off = 0;

	pend_expire(st, fc);
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	while (off < n) {
		struct rd r = rd_init(p + off, n - off);
		uint16_t tid, proto, len;
		uint8_t unit, fcode;
		const uint8_t *pdu;

		if (st->strikes >= MODBUS_MAX_STRIKES) {
			res.status = FEED_MALFORMED;
			res.consumed = (uint32_t)off;
			return res;
		}
		if (st->flags & resync) {
			size_t keep = 0;
			long at = resync_scan(p + off, n - off, d, &keep);

			if (at < 0) {
				off += keep;
				break;
			}
			off += (size_t)at;
			st->flags &= (uint8_t)~resync;
			continue;
		}
		tid = rd_be16(&r);
		proto = rd_be16(&r);
		len = rd_be16(&r);
		unit = rd_u8(&r);
		if (r.short_read)
			break;
		if (len < MODBUS_LEN_MIN || len > MODBUS_LEN_SANE) {
			flow_anomaly(fc, d, ANOM_APP_MALFORMED, "modbus",
			    "modbus.bad_length length=%u (2..254)", len);
			st->strikes++;
			st->flags |= resync;
			continue;
		}
		fcode = rd_u8(&r);
		pdu = rd_ptr(&r, len - 2u);
		if (r.short_read)
			break;		/* wait for the whole ADU */
		off += 6u + len;
		if (proto != 0) {
			flow_anomaly(fc, d, ANOM_APP_MALFORMED, "modbus",
			    "modbus.bad_protocol_id protocol_id=%u", proto);
			st->strikes++;
			continue;
		}
		/* UMAS is known to negotiate frames past the Modbus limit. */
		if (len > MODBUS_LEN_MAX && (fcode & 0x7F) != MODBUS_FC_UMAS) {
			flow_anomaly(fc, d, ANOM_APP_MALFORMED, "modbus",
			    "modbus.bad_length length=%u (2..254)", len);
			st->strikes++;
			continue;
		}
		st->strikes = 0;
		if (d == DIR_TO_SERVER)
			on_request(st, fc, tid, unit, fcode, pdu, len - 2u);
		else
			on_response(st, fc, tid, unit, fcode, pdu, len - 2u);
	}
	res.consumed = (uint32_t)off;
	if (st->strikes >= MODBUS_MAX_STRIKES)
		res.status = FEED_MALFORMED;
	else if (off < n)
		res.status = FEED_NEED_MORE;
	return res;
}

/* Bytes were lost in direction d: find the next ADU by content. */
static void modbus_gap(void *state, struct flow_ctx *fc, enum dir d,
    uint32_t len)
{
	struct modbus_state *st = state;

	(void)fc;
	(void)len;
	st->flags |= d == DIR_TO_SERVER ? MODBUS_RESYNC_REQ : MODBUS_RESYNC_RESP;
}

static void modbus_eof(void *state, struct flow_ctx *fc, enum dir d)
{
	(void)d;
	pend_expire(state, fc);
}

/* Flushes every outstanding request as unmatched. */
static void modbus_close(void *state, struct flow_ctx *fc)
{
	struct modbus_state *st = state;

	while (st->npend)
		pend_flush(st, fc, 0, false);
}

static void modbus_tick(void *state, struct flow_ctx *fc)
{
	pend_expire(state, fc);
}

const struct dissector modbus_dissector = {
	.name = "modbus",
	.ipproto = IPPROTO_TCP,
	.hint_port = MODBUS_PORT,
	.state_size = sizeof(struct modbus_state),
	.probe = modbus_probe,
	.init = modbus_init,
	.feed = modbus_feed,
	.gap = modbus_gap,
	.eof = modbus_eof,
	.close = modbus_close,
	.tick = modbus_tick,
};

_Static_assert(sizeof(struct modbus_state) <= APP_STATE_MAX,
    "modbus state over budget");
