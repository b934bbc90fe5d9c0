/*
 * assets.h - the asset inventory (event_type "asset"): every device seen
 * on the local network, built from events (flow, Modbus, DNP3, HTTP, DNS,
 * SMTP), never from bytes.
 *
 * Every observation is recorded against its address, and against the MAC
 * it came with.  Which address belongs to which record is decided only
 * when records are written or asked for (assets.c, "Composition"), so the
 * inventory is a function of the SET of observations, whatever their
 * order or the number of workers:
 *   - a MAC seen with at most ASSETS_GATEWAY_IPS addresses is one device
 *     (keyed by MAC) with the union of its addresses' facts;
 *   - a MAC seen with more is a gateway: a record with the MAC, its
 *     vendor, role "gateway", first/last seen and NO address (a router's
 *     own address cannot be told from the ones it forwards for);
 *   - an address that belongs to no device (seen only behind gateways,
 *     or with no MAC) is a "routed" record keyed by IP, with its own
 *     facts.  An address seen with several device MACs goes to the one
 *     with the fewest addresses, then the lowest MAC.
 * Lists are sorted (the smallest values kept when full); first/last seen
 * are min/max; identity parts are those of the latest answer by capture
 * time.  Only addresses that are not public (zones_addr_is_public), or
 * that lie in a configured zone, are inventoried.  The server of a TCP
 * flow it never answered (a SYN to nobody: a scan, a device that is off)
 * is not a device seen: not added, its last seen not moved.
 *
 * Tables: ASSETS_MAX addresses and ASSETS_MAX MACs, fixed, shared by all
 * workers under one mutex; when full, more is dropped and counted
 * (assets_dropped()), and only then does order matter.  Addresses seen
 * with no MAC or behind a known gateway may fill three quarters of the
 * address table, so a scan through a router leaves room for local
 * devices.
 *
 * When records are written:
 *   - assets_flush() (end of capture) writes the inventory: one record per
 *     record whose MAC or addresses were seen since the last flush
 *     (reason "inventory"), in assets_list() order, so the output is the
 *     same whatever the number of workers (tests/run_tests.sh compares
 *     --workers 1 with --workers 2);
 *   - with assets_set_realtime(true) also a record when an address is
 *     first seen ("new") and when its identity changes ("identity").  Off
 *     by default, because which flow shows a device first, and so the
 *     content of those records, depends on how flows are spread over
 *     workers;
 *   - a changed revision always raises the alert
 *     ot.asset.firmware_changed at once (vendor/product:
 *     ot.asset.identity_changed), comparing with what is known when the
 *     answer arrives.
 *
 * Identity (id_vendor, id_product, id_revision; id_source says which
 * protocol gave the latest answer) belongs to the address that answered:
 *   - Modbus FC 43/14: VendorName, ProductCode (else ProductName),
 *     MajorMinorRevision;
 *   - DNP3 group 0, attribute set 0, in an outstation's response
 *     (IEEE 1815-2012 A.1): g0v252 manufacturer's name, g0v250 product
 *     name and model, g0v242 software version (the firmware; g0v243, the
 *     hardware version, is not used).
 * Answers are merged part by part: a part missing from one answer (one
 * attribute per READ is common in DNP3) keeps what was known; a part
 * given again takes the value of the answer with the later capture time
 * (equal times: the greater string), and only a known part that now
 * differs raises an alert.  A device with several addresses shows, part
 * by part, the latest answer of any of them.
 *
 * State file: assets_state_write() and assets_state_read() give ot/state.c
 * one line per MAC and one per address.  What is read back is known (no
 * "new" record when it shows up again) but is written at the next
 * assets_flush() only if it is seen again in this run.
 */
#ifndef SPANLOG_OT_ASSETS_H
#define SPANLOG_OT_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../sensor/event.h"

#define ASSETS_MAX 4096		/* addresses, and MACs, each */
#define ASSETS_GATEWAY_IPS EV_ASSET_MAX_IPS
/* Most records there can be (each address or MAC is in one record). */
#define ASSETS_LIST_MAX (2 * ASSETS_MAX)

/* Looks at one event (borrowed); emits asset/alert events via out_emit(). */
void assets_observe(const struct ev_hdr *ev);

/*
 * Emits the inventory: a record (reason "inventory") for every record
 * seen since the last flush, in assets_list() order.  Call ONCE at the
 * end of capture, after every worker has flushed its flows (after the
 * joins), from the thread that then calls out_shutdown(): the records
 * are composed from what was seen, and a flush while a worker still
 * emits would write a record that is not final.
 */
void assets_flush(void);

/* Also write "new" and "identity" records as they happen (default off). */
void assets_set_realtime(bool on);

/* Forgets every asset (tests; a later session: before loading state). */
void assets_reset(void);

/*
 * Observations lost since the last reset: a full table, a full list
 * (a value larger than every kept one), an address seen with more than
 * 4 MACs, an app name read back with the name pool full.
 */
uint64_t assets_dropped(void);

/*
 * MAC vendor of the device that holds address 'ip' (static string), or
 * NULL when unknown or when the address is a routed record.  Like the
 * two functions below, it answers from what has been seen so far.
 */
const char *assets_vendor(int family, const uint8_t ip[16]);

/* True if the device at 'ip' serves Modbus or DNP3 (an OT device). */
bool assets_is_ot_device(int family, const uint8_t ip[16]);

/*
 * Composes the record holding 'ip' (its device's, or its routed record)
 * into *out, as assets_list() would.  0, or -1 if the address is not
 * known (tests, and `spanlog assets`).
 */
int assets_get(int family, const uint8_t ip[16], struct ev_asset *out);

/*
 * State file lines: one per MAC, then one per address.
 *
 *   asset mac=00:80:f4:01:02:03 first=US last=US
 *   asset ip=10.10.2.20 [via=MAC[,MAC...]] first=US last=US
 *         [roles=modbus_server,...] [served=tcp/502/modbus,udp/20000,...]
 *         [units=1,2] [dnp3=10] [vendor_id=S product=S revision=S
 *         [id_source=modbus|dnp3] id_ts=US,US,US] [zone=S]
 *
 * Space-separated key=value tokens; first/last in microseconds since
 * 1970 UTC (a MAC's: frames with that MAC; an address's: every
 * observation of it); via: the MACs the address was seen with, in the
 * order they were linked; lists sorted; id_ts: capture times of the
 * answers that gave vendor, product and revision (0 = not given).
 * Strings (identity, zone, app names) are percent-encoded: '%', '=', ',',
 * '/' and every byte below 0x21 or above 0x7e as %XX, so a line holds no
 * space, newline or separator of ours.  Not stored: the MAC vendor
 * (looked up again from the OUI table), which record an address belongs
 * to (composed again from the links), the header.
 */

/*
 * Writes every MAC, then every address, to f (borrowed) as one line
 * "asset ...\n" each, in table order; no other lines.  0, or -1 when f
 * reports a write error.
 */
int assets_state_write(FILE *f) __attribute__((warn_unused_result));

/*
 * Reads one line written by assets_state_write() (borrowed; it starts with
 * "asset ", the trailing newline is optional) and puts it into the
 * tables: a mac line sets that MAC's first/last (made if new); an ip line
 * replaces everything known of that address, its links included (a MAC
 * named in via that has no line yet is made with the address's
 * first/last).  Nothing of the line is kept (app names are copied into a
 * small fixed pool; when it is full the name is dropped).  Keys this
 * version does not know are ignored; first, last and one of mac or ip are
 * mandatory.  What is read is known from now on but not dirty:
 * assets_flush() writes it only if it is seen again.
 *
 * Every byte is checked: -1 with a one-line message in err (errlen bytes,
 * naming the bad key) for a line that is not "asset ", a byte that is not
 * printable ASCII, a token that is not key=value, a key given twice, a
 * missing mandatory key, both mac and ip, a fact (via, roles, ...) on a
 * mac line, a bad MAC, address, number or %-escape, %00, a string longer
 * than its field, a list longer than its cap (4 via, 8 served, 8 units,
 * 4 dnp3) or with an item twice, an unknown role or id_source, first
 * after last, or a full table.  The tables are unchanged on -1.
 */
int assets_state_read(const char *line, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Composes up to 'max' records into out (max elements; ASSETS_LIST_MAX
 * holds them all), ordered by lowest address (numerically, IPv4 before
 * IPv6), records with no address (gateways, MACs whose addresses all
 * belong elsewhere) last by asset_id; lists sorted, reason "inventory",
 * ts = last seen.  Returns how many.
 */
size_t assets_list(struct ev_asset *out, size_t max);

/*
 * Prints the inventory to f as a fixed-width table for an OT engineer, one
 * record per line, in assets_list() order: addresses, MAC (or "(routed)"),
 * MAC vendor, zone, roles, ports served, Modbus units and DNP3 addresses,
 * first and last seen (ISO 8601 UTC), then identity vendor / product /
 * revision (and its source).  Cells too wide end in '~'; bytes that are
 * not printable ASCII are shown as '?'.  "no devices" when empty.
 */
void assets_print(FILE *f);

#endif
