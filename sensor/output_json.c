/*
 * output_json.c - the JSON layout of every event type, in one place.
 *
 * The envelope follows Suricata EVE names so tools that read EVE read ours:
 * timestamp, event_type, sensor, event_id, flow_id, community_id, src_ip,
 * src_port, dest_ip, dest_port, proto, vlan, ether, app_proto, and geo
 * (when GeoIP databases are open and an address is public).  Then one
 * object named after the event type.  Key order is fixed.
 */
#include <stdio.h>
#include <string.h>

#include "geoip.h"
#include "json.h"
#include "output.h"

static const char *const ev_type_names[EV__COUNT] = {
	[EV_FLOW] = "flow", [EV_ANOMALY] = "anomaly", [EV_STATS] = "stats",
	[EV_HTTP] = "http", [EV_DNS] = "dns", [EV_SMTP] = "smtp",
	[EV_MODBUS] = "modbus", [EV_DNP3] = "dnp3", [EV_DEVICE] = "device",
	[EV_ASSET] = "asset", [EV_ALERT] = "alert",
};

const char *ev_type_name(enum ev_type t);
const char *ev_type_name(enum ev_type t)
{
	return (unsigned)t < EV__COUNT && ev_type_names[t] ? ev_type_names[t] :
	    "unknown";
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	case 47: return "GRE";
	case 50: return "ESP";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

static void put_geo_side(struct jw *w, const char *key,
    const struct ev_geo_side *g)
{
	if (!g->valid)
		return;
	jw_obj_open(w, key);
	if (g->country[0])
		jw_str(w, "country", g->country);
	if (g->city[0])
		jw_str(w, "city", g->city);
	if (g->asn)
		jw_u64(w, "asn", g->asn);
	if (g->as_org[0])
		jw_str(w, "as_org", g->as_org);
	jw_obj_close(w);
}

/* "geo": {"src": {...}, "dest": {...}} for public addresses (geoip.c). */
static void put_geo(struct jw *w, const struct ev_hdr *h)
{
	struct ev_geo_side src, dst;

	if (!h->has_key || !geoip_active())
		return;
	geoip_lookup(h->key.family, h->key.src, &src);
	geoip_lookup(h->key.family, h->key.dst, &dst);
	if (!src.valid && !dst.valid)
		return;
	jw_obj_open(w, "geo");
	put_geo_side(w, "src", &src);
	put_geo_side(w, "dest", &dst);
	jw_obj_close(w);
}

static void put_envelope(struct jw *w, const struct ev_hdr *h,
    const char *sensor)
{
	char pb[8];

	jw_time(w, "timestamp", h->ts_us);
	jw_str(w, "event_type", ev_type_name(h->type));
	jw_str(w, "sensor", sensor);
	jw_u64(w, "event_id", h->event_id);
	if (h->flow_id)
		jw_u64(w, "flow_id", h->flow_id);
	if (h->community_id[0])
		jw_str(w, "community_id", h->community_id);
	if (h->has_key) {
		const struct flow_key *k = &h->key;
		bool ports = k->proto == 6 || k->proto == 17 || k->proto == 132 ||
		    k->proto == 1 || k->proto == 58;

		jw_ip(w, "src_ip", k->family, k->src);
		if (ports)
			jw_u64(w, "src_port", k->sport);
		jw_ip(w, "dest_ip", k->family, k->dst);
		if (ports)
			jw_u64(w, "dest_port", k->dport);
		jw_str(w, "proto", proto_name(k->proto, pb, sizeof(pb)));
		if (k->nvlan) {
			jw_arr_open(w, "vlan");
			for (int i = 0; i < k->nvlan && i < FLOW_MAX_VLAN; i++)
				jw_u64(w, NULL, k->vlan[i]);
			jw_arr_close(w);
		}
	}
	if (h->has_mac) {
		jw_obj_open(w, "ether");
		jw_mac(w, "src_mac", h->src_mac);
		jw_mac(w, "dest_mac", h->dst_mac);
		jw_obj_close(w);
	}
	if (h->app_proto)
		jw_str(w, "app_proto", h->app_proto);
	put_geo(w, h);
}

static const char *const reason_names[] = {
	[FLOW_END_FIN] = "fin", [FLOW_END_RST] = "rst",
	[FLOW_END_TIMEOUT] = "timeout", [FLOW_END_EVICTED] = "evicted",
	[FLOW_END_SHUTDOWN] = "shutdown",
};

static void put_flow(struct jw *w, const struct ev_flow *e)
{
	jw_obj_open(w, "flow");
	jw_time(w, "start", e->start_us);
	jw_time(w, "end", e->end_us);
	jw_dbl(w, "duration", (double)(e->end_us - e->start_us) / 1e6, 6);
	jw_u64(w, "pkts_toserver", e->pkts[DIR_TO_SERVER]);
	jw_u64(w, "pkts_toclient", e->pkts[DIR_TO_CLIENT]);
	jw_u64(w, "bytes_toserver", e->bytes[DIR_TO_SERVER]);
	jw_u64(w, "bytes_toclient", e->bytes[DIR_TO_CLIENT]);
	jw_u64(w, "payload_bytes_toserver", e->payload_bytes[DIR_TO_SERVER]);
	jw_u64(w, "payload_bytes_toclient", e->payload_bytes[DIR_TO_CLIENT]);
	jw_str(w, "state", e->state);
	if (e->h.key.proto == 6)
		jw_str(w, "history", e->history);
	jw_u64(w, "missed_bytes", e->missed_bytes);
	if (e->truncated_depth)
		jw_bool(w, "reassembly_depth_reached", true);
	jw_str(w, "reason", (unsigned)e->reason <
	    sizeof(reason_names) / sizeof(reason_names[0]) ?
	    reason_names[e->reason] : "unknown");
	jw_obj_close(w);
	if (e->ndpi_proto) {
		jw_obj_open(w, "ndpi");
		jw_str(w, "protocol", e->ndpi_proto);
		if (e->ndpi_master)
			jw_str(w, "master_protocol", e->ndpi_master);
		if (e->ndpi_category)
			jw_str(w, "category", e->ndpi_category);
		jw_arr_open(w, "risks");
		for (int i = 0; i < e->nrisks; i++)
			jw_str(w, NULL, e->risks[i]);
		jw_arr_close(w);
		jw_obj_close(w);
	}
}

static void put_anomaly(struct jw *w, const struct ev_anomaly *e)
{
	jw_obj_open(w, "anomaly");
	jw_str(w, "type", e->layer ? e->layer : "decode");
	jw_str(w, "event", anomaly_name(e->code));
	if (e->detail[0])
		jw_str(w, "detail", e->detail);
	jw_obj_close(w);
}

static void put_stats(struct jw *w, const struct ev_stats *e)
{
	jw_obj_open(w, "stats");
	jw_bool(w, "final", e->final);
	jw_dbl(w, "uptime", (double)e->uptime_us / 1e6, 3);
	jw_obj_open(w, "capture");
	jw_u64(w, "packets", e->packets);
	jw_u64(w, "bytes", e->bytes);
	jw_u64(w, "kernel_drops", e->kernel_drops);
	jw_u64(w, "if_drops", e->if_drops);
	jw_u64(w, "decode_errors", e->decode_errors);
	jw_obj_close(w);
	jw_obj_open(w, "flows");
	jw_u64(w, "active", e->flows_active);
	jw_u64(w, "active_peak", e->flows_active_peak);
	jw_u64(w, "total", e->flows_total);
	jw_u64(w, "ended", e->flows_ended);
	jw_u64(w, "evicted", e->flows_evicted);
	jw_u64(w, "ndpi_active", e->ndpi_active);
	jw_obj_close(w);
	jw_obj_open(w, "fragments");
	jw_u64(w, "reassembled", e->frag_reassembled);
	jw_u64(w, "dropped", e->frag_dropped);
	jw_u64(w, "memory", e->frag_mem);
	jw_obj_close(w);
	jw_obj_open(w, "reassembly");
	jw_u64(w, "memory", e->reasm_mem);
	jw_u64(w, "memory_peak", e->reasm_mem_peak);
	jw_u64(w, "drops", e->reasm_drops);
	jw_u64(w, "gaps", e->reasm_gaps);
	jw_obj_close(w);
	jw_obj_open(w, "events");
	for (int t = 0; t < EV__COUNT; t++)
		if (e->events[t])
			jw_u64(w, ev_type_name((enum ev_type)t), e->events[t]);
	jw_obj_close(w);
	jw_obj_open(w, "anomalies");
	for (int a = 0; a < ANOM__COUNT; a++)
		if (e->anomalies[a])
			jw_u64(w, anomaly_name((enum anomaly_code)a), e->anomalies[a]);
	jw_obj_close(w);
	jw_obj_open(w, "output");
	jw_u64(w, "dropped", e->out_dropped);
	jw_obj_close(w);
	if (e->redis_on) {
		jw_obj_open(w, "redis");
		jw_u64(w, "queue", e->redis_queue);
		jw_u64(w, "spool_bytes", e->redis_spool_bytes);
		jw_u64(w, "spool_events", e->redis_spool_events);
		jw_u64(w, "published", e->redis_published);
		jw_u64(w, "spooled", e->redis_spooled);
		jw_u64(w, "replayed", e->redis_replayed);
		jw_u64(w, "dropped", e->redis_dropped);
		jw_u64(w, "reconnects", e->redis_reconnects);
		jw_dbl(w, "latency_ms", (double)e->redis_latency_us / 1e3, 3);
		jw_dbl(w, "latency_max_ms", (double)e->redis_latency_max_us / 1e3, 3);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}

size_t json_event(const struct ev_hdr *ev, const char *sensor, char *buf,
    size_t cap)
{
	struct jw w;

	jw_init(&w, buf, cap);
	jw_obj_open(&w, NULL);
	put_envelope(&w, ev, sensor);
	switch (ev->type) {
	case EV_FLOW:
		put_flow(&w, (const struct ev_flow *)ev);
		break;
	case EV_ANOMALY:
		put_anomaly(&w, (const struct ev_anomaly *)ev);
		break;
	case EV_STATS:
		put_stats(&w, (const struct ev_stats *)ev);
		break;
	case EV_DNS:
		json_put_dns(&w, (const struct ev_dns *)ev);
		break;
	case EV_HTTP:
		json_put_http(&w, (const struct ev_http *)ev);
		break;
	case EV_SMTP:
		json_put_smtp(&w, (const struct ev_smtp *)ev);
		break;
	case EV_MODBUS:
		json_put_modbus(&w, (const struct ev_modbus *)ev);
		break;
	case EV_DNP3:
		json_put_dnp3(&w, (const struct ev_dnp3 *)ev);
		break;
	case EV_DEVICE:
		json_put_device(&w, (const struct ev_device *)ev);
		break;
	case EV_ALERT:
		json_put_alert(&w, (const struct ev_alert *)ev);
		break;
	case EV_ASSET:
		json_put_asset(&w, (const struct ev_asset *)ev);
		break;
	default:
		break;
	}
	jw_obj_close(&w);
	if (w.overflow)
		return 0;
	return w.len;
}
