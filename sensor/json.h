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
#include <string.h>

struct jw {
	char *buf;
	size_t len, cap;
	bool overflow;
	bool comma;		/* a value was written at this level */
};

/* Longest json_format_ip() text with its NUL (INET6_ADDRSTRLEN). */
#define JSON_IP_MAX 46

void jw_init(struct jw *w, char *buf, size_t cap);
void jw_obj_close(struct jw *w);
void jw_arr_close(struct jw *w);

/*
 * The calls that take a key.  A key is one of our constants (not escaped),
 * or NULL inside an array and at the top.  Each jw_x() is an inline wrapper
 * around jwk_x(), which takes the key length: strlen() of a literal key
 * folds to a constant, so no line pays for measuring its keys.
 */
#define JW_KEYLEN(k) ((k) ? strlen(k) : 0)

void jwk_obj_open(struct jw *w, const char *key, size_t klen);
void jwk_arr_open(struct jw *w, const char *key, size_t klen);
void jwk_str(struct jw *w, const char *key, size_t klen, const char *s);
void jwk_strn(struct jw *w, const char *key, size_t klen, const char *s,
    size_t n);
void jwk_u64(struct jw *w, const char *key, size_t klen, uint64_t v);
void jwk_i64(struct jw *w, const char *key, size_t klen, int64_t v);
void jwk_bool(struct jw *w, const char *key, size_t klen, bool v);
void jwk_dbl(struct jw *w, const char *key, size_t klen, double v,
    int decimals);
void jwk_null(struct jw *w, const char *key, size_t klen);
void jwk_time(struct jw *w, const char *key, size_t klen, uint64_t ts_us);
void jwk_hex(struct jw *w, const char *key, size_t klen, const uint8_t *p,
    size_t n);
void jwk_ip(struct jw *w, const char *key, size_t klen, int family,
    const uint8_t *a);
void jwk_mac(struct jw *w, const char *key, size_t klen, const uint8_t *m);

static inline void jw_obj_open(struct jw *w, const char *key)
{
	jwk_obj_open(w, key, JW_KEYLEN(key));
}

static inline void jw_arr_open(struct jw *w, const char *key)
{
	jwk_arr_open(w, key, JW_KEYLEN(key));
}

/* s NULL: "". */
static inline void jw_str(struct jw *w, const char *key, const char *s)
{
	jwk_str(w, key, JW_KEYLEN(key), s);
}

static inline void jw_strn(struct jw *w, const char *key, const char *s,
    size_t n)
{
	jwk_strn(w, key, JW_KEYLEN(key), s, n);
}

static inline void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jwk_u64(w, key, JW_KEYLEN(key), v);
}

static inline void jw_i64(struct jw *w, const char *key, int64_t v)
{
	jwk_i64(w, key, JW_KEYLEN(key), v);
}

static inline void jw_bool(struct jw *w, const char *key, bool v)
{
	jwk_bool(w, key, JW_KEYLEN(key), v);
}

/* printf "%.*f"; NaN and infinities (not JSON) come out as null. */
static inline void jw_dbl(struct jw *w, const char *key, double v,
    int decimals)
{
	jwk_dbl(w, key, JW_KEYLEN(key), v, decimals);
}

static inline void jw_null(struct jw *w, const char *key)
{
	jwk_null(w, key, JW_KEYLEN(key));
}

/* "2024-01-01T00:00:00.000000Z" from microseconds since the epoch. */
static inline void jw_time(struct jw *w, const char *key, uint64_t ts_us)
{
	jwk_time(w, key, JW_KEYLEN(key), ts_us);
}

/* Lower-case hex of n bytes, as a string. */
static inline void jw_hex(struct jw *w, const char *key, const uint8_t *p,
    size_t n)
{
	jwk_hex(w, key, JW_KEYLEN(key), p, n);
}

/* An address as a string: json_format_ip() text. */
static inline void jw_ip(struct jw *w, const char *key, int family,
    const uint8_t *a)
{
	jwk_ip(w, key, JW_KEYLEN(key), family, a);
}

/* "02:00:5e:10:00:01" from 6 bytes. */
static inline void jw_mac(struct jw *w, const char *key, const uint8_t *m)
{
	jwk_mac(w, key, JW_KEYLEN(key), m);
}

/* Formats ts_us as ISO 8601 UTC with microseconds and Z; out >= 32 bytes. */
void json_format_time(uint64_t ts_us, char *out, size_t outlen);

/*
 * Family 6: the 16 bytes at a as inet_ntop(AF_INET6) writes them (RFC 5952);
 * any other family: the 4 bytes at a as a dotted quad.  out holds at least
 * JSON_IP_MAX bytes; returns the length, without the NUL it writes.
 */
size_t json_format_ip(int family, const uint8_t *a, char *out);

#endif
