/*
 * capture_test.c - sensor/capture.c on files built here, byte by byte or
 * with libpcap's own writer, and (as root) on the loopback interface.
 *
 * Expected values come from the file formats (pcap: tcpdump.org
 * "LINKTYPE / pcap file format", draft-ietf-opsawg-pcap; pcapng:
 * draft-ietf-opsawg-pcapng sections 4.1, 4.2, 4.3) and from the way the
 * files were built, never from capture.c's own output.  Every packet's first
 * payload byte(s) carry an id so the merge order can be checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include "../../sensor/capture.h"
#include "../../sensor/config.h"
#include "testhelp.h"

static char tmpdir[64];

/* ------------------------------------------------------------------------
 * Writers
 * ---------------------------------------------------------------------- */

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static int write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL)
		return -1;
	if (n > 0 && fwrite(p, 1, n, f) != n)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Little-endian and big-endian stores for hand-built files. */
static size_t put_le16(uint8_t *b, size_t o, uint16_t v)
{
	b[o] = (uint8_t)v;
	b[o + 1] = (uint8_t)(v >> 8);
	return o + 2;
}

static size_t put_le32(uint8_t *b, size_t o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[o + i] = (uint8_t)(v >> (8 * i));
	return o + 4;
}

static size_t put_be32(uint8_t *b, size_t o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[o + i] = (uint8_t)(v >> (24 - 8 * i));
	return o + 4;
}

/*
 * pcap global header (24 bytes): magic, version 2.4, thiszone, sigfigs,
 * snaplen, linktype.  'be' writes every field big-endian.
 */
static size_t pcap_hdr(uint8_t *b, uint32_t magic, uint32_t snaplen,
    uint32_t linktype, int be)
{
	size_t (*p32)(uint8_t *, size_t, uint32_t) = be ? put_be32 : put_le32;
	size_t o = p32(b, 0, magic);

	if (be) {
		b[o++] = 0; b[o++] = 2; b[o++] = 0; b[o++] = 4;
	} else {
		o = put_le16(b, o, 2);
		o = put_le16(b, o, 4);
	}
	o = p32(b, o, 0);
	o = p32(b, o, 0);
	o = p32(b, o, snaplen);
	return p32(b, o, linktype);
}

/* pcap record header (16 bytes) + 'caplen' bytes of data, data[0] = id. */
static size_t pcap_rec(uint8_t *b, size_t o, uint32_t sec, uint32_t frac,
    uint32_t caplen, uint32_t len, uint8_t id, int be)
{
	size_t (*p32)(uint8_t *, size_t, uint32_t) = be ? put_be32 : put_le32;

	o = p32(b, o, sec);
	o = p32(b, o, frac);
	o = p32(b, o, caplen);
	o = p32(b, o, len);
	for (uint32_t i = 0; i < caplen; i++)
		b[o + i] = (uint8_t)(i == 0 ? id : 0xa0 + i);
	return o + caplen;
}

struct wpkt {
	uint32_t sec, usec;
	uint8_t id;
	uint32_t len;
};

/* Writes with libpcap's own writer (pcap_open_dead + pcap_dump_open). */
static int dump_pcap(const char *path, int dlt, const struct wpkt *w, int n)
{
	pcap_t *p = pcap_open_dead(dlt, 65535);
	pcap_dumper_t *d;
	uint8_t buf[256];

	if (p == NULL)
		return -1;
	d = pcap_dump_open(p, path);
	if (d == NULL) {
		pcap_close(p);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct pcap_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = w[i].sec;
		h.ts.tv_usec = w[i].usec;
		h.caplen = h.len = w[i].len;
		memset(buf, 0xee, sizeof(buf));
		buf[0] = w[i].id;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* Reads everything; ids[] gets data[0] of each packet.  Returns the count. */
static int read_ids(struct capture *c, uint8_t *ids, uint64_t *ts, int max,
    enum cap_status *last, char *err, size_t errlen)
{
	struct cap_pkt pkt;
	enum cap_status st;
	int n = 0;

	while ((st = capture_next(c, &pkt, err, errlen)) == CAP_OK) {
		if (n < max) {
			ids[n] = pkt.caplen > 0 ? pkt.data[0] : 0;
			if (ts != NULL)
				ts[n] = pkt.ts_us;
		}
		n++;
	}
	*last = st;
	return n;
}

/* ------------------------------------------------------------------------
 * Offline tests
 * ---------------------------------------------------------------------- */

static void test_merge(void)
{
	/* a: 1,3,5,7 at usec 1,3,5,7; b: 2,4 then 8 at 7 (tie) then 9 at 6. */
	static const struct wpkt a[] = {
		{ 100, 1, 1, 60 }, { 100, 3, 3, 61 }, { 100, 5, 5, 62 },
		{ 100, 7, 7, 63 },
	};
	static const struct wpkt b[] = {
		{ 100, 2, 2, 70 }, { 100, 4, 4, 71 }, { 100, 7, 8, 72 },
		{ 100, 6, 9, 73 },
	};
	static const uint8_t want_ab[] = { 1, 2, 3, 4, 5, 7, 8, 9 };
	static const uint8_t want_ba[] = { 1, 2, 3, 4, 5, 8, 9, 7 };
	char pa[128], pb[128], err[512] = "";
	const char *args[2];
	struct capture *c;
	struct cap_pkt pkt;
	enum cap_status st;
	uint8_t ids[16];
	uint64_t ts[16], done = 1, total = 1;
	int n;

	path_in(pa, sizeof(pa), "a.pcap");
	path_in(pb, sizeof(pb), "b.pcap");
	test_cond("write a.pcap", dump_pcap(pa, DLT_EN10MB, a, 4) == 0);
	test_cond("write b.pcap", dump_pcap(pb, DLT_EN10MB, b, 4) == 0);

	args[0] = pa;
	args[1] = pb;
	c = capture_open_offline(args, 2, 65535, err, sizeof(err));
	test_cond("open a+b", c != NULL);
	if (c == NULL) {
		printf("  err: %s\n", err);
		return;
	}
	capture_progress(c, &done, &total);
	test_eq_u64("progress total = both file sizes", total,
	    file_size(pa) + file_size(pb));
	test_cond("progress done at open <= total", done <= total);

	/* First packet in detail. */
	st = capture_next(c, &pkt, err, sizeof(err));
	test_cond("first packet ok", st == CAP_OK);
	test_eq_u64("first ts_us", pkt.ts_us, 100000001ull);
	test_eq_u64("first caplen", pkt.caplen, 60);
	test_eq_u64("first wirelen", pkt.wirelen, 60);
	test_eq_u64("first linktype", pkt.linktype, DLT_EN10MB);
	test_eq_u64("first id", pkt.data[0], 1);
	test_eq_u64("first byte 59", pkt.data[59], 0xee);

	ids[0] = 1;
	n = 1 + read_ids(c, ids + 1, ts + 1, 15, &st, err, sizeof(err));
	test_eq_u64("a+b: packet count", n, 8);
	test_cond("a+b: ends with EOF", st == CAP_EOF);
	test_cond("a+b: merged order (tie to first argument)",
	    n == 8 && memcmp(ids, want_ab, 8) == 0);
	test_eq_u64("a+b: ts of id 9 (file order kept)", ts[7], 100000006ull);
	test_cond("EOF is sticky", capture_next(c, &pkt, err, sizeof(err)) ==
	    CAP_EOF);
	capture_progress(c, &done, &total);
	test_eq_u64("progress done = total at EOF", done, total);
	test_eq_u64("stats offline -> 0", capture_stats(c, NULL, NULL, NULL), 0);
	capture_close(c);

	args[0] = pb;
	args[1] = pa;
	c = capture_open_offline(args, 2, 65535, err, sizeof(err));
	test_cond("open b+a", c != NULL);
	if (c == NULL)
		return;
	n = read_ids(c, ids, NULL, 16, &st, err, sizeof(err));
	test_cond("b+a: merged order (tie to first argument)",
	    n == 8 && memcmp(ids, want_ba, 8) == 0);
	capture_close(c);
}

static void test_directory(void)
{
	static const struct wpkt p10[] = { { 10, 0, 10, 40 } };
	static const struct wpkt p11[] = { { 5, 0, 11, 28 } };
	static const struct wpkt p12[] = { { 5, 0, 12, 40 }, { 6, 0, 13, 40 } };
	char d[128], p[192], err[512] = "";
	const char *args[1];
	struct capture *c;
	struct cap_pkt pkt;
	enum cap_status st;
	int linktypes[8], n = 0;
	uint8_t ids[8];

	path_in(d, sizeof(d), "dir");
	test_cond("mkdir dir", mkdir(d, 0700) == 0);
	snprintf(p, sizeof(p), "%s/sub", d);
	test_cond("mkdir dir/sub", mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/sub/empty", d);
	test_cond("mkdir dir/sub/empty", mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/.hiddendir", d);
	test_cond("mkdir dir/.hiddendir", mkdir(p, 0700) == 0);

	snprintf(p, sizeof(p), "%s/1.pcap", d);
	test_cond("write dir/1.pcap", dump_pcap(p, DLT_EN10MB, p10, 1) == 0);
	snprintf(p, sizeof(p), "%s/sub/0.pcap", d);
	test_cond("write dir/sub/0.pcap", dump_pcap(p, DLT_RAW, p11, 1) == 0);
	snprintf(p, sizeof(p), "%s/z.pcap", d);
	test_cond("write dir/z.pcap", dump_pcap(p, DLT_EN10MB, p12, 2) == 0);
	/* Hidden entries hold garbage: reading any of them would fail. */
	snprintf(p, sizeof(p), "%s/.hidden.pcap", d);
	test_cond("write hidden", write_bytes(p, "garbage!garbage!garbage!!", 25) == 0);
	snprintf(p, sizeof(p), "%s/.hiddendir/x.pcap", d);
	test_cond("write hidden dir file", write_bytes(p, "garbage!garbage!garbage!!", 25) == 0);
	snprintf(p, sizeof(p), "%s/sub/dangling", d);
	test_cond("dangling symlink", symlink("/nonexistent/x", p) == 0);
	snprintf(p, sizeof(p), "%s/sub/loop", d);
	test_cond("dir symlink loop", symlink("..", p) == 0);

	/*
	 * Walk order (byte order): 1.pcap, sub/0.pcap, z.pcap.  Ties at 5 s
	 * go to the earlier source: 11 (sub/0) before 12 (z), then 13, 10.
	 */
	args[0] = d;
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("open dir", c != NULL);
	if (c == NULL) {
		printf("  err: %s\n", err);
		return;
	}
	while ((st = capture_next(c, &pkt, err, sizeof(err))) == CAP_OK) {
		if (n < 8) {
			ids[n] = pkt.data[0];
			linktypes[n] = pkt.linktype;
		}
		n++;
	}
	test_cond("dir: EOF", st == CAP_EOF);
	test_eq_u64("dir: packet count", n, 4);
	if (n == 4) {
		test_eq_u64("dir: 1st id", ids[0], 11);
		test_eq_u64("dir: 1st linktype raw", linktypes[0], DLT_RAW);
		test_eq_u64("dir: 2nd id", ids[1], 12);
		test_eq_u64("dir: 2nd linktype ether", linktypes[1], DLT_EN10MB);
		test_eq_u64("dir: 3rd id", ids[2], 13);
		test_eq_u64("dir: 4th id", ids[3], 10);
	}
	capture_close(c);

	/* An empty directory, and one with only hidden files, are errors. */
	snprintf(p, sizeof(p), "%s/sub/empty", d);
	args[0] = p;
	err[0] = '\0';
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("empty dir -> error", c == NULL);
	test_cond("empty dir error names it", contains(err, p));
	capture_close(c);
	snprintf(p, sizeof(p), "%s/.hiddendir/x.pcap", d);
	unlink(p);
	snprintf(p, sizeof(p), "%s/hidonly", d);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/hidonly/.a.pcap", d);
	dump_pcap(p, DLT_EN10MB, p10, 1);
	snprintf(p, sizeof(p), "%s/hidonly", d);
	err[0] = '\0';
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("dir of hidden files -> error", c == NULL);
	test_cond("hidden-only error names it", contains(err, p));
	capture_close(c);
}

/*
 * pcapng (draft-ietf-opsawg-pcapng): SHB, an IDB with if_tsresol = 9
 * (nanoseconds), two EPBs.  Timestamps are 64-bit counts of ns.
 */
static size_t pcapng_build(uint8_t *b)
{
	static const uint64_t ts[2] = {
		1700000000123456789ull, 1700000000999999999ull
	};
	static const uint32_t caplen[2] = { 5, 8 }, origlen[2] = { 60, 8 };
	size_t o = 0, start;

	/* Section Header Block, 28 bytes, no options. */
	o = put_le32(b, o, 0x0A0D0D0A);
	o = put_le32(b, o, 28);
	o = put_le32(b, o, 0x1A2B3C4D);		/* byte-order magic */
	o = put_le16(b, o, 1);			/* major */
	o = put_le16(b, o, 0);			/* minor */
	o = put_le32(b, o, 0xffffffff);		/* section length -1 */
	o = put_le32(b, o, 0xffffffff);
	o = put_le32(b, o, 28);

	/* Interface Description Block: LINKTYPE_ETHERNET, if_tsresol. */
	o = put_le32(b, o, 1);
	o = put_le32(b, o, 32);
	o = put_le16(b, o, 1);			/* linktype */
	o = put_le16(b, o, 0);			/* reserved */
	o = put_le32(b, o, 0);			/* snaplen: none */
	o = put_le16(b, o, 9);			/* if_tsresol */
	o = put_le16(b, o, 1);
	b[o++] = 9; b[o++] = 0; b[o++] = 0; b[o++] = 0;	/* 10^-9, padding */
	o = put_le32(b, o, 0);			/* opt_endofopt */
	o = put_le32(b, o, 32);

	for (int i = 0; i < 2; i++) {
		uint32_t pad = (caplen[i] + 3) & ~3u;
		uint32_t len = 32 + pad;

		start = o;
		o = put_le32(b, o, 6);		/* Enhanced Packet Block */
		o = put_le32(b, o, len);
		o = put_le32(b, o, 0);		/* interface id */
		o = put_le32(b, o, (uint32_t)(ts[i] >> 32));
		o = put_le32(b, o, (uint32_t)ts[i]);
		o = put_le32(b, o, caplen[i]);
		o = put_le32(b, o, origlen[i]);
		memset(b + o, 0, pad);
		for (uint32_t k = 0; k < caplen[i]; k++)
			b[o + k] = (uint8_t)(0x40 + i * 16 + k);
		o += pad;
		o = put_le32(b, o, len);
		(void)start;
	}
	return o;
}

static void test_pcapng(void)
{
	uint8_t buf[256];
	size_t n = pcapng_build(buf);
	char p[128], err[512] = "";
	const char *args[1] = { p };
	struct capture *c;
	struct cap_pkt pkt;
	enum cap_status st;

	path_in(p, sizeof(p), "hand.pcapng");
	test_cond("write pcapng", write_bytes(p, buf, n) == 0);
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("open pcapng", c != NULL);
	if (c == NULL) {
		printf("  err: %s\n", err);
		return;
	}
	st = capture_next(c, &pkt, err, sizeof(err));
	test_cond("pcapng pkt 1", st == CAP_OK);
	if (st == CAP_OK) {
		test_eq_u64("pcapng ts 1 (ns -> us)", pkt.ts_us,
		    1700000000123456ull);
		test_eq_u64("pcapng caplen 1", pkt.caplen, 5);
		test_eq_u64("pcapng wirelen 1", pkt.wirelen, 60);
		test_eq_u64("pcapng data 1[4]", pkt.data[4], 0x44);
		test_eq_u64("pcapng linktype", pkt.linktype, DLT_EN10MB);
	}
	st = capture_next(c, &pkt, err, sizeof(err));
	test_cond("pcapng pkt 2", st == CAP_OK);
	if (st == CAP_OK) {
		test_eq_u64("pcapng ts 2 (ns -> us)", pkt.ts_us,
		    1700000000999999ull);
		test_eq_u64("pcapng caplen 2", pkt.caplen, 8);
		test_eq_u64("pcapng data 2[7]", pkt.data[7], 0x57);
	}
	test_cond("pcapng EOF", capture_next(c, &pkt, err, sizeof(err)) ==
	    CAP_EOF);
	capture_close(c);
}

/* The same packets through editcap's pcapng writer, when tshark is here. */
static void test_editcap(void)
{
	static const uint8_t want[] = { 1, 2, 3, 4, 5, 7, 8, 9 };
	char pa[128], pb[128], na[128], nb[128], cmd[600], err[512] = "";
	const char *args[2] = { na, nb };
	struct capture *c;
	enum cap_status st;
	uint8_t ids[16];
	int n;

	if (access("/usr/bin/editcap", X_OK) != 0) {
		printf("skip: editcap not installed\n");
		return;
	}
	path_in(pa, sizeof(pa), "a.pcap");
	path_in(pb, sizeof(pb), "b.pcap");
	path_in(na, sizeof(na), "a.pcapng");
	path_in(nb, sizeof(nb), "b.pcapng");
	snprintf(cmd, sizeof(cmd), "editcap -F pcapng %s %s && "
	    "editcap -F pcapng %s %s", pa, na, pb, nb);
	test_cond("editcap ran", system(cmd) == 0);
	c = capture_open_offline(args, 2, 65535, err, sizeof(err));
	test_cond("open editcap pcapng", c != NULL);
	if (c == NULL) {
		printf("  err: %s\n", err);
		return;
	}
	n = read_ids(c, ids, NULL, 16, &st, err, sizeof(err));
	test_cond("editcap pcapng: EOF", st == CAP_EOF);
	test_cond("editcap pcapng: merged order",
	    n == 8 && memcmp(ids, want, 8) == 0);
	capture_close(c);
}

/* Nanosecond pcap (magic 0xa1b23c4d), big-endian pcap, wirelen < caplen. */
static void test_variants(void)
{
	uint8_t b[256];
	size_t o;
	char p[128], q[128], err[512] = "";
	const char *args[1];
	struct capture *c;
	struct cap_pkt pkt;

	path_in(p, sizeof(p), "ns.pcap");
	o = pcap_hdr(b, 0xa1b23c4d, 65535, 1, 0);
	o = pcap_rec(b, o, 1000, 123456789, 20, 20, 1, 0);
	o = pcap_rec(b, o, 1000, 999999999, 20, 20, 2, 0);
	test_cond("write ns.pcap", write_bytes(p, b, o) == 0);
	args[0] = p;
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("open ns.pcap", c != NULL);
	if (c != NULL) {
		test_cond("ns pkt 1", capture_next(c, &pkt, err,
		    sizeof(err)) == CAP_OK);
		test_eq_u64("ns ts 1 -> us", pkt.ts_us, 1000123456ull);
		test_cond("ns pkt 2", capture_next(c, &pkt, err,
		    sizeof(err)) == CAP_OK);
		test_eq_u64("ns ts 2 -> us", pkt.ts_us, 1000999999ull);
		test_eq_u64("ns id 2", pkt.data[0], 2);
		capture_close(c);
	}

	path_in(q, sizeof(q), "be.pcap");
	o = pcap_hdr(b, 0xa1b2c3d4, 65535, 101, 1);	/* LINKTYPE_RAW */
	o = pcap_rec(b, o, 0x01020304, 500000, 20, 1500, 7, 1);
	test_cond("write be.pcap", write_bytes(q, b, o) == 0);
	args[0] = q;
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("open be.pcap", c != NULL);
	if (c != NULL) {
		test_cond("be pkt", capture_next(c, &pkt, err,
		    sizeof(err)) == CAP_OK);
		test_eq_u64("be ts", pkt.ts_us, 0x01020304ull * 1000000 + 500000);
		test_eq_u64("be caplen", pkt.caplen, 20);
		test_eq_u64("be wirelen", pkt.wirelen, 1500);
		test_eq_u64("be linktype raw", pkt.linktype, DLT_RAW);
		test_eq_u64("be id", pkt.data[0], 7);
		capture_close(c);
	}

	/* A record claiming fewer bytes on the wire than it holds. */
	path_in(q, sizeof(q), "wire.pcap");
	o = pcap_hdr(b, 0xa1b2c3d4, 65535, 1, 0);
	o = pcap_rec(b, o, 1, 0, 30, 4, 3, 0);
	test_cond("write wire.pcap", write_bytes(q, b, o) == 0);
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("open wire.pcap", c != NULL);
	if (c != NULL) {
		test_cond("wire pkt", capture_next(c, &pkt, err,
		    sizeof(err)) == CAP_OK);
		test_eq_u64("caplen kept", pkt.caplen, 30);
		test_eq_u64("wirelen raised to caplen", pkt.wirelen, 30);
		capture_close(c);
	}
}

static void test_truncated(void)
{
	uint8_t b[512];
	size_t o, full;
	char p[128], g[128], err[512] = "", want[64];
	const char *args[2];
	struct capture *c;
	struct cap_pkt pkt;
	enum cap_status st;
	uint8_t ids[16];
	int n;

	/* Three 20-byte records: 24 + 3 * 36 = 132 bytes; cut inside #3's data. */
	o = pcap_hdr(b, 0xa1b2c3d4, 65535, 1, 0);
	o = pcap_rec(b, o, 1, 0, 20, 20, 1, 0);
	o = pcap_rec(b, o, 2, 0, 20, 20, 2, 0);
	o = pcap_rec(b, o, 3, 0, 20, 20, 3, 0);
	full = o;
	test_eq_u64("hand pcap size", full, 132);
	path_in(p, sizeof(p), "trunc_body.pcap");
	test_cond("write trunc_body", write_bytes(p, b, full - 13) == 0);
	args[0] = p;
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("open trunc_body", c != NULL);
	if (c != NULL) {
		n = read_ids(c, ids, NULL, 16, &st, err, sizeof(err));
		test_eq_u64("trunc_body: packets before error", n, 2);
		test_cond("trunc_body: CAP_ERROR", st == CAP_ERROR);
		test_cond("trunc_body: error names file", contains(err, p));
		/* Record #3 starts at 24 + 2 * 36 = 96. */
		test_cond("trunc_body: byte offset 96",
		    contains(err, "at byte offset 96"));
		if (st == CAP_ERROR)
			printf("  (message: %s)\n", err);
		test_cond("trunc_body: then EOF", capture_next(c, &pkt, err,
		    sizeof(err)) == CAP_EOF);
		capture_close(c);
	}

	/* Cut 5 bytes into record #2's header: error at 24 + 36 = 60. */
	path_in(p, sizeof(p), "trunc_hdr.pcap");
	test_cond("write trunc_hdr", write_bytes(p, b, 24 + 36 + 5) == 0);
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("open trunc_hdr", c != NULL);
	if (c != NULL) {
		n = read_ids(c, ids, NULL, 16, &st, err, sizeof(err));
		test_eq_u64("trunc_hdr: packets before error", n, 1);
		test_cond("trunc_hdr: CAP_ERROR", st == CAP_ERROR);
		snprintf(want, sizeof(want), "at byte offset %d", 60);
		test_cond("trunc_hdr: names file and offset",
		    contains(err, p) && contains(err, want));
		capture_close(c);
	}

	/*
	 * Merged with a good file g (1.5 s, 2.5 s, 4 s): t1, g1.5, t2, then
	 * the error when t is read again, then the rest of g.
	 */
	path_in(p, sizeof(p), "trunc_body.pcap");
	path_in(g, sizeof(g), "good.pcap");
	o = pcap_hdr(b, 0xa1b2c3d4, 65535, 1, 0);
	o = pcap_rec(b, o, 1, 500000, 20, 20, 11, 0);
	o = pcap_rec(b, o, 2, 500000, 20, 20, 12, 0);
	o = pcap_rec(b, o, 4, 0, 20, 20, 13, 0);
	test_cond("write good", write_bytes(g, b, o) == 0);
	args[0] = p;
	args[1] = g;
	c = capture_open_offline(args, 2, 65535, err, sizeof(err));
	test_cond("open trunc+good", c != NULL);
	if (c != NULL) {
		n = read_ids(c, ids, NULL, 16, &st, err, sizeof(err));
		test_cond("trunc+good: 1, 11, 2 then error",
		    n == 3 && ids[0] == 1 && ids[1] == 11 && ids[2] == 2 &&
		    st == CAP_ERROR && contains(err, p));
		n = read_ids(c, ids, NULL, 16, &st, err, sizeof(err));
		test_cond("trunc+good: then 12, 13, EOF",
		    n == 2 && ids[0] == 12 && ids[1] == 13 && st == CAP_EOF);
		capture_close(c);
	}
}

static void test_open_errors(void)
{
	char p[128], q[128], err[512];
	const char *args[3];
	struct capture *c;

	path_in(p, sizeof(p), "notpcap.txt");
	test_cond("write notpcap", write_bytes(p,
	    "this is not a capture file, just text\n", 38) == 0);
	args[0] = p;
	err[0] = '\0';
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("non-pcap -> NULL", c == NULL);
	test_cond("non-pcap error names it", contains(err, p));
	capture_close(c);

	path_in(q, sizeof(q), "missing.pcap");
	args[0] = q;
	err[0] = '\0';
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("missing -> NULL", c == NULL);
	test_cond("missing error names it", contains(err, q) &&
	    contains(err, "No such file"));
	capture_close(c);

	/* A bad file after a good one: the whole open fails, naming it. */
	path_in(q, sizeof(q), "a.pcap");
	args[0] = q;
	args[1] = p;
	err[0] = '\0';
	c = capture_open_offline(args, 2, 65535, err, sizeof(err));
	test_cond("good+bad -> NULL", c == NULL);
	test_cond("good+bad names the bad one", contains(err, p));
	capture_close(c);

	path_in(q, sizeof(q), "empty.pcap");
	write_bytes(q, "", 0);
	args[0] = q;
	err[0] = '\0';
	c = capture_open_offline(args, 1, 65535, err, sizeof(err));
	test_cond("empty file -> NULL", c == NULL && contains(err, q));
	capture_close(c);

	args[0] = "-";
	args[1] = "-";
	err[0] = '\0';
	c = capture_open_offline(args, 2, 65535, err, sizeof(err));
	test_cond("stdin twice -> NULL", c == NULL && contains(err, "-"));
	capture_close(c);

	err[0] = '\0';
	c = capture_open_offline(args, 0, 65535, err, sizeof(err));
	test_cond("no paths -> NULL", c == NULL && err[0] != '\0');
	capture_close(c);
}

static void test_stdin(void)
{
	char pa[128], pb[128], err[512] = "";
	const char *args[2];
	static const uint8_t want[] = { 1, 2, 3, 4, 5, 7, 8, 9 };
	struct capture *c;
	enum cap_status st;
	uint8_t ids[16];
	uint64_t done, total;
	int saved, fd, n;

	path_in(pa, sizeof(pa), "a.pcap");
	path_in(pb, sizeof(pb), "b.pcap");
	saved = dup(STDIN_FILENO);
	fd = open(pa, O_RDONLY);
	test_cond("stdin redirect", saved >= 0 && fd >= 0 &&
	    dup2(fd, STDIN_FILENO) == STDIN_FILENO);
	close(fd);
	args[0] = "-";
	args[1] = pb;
	c = capture_open_offline(args, 2, 65535, err, sizeof(err));
	test_cond("open stdin + b", c != NULL);
	if (c != NULL) {
		n = read_ids(c, ids, NULL, 16, &st, err, sizeof(err));
		test_cond("stdin + b merged", n == 8 && st == CAP_EOF &&
		    memcmp(ids, want, 8) == 0);
		capture_progress(c, &done, &total);
		test_eq_u64("stdin (a file) progress total", total,
		    file_size(pa) + file_size(pb));
		capture_close(c);
	}
	test_cond("stdin still open after close",
	    fcntl(STDIN_FILENO, F_GETFD) != -1);
	dup2(saved, STDIN_FILENO);
	close(saved);
}

/* 1024 files open at once (the cap), read in (ts, argument) order; 1025 fail. */
static void test_many(void)
{
	enum { N = 1024 };
	char d[128], p[192], err[512] = "";
	const char *args[1] = { d };
	struct capture *c;
	struct cap_pkt pkt;
	enum cap_status st;
	uint8_t b[128];
	size_t o;
	long prev_ts = -1, prev_idx = -1;
	int i, n = 0, ordered = 1;

	path_in(d, sizeof(d), "many");
	test_cond("mkdir many", mkdir(d, 0700) == 0);
	for (i = 0; i < N; i++) {
		/* ts pairs: files 2 apart share a second, so ties abound. */
		uint32_t sec = (uint32_t)((i * 7919) % N) / 2;

		o = pcap_hdr(b, 0xa1b2c3d4, 256, 1, 0);
		o = pcap_rec(b, o, sec, 0, 20, 20, 0, 0);
		b[24 + 16] = (uint8_t)(i >> 8);
		b[24 + 17] = (uint8_t)i;
		snprintf(p, sizeof(p), "%s/f%04d.pcap", d, i);
		if (write_bytes(p, b, o) != 0)
			break;
	}
	test_eq_u64("wrote 1024 files", i, N);
	c = capture_open_offline(args, 1, 256, err, sizeof(err));
	test_cond("open 1024 files", c != NULL);
	if (c == NULL) {
		printf("  err: %s\n", err);
	} else {
		while ((st = capture_next(c, &pkt, err, sizeof(err))) ==
		    CAP_OK) {
			long ts = (long)(pkt.ts_us / 1000000);
			long idx = pkt.data[0] << 8 | pkt.data[1];

			if (ts < prev_ts || (ts == prev_ts && idx <= prev_idx))
				ordered = 0;
			if (ts != (long)(((idx * 7919) % N) / 2))
				ordered = 0;
			prev_ts = ts;
			prev_idx = idx;
			n++;
		}
		test_cond("1024 files: EOF", st == CAP_EOF);
		test_eq_u64("1024 files: packets", n, N);
		test_cond("1024 files: (ts, file) order", ordered);
		capture_close(c);
	}
	snprintf(p, sizeof(p), "%s/g.pcap", d);
	o = pcap_hdr(b, 0xa1b2c3d4, 256, 1, 0);
	write_bytes(p, b, o);
	err[0] = '\0';
	c = capture_open_offline(args, 1, 256, err, sizeof(err));
	test_cond("1025 files -> NULL", c == NULL);
	test_cond("1025 files: says too many", contains(err, "too many"));
	capture_close(c);
}

/* ------------------------------------------------------------------------
 * Live tests
 * ---------------------------------------------------------------------- */

static void live_cfg(struct config *cfg, const char *ifn, const char *bpf)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->iface, sizeof(cfg->iface), "%s", ifn);
	snprintf(cfg->bpf, sizeof(cfg->bpf), "%s", bpf);
	cfg->snaplen = 256;
	cfg->buffer_mb = 2;
	cfg->promisc = false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct capture *alarm_cap;

static void on_alarm(int sig)
{
	(void)sig;
	if (alarm_cap != NULL)
		capture_break(alarm_cap);
}

static void test_live(void)
{
	static const char marker[] = "spanlog-capture-test";
	struct config cfg;
	char err[512] = "";
	struct capture *c, *c2;
	struct cap_pkt pkt;
	enum cap_status st;
	uint64_t recv = 0, drop = 0, ifdrop = 0;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int rx, tx, seen = 0, slow = 0, i;
	double t0, t;

	live_cfg(&cfg, "nosuchif9", "");
	c = capture_open_live(&cfg, 0, 1, 0, err, sizeof(err));
	test_cond("live: missing interface -> NULL", c == NULL);
	test_cond("live: error names the interface", contains(err, "nosuchif9"));
	printf("  (message: %s)\n", err);
	capture_close(c);

	if (geteuid() != 0 || if_nametoindex("lo") == 0) {
		printf("skip: live loopback tests need root and lo\n");
		return;
	}

	live_cfg(&cfg, "lo", "udp and (");
	err[0] = '\0';
	c = capture_open_live(&cfg, 0, 1, 0, err, sizeof(err));
	test_cond("live: bad BPF -> NULL", c == NULL);
	test_cond("live: bad BPF error names the filter",
	    contains(err, "udp and (") && contains(err, "lo"));
	capture_close(c);

	/* A receiving socket on an ephemeral port, so no ICMP goes back. */
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	test_cond("live: bind rx", rx >= 0 &&
	    bind(rx, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(rx, (struct sockaddr *)&sa, &salen) == 0);

	live_cfg(&cfg, "lo", "");
	snprintf(cfg.bpf, sizeof(cfg.bpf), "udp and dst port %u",
	    (unsigned)ntohs(sa.sin_port));
	err[0] = '\0';
	c = capture_open_live(&cfg, 0, 1, 0, err, sizeof(err));
	test_cond("live: open lo", c != NULL);
	if (c == NULL) {
		printf("  err: %s\n", err);
		close(rx);
		return;
	}
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	test_cond("live: send one datagram to 127.0.0.1", tx >= 0 &&
	    sendto(tx, marker, sizeof(marker) - 1, 0,
	    (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)sizeof(marker) - 1);
	for (i = 0; i < 30 && !seen; i++) {
		t0 = now_s();
		st = capture_next(c, &pkt, err, sizeof(err));
		t = now_s() - t0;
		if (t > 1.0)
			slow = 1;
		if (st == CAP_OK) {
			test_eq_u64("live: lo linktype", pkt.linktype, DLT_EN10MB);
			test_cond("live: caplen <= snaplen", pkt.caplen <= 256);
			if (pkt.caplen >= sizeof(marker) - 1 &&
			    memcmp(pkt.data + pkt.caplen - (sizeof(marker) - 1),
			    marker, sizeof(marker) - 1) == 0)
				seen = 1;
		} else if (st != CAP_TIMEOUT) {
			printf("  unexpected status %d: %s\n", (int)st, err);
			break;
		}
	}
	test_cond("live: each capture_next returned within 1 s", !slow);
	test_cond("live: saw our datagram", seen);
	test_eq_u64("live: stats ok", capture_stats(c, &recv, &drop, &ifdrop), 0);
	test_cond("live: stats count it", recv >= 1);

	/* Idle: a timeout comes back within ~1 s. */
	t0 = now_s();
	st = capture_next(c, &pkt, err, sizeof(err));
	test_cond("live: idle -> CAP_TIMEOUT", st == CAP_TIMEOUT);
	test_cond("live: idle call short", now_s() - t0 < 1.0);

	/* capture_break from a signal handler ends a waiting loop. */
	alarm_cap = c;
	signal(SIGALRM, on_alarm);
	{
		struct itimerval it;

		memset(&it, 0, sizeof(it));
		it.it_value.tv_usec = 300000;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	t0 = now_s();
	while ((st = capture_next(c, &pkt, err, sizeof(err))) != CAP_EOF &&
	    now_s() - t0 < 3.0 && (st == CAP_TIMEOUT || st == CAP_OK))
		;
	test_cond("live: capture_break -> CAP_EOF", st == CAP_EOF);
	test_cond("live: break seen within 1.5 s", now_s() - t0 < 1.5);
	alarm_cap = NULL;
	signal(SIGALRM, SIG_DFL);
	capture_close(c);

	/*
	 * Two workers in one fanout group: each datagram reaches exactly one
	 * of them (without the group both would see all 20).
	 */
	err[0] = '\0';
	c = capture_open_live(&cfg, 0, 2, 0x4242, err, sizeof(err));
	test_cond("live: fanout worker 0", c != NULL);
	if (c == NULL)
		printf("  err: %s\n", err);
	c2 = capture_open_live(&cfg, 1, 2, 0x4242, err, sizeof(err));
	test_cond("live: fanout worker 1", c2 != NULL);
	if (c2 == NULL)
		printf("  err: %s\n", err);
	if (c != NULL && c2 != NULL) {
		int got[2] = { 0, 0 }, idle = 0;

		for (i = 0; i < 20; i++) {
			/* A new socket each time: a new source port, a new flow. */
			int s = socket(AF_INET, SOCK_DGRAM, 0);

			if (s >= 0) {
				if (sendto(s, marker, sizeof(marker) - 1, 0,
				    (struct sockaddr *)&sa, sizeof(sa)) < 0)
					printf("  sendto: %s\n", strerror(errno));
				close(s);
			}
		}
		while (idle < 4) {
			int any = 0;

			while (capture_next(c, &pkt, err, sizeof(err)) ==
			    CAP_OK) {
				got[0]++;
				any = 1;
			}
			while (capture_next(c2, &pkt, err, sizeof(err)) ==
			    CAP_OK) {
				got[1]++;
				any = 1;
			}
			idle = any ? 0 : idle + 1;
		}
		printf("  (fanout split: %d + %d)\n", got[0], got[1]);
		test_eq_u64("live: fanout delivers each datagram once",
		    got[0] + got[1], 20);
	}
	capture_close(c);
	capture_close(c2);
	close(tx);
	close(rx);

	err[0] = '\0';
	c = capture_open_live(&cfg, 2, 2, 1, err, sizeof(err));
	test_cond("live: index out of range -> NULL", c == NULL &&
	    contains(err, "lo"));
	capture_close(c);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/spanlog-capture-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_merge();
	test_directory();
	test_pcapng();
	test_editcap();
	test_variants();
	test_truncated();
	test_open_errors();
	test_stdin();
	test_many();
	test_live();
	cleanup();
	return test_report();
}
