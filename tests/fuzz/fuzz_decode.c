/*
 * fuzz_decode.c - libFuzzer entry for the packet path below the flow table:
 * link/IP/transport decoding, IP fragment reassembly and TCP reassembly.
 *
 * Input: a series of records [linktype selector (1)] [length (2, BE)] [frame].
 * Each frame is decoded; fragments go through one ipfrag context, TCP
 * payloads through one reassembly direction keyed by nothing but the
 * sequence number, so overlapping and wrapping segments meet each other.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flows/decode.h"
#include "flows/ipfrag.h"
#include "flows/tcp_reasm.h"

static const int links[] = {
	LINK_EN10MB, LINK_RAW, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_NULL,
	LINK_IPV4, LINK_IPV6, 147,
};

static size_t delivered;

static void on_data(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	/* Touch every byte so ASan sees any bad pointer. */
	for (size_t i = 0; i < n; i++)
		delivered += p[i];
}

static void on_gap(void *arg, uint32_t len)
{
	(void)arg;
	delivered += len;
}

static void on_overlap(void *arg, uint32_t seq, uint32_t len)
{
	(void)arg;
	delivered += seq + len;
}

static const struct reasm_cb cb = { on_data, on_gap, on_overlap };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ipfrag_ctx *frag;
	static struct reasm_ctx *reasm;
	struct reasm_dir dir[2];
	uint64_t ts = 1000000;

	if (!frag)
		frag = ipfrag_new(1 << 20, 5000000);
	if (!reasm)
		reasm = reasm_new(1 << 20, 64 << 10);
	reasm_dir_init(&dir[0]);
	reasm_dir_init(&dir[1]);
	while (size >= 3) {
		int lt = links[data[0] % (sizeof(links) / sizeof(links[0]))];
		size_t len = (size_t)data[1] << 8 | data[2];
		struct pkt p;
		enum anomaly_code anom;
		enum decode_result r;
		const uint8_t *dg;
		size_t dglen;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		memset(&p, 0, sizeof(p));
		p.ts_us = ts;
		ts += 100000;
		r = decode_packet(lt, data, (uint32_t)len, (uint32_t)len + 4, &p,
		    &anom);
		if (r == DECODE_FRAGMENT &&
		    ipfrag_add(frag, &p, &dg, &dglen, &anom) == IPFRAG_DONE)
			r = decode_ip(dg, (uint32_t)dglen, &p, &anom);
		if (r == DECODE_OK && p.key.proto == 6 && p.payload_len)
			reasm_add(reasm, &dir[p.key.sport & 1], p.seq, p.payload,
			    p.payload_len, &cb, NULL);
		ipfrag_expire(frag, ts);
		data += len;
		size -= len;
	}
	for (int d = 0; d < 2; d++) {
		reasm_flush(reasm, &dir[d], false, 0, &cb, NULL);
		reasm_dir_release(reasm, &dir[d]);
	}
	return 0;
}
