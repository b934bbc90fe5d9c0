/*
 * event.h - the plain structs that dissectors, flows/ and ot/ produce.
 *
 * A leaf header: no JSON, no hiredis, no pointers into packet memory.  Every
 * string an event keeps is copied into a fixed-size field (with a truncated
 * bit where it matters) or points at static storage (names from tables).
 * The JSON layout of every event type is written down in one place,
 * sensor/output_json.c.
 */
#ifndef SPANLOG_EVENT_H
#define SPANLOG_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../flows/flow_key.h"

enum ev_type {
	EV_FLOW,
	EV_ANOMALY,
	EV_STATS,
	EV_HTTP,
	EV_DNS,
	EV_SMTP,
	EV_MODBUS,
	EV_DNP3,
	EV_DEVICE,
	EV_ASSET,
	EV_ALERT,
	EV__COUNT
};

/* Packet direction relative to the flow's client (the side that opened it). */
enum dir { DIR_TO_SERVER = 0, DIR_TO_CLIENT = 1 };

/*
 * Anomaly names: one enum, one string table (generated from this list), so
 * every name is stable and greppable.  Layer prefix, then what happened.
 */
#define ANOMALY_LIST(X)							\
	X(DECODE_TRUNCATED_L2, "decode.link_truncated")			\
	X(DECODE_UNKNOWN_ETHERTYPE, "decode.unknown_ethertype")		\
	X(DECODE_VLAN_TOO_DEEP, "decode.vlan_too_deep")			\
	X(DECODE_IPV4_TRUNCATED, "decode.ipv4_truncated")		\
	X(DECODE_IPV4_BAD_IHL, "decode.ipv4_bad_ihl")			\
	X(DECODE_IPV4_BAD_LEN, "decode.ipv4_bad_total_len")		\
	X(DECODE_IPV4_BAD_VERSION, "decode.ip_bad_version")		\
	X(DECODE_IPV6_TRUNCATED, "decode.ipv6_truncated")		\
	X(DECODE_IPV6_BAD_EXTHDR, "decode.ipv6_bad_ext_header")		\
	X(DECODE_TCP_TRUNCATED, "decode.tcp_truncated")			\
	X(DECODE_TCP_BAD_OFFSET, "decode.tcp_bad_data_offset")		\
	X(DECODE_UDP_TRUNCATED, "decode.udp_truncated")			\
	X(DECODE_UDP_BAD_LEN, "decode.udp_bad_len")			\
	X(DECODE_ICMP_TRUNCATED, "decode.icmp_truncated")		\
	X(FRAG_OVERLAP, "ipfrag.overlap")				\
	X(FRAG_TOO_LARGE, "ipfrag.too_large")				\
	X(FRAG_MEMCAP, "ipfrag.memcap_reached")				\
	X(FRAG_TIMEOUT, "ipfrag.timeout")				\
	X(STREAM_OVERLAP_DIFFERENT, "stream.overlap_different_data")	\
	X(STREAM_REASM_MEMCAP, "stream.reassembly_memcap")		\
	X(STREAM_REASM_DEPTH, "stream.reassembly_depth")		\
	X(STREAM_GAP, "stream.gap")					\
	X(STREAM_PENDING_OVERFLOW, "stream.app_buffer_overflow")	\
	X(APP_MALFORMED, "app.malformed")				\
	X(APP_OVERLONG_LINE, "app.overlong_line")			\
	X(APP_TOO_MANY, "app.limit_reached")

enum anomaly_code {
#define ANOMALY_ENUM(sym, name) ANOM_##sym,
	ANOMALY_LIST(ANOMALY_ENUM)
#undef ANOMALY_ENUM
	ANOM__COUNT
};

/* Static name of an anomaly code ("unknown" for out-of-range). */
const char *anomaly_name(enum anomaly_code c);

/*
 * Common header of every event.  'key' is oriented: src is the flow's client
 * (for flow-less events, the packet's sender).  'ts_us' is capture time.
 */
struct ev_hdr {
	enum ev_type type;
	enum dir dir;		/* direction of the packet that caused it */
	uint64_t ts_us;
	uint64_t flow_id;	/* 0 = not tied to a flow */
	uint64_t event_id;	/* deterministic; see flows/flow_table.c */
	struct flow_key key;
	bool has_key;
	bool has_mac;
	uint8_t src_mac[6];	/* the client's MAC */
	uint8_t dst_mac[6];
	char community_id[32];	/* "1:..." or "" */
	const char *app_proto;	/* static; NULL when not known */
};

enum flow_end_reason {
	FLOW_END_FIN,		/* both sides closed (FIN) */
	FLOW_END_RST,
	FLOW_END_TIMEOUT,
	FLOW_END_EVICTED,	/* the pool was full; oldest idle flow reused */
	FLOW_END_SHUTDOWN,	/* end of capture or signal */
};

#define EV_FLOW_MAX_RISKS 16

struct ev_flow {
	struct ev_hdr h;
	uint64_t start_us, end_us;
	uint64_t pkts[2];	/* [DIR_TO_SERVER], [DIR_TO_CLIENT] */
	uint64_t bytes[2];	/* frame (wire) lengths */
	uint64_t payload_bytes[2];
	uint64_t missed_bytes;
	enum flow_end_reason reason;
	char state[8];		/* Zeek conn_state; empty for non-TCP... see output */
	char history[32];	/* Zeek history */
	bool truncated_depth;	/* reassembly depth reached: app stopped */
	const char *ndpi_proto;	/* static strings from nDPI or "Unknown" */
	const char *ndpi_master;
	const char *ndpi_category;
	const char *risks[EV_FLOW_MAX_RISKS];
	int nrisks;
	/*
	 * interim: the flow is established and classified and still open.
	 * Sent once per flow to the ot/ detectors so a long session alerts
	 * when it starts, not when it ends; never written or counted.  The
	 * inventory only learns its two devices from it (so alerts name
	 * them), not its ports.  started: this final record's flow had one.
	 */
	bool interim, started;
};

/*
 * A TCP try, not a conversation: the server never answered (S0) or
 * refused it (REJ).  The zone policy and the baseline leave these to
 * ot/scan.c.
 */
static inline bool ev_flow_tcp_try(const struct ev_flow *f)
{
	return f->h.key.proto == 6 && (f->pkts[DIR_TO_CLIENT] == 0 ||
	    strcmp(f->state, "REJ") == 0);
}

struct ev_anomaly {
	struct ev_hdr h;
	enum anomaly_code code;
	const char *layer;	/* "decode", "ipfrag", "stream", or a dissector name */
	char detail[160];
};

/*
 * Enrichment the output layer adds to any event with addresses (GeoIP/ASN).
 * Filled by sensor/enrich.c before serialization, never by dissectors.
 */
struct ev_geo_side {
	bool valid;
	char country[4];	/* ISO 3166-1 alpha-2 */
	char city[64];
	uint32_t asn;
	char as_org[96];
};

/* Counters in a stats event.  Summed over workers by the caller. */
struct ev_stats {
	struct ev_hdr h;
	bool final;
	uint64_t uptime_us;
	uint64_t packets, bytes;
	uint64_t kernel_drops, if_drops;	/* pcap_stats ps_drop / ps_ifdrop */
	uint64_t decode_errors;
	uint64_t flows_active, flows_ended, flows_evicted, flows_total;
	uint64_t flows_active_peak;	/* sum of the workers' peaks */
	uint64_t frag_reassembled, frag_dropped, frag_mem;
	uint64_t reasm_mem, reasm_mem_peak, reasm_drops, reasm_gaps;
	uint64_t ndpi_active;
	uint64_t events[EV__COUNT];
	uint64_t anomalies[ANOM__COUNT];
	/* output layer fills its own part (queue depth, redis, spool) */
	uint64_t out_dropped;
	/* Redis sink (output_redis.c); all zero when it is off */
	bool redis_on;
	uint64_t redis_queue, redis_spool_bytes, redis_spool_events;
	uint64_t redis_published, redis_spooled, redis_replayed, redis_dropped;
	uint64_t redis_reconnects, redis_latency_us, redis_latency_max_us;
};

/* Per-protocol event structs, each in its own leaf header. */
#include "ev_modbus.h"
#include "ev_dnp3.h"
#include "ev_http.h"
#include "ev_dns.h"
#include "ev_smtp.h"
#include "ev_device.h"
#include "ev_alert.h"
#include "ev_asset.h"

/*
 * The one door out.  Serializes and hands the event to every configured
 * sink.  Copies what it needs before returning; never blocks on the network.
 * Safe to call from any worker thread.
 */
void out_emit(const struct ev_hdr *ev);

#endif
