/*
 * spool_test.c - the disk spool: order, acks, crash tails, the cap.
 *
 * Expected values come from the format in spool.h and from the CRC-32 check
 * values of the standard ("123456789" -> 0xCBF43926), never from the spool's
 * own output.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sensor/spool.h"
#include "tests/unit/testhelp.h"

static char dir[256];

static void rm_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Record i: "rec-<i>" padded with 'x' to len bytes. */
static size_t mkrec(char *buf, int i, size_t len)
{
	int n = snprintf(buf, len + 1, "rec-%d|", i);

	memset(buf + n, 'x', len - (size_t)n);
	return len;
}

static int rec_id(const char *buf, long len)
{
	if (len < 5 || memcmp(buf, "rec-", 4) != 0)
		return -1;
	return atoi(buf + 4);
}

static struct spool *open_sp(uint64_t cap)
{
	char err[256];
	struct spool *sp = spool_open(dir, cap, err, sizeof(err));

	if (!sp)
		printf("spool_open: %s\n", err);
	return sp;
}

static void test_crc(void)
{
	test_eq_u64("crc32 check value", spool_crc32("123456789", 9), 0xCBF43926u);
	test_eq_u64("crc32 empty", spool_crc32("", 0), 0);
	test_eq_u64("crc32 'a'", spool_crc32("a", 1), 0xE8B7BE43u);
}

static void test_layout(void)
{
	struct spool *sp = open_sp(1 << 20);
	unsigned char f[64];
	char path[600];
	DIR *d;
	struct dirent *de;
	int fd;
	ssize_t n = -1;

	test_cond("open", sp != NULL);
	if (!sp)
		return;
	test_cond("append abc", spool_append(sp, "abc", 3) == 0);
	test_cond("sync", spool_sync(sp) == 0);
	d = opendir(dir);
	path[0] = '\0';
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
	if (d)
		closedir(d);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, f, sizeof(f));
		close(fd);
	}
	test_eq_u64("file = magic + 8 + 3", n, 19);
	test_cond("magic", n >= 8 && memcmp(f, "SPNLSPL1", 8) == 0);
	test_cond("len LE", n >= 12 && f[8] == 3 && f[9] == 0 && f[10] == 0 &&
	    f[11] == 0);
	/* CRC-32("abc") = 0x352441C2, stored little-endian */
	test_cond("crc LE", n >= 16 && f[12] == 0xC2 && f[13] == 0x41 &&
	    f[14] == 0x24 && f[15] == 0x35);
	test_cond("payload", n >= 19 && memcmp(f + 16, "abc", 3) == 0);
	spool_close(sp);
	rm_dir();
}

static void test_order_ack(void)
{
	struct spool *sp = open_sp(1 << 20);
	struct spool_stats st;
	char buf[4096], rec[200];
	long n;
	int i, ok = 1;

	test_cond("open", sp != NULL);
	if (!sp)
		return;
	for (i = 0; i < 100; i++)
		if (spool_append(sp, rec, mkrec(rec, i, 50 + (size_t)i)) != 0)
			ok = 0;
	test_cond("100 appends", ok);
	test_eq_u64("pending 100", spool_pending(sp), 100);
	/* read 10, rewind: the same 10 come again */
	for (i = 0; i < 10; i++)
		n = spool_read(sp, buf, sizeof(buf));
	spool_rewind(sp);
	n = spool_read(sp, buf, sizeof(buf));
	test_eq_u64("after rewind: record 0", rec_id(buf, n), 0);
	test_eq_u64("record 0 length", n, 50);
	/* read 9 more (10 in flight), ack 4, rewind: next is record 4 */
	for (i = 1; i < 10; i++)
		n = spool_read(sp, buf, sizeof(buf));
	spool_ack(sp, 4);
	spool_rewind(sp);
	n = spool_read(sp, buf, sizeof(buf));
	test_eq_u64("partial ack: next is 4", rec_id(buf, n), 4);
	spool_rewind(sp);
	test_eq_u64("pending 96", spool_pending(sp), 96);
	ok = 1;
	for (i = 4; i < 100; i++) {
		n = spool_read(sp, buf, sizeof(buf));
		if (rec_id(buf, n) != i || n != 50 + i)
			ok = 0;
	}
	test_cond("records 4..99 in order", ok);
	test_eq_u64("then nothing", spool_read(sp, buf, sizeof(buf)), 0);
	spool_ack(sp, 96);
	spool_get_stats(sp, &st);
	test_eq_u64("nothing pending", st.records, 0);
	test_eq_u64("no drops", st.dropped, 0);
	test_eq_u64("all segments deleted", count_files(), 0);
	/* appends after a full drain start a new segment */
	test_cond("append after drain", spool_append(sp, "rec-7|z", 7) == 0);
	n = spool_read(sp, buf, sizeof(buf));
	test_eq_u64("read it back", rec_id(buf, n), 7);
	spool_ack(sp, 1);
	spool_close(sp);
	rm_dir();
}

/* A child appends, syncs and dies without closing: a crash. */
static void crash_writer(int first, int count, bool torn)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct spool *sp = open_sp(1 << 20);
		char rec[200];

		if (!sp)
			_exit(1);
		for (int i = first; i < first + count; i++)
			if (spool_append(sp, rec, mkrec(rec, i, 100)) != 0)
				_exit(1);
		if (spool_sync(sp) != 0)
			_exit(1);
		if (torn) {
			/* half a record: header says 100 bytes, 30 follow */
			struct spool_stats st;
			char path[600];
			DIR *d = opendir(dir);
			struct dirent *de;
			unsigned char h[8] = { 100, 0, 0, 0, 1, 2, 3, 4 };
			int fd;

			spool_get_stats(sp, &st);
			path[0] = '\0';
			while (d && (de = readdir(d)) != NULL)
				if (de->d_name[0] != '.' &&
				    strcmp(de->d_name, path) > 0)
					snprintf(path, sizeof(path), "%s",
					    de->d_name);
			if (d)
				closedir(d);
			{
				char full[900];

				snprintf(full, sizeof(full), "%s/%s", dir, path);
				fd = open(full, O_WRONLY | O_APPEND);
			}
			if (fd < 0 || write(fd, h, 8) != 8 ||
			    write(fd, rec, 30) != 30)
				_exit(1);
			(void)st;
			close(fd);
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static void test_crash(void)
{
	struct spool *sp;
	struct spool_stats st;
	char buf[4096];
	long n;
	int i, ok = 1;

	crash_writer(0, 10, false);
	crash_writer(10, 10, true);
	sp = open_sp(1 << 20);
	test_cond("reopen", sp != NULL);
	if (!sp)
		return;
	spool_get_stats(sp, &st);
	test_eq_u64("20 records survive", st.records, 20);
	test_eq_u64("one torn tail", st.corrupt, 1);
	for (i = 0; i < 20; i++) {
		n = spool_read(sp, buf, sizeof(buf));
		if (rec_id(buf, n) != i || n != 100)
			ok = 0;
	}
	test_cond("both runs replayed in order", ok);
	test_eq_u64("torn record not returned", spool_read(sp, buf, sizeof(buf)), 0);
	/* new appends after the torn segment come after it */
	test_cond("append", spool_append(sp, "rec-20|", 7) == 0);
	n = spool_read(sp, buf, sizeof(buf));
	test_eq_u64("new record after replay", rec_id(buf, n), 20);
	spool_ack(sp, 21);
	spool_close(sp);
	test_eq_u64("drained: no files", count_files(), 0);
	rm_dir();
}

/* A tail of zeros (size extended, data never written) is not records. */
static void test_zero_tail(void)
{
	struct spool *sp = open_sp(1 << 20);
	struct spool_stats st;
	static const char zeros[64];
	char buf[256], path[600];
	DIR *d;
	struct dirent *de;
	int fd;
	long n;

	test_cond("open", sp != NULL);
	if (!sp)
		return;
	test_cond("append", spool_append(sp, "rec-0|", 6) == 0);
	spool_close(sp);
	d = opendir(dir);
	path[0] = '\0';
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
	if (d)
		closedir(d);
	fd = open(path, O_WRONLY | O_APPEND);
	test_cond("zeros appended", fd >= 0 && write(fd, zeros, sizeof(zeros)) == 64);
	if (fd >= 0)
		close(fd);
	sp = open_sp(1 << 20);
	spool_get_stats(sp, &st);
	test_eq_u64("one record, not 8 empty ones", st.records, 1);
	test_eq_u64("zero tail counted as corrupt", st.corrupt, 1);
	n = spool_read(sp, buf, sizeof(buf));
	test_eq_u64("record 0", rec_id(buf, n), 0);
	test_eq_u64("then nothing", spool_read(sp, buf, sizeof(buf)), 0);
	test_cond("empty record refused", spool_append(sp, "", 0) < 0);
	spool_ack(sp, 1);
	spool_close(sp);
	rm_dir();
}

static void test_cap(void)
{
	/* cap 64 KiB; segments 16 KiB; records 1000 bytes (1008 on disk) */
	struct spool *sp = open_sp(64 << 10);
	struct spool_stats st;
	char buf[4096], rec[1100];
	int i, first = -1, prev = -1, ok = 1, nread = 0;
	long n;

	test_cond("open", sp != NULL);
	if (!sp)
		return;
	for (i = 0; i < 300; i++)
		if (spool_append(sp, rec, mkrec(rec, i, 1000)) != 0)
			ok = 0;
	test_cond("300 appends", ok);
	spool_get_stats(sp, &st);
	test_cond("size within cap", st.bytes <= (64 << 10));
	test_eq_u64("dropped + kept = appended", st.dropped + st.records, 300);
	test_cond("something dropped", st.dropped > 0);
	while ((n = spool_read(sp, buf, sizeof(buf))) > 0) {
		int id = rec_id(buf, n);

		if (first < 0)
			first = id;
		else if (id != prev + 1)
			ok = 0;
		prev = id;
		nread++;
	}
	test_cond("kept records contiguous", ok);
	test_eq_u64("oldest were dropped: first kept = dropped", first, st.dropped);
	test_eq_u64("newest kept", prev, 299);
	test_eq_u64("read = kept", nread, st.records);

	/* records in flight are never dropped: 5 read, then overflow */
	spool_rewind(sp);
	for (i = 0; i < 5; i++)
		n = spool_read(sp, buf, sizeof(buf));
	{
		uint64_t before = st.dropped;
		uint64_t kept_before = st.records;

		for (i = 300; i < 400; i++)
			if (spool_append(sp, rec, mkrec(rec, i, 1000)) != 0)
				ok = 0;
		spool_ack(sp, 5);
		spool_get_stats(sp, &st);
		test_eq_u64("in-flight counted once: appended - acked - dropped = kept",
		    kept_before + 100 - 5 - (st.dropped - before), st.records);
	}
	spool_rewind(sp);
	n = spool_read(sp, buf, sizeof(buf));
	test_cond("after the in-flight ones, later records", rec_id(buf, n) > first + 4);
	spool_close(sp);

	/* a reopen applies the cap of the new run */
	sp = open_sp(64 << 10);
	spool_get_stats(sp, &st);
	test_cond("reopened within cap", st.bytes <= (64 << 10));
	spool_close(sp);
	rm_dir();
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/spool_test.%d", (int)getpid());
	test_crc();
	test_layout();
	test_order_ack();
	test_crash();
	test_zero_tail();
	test_cap();
	return test_report();
}
