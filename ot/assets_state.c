/*
 * assets_state.c - the asset inventory's state-file lines
 * (assets_state_write/read), its sorted listing (assets_list) and the
 * table printed for an OT engineer (assets_print).  Format in assets.h;
 * the tables in assets_int.h.
 *
 * The state file holds the two tables as they are, not composed records:
 * one line per MAC, then one line per address naming the MACs it was
 * seen with ("via").  Composition (assets.c) then gives after a reload
 * exactly the records it gave before.
 *
 * Writing copies one entry at a time under the lock.  Reading parses a
 * line into a local struct, checks every byte, and takes the lock only
 * to put the result in, so a bad line leaves the tables as they were.
 * served[].app names read back are interned (assets_app_intern()).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assets_int.h"
#include "zones.h"

/* ------------------------------------------------------------------------
 * App names read back
 * --------------------------------------------------------------------- */



/* ------------------------------------------------------------------------
 * Writing
 * --------------------------------------------------------------------- */

/* A byte written as %XX: never a space, newline, '=' or a list separator. */
static bool st_escaped(unsigned char c)
{
	return c < 0x21 || c > 0x7e || c == '%' || c == '=' || c == ',' ||
	    c == '/';
}

/* Writes at most max bytes of s (stops at NUL), percent-encoded. */
static void st_put_str(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (st_escaped(c))
			fprintf(f, "%%%02X", c);
		else
			putc(c, f);
	}
}

static const char *st_proto_name(uint8_t proto, char *b, size_t n)
{
	if (proto == 6)
		return "tcp";
	if (proto == 17)
		return "udp";
	snprintf(b, n, "%u", proto);
	return b;
}

static void st_put_mac(FILE *f, const uint8_t *m)
{
	fprintf(f, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
	    m[4], m[5]);
}

static void st_put_mac_line(FILE *f, const struct asset_mac *m)
{
	fputs("asset mac=", f);
	st_put_mac(f, m->mac);
	fprintf(f, " first=%llu last=%llu\n", (unsigned long long)m->first_us,
	    (unsigned long long)m->last_us);
}

static void st_put_ip_line(FILE *f, const struct asset_ip *e,
    uint8_t via[ASSETS_IP_MACS][6])
{
	char b[INET6_ADDRSTRLEN];
	const char *sep;

	if (!inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->ip, b,
	    sizeof(b)))
		snprintf(b, sizeof(b), "0.0.0.0");
	fprintf(f, "asset ip=%s", b);
	for (unsigned i = 0; i < e->nmacs; i++) {
		fputs(i ? "," : " via=", f);
		st_put_mac(f, via[i]);
	}
	fprintf(f, " first=%llu last=%llu", (unsigned long long)e->first_us,
	    (unsigned long long)e->last_us);
	sep = " roles=";
	for (unsigned i = 0; i < ASSET_ROLE__COUNT; i++)
		if (e->roles & (1u << i)) {
			fprintf(f, "%s%s", sep, assets_role_names[i]);
			sep = ",";
		}
	for (unsigned i = 0; i < e->nserved; i++) {
		const struct ev_asset_served *s = &e->served[i];

		fprintf(f, "%s%s/%u", i ? "," : " served=",
		    st_proto_name(s->proto, b, sizeof(b)), s->port);
		if (s->app && s->app[0]) {
			putc('/', f);
			st_put_str(f, s->app, ASSETS_APP_LEN - 1);
		}
	}
	for (unsigned i = 0; i < e->nunits; i++)
		fprintf(f, "%s%u", i ? "," : " units=", e->units[i]);
	for (unsigned i = 0; i < e->ndnp3; i++)
		fprintf(f, "%s%u", i ? "," : " dnp3=", e->dnp3[i]);
	if (e->has_identity) {
		fputs(" vendor_id=", f);
		st_put_str(f, e->id[ASSET_PART_VENDOR].v, EV_ASSET_STR);
		fputs(" product=", f);
		st_put_str(f, e->id[ASSET_PART_PRODUCT].v, EV_ASSET_STR);
		fputs(" revision=", f);
		st_put_str(f, e->id[ASSET_PART_REVISION].v, EV_ASSET_STR);
		if (asset_id_source_name(e->id_source))
			fprintf(f, " id_source=%s",
			    asset_id_source_name(e->id_source));
		fprintf(f, " id_ts=%llu,%llu,%llu",
		    (unsigned long long)e->id[0].ts,
		    (unsigned long long)e->id[1].ts,
		    (unsigned long long)e->id[2].ts);
	}
	if (e->zone[0]) {
		fputs(" zone=", f);
		st_put_str(f, e->zone, sizeof(e->zone));
	}
	putc('\n', f);
}

int assets_state_write(FILE *f)
{
	struct asset_mac m;
	struct asset_ip e;
	uint8_t via[ASSETS_IP_MACS][6];

	for (int32_t i = 0;; i++) {
		bool found = false;

		pthread_mutex_lock(&assets_lock);
		if (i < assets_tab.nmac) {
			m = assets_tab.macs[i];
			found = true;
		}
		pthread_mutex_unlock(&assets_lock);
		if (!found)
			break;
		st_put_mac_line(f, &m);
	}
	for (int32_t i = 0;; i++) {
		bool found = false;

		pthread_mutex_lock(&assets_lock);
		if (i < assets_tab.nip) {
			e = assets_tab.ips[i];
			for (unsigned j = 0; j < e.nmacs; j++)
				memcpy(via[j], assets_tab.macs[e.mac[j]].mac, 6);
			found = true;
		}
		pthread_mutex_unlock(&assets_lock);
		if (!found)
			break;
		st_put_ip_line(f, &e, via);
	}
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Reading one line back
 * --------------------------------------------------------------------- */

struct st_parse {
	bool has_mac, has_ip;
	uint8_t mac[6];
	uint8_t nvia;
	uint8_t via[ASSETS_IP_MACS][6];
	struct asset_ip e;		/* facts of an ip line; nmacs unused */
	char app[EV_ASSET_MAX_SERVED][ASSETS_APP_LEN];	/* "" = none */
	char *err;
	size_t errlen;
};

static int st_fail(struct st_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int st_fail(struct st_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Shown in messages: at most 32 bytes of a (printable, checked) value. */
#define ST_SHOW(n) (int)((n) < 32 ? (n) : 32)

static int st_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes a percent-encoded value of n bytes into out (NUL-terminated,
 * outsz bytes with the NUL).  NULL, or why it is bad.
 */
static const char *st_unescape(const char *v, size_t n, char *out,
    size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = st_hex(v[i + 1])) < 0 ||
			    (lo = st_hex(v[i + 2])) < 0)
				return "bad %-escape";
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0)
				return "embedded NUL (%00)";
			i += 2;
		} else if (st_escaped(c)) {
			return "character that must be %-escaped";
		}
		if (o + 1 >= outsz)
			return "too long";
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return NULL;
}

/* Decimal 0..max, digits only. */
static int st_uint(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (v[i] < '0' || v[i] > '9')
			return -1;
		d = (unsigned)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

/* A walk over a list value; "" has no items, "a,,b" has an empty one. */
struct st_list {
	const char *pos, *end;
	bool done;
};

static void st_list_init(struct st_list *l, const char *v, size_t n)
{
	l->pos = v;
	l->end = v + n;
	l->done = n == 0;
}

/* The next item up to sep: true with *it and *itn set, false at the end. */
static bool st_list_next(struct st_list *l, char sep, const char **it,
    size_t *itn)
{
	const char *q;

	if (l->done)
		return false;
	q = memchr(l->pos, sep, (size_t)(l->end - l->pos));
	if (q == NULL) {
		q = l->end;
		l->done = true;
	}
	*it = l->pos;
	*itn = (size_t)(q - l->pos);
	l->pos = l->done ? l->end : q + 1;
	return true;
}

/* "aa:bb:cc:dd:ee:ff" (either case) into out; -1 if not that. */
static int st_mac_text(const char *v, size_t n, uint8_t out[6])
{
	if (n != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = st_hex(v[i * 3]), lo = st_hex(v[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v[i * 3 + 2] != ':'))
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int st_mac(struct st_parse *p, const char *v, size_t n)
{
	if (st_mac_text(v, n, p->mac) != 0)
		return st_fail(p, "mac: bad \"%.*s\" (want aa:bb:cc:dd:ee:ff)",
		    ST_SHOW(n), v);
	p->has_mac = true;
	return 0;
}

static int st_ip(struct st_parse *p, const char *v, size_t n)
{
	char b[INET6_ADDRSTRLEN];
	int fam;

	if (n == 0 || n >= sizeof(b))
		return st_fail(p, "ip: bad address \"%.*s\" (one address)",
		    ST_SHOW(n), v);
	memcpy(b, v, n);
	b[n] = '\0';
	fam = memchr(b, ':', n) ? 6 : 4;
	if (inet_pton(fam == 6 ? AF_INET6 : AF_INET, b, p->e.ip) != 1)
		return st_fail(p, "ip: bad address \"%s\" (one address)", b);
	p->e.family = (uint8_t)fam;
	p->has_ip = true;
	return 0;
}

static int st_via(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		uint8_t *m = p->via[p->nvia];

		if (p->nvia == ASSETS_IP_MACS)
			return st_fail(p, "via: more than %d MACs",
			    ASSETS_IP_MACS);
		if (st_mac_text(it, itn, m) != 0)
			return st_fail(p, "via: bad MAC \"%.*s\"", ST_SHOW(itn),
			    it);
		for (unsigned i = 0; i < p->nvia; i++)
			if (memcmp(p->via[i], m, 6) == 0)
				return st_fail(p, "via: %.*s twice",
				    ST_SHOW(itn), it);
		p->nvia++;
	}
	if (p->nvia == 0)
		return st_fail(p, "via: no MAC");
	return 0;
}

static int st_first(struct st_parse *p, const char *v, size_t n)
{
	if (st_uint(v, n, UINT64_MAX, &p->e.first_us) != 0)
		return st_fail(p, "first: bad \"%.*s\"", ST_SHOW(n), v);
	return 0;
}

static int st_last(struct st_parse *p, const char *v, size_t n)
{
	if (st_uint(v, n, UINT64_MAX, &p->e.last_us) != 0)
		return st_fail(p, "last: bad \"%.*s\"", ST_SHOW(n), v);
	return 0;
}

static int st_roles(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		unsigned i;

		for (i = 0; i < ASSET_ROLE__COUNT; i++)
			if (strlen(assets_role_names[i]) == itn &&
			    memcmp(assets_role_names[i], it, itn) == 0)
				break;
		if (i == ASSET_ROLE__COUNT)
			return st_fail(p, "roles: unknown role \"%.*s\"",
			    ST_SHOW(itn), it);
		p->e.roles |= 1u << i;
	}
	return 0;
}

/*
 * served: the app names are parsed into p->app[] by item position and
 * attached after sorting, when the line is committed.
 */
static int st_served(struct st_parse *p, const char *v, size_t n)
{
	struct asset_ip *e = &p->e;
	struct st_list l;
	const char *it;
	size_t itn;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		struct st_list parts;
		const char *part;
		size_t partn;
		struct ev_asset_served *s;
		uint64_t x;
		int k = 0;

		if (e->nserved == EV_ASSET_MAX_SERVED)
			return st_fail(p, "served: more than %d ports",
			    EV_ASSET_MAX_SERVED);
		s = &e->served[e->nserved];
		st_list_init(&parts, it, itn);
		while (st_list_next(&parts, '/', &part, &partn)) {
			const char *why;

			if (k == 0 && partn == 3 && !memcmp(part, "tcp", 3))
				s->proto = 6;
			else if (k == 0 && partn == 3 && !memcmp(part, "udp", 3))
				s->proto = 17;
			else if (k == 0 && st_uint(part, partn, 255, &x) == 0)
				s->proto = (uint8_t)x;
			else if (k == 1 && st_uint(part, partn, 65535, &x) == 0)
				s->port = (uint16_t)x;
			else if (k == 2 && partn > 0) {
				why = st_unescape(part, partn,
				    p->app[e->nserved], ASSETS_APP_LEN);
				if (why)
					return st_fail(p, "served: app \"%.*s\": "
					    "%s", ST_SHOW(partn), part, why);
			} else
				return st_fail(p, "served: bad \"%.*s\" (want "
				    "tcp/PORT[/APP])", ST_SHOW(itn), it);
			k++;
		}
		if (k < 2)
			return st_fail(p, "served: bad \"%.*s\" (want "
			    "tcp/PORT[/APP])", ST_SHOW(itn), it);
		for (unsigned i = 0; i < e->nserved; i++)
			if (e->served[i].proto == s->proto &&
			    e->served[i].port == s->port)
				return st_fail(p, "served: %.*s twice",
				    ST_SHOW(itn), it);
		e->nserved++;
	}
	return 0;
}

static int st_units(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;
	uint64_t x;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		if (p->e.nunits == EV_ASSET_MAX_UNITS)
			return st_fail(p, "units: more than %d",
			    EV_ASSET_MAX_UNITS);
		if (st_uint(it, itn, 255, &x) != 0)
			return st_fail(p, "units: bad unit \"%.*s\"",
			    ST_SHOW(itn), it);
		if (!assets_add_unit(&p->e, (uint8_t)x))
			return st_fail(p, "units: %u twice", (unsigned)x);
	}
	return 0;
}

static int st_dnp3(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;
	uint64_t x;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		if (p->e.ndnp3 == EV_ASSET_MAX_DNP3)
			return st_fail(p, "dnp3: more than %d addresses",
			    EV_ASSET_MAX_DNP3);
		if (st_uint(it, itn, 65535, &x) != 0)
			return st_fail(p, "dnp3: bad address \"%.*s\"",
			    ST_SHOW(itn), it);
		if (!assets_add_dnp3(&p->e, (uint16_t)x))
			return st_fail(p, "dnp3: %u twice", (unsigned)x);
	}
	return 0;
}

static int st_string(struct st_parse *p, const char *key, const char *v,
    size_t n, char *out, size_t outsz)
{
	const char *why = st_unescape(v, n, out, outsz);

	if (why)
		return st_fail(p, "%s: %s", key, why);
	return 0;
}

static int st_vendor(struct st_parse *p, const char *v, size_t n)
{
	p->e.has_identity = true;
	return st_string(p, "vendor_id", v, n, p->e.id[ASSET_PART_VENDOR].v,
	    EV_ASSET_STR);
}

static int st_product(struct st_parse *p, const char *v, size_t n)
{
	p->e.has_identity = true;
	return st_string(p, "product", v, n, p->e.id[ASSET_PART_PRODUCT].v,
	    EV_ASSET_STR);
}

static int st_revision(struct st_parse *p, const char *v, size_t n)
{
	p->e.has_identity = true;
	return st_string(p, "revision", v, n, p->e.id[ASSET_PART_REVISION].v,
	    EV_ASSET_STR);
}

static int st_id_source(struct st_parse *p, const char *v, size_t n)
{
	for (uint8_t i = 0; i < ASSET_ID__COUNT; i++) {
		const char *name = asset_id_source_name(i);

		if (name && strlen(name) == n && memcmp(name, v, n) == 0) {
			p->e.id_source = i;
			return 0;
		}
	}
	return st_fail(p, "id_source: unknown \"%.*s\"", ST_SHOW(n), v);
}

static int st_id_ts(struct st_parse *p, const char *v, size_t n)
{
	struct st_list l;
	const char *it;
	size_t itn;
	unsigned k = 0;
	uint64_t x;

	st_list_init(&l, v, n);
	while (st_list_next(&l, ',', &it, &itn)) {
		if (k == ASSET_PART__COUNT || st_uint(it, itn, UINT64_MAX,
		    &x) != 0)
			return st_fail(p, "id_ts: bad \"%.*s\" (want three "
			    "times)", ST_SHOW(n), v);
		p->e.id[k++].ts = x;
	}
	if (k != ASSET_PART__COUNT)
		return st_fail(p, "id_ts: bad \"%.*s\" (want three times)",
		    ST_SHOW(n), v);
	return 0;
}

static int st_zone(struct st_parse *p, const char *v, size_t n)
{
	return st_string(p, "zone", v, n, p->e.zone, sizeof(p->e.zone));
}

enum st_flags {
	ST_NEED = 1 << 0,	/* mandatory */
	ST_IP_ONLY = 1 << 1,	/* facts of an address: not on a mac line */
};

static const struct st_key {
	const char *name;
	int (*fn)(struct st_parse *p, const char *v, size_t n);
	unsigned flags;		/* enum st_flags */
} st_keys[] = {
	{ "mac", st_mac, 0 },
	{ "ip", st_ip, 0 },
	{ "via", st_via, ST_IP_ONLY },
	{ "first", st_first, ST_NEED },
	{ "last", st_last, ST_NEED },
	{ "roles", st_roles, ST_IP_ONLY },
	{ "served", st_served, ST_IP_ONLY },
	{ "units", st_units, ST_IP_ONLY },
	{ "dnp3", st_dnp3, ST_IP_ONLY },
	{ "vendor_id", st_vendor, ST_IP_ONLY },
	{ "product", st_product, ST_IP_ONLY },
	{ "revision", st_revision, ST_IP_ONLY },
	{ "id_source", st_id_source, ST_IP_ONLY },
	{ "id_ts", st_id_ts, ST_IP_ONLY },
	{ "zone", st_zone, ST_IP_ONLY },
};

#define ST_NKEYS (sizeof(st_keys) / sizeof(st_keys[0]))

/* Puts a parsed mac line into the table (takes the lock). */
static int st_commit_mac(struct st_parse *p)
{
	struct asset_mac *m;

	pthread_mutex_lock(&assets_lock);
	m = assets_mac_find(p->mac);
	if (m == NULL && assets_tab.nmac == ASSETS_MAX) {
		pthread_mutex_unlock(&assets_lock);
		return st_fail(p, "inventory full (%d MACs)", ASSETS_MAX);
	}
	if (m == NULL)
		m = assets_mac_new(p->mac, p->e.first_us);
	m->first_us = p->e.first_us;
	m->last_us = p->e.last_us;
	m->dirty = false;	/* known, but not seen in this run yet */
	pthread_mutex_unlock(&assets_lock);
	return 0;
}

/* Puts a parsed ip line into the table (takes the lock). */
static int st_commit_ip(struct st_parse *p)
{
	struct asset_ip *e;
	int need = 0;

	pthread_mutex_lock(&assets_lock);
	e = assets_ip_find(p->e.family, p->e.ip);
	for (unsigned i = 0; i < p->nvia; i++)
		need += assets_mac_find(p->via[i]) == NULL;
	if ((e == NULL && assets_tab.nip == ASSETS_MAX) ||
	    assets_tab.nmac + need > ASSETS_MAX) {
		pthread_mutex_unlock(&assets_lock);
		return st_fail(p, "inventory full (%d addresses, %d MACs)",
		    ASSETS_MAX, ASSETS_MAX);
	}
	if (e == NULL)
		e = assets_ip_new(p->e.family, p->e.ip, p->e.first_us);
	else
		assets_unlink_all(e);
	e->first_us = p->e.first_us;
	e->last_us = p->e.last_us;
	e->roles = p->e.roles;
	e->nserved = 0;
	for (unsigned i = 0; i < p->e.nserved; i++)
		(void)assets_add_served(e, p->e.served[i].proto,
		    p->e.served[i].port, p->app[i][0] ? assets_app_intern(p->app[i]) :
		    NULL);
	e->nunits = p->e.nunits;
	memcpy(e->units, p->e.units, sizeof(e->units));
	e->ndnp3 = p->e.ndnp3;
	memcpy(e->dnp3, p->e.dnp3, sizeof(e->dnp3));
	e->has_identity = p->e.has_identity;
	memcpy(e->id, p->e.id, sizeof(e->id));
	e->id_source = p->e.id_source;
	memcpy(e->zone, p->e.zone, sizeof(e->zone));
	e->dirty = false;	/* known, but not seen in this run yet */
	for (unsigned i = 0; i < p->nvia; i++) {
		struct asset_mac *m = assets_mac_find(p->via[i]);

		if (m == NULL) {
			/* no mac line (yet): its times are the address's */
			m = assets_mac_new(p->via[i], p->e.first_us);
			m->last_us = p->e.last_us;
		}
		assets_link(e, m);
	}
	pthread_mutex_unlock(&assets_lock);
	return 0;
}

int assets_state_read(const char *line, char *err, size_t errlen)
{
	struct st_parse p;
	size_t len = strlen(line);
	unsigned seen = 0;
	const char *pos, *end;

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (errlen)
		err[0] = '\0';
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len < 6 || memcmp(line, "asset ", 6) != 0)
		return st_fail(&p, "not an asset line");
	for (size_t i = 0; i < len; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			return st_fail(&p, "byte 0x%02x at column %zu (only "
			    "printable ASCII)", (unsigned char)line[i], i + 1);
	pos = line + 6;
	end = line + len;
	while (pos < end) {
		const char *tok = pos, *eq;
		size_t tokn, kn;
		unsigned k;

		while (pos < end && *pos != ' ')
			pos++;
		tokn = (size_t)(pos - tok);
		if (pos < end)
			pos++;
		if (tokn == 0)
			continue;
		eq = memchr(tok, '=', tokn);
		if (eq == NULL || eq == tok)
			return st_fail(&p, "token \"%.*s\" is not key=value",
			    ST_SHOW(tokn), tok);
		kn = (size_t)(eq - tok);
		for (k = 0; k < ST_NKEYS; k++)
			if (strlen(st_keys[k].name) == kn &&
			    memcmp(st_keys[k].name, tok, kn) == 0)
				break;
		if (k == ST_NKEYS)
			continue;	/* a later version's key */
		if (seen & (1u << k))
			return st_fail(&p, "%s: given twice", st_keys[k].name);
		seen |= 1u << k;
		if (st_keys[k].fn(&p, eq + 1, tokn - kn - 1) != 0)
			return -1;
	}
	if (p.has_mac && p.has_ip)
		return st_fail(&p, "mac: a line is a MAC (mac=) or an address "
		    "(ip=, with via=), not both");
	if (!p.has_mac && !p.has_ip)
		return st_fail(&p, "ip: missing (or mac)");
	for (unsigned k = 0; k < ST_NKEYS; k++) {
		if ((st_keys[k].flags & ST_NEED) && !(seen & (1u << k)))
			return st_fail(&p, "%s: missing", st_keys[k].name);
		if ((st_keys[k].flags & ST_IP_ONLY) && p.has_mac &&
		    (seen & (1u << k)))
			return st_fail(&p, "%s: not on a mac line",
			    st_keys[k].name);
	}
	if (p.e.first_us > p.e.last_us)
		return st_fail(&p, "first: after last");
	return p.has_mac ? st_commit_mac(&p) : st_commit_ip(&p);
}

/* ------------------------------------------------------------------------
 * Listing
 * --------------------------------------------------------------------- */

struct list_row {
	uint8_t k[18];		/* 0 if it has an address; family; lowest address */
	uint64_t id;
	int32_t row;
};

static struct list_row list_rows[2 * ASSETS_MAX];	/* lock held */

static int cmp_row(const void *x, const void *y)
{
	const struct list_row *a = x, *b = y;
	int c = memcmp(a->k, b->k, sizeof(a->k));

	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void row_key(uint8_t k[18], const struct asset_ip *e)
{
	k[0] = 0;
	k[1] = e->family;
	memcpy(k + 2, e->ip, 16);
}

size_t assets_sorted(int32_t *rows)
{
	size_t n = 0;
	int32_t nmac = assets_tab.nmac;

	for (int32_t i = 0; i < nmac; i++) {
		struct list_row *r = &list_rows[n++];

		memset(r->k, 0xff, sizeof(r->k));
		r->id = assets_mac_key(assets_tab.macs[i].mac) >> 1;
		r->row = i;
	}
	for (int32_t i = 0; i < assets_tab.nip; i++) {
		const struct asset_ip *e = &assets_tab.ips[i];
		int32_t mi = assets_owner(e);
		uint8_t k[18];

		row_key(k, e);
		if (mi >= 0) {
			if (memcmp(k, list_rows[mi].k, sizeof(k)) < 0)
				memcpy(list_rows[mi].k, k, sizeof(k));
			continue;
		}
		memcpy(list_rows[n].k, k, sizeof(k));
		list_rows[n].id = assets_ip_key(e->family, e->ip) >> 1;
		list_rows[n].row = -i - 1;
		n++;
	}
	qsort(list_rows, n, sizeof(list_rows[0]), cmp_row);
	for (size_t i = 0; i < n; i++)
		rows[i] = list_rows[i].row;
	return n;
}

/* The record of one row of assets_sorted() (lock held). */
static void list_compose(int32_t row, struct ev_asset *out)
{
	if (row >= 0)
		assets_compose_mac(row, out);
	else
		assets_compose_ip(&assets_tab.ips[-row - 1], out);
}

size_t assets_list(struct ev_asset *out, size_t max)
{
	static int32_t rows[2 * ASSETS_MAX];	/* lock held */
	size_t n;

	pthread_mutex_lock(&assets_lock);
	n = assets_sorted(rows);
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		list_compose(rows[i], &out[i]);
	pthread_mutex_unlock(&assets_lock);
	return n;
}

/* ------------------------------------------------------------------------
 * Printing
 * --------------------------------------------------------------------- */

/* Appends to a NUL-terminated buffer, truncating. */
static void pr_add(char *b, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pr_add(char *b, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(b, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(b + len, size - len, fmt, ap);
	va_end(ap);
}

/* One column: w characters (cut with '~'), non-printables as '?'. */
static void pr_col(FILE *f, const char *s, int w)
{
	int n = 0;
	bool cut = strnlen(s, (size_t)w + 1) > (size_t)w;

	for (; n < w && s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (cut && n == w - 1)
			c = '~';
		putc(c >= 0x20 && c < 0x7f ? c : '?', f);
	}
	fprintf(f, "%*s", w - n + 2, "");
}

/* Device-reported text (may hold anything): printable ASCII only. */
static void pr_text(FILE *f, const char *s, size_t max)
{
	if (!s[0]) {
		putc('-', f);
		return;
	}
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		putc(c >= 0x20 && c < 0x7f ? c : '?', f);
	}
}

static void pr_time(uint64_t us, char *b, size_t n)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(b, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(b, n, "-");
}

#define PR_W_IP 28
#define PR_W_MAC 17
#define PR_W_VENDOR 24
#define PR_W_ZONE 12
#define PR_W_ROLES 30
#define PR_W_SERVED 28
#define PR_W_ADDR 18
#define PR_W_TIME 20

static void pr_row(FILE *f, const struct ev_asset *a)
{
	char b[512], t[INET6_ADDRSTRLEN];

	b[0] = '\0';
	for (unsigned i = 0, n = a->nips < EV_ASSET_MAX_IPS ? a->nips :
	    EV_ASSET_MAX_IPS; i < n; i++) {
		if (!inet_ntop(a->ip_family[i] == 6 ? AF_INET6 : AF_INET,
		    a->ips[i], t, sizeof(t)))
			snprintf(t, sizeof(t), "?");
		/* what does not fit is counted: "10.0.0.1,10.0.0.2 +2" */
		if (i > 0 && strlen(b) + 1 + strlen(t) + (i + 1 < n ? 3 : 0) >
		    PR_W_IP) {
			pr_add(b, sizeof(b), " +%u", n - i);
			break;
		}
		pr_add(b, sizeof(b), "%s%s", i ? "," : "", t);
	}
	pr_col(f, b[0] ? b : "-", PR_W_IP);
	if (a->has_mac)
		snprintf(b, sizeof(b), "%02x:%02x:%02x:%02x:%02x:%02x",
		    a->mac[0], a->mac[1], a->mac[2], a->mac[3], a->mac[4],
		    a->mac[5]);
	else
		snprintf(b, sizeof(b), "(routed)");
	pr_col(f, b, PR_W_MAC);
	pr_col(f, a->vendor ? a->vendor : "-", PR_W_VENDOR);
	pr_col(f, a->zone[0] ? a->zone : "-", PR_W_ZONE);
	b[0] = '\0';
	for (unsigned i = 0; i < ASSET_ROLE__COUNT; i++)
		if (a->roles & (1u << i))
			pr_add(b, sizeof(b), "%s%s", b[0] ? "," : "",
			    assets_role_names[i]);
	pr_col(f, b[0] ? b : "-", PR_W_ROLES);
	b[0] = '\0';
	for (unsigned i = 0; i < a->nserved && i < EV_ASSET_MAX_SERVED; i++) {
		const struct ev_asset_served *s = &a->served[i];

		pr_add(b, sizeof(b), "%s%s/%u%s%s", b[0] ? "," : "",
		    st_proto_name(s->proto, t, sizeof(t)), s->port,
		    s->app ? " " : "", s->app ? s->app : "");
	}
	pr_col(f, b[0] ? b : "-", PR_W_SERVED);
	b[0] = '\0';
	for (unsigned i = 0; i < a->nunits && i < EV_ASSET_MAX_UNITS; i++)
		pr_add(b, sizeof(b), "%s%u", i ? "," : "unit ", a->units[i]);
	for (unsigned i = 0; i < a->ndnp3 && i < EV_ASSET_MAX_DNP3; i++)
		pr_add(b, sizeof(b), "%s%u", i ? "," : b[0] ? "; dnp3 " :
		    "dnp3 ", a->dnp3_addrs[i]);
	pr_col(f, b[0] ? b : "-", PR_W_ADDR);
	pr_time(a->first_us, b, sizeof(b));
	pr_col(f, b, PR_W_TIME);
	pr_time(a->last_us, b, sizeof(b));
	pr_col(f, b, PR_W_TIME);
	if (a->has_identity) {
		pr_text(f, a->id_vendor, sizeof(a->id_vendor));
		fputs(" / ", f);
		pr_text(f, a->id_product, sizeof(a->id_product));
		fputs(" / ", f);
		pr_text(f, a->id_revision, sizeof(a->id_revision));
		if (asset_id_source_name(a->id_source))
			fprintf(f, " (%s)", asset_id_source_name(a->id_source));
	} else {
		putc('-', f);
	}
	putc('\n', f);
}

void assets_print(FILE *f)
{
	static int32_t order[2 * ASSETS_MAX];	/* under print_lock */
	static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
	struct ev_asset a;
	size_t n;

	pthread_mutex_lock(&print_lock);
	pthread_mutex_lock(&assets_lock);
	n = assets_sorted(order);
	pthread_mutex_unlock(&assets_lock);
	if (n == 0) {
		fputs("no devices\n", f);
		pthread_mutex_unlock(&print_lock);
		return;
	}
	fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n",
	    PR_W_IP, "IP", PR_W_MAC, "MAC", PR_W_VENDOR, "MAC VENDOR",
	    PR_W_ZONE, "ZONE", PR_W_ROLES, "ROLES", PR_W_SERVED, "SERVED",
	    PR_W_ADDR, "UNITS/DNP3", PR_W_TIME, "FIRST SEEN (UTC)",
	    PR_W_TIME, "LAST SEEN (UTC)", "IDENTITY (VENDOR / PRODUCT / "
	    "REVISION)");
	for (size_t i = 0; i < n; i++) {
		bool ok;

		/* one row at a time: a live capture is not held up */
		pthread_mutex_lock(&assets_lock);
		ok = order[i] >= 0 ? order[i] < assets_tab.nmac :
		    -order[i] - 1 < assets_tab.nip;
		if (ok)
			list_compose(order[i], &a);
		pthread_mutex_unlock(&assets_lock);
		if (ok)
			pr_row(f, &a);
	}
	pthread_mutex_unlock(&print_lock);
}
