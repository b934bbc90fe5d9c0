/*
 * reasm_test.c - flows/tcp_reasm.c against a naive model.
 *
 * The model is an array indexed by stream offset: a byte is expected in the
 * output if some segment carried it, and every maximal run of offsets no
 * segment carried is expected as one gap of exactly that length.  Streams
 * start near 2^32 so sequence numbers wrap inside them.
 *
 * The cap tests assume the chunk size documented in tcp_reasm.c (2048 bytes
 * of pool per chunk, 2026 of them data); test_chunk_size() checks that
 * assumption first, so a change there fails loudly instead of confusingly.
 */
#include <stdlib.h>
#include <string.h>

#include "../../flows/tcp_reasm.h"
#include "testhelp.h"

#define CHUNK 2048u			/* pool bytes per chunk */
#define CHUNK_DATA 2026u		/* stream bytes per chunk */

/* ------------------------------------------------------------------------
 * PRNG (splitmix64) and a recording consumer
 * ---------------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

#define REC_MAX_EV 4096

/*
 * Places every callback at its stream offset: data bytes go to out[pos],
 * a gap marks its range.  mark[] is 0 (nothing), 1 (data) or 2 (gap).
 */
struct rec {
	uint8_t *out, *mark;
	size_t cap, pos;
	bool bad;			/* past the end, or an offset twice */
	size_t ngaps;
	size_t gap_at[REC_MAX_EV];
	uint32_t gap_len[REC_MAX_EV];
	size_t novl;
	uint32_t ovl_seq[REC_MAX_EV], ovl_len[REC_MAX_EV];
	/* event log for the hand-written cases: 'D'/'G' and a length */
	size_t nev;
	char ev[REC_MAX_EV];
	uint32_t ev_len[REC_MAX_EV];
};

static void rec_init(struct rec *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap;
	r->out = calloc(cap ? cap : 1, 1);
	r->mark = calloc(cap ? cap : 1, 1);
	if (r->out == NULL || r->mark == NULL) {
		printf("out of memory\n");
		exit(2);
	}
}

static void rec_free(struct rec *r)
{
	free(r->out);
	free(r->mark);
}

static void rec_event(struct rec *r, char kind, uint32_t len)
{
	if (r->nev < REC_MAX_EV) {
		r->ev[r->nev] = kind;
		r->ev_len[r->nev] = len;
		r->nev++;
	}
}

static void rec_data(void *arg, const uint8_t *p, size_t n)
{
	struct rec *r = arg;
	size_t i;

	rec_event(r, 'D', (uint32_t)n);
	for (i = 0; i < n; i++, r->pos++) {
		if (r->pos >= r->cap || r->mark[r->pos] != 0) {
			r->bad = true;
			continue;
		}
		r->out[r->pos] = p[i];
		r->mark[r->pos] = 1;
	}
}

static void rec_gap(void *arg, uint32_t len)
{
	struct rec *r = arg;
	uint32_t i;

	rec_event(r, 'G', len);
	if (r->ngaps < REC_MAX_EV) {
		r->gap_at[r->ngaps] = r->pos;
		r->gap_len[r->ngaps] = len;
		r->ngaps++;
	}
	for (i = 0; i < len; i++, r->pos++) {
		if (r->pos >= r->cap || r->mark[r->pos] != 0) {
			r->bad = true;
			continue;
		}
		r->mark[r->pos] = 2;
	}
}

static void rec_overlap(void *arg, uint32_t seq, uint32_t len)
{
	struct rec *r = arg;

	if (r->novl < REC_MAX_EV) {
		r->ovl_seq[r->novl] = seq;
		r->ovl_len[r->novl] = len;
	}
	r->novl++;
}

static const struct reasm_cb rec_cb = {
	.data = rec_data,
	.gap = rec_gap,
	.overlap = rec_overlap,
};

/* Checks the event log against a "D100 G50 ..." style list. */
static bool rec_events_are(const struct rec *r, const char *kinds,
    const uint32_t *lens)
{
	size_t i, n = strlen(kinds);

	if (r->nev != n)
		return false;
	for (i = 0; i < n; i++)
		if (r->ev[i] != kinds[i] || r->ev_len[i] != lens[i])
			return false;
	return true;
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	memset(p, v, n);
}

/* ------------------------------------------------------------------------
 * 0. the chunk size the cap tests rely on
 * ---------------------------------------------------------------------- */

static void test_chunk_size(void)
{
	struct reasm_ctx *c = reasm_new(64 * CHUNK, 64 * CHUNK);
	struct reasm_dir d;
	struct reasm_stats st;
	struct rec r;
	uint8_t buf[CHUNK_DATA + 1];

	rec_init(&r, 100000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	fill(buf, sizeof(buf), 7);
	reasm_add(c, &d, 10, buf, CHUNK_DATA, &rec_cb, &r);
	reasm_get_stats(c, &st);
	test_eq_u64("one full chunk of data takes one chunk", st.mem, CHUNK);
	test_eq_u64("ooo_bytes counts pool bytes", d.ooo_bytes, CHUNK);
	reasm_add(c, &d, 20000, buf, CHUNK_DATA + 1, &rec_cb, &r);
	reasm_get_stats(c, &st);
	test_eq_u64("one byte more takes a second chunk", st.mem, 3 * CHUNK);
	test_eq_u64("nothing delivered behind a hole", r.pos, 0);
	/* bytes continuing a held chunk fill its free tail first */
	reasm_add(c, &d, 30000, buf, 100, &rec_cb, &r);
	reasm_add(c, &d, 30100, buf, 100, &rec_cb, &r);
	reasm_add(c, &d, 30200, buf, 100, &rec_cb, &r);
	reasm_get_stats(c, &st);
	test_eq_u64("adjacent small segments share a chunk", st.mem, 4 * CHUNK);
	test_eq_u64("segs_buffered", st.segs_buffered, 5);
	reasm_dir_release(c, &d);
	reasm_get_stats(c, &st);
	test_eq_u64("release returns every chunk", st.mem, 0);
	test_eq_u64("peak remembered", st.mem_peak, 4 * CHUNK);
	test_cond("release empties the list", d.ooo == NULL && d.ooo_bytes == 0);
	rec_free(&r);
	reasm_free(c);
}

/* ------------------------------------------------------------------------
 * 1. model test
 * ---------------------------------------------------------------------- */

struct seg {
	uint32_t off, len;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static void model_one(struct reasm_ctx *c, uint64_t seed, bool drops)
{
	static const uint32_t maxsegs[] = { 12, 100, 1460, 1460, 5000, 9000 };
	struct reasm_dir d;
	struct reasm_stats st, st0;
	struct rec r;
	struct seg *segs, t;
	uint8_t *stream, *covered;
	size_t nseg = 0, segcap, i, j, front = 0, ncov = 0, mism = 0;
	size_t late = 0, ngap_model = 0, gap_mism = 0;
	uint32_t len, maxseg, off, isn;
	bool ok;

	rng_state = seed;
	len = 1 + rnd(16000);
	maxseg = maxsegs[rnd(6)];
	isn = rnd(4) == 0 ? (uint32_t)rng() : 0xffffffffu - rnd(30000);
	stream = malloc(len);
	covered = calloc(len, 1);
	segcap = 4 * (len + 1) + 16;
	segs = malloc(segcap * sizeof(*segs));
	if (stream == NULL || covered == NULL || segs == NULL)
		exit(2);
	for (i = 0; i < len; i++)
		stream[i] = (uint8_t)rng();

	/* the original cut, some dropped, some sent twice */
	for (off = 0; off < len; ) {
		t.off = off;
		t.len = 1 + rnd(maxseg);
		if (t.len > len - off)
			t.len = len - off;
		off += t.len;
		if (!drops || rnd(8) != 0)
			segs[nseg++] = t;
		if (rnd(4) == 0)
			segs[nseg++] = t;
	}
	/* partial overlaps: random ranges with the same bytes */
	for (i = rnd((uint32_t)(nseg / 2 + 1)); i > 0; i--) {
		t.off = rnd(len);
		t.len = 1 + rnd(maxseg);
		if (t.len > len - t.off)
			t.len = len - t.off;
		if (drops && rnd(3) != 0)
			continue;	/* keep holes in drop mode */
		segs[nseg++] = t;
	}
	if (seed % 3 == 0) {
		/* mostly ascending, reordered a little, as after a loss */
		qsort(segs, nseg, sizeof(*segs), seg_cmp);
		for (i = 0; i + 1 < nseg; i++) {
			j = i + rnd(8);
			if (j >= nseg)
				continue;
			t = segs[i];
			segs[i] = segs[j];
			segs[j] = t;
		}
	} else {
		for (i = nseg; i > 1; i--) {
			j = rnd((uint32_t)i);
			t = segs[i - 1];
			segs[i - 1] = segs[j];
			segs[j] = t;
		}
	}

	reasm_get_stats(c, &st0);
	rec_init(&r, len);
	reasm_dir_init(&d);
	reasm_dir_start(&d, isn);
	for (i = 0; i < nseg; i++) {
		reasm_add(c, &d, isn + segs[i].off, stream + segs[i].off,
		    segs[i].len, &rec_cb, &r);
		for (j = segs[i].off; j < segs[i].off + segs[i].len; j++)
			covered[j] = 1;
		while (front < len && covered[front])
			front++;
		/* in-order bytes must go out at once, nothing beyond a hole */
		if (r.pos != front)
			late++;
	}
	reasm_flush(c, &d, true, isn + len, &rec_cb, &r);

	/* the model: covered bytes as sent, maximal uncovered runs as gaps */
	for (i = 0; i < len; i++) {
		if (covered[i]) {
			ncov++;
			if (r.mark[i] != 1 || r.out[i] != stream[i])
				mism++;
		} else {
			if (r.mark[i] != 2)
				mism++;
			if (i == 0 || covered[i - 1]) {
				for (j = i; j < len && !covered[j]; j++)
					;
				if (ngap_model >= r.ngaps ||
				    r.gap_at[ngap_model] != i ||
				    r.gap_len[ngap_model] != j - i)
					gap_mism++;
				ngap_model++;
			}
		}
	}
	reasm_get_stats(c, &st);
	ok = !r.bad && r.pos == len && mism == 0 && late == 0 &&
	    gap_mism == 0 && ngap_model == r.ngaps;
	if (!ok)
		printf("seed %llu: len %u maxseg %u isn %u nseg %zu: bad %d "
		    "pos %zu mism %zu late %zu gaps %zu/%zu (%zu wrong)\n",
		    (unsigned long long)seed, len, maxseg, isn, nseg, r.bad,
		    r.pos, mism, late, r.ngaps, ngap_model, gap_mism);
	test_cond("model: output equals the model byte for byte", ok);
	test_eq_u64("model: delivered counts covered bytes", d.delivered, ncov);
	test_eq_u64("model: missed counts the holes", d.missed, len - ncov);
	test_eq_u64("model: gap_bytes", st.gap_bytes - st0.gap_bytes, len - ncov);
	test_eq_u64("model: same bytes never raise overlap", r.novl, 0);
	test_eq_u64("model: no caps hit", st.drops, 0);
	test_cond("model: flushed to the end", d.next_seq == isn + len &&
	    d.ooo == NULL && d.ooo_bytes == 0);
	test_eq_u64("model: pool empty after flush", st.mem, 0);
	if (!drops)
		test_eq_u64("model: no gaps without drops", r.ngaps, 0);

	rec_free(&r);
	free(segs);
	free(covered);
	free(stream);
}

static void test_model(void)
{
	/* one pool for every run: it must come back empty each time */
	struct reasm_ctx *c = reasm_new(64u << 20, 64u << 20);
	uint64_t seed;

	if (c == NULL)
		exit(2);
	for (seed = 1; seed <= 400; seed++) {
		model_one(c, seed, false);
		model_one(c, seed + 1000000, true);
	}
	reasm_free(c);
}

/* A direction nobody started begins at the first segment it sees. */
static void test_unstarted(void)
{
	struct reasm_ctx *c = reasm_new(16 * CHUNK, 16 * CHUNK);
	struct reasm_dir d;
	struct rec r;
	uint8_t a[10], b[10];

	rec_init(&r, 100);
	reasm_dir_init(&d);
	fill(a, 10, 'a');
	fill(b, 10, 'b');
	reasm_add(c, &d, 0xfffffffbu, a, 0, &rec_cb, &r);
	test_cond("empty segment does not start the direction", !d.started);
	reasm_add(c, &d, 0xfffffffbu, a, 10, &rec_cb, &r);
	test_cond("started at first seq", d.started && d.next_seq == 5);
	test_eq_u64("delivered at once", r.pos, 10);
	reasm_add(c, &d, 5, b, 0, &rec_cb, &r);
	reasm_add(c, &d, 15, b, 10, &rec_cb, &r);
	test_eq_u64("ahead across the wrap: buffered", r.pos, 10);
	reasm_add(c, &d, 5, b, 10, &rec_cb, &r);
	test_eq_u64("hole filled", r.pos, 30);
	test_cond("bytes in order", memcmp(r.out, a, 10) == 0 &&
	    memcmp(r.out + 10, b, 10) == 0 && memcmp(r.out + 20, b, 10) == 0);
	rec_free(&r);
	reasm_free(c);
}

/* ------------------------------------------------------------------------
 * 2. overlaps with different bytes
 * ---------------------------------------------------------------------- */

static void test_overlap(void)
{
	struct reasm_ctx *c = reasm_new(64 * CHUNK, 64 * CHUNK);
	struct reasm_dir d;
	struct reasm_stats st;
	struct rec r;
	uint8_t a[200], b[200], x[200], want[400];
	uint32_t base;

	/* (a) against buffered data: new bytes lose, one report */
	base = 0xffffffc0u;		/* wraps inside the test */
	rec_init(&r, 1000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, base);
	fill(a, 100, 'A');
	fill(b, 100, 'B');
	fill(x, 100, 'C');
	reasm_add(c, &d, base + 100, a, 100, &rec_cb, &r);
	reasm_add(c, &d, base + 150, b, 100, &rec_cb, &r);
	test_eq_u64("(a) one overlap", r.novl, 1);
	test_cond("(a) overlap is the differing range",
	    r.ovl_seq[0] == base + 150 && r.ovl_len[0] == 50);
	reasm_add(c, &d, base, x, 100, &rec_cb, &r);
	fill(want, 100, 'C');
	fill(want + 100, 100, 'A');
	fill(want + 200, 50, 'B');
	test_eq_u64("(a) all delivered", r.pos, 250);
	test_cond("(a) first copy wins", memcmp(r.out, want, 250) == 0);
	test_eq_u64("(a) no further overlap", r.novl, 1);
	reasm_get_stats(c, &st);
	test_eq_u64("(a) counted", st.overlaps_diff, 1);
	rec_free(&r);

	/* (b) in-order segment over buffered bytes */
	rec_init(&r, 1000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	fill(a, 10, 'X');
	fill(b, 30, 'Y');
	reasm_add(c, &d, 10, a, 10, &rec_cb, &r);
	reasm_add(c, &d, 0, b, 30, &rec_cb, &r);
	test_eq_u64("(b) one overlap", r.novl, 1);
	test_cond("(b) overlap range", r.ovl_seq[0] == 10 && r.ovl_len[0] == 10);
	fill(want, 10, 'Y');
	fill(want + 10, 10, 'X');
	fill(want + 20, 10, 'Y');
	test_eq_u64("(b) all delivered", r.pos, 30);
	test_cond("(b) first copy wins", memcmp(r.out, want, 30) == 0);
	rec_free(&r);

	/* (c) exact retransmission of the last delivered segment */
	rec_init(&r, 1000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0xffffff00u);
	fill(a, 100, 'A');
	reasm_add(c, &d, 0xffffffa0u, a, 100, &rec_cb, &r);	/* early */
	reasm_add(c, &d, 0xffffff00u, a, 100, &rec_cb, &r);
	reasm_add(c, &d, 0xffffff64u, a, 60, &rec_cb, &r);	/* the hole */
	test_eq_u64("(c) delivered through the wrap", r.pos, 260);
	test_eq_u64("(c) next_seq wrapped", d.next_seq, 4);
	reasm_add(c, &d, 4, a, 100, &rec_cb, &r);		/* in order */
	memcpy(x, a, 100);
	reasm_add(c, &d, 4, x, 100, &rec_cb, &r);
	test_eq_u64("(c) same bytes: no overlap", r.novl, 0);
	x[57] = 'Z';
	reasm_add(c, &d, 4, x, 100, &rec_cb, &r);
	test_eq_u64("(c) different bytes: one overlap", r.novl, 1);
	test_cond("(c) whole segment reported",
	    r.ovl_seq[0] == 4 && r.ovl_len[0] == 100);
	x[57] = 'A';
	x[99] = 'Z';			/* the last byte only */
	reasm_add(c, &d, 4, x, 100, &rec_cb, &r);
	test_eq_u64("(c) last byte differs: one more overlap", r.novl, 2);
	x[99] = 'A';
	x[0] = 'Z';			/* the first byte only */
	reasm_add(c, &d, 4, x, 100, &rec_cb, &r);
	test_eq_u64("(c) first byte differs: one more overlap", r.novl, 3);
	reasm_add(c, &d, 4, x, 50, &rec_cb, &r);
	test_eq_u64("(c) other length: not checkable", r.novl, 3);
	test_eq_u64("(c) nothing delivered twice", r.pos, 360);
	fill(want, 360, 'A');
	test_cond("(c) first copy wins", memcmp(r.out, want, 360) == 0);
	reasm_get_stats(c, &st);
	test_eq_u64("(c) retransmits counted", st.retransmits, 5);
	test_eq_u64("(c) overlaps counted", st.overlaps_diff, 5);
	rec_free(&r);

	/* (d) one event over two chunks and a hole: one report */
	rec_init(&r, 1000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	fill(a, 50, 'A');
	reasm_add(c, &d, 100, a, 50, &rec_cb, &r);
	reasm_add(c, &d, 200, a, 50, &rec_cb, &r);
	fill(b, 200, 'A');
	b[10] = 'q';			/* seq 110 */
	b[140] = 'q';			/* seq 240 */
	b[20] = 'q';			/* seq 120 */
	reasm_add(c, &d, 100, b, 200, &rec_cb, &r);
	test_eq_u64("(d) one overlap for one segment", r.novl, 1);
	test_cond("(d) from first to last differing byte",
	    r.ovl_seq[0] == 110 && r.ovl_len[0] == 131);
	fill(x, 100, 'C');
	reasm_add(c, &d, 0, x, 100, &rec_cb, &r);
	test_eq_u64("(d) all delivered", r.pos, 300);
	fill(want, 100, 'C');
	fill(want + 100, 200, 'A');
	test_cond("(d) first copy wins", memcmp(r.out, want, 300) == 0);
	test_eq_u64("(d) still one overlap", r.novl, 1);
	reasm_get_stats(c, &st);
	test_eq_u64("(d) mem back to 0", st.mem, 0);
	rec_free(&r);

	/* (e) in order across two adjacent held chunks: both compared */
	rec_init(&r, 1000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	fill(a, 10, 'A');
	reasm_add(c, &d, 20, a, 10, &rec_cb, &r);
	reasm_add(c, &d, 10, a, 10, &rec_cb, &r);
	fill(b, 40, 'A');
	b[25] = 'z';
	reasm_add(c, &d, 0, b, 40, &rec_cb, &r);
	test_eq_u64("(e) one overlap", r.novl, 1);
	test_cond("(e) in the second chunk", r.ovl_seq[0] == 25 && r.ovl_len[0] == 1);
	test_cond("(e) first copy wins", r.pos == 40 && r.out[25] == 'A');
	rec_free(&r);

	reasm_free(c);
}

/* ------------------------------------------------------------------------
 * 3. caps
 * ---------------------------------------------------------------------- */

static void test_memcap(void)
{
	struct reasm_ctx *c = reasm_new(4 * CHUNK, 1u << 20);
	struct reasm_dir a, b;
	struct reasm_stats st;
	struct rec ra, rb;
	uint8_t buf[1000];
	uint32_t i;

	rec_init(&ra, 20000);
	rec_init(&rb, 20000);
	reasm_dir_init(&a);
	reasm_dir_init(&b);
	reasm_dir_start(&a, 0);
	for (i = 0; i < 1000; i++)
		buf[i] = (uint8_t)(i * 7);
	/* four holes, four chunks: the pool is full */
	for (i = 0; i < 4; i++)
		reasm_add(c, &a, 1000 + 2000 * i, buf, 1000, &rec_cb, &ra);
	reasm_get_stats(c, &st);
	test_eq_u64("pool full", st.mem, 4 * CHUNK);
	test_eq_u64("nothing yet", ra.pos, 0);
	/* a fifth: the first hole is given up, then it fits */
	reasm_add(c, &a, 9000, buf, 1000, &rec_cb, &ra);
	{
		static const uint32_t l[] = { 1000, 1000 };
		test_cond("gap then the data behind it",
		    rec_events_are(&ra, "GD", l));
	}
	test_cond("delivered bytes", memcmp(ra.out + 1000, buf, 1000) == 0);
	reasm_get_stats(c, &st);
	test_eq_u64("no drop", st.drops, 0);
	test_eq_u64("one gap", st.gaps, 1);
	test_eq_u64("still full", st.mem, 4 * CHUNK);

	/* another direction holding nothing: its early segment is dropped */
	reasm_dir_start(&b, 0);
	reasm_add(c, &b, 500, buf, 100, &rec_cb, &rb);
	reasm_get_stats(c, &st);
	test_eq_u64("dropped", st.drops, 1);
	reasm_add(c, &b, 0, buf, 500, &rec_cb, &rb);
	test_eq_u64("in order needs no pool", rb.pos, 500);
	reasm_add(c, &b, 600, buf, 100, &rec_cb, &rb);
	reasm_get_stats(c, &st);
	test_eq_u64("dropped again", st.drops, 2);
	reasm_flush(c, &b, true, 700, &rec_cb, &rb);
	test_eq_u64("dropped bytes become a gap at flush", b.missed, 200);
	test_eq_u64("consumer saw all 700 positions", rb.pos, 700);

	/* flush of a: holes between held chunks, then a final gap */
	reasm_flush(c, &a, true, 12000, &rec_cb, &ra);
	{
		static const uint32_t l[] = { 1000, 1000, 1000, 1000, 1000,
			1000, 1000, 1000, 1000, 1000, 2000 };
		test_cond("flush order", rec_events_are(&ra, "GDGDGDGDGDG", l));
	}
	test_eq_u64("a delivered", a.delivered, 5000);
	test_eq_u64("a missed", a.missed, 7000);
	test_cond("a ends at upto", a.next_seq == 12000 && ra.pos == 12000);
	reasm_get_stats(c, &st);
	test_eq_u64("pool empty after flushes", st.mem, 0);
	test_eq_u64("peak", st.mem_peak, 4 * CHUNK);
	test_cond("no bytes placed twice", !ra.bad && !rb.bad);

	/* refill, then release: memory returns to 0 */
	for (i = 0; i < 6; i++)
		reasm_add(c, &a, 20000 + 2000 * i, buf, 1000, &rec_cb, &ra);
	reasm_get_stats(c, &st);
	test_eq_u64("full again", st.mem, 4 * CHUNK);
	reasm_dir_release(c, &a);
	reasm_dir_release(c, &b);
	reasm_get_stats(c, &st);
	test_eq_u64("release: mem 0", st.mem, 0);
	rec_free(&ra);
	rec_free(&rb);
	reasm_free(c);
}

static void test_dir_cap(void)
{
	struct reasm_ctx *c = reasm_new(64 * CHUNK, 2 * CHUNK);
	struct reasm_dir d;
	struct reasm_stats st;
	struct rec r;
	uint8_t buf[8000];
	uint32_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 1);

	/* two chunks allowed: each new hole gives up the oldest */
	rec_init(&r, 20000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	reasm_add(c, &d, 100, buf + 100, 100, &rec_cb, &r);
	reasm_add(c, &d, 300, buf + 300, 100, &rec_cb, &r);
	test_eq_u64("two held", d.ooo_bytes, 2 * CHUNK);
	reasm_add(c, &d, 500, buf + 500, 100, &rec_cb, &r);
	reasm_add(c, &d, 700, buf + 700, 100, &rec_cb, &r);
	test_eq_u64("cap held", d.ooo_bytes, 2 * CHUNK);
	reasm_flush(c, &d, false, 0, &rec_cb, &r);
	{
		static const uint32_t l[] = { 100, 100, 100, 100, 100, 100,
			100, 100 };
		test_cond("gap/data alternate", rec_events_are(&r, "GDGDGDGD", l));
	}
	test_cond("bytes at their offsets", memcmp(r.out + 100, buf + 100, 100)
	    == 0 && memcmp(r.out + 700, buf + 700, 100) == 0);
	test_eq_u64("delivered", d.delivered, 400);
	test_eq_u64("missed", d.missed, 400);
	reasm_get_stats(c, &st);
	test_eq_u64("no drops", st.drops, 0);
	rec_free(&r);

	/* a segment bigger than the cap: half buffered, hole given up, rest in order */
	rec_init(&r, 20000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	reasm_add(c, &d, 1000, buf + 1000, 6000, &rec_cb, &r);
	{
		static const uint32_t l[] = { 1000, CHUNK_DATA, CHUNK_DATA,
			6000 - 2 * CHUNK_DATA };
		test_cond("gap, buffered part, direct part",
		    rec_events_are(&r, "GDDD", l));
	}
	test_cond("bytes intact", memcmp(r.out + 1000, buf + 1000, 6000) == 0);
	test_eq_u64("next_seq", d.next_seq, 7000);
	reasm_get_stats(c, &st);
	test_eq_u64("still no drops", st.drops, 0);
	test_eq_u64("mem 0", st.mem, 0);
	rec_free(&r);
	reasm_free(c);

	/* three chunks allowed, three held: a long segment is partly refused */
	c = reasm_new(64 * CHUNK, 3 * CHUNK);
	rec_init(&r, 20000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	for (i = 0; i < 3; i++)
		reasm_add(c, &d, 100 + 200 * i, buf + 100 + 200 * i, 100,
		    &rec_cb, &r);
	reasm_add(c, &d, 700, buf + 700, 5000, &rec_cb, &r);
	reasm_get_stats(c, &st);
	test_eq_u64("partly refused: one drop", st.drops, 1);
	test_eq_u64("partly refused: one hole given up", st.gaps, 1);
	reasm_flush(c, &d, true, 5700, &rec_cb, &r);
	{
		static const uint32_t l[] = { 100, 100, 100, 100, 100, 100,
			100, CHUNK_DATA, 5000 - CHUNK_DATA };
		test_cond("partly refused: the refused part is a gap",
		    rec_events_are(&r, "GDGDGDGDG", l));
	}
	test_cond("partly refused: kept part intact",
	    memcmp(r.out + 700, buf + 700, CHUNK_DATA) == 0);
	test_eq_u64("partly refused: missed", d.missed,
	    400 + 5000 - CHUNK_DATA);
	rec_free(&r);
	reasm_free(c);

	/* cap below one chunk: nothing is ever buffered */
	c = reasm_new(64 * CHUNK, 100);
	rec_init(&r, 20000);
	reasm_dir_init(&d);
	reasm_dir_start(&d, 0);
	reasm_add(c, &d, 10, buf, 10, &rec_cb, &r);
	reasm_get_stats(c, &st);
	test_eq_u64("tiny cap: dropped", st.drops, 1);
	test_eq_u64("tiny cap: no memory", st.mem, 0);
	reasm_add(c, &d, 0, buf, 10, &rec_cb, &r);
	reasm_flush(c, &d, true, 20, &rec_cb, &r);
	{
		static const uint32_t l[] = { 10, 10 };
		test_cond("tiny cap: data then gap", rec_events_are(&r, "DG", l));
	}
	rec_free(&r);
	reasm_free(c);

	/* no pool at all */
	c = reasm_new(100, 1u << 20);
	test_cond("memcap below one chunk still works", c != NULL);
	if (c != NULL) {
		rec_init(&r, 100);
		reasm_dir_init(&d);
		reasm_dir_start(&d, 0);
		reasm_add(c, &d, 10, buf, 10, &rec_cb, &r);
		reasm_add(c, &d, 0, buf, 10, &rec_cb, &r);
		reasm_flush(c, &d, true, 20, &rec_cb, &r);
		test_cond("no pool: in order still delivered",
		    r.pos == 20 && d.delivered == 10 && d.missed == 10);
		rec_free(&r);
		reasm_free(c);
	}
}

/*
 * Many directions share a tiny pool, segments in random order: whatever the
 * caps do, every byte handed over must be the stream's byte at that offset,
 * the positions must add up, and the pool must empty.
 */
static void test_pressure(void)
{
	enum { NDIR = 6, LEN = 30000, NSEG = 3000 };
	struct reasm_ctx *c = reasm_new(10 * CHUNK, 4 * CHUNK);
	struct reasm_dir d[NDIR];
	struct rec r[NDIR];
	struct reasm_stats st;
	uint8_t *stream = malloc(LEN);
	uint32_t isn[NDIR], k, off, len;
	size_t i, wrong = 0;
	int j;
	bool ok = true;

	if (c == NULL || stream == NULL)
		exit(2);
	rng_state = 4242;
	for (i = 0; i < LEN; i++)
		stream[i] = (uint8_t)rng();
	for (j = 0; j < NDIR; j++) {
		rec_init(&r[j], LEN);
		reasm_dir_init(&d[j]);
		isn[j] = 0xffffffffu - rnd(LEN);
		reasm_dir_start(&d[j], isn[j]);
	}
	for (k = 0; k < NSEG * NDIR; k++) {
		j = (int)rnd(NDIR);
		off = rnd(LEN);
		len = 1 + rnd(3000);
		if (len > LEN - off)
			len = LEN - off;
		/* mostly near the front, so streams make progress */
		if (rnd(2) == 0 && SEQ_LT(d[j].next_seq, isn[j] + LEN)) {
			off = d[j].next_seq - isn[j] + rnd(4000);
			if (off >= LEN)
				continue;
			if (len > LEN - off)
				len = LEN - off;
		}
		reasm_add(c, &d[j], isn[j] + off, stream + off, len, &rec_cb,
		    &r[j]);
		reasm_get_stats(c, &st);
		if (st.mem > 10 * CHUNK)
			ok = false;
		if (d[j].ooo_bytes > 4 * CHUNK)
			ok = false;
	}
	test_cond("pressure: memcap and cap never exceeded", ok);
	reasm_get_stats(c, &st);
	test_cond("pressure: drops happened", st.drops > 0);
	test_cond("pressure: gaps happened", st.gaps > 0);
	for (j = 0; j < NDIR; j++) {
		if (j % 2 == 0)
			reasm_flush(c, &d[j], true, isn[j] + LEN, &rec_cb, &r[j]);
		reasm_dir_release(c, &d[j]);
		if (j % 2 == 0) {
			for (i = 0; i < LEN; i++)
				if (r[j].mark[i] == 1 && r[j].out[i] != stream[i])
					wrong++;
			test_cond("pressure: positions add up",
			    !r[j].bad && r[j].pos == LEN &&
			    d[j].delivered + d[j].missed == LEN);
		}
		rec_free(&r[j]);
	}
	test_eq_u64("pressure: every delivered byte is right", wrong, 0);
	reasm_get_stats(c, &st);
	test_eq_u64("pressure: mem 0 after release", st.mem, 0);
	free(stream);
	reasm_free(c);
}

/* ------------------------------------------------------------------------
 * 4. reasm_buf
 * ---------------------------------------------------------------------- */

static void test_buf(void)
{
	struct reasm_ctx *c = reasm_new(8 * CHUNK, 1u << 20);
	struct reasm_buf b = { 0 };
	struct reasm_stats st;
	uint8_t src[20000], dst[20000];
	size_t i, total = 0, got;
	static const size_t pieces[] = { 1, 0, 100, 2031, 1, 2032, 5000, 7 };
	int rc;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 31 + 5);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		rc = reasm_buf_append(c, &b, src + total, pieces[i]);
		test_eq_u64("buf: append ok", rc, 0);
		total += pieces[i];
	}
	test_eq_u64("buf: len", b.len, total);
	memset(dst, 0, sizeof(dst));
	got = reasm_buf_copy(&b, dst, sizeof(dst));
	test_eq_u64("buf: copy all", got, total);
	test_cond("buf: round trip", memcmp(dst, src, total) == 0);
	memset(dst, 0, sizeof(dst));
	got = reasm_buf_copy(&b, dst, 2500);
	test_eq_u64("buf: copy capped", got, 2500);
	test_cond("buf: capped prefix", memcmp(dst, src, 2500) == 0 &&
	    dst[2500] == 0);
	got = reasm_buf_copy(&b, dst, 0);
	test_eq_u64("buf: copy into nothing", got, 0);
	reasm_get_stats(c, &st);
	test_eq_u64("buf: chunks in use", st.mem,
	    CHUNK * ((total + CHUNK_DATA - 1) / CHUNK_DATA));

	reasm_buf_clear(c, &b);
	test_cond("buf: empty after clear", b.len == 0 && b.head == NULL &&
	    b.tail == NULL);
	test_eq_u64("buf: copy of empty", reasm_buf_copy(&b, dst, 10), 0);
	reasm_get_stats(c, &st);
	test_eq_u64("buf: mem 0 after clear", st.mem, 0);

	/* exhaustion: 8 chunks; a too-big append leaves the buffer as it was */
	rc = reasm_buf_append(c, &b, src, 7 * CHUNK_DATA + 10);
	test_eq_u64("buf: fill 8 chunks", rc, 0);
	rc = reasm_buf_append(c, &b, src, CHUNK_DATA);
	test_eq_u64("buf: exhausted", (uint64_t)(int64_t)rc, (uint64_t)-1);
	test_eq_u64("buf: nothing appended", b.len, 7 * CHUNK_DATA + 10);
	rc = reasm_buf_append(c, &b, src + 7 * CHUNK_DATA + 10,
	    CHUNK_DATA - 10);
	test_eq_u64("buf: the last chunk's room still usable", rc, 0);
	rc = reasm_buf_append(c, &b, src, 1);
	test_eq_u64("buf: now truly full", (uint64_t)(int64_t)rc, (uint64_t)-1);
	got = reasm_buf_copy(&b, dst, sizeof(dst));
	test_cond("buf: full round trip", got == 8 * CHUNK_DATA &&
	    memcmp(dst, src, got) == 0);

	/* the reassembly shares the pool: no room for out-of-order data */
	{
		struct reasm_dir d;
		struct rec r;

		rec_init(&r, 100);
		reasm_dir_init(&d);
		reasm_dir_start(&d, 0);
		reasm_add(c, &d, 10, src, 10, &rec_cb, &r);
		reasm_get_stats(c, &st);
		test_eq_u64("buf: shared pool, segment dropped", st.drops, 1);
		rec_free(&r);
	}
	reasm_buf_clear(c, &b);
	reasm_get_stats(c, &st);
	test_eq_u64("buf: mem 0 at the end", st.mem, 0);
	reasm_free(c);
}

int main(void)
{
	test_chunk_size();
	test_model();
	test_unstarted();
	test_overlap();
	test_memcap();
	test_dir_cap();
	test_pressure();
	test_buf();
	return test_report();
}
