/*
 * output_redis.c - events to Redis streams, losing nothing (issue 5).
 *
 * Each event becomes
 *	XADD <prefix>:<event_type> [MAXLEN ~ N] * event <json> type <t> ts <iso>
 * and, with redis.device_streams, also an entry in <prefix>:device:<ip> for
 * device, Modbus and DNP3 events (the OT device's own log; for Modbus/DNP3
 * the device is the server side of the flow).
 *
 * Threads.  Workers call redis_event() (the sink's 'event' callback, under
 * the sink mutex of output.c).  It copies the event into a bounded queue of
 * preallocated slots and returns; it never touches the network.  One
 * publisher thread owns the connection, pops batches and pipelines them.
 *
 * Back-pressure and the spool.  When the queue is full (Redis slow or away),
 * the CALLER spills: under spill_lock it moves every queued entry to the disk
 * spool, then the new one, so the spool keeps arrival order and the queue
 * only ever holds entries newer than anything spooled.  A worker may thus
 * wait for the disk, never for Redis (the publisher holds neither lock
 * during network I/O).  We chose the caller over the publisher because the
 * publisher may sit in a connect or read timeout while the queue overflows.
 * Without a spool directory, an event that finds the queue full is dropped
 * and counted.
 *
 * The publisher sends, in this order: queue entries it still holds from a
 * failed attempt, then the spool (oldest first), then the queue.  Entries
 * before the first failed reply are acknowledged; the rest of the batches in
 * flight are sent again after the reconnect (queue entries kept in memory,
 * spool records read again), so at most the tails of two batches are
 * duplicated (at-least-once; every event carries event_id).  Order is kept
 * except in one corner: when a spool batch and a newer queue batch were in
 * flight together, the held queue entries go out before the spool records
 * are read again.  A spool segment is deleted
 * only when every record in it was acknowledged (spool.h).  Reconnects back
 * off from 100 ms to 5 s.  At exit the publisher keeps trying for
 * redis.drain_timeout_ms, then spools what it still holds.
 *
 * Errors.  Transient errors (OOM, READONLY, NOAUTH, LOADING, BUSY, NOPERM,
 * MASTERDOWN, MISCONF, TRYAGAIN, ...) end the connection and the entry is
 * retried; any other error reply (the entry can never be stored, e.g.
 * WRONGTYPE) drops that entry, counted.
 *
 * Transport.  hiredis 0.14 has no TLS, so we connect the socket ourselves
 * (non-blocking connect with a timeout, then blocking I/O with SO_RCVTIMEO/
 * SO_SNDTIMEO) and, for rediss://, run OpenSSL over it (TLS 1.2+, chain
 * verified against redis.tls.ca_file or the system store, host name or IP
 * checked with X509_VERIFY_PARAM_set1_host/_ip_asc, optional client
 * certificate).  hiredis parses the replies (redisReader).  Commands are
 * written as RESP by out_cmd() into one reused buffer: hiredis's
 * redisFormatCommandArgv gives the same bytes but allocates per command and
 * runs sprintf per argument, which was most of the publisher's CPU.  Plain
 * redis:// goes through the same code with a plain socket instead of mixing
 * in hiredis's own connection: one path for both, one set of timeouts, and
 * the pipelining is ours either way.
 *
 * Pipelining: two batches (redis.batch entries each) may be in flight; the
 * next one is formatted and written while Redis works on the first, then
 * the first one's replies are read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "json.h"
#include "output.h"
#include "output_redis.h"
#include "spool.h"

#define RO_SLOT_INIT 2048		/* first size of a queue slot buffer */
#define RO_BACKOFF_MIN_MS 100
#define RO_BACKOFF_MAX_MS 5000
#define RO_SETTLE_ROOM (256u << 10)	/* spool room kept for the last events */
#define RO_RBUF (64u << 10)

const char *ev_type_name(enum ev_type t);	/* output_json.c */

struct ro_slot {
	char *buf;
	size_t cap, len;
};

/*
 * A batch of entries taken from the spool or the queue.  Two may be in
 * flight: the next is formatted and written while Redis works on the first.
 */
struct ro_batch {
	struct ro_slot *e;
	uint32_t *ncmd;			/* commands sent per entry (0: unparsable) */
	uint32_t n;
	bool from_spool;
	bool sent;
	uint64_t t_sent;
};

struct redis_out {
	/* configuration */
	char host[256];
	char port[8];
	unsigned db;
	char user[128];
	char pass[512];
	bool tls;
	char prefix[160];
	uint32_t maxlen, maxlen_device;
	bool dev_streams;
	uint32_t batch, flush_ms, timeout_ms, drain_ms;

	/* the queue (qlock); spill_lock is taken before qlock */
	pthread_mutex_t qlock, spill_lock;
	pthread_cond_t qcond, settle_cond;
	struct ro_slot *ring;
	uint32_t qcap, qhead, qcount;
	bool stopping, settle_req, settled;
	uint64_t deadline_ms;
	struct spool *spool;

	/* publisher only */
	pthread_t thr;
	struct ro_batch b[2];		/* b[bi] is the older one */
	int bi;
	int fd;
	SSL_CTX *ssl_ctx;
	SSL *ssl;
	redisReader *reader;
	char *obuf;
	size_t olen, ocap;
	char *rbuf;
	char last_err[256];
	bool ever_connected;
	int lowat;			/* SO_RCVLOWAT now set on fd */
	char key_type[32];		/* stream key of the last type seen */
	char key[224];
	size_t key_len;

	/* counters */
	atomic_ullong published, spooled, replayed, dropped, rejected;
	atomic_ullong reconnects, lat_sum_us, lat_n, lat_max_us;
};

static struct redis_out *ro_global;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Logs a connection problem once per distinct message. */
__attribute__((format(printf, 2, 3)))
static void ro_fail(struct redis_out *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, r->last_err) != 0) {
		fprintf(stderr, "spanlog: redis %s:%s: %s\n", r->host, r->port, msg);
		snprintf(r->last_err, sizeof(r->last_err), "%s", msg);
	}
}

/* ------------------------------------------------------------ config */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Copies s[0..n) percent-decoded into out.  0 or -1. */
static int pct_copy(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (o + 1 >= cap || c == 0)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* redis[s]://[user[:pass]@]host[:port][/db] */
static int parse_url(struct redis_out *r, const char *url, char *err,
    size_t errlen)
{
	const char *p, *at, *hp, *he, *slash;
	char *end;
	unsigned long v;

	if (strncmp(url, "redis://", 8) == 0) {
		p = url + 8;
	} else if (strncmp(url, "rediss://", 9) == 0) {
		p = url + 9;
		r->tls = true;
	} else {
		snprintf(err, errlen, "redis.url: expected redis:// or rediss://");
		return -1;
	}
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	at = memrchr(p, '@', (size_t)(slash - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (pct_copy(r->user, sizeof(r->user), p, (size_t)((colon ?
		    colon : at) - p)) != 0 || (colon && pct_copy(r->pass,
		    sizeof(r->pass), colon + 1, (size_t)(at - colon - 1)) != 0)) {
			snprintf(err, errlen, "redis.url: bad user or password");
			return -1;
		}
		p = at + 1;
	}
	if (*p == '[') {
		hp = p + 1;
		he = memchr(hp, ']', (size_t)(slash - hp));
		if (!he) {
			snprintf(err, errlen, "redis.url: unclosed [");
			return -1;
		}
		p = he + 1;
	} else {
		hp = p;
		he = memchr(p, ':', (size_t)(slash - p));
		if (!he)
			he = slash;
		p = he;
	}
	if (he == hp || (size_t)(he - hp) >= sizeof(r->host)) {
		snprintf(err, errlen, "redis.url: bad host");
		return -1;
	}
	memcpy(r->host, hp, (size_t)(he - hp));
	r->host[he - hp] = '\0';
	snprintf(r->port, sizeof(r->port), "6379");
	if (*p == ':') {
		v = strtoul(p + 1, &end, 10);
		if (end == p + 1 || end != slash || v == 0 || v > 65535) {
			snprintf(err, errlen, "redis.url: bad port");
			return -1;
		}
		snprintf(r->port, sizeof(r->port), "%lu", v);
	} else if (p != slash) {
		snprintf(err, errlen, "redis.url: bad host");
		return -1;
	}
	if (*slash == '/' && slash[1]) {
		v = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || v > 100000) {
			snprintf(err, errlen, "redis.url: bad database number");
			return -1;
		}
		r->db = (unsigned)v;
	}
	return 0;
}

static int read_password(struct redis_out *r, const struct config *cfg,
    char *err, size_t errlen)
{
	if (r->pass[0])
		return 0;
	if (cfg->redis_password_file[0]) {
		FILE *f = fopen(cfg->redis_password_file, "r");
		size_t n;

		if (!f || !fgets(r->pass, sizeof(r->pass), f)) {
			snprintf(err, errlen, "redis.password_file: %s: %s",
			    cfg->redis_password_file, f ? "empty" :
			    strerror(errno));
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		n = strcspn(r->pass, "\r\n");
		r->pass[n] = '\0';
	} else if (cfg->redis_password_env[0]) {
		const char *v = getenv(cfg->redis_password_env);

		if (!v || !*v || strlen(v) >= sizeof(r->pass)) {
			snprintf(err, errlen, "redis.password_env: $%s is not set",
			    cfg->redis_password_env);
			return -1;
		}
		snprintf(r->pass, sizeof(r->pass), "%s", v);
	}
	return 0;
}

static int tls_setup(struct redis_out *r, const struct config *cfg, char *err,
    size_t errlen)
{
	r->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (!r->ssl_ctx ||
	    !SSL_CTX_set_min_proto_version(r->ssl_ctx, TLS1_2_VERSION))
		goto ssl_err;
	SSL_CTX_set_verify(r->ssl_ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->redis_tls_ca[0]) {
		if (SSL_CTX_load_verify_locations(r->ssl_ctx, cfg->redis_tls_ca,
		    NULL) != 1) {
			snprintf(err, errlen, "redis.tls.ca_file: %s: cannot load",
			    cfg->redis_tls_ca);
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(r->ssl_ctx) != 1) {
		goto ssl_err;
	}
	if (cfg->redis_tls_cert[0] || cfg->redis_tls_key[0]) {
		if (SSL_CTX_use_certificate_chain_file(r->ssl_ctx,
		    cfg->redis_tls_cert) != 1) {
			snprintf(err, errlen, "redis.tls.cert_file: %s: cannot load",
			    cfg->redis_tls_cert);
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(r->ssl_ctx, cfg->redis_tls_key[0] ?
		    cfg->redis_tls_key : cfg->redis_tls_cert, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(r->ssl_ctx) != 1) {
			snprintf(err, errlen, "redis.tls.key_file: %s: cannot load "
			    "or does not match the certificate", cfg->redis_tls_key);
			return -1;
		}
	}
	return 0;
ssl_err:
	snprintf(err, errlen, "redis: TLS setup: %s",
	    ERR_error_string(ERR_get_error(), NULL));
	return -1;
}

/* --------------------------------------------------------- transport */

static void conn_close(struct redis_out *r)
{
	if (r->ssl) {
		SSL_free(r->ssl);
		r->ssl = NULL;
	}
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->reader) {
		redisReaderFree(r->reader);
		r->reader = NULL;
	}
}

static int tcp_connect(struct redis_out *r, uint32_t tmo_ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv;
	int one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(r->host, r->port, &hints, &res);
	if (rc != 0) {
		ro_fail(r, "cannot resolve: %s", gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		int fd, soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		r->lowat = 1;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (errno != EINPROGRESS) {
				soerr = errno;
				goto next;
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)tmo_ms) <= 0) {
				soerr = ETIMEDOUT;
				goto next;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
			    soerr != 0)
				goto next;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		tv.tv_sec = tmo_ms / 1000;
		tv.tv_usec = (tmo_ms % 1000) * 1000;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		freeaddrinfo(res);
		r->fd = fd;
		return 0;
next:
		ro_fail(r, "connect: %s", strerror(soerr ? soerr : errno));
		close(fd);
	}
	freeaddrinfo(res);
	return -1;
}

static int tls_handshake(struct redis_out *r)
{
	struct in6_addr a6;
	bool is_ip = inet_pton(AF_INET, r->host, &a6) == 1 ||
	    inet_pton(AF_INET6, r->host, &a6) == 1;
	X509_VERIFY_PARAM *vp;
	long vr;

	r->ssl = SSL_new(r->ssl_ctx);
	if (!r->ssl || SSL_set_fd(r->ssl, r->fd) != 1)
		goto fail;
	vp = SSL_get0_param(r->ssl);
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, r->host) != 1)
			goto fail;
	} else if (X509_VERIFY_PARAM_set1_host(vp, r->host, 0) != 1 ||
	    SSL_set_tlsext_host_name(r->ssl, r->host) != 1) {
		goto fail;
	}
	ERR_clear_error();
	if (SSL_connect(r->ssl) == 1)
		return 0;
	vr = SSL_get_verify_result(r->ssl);
	if (vr != X509_V_OK) {
		ro_fail(r, "TLS: server certificate refused: %s",
		    X509_verify_cert_error_string(vr));
		return -1;
	}
fail:
	{
		const char *why = ERR_reason_error_string(ERR_peek_last_error());

		ro_fail(r, "TLS handshake failed: %s", why ? why :
		    "connection closed");
	}
	return -1;
}

static int conn_write(struct redis_out *r, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k;

		if (r->ssl) {
			int w = SSL_write(r->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);

			k = w > 0 ? w : -1;
		} else {
			k = send(r->fd, p, n, MSG_NOSIGNAL);
			if (k < 0 && errno == EINTR)
				continue;
		}
		if (k <= 0) {
			ro_fail(r, "write: %s", r->ssl ? "TLS error" :
			    strerror(errno));
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Next reply (caller frees), reading as needed.  NULL on error/timeout.
 * 'left' replies (this one included) are still expected: SO_RCVLOWAT asks
 * the kernel not to wake us before 9 bytes per reply have arrived (no
 * XADD reply is shorter: "$3\r\n0-1\r\n"), so a batch costs a few
 * wake-ups instead of one per TCP segment.  Not over TLS: OpenSSL may
 * hold part of a record, so socket bytes say nothing about replies.
 */
static redisReply *conn_reply(struct redis_out *r, uint32_t left)
{
	void *reply = NULL;

	for (;;) {
		ssize_t k;

		if (redisReaderGetReply(r->reader, &reply) != REDIS_OK) {
			ro_fail(r, "protocol error");
			return NULL;
		}
		if (reply)
			return reply;
		if (!r->ssl) {
			/* the current reply may be partly buffered: >= 1 byte */
			bool part = r->reader->len > r->reader->pos;
			uint32_t need = left == 0 ? 1 : part ?
			    (left - 1) * 9 + 1 : left * 9;
			int lowat = need > 16384 ? 16384 : (int)need;

			if (lowat != r->lowat && setsockopt(r->fd, SOL_SOCKET,
			    SO_RCVLOWAT, &lowat, sizeof(lowat)) == 0)
				r->lowat = lowat;
		}
		if (r->ssl) {
			int n = SSL_read(r->ssl, r->rbuf, RO_RBUF);

			k = n > 0 ? n : -1;
		} else {
			k = recv(r->fd, r->rbuf, RO_RBUF, 0);
			if (k < 0 && errno == EINTR)
				continue;
		}
		if (k <= 0) {
			ro_fail(r, "read: %s", k == 0 || r->ssl ?
			    "connection closed" : errno == EAGAIN ?
			    "timeout" : strerror(errno));
			return NULL;
		}
		if (redisReaderFeed(r->reader, r->rbuf, (size_t)k) != REDIS_OK) {
			ro_fail(r, "protocol error");
			return NULL;
		}
	}
}

/* Decimal digits of v at p; returns the end. */
static char *put_dec(char *p, size_t v)
{
	char t[24];
	int n = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = t[--n];
	return p;
}

/*
 * Appends one command to obuf as a RESP array of bulk strings:
 *	*<argc>\r\n  then per argument  $<len>\r\n<bytes>\r\n
 * (the same bytes as hiredis's redisFormatCommandArgv, which the
 * integration tests compare through Redis).  Written by hand because
 * redisFormatCommandArgv allocates per command and runs sprintf per
 * argument, which was the publisher's largest cost.  0 or -1.
 */
static int out_cmd(struct redis_out *r, int argc, const char **argv,
    const size_t *lens)
{
	size_t need = 16;
	char *p;

	for (int i = 0; i < argc; i++)
		need += 1 + 20 + 2 + lens[i] + 2;
	if (r->olen + need > r->ocap) {
		size_t nc = (r->olen + need) * 2;
		char *nb = realloc(r->obuf, nc);

		if (!nb)
			return -1;
		r->obuf = nb;
		r->ocap = nc;
	}
	p = r->obuf + r->olen;
	*p++ = '*';
	p = put_dec(p, (size_t)argc);
	*p++ = '\r';
	*p++ = '\n';
	for (int i = 0; i < argc; i++) {
		*p++ = '$';
		p = put_dec(p, lens[i]);
		*p++ = '\r';
		*p++ = '\n';
		memcpy(p, argv[i], lens[i]);
		p += lens[i];
		*p++ = '\r';
		*p++ = '\n';
	}
	r->olen = (size_t)(p - r->obuf);
	return 0;
}

static bool err_transient(const char *s)
{
	static const char *const pfx[] = { "OOM", "READONLY", "NOAUTH",
	    "LOADING", "BUSY", "NOPERM", "MASTERDOWN", "MISCONF", "TRYAGAIN",
	    "CLUSTERDOWN", "NOREPLICAS", "WRONGPASS", "MOVED", "ASK" };

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (strncmp(s, pfx[i], strlen(pfx[i])) == 0)
			return true;
	return false;
}

/* Connects, authenticates, selects the database.  0 or -1. */
static int conn_open(struct redis_out *r, uint32_t tmo_ms)
{
	const char *argv[3];
	size_t lens[3];
	int nrep = 0;
	char dbs[16];

	if (tcp_connect(r, tmo_ms) != 0)
		return -1;
	if (r->tls && tls_handshake(r) != 0)
		goto fail;
	r->reader = redisReaderCreate();
	if (!r->reader)
		goto fail;
	r->olen = 0;
	if (r->pass[0]) {
		int n = 0;

		argv[n] = "AUTH";
		lens[n++] = 4;
		if (r->user[0]) {
			argv[n] = r->user;
			lens[n++] = strlen(r->user);
		}
		argv[n] = r->pass;
		lens[n++] = strlen(r->pass);
		if (out_cmd(r, n, argv, lens) != 0)
			goto fail;
		nrep++;
	}
	if (r->db) {
		snprintf(dbs, sizeof(dbs), "%u", r->db);
		argv[0] = "SELECT";
		lens[0] = 6;
		argv[1] = dbs;
		lens[1] = strlen(dbs);
		if (out_cmd(r, 2, argv, lens) != 0)
			goto fail;
		nrep++;
	}
	argv[0] = "PING";
	lens[0] = 4;
	if (out_cmd(r, 1, argv, lens) != 0)
		goto fail;
	nrep++;
	if (conn_write(r, r->obuf, r->olen) != 0)
		goto fail;
	for (int i = 0; i < nrep; i++) {
		redisReply *rep = conn_reply(r, 0);	/* +OK is short */

		if (!rep)
			goto fail;
		if (rep->type == REDIS_REPLY_ERROR) {
			ro_fail(r, "%s", rep->str);
			freeReplyObject(rep);
			goto fail;
		}
		freeReplyObject(rep);
	}
	return 0;
fail:
	conn_close(r);
	return -1;
}

/* --------------------------------------------------------- the queue */

static int slot_fit(struct ro_slot *s, size_t need)
{
	if (need <= s->cap)
		return 0;
	{
		size_t nc = need < RO_SLOT_INIT ? RO_SLOT_INIT : need;
		char *nb = realloc(s->buf, nc);

		if (!nb)
			return -1;
		s->buf = nb;
		s->cap = nc;
	}
	return 0;
}

/* Appends one record to the spool, counting.  Caller holds spill_lock. */
static void spool_put(struct redis_out *r, const char *rec, size_t len)
{
	if (spool_append(r->spool, rec, len) == 0)
		atomic_fetch_add(&r->spooled, 1);
	else
		atomic_fetch_add(&r->dropped, 1);
}

/* Moves every queued entry to the spool.  Caller holds spill_lock + qlock. */
static void spill_queue(struct redis_out *r)
{
	while (r->qcount) {
		struct ro_slot *s = &r->ring[r->qhead];

		spool_put(r, s->buf, s->len);
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qcount--;
	}
}

/*
 * Record layout (queue slot and spool record alike):
 *	type NUL device-ip-or-empty NUL ts NUL json
 */
static size_t rec_head(const struct redis_out *r, const struct ev_hdr *ev,
    char *h, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "", ts[40];
	const uint8_t *a = NULL;
	int fam = 4;
	size_t n;

	if (r->dev_streams) {
		if (ev->type == EV_DEVICE) {
			const struct ev_device *d = (const struct ev_device *)ev;

			a = d->ip;
			fam = d->family;
		} else if ((ev->type == EV_MODBUS || ev->type == EV_DNP3) &&
		    ev->has_key) {
			a = ev->key.dst;
			fam = ev->key.family;
		}
		if (a)
			inet_ntop(fam == 6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip));
	}
	json_format_time(ev->ts_us, ts, sizeof(ts));
	n = (size_t)snprintf(h, cap, "%s%c%s%c%s%c", ev_type_name(ev->type), 0,
	    ip, 0, ts, 0);
	return n < cap ? n : 0;
}

static void redis_event(void *ctx, const struct ev_hdr *ev, const char *line,
    size_t len)
{
	struct redis_out *r = ctx;
	char head[192];
	size_t hl = rec_head(r, ev, head, sizeof(head));

	if (len && line[len - 1] == '\n')
		len--;
	if (hl == 0 || hl + len > SPOOL_REC_MAX) {
		atomic_fetch_add(&r->dropped, 1);
		return;
	}
	pthread_mutex_lock(&r->qlock);
	if (r->qcount < r->qcap) {
		struct ro_slot *s = &r->ring[(r->qhead + r->qcount) % r->qcap];

		if (slot_fit(s, hl + len) == 0) {
			memcpy(s->buf, head, hl);
			memcpy(s->buf + hl, line, len);
			s->len = hl + len;
			if (r->qcount++ == 0)
				pthread_cond_signal(&r->qcond);
			pthread_mutex_unlock(&r->qlock);
			return;
		}
	}
	pthread_mutex_unlock(&r->qlock);
	if (!r->spool) {
		atomic_fetch_add(&r->dropped, 1);
		return;
	}
	/* Full: spill the queue, then this one, keeping arrival order. */
	pthread_mutex_lock(&r->spill_lock);
	pthread_mutex_lock(&r->qlock);
	spill_queue(r);
	pthread_mutex_unlock(&r->qlock);
	if (spool_append2(r->spool, head, hl, line, len) == 0)
		atomic_fetch_add(&r->spooled, 1);
	else
		atomic_fetch_add(&r->dropped, 1);
	pthread_mutex_unlock(&r->spill_lock);
}

/* --------------------------------------------------------- publisher */

/* Formats a batch into obuf.  Unparsable entries get ncmd 0. */
static int format_batch(struct redis_out *r, struct ro_batch *bt)
{
	char dkey[256], ml[16], mld[16];
	const char *argv[12];
	size_t lens[12];

	snprintf(ml, sizeof(ml), "%u", r->maxlen);
	snprintf(mld, sizeof(mld), "%u", r->maxlen_device);
	r->olen = 0;
	for (uint32_t i = 0; i < bt->n; i++) {
		const char *b = bt->e[i].buf, *type, *dev, *ts, *json;
		size_t len = bt->e[i].len, off = 0;
		const char *f[3];
		int argc = 0;

		for (int k = 0; k < 3; k++) {
			const char *z = memchr(b + off, 0, len - off);

			if (!z) {
				f[0] = NULL;
				break;
			}
			f[k] = b + off;
			off = (size_t)(z - b) + 1;
		}
		bt->ncmd[i] = 0;
		if (!f[0])
			continue;	/* counted as rejected when replies come */
		type = f[0];
		dev = f[1];
		ts = f[2];
		json = b + off;
		if (strcmp(type, r->key_type) != 0) {
			snprintf(r->key_type, sizeof(r->key_type), "%s", type);
			r->key_len = (size_t)snprintf(r->key, sizeof(r->key),
			    "%s:%s", r->prefix, type);
			if (r->key_len >= sizeof(r->key))
				r->key_len = sizeof(r->key) - 1;
		}
		argv[argc] = "XADD"; lens[argc++] = 4;
		argv[argc] = r->key; lens[argc++] = r->key_len;
		if (r->maxlen) {
			argv[argc] = "MAXLEN"; lens[argc++] = 6;
			argv[argc] = "~"; lens[argc++] = 1;
			argv[argc] = ml; lens[argc++] = strlen(ml);
		}
		argv[argc] = "*"; lens[argc++] = 1;
		argv[argc] = "event"; lens[argc++] = 5;
		argv[argc] = json; lens[argc++] = len - off;
		argv[argc] = "type"; lens[argc++] = 4;
		argv[argc] = type; lens[argc++] = strlen(type);
		argv[argc] = "ts"; lens[argc++] = 2;
		argv[argc] = ts; lens[argc++] = strlen(ts);
		if (out_cmd(r, argc, argv, lens) != 0)
			return -1;
		bt->ncmd[i]++;
		if (dev[0]) {
			snprintf(dkey, sizeof(dkey), "%s:device:%s", r->prefix, dev);
			argv[1] = dkey;
			lens[1] = strlen(dkey);
			if (r->maxlen_device) {
				argv[4] = mld;
				lens[4] = strlen(mld);
			} else if (r->maxlen) {
				/* no trim for device streams: drop MAXLEN ~ N */
				memmove(&argv[2], &argv[5], (size_t)(argc - 5) *
				    sizeof(argv[0]));
				memmove(&lens[2], &lens[5], (size_t)(argc - 5) *
				    sizeof(lens[0]));
				argc -= 3;
			}
			if (out_cmd(r, argc, argv, lens) != 0)
				return -1;
			bt->ncmd[i]++;
		}
	}
	return 0;
}

/* The first n entries of a batch are done (delivered or rejected). */
static void batch_ack(struct redis_out *r, struct ro_batch *bt, uint32_t n)
{
	if (n == 0)
		return;
	if (bt->from_spool) {
		spool_ack(r->spool, n);
		atomic_fetch_add(&r->replayed, n);
	}
	/* keep the rest at the front, rotating slot buffers (no copies) */
	for (uint32_t i = 0; i + n < bt->n; i++) {
		struct ro_slot t = bt->e[i];

		bt->e[i] = bt->e[i + n];
		bt->e[i + n] = t;
	}
	bt->n -= n;
}

/* Formats and writes a batch.  0, or -1 (connection closed). */
static int batch_send(struct redis_out *r, struct ro_batch *bt)
{
	if (format_batch(r, bt) != 0 || conn_write(r, r->obuf, r->olen) != 0) {
		conn_close(r);
		return -1;
	}
	bt->sent = true;
	bt->t_sent = now_us();
	return 0;
}

/* Reads the replies of a sent batch.  0 if all done, -1 (closed). */
static int batch_recv(struct redis_out *r, struct ro_batch *bt)
{
	uint32_t ok = 0, i, left = 0;
	uint64_t lat;
	bool fail = false;

	for (i = 0; i < bt->n; i++)
		left += bt->ncmd[i];
	for (i = 0; i < bt->n && !fail; i++) {
		bool good = bt->ncmd[i] > 0;

		for (uint32_t c = 0; c < bt->ncmd[i]; c++) {
			redisReply *rep = conn_reply(r, left--);

			if (!rep) {
				fail = true;
				break;
			}
			if (rep->type == REDIS_REPLY_ERROR) {
				good = false;
				if (err_transient(rep->str)) {
					fail = true;
					ro_fail(r, "%s", rep->str);
				} else {
					fprintf(stderr, "spanlog: redis: event "
					    "rejected: %s\n", rep->str);
				}
			}
			freeReplyObject(rep);
		}
		if (fail)
			break;
		if (good) {
			atomic_fetch_add(&r->published, 1);
		} else {
			atomic_fetch_add(&r->rejected, 1);
			atomic_fetch_add(&r->dropped, 1);
		}
		ok++;
	}
	batch_ack(r, bt, ok);
	if (fail) {
		conn_close(r);
		return -1;
	}
	bt->sent = false;
	lat = now_us() - bt->t_sent;
	atomic_fetch_add(&r->lat_sum_us, lat);
	atomic_fetch_add(&r->lat_n, 1);
	if (lat > atomic_load(&r->lat_max_us))
		atomic_store(&r->lat_max_us, lat);
	return 0;
}

/* Fills an empty batch from the spool, else the queue.  Number taken. */
static uint32_t batch_fill(struct redis_out *r, struct ro_batch *bt)
{
	bt->n = 0;
	bt->sent = false;
	bt->from_spool = false;
	if (r->spool && spool_pending(r->spool)) {
		while (bt->n < r->batch) {
			long n = spool_read(r->spool, r->rbuf + RO_RBUF,
			    SPOOL_REC_MAX);
			struct ro_slot *s = &bt->e[bt->n];

			if (n <= 0 || slot_fit(s, (size_t)n) != 0)
				break;
			memcpy(s->buf, r->rbuf + RO_RBUF, (size_t)n);
			s->len = (size_t)n;
			bt->n++;
		}
		if (bt->n) {
			bt->from_spool = true;
			return bt->n;
		}
		/* pending records are all in flight in the other batch */
	}
	pthread_mutex_lock(&r->qlock);
	while (r->qcount && bt->n < r->batch) {
		struct ro_slot t = bt->e[bt->n];

		bt->e[bt->n++] = r->ring[r->qhead];
		r->ring[r->qhead] = t;
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qcount--;
	}
	pthread_mutex_unlock(&r->qlock);
	return bt->n;
}

/*
 * The connection broke: spool records in flight go back to the spool (read
 * again, in order); queue entries stay in their batch, older batch first,
 * to be sent again after the reconnect.
 */
static void batches_broken(struct redis_out *r)
{
	bool rewind = false;

	for (int k = 0; k < 2; k++) {
		struct ro_batch *bt = &r->b[k];

		bt->sent = false;
		if (bt->from_spool && bt->n) {
			bt->n = 0;
			rewind = true;
		}
	}
	if (rewind)
		spool_rewind(r->spool);
	if (r->b[r->bi].n == 0 && r->b[r->bi ^ 1].n)
		r->bi ^= 1;
}

/* Puts both batches (older first) and the queue into the spool. */
static void spool_everything(struct redis_out *r)
{
	batches_broken(r);
	pthread_mutex_lock(&r->spill_lock);
	for (int k = 0; k < 2; k++) {
		struct ro_batch *bt = &r->b[r->bi ^ k];

		for (uint32_t i = 0; i < bt->n; i++)
			spool_put(r, bt->e[i].buf, bt->e[i].len);
		bt->n = 0;
	}
	pthread_mutex_lock(&r->qlock);
	spill_queue(r);
	pthread_mutex_unlock(&r->qlock);
	pthread_mutex_unlock(&r->spill_lock);
	(void)spool_sync(r->spool);
}

static void settle_done(struct redis_out *r)
{
	pthread_mutex_lock(&r->qlock);
	r->settle_req = false;
	r->settled = true;
	pthread_cond_broadcast(&r->settle_cond);
	pthread_mutex_unlock(&r->qlock);
}

/* Waits on qcond until the absolute monotonic time wake_ms (or a signal). */
static void wait_until(struct redis_out *r, uint64_t wake_ms, bool if_empty)
{
	struct timespec ts;
	uint64_t t = now_ms(), ns;

	if (wake_ms <= t)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (uint64_t)ts.tv_nsec + (wake_ms - t) * 1000000;
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	pthread_mutex_lock(&r->qlock);
	if (!r->settle_req && !r->stopping && (!if_empty || r->qcount == 0))
		pthread_cond_timedwait(&r->qcond, &r->qlock, &ts);
	pthread_mutex_unlock(&r->qlock);
}

static void *publisher(void *arg)
{
	struct redis_out *r = arg;
	uint64_t next_try = 0, backoff = RO_BACKOFF_MIN_MS, last_sync = now_ms();
	bool connected = false;

	for (;;) {
		struct ro_batch *a = &r->b[r->bi], *o = &r->b[r->bi ^ 1];
		uint64_t t = now_ms();
		bool stopping, settle;

		pthread_mutex_lock(&r->qlock);
		stopping = r->stopping;
		settle = r->settle_req;
		pthread_mutex_unlock(&r->qlock);
		if (stopping && t >= r->deadline_ms)
			break;
		if (r->spool && t - last_sync >= 200) {
			(void)spool_sync(r->spool);
			last_sync = t;
		}
		if (!connected) {
			if (settle) {
				/* Redis away: settle on the disk */
				if (r->spool) {
					spool_everything(r);
					spool_make_room(r->spool, RO_SETTLE_ROOM);
				}
				settle_done(r);
			}
			if (t >= next_try) {
				uint32_t tmo = r->timeout_ms;

				if (stopping && r->deadline_ms - t < tmo)
					tmo = (uint32_t)(r->deadline_ms - t) + 1;
				if (conn_open(r, tmo) == 0) {
					connected = true;
					backoff = RO_BACKOFF_MIN_MS;
					if (r->ever_connected || r->last_err[0])
						fprintf(stderr, "spanlog: redis %s:%s: "
						    "connected\n", r->host, r->port);
					if (r->ever_connected)
						atomic_fetch_add(&r->reconnects, 1);
					r->ever_connected = true;
					r->last_err[0] = '\0';
					continue;
				}
				next_try = now_ms() + backoff;
				backoff = backoff * 2 > RO_BACKOFF_MAX_MS ?
				    RO_BACKOFF_MAX_MS : backoff * 2;
			}
			wait_until(r, stopping && r->deadline_ms < next_try ?
			    r->deadline_ms : next_try, false);
			continue;
		}
		if (a->n == 0 && o->n) {
			r->bi ^= 1;	/* keep the older batch first */
			continue;
		}
		if (a->n == 0 && batch_fill(r, a) == 0) {
			/* nothing to send: wait for events */
			if (stopping)
				break;	/* everything delivered */
			if (settle) {
				if (r->spool)
					spool_make_room(r->spool, RO_SETTLE_ROOM);
				settle_done(r);
			}
			wait_until(r, now_ms() + r->flush_ms, true);
			continue;
		}
		/* a in flight, o formatted and written meanwhile, then a's replies */
		if ((!a->sent && batch_send(r, a) != 0) ||
		    (o->n == 0 && batch_fill(r, o) && batch_send(r, o) != 0) ||
		    (o->n && !o->sent && batch_send(r, o) != 0) ||
		    batch_recv(r, a) != 0) {
			connected = false;
			batches_broken(r);
			next_try = now_ms() + backoff;
			continue;
		}
		r->bi ^= 1;
	}
	conn_close(r);
	if (r->spool) {
		spool_everything(r);
	} else {
		pthread_mutex_lock(&r->qlock);
		atomic_fetch_add(&r->dropped, r->b[0].n + r->b[1].n + r->qcount);
		r->qcount = 0;
		pthread_mutex_unlock(&r->qlock);
		r->b[0].n = r->b[1].n = 0;
	}
	settle_done(r);
	return NULL;
}

/* ----------------------------------------------------------- the sink */

static void ro_free(struct redis_out *r)
{
	if (!r)
		return;
	conn_close(r);
	if (r->ring)
		for (uint32_t i = 0; i < r->qcap; i++)
			free(r->ring[i].buf);
	for (int k = 0; k < 2; k++) {
		if (r->b[k].e)
			for (uint32_t i = 0; i < r->batch; i++)
				free(r->b[k].e[i].buf);
		free(r->b[k].e);
		free(r->b[k].ncmd);
	}
	free(r->ring);
	free(r->obuf);
	free(r->rbuf);
	spool_close(r->spool);
	if (r->ssl_ctx)
		SSL_CTX_free(r->ssl_ctx);
	pthread_mutex_destroy(&r->qlock);
	pthread_mutex_destroy(&r->spill_lock);
	pthread_cond_destroy(&r->qcond);
	pthread_cond_destroy(&r->settle_cond);
	explicit_bzero(r->pass, sizeof(r->pass));
	free(r);
}

static void redis_close(void *ctx)
{
	struct redis_out *r = ctx;
	struct spool_stats st = { 0 };

	pthread_mutex_lock(&r->qlock);
	r->stopping = true;
	r->deadline_ms = now_ms() + r->drain_ms;
	pthread_cond_broadcast(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
	pthread_join(r->thr, NULL);
	if (r->spool)
		spool_get_stats(r->spool, &st);
	fprintf(stderr, "spanlog: redis: %llu published (%llu replayed), "
	    "%llu spooled, %llu dropped, %llu left in spool (%llu bytes)\n",
	    (unsigned long long)atomic_load(&r->published),
	    (unsigned long long)atomic_load(&r->replayed),
	    (unsigned long long)atomic_load(&r->spooled),
	    (unsigned long long)(atomic_load(&r->dropped) + st.dropped),
	    (unsigned long long)st.records, (unsigned long long)st.bytes);
	if (ro_global == r)
		ro_global = NULL;
	ro_free(r);
}

int redis_out_open(const struct config *cfg, char *err, size_t errlen)
{
	struct redis_out *r = calloc(1, sizeof(*r));
	struct out_sink s = { .name = "redis", .event = redis_event,
		.close = redis_close };

	if (!r) {
		snprintf(err, errlen, "redis: out of memory");
		return -1;
	}
	pthread_mutex_init(&r->qlock, NULL);
	pthread_mutex_init(&r->spill_lock, NULL);
	pthread_cond_init(&r->qcond, NULL);
	pthread_cond_init(&r->settle_cond, NULL);
	r->fd = -1;
	if (parse_url(r, cfg->redis_url, err, errlen) != 0 ||
	    read_password(r, cfg, err, errlen) != 0)
		goto err;
	if (r->tls && tls_setup(r, cfg, err, errlen) != 0)
		goto err;
	if (cfg->redis_prefix[0])
		snprintf(r->prefix, sizeof(r->prefix), "%s", cfg->redis_prefix);
	else
		snprintf(r->prefix, sizeof(r->prefix), "spanlog:%s", cfg->sensor);
	r->maxlen = cfg->redis_maxlen;
	r->maxlen_device = cfg->redis_maxlen_device;
	r->dev_streams = cfg->redis_device_streams;
	r->batch = cfg->redis_batch;
	r->flush_ms = cfg->redis_flush_ms;
	r->timeout_ms = cfg->redis_timeout_ms;
	r->drain_ms = cfg->redis_drain_ms;
	r->qcap = cfg->redis_queue_events;
	r->ring = calloc(r->qcap, sizeof(*r->ring));
	for (int k = 0; k < 2; k++) {
		r->b[k].e = calloc(r->batch, sizeof(*r->b[k].e));
		r->b[k].ncmd = calloc(r->batch, sizeof(*r->b[k].ncmd));
	}
	r->rbuf = malloc(RO_RBUF + SPOOL_REC_MAX);
	if (!r->ring || !r->b[0].e || !r->b[1].e || !r->b[0].ncmd ||
	    !r->b[1].ncmd || !r->rbuf) {
		snprintf(err, errlen, "redis: out of memory");
		goto err;
	}
	if (cfg->redis_spool_dir[0]) {
		r->spool = spool_open(cfg->redis_spool_dir,
		    (uint64_t)cfg->redis_spool_max_mb << 20, err, errlen);
		if (!r->spool)
			goto err;
		if (spool_pending(r->spool))
			fprintf(stderr, "spanlog: redis: %llu events in the spool "
			    "from an earlier run, replaying\n",
			    (unsigned long long)spool_pending(r->spool));
	}
	if (pthread_create(&r->thr, NULL, publisher, r) != 0) {
		snprintf(err, errlen, "redis: cannot start the publisher");
		goto err;
	}
	s.ctx = r;
	if (out_add_sink(&s) != 0) {
		snprintf(err, errlen, "redis: too many outputs");
		redis_close(r);
		return -1;
	}
	ro_global = r;
	return 0;
err:
	ro_free(r);
	return -1;
}

void redis_out_fill_stats(struct ev_stats *e, int final)
{
	struct redis_out *r = ro_global;
	struct spool_stats st = { 0 };
	uint64_t n;

	if (!r)
		return;
	if (final) {
		struct timespec ts;
		uint64_t ns;

		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (uint64_t)ts.tv_nsec + (uint64_t)r->drain_ms * 1000000;
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_mutex_lock(&r->qlock);
		r->settled = false;
		r->settle_req = true;
		pthread_cond_broadcast(&r->qcond);
		while (!r->settled)
			if (pthread_cond_timedwait(&r->settle_cond, &r->qlock,
			    &ts) != 0)
				break;
		r->settle_req = false;
		pthread_mutex_unlock(&r->qlock);
	}
	if (r->spool)
		spool_get_stats(r->spool, &st);
	pthread_mutex_lock(&r->qlock);
	e->redis_queue = r->qcount;
	pthread_mutex_unlock(&r->qlock);
	e->redis_on = true;
	e->redis_spool_bytes = st.bytes;
	e->redis_spool_events = st.records;
	e->redis_published = atomic_load(&r->published);
	e->redis_spooled = atomic_load(&r->spooled);
	e->redis_replayed = atomic_load(&r->replayed);
	e->redis_dropped = atomic_load(&r->dropped) + st.dropped;
	e->redis_reconnects = atomic_load(&r->reconnects);
	n = atomic_load(&r->lat_n);
	e->redis_latency_us = n ? atomic_load(&r->lat_sum_us) / n : 0;
	e->redis_latency_max_us = atomic_load(&r->lat_max_us);
}
