/*
 * gen_common.h - the pieces the OT capture generators share (otgen.c,
 * scengen.c): a fixed byte builder, a classic pcap writer, the Internet
 * checksum, TCP/UDP conversations over Ethernet/IPv4, and Modbus/TCP and
 * DNP3 frame builders.
 *
 * Each generator is one translation unit (the Makefile builds every
 * tests/gen/NAME.c alone into build/tools/NAME), so everything here is
 * static, and a tool that does not use a helper gets no warning for it
 * (GEN_FN).  Define GEN_PROG (the tool's name, for messages) before
 * including this file.  No libpcap, no spanlog code, no clock, no
 * environment: the same calls give the same bytes.
 *
 * Wire formats:
 *   pcap     classic libpcap file format: magic a1b2c3d4 written
 *            little-endian, version 2.4, thiszone 0, sigfigs 0, snaplen
 *            GEN_SNAPLEN, DLT_EN10MB (1); microsecond timestamps; every
 *            frame written whole (incl_len = orig_len), not padded to 60.
 *   IPv4     RFC 791: IHL 5, DF set, TTL 64, header checksum computed.
 *   TCP      RFC 9293: 20-byte header, no options, window 65535; the
 *            checksum covers the RFC 768/9293 pseudo-header.
 *   UDP      RFC 768: checksum computed (0 sent as ffff).
 *   Modbus   MODBUS Messaging on TCP/IP Implementation Guide V1.0b 3.1.3
 *            (MBAP: transaction id, protocol 0, length = unit + PDU, unit).
 *   DNP3     IEEE 1815-2012: 9.2 link frame (05 64, length, control,
 *            destination, source, CRC after the header and after every 16
 *            data bytes), 8.2 transport header (FIN, FIR, 6-bit sequence),
 *            4.2 application header.  CRC-16/DNP is checked at start-up
 *            (dnp3_crc_selftest) against the check value of "123456789"
 *            (0xEA82) and a known frame.
 */
#ifndef SPANLOG_TESTS_GEN_COMMON_H
#define SPANLOG_TESTS_GEN_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GEN_PROG
#error "define GEN_PROG (the tool's name) before including gen_common.h"
#endif

#define GEN_FN static __attribute__((unused))
#define GEN_SNAPLEN 65535
#define GEN_MAX_FRAME 2048	/* longest payload conn_pkt() accepts */

GEN_FN void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

/* Prints "PROG: message" on stderr and exits 1. */
GEN_FN void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, GEN_PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* ------------------------------------------------------------------------
 * Byte builder
 * --------------------------------------------------------------------- */

/* A fixed buffer filled from the front; overflowing it is a generator bug. */
struct bb {
	size_t n;
	uint8_t b[4096];
};

GEN_FN void bb_u8(struct bb *b, unsigned v)
{
	if (b->n >= sizeof(b->b))
		die("byte builder full");
	b->b[b->n++] = (uint8_t)v;
}

GEN_FN void bb_be16(struct bb *b, unsigned v)
{
	bb_u8(b, (v >> 8) & 0xff);
	bb_u8(b, v & 0xff);
}

GEN_FN void bb_le16(struct bb *b, unsigned v)
{
	bb_u8(b, v & 0xff);
	bb_u8(b, (v >> 8) & 0xff);
}

GEN_FN void bb_le32(struct bb *b, uint32_t v)
{
	bb_le16(b, v & 0xffff);
	bb_le16(b, v >> 16);
}

GEN_FN void bb_le48(struct bb *b, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		bb_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

GEN_FN void bb_mem(struct bb *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->b))
		die("byte builder full");
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

GEN_FN void put_be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

GEN_FN void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

GEN_FN void put_le16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

GEN_FN void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v & 0xffff);
	put_le16(p + 2, v >> 16);
}

/* ------------------------------------------------------------------------
 * Deterministic PRNG (xorshift64*); the caller seeds rng_state, never 0.
 * --------------------------------------------------------------------- */

static uint64_t rng_state;

GEN_FN uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* ------------------------------------------------------------------------
 * pcap writer and packets
 * --------------------------------------------------------------------- */

/*
 * One output.  Each record is stamped with ts_us, which then advances by
 * step_us (a tool that sets ts_us itself before every packet uses step 0).
 * 'f' may be any stdio stream (a file, or a memory stream the tool sorts).
 */
struct out {
	FILE *f;
	uint64_t ts_us;
	uint32_t step_us;
	uint64_t packets;
	uint64_t bytes;		/* file size so far */
};

/* The 24-byte pcap file header (see the top of this file). */
GEN_FN void out_file_header(uint8_t h[24])
{
	put_le32(h, 0xa1b2c3d4);
	put_le16(h + 4, 2);
	put_le16(h + 6, 4);
	put_le32(h + 8, 0);
	put_le32(h + 12, 0);
	put_le32(h + 16, GEN_SNAPLEN);
	put_le32(h + 20, 1);		/* DLT_EN10MB */
}

/* Creates 'path' (dies on error), writes the file header; first ts t0_us. */
GEN_FN void out_open(struct out *o, const char *path, uint64_t t0_us,
    uint32_t step_us)
{
	uint8_t h[24];

	o->f = fopen(path, "wb");
	if (!o->f)
		die("%s: %s", path, strerror(errno));
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	out_file_header(h);
	fwrite(h, 1, sizeof(h), o->f);
	o->ts_us = t0_us;
	o->step_us = step_us;
	o->packets = 0;
	o->bytes = sizeof(h);
}

GEN_FN void out_close(struct out *o, const char *path)
{
	if (fflush(o->f) != 0 || ferror(o->f) || fclose(o->f) != 0)
		die("%s: write failed", path);
	o->f = NULL;
}

/* One record: 16-byte header (ts_sec, ts_usec, incl_len, orig_len), frame. */
GEN_FN void out_record(struct out *o, const uint8_t *p, size_t n)
{
	uint8_t h[16];

	put_le32(h, (uint32_t)(o->ts_us / 1000000));
	put_le32(h + 4, (uint32_t)(o->ts_us % 1000000));
	put_le32(h + 8, (uint32_t)n);
	put_le32(h + 12, (uint32_t)n);
	fwrite(h, 1, sizeof(h), o->f);
	fwrite(p, 1, n, o->f);
	o->ts_us += o->step_us;
	o->packets++;
	o->bytes += sizeof(h) + n;
}

/* RFC 1071 one's-complement sum of big-endian 16-bit words. */
GEN_FN uint32_t cs_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

GEN_FN uint16_t cs_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * One TCP connection or UDP pair: side 0 = client, side 1 = server.
 * mac[side] is the Ethernet address frames from that side come from (and
 * frames to it go to); conn_init() sets 02:00:00:00:00:01 and :02, which a
 * tool may overwrite.
 */
struct conn {
	bool udp;
	uint8_t ip[2][4];
	uint16_t port[2];
	uint32_t seq[2];
	uint16_t ipid[2];
	uint8_t tseq[2];	/* DNP3 transport sequence, per sender */
	uint8_t mac[2][6];
};

enum tcp_flags {
	TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
	TCP_ACK = 0x10,
};

/* Dotted-quad text to 4 bytes; dies on anything else. */
GEN_FN void gen_ip4(uint8_t out[4], const char *s)
{
	unsigned a[4];
	char extra;

	if (sscanf(s, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3],
	    &extra) != 4 || a[0] > 255 || a[1] > 255 || a[2] > 255 ||
	    a[3] > 255)
		die("bad address '%s'", s);
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)a[i];
}

/* Client cip:cport to server sip:sport; ISNs 1000 / 50000, IP ids 1. */
GEN_FN void conn_init(struct conn *c, bool udp, const char *cip,
    uint16_t cport, const char *sip, uint16_t sport)
{
	static const uint8_t def_mac[2][6] = {
		{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
		{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
	};

	memset(c, 0, sizeof(*c));
	gen_ip4(c->ip[0], cip);
	gen_ip4(c->ip[1], sip);
	memcpy(c->mac, def_mac, sizeof(def_mac));
	c->udp = udp;
	c->port[0] = cport;
	c->port[1] = sport;
	c->seq[0] = 1000;
	c->seq[1] = 50000;
	c->ipid[0] = 1;
	c->ipid[1] = 1;
}

/*
 * Writes one frame from side 'dir' with 'n' payload bytes (copied) and
 * TCP 'flags'; the ACK number is the other side's next sequence number
 * when TCP_ACK is set.  Advances this side's sequence number (payload,
 * plus one for SYN or FIN) and IP id.
 */
GEN_FN void conn_pkt(struct out *o, struct conn *c, int dir, unsigned flags,
    const uint8_t *d, size_t n)
{
	static uint8_t f[GEN_MAX_FRAME + 64];
	size_t l4 = c->udp ? 8 : 20;
	size_t iplen = 20 + l4 + n;
	uint8_t *ip = f + 14, *th = f + 34;
	uint32_t sum;

	if (n > GEN_MAX_FRAME)
		die("payload too long");
	memcpy(f, c->mac[!dir], 6);
	memcpy(f + 6, c->mac[dir], 6);
	f[12] = 0x08;
	f[13] = 0x00;
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (unsigned)iplen);
	put_be16(ip + 4, c->ipid[dir]++);
	put_be16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = c->udp ? 17 : 6;
	put_be16(ip + 10, 0);
	memcpy(ip + 12, c->ip[dir], 4);
	memcpy(ip + 16, c->ip[!dir], 4);
	put_be16(ip + 10, cs_fold(cs_add(0, ip, 20)));
	put_be16(th, c->port[dir]);
	put_be16(th + 2, c->port[!dir]);
	if (c->udp) {
		put_be16(th + 4, (unsigned)(8 + n));
		put_be16(th + 6, 0);
	} else {
		put_be32(th + 4, c->seq[dir]);
		put_be32(th + 8, (flags & TCP_ACK) ? c->seq[!dir] : 0);
		th[12] = 0x50;
		th[13] = (uint8_t)flags;
		put_be16(th + 14, 65535);
		put_be16(th + 16, 0);
		put_be16(th + 18, 0);
	}
	if (n)
		memcpy(th + l4, d, n);
	sum = cs_add(0, ip + 12, 8);
	sum += ip[9];
	sum += (uint32_t)(l4 + n);
	sum = cs_add(sum, th, l4 + n);
	{
		uint16_t cs = cs_fold(sum);

		if (c->udp && cs == 0)
			cs = 0xffff;
		put_be16(th + (c->udp ? 6 : 16), cs);
	}
	out_record(o, f, 14 + iplen);
	if (!c->udp) {
		c->seq[dir] += (uint32_t)n;
		if (flags & (TCP_SYN | TCP_FIN))
			c->seq[dir]++;
	}
}

/* SYN, SYN+ACK, ACK (nothing for UDP). */
GEN_FN void conn_open(struct out *o, struct conn *c)
{
	if (c->udp)
		return;
	conn_pkt(o, c, 0, TCP_SYN, NULL, 0);
	conn_pkt(o, c, 1, TCP_SYN | TCP_ACK, NULL, 0);
	conn_pkt(o, c, 0, TCP_ACK, NULL, 0);
}

/* One data segment (PSH+ACK), or one datagram. */
GEN_FN void conn_send(struct out *o, struct conn *c, int dir,
    const uint8_t *d, size_t n)
{
	conn_pkt(o, c, dir, TCP_PSH | TCP_ACK, d, n);
}

/* FIN+ACK from the client, FIN+ACK from the server, last ACK. */
GEN_FN void conn_close(struct out *o, struct conn *c)
{
	if (c->udp)
		return;
	conn_pkt(o, c, 0, TCP_FIN | TCP_ACK, NULL, 0);
	conn_pkt(o, c, 1, TCP_FIN | TCP_ACK, NULL, 0);
	conn_pkt(o, c, 0, TCP_ACK, NULL, 0);
}

/* ------------------------------------------------------------------------
 * Modbus/TCP
 * --------------------------------------------------------------------- */

/* Wraps a PDU (fc + data) in an MBAP header; returns the ADU length. */
GEN_FN size_t mb_adu(uint8_t *out, uint16_t tid, uint8_t unit,
    const struct bb *pdu)
{
	put_be16(out, tid);
	put_be16(out + 2, 0);
	put_be16(out + 4, (unsigned)(pdu->n + 1));
	out[6] = unit;
	memcpy(out + 7, pdu->b, pdu->n);
	return 7 + pdu->n;
}

/* Request, then response (when resp != NULL), one segment each. */
GEN_FN void mb_pair(struct out *o, struct conn *c, uint16_t tid,
    uint8_t unit, const struct bb *req, const struct bb *resp)
{
	uint8_t a[300];
	size_t n;

	if (req) {
		if (req->n > sizeof(a) - 7)
			die("Modbus PDU too long");
		n = mb_adu(a, tid, unit, req);
		conn_send(o, c, 0, a, n);
	}
	if (resp) {
		if (resp->n > sizeof(a) - 7)
			die("Modbus PDU too long");
		n = mb_adu(a, tid, unit, resp);
		conn_send(o, c, 1, a, n);
	}
}

/* ------------------------------------------------------------------------
 * DNP3
 * --------------------------------------------------------------------- */

/* CRC-16/DNP: reflected 0xA6BC, init 0, output inverted. */
GEN_FN uint16_t dnp3_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa6bc) :
			    (uint16_t)(crc >> 1);
	}
	return (uint16_t)~crc;
}

GEN_FN void dnp3_crc_selftest(void)
{
	static const uint8_t frame[] = { 0x05, 0x64, 0x05, 0xc0, 0x01, 0x00,
		0x00, 0x04, 0xe9, 0x21 };
	uint16_t k = dnp3_crc((const uint8_t *)"123456789", 9);
	uint16_t f = dnp3_crc(frame, 8);

	if (k != 0xea82 || frame[8] != (f & 0xff) || frame[9] != (f >> 8))
		die("CRC-16/DNP self-test failed (%04x, %04x)", k, f);
}

enum dnp3_send_flags {
	DNP3_BAD_CRC = 1 << 0,	/* corrupt the CRC of the first data block */
	DNP3_ONE_SEGMENT = 1 << 1, /* all link frames in one TCP segment */
	DNP3_HOLD = 1 << 2,	/* keep the frames: they go out in front of
				   the next fragment's, in one segment */
};

static uint8_t dnp3_held[4096];
static size_t dnp3_nheld;

/*
 * One link frame (unconfirmed user data, function 4) around 'ud' (at most
 * 250 bytes) into 'out' (at least 292 bytes); returns its length.
 */
GEN_FN size_t dnp3_frame(uint8_t *out, bool from_master, uint16_t dst,
    uint16_t src, const uint8_t *ud, size_t n, bool bad_crc)
{
	size_t p = 10;
	uint16_t crc;

	out[0] = 0x05;
	out[1] = 0x64;
	out[2] = (uint8_t)(5 + n);
	out[3] = from_master ? 0xc4 : 0x44;	/* DIR, PRM, func 4 */
	put_le16(out + 4, dst);
	put_le16(out + 6, src);
	crc = dnp3_crc(out, 8);
	put_le16(out + 8, crc);
	for (size_t off = 0; off < n; off += 16) {
		size_t k = n - off < 16 ? n - off : 16;

		memcpy(out + p, ud + off, k);
		crc = dnp3_crc(ud + off, k);
		if (bad_crc && off == 0)
			crc ^= 0x5555;
		put_le16(out + p + k, crc);
		p += k + 2;
	}
	return p;
}

/*
 * Sends one application fragment from side 'dir' (the master is side 0 of
 * every connection here), cut into transport segments of at most 249
 * bytes, one link frame each; returns the number of link frames.
 */
GEN_FN unsigned dnp3_send(struct out *o, struct conn *c, int dir,
    uint16_t dst, uint16_t src, const struct bb *apdu, unsigned flags)
{
	uint8_t seg[8192], ud[250];
	size_t n = 0, off = 0;
	unsigned frames = 0;

	if (dnp3_nheld && !(flags & DNP3_HOLD)) {
		memcpy(seg, dnp3_held, dnp3_nheld);
		n = dnp3_nheld;
		dnp3_nheld = 0;
		flags |= DNP3_ONE_SEGMENT;
	}
	if (flags & DNP3_HOLD)
		flags |= DNP3_ONE_SEGMENT;

	do {
		size_t k = apdu->n - off > 249 ? 249 : apdu->n - off;
		uint8_t th = c->tseq[dir] & 0x3f;
		size_t fl;

		c->tseq[dir]++;
		if (off == 0)
			th |= 0x40;		/* FIR */
		if (off + k == apdu->n)
			th |= 0x80;		/* FIN */
		ud[0] = th;
		memcpy(ud + 1, apdu->b + off, k);
		fl = dnp3_frame(seg + n, dir == 0, dst, src, ud, k + 1,
		    (flags & DNP3_BAD_CRC) != 0);
		frames++;
		off += k;
		if (flags & DNP3_ONE_SEGMENT) {
			n += fl;
		} else {
			conn_send(o, c, dir, seg, fl);
		}
	} while (off < apdu->n);
	if (flags & DNP3_HOLD) {
		if (n > sizeof(dnp3_held))
			die("too many held DNP3 frames");
		memcpy(dnp3_held, seg, n);
		dnp3_nheld = n;
	} else if (n) {
		conn_send(o, c, dir, seg, n);
	}
	return frames;
}

/* Application header of a request (AC FC): FIR, FIN, sequence 'seq'. */
GEN_FN void dnp3_req_hdr(struct bb *b, uint8_t seq, uint8_t fc)
{
	b->n = 0;
	bb_u8(b, 0xc0 | (seq & 0x0f));		/* FIR FIN */
	bb_u8(b, fc);
}

/* Application header of a response (AC FC IIN1 IIN2); 'iin' IIN1 high. */
GEN_FN void dnp3_resp_hdr(struct bb *b, uint8_t ac, uint8_t fc, uint16_t iin)
{
	b->n = 0;
	bb_u8(b, ac);
	bb_u8(b, fc);
	bb_u8(b, iin >> 8);
	bb_u8(b, iin & 0xff);
}

#endif
