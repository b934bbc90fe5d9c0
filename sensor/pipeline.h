/*
 * pipeline.h - runs the capture: threads, dispatch and the end-of-run flush.
 */
#ifndef SPANLOG_PIPELINE_H
#define SPANLOG_PIPELINE_H

#include <signal.h>
#include <stddef.h>

struct config;

/*
 * Reads cfg->read (offline) or captures cfg->iface (live) until the input
 * ends or *stop becomes non-zero, then flushes every flow and emits the
 * final stats event.  Live, with a state file, a non-zero *save_now (set
 * by SIGHUP) saves it at once, merging what operators accepted, instead
 * of at the next ot.state_save_min; it is cleared.  Returns 0, 1 (setup
 * failure) or 2 (input error: err names the file and byte offset); events
 * produced before an input error are all emitted.
 */
int pipeline_run(const struct config *cfg, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *save_now, char *err, size_t errlen);

#endif
