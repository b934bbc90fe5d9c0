/*
 * recpool.h - per-thread pools of fixed-size records for dissectors whose
 * transactions are too big for the flow slot's APP_STATE_MAX bytes (an HTTP
 * request's strings, an SMTP message).  A flow keeps only a 16-bit slot
 * number; the record lives in its worker thread's pool.
 *
 * Each thread's pool is allocated on its first use (never per packet) and
 * freed when the thread exits.  A flow is always fed by one thread, so a
 * slot is only ever used by the thread that took it; recpool_owns() lets a
 * dissector check that before trusting a slot.
 */
#ifndef SPANLOG_RECPOOL_H
#define SPANLOG_RECPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A kind of record (one static instance per dissector). */
struct recpool {
	size_t rec_size;
	uint16_t nrec;
	size_t extra;			/* bytes of per-thread scratch */
	pthread_mutex_t lock;		/* guards the key's creation */
	pthread_key_t key;
	int key_state;			/* 0 not yet, 1 ready, -1 failed */
};

#define RECPOOL_INIT(size, n, extra_bytes) \
	{ (size), (n), (extra_bytes), PTHREAD_MUTEX_INITIALIZER, 0, 0 }

struct recpool_tls;			/* one thread's records */

/* This thread's pool, allocated on first use; NULL if out of memory. */
struct recpool_tls *recpool_get(struct recpool *rp);

/* This thread's pool if it exists, without allocating. */
struct recpool_tls *recpool_peek(struct recpool *rp);

/* Takes a zeroed record; returns its slot, or -1 when all are in use. */
int recpool_alloc(struct recpool_tls *t);

/* The record in 'slot' (NULL if slot is out of range). Borrowed. */
void *recpool_rec(struct recpool_tls *t, uint16_t slot);

/* Gives 'slot' back (a slot already free or out of range is ignored). */
void recpool_free(struct recpool_tls *t, uint16_t slot);

/* The thread's scratch area of 'extra' bytes (NULL when extra is 0). */
void *recpool_extra(struct recpool_tls *t);

#endif
