/*
 * config_test.c - sensor/config.c: defaults, every key type, nested keys,
 * every error kind with its "FILE:LINE: key: message", the sample file
 * deploy/spanlog.yaml, and the cross-field checks of config_validate.
 *
 * Expected defaults and ranges come from the configuration spec (the issue
 * and deploy/spanlog.yaml's comments), not from running the parser.  Line
 * numbers in expected errors are counted by hand: each YAML line of a test
 * input is one C string line below, numbered in a comment.
 * Runs from the repository root (the sample is read as deploy/spanlog.yaml).
 */
#include "sensor/config.h"

#include <string.h>
#include <unistd.h>

#include "tests/unit/testhelp.h"

static char err[512];

static int load(struct config *c, const char *yaml)
{
	err[0] = '\0';
	return config_load_string(c, yaml, strlen(yaml), "t.yaml", err,
	    sizeof(err));
}

/* Loads yaml on top of defaults; the load must fail with exactly 'want'. */
static void expect_err(const char *yaml, const char *want, int line)
{
	struct config c, before;

	config_defaults(&c);
	before = c;
	if (load(&c, yaml) == 0) {
		test_failed++;
		printf("FAIL config_test.c:%d: accepted, want \"%s\"\n", line,
		    want);
		return;
	}
	if (strcmp(err, want) != 0) {
		test_failed++;
		printf("FAIL config_test.c:%d: got \"%s\"\n"
		    "                      want \"%s\"\n", line, err, want);
		return;
	}
	test_passed++;
	/* all or nothing: a failed load leaves the config untouched */
	test_cond("failed load changes nothing",
	    memcmp(&c, &before, sizeof(c)) == 0);
}
#define EXPECT_ERR(y, w) expect_err(y, w, __LINE__)

/* Same, but only the "t.yaml:LINE: " prefix is fixed (libyaml wording). */
static void expect_err_prefix(const char *yaml, const char *want, int line)
{
	struct config c;

	config_defaults(&c);
	if (load(&c, yaml) == 0 || strncmp(err, want, strlen(want)) != 0 ||
	    strstr(err, "YAML syntax error") == NULL) {
		test_failed++;
		printf("FAIL config_test.c:%d: got \"%s\", want prefix \"%s\"\n",
		    line, err, want);
		return;
	}
	test_passed++;
}
#define EXPECT_ERR_PREFIX(y, w) expect_err_prefix(y, w, __LINE__)

/* The spec's defaults, field by field; 'sensor' is checked separately. */
static void check_defaults(const struct config *c, const char *what)
{
	printf("-- %s\n", what);
	test_cond("iface empty", strcmp(c->iface, "") == 0);
	test_cond("bpf empty", strcmp(c->bpf, "") == 0);
	test_eq_u64("snaplen", c->snaplen, 262144);
	test_eq_u64("buffer_mb", c->buffer_mb, 64);
	test_eq_u64("promisc", c->promisc, 1);
	test_eq_u64("workers", c->workers, 0);
	test_cond("out_file -", strcmp(c->out_file, "-") == 0);
	test_eq_u64("max_flows", c->max_flows, 262144);
	test_eq_u64("timeout_tcp", c->timeout_tcp, 3600);
	test_eq_u64("timeout_tcp_closed", c->timeout_tcp_closed, 30);
	test_eq_u64("timeout_tcp_syn", c->timeout_tcp_syn, 60);
	test_eq_u64("timeout_udp", c->timeout_udp, 60);
	test_eq_u64("timeout_icmp", c->timeout_icmp, 30);
	test_eq_u64("timeout_other", c->timeout_other, 60);
	test_eq_u64("reasm_memcap_mb", c->reasm_memcap_mb, 256);
	test_eq_u64("reasm_depth_kb", c->reasm_depth_kb, 0);
	test_cond("dissect_enabled", c->dissect_enabled);
	test_eq_u64("reasm_max_ooo_kb", c->reasm_max_ooo_kb, 256);
	test_eq_u64("app_buffer_kb", c->app_buffer_kb, 64);
	test_eq_u64("frag_memcap_mb", c->frag_memcap_mb, 32);
	test_eq_u64("frag_timeout", c->frag_timeout, 30);
	test_eq_u64("ndpi_enabled", c->ndpi_enabled, 1);
	test_eq_u64("ndpi_max_packets", c->ndpi_max_packets, 32);
	test_eq_u64("stats_interval", c->stats_interval, 60);
	test_cond("geoip_city empty", strcmp(c->geoip_city, "") == 0);
	test_cond("geoip_asn empty", strcmp(c->geoip_asn, "") == 0);
}

static void test_defaults(void)
{
	struct config c;
	char host[256];

	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	check_defaults(&c, "defaults");
	test_eq_u64("nread", c.nread, 0);
	test_eq_u64("progress_set", c.progress_set, 0);
	test_eq_u64("progress", c.progress, 0);
	memset(host, 0, sizeof(host));
	if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0' &&
	    strlen(host) < sizeof(c.sensor))
		test_cond("sensor = hostname", strcmp(c.sensor, host) == 0);
	else
		test_cond("sensor = spanlog", strcmp(c.sensor, "spanlog") == 0);
}

/* Every key set to a value that is not its default. */
static void test_every_key(void)
{
	static const char yaml[] =
	    "sensor: edge-7\n"
	    "capture:\n"
	    "  interface: eth1\n"
	    "  bpf: 'tcp port 502 or udp'\n"
	    "  snaplen: 1514\n"
	    "  buffer_mb: 128\n"
	    "  promisc: off\n"
	    "workers: 256\n"
	    "output:\n"
	    "  file: \"/var/log/spanlog/eve.json\"\n"
	    "flows:\n"
	    "  max_flows: 1024\n"
	    "  timeouts:\n"
	    "    tcp: 86400\n"
	    "    tcp_closed: 1\n"
	    "    tcp_syn: 11\n"
	    "    udp: 12\n"
	    "    icmp: 13\n"
	    "    other: 14\n"
	    "reassembly:\n"
	    "  memcap_mb: 512\n"
	    "  depth_kb: 7\n"
	    "  max_ooo_kb: 1048576\n"
	    "  app_buffer_kb: 16384\n"
	    "fragments: {memcap_mb: 8, timeout: 600}\n"
	    "ndpi:\n"
	    "  enabled: no\n"
	    "  max_packets: 1000\n"
	    "stats:\n"
	    "  interval: 0\n";
	struct config c;

	config_defaults(&c);
	test_cond("every key loads", load(&c, yaml) == 0);
	if (err[0])
		printf("   %s\n", err);
	test_cond("sensor", strcmp(c.sensor, "edge-7") == 0);
	test_cond("iface", strcmp(c.iface, "eth1") == 0);
	test_cond("bpf", strcmp(c.bpf, "tcp port 502 or udp") == 0);
	test_eq_u64("snaplen", c.snaplen, 1514);
	test_eq_u64("buffer_mb", c.buffer_mb, 128);
	test_eq_u64("promisc", c.promisc, 0);
	test_eq_u64("workers", c.workers, 256);
	test_cond("out_file", strcmp(c.out_file, "/var/log/spanlog/eve.json") == 0);
	test_eq_u64("max_flows", c.max_flows, 1024);
	test_eq_u64("tcp", c.timeout_tcp, 86400);
	test_eq_u64("tcp_closed", c.timeout_tcp_closed, 1);
	test_eq_u64("tcp_syn", c.timeout_tcp_syn, 11);
	test_eq_u64("udp", c.timeout_udp, 12);
	test_eq_u64("icmp", c.timeout_icmp, 13);
	test_eq_u64("other", c.timeout_other, 14);
	test_eq_u64("memcap_mb", c.reasm_memcap_mb, 512);
	test_eq_u64("depth_kb", c.reasm_depth_kb, 7);
	test_eq_u64("max_ooo_kb", c.reasm_max_ooo_kb, 1048576);
	test_eq_u64("app_buffer_kb", c.app_buffer_kb, 16384);
	test_eq_u64("frag memcap (flow style)", c.frag_memcap_mb, 8);
	test_eq_u64("frag timeout (flow style)", c.frag_timeout, 600);
	test_eq_u64("ndpi enabled", c.ndpi_enabled, 0);
	test_eq_u64("ndpi max_packets", c.ndpi_max_packets, 1000);
	test_eq_u64("stats interval", c.stats_interval, 0);
	test_eq_u64("nread untouched", c.nread, 0);
}

static void test_types(void)
{
	static const struct {
		const char *text;
		int want;
	} bools[] = {
		{ "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
		{ "on", 1 }, { "off", 0 }, { "True", 1 }, { "OFF", 0 },
	};
	char buf[128];
	struct config c;
	size_t i;

	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		config_defaults(&c);
		c.ndpi_enabled = !bools[i].want;
		snprintf(buf, sizeof(buf), "ndpi:\n  enabled: %s\n",
		    bools[i].text);
		test_cond(bools[i].text, load(&c, buf) == 0 &&
		    c.ndpi_enabled == bools[i].want);
	}

	/* integer edges: min and max of a range are accepted */
	config_defaults(&c);
	test_cond("snaplen 64", load(&c, "capture: {snaplen: 64}\n") == 0 &&
	    c.snaplen == 64);
	test_cond("max_flows 100000000",
	    load(&c, "flows: {max_flows: 100000000}\n") == 0 &&
	    c.max_flows == 100000000);
	test_cond("workers 0", load(&c, "workers: 0\n") == 0 && c.workers == 0);

	/* strings: quoting styles, 63 bytes fit, null forms empty the field */
	config_defaults(&c);
	test_cond("single quoted", load(&c, "sensor: 'a b'\n") == 0 &&
	    strcmp(c.sensor, "a b") == 0);
	test_cond("double quoted escape", load(&c, "sensor: \"x\\ty\"\n") == 0 &&
	    strcmp(c.sensor, "x\ty") == 0);
	test_cond("number-looking string", load(&c, "sensor: 42\n") == 0 &&
	    strcmp(c.sensor, "42") == 0);
	memset(buf, 'a', 63);
	buf[63] = '\0';
	{
		char y[160];

		snprintf(y, sizeof(y), "sensor: %s\n", buf);
		test_cond("63-byte sensor fits", load(&c, y) == 0 &&
		    strlen(c.sensor) == 63);
	}
	strcpy(c.bpf, "tcp");
	test_cond("empty value", load(&c, "capture:\n  bpf:\n") == 0 &&
	    c.bpf[0] == '\0');
	strcpy(c.bpf, "tcp");
	test_cond("~ value", load(&c, "capture:\n  bpf: ~\n") == 0 &&
	    c.bpf[0] == '\0');
	strcpy(c.bpf, "tcp");
	test_cond("quoted empty", load(&c, "capture:\n  bpf: \"\"\n") == 0 &&
	    c.bpf[0] == '\0');
	test_cond("quoted null is a string",
	    load(&c, "capture:\n  bpf: 'null'\n") == 0 &&
	    strcmp(c.bpf, "null") == 0);
	test_cond("block scalar",
	    load(&c, "capture:\n  bpf: >-\n    tcp and\n    port 80\n") == 0 &&
	    strcmp(c.bpf, "tcp and port 80") == 0);

	/* documents that set nothing */
	config_defaults(&c);
	c.workers = 9;
	test_cond("empty input", load(&c, "") == 0 && c.workers == 9);
	test_cond("comments only", load(&c, "# nothing\n\n# here\n") == 0 &&
	    c.workers == 9);
	test_cond("bare ---", load(&c, "---\n") == 0 && c.workers == 9);
	test_cond("--- ...", load(&c, "---\nworkers: 3\n...\n") == 0 &&
	    c.workers == 3);
	test_cond("empty section", load(&c, "ndpi:\nstats: {}\n") == 0);
}

static void test_nested(void)
{
	struct config c;

	config_defaults(&c);
	test_cond("3 levels", load(&c,
	    "flows:\n  timeouts:\n    udp: 7\n") == 0 && c.timeout_udp == 7);
	test_cond("siblings untouched", c.timeout_tcp == 3600 &&
	    c.max_flows == 262144);
	test_cond("flow style nested", load(&c,
	    "flows: {timeouts: {icmp: 9}, max_flows: 5000}\n") == 0 &&
	    c.timeout_icmp == 9 && c.max_flows == 5000 && c.timeout_udp == 7);
	test_cond("sections in any order", load(&c,
	    "stats:\n  interval: 5\nflows:\n  timeouts:\n    other: 8\n"
	    "capture:\n  snaplen: 128\n") == 0 && c.stats_interval == 5 &&
	    c.timeout_other == 8 && c.snaplen == 128);
}

static void test_errors(void)
{
	char y[256], w[256];

	/* unknown keys */
	EXPECT_ERR("workers: 1\n"		/* 1 */
	    "bogus: 1\n",			/* 2 */
	    "t.yaml:2: bogus: unknown key");
	EXPECT_ERR("flows:\n"			/* 1 */
	    "  max_flows: 2000\n"		/* 2 */
	    "  timeouts:\n"			/* 3 */
	    "    udp: 5\n"			/* 4 */
	    "    sctp: 5\n",			/* 5 */
	    "t.yaml:5: flows.timeouts.sctp: unknown key");
	EXPECT_ERR("capture:\n"			/* 1 */
	    "  foo:\n"				/* 2 */
	    "    bar: 1\n",			/* 3 */
	    "t.yaml:2: capture.foo: unknown key");
	EXPECT_ERR("timeouts:\n  udp: 5\n",	/* a section at the wrong level */
	    "t.yaml:1: timeouts: unknown key");
	EXPECT_ERR("flows.max_flows: 5000\n",	/* dotted keys are not paths */
	    "t.yaml:1: flows.max_flows: unknown key");
	EXPECT_ERR("capture:\n  snaplen: 100\n  Snaplen: 100\n",
	    "t.yaml:3: capture.Snaplen: unknown key");

	/* a 150-byte key: the path in the message is cut to 127 bytes */
	snprintf(y, sizeof(y), "capture:\n  %0150d: 1\n", 0);
	snprintf(w, sizeof(w), "t.yaml:2: capture.%0119d: unknown key", 0);
	EXPECT_ERR(y, w);
	EXPECT_ERR("\"work\\0ers\": 1\n", "t.yaml:1: work: unknown key");
	EXPECT_ERR("'': 1\n", "t.yaml:1: unknown key");
	EXPECT_ERR("ndpi:\n  '': 1\n", "t.yaml:2: ndpi.: unknown key");

	/* duplicates: leaf, section, nested leaf, across flow/block style */
	EXPECT_ERR("workers: 1\n"		/* 1 */
	    "workers: 2\n",			/* 2 */
	    "t.yaml:2: workers: duplicate key");
	EXPECT_ERR("flows:\n"			/* 1 */
	    "  max_flows: 2000\n"		/* 2 */
	    "stats:\n"				/* 3 */
	    "  interval: 5\n"			/* 4 */
	    "flows:\n"				/* 5 */
	    "  max_flows: 3000\n",		/* 6 */
	    "t.yaml:5: flows: duplicate key");
	EXPECT_ERR("flows:\n"			/* 1 */
	    "  timeouts:\n"			/* 2 */
	    "    udp: 1\n"			/* 3 */
	    "    tcp: 2\n"			/* 4 */
	    "    udp: 3\n",			/* 5 */
	    "t.yaml:5: flows.timeouts.udp: duplicate key");
	EXPECT_ERR("ndpi: {enabled: yes, enabled: no}\n",
	    "t.yaml:1: ndpi.enabled: duplicate key");

	/* wrong shape */
	EXPECT_ERR("capture:\n"			/* 1 */
	    "  snaplen:\n"			/* 2 */
	    "    a: 1\n",			/* 3 */
	    "t.yaml:2: capture.snaplen: expected a scalar, found a mapping");
	EXPECT_ERR("workers: [1, 2]\n",
	    "t.yaml:1: workers: expected a scalar, found a sequence");
	EXPECT_ERR("sensor:\n  - a\n",
	    "t.yaml:1: sensor: expected a scalar, found a sequence");
	EXPECT_ERR("workers: 1\nflows: 5\n",
	    "t.yaml:2: flows: expected a mapping, found a scalar");
	EXPECT_ERR("flows:\n  timeouts: [1]\n",
	    "t.yaml:2: flows.timeouts: expected a mapping, found a sequence");
	EXPECT_ERR("- workers\n- 1\n",
	    "t.yaml:1: expected a mapping at the top level, found a sequence");
	EXPECT_ERR("just text\n",
	    "t.yaml:1: expected a mapping at the top level, found a scalar");
	EXPECT_ERR("workers: 1\n? [a]\n: 1\n",
	    "t.yaml:2: expected a scalar key, found a sequence");
	EXPECT_ERR("capture:\n"			/* 1 */
	    "  snaplen: &n 1500\n"		/* 2 */
	    "  buffer_mb: *n\n",		/* 3 */
	    "t.yaml:3: capture.buffer_mb: aliases are not supported");
	EXPECT_ERR("workers: 1\n"		/* 1 */
	    "---\n"				/* 2 */
	    "workers: 2\n",			/* 3 */
	    "t.yaml:2: only one YAML document is allowed");

	/* integers: decimal only, in range */
	static const char *const bad_ints[] = {
		"-1", "+1", "0x10", "010", "1.5", "1e3", "abc", "\"4\"", "'4'",
		"4294967296", "99999999999999999999", "", "~", "257", "1 2",
	};
	for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
		snprintf(y, sizeof(y), "stats:\n  interval: 1\nworkers: %s\n",
		    bad_ints[i]);
		EXPECT_ERR(y, "t.yaml:3: workers: expected an integer from 0 to 256");
	}
	EXPECT_ERR("flows:\n  max_flows: 1023\n", "t.yaml:2: flows.max_flows: "
	    "expected an integer from 1024 to 100000000");
	EXPECT_ERR("flows:\n  max_flows: 100000001\n", "t.yaml:2: "
	    "flows.max_flows: expected an integer from 1024 to 100000000");
	EXPECT_ERR("capture: {snaplen: 63}\n",
	    "t.yaml:1: capture.snaplen: expected an integer from 64 to 262144");
	EXPECT_ERR("flows:\n  timeouts:\n    tcp: 0\n", "t.yaml:3: "
	    "flows.timeouts.tcp: expected an integer from 1 to 86400");

	/* booleans */
	static const char *const bad_bools[] = {
		"maybe", "1", "0", "y", "n", "\"true\"", "'yes'", "", "truee",
	};
	for (size_t i = 0; i < sizeof(bad_bools) / sizeof(bad_bools[0]); i++) {
		snprintf(y, sizeof(y), "capture:\n  snaplen: 100\n"
		    "  promisc: %s\n", bad_bools[i]);
		EXPECT_ERR(y, "t.yaml:3: capture.promisc: "
		    "expected true/false, yes/no or on/off");
	}

	/* strings */
	snprintf(y, sizeof(y), "workers: 1\nsensor: %064d\n", 0);
	EXPECT_ERR(y, "t.yaml:2: sensor: longer than 63 bytes");
	EXPECT_ERR("capture:\n  interface: \"eth\\0x\"\n",
	    "t.yaml:2: capture.interface: contains a NUL byte");

	/* syntax errors: the line is ours to check, the wording is libyaml's */
	EXPECT_ERR_PREFIX("workers: 1\n"	/* 1 */
	    "stats:\n"				/* 2 */
	    "  interval: 5: 6\n",		/* 3 */
	    "t.yaml:3: ");
	EXPECT_ERR_PREFIX("capture:\n"		/* 1 */
	    "\tsnaplen: 100\n",			/* 2: tab indentation */
	    "t.yaml:2: ");
	EXPECT_ERR_PREFIX("workers: 1\n"	/* 1 */
	    "capture:\n"			/* 2 */
	    "  snaplen: 100\n"			/* 3 */
	    " bpf: tcp\n",			/* 4: bad indentation */
	    "t.yaml:4: ");
	EXPECT_ERR_PREFIX("workers: 1\n"	/* 1 */
	    "sensor: \xff\xfe\n",		/* 2: not UTF-8 */
	    "t.yaml:2: ");
	EXPECT_ERR_PREFIX("capture:\n"		/* 1 */
	    "  snaplen: 100\n"			/* 2 */
	    "  - a\n",				/* 3: a list item in a mapping */
	    "t.yaml:3: ");
}

static void test_sample(void)
{
	struct config c;

	/* start far from the defaults: the sample must set every key back */
	memset(&c, 0, sizeof(c));
	strcpy(c.sensor, "keep-me");
	strcpy(c.iface, "x");
	strcpy(c.bpf, "x");
	strcpy(c.out_file, "x");
	strcpy(c.geoip_city, "x");
	strcpy(c.geoip_asn, "x");
	c.promisc = false;
	c.ndpi_enabled = false;
	err[0] = '\0';
	test_cond("deploy/spanlog.yaml loads",
	    config_load(&c, "deploy/spanlog.yaml", err, sizeof(err)) == 0);
	if (err[0])
		printf("   %s\n", err);
	check_defaults(&c, "sample file sets every key to its default");
	test_cond("sample leaves sensor alone", strcmp(c.sensor, "keep-me") == 0);

	err[0] = '\0';
	test_cond("missing file fails",
	    config_load(&c, "deploy/no-such.yaml", err, sizeof(err)) < 0 &&
	    strncmp(err, "deploy/no-such.yaml: ", 21) == 0);
}

static void expect_invalid(const struct config *c, const char *want,
    int line)
{
	err[0] = '\0';
	if (config_validate(c, err, sizeof(err)) == 0 ||
	    strncmp(err, want, strlen(want)) != 0) {
		test_failed++;
		printf("FAIL config_test.c:%d: got \"%s\", want prefix \"%s\"\n",
		    line, err, want);
		return;
	}
	test_passed++;
}
#define EXPECT_INVALID(c, w) expect_invalid(c, w, __LINE__)

static void test_validate(void)
{
	struct config c;

	config_defaults(&c);
	EXPECT_INVALID(&c, "nothing to read");
	c.read[0] = "a.pcap";
	c.nread = 1;
	test_cond("defaults + -r valid", config_validate(&c, err, sizeof(err)) == 0);
	strcpy(c.iface, "eth0");
	EXPECT_INVALID(&c, "capture.interface: ");
	c.nread = 0;
	test_cond("defaults + iface valid",
	    config_validate(&c, err, sizeof(err)) == 0);

	c.workers = 257;
	EXPECT_INVALID(&c, "workers: ");
	c.workers = 256;
	test_cond("256 workers", config_validate(&c, err, sizeof(err)) == 0);

	c.reasm_memcap_mb = 1;
	c.reasm_max_ooo_kb = 1025;
	c.app_buffer_kb = 64;
	EXPECT_INVALID(&c, "reassembly.max_ooo_kb: ");
	c.reasm_max_ooo_kb = 1024;
	test_cond("ooo == memcap", config_validate(&c, err, sizeof(err)) == 0);
	c.reasm_memcap_mb = 256;

	c.snaplen = 0;		/* as a command-line flag could set it */
	EXPECT_INVALID(&c, "capture.snaplen: ");
	c.snaplen = 1500;
	c.timeout_udp = 0;
	EXPECT_INVALID(&c, "flows.timeouts.udp: ");
	c.timeout_udp = 60;
	c.sensor[0] = '\0';
	EXPECT_INVALID(&c, "sensor: ");
	strcpy(c.sensor, "s");
	c.iface[0] = '\0';
	c.nread = 1;
	c.read[0] = "";
	EXPECT_INVALID(&c, "-r: ");
	c.read[0] = "b.pcap";
	c.nread = CONFIG_MAX_READ + 1;
	EXPECT_INVALID(&c, "-r: ");
	c.nread = 1;
	test_cond("back to valid", config_validate(&c, err, sizeof(err)) == 0);

	/* ot.assets_realtime: auto = live only */
	test_cond("assets_realtime default auto",
	    strcmp(c.ot_assets_realtime, "auto") == 0);
	test_eq_u64("auto, -r files: off", config_assets_realtime(&c), 0);
	strcpy(c.ot_assets_realtime, "yes");
	test_eq_u64("yes: on", config_assets_realtime(&c), 1);
	strcpy(c.ot_assets_realtime, "maybe");
	EXPECT_INVALID(&c, "ot.assets_realtime: ");
	strcpy(c.ot_assets_realtime, "auto");
	c.nread = 0;
	strcpy(c.iface, "eth0");
	test_eq_u64("auto, live: on", config_assets_realtime(&c), 1);
	test_cond("back to valid, live",
	    config_validate(&c, err, sizeof(err)) == 0);
}

/* redis: defaults from issue 5's design, every key, the tls: section. */
static void test_redis(void)
{
	static const char yaml[] =
	    "redis:\n"
	    "  url: rediss://spanlog@redis.example.org:6380/2\n"
	    "  password_file: /etc/spanlog/redis.pw\n"
	    "  password_env: SPANLOG_REDIS_PW\n"
	    "  prefix: spanlog:edge\n"
	    "  maxlen: 0\n"
	    "  maxlen_device: 500\n"
	    "  device_streams: yes\n"
	    "  queue_events: 16\n"
	    "  batch: 100\n"
	    "  flush_ms: 100\n"
	    "  timeout_ms: 100\n"
	    "  drain_timeout_ms: 0\n"
	    "  spool_dir: /var/spool/spanlog\n"
	    "  spool_max_mb: 1\n"
	    "  tls:\n"
	    "    ca_file: /etc/ssl/ca.pem\n"
	    "    cert_file: /etc/ssl/c.pem\n"
	    "    key_file: /etc/ssl/c.key\n";
	struct config c;

	config_defaults(&c);
	test_cond("redis off by default", c.redis_url[0] == '\0');
	test_cond("no spool by default", c.redis_spool_dir[0] == '\0');
	test_cond("prefix default empty (= spanlog:<sensor>)",
	    c.redis_prefix[0] == '\0');
	test_eq_u64("redis flush_ms default <= 100", c.redis_flush_ms <= 100, 1);
	test_eq_u64("redis drain default 5 s", c.redis_drain_ms, 5000);
	test_eq_u64("redis device_streams default off", c.redis_device_streams, 0);
	test_cond("every redis key loads", load(&c, yaml) == 0);
	if (err[0])
		printf("   %s\n", err);
	test_cond("url", strcmp(c.redis_url,
	    "rediss://spanlog@redis.example.org:6380/2") == 0);
	test_cond("password_file", strcmp(c.redis_password_file,
	    "/etc/spanlog/redis.pw") == 0);
	test_cond("password_env", strcmp(c.redis_password_env,
	    "SPANLOG_REDIS_PW") == 0);
	test_cond("prefix", strcmp(c.redis_prefix, "spanlog:edge") == 0);
	test_eq_u64("maxlen", c.redis_maxlen, 0);
	test_eq_u64("maxlen_device", c.redis_maxlen_device, 500);
	test_eq_u64("device_streams", c.redis_device_streams, 1);
	test_eq_u64("queue_events", c.redis_queue_events, 16);
	test_eq_u64("batch", c.redis_batch, 100);
	test_eq_u64("flush_ms", c.redis_flush_ms, 100);
	test_eq_u64("timeout_ms", c.redis_timeout_ms, 100);
	test_eq_u64("drain_timeout_ms", c.redis_drain_ms, 0);
	test_cond("spool_dir", strcmp(c.redis_spool_dir, "/var/spool/spanlog") == 0);
	test_eq_u64("spool_max_mb", c.redis_spool_max_mb, 1);
	test_cond("tls.ca_file", strcmp(c.redis_tls_ca, "/etc/ssl/ca.pem") == 0);
	test_cond("tls.cert_file", strcmp(c.redis_tls_cert, "/etc/ssl/c.pem") == 0);
	test_cond("tls.key_file", strcmp(c.redis_tls_key, "/etc/ssl/c.key") == 0);
	/* the 100 ms delivery bound of the issue cannot be configured away */
	EXPECT_ERR("redis:\n  flush_ms: 101\n",
	    "t.yaml:2: redis.flush_ms: expected an integer from 1 to 100");
	EXPECT_ERR("redis:\n  queue_events: 15\n",
	    "t.yaml:2: redis.queue_events: expected an integer from 16 to 10000000");
}

int main(void)
{
	test_redis();
	test_defaults();
	test_every_key();
	test_types();
	test_nested();
	test_errors();
	test_sample();
	test_validate();
	return test_report();
}
