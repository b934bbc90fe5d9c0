/*
 * dns.c - DNS dissector (UDP and TCP): one event per query/response pair.
 *
 * A DNS message is a 12-byte header followed by four sections of records.
 * Over UDP each datagram carries one message; over TCP every message is
 * preceded by a two-byte length, and a connection may carry several
 * messages in either direction (RFC 7766).
 *
 * clang-format off
 *
 *   TCP only: | length (2) |
 *   +--------+--------+--------+--------+--------+--------+
 *   | id (2) | flags  | qdcount| ancount| nscount| arcount|   header (12)
 *   +--------+--------+--------+--------+--------+--------+
 *   flags: |QR| opcode(4) |AA|TC|RD|RA| Z|AD|CD| rcode(4) |
 *   question: qname  qtype(2) qclass(2)
 *   record:   name   type(2)  class(2) ttl(4) rdlength(2) rdata
 *
 *   name: labels | len (0..63) | bytes |, ended by a zero byte, or cut short
 *         by a pointer | 11 | offset (14 bits) | to an earlier name.
 *
 * clang-format on
 *
 * References: RFC 1035 4.1 (message format), 4.1.4 (compression), 3.3 and
 * 3.4 (CNAME, MX, NS, PTR, SOA, TXT, A), 5.1 (presentation escapes \X and
 * \DDD); RFC 3596 (AAAA); RFC 2782 (SRV); RFC 6672 (DNAME); RFC 6891 6.1.2
 * (OPT); RFC 7766 8 (TCP framing); RFC 6762 18 (mDNS header use); RFC 4795
 * (LLMNR); IANA "Domain Name System (DNS) Parameters" (opcodes, rcodes).
 *
 * Pairing: a small table of outstanding queries in the flow state, keyed
 * by (id, qtype, hash of the lower-cased qname).  The qnames themselves sit
 * in a small arena in the state, so a query that gets no answer is still
 * logged with its name; when the arena is full only the hash is kept and
 * such a query is logged without rrname.  Unanswered queries are logged
 * after DNS_TIMEOUT_US of capture time (checked on later feeds and ticks)
 * or when the flow closes.  A response with no query seen is logged on its
 * own.  A response pairs with the oldest matching query; a repeated
 * identical query (a retransmission) does not open a second transaction
 * but restarts its clock, and a new query reusing an outstanding id
 * replaces the older one, which is logged as unanswered.
 *
 * Compression pointers must go strictly backwards: each pointer's target is
 * below the place the name (or the previous pointer's target) began, as
 * tcpdump's fqdn_print requires, so loops and forward pointers are refused.
 * A name longer than 255 octets on the wire is refused (RFC 1035 3.1).
 *
 * Deliberately not handled: the authority and additional sections (not
 * parsed, only counted), EDNS extended rcodes and options, DNSSEC record
 * contents (kept as raw bytes), zone transfers spanning many messages
 * (each message is its own response; only the first pairs), DNS over TLS,
 * HTTPS or QUIC, and multiple questions beyond the first (counted only).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dissector.h"
#include "rd.h"

#define DNS_PORT 53
#define DNS_MDNS_PORT 5353
#define DNS_LLMNR_PORT 5355
#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255		/* RFC 1035 3.1, root byte included */
#define DNS_MAX_PENDING 8
#define DNS_NAME_ARENA 304		/* qnames of outstanding queries */
#define DNS_TIMEOUT_US 5000000ULL	/* capture time */
#define DNS_MAX_BAD 8			/* malformed datagrams before giving up */
#define DNS_PROBE_QD_MAX 4		/* questions in a plausible message */
#define DNS_PROBE_QD_MAX_HINTED 64	/* on a DNS port (mDNS asks many) */

/* Header flags word (RFC 1035 4.1.1, RFC 2535 6.1 for AD/CD). */
#define DNS_F_QR 0x8000
#define DNS_F_OPCODE(f) (((f) >> 11) & 0x0f)
#define DNS_F_RCODE(f) ((f) & 0x0f)

enum dns_opcode {
	DNS_OP_QUERY = 0, DNS_OP_IQUERY = 1, DNS_OP_STATUS = 2,
	DNS_OP_NOTIFY = 4, DNS_OP_UPDATE = 5, DNS_OP_DSO = 6,
};

enum dns_type {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6,
	DNS_T_PTR = 12, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28,
	DNS_T_SRV = 33, DNS_T_DNAME = 39,
};

enum dns_state_flag {
	DNS_ST_TCP = 1 << 0,		/* fed by the TCP dissector */
	DNS_ST_RESYNC_TS = 1 << 1,	/* lost TCP framing, per direction */
	DNS_ST_RESYNC_TC = 1 << 2,
	DNS_ST_TOO_MANY_SAID = 1 << 3,	/* pending overflow reported once */
};

enum dns_pend_flag {
	DNS_PEND_NAME_KEPT = 1 << 0,	/* names[name_off..+name_len) valid */
	DNS_PEND_TRUNCATED = 1 << 1,	/* the query message was cut short */
	DNS_PEND_TO_CLIENT = 1 << 2,	/* the query travelled DIR_TO_CLIENT */
};

/* An outstanding query. */
struct dns_pend {
	uint64_t ts;		/* capture time of the query */
	uint32_t hash;		/* of the lower-cased wire qname */
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	uint16_t flags;		/* the query's header flags word */
	uint16_t name_off;	/* wire qname, root byte included */
	uint8_t name_len;
	uint8_t pflags;		/* enum dns_pend_flag */
};

struct dns_state {
	struct dns_pend pend[DNS_MAX_PENDING];	/* oldest first */
	uint16_t names_used;
	uint8_t npend;
	uint8_t flags;		/* enum dns_state_flag */
	uint8_t nbad;		/* malformed messages seen (capped) */
	uint8_t names[DNS_NAME_ARENA];
};

/* An uncompressed wire-format name. */
struct dns_name {
	uint8_t wire[DNS_NAME_WIRE_MAX];
	uint16_t len;
};

enum name_status {
	NAME_OK,
	NAME_SHORT,		/* ran past the bytes we have */
	NAME_BAD_POINTER,	/* pointer not strictly backwards */
	NAME_TOO_LONG,		/* over 255 octets */
	NAME_BAD_LABEL,		/* label type 01 or 10 (RFC 6891 5) */
};

static const char *const name_status_names[] = {
	[NAME_OK] = "ok",
	[NAME_SHORT] = "dns.name_truncated",
	[NAME_BAD_POINTER] = "dns.bad_compression_pointer",
	[NAME_TOO_LONG] = "dns.name_too_long",
	[NAME_BAD_LABEL] = "dns.bad_label_type",
};

struct dns_hdr {
	uint16_t id, flags, qd, an, ns, ar;
};

/* The first question of a message. */
struct dns_question {
	struct dns_name name;
	uint16_t qtype, qclass;
	bool present;
};

/* ------------------------------------------------------------------------
 * Names
 * --------------------------------------------------------------------- */

/*
 * Reads the name that starts at msg[off], where msg[0..len) is the whole
 * message (pointers are offsets into it).  Fills *nm with the uncompressed
 * wire form (root byte included) and *next with the offset just past the
 * name in the record, i.e. past the first pointer if there is one.  Every
 * pointer must point below where the name, or the previous pointer's
 * target, began (tcpdump fqdn_print): targets strictly decrease, so no loop
 * or forward pointer is followed.  Returns NAME_OK or the failure; borrows
 * msg.
 */
static enum name_status name_read(const uint8_t *msg, size_t len, size_t off,
    struct dns_name *nm, size_t *next)
{
	size_t limit = off;	/* a pointer must go below this */
	size_t pos = off;
	bool jumped = false;

	nm->len = 0;
	for (;;) {
		struct rd r = rd_init(msg + (pos < len ? pos : len),
		    pos < len ? len - pos : 0);
		uint8_t c = rd_u8(&r);
		const uint8_t *lab;

		if (r.short_read)
			return NAME_SHORT;
		if ((c & 0xc0) == 0xc0) {
			size_t target = (size_t)(c & 0x3f) << 8 | rd_u8(&r);

			if (r.short_read)
				return NAME_SHORT;
			/* This must move backwards in the message. */
			if (target >= limit)
				return NAME_BAD_POINTER;
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			limit = pos = target;
			continue;
		}
		if (c & 0xc0)
			return NAME_BAD_LABEL;
		if ((size_t)nm->len + 1 + c > DNS_NAME_WIRE_MAX)
			return NAME_TOO_LONG;
		nm->wire[nm->len++] = c;
		if (c == 0)
			break;
		lab = rd_ptr(&r, c);
		if (!lab)
			return NAME_SHORT;
		memcpy(nm->wire + nm->len, lab, c);
		nm->len += c;
		pos += 1u + c;
	}
	if (!jumped)
		*next = pos + 1;
	return NAME_OK;
}

/*
 * Writes the wire name w[0..n) in presentation form into out[0..cap),
 * always NUL-terminated (cap >= 1).  Returns the length written, and sets
 * *trunc when it did not all fit (the text stops at a whole character).
 */
static size_t name_text(const uint8_t *w, size_t n, char *out, size_t cap,
    bool *trunc)
{
	struct rd r = rd_init(w, n);
	size_t o = 0;
	bool first = true;

	*trunc = false;
	for (;;) {
		uint8_t l = rd_u8(&r);
		const uint8_t *lab;

		if (r.short_read || l == 0)
			break;
		lab = rd_ptr(&r, l);
		if (!lab)
			break;
		if (!first) {
			if (o + 2 > cap)
				goto full;
			out[o++] = '.';
		}
		first = false;
		for (size_t i = 0; i < l; i++) {
			uint8_t b = lab[i];
			char esc[5];
			size_t k;

			if (b == '.' || b == '\\') {
				esc[0] = '\\';
				esc[1] = (char)b;
				k = 2;
			} else if (b < 0x21 || b > 0x7e) {
				esc[0] = '\\';
				esc[1] = (char)('0' + b / 100);
				esc[2] = (char)('0' + b / 10 % 10);
				esc[3] = (char)('0' + b % 10);
				k = 4;
			} else {
				esc[0] = (char)b;
				k = 1;
			}
			if (o + k + 1 > cap)
				goto full;
			memcpy(out + o, esc, k);
			o += k;
		}
	}
	if (first && cap >= 2)
		out[o++] = '.';		/* the root */
	out[o] = '\0';
	return o;
full:
	*trunc = true;
	out[o] = '\0';
	return o;
}

/* FNV-1a over the lower-cased wire name (ASCII case only, RFC 4343). */
static uint32_t name_hash(const uint8_t *w, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = w[i];

		if (b >= 'A' && b <= 'Z')
			b = (uint8_t)(b + 32);
		h = (h ^ b) * 16777619u;
	}
	return h;
}

/* ------------------------------------------------------------------------
 * Header and question
 * --------------------------------------------------------------------- */

static bool hdr_read(struct rd *r, struct dns_hdr *h)
{
	h->id = rd_be16(r);
	h->flags = rd_be16(r);
	h->qd = rd_be16(r);
	h->an = rd_be16(r);
	h->ns = rd_be16(r);
	h->ar = rd_be16(r);
	return !r->short_read;
}

static bool opcode_known(unsigned op)
{
	return op == DNS_OP_QUERY || op == DNS_OP_IQUERY ||
	    op == DNS_OP_STATUS || op == DNS_OP_NOTIFY ||
	    op == DNS_OP_UPDATE || op == DNS_OP_DSO;
}

/*
 * Reads the qdcount questions after the header, keeping the first.  *off
 * moves past them.  Returns NAME_OK, or why it stopped.
 */
static enum name_status questions_read(const uint8_t *msg, size_t len,
    size_t *off, uint16_t qd, struct dns_question *q)
{
	q->present = false;
	for (unsigned i = 0; i < qd; i++) {
		struct dns_name tmp;
		struct dns_name *nm = i == 0 ? &q->name : &tmp;
		size_t next = 0;
		enum name_status ns = name_read(msg, len, *off, nm, &next);
		struct rd r;
		uint16_t t, c;

		if (ns != NAME_OK)
			return ns;
		r = rd_init(msg + (next < len ? next : len),
		    next < len ? len - next : 0);
		t = rd_be16(&r);
		c = rd_be16(&r);
		if (r.short_read)
			return NAME_SHORT;
		if (i == 0) {
			q->qtype = t;
			q->qclass = c;
			q->present = true;
		}
		*off = next + 4;
	}
	return NAME_OK;
}

/* A class a question may carry: IN, CH, HS, NONE, ANY (mDNS top bit off). */
static bool qclass_plausible(uint16_t c)
{
	c &= 0x7fff;
	return c == 1 || c == 3 || c == 4 || c == 254 || c == 255;
}

/*
 * Does msg[0..n) look like the start of a DNS message?  'complete' says
 * n is the whole message (so a short read is final).  'hinted' (a DNS port)
 * allows more questions and lets a sane header carry a bad or cut name
 * through, so that feed() reports it as malformed DNS.  PROBE_MORE when
 * undecided.
 */
static enum probe_result msg_plausible(const uint8_t *msg, size_t n,
    bool complete, bool hinted)
{
	struct rd r = rd_init(msg, n);
	struct dns_hdr h;
	struct dns_question q;
	size_t off = DNS_HDR_LEN;
	unsigned qdmax = hinted ? DNS_PROBE_QD_MAX_HINTED : DNS_PROBE_QD_MAX;
	unsigned long rrs;
	enum name_status ns;

	if (!hdr_read(&r, &h))
		return complete ? PROBE_NO : PROBE_MORE;
	if (!opcode_known(DNS_F_OPCODE(h.flags)) || DNS_F_RCODE(h.flags) > 11)
		return PROBE_NO;
	rrs = (unsigned long)h.an + h.ns + h.ar;
	if (!(h.flags & DNS_F_QR)) {
		/* A query asks something and carries no error. */
		if (h.qd < 1 || h.qd > qdmax || DNS_F_RCODE(h.flags) != 0)
			return PROBE_NO;
	} else if (h.qd > qdmax || h.qd + rrs == 0) {
		return PROBE_NO;
	}
	ns = questions_read(msg, n, &off, h.qd, &q);
	if (ns == NAME_SHORT) {
		if (!complete)
			return PROBE_MORE;
		/* A datagram cut short: trust the port. */
		return hinted ? PROBE_YES : PROBE_NO;
	}
	if (ns != NAME_OK)
		return hinted ? PROBE_YES : PROBE_NO;
	/* The records must fit: the smallest one is 11 bytes. */
	if (complete && rrs * 11 > n - off)
		return hinted ? PROBE_YES : PROBE_NO;
	if (q.present && !qclass_plausible(q.qclass))
		return PROBE_NO;
	return PROBE_YES;
}

static bool port_is(uint16_t sport, uint16_t dport, uint16_t port)
{
	return sport == port || dport == port;
}

static bool ports_hinted(uint16_t sport, uint16_t dport)
{
	return port_is(sport, dport, DNS_PORT) ||
	    port_is(sport, dport, DNS_MDNS_PORT) ||
	    port_is(sport, dport, DNS_LLMNR_PORT);
}

/* ------------------------------------------------------------------------
 * Outstanding queries
 * --------------------------------------------------------------------- */

/* Drops entry i, closing its gap in the name arena. */
static void pend_remove(struct dns_state *st, unsigned i)
{
	struct dns_pend *p = &st->pend[i];

	if (p->pflags & DNS_PEND_NAME_KEPT) {
		size_t end = (size_t)p->name_off + p->name_len;

		memmove(st->names + p->name_off, st->names + end,
		    st->names_used - end);
		st->names_used = (uint16_t)(st->names_used - p->name_len);
		for (unsigned j = 0; j < st->npend; j++)
			if (j != i && (st->pend[j].pflags & DNS_PEND_NAME_KEPT) &&
			    st->pend[j].name_off > p->name_off)
				st->pend[j].name_off = (uint16_t)
				    (st->pend[j].name_off - p->name_len);
	}
	memmove(&st->pend[i], &st->pend[i + 1],
	    (st->npend - i - 1) * sizeof(st->pend[0]));
	st->npend--;
}

/* Starts an event for transaction p (or, with p NULL, a lone response). */
static void ev_start(struct ev_dns *ev, const struct dns_state *st,
    struct flow_ctx *fc, const struct dns_pend *p, enum dir d)
{
	bool trunc = false;

	memset(ev, 0, offsetof(struct ev_dns, answers));
	flow_ev_init(fc, &ev->h, EV_DNS, !p ? d :
	    (p->pflags & DNS_PEND_TO_CLIENT) ? DIR_TO_CLIENT : DIR_TO_SERVER);
	ev->tcp = (st->flags & DNS_ST_TCP) != 0;
	if (!p)
		return;
	ev->h.ts_us = p->ts;
	ev->has_query = true;
	ev->id = p->id;
	ev->qtype = p->qtype;
	ev->qclass = p->qclass;
	ev->flags = p->flags;
	ev->opcode = (uint8_t)DNS_F_OPCODE(p->flags);
	ev->truncated = (p->pflags & DNS_PEND_TRUNCATED) != 0;
	if (p->pflags & DNS_PEND_NAME_KEPT) {
		name_text(st->names + p->name_off, p->name_len, ev->rrname,
		    sizeof(ev->rrname), &trunc);
		ev->has_rrname = true;
		ev->rrname_truncated = trunc;
	}
}

/* Logs outstanding query i as unanswered and drops it. */
static void pend_flush(struct dns_state *st, struct flow_ctx *fc, unsigned i)
{
	struct ev_dns ev;

	ev_start(&ev, st, fc, &st->pend[i], DIR_TO_SERVER);
	ev.qdcount = 1;
	pend_remove(st, i);
	out_emit(&ev.h);
}

/* Logs queries older than DNS_TIMEOUT_US at capture time 'now'. */
static void pend_expire(struct dns_state *st, struct flow_ctx *fc)
{
	uint64_t now = fc->ts_us;

	/* All entries: a retransmission may have refreshed an older one. */
	for (unsigned i = 0; i < st->npend;) {
		if (now > st->pend[i].ts && now - st->pend[i].ts > DNS_TIMEOUT_US)
			pend_flush(st, fc, i);
		else
			i++;
	}
}

/* Index of the oldest query matching (id, qtype, hash), or -1. */
static int pend_find(const struct dns_state *st, uint16_t id, bool by_q,
    uint16_t qtype, uint32_t hash)
{
	for (unsigned i = 0; i < st->npend; i++) {
		const struct dns_pend *p = &st->pend[i];

		if (p->id == id && (!by_q || (p->qtype == qtype &&
		    p->hash == hash)))
			return (int)i;
	}
	return -1;
}

/* Records a query.  A retransmission is ignored; a reused id replaces. */
static void on_query(struct dns_state *st, struct flow_ctx *fc, enum dir d,
    const struct dns_hdr *h, const struct dns_question *q, bool cut)
{
	struct dns_pend *p;
	uint32_t hash = name_hash(q->name.wire, q->name.len);
	int i = pend_find(st, h->id, false, 0, 0);

	if (i >= 0) {
		if (st->pend[i].qtype == q->qtype && st->pend[i].hash == hash) {
			/*
			 * The same question again: a retransmission.  It
			 * restarts the clock, so the transaction does not
			 * time out while the client still waits; rtt is then
			 * measured from the latest copy.
			 */
			st->pend[i].ts = fc->ts_us;
			return;
		}
		pend_flush(st, fc, (unsigned)i);
	}
	if (st->npend == DNS_MAX_PENDING) {
		if (!(st->flags & DNS_ST_TOO_MANY_SAID)) {
			st->flags |= DNS_ST_TOO_MANY_SAID;
			flow_anomaly(fc, d, ANOM_APP_TOO_MANY, "dns",
			    "dns.too_many_outstanding more than %d queries "
			    "without a response", DNS_MAX_PENDING);
		}
		pend_flush(st, fc, 0);
	}
	p = &st->pend[st->npend++];
	memset(p, 0, sizeof(*p));
	p->ts = fc->ts_us;
	p->hash = hash;
	p->id = h->id;
	p->qtype = q->qtype;
	p->qclass = q->qclass;
	p->flags = h->flags;
	if (d == DIR_TO_CLIENT)
		p->pflags |= DNS_PEND_TO_CLIENT;
	if (cut)
		p->pflags |= DNS_PEND_TRUNCATED;
	if (q->name.len <= DNS_NAME_WIRE_MAX &&
	    st->names_used + q->name.len <= DNS_NAME_ARENA) {
		memcpy(st->names + st->names_used, q->name.wire, q->name.len);
		p->name_off = st->names_used;
		p->name_len = (uint8_t)q->name.len;
		p->pflags |= DNS_PEND_NAME_KEPT;
		st->names_used = (uint16_t)(st->names_used + q->name.len);
	}
}

/* ------------------------------------------------------------------------
 * Answers
 * --------------------------------------------------------------------- */

/* Context for raising anomalies while parsing one message. */
struct dns_msg {
	struct flow_ctx *fc;
	enum dir d;
	const uint8_t *p;
	size_t len;
	bool tcp;		/* len is the message's own length: short = bad */
	bool bad;		/* an anomaly was raised for this message */
	unsigned nsaid;		/* anomalies raised for this message */
};

#define DNS_SAY(m, ...) do {						\
	(m)->bad = true;						\
	(m)->nsaid++;							\
	flow_anomaly((m)->fc, (m)->d, ANOM_APP_MALFORMED, "dns",	\
	    __VA_ARGS__);						\
} while (0)

/*
 * Reads the name at msg offset 'off' into a->data at 'at' as text, which
 * must end at or before 'end' in the message.  Returns the next offset, or
 * 0 after raising an anomaly.
 */
static size_t rdata_name(struct dns_msg *m, struct ev_dns_answer *a,
    size_t at, size_t off, size_t end)
{
	struct dns_name nm;
	size_t next = 0;
	enum name_status ns = name_read(m->p, end, off, &nm, &next);
	bool trunc;
	size_t n;

	if (ns != NAME_OK) {
		DNS_SAY(m, "%s in the rdata of type %u", name_status_names[ns],
		    a->rrtype);
		return 0;
	}
	if (at >= sizeof(a->data)) {
		a->data_truncated = true;
		return next;
	}
	n = name_text(nm.wire, nm.len, (char *)a->data + at,
	    sizeof(a->data) - at, &trunc);
	if (trunc)
		a->data_truncated = true;
	a->data_len = (uint16_t)(at + n);
	return next;
}

/*
 * Decodes the rdata of answer a, which occupies m->p[off..end).  Types we
 * know are checked against their layout; a mismatch raises an anomaly and
 * keeps the raw bytes instead.
 */
static void rdata_read(struct dns_msg *m, struct ev_dns_answer *a, size_t off,
    size_t end)
{
	struct rd r = rd_init(m->p + off, end - off);
	size_t next = 0;
	unsigned said = m->nsaid;

	/* Empty rdata is legal for any type (RFC 2136 2.4 prerequisites). */
	if (end == off) {
		a->kind = EV_DNS_RD_NONE;
		return;
	}
	switch (a->rrtype) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (end - off != (a->rrtype == DNS_T_A ? 4u : 16u))
			break;
		a->kind = EV_DNS_RD_ADDR;
		a->data_len = (uint16_t)(end - off);
		rd_copy(&r, a->data, end - off);
		return;
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		a->kind = EV_DNS_RD_NAME;
		next = rdata_name(m, a, 0, off, end);
		break;
	case DNS_T_MX:
		a->kind = EV_DNS_RD_MX;
		a->num[0] = rd_be16(&r);
		if (!r.short_read)
			next = rdata_name(m, a, 0, off + 2, end);
		break;
	case DNS_T_SRV:
		a->kind = EV_DNS_RD_SRV;
		a->num[0] = rd_be16(&r);
		a->num[1] = rd_be16(&r);
		a->num[2] = rd_be16(&r);
		if (!r.short_read)
			next = rdata_name(m, a, 0, off + 6, end);
		break;
	case DNS_T_SOA:
		a->kind = EV_DNS_RD_SOA;
		next = rdata_name(m, a, 0, off, end);
		if (next) {
			a->data2_off = (uint16_t)(a->data_len + 1);
			next = rdata_name(m, a, a->data2_off, next, end);
		}
		if (next) {
			r = rd_init(m->p + next, end - next);
			for (int i = 0; i < 5; i++)
				a->num[i] = rd_be32(&r);
			next = r.short_read ? 0 : next + 20;
		}
		break;
	case DNS_T_TXT:
		a->kind = EV_DNS_RD_TXT;
		while (r.left > 0) {
			uint8_t l = rd_u8(&r);
			const uint8_t *s = rd_ptr(&r, l);
			size_t room = sizeof(a->data) - a->data_len;

			if (!s)
				break;
			if (l > room) {
				a->data_truncated = true;
				l = (uint8_t)room;
			}
			memcpy(a->data + a->data_len, s, l);
			a->data_len = (uint16_t)(a->data_len + l);
		}
		next = r.short_read ? 0 : end;
		break;
	default:
		a->kind = end > off ? EV_DNS_RD_RAW : EV_DNS_RD_NONE;
		a->data_len = (uint16_t)(end - off < sizeof(a->data) ?
		    end - off : sizeof(a->data));
		a->data_truncated = end - off > sizeof(a->data);
		rd_copy(&r, a->data, a->data_len);
		return;
	}
	if (next == end)
		return;
	if (next != 0)
		DNS_SAY(m, "dns.rdata_length_mismatch type=%u rdlength=%u used=%zu",
		    a->rrtype, a->rdlength, next - off);
	else if (m->nsaid == said)
		DNS_SAY(m, "dns.bad_rdata type=%u rdlength=%u", a->rrtype,
		    a->rdlength);
	/* Keep what the wire said, as bytes. */
	memset(a->data, 0, sizeof(a->data));
	a->kind = end > off ? EV_DNS_RD_RAW : EV_DNS_RD_NONE;
	a->num[0] = a->num[1] = a->num[2] = a->num[3] = a->num[4] = 0;
	a->data2_off = 0;
	a->data_len = (uint16_t)(end - off < sizeof(a->data) ? end - off :
	    sizeof(a->data));
	a->data_truncated = end - off > sizeof(a->data);
	memcpy(a->data, m->p + off, a->data_len);
}

/*
 * Reads the answer section (h->an records from *off) into ev->answers,
 * keeping the first EV_DNS_MAX_ANSWERS.  Stops at the first record that
 * cannot be read: a short one marks the event truncated (UDP; on TCP the
 * counts overran the message, an anomaly), a bad name raises an anomaly.
 */
static void answers_read(struct dns_msg *m, const struct dns_hdr *h,
    size_t off, struct ev_dns *ev)
{
	for (unsigned i = 0; i < h->an; i++) {
		struct ev_dns_answer tmp;
		struct ev_dns_answer *a = ev->nanswers < EV_DNS_MAX_ANSWERS ?
		    &ev->answers[ev->nanswers] : &tmp;
		struct dns_name nm;
		size_t next = 0, end;
		enum name_status ns = name_read(m->p, m->len, off, &nm, &next);
		struct rd r;
		bool trunc;

		if (ns == NAME_SHORT)
			goto cut;
		if (ns != NAME_OK) {
			DNS_SAY(m, "%s in answer %u", name_status_names[ns], i);
			return;
		}
		r = rd_init(m->p + (next < m->len ? next : m->len),
		    next < m->len ? m->len - next : 0);
		memset(a, 0, sizeof(*a));
		a->rrtype = rd_be16(&r);
		a->rrclass = rd_be16(&r);
		a->ttl = rd_be32(&r);
		a->rdlength = rd_be16(&r);
		if (r.short_read || r.left < a->rdlength)
			goto cut;
		name_text(nm.wire, nm.len, a->rrname, sizeof(a->rrname), &trunc);
		a->rrname_truncated = trunc;
		off = next + 10;
		end = off + a->rdlength;
		rdata_read(m, a, off, end);
		off = end;
		if (a == &tmp)
			ev->answers_truncated = true;
		else
			ev->nanswers++;
	}
	return;
cut:
	ev->truncated = true;
	if (m->tcp)
		DNS_SAY(m, "dns.counts_exceed_message ancount=%u length=%zu",
		    h->an, m->len);
}

/* Logs a response, paired with its query if one is outstanding. */
static void on_response(struct dns_state *st, struct dns_msg *m,
    const struct dns_hdr *h, const struct dns_question *q, size_t off,
    bool cut)
{
	struct ev_dns ev;	/* answers[] filled up to nanswers only */
	uint32_t hash = q->present ? name_hash(q->name.wire, q->name.len) : 0;
	int i = -1;

	/*
	 * Without a question only the id can pair, and id 0 is what every
	 * multicast DNS response carries (RFC 6762 18.1): log those alone.
	 */
	if (q->present || h->id != 0)
		i = pend_find(st, h->id, q->present, q->qtype, hash);
	bool trunc = false;

	ev_start(&ev, st, m->fc, i >= 0 ? &st->pend[i] : NULL, m->d);
	if (i >= 0) {
		if (m->fc->ts_us >= ev.h.ts_us)
			ev.rtt_us = m->fc->ts_us - ev.h.ts_us;
		pend_remove(st, (unsigned)i);
	}
	ev.answered = true;
	ev.id = h->id;
	ev.flags = h->flags;
	ev.opcode = (uint8_t)DNS_F_OPCODE(h->flags);
	ev.rcode = (uint8_t)DNS_F_RCODE(h->flags);
	ev.qdcount = h->qd;
	ev.ancount = h->an;
	ev.nscount = h->ns;
	ev.arcount = h->ar;
	if (cut)
		ev.truncated = true;
	if (q->present) {
		ev.qtype = q->qtype;
		ev.qclass = q->qclass;
		name_text(q->name.wire, q->name.len, ev.rrname,
		    sizeof(ev.rrname), &trunc);
		ev.rrname_truncated = trunc;
		ev.has_rrname = true;
	}
	if (!cut)
		answers_read(m, h, off, &ev);
	if (!ev.has_rrname && ev.nanswers > 0) {
		/* mDNS answers come without a question: name the first. */
		memcpy(ev.rrname, ev.answers[0].rrname, sizeof(ev.rrname));
		ev.rrname_truncated = ev.answers[0].rrname_truncated;
		ev.qtype = ev.answers[0].rrtype;
		ev.qclass = ev.answers[0].rrclass;
		ev.has_rrname = true;
	}
	out_emit(&ev.h);
}

/*
 * Handles one whole message m->p[0..m->len).  Raises an anomaly for bytes
 * that contradict RFC 1035 and returns -1 then; 0 otherwise (a message cut
 * short by the capture is logged, marked truncated).
 */
static int msg_handle(struct dns_state *st, struct dns_msg *m)
{
	struct rd r = rd_init(m->p, m->len);
	struct dns_hdr h;
	struct dns_question q;
	size_t off = DNS_HDR_LEN;
	enum name_status ns;
	bool cut = false;

	if (!hdr_read(&r, &h)) {
		DNS_SAY(m, "dns.short_message length=%zu (header is 12)", m->len);
		return -1;
	}
	if (!opcode_known(DNS_F_OPCODE(h.flags)))
		DNS_SAY(m, "dns.unknown_opcode opcode=%u", DNS_F_OPCODE(h.flags));
	ns = questions_read(m->p, m->len, &off, h.qd, &q);
	if (ns == NAME_SHORT) {
		/*
		 * On TCP the message length is known: the counts lie.  A
		 * datagram may have been cut by the capture, but one that
		 * ends inside its question is far more often malformed.
		 */
		if (m->tcp || !q.present) {
			DNS_SAY(m, "dns.counts_exceed_message qdcount=%u length=%zu",
			    h.qd, m->len);
			return -1;
		}
		cut = true;
	} else if (ns != NAME_OK) {
		DNS_SAY(m, "%s in the question", name_status_names[ns]);
		return -1;
	}
	if (!(h.flags & DNS_F_QR)) {
		if (!q.present) {
			if (!cut)
				DNS_SAY(m, "dns.query_without_question id=%u",
				    h.id);
			return m->bad ? -1 : 0;
		}
		on_query(st, m->fc, m->d, &h, &q, cut);
	} else {
		on_response(st, m, &h, &q, off, cut);
	}
	return m->bad ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Dissector callbacks
 * --------------------------------------------------------------------- */

static enum probe_result dns_udp_probe(const uint8_t *p, size_t n, enum dir d,
    uint16_t sport, uint16_t dport)
{
	(void)d;
	return msg_plausible(p, n, true, ports_hinted(sport, dport));
}

/* TCP: a length of at least a header, then a plausible message start. */
static enum probe_result dns_tcp_probe(const uint8_t *p, size_t n, enum dir d,
    uint16_t sport, uint16_t dport)
{
	struct rd r = rd_init(p, n);
	uint16_t len = rd_be16(&r);

	(void)d;
	if (r.short_read)
		return PROBE_MORE;
	if (len < DNS_HDR_LEN)
		return PROBE_NO;
	return msg_plausible(p + 2, r.left < len ? r.left : len, r.left >= len,
	    ports_hinted(sport, dport));
}

static void dns_init(void *state)
{
	memset(state, 0, sizeof(struct dns_state));
}

static void dns_init_tcp(void *state)
{
	struct dns_state *st = state;

	dns_init(state);
	st->flags |= DNS_ST_TCP;
}

/* One datagram is one message.  Too many malformed ones end the flow. */
static struct feed_result dns_udp_feed(void *state, struct flow_ctx *fc,
    enum dir d, const uint8_t *p, size_t n)
{
	struct dns_state *st = state;
	struct dns_msg m = { fc, d, p, n, false, false, 0 };
	struct feed_result res = { FEED_OK, (uint32_t)(n > UINT32_MAX ?
	    UINT32_MAX : n) };

	if (msg_handle(st, &m) != 0 && ++st->nbad >= DNS_MAX_BAD) {
		flow_anomaly(fc, d, ANOM_APP_MALFORMED, "dns",
		    "dns.too_many_malformed %d malformed messages, flow "
		    "no longer parsed", DNS_MAX_BAD);
		res.status = FEED_MALFORMED;
	}
	/*
	 * Expire after the message: a late answer or a retransmitted query
	 * still finds its transaction.
	 */
	pend_expire(st, fc);
	return res;
}

/*
 * After a gap: the offset of the next plausible length-prefixed message in
 * p[0..n), or -1 with *keep_from set to where the search resumes later.
 */
static long resync_scan(const uint8_t *p, size_t n, size_t *keep_from)
{
	size_t i;

	for (i = 0; i + 2 + DNS_HDR_LEN <= n; i++) {
		enum probe_result pr = dns_tcp_probe(p + i, n - i, DIR_TO_SERVER,
		    0, 0);

		if (pr == PROBE_YES)
			return (long)i;
		if (pr == PROBE_MORE)
			break;
	}
	*keep_from = i;
	return -1;
}

/*
 * Consumes whole length-prefixed messages from p[0..n) and leaves a partial
 * one for the flow layer to pass again.  A length below the header size
 * cannot be framed past: anomaly and FEED_MALFORMED.  After gap() the
 * direction resynchronizes on the next plausible message.
 */
static struct feed_result dns_tcp_feed(void *state, struct flow_ctx *fc,
    enum dir d, const uint8_t *p, size_t n)
{
	struct dns_state *st = state;
	uint8_t resync = d == DIR_TO_SERVER ? DNS_ST_RESYNC_TS : DNS_ST_RESYNC_TC;
	struct feed_result res = { FEED_OK, 0 };
	size_t off = 0;

	if (n > UINT32_MAX)
		n = UINT32_MAX;
	while (off < n) {
		struct rd r = rd_init(p + off, n - off);
		struct dns_msg m = { fc, d, NULL, 0, true, false, 0 };
		uint16_t len;

		if (st->flags & resync) {
			size_t keep = 0;
			long at = resync_scan(p + off, n - off, &keep);

			if (at < 0) {
				off += keep;
				break;
			}
			off += (size_t)at;
			st->flags &= (uint8_t)~resync;
			continue;
		}
		len = rd_be16(&r);
		if (r.short_read)
			break;
		if (len < DNS_HDR_LEN) {
			flow_anomaly(fc, d, ANOM_APP_MALFORMED, "dns",
			    "dns.bad_tcp_length length=%u (header is 12)", len);
			res.status = FEED_MALFORMED;
			res.consumed = (uint32_t)off;
			return res;
		}
		m.p = rd_ptr(&r, len);
		if (!m.p)
			break;		/* wait for the whole message */
		m.len = len;
		off += 2u + len;
		(void)msg_handle(st, &m);
	}
	pend_expire(st, fc);
	res.consumed = (uint32_t)off;
	if (off < n)
		res.status = FEED_NEED_MORE;
	return res;
}

/* Bytes were lost: TCP framing is gone until the next plausible message. */
static void dns_gap(void *state, struct flow_ctx *fc, enum dir d,
    uint32_t len)
{
	struct dns_state *st = state;

	(void)fc;
	(void)len;
	if (st->flags & DNS_ST_TCP)
		st->flags |= d == DIR_TO_SERVER ? DNS_ST_RESYNC_TS :
		    DNS_ST_RESYNC_TC;
}

static void dns_eof(void *state, struct flow_ctx *fc, enum dir d)
{
	(void)d;
	pend_expire(state, fc);
}

/* Logs every outstanding query as unanswered. */
static void dns_close(void *state, struct flow_ctx *fc)
{
	struct dns_state *st = state;

	while (st->npend)
		pend_flush(st, fc, 0);
}

static void dns_tick(void *state, struct flow_ctx *fc)
{
	pend_expire(state, fc);
}

const struct dissector dns_dissector = {
	.name = "dns",
	.ipproto = IPPROTO_UDP,
	.hint_port = DNS_PORT,
	.hint_port2 = DNS_MDNS_PORT,
	.state_size = sizeof(struct dns_state),
	.probe = dns_udp_probe,
	.init = dns_init,
	.feed = dns_udp_feed,
	.gap = dns_gap,
	.eof = dns_eof,
	.close = dns_close,
	.tick = dns_tick,
};

/* The same protocol over TCP: only the framing and the probe differ. */
const struct dissector dns_tcp_dissector = {
	.name = "dns",
	.ipproto = IPPROTO_TCP,
	.hint_port = DNS_PORT,
	.state_size = sizeof(struct dns_state),
	.probe = dns_tcp_probe,
	.init = dns_init_tcp,
	.feed = dns_tcp_feed,
	.gap = dns_gap,
	.eof = dns_eof,
	.close = dns_close,
	.tick = dns_tick,
};

_Static_assert(sizeof(struct dns_state) <= APP_STATE_MAX,
    "dns state over budget");
