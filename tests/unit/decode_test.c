/*
 * decode_test.c - link/IP/transport decoding on hand-built frames, and the
 * flow table's Zeek-style conn_state/history on hand-built packet series.
 *
 * Every frame below is written out byte by byte with the field it encodes,
 * so the expected values come from the bytes, not from the decoder.
 */
#include <stdlib.h>
#include <string.h>

#include "flows/decode.h"
#include "flows/flow_table.h"
#include "sensor/config.h"
#include "sensor/output.h"
#include "testhelp.h"

/* ---- builders ---- */

static size_t put_eth(uint8_t *b, uint16_t etype)
{
	static const uint8_t dst[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t src[6] = { 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	b[12] = (uint8_t)(etype >> 8);
	b[13] = (uint8_t)etype;
	return 14;
}

/* IPv4 header, 20 bytes, 10.0.0.1 -> 10.0.0.2 */
static size_t put_ip4(uint8_t *b, uint8_t proto, uint16_t total, uint16_t frag)
{
	memset(b, 0, 20);
	b[0] = 0x45;			/* version 4, IHL 5 */
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[4] = 0x12; b[5] = 0x34;	/* id 0x1234 */
	b[6] = (uint8_t)(frag >> 8);	/* flags + fragment offset */
	b[7] = (uint8_t)frag;
	b[8] = 64;			/* TTL */
	b[9] = proto;
	b[12] = 10; b[15] = 1;		/* src 10.0.0.1 */
	b[16] = 10; b[19] = 2;		/* dst 10.0.0.2 */
	return 20;
}

/* TCP header, 20 bytes */
static size_t put_tcp(uint8_t *b, uint16_t sp, uint16_t dp, uint32_t seq,
    uint32_t ack, uint8_t flags)
{
	memset(b, 0, 20);
	b[0] = (uint8_t)(sp >> 8); b[1] = (uint8_t)sp;
	b[2] = (uint8_t)(dp >> 8); b[3] = (uint8_t)dp;
	b[4] = (uint8_t)(seq >> 24); b[5] = (uint8_t)(seq >> 16);
	b[6] = (uint8_t)(seq >> 8); b[7] = (uint8_t)seq;
	b[8] = (uint8_t)(ack >> 24); b[9] = (uint8_t)(ack >> 16);
	b[10] = (uint8_t)(ack >> 8); b[11] = (uint8_t)ack;
	b[12] = 0x50;			/* data offset 5 words */
	b[13] = flags;
	b[14] = 0xff; b[15] = 0xff;	/* window */
	return 20;
}

static void test_eth_ipv4_tcp(void)
{
	uint8_t f[128];
	size_t n = put_eth(f, 0x0800);
	struct pkt p;
	enum anomaly_code a = ANOM__COUNT;

	n += put_ip4(f + n, 6, 20 + 20 + 5, 0);
	n += put_tcp(f + n, 40000, 80, 1000, 0, TCPF_PUSH | TCPF_ACK);
	memcpy(f + n, "hello", 5);
	n += 5;
	memset(&p, 0, sizeof(p));
	test_cond("eth/ipv4/tcp decodes", decode_packet(LINK_EN10MB, f,
	    (uint32_t)n, (uint32_t)n, &p, &a) == DECODE_OK);
	test_eq_u64("family", p.key.family, 4);
	test_eq_u64("proto", p.key.proto, 6);
	test_eq_u64("sport", p.key.sport, 40000);
	test_eq_u64("dport", p.key.dport, 80);
	test_eq_u64("seq", p.seq, 1000);
	test_eq_u64("flags", p.tcp_flags, TCPF_PUSH | TCPF_ACK);
	test_eq_u64("payload len", p.payload_len, 5);
	test_cond("payload bytes", p.payload && !memcmp(p.payload, "hello", 5));
	test_cond("src mac", p.has_mac && p.mac_src[0] == 0x66);
	test_eq_u64("src ip last byte", p.key.src[3], 1);
	test_eq_u64("no vlan", p.key.nvlan, 0);

	/* Ethernet padding after a short IP packet is not payload. */
	memset(f + n, 0, 10);
	test_cond("padded frame decodes", decode_packet(LINK_EN10MB, f,
	    (uint32_t)n + 10, (uint32_t)n + 10, &p, &a) == DECODE_OK);
	test_eq_u64("padding excluded", p.payload_len, 5);

	/* Every truncation of the frame: an error or OK, never a bad read. */
	for (size_t cut = 0; cut < n; cut++) {
		enum decode_result r = decode_packet(LINK_EN10MB, f,
		    (uint32_t)cut, (uint32_t)n, &p, &a);

		if (cut < 14 + 20 + 16)
			test_cond("truncated header is an error or not-ip",
			    r == DECODE_ERROR || r == DECODE_NOT_IP);
		else if (cut < 14 + 20 + 20)
			/* ports, seq, ack, flags, window are all there */
			test_cond("cut checksum/urgent: decodes, no payload",
			    r == DECODE_OK && p.payload_len == 0 &&
			    p.payload_wire_len == 5);
		else
			test_cond("cut payload still decodes",
			    r == DECODE_OK && p.payload_len == cut - 54 &&
			    p.payload_wire_len == 5);
	}
}

static void test_vlans(void)
{
	uint8_t f[128];
	size_t n = put_eth(f, 0x88a8);	/* 802.1ad outer */
	struct pkt p;
	enum anomaly_code a;

	f[n++] = 0x00; f[n++] = 10;	/* TCI: VID 10 */
	f[n++] = 0x81; f[n++] = 0x00;	/* inner 802.1Q */
	f[n++] = 0x20; f[n++] = 20;	/* TCI: PCP 1, VID 20 */
	f[n++] = 0x08; f[n++] = 0x00;	/* IPv4 */
	n += put_ip4(f + n, 17, 28, 0);
	/* UDP 5353 -> 53, length 8 */
	f[n++] = 0x14; f[n++] = 0xe9; f[n++] = 0; f[n++] = 53;
	f[n++] = 0; f[n++] = 8; f[n++] = 0; f[n++] = 0;
	test_cond("qinq decodes", decode_packet(LINK_EN10MB, f, (uint32_t)n,
	    (uint32_t)n, &p, &a) == DECODE_OK);
	test_eq_u64("two tags", p.key.nvlan, 2);
	test_eq_u64("outer vid", p.key.vlan[0], 10);
	test_eq_u64("inner vid (PCP masked)", p.key.vlan[1], 20);
	test_eq_u64("udp sport", p.key.sport, 5353);
	test_eq_u64("udp payload", p.payload_wire_len, 0);

	/* A third tag is one too many. */
	{
		uint8_t g[128];
		size_t m = put_eth(g, 0x8100);

		for (int i = 0; i < 3; i++) {
			g[m++] = 0; g[m++] = (uint8_t)(i + 1);
			g[m++] = 0x81; g[m++] = 0x00;
		}
		test_cond("three tags: error", decode_packet(LINK_EN10MB, g,
		    (uint32_t)m, (uint32_t)m, &p, &a) == DECODE_ERROR &&
		    a == ANOM_DECODE_VLAN_TOO_DEEP);
	}
}

static void test_linktypes(void)
{
	uint8_t ip[64], f[128];
	size_t n = put_ip4(ip, 6, 40, 0);
	struct pkt p;
	enum anomaly_code a;

	n += put_tcp(ip + n, 1234, 502, 1, 0, TCPF_SYN);

	test_cond("raw ip", decode_packet(LINK_RAW, ip, (uint32_t)n,
	    (uint32_t)n, &p, &a) == DECODE_OK && p.key.dport == 502 &&
	    !p.has_mac);

	/* SLL: type 0 (to us), ARPHRD_ETHER 1, addr len 6, addr, pad, proto */
	memset(f, 0, 16);
	f[3] = 1; f[5] = 6;
	f[6] = 0xde; f[11] = 0xef;
	f[14] = 0x08; f[15] = 0x00;
	memcpy(f + 16, ip, n);
	test_cond("linux sll", decode_packet(LINK_LINUX_SLL, f,
	    (uint32_t)(n + 16), (uint32_t)(n + 16), &p, &a) == DECODE_OK &&
	    p.key.sport == 1234 && p.has_mac && p.mac_src[0] == 0xde);

	/* SLL2: proto, reserved, ifindex, arphrd, type, addr len, addr */
	memset(f, 0, 20);
	f[0] = 0x08; f[1] = 0x00;
	f[9] = 1; f[11] = 6;
	f[12] = 0xca; f[17] = 0xfe;
	memcpy(f + 20, ip, n);
	test_cond("linux sll2", decode_packet(LINK_LINUX_SLL2, f,
	    (uint32_t)(n + 20), (uint32_t)(n + 20), &p, &a) == DECODE_OK &&
	    p.key.dport == 502 && p.mac_src[0] == 0xca);

	test_cond("unsupported link type is refused up front",
	    !decode_link_supported(147) && decode_link_supported(276));
}

static void test_ipv4_errors(void)
{
	uint8_t f[64];
	struct pkt p;
	enum anomaly_code a;

	put_ip4(f, 6, 40, 0);
	put_tcp(f + 20, 1, 2, 0, 0, TCPF_SYN);
	f[0] = 0x44;			/* IHL 4: below the minimum */
	test_cond("ihl 4", decode_packet(LINK_RAW, f, 40, 40, &p, &a) ==
	    DECODE_ERROR && a == ANOM_DECODE_IPV4_BAD_IHL);
	f[0] = 0x45;
	f[2] = 0; f[3] = 10;		/* total length 10 < header */
	test_cond("total < ihl", decode_packet(LINK_RAW, f, 40, 40, &p, &a) ==
	    DECODE_ERROR && a == ANOM_DECODE_IPV4_BAD_LEN);
	f[3] = 40;
	f[32] = 0x30;			/* TCP data offset 3 words */
	test_cond("tcp offset 12", decode_packet(LINK_RAW, f, 40, 40, &p,
	    &a) == DECODE_ERROR && a == ANOM_DECODE_TCP_BAD_OFFSET);
	f[32] = 0x50;
	put_ip4(f, 6, 40, 0x2000);	/* MF set: a fragment */
	test_cond("fragment flagged", decode_packet(LINK_RAW, f, 40, 40, &p,
	    &a) == DECODE_FRAGMENT && p.frag_more && p.frag_off == 0 &&
	    p.frag_id == 0x1234);
	put_ip4(f, 6, 40, 0x0003);	/* offset 3 * 8 = 24 */
	test_cond("fragment offset", decode_packet(LINK_RAW, f, 40, 40, &p,
	    &a) == DECODE_FRAGMENT && p.frag_off == 24 && !p.frag_more);
}

static void test_ipv6(void)
{
	uint8_t f[128];
	size_t n = 0;
	struct pkt p;
	enum anomaly_code a;

	memset(f, 0, sizeof(f));
	f[0] = 0x60;			/* version 6 */
	f[5] = 8 + 20;			/* payload length: HBH + TCP */
	f[6] = 0;			/* next header: Hop-by-Hop */
	f[7] = 64;
	f[8] = 0x20; f[9] = 0x01; f[23] = 1;	/* 2001::1 */
	f[24] = 0x20; f[25] = 0x01; f[39] = 2;	/* 2001::2 */
	n = 40;
	f[n] = 6;			/* HBH next header: TCP */
	f[n + 1] = 0;			/* length (0+1)*8 */
	f[n + 2] = 1; f[n + 3] = 4;	/* PadN option filling 6 bytes */
	n += 8;
	n += put_tcp(f + n, 443, 50000, 7, 9, TCPF_SYN | TCPF_ACK);
	test_cond("ipv6 + hbh + tcp", decode_packet(LINK_RAW, f, (uint32_t)n,
	    (uint32_t)n, &p, &a) == DECODE_OK && p.key.family == 6 &&
	    p.key.proto == 6 && p.key.sport == 443 && p.ip_hdr_len == 48);
	f[n - 20 - 8 + 1] = 9;		/* HBH length past the packet */
	test_cond("bad ext header", decode_packet(LINK_RAW, f, (uint32_t)n,
	    (uint32_t)n, &p, &a) == DECODE_ERROR &&
	    a == ANOM_DECODE_IPV6_BAD_EXTHDR);
}

static void test_icmp_ports(void)
{
	uint8_t f[64];
	struct pkt p;
	enum anomaly_code a;

	put_ip4(f, 1, 28, 0);
	memset(f + 20, 0, 8);
	f[20] = 0;			/* echo reply */
	test_cond("icmp echo reply", decode_packet(LINK_RAW, f, 28, 28, &p,
	    &a) == DECODE_OK && p.key.sport == 0 && p.key.dport == 8);
	f[20] = 3; f[21] = 1;		/* unreachable, host: one-way */
	test_cond("icmp unreachable", decode_packet(LINK_RAW, f, 28, 28, &p,
	    &a) == DECODE_OK && p.key.sport == 3 && p.key.dport == 1);
}

/* ---- flow table: conn_state and history ---- */

static struct ev_flow last_flow;
static int nflows;

static void hook(const struct ev_hdr *ev, void *arg)
{
	(void)arg;
	if (ev->type == EV_FLOW) {
		last_flow = *(const struct ev_flow *)ev;
		nflows++;
	}
}

struct seg {
	int from_server;
	uint8_t flags;
	uint32_t seq;
	int len;
};

/* Runs one TCP conversation through a fresh table; returns the flow event. */
static void run_conv(const struct seg *s, int n)
{
	struct config cfg;
	char err[256];
	struct flow_table *ft;
	uint64_t ts = 1700000000000000ULL;

	config_defaults(&cfg);
	cfg.ndpi_enabled = false;
	ft = flow_table_new(&cfg, 1024, 1 << 20, 0, err, sizeof(err));
	nflows = 0;
	for (int i = 0; i < n; i++) {
		uint8_t f[128];
		struct pkt p;
		enum anomaly_code a;
		size_t m = put_ip4(f, 6, (uint16_t)(40 + s[i].len), 0);

		if (s[i].from_server) {	/* swap addresses: 10.0.0.2 -> .1 */
			f[15] = 2;
			f[19] = 1;
			m += put_tcp(f + m, 80, 40000, s[i].seq, 0, s[i].flags);
		} else {
			m += put_tcp(f + m, 40000, 80, s[i].seq, 0, s[i].flags);
		}
		memset(f + m, 'x', (size_t)s[i].len);
		m += (size_t)s[i].len;
		memset(&p, 0, sizeof(p));
		p.ts_us = ts + (uint64_t)i * 1000;
		if (decode_packet(LINK_RAW, f, (uint32_t)m, (uint32_t)m, &p,
		    &a) == DECODE_OK)
			flow_table_packet(ft, &p);
	}
	flow_table_free(ft);
}

#define S TCPF_SYN
#define A TCPF_ACK
#define F TCPF_FIN
#define R TCPF_RST
#define P TCPF_PUSH

static void test_conn_state(void)
{
	static const struct seg sf[] = {
		{ 0, S, 100, 0 }, { 1, S | A, 500, 0 }, { 0, A, 101, 0 },
		{ 0, P | A, 101, 10 }, { 1, A, 501, 0 }, { 1, P | A, 501, 20 },
		{ 0, F | A, 111, 0 }, { 1, F | A, 521, 0 }, { 0, A, 112, 0 },
	};
	static const struct seg rej[] = { { 0, S, 100, 0 }, { 1, R | A, 0, 0 } };
	static const struct seg s0[] = { { 0, S, 100, 0 } };
	static const struct seg sh[] = { { 0, S, 100, 0 }, { 0, F, 101, 0 } };
	static const struct seg rsto[] = {
		{ 0, S, 100, 0 }, { 1, S | A, 500, 0 }, { 0, A, 101, 0 },
		{ 0, R, 101, 0 },
	};
	static const struct seg rstr[] = {
		{ 0, S, 100, 0 }, { 1, S | A, 500, 0 }, { 0, A, 101, 0 },
		{ 1, R | A, 501, 0 },
	};
	static const struct seg s1[] = {
		{ 0, S, 100, 0 }, { 1, S | A, 500, 0 }, { 0, A, 101, 0 },
	};
	static const struct seg flipped[] = {
		{ 1, S | A, 500, 0 }, { 0, A, 101, 0 },
	};
	static const struct seg retrans[] = {
		{ 0, S, 100, 0 }, { 1, S | A, 500, 0 }, { 0, A, 101, 0 },
		{ 0, P | A, 101, 10 }, { 0, P | A, 101, 10 },
	};

	out_set_hook(hook, NULL);
	run_conv(sf, 9);
	test_eq_u64("sf: one flow", nflows, 1);
	test_cond("sf: state SF", !strcmp(last_flow.state, "SF"));
	test_cond("sf: history ShAD(a)dFf", !strcmp(last_flow.history, "ShADadFf"));
	test_eq_u64("sf: payload to server", last_flow.payload_bytes[0], 10);
	test_eq_u64("sf: payload to client", last_flow.payload_bytes[1], 20);
	test_eq_u64("sf: pkts to server", last_flow.pkts[0], 5);
	test_eq_u64("sf: reason fin", last_flow.reason, FLOW_END_FIN);
	test_eq_u64("sf: client port", last_flow.h.key.sport, 40000);
	run_conv(rej, 2);
	test_cond("rej", !strcmp(last_flow.state, "REJ") &&
	    !strcmp(last_flow.history, "Sr"));
	run_conv(s0, 1);
	test_cond("s0", !strcmp(last_flow.state, "S0"));
	run_conv(sh, 2);
	test_cond("sh", !strcmp(last_flow.state, "SH"));
	run_conv(rsto, 4);
	test_cond("rsto", !strcmp(last_flow.state, "RSTO"));
	run_conv(rstr, 4);
	test_cond("rstr", !strcmp(last_flow.state, "RSTR"));
	run_conv(s1, 3);
	test_cond("s1", !strcmp(last_flow.state, "S1"));
	run_conv(flipped, 2);
	test_cond("flipped: client is the SYN-ACK's receiver",
	    last_flow.h.key.sport == 40000 && last_flow.history[0] == '^');
	run_conv(retrans, 5);
	test_cond("retransmission adds T", strchr(last_flow.history, 'T') != NULL);
	test_eq_u64("retransmission not counted twice", last_flow.payload_bytes[0], 10);
	out_set_hook(NULL, NULL);
}

int main(void)
{
	test_eth_ipv4_tcp();
	test_vlans();
	test_linktypes();
	test_ipv4_errors();
	test_ipv6();
	test_icmp_ports();
	test_conn_state();
	return test_report();
}
