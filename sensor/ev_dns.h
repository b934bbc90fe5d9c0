/*
 * ev_dns.h - the DNS transaction event (included by event.h after struct
 * ev_hdr).
 *
 * One event per query/response pair, filled by dissectors/dns.c and
 * serialized by sensor/output_json_dns.c.  Raw codes only (types, classes,
 * rcode, header flags); the output layer adds the names.  Names are copied
 * in RFC 1035 5.1 presentation form (labels joined by '.', '.' and '\' in a
 * label escaped with '\', bytes outside 0x21..0x7e as \DDD), no trailing
 * dot; the root is ".".  Everything is in fixed-size arrays with a
 * 'truncated' bit; no pointers into packets.
 */
#ifndef SPANLOG_EV_DNS_H
#define SPANLOG_EV_DNS_H

#include <stdbool.h>
#include <stdint.h>

#define EV_DNS_NAME_MAX 256		/* presentation name, NUL included */
#define EV_DNS_RDATA_MAX 256		/* rdata bytes or text kept per answer */
#define EV_DNS_MAX_ANSWERS 32

/* How ev_dns_answer.data is to be read. */
enum ev_dns_rdata_kind {
	EV_DNS_RD_NONE,		/* nothing kept (rdlength 0) */
	EV_DNS_RD_ADDR,		/* A or AAAA: data[0..data_len) = 4 or 16 bytes */
	EV_DNS_RD_NAME,		/* CNAME, NS, PTR, DNAME: data = name, NUL-ended */
	EV_DNS_RD_MX,		/* num[0] preference, data = exchange */
	EV_DNS_RD_SRV,		/* num[0..2] priority weight port, data = target */
	EV_DNS_RD_SOA,		/* data = mname NUL rname NUL (rname at data2_off),
				 * num[0..4] serial refresh retry expire minimum */
	EV_DNS_RD_TXT,		/* data[0..data_len) = the strings concatenated */
	EV_DNS_RD_RAW,		/* any other type: data[0..data_len) = rdata */
};

struct ev_dns_answer {
	uint16_t rrtype;
	uint16_t rrclass;	/* mDNS cache-flush bit included, as on the wire */
	uint32_t ttl;
	uint8_t kind;		/* enum ev_dns_rdata_kind */
	bool rrname_truncated;
	bool data_truncated;	/* the rdata did not fit in data[] */
	uint16_t data_len;	/* bytes used in data[] (names: strlen) */
	uint16_t data2_off;	/* SOA: offset of rname in data[] */
	uint16_t rdlength;	/* as on the wire */
	uint32_t num[5];
	char rrname[EV_DNS_NAME_MAX];
	uint8_t data[EV_DNS_RDATA_MAX];
};

struct ev_dns {
	struct ev_hdr h;	/* ts: the query's time when it was seen */
	uint16_t id;
	uint16_t qtype;		/* of the first question */
	uint16_t qclass;
	uint16_t flags;		/* header flags word of the response if answered,
				 * else of the query (QR AA TC RD RA Z AD CD, rcode) */
	uint8_t opcode;
	uint8_t rcode;		/* header rcode of the response (when answered) */
	bool has_query;		/* the query was seen */
	bool answered;		/* a response was seen */
	bool has_rrname;	/* rrname/qtype known (a question, or an answer) */
	bool rrname_truncated;
	bool tcp;		/* transport: TCP (else UDP) */
	bool truncated;		/* a message was cut short (capture) */
	bool answers_truncated;	/* more answers than EV_DNS_MAX_ANSWERS */
	uint16_t qdcount, ancount, nscount, arcount; /* of the response, or query */
	uint64_t rtt_us;	/* response time - query time, when both seen */
	char rrname[EV_DNS_NAME_MAX];
	uint8_t nanswers;
	struct ev_dns_answer answers[EV_DNS_MAX_ANSWERS];
};

#endif
