/*
 * ev_modbus.h - the Modbus/TCP transaction event (included by event.h after
 * struct ev_hdr).
 *
 * One event per request/response pair, filled by dissectors/modbus.c and
 * serialized by sensor/output_json.c.  Raw codes only; the name functions at
 * the end (defined in dissectors/modbus.c, static tables) give the names.
 * Every value is copied into a fixed-size array; a 'truncated' bit says when
 * the wire carried more than was kept.  No pointers into packets.
 */
#ifndef SPANLOG_EV_MODBUS_H
#define SPANLOG_EV_MODBUS_H

#include <stdbool.h>
#include <stdint.h>

#define EV_MODBUS_MAX_REGS 256		/* a legal PDU carries at most 125 */
#define EV_MODBUS_MAX_BITS 2048		/* a legal PDU carries at most 2000 */
#define EV_MODBUS_MAX_BYTES (EV_MODBUS_MAX_BITS / 8)
#define EV_MODBUS_MAX_FILE_RECS 8	/* FC 20/21 sub-requests kept */
#define EV_MODBUS_FILE_REC_REGS 32	/* registers kept per file record */
#define EV_MODBUS_MAX_DEVID_OBJS 16	/* FC 43/14 objects kept */
#define EV_MODBUS_DEVID_STR 64		/* bytes kept per object, with NUL */

/* What a function does, from a static table keyed by function code. */
enum modbus_category {
	MODBUS_CAT_OTHER,
	MODBUS_CAT_READ,
	MODBUS_CAT_WRITE,
	MODBUS_CAT_DIAGNOSTIC,
	MODBUS_CAT_PROGRAM,
	MODBUS_CAT_IDENTIFICATION,
	MODBUS_CAT_USER_DEFINED,
	MODBUS_CAT__COUNT
};

/* How the values of one side are to be read. */
enum modbus_val_kind {
	MODBUS_VAL_NONE,
	MODBUS_VAL_REGS,	/* regs[0..count): 16-bit registers */
	MODBUS_VAL_BITS,	/* count bits in bytes[], LSB of bytes[0] first */
	MODBUS_VAL_BYTES,	/* bytes[0..count): opaque data, print as hex */
};

struct ev_modbus_values {
	uint8_t kind;		/* enum modbus_val_kind */
	bool has_start;		/* values[i] is at address start + i */
	bool truncated;		/* the wire carried more than count */
	uint16_t start;
	uint16_t count;		/* registers, bits or bytes kept */
	uint16_t regs[EV_MODBUS_MAX_REGS];
	uint8_t bytes[EV_MODBUS_MAX_BYTES];
};

/* Bit i of a MODBUS_VAL_BITS block (i < count). */
static inline bool ev_modbus_bit(const struct ev_modbus_values *v, unsigned i)
{
	return (v->bytes[i / 8] >> (i % 8)) & 1;
}

/* One FC 20/21 sub-request (reference type 6) and its record data. */
struct ev_modbus_file_rec {
	bool has_ref;		/* file/record/length known (from the request) */
	uint8_t ref_type;	/* 6 in every legal PDU */
	uint16_t file;		/* file number */
	uint16_t record;	/* record number */
	uint16_t length;	/* record length, in registers */
	uint16_t ndata;		/* registers kept in data[] */
	bool truncated;		/* the wire carried more registers */
	uint16_t data[EV_MODBUS_FILE_REC_REGS];
};

/* One FC 43/14 device identification object. */
struct ev_modbus_devid_obj {
	uint8_t id;		/* 0 vendor .. 6 user app name, 0x80+ extended */
	uint8_t len;		/* length on the wire */
	bool truncated;
	char value[EV_MODBUS_DEVID_STR]; /* printable ASCII, others as '.' */
};

/* FC 43 MEI 14: Read Device Identification. */
struct ev_modbus_devid {
	uint8_t read_code;	/* 1 basic, 2 regular, 3 extended, 4 one object */
	uint8_t object_id;	/* request: first object asked for */
	bool has_response;
	uint8_t conformity;	/* response: conformity level */
	uint8_t more_follows;	/* 0x00 or 0xFF */
	uint8_t next_object_id;
	uint8_t nobjects;	/* objects the response announced */
	uint8_t nobjs;		/* objects kept in objs[] */
	bool truncated;
	struct ev_modbus_devid_obj objs[EV_MODBUS_MAX_DEVID_OBJS];
};

/*
 * One Modbus transaction.  h.ts_us and h.dir are those of the request when
 * there is one, else those of the response.
 */
struct ev_modbus {
	struct ev_hdr h;
	uint16_t tid;			/* MBAP transaction identifier */
	uint8_t unit;			/* MBAP unit identifier */
	uint8_t fc;			/* function code, exception bit cleared */
	uint8_t category;		/* enum modbus_category */
	bool has_request;
	bool has_response;
	bool matched;			/* request and response paired */
	bool timed_out;			/* no response within the timeout */
	bool request_lost;		/* request bytes not kept: only address,
					   quantity (or FC 5/6 value) known */
	bool exception;			/* response had the 0x80 bit */
	uint8_t exception_code;
	uint64_t rtt_us;		/* response ts - request ts, if matched */

	bool has_address, has_quantity;
	uint16_t address;		/* FC 23: the read part */
	uint16_t quantity;

	bool has_write;			/* FC 23 write part */
	uint16_t write_address, write_quantity;

	bool has_masks;			/* FC 22 */
	uint16_t and_mask, or_mask;

	bool has_subfunction;		/* FC 8 (its data is in req/resp) */
	uint16_t subfunction;

	bool has_mei;			/* FC 43 */
	uint8_t mei_type;
	bool has_devid;			/* FC 43 MEI 14 */
	struct ev_modbus_devid devid;

	bool has_fifo;			/* FC 24: address is the FIFO pointer */
	uint16_t fifo_count;		/* values are in resp */

	uint8_t nfile_recs;		/* FC 20/21 */
	bool file_recs_truncated;
	struct ev_modbus_file_rec file_recs[EV_MODBUS_MAX_FILE_RECS];

	bool has_umas;			/* FC 90: Schneider UMAS */
	uint8_t umas_session;		/* pairing key byte */
	uint8_t umas_fc;		/* UMAS function code (request) */
	bool has_umas_status;
	uint8_t umas_status;		/* response: 0xFE ok, 0xFD error */

	/*
	 * Values.  Registers and coils map to addresses through start; FC 8,
	 * 11, 24 registers and FC 7, 12, 17, 90 and unknown data have none.
	 * FC 23: req = written registers, resp = read registers.
	 */
	struct ev_modbus_values req;
	struct ev_modbus_values resp;
};

/*
 * Names from static tables (dissectors/modbus.c).  Each returns a static
 * string, or NULL for a code it does not know (the caller prints
 * "unknown-<n>", as Zeek does).
 */
const char *modbus_func_name(uint8_t fc);	/* "READ_HOLDING_REGISTERS" */
const char *modbus_exception_name(uint8_t code); /* "ILLEGAL_DATA_ADDRESS" */
const char *modbus_umas_name(uint8_t code);	/* "READ_ID", "STOP_PLC" */
const char *modbus_diag_name(uint16_t sub);	/* FC 8: "FORCE_LISTEN_ONLY_MODE" */
const char *modbus_devid_obj_name(uint8_t id);	/* "vendor"; NULL: extended */
/* Never NULL: "read", "write", ..., "other". */
const char *modbus_category_name(uint8_t cat);
/* The category of a function code (exception bit ignored). */
enum modbus_category modbus_func_category(uint8_t fc);

#endif
