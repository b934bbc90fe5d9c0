/*
 * dissector.h - the contract between the flow layer and a protocol parser.
 *
 * A dissector is one file exporting one 'const struct dissector', listed in
 * dissectors/registry.c.  The flow layer probes dissectors in order (the port
 * hint first), then feeds the chosen one reassembled bytes (TCP) or whole
 * datagrams (UDP).  Callbacks follow Zeek's analyzer interface: feed, gap,
 * eof, close.  A dissector keeps its state inline in the flow slot
 * (state_size <= APP_STATE_MAX) and allocates nothing per packet.
 *
 * feed() returns how much it consumed; the flow layer keeps the rest (up to
 * a cap) and passes it in again, prefixed to the next data.
 */
#ifndef SPANLOG_DISSECTOR_H
#define SPANLOG_DISSECTOR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../sensor/event.h"

#define APP_STATE_MAX 512

enum feed_status {
	FEED_OK,		/* consumed what it could; call again with more */
	FEED_NEED_MORE,		/* same, said explicitly: a partial unit is left */
	FEED_MALFORMED,		/* anomaly already raised; the flow stops feeding */
	FEED_NOT_MINE,		/* detach: fall back to a plain flow record */
};

struct feed_result {
	enum feed_status status;
	uint32_t consumed;	/* bytes the flow layer may now drop */
};

enum probe_result { PROBE_NO = 0, PROBE_YES = 1, PROBE_MORE = -1 };

struct flow;			/* opaque to dissectors */
struct config;

/* What a dissector may know about the flow it is fed. */
struct flow_ctx {
	struct flow *flow;
	uint64_t ts_us;			/* capture time of the current packet */
	const struct config *cfg;
};

struct dissector {
	const char *name;		/* also the "app_proto" value */
	uint8_t ipproto;		/* IPPROTO_TCP or IPPROTO_UDP (0: both) */
	uint16_t hint_port;		/* probe-order hint only, never a gate */
	uint16_t hint_port2;
	size_t state_size;		/* <= APP_STATE_MAX, checked at startup */
	/* 'p' holds the first bytes seen in direction 'd'. */
	enum probe_result (*probe)(const uint8_t *p, size_t n, enum dir d,
	    uint16_t sport, uint16_t dport);
	void (*init)(void *state);
	struct feed_result (*feed)(void *state, struct flow_ctx *fc, enum dir d,
	    const uint8_t *p, size_t n);
	void (*gap)(void *state, struct flow_ctx *fc, enum dir d, uint32_t len);
	void (*eof)(void *state, struct flow_ctx *fc, enum dir d);
	void (*close)(void *state, struct flow_ctx *fc); /* flush open transactions */
	/* Called with the flow's current time when a flow is idle; optional. */
	void (*tick)(void *state, struct flow_ctx *fc);
};

/* The one list of protocols, NULL-ended (dissectors/registry.c). */
extern const struct dissector *const dissectors[];

/*
 * Services the flow layer gives dissectors (flows/flow_table.c).
 *
 * flow_ev_init() fills an event header for this flow: oriented key, MACs,
 * flow_id, community_id, a fresh deterministic event_id, ts = fc->ts_us.
 */
void flow_ev_init(struct flow_ctx *fc, struct ev_hdr *h, enum ev_type type,
    enum dir d);

/* Emits an anomaly event for this flow (printf-style detail, copied). */
void flow_anomaly(struct flow_ctx *fc, enum dir d, enum anomaly_code code,
    const char *layer, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
