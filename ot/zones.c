/*
 * zones.c - network zones and the allowed zone-to-zone conversations (see
 * zones.h for the file format).
 *
 * The file is read with libyaml's document API (it is small and read once)
 * into a scratch table, checked, and only then copied over the live one,
 * so a bad file changes nothing.  Lookups scan the CIDR list for the
 * longest match: at most ZONES_CIDR_MAX entries, and callers (ot/alerts.c)
 * look up each conversation once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "zones.h"

#define ZONES_FILE_MAX (1024 * 1024)
#define ZONES_PATH 96

struct zone {
	char name[ZONES_NAME];
	bool ot;
};

struct zone_cidr {
	uint8_t family;		/* 4 or 6 */
	uint8_t plen;
	uint8_t addr[16];
	int zone;
};

struct zone_rule {
	int from, to;		/* zone index, or ZONE_NONE for "any" */
	uint8_t proto;		/* 0 = any */
	uint16_t port;		/* 0 = any */
};

struct zone_table {
	int nzones, ncidrs, nrules;
	struct zone zones[ZONES_MAX];
	struct zone_cidr cidrs[ZONES_CIDR_MAX];
	struct zone_rule rules[ZONES_RULE_MAX];
};

static struct zone_table zt;

/* ------------------------------------------------------------------------
 * Lookups
 * --------------------------------------------------------------------- */

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ net[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

int zones_lookup(int family, const uint8_t ip[16])
{
	int best = ZONE_NONE, best_len = -1;

	for (int i = 0; i < zt.ncidrs; i++) {
		const struct zone_cidr *c = &zt.cidrs[i];

		if (c->family == family && (int)c->plen > best_len &&
		    prefix_match(ip, c->addr, c->plen)) {
			best = c->zone;
			best_len = c->plen;
		}
	}
	return best;
}

int zones_count(void)
{
	return zt.nzones;
}

const char *zones_name(int z)
{
	return z >= 0 && z < zt.nzones ? zt.zones[z].name : "";
}

bool zones_is_ot(int z)
{
	return z >= 0 && z < zt.nzones && zt.zones[z].ot;
}

bool zones_allowed(int from, int to, uint8_t proto, uint16_t port)
{
	if (from == to)
		return true;
	for (int i = 0; i < zt.nrules; i++) {
		const struct zone_rule *r = &zt.rules[i];

		if ((r->from == ZONE_NONE || r->from == from) &&
		    (r->to == ZONE_NONE || r->to == to) &&
		    (r->proto == 0 || r->proto == proto) &&
		    (r->port == 0 || r->port == port))
			return true;
	}
	return false;
}

void zones_reset(void)
{
	memset(&zt, 0, sizeof(zt));
}

static bool v4_is_public(const uint8_t a[4])
{
	/* IANA special-purpose registries (RFC 6890 and updates) */
	static const struct { uint8_t a[4]; uint8_t plen; } v4[] = {
		{ { 0, 0, 0, 0 }, 8 }, { { 10, 0, 0, 0 }, 8 },
		{ { 100, 64, 0, 0 }, 10 }, { { 127, 0, 0, 0 }, 8 },
		{ { 169, 254, 0, 0 }, 16 }, { { 172, 16, 0, 0 }, 12 },
		{ { 192, 0, 0, 0 }, 24 }, { { 192, 0, 2, 0 }, 24 },
		{ { 192, 88, 99, 0 }, 24 }, { { 192, 168, 0, 0 }, 16 },
		{ { 198, 18, 0, 0 }, 15 }, { { 198, 51, 100, 0 }, 24 },
		{ { 203, 0, 113, 0 }, 24 }, { { 224, 0, 0, 0 }, 4 },
		{ { 240, 0, 0, 0 }, 4 },
	};

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		if (prefix_match(a, v4[i].a, v4[i].plen))
			return false;
	return true;
}

bool zones_addr_is_public(int family, const uint8_t ip[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xFF, 0xFF };
	static const uint8_t doc6[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	if (family == 4)
		return v4_is_public(ip);
	if (memcmp(ip, mapped, 12) == 0)
		return v4_is_public(ip + 12);
	/* IPv6: only 2000::/3 is global unicast; minus documentation */
	if ((ip[0] & 0xE0) != 0x20)
		return false;
	return memcmp(ip, doc6, 4) != 0;
}

/* ------------------------------------------------------------------------
 * The file
 * --------------------------------------------------------------------- */

struct zparse {
	yaml_document_t doc;
	const char *name;
	char *err;
	size_t errlen;
	struct zone_table *t;
};

__attribute__((format(printf, 4, 5)))
static int zfail(struct zparse *p, const yaml_node_t *n, const char *path,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%lu: %s%s%s", p->name,
	    n ? (unsigned long)n->start_mark.line + 1 : 1UL, path,
	    path[0] ? ": " : "", msg);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
	    (const char *)n->data.scalar.value : NULL;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= ZONES_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static int zone_find(const struct zone_table *t, const char *name)
{
	for (int i = 0; i < t->nzones; i++)
		if (strcmp(t->zones[i].name, name) == 0)
			return i;
	return ZONE_NONE;
}

/* "10.0.1.0/24", "fd00::/8", or a bare address (a /32 or /128). */
static int parse_cidr(const char *s, struct zone_cidr *c)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	char *end;

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(c->addr, 0, sizeof(c->addr));
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = 4;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = 6;
	else
		return -1;
	if (!slash) {
		c->plen = c->family == 4 ? 32 : 128;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno || *end || plen > (c->family == 4 ? 32UL : 128UL))
		return -1;
	c->plen = (uint8_t)plen;
	/* clear host bits, so 10.0.1.5/24 means 10.0.1.0/24 */
	for (unsigned b = c->plen; b < 128; b++)
		c->addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const words[] = { "false", "true", "no", "yes",
		"off", "on" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0) {
			*out = i % 2 == 1;
			return 0;
		}
	return -1;
}

static int parse_zone(struct zparse *p, yaml_node_t *n, int idx)
{
	char path[ZONES_PATH];
	struct zone z = { .ot = false };
	yaml_node_t *cidrs = NULL;
	const char *v;

	snprintf(path, sizeof(path), "zones[%d]", idx);
	if (n->type != YAML_MAPPING_NODE)
		return zfail(p, n, path, "expected a mapping");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(&p->doc, pr->value);
		const char *key = scalar(k);

		if (key == NULL)
			return zfail(p, k, path, "expected a scalar key");
		if (strcmp(key, "name") == 0) {
			if (!(v = scalar(val)) || !name_ok(v))
				return zfail(p, val, path, "name: expected 1 to "
				    "%d characters from [A-Za-z0-9_.-]",
				    ZONES_NAME - 1);
			if (strcasecmp(v, "any") == 0)
				return zfail(p, val, path,
				    "name: \"any\" is reserved");
			snprintf(z.name, sizeof(z.name), "%s", v);
		} else if (strcmp(key, "ot") == 0) {
			if (!(v = scalar(val)) || parse_bool(v, &z.ot) < 0)
				return zfail(p, val, path,
				    "ot: expected true or false");
		} else if (strcmp(key, "cidrs") == 0) {
			if (val->type != YAML_SEQUENCE_NODE)
				return zfail(p, val, path,
				    "cidrs: expected a list of CIDRs");
			cidrs = val;
		} else {
			return zfail(p, k, path, "unknown key \"%s\"", key);
		}
	}
	if (!z.name[0])
		return zfail(p, n, path, "name: missing");
	if (zone_find(p->t, z.name) != ZONE_NONE)
		return zfail(p, n, path, "zone \"%s\" defined twice", z.name);
	if (p->t->nzones == ZONES_MAX)
		return zfail(p, n, path, "more than %d zones", ZONES_MAX);
	p->t->zones[p->t->nzones] = z;
	if (cidrs == NULL || cidrs->data.sequence.items.start ==
	    cidrs->data.sequence.items.top)
		return zfail(p, cidrs ? cidrs : n, path,
		    "cidrs: at least one CIDR is needed");
	for (yaml_node_item_t *it = cidrs->data.sequence.items.start;
	    it < cidrs->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(&p->doc, *it);
		int ci = (int)(it - cidrs->data.sequence.items.start);
		struct zone_cidr zc;

		if (!(v = scalar(c)) || parse_cidr(v, &zc) < 0)
			return zfail(p, c, path, "cidrs[%d]: expected a CIDR "
			    "such as 10.0.1.0/24 or fd00::/8", ci);
		if (p->t->ncidrs == ZONES_CIDR_MAX)
			return zfail(p, c, path, "more than %d CIDRs in all",
			    ZONES_CIDR_MAX);
		zc.zone = p->t->nzones;
		p->t->cidrs[p->t->ncidrs++] = zc;
	}
	p->t->nzones++;
	return 0;
}

static int rule_zone(struct zparse *p, yaml_node_t *val, const char *path,
    const char *key, int *out)
{
	const char *v = scalar(val);

	if (v == NULL)
		return zfail(p, val, path, "%s: expected a zone name", key);
	if (strcasecmp(v, "any") == 0 || strcmp(v, "*") == 0) {
		*out = ZONE_NONE;
		return 0;
	}
	*out = zone_find(p->t, v);
	if (*out == ZONE_NONE)
		return zfail(p, val, path, "%s: no zone named \"%s\"", key, v);
	return 0;
}

static int parse_rule(struct zparse *p, yaml_node_t *n, int idx)
{
	char path[ZONES_PATH];
	struct zone_rule r = { ZONE_NONE, ZONE_NONE, 0, 0 };
	bool has_from = false, has_to = false;
	const char *v;

	snprintf(path, sizeof(path), "allow[%d]", idx);
	if (n->type != YAML_MAPPING_NODE)
		return zfail(p, n, path, "expected a mapping");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(&p->doc, pr->value);
		const char *key = scalar(k);

		if (key == NULL)
			return zfail(p, k, path, "expected a scalar key");
		if (strcmp(key, "from") == 0) {
			if (rule_zone(p, val, path, key, &r.from) < 0)
				return -1;
			has_from = true;
		} else if (strcmp(key, "to") == 0) {
			if (rule_zone(p, val, path, key, &r.to) < 0)
				return -1;
			has_to = true;
		} else if (strcmp(key, "proto") == 0) {
			v = scalar(val);
			if (v && strcasecmp(v, "tcp") == 0)
				r.proto = 6;
			else if (v && strcasecmp(v, "udp") == 0)
				r.proto = 17;
			else if (v && strcasecmp(v, "icmp") == 0)
				r.proto = 1;
			else if (v && strcasecmp(v, "any") == 0)
				r.proto = 0;
			else
				return zfail(p, val, path, "proto: expected "
				    "tcp, udp, icmp or any");
		} else if (strcmp(key, "port") == 0) {
			unsigned long port = 0;
			char *end = NULL;

			v = scalar(val);
			if (v && v[0] >= '1' && v[0] <= '9')
				port = strtoul(v, &end, 10);
			if (!v || !end || *end || port < 1 || port > 65535)
				return zfail(p, val, path,
				    "port: expected an integer from 1 to 65535");
			r.port = (uint16_t)port;
		} else {
			return zfail(p, k, path, "unknown key \"%s\"", key);
		}
	}
	if (!has_from || !has_to)
		return zfail(p, n, path, "both \"from\" and \"to\" are needed");
	if (p->t->nrules == ZONES_RULE_MAX)
		return zfail(p, n, path, "more than %d rules", ZONES_RULE_MAX);
	p->t->rules[p->t->nrules++] = r;
	return 0;
}

/* Walks a top-level list with fn; zones must come before allow. */
static int parse_list(struct zparse *p, yaml_node_t *n, const char *key,
    int (*fn)(struct zparse *, yaml_node_t *, int))
{
	if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
		return 0;	/* "allow:" with nothing */
	if (n->type != YAML_SEQUENCE_NODE)
		return zfail(p, n, key, "expected a list");
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++)
		if (fn(p, yaml_document_get_node(&p->doc, *it),
		    (int)(it - n->data.sequence.items.start)) < 0)
			return -1;
	return 0;
}

static int parse_doc(struct zparse *p)
{
	yaml_node_t *root = yaml_document_get_root_node(&p->doc);
	yaml_node_t *zones = NULL, *allow = NULL;

	if (root == NULL)
		return 0;	/* an empty file: no zones */
	if (root->type != YAML_MAPPING_NODE)
		return zfail(p, root, "", "expected a mapping with \"zones\" "
		    "and \"allow\"");
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(&p->doc, pr->value);
		const char *key = scalar(k);

		if (key && strcmp(key, "zones") == 0 && !zones)
			zones = val;
		else if (key && strcmp(key, "allow") == 0 && !allow)
			allow = val;
		else
			return zfail(p, k, key ? key : "", key &&
			    (strcmp(key, "zones") == 0 ||
			    strcmp(key, "allow") == 0) ? "duplicate key" :
			    "unknown key (expected zones or allow)");
	}
	/* zones first: rules refer to them by name */
	if (zones && parse_list(p, zones, "zones", parse_zone) < 0)
		return -1;
	if (allow && parse_list(p, allow, "allow", parse_rule) < 0)
		return -1;
	return 0;
}

int zones_load_string(const char *yaml, size_t len, const char *name,
    char *err, size_t errlen)
{
	struct zparse *p = calloc(1, sizeof(*p));
	yaml_parser_t yp;
	int rc = -1;

	if (p == NULL || (p->t = calloc(1, sizeof(*p->t))) == NULL) {
		free(p);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	p->name = name;
	p->err = err;
	p->errlen = errlen;
	if (!yaml_parser_initialize(&yp)) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&yp, &p->doc)) {
		snprintf(err, errlen, "%s:%lu: YAML syntax error: %s", name,
		    (unsigned long)yp.problem_mark.line + 1,
		    yp.problem ? yp.problem : "unknown");
		yaml_parser_delete(&yp);
		goto out;
	}
	rc = parse_doc(p);
	yaml_document_delete(&p->doc);
	yaml_parser_delete(&yp);
	if (rc == 0)
		zt = *p->t;	/* all or nothing */
out:
	free(p->t);
	free(p);
	return rc;
}

int zones_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(ZONES_FILE_MAX);
	n = buf ? fread(buf, 1, ZONES_FILE_MAX, f) : 0;
	if (buf == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (ferror(f))
		snprintf(err, errlen, "%s: read error", path);
	else if (n == ZONES_FILE_MAX)
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    ZONES_FILE_MAX);
	else
		rc = zones_load_string(buf, n, path, err, errlen);
	free(buf);
	fclose(f);
	return rc;
}
