/*
 * scan.h - reconnaissance: one plant host trying many hosts, or many
 * ports of one host, without a conversation (event_type "alert",
 * category "recon").  Always on, learning or not.
 *
 *   ot.scan.address_sweep  a source tried at least SCAN_HOSTS (config
 *                          ot.scan_hosts, default 16) distinct hosts in
 *                          one SCAN_WINDOW of capture time;
 *   ot.scan.port_scan      a source tried at least SCAN_PORTS (config
 *                          ot.scan_ports, default 16) distinct ports of
 *                          one host in one window.
 *
 * A try is a finished flow (its final record; never the interim one) that
 * carried no payload either way: TCP S0, REJ, a SYN answered and reset
 * (an open port found), UDP or ICMP never answered.  Only sources that
 * are plant addresses (not public) count, and a try on a conversation the
 * baseline learned or an operator accepted does not (a master retrying
 * RTUs that are down is not a sweep).
 *
 * Windows are fixed slices of capture time (SCAN_WINDOW, aligned to the
 * epoch), so what a window holds does not depend on the order events
 * arrive in, nor on the number of workers.  A window is judged once every
 * worker's capture time is past its end plus the hold (the longest flow
 * timeout for a try, set with scan_set_hold(), plus a minute), by then
 * its tries have all been reported.  One alert per (source, window)
 * that crossed a threshold, with the count of distinct hosts or ports (up
 * to SCAN_SET, shown as "at least"), first_seen the earliest try; a source
 * scanning window after window is reported at its first window and again
 * only after SCAN_REARM of quiet.
 *
 * Memory: fixed tables (SCAN_SOURCES (source, window) and SCAN_PAIRS
 * (source, host, window) entries); tries that find no room are counted in
 * scan_dropped() and ignored.  Threads: one lock; observe from any worker.
 */
#ifndef SPANLOG_OT_SCAN_H
#define SPANLOG_OT_SCAN_H

#include <stdint.h>

#include "../sensor/event.h"

#define SCAN_WINDOW (300ULL * 1000000)		/* 5 min */
#define SCAN_REARM (3600ULL * 1000000)		/* 1 h */
#define SCAN_HOSTS 16
#define SCAN_PORTS 16
#define SCAN_SET 64			/* distinct targets kept per entry */
#define SCAN_SOURCES 2048
#define SCAN_PAIRS 4096
#define SCAN_PEND 16

/* Thresholds (0 = that detector off); defaults SCAN_HOSTS, SCAN_PORTS. */
void scan_set_thresholds(unsigned hosts, unsigned ports);

/* The longest time a try can take to be reported (flow timeouts), us. */
void scan_set_hold(uint64_t us);

/* Forgets everything (tests). */
void scan_reset(void);

/* Looks at one event (borrowed); only final EV_FLOW records count. */
void scan_observe(const struct ev_hdr *ev);

/*
 * Every worker has reached capture time 'floor': judges the windows that
 * are complete and raises their alerts (out_emit) before it returns.
 */
void scan_tick(uint64_t floor);

/* End of a run (after the workers): judges every window left. */
void scan_finish(void);

/* Tries ignored because a table was full. */
uint64_t scan_dropped(void);

#endif
