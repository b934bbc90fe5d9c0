/*
 * fuzz_dns.c - libFuzzer entry point for dissectors/dns.c (UDP and TCP).
 *
 * Input layout: byte 0 picks the transport (bit 0: TCP).  Then chunks, each
 * | ctl | len | len bytes |: ctl bit 0 is the direction, bit 1 reports a
 * gap before the chunk, bit 2 moves capture time on by 6 s (so queries
 * time out).  The fuzzer thus chooses the split points and the order of
 * both directions.  Each chunk goes through the probe until one says yes,
 * then feed, with unconsumed TCP bytes kept and passed again in front of
 * the next chunk, as flows/flow_table.c does.  Every event is serialized
 * with the real JSON writer.
 *
 *   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_dns.c \
 *       dissectors/dns.c sensor/json.c -o fuzz_dns
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../unit/dissect_stub.h"
#include "../../sensor/json.h"
#include "../../sensor/output.h"
#include "../../sensor/output_json_dns.c"

extern const struct dissector dns_dissector;
extern const struct dissector dns_tcp_dissector;

static char fuzz_line[1 << 17];

static void fuzz_on_event(const struct ev_hdr *h)
{
	struct jw w;

	if (h->type != EV_DNS)
		return;
	jw_init(&w, fuzz_line, sizeof(fuzz_line));
	jw_obj_open(&w, NULL);
	json_put_dns(&w, (const struct ev_dns *)h);
	jw_obj_close(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(max_align_t) unsigned char state[APP_STATE_MAX];
	static uint8_t pend[2][70000];
	static uint8_t buf[70000 + 256];
	size_t plen[2] = { 0, 0 };
	const struct dissector *ds;
	struct flow_ctx fc = { NULL, 1000000, NULL };
	bool attached = false, stopped = false;
	size_t off = 1;

	if (size < 1)
		return 0;
	stub_on_event = fuzz_on_event;
	ds = (data[0] & 1) ? &dns_tcp_dissector : &dns_dissector;
	while (off + 2 <= size && !stopped) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];
		enum dir d = (ctl & 1) ? DIR_TO_CLIENT : DIR_TO_SERVER;
		struct feed_result r;
		size_t n;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (ctl & 4)
			fc.ts_us += 6000000;
		else
			fc.ts_us += 1000;
		if ((ctl & 2) && attached) {
			plen[d] = 0;
			ds->gap(state, &fc, d, 10);
		}
		n = plen[d];
		memcpy(buf, pend[d], n);
		memcpy(buf + n, data + off, len);
		n += len;
		off += len;
		plen[d] = 0;
		if (!attached) {
			enum probe_result pr = ds->probe(buf, n, d, 40000, 53);

			if (pr == PROBE_NO) {
				if (ds == &dns_tcp_dissector)
					break;
				continue;	/* UDP: the next datagram may do */
			}
			if (pr == PROBE_MORE) {
				if (ds == &dns_tcp_dissector && n < 65536) {
					memcpy(pend[d], buf, n);
					plen[d] = n;
				}
				continue;
			}
			memset(state, 0, sizeof(state));
			ds->init(state);
			attached = true;
		}
		r = ds->feed(state, &fc, d, buf, n);
		if (r.consumed > n)
			__builtin_trap();
		if (r.status == FEED_MALFORMED || r.status == FEED_NOT_MINE) {
			stopped = true;
			break;
		}
		if (ds == &dns_tcp_dissector && r.consumed < n) {
			size_t left = n - r.consumed;

			if (left > 65600) {
				ds->gap(state, &fc, d, (uint32_t)left);
			} else {
				memcpy(pend[d], buf + r.consumed, left);
				plen[d] = left;
			}
		}
	}
	if (attached) {
		if (!stopped)
			ds->eof(state, &fc, DIR_TO_SERVER);
		ds->close(state, &fc);
	}
	return 0;
}
