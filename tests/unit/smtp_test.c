/*
 * smtp_test.c - SMTP dissector on hand-built sessions.
 *
 * Every case is a script of segments (direction, bytes, or a gap).  Each
 * case runs (1) as written, (2) with every segment split in two at every
 * byte offset (one offset at a time), and (3) fed one byte at a time,
 * through a harness that keeps unconsumed bytes and feeds them again in
 * front of the next data of that direction, as flows/flow_table.c does.
 * Expected values are worked out by hand from the bytes written here
 * (RFC 5321 framing, RFC 2045/2046 MIME, RFC 2047/2231 decoding; the
 * encoded words were produced with Python's codecs), never taken from the
 * dissector's output.  Every event is also serialized with the real JSON
 * writer, and neither the event bytes nor the JSON may contain any AUTH
 * credential.
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
#include "../../sensor/json.h"
#include "../../sensor/output.h"
#include "../../dissectors/mime.h"

extern const struct dissector smtp_dissector;

#define MAX_EVENTS 8

static struct ev_smtp evs[MAX_EVENTS];
static int nevs, nother, n_norec, n_leaks, n_json_fail;
static char json_buf[1 << 20];

/* Credentials used in the AUTH cases: none may ever come out. */
static const char *const secrets[] = {
	"AHVzZXIAc2VjcmV0cGFzcw==",	/* PLAIN: \0user\0secretpass */
	"dXNlcg==",			/* LOGIN: user */
	"c2VjcmV0cGFzcw==",		/* LOGIN: secretpass */
	"secretpass",
};

static void on_event(const struct ev_hdr *ev)
{
	const struct ev_smtp *e = (const struct ev_smtp *)ev;
	struct jw w;

	if (ev->type != EV_SMTP) {
		nother++;
		return;
	}
	if (nevs < MAX_EVENTS)
		evs[nevs] = *e;
	nevs++;
	if (e->flags & EV_SMTP_NO_RECORD)
		n_norec++;
	jw_init(&w, json_buf, sizeof(json_buf));
	jw_obj_open(&w, NULL);
	json_put_smtp(&w, e);
	jw_obj_close(&w);
	if (w.overflow)
		n_json_fail++;
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		size_t l = strlen(secrets[i]);

		if (memmem(e, sizeof(*e), secrets[i], l) ||
		    memmem(json_buf, w.len, secrets[i], l))
			n_leaks++;
	}
}

/* ------------------------------------------------------------------------
 * Harness
 * --------------------------------------------------------------------- */

struct seg {
	enum dir d;
	const char *s;		/* NULL with 'gap' */
	uint32_t gap;
	size_t len;		/* 0: strlen(s) */
};

#define C(str) { DIR_TO_SERVER, (str), 0, 0 }
#define S(str) { DIR_TO_CLIENT, (str), 0, 0 }
#define GAP(dir, n) { (dir), NULL, (n), 0 }

struct harness {
	_Alignas(max_align_t) unsigned char state[APP_STATE_MAX];
	uint8_t pend[2][70000];
	size_t npend[2];
	uint64_t ts;
};

static struct harness H;

static void h_start(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	smtp_dissector.init(h->state);
	h->ts = 1000000;
}

static void h_reset_events(void)
{
	nevs = nother = n_norec = 0;
	memset(stub_anomalies, 0, sizeof(stub_anomalies));
}

static void h_feed(struct harness *h, enum dir d, const uint8_t *p, size_t n)
{
	struct flow_ctx fc = { NULL, h->ts, NULL };
	static uint8_t buf[70000 * 2];
	size_t have = h->npend[d];
	struct feed_result r;

	h->ts += 10;
	if (have + n > sizeof(buf))
		n = sizeof(buf) - have;
	memcpy(buf, h->pend[d], have);
	memcpy(buf + have, p, n);
	r = smtp_dissector.feed(h->state, &fc, d, buf, have + n);
	if (r.consumed > have + n)
		r.consumed = (uint32_t)(have + n);
	h->npend[d] = have + n - r.consumed;
	if (h->npend[d] > sizeof(h->pend[d]))
		h->npend[d] = sizeof(h->pend[d]);
	memcpy(h->pend[d], buf + r.consumed, h->npend[d]);
}

static void h_gap(struct harness *h, enum dir d, uint32_t len)
{
	struct flow_ctx fc = { NULL, h->ts, NULL };

	h->npend[d] = 0;
	smtp_dissector.gap(h->state, &fc, d, len);
}

static void h_close(struct harness *h)
{
	struct flow_ctx fc = { NULL, h->ts, NULL };

	smtp_dissector.eof(h->state, &fc, DIR_TO_SERVER);
	smtp_dissector.eof(h->state, &fc, DIR_TO_CLIENT);
	smtp_dissector.close(h->state, &fc);
}

static size_t seg_len(const struct seg *s)
{
	return s->len ? s->len : strlen(s->s);
}

/* split_seg < 0: as written; split_at == 0 with split_seg == -2: bytewise. */
static void run_script(const struct seg *sg, int nseg, int split_seg,
    size_t split_at)
{
	h_reset_events();
	h_start(&H);
	for (int i = 0; i < nseg; i++) {
		const uint8_t *p = (const uint8_t *)sg[i].s;
		size_t n;

		if (!p) {
			h_gap(&H, sg[i].d, sg[i].gap);
			continue;
		}
		n = seg_len(&sg[i]);
		if (split_seg == -2) {
			for (size_t k = 0; k < n; k++)
				h_feed(&H, sg[i].d, p + k, 1);
		} else if (i == split_seg) {
			h_feed(&H, sg[i].d, p, split_at);
			h_feed(&H, sg[i].d, p + split_at, n - split_at);
		} else {
			h_feed(&H, sg[i].d, p, n);
		}
	}
	h_close(&H);
}

/*
 * Runs a case whole, split at every offset, and byte by byte; 'check'
 * returns the number of failed expectations (printing them once).
 */
static void run_case(const char *name, const struct seg *sg, int nseg,
    int (*check)(bool verbose))
{
	int bad_splits = 0;
	char d[128];

	run_script(sg, nseg, -1, 0);
	snprintf(d, sizeof(d), "%s: whole", name);
	test_cond(d, check(true) == 0);
	for (int i = 0; i < nseg; i++) {
		if (!sg[i].s)
			continue;
		for (size_t k = 1; k < seg_len(&sg[i]); k++) {
			run_script(sg, nseg, i, k);
			if (check(false) != 0) {
				if (!bad_splits)
					printf("  %s: first bad split: segment %d at %zu\n",
					    name, i, k);
				bad_splits++;
			}
		}
	}
	snprintf(d, sizeof(d), "%s: every split", name);
	test_eq_u64(d, bad_splits, 0);
	run_script(sg, nseg, -2, 0);
	snprintf(d, sizeof(d), "%s: byte by byte", name);
	test_cond(d, check(true) == 0);
}

static int expect_fail;

#define EXPECT(verbose, cond) do {					\
	if (!(cond)) {							\
		expect_fail++;						\
		if (verbose)						\
			printf("  expectation failed at line %d: %s\n",	\
			    __LINE__, #cond);				\
	}								\
} while (0)

static bool status_is(const struct ev_smtp *e, const uint16_t *want, int n)
{
	if (e->n_status != n)
		return false;
	for (int i = 0; i < n; i++)
		if (e->status[i] != want[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * A: a full session: AUTH PLAIN, rejected RCPT, dot-stuffing, headers,
 *    the JPCERT/CC attachment name (lenient form), From mismatch
 * --------------------------------------------------------------------- */

#define JPCERT "\xe3\x80\x90\xe3\x83\x9e\xe3\x83\xab\xe7\xa7\x98\xe3\x80\x91" \
	"\xe9\xa1\xa7\xe5\xae\xa2\xe6\x83\x85\xe5\xa0\xb1\xef\xbc\x81.exe"

static const struct seg case_a[] = {
	S("220 mx.example.org ESMTP ready\r\n"),
	C("EHLO client.example.com\r\n"),
	S("250-mx.example.org\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
	    "250 8BITMIME\r\n"),
	C("AUTH PLAIN AHVzZXIAc2VjcmV0cGFzcw==\r\n"),
	S("235 2.7.0 ok\r\n"),
	C("MAIL FROM:<Bounce@Example.net> SIZE=1000\r\n"),
	S("250 ok\r\n"),
	C("RCPT TO:<alice@example.org>\r\n"),
	S("250 ok\r\n"),
	C("RCPT TO:<bob@example.org> NOTIFY=NEVER\r\n"),
	S("550 5.1.1 no such user\r\n"),
	C("DATA\r\n"),
	S("354 go ahead\r\n"),
	C("Received: from a by b;\r\n\tMon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "From: \"=?ISO-8859-1?Q?Keld_J=F8rn?=\" <ceo@example.com>\r\n"
	    "To: Alice <alice@example.org>, bob@example.org (Bob B)\r\n"
	    "Cc: team: carol@example.org, \"Dave, D.\" <dave@example.org>;\r\n"
	    "Reply-To: <reply@evil.example>\r\n"
	    "Subject: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=\r\n"
	    "Message-ID: <123@example.com>\r\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "X-Mailer: test 1.0\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"==b1\"\r\n"
	    "\r\n"
	    "--==b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "..leading dot line\r\n"
	    "--==b1\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename=\"=?Shift_JIS?B?gXmDfYOLlOmBeozai3GP7pXxgUkuZXhl=?=\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "SGVsbG8sIHdvcmxkIQ==\r\n"
	    "--==b1\r\n"
	    "Content-Disposition: attachment; filename=dots.txt\r\n"
	    "\r\n"
	    "..x\r\n"
	    "...\r\n"
	    "--==b1--\r\n"
	    ".\r\n"),
	S("250 2.0.0 queued\r\n"),
	C("QUIT\r\n"),
	S("221 bye\r\n"),
};

static int check_a(bool v)
{
	static const uint16_t st[] = { 250, 250, 550, 354, 250 };
	const struct ev_smtp *e = &evs[0];

	expect_fail = 0;
	EXPECT(v, nevs == 1 && nother == 0);
	EXPECT(v, n_leaks == 0);
	if (nevs < 1)
		return expect_fail + 1;
	EXPECT(v, !strcmp(e->helo, "client.example.com"));
	EXPECT(v, !strcmp(e->mail_from, "Bounce@Example.net"));
	EXPECT(v, e->n_rcpt == 2 && !strcmp(e->rcpt_to[0], "alice@example.org") &&
	    !strcmp(e->rcpt_to[1], "bob@example.org"));
	EXPECT(v, !strcmp(e->auth_mech, "PLAIN"));
	EXPECT(v, status_is(e, st, 5));
	EXPECT(v, !(e->flags & EV_SMTP_STARTTLS));
	EXPECT(v, e->flags & EV_SMTP_HAS_MESSAGE);
	EXPECT(v, e->trans_depth == 1);
	EXPECT(v, !strcmp(e->from.name, "Keld J\xc3\xb8rn"));
	EXPECT(v, !strcmp(e->from.address, "ceo@example.com"));
	EXPECT(v, e->flags & EV_SMTP_FROM_MISMATCH);
	EXPECT(v, e->n_to == 2 && !strcmp(e->to[0].name, "Alice") &&
	    !strcmp(e->to[0].address, "alice@example.org") &&
	    !strcmp(e->to[1].name, "Bob B") &&
	    !strcmp(e->to[1].address, "bob@example.org"));
	EXPECT(v, e->n_cc == 2 && !strcmp(e->cc[0].address, "carol@example.org") &&
	    !strcmp(e->cc[1].name, "Dave, D.") &&
	    !strcmp(e->cc[1].address, "dave@example.org"));
	EXPECT(v, (e->flags & EV_SMTP_HAS_REPLY_TO) &&
	    !strcmp(e->reply_to.address, "reply@evil.example"));
	EXPECT(v, !strcmp(e->subject, "Keld J\xc3\xb8rn Simonsen"));
	EXPECT(v, !strcmp(e->message_id, "<123@example.com>"));
	EXPECT(v, !strcmp(e->date, "Mon, 1 Jan 2024 00:00:00 +0000"));
	EXPECT(v, !strcmp(e->x_mailer, "test 1.0"));
	EXPECT(v, e->n_received == 1 &&
	    !strcmp(e->received[0], "from a by b; Mon, 1 Jan 2024 00:00:00 +0000"));
	EXPECT(v, e->n_attach == 2);
	EXPECT(v, !strcmp(e->attach[0].filename, JPCERT));
	EXPECT(v, !strcmp(e->attach[0].content_type, "application/octet-stream"));
	EXPECT(v, e->attach[0].size == 13);
	EXPECT(v, e->attach[0].flags & EV_SMTP_ATT_EXECUTABLE);
	/* ".x" CRLF "..": both lines lost their stuffing dot. */
	EXPECT(v, !strcmp(e->attach[1].filename, "dots.txt") &&
	    e->attach[1].size == 6 &&
	    !(e->attach[1].flags & EV_SMTP_ATT_EXECUTABLE));
	EXPECT(v, e->trunc == 0);
	EXPECT(v, stub_anomaly_total() == 0);
	return expect_fail;
}

/* ------------------------------------------------------------------------
 * B: AUTH LOGIN challenges; a transaction without DATA ends at QUIT
 * --------------------------------------------------------------------- */

static const struct seg case_b[] = {
	S("220 x ESMTP\r\n"),
	C("EHLO h\r\n"),
	S("250 ok\r\n"),
	C("AUTH LOGIN\r\n"),
	S("334 VXNlcm5hbWU6\r\n"),
	C("dXNlcg==\r\n"),
	S("334 UGFzc3dvcmQ6\r\n"),
	C("c2VjcmV0cGFzcw==\r\n"),
	S("235 2.7.0 Authentication successful\r\n"),
	C("MAIL FROM:<ceo@example.com>\r\n"),
	S("250 ok\r\n"),
	C("RCPT TO:<x@example.org>\r\n"),
	S("250 ok\r\n"),
	C("QUIT\r\n"),
	S("221 bye\r\n"),
};

static int check_b(bool v)
{
	static const uint16_t st[] = { 250, 250 };
	const struct ev_smtp *e = &evs[0];

	expect_fail = 0;
	EXPECT(v, nevs == 1 && n_leaks == 0);
	if (nevs < 1)
		return expect_fail + 1;
	EXPECT(v, !strcmp(e->auth_mech, "LOGIN"));
	EXPECT(v, !strcmp(e->mail_from, "ceo@example.com"));
	EXPECT(v, e->n_rcpt == 1 && !strcmp(e->rcpt_to[0], "x@example.org"));
	EXPECT(v, status_is(e, st, 2));
	EXPECT(v, !(e->flags & EV_SMTP_HAS_MESSAGE));
	return expect_fail;
}

/* ------------------------------------------------------------------------
 * C: PIPELINING, two transactions on one connection
 * --------------------------------------------------------------------- */

static const struct seg case_c[] = {
	S("220 mx ESMTP\r\n"),
	C("EHLO h\r\n"),
	S("250-mx\r\n250 PIPELINING\r\n"),
	C("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\n"
	    "RCPT TO:<c@y.example>\r\nDATA\r\n"),
	S("250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n"),
	C("Subject: one\r\n\r\nhi\r\n.\r\n"),
	S("250 queued 1\r\n"),
	C("MAIL FROM:<d@x.example>\r\nRCPT TO:<e@y.example>\r\nDATA\r\n"),
	S("250 ok\r\n250 ok\r\n354 go\r\n"),
	C("Subject: two\r\n\r\nthere\r\n.\r\nQUIT\r\n"),
	S("250 queued 2\r\n221 bye\r\n"),
};

static int check_c(bool v)
{
	static const uint16_t st1[] = { 250, 250, 550, 354, 250 };
	static const uint16_t st2[] = { 250, 250, 354, 250 };

	expect_fail = 0;
	EXPECT(v, nevs == 2);
	if (nevs < 2)
		return expect_fail + 1;
	EXPECT(v, !strcmp(evs[0].mail_from, "a@x.example") &&
	    evs[0].n_rcpt == 2 && !strcmp(evs[0].rcpt_to[1], "c@y.example"));
	EXPECT(v, status_is(&evs[0], st1, 5));
	EXPECT(v, !strcmp(evs[0].subject, "one") && evs[0].trans_depth == 1);
	EXPECT(v, !strcmp(evs[1].mail_from, "d@x.example") && evs[1].n_rcpt == 1);
	EXPECT(v, status_is(&evs[1], st2, 4));
	EXPECT(v, !strcmp(evs[1].subject, "two") && evs[1].trans_depth == 2);
	EXPECT(v, !strcmp(evs[1].helo, "h"));
	return expect_fail;
}

/* ------------------------------------------------------------------------
 * D: STARTTLS: after the 220 nothing is parsed
 * --------------------------------------------------------------------- */

static const struct seg case_d[] = {
	S("220 mx ESMTP\r\n"),
	C("EHLO h\r\n"),
	S("250-mx\r\n250 STARTTLS\r\n"),
	C("STARTTLS\r\n"),
	S("220 2.0.0 Ready to start TLS\r\n"),
	C("\x16\x03\x01\x02\x05 MAIL FROM:<evil@x.example>\r\n"
	    "RCPT TO:<a@b.example>\r\nDATA\r\n"),
	S("\x16\x03\x03 250 ok\r\n354 go\r\n"),
	C("Subject: hidden\r\n\r\n.\r\n"),
};

static int check_d(bool v)
{
	const struct ev_smtp *e = &evs[0];

	expect_fail = 0;
	EXPECT(v, nevs == 1);
	if (nevs < 1)
		return expect_fail + 1;
	EXPECT(v, e->flags & EV_SMTP_STARTTLS);
	EXPECT(v, !strcmp(e->helo, "h"));
	EXPECT(v, !e->mail_from[0] && e->n_rcpt == 0);
	EXPECT(v, !(e->flags & EV_SMTP_HAS_MESSAGE));
	return expect_fail;
}

/* ------------------------------------------------------------------------
 * E: BDAT chunks that cut a header and a boundary line
 * --------------------------------------------------------------------- */

static const char bdat_msg[] =
	"Subject: chunked hello\r\n"
	"Content-Type: multipart/mixed; boundary=zz\r\n"
	"\r\n"
	"--zz\r\n"
	"Content-Disposition: attachment; filename=\"a.pdf.exe\"\r\n"
	"\r\n"
	"abc\r\n"
	"--zz--\r\n";

static char bdat_c1[128], bdat_c2[256], bdat_c3[256];
static struct seg case_e[] = {
	S("220 mx ESMTP\r\n"),
	C("EHLO h\r\n"),
	S("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"),
	C(NULL), C(NULL), C(NULL),
	S("250 ok\r\n250 ok\r\n250 c1\r\n250 c2\r\n250 last\r\n"),
	C("QUIT\r\n"),
	S("221 bye\r\n"),
};

static void build_e(void)
{
	size_t n = strlen(bdat_msg);
	size_t cut1 = 20;		/* inside "Subject: chunked hello" */
	const char *b = strstr(bdat_msg, "--zz--");
	size_t cut2 = (size_t)(b - bdat_msg) + 3;	/* inside "--zz--" */

	snprintf(bdat_c1, sizeof(bdat_c1),
	    "MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nBDAT %zu\r\n%.*s",
	    cut1, (int)cut1, bdat_msg);
	snprintf(bdat_c2, sizeof(bdat_c2), "BDAT %zu\r\n%.*s", cut2 - cut1,
	    (int)(cut2 - cut1), bdat_msg + cut1);
	snprintf(bdat_c3, sizeof(bdat_c3), "BDAT %zu LAST\r\n%s", n - cut2,
	    bdat_msg + cut2);
	case_e[3].s = bdat_c1;
	case_e[4].s = bdat_c2;
	case_e[5].s = bdat_c3;
}

static int check_e(bool v)
{
	static const uint16_t st[] = { 250, 250, 250, 250, 250 };
	const struct ev_smtp *e = &evs[0];

	expect_fail = 0;
	EXPECT(v, nevs == 1);
	if (nevs < 1)
		return expect_fail + 1;
	EXPECT(v, e->flags & EV_SMTP_BDAT);
	EXPECT(v, !strcmp(e->subject, "chunked hello"));
	EXPECT(v, status_is(e, st, 5));
	EXPECT(v, e->n_attach == 1 && !strcmp(e->attach[0].filename, "a.pdf.exe"));
	EXPECT(v, e->attach[0].size == 3);
	EXPECT(v, (e->attach[0].flags & (EV_SMTP_ATT_EXECUTABLE |
	    EV_SMTP_ATT_DOUBLE_EXT)) == (EV_SMTP_ATT_EXECUTABLE |
	    EV_SMTP_ATT_DOUBLE_EXT));
	EXPECT(v, e->flags & EV_SMTP_DATA_DONE);
	return expect_fail;
}

/* ------------------------------------------------------------------------
 * F: client side only; nested multipart, RFC 2231 names, RLO, ISO-2022-JP
 * --------------------------------------------------------------------- */

static const struct seg case_f[] = {
	C("EHLO h\r\nMAIL FROM:<CEO@example.com>\r\nRCPT TO:<x@example.org>\r\n"
	    "DATA\r\n"),
	C("Subject: =?ISO-2022-JP?B?GyRCMnE1RCROO3FOQSRLJEQkJCRGGyhC?=\r\n"
	    "From: ceo@EXAMPLE.com\r\n"
	    "Content-Type: multipart/mixed; boundary=L1\r\n"
	    "\r\n"
	    "--L1\r\n"
	    "Content-Type: multipart/related; boundary=L2\r\n"
	    "\r\n"
	    "--L2\r\n"
	    "Content-Type: multipart/alternative; boundary=L3\r\n"
	    "\r\n"
	    "--L3\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "x\r\n"
	    "--L3\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment;\r\n"
	    "  filename*0*=UTF-8''%70%68%6F%74%6F%E2%80;\r\n"
	    "  filename*1*=%AE%67%70%6A%2E%65%78%65\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "SGVsbG8sIHdvcmxkIQ==\r\n"
	    "--L3--\r\n"
	    "--L2--\r\n"
	    "--L1\r\n"
	    "Content-Type: application/x-stuff;\r\n"
	    " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
	    " title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\";\r\n"
	    " name*=us-ascii'en'fun.txt\r\n"
	    "Content-Disposition: inline\r\n"
	    "\r\n"
	    "hello\r\n"
	    "--L1--\r\n"
	    ".\r\n"
	    "QUIT\r\n"),
};

static int check_f(bool v)
{
	const struct ev_smtp *e = &evs[0];

	expect_fail = 0;
	EXPECT(v, nevs == 1);
	if (nevs < 1)
		return expect_fail + 1;
	/* 会議の資料について */
	EXPECT(v, !strcmp(e->subject, "\xe4\xbc\x9a\xe8\xad\xb0\xe3\x81\xae"
	    "\xe8\xb3\x87\xe6\x96\x99\xe3\x81\xab\xe3\x81\xa4\xe3\x81\x84"
	    "\xe3\x81\xa6"));
	EXPECT(v, !(e->flags & EV_SMTP_FROM_MISMATCH));	/* case differs only */
	EXPECT(v, e->n_attach == 2);
	EXPECT(v, !strcmp(e->attach[0].filename, "photo\xe2\x80\xaegpj.exe"));
	EXPECT(v, !strcmp(e->attach[0].visible, "photoexe.jpg"));
	EXPECT(v, (e->attach[0].flags & (EV_SMTP_ATT_EXECUTABLE |
	    EV_SMTP_ATT_BIDI)) == (EV_SMTP_ATT_EXECUTABLE | EV_SMTP_ATT_BIDI));
	EXPECT(v, e->attach[0].size == 13);
	EXPECT(v, !strcmp(e->attach[1].filename, "fun.txt") &&
	    e->attach[1].size == 5 &&
	    !strcmp(e->attach[1].content_type, "application/x-stuff") &&
	    !(e->attach[1].flags & EV_SMTP_ATT_DISPOSITION));
	return expect_fail;
}

/* ------------------------------------------------------------------------
 * G: a gap inside the message
 * --------------------------------------------------------------------- */

static const struct seg case_g[] = {
	S("220 mx ESMTP\r\n"),
	C("HELO h\r\n"),
	S("250 ok\r\n"),
	C("MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n"),
	S("250 ok\r\n250 ok\r\n354 go\r\n"),
	C("Subject: gap\r\n\r\nline1\r\npartial li"),
	GAP(DIR_TO_SERVER, 100),
	C("ne end\r\nrest\r\n.\r\n"),
	S("250 queued\r\n"),
};

static int check_g(bool v)
{
	static const uint16_t st[] = { 250, 250, 354, 250 };
	const struct ev_smtp *e = &evs[0];

	expect_fail = 0;
	EXPECT(v, nevs == 1);
	if (nevs < 1)
		return expect_fail + 1;
	EXPECT(v, e->flags & EV_SMTP_GAP);
	EXPECT(v, !strcmp(e->subject, "gap"));
	EXPECT(v, status_is(e, st, 4));
	return expect_fail;
}

/* ------------------------------------------------------------------------
 * Floods, pool exhaustion, overlong lines, probe
 * --------------------------------------------------------------------- */

static void test_flood(void)
{
	static char buf[8192];
	size_t k = 0;

	k += (size_t)snprintf(buf + k, sizeof(buf) - k,
	    "EHLO h\r\nMAIL FROM:<a@x.example>\r\n");
	for (int i = 0; i < 40; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k,
		    "RCPT TO:<r%d@y.example>\r\n", i);
	h_reset_events();
	h_start(&H);
	h_feed(&H, DIR_TO_CLIENT, (const uint8_t *)"220 mx ESMTP\r\n", 14);
	h_feed(&H, DIR_TO_SERVER, (const uint8_t *)buf, k);
	h_close(&H);
	test_eq_u64("flood: one event", nevs, 1);
	test_eq_u64("flood: 32 rcpt kept", evs[0].n_rcpt, EV_SMTP_MAX_RCPT);
	test_eq_u64("flood: 8 dropped", evs[0].n_rcpt_dropped, 8);
	test_cond("flood: truncated", evs[0].trunc & EV_SMTP_TR_RCPT);
	test_cond("flood: last kept is r31",
	    !strcmp(evs[0].rcpt_to[31], "r31@y.example"));
	/* 42 commands awaiting replies: the queue cap (32) is reported. */
	test_eq_u64("flood: queue cap anomaly", stub_anomalies[ANOM_APP_TOO_MANY], 1);
}

static struct harness many[300];

static void test_pool(void)
{
	static const char mail[] = "MAIL FROM:<someone@x.example>\r\n";

	h_reset_events();
	for (int i = 0; i < 300; i++) {
		h_start(&many[i]);
		h_feed(&many[i], DIR_TO_SERVER, (const uint8_t *)"EHLO h\r\n", 8);
		h_feed(&many[i], DIR_TO_SERVER, (const uint8_t *)mail,
		    sizeof(mail) - 1);
	}
	test_eq_u64("pool: pool-full anomalies", stub_anomalies[ANOM_APP_TOO_MANY],
	    300 - 256);
	for (int i = 0; i < 300; i++)
		h_close(&many[i]);
	test_eq_u64("pool: every transaction emitted", nevs, 300);
	test_eq_u64("pool: reduced records", n_norec, 300 - 256);
	/* All records went back: 256 new transactions fit again. */
	h_reset_events();
	for (int i = 0; i < 256; i++) {
		h_start(&many[i]);
		h_feed(&many[i], DIR_TO_SERVER, (const uint8_t *)mail,
		    sizeof(mail) - 1);
	}
	for (int i = 0; i < 256; i++)
		h_close(&many[i]);
	test_eq_u64("pool: records returned", n_norec, 0);
	test_eq_u64("pool: no anomaly the second time",
	    stub_anomalies[ANOM_APP_TOO_MANY], 0);
}

static void test_overlong(void)
{
	static char buf[40000];
	size_t k = 0;

	h_reset_events();
	h_start(&H);
	h_feed(&H, DIR_TO_CLIENT, (const uint8_t *)"220 mx ESMTP\r\n", 14);
	k += (size_t)snprintf(buf + k, sizeof(buf) - k, "EHLO ");
	memset(buf + k, 'A', 5000);
	k += 5000;
	k += (size_t)snprintf(buf + k, sizeof(buf) - k,
	    "\r\nMAIL FROM:<a@x.example>\r\nDATA\r\n");
	h_feed(&H, DIR_TO_SERVER, (const uint8_t *)buf, k);
	test_eq_u64("overlong command: anomaly",
	    stub_anomalies[ANOM_APP_OVERLONG_LINE], 1);
	h_feed(&H, DIR_TO_CLIENT, (const uint8_t *)"500 too long\r\n250 ok\r\n354 go\r\n",
	    30);
	k = (size_t)snprintf(buf, sizeof(buf),
	    "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
	    "Content-Disposition: attachment; filename=long.txt\r\n\r\n");
	memset(buf + k, 'x', 20000);
	k += 20000;
	k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\r\n--q--\r\n.\r\n");
	/* In three uneven pieces, the long line cut twice. */
	h_feed(&H, DIR_TO_SERVER, (const uint8_t *)buf, 9000);
	h_feed(&H, DIR_TO_SERVER, (const uint8_t *)buf + 9000, 9001);
	h_feed(&H, DIR_TO_SERVER, (const uint8_t *)buf + 18001, k - 18001);
	h_feed(&H, DIR_TO_CLIENT, (const uint8_t *)"250 ok\r\n", 8);
	test_eq_u64("overlong data: event", nevs, 1);
	test_eq_u64("overlong data: one anomaly per message",
	    stub_anomalies[ANOM_APP_OVERLONG_LINE], 2);
	test_cond("overlong data: attachment size",
	    evs[0].n_attach == 1 && evs[0].attach[0].size == 20000);
	test_cond("overlong helo not kept", evs[0].helo[0] == '\0');
	h_close(&H);
	test_eq_u64("overlong: nothing more at close", nevs, 1);
}

static void test_session_only(void)
{
	static const struct seg s[] = {
		S("220 mx ESMTP\r\n"),
		C("EHLO h\r\n"),
		S("250 ok\r\n"),
		C("AUTH LOGIN\r\n"),
		S("334 VXNlcm5hbWU6\r\n"),
		C("dXNlcg==\r\n"),
		S("334 UGFzc3dvcmQ6\r\n"),
		C("c2VjcmV0cGFzcw==\r\n"),
		S("535 5.7.8 authentication failed\r\n"),
		C("QUIT\r\n"),
		S("221 bye\r\n"),
	};

	run_script(s, (int)(sizeof(s) / sizeof(s[0])), -1, 0);
	test_eq_u64("session only: one event at close", nevs, 1);
	test_cond("session only: mech, no leak",
	    !strcmp(evs[0].auth_mech, "LOGIN") && n_leaks == 0);
}

static void test_probe(void)
{
	const struct dissector *d = &smtp_dissector;

#define P(s, dir, sp, dp) d->probe((const uint8_t *)(s), strlen(s), (dir), (sp), (dp))
	test_eq_u64("probe: greeting", P("220 mx.example ESMTP Postfix\r\n",
	    DIR_TO_CLIENT, 2000, 40000), PROBE_YES);
	test_eq_u64("probe: greeting on 25", P("220 hello\r\n", DIR_TO_CLIENT,
	    25, 40000), PROBE_YES);
	test_eq_u64("probe: ftp greeting", P("220 ProFTPD Server ready\r\n",
	    DIR_TO_CLIENT, 21, 40000), PROBE_NO);
	test_eq_u64("probe: neutral greeting waits", P("220 welcome\r\n",
	    DIR_TO_CLIENT, 2000, 40000), PROBE_MORE);
	test_eq_u64("probe: partial", P("22", DIR_TO_CLIENT, 2000, 40000),
	    PROBE_MORE);
	test_eq_u64("probe: http reply", P("HTTP/1.1 200 OK\r\n", DIR_TO_CLIENT,
	    80, 40000), PROBE_NO);
	test_eq_u64("probe: ehlo", P("EHLO client\r\n", DIR_TO_SERVER, 40000,
	    2000), PROBE_YES);
	test_eq_u64("probe: helo lower case", P("helo client\r\n", DIR_TO_SERVER,
	    40000, 2000), PROBE_YES);
	test_eq_u64("probe: ehl", P("EHL", DIR_TO_SERVER, 40000, 2000),
	    PROBE_MORE);
	test_eq_u64("probe: ehlo- is not ehlo", P("EHLO-x", DIR_TO_SERVER,
	    40000, 2000), PROBE_NO);
	test_eq_u64("probe: GET", P("GET / HTTP/1.1\r\n", DIR_TO_SERVER, 40000,
	    25), PROBE_NO);
	test_eq_u64("probe: mid-stream MAIL on 25", P("MAIL FROM:<a@b>\r\n",
	    DIR_TO_SERVER, 40000, 25), PROBE_YES);
	test_eq_u64("probe: MAIL elsewhere", P("MAIL FROM:<a@b>\r\n",
	    DIR_TO_SERVER, 40000, 2000), PROBE_NO);
#undef P
}

#define NSEG(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	stub_on_event = on_event;
	run_case("A full session", case_a, NSEG(case_a), check_a);
	run_case("B auth login", case_b, NSEG(case_b), check_b);
	run_case("C pipelining", case_c, NSEG(case_c), check_c);
	run_case("D starttls", case_d, NSEG(case_d), check_d);
	build_e();
	run_case("E bdat", case_e, NSEG(case_e), check_e);
	run_case("F one side", case_f, NSEG(case_f), check_f);
	run_case("G gap", case_g, NSEG(case_g), check_g);
	test_flood();
	test_pool();
	test_overlong();
	test_session_only();
	test_probe();
	test_eq_u64("no credential in any event or JSON", n_leaks, 0);
	test_eq_u64("every event serialized", n_json_fail, 0);
	mime_thread_release();
	return test_report();
}
