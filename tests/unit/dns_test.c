/*
 * dns_test.c - dissectors/dns.c on hand-built messages (RFC 1035 4.1) and
 * sensor/output_json_dns.c on the events it produces.
 *
 * Every expected value is written from the bytes built here: names, types,
 * addresses and numbers are what the test put on the wire.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dissect_stub.h"
#include "testhelp.h"
#include "../../sensor/json.h"
#include "../../sensor/output.h"

extern const struct dissector dns_dissector;
extern const struct dissector dns_tcp_dissector;

/* ---- collected events ---- */

#define MAX_EVS 64
static struct ev_dns evs[MAX_EVS];
static int nevs;
static char json[MAX_EVS][8192];

static void on_event(const struct ev_hdr *h)
{
	struct jw w;

	if (h->type != EV_DNS || nevs >= MAX_EVS)
		return;
	evs[nevs] = *(const struct ev_dns *)h;
	jw_init(&w, json[nevs], sizeof(json[nevs]));
	jw_obj_open(&w, NULL);
	json_put_dns(&w, &evs[nevs]);
	jw_obj_close(&w);
	if (w.overflow)
		json[nevs][0] = '\0';
	else
		json[nevs][w.len] = '\0';
	nevs++;
}

static void reset(void)
{
	nevs = 0;
	memset(stub_anomalies, 0, sizeof(stub_anomalies));
	stub_last_anomaly[0] = '\0';
}

/* ---- a message builder ---- */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "www.example.com" -> 3www7example3com0 */
static void put_name(struct msg *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		put8(m, (unsigned)l);
		memcpy(m->b + m->n, s, l);
		m->n += l;
		s += l;
		if (*s == '.')
			s++;
	}
	put8(m, 0);
}

static void hdr(struct msg *m, unsigned id, unsigned flags, unsigned qd,
    unsigned an, unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* Record header; returns the offset of rdlength, patched by rr_end(). */
static size_t rr(struct msg *m, unsigned type, uint32_t ttl)
{
	size_t at;

	put16(m, type);
	put16(m, 1);		/* IN */
	put32(m, ttl);
	at = m->n;
	put16(m, 0);
	return at;
}

static void rr_end(struct msg *m, size_t at)
{
	size_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

/* ---- feeding ---- */

static _Alignas(max_align_t) unsigned char state[APP_STATE_MAX];
static struct flow_ctx fc;

static void start(const struct dissector *d)
{
	memset(state, 0, sizeof(state));
	d->init(state);
	fc.ts_us = 1000000;
	reset();
}

static struct feed_result udp(enum dir d, const struct msg *m, uint64_t ts)
{
	fc.ts_us = ts;
	return dns_dissector.feed(state, &fc, d, m->b, m->n);
}

/* Query: id, flags RD, one question name/type. */
static void mk_query(struct msg *m, unsigned id, const char *name,
    unsigned type)
{
	hdr(m, id, 0x0100, 1, 0, 0, 0);
	put_name(m, name);
	put16(m, type);
	put16(m, 1);
}

/* Response with one A answer, compressed to the question (offset 12). */
static void mk_resp_a(struct msg *m, unsigned id, const char *name,
    unsigned rcode, const uint8_t ip[4])
{
	size_t at;

	hdr(m, id, 0x8180 | rcode, 1, ip ? 1 : 0, 0, 0);
	put_name(m, name);
	put16(m, 1);
	put16(m, 1);
	if (ip) {
		put16(m, 0xc00c);
		at = rr(m, 1, 300);
		for (int i = 0; i < 4; i++)
			put8(m, ip[i]);
		rr_end(m, at);
	}
}

static bool has(int i, const char *s)
{
	return i < nevs && strstr(json[i], s) != NULL;
}

/* ---- tests ---- */

static void test_pair_udp(void)
{
	static const uint8_t ip[4] = { 93, 184, 216, 34 };
	struct msg q, r;

	start(&dns_dissector);
	mk_query(&q, 0x1234, "www.example.com", 1);
	mk_resp_a(&r, 0x1234, "www.example.com", 0, ip);
	udp(DIR_TO_SERVER, &q, 1000000);
	test_eq_u64("query alone: no event yet", nevs, 0);
	udp(DIR_TO_CLIENT, &r, 1012500);
	test_eq_u64("pair: one event", nevs, 1);
	test_cond("pair: answered", evs[0].answered && evs[0].has_query);
	test_eq_u64("pair: id", evs[0].id, 0x1234);
	test_eq_u64("pair: rtt 12.5 ms", evs[0].rtt_us, 12500);
	test_eq_u64("pair: ts is the query's", evs[0].h.ts_us, 1000000);
	test_cond("pair: json rrname", has(0, "\"rrname\":\"www.example.com\""));
	test_cond("pair: json rrtype", has(0, "\"rrtype\":\"A\""));
	test_cond("pair: json rcode", has(0, "\"rcode\":\"NOERROR\""));
	test_cond("pair: json rtt", has(0, "\"rtt_ms\":12.500"));
	test_cond("pair: json flags", has(0,
	    "\"flags\":{\"qr\":true,\"aa\":false,\"tc\":false,\"rd\":true,\"ra\":true}"));
	test_cond("pair: json answer", has(0,
	    "{\"rrname\":\"www.example.com\",\"rrtype\":\"A\",\"ttl\":300,"
	    "\"rdata\":\"93.184.216.34\"}"));
	test_cond("pair: udp", has(0, "\"transport\":\"udp\""));
	test_eq_u64("pair: no anomaly", stub_anomaly_total(), 0);
}

static void test_nxdomain_case_and_lone(void)
{
	struct msg q, r;

	start(&dns_dissector);
	mk_query(&q, 7, "NoSuch.Example", 28);
	udp(DIR_TO_SERVER, &q, 1000000);
	/* 0x20 case randomization: the answer echoes a different case. */
	hdr(&r, 7, 0x8183, 1, 0, 0, 0);
	put_name(&r, "nosuch.example");
	put16(&r, 28);
	put16(&r, 1);
	udp(DIR_TO_CLIENT, &r, 1001000);
	test_eq_u64("nxdomain: one event", nevs, 1);
	test_cond("nxdomain: rcode", has(0, "\"rcode\":\"NXDOMAIN\""));
	test_cond("nxdomain: AAAA", has(0, "\"rrtype\":\"AAAA\""));
	test_cond("nxdomain: paired", evs[0].has_query);
	/* The same response again: no query left, logged alone. */
	udp(DIR_TO_CLIENT, &r, 1002000);
	test_eq_u64("lone: second event", nevs, 2);
	test_cond("lone: query_seen false", has(1, "\"query_seen\":false"));
	test_cond("lone: no rtt", !has(1, "rtt_ms"));
}

static void test_rdata_types(void)
{
	struct msg r;
	size_t at;

	start(&dns_dissector);
	hdr(&r, 99, 0x8580, 1, 8, 0, 0);
	put_name(&r, "example.org");		/* offset 12, 13 bytes */
	put16(&r, 255);
	put16(&r, 1);
	/* CNAME www.example.org -> mail.example.org (compressed) */
	put8(&r, 3); memcpy(r.b + r.n, "www", 3); r.n += 3; put16(&r, 0xc00c);
	at = rr(&r, 5, 60);
	put8(&r, 4); memcpy(r.b + r.n, "mail", 4); r.n += 4; put16(&r, 0xc00c);
	rr_end(&r, at);
	/* MX 10 mail.example.org */
	put16(&r, 0xc00c);
	at = rr(&r, 15, 61);
	put16(&r, 10);
	put8(&r, 4); memcpy(r.b + r.n, "mail", 4); r.n += 4; put16(&r, 0xc00c);
	rr_end(&r, at);
	/* NS ns1.example.org */
	put16(&r, 0xc00c);
	at = rr(&r, 2, 62);
	put_name(&r, "ns1.example.org");
	rr_end(&r, at);
	/* SOA ns1.example.org hostmaster.example.org 2024010101 7200 3600 1209600 300 */
	put16(&r, 0xc00c);
	at = rr(&r, 6, 63);
	put_name(&r, "ns1.example.org");
	put8(&r, 10); memcpy(r.b + r.n, "hostmaster", 10); r.n += 10;
	put16(&r, 0xc00c);
	put32(&r, 2024010101u); put32(&r, 7200); put32(&r, 3600);
	put32(&r, 1209600); put32(&r, 300);
	rr_end(&r, at);
	/* SRV 1 5 5060 sip.example.org */
	put16(&r, 0xc00c);
	at = rr(&r, 33, 64);
	put16(&r, 1); put16(&r, 5); put16(&r, 5060);
	put_name(&r, "sip.example.org");
	rr_end(&r, at);
	/* TXT "v=spf1 " "-all" */
	put16(&r, 0xc00c);
	at = rr(&r, 16, 65);
	put8(&r, 7); memcpy(r.b + r.n, "v=spf1 ", 7); r.n += 7;
	put8(&r, 4); memcpy(r.b + r.n, "-all", 4); r.n += 4;
	rr_end(&r, at);
	/* AAAA 2001:db8::1 */
	put16(&r, 0xc00c);
	at = rr(&r, 28, 66);
	put32(&r, 0x20010db8); put32(&r, 0); put32(&r, 0); put32(&r, 1);
	rr_end(&r, at);
	/* type 65000 (unassigned): raw bytes 0xde 0xad */
	put16(&r, 0xc00c);
	at = rr(&r, 65000, 67);
	put8(&r, 0xde); put8(&r, 0xad);
	rr_end(&r, at);

	udp(DIR_TO_CLIENT, &r, 2000000);
	test_eq_u64("rdata: one event", nevs, 1);
	test_eq_u64("rdata: 8 answers", evs[0].nanswers, 8);
	test_eq_u64("rdata: no anomaly", stub_anomaly_total(), 0);
	test_cond("rdata: ANY", has(0, "\"rrtype\":\"ANY\""));
	test_cond("rdata: CNAME", has(0, "{\"rrname\":\"www.example.org\","
	    "\"rrtype\":\"CNAME\",\"ttl\":60,\"rdata\":\"mail.example.org\"}"));
	test_cond("rdata: MX", has(0, "\"rdata\":\"10 mail.example.org\""));
	test_cond("rdata: NS", has(0, "\"rdata\":\"ns1.example.org\""));
	test_cond("rdata: SOA", has(0, "\"rdata\":\"ns1.example.org "
	    "hostmaster.example.org 2024010101 7200 3600 1209600 300\""));
	test_cond("rdata: SRV", has(0, "\"rdata\":\"1 5 5060 sip.example.org\""));
	test_cond("rdata: TXT joined", has(0, "\"rdata\":\"v=spf1 -all\""));
	test_cond("rdata: AAAA", has(0, "\"rdata\":\"2001:db8::1\""));
	test_cond("rdata: unknown type numeric, hex",
	    has(0, "\"rrtype\":65000,\"ttl\":67,\"rdata\":\"dead\""));
	test_cond("rdata: aa flag", has(0, "\"aa\":true"));
}

static void test_unanswered(void)
{
	struct msg q;

	start(&dns_dissector);
	mk_query(&q, 1, "a.example", 1);
	udp(DIR_TO_SERVER, &q, 1000000);
	mk_query(&q, 2, "b.example", 16);
	udp(DIR_TO_SERVER, &q, 3000000);
	test_eq_u64("timeout: nothing yet at 2 s", nevs, 0);
	/* 6.5 s after the first query: it times out, the second not yet. */
	mk_query(&q, 3, "c.example", 1);
	udp(DIR_TO_SERVER, &q, 7500000);
	test_eq_u64("timeout: first expired", nevs, 1);
	test_cond("timeout: answered false", has(0, "\"answered\":false"));
	test_cond("timeout: keeps its name", has(0, "\"rrname\":\"a.example\""));
	test_cond("timeout: no rcode", !has(0, "rcode"));
	fc.ts_us = 7600000;
	dns_dissector.close(state, &fc);
	test_eq_u64("close: the rest", nevs, 3);
	test_cond("close: TXT query", has(1, "\"rrname\":\"b.example\",\"rrtype\":\"TXT\""));
	test_cond("close: c", has(2, "\"rrname\":\"c.example\""));
	test_cond("close: query flags", has(2, "\"qr\":false") && has(2, "\"rd\":true"));
}

static void test_retransmit_and_reuse(void)
{
	static const uint8_t ip[4] = { 10, 0, 0, 1 };
	struct msg q, r;

	start(&dns_dissector);
	mk_query(&q, 5, "x.example", 1);
	udp(DIR_TO_SERVER, &q, 1000000);
	udp(DIR_TO_SERVER, &q, 2000000);	/* retransmission */
	mk_resp_a(&r, 5, "x.example", 0, ip);
	udp(DIR_TO_CLIENT, &r, 2100000);
	test_eq_u64("retransmit: one transaction", nevs, 1);
	test_eq_u64("retransmit: rtt from the latest copy", evs[0].rtt_us, 100000);
	/* Same id, another name: the older query is given up. */
	mk_query(&q, 6, "y.example", 1);
	udp(DIR_TO_SERVER, &q, 3000000);
	mk_query(&q, 6, "z.example", 1);
	udp(DIR_TO_SERVER, &q, 3000100);
	test_eq_u64("reuse: old one logged", nevs, 2);
	test_cond("reuse: y unanswered", has(1, "\"rrname\":\"y.example\"") &&
	    has(1, "\"answered\":false"));
	mk_resp_a(&r, 6, "z.example", 0, ip);
	udp(DIR_TO_CLIENT, &r, 3000200);
	test_cond("reuse: z answered", has(2, "\"rrname\":\"z.example\"") &&
	    has(2, "\"answered\":true"));

	/* A retransmission 5.5 s later, then the answer: one transaction. */
	start(&dns_dissector);
	mk_query(&q, 8, "slow.example", 1);
	udp(DIR_TO_SERVER, &q, 10000000);
	udp(DIR_TO_SERVER, &q, 15500000);
	mk_resp_a(&r, 8, "slow.example", 0, ip);
	udp(DIR_TO_CLIENT, &r, 15600000);
	test_eq_u64("late retransmit: one transaction", nevs, 1);
	test_cond("late retransmit: answered", nevs == 1 && evs[0].answered &&
	    evs[0].has_query);
	test_eq_u64("late retransmit: rtt from the latest copy", evs[0].rtt_us,
	    100000);
}

static void test_flood(void)
{
	struct msg q;
	char name[32];

	start(&dns_dissector);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "host%02d.example.net", i);
		mk_query(&q, 100u + (unsigned)i, name, 1);
		udp(DIR_TO_SERVER, &q, 1000000u + (unsigned)i);
	}
	test_eq_u64("flood: 12 pushed out", nevs, 12);
	test_eq_u64("flood: one too-many anomaly",
	    stub_anomalies[ANOM_APP_TOO_MANY], 1);
	dns_dissector.close(state, &fc);
	test_eq_u64("flood: all 20 logged", nevs, 20);
	test_cond("flood: oldest first", has(0, "host00.") && has(19, "host19."));
	for (int i = 0; i < 20; i++)
		test_cond("flood: every name kept", evs[i].has_rrname);
}

/* A response with 40 A records: 32 kept. */
static void test_many_answers(void)
{
	struct msg r;

	start(&dns_dissector);
	hdr(&r, 1, 0x8180, 1, 40, 0, 0);
	put_name(&r, "many.example");
	put16(&r, 1);
	put16(&r, 1);
	for (int i = 0; i < 40; i++) {
		size_t at;

		put16(&r, 0xc00c);
		at = rr(&r, 1, 1);
		put32(&r, 0x0a000000u + (uint32_t)i);
		rr_end(&r, at);
	}
	udp(DIR_TO_CLIENT, &r, 1000000);
	test_eq_u64("many: 32 kept", evs[0].nanswers, 32);
	test_cond("many: flagged", evs[0].answers_truncated &&
	    has(0, "\"answers_truncated\":true"));
	test_cond("many: last kept is 10.0.0.31", has(0, "10.0.0.31\"}]"));
	test_cond("many: json fits", json[0][0] != '\0');

	/* The same cut by a snaplen inside answer 3: the first 2 survive. */
	r.n = 12 + 14 + 4 + 2 * 16 + 5;
	start(&dns_dissector);
	udp(DIR_TO_CLIENT, &r, 1000000);
	test_eq_u64("cut: one event", nevs, 1);
	test_eq_u64("cut: two answers", evs[0].nanswers, 2);
	test_cond("cut: truncated", has(0, "\"truncated\":true"));
	test_eq_u64("cut: no anomaly on UDP", stub_anomaly_total(), 0);
}

static void test_bad_names(void)
{
	struct msg r;

	/* A pointer to itself (a loop). */
	start(&dns_dissector);
	hdr(&r, 1, 0x8180, 1, 0, 0, 0);
	put16(&r, 0xc00c);
	put16(&r, 1);
	put16(&r, 1);
	udp(DIR_TO_CLIENT, &r, 1000000);
	test_eq_u64("loop: no event", nevs, 0);
	test_eq_u64("loop: anomaly", stub_anomalies[ANOM_APP_MALFORMED], 1);
	test_cond("loop: named", strstr(stub_last_anomaly,
	    "dns.bad_compression_pointer") != NULL);

	/* A forward pointer in an answer. */
	start(&dns_dissector);
	hdr(&r, 2, 0x8180, 1, 1, 0, 0);
	put_name(&r, "a.b");
	put16(&r, 1);
	put16(&r, 1);
	put16(&r, 0xc000 | 40);
	rr(&r, 1, 1);
	udp(DIR_TO_CLIENT, &r, 1000000);
	test_eq_u64("forward: event still logged", nevs, 1);
	test_eq_u64("forward: no answers", evs[0].nanswers, 0);
	test_cond("forward: anomaly", strstr(stub_last_anomaly,
	    "dns.bad_compression_pointer in answer 0") != NULL);

	/* Two pointers chasing each other: 12 -> 14 is not backwards. */
	start(&dns_dissector);
	hdr(&r, 3, 0x8180, 1, 0, 0, 0);
	put16(&r, 0xc00e);
	put16(&r, 0xc00c);
	udp(DIR_TO_CLIENT, &r, 1000000);
	test_cond("ping-pong: refused", strstr(stub_last_anomaly,
	    "dns.bad_compression_pointer") != NULL && nevs == 0);

	/* 5 labels of 63 bytes: 320 octets > 255. */
	start(&dns_dissector);
	hdr(&r, 4, 0x0100, 1, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		put8(&r, 63);
		memset(r.b + r.n, 'a', 63);
		r.n += 63;
	}
	put8(&r, 0);
	put16(&r, 1);
	put16(&r, 1);
	udp(DIR_TO_SERVER, &r, 1000000);
	test_cond("long: refused", strstr(stub_last_anomaly,
	    "dns.name_too_long") != NULL);

	/* 4 labels of 63 = 4*64+1 = 257 > 255; 3 of 63 + one of 61 = 255 ok. */
	start(&dns_dissector);
	hdr(&r, 5, 0x0100, 1, 0, 0, 0);
	for (int i = 0; i < 4; i++) {
		put8(&r, i == 3 ? 61 : 63);
		memset(r.b + r.n, 'b', i == 3 ? 61 : 63);
		r.n += i == 3 ? 61 : 63;
	}
	put8(&r, 0);
	put16(&r, 1);
	put16(&r, 1);
	udp(DIR_TO_SERVER, &r, 1000000);
	dns_dissector.close(state, &fc);
	test_eq_u64("255 octets: accepted", stub_anomaly_total(), 0);
	test_eq_u64("255 octets: 253 characters", strlen(evs[0].rrname), 253);

	/* Label type 01 (extended) is refused. */
	start(&dns_dissector);
	hdr(&r, 6, 0x0100, 1, 0, 0, 0);
	put8(&r, 0x41);
	put8(&r, 0);
	put16(&r, 1);
	put16(&r, 1);
	udp(DIR_TO_SERVER, &r, 1000000);
	test_cond("label type: refused", strstr(stub_last_anomaly,
	    "dns.bad_label_type") != NULL);
}

static void test_escapes(void)
{
	struct msg q;

	start(&dns_dissector);
	hdr(&q, 9, 0x0100, 1, 0, 0, 0);
	put8(&q, 3);
	put8(&q, 'a'); put8(&q, '.'); put8(&q, 'b');
	put8(&q, 3);
	put8(&q, 0x01); put8(&q, ' '); put8(&q, '\\');
	put8(&q, 0);
	put16(&q, 1);
	put16(&q, 1);
	udp(DIR_TO_SERVER, &q, 1000000);
	dns_dissector.close(state, &fc);
	test_cond("escape: presentation form",
	    strcmp(evs[0].rrname, "a\\.b.\\001\\032\\\\") == 0);

	/* The root. */
	start(&dns_dissector);
	hdr(&q, 10, 0x0000, 1, 0, 0, 0);
	put8(&q, 0);
	put16(&q, 2);
	put16(&q, 1);
	udp(DIR_TO_SERVER, &q, 1000000);
	dns_dissector.close(state, &fc);
	test_cond("root: \".\"", strcmp(evs[0].rrname, ".") == 0);
}

static void test_probe(void)
{
	struct msg q;
	static const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t zeros[32];

	mk_query(&q, 0x4242, "www.example.com", 1);
	test_eq_u64("probe: query on 53", dns_dissector.probe(q.b, q.n,
	    DIR_TO_SERVER, 40000, 53), PROBE_YES);
	test_eq_u64("probe: query on 9999", dns_dissector.probe(q.b, q.n,
	    DIR_TO_SERVER, 40000, 9999), PROBE_YES);
	test_eq_u64("probe: http on 53", dns_dissector.probe(http,
	    sizeof(http) - 1, DIR_TO_SERVER, 40000, 53), PROBE_NO);
	test_eq_u64("probe: zeros", dns_dissector.probe(zeros, sizeof(zeros),
	    DIR_TO_SERVER, 40000, 53), PROBE_NO);
	test_eq_u64("probe: 5 bytes udp", dns_dissector.probe(q.b, 5,
	    DIR_TO_SERVER, 40000, 53), PROBE_NO);
	/* A datagram cut inside the qname: yes on a DNS port only. */
	test_eq_u64("probe: cut on 53", dns_dissector.probe(q.b, 16,
	    DIR_TO_SERVER, 40000, 53), PROBE_YES);
	test_eq_u64("probe: cut on 9999", dns_dissector.probe(q.b, 16,
	    DIR_TO_SERVER, 40000, 9999), PROBE_NO);
	/* Opcode 3 is unassigned. */
	q.b[2] = 0x18;
	test_eq_u64("probe: opcode 3", dns_dissector.probe(q.b, q.n,
	    DIR_TO_SERVER, 40000, 53), PROBE_NO);
	q.b[2] = 0x01;
	/* TCP: the length prefix first, partial data asks for more. */
	{
		uint8_t t[600];

		t[0] = (uint8_t)(q.n >> 8);
		t[1] = (uint8_t)q.n;
		memcpy(t + 2, q.b, q.n);
		test_eq_u64("probe tcp: whole", dns_tcp_dissector.probe(t,
		    q.n + 2, DIR_TO_SERVER, 40000, 53), PROBE_YES);
		test_eq_u64("probe tcp: 1 byte", dns_tcp_dissector.probe(t, 1,
		    DIR_TO_SERVER, 40000, 53), PROBE_MORE);
		test_eq_u64("probe tcp: 10 bytes", dns_tcp_dissector.probe(t, 10,
		    DIR_TO_SERVER, 40000, 53), PROBE_MORE);
		test_eq_u64("probe tcp: http", dns_tcp_dissector.probe(http,
		    sizeof(http) - 1, DIR_TO_SERVER, 40000, 53), PROBE_NO);
	}
}

/* ---- TCP ---- */

/* Two queries and two responses as one byte stream per direction. */
static size_t tcp_stream(uint8_t *out, bool responses)
{
	static const uint8_t ip[4] = { 192, 0, 2, 1 };
	struct msg m;
	size_t n = 0;

	for (unsigned i = 0; i < 2; i++) {
		const char *name = i ? "two.example" : "one.example";

		if (responses)
			mk_resp_a(&m, 0x100 + i, name, 0, ip);
		else
			mk_query(&m, 0x100 + i, name, 1);
		out[n++] = (uint8_t)(m.n >> 8);
		out[n++] = (uint8_t)m.n;
		memcpy(out + n, m.b, m.n);
		n += m.n;
	}
	return n;
}

/* Feeds p[0..n) split at 'cut', keeping unconsumed bytes as the flow does. */
static void tcp_feed_split(enum dir d, const uint8_t *p, size_t n, size_t cut)
{
	uint8_t pend[1024];
	size_t plen = 0;
	size_t parts[2][2] = { { 0, cut }, { cut, n } };

	for (int k = 0; k < 2; k++) {
		uint8_t buf[2048];
		size_t len = 0;
		struct feed_result r;

		memcpy(buf, pend, plen);
		len = plen;
		memcpy(buf + len, p + parts[k][0], parts[k][1] - parts[k][0]);
		len += parts[k][1] - parts[k][0];
		if (len == 0)
			continue;
		r = dns_tcp_dissector.feed(state, &fc, d, buf, len);
		plen = len - r.consumed;
		memcpy(pend, buf + r.consumed, plen);
	}
}

static void test_tcp(void)
{
	uint8_t qs[1024], rs[1024];
	size_t nq = tcp_stream(qs, false), nr = tcp_stream(rs, true);
	bool all_ok = true;

	/* Both messages in one segment. */
	start(&dns_tcp_dissector);
	fc.ts_us = 1000000;
	dns_tcp_dissector.feed(state, &fc, DIR_TO_SERVER, qs, nq);
	fc.ts_us = 1001000;
	dns_tcp_dissector.feed(state, &fc, DIR_TO_CLIENT, rs, nr);
	test_eq_u64("tcp: two transactions", nevs, 2);
	test_cond("tcp: transport", has(0, "\"transport\":\"tcp\""));
	test_cond("tcp: paired one", has(0, "\"rrname\":\"one.example\"") &&
	    evs[0].has_query);
	test_cond("tcp: paired two", has(1, "\"rrname\":\"two.example\"") &&
	    evs[1].has_query);

	/* Every split point, in both directions. */
	for (size_t cut = 0; cut <= nq || cut <= nr; cut++) {
		start(&dns_tcp_dissector);
		tcp_feed_split(DIR_TO_SERVER, qs, nq, cut < nq ? cut : nq);
		tcp_feed_split(DIR_TO_CLIENT, rs, nr, cut < nr ? cut : nr);
		if (nevs != 2 || !evs[0].has_query || !evs[1].has_query ||
		    stub_anomaly_total() != 0 || evs[1].nanswers != 1) {
			all_ok = false;
			printf("split at %zu: %d events\n", cut, nevs);
		}
	}
	test_cond("tcp: every split point gives the same two", all_ok);

	/* A gap in the requests: resync on the next message. */
	start(&dns_tcp_dissector);
	dns_tcp_dissector.feed(state, &fc, DIR_TO_SERVER, qs + 5, 9);
	dns_tcp_dissector.gap(state, &fc, DIR_TO_SERVER, 100);
	{
		uint8_t junk[1024];
		size_t half = nq / 2;	/* the second message starts here */
		struct feed_result r;

		memcpy(junk, "\x13\x37garbage", 9);
		memcpy(junk + 9, qs + half, nq - half);
		r = dns_tcp_dissector.feed(state, &fc, DIR_TO_SERVER, junk,
		    9 + nq - half);
		test_eq_u64("gap: all consumed", r.consumed, 9 + nq - half);
	}
	fc.ts_us += 1000;
	dns_tcp_dissector.feed(state, &fc, DIR_TO_CLIENT, rs, nr);
	test_eq_u64("gap: two events", nevs, 2);
	test_cond("gap: first response alone", !evs[0].has_query);
	test_cond("gap: second paired", evs[1].has_query &&
	    has(1, "two.example"));

	/* A length below the header is fatal for the stream. */
	start(&dns_tcp_dissector);
	{
		static const uint8_t bad[] = { 0, 5, 1, 2, 3, 4, 5 };
		struct feed_result r = dns_tcp_dissector.feed(state, &fc,
		    DIR_TO_SERVER, bad, sizeof(bad));

		test_eq_u64("bad length: malformed", r.status, FEED_MALFORMED);
		test_cond("bad length: named", strstr(stub_last_anomaly,
		    "dns.bad_tcp_length") != NULL);
	}
	/* Counts past the end of a TCP message are malformed, not cut. */
	start(&dns_tcp_dissector);
	{
		uint8_t t[64];
		struct msg m;

		mk_resp_a(&m, 1, "a.b", 0, NULL);
		m.b[7] = 2;		/* ancount 2, none present */
		t[0] = 0;
		t[1] = (uint8_t)m.n;
		memcpy(t + 2, m.b, m.n);
		dns_tcp_dissector.feed(state, &fc, DIR_TO_CLIENT, t, m.n + 2);
		test_cond("tcp counts: anomaly", strstr(stub_last_anomaly,
		    "dns.counts_exceed_message") != NULL);
		test_eq_u64("tcp counts: still logged", nevs, 1);
	}
}

static void test_mdns(void)
{
	struct msg r;
	size_t at;

	/* An mDNS announcement: no question, one PTR answer, cache flush. */
	start(&dns_dissector);
	hdr(&r, 0, 0x8400, 0, 1, 0, 0);
	put_name(&r, "_http._tcp.local");
	put16(&r, 12);
	put16(&r, 0x8001);
	put32(&r, 120);
	at = r.n;
	put16(&r, 0);
	put_name(&r, "printer._http._tcp.local");
	rr_end(&r, at);
	test_eq_u64("mdns: probe", dns_dissector.probe(r.b, r.n, DIR_TO_SERVER,
	    5353, 5353), PROBE_YES);
	udp(DIR_TO_SERVER, &r, 1000000);
	test_eq_u64("mdns: logged", nevs, 1);
	test_cond("mdns: named after the answer",
	    has(0, "\"rrname\":\"_http._tcp.local\",\"rrtype\":\"PTR\""));
	test_cond("mdns: ptr rdata", has(0, "\"rdata\":\"printer._http._tcp.local\""));
}

/* Bad rdata lengths: anomaly, raw bytes kept. */
static void test_bad_rdata(void)
{
	struct msg r;
	size_t at;

	start(&dns_dissector);
	hdr(&r, 1, 0x8180, 1, 1, 0, 0);
	put_name(&r, "a.b");
	put16(&r, 1);
	put16(&r, 1);
	put16(&r, 0xc00c);
	at = rr(&r, 1, 5);
	put8(&r, 1); put8(&r, 2); put8(&r, 3);	/* an A of 3 bytes */
	rr_end(&r, at);
	udp(DIR_TO_CLIENT, &r, 1000000);
	test_cond("A/3: anomaly", strstr(stub_last_anomaly, "dns.bad_rdata") != NULL);
	test_cond("A/3: hex kept", has(0, "\"rdata\":\"010203\""));

	/* An MX whose name runs past its rdlength. */
	start(&dns_dissector);
	hdr(&r, 1, 0x8180, 1, 1, 0, 0);
	put_name(&r, "a.b");
	put16(&r, 15);
	put16(&r, 1);
	put16(&r, 0xc00c);
	put16(&r, 15); put16(&r, 1); put32(&r, 5);
	put16(&r, 4);			/* rdlength 4, but the name is longer */
	put16(&r, 10);
	put_name(&r, "mx.a.b");
	udp(DIR_TO_CLIENT, &r, 1000000);
	test_eq_u64("MX over: one anomaly", stub_anomalies[ANOM_APP_MALFORMED], 1);
	test_cond("MX over: logged", nevs == 1);

	/* Eight malformed datagrams end the flow. */
	start(&dns_dissector);
	{
		static const uint8_t shorty[] = { 1, 2, 3 };
		struct feed_result fr = { FEED_OK, 0 };

		for (int i = 0; i < 8; i++)
			fr = dns_dissector.feed(state, &fc, DIR_TO_SERVER,
			    shorty, sizeof(shorty));
		test_eq_u64("bad flood: stop", fr.status, FEED_MALFORMED);
	}
}

int main(void)
{
	stub_on_event = on_event;
	test_pair_udp();
	test_nxdomain_case_and_lone();
	test_rdata_types();
	test_unanswered();
	test_retransmit_and_reuse();
	test_flood();
	test_many_answers();
	test_bad_names();
	test_escapes();
	test_probe();
	test_tcp();
	test_mdns();
	test_bad_rdata();
	return test_report();
}
