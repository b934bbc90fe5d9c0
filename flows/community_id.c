/*
 * community_id.c - Community ID flow hash, version 1.
 *
 * A string that names a flow the same way in every tool that implements
 * it (Zeek, Suricata, Wireshark, ...), so records can be joined on it.
 *
 * Hash input, all fields in network byte order (spec "Pseudo code"):
 *
 *   +--------+---------+---------+-------+-----+-------+-------+
 *   | seed 2 | saddr   | daddr   | proto | 0   | sport | dport |
 *   |        | 4 or 16 | 4 or 16 | 1     | 1   | 2     | 2     |
 *   +--------+---------+---------+-------+-----+-------+-------+
 *                                                 only for TCP, UDP,
 *                                                 SCTP, ICMP, ICMPv6
 *
 *   id = "1:" + base64(sha1(input))
 *
 * The endpoints are ordered so the smaller (address, port) pair comes
 * first, which makes both directions of a flow hash alike.  ICMP and
 * ICMPv6 use the type as the source "port"; for messages that have a
 * counterpart (echo request/reply, ...) the counterpart's type is the
 * destination port and ordering applies; other messages are one-way:
 * the code is the destination port and the endpoints are never swapped.
 *
 * Reference: corelight/community-id-spec README ("Pseudo code", "Technical
 * details") and its baseline/ data; the ICMP tables are those of
 * corelight/pycommunityid communityid/icmp.py and icmp6.py (which mirror
 * Zeek's ICMP4_counterpart/ICMP6_counterpart).
 *
 * Not handled: the spec leaves tunnels and VLANs out of the hash; so do we.
 * SHA-1 comes from libcrypto's EVP_Digest, which may allocate a digest
 * context per call: call this once per flow, not once per packet.
 */
#include <openssl/evp.h>
#include <string.h>

#include "community_id.h"

#define CID_PROTO_ICMP		1
#define CID_PROTO_TCP		6
#define CID_PROTO_UDP		17
#define CID_PROTO_ICMPV6	58
#define CID_PROTO_SCTP		132

/* "1:" + 28 base64 characters + NUL. */
#define CID_STR_LEN		31

/* Message type -> counterpart type (pycommunityid icmp.py). */
static const uint8_t cid_icmp4_pair[][2] = {
	{ 8, 0 },		/* echo -> echo reply */
	{ 0, 8 },
	{ 13, 14 },		/* timestamp -> timestamp reply */
	{ 14, 13 },
	{ 15, 16 },		/* information request -> reply */
	{ 16, 15 },
	{ 10, 9 },		/* router solicitation -> advertisement */
	{ 9, 10 },
	{ 17, 18 },		/* address mask request -> reply */
	{ 18, 17 },
};

/* Message type -> counterpart type (pycommunityid icmp6.py). */
static const uint8_t cid_icmp6_pair[][2] = {
	{ 128, 129 },		/* echo request -> echo reply */
	{ 129, 128 },
	{ 130, 131 },		/* MLD listener query -> report */
	{ 131, 130 },
	{ 133, 134 },		/* router solicitation -> advertisement */
	{ 134, 133 },
	{ 135, 136 },		/* neighbor solicitation -> advertisement */
	{ 136, 135 },
	{ 139, 140 },		/* node information query -> response */
	{ 140, 139 },
	{ 144, 145 },		/* home agent address discovery req -> reply */
	{ 145, 144 },
};

/*
 * Looks 'type' up in a counterpart table.  Returns true and sets *peer when
 * the message has a counterpart; false means a one-way message.
 */
static bool cid_icmp_counterpart(const uint8_t (*tab)[2], size_t n,
    uint16_t type, uint16_t *peer)
{
	for (size_t i = 0; i < n; i++) {
		if (tab[i][0] == type) {
			*peer = tab[i][1];
			return true;
		}
	}
	return false;
}

static void cid_put_be16(uint8_t *q, uint16_t v)
{
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

int community_id_v1(const struct flow_key *k, uint16_t seed, char *out, size_t outlen)
{
	/* seed 2 + addrs 32 + proto/pad 2 + ports 4 */
	uint8_t buf[40];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t alen = k->family == 6 ? 16 : 4;
	const uint8_t *a = k->src, *b = k->dst;
	uint16_t pa = k->sport, pb = k->dport;
	bool has_ports = false, one_way = false;
	size_t n = 0;
	int c;

	if (outlen < CID_STR_LEN) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}

	switch (k->proto) {
	case CID_PROTO_TCP:
	case CID_PROTO_UDP:
	case CID_PROTO_SCTP:
		has_ports = true;
		break;
	case CID_PROTO_ICMP:
		/* sport holds the type; dport the code (or its counterpart) */
		has_ports = true;
		one_way = !cid_icmp_counterpart(cid_icmp4_pair,
		    sizeof(cid_icmp4_pair) / sizeof(cid_icmp4_pair[0]), pa, &pb);
		break;
	case CID_PROTO_ICMPV6:
		has_ports = true;
		one_way = !cid_icmp_counterpart(cid_icmp6_pair,
		    sizeof(cid_icmp6_pair) / sizeof(cid_icmp6_pair[0]), pa, &pb);
		break;
	default:
		/* address-only protocols: the ports take no part */
		pa = pb = 0;
		break;
	}

	/* Smaller (address, port) first; one-way ICMP keeps its orientation. */
	c = memcmp(a, b, alen);
	if (!one_way && !(c < 0 || (c == 0 && pa < pb))) {
		const uint8_t *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}

	cid_put_be16(buf + n, seed);
	n += 2;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = k->proto;
	buf[n++] = 0;			/* padding, keeps 32-bit alignment */
	if (has_ports) {
		cid_put_be16(buf + n, pa);
		cid_put_be16(buf + n + 2, pb);
		n += 4;
	}

	if (EVP_Digest(buf, n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20) {
		out[0] = '\0';
		return -1;
	}
	out[0] = '1';
	out[1] = ':';
	/* 20 bytes -> 28 characters plus NUL */
	EVP_EncodeBlock((unsigned char *)out + 2, md, (int)mdlen);
	return 0;
}
