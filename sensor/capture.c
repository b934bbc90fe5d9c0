/*
 * capture.c - packets in, from pcap/pcapng files or a live interface.
 *
 * The only file in spanlog that includes <pcap.h>.  Everything above this
 * module sees 'struct cap_pkt' and never a pcap handle.
 *
 * Offline
 * -------
 * Every path given to capture_open_offline() is expanded into a list of
 * sources, in argument order:
 *
 *   FILE   any file libpcap can read (pcap, pcap-ns, pcapng, ...)
 *   -      standard input (at most once; read through a dup of fd 0 so
 *          capture_close() does not close the process's stdin)
 *   DIR    walked recursively; entries sorted by name (strcmp, not the
 *          locale), regular files only, names starting with '.' skipped,
 *          symlinks to directories not followed.  A directory that yields
 *          no file at all is an error.
 *
 * All sources are opened at once (at most CAPTURE_MAX_FILES) and read as
 * ONE capture: capture_next() returns the packet with the smallest
 * timestamp among the head packets of all sources, via a binary min-heap
 * keyed by (ts_us, source index).  Ties therefore go to the source given
 * first, and packets of one source always keep their file order (only one
 * packet per source is ever in the heap), so output is deterministic even
 * when a file's own timestamps go backwards.
 *
 * Every file is opened with PCAP_TSTAMP_PRECISION_MICRO, so libpcap scales
 * nanosecond pcap and pcapng timestamps to microseconds for us.  Each
 * source keeps its own link type (cap_pkt.linktype = pcap_datalink()).
 *
 * Read errors (a record cut short, a corrupt block) are reported as
 * CAP_ERROR with "PATH: <libpcap message> at byte offset N", where N is the
 * file offset at which the failing read began, i.e. just past the last
 * record read successfully from that file (for pcapng, non-packet blocks
 * between the two are included in the failing read).  Packets are read
 * lazily, one per source, so the error surfaces only after every earlier
 * packet of that file was returned.  The failing source is then dropped;
 * calling capture_next() again continues with the other sources, so the
 * caller decides whether one bad file ends the run.  On a non-seekable
 * stdin the offset is unknown and the message says so.
 *
 * Live
 * ----
 * pcap_create + options + pcap_activate, direction in+out, optional BPF,
 * and with several workers a PACKET_FANOUT group (with defrag, so all
 * fragments of a datagram reach the same worker) that dispatches by a
 * symmetric hash of the two IP addresses (a classic BPF program,
 * PACKET_FANOUT_CBPF), like the offline reader.  The handle is put in
 * non-blocking mode and capture_next() polls its fd with a 100 ms timeout:
 * with TPACKET_V3 libpcap otherwise blocks forever on an idle interface
 * (it relies on the kernel block timer, which never retires an empty
 * block), and the caller needs CAP_TIMEOUT ticks to expire flows.
 *
 * spanlog never transmits: no pcap_inject()/pcap_sendpacket() here.
 *
 * Not handled: pcapng files whose interfaces have different link types
 * (libpcap refuses them when it meets the second interface; that surfaces
 * as a read error), and live timestamps in nanoseconds.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <pcap.h>

#include "capture.h"
#include "config.h"

#define CAPTURE_MAX_FILES	1024	/* open at once; more is an error */
#define CAPTURE_MAX_DEPTH	32	/* directory nesting during the walk */
#define CAPTURE_TIMEOUT_MS	100	/* live read timeout */
#define CAPTURE_DEF_SNAPLEN	262144

/* ------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------- */

/* One opened file (offline) or the interface (live). */
struct cap_src {
	pcap_t *p;
	FILE *f;		/* pcap_file(p); NULL for live */
	char *path;		/* as named to the user; owned */
	uint64_t size;		/* st_size when a regular file, else 0 */
	int64_t off;		/* offset where the last read began; -1 unknown */
	bool seekable;		/* ftell works (regular file) */
	bool done;		/* EOF reached or dropped after an error */
	int linktype;
	uint64_t npkts;		/* packets read so far */

	/* The head packet waiting in the merge heap. */
	uint64_t ts_us;
	struct pcap_pkthdr *hdr;
	const u_char *data;
};

struct capture {
	bool live;
	volatile sig_atomic_t stop;	/* set by capture_break() */
	uint32_t snaplen;

	struct cap_src *src;
	int nsrc;
	bool total_known;	/* every source has a size */

	int *heap;		/* indices into src, min-heap on (ts_us, index) */
	int nheap;
	int nprimed;		/* sources [0, nprimed) have been read once */
	int last;		/* source of the packet returned last, or -1 */

	int fd;			/* live: selectable fd */
};

/* A growable list of paths, built while expanding the arguments. */
struct path_list {
	char **v;
	int n, cap;
};

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * libpcap often prefixes its own message with the file name; drop that
 * prefix so our "PATH: reason" does not name the file twice.
 */
static const char *strip_prefix(const char *msg, const char *path)
{
	size_t n = strlen(path);

	if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

/* Adds a copy of 'path'.  0, or -1 when full or out of memory. */
static int pl_add(struct path_list *pl, const char *path, char *err,
    size_t errlen)
{
	if (pl->n >= CAPTURE_MAX_FILES) {
		set_err(err, errlen, "%s: too many capture files (at most %d)",
		    path, CAPTURE_MAX_FILES);
		return -1;
	}
	if (pl->n == pl->cap) {
		int ncap = pl->cap ? pl->cap * 2 : 16;
		char **nv = realloc(pl->v, (size_t)ncap * sizeof(*nv));

		if (nv == NULL)
			goto oom;
		pl->v = nv;
		pl->cap = ncap;
	}
	pl->v[pl->n] = strdup(path);
	if (pl->v[pl->n] == NULL)
		goto oom;
	pl->n++;
	return 0;
oom:
	set_err(err, errlen, "%s: out of memory", path);
	return -1;
}

static void pl_free(struct path_list *pl)
{
	for (int i = 0; i < pl->n; i++)
		free(pl->v[i]);
	free(pl->v);
	pl->v = NULL;
	pl->n = pl->cap = 0;
}

/* ------------------------------------------------------------------------
 * Directory walk
 * ---------------------------------------------------------------------- */

static int walk_skip_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Byte order, not the locale: the same tree gives the same order anywhere. */
static int walk_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * Appends every regular file under 'dir' (sorted, recursive) to pl.
 * Returns 0 or -1 with err set ("DIR: reason").
 */
static int walk_dir(struct path_list *pl, const char *dir, int depth,
    char *err, size_t errlen)
{
	struct dirent **ents = NULL;
	size_t dlen = strlen(dir);
	bool slash = dlen > 0 && dir[dlen - 1] == '/';
	int n, i, rc = -1;

	if (depth > CAPTURE_MAX_DEPTH) {
		set_err(err, errlen, "%s: directories nested too deep (over %d)",
		    dir, CAPTURE_MAX_DEPTH);
		return -1;
	}
	n = scandir(dir, &ents, walk_skip_hidden, walk_cmp);
	if (n < 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st, lst;
		int len;

		len = snprintf(path, sizeof(path), "%s%s%s", dir,
		    slash ? "" : "/", ents[i]->d_name);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			set_err(err, errlen, "%s/%s: path too long", dir,
			    ents[i]->d_name);
			goto out;
		}
		if (stat(path, &st) < 0) {
			/* A dangling symlink is not a capture: skip it. */
			if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
				continue;
			set_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode)) {
			if (pl_add(pl, path, err, errlen) < 0)
				goto out;
		} else if (S_ISDIR(st.st_mode)) {
			/* Symlinked directories could loop; only real ones. */
			if (lstat(path, &lst) < 0 || S_ISLNK(lst.st_mode))
				continue;
			if (walk_dir(pl, path, depth + 1, err, errlen) < 0)
				goto out;
		}
		/* Sockets, fifos, devices: not files to read here. */
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

/*
 * Expands the arguments into pl: "-" and files as given, directories walked.
 * Returns 0 or -1 with err set.
 */
static int expand_paths(struct path_list *pl, const char *const *paths,
    int npaths, char *err, size_t errlen)
{
	bool have_stdin = false;

	for (int i = 0; i < npaths; i++) {
		const char *path = paths[i];
		struct stat st;

		if (path == NULL || path[0] == '\0') {
			set_err(err, errlen, "empty input path");
			return -1;
		}
		if (strcmp(path, "-") == 0) {
			if (have_stdin) {
				set_err(err, errlen,
				    "-: standard input can be read only once");
				return -1;
			}
			have_stdin = true;
			if (pl_add(pl, path, err, errlen) < 0)
				return -1;
			continue;
		}
		if (stat(path, &st) < 0) {
			set_err(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			int before = pl->n;

			if (walk_dir(pl, path, 0, err, errlen) < 0)
				return -1;
			if (pl->n == before) {
				set_err(err, errlen,
				    "%s: directory holds no capture files", path);
				return -1;
			}
			continue;
		}
		/* Named explicitly: a fifo or /dev/fd/N is fine too. */
		if (pl_add(pl, path, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Merge heap on (ts_us, source index)
 * ---------------------------------------------------------------------- */

static bool heap_less(const struct capture *c, int a, int b)
{
	if (c->src[a].ts_us != c->src[b].ts_us)
		return c->src[a].ts_us < c->src[b].ts_us;
	return a < b;
}

static void heap_push(struct capture *c, int idx)
{
	int i = c->nheap++;

	while (i > 0) {
		int parent = (i - 1) / 2;

		if (!heap_less(c, idx, c->heap[parent]))
			break;
		c->heap[i] = c->heap[parent];
		i = parent;
	}
	c->heap[i] = idx;
}

static int heap_pop(struct capture *c)
{
	int top = c->heap[0];
	int idx = c->heap[--c->nheap];
	int i = 0;

	for (;;) {
		int l = 2 * i + 1, r = l + 1, m;

		if (l >= c->nheap)
			break;
		m = (r < c->nheap && heap_less(c, c->heap[r], c->heap[l])) ?
		    r : l;
		if (!heap_less(c, c->heap[m], idx))
			break;
		c->heap[i] = c->heap[m];
		i = m;
	}
	if (c->nheap > 0)
		c->heap[i] = idx;
	return top;
}

/* ------------------------------------------------------------------------
 * Offline
 * ---------------------------------------------------------------------- */

/* Raises the soft open-file limit when n captures would not fit in it. */
static void raise_nofile(int n)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)n + 64;	/* stdio, output, sockets */

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);	/* fopen will say if short */
}

/* Opens one source.  Returns 0 or -1 with err "PATH: reason". */
static int src_open(struct cap_src *s, const char *path, char *err,
    size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct stat st;

	s->path = strdup(path);
	if (s->path == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		/* A dup, so pcap_close() closes it and not the real stdin. */
		int fd = dup(STDIN_FILENO);
		FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");

		if (f == NULL) {
			set_err(err, errlen, "-: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		s->p = pcap_fopen_offline_with_tstamp_precision(f,
		    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (s->p == NULL)
			fclose(f);
	} else {
		s->p = pcap_open_offline_with_tstamp_precision(path,
		    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	}
	if (s->p == NULL) {
		set_err(err, errlen, "%s: %s", path,
		    ebuf[0] ? strip_prefix(ebuf, path) : "cannot open");
		return -1;
	}
	s->f = pcap_file(s->p);
	s->linktype = pcap_datalink(s->p);
	if (s->f != NULL && fstat(fileno(s->f), &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		s->size = (uint64_t)st.st_size;
		s->seekable = true;
		/*
		 * Seeking to where we already are makes glibc remember the
		 * offset, so the ftell() before every read is arithmetic on
		 * the buffer rather than an lseek() per packet.
		 */
		s->off = ftello(s->f);
		if (s->off < 0 || fseeko(s->f, s->off, SEEK_SET) < 0)
			s->seekable = false;
	} else {
		s->off = -1;
	}
	return 0;
}

struct capture *capture_open_offline(const char *const *paths, int npaths,
    uint32_t snaplen, char *err, size_t errlen)
{
	struct path_list pl = { NULL, 0, 0 };
	struct capture *c = NULL;

	if (npaths <= 0 || paths == NULL) {
		set_err(err, errlen, "no input files");
		return NULL;
	}
	if (expand_paths(&pl, paths, npaths, err, errlen) < 0)
		goto err;
	raise_nofile(pl.n);

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto oom;
	c->snaplen = snaplen;
	c->last = -1;
	c->fd = -1;
	c->total_known = true;
	c->src = calloc((size_t)pl.n, sizeof(*c->src));
	c->heap = calloc((size_t)pl.n, sizeof(*c->heap));
	if (c->src == NULL || c->heap == NULL)
		goto oom;
	for (int i = 0; i < pl.n; i++) {
		c->nsrc = i + 1;	/* so capture_close() frees it on error */
		if (src_open(&c->src[i], pl.v[i], err, errlen) < 0)
			goto err;
		if (!c->src[i].seekable)
			c->total_known = false;
	}
	pl_free(&pl);
	return c;
oom:
	set_err(err, errlen, "out of memory");
err:
	pl_free(&pl);
	capture_close(c);
	return NULL;
}

/*
 * Reads the next packet of source 'i' into the heap.
 * Returns 1 (pushed), 0 (EOF) or -1 (read error; err set, source dropped).
 */
static int src_advance(struct capture *c, int i, char *err, size_t errlen)
{
	struct cap_src *s = &c->src[i];
	int rc;

	if (s->done)
		return 0;
	if (s->seekable)
		s->off = ftello(s->f);
	rc = pcap_next_ex(s->p, &s->hdr, &s->data);
	if (rc == 1) {
		s->npkts++;
		s->ts_us = (uint64_t)s->hdr->ts.tv_sec * 1000000u +
		    (uint64_t)s->hdr->ts.tv_usec;
		heap_push(c, i);
		return 1;
	}
	s->done = true;
	if (rc == PCAP_ERROR_BREAK)	/* offline: end of file */
		return 0;
	if (s->off >= 0)
		set_err(err, errlen, "%s: %s at byte offset %lld", s->path,
		    strip_prefix(pcap_geterr(s->p), s->path),
		    (long long)s->off);
	else
		set_err(err, errlen, "%s: %s at byte offset unknown "
		    "(not seekable; after packet %llu)", s->path,
		    strip_prefix(pcap_geterr(s->p), s->path),
		    (unsigned long long)s->npkts);
	return -1;
}

static enum cap_status next_offline(struct capture *c, struct cap_pkt *pkt,
    char *err, size_t errlen)
{
	const struct cap_src *s;
	int i;

	/* First call(s): one packet from every source, in argument order. */
	while (c->nprimed < c->nsrc) {
		i = c->nprimed++;
		if (src_advance(c, i, err, errlen) < 0)
			return CAP_ERROR;
	}
	/* Refill from the source whose packet the caller has now let go of. */
	if (c->last >= 0) {
		i = c->last;
		c->last = -1;
		if (src_advance(c, i, err, errlen) < 0)
			return CAP_ERROR;
	}
	if (c->nheap == 0)
		return CAP_EOF;
	i = heap_pop(c);
	c->last = i;
	s = &c->src[i];
	pkt->ts_us = s->ts_us;
	pkt->data = s->data;
	pkt->caplen = s->hdr->caplen;
	/* Never let a consumer believe fewer bytes went by than it holds. */
	pkt->wirelen = s->hdr->len > s->hdr->caplen ? s->hdr->len :
	    s->hdr->caplen;
	pkt->linktype = s->linktype;
	return CAP_OK;
}

/* ------------------------------------------------------------------------
 * Live
 * ---------------------------------------------------------------------- */

/*
 * PACKET_FANOUT argument (linux/if_packet.h, packet(7)): the group id in
 * the low 16 bits, the mode and its flags in the high 16 bits.
 */
static uint32_t fanout_arg(uint16_t group, unsigned mode)
{
	return (uint32_t)group |
	    (uint32_t)(mode | PACKET_FANOUT_FLAG_DEFRAG) << 16;
}

/*
 * The fanout program (PACKET_FANOUT_CBPF): the kernel sends a packet to
 * socket (return value % sockets).  It returns a hash of the two IP
 * addresses only, symmetric (XOR), so every conversation between two hosts
 * reaches one worker, as the offline reader's flow_key_hash_pair() does:
 * ot/ keeps per-host-pair state.  Addresses are read relative to the
 * network header (SKF_NET_OFF), so VLAN tags the NIC stripped do not
 * matter; anything not IPv4/IPv6 goes to worker 0.
 */
#define PAIR_LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + (off))
#define PAIR_XOR BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0)
#define PAIR_TAX BPF_STMT(BPF_MISC | BPF_TAX, 0)

static struct sock_filter pair_prog[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 5),	/* -> 7 */
	/* 2 */ PAIR_LD(12), PAIR_TAX, PAIR_LD(16), PAIR_XOR,	/* 2..5 */
	/* 6 */ BPF_JUMP(BPF_JMP | BPF_JA, 24, 0, 0),		/* -> 31 */
	/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 26),	/* -> 34 */
	/* 8 */ PAIR_LD(8), PAIR_TAX,					/* 8, 9 */
	/* 10 */ PAIR_LD(12), PAIR_XOR, PAIR_TAX,
	/* 13 */ PAIR_LD(16), PAIR_XOR, PAIR_TAX,
	/* 16 */ PAIR_LD(20), PAIR_XOR, PAIR_TAX,
	/* 19 */ PAIR_LD(24), PAIR_XOR, PAIR_TAX,
	/* 22 */ PAIR_LD(28), PAIR_XOR, PAIR_TAX,
	/* 25 */ PAIR_LD(32), PAIR_XOR, PAIR_TAX,
	/* 28 */ PAIR_LD(36), PAIR_XOR, PAIR_TAX,
	/* 31 */ BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9E3779B1u),
	/* 32 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
	/* 33 */ BPF_STMT(BPF_RET | BPF_A, 0),
	/* 34 */ BPF_STMT(BPF_RET | BPF_K, 0),
};

/*
 * Joins the fanout group dispatching by address pair; falls back to the
 * kernel's flow hash (PACKET_FANOUT_HASH) where CBPF fanout is missing
 * (kernels before 4.2), saying so once on stderr.  0 or -1 (errno).
 */
static int fanout_join(int fd, uint16_t group)
{
	static bool warned;
	struct sock_fprog prog = { sizeof(pair_prog) / sizeof(pair_prog[0]),
		pair_prog };
	uint32_t arg = fanout_arg(group, PACKET_FANOUT_CBPF);

	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0) {
		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog,
		    sizeof(prog)) == 0)
			return 0;
		return -1;	/* in a CBPF group without its program: fail */
	}
	if (errno != EINVAL)
		return -1;
	if (!warned) {
		warned = true;
		fprintf(stderr, "spanlog: no PACKET_FANOUT_CBPF in this kernel: "
		    "workers share by flow, not by host pair\n");
	}
	arg = fanout_arg(group, PACKET_FANOUT_HASH);
	return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg));
}

struct capture *capture_open_live(const struct config *cfg, int index,
    int count, uint16_t group, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = NULL;
	struct cap_src *s;
	const char *ifn;
	uint32_t snaplen;
	int rc;

	if (cfg == NULL || cfg->iface[0] == '\0') {
		set_err(err, errlen, "no capture interface configured");
		return NULL;
	}
	ifn = cfg->iface;
	if (count < 1 || index < 0 || index >= count) {
		set_err(err, errlen, "%s: bad worker index %d of %d", ifn,
		    index, count);
		return NULL;
	}
	snaplen = cfg->snaplen ? cfg->snaplen : CAPTURE_DEF_SNAPLEN;
	if (snaplen > INT_MAX)
		snaplen = INT_MAX;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto oom;
	c->live = true;
	c->last = -1;
	c->fd = -1;
	c->snaplen = snaplen;
	c->src = calloc(1, sizeof(*c->src));
	if (c->src == NULL)
		goto oom;
	c->nsrc = 1;
	s = &c->src[0];
	s->off = -1;
	s->path = strdup(ifn);
	if (s->path == NULL)
		goto oom;

	s->p = pcap_create(ifn, ebuf);
	if (s->p == NULL) {
		set_err(err, errlen, "%s: %s", ifn, strip_prefix(ebuf, ifn));
		goto err;
	}
	if (pcap_set_snaplen(s->p, (int)snaplen) != 0 ||
	    pcap_set_promisc(s->p, cfg->promisc ? 1 : 0) != 0 ||
	    pcap_set_timeout(s->p, CAPTURE_TIMEOUT_MS) != 0 ||
	    pcap_set_immediate_mode(s->p, 0) != 0) {
		set_err(err, errlen, "%s: cannot set capture options", ifn);
		goto err;
	}
	if (cfg->buffer_mb > 0) {
		uint64_t bytes = (uint64_t)cfg->buffer_mb << 20;

		if (bytes > INT_MAX)
			bytes = INT_MAX;
		if (pcap_set_buffer_size(s->p, (int)bytes) != 0) {
			set_err(err, errlen, "%s: cannot set buffer size", ifn);
			goto err;
		}
	}

	rc = pcap_activate(s->p);
	if (rc < 0) {
		const char *detail = strip_prefix(pcap_geterr(s->p), ifn);

		/* Generic errors carry their text in geterr only. */
		if ((rc == PCAP_ERROR && detail[0]) ||
		    strcmp(detail, pcap_statustostr(rc)) == 0)
			set_err(err, errlen, "%s: %s", ifn, detail);
		else if (detail[0])
			set_err(err, errlen, "%s: %s (%s)", ifn,
			    pcap_statustostr(rc), detail);
		else
			set_err(err, errlen, "%s: %s", ifn,
			    pcap_statustostr(rc));
		goto err;
	}
	if (rc > 0) {
		const char *detail = strip_prefix(pcap_geterr(s->p), ifn);
		const char *what = pcap_statustostr(rc);

		if (detail[0] == '\0' || strcmp(detail, what) == 0)
			fprintf(stderr, "spanlog: %s: warning: %s\n", ifn, what);
		else
			fprintf(stderr, "spanlog: %s: warning: %s (%s)\n", ifn,
			    what, detail);
	}
	if (pcap_setdirection(s->p, PCAP_D_INOUT) < 0) {
		set_err(err, errlen, "%s: cannot capture both directions: %s",
		    ifn, pcap_geterr(s->p));
		goto err;
	}
	if (cfg->bpf[0] != '\0') {
		struct bpf_program prog;

		if (pcap_compile(s->p, &prog, cfg->bpf, 1,
		    PCAP_NETMASK_UNKNOWN) < 0) {
			set_err(err, errlen, "%s: bad BPF filter \"%s\": %s",
			    ifn, cfg->bpf, pcap_geterr(s->p));
			goto err;
		}
		rc = pcap_setfilter(s->p, &prog);
		pcap_freecode(&prog);
		if (rc < 0) {
			set_err(err, errlen,
			    "%s: cannot set BPF filter \"%s\": %s", ifn,
			    cfg->bpf, pcap_geterr(s->p));
			goto err;
		}
	}
	if (count > 1) {
		if (fanout_join(pcap_fileno(s->p), group) < 0) {
			set_err(err, errlen,
			    "%s: worker %d: cannot join PACKET_FANOUT group %u: %s",
			    ifn, index, (unsigned)group, strerror(errno));
			goto err;
		}
	}
	if (pcap_setnonblock(s->p, 1, ebuf) < 0) {
		set_err(err, errlen, "%s: %s", ifn, ebuf);
		goto err;
	}
	c->fd = pcap_get_selectable_fd(s->p);
	if (c->fd < 0) {
		set_err(err, errlen, "%s: no selectable file descriptor", ifn);
		goto err;
	}
	s->linktype = pcap_datalink(s->p);
	return c;
oom:
	set_err(err, errlen, "%s: out of memory", cfg->iface);
err:
	capture_close(c);
	return NULL;
}

static enum cap_status next_live(struct capture *c, struct cap_pkt *pkt,
    char *err, size_t errlen)
{
	struct cap_src *s = &c->src[0];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		if (c->stop)
			return CAP_EOF;
		rc = pcap_next_ex(s->p, &hdr, &data);
		if (rc == 1) {
			s->npkts++;
			pkt->ts_us = (uint64_t)hdr->ts.tv_sec * 1000000u +
			    (uint64_t)hdr->ts.tv_usec;
			pkt->data = data;
			pkt->caplen = hdr->caplen;
			pkt->wirelen = hdr->len > hdr->caplen ? hdr->len :
			    hdr->caplen;
			pkt->linktype = s->linktype;
			return CAP_OK;
		}
		if (rc == PCAP_ERROR_BREAK)
			return CAP_EOF;
		if (rc < 0) {
			set_err(err, errlen, "%s: %s", s->path,
			    pcap_geterr(s->p));
			return CAP_ERROR;
		}
		if (tries > 0)
			break;
		/* Nothing ready: wait one timeout for the kernel to hand a block. */
		rc = poll(&pfd, 1, CAPTURE_TIMEOUT_MS);
		if (rc < 0 && errno != EINTR) {
			set_err(err, errlen, "%s: poll: %s", s->path,
			    strerror(errno));
			return CAP_ERROR;
		}
		if (rc <= 0)
			break;
		if (pfd.revents & (POLLERR | POLLNVAL)) {
			/* e.g. the interface went away; let libpcap say why. */
			continue;
		}
	}
	return c->stop ? CAP_EOF : CAP_TIMEOUT;
}

/* ------------------------------------------------------------------------
 * Common
 * ---------------------------------------------------------------------- */

enum cap_status capture_next(struct capture *c, struct cap_pkt *pkt,
    char *err, size_t errlen)
{
	if (c->stop)
		return CAP_EOF;
	return c->live ? next_live(c, pkt, err, errlen) :
	    next_offline(c, pkt, err, errlen);
}

void capture_progress(const struct capture *c, uint64_t *done,
    uint64_t *total)
{
	uint64_t d = 0, t = 0;

	if (!c->live) {
		for (int i = 0; i < c->nsrc; i++) {
			const struct cap_src *s = &c->src[i];
			off_t pos;

			t += s->size;
			if (!s->seekable)
				continue;
			pos = ftello(s->f);
			if (pos >= 0)
				d += (uint64_t)pos;
		}
	}
	if (done != NULL)
		*done = d;
	if (total != NULL)
		*total = c->live || !c->total_known ? 0 : t;
}

int capture_stats(struct capture *c, uint64_t *recv, uint64_t *drop,
    uint64_t *ifdrop)
{
	struct pcap_stat ps;

	memset(&ps, 0, sizeof(ps));
	if (c->live && pcap_stats(c->src[0].p, &ps) < 0)
		return -1;
	if (recv != NULL)
		*recv = ps.ps_recv;
	if (drop != NULL)
		*drop = ps.ps_drop;
	if (ifdrop != NULL)
		*ifdrop = ps.ps_ifdrop;
	return 0;
}

void capture_break(struct capture *c)
{
	/* Only a flag store and pcap_breakloop (an eventfd write): signal safe. */
	c->stop = 1;
	if (c->live && c->src != NULL && c->src[0].p != NULL)
		pcap_breakloop(c->src[0].p);
}

void capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->nsrc; i++) {
		if (c->src[i].p != NULL)
			pcap_close(c->src[i].p);
		free(c->src[i].path);
	}
	free(c->src);
	free(c->heap);
	free(c);
}

int capture_check_links(const struct capture *c, bool (*ok)(int linktype),
    char *err, size_t errlen)
{
	for (int i = 0; i < c->nsrc; i++) {
		const struct cap_src *s = &c->src[i];
		const char *name;

		if (ok(s->linktype))
			continue;
		name = pcap_datalink_val_to_name(s->linktype);
		set_err(err, errlen, "%s: unsupported link type %d (%s)", s->path,
		    s->linktype, name ? name : "unknown");
		return -1;
	}
	return 0;
}
