/*
 * ev_alert.h - the alert event (included by event.h after struct ev_hdr).
 *
 * Raised by ot/alerts.c (engineering activity, zone policy) and ot/assets.c
 * (firmware change), serialized by sensor/output_json_alert.c.  The header
 * is that of the event that first raised the alert (its flow, addresses,
 * time).  The same condition repeating is one alert with a growing count:
 * 'alert_id' stays the same across its updates (see ot/alerts.h).
 *
 * Strings are copied into the fixed arrays below; 'signature', 'category'
 * and 'protocol' point at static storage (rule tables).
 */
#ifndef SPANLOG_EV_ALERT_H
#define SPANLOG_EV_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#define EV_ALERT_MESSAGE 384
#define EV_ALERT_DETAIL 128
#define EV_ALERT_VENDOR 48
#define EV_ALERT_ZONE 32

/* One end of the alert, as the message names it. */
struct ev_alert_side {
	uint8_t family;			/* 4 or 6; 0 = none */
	uint8_t ip[16];
	char vendor[EV_ALERT_VENDOR];	/* MAC vendor (IEEE OUI), or "" */
	char zone[EV_ALERT_ZONE];	/* zone name, or "" */
};

struct ev_alert {
	struct ev_hdr h;
	uint64_t alert_id;		/* same for every update of one alert */
	const char *signature;		/* "ot.eng.dnp3_cold_restart" */
	const char *category;		/* "restart", "policy", "asset", ... */
	uint8_t severity;		/* 1 low .. 3 high */
	char message[EV_ALERT_MESSAGE];	/* one sentence */
	/* evidence */
	const char *protocol;		/* "modbus", "dnp3", nDPI name, "tcp" */
	bool has_function;
	uint16_t function;		/* Modbus / DNP3 function code */
	bool has_subfunction;
	int32_t subfunction;		/* FC 8 sub, MEI type, UMAS code, group */
	bool has_unit;
	uint16_t unit;			/* Modbus unit id / DNP3 outstation */
	char detail[EV_ALERT_DETAIL];	/* what exactly: "UMAS 0x41", "tcp/502" */
	struct ev_alert_side src, dst;
	/* aggregation */
	uint64_t first_us, last_us;	/* capture times of first and last */
	uint64_t count;			/* occurrences so far */
	bool update;			/* a later report of an alert already out */
};

#endif
