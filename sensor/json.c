/*
 * json.c - the JSON writer (see json.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"

void jw_init(struct jw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	w->comma = false;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->overflow || w->len + n >= w->cap) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void putc_(struct jw *w, char c)
{
	if (w->overflow || w->len + 1 >= w->cap) {
		w->overflow = true;
		return;
	}
	w->buf[w->len++] = c;
}

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

static void put_escaped(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	putc_(w, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t run = i;

		/* Copy plain ASCII runs in one go. */
		while (run < n && json_plain[s[run]])
			run++;
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
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			put(w, e, 6);
			i++;
		}
	}
	putc_(w, '"');
}

static void key(struct jw *w, const char *k)
{
	if (w->comma)
		putc_(w, ',');
	w->comma = true;
	if (k) {
		/* Keys are our own constants: no escaping needed. */
		size_t n = strlen(k);

		putc_(w, '"');
		put(w, k, n);
		put(w, "\":", 2);
	}
}

void jw_obj_open(struct jw *w, const char *k)
{
	key(w, k);
	putc_(w, '{');
	w->comma = false;
}

void jw_obj_close(struct jw *w)
{
	putc_(w, '}');
	w->comma = true;
}

void jw_arr_open(struct jw *w, const char *k)
{
	key(w, k);
	putc_(w, '[');
	w->comma = false;
}

void jw_arr_close(struct jw *w)
{
	putc_(w, ']');
	w->comma = true;
}

void jw_str(struct jw *w, const char *k, const char *s)
{
	key(w, k);
	put_escaped(w, s ? s : "", s ? strlen(s) : 0);
}

void jw_strn(struct jw *w, const char *k, const char *s, size_t n)
{
	key(w, k);
	put_escaped(w, s, n);
}

/* Decimal digits of v, right-aligned in b[0..24); returns the first index. */
static size_t u64_digits(uint64_t v, char b[24])
{
	size_t i = 24;

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return i;
}

void jw_u64(struct jw *w, const char *k, uint64_t v)
{
	char b[24];
	size_t i = u64_digits(v, b);

	key(w, k);
	put(w, b + i, 24 - i);
}

void jw_i64(struct jw *w, const char *k, int64_t v)
{
	char b[24];
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t i = u64_digits(m, b);

	if (v < 0)
		b[--i] = '-';
	key(w, k);
	put(w, b + i, 24 - i);
}

void jw_bool(struct jw *w, const char *k, bool v)
{
	key(w, k);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w, const char *k)
{
	key(w, k);
	put(w, "null", 4);
}

void jw_dbl(struct jw *w, const char *k, double v, int decimals)
{
	char b[48];
	int n;

	if (v != v || v > 1e300 || v < -1e300) {	/* NaN/inf are not JSON */
		jw_null(w, k);
		return;
	}
	n = snprintf(b, sizeof(b), "%.*f", decimals, v);
	key(w, k);
	put(w, b, (size_t)n);
}

void json_format_time(uint64_t ts_us, char *out, size_t outlen)
{
	/* The date part changes once a second: keep the last one per thread. */
	static _Thread_local uint64_t last_secs = UINT64_MAX;
	static _Thread_local char last[64];
	uint64_t secs = ts_us / 1000000;
	unsigned us = (unsigned)(ts_us % 1000000);

	if (outlen < 28) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	if (secs != last_secs) {
		time_t t = (time_t)secs;
		struct tm tm;

		gmtime_r(&t, &tm);
		snprintf(last, sizeof(last), "%04d-%02d-%02dT%02d:%02d:%02d.",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		last_secs = secs;
	}
	memcpy(out, last, 20);
	for (int i = 25; i >= 20; i--) {
		out[i] = (char)('0' + us % 10);
		us /= 10;
	}
	out[26] = 'Z';
	out[27] = '\0';
}

void jw_time(struct jw *w, const char *k, uint64_t ts_us)
{
	char b[40];

	json_format_time(ts_us, b, sizeof(b));
	jw_str(w, k, b);
}

void jw_hex(struct jw *w, const char *k, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	key(w, k);
	putc_(w, '"');
	for (size_t i = 0; i < n; i++) {
		char b[2] = { hex[p[i] >> 4], hex[p[i] & 15] };

		put(w, b, 2);
	}
	putc_(w, '"');
}
