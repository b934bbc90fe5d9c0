/*
 * fuzz_modbus.c - libFuzzer target for dissectors/modbus.c.
 *
 * The input is a script of chunks.  Each chunk starts with two control
 * bytes:
 *
 *   byte 0: bit 7 direction (0 to server, 1 to client)
 *           bit 6 gap before this chunk (length = low 6 bits)
 *           bit 5 advance the clock by (low 5 bits) seconds first, then tick
 *   byte 1: chunk length (0 = the rest of the input)
 *
 * so the fuzzer chooses where the byte stream is split, in which order
 * the two directions arrive, and when time passes.  A small model of the
 * flow layer probes each direction's first bytes, keeps what feed() leaves
 * unconsumed (up to a cap) and passes it in again, stops feeding after
 * FEED_MALFORMED, and calls eof/close at the end.
 *
 *   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_modbus.c \
 *       dissectors/modbus.c sensor/event.c -o fuzz_modbus
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../dissectors/dissector.h"

extern const struct dissector modbus_dissector;

#define FUZZ_BUF_CAP 8192	/* the flow layer's unconsumed-bytes cap */

static volatile unsigned fuzz_sink;

void flow_ev_init(struct flow_ctx *fc, struct ev_hdr *h, enum ev_type type,
    enum dir d)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->dir = d;
	h->ts_us = fc->ts_us;
	h->flow_id = 1;
}

void flow_anomaly(struct flow_ctx *fc, enum dir d, enum anomaly_code code,
    const char *layer, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	(void)fc;
	(void)d;
	(void)layer;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fuzz_sink += (unsigned)code + (unsigned char)buf[0];
}

/* Reads what the output layer would: every kept value and every name. */
void out_emit(const struct ev_hdr *h)
{
	const struct ev_modbus *ev = (const struct ev_modbus *)h;
	const struct ev_modbus_values *vs[2] = { &ev->req, &ev->resp };
	unsigned acc = 0;

	if (h->type != EV_MODBUS)
		return;
	acc += modbus_func_name(ev->fc) ? 1 : 0;
	acc += modbus_exception_name(ev->exception_code) ? 1 : 0;
	acc += modbus_umas_name(ev->umas_fc) ? 1 : 0;
	acc += modbus_diag_name(ev->subfunction) ? 1 : 0;
	acc += (unsigned char)modbus_category_name(ev->category)[0];
	for (int k = 0; k < 2; k++) {
		const struct ev_modbus_values *v = vs[k];

		if (v->kind == MODBUS_VAL_REGS && v->count > EV_MODBUS_MAX_REGS)
			__builtin_trap();
		if (v->kind == MODBUS_VAL_BITS && v->count > EV_MODBUS_MAX_BITS)
			__builtin_trap();
		if (v->kind == MODBUS_VAL_BYTES && v->count > EV_MODBUS_MAX_BYTES)
			__builtin_trap();
		for (unsigned i = 0; i < v->count; i++) {
			if (v->kind == MODBUS_VAL_REGS)
				acc += v->regs[i];
			else if (v->kind == MODBUS_VAL_BITS)
				acc += ev_modbus_bit(v, i);
			else
				acc += v->bytes[i];
		}
	}
	if (ev->nfile_recs > EV_MODBUS_MAX_FILE_RECS ||
	    ev->devid.nobjs > EV_MODBUS_MAX_DEVID_OBJS)
		__builtin_trap();
	for (unsigned i = 0; i < ev->nfile_recs; i++) {
		if (ev->file_recs[i].ndata > EV_MODBUS_FILE_REC_REGS)
			__builtin_trap();
		for (unsigned j = 0; j < ev->file_recs[i].ndata; j++)
			acc += ev->file_recs[i].data[j];
	}
	for (unsigned i = 0; i < ev->devid.nobjs; i++) {
		acc += (unsigned)strlen(ev->devid.objs[i].value);
		acc += modbus_devid_obj_name(ev->devid.objs[i].id) ? 1 : 0;
	}
	fuzz_sink += acc;
}

static _Alignas(max_align_t) unsigned char fuzz_state[APP_STATE_MAX];
static uint8_t fuzz_buf[2][FUZZ_BUF_CAP];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dissector *m = &modbus_dissector;
	struct flow_ctx fc = { NULL, 1000000, NULL };
	size_t nbuf[2] = { 0, 0 };
	int probed[2] = { 0, 0 };	/* 0 not yet, 1 yes, -1 no */
	int dead = 0;
	size_t off = 0;

	m->init(fuzz_state);
	while (off + 2 <= size && !dead) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];
		enum dir d = (ctl & 0x80) ? DIR_TO_CLIENT : DIR_TO_SERVER;
		struct feed_result r;

		off += 2;
		if (len == 0 || len > size - off)
			len = size - off;
		if (ctl & 0x20) {
			fc.ts_us += (uint64_t)(ctl & 0x1F) * 1000000;
			m->tick(fuzz_state, &fc);
		}
		fc.ts_us += 100;
		if (ctl & 0x40) {
			m->gap(fuzz_state, &fc, d, ctl & 0x3F);
			nbuf[d] = 0;
		}
		if (len > FUZZ_BUF_CAP - nbuf[d])
			len = FUZZ_BUF_CAP - nbuf[d];
		memcpy(fuzz_buf[d] + nbuf[d], data + off, len);
		nbuf[d] += len;
		off += len;

		/* Probing is only exercised; the fuzzer should reach feed. */
		if (probed[d] == 0) {
			enum probe_result p = m->probe(fuzz_buf[d], nbuf[d], d,
			    40000, 502);

			if (p != PROBE_MORE)
				probed[d] = p == PROBE_YES ? 1 : -1;
		}

		r = m->feed(fuzz_state, &fc, d, fuzz_buf[d], nbuf[d]);
		if (r.consumed > nbuf[d])
			__builtin_trap();	/* consumed more than given */
		memmove(fuzz_buf[d], fuzz_buf[d] + r.consumed,
		    nbuf[d] - r.consumed);
		nbuf[d] -= r.consumed;
		if (r.status == FEED_MALFORMED || r.status == FEED_NOT_MINE)
			dead = 1;
		else if (nbuf[d] == FUZZ_BUF_CAP)
			nbuf[d] = 0;	/* like the flow layer's overflow */
	}
	m->eof(fuzz_state, &fc, DIR_TO_SERVER);
	m->eof(fuzz_state, &fc, DIR_TO_CLIENT);
	m->close(fuzz_state, &fc);
	return 0;
}
