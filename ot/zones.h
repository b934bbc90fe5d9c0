/*
 * zones.h - network zones (named CIDR sets, some marked OT) and the
 * zone-to-zone conversations that are allowed.
 *
 * Read once at start from the YAML file named by the config key
 * ot.zones_file (deploy/zones.yaml is the sample), before any worker runs;
 * read-only afterwards, so lookups need no lock.  Tables are fixed-size
 * (ZONES_MAX zones, ZONES_CIDR_MAX CIDRs, ZONES_RULE_MAX rules).
 *
 * File format (errors are "FILE:LINE: path: message"):
 *
 *   zones:
 *     - name: control              # [A-Za-z0-9_.-], at most 31 bytes
 *       ot: true                   # optional, default false
 *       cidrs: [10.0.1.0/24, "fd00:1::/64"]
 *   allow:                         # optional
 *     - from: scada                # zone name or "any"
 *       to: control                # zone name or "any"
 *       proto: tcp                 # tcp, udp, icmp or any (default any)
 *       port: 502                  # server port, 1..65535 (default any)
 */
#ifndef SPANLOG_OT_ZONES_H
#define SPANLOG_OT_ZONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZONES_MAX 32
#define ZONES_CIDR_MAX 256
#define ZONES_RULE_MAX 256
#define ZONES_NAME 32

#define ZONE_NONE (-1)		/* an address in no zone */

/*
 * Replaces the zone table with the contents of the file at 'path' (all or
 * nothing).  0, or -1 with "FILE:LINE: path: message" in err.
 */
int zones_load(const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Same from memory (tests); 'name' is used in messages. */
int zones_load_string(const char *yaml, size_t len, const char *name,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Forgets every zone and rule (no zones: no policy alerts). */
void zones_reset(void);

/* Number of zones loaded (0 = zones not configured). */
int zones_count(void);

/*
 * Zone of an address (family 4: first 4 bytes, as in struct flow_key),
 * by longest prefix; ZONE_NONE if in none.
 */
int zones_lookup(int family, const uint8_t ip[16]);

/* Name of zone z (static, "" for ZONE_NONE or out of range). */
const char *zones_name(int z);

/* True if zone z is marked ot: true. */
bool zones_is_ot(int z);

/*
 * True if a conversation from a client in zone 'from' to a server in zone
 * 'to' over IP protocol 'proto' to server port 'port' is allowed: same
 * zone, or some allow rule matches.
 */
bool zones_allowed(int from, int to, uint8_t proto, uint16_t port);

/*
 * True for a globally routable unicast address: not private (RFC 1918,
 * ULA), loopback, link-local, CGNAT, multicast, broadcast, documentation,
 * benchmarking or reserved.
 */
bool zones_addr_is_public(int family, const uint8_t ip[16]);

#endif
