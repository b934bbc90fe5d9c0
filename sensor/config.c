/*
 * config.c - the YAML configuration file, read with libyaml's event API.
 *
 * Every key is one row of cfg_keys[]: its dotted path ("flows.timeouts.udp"),
 * its type and range, the struct config field it fills, its default and one
 * line of help.  The default is written as the text a user would put in the
 * file and goes through the same setter, so a row cannot have a default its
 * own parser would refuse.  Nested mappings in the file become dotted paths;
 * a path that is a proper prefix of some row is a section and must hold a
 * mapping (or nothing).  Adding a key is one row here plus its documentation
 * in deploy/spanlog.yaml.
 *
 * Errors read "FILE:LINE: key.path: message", LINE 1-based from libyaml's
 * marks.  Errors about a key or its value give the line of the key; YAML
 * syntax errors give libyaml's problem line and the key being read, if any
 * (errors with no key, such as a second document, drop the "key.path: ").
 *
 * Deliberately not supported: aliases, more than one document, sequences (no
 * key takes a list yet), dotted keys inside the file ("flows.max_flows: 1"),
 * quoted numbers or booleans, and any integer that is not plain decimal:
 * YAML 1.1 reads 010 as octal and 0x10 as hex, and we refuse rather than
 * guess.
 */
#include "sensor/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#define CFG_KEY_MAX 128			/* longest dotted path */
#define CFG_DEPTH_MAX 4			/* sections per path, for the seen set */
#define CFG_FILE_MAX (1024 * 1024)	/* a config file is small */
#define CFG_WORKERS_MAX 256
#define CFG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum cfg_type {
	CFG_STR,			/* char field[size], NUL-terminated */
	CFG_U32,			/* uint32_t, decimal, min..max */
	CFG_BOOL			/* bool: true/false, yes/no, on/off */
};

struct cfg_key {
	const char *path;		/* dotted, e.g. "flows.timeouts.udp" */
	enum cfg_type type;
	size_t off;			/* offsetof(struct config, field) */
	size_t size;			/* CFG_STR: sizeof field, NUL included */
	uint32_t min, max;		/* CFG_U32 */
	const char *def;		/* default, as written in the file */
	const char *help;		/* one line, for documentation */
};

/*
 * The 0 * sizeof(pointer comparison) terms add nothing to the offset; they
 * make the compiler complain ("distinct pointer types") when a row names a
 * field of the wrong type.
 */
#define CFG_CHK(f, t) (0 * sizeof(&((struct config *)0)->f == (t *)0))
#define ROW_STR(p, f, d, h) { p, CFG_STR, offsetof(struct config, f) +	\
	CFG_CHK(f[0], char), sizeof(((struct config *)0)->f), 0, 0, d, h }
#define ROW_U32(p, f, lo, hi, d, h) { p, CFG_U32,			\
	offsetof(struct config, f) + CFG_CHK(f, uint32_t),		\
	sizeof(uint32_t), lo, hi, d, h }
#define ROW_BOOL(p, f, d, h) { p, CFG_BOOL,				\
	offsetof(struct config, f) + CFG_CHK(f, bool),			\
	sizeof(bool), 0, 1, d, h }

/* clang-format off */
static const struct cfg_key cfg_keys[] = {
	/* "sensor" defaults to the host name; "spanlog" if there is none. */
	ROW_STR("sensor", sensor, "spanlog", "name written into every event"),
	ROW_STR("capture.interface", iface, "", "interface to capture on; empty = only -r files"),
	ROW_STR("capture.bpf", bpf, "", "BPF filter; empty = all packets"),
	ROW_U32("capture.snaplen", snaplen, 64, 262144, "262144", "bytes kept per packet"),
	ROW_U32("capture.buffer_mb", buffer_mb, 1, 4096, "64", "kernel ring per capture handle, MiB"),
	ROW_BOOL("capture.promisc", promisc, "true", "promiscuous mode on the interface"),
	ROW_U32("workers", workers, 0, CFG_WORKERS_MAX, "0", "worker threads; 0 = one per core"),
	ROW_STR("output.file", out_file, "-", "JSON-lines output file; \"-\" = stdout"),
	ROW_U32("flows.max_flows", max_flows, 1024, 100000000, "262144", "flow slots for the whole sensor"),
	ROW_U32("flows.timeouts.tcp", timeout_tcp, 1, 86400, "3600", "idle timeout of an established TCP flow, s"),
	ROW_U32("flows.timeouts.tcp_closed", timeout_tcp_closed, 1, 86400, "30", "TCP flow after FIN/RST, s"),
	ROW_U32("flows.timeouts.tcp_syn", timeout_tcp_syn, 1, 86400, "60", "TCP flow still in its handshake, s"),
	ROW_U32("flows.timeouts.udp", timeout_udp, 1, 86400, "60", "idle UDP flow, s"),
	ROW_U32("flows.timeouts.icmp", timeout_icmp, 1, 86400, "30", "idle ICMP flow, s"),
	ROW_U32("flows.timeouts.other", timeout_other, 1, 86400, "60", "idle flow of any other IP protocol, s"),
	ROW_U32("reassembly.memcap_mb", reasm_memcap_mb, 1, 65536, "256", "TCP reassembly budget, whole sensor, MiB"),
	ROW_U32("reassembly.depth_kb", reasm_depth_kb, 0, 1048576, "0", "bytes reassembled per direction, KiB; 0 = no limit"),
	ROW_U32("reassembly.max_ooo_kb", reasm_max_ooo_kb, 0, 1048576, "256", "out-of-order bytes held per direction, KiB"),
	ROW_U32("reassembly.app_buffer_kb", app_buffer_kb, 1, 16384, "64", "bytes a dissector may leave unconsumed, KiB"),
	ROW_U32("fragments.memcap_mb", frag_memcap_mb, 1, 4096, "32", "IP fragment reassembly budget, MiB"),
	ROW_U32("fragments.timeout", frag_timeout, 1, 600, "30", "incomplete fragment train dropped after, s"),
	ROW_BOOL("ndpi.enabled", ndpi_enabled, "true", "label flows with nDPI"),
	ROW_BOOL("dissectors.enabled", dissect_enabled, "true", "parse application protocols (false: flow records only)"),
	ROW_U32("ndpi.max_packets", ndpi_max_packets, 1, 1000, "32", "packets per flow before nDPI gives up"),
	ROW_U32("stats.interval", stats_interval, 0, 86400, "60", "stats event period when live, s; 0 = only at end"),
	ROW_STR("geoip.city", geoip_city, "", "GeoIP2/GeoLite2 City or Country .mmdb; empty = no country/city"),
	ROW_STR("geoip.asn", geoip_asn, "", "GeoLite2 ASN (or GeoIP2 ISP) .mmdb; empty = no ASN"),
	ROW_STR("ot.zones_file", ot_zones_file, "", "YAML file of zones and allowed conversations; empty = no zone policy"),
	ROW_U32("ot.alert_update_min", ot_alert_update_min, 1, 10080, "60", "a repeating alert is reported again at most every N minutes of capture time"),
	ROW_STR("ot.assets_realtime", ot_assets_realtime, "auto", "asset records as devices appear and change, not only the end-of-capture inventory: true, false, or auto (live yes, offline no)"),
	ROW_STR("ot.state_file", ot_state_file, "", "inventory and learned baseline kept across restarts; empty = in memory only"),
	ROW_U32("ot.learning_hours", ot_learning_hours, 1, 87600, "168", "capture time the baseline learns before it alerts (168 = 7 days)"),
	ROW_U32("ot.state_save_min", ot_state_save_min, 1, 1440, "5", "live: the state file is saved (and operators' accepts merged) every N minutes"),
	ROW_U32("ot.scan_hosts", ot_scan_hosts, 0, 64, "16", "hosts one plant address tries without a conversation in 5 minutes before an address-sweep alert; 0 = off"),
	ROW_U32("ot.scan_ports", ot_scan_ports, 0, 64, "16", "ports of one host tried without a conversation in 5 minutes before a port-scan alert; 0 = off"),
	ROW_STR("redis.url", redis_url, "", "redis://[user[:pass]@]host[:port][/db] or rediss://; empty = off"),
	ROW_STR("redis.password_file", redis_password_file, "", "file whose first line is the password"),
	ROW_STR("redis.password_env", redis_password_env, "", "environment variable holding the password"),
	ROW_STR("redis.prefix", redis_prefix, "", "stream name prefix; empty = spanlog:<sensor>"),
	ROW_U32("redis.maxlen", redis_maxlen, 0, 1000000000, "1000000", "MAXLEN ~ per event-type stream; 0 = no trim"),
	ROW_U32("redis.maxlen_device", redis_maxlen_device, 0, 1000000000, "10000", "MAXLEN ~ per device stream; 0 = no trim"),
	ROW_BOOL("redis.device_streams", redis_device_streams, "false", "also XADD OT events to <prefix>:device:<ip>"),
	ROW_U32("redis.queue_events", redis_queue_events, 16, 10000000, "16384", "events held in memory before the spool"),
	ROW_U32("redis.batch", redis_batch, 1, 100000, "512", "commands per pipelined batch"),
	ROW_U32("redis.flush_ms", redis_flush_ms, 1, 100, "50", "longest wait of the publisher for more events, ms"),
	ROW_U32("redis.timeout_ms", redis_timeout_ms, 100, 600000, "2000", "connect and reply timeout, ms"),
	ROW_U32("redis.drain_timeout_ms", redis_drain_ms, 0, 600000, "5000", "at exit, time to deliver before spooling, ms"),
	ROW_STR("redis.spool_dir", redis_spool_dir, "", "disk spool directory; empty = drop (counted) when memory is full"),
	ROW_U32("redis.spool_max_mb", redis_spool_max_mb, 1, 1048576, "1024", "spool cap, MiB; oldest events dropped past it"),
	ROW_STR("redis.tls.ca_file", redis_tls_ca, "", "CA bundle for rediss://; empty = system store"),
	ROW_STR("redis.tls.cert_file", redis_tls_cert, "", "client certificate (PEM) for rediss://"),
	ROW_STR("redis.tls.key_file", redis_tls_key, "", "client key (PEM) for rediss://"),
};
/* clang-format on */

#define CFG_NKEYS CFG_ARRAY_SIZE(cfg_keys)
#define CFG_SEEN_MAX (CFG_NKEYS * CFG_DEPTH_MAX)

/* ---------------------------------------------------------------- table */

/* vsnprintf into err (if there is room) and return -1. */
__attribute__((format(printf, 3, 4)))
static int cfg_invalid(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const struct cfg_key *cfg_find(const char *path)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++)
		if (strcmp(cfg_keys[i].path, path) == 0)
			return &cfg_keys[i];
	return NULL;
}

/* True if 'path' is a section: a proper prefix of some row, up to a dot. */
static bool cfg_is_section(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < CFG_NKEYS; i++)
		if (strncmp(cfg_keys[i].path, path, n) == 0 &&
		    cfg_keys[i].path[n] == '.')
			return true;
	return false;
}

/* Plain decimal, no sign, no leading zero, fits in 32 bits.  0 or -1. */
static int cfg_parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* YAML 1.1 booleans, the forms people actually write.  0 or -1. */
static int cfg_parse_bool(const char *s, size_t n, bool *out)
{
	static const char *const words[] = { "false", "true", "no", "yes",
	    "off", "on" };
	size_t i;

	for (i = 0; i < CFG_ARRAY_SIZE(words); i++)
		if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0) {
			*out = i % 2 == 1;
			return 0;
		}
	return -1;
}

/*
 * Sets the field of row k in *c from the scalar text v[0..n) ('plain': the
 * scalar was unquoted).  Numbers and booleans must be plain; an unquoted
 * empty value, "~" or "null" gives an empty string.  On failure writes the
 * reason to msg, leaves the field alone and returns -1.
 */
static int cfg_set(const struct cfg_key *k, struct config *c, const char *v,
    size_t n, bool plain, char *msg, size_t msglen)
{
	char *field = (char *)c + k->off;
	uint32_t u;
	bool b;

	switch (k->type) {
	case CFG_STR:
		if (memchr(v, '\0', n) != NULL)
			return cfg_invalid(msg, msglen, "contains a NUL byte");
		if (plain && (n == 0 || (n == 1 && v[0] == '~') ||
		    (n == 4 && strncasecmp(v, "null", 4) == 0)))
			n = 0;
		if (n >= k->size)
			return cfg_invalid(msg, msglen, "longer than %zu bytes",
			    k->size - 1);
		memcpy(field, v, n);
		field[n] = '\0';
		return 0;
	case CFG_U32:
		if (!plain || cfg_parse_u32(v, n, &u) < 0 || u < k->min ||
		    u > k->max)
			return cfg_invalid(msg, msglen, "expected an integer "
			    "from %" PRIu32 " to %" PRIu32, k->min, k->max);
		*(uint32_t *)(void *)field = u;
		return 0;
	case CFG_BOOL:
		if (!plain || cfg_parse_bool(v, n, &b) < 0)
			return cfg_invalid(msg, msglen,
			    "expected true/false, yes/no or on/off");
		*(bool *)(void *)field = b;
		return 0;
	}
	return cfg_invalid(msg, msglen, "internal error: bad key type");
}

void config_defaults(struct config *c)
{
	char msg[128];
	char host[256];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < CFG_NKEYS; i++)
		if (cfg_set(&cfg_keys[i], c, cfg_keys[i].def,
		    strlen(cfg_keys[i].def), true, msg, sizeof(msg)) < 0)
			abort();	/* a bad row, not bad input */

	/* gethostname need not terminate a truncated name */
	if (gethostname(host, sizeof(host) - 1) == 0) {
		host[sizeof(host) - 1] = '\0';
		if (host[0] != '\0' && strlen(host) < sizeof(c->sensor))
			memcpy(c->sensor, host, strlen(host) + 1);
	}
	/* read[], nread, progress and progress_set: zero from the memset */
}

/* --------------------------------------------------------------- parser */

struct cfg_parse {
	yaml_parser_t yp;
	struct config *c;
	const char *name;		/* file name for messages */
	const char *buf;		/* the whole input */
	size_t len;
	char *err;
	size_t errlen;
	char where[CFG_KEY_MAX];	/* path being read, for syntax errors */
	char seen[CFG_SEEN_MAX][CFG_KEY_MAX];
	size_t nseen;
};

__attribute__((format(printf, 4, 5)))
static void cfg_fail(struct cfg_parse *p, unsigned long line,
    const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path != NULL && path[0] != '\0')
		snprintf(p->err, p->errlen, "%s:%lu: %s: %s", p->name, line,
		    path, msg);
	else
		snprintf(p->err, p->errlen, "%s:%lu: %s", p->name, line, msg);
}

/* Next libyaml event; on a syntax error fills the message and returns -1. */
static int cfg_next(struct cfg_parse *p, yaml_event_t *ev)
{
	const yaml_parser_t *yp = &p->yp;
	unsigned long line = 1;
	size_t i;

	if (yaml_parser_parse(&p->yp, ev))
		return 0;
	if (yp->error == YAML_MEMORY_ERROR) {
		cfg_fail(p, yp->mark.line + 1, p->where, "out of memory");
		return -1;
	}
	if (yp->error == YAML_READER_ERROR) {
		/* reader errors (bad encoding) carry an offset, not a mark */
		for (i = 0; i < yp->problem_offset && i < p->len; i++)
			if (p->buf[i] == '\n')
				line++;
	} else {
		line = yp->problem_mark.line + 1;
	}
	cfg_fail(p, line, p->where, "YAML syntax error: %s%s%s%s",
	    yp->problem ? yp->problem : "unknown", yp->context ? " (" : "",
	    yp->context ? yp->context : "", yp->context ? ")" : "");
	return -1;
}

/*
 * Builds prefix.key into path[CFG_KEY_MAX] (always terminated, maybe cut
 * short).  -1 if the key cannot name a row: empty, too long, with a dot or NUL.
 */
static int cfg_join(char *path, const char *prefix, const char *key,
    size_t n)
{
	size_t pl = strlen(prefix);

	snprintf(path, CFG_KEY_MAX, "%s%s%.*s", prefix, pl > 0 ? "." : "",
	    (int)(n < CFG_KEY_MAX ? n : CFG_KEY_MAX), key);
	return n == 0 || pl + 1 + n >= CFG_KEY_MAX ||
	    memchr(key, '.', n) != NULL || memchr(key, '\0', n) != NULL ? -1 : 0;
}

/* Records path as seen.  1 if it was seen before, 0 if new, -1 if full. */
static int cfg_seen(struct cfg_parse *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i], path) == 0)
			return 1;
	if (p->nseen == CFG_SEEN_MAX)
		return -1;
	memcpy(p->seen[p->nseen++], path, strlen(path) + 1);
	return 0;
}

/* What an event is, for "expected X, found Y" (only node events get here). */
static const char *cfg_kind(yaml_event_type_t t)
{
	return t == YAML_SCALAR_EVENT ? "a scalar" :
	    t == YAML_MAPPING_START_EVENT ? "a mapping" :
	    t == YAML_SEQUENCE_START_EVENT ? "a sequence" : "an alias";
}

static bool cfg_is_null(const yaml_event_t *ev)
{
	return ev->type == YAML_SCALAR_EVENT &&
	    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    ev->data.scalar.length == 0;
}

/*
 * Reads the pairs of a mapping whose MAPPING-START has been consumed, up to
 * and including its MAPPING-END.  'prefix' is its dotted path ("" at the top).
 * Recursion is bounded by the table: an unknown section stops the parse.
 */
static int cfg_mapping(struct cfg_parse *p, const char *prefix)
{
	char path[CFG_KEY_MAX], msg[200];
	const struct cfg_key *k;
	yaml_event_t ev;
	unsigned long line;
	int rc, bad;

	for (;;) {
		memcpy(p->where, prefix, strlen(prefix) + 1);
		if (cfg_next(p, &ev) < 0)
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		line = ev.start_mark.line + 1;
		if (ev.type != YAML_SCALAR_EVENT) {
			cfg_fail(p, line, prefix, "expected a scalar key, found %s",
			    cfg_kind(ev.type));
			yaml_event_delete(&ev);
			return -1;
		}
		bad = cfg_join(path, prefix, (const char *)ev.data.scalar.value,
		    ev.data.scalar.length);
		yaml_event_delete(&ev);

		k = bad ? NULL : cfg_find(path);
		if (k == NULL && (bad || !cfg_is_section(path))) {
			cfg_fail(p, line, path, "unknown key");
			return -1;
		}
		rc = cfg_seen(p, path);
		if (rc != 0) {
			cfg_fail(p, line, path, rc > 0 ? "duplicate key" :
			    "too many keys");
			return -1;
		}

		memcpy(p->where, path, strlen(path) + 1);
		if (cfg_next(p, &ev) < 0)
			return -1;
		rc = 0;
		if (ev.type == YAML_ALIAS_EVENT) {
			cfg_fail(p, line, path, "aliases are not supported");
			rc = -1;
		} else if (k != NULL && ev.type == YAML_SCALAR_EVENT) {
			if (cfg_set(k, p->c, (const char *)ev.data.scalar.value,
			    ev.data.scalar.length, ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE, msg, sizeof(msg)) < 0) {
				cfg_fail(p, line, path, "%s", msg);
				rc = -1;
			}
		} else if (k != NULL) {
			cfg_fail(p, line, path, "expected a scalar, found %s",
			    cfg_kind(ev.type));
			rc = -1;
		} else if (ev.type == YAML_MAPPING_START_EVENT) {
			rc = cfg_mapping(p, path);
		} else if (!cfg_is_null(&ev)) {
			/* an empty section ("ndpi:" alone) is fine */
			cfg_fail(p, line, path, "expected a mapping, found %s",
			    cfg_kind(ev.type));
			rc = -1;
		}
		yaml_event_delete(&ev);
		if (rc < 0)
			return -1;
	}
}

/* The whole stream: at most one document whose root is a mapping or empty. */
static int cfg_stream(struct cfg_parse *p)
{
	yaml_event_t ev;
	int ndocs = 0, rc;

	for (;;) {
		if (cfg_next(p, &ev) < 0)
			return -1;
		rc = 0;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (ndocs++ > 0) {
				cfg_fail(p, ev.start_mark.line + 1, NULL,
				    "only one YAML document is allowed");
				rc = -1;
			}
			break;
		case YAML_MAPPING_START_EVENT:
			rc = cfg_mapping(p, "");
			break;
		default:
			if (!cfg_is_null(&ev)) {
				cfg_fail(p, ev.start_mark.line + 1, NULL,
				    "expected a mapping at the top level, "
				    "found %s", cfg_kind(ev.type));
				rc = -1;
			}
			break;
		}
		yaml_event_delete(&ev);
		if (rc < 0)
			return -1;
	}
}

int config_load_string(struct config *c, const char *yaml, size_t len,
    const char *name, char *err, size_t errlen)
{
	struct cfg_parse *p;
	struct config tmp = *c;
	int rc;

	/* about 12 KiB with the seen set: keep it off the stack */
	p = calloc(1, sizeof(*p));
	if (p == NULL || !yaml_parser_initialize(&p->yp)) {
		free(p);
		return cfg_invalid(err, errlen, "%s: out of memory", name);
	}
	p->c = &tmp;
	p->name = name;
	p->buf = yaml;
	p->len = len;
	p->err = err;
	p->errlen = errlen;
	yaml_parser_set_input_string(&p->yp, (const unsigned char *)yaml, len);
	rc = cfg_stream(p);
	yaml_parser_delete(&p->yp);
	free(p);
	if (rc == 0)
		*c = tmp;	/* all or nothing */
	return rc;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	size_t n;
	int rc = -1;

	f = fopen(path, "rb");
	if (f == NULL)
		return cfg_invalid(err, errlen, "%s: %s", path, strerror(errno));
	buf = malloc(CFG_FILE_MAX);
	n = buf != NULL ? fread(buf, 1, CFG_FILE_MAX, f) : 0;
	if (buf == NULL)
		cfg_invalid(err, errlen, "%s: out of memory", path);
	else if (ferror(f))
		cfg_invalid(err, errlen, "%s: read error", path);
	else if (n == CFG_FILE_MAX && fgetc(f) != EOF)
		cfg_invalid(err, errlen, "%s: larger than %d bytes", path,
		    CFG_FILE_MAX);
	else
		rc = config_load_string(c, buf, n, path, err, errlen);
	free(buf);
	fclose(f);
	return rc;
}

/* ----------------------------------------------------------- validation */

int config_assets_realtime(const struct config *c)
{
	const char *v = c->ot_assets_realtime;
	bool b;

	if (strcmp(v, "auto") == 0)
		return c->iface[0] != '\0';
	if (cfg_parse_bool(v, strlen(v), &b) != 0)
		return -1;
	return b;
}

int config_validate(const struct config *c, char *err, size_t errlen)
{
	const char *base = (const char *)c;
	const struct cfg_key *k;
	uint32_t u;
	int i;

	/*
	 * Ranges again (this also caps workers at CFG_WORKERS_MAX): command-line
	 * flags write fields without going through the parser.
	 */
	for (k = cfg_keys; k < cfg_keys + CFG_NKEYS; k++) {
		if (k->type == CFG_STR &&
		    memchr(base + k->off, '\0', k->size) == NULL)
			return cfg_invalid(err, errlen, "%s: not terminated",
			    k->path);
		if (k->type != CFG_U32)
			continue;
		u = *(const uint32_t *)(const void *)(base + k->off);
		if (u < k->min || u > k->max)
			return cfg_invalid(err, errlen, "%s: %" PRIu32
			    " is not from %" PRIu32 " to %" PRIu32, k->path, u,
			    k->min, k->max);
	}
	if (c->sensor[0] == '\0')
		return cfg_invalid(err, errlen, "sensor: must not be empty");
	if (c->out_file[0] == '\0')
		return cfg_invalid(err, errlen,
		    "output.file: must not be empty (\"-\" is stdout)");
	if (c->nread < 0 || c->nread > CONFIG_MAX_READ)
		return cfg_invalid(err, errlen, "-r: at most %d files",
		    CONFIG_MAX_READ);
	for (i = 0; i < c->nread; i++)
		if (c->read[i] == NULL || c->read[i][0] == '\0')
			return cfg_invalid(err, errlen, "-r: empty file name");
	if (c->iface[0] != '\0' && c->nread > 0)
		return cfg_invalid(err, errlen,
		    "capture.interface: cannot be used together with -r");
	if (c->iface[0] == '\0' && c->nread == 0)
		return cfg_invalid(err, errlen, "nothing to read: set "
		    "capture.interface or give -r FILE");
	if ((uint64_t)c->reasm_max_ooo_kb > (uint64_t)c->reasm_memcap_mb * 1024)
		return cfg_invalid(err, errlen, "reassembly.max_ooo_kb: %" PRIu32
		    " KiB is more than reassembly.memcap_mb (%" PRIu32 " MiB)",
		    c->reasm_max_ooo_kb, c->reasm_memcap_mb);
	if ((uint64_t)c->app_buffer_kb > (uint64_t)c->reasm_memcap_mb * 1024)
		return cfg_invalid(err, errlen, "reassembly.app_buffer_kb: %"
		    PRIu32 " KiB is more than reassembly.memcap_mb (%" PRIu32
		    " MiB)", c->app_buffer_kb, c->reasm_memcap_mb);
	if (config_assets_realtime(c) < 0)
		return cfg_invalid(err, errlen, "ot.assets_realtime: \"%s\" is "
		    "not auto, true or false", c->ot_assets_realtime);
	if (c->progress_set < -1 || c->progress_set > 1)
		return cfg_invalid(err, errlen, "progress: bad setting %d",
		    c->progress_set);
	return 0;
}
