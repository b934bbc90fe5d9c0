/*
 * flow_table.c - one worker's flows: lookup, TCP state, reassembly, nDPI,
 * dissector dispatch and the flow record.
 *
 * Memory: flow slots, hash buckets, nDPI flow states and the reassembly pool
 * are allocated once in flow_table_new().  Free slots sit on a LIFO list so
 * the slots in use (and so the resident memory) track the number of active
 * flows.  Idle flows sit on one LRU list per timeout class; expiry looks at
 * list heads only, and a full pool evicts the least recently active flow.
 *
 * TCP connection state follows Zeek's model (base/protocols/conn/main.zeek,
 * conn_state and history): each endpoint moves through INACTIVE, SYN_SENT,
 * SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED (sent FIN) and RESET, and the
 * pair of endpoint states gives S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0,
 * RSTRH, SH, SHR or OTH.  History letters are upper case for the originator,
 * lower case for the responder; each letter is recorded once per direction,
 * except T (retransmission) and G (content gap), which are repeated when
 * their count reaches 10, 100, 1000 as in Zeek.
 *
 * Determinism: flow_id and event_id are hashes of what the flow saw (key,
 * first packet time, event sequence in the flow), never of the worker or
 * the wall clock, so the same capture gives the same ids with any number of
 * workers.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "../dissectors/dissector.h"
#include "../sensor/config.h"
#include "community_id.h"
#include "flow_table.h"
#include "tcp_reasm.h"

#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ICMP_	1
#define IPPROTO_ICMPV6_	58

enum ep_state {
	EP_INACTIVE, EP_SYN_SENT, EP_SYN_ACK_SENT, EP_PARTIAL,
	EP_ESTABLISHED, EP_CLOSED, EP_RESET,
};

enum lru_class {
	LRU_TCP_SYN, LRU_TCP_EST, LRU_TCP_CLOSED, LRU_UDP, LRU_ICMP, LRU_OTHER,
	LRU__COUNT
};

enum flow_flag {
	FF_NDPI_DONE = 1 << 0,
	FF_APP_FAILED = 1 << 1,		/* no dissector wants it */
	FF_APP_STOPPED = 1 << 2,	/* dissector said MALFORMED */
	FF_FLIPPED = 1 << 3,		/* first packet came from the server */
	FF_HAS_MAC = 1 << 4,
	FF_DEPTH_TS = 1 << 5,		/* reassembly depth reached, per dir */
	FF_DEPTH_TC = 1 << 6,
	FF_FIN_TS = 1 << 7,
	FF_FIN_TC = 1 << 8,
	FF_RST = 1 << 9,
	FF_STARTED = 1 << 10,		/* the interim record went out */
};

/* History letters we track, as bit numbers in hist_seen[dir]. */
enum hist_letter { H_S, H_H, H_A, H_D, H_F, H_R, H_T, H_G, H__COUNT };
static const char hist_chars[H__COUNT] = { 'S', 'H', 'A', 'D', 'F', 'R', 'T', 'G' };

#define HISTORY_MAX 31

struct flow {
	struct flow_key key;		/* oriented: src = client */
	struct flow *hnext;
	struct flow *lru_prev, *lru_next;
	struct flow_table *ft;
	uint64_t flow_id;
	uint64_t first_us, last_us;
	uint64_t pkts[2], bytes[2], payload[2];
	struct reasm_dir rs[2];
	struct reasm_buf pend[2];
	const struct dissector *d;
	struct ndpi_flow_struct *ndpi;
	uint64_t ndpi_risk;
	uint32_t max_end[2];		/* highest seq+len seen: retransmission test */
	uint32_t fin_seq[2];
	uint32_t ev_seq;
	uint32_t probe_no;		/* dissectors that said no, by index */
	uint16_t ndpi_master, ndpi_app, ndpi_category;
	uint16_t ndpi_pkts;
	uint16_t flags;
	uint16_t rep[2][2];		/* T and G counts per direction */
	uint8_t lru;
	uint8_t ep[2];
	uint8_t hist_seen[2];
	uint8_t hist_len;
	uint8_t end_reason;
	char history[HISTORY_MAX + 1];
	char cid[32];			/* Community ID, computed at the first event */
	uint8_t mac[2][6];		/* client, server */
	_Alignas(max_align_t) unsigned char app_state[APP_STATE_MAX];
};

_Static_assert(sizeof(struct flow) <= 1024,
    "flow slot over budget: justify before raising");

struct flow_table {
	const struct config *cfg;
	int worker;
	uint32_t nslots;
	struct flow *slots;
	struct flow *free_list;		/* linked through hnext */
	uint32_t never_used;		/* slots[never_used..] were never handed out */
	struct flow **buckets;
	uint32_t bucket_mask;
	struct flow *lru_head[LRU__COUNT], *lru_tail[LRU__COUNT];
	uint64_t timeout_us[LRU__COUNT];
	struct reasm_ctx *reasm;
	uint64_t depth;			/* bytes per direction, 0 = unlimited */
	uint32_t app_buffer;
	uint8_t *scratch;		/* pending + new data, linearized */
	size_t scratch_cap;
	struct ndpi_detection_module_struct *ndpi;
	struct ndpi_flow_struct *ndpi_pool;
	struct ndpi_flow_struct **ndpi_free;
	uint32_t ndpi_nfree, ndpi_cap;
	uint64_t now_us;
	struct flow_table_stats st;
};

/* ------------------------------------------------------------------------
 * LRU lists and the slot pool
 * --------------------------------------------------------------------- */

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		ft->lru_head[f->lru] = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		ft->lru_tail[f->lru] = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct flow_table *ft, struct flow *f, uint8_t cls)
{
	f->lru = cls;
	f->lru_next = NULL;
	f->lru_prev = ft->lru_tail[cls];
	if (ft->lru_tail[cls])
		ft->lru_tail[cls]->lru_next = f;
	else
		ft->lru_head[cls] = f;
	ft->lru_tail[cls] = f;
}

static void hash_unlink(struct flow_table *ft, struct flow *f)
{
	uint32_t b = (uint32_t)flow_key_hash_sym(&f->key) & ft->bucket_mask;
	struct flow **pp = &ft->buckets[b];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	f->hnext = NULL;
}

/* ------------------------------------------------------------------------
 * Events
 * --------------------------------------------------------------------- */

/* The header of an event of flow f, except its event id. */
static void flow_hdr_fill(struct flow_ctx *fc, struct ev_hdr *h,
    enum ev_type type, enum dir d)
{
	struct flow *f = fc->flow;

	memset(h, 0, sizeof(*h));
	h->type = type;
	h->dir = d;
	h->ts_us = fc->ts_us;
	h->flow_id = f->flow_id;
	h->key = f->key;
	h->has_key = true;
	if (f->flags & FF_HAS_MAC) {
		h->has_mac = true;
		memcpy(h->src_mac, f->mac[0], 6);
		memcpy(h->dst_mac, f->mac[1], 6);
	}
	if (!f->cid[0] && community_id_v1(&f->key, 0, f->cid, sizeof(f->cid)) != 0)
		f->cid[0] = '\0';
	memcpy(h->community_id, f->cid, sizeof(h->community_id));
	h->app_proto = f->d ? f->d->name : NULL;
}

void flow_ev_init(struct flow_ctx *fc, struct ev_hdr *h, enum ev_type type,
    enum dir d)
{
	struct flow *f = fc->flow;
	uint64_t idv[2];

	flow_hdr_fill(fc, h, type, d);
	idv[0] = f->flow_id;
	idv[1] = ++f->ev_seq;
	h->event_id = flow_hash64(idv, sizeof(idv), 0x65766964) >> 1;
	if ((unsigned)type < EV__COUNT)
		f->ft->st.events[type]++;
}

void flow_anomaly(struct flow_ctx *fc, enum dir d, enum anomaly_code code,
    const char *layer, const char *fmt, ...)
{
	struct ev_anomaly ev;
	va_list ap;

	flow_ev_init(fc, &ev.h, EV_ANOMALY, d);
	ev.code = code;
	ev.layer = layer;
	va_start(ap, fmt);
	vsnprintf(ev.detail, sizeof(ev.detail), fmt, ap);
	va_end(ap);
	if ((unsigned)code < ANOM__COUNT)
		fc->flow->ft->st.anomalies[code]++;
	out_emit(&ev.h);
}

void flow_table_anomaly(struct flow_table *ft, const struct pkt *p,
    enum anomaly_code code, const char *layer, const char *detail)
{
	struct ev_anomaly ev;
	uint64_t idv[2] = { p->serial, (uint64_t)code };

	memset(&ev, 0, sizeof(ev));
	ev.h.type = EV_ANOMALY;
	ev.h.ts_us = p->ts_us;
	ev.h.event_id = flow_hash64(idv, sizeof(idv), 0x616e6f6d) >> 1;
	if (p->key.family) {
		ev.h.key = p->key;
		ev.h.has_key = true;
	}
	if (p->has_mac) {
		ev.h.has_mac = true;
		memcpy(ev.h.src_mac, p->mac_src, 6);
		memcpy(ev.h.dst_mac, p->mac_dst, 6);
	}
	ev.code = code;
	ev.layer = layer;
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail ? detail : "");
	if ((unsigned)code < ANOM__COUNT)
		ft->st.anomalies[code]++;
	ft->st.events[EV_ANOMALY]++;
	out_emit(&ev.h);
}

/* ------------------------------------------------------------------------
 * TCP state and history
 * --------------------------------------------------------------------- */

static void hist_add(struct flow *f, enum dir d, enum hist_letter l)
{
	char c = hist_chars[l];

	if (l == H_T || l == H_G) {
		/* Repeated letters: at the 1st, 10th, 100th, ... occurrence. */
		uint16_t *n = &f->rep[d][l == H_G];
		uint16_t v;

		if (*n < UINT16_MAX)
			(*n)++;
		v = *n;
		if (v != 1 && v != 10 && v != 100 && v != 1000 && v != 10000)
			return;
	} else {
		if (f->hist_seen[d] & (1u << l))
			return;
		f->hist_seen[d] |= (uint8_t)(1u << l);
	}
	if (f->hist_len >= HISTORY_MAX)
		return;
	f->history[f->hist_len++] = d == DIR_TO_SERVER ? c : (char)(c + 32);
	f->history[f->hist_len] = '\0';
}

static void tcp_track(struct flow *f, enum dir d, const struct pkt *p)
{
	uint8_t fl = p->tcp_flags;
	uint8_t *ep = &f->ep[d], *peer = &f->ep[!d];

	if (fl & TCPF_RST) {
		hist_add(f, d, H_R);
		*ep = EP_RESET;
		f->flags |= FF_RST;
		return;
	}
	if (fl & TCPF_SYN) {
		if (fl & TCPF_ACK) {
			hist_add(f, d, H_H);
			if (*ep == EP_INACTIVE)
				*ep = EP_SYN_ACK_SENT;
		} else {
			hist_add(f, d, H_S);
			if (*ep == EP_INACTIVE)
				*ep = EP_SYN_SENT;
		}
	}
	if (fl & TCPF_FIN) {
		hist_add(f, d, H_F);
		if (*ep != EP_RESET)
			*ep = EP_CLOSED;
		f->flags |= d == DIR_TO_SERVER ? FF_FIN_TS : FF_FIN_TC;
		f->fin_seq[d] = p->seq + p->payload_wire_len;
	}
	if (p->payload_wire_len > 0) {
		uint32_t end = p->seq + p->payload_wire_len;

		hist_add(f, d, H_D);
		if ((f->hist_seen[d] & (1u << H_D)) && f->pkts[d] > 0 &&
		    SEQ_LEQ(end, f->max_end[d]) && f->max_end[d] != 0)
			hist_add(f, d, H_T);
		if (f->max_end[d] == 0 || SEQ_GT(end, f->max_end[d]))
			f->max_end[d] = end;
	} else if ((fl & (TCPF_ACK | TCPF_SYN | TCPF_FIN | TCPF_RST)) == TCPF_ACK) {
		hist_add(f, d, H_A);
	}
	if (!(fl & TCPF_SYN) && !(fl & TCPF_FIN)) {
		if (*ep == EP_INACTIVE)
			*ep = EP_PARTIAL;
		else if ((*ep == EP_SYN_SENT || *ep == EP_SYN_ACK_SENT) &&
		    (fl & TCPF_ACK)) {
			*ep = EP_ESTABLISHED;
			if (*peer == EP_SYN_ACK_SENT)
				*peer = EP_ESTABLISHED;
		}
	}
}

/* Zeek's conn_state() for the endpoint states and history. */
static const char *conn_state(const struct flow *f)
{
	uint8_t os = f->ep[0], rs = f->ep[1];
	bool o_inactive = os == EP_INACTIVE || os == EP_PARTIAL;
	bool r_inactive = rs == EP_INACTIVE || rs == EP_PARTIAL;

	if (f->key.proto == IPPROTO_UDP_) {
		if (f->pkts[0])
			return f->pkts[1] ? "SF" : "S0";
		return f->pkts[1] ? "SHR" : "OTH";
	}
	if (f->key.proto != IPPROTO_TCP_)
		return "OTH";
	if (rs == EP_RESET) {
		if (os == EP_SYN_SENT || os == EP_SYN_ACK_SENT ||
		    (os == EP_RESET && f->payload[0] == 0 && f->payload[1] == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == EP_RESET) {
		if (r_inactive) {
			/* history ~ /^\^?S[^HAFGIQ]*R/ */
			const char *h = f->history;

			if (*h == '^')
				h++;
			if (*h == 'S') {
				for (h++; *h && !strchr("HAFGIQ", *h); h++)
					if (*h == 'R')
						return "RSTOS0";
			}
			return "OTH";
		}
		return "RSTO";
	}
	if (rs == EP_CLOSED && os == EP_CLOSED)
		return "SF";
	if (os == EP_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == EP_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == EP_SYN_SENT && rs == EP_INACTIVE)
		return "S0";
	if (os == EP_ESTABLISHED && rs == EP_ESTABLISHED)
		return "S1";
	return "OTH";
}

static uint8_t flow_class(const struct flow *f)
{
	switch (f->key.proto) {
	case IPPROTO_TCP_:
		if ((f->flags & FF_RST) ||
		    ((f->flags & FF_FIN_TS) && (f->flags & FF_FIN_TC)))
			return LRU_TCP_CLOSED;
		if (f->ep[0] == EP_ESTABLISHED || f->ep[1] == EP_ESTABLISHED ||
		    f->ep[0] == EP_PARTIAL || f->ep[1] == EP_PARTIAL ||
		    (f->flags & (FF_FIN_TS | FF_FIN_TC)))
			return LRU_TCP_EST;
		return LRU_TCP_SYN;
	case IPPROTO_UDP_:
		return LRU_UDP;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		return LRU_ICMP;
	default:
		return LRU_OTHER;
	}
}

/* ------------------------------------------------------------------------
 * nDPI
 * --------------------------------------------------------------------- */

static void ndpi_release(struct flow_table *ft, struct flow *f)
{
	if (!f->ndpi)
		return;
	ndpi_free_flow_data(f->ndpi);
	ft->ndpi_free[ft->ndpi_nfree++] = f->ndpi;
	f->ndpi = NULL;
	ft->st.ndpi_active--;
}

static void ndpi_record(struct flow *f, ndpi_protocol pr)
{
	f->ndpi_master = pr.master_protocol;
	f->ndpi_app = pr.app_protocol;
	f->ndpi_category = (uint16_t)pr.category;
	if (f->ndpi)
		f->ndpi_risk = f->ndpi->risk;
}

static void ndpi_finish(struct flow_table *ft, struct flow *f)
{
	if (f->ndpi && !(f->flags & FF_NDPI_DONE)) {
		uint8_t guessed = 0;
		ndpi_protocol pr = ndpi_detection_giveup(ft->ndpi, f->ndpi, 1,
		    &guessed);

		ndpi_record(f, pr);
	}
	f->flags |= FF_NDPI_DONE;
	ndpi_release(ft, f);
}

static void ndpi_packet(struct flow_table *ft, struct flow *f,
    const struct pkt *p)
{
	ndpi_protocol pr;

	if (f->flags & FF_NDPI_DONE)
		return;
	if (!f->ndpi) {
		if (ft->ndpi_nfree == 0) {
			ft->st.ndpi_pool_exhausted++;
			f->flags |= FF_NDPI_DONE;
			return;
		}
		f->ndpi = ft->ndpi_free[--ft->ndpi_nfree];
		memset(f->ndpi, 0, sizeof(*f->ndpi));
		ft->st.ndpi_active++;
	}
	pr = ndpi_detection_process_packet(ft->ndpi, f->ndpi, p->l3,
	    (unsigned short)(p->l3_len > 0xffff ? 0xffff : p->l3_len),
	    p->ts_us / 1000);
	f->ndpi_pkts++;
	ndpi_record(f, pr);
	if ((pr.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
	    pr.master_protocol != NDPI_PROTOCOL_UNKNOWN) &&
	    !ndpi_extra_dissection_possible(ft->ndpi, f->ndpi)) {
		f->flags |= FF_NDPI_DONE;
		ndpi_release(ft, f);
	} else if (f->ndpi_pkts >= ft->cfg->ndpi_max_packets) {
		ndpi_finish(ft, f);
	}
}

/* ------------------------------------------------------------------------
 * Application layer: probing and feeding dissectors
 * --------------------------------------------------------------------- */

struct app_arg {
	struct flow_table *ft;
	struct flow *f;
	enum dir d;
	uint64_t ts_us;
};

static void app_stop(struct flow *f, uint16_t why)
{
	f->flags |= why;
}

static bool proto_matches(const struct dissector *ds, uint8_t proto)
{
	return ds->ipproto == 0 || ds->ipproto == proto;
}

/* Tries dissectors on the first bytes; sets f->d, or FF_APP_FAILED, or waits. */
static enum probe_result app_probe(struct flow *f, enum dir d,
    const uint8_t *p, size_t n)
{
	bool more = false;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; dissectors[i] && i < 32; i++) {
			const struct dissector *ds = dissectors[i];
			bool hinted = ds->hint_port &&
			    (ds->hint_port == f->key.dport ||
			    ds->hint_port == f->key.sport ||
			    (ds->hint_port2 && (ds->hint_port2 == f->key.dport ||
			    ds->hint_port2 == f->key.sport)));
			enum probe_result r;

			if ((pass == 0) != hinted)
				continue;
			if (!proto_matches(ds, f->key.proto) ||
			    (f->probe_no & (1u << i)))
				continue;
			r = ds->probe(p, n, d, f->key.sport, f->key.dport);
			if (r == PROBE_YES) {
				f->d = ds;
				memset(f->app_state, 0, sizeof(f->app_state));
				if (ds->init)
					ds->init(f->app_state);
				return PROBE_YES;
			}
			if (r == PROBE_NO)
				f->probe_no |= 1u << i;
			else
				more = true;
		}
	}
	if (!more) {
		app_stop(f, FF_APP_FAILED);
		return PROBE_NO;
	}
	return PROBE_MORE;
}

static void app_feed(struct flow_table *ft, struct flow *f, enum dir d,
    const uint8_t *p, size_t n, uint64_t ts_us)
{
	struct flow_ctx fc = { f, ts_us, ft->cfg };
	struct reasm_buf *pb = &f->pend[d];
	const uint8_t *data = p;
	size_t len = n;
	struct feed_result r;

	if (f->flags & (FF_APP_FAILED | FF_APP_STOPPED))
		return;
	if (!dissectors[0] || !ft->cfg->dissect_enabled) {
		app_stop(f, FF_APP_FAILED);
		return;
	}
	if (pb->len) {
		/* Unconsumed bytes from last time come first. */
		size_t have = reasm_buf_copy(pb, ft->scratch, ft->scratch_cap);

		if (have + n > ft->scratch_cap)
			n = ft->scratch_cap - have;
		memcpy(ft->scratch + have, p, n);
		data = ft->scratch;
		len = have + n;
		reasm_buf_clear(ft->reasm, pb);
	}
	if (!f->d) {
		enum probe_result pr = app_probe(f, d, data, len);

		if (pr == PROBE_NO)
			return;
		if (pr == PROBE_MORE) {
			if (f->key.proto != IPPROTO_TCP_)
				return;
			if (len > ft->app_buffer ||
			    reasm_buf_append(ft->reasm, pb, data, len) != 0)
				app_stop(f, FF_APP_FAILED);
			return;
		}
	}
	r = f->d->feed(f->app_state, &fc, d, data, len);
	switch (r.status) {
	case FEED_MALFORMED:
		app_stop(f, FF_APP_STOPPED);
		return;
	case FEED_NOT_MINE:
		if (f->d->close)
			f->d->close(f->app_state, &fc);
		f->d = NULL;
		app_stop(f, FF_APP_FAILED);
		return;
	default:
		break;
	}
	if (f->key.proto != IPPROTO_TCP_ || r.consumed >= len)
		return;
	len -= r.consumed;
	if (len > ft->app_buffer ||
	    reasm_buf_append(ft->reasm, pb, data + r.consumed, len) != 0) {
		flow_anomaly(&fc, d, ANOM_STREAM_PENDING_OVERFLOW, "stream",
		    "%zu unconsumed bytes exceed the application buffer", len);
		if (f->d->gap)
			f->d->gap(f->app_state, &fc, d, (uint32_t)len);
	}
}

static void cb_data(void *arg, const uint8_t *p, size_t n)
{
	struct app_arg *a = arg;
	struct flow *f = a->f;

	f->payload[a->d] += n;
	if (a->ft->depth && f->rs[a->d].delivered > a->ft->depth) {
		f->flags |= a->d == DIR_TO_SERVER ? FF_DEPTH_TS : FF_DEPTH_TC;
		return;
	}
	app_feed(a->ft, f, a->d, p, n, a->ts_us);
}

static void cb_gap(void *arg, uint32_t len)
{
	struct app_arg *a = arg;
	struct flow *f = a->f;
	struct flow_ctx fc = { f, a->ts_us, a->ft->cfg };

	hist_add(f, a->d, H_G);
	if (f->d && f->d->gap && !(f->flags & (FF_APP_FAILED | FF_APP_STOPPED))) {
		/* Whatever was pending cannot be completed across a hole. */
		reasm_buf_clear(a->ft->reasm, &f->pend[a->d]);
		f->d->gap(f->app_state, &fc, a->d, len);
	} else if (!f->d) {
		reasm_buf_clear(a->ft->reasm, &f->pend[a->d]);
	}
}

static void cb_overlap(void *arg, uint32_t seq, uint32_t len)
{
	struct app_arg *a = arg;
	struct flow_ctx fc = { a->f, a->ts_us, a->ft->cfg };

	flow_anomaly(&fc, a->d, ANOM_STREAM_OVERLAP_DIFFERENT, "stream",
	    "%u bytes at seq %u differ from the first copy", len, seq);
}

static const struct reasm_cb app_cb = { cb_data, cb_gap, cb_overlap };

/* ------------------------------------------------------------------------
 * Flow lifecycle
 * --------------------------------------------------------------------- */

/*
 * The body of a flow record (not its header; the rest zeroed by the
 * caller), from the flow as it is now.
 */
static void flow_fill(struct flow_table *ft, const struct flow *f,
    struct ev_flow *ev)
{
	const char *st;

	ev->start_us = f->first_us;
	ev->end_us = f->last_us;
	for (int d = 0; d < 2; d++) {
		ev->pkts[d] = f->pkts[d];
		ev->bytes[d] = f->bytes[d];
		ev->payload_bytes[d] = f->payload[d];
		ev->missed_bytes += f->rs[d].missed;
	}
	ev->reason = f->end_reason;
	st = conn_state(f);
	snprintf(ev->state, sizeof(ev->state), "%s", st);
	snprintf(ev->history, sizeof(ev->history), "%s", f->history);
	ev->truncated_depth = (f->flags & (FF_DEPTH_TS | FF_DEPTH_TC)) != 0;
	if (ft->ndpi) {
		uint16_t app = f->ndpi_app, master = f->ndpi_master;

		ev->ndpi_proto = ndpi_get_proto_name(ft->ndpi,
		    app != NDPI_PROTOCOL_UNKNOWN ? app : master);
		if (app != NDPI_PROTOCOL_UNKNOWN && master != NDPI_PROTOCOL_UNKNOWN &&
		    master != app)
			ev->ndpi_master = ndpi_get_proto_name(ft->ndpi, master);
		ev->ndpi_category = ndpi_category_get_name(ft->ndpi,
		    (ndpi_protocol_category_t)f->ndpi_category);
		for (int i = 0; i < NDPI_MAX_RISK && ev->nrisks < EV_FLOW_MAX_RISKS; i++)
			if (f->ndpi_risk & (1ULL << i))
				ev->risks[ev->nrisks++] = ndpi_risk2str((ndpi_risk_enum)i);
	}
}

static void flow_emit(struct flow_table *ft, struct flow *f)
{
	struct ev_flow ev;
	struct flow_ctx fc = { f, f->first_us, ft->cfg };

	memset(&ev, 0, sizeof(ev));
	flow_ev_init(&fc, &ev.h, EV_FLOW, DIR_TO_SERVER);
	flow_fill(ft, f, &ev);
	ev.started = (f->flags & FF_STARTED) != 0;
	out_emit(&ev.h);
}

/*
 * The flow is established (TCP: the server answered) and classified: an
 * interim record goes to the detectors now (see struct ev_flow), so a
 * remote-access session or a new conversation alerts when it opens.
 */
static void flow_started(struct flow_table *ft, struct flow *f)
{
	struct ev_flow ev;
	struct flow_ctx fc = { f, f->first_us, ft->cfg };

	f->flags |= FF_STARTED;
	memset(&ev, 0, sizeof(ev));
	flow_hdr_fill(&fc, &ev.h, EV_FLOW, DIR_TO_SERVER);
	ev.h.event_id = flow_hash64(&f->flow_id, sizeof(f->flow_id),
	    0x73746172) >> 1;
	flow_fill(ft, f, &ev);
	ev.interim = true;
	out_emit(&ev.h);
}

/* Ends a flow: flushes streams and the dissector, emits, frees the slot. */
static void flow_end(struct flow_table *ft, struct flow *f, uint8_t reason)
{
	struct flow_ctx fc = { f, f->last_us, ft->cfg };

	if (reason == FLOW_END_SHUTDOWN || reason == FLOW_END_TIMEOUT) {
		if (f->flags & FF_RST)
			reason = FLOW_END_RST;
		else if ((f->flags & FF_FIN_TS) && (f->flags & FF_FIN_TC))
			reason = FLOW_END_FIN;
	}
	f->end_reason = reason;
	if (f->key.proto == IPPROTO_TCP_) {
		for (int d = 0; d < 2; d++) {
			struct app_arg a = { ft, f, (enum dir)d, f->last_us };
			uint16_t fin = d == 0 ? FF_FIN_TS : FF_FIN_TC;

			if (f->rs[d].started)
				reasm_flush(ft->reasm, &f->rs[d],
				    (f->flags & fin) != 0, f->fin_seq[d], &app_cb, &a);
			if (f->d && f->d->eof &&
			    !(f->flags & (FF_APP_FAILED | FF_APP_STOPPED)))
				f->d->eof(f->app_state, &fc, (enum dir)d);
		}
	}
	if (f->d && f->d->close)
		f->d->close(f->app_state, &fc);
	ndpi_finish(ft, f);
	flow_emit(ft, f);
	for (int d = 0; d < 2; d++) {
		reasm_dir_release(ft->reasm, &f->rs[d]);
		reasm_buf_clear(ft->reasm, &f->pend[d]);
	}
	lru_unlink(ft, f);
	hash_unlink(ft, f);
	f->hnext = ft->free_list;
	ft->free_list = f;
	ft->st.flows_active--;
	ft->st.flows_ended++;
}

static struct flow *flow_alloc(struct flow_table *ft)
{
	struct flow *f = ft->free_list;

	/* Untouched slots last, so pages are only touched when flows need them. */
	if (!f && ft->never_used < ft->nslots) {
		f = &ft->slots[ft->never_used++];
		f->hnext = NULL;
		ft->free_list = f;
	}
	if (!f) {
		/* Evict the least recently active flow of the fullest class. */
		struct flow *victim = NULL;

		for (int c = 0; c < LRU__COUNT; c++) {
			struct flow *h = ft->lru_head[c];

			if (h && (!victim || h->last_us < victim->last_us))
				victim = h;
		}
		if (!victim)
			return NULL;
		ft->st.flows_evicted++;
		flow_end(ft, victim, FLOW_END_EVICTED);
		f = ft->free_list;
	}
	ft->free_list = f->hnext;
	return f;
}

/* Decides which side is the client for a new flow; true if the sender is. */
static bool sender_is_client(const struct pkt *p)
{
	if (p->key.proto == IPPROTO_TCP_) {
		if ((p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
			return true;
		if ((p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK))
			return false;
	}
	if (p->key.proto == IPPROTO_TCP_ || p->key.proto == IPPROTO_UDP_) {
		/* Mid-stream or UDP: the side on a well-known port is the server. */
		if (p->key.sport < 1024 && p->key.dport >= 1024)
			return false;
		return true;
	}
	if (p->key.proto == IPPROTO_ICMP_) {
		/* Replies and answers seen first: the requester is the other side. */
		return !(p->icmp_type == 0 || p->icmp_type == 14 ||
		    p->icmp_type == 16 || p->icmp_type == 18);
	}
	if (p->key.proto == IPPROTO_ICMPV6_)
		return !(p->icmp_type == 129 || p->icmp_type == 136);
	return true;
}

static struct flow *flow_create(struct flow_table *ft, const struct pkt *p,
    uint32_t bucket)
{
	struct flow *f = flow_alloc(ft);
	bool client = sender_is_client(p);
	uint8_t idb[sizeof(struct flow_key) + 8];

	if (!f)
		return NULL;
	memset(f, 0, offsetof(struct flow, app_state));
	f->ft = ft;
	f->key = client ? p->key : flow_key_reverse(&p->key);
	if (!client && p->key.proto == IPPROTO_TCP_)
		f->flags |= FF_FLIPPED;
	if (f->flags & FF_FLIPPED) {
		f->history[0] = '^';
		f->hist_len = 1;
	}
	if (p->has_mac) {
		f->flags |= FF_HAS_MAC;
		memcpy(f->mac[0], client ? p->mac_src : p->mac_dst, 6);
		memcpy(f->mac[1], client ? p->mac_dst : p->mac_src, 6);
	}
	f->first_us = f->last_us = p->ts_us;
	memcpy(idb, &f->key, sizeof(f->key));
	memcpy(idb + sizeof(f->key), &f->first_us, 8);
	f->flow_id = (flow_hash64(idb, sizeof(idb), 0x666c6f77) >> 1) | 1;
	if (!ft->ndpi || !ft->cfg->ndpi_enabled)
		f->flags |= FF_NDPI_DONE;
	reasm_dir_init(&f->rs[0]);
	reasm_dir_init(&f->rs[1]);
	f->hnext = ft->buckets[bucket];
	ft->buckets[bucket] = f;
	lru_append(ft, f, flow_class(f));
	ft->st.flows_active++;
	if (ft->st.flows_active > ft->st.flows_active_peak)
		ft->st.flows_active_peak = ft->st.flows_active;
	ft->st.flows_total++;
	return f;
}

static uint64_t class_timeout(const struct flow_table *ft, uint8_t cls)
{
	return ft->timeout_us[cls];
}

/* Finds the flow of p, or NULL; sets *d to the packet's direction. */
static struct flow *flow_lookup(struct flow_table *ft, const struct pkt *p,
    uint32_t bucket, enum dir *d)
{
	for (struct flow *f = ft->buckets[bucket]; f; f = f->hnext) {
		if (flow_key_eq(&f->key, &p->key)) {
			*d = DIR_TO_SERVER;
			return f;
		}
		if (f->key.proto == p->key.proto && f->key.family == p->key.family &&
		    f->key.sport == p->key.dport && f->key.dport == p->key.sport &&
		    !memcmp(f->key.src, p->key.dst, 16) &&
		    !memcmp(f->key.dst, p->key.src, 16) &&
		    f->key.nvlan == p->key.nvlan &&
		    !memcmp(f->key.vlan, p->key.vlan, sizeof(f->key.vlan))) {
			*d = DIR_TO_CLIENT;
			return f;
		}
	}
	return NULL;
}

static void tcp_payload(struct flow_table *ft, struct flow *f, enum dir d,
    const struct pkt *p)
{
	struct app_arg a = { ft, f, d, p->ts_us };
	struct reasm_dir *rs = &f->rs[d];
	uint16_t depth_flag = d == DIR_TO_SERVER ? FF_DEPTH_TS : FF_DEPTH_TC;

	if (p->tcp_flags & TCPF_SYN) {
		reasm_dir_start(rs, p->seq + 1);
		return;		/* data on SYN is not delivered (rare, TFO) */
	}
	if (p->payload_len == 0 || (f->flags & depth_flag))
		return;
	if (!rs->started)
		reasm_dir_start(rs, p->seq);
	/*
	 * Bytes cut by the snaplen are not in the capture: deliver what we
	 * have; the rest of the segment becomes a gap when the stream moves on.
	 */
	reasm_add(ft->reasm, rs, p->seq, p->payload, p->payload_len, &app_cb, &a);
}

/*
 * The receiver acknowledged bytes of the other direction that we never saw
 * while later bytes wait out of order: the capture lost them, and they will
 * not come.  Give the hole up now (as Zeek does when an ACK passes a hole)
 * instead of holding everything behind it until the flow ends.
 */
static void tcp_ack_passes_hole(struct flow_table *ft, struct flow *f,
    enum dir d, const struct pkt *p)
{
	struct reasm_dir *other = &f->rs[!d];
	struct app_arg a = { ft, f, (enum dir)!d, p->ts_us };

	if (!(p->tcp_flags & TCPF_ACK) || !other->started || !other->ooo ||
	    !SEQ_GT(p->ack, other->next_seq))
		return;
	reasm_flush(ft->reasm, other, false, 0, &app_cb, &a);
}

void flow_table_packet(struct flow_table *ft, const struct pkt *p)
{
	uint32_t bucket = (uint32_t)flow_key_hash_sym(&p->key) & ft->bucket_mask;
	enum dir d = DIR_TO_SERVER;
	struct flow *f;
	uint8_t cls;

	ft->st.packets += p->frames;
	ft->st.bytes += p->frames_wirelen;
	if (p->ts_us > ft->now_us)
		ft->now_us = p->ts_us;

	f = flow_lookup(ft, p, bucket, &d);
	if (f) {
		bool timed_out = p->ts_us > f->last_us &&
		    p->ts_us - f->last_us > class_timeout(ft, f->lru);
		/* A new SYN on a closed connection starts a new flow. */
		bool reuse = f->key.proto == IPPROTO_TCP_ &&
		    f->lru == LRU_TCP_CLOSED &&
		    (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;

		if (timed_out || reuse) {
			flow_end(ft, f, timed_out ? FLOW_END_TIMEOUT : FLOW_END_FIN);
			f = NULL;
		}
	}
	if (!f) {
		f = flow_create(ft, p, bucket);
		if (!f)
			return;
		d = flow_key_eq(&f->key, &p->key) ? DIR_TO_SERVER : DIR_TO_CLIENT;
	}
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	if ((f->flags & FF_HAS_MAC) == 0 && p->has_mac) {
		f->flags |= FF_HAS_MAC;
		memcpy(f->mac[d], p->mac_src, 6);
		memcpy(f->mac[!d], p->mac_dst, 6);
	}

	if (f->key.proto == IPPROTO_TCP_) {
		tcp_track(f, d, p);
		tcp_ack_passes_hole(ft, f, d, p);
		tcp_payload(ft, f, d, p);
	} else if (f->key.proto == IPPROTO_UDP_) {
		f->payload[d] += p->payload_len;
		if (p->payload_len)
			app_feed(ft, f, d, p->payload, p->payload_len, p->ts_us);
	} else {
		f->payload[d] += p->payload_len;
	}
	f->pkts[d] += p->frames;
	f->bytes[d] += p->frames_wirelen;
	ndpi_packet(ft, f, p);
	if ((f->flags & (FF_STARTED | FF_NDPI_DONE)) == FF_NDPI_DONE &&
	    (f->key.proto != IPPROTO_TCP_ || f->pkts[DIR_TO_CLIENT] > 0))
		flow_started(ft, f);

	cls = flow_class(f);
	lru_unlink(ft, f);
	lru_append(ft, f, cls);
}

void flow_table_expire(struct flow_table *ft, uint64_t now_us)
{
	if (now_us > ft->now_us)
		ft->now_us = now_us;
	for (int c = 0; c < LRU__COUNT; c++) {
		struct flow *f;

		while ((f = ft->lru_head[c]) != NULL &&
		    ft->now_us > f->last_us &&
		    ft->now_us - f->last_us > ft->timeout_us[c])
			flow_end(ft, f, FLOW_END_TIMEOUT);
	}
}

void flow_table_flush(struct flow_table *ft, uint64_t now_us)
{
	(void)now_us;
	for (int c = 0; c < LRU__COUNT; c++) {
		struct flow *f;

		while ((f = ft->lru_head[c]) != NULL)
			flow_end(ft, f, FLOW_END_SHUTDOWN);
	}
}

void flow_table_count_frame(struct flow_table *ft, const struct pkt *p,
    enum decode_result r)
{
	ft->st.packets++;
	ft->st.bytes += p->wirelen;
	if (r == DECODE_NOT_IP)
		ft->st.not_ip++;
	else if (r == DECODE_ERROR)
		ft->st.decode_errors++;
}

void flow_table_get_stats(const struct flow_table *ft,
    struct flow_table_stats *s)
{
	struct reasm_stats rs;

	*s = ft->st;
	reasm_get_stats(ft->reasm, &rs);
	s->reasm_mem = rs.mem;
	s->reasm_mem_peak = rs.mem_peak;
	s->reasm_drops = rs.drops;
	s->reasm_gaps = rs.gaps;
}

/* ------------------------------------------------------------------------
 * Construction
 * --------------------------------------------------------------------- */

struct flow_table *flow_table_new(const struct config *cfg, uint32_t max_flows,
    size_t reasm_memcap, int worker, char *err, size_t errlen)
{
	struct flow_table *ft = calloc(1, sizeof(*ft));
	uint32_t nb = 1024;

	if (!ft) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ft->cfg = cfg;
	ft->worker = worker;
	ft->nslots = max_flows < 16 ? 16 : max_flows;
	while (nb < ft->nslots && nb < (1u << 30))
		nb <<= 1;
	ft->bucket_mask = nb - 1;
	/* calloc: untouched pages stay out of the resident set */
	ft->slots = calloc(ft->nslots, sizeof(*ft->slots));
	ft->buckets = calloc(nb, sizeof(*ft->buckets));
	if (!ft->slots || !ft->buckets) {
		snprintf(err, errlen, "cannot allocate %u flow slots", ft->nslots);
		goto err;
	}
	/* Slots are handed out in order, then reused LIFO (flow_alloc). */
	ft->timeout_us[LRU_TCP_SYN] = (uint64_t)cfg->timeout_tcp_syn * 1000000;
	ft->timeout_us[LRU_TCP_EST] = (uint64_t)cfg->timeout_tcp * 1000000;
	ft->timeout_us[LRU_TCP_CLOSED] = (uint64_t)cfg->timeout_tcp_closed * 1000000;
	ft->timeout_us[LRU_UDP] = (uint64_t)cfg->timeout_udp * 1000000;
	ft->timeout_us[LRU_ICMP] = (uint64_t)cfg->timeout_icmp * 1000000;
	ft->timeout_us[LRU_OTHER] = (uint64_t)cfg->timeout_other * 1000000;
	ft->depth = (uint64_t)cfg->reasm_depth_kb * 1024;
	ft->app_buffer = cfg->app_buffer_kb * 1024;
	ft->reasm = reasm_new(reasm_memcap, cfg->reasm_max_ooo_kb * 1024);
	ft->scratch_cap = (size_t)ft->app_buffer + 65536;
	ft->scratch = malloc(ft->scratch_cap);
	if (!ft->reasm || !ft->scratch) {
		snprintf(err, errlen, "cannot allocate the reassembly memory");
		goto err;
	}
	for (int i = 0; dissectors[i]; i++) {
		if (dissectors[i]->state_size > APP_STATE_MAX || i >= 32) {
			snprintf(err, errlen, "dissector %s: state over budget",
			    dissectors[i]->name);
			goto err;
		}
	}
	if (cfg->ndpi_enabled) {
		NDPI_PROTOCOL_BITMASK all;

		ft->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
		if (!ft->ndpi) {
			snprintf(err, errlen, "nDPI initialisation failed");
			goto err;
		}
		NDPI_BITMASK_SET_ALL(all);
		ndpi_set_protocol_detection_bitmask2(ft->ndpi, &all);
		ndpi_finalize_initialization(ft->ndpi);
		/* At most this many flows are being classified at once. */
		ft->ndpi_cap = ft->nslots < 65536 ? ft->nslots : 65536;
		ft->ndpi_pool = calloc(ft->ndpi_cap, sizeof(*ft->ndpi_pool));
		ft->ndpi_free = calloc(ft->ndpi_cap, sizeof(*ft->ndpi_free));
		if (!ft->ndpi_pool || !ft->ndpi_free) {
			snprintf(err, errlen, "cannot allocate nDPI flow states");
			goto err;
		}
		for (uint32_t i = ft->ndpi_cap; i-- > 0;)
			ft->ndpi_free[ft->ndpi_nfree++] = &ft->ndpi_pool[i];
	}
	return ft;
err:
	flow_table_free(ft);
	return NULL;
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	if (ft->slots && ft->reasm)
		flow_table_flush(ft, ft->now_us);
	if (ft->ndpi)
		ndpi_exit_detection_module(ft->ndpi);
	free(ft->ndpi_pool);
	free(ft->ndpi_free);
	reasm_free(ft->reasm);
	free(ft->scratch);
	free(ft->slots);
	free(ft->buckets);
	free(ft);
}
