/*
 * alerts.h - OT alerts (event_type "alert"): engineering activity (the
 * rule table in ot/eng_cmds.c), zone policy (ot/zones.h) and the alerts
 * other ot/ modules raise (ot/assets.c: firmware changes).
 *
 * Works on events, never on bytes.  Output goes through out_emit() as
 * EV_ALERT events (struct ev_alert, sensor/ev_alert.h).
 *
 * Aggregation: an alert is keyed by (signature, source address, destination
 * address, detail).  The first occurrence is emitted at once with count 1.
 * Repeats only count, except that an update (same alert_id, update: true,
 * the count so far) is emitted when a repeat comes at least the update
 * interval (config ot.alert_update_min, default 60 minutes of capture
 * time) after the last report; alerts_flush() emits a final update for
 * every alert whose count grew since it was last reported.  The table is
 * per thread and fixed (ALERTS_SLOTS); when a key's neighbourhood is full
 * the least recently seen alert there is reported (if it grew) and
 * replaced, so it may later appear again as a new alert.
 *
 * Threads: all aggregation state is per thread; zones are read-only.
 */
#ifndef SPANLOG_OT_ALERTS_H
#define SPANLOG_OT_ALERTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../sensor/event.h"

#define ALERTS_SLOTS 512		/* power of two */
#define ALERTS_PROBE 16
#define ALERTS_PAIR_SLOTS 256		/* FC 43/14 (client, device) pairs */
#define ALERTS_SELECT_SLOTS 128		/* DNP3 SELECTs remembered */
#define ALERTS_SELECT_WINDOW_US 30000000ULL	/* a SELECT counts for 30 s */
#define ALERTS_FLOW_CACHE 4096		/* flows already judged by policy */

/*
 * What raises an alert.  'message' is a template: "{src}" and "{dst}" are
 * replaced by the two devices as "IP (vendor, zone Z)".  'detail' is part
 * of the aggregation key.  Strings are copied; signature, category and
 * protocol must be static.
 */
struct alert_in {
	const char *signature;
	const char *category;
	uint8_t severity;
	const char *protocol;
	bool has_function;
	uint16_t function;
	bool has_subfunction;
	int32_t subfunction;
	bool has_unit;
	uint16_t unit;
	char detail[EV_ALERT_DETAIL];
	char message[EV_ALERT_MESSAGE];
	/* the two devices named; family 0 = take them from the event key */
	uint8_t family;
	uint8_t src[16], dst[16];
};

/* Update interval for repeated alerts, in microseconds of capture time. */
void alerts_set_interval(uint64_t us);

/*
 * Looks at one event (borrowed).  EV_MODBUS and EV_DNP3 requests are
 * classified with the rule table; EV_FLOW events are checked for remote
 * access into an OT zone (or to a known OT device); every event with a
 * flow (flow, Modbus, DNP3, HTTP, DNS, SMTP) is judged once per flow
 * against the zone policy, at its first event: the interim flow record
 * when there is one (struct ev_flow), so the final record is not judged
 * again.  A TCP try never answered or refused (S0, REJ) is not a
 * conversation: no zone or remote-access alert (ot/scan.c counts tries).  Other types are
 * ignored.  Alerts are emitted with out_emit() before this returns.
 */
void alerts_observe(const struct ev_hdr *ev);

/*
 * Raises (or counts) one alert caused by event 'src' (its header becomes
 * the alert's; its event_id seeds the alert's).  Emits with out_emit().
 */
void alerts_raise(const struct ev_hdr *src, const struct alert_in *in);

/*
 * Emits the final update of every alert of this thread that grew since
 * it was last reported, and forgets all per-thread state.  Call from each
 * worker at the end of capture (before out_thread_release).
 */
void alerts_flush(void);

#endif
