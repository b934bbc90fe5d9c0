/*
 * output_json_dns.c - the JSON layout of the "dns" event object.
 *
 *   "dns": {"id", "transport", ["opcode"], "rrname", "rrtype", ["rrclass"],
 *           "answered", ["rcode"], "flags": {qr, aa, tc, rd, ra},
 *           ["rtt_ms"], ["query_seen": false], ["answers": [{rrname, rrtype,
 *           ttl, rdata}]], ["answers_truncated"], ["truncated"]}
 *
 * Names of record types and rcodes come from the IANA "Domain Name System
 * (DNS) Parameters" registry.  An rrtype with no name goes out as its
 * number; an unassigned rcode or opcode as "unknown-<n>".  rdata: A/AAAA
 * as addresses, CNAME/NS/PTR/DNAME as a name, MX "pref host", SRV "prio
 * weight port target", SOA "mname rname serial refresh retry expire
 * minimum", TXT the strings concatenated (RFC 7208 3.3), anything else the
 * rdata in lower-case hex; no rdata when rdlength is 0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "output.h"

struct dns_code_name {
	uint16_t code;
	const char *name;
};

/* IANA resource record TYPEs (sorted by code). */
static const struct dns_code_name dns_type_names[] = {
	{ 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" },
	{ 6, "SOA" }, { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" },
	{ 11, "WKS" }, { 12, "PTR" }, { 13, "HINFO" }, { 14, "MINFO" },
	{ 15, "MX" }, { 16, "TXT" }, { 17, "RP" }, { 18, "AFSDB" },
	{ 19, "X25" }, { 20, "ISDN" }, { 21, "RT" }, { 22, "NSAP" },
	{ 23, "NSAP-PTR" }, { 24, "SIG" }, { 25, "KEY" }, { 26, "PX" },
	{ 27, "GPOS" }, { 28, "AAAA" }, { 29, "LOC" }, { 30, "NXT" },
	{ 31, "EID" }, { 32, "NIMLOC" }, { 33, "SRV" }, { 34, "ATMA" },
	{ 35, "NAPTR" }, { 36, "KX" }, { 37, "CERT" }, { 38, "A6" },
	{ 39, "DNAME" }, { 40, "SINK" }, { 41, "OPT" }, { 42, "APL" },
	{ 43, "DS" }, { 44, "SSHFP" }, { 45, "IPSECKEY" }, { 46, "RRSIG" },
	{ 47, "NSEC" }, { 48, "DNSKEY" }, { 49, "DHCID" }, { 50, "NSEC3" },
	{ 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 53, "SMIMEA" }, { 55, "HIP" },
	{ 56, "NINFO" }, { 57, "RKEY" }, { 58, "TALINK" }, { 59, "CDS" },
	{ 60, "CDNSKEY" }, { 61, "OPENPGPKEY" }, { 62, "CSYNC" },
	{ 63, "ZONEMD" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
	{ 100, "UINFO" }, { 101, "UID" }, { 102, "GID" }, { 103, "UNSPEC" },
	{ 104, "NID" }, { 105, "L32" }, { 106, "L64" }, { 107, "LP" },
	{ 108, "EUI48" }, { 109, "EUI64" }, { 249, "TKEY" }, { 250, "TSIG" },
	{ 251, "IXFR" }, { 252, "AXFR" }, { 253, "MAILB" }, { 254, "MAILA" },
	{ 255, "ANY" }, { 256, "URI" }, { 257, "CAA" }, { 258, "AVC" },
	{ 259, "DOA" }, { 260, "AMTRELAY" }, { 32768, "TA" },
	{ 32769, "DLV" },
};

/* RFC 1035 4.1.1, RFC 2136 2.2, RFC 8490 (header rcodes 0..11). */
static const char *const dns_rcode_names[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
};

static const char *const dns_opcode_names[16] = {
	[0] = "QUERY", [1] = "IQUERY", [2] = "STATUS", [4] = "NOTIFY",
	[5] = "UPDATE", [6] = "DSO",
};

static const char *const dns_class_names[256] = {
	[1] = "IN", [3] = "CH", [4] = "HS", [254] = "NONE", [255] = "ANY",
};

/* Static name of a record type, or NULL. */
static const char *dns_type_name(uint16_t t)
{
	size_t lo = 0, hi = sizeof(dns_type_names) / sizeof(dns_type_names[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (dns_type_names[mid].code == t)
			return dns_type_names[mid].name;
		if (dns_type_names[mid].code < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void put_rrtype(struct jw *w, const char *key, uint16_t t)
{
	const char *n = dns_type_name(t);

	if (n)
		jw_str(w, key, n);
	else
		jw_u64(w, key, t);
}

static void put_code(struct jw *w, const char *key,
    const char *const *names, unsigned code)
{
	char b[24];

	if (names[code]) {
		jw_str(w, key, names[code]);
		return;
	}
	snprintf(b, sizeof(b), "unknown-%u", code);
	jw_str(w, key, b);
}

/* The NUL-ended name at data[off], bounded by the array. */
static const char *data_str(const struct ev_dns_answer *a, size_t off)
{
	if (off >= sizeof(a->data) || !memchr(a->data + off, '\0',
	    sizeof(a->data) - off))
		return "";
	return (const char *)a->data + off;
}

static void put_rdata(struct jw *w, const struct ev_dns_answer *a)
{
	char b[EV_DNS_RDATA_MAX * 2 + 96];

	switch (a->kind) {
	case EV_DNS_RD_ADDR:
		if (a->data_len == 4 || a->data_len == 16)
			jw_ip(w, "rdata", a->data_len == 4 ? 4 : 6, a->data);
		break;
	case EV_DNS_RD_NAME:
		jw_str(w, "rdata", data_str(a, 0));
		break;
	case EV_DNS_RD_MX:
		snprintf(b, sizeof(b), "%" PRIu32 " %s", a->num[0],
		    data_str(a, 0));
		jw_str(w, "rdata", b);
		break;
	case EV_DNS_RD_SRV:
		snprintf(b, sizeof(b), "%" PRIu32 " %" PRIu32 " %" PRIu32 " %s",
		    a->num[0], a->num[1], a->num[2], data_str(a, 0));
		jw_str(w, "rdata", b);
		break;
	case EV_DNS_RD_SOA:
		snprintf(b, sizeof(b), "%s %s %" PRIu32 " %" PRIu32 " %" PRIu32
		    " %" PRIu32 " %" PRIu32, data_str(a, 0),
		    data_str(a, a->data2_off), a->num[0], a->num[1], a->num[2],
		    a->num[3], a->num[4]);
		jw_str(w, "rdata", b);
		break;
	case EV_DNS_RD_TXT:
		jw_strn(w, "rdata", (const char *)a->data,
		    a->data_len < sizeof(a->data) ? a->data_len :
		    sizeof(a->data));
		break;
	case EV_DNS_RD_RAW:
		jw_hex(w, "rdata", a->data, a->data_len < sizeof(a->data) ?
		    a->data_len : sizeof(a->data));
		break;
	default:
		break;
	}
	if (a->data_truncated)
		jw_bool(w, "rdata_truncated", true);
}

void json_put_dns(struct jw *w, const struct ev_dns *e)
{
	uint16_t f = e->flags;

	jw_obj_open(w, "dns");
	jw_u64(w, "id", e->id);
	jw_str(w, "transport", e->tcp ? "tcp" : "udp");
	if (e->opcode)
		put_code(w, "opcode", dns_opcode_names, e->opcode & 0x0f);
	if (e->has_rrname) {
		jw_str(w, "rrname", e->rrname);
		if (e->rrname_truncated)
			jw_bool(w, "rrname_truncated", true);
		put_rrtype(w, "rrtype", e->qtype);
		if ((e->qclass & 0x7fff) != 1)
			put_code(w, "rrclass", dns_class_names,
			    e->qclass & 0xff);
	}
	jw_bool(w, "answered", e->answered);
	if (e->answered)
		put_code(w, "rcode", dns_rcode_names, e->rcode & 0x0f);
	jw_obj_open(w, "flags");
	jw_bool(w, "qr", (f & 0x8000) != 0);
	jw_bool(w, "aa", (f & 0x0400) != 0);
	jw_bool(w, "tc", (f & 0x0200) != 0);
	jw_bool(w, "rd", (f & 0x0100) != 0);
	jw_bool(w, "ra", (f & 0x0080) != 0);
	jw_obj_close(w);
	if (e->has_query && e->answered)
		jw_dbl(w, "rtt_ms", (double)e->rtt_us / 1000.0, 3);
	if (!e->has_query)
		jw_bool(w, "query_seen", false);
	if (e->nanswers > 0) {
		jw_arr_open(w, "answers");
		for (unsigned i = 0; i < e->nanswers && i < EV_DNS_MAX_ANSWERS;
		    i++) {
			const struct ev_dns_answer *a = &e->answers[i];

			jw_obj_open(w, NULL);
			jw_str(w, "rrname", a->rrname);
			put_rrtype(w, "rrtype", a->rrtype);
			jw_u64(w, "ttl", a->ttl);
			put_rdata(w, a);
			jw_obj_close(w);
		}
		jw_arr_close(w);
	}
	if (e->answers_truncated)
		jw_bool(w, "answers_truncated", true);
	if (e->truncated)
		jw_bool(w, "truncated", true);
	jw_obj_close(w);
}
