/*
 * config.h - spanlog's configuration, parsed once into a 'struct config'
 * that is then passed down as 'const struct config *'.
 *
 * Sources, later ones override earlier ones: built-in defaults
 * (config_defaults), the YAML file (config_load), command-line flags (main.c).
 * Every key of deploy/spanlog.yaml maps to one field here.
 */
#ifndef SPANLOG_CONFIG_H
#define SPANLOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_READ 64
#define CONFIG_PATH_MAX 1024

struct config {
	char sensor[64];		/* sensor: (default: hostname) */

	/* capture: */
	char iface[64];			/* capture.interface */
	char bpf[1024];			/* capture.bpf */
	uint32_t snaplen;		/* capture.snaplen (default 262144) */
	uint32_t buffer_mb;		/* capture.buffer_mb: ring per handle */
	bool promisc;			/* capture.promisc (default true) */
	uint32_t workers;		/* workers: (0 = number of cores) */

	/* -r PATH (command line only) */
	const char *read[CONFIG_MAX_READ];
	int nread;

	/* output: */
	char out_file[CONFIG_PATH_MAX];	/* output.file ("-" = stdout) */

	/* flows: */
	uint32_t max_flows;		/* flows.max_flows (whole sensor) */
	uint32_t timeout_tcp;		/* flows.timeouts.tcp (s, established) */
	uint32_t timeout_tcp_closed;	/* flows.timeouts.tcp_closed (after FIN/RST) */
	uint32_t timeout_tcp_syn;	/* flows.timeouts.tcp_syn (handshake) */
	uint32_t timeout_udp;		/* flows.timeouts.udp */
	uint32_t timeout_icmp;		/* flows.timeouts.icmp */
	uint32_t timeout_other;		/* flows.timeouts.other */

	/* reassembly: */
	uint32_t reasm_memcap_mb;	/* reassembly.memcap_mb (whole sensor) */
	uint32_t reasm_depth_kb;	/* reassembly.depth_kb (per direction; 0 = unlimited) */
	uint32_t reasm_max_ooo_kb;	/* reassembly.max_ooo_kb (per direction) */
	uint32_t app_buffer_kb;		/* reassembly.app_buffer_kb: unconsumed bytes kept */

	/* fragments: */
	uint32_t frag_memcap_mb;	/* fragments.memcap_mb */
	uint32_t frag_timeout;		/* fragments.timeout (s) */

	/* ndpi: */
	bool ndpi_enabled;		/* ndpi.enabled */
	uint32_t ndpi_max_packets;	/* ndpi.max_packets: give up after this many */

	/* dissectors: */
	bool dissect_enabled;		/* dissectors.enabled (false: flow records only) */

	/* stats: */
	uint32_t stats_interval;	/* stats.interval (s, live; 0 = only at end) */

	/* geoip: (empty = no enrichment from that database) */
	char geoip_city[CONFIG_PATH_MAX];	/* geoip.city: City or Country .mmdb */
	char geoip_asn[CONFIG_PATH_MAX];	/* geoip.asn: ASN (or ISP) .mmdb */

	/* ot: (ot/zones.c, ot/alerts.c, ot/assets.c) */
	char ot_zones_file[CONFIG_PATH_MAX];	/* ot.zones_file ("" = no zones) */
	uint32_t ot_alert_update_min;	/* ot.alert_update_min: repeat reports */
	char ot_assets_realtime[8];	/* ot.assets_realtime: auto, true, false */
	char ot_state_file[CONFIG_PATH_MAX];	/* ot.state_file ("" = none) */
	uint32_t ot_learning_hours;	/* ot.learning_hours: baseline learning */
	uint32_t ot_state_save_min;	/* ot.state_save_min: live save period */
	uint32_t ot_scan_hosts;		/* ot.scan_hosts: sweep threshold */
	uint32_t ot_scan_ports;		/* ot.scan_ports: port scan threshold */

	/* redis: (output_redis.c; empty url = off) */
	char redis_url[CONFIG_PATH_MAX];	/* redis.url, or --redis */
	char redis_password_file[CONFIG_PATH_MAX]; /* redis.password_file */
	char redis_password_env[64];	/* redis.password_env */
	char redis_prefix[128];		/* redis.prefix ("" = spanlog:<sensor>) */
	uint32_t redis_maxlen;		/* redis.maxlen: MAXLEN ~ per stream, 0 = no trim */
	uint32_t redis_maxlen_device;	/* redis.maxlen_device */
	bool redis_device_streams;	/* redis.device_streams */
	uint32_t redis_queue_events;	/* redis.queue_events: memory bound */
	uint32_t redis_batch;		/* redis.batch: commands per pipeline */
	uint32_t redis_flush_ms;	/* redis.flush_ms */
	uint32_t redis_timeout_ms;	/* redis.timeout_ms: connect and reply */
	uint32_t redis_drain_ms;	/* redis.drain_timeout_ms: at exit */
	char redis_spool_dir[CONFIG_PATH_MAX];	/* redis.spool_dir, or --spool */
	uint32_t redis_spool_max_mb;	/* redis.spool_max_mb */
	char redis_tls_ca[CONFIG_PATH_MAX];	/* redis.tls.ca_file */
	char redis_tls_cert[CONFIG_PATH_MAX];	/* redis.tls.cert_file */
	char redis_tls_key[CONFIG_PATH_MAX];	/* redis.tls.key_file */

	/* run-time switches (command line only) */
	bool progress;			/* --progress / --no-progress override tty test */
	int progress_set;		/* 0 = auto (tty), 1 = forced on, -1 = off */
};

/* Fills every field with its default.  No allocation. */
void config_defaults(struct config *c);

/*
 * Parses the YAML file at 'path' into *c (on top of what is there).
 * Unknown keys, wrong types and out-of-range values are errors; the message
 * in err names the file, the line and the key, e.g.
 *   "spanlog.yaml:12: flows.max_flows: expected an integer from 1024 to 100000000".
 * Returns 0 or -1.
 */
int config_load(struct config *c, const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Same, from a string in memory (tests). 'name' is used in messages. */
int config_load_string(struct config *c, const char *yaml, size_t len,
    const char *name, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * ot.assets_realtime resolved: 1 (true, or auto when capturing live), 0,
 * or -1 when the value is not auto or a boolean.
 */
int config_assets_realtime(const struct config *c);

/* Checks cross-field rules after all sources are applied. 0 or -1. */
int config_validate(const struct config *c, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
