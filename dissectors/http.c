/*
 * http.c - HTTP/1.x dissector: one event per request/response pair.
 *
 * HTTP/1.x is a text protocol over a TCP stream.  The client sends requests,
 * the server answers each with zero or more interim (1xx) responses and one
 * final response, in the order the requests were sent (pipelining), on a
 * connection that may carry many transactions (keep-alive).
 *
 * clang-format off
 *
 *   request:   METHOD SP request-target SP HTTP/x.y CRLF
 *              *( field-name ":" OWS field-value OWS CRLF )
 *              CRLF
 *              [ body: Content-Length bytes | chunked | none ]
 *
 *   response:  HTTP/x.y SP 3DIGIT [SP reason] CRLF
 *              *( field-name ":" OWS field-value OWS CRLF )
 *              CRLF
 *              [ body: none (HEAD, 1xx, 204, 304, CONNECT 2xx) |
 *                      chunked | Content-Length | until close ]
 *
 *   chunked:   *( chunk-size-hex [; ext] CRLF  data CRLF )
 *              "0" [; ext] CRLF  *( trailer-field CRLF )  CRLF
 *
 * clang-format on
 *
 * References: RFC 9112 (HTTP/1.1 messaging): 2.2 (leading empty lines
 * ignored), 3 (request line), 3.2.3 (authority-form, CONNECT), 4 (status
 * line), 5 (field syntax; 5.2 obs-fold), 6.3 (message body length: the
 * order of rules used here), 7.1 (chunked coding, extensions, trailers);
 * RFC 9110 9.3.6 (CONNECT, 2xx turns the connection into a tunnel), 15.2
 * (1xx interim responses), 11.6.2 and RFC 7617 (Basic: user-id ":" password,
 * base64); RFC 1945 (HTTP/0.9 simple request: "GET" SP URI, no headers, the
 * response is raw bytes until close).
 *
 * Records.  The flow state (APP_STATE_MAX = 512 bytes) holds only framing
 * state and a queue of at most HTTP_MAX_PENDING (8) outstanding
 * transactions, each a 16-bit slot number.  The strings of a transaction
 * live in a per-thread pool of HTTP_POOL_SIZE (4096) records (about 4.6 KiB
 * each, ~19 MiB of address space per worker, allocated once on first use
 * with calloc so untouched pages stay out of the resident set, freed when
 * the thread exits).  A flow is always handled by one worker thread, so the
 * pool needs no lock; the state remembers which pool its slots belong to and
 * never touches another thread's pool.  If the pool is empty when a request
 * line arrives, the request is emitted at once with what its request line
 * says (no_record, not matched) and its response is only framed, not logged.
 *
 * Pairing.  Responses pair with the oldest request whose response is not
 * done.  When the queue is full, a further request is still parsed into a
 * record but emitted as soon as it is complete (not matched, anomaly
 * app.limit_reached once per flow); the number of such requests is kept so
 * the responses that later arrive for them are logged on their own
 * (response only) instead of being paired with the wrong request.
 *
 * Timing.  The event timestamp is the capture time of the request line (of
 * the status line for a response without a request); rtt_ms is the first
 * byte of the first response (interim included) minus that.
 *
 * Deliberately not handled: HTTP/2 and HTTP/3 (prior knowledge h2c is not
 * HTTP/1.x and is refused by the probe), content decoding (gzip) and body
 * extraction, multipart, Content-Range, header values other than those
 * logged, requests that answer a 1xx with a body, several Content-Length
 * values that disagree (the first one wins), and traffic inside a CONNECT
 * or Upgrade tunnel (counted by the flow record only).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissector.h"
#include "recpool.h"
#include "rd.h"
#include "txtline.h"

#define HTTP_PORT 80
#define HTTP_PORT_ALT 8080
#define HTTP_LINE_MAX 8192		/* longer start/header lines are skipped */
#define HTTP_PROBE_MIN 16		/* bytes enough to decide without a line end */
#define HTTP_MAX_PENDING 8
#define HTTP_POOL_SIZE 4096
#define HTTP_SLOT_NONE 0xffff
#define HTTP_B64_MAX 256		/* base64 characters looked at for a user */
#define HTTP_VER_BUF 12			/* "HTTP/" + up to 6 digits and dots */

_Static_assert(HTTP_POOL_SIZE < HTTP_SLOT_NONE, "slot numbers are 16-bit");

enum http_phase {
	HP_START,		/* expecting a start line (empty lines skipped) */
	HP_HEADERS,
	HP_BODY_CL,		/* 'remain' bytes of Content-Length body */
	HP_CHUNK_SIZE,
	HP_CHUNK_DATA,		/* 'remain' bytes of one chunk */
	HP_CHUNK_END,		/* the CRLF after chunk data */
	HP_TRAILER,
	HP_BODY_CLOSE,		/* response body until the connection closes */
	HP_CONNECT_WAIT,	/* request side: CONNECT sent, answer pending */
	HP_TUNNEL,		/* opaque bytes: counted, never parsed */
	HP_RESYNC,		/* lost framing: skip lines up to a start line */
};

enum http_dflag {
	HD_SKIP_LINE = 1 << 0,		/* dropping the rest of an overlong line */
	HD_TE_CHUNKED = 1 << 1,		/* Transfer-Encoding ends in chunked */
	HD_TE_OTHER = 1 << 2,		/* Transfer-Encoding without chunked */
	HD_HAS_CL = 1 << 3,
	HD_BAD_CL = 1 << 4,
	HD_SAID_MALFORMED = 1 << 5,	/* one anomaly per loss of sync */
	HD_INTERIM = 1 << 6,		/* the response being read is 1xx */
	HD_FIRST_TS = 1 << 7,		/* first_ts holds this response's start */
};

enum http_dflag2 {
	HD2_ORPHAN = 1 << 0,		/* response without a queued request */
	HD2_UNQUEUED = 1 << 1,		/* request beyond the queue bound */
	HD2_ACTIVE = 1 << 2,		/* a message is being read */
};

/* Per-direction framing state. */
struct http_dir {
	uint64_t remain;	/* body bytes left: Content-Length or chunk */
	uint64_t cl;		/* Content-Length of the message being read */
	uint64_t first_ts;	/* response: capture time of its first byte */
	uint16_t slot;		/* record being filled, or HTTP_SLOT_NONE */
	uint16_t status;	/* response: status code being read */
	uint8_t phase;		/* enum http_phase */
	uint8_t flags;		/* enum http_dflag */
	uint8_t flags2;		/* enum http_dflag2 */
	uint8_t qflags;		/* response: copy of the request's queue flags */
};

enum http_qflag {
	HQ_HEAD = 1 << 0,	/* response has no body */
	HQ_CONNECT = 1 << 1,
	HQ_HTTP09 = 1 << 2,	/* response is raw bytes until close */
	HQ_REQ_DONE = 1 << 3,
	HQ_RESP_DONE = 1 << 4,
};

/* One outstanding transaction, oldest first. */
struct http_qent {
	uint16_t slot;		/* HTTP_SLOT_NONE: pool was empty */
	uint16_t skip_before;	/* responses of unqueued requests come first */
	uint8_t flags;		/* enum http_qflag */
};

enum http_sflag {
	HS_SAID_TOO_MANY = 1 << 0,
	HS_SAID_POOL = 1 << 1,
};

struct http_state {
	const void *pool;	/* the pool our slots are in; NULL = none yet */
	struct http_dir dir[2];	/* [DIR_TO_SERVER], [DIR_TO_CLIENT] */
	struct http_qent q[HTTP_MAX_PENDING];
	uint8_t nq;
	uint8_t flags;		/* enum http_sflag */
	uint16_t unqueued;	/* requests not queued since the last queued */
	uint32_t ntx;		/* transactions so far (trans_depth) */
};

_Static_assert(sizeof(struct http_state) <= APP_STATE_MAX,
    "http state over budget");

/* ------------------------------------------------------------------------
 * The per-thread record pool
 * --------------------------------------------------------------------- */

struct http_rec {
	struct ev_http ev;
	uint64_t req_ts;	/* capture time of the request line */
	uint64_t resp_ts;	/* first byte of the first response */
	bool has_resp_ts;
	bool host_from_target;	/* CONNECT: a Host header may replace it */
};

static struct recpool http_recs =
    RECPOOL_INIT(sizeof(struct http_rec), HTTP_POOL_SIZE, 0);

/* A zeroed record for this flow, or HTTP_SLOT_NONE. */
static uint16_t rec_alloc(struct http_state *st)
{
	struct recpool_tls *pl = recpool_get(&http_recs);
	int slot;

	if (!pl || (st->pool && st->pool != pl))
		return HTTP_SLOT_NONE;
	slot = recpool_alloc(pl);
	if (slot < 0)
		return HTTP_SLOT_NONE;
	st->pool = pl;
	return (uint16_t)slot;
}

static struct http_rec *rec_get(const struct http_state *st, uint16_t slot)
{
	struct recpool_tls *pl = recpool_peek(&http_recs);

	if (!st->pool || st->pool != pl)
		return NULL;
	return recpool_rec(pl, slot);
}

static void rec_free(struct http_state *st, uint16_t slot)
{
	if (rec_get(st, slot))
		recpool_free(recpool_peek(&http_recs), slot);
}

/* Emits the record (copies it out) and returns the slot to the pool. */
static void rec_emit(struct http_state *st, struct flow_ctx *fc, uint16_t slot)
{
	struct http_rec *r = rec_get(st, slot);
	struct ev_http *e;

	if (!r)
		return;
	e = &r->ev;
	flow_ev_init(fc, &e->h, EV_HTTP, DIR_TO_SERVER);
	if (e->flags & EV_HTTP_HAS_REQUEST) {
		e->h.ts_us = r->req_ts;
		if (r->has_resp_ts && r->resp_ts >= r->req_ts) {
			e->rtt_us = r->resp_ts - r->req_ts;
			e->has_rtt = true;
		}
	} else if (r->has_resp_ts) {
		e->h.ts_us = r->resp_ts;
	}
	out_emit(&e->h);
	rec_free(st, slot);
}

/* ------------------------------------------------------------------------
 * Small text helpers (all reads bounded by the cursor)
 * --------------------------------------------------------------------- */

/* The next byte without consuming it, or -1 at the end. */
static int hr_peek(const struct rd *r)
{
	return r->short_read || r->left == 0 ? -1 : r->p[0];
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(int c)
{
	if (c < 0)
		return false;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Borrows the run of bytes accepted by 'ok' at the cursor; *n its length. */
static const uint8_t *hr_span(struct rd *r, bool (*ok)(int), size_t *n)
{
	size_t k = 0;

	while (k < r->left && !r->short_read && ok(r->p[k]))
		k++;
	*n = k;
	return rd_ptr(r, k);
}

static bool is_sp(int c)
{
	return c == ' ' || c == '\t';
}

static void hr_skip_sp(struct rd *r)
{
	size_t n;

	(void)hr_span(r, is_sp, &n);
}

/* Trims spaces and tabs at both ends of [*p, *p + *n). */
static void trim_ows(const uint8_t **p, size_t *n)
{
	while (*n && is_sp((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_sp((*p)[*n - 1]))
		(*n)--;
}

/* Copies n bytes into dst[cap] with a NUL; sets 'bit' in *trunc if cut. */
static void copy_field(char *dst, size_t cap, const uint8_t *s, size_t n,
    uint32_t *trunc, uint32_t bit)
{
	size_t k = n < cap - 1 ? n : cap - 1;

	for (size_t i = 0; i < k; i++)
		dst[i] = s[i] ? (char)s[i] : '?';	/* keep strings whole */
	dst[k] = '\0';
	if (k < n)
		*trunc |= bit;
}

static bool bytes_ieq(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (n != l)
		return false;
	for (size_t i = 0; i < n; i++) {
		int a = p[i], b = (unsigned char)s[i];

		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (b >= 'A' && b <= 'Z')
			b += 32;
		if (a != b)
			return false;
	}
	return true;
}

static bool is_ver_char(int c)
{
	return is_digit(c) || c == '.';
}

/*
 * "HTTP/" then 1..HTTP_VER_MAX digits and dots at the cursor (RFC 9112
 * 2.3 says DIGIT "." DIGIT; "HTTP/1." and "HTTP/1.10" are seen and logged
 * as they are, as Zeek and tshark do); fills ver.  0 or -1.
 */
static int parse_version(struct rd *r, char ver[HTTP_VER_BUF])
{
	const uint8_t *v = rd_ptr(r, 5), *d;
	size_t dl;

	if (!v || memcmp(v, "HTTP/", 5) != 0)
		return -1;
	d = hr_span(r, is_ver_char, &dl);
	if (dl == 0 || dl > HTTP_VER_BUF - 6 || !is_digit(d[0]))
		return -1;
	memcpy(ver, v, 5);
	memcpy(ver + 5, d, dl);
	ver[5 + dl] = '\0';
	return 0;
}

/* ------------------------------------------------------------------------
 * Start lines
 * --------------------------------------------------------------------- */

/* Methods the probe accepts (case-sensitive, RFC 9110 9.1). */
static const char *const http_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
	"PATCH", "QUERY",
	/* WebDAV (RFC 4918, 3253, 3744, 4791, 5323, 5842) */
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
	"SEARCH", "REPORT", "MKACTIVITY", "CHECKOUT", "CHECKIN", "UNCHECKOUT",
	"MERGE", "MKCALENDAR", "MKWORKSPACE", "UPDATE", "LABEL", "ACL",
	"BIND", "UNBIND", "REBIND", "VERSION-CONTROL", "BASELINE-CONTROL",
	"ORDERPATCH",
	/* others seen in the wild */
	"PURGE", "LINK", "UNLINK", "SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY", "POLL",
	"BMOVE", "BDELETE", "BPROPFIND", "BPROPPATCH", "BCOPY", "RPC_IN_DATA",
	"RPC_OUT_DATA", "CCM_POST",
	NULL
};

/* 1: a known method; 0: a prefix of one; -1: neither. */
static int method_known(const uint8_t *p, size_t n)
{
	int prefix = 0;

	for (int i = 0; http_methods[i]; i++) {
		size_t l = strlen(http_methods[i]);

		if (n <= l && memcmp(p, http_methods[i], n) == 0) {
			if (n == l)
				return 1;
			prefix = 1;
		}
	}
	return prefix ? 0 : -1;
}

struct http_reqline {
	const uint8_t *method, *target;
	size_t method_len, target_len;
	char ver[HTTP_VER_BUF];	/* "" for HTTP/0.9 */
};

/*
 * Parses a request line (borrowed bytes, no CR/LF).  Lenient where real
 * clients are: several spaces between parts, spaces inside the target (the
 * version is the last word).  HTTP/0.9 ("GET /x") needs a known method.
 * Returns 0 or -1.
 */
static int parse_request_line(const uint8_t *p, size_t n,
    struct http_reqline *rl)
{
	struct rd r = rd_init(p, n);
	struct rd vr;
	size_t last_sp = 0;

	memset(rl, 0, sizeof(*rl));
	rl->method = hr_span(&r, is_tchar, &rl->method_len);
	if (rl->method_len == 0 || !is_sp(hr_peek(&r)))
		return -1;
	hr_skip_sp(&r);
	while (r.left && is_sp(r.p[r.left - 1]))
		r.left--;
	if (r.left == 0)
		return -1;
	/* The version is the last space-separated word. */
	for (size_t i = r.left; i-- > 0;) {
		if (is_sp(r.p[i])) {
			last_sp = i;
			break;
		}
	}
	if (last_sp == 0) {
		struct rd whole = r;

		/* "GET HTTP/1.1": an empty target (Zeek logs it so). */
		if (parse_version(&whole, rl->ver) == 0 && whole.left == 0) {
			rl->target = r.p;
			return 0;
		}
		rl->ver[0] = '\0';
		/* HTTP/0.9 simple request: method SP target. */
		if (method_known(rl->method, rl->method_len) != 1)
			return -1;
		rl->target = r.p;
		rl->target_len = r.left;
		return 0;
	}
	vr = rd_init(r.p + last_sp + 1, r.left - last_sp - 1);
	if (parse_version(&vr, rl->ver) != 0 || vr.left != 0) {
		rl->ver[0] = '\0';
		return -1;
	}
	rl->target = r.p;
	rl->target_len = last_sp;
	trim_ows(&rl->target, &rl->target_len);
	for (size_t i = 0; i < rl->target_len; i++)
		if (rl->target[i] < 0x21 && !is_sp(rl->target[i]))
			return -1;	/* control bytes: not a request */
	return 0;
}

/* Parses "HTTP/x.y SP 3DIGIT [SP reason]"; 0 or -1. */
static int parse_status_line(const uint8_t *p, size_t n, char ver[HTTP_VER_BUF],
    uint16_t *status)
{
	struct rd r = rd_init(p, n);
	size_t dl;
	const uint8_t *d;

	if (parse_version(&r, ver) != 0 || !is_sp(hr_peek(&r)))
		return -1;
	hr_skip_sp(&r);
	d = hr_span(&r, is_digit, &dl);
	if (dl != 3 || (r.left && !is_sp(hr_peek(&r))))
		return -1;
	*status = (uint16_t)((d[0] - '0') * 100 + (d[1] - '0') * 10 +
	    (d[2] - '0'));
	return *status >= 100 ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * Probe
 * --------------------------------------------------------------------- */

/* Compares the bytes we have against a pattern ('#' = digit, '*' = any). */
static enum probe_result probe_pattern(const uint8_t *p, size_t n,
    const char *pat)
{
	size_t l = strlen(pat);

	for (size_t i = 0; i < l; i++) {
		if (i == n)
			return PROBE_MORE;
		if (pat[i] == '#' ? !is_digit(p[i]) : p[i] != (uint8_t)pat[i])
			return PROBE_NO;
	}
	return PROBE_YES;
}

static bool is_target_char(int c)
{
	return c > 0x20 && c < 0x7f;
}

static enum probe_result http_probe(const uint8_t *p, size_t n, enum dir d,
    uint16_t sport, uint16_t dport)
{
	struct rd r = rd_init(p, n);
	struct http_reqline rl;
	struct txt_line ln;
	const uint8_t *m;
	size_t ml, tl;

	(void)d;
	(void)sport;
	(void)dport;
	if (n == 0)
		return PROBE_MORE;
	if (p[0] == 'H' && (n < 2 || p[1] == 'T'))
		return probe_pattern(p, n, "HTTP/#.# ###");
	m = hr_span(&r, is_tchar, &ml);
	if (!m || ml == 0)
		return PROBE_NO;
	if (r.left == 0)
		return method_known(m, ml) >= 0 ? PROBE_MORE : PROBE_NO;
	if (method_known(m, ml) != 1 || hr_peek(&r) != ' ')
		return PROBE_NO;
	if (txt_next_line(p, n, HTTP_LINE_MAX, &ln) == TXT_LINE)
		return parse_request_line(ln.p, ln.len, &rl) == 0 ? PROBE_YES :
		    PROBE_NO;
	/* No line end yet: a known method, a space and a target will do. */
	rd_skip(&r, 1);
	(void)hr_span(&r, is_target_char, &tl);
	if (r.left && hr_peek(&r) != ' ')
		return PROBE_NO;	/* control bytes in the target */
	return n >= HTTP_PROBE_MIN && tl > 0 ? PROBE_YES : PROBE_MORE;
}

/* ------------------------------------------------------------------------
 * Transactions
 * --------------------------------------------------------------------- */

static struct http_rec *dir_rec(const struct http_state *st, enum dir d)
{
	return rec_get(st, st->dir[d].slot);
}

static void dir_reset_msg(struct http_dir *ds)
{
	ds->flags &= (uint8_t)(HD_SKIP_LINE | HD_FIRST_TS);
	ds->remain = 0;
	ds->cl = 0;
}

/* Emits every transaction at the front of the queue that is finished. */
static void queue_pop_done(struct http_state *st, struct flow_ctx *fc)
{
	while (st->nq && (st->q[0].flags & (HQ_REQ_DONE | HQ_RESP_DONE)) ==
	    (HQ_REQ_DONE | HQ_RESP_DONE)) {
		rec_emit(st, fc, st->q[0].slot);
		memmove(&st->q[0], &st->q[1], (size_t)(st->nq - 1) * sizeof(st->q[0]));
		st->nq--;
	}
}

/* Index of the transaction the next response answers, or -1. */
static int queue_resp_index(const struct http_state *st)
{
	for (int i = 0; i < st->nq; i++)
		if (!(st->q[i].flags & HQ_RESP_DONE))
			return i;
	return -1;
}

static void set_tunnel(struct http_state *st)
{
	st->dir[DIR_TO_CLIENT].phase = HP_TUNNEL;
	if (st->dir[DIR_TO_SERVER].phase == HP_START ||
	    st->dir[DIR_TO_SERVER].phase == HP_CONNECT_WAIT ||
	    st->dir[DIR_TO_SERVER].phase == HP_RESYNC)
		st->dir[DIR_TO_SERVER].phase = HP_TUNNEL;
}

/* The request being read is complete (or given up, 'incomplete'). */
static void request_done(struct http_state *st, struct flow_ctx *fc,
    bool incomplete)
{
	struct http_dir *ds = &st->dir[DIR_TO_SERVER];
	struct http_rec *r = dir_rec(st, DIR_TO_SERVER);
	bool connect = false;

	if (!(ds->flags2 & HD2_ACTIVE))
		return;
	if (r && incomplete && !(r->ev.flags & EV_HTTP_HTTP09))
		r->ev.flags |= EV_HTTP_REQ_INCOMPLETE;
	if (ds->flags2 & HD2_UNQUEUED) {
		rec_emit(st, fc, ds->slot);
	} else if (st->nq) {
		struct http_qent *q = &st->q[st->nq - 1];

		q->flags |= HQ_REQ_DONE;
		connect = (q->flags & (HQ_CONNECT | HQ_RESP_DONE)) == HQ_CONNECT;
	}
	ds->slot = HTTP_SLOT_NONE;
	ds->flags2 = 0;
	dir_reset_msg(ds);
	if (ds->phase != HP_TUNNEL)
		ds->phase = connect && !incomplete ? HP_CONNECT_WAIT : HP_START;
	queue_pop_done(st, fc);
}

/* The response being read is complete (or given up, 'incomplete'). */
static void response_done(struct http_state *st, struct flow_ctx *fc,
    bool incomplete)
{
	struct http_dir *ds = &st->dir[DIR_TO_CLIENT];
	struct http_rec *r = dir_rec(st, DIR_TO_CLIENT);

	if (!(ds->flags2 & HD2_ACTIVE))
		return;
	if (r && incomplete)
		r->ev.flags |= EV_HTTP_RESP_INCOMPLETE;
	if (ds->flags2 & HD2_ORPHAN) {
		rec_emit(st, fc, ds->slot);
	} else {
		int i = queue_resp_index(st);

		if (i >= 0)
			st->q[i].flags |= HQ_RESP_DONE;
	}
	ds->slot = HTTP_SLOT_NONE;
	ds->flags2 = 0;
	ds->flags &= (uint8_t)~HD_FIRST_TS;
	dir_reset_msg(ds);
	if (ds->phase != HP_TUNNEL)
		ds->phase = HP_START;
	/* A CONNECT that was refused: the client may send a new request. */
	if (st->dir[DIR_TO_SERVER].phase == HP_CONNECT_WAIT)
		st->dir[DIR_TO_SERVER].phase = HP_START;
	queue_pop_done(st, fc);
}

static void message_done(struct http_state *st, struct flow_ctx *fc,
    enum dir d, bool incomplete)
{
	if (d == DIR_TO_SERVER)
		request_done(st, fc, incomplete);
	else
		response_done(st, fc, incomplete);
}

static void say_malformed(struct http_state *st, struct flow_ctx *fc,
    enum dir d, const char *what)
{
	struct http_dir *ds = &st->dir[d];

	if (ds->flags & HD_SAID_MALFORMED)
		return;
	ds->flags |= HD_SAID_MALFORMED;
	flow_anomaly(fc, d, ANOM_APP_MALFORMED, "http", "%s", what);
}

/* Emits a request we have no record for, from its request line alone. */
static void emit_bare_request(struct http_state *st, struct flow_ctx *fc,
    const struct http_reqline *rl)
{
	struct ev_http e;

	memset(&e, 0, sizeof(e));
	flow_ev_init(fc, &e.h, EV_HTTP, DIR_TO_SERVER);
	e.flags = EV_HTTP_HAS_REQUEST | EV_HTTP_NO_RECORD;
	e.trans_depth = st->ntx;
	copy_field(e.method, sizeof(e.method), rl->method, rl->method_len,
	    &e.trunc, EV_HTTP_TR_METHOD);
	copy_field(e.url, sizeof(e.url), rl->target, rl->target_len, &e.trunc,
	    EV_HTTP_TR_URL);
	copy_field(e.protocol, sizeof(e.protocol), (const uint8_t *)rl->ver,
	    strlen(rl->ver), &e.trunc, EV_HTTP_TR_PROTO);
	out_emit(&e.h);
}

/* Splits "host[:port]" / "[v6]:port"; copies the host, returns the port. */
static uint16_t split_host_port(struct ev_http *e, const uint8_t *p,
    size_t n)
{
	size_t hl = n, i;
	uint32_t port = 0;
	const uint8_t *h = p;

	if (n && p[0] == '[') {
		const uint8_t *rb = memchr(p, ']', n);

		if (rb) {
			h = p + 1;
			hl = (size_t)(rb - p) - 1;
			i = (size_t)(rb - p) + 1;
		} else {
			i = n;
		}
	} else {
		const uint8_t *c = memchr(p, ':', n);

		i = c ? (size_t)(c - p) : n;
		hl = i;
	}
	if (i < n && p[i] == ':') {
		for (size_t k = i + 1; k < n && is_digit(p[k]) && port <= 65535; k++)
			port = port * 10 + (uint32_t)(p[k] - '0');
		if (port > 65535)
			port = 0;
	}
	copy_field(e->hostname, sizeof(e->hostname), h, hl, &e->trunc,
	    EV_HTTP_TR_HOST);
	return (uint16_t)port;
}

/* "scheme://authority/..." (absolute-form): host and port of the URI. */
static void host_from_absolute(struct ev_http *e, const uint8_t *p, size_t n)
{
	const uint8_t *s = NULL;
	size_t k;

	for (k = 0; k + 2 < n && k < 16; k++) {
		if (p[k] == ':' && p[k + 1] == '/' && p[k + 2] == '/') {
			s = p + k + 3;
			break;
		}
		if (!((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z')))
			return;
	}
	if (!s)
		return;
	n -= (size_t)(s - p);
	for (k = 0; k < n && s[k] != '/' && s[k] != '?' && s[k] != '#'; k++)
		;
	if (k) {
		const uint8_t *at = memchr(s, '@', k);	/* drop userinfo */

		if (at) {
			k -= (size_t)(at - s) + 1;
			s = at + 1;
		}
		e->http_port = split_host_port(e, s, k);
	}
}

static void start_request(struct http_state *st, struct flow_ctx *fc,
    const struct http_reqline *rl)
{
	struct http_dir *ds = &st->dir[DIR_TO_SERVER];
	bool queued = st->nq < HTTP_MAX_PENDING;
	uint8_t qf = 0;
	uint16_t slot;
	struct http_rec *r;

	st->ntx++;
	if (rl->method_len == 4 && !memcmp(rl->method, "HEAD", 4))
		qf |= HQ_HEAD;
	if (rl->method_len == 7 && !memcmp(rl->method, "CONNECT", 7))
		qf |= HQ_CONNECT;
	if (!rl->ver[0])
		qf |= HQ_HTTP09;
	if (!queued && !(st->flags & HS_SAID_TOO_MANY)) {
		st->flags |= HS_SAID_TOO_MANY;
		flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_TOO_MANY, "http",
		    "more than %d requests waiting for a response",
		    HTTP_MAX_PENDING);
	}
	slot = rec_alloc(st);
	if (slot == HTTP_SLOT_NONE) {
		if (!(st->flags & HS_SAID_POOL)) {
			st->flags |= HS_SAID_POOL;
			flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_TOO_MANY, "http",
			    "http record pool exhausted (%d per thread)",
			    HTTP_POOL_SIZE);
		}
		emit_bare_request(st, fc, rl);
	}
	if (queued) {
		struct http_qent *q = &st->q[st->nq++];

		q->slot = slot;
		q->flags = qf;
		q->skip_before = st->unqueued;
		st->unqueued = 0;
	} else if (st->unqueued < UINT16_MAX) {
		st->unqueued++;
	}
	ds->slot = slot;
	ds->flags2 = (uint8_t)(HD2_ACTIVE | (queued ? 0 : HD2_UNQUEUED));
	dir_reset_msg(ds);
	ds->flags &= (uint8_t)~HD_SAID_MALFORMED;
	ds->phase = HP_HEADERS;
	r = rec_get(st, slot);
	if (r) {
		struct ev_http *e = &r->ev;

		r->req_ts = fc->ts_us;
		e->flags |= EV_HTTP_HAS_REQUEST;
		e->trans_depth = st->ntx;
		copy_field(e->method, sizeof(e->method), rl->method,
		    rl->method_len, &e->trunc, EV_HTTP_TR_METHOD);
		copy_field(e->url, sizeof(e->url), rl->target, rl->target_len,
		    &e->trunc, EV_HTTP_TR_URL);
		if (rl->ver[0])
			copy_field(e->protocol, sizeof(e->protocol),
			    (const uint8_t *)rl->ver, strlen(rl->ver), &e->trunc,
			    EV_HTTP_TR_PROTO);
		else
			e->flags |= EV_HTTP_HTTP09;
		if (qf & HQ_CONNECT) {
			copy_field(e->connect_target, sizeof(e->connect_target),
			    rl->target, rl->target_len, &e->trunc,
			    EV_HTTP_TR_TARGET);
			e->http_port = split_host_port(e, rl->target,
			    rl->target_len);
			r->host_from_target = true;
		} else {
			host_from_absolute(e, rl->target, rl->target_len);
		}
	}
	/*
	 * HTTP/0.9 has no headers, but clients that leave the version out
	 * by mistake send some: they are read until the empty line, and a
	 * request that never gets one is not "incomplete" (RFC 1945 4.1).
	 */
}

static void start_response(struct http_state *st, const char ver[HTTP_VER_BUF],
    uint16_t status)
{
	struct http_dir *ds = &st->dir[DIR_TO_CLIENT];
	int i = queue_resp_index(st);
	bool orphan = false;
	struct http_rec *r;

	if (!(ds->flags2 & HD2_ACTIVE)) {
		/* A new response (not the final one after a 1xx). */
		if (i >= 0 && st->q[i].skip_before) {
			st->q[i].skip_before--;
			orphan = true;
		} else if (i < 0) {
			if (st->unqueued)
				st->unqueued--;
			orphan = true;
		}
		ds->flags2 = HD2_ACTIVE;
		if (orphan) {
			ds->flags2 |= HD2_ORPHAN;
			ds->slot = rec_alloc(st);
			ds->qflags = 0;
			r = rec_get(st, ds->slot);
			if (r) {
				r->ev.trans_depth = ++st->ntx;
				r->resp_ts = ds->first_ts;
				r->has_resp_ts = true;
			}
		} else {
			ds->slot = st->q[i].slot;
			ds->qflags = st->q[i].flags;
		}
	}
	r = dir_rec(st, DIR_TO_CLIENT);
	if (r && !r->has_resp_ts) {
		r->resp_ts = ds->first_ts;
		r->has_resp_ts = true;
	}
	dir_reset_msg(ds);
	ds->flags &= (uint8_t)~HD_SAID_MALFORMED;
	ds->status = status;
	ds->phase = HP_HEADERS;
	if (status < 200 && status != 101) {
		ds->flags |= HD_INTERIM;
		if (r)
			r->ev.interim_status = status;
		return;
	}
	if (r) {
		r->ev.status = status;
		r->ev.flags |= EV_HTTP_HAS_RESPONSE;
		/* A new final response replaces any earlier attempt's names. */
		r->ev.n_resp_hdrs = 0;
		r->ev.resp_hdr_len = 0;
		if (!r->ev.protocol[0])
			copy_field(r->ev.protocol, sizeof(r->ev.protocol),
			    (const uint8_t *)ver, strlen(ver), &r->ev.trunc,
			    EV_HTTP_TR_PROTO);
	}
}

/* A response to an HTTP/0.9 request: no status line, raw bytes to close. */
static void start_response09(struct http_state *st)
{
	struct http_dir *ds = &st->dir[DIR_TO_CLIENT];
	int i = queue_resp_index(st);
	struct http_rec *r;

	ds->flags2 = HD2_ACTIVE;
	ds->slot = st->q[i].slot;
	ds->qflags = st->q[i].flags;
	dir_reset_msg(ds);
	ds->phase = HP_BODY_CLOSE;
	r = dir_rec(st, DIR_TO_CLIENT);
	if (r) {
		r->ev.flags |= EV_HTTP_HAS_RESPONSE;
		if (!r->has_resp_ts) {
			r->resp_ts = ds->first_ts;
			r->has_resp_ts = true;
		}
	}
}

/* ------------------------------------------------------------------------
 * Headers
 * --------------------------------------------------------------------- */

static void add_name(struct ev_http *e, enum dir d, const uint8_t *p, size_t n)
{
	char *buf = d == DIR_TO_SERVER ? e->req_hdrs : e->resp_hdrs;
	uint16_t *len = d == DIR_TO_SERVER ? &e->req_hdr_len : &e->resp_hdr_len;
	uint8_t *cnt = d == DIR_TO_SERVER ? &e->n_req_hdrs : &e->n_resp_hdrs;
	uint32_t bit = d == DIR_TO_SERVER ? EV_HTTP_TR_REQ_HDRS :
	    EV_HTTP_TR_RESP_HDRS;
	uint32_t dummy = 0;

	if (n > 64)
		n = 64;		/* a name is a token; long ones are cut */
	if (*cnt >= EV_HTTP_MAX_HDRS || *len + n + 1 > EV_HTTP_HDR_BUF) {
		e->trunc |= bit;
		return;
	}
	copy_field(buf + *len, n + 1, p, n, &dummy, 0);
	*len = (uint16_t)(*len + n + 1);
	(*cnt)++;
}

/* Basic credentials: decodes base64 only up to the ':' (RFC 7617 2). */
static void basic_user(struct ev_http *e, const uint8_t *p, size_t n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t ul = 0;
	bool cut = false;

	for (size_t i = 0; i < n && i < HTTP_B64_MAX; i++) {
		int c = p[i], v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			break;		/* '=' padding or the end */
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			uint8_t b = (uint8_t)(acc >> (bits - 8));

			bits -= 8;
			if (b == ':')
				goto out;	/* the password starts: stop */
			if (ul < sizeof(e->auth_user) - 1)
				e->auth_user[ul++] = b ? (char)b : '?';
			else
				cut = true;
		}
	}
	if (n > HTTP_B64_MAX)
		cut = true;
out:
	e->auth_user[ul] = '\0';
	if (cut)
		e->trunc |= EV_HTTP_TR_AUTH;
}

static void auth_header(struct ev_http *e, const uint8_t *v, size_t n)
{
	struct rd r = rd_init(v, n);
	const uint8_t *s;
	size_t sl;

	s = hr_span(&r, is_tchar, &sl);
	if (!sl)
		return;
	copy_field(e->auth_scheme, sizeof(e->auth_scheme), s, sl, &e->trunc,
	    EV_HTTP_TR_AUTH);
	if (bytes_ieq(s, sl, "basic")) {
		hr_skip_sp(&r);
		e->auth_user[0] = '\0';
		basic_user(e, r.p, r.left);
	}
}

/* Content-Length: 1*DIGIT (RFC 9110 8.6); "n, n" lists use the first. */
static void content_length(struct http_dir *ds, const uint8_t *v, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < n && is_digit(v[i]); i++) {
		if (x > (UINT64_MAX - 9) / 10) {
			ds->flags |= HD_BAD_CL;
			return;
		}
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (i == 0 || (i < n && v[i] != ',' && !is_sp(v[i]))) {
		ds->flags |= HD_BAD_CL;
		return;
	}
	if (!(ds->flags & HD_HAS_CL)) {
		ds->cl = x;
		ds->flags |= HD_HAS_CL;
	}
}

/* Transfer-Encoding: chunked counts only as the last coding (RFC 9112 6.1). */
static void transfer_encoding(struct http_dir *ds, const uint8_t *v, size_t n)
{
	size_t start = 0;

	for (size_t i = n; i-- > 0;) {
		if (v[i] == ',') {
			start = i + 1;
			break;
		}
	}
	v += start;
	n -= start;
	trim_ows(&v, &n);
	ds->flags &= (uint8_t)~(HD_TE_CHUNKED | HD_TE_OTHER);
	ds->flags |= bytes_ieq(v, n, "chunked") ? HD_TE_CHUNKED : HD_TE_OTHER;
}

static void header_line(struct http_state *st, struct flow_ctx *fc, enum dir d,
    const uint8_t *p, size_t n)
{
	struct http_dir *ds = &st->dir[d];
	struct http_rec *r = dir_rec(st, d);
	struct ev_http *e = r ? &r->ev : NULL;
	const uint8_t *colon = memchr(p, ':', n);
	const uint8_t *name = p, *v;
	size_t nl, vl;

	if (is_sp(p[0]))
		return;		/* obs-fold continuation (RFC 9112 5.2): ignored */
	if (!colon) {
		say_malformed(st, fc, d, "header line without a colon");
		return;
	}
	nl = (size_t)(colon - p);
	while (nl && is_sp(name[nl - 1]))
		nl--;
	v = colon + 1;
	vl = n - (size_t)(v - p);
	trim_ows(&v, &vl);
	if (bytes_ieq(name, nl, "content-length"))
		content_length(ds, v, vl);
	else if (bytes_ieq(name, nl, "transfer-encoding"))
		transfer_encoding(ds, v, vl);
	if (!e || (ds->flags & HD_INTERIM))
		return;
	add_name(e, d, name, nl);
	if (d == DIR_TO_SERVER) {
		if (bytes_ieq(name, nl, "host")) {
			/*
			 * An absolute-form URI names the host (RFC 9112 3.2.2);
			 * for CONNECT the Host header is what tshark and Zeek
			 * log, the target keeps its own field.
			 */
			if (!e->hostname[0] || r->host_from_target) {
				uint16_t port = split_host_port(e, v, vl);

				r->host_from_target = false;
				if (!e->http_port)
					e->http_port = port;
			}
		} else if (bytes_ieq(name, nl, "user-agent")) {
			copy_field(e->user_agent, sizeof(e->user_agent), v, vl,
			    &e->trunc, EV_HTTP_TR_UA);
		} else if (bytes_ieq(name, nl, "referer")) {
			copy_field(e->referer, sizeof(e->referer), v, vl,
			    &e->trunc, EV_HTTP_TR_REFER);
		} else if (bytes_ieq(name, nl, "authorization") ||
		    (bytes_ieq(name, nl, "proxy-authorization") &&
		    !e->auth_scheme[0])) {
			auth_header(e, v, vl);
		}
	} else if (bytes_ieq(name, nl, "content-type")) {
		const uint8_t *semi = memchr(v, ';', vl);
		size_t tl = semi ? (size_t)(semi - v) : vl;

		trim_ows(&v, &tl);
		copy_field(e->content_type, sizeof(e->content_type), v, tl,
		    &e->trunc, EV_HTTP_TR_CTYPE);
	}
}

/* The empty line after the headers: decide how the body is framed. */
static void headers_end(struct http_state *st, struct flow_ctx *fc, enum dir d)
{
	struct http_dir *ds = &st->dir[d];
	struct http_rec *r = dir_rec(st, d);

	if (d == DIR_TO_SERVER) {
		if (ds->flags & HD_TE_CHUNKED) {
			ds->phase = HP_CHUNK_SIZE;
			if (r)
				r->ev.flags |= EV_HTTP_REQ_CHUNKED;
		} else if ((ds->flags & HD_HAS_CL) && ds->cl > 0) {
			ds->phase = HP_BODY_CL;
			ds->remain = ds->cl;
		} else {
			/* RFC 9112 6.3 rule 7: no body. */
			request_done(st, fc, false);
		}
		return;
	}
	if (ds->flags & HD_INTERIM) {
		/* 1xx: the final response is still to come (RFC 9110 15.2). */
		ds->flags &= (uint8_t)~HD_INTERIM;
		ds->phase = HP_START;
		return;
	}
	if (ds->status == 101 ||
	    ((ds->qflags & HQ_CONNECT) && ds->status >= 200 && ds->status < 300)) {
		if (r)
			r->ev.flags |= EV_HTTP_TUNNEL;
		set_tunnel(st);
		response_done(st, fc, false);
		return;
	}
	if ((ds->qflags & HQ_HEAD) || ds->status == 204 || ds->status == 304) {
		response_done(st, fc, false);
		return;
	}
	if (ds->flags & HD_TE_CHUNKED) {
		ds->phase = HP_CHUNK_SIZE;
		if (r)
			r->ev.flags |= EV_HTTP_RESP_CHUNKED;
	} else if (ds->flags & HD_TE_OTHER) {
		ds->phase = HP_BODY_CLOSE;
	} else if (ds->flags & HD_HAS_CL) {
		if (ds->cl == 0) {
			response_done(st, fc, false);
			return;
		}
		ds->phase = HP_BODY_CL;
		ds->remain = ds->cl;
	} else {
		ds->phase = HP_BODY_CLOSE;
	}
}

/* ------------------------------------------------------------------------
 * Bodies and lines
 * --------------------------------------------------------------------- */

static void body_count(struct http_state *st, enum dir d, uint64_t n)
{
	struct http_rec *r = dir_rec(st, d);

	if (!r)
		return;
	if (d == DIR_TO_SERVER)
		r->ev.request_body_len += n;
	else
		r->ev.length += n;
}

/* A chunk-size line: 1*HEXDIG [ws] [; ext] (RFC 9112 7.1, 7.1.1). */
static void chunk_size_line(struct http_state *st, struct flow_ctx *fc,
    enum dir d, const uint8_t *p, size_t n)
{
	struct http_dir *ds = &st->dir[d];
	uint64_t x = 0;
	size_t i = 0;

	while (i < n && is_sp(p[i]))
		i++;
	if (i == n)
		return;		/* a stray empty line: lenient, wait */
	size_t start = i;

	for (; i < n && hex_val(p[i]) >= 0; i++) {
		if (x >> 60) {
			say_malformed(st, fc, d, "chunk size overflows 64 bits");
			goto bad;
		}
		x = x << 4 | (uint64_t)hex_val(p[i]);
	}
	while (i < n && is_sp(p[i]))
		i++;
	if (i == start || (i < n && p[i] != ';')) {
		say_malformed(st, fc, d, "bad chunk-size line");
		goto bad;
	}
	if (x == 0) {
		ds->phase = HP_TRAILER;
	} else {
		ds->phase = HP_CHUNK_DATA;
		ds->remain = x;
	}
	return;
bad:
	message_done(st, fc, d, true);
	st->dir[d].phase = HP_RESYNC;
}

/* A start line (or, in HP_RESYNC, a line that may be one). */
static void start_line(struct http_state *st, struct flow_ctx *fc, enum dir d,
    const uint8_t *p, size_t n)
{
	struct http_dir *ds = &st->dir[d];
	bool resync = ds->phase == HP_RESYNC;

	if (n == 0)
		return;		/* RFC 9112 2.2: empty lines before a message */
	if (d == DIR_TO_SERVER) {
		struct http_reqline rl;

		if (parse_request_line(p, n, &rl) == 0 &&
		    (!resync || rl.ver[0])) {
			start_request(st, fc, &rl);
			return;
		}
	} else {
		char ver[HTTP_VER_BUF];
		uint16_t status;

		if (parse_status_line(p, n, ver, &status) == 0) {
			start_response(st, ver, status);
			return;
		}
	}
	if (!resync)
		say_malformed(st, fc, d, d == DIR_TO_SERVER ?
		    "not an HTTP request line" : "not an HTTP status line");
	ds->phase = HP_RESYNC;
}

static void line(struct http_state *st, struct flow_ctx *fc, enum dir d,
    const uint8_t *p, size_t n)
{
	struct http_dir *ds = &st->dir[d];

	switch (ds->phase) {
	case HP_START:
	case HP_RESYNC:
		start_line(st, fc, d, p, n);
		break;
	case HP_HEADERS:
		if (n == 0)
			headers_end(st, fc, d);
		else
			header_line(st, fc, d, p, n);
		break;
	case HP_CHUNK_SIZE:
		chunk_size_line(st, fc, d, p, n);
		break;
	case HP_CHUNK_END:
		if (n == 0) {
			ds->phase = HP_CHUNK_SIZE;
		} else {
			/* Data ran past its chunk size: try it as the next size. */
			say_malformed(st, fc, d, "chunk data longer than its size");
			chunk_size_line(st, fc, d, p, n);
		}
		break;
	case HP_TRAILER:
		if (n == 0)
			message_done(st, fc, d, false);
		break;
	default:
		break;
	}
}

/* An overlong line: what it means depends on where it is. */
static void overlong(struct http_state *st, struct flow_ctx *fc, enum dir d)
{
	struct http_dir *ds = &st->dir[d];

	ds->flags |= HD_SKIP_LINE;
	if (ds->phase == HP_RESYNC)
		return;		/* skipping anyway: no event per blob */
	flow_anomaly(fc, d, ANOM_APP_OVERLONG_LINE, "http",
	    "line longer than %d bytes", HTTP_LINE_MAX);
	switch (ds->phase) {
	case HP_HEADERS:
	case HP_TRAILER:
		break;		/* that header is dropped; the rest is kept */
	case HP_START:
		ds->phase = HP_RESYNC;
		break;
	default:
		message_done(st, fc, d, true);
		ds->phase = HP_RESYNC;
		break;
	}
}

static struct feed_result http_feed(void *state, struct flow_ctx *fc,
    enum dir d, const uint8_t *p, size_t n)
{
	struct http_state *st = state;
	struct http_dir *ds = &st->dir[d];
	size_t off = 0;

	while (off < n) {
		const uint8_t *q = p + off;
		size_t left = n - off, take;
		struct txt_line ln;
		enum txt_status ts;

		if (ds->flags & HD_SKIP_LINE) {
			bool done;

			off += txt_skip_line(q, left, &done);
			if (done)
				ds->flags &= (uint8_t)~HD_SKIP_LINE;
			continue;
		}
		switch (ds->phase) {
		case HP_TUNNEL:
			off = n;
			continue;
		case HP_CONNECT_WAIT:
			/* Keep the bytes until the answer says what they are. */
			return (struct feed_result){ FEED_OK, (uint32_t)off };
		case HP_BODY_CLOSE:
			body_count(st, d, left);
			off = n;
			continue;
		case HP_BODY_CL:
		case HP_CHUNK_DATA:
			take = left < ds->remain ? left : (size_t)ds->remain;
			body_count(st, d, take);
			ds->remain -= take;
			off += take;
			if (ds->remain == 0) {
				if (ds->phase == HP_CHUNK_DATA)
					ds->phase = HP_CHUNK_END;
				else
					message_done(st, fc, d, false);
			}
			continue;
		case HP_START:
		case HP_RESYNC:
			if (d == DIR_TO_CLIENT && !(ds->flags & HD_FIRST_TS)) {
				ds->first_ts = fc->ts_us;
				ds->flags |= HD_FIRST_TS;
			}
			if (d == DIR_TO_CLIENT && ds->phase == HP_START && !(ds->flags2 & HD2_ACTIVE)) {
				int i = queue_resp_index(st);

				if (i >= 0 && (st->q[i].flags & HQ_HTTP09) &&
				    !st->q[i].skip_before) {
					/* Wait for 5 bytes: a status line or not? */
					size_t k = left < 5 ? left : 5;

					if (k < 5 && !memcmp(q, "HTTP/", k))
						return (struct feed_result){
						    FEED_OK, (uint32_t)off };
					if (memcmp(q, "HTTP/", k) != 0) {
						start_response09(st);
						continue;
					}
				}
			}
			break;
		default:
			break;
		}
		ts = txt_next_line(q, left, HTTP_LINE_MAX, &ln);
		if (ts == TXT_NEED_MORE)
			break;
		off += ln.consumed;
		if (ts == TXT_OVERLONG)
			overlong(st, fc, d);
		else
			line(st, fc, d, ln.p, ln.len);
	}
	return (struct feed_result){ FEED_OK, (uint32_t)off };
}

/* ------------------------------------------------------------------------
 * Gaps, end of stream, close
 * --------------------------------------------------------------------- */

static void http_gap(void *state, struct flow_ctx *fc, enum dir d,
    uint32_t len)
{
	struct http_state *st = state;
	struct http_dir *ds = &st->dir[d];
	struct http_rec *r = dir_rec(st, d);

	ds->flags &= (uint8_t)~HD_SKIP_LINE;
	if (r)
		r->ev.flags |= EV_HTTP_GAP;
	switch (ds->phase) {
	case HP_TUNNEL:
	case HP_CONNECT_WAIT:
		return;
	case HP_BODY_CLOSE:
		body_count(st, d, len);
		return;
	case HP_BODY_CL:
	case HP_CHUNK_DATA:
		if (len <= ds->remain) {
			/* The hole is inside the body: only the count moves. */
			body_count(st, d, len);
			ds->remain -= len;
			if (ds->remain == 0) {
				if (ds->phase == HP_CHUNK_DATA)
					ds->phase = HP_CHUNK_END;
				else
					message_done(st, fc, d, false);
			}
			return;
		}
		body_count(st, d, ds->remain);
		ds->remain = 0;
		message_done(st, fc, d, ds->phase == HP_CHUNK_DATA);
		break;
	case HP_START:
	case HP_RESYNC:
		break;
	default:
		/* Headers or chunk framing lost: give the message up. */
		message_done(st, fc, d, true);
		break;
	}
	ds->phase = HP_RESYNC;
	ds->flags |= HD_SAID_MALFORMED;	/* the gap is already an event */
}

static void http_eof(void *state, struct flow_ctx *fc, enum dir d)
{
	struct http_state *st = state;

	/* A body delimited by the close ends normally here (RFC 9112 6.3). */
	if (d == DIR_TO_CLIENT && st->dir[d].phase == HP_BODY_CLOSE)
		response_done(st, fc, false);
}

static void http_close(void *state, struct flow_ctx *fc)
{
	struct http_state *st = state;

	if (st->dir[DIR_TO_CLIENT].phase == HP_BODY_CLOSE)
		response_done(st, fc, false);
	else
		response_done(st, fc, true);
	request_done(st, fc, true);
	/* What is left never got an answer (or a full request): as known. */
	for (int i = 0; i < st->nq; i++) {
		struct http_rec *r = rec_get(st, st->q[i].slot);

		if (r && !(st->q[i].flags & HQ_REQ_DONE))
			r->ev.flags |= EV_HTTP_REQ_INCOMPLETE;
		rec_emit(st, fc, st->q[i].slot);
	}
	st->nq = 0;
	st->unqueued = 0;
	for (int d = 0; d < 2; d++) {
		st->dir[d].slot = HTTP_SLOT_NONE;
		st->dir[d].flags2 = 0;
		st->dir[d].phase = HP_TUNNEL;	/* nothing more to parse */
	}
}

static void http_init(void *state)
{
	struct http_state *st = state;

	memset(st, 0, sizeof(*st));
	for (int d = 0; d < 2; d++) {
		st->dir[d].slot = HTTP_SLOT_NONE;
		st->dir[d].phase = HP_START;
	}
}

const struct dissector http_dissector = {
	.name = "http",
	.ipproto = IPPROTO_TCP,
	.hint_port = HTTP_PORT,
	.hint_port2 = HTTP_PORT_ALT,
	.state_size = sizeof(struct http_state),
	.probe = http_probe,
	.init = http_init,
	.feed = http_feed,
	.gap = http_gap,
	.eof = http_eof,
	.close = http_close,
};
