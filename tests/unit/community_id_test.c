/*
 * community_id_test.c - Community ID v1 against published and independent
 * values.
 *
 * Expected strings come from two places, never from our own output:
 *  - corelight/community-id-spec baseline/baseline_deflt.json (seed 0) and
 *    baseline/baseline_seed1.json (seed 1).  Their ICMP "ports" are already
 *    mapped (type, counterpart type or code);
 *  - tshark 4.0.17 (Wireshark's own implementation), run with
 *    "--enable-protocol communityid [-o communityid.seed:1]" on raw-IP
 *    packets crafted with python3: marked "tshark" below.
 */
#include <arpa/inet.h>
#include <string.h>

#include "../../flows/community_id.h"
#include "testhelp.h"

struct cid_case {
	int family;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;		/* as decode stores them */
	uint16_t seed;
	const char *want;
	const char *what;
};

static const struct cid_case cases[] = {
	/* The example from the lead's brief, both orientations (tshark agrees). */
	{ 4, "1.2.3.4", "5.6.7.8", 6, 1122, 3344, 0,
	    "1:wCb3OG7yAFWelaUydu0D+125CLM=", "tcp v4" },
	{ 4, "5.6.7.8", "1.2.3.4", 6, 3344, 1122, 0,
	    "1:wCb3OG7yAFWelaUydu0D+125CLM=", "tcp v4 reversed" },
	{ 4, "1.2.3.4", "5.6.7.8", 6, 1122, 3344, 1,
	    "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "tcp v4 seed 1 (tshark)" },

	/* baseline_deflt.json */
	{ 6, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, 0,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "icmp6 NS" },
	{ 6, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 135, 0,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "icmp6 NA reply" },
	{ 6, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 135, 136, 0,
	    "1:zavyT/cezQr1fmImYCwYnMXbgck=", "icmp6 NS other way" },
	{ 6, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 136, 135, 0,
	    "1:zavyT/cezQr1fmImYCwYnMXbgck=", "icmp6 NA other way" },
	{ 6, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, 0,
	    "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "icmp6 time exceeded" },
	{ 6, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 1, 4, 0,
	    "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "icmp6 unreachable" },
	{ 6, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 58, 128, 129, 0,
	    "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "icmp6 echo request" },
	{ 6, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 129, 128, 0,
	    "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "icmp6 echo reply" },
	{ 6, "fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 134, 0,
	    "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "icmp6 RS" },
	{ 6, "fe80::260:97ff:fe07:69ea", "ff02::1", 58, 134, 133, 0,
	    "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "icmp6 RA" },
	{ 4, "192.168.0.89", "192.168.0.1", 1, 8, 0, 0,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "icmp echo" },
	{ 4, "192.168.0.1", "192.168.0.89", 1, 0, 8, 0,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "icmp echo reply" },
	{ 4, "10.0.0.1", "10.0.0.2", 1, 11, 0, 0,
	    "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "icmp time exceeded" },
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 6, 63943, 25, 0,
	    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "tcp v6" },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 6, 25, 63943, 0,
	    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "tcp v6 reversed" },
	{ 4, "192.168.170.8", "192.168.170.56", 132, 7, 7, 0,
	    "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "sctp" },
	{ 4, "192.168.170.56", "192.168.170.8", 132, 7, 7, 0,
	    "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "sctp reversed" },
	{ 4, "128.232.110.120", "66.35.250.204", 6, 34855, 80, 0,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "tcp v4 http" },
	{ 4, "66.35.250.204", "128.232.110.120", 6, 80, 34855, 0,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "tcp v4 http reversed" },
	{ 4, "192.168.1.52", "8.8.8.8", 17, 54585, 53, 0,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "udp dns" },
	{ 4, "8.8.8.8", "192.168.1.52", 17, 53, 54585, 0,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "udp dns reversed" },
	{ 4, "10.1.12.1", "10.1.12.2", 46, 0, 0, 0,
	    "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "rsvp (no ports)" },
	{ 4, "10.1.12.2", "10.1.12.1", 46, 0, 0, 0,
	    "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "rsvp reversed" },

	/* baseline_seed1.json */
	{ 6, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 136, 1,
	    "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=", "seed1 icmp6 NS" },
	{ 6, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, 1,
	    "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=", "seed1 icmp6 time exceeded" },
	{ 4, "192.168.0.1", "192.168.0.89", 1, 0, 8, 1,
	    "1:03g6IloqVBdcZlPyX8r0hgoE7kA=", "seed1 icmp echo reply" },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 6, 25, 63943, 1,
	    "1:eJYTW6AOzFLlSUoESovMjnu7rMw=", "seed1 tcp v6" },
	{ 4, "192.168.170.56", "192.168.170.8", 132, 7, 7, 1,
	    "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=", "seed1 sctp" },
	{ 4, "8.8.8.8", "192.168.1.52", 17, 53, 54585, 1,
	    "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=", "seed1 udp" },
	{ 4, "10.1.12.2", "10.1.12.1", 46, 0, 0, 1,
	    "1:rYir8gphR31noO9iDRQmF/BteEI=", "seed1 rsvp" },

	/*
	 * The mapping itself: decode may store the raw code in dport; the
	 * request/reply types must still map to their counterpart.
	 */
	{ 6, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 0, 0,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "icmp6 NS, code in dport" },
	{ 4, "192.168.0.1", "192.168.0.89", 1, 0, 0, 0,
	    "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "icmp echo reply, code in dport" },

	/* tshark: one-way ICMP keeps its orientation (no swap). */
	{ 4, "10.0.0.2", "10.0.0.1", 1, 3, 1, 0,
	    "1:JHjlyD5IJJjl3wHWOMj46lLWZag=", "icmp unreachable hi->lo (tshark)" },
	{ 4, "10.0.0.1", "10.0.0.2", 1, 3, 1, 0,
	    "1:gkoOC4ouXvyYq0Ek/WqwbLoqcxM=", "icmp unreachable lo->hi (tshark)" },
	{ 4, "10.0.0.2", "10.0.0.1", 1, 3, 1, 1,
	    "1:LRuJRt81FHpoxjuGvzJgKr7bdys=", "icmp unreachable seed 1 (tshark)" },
	/* tshark: router advertisement/solicitation pair. */
	{ 4, "192.168.0.1", "192.168.0.2", 1, 9, 0, 0,
	    "1:fbSCLwsM6G/F14WENOfxq/WJHS4=", "icmp RA (tshark)" },
	{ 4, "192.168.0.2", "192.168.0.1", 1, 10, 0, 0,
	    "1:fbSCLwsM6G/F14WENOfxq/WJHS4=", "icmp RS (tshark)" },
	{ 4, "192.168.0.2", "192.168.0.1", 1, 8, 0, 0,
	    "1:+3ZqL+DmpJPT9M5IJ86ohfC6e/I=", "icmp echo hi->lo (tshark)" },
	/* tshark: ICMPv6 node information query/response (139/140). */
	{ 6, "fe80::2", "fe80::1", 58, 139, 0, 0,
	    "1:LKvUqbovyorzH3vEr5qb4x1R1yg=", "icmp6 NI query (tshark)" },
	{ 6, "fe80::1", "fe80::2", 58, 140, 0, 0,
	    "1:LKvUqbovyorzH3vEr5qb4x1R1yg=", "icmp6 NI response (tshark)" },
	/* tshark: 146 (mobile prefix solicitation) has no counterpart in v1. */
	{ 6, "fe80::2", "fe80::1", 58, 146, 0, 0,
	    "1:UMYEnWXXJ9+nbyoj10xPzYoUBio=", "icmp6 146 one-way (tshark)" },
	{ 6, "fe80::2", "fe80::1", 58, 1, 4, 0,
	    "1:KP7k20289QLlEmMHLKdRgaeGmfo=", "icmp6 unreachable hi->lo (tshark)" },
	/* tshark: equal addresses, the ports decide. */
	{ 4, "10.1.1.1", "10.1.1.1", 17, 5000, 53, 0,
	    "1:KhTs1UMouIavJBLXfCrZHWBrM3U=", "udp same addr (tshark)" },
	{ 4, "10.1.1.1", "10.1.1.1", 17, 53, 5000, 0,
	    "1:KhTs1UMouIavJBLXfCrZHWBrM3U=", "udp same addr reversed (tshark)" },
	{ 4, "10.9.9.9", "10.1.1.1", 132, 7, 9, 0,
	    "1:utrgzUHo9xD1ogPrFNaRi9x6SDU=", "sctp hi->lo (tshark)" },
	/* tshark: an address-only protocol; ports in the key are ignored. */
	{ 4, "10.1.12.1", "10.1.12.2", 99, 0, 0, 0,
	    "1:g/Os4rt2xfkOuGnMXXPfZ0IAjDs=", "proto 99 (tshark)" },
	{ 4, "10.1.12.2", "10.1.12.1", 99, 1234, 5678, 0,
	    "1:g/Os4rt2xfkOuGnMXXPfZ0IAjDs=", "proto 99 reversed, junk ports" },
};

static struct flow_key make_key(const struct cid_case *c)
{
	struct flow_key k;
	int af = c->family == 6 ? AF_INET6 : AF_INET;

	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)c->family;
	k.proto = c->proto;
	k.sport = c->sport;
	k.dport = c->dport;
	test_cond("inet_pton src", inet_pton(af, c->src, k.src) == 1);
	test_cond("inet_pton dst", inet_pton(af, c->dst, k.dst) == 1);
	return k;
}

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cid_case *c = &cases[i];
		struct flow_key k = make_key(c);
		char out[32];
		int rc;

		memset(out, 'x', sizeof(out));
		rc = community_id_v1(&k, c->seed, out, sizeof(out));
		test_cond(c->what, rc == 0 && strcmp(out, c->want) == 0);
		if (rc != 0 || strcmp(out, c->want) != 0)
			printf("  got %s want %s\n", rc == 0 ? out : "(error)", c->want);
	}
}

/* Every port-carrying vector gives the same id from the other side. */
static void test_reverse(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cid_case *c = &cases[i];
		struct flow_key k = make_key(c), r;
		char a[32], b[32];

		if (c->proto == 1 || c->proto == 58)
			continue;	/* ICMP reversal is not a port swap */
		r = flow_key_reverse(&k);
		test_cond("reverse: rc", community_id_v1(&k, c->seed, a, sizeof(a)) == 0 &&
		    community_id_v1(&r, c->seed, b, sizeof(b)) == 0);
		test_cond(c->what, strcmp(a, b) == 0);
	}
}

/* The VLAN tags are not part of a v1 id; the output buffer size is checked. */
static void test_misc(void)
{
	struct flow_key k = make_key(&cases[0]);
	char out[32], small[30];

	k.vlan[0] = 100;
	k.nvlan = 1;
	test_cond("vlan ignored", community_id_v1(&k, 0, out, sizeof(out)) == 0 &&
	    strcmp(out, "1:wCb3OG7yAFWelaUydu0D+125CLM=") == 0);
	test_eq_u64("length", strlen(out), 30);
	test_cond("buffer of 31 is enough", community_id_v1(&k, 0, out, 31) == 0 &&
	    strcmp(out, "1:wCb3OG7yAFWelaUydu0D+125CLM=") == 0);
	test_cond("buffer too small", community_id_v1(&k, 0, small, sizeof(small)) == -1);
	test_cond("too small gives empty string", small[0] == '\0');
}

int main(void)
{
	test_vectors();
	test_reverse();
	test_misc();
	return test_report();
}
