/*
 * txtline.h - the CRLF line reader shared by text protocols (HTTP, SMTP).
 *
 * Works on the bytes a dissector is fed; keeps no state of its own.  A line
 * ends at LF (a preceding CR is stripped; a bare LF is accepted and flagged,
 * as real servers send them).  A line longer than 'max_len' is returned cut
 * at max_len with TXT_OVERLONG: the caller raises ANOM_APP_OVERLONG_LINE and
 * discards the rest of that line with txt_skip_line() on the following data.
 */
#ifndef SPANLOG_TXTLINE_H
#define SPANLOG_TXTLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum txt_status {
	TXT_LINE,		/* a whole line: out->p/len, out->consumed */
	TXT_NEED_MORE,		/* no line end yet, and under max_len */
	TXT_OVERLONG,		/* max_len bytes without a line end */
};

struct txt_line {
	const uint8_t *p;	/* borrowed: points into the fed bytes */
	size_t len;		/* without CR/LF */
	size_t consumed;	/* bytes to drop, including CR/LF */
	bool bare_lf;		/* ended by LF without CR */
};

static inline enum txt_status txt_next_line(const uint8_t *p, size_t n,
    size_t max_len, struct txt_line *out)
{
	size_t lim = n < max_len + 2 ? n : max_len + 2;
	const uint8_t *lf = memchr(p, '\n', lim);

	if (!lf) {
		if (n < max_len)
			return TXT_NEED_MORE;
		out->p = p;
		out->len = max_len;
		out->consumed = max_len;
		out->bare_lf = false;
		return TXT_OVERLONG;
	}
	out->p = p;
	out->len = (size_t)(lf - p);
	out->consumed = out->len + 1;
	out->bare_lf = true;
	if (out->len > 0 && p[out->len - 1] == '\r') {
		out->len--;
		out->bare_lf = false;
	}
	if (out->len > max_len) {
		/* The line end came just past the limit: still overlong. */
		out->len = max_len;
		return TXT_OVERLONG;
	}
	return TXT_LINE;
}

/*
 * Skips to just past the next LF.  Returns the bytes to consume; *done says
 * whether the line end was found (else call again with more data).
 */
static inline size_t txt_skip_line(const uint8_t *p, size_t n, bool *done)
{
	const uint8_t *lf = memchr(p, '\n', n);

	*done = lf != NULL;
	return lf ? (size_t)(lf - p) + 1 : n;
}

#endif
