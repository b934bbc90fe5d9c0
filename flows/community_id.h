/*
 * community_id.h - Community ID flow hash v1 (corelight/community-id-spec).
 */
#ifndef SPANLOG_COMMUNITY_ID_H
#define SPANLOG_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#include "flow_key.h"

/*
 * Writes "1:<base64 sha1>" (30 chars + NUL) into out (>= 32 bytes) for the
 * flow 'k' (either orientation gives the same result) with the given seed.
 * ICMP/ICMPv6 type/code are mapped per the spec (sport = type, dport = code
 * as stored by decode).  Returns 0, or -1 if out is too small.
 */
int community_id_v1(const struct flow_key *k, uint16_t seed, char *out, size_t outlen);

#endif
