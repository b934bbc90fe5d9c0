/*
 * recpool.c - per-thread record pools (see recpool.h).
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "recpool.h"

struct recpool_tls {
	const struct recpool *rp;
	uint32_t nfree;
	uint16_t *free;			/* stack of free slots */
	uint8_t *used;			/* 1 per slot in use: double frees are ignored */
	unsigned char *rec;
	unsigned char *extra;
};

static size_t align_up(size_t n)
{
	size_t a = alignof(max_align_t);

	return (n + a - 1) / a * a;
}

static void pool_destroy(void *p)
{
	free(p);
}

static bool key_ready(struct recpool *rp)
{
	if (__atomic_load_n(&rp->key_state, __ATOMIC_ACQUIRE) == 0) {
		pthread_mutex_lock(&rp->lock);
		if (rp->key_state == 0)
			__atomic_store_n(&rp->key_state,
			    pthread_key_create(&rp->key, pool_destroy) == 0 ? 1 : -1,
			    __ATOMIC_RELEASE);
		pthread_mutex_unlock(&rp->lock);
	}
	return rp->key_state == 1;
}

struct recpool_tls *recpool_peek(struct recpool *rp)
{
	if (!key_ready(rp))
		return NULL;
	return pthread_getspecific(rp->key);
}

struct recpool_tls *recpool_get(struct recpool *rp)
{
	struct recpool_tls *t = recpool_peek(rp);
	size_t rs = align_up(rp->rec_size);
	size_t hdr = align_up(sizeof(*t));
	size_t fl = align_up((size_t)rp->nrec * sizeof(uint16_t));
	size_t us = align_up(rp->nrec);
	unsigned char *m;

	if (t || rp->key_state != 1)
		return t;
	m = calloc(1, hdr + fl + us + (size_t)rp->nrec * rs + align_up(rp->extra));
	if (!m)
		return NULL;
	t = (struct recpool_tls *)m;
	t->rp = rp;
	t->free = (uint16_t *)(m + hdr);
	t->used = m + hdr + fl;
	t->rec = m + hdr + fl + us;
	t->extra = rp->extra ? t->rec + (size_t)rp->nrec * rs : NULL;
	/* Lowest slot on top, so few pages are touched. */
	for (uint32_t i = 0; i < rp->nrec; i++)
		t->free[i] = (uint16_t)(rp->nrec - 1 - i);
	t->nfree = rp->nrec;
	if (pthread_setspecific(rp->key, t) != 0) {
		free(m);
		return NULL;
	}
	return t;
}

int recpool_alloc(struct recpool_tls *t)
{
	uint16_t slot;

	if (t->nfree == 0)
		return -1;
	slot = t->free[--t->nfree];
	t->used[slot] = 1;
	memset(t->rec + (size_t)slot * align_up(t->rp->rec_size), 0,
	    t->rp->rec_size);
	return slot;
}

void *recpool_rec(struct recpool_tls *t, uint16_t slot)
{
	if (slot >= t->rp->nrec || !t->used[slot])
		return NULL;
	return t->rec + (size_t)slot * align_up(t->rp->rec_size);
}

void recpool_free(struct recpool_tls *t, uint16_t slot)
{
	if (slot >= t->rp->nrec || !t->used[slot])
		return;
	t->used[slot] = 0;
	t->free[t->nfree++] = slot;
}

void *recpool_extra(struct recpool_tls *t)
{
	return t->extra;
}
