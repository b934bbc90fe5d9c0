/*
 * ipfrag.c - IPv4 and IPv6 fragment reassembly inside a fixed memory budget.
 *
 * A fragmented datagram arrives as several packets that share one identity
 * (family, VLAN tags, source, destination, protocol, identification).  We
 * collect their data, and when every byte from 0 to the end given by the
 * last fragment (MF = 0) is there, hand back one whole datagram so decode_ip()
 * can treat it like any other packet.
 *
 *   IPv4 fragment:   | IPv4 header (IHL*4) | fragment data |
 *   IPv6 fragment:   | IPv6 | ext ... | Fragment (8) | fragment data |
 *                    '-- unfragmentable part --'
 *
 *   rebuilt IPv4:    | header of the offset-0 fragment | data 0 .. end |
 *                      MF and offset cleared, total length and checksum set
 *   rebuilt IPv6:    | unfragmentable part of the offset-0 fragment | data |
 *                      Fragment header removed, the Next Header that named
 *                      it set to the Fragment header's Next Header, Payload
 *                      Length set
 *
 * References: RFC 791 section 3.2 (fragmentation and reassembly), RFC 815
 * (hole bookkeeping), RFC 8200 section 4.5 (IPv6 Fragment header and
 * reassembly), RFC 5722 (overlaps).
 *
 * Memory.  ipfrag_new() carves the whole budget once: the output buffer, a
 * pool of datagram trackers with a fixed hash table, and a pool of 1 KiB
 * data blocks.  A tracker maps offset/1024 to a block; each block carries one
 * bit per 8-byte unit ("fragment block" in RFC 791) saying whether it is held.
 * Nothing is allocated per packet.
 *
 * Policy, deliberately simple:
 *  - first copy wins: bytes already held are never replaced; if a later
 *    fragment carries different bytes for them, ANOM_FRAG_OVERLAP is
 *    reported (RFC 5722 would drop the datagram; an observer should not).
 *  - a fragment that contradicts the datagram's end (a second last fragment
 *    with another end, or data past the end) is ignored and reported as an
 *    overlap too.
 *  - a non-last fragment whose length is not a multiple of 8 is cut down to
 *    one, as Linux does; the fragment offset unit makes the tail unusable.
 *  - a datagram that would pass 65535 bytes (IPv4 total length, IPv6
 *    Payload Length), whose data cannot get a block (memcap), or that has a
 *    fragment cut short by the capture (caplen) is abandoned: its memory is
 *    freed at once, and the tracker stays as a "dead" marker that refuses
 *    the rest of its fragments until the timeout, so they do not start a
 *    doomed datagram again.
 *  - timeout counts from the first fragment seen; trackers are expired
 *    oldest first, on every ipfrag_add() and ipfrag_expire().
 *
 * Not handled: IPv6 jumbograms, tiny-fragment (RFC 1858) and atomic-fragment
 * policies beyond what decode already does, unfragmentable parts longer than
 * IPFRAG_HDR_MAX bytes (abandoned as too large).
 */
#include <stdlib.h>
#include <string.h>

#include "../dissectors/rd.h"
#include "ipfrag.h"

#define IPFRAG_MAX_PAYLOAD	65535u	/* data bytes of one datagram */
#define IPFRAG_BLK		1024u	/* data bytes per block */
#define IPFRAG_UNITS		(IPFRAG_BLK / 8)	/* 8-byte units per block */
#define IPFRAG_NBLK		((IPFRAG_MAX_PAYLOAD + IPFRAG_BLK - 1) / IPFRAG_BLK)
#define IPFRAG_HDR_MAX		512u	/* kept IPv4 header / IPv6 unfragmentable part */
#define IPFRAG_OUT_MAX		(40u + 65535u)	/* largest datagram we rebuild */
#define IPFRAG_DG_PER_BYTES	8192u	/* one tracker per this much budget */
#define IPFRAG_DG_MIN		4u
#define IPFRAG_DG_MAX		(1u << 20)
#define IPFRAG_NONE		UINT32_MAX

#define IP6_NH_HOPOPTS		0
#define IP6_NH_ROUTING		43
#define IP6_NH_FRAGMENT		44
#define IP6_NH_AH		51
#define IP6_NH_DSTOPTS		60
#define IP6_NH_MH		135
#define IP6_NH_HIP		139
#define IP6_NH_SHIM6		140

/* What makes fragments one datagram.  Compared with memcmp. */
struct frag_ident {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint16_t vlan[FLOW_MAX_VLAN];
	uint8_t nvlan;
	uint8_t family;
	uint8_t proto;
	uint8_t pad;
};

_Static_assert(sizeof(struct frag_ident) == 44, "frag_ident must have no hidden padding");

struct frag_blk {
	uint8_t data[IPFRAG_BLK];
	uint8_t have[IPFRAG_UNITS / 8];	/* bit per 8-byte unit held */
	uint32_t next_free;
};

struct frag_dgram {
	struct frag_ident id;
	uint64_t first_us;		/* capture time of the first fragment seen */
	uint32_t hnext;			/* hash chain */
	uint32_t prev, next;		/* age list when in use, free list when not */
	uint32_t maxend;		/* highest data end held so far */
	uint32_t total;			/* data size, known once have_last */
	uint32_t held;			/* data bytes held, each counted once */
	uint16_t hdr_len;		/* bytes in hdr[] */
	uint16_t nh_pos;		/* v6: offset in hdr[] of the Next Header to fix */
	uint8_t nexthdr;		/* v6: Next Header of the offset-0 fragment */
	bool have_first, have_last;
	bool dead;			/* abandoned; refuses fragments until timeout */
	enum anomaly_code dead_why;
	uint32_t frames;		/* fragment frames counted into it */
	uint64_t wirelen;		/* their wire lengths, summed */
	uint32_t blk[IPFRAG_NBLK];	/* block index + 1 per 1 KiB of data; 0 = none */
	uint8_t hdr[IPFRAG_HDR_MAX];
};

struct ipfrag_ctx {
	uint64_t timeout_us;
	struct frag_dgram *dg;
	uint32_t ndg;
	uint32_t dg_free;		/* free list head */
	uint32_t dg_used;
	uint32_t age_head, age_tail;	/* oldest first */
	uint32_t *bucket;		/* hash chain heads */
	uint32_t bucket_mask;
	struct frag_blk *blk;
	uint32_t nblk;
	uint32_t blk_free;		/* free list head */
	uint32_t blk_nfree;
	uint8_t *out;			/* IPFRAG_OUT_MAX bytes */
	struct ipfrag_stats st;
	uint32_t last_frames;		/* of the datagram last completed */
	uint64_t last_wirelen;
};

/* ---------------------------------------------------------------- setup */

struct ipfrag_ctx *ipfrag_new(size_t memcap, uint64_t timeout_us)
{
	struct ipfrag_ctx *c = NULL;
	size_t fixed = sizeof(*c) + IPFRAG_OUT_MAX, rest;
	uint32_t nbucket = 16;

	if (memcap < fixed)
		return NULL;
	rest = memcap - fixed;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->timeout_us = timeout_us;

	c->ndg = (uint32_t)(rest / IPFRAG_DG_PER_BYTES < IPFRAG_DG_MAX ?
	    rest / IPFRAG_DG_PER_BYTES : IPFRAG_DG_MAX);
	if (c->ndg < IPFRAG_DG_MIN)
		c->ndg = IPFRAG_DG_MIN;
	while (nbucket < c->ndg)
		nbucket <<= 1;
	if ((size_t)c->ndg * sizeof(struct frag_dgram) +
	    (size_t)nbucket * sizeof(uint32_t) + sizeof(struct frag_blk) > rest)
		goto err;
	rest -= (size_t)c->ndg * sizeof(struct frag_dgram) +
	    (size_t)nbucket * sizeof(uint32_t);
	c->nblk = (uint32_t)(rest / sizeof(struct frag_blk) < UINT32_MAX - 1 ?
	    rest / sizeof(struct frag_blk) : UINT32_MAX - 1);

	c->out = malloc(IPFRAG_OUT_MAX);
	c->dg = calloc(c->ndg, sizeof(*c->dg));
	c->bucket = malloc((size_t)nbucket * sizeof(*c->bucket));
	c->blk = calloc(c->nblk, sizeof(*c->blk));
	if (c->out == NULL || c->dg == NULL || c->bucket == NULL || c->blk == NULL)
		goto err;

	c->bucket_mask = nbucket - 1;
	for (uint32_t i = 0; i < nbucket; i++)
		c->bucket[i] = IPFRAG_NONE;
	for (uint32_t i = 0; i < c->ndg; i++)
		c->dg[i].next = i + 1 < c->ndg ? i + 1 : IPFRAG_NONE;
	c->dg_free = 0;
	for (uint32_t i = 0; i < c->nblk; i++)
		c->blk[i].next_free = i + 1 < c->nblk ? i + 1 : IPFRAG_NONE;
	c->blk_free = 0;
	c->blk_nfree = c->nblk;
	c->age_head = c->age_tail = IPFRAG_NONE;
	return c;
err:
	ipfrag_free(c);
	return NULL;
}

void ipfrag_free(struct ipfrag_ctx *c)
{
	if (c == NULL)
		return;
	free(c->out);
	free(c->dg);
	free(c->bucket);
	free(c->blk);
	free(c);
}

void ipfrag_get_stats(const struct ipfrag_ctx *c, struct ipfrag_stats *s)
{
	*s = c->st;
}

/* ------------------------------------------------------------ bookkeeping */

static void frag_mem_add(struct ipfrag_ctx *c, size_t n)
{
	c->st.mem += n;
	if (c->st.mem > c->st.mem_peak)
		c->st.mem_peak = c->st.mem;
}

static uint32_t frag_hash(const struct frag_ident *id)
{
	const uint8_t *b = (const uint8_t *)id;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < sizeof(*id); i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h ^ (h >> 16);
}

static uint32_t frag_lookup(const struct ipfrag_ctx *c, const struct frag_ident *id)
{
	uint32_t i = c->bucket[frag_hash(id) & c->bucket_mask];

	while (i != IPFRAG_NONE) {
		if (memcmp(&c->dg[i].id, id, sizeof(*id)) == 0)
			return i;
		i = c->dg[i].hnext;
	}
	return IPFRAG_NONE;
}

static void frag_dg_release(struct ipfrag_ctx *c, uint32_t i);

/*
 * Takes a tracker off the free list, hashes it, appends it to the age list.
 * IPFRAG_NONE when every tracker is busy.
 */
static uint32_t frag_dg_alloc(struct ipfrag_ctx *c, const struct frag_ident *id,
    uint64_t ts_us)
{
	uint32_t i, b;
	struct frag_dgram *d;

	/* Out of trackers: an abandoned marker is the cheapest to give up. */
	if (c->dg_free == IPFRAG_NONE && c->age_head != IPFRAG_NONE &&
	    c->dg[c->age_head].dead)
		frag_dg_release(c, c->age_head);
	i = c->dg_free;
	if (i == IPFRAG_NONE)
		return IPFRAG_NONE;
	d = &c->dg[i];
	c->dg_free = d->next;
	memset(d, 0, offsetof(struct frag_dgram, hdr));
	d->id = *id;
	d->first_us = ts_us;
	b = frag_hash(id) & c->bucket_mask;
	d->hnext = c->bucket[b];
	c->bucket[b] = i;
	d->prev = c->age_tail;
	d->next = IPFRAG_NONE;
	if (c->age_tail != IPFRAG_NONE)
		c->dg[c->age_tail].next = i;
	else
		c->age_head = i;
	c->age_tail = i;
	c->dg_used++;
	frag_mem_add(c, sizeof(*d));
	return i;
}

/* Gives every data block of tracker i back to the pool. */
static void frag_dg_free_blocks(struct ipfrag_ctx *c, uint32_t i)
{
	struct frag_dgram *d = &c->dg[i];

	for (uint32_t k = 0; k < IPFRAG_NBLK; k++) {
		if (d->blk[k] == 0)
			continue;
		c->blk[d->blk[k] - 1].next_free = c->blk_free;
		c->blk_free = d->blk[k] - 1;
		c->blk_nfree++;
		c->st.mem -= sizeof(struct frag_blk);
		d->blk[k] = 0;
	}
}

/* Unhashes tracker i, unlinks it from the age list and frees it. */
static void frag_dg_release(struct ipfrag_ctx *c, uint32_t i)
{
	struct frag_dgram *d = &c->dg[i];
	uint32_t *pp = &c->bucket[frag_hash(&d->id) & c->bucket_mask];

	frag_dg_free_blocks(c, i);
	while (*pp != IPFRAG_NONE && *pp != i)
		pp = &c->dg[*pp].hnext;
	if (*pp == i)
		*pp = d->hnext;
	if (d->prev != IPFRAG_NONE)
		c->dg[d->prev].next = d->next;
	else
		c->age_head = d->next;
	if (d->next != IPFRAG_NONE)
		c->dg[d->next].prev = d->prev;
	else
		c->age_tail = d->prev;
	d->next = c->dg_free;
	c->dg_free = i;
	c->dg_used--;
	c->st.mem -= sizeof(*d);
}

/* Abandons tracker i: frees its data, keeps it as a dead marker. */
static void frag_dg_kill(struct ipfrag_ctx *c, uint32_t i, enum anomaly_code why)
{
	frag_dg_free_blocks(c, i);
	c->dg[i].dead = true;
	c->dg[i].dead_why = why;
	c->st.dropped++;
}

void ipfrag_expire(struct ipfrag_ctx *c, uint64_t now_us)
{
	/* Oldest first; stops at the first one still in time. */
	while (c->age_head != IPFRAG_NONE) {
		uint32_t i = c->age_head;
		struct frag_dgram *d = &c->dg[i];

		if (now_us <= d->first_us || now_us - d->first_us <= c->timeout_us)
			break;
		if (!d->dead) {
			c->st.timeouts++;
			c->st.dropped++;
		}
		frag_dg_release(c, i);
	}
}

/* -------------------------------------------------------------- headers */

/*
 * Walks the IPv6 unfragmentable part hdr[0..len) (the bytes before the
 * Fragment header) and returns in *pos the offset of the Next Header field
 * that names the Fragment header: byte 6 of the fixed header, or byte 0 of
 * the last extension header.  -1 if the chain does not end exactly at 'len'
 * with a Fragment header.
 */
static int frag_ip6_nh_pos(const uint8_t *hdr, uint32_t len, uint16_t *pos)
{
	struct rd r = rd_init(hdr, len);
	uint32_t off = 40;
	uint8_t nh;

	rd_skip(&r, 6);
	nh = rd_u8(&r);
	if (r.short_read)
		return -1;
	*pos = 6;
	while (off < len) {
		struct rd e = rd_init(hdr + off, len - off);
		uint8_t next = rd_u8(&e), hl = rd_u8(&e);
		uint32_t elen;

		if (e.short_read)
			return -1;
		switch (nh) {
		case IP6_NH_HOPOPTS:
		case IP6_NH_ROUTING:
		case IP6_NH_DSTOPTS:
		case IP6_NH_MH:
		case IP6_NH_HIP:
		case IP6_NH_SHIM6:
			elen = (hl + 1u) * 8;
			break;
		case IP6_NH_AH:
			elen = (hl + 2u) * 4;
			break;
		default:
			return -1;	/* not an extension header */
		}
		*pos = (uint16_t)off;
		nh = next;
		off += elen;
	}
	return off == len && nh == IP6_NH_FRAGMENT ? 0 : -1;
}

/* Ones' complement sum of the IPv4 header (RFC 791 3.1 "Header Checksum"). */
static uint16_t frag_ip4_csum(const uint8_t *h, uint32_t len)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Writes the whole datagram of tracker d into c->out.  Returns its length,
 * or 0 if the rebuilt length does not fit the IP length field.
 */
static size_t frag_build(struct ipfrag_ctx *c, const struct frag_dgram *d)
{
	uint8_t *o = c->out;
	size_t n = d->hdr_len;

	if (d->id.family == 4) {
		uint32_t tl = d->hdr_len + d->total;
		uint16_t sum;

		if (tl > 65535)
			return 0;
		memcpy(o, d->hdr, d->hdr_len);
		o[2] = (uint8_t)(tl >> 8);
		o[3] = (uint8_t)tl;
		o[6] &= 0xc0;		/* keep reserved and DF; clear MF, offset */
		o[7] = 0;
		o[10] = o[11] = 0;
		sum = frag_ip4_csum(o, d->hdr_len);
		o[10] = (uint8_t)(sum >> 8);
		o[11] = (uint8_t)sum;
	} else {
		uint32_t plen = d->hdr_len - 40u + d->total;

		if (plen > 65535)
			return 0;
		memcpy(o, d->hdr, d->hdr_len);
		o[d->nh_pos] = d->nexthdr;
		o[4] = (uint8_t)(plen >> 8);
		o[5] = (uint8_t)plen;
	}
	for (uint32_t k = 0; k * IPFRAG_BLK < d->total; k++) {
		uint32_t left = d->total - k * IPFRAG_BLK;

		/* complete: every block up to total is there */
		memcpy(o + n, c->blk[d->blk[k] - 1].data,
		    left < IPFRAG_BLK ? left : IPFRAG_BLK);
		n += left < IPFRAG_BLK ? left : IPFRAG_BLK;
	}
	return n;
}

/* ---------------------------------------------------------------- adding */

/* Returns DROPPED with 'why', abandoning tracker i (or making a dead one). */
static enum ipfrag_result frag_refuse(struct ipfrag_ctx *c, uint32_t i,
    const struct frag_ident *id, uint64_t ts_us, enum anomaly_code why,
    enum anomaly_code *anom)
{
	*anom = why;
	if (i == IPFRAG_NONE)
		i = frag_dg_alloc(c, id, ts_us);
	if (i == IPFRAG_NONE)
		c->st.dropped++;	/* no tracker left to remember it by */
	else
		frag_dg_kill(c, i, why);
	return IPFRAG_DROPPED;
}

/*
 * Copies data [off, end) of 'src' into tracker d, unit by unit.  Units
 * already held are compared, not written.  Returns true if any held unit
 * differed.  The blocks must already be allocated.
 */
static bool frag_store(struct ipfrag_ctx *c, struct frag_dgram *d,
    const uint8_t *src, uint32_t off, uint32_t end)
{
	bool differ = false;

	for (uint32_t u = off / 8; u * 8 < end; u++) {
		uint32_t at = u * 8, ulen = end - at < 8 ? end - at : 8;
		struct frag_blk *b = &c->blk[d->blk[at / IPFRAG_BLK] - 1];
		uint32_t bu = u % IPFRAG_UNITS;
		uint8_t *dst = b->data + at % IPFRAG_BLK;

		if (b->have[bu / 8] & (1u << (bu % 8))) {
			if (memcmp(dst, src + (at - off), ulen) != 0)
				differ = true;
			continue;
		}
		memcpy(dst, src + (at - off), ulen);
		b->have[bu / 8] |= (uint8_t)(1u << (bu % 8));
		d->held += ulen;
	}
	return differ;
}

enum ipfrag_result ipfrag_add(struct ipfrag_ctx *c, const struct pkt *p,
    const uint8_t **out, size_t *outlen, enum anomaly_code *anom)
{
	struct frag_ident id;
	struct frag_dgram *d;
	struct rd r;
	const uint8_t *hdr, *data;
	bool v6 = p->key.family == 6;
	enum anomaly_code trunc = v6 ? ANOM_DECODE_IPV6_TRUNCATED :
	    ANOM_DECODE_IPV4_TRUNCATED;
	uint32_t unfrag, off = p->frag_off, len = p->payload_len, end, i;
	uint32_t need = 0, extra;
	uint16_t nh_pos = 0;

	*out = NULL;
	*outlen = 0;
	*anom = ANOM__COUNT;
	ipfrag_expire(c, p->ts_us);

	memset(&id, 0, sizeof(id));
	memcpy(id.src, p->key.src, 16);
	memcpy(id.dst, p->key.dst, 16);
	id.id = p->frag_id;
	memcpy(id.vlan, p->key.vlan, sizeof(id.vlan));
	id.nvlan = p->key.nvlan;
	id.family = p->key.family;
	id.proto = p->key.proto;
	i = frag_lookup(c, &id);
	if (i != IPFRAG_NONE && c->dg[i].dead) {
		*anom = c->dg[i].dead_why;
		return IPFRAG_DROPPED;
	}

	/* Geometry of this fragment, as decode described it. */
	if (v6) {
		unfrag = p->frag_hdr_off;
		if (unfrag < 40 || unfrag + 8u != p->ip_hdr_len)
			return frag_refuse(c, i, &id, p->ts_us,
			    ANOM_DECODE_IPV6_BAD_EXTHDR, anom);
		extra = unfrag - 40;	/* counts in the Payload Length */
	} else {
		unfrag = p->ip_hdr_len;
		if (unfrag < 20 || unfrag > 60)
			return frag_refuse(c, i, &id, p->ts_us,
			    ANOM_DECODE_IPV4_BAD_IHL, anom);
		extra = unfrag;		/* counts in the Total Length */
	}
	if (off % 8 != 0)		/* the wire unit is 8 bytes */
		return frag_refuse(c, i, &id, p->ts_us, v6 ?
		    ANOM_DECODE_IPV6_BAD_EXTHDR : ANOM_DECODE_IPV4_BAD_LEN, anom);
	/* Cut by the capture: the data can never be complete. */
	if (p->l3 == NULL || p->l3_len < p->ip_hdr_len ||
	    p->payload_wire_len > p->payload_len)
		return frag_refuse(c, i, &id, p->ts_us, trunc, anom);
	if (p->frag_more)
		len &= ~7u;
	if (off > IPFRAG_MAX_PAYLOAD || len > IPFRAG_MAX_PAYLOAD - off ||
	    extra + off + len > 65535)
		return frag_refuse(c, i, &id, p->ts_us, ANOM_FRAG_TOO_LARGE, anom);
	end = off + len;

	r = rd_init(p->l3, p->l3_len);
	hdr = rd_ptr(&r, unfrag);
	r = rd_init(p->payload, p->payload_len);
	data = rd_ptr(&r, len);
	if (hdr == NULL || data == NULL)
		return frag_refuse(c, i, &id, p->ts_us, trunc, anom);
	if (off == 0 && v6) {
		if (unfrag > IPFRAG_HDR_MAX)
			return frag_refuse(c, i, &id, p->ts_us,
			    ANOM_FRAG_TOO_LARGE, anom);
		if (frag_ip6_nh_pos(hdr, unfrag, &nh_pos) < 0)
			return frag_refuse(c, i, &id, p->ts_us,
			    ANOM_DECODE_IPV6_BAD_EXTHDR, anom);
	}

	if (i == IPFRAG_NONE) {
		i = frag_dg_alloc(c, &id, p->ts_us);
		if (i == IPFRAG_NONE) {
			c->st.dropped++;
			*anom = ANOM_FRAG_MEMCAP;
			return IPFRAG_DROPPED;
		}
	}
	d = &c->dg[i];

	/* A fragment that disagrees with the known end: first copy wins. */
	if ((!p->frag_more && d->have_last && end != d->total) ||
	    (!p->frag_more && !d->have_last && end < d->maxend) ||
	    (p->frag_more && d->have_last && end > d->total)) {
		c->st.overlaps++;
		*anom = ANOM_FRAG_OVERLAP;
		return IPFRAG_HELD;
	}

	/* Blocks first, so a refusal leaves nothing half-written. */
	for (uint32_t k = off / IPFRAG_BLK; len > 0 && k <= (end - 1) / IPFRAG_BLK; k++)
		need += d->blk[k] == 0;
	if (need > c->blk_nfree) {
		frag_dg_kill(c, i, ANOM_FRAG_MEMCAP);
		*anom = ANOM_FRAG_MEMCAP;
		return IPFRAG_DROPPED;
	}
	for (uint32_t k = off / IPFRAG_BLK; len > 0 && k <= (end - 1) / IPFRAG_BLK; k++) {
		uint32_t b;

		if (d->blk[k] != 0)
			continue;
		b = c->blk_free;
		c->blk_free = c->blk[b].next_free;
		c->blk_nfree--;
		memset(c->blk[b].have, 0, sizeof(c->blk[b].have));
		d->blk[k] = b + 1;
		frag_mem_add(c, sizeof(struct frag_blk));
	}

	if (off == 0 && !d->have_first) {
		d->have_first = true;
		d->hdr_len = (uint16_t)unfrag;
		memcpy(d->hdr, hdr, unfrag);
		d->nh_pos = nh_pos;
		d->nexthdr = p->frag_nexthdr;
	}
	if (len > 0 && frag_store(c, d, data, off, end)) {
		c->st.overlaps++;
		*anom = ANOM_FRAG_OVERLAP;
	}
	if (end > d->maxend)
		d->maxend = end;
	d->frames++;
	d->wirelen += p->wirelen;
	if (!p->frag_more) {
		d->have_last = true;
		d->total = end;
	}
	if (!d->have_first || !d->have_last || d->held != d->total)
		return IPFRAG_HELD;

	*outlen = frag_build(c, d);
	if (*outlen == 0) {
		/* the offset-0 header made it longer than the length field */
		frag_dg_kill(c, i, ANOM_FRAG_TOO_LARGE);
		*anom = ANOM_FRAG_TOO_LARGE;
		return IPFRAG_DROPPED;
	}
	*out = c->out;
	c->last_frames = d->frames;
	c->last_wirelen = d->wirelen;
	c->st.reassembled++;
	frag_dg_release(c, i);
	return IPFRAG_DONE;
}

void ipfrag_last_frames(const struct ipfrag_ctx *c, uint32_t *frames,
    uint64_t *wirelen)
{
	*frames = c->last_frames;
	*wirelen = c->last_wirelen;
}
