/*
 * output.h - where events go.  out_emit() (declared in event.h) serializes
 * an event once and hands the line to every sink.  Sinks are pluggable
 * behind one small interface; this file's users are main.c and pipeline.c.
 *
 * Threads: out_emit() may be called from any worker.  Lines are batched in
 * a per-thread buffer and written under the sink's lock in large writes, so
 * workers share no lock per event.  A thread must call out_thread_flush()
 * before it exits (and periodically in live mode).
 */
#ifndef SPANLOG_OUTPUT_H
#define SPANLOG_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct config;

struct out_sink {
	const char *name;
	/* Takes a batch of complete lines (each ending in '\n'). Returns 0/-1. */
	int (*write)(void *ctx, const char *buf, size_t len);
	/* Per event, for sinks that need the struct (Redis stream names). */
	void (*event)(void *ctx, const struct ev_hdr *ev, const char *line,
	    size_t len);
	int (*flush)(void *ctx);
	void (*close)(void *ctx);
	void *ctx;
};

/* Opens the sinks the configuration asks for.  0, or -1 with err set. */
int out_init(const struct config *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Adds a sink (copied). At most 8. */
int out_add_sink(const struct out_sink *s);

/* A callback that sees every event struct before serialization (tests, ot/). */
void out_set_hook(void (*fn)(const struct ev_hdr *ev, void *arg), void *arg);

/* Writes this thread's batched lines to the sinks. */
void out_thread_flush(void);

/* Flushes and frees this thread's buffers (call before a worker exits). */
void out_thread_release(void);

/* Flushes and closes every sink.  Returns -1 if any write failed. */
int out_shutdown(void);

/* Lines written, and events lost to oversize/serialization/write failures. */
void out_get_counts(uint64_t *written, uint64_t *failed);

/* Events that went through out_emit(), per type (every sink sees them all). */
void out_get_type_counts(uint64_t counts[EV__COUNT]);

/* JSON serialization of one event (output_json.c). Returns length or 0. */
size_t json_event(const struct ev_hdr *ev, const char *sensor, char *buf,
    size_t cap);

struct jw;
/* The "dns" object of a DNS event (output_json_dns.c). */
void json_put_dns(struct jw *w, const struct ev_dns *e);
/* The "http" object of an HTTP event (output_json_http.c). */
void json_put_http(struct jw *w, const struct ev_http *e);
/* The "smtp" and "email" objects of an SMTP event (output_json_smtp.c). */
void json_put_smtp(struct jw *w, const struct ev_smtp *e);
/* The "modbus" object of a Modbus event (output_json_modbus.c). */
void json_put_modbus(struct jw *w, const struct ev_modbus *e);
/* The "dnp3" object of a DNP3 event (output_json_dnp3.c). */
void json_put_dnp3(struct jw *w, const struct ev_dnp3 *e);
/* The "device" object of a device-log event (output_json_device.c). */
void json_put_device(struct jw *w, const struct ev_device *e);
/* The "alert" object of an alert event (output_json_alert.c). */
void json_put_alert(struct jw *w, const struct ev_alert *e);
/* The "asset" object of an asset event (output_json_asset.c). */
void json_put_asset(struct jw *w, const struct ev_asset *e);

#endif
