/*
 * fuzz_http.c - libFuzzer target for the HTTP/1.x dissector.
 *
 * The input is a script of records: one header byte, one length byte, then
 * that many data bytes.  Header bit 0 is the direction; bits 1-2 choose
 * feed (0, 1), gap of 'length * 97' bytes (2) or end of stream of that
 * direction (3).  So the fuzzer picks the split points, the interleaving of
 * both directions and where gaps fall.  Unconsumed bytes are kept and
 * re-fed prefixed to the next data, as flows/flow_table.c does (up to 64
 * KiB; past that the harness reports a gap, as the flow layer does).  The
 * probe sees the first bytes of each direction, but feeding goes on even if
 * it says no, so the parser sees everything.
 *
 *   clang -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *       tests/fuzz/fuzz_http.c dissectors/http.c -o fuzz_http
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tests/unit/dissect_stub.h"

extern const struct dissector http_dissector;

#define FUZZ_PEND 65536

static uint8_t pend[2][FUZZ_PEND];
static size_t npend[2];
static uint8_t buf[FUZZ_PEND + 256];
static unsigned long long sink;

static void on_event(const struct ev_hdr *ev)
{
	/* Touch every byte so ASan checks the event is fully readable. */
	const struct ev_http *e = (const struct ev_http *)ev;

	if (ev->type != EV_HTTP)
		return;
	sink += strlen(e->method) + strlen(e->hostname) + strlen(e->url) +
	    strlen(e->protocol) + strlen(e->user_agent) + strlen(e->referer) +
	    strlen(e->content_type) + strlen(e->connect_target) +
	    strlen(e->auth_scheme) + strlen(e->auth_user) + e->req_hdr_len +
	    e->resp_hdr_len;
	if (e->req_hdr_len > EV_HTTP_HDR_BUF || e->resp_hdr_len > EV_HTTP_HDR_BUF)
		__builtin_trap();
}

static void feed(void *st, struct flow_ctx *fc, enum dir d, const uint8_t *p,
    size_t n)
{
	size_t have = npend[d];
	struct feed_result r;

	memcpy(buf, pend[d], have);
	memcpy(buf + have, p, n);
	r = http_dissector.feed(st, fc, d, buf, have + n);
	if (r.consumed > have + n)
		__builtin_trap();	/* consumed more than it was given */
	npend[d] = have + n - r.consumed;
	if (npend[d] > FUZZ_PEND - 256) {
		http_dissector.gap(st, fc, d, (uint32_t)npend[d]);
		npend[d] = 0;
		return;
	}
	memmove(pend[d], buf + r.consumed, npend[d]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_Alignas(max_align_t) unsigned char st[APP_STATE_MAX];
	struct flow_ctx fc = { NULL, 1000000, NULL };
	bool probed[2] = { false, false };
	size_t off = 0;

	stub_on_event = on_event;
	(void)http_dissector.probe(data, size, DIR_TO_SERVER, 40000, 80);
	npend[0] = npend[1] = 0;
	memset(st, 0, sizeof(st));
	http_dissector.init(st);
	while (off + 2 <= size) {
		uint8_t h = data[off], len = data[off + 1];
		enum dir d = (enum dir)(h & 1);
		size_t n;

		off += 2;
		n = len < size - off ? len : size - off;
		fc.ts_us += 1000;
		switch ((h >> 1) & 3) {
		case 0:
		case 1:
			if (!probed[d]) {
				probed[d] = true;
				(void)http_dissector.probe(data + off, n, d, 40000, 80);
			}
			feed(st, &fc, d, data + off, n);
			off += n;
			break;
		case 2:
			npend[d] = 0;
			http_dissector.gap(st, &fc, d, (uint32_t)len * 97);
			break;
		default:
			http_dissector.eof(st, &fc, d);
			break;
		}
	}
	http_dissector.close(st, &fc);
	return 0;
}
