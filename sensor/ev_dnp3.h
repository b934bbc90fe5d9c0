/*
 * ev_dnp3.h - DNP3 event structs (included by event.h after struct ev_hdr).
 *
 * One struct ev_dnp3 per request/response pair (request fields in 'req',
 * response fields in 'resp'), per unsolicited response, and per request or
 * response left without its partner (matched == false).  CONFIRMs make no
 * event; they are counted.
 *
 * Everything is fixed-size and copied: objects of a message live in
 * msg.objects[]; their points and controls live in the event-wide arrays
 * points[] and controls[], each object owning the slice
 * [point_first, point_first + point_count) (same for controls).  Strings
 * (g0 attributes, g70 file names, g110 octet strings) are NUL-terminated
 * copies inside strpool[], raw bytes as sent: the output layer escapes them.
 *
 * Caps: DNP3_EV_MAX_OBJECTS object headers per message, DNP3_EV_MAX_POINTS
 * points and DNP3_EV_MAX_CONTROLS controls per event.  Past a cap the
 * 'truncated' flag is set and an app.limit_reached anomaly is raised.
 *
 * The name functions return static strings, or NULL for an unknown code
 * (the output layer then writes "unknown-<n>").
 */
#ifndef SPANLOG_EV_DNP3_H
#define SPANLOG_EV_DNP3_H

#include <stdbool.h>
#include <stdint.h>

#define DNP3_EV_MAX_OBJECTS 64
#define DNP3_EV_MAX_POINTS 512
#define DNP3_EV_MAX_CONTROLS 64
#define DNP3_EV_STRPOOL 1024

/* Application control byte (IEEE 1815-2012 4.2.2.4). */
enum dnp3_ac_bits {
	DNP3_AC_FIR = 1 << 7,
	DNP3_AC_FIN = 1 << 6,
	DNP3_AC_CON = 1 << 5,
	DNP3_AC_UNS = 1 << 4,
	DNP3_AC_SEQ = 0x0f,
};

enum dnp3_value_kind {
	DNP3_VAL_NONE,		/* no value (e.g. flags-only, skipped object) */
	DNP3_VAL_BOOL,		/* ival 0/1 */
	DNP3_VAL_DBIT,		/* ival 0..3: INTERMEDIATE, OFF, ON, INDETERMINATE */
	DNP3_VAL_INT,		/* ival, signed */
	DNP3_VAL_UINT,		/* ival, never negative */
	DNP3_VAL_FLOAT,		/* fval */
	DNP3_VAL_TIME,		/* time_ms (has_time is set too) */
	DNP3_VAL_STR,		/* strpool[str_off], str_len bytes */
};

struct dnp3_point {
	uint32_t index;
	uint8_t kind;		/* enum dnp3_value_kind */
	uint8_t flags;		/* quality flags byte when has_flags */
	bool has_flags;
	bool has_time;
	bool time_relative;	/* 16-bit time with no CTO seen: ms offset only */
	uint16_t str_off, str_len;
	int64_t ival;
	double fval;
	uint64_t time_ms;	/* DNP3 absolute time: ms since 1970-01-01 UTC */
};

/*
 * A CROB (g12v1/v2) or an analog output block (g41).  For g41, 'code',
 * 'count', 'on_ms', 'off_ms' are 0 and the value is in ival or fval.
 */
struct dnp3_control {
	uint32_t index;
	uint8_t group, variation;
	uint8_t code;		/* CROB control code: op (bits 0-3), queue,
				 * clear, trip/close (bits 6-7) */
	uint8_t count;
	uint32_t on_ms, off_ms;
	uint8_t status;		/* see dnp3_control_status_name */
	bool is_analog;
	bool is_float;		/* analog: value in fval, else ival */
	int64_t ival;
	double fval;
};

struct dnp3_object {
	uint8_t group, variation;
	uint8_t qualifier;	/* raw byte */
	uint8_t prefix_code;	/* (qualifier >> 4) & 7 */
	uint8_t range_code;	/* qualifier & 0x0f */
	bool has_range;		/* start/stop valid (range codes 0-5) */
	bool has_data;		/* false: header only (READ, g60, all points) */
	uint32_t start, stop;
	uint32_t count;		/* points this header covers (0 for "all") */
	uint16_t point_first, point_count;
	uint16_t control_first, control_count;
};

/* One application fragment, request or response side. */
struct dnp3_msg {
	bool present;
	uint8_t func;		/* function code; see dnp3_func_name */
	uint8_t ac;		/* application control, DNP3_AC_* */
	uint8_t seq;		/* ac & DNP3_AC_SEQ */
	bool fir, fin, con, uns;
	bool has_iin;		/* responses only */
	uint16_t iin;		/* IIN1 << 8 | IIN2 (as tshark shows it) */
	uint16_t link_src, link_dst;	/* link-layer addresses */
	uint8_t link_ctrl;		/* link control byte of the last frame */
	uint16_t frag_len;	/* application fragment length in bytes */
	uint64_t ts_us;		/* capture time of the last frame */
	bool truncated;		/* a cap was hit while decoding */
	bool unparsed;		/* unknown group/variation: rest not decoded */
	bool malformed;		/* bad range/count/length: rest not decoded */
	uint16_t objects_seen;	/* headers decoded, including past the cap */
	uint16_t nobjects;
	struct dnp3_object objects[DNP3_EV_MAX_OBJECTS];
};

struct ev_dnp3 {
	struct ev_hdr h;	/* ts/dir: the request's when there is one */
	bool matched;		/* request and response both present */
	bool unsolicited;	/* FC 130 */
	bool continuation;	/* response fragment with FIR=0 (part 2..n) */
	bool truncated;		/* any cap hit (points, controls, strings) */
	uint64_t rtt_us;	/* response ts - request ts when matched */
	uint32_t bad_crc_total;	/* flow totals so far, for the log */
	uint32_t confirms_total;
	struct dnp3_msg req;
	struct dnp3_msg resp;
	uint16_t npoints, ncontrols, strpool_len;
	struct dnp3_point points[DNP3_EV_MAX_POINTS];
	struct dnp3_control controls[DNP3_EV_MAX_CONTROLS];
	char strpool[DNP3_EV_STRPOOL];
};

/* "READ", "COLD_RESTART", "RESPONSE", ... (IEEE 1815 / Zeek names). */
const char *dnp3_func_name(uint8_t fc);

/*
 * Name of bit 'bit' (0..15) of the 16-bit iin field (IIN1 << 8 | IIN2):
 * bit 15 is "DEVICE_RESTART" (IIN1.7), bit 0 "NO_FUNC_CODE_SUPPORT" (IIN2.0).
 */
const char *dnp3_iin_name(unsigned bit);

/* CROB operation type, code bits 0-3: "NUL", "PULSE_ON", "LATCH_OFF", ... */
const char *dnp3_control_op_name(uint8_t code);

/* CROB trip/close field, code bits 6-7: NULL for NUL, "CLOSE", "TRIP". */
const char *dnp3_control_tcc_name(uint8_t code);

/* Control status (IEEE 1815 table 11-8): "SUCCESS", "NO_SELECT", ... */
const char *dnp3_control_status_name(uint8_t status);

/* Object group: "binary_input", "analog_output", "time_and_date", ... */
const char *dnp3_group_name(uint8_t group);

/* Link-layer function (ctrl bits 0-3) for a primary (PRM=1) or secondary frame. */
const char *dnp3_link_func_name(uint8_t ctrl);

/* Device-attribute variation (g0vN): "device_manufacturers_name", ... */
const char *dnp3_attr_name(uint8_t variation);

#endif
