/*
 * dissect_stub.h - stand-ins for the flow and output layers, so a dissector
 * can be unit-tested on byte arrays without a flow table or an output.
 * Include it in exactly one test file; set stub_on_event to see events.
 * The test's own definitions win over libspanlog.a's (static linking pulls
 * an archive member only for symbols still undefined).
 */
#ifndef SPANLOG_DISSECT_STUB_H
#define SPANLOG_DISSECT_STUB_H

#include <stdio.h>
#include <string.h>

#include "../../dissectors/dissector.h"

static uint64_t stub_evseq;
static void (*stub_on_event)(const struct ev_hdr *ev);
static unsigned stub_anomalies[ANOM__COUNT];
static char stub_last_anomaly[256];

void flow_ev_init(struct flow_ctx *fc, struct ev_hdr *h, enum ev_type type,
    enum dir d)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->dir = d;
	h->ts_us = fc->ts_us;
	h->flow_id = 1;
	h->event_id = ++stub_evseq;
}

void flow_anomaly(struct flow_ctx *fc, enum dir d, enum anomaly_code code,
    const char *layer, const char *fmt, ...)
{
	va_list ap;

	(void)fc;
	(void)d;
	(void)layer;
	if ((unsigned)code < ANOM__COUNT)
		stub_anomalies[code]++;
	va_start(ap, fmt);
	vsnprintf(stub_last_anomaly, sizeof(stub_last_anomaly), fmt, ap);
	va_end(ap);
}

void out_emit(const struct ev_hdr *ev)
{
	if (stub_on_event)
		stub_on_event(ev);
}

static inline unsigned stub_anomaly_total(void)
{
	unsigned n = 0;

	for (int i = 0; i < ANOM__COUNT; i++)
		n += stub_anomalies[i];
	return n;
}

#endif
