/*
 * flow_hash.c - the hashes of flows/flow_table.h: flow_hash64 (flow ids,
 * event ids, alert keys, baseline tables), and the symmetric hashes the
 * flow table and the offline dispatcher use.  Apart from the flow table
 * so that code which only needs a hash (ot/, the fuzz targets) does not
 * pull the table in.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "flow_table.h"

/* ------------------------------------------------------------------------
 * Hashing
 * --------------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	/* A 64-bit finalizer: every input bit affects every output bit. */
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t flow_hash64(const void *data, size_t n, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);

	while (n >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;

		memcpy(&w, p, n);
		h = mix64(h ^ w ^ ((uint64_t)n << 56));
	}
	return mix64(h);
}

uint64_t flow_key_hash_sym(const struct flow_key *k)
{
	struct flow_key c;

	if (flow_key_is_canon(k))
		return flow_hash64(k, sizeof(*k), 0);
	c = flow_key_reverse(k);
	return flow_hash64(&c, sizeof(c), 0);
}

uint64_t flow_key_hash_pair(const struct flow_key *k)
{
	uint8_t b[33];
	bool fwd = memcmp(k->src, k->dst, 16) <= 0;

	b[0] = k->family;
	memcpy(b + 1, fwd ? k->src : k->dst, 16);
	memcpy(b + 17, fwd ? k->dst : k->src, 16);
	return flow_hash64(b, sizeof(b), 0x70616972);
}
