/*
 * spool.c - the disk spool of the Redis publisher (see spool.h).
 *
 * State kept in memory: one struct seg per segment file, oldest first.  The
 * last one is the write segment while it is open (wfd >= 0).  Each segment
 * knows how many valid records it holds (nrec), how many were handed out by
 * spool_read (nread) and how many of those were acknowledged (nacked), with
 * the file offsets that go with the last two.  Records handed out but not
 * acknowledged are also listed, in order, in infl[] (segment and end offset)
 * so that a partial ack can move the ack offset to the right record.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define SPOOL_MAGIC "SPNLSPL1"
#define SPOOL_HDR 8u			/* magic */
#define SPOOL_RHDR 8u			/* record: length + CRC */
#define SPOOL_WBUF (64u << 10)
#define SPOOL_MIN_CAP (64u << 10)
#define SPOOL_RBUF (1u << 20)		/* read-ahead */

/* Read-ahead over one file: bytes [off, off + len) are in buf. */
struct rdbuf {
	int fd;
	char *buf;
	uint64_t off;
	size_t len;
};

struct seg {
	uint64_t seq;
	uint64_t bytes;		/* file size, buffered appends included */
	uint64_t nrec;		/* valid records */
	uint64_t nread, rd_off;	/* handed out, and where the next one is */
	uint64_t nacked, ack_off;
};

struct infl {
	uint64_t seq, end;
};

struct spool {
	pthread_mutex_t lock;
	char dir[1024];
	uint64_t max_bytes, seg_max;
	struct seg *segs;
	size_t nsegs, segcap;
	uint64_t next_seq;
	int wfd;		/* write segment (segs[nsegs-1]) or -1 */
	char *wbuf;
	size_t wlen;
	uint64_t unsynced;
	int rfd;		/* read segment, cached */
	uint64_t rfd_seq;
	struct rdbuf rd;	/* read-ahead over rfd */
	struct infl *infl;
	size_t ninfl, inflcap;
	uint64_t total;		/* sum of seg bytes */
	struct spool_stats st;
};

/* ---------------------------------------------------------------- CRC */

/* CRC-32 table for the reflected polynomial 0xEDB88320 (byte at a time). */
static const uint32_t crc_tab[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

/*
 * Slicing-by-8 (eight bytes per step): crc_tab8[k][i] is the CRC of byte i
 * followed by k zero bytes.  Derived from crc_tab once, at program load,
 * before any thread exists.
 */
static uint32_t crc_tab8[8][256];

__attribute__((constructor))
static void crc_tab8_build(void)
{
	for (int i = 0; i < 256; i++) {
		crc_tab8[0][i] = crc_tab[i];
		for (int k = 1; k < 8; k++) {
			uint32_t c = crc_tab8[k - 1][i];

			crc_tab8[k][i] = (c >> 8) ^ crc_tab[c & 0xff];
		}
	}
}

static uint32_t crc_update(uint32_t c, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);

		c = crc_tab8[7][lo & 0xff] ^ crc_tab8[6][(lo >> 8) & 0xff] ^
		    crc_tab8[5][(lo >> 16) & 0xff] ^ crc_tab8[4][lo >> 24] ^
		    crc_tab8[3][p[4]] ^ crc_tab8[2][p[5]] ^
		    crc_tab8[1][p[6]] ^ crc_tab8[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ crc_tab[(c ^ *p++) & 0xff];
	return c;
}

uint32_t spool_crc32(const void *buf, size_t len)
{
	return crc_update(0xffffffffu, buf, len) ^ 0xffffffffu;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------- helpers */

static void seg_path(const struct spool *sp, uint64_t seq, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/seg-%016" PRIx64 ".spl", sp->dir, seq);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Copies len bytes at off through the read-ahead buffer.  0 or -1. */
static int rd_get(struct rdbuf *rb, void *out, size_t len, uint64_t off)
{
	ssize_t n;

	if (off >= rb->off && off + len <= rb->off + rb->len) {
		memcpy(out, rb->buf + (off - rb->off), len);
		return 0;
	}
	if (len > SPOOL_RBUF / 2)
		return read_at(rb->fd, out, len, off);
	do
		n = pread(rb->fd, rb->buf, SPOOL_RBUF, (off_t)off);
	while (n < 0 && errno == EINTR);
	rb->off = off;
	rb->len = n > 0 ? (size_t)n : 0;
	if (rb->len < len)
		return -1;
	memcpy(out, rb->buf, len);
	return 0;
}

static int wflush(struct spool *sp)
{
	if (sp->wlen == 0)
		return 0;
	if (write_all(sp->wfd, sp->wbuf, sp->wlen) != 0)
		return -1;
	sp->unsynced += sp->wlen;
	sp->wlen = 0;
	return 0;
}

static int wsync(struct spool *sp)
{
	if (sp->wfd < 0)
		return 0;
	if (wflush(sp) != 0)
		return -1;
	if (sp->unsynced && fdatasync(sp->wfd) != 0)
		return -1;
	sp->unsynced = 0;
	return 0;
}

static void rfd_drop(struct spool *sp)
{
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->rfd = -1;
	sp->rd.len = 0;
}

/* Removes segs[i] and its file; its unacknowledged records are 'lost'. */
static void seg_remove(struct spool *sp, size_t i, bool lost)
{
	struct seg *s = &sp->segs[i];
	char path[1100];

	if (i == sp->nsegs - 1 && sp->wfd >= 0) {
		sp->wlen = 0;
		close(sp->wfd);
		sp->wfd = -1;
		sp->unsynced = 0;
	}
	if (sp->rfd >= 0 && sp->rfd_seq == s->seq)
		rfd_drop(sp);
	if (lost)
		sp->st.dropped += s->nrec - s->nacked;
	sp->total -= s->bytes;
	seg_path(sp, s->seq, path, sizeof(path));
	unlink(path);
	memmove(&sp->segs[i], &sp->segs[i + 1],
	    (sp->nsegs - i - 1) * sizeof(*s));
	sp->nsegs--;
}

/* Deletes fully acknowledged segments. */
static void seg_gc(struct spool *sp)
{
	size_t i = 0;

	while (i < sp->nsegs) {
		struct seg *s = &sp->segs[i];

		if (s->nacked == s->nrec && s->nread == s->nrec &&
		    (s->nrec > 0 || i < sp->nsegs - 1 || sp->wfd < 0))
			seg_remove(sp, i, false);
		else
			i++;
	}
}

/* Drops the oldest droppable segment.  0, or -1 if none can go. */
static int drop_oldest(struct spool *sp)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct seg *s = &sp->segs[i];

		if (s->nread > s->nacked)
			continue;	/* in flight: the publisher holds it */
		seg_remove(sp, i, true);
		return 0;
	}
	return -1;
}

static int seg_new(struct spool *sp)
{
	char path[1100];
	struct seg *s;

	if (sp->nsegs == sp->segcap) {
		size_t nc = sp->segcap ? sp->segcap * 2 : 16;
		struct seg *ns = realloc(sp->segs, nc * sizeof(*ns));

		if (!ns)
			return -1;
		sp->segs = ns;
		sp->segcap = nc;
	}
	seg_path(sp, sp->next_seq, path, sizeof(path));
	sp->wfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	    0600);
	if (sp->wfd < 0)
		return -1;
	if (write_all(sp->wfd, SPOOL_MAGIC, SPOOL_HDR) != 0) {
		close(sp->wfd);
		sp->wfd = -1;
		unlink(path);
		return -1;
	}
	s = &sp->segs[sp->nsegs++];
	memset(s, 0, sizeof(*s));
	s->seq = sp->next_seq++;
	s->bytes = SPOOL_HDR;
	s->rd_off = s->ack_off = SPOOL_HDR;
	sp->total += SPOOL_HDR;
	sp->unsynced += SPOOL_HDR;
	return 0;
}

/* ---------------------------------------------------------------- open */

/* Counts the valid records of an existing segment; -1 if unusable. */
static int seg_scan(struct spool *sp, struct seg *s, const char *path)
{
	uint8_t hdr[SPOOL_RHDR];
	char *buf = NULL;
	size_t bcap = 0;
	struct stat sb;
	uint64_t off = SPOOL_HDR;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct rdbuf rb = { .fd = fd, .buf = sp->rd.buf };

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || read_at(fd, hdr, SPOOL_HDR, 0) != 0 ||
	    memcmp(hdr, SPOOL_MAGIC, SPOOL_HDR) != 0) {
		close(fd);
		return -1;
	}
	s->bytes = (uint64_t)sb.st_size;
	while (off + SPOOL_RHDR <= s->bytes) {
		uint32_t len, crc;

		if (rd_get(&rb, hdr, SPOOL_RHDR, off) != 0)
			break;
		len = get_le32(hdr);
		crc = get_le32(hdr + 4);
		/* no empty records: a zero-filled tail must not parse */
		if (len == 0 || len > SPOOL_REC_MAX ||
		    off + SPOOL_RHDR + len > s->bytes)
			break;
		if (len > bcap) {
			char *nb = realloc(buf, len);

			if (!nb)
				break;
			buf = nb;
			bcap = len;
		}
		/*
		 * Only the last record's CRC is checked here (a torn tail is
		 * always the last one); spool_read checks every record and
		 * counts what follows a bad one as dropped.
		 */
		if (off + SPOOL_RHDR + len == s->bytes &&
		    (rd_get(&rb, buf, len, off + SPOOL_RHDR) != 0 ||
		    spool_crc32(buf, len) != crc))
			break;
		off += SPOOL_RHDR + len;
		s->nrec++;
	}
	if (off != s->bytes)
		sp->st.corrupt++;	/* a cut or damaged tail: skipped */
	free(buf);
	close(fd);
	return 0;
}

static int seq_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct seg *)a)->seq, y = ((const struct seg *)b)->seq;

	return x < y ? -1 : x > y;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err,
    size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	struct dirent *de;
	DIR *d = NULL;

	if (!sp || (sp->wbuf = malloc(SPOOL_WBUF)) == NULL ||
	    (sp->rd.buf = malloc(SPOOL_RBUF)) == NULL) {
		snprintf(err, errlen, "spool: out of memory");
		goto err;
	}
	pthread_mutex_init(&sp->lock, NULL);
	sp->wfd = sp->rfd = -1;
	if (strlen(dir) >= sizeof(sp->dir) - 32) {
		snprintf(err, errlen, "spool: %s: path too long", dir);
		goto err;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->max_bytes = max_bytes < SPOOL_MIN_CAP ? SPOOL_MIN_CAP : max_bytes;
	sp->seg_max = sp->max_bytes / 16;
	if (sp->seg_max < (16u << 10))
		sp->seg_max = 16u << 10;
	if (sp->seg_max > (64u << 20))
		sp->seg_max = 64u << 20;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "spool: %s: %s", dir, strerror(errno));
		goto err;
	}
	d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "spool: %s: %s", dir, strerror(errno));
		goto err;
	}
	while ((de = readdir(d)) != NULL) {
		char path[1100], tail[8];
		uint64_t seq;
		struct seg s;

		if (sscanf(de->d_name, "seg-%16" SCNx64 "%7s", &seq, tail) != 2 ||
		    strcmp(tail, ".spl") != 0 || strlen(de->d_name) != 24)
			continue;
		seg_path(sp, seq, path, sizeof(path));
		memset(&s, 0, sizeof(s));
		s.seq = seq;
		s.rd_off = s.ack_off = SPOOL_HDR;
		if (seg_scan(sp, &s, path) != 0) {
			sp->st.corrupt++;
			unlink(path);
			continue;
		}
		if (sp->nsegs == sp->segcap) {
			size_t nc = sp->segcap ? sp->segcap * 2 : 16;
			struct seg *ns = realloc(sp->segs, nc * sizeof(*ns));

			if (!ns) {
				snprintf(err, errlen, "spool: out of memory");
				goto err;
			}
			sp->segs = ns;
			sp->segcap = nc;
		}
		sp->segs[sp->nsegs++] = s;
		sp->total += s.bytes;
		if (seq >= sp->next_seq)
			sp->next_seq = seq + 1;
	}
	closedir(d);
	d = NULL;
	if (sp->nsegs)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), seq_cmp);
	seg_gc(sp);	/* empty leftovers */
	while (sp->total > sp->max_bytes && drop_oldest(sp) == 0)
		;
	return sp;
err:
	if (d)
		closedir(d);
	if (sp) {
		free(sp->wbuf);
		free(sp->rd.buf);
		free(sp->segs);
		free(sp);
	}
	return NULL;
}

/* -------------------------------------------------------------- append */

static int append_locked(struct spool *sp, const void *head, size_t hlen,
    const void *body, size_t blen)
{
	uint64_t need = SPOOL_RHDR + hlen + blen;
	uint8_t rh[SPOOL_RHDR];
	uint32_t crc;
	struct seg *s;

	if (hlen + blen > SPOOL_REC_MAX || hlen + blen == 0)
		return -1;
	if (sp->wfd >= 0 && sp->segs[sp->nsegs - 1].bytes + need > sp->seg_max &&
	    sp->segs[sp->nsegs - 1].nrec > 0) {
		if (wsync(sp) != 0)
			return -1;
		close(sp->wfd);
		sp->wfd = -1;
	}
	/* The cap: oldest whole segments go first (the write one last). */
	while (sp->total + need + (sp->wfd < 0 ? SPOOL_HDR : 0) > sp->max_bytes &&
	    drop_oldest(sp) == 0)
		;
	if (sp->wfd < 0 && seg_new(sp) != 0)
		return -1;
	s = &sp->segs[sp->nsegs - 1];
	crc = crc_update(0xffffffffu, head, hlen);
	if (blen)
		crc = crc_update(crc, body, blen);
	crc ^= 0xffffffffu;
	put_le32(rh, (uint32_t)(hlen + blen));
	put_le32(rh + 4, crc);
	if (sp->wlen + need > SPOOL_WBUF && wflush(sp) != 0)
		return -1;
	if (need > SPOOL_WBUF) {
		if (write_all(sp->wfd, rh, SPOOL_RHDR) != 0 ||
		    write_all(sp->wfd, head, hlen) != 0 ||
		    (blen && write_all(sp->wfd, body, blen) != 0))
			return -1;
		sp->unsynced += need;
	} else {
		memcpy(sp->wbuf + sp->wlen, rh, SPOOL_RHDR);
		memcpy(sp->wbuf + sp->wlen + SPOOL_RHDR, head, hlen);
		if (blen)
			memcpy(sp->wbuf + sp->wlen + SPOOL_RHDR + hlen, body, blen);
		sp->wlen += need;
	}
	s->bytes += need;
	s->nrec++;
	sp->total += need;
	sp->st.appended++;
	if (sp->unsynced + sp->wlen >= SPOOL_SYNC_BYTES && wsync(sp) != 0)
		return -1;
	return 0;
}

int spool_append2(struct spool *sp, const void *head, size_t hlen,
    const void *body, size_t blen)
{
	int rc;

	pthread_mutex_lock(&sp->lock);
	rc = append_locked(sp, head, hlen, body, blen);
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

int spool_append(struct spool *sp, const void *rec, size_t len)
{
	return spool_append2(sp, rec, len, NULL, 0);
}

int spool_sync(struct spool *sp)
{
	int rc;

	pthread_mutex_lock(&sp->lock);
	rc = wsync(sp);
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

/* ---------------------------------------------------------------- read */

static int infl_push(struct spool *sp, uint64_t seq, uint64_t end)
{
	if (sp->ninfl == sp->inflcap) {
		size_t nc = sp->inflcap ? sp->inflcap * 2 : 256;
		struct infl *ni = realloc(sp->infl, nc * sizeof(*ni));

		if (!ni)
			return -1;
		sp->infl = ni;
		sp->inflcap = nc;
	}
	sp->infl[sp->ninfl].seq = seq;
	sp->infl[sp->ninfl].end = end;
	sp->ninfl++;
	return 0;
}

long spool_read(struct spool *sp, void *buf, size_t cap)
{
	uint8_t rh[SPOOL_RHDR];
	char path[1100];
	struct seg *s = NULL;
	uint32_t len;
	long rc = -1;

	pthread_mutex_lock(&sp->lock);
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].nread < sp->segs[i].nrec) {
			s = &sp->segs[i];
			if (i == sp->nsegs - 1 && sp->wfd >= 0 && wflush(sp) != 0)
				goto out;
			break;
		}
	if (!s) {
		rc = 0;
		goto out;
	}
	if (sp->rfd < 0 || sp->rfd_seq != s->seq) {
		rfd_drop(sp);
		seg_path(sp, s->seq, path, sizeof(path));
		sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (sp->rfd < 0)
			goto out;
		sp->rfd_seq = s->seq;
		sp->rd.fd = sp->rfd;
		sp->rd.len = 0;
	}
	if (rd_get(&sp->rd, rh, SPOOL_RHDR, s->rd_off) != 0)
		goto bad;
	len = get_le32(rh);
	if (len > cap)
		goto out;
	if (len == 0 || rd_get(&sp->rd, buf, len, s->rd_off + SPOOL_RHDR) != 0 ||
	    spool_crc32(buf, len) != get_le32(rh + 4))
		goto bad;
	if (infl_push(sp, s->seq, s->rd_off + SPOOL_RHDR + len) != 0)
		goto out;
	s->rd_off += SPOOL_RHDR + len;
	s->nread++;
	rc = (long)len;
	goto out;
bad:
	/* damaged after the scan: the rest of this segment is lost */
	sp->st.corrupt++;
	sp->st.dropped += s->nrec - s->nread;
	s->nrec = s->nread;
	rc = -1;
out:
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

static struct seg *seg_find(struct spool *sp, uint64_t seq)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].seq == seq)
			return &sp->segs[i];
	return NULL;
}

void spool_ack(struct spool *sp, uint64_t n)
{
	size_t k;

	pthread_mutex_lock(&sp->lock);
	if (n > sp->ninfl)
		n = sp->ninfl;
	for (k = 0; k < n; k++) {
		struct seg *s = seg_find(sp, sp->infl[k].seq);

		if (s) {
			s->nacked++;
			s->ack_off = sp->infl[k].end;
		}
	}
	memmove(sp->infl, sp->infl + n, (sp->ninfl - n) * sizeof(*sp->infl));
	sp->ninfl -= n;
	sp->st.acked += n;
	seg_gc(sp);
	pthread_mutex_unlock(&sp->lock);
}

void spool_rewind(struct spool *sp)
{
	pthread_mutex_lock(&sp->lock);
	for (size_t i = 0; i < sp->nsegs; i++) {
		sp->segs[i].nread = sp->segs[i].nacked;
		sp->segs[i].rd_off = sp->segs[i].ack_off;
	}
	sp->ninfl = 0;
	pthread_mutex_unlock(&sp->lock);
}

uint64_t spool_pending(struct spool *sp)
{
	uint64_t n = 0;

	pthread_mutex_lock(&sp->lock);
	for (size_t i = 0; i < sp->nsegs; i++)
		n += sp->segs[i].nrec - sp->segs[i].nacked;
	pthread_mutex_unlock(&sp->lock);
	return n;
}

void spool_make_room(struct spool *sp, uint64_t room)
{
	pthread_mutex_lock(&sp->lock);
	if (room > sp->max_bytes / 2)
		room = sp->max_bytes / 2;
	/* the next append may also open a segment (header) */
	while (sp->total + room + SPOOL_HDR > sp->max_bytes &&
	    drop_oldest(sp) == 0)
		;
	pthread_mutex_unlock(&sp->lock);
}

void spool_get_stats(struct spool *sp, struct spool_stats *st)
{
	pthread_mutex_lock(&sp->lock);
	*st = sp->st;
	st->bytes = sp->total;
	st->segments = sp->nsegs;
	st->records = 0;
	for (size_t i = 0; i < sp->nsegs; i++)
		st->records += sp->segs[i].nrec - sp->segs[i].nacked;
	pthread_mutex_unlock(&sp->lock);
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	pthread_mutex_lock(&sp->lock);
	(void)wsync(sp);
	if (sp->wfd >= 0)
		close(sp->wfd);
	rfd_drop(sp);
	pthread_mutex_unlock(&sp->lock);
	pthread_mutex_destroy(&sp->lock);
	free(sp->wbuf);
	free(sp->rd.buf);
	free(sp->segs);
	free(sp->infl);
	free(sp);
}
