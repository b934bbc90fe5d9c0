/*
 * tcp_reasm.c - per-direction TCP stream reassembly (contract in tcp_reasm.h).
 *
 * Memory
 *   reasm_new() allocates one array of fixed-size chunks; nothing is
 *   allocated afterwards.  A chunk holds up to REASM_CHUNK_DATA contiguous
 *   stream bytes: a full-size Ethernet segment (1460 bytes) fits in one, a
 *   jumbo or offloaded (TSO/GRO) segment spans several.  Chunks are carved
 *   from the array on first use, so memcap that is never needed is never
 *   touched (no resident cost), and returned chunks go on a free list.
 *
 * Out-of-order list
 *   d->ooo is a singly linked list of chunks sorted by sequence number.
 *   Chunks never overlap: the first copy wins, so only bytes not held yet
 *   are ever copied.  Every chunk lies ahead of d->next_seq (there is a
 *   hole in front of the list head), and adjacent chunks are allowed; new
 *   bytes that continue a chunk fill its free tail before a new chunk is
 *   taken.
 *
 *   d->ooo_bytes counts the pool bytes the direction holds for this list,
 *   in whole chunks (REASM_CHUNK_SIZE each), not payload bytes: the
 *   per-direction cap is then a true memory bound even against a peer that
 *   sends many one-byte segments with holes between them.  A cap smaller
 *   than one chunk means nothing is ever buffered out of order.
 *
 *   In-order bytes go to cb->data straight from the caller's buffer and are
 *   never copied; only a segment that arrives behind a hole is copied.
 *
 * Overlaps
 *   One reasm_add() raises at most one cb->overlap: its 'seq' is the first
 *   differing byte, 'len' reaches to the end of the last differing byte, and
 *   the bytes kept are the ones seen first.  Data already delivered is gone;
 *   only the last segment delivered whole and in order is remembered as
 *   (seq, len, hash), so only an exact retransmission of it is checked.
 *
 * Deliberately not handled here: TCP flags, windows, depth limits (the flow
 * layer stops feeding), and overlap checks against older delivered data.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_reasm.h"

/* ------------------------------------------------------------------------
 * Pool
 * ---------------------------------------------------------------------- */

#define REASM_CHUNK_SIZE 2048u
#define REASM_CHUNK_HDR 22u
#define REASM_CHUNK_DATA (REASM_CHUNK_SIZE - REASM_CHUNK_HDR)

struct reasm_chunk {
	struct reasm_chunk *next;
	struct reasm_chunk *tail;	/* list head only: the last chunk */
	uint32_t seq;			/* out-of-order list: seq of data[0] */
	uint16_t len;			/* bytes used in data[] */
	uint8_t data[REASM_CHUNK_DATA];
};

_Static_assert(sizeof(struct reasm_chunk) == REASM_CHUNK_SIZE,
    "reasm_chunk must be exactly REASM_CHUNK_SIZE bytes");
_Static_assert(REASM_CHUNK_DATA <= UINT16_MAX, "chunk len is a uint16_t");

struct reasm_ctx {
	struct reasm_chunk *arena;	/* the one allocation */
	size_t nchunks;			/* chunks in the arena */
	size_t fresh;			/* arena[fresh..] never handed out */
	struct reasm_chunk *free_list;	/* chunks handed out and returned */
	size_t nfree;			/* free_list length + (nchunks - fresh) */
	uint32_t max_ooo;		/* per-direction cap, pool bytes */
	struct reasm_stats st;
};

struct reasm_ctx *reasm_new(size_t memcap, uint32_t max_ooo_per_dir)
{
	struct reasm_ctx *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto err;
	c->nchunks = memcap / REASM_CHUNK_SIZE;
	if (c->nchunks > 0) {
		/* malloc, not calloc: pages are touched only when carved */
		c->arena = malloc(c->nchunks * sizeof(struct reasm_chunk));
		if (c->arena == NULL)
			goto err;
	}
	c->nfree = c->nchunks;
	c->max_ooo = max_ooo_per_dir;
	return c;
err:
	free(c);
	return NULL;
}

void reasm_free(struct reasm_ctx *c)
{
	if (c == NULL)
		return;
	free(c->arena);
	free(c);
}

/* Takes a chunk from the pool: NULL when it is exhausted. */
static struct reasm_chunk *chunk_get(struct reasm_ctx *c)
{
	struct reasm_chunk *ch;

	if (c->free_list != NULL) {
		ch = c->free_list;
		c->free_list = ch->next;
	} else if (c->fresh < c->nchunks) {
		ch = &c->arena[c->fresh++];
	} else {
		return NULL;
	}
	c->nfree--;
	ch->next = NULL;
	ch->tail = NULL;
	ch->seq = 0;
	ch->len = 0;
	c->st.mem += REASM_CHUNK_SIZE;
	if (c->st.mem > c->st.mem_peak)
		c->st.mem_peak = c->st.mem;
	return ch;
}

static void chunk_put(struct reasm_ctx *c, struct reasm_chunk *ch)
{
	ch->next = c->free_list;
	c->free_list = ch;
	c->nfree++;
	c->st.mem -= REASM_CHUNK_SIZE;
}

void reasm_get_stats(const struct reasm_ctx *c, struct reasm_stats *s)
{
	*s = c->st;
}

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* Sequence number one past the chunk's last byte. */
static inline uint32_t chunk_end(const struct reasm_chunk *ch)
{
	return ch->seq + ch->len;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return SEQ_LT(a, b) ? a : b;
}

/*
 * Hash of a delivered segment, for the retransmission check only; it is
 * never stored or compared across processes, so host byte order is fine.
 */
static uint64_t reasm_hash(const uint8_t *p, size_t n)
{
	/*
	 * Four independent lanes over 32-byte blocks so the multiplies
	 * overlap: this runs on every delivered segment.
	 */
	uint64_t h0 = 0x9e3779b97f4a7c15ull ^ (uint64_t)n, h1 = 0x632be59bd9b4e019ull;
	uint64_t h2 = 0x85ebca77c2b2ae63ull, h3 = 0x27d4eb2f165667c5ull;
	uint64_t w[4], t;

	while (n >= 32) {
		memcpy(w, p, 32);
		h0 = (h0 ^ w[0]) * 0xff51afd7ed558ccdull;
		h1 = (h1 ^ w[1]) * 0xff51afd7ed558ccdull;
		h2 = (h2 ^ w[2]) * 0xff51afd7ed558ccdull;
		h3 = (h3 ^ w[3]) * 0xff51afd7ed558ccdull;
		h0 ^= h0 >> 29;
		h1 ^= h1 >> 29;
		h2 ^= h2 >> 29;
		h3 ^= h3 >> 29;
		p += 32;
		n -= 32;
	}
	h0 ^= (h1 << 1 | h1 >> 63) ^ (h2 << 2 | h2 >> 62) ^ (h3 << 3 | h3 >> 61);
	while (n >= 8) {
		memcpy(&t, p, 8);
		h0 = (h0 ^ t) * 0xff51afd7ed558ccdull;
		h0 ^= h0 >> 29;
		p += 8;
		n -= 8;
	}
	t = 0;
	memcpy(&t, p, n);
	h0 = (h0 ^ t) * 0xc4ceb9fe1a85ec53ull;
	h0 ^= h0 >> 32;
	return h0;
}

/* Differing bytes seen by one reasm_add(), reported once at its end. */
struct ovl {
	bool any;
	uint32_t lo, hi;		/* [lo, hi) spans every differing byte */
};

static void ovl_note(struct ovl *o, uint32_t lo, uint32_t hi)
{
	if (!o->any) {
		o->any = true;
		o->lo = lo;
		o->hi = hi;
		return;
	}
	if (SEQ_LT(lo, o->lo))
		o->lo = lo;
	if (SEQ_GT(hi, o->hi))
		o->hi = hi;
}

/*
 * Compares n new bytes against n held bytes starting at 'seq' and records
 * the span from the first to the last differing byte.
 */
static void ovl_compare(struct ovl *o, uint32_t seq, const uint8_t *newp,
    const uint8_t *held, uint32_t n)
{
	uint32_t first, last;

	if (memcmp(newp, held, n) == 0)
		return;
	for (first = 0; newp[first] == held[first]; first++)
		;
	for (last = n; newp[last - 1] == held[last - 1]; last--)
		;
	ovl_note(o, seq + first, seq + last);
}

static void emit_data(struct reasm_dir *d, const uint8_t *p, uint32_t n,
    const struct reasm_cb *cb, void *arg)
{
	if (n == 0)
		return;
	d->delivered += n;
	if (cb != NULL && cb->data != NULL)
		cb->data(arg, p, n);
}

/* Skips 'len' bytes at next_seq as a gap. */
static void emit_gap(struct reasm_ctx *c, struct reasm_dir *d, uint32_t len,
    const struct reasm_cb *cb, void *arg)
{
	if (len == 0)
		return;
	d->next_seq += len;
	d->missed += len;
	c->st.gaps++;
	c->st.gap_bytes += len;
	if (cb != NULL && cb->gap != NULL)
		cb->gap(arg, len);
}

/*
 * Unlinks the list head (the list must not be empty) and returns it; the
 * new head inherits the tail pointer.
 */
static struct reasm_chunk *ooo_unlink_head(struct reasm_dir *d)
{
	struct reasm_chunk *h = d->ooo;

	d->ooo = h->next;
	if (d->ooo != NULL)
		d->ooo->tail = h->tail;
	d->ooo_bytes -= REASM_CHUNK_SIZE;
	return h;
}

/* Removes the list head and returns it to the pool. */
static void ooo_pop(struct reasm_ctx *c, struct reasm_dir *d)
{
	chunk_put(c, ooo_unlink_head(d));
}

/*
 * Drops held bytes that are not ahead of next_seq any more.  Only possible
 * after reasm_dir_start() moved a direction that still held chunks; kept so
 * that the list invariant is restored rather than assumed.
 */
static void ooo_trim_old(struct reasm_ctx *c, struct reasm_dir *d)
{
	struct reasm_chunk *h;
	uint32_t k;

	while ((h = d->ooo) != NULL && SEQ_LT(h->seq, d->next_seq)) {
		if (SEQ_LEQ(chunk_end(h), d->next_seq)) {
			ooo_pop(c, d);
			continue;
		}
		k = d->next_seq - h->seq;
		memmove(h->data, h->data + k, h->len - k);
		h->len = (uint16_t)(h->len - k);
		h->seq = d->next_seq;
	}
}

/* Delivers held chunks for as long as they continue the stream. */
static void ooo_drain(struct reasm_ctx *c, struct reasm_dir *d,
    const struct reasm_cb *cb, void *arg)
{
	struct reasm_chunk *h;

	while ((h = d->ooo) != NULL && h->seq == d->next_seq) {
		d->next_seq = chunk_end(h);
		/* unlink first: the callback sees a consistent direction */
		ooo_unlink_head(d);
		emit_data(d, h->data, h->len, cb, arg);
		chunk_put(c, h);
	}
}

/* Gives up the hole in front of the list head, then delivers what follows. */
static void ooo_skip_hole(struct reasm_ctx *c, struct reasm_dir *d,
    const struct reasm_cb *cb, void *arg)
{
	if (d->ooo == NULL)
		return;
	if (SEQ_GT(d->ooo->seq, d->next_seq))
		emit_gap(c, d, d->ooo->seq - d->next_seq, cb, arg);
	ooo_drain(c, d, cb, arg);
}

/* ------------------------------------------------------------------------
 * Direction lifecycle
 * ---------------------------------------------------------------------- */

void reasm_dir_init(struct reasm_dir *d)
{
	memset(d, 0, sizeof(*d));
}

void reasm_dir_start(struct reasm_dir *d, uint32_t seq)
{
	d->next_seq = seq;
	d->last_seq = 0;
	d->last_len = 0;		/* never matches: empty segments are ignored */
	d->last_hash = 0;
	d->started = true;
}

void reasm_dir_release(struct reasm_ctx *c, struct reasm_dir *d)
{
	while (d->ooo != NULL)
		ooo_pop(c, d);
	d->ooo_bytes = 0;
}

/* ------------------------------------------------------------------------
 * Adding segments
 * ---------------------------------------------------------------------- */

/*
 * Copies the uncovered range [a, a + n) from src into the list right after
 * *prev (NULL: at the head).  The caller guarantees nothing is held in that
 * range.  Fills the free tail of *prev first when it ends exactly at 'a'.
 * Updates *prev to the last chunk written.  Returns the number of bytes
 * copied; fewer than n when the per-direction cap or the pool ran out.
 */
static uint32_t ooo_store(struct reasm_ctx *c, struct reasm_dir *d,
    struct reasm_chunk **prev, uint32_t a, const uint8_t *src, uint32_t n)
{
	struct reasm_chunk *pv = *prev, *ch;
	uint32_t done = 0, k;

	if (pv != NULL && chunk_end(pv) == a && pv->len < REASM_CHUNK_DATA) {
		k = REASM_CHUNK_DATA - pv->len;
		if (k > n)
			k = n;
		memcpy(pv->data + pv->len, src, k);
		pv->len = (uint16_t)(pv->len + k);
		done = k;
	}
	while (done < n) {
		if ((uint64_t)d->ooo_bytes + REASM_CHUNK_SIZE > c->max_ooo)
			break;
		ch = chunk_get(c);
		if (ch == NULL)
			break;
		k = n - done;
		if (k > REASM_CHUNK_DATA)
			k = REASM_CHUNK_DATA;
		ch->seq = a + done;
		ch->len = (uint16_t)k;
		memcpy(ch->data, src + done, k);
		if (pv == NULL) {
			/* new head: take over the tail pointer */
			ch->next = d->ooo;
			ch->tail = d->ooo != NULL ? d->ooo->tail : ch;
			d->ooo = ch;
		} else {
			ch->next = pv->next;
			pv->next = ch;
			if (d->ooo->tail == pv)
				d->ooo->tail = ch;
		}
		d->ooo_bytes += REASM_CHUNK_SIZE;
		pv = ch;
		done += k;
	}
	*prev = pv;
	return done;
}

/* What one pass over a segment did. */
struct pass {
	uint32_t new_bytes;		/* delivered from p or copied */
	uint32_t stored;		/* copied into the pool */
	bool refused;			/* some bytes did not fit */
};

/*
 * Segment at or before next_seq: everything it carries is in order.  Bytes
 * already held (out of order, earlier) win over the segment's own copy.
 */
static void pass_in_order(struct reasm_ctx *c, struct reasm_dir *d,
    uint32_t s, const uint8_t *p, uint32_t e, struct ovl *o,
    struct pass *ps, const struct reasm_cb *cb, void *arg)
{
	struct reasm_chunk *h;
	uint32_t cur = d->next_seq, stop, ov_end;

	while (SEQ_LT(cur, e)) {
		h = d->ooo;
		if (h != NULL && h->seq == cur) {
			/* held bytes first: compare, then hand the chunk over */
			ov_end = seq_min(chunk_end(h), e);
			ovl_compare(o, cur, p + (cur - s), h->data, ov_end - cur);
			d->next_seq = chunk_end(h);
			ooo_unlink_head(d);
			emit_data(d, h->data, h->len, cb, arg);
			chunk_put(c, h);
			cur = ov_end;
			continue;
		}
		stop = e;
		if (h != NULL && SEQ_LT(h->seq, e))
			stop = h->seq;
		d->next_seq = stop;
		ps->new_bytes += stop - cur;
		emit_data(d, p + (cur - s), stop - cur, cb, arg);
		cur = stop;
	}
	ooo_drain(c, d, cb, arg);
}

/*
 * Segment behind a hole: compare what is held, copy what is not.  Stops
 * copying at the first refusal (cap or pool); the pass may be retried.
 */
static void pass_ooo(struct reasm_ctx *c, struct reasm_dir *d,
    uint32_t s, const uint8_t *p, uint32_t e, struct ovl *o,
    struct pass *ps)
{
	struct reasm_chunk *prev = NULL, *ch = d->ooo;
	uint32_t cur = s, stop, got, ov_end;

	/* the usual case after a loss: everything arrives past the tail */
	if (ch != NULL && SEQ_GEQ(s, chunk_end(ch->tail))) {
		prev = ch->tail;
		ch = NULL;
	}
	while (SEQ_LT(cur, e)) {
		while (ch != NULL && SEQ_LEQ(chunk_end(ch), cur)) {
			prev = ch;
			ch = ch->next;
		}
		if (ch != NULL && SEQ_LEQ(ch->seq, cur)) {
			ov_end = seq_min(chunk_end(ch), e);
			ovl_compare(o, cur, p + (cur - s),
			    ch->data + (cur - ch->seq), ov_end - cur);
			cur = ov_end;
			continue;
		}
		stop = e;
		if (ch != NULL && SEQ_LT(ch->seq, e))
			stop = ch->seq;
		got = ooo_store(c, d, &prev, cur, p + (cur - s), stop - cur);
		ps->new_bytes += got;
		ps->stored += got;
		if (got < stop - cur) {
			ps->refused = true;
			return;
		}
		cur = stop;
	}
}

/* One pass over [s, s + n): trims what is delivered, then dispatches. */
static void pass_run(struct reasm_ctx *c, struct reasm_dir *d, uint32_t s,
    const uint8_t *p, uint32_t n, struct ovl *o, struct pass *ps,
    const struct reasm_cb *cb, void *arg)
{
	uint32_t e = s + n;

	ooo_trim_old(c, d);
	if (SEQ_LEQ(e, d->next_seq))
		return;
	if (SEQ_LEQ(s, d->next_seq))
		pass_in_order(c, d, s, p, e, o, ps, cb, arg);
	else
		pass_ooo(c, d, s, p, e, o, ps);
}

void reasm_add(struct reasm_ctx *c, struct reasm_dir *d, uint32_t seq,
    const uint8_t *p, size_t n, const struct reasm_cb *cb, void *arg)
{
	struct ovl o = { 0 };
	struct pass ps = { 0 };
	uint32_t len, e;
	bool whole_in_order;

	if (n == 0 || p == NULL)
		return;
	/* a TCP segment is < 64 KiB; keep sequence arithmetic in one window */
	len = n > (size_t)INT32_MAX ? (uint32_t)INT32_MAX : (uint32_t)n;
	e = seq + len;
	if (!d->started)
		reasm_dir_start(d, seq);

	if (SEQ_LEQ(e, d->next_seq)) {
		/* wholly delivered already: only the last segment is checked */
		c->st.retransmits++;
		if (seq == d->last_seq && len == d->last_len &&
		    reasm_hash(p, len) != d->last_hash) {
			c->st.overlaps_diff++;
			if (cb != NULL && cb->overlap != NULL)
				cb->overlap(arg, seq, len);
		}
		return;
	}

	whole_in_order = seq == d->next_seq;
	pass_run(c, d, seq, p, len, &o, &ps, cb, arg);
	if (ps.refused && d->ooo != NULL) {
		/* give up the earliest hole, deliver behind it, retry once */
		ooo_skip_hole(c, d, cb, arg);
		ps.refused = false;
		pass_run(c, d, seq, p, len, &o, &ps, cb, arg);
	}
	if (ps.refused)
		c->st.drops++;
	else if (ps.new_bytes == 0)
		c->st.retransmits++;
	if (ps.stored > 0)
		c->st.segs_buffered++;

	if (whole_in_order && !o.any) {
		/* delivered whole: these are exactly the bytes handed over */
		d->last_seq = seq;
		d->last_len = len;
		d->last_hash = reasm_hash(p, len);
	}
	if (o.any) {
		c->st.overlaps_diff++;
		if (cb != NULL && cb->overlap != NULL)
			cb->overlap(arg, o.lo, o.hi - o.lo);
	}
}

void reasm_flush(struct reasm_ctx *c, struct reasm_dir *d, bool upto_valid,
    uint32_t upto, const struct reasm_cb *cb, void *arg)
{
	ooo_trim_old(c, d);
	while (d->ooo != NULL)
		ooo_skip_hole(c, d, cb, arg);
	if (upto_valid && d->started && SEQ_GT(upto, d->next_seq))
		emit_gap(c, d, upto - d->next_seq, cb, arg);
}

/* ------------------------------------------------------------------------
 * Unconsumed-bytes buffer
 * ---------------------------------------------------------------------- */

int reasm_buf_append(struct reasm_ctx *c, struct reasm_buf *b,
    const uint8_t *p, size_t n)
{
	struct reasm_chunk *ch;
	size_t room = 0, need = 0, k;

	if (n == 0)
		return 0;
	if (p == NULL || n > (size_t)(UINT32_MAX - b->len))
		return -1;
	if (b->tail != NULL)
		room = REASM_CHUNK_DATA - b->tail->len;
	if (n > room)
		need = (n - room + REASM_CHUNK_DATA - 1) / REASM_CHUNK_DATA;
	if (need > c->nfree)
		return -1;		/* all or nothing */

	if (room > 0) {
		k = n < room ? n : room;
		memcpy(b->tail->data + b->tail->len, p, k);
		b->tail->len = (uint16_t)(b->tail->len + k);
		b->len += (uint32_t)k;
		p += k;
		n -= k;
	}
	while (n > 0) {
		ch = chunk_get(c);	/* cannot fail: counted above */
		if (ch == NULL)
			return -1;
		k = n < REASM_CHUNK_DATA ? n : REASM_CHUNK_DATA;
		memcpy(ch->data, p, k);
		ch->len = (uint16_t)k;
		if (b->tail != NULL)
			b->tail->next = ch;
		else
			b->head = ch;
		b->tail = ch;
		b->len += (uint32_t)k;
		p += k;
		n -= k;
	}
	return 0;
}

size_t reasm_buf_copy(const struct reasm_buf *b, uint8_t *dst, size_t cap)
{
	const struct reasm_chunk *ch;
	size_t done = 0, k;

	for (ch = b->head; ch != NULL && done < cap; ch = ch->next) {
		k = ch->len;
		if (k > cap - done)
			k = cap - done;
		memcpy(dst + done, ch->data, k);
		done += k;
	}
	return done;
}

void reasm_buf_clear(struct reasm_ctx *c, struct reasm_buf *b)
{
	struct reasm_chunk *ch, *next;

	for (ch = b->head; ch != NULL; ch = next) {
		next = ch->next;
		chunk_put(c, ch);
	}
	b->head = NULL;
	b->tail = NULL;
	b->len = 0;
}
