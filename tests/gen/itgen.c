/*
 * itgen.c - golden captures for the HTTP, DNS and SMTP dissectors, with
 * the events they must produce.
 *
 *   itgen golden OUTDIR
 *
 * A standalone program: no libpcap, no spanlog code.  It follows
 * pcapgen.c: classic pcap (magic a1b2c3d4 written little-endian, version
 * 2.4, microsecond timestamps, DLT_EN10MB), Ethernet + IPv4 frames without
 * padding, every IPv4/TCP/UDP checksum computed, timestamps from
 * 2024-01-01T00:00:00Z advancing 1000 us per packet, the same bytes on
 * every run.
 *
 * For each case it writes OUTDIR/<case>.pcap and OUTDIR/<case>.facts.jsonl.
 * The facts are written from what this program put on the wire (the
 * application bytes below and the way they were cut into segments), never
 * from spanlog output.  tests/lib/check_proto_facts.py compares them with
 * spanlog's events.  One JSON object per line:
 *
 *   {"event_type":T, KEY:VALUE, ...}
 *       An event of type T must exist in which every KEY (a dotted path,
 *       "email.attachment[0].filename") has exactly VALUE; each event
 *       satisfies at most one such line.  VALUE null means the key must be
 *       absent.  Keys not listed are not asserted.  src_ip/src_port/
 *       dest_ip/dest_port/proto are the client and server endpoints the
 *       case was built with (client = the side that sent the SYN, or the
 *       DNS querier).
 *   {"count_event_type":T,"count":N}
 *       Exactly N events of type T.
 *   {"anomaly":NAME,"count":N}
 *       Exactly N anomaly events whose anomaly.event is NAME, or whose
 *       anomaly.detail starts with the word NAME (spanlog writes the
 *       dissector's own name, e.g. "dns.bad_compression_pointer ...", at
 *       the start of the detail of an "app.malformed" anomaly).
 *   {"absent_text":S}
 *       S occurs nowhere in the raw output bytes (credentials).
 *
 * Where each expected value comes from:
 *   - HTTP: method, url (the request-target as written), hostname (the
 *     Host header without a port), status, interim_status (a 1xx before
 *     the final status), rtt_ms (2.000 where the request and the response
 *     are single segments with one ACK frame between them), length
 *     (response body bytes after removing the chunked framing; 0 for
 *     HEAD, 204 and 304 whatever Content-Length says, RFC 9112 6.3),
 *     request_body_len, trans_depth (1-based position of
 *     the transaction on its connection) and connect_target (the
 *     authority of CONNECT, RFC 9110 9.3.6) are the strings and sizes this
 *     program wrote into the messages.
 *   - DNS: every answer's rrname/rrtype/ttl and its rdata in the
 *     presentation the JSON layout documents (output_json_dns.c: A/AAAA as
 *     addresses, MX "pref host", SRV "prio weight port target", SOA the
 *     seven fields, TXT the strings concatenated) is produced by the same
 *     call that writes the record's wire bytes, from the same inputs.
 *     rcode names are RFC 1035 / IANA.  rtt_ms = time of the response
 *     frame minus time of the query frame (1 ms per packet).
 *   - SMTP: helo, mail_from (reverse-path without <>), rcpt_to, auth_mech
 *     are the command arguments written; email.from is the header's
 *     display name and address; from_mismatch = the header address is not
 *     the MAIL FROM address; subject and attachment names are the UTF-8
 *     text whose encoded form (RFC 2047 B, RFC 2231 percent, in
 *     Shift_JIS, ISO-2022-JP or UTF-8) was written; their encodings were
 *     made with Python's codecs and are checked by tshark (README); size
 *     is the length of the raw bytes this program base64-encoded;
 *     executable follows the extension (.exe yes, .pdf no).
 *   - flow missed_bytes: the length of the TCP segment that was never
 *     written (its sequence space is skipped and ACKed).
 *   - DNS anomalies: the rule that decompression refuses loops
 *     and forward pointers and caps names at 255 octets (RFC 1035 3.1,
 *     4.1.4); one anomaly per bad response.
 *
 * Cases (golden_cases[] at the end; README.md next to this file):
 *   smtp_jpcert          AUTH PLAIN; 3 messages: display-name spoofing,
 *                        ISO-2022-JP subject, JPCERT/CC's Shift_JIS name
 *                        (strict and lenient), RFC 2231 continuation,
 *                        nested multipart, double extension, RLO, Q
 *                        encoding, Content-Type name only, EUC-JP, Latin-1
 *   smtp_starttls        EHLO, STARTTLS, 220, TLS-looking bytes
 *   smtp_on_2525         port 2525, AUTH LOGIN, 5-byte segments
 *   smtp_pipelining      pipelined MAIL/RCPT/DATA, then BDAT LAST
 *   smtp_gap             500 bytes of a message never sent, then another
 *   http_connect_8089    CONNECT through a proxy on 3128, tunnel bytes
 *   http_connect_407     CONNECT refused 407, repeated with credentials
 *   http_tiny_segments   3 keep-alive transactions in 1-3 byte segments
 *   http_gap             a 1000-byte response segment never sent
 *   http_gap_chunked     800 bytes inside a chunk never sent
 *   http_pipelined       3 pipelined requests, chunked, HEAD, 100-continue,
 *                        304
 *   http_on_8080         HTTP on 8080
 *   http_misc            Basic auth, chunked request, close-delimited
 *                        HTTP/1.0 body, a request without a response
 *   http_edge            TE chunked + Content-Length, 204, 103 before
 *                        200, odd header case, no reason phrase, 101
 *                        upgrade to WebSocket
 *   http_port80_not_http SSH-like and binary bytes on port 80
 *   dns_tcp_two_in_one   2 queries in one segment, 2 responses in one;
 *                        then a length prefix split across segments
 *   dns_udp              A, AAAA, CNAME chain, MX, TXT, SOA, NXDOMAIN,
 *                        SRV, PTR, NS, TC, one query never answered
 *   dns_tcp_gap          200 bytes of a TCP response never sent
 *   dns_compression_loop good, looping pointer, forward pointer, 257-octet
 *                        name, good
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define TS_BASE_US	(1704067200ULL * 1000000ULL)
#define STEP_US		1000

#define IPP_TCP		6
#define IPP_UDP		17

#define F_FIN	0x01
#define F_SYN	0x02
#define F_PSH	0x08
#define F_ACK	0x10

#define FRAME_MAX	2048
#define SEG_MAX		1400	/* default TCP payload per segment */
#define FACT_MAX	16384

enum { TO_SERVER = 0, TO_CLIENT = 1 };

static void die(const char *what, const char *arg)
    __attribute__((noreturn));

/* One line "itgen: <what> <arg>" and exit 1. */
static void die(const char *what, const char *arg)
{
	fprintf(stderr, "itgen: %s %s\n", what, arg);
	exit(1);
}

/* ------------------------------------------------------------------------ */
/* Bytes, checksums, the capture file                                        */
/* ------------------------------------------------------------------------ */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Internet checksum (RFC 1071); only the last piece may have odd length. */
static uint64_t cs_add(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t cs_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 pseudo-header sum (RFC 793 3.1, RFC 768). */
static uint64_t cs_pseudo(const uint8_t *src, const uint8_t *dst,
    uint8_t proto, uint32_t len)
{
	uint8_t b[4];
	uint64_t sum = cs_add(cs_add(0, src, 4), dst, 4);

	b[0] = 0;
	b[1] = proto;
	put_be16(b + 2, (uint16_t)len);
	return cs_add(sum, b, 4);
}

/* Generator state for one case: capture file, facts file, clock. */
struct gen {
	const char *outdir;
	char path[4096];
	FILE *pcap;
	FILE *facts;
	uint64_t ts_us;
	unsigned npkts;
	/* the fact line being built */
	char line[FACT_MAX];
	size_t llen;
};

static const char *out_path(struct gen *g, const char *name,
    const char *suffix)
{
	if ((size_t)snprintf(g->path, sizeof(g->path), "%s/%s%s", g->outdir,
	    name, suffix) >= sizeof(g->path))
		die("path too long under", g->outdir);
	return g->path;
}

static void case_begin(struct gen *g, const char *name)
{
	uint8_t h[24];

	g->pcap = fopen(out_path(g, name, ".pcap"), "wb");
	if (!g->pcap)
		die("cannot create", g->path);
	g->facts = fopen(out_path(g, name, ".facts.jsonl"), "w");
	if (!g->facts)
		die("cannot create", g->path);
	put_le32(h, 0xa1b2c3d4);
	put_le16(h + 4, 2);
	put_le16(h + 6, 4);
	put_le32(h + 8, 0);
	put_le32(h + 12, 0);
	put_le32(h + 16, 65535);
	put_le32(h + 20, 1);			/* DLT_EN10MB */
	if (fwrite(h, 1, 24, g->pcap) != 24)
		die("write error on", name);
	g->ts_us = TS_BASE_US;
	g->npkts = 0;
}

static void case_end(struct gen *g, const char *name)
{
	if (fclose(g->pcap) != 0 || fclose(g->facts) != 0)
		die("write error on", name);
}

static void pcap_record(struct gen *g, const uint8_t *p, size_t len)
{
	uint8_t h[16];

	put_le32(h, (uint32_t)(g->ts_us / 1000000));
	put_le32(h + 4, (uint32_t)(g->ts_us % 1000000));
	put_le32(h + 8, (uint32_t)len);
	put_le32(h + 12, (uint32_t)len);
	if (fwrite(h, 1, 16, g->pcap) != 16 ||
	    fwrite(p, 1, len, g->pcap) != len)
		die("write error on", g->path);
	g->ts_us += STEP_US;
	g->npkts++;
}

/* ------------------------------------------------------------------------ */
/* Flows                                                                    */
/* ------------------------------------------------------------------------ */

struct flow {
	uint8_t ip[2][4];		/* [0] client, [1] server */
	char ipstr[2][INET_ADDRSTRLEN];
	uint16_t port[2];
	uint8_t proto;
	uint16_t ipid[2];
	uint32_t nxt[2];		/* TCP: next sequence number per side */
	uint64_t missed;		/* TCP: bytes skipped with tcp_hole() */
};

static void flow_init(struct flow *f, uint8_t proto, const char *cip,
    uint16_t cport, const char *sip, uint16_t sport)
{
	memset(f, 0, sizeof(*f));
	if (inet_pton(AF_INET, cip, f->ip[0]) != 1)
		die("bad address", cip);
	if (inet_pton(AF_INET, sip, f->ip[1]) != 1)
		die("bad address", sip);
	snprintf(f->ipstr[0], sizeof(f->ipstr[0]), "%s", cip);
	snprintf(f->ipstr[1], sizeof(f->ipstr[1]), "%s", sip);
	f->port[0] = cport;
	f->port[1] = sport;
	f->proto = proto;
	f->ipid[0] = (uint16_t)(0x1000 + cport);
	f->ipid[1] = (uint16_t)(0x8000 + cport);
	f->nxt[0] = 0x10000000u + (uint32_t)cport * 0x01010101u;
	f->nxt[1] = 0xa0000000u + (uint32_t)cport * 0x00110011u;
}

/* Ethernet + IPv4 header around l4[0..n) from side dir; writes the frame. */
static void flow_frame(struct gen *g, struct flow *f, int dir,
    const uint8_t *l4, size_t n)
{
	static const uint8_t mac[2][6] = {
		{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
		{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
	};
	uint8_t fr[FRAME_MAX];
	uint8_t *ip = fr + 14;

	if (n + 34 > sizeof(fr))
		die("frame too long in flow from", f->ipstr[0]);
	memcpy(fr, mac[!dir], 6);
	memcpy(fr + 6, mac[dir], 6);
	put_be16(fr + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(20 + n));
	put_be16(ip + 4, f->ipid[dir]++);
	put_be16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = f->proto;
	put_be16(ip + 10, 0);
	memcpy(ip + 12, f->ip[dir], 4);
	memcpy(ip + 16, f->ip[!dir], 4);
	put_be16(ip + 10, cs_fold(cs_add(0, ip, 20)));
	memcpy(ip + 20, l4, n);
	pcap_record(g, fr, 34 + n);
}

/* One TCP segment from dir at its next sequence number. */
static void tcp_seg(struct gen *g, struct flow *f, int dir, uint8_t flags,
    const void *data, size_t n)
{
	uint8_t l4[FRAME_MAX];
	size_t hl = (flags & F_SYN) ? 24 : 20;

	if (hl + n > sizeof(l4) - 40)
		die("segment too long in flow from", f->ipstr[0]);
	put_be16(l4, f->port[dir]);
	put_be16(l4 + 2, f->port[!dir]);
	put_be32(l4 + 4, f->nxt[dir]);
	put_be32(l4 + 8, (flags & F_ACK) ? f->nxt[!dir] : 0);
	l4[12] = (uint8_t)((hl / 4) << 4);
	l4[13] = flags;
	put_be16(l4 + 14, 64240);
	put_be16(l4 + 16, 0);
	put_be16(l4 + 18, 0);
	if (hl == 24) {
		l4[20] = 2;			/* MSS 1460 */
		l4[21] = 4;
		put_be16(l4 + 22, 1460);
	}
	if (n)
		memcpy(l4 + hl, data, n);
	put_be16(l4 + 16, cs_fold(cs_add(cs_pseudo(f->ip[dir], f->ip[!dir],
	    IPP_TCP, (uint32_t)(hl + n)), l4, hl + n)));
	f->nxt[dir] += (uint32_t)n + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
	flow_frame(g, f, dir, l4, hl + n);
}

static void tcp_open(struct gen *g, struct flow *f)
{
	tcp_seg(g, f, TO_SERVER, F_SYN, NULL, 0);
	tcp_seg(g, f, TO_CLIENT, F_SYN | F_ACK, NULL, 0);
	tcp_seg(g, f, TO_SERVER, F_ACK, NULL, 0);
}

static void tcp_ack(struct gen *g, struct flow *f, int dir)
{
	tcp_seg(g, f, dir, F_ACK, NULL, 0);
}

/* Client FIN, server FIN, client ACK. */
static void tcp_close(struct gen *g, struct flow *f)
{
	tcp_seg(g, f, TO_SERVER, F_FIN | F_ACK, NULL, 0);
	tcp_seg(g, f, TO_CLIENT, F_FIN | F_ACK, NULL, 0);
	tcp_ack(g, f, TO_SERVER);
}

/*
 * Sends data[0..n) from dir in segments of at most 'seg' bytes (0 =
 * SEG_MAX), then an ACK from the other side.
 */
static void tcp_send(struct gen *g, struct flow *f, int dir, const void *data,
    size_t n, size_t seg)
{
	const uint8_t *p = data;

	if (!seg)
		seg = SEG_MAX;
	while (n) {
		size_t k = n < seg ? n : seg;

		tcp_seg(g, f, dir, F_PSH | F_ACK, p, k);
		p += k;
		n -= k;
	}
	tcp_ack(g, f, !dir);
}

static void tcp_send_str(struct gen *g, struct flow *f, int dir,
    const char *s)
{
	tcp_send(g, f, dir, s, strlen(s), 0);
}

/* Sequence space of n bytes from dir that is never written. */
static void tcp_hole(struct flow *f, int dir, uint32_t n)
{
	f->nxt[dir] += n;
	f->missed += n;
}

static void udp_send(struct gen *g, struct flow *f, int dir, const void *data,
    size_t n)
{
	uint8_t l4[FRAME_MAX];
	uint16_t c;

	if (n + 8 > sizeof(l4) - 40)
		die("datagram too long in flow from", f->ipstr[0]);
	put_be16(l4, f->port[dir]);
	put_be16(l4 + 2, f->port[!dir]);
	put_be16(l4 + 4, (uint16_t)(8 + n));
	put_be16(l4 + 6, 0);
	memcpy(l4 + 8, data, n);
	c = cs_fold(cs_add(cs_pseudo(f->ip[dir], f->ip[!dir], IPP_UDP,
	    (uint32_t)(8 + n)), l4, 8 + n));
	put_be16(l4 + 6, c ? c : 0xffff);
	flow_frame(g, f, dir, l4, 8 + n);
}

/* ------------------------------------------------------------------------ */
/* Fact lines                                                               */
/* ------------------------------------------------------------------------ */

static void fl_put(struct gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fl_put(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(g->line + g->llen, sizeof(g->line) - g->llen, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(g->line) - g->llen)
		die("fact line too long at", g->path);
	g->llen += (size_t)k;
}

/* A JSON string (UTF-8 passed through, quotes/backslash/controls escaped). */
static void fl_jstr(struct gen *g, const char *s)
{
	fl_put(g, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fl_put(g, "\\%c", c);
		else if (c < 0x20)
			fl_put(g, "\\u%04x", c);
		else
			fl_put(g, "%c", c);
	}
	fl_put(g, "\"");
}

/* Starts an expected-event line; f may be NULL (no endpoint keys). */
static void fact_event(struct gen *g, const char *type, const struct flow *f)
{
	g->llen = 0;
	fl_put(g, "{\"event_type\":");
	fl_jstr(g, type);
	if (f)
		fl_put(g, ",\"src_ip\":\"%s\",\"src_port\":%u,"
		    "\"dest_ip\":\"%s\",\"dest_port\":%u,\"proto\":\"%s\"",
		    f->ipstr[0], f->port[0], f->ipstr[1], f->port[1],
		    f->proto == IPP_TCP ? "TCP" : "UDP");
}

static void fk_str(struct gen *g, const char *key, const char *v)
{
	fl_put(g, ",\"%s\":", key);
	fl_jstr(g, v);
}

static void fk_u64(struct gen *g, const char *key, uint64_t v)
{
	fl_put(g, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void fk_bool(struct gen *g, const char *key, bool v)
{
	fl_put(g, ",\"%s\":%s", key, v ? "true" : "false");
}

/* Already-formed JSON value (arrays, objects, null, numbers with a dot). */
static void fk_raw(struct gen *g, const char *key, const char *json)
{
	fl_put(g, ",\"%s\":%s", key, json);
}

static void fact_end(struct gen *g)
{
	fl_put(g, "}\n");
	if (fputs(g->line, g->facts) == EOF)
		die("write error on", g->path);
	g->llen = 0;
}

static void fact_count(struct gen *g, const char *type, unsigned n)
{
	fprintf(g->facts, "{\"count_event_type\":\"%s\",\"count\":%u}\n",
	    type, n);
}

static void fact_anomaly(struct gen *g, const char *name, unsigned n)
{
	fprintf(g->facts, "{\"anomaly\":\"%s\",\"count\":%u}\n", name, n);
}

static void fact_absent(struct gen *g, const char *text)
{
	g->llen = 0;
	fl_put(g, "{\"absent_text\":");
	fl_jstr(g, text);
	fact_end(g);
}

/* The flow record's missed_bytes, from what tcp_hole() skipped. */
static void fact_flow_missed(struct gen *g, const struct flow *f)
{
	fact_event(g, "flow", f);
	fk_u64(g, "flow.missed_bytes", f->missed);
	fact_end(g);
}

/* ------------------------------------------------------------------------ */
/* Growable text buffer for application messages                            */
/* ------------------------------------------------------------------------ */

struct buf {
	char b[65536];
	size_t n;
};

static void buf_add(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b->b + b->n, sizeof(b->b) - b->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(b->b) - b->n)
		die("message too long", "");
	b->n += (size_t)k;
}

/* Deterministic content bytes. */
static void fill_pattern(uint8_t *p, size_t n, uint32_t salt)
{
	uint32_t x = 0x9e3779b9u ^ salt;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* RFC 2045 6.8 base64 of p[0..n), lines of 76 characters, CRLF after each. */
static void buf_base64(struct buf *b, const uint8_t *p, size_t n)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		char q[5];

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = al[v >> 18 & 63];
		q[1] = al[v >> 12 & 63];
		q[2] = i + 1 < n ? al[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? al[v & 63] : '=';
		q[4] = '\0';
		buf_add(b, "%s", q);
		col += 4;
		if (col == 76) {
			buf_add(b, "\r\n");
			col = 0;
		}
	}
	if (col)
		buf_add(b, "\r\n");
}

/* ------------------------------------------------------------------------ */
/* SMTP                                                                     */
/* ------------------------------------------------------------------------ */

/* JPCERT/CC's example name, strict RFC 2047 and with the stray '='. */
#define SJIS_NAME	"=?Shift_JIS?B?gXmDfYOLlOmBeozai3GP7pXxgUkuZXhl?="
#define SJIS_NAME_LAX	"=?Shift_JIS?B?gXmDfYOLlOmBeozai3GP7pXxgUkuZXhl=?="
#define SJIS_NAME_UTF8	"\xe3\x80\x90\xe3\x83\x9e\xe3\x83\xab" \
	"\xe7\xa7\x98" \
	"\xe3\x80\x91\xe9\xa1\xa7\xe5\xae\xa2\xe6\x83\x85\xe5\xa0\xb1" \
	"\xef\xbc\x81.exe"	/* 【マル秘】顧客情報！.exe */
/* "会議のお知らせ" in ISO-2022-JP, base64 */
#define ISO2022_SUBJ	"=?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?="
#define ISO2022_SUBJ_UTF8 "\xe4\xbc\x9a\xe8\xad\xb0\xe3\x81\xae\xe3\x81\x8a" \
	"\xe7\x9f\xa5\xe3\x82\x89\xe3\x81\x9b"
/* "報告書.pdf", RFC 2231 continuation in UTF-8 */
#define R2231_PARAM	"filename*0*=utf-8''%E5%A0%B1%E5%91%8A;\r\n" \
	" filename*1*=%E6%9B%B8.pdf"
#define R2231_UTF8	"\xe5\xa0\xb1\xe5\x91\x8a\xe6\x9b\xb8.pdf"
/* AUTH PLAIN: base64 of "\0zq-authuser\0Tr0ub4dor&3xyz" */
#define AUTH_USER	"zq-authuser"
#define AUTH_PASS	"Tr0ub4dor&3xyz"

/* base64 of a short binary string (for the AUTH PLAIN blob). */
static void b64_short(char *out, size_t outsz, const uint8_t *p, size_t n)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (!b)
		die("out of memory", "");
	buf_base64(b, p, n);
	if (b->n < 2 || b->n - 2 >= outsz)
		die("base64 too long", "");
	memcpy(out, b->b, b->n - 2);		/* without the CRLF */
	out[b->n - 2] = '\0';
	free(b);
}

/* Client command, server reply, each one segment, ACKed. */
static void smtp_cmd(struct gen *g, struct flow *f, const char *cmd,
    const char *reply)
{
	tcp_send_str(g, f, TO_SERVER, cmd);
	tcp_send_str(g, f, TO_CLIENT, reply);
}

static uint8_t att_a[1000], att_b[515], att_c[301];

/* "請求書.scr" in EUC-JP, base64 */
#define EUCJP_NAME	"=?EUC-JP?B?wMG14b3xLnNjcg==?="
#define EUCJP_UTF8	"\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8.scr"
/* "Überweisung " and "fällig": two adjacent encoded words, folded */
#define SPLIT_SUBJ	"=?UTF-8?B?w5xiZXJ3ZWlzdW5nIA==?=\r\n" \
	" =?UTF-8?B?ZsOkbGxpZw==?="
#define SPLIT_UTF8	"\xc3\x9c" "berweisung f\xc3\xa4llig"

/* One attachment part of message 3: headers as given, 'n' bytes of salt. */
static void mime_att(struct buf *m, const char *hdrs, size_t n, uint32_t salt)
{
	uint8_t d[400];

	if (n > sizeof(d))
		die("attachment too long", hdrs);
	fill_pattern(d, n, salt);
	buf_add(m, "--b3\r\n%sContent-Transfer-Encoding: base64\r\n\r\n",
	    hdrs);
	buf_base64(m, d, n);
}

/*
 * Message 3: the other name tricks (double extension, right-to-left
 * override, Q encoding, Content-Type name only, EUC-JP, Latin-1), Cc and
 * Reply-To, and a subject made of two folded encoded words (RFC 2047 6.2:
 * the white space between them is not part of the text).
 */
static void smtp_jpcert_third(struct gen *g, struct flow *f, struct buf *m)
{
	smtp_cmd(g, f, "MAIL FROM:<billing@example.net>\r\n",
	    "250 2.1.0 Ok\r\n");
	smtp_cmd(g, f, "RCPT TO:<erin@example.org>\r\n", "250 2.1.5 Ok\r\n");
	smtp_cmd(g, f, "DATA\r\n", "354 go ahead\r\n");
	m->n = 0;
	buf_add(m,
	    "From: billing@example.net\r\n"
	    "To: Erin <erin@example.org>\r\n"
	    "Cc: \"Frank F.\" <frank@example.org>, grace@example.org\r\n"
	    "Reply-To: Payments <pay@elsewhere.example>\r\n"
	    "Subject: %s\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b3\r\n"
	    "\r\n", SPLIT_SUBJ);
	mime_att(m, "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\n",
	    100, 41);
	mime_att(m, "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*=UTF-8''photo%E2%80%AEgpj.exe\r\n", 101, 42);
	mime_att(m, "Content-Type: application/javascript;\r\n"
	    " name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.js?=\"\r\n", 102, 43);
	mime_att(m, "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"" EUCJP_NAME "\"\r\n",
	    103, 44);
	mime_att(m, "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename=\"=?ISO-8859-1?Q?caf=E9_menu.txt?=\"\r\n", 104, 45);
	buf_add(m, "--b3--\r\n.\r\n");
	tcp_send(g, f, TO_SERVER, m->b, m->n, 0);
	tcp_send_str(g, f, TO_CLIENT, "250 2.0.0 Ok: queued as 7G8H9I\r\n");
}

static void smtp_jpcert_third_facts(struct gen *g, const struct flow *f)
{
	fact_event(g, "smtp", f);
	fk_str(g, "smtp.mail_from", "billing@example.net");
	fk_raw(g, "smtp.rcpt_to", "[\"erin@example.org\"]");
	fk_u64(g, "smtp.trans_depth", 3);
	fk_raw(g, "email.from", "{\"address\":\"billing@example.net\"}");
	fk_bool(g, "email.from_mismatch", false);
	fk_raw(g, "email.to",
	    "[{\"name\":\"Erin\",\"address\":\"erin@example.org\"}]");
	fk_raw(g, "email.cc", "[{\"name\":\"Frank F.\",\"address\":"
	    "\"frank@example.org\"},{\"address\":\"grace@example.org\"}]");
	fk_raw(g, "email.reply_to",
	    "{\"name\":\"Payments\",\"address\":\"pay@elsewhere.example\"}");
	fk_str(g, "email.subject", SPLIT_UTF8);
	fk_str(g, "email.attachment[0].filename", "invoice.pdf.exe");
	fk_u64(g, "email.attachment[0].size", 100);
	fk_bool(g, "email.attachment[0].executable", true);
	fk_bool(g, "email.attachment[0].double_extension", true);
	fk_str(g, "email.attachment[1].filename",
	    "photo\xe2\x80\xaegpj.exe");
	fk_u64(g, "email.attachment[1].size", 101);
	fk_bool(g, "email.attachment[1].executable", true);
	fk_bool(g, "email.attachment[1].bidi_override", true);
	fk_str(g, "email.attachment[2].filename", "r\xc3\xa9sum\xc3\xa9.js");
	fk_str(g, "email.attachment[2].content_type", "application/javascript");
	fk_u64(g, "email.attachment[2].size", 102);
	fk_bool(g, "email.attachment[2].executable", true);
	fk_str(g, "email.attachment[3].filename", EUCJP_UTF8);
	fk_u64(g, "email.attachment[3].size", 103);
	fk_bool(g, "email.attachment[3].executable", true);
	fk_str(g, "email.attachment[4].filename", "caf\xc3\xa9 menu.txt");
	fk_u64(g, "email.attachment[4].size", 104);
	fk_bool(g, "email.attachment[4].executable", false);
	fk_raw(g, "email.attachment[5]", "null");
	fact_end(g);
}

static void case_smtp_jpcert(struct gen *g)
{
	static struct buf m;
	struct flow f;
	char blob[128], cmd[192];
	uint8_t plain[64];
	size_t pl;

	fill_pattern(att_a, sizeof(att_a), 1);
	att_a[0] = 'M';
	att_a[1] = 'Z';
	fill_pattern(att_b, sizeof(att_b), 2);
	memcpy(att_b, "%PDF-1.4\n", 9);
	fill_pattern(att_c, sizeof(att_c), 3);
	att_c[0] = 'M';
	att_c[1] = 'Z';

	case_begin(g, "smtp_jpcert");
	flow_init(&f, IPP_TCP, "10.5.0.10", 41025, "10.5.0.25", 25);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_CLIENT, "220 mx.example.org ESMTP ready\r\n");
	smtp_cmd(g, &f, "EHLO client.example.com\r\n",
	    "250-mx.example.org\r\n250-AUTH PLAIN LOGIN\r\n"
	    "250-8BITMIME\r\n250 SIZE 10240000\r\n");
	pl = 0;
	plain[pl++] = 0;
	memcpy(plain + pl, AUTH_USER, strlen(AUTH_USER));
	pl += strlen(AUTH_USER);
	plain[pl++] = 0;
	memcpy(plain + pl, AUTH_PASS, strlen(AUTH_PASS));
	pl += strlen(AUTH_PASS);
	b64_short(blob, sizeof(blob), plain, pl);
	snprintf(cmd, sizeof(cmd), "AUTH PLAIN %s\r\n", blob);
	smtp_cmd(g, &f, cmd, "235 2.7.0 Authentication successful\r\n");

	/* Message 1: display-name spoofing, ISO-2022-JP subject, 2 files. */
	smtp_cmd(g, &f, "MAIL FROM:<attacker@evil.example> SIZE=4000\r\n",
	    "250 2.1.0 Ok\r\n");
	smtp_cmd(g, &f, "RCPT TO:<bob@example.org>\r\n", "250 2.1.5 Ok\r\n");
	smtp_cmd(g, &f, "RCPT TO:<carol@example.org>\r\n", "250 2.1.5 Ok\r\n");
	smtp_cmd(g, &f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
	m.n = 0;
	buf_add(&m,
	    "Received: from client.example.com (client.example.com "
	    "[10.5.0.10])\r\n\tby mx.example.org; Mon, 1 Jan 2024 00:00:00 "
	    "+0000\r\n"
	    "From: \"IT Support\" <it@example.com>\r\n"
	    "To: Bob <bob@example.org>, carol@example.org\r\n"
	    "Subject: %s\r\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "Message-ID: <jpcert-1@example.com>\r\n"
	    "X-Mailer: itgen-mailer 1.0\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"=_outer_1\"\r\n"
	    "\r\n"
	    "This is a multi-part message in MIME format.\r\n"
	    "--=_outer_1\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n"
	    "Please open the attached file.\r\n"
	    "..signature line that starts with a dot\r\n"
	    "\r\n"
	    "--=_outer_1\r\n"
	    "Content-Type: application/octet-stream;\r\n"
	    " name=\"%s\"\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n", ISO2022_SUBJ, SJIS_NAME, SJIS_NAME);
	buf_base64(&m, att_a, sizeof(att_a));
	buf_add(&m,
	    "\r\n--=_outer_1\r\n"
	    "Content-Type: application/pdf\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " %s\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n", R2231_PARAM);
	buf_base64(&m, att_b, sizeof(att_b));
	buf_add(&m, "\r\n--=_outer_1--\r\n.\r\n");
	tcp_send(g, &f, TO_SERVER, m.b, m.n, 0);
	tcp_send_str(g, &f, TO_CLIENT, "250 2.0.0 Ok: queued as 1A2B3C\r\n");

	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.helo", "client.example.com");
	fk_str(g, "smtp.mail_from", "attacker@evil.example");
	fk_raw(g, "smtp.rcpt_to",
	    "[\"bob@example.org\",\"carol@example.org\"]");
	fk_str(g, "smtp.auth_mech", "PLAIN");
	fk_bool(g, "smtp.starttls", false);
	fk_u64(g, "smtp.trans_depth", 1);
	fk_raw(g, "email.from",
	    "{\"name\":\"IT Support\",\"address\":\"it@example.com\"}");
	fk_raw(g, "email.to", "[{\"name\":\"Bob\",\"address\":"
	    "\"bob@example.org\"},{\"address\":\"carol@example.org\"}]");
	fk_bool(g, "email.from_mismatch", true);
	fk_str(g, "email.subject", ISO2022_SUBJ_UTF8);
	fk_str(g, "email.date", "Mon, 1 Jan 2024 00:00:00 +0000");
	fk_str(g, "email.x_mailer", "itgen-mailer 1.0");
	fk_str(g, "email.message_id", "<jpcert-1@example.com>");
	fk_str(g, "email.attachment[0].filename", SJIS_NAME_UTF8);
	fk_str(g, "email.attachment[0].content_type",
	    "application/octet-stream");
	fk_u64(g, "email.attachment[0].size", sizeof(att_a));
	fk_bool(g, "email.attachment[0].executable", true);
	fk_str(g, "email.attachment[1].filename", R2231_UTF8);
	fk_str(g, "email.attachment[1].content_type", "application/pdf");
	fk_u64(g, "email.attachment[1].size", sizeof(att_b));
	fk_bool(g, "email.attachment[1].executable", false);
	fk_raw(g, "email.attachment[2]", "null");
	fact_end(g);

	/* Message 2: same envelope sender as From, lenient name, nested. */
	smtp_cmd(g, &f, "MAIL FROM:<alice@example.net>\r\n",
	    "250 2.1.0 Ok\r\n");
	smtp_cmd(g, &f, "RCPT TO:<dave@example.org>\r\n", "250 2.1.5 Ok\r\n");
	smtp_cmd(g, &f, "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
	m.n = 0;
	buf_add(&m,
	    "From: Alice Example <alice@example.net>\r\n"
	    "To: dave@example.org\r\n"
	    "Subject: plain ascii subject\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"outer2\"\r\n"
	    "\r\n"
	    "--outer2\r\n"
	    "Content-Type: multipart/alternative; boundary=\"inner2\"\r\n"
	    "\r\n"
	    "--inner2\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "text\r\n"
	    "--inner2\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "\r\n"
	    "<p>text</p>\r\n"
	    "--inner2--\r\n"
	    "\r\n"
	    "--outer2\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n", SJIS_NAME_LAX);
	buf_base64(&m, att_c, sizeof(att_c));
	buf_add(&m, "--outer2--\r\n.\r\n");
	tcp_send(g, &f, TO_SERVER, m.b, m.n, 0);
	tcp_send_str(g, &f, TO_CLIENT, "250 2.0.0 Ok: queued as 4D5E6F\r\n");
	smtp_jpcert_third(g, &f, &m);
	smtp_cmd(g, &f, "QUIT\r\n", "221 2.0.0 Bye\r\n");
	tcp_close(g, &f);

	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.helo", "client.example.com");
	fk_str(g, "smtp.mail_from", "alice@example.net");
	fk_raw(g, "smtp.rcpt_to", "[\"dave@example.org\"]");
	fk_u64(g, "smtp.trans_depth", 2);
	fk_raw(g, "email.from",
	    "{\"name\":\"Alice Example\",\"address\":\"alice@example.net\"}");
	fk_bool(g, "email.from_mismatch", false);
	fk_str(g, "email.subject", "plain ascii subject");
	fk_str(g, "email.attachment[0].filename", SJIS_NAME_UTF8);
	fk_u64(g, "email.attachment[0].size", sizeof(att_c));
	fk_bool(g, "email.attachment[0].executable", true);
	fk_raw(g, "email.attachment[1]", "null");
	fact_end(g);

	smtp_jpcert_third_facts(g, &f);
	fact_count(g, "smtp", 3);
	fact_absent(g, blob);
	fact_absent(g, AUTH_PASS);
	fact_absent(g, AUTH_USER);
	case_end(g, "smtp_jpcert");
}

static void case_smtp_starttls(struct gen *g)
{
	struct flow f;
	uint8_t tls[3000];
	size_t i;

	case_begin(g, "smtp_starttls");
	flow_init(&f, IPP_TCP, "10.5.1.10", 41587, "10.5.1.25", 25);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_CLIENT, "220 mx2.example.org ESMTP\r\n");
	smtp_cmd(g, &f, "EHLO laptop.example.com\r\n",
	    "250-mx2.example.org\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
	smtp_cmd(g, &f, "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n");
	/* TLS records: handshake header, then bytes with no CRLF. */
	fill_pattern(tls, sizeof(tls), 7);
	for (i = 0; i < sizeof(tls); i++)
		if (tls[i] == '\r' || tls[i] == '\n')
			tls[i] = 0x42;
	tls[0] = 0x16;
	tls[1] = 0x03;
	tls[2] = 0x01;
	put_be16(tls + 3, 512 - 5);
	tls[5] = 0x01;				/* ClientHello */
	tcp_send(g, &f, TO_SERVER, tls, 512, 0);
	tls[512] = 0x16;
	tls[513] = 0x03;
	tls[514] = 0x03;
	put_be16(tls + 515, 2000 - 5);
	tls[517] = 0x02;			/* ServerHello */
	tcp_send(g, &f, TO_CLIENT, tls + 512, 2000, 0);
	/* application data records that look like nothing in particular */
	tls[2512] = 0x17;
	tls[2513] = 0x03;
	tls[2514] = 0x03;
	put_be16(tls + 2515, 488 - 5);
	tcp_send(g, &f, TO_SERVER, tls + 2512, 488, 0);
	tcp_close(g, &f);

	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.helo", "laptop.example.com");
	fk_bool(g, "smtp.starttls", true);
	fk_raw(g, "smtp.mail_from", "null");
	fk_raw(g, "email", "null");
	fact_end(g);
	fact_count(g, "smtp", 1);
	fact_anomaly(g, "app.malformed", 0);
	fact_anomaly(g, "app.overlong_line", 0);
	case_end(g, "smtp_starttls");
}

#define LOGIN_USER	"taro-login"
#define LOGIN_PASS	"L0gin-Pa55word!"

/*
 * SMTP on port 2525 (found by content), AUTH LOGIN (user and password on
 * lines of their own), the message sent 5 bytes per segment so
 * "\r\n.\r\n" is split, a dot-stuffed line that is "." once unstuffed, an
 * RFC 2047 display name, a quoted-printable body and an inline image.
 */
static void case_smtp_on_2525(struct gen *g)
{
	static struct buf m;
	char user64[64], pass64[64], line[80];
	uint8_t png[200];
	struct flow f;
	size_t off;

	case_begin(g, "smtp_on_2525");
	flow_init(&f, IPP_TCP, "10.5.2.10", 41300, "10.5.2.25", 2525);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_CLIENT, "220 alt.example.org ESMTP\r\n");
	smtp_cmd(g, &f, "EHLO [10.5.2.10]\r\n",
	    "250-alt.example.org\r\n250 AUTH LOGIN\r\n");
	/* AUTH LOGIN: user and password each on a line of its own */
	b64_short(user64, sizeof(user64), (const uint8_t *)LOGIN_USER,
	    strlen(LOGIN_USER));
	b64_short(pass64, sizeof(pass64), (const uint8_t *)LOGIN_PASS,
	    strlen(LOGIN_PASS));
	smtp_cmd(g, &f, "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n");
	snprintf(line, sizeof(line), "%s\r\n", user64);
	smtp_cmd(g, &f, line, "334 UGFzc3dvcmQ6\r\n");
	snprintf(line, sizeof(line), "%s\r\n", pass64);
	smtp_cmd(g, &f, line, "235 2.7.0 Authentication successful\r\n");
	/* a space after the colon: not RFC 5321, accepted by MTAs */
	smtp_cmd(g, &f, "MAIL FROM: <taro@example.jp>\r\n", "250 Ok\r\n");
	smtp_cmd(g, &f, "RCPT TO: <hanako@example.jp>\r\n", "250 Ok\r\n");
	smtp_cmd(g, &f, "DATA\r\n", "354 go\r\n");
	m.n = 0;
	buf_add(&m,
	    "From: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>\r\n"
	    "To: hanako@example.jp\r\n"
	    "Subject: =?UTF-8?Q?caf=C3=A9?= time\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/related; boundary=\"rel\"\r\n"
	    "\r\n"
	    "--rel\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "caf=C3=A9\r\n"
	    "..\r\n"
	    "--rel\r\n"
	    "Content-Type: image/png; name=\"logo.png\"\r\n"
	    "Content-Disposition: inline; filename=\"logo.png\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n");
	fill_pattern(png, sizeof(png), 51);
	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	buf_base64(&m, png, sizeof(png));
	buf_add(&m, "--rel--\r\n.\r\n");
	/* 5-byte segments; the last one ends the message */
	for (off = 0; off < m.n; off += 5) {
		size_t k = m.n - off < 5 ? m.n - off : 5;

		tcp_seg(g, &f, TO_SERVER, F_PSH | F_ACK, m.b + off, k);
		if ((off / 5) % 10 == 9)
			tcp_ack(g, &f, TO_CLIENT);
	}
	tcp_ack(g, &f, TO_CLIENT);
	tcp_send_str(g, &f, TO_CLIENT, "250 Ok: queued\r\n");
	smtp_cmd(g, &f, "QUIT\r\n", "221 Bye\r\n");
	tcp_close(g, &f);

	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.helo", "[10.5.2.10]");
	fk_str(g, "smtp.auth_mech", "LOGIN");
	fk_str(g, "smtp.mail_from", "taro@example.jp");
	fk_raw(g, "smtp.rcpt_to", "[\"hanako@example.jp\"]");
	fk_u64(g, "smtp.trans_depth", 1);
	fk_raw(g, "email.from", "{\"name\":\"\xe5\xb1\xb1\xe7\x94\xb0 "
	    "\xe5\xa4\xaa\xe9\x83\x8e\",\"address\":\"taro@example.jp\"}");
	fk_bool(g, "email.from_mismatch", false);
	fk_str(g, "email.subject", "caf\xc3\xa9 time");
	fk_str(g, "email.attachment[0].filename", "logo.png");
	fk_str(g, "email.attachment[0].content_type", "image/png");
	fk_u64(g, "email.attachment[0].size", sizeof(png));
	fk_bool(g, "email.attachment[0].executable", false);
	fk_raw(g, "email.attachment[1]", "null");
	fact_end(g);
	fact_count(g, "smtp", 1);
	fact_absent(g, user64);
	fact_absent(g, pass64);
	fact_absent(g, LOGIN_USER);
	fact_absent(g, LOGIN_PASS);
	case_end(g, "smtp_on_2525");
}

/*
 * A gap inside a message's DATA (500 bytes of the base64 attachment never
 * sent): the transaction is still logged, and the next one is parsed.
 */
static void case_smtp_gap(struct gen *g)
{
	static struct buf m;
	static uint8_t att[1500];
	struct flow f;
	size_t first;

	case_begin(g, "smtp_gap");
	flow_init(&f, IPP_TCP, "10.5.4.10", 41500, "10.5.4.25", 25);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_CLIENT, "220 gap.example.org ESMTP\r\n");
	smtp_cmd(g, &f, "EHLO g.example.com\r\n", "250 gap.example.org\r\n");
	smtp_cmd(g, &f, "MAIL FROM:<first@example.com>\r\n", "250 Ok\r\n");
	smtp_cmd(g, &f, "RCPT TO:<x@example.org>\r\n", "250 Ok\r\n");
	smtp_cmd(g, &f, "DATA\r\n", "354 go\r\n");
	m.n = 0;
	buf_add(&m, "From: first@example.com\r\n"
	    "Subject: has a hole\r\n"
	    "Content-Type: multipart/mixed; boundary=g\r\n\r\n"
	    "--g\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"hole.bin\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	fill_pattern(att, sizeof(att), 81);
	buf_base64(&m, att, sizeof(att));
	buf_add(&m, "--g--\r\n.\r\n");
	/* headers and the first base64 lines; 500 bytes lost; the rest */
	first = m.n - 1200;
	tcp_seg(g, &f, TO_SERVER, F_ACK, m.b, first);
	tcp_hole(&f, TO_SERVER, 500);
	tcp_seg(g, &f, TO_SERVER, F_PSH | F_ACK, m.b + first + 500,
	    m.n - first - 500);
	tcp_ack(g, &f, TO_CLIENT);
	tcp_send_str(g, &f, TO_CLIENT, "250 Ok: queued\r\n");
	smtp_cmd(g, &f, "MAIL FROM:<second@example.com>\r\n", "250 Ok\r\n");
	smtp_cmd(g, &f, "RCPT TO:<y@example.org>\r\n", "250 Ok\r\n");
	smtp_cmd(g, &f, "DATA\r\n", "354 go\r\n");
	tcp_send_str(g, &f, TO_SERVER, "From: second@example.com\r\n"
	    "Subject: after the hole\r\n\r\nfine\r\n.\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "250 Ok: queued\r\n");
	smtp_cmd(g, &f, "QUIT\r\n", "221 Bye\r\n");
	tcp_close(g, &f);

	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.mail_from", "first@example.com");
	fk_u64(g, "smtp.trans_depth", 1);
	fk_str(g, "email.subject", "has a hole");
	fk_bool(g, "smtp.gap", true);
	fact_end(g);
	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.mail_from", "second@example.com");
	fk_raw(g, "smtp.rcpt_to", "[\"y@example.org\"]");
	fk_u64(g, "smtp.trans_depth", 2);
	fk_str(g, "email.subject", "after the hole");
	fk_raw(g, "smtp.gap", "null");
	fact_end(g);
	fact_count(g, "smtp", 2);
	fact_flow_missed(g, &f);
	case_end(g, "smtp_gap");
}

/*
 * RFC 2920 pipelining (MAIL, RCPT, RCPT, DATA in one segment, the four
 * replies in one), then RFC 3030 BDAT ... LAST sent in the same segment as
 * its MAIL and RCPT commands.
 */
static void case_smtp_pipelining(struct gen *g)
{
	static struct buf m, seg;
	uint8_t doc[50];
	struct flow f;

	case_begin(g, "smtp_pipelining");
	flow_init(&f, IPP_TCP, "10.5.3.10", 41400, "10.5.3.25", 25);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_CLIENT, "220 pipe.example.org ESMTP\r\n");
	smtp_cmd(g, &f, "EHLO sender.example.com\r\n",
	    "250-pipe.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
	    "250 8BITMIME\r\n");
	/* verbs in lower case (RFC 5321 2.4: case does not matter) */
	smtp_cmd(g, &f, "mail from:<p1@example.com>\r\n"
	    "rcpt to:<r1@example.org>\r\n"
	    "Rcpt To:<r2@example.org>\r\n"
	    "data\r\n",
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n");
	tcp_send_str(g, &f, TO_SERVER, "From: p1@example.com\r\n"
	    "To: r1@example.org, r2@example.org\r\n"
	    "Subject: pipelined\r\n"
	    "\r\n"
	    "short body\r\n"
	    ".\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "250 2.0.0 Ok: queued\r\n");

	m.n = 0;
	buf_add(&m, "From: Sender Two <p2@example.com>\r\n"
	    "To: r3@example.org\r\n"
	    "Subject: chunked bdat\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"bd\"\r\n"
	    "\r\n"
	    "--bd\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "see attached\r\n"
	    ".\r\n"			/* not an end marker inside BDAT */
	    "--bd\r\n"
	    "Content-Type: text/plain; name=\"doc.txt\"\r\n"
	    "Content-Disposition: attachment; filename=\"doc.txt\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n");
	memset(doc, 'd', sizeof(doc));
	buf_base64(&m, doc, sizeof(doc));
	buf_add(&m, "--bd--\r\n");
	seg.n = 0;
	buf_add(&seg, "MAIL FROM:<p2@example.com>\r\n"
	    "RCPT TO:<r3@example.org>\r\n"
	    "BDAT %zu LAST\r\n%.*s", m.n, (int)m.n, m.b);
	tcp_send(g, &f, TO_SERVER, seg.b, seg.n, 0);
	tcp_send_str(g, &f, TO_CLIENT, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "250 2.0.0 Message accepted\r\n");
	smtp_cmd(g, &f, "QUIT\r\n", "221 Bye\r\n");
	tcp_close(g, &f);

	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.helo", "sender.example.com");
	fk_str(g, "smtp.mail_from", "p1@example.com");
	fk_raw(g, "smtp.rcpt_to", "[\"r1@example.org\",\"r2@example.org\"]");
	fk_u64(g, "smtp.trans_depth", 1);
	fk_str(g, "email.subject", "pipelined");
	fk_raw(g, "email.attachment", "[]");
	fact_end(g);
	fact_event(g, "smtp", &f);
	fk_str(g, "smtp.mail_from", "p2@example.com");
	fk_raw(g, "smtp.rcpt_to", "[\"r3@example.org\"]");
	fk_u64(g, "smtp.trans_depth", 2);
	fk_bool(g, "smtp.chunking", true);
	fk_raw(g, "email.from",
	    "{\"name\":\"Sender Two\",\"address\":\"p2@example.com\"}");
	fk_str(g, "email.subject", "chunked bdat");
	fk_str(g, "email.attachment[0].filename", "doc.txt");
	fk_u64(g, "email.attachment[0].size", sizeof(doc));
	fk_raw(g, "email.attachment[1]", "null");
	fact_end(g);
	fact_count(g, "smtp", 2);
	fact_anomaly(g, "app.malformed", 0);
	case_end(g, "smtp_pipelining");
}

/* ------------------------------------------------------------------------ */
/* HTTP                                                                     */
/* ------------------------------------------------------------------------ */

/* The common fields of one expected http event. */
static void fact_http(struct gen *g, const struct flow *f, const char *method,
    const char *host, const char *url, unsigned status, long long length,
    unsigned depth)
{
	fact_event(g, "http", f);
	fk_str(g, "http.http_method", method);
	if (host)
		fk_str(g, "http.hostname", host);
	fk_str(g, "http.url", url);
	if (status)
		fk_u64(g, "http.status", status);
	if (length >= 0)
		fk_u64(g, "http.length", (uint64_t)length);
	fk_u64(g, "http.trans_depth", depth);
}

static void case_http_connect_8089(struct gen *g)
{
	struct flow f;
	uint8_t tun[1200];

	case_begin(g, "http_connect_8089");
	flow_init(&f, IPP_TCP, "10.6.0.5", 50100, "10.6.0.1", 3128);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_SERVER,
	    "CONNECT c2.example.net:8089 HTTP/1.1\r\n"
	    "Host: c2.example.net:8089\r\n"
	    "User-Agent: Mozilla/4.0 (compatible; MSIE 8.0)\r\n"
	    "Proxy-Connection: Keep-Alive\r\n"
	    "\r\n");
	tcp_send_str(g, &f, TO_CLIENT,
	    "HTTP/1.1 200 Connection established\r\n\r\n");
	/* tunnel: a TLS-looking record each way, then more bytes */
	fill_pattern(tun, sizeof(tun), 11);
	tun[0] = 0x16;
	tun[1] = 0x03;
	tun[2] = 0x01;
	put_be16(tun + 3, 300 - 5);
	tcp_send(g, &f, TO_SERVER, tun, 300, 0);
	tun[300] = 0x16;
	tun[301] = 0x03;
	tun[302] = 0x03;
	put_be16(tun + 303, 600 - 5);
	tcp_send(g, &f, TO_CLIENT, tun + 300, 600, 0);
	/* text inside the tunnel that must not be taken for HTTP */
	tcp_send_str(g, &f, TO_SERVER, "GET /inside HTTP/1.1\r\n"
	    "Host: c2.example.net\r\n\r\n");
	tcp_send(g, &f, TO_CLIENT, tun + 900, 300, 0);
	tcp_close(g, &f);

	fact_http(g, &f, "CONNECT", NULL, "c2.example.net:8089", 200, -1, 1);
	fk_str(g, "http.connect_target", "c2.example.net:8089");
	fk_str(g, "http.protocol", "HTTP/1.1");
	fk_str(g, "http.http_user_agent", "Mozilla/4.0 (compatible; MSIE 8.0)");
	fact_end(g);
	fact_count(g, "http", 1);
	case_end(g, "http_connect_8089");
}

#define PROXY_CRED	"proxyuser:Pr0xyPa55"

/*
 * CONNECT refused with 407, then repeated with Proxy-Authorization on the
 * same connection and accepted: two transactions; the proxy password
 * (and its base64) must not be logged.
 */
static void case_http_connect_407(struct gen *g)
{
	struct flow f;
	char cred64[64], req[512];
	uint8_t tun[400];

	case_begin(g, "http_connect_407");
	flow_init(&f, IPP_TCP, "10.6.1.5", 50150, "10.6.1.1", 8080);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_SERVER,
	    "CONNECT update.example.org:4443 HTTP/1.1\r\n"
	    "Host: update.example.org:4443\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT,
	    "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
	    "Content-Length: 0\r\n\r\n");
	b64_short(cred64, sizeof(cred64), (const uint8_t *)PROXY_CRED,
	    strlen(PROXY_CRED));
	snprintf(req, sizeof(req),
	    "CONNECT update.example.org:4443 HTTP/1.1\r\n"
	    "Host: update.example.org:4443\r\n"
	    "Proxy-Authorization: Basic %s\r\n\r\n", cred64);
	tcp_send_str(g, &f, TO_SERVER, req);
	tcp_send_str(g, &f, TO_CLIENT,
	    "HTTP/1.1 200 Connection established\r\n\r\n");
	fill_pattern(tun, sizeof(tun), 13);
	tun[0] = 0x16;
	tun[1] = 0x03;
	tun[2] = 0x01;
	put_be16(tun + 3, 200 - 5);
	tcp_send(g, &f, TO_SERVER, tun, 200, 0);
	tcp_send(g, &f, TO_CLIENT, tun + 200, 200, 0);
	tcp_close(g, &f);

	fact_http(g, &f, "CONNECT", NULL, "update.example.org:4443", 407, -1,
	    1);
	fk_str(g, "http.connect_target", "update.example.org:4443");
	fact_end(g);
	fact_http(g, &f, "CONNECT", NULL, "update.example.org:4443", 200, -1,
	    2);
	fk_str(g, "http.connect_target", "update.example.org:4443");
	fact_end(g);
	fact_count(g, "http", 2);
	fact_absent(g, cred64);
	fact_absent(g, "Pr0xyPa55");
	case_end(g, "http_connect_407");
}

/* Sends data in segments of 1, 2, 3, 1, 2, 3 ... bytes, every 8th ACKed. */
static void tcp_send_tiny(struct gen *g, struct flow *f, int dir,
    const char *s)
{
	size_t n = strlen(s), k = 1;
	unsigned i = 0;

	while (n) {
		size_t m = n < k ? n : k;

		tcp_seg(g, f, dir, F_PSH | F_ACK, s, m);
		s += m;
		n -= m;
		k = k % 3 + 1;
		if (++i % 8 == 0)
			tcp_ack(g, f, !dir);
	}
	tcp_ack(g, f, !dir);
}

static void case_http_tiny_segments(struct gen *g)
{
	static const char *const paths[3] = {
		"/tiny/one", "/tiny/two?x=1&y=2", "/tiny/three.css",
	};
	static const char *const bodies[3] = {
		"first body", "second, a bit longer body text\n", "c{}",
	};
	static const char *const ctypes[3] = {
		"text/plain", "text/html", "text/css",
	};
	struct flow f;
	char req[512], resp[512];
	int i;

	case_begin(g, "http_tiny_segments");
	flow_init(&f, IPP_TCP, "10.7.0.5", 50200, "10.7.0.80", 80);
	tcp_open(g, &f);
	for (i = 0; i < 3; i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
		    "Host: tiny.example.com\r\n"
		    "User-Agent: itgen-tiny/1\r\n"
		    "Connection: keep-alive\r\n\r\n", paths[i]);
		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n\r\n%s", ctypes[i],
		    strlen(bodies[i]), bodies[i]);
		tcp_send_tiny(g, &f, TO_SERVER, req);
		tcp_send_tiny(g, &f, TO_CLIENT, resp);
	}
	tcp_close(g, &f);
	for (i = 0; i < 3; i++) {
		fact_http(g, &f, "GET", "tiny.example.com", paths[i], 200,
		    (long long)strlen(bodies[i]), (unsigned)i + 1);
		fk_str(g, "http.http_user_agent", "itgen-tiny/1");
		fk_str(g, "http.http_content_type", ctypes[i]);
		fk_raw(g, "http.request_headers",
		    "[\"Host\",\"User-Agent\",\"Connection\"]");
		fk_raw(g, "http.response_headers",
		    "[\"Content-Type\",\"Content-Length\"]");
		fact_end(g);
	}
	fact_count(g, "http", 3);
	fact_flow_missed(g, &f);
	case_end(g, "http_tiny_segments");
}

static void case_http_gap(struct gen *g)
{
	static uint8_t body[3000];
	struct flow f;
	char hdr[256];
	size_t hl;

	case_begin(g, "http_gap");
	flow_init(&f, IPP_TCP, "10.7.1.5", 50300, "10.7.1.80", 80);
	fill_pattern(body, sizeof(body), 21);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_SERVER, "GET /big.bin HTTP/1.1\r\n"
	    "Host: gap.example.com\r\n\r\n");
	hl = (size_t)snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\n\r\n", sizeof(body));
	tcp_seg(g, &f, TO_CLIENT, F_ACK, hdr, hl);
	tcp_seg(g, &f, TO_CLIENT, F_ACK, body, 1000);
	tcp_hole(&f, TO_CLIENT, 1000);	/* body[1000..2000) never sent */
	tcp_seg(g, &f, TO_CLIENT, F_PSH | F_ACK, body + 2000, 1000);
	tcp_ack(g, &f, TO_SERVER);	/* acknowledges past the hole */
	tcp_send_str(g, &f, TO_SERVER, "GET /after-gap.txt HTTP/1.1\r\n"
	    "Host: gap.example.com\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 9\r\n\r\nnot found");
	tcp_close(g, &f);

	fact_http(g, &f, "GET", "gap.example.com", "/big.bin", 200, -1, 1);
	fk_str(g, "http.http_content_type", "application/octet-stream");
	fact_end(g);
	fact_http(g, &f, "GET", "gap.example.com", "/after-gap.txt", 404, 9, 2);
	fk_str(g, "http.http_content_type", "text/plain");
	/* request frame, ACK, response frame: 2 ms, whatever came before */
	fk_raw(g, "http.rtt_ms", "2.000");
	fact_end(g);
	fact_count(g, "http", 2);
	fact_flow_missed(g, &f);
	case_end(g, "http_gap");
}

/*
 * A gap inside the data of a chunk whose size is known: the 800 middle
 * bytes of a 2000-byte chunk are never sent; the next transaction on the
 * connection must still be logged.
 */
static void case_http_gap_chunked(struct gen *g)
{
	static uint8_t body[2000];
	struct flow f;
	static const char hdr[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "7d0\r\n";			/* 2000 */
	static const char tail[] = "\r\n0\r\n\r\n";
	uint8_t seg[1400];

	case_begin(g, "http_gap_chunked");
	flow_init(&f, IPP_TCP, "10.7.7.5", 50900, "10.7.7.80", 80);
	fill_pattern(body, sizeof(body), 71);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_SERVER, "GET /c1 HTTP/1.1\r\n"
	    "Host: gapc.example.com\r\n\r\n");
	memcpy(seg, hdr, sizeof(hdr) - 1);
	memcpy(seg + sizeof(hdr) - 1, body, 600);
	tcp_seg(g, &f, TO_CLIENT, F_ACK, seg, sizeof(hdr) - 1 + 600);
	tcp_hole(&f, TO_CLIENT, 800);		/* body[600..1400) */
	memcpy(seg, body + 1400, 600);
	memcpy(seg + 600, tail, sizeof(tail) - 1);
	tcp_seg(g, &f, TO_CLIENT, F_PSH | F_ACK, seg, 600 + sizeof(tail) - 1);
	tcp_ack(g, &f, TO_SERVER);
	tcp_send_str(g, &f, TO_SERVER, "GET /c2 HTTP/1.1\r\n"
	    "Host: gapc.example.com\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 3\r\n\r\nabc");
	tcp_close(g, &f);

	fact_http(g, &f, "GET", "gapc.example.com", "/c1", 200, -1, 1);
	fact_end(g);
	fact_http(g, &f, "GET", "gapc.example.com", "/c2", 200, 3, 2);
	fk_raw(g, "http.rtt_ms", "2.000");
	fact_end(g);
	fact_count(g, "http", 2);
	fact_flow_missed(g, &f);
	case_end(g, "http_gap_chunked");
}

static void case_http_pipelined(struct gen *g)
{
	static const char reqs[] =
	    "GET /p1 HTTP/1.1\r\nHost: pipe.example.com\r\n\r\n"
	    "GET /p2-chunked HTTP/1.1\r\nHost: pipe.example.com\r\n\r\n"
	    "HEAD /p3-head HTTP/1.1\r\nHost: pipe.example.com\r\n\r\n";
	/* 11-byte body; chunked 5 + 10 with an extension and a trailer;
	 * HEAD with the Content-Length a GET would have had */
	static const char resps[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 11\r\n\r\nhello world"
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nabcde\r\n"
	    "a;ext=1\r\n0123456789\r\n"
	    "0\r\nX-Trailer: done\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\n"
	    "Content-Length: 1234\r\n\r\n";
	static const char body50[] =
	    "field1=aaaaaaaaaaaaaaaa&field2=bbbbbbbbbbbbbbbbbbb";
	struct flow f;

	_Static_assert(sizeof(body50) - 1 == 50, "request body length");
	case_begin(g, "http_pipelined");
	flow_init(&f, IPP_TCP, "10.7.2.5", 50400, "10.7.2.80", 80);
	tcp_open(g, &f);
	tcp_send(g, &f, TO_SERVER, reqs, sizeof(reqs) - 1, 0);
	tcp_send(g, &f, TO_CLIENT, resps, sizeof(resps) - 1, 0);
	/* 100-continue */
	tcp_send_str(g, &f, TO_SERVER, "POST /upload HTTP/1.1\r\n"
	    "Host: pipe.example.com\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 50\r\n"
	    "Expect: 100-continue\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 100 Continue\r\n\r\n");
	tcp_send_str(g, &f, TO_SERVER, body50);
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 201 Created\r\n"
	    "Location: /upload/1\r\nContent-Length: 0\r\n\r\n");
	/* conditional GET answered 304 */
	tcp_send_str(g, &f, TO_SERVER, "GET /cached.js HTTP/1.1\r\n"
	    "Host: pipe.example.com\r\nIf-None-Match: \"v1\"\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 304 Not Modified\r\n"
	    "ETag: \"v1\"\r\n\r\n");
	/* still in step afterwards */
	tcp_send_str(g, &f, TO_SERVER, "GET /last HTTP/1.1\r\n"
	    "Host: pipe.example.com\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 4\r\n\r\ndone");
	tcp_close(g, &f);

	fact_http(g, &f, "GET", "pipe.example.com", "/p1", 200, 11, 1);
	fact_end(g);
	fact_http(g, &f, "GET", "pipe.example.com", "/p2-chunked", 200, 15, 2);
	fact_end(g);
	fact_http(g, &f, "HEAD", "pipe.example.com", "/p3-head", 200, 0, 3);
	fk_str(g, "http.http_content_type", "application/zip");
	fact_end(g);
	fact_http(g, &f, "POST", "pipe.example.com", "/upload", 201, 0, 4);
	fk_u64(g, "http.interim_status", 100);
	fk_u64(g, "http.request_body_len", 50);
	fact_end(g);
	fact_http(g, &f, "GET", "pipe.example.com", "/cached.js", 304, 0, 5);
	fact_end(g);
	fact_http(g, &f, "GET", "pipe.example.com", "/last", 200, 4, 6);
	fact_end(g);
	fact_count(g, "http", 6);
	case_end(g, "http_pipelined");
}

static void case_http_on_8080(struct gen *g)
{
	struct flow f;

	case_begin(g, "http_on_8080");
	flow_init(&f, IPP_TCP, "10.7.3.5", 50500, "10.7.3.80", 8080);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_SERVER, "GET /alt/port?q=8080 HTTP/1.1\r\n"
	    "Host: alt.example.com:8080\r\n"
	    "User-Agent: itgen-alt/1\r\n"
	    "Referer: http://alt.example.com:8080/\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nalt");
	tcp_close(g, &f);
	fact_http(g, &f, "GET", "alt.example.com", "/alt/port?q=8080", 200, 3,
	    1);
	fk_str(g, "http.http_user_agent", "itgen-alt/1");
	fk_str(g, "http.http_refer", "http://alt.example.com:8080/");
	fk_raw(g, "http.rtt_ms", "2.000");	/* request, ACK, response */
	fk_str(g, "http.protocol", "HTTP/1.1");
	fact_end(g);
	fact_count(g, "http", 1);
	case_end(g, "http_on_8080");
}

/*
 * Basic credentials (only the user may be logged), a chunked request
 * body, an HTTP/1.0 response delimited by the close, and on a second
 * connection a request that never gets a response.
 */
static void case_http_misc(struct gen *g)
{
	struct flow f, f2;

	case_begin(g, "http_misc");
	flow_init(&f, IPP_TCP, "10.7.5.5", 50700, "10.7.5.80", 80);
	tcp_open(g, &f);
	/* base64("user1:secretPass") */
	tcp_send_str(g, &f, TO_SERVER, "GET /private/ HTTP/1.1\r\n"
	    "Host: misc.example.com\r\n"
	    "Authorization: Basic dXNlcjE6c2VjcmV0UGFzcw==\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 6\r\n\r\nsecret");
	tcp_send_str(g, &f, TO_SERVER, "POST /chunked-up HTTP/1.1\r\n"
	    "Host: misc.example.com\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n\r\nok");
	tcp_send_str(g, &f, TO_SERVER, "GET /until-close HTTP/1.0\r\n"
	    "Host: misc.example.com\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.0 200 OK\r\n"
	    "Content-Type: text/plain\r\n\r\n"
	    "body ends when the server closes\n");
	/* server closes first */
	tcp_seg(g, &f, TO_CLIENT, F_FIN | F_ACK, NULL, 0);
	tcp_seg(g, &f, TO_SERVER, F_FIN | F_ACK, NULL, 0);
	tcp_ack(g, &f, TO_CLIENT);

	flow_init(&f2, IPP_TCP, "10.7.5.6", 50701, "10.7.5.80", 80);
	tcp_open(g, &f2);
	tcp_send_str(g, &f2, TO_SERVER, "GET /no-answer HTTP/1.1\r\n"
	    "Host: misc.example.com\r\n\r\n");
	tcp_close(g, &f2);

	fact_http(g, &f, "GET", "misc.example.com", "/private/", 200, 6, 1);
	fk_str(g, "http.auth_scheme", "Basic");
	fk_str(g, "http.auth_user", "user1");
	fact_end(g);
	fact_http(g, &f, "POST", "misc.example.com", "/chunked-up", 200, 2, 2);
	fk_u64(g, "http.request_body_len", 7);
	fact_end(g);
	fact_http(g, &f, "GET", "misc.example.com", "/until-close", 200,
	    (long long)strlen("body ends when the server closes\n"), 3);
	fk_str(g, "http.protocol", "HTTP/1.0");
	fact_end(g);
	fact_http(g, &f2, "GET", "misc.example.com", "/no-answer", 0, -1, 1);
	fk_raw(g, "http.status", "null");
	fact_end(g);
	fact_count(g, "http", 4);
	fact_absent(g, "dXNlcjE6c2VjcmV0UGFzcw==");
	fact_absent(g, "secretPass");
	case_end(g, "http_misc");
}

/*
 * Framing edge cases on one connection (RFC 9112 6.3): Transfer-Encoding
 * chunked next to a Content-Length (chunked wins), 204 without a body,
 * a 103 Early Hints before the 200, and a 101 upgrade to WebSocket after
 * which the bytes are not HTTP.
 */
static void case_http_edge(struct gen *g)
{
	struct flow f;
	uint8_t ws[300];

	case_begin(g, "http_edge");
	flow_init(&f, IPP_TCP, "10.7.6.5", 50800, "10.7.6.80", 80);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_SERVER, "GET /both HTTP/1.1\r\n"
	    "Host: edge.example.com\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 100\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\n\r\n");
	tcp_send_str(g, &f, TO_SERVER, "DELETE /item/7 HTTP/1.1\r\n"
	    "Host: edge.example.com\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 204 No Content\r\n"
	    "Server: itgen\r\n\r\n");
	tcp_send_str(g, &f, TO_SERVER, "GET /hints HTTP/1.1\r\n"
	    "Host: edge.example.com\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 103 Early Hints\r\n"
	    "Link: </style.css>; rel=preload; as=style\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n\r\nhi");
	/* header names in odd case, a status line without reason phrase */
	tcp_send_str(g, &f, TO_SERVER, "GET /noreason HTTP/1.1\r\n"
	    "HOST: edge.example.com\r\n"
	    "user-agent: lower/1\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 200\r\n"
	    "content-length: 1\r\n"
	    "CONTENT-TYPE: text/plain\r\n\r\nx");
	tcp_send_str(g, &f, TO_SERVER, "GET /chat HTTP/1.1\r\n"
	    "Host: edge.example.com\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n");
	tcp_send_str(g, &f, TO_CLIENT, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	/* WebSocket frames: a masked binary frame, an unmasked text frame
	 * that reads like an HTTP request line */
	fill_pattern(ws, sizeof(ws), 61);
	ws[0] = 0x82;
	ws[1] = 0x80 | 120;
	tcp_send(g, &f, TO_SERVER, ws, 2 + 4 + 120, 0);
	tcp_send_str(g, &f, TO_CLIENT,
	    "\x81\x1aGET /fake HTTP/1.1\r\n\r\nxxxx");
	tcp_close(g, &f);

	fact_http(g, &f, "GET", "edge.example.com", "/both", 200, 5, 1);
	fact_end(g);
	fact_http(g, &f, "DELETE", "edge.example.com", "/item/7", 204, 0, 2);
	fact_end(g);
	fact_http(g, &f, "GET", "edge.example.com", "/hints", 200, 2, 3);
	fact_end(g);
	fact_http(g, &f, "GET", "edge.example.com", "/noreason", 200, 1, 4);
	fk_str(g, "http.http_user_agent", "lower/1");
	fk_str(g, "http.http_content_type", "text/plain");
	fact_end(g);
	fact_http(g, &f, "GET", "edge.example.com", "/chat", 101, -1, 5);
	fact_end(g);
	fact_count(g, "http", 5);
	case_end(g, "http_edge");
}

static void case_http_port80_not_http(struct gen *g)
{
	struct flow f, f2;
	uint8_t bin[700];

	case_begin(g, "http_port80_not_http");
	/* an SSH-like banner exchange, then binary, on port 80 */
	flow_init(&f, IPP_TCP, "10.7.4.5", 50600, "10.7.4.80", 80);
	tcp_open(g, &f);
	tcp_send_str(g, &f, TO_CLIENT, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
	tcp_send_str(g, &f, TO_SERVER, "SSH-2.0-OpenSSH_9.0\r\n");
	fill_pattern(bin, sizeof(bin), 31);
	tcp_send(g, &f, TO_SERVER, bin, 400, 0);
	tcp_send(g, &f, TO_CLIENT, bin + 400, 300, 0);
	tcp_close(g, &f);
	/* client speaks first with binary on port 80 */
	flow_init(&f2, IPP_TCP, "10.7.4.6", 50601, "10.7.4.80", 80);
	tcp_open(g, &f2);
	fill_pattern(bin, sizeof(bin), 32);
	tcp_send(g, &f2, TO_SERVER, bin, 700, 0);
	tcp_send_str(g, &f2, TO_CLIENT, "random words, not a status line\r\n"
	    "\r\n");
	tcp_close(g, &f2);
	fact_count(g, "http", 0);
	fact_flow_missed(g, &f);		/* both flows were seen */
	fact_flow_missed(g, &f2);
	case_end(g, "http_port80_not_http");
}

/* ------------------------------------------------------------------------ */
/* DNS                                                                      */
/* ------------------------------------------------------------------------ */

/*
 * A DNS message under construction and, beside it, the JSON "answers"
 * array the answer records must come out as.
 */
struct dnsw {
	uint8_t b[1024];
	size_t n;
	size_t rdlen_at;	/* offset of the open record's RDLENGTH */
	char json[4096];
	size_t jn;
	unsigned nans;
};

static void dw_u8(struct dnsw *w, uint8_t v)
{
	if (w->n + 1 > sizeof(w->b))
		die("dns message too long", "");
	w->b[w->n++] = v;
}

static void dw_u16(struct dnsw *w, uint16_t v)
{
	dw_u8(w, (uint8_t)(v >> 8));
	dw_u8(w, (uint8_t)v);
}

static void dw_u32(struct dnsw *w, uint32_t v)
{
	dw_u16(w, (uint16_t)(v >> 16));
	dw_u16(w, (uint16_t)v);
}

static void dw_json(struct dnsw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void dw_json(struct dnsw *w, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(w->json + w->jn, sizeof(w->json) - w->jn, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(w->json) - w->jn)
		die("dns json too long", "");
	w->jn += (size_t)k;
}

/* Header (RFC 1035 4.1.1). */
static void dw_init(struct dnsw *w, uint16_t id, uint16_t flags, uint16_t qd,
    uint16_t an, uint16_t ns, uint16_t ar)
{
	memset(w, 0, sizeof(*w));
	dw_u16(w, id);
	dw_u16(w, flags);
	dw_u16(w, qd);
	dw_u16(w, an);
	dw_u16(w, ns);
	dw_u16(w, ar);
}

/* Name as uncompressed labels; returns the offset it was written at. */
static size_t dw_name(struct dnsw *w, const char *name)
{
	size_t at = w->n;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		dw_u8(w, (uint8_t)l);
		while (l--)
			dw_u8(w, (uint8_t)*name++);
		if (*name == '.')
			name++;
	}
	dw_u8(w, 0);
	return at;
}

static void dw_ptr(struct dnsw *w, size_t off)
{
	dw_u16(w, (uint16_t)(0xc000 | off));
}

static void dw_question(struct dnsw *w, const char *name, uint16_t type)
{
	dw_name(w, name);
	dw_u16(w, type);
	dw_u16(w, 1);
}

/*
 * Starts an answer record: owner written as a pointer to 'ptr' when
 * ptr != 0 (its text is 'name' either way), type, class IN, ttl; opens
 * the JSON object.
 */
static void dw_rr(struct dnsw *w, const char *name, size_t ptr,
    uint16_t type, const char *tname, uint32_t ttl)
{
	if (ptr)
		dw_ptr(w, ptr);
	else
		dw_name(w, name);
	dw_u16(w, type);
	dw_u16(w, 1);
	dw_u32(w, ttl);
	w->rdlen_at = w->n;
	dw_u16(w, 0);
	dw_json(w, "%s{\"rrname\":\"%s\",\"rrtype\":\"%s\",\"ttl\":%u",
	    w->nans ? "," : "", name, tname, ttl);
	w->nans++;
}

/* Closes the record: RDLENGTH and the JSON rdata text. */
static void dw_rr_end(struct dnsw *w, const char *rdata)
{
	put_be16(w->b + w->rdlen_at, (uint16_t)(w->n - w->rdlen_at - 2));
	dw_json(w, ",\"rdata\":\"%s\"}", rdata);
}

static void dw_a(struct dnsw *w, const char *name, size_t ptr, uint32_t ttl,
    const char *addr)
{
	uint8_t a[16];
	bool v6 = strchr(addr, ':') != NULL;
	int i;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
		die("bad address", addr);
	dw_rr(w, name, ptr, v6 ? 28 : 1, v6 ? "AAAA" : "A", ttl);
	for (i = 0; i < (v6 ? 16 : 4); i++)
		dw_u8(w, a[i]);
	dw_rr_end(w, addr);
}

/* CNAME/PTR/NS: returns the offset of the target name (for pointers). */
static size_t dw_namerr(struct dnsw *w, const char *name, size_t ptr,
    uint16_t type, const char *tname, uint32_t ttl, const char *target)
{
	size_t at;

	dw_rr(w, name, ptr, type, tname, ttl);
	at = dw_name(w, target);
	dw_rr_end(w, target);
	return at;
}

static void dw_mx(struct dnsw *w, const char *name, size_t ptr, uint32_t ttl,
    uint16_t pref, const char *host)
{
	char t[300];

	dw_rr(w, name, ptr, 15, "MX", ttl);
	dw_u16(w, pref);
	dw_name(w, host);
	snprintf(t, sizeof(t), "%u %s", pref, host);
	dw_rr_end(w, t);
}

static void dw_srv(struct dnsw *w, const char *name, size_t ptr, uint32_t ttl,
    uint16_t prio, uint16_t weight, uint16_t port, const char *target)
{
	char t[300];

	dw_rr(w, name, ptr, 33, "SRV", ttl);
	dw_u16(w, prio);
	dw_u16(w, weight);
	dw_u16(w, port);
	dw_name(w, target);		/* RFC 2782: no compression */
	snprintf(t, sizeof(t), "%u %u %u %s", prio, weight, port, target);
	dw_rr_end(w, t);
}

static void dw_soa(struct dnsw *w, const char *name, size_t ptr, uint32_t ttl,
    const char *mname, const char *rname, const uint32_t v[5], bool json)
{
	char t[600];
	int i;

	if (json) {
		dw_rr(w, name, ptr, 6, "SOA", ttl);
	} else {
		/* authority section: wire only, not in the answers list */
		if (ptr)
			dw_ptr(w, ptr);
		else
			dw_name(w, name);
		dw_u16(w, 6);
		dw_u16(w, 1);
		dw_u32(w, ttl);
		w->rdlen_at = w->n;
		dw_u16(w, 0);
	}
	dw_name(w, mname);
	dw_name(w, rname);
	for (i = 0; i < 5; i++)
		dw_u32(w, v[i]);
	if (json) {
		snprintf(t, sizeof(t), "%s %s %u %u %u %u %u", mname, rname,
		    v[0], v[1], v[2], v[3], v[4]);
		dw_rr_end(w, t);
	} else {
		put_be16(w->b + w->rdlen_at,
		    (uint16_t)(w->n - w->rdlen_at - 2));
	}
}

/* TXT with the given character-strings (NULL-ended list). */
static void dw_txt(struct dnsw *w, const char *name, size_t ptr, uint32_t ttl,
    const char *const *strs)
{
	char t[1024] = "";
	size_t tl = 0;

	dw_rr(w, name, ptr, 16, "TXT", ttl);
	for (; *strs; strs++) {
		size_t l = strlen(*strs);

		dw_u8(w, (uint8_t)l);
		for (size_t i = 0; i < l; i++)
			dw_u8(w, (uint8_t)(*strs)[i]);
		if (tl + l >= sizeof(t))
			die("txt too long", *strs);
		memcpy(t + tl, *strs, l);
		tl += l;
		t[tl] = '\0';
	}
	dw_rr_end(w, t);
}

/* The answers JSON array ("null" when there are none). */
static const char *dw_answers(struct dnsw *w, char *out, size_t outsz)
{
	if (!w->nans)
		snprintf(out, outsz, "null");
	else
		snprintf(out, outsz, "[%.*s]", (int)w->jn, w->json);
	return out;
}

#define DNS_Q_FLAGS	0x0100	/* RD */
#define DNS_R_FLAGS	0x8180	/* QR RD RA, rcode 0 */

/*
 * Expected dns event: id, rrname, rrtype, answered, rcode (NULL = absent),
 * transport, answers (JSON), rtt_ms (negative = not asserted).
 */
static void fact_dns(struct gen *g, const struct flow *f, unsigned id,
    const char *rrname, const char *rrtype, const char *rcode,
    const char *answers, double rtt_ms)
{
	char t[32];

	fact_event(g, "dns", f);
	fk_u64(g, "dns.id", id);
	fk_str(g, "dns.transport", f->proto == IPP_TCP ? "tcp" : "udp");
	fk_str(g, "dns.rrname", rrname);
	fk_str(g, "dns.rrtype", rrtype);
	fk_bool(g, "dns.answered", rcode != NULL);
	if (rcode)
		fk_str(g, "dns.rcode", rcode);
	else
		fk_raw(g, "dns.rcode", "null");
	if (answers)
		fk_raw(g, "dns.answers", answers);
	if (rtt_ms >= 0) {
		snprintf(t, sizeof(t), "%.3f", rtt_ms);
		fk_raw(g, "dns.rtt_ms", t);
	}
}

/* One UDP query/response exchange on flow f: query, then response. */
static void dns_udp_pair(struct gen *g, struct flow *f, struct dnsw *q,
    struct dnsw *r)
{
	udp_send(g, f, TO_SERVER, q->b, q->n);
	udp_send(g, f, TO_CLIENT, r->b, r->n);
}

static void case_dns_udp(struct gen *g)
{
	static const uint32_t soa_v[5] = { 2024010101, 7200, 3600, 1209600,
	    300 };
	static const char *const txt1[] = { "v=spf1 -all", NULL };
	static const char *const txt2[] = { "hello ", "world", NULL };
	struct dnsw q, r;
	struct flow f;
	char ans[4096];
	size_t at;

	case_begin(g, "dns_udp");
	flow_init(&f, IPP_UDP, "10.8.0.5", 41053, "10.8.0.53", 53);

	/* 1: A */
	dw_init(&q, 0x0a01, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "www.example.com", 1);
	dw_init(&r, 0x0a01, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r, "www.example.com", 1);
	dw_a(&r, "www.example.com", 12, 300, "93.184.216.34");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a01, "www.example.com", "A", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fk_raw(g, "dns.flags", "{\"qr\":true,\"aa\":false,\"tc\":false,"
	    "\"rd\":true,\"ra\":true}");
	fact_end(g);

	/* 2: AAAA */
	dw_init(&q, 0x0a02, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "www.example.com", 28);
	dw_init(&r, 0x0a02, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r, "www.example.com", 28);
	dw_a(&r, "www.example.com", 12, 600, "2001:db8::1");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a02, "www.example.com", "AAAA", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/* 3: CNAME chain; the second owner points at the first target */
	dw_init(&q, 0x0a03, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "www.alias.example", 1);
	dw_init(&r, 0x0a03, DNS_R_FLAGS, 1, 3, 0, 0);
	dw_question(&r, "www.alias.example", 1);
	at = dw_namerr(&r, "www.alias.example", 12, 5, "CNAME", 60,
	    "edge.cdn.example.net");
	at = dw_namerr(&r, "edge.cdn.example.net", at, 5, "CNAME", 30,
	    "pop7.cdn.example.net");
	dw_a(&r, "pop7.cdn.example.net", at, 20, "198.51.100.7");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a03, "www.alias.example", "A", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/* 4: MX */
	dw_init(&q, 0x0a04, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "example.com", 15);
	dw_init(&r, 0x0a04, DNS_R_FLAGS, 1, 2, 0, 0);
	dw_question(&r, "example.com", 15);
	dw_mx(&r, "example.com", 12, 3600, 10, "mx1.example.com");
	dw_mx(&r, "example.com", 12, 3600, 20, "mx2.example.com");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a04, "example.com", "MX", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/* 5: TXT, one and two character-strings */
	dw_init(&q, 0x0a05, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "example.com", 16);
	dw_init(&r, 0x0a05, DNS_R_FLAGS, 1, 2, 0, 0);
	dw_question(&r, "example.com", 16);
	dw_txt(&r, "example.com", 12, 300, txt1);
	dw_txt(&r, "example.com", 12, 300, txt2);
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a05, "example.com", "TXT", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/* 6: SOA as an answer */
	dw_init(&q, 0x0a06, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "example.com", 6);
	dw_init(&r, 0x0a06, DNS_R_FLAGS | 0x0400, 1, 1, 0, 0);
	dw_question(&r, "example.com", 6);
	dw_soa(&r, "example.com", 12, 3600, "ns1.example.com",
	    "hostmaster.example.com", soa_v, true);
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a06, "example.com", "SOA", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fk_raw(g, "dns.flags", "{\"qr\":true,\"aa\":true,\"tc\":false,"
	    "\"rd\":true,\"ra\":true}");
	fact_end(g);

	/* 7: NXDOMAIN with the SOA in the authority section */
	dw_init(&q, 0x0a07, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "nosuch.example.com", 1);
	dw_init(&r, 0x0a07, DNS_R_FLAGS | 3, 1, 0, 1, 0);
	dw_question(&r, "nosuch.example.com", 1);
	dw_soa(&r, "example.com", 12 + 7, 300, "ns1.example.com",
	    "hostmaster.example.com", soa_v, false);
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a07, "nosuch.example.com", "A", "NXDOMAIN",
	    "null", 1.0);
	fact_end(g);

	/* 8: SRV */
	dw_init(&q, 0x0a08, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "_sip._tcp.example.com", 33);
	dw_init(&r, 0x0a08, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r, "_sip._tcp.example.com", 33);
	dw_srv(&r, "_sip._tcp.example.com", 12, 86400, 10, 60, 5060,
	    "sipserver.example.com");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a08, "_sip._tcp.example.com", "SRV", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/* 9: PTR */
	dw_init(&q, 0x0a09, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "34.216.184.93.in-addr.arpa", 12);
	dw_init(&r, 0x0a09, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r, "34.216.184.93.in-addr.arpa", 12);
	dw_namerr(&r, "34.216.184.93.in-addr.arpa", 12, 12, "PTR", 3600,
	    "www.example.com");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a09, "34.216.184.93.in-addr.arpa", "PTR",
	    "NOERROR", dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/* 11: NS, two servers */
	dw_init(&q, 0x0a0b, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "example.com", 2);
	dw_init(&r, 0x0a0b, DNS_R_FLAGS, 1, 2, 0, 0);
	dw_question(&r, "example.com", 2);
	dw_namerr(&r, "example.com", 12, 2, "NS", 172800, "a.iana-servers.net");
	dw_namerr(&r, "example.com", 12, 2, "NS", 172800, "b.iana-servers.net");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a0b, "example.com", "NS", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/* 12: truncated (TC) response without answers */
	dw_init(&q, 0x0a0c, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "big.example.com", 16);
	dw_init(&r, 0x0a0c, DNS_R_FLAGS | 0x0200, 1, 0, 0, 0);
	dw_question(&r, "big.example.com", 16);
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x0a0c, "big.example.com", "TXT", "NOERROR", "null",
	    1.0);
	fk_raw(g, "dns.flags", "{\"qr\":true,\"aa\":false,\"tc\":true,"
	    "\"rd\":true,\"ra\":true}");
	fact_end(g);

	/* 10: a query that is never answered */
	dw_init(&q, 0x0a0a, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "silent.example.com", 1);
	udp_send(g, &f, TO_SERVER, q.b, q.n);
	fact_dns(g, &f, 0x0a0a, "silent.example.com", "A", NULL, "null", -1);
	fk_raw(g, "dns.rtt_ms", "null");
	fk_raw(g, "dns.flags", "{\"qr\":false,\"aa\":false,\"tc\":false,"
	    "\"rd\":true,\"ra\":false}");
	fact_end(g);

	fact_count(g, "dns", 12);
	fact_anomaly(g, "app.malformed", 0);
	case_end(g, "dns_udp");
}

static void case_dns_tcp_two_in_one(struct gen *g)
{
	static const uint32_t soa_v[5] = { 7, 3600, 600, 86400, 60 };
	static const char *const txt3[] = { "split across segments", NULL };
	struct dnsw q1, q2, r1, r2, q3, r3;
	struct flow f;
	uint8_t seg[2048];
	size_t n;
	char ans[4096];

	case_begin(g, "dns_tcp_two_in_one");
	flow_init(&f, IPP_TCP, "10.8.1.5", 41153, "10.8.1.53", 53);
	dw_init(&q1, 0x1b01, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q1, "first.example.org", 1);
	dw_init(&q2, 0x1b02, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q2, "second.example.org", 15);
	dw_init(&r1, 0x1b01, DNS_R_FLAGS, 1, 2, 0, 0);
	dw_question(&r1, "first.example.org", 1);
	dw_a(&r1, "first.example.org", 12, 120, "192.0.2.10");
	dw_a(&r1, "first.example.org", 12, 120, "192.0.2.11");
	dw_init(&r2, 0x1b02, DNS_R_FLAGS | 3, 1, 0, 1, 0);
	dw_question(&r2, "second.example.org", 15);
	dw_soa(&r2, "example.org", 12 + 7, 60, "ns.example.org",
	    "admin.example.org", soa_v, false);

	dw_init(&q3, 0x1b03, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q3, "third.example.org", 16);
	dw_init(&r3, 0x1b03, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r3, "third.example.org", 16);
	dw_txt(&r3, "third.example.org", 12, 5, txt3);

	tcp_open(g, &f);
	/* both queries, each with its 2-byte length (RFC 1035 4.2.2) */
	n = 0;
	put_be16(seg + n, (uint16_t)q1.n);
	memcpy(seg + n + 2, q1.b, q1.n);
	n += 2 + q1.n;
	put_be16(seg + n, (uint16_t)q2.n);
	memcpy(seg + n + 2, q2.b, q2.n);
	n += 2 + q2.n;
	tcp_seg(g, &f, TO_SERVER, F_PSH | F_ACK, seg, n);
	/* both responses in one segment, second one first */
	n = 0;
	put_be16(seg + n, (uint16_t)r2.n);
	memcpy(seg + n + 2, r2.b, r2.n);
	n += 2 + r2.n;
	put_be16(seg + n, (uint16_t)r1.n);
	memcpy(seg + n + 2, r1.b, r1.n);
	n += 2 + r1.n;
	tcp_seg(g, &f, TO_CLIENT, F_PSH | F_ACK, seg, n);
	tcp_ack(g, &f, TO_SERVER);
	/* a third exchange cut badly: the query's length prefix split
	 * between two segments, the response split mid-message */
	put_be16(seg, (uint16_t)q3.n);
	memcpy(seg + 2, q3.b, q3.n);
	tcp_seg(g, &f, TO_SERVER, F_PSH | F_ACK, seg, 1);
	tcp_seg(g, &f, TO_SERVER, F_PSH | F_ACK, seg + 1, q3.n + 1);
	put_be16(seg, (uint16_t)r3.n);
	memcpy(seg + 2, r3.b, r3.n);
	tcp_seg(g, &f, TO_CLIENT, F_PSH | F_ACK, seg, 20);
	tcp_seg(g, &f, TO_CLIENT, F_PSH | F_ACK, seg + 20, r3.n + 2 - 20);
	tcp_ack(g, &f, TO_SERVER);
	tcp_close(g, &f);

	fact_dns(g, &f, 0x1b01, "first.example.org", "A", "NOERROR",
	    dw_answers(&r1, ans, sizeof(ans)), 1.0);
	fact_end(g);
	fact_dns(g, &f, 0x1b02, "second.example.org", "MX", "NXDOMAIN",
	    "null", 1.0);
	fact_end(g);
	fact_dns(g, &f, 0x1b03, "third.example.org", "TXT", "NOERROR",
	    dw_answers(&r3, ans, sizeof(ans)), 2.0);
	fact_end(g);
	fact_count(g, "dns", 3);
	fact_anomaly(g, "app.malformed", 0);
	case_end(g, "dns_tcp_two_in_one");
}

/*
 * DNS over TCP with a gap: 200 bytes in the middle of a long TXT response
 * are never sent; the next query/response on the connection must still
 * be parsed (the length prefix says where the next message starts).
 */
static void case_dns_tcp_gap(struct gen *g)
{
	static const char *txt[4];
	static char s1[201], s2[201], s3[201];
	struct dnsw q1, r1, q2, r2;
	struct flow f;
	uint8_t seg[1024];
	char ans[4096];
	size_t n;

	memset(s1, 'a', 200);
	memset(s2, 'b', 200);
	memset(s3, 'c', 200);
	txt[0] = s1;
	txt[1] = s2;
	txt[2] = s3;
	txt[3] = NULL;
	case_begin(g, "dns_tcp_gap");
	flow_init(&f, IPP_TCP, "10.8.3.5", 41353, "10.8.3.53", 53);
	dw_init(&q1, 0x3d01, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q1, "long.example.net", 16);
	dw_init(&r1, 0x3d01, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r1, "long.example.net", 16);
	dw_txt(&r1, "long.example.net", 12, 60, txt);
	dw_init(&q2, 0x3d02, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q2, "next.example.net", 1);
	dw_init(&r2, 0x3d02, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r2, "next.example.net", 1);
	dw_a(&r2, "next.example.net", 12, 60, "192.0.2.99");

	tcp_open(g, &f);
	put_be16(seg, (uint16_t)q1.n);
	memcpy(seg + 2, q1.b, q1.n);
	tcp_send(g, &f, TO_SERVER, seg, q1.n + 2, 0);
	put_be16(seg, (uint16_t)r1.n);
	memcpy(seg + 2, r1.b, r1.n);
	n = r1.n + 2;
	tcp_seg(g, &f, TO_CLIENT, F_ACK, seg, 300);
	tcp_hole(&f, TO_CLIENT, 200);		/* seg[300..500) */
	tcp_seg(g, &f, TO_CLIENT, F_PSH | F_ACK, seg + 500, n - 500);
	tcp_ack(g, &f, TO_SERVER);
	put_be16(seg, (uint16_t)q2.n);
	memcpy(seg + 2, q2.b, q2.n);
	tcp_send(g, &f, TO_SERVER, seg, q2.n + 2, 0);
	put_be16(seg, (uint16_t)r2.n);
	memcpy(seg + 2, r2.b, r2.n);
	tcp_send(g, &f, TO_CLIENT, seg, r2.n + 2, 0);
	tcp_close(g, &f);

	/* query frame, server ACK, response frame: 2 ms */
	fact_dns(g, &f, 0x3d02, "next.example.net", "A", "NOERROR",
	    dw_answers(&r2, ans, sizeof(ans)), 2.0);
	fact_end(g);
	fact_flow_missed(g, &f);
	case_end(g, "dns_tcp_gap");
}

static void case_dns_compression_loop(struct gen *g)
{
	struct dnsw q, r;
	struct flow f;
	char ans[4096];
	size_t at;

	case_begin(g, "dns_compression_loop");
	flow_init(&f, IPP_UDP, "10.8.2.5", 41253, "10.8.2.53", 53);

	dw_init(&q, 0x2c01, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "before.example.com", 1);
	dw_init(&r, 0x2c01, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r, "before.example.com", 1);
	dw_a(&r, "before.example.com", 12, 300, "203.0.113.1");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x2c01, "before.example.com", "A", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	/*
	 * The looping response: question "loop.example.com" written plainly;
	 * the answer's owner is the label "x" followed by a pointer to
	 * itself (offset of that label), so following it never ends.
	 */
	dw_init(&q, 0x2c02, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "loop.example.com", 1);
	dw_init(&r, 0x2c02, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r, "loop.example.com", 1);
	at = r.n;
	dw_u8(&r, 1);
	dw_u8(&r, 'x');
	dw_ptr(&r, at);
	dw_u16(&r, 1);
	dw_u16(&r, 1);
	dw_u32(&r, 300);
	dw_u16(&r, 4);
	dw_u32(&r, 0xcb007102);			/* 203.0.113.2 */
	dns_udp_pair(g, &f, &q, &r);

	/*
	 * A forward pointer that does not loop: a CNAME whose target is a
	 * pointer to the next record's owner name, written after it.
	 */
	dw_init(&q, 0x2c04, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "fwd.example.com", 5);
	dw_init(&r, 0x2c04, DNS_R_FLAGS, 1, 2, 0, 0);
	dw_question(&r, "fwd.example.com", 5);
	dw_ptr(&r, 12);
	dw_u16(&r, 5);
	dw_u16(&r, 1);
	dw_u32(&r, 300);
	dw_u16(&r, 2);
	dw_ptr(&r, r.n + 2);			/* the owner written next */
	dw_name(&r, "target.example.com");
	dw_u16(&r, 1);
	dw_u16(&r, 1);
	dw_u32(&r, 300);
	dw_u16(&r, 4);
	dw_u32(&r, 0xcb007104);			/* 203.0.113.4 */
	dns_udp_pair(g, &f, &q, &r);

	/*
	 * A name over 255 octets made of valid backward pointers: a CNAME
	 * target of two 63-octet labels (129 octets), then an owner of two
	 * more 63-octet labels and a pointer to it: 4 * 64 + 1 = 257.
	 */
	dw_init(&q, 0x2c05, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "long.example.com", 5);
	dw_init(&r, 0x2c05, DNS_R_FLAGS, 1, 2, 0, 0);
	dw_question(&r, "long.example.com", 5);
	dw_ptr(&r, 12);
	dw_u16(&r, 5);
	dw_u16(&r, 1);
	dw_u32(&r, 300);
	dw_u16(&r, 129);
	at = r.n;
	for (int k = 0; k < 2; k++) {
		dw_u8(&r, 63);
		for (int j = 0; j < 63; j++)
			dw_u8(&r, (uint8_t)('a' + k));
	}
	dw_u8(&r, 0);
	for (int k = 0; k < 2; k++) {
		dw_u8(&r, 63);
		for (int j = 0; j < 63; j++)
			dw_u8(&r, (uint8_t)('c' + k));
	}
	dw_ptr(&r, at);
	dw_u16(&r, 1);
	dw_u16(&r, 1);
	dw_u32(&r, 300);
	dw_u16(&r, 4);
	dw_u32(&r, 0xcb007105);			/* 203.0.113.5 */
	dns_udp_pair(g, &f, &q, &r);

	dw_init(&q, 0x2c03, DNS_Q_FLAGS, 1, 0, 0, 0);
	dw_question(&q, "after.example.com", 1);
	dw_init(&r, 0x2c03, DNS_R_FLAGS, 1, 1, 0, 0);
	dw_question(&r, "after.example.com", 1);
	dw_a(&r, "after.example.com", 12, 300, "203.0.113.3");
	dns_udp_pair(g, &f, &q, &r);
	fact_dns(g, &f, 0x2c03, "after.example.com", "A", "NOERROR",
	    dw_answers(&r, ans, sizeof(ans)), 1.0);
	fact_end(g);

	fact_anomaly(g, "dns.bad_compression_pointer", 2);
	fact_anomaly(g, "dns.name_too_long", 1);
	case_end(g, "dns_compression_loop");
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

static void (*const golden_cases[])(struct gen *) = {
	case_smtp_jpcert,
	case_smtp_starttls,
	case_smtp_on_2525,
	case_smtp_pipelining,
	case_smtp_gap,
	case_http_connect_8089,
	case_http_connect_407,
	case_http_tiny_segments,
	case_http_gap,
	case_http_gap_chunked,
	case_http_pipelined,
	case_http_on_8080,
	case_http_misc,
	case_http_edge,
	case_http_port80_not_http,
	case_dns_tcp_two_in_one,
	case_dns_udp,
	case_dns_tcp_gap,
	case_dns_compression_loop,
};

static void usage(void)
{
	fprintf(stderr, "usage: itgen golden OUTDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct gen g;
	size_t i;

	if (argc != 3 || strcmp(argv[1], "golden") != 0)
		usage();
	if (mkdir(argv[2], 0777) != 0 && errno != EEXIST)
		die("cannot create", argv[2]);
	g.outdir = argv[2];
	for (i = 0; i < sizeof(golden_cases) / sizeof(golden_cases[0]); i++)
		golden_cases[i](&g);
	return 0;
}
