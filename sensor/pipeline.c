/*
 * pipeline.c - threads and the per-packet path.
 *
 *   offline, 1 worker:   read -> decode -> defrag -> flow table (one thread)
 *   offline, N workers:  reader: read -> decode -> defrag -> hash
 *                          -> SPSC ring per worker -> worker: flow table
 *   live, N workers:     one libpcap handle per worker in a PACKET_FANOUT
 *                        hash group; each worker decodes and owns its flows
 *
 * Offline, packets are dispatched by a symmetric hash of the two addresses
 * (flow_key_hash_pair), so a flow and all its events live on one worker
 * and nothing on the per-packet path takes a lock, and every conversation
 * between the same two hosts is on the same worker, in capture order: the
 * per-thread alert aggregation and the baseline's per-edge state in ot/
 * see them as one thread would.  Live, the kernel's PACKET_FANOUT_HASH
 * spreads by flow, so two connections between the same hosts may be
 * aggregated on two workers (see README, "Still weak").  The reader sends every worker a clock tick when capture
 * time moves on by a second, so idle flows expire by capture time on every
 * worker alike, and the events of a capture are the same whatever N is.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../flows/decode.h"
#include "../flows/flow_table.h"
#include "../flows/ipfrag.h"
#include "../ot/alerts.h"
#include "../ot/assets.h"
#include "../ot/baseline.h"
#include "../ot/scan.h"
#include "../ot/device_log.h"
#include "../ot/state.h"
#include "capture.h"
#include "config.h"
#include "output.h"
#include "output_redis.h"
#include "pipeline.h"

#define RING_SIZE (8u << 20)
#define TICK_US 1000000ULL

enum rec_kind { REC_PKT, REC_WRAP, REC_TICK, REC_EOF };

struct rec {
	uint32_t len;		/* whole record, multiple of 8 */
	uint8_t kind;
	uint8_t dres;		/* enum decode_result */
	uint16_t anom;
	uint32_t off_l3, off_l4, off_payload;
	uint32_t datalen;
	struct pkt p;
	_Alignas(8) uint8_t data[];
};

struct ring {
	uint8_t *buf;
	_Atomic uint64_t head;	/* bytes written (producer) */
	_Atomic uint64_t tail;	/* bytes read (consumer) */
};

struct worker {
	int id;
	struct pipeline *pl;
	struct flow_table *ft;
	struct ipfrag_ctx *frag;	/* live mode: each worker defragments */
	struct capture *cap;		/* live mode */
	struct ring ring;		/* offline, N > 1 */
	pthread_t th;
	bool started;
	/* live: a snapshot the worker publishes for the stats thread */
	pthread_mutex_t snap_lock;
	struct flow_table_stats snap;
	uint64_t snap_drop, snap_ifdrop;
	struct ipfrag_stats snap_frag;
};

struct pipeline {
	const struct config *cfg;
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t *save_now;	/* SIGHUP: save the state now */
	int nworkers;
	struct worker *w;
	uint64_t serial;
	uint64_t start_wall_us;
	uint64_t first_ts, last_ts;
	struct ipfrag_ctx *frag;	/* offline: the reader's */
	uint64_t stats_seq;
};

/* Capture time moved on (this worker): the ot/ detectors' clocks. */
static void ot_tick(uint64_t now_us)
{
	baseline_tick(now_us);
	scan_tick(baseline_tick_floor());
}

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void backoff(unsigned *spins)
{
	if (++*spins < 64) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 50000 };

		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------------------
 * The ring: single producer, single consumer, variable-length records
 * --------------------------------------------------------------------- */

static struct rec *ring_reserve(struct ring *r, size_t need)
{
	unsigned spins = 0;

	for (;;) {
		uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		size_t at = head & (RING_SIZE - 1);
		size_t to_end = RING_SIZE - at;
		size_t want = need <= to_end ? need : to_end + need;

		if (RING_SIZE - (head - tail) >= want) {
			if (need > to_end) {
				struct rec *wrap = (struct rec *)(r->buf + at);

				/* records are 8-aligned, so the header's first word fits */
				wrap->len = (uint32_t)to_end;
				wrap->kind = REC_WRAP;
				atomic_store_explicit(&r->head, head + to_end,
				    memory_order_release);
				return (struct rec *)r->buf;
			}
			return (struct rec *)(r->buf + at);
		}
		backoff(&spins);
	}
}

static void ring_commit(struct ring *r, size_t len)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(&r->head, head + len, memory_order_release);
}

/* ------------------------------------------------------------------------
 * The per-packet path
 * --------------------------------------------------------------------- */

static void worker_packet(struct worker *w, const struct pkt *p,
    enum decode_result dres, enum anomaly_code anom)
{
	switch (dres) {
	case DECODE_OK:
		flow_table_packet(w->ft, p);
		break;
	case DECODE_ERROR:
		flow_table_count_frame(w->ft, p, dres);
		flow_table_anomaly(w->ft, p, anom, "decode", NULL);
		break;
	default:
		flow_table_count_frame(w->ft, p, dres);
		break;
	}
}

static void ring_send(struct worker *w, const struct pkt *p,
    enum decode_result dres, enum anomaly_code anom)
{
	const uint8_t *base = p->data;
	uint32_t datalen = p->caplen;
	size_t need;
	struct rec *r;

	/* A reassembled datagram lives in the defragmenter's buffer. */
	if (p->l3 && (p->l3 < p->data || p->l3 >= p->data + p->caplen)) {
		base = p->l3;
		datalen = p->l3_len;
	}
	need = (sizeof(struct rec) + datalen + 7) & ~(size_t)7;
	r = ring_reserve(&w->ring, need);
	r->len = (uint32_t)need;
	r->kind = REC_PKT;
	r->dres = (uint8_t)dres;
	r->anom = (uint16_t)anom;
	r->datalen = datalen;
	r->p = *p;
	r->off_l3 = p->l3 ? (uint32_t)(p->l3 - base) : UINT32_MAX;
	r->off_l4 = p->l4 ? (uint32_t)(p->l4 - base) : UINT32_MAX;
	r->off_payload = p->payload ? (uint32_t)(p->payload - base) : UINT32_MAX;
	memcpy(r->data, base, datalen);
	ring_commit(&w->ring, need);
}

static void ring_send_ctl(struct worker *w, enum rec_kind kind, uint64_t ts)
{
	size_t need = (sizeof(struct rec) + 7) & ~(size_t)7;
	struct rec *r = ring_reserve(&w->ring, need);

	r->len = (uint32_t)need;
	r->kind = (uint8_t)kind;
	r->p.ts_us = ts;
	ring_commit(&w->ring, need);
}

static void *worker_ring_main(void *arg)
{
	struct worker *w = arg;
	struct ring *rg = &w->ring;
	unsigned spins = 0;

	baseline_thread_init(w->id);
	for (;;) {
		uint64_t tail = atomic_load_explicit(&rg->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&rg->head, memory_order_acquire);
		struct rec *r;
		struct pkt p;

		if (tail == head) {
			backoff(&spins);
			continue;
		}
		spins = 0;
		r = (struct rec *)(rg->buf + (tail & (RING_SIZE - 1)));
		switch (r->kind) {
		case REC_PKT:
			p = r->p;
			p.data = r->data;
			p.l3 = r->off_l3 == UINT32_MAX ? NULL : r->data + r->off_l3;
			p.l4 = r->off_l4 == UINT32_MAX ? NULL : r->data + r->off_l4;
			p.payload = r->off_payload == UINT32_MAX ? NULL :
			    r->data + r->off_payload;
			worker_packet(w, &p, (enum decode_result)r->dres,
			    (enum anomaly_code)r->anom);
			break;
		case REC_TICK:
			flow_table_expire(w->ft, r->p.ts_us);
			ot_tick(r->p.ts_us);
			break;
		case REC_EOF:
			flow_table_expire(w->ft, r->p.ts_us);
			flow_table_flush(w->ft, r->p.ts_us);
			device_log_flush();
			alerts_flush();
			atomic_store_explicit(&rg->tail, tail + r->len,
			    memory_order_release);
			out_thread_release();
			return NULL;
		default:
			break;
		}
		atomic_store_explicit(&rg->tail, tail + r->len, memory_order_release);
	}
}

/*
 * Decodes one frame and hands the result on: to 'w' directly, or through
 * the ring of the worker that owns its flow.  Fragments go through 'frag'.
 */
static void dispatch_frame(struct pipeline *pl, struct worker *direct,
    struct ipfrag_ctx *frag, const struct cap_pkt *cp, uint64_t serial)
{
	struct pkt p;
	enum anomaly_code anom = ANOM__COUNT;
	enum decode_result dres;
	struct worker *w;

	memset(&p, 0, sizeof(p));
	p.ts_us = cp->ts_us;
	p.serial = serial;
	dres = decode_packet(cp->linktype, cp->data, cp->caplen, cp->wirelen,
	    &p, &anom);
	if (dres == DECODE_FRAGMENT) {
		const uint8_t *dg;
		size_t dglen;
		enum anomaly_code fa = ANOM__COUNT;
		enum ipfrag_result fr = ipfrag_add(frag, &p, &dg, &dglen, &fa);

		if (fr == IPFRAG_HELD)
			return;
		if (fr == IPFRAG_DROPPED) {
			dres = DECODE_ERROR;
			anom = fa;
		} else {
			uint32_t frames;
			uint64_t fw;

			ipfrag_last_frames(frag, &frames, &fw);
			dres = decode_ip(dg, (uint32_t)dglen, &p, &anom);
			p.frames = frames;
			p.frames_wirelen = fw;
			if (dres == DECODE_FRAGMENT) {	/* nested: give up */
				dres = DECODE_ERROR;
				anom = ANOM_FRAG_TOO_LARGE;
			}
		}
	}
	if (direct) {
		worker_packet(direct, &p, dres, anom);
		return;
	}
	w = &pl->w[dres == DECODE_OK ?
	    flow_key_hash_pair(&p.key) % (uint64_t)pl->nworkers : 0];
	ring_send(w, &p, dres, anom);
}

/* ------------------------------------------------------------------------
 * Stats
 * --------------------------------------------------------------------- */

static void stats_add(struct ev_stats *e, const struct flow_table_stats *s)
{
	e->packets += s->packets;
	e->bytes += s->bytes;
	e->decode_errors += s->decode_errors;
	e->flows_active += s->flows_active;
	e->flows_active_peak += s->flows_active_peak;
	e->flows_total += s->flows_total;
	e->flows_ended += s->flows_ended;
	e->flows_evicted += s->flows_evicted;
	e->ndpi_active += s->ndpi_active;
	e->reasm_mem += s->reasm_mem;
	if (s->reasm_mem_peak > e->reasm_mem_peak)
		e->reasm_mem_peak = s->reasm_mem_peak;
	e->reasm_drops += s->reasm_drops;
	e->reasm_gaps += s->reasm_gaps;
	for (int a = 0; a < ANOM__COUNT; a++)
		e->anomalies[a] += s->anomalies[a];
}

static void stats_frag(struct ev_stats *e, const struct ipfrag_stats *fs)
{
	e->frag_reassembled += fs->reassembled;
	e->frag_dropped += fs->dropped;
	e->frag_mem += fs->mem;
}

static void stats_emit(struct pipeline *pl, struct ev_stats *e, bool final,
    uint64_t ts_us)
{
	uint64_t written, failed;
	uint64_t idv[2];

	e->h.type = EV_STATS;
	e->h.ts_us = ts_us;
	idv[0] = ts_us;
	idv[1] = ++pl->stats_seq;
	e->h.event_id = flow_hash64(idv, sizeof(idv), 0x73746174) >> 1;
	e->final = final;
	e->uptime_us = wall_us() - pl->start_wall_us;
	out_get_counts(&written, &failed);
	e->out_dropped = failed;
	redis_out_fill_stats(e, final);
	/* Every event type, including those ot/ derives, counted at the door. */
	out_get_type_counts(e->events);
	e->events[EV_STATS]++;
	out_emit(&e->h);
	if (final)
		fprintf(stderr, "spanlog: %llu packets, %llu bytes, %llu flows "
		    "(%llu evicted), %llu events, %llu decode errors, "
		    "%llu kernel drops\n",
		    (unsigned long long)e->packets, (unsigned long long)e->bytes,
		    (unsigned long long)e->flows_total,
		    (unsigned long long)e->flows_evicted,
		    (unsigned long long)written + 1,
		    (unsigned long long)e->decode_errors,
		    (unsigned long long)e->kernel_drops);
}

/* ------------------------------------------------------------------------
 * Offline
 * --------------------------------------------------------------------- */

static void progress(struct capture *cap, uint64_t pkts, uint64_t t0,
    bool final)
{
	uint64_t done, total, now = mono_us();
	double secs = (double)(now - t0) / 1e6;
	double pps = secs > 0 ? (double)pkts / secs : 0;

	capture_progress(cap, &done, &total);
	if (total) {
		double frac = (double)done / (double)total;
		double eta = frac > 0 ? secs / frac - secs : 0;

		fprintf(stderr, "\r%.1f of %.1f MB (%.0f%%), %.0f pkt/s, ETA %.0fs   %s",
		    (double)done / 1e6, (double)total / 1e6, frac * 100, pps,
		    eta, final ? "\n" : "");
	} else {
		fprintf(stderr, "\r%.1f MB, %.0f pkt/s   %s", (double)done / 1e6,
		    pps, final ? "\n" : "");
	}
}

static int run_offline(struct pipeline *pl, char *err, size_t errlen)
{
	const struct config *cfg = pl->cfg;
	struct capture *cap;
	struct cap_pkt cp;
	enum cap_status st = CAP_OK;
	int rc = 0;
	bool show = cfg->progress_set > 0 ||
	    (cfg->progress_set == 0 && isatty(STDERR_FILENO));
	uint64_t t0 = mono_us(), last_show = t0, next_tick = 0, npkts = 0;
	char rerr[1024] = "";
	struct ev_stats es;
	struct ipfrag_stats fs;

	cap = capture_open_offline(cfg->read, cfg->nread, cfg->snaplen, err,
	    errlen);
	if (!cap) {
		fprintf(stderr, "spanlog: %s\n", err);
		return 2;
	}
	if (capture_check_links(cap, decode_link_supported, err, errlen) != 0) {
		fprintf(stderr, "spanlog: %s\n", err);
		capture_close(cap);
		return 2;
	}
	pl->frag = ipfrag_new((size_t)cfg->frag_memcap_mb << 20,
	    (uint64_t)cfg->frag_timeout * 1000000);
	if (!pl->frag) {
		snprintf(err, errlen, "cannot allocate fragment memory");
		capture_close(cap);
		return 1;
	}
	if (pl->nworkers > 1) {
		for (int i = 0; i < pl->nworkers; i++) {
			struct worker *w = &pl->w[i];

			if (pthread_create(&w->th, NULL, worker_ring_main, w) != 0) {
				snprintf(err, errlen, "cannot start worker thread");
				pl->nworkers = i;
				rc = 1;
				break;
			}
			w->started = true;
		}
	}
	while (rc != 1 && !*pl->stop) {
		st = capture_next(cap, &cp, rerr, sizeof(rerr));
		if (st == CAP_ERROR) {
			/* That file is dropped; the others are still read. */
			fprintf(stderr, "%sspanlog: %s\n", show ? "\n" : "", rerr);
			snprintf(err, errlen, "%s", rerr);
			rc = 2;
			continue;
		}
		if (st != CAP_OK)
			break;
		npkts++;
		if (!pl->first_ts) {
			pl->first_ts = cp.ts_us;
			baseline_capture_start(cp.ts_us);
		}
		if (cp.ts_us > pl->last_ts)
			pl->last_ts = cp.ts_us;
		dispatch_frame(pl, pl->nworkers > 1 ? NULL : &pl->w[0], pl->frag,
		    &cp, ++pl->serial);
		if (pl->last_ts >= next_tick) {
			/* Capture time moved on: expire idle flows everywhere. */
			ipfrag_expire(pl->frag, pl->last_ts);
			if (pl->nworkers > 1)
				for (int i = 0; i < pl->nworkers; i++)
					ring_send_ctl(&pl->w[i], REC_TICK, pl->last_ts);
			else {
				flow_table_expire(pl->w[0].ft, pl->last_ts);
				ot_tick(pl->last_ts);
			}
			next_tick = pl->last_ts + TICK_US;
		}
		if (show && (npkts & 1023) == 0 && mono_us() - last_show > 500000) {
			last_show = mono_us();
			progress(cap, npkts, t0, false);
		}
	}
	if (show)
		progress(cap, npkts, t0, true);
	/* End of capture: every worker expires and flushes its flows. */
	if (pl->nworkers > 1) {
		for (int i = 0; i < pl->nworkers; i++)
			if (pl->w[i].started)
				ring_send_ctl(&pl->w[i], REC_EOF, pl->last_ts);
		for (int i = 0; i < pl->nworkers; i++)
			if (pl->w[i].started)
				pthread_join(pl->w[i].th, NULL);
	} else {
		flow_table_expire(pl->w[0].ft, pl->last_ts);
		flow_table_flush(pl->w[0].ft, pl->last_ts);
		device_log_flush();
		alerts_flush();
	}
	/* A last silence check, then one inventory for the whole sensor. */
	baseline_finish(pl->last_ts);
	scan_finish();
	assets_flush();
	memset(&es, 0, sizeof(es));
	for (int i = 0; i < pl->nworkers; i++) {
		struct flow_table_stats s;

		flow_table_get_stats(pl->w[i].ft, &s);
		stats_add(&es, &s);
	}
	ipfrag_get_stats(pl->frag, &fs);
	stats_frag(&es, &fs);
	stats_emit(pl, &es, true, pl->last_ts);
	capture_close(cap);
	return rc;
}

/* ------------------------------------------------------------------------
 * Live
 * --------------------------------------------------------------------- */

static void worker_publish(struct worker *w)
{
	uint64_t recv = 0, drop = 0, ifdrop = 0;

	(void)capture_stats(w->cap, &recv, &drop, &ifdrop);
	pthread_mutex_lock(&w->snap_lock);
	flow_table_get_stats(w->ft, &w->snap);
	ipfrag_get_stats(w->frag, &w->snap_frag);
	w->snap_drop = drop;
	w->snap_ifdrop = ifdrop;
	pthread_mutex_unlock(&w->snap_lock);
}

static void *worker_live_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline *pl = w->pl;
	uint64_t last_pub = mono_us(), serial = 0;
	char err[512];

	baseline_thread_init(w->id);
	while (!*pl->stop) {
		struct cap_pkt cp;
		enum cap_status st = capture_next(w->cap, &cp, err, sizeof(err));
		uint64_t now = mono_us();

		if (st == CAP_OK) {
			dispatch_frame(pl, w, w->frag, &cp,
			    ++serial * 256 + (uint64_t)w->id);
		} else if (st == CAP_EOF) {
			break;
		} else if (st == CAP_ERROR) {
			fprintf(stderr, "spanlog: %s\n", err);
			break;
		}
		if (now - last_pub > 200000 || st == CAP_TIMEOUT) {
			uint64_t t = wall_us();

			ipfrag_expire(w->frag, t);
			flow_table_expire(w->ft, t);
			ot_tick(t);
			out_thread_flush();
			worker_publish(w);
			last_pub = now;
		}
	}
	flow_table_flush(w->ft, wall_us());
	device_log_flush();
	alerts_flush();
	worker_publish(w);
	out_thread_release();
	return NULL;
}

static void live_stats(struct pipeline *pl, bool final)
{
	struct ev_stats es;

	memset(&es, 0, sizeof(es));
	for (int i = 0; i < pl->nworkers; i++) {
		struct worker *w = &pl->w[i];

		pthread_mutex_lock(&w->snap_lock);
		stats_add(&es, &w->snap);
		stats_frag(&es, &w->snap_frag);
		es.kernel_drops += w->snap_drop;
		es.if_drops += w->snap_ifdrop;
		pthread_mutex_unlock(&w->snap_lock);
	}
	stats_emit(pl, &es, final, wall_us());
	out_thread_flush();
}

static int run_live(struct pipeline *pl, char *err, size_t errlen)
{
	const struct config *cfg = pl->cfg;
	uint16_t group = (uint16_t)(getpid() & 0xffff);
	uint64_t next_stats, next_save;
	uint64_t save_us = (uint64_t)cfg->ot_state_save_min * 60000000ULL;
	int started = 0;

	for (int i = 0; i < pl->nworkers; i++) {
		struct worker *w = &pl->w[i];

		w->cap = capture_open_live(cfg, i, pl->nworkers, group, err, errlen);
		if (!w->cap)
			goto fail;
		w->frag = ipfrag_new(((size_t)cfg->frag_memcap_mb << 20) /
		    (size_t)pl->nworkers, (uint64_t)cfg->frag_timeout * 1000000);
		if (!w->frag) {
			snprintf(err, errlen, "cannot allocate fragment memory");
			goto fail;
		}
	}
	for (int i = 0; i < pl->nworkers; i++) {
		if (pthread_create(&pl->w[i].th, NULL, worker_live_main,
		    &pl->w[i]) != 0) {
			snprintf(err, errlen, "cannot start worker thread");
			*pl->stop = 1;
			break;
		}
		pl->w[i].started = true;
		started++;
	}
	next_stats = mono_us() + (uint64_t)cfg->stats_interval * 1000000;
	next_save = mono_us() + save_us;
	while (!*pl->stop && started == pl->nworkers) {
		struct timespec ts = { 0, 100000000 };

		nanosleep(&ts, NULL);
		if (cfg->stats_interval && mono_us() >= next_stats) {
			live_stats(pl, false);
			next_stats += (uint64_t)cfg->stats_interval * 1000000;
		}
		if (*pl->save_now) {
			*pl->save_now = 0;
			next_save = 0;
		}
		if (cfg->ot_state_file[0] && mono_us() >= next_save) {
			char serr[512];

			/* also merges what operators accepted meanwhile */
			if (state_save(cfg->ot_state_file, serr, sizeof(serr)) != 0)
				fprintf(stderr, "spanlog: %s\n", serr);
			next_save = mono_us() + save_us;
		}
	}
	for (int i = 0; i < pl->nworkers; i++)
		if (pl->w[i].cap)
			capture_break(pl->w[i].cap);
	for (int i = 0; i < pl->nworkers; i++)
		if (pl->w[i].started)
			pthread_join(pl->w[i].th, NULL);
	baseline_finish(wall_us());
	scan_finish();
	assets_flush();
	live_stats(pl, true);
	return started == pl->nworkers ? 0 : 1;
fail:
	return 2;
}

/* ------------------------------------------------------------------------
 * Setup
 * --------------------------------------------------------------------- */

int pipeline_run(const struct config *cfg, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *save_now, char *err, size_t errlen)
{
	struct pipeline pl;
	int n = (int)cfg->workers;
	int rc;

	if (n <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		n = c > 0 ? (int)c : 1;
	}
	memset(&pl, 0, sizeof(pl));
	pl.cfg = cfg;
	pl.stop = stop;
	pl.save_now = save_now;
	pl.nworkers = n;
	pl.start_wall_us = wall_us();
	baseline_set_workers(n);
	pl.w = calloc((size_t)n, sizeof(*pl.w));
	if (!pl.w) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct worker *w = &pl.w[i];

		w->id = i;
		w->pl = &pl;
		pthread_mutex_init(&w->snap_lock, NULL);
		w->ft = flow_table_new(cfg, cfg->max_flows / (uint32_t)n,
		    ((size_t)cfg->reasm_memcap_mb << 20) / (size_t)n, i, err,
		    errlen);
		if (!w->ft) {
			rc = 1;
			goto out;
		}
		if (cfg->nread && n > 1) {
			w->ring.buf = aligned_alloc(64, RING_SIZE);
			if (!w->ring.buf) {
				snprintf(err, errlen, "out of memory");
				rc = 1;
				goto out;
			}
		}
	}
	rc = cfg->nread ? run_offline(&pl, err, errlen) :
	    run_live(&pl, err, errlen);
out:
	for (int i = 0; i < n; i++) {
		struct worker *w = &pl.w[i];

		flow_table_free(w->ft);
		ipfrag_free(w->frag);
		if (w->cap)
			capture_close(w->cap);
		free(w->ring.buf);
		pthread_mutex_destroy(&w->snap_lock);
	}
	ipfrag_free(pl.frag);
	free(pl.w);
	return rc;
}
