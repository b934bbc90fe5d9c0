/*
 * json_test.c - the JSON writer: escaping per RFC 8259 section 7, UTF-8
 * validation per RFC 3629 section 4, numbers and timestamps.
 *
 * The hand-written formatters (integers, "%.*f", addresses, times) are
 * checked against libc (snprintf, inet_ntop, gmtime_r) on edge values and
 * on many values from a fixed-seed generator, so a run is reproducible.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sensor/json.h"
#include "testhelp.h"

static char buf[4096];

static const char *str1(const char *s, size_t n)
{
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	jw_strn(&w, NULL, s, n);
	buf[w.len] = '\0';
	return buf;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: a fixed sequence, so a failure can be replayed. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A value with a random number of significant bits: every digit count. */
static uint64_t rnd_bits(void)
{
	unsigned bits = (unsigned)(rnd() % 65);

	return bits == 0 ? 0 : rnd() >> (64 - bits);
}

/* ---------------------------------------------------------------------------
 * Integers against printf
 * ------------------------------------------------------------------------- */

static const char *u64_text(uint64_t v)
{
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	jw_u64(&w, NULL, v);
	buf[w.len] = '\0';
	return buf;
}

static const char *i64_text(int64_t v)
{
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	jw_i64(&w, NULL, v);
	buf[w.len] = '\0';
	return buf;
}

static int check_u64(uint64_t v, unsigned *bad)
{
	char want[32];

	snprintf(want, sizeof(want), "%" PRIu64, v);
	if (strcmp(u64_text(v), want)) {
		if (!(*bad)++)
			printf("u64 %s: got %s\n", want, buf);
		return 1;
	}
	return 0;
}

static int check_i64(int64_t v, unsigned *bad)
{
	char want[32];

	snprintf(want, sizeof(want), "%" PRId64, v);
	if (strcmp(i64_text(v), want)) {
		if (!(*bad)++)
			printf("i64 %s: got %s\n", want, buf);
		return 1;
	}
	return 0;
}

static void test_integers(void)
{
	unsigned bad = 0, ibad = 0;
	uint64_t p = 1;

	for (uint64_t v = 0; v <= 100000; v++)
		check_u64(v, &bad);
	/* Both sides of every power of ten and of two: digit-count edges. */
	for (int k = 0; k < 20; k++, p *= 10) {
		check_u64(p - 1, &bad);
		check_u64(p, &bad);
		check_u64(p + 1, &bad);
	}
	for (int k = 0; k < 64; k++) {
		check_u64((1ULL << k) - 1, &bad);
		check_u64(1ULL << k, &bad);
		check_u64((1ULL << k) + 1, &bad);
	}
	check_u64(UINT64_MAX, &bad);
	check_u64(UINT64_MAX - 1, &bad);
	for (int i = 0; i < 1000000; i++)
		check_u64(rnd_bits(), &bad);
	test_cond("u64 matches printf", bad == 0);

	check_i64(INT64_MIN, &ibad);
	check_i64(INT64_MIN + 1, &ibad);
	check_i64(INT64_MAX, &ibad);
	for (int64_t v = -100000; v <= 100000; v++)
		check_i64(v, &ibad);
	for (int i = 0; i < 1000000; i++)
		check_i64((int64_t)rnd_bits(), &ibad);
	test_cond("i64 matches printf", ibad == 0);
}

/* ---------------------------------------------------------------------------
 * Fixed decimals against printf "%.*f"
 * ------------------------------------------------------------------------- */

static int check_dbl(double v, int d, unsigned *bad)
{
	static char want[512];
	struct jw w;

	if (v != v || v > 1e300 || v < -1e300)
		snprintf(want, sizeof(want), "null");
	else
		snprintf(want, sizeof(want), "%.*f", d, v);
	jw_init(&w, buf, sizeof(buf));
	jw_dbl(&w, NULL, v, d);
	buf[w.overflow ? 0 : w.len] = '\0';
	if (strcmp(buf, want)) {
		if (!(*bad)++)
			printf("dbl %.17g %%.%df: got %s, want %s\n", v, d, buf,
			    want);
		return 1;
	}
	return 0;
}

/* A double from random bits over every exponent (NaN, inf included). */
static double rnd_double(void)
{
	uint64_t b = rnd();
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

static void test_doubles(void)
{
	static const double edge[] = {
		0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.125, 0.375,
		0.0625, 0.03125, 1e-3, 5e-4, -5e-4, 1e-4, -1e-4, 0.0005,
		0.0015, 0.0025, 1.0005, 2.0005, 999.9995, 9.9995, 99.9999,
		0.049999999999999996, 0.05, 0.050000000000000003,
		4503599627370495.5, 4503599627370496.0, 9007199254740991.0,
		9007199254740992.0, 9007199254740993.0, 1e15, 1e16, 1e17,
		1e18, 1e19, 1e20, 1e22, 1e23, 1e30, 1e100, 1e300, -1e300,
		1e301, -1e301, 4.9e-324, 2.2250738585072014e-308,
		2.2250738585072009e-308, 1e-300, 1e-20, 1e-17, 1e-16,
		3.4028234663852886e38, 1.1754943508222875e-38,
		0.1, 0.2, 0.3, 0.7, 1.1, 123.456, -123.456, 65535.0,
		18446744073709551615.0, 9223372036854775807.0,
	};
	unsigned bad = 0;
	double nan_v = nan(""), inf_v = HUGE_VAL;

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		for (int d = -1; d <= 20; d++)
			check_dbl(edge[i], d, &bad);
	check_dbl(nan_v, 3, &bad);
	check_dbl(inf_v, 3, &bad);
	check_dbl(-inf_v, 3, &bad);
	/* rtt_ms and duration as the output layer makes them */
	for (uint64_t us = 0; us < 200000; us++) {
		check_dbl((double)us / 1000.0, 3, &bad);
		check_dbl((double)us / 1e6, 6, &bad);
	}
	for (int i = 0; i < 300000; i++) {
		uint64_t us = rnd_bits();

		check_dbl((double)us / 1000.0, 3, &bad);
		check_dbl((double)us / 1e6, 6, &bad);
		check_dbl((double)us / 1e3, (int)(rnd() % 18), &bad);
	}
	/* Exact ties m / 2^j: printf rounds them half to even. */
	for (int i = 0; i < 300000; i++) {
		int j = 1 + (int)(rnd() % 20);
		double v = ldexp((double)(rnd() >> (11 + rnd() % 40)), -j);

		if (rnd() & 1)
			v = -v;
		check_dbl(v, (int)(rnd() % 21), &bad);
	}
	/* Random magnitudes, random bits. */
	for (int i = 0; i < 300000; i++) {
		double v = ldexp((double)(rnd() >> 11), (int)(rnd() % 140) - 120);

		check_dbl(rnd() & 1 ? -v : v, (int)(rnd() % 18), &bad);
	}
	for (int i = 0; i < 100000; i++)
		check_dbl(rnd_double(), (int)(rnd() % 18), &bad);
	test_cond("dbl matches printf %.*f", bad == 0);
}

/* ---------------------------------------------------------------------------
 * Addresses against inet_ntop
 * ------------------------------------------------------------------------- */

static int check_ip(int family, const uint8_t *a, unsigned *bad)
{
	char want[INET6_ADDRSTRLEN], got[JSON_IP_MAX + 8];
	size_t n;

	memset(got, 'x', sizeof(got));
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, want, sizeof(want));
	n = json_format_ip(family, a, got);
	if (strcmp(got, want) || n != strlen(want)) {
		if (!(*bad)++)
			printf("ip: got %s, want %s\n", got, want);
		return 1;
	}
	return 0;
}

/* A group value that stresses the hex formatter and the IPv4 forms. */
static unsigned rnd_group(void)
{
	static const unsigned special[] = {
		1, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff, 0xfffe, 0xabcd,
	};

	if (rnd() % 3 == 0)
		return special[rnd() % (sizeof(special) / sizeof(special[0]))];
	return 1 + (unsigned)(rnd() % 0xffff);
}

static void test_addresses(void)
{
	uint8_t a[16];
	unsigned bad4 = 0, bad6 = 0;
	struct jw w;

	memset(a, 0, sizeof(a));
	check_ip(4, a, &bad4);
	memset(a, 255, 4);
	check_ip(4, a, &bad4);
	for (int i = 0; i < 200000; i++) {
		uint64_t r = rnd();

		for (int k = 0; k < 4; k++)
			a[k] = (uint8_t)(r >> (8 * k));
		/* a third of the bytes small, for the 1- and 2-digit paths */
		for (int k = 0; k < 4; k++)
			if ((r >> (32 + 2 * k) & 3) == 0)
				a[k] %= 10;
		check_ip(4, a, &bad4);
	}
	test_cond("IPv4 matches inet_ntop", bad4 == 0);

	/* Every pattern of zero groups, several fillings each: all the
	 * "::" placements, ties between runs, and the IPv4 forms. */
	for (unsigned mask = 0; mask < 256; mask++) {
		for (int fill = 0; fill < 200; fill++) {
			for (int g = 0; g < 8; g++) {
				unsigned v = mask >> g & 1 ? 0 : rnd_group();

				/* ::ffff:a.b.c.d needs group 5 at 0xffff */
				if (g == 5 && v && fill % 4 == 0)
					v = 0xffff;
				a[2 * g] = (uint8_t)(v >> 8);
				a[2 * g + 1] = (uint8_t)v;
			}
			check_ip(6, a, &bad6);
		}
	}
	for (int i = 0; i < 200000; i++) {
		uint64_t r1 = rnd(), r2 = rnd(), z = rnd();

		for (int k = 0; k < 8; k++) {
			a[k] = (uint8_t)(r1 >> (8 * k));
			a[8 + k] = (uint8_t)(r2 >> (8 * k));
		}
		/* zero about half of the bytes, to make runs of zero groups */
		for (int k = 0; k < 16; k++)
			if (z >> k & 1)
				a[k] = 0;
		check_ip(6, a, &bad6);
	}
	/* ::, ::1, ::0.0.0.1 forms, ::ffff:0.0.0.0, 1:: */
	memset(a, 0, sizeof(a));
	check_ip(6, a, &bad6);
	a[15] = 1;
	check_ip(6, a, &bad6);
	a[14] = 1;
	check_ip(6, a, &bad6);
	a[13] = 1;
	check_ip(6, a, &bad6);
	memset(a, 0, sizeof(a));
	a[10] = a[11] = 0xff;
	check_ip(6, a, &bad6);
	memset(a, 0, sizeof(a));
	a[1] = 1;
	check_ip(6, a, &bad6);
	test_cond("IPv6 matches inet_ntop (RFC 5952)", bad6 == 0);

	inet_pton(AF_INET6, "2001:db8::ff00:42:8329", a);
	jw_init(&w, buf, sizeof(buf));
	jw_ip(&w, "ip", 6, a);
	buf[w.len] = '\0';
	test_cond("jw_ip", !strcmp(buf, "\"ip\":\"2001:db8::ff00:42:8329\""));
}

/* ---------------------------------------------------------------------------
 * Times against gmtime_r
 * ------------------------------------------------------------------------- */

static void test_times(void)
{
	unsigned bad = 0;
	char t[40], want[96];

	for (int i = 0; i < 300000; i++) {
		/* up to the year 9999, then past it (the long form) */
		uint64_t secs = i % 10 == 9 ? 253402300800ULL + rnd() %
		    1000000000000ULL : rnd() % 253402300800ULL;
		uint64_t us = rnd() % 1000000;
		time_t tt;
		struct tm tm;

		if (i % 3 == 0)		/* near midnight: the day cache */
			secs = secs / 86400 * 86400 + (rnd() & 1 ? 0 : 86399);
		tt = (time_t)secs;
		gmtime_r(&tt, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		snprintf(want + 20, sizeof(want) - 20, "%06uZ", (unsigned)us);
		json_format_time(secs * 1000000 + us, t, sizeof(t));
		if (strcmp(t, want)) {
			if (!bad++)
				printf("time %" PRIu64 ": got %s, want %s\n",
				    secs, t, want);
		}
	}
	test_cond("time matches gmtime_r", bad == 0);
}

/* ---------------------------------------------------------------------------
 * Escaping against a byte-at-a-time model
 * ------------------------------------------------------------------------- */

/* RFC 3629 well-formed sequence at s, written the long way. */
static size_t model_utf8(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t need;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		need = 2, cp = s[0] & 0x1fu;
	else if ((s[0] & 0xf0) == 0xe0)
		need = 3, cp = s[0] & 0x0fu;
	else if ((s[0] & 0xf8) == 0xf0)
		need = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) ||
	    (need == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return need;
}

static size_t model_escape(const unsigned char *s, size_t n, char *out)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t l;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
			i++;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			i++;
		} else if (c >= 0x20 && c < 0x80) {
			out[o++] = (char)c;
			i++;
		} else if (c >= 0x80 && (l = model_utf8(s + i, n - i))) {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		} else {
			o += (size_t)sprintf(out + o, "\\u%04x", c);
			i++;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

static void test_escaping_model(void)
{
	static const char *const pieces[] = {
		"a", "Z", "0", " ", "~", "\x7f", "\"", "\\", "\n", "\r", "\t",
		"\x01", "\x1f", "\xc3\xa9", "\xe3\x81\x82", "\xf0\x9f\x98\x80",
		"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe3\x81",
		"\xff", "/", "abcdefgh", "0123456789abcdef",
	};
	unsigned char s[200];
	char want[200 * 6 + 8];
	unsigned bad = 0;

	for (int i = 0; i < 200000; i++) {
		size_t n = 0, len = rnd() % 40;

		/* mostly plain runs of every length, to cross the 8-byte steps */
		for (size_t k = 0; k < len; k++) {
			const char *p = pieces[rnd() % 4 ? rnd() % 5 :
			    rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t pl = strlen(p);

			if (n + pl > sizeof(s))
				break;
			memcpy(s + n, p, pl);
			n += pl;
		}
		if (rnd() % 8 == 0 && n)
			s[rnd() % n] = 0;	/* NUL inside */
		model_escape(s, n, want);
		if (strcmp(str1((const char *)s, n), want)) {
			if (!bad++)
				printf("escape: got %s, want %s\n", buf, want);
		}
	}
	test_cond("escaping matches the model", bad == 0);
}

/* ---------------------------------------------------------------------------
 * Overflow: set exactly when the line does not fit, whatever the cap
 * ------------------------------------------------------------------------- */

static size_t sample_line(char *b, size_t cap, bool *overflow)
{
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t ip4[4] = { 192, 168, 1, 10 };
	static const uint8_t mac[6] = { 2, 0, 0x5e, 0x10, 0, 1 };
	struct jw w;

	jw_init(&w, b, cap);
	jw_obj_open(&w, NULL);
	jw_time(&w, "timestamp", 1704067200000000ULL + 5);
	jw_str(&w, "event_type", "modbus");
	jw_u64(&w, "event_id", 7533339566688077629ULL);
	jw_i64(&w, "neg", -42);
	jw_ip(&w, "src_ip", 4, ip4);
	jw_ip(&w, "dest_ip", 6, ip6);
	jw_mac(&w, "src_mac", mac);
	jw_strn(&w, "detail", "a\"b\\c\n\xc3\xa9\x01", 10);
	jw_dbl(&w, "rtt_ms", 0.05, 3);
	jw_dbl(&w, "big", 1e300, 0);
	jw_null(&w, "nothing");
	jw_hex(&w, "hex", mac, 6);
	jw_arr_open(&w, "values");
	jw_u64(&w, NULL, 1);
	jw_bool(&w, NULL, false);
	jw_arr_close(&w);
	jw_obj_close(&w);
	*overflow = w.overflow;
	return w.len;
}

static void test_overflow(void)
{
	static char full[2048], part[2048];
	bool of;
	size_t n = sample_line(full, sizeof(full), &of);
	unsigned bad = 0;

	test_cond("sample line fits", !of && n > 300);
	for (size_t cap = 0; cap <= n + 2; cap++) {
		size_t m = sample_line(part, cap, &of);

		/* one byte always stays free (the caller's newline) */
		if (of != (cap <= n) || (!of && (m != n || memcmp(part, full, n))))
			bad++;
		if (cap && m >= cap)
			bad++;
	}
	test_cond("overflow exactly when the line does not fit", bad == 0);
}

int main(void)
{
	struct jw w;
	char t[40];

	test_cond("plain", !strcmp(str1("abc", 3), "\"abc\""));
	test_cond("quote and backslash", !strcmp(str1("a\"b\\c", 5), "\"a\\\"b\\\\c\""));
	test_cond("newline, cr, tab", !strcmp(str1("\n\r\t", 3), "\"\\n\\r\\t\""));
	test_cond("other control", !strcmp(str1("\x01\x1f", 2), "\"\\u0001\\u001f\""));
	test_cond("nul inside", !strcmp(str1("a\0b", 3), "\"a\\u0000b\""));
	/* U+00E9 (2 bytes), U+3042 (3 bytes), U+1F600 (4 bytes) pass through */
	test_cond("valid utf-8", !strcmp(str1("\xc3\xa9\xe3\x81\x82\xf0\x9f\x98\x80", 9),
	    "\"\xc3\xa9\xe3\x81\x82\xf0\x9f\x98\x80\""));
	test_cond("lone continuation byte", !strcmp(str1("\x80", 1), "\"\\u0080\""));
	test_cond("overlong 2-byte form of '/'", !strcmp(str1("\xc0\xaf", 2), "\"\\u00c0\\u00af\""));
	test_cond("overlong 3-byte form", !strcmp(str1("\xe0\x80\xaf", 3), "\"\\u00e0\\u0080\\u00af\""));
	test_cond("surrogate U+D800", !strcmp(str1("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\""));
	test_cond("past U+10FFFF", !strcmp(str1("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\""));
	test_cond("cut sequence", !strcmp(str1("\xe3\x81", 2), "\"\\u00e3\\u0081\""));
	test_cond("long plain run, quote at the end",
	    !strcmp(str1("0123456789abcdef0123\"", 21), "\"0123456789abcdef0123\\\"\""));

	jw_init(&w, buf, sizeof(buf));
	jw_obj_open(&w, NULL);
	jw_u64(&w, "a", 0);
	jw_u64(&w, "b", 18446744073709551615ULL);
	jw_i64(&w, "c", -9223372036854775807LL - 1);
	jw_bool(&w, "d", true);
	jw_dbl(&w, "e", 1.5, 3);
	jw_arr_open(&w, "f");
	jw_u64(&w, NULL, 1);
	jw_u64(&w, NULL, 2);
	jw_arr_close(&w);
	jw_obj_open(&w, "g");
	jw_obj_close(&w);
	jw_obj_close(&w);
	buf[w.len] = '\0';
	test_cond("object layout", !strcmp(buf, "{\"a\":0,\"b\":18446744073709551615,"
	    "\"c\":-9223372036854775808,\"d\":true,\"e\":1.500,\"f\":[1,2],\"g\":{}}"));

	jw_init(&w, buf, 8);
	jw_str(&w, NULL, "0123456789");
	test_cond("overflow is flagged", w.overflow);

	/* 1704067200 = 2024-01-01T00:00:00Z; 951782400 = 2000-02-29T00:00:00Z */
	json_format_time(1704067200000000ULL + 5, t, sizeof(t));
	test_cond("time", !strcmp(t, "2024-01-01T00:00:00.000005Z"));
	json_format_time(951782400ULL * 1000000 + 999999, t, sizeof(t));
	test_cond("leap day", !strcmp(t, "2000-02-29T00:00:00.999999Z"));
	json_format_time(951782401ULL * 1000000, t, sizeof(t));
	test_cond("next second (cache refresh)", !strcmp(t, "2000-02-29T00:00:01.000000Z"));

	test_integers();
	test_doubles();
	test_addresses();
	test_times();
	test_escaping_model();
	test_overflow();
	return test_report();
}
