/*
 * fuzz_dnp3.c - libFuzzer entry for dissectors/dnp3.c.
 *
 * The input is a script: each step starts with one control byte
 *   bit 0      direction
 *   bits 1-2   0,1: feed the next 'len' bytes (len = next byte + 1)
 *              2:   gap in that direction
 *              3:   tick (time moves 40 s, pending requests flush)
 *   bit 3      with a feed: the bytes are link user data (at most 250,
 *              first byte = transport header); the harness wraps them in
 *              a frame with correct CRCs so the fuzzer reaches the
 *              transport and application layers without solving CRCs
 * so the fuzzer chooses the split points and the interleaving.  Like the
 * flow layer, unconsumed bytes are kept and passed in again (up to a cap,
 * past which they are dropped).  probe() sees the first bytes of each
 * direction; close() runs at the end.  A second flow then replays the
 * whole input as one TCP-like stream to the server, to reach long
 * multi-frame fragments quickly.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       tests/fuzz/fuzz_dnp3.c dissectors/dnp3.c dissectors/dnp3_objects.c \
 *       sensor/event.c -o fuzz_dnp3
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/dissect_stub.h"

extern const struct dissector dnp3_dissector;

#define FUZZ_KEEP_MAX 4096

static _Alignas(16) unsigned char fz_state[APP_STATE_MAX];
static uint8_t fz_buf[2][FUZZ_KEEP_MAX + 256];
static size_t fz_len[2];

/* Independent bitwise CRC-16/DNP (reflected 0xA6BC, inverted). */
static uint16_t fz_crc(const uint8_t *p, size_t n)
{
	uint16_t c = 0;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = (c & 1) ? (uint16_t)((c >> 1) ^ 0xA6BC) :
			    (uint16_t)(c >> 1);
	}
	return (uint16_t)~c;
}

/* A frame (ctrl by direction) around ud; returns its length (<= 292). */
static size_t fz_frame(uint8_t *out, enum dir d, const uint8_t *ud,
    size_t udn)
{
	size_t o = 0;
	uint16_t c;

	out[o++] = 0x05;
	out[o++] = 0x64;
	out[o++] = (uint8_t)(udn + 5);
	out[o++] = d == DIR_TO_SERVER ? 0xC4 : 0x44;
	out[o++] = 10;
	out[o++] = 0;
	out[o++] = 1;
	out[o++] = 0;
	c = fz_crc(out, 8);
	out[o++] = (uint8_t)c;
	out[o++] = (uint8_t)(c >> 8);
	for (size_t i = 0; i < udn; i += 16) {
		size_t b = udn - i < 16 ? udn - i : 16;

		memcpy(out + o, ud + i, b);
		c = fz_crc(ud + i, b);
		o += b;
		out[o++] = (uint8_t)c;
		out[o++] = (uint8_t)(c >> 8);
	}
	return o;
}

static void fz_on_event(const struct ev_hdr *h)
{
	const struct ev_dnp3 *ev = (const struct ev_dnp3 *)h;

	/* touch what the output layer would walk */
	if (ev->npoints > DNP3_EV_MAX_POINTS ||
	    ev->ncontrols > DNP3_EV_MAX_CONTROLS ||
	    ev->req.nobjects > DNP3_EV_MAX_OBJECTS ||
	    ev->resp.nobjects > DNP3_EV_MAX_OBJECTS ||
	    ev->strpool_len > DNP3_EV_STRPOOL)
		abort();
	for (int m = 0; m < 2; m++) {
		const struct dnp3_msg *msg = m ? &ev->resp : &ev->req;

		for (unsigned i = 0; i < msg->nobjects; i++) {
			const struct dnp3_object *o = &msg->objects[i];

			if ((unsigned)o->point_first + o->point_count >
			    ev->npoints ||
			    (unsigned)o->control_first + o->control_count >
			    ev->ncontrols)
				abort();
		}
	}
	for (unsigned i = 0; i < ev->npoints; i++) {
		const struct dnp3_point *pt = &ev->points[i];

		if (pt->kind == DNP3_VAL_STR &&
		    (unsigned)pt->str_off + pt->str_len >= DNP3_EV_STRPOOL)
			abort();
	}
}

static void fz_feed(struct flow_ctx *fc, enum dir d, const uint8_t *p,
    size_t n)
{
	struct feed_result r;

	if (fz_len[d] + n > FUZZ_KEEP_MAX)
		fz_len[d] = 0;		/* the flow layer's cap: drop */
	memcpy(fz_buf[d] + fz_len[d], p, n);
	fz_len[d] += n;
	fc->ts_us += 1000;
	r = dnp3_dissector.feed(fz_state, fc, d, fz_buf[d], fz_len[d]);
	if (r.consumed > fz_len[d])
		abort();
	memmove(fz_buf[d], fz_buf[d] + r.consumed, fz_len[d] - r.consumed);
	fz_len[d] -= r.consumed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_ctx fc = { NULL, 1000000, NULL };
	bool probed[2] = { false, false };
	size_t i = 0;

	stub_on_event = fz_on_event;
	dnp3_dissector.init(fz_state);
	fz_len[0] = fz_len[1] = 0;
	while (i < size) {
		uint8_t c = data[i++];
		enum dir d = (enum dir)(c & 1);
		size_t len;

		switch ((c >> 1) & 3) {
		case 2:
			dnp3_dissector.gap(fz_state, &fc, d, 10);
			fz_len[d] = 0;
			continue;
		case 3:
			fc.ts_us += 40000000;
			dnp3_dissector.tick(fz_state, &fc);
			continue;
		default:
			break;
		}
		if (i >= size)
			break;
		len = (size_t)data[i++] + 1;
		if (len > size - i)
			len = size - i;
		if (!probed[d]) {
			probed[d] = true;
			(void)dnp3_dissector.probe(data + i, len, d, 1, 20000);
		}
		if (c & 8) {
			uint8_t fr[300];
			size_t fl = fz_frame(fr, d, data + i,
			    len > 250 ? 250 : len);

			fz_feed(&fc, d, fr, fl);
		} else {
			fz_feed(&fc, d, data + i, len);
		}
		i += len;
	}
	dnp3_dissector.eof(fz_state, &fc, DIR_TO_SERVER);
	dnp3_dissector.close(fz_state, &fc);

	/* the same bytes as one stream */
	dnp3_dissector.init(fz_state);
	fz_len[0] = fz_len[1] = 0;
	for (i = 0; i < size; i += 512)
		fz_feed(&fc, DIR_TO_CLIENT, data + i,
		    size - i < 512 ? size - i : 512);
	dnp3_dissector.close(fz_state, &fc);
	return 0;
}
