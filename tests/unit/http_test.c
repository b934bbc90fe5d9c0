/*
 * http_test.c - HTTP/1.x dissector on hand-built byte streams.
 *
 * Every case is a script of segments (direction, bytes, capture time, or a
 * gap).  Each case runs (1) as written, (2) with every segment split in two
 * at every byte offset (one offset at a time), and (3) fed one byte at a
 * time, through a harness that keeps unconsumed bytes and re-feeds them
 * prefixed to the next data, as flows/flow_table.c does.  Expected values
 * come from the bytes written here (RFC 9112 framing worked out by hand),
 * never from the dissector's own output.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissect_stub.h"
#include "testhelp.h"

extern const struct dissector http_dissector;

#define MAX_EVENTS 64

static struct ev_http evs[MAX_EVENTS];
static int nevs;
static int nother;		/* non-HTTP events (should be none) */

static void on_event(const struct ev_hdr *ev)
{
	if (ev->type != EV_HTTP) {
		nother++;
		return;
	}
	if (nevs < MAX_EVENTS)
		evs[nevs] = *(const struct ev_http *)ev;
	nevs++;
}

/* One step of a script: bytes in a direction, or a gap (gap > 0). */
struct seg {
	enum dir d;
	const char *s;		/* NUL-free text; NULL with 'gap' */
	uint32_t gap;
	uint64_t ts;
	size_t len;		/* 0: strlen(s) */
};

#define SEG(dir, str, t) { (dir), (str), 0, (t), 0 }
#define GAP(dir, n, t) { (dir), NULL, (n), (t), 0 }
#define C2S DIR_TO_SERVER
#define S2C DIR_TO_CLIENT

/* The flow layer's pending buffer, one per direction. */
struct harness {
	_Alignas(max_align_t) unsigned char state[APP_STATE_MAX];
	uint8_t pend[2][65536];
	size_t npend[2];
};

static struct harness H;

static void h_start(void)
{
	memset(&H, 0, sizeof(H));
	http_dissector.init(H.state);
	nevs = 0;
	nother = 0;
	memset(stub_anomalies, 0, sizeof(stub_anomalies));
}

static void h_feed(enum dir d, const uint8_t *p, size_t n, uint64_t ts)
{
	struct flow_ctx fc = { NULL, ts, NULL };
	static uint8_t buf[65536 * 2];
	size_t have = H.npend[d];
	struct feed_result r;

	memcpy(buf, H.pend[d], have);
	memcpy(buf + have, p, n);
	r = http_dissector.feed(H.state, &fc, d, buf, have + n);
	if (r.status != FEED_OK && r.status != FEED_NEED_MORE) {
		H.npend[d] = 0;
		return;
	}
	if (r.consumed > have + n)
		r.consumed = (uint32_t)(have + n);	/* caught by the check below */
	H.npend[d] = have + n - r.consumed;
	if (H.npend[d] > sizeof(H.pend[d]))
		H.npend[d] = sizeof(H.pend[d]);
	memmove(H.pend[d], buf + r.consumed, H.npend[d]);
}

static void h_gap(enum dir d, uint32_t n, uint64_t ts)
{
	struct flow_ctx fc = { NULL, ts, NULL };

	H.npend[d] = 0;
	http_dissector.gap(H.state, &fc, d, n);
}

static void h_end(uint64_t ts)
{
	struct flow_ctx fc = { NULL, ts, NULL };

	http_dissector.eof(H.state, &fc, DIR_TO_SERVER);
	http_dissector.eof(H.state, &fc, DIR_TO_CLIENT);
	http_dissector.close(H.state, &fc);
}

static size_t seg_len(const struct seg *s)
{
	return s->len ? s->len : (s->s ? strlen(s->s) : 0);
}

/*
 * Runs a script.  mode 0: as written; 1: segment 'si' split at 'off';
 * 2: one byte per feed.
 */
static void run(const struct seg *sc, int nseg, int mode, int si, size_t off)
{
	uint64_t last = 0;

	h_start();
	for (int i = 0; i < nseg; i++) {
		const struct seg *s = &sc[i];
		const uint8_t *p = (const uint8_t *)s->s;
		size_t n = seg_len(s);

		last = s->ts;
		if (s->gap) {
			h_gap(s->d, s->gap, s->ts);
			continue;
		}
		if (mode == 2) {
			for (size_t k = 0; k < n; k++)
				h_feed(s->d, p + k, 1, s->ts);
		} else if (mode == 1 && i == si) {
			h_feed(s->d, p, off, s->ts);
			h_feed(s->d, p + off, n - off, s->ts);
		} else {
			h_feed(s->d, p, n, s->ts);
		}
	}
	h_end(last);
}

typedef const char *(*check_fn)(void);

/* Runs all the ways; one test result per way, naming the first failure. */
static void run_all(const char *name, const struct seg *sc, int nseg,
    check_fn check)
{
	const char *why;
	char msg[700];
	bool ok = true;

	run(sc, nseg, 0, 0, 0);
	why = check();
	snprintf(msg, sizeof(msg), "%s (one feed per segment): %s", name,
	    why ? why : "");
	test_cond(msg, why == NULL);

	for (int i = 0; i < nseg && ok; i++) {
		size_t n = seg_len(&sc[i]);

		if (sc[i].gap)
			continue;
		for (size_t off = 0; off <= n && ok; off++) {
			run(sc, nseg, 1, i, off);
			why = check();
			if (why) {
				snprintf(msg, sizeof(msg),
				    "%s (segment %d split at %zu): %s", name, i,
				    off, why);
				ok = false;
			}
		}
	}
	if (ok)
		snprintf(msg, sizeof(msg), "%s (every split)", name);
	test_cond(msg, ok);

	run(sc, nseg, 2, 0, 0);
	why = check();
	snprintf(msg, sizeof(msg), "%s (byte by byte): %s", name, why ? why : "");
	test_cond(msg, why == NULL);
}

/* Helpers for checks: return a reason string on the first mismatch. */
static char why_buf[512];

#define EXPECT(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(why_buf, sizeof(why_buf), __VA_ARGS__);	\
		return why_buf;						\
	}								\
} while (0)

#define EXPECT_STR(field, want) \
	EXPECT(strcmp((field), (want)) == 0, #field " = '%.60s', want '%.60s'", \
	    (field), (want))
#define EXPECT_U(field, want) \
	EXPECT((uint64_t)(field) == (uint64_t)(want), #field " = %llu, want %llu", \
	    (unsigned long long)(field), (unsigned long long)(want))

static const char *expect_count(int n)
{
	EXPECT(nevs == n, "%d http events, want %d", nevs, n);
	EXPECT(nother == 0, "%d non-http events", nother);
	return NULL;
}

/* The i-th name in a NUL-separated list. */
static const char *hdr_name(const char *buf, uint16_t len, int i)
{
	size_t off = 0;

	for (int k = 0; off < len; k++) {
		if (k == i)
			return buf + off;
		off += strlen(buf + off) + 1;
	}
	return "";
}

static bool matched(const struct ev_http *e)
{
	return (e->flags & EV_HTTP_HAS_REQUEST) && (e->flags & EV_HTTP_HAS_RESPONSE);
}

/* ------------------------------------------------------------------------
 * Cases
 * --------------------------------------------------------------------- */

/* Keep-alive: Content-Length body, then a chunked response. */
static const struct seg keepalive[] = {
	SEG(C2S, "GET /index.html?q=1 HTTP/1.1\r\n"
	    "Host: www.example.com:8080\r\n"
	    "User-Agent: test-agent/1.0\r\n"
	    "Referer: http://ref.example/\r\n"
	    "Accept: */*\r\n"
	    "\r\n", 1000000),
	SEG(S2C, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: 12\r\n"
	    "\r\n"
	    "hello world\n", 1025000),
	SEG(C2S, "POST /submit HTTP/1.1\r\n"
	    "Host: www.example.com\r\n"
	    "Content-Length: 7\r\n"
	    "\r\n"
	    "a=1&b=2", 2000000),
	SEG(S2C, "HTTP/1.1 404 Not Found\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n"
	    "5\r\nhello\r\n0\r\n\r\n", 2003000),
};

static const char *check_keepalive(void)
{
	const char *w = expect_count(2);

	if (w)
		return w;
	EXPECT_STR(evs[0].method, "GET");
	EXPECT_STR(evs[0].url, "/index.html?q=1");
	EXPECT_STR(evs[0].hostname, "www.example.com");
	EXPECT_U(evs[0].http_port, 8080);
	EXPECT_STR(evs[0].protocol, "HTTP/1.1");
	EXPECT_STR(evs[0].user_agent, "test-agent/1.0");
	EXPECT_STR(evs[0].referer, "http://ref.example/");
	EXPECT_STR(evs[0].content_type, "text/html");
	EXPECT_U(evs[0].status, 200);
	EXPECT_U(evs[0].length, 12);
	EXPECT_U(evs[0].request_body_len, 0);
	EXPECT_U(evs[0].trans_depth, 1);
	EXPECT(evs[0].has_rtt, "no rtt");
	EXPECT_U(evs[0].rtt_us, 25000);
	EXPECT_U(evs[0].h.ts_us, 1000000);
	EXPECT(matched(&evs[0]), "first not matched");
	EXPECT_U(evs[0].n_req_hdrs, 4);
	EXPECT_STR(hdr_name(evs[0].req_hdrs, evs[0].req_hdr_len, 0), "Host");
	EXPECT_STR(hdr_name(evs[0].req_hdrs, evs[0].req_hdr_len, 3), "Accept");
	EXPECT_U(evs[0].n_resp_hdrs, 2);
	EXPECT_STR(hdr_name(evs[0].resp_hdrs, evs[0].resp_hdr_len, 1),
	    "Content-Length");
	EXPECT_U(evs[0].trunc, 0);
	EXPECT_STR(evs[1].method, "POST");
	EXPECT_STR(evs[1].url, "/submit");
	EXPECT_U(evs[1].http_port, 0);
	EXPECT_U(evs[1].request_body_len, 7);
	EXPECT_U(evs[1].status, 404);
	EXPECT_U(evs[1].length, 5);
	EXPECT(evs[1].flags & EV_HTTP_RESP_CHUNKED, "not chunked");
	EXPECT_U(evs[1].trans_depth, 2);
	EXPECT_U(evs[1].rtt_us, 3000);
	EXPECT(!(evs[1].flags & (EV_HTTP_REQ_INCOMPLETE | EV_HTTP_RESP_INCOMPLETE |
	    EV_HTTP_GAP)), "flags %x", evs[1].flags);
	EXPECT_U(stub_anomaly_total(), 0);
	return NULL;
}

/* Three pipelined requests in one segment, three responses in one. */
static const struct seg pipelined[] = {
	SEG(C2S, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /c HTTP/1.1\r\nHost: h\r\n\r\n", 10),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
	    "HTTP/1.1 301 Moved\r\nContent-Length: 2\r\n\r\nBB"
	    "HTTP/1.1 404 Nope\r\nContent-Length: 3\r\n\r\nCCC", 20),
};

static const char *check_pipelined(void)
{
	const char *w = expect_count(3);
	static const char *const urls[] = { "/a", "/b", "/c" };
	static const unsigned st[] = { 200, 301, 404 };

	if (w)
		return w;
	for (int i = 0; i < 3; i++) {
		EXPECT_STR(evs[i].url, urls[i]);
		EXPECT_U(evs[i].status, st[i]);
		EXPECT_U(evs[i].length, (unsigned)i + 1);
		EXPECT_U(evs[i].trans_depth, (unsigned)i + 1);
		EXPECT(matched(&evs[i]), "event %d not matched", i);
	}
	EXPECT_U(stub_anomaly_total(), 0);
	return NULL;
}

/* Chunked request and response with extensions and trailers (RFC 9112 7.1). */
static const struct seg chunked[] = {
	SEG(C2S, "PUT /up HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n"
	    "3;name=val\r\nabc\r\n"
	    "A\r\n0123456789\r\n"
	    "0\r\nX-Sum: 1\r\n\r\n", 10),
	SEG(S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "4;ext=1\r\nWiki\r\n"
	    "5\r\npedia\r\n"
	    "e; name=\"quoted\" \r\n in\r\n\r\nchunks.\r\n"
	    "0\r\n"
	    "Expires: never\r\n"
	    "X-Trailer: 2\r\n"
	    "\r\n", 20),
	SEG(C2S, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n", 30),
	SEG(S2C, "HTTP/1.1 204 No Content\r\n\r\n", 40),
};

static const char *check_chunked(void)
{
	const char *w = expect_count(2);

	if (w)
		return w;
	EXPECT_U(evs[0].request_body_len, 13);
	EXPECT_U(evs[0].length, 23);	/* 4 + 5 + 14 */
	EXPECT(evs[0].flags & EV_HTTP_REQ_CHUNKED, "request not chunked");
	EXPECT(evs[0].flags & EV_HTTP_RESP_CHUNKED, "response not chunked");
	EXPECT_STR(evs[1].url, "/next");
	EXPECT_U(evs[1].status, 204);
	EXPECT_U(evs[1].length, 0);
	EXPECT_U(stub_anomaly_total(), 0);
	return NULL;
}

/* Expect: 100-continue; the interim response does not end the exchange. */
static const struct seg cont100[] = {
	SEG(C2S, "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n"
	    "Expect: 100-continue\r\n\r\n", 100),
	SEG(S2C, "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n", 150),
	SEG(C2S, "0123456789", 200),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: s\r\n\r\nok", 300),
};

static const char *check_cont100(void)
{
	const char *w = expect_count(1);

	if (w)
		return w;
	EXPECT_U(evs[0].status, 200);
	EXPECT_U(evs[0].interim_status, 100);
	EXPECT_U(evs[0].request_body_len, 10);
	EXPECT_U(evs[0].length, 2);
	EXPECT_U(evs[0].rtt_us, 50);
	EXPECT_U(evs[0].n_resp_hdrs, 2);	/* the 100's header is not listed */
	EXPECT_STR(hdr_name(evs[0].resp_hdrs, evs[0].resp_hdr_len, 1), "Server");
	return NULL;
}

/* HEAD and 304: Content-Length present but no body follows. */
static const struct seg head304[] = {
	SEG(C2S, "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n", 1),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", 2),
	SEG(C2S, "GET /cached HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n", 3),
	SEG(S2C, "HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\n\r\n", 4),
	SEG(C2S, "GET /last HTTP/1.1\r\nHost: h\r\n\r\n", 5),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz", 6),
};

static const char *check_head304(void)
{
	const char *w = expect_count(3);

	if (w)
		return w;
	EXPECT_STR(evs[0].method, "HEAD");
	EXPECT_U(evs[0].length, 0);
	EXPECT_U(evs[1].status, 304);
	EXPECT_U(evs[1].length, 0);
	EXPECT_STR(evs[2].url, "/last");
	EXPECT_U(evs[2].length, 3);
	for (int i = 0; i < 3; i++)
		EXPECT(matched(&evs[i]) && !(evs[i].flags &
		    (EV_HTTP_RESP_INCOMPLETE | EV_HTTP_REQ_INCOMPLETE)),
		    "event %d flags %x", i, evs[i].flags);
	return NULL;
}

/* CONNECT to 8089, then tunnel bytes that must not be parsed. */
static const struct seg connect8089[] = {
	SEG(C2S, "CONNECT c2.example.net:8089 HTTP/1.1\r\n"
	    "Host: c2.example.net:8089\r\n"
	    "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==\r\n\r\n", 10),
	SEG(S2C, "HTTP/1.1 200 Connection established\r\n\r\n", 20),
	SEG(C2S, "GET /inside HTTP/1.1\r\nHost: x\r\n\r\n\x16\x03\x01 garbage", 30),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\x01\x02 binary", 40),
	SEG(C2S, "\x80\x81\x82\r\n\r\nPOST / HTTP/1.0\r\n\r\n", 50),
};

static const char *check_connect(void)
{
	const char *w = expect_count(1);

	if (w)
		return w;
	EXPECT_STR(evs[0].method, "CONNECT");
	EXPECT_STR(evs[0].url, "c2.example.net:8089");
	EXPECT_STR(evs[0].connect_target, "c2.example.net:8089");
	EXPECT_STR(evs[0].hostname, "c2.example.net");
	EXPECT_U(evs[0].http_port, 8089);
	EXPECT_U(evs[0].status, 200);
	EXPECT(evs[0].flags & EV_HTTP_TUNNEL, "no tunnel flag");
	EXPECT_STR(evs[0].auth_scheme, "Basic");
	EXPECT_STR(evs[0].auth_user, "user");
	EXPECT(!memmem(&evs[0], sizeof(evs[0]), "password", 8),
	    "the password is in the event");
	EXPECT(!memmem(&evs[0], sizeof(evs[0]), "dXNlcjpwYXNzd29yZA", 18),
	    "the credentials are in the event");
	EXPECT_U(stub_anomaly_total(), 0);
	return NULL;
}

/* A refused CONNECT: the connection stays HTTP. */
static const struct seg connect407[] = {
	SEG(C2S, "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 10),
	SEG(S2C, "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Content-Length: 4\r\n\r\ndeny", 20),
	SEG(C2S, "GET http://b.example:81/x HTTP/1.1\r\nHost: b.example:81\r\n\r\n", 30),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 40),
};

static const char *check_connect407(void)
{
	const char *w = expect_count(2);

	if (w)
		return w;
	EXPECT_U(evs[0].status, 407);
	EXPECT(!(evs[0].flags & EV_HTTP_TUNNEL), "tunnel after 407");
	EXPECT_U(evs[0].http_port, 443);
	EXPECT_STR(evs[1].url, "http://b.example:81/x");
	EXPECT_STR(evs[1].hostname, "b.example");
	EXPECT_U(evs[1].http_port, 81);
	EXPECT_U(evs[1].status, 200);
	return NULL;
}

/* Basic with a colon in the password; Digest keeps only its scheme. */
static const struct seg auth[] = {
	/* "test:1:34" */
	SEG(C2S, "GET / HTTP/1.0\r\nAuthorization: Basic dGVzdDoxOjM0\r\n\r\n", 1),
	SEG(S2C, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 2),
	SEG(C2S, "GET /d HTTP/1.1\r\nAuthorization: Digest username=\"bob\", "
	    "response=\"6629fae49393a05397450978507c4ef1\"\r\n\r\n", 3),
	SEG(S2C, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", 4),
};

static const char *check_auth(void)
{
	const char *w = expect_count(2);

	if (w)
		return w;
	EXPECT_STR(evs[0].auth_scheme, "Basic");
	EXPECT_STR(evs[0].auth_user, "test");
	EXPECT(!memmem(&evs[0], sizeof(evs[0]), "1:34", 4), "password kept");
	EXPECT_STR(evs[1].auth_scheme, "Digest");
	EXPECT_STR(evs[1].auth_user, "");
	EXPECT(!memmem(&evs[1], sizeof(evs[1]), "6629fae4", 8), "digest kept");
	return NULL;
}

/* A gap inside a response body only reduces what is left of it. */
static const struct seg bodygap[] = {
	SEG(C2S, "GET /file HTTP/1.1\r\nHost: h\r\n\r\n", 1),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	    "0123456789012345678901234567890", 2),		/* 31 bytes */
	GAP(S2C, 40, 3),
	SEG(S2C, "01234567890123456789012345678", 4),		/* 29 bytes */
	SEG(C2S, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n", 5),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", 6),
};

static const char *check_bodygap(void)
{
	const char *w = expect_count(2);

	if (w)
		return w;
	EXPECT_U(evs[0].length, 100);
	EXPECT(evs[0].flags & EV_HTTP_GAP, "no gap flag");
	EXPECT(!(evs[0].flags & EV_HTTP_RESP_INCOMPLETE), "incomplete");
	EXPECT_STR(evs[1].url, "/after");
	EXPECT_U(evs[1].length, 1);
	EXPECT(!(evs[1].flags & EV_HTTP_GAP), "gap leaked to the next one");
	return NULL;
}

/* A gap in the request headers: resync on the next request line. */
static const struct seg hdrgap[] = {
	SEG(C2S, "GET /lost HTTP/1.1\r\nHost: h\r\nX-Lon", 1),
	GAP(C2S, 500, 2),
	SEG(C2S, "g-header: tail\r\n\r\nGET /found HTTP/1.1\r\nHost: h2\r\n\r\n", 3),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	    "HTTP/1.1 202 OK\r\nContent-Length: 0\r\n\r\n", 4),
};

static const char *check_hdrgap(void)
{
	const char *w = expect_count(2);

	if (w)
		return w;
	EXPECT_STR(evs[0].url, "/lost");
	EXPECT(evs[0].flags & EV_HTTP_GAP, "no gap flag");
	EXPECT(evs[0].flags & EV_HTTP_REQ_INCOMPLETE, "not incomplete");
	EXPECT_U(evs[0].status, 200);
	EXPECT_STR(evs[1].url, "/found");
	EXPECT_STR(evs[1].hostname, "h2");
	EXPECT_U(evs[1].status, 202);
	return NULL;
}

/* Requests without responses are logged at close with what is known. */
static const struct seg noresp[] = {
	SEG(C2S, "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
	    "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\nhalf", 1),
};

static const char *check_noresp(void)
{
	const char *w = expect_count(2);

	if (w)
		return w;
	EXPECT_STR(evs[0].url, "/one");
	EXPECT(!matched(&evs[0]), "matched without a response");
	EXPECT(!(evs[0].flags & EV_HTTP_REQ_INCOMPLETE), "one incomplete");
	EXPECT_STR(evs[1].url, "/two");
	EXPECT_U(evs[1].request_body_len, 4);
	EXPECT(evs[1].flags & EV_HTTP_REQ_INCOMPLETE, "two not incomplete");
	return NULL;
}

/* HTTP/1.0 body delimited by the close. */
static const struct seg untilclose[] = {
	SEG(C2S, "GET /old HTTP/1.0\r\n\r\n", 1),
	SEG(S2C, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline1\r\n", 2),
	SEG(S2C, "HTTP/1.1 200 looks like a status line\r\n", 3),
};

static const char *check_untilclose(void)
{
	const char *w = expect_count(1);

	if (w)
		return w;
	EXPECT_U(evs[0].length, 7 + 39);
	EXPECT(!(evs[0].flags & EV_HTTP_RESP_INCOMPLETE), "incomplete");
	EXPECT_STR(evs[0].content_type, "text/plain");
	return NULL;
}

/* 101 Switching Protocols: the rest is not HTTP. */
static const struct seg upgrade[] = {
	SEG(C2S, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n\r\n", 1),
	SEG(S2C, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	    "\x81\x05hello", 2),
	SEG(C2S, "\x81\x85\x01\x02\x03\x04junk\r\nGET / HTTP/1.1\r\n\r\n", 3),
};

static const char *check_upgrade(void)
{
	const char *w = expect_count(1);

	if (w)
		return w;
	EXPECT_U(evs[0].status, 101);
	EXPECT(evs[0].flags & EV_HTTP_TUNNEL, "no tunnel");
	EXPECT_U(stub_anomaly_total(), 0);
	return NULL;
}

/* HTTP/0.9: no version, no headers; the answer is raw bytes to close. */
static const struct seg http09[] = {
	SEG(C2S, "GET /zeek.html\r\n", 1),
	SEG(S2C, "<html>old</html>\n", 2),
};

static const char *check_http09(void)
{
	const char *w = expect_count(1);

	if (w)
		return w;
	EXPECT_STR(evs[0].url, "/zeek.html");
	EXPECT(evs[0].flags & EV_HTTP_HTTP09, "not 0.9");
	EXPECT_U(evs[0].length, 17);
	return NULL;
}

/* An overlong header line is reported and skipped; the rest survives. */
static char longhdr_req[10000];
static struct seg longhdr[] = {
	SEG(C2S, longhdr_req, 1),
	SEG(S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2),
};

static const char *check_longhdr(void)
{
	const char *w = expect_count(1);

	if (w)
		return w;
	EXPECT_U(stub_anomalies[ANOM_APP_OVERLONG_LINE], 1);
	EXPECT_STR(evs[0].user_agent, "after");
	EXPECT_U(evs[0].n_req_hdrs, 2);	/* Host, User-Agent */
	EXPECT_U(evs[0].status, 200);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Tests outside the split harness
 * --------------------------------------------------------------------- */

static void test_probe(void)
{
	static const struct {
		const char *s;
		enum probe_result want;
	} rows[] = {
		{ "GET / HTTP/1.1\r\n", PROBE_YES },
		{ "GET /averyveryverylongpath", PROBE_YES },	/* >= 16 bytes */
		{ "GE", PROBE_MORE },
		{ "GET /", PROBE_MORE },
		{ "GET / HT", PROBE_MORE },
		{ "GET / HTTX/1.1\r\n", PROBE_NO },
		{ "OPTIONS * HTTP/1.1\r\n", PROBE_YES },
		{ "HTTP/1.1 200 OK\r\n", PROBE_YES },
		{ "HTTP/1.", PROBE_MORE },
		{ "HTTP/1.1 2x0", PROBE_NO },
		{ "H", PROBE_MORE },
		{ "FOO / HTTP/1.1\r\n", PROBE_NO },	/* unknown method */
		{ "GETX / HTTP/1.1\r\n", PROBE_NO },
		{ "get / HTTP/1.1\r\n", PROBE_NO },
		{ "SSH-2.0-OpenSSH_8.9\r\n", PROBE_NO },
		{ "220 mail.example ESMTP\r\n", PROBE_NO },
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", PROBE_NO },
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", PROBE_NO },
		{ "GET\r\n", PROBE_NO },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char msg[128];
		enum probe_result r = http_dissector.probe(
		    (const uint8_t *)rows[i].s, strlen(rows[i].s), DIR_TO_SERVER,
		    40000, 80);

		snprintf(msg, sizeof(msg), "probe '%.20s'", rows[i].s);
		test_eq_u64(msg, (unsigned)(r + 1), (unsigned)(rows[i].want + 1));
	}
}

/* Non-HTTP bytes on port 80: the probe refuses, so nothing is fed. */
static void test_garbage(void)
{
	static const uint8_t bin[64] = { 0x00, 0xff, 0x13, 0x37, 0x0a, 0x0d };

	test_cond("binary garbage refused",
	    http_dissector.probe(bin, sizeof(bin), DIR_TO_SERVER, 40000, 80) ==
	    PROBE_NO);
	test_cond("binary garbage from the server refused",
	    http_dissector.probe(bin, sizeof(bin), DIR_TO_CLIENT, 80, 40000) ==
	    PROBE_NO);
	/* Garbage after a valid exchange: one anomaly, no extra events. */
	h_start();
	h_feed(C2S, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, 1);
	h_feed(S2C, (const uint8_t *)"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	    38, 2);
	for (int i = 0; i < 20; i++)
		h_feed(C2S, bin, sizeof(bin), 3);
	h_feed(C2S, (const uint8_t *)"\r\nGET /ok HTTP/1.1\r\n\r\n", 22, 4);
	h_end(5);
	test_eq_u64("garbage: events", nevs, 2);
	test_eq_u64("garbage: one malformed anomaly",
	    stub_anomalies[ANOM_APP_MALFORMED], 1);
	test_cond("garbage: resync found /ok", nevs == 2 &&
	    strcmp(evs[1].url, "/ok") == 0);
}

/* More requests in flight than the queue holds: all logged, none mispaired. */
static void test_overflow(void)
{
	char req[2048] = "", resp[2048] = "";
	int ok = 1, unmatched_req = 0, orphan_resp = 0;

	for (int i = 1; i <= 10; i++) {
		char b[128];

		snprintf(b, sizeof(b), "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		strcat(req, b);
		snprintf(b, sizeof(b), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n",
		    200 + i);
		strcat(resp, b);
	}
	h_start();
	h_feed(C2S, (const uint8_t *)req, strlen(req), 1);
	h_feed(S2C, (const uint8_t *)resp, strlen(resp), 2);
	h_end(3);
	test_eq_u64("overflow: events (8 pairs + 2 + 2)", nevs, 12);
	test_eq_u64("overflow: one limit anomaly", stub_anomalies[ANOM_APP_TOO_MANY],
	    1);
	for (int i = 0; i < nevs && i < MAX_EVENTS; i++) {
		if (matched(&evs[i])) {
			/* /k must pair with 200 + k */
			if (atoi(evs[i].url + 1) + 200 != evs[i].status)
				ok = 0;
		} else if (evs[i].flags & EV_HTTP_HAS_REQUEST) {
			unmatched_req++;
		} else {
			orphan_resp++;
		}
	}
	test_cond("overflow: every matched pair is right", ok);
	test_eq_u64("overflow: requests logged alone", unmatched_req, 2);
	test_eq_u64("overflow: responses logged alone", orphan_resp, 2);
}

/* Records go back to the pool: more flows than the pool has records. */
static void test_pool_reuse(void)
{
	int bad = 0;

	for (int i = 0; i < 5000; i++) {
		h_start();
		h_feed(C2S, (const uint8_t *)"GET /r HTTP/1.1\r\nHost: p\r\n\r\n",
		    28, 1);
		h_end(2);
		if (nevs != 1 || (evs[0].flags & EV_HTTP_NO_RECORD) ||
		    strcmp(evs[0].hostname, "p") != 0)
			bad++;
	}
	test_eq_u64("pool: 5000 flows, every record full", bad, 0);
}

/* Header-name list cap. */
static void test_many_headers(void)
{
	char req[4096] = "GET / HTTP/1.1\r\n";

	for (int i = 0; i < 40; i++) {
		char b[64];

		snprintf(b, sizeof(b), "X-H%d: v\r\n", i);
		strcat(req, b);
	}
	strcat(req, "\r\n");
	h_start();
	h_feed(C2S, (const uint8_t *)req, strlen(req), 1);
	h_end(2);
	test_eq_u64("many headers: one event", nevs, 1);
	test_eq_u64("many headers: capped", evs[0].n_req_hdrs, EV_HTTP_MAX_HDRS);
	test_cond("many headers: truncated bit",
	    evs[0].trunc & EV_HTTP_TR_REQ_HDRS);
}

int main(void)
{
	char *p = longhdr_req;

	stub_on_event = on_event;
	p += sprintf(p, "GET /l HTTP/1.1\r\nHost: h\r\nX-Big: ");
	memset(p, 'a', 9000);
	p += 9000;
	sprintf(p, "\r\nUser-Agent: after\r\n\r\n");

	test_probe();
	test_garbage();
	run_all("keep-alive", keepalive, 4, check_keepalive);
	run_all("pipelined", pipelined, 2, check_pipelined);
	run_all("chunked", chunked, 4, check_chunked);
	run_all("100-continue", cont100, 4, check_cont100);
	run_all("HEAD/304", head304, 6, check_head304);
	run_all("CONNECT 8089", connect8089, 5, check_connect);
	run_all("CONNECT 407", connect407, 4, check_connect407);
	run_all("auth", auth, 4, check_auth);
	run_all("body gap", bodygap, 6, check_bodygap);
	run_all("header gap", hdrgap, 4, check_hdrgap);
	run_all("no response", noresp, 1, check_noresp);
	run_all("until close", untilclose, 3, check_untilclose);
	run_all("upgrade", upgrade, 3, check_upgrade);
	run_all("http/0.9", http09, 2, check_http09);
	run_all("overlong header", longhdr, 2, check_longhdr);
	test_overflow();
	test_pool_reuse();
	test_many_headers();
	return test_report();
}
