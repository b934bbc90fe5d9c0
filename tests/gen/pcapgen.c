/*
 * pcapgen.c - deterministic capture generator with expected facts.
 *
 *   pcapgen golden OUTDIR                  small captures with known contents
 *   pcapgen bench OUTFILE SIZE_MB [SEED]   one large mixed capture
 *
 * A standalone program: no libpcap, no spanlog code.  Captures are written
 * by hand as classic pcap (magic a1b2c3d4 written little-endian, version
 * 2.4, microsecond timestamps) or, for one case, pcapng (SHB, one IDB, EPBs,
 * microsecond resolution).  Every checksum (IPv4 header, TCP, UDP, ICMP,
 * ICMPv6) is computed, so other tools see clean packets.  Nothing depends on
 * the clock or the environment: timestamps start at 2024-01-01T00:00:00Z
 * (1704067200 s) and advance a fixed 1000 us per packet in golden mode;
 * bench mode uses a xorshift64* PRNG seeded from SEED (default 1).
 *
 * ---------------------------------------------------------------------------
 * Golden mode output
 * ---------------------------------------------------------------------------
 * For each case: OUTDIR/<case>.pcap and OUTDIR/<case>.facts.jsonl.  Special
 * files: multi_file writes multi_file_part1.pcap and multi_file_part2.pcap
 * (no multi_file.pcap) and lists them, in order, one per line, in
 * multi_file.files; truncated also writes truncated.offset (decimal byte
 * offset of the cut record's header); tcp_sf_pcapng is a pcapng file,
 * named .pcap like the rest.  Ethernet frames are not padded to 60 bytes.
 * The case list is in README.md next to this file and in golden_cases[].
 *
 * A facts file has one JSON object per line.  First one line per expected
 * flow, in the order of each flow's first packet, with keys in this order:
 *
 *   src_ip, src_port, dest_ip, dest_port, proto, vlan, pkts_toserver,
 *   pkts_toclient, bytes_toserver, bytes_toclient, state, history,
 *   missed_bytes, payload_toserver, payload_toclient
 *
 * then zero or more anomaly lines {"anomaly":"<name>","count":N}.
 *
 * How each value is derived (all from what this program builds, never from
 * spanlog output):
 *
 *   src_* / dest_*   The client and server endpoints the case was written
 *                    with.  Client = the side that sent the SYN; without a
 *                    SYN (tcp_midstream) the sender of the first packet;
 *                    for UDP the side with the non-well-known port, even
 *                    when the server's packet comes first (udp_reply_first:
 *                    the Zeek "likely server port" rule).  Addresses are
 *                    printed with inet_ntop().
 *   ICMP ports       Zeek's convention: src_port = ICMP type of the
 *                    client's messages (8 echo request; ICMPv6 128),
 *                    dest_port = the counterpart type (0 echo reply;
 *                    ICMPv6 129).
 *   proto            "TCP", "UDP", "ICMP" or "IPv6-ICMP".
 *   vlan             The 802.1Q/802.1ad VLAN IDs the frames were built
 *                    with, outer first.  Key absent = untagged.
 *   pkts_*           Incremented once per frame this program writes for
 *                    the flow, by the direction of the frame's sender.  An
 *                    IP fragment is a frame: a datagram in 3 fragments
 *                    counts 3 packets.
 *   bytes_*          Sum of the frames' wire lengths (pcap orig_len,
 *                    link header included), counted as the frame is
 *                    written; every fragment frame counts.  With a short
 *                    snaplen (case snap) this is still orig_len.
 *   state            Written by hand per case from Zeek's conn_state rules
 *                    (base/protocols/conn/main.zeek): S0 SYN only; REJ SYN
 *                    answered by RST; SH originator SYN then FIN, no reply;
 *                    SF both sides sent FIN; RSTO/RSTR originator/responder
 *                    RST after establishment; OTH no SYN seen.  TCP only.
 *   history          Written by hand from Zeek's update_history() rules:
 *                    per packet, exactly one of SYN/FIN/RST set -> S (SYN),
 *                    H (SYN+ACK), F, R; none set -> D if payload, else A if
 *                    ACK; a payload packet whose end does not pass the
 *                    highest sequence seen so far from that side -> T
 *                    (retransmission, also for a late out-of-order
 *                    segment).  Upper case = originator, lower case =
 *                    responder, each letter at most once per side, in
 *                    order of first occurrence.  Cases are built so every
 *                    letter occurs once or the repeats add nothing.  Left
 *                    out where Zeek's result is uncertain (tcp_lost: Zeek
 *                    may add a gap letter 'G').  TCP only.
 *   missed_bytes     Per direction, the TCP sequence space is modelled as a
 *                    byte map starting at ISN+1 (at the first segment's seq
 *                    without a SYN).  Every payload byte written marks its
 *                    position.  missed = unmarked positions below the end
 *                    of the stream (highest seq reached by data or FIN),
 *                    summed over both directions.  0 for UDP and ICMP.
 *   payload_*        Marked positions of that byte map: each distinct
 *                    stream byte counts once, however often it was sent
 *                    (retransmissions, duplicates and a same-seq segment
 *                    with other bytes are not doubled).  TCP only.
 *   anomaly lines    Only the anomalies a case is built to cause, with the
 *                    number of times it causes them: tcp_overlap_diff has
 *                    {"anomaly":"stream.overlap_different_data","count":1}.
 *                    Count 0 means "must not be reported": tcp_retrans and
 *                    tcp_ooo resend identical bytes, so they carry that
 *                    name with count 0.  Anomalies not listed are not
 *                    asserted either way.
 *
 * A key other than vlan that is absent is not asserted: snap leaves out
 * missed_bytes, payload_* and history of its TCP flow (the payload was not
 * captured, so what a sensor counts there, and whether it records content
 * gap letters for it, is its own policy).
 *
 * ---------------------------------------------------------------------------
 * Bench mode
 * ---------------------------------------------------------------------------
 * Writes Ethernet/IPv4 frames until the file reaches SIZE_MB MiB.  A fixed
 * table of concurrent sessions (BENCH_SLOTS) is stepped in random order;
 * each step writes one packet, and a finished session is replaced by a new
 * one, so a few thousand flows are always open.  Mix of new sessions: HTTP
 * (handshake, 1-4 request/response transactions with text headers, bodies
 * from 100 bytes to 2 MB, FIN or occasionally RST), DNS over UDP (query and
 * answer, about 1 in 200 answers large and sent as 2 IPv4 fragments),
 * Modbus/TCP on 502 (read holding registers polling, some writes) and
 * DNP3 on 20000 (class 0 polls with CRC-correct link frames).  Flows still
 * open when the size is reached are left open.  Prints one summary line on
 * stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define TS_BASE_US	(1704067200ULL * 1000000ULL)
#define GOLDEN_STEP_US	1000

#define DLT_EN10MB	1
#define DLT_RAW		101
#define DLT_LINUX_SLL	113
#define DLT_LINUX_SLL2	276

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd
#define ETH_VLAN	0x8100
#define ETH_QINQ	0x88a8

#define IPP_HOPOPTS	0
#define IPP_ICMP	1
#define IPP_TCP		6
#define IPP_UDP		17
#define IPP_FRAG	44
#define IPP_ICMPV6	58

#define F_FIN	0x01
#define F_SYN	0x02
#define F_RST	0x04
#define F_PSH	0x08
#define F_ACK	0x10

#define FRAME_MAX	(70 * 1024)
#define COV_MAX		16384	/* per-direction stream bytes a golden flow may use */

static void die(const char *fmt, const char *arg)
    __attribute__((noreturn));

/* Startup-style exit: one line "pcapgen: <what> <arg>". */
static void die(const char *what, const char *arg)
{
	fprintf(stderr, "pcapgen: %s %s\n", what, arg);
	exit(1);
}

/* ------------------------------------------------------------------------ */
/* Byte helpers and checksums                                               */
/* ------------------------------------------------------------------------ */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Internet checksum (RFC 1071) over 16-bit big-endian words.  An odd
 * length pads with a zero byte, so only the last piece may be odd.
 */
static uint64_t cs_add(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t cs_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum for TCP/UDP/ICMPv6 (RFC 768, RFC 8200 8.1). */
static uint64_t cs_pseudo(int fam, const uint8_t *src, const uint8_t *dst,
    uint8_t proto, uint32_t len)
{
	uint8_t b[8];
	uint64_t sum = 0;

	if (fam == 4) {
		sum = cs_add(sum, src, 4);
		sum = cs_add(sum, dst, 4);
		b[0] = 0;
		b[1] = proto;
		put_be16(b + 2, (uint16_t)len);
		return cs_add(sum, b, 4);
	}
	sum = cs_add(sum, src, 16);
	sum = cs_add(sum, dst, 16);
	put_be32(b, len);
	b[4] = b[5] = b[6] = 0;
	b[7] = proto;
	return cs_add(sum, b, 8);
}

/* ------------------------------------------------------------------------ */
/* Capture file writer (classic pcap or pcapng), buffered                   */
/* ------------------------------------------------------------------------ */

struct pw {
	FILE *f;
	bool ng;
	uint32_t snaplen;
	uint64_t off;		/* bytes written to the file so far */
	uint8_t *buf;
	size_t len, cap;
	bool err;
};

static void pw_flush(struct pw *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->err = true;
	w->len = 0;
}

static void pw_put(struct pw *w, const void *p, size_t n)
{
	if (w->len + n > w->cap)
		pw_flush(w);
	if (n > w->cap) {
		if (fwrite(p, 1, n, w->f) != n)
			w->err = true;
	} else {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	}
	w->off += n;
}

/* Opens 'path' and writes the file header.  Dies on failure (a tool). */
static void pw_open(struct pw *w, const char *path, int dlt, uint32_t snaplen,
    bool ng, size_t bufcap)
{
	uint8_t h[28];

	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "wb");
	if (!w->f)
		die("cannot create", path);
	w->buf = malloc(bufcap);
	if (!w->buf)
		die("out of memory for", path);
	w->cap = bufcap;
	w->ng = ng;
	w->snaplen = snaplen;
	if (!ng) {
		put_le32(h, 0xa1b2c3d4);	/* microsecond timestamps */
		put_le16(h + 4, 2);
		put_le16(h + 6, 4);
		put_le32(h + 8, 0);		/* thiszone */
		put_le32(h + 12, 0);		/* sigfigs */
		put_le32(h + 16, snaplen);
		put_le32(h + 20, (uint32_t)dlt);
		pw_put(w, h, 24);
		return;
	}
	/* Section Header Block */
	put_le32(h, 0x0a0d0d0a);
	put_le32(h + 4, 28);
	put_le32(h + 8, 0x1a2b3c4d);
	put_le16(h + 12, 1);
	put_le16(h + 14, 0);
	put_le32(h + 16, 0xffffffff);		/* section length unknown */
	put_le32(h + 20, 0xffffffff);
	put_le32(h + 24, 28);
	pw_put(w, h, 28);
	/* Interface Description Block, no options: if_tsresol = 10^-6 */
	put_le32(h, 1);
	put_le32(h + 4, 20);
	put_le16(h + 8, (uint16_t)dlt);
	put_le16(h + 10, 0);
	put_le32(h + 12, snaplen);
	put_le32(h + 16, 20);
	pw_put(w, h, 20);
}

/*
 * Writes one record of a frame of 'len' wire bytes, captured up to the
 * snaplen.  With keep < caplen the record header still claims the full
 * caplen but only 'keep' data bytes follow (a file cut mid-record).
 * Returns the offset of the record's first byte.
 */
static uint64_t pw_record_cut(struct pw *w, uint64_t ts_us, const uint8_t *p,
    uint32_t len, uint32_t keep)
{
	uint64_t at = w->off;
	uint32_t cap = len < w->snaplen ? len : w->snaplen;
	uint8_t h[28];

	if (keep > cap)
		keep = cap;
	if (!w->ng) {
		put_le32(h, (uint32_t)(ts_us / 1000000));
		put_le32(h + 4, (uint32_t)(ts_us % 1000000));
		put_le32(h + 8, cap);
		put_le32(h + 12, len);
		pw_put(w, h, 16);
		pw_put(w, p, keep);
		return at;
	}
	{
		uint32_t pad = (4 - (cap & 3)) & 3;
		uint32_t total = 32 + cap + pad;
		static const uint8_t zero[4];

		put_le32(h, 6);
		put_le32(h + 4, total);
		put_le32(h + 8, 0);
		put_le32(h + 12, (uint32_t)(ts_us >> 32));
		put_le32(h + 16, (uint32_t)ts_us);
		put_le32(h + 20, cap);
		put_le32(h + 24, len);
		pw_put(w, h, 28);
		pw_put(w, p, keep);
		if (keep == cap) {
			pw_put(w, zero, pad);
			put_le32(h, total);
			pw_put(w, h, 4);
		}
	}
	return at;
}

static void pw_record(struct pw *w, uint64_t ts_us, const uint8_t *p,
    uint32_t len)
{
	(void)pw_record_cut(w, ts_us, p, len, UINT32_MAX);
}

static void pw_close(struct pw *w, const char *path)
{
	pw_flush(w);
	if (fclose(w->f) != 0)
		w->err = true;
	free(w->buf);
	w->buf = NULL;
	if (w->err)
		die("write error on", path);
}

/* ------------------------------------------------------------------------ */
/* Frame building: link header, IP header(s), transport bytes               */
/* ------------------------------------------------------------------------ */

struct link {
	int dlt;
	int nvlan;
	uint16_t tpid[2];	/* outer first */
	uint16_t vid[2];
};

struct ipspec {
	int fam;		/* 4 or 6 */
	const uint8_t *src, *dst;
	uint8_t proto;		/* upper-layer protocol */
	uint8_t ttl;
	uint32_t id;		/* IPv4 identification / IPv6 fragment id */
	bool frag;		/* this is a fragment of a larger datagram */
	uint32_t frag_off;	/* bytes, multiple of 8 */
	bool frag_mf;
	bool hbh;		/* IPv6: add an 8-byte Hop-by-Hop header */
};

/*
 * Builds one frame into out (FRAME_MAX bytes): link header, IPv4 or IPv6
 * header (plus Hop-by-Hop and Fragment headers when asked), then the n
 * transport bytes l4.  'outgoing' is the SLL packet type (sent by the
 * capturing host or not).  Returns the frame length.
 */
static size_t frame_build(uint8_t *out, const struct link *lk,
    const uint8_t *smac, const uint8_t *dmac, bool outgoing,
    const struct ipspec *ip, const uint8_t *l4, size_t n)
{
	uint16_t etype = ip->fam == 4 ? ETH_IPV4 : ETH_IPV6;
	uint8_t *p = out;
	int i;

	switch (lk->dlt) {
	case DLT_EN10MB:
		memcpy(p, dmac, 6);
		memcpy(p + 6, smac, 6);
		p += 12;
		for (i = 0; i < lk->nvlan; i++) {
			put_be16(p, lk->tpid[i]);
			put_be16(p + 2, lk->vid[i]);	/* PCP 0, DEI 0 */
			p += 4;
		}
		put_be16(p, etype);
		p += 2;
		break;
	case DLT_LINUX_SLL:
		put_be16(p, outgoing ? 4 : 0);		/* packet type */
		put_be16(p + 2, 1);			/* ARPHRD_ETHER */
		put_be16(p + 4, 6);			/* address length */
		memset(p + 6, 0, 8);
		memcpy(p + 6, smac, 6);
		put_be16(p + 14, etype);
		p += 16;
		break;
	case DLT_LINUX_SLL2:
		put_be16(p, etype);
		put_be16(p + 2, 0);			/* reserved */
		put_be32(p + 4, 2);			/* interface index */
		put_be16(p + 8, 1);			/* ARPHRD_ETHER */
		p[10] = outgoing ? 4 : 0;
		p[11] = 6;
		memset(p + 12, 0, 8);
		memcpy(p + 12, smac, 6);
		p += 20;
		break;
	default:
		break;
	}

	if (ip->fam == 4) {
		uint16_t ff = (uint16_t)(ip->frag_off / 8);

		if (ip->frag_mf)
			ff |= 0x2000;
		if (!ip->frag)
			ff = 0x4000;			/* DF on whole datagrams */
		p[0] = 0x45;
		p[1] = 0;
		put_be16(p + 2, (uint16_t)(20 + n));
		put_be16(p + 4, (uint16_t)ip->id);
		put_be16(p + 6, ff);
		p[8] = ip->ttl;
		p[9] = ip->proto;
		put_be16(p + 10, 0);
		memcpy(p + 12, ip->src, 4);
		memcpy(p + 16, ip->dst, 4);
		put_be16(p + 10, cs_fold(cs_add(0, p, 20)));
		p += 20;
	} else {
		size_t ext = (ip->hbh ? 8 : 0) + (ip->frag ? 8 : 0);
		uint8_t *e;
		uint8_t first = ip->hbh ? IPP_HOPOPTS :
		    ip->frag ? IPP_FRAG : ip->proto;

		put_be32(p, 0x60000000);
		put_be16(p + 4, (uint16_t)(ext + n));
		p[6] = first;
		p[7] = ip->ttl;
		memcpy(p + 8, ip->src, 16);
		memcpy(p + 24, ip->dst, 16);
		e = p + 40;
		if (ip->hbh) {
			/* Next Header, Hdr Ext Len 0, PadN of 4 zero bytes */
			e[0] = ip->frag ? IPP_FRAG : ip->proto;
			e[1] = 0;
			e[2] = 1;
			e[3] = 4;
			memset(e + 4, 0, 4);
			e += 8;
		}
		if (ip->frag) {
			e[0] = ip->proto;
			e[1] = 0;
			put_be16(e + 2, (uint16_t)(ip->frag_off |
			    (ip->frag_mf ? 1 : 0)));
			put_be32(e + 4, ip->id);
			e += 8;
		}
		p = e;
	}
	memcpy(p, l4, n);
	return (size_t)(p - out) + n;
}

/* TCP header (MSS option on SYNs) and payload; checksum over pseudo header. */
static size_t tcp_build(uint8_t *out, int fam, const uint8_t *src,
    const uint8_t *dst, uint16_t sport, uint16_t dport, uint32_t seq,
    uint32_t ack, uint8_t flags, const uint8_t *data, size_t n)
{
	size_t hl = (flags & F_SYN) ? 24 : 20;

	put_be16(out, sport);
	put_be16(out + 2, dport);
	put_be32(out + 4, seq);
	put_be32(out + 8, (flags & F_ACK) ? ack : 0);
	out[12] = (uint8_t)((hl / 4) << 4);
	out[13] = flags;
	put_be16(out + 14, 64240);
	put_be16(out + 16, 0);
	put_be16(out + 18, 0);
	if (hl == 24) {
		out[20] = 2;		/* MSS */
		out[21] = 4;
		put_be16(out + 22, 1460);
	}
	if (n)
		memcpy(out + hl, data, n);
	put_be16(out + 16, cs_fold(cs_add(cs_pseudo(fam, src, dst, IPP_TCP,
	    (uint32_t)(hl + n)), out, hl + n)));
	return hl + n;
}

static size_t udp_build(uint8_t *out, int fam, const uint8_t *src,
    const uint8_t *dst, uint16_t sport, uint16_t dport, const uint8_t *data,
    size_t n)
{
	uint16_t c;

	put_be16(out, sport);
	put_be16(out + 2, dport);
	put_be16(out + 4, (uint16_t)(8 + n));
	put_be16(out + 6, 0);
	memcpy(out + 8, data, n);
	c = cs_fold(cs_add(cs_pseudo(fam, src, dst, IPP_UDP, (uint32_t)(8 + n)),
	    out, 8 + n));
	put_be16(out + 6, c ? c : 0xffff);
	return 8 + n;
}

/* ICMP / ICMPv6 echo message. */
static size_t icmp_build(uint8_t *out, int fam, const uint8_t *src,
    const uint8_t *dst, uint8_t type, uint16_t id, uint16_t seq,
    const uint8_t *data, size_t n)
{
	uint64_t sum = 0;

	out[0] = type;
	out[1] = 0;
	put_be16(out + 2, 0);
	put_be16(out + 4, id);
	put_be16(out + 6, seq);
	memcpy(out + 8, data, n);
	if (fam == 6)
		sum = cs_pseudo(6, src, dst, IPP_ICMPV6, (uint32_t)(8 + n));
	put_be16(out + 2, cs_fold(cs_add(sum, out, 8 + n)));
	return 8 + n;
}

/* ------------------------------------------------------------------------ */
/* Application payload builders (shared by golden and bench)                */
/* ------------------------------------------------------------------------ */

/* DNS message with one question (RFC 1035 4.1); answer A/AAAA if 'ans'. */
static size_t dns_build(uint8_t *out, uint16_t id, const char *name,
    uint16_t qtype, bool ans, const uint8_t *addr, size_t extra_txt)
{
	uint8_t *p = out;
	const char *s = name;

	put_be16(p, id);
	put_be16(p + 2, ans ? 0x8180 : 0x0100);
	put_be16(p + 4, 1);
	put_be16(p + 6, ans ? 1 : 0);
	put_be16(p + 8, 0);
	put_be16(p + 10, 0);
	p += 12;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		*p++ = (uint8_t)l;
		memcpy(p, s, l);
		p += l;
		s += l;
		if (*s == '.')
			s++;
	}
	*p++ = 0;
	put_be16(p, qtype);
	put_be16(p + 2, 1);
	p += 4;
	if (ans) {
		size_t rdlen = qtype == 28 ? 16 : 4;

		if (qtype == 16)
			rdlen = extra_txt;
		put_be16(p, 0xc00c);		/* pointer to the question name */
		put_be16(p + 2, qtype);
		put_be16(p + 4, 1);
		put_be32(p + 6, 300);
		put_be16(p + 10, (uint16_t)rdlen);
		p += 12;
		if (qtype == 16) {
			/* TXT: strings of up to 255 bytes filling rdlen */
			size_t left = rdlen;

			while (left) {
				size_t l = left - 1 > 255 ? 255 : left - 1;

				*p++ = (uint8_t)l;
				memset(p, 'x', l);
				p += l;
				left -= l + 1;
			}
		} else {
			memcpy(p, addr, rdlen);
			p += rdlen;
		}
	}
	return (size_t)(p - out);
}

/* Modbus/TCP read holding registers request: MBAP (7) + fc, addr, qty. */
static size_t modbus_req(uint8_t *out, uint16_t tid, uint8_t unit, uint8_t fc,
    uint16_t addr, uint16_t qty)
{
	put_be16(out, tid);
	put_be16(out + 2, 0);
	put_be16(out + 4, 6);
	out[6] = unit;
	out[7] = fc;
	put_be16(out + 8, addr);
	put_be16(out + 10, qty);
	return 12;
}

/* ------------------------------------------------------------------------ */
/* Expected facts                                                           */
/* ------------------------------------------------------------------------ */

enum { TO_SERVER = 0, TO_CLIENT = 1 };

struct fact {
	char src_ip[INET6_ADDRSTRLEN], dest_ip[INET6_ADDRSTRLEN];
	uint16_t src_port, dest_port;
	const char *proto;
	int nvlan;
	uint16_t vlan[2];
	uint64_t pkts[2], bytes[2];
	const char *state, *history;	/* NULL = key left out */
	bool is_tcp;
	bool no_payload;		/* leave out missed_bytes and payload_* */
	uint64_t missed;
	uint64_t payload[2];
};

struct anom_fact {
	const char *name;
	unsigned count;
};

static void fact_write(FILE *f, const struct fact *ft)
{
	int i;

	fprintf(f, "{\"src_ip\":\"%s\",\"src_port\":%u,\"dest_ip\":\"%s\","
	    "\"dest_port\":%u,\"proto\":\"%s\"", ft->src_ip, ft->src_port,
	    ft->dest_ip, ft->dest_port, ft->proto);
	if (ft->nvlan) {
		fprintf(f, ",\"vlan\":[");
		for (i = 0; i < ft->nvlan; i++)
			fprintf(f, "%s%u", i ? "," : "", ft->vlan[i]);
		fprintf(f, "]");
	}
	fprintf(f, ",\"pkts_toserver\":%llu,\"pkts_toclient\":%llu,"
	    "\"bytes_toserver\":%llu,\"bytes_toclient\":%llu",
	    (unsigned long long)ft->pkts[0], (unsigned long long)ft->pkts[1],
	    (unsigned long long)ft->bytes[0], (unsigned long long)ft->bytes[1]);
	if (ft->is_tcp && ft->state)
		fprintf(f, ",\"state\":\"%s\"", ft->state);
	if (ft->is_tcp && ft->history)
		fprintf(f, ",\"history\":\"%s\"", ft->history);
	if (!ft->no_payload)
		fprintf(f, ",\"missed_bytes\":%llu",
		    (unsigned long long)ft->missed);
	if (ft->is_tcp && !ft->no_payload)
		fprintf(f, ",\"payload_toserver\":%llu,\"payload_toclient\":%llu",
		    (unsigned long long)ft->payload[0],
		    (unsigned long long)ft->payload[1]);
	fprintf(f, "}\n");
}

/* ------------------------------------------------------------------------ */
/* Golden flows: one endpoint pair, counters, TCP sequence model            */
/* ------------------------------------------------------------------------ */

struct gctx {
	struct pw *w;
	uint64_t ts_us;
	/* when cut_keep != 0 the next frame is written cut to cut_keep bytes */
	uint32_t cut_keep;
	uint64_t cut_at;
};

struct gflow {
	struct fact ft;
	int fam;
	uint8_t ip[2][16];		/* [0] client, [1] server */
	uint8_t mac[2][6];
	uint16_t port[2];
	uint8_t l4proto;
	struct link lk;
	bool hbh[2];			/* IPv6 Hop-by-Hop on packets from side */
	uint16_t ipid[2];
	/* TCP model */
	uint32_t nxt[2];		/* next sequence number per side */
	bool based[2];
	uint32_t base[2];		/* sequence number of stream byte 0 */
	uint32_t end[2];		/* stream end (data or FIN), relative */
	uint8_t cov[2][COV_MAX];	/* 1 = stream byte seen */
};

static const uint8_t mac_cli[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_srv[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static struct link link_eth(void)
{
	struct link lk = { .dlt = DLT_EN10MB };

	return lk;
}

static void parse_ip(const char *s, int *fam, uint8_t *out)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*fam = 4;
		return;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*fam = 6;
		return;
	}
	die("bad address", s);
}

/*
 * Sets up a flow between client cip:cport and server sip:sport.  For ICMP
 * the "ports" are the fact's type/counterpart numbers.  ISNs are fixed per
 * flow from 'isn_seed' so files are reproducible.
 */
static void gflow_init(struct gflow *f, const struct link *lk, uint8_t proto,
    const char *cip, uint16_t cport, const char *sip, uint16_t sport,
    uint32_t isn_seed)
{
	int fam2;

	memset(f, 0, sizeof(*f));
	parse_ip(cip, &f->fam, f->ip[0]);
	parse_ip(sip, &fam2, f->ip[1]);
	if (fam2 != f->fam)
		die("address families differ for", cip);
	memcpy(f->mac[0], mac_cli, 6);
	memcpy(f->mac[1], mac_srv, 6);
	f->port[0] = cport;
	f->port[1] = sport;
	f->l4proto = proto;
	f->lk = *lk;
	f->ipid[0] = (uint16_t)(0x1000 + isn_seed);
	f->ipid[1] = (uint16_t)(0x8000 + isn_seed);
	f->nxt[0] = 0x10000000u + isn_seed * 0x01010101u;
	f->nxt[1] = 0xa0000000u + isn_seed * 0x00110011u;

	inet_ntop(f->fam == 4 ? AF_INET : AF_INET6, f->ip[0], f->ft.src_ip,
	    sizeof(f->ft.src_ip));
	inet_ntop(f->fam == 4 ? AF_INET : AF_INET6, f->ip[1], f->ft.dest_ip,
	    sizeof(f->ft.dest_ip));
	f->ft.src_port = cport;
	f->ft.dest_port = sport;
	f->ft.is_tcp = proto == IPP_TCP;
	f->ft.proto = proto == IPP_TCP ? "TCP" : proto == IPP_UDP ? "UDP" :
	    proto == IPP_ICMP ? "ICMP" : "IPv6-ICMP";
	if (lk->dlt == DLT_EN10MB && lk->nvlan) {
		f->ft.nvlan = lk->nvlan;
		memcpy(f->ft.vlan, lk->vid, sizeof(f->ft.vlan));
	}
}

/*
 * Writes one frame of the flow from side 'dir' carrying l4[0..n) (or a
 * fragment of it) and counts it into the facts.
 */
static void g_emit(struct gctx *g, struct gflow *f, int dir,
    const struct ipspec *ip, const uint8_t *l4, size_t n)
{
	static uint8_t frame[FRAME_MAX];
	size_t len = frame_build(frame, &f->lk, f->mac[dir], f->mac[!dir],
	    dir == TO_SERVER, ip, l4, n);

	if (g->cut_keep) {
		/* The cut record is not a flow packet: nothing is counted. */
		g->cut_at = pw_record_cut(g->w, g->ts_us, frame, (uint32_t)len,
		    g->cut_keep);
		g->cut_keep = 0;
	} else {
		pw_record(g->w, g->ts_us, frame, (uint32_t)len);
		f->ft.pkts[dir]++;
		f->ft.bytes[dir] += len;
	}
	g->ts_us += GOLDEN_STEP_US;
}

static struct ipspec g_ipspec(struct gflow *f, int dir, uint8_t proto)
{
	struct ipspec ip = {
		.fam = f->fam, .src = f->ip[dir], .dst = f->ip[!dir],
		.proto = proto, .ttl = 64, .id = f->ipid[dir]++,
		.hbh = f->hbh[dir],
	};

	return ip;
}

/* A whole (unfragmented) transport message from side dir. */
static void g_send_l4(struct gctx *g, struct gflow *f, int dir,
    const uint8_t *l4, size_t n)
{
	struct ipspec ip = g_ipspec(f, dir, f->l4proto);

	g_emit(g, f, dir, &ip, l4, n);
}

/*
 * TCP segment from side dir at stream offset 'rel' (relative to the
 * stream's byte 0; ignored for SYN, which always uses the ISN).  The ACK
 * number is the other side's next sequence number.  Updates the sequence
 * model: marks payload bytes, moves nxt and the stream end forward.
 */
static void g_tcp_at(struct gctx *g, struct gflow *f, int dir, uint32_t rel,
    uint8_t flags, const void *data, size_t n)
{
	uint8_t l4[FRAME_MAX];
	uint32_t seq, seglen, i;
	size_t len;

	if (flags & F_SYN) {
		seq = f->nxt[dir];
		if (!f->based[dir]) {
			f->base[dir] = seq + 1;
			f->based[dir] = true;
		}
		rel = 0;
	} else {
		if (!f->based[dir]) {
			/* mid-stream: the first segment is stream byte 0 */
			f->base[dir] = f->nxt[dir] - rel;
			f->based[dir] = true;
		}
		seq = f->base[dir] + rel;
	}
	len = tcp_build(l4, f->fam, f->ip[dir], f->ip[!dir], f->port[dir],
	    f->port[!dir], seq, f->nxt[!dir], flags, data, n);

	seglen = (uint32_t)n + ((flags & F_SYN) ? 1 : 0) +
	    ((flags & F_FIN) ? 1 : 0);
	if (flags & F_RST)
		seglen = 0;
	if (!(flags & F_RST)) {
		if (n && rel + n > COV_MAX)
			die("golden flow too long", f->ft.src_ip);
		for (i = 0; i < n; i++)
			f->cov[dir][rel + i] = 1;
		/* a FIN sits right after its data: the end either way */
		if ((n || (flags & F_FIN)) && rel + n > f->end[dir])
			f->end[dir] = rel + (uint32_t)n;
		if ((int32_t)(seq + seglen - f->nxt[dir]) > 0)
			f->nxt[dir] = seq + seglen;
	}
	g_send_l4(g, f, dir, l4, len);
}

/* Next segment from side dir, right after what it sent so far. */
static void g_tcp(struct gctx *g, struct gflow *f, int dir, uint8_t flags,
    const void *data, size_t n)
{
	uint32_t rel = f->based[dir] ? f->nxt[dir] - f->base[dir] : 0;

	g_tcp_at(g, f, dir, rel, flags, data, n);
}

/* Fills in missed_bytes and payload_* from the sequence model. */
static void gflow_finish(struct gflow *f)
{
	int d;
	uint32_t i;

	if (f->l4proto != IPP_TCP)
		return;
	f->ft.missed = 0;
	for (d = 0; d < 2; d++) {
		uint64_t got = 0;

		for (i = 0; i < f->end[d]; i++)
			got += f->cov[d][i];
		f->ft.payload[d] = got;
		f->ft.missed += f->end[d] - got;
	}
}

/* A UDP datagram from side dir, unfragmented. */
static void g_udp(struct gctx *g, struct gflow *f, int dir, const void *data,
    size_t n)
{
	uint8_t l4[FRAME_MAX];
	size_t len = udp_build(l4, f->fam, f->ip[dir], f->ip[!dir],
	    f->port[dir], f->port[!dir], data, n);

	g_send_l4(g, f, dir, l4, len);
}

/*
 * A UDP datagram from side dir cut into IP fragments of 'fsz' bytes of
 * fragmentable part (a multiple of 8), written in the order given by
 * order[0..nfrag) (indexes of fragments).  The UDP checksum covers the
 * whole datagram, as a sender computes it before fragmenting.
 */
static void g_udp_frag(struct gctx *g, struct gflow *f, int dir,
    const void *data, size_t n, size_t fsz, const int *order, int nfrag)
{
	uint8_t l4[FRAME_MAX];
	size_t len = udp_build(l4, f->fam, f->ip[dir], f->ip[!dir],
	    f->port[dir], f->port[!dir], data, n);
	struct ipspec ip = g_ipspec(f, dir, IPP_UDP);
	int i;

	if ((len + fsz - 1) / fsz != (size_t)nfrag)
		die("fragment count mismatch", f->ft.src_ip);
	if (f->fam == 6)
		ip.id = 0x5a000000u | ip.id;
	for (i = 0; i < nfrag; i++) {
		size_t off = (size_t)order[i] * fsz;
		size_t part = len - off < fsz ? len - off : fsz;

		ip.frag = true;
		ip.frag_off = (uint32_t)off;
		ip.frag_mf = off + part < len;
		g_emit(g, f, dir, &ip, l4 + off, part);
	}
}

/* An ICMP or ICMPv6 echo message from side dir. */
static void g_icmp(struct gctx *g, struct gflow *f, int dir, uint8_t type,
    uint16_t id, uint16_t seq, const void *data, size_t n)
{
	uint8_t l4[FRAME_MAX];
	size_t len = icmp_build(l4, f->fam, f->ip[dir], f->ip[!dir], type, id,
	    seq, data, n);

	g_send_l4(g, f, dir, l4, len);
}

/* ------------------------------------------------------------------------ */
/* Golden cases                                                             */
/* ------------------------------------------------------------------------ */

static const char http_req[] =
	"GET /index.html HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: pcapgen/1.0\r\n"
	"Accept: */*\r\n"
	"\r\n";

static const char http_resp[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/html\r\n"
	"Content-Length: 45\r\n"
	"\r\n"
	"<html><body>hello from pcapgen</body></html>\n";

_Static_assert(sizeof("<html><body>hello from pcapgen</body></html>\n") - 1
    == 45, "Content-Length of http_resp");

#define REQ_LEN (sizeof(http_req) - 1)
#define RESP_LEN (sizeof(http_resp) - 1)

/*
 * Step k (0..9) of the standard exchange, history ShADadFf, state SF:
 *   0 C SYN  1 S SYN+ACK  2 C ACK  3 C request  4 S ACK  5 S response
 *   6 C ACK  7 C FIN+ACK  8 S FIN+ACK  9 C ACK
 */
static void sf_step(struct gctx *g, struct gflow *f, int k)
{
	switch (k) {
	case 0: g_tcp(g, f, TO_SERVER, F_SYN, NULL, 0); break;
	case 1: g_tcp(g, f, TO_CLIENT, F_SYN | F_ACK, NULL, 0); break;
	case 2: g_tcp(g, f, TO_SERVER, F_ACK, NULL, 0); break;
	case 3: g_tcp(g, f, TO_SERVER, F_PSH | F_ACK, http_req, REQ_LEN); break;
	case 4: g_tcp(g, f, TO_CLIENT, F_ACK, NULL, 0); break;
	case 5: g_tcp(g, f, TO_CLIENT, F_PSH | F_ACK, http_resp, RESP_LEN); break;
	case 6: g_tcp(g, f, TO_SERVER, F_ACK, NULL, 0); break;
	case 7: g_tcp(g, f, TO_SERVER, F_FIN | F_ACK, NULL, 0); break;
	case 8: g_tcp(g, f, TO_CLIENT, F_FIN | F_ACK, NULL, 0); break;
	case 9: g_tcp(g, f, TO_SERVER, F_ACK, NULL, 0); break;
	default: break;
	}
}

static void sf_all(struct gctx *g, struct gflow *f)
{
	int k;

	for (k = 0; k < 10; k++)
		sf_step(g, f, k);
	f->ft.state = "SF";
	f->ft.history = "ShADadFf";
}

/* The rest of a connection after the client's data: ShA..D already seen. */
static void finish_after_request(struct gctx *g, struct gflow *f)
{
	g_tcp(g, f, TO_CLIENT, F_ACK, NULL, 0);
	g_tcp(g, f, TO_CLIENT, F_PSH | F_ACK, http_resp, RESP_LEN);
	g_tcp(g, f, TO_SERVER, F_ACK, NULL, 0);
	g_tcp(g, f, TO_SERVER, F_FIN | F_ACK, NULL, 0);
	g_tcp(g, f, TO_CLIENT, F_FIN | F_ACK, NULL, 0);
	g_tcp(g, f, TO_SERVER, F_ACK, NULL, 0);
}

static void handshake(struct gctx *g, struct gflow *f)
{
	sf_step(g, f, 0);
	sf_step(g, f, 1);
	sf_step(g, f, 2);
}

struct golden {
	const char *outdir;
	char path[4096];
	struct pw w;
	struct gctx g;
};

static const char *out_path(struct golden *c, const char *name,
    const char *suffix)
{
	if ((size_t)snprintf(c->path, sizeof(c->path), "%s/%s%s", c->outdir,
	    name, suffix) >= sizeof(c->path))
		die("path too long under", c->outdir);
	return c->path;
}

static void cap_begin(struct golden *c, const char *file, int dlt,
    uint32_t snaplen, bool ng)
{
	pw_open(&c->w, out_path(c, file, ".pcap"), dlt, snaplen, ng, 1 << 16);
	c->g.w = &c->w;
}

static void cap_end(struct golden *c)
{
	pw_close(&c->w, c->path);
}

/* Writes <name>.facts.jsonl: finished flows, then anomaly lines. */
static void facts_write(struct golden *c, const char *name,
    struct gflow *const *flows, int nflows, const struct anom_fact *an,
    int nan)
{
	FILE *f = fopen(out_path(c, name, ".facts.jsonl"), "w");
	int i;

	if (!f)
		die("cannot create", c->path);
	for (i = 0; i < nflows; i++) {
		gflow_finish(flows[i]);
		fact_write(f, &flows[i]->ft);
	}
	for (i = 0; i < nan; i++)
		fprintf(f, "{\"anomaly\":\"%s\",\"count\":%u}\n", an[i].name,
		    an[i].count);
	if (fclose(f) != 0)
		die("write error on", c->path);
}

static const struct anom_fact no_overlap_diff = {
	"stream.overlap_different_data", 0
};

static struct gflow fa, fb;	/* big (byte maps): kept out of the stack */

/* Case with one TCP flow doing the standard exchange on some link type. */
static void one_sf_case(struct golden *c, const char *name, int dlt, bool ng,
    uint16_t cport)
{
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };

	lk.dlt = dlt;
	cap_begin(c, name, dlt, 65535, ng);
	gflow_init(&fa, &lk, IPP_TCP, "10.0.0.1", cport, "10.0.0.2", 80,
	    cport);
	sf_all(&c->g, &fa);
	cap_end(c);
	facts_write(c, name, fl, 1, NULL, 0);
}

static void case_tcp_sf(struct golden *c)
{
	one_sf_case(c, "tcp_sf", DLT_EN10MB, false, 40001);
}

static void case_tcp_sf_pcapng(struct golden *c)
{
	one_sf_case(c, "tcp_sf_pcapng", DLT_EN10MB, true, 40022);
}

static void case_linktype_sll(struct golden *c)
{
	one_sf_case(c, "linktype_sll", DLT_LINUX_SLL, false, 40015);
}

static void case_linktype_sll2(struct golden *c)
{
	one_sf_case(c, "linktype_sll2", DLT_LINUX_SLL2, false, 40015);
}

static void case_linktype_raw(struct golden *c)
{
	one_sf_case(c, "linktype_raw", DLT_RAW, false, 40015);
}

/* Starts a one-TCP-flow case on Ethernet; the caller writes the packets. */
static struct gflow *tcp_case_begin(struct golden *c, const char *name,
    uint16_t cport)
{
	struct link lk = link_eth();

	cap_begin(c, name, DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_TCP, "10.0.0.1", cport, "10.0.0.2", 80,
	    cport);
	return &fa;
}

static void tcp_case_end(struct golden *c, const char *name,
    const char *state, const char *history, const struct anom_fact *an,
    int nan)
{
	struct gflow *fl[1] = { &fa };

	fa.ft.state = state;
	fa.ft.history = history;
	cap_end(c);
	facts_write(c, name, fl, 1, an, nan);
}

/* SYN, then RST+ACK from the responder. */
static void case_tcp_rej(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_rej", 40002);

	g_tcp(&c->g, f, TO_SERVER, F_SYN, NULL, 0);
	g_tcp(&c->g, f, TO_CLIENT, F_RST | F_ACK, NULL, 0);
	tcp_case_end(c, "tcp_rej", "REJ", "Sr", NULL, 0);
}

/* A lone SYN. */
static void case_tcp_s0(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_s0", 40003);

	g_tcp(&c->g, f, TO_SERVER, F_SYN, NULL, 0);
	tcp_case_end(c, "tcp_s0", "S0", "S", NULL, 0);
}

/* SYN, then a FIN (no ACK: nothing to acknowledge) from the originator. */
static void case_tcp_sh(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_sh", 40023);

	g_tcp(&c->g, f, TO_SERVER, F_SYN, NULL, 0);
	g_tcp(&c->g, f, TO_SERVER, F_FIN, NULL, 0);
	tcp_case_end(c, "tcp_sh", "SH", "SF", NULL, 0);
}

/* Established, request, response, then the originator aborts. */
static void case_tcp_rsto(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_rsto", 40004);

	handshake(&c->g, f);
	g_tcp(&c->g, f, TO_SERVER, F_PSH | F_ACK, http_req, REQ_LEN);
	g_tcp(&c->g, f, TO_CLIENT, F_PSH | F_ACK, http_resp, RESP_LEN);
	g_tcp(&c->g, f, TO_SERVER, F_RST | F_ACK, NULL, 0);
	tcp_case_end(c, "tcp_rsto", "RSTO", "ShADdR", NULL, 0);
}

/* Established, request, response, client ACK, then the responder aborts. */
static void case_tcp_rstr(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_rstr", 40024);

	handshake(&c->g, f);
	g_tcp(&c->g, f, TO_SERVER, F_PSH | F_ACK, http_req, REQ_LEN);
	g_tcp(&c->g, f, TO_CLIENT, F_PSH | F_ACK, http_resp, RESP_LEN);
	g_tcp(&c->g, f, TO_SERVER, F_ACK, NULL, 0);
	g_tcp(&c->g, f, TO_CLIENT, F_RST | F_ACK, NULL, 0);
	tcp_case_end(c, "tcp_rstr", "RSTR", "ShADdr", NULL, 0);
}

/* No handshake: data both ways, twice, with client ACKs.  History DdA. */
static void case_tcp_midstream(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_midstream", 40005);
	int i;

	for (i = 0; i < 2; i++) {
		g_tcp(&c->g, f, TO_SERVER, F_PSH | F_ACK, http_req, REQ_LEN);
		g_tcp(&c->g, f, TO_CLIENT, F_PSH | F_ACK, http_resp, RESP_LEN);
		g_tcp(&c->g, f, TO_SERVER, F_ACK, NULL, 0);
	}
	tcp_case_end(c, "tcp_midstream", "OTH", "DdA", NULL, 0);
}

/* The request is sent twice with identical bytes: T, payload counted once. */
static void case_tcp_retrans(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_retrans", 40006);

	handshake(&c->g, f);
	g_tcp_at(&c->g, f, TO_SERVER, 0, F_PSH | F_ACK, http_req, REQ_LEN);
	g_tcp_at(&c->g, f, TO_SERVER, 0, F_PSH | F_ACK, http_req, REQ_LEN);
	finish_after_request(&c->g, f);
	tcp_case_end(c, "tcp_retrans", "SF", "ShADTadFf", &no_overlap_diff, 1);
}

/*
 * The request in 3 segments sent A, C, C (duplicate while C is still held
 * out of order), B; the response in 2 segments sent second one first.
 * Zeek: D at A; T at the duplicate C (its end does not pass the highest
 * seq); a at the server ACK; d at the late-first segment; t at the
 * earlier one.
 */
static void case_tcp_ooo(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_ooo", 40007);
	const uint32_t a = 20, b = 30, r1 = 40;

	handshake(&c->g, f);
	g_tcp_at(&c->g, f, TO_SERVER, 0, F_PSH | F_ACK, http_req, a);
	g_tcp_at(&c->g, f, TO_SERVER, a + b, F_PSH | F_ACK, http_req + a + b,
	    REQ_LEN - a - b);
	g_tcp_at(&c->g, f, TO_SERVER, a + b, F_PSH | F_ACK, http_req + a + b,
	    REQ_LEN - a - b);
	g_tcp_at(&c->g, f, TO_SERVER, a, F_PSH | F_ACK, http_req + a, b);
	g_tcp(&c->g, f, TO_CLIENT, F_ACK, NULL, 0);
	g_tcp_at(&c->g, f, TO_CLIENT, r1, F_PSH | F_ACK, http_resp + r1,
	    RESP_LEN - r1);
	g_tcp_at(&c->g, f, TO_CLIENT, 0, F_PSH | F_ACK, http_resp, r1);
	g_tcp(&c->g, f, TO_SERVER, F_ACK, NULL, 0);
	g_tcp(&c->g, f, TO_SERVER, F_FIN | F_ACK, NULL, 0);
	g_tcp(&c->g, f, TO_CLIENT, F_FIN | F_ACK, NULL, 0);
	g_tcp(&c->g, f, TO_SERVER, F_ACK, NULL, 0);
	tcp_case_end(c, "tcp_ooo", "SF", "ShADTadtFf", &no_overlap_diff, 1);
}

/*
 * The request in 3 segments; the middle one (30 bytes) is never written,
 * though the server acknowledges it (lost by the capture, not the
 * network).  missed_bytes = 30.
 */
static void case_tcp_lost(struct golden *c)
{
	struct gflow *f = tcp_case_begin(c, "tcp_lost", 40008);
	const uint32_t a = 20, b = 30;

	handshake(&c->g, f);
	g_tcp_at(&c->g, f, TO_SERVER, 0, F_PSH | F_ACK, http_req, a);
	g_tcp_at(&c->g, f, TO_SERVER, a + b, F_PSH | F_ACK, http_req + a + b,
	    REQ_LEN - a - b);
	finish_after_request(&c->g, f);
	tcp_case_end(c, "tcp_lost", "SF", NULL, NULL, 0);
}

/* Same seq and length as the request, other bytes: one overlap anomaly. */
static void case_tcp_overlap_diff(struct golden *c)
{
	static const struct anom_fact an = {
		"stream.overlap_different_data", 1
	};
	struct gflow *f = tcp_case_begin(c, "tcp_overlap_diff", 40009);
	char other[sizeof(http_req)];

	memcpy(other, http_req, sizeof(other));
	memcpy(other + 5, "evil", 4);		/* "GET /evil.html ..." */
	handshake(&c->g, f);
	g_tcp_at(&c->g, f, TO_SERVER, 0, F_PSH | F_ACK, http_req, REQ_LEN);
	g_tcp_at(&c->g, f, TO_SERVER, 0, F_PSH | F_ACK, other, REQ_LEN);
	finish_after_request(&c->g, f);
	tcp_case_end(c, "tcp_overlap_diff", "SF", "ShADTadFf", &an, 1);
}

/* Two SF flows, same 5-tuple, VLAN 100 and 200, packets interleaved. */
static void case_vlan(struct golden *c)
{
	struct link l1 = { .dlt = DLT_EN10MB, .nvlan = 1,
	    .tpid = { ETH_VLAN }, .vid = { 100 } };
	struct link l2 = l1;
	struct gflow *fl[2] = { &fa, &fb };
	int k;

	l2.vid[0] = 200;
	cap_begin(c, "vlan", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &l1, IPP_TCP, "10.0.0.1", 40010, "10.0.0.2", 80, 10);
	gflow_init(&fb, &l2, IPP_TCP, "10.0.0.1", 40010, "10.0.0.2", 80, 11);
	for (k = 0; k < 10; k++) {
		sf_step(&c->g, &fa, k);
		sf_step(&c->g, &fb, k);
	}
	fa.ft.state = fb.ft.state = "SF";
	fa.ft.history = fb.ft.history = "ShADadFf";
	cap_end(c);
	facts_write(c, "vlan", fl, 2, NULL, 0);
}

/* One SF flow in 802.1ad outer VLAN 10 (0x88a8) + 802.1Q inner VLAN 20. */
static void case_qinq(struct golden *c)
{
	struct link lk = { .dlt = DLT_EN10MB, .nvlan = 2,
	    .tpid = { ETH_QINQ, ETH_VLAN }, .vid = { 10, 20 } };
	struct gflow *fl[1] = { &fa };

	cap_begin(c, "qinq", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_TCP, "10.0.0.1", 40011, "10.0.0.2", 80, 12);
	sf_all(&c->g, &fa);
	cap_end(c);
	facts_write(c, "qinq", fl, 1, NULL, 0);
}

static void fill_pattern(uint8_t *p, size_t n, uint8_t salt)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + (i * 7 + salt) % 26);
}

/*
 * A 3000-byte UDP datagram (2992 payload) client->server in fragments of
 * 1480, 1480, 40 bytes, in order; the reply the same size, fragments
 * written in the order 3rd, 1st, 2nd.
 */
static void case_ipv4_frag(struct golden *c)
{
	static const int in_order[3] = { 0, 1, 2 };
	static const int shuffled[3] = { 2, 0, 1 };
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };
	uint8_t data[2992];

	cap_begin(c, "ipv4_frag", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_UDP, "10.0.0.1", 40012, "10.0.0.2", 5000, 13);
	fill_pattern(data, sizeof(data), 1);
	g_udp_frag(&c->g, &fa, TO_SERVER, data, sizeof(data), 1480, in_order, 3);
	fill_pattern(data, sizeof(data), 2);
	g_udp_frag(&c->g, &fa, TO_CLIENT, data, sizeof(data), 1480, shuffled, 3);
	cap_end(c);
	facts_write(c, "ipv4_frag", fl, 1, NULL, 0);
}

/* SF over IPv6; the client's packets carry a Hop-by-Hop header. */
static void case_ipv6(struct golden *c)
{
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };

	cap_begin(c, "ipv6", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_TCP, "2001:db8::1", 40013, "2001:db8::2", 80,
	    14);
	fa.hbh[TO_SERVER] = true;
	sf_all(&c->g, &fa);
	cap_end(c);
	facts_write(c, "ipv6", fl, 1, NULL, 0);
}

/*
 * A 3000-byte UDP datagram over IPv6 in 3 fragments (1448, 1448, 104
 * bytes of fragmentable part, Fragment header), then a 100-byte reply.
 */
static void case_ipv6_frag(struct golden *c)
{
	static const int in_order[3] = { 0, 1, 2 };
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };
	uint8_t data[2992];

	cap_begin(c, "ipv6_frag", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_UDP, "2001:db8::1", 40014, "2001:db8::2",
	    5001, 15);
	fill_pattern(data, sizeof(data), 3);
	g_udp_frag(&c->g, &fa, TO_SERVER, data, sizeof(data), 1448, in_order, 3);
	g_udp(&c->g, &fa, TO_CLIENT, data, 100);
	cap_end(c);
	facts_write(c, "ipv6_frag", fl, 1, NULL, 0);
}

static const uint8_t addr_a[4] = { 93, 184, 216, 34 };
static const uint8_t addr_aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0x12, 0x34 };

static void dns_send(struct gctx *g, struct gflow *f, int dir, uint16_t id,
    uint16_t qtype)
{
	uint8_t m[512];
	size_t n = dns_build(m, id, "www.example.com", qtype, dir == TO_CLIENT,
	    qtype == 28 ? addr_aaaa : addr_a, 0);

	g_udp(g, f, dir, m, n);
}

/* Two DNS query/answer pairs, client port 40000. */
static void case_udp_dns_like(struct golden *c)
{
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };

	cap_begin(c, "udp_dns_like", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_UDP, "10.0.0.1", 40000, "10.0.0.53", 53, 16);
	dns_send(&c->g, &fa, TO_SERVER, 0x1111, 1);
	dns_send(&c->g, &fa, TO_CLIENT, 0x1111, 1);
	dns_send(&c->g, &fa, TO_SERVER, 0x2222, 28);
	dns_send(&c->g, &fa, TO_CLIENT, 0x2222, 28);
	cap_end(c);
	facts_write(c, "udp_dns_like", fl, 1, NULL, 0);
}

/* An answer from port 53 comes first, then a query and its answer. */
static void case_udp_reply_first(struct golden *c)
{
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };

	cap_begin(c, "udp_reply_first", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_UDP, "10.0.0.1", 40001, "10.0.0.53", 53, 17);
	dns_send(&c->g, &fa, TO_CLIENT, 0x3333, 1);
	dns_send(&c->g, &fa, TO_SERVER, 0x4444, 1);
	dns_send(&c->g, &fa, TO_CLIENT, 0x4444, 1);
	cap_end(c);
	facts_write(c, "udp_reply_first", fl, 1, NULL, 0);
}

/* Two echo request/reply pairs, one id.  Ports: 8 and 0 (Zeek). */
static void case_icmp(struct golden *c)
{
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };
	uint8_t data[56];
	uint16_t s;

	fill_pattern(data, sizeof(data), 4);
	cap_begin(c, "icmp", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_ICMP, "10.0.0.1", 8, "10.0.0.2", 0, 18);
	for (s = 1; s <= 2; s++) {
		g_icmp(&c->g, &fa, TO_SERVER, 8, 0x42, s, data, sizeof(data));
		g_icmp(&c->g, &fa, TO_CLIENT, 0, 0x42, s, data, sizeof(data));
	}
	cap_end(c);
	facts_write(c, "icmp", fl, 1, NULL, 0);
}

/* ICMPv6 echo: ports 128 and 129 (Zeek), proto IPv6-ICMP. */
static void case_icmp6(struct golden *c)
{
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };
	uint8_t data[56];
	uint16_t s;

	fill_pattern(data, sizeof(data), 5);
	cap_begin(c, "icmp6", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_ICMPV6, "2001:db8::1", 128, "2001:db8::2",
	    129, 19);
	for (s = 1; s <= 2; s++) {
		g_icmp(&c->g, &fa, TO_SERVER, 128, 0x43, s, data, sizeof(data));
		g_icmp(&c->g, &fa, TO_CLIENT, 129, 0x43, s, data, sizeof(data));
	}
	cap_end(c);
	facts_write(c, "icmp6", fl, 1, NULL, 0);
}

/* One SF flow: steps 0-4 in part 1, steps 5-9 one second later in part 2. */
static void case_multi_file(struct golden *c)
{
	struct link lk = link_eth();
	struct gflow *fl[1] = { &fa };
	FILE *f;
	int k;

	gflow_init(&fa, &lk, IPP_TCP, "10.0.0.1", 40016, "10.0.0.2", 80, 20);
	cap_begin(c, "multi_file_part1", DLT_EN10MB, 65535, false);
	for (k = 0; k < 5; k++)
		sf_step(&c->g, &fa, k);
	cap_end(c);
	c->g.ts_us += 1000000;
	cap_begin(c, "multi_file_part2", DLT_EN10MB, 65535, false);
	for (k = 5; k < 10; k++)
		sf_step(&c->g, &fa, k);
	cap_end(c);
	fa.ft.state = "SF";
	fa.ft.history = "ShADadFf";
	facts_write(c, "multi_file", fl, 1, NULL, 0);
	f = fopen(out_path(c, "multi_file", ".files"), "w");
	if (!f || fprintf(f, "multi_file_part1.pcap\nmulti_file_part2.pcap\n")
	    < 0 || fclose(f) != 0)
		die("cannot write", c->path);
}

/*
 * An SF flow and a DNS pair, then a query of a third flow whose record is
 * cut after half of its data.  truncated.offset = offset of that record.
 */
static void case_truncated(struct golden *c)
{
	static struct gflow fc;
	struct link lk = link_eth();
	struct gflow *fl[2] = { &fa, &fb };
	uint8_t m[512];
	size_t n;
	FILE *f;

	cap_begin(c, "truncated", DLT_EN10MB, 65535, false);
	gflow_init(&fa, &lk, IPP_TCP, "10.0.0.1", 40017, "10.0.0.2", 80, 21);
	gflow_init(&fb, &lk, IPP_UDP, "10.0.0.1", 40018, "10.0.0.53", 53, 22);
	gflow_init(&fc, &lk, IPP_UDP, "10.0.0.1", 40019, "10.0.0.53", 53, 23);
	sf_all(&c->g, &fa);
	dns_send(&c->g, &fb, TO_SERVER, 0x5555, 1);
	dns_send(&c->g, &fb, TO_CLIENT, 0x5555, 1);
	n = dns_build(m, 0x6666, "www.example.com", 1, false, addr_a, 0);
	c->g.cut_keep = (uint32_t)(14 + 20 + 8 + n) / 2;
	g_udp(&c->g, &fc, TO_SERVER, m, n);
	cap_end(c);
	facts_write(c, "truncated", fl, 2, NULL, 0);
	f = fopen(out_path(c, "truncated", ".offset"), "w");
	if (!f || fprintf(f, "%llu\n", (unsigned long long)c->g.cut_at) < 0 ||
	    fclose(f) != 0)
		die("cannot write", c->path);
}

/*
 * Snaplen 96: the SF flow's request and response frames and both 1000-byte
 * UDP datagrams are captured short; counts use orig_len.  TCP headers fit,
 * so state and history stay asserted; payload and missed bytes are not.
 */
static void case_snap(struct golden *c)
{
	struct link lk = link_eth();
	struct gflow *fl[2] = { &fa, &fb };
	uint8_t data[1000];

	cap_begin(c, "snap", DLT_EN10MB, 96, false);
	gflow_init(&fa, &lk, IPP_TCP, "10.0.0.1", 40020, "10.0.0.2", 80, 24);
	gflow_init(&fb, &lk, IPP_UDP, "10.0.0.1", 40021, "10.0.0.2", 5002, 25);
	sf_all(&c->g, &fa);
	fa.ft.no_payload = true;
	fa.ft.history = NULL;
	fill_pattern(data, sizeof(data), 6);
	g_udp(&c->g, &fb, TO_SERVER, data, sizeof(data));
	g_udp(&c->g, &fb, TO_CLIENT, data, sizeof(data));
	cap_end(c);
	facts_write(c, "snap", fl, 2, NULL, 0);
}

struct golden_case {
	const char *name;
	void (*fn)(struct golden *c);
};

static const struct golden_case golden_cases[] = {
	{ "tcp_sf", case_tcp_sf },
	{ "tcp_rej", case_tcp_rej },
	{ "tcp_s0", case_tcp_s0 },
	{ "tcp_sh", case_tcp_sh },
	{ "tcp_rsto", case_tcp_rsto },
	{ "tcp_rstr", case_tcp_rstr },
	{ "tcp_midstream", case_tcp_midstream },
	{ "tcp_retrans", case_tcp_retrans },
	{ "tcp_ooo", case_tcp_ooo },
	{ "tcp_lost", case_tcp_lost },
	{ "tcp_overlap_diff", case_tcp_overlap_diff },
	{ "vlan", case_vlan },
	{ "qinq", case_qinq },
	{ "ipv4_frag", case_ipv4_frag },
	{ "ipv6", case_ipv6 },
	{ "ipv6_frag", case_ipv6_frag },
	{ "udp_dns_like", case_udp_dns_like },
	{ "udp_reply_first", case_udp_reply_first },
	{ "icmp", case_icmp },
	{ "icmp6", case_icmp6 },
	{ "linktype_sll", case_linktype_sll },
	{ "linktype_sll2", case_linktype_sll2 },
	{ "linktype_raw", case_linktype_raw },
	{ "multi_file", case_multi_file },
	{ "truncated", case_truncated },
	{ "snap", case_snap },
	{ "tcp_sf_pcapng", case_tcp_sf_pcapng },
	{ NULL, NULL }
};

static int run_golden(const char *outdir)
{
	struct golden c;
	const struct golden_case *gc;

	if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
		die("cannot create directory", outdir);
	memset(&c, 0, sizeof(c));
	c.outdir = outdir;
	for (gc = golden_cases; gc->name; gc++) {
		c.g.ts_us = TS_BASE_US;
		c.g.cut_keep = 0;
		gc->fn(&c);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Bench mode                                                               */
/* ------------------------------------------------------------------------ */

#define BENCH_SLOTS	4000
#define BENCH_MSS	1460
#define FILLER_LEN	(64 * 1024)

enum bench_kind { BK_HTTP, BK_DNS, BK_MODBUS, BK_DNP3 };

enum bench_phase {
	BP_SYN, BP_SYNACK, BP_ACK, BP_REQ, BP_SACK, BP_RESP, BP_CACK,
	BP_FIN1, BP_FIN2, BP_FIN3, BP_DNS_Q, BP_DNS_A, BP_DONE
};

struct bsess {
	uint8_t kind, phase;
	uint8_t cip[4], sip[4];
	uint8_t cmac[6], smac[6];
	uint16_t cport, sport;
	uint16_t ipid[2];
	uint32_t seq[2];
	uint32_t resp_len, resp_off;	/* current response (HTTP) */
	uint32_t hdr_len;
	uint32_t body_len;
	uint32_t since_ack;		/* response segments since client ACK */
	uint32_t txn_left;
	uint16_t tid;			/* Modbus tid / DNS id / DNP3 seq */
	uint16_t addr, qty;
	uint8_t fc, unit;
	uint32_t name;			/* per-session random for names/paths */
};

struct bench {
	struct pw w;
	uint64_t rng;
	uint64_t ts_us;
	uint64_t pkts, flows, frags;
	uint64_t counter[4];		/* new sessions per kind: addressing */
	uint8_t filler[FILLER_LEN];
	uint8_t l4[FRAME_MAX];
	uint8_t frame[FRAME_MAX];
	uint8_t app[FRAME_MAX];
	struct bsess s[BENCH_SLOTS];
};

/* xorshift64* (Vigna): fast, good enough for traffic shapes. */
static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

static uint32_t rng_below(struct bench *b, uint32_t n)
{
	return (uint32_t)((rng_next(&b->rng) >> 32) % n);
}

static const struct link bench_link = { .dlt = DLT_EN10MB };

static void bench_frame(struct bench *b, struct bsess *s, int dir,
    const struct ipspec *ip, const uint8_t *l4, size_t n)
{
	size_t len = frame_build(b->frame, &bench_link,
	    dir == TO_SERVER ? s->cmac : s->smac,
	    dir == TO_SERVER ? s->smac : s->cmac, dir == TO_SERVER, ip, l4, n);

	pw_record(&b->w, b->ts_us, b->frame, (uint32_t)len);
	b->pkts++;
	b->ts_us += 1 + rng_below(b, 40);
}

static struct ipspec bench_ip(struct bsess *s, int dir, uint8_t proto)
{
	struct ipspec ip = {
		.fam = 4, .src = dir == TO_SERVER ? s->cip : s->sip,
		.dst = dir == TO_SERVER ? s->sip : s->cip, .proto = proto,
		.ttl = dir == TO_SERVER ? 64 : 57, .id = s->ipid[dir]++,
	};

	return ip;
}

static void bench_tcp(struct bench *b, struct bsess *s, int dir,
    uint8_t flags, const uint8_t *data, size_t n)
{
	struct ipspec ip = bench_ip(s, dir, IPP_TCP);
	size_t len;

	len = tcp_build(b->l4, 4, ip.src, ip.dst,
	    dir == TO_SERVER ? s->cport : s->sport,
	    dir == TO_SERVER ? s->sport : s->cport, s->seq[dir], s->seq[!dir],
	    flags, data, n);
	s->seq[dir] += (uint32_t)n + ((flags & F_SYN) ? 1 : 0) +
	    ((flags & F_FIN) ? 1 : 0);
	bench_frame(b, s, dir, &ip, b->l4, len);
}

/* UDP from side dir; over 1480 bytes it goes out as IPv4 fragments. */
static void bench_udp(struct bench *b, struct bsess *s, int dir,
    const uint8_t *data, size_t n)
{
	struct ipspec ip = bench_ip(s, dir, IPP_UDP);
	size_t len = udp_build(b->l4, 4, ip.src, ip.dst,
	    dir == TO_SERVER ? s->cport : s->sport,
	    dir == TO_SERVER ? s->sport : s->cport, data, n);
	size_t off;

	if (len <= 1480) {
		bench_frame(b, s, dir, &ip, b->l4, len);
		return;
	}
	for (off = 0; off < len; off += 1480) {
		size_t part = len - off < 1480 ? len - off : 1480;

		ip.frag = true;
		ip.frag_off = (uint32_t)off;
		ip.frag_mf = off + part < len;
		bench_frame(b, s, dir, &ip, b->l4 + off, part);
		b->frags++;
	}
}

static void ip4_set(uint8_t *ip, uint8_t a, uint8_t b2, uint8_t c, uint8_t d)
{
	ip[0] = a;
	ip[1] = b2;
	ip[2] = c;
	ip[3] = d;
}

static void mac_from_ip(uint8_t *mac, const uint8_t *ip)
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, ip, 4);
}

/*
 * Starts a new session in s.  Addresses come from per-kind counters, so
 * no two live sessions share a 5-tuple (the client port only repeats after
 * tens of thousands of sessions of the same kind from the same client).
 */
static void bench_new(struct bench *b, struct bsess *s)
{
	uint32_t r = rng_below(b, 100);
	uint64_t n;

	memset(s, 0, sizeof(*s));
	s->kind = r < 55 ? BK_HTTP : r < 85 ? BK_DNS : r < 95 ? BK_MODBUS :
	    BK_DNP3;
	n = b->counter[s->kind]++;
	s->name = (uint32_t)rng_next(&b->rng);
	s->seq[0] = (uint32_t)rng_next(&b->rng);
	s->seq[1] = (uint32_t)rng_next(&b->rng);
	s->ipid[0] = (uint16_t)rng_next(&b->rng);
	s->ipid[1] = (uint16_t)rng_next(&b->rng);
	s->phase = BP_SYN;
	switch (s->kind) {
	case BK_HTTP:
		/* 4096 clients in 10.1.0.0/20, 64 servers */
		ip4_set(s->cip, 10, 1, (uint8_t)((n >> 8) & 15), (uint8_t)n);
		s->cport = (uint16_t)(1024 + (n >> 12) % 64000);
		ip4_set(s->sip, 198, 51, 100, (uint8_t)(1 + rng_below(b, 64)));
		s->sport = rng_below(b, 10) ? 80 : 8080;
		s->txn_left = 1 + rng_below(b, 4);
		break;
	case BK_DNS:
		ip4_set(s->cip, 10, 2, (uint8_t)((n >> 8) & 3), (uint8_t)n);
		s->cport = (uint16_t)(1024 + (n >> 10) % 64000);
		ip4_set(s->sip, 192, 0, 2, (uint8_t)(53 + rng_below(b, 2)));
		s->sport = 53;
		s->tid = (uint16_t)s->name;
		s->phase = BP_DNS_Q;
		break;
	case BK_MODBUS:
		/* 8 HMIs polling 32 PLCs */
		ip4_set(s->cip, 10, 50, 1, (uint8_t)(1 + (n & 7)));
		s->cport = (uint16_t)(1024 + (n >> 3) % 64000);
		ip4_set(s->sip, 10, 50, 0, (uint8_t)(10 + rng_below(b, 32)));
		s->sport = 502;
		s->unit = (uint8_t)(1 + rng_below(b, 4));
		s->txn_left = 20 + rng_below(b, 280);
		break;
	default:
		/* 4 masters polling 16 outstations */
		ip4_set(s->cip, 10, 60, 1, (uint8_t)(1 + (n & 3)));
		s->cport = (uint16_t)(1024 + (n >> 2) % 64000);
		ip4_set(s->sip, 10, 60, 0, (uint8_t)(10 + rng_below(b, 16)));
		s->sport = 20000;
		s->addr = (uint16_t)(10 + (s->sip[3] - 10));
		s->txn_left = 10 + rng_below(b, 190);
		break;
	}
	mac_from_ip(s->cmac, s->cip);
	mac_from_ip(s->smac, s->sip);
	b->flows++;
}

static const char *const bench_words[] = {
	"index", "api", "static", "images", "login", "search", "v1", "v2",
	"users", "orders", "assets", "css", "js", "status", "metrics", "docs",
};

static const char *const bench_hosts[] = {
	"www.example.com", "api.example.net", "cdn.example.org",
	"intranet.corp.example", "update.example.com", "mail.example.net",
	"historian.plant.example", "scada.plant.example",
};

/* HTTP request text for the session's next transaction. */
static size_t http_request(struct bench *b, struct bsess *s)
{
	unsigned w1 = s->name % 16, w2 = (s->name >> 4) % 16;
	const char *host = bench_hosts[(s->name >> 8) % 8];
	bool post = (s->name >> 12) % 10 == 0;
	int n;

	n = snprintf((char *)b->app, FRAME_MAX,
	    "%s /%s/%s/%u HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) pcapgen/1.0\r\n"
	    "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
	    "Accept-Encoding: identity\r\n"
	    "Connection: %s\r\n"
	    "%s"
	    "\r\n",
	    post ? "POST" : "GET", bench_words[w1], bench_words[w2],
	    (unsigned)(s->tid++), host,
	    s->txn_left > 1 ? "keep-alive" : "close",
	    post ? "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 64\r\n" : "");
	if (post) {
		memcpy(b->app + n, b->filler + (s->name & 1023), 64);
		n += 64;
	}
	return (size_t)n;
}

/* Chooses the body size of the next response and its header length. */
static void http_pick_response(struct bench *b, struct bsess *s)
{
	uint32_t r = rng_below(b, 1000);
	char tmp[256];

	if (r < 700)
		s->body_len = 100 + rng_below(b, 4900);
	else if (r < 970)
		s->body_len = 5000 + rng_below(b, 95000);
	else
		s->body_len = 100000 + rng_below(b, 1900000);
	s->hdr_len = (uint32_t)snprintf(tmp, sizeof(tmp),
	    "HTTP/1.1 200 OK\r\n"
	    "Server: pcapgen-httpd/1.0\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Cache-Control: max-age=%u\r\n"
	    "Content-Length: %u\r\n"
	    "\r\n", (unsigned)(s->name % 3600), (unsigned)s->body_len);
	s->resp_len = s->hdr_len + s->body_len;
	s->resp_off = 0;
}

/* Next response segment of at most one MSS, header first then body. */
static size_t http_response_seg(struct bench *b, struct bsess *s)
{
	uint32_t left = s->resp_len - s->resp_off;
	uint32_t n = left < BENCH_MSS ? left : BENCH_MSS;
	uint32_t i = 0;

	if (s->resp_off < s->hdr_len) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp),
		    "HTTP/1.1 200 OK\r\n"
		    "Server: pcapgen-httpd/1.0\r\n"
		    "Content-Type: text/html; charset=utf-8\r\n"
		    "Cache-Control: max-age=%u\r\n"
		    "Content-Length: %u\r\n"
		    "\r\n", (unsigned)(s->name % 3600),
		    (unsigned)s->body_len);
		i = s->hdr_len - s->resp_off;
		memcpy(b->app, tmp + s->resp_off, i);
	}
	while (i < n) {
		uint32_t boff = s->resp_off + i - s->hdr_len;
		uint32_t at = boff % FILLER_LEN;
		uint32_t c = n - i;

		if (c > FILLER_LEN - at)
			c = FILLER_LEN - at;
		memcpy(b->app + i, b->filler + at, c);
		i += c;
	}
	s->resp_off += n;
	return n;
}

/* Modbus request (read holding registers, sometimes a write). */
static size_t modbus_request(struct bench *b, struct bsess *s)
{
	uint32_t r = rng_below(b, 100);
	size_t n;
	uint16_t i;

	s->tid++;
	s->addr = (uint16_t)(rng_below(b, 100) * 10);
	if (r < 90) {
		s->fc = 3;
		s->qty = (uint16_t)(1 + rng_below(b, 60));
		return modbus_req(b->app, s->tid, s->unit, 3, s->addr, s->qty);
	}
	if (r < 95) {
		s->fc = 6;
		s->qty = (uint16_t)rng_below(b, 65536);	/* the value */
		return modbus_req(b->app, s->tid, s->unit, 6, s->addr, s->qty);
	}
	s->fc = 16;
	s->qty = (uint16_t)(1 + rng_below(b, 20));
	n = modbus_req(b->app, s->tid, s->unit, 16, s->addr, s->qty);
	put_be16(b->app + 4, (uint16_t)(7 + 2 * s->qty));
	b->app[n++] = (uint8_t)(2 * s->qty);
	for (i = 0; i < s->qty; i++, n += 2)
		put_be16(b->app + n, (uint16_t)rng_below(b, 65536));
	return n;
}

static size_t modbus_response(struct bench *b, struct bsess *s)
{
	uint8_t *p = b->app;
	size_t n;
	uint16_t i;

	put_be16(p, s->tid);
	put_be16(p + 2, 0);
	p[6] = s->unit;
	p[7] = s->fc;
	if (s->fc == 3) {
		put_be16(p + 4, (uint16_t)(3 + 2 * s->qty));
		p[8] = (uint8_t)(2 * s->qty);
		n = 9;
		for (i = 0; i < s->qty; i++, n += 2)
			put_be16(p + n, (uint16_t)(s->addr + i * 3 +
			    rng_below(b, 4)));
		return n;
	}
	/* fc 6 echoes address and value; fc 16 returns address, quantity */
	put_be16(p + 4, 6);
	put_be16(p + 8, s->addr);
	put_be16(p + 10, s->qty);
	return 12;
}

/* CRC-16/DNP (IEEE 1815 link layer): reflected poly 0xA6BC, inverted. */
static uint16_t dnp3_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa6bc) :
			    (uint16_t)(crc >> 1);
	}
	return (uint16_t)~crc;
}

/*
 * One DNP3 link frame: 0x05 0x64, LEN (5 + user bytes), CTRL, DEST, SRC
 * (little-endian), header CRC, then user data in 16-byte blocks each
 * followed by its CRC.  user[0] is the transport header.
 */
static size_t dnp3_frame(uint8_t *out, uint8_t ctrl, uint16_t dst,
    uint16_t src, const uint8_t *user, size_t ulen)
{
	size_t o = 10, i;

	out[0] = 0x05;
	out[1] = 0x64;
	out[2] = (uint8_t)(5 + ulen);
	out[3] = ctrl;
	put_le16(out + 4, dst);
	put_le16(out + 6, src);
	put_le16(out + 8, dnp3_crc(out, 8));
	for (i = 0; i < ulen; i += 16) {
		size_t c = ulen - i < 16 ? ulen - i : 16;

		memcpy(out + o, user + i, c);
		put_le16(out + o + c, dnp3_crc(user + i, c));
		o += c + 2;
	}
	return o;
}

/* Master: READ class 0 (group 60 var 1, qualifier 0x06 all points). */
static size_t dnp3_request(struct bench *b, struct bsess *s)
{
	uint8_t u[8];

	s->tid = (uint16_t)((s->tid + 1) & 15);
	u[0] = (uint8_t)(0xc0 | (s->tid & 63));	/* transport FIR FIN seq */
	u[1] = (uint8_t)(0xc0 | s->tid);	/* app control FIR FIN seq */
	u[2] = 0x01;				/* READ */
	u[3] = 60;
	u[4] = 1;
	u[5] = 0x06;
	return dnp3_frame(b->app, 0xc4, s->addr, 1, u, 6);
}

/* Outstation: RESPONSE with group 30 var 2 (16-bit analog with flag). */
static size_t dnp3_response(struct bench *b, struct bsess *s)
{
	uint8_t u[256];
	size_t n = 0;
	unsigned i, pts = 4 + rng_below(b, 40);

	u[n++] = (uint8_t)(0xc0 | (s->tid & 63));
	u[n++] = (uint8_t)(0xc0 | s->tid);
	u[n++] = 0x81;				/* RESPONSE */
	u[n++] = 0x00;				/* IIN1 */
	u[n++] = 0x00;				/* IIN2 */
	u[n++] = 30;
	u[n++] = 2;
	u[n++] = 0x00;				/* 1-byte start/stop */
	u[n++] = 0;
	u[n++] = (uint8_t)(pts - 1);
	for (i = 0; i < pts; i++) {
		u[n++] = 0x01;			/* ONLINE */
		put_le16(u + n, (uint16_t)(1000 + i * 10 + rng_below(b, 5)));
		n += 2;
	}
	return dnp3_frame(b->app, 0x44, 1, s->addr, u, n);
}

static void bench_dns(struct bench *b, struct bsess *s)
{
	static const char *const labels[] = {
		"www", "mail", "api", "cdn", "ntp", "login", "update", "files",
	};
	char name[64];
	uint16_t qtype = (s->name >> 3) % 4 == 0 ? 28 : 1;
	bool big = (s->name >> 16) % 200 == 0;
	size_t n;

	snprintf(name, sizeof(name), "%s%u.%s", labels[s->name % 8],
	    (unsigned)((s->name >> 8) % 100), bench_hosts[(s->name >> 20) % 8]);
	if (big)
		qtype = 16;
	if (s->phase == BP_DNS_Q) {
		n = dns_build(b->app, s->tid, name, qtype, false, NULL, 0);
		bench_udp(b, s, TO_SERVER, b->app, n);
		s->phase = BP_DNS_A;
	} else {
		n = dns_build(b->app, s->tid, name, qtype, true,
		    qtype == 28 ? addr_aaaa : addr_a, 2000);
		bench_udp(b, s, TO_CLIENT, b->app, n);
		s->phase = BP_DONE;
	}
}

/* Writes the next packet of session s and advances its phase. */
static void bench_step(struct bench *b, struct bsess *s)
{
	size_t n;

	if (s->kind == BK_DNS) {
		bench_dns(b, s);
		return;
	}
	switch (s->phase) {
	case BP_SYN:
		bench_tcp(b, s, TO_SERVER, F_SYN, NULL, 0);
		s->phase = BP_SYNACK;
		break;
	case BP_SYNACK:
		bench_tcp(b, s, TO_CLIENT, F_SYN | F_ACK, NULL, 0);
		s->phase = BP_ACK;
		break;
	case BP_ACK:
		bench_tcp(b, s, TO_SERVER, F_ACK, NULL, 0);
		s->phase = BP_REQ;
		break;
	case BP_REQ:
		if (s->kind == BK_HTTP)
			n = http_request(b, s);
		else if (s->kind == BK_MODBUS)
			n = modbus_request(b, s);
		else
			n = dnp3_request(b, s);
		bench_tcp(b, s, TO_SERVER, F_PSH | F_ACK, b->app, n);
		s->phase = s->kind == BK_HTTP ? BP_SACK : BP_RESP;
		if (s->kind == BK_HTTP)
			http_pick_response(b, s);
		break;
	case BP_SACK:
		bench_tcp(b, s, TO_CLIENT, F_ACK, NULL, 0);
		s->phase = BP_RESP;
		break;
	case BP_RESP:
		if (s->kind == BK_HTTP)
			n = http_response_seg(b, s);
		else if (s->kind == BK_MODBUS)
			n = modbus_response(b, s);
		else
			n = dnp3_response(b, s);
		bench_tcp(b, s, TO_CLIENT, F_PSH | F_ACK, b->app, n);
		if (s->kind == BK_HTTP && s->resp_off < s->resp_len) {
			if (++s->since_ack >= 2)
				s->phase = BP_CACK;
			break;
		}
		/* response complete: the next request acknowledges it */
		s->since_ack = 0;
		s->phase = --s->txn_left ? BP_REQ : BP_CACK;
		break;
	case BP_CACK:
		bench_tcp(b, s, TO_SERVER, F_ACK, NULL, 0);
		s->since_ack = 0;
		if (s->kind == BK_HTTP && s->resp_off < s->resp_len)
			s->phase = BP_RESP;
		else if (s->txn_left)
			s->phase = BP_REQ;
		else
			s->phase = BP_FIN1;
		break;
	case BP_FIN1:
		if (rng_below(b, 40) == 0) {
			bench_tcp(b, s, TO_SERVER, F_RST | F_ACK, NULL, 0);
			s->phase = BP_DONE;
			break;
		}
		bench_tcp(b, s, TO_SERVER, F_FIN | F_ACK, NULL, 0);
		s->phase = BP_FIN2;
		break;
	case BP_FIN2:
		bench_tcp(b, s, TO_CLIENT, F_FIN | F_ACK, NULL, 0);
		s->phase = BP_FIN3;
		break;
	case BP_FIN3:
		bench_tcp(b, s, TO_SERVER, F_ACK, NULL, 0);
		s->phase = BP_DONE;
		break;
	default:
		break;
	}
}

static void bench_filler(struct bench *b)
{
	static const char *const words[] = {
		"<div class=\"row\">", "<p>", "</p>", "the", "plant", "value",
		"pressure", "valve", "status", "report", "</div>\n", "<span>",
		"</span>", "data", "sensor", "line", " ", " ", "\n", "table",
	};
	size_t o = 0;

	while (o < FILLER_LEN) {
		const char *w = words[rng_below(b, 20)];
		size_t l = strlen(w);

		if (l > FILLER_LEN - o)
			l = FILLER_LEN - o;
		memcpy(b->filler + o, w, l);
		o += l;
	}
}

static int run_bench(const char *path, const char *size_mb, const char *seed)
{
	struct bench *b = calloc(1, sizeof(*b));
	char *end;
	unsigned long long mb = strtoull(size_mb, &end, 10);
	uint64_t target;
	int i;

	if (!b)
		die("out of memory", "");
	if (*end || mb == 0 || mb > 1024 * 1024)
		die("bad SIZE_MB", size_mb);
	target = (uint64_t)mb << 20;
	b->rng = 0x9e3779b97f4a7c15ULL;
	if (seed) {
		b->rng ^= strtoull(seed, &end, 10) * 0xbf58476d1ce4e5b9ULL;
		if (*end)
			die("bad SEED", seed);
	}
	if (b->rng == 0)
		b->rng = 1;
	b->ts_us = TS_BASE_US;
	bench_filler(b);
	pw_open(&b->w, path, DLT_EN10MB, 65535, false, 8 << 20);
	for (i = 0; i < BENCH_SLOTS; i++)
		bench_new(b, &b->s[i]);
	while (b->w.off < target) {
		struct bsess *s = &b->s[rng_below(b, BENCH_SLOTS)];

		bench_step(b, s);
		if (s->phase == BP_DONE)
			bench_new(b, s);
	}
	pw_close(&b->w, path);
	fprintf(stderr, "pcapgen bench: %llu packets, %llu flows, %llu "
	    "fragments, %llu bytes, %.1f s of traffic\n",
	    (unsigned long long)b->pkts, (unsigned long long)b->flows,
	    (unsigned long long)b->frags, (unsigned long long)b->w.off,
	    (double)(b->ts_us - TS_BASE_US) / 1e6);
	free(b);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: pcapgen golden OUTDIR\n"
	    "       pcapgen bench OUTFILE SIZE_MB [SEED]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "golden") == 0)
		return run_golden(argv[2]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "bench") == 0)
		return run_bench(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	usage();
	return 2;
}
