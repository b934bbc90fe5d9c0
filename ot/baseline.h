/*
 * baseline.h - the learned baseline: who talks to whom, and how.
 *
 * Works on events (flow, Modbus, DNP3), never on bytes.  One table for the
 * whole sensor, shared by all workers under one mutex, because a baseline
 * is one list and is persisted as one (ot/state.c).
 *
 * What is learned:
 *   device   a local unicast address (not public, see zones.h) that sent a
 *            packet: a flow's client, or its server when it answered;
 *   edge     (client, server, IP protocol, server port), from flows the
 *            server answered (TCP) or any flow (UDP, ICMP), and from every
 *            Modbus/DNP3 transaction.  When the server is a public address
 *            the edge is (client, "public", protocol, port): one edge for
 *            all public servers, so browsing does not flood the table;
 *   function (edge, unit, function code) for Modbus, and (edge, outstation
 *            address, master address, function code) for DNP3 requests;
 *   writes   (edge, unit, table) ranges of Modbus addresses written (table:
 *            coils for FC 5/15, holding registers for FC 6/16/22/23), kept
 *            as at most BASELINE_RANGES merged intervals (when more, the
 *            two closest are merged, which widens what counts as known);
 *   polling  per Modbus/DNP3 edge: the times of the last request and the
 *            last answer, and the longest gap between two requests seen
 *            while learning, or, for an edge with fewer than
 *            BASELINE_MIN_GAPS gaps, also while enforcing, so an accepted
 *            edge becomes polled ("peak"; gaps over BASELINE_GAP_MAX, or
 *            across a capture gap, are not counted).  An edge with at least
 *            BASELINE_MIN_GAPS gaps measured and no gap over
 *            BASELINE_GAP_MAX is "polled".
 *
 * Mode: learning until capture time reaches learn_start + the learning
 * period (config ot.learning_hours, default 168 = 7 days; learn_start is
 * the time of the first packet of the first offline run, or live of the
 * first event, kept in the state file), then
 * enforcing.  The mode of an event is judged from its own timestamp, so it
 * does not depend on which worker sees it first.  `spanlog baseline
 * enforce` ends learning at once.
 *
 * Learning adds everything as "learned".  Enforcing adds what is new as
 * "new" and raises, through ot/alerts.c (category "baseline"):
 *   ot.baseline.new_device       a device not seen before (once; count 1),
 *                                reported a minute of capture time (every
 *                                worker's) after it was first seen, naming
 *                                the earliest peer of the events seen by
 *                                then (the lowest address at a tie), so
 *                                the alert does not depend on the order
 *                                workers report in;
 *   ot.baseline.new_edge         a new (client, server, proto, port); every
 *                                later event on it counts, until accepted
 *                                (with a public end: those with the public
 *                                address the first alert named);
 *   ot.baseline.new_function     a Modbus/DNP3 function code not used on a
 *                                known edge;
 *   ot.baseline.new_write_range  a write outside every range written on a
 *                                known (edge, unit, table) whose function
 *                                code is itself known;
 *   ot.baseline.device_silent    a polled edge's server sent no answer for
 *                                the silence threshold while its client
 *                                still asks;
 *   ot.baseline.polling_stopped  a polled edge's client sent no request for
 *                                the silence threshold.
 * New edges, functions and ranges found under a new edge raise no alerts
 * of their own; they are kept as "new" and accepted with it.  Silence
 * threshold: 3 x peak, at least BASELINE_SILENCE_MIN, at most
 * BASELINE_GAP_MAX; judged on capture-time ticks (baseline_tick) by the
 * worker the edge's packets are dispatched to (sensor/pipeline.c), so a
 * check never runs ahead of that edge's events.  A
 * silence is reported once; an answer (or request) re-arms it.  A capture
 * gap (no tick for BASELINE_CAPTURE_GAP) or a restart restarts every
 * silence clock.
 *
 * Operators accept: status "new" becomes "accepted", which counts as
 * learned (baseline_accept*, `spanlog baseline accept`).  Accepting an
 * edge accepts its functions and ranges; accepting all accepts devices too.
 *
 * Tables are fixed (BASELINE_DEVICES, BASELINE_EDGES, BASELINE_FACTS).  When
 * one is full nothing more is learned (counted in baseline_stats); an
 * unknown item in enforcing mode still alerts, aggregated by ot/alerts.c.
 */
#ifndef SPANLOG_OT_BASELINE_H
#define SPANLOG_OT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../sensor/event.h"

#define BASELINE_DEVICES 8192
#define BASELINE_EDGES 32768
#define BASELINE_FACTS 16384
#define BASELINE_RANGES 8
#define BASELINE_MIN_GAPS 20
#define BASELINE_GAP_MAX (3600ULL * 1000000)		/* 1 h */
#define BASELINE_SILENCE_MIN (60ULL * 1000000)		/* 1 min */
#define BASELINE_CAPTURE_GAP (600ULL * 1000000)		/* 10 min */
#define BASELINE_CHECK_US (10ULL * 1000000)		/* silence checks */
#define BASELINE_EDGE_TEXT 128

enum baseline_status {
	BASELINE_LEARNED = 1,
	BASELINE_ACCEPTED,
	BASELINE_NEW,
};

struct baseline_stats {
	bool enforcing;			/* at the newest capture time seen */
	bool forced;			/* `baseline enforce` */
	uint64_t learn_start_us, learn_end_us, last_us;
	uint64_t devices, edges, facts;	/* entries in use */
	uint64_t new_devices, new_edges, new_facts;	/* status new */
	uint64_t full_drops;		/* items not kept: a table was full */
};

/* Learning period in microseconds (default 7 days). */
void baseline_set_period(uint64_t us);

/* Forgets everything (tests; before loading a state file). */
void baseline_reset(void);

/*
 * Number of workers, and this thread's worker id: each worker checks the
 * edges whose packets the offline reader dispatches to it (by the hash of
 * the two addresses).  Default 1 and 0.
 */
void baseline_set_workers(int n);

/*
 * The time of the first packet of an offline run, before any event: the
 * learning period starts there (when no state file set it), not at the
 * first event a worker happens to report.
 */
void baseline_capture_start(uint64_t ts_us);
void baseline_thread_init(int worker);

/*
 * Looks at one event (borrowed): EV_FLOW, EV_MODBUS and EV_DNP3; other
 * types are ignored.  Learns or alerts (out_emit) before it returns.
 */
void baseline_observe(const struct ev_hdr *ev);

/*
 * Capture time moved on to now_us (call on every tick, from every worker):
 * notes capture gaps, and every BASELINE_CHECK_US checks this worker's
 * polled edges for silence.
 */
void baseline_tick(uint64_t now_us);

/*
 * End of a run (one thread, after the workers): a last silence check at
 * now_us for every edge, whoever owned it.
 */
void baseline_finish(uint64_t now_us);

void baseline_get_stats(struct baseline_stats *st);

/*
 * True when the conversation (client, server, proto, port; port 0 for
 * protocols without ports) is learned or accepted.  Plant addresses only
 * (an edge with a public end is not looked up).
 */
bool baseline_edge_known(int family, const uint8_t *client,
    const uint8_t *server, uint8_t proto, uint16_t port);

/*
 * The capture time every worker's ticks have reached (the lowest of
 * their last baseline_tick()), for detectors that judge complete windows.
 */
uint64_t baseline_tick_floor(void);

/* ---- operators (spanlog baseline ...) ----------------------------------- */

/*
 * Marks new items accepted.  'what' is an edge in the text form
 * "CLIENT>SERVER:PROTO/PORT" (SERVER may be "public"; IPv6 in brackets;
 * PROTO tcp, udp, icmp or a number; "/PORT" absent for protocols without
 * ports), which accepts the edge with its functions and ranges, or a
 * device address.  0, or -1 with a message (unknown, bad syntax).
 */
int baseline_accept(const char *what, char *err, size_t errlen);

/* Accepts every new device, edge, function and range; returns how many. */
size_t baseline_accept_all(void);

/* Ends learning now (sticky, persisted). */
void baseline_enforce(void);

/*
 * Prints the baseline for people: mode and learning window, then every
 * device, edge (with polling interval), function and range.  'only_new':
 * only what has status "new" (`baseline diff`).  Returns the number of
 * items printed.
 */
size_t baseline_print(FILE *f, bool only_new);

/* ---- state file (ot/state.c) ---------------------------------------------- */

/*
 * Writes the baseline as text lines ("baseline ...", "device ...",
 * "edge ...", "fact ...", "range ...").  0, or -1 on a write error.
 */
int baseline_state_write(FILE *f);

/*
 * Reads one such line.  'merge_accepted': only merge acceptance (items
 * "accepted" in the line and "new" in memory become accepted; the forced
 * flag is or-ed), for a sensor saving over a file an operator changed.
 * 0, or -1 with a one-line message.  Bounds-checked: the file may be
 * damaged.
 */
int baseline_state_read(const char *line, bool merge_accepted, char *err,
    size_t errlen);

/* True if the line's first word belongs to the baseline. */
bool baseline_state_owns(const char *line);

#endif
