/*
 * dnp3_int.h - what the two halves of the DNP3 dissector share.
 *
 * dissectors/dnp3.c rebuilds application fragments (link, transport) and
 * pairs requests with responses; dissectors/dnp3_decode.c decodes the object
 * headers and points of one fragment.  dnp3.c calls dnp3_msg_decode(), and
 * the decoder raises anomalies through dnp3_anom() so that the per-flow
 * budget in dnp3.c holds.  Only those two files include this header; the
 * rest of the program sees the dissector through dnp3_dissector alone.
 */
#ifndef SPANLOG_DNP3_INT_H
#define SPANLOG_DNP3_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dissector.h"

/* Application function codes we act on (IEEE 1815-2012 table 4-1). */
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

/* Link addresses of the frame that finished a fragment. */
struct dnp3_link {
	uint16_t src, dst;
	uint8_t ctrl;
};

struct dnp3_state;		/* per-flow state; only dnp3.c looks inside */

/*
 * Raises an anomaly for this flow with layer "dnp3", up to
 * DNP3_ANOM_BUDGET per flow (every one is counted in st->anomalies).
 * 'fmt' must start with the stable "dnp3.<what>" prefix.  In dnp3.c.
 */
void dnp3_anom(struct dnp3_state *st, struct flow_ctx *fc, enum dir d,
    enum anomaly_code code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Decodes one application fragment (borrows p, n >= 2, n >= 4 for a
 * response) into m, its points and controls into ev.  Anomalies go to
 * direction d.  Never fails: what could not be decoded is flagged in m.
 * In dnp3_decode.c.
 */
void dnp3_msg_decode(struct dnp3_state *st, struct flow_ctx *fc,
    enum dir d, struct ev_dnp3 *ev, struct dnp3_msg *m, const uint8_t *p,
    size_t n, const struct dnp3_link *lk, uint64_t ts);

#endif
