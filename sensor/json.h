/*
 * json.h - a small JSON writer into a caller-owned buffer.
 *
 * Used only by the output layer.  Keys are written in the order the caller
 * writes them, so every event type has one fixed key order.  Strings are
 * escaped; bytes that are not valid UTF-8 come out as \u00XX (the byte as
 * a Latin-1 code point), so the output is always valid JSON.  If the buffer
 * is too small, 'overflow' is set and the caller drops the line.
 */
#ifndef SPANLOG_JSON_H
#define SPANLOG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw {
	char *buf;
	size_t len, cap;
	bool overflow;
	bool comma;		/* a value was written at this level */
};

void jw_init(struct jw *w, char *buf, size_t cap);
void jw_obj_open(struct jw *w, const char *key);	/* key NULL: in array/top */
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_strn(struct jw *w, const char *key, const char *s, size_t n);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_dbl(struct jw *w, const char *key, double v, int decimals);
void jw_null(struct jw *w, const char *key);
/* "2024-01-01T00:00:00.000000Z" from microseconds since the epoch. */
void jw_time(struct jw *w, const char *key, uint64_t ts_us);
/* Lower-case hex of n bytes, as a string. */
void jw_hex(struct jw *w, const char *key, const uint8_t *p, size_t n);

/* Formats ts_us as ISO 8601 UTC with microseconds and Z; out >= 32 bytes. */
void json_format_time(uint64_t ts_us, char *out, size_t outlen);

#endif
