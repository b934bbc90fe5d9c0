/*
 * rd.h - bounds-checked cursor over borrowed packet bytes.
 *
 * Every read of bytes that came from the wire or a pcap goes through here.
 * A failed read sets the sticky 'short_read' flag and returns 0; callers check
 * the flag once per logical unit (a header, a PDU, an object) instead of after
 * every field.  The cursor never owns the bytes it walks.
 */
#ifndef SPANLOG_RD_H
#define SPANLOG_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t left;
	bool short_read;	/* sticky: once set, every read returns 0 */
};

static inline struct rd rd_init(const uint8_t *p, size_t n)
{
	struct rd r = { p, n, false };

	return r;
}

/* Claims n bytes; on failure marks the cursor short and claims nothing. */
static inline bool rd_take(struct rd *r, size_t n)
{
	if (r->short_read || r->left < n) {
		r->short_read = true;
		return false;
	}
	r->left -= n;
	return true;
}

static inline uint8_t rd_u8(struct rd *r)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, 1))
		return 0;
	r->p += 1;
	return q[0];
}

static inline uint16_t rd_be16(struct rd *r)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, 2))
		return 0;
	r->p += 2;
	return (uint16_t)(q[0] << 8 | q[1]);
}

static inline uint16_t rd_le16(struct rd *r)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, 2))
		return 0;
	r->p += 2;
	return (uint16_t)(q[1] << 8 | q[0]);
}

static inline uint32_t rd_be24(struct rd *r)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, 3))
		return 0;
	r->p += 3;
	return (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2];
}

static inline uint32_t rd_le24(struct rd *r)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, 3))
		return 0;
	r->p += 3;
	return (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
}

static inline uint32_t rd_be32(struct rd *r)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, 4))
		return 0;
	r->p += 4;
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | q[3];
}

static inline uint32_t rd_le32(struct rd *r)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, 4))
		return 0;
	r->p += 4;
	return (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 |
	    (uint32_t)q[1] << 8 | q[0];
}

/* Little-endian 48-bit unsigned (DNP3 absolute time, ms since 1970). */
static inline uint64_t rd_le48(struct rd *r)
{
	const uint8_t *q = r->p;
	uint64_t v = 0;

	if (!rd_take(r, 6))
		return 0;
	r->p += 6;
	for (int i = 5; i >= 0; i--)
		v = v << 8 | q[i];
	return v;
}

static inline bool rd_skip(struct rd *r, size_t n)
{
	if (!rd_take(r, n))
		return false;
	r->p += n;
	return true;
}

/* Copies n bytes into dst; on a short read dst is left zeroed. */
static inline bool rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, n)) {
		memset(dst, 0, n);
		return false;
	}
	r->p += n;
	memcpy(dst, q, n);
	return true;
}

/*
 * A child cursor over exactly the next n bytes (for length-prefixed parts).
 * The parent moves past them.  If fewer than n remain, both are short.
 */
static inline struct rd rd_sub(struct rd *r, size_t n)
{
	struct rd c = { r->p, n, false };

	if (!rd_take(r, n)) {
		c.left = 0;
		c.short_read = true;
		return c;
	}
	r->p += n;
	return c;
}

/* Borrows a pointer to the next n bytes and moves past them; NULL if short. */
static inline const uint8_t *rd_ptr(struct rd *r, size_t n)
{
	const uint8_t *q = r->p;

	if (!rd_take(r, n))
		return NULL;
	r->p += n;
	return q;
}

#endif
