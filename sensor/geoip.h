/*
 * geoip.h - GeoIP country/city and ASN enrichment (libmaxminddb).
 *
 * The output layer opens the databases once at startup (out_init) and
 * looks up both addresses of every event that has them.  Databases are
 * memory-mapped (MMDB_MODE_MMAP) and only read after geoip_open(), so
 * geoip_lookup() may be called from any number of threads at once;
 * geoip_open() and geoip_close() must not run while lookups do.
 */
#ifndef SPANLOG_GEOIP_H
#define SPANLOG_GEOIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/*
 * Opens a City or Country database ('city_or_country') and an ASN (or ISP)
 * database ('asn'); either may be NULL or "" to go without.  Whatever was
 * open before is closed first.  A missing, unreadable or corrupt file, or a
 * database of the wrong type, is an error: -1 with a message naming the
 * file in err, and nothing left open.  0 on success.
 */
int geoip_open(const char *city_or_country, const char *asn, char *err,
    size_t errlen) __attribute__((warn_unused_result));

/* True when at least one database is open. */
bool geoip_active(void);

/*
 * Fills *out for the address 'addr' (family 4: the first 4 bytes; family 6:
 * all 16, as in struct flow_key).  out->valid is false, and nothing is
 * looked up, for addresses that have no place on the Internet: private
 * (10/8, 172.16/12, 192.168/16), loopback, link-local, CGNAT 100.64/10,
 * multicast, unspecified, broadcast and reserved, documentation ranges,
 * ULA fc00::/7, fe80::/10; IPv4-mapped IPv6 addresses are judged and
 * looked up as IPv4.  A database error during the lookup leaves the fields
 * that could not be read empty.  Thread-safe; copies into *out.
 */
void geoip_lookup(int family, const uint8_t addr[16], struct ev_geo_side *out);

/* Unmaps the databases.  Safe to call when nothing is open. */
void geoip_close(void);

#endif
