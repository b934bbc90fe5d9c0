/*
 * decode.c - link, IP and transport header decoding.
 *
 *   +-----------------------------+
 *   | Ethernet / SLL / SLL2 / raw |  802.1Q, 802.1ad, QinQ (two tags kept)
 *   +-----------------------------+
 *   | IPv4 | IPv6 (+ext headers)  |  fragments handed to ipfrag
 *   +-----------------------------+
 *   | TCP | UDP | ICMP | ICMPv6   |  other protocols: address-only flows
 *   +-----------------------------+
 *
 * References: IEEE 802.1Q; RFC 791 (IPv4), RFC 8200 (IPv6, 4.1 extension
 * header order), RFC 9293 (TCP 3.1), RFC 768 (UDP); Linux cooked capture
 * formats from pcap-linktype(7) (LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2).
 *
 * Not handled: MPLS, PPPoE, GRE/VXLAN tunnels (their flows are reported as
 * the outer protocol), more than two VLAN tags (anomaly), AH/ESP payloads.
 */
#include <string.h>

#include "../dissectors/rd.h"
#include "decode.h"

#define ETH_P_IPV4	0x0800
#define ETH_P_IPV6	0x86dd
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define ETH_P_QINQ_OLD	0x9100

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_AH_	51
#define IPPROTO_ICMPV6_	58
#define IPPROTO_NONE_	59
#define IPPROTO_DSTOPTS_	60
#define IPPROTO_MH_	135

bool decode_link_supported(int linktype)
{
	switch (linktype) {
	case LINK_NULL: case LINK_EN10MB: case LINK_RAW: case LINK_RAW_ALT:
	case LINK_LOOP: case LINK_LINUX_SLL: case LINK_IPV4: case LINK_IPV6:
	case LINK_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

/*
 * ICMP "ports", as Zeek and the Community ID spec (section "ICMP") define
 * them: the type goes in the source port; for messages that have a
 * counterpart (echo request/reply, ...) the counterpart's type goes in the
 * destination port, so a request and its reply map to one flow; otherwise
 * the code does.
 */
static const uint8_t icmp4_pair[][2] = {
	{ 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 }, { 15, 16 }, { 16, 15 },
	{ 10, 9 }, { 9, 10 }, { 17, 18 }, { 18, 17 },
};
static const uint8_t icmp6_pair[][2] = {
	{ 128, 129 }, { 129, 128 }, { 133, 134 }, { 134, 133 }, { 135, 136 },
	{ 136, 135 }, { 130, 131 }, { 131, 130 }, { 139, 140 }, { 140, 139 },
	{ 144, 145 }, { 145, 144 },
};

static void icmp_ports(struct pkt *p)
{
	const uint8_t (*t)[2] = p->key.family == 6 ? icmp6_pair : icmp4_pair;
	size_t n = p->key.family == 6 ?
	    sizeof(icmp6_pair) / sizeof(icmp6_pair[0]) :
	    sizeof(icmp4_pair) / sizeof(icmp4_pair[0]);

	p->key.sport = p->icmp_type;
	p->key.dport = p->icmp_code;
	for (size_t i = 0; i < n; i++) {
		if (t[i][0] == p->icmp_type) {
			p->key.dport = t[i][1];
			break;
		}
	}
}

/* Decodes the transport header at p->l4 (already bounded). */
static enum decode_result decode_l4(struct pkt *p, uint32_t l4_wire_len,
    enum anomaly_code *anom)
{
	struct rd r = rd_init(p->l4, p->l4_len);
	uint32_t hl;

	switch (p->key.proto) {
	case IPPROTO_TCP_:
		p->key.sport = rd_be16(&r);
		p->key.dport = rd_be16(&r);
		p->seq = rd_be32(&r);
		p->ack = rd_be32(&r);
		hl = (uint32_t)(rd_u8(&r) >> 4) * 4;
		p->tcp_flags = rd_u8(&r);
		p->win = rd_be16(&r);
		if (r.short_read) {
			*anom = ANOM_DECODE_TCP_TRUNCATED;
			return DECODE_ERROR;
		}
		if (hl < 20 || hl > l4_wire_len) {
			*anom = ANOM_DECODE_TCP_BAD_OFFSET;
			return DECODE_ERROR;
		}
		/* Options may be cut by the snaplen: payload starts after them anyway. */
		p->payload = p->l4 + (hl < p->l4_len ? hl : p->l4_len);
		p->payload_len = hl < p->l4_len ? p->l4_len - hl : 0;
		p->payload_wire_len = l4_wire_len - hl;
		return DECODE_OK;
	case IPPROTO_UDP_: {
		uint16_t ulen;

		p->key.sport = rd_be16(&r);
		p->key.dport = rd_be16(&r);
		ulen = rd_be16(&r);
		if (r.short_read) {
			*anom = ANOM_DECODE_UDP_TRUNCATED;
			return DECODE_ERROR;
		}
		/* ulen 0 is legal for IPv6 jumbograms only; trust IP then. */
		if (ulen != 0 && (ulen < 8 || ulen > l4_wire_len)) {
			*anom = ANOM_DECODE_UDP_BAD_LEN;
			return DECODE_ERROR;
		}
		if (ulen == 0)
			ulen = (uint16_t)(l4_wire_len > 0xffff ? 0xffff : l4_wire_len);
		p->payload = p->l4 + 8;
		p->payload_wire_len = ulen - 8u;
		p->payload_len = p->l4_len - 8 < p->payload_wire_len ?
		    p->l4_len - 8 : p->payload_wire_len;
		return DECODE_OK;
	}
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		p->icmp_type = rd_u8(&r);
		p->icmp_code = rd_u8(&r);
		if (r.short_read) {
			*anom = ANOM_DECODE_ICMP_TRUNCATED;
			return DECODE_ERROR;
		}
		icmp_ports(p);
		p->payload = p->l4 + (p->l4_len >= 4 ? 4 : p->l4_len);
		p->payload_len = p->l4_len >= 4 ? p->l4_len - 4 : 0;
		p->payload_wire_len = l4_wire_len >= 4 ? l4_wire_len - 4 : 0;
		return DECODE_OK;
	default:
		p->payload = p->l4;
		p->payload_len = p->l4_len;
		p->payload_wire_len = l4_wire_len;
		return DECODE_OK;
	}
}

static enum decode_result decode_ipv4(const uint8_t *l3, uint32_t len,
    struct pkt *p, enum anomaly_code *anom)
{
	struct rd r = rd_init(l3, len);
	uint8_t vihl = rd_u8(&r);
	uint16_t total, id, frag;
	uint32_t ihl;

	rd_skip(&r, 1);			/* DSCP/ECN */
	total = rd_be16(&r);
	id = rd_be16(&r);
	frag = rd_be16(&r);
	rd_skip(&r, 1);			/* TTL */
	p->key.proto = rd_u8(&r);
	rd_skip(&r, 2);			/* checksum: not verified (offload) */
	rd_copy(&r, p->key.src, 4);
	rd_copy(&r, p->key.dst, 4);
	if (r.short_read) {
		*anom = ANOM_DECODE_IPV4_TRUNCATED;
		return DECODE_ERROR;
	}
	if (vihl >> 4 != 4) {
		*anom = ANOM_DECODE_IPV4_BAD_VERSION;
		return DECODE_ERROR;
	}
	ihl = (uint32_t)(vihl & 0x0f) * 4;
	if (ihl < 20) {
		*anom = ANOM_DECODE_IPV4_BAD_IHL;
		return DECODE_ERROR;
	}
	/*
	 * total == 0 appears with TSO on the capturing host: trust the
	 * captured length then.  Otherwise the header must fit in it.
	 */
	if (total == 0)
		total = (uint16_t)(len > 0xffff ? 0xffff : len);
	if (total < ihl) {
		*anom = ANOM_DECODE_IPV4_BAD_LEN;
		return DECODE_ERROR;
	}
	if (ihl > len) {
		*anom = ANOM_DECODE_IPV4_TRUNCATED;
		return DECODE_ERROR;
	}
	p->key.family = 4;
	p->l3 = l3;
	p->l3_len = len < total ? len : total;
	p->ip_total_len = total;
	p->ip_hdr_len = (uint16_t)ihl;
	p->frag_id = id;
	p->frag_off = (uint32_t)(frag & 0x1fff) * 8;
	p->frag_more = (frag & 0x2000) != 0;
	p->l4 = l3 + ihl;
	p->l4_len = p->l3_len - ihl;
	if (p->frag_more || p->frag_off) {
		p->is_frag = true;
		p->payload = p->l4;
		p->payload_len = p->l4_len;
		p->payload_wire_len = total - ihl;
		return DECODE_FRAGMENT;
	}
	return decode_l4(p, total - ihl, anom);
}

static enum decode_result decode_ipv6(const uint8_t *l3, uint32_t len,
    struct pkt *p, enum anomaly_code *anom)
{
	struct rd r = rd_init(l3, len);
	uint32_t vtcfl = rd_be32(&r);
	uint16_t plen = rd_be16(&r);
	uint8_t nh = rd_u8(&r);
	uint32_t off = 40, total;

	rd_skip(&r, 1);			/* hop limit */
	rd_copy(&r, p->key.src, 16);
	rd_copy(&r, p->key.dst, 16);
	if (r.short_read) {
		*anom = ANOM_DECODE_IPV6_TRUNCATED;
		return DECODE_ERROR;
	}
	if (vtcfl >> 28 != 6) {
		*anom = ANOM_DECODE_IPV4_BAD_VERSION;
		return DECODE_ERROR;
	}
	total = 40u + plen;
	if (plen == 0)			/* jumbogram or TSO: trust the capture */
		total = len;
	p->key.family = 6;
	p->l3 = l3;
	p->l3_len = len < total ? len : total;
	p->ip_total_len = total;

	/* Walk extension headers; each must fit in what was captured. */
	for (int hops = 0; hops < 16; hops++) {
		struct rd e = rd_init(l3 + (off < p->l3_len ? off : p->l3_len),
		    off < p->l3_len ? p->l3_len - off : 0);
		uint8_t next, hlen;

		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_MH_:
			next = rd_u8(&e);
			hlen = rd_u8(&e);
			if (e.short_read || off + (hlen + 1u) * 8 > total) {
				*anom = ANOM_DECODE_IPV6_BAD_EXTHDR;
				return DECODE_ERROR;
			}
			nh = next;
			off += (hlen + 1u) * 8;
			continue;
		case IPPROTO_AH_:
			next = rd_u8(&e);
			hlen = rd_u8(&e);
			if (e.short_read || off + (hlen + 2u) * 4 > total) {
				*anom = ANOM_DECODE_IPV6_BAD_EXTHDR;
				return DECODE_ERROR;
			}
			nh = next;
			off += (hlen + 2u) * 4;
			continue;
		case IPPROTO_FRAGMENT_: {
			uint16_t fo;

			next = rd_u8(&e);
			rd_skip(&e, 1);
			fo = rd_be16(&e);
			p->frag_id = rd_be32(&e);
			if (e.short_read || off + 8 > total) {
				*anom = ANOM_DECODE_IPV6_BAD_EXTHDR;
				return DECODE_ERROR;
			}
			p->frag_off = (uint32_t)(fo >> 3) * 8;
			p->frag_more = (fo & 1) != 0;
			/* An atomic fragment (RFC 6946) is a whole datagram. */
			if (p->frag_off == 0 && !p->frag_more) {
				nh = next;
				off += 8;
				continue;
			}
			p->is_frag = true;
			p->frag_hdr_off = (uint16_t)off;
			p->frag_nexthdr = next;
			p->key.proto = next;
			p->ip_hdr_len = (uint16_t)(off + 8);
			p->l4 = l3 + (off + 8 < p->l3_len ? off + 8 : p->l3_len);
			p->l4_len = off + 8 < p->l3_len ? p->l3_len - off - 8 : 0;
			p->payload = p->l4;
			p->payload_len = p->l4_len;
			p->payload_wire_len = total - off - 8;
			return DECODE_FRAGMENT;
		}
		default:
			break;
		}
		break;
	}
	if (off > p->l3_len) {
		*anom = ANOM_DECODE_IPV6_TRUNCATED;
		return DECODE_ERROR;
	}
	p->key.proto = nh;
	p->ip_hdr_len = (uint16_t)off;
	p->l4 = l3 + off;
	p->l4_len = p->l3_len - off;
	if (nh == IPPROTO_NONE_) {
		p->payload = p->l4;
		p->payload_len = 0;
		p->payload_wire_len = 0;
		return DECODE_OK;
	}
	return decode_l4(p, total - off, anom);
}

enum decode_result decode_ip(const uint8_t *l3, uint32_t len, struct pkt *p,
    enum anomaly_code *anom)
{
	/* Keep L2 and capture fields; reset everything from L3 on. */
	uint16_t vlan[FLOW_MAX_VLAN];
	uint8_t nvlan = p->key.nvlan;

	memcpy(vlan, p->key.vlan, sizeof(vlan));
	memset(&p->key, 0, sizeof(p->key));
	memcpy(p->key.vlan, vlan, sizeof(vlan));
	p->key.nvlan = nvlan;
	p->l3 = p->l4 = p->payload = NULL;
	p->l3_len = p->l4_len = p->payload_len = p->payload_wire_len = 0;
	p->is_frag = p->frag_more = false;
	p->frag_id = p->frag_off = 0;
	p->frag_hdr_off = 0;
	p->tcp_flags = 0;
	p->seq = p->ack = 0;

	if (len < 1) {
		*anom = ANOM_DECODE_IPV4_TRUNCATED;
		return DECODE_ERROR;
	}
	switch (l3[0] >> 4) {
	case 4:
		return decode_ipv4(l3, len, p, anom);
	case 6:
		return decode_ipv6(l3, len, p, anom);
	default:
		*anom = ANOM_DECODE_IPV4_BAD_VERSION;
		return DECODE_ERROR;
	}
}

/* Reads 802.1Q/802.1ad tags after an ethertype; returns the inner type. */
static bool decode_vlans(struct rd *r, uint16_t *etype, struct pkt *p,
    enum anomaly_code *anom)
{
	while (*etype == ETH_P_8021Q || *etype == ETH_P_8021AD ||
	    *etype == ETH_P_QINQ_OLD) {
		uint16_t tci = rd_be16(r);

		*etype = rd_be16(r);
		if (r->short_read) {
			*anom = ANOM_DECODE_TRUNCATED_L2;
			return false;
		}
		if (p->key.nvlan == FLOW_MAX_VLAN) {
			*anom = ANOM_DECODE_VLAN_TOO_DEEP;
			return false;
		}
		p->key.vlan[p->key.nvlan++] = tci & 0x0fff;
	}
	return true;
}

enum decode_result decode_packet(int linktype, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, struct pkt *p, enum anomaly_code *anom)
{
	struct rd r = rd_init(data, caplen);
	uint16_t etype = 0;

	memset(&p->key, 0, sizeof(p->key));
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->has_mac = false;
	p->frames = 1;
	p->frames_wirelen = wirelen;

	switch (linktype) {
	case LINK_EN10MB:
		rd_copy(&r, p->mac_dst, 6);
		rd_copy(&r, p->mac_src, 6);
		etype = rd_be16(&r);
		if (r.short_read) {
			*anom = ANOM_DECODE_TRUNCATED_L2;
			return DECODE_ERROR;
		}
		p->has_mac = true;
		if (etype <= 1500)	/* 802.3 length: LLC, STP, ... */
			return DECODE_NOT_IP;
		break;
	case LINK_LINUX_SLL: {
		/* type(2) arphrd(2) addr_len(2) addr(8) protocol(2) */
		uint16_t alen;

		rd_skip(&r, 4);
		alen = rd_be16(&r);
		if (alen == 6) {
			rd_copy(&r, p->mac_src, 6);
			rd_skip(&r, 2);
			p->has_mac = true;
		} else {
			rd_skip(&r, 8);
		}
		etype = rd_be16(&r);
		break;
	}
	case LINK_LINUX_SLL2: {
		/* protocol(2) reserved(2) ifindex(4) arphrd(2) type(1) alen(1) addr(8) */
		uint8_t alen;

		etype = rd_be16(&r);
		rd_skip(&r, 9);
		alen = rd_u8(&r);
		if (alen == 6) {
			rd_copy(&r, p->mac_src, 6);
			rd_skip(&r, 2);
			p->has_mac = true;
		} else {
			rd_skip(&r, 8);
		}
		break;
	}
	case LINK_RAW:
	case LINK_RAW_ALT:
	case LINK_IPV4:
	case LINK_IPV6:
		return decode_ip(data, caplen, p, anom);
	case LINK_NULL:
	case LINK_LOOP: {
		/* 4-byte address family, host order of the capturing machine. */
		const uint8_t *q = rd_ptr(&r, 4);

		if (!q) {
			*anom = ANOM_DECODE_TRUNCATED_L2;
			return DECODE_ERROR;
		}
		return decode_ip(r.p, (uint32_t)r.left, p, anom);
	}
	default:
		return DECODE_NOT_IP;
	}
	if (r.short_read) {
		*anom = ANOM_DECODE_TRUNCATED_L2;
		return DECODE_ERROR;
	}
	if (!decode_vlans(&r, &etype, p, anom))
		return DECODE_ERROR;
	if (etype != ETH_P_IPV4 && etype != ETH_P_IPV6)
		return DECODE_NOT_IP;
	return decode_ip(r.p, (uint32_t)r.left, p, anom);
}
