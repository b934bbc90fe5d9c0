/*
 * output.c - the one door out (see output.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ot/device_log.h"
#include "../ot/alerts.h"
#include "../ot/assets.h"
#include "../ot/baseline.h"
#include "../ot/scan.h"
#include "../ot/zones.h"
#include "config.h"
#include "geoip.h"
#include "output.h"
#include "output_redis.h"

#define OUT_MAX_SINKS 8
#define OUT_LINE_MAX (1u << 20)		/* one serialized event */
#define OUT_BATCH (256u << 10)		/* per-thread batch before a write */

struct sink_slot {
	struct out_sink s;
	pthread_mutex_t lock;
	bool failed;
};

static struct sink_slot sinks[OUT_MAX_SINKS];
static int nsinks;
static char sensor_name[64];
static void (*hook_fn)(const struct ev_hdr *, void *);
static void *hook_arg;
static atomic_ullong lines_written, lines_failed;
static atomic_ullong type_counts[EV__COUNT];

struct out_tls {
	char *line;
	char *batch;
	size_t blen;
};
static _Thread_local struct out_tls tls;

/* ---- the JSON-lines file sink ---- */

struct file_sink {
	int fd;
	bool close_fd;
	char path[CONFIG_PATH_MAX];
};

static int file_write(void *ctx, const char *buf, size_t len)
{
	struct file_sink *fs = ctx;

	while (len > 0) {
		ssize_t n = write(fs->fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "spanlog: %s: write: %s\n", fs->path,
			    strerror(errno));
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void file_close(void *ctx)
{
	struct file_sink *fs = ctx;

	if (fs->close_fd)
		close(fs->fd);
	free(fs);
}

static int file_sink_open(const char *path, char *err, size_t errlen)
{
	struct file_sink *fs = calloc(1, sizeof(*fs));
	struct out_sink s = { .name = "json", .write = file_write,
		.close = file_close };

	if (!fs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(fs->path, sizeof(fs->path), "%s", path);
	if (strcmp(path, "-") == 0) {
		fs->fd = STDOUT_FILENO;
		snprintf(fs->path, sizeof(fs->path), "stdout");
	} else {
		fs->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fs->fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(fs);
			return -1;
		}
		fs->close_fd = true;
	}
	s.ctx = fs;
	return out_add_sink(&s);
}

/* ---- the door ---- */

int out_add_sink(const struct out_sink *s)
{
	if (nsinks >= OUT_MAX_SINKS)
		return -1;
	sinks[nsinks].s = *s;
	pthread_mutex_init(&sinks[nsinks].lock, NULL);
	nsinks++;
	return 0;
}

void out_set_hook(void (*fn)(const struct ev_hdr *ev, void *arg), void *arg)
{
	hook_fn = fn;
	hook_arg = arg;
}

/*
 * How long after it started a try can still be reported: the longest
 * timeout of a flow that carried no data, and a minute of slack.
 */
static uint64_t scan_hold_us(const struct config *cfg)
{
	uint32_t m = cfg->timeout_tcp_syn;

	if (cfg->timeout_tcp_closed > m)
		m = cfg->timeout_tcp_closed;
	if (cfg->timeout_udp > m)
		m = cfg->timeout_udp;
	if (cfg->timeout_icmp > m)
		m = cfg->timeout_icmp;
	return ((uint64_t)m + 60) * 1000000;
}

int out_init(const struct config *cfg, char *err, size_t errlen)
{
	snprintf(sensor_name, sizeof(sensor_name), "%s", cfg->sensor);
	/* GeoIP first: a bad database stops the start before any output. */
	if ((cfg->geoip_city[0] || cfg->geoip_asn[0]) &&
	    geoip_open(cfg->geoip_city, cfg->geoip_asn, err, errlen) != 0)
		return -1;
	/* OT zones too: a bad zones file stops the start (FILE:LINE: ...). */
	if (cfg->ot_zones_file[0] &&
	    zones_load(cfg->ot_zones_file, err, errlen) != 0)
		return -1;
	alerts_set_interval((uint64_t)cfg->ot_alert_update_min * 60000000ULL);
	assets_set_realtime(config_assets_realtime(cfg) == 1);
	baseline_set_period((uint64_t)cfg->ot_learning_hours * 3600000000ULL);
	scan_set_thresholds(cfg->ot_scan_hosts, cfg->ot_scan_ports);
	scan_set_hold(scan_hold_us(cfg));
	if (cfg->out_file[0] && file_sink_open(cfg->out_file, err, errlen) != 0)
		return -1;
	if (cfg->redis_url[0])
		return redis_out_open(cfg, err, errlen);
	return 0;
}

static bool tls_ready(void)
{
	if (tls.line)
		return true;
	/* Once per thread, never per event. */
	tls.line = malloc(OUT_LINE_MAX);
	tls.batch = malloc(OUT_BATCH);
	if (!tls.line || !tls.batch) {
		free(tls.line);
		free(tls.batch);
		tls.line = tls.batch = NULL;
		return false;
	}
	return true;
}

static void batch_write(const char *buf, size_t len)
{
	for (int i = 0; i < nsinks; i++) {
		struct sink_slot *k = &sinks[i];

		if (!k->s.write)
			continue;
		pthread_mutex_lock(&k->lock);
		if (!k->failed && k->s.write(k->s.ctx, buf, len) != 0)
			k->failed = true;
		pthread_mutex_unlock(&k->lock);
	}
}

void out_thread_flush(void)
{
	if (tls.blen) {
		batch_write(tls.batch, tls.blen);
		tls.blen = 0;
	}
}

void out_thread_release(void)
{
	out_thread_flush();
	free(tls.line);
	free(tls.batch);
	tls.line = tls.batch = NULL;
}

static void out_emit_one(const struct ev_hdr *ev)
{
	size_t n;

	if ((unsigned)ev->type < EV__COUNT)
		atomic_fetch_add_explicit(&type_counts[ev->type], 1,
		    memory_order_relaxed);
	if (hook_fn)
		hook_fn(ev, hook_arg);
	if (nsinks == 0)
		return;
	if (!tls_ready()) {
		atomic_fetch_add(&lines_failed, 1);
		return;
	}
	n = json_event(ev, sensor_name, tls.line, OUT_LINE_MAX - 1);
	if (n == 0) {
		atomic_fetch_add(&lines_failed, 1);
		return;
	}
	tls.line[n++] = '\n';
	for (int i = 0; i < nsinks; i++) {
		struct sink_slot *k = &sinks[i];

		if (k->s.event) {
			pthread_mutex_lock(&k->lock);
			k->s.event(k->s.ctx, ev, tls.line, n);
			pthread_mutex_unlock(&k->lock);
		}
	}
	if (tls.blen + n > OUT_BATCH)
		out_thread_flush();
	if (n > OUT_BATCH)
		batch_write(tls.line, n);
	else {
		memcpy(tls.batch + tls.blen, tls.line, n);
		tls.blen += n;
	}
	atomic_fetch_add(&lines_written, 1);
}

void out_emit(const struct ev_hdr *ev)
{
	bool interim = ev->type == EV_FLOW &&
	    ((const struct ev_flow *)ev)->interim;

	if (!interim)	/* for the detectors only: see struct ev_flow */
		out_emit_one(ev);
	/* The device log reads Modbus/DNP3 events after they went out. */
	if (ev->type == EV_MODBUS || ev->type == EV_DNP3)
		device_log_observe(ev);
	/*
	 * ot/: the inventory first (alerts name devices from it), then the
	 * alerts, scans (against the baseline as it was), then the learned
	 * baseline.  Only source types: their own asset/alert events are not
	 * observed, so nothing loops.
	 */
	if (ev->type == EV_FLOW || ev->type == EV_MODBUS ||
	    ev->type == EV_DNP3 || ev->type == EV_HTTP || ev->type == EV_DNS ||
	    ev->type == EV_SMTP) {
		assets_observe(ev);
		alerts_observe(ev);
		if (ev->type == EV_FLOW)	/* judged by the baseline before */
			scan_observe(ev);
		baseline_observe(ev);
	}
}

int out_shutdown(void)
{
	int rc = 0;

	out_thread_flush();
	for (int i = 0; i < nsinks; i++) {
		struct sink_slot *k = &sinks[i];

		if (k->s.flush && k->s.flush(k->s.ctx) != 0)
			k->failed = true;
		if (k->failed)
			rc = -1;
		if (k->s.close)
			k->s.close(k->s.ctx);
		pthread_mutex_destroy(&k->lock);
	}
	nsinks = 0;
	out_thread_release();
	geoip_close();
	return rc;
}

void out_get_type_counts(uint64_t counts[EV__COUNT])
{
	for (int t = 0; t < EV__COUNT; t++)
		counts[t] = atomic_load_explicit(&type_counts[t], memory_order_relaxed);
}

void out_get_counts(uint64_t *written, uint64_t *failed)
{
	*written = atomic_load(&lines_written);
	*failed = atomic_load(&lines_failed);
}
