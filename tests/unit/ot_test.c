/*
 * ot_test.c - the OT layer on hand-built events: the engineering rule
 * table (ot/eng_cmds.c), alerts and their aggregation (ot/alerts.c), zones
 * and policy (ot/zones.c), the asset inventory and MAC vendors
 * (ot/assets.c, ot/oui.c).
 *
 * Expected signatures are written out by hand from issue 6's list (Modbus
 * application protocol, IEEE 1815 function codes, UMAS codes), not taken
 * from the table; vendors come from the IEEE's own oui.csv (ieee-data).
 * Events are caught with out_set_hook(); no sink is open.
 */
#include <stdlib.h>
#include <string.h>

#include "ot/alerts.h"
#include "ot/assets.h"
#include "ot/eng_cmds.h"
#include "ot/oui.h"
#include "ot/zones.h"
#include "sensor/output.h"
#include "tests/unit/testhelp.h"

#define MAX_CAUGHT 4096

static struct ev_alert alerts[MAX_CAUGHT];
static int nalerts;
static struct ev_asset assets[256];
static int nassets;

static void hook(const struct ev_hdr *ev, void *arg)
{
	(void)arg;
	if (ev->type == EV_ALERT && nalerts < MAX_CAUGHT)
		alerts[nalerts++] = *(const struct ev_alert *)ev;
	if (ev->type == EV_ASSET && nassets < 256)
		assets[nassets++] = *(const struct ev_asset *)ev;
}

static void reset_caught(void)
{
	nalerts = 0;
	nassets = 0;
}

static int count_sig(const char *sig)
{
	int n = 0;

	for (int i = 0; i < nalerts; i++)
		if (strcmp(alerts[i].signature, sig) == 0)
			n++;
	return n;
}

/* ------------------------------------------------------------------------
 * Event builders
 * --------------------------------------------------------------------- */

static uint64_t next_id = 1000;

static void hdr(struct ev_hdr *h, enum ev_type t, const char *src,
    const char *dst, uint16_t dport, uint64_t ts)
{
	unsigned a, b, c, d;

	memset(h, 0, sizeof(*h));
	h->type = t;
	h->dir = DIR_TO_SERVER;
	h->ts_us = ts;
	h->event_id = next_id++;
	h->flow_id = 77000 + next_id;
	h->has_key = true;
	h->key.family = 4;
	h->key.proto = 6;
	sscanf(src, "%u.%u.%u.%u", &a, &b, &c, &d);
	h->key.src[0] = (uint8_t)a; h->key.src[1] = (uint8_t)b;
	h->key.src[2] = (uint8_t)c; h->key.src[3] = (uint8_t)d;
	sscanf(dst, "%u.%u.%u.%u", &a, &b, &c, &d);
	h->key.dst[0] = (uint8_t)a; h->key.dst[1] = (uint8_t)b;
	h->key.dst[2] = (uint8_t)c; h->key.dst[3] = (uint8_t)d;
	h->key.sport = 40000;
	h->key.dport = dport;
}

static struct ev_modbus mb;
static struct ev_dnp3 dn;
static struct ev_flow fl;

/* A Modbus request fc[/sub] from src to dst (sub < 0: none). */
static void send_modbus(const char *src, const char *dst, uint8_t fc,
    int sub, uint64_t ts)
{
	memset(&mb, 0, sizeof(mb));
	hdr(&mb.h, EV_MODBUS, src, dst, 502, ts);
	mb.unit = 1;
	mb.fc = fc;
	mb.has_request = true;
	mb.has_response = true;
	mb.matched = true;
	if (fc == 0x08 && sub >= 0) {
		mb.has_subfunction = true;
		mb.subfunction = (uint16_t)sub;
	} else if (fc == 0x2B && sub >= 0) {
		mb.has_mei = true;
		mb.mei_type = (uint8_t)sub;
	} else if (fc == 0x5A && sub >= 0) {
		mb.has_umas = true;
		mb.umas_fc = (uint8_t)sub;
	}
	out_emit(&mb.h);
}

/* A DNP3 request func to outstation 10 (group > 0: one object of it). */
static void send_dnp3(const char *src, const char *dst, uint8_t func,
    int group, uint64_t ts)
{
	memset(&dn, 0, sizeof(dn));
	hdr(&dn.h, EV_DNP3, src, dst, 20000, ts);
	dn.req.present = true;
	dn.req.func = func;
	dn.req.link_src = 1;
	dn.req.link_dst = 10;
	if (group > 0) {
		dn.req.nobjects = 1;
		dn.req.objects[0].group = (uint8_t)group;
		dn.req.objects[0].variation = 1;
	}
	out_emit(&dn.h);
}

static void send_flow(const char *src, const char *dst, uint16_t dport,
    const char *ndpi, uint64_t ts)
{
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, src, dst, dport, ts);
	fl.ndpi_proto = ndpi;
	fl.pkts[0] = fl.pkts[1] = 3;
	fl.payload_bytes[0] = fl.payload_bytes[1] = 100;
	out_emit(&fl.h);
}

/* ------------------------------------------------------------------------
 * Tests
 * --------------------------------------------------------------------- */

/* The issue's list, written out by hand: every item has its row. */
static void test_table_covers_issue(void)
{
	static const struct { uint8_t proto; int code; int sub;
	    const char *sig; } want[] = {
		{ ENG_PROTO_MODBUS, 8, 0x01, "ot.eng.modbus_restart_comms" },
		{ ENG_PROTO_MODBUS, 8, 0x04, "ot.eng.modbus_force_listen_only" },
		{ ENG_PROTO_MODBUS, 8, 0x0A, "ot.eng.modbus_diagnostics" },
		{ ENG_PROTO_MODBUS, 17, ENG_ANY, "ot.eng.modbus_report_server_id" },
		{ ENG_PROTO_MODBUS, 20, ENG_ANY, "ot.eng.modbus_read_file_record" },
		{ ENG_PROTO_MODBUS, 21, ENG_ANY, "ot.eng.modbus_write_file_record" },
		{ ENG_PROTO_MODBUS, 43, 14, "ot.eng.modbus_read_device_id" },
		{ ENG_PROTO_MODBUS, 90, 0x40, "ot.eng.umas_start_plc" },
		{ ENG_PROTO_MODBUS, 90, 0x41, "ot.eng.umas_stop_plc" },
		{ ENG_PROTO_MODBUS, 90, 0x33, "ot.eng.umas_initialize_download" },
		{ ENG_PROTO_MODBUS, 90, 0x34, "ot.eng.umas_download_block" },
		{ ENG_PROTO_MODBUS, 90, 0x35, "ot.eng.umas_end_download" },
		{ ENG_PROTO_MODBUS, 90, 0x30, "ot.eng.umas_initialize_upload" },
		{ ENG_PROTO_MODBUS, 90, 0x31, "ot.eng.umas_upload_block" },
		{ ENG_PROTO_MODBUS, 90, 0x32, "ot.eng.umas_end_upload" },
		{ ENG_PROTO_MODBUS, 90, 0x10, "ot.eng.umas_take_reservation" },
		{ ENG_PROTO_MODBUS, 125, ENG_ANY, "ot.eng.modbus_firmware_replacement" },
		{ ENG_PROTO_MODBUS, 126, ENG_ANY, "ot.eng.modbus_program_584_984_2" },
		{ ENG_PROTO_DNP3, 13, ENG_ANY, "ot.eng.dnp3_cold_restart" },
		{ ENG_PROTO_DNP3, 14, ENG_ANY, "ot.eng.dnp3_warm_restart" },
		{ ENG_PROTO_DNP3, 16, ENG_ANY, "ot.eng.dnp3_initialize_application" },
		{ ENG_PROTO_DNP3, 17, ENG_ANY, "ot.eng.dnp3_start_application" },
		{ ENG_PROTO_DNP3, 18, ENG_ANY, "ot.eng.dnp3_stop_application" },
		{ ENG_PROTO_DNP3, 19, ENG_ANY, "ot.eng.dnp3_save_configuration" },
		{ ENG_PROTO_DNP3, 20, ENG_ANY, "ot.eng.dnp3_enable_unsolicited" },
		{ ENG_PROTO_DNP3, 21, ENG_ANY, "ot.eng.dnp3_disable_unsolicited" },
		{ ENG_PROTO_DNP3, 25, ENG_ANY, "ot.eng.dnp3_open_file" },
		{ ENG_PROTO_DNP3, 26, ENG_ANY, "ot.eng.dnp3_close_file" },
		{ ENG_PROTO_DNP3, 27, ENG_ANY, "ot.eng.dnp3_delete_file" },
		{ ENG_PROTO_DNP3, 28, ENG_ANY, "ot.eng.dnp3_get_file_info" },
		{ ENG_PROTO_DNP3, 29, ENG_ANY, "ot.eng.dnp3_authenticate_file" },
		{ ENG_PROTO_DNP3, 30, ENG_ANY, "ot.eng.dnp3_abort_file" },
		{ ENG_PROTO_DNP3, 31, ENG_ANY, "ot.eng.dnp3_activate_config" },
		{ ENG_PROTO_DNP3, 2, 50, "ot.eng.dnp3_write_time" },
		{ ENG_PROTO_DNP3, 2, 80, "ot.eng.dnp3_iin_clear" },
		{ ENG_PROTO_DNP3, 5, ENG_ANY, "ot.eng.dnp3_direct_operate" },
		{ ENG_PROTO_DNP3, 6, ENG_ANY, "ot.eng.dnp3_direct_operate_nr" },
	};
	static const char *const apps[] = { "RDP", "VNC", "TeamViewer",
		"AnyDesk", "SSH", "Telnet" };
	const struct eng_rule *r;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		r = eng_match(want[i].proto, want[i].code, want[i].sub);
		test_cond(want[i].sig, r && strcmp(r->signature, want[i].sig) == 0);
	}
	for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++) {
		r = eng_match_app(apps[i]);
		test_cond(apps[i], r && r->cls == ENG_CLASS_REMOTE_ACCESS &&
		    r->cond == ENG_COND_INTO_OT_ZONE);
	}
	/* not engineering: reads, writes of values, UMAS reads, DNP3 READ */
	test_cond("modbus FC 3 has no row", !eng_match(ENG_PROTO_MODBUS, 3, ENG_ANY));
	test_cond("modbus FC 16 has no row", !eng_match(ENG_PROTO_MODBUS, 16, ENG_ANY));
	test_cond("UMAS 0x02 read id has no row", !eng_match(ENG_PROTO_MODBUS, 90, 0x02));
	test_cond("DNP3 READ has no row", !eng_match(ENG_PROTO_DNP3, 1, ENG_ANY));
	test_cond("DNP3 WRITE g12 has no row", !eng_match(ENG_PROTO_DNP3, 2, 12));
	test_cond("HTTP is not remote access", !eng_match_app("HTTP"));
	/* the classes named in the issue */
	r = eng_match(ENG_PROTO_DNP3, 13, ENG_ANY);
	test_cond("cold restart is a restart", r && r->cls == ENG_CLASS_RESTART);
	r = eng_match(ENG_PROTO_MODBUS, 90, 0x41);
	test_cond("stop PLC is a stop", r && r->cls == ENG_CLASS_STOP);
	test_cond("class name", strcmp(eng_class_name(ENG_CLASS_PROGRAM_DOWNLOAD),
	    "program_download") == 0);
}

/* Every row, one event each from its own client: exactly its signature. */
static void test_every_row_fires(void)
{
	size_t n;
	const struct eng_rule *rows = eng_rules(&n);
	char err[256];
	static const char zones_yaml[] =
	    "zones:\n"
	    "  - name: control\n"
	    "    ot: true\n"
	    "    cidrs: [10.9.0.0/16]\n";

	test_cond("zones load", zones_load_string(zones_yaml,
	    sizeof(zones_yaml) - 1, "t.yaml", err, sizeof(err)) == 0);
	for (size_t i = 0; i < n; i++) {
		const struct eng_rule *r = &rows[i];
		char src[32];
		int sub = r->sub;

		snprintf(src, sizeof(src), "10.1.%u.%u", (unsigned)(i / 200),
		    (unsigned)(i % 200 + 1));
		reset_caught();
		if (r->proto == ENG_PROTO_MODBUS) {
			/* a sub-function no row names, for the wildcard rows */
			if (sub == ENG_ANY && r->code == 8)
				sub = 0x0A;
			send_modbus(src, "10.9.0.1", (uint8_t)r->code, sub,
			    1000000 + i);
		} else if (r->proto == ENG_PROTO_DNP3) {
			send_dnp3(src, "10.9.0.2", (uint8_t)r->code,
			    sub == ENG_ANY ? 0 : sub, 1000000 + i);
		} else {
			send_flow(src, "10.9.0.3", 3389, r->app, 1000000 + i);
		}
		test_cond(r->signature, nalerts == 1 &&
		    strcmp(alerts[0].signature, r->signature) == 0);
		if (nalerts == 1)
			test_eq_u64(r->signature, alerts[0].severity, r->severity);
	}
	/* nothing for ordinary traffic */
	reset_caught();
	send_modbus("10.1.9.1", "10.9.0.1", 3, -1, 2000000);
	send_modbus("10.1.9.1", "10.9.0.1", 0x5A, 0x02, 2000001);
	send_dnp3("10.1.9.1", "10.9.0.2", 1, 60, 2000002);
	send_dnp3("10.1.9.1", "10.9.0.2", 2, 12, 2000003);
	send_flow("10.1.9.1", "10.9.0.3", 80, "HTTP", 2000004);
	test_eq_u64("no alert for reads, value writes, HTTP", nalerts, 0);
	/* remote access outside any OT zone or OT device: nothing */
	send_flow("10.1.9.1", "10.50.0.3", 22, "SSH", 2000005);
	test_eq_u64("SSH between IT hosts: no alert", nalerts, 0);
	alerts_flush();
	zones_reset();
}

static void test_conditions(void)
{
	reset_caught();
	/* FC 43/14: once per (client, device) */
	send_modbus("10.2.0.1", "10.2.0.100", 0x2B, 14, 5000000);
	send_modbus("10.2.0.1", "10.2.0.100", 0x2B, 14, 5000001);
	send_modbus("10.2.0.2", "10.2.0.100", 0x2B, 14, 5000002);
	test_eq_u64("43/14: one alert per new client", count_sig(
	    "ot.eng.modbus_read_device_id"), 2);
	/* OPERATE after SELECT: fine; DIRECT_OPERATE without: alert */
	reset_caught();
	send_dnp3("10.2.0.3", "10.2.0.101", 3, 12, 6000000);
	send_dnp3("10.2.0.3", "10.2.0.101", 4, 12, 6100000);
	test_eq_u64("SELECT then OPERATE: no alert", nalerts, 0);
	send_dnp3("10.2.0.4", "10.2.0.101", 4, 12, 6200000);
	test_eq_u64("OPERATE with no SELECT", count_sig(
	    "ot.eng.dnp3_operate_without_select"), 1);
	send_dnp3("10.2.0.3", "10.2.0.101", 4, 12, 6000000 + 31000000);
	test_eq_u64("OPERATE 31 s after SELECT", count_sig(
	    "ot.eng.dnp3_operate_without_select"), 2);
	send_dnp3("10.2.0.3", "10.2.0.101", 5, 12, 40000000);
	test_eq_u64("DIRECT_OPERATE", count_sig("ot.eng.dnp3_direct_operate"), 1);
	alerts_flush();
	/* a flow seen from the outstation's side: the request went to the
	 * flow's client; the alert still names the master as the sender */
	reset_caught();
	memset(&dn, 0, sizeof(dn));
	hdr(&dn.h, EV_DNP3, "10.2.0.200", "10.2.0.5", 20000, 50000000);
	dn.h.dir = DIR_TO_CLIENT;
	dn.req.present = true;
	dn.req.func = 13;
	dn.req.link_dst = 10;
	out_emit(&dn.h);
	test_cond("reversed flow: master named first", nalerts == 1 &&
	    strncmp(alerts[0].message, "10.2.0.5 sent", 13) == 0 &&
	    alerts[0].src.ip[3] == 5 && alerts[0].dst.ip[3] == 200);
	alerts_flush();
}

static void test_aggregation(void)
{
	uint64_t id;
	int last = -1;

	reset_caught();
	alerts_set_interval(60ULL * 60 * 1000000);
	for (int i = 0; i < 1000; i++)
		send_dnp3("10.3.0.1", "10.3.0.2", 13, 0, 100000000 + i * 1000);
	test_eq_u64("1000 cold restarts: one alert before flush", nalerts, 1);
	test_eq_u64("first report count", alerts[0].count, 1);
	test_cond("first report is not an update", !alerts[0].update);
	id = alerts[0].alert_id;
	alerts_flush();
	test_eq_u64("after flush: one update", nalerts, 2);
	for (int i = 0; i < nalerts; i++)
		if (alerts[i].alert_id == id)
			last = i;
	test_cond("update has the same alert id", last == 1);
	test_eq_u64("count 1000 after flush", alerts[1].count, 1000);
	test_cond("update flag", alerts[1].update);
	test_eq_u64("first_seen", alerts[1].first_us, 100000000);
	test_eq_u64("last_seen", alerts[1].last_us, 100000000 + 999 * 1000);
	test_cond("different event ids", alerts[0].h.event_id !=
	    alerts[1].h.event_id);
	alerts_flush();
	test_eq_u64("second flush: nothing more", nalerts, 2);

	/* updates at most once per interval (1 min here), as capture time goes */
	reset_caught();
	alerts_set_interval(60ULL * 1000000);
	for (int i = 0; i <= 300; i++)	/* one a second for 5 minutes */
		send_dnp3("10.3.0.1", "10.3.0.2", 14, 0, 200000000000ULL +
		    (uint64_t)i * 1000000);
	test_eq_u64("5 minutes, 1 min interval: first + 5 updates", nalerts, 6);
	test_eq_u64("last update count", alerts[nalerts - 1].count, 301);
	alerts_flush();
	test_eq_u64("nothing new to flush", nalerts, 6);

	/* a different destination is a different alert */
	reset_caught();
	send_dnp3("10.3.0.1", "10.3.0.2", 13, 0, 300000000000ULL);
	send_dnp3("10.3.0.1", "10.3.0.3", 13, 0, 300000000001ULL);
	test_eq_u64("two destinations, two alerts", nalerts, 2);
	alerts_flush();
	alerts_set_interval(0);
}

static void test_zones(void)
{
	char err[256];
	static const char good[] =
	    "zones:\n"
	    "  - name: enterprise\n"
	    "    cidrs: [10.10.0.0/16]\n"
	    "  - name: scada\n"
	    "    cidrs: [10.20.0.0/24]\n"
	    "  - name: control\n"
	    "    ot: true\n"
	    "    cidrs: [10.30.0.0/16, 10.30.5.0/24]\n"
	    "  - name: field\n"
	    "    ot: true\n"
	    "    cidrs: [10.30.5.0/25]\n"
	    "allow:\n"
	    "  - {from: scada, to: control, proto: tcp, port: 502}\n"
	    "  - from: any\n"
	    "    to: scada\n"
	    "    proto: udp\n";
	static const char bad_cidr[] =
	    "zones:\n"
	    "  - name: a\n"
	    "    cidrs:\n"
	    "      - 10.0.0.0/8\n"
	    "      - 10.0.0.0/33\n";
	static const char bad_zone_ref[] =
	    "zones:\n"
	    "  - {name: a, cidrs: [10.0.0.0/8]}\n"
	    "allow:\n"
	    "  - {from: a, to: nowhere}\n";
	static const char bad_key[] =
	    "zones:\n"
	    "  - {name: a, cidrs: [10.0.0.0/8], colour: red}\n";
	uint8_t ip[16] = { 10, 30, 5, 7 };

	test_cond("bad CIDR refused", zones_load_string(bad_cidr,
	    sizeof(bad_cidr) - 1, "z.yaml", err, sizeof(err)) < 0);
	test_cond("bad CIDR: line 5 named", strstr(err, "z.yaml:5:") != NULL);
	test_cond("bad CIDR: path named", strstr(err, "zones[0]") != NULL);
	test_cond("unknown zone refused", zones_load_string(bad_zone_ref,
	    sizeof(bad_zone_ref) - 1, "z.yaml", err, sizeof(err)) < 0);
	test_cond("unknown zone: line 4", strstr(err, "z.yaml:4:") != NULL &&
	    strstr(err, "nowhere") != NULL);
	test_cond("unknown key refused", zones_load_string(bad_key,
	    sizeof(bad_key) - 1, "z.yaml", err, sizeof(err)) < 0 &&
	    strstr(err, "colour") != NULL);
	test_eq_u64("a failed load keeps nothing", zones_count(), 0);
	test_cond("good file", zones_load_string(good, sizeof(good) - 1,
	    "z.yaml", err, sizeof(err)) == 0);
	test_eq_u64("4 zones", zones_count(), 4);
	test_cond("longest prefix wins", strcmp(zones_name(zones_lookup(4, ip)),
	    "field") == 0);
	ip[2] = 6;
	test_cond("control", strcmp(zones_name(zones_lookup(4, ip)),
	    "control") == 0);
	test_cond("scada -> control tcp/502 allowed", zones_allowed(1, 2, 6, 502));
	test_cond("scada -> control tcp/503 denied", !zones_allowed(1, 2, 6, 503));
	test_cond("control -> scada tcp/502 denied", !zones_allowed(2, 1, 6, 502));
	test_cond("any -> scada udp allowed", zones_allowed(0, 1, 17, 161));
	test_cond("same zone allowed", zones_allowed(0, 0, 6, 1));
	{
		uint8_t p8[16] = { 8, 8, 8, 8 }, p10[16] = { 10, 1, 1, 1 };
		uint8_t p172[16] = { 172, 20, 0, 1 }, cg[16] = { 100, 64, 1, 1 };
		uint8_t v6[16] = { 0x20, 0x01, 0x48, 0x60 };
		uint8_t ula[16] = { 0xfd, 0x00 };

		test_cond("8.8.8.8 public", zones_addr_is_public(4, p8));
		test_cond("10/8 private", !zones_addr_is_public(4, p10));
		test_cond("172.16/12 private", !zones_addr_is_public(4, p172));
		test_cond("CGNAT not public", !zones_addr_is_public(4, cg));
		test_cond("2001:4860:: public", zones_addr_is_public(6, v6));
		test_cond("ULA not public", !zones_addr_is_public(6, ula));
	}

	reset_caught();
	send_flow("10.20.0.5", "10.30.6.1", 502, "Modbus", 1000);
	test_eq_u64("allowed conversation: no alert", nalerts, 0);
	send_flow("10.10.0.5", "10.30.6.1", 502, "Modbus", 2000);
	test_eq_u64("enterprise -> control: not allowed", count_sig(
	    "ot.zone.not_allowed"), 1);
	test_cond("message names both zones", nalerts == 1 &&
	    strstr(alerts[0].message, "10.10.0.5") &&
	    strstr(alerts[0].message, "zone enterprise") &&
	    strstr(alerts[0].message, "10.30.6.1") &&
	    strstr(alerts[0].message, "zone control"));
	send_flow("10.30.6.1", "8.8.8.8", 53, "DNS", 3000);
	test_eq_u64("OT zone to public", count_sig("ot.zone.ot_to_public"), 1);
	send_flow("10.10.0.5", "8.8.8.8", 53, "DNS", 4000);
	test_eq_u64("IT zone to public: nothing", count_sig(
	    "ot.zone.ot_to_public"), 1);
	/* a Modbus event then the end of its flow: judged once */
	reset_caught();
	send_modbus("10.10.0.9", "10.30.6.2", 3, -1, 5000);
	{
		uint64_t fid = mb.h.flow_id;

		memset(&fl, 0, sizeof(fl));
		hdr(&fl.h, EV_FLOW, "10.10.0.9", "10.30.6.2", 502, 6000);
		fl.h.flow_id = fid;
		out_emit(&fl.h);
	}
	alerts_flush();
	test_eq_u64("one flow, one policy count", nalerts, 1);
	test_eq_u64("count 1", alerts[0].count, 1);

	/* TCP tries are not conversations: never answered (S0), refused */
	reset_caught();
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, "10.10.0.7", "10.30.6.3", 502, 7000);
	fl.pkts[0] = 2;
	snprintf(fl.state, sizeof(fl.state), "S0");
	out_emit(&fl.h);
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, "10.10.0.7", "10.30.6.4", 502, 7100);
	fl.pkts[0] = fl.pkts[1] = 1;
	snprintf(fl.state, sizeof(fl.state), "REJ");
	out_emit(&fl.h);
	test_eq_u64("S0 and REJ into a zone no rule allows: no alert",
	    nalerts, 0);
	/* an interim record, then the final one: one alert, counted once */
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, "10.10.0.7", "10.30.6.5", 502, 7200);
	fl.pkts[0] = fl.pkts[1] = 4;
	fl.payload_bytes[0] = fl.payload_bytes[1] = 12;
	snprintf(fl.state, sizeof(fl.state), "S1");
	fl.interim = true;
	out_emit(&fl.h);
	test_eq_u64("interim record: the zone alert at once", count_sig(
	    "ot.zone.not_allowed"), 1);
	fl.interim = false;
	fl.started = true;
	snprintf(fl.state, sizeof(fl.state), "SF");
	out_emit(&fl.h);
	alerts_flush();
	test_eq_u64("final record after it: not judged again", nalerts, 1);
	zones_reset();
}

static void test_oui(void)
{
	static const uint8_t tele[6] = { 0x00, 0x80, 0xF4, 1, 2, 3 };
	static const uint8_t schn[6] = { 0x00, 0x00, 0x54, 1, 2, 3 };
	static const uint8_t mcast[6] = { 0x01, 0x80, 0xF4, 1, 2, 3 };
	static const uint8_t local[6] = { 0x02, 0x80, 0xF4, 1, 2, 3 };
	const char *v = oui_vendor(tele);
	FILE *f;

	/* MA-L,0080F4,TELEMECANIQUE ELECTRIQUE (ieee-data 20220827 oui.csv) */
	test_cond("00:80:F4 Telemecanique", v && strcmp(v,
	    "TELEMECANIQUE ELECTRIQUE") == 0);
	v = oui_vendor(schn);
	test_cond("00:00:54 Schneider", v && strcmp(v, "Schneider Electric") == 0);
	test_cond("multicast: no vendor", oui_vendor(mcast) == NULL);
	test_cond("locally administered: no vendor", oui_vendor(local) == NULL);
	/* every 500th MA-L line of the IEEE file, where the file is there */
	f = fopen("/usr/share/ieee-data/oui.csv", "r");
	if (f) {
		char line[512];
		int n = 0, ok = 0, tried = 0;

		while (fgets(line, sizeof(line), f)) {
			unsigned p;
			uint8_t mac[6] = { 0 };
			const char *got;

			if (strncmp(line, "MA-L,", 5) || n++ % 500 ||
			    strstr(line, "IEEE Registration Authority") ||
			    sscanf(line + 5, "%6x,", &p) != 1)
				continue;
			mac[0] = (uint8_t)(p >> 16);
			mac[1] = (uint8_t)(p >> 8);
			mac[2] = (uint8_t)p;
			if (mac[0] & 3)
				continue;
			tried++;
			got = oui_vendor(mac);
			/* the name is the third field (maybe quoted) */
			if (got && strstr(line + 12, got[0] == '"' ? got + 1 :
			    got) == line + 12 + (line[12] == '"'))
				ok++;
			else if (got && line[12] == '"')
				ok += strncmp(line + 13, got, 8) == 0;
		}
		fclose(f);
		test_cond("sampled IEEE rows found", tried > 10 && ok >= tried - 2);
	}
}

static void test_assets(void)
{
	struct ev_asset a;
	static const uint8_t plc_mac[6] = { 0x00, 0x80, 0xF4, 0x11, 0x22, 0x33 };
	static const uint8_t ews_mac[6] = { 0x00, 0x00, 0x54, 0x44, 0x55, 0x66 };
	uint8_t plc_ip[16] = { 192, 168, 1, 10 };
	uint8_t ews_ip[16] = { 192, 168, 1, 20 };
	const char *v;

	assets_reset();
	reset_caught();
	/* FC 43/14 answered: vendor, product, revision V1.0 */
	memset(&mb, 0, sizeof(mb));
	hdr(&mb.h, EV_MODBUS, "192.168.1.20", "192.168.1.10", 502, 7000000);
	mb.h.has_mac = true;
	memcpy(mb.h.src_mac, ews_mac, 6);
	memcpy(mb.h.dst_mac, plc_mac, 6);
	mb.unit = 1;
	mb.fc = 0x2B;
	mb.has_request = mb.has_response = mb.matched = true;
	mb.has_mei = true;
	mb.mei_type = 14;
	mb.has_devid = true;
	mb.devid.has_response = true;
	mb.devid.nobjs = 3;
	mb.devid.objs[0].id = 0;
	strcpy(mb.devid.objs[0].value, "Schneider Electric");
	mb.devid.objs[1].id = 1;
	strcpy(mb.devid.objs[1].value, "BMX P34 2020");
	mb.devid.objs[2].id = 2;
	strcpy(mb.devid.objs[2].value, "V1.0");
	out_emit(&mb.h);
	test_cond("PLC is an asset", assets_get(4, plc_ip, &a) == 0);
	test_cond("keyed by MAC", a.has_mac && memcmp(a.mac, plc_mac, 6) == 0);
	test_cond("vendor from OUI", a.vendor && strcmp(a.vendor,
	    "TELEMECANIQUE ELECTRIQUE") == 0);
	test_cond("modbus server role", a.roles & ASSET_ROLE_MODBUS_SERVER);
	test_cond("unit 1", a.nunits == 1 && a.units[0] == 1);
	test_cond("identity", a.has_identity && !strcmp(a.id_revision, "V1.0") &&
	    !strcmp(a.id_product, "BMX P34 2020"));
	test_eq_u64("no firmware alert on the first identity",
	    count_sig("ot.asset.firmware_changed"), 0);
	test_cond("EWS is a modbus client", assets_get(4, ews_ip, &a) == 0 &&
	    (a.roles & ASSET_ROLE_MODBUS_CLIENT) &&
	    !(a.roles & ASSET_ROLE_ENG_WORKSTATION));
	v = assets_vendor(4, plc_ip);
	test_cond("assets_vendor", v && strcmp(v, "TELEMECANIQUE ELECTRIQUE") == 0);
	test_eq_u64("no realtime records by default", nassets, 0);

	/* the same answer again: nothing; then revision V2.0 */
	mb.h.event_id = next_id++;
	out_emit(&mb.h);
	test_eq_u64("same revision: no alert", count_sig(
	    "ot.asset.firmware_changed"), 0);
	strcpy(mb.devid.objs[2].value, "V2.0");
	mb.h.event_id = next_id++;
	mb.h.ts_us = 8000000;
	out_emit(&mb.h);
	test_eq_u64("revision changed: firmware alert", count_sig(
	    "ot.asset.firmware_changed"), 1);
	test_cond("alert names the device and both revisions", nalerts >= 1 &&
	    strstr(alerts[nalerts - 1].message, "192.168.1.10 (TELEMECANIQUE "
	    "ELECTRIQUE)") && strstr(alerts[nalerts - 1].message, "V1.0") &&
	    strstr(alerts[nalerts - 1].message, "V2.0"));
	test_cond("alert severity 3", alerts[nalerts - 1].severity == 3);
	test_cond("record has the new revision", assets_get(4, plc_ip, &a) == 0 &&
	    !strcmp(a.id_revision, "V2.0"));

	/* UMAS stop: the client becomes an engineering workstation */
	send_modbus("192.168.1.20", "192.168.1.10", 0x5A, 0x41, 9000000);
	test_cond("engineering workstation", assets_get(4, ews_ip, &a) == 0 &&
	    (a.roles & ASSET_ROLE_ENG_WORKSTATION));
	/* a public address is not inventoried */
	send_flow("192.168.1.20", "8.8.4.4", 53, "DNS", 9500000);
	{
		uint8_t pub[16] = { 8, 8, 4, 4 };

		test_cond("public address: no asset", assets_get(4, pub, &a) < 0);
	}
	/* a flow to the PLC's port 502 that was answered: a port served */
	memset(&fl, 0, sizeof(fl));
	hdr(&fl.h, EV_FLOW, "192.168.1.20", "192.168.1.10", 502, 9600000);
	fl.h.app_proto = "modbus";
	fl.pkts[0] = fl.pkts[1] = 4;
	fl.payload_bytes[0] = fl.payload_bytes[1] = 60;
	out_emit(&fl.h);
	/* and one to port 80 that never answered: not served */
	hdr(&fl.h, EV_FLOW, "192.168.1.20", "192.168.1.10", 80, 9700000);
	fl.h.app_proto = NULL;
	fl.pkts[1] = 0;
	fl.payload_bytes[1] = 0;
	out_emit(&fl.h);
	test_cond("PLC serves tcp/502 modbus only", assets_get(4, plc_ip, &a) == 0 &&
	    a.nserved == 1 && a.served[0].proto == 6 && a.served[0].port == 502 &&
	    a.served[0].app && strcmp(a.served[0].app, "modbus") == 0);
	test_eq_u64("first_seen is the earliest", a.first_us, 7000000);
	/* a SYN to an address nobody answers for: no device there */
	hdr(&fl.h, EV_FLOW, "192.168.1.20", "192.168.1.99", 502, 9800000);
	out_emit(&fl.h);
	{
		uint8_t nobody[16] = { 192, 168, 1, 99 };

		test_cond("unanswered SYN: no asset for its target",
		    assets_get(4, nobody, &a) < 0);
	}
	test_cond("... the client is still there", assets_get(4, ews_ip, &a) == 0);
	(void)assets_get(4, plc_ip, &a);
	/* the SYN to port 80 nobody answered does not count (assets.h) */
	test_eq_u64("last_seen is the latest answer", a.last_us, 9600000);
	/* the inventory at flush */
	reset_caught();
	assets_flush();
	test_eq_u64("inventory: two devices", nassets, 2);
	for (int i = 0; i < nassets; i++)
		test_cond("inventory reason", assets[i].reason ==
		    ASSET_REASON_INVENTORY);
	assets_flush();
	test_eq_u64("second flush: nothing changed", nassets, 2);

	/* realtime records */
	assets_reset();
	reset_caught();
	assets_set_realtime(true);
	send_modbus("192.168.2.1", "192.168.2.2", 3, -1, 10000000);
	test_eq_u64("realtime: two new records", nassets, 2);
	test_cond("reason new", nassets == 2 && assets[0].reason ==
	    ASSET_REASON_NEW);
	send_modbus("192.168.2.1", "192.168.2.2", 3, -1, 10000001);
	test_eq_u64("known devices: no record", nassets, 2);
	assets_set_realtime(false);

	/*
	 * A MAC with more than ASSETS_GATEWAY_IPS (4) addresses is a gateway
	 * (ot/assets.h): a record with the MAC, role "gateway" and no
	 * address, and EVERY address behind it routed (keyed by IP).  The
	 * rule used to keep the first four on the MAC's record, which made
	 * the record depend on the order of events; now it does not.
	 */
	assets_reset();
	for (int i = 0; i < 8; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.77.0.%d", i + 1);
		memset(&fl, 0, sizeof(fl));
		hdr(&fl.h, EV_FLOW, src, "192.168.3.3", 80, 11000000 + i);
		fl.pkts[0] = fl.pkts[1] = 3;	/* answered */
		fl.h.has_mac = true;
		memcpy(fl.h.src_mac, ews_mac, 6);
		memcpy(fl.h.dst_mac, plc_mac, 6);
		out_emit(&fl.h);
	}
	{
		uint8_t r1[16] = { 10, 77, 0, 8 }, r0[16] = { 10, 77, 0, 1 };
		static struct ev_asset l[16];
		size_t n = assets_list(l, 16);
		int gw = 0;

		test_cond("8th address: routed (no MAC)", assets_get(4, r1, &a) == 0 &&
		    !a.has_mac && a.nips == 1);
		test_cond("1st address: routed too", assets_get(4, r0, &a) == 0 &&
		    !a.has_mac && !(a.roles & ASSET_ROLE_GATEWAY));
		test_cond("no vendor through a gateway",
		    assets_vendor(4, r0) == NULL);
		for (size_t i = 0; i < n; i++)
			if (l[i].has_mac && memcmp(l[i].mac, ews_mac, 6) == 0) {
				gw++;
				test_cond("gateway record: role, no address",
				    l[i].roles == ASSET_ROLE_GATEWAY &&
				    l[i].nips == 0);
				test_eq_u64("gateway first seen", l[i].first_us,
				    11000000);
				test_eq_u64("gateway last seen", l[i].last_us,
				    11000007);
			}
		test_eq_u64("one gateway record", gw, 1);
		/* 8 routed + the gateway + the server (its own MAC) */
		test_eq_u64("ten records", n, 10);
	}
	assets_reset();
}

int main(void)
{
	out_set_hook(hook, NULL);
	test_table_covers_issue();
	test_every_row_fires();
	test_conditions();
	test_aggregation();
	test_zones();
	test_oui();
	test_assets();
	out_set_hook(NULL, NULL);
	return test_report();
}
