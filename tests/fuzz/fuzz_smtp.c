/*
 * fuzz_smtp.c - libFuzzer entry point for dissectors/smtp.c (and mime.c).
 *
 * Input layout: chunks, each | ctl | len | len bytes |: ctl bit 0 is the
 * direction, bit 1 reports a gap before the chunk, bit 2 closes the flow
 * and starts a new one (so records go back to the pool and are reused).
 * The fuzzer thus chooses the split points and the order of both
 * directions.  Each chunk goes through the probe until it says yes (or,
 * after a final no, straight to feed anyway: feed must cope with anything),
 * with unconsumed bytes kept and passed again in front of the next chunk,
 * as flows/flow_table.c does.  Every event is serialized with the real
 * JSON writer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_smtp.c \
 *       dissectors/smtp.c dissectors/mime.c sensor/json.c \
 *       sensor/output_json_smtp.c -lpthread -o fuzz_smtp
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../unit/dissect_stub.h"
#include "../../sensor/json.h"
#include "../../sensor/output.h"

extern const struct dissector smtp_dissector;

static char fuzz_line[1 << 20];

static void fuzz_on_event(const struct ev_hdr *h)
{
	struct jw w;

	if (h->type != EV_SMTP)
		return;
	jw_init(&w, fuzz_line, sizeof(fuzz_line));
	jw_obj_open(&w, NULL);
	json_put_smtp(&w, (const struct ev_smtp *)h);
	jw_obj_close(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(max_align_t) unsigned char state[APP_STATE_MAX];
	static uint8_t pend[2][70000];
	static uint8_t buf[70000 + 256];
	const struct dissector *ds = &smtp_dissector;
	size_t plen[2] = { 0, 0 };
	struct flow_ctx fc = { NULL, 1000000, NULL };
	bool probed = false;
	size_t off = 0;

	stub_on_event = fuzz_on_event;
	ds->init(state);
	while (off + 2 <= size) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];
		enum dir d = (ctl & 1) ? DIR_TO_CLIENT : DIR_TO_SERVER;
		struct feed_result r;
		size_t n;

		off += 2;
		if (len > size - off)
			len = size - off;
		fc.ts_us += 1000;
		if (ctl & 4) {
			ds->close(state, &fc);
			ds->init(state);
			plen[0] = plen[1] = 0;
			probed = false;
		}
		if (ctl & 2) {
			plen[d] = 0;
			ds->gap(state, &fc, d, 10 + ctl);
		}
		n = plen[d];
		memcpy(buf, pend[d], n);
		memcpy(buf + n, data + off, len);
		n += len;
		off += len;
		if (!probed) {
			enum probe_result pr = ds->probe(buf, n, d, 40000, 25);

			if (pr == PROBE_MORE && n < 512) {
				memcpy(pend[d], buf, n);
				plen[d] = n;
				continue;
			}
			probed = true;
		}
		r = ds->feed(state, &fc, d, buf, n);
		if (r.consumed > n)
			__builtin_trap();	/* contract: never more than given */
		n -= r.consumed;
		if (n > sizeof(pend[d]))
			n = sizeof(pend[d]);	/* the flow layer's cap */
		memmove(pend[d], buf + r.consumed, n);
		plen[d] = n;
	}
	ds->eof(state, &fc, DIR_TO_SERVER);
	ds->eof(state, &fc, DIR_TO_CLIENT);
	ds->close(state, &fc);
	return 0;
}
