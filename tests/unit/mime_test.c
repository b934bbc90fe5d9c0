/*
 * mime_test.c - dissectors/mime.c on its own: RFC 2047 encoded words,
 * RFC 2231 parameters, charset conversion, the streamed MIME parser and
 * the file-name checks.
 *
 * Expected strings come from the RFCs' own examples (RFC 2047 section 8,
 * RFC 2231 sections 3-4), from JPCERT/CC's published example, or were
 * encoded by hand / with Python's codecs (an independent implementation);
 * sizes are the lengths of the bytes the test itself encoded.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../dissectors/mime.h"
#include "testhelp.h"

static char out[4096];

static const char *words(const char *in)
{
	mime_decode_words(in, strlen(in), out, sizeof(out), NULL);
	return out;
}

static const char *param(const char *val, const char *attr)
{
	if (mime_param(val, strlen(val), attr, out, sizeof(out), NULL) != 0)
		return "(absent)";
	return out;
}

#define STR_EQ(descr, got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	test_cond(descr, strcmp(g_, w_) == 0);				\
	if (strcmp(g_, w_) != 0)					\
		printf("   got \"%s\"\n  want \"%s\"\n", g_, w_);	\
} while (0)

#define JPCERT "\xe3\x80\x90\xe3\x83\x9e\xe3\x83\xab\xe7\xa7\x98\xe3\x80\x91" \
	"\xe9\xa1\xa7\xe5\xae\xa2\xe6\x83\x85\xe5\xa0\xb1\xef\xbc\x81.exe"
	/* 【マル秘】顧客情報！.exe in UTF-8 */

static void test_rfc2047(void)
{
	/* RFC 2047 section 8, the examples. */
	STR_EQ("keith", words("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
	    "Keith Moore <moore@cs.utk.edu>");
	STR_EQ("keld", words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?="),
	    "Keld J\xc3\xb8rn Simonsen");
	STR_EQ("andre", words("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>"),
	    "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>");
	STR_EQ("two charsets, B",
	    words("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= "
	    "=?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="),
	    "If you can read this you understand the example.");
	STR_EQ("olle", words("Olle =?ISO-8859-1?Q?J=E4rnefors?="),
	    "Olle J\xc3\xa4rnefors");
	STR_EQ("(a)", words("(=?ISO-8859-1?Q?a?=)"), "(a)");
	STR_EQ("(a b)", words("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
	STR_EQ("(ab) one space", words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"),
	    "(ab)");
	STR_EQ("(ab) two spaces",
	    words("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), "(ab)");
	STR_EQ("(ab) unfolded",
	    words("(=?ISO-8859-1?Q?a?=\t    =?ISO-8859-1?Q?b?=)"), "(ab)");
	STR_EQ("(a b) underscore", words("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
	STR_EQ("(a b) charsets", words("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"),
	    "(a b)");
	/* Not encoded words: left alone. */
	STR_EQ("plain", words("plain =? text ?= here"), "plain =? text ?= here");
	STR_EQ("bad encoding", words("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
	STR_EQ("unterminated", words("=?UTF-8?B?YWJj"), "=?UTF-8?B?YWJj");

	/* JPCERT/CC: the Shift_JIS attachment name, strict and lenient. */
	STR_EQ("jpcert", words("=?Shift_JIS?B?gXmDfYOLlOmBeozai3GP7pXxgUkuZXhl?="),
	    JPCERT);
	STR_EQ("jpcert stray =",
	    words("=?Shift_JIS?B?gXmDfYOLlOmBeozai3GP7pXxgUkuZXhl=?="), JPCERT);
	/* A double-byte character split across two words (bytes joined). */
	STR_EQ("jpcert split", words("=?shift_jis?B?gXmDfYM=?= "
	    "=?SHIFT_JIS?B?i5TpgXqM2otxj+6V8YFJLmV4ZQ==?="), JPCERT);

	/* 会議の資料について, ISO-2022-JP, whole and split inside a character. */
	STR_EQ("iso-2022-jp", words("=?ISO-2022-JP?B?GyRCMnE1RCROO3FOQSRLJEQkJCRGGyhC?="),
	    "\xe4\xbc\x9a\xe8\xad\xb0\xe3\x81\xae\xe8\xb3\x87\xe6\x96\x99"
	    "\xe3\x81\xab\xe3\x81\xa4\xe3\x81\x84\xe3\x81\xa6");
	STR_EQ("iso-2022-jp split", words("=?ISO-2022-JP?B?GyRCMnE1?=\t"
	    "=?ISO-2022-JP?B?RCROO3FOQSRLJEQkJCRGGyhC?="),
	    "\xe4\xbc\x9a\xe8\xad\xb0\xe3\x81\xae\xe8\xb3\x87\xe6\x96\x99"
	    "\xe3\x81\xab\xe3\x81\xa4\xe3\x81\x84\xe3\x81\xa6");
	/* 請求書 EUC-JP; 你好世界 GB2312; Grüße € UTF-8. */
	STR_EQ("euc-jp", words("=?EUC-JP?B?wMG14b3x?="),
	    "\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8");
	STR_EQ("gb2312", words("=?gb2312?B?xOO6w8rAvec=?="),
	    "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c");
	STR_EQ("utf-8", words("=?utf-8?B?R3LDvMOfZSDigqw=?="),
	    "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
	/* Windows-1252: 0x80 euro, 0x93/0x94 curly quotes. */
	STR_EQ("windows-1252", words("=?windows-1252?Q?=80=93ok=94?="),
	    "\xe2\x82\xac\xe2\x80\x9cok\xe2\x80\x9d");
	/* Charset with an RFC 2231 language suffix. */
	STR_EQ("charset*lang", words("=?US-ASCII*EN?Q?Keith_Moore?="),
	    "Keith Moore");
	/* Invalid input in a known charset becomes U+FFFD, not a crash. */
	STR_EQ("bad sjis", words("=?Shift_JIS?Q?=81?="), "\xef\xbf\xbd");
	/* Unknown charsets keep their bytes. */
	STR_EQ("unknown charset", words("=?x-nonesuch?Q?abc?="), "abc");
}

static void test_rfc2231(void)
{
	/* RFC 2231 section 3. */
	STR_EQ("URL continuation", param("message/external-body; access-type=URL;"
	    " URL*0=\"ftp://\";"
	    " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"", "URL"),
	    "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
	STR_EQ("access-type", param("message/external-body; access-type=URL;"
	    " URL*0=\"ftp://\"", "access-type"), "URL");
	/* Section 4. */
	STR_EQ("title*", param("application/x-stuff;"
	    " title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "title"),
	    "This is ***fun***");
	/* Section 4.1. */
	STR_EQ("title*0* title*1* title*2", param("application/x-stuff;"
	    " title*0*=us-ascii'en'This%20is%20even%20more%20;"
	    " title*1*=%2A%2A%2Afun%2A%2A%2A%20;"
	    " title*2=\"isn't it!\"", "title"),
	    "This is even more ***fun*** isn't it!");
	/* The same with the pieces out of order. */
	STR_EQ("out of order", param("application/x-stuff;"
	    " title*2=\"isn't it!\"; title*1*=%2A%2A%2Afun%2A%2A%2A%20;"
	    " title*0*=us-ascii'en'This%20is%20even%20more%20", "title"),
	    "This is even more ***fun*** isn't it!");
	/* filename*= in Shift_JIS (見積書.pdf.exe) and UTF-8. */
	STR_EQ("sjis filename*", param("attachment; filename*=Shift_JIS''"
	    "%8C%A9%90%CF%8F%91%2E%70%64%66%2E%65%78%65", "filename"),
	    "\xe8\xa6\x8b\xe7\xa9\x8d\xe6\x9b\xb8.pdf.exe");
	STR_EQ("utf-8 continuation", param("attachment;\tfilename*0*=UTF-8''"
	    "%70%68%6F%74%6F%E2%80; filename*1*=%AE%67%70%6A%2E%65%78%65",
	    "filename"), "photo\xe2\x80\xae" "gpj.exe");
	/* The extended form wins over a plain one. */
	STR_EQ("ext wins", param("attachment; filename=\"fallback.txt\";"
	    " filename*=utf-8''real%20name.txt", "filename"), "real name.txt");
	/* Plain forms: quoted with escapes, token, and RFC 2047 inside. */
	STR_EQ("quoted", param("attachment; filename=\"a \\\"b\\\".txt\"",
	    "filename"), "a \"b\".txt");
	STR_EQ("token", param("text/plain; charset=us-ascii; name=x.txt", "name"),
	    "x.txt");
	STR_EQ("encoded words in quotes", param("attachment; filename="
	    "\"=?Shift_JIS?B?gXmDfYOLlOmBeozai3GP7pXxgUkuZXhl?=\"", "filename"),
	    JPCERT);
	STR_EQ("encoded words, lenient, unquoted", param("attachment; filename="
	    "=?Shift_JIS?B?gXmDfYOLlOmBeozai3GP7pXxgUkuZXhl=?=", "filename"),
	    JPCERT);
	STR_EQ("name not filename", param("attachment; name=a.txt", "filename"),
	    "(absent)");
	STR_EQ("prefix is not a match", param("attachment; filenames=a.txt",
	    "filename"), "(absent)");
	STR_EQ("quoted ';' kept", param("text/plain; x=\"a;b\"; name=c", "name"),
	    "c");
}

static void test_trunc(void)
{
	char small[8];
	bool t = false;

	/* Cut at a character boundary: "ééééé" (2 bytes each) into 8. */
	mime_to_utf8("utf-8", (const uint8_t *)"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9", 10, small, sizeof(small), &t);
	test_cond("cut flagged", t);
	test_eq_u64("cut at a character", strlen(small), 6);
	mime_decode_words("=?ISO-8859-1?Q?=E9=E9=E9=E9=E9?=", 33, small,
	    sizeof(small), &t);
	test_cond("cut flagged (words)", t);
	test_eq_u64("cut at a character (words)", strlen(small), 6);
}

/* ------------------------------------------------------------------------
 * The streamed parser
 * --------------------------------------------------------------------- */

static struct mime_part parts[32];
static int nparts;
static char hdrs[64][160];
static unsigned hdr_level[64];
static int nhdrs;

static void on_hdr(void *ctx, unsigned level, const char *name, size_t nl,
    const char *v, size_t vl, bool cut)
{
	(void)ctx;
	(void)cut;
	if (nhdrs < 64) {
		snprintf(hdrs[nhdrs], sizeof(hdrs[0]), "%.*s=%.*s", (int)nl, name,
		    (int)vl, v);
		hdr_level[nhdrs] = level;
	}
	nhdrs++;
}

static void on_part(void *ctx, const struct mime_part *p)
{
	(void)ctx;
	if (nparts < 32)
		parts[nparts] = *p;
	nparts++;
}

static const struct mime_sink sink = { on_hdr, on_part };
static struct mime_parser mp;

/* Feeds a message given as text with "\n" line ends; 'piece' > 0 cuts
 * every line into pieces of that many bytes. */
static void run(const char *msg, size_t piece)
{
	const char *s = msg;

	nparts = nhdrs = 0;
	memset(parts, 0, sizeof(parts));
	mime_init(&mp, &sink, NULL);
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s), off = 0;

		if (!piece) {
			mime_feed(&mp, (const uint8_t *)s, n, MIME_EOL);
		} else {
			do {
				size_t k = n - off < piece ? n - off : piece;

				mime_feed(&mp, (const uint8_t *)s + off, k,
				    off + k == n ? MIME_EOL : 0);
				off += k;
			} while (off < n);
		}
		s += n + (e ? 1 : 0);
	}
	mime_finish(&mp);
}

static const char nested[] =
	"From: a@example.com\n"
	"Subject: nested\n"
	" folded\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed;\n"
	"\tboundary=\"outer\"\n"
	"\n"
	"preamble, ignored\n"
	"--outer\n"
	"Content-Type: text/plain\n"
	"\n"
	"body text\n"
	"--outer\n"
	"Content-Type: multipart/alternative; boundary=inner\n"
	"\n"
	"--inner\n"
	"Content-Type: text/plain\n"
	"\n"
	"alt\n"
	"--inner\n"
	"Content-Type: application/octet-stream; name=\"hello.bin\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"SGVsbG8sIHdvcmxkIQ==\n"
	"--inner--\n"
	"inner epilogue\n"
	"--outer\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Disposition: attachment;\n"
	" filename*0*=utf-8''caf%C3%A9;\n"
	" filename*1=\".txt\"\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"caf=C3=A9 =\n"
	"au lait\n"
	"line2   \n"
	"--outer\n"
	"Content-Type: text/plain; name=plain.txt\n"
	"\n"
	"ab\n"
	"cd\n"
	"--outer--\n"
	"epilogue\n";

static void check_nested(const char *what)
{
	char d[96];

	snprintf(d, sizeof(d), "%s: three file parts", what);
	test_eq_u64(d, nparts, 3);
	snprintf(d, sizeof(d), "%s: base64 part", what);
	test_cond(d, !strcmp(parts[0].filename, "hello.bin") &&
	    !strcmp(parts[0].content_type, "application/octet-stream") &&
	    parts[0].size == 13 && parts[0].depth == 2 && !parts[0].attachment);
	/* "café au lait" CRLF "line2": 5 + 8 + 2 + 5 = 20 decoded bytes. */
	snprintf(d, sizeof(d), "%s: qp part", what);
	test_cond(d, !strcmp(parts[1].filename, "caf\xc3\xa9.txt") &&
	    parts[1].attachment && parts[1].depth == 1);
	snprintf(d, sizeof(d), "%s: qp size", what);
	test_eq_u64(d, parts[1].size, 20);
	/* "ab" CRLF "cd": the CRLF before the boundary is the boundary's. */
	snprintf(d, sizeof(d), "%s: identity size", what);
	test_cond(d, !strcmp(parts[2].filename, "plain.txt") &&
	    parts[2].size == 6);
	snprintf(d, sizeof(d), "%s: folded subject", what);
	test_cond(d, nhdrs > 1 && !strcmp(hdrs[1], "Subject=nested folded") &&
	    hdr_level[1] == 0);
	snprintf(d, sizeof(d), "%s: depth back to 0", what);
	test_eq_u64(d, mp.depth, 0);
}

static void test_parser(void)
{
	static char deep[4096];
	size_t k = 0;

	run(nested, 0);
	check_nested("whole lines");
	run(nested, 1);
	check_nested("1-byte pieces");
	run(nested, 7);
	check_nested("7-byte pieces");

	/* A part header block at level > 0 is not the message's. */
	run(nested, 0);
	{
		bool found = false;

		for (int i = 0; i < nhdrs && i < 64; i++)
			if (!strncmp(hdrs[i], "Content-Disposition=", 20))
				found = hdr_level[i] > 0;
		test_cond("part headers have level > 0", found);
	}

	/* Ten nested multiparts: the depth cap stops at MIME_MAX_DEPTH. */
	k += (size_t)snprintf(deep + k, sizeof(deep) - k,
	    "Content-Type: multipart/mixed; boundary=b0\n\n");
	for (int i = 1; i < 10; i++)
		k += (size_t)snprintf(deep + k, sizeof(deep) - k,
		    "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n",
		    i - 1, i);
	k += (size_t)snprintf(deep + k, sizeof(deep) - k,
	    "--b9\nContent-Disposition: attachment; filename=deep.txt\n\nx\n");
	for (int i = 9; i >= 0; i--)
		k += (size_t)snprintf(deep + k, sizeof(deep) - k, "--b%d--\n", i);
	run(deep, 0);
	test_cond("too deep counted", mp.too_deep > 0);
	test_cond("depth never above the cap", mp.depth <= MIME_MAX_DEPTH);

	/* A whole message that is one base64 attachment (no multipart). */
	run("Content-Type: application/pdf; name=\"r.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEy\n"
	    "MzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2Rl\n"
	    "ZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeY\n"
	    "mZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsc=\n", 0);
	test_eq_u64("single part file", nparts, 1);
	test_eq_u64("200 decoded bytes", parts[0].size, 200);

	/* Encapsulated message: its headers are level > 0, its file counted. */
	run("Subject: outer\n"
	    "Content-Type: multipart/mixed; boundary=x\n"
	    "\n"
	    "--x\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Subject: inner\n"
	    "Content-Type: multipart/mixed; boundary=y\n"
	    "\n"
	    "--y\n"
	    "Content-Disposition: attachment; filename=in.txt\n"
	    "\n"
	    "abc\n"
	    "--y--\n"
	    "--x--\n", 0);
	test_eq_u64("inner file", nparts, 1);
	test_cond("inner file name", !strcmp(parts[0].filename, "in.txt") &&
	    parts[0].size == 3);
	{
		int outer = 0, inner = 0;

		for (int i = 0; i < nhdrs && i < 64; i++) {
			if (!strcmp(hdrs[i], "Subject=outer") && hdr_level[i] == 0)
				outer++;
			if (!strcmp(hdrs[i], "Subject=inner") && hdr_level[i] > 0)
				inner++;
		}
		test_cond("outer subject level 0, inner deeper",
		    outer == 1 && inner == 1);
	}

	/* A boundary that is a prefix of another line is not a delimiter. */
	run("Content-Type: multipart/mixed; boundary=ab\n"
	    "\n"
	    "--ab\n"
	    "Content-Disposition: attachment; filename=f\n"
	    "\n"
	    "--abc\n"
	    "--ab--\n", 0);
	test_cond("--abc is content", nparts == 1 && parts[0].size == 5);

	/* A message with no blank line after its headers. */
	run("Subject: x\nthis is not a header\n", 0);
	test_cond("body without blank line", nhdrs == 1);
}

static void test_names(void)
{
	char vis[256];

	test_eq_u64("exe", mime_name_flags("setup.exe"), MIME_NAME_EXECUTABLE);
	test_eq_u64("pdf", mime_name_flags("report.pdf"), 0);
	test_eq_u64("no ext", mime_name_flags("README"), 0);
	test_eq_u64("upper, trailing dot and space",
	    mime_name_flags("SETUP.EXE. "), MIME_NAME_EXECUTABLE);
	test_eq_u64("double", mime_name_flags("invoice.pdf.exe"),
	    MIME_NAME_EXECUTABLE | MIME_NAME_DOUBLE_EXT);
	test_eq_u64("double padded", mime_name_flags("invoice.pdf        .scr"),
	    MIME_NAME_EXECUTABLE | MIME_NAME_DOUBLE_EXT);
	test_eq_u64("js", mime_name_flags("a.js"), MIME_NAME_EXECUTABLE);
	test_eq_u64("json is not js", mime_name_flags("a.json"), 0);
	test_eq_u64("lnk iso", mime_name_flags("x.lnk") & mime_name_flags("y.iso"),
	    MIME_NAME_EXECUTABLE);
	test_eq_u64("jpcert", mime_name_flags(JPCERT), MIME_NAME_EXECUTABLE);
	/* "photo<RLO>gpj.exe" shows as "photoexe.jpg". */
	test_eq_u64("rlo", mime_name_flags("photo\xe2\x80\xaegpj.exe"),
	    MIME_NAME_EXECUTABLE | MIME_NAME_BIDI);
	mime_name_visible("photo\xe2\x80\xaegpj.exe", vis, sizeof(vis));
	STR_EQ("rlo visible", vis, "photoexe.jpg");
	/* RLO ... PDF: only the run is reversed. */
	mime_name_visible("a\xe2\x80\xae" "cba\xe2\x80\xac" "d.txt", vis,
	    sizeof(vis));
	STR_EQ("rlo pdf visible", vis, "aabcd.txt");
	/* Reversal keeps multi-byte characters whole: "x<RLO>éz" -> "xzé". */
	mime_name_visible("x\xe2\x80\xae\xc3\xa9z", vis, sizeof(vis));
	STR_EQ("rlo utf-8", vis, "xz\xc3\xa9");
	/* An RLO hidden inside the extension still finds ".exe". */
	test_eq_u64("rlo inside ext", mime_name_flags("a.e\xe2\x80\xaexe"),
	    MIME_NAME_EXECUTABLE | MIME_NAME_BIDI);
}

int main(void)
{
	test_rfc2047();
	test_rfc2231();
	test_trunc();
	test_parser();
	test_names();
	mime_thread_release();
	return test_report();
}
