/*
 * assets.h - the asset inventory (event_type "asset"): every device seen
 * on the local network, built from events (flow, Modbus, DNP3, HTTP, DNS,
 * SMTP), never from bytes.
 *
 * A device is keyed by its MAC; when one MAC carries more than
 * ASSETS_GATEWAY_IPS addresses it is a router (role "gateway"), and the
 * addresses behind it become assets keyed by IP ("routed").  Only
 * addresses that are not public (zones_addr_is_public), or that lie in a
 * configured zone, become assets: the Internet is not inventoried.
 *
 * The table (ASSETS_MAX devices) is shared by all workers under one mutex:
 * an inventory is one list.  Each entry is a struct ev_asset, so the
 * table can be written to and read back from a state file later as it is.
 *
 * When records are written:
 *   - assets_flush() (end of capture) writes the inventory: one record per
 *     device seen since the last flush (reason "inventory"), its lists in
 *     a fixed order and first/last seen as min/max, so the output is the
 *     same whatever the number of workers (tests/run_tests.sh compares
 *     --workers 1 with --workers 2);
 *   - with assets_set_realtime(true) also a record when a device is first
 *     seen ("new") and when its identity changes ("identity").  Off by
 *     default, because which flow shows a device first, and so the
 *     content of those records, depends on how flows are spread over
 *     workers;
 *   - a changed Modbus FC 43/14 revision always raises the alert
 *     ot.asset.firmware_changed at once (vendor/product:
 *     ot.asset.identity_changed).
 */
#ifndef SPANLOG_OT_ASSETS_H
#define SPANLOG_OT_ASSETS_H

#include <stdbool.h>
#include <stdint.h>

#include "../sensor/event.h"

#define ASSETS_MAX 4096
#define ASSETS_GATEWAY_IPS EV_ASSET_MAX_IPS

/* Looks at one event (borrowed); emits asset/alert events via out_emit(). */
void assets_observe(const struct ev_hdr *ev);

/*
 * Emits the inventory: a record (reason "inventory") for every device seen
 * since the last flush.  Call ONCE at the end of capture, after every
 * worker has flushed its flows (after the joins), from the thread that
 * then calls out_shutdown(); a flush while a worker still emits would
 * split a device's record in two.
 */
void assets_flush(void);

/* Also write "new" and "identity" records as they happen (default off). */
void assets_set_realtime(bool on);

/* Forgets every asset (tests; a later session: before loading state). */
void assets_reset(void);

/*
 * MAC vendor of the device that holds address 'ip' (static string), or
 * NULL when unknown or when the address is only known behind a router.
 */
const char *assets_vendor(int family, const uint8_t ip[16]);

/* True if the device at 'ip' serves Modbus or DNP3 (an OT device). */
bool assets_is_ot_device(int family, const uint8_t ip[16]);

/*
 * Copies the record of the device holding 'ip' into *out.  0, or -1 if
 * there is none (tests, and the later `spanlog assets`).
 */
int assets_get(int family, const uint8_t ip[16], struct ev_asset *out);

#endif
