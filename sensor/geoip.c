/*
 * geoip.c - GeoIP country/city and ASN lookups with libmaxminddb.
 *
 * Two optional databases: one that answers "country" (GeoIP2/GeoLite2 City
 * or Country, or Enterprise) and one that answers "autonomous_system_*"
 * (GeoLite2 ASN or GeoIP2 ISP).  Both are opened with MMDB_MODE_MMAP and
 * then only read: libmaxminddb lookups on an opened MMDB_s do not modify
 * it, so workers look up concurrently without a lock.
 *
 * Field paths follow the MaxMind GeoIP2 database layout (the source JSON
 * of MaxMind's own test databases): country.iso_code, city.names.en,
 * autonomous_system_number, autonomous_system_organization.
 *
 * Special-purpose addresses (RFC 6890 and its IPv6 counterparts) are never
 * looked up: a private or link-local address says nothing about where a
 * host is, and the test is cheaper than the lookup.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <maxminddb.h>

#include "geoip.h"

struct geoip_db {
	MMDB_s mmdb;
	bool open;
};

static struct geoip_db geo_city, geo_asn;

/* ------------------------------------------------------------------------
 * Opening
 * --------------------------------------------------------------------- */

static void db_close(struct geoip_db *db)
{
	if (db->open)
		MMDB_close(&db->mmdb);
	memset(db, 0, sizeof(*db));
}

/* Does the database type name contain one of the words? */
static bool type_has(const MMDB_s *m, const char *const *words)
{
	const char *t = m->metadata.database_type;

	if (!t)
		return false;
	for (; *words; words++)
		if (strstr(t, *words))
			return true;
	return false;
}

static int db_open(struct geoip_db *db, const char *path, const char *what,
    const char *const *types, char *err, size_t errlen)
{
	int st;

	errno = 0;
	st = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
	if (st != MMDB_SUCCESS) {
		if ((st == MMDB_FILE_OPEN_ERROR || st == MMDB_IO_ERROR) && errno)
			snprintf(err, errlen, "geoip %s database %s: %s: %s", what,
			    path, MMDB_strerror(st), strerror(errno));
		else
			snprintf(err, errlen, "geoip %s database %s: %s", what,
			    path, MMDB_strerror(st));
		memset(db, 0, sizeof(*db));
		return -1;
	}
	db->open = true;
	if (!type_has(&db->mmdb, types)) {
		snprintf(err, errlen, "geoip %s database %s: database type "
		    "'%s' is not a %s database", what, path,
		    db->mmdb.metadata.database_type ?
		    db->mmdb.metadata.database_type : "(none)", what);
		db_close(db);
		return -1;
	}
	return 0;
}

int geoip_open(const char *city_or_country, const char *asn, char *err,
    size_t errlen)
{
	static const char *const city_types[] = { "City", "Country",
		"Enterprise", NULL };
	static const char *const asn_types[] = { "ASN", "ISP", NULL };

	geoip_close();
	if (city_or_country && city_or_country[0] &&
	    db_open(&geo_city, city_or_country, "city/country", city_types,
	    err, errlen) != 0)
		return -1;
	if (asn && asn[0] &&
	    db_open(&geo_asn, asn, "ASN", asn_types, err, errlen) != 0) {
		geoip_close();
		return -1;
	}
	return 0;
}

bool geoip_active(void)
{
	return geo_city.open || geo_asn.open;
}

void geoip_close(void)
{
	db_close(&geo_city);
	db_close(&geo_asn);
}

/* ------------------------------------------------------------------------
 * Special-purpose addresses
 * --------------------------------------------------------------------- */

static bool v4_special(const uint8_t a[4])
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
	static const struct { uint32_t net, mask; } nets[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 },	/* 10/8 private */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10 CGNAT */
		{ 0x7f000000, 0xff000000 },	/* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16 link-local */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12 private */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24 IETF */
		{ 0xc0000200, 0xffffff00 },	/* 192.0.2/24 TEST-NET-1 */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16 private */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15 benchmarking */
		{ 0xc6336400, 0xffffff00 },	/* 198.51.100/24 TEST-NET-2 */
		{ 0xcb007100, 0xffffff00 },	/* 203.0.113/24 TEST-NET-3 */
		{ 0xe0000000, 0xf0000000 },	/* 224/4 multicast */
		{ 0xf0000000, 0xf0000000 },	/* 240/4 reserved, broadcast */
	};

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if ((x & nets[i].mask) == nets[i].net)
			return true;
	return false;
}

static bool v6_special(const uint8_t a[16])
{
	static const uint8_t doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	if ((a[0] & 0xfe) == 0xfc)		/* fc00::/7 ULA */
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)	/* fe80::/10 */
		return true;
	if (a[0] == 0xff)			/* ff00::/8 multicast */
		return true;
	if (memcmp(a, doc, 4) == 0)		/* 2001:db8::/32 documentation */
		return true;
	return false;
}

/* ------------------------------------------------------------------------
 * Lookups
 * --------------------------------------------------------------------- */

/* Copies at most cap-1 bytes of s[0..n), never cutting a UTF-8 sequence. */
static void copy_utf8(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* A string at path in entry e, copied; false when absent or unreadable. */
static bool get_str(MMDB_entry_s *e, char *dst, size_t cap, const char *k1,
    const char *k2, const char *k3)
{
	MMDB_entry_data_s d;
	int st = k3 ? MMDB_get_value(e, &d, k1, k2, k3, NULL) :
	    k2 ? MMDB_get_value(e, &d, k1, k2, NULL) :
	    MMDB_get_value(e, &d, k1, NULL);

	if (st != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || !d.utf8_string)
		return false;
	copy_utf8(dst, cap, d.utf8_string, d.data_size);
	return dst[0] != '\0';
}

static bool get_uint(MMDB_entry_s *e, uint32_t *out, const char *k1)
{
	MMDB_entry_data_s d;

	if (MMDB_get_value(e, &d, k1, NULL) != MMDB_SUCCESS || !d.has_data)
		return false;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		*out = d.uint16;
		return true;
	case MMDB_DATA_TYPE_UINT32:
		*out = d.uint32;
		return true;
	case MMDB_DATA_TYPE_UINT64:
		*out = d.uint64 > UINT32_MAX ? 0 : (uint32_t)d.uint64;
		return d.uint64 <= UINT32_MAX;
	default:
		return false;
	}
}

/* The entry for sa in db, or false (not found, or a database error). */
static bool db_find(struct geoip_db *db, const struct sockaddr *sa,
    MMDB_lookup_result_s *res)
{
	int st = MMDB_SUCCESS;

	if (!db->open)
		return false;
	*res = MMDB_lookup_sockaddr(&db->mmdb, sa, &st);
	return st == MMDB_SUCCESS && res->found_entry;
}

void geoip_lookup(int family, const uint8_t addr[16], struct ev_geo_side *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const struct sockaddr *sa;
	MMDB_lookup_result_s res;
	const uint8_t *v4 = NULL;

	memset(out, 0, sizeof(*out));
	if (!geoip_active() || !addr)
		return;
	if (family == 4) {
		v4 = addr;
	} else if (family == 6) {
		if (memcmp(addr, mapped, 12) == 0)
			v4 = addr + 12;
		else if (memcmp(addr, mapped, 10) == 0 &&
		    addr[10] == 0 && addr[11] == 0)
			return;		/* ::, ::1, IPv4-compatible (deprecated) */
		else if (v6_special(addr))
			return;
	} else {
		return;
	}
	if (v4) {
		if (v4_special(v4))
			return;
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, v4, 4);
		sa = (const struct sockaddr *)&s4;
	} else {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&s6;
	}
	if (db_find(&geo_city, sa, &res)) {
		if (get_str(&res.entry, out->country, sizeof(out->country),
		    "country", "iso_code", NULL) ||
		    get_str(&res.entry, out->country, sizeof(out->country),
		    "registered_country", "iso_code", NULL))
			out->valid = true;
		if (get_str(&res.entry, out->city, sizeof(out->city), "city",
		    "names", "en"))
			out->valid = true;
	}
	if (db_find(&geo_asn, sa, &res)) {
		if (get_uint(&res.entry, &out->asn, "autonomous_system_number"))
			out->valid = true;
		if (get_str(&res.entry, out->as_org, sizeof(out->as_org),
		    "autonomous_system_organization", NULL, NULL))
			out->valid = true;
	}
}
