/*
 * spool.h - a size-capped, crash-safe FIFO of opaque records on disk.
 *
 * The Redis publisher (output_redis.c) spools the events Redis could not take
 * and replays them, in order, when it is back.  The spool knows nothing about
 * Redis: a record is a byte string.
 *
 * On disk: a directory of segment files "seg-<16 hex digits>.spl", numbered
 * in write order.  A segment starts with the 8-byte magic "SPNLSPL1"; each
 * record is
 *	u32 length (little-endian) | u32 CRC-32 (IEEE) of the payload | payload
 * Appends are buffered and written with write(); fsync runs in batches (every
 * SPOOL_SYNC_BYTES and at spool_sync()).  A record cut short by a crash, or
 * one whose CRC does not match, ends its segment: it and anything after it
 * in that segment are skipped (counted in 'corrupt').
 *
 * Reading is two-phase: spool_read() hands out records from a read cursor;
 * spool_ack(n) confirms the first n records handed out since the last
 * ack/rewind (Redis acknowledged them); spool_rewind() forgets the rest, so
 * they are read again.  A segment file is deleted only when every record in
 * it is acknowledged.
 *
 * The cap: when the segment files together pass max_bytes, whole segments
 * are dropped, oldest first, and their unacknowledged records are counted in
 * 'dropped'.  A segment with records handed out but not yet acknowledged is
 * never dropped (it is skipped over), so 'dropped' counts exactly the records
 * that can no longer be delivered.
 *
 * Threads: every function takes the spool's own mutex; they may be called
 * from any thread.  No function waits on anything but the disk.
 */
#ifndef SPANLOG_SPOOL_H
#define SPANLOG_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_SYNC_BYTES (1u << 20)	/* fsync at least this often */
#define SPOOL_REC_MAX (4u << 20)	/* longest record accepted */

struct spool;

struct spool_stats {
	uint64_t bytes;		/* segment files on disk, headers included */
	uint64_t records;	/* records not yet acknowledged */
	uint64_t appended;	/* records appended by this process */
	uint64_t acked;		/* records acknowledged by this process */
	uint64_t dropped;	/* records lost to the cap */
	uint64_t corrupt;	/* bad tails skipped (one per bad segment tail) */
	uint64_t segments;
};

/*
 * Opens (creating it if needed, mode 0700) the spool directory 'dir' and
 * scans segments left by an earlier run.  max_bytes is the cap (at least
 * 64 KiB).  Returns NULL with the reason in err.
 */
struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err,
    size_t errlen) __attribute__((warn_unused_result));

/* Copies one record in (len <= SPOOL_REC_MAX).  0, or -1 on a disk error. */
int spool_append(struct spool *sp, const void *rec, size_t len)
    __attribute__((warn_unused_result));

/* Same, for a record given in two parts (head then body). */
int spool_append2(struct spool *sp, const void *head, size_t hlen,
    const void *body, size_t blen) __attribute__((warn_unused_result));

/* Writes buffered appends and fsyncs the segment.  0 or -1. */
int spool_sync(struct spool *sp);

/*
 * Reads the next record at the read cursor into buf (cap bytes).  Returns
 * its length, 0 when there is nothing more to read, or -1 if buf is too
 * small (the record is then skipped and counted as dropped) or on a disk
 * error.  The record stays in the spool until spool_ack().
 */
long spool_read(struct spool *sp, void *buf, size_t cap);

/* The first n records read since the last ack/rewind are delivered. */
void spool_ack(struct spool *sp, uint64_t n);

/* Records read but not acknowledged will be read again. */
void spool_rewind(struct spool *sp);

/* Records waiting (not acknowledged), cheaply. */
uint64_t spool_pending(struct spool *sp);

/*
 * Drops oldest segments until at least 'room' bytes can be appended without
 * passing the cap (used before a final stats snapshot, so that what follows
 * it cannot cause uncounted drops).
 */
void spool_make_room(struct spool *sp, uint64_t room);

void spool_get_stats(struct spool *sp, struct spool_stats *st);

/* Syncs and closes; the files stay for the next run.  NULL is a no-op. */
void spool_close(struct spool *sp);

/* CRC-32 (IEEE 802.3, as zlib's crc32), exported for the unit test. */
uint32_t spool_crc32(const void *buf, size_t len);

#endif
