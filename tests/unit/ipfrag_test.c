/*
 * ipfrag_test.c - IPv4/IPv6 fragment reassembly on hand-built datagrams.
 *
 * Each test builds a whole datagram by hand (header fields written out
 * below), cuts it into fragments the way a router would (RFC 791 3.2,
 * RFC 8200 4.5), fills a 'struct pkt' the way decode does for a fragment,
 * and checks that the rebuilt datagram equals the original byte for byte.
 * The IPv4 checksum routine of this file is itself checked against a
 * published header (below), and every rebuilt IPv4 header must sum to
 * 0xffff.
 */
#include <string.h>

#include "../../flows/ipfrag.h"
#include "testhelp.h"

#define MB		(1024 * 1024)
#define TIMEOUT_US	(30 * 1000000ull)

/* An original datagram and how to fragment it. */
struct dg {
	int family;
	uint8_t buf[70000];	/* the whole datagram */
	uint32_t len;		/* bytes in buf */
	uint32_t hlen;		/* v4: IHL*4; v6: unfragmentable part */
	uint16_t nh_pos;	/* v6: Next Header byte that names the upper layer */
	uint8_t proto;		/* upper-layer protocol */
	uint32_t id;
	uint16_t vlan;		/* 0 = untagged */
};

static struct dg g_a, g_b, g_c;
static uint8_t fbuf[70000];

/* RFC 1071 ones' complement sum, folded, not inverted. */
static uint16_t sum16(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void fill_payload(struct dg *g, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		g->buf[g->hlen + i] = (uint8_t)(i * 7 + seed + (i >> 8));
	g->len = g->hlen + n;
}

/*
 * IPv4: version 4, IHL from 'hlen' (options: NOPs then End of List), TOS 0,
 * total length, id, flags/offset 0, TTL 64, protocol, checksum,
 * 192.0.2.1 -> 198.51.100.2.
 */
static void dg_v4(struct dg *g, uint32_t hlen, uint32_t paylen, uint16_t id,
    uint8_t proto, uint32_t seed)
{
	static const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 198, 51, 100, 2 };

	memset(g, 0, sizeof(*g));
	g->family = 4;
	g->hlen = hlen;
	g->proto = proto;
	g->id = id;
	g->buf[0] = (uint8_t)(0x40 | hlen / 4);
	put16(g->buf + 2, hlen + paylen);
	put16(g->buf + 4, id);
	g->buf[8] = 64;
	g->buf[9] = proto;
	memcpy(g->buf + 12, src, 4);
	memcpy(g->buf + 16, dst, 4);
	for (uint32_t i = 20; i < hlen; i++)
		g->buf[i] = i + 1 < hlen ? 1 : 0;	/* NOP ... EOL */
	put16(g->buf + 10, (uint16_t)~sum16(g->buf, hlen));
	fill_payload(g, paylen, seed);
}

/*
 * IPv6: version 6, 2001:db8::1 -> 2001:db8::2, then the extension headers
 * listed in 'ext' (each 8 bytes: Hop-by-Hop 0, Routing 43, Destination
 * Options 60, all with Hdr Ext Len 0 and PadN filling).  The last Next Header
 * names 'proto'.
 */
static void dg_v6(struct dg *g, const uint8_t *ext, int next, uint32_t paylen,
    uint32_t id, uint8_t proto, uint32_t seed)
{
	uint32_t off = 40;

	memset(g, 0, sizeof(*g));
	g->family = 6;
	g->proto = proto;
	g->id = id;
	g->buf[0] = 0x60;
	g->buf[7] = 64;			/* hop limit */
	g->buf[8] = 0x20;		/* 2001:db8::1 */
	g->buf[9] = 0x01;
	g->buf[10] = 0x0d;
	g->buf[11] = 0xb8;
	g->buf[23] = 1;
	memcpy(g->buf + 24, g->buf + 8, 16);
	g->buf[39] = 2;
	g->nh_pos = 6;
	for (int i = 0; i < next; i++) {
		g->buf[g->nh_pos] = ext[i];
		g->nh_pos = (uint16_t)off;
		if (ext[i] == 43) {
			g->buf[off + 2] = 4;	/* routing type 4 (SRH-like), segleft 0 */
		} else {
			g->buf[off + 2] = 1;	/* PadN, 4 bytes of padding */
			g->buf[off + 3] = 4;
		}
		off += 8;
	}
	g->buf[g->nh_pos] = proto;
	g->hlen = off;
	put16(g->buf + 4, off - 40 + paylen);
	fill_payload(g, paylen, seed);
}

/* Fragment options. */
struct fopt {
	const uint8_t *alt;	/* data to send instead of the original bytes */
	uint32_t cut;		/* bytes the capture lost at the end */
	uint64_t ts;
};

/*
 * Builds fragment [off, off+len) of g as it would appear on the wire and
 * the pkt that decode would make of it, and adds it.
 */
static enum ipfrag_result send_frag(struct ipfrag_ctx *c, const struct dg *g,
    uint32_t off, uint32_t len, bool more, const struct fopt *o,
    const uint8_t **out, size_t *outlen, enum anomaly_code *anom)
{
	struct pkt p;
	uint32_t ih;			/* bytes before the data */
	const uint8_t *data = o && o->alt ? o->alt : g->buf + g->hlen + off;

	memset(&p, 0, sizeof(p));
	memcpy(fbuf, g->buf, g->hlen);
	if (g->family == 4) {
		ih = g->hlen;
		put16(fbuf + 2, ih + len);
		/* reserved and DF bits as in the original, then MF, offset */
		put16(fbuf + 6, (uint32_t)(g->buf[6] & 0xc0) << 8 |
		    (more ? 0x2000 : 0) | off / 8);
		put16(fbuf + 10, 0);
		put16(fbuf + 10, (uint16_t)~sum16(fbuf, ih));
		memcpy(p.key.src, g->buf + 12, 4);
		memcpy(p.key.dst, g->buf + 16, 4);
		p.key.proto = g->proto;
	} else {
		ih = g->hlen + 8;
		fbuf[g->nh_pos] = 44;
		put16(fbuf + 4, ih - 40 + len);
		fbuf[g->hlen] = g->proto;	/* Fragment: Next Header */
		fbuf[g->hlen + 1] = 0;
		put16(fbuf + g->hlen + 2, off | (more ? 1 : 0));
		fbuf[g->hlen + 4] = (uint8_t)(g->id >> 24);
		fbuf[g->hlen + 5] = (uint8_t)(g->id >> 16);
		fbuf[g->hlen + 6] = (uint8_t)(g->id >> 8);
		fbuf[g->hlen + 7] = (uint8_t)g->id;
		memcpy(p.key.src, g->buf + 8, 16);
		memcpy(p.key.dst, g->buf + 24, 16);
		p.key.proto = g->proto;
		p.frag_hdr_off = (uint16_t)g->hlen;
		p.frag_nexthdr = g->proto;
	}
	memcpy(fbuf + ih, data, len);

	p.ts_us = o ? o->ts : 0;
	p.l3 = fbuf;
	p.ip_total_len = ih + len;
	p.l3_len = ih + len - (o ? o->cut : 0);
	p.ip_hdr_len = (uint16_t)ih;
	p.is_frag = true;
	p.frag_more = more;
	p.frag_id = g->id;
	p.frag_off = off;
	p.key.family = (uint8_t)g->family;
	if (g->vlan) {
		p.key.vlan[0] = g->vlan;
		p.key.nvlan = 1;
	}
	p.payload = fbuf + ih;
	p.payload_len = len - (o ? o->cut : 0);
	p.payload_wire_len = len;
	return ipfrag_add(c, &p, out, outlen, anom);
}

/* A fragment list entry. */
struct piece {
	uint32_t off, len;
	bool more;
};

/* Cuts g's data into pieces of 'step' bytes (a multiple of 8). */
static int cut(const struct dg *g, uint32_t step, struct piece *pc, int max)
{
	uint32_t n = g->len - g->hlen;
	int k = 0;

	for (uint32_t off = 0; off < n && k < max; off += step, k++) {
		pc[k].off = off;
		pc[k].len = n - off < step ? n - off : step;
		pc[k].more = off + step < n;
	}
	return k;
}

static bool same_as(const struct dg *g, const uint8_t *out, size_t outlen)
{
	return out != NULL && outlen == g->len && memcmp(out, g->buf, g->len) == 0;
}

/*
 * Sends pieces in the order given by 'ord' (NULL = as listed); expects DONE
 * exactly on the last one and the original datagram back.
 */
static void run_order(struct ipfrag_ctx *c, const struct dg *g,
    const struct piece *pc, const int *ord, int n, const char *what)
{
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	int bad = 0;

	for (int k = 0; k < n; k++) {
		const struct piece *q = &pc[ord ? ord[k] : k];
		enum ipfrag_result r = send_frag(c, g, q->off, q->len, q->more,
		    NULL, &out, &outlen, &anom);

		if (r != (k + 1 == n ? IPFRAG_DONE : IPFRAG_HELD) || anom != ANOM__COUNT)
			bad++;
	}
	test_cond(what, bad == 0);
	test_cond(what, same_as(g, out, outlen));
	if (g->family == 4 && out)
		test_cond("rebuilt IPv4 checksum", sum16(out, g->hlen) == 0xffff);
}

/* ---------------------------------------------------------------- tests */

/*
 * The checksum helper against a published header: 45 00 00 73 00 00 40 00
 * 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7 (checksum 0xb861, from the Wikipedia
 * "Internet checksum" example).  The same header reassembled from three
 * fragments must come back unchanged (the DF bit is kept as the fragments
 * carry it; a real router would not fragment it, ipfrag does not care).
 */
static void test_v4_known_header(void)
{
	static const uint8_t h[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	static const struct piece pc[] = {
		{ 0, 40, true }, { 40, 40, true }, { 80, 15, false },
	};
	static const int rev[] = { 2, 1, 0 };
	uint8_t z[20];
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);

	memcpy(z, h, 20);
	z[10] = z[11] = 0;
	test_eq_u64("known header checksum", (uint16_t)~sum16(z, 20), 0xb861);

	memset(&g_a, 0, sizeof(g_a));
	g_a.family = 4;
	g_a.hlen = 20;
	g_a.proto = 17;
	g_a.id = 0;
	memcpy(g_a.buf, h, 20);
	fill_payload(&g_a, 0x73 - 20, 3);
	run_order(c, &g_a, pc, NULL, 3, "known header, in order");
	run_order(c, &g_a, pc, rev, 3, "known header, reverse");
	ipfrag_free(c);
}

static void test_v4_orders(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	struct piece pc[64];
	int ord[64], n;
	struct ipfrag_stats st;
	uint32_t x = 12345;

	dg_v4(&g_a, 24, 5000, 0x1234, 17, 1);
	n = cut(&g_a, 1480, pc, 64);
	test_eq_u64("v4 pieces", n, 4);
	run_order(c, &g_a, pc, NULL, n, "v4 in order");
	for (int k = 0; k < n; k++)
		ord[k] = n - 1 - k;
	run_order(c, &g_a, pc, ord, n, "v4 reverse order");

	/* small pieces, shuffled */
	dg_v4(&g_a, 20, 64 * 40 + 13, 0x2222, 6, 2);
	n = cut(&g_a, 64, pc, 64);
	test_eq_u64("v4 small pieces", n, 41);
	for (int k = 0; k < n; k++)
		ord[k] = k;
	for (int k = n - 1; k > 0; k--) {
		int j, t;

		x = x * 1103515245u + 12345u;
		j = (int)((x >> 16) % (uint32_t)(k + 1));
		t = ord[k];
		ord[k] = ord[j];
		ord[j] = t;
	}
	run_order(c, &g_a, pc, ord, n, "v4 shuffled");

	ipfrag_get_stats(c, &st);
	test_eq_u64("v4 reassembled", st.reassembled, 3);
	test_eq_u64("v4 nothing held", st.mem, 0);
	test_eq_u64("v4 none dropped", st.dropped, 0);
	ipfrag_free(c);
}

/* Every fragment twice: the duplicates are held quietly, no anomaly. */
static void test_v4_duplicates(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	enum ipfrag_result r;
	struct ipfrag_stats st;
	int done = 0, anoms = 0;

	dg_v4(&g_a, 20, 3000, 7, 17, 4);
	/* 0, 0, 1480, 1480 (dup of last comes after DONE would restart) */
	r = send_frag(c, &g_a, 0, 1480, true, NULL, &out, &outlen, &anom);
	anoms += anom != ANOM__COUNT;
	test_cond("dup: first held", r == IPFRAG_HELD);
	r = send_frag(c, &g_a, 0, 1480, true, NULL, &out, &outlen, &anom);
	anoms += anom != ANOM__COUNT;
	test_cond("dup: duplicate held", r == IPFRAG_HELD);
	r = send_frag(c, &g_a, 2960, 40, false, NULL, &out, &outlen, &anom);
	anoms += anom != ANOM__COUNT;
	r = send_frag(c, &g_a, 2960, 40, false, NULL, &out, &outlen, &anom);
	anoms += anom != ANOM__COUNT;
	test_cond("dup: last twice held", r == IPFRAG_HELD);
	r = send_frag(c, &g_a, 1480, 1480, true, NULL, &out, &outlen, &anom);
	anoms += anom != ANOM__COUNT;
	done += r == IPFRAG_DONE;
	test_cond("dup: output", same_as(&g_a, out, outlen));
	test_eq_u64("dup: one datagram", done, 1);
	test_eq_u64("dup: no anomaly", anoms, 0);
	ipfrag_get_stats(c, &st);
	test_eq_u64("dup: no overlaps", st.overlaps, 0);
	ipfrag_free(c);
}

static void test_v4_overlaps(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	enum ipfrag_result r;
	struct ipfrag_stats st;
	uint8_t alt[200], want[400];
	struct fopt o = { 0 };

	/* Same bytes: [0,120) [80,200) [160,250) */
	dg_v4(&g_a, 20, 250, 9, 17, 5);
	r = send_frag(c, &g_a, 0, 120, true, NULL, &out, &outlen, &anom);
	test_cond("overlap same: held", r == IPFRAG_HELD && anom == ANOM__COUNT);
	r = send_frag(c, &g_a, 160, 90, false, NULL, &out, &outlen, &anom);
	test_cond("overlap same: held 2", r == IPFRAG_HELD && anom == ANOM__COUNT);
	r = send_frag(c, &g_a, 80, 120, true, NULL, &out, &outlen, &anom);
	test_cond("overlap same: done", r == IPFRAG_DONE && anom == ANOM__COUNT);
	test_cond("overlap same: bytes", same_as(&g_a, out, outlen));
	ipfrag_get_stats(c, &st);
	test_eq_u64("overlap same: not counted", st.overlaps, 0);

	/*
	 * Different bytes, original first: [0,120) then a forged [80,200)
	 * (bytes 80..119 differ, 120..199 are the original), then the rest.
	 * First copy wins: the result is the original.
	 */
	dg_v4(&g_a, 20, 250, 10, 17, 6);
	memcpy(alt, g_a.buf + 20 + 80, 120);
	for (int i = 0; i < 40; i++)
		alt[i] ^= 0x5a;
	o.alt = alt;
	r = send_frag(c, &g_a, 0, 120, true, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_a, 80, 120, true, &o, &out, &outlen, &anom);
	test_cond("overlap diff: held, reported", r == IPFRAG_HELD && anom == ANOM_FRAG_OVERLAP);
	r = send_frag(c, &g_a, 200, 50, false, NULL, &out, &outlen, &anom);
	test_cond("overlap diff: done", r == IPFRAG_DONE && anom == ANOM__COUNT);
	test_cond("overlap diff: original kept", same_as(&g_a, out, outlen));

	/*
	 * Forged copy first: [80,200) forged at 80..119, then [0,120) original,
	 * then the rest.  The forged bytes stay (they came first); the
	 * anomaly is reported on the fragment that disagreed, and on DONE here.
	 */
	dg_v4(&g_a, 20, 250, 11, 17, 7);
	memcpy(alt, g_a.buf + 20 + 80, 120);
	for (int i = 0; i < 40; i++)
		alt[i] ^= 0x5a;
	memcpy(want, g_a.buf, g_a.len);
	for (int i = 0; i < 40; i++)
		want[20 + 80 + i] ^= 0x5a;
	r = send_frag(c, &g_a, 80, 120, true, &o, &out, &outlen, &anom);
	test_cond("forged first: held", r == IPFRAG_HELD && anom == ANOM__COUNT);
	r = send_frag(c, &g_a, 200, 50, false, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_a, 0, 120, true, NULL, &out, &outlen, &anom);
	test_cond("forged first: done with anomaly", r == IPFRAG_DONE && anom == ANOM_FRAG_OVERLAP);
	test_cond("forged first: first copy kept", out != NULL && outlen == g_a.len &&
	    memcmp(out, want, g_a.len) == 0);
	if (out)
		test_cond("forged first: checksum", sum16(out, 20) == 0xffff);

	/* Two last fragments with different ends: the second is refused. */
	dg_v4(&g_a, 20, 250, 12, 17, 8);
	r = send_frag(c, &g_a, 200, 50, false, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_a, 200, 40, false, NULL, &out, &outlen, &anom);
	test_cond("second end: refused", r == IPFRAG_HELD && anom == ANOM_FRAG_OVERLAP);
	/* data past the known end */
	r = send_frag(c, &g_a, 240, 16, true, NULL, &out, &outlen, &anom);
	test_cond("past end: refused", r == IPFRAG_HELD && anom == ANOM_FRAG_OVERLAP);
	r = send_frag(c, &g_a, 0, 200, true, NULL, &out, &outlen, &anom);
	test_cond("ends: done", r == IPFRAG_DONE && same_as(&g_a, out, outlen));

	/* A last fragment ending before data already held is refused. */
	dg_v4(&g_a, 20, 256, 13, 17, 9);
	r = send_frag(c, &g_a, 0, 256, true, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_a, 128, 64, false, NULL, &out, &outlen, &anom);
	test_cond("short end: refused", r == IPFRAG_HELD && anom == ANOM_FRAG_OVERLAP);

	ipfrag_get_stats(c, &st);
	test_eq_u64("overlaps counted", st.overlaps, 5);
	ipfrag_free(c);
}

/* A non-last fragment of 20 bytes counts as 16 (the offset unit is 8). */
static void test_v4_trim(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	enum ipfrag_result r;

	dg_v4(&g_a, 20, 100, 14, 17, 10);
	r = send_frag(c, &g_a, 0, 20, true, NULL, &out, &outlen, &anom);
	test_cond("trim: held", r == IPFRAG_HELD);
	r = send_frag(c, &g_a, 24, 76, false, NULL, &out, &outlen, &anom);
	test_cond("trim: gap 16..24 still open", r == IPFRAG_HELD);
	r = send_frag(c, &g_a, 16, 8, true, NULL, &out, &outlen, &anom);
	test_cond("trim: done", r == IPFRAG_DONE && anom == ANOM__COUNT);
	test_cond("trim: bytes", same_as(&g_a, out, outlen));
	ipfrag_free(c);
}

/* Datagrams that differ only by id, VLAN or protocol stay apart. */
static void test_interleaved(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	struct dg *gs[3] = { &g_a, &g_b, &g_c };
	struct piece pc[3][8];
	int n[3], done[3] = { 0, 0, 0 }, ok[3] = { 0, 0, 0 };

	dg_v4(&g_a, 20, 3000, 100, 17, 11);
	dg_v4(&g_b, 20, 3000, 100, 17, 12);
	g_b.vlan = 10;			/* same id, another VLAN */
	dg_v4(&g_c, 20, 3000, 100, 6, 13);	/* same id, TCP */
	for (int d = 0; d < 3; d++)
		n[d] = cut(gs[d], 1000, pc[d], 8);
	for (int k = 0; k < 3; k++) {
		for (int d = 0; d < 3; d++) {
			enum ipfrag_result r = send_frag(c, gs[d], pc[d][k].off,
			    pc[d][k].len, pc[d][k].more, NULL, &out, &outlen, &anom);

			if (r == IPFRAG_DONE) {
				done[d]++;
				ok[d] += same_as(gs[d], out, outlen);
			}
			test_cond("interleaved: no anomaly", anom == ANOM__COUNT);
		}
	}
	for (int d = 0; d < 3; d++) {
		test_eq_u64("interleaved: pieces", n[d], 3);
		test_eq_u64("interleaved: done once", done[d], 1);
		test_eq_u64("interleaved: bytes", ok[d], 1);
	}

	/* v4 and v6 mixed, v6 out of order */
	{
		static const uint8_t ext[1] = { 0 };
		struct piece p6[8];
		int n6, got = 0;

		dg_v4(&g_a, 20, 2000, 200, 17, 14);
		dg_v6(&g_b, ext, 1, 2000, 200, 17, 15);
		cut(&g_a, 1024, pc[0], 8);
		n6 = cut(&g_b, 512, p6, 8);
		test_eq_u64("mixed: v6 pieces", n6, 4);
		send_frag(c, &g_b, p6[3].off, p6[3].len, p6[3].more, NULL, &out, &outlen, &anom);
		send_frag(c, &g_a, pc[0][1].off, pc[0][1].len, pc[0][1].more, NULL, &out, &outlen, &anom);
		send_frag(c, &g_b, p6[1].off, p6[1].len, p6[1].more, NULL, &out, &outlen, &anom);
		send_frag(c, &g_b, p6[0].off, p6[0].len, p6[0].more, NULL, &out, &outlen, &anom);
		if (send_frag(c, &g_a, pc[0][0].off, pc[0][0].len, pc[0][0].more, NULL,
		    &out, &outlen, &anom) == IPFRAG_DONE)
			got += same_as(&g_a, out, outlen);
		if (send_frag(c, &g_b, p6[2].off, p6[2].len, p6[2].more, NULL,
		    &out, &outlen, &anom) == IPFRAG_DONE)
			got += same_as(&g_b, out, outlen);
		test_eq_u64("mixed: both rebuilt", got, 2);
	}
	ipfrag_free(c);
}

static void test_v6(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	struct piece pc[64];
	int ord[64], n;
	static const uint8_t ext2[2] = { 0, 43 };	/* Hop-by-Hop, Routing */
	static const uint8_t ext3[3] = { 0, 60, 43 };	/* + Destination Options */
	struct ipfrag_stats st;

	/* Fragment header right after the fixed header: byte 6 is fixed. */
	dg_v6(&g_a, NULL, 0, 4000, 0xdeadbeef, 17, 20);
	test_eq_u64("v6 plain: header", g_a.hlen, 40);
	n = cut(&g_a, 1448, pc, 64);
	run_order(c, &g_a, pc, NULL, n, "v6 plain, in order");
	for (int k = 0; k < n; k++)
		ord[k] = n - 1 - k;
	run_order(c, &g_a, pc, ord, n, "v6 plain, reverse");

	/* Hop-by-Hop + Routing before the Fragment header: Routing's NH fixed. */
	dg_v6(&g_a, ext2, 2, 3001, 77, 6, 21);
	test_eq_u64("v6 ext: header", g_a.hlen, 56);
	test_eq_u64("v6 ext: nh byte in Routing", g_a.nh_pos, 48);
	n = cut(&g_a, 1232, pc, 64);
	run_order(c, &g_a, pc, NULL, n, "v6 ext, in order");
	for (int k = 0; k < n; k++)
		ord[k] = (k + 1) % n;	/* offset 0 last */
	run_order(c, &g_a, pc, ord, n, "v6 ext, first fragment last");

	dg_v6(&g_a, ext3, 3, 700, 78, 58, 22);
	n = cut(&g_a, 256, pc, 64);
	for (int k = 0; k < n; k++)
		ord[k] = n - 1 - k;
	run_order(c, &g_a, pc, ord, n, "v6 three ext headers, reverse");

	ipfrag_get_stats(c, &st);
	test_eq_u64("v6 reassembled", st.reassembled, 5);
	test_eq_u64("v6 nothing held", st.mem, 0);
	ipfrag_free(c);
}

/* An offset-0 fragment whose extension chain does not lead to it. */
static void test_v6_bad_chain(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	enum ipfrag_result r;
	static const uint8_t ext2[2] = { 0, 43 };

	dg_v6(&g_a, ext2, 2, 100, 79, 17, 23);
	g_a.buf[41] = 5;	/* Hop-by-Hop claims 48 bytes: past the Fragment header */
	r = send_frag(c, &g_a, 0, 48, true, NULL, &out, &outlen, &anom);
	test_cond("v6 bad chain: dropped", r == IPFRAG_DROPPED &&
	    anom == ANOM_DECODE_IPV6_BAD_EXTHDR);
	r = send_frag(c, &g_a, 48, 52, false, NULL, &out, &outlen, &anom);
	test_cond("v6 bad chain: rest dropped", r == IPFRAG_DROPPED);
	ipfrag_free(c);
}

static void test_timeout(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, 1000);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	enum ipfrag_result r;
	struct ipfrag_stats st;
	struct fopt o = { .ts = 5000 };

	dg_v4(&g_a, 20, 300, 300, 17, 30);
	r = send_frag(c, &g_a, 0, 160, true, &o, &out, &outlen, &anom);
	test_cond("timeout: held", r == IPFRAG_HELD);
	ipfrag_get_stats(c, &st);
	test_cond("timeout: memory held", st.mem > 0);
	ipfrag_expire(c, 6000);		/* exactly the timeout: still alive */
	ipfrag_get_stats(c, &st);
	test_eq_u64("timeout: not yet", st.timeouts, 0);
	ipfrag_expire(c, 6001);
	ipfrag_get_stats(c, &st);
	test_eq_u64("timeout: expired", st.timeouts, 1);
	test_eq_u64("timeout: dropped", st.dropped, 1);
	test_eq_u64("timeout: memory back", st.mem, 0);
	o.ts = 6002;
	r = send_frag(c, &g_a, 160, 140, false, &o, &out, &outlen, &anom);
	test_cond("timeout: late rest does not complete", r == IPFRAG_HELD);

	/* Expiry also happens inside ipfrag_add, from the packet's time. */
	o.ts = 8000;
	dg_v4(&g_b, 20, 300, 301, 17, 31);
	r = send_frag(c, &g_b, 0, 160, true, &o, &out, &outlen, &anom);
	ipfrag_get_stats(c, &st);
	test_eq_u64("timeout: implicit", st.timeouts, 2);
	o.ts = 8900;
	r = send_frag(c, &g_b, 160, 140, false, &o, &out, &outlen, &anom);
	test_cond("timeout: in time completes", r == IPFRAG_DONE &&
	    same_as(&g_b, out, outlen));
	ipfrag_free(c);
}

static void test_memcap(void)
{
	size_t cap = 256 * 1024;
	struct ipfrag_ctx *c = ipfrag_new(cap, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom = ANOM__COUNT;
	enum ipfrag_result r = IPFRAG_HELD;
	struct ipfrag_stats st;
	int k;

	test_cond("memcap: ctx", c != NULL);
	if (c == NULL)
		return;
	test_cond("memcap: tiny budget refused", ipfrag_new(1000, TIMEOUT_US) == NULL);

	/* Incomplete datagrams of 8 KiB until the budget runs out. */
	for (k = 0; k < 1000; k++) {
		dg_v4(&g_a, 20, 16384, (uint16_t)(1000 + k), 17, 40);
		r = send_frag(c, &g_a, 0, 8192, true, NULL, &out, &outlen, &anom);
		if (r != IPFRAG_HELD)
			break;
	}
	test_cond("memcap: refused at last", r == IPFRAG_DROPPED && anom == ANOM_FRAG_MEMCAP);
	test_cond("memcap: some held first", k > 2 && k < 1000);
	ipfrag_get_stats(c, &st);
	test_cond("memcap: peak within budget", st.mem_peak <= cap);
	test_eq_u64("memcap: one dropped", st.dropped, 1);

	/* Rest of the refused datagram: refused too, counted once. */
	r = send_frag(c, &g_a, 8192, 8192, false, NULL, &out, &outlen, &anom);
	test_cond("memcap: rest refused", r == IPFRAG_DROPPED && anom == ANOM_FRAG_MEMCAP);
	ipfrag_get_stats(c, &st);
	test_eq_u64("memcap: still one dropped", st.dropped, 1);

	/* Everything expires; then a datagram goes through again. */
	ipfrag_expire(c, TIMEOUT_US + 1);
	ipfrag_get_stats(c, &st);
	test_eq_u64("memcap: all freed", st.mem, 0);
	dg_v4(&g_b, 20, 16384, 1, 17, 41);
	send_frag(c, &g_b, 0, 8192, true, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_b, 8192, 8192, false, NULL, &out, &outlen, &anom);
	test_cond("memcap: works after expiry", r == IPFRAG_DONE && same_as(&g_b, out, outlen));

	ipfrag_free(c);

	/* Out of trackers (not blocks): many small incomplete datagrams. */
	c = ipfrag_new(cap, TIMEOUT_US);
	test_cond("trackers: ctx", c != NULL);
	if (c == NULL)
		return;
	for (k = 0; k < 5000; k++) {
		dg_v4(&g_a, 20, 64, (uint16_t)k, 17, 43);
		r = send_frag(c, &g_a, 0, 32, true, NULL, &out, &outlen, &anom);
		if (r != IPFRAG_HELD)
			break;
	}
	test_cond("trackers: refused at last", r == IPFRAG_DROPPED && anom == ANOM_FRAG_MEMCAP);
	test_cond("trackers: some held first", k > 2 && k < 5000);
	ipfrag_get_stats(c, &st);
	test_cond("trackers: peak within budget", st.mem_peak <= cap);
	ipfrag_expire(c, TIMEOUT_US + 1);

	/* Abandoned markers in every tracker do not block a good datagram. */
	for (k = 0; k < 5000; k++) {
		dg_v4(&g_a, 20, 64, (uint16_t)k, 17, 44);
		r = send_frag(c, &g_a, 65528, 16, false, NULL, &out, &outlen, &anom);
		if (r != IPFRAG_DROPPED || anom != ANOM_FRAG_TOO_LARGE)
			break;
	}
	test_eq_u64("markers: all too large", k, 5000);
	dg_v4(&g_b, 20, 3000, 9999, 6, 45);
	send_frag(c, &g_b, 0, 1480, true, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_b, 1480, 1520, false, NULL, &out, &outlen, &anom);
	test_cond("markers: good datagram still rebuilt", r == IPFRAG_DONE &&
	    same_as(&g_b, out, outlen));
	ipfrag_free(c);

	/* One datagram bigger than the whole block pool of a small context. */
	c = ipfrag_new(128 * 1024, TIMEOUT_US);
	test_cond("memcap: small ctx", c != NULL);
	if (c == NULL)
		return;
	dg_v4(&g_b, 20, 65000, 2, 17, 42);
	for (k = 0; k < 65000 / 8000; k++) {
		r = send_frag(c, &g_b, (uint32_t)k * 8000, 8000, true, NULL, &out, &outlen, &anom);
		if (r != IPFRAG_HELD)
			break;
	}
	test_cond("memcap: huge datagram refused", r == IPFRAG_DROPPED && anom == ANOM_FRAG_MEMCAP);
	ipfrag_get_stats(c, &st);
	test_cond("memcap: its blocks given back", st.mem < 8192);
	ipfrag_free(c);
}

static void test_too_large(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	enum ipfrag_result r;
	struct ipfrag_stats st;
	struct piece pc[64];
	int n;

	/* The largest legal IPv4 datagram: total length 65535. */
	dg_v4(&g_a, 20, 65515, 500, 17, 50);
	n = cut(&g_a, 1480, pc, 64);
	run_order(c, &g_a, pc, NULL, n, "v4 65535 bytes");

	/* One more byte: the last fragment ends past 65535 - 20 (ping of death). */
	dg_v4(&g_a, 20, 65516, 501, 17, 51);
	r = send_frag(c, &g_a, 0, 1480, true, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_a, 65512, 4, false, NULL, &out, &outlen, &anom);
	test_cond("v4 too large", r == IPFRAG_DROPPED && anom == ANOM_FRAG_TOO_LARGE);
	r = send_frag(c, &g_a, 1480, 1480, true, NULL, &out, &outlen, &anom);
	test_cond("v4 too large: rest refused", r == IPFRAG_DROPPED &&
	    anom == ANOM_FRAG_TOO_LARGE);

	/* IPv6: Payload Length would pass 65535. */
	dg_v6(&g_b, NULL, 0, 100, 502, 17, 52);
	r = send_frag(c, &g_b, 65528, 16, false, NULL, &out, &outlen, &anom);
	test_cond("v6 too large", r == IPFRAG_DROPPED && anom == ANOM_FRAG_TOO_LARGE);

	ipfrag_get_stats(c, &st);
	test_eq_u64("too large: dropped", st.dropped, 2);
	test_eq_u64("too large: reassembled", st.reassembled, 1);
	ipfrag_free(c);
}

/* A fragment cut short by the capture (caplen < wire length). */
static void test_truncated(void)
{
	struct ipfrag_ctx *c = ipfrag_new(4 * MB, TIMEOUT_US);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	enum anomaly_code anom;
	enum ipfrag_result r;
	struct ipfrag_stats st;
	struct fopt o = { .cut = 100 };

	dg_v4(&g_a, 20, 3000, 600, 17, 60);
	r = send_frag(c, &g_a, 0, 1480, true, &o, &out, &outlen, &anom);
	test_cond("truncated first: dropped", r == IPFRAG_DROPPED &&
	    anom == ANOM_DECODE_IPV4_TRUNCATED);
	r = send_frag(c, &g_a, 1480, 1480, true, NULL, &out, &outlen, &anom);
	test_cond("truncated: next refused", r == IPFRAG_DROPPED);
	r = send_frag(c, &g_a, 2960, 40, false, NULL, &out, &outlen, &anom);
	test_cond("truncated: never done", r == IPFRAG_DROPPED && out == NULL);

	dg_v6(&g_b, NULL, 0, 3000, 601, 17, 61);
	r = send_frag(c, &g_b, 1448, 1448, true, NULL, &out, &outlen, &anom);
	r = send_frag(c, &g_b, 0, 1448, true, &o, &out, &outlen, &anom);
	test_cond("v6 truncated first: dropped", r == IPFRAG_DROPPED &&
	    anom == ANOM_DECODE_IPV6_TRUNCATED);
	ipfrag_get_stats(c, &st);
	test_eq_u64("truncated: dropped", st.dropped, 2);
	ipfrag_expire(c, TIMEOUT_US + 1);
	ipfrag_get_stats(c, &st);
	test_eq_u64("truncated: markers expire", st.mem, 0);
	test_eq_u64("truncated: not counted as timeouts", st.timeouts, 0);
	ipfrag_free(c);
}

int main(void)
{
	test_v4_known_header();
	test_v4_orders();
	test_v4_duplicates();
	test_v4_overlaps();
	test_v4_trim();
	test_interleaved();
	test_v6();
	test_v6_bad_chain();
	test_timeout();
	test_memcap();
	test_too_large();
	test_truncated();
	return test_report();
}
