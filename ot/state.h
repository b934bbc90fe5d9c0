/*
 * state.h - the state file: the asset inventory (ot/assets.c) and the
 * learned baseline (ot/baseline.c) in one text file, so a restart keeps
 * the mode, the learned edges and the devices.
 *
 * Format (one record per line, written by the modules themselves):
 *
 *   # comments
 *   spanlog-state 1
 *   baseline learn_start=... period=... last=... forced=0
 *   device ip=10.10.1.10 status=learned first=... last=...
 *   edge e=10.10.1.10>10.10.2.20:tcp/502 status=learned app=modbus ...
 *   fact e=10.10.1.10>10.10.2.20:tcp/502 kind=modbus_fc unit=1 code=3 ...
 *   asset mac=... ip=... (ot/assets.h)
 *   end lines=N
 *
 * Writing is atomic: a temporary file in the same directory, fsync, rename
 * over the old one, fsync of the directory.  Writers (the sensor, the
 * `spanlog baseline` commands) hold an flock on PATH.lock, and a save first
 * merges what an operator accepted in the file since (acceptance only ever
 * grows), so `spanlog baseline accept` works while the sensor runs: it
 * takes effect in the sensor at its next save.
 */
#ifndef SPANLOG_OT_STATE_H
#define SPANLOG_OT_STATE_H

#include <stddef.h>

#define STATE_LINE_MAX 65536

/*
 * Loads PATH into the (empty) inventory and baseline.  A missing file is
 * a first start: 0.  A damaged one: -1 with "PATH:LINE: message".
 */
int state_load(const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Saves (with the merge described above).  0, or -1 with a message. */
int state_save(const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Holds PATH.lock while 'fn' runs between a load and a save (the
 * `spanlog baseline accept` commands).  fn returns 0 to save, 1 to leave
 * the file unchanged, -1 on error (nothing saved).  Returns fn's result,
 * or -1 with a message.
 */
int state_edit(const char *path, int (*fn)(void *arg), void *arg, char *err,
    size_t errlen);

#endif
