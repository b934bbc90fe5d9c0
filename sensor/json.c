/*
 * json.c - the JSON writer (see json.h).
 *
 * Every write works out the exact number of bytes it adds, checks the room
 * once and then stores straight into the buffer.  A write that does not fit
 * sets 'overflow' and stores nothing, and nothing is stored after that, so
 * 'overflow' is set exactly when the whole line would not have fit (one
 * byte always stays free, for the caller's newline).
 *
 * Numbers, addresses and times are formatted by hand: this is the hot path
 * of the sensor, and snprintf/inet_ntop took a third of the time of a line.
 * Each formatter is checked against libc (snprintf, inet_ntop, gmtime_r) in
 * tests/unit/json_test.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"

/* "00" "01" ... "99": two digits per table lookup. */
static const char digits2[201] =
	"00010203040506070809" "10111213141516171819"
	"20212223242526272829" "30313233343536373839"
	"40414243444546474849" "50515253545556575859"
	"60616263646566676869" "70717273747576777879"
	"80818283848586878889" "90919293949596979899";

static const char hex_digits[] = "0123456789abcdef";

void jw_init(struct jw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	w->comma = false;
}

/* ---------------------------------------------------------------------------
 * Room and raw bytes
 * ------------------------------------------------------------------------- */

/* Takes n bytes at the end of the line; NULL (overflow) if they do not fit. */
static inline char *take(struct jw *w, size_t n)
{
	char *p;

	if (w->overflow || n >= w->cap - w->len) {
		w->overflow = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static void put(struct jw *w, const char *s, size_t n)
{
	char *p = take(w, n);

	if (p)
		memcpy(p, s, n);
}

static void putc_(struct jw *w, char c)
{
	char *p = take(w, 1);

	if (p)
		*p = c;
}

/*
 * memcpy() for the few bytes of a key, without the call: two overlapping
 * copies of a fixed size cover every length from that size to twice it.
 */
static inline void copy_short(char *p, const char *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		memcpy(p, s, 8);
		memcpy(p + n - 8, s + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(p, s, 4);
		memcpy(p + n - 4, s + n - 4, 4);
	} else {
		memcpy(p, s, n);
	}
}

/*
 * Writes the separator and the key (klen bytes; NULL inside an array or at
 * the top) and takes vlen more bytes for the value: returns where the value
 * goes, or NULL on overflow.  Keys are our own constants: no escaping.
 */
static inline char *key_take(struct jw *w, const char *k, size_t klen,
    size_t vlen)
{
	size_t n = (w->comma ? 1 : 0) + (k ? klen + 3 : 0);
	char *p = take(w, n + vlen);

	if (p) {
		if (w->comma)
			*p++ = ',';
		if (k) {
			*p++ = '"';
			copy_short(p, k, klen);
			p += klen;
			*p++ = '"';
			*p++ = ':';
		}
	}
	w->comma = true;
	return p;
}

/* A string that needs no escaping (addresses, times, hex), with its quotes. */
static void put_plain(struct jw *w, const char *k, size_t klen, const char *s,
    size_t n)
{
	char *p = key_take(w, k, klen, n + 2);

	if (p) {
		*p++ = '"';
		memcpy(p, s, n);
		p[n] = '"';
	}
}

/* ---------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and code points past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/* 1 for bytes that can be copied into a JSON string as they are. */
static const uint8_t json_plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
	R16(0), R16(0),				/* 0x00-0x1f: control */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x22 '"' */
	R16(1), R16(1),
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 0x5c '\\' */
	R16(1), R16(1),
	R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

#define BYTES_1 0x0101010101010101ULL
#define BYTES_80 0x8080808080808080ULL

/*
 * Index of the first byte of s[i..n) that json_plain[] does not pass, or n.
 * Eight bytes at a time first: (x - k * BYTES_1) & ~x has the top bit of
 * some byte set iff a byte of x is below k (k <= 0x80), so a block with no
 * control byte, '"', '\\' or byte >= 0x80 is skipped whole; the table
 * decides everything else.
 */
static inline size_t plain_span(const unsigned char *s, size_t i, size_t n)
{
	while (n - i >= 8) {
		uint64_t x, q, b;

		memcpy(&x, s + i, 8);
		q = x ^ 0x22 * BYTES_1;		/* '"' becomes 0 */
		b = x ^ 0x5c * BYTES_1;		/* '\\' becomes 0 */
		if ((((x - 0x20 * BYTES_1) & ~x) | ((q - BYTES_1) & ~q) |
		    ((b - BYTES_1) & ~b) | x) & BYTES_80)
			break;
		i += 8;
	}
	while (i < n && json_plain[s[i]])
		i++;
	return i;
}

static void put_escaped(struct jw *w, const char *k, size_t klen,
    const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = plain_span(s, 0, n);

	if (i == n) {		/* nearly always: nothing to escape */
		put_plain(w, k, klen, str, n);
		return;
	}
	key_take(w, k, klen, 0);
	putc_(w, '"');
	put(w, str, i);
	while (i < n) {
		unsigned char c = s[i];
		size_t run = plain_span(s, i, n);

		/* Copy plain ASCII runs in one go. */
		if (run > i) {
			put(w, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"': put(w, "\\\"", 2); i++; continue;
		case '\\': put(w, "\\\\", 2); i++; continue;
		case '\n': put(w, "\\n", 2); i++; continue;
		case '\r': put(w, "\\r", 2); i++; continue;
		case '\t': put(w, "\\t", 2); i++; continue;
		default: break;
		}
		if (c >= 0x80) {
			size_t l = utf8_len(s + i, n - i);

			if (l) {
				put(w, (const char *)s + i, l);
				i += l;
				continue;
			}
		}
		{
			char e[6] = { '\\', 'u', '0', '0', hex_digits[c >> 4],
			    hex_digits[c & 15] };

			put(w, e, 6);
			i++;
		}
	}
	putc_(w, '"');
}

/* ---------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------- */

static const uint64_t pow10_u64[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL,
};

/* Number of decimal digits of v (1 for 0). */
static unsigned dec_len(uint64_t v)
{
	unsigned n;

	/* v | 1 has as many digits as v, and 0 has one. */
	v |= 1;
	/* 1233 / 4096 is just above log10(2): a guess from the bit length
	 * that is exact or one short. */
	n = (unsigned)(64 - __builtin_clzll(v)) * 1233 >> 12;
	return n + (v >= pow10_u64[n]);
}

/* v < 10^8 as exactly 8 digits, leading zeros kept. */
static void dec8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;

	memcpy(p, digits2 + hi / 100 * 2, 2);
	memcpy(p + 2, digits2 + hi % 100 * 2, 2);
	memcpy(p + 4, digits2 + lo / 100 * 2, 2);
	memcpy(p + 6, digits2 + lo % 100 * 2, 2);
}

/* v in decimal as exactly n = dec_len(v) digits at p. */
static inline void dec_write(char *p, uint64_t v, unsigned n)
{
	char *q = p + n;
	uint32_t u;

	/* 64-bit division only while more than 8 digits are left. */
	while (v >= 100000000) {
		q -= 8;
		dec8(q, (uint32_t)(v % 100000000));
		v /= 100000000;
	}
	u = (uint32_t)v;
	while (u >= 100) {
		q -= 2;
		memcpy(q, digits2 + u % 100 * 2, 2);
		u /= 100;
	}
	if (u >= 10)
		memcpy(q - 2, digits2 + u * 2, 2);
	else
		q[-1] = (char)('0' + u);
}

static void put_u64(struct jw *w, const char *k, size_t klen, uint64_t v)
{
	unsigned n = dec_len(v);
	char *p = key_take(w, k, klen, n);

	if (p)
		dec_write(p, v, n);
}

/*
 * "%.*f" of v with 0 <= d <= 17, for |v| < 2^53, by exact integer
 * arithmetic: v = m * 2^e, so v * 10^d = m * 5^d * 2^(e + d), rounded half
 * to even as glibc rounds an exact tie.  Returns the length written to out
 * (>= 40 bytes), or 0 when the value is outside what this handles (the
 * caller then asks snprintf).
 */
static size_t dbl_fixed(double v, int d, char *out)
{
	static const uint64_t pow5[18] = {
		1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL,
		390625ULL, 1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL,
		1220703125ULL, 6103515625ULL, 30517578125ULL,
		152587890625ULL, 762939453125ULL,
	};
	uint64_t bits, m, q;
	int e, s;
	unsigned n;
	char *p = out;

	if (d < 0 || d > 17)
		return 0;
	memcpy(&bits, &v, sizeof(bits));
	e = (int)(bits >> 52 & 0x7ff);
	m = bits & ((1ULL << 52) - 1);
	if (e == 0) {
		if (m)
			return 0;	/* subnormal */
		q = 0;
	} else {
		/* v = m * 2^e with m the 53-bit significand */
		m |= 1ULL << 52;
		e -= 1075;
		if (e >= 0 || m > UINT64_MAX / pow5[d])
			return 0;	/* |v| >= 2^53, or 64 bits too few */
		m *= pow5[d];
		s = -(e + d);		/* v * 10^d = m / 2^s */
		if (s <= 0) {
			if (-s >= 64 || m >> (63 + s))
				return 0;
			q = m << -s;
		} else if (s >= 65) {
			q = 0;		/* m < 2^64 <= 2^(s-1): below one half */
		} else if (s == 64) {
			return 0;
		} else {
			uint64_t rem = m & ((1ULL << s) - 1);
			uint64_t half = 1ULL << (s - 1);

			q = m >> s;
			if (rem > half || (rem == half && (q & 1)))
				q++;
		}
	}
	if (bits >> 63)
		*p++ = '-';	/* printf keeps the sign of -0 and of -0.0001 */
	if (d == 0) {
		n = dec_len(q);
		dec_write(p, q, n);
		return (size_t)(p + n - out);
	}
	{
		uint64_t ip = q / pow10_u64[d], fp = q % pow10_u64[d];

		n = dec_len(ip);
		dec_write(p, ip, n);
		p += n;
		*p++ = '.';
		/* d digits with leading zeros */
		memset(p, '0', (size_t)d);
		if (fp) {
			n = dec_len(fp);
			dec_write(p + d - n, fp, n);
		}
		return (size_t)(p + d - out);
	}
}

/* ---------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------- */

static char *dec_u8(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
		memcpy(p, digits2 + v * 2, 2);
		return p + 2;
	}
	if (v >= 10) {
		memcpy(p, digits2 + v * 2, 2);
		return p + 2;
	}
	*p++ = (char)('0' + v);
	return p;
}

static char *format_ip4(char *p, const uint8_t *a)
{
	p = dec_u8(p, a[0]);
	for (int i = 1; i < 4; i++) {
		*p++ = '.';
		p = dec_u8(p, a[i]);
	}
	return p;
}

/* One group in lower-case hex, no leading zeros. */
static char *hex16(char *p, unsigned v)
{
	if (v >= 0x1000)
		*p++ = hex_digits[v >> 12];
	if (v >= 0x100)
		*p++ = hex_digits[v >> 8 & 15];
	if (v >= 0x10)
		*p++ = hex_digits[v >> 4 & 15];
	*p++ = hex_digits[v & 15];
	return p;
}

/*
 * RFC 5952 section 4, as glibc's inet_ntop writes it: the longest run of
 * two or more zero groups (the first of equal runs) becomes "::", and the
 * IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) forms end
 * in a dotted quad.
 */
static char *format_ip6(char *p, const uint8_t *a)
{
	unsigned g[8];
	int best = -1, best_len = 0;
	bool sep = false;	/* a ':' goes before the next group */

	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8; i++) {
		int j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		if (j > i)
			i = j - 1;
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			*p++ = ':';
			i += best_len - 1;
			sep = false;
			continue;
		}
		if (sep)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 ||
		    (best_len == 5 && g[5] == 0xffff)))
			return format_ip4(p, a + 12);
		p = hex16(p, g[i]);
		sep = true;
	}
	return p;
}

size_t json_format_ip(int family, const uint8_t *a, char *out)
{
	char *end = family == 6 ? format_ip6(out, a) : format_ip4(out, a);

	*end = '\0';
	return (size_t)(end - out);
}

/* ---------------------------------------------------------------------------
 * Times
 * ------------------------------------------------------------------------- */

/* 10000-01-01T00:00:00Z: the date is no longer four digits from here. */
#define JSON_TIME_FAST_SECS 253402300800ULL

void json_format_time(uint64_t ts_us, char *out, size_t outlen)
{
	/* "YYYY-MM-DDT" changes once a day: keep the last one per thread. */
	static _Thread_local uint64_t last_day = UINT64_MAX;
	static _Thread_local char date[48];
	uint64_t secs = ts_us / 1000000;
	unsigned us = (unsigned)(ts_us % 1000000);
	unsigned sod;

	if (outlen < 28) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	if (secs >= JSON_TIME_FAST_SECS) {
		/* The first 20 characters of the long form, as always. */
		char b[64];
		time_t t = (time_t)secs;
		struct tm tm;

		gmtime_r(&t, &tm);
		snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		memcpy(out, b, 20);
	} else {
		if (secs / 86400 != last_day) {
			time_t t = (time_t)(secs / 86400 * 86400);
			struct tm tm;

			gmtime_r(&t, &tm);
			snprintf(date, sizeof(date), "%04d-%02d-%02dT",
			    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
			last_day = secs / 86400;
		}
		/* UTC days are 86400 s long in time_t: the rest is arithmetic. */
		sod = (unsigned)(secs % 86400);
		memcpy(out, date, 11);
		memcpy(out + 11, digits2 + sod / 3600 * 2, 2);
		out[13] = ':';
		memcpy(out + 14, digits2 + sod / 60 % 60 * 2, 2);
		out[16] = ':';
		memcpy(out + 17, digits2 + sod % 60 * 2, 2);
		out[19] = '.';
	}
	memcpy(out + 20, digits2 + us / 10000 * 2, 2);
	memcpy(out + 22, digits2 + us / 100 % 100 * 2, 2);
	memcpy(out + 24, digits2 + us % 100 * 2, 2);
	out[26] = 'Z';
	out[27] = '\0';
}

/* ---------------------------------------------------------------------------
 * The writer's entry points
 * ------------------------------------------------------------------------- */

void jwk_obj_open(struct jw *w, const char *k, size_t klen)
{
	char *p = key_take(w, k, klen, 1);

	if (p)
		*p = '{';
	w->comma = false;
}

void jw_obj_close(struct jw *w)
{
	putc_(w, '}');
	w->comma = true;
}

void jwk_arr_open(struct jw *w, const char *k, size_t klen)
{
	char *p = key_take(w, k, klen, 1);

	if (p)
		*p = '[';
	w->comma = false;
}

void jw_arr_close(struct jw *w)
{
	putc_(w, ']');
	w->comma = true;
}

void jwk_str(struct jw *w, const char *k, size_t klen, const char *s)
{
	put_escaped(w, k, klen, s ? s : "", s ? strlen(s) : 0);
}

void jwk_strn(struct jw *w, const char *k, size_t klen, const char *s,
    size_t n)
{
	put_escaped(w, k, klen, s, n);
}

void jwk_u64(struct jw *w, const char *k, size_t klen, uint64_t v)
{
	put_u64(w, k, klen, v);
}

void jwk_i64(struct jw *w, const char *k, size_t klen, int64_t v)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	unsigned n = dec_len(m);
	char *p;

	if (v >= 0) {
		put_u64(w, k, klen, m);
		return;
	}
	p = key_take(w, k, klen, n + 1);
	if (p) {
		*p = '-';
		dec_write(p + 1, m, n);
	}
}

void jwk_bool(struct jw *w, const char *k, size_t klen, bool v)
{
	char *p = key_take(w, k, klen, v ? 4 : 5);

	if (p)
		memcpy(p, v ? "true" : "false", v ? 4 : 5);
}

void jwk_null(struct jw *w, const char *k, size_t klen)
{
	char *p = key_take(w, k, klen, 4);

	if (p)
		memcpy(p, "null", 4);
}

void jwk_dbl(struct jw *w, const char *k, size_t klen, double v,
    int decimals)
{
	char b[48];
	size_t n;
	char *p;

	if (v != v || v > 1e300 || v < -1e300) {	/* NaN/inf are not JSON */
		jwk_null(w, k, klen);
		return;
	}
	n = dbl_fixed(v, decimals, b);
	if (n == 0) {
		int r = snprintf(b, sizeof(b), "%.*f", decimals, v);

		if (r < 0)
			r = 0;
		n = (size_t)r;
		if (n >= sizeof(b)) {
			/* Up to 300 digits: print straight into the line,
			 * whose spare byte takes the NUL. */
			p = key_take(w, k, klen, n);
			if (p)
				snprintf(p, n + 1, "%.*f", decimals, v);
			return;
		}
	}
	p = key_take(w, k, klen, n);
	if (p)
		memcpy(p, b, n);
}

void jwk_time(struct jw *w, const char *k, size_t klen, uint64_t ts_us)
{
	char b[40];

	json_format_time(ts_us, b, sizeof(b));
	put_plain(w, k, klen, b, 27);
}

void jwk_hex(struct jw *w, const char *k, size_t klen, const uint8_t *p,
    size_t n)
{
	char *q = key_take(w, k, klen, 2 * n + 2);

	if (!q)
		return;
	*q++ = '"';
	for (size_t i = 0; i < n; i++) {
		*q++ = hex_digits[p[i] >> 4];
		*q++ = hex_digits[p[i] & 15];
	}
	*q = '"';
}

void jwk_ip(struct jw *w, const char *k, size_t klen, int family,
    const uint8_t *a)
{
	char b[JSON_IP_MAX];
	size_t n = json_format_ip(family, a, b);

	put_plain(w, k, klen, b, n);
}

void jwk_mac(struct jw *w, const char *k, size_t klen, const uint8_t *m)
{
	char b[17];

	for (int i = 0; i < 6; i++) {
		b[i * 3] = hex_digits[m[i] >> 4];
		b[i * 3 + 1] = hex_digits[m[i] & 15];
		if (i < 5)
			b[i * 3 + 2] = ':';
	}
	put_plain(w, k, klen, b, sizeof(b));
}
