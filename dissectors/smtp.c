/*
 * smtp.c - SMTP dissector: one event per mail transaction, with the
 * message's headers and attachments (MIME, see mime.c).
 *
 * SMTP is a text protocol over a TCP stream.  The server greets, the
 * client sends commands, the server answers each with a reply, in order
 * (PIPELINING lets the client send a group of commands before reading
 * their replies).  A reply is one or more lines "ddd-text", ending with
 * "ddd text".  DATA is answered 354; the message follows, each line that
 * begins with '.' gets one more '.', and a line holding "." ends it.  BDAT
 * carries the message in counted chunks instead (no stuffing, no end line).
 *
 * clang-format off
 *
 *   S: 220 mx.example ESMTP
 *   C: EHLO client.example          S: 250-mx.example / 250 PIPELINING
 *   C: AUTH PLAIN <secret>          S: 235 ok       (only "PLAIN" is kept)
 *   C: MAIL FROM:<a@x> SIZE=100     S: 250
 *   C: RCPT TO:<b@y>                S: 250
 *   C: DATA                         S: 354
 *   C: <header lines> CRLF <body, dot-stuffed> CRLF . CRLF
 *                                   S: 250 queued   -> the event
 *   C: BDAT 1000 [LAST] CRLF <1000 octets>          S: 250
 *   C: STARTTLS                     S: 220          -> TLS: stop parsing
 *   C: QUIT                         S: 221
 *
 * clang-format on
 *
 * References: RFC 5321 (SMTP): 3.3 (mail transaction), 4.1.1 (commands),
 * 4.1.1.4 (DATA and the end-of-data line), 4.2 (replies, 4.2.1 multi-line),
 * 4.5.2 (transparency: dot-stuffing), 4.5.3.1 (size limits); RFC 2920
 * (PIPELINING); RFC 3030 (BDAT/CHUNKING); RFC 4954 (AUTH, 334 challenges,
 * '*' cancels); RFC 3207 (STARTTLS: after 220 the next bytes are TLS).
 *
 * Records.  The flow state (APP_STATE_MAX = 512 bytes) holds the command
 * queue, the session fields (HELO, AUTH mechanism) and a short summary of
 * the open transaction.  The transaction's event and its MIME parser live
 * in a per-thread pool of SMTP_POOL_SIZE (256) records of about 50 KiB
 * each (~12 MiB of address space per worker, allocated with calloc on
 * first use so untouched pages stay out of the resident set, freed when
 * the thread exits).  A record is taken at the first MAIL/RCPT/DATA/BDAT
 * of a transaction and given back when its event is emitted, so the bound
 * is 256 transactions open at once per worker.  When the pool is empty,
 * the transaction is still followed but emitted as a reduced record
 * (envelope summary from the state: HELO, MAIL FROM cut to 127 bytes, the
 * number of recipients, reply codes; no_record set; anomaly
 * app.limit_reached once per flow), and its message is not parsed.
 *
 * Pairing.  Replies pair with a FIFO of up to SMTP_MAX_PENDING (32)
 * commands.  The first 220 reply of a session is the greeting.  334 keeps
 * AUTH at the head (a challenge); any other code ends the exchange.  While
 * AUTH is in progress every client line is a SASL response and is skipped
 * unread: credentials never reach the event or an anomaly detail.
 *
 * Deliberately not handled: SMTP inside TLS (after STARTTLS the flow is
 * only counted), LMTP's per-recipient replies to the end of data, BURL,
 * SMTPUTF8 address checks, and message bodies (only headers, the MIME
 * structure and attachment names and sizes are kept).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dissector.h"
#include "mime.h"
#include "rd.h"
#include "recpool.h"
#include "txtline.h"

#define SMTP_PORT 25
#define SMTP_PORT_SUBMIT 587
#define SMTP_PORT_ALT 2525
#define SMTP_LINE_MAX 4096		/* commands and replies (RFC: 512) */
#define SMTP_DATA_LINE_MAX 8192		/* message lines; longer go in pieces */
#define SMTP_PROBE_LINE 512
#define SMTP_HOLD_MAX 4096		/* client bytes held awaiting 354 */
#define SMTP_MAX_PENDING 32
#define SMTP_POOL_SIZE 256
#define SMTP_SLOT_NONE 0xffff
#define SMTP_BDAT_MAX (1ull << 40)	/* larger chunk sizes are refused */
#define SMTP_STATE_HELO 128
#define SMTP_STATE_MAIL 128

_Static_assert(SMTP_POOL_SIZE < SMTP_SLOT_NONE, "slot numbers are 16-bit");

enum smtp_cmd {
	SC_HELO, SC_EHLO, SC_MAIL, SC_RCPT, SC_DATA, SC_DOT, SC_BDAT,
	SC_BDAT_LAST, SC_RSET, SC_QUIT, SC_AUTH, SC_STARTTLS, SC_OTHER,
};

enum smtp_cmode {
	CM_CMD,			/* command lines */
	CM_DATA_WAIT,		/* DATA sent, its reply not seen yet */
	CM_DATA,		/* message lines up to "." */
	CM_BDAT,		/* bdat_left octets of a chunk */
	CM_STOP,		/* TLS (or gave up): everything is consumed */
};

enum smtp_sflag {
	SS_SKIP_TS = 1 << 0,		/* dropping the rest of a client line */
	SS_SKIP_TC = 1 << 1,		/* ... of a server line */
	SS_MID = 1 << 2,		/* message line being fed in pieces */
	SS_AUTH = 1 << 3,		/* SASL exchange: client lines unread */
	SS_TLS_SENT = 1 << 4,
	SS_SEEN_SERVER = 1 << 5,
	SS_TX_OPEN = 1 << 6,
	SS_SAID_POOL = 1 << 7,
	SS_SAID_QUEUE = 1 << 8,
	SS_SAID_DATA_LONG = 1 << 9,	/* per message */
	SS_BDAT_LAST = 1 << 10,
	SS_EMITTED = 1 << 11,		/* an event went out for this flow */
	SS_DOT_PENDING = 1 << 12,	/* message ended, its reply not yet */
	SS_SESSION = 1 << 13,		/* HELO/AUTH/STARTTLS seen */
	SS_GREETED = 1 << 14,		/* a first server reply was seen */
	SS_NO_REC = 1 << 15,		/* this transaction has no record */
};

struct smtp_state {
	const void *pool;	/* the pool our slot is in; NULL = none yet */
	uint64_t tx_ts;		/* capture time the transaction began */
	uint64_t bdat_left;	/* octets left in the BDAT chunk */
	uint32_t ntx;		/* transactions emitted (trans_depth) */
	uint32_t flags;		/* enum smtp_sflag */
	uint32_t tx_flags;	/* ev_smtp flags gathered without a record */
	uint16_t slot;		/* record of the open transaction */
	uint16_t nrcpt;
	uint16_t status[EV_SMTP_MAX_STATUS];
	uint8_t nstatus;
	uint8_t cmode;		/* enum smtp_cmode */
	uint8_t qhead, qlen;
	uint8_t q[SMTP_MAX_PENDING];	/* enum smtp_cmd, oldest at qhead */
	char helo[SMTP_STATE_HELO];
	char mail_from[SMTP_STATE_MAIL];	/* kept for a reduced record */
	char auth_mech[EV_SMTP_MECH_MAX];
	uint8_t helo_trunc;
};

_Static_assert(sizeof(struct smtp_state) <= APP_STATE_MAX,
    "smtp state over budget");

/* ------------------------------------------------------------------------
 * The per-thread record pool
 * --------------------------------------------------------------------- */

struct smtp_rec {
	struct ev_smtp ev;
	struct mime_parser mp;
	bool mime_on;		/* mp is reading this transaction's message */
};

/* Records, plus one scratch event per thread for reduced and session-only events. */
static struct recpool smtp_recs =
    RECPOOL_INIT(sizeof(struct smtp_rec), SMTP_POOL_SIZE, sizeof(struct ev_smtp));

static struct smtp_rec *rec_get(const struct smtp_state *st)
{
	struct recpool_tls *pl = recpool_peek(&smtp_recs);

	if (st->slot == SMTP_SLOT_NONE || !st->pool || st->pool != pl)
		return NULL;
	return recpool_rec(pl, st->slot);
}

static void rec_free(struct smtp_state *st)
{
	if (rec_get(st))
		recpool_free(recpool_peek(&smtp_recs), st->slot);
	st->slot = SMTP_SLOT_NONE;
}

/* The open transaction's record, taken from the pool on first need. */
static struct smtp_rec *tx_rec(struct smtp_state *st, struct flow_ctx *fc)
{
	struct smtp_rec *r = rec_get(st);
	struct recpool_tls *pl;
	int slot = -1;

	if (r || (st->flags & SS_NO_REC))
		return r;
	pl = recpool_get(&smtp_recs);
	if (pl && (!st->pool || st->pool == pl))
		slot = recpool_alloc(pl);
	if (slot < 0) {
		st->flags |= SS_NO_REC;
		if (!(st->flags & SS_SAID_POOL)) {
			st->flags |= SS_SAID_POOL;
			flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_TOO_MANY, "smtp",
			    "smtp record pool (%d) exhausted: envelope only",
			    SMTP_POOL_SIZE);
		}
		return NULL;
	}
	st->pool = pl;
	st->slot = (uint16_t)slot;
	return recpool_rec(pl, st->slot);	/* zeroed: mime_on is false */
}

/* ------------------------------------------------------------------------
 * Small text helpers
 * --------------------------------------------------------------------- */

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool bytes_ieq(const uint8_t *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++)
		if (lower(p[i]) != lower((uint8_t)s[i]))
			return false;
	return i == n && s[i] == '\0';
}

/* True when p starts with s (ASCII case-insensitive, letters only in s). */
static bool has_iprefix(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	return n >= l && bytes_ieq(p, l, s);
}

static void trim(const uint8_t **p, size_t *n)
{
	while (*n && is_wsp((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_wsp((*p)[*n - 1]))
		(*n)--;
}

/* Copies n bytes into dst[cap] (NUL-terminated); true if it was cut. */
static bool copy_str(char *dst, size_t cap, const void *s, size_t n)
{
	bool cut = n >= cap;

	if (cut)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return cut;
}

/* Copies with runs of whitespace (folding) squeezed to one space. */
static bool copy_squeeze(char *dst, size_t cap, const char *s, size_t n)
{
	size_t k = 0;
	bool sp = false;

	for (size_t i = 0; i < n; i++) {
		if (is_wsp((uint8_t)s[i]) || s[i] == '\r' || s[i] == '\n') {
			sp = true;
			continue;
		}
		if (sp && k) {
			if (k + 1 >= cap)
				goto cut;
			dst[k++] = ' ';
		}
		sp = false;
		if (k + 1 >= cap)
			goto cut;
		dst[k++] = s[i];
	}
	dst[k] = '\0';
	return false;
cut:
	dst[k] = '\0';
	return true;
}

/* ------------------------------------------------------------------------
 * Address headers (RFC 5322 3.4): mailbox lists, display names apart
 * --------------------------------------------------------------------- */

/* Removes surrounding quotes and quoted-pair escapes, in place. */
static size_t unquote(char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			continue;
		if (s[i] == '\\' && i + 1 < n)
			i++;
		s[k++] = s[i];
	}
	return k;
}

/* One mailbox: "Name <addr>", "addr (comment)" or "addr". */
static bool mailbox_parse(const char *s, size_t n, struct ev_smtp_addr *a)
{
	const uint8_t *p = (const uint8_t *)s;
	char tmp[EV_SMTP_ADDR_MAX * 2];
	size_t lt = n, gt, i, k;
	bool q = false, cut = false, t = false;
	int paren = 0;

	trim(&p, &n);
	s = (const char *)p;
	memset(a, 0, sizeof(*a));
	for (i = 0; i < n; i++) {
		if (q) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				q = false;
		} else if (s[i] == '"') {
			q = true;
		} else if (s[i] == '<') {
			lt = i;
			break;
		}
	}
	if (lt < n) {
		const uint8_t *ap;
		size_t an;

		for (gt = lt + 1; gt < n && s[gt] != '>'; gt++)
			;
		ap = p + lt + 1;
		an = gt - lt - 1;
		trim(&ap, &an);
		/* RFC 5322 4.4 obs-route: "@a,@b:addr" */
		if (an && ap[0] == '@') {
			const uint8_t *c = memchr(ap, ':', an);

			if (c) {
				an -= (size_t)(c + 1 - ap);
				ap = c + 1;
			}
		}
		cut |= copy_str(a->address, sizeof(a->address), ap, an);
		k = lt < sizeof(tmp) ? lt : sizeof(tmp);
		memcpy(tmp, s, k);
		k = unquote(tmp, k);
		{
			const uint8_t *np = (const uint8_t *)tmp;

			trim(&np, &k);
			mime_decode_words((const char *)np, k, a->name,
			    sizeof(a->name), &t);
		}
		return cut || t;
	}
	/* No angle brackets: the comment, if any, is the name. */
	k = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '(') {
			size_t cs = i + 1, ce;

			paren = 1;
			for (ce = cs; ce < n && paren; ce++) {
				if (s[ce] == '(')
					paren++;
				else if (s[ce] == ')')
					paren--;
			}
			if (!a->name[0])
				mime_decode_words(s + cs, ce - cs - (paren ? 0 : 1),
				    a->name, sizeof(a->name), &t);
			i = ce - 1;
			continue;
		}
		if (k + 1 < sizeof(tmp))
			tmp[k++] = s[i];
	}
	{
		const uint8_t *ap = (const uint8_t *)tmp;

		trim(&ap, &k);
		cut |= copy_str(a->address, sizeof(a->address), ap, k);
	}
	return cut || t;
}

/*
 * Splits a mailbox list at commas outside quotes, comments and angle
 * brackets; group syntax "name: a, b;" yields its members.  Calls 'fn'
 * for each non-empty mailbox; stops early when fn returns false.
 */
static void addr_list(const char *s, size_t n,
    bool (*fn)(void *arg, const char *m, size_t mn), void *arg)
{
	size_t i = 0;

	while (i < n) {
		size_t st = i;
		bool q = false, angle = false;
		int paren = 0;

		for (; i < n; i++) {
			char c = s[i];

			if (q) {
				if (c == '\\')
					i++;
				else if (c == '"')
					q = false;
			} else if (paren) {
				if (c == '(')
					paren++;
				else if (c == ')')
					paren--;
			} else if (c == '"') {
				q = true;
			} else if (c == '(') {
				paren = 1;
			} else if (c == '<') {
				angle = true;
			} else if (c == '>') {
				angle = false;
			} else if (!angle && c == ':') {
				st = i + 1;	/* a group's display name */
			} else if (!angle && (c == ',' || c == ';')) {
				break;
			}
		}
		if (i > n)
			i = n;
		{
			const uint8_t *mp = (const uint8_t *)s + st;
			size_t mn = i - st;

			trim(&mp, &mn);
			if (mn && !fn(arg, (const char *)mp, mn))
				return;
		}
		i++;
	}
}

struct addr_acc {
	struct ev_smtp_addr *arr;
	uint8_t *n;
	uint32_t *dropped;
	uint8_t max;
	bool cut;
};

static bool addr_acc_add(void *arg, const char *m, size_t mn)
{
	struct addr_acc *a = arg;

	if (*a->n >= a->max) {
		(*a->dropped)++;
		a->cut = true;
		return true;
	}
	a->cut |= mailbox_parse(m, mn, &a->arr[*a->n]);
	(*a->n)++;
	return true;
}

static bool addr_first(void *arg, const char *m, size_t mn)
{
	struct addr_acc *a = arg;

	a->cut |= mailbox_parse(m, mn, a->arr);
	*a->n = 1;
	return false;
}

/* ------------------------------------------------------------------------
 * MIME sink: message headers and attachments into the record
 * --------------------------------------------------------------------- */

static void on_header(void *ctx, unsigned level, const char *name,
    size_t nlen, const char *v, size_t vn, bool cut)
{
	struct smtp_rec *r = ctx;
	struct ev_smtp *e = &r->ev;
	const uint8_t *nm = (const uint8_t *)name;
	bool t = false;

	if (level != 0)
		return;
	if (bytes_ieq(nm, nlen, "from") || bytes_ieq(nm, nlen, "reply-to")) {
		bool from = nlen == 4;
		uint8_t one = 0;
		uint32_t drop = 0;
		struct addr_acc a = { from ? &e->from : &e->reply_to, &one,
		    &drop, 1, false };

		if (e->flags & (from ? EV_SMTP_HAS_FROM_HDR : EV_SMTP_HAS_REPLY_TO))
			return;		/* the first header wins */
		addr_list(v, vn, addr_first, &a);
		e->flags |= from ? EV_SMTP_HAS_FROM_HDR : EV_SMTP_HAS_REPLY_TO;
		if (a.cut || cut)
			e->trunc |= from ? EV_SMTP_TR_FROM : EV_SMTP_TR_REPLY_TO;
	} else if (bytes_ieq(nm, nlen, "to") || bytes_ieq(nm, nlen, "cc")) {
		bool to = (nm[0] | 0x20) == 't';
		struct addr_acc a = { to ? e->to : e->cc, to ? &e->n_to : &e->n_cc,
		    to ? &e->n_to_dropped : &e->n_cc_dropped, EV_SMTP_MAX_ADDRS,
		    false };

		addr_list(v, vn, addr_acc_add, &a);
		if (a.cut || cut)
			e->trunc |= to ? EV_SMTP_TR_TO : EV_SMTP_TR_CC;
	} else if (bytes_ieq(nm, nlen, "subject")) {
		if (e->subject[0])
			return;
		mime_decode_words(v, vn, e->subject, sizeof(e->subject), &t);
		if (t || cut)
			e->trunc |= EV_SMTP_TR_SUBJECT;
	} else if (bytes_ieq(nm, nlen, "message-id")) {
		if (copy_squeeze(e->message_id, sizeof(e->message_id), v, vn) || cut)
			e->trunc |= EV_SMTP_TR_MSGID;
	} else if (bytes_ieq(nm, nlen, "date")) {
		if (copy_squeeze(e->date, sizeof(e->date), v, vn) || cut)
			e->trunc |= EV_SMTP_TR_DATE;
	} else if (bytes_ieq(nm, nlen, "x-mailer") ||
	    (bytes_ieq(nm, nlen, "user-agent") && !e->x_mailer[0])) {
		mime_decode_words(v, vn, e->x_mailer, sizeof(e->x_mailer), &t);
		if (t || cut)
			e->trunc |= EV_SMTP_TR_MAILER;
	} else if (bytes_ieq(nm, nlen, "received")) {
		if (e->n_received >= EV_SMTP_MAX_RECEIVED) {
			e->n_received_dropped++;
			e->trunc |= EV_SMTP_TR_RECEIVED;
			return;
		}
		if (copy_squeeze(e->received[e->n_received++],
		    EV_SMTP_RECEIVED_MAX, v, vn) || cut)
			e->trunc |= EV_SMTP_TR_RECEIVED;
	}
}

static void on_part(void *ctx, const struct mime_part *pt)
{
	struct smtp_rec *r = ctx;
	struct ev_smtp *e = &r->ev;
	struct ev_smtp_attach *a;
	unsigned fl;

	if (e->n_attach >= EV_SMTP_MAX_ATTACH) {
		e->n_attach_dropped++;
		e->trunc |= EV_SMTP_TR_ATTACH;
		return;
	}
	a = &e->attach[e->n_attach++];
	memset(a, 0, sizeof(*a));
	copy_str(a->filename, sizeof(a->filename), pt->filename,
	    strlen(pt->filename));
	copy_str(a->content_type, sizeof(a->content_type), pt->content_type,
	    strlen(pt->content_type));
	a->size = pt->size;
	fl = mime_name_flags(a->filename);
	if (fl & MIME_NAME_EXECUTABLE)
		a->flags |= EV_SMTP_ATT_EXECUTABLE;
	if (fl & MIME_NAME_DOUBLE_EXT)
		a->flags |= EV_SMTP_ATT_DOUBLE_EXT;
	if (fl & MIME_NAME_BIDI) {
		a->flags |= EV_SMTP_ATT_BIDI;
		mime_name_visible(a->filename, a->visible, sizeof(a->visible));
	}
	if (pt->attachment)
		a->flags |= EV_SMTP_ATT_DISPOSITION;
	if (pt->name_truncated) {
		a->flags |= EV_SMTP_ATT_NAME_TRUNC;
		e->trunc |= EV_SMTP_TR_ATTACH;
	}
}

static const struct mime_sink smtp_mime_sink = { on_header, on_part };

/* ------------------------------------------------------------------------
 * Transactions
 * --------------------------------------------------------------------- */

static void tx_open(struct smtp_state *st, struct flow_ctx *fc)
{
	if (st->flags & SS_TX_OPEN)
		return;
	st->flags |= SS_TX_OPEN;
	st->flags &= ~(uint32_t)(SS_NO_REC | SS_DOT_PENDING | SS_SAID_DATA_LONG |
	    SS_BDAT_LAST);
	st->tx_flags = 0;
	st->tx_ts = fc->ts_us;
	st->nrcpt = 0;
	st->nstatus = 0;
	st->mail_from[0] = '\0';
}

static void status_add(struct smtp_state *st, uint16_t code)
{
	if (st->nstatus < EV_SMTP_MAX_STATUS)
		st->status[st->nstatus++] = code;
	else
		st->tx_flags |= (uint32_t)EV_SMTP_TR_STATUS << 16;
}

/*
 * Emits the open transaction (or, with 'session', a session-only event
 * when none is open) and gives its record back.  Copies into the event:
 * out_emit() copies again, so nothing is kept.
 */
static void tx_emit(struct smtp_state *st, struct flow_ctx *fc, bool session)
{
	struct smtp_rec *r;
	struct recpool_tls *pl;
	struct ev_smtp *e;

	if (!(st->flags & SS_TX_OPEN) && !session)
		return;
	r = rec_get(st);
	if (r) {
		e = &r->ev;
		if (r->mime_on) {
			mime_finish(&r->mp);
			r->mime_on = false;
			if (r->mp.too_deep)
				e->flags |= EV_SMTP_MIME_TOO_DEEP;
		}
	} else {
		pl = recpool_get(&smtp_recs);
		if (!pl)
			goto done;
		e = recpool_extra(pl);
		memset(e, 0, sizeof(*e));
		if (st->flags & SS_NO_REC) {
			e->flags |= EV_SMTP_NO_RECORD;
			if (copy_str(e->mail_from, sizeof(e->mail_from),
			    st->mail_from, strlen(st->mail_from)))
				e->trunc |= EV_SMTP_TR_MAIL_FROM;
			e->n_rcpt_dropped = st->nrcpt;
		}
	}
	if (!(st->flags & SS_TX_OPEN))
		st->tx_ts = fc->ts_us;
	e->flags |= st->tx_flags & 0xffff;
	e->trunc |= st->tx_flags >> 16;
	copy_str(e->helo, sizeof(e->helo), st->helo, strlen(st->helo));
	if (st->helo_trunc)
		e->trunc |= EV_SMTP_TR_HELO;
	copy_str(e->auth_mech, sizeof(e->auth_mech), st->auth_mech,
	    strlen(st->auth_mech));
	memcpy(e->status, st->status, sizeof(e->status));
	e->n_status = st->nstatus;
	if (st->cmode == CM_STOP && (st->flags & SS_TLS_SENT))
		e->flags |= EV_SMTP_STARTTLS;
	if ((e->flags & EV_SMTP_HAS_FROM_HDR) && e->mail_from[0] &&
	    e->from.address[0] && strcasecmp(e->mail_from, e->from.address) != 0)
		e->flags |= EV_SMTP_FROM_MISMATCH;
	e->trans_depth = ++st->ntx;
	flow_ev_init(fc, &e->h, EV_SMTP, DIR_TO_SERVER);
	e->h.ts_us = st->tx_ts;
	out_emit(&e->h);
	st->flags |= SS_EMITTED;
done:
	rec_free(st);
	st->flags &= ~(uint32_t)(SS_TX_OPEN | SS_DOT_PENDING | SS_NO_REC |
	    SS_MID);
	st->nstatus = 0;
	st->nrcpt = 0;
	st->tx_flags = 0;
	st->mail_from[0] = '\0';
}

/* DATA accepted or the first BDAT chunk: the message begins. */
static void msg_start(struct smtp_state *st, struct flow_ctx *fc, bool bdat)
{
	struct smtp_rec *r;

	tx_open(st, fc);
	st->flags &= ~(uint32_t)(SS_MID | SS_SAID_DATA_LONG);
	st->tx_flags |= EV_SMTP_HAS_MESSAGE | (bdat ? EV_SMTP_BDAT : 0);
	r = tx_rec(st, fc);
	if (r && !r->mime_on) {
		mime_init(&r->mp, &smtp_mime_sink, r);
		r->mime_on = true;
	}
}

/* The end-of-data line or the last BDAT chunk. */
static void msg_end(struct smtp_state *st)
{
	struct smtp_rec *r = rec_get(st);

	if (r && r->mime_on) {
		mime_finish(&r->mp);
		r->mime_on = false;
		if (r->mp.too_deep)
			r->ev.flags |= EV_SMTP_MIME_TOO_DEEP;
	}
	st->tx_flags |= EV_SMTP_DATA_DONE;
	st->flags |= SS_DOT_PENDING;
	st->flags &= ~(uint32_t)(SS_MID | SS_BDAT_LAST);
	st->cmode = CM_CMD;
}

static void msg_piece(struct smtp_state *st, const uint8_t *p, size_t n,
    bool eol)
{
	struct smtp_rec *r = rec_get(st);

	if (r && r->mime_on)
		mime_feed(&r->mp, p, n, eol ? MIME_EOL : 0);
}

/* ------------------------------------------------------------------------
 * Commands
 * --------------------------------------------------------------------- */

static void q_push(struct smtp_state *st, struct flow_ctx *fc,
    enum smtp_cmd c)
{
	if (st->qlen >= SMTP_MAX_PENDING) {
		if (!(st->flags & SS_SAID_QUEUE)) {
			st->flags |= SS_SAID_QUEUE;
			flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_TOO_MANY, "smtp",
			    "more than %d commands awaiting replies",
			    SMTP_MAX_PENDING);
		}
		return;
	}
	st->q[(st->qhead + st->qlen) % SMTP_MAX_PENDING] = (uint8_t)c;
	st->qlen++;
}

static const struct {
	const char *verb;
	enum smtp_cmd cmd;
} smtp_verbs[] = {
	{ "HELO", SC_HELO }, { "EHLO", SC_EHLO }, { "MAIL", SC_MAIL },
	{ "RCPT", SC_RCPT }, { "DATA", SC_DATA }, { "BDAT", SC_BDAT },
	{ "RSET", SC_RSET }, { "QUIT", SC_QUIT }, { "AUTH", SC_AUTH },
	{ "STARTTLS", SC_STARTTLS },
};

/*
 * The path of "MAIL FROM:<path> params" / "RCPT TO:<path>", after the
 * keyword: without angle brackets, source route or parameters.
 */
static void cmd_path(struct rd *r, const uint8_t **ap, size_t *an)
{
	const uint8_t *p = r->p;
	size_t n = r->left, i = 0, s;

	while (i < n && is_wsp(p[i]))
		i++;
	if (i < n && p[i] == '<') {
		s = ++i;
		while (i < n && p[i] != '>')
			i++;
	} else {
		s = i;
		while (i < n && !is_wsp(p[i]))
			i++;
	}
	*ap = p + s;
	*an = i - s;
	if (*an && (*ap)[0] == '@') {
		const uint8_t *c = memchr(*ap, ':', *an);

		if (c) {
			*an -= (size_t)(c + 1 - *ap);
			*ap = c + 1;
		}
	}
	trim(ap, an);
}

/* Moves the cursor past "FROM:" / "TO:" (spaces allowed around ':'). */
static bool cmd_keyword(struct rd *r, const char *kw)
{
	size_t l = strlen(kw);

	while (r->left && is_wsp(r->p[0]))
		rd_skip(r, 1);
	if (!has_iprefix(r->p, r->left, kw))
		return false;
	rd_skip(r, l);
	while (r->left && is_wsp(r->p[0]))
		rd_skip(r, 1);
	if (!r->left || r->p[0] != ':')
		return false;
	rd_skip(r, 1);
	return true;
}

static void cmd_mail(struct smtp_state *st, struct flow_ctx *fc, struct rd *r)
{
	struct smtp_rec *rec;
	const uint8_t *ap;
	size_t an;

	if (st->flags & SS_TX_OPEN)
		tx_emit(st, fc, false);	/* a new transaction ends the last */
	tx_open(st, fc);
	st->tx_flags |= EV_SMTP_HAS_MAIL_FROM;
	if (!cmd_keyword(r, "FROM"))
		return;
	cmd_path(r, &ap, &an);
	copy_str(st->mail_from, sizeof(st->mail_from), ap, an);
	rec = tx_rec(st, fc);
	if (rec && copy_str(rec->ev.mail_from, sizeof(rec->ev.mail_from), ap, an))
		rec->ev.trunc |= EV_SMTP_TR_MAIL_FROM;
}

static void cmd_rcpt(struct smtp_state *st, struct flow_ctx *fc, struct rd *r)
{
	struct smtp_rec *rec;
	const uint8_t *ap;
	size_t an;
	struct ev_smtp *e;

	tx_open(st, fc);
	if (st->nrcpt < UINT16_MAX)
		st->nrcpt++;
	rec = tx_rec(st, fc);
	if (!rec)
		return;
	e = &rec->ev;
	if (!cmd_keyword(r, "TO"))
		return;
	cmd_path(r, &ap, &an);
	if (e->n_rcpt >= EV_SMTP_MAX_RCPT) {
		e->n_rcpt_dropped++;
		e->trunc |= EV_SMTP_TR_RCPT;
		return;
	}
	if (copy_str(e->rcpt_to[e->n_rcpt++], EV_SMTP_ADDR_MAX, ap, an))
		e->trunc |= EV_SMTP_TR_RCPT;
}

/* "BDAT size [LAST]": 0 and the size, or -1 when the syntax is wrong. */
static int bdat_args(struct rd *r, uint64_t *size, bool *last)
{
	uint64_t v = 0;
	size_t digits = 0;

	while (r->left && is_wsp(r->p[0]))
		rd_skip(r, 1);
	while (r->left && r->p[0] >= '0' && r->p[0] <= '9') {
		v = v * 10 + (uint64_t)(r->p[0] - '0');
		if (++digits > 15 || v > SMTP_BDAT_MAX)
			return -1;
		rd_skip(r, 1);
	}
	if (!digits || (r->left && !is_wsp(r->p[0])))
		return -1;
	while (r->left && is_wsp(r->p[0]))
		rd_skip(r, 1);
	*last = false;
	if (r->left) {
		const uint8_t *k = r->p;
		size_t kn = r->left;

		trim(&k, &kn);
		if (!bytes_ieq(k, kn, "LAST"))
			return -1;
		*last = true;
	}
	*size = v;
	return 0;
}

static void client_line(struct smtp_state *st, struct flow_ctx *fc,
    const uint8_t *p, size_t n)
{
	struct rd r = rd_init(p, n);
	enum smtp_cmd cmd = SC_OTHER;
	const uint8_t *arg;
	size_t vl = 0, an;

	if (st->flags & SS_AUTH)
		return;		/* a SASL response: never read, never kept */
	while (vl < n && vl < 10 && !is_wsp(p[vl]))
		vl++;
	for (size_t i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++)
		if (bytes_ieq(p, vl, smtp_verbs[i].verb))
			cmd = smtp_verbs[i].cmd;
	rd_skip(&r, vl);
	switch (cmd) {
	case SC_HELO:
	case SC_EHLO:
		arg = r.p;
		an = r.left;
		trim(&arg, &an);
		st->helo_trunc = copy_str(st->helo, sizeof(st->helo), arg, an);
		st->flags |= SS_SESSION;
		break;
	case SC_MAIL:
		cmd_mail(st, fc, &r);
		break;
	case SC_RCPT:
		cmd_rcpt(st, fc, &r);
		break;
	case SC_DATA:
		tx_open(st, fc);
		st->cmode = CM_DATA_WAIT;
		if (!(st->flags & SS_SEEN_SERVER)) {
			/* Only the client side is seen: assume 354. */
			msg_start(st, fc, false);
			st->cmode = CM_DATA;
		}
		break;
	case SC_BDAT: {
		uint64_t size;
		bool last;

		if (bdat_args(&r, &size, &last) != 0) {
			flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_MALFORMED, "smtp",
			    "BDAT without a valid chunk size");
			cmd = SC_OTHER;
			break;
		}
		if (!(st->tx_flags & EV_SMTP_HAS_MESSAGE) ||
		    (st->flags & SS_DOT_PENDING)) {
			if (st->flags & SS_DOT_PENDING)
				tx_emit(st, fc, false);
			msg_start(st, fc, true);
		}
		if (last) {
			cmd = SC_BDAT_LAST;
			st->flags |= SS_BDAT_LAST;
		}
		st->bdat_left = size;
		st->cmode = CM_BDAT;
		if (size == 0 && last)
			msg_end(st);
		else if (size == 0)
			st->cmode = CM_CMD;
		break;
	}
	case SC_RSET:
	case SC_QUIT:
		if ((st->flags & SS_TX_OPEN) && !(st->flags & SS_DOT_PENDING))
			tx_emit(st, fc, false);
		break;
	case SC_AUTH: {
		size_t ml = 0;

		while (r.left && is_wsp(r.p[0]))
			rd_skip(&r, 1);
		/* RFC 4422 3.1: mechanism names are [A-Z0-9-_], 1-20 chars. */
		while (ml < r.left && ml < EV_SMTP_MECH_MAX - 1 &&
		    (((r.p[ml] | 0x20) >= 'a' && (r.p[ml] | 0x20) <= 'z') ||
		    (r.p[ml] >= '0' && r.p[ml] <= '9') || r.p[ml] == '-' ||
		    r.p[ml] == '_'))
			ml++;
		for (size_t i = 0; i < ml; i++)
			st->auth_mech[i] = (char)(r.p[i] >= 'a' && r.p[i] <= 'z' ?
			    r.p[i] - 32 : r.p[i]);
		st->auth_mech[ml] = '\0';
		st->flags |= SS_AUTH | SS_SESSION;
		break;
	}
	case SC_STARTTLS:
		st->flags |= SS_TLS_SENT | SS_SESSION;
		break;
	default:
		break;
	}
	q_push(st, fc, cmd);
}

/* ------------------------------------------------------------------------
 * Replies
 * --------------------------------------------------------------------- */

static void go_tls(struct smtp_state *st, struct flow_ctx *fc)
{
	st->cmode = CM_STOP;
	st->flags |= SS_TLS_SENT;
	tx_emit(st, fc, true);
}

static void server_line(struct smtp_state *st, struct flow_ctx *fc,
    const uint8_t *p, size_t n)
{
	uint16_t code;
	enum smtp_cmd cmd;
	bool greeting;

	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return;		/* not a reply line: ignored */
	if (n > 3 && p[3] == '-')
		return;		/* RFC 5321 4.2.1: more lines follow */
	code = (uint16_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	greeting = !(st->flags & SS_GREETED) && code == 220 &&
	    !(st->qlen && st->q[st->qhead] == SC_STARTTLS);
	st->flags |= SS_GREETED;
	if (greeting || st->qlen == 0)
		return;
	cmd = (enum smtp_cmd)st->q[st->qhead];
	if (cmd == SC_AUTH && code == 334)
		return;		/* a challenge: the exchange goes on */
	st->qhead = (uint8_t)((st->qhead + 1) % SMTP_MAX_PENDING);
	st->qlen--;
	switch (cmd) {
	case SC_MAIL:
	case SC_RCPT:
	case SC_BDAT:
		if (st->flags & SS_TX_OPEN)
			status_add(st, code);
		break;
	case SC_DATA:
		if (st->flags & SS_TX_OPEN)
			status_add(st, code);
		if (st->cmode == CM_DATA_WAIT) {
			if (code == 354) {
				msg_start(st, fc, false);
				st->cmode = CM_DATA;
			} else {
				st->cmode = CM_CMD;
			}
		}
		break;
	case SC_DOT:
	case SC_BDAT_LAST:
		if (st->flags & SS_DOT_PENDING) {
			status_add(st, code);
			tx_emit(st, fc, false);
		}
		break;
	case SC_AUTH:
		st->flags &= ~(uint32_t)SS_AUTH;
		break;
	case SC_STARTTLS:
		if (code == 220)
			go_tls(st, fc);
		else
			st->flags &= ~(uint32_t)SS_TLS_SENT;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------------
 * Feeding
 * --------------------------------------------------------------------- */

/* The rest of a message line fed in pieces; returns bytes consumed. */
static size_t data_mid(struct smtp_state *st, const uint8_t *q, size_t left)
{
	const uint8_t *lf = memchr(q, '\n', left);
	size_t k;

	if (lf) {
		k = (size_t)(lf - q);
		msg_piece(st, q, k && q[k - 1] == '\r' ? k - 1 : k, true);
		st->flags &= ~(uint32_t)SS_MID;
		return k + 1;
	}
	k = left;
	if (q[k - 1] == '\r')
		k--;		/* may be the CR of CRLF: wait for the LF */
	if (k)
		msg_piece(st, q, k, false);
	return k;
}

static void data_overlong(struct smtp_state *st, struct flow_ctx *fc)
{
	if (st->flags & SS_SAID_DATA_LONG)
		return;
	st->flags |= SS_SAID_DATA_LONG;
	flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_OVERLONG_LINE, "smtp",
	    "message line longer than %d bytes", SMTP_DATA_LINE_MAX);
}

/*
 * One message line (or its first piece) from txt_next_line in DATA/BDAT.
 * An overlong line whose end is already here is passed whole.
 */
static void data_line(struct smtp_state *st, struct flow_ctx *fc,
    const struct txt_line *ln, enum txt_status ts, bool unstuff)
{
	const uint8_t *p = ln->p;
	size_t n = ln->len;
	bool eol = true;

	if (ts == TXT_OVERLONG) {
		data_overlong(st, fc);
		if (ln->consumed > ln->len) {
			n = ln->consumed - 1;
			if (n && p[n - 1] == '\r')
				n--;
		} else {
			eol = false;
			st->flags |= SS_MID;
		}
	}
	if (unstuff && n && p[0] == '.') {
		p++;
		n--;		/* RFC 5321 4.5.2 */
	}
	msg_piece(st, p, n, eol);
}

/* A BDAT chunk fully read: back to commands; the last one ends the message. */
static void bdat_check(struct smtp_state *st)
{
	if (st->cmode != CM_BDAT || st->bdat_left)
		return;
	if (st->flags & SS_BDAT_LAST)
		msg_end(st);
	st->cmode = CM_CMD;
}

/* Client bytes; returns how many were consumed. */
static size_t feed_client(struct smtp_state *st, struct flow_ctx *fc,
    const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		const uint8_t *q = p + off;
		size_t left = n - off, win;
		struct txt_line ln;
		enum txt_status ts;

		switch (st->cmode) {
		case CM_STOP:
			return n;
		case CM_DATA_WAIT:
			if (left <= SMTP_HOLD_MAX)
				return off;	/* until the reply says 354 or not */
			msg_start(st, fc, false);
			st->cmode = CM_DATA;
			continue;
		case CM_DATA:
			if (st->flags & SS_MID) {
				size_t k = data_mid(st, q, left);

				if (k == 0)
					return off;
				off += k;
				continue;
			}
			ts = txt_next_line(q, left, SMTP_DATA_LINE_MAX, &ln);
			if (ts == TXT_NEED_MORE)
				return off;
			off += ln.consumed;
			if (ts == TXT_LINE && ln.len == 1 && ln.p[0] == '.') {
				msg_end(st);
				q_push(st, fc, SC_DOT);
				continue;
			}
			data_line(st, fc, &ln, ts, true);
			continue;
		case CM_BDAT:
			win = left < st->bdat_left ? left : (size_t)st->bdat_left;
			if (st->flags & SS_MID) {
				const uint8_t *lf = memchr(q, '\n', win);
				size_t k = lf ? (size_t)(lf - q) : win;

				msg_piece(st, q, k && q[k - 1] == '\r' ? k - 1 : k,
				    lf != NULL);
				if (lf) {
					k++;
					st->flags &= ~(uint32_t)SS_MID;
				}
				off += k;
				st->bdat_left -= k;
				bdat_check(st);
				continue;
			}
			ts = txt_next_line(q, win, SMTP_DATA_LINE_MAX, &ln);
			if (ts == TXT_NEED_MORE) {
				if (win < st->bdat_left)
					return off;
				/* The chunk ends inside this line. */
				msg_piece(st, q, q[win - 1] == '\r' ? win - 1 : win,
				    false);
				st->flags |= SS_MID;
				off += win;
				st->bdat_left -= win;
				bdat_check(st);
				continue;
			}
			off += ln.consumed;
			st->bdat_left -= ln.consumed;
			data_line(st, fc, &ln, ts, false);
			bdat_check(st);
			continue;
		default:
			break;
		}
		/* CM_CMD */
		if (st->flags & SS_SKIP_TS) {
			bool done;

			off += txt_skip_line(q, left, &done);
			if (done)
				st->flags &= ~(uint32_t)SS_SKIP_TS;
			continue;
		}
		if ((st->flags & SS_TLS_SENT) && q[0] == 0x16) {
			/* A TLS record after STARTTLS (the reply was not seen). */
			go_tls(st, fc);
			return n;
		}
		ts = txt_next_line(q, left, SMTP_LINE_MAX, &ln);
		if (ts == TXT_NEED_MORE)
			return off;
		off += ln.consumed;
		if (ts == TXT_OVERLONG) {
			if (ln.consumed == ln.len)
				st->flags |= SS_SKIP_TS;
			flow_anomaly(fc, DIR_TO_SERVER, ANOM_APP_OVERLONG_LINE,
			    "smtp", "command line longer than %d bytes",
			    SMTP_LINE_MAX);
			if (!(st->flags & SS_AUTH))
				q_push(st, fc, SC_OTHER);
			continue;
		}
		client_line(st, fc, ln.p, ln.len);
	}
	return off;
}

static size_t feed_server(struct smtp_state *st, struct flow_ctx *fc,
    const uint8_t *p, size_t n)
{
	size_t off = 0;

	st->flags |= SS_SEEN_SERVER;
	while (off < n) {
		const uint8_t *q = p + off;
		size_t left = n - off;
		struct txt_line ln;
		enum txt_status ts;

		if (st->cmode == CM_STOP)
			return n;
		if (st->flags & SS_SKIP_TC) {
			bool done;

			off += txt_skip_line(q, left, &done);
			if (done)
				st->flags &= ~(uint32_t)SS_SKIP_TC;
			continue;
		}
		ts = txt_next_line(q, left, SMTP_LINE_MAX, &ln);
		if (ts == TXT_NEED_MORE)
			return off;
		off += ln.consumed;
		if (ts == TXT_OVERLONG) {
			if (ln.consumed == ln.len)
				st->flags |= SS_SKIP_TC;
			flow_anomaly(fc, DIR_TO_CLIENT, ANOM_APP_OVERLONG_LINE,
			    "smtp", "reply line longer than %d bytes",
			    SMTP_LINE_MAX);
			continue;
		}
		server_line(st, fc, ln.p, ln.len);
	}
	return off;
}

static struct feed_result smtp_feed(void *state, struct flow_ctx *fc,
    enum dir d, const uint8_t *p, size_t n)
{
	struct smtp_state *st = state;
	size_t off;

	if (n == 0)
		return (struct feed_result){ FEED_OK, 0 };
	if (d == DIR_TO_SERVER)
		off = feed_client(st, fc, p, n);
	else
		off = feed_server(st, fc, p, n);
	return (struct feed_result){ FEED_OK, (uint32_t)off };
}

/* ------------------------------------------------------------------------
 * Gaps, end of stream, close
 * --------------------------------------------------------------------- */

static void smtp_gap(void *state, struct flow_ctx *fc, enum dir d,
    uint32_t len)
{
	struct smtp_state *st = state;
	struct smtp_rec *r = rec_get(st);

	(void)fc;
	if (st->flags & SS_TX_OPEN)
		st->tx_flags |= EV_SMTP_GAP;
	if (r)
		r->ev.flags |= EV_SMTP_GAP;
	if (d == DIR_TO_CLIENT) {
		/* Lost replies: the queue can no longer be trusted. */
		st->flags |= SS_SKIP_TC;
		st->qlen = 0;
		return;
	}
	switch (st->cmode) {
	case CM_DATA:
		st->flags |= SS_MID;	/* the rest of this line is noise */
		break;
	case CM_BDAT:
		if (len < st->bdat_left) {
			st->bdat_left -= len;
			st->flags |= SS_MID;
			break;
		}
		st->bdat_left = 0;
		if (st->flags & SS_BDAT_LAST)
			msg_end(st);
		st->cmode = CM_CMD;
		st->flags |= SS_SKIP_TS;
		break;
	case CM_CMD:
		st->flags |= SS_SKIP_TS;
		break;
	default:
		break;
	}
}

static void smtp_eof(void *state, struct flow_ctx *fc, enum dir d)
{
	(void)state;
	(void)fc;
	(void)d;
}

static void smtp_close(void *state, struct flow_ctx *fc)
{
	struct smtp_state *st = state;

	if (st->flags & SS_TX_OPEN) {
		if ((st->tx_flags & EV_SMTP_HAS_MESSAGE) &&
		    !(st->tx_flags & EV_SMTP_DATA_DONE))
			st->tx_flags |= EV_SMTP_INCOMPLETE;
		tx_emit(st, fc, false);
	} else if (!(st->flags & SS_EMITTED) && (st->flags & SS_SESSION)) {
		tx_emit(st, fc, true);
	}
	rec_free(st);
	st->cmode = CM_STOP;
}

static void smtp_init(void *state)
{
	struct smtp_state *st = state;

	memset(st, 0, sizeof(*st));
	st->slot = SMTP_SLOT_NONE;
	st->cmode = CM_CMD;
}

/* ------------------------------------------------------------------------
 * Probe
 * --------------------------------------------------------------------- */

static bool port_hinted(uint16_t sport, uint16_t dport)
{
	return sport == SMTP_PORT || dport == SMTP_PORT ||
	    sport == SMTP_PORT_SUBMIT || dport == SMTP_PORT_SUBMIT ||
	    sport == SMTP_PORT_ALT || dport == SMTP_PORT_ALT;
}

/* Does p (n bytes) start like pat, or could it once more bytes come? */
static enum probe_result probe_prefix(const uint8_t *p, size_t n,
    const char *pat)
{
	size_t l = strlen(pat);

	for (size_t i = 0; i < l; i++) {
		if (i == n)
			return PROBE_MORE;
		if (lower(p[i]) != lower((uint8_t)pat[i]))
			return PROBE_NO;
	}
	return PROBE_YES;
}

static bool line_has(const uint8_t *p, size_t n, const char *w)
{
	size_t l = strlen(w);

	for (size_t i = 0; i + l <= n; i++)
		if (bytes_ieq(p + i, l, w))
			return true;
	return false;
}

static enum probe_result smtp_probe(const uint8_t *p, size_t n, enum dir d,
    uint16_t sport, uint16_t dport)
{
	bool hint = port_hinted(sport, dport);
	enum probe_result r;
	struct txt_line ln;

	if (n == 0)
		return PROBE_MORE;
	if (d == DIR_TO_CLIENT) {
		if (n >= 4 && p[3] == '-')
			r = probe_prefix(p, n, "220-");
		else
			r = probe_prefix(p, n, "220 ");
		if (r != PROBE_YES)
			return r;
		if (txt_next_line(p, n, SMTP_PROBE_LINE, &ln) != TXT_LINE)
			return n < SMTP_PROBE_LINE ? (hint ? PROBE_YES :
			    PROBE_MORE) : PROBE_NO;
		if (hint || line_has(ln.p, ln.len, "SMTP") ||
		    line_has(ln.p, ln.len, "mail"))
			return PROBE_YES;
		if (line_has(ln.p, ln.len, "FTP"))
			return PROBE_NO;
		return PROBE_MORE;	/* the client's first command decides */
	}
	{
		static const char *const first[] = {
			"EHLO ", "HELO ", "EHLO\r", "HELO\r", "EHLO\n", "HELO\n",
		};
		static const char *const mid[] = {
			"MAIL FROM:", "RCPT TO:", "STARTTLS\r", "QUIT\r",
		};
		bool more = false;

		for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
			r = probe_prefix(p, n, first[i]);
			if (r == PROBE_YES)
				return r;
			more |= r == PROBE_MORE;
		}
		if (hint) {
			for (size_t i = 0; i < sizeof(mid) / sizeof(mid[0]); i++) {
				r = probe_prefix(p, n, mid[i]);
				if (r == PROBE_YES)
					return r;
				more |= r == PROBE_MORE;
			}
		}
		return more ? PROBE_MORE : PROBE_NO;
	}
}

const struct dissector smtp_dissector = {
	.name = "smtp",
	.ipproto = IPPROTO_TCP,
	.hint_port = SMTP_PORT,
	.hint_port2 = SMTP_PORT_SUBMIT,
	.state_size = sizeof(struct smtp_state),
	.probe = smtp_probe,
	.init = smtp_init,
	.feed = smtp_feed,
	.gap = smtp_gap,
	.eof = smtp_eof,
	.close = smtp_close,
};
