/*
 * mime.h - Internet Message Format headers and MIME bodies, streamed.
 *
 * A message is fed one line at a time (a long line may come in pieces) and
 * never buffered: the parser keeps one unfolded header, the boundary stack
 * and the counters of the part being read.  It hands whole headers and
 * finished file parts to a caller-supplied sink.  Attachment sizes are the
 * decoded byte counts (base64 / quoted-printable), counted while streaming.
 *
 * Also the text decoders the SMTP dissector needs on header values:
 * RFC 2047 encoded words, RFC 2231 parameter values (continuations and
 * charset'lang'%XX), and conversion of the named charsets to UTF-8 with
 * glibc iconv.  iconv descriptors are opened once per thread and cached by
 * charset name (MIME_CS_CACHE entries); they are closed when the thread
 * exits, or by mime_thread_release().
 *
 * References: RFC 5322 2.2 (header fields), 2.2.3 (unfolding); RFC 2045 6
 * (Content-Transfer-Encoding, 6.7 quoted-printable, 6.8 base64); RFC 2046
 * 5.1 (multipart, boundary delimiters, preamble and epilogue), 5.2.1
 * (message/rfc822); RFC 2183 (Content-Disposition, filename); RFC 2047
 * (encoded words, 6.2: whitespace between adjacent encoded words is
 * ignored); RFC 2231 3-5 (parameter continuations, charset and language).
 *
 * Nothing here allocates except the iconv descriptors (iconv_open, once
 * per charset per thread).  Pure functions over borrowed bytes; no wire
 * bytes are read except through the bounds given with them.
 */
#ifndef SPANLOG_MIME_H
#define SPANLOG_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_MAX_DEPTH 8		/* nested multiparts followed */
#define MIME_BOUNDARY_MAX 70		/* RFC 2046 5.1.1: 1..70 characters */
#define MIME_HDR_MAX 8192		/* one unfolded header kept; rest cut */
#define MIME_NAME_MAX 256		/* decoded file name, UTF-8, with NUL */
#define MIME_CTYPE_MAX 96		/* "type/subtype", lower case, with NUL */
#define MIME_CS_CACHE 8			/* iconv descriptors cached per thread */
#define MIME_HEAD_MAX 128		/* a line fed in pieces is joined up to this */

enum mime_cte {
	MIME_CTE_IDENTITY,		/* 7bit, 8bit, binary, or absent */
	MIME_CTE_BASE64,
	MIME_CTE_QP,
};

/* A finished leaf part with a file name or an attachment disposition. */
struct mime_part {
	char filename[MIME_NAME_MAX];	/* decoded UTF-8; "" if none given */
	char content_type[MIME_CTYPE_MAX]; /* "" when the part had none */
	uint64_t size;			/* decoded body bytes */
	bool attachment;		/* Content-Disposition: attachment */
	bool name_truncated;
	uint8_t depth;			/* multipart nesting of the part */
};

struct mime_sink {
	/*
	 * A whole header: name and value borrowed for the call, value
	 * unfolded (CRLF removed, WSP kept), not decoded, and cut at
	 * MIME_HDR_MAX ('truncated').  level 0 = the message's own headers;
	 * >0 = a body part's or an encapsulated message's.  May be NULL.
	 */
	void (*header)(void *ctx, unsigned level, const char *name,
	    size_t nlen, const char *val, size_t vlen, bool truncated);
	/* A finished part that has a file name or is an attachment. */
	void (*part)(void *ctx, const struct mime_part *part);
};

enum mime_feed_flag {
	MIME_EOL = 1 << 0,	/* the line ends after these bytes */
};

enum mime_phase { MP_HEADERS, MP_BODY, MP_SKIP };

struct mime_bnd {
	uint8_t len;
	char b[MIME_BOUNDARY_MAX + 1];
};

/* Parser state: large (the header buffer); keep it in a pooled record. */
struct mime_parser {
	const struct mime_sink *sink;	/* borrowed, outlives the parser */
	void *ctx;
	uint8_t phase;			/* enum mime_phase */
	uint8_t depth;			/* boundaries on the stack */
	uint8_t cte;			/* enum mime_cte of the current part */
	uint8_t level;			/* header level of the current part */
	bool mid;			/* inside a line: pieces so far lacked EOL */
	bool eol_pending;		/* a line break to count if body goes on */
	bool have_hdr;			/* hdr[] holds a header being unfolded */
	bool htrunc;
	bool is_multipart, is_message, disp_attach;
	bool fname_trunc, cname_trunc;
	uint32_t parts;			/* parts started (all levels) */
	uint32_t too_deep;		/* multiparts not followed (depth cap) */
	uint64_t b64chars;		/* base64 alphabet characters seen */
	uint64_t size;			/* identity / QP decoded bytes */
	uint32_t hlen;
	uint8_t headlen;		/* bytes in head[] */
	uint8_t head[MIME_HEAD_MAX];	/* start of a line given in pieces */
	char boundary[MIME_BOUNDARY_MAX + 1];	/* current part's, if multipart */
	char ctype[MIME_CTYPE_MAX];
	char fname[MIME_NAME_MAX];	/* Content-Disposition filename */
	char cname[MIME_NAME_MAX];	/* Content-Type name */
	struct mime_bnd stack[MIME_MAX_DEPTH];
	char hdr[MIME_HDR_MAX];
};

/* Starts a message.  Borrows 'sink' and 'ctx'. No allocation. */
void mime_init(struct mime_parser *mp, const struct mime_sink *sink,
    void *ctx);

/*
 * Feeds the next bytes of the message (after SMTP dot-unstuffing), without
 * CR/LF.  A line may be given in several pieces: only the last carries
 * MIME_EOL.  Pieces of a line up to MIME_HEAD_MAX bytes are joined before
 * they are looked at (so boundary lines split across BDAT chunks are
 * found); a longer line is read in pieces.  Borrows p for the call.
 */
void mime_feed(struct mime_parser *mp, const uint8_t *p, size_t n,
    unsigned flags);

/* End of message: flushes the open header and part to the sink. */
void mime_finish(struct mime_parser *mp);

/* ------------------------------------------------------------------------
 * Decoders.  All write NUL-terminated UTF-8 into out[cap] (cap >= 1), cut
 * at a character boundary, set *trunc when cut (trunc may be NULL), and
 * return the length written.
 * --------------------------------------------------------------------- */

/* RFC 2047: decodes the encoded words in a header value (leniently:
 * words inside quoted strings or next to text are decoded too; a stray '='
 * before '?=' in B text is ignored).  Other bytes are copied as they are. */
size_t mime_decode_words(const char *in, size_t n, char *out, size_t cap,
    bool *trunc);

/*
 * The value of parameter 'attr' (case-insensitive) in a Content-Type or
 * Content-Disposition value, after the first ';'.  RFC 2231 forms
 * (attr*=cs'lang'%XX, attr*0=..., attr*1*=...) win over a plain attr=;
 * a plain value has its RFC 2047 words decoded.  Returns 0, or -1 when
 * the parameter is absent (out is then "").
 */
int mime_param(const char *val, size_t n, const char *attr, char *out,
    size_t cap, bool *trunc);

/* Converts n bytes in 'charset' (NUL-terminated name) to UTF-8.  Unknown
 * charsets are copied as they are; invalid input becomes U+FFFD. */
size_t mime_to_utf8(const char *charset, const uint8_t *in, size_t n,
    char *out, size_t cap, bool *trunc);

/* Closes this thread's cached iconv descriptors (also done at thread exit). */
void mime_thread_release(void);

/* ------------------------------------------------------------------------
 * File names
 * --------------------------------------------------------------------- */

enum mime_name_flag {
	MIME_NAME_EXECUTABLE = 1 << 0,	/* last extension is in the list */
	MIME_NAME_DOUBLE_EXT = 1 << 1,	/* "x.pdf.exe": a decoy before it */
	MIME_NAME_BIDI = 1 << 2,	/* U+202A-202E / U+2066-2069 inside */
};

/*
 * Classifies a decoded UTF-8 file name: the extension is taken from the
 * name as stored (logical order), with bidi controls removed and trailing
 * dots and spaces ignored, as Windows does.  Returns enum mime_name_flag.
 */
unsigned mime_name_flags(const char *name);

/*
 * The name as a reader sees it when it holds a right-to-left override:
 * each U+202E .. (U+202C or end) run is reversed by code point, and bidi
 * controls are dropped.  Writes NUL-terminated UTF-8 into out[cap].
 */
size_t mime_name_visible(const char *name, char *out, size_t cap);

#endif
