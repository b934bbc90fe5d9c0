/*
 * ev_device.h - the device log event (included by event.h after struct
 * ev_hdr).
 *
 * One short record per request addressed to an OT device (Modbus server,
 * DNP3 outstation), written as the device itself would have logged it:
 * who (by), what (action, detail), with what result.  Built by
 * ot/device_log.c from ev_modbus / ev_dnp3 events, never from bytes, and
 * serialized by sensor/output_json_device.c.  Also used for DNP3 IIN state
 * changes (kind DEVICE_KIND_STATE) and per-minute read summaries
 * (kind DEVICE_KIND_SUMMARY, with count/first/last).
 *
 * All strings are copied into the fixed arrays below (NUL-terminated);
 * 'detail_truncated' says when the detail did not fit.
 */
#ifndef SPANLOG_EV_DEVICE_H
#define SPANLOG_EV_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#define EV_DEVICE_ACTION 48
#define EV_DEVICE_DETAIL 256
#define EV_DEVICE_RESULT 112

enum device_proto {
	DEVICE_PROTO_MODBUS,
	DEVICE_PROTO_DNP3,
};

enum device_kind {
	DEVICE_KIND_COMMAND,	/* one request (write, control, restart, ...) */
	DEVICE_KIND_SUMMARY,	/* reads of one minute, counted */
	DEVICE_KIND_STATE,	/* a DNP3 IIN bit turned on or off */
};

struct ev_device {
	struct ev_hdr h;		/* copied from the source event */
	uint8_t proto;			/* enum device_proto */
	uint8_t kind;			/* enum device_kind */
	uint8_t family;			/* 4 or 6, as in flow_key */
	uint8_t ip[16];			/* the device */
	uint16_t port;
	uint8_t by[16];			/* the client (master) that asked */
	bool has_by;			/* false for state records */
	bool has_unit;
	uint16_t unit;			/* Modbus unit id or DNP3 outstation address */
	bool has_master;
	uint16_t master;		/* DNP3 master link address */
	uint8_t func;			/* function code the record is about */
	bool detail_truncated;
	char action[EV_DEVICE_ACTION];	/* "write_registers", "cold_restart" */
	char detail[EV_DEVICE_DETAIL];	/* "holding 100..102 := [10, 20, 30]" */
	char result[EV_DEVICE_RESULT];	/* "ok", "exception 02 ...", "" */
	/* DEVICE_KIND_SUMMARY only */
	uint32_t count;			/* requests in the window */
	uint32_t failed;		/* of which exception / no response */
	uint64_t first_us, last_us;	/* capture times of the first and last */
};

#endif
