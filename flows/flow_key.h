/*
 * flow_key.h - the identity of a flow: VLAN tags, IP protocol, addresses
 * and ports.  Plain bytes, no pointers, so it can be copied into events.
 *
 * IPv4 addresses are stored in the first 4 bytes of the 16-byte arrays with
 * the rest zero.  A key "as seen" has src = sender of a packet; a flow's
 * canonical key (flow_key_canon) orders the endpoints so both directions of
 * one conversation produce the same key.
 */
#ifndef SPANLOG_FLOW_KEY_H
#define SPANLOG_FLOW_KEY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FLOW_MAX_VLAN 2

struct flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint16_t vlan[FLOW_MAX_VLAN];	/* outer first; 0 = absent */
	uint8_t nvlan;
	uint8_t family;			/* 4 or 6 */
	uint8_t proto;			/* IPPROTO_* */
	uint8_t pad;			/* always 0, so keys compare with memcmp */
};

_Static_assert(sizeof(struct flow_key) == 44, "flow_key must have no hidden padding");

static inline int flow_addr_len(const struct flow_key *k)
{
	return k->family == 6 ? 16 : 4;
}

static inline bool flow_key_eq(const struct flow_key *a, const struct flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The same key with the endpoints swapped. */
static inline struct flow_key flow_key_reverse(const struct flow_key *k)
{
	struct flow_key r = *k;

	memcpy(r.src, k->dst, 16);
	memcpy(r.dst, k->src, 16);
	r.sport = k->dport;
	r.dport = k->sport;
	return r;
}

/*
 * Returns true when (src, sport) orders before or equal to (dst, dport):
 * the canonical orientation.
 */
static inline bool flow_key_is_canon(const struct flow_key *k)
{
	int c = memcmp(k->src, k->dst, 16);

	return c < 0 || (c == 0 && k->sport <= k->dport);
}

#endif
