/*
 * geoip_test.c - sensor/geoip.c on MaxMind's test databases, and the "geo"
 * object sensor/output_json.c builds from it.
 *
 * Databases and expectations come from ../shared/geoip (MaxMind-DB test
 * data): each expected value below is copied from the source JSON the test
 * database was built from, named next to it.  The broken databases in
 * bad-data/ must fail at open or give nothing at lookup, never crash (run
 * under ASan).  Skips with a message when ../shared/geoip is absent (set
 * GEOIP_TEST_DIR to use another place).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testhelp.h"
#include "../../sensor/geoip.h"
#include "../../sensor/output.h"

static const char *dir;
static char err[1024];

static const char *db(const char *name)
{
	static char path[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

/* Looks up a textual address (v4 or v6) into *g. */
static void look(const char *ip, struct ev_geo_side *g)
{
	uint8_t a[16] = { 0 };

	if (strchr(ip, ':')) {
		if (inet_pton(AF_INET6, ip, a) != 1)
			printf("bad test address %s\n", ip);
		geoip_lookup(6, a, g);
	} else {
		if (inet_pton(AF_INET, ip, a) != 1)
			printf("bad test address %s\n", ip);
		geoip_lookup(4, a, g);
	}
}

static void test_city(void)
{
	struct ev_geo_side g;

	test_cond("city db opens", geoip_open(db("GeoIP2-City-Test.mmdb"), "",
	    err, sizeof(err)) == 0);
	test_cond("active", geoip_active());
	/* GeoIP2-City-Test.json "::81.2.69.160/123": GB, London */
	look("81.2.69.160", &g);
	test_cond("81.2.69.160 valid", g.valid);
	test_cond("81.2.69.160 GB", strcmp(g.country, "GB") == 0);
	test_cond("81.2.69.160 London", strcmp(g.city, "London") == 0);
	test_eq_u64("no asn from a city db", g.asn, 0);
	/* The same as an IPv4-mapped IPv6 address. */
	look("::ffff:81.2.69.170", &g);
	test_cond("mapped: London", g.valid && strcmp(g.city, "London") == 0);
	/* "::89.160.20.112/124": SE, Linköping (UTF-8 kept whole) */
	look("89.160.20.115", &g);
	test_cond("89.160.20.115 SE", strcmp(g.country, "SE") == 0);
	test_cond("89.160.20.115 Linköping",
	    strcmp(g.city, "Link\xc3\xb6ping") == 0);
	/* "2001:480:10::/48": US, San Diego */
	look("2001:480:10::1", &g);
	test_cond("2001:480:10::1 US San Diego", g.valid &&
	    strcmp(g.country, "US") == 0 && strcmp(g.city, "San Diego") == 0);
	/* "214.78.120.0/22": US, San Diego */
	look("214.78.121.7", &g);
	test_cond("214.78.121.7 US", strcmp(g.country, "US") == 0);
	/* Not in the database: nothing, not an error. */
	look("5.5.5.5", &g);
	test_cond("5.5.5.5 absent", !g.valid && g.country[0] == '\0');
	geoip_close();
	test_cond("closed", !geoip_active());
	look("81.2.69.160", &g);
	test_cond("closed: nothing", !g.valid);
}

static void test_country_and_asn(void)
{
	struct ev_geo_side g;

	test_cond("country + asn open", geoip_open(
	    db("GeoIP2-Country-Test.mmdb"), db("GeoLite2-ASN-Test.mmdb"),
	    err, sizeof(err)) == 0);
	/* GeoIP2-Country-Test.json "::81.2.69.160/123": GB, no city level */
	look("81.2.69.161", &g);
	test_cond("country db: GB", g.valid && strcmp(g.country, "GB") == 0);
	test_cond("country db: no city", g.city[0] == '\0');
	/* GeoLite2-ASN-Test.json "1.0.0.0/24": 15169 Google Inc. */
	look("1.0.0.1", &g);
	test_eq_u64("1.0.0.1 asn", g.asn, 15169);
	test_cond("1.0.0.1 org", strcmp(g.as_org, "Google Inc.") == 0);
	/* "12.81.96.0/19": 7018, no organization */
	look("12.81.100.1", &g);
	test_eq_u64("12.81.100.1 asn", g.asn, 7018);
	test_cond("12.81.100.1 no org", g.as_org[0] == '\0' && g.valid);
	/* "2001:1700::/27": 6730 Sunrise Communications AG */
	look("2001:1700::5", &g);
	test_eq_u64("2001:1700::5 asn", g.asn, 6730);
	test_cond("2001:1700::5 org",
	    strcmp(g.as_org, "Sunrise Communications AG") == 0);
	geoip_close();
}

/* Addresses that must never be looked up, even when a db covers them. */
static void test_special(void)
{
	static const char *const special[] = {
		"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"127.0.0.1", "169.254.10.1", "100.64.0.1", "100.127.255.255",
		"224.0.0.251", "239.255.255.250", "255.255.255.255", "0.0.0.0",
		"192.0.2.1", "::", "::1", "fe80::1", "febf::1", "fd00::1",
		"fc00::1", "ff02::fb", "::ffff:10.0.0.1", "::ffff:192.168.0.1",
		"2001:db8::1",
	};
	struct ev_geo_side g;

	test_cond("open both", geoip_open(db("GeoIP2-City-Test.mmdb"),
	    db("GeoLite2-ASN-Test.mmdb"), err, sizeof(err)) == 0);
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		memset(&g, 0x5a, sizeof(g));
		look(special[i], &g);
		if (g.valid || g.country[0] || g.asn)
			printf("   special address %s was looked up\n",
			    special[i]);
		test_cond("special address: no geo", !g.valid &&
		    g.country[0] == '\0' && g.asn == 0);
	}
	geoip_close();
}

static void test_errors(void)
{
	const char *missing = db("no-such-file.mmdb");

	err[0] = '\0';
	test_cond("missing city fails", geoip_open(missing, "", err,
	    sizeof(err)) != 0);
	test_cond("missing: names the file", strstr(err, missing) != NULL);
	test_cond("missing: nothing open", !geoip_active());
	err[0] = '\0';
	test_cond("missing asn fails, city closed again", geoip_open(
	    db("GeoIP2-City-Test.mmdb"), missing, err, sizeof(err)) != 0 &&
	    !geoip_active());
	err[0] = '\0';
	test_cond("asn db as city fails", geoip_open(
	    db("GeoLite2-ASN-Test.mmdb"), "", err, sizeof(err)) != 0);
	test_cond("type: names the file and type",
	    strstr(err, "GeoLite2-ASN-Test.mmdb") && strstr(err, "GeoLite2-ASN"));
	err[0] = '\0';
	test_cond("city db as asn fails", geoip_open("",
	    db("GeoIP2-City-Test.mmdb"), err, sizeof(err)) != 0);
	test_cond("domain db as city fails", geoip_open(
	    db("GeoIP2-Domain-Test.mmdb"), "", err, sizeof(err)) != 0);
	test_cond("nothing configured: ok, inactive",
	    geoip_open("", NULL, err, sizeof(err)) == 0 && !geoip_active());
	/* A directory and a text file are not databases. */
	test_cond("directory fails", geoip_open(dir, "", err,
	    sizeof(err)) != 0);
	test_cond("README fails", geoip_open(db("README.md"), "", err,
	    sizeof(err)) != 0 && strstr(err, "README.md"));
}

/* Every broken database: a clean failure at open, or lookups that return. */
static void test_bad_data(void)
{
	static const char *const ips[] = {
		"81.2.69.160", "1.0.0.1", "2001:1700::5", "89.160.20.115",
		"214.78.121.7", "2.125.160.216", "8.8.8.8", "2001:480:10::1",
	};
	char bd[1024];
	DIR *d;
	struct dirent *de;
	int n = 0, failed_open = 0;

	snprintf(bd, sizeof(bd), "%s/bad-data", dir);
	d = opendir(bd);
	test_cond("bad-data present", d != NULL);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[2048];
		struct ev_geo_side g;

		if (!strstr(de->d_name, ".mmdb"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", bd, de->d_name);
		n++;
		for (int as_asn = 0; as_asn < 2; as_asn++) {
			err[0] = '\0';
			if (geoip_open(as_asn ? "" : path, as_asn ? path : "", err,
			    sizeof(err)) != 0) {
				failed_open++;
				if (!strstr(err, de->d_name))
					printf("   %s: message without the file "
					    "name: %s\n", de->d_name, err);
				test_cond("bad db: error names the file",
				    strstr(err, de->d_name) != NULL);
				continue;
			}
			for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
				look(ips[i], &g);
			/* Walk a spread of addresses through the tree too. */
			for (uint32_t x = 0x01000000; x < 0xdf000000; x += 0x00fb1234) {
				uint8_t a[16] = { 0 };

				a[0] = (uint8_t)(x >> 24);
				a[1] = (uint8_t)(x >> 16);
				a[2] = (uint8_t)(x >> 8);
				a[3] = (uint8_t)x;
				geoip_lookup(4, a, &g);
			}
			geoip_close();
			test_cond("bad db: lookups returned", true);
		}
	}
	closedir(d);
	printf("   %d broken databases, %d opens refused\n", n, failed_open);
	test_cond("several broken databases tried", n >= 10);
}

/* The envelope: json_event adds "geo" for public addresses only. */
static void test_json(void)
{
	struct ev_anomaly ev;
	static char buf[8192];
	size_t n;

	memset(&ev, 0, sizeof(ev));
	ev.h.type = EV_ANOMALY;
	ev.h.has_key = true;
	ev.h.key.family = 4;
	ev.h.key.proto = 17;
	inet_pton(AF_INET, "192.168.1.10", ev.h.key.src);
	inet_pton(AF_INET, "81.2.69.160", ev.h.key.dst);
	ev.code = ANOM_APP_MALFORMED;
	ev.layer = "dns";

	n = json_event(&ev.h, "t", buf, sizeof(buf) - 1);
	buf[n] = '\0';
	test_cond("json: no geo when closed", n && !strstr(buf, "\"geo\""));
	test_cond("json open", geoip_open(db("GeoIP2-City-Test.mmdb"),
	    db("GeoLite2-ASN-Test.mmdb"), err, sizeof(err)) == 0);
	n = json_event(&ev.h, "t", buf, sizeof(buf) - 1);
	buf[n] = '\0';
	test_cond("json: dest only", strstr(buf,
	    "\"geo\":{\"dest\":{\"country\":\"GB\",\"city\":\"London\"}}") != NULL);
	if (!strstr(buf, "\"geo\":{\"dest\""))
		printf("   %s\n", buf);
	inet_pton(AF_INET, "1.0.0.1", ev.h.key.src);
	n = json_event(&ev.h, "t", buf, sizeof(buf) - 1);
	buf[n] = '\0';
	test_cond("json: src asn", strstr(buf,
	    "\"src\":{\"asn\":15169,\"as_org\":\"Google Inc.\"}") != NULL);
	inet_pton(AF_INET, "10.0.0.1", ev.h.key.src);
	inet_pton(AF_INET, "10.0.0.2", ev.h.key.dst);
	n = json_event(&ev.h, "t", buf, sizeof(buf) - 1);
	buf[n] = '\0';
	test_cond("json: private pair, no geo", n && !strstr(buf, "\"geo\""));
	geoip_close();
}

int main(void)
{
	struct stat sb;

	dir = getenv("GEOIP_TEST_DIR");
	if (!dir)
		dir = "../shared/geoip";
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		printf("SKIP geoip_test: %s not found (MaxMind test "
		    "databases)\n", dir);
		return test_report();
	}
	test_city();
	test_country_and_asn();
	test_special();
	test_errors();
	test_bad_data();
	test_json();
	return test_report();
}
