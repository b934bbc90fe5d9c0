/*
 * state.c - load and save the state file (format and rules in state.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "assets.h"
#include "baseline.h"
#include "state.h"

#define STATE_MAGIC "spanlog-state 1"

/*
 * Reads PATH line by line; merge: only acceptance into the baseline (the
 * inventory lines are skipped).  0 (also for a missing file when
 * missing_ok), or -1 with "PATH:LINE: message".
 */
static int read_file(const char *path, bool merge, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line;
	unsigned long ln = 0, records = 0;
	bool magic = false, end = false;
	int rc = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = malloc(STATE_LINE_MAX);
	if (!line) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (rc == 0 && fgets(line, STATE_LINE_MAX, f)) {
		size_t n = strlen(line);
		char msg[256] = "";

		ln++;
		if (n == STATE_LINE_MAX - 1 && line[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%lu: line longer than %d bytes",
			    path, ln, STATE_LINE_MAX - 1);
			rc = -1;
			break;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (end) {
			snprintf(err, errlen, "%s:%lu: data after the end line",
			    path, ln);
			rc = -1;
		} else if (!magic) {
			if (strcmp(line, STATE_MAGIC) != 0) {
				snprintf(err, errlen, "%s:%lu: not a spanlog state "
				    "file (want \"%s\")", path, ln, STATE_MAGIC);
				rc = -1;
			}
			magic = true;
		} else if (strncmp(line, "end ", 4) == 0) {
			char want[32];

			snprintf(want, sizeof(want), "end lines=%lu", records);
			if (strcmp(line, want) != 0) {
				snprintf(err, errlen, "%s:%lu: %s, but %lu records "
				    "were read", path, ln, line, records);
				rc = -1;
			}
			end = true;
		} else if (baseline_state_owns(line)) {
			records++;
			if (baseline_state_read(line, merge, msg, sizeof(msg)) != 0)
				rc = -1;
		} else if (strncmp(line, "asset ", 6) == 0) {
			records++;
			if (!merge && assets_state_read(line, msg, sizeof(msg)) != 0)
				rc = -1;
		} else {
			snprintf(msg, sizeof(msg), "unknown record \"%.20s\"", line);
			rc = -1;
		}
		if (rc != 0 && msg[0])
			snprintf(err, errlen, "%s:%lu: %s", path, ln, msg);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && !end) {
		snprintf(err, errlen, "%s:%lu: no end line: the file was cut "
		    "short", path, ln);
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

int state_load(const char *path, char *err, size_t errlen)
{
	return read_file(path, false, err, errlen);
}

/* Counts the record lines of a buffer (every line not a comment). */
static unsigned long count_records(const char *b, size_t n)
{
	unsigned long c = 0;
	bool bol = true;

	for (size_t i = 0; i < n; i++) {
		if (bol && b[i] != '#' && b[i] != '\n')
			c++;
		bol = b[i] == '\n';
	}
	return c;
}

static int write_locked(const char *path, char *err, size_t errlen)
{
	char *tmp = NULL, *buf = NULL, *dcopy = NULL;
	size_t blen = 0;
	FILE *mem;
	int fd = -1, rc = -1;
	size_t plen = strlen(path);

	/* Merge what operators accepted on disk since we loaded. */
	if (read_file(path, true, err, errlen) != 0)
		return -1;
	mem = open_memstream(&buf, &blen);
	if (!mem) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (baseline_state_write(mem) != 0 || assets_state_write(mem) != 0 ||
	    fclose(mem) != 0) {
		snprintf(err, errlen, "%s: cannot format the state", path);
		free(buf);
		return -1;
	}
	tmp = malloc(plen + 16);
	dcopy = strdup(path);
	if (!tmp || !dcopy) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(tmp, plen + 16, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	{
		FILE *f = fdopen(fd, "w");

		if (!f) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		fd = -1;
		fprintf(f, "# spanlog state: asset inventory and learned "
		    "baseline (ot/state.h).\n# Written by spanlog; change it "
		    "with `spanlog baseline ...`, not by hand.\n%s\n",
		    STATE_MAGIC);
		fwrite(buf, 1, blen, f);
		fprintf(f, "end lines=%lu\n", count_records(buf, blen));
		if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			fclose(f);
			unlink(tmp);
			goto out;
		}
		if (fclose(f) != 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			unlink(tmp);
			goto out;
		}
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
		fd = -1;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(dcopy);
	free(buf);
	return rc;
}

static int lock_open(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path) + 8;
	char *lp = malloc(n);
	int fd;

	if (!lp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(lp, n, "%s.lock", path);
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", lp, strerror(errno));
	else if (flock(fd, LOCK_EX) != 0) {
		snprintf(err, errlen, "%s: %s", lp, strerror(errno));
		close(fd);
		fd = -1;
	}
	free(lp);
	return fd;
}

int state_save(const char *path, char *err, size_t errlen)
{
	int lk = lock_open(path, err, errlen), rc;

	if (lk < 0)
		return -1;
	rc = write_locked(path, err, errlen);
	close(lk);
	return rc;
}

int state_edit(const char *path, int (*fn)(void *arg), void *arg, char *err,
    size_t errlen)
{
	int lk = lock_open(path, err, errlen), rc;

	if (lk < 0)
		return -1;
	rc = read_file(path, false, err, errlen);
	if (rc == 0) {
		rc = fn(arg);
		if (rc == 0 && write_locked(path, err, errlen) != 0)
			rc = -1;
	}
	close(lk);
	return rc;
}
