/*
 * device_log.h - the device log: what an OT device that keeps no log of its
 * own would have written, rebuilt from Modbus and DNP3 events.
 *
 * Works on events, never on bytes (see ot/device_log.c for the record
 * formats and the summary rules).  Output goes through out_emit() as
 * EV_DEVICE events (struct ev_device, sensor/ev_device.h).
 *
 * Threads: all state is per thread (a worker's flows always run on that
 * worker), so nothing here takes a lock.
 */
#ifndef SPANLOG_OT_DEVICE_LOG_H
#define SPANLOG_OT_DEVICE_LOG_H

#include "../sensor/event.h"

/*
 * Looks at one event (borrowed, not kept).  EV_MODBUS and EV_DNP3 requests
 * give zero or one device record each (reads are counted into a per-minute
 * summary instead); DNP3 responses whose IIN bits DEVICE_RESTART,
 * NEED_TIME, LOCAL_CONTROL, DEVICE_TROUBLE or CONFIG_CORRUPT changed give a
 * state record.  Any other event type is ignored at once.  Records are
 * emitted with out_emit() before this returns.
 */
void device_log_observe(const struct ev_hdr *ev);

/*
 * Emits every read summary still open in this thread and forgets them.
 * Call from each worker at the end of capture (before out_thread_release).
 */
void device_log_flush(void);

#endif
