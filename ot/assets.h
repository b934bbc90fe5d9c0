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
 *   - a changed revision always raises the alert
 *     ot.asset.firmware_changed at once (vendor/product:
 *     ot.asset.identity_changed).
 *
 * Identity (id_vendor, id_product, id_revision; id_source says which
 * protocol last set it) comes from a device's own answers:
 *   - Modbus FC 43/14: VendorName, ProductCode (else ProductName),
 *     MajorMinorRevision;
 *   - DNP3 group 0, attribute set 0, in an outstation's response
 *     (IEEE 1815-2012 A.1): g0v252 manufacturer's name, g0v250 product
 *     name and model, g0v242 software version (the firmware; g0v243, the
 *     hardware version, is not used).
 * Answers are merged: a part missing from one answer (one attribute per
 * READ is common in DNP3) keeps what was known, and only a known part
 * that now differs raises an alert.
 *
 * State file: assets_state_write() and assets_state_read() give ot/state.c
 * one line per device.  A device read back is known (no "new" record when
 * it shows up again) but is written at the next assets_flush() only if it
 * is seen again in this run.
 */
#ifndef SPANLOG_OT_ASSETS_H
#define SPANLOG_OT_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/*
 * State file lines.  One line per device:
 *
 *   asset [mac=00:80:f4:01:02:03] ip=10.10.2.20[,ADDR...] first=US last=US
 *         [roles=modbus_server,...] [served=tcp/502/modbus,udp/20000,...]
 *         [units=1,2] [dnp3=10] [vendor_id=S product=S revision=S
 *         [id_source=modbus|dnp3]] [zone=S]
 *
 * Space-separated key=value tokens; first/last in microseconds since
 * 1970 UTC; ip in table order (the first is the key of a device with no
 * mac, "routed").  Strings (identity, zone, app names) are percent-encoded:
 * '%', '=', ',', '/' and every byte below 0x21 or above 0x7e as %XX, so
 * a line holds no space, newline or separator of ours.  Not stored: the
 * MAC vendor (looked up again from the OUI table on reading), the record
 * reason and the header.  A device with no address is not written.
 */

/*
 * Writes every device to f (borrowed) as one line "asset ...\n", in table
 * order; no other lines.  0, or -1 when f reports a write error.
 */
int assets_state_write(FILE *f) __attribute__((warn_unused_result));

/*
 * Reads one line written by assets_state_write() (borrowed; it starts with
 * "asset ", the trailing newline is optional) and puts the device into the
 * table, replacing the device with the same key (MAC, else first ip).
 * Nothing of the line is kept (app names are copied into a small fixed
 * pool; when it is full the name is dropped).  Keys this version does not
 * know are ignored; ip, first and last are mandatory.  The device is known
 * from now on but not dirty: assets_flush() writes it only if it is seen
 * again.
 *
 * Every byte is checked: -1 with a one-line message in err (errlen bytes,
 * naming the bad key) for a line that is not "asset ", a byte that is not
 * printable ASCII, a token that is not key=value, a key given twice, a
 * missing mandatory key, a bad MAC, address, number or %-escape, %00, a
 * string longer than its field, a list longer than its cap (4 ip, 8
 * served, 8 units, 4 dnp3), an unknown role or id_source, first after
 * last, an address that already belongs to another device, or a full
 * table.  The table is unchanged on -1.
 */
int assets_state_read(const char *line, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Copies up to 'max' records into out (max elements), ordered by lowest
 * address (numerically, IPv4 before IPv6), lists sorted as in the
 * inventory, reason "inventory", ts = last seen.  Returns how many.
 */
size_t assets_list(struct ev_asset *out, size_t max);

/*
 * Prints the inventory to f as a fixed-width table for an OT engineer, one
 * device per line, in assets_list() order: addresses, MAC (or "(routed)"),
 * MAC vendor, zone, roles, ports served, Modbus units and DNP3 addresses,
 * first and last seen (ISO 8601 UTC), then identity vendor / product /
 * revision (and its source).  Cells too wide end in '~'; bytes that are
 * not printable ASCII are shown as '?'.  "no devices" when empty.
 */
void assets_print(FILE *f);

#endif
