/*
 * decode.h - link, IP and transport header decoding into a 'struct pkt'.
 *
 * Pure bytes in, offsets out: no libpcap, no allocation.  Every field is read
 * through dissectors/rd.h.  The bound is caplen, then the IP total length,
 * then the transport header's own lengths; the smallest wins.
 */
#ifndef SPANLOG_DECODE_H
#define SPANLOG_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "flow_key.h"
#include "../sensor/event.h"

/* DLT_ values we accept (numbers from pcap-linktype(7); no <pcap.h> here). */
#define LINK_NULL	0	/* BSD loopback, host-order AF_ */
#define LINK_EN10MB	1
#define LINK_RAW	101	/* DLT_RAW on most platforms */
#define LINK_RAW_ALT	12	/* DLT_RAW on OpenBSD-origin files */
#define LINK_LOOP	108
#define LINK_LINUX_SLL	113
#define LINK_IPV4	228
#define LINK_IPV6	229
#define LINK_LINUX_SLL2	276

/* Is this DLT one decode_packet() understands? */
bool decode_link_supported(int linktype);

struct pkt {
	uint64_t ts_us;
	uint64_t serial;		/* index in the capture, from 1 */
	const uint8_t *data;		/* borrowed frame */
	uint32_t caplen, wirelen;

	bool has_mac;
	uint8_t mac_src[6], mac_dst[6];

	const uint8_t *l3;		/* IP header */
	uint32_t l3_len;		/* captured bytes, bounded by IP length */
	uint32_t ip_total_len;		/* from the IP header */
	uint16_t ip_hdr_len;		/* v4: IHL*4; v6: 40 + extension headers */

	/* Fragments: set when the packet is not a whole datagram. */
	bool is_frag;
	bool frag_more;			/* MF */
	uint32_t frag_id;
	uint32_t frag_off;		/* bytes */
	uint16_t frag_hdr_off;		/* v6: offset of the Fragment header in l3 */
	uint8_t frag_nexthdr;		/* v6: Next Header inside the Fragment header */

	struct flow_key key;		/* as seen: src = sender */

	const uint8_t *l4;
	uint32_t l4_len;		/* captured */
	const uint8_t *payload;
	uint32_t payload_len;		/* captured payload bytes */
	uint32_t payload_wire_len;	/* payload length claimed by IP/UDP */

	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t icmp_type, icmp_code;

	/* Frames behind this packet: 1, or every fragment of a datagram. */
	uint32_t frames;
	uint64_t frames_wirelen;
};

enum tcp_flag {
	TCPF_FIN = 1 << 0, TCPF_SYN = 1 << 1, TCPF_RST = 1 << 2, TCPF_PUSH = 1 << 3,
	TCPF_ACK = 1 << 4, TCPF_URG = 1 << 5, TCPF_ECE = 1 << 6, TCPF_CWR = 1 << 7,
};

enum decode_result {
	DECODE_OK,		/* p->key, p->l4 ... are valid */
	DECODE_FRAGMENT,	/* an IP fragment: give it to ipfrag */
	DECODE_NOT_IP,		/* ARP, LLDP, ...: counted, no flow */
	DECODE_ERROR,		/* *anom says why */
};

/*
 * Decodes one captured frame.  Borrows 'data' (the pkt points into it).
 * Never reads beyond caplen.  On DECODE_ERROR sets *anom.
 */
enum decode_result decode_packet(int linktype, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, struct pkt *p, enum anomaly_code *anom);

/*
 * Decodes from the IP header on (used for reassembled datagrams).  Keeps the
 * link-layer fields of *p, replaces the L3/L4 ones.
 */
enum decode_result decode_ip(const uint8_t *l3, uint32_t len, struct pkt *p,
    enum anomaly_code *anom);

#endif
