/*
 * baseline_ops.c - the baseline for operators: the text form of edges,
 * accepting, printing (`spanlog baseline show|diff`) and the state-file
 * lines (ot/state.c).  Learning and alerting are in baseline.c.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline_int.h"

/* ------------------------------------------------------------------------
 * Text form of edges
 * --------------------------------------------------------------------- */

static void end_text(const struct bl_edge *e, bool server, char *b, size_t n)
{
	char ip[48];

	if (e->pub == (server ? BL_PUB_SERVER : BL_PUB_CLIENT)) {
		snprintf(b, n, "public");
		return;
	}
	bl_ip_text(e->family, server ? e->server : e->client, ip, sizeof(ip));
	snprintf(b, n, e->family == 6 ? "[%s]" : "%s", ip);
}

/* "10.0.0.5>10.0.1.10:tcp/502", "[fd00::1]>public:udp/53", "a>b:icmp" */
static void edge_text(const struct bl_edge *e, char *b, size_t n)
{
	char c[48], s[48], pb[8];
	const char *p = bl_proto_text(e->proto, pb, sizeof(pb));

	end_text(e, false, c, sizeof(c));
	end_text(e, true, s, sizeof(s));
	if (bl_has_ports(e->proto))
		snprintf(b, n, "%s>%s:%s/%u", c, s, p, e->port);
	else
		snprintf(b, n, "%s>%s:%s", c, s, p);
}

/* One end of the text form; "public" gives *pub = true. 0 or -1. */
static int parse_end(const char *s, size_t len, int *family, uint8_t ip[16],
    bool *pub)
{
	char buf[64];

	memset(ip, 0, 16);
	*pub = false;
	if (len == 6 && memcmp(s, "public", 6) == 0) {
		*pub = true;
		return 0;
	}
	if (len >= sizeof(buf) || len == 0)
		return -1;
	if (s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return -1;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		*family = 6;
		return inet_pton(AF_INET6, buf, ip) == 1 ? 0 : -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	*family = 4;
	return inet_pton(AF_INET, buf, ip) == 1 ? 0 : -1;
}

static int parse_u(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses the text form of an edge into a key-only struct bl_edge. 0/-1. */
static int edge_parse(const char *s, size_t len, struct bl_edge *k)
{
	const char *gt = memchr(s, '>', len);
	const char *colon, *slash, *end = s + len;
	int f1 = 4, f2 = 4;
	bool p1, p2;
	char pname[8];
	size_t plen;
	uint64_t v;

	memset(k, 0, sizeof(*k));
	if (!gt)
		return -1;
	/* the server ends at the last ':' (IPv6 is bracketed) */
	colon = NULL;
	for (const char *p = end; p > gt; p--)
		if (p[-1] == ':') {
			colon = p - 1;
			break;
		}
	if (!colon || (colon > gt + 1 && colon[-1] != ']' &&
	    memchr(gt + 1, '[', (size_t)(colon - gt - 1))))
		return -1;
	if (parse_end(s, (size_t)(gt - s), &f1, k->client, &p1) != 0 ||
	    parse_end(gt + 1, (size_t)(colon - gt - 1), &f2, k->server, &p2) != 0)
		return -1;
	if (p1 && p2)
		return -1;
	if (!p1 && !p2 && f1 != f2)
		return -1;
	k->family = (uint8_t)(p1 ? f2 : f1);
	k->pub = p1 ? BL_PUB_CLIENT : p2 ? BL_PUB_SERVER : BL_PUB_NONE;
	slash = memchr(colon + 1, '/', (size_t)(end - colon - 1));
	plen = (size_t)((slash ? slash : end) - colon - 1);
	if (plen == 0 || plen >= sizeof(pname))
		return -1;
	memcpy(pname, colon + 1, plen);
	pname[plen] = '\0';
	if (strcmp(pname, "tcp") == 0)
		k->proto = 6;
	else if (strcmp(pname, "udp") == 0)
		k->proto = 17;
	else if (strcmp(pname, "icmp") == 0)
		k->proto = k->family == 6 ? 58 : 1;
	else if (strncmp(pname, "ip", 2) == 0 &&
	    parse_u(pname + 2, plen - 2, 255, &v) == 0)
		k->proto = (uint8_t)v;
	else
		return -1;
	if (bl_has_ports(k->proto)) {
		if (!slash || parse_u(slash + 1, (size_t)(end - slash - 1), 65535,
		    &v) != 0)
			return -1;
		k->port = (uint16_t)v;
	} else if (slash) {
		return -1;
	}
	return 0;
}

static const char *status_name(uint8_t s)
{
	return s == BASELINE_LEARNED ? "learned" : s == BASELINE_ACCEPTED ?
	    "accepted" : s == BASELINE_NEW ? "new" : "?";
}

static int status_parse(const char *s, size_t n)
{
	if (n == 7 && memcmp(s, "learned", 7) == 0)
		return BASELINE_LEARNED;
	if (n == 8 && memcmp(s, "accepted", 8) == 0)
		return BASELINE_ACCEPTED;
	if (n == 3 && memcmp(s, "new", 3) == 0)
		return BASELINE_NEW;
	return -1;
}


/* ------------------------------------------------------------------------
 * Operators
 * --------------------------------------------------------------------- */

/* Accepts the new facts and ranges of an edge (UINT32_MAX: all); count. */
static size_t accept_facts(uint32_t edge)
{
	size_t n = 0;

	for (uint32_t i = 0; i < BASELINE_FACTS; i++) {
		struct bl_fact *f = &bl_tab.fact[i];
		bool again = true;

		if (!f->used || (edge != UINT32_MAX && f->edge != edge))
			continue;
		if (f->status == BASELINE_NEW) {
			f->status = BASELINE_ACCEPTED;
			n++;
		}
		while (again) {
			again = false;
			for (unsigned r = 0; r < f->nranges; r++) {
				struct bl_range g = f->ranges[r];

				if (g.status != BASELINE_NEW)
					continue;
				f->ranges[r] = f->ranges[--f->nranges];
				bl_range_add(f, g.lo, g.hi, BASELINE_ACCEPTED);
				n++;
				again = true;
				break;
			}
		}
	}
	return n;
}

static void accept_device(int family, const uint8_t *ip)
{
	bool found;
	long i = bl_dev_slot(family, ip, &found);

	if (i >= 0 && found && bl_tab.dev[i].status == BASELINE_NEW)
		bl_tab.dev[i].status = BASELINE_ACCEPTED;
}

/* A device address: "10.0.0.5", "fd00::5" or "[fd00::5]".  0 or -1. */
static int device_parse(const char *what, int *family, uint8_t ip[16])
{
	char b[64];
	bool pub;

	if (parse_end(what, strlen(what), family, ip, &pub) == 0)
		return pub ? -1 : 0;
	if (strlen(what) + 3 > sizeof(b))
		return -1;
	snprintf(b, sizeof(b), "[%s]", what);
	return parse_end(b, strlen(b), family, ip, &pub) == 0 && !pub ? 0 : -1;
}

int baseline_accept(const char *what, char *err, size_t errlen)
{
	struct bl_edge key;
	uint8_t ip[16];
	int family = 4;
	bool found;
	long i;
	int rc = 0;

	pthread_mutex_lock(&bl_tab.lock);
	if (edge_parse(what, strlen(what), &key) == 0) {
		i = bl_edge_slot(&key, &found);
		if (i < 0 || !found) {
			snprintf(err, errlen, "no edge %s in the baseline", what);
			rc = -1;
		} else {
			struct bl_edge *e = &bl_tab.edge[i];

			if (e->status == BASELINE_NEW)
				e->status = BASELINE_ACCEPTED;
			(void)accept_facts((uint32_t)i);
			if (e->pub != BL_PUB_CLIENT)
				accept_device(e->family, e->client);
			if (e->pub != BL_PUB_SERVER)
				accept_device(e->family, e->server);
		}
	} else if (device_parse(what, &family, ip) == 0) {
		i = bl_dev_slot(family, ip, &found);
		if (i < 0 || !found) {
			snprintf(err, errlen, "no device %s in the baseline", what);
			rc = -1;
		} else if (bl_tab.dev[i].status == BASELINE_NEW) {
			bl_tab.dev[i].status = BASELINE_ACCEPTED;
		}
	} else {
		snprintf(err, errlen, "'%s' is neither an edge "
		    "(CLIENT>SERVER:PROTO/PORT) nor a device address", what);
		rc = -1;
	}
	pthread_mutex_unlock(&bl_tab.lock);
	return rc;
}

size_t baseline_accept_all(void)
{
	size_t n = 0;

	pthread_mutex_lock(&bl_tab.lock);
	for (uint32_t i = 0; i < BASELINE_DEVICES; i++)
		if (bl_tab.dev[i].used && bl_tab.dev[i].status == BASELINE_NEW) {
			bl_tab.dev[i].status = BASELINE_ACCEPTED;
			n++;
		}
	for (uint32_t i = 0; i < BASELINE_EDGES; i++) {
		if (!bl_tab.edge[i].used)
			continue;
		if (bl_tab.edge[i].status == BASELINE_NEW) {
			bl_tab.edge[i].status = BASELINE_ACCEPTED;
			n++;
		}
	}
	n += accept_facts(UINT32_MAX);
	pthread_mutex_unlock(&bl_tab.lock);
	return n;
}

void baseline_enforce(void)
{
	pthread_mutex_lock(&bl_tab.lock);
	bl_tab.forced = true;
	pthread_mutex_unlock(&bl_tab.lock);
}

/* ------------------------------------------------------------------------
 * Printing
 * --------------------------------------------------------------------- */

static void iso_time(uint64_t us, char *b, size_t n)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!us || !gmtime_r(&t, &tm) ||
	    strftime(b, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(b, n, "-");
}

struct pline {
	char sort[BASELINE_EDGE_TEXT + 40];
	char text[400];
};

static int pline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pline *)a)->sort,
	    ((const struct pline *)b)->sort);
}

/* Sort key of an address: family, then the bytes in hex. */
static void addr_sort(int family, const uint8_t *ip, char *b, size_t n)
{
	size_t o = (size_t)snprintf(b, n, "%d", family);

	for (int i = 0; i < bl_alen(family) && o + 2 < n; i++)
		o += (size_t)snprintf(b + o, n - o, "%02x", ip[i]);
}

static void edge_sort(const struct bl_edge *e, char *b, size_t n)
{
	char c[40], s[40];

	addr_sort(e->family, e->client, c, sizeof(c));
	addr_sort(e->family, e->server, s, sizeof(s));
	if (e->pub == BL_PUB_CLIENT)
		snprintf(c, sizeof(c), "public");
	if (e->pub == BL_PUB_SERVER)
		snprintf(s, sizeof(s), "public");
	snprintf(b, n, "%s %s %03u %05u", c, s, e->proto, e->port);
}

static void fact_text(const struct bl_fact *f, bool only_new, char *b,
    size_t n)
{
	const char *name;

	if (f->kind == BL_FACT_MODBUS_FC) {
		name = modbus_func_name(f->code);
		snprintf(b, n, "modbus unit %u FC %u (%s)", f->unit, f->code,
		    name ? name : "unknown");
	} else if (f->kind == BL_FACT_DNP3_FC) {
		name = dnp3_func_name(f->code);
		snprintf(b, n, "dnp3 outstation %u master %u FC %u (%s)", f->unit,
		    f->master, f->code, name ? name : "unknown");
	} else {
		size_t o = (size_t)snprintf(b, n, "modbus unit %u writes %s:",
		    f->unit, f->code == BL_TABLE_COILS ? "coils" :
		    "holding registers");

		for (unsigned r = 0; r < f->nranges && o < n; r++) {
			const struct bl_range *g = &f->ranges[r];

			if (only_new && g->status != BASELINE_NEW)
				continue;
			o += (size_t)snprintf(b + o, n - o, " %u-%u %s", g->lo,
			    g->hi, status_name(g->status));
		}
	}
}

static bool fact_has_new(const struct bl_fact *f)
{
	if (f->status == BASELINE_NEW)
		return true;
	for (unsigned r = 0; r < f->nranges; r++)
		if (f->ranges[r].status == BASELINE_NEW)
			return true;
	return false;
}

size_t baseline_print(FILE *f, bool only_new)
{
	struct pline *pl;
	size_t n = 0, items = 0;
	char a[32], b[32], c[32], et[BASELINE_EDGE_TEXT], ip[48];

	pthread_mutex_lock(&bl_tab.lock);
	/* one line per entry in use (the counts cover every used slot) */
	pl = malloc(((size_t)bl_tab.ndev + bl_tab.nedge + bl_tab.nfact + 1) *
	    sizeof(*pl));
	if (!pl) {
		pthread_mutex_unlock(&bl_tab.lock);
		fprintf(f, "out of memory\n");
		return 0;
	}
	if (!only_new) {
		bool enf = bl_tab.last_us ? bl_enforcing_at(bl_tab.last_us) :
		    bl_tab.forced;

		iso_time(bl_tab.learn_start_us, a, sizeof(a));
		iso_time(bl_tab.learn_start_us ? bl_tab.learn_start_us + bl_tab.period_us : 0,
		    b, sizeof(b));
		iso_time(bl_tab.last_us, c, sizeof(c));
		fprintf(f, "mode: %s%s\nlearning: %s .. %s\nnewest event: %s\n"
		    "devices %u, edges %u, functions and ranges %u%s\n",
		    enf ? "enforcing" : "learning",
		    bl_tab.forced ? " (set by `spanlog baseline enforce`)" : "", a, b,
		    c, bl_tab.ndev, bl_tab.nedge, bl_tab.nfact,
		    bl_tab.full_drops ? " (some tables were full)" : "");
	}
	for (uint32_t i = 0; i < BASELINE_DEVICES; i++) {
		const struct bl_device *d = &bl_tab.dev[i];

		if (!d->used || (only_new && d->status != BASELINE_NEW))
			continue;
		bl_ip_text(d->family, d->ip, ip, sizeof(ip));
		iso_time(d->first_us, a, sizeof(a));
		iso_time(d->last_us, b, sizeof(b));
		addr_sort(d->family, d->ip, pl[n].sort, sizeof(pl[n].sort));
		snprintf(pl[n].text, sizeof(pl[n].text), "device  %-40s %-8s "
		    "first %s last %s", ip, status_name(d->status), a, b);
		pl[n].sort[0] = 'a';	/* devices first */
		n++;
	}
	for (uint32_t i = 0; i < BASELINE_EDGES; i++) {
		const struct bl_edge *e = &bl_tab.edge[i];
		char poll[96] = "", es[BASELINE_EDGE_TEXT + 8];

		if (!e->used)
			continue;
		edge_text(e, et, sizeof(et));
		edge_sort(e, es, sizeof(es));
		if (!only_new || e->status == BASELINE_NEW) {
			iso_time(e->first_us, a, sizeof(a));
			if (e->ot && e->gaps >= BASELINE_MIN_GAPS && !e->irregular) {
				char p1[16], p2[16];

				bl_fmt_dur(e->peak_us, p1, sizeof(p1));
				bl_fmt_dur(bl_silence_threshold(e), p2, sizeof(p2));
				snprintf(poll, sizeof(poll), " polled (longest gap "
				    "%s, silent after %s)", p1, p2);
			} else if (e->ot && e->irregular) {
				snprintf(poll, sizeof(poll), " irregular polling");
			}
			snprintf(pl[n].sort, sizeof(pl[n].sort), "b%s", es);
			snprintf(pl[n].text, sizeof(pl[n].text), "edge    %-40s "
			    "%-8s %-8s events %" PRIu64 ", first %s%s", et,
			    e->app[0] ? e->app : "-", status_name(e->status),
			    e->events, a, poll);
			n++;
		}
	}
	for (uint32_t j = 0; j < BASELINE_FACTS; j++) {
		const struct bl_fact *ft = &bl_tab.fact[j];
		const struct bl_edge *e;
		char t[240], es[BASELINE_EDGE_TEXT + 8];

		if (!ft->used || ft->edge >= BASELINE_EDGES ||
		    (only_new && !fact_has_new(ft)))
			continue;
		e = &bl_tab.edge[ft->edge];
		edge_text(e, et, sizeof(et));
		edge_sort(e, es, sizeof(es));
		fact_text(ft, only_new, t, sizeof(t));
		snprintf(pl[n].sort, sizeof(pl[n].sort), "b%s %u %05u %05u %03u",
		    es, ft->kind, ft->unit, ft->master, ft->code);
		if (ft->kind == BL_FACT_MODBUS_WRITE)
			snprintf(pl[n].text, sizeof(pl[n].text), "  %s %s", et, t);
		else
			snprintf(pl[n].text, sizeof(pl[n].text), "  %s %s %s", et,
			    t, status_name(ft->status));
		n++;
	}
	pthread_mutex_unlock(&bl_tab.lock);
	qsort(pl, n, sizeof(*pl), pline_cmp);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s\n", pl[i].text);
		items++;
	}
	free(pl);
	return items;
}

/* ------------------------------------------------------------------------
 * State file lines
 * --------------------------------------------------------------------- */

int baseline_state_write(FILE *f)
{
	char et[BASELINE_EDGE_TEXT], ip[48];
	int rc = 0;

	pthread_mutex_lock(&bl_tab.lock);
	fprintf(f, "baseline learn_start=%" PRIu64 " period=%" PRIu64
	    " last=%" PRIu64 " forced=%d\n", bl_tab.learn_start_us, bl_tab.period_us,
	    bl_tab.last_us, bl_tab.forced ? 1 : 0);
	for (uint32_t i = 0; i < BASELINE_DEVICES; i++) {
		const struct bl_device *d = &bl_tab.dev[i];

		if (!d->used)
			continue;
		bl_ip_text(d->family, d->ip, ip, sizeof(ip));
		fprintf(f, "device ip=%s status=%s first=%" PRIu64 " last=%"
		    PRIu64 "\n", ip, status_name(d->status), d->first_us,
		    d->last_us);
	}
	for (uint32_t i = 0; i < BASELINE_EDGES; i++) {
		const struct bl_edge *e = &bl_tab.edge[i];
		char app[16];

		if (!e->used)
			continue;
		edge_text(e, et, sizeof(et));
		bl_ip_text(e->family, e->peer, ip, sizeof(ip));
		/* app names are [A-Za-z0-9._-]; anything else becomes '_' */
		snprintf(app, sizeof(app), "%s", e->app[0] ? e->app : "-");
		for (char *p = app; *p; p++)
			if (!(*p == '.' || *p == '_' || *p == '-' ||
			    (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z')))
				*p = '_';
		fprintf(f, "edge e=%s status=%s app=%s first=%" PRIu64 " last=%"
		    PRIu64 " events=%" PRIu64 " peer=%s ot=%d req=%" PRIu64
		    " resp=%" PRIu64 " peak=%" PRIu64 " gaps=%" PRIu32
		    " irregular=%d\n", et, status_name(e->status), app,
		    e->first_us, e->last_us, e->events,
		    e->pub != BL_PUB_NONE ? ip : "-", e->ot ? 1 : 0,
		    e->last_req_us, e->last_resp_us, e->peak_us, e->gaps,
		    e->irregular ? 1 : 0);
	}
	for (uint32_t i = 0; i < BASELINE_FACTS; i++) {
		const struct bl_fact *ft = &bl_tab.fact[i];
		static const char *const kinds[] = { "", "modbus_fc", "dnp3_fc",
			"modbus_write" };

		if (!ft->used || ft->edge >= BASELINE_EDGES ||
		    ft->kind > BL_FACT_MODBUS_WRITE || ft->kind == 0)
			continue;
		edge_text(&bl_tab.edge[ft->edge], et, sizeof(et));
		fprintf(f, "fact e=%s kind=%s unit=%u master=%u code=%u status=%s "
		    "first=%" PRIu64 " last=%" PRIu64 " count=%" PRIu64, et,
		    kinds[ft->kind], ft->unit, ft->master, ft->code,
		    status_name(ft->status), ft->first_us, ft->last_us, ft->count);
		for (unsigned r = 0; r < ft->nranges; r++)
			fprintf(f, "%s%u-%u:%s", r ? "," : " ranges=",
			    ft->ranges[r].lo, ft->ranges[r].hi,
			    status_name(ft->ranges[r].status));
		fputc('\n', f);
	}
	if (ferror(f))
		rc = -1;
	pthread_mutex_unlock(&bl_tab.lock);
	return rc;
}

bool baseline_state_owns(const char *line)
{
	static const char *const words[] = { "baseline ", "device ", "edge ",
		"fact " };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(line, words[i], strlen(words[i])) == 0)
			return true;
	return false;
}

struct tok {
	const char *k, *v;
	size_t kn, vn;
};

#define BL_MAX_TOKS 24

/* Splits "word k=v k=v" after the first word.  Count, or -1. */
static int tokenize(const char *line, struct tok *t, int max)
{
	const char *p = strchr(line, ' ');
	int n = 0;

	if (!p)
		return 0;
	while (*p) {
		const char *s, *eq;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n' || *p == '\r')
			break;
		s = p;
		while (*p && *p != ' ' && *p != '\n' && *p != '\r')
			p++;
		eq = memchr(s, '=', (size_t)(p - s));
		if (!eq || n >= max)
			return -1;
		t[n].k = s;
		t[n].kn = (size_t)(eq - s);
		t[n].v = eq + 1;
		t[n].vn = (size_t)(p - eq - 1);
		n++;
	}
	return n;
}

static const struct tok *tok_get(const struct tok *t, int n, const char *k)
{
	size_t kl = strlen(k);

	for (int i = 0; i < n; i++)
		if (t[i].kn == kl && memcmp(t[i].k, k, kl) == 0)
			return &t[i];
	return NULL;
}

/* Numeric token (0 when absent and !must).  0, or -1 with a message. */
static int tok_u(const struct tok *t, int n, const char *k, uint64_t max,
    bool must, uint64_t *out, char *err, size_t errlen)
{
	const struct tok *x = tok_get(t, n, k);

	*out = 0;
	if (!x) {
		if (!must)
			return 0;
		snprintf(err, errlen, "missing %s=", k);
		return -1;
	}
	if (parse_u(x->v, x->vn, max, out) != 0) {
		snprintf(err, errlen, "bad %s=%.*s", k, (int)(x->vn > 40 ? 40 :
		    x->vn), x->v);
		return -1;
	}
	return 0;
}

static int tok_status(const struct tok *t, int n, char *err, size_t errlen)
{
	const struct tok *x = tok_get(t, n, "status");
	int s = x ? status_parse(x->v, x->vn) : -1;

	if (s < 0)
		snprintf(err, errlen, "missing or bad status=");
	return s;
}

static int read_header(const struct tok *t, int n, bool merge, char *err,
    size_t errlen)
{
	uint64_t start, last, forced, period;

	if (tok_u(t, n, "learn_start", UINT64_MAX, true, &start, err, errlen) ||
	    tok_u(t, n, "last", UINT64_MAX, false, &last, err, errlen) ||
	    tok_u(t, n, "period", UINT64_MAX, false, &period, err, errlen) ||
	    tok_u(t, n, "forced", 1, false, &forced, err, errlen))
		return -1;
	if (forced)
		bl_tab.forced = true;
	if (merge)
		return 0;
	bl_tab.learn_start_us = start;
	bl_tab.last_us = last;
	/* the sensor applies its configured period again after loading */
	if (period)
		bl_tab.period_us = period;
	return 0;
}

static int read_device(const struct tok *t, int n, bool merge, char *err,
    size_t errlen)
{
	const struct tok *x = tok_get(t, n, "ip");
	uint8_t ip[16];
	int family = 4, st = tok_status(t, n, err, errlen);
	bool pub, found;
	uint64_t first, last;
	long i;

	if (st < 0)
		return -1;
	if (!x || parse_end(x->v, x->vn, &family, ip, &pub) != 0 || pub) {
		/* IPv6 devices are written without brackets */
		char buf[64];

		if (!x || x->vn == 0 || x->vn >= sizeof(buf) - 2) {
			snprintf(err, errlen, "missing or bad ip=");
			return -1;
		}
		snprintf(buf, sizeof(buf), "[%.*s]", (int)x->vn, x->v);
		if (parse_end(buf, strlen(buf), &family, ip, &pub) != 0) {
			snprintf(err, errlen, "bad ip=");
			return -1;
		}
	}
	if (tok_u(t, n, "first", UINT64_MAX, false, &first, err, errlen) ||
	    tok_u(t, n, "last", UINT64_MAX, false, &last, err, errlen))
		return -1;
	i = bl_dev_slot(family, ip, &found);
	if (merge) {
		if (i >= 0 && found && st == BASELINE_ACCEPTED &&
		    bl_tab.dev[i].status == BASELINE_NEW)
			bl_tab.dev[i].status = BASELINE_ACCEPTED;
		return 0;
	}
	if (i < 0) {
		snprintf(err, errlen, "too many devices");
		return -1;
	}
	if (!found)
		bl_tab.ndev++;
	bl_tab.dev[i].used = 1;
	bl_tab.dev[i].family = (uint8_t)family;
	memcpy(bl_tab.dev[i].ip, ip, 16);
	bl_tab.dev[i].status = (uint8_t)st;
	bl_tab.dev[i].first_us = first;
	bl_tab.dev[i].last_us = last;
	return 0;
}

/* The edge named by e=...; its index, or -1 with a message. */
static long tok_edge(const struct tok *t, int n, bool create,
    struct bl_edge *key, char *err, size_t errlen)
{
	const struct tok *x = tok_get(t, n, "e");
	bool found;
	long i;

	if (!x || edge_parse(x->v, x->vn, key) != 0) {
		snprintf(err, errlen, "missing or bad e=");
		return -1;
	}
	i = bl_edge_slot(key, &found);
	if (i < 0 || (!found && !create)) {
		snprintf(err, errlen, i < 0 ? "too many edges" :
		    "fact for an edge not in the file");
		return -1;
	}
	return i;
}

static int read_edge(const struct tok *t, int n, bool merge, char *err,
    size_t errlen)
{
	struct bl_edge key, *e;
	const struct tok *x;
	uint64_t v[9];
	int st = tok_status(t, n, err, errlen);
	bool pub;
	int family = 4;
	long i;

	if (st < 0)
		return -1;
	if (merge) {
		bool found;

		x = tok_get(t, n, "e");
		if (!x || edge_parse(x->v, x->vn, &key) != 0)
			return snprintf(err, errlen, "bad e="), -1;
		i = bl_edge_slot(&key, &found);
		if (i >= 0 && found && st == BASELINE_ACCEPTED &&
		    bl_tab.edge[i].status == BASELINE_NEW)
			bl_tab.edge[i].status = BASELINE_ACCEPTED;
		return 0;
	}
	if ((i = tok_edge(t, n, true, &key, err, errlen)) < 0)
		return -1;
	if (tok_u(t, n, "first", UINT64_MAX, false, &v[0], err, errlen) ||
	    tok_u(t, n, "last", UINT64_MAX, false, &v[1], err, errlen) ||
	    tok_u(t, n, "events", UINT64_MAX, false, &v[2], err, errlen) ||
	    tok_u(t, n, "ot", 1, false, &v[3], err, errlen) ||
	    tok_u(t, n, "req", UINT64_MAX, false, &v[4], err, errlen) ||
	    tok_u(t, n, "resp", UINT64_MAX, false, &v[5], err, errlen) ||
	    tok_u(t, n, "peak", UINT64_MAX, false, &v[6], err, errlen) ||
	    tok_u(t, n, "gaps", UINT32_MAX, false, &v[7], err, errlen) ||
	    tok_u(t, n, "irregular", 1, false, &v[8], err, errlen))
		return -1;
	e = &bl_tab.edge[i];
	if (!e->used)
		bl_tab.nedge++;
	key.ot = e->used && e->ot;	/* a repeated line: already listed */
	*e = key;
	e->used = 1;
	e->status = (uint8_t)st;
	e->first_us = v[0];
	e->last_us = v[1];
	e->events = v[2];
	e->last_req_us = v[4];
	e->last_resp_us = v[5];
	e->peak_us = v[6];
	e->gaps = (uint32_t)v[7];
	e->irregular = v[8] != 0;
	x = tok_get(t, n, "app");
	if (x && x->vn > 0 && x->vn < sizeof(e->app) &&
	    !(x->vn == 1 && x->v[0] == '-')) {
		memcpy(e->app, x->v, x->vn);
		e->app[x->vn] = '\0';
		for (char *p = e->app; *p; p++)
			if (*p < 0x21 || *p > 0x7e)
				*p = '_';
	}
	x = tok_get(t, n, "peer");
	if (e->pub != BL_PUB_NONE && x && parse_end(x->v, x->vn, &family,
	    e->peer, &pub) != 0) {
		char buf[64];

		if (x->vn < sizeof(buf) - 2) {
			snprintf(buf, sizeof(buf), "[%.*s]", (int)x->vn, x->v);
			if (parse_end(buf, strlen(buf), &family, e->peer, &pub) != 0)
				memset(e->peer, 0, 16);
		}
	}
	if (v[3])
		bl_ot_edge_add((uint32_t)i);
	return 0;
}

static int read_ranges(struct bl_fact *f, const struct tok *x, bool merge,
    char *err, size_t errlen)
{
	const char *p = x->v, *end = x->v + x->vn;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *seg_end = c ? c : end;
		const char *dash = memchr(p, '-', (size_t)(seg_end - p));
		const char *colon = memchr(p, ':', (size_t)(seg_end - p));
		uint64_t lo, hi;
		int st;

		if (!dash || !colon || dash > colon ||
		    parse_u(p, (size_t)(dash - p), 65535, &lo) ||
		    parse_u(dash + 1, (size_t)(colon - dash - 1), 65535, &hi) ||
		    lo > hi || (st = status_parse(colon + 1,
		    (size_t)(seg_end - colon - 1))) < 0) {
			snprintf(err, errlen, "bad ranges=");
			return -1;
		}
		if (merge) {
			/* accepted on disk: accept new ranges inside it */
			for (unsigned r = 0; st == BASELINE_ACCEPTED &&
			    r < f->nranges; r++)
				if (f->ranges[r].status == BASELINE_NEW &&
				    f->ranges[r].lo >= lo && f->ranges[r].hi <= hi)
					f->ranges[r].status = BASELINE_ACCEPTED;
		} else {
			bl_range_add(f, (uint16_t)lo, (uint16_t)hi, (uint8_t)st);
		}
		p = seg_end + 1;
	}
	return 0;
}

static int read_fact(const struct tok *t, int n, bool merge, char *err,
    size_t errlen)
{
	struct bl_edge key;
	const struct tok *x = tok_get(t, n, "kind");
	uint64_t unit, master, code, first, last, count;
	int st = tok_status(t, n, err, errlen), kind;
	struct bl_fact *f;
	bool found;
	long ei, i;

	if (st < 0)
		return -1;
	if (!x) {
		snprintf(err, errlen, "missing kind=");
		return -1;
	}
	if (x->vn == 9 && memcmp(x->v, "modbus_fc", 9) == 0)
		kind = BL_FACT_MODBUS_FC;
	else if (x->vn == 7 && memcmp(x->v, "dnp3_fc", 7) == 0)
		kind = BL_FACT_DNP3_FC;
	else if (x->vn == 12 && memcmp(x->v, "modbus_write", 12) == 0)
		kind = BL_FACT_MODBUS_WRITE;
	else {
		snprintf(err, errlen, "bad kind=");
		return -1;
	}
	if (merge && (x = tok_get(t, n, "e")) && edge_parse(x->v, x->vn,
	    &key) == 0 && (bl_edge_slot(&key, &found) < 0 || !found))
		return 0;	/* merging: an edge we do not have adds nothing */
	if ((ei = tok_edge(t, n, false, &key, err, errlen)) < 0 ||
	    tok_u(t, n, "unit", 65535, true, &unit, err, errlen) ||
	    tok_u(t, n, "master", 65535, false, &master, err, errlen) ||
	    tok_u(t, n, "code", 255, true, &code, err, errlen) ||
	    tok_u(t, n, "first", UINT64_MAX, false, &first, err, errlen) ||
	    tok_u(t, n, "last", UINT64_MAX, false, &last, err, errlen) ||
	    tok_u(t, n, "count", UINT64_MAX, false, &count, err, errlen))
		return -1;
	if (kind == BL_FACT_MODBUS_WRITE && code > BL_TABLE_HOLDING) {
		snprintf(err, errlen, "bad code=");
		return -1;
	}
	i = bl_fact_slot((uint32_t)ei, (uint8_t)kind, (uint16_t)unit,
	    (uint16_t)master, (uint8_t)code, &found);
	if (merge) {
		if (i < 0 || !found)
			return 0;
		f = &bl_tab.fact[i];
		if (st == BASELINE_ACCEPTED && f->status == BASELINE_NEW)
			f->status = BASELINE_ACCEPTED;
		x = tok_get(t, n, "ranges");
		return x ? read_ranges(f, x, true, err, errlen) : 0;
	}
	if (i < 0) {
		snprintf(err, errlen, "too many facts");
		return -1;
	}
	f = &bl_tab.fact[i];
	if (!found)
		bl_tab.nfact++;
	memset(f, 0, sizeof(*f));
	f->used = 1;
	f->edge = (uint32_t)ei;
	f->kind = (uint8_t)kind;
	f->unit = (uint16_t)unit;
	f->master = (uint16_t)master;
	f->code = (uint8_t)code;
	f->status = (uint8_t)st;
	f->first_us = first;
	f->last_us = last;
	f->count = count;
	x = tok_get(t, n, "ranges");
	return x ? read_ranges(f, x, false, err, errlen) : 0;
}

int baseline_state_read(const char *line, bool merge_accepted, char *err,
    size_t errlen)
{
	struct tok t[BL_MAX_TOKS];
	int n = tokenize(line, t, BL_MAX_TOKS), rc;

	if (n < 0) {
		snprintf(err, errlen, "not a list of key=value");
		return -1;
	}
	pthread_mutex_lock(&bl_tab.lock);
	bl_tab.gen++;		/* indices cached by workers may have moved */
	if (strncmp(line, "baseline ", 9) == 0)
		rc = read_header(t, n, merge_accepted, err, errlen);
	else if (strncmp(line, "device ", 7) == 0)
		rc = read_device(t, n, merge_accepted, err, errlen);
	else if (strncmp(line, "edge ", 5) == 0)
		rc = read_edge(t, n, merge_accepted, err, errlen);
	else if (strncmp(line, "fact ", 5) == 0)
		rc = read_fact(t, n, merge_accepted, err, errlen);
	else {
		snprintf(err, errlen, "not a baseline line");
		rc = -1;
	}
	pthread_mutex_unlock(&bl_tab.lock);
	return rc;
}
