/*
 * tcp_reasm.h - per-direction TCP stream reassembly.
 *
 * Delivers each direction's payload in sequence order.  Out-of-order segments
 * are copied into chunks from a per-worker pool whose size is fixed at start
 * (the global memcap); each direction also has its own cap on buffered bytes.
 * Retransmissions and overlaps: the first copy wins.  Overlapping bytes that
 * differ from what is buffered are reported; for data already delivered, the
 * last delivered segment is remembered as (seq, len, hash) so an exact
 * retransmission with different bytes is reported too.  A hole that never
 * fills is skipped when a cap is reached or at flush, and reported as a gap.
 * Sequence numbers are compared wrap-safe (SEQ_LT and friends).
 *
 * No allocation after reasm_new().
 */
#ifndef SPANLOG_TCP_REASM_H
#define SPANLOG_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

struct reasm_ctx;
struct reasm_chunk;

/* Lives inline in the flow; zero it (or reasm_dir_init) before use. */
struct reasm_dir {
	uint32_t next_seq;		/* next in-order byte expected */
	uint32_t ooo_bytes;		/* bytes buffered out of order */
	struct reasm_chunk *ooo;	/* sorted by seq */
	uint64_t delivered;		/* in-order bytes handed over */
	uint64_t missed;		/* bytes skipped as gaps */
	uint32_t last_seq, last_len;	/* last delivered segment ... */
	uint64_t last_hash;		/* ... and a hash of its bytes */
	bool started;
};

/* What the stream hands to its consumer.  'arg' is passed through. */
struct reasm_cb {
	void (*data)(void *arg, const uint8_t *p, size_t n);
	void (*gap)(void *arg, uint32_t len);
	void (*overlap)(void *arg, uint32_t seq, uint32_t len); /* differing bytes */
};

struct reasm_stats {
	uint64_t mem, mem_peak;		/* bytes of pool in use */
	uint64_t segs_buffered;
	uint64_t drops;			/* segments (partly) refused: memcap */
	uint64_t gaps, gap_bytes;
	uint64_t overlaps_diff;
	uint64_t retransmits;		/* segments wholly already seen */
};

/*
 * Allocates the pool: memcap bytes of chunks, and the cap of out-of-order
 * bytes one direction may hold.  NULL on allocation failure.
 */
struct reasm_ctx *reasm_new(size_t memcap, uint32_t max_ooo_per_dir);
void reasm_free(struct reasm_ctx *c);

void reasm_dir_init(struct reasm_dir *d);

/* Sets the first expected sequence number (SYN's seq + 1, or mid-stream). */
void reasm_dir_start(struct reasm_dir *d, uint32_t seq);

/*
 * Adds a segment's payload p[0..n) at 'seq'.  Borrows p.  Delivers whatever
 * becomes in order through cb->data, copies what is early into the pool.
 * If the per-direction cap or the pool is exhausted, the earliest hole is
 * given up (cb->gap) and buffered data behind it delivered, then the segment
 * is retried; if it still does not fit it is dropped and counted as a gap
 * later.  A direction not yet started is started at 'seq'.
 */
void reasm_add(struct reasm_ctx *c, struct reasm_dir *d, uint32_t seq,
    const uint8_t *p, size_t n, const struct reasm_cb *cb, void *arg);

/*
 * Delivers everything still buffered, reporting each hole as a gap (FIN,
 * RST, flow end).  If 'upto_valid', also reports a final gap for bytes
 * between the last delivered byte and 'upto' (e.g. the FIN's seq).
 */
void reasm_flush(struct reasm_ctx *c, struct reasm_dir *d, bool upto_valid,
    uint32_t upto, const struct reasm_cb *cb, void *arg);

/* Returns every chunk the direction holds to the pool. */
void reasm_dir_release(struct reasm_ctx *c, struct reasm_dir *d);

void reasm_get_stats(const struct reasm_ctx *c, struct reasm_stats *s);

/*
 * A small byte buffer in pool chunks, for the bytes a dissector did not
 * consume yet (the flow layer passes them in again with the next data).
 */
struct reasm_buf {
	struct reasm_chunk *head, *tail;
	uint32_t len;
};

/* Appends p[0..n); -1 (nothing appended) if the pool is exhausted. */
int reasm_buf_append(struct reasm_ctx *c, struct reasm_buf *b,
    const uint8_t *p, size_t n);
/* Copies the first min(len, cap) bytes into dst; returns the count. */
size_t reasm_buf_copy(const struct reasm_buf *b, uint8_t *dst, size_t cap);
/* Releases all chunks; b becomes empty. */
void reasm_buf_clear(struct reasm_ctx *c, struct reasm_buf *b);

#endif
