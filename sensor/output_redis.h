/*
 * output_redis.h - the Redis streams sink (see output_redis.c for the
 * design: one publisher thread, bounded queue, disk spool, TLS).
 */
#ifndef SPANLOG_OUTPUT_REDIS_H
#define SPANLOG_OUTPUT_REDIS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct ev_stats;

/*
 * Parses cfg->redis_* (URL, password source, TLS files), opens the spool,
 * starts the publisher and registers the sink with out_add_sink().  Does not
 * wait for Redis: an unreachable server is retried in the background.
 * Returns 0, or -1 with a startup error (bad URL, unreadable password or
 * certificate file, spool directory) in err.
 */
int redis_out_open(const struct config *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Fills the redis_* counters of a stats event (all zero when no Redis sink
 * is open).  With 'final' set, first lets the publisher settle (bounded by
 * redis.drain_timeout_ms): the queue is published or spooled and room is
 * made in the spool for what follows, so the drop count in the final stats
 * is the number of events that will be missing.
 */
void redis_out_fill_stats(struct ev_stats *e, int final);

#endif
