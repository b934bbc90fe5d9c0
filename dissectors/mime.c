/*
 * mime.c - streamed MIME parsing and header text decoding (see mime.h).
 *
 * clang-format off
 *
 *   message   = *( field-name ":" value CRLF *( WSP more CRLF ) )   headers
 *               CRLF
 *               body
 *   multipart body (RFC 2046 5.1.1):
 *               preamble  CRLF "--" boundary [ "--" ] *WSP CRLF   ...
 *               "--" boundary CRLF  part-headers CRLF  part-body
 *               "--" boundary "--"  epilogue
 *   encoded word (RFC 2047 2):   "=?" charset [ "*" lang ] "?" B|Q "?" text "?="
 *   RFC 2231 3-4:  attr "*" n [ "*" ] "=" value ;  first ext value:
 *                  charset "'" lang "'" %XX-text
 *
 * clang-format on
 *
 * Deliberately not handled: message/partial reassembly, multipart/digest's
 * default of message/rfc822 for its parts, BinHex and uuencode bodies
 * (counted as identity), charsets iconv does not know (their bytes are
 * kept as they are), and RFC 2231 continuations beyond index 31.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

#define MIME_SEGS 32		/* RFC 2231 continuation segments kept */
#define MIME_CS_NAME 40

/* ------------------------------------------------------------------------
 * Output buffer: NUL-terminated, cut on a UTF-8 character boundary
 * --------------------------------------------------------------------- */

struct ob {
	char *p;
	size_t cap, len;
	bool trunc;
};

static void ob_init(struct ob *o, char *p, size_t cap)
{
	o->p = p;
	o->cap = cap;
	o->len = 0;
	o->trunc = false;
	if (cap)
		p[0] = '\0';
}

static void ob_put(struct ob *o, const void *s, size_t n)
{
	size_t room;

	if (o->trunc || o->cap == 0) {
		o->trunc = o->trunc || n > 0;
		return;
	}
	room = o->cap - 1 - o->len;
	if (n > room) {
		/* Cut before a UTF-8 lead byte so no half character is left. */
		size_t k = room;
		const uint8_t *b = s;

		while (k > 0 && k < n && (b[k] & 0xc0) == 0x80)
			k--;
		n = k;
		o->trunc = true;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n && b[i]; i++)
		if (lower((uint8_t)a[i]) != lower((uint8_t)b[i]))
			return false;
	return i == n && b[i] == '\0';
}

/* ------------------------------------------------------------------------
 * Charset conversion: a per-thread cache of iconv descriptors
 * --------------------------------------------------------------------- */

struct cs_ent {
	char name[MIME_CS_NAME];	/* normalized; "" = free */
	iconv_t cd;			/* (iconv_t)-1: iconv does not know it */
};

struct cs_cache {
	struct cs_ent e[MIME_CS_CACHE];
	unsigned next;			/* round-robin victim */
};

static _Thread_local struct cs_cache *cs_tcache;
static pthread_key_t cs_key;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;
static bool cs_key_ok;

static void cs_cache_free(void *p)
{
	struct cs_cache *c = p;

	if (!c)
		return;
	for (int i = 0; i < MIME_CS_CACHE; i++)
		if (c->e[i].name[0] && c->e[i].cd != (iconv_t)-1)
			iconv_close(c->e[i].cd);
	free(c);
}

static void cs_key_init(void)
{
	cs_key_ok = pthread_key_create(&cs_key, cs_cache_free) == 0;
}

void mime_thread_release(void)
{
	struct cs_cache *c = cs_tcache;

	if (!c)
		return;
	cs_tcache = NULL;
	if (cs_key_ok)
		pthread_setspecific(cs_key, NULL);
	cs_cache_free(c);
}

/* Aliases mail uses that glibc spells differently or that need a superset. */
static const struct {
	const char *alias;
	const char *iconv;
} cs_alias[] = {
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" },
	{ "sjis", "CP932" }, { "x-sjis", "CP932" }, { "ms_kanji", "CP932" },
	{ "csshiftjis", "CP932" }, { "windows-31j", "CP932" },
	{ "cp932", "CP932" },
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "x-gbk", "GB18030" },
	{ "cp936", "GB18030" }, { "euc-cn", "GB18030" },
	{ "gb_2312-80", "GB18030" }, { "csgb2312", "GB18030" },
	{ "ks_c_5601-1987", "CP949" }, { "euc-kr", "CP949" },
	{ "iso-2022-jp", "ISO-2022-JP" }, { "euc-jp", "EUC-JP" },
	{ "latin1", "ISO-8859-1" }, { "iso8859-1", "ISO-8859-1" },
};

/* True for charsets whose bytes are copied as they are. */
static bool cs_is_direct(const char *n)
{
	return !n[0] || !strcmp(n, "utf-8") || !strcmp(n, "utf8") ||
	    !strcmp(n, "us-ascii") || !strcmp(n, "ascii") ||
	    !strcmp(n, "unknown-8bit") || !strcmp(n, "x-unknown");
}

/* A descriptor for 'norm' (normalized name), or (iconv_t)-1. */
static iconv_t cs_get(const char *norm)
{
	struct cs_cache *c = cs_tcache;
	const char *ic = norm;
	struct cs_ent *e;

	if (!c) {
		pthread_once(&cs_once, cs_key_init);
		c = calloc(1, sizeof(*c));
		if (!c)
			return (iconv_t)-1;
		if (cs_key_ok)
			pthread_setspecific(cs_key, c);
		cs_tcache = c;
	}
	for (int i = 0; i < MIME_CS_CACHE; i++)
		if (!strcmp(c->e[i].name, norm))
			return c->e[i].cd;
	for (size_t i = 0; i < sizeof(cs_alias) / sizeof(cs_alias[0]); i++)
		if (!strcmp(cs_alias[i].alias, norm))
			ic = cs_alias[i].iconv;
	e = &c->e[c->next];
	c->next = (c->next + 1) % MIME_CS_CACHE;
	if (e->name[0] && e->cd != (iconv_t)-1)
		iconv_close(e->cd);
	snprintf(e->name, sizeof(e->name), "%s", norm);
	e->cd = iconv_open("UTF-8", ic);
	return e->cd;
}

/* Lower-cases and checks a charset name; false if it is not plausible. */
static bool cs_norm(const char *in, size_t n, char out[MIME_CS_NAME])
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (uint8_t)in[i];

		if (c == '*')
			break;		/* RFC 2231 5: charset*language */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.:+()", c)))
			return false;
		if (k + 1 >= MIME_CS_NAME)
			return false;
		out[k++] = (char)lower(c);
	}
	out[k] = '\0';
	return true;
}

static void conv_put(struct ob *o, const char *norm, const uint8_t *in,
    size_t n)
{
	static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	char tmp[1024];
	char *ip = (char *)(uintptr_t)in, *op;
	size_t il = n, ol;
	iconv_t cd;

	if (n == 0)
		return;
	if (cs_is_direct(norm) || (cd = cs_get(norm)) == (iconv_t)-1) {
		ob_put(o, in, n);
		return;
	}
	iconv(cd, NULL, NULL, NULL, NULL);	/* stateful charsets start fresh */
	while (il > 0 && !o->trunc) {
		size_t r;

		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cd, &ip, &il, &op, &ol);
		ob_put(o, tmp, (size_t)(op - tmp));
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL: replace one byte and go on. */
		ob_put(o, repl, 3);
		ip++;
		il--;
	}
	op = tmp;
	ol = sizeof(tmp);
	if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1)
		ob_put(o, tmp, (size_t)(op - tmp));
}

size_t mime_to_utf8(const char *charset, const uint8_t *in, size_t n,
    char *out, size_t cap, bool *trunc)
{
	char norm[MIME_CS_NAME];
	struct ob o;

	ob_init(&o, out, cap);
	if (!cs_norm(charset, strlen(charset), norm))
		norm[0] = '\0';
	conv_put(&o, norm, in, n);
	if (trunc)
		*trunc = o.trunc;
	return o.len;
}

/* ------------------------------------------------------------------------
 * RFC 2047 encoded words
 * --------------------------------------------------------------------- */

static int b64v(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64 text to bytes; non-alphabet bytes ('=', stray junk) are skipped. */
static size_t b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64v((uint8_t)s[i]);

		if (v < 0)
			continue;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k < cap)
				out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return k;
}

/* RFC 2047 4.2 Q text to bytes. */
static size_t q_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < cap; i++) {
		int h, l;

		if (s[i] == '_') {
			out[k++] = ' ';
		} else if (s[i] == '=' && i + 2 < n &&
		    (h = hexv((uint8_t)s[i + 1])) >= 0 &&
		    (l = hexv((uint8_t)s[i + 2])) >= 0) {
			out[k++] = (uint8_t)(h << 4 | l);
			i += 2;
		} else {
			out[k++] = (uint8_t)s[i];
		}
	}
	return k;
}

/* One parsed encoded word: [start, end) in the input. */
struct eword {
	size_t end;
	const char *cs;
	size_t cslen;
	char enc;
	const char *text;
	size_t tlen;
};

/* Parses "=?cs?E?text?=" at in[i]; false if it is not one. */
static bool eword_parse(const char *in, size_t n, size_t i, struct eword *w)
{
	size_t j = i + 2, k;

	if (i + 1 >= n || in[i] != '=' || in[i + 1] != '?')
		return false;
	w->cs = in + j;
	while (j < n && in[j] != '?' && !is_wsp((uint8_t)in[j]))
		j++;
	w->cslen = (size_t)(w->cs - in) <= j ? j - (size_t)(w->cs - in) : 0;
	if (j + 2 >= n || in[j] != '?' || w->cslen == 0 ||
	    w->cslen >= MIME_CS_NAME)
		return false;
	w->enc = (char)lower((uint8_t)in[j + 1]);
	if ((w->enc != 'b' && w->enc != 'q') || in[j + 2] != '?')
		return false;
	k = j + 3;
	w->text = in + k;
	while (k + 1 < n && !(in[k] == '?' && in[k + 1] == '='))
		k++;
	if (k + 1 >= n)
		return false;
	w->tlen = k - (j + 3);
	w->end = k + 2;
	return true;
}

static bool all_wsp(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_wsp((uint8_t)s[i]) && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/*
 * Adjacent words in the same charset are joined as bytes before
 * conversion: mailers split multi-byte characters (and ISO-2022-JP escape
 * sequences) across words.
 */
size_t mime_decode_words(const char *in, size_t n, char *out, size_t cap,
    bool *trunc)
{
	uint8_t raw[MIME_HDR_MAX];
	char cs[MIME_CS_NAME] = "";
	size_t rawlen = 0, lit = 0, i = 0;
	bool after_word = false;
	struct ob o;

	ob_init(&o, out, cap);
	while (i < n) {
		struct eword w;
		char wcs[MIME_CS_NAME];
		size_t k;

		if (in[i] != '=' || !eword_parse(in, n, i, &w) ||
		    !cs_norm(w.cs, w.cslen, wcs)) {
			i++;
			continue;
		}
		if (!(after_word && all_wsp(in + lit, i - lit))) {
			conv_put(&o, cs, raw, rawlen);
			rawlen = 0;
			ob_put(&o, in + lit, i - lit);
		}
		if (strcmp(wcs, cs) != 0) {
			conv_put(&o, cs, raw, rawlen);
			rawlen = 0;
			memcpy(cs, wcs, sizeof(cs));
		}
		k = w.enc == 'b' ?
		    b64_decode(w.text, w.tlen, raw + rawlen, sizeof(raw) - rawlen) :
		    q_decode(w.text, w.tlen, raw + rawlen, sizeof(raw) - rawlen);
		rawlen += k;
		i = lit = w.end;
		after_word = true;
	}
	conv_put(&o, cs, raw, rawlen);
	ob_put(&o, in + lit, n - lit);
	if (trunc)
		*trunc = o.trunc;
	return o.len;
}

/* ------------------------------------------------------------------------
 * Parameters (RFC 2045 5.1, RFC 2231)
 * --------------------------------------------------------------------- */

struct pval {
	const char *p;		/* raw span in the header value */
	size_t n;
	bool quoted;
	bool ext;		/* '*' after the name: %XX-encoded */
	bool set;
};

/* Copies a value span, removing quoted-string escapes. */
static size_t pval_copy(const struct pval *v, uint8_t *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < v->n && k < cap; i++) {
		if (v->quoted && v->p[i] == '\\' && i + 1 < v->n)
			i++;
		out[k++] = (uint8_t)v->p[i];
	}
	return k;
}

/* %XX-decodes in place; returns the new length. */
static size_t pct_decode(uint8_t *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int h, l;

		if (s[i] == '%' && i + 2 < n &&
		    (h = hexv(s[i + 1])) >= 0 && (l = hexv(s[i + 2])) >= 0) {
			s[k++] = (uint8_t)(h << 4 | l);
			i += 2;
		} else {
			s[k++] = s[i];
		}
	}
	return k;
}

/*
 * Matches a parameter name against attr: 0 plain, 1 "attr*", 2 "attr*N"
 * (index in *idx, *ext when it ends in '*'), -1 other.
 */
static int pname_match(const char *p, size_t n, const char *attr,
    unsigned *idx, bool *ext)
{
	size_t al = strlen(attr), i;
	unsigned v = 0;

	if (n < al)
		return -1;
	for (i = 0; i < al; i++)
		if (lower((uint8_t)p[i]) != lower((uint8_t)attr[i]))
			return -1;
	if (n == al)
		return 0;
	if (p[al] != '*')
		return -1;
	if (n == al + 1)
		return 1;
	i = al + 1;
	if (p[i] == '0' && n > i + 1 && p[i + 1] != '*')
		return -1;	/* no leading zeros (RFC 2231 3) */
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		v = v * 10 + (unsigned)(p[i] - '0');
		if (v > 1000)
			return -1;
	}
	if (i == al + 1)
		return -1;
	*ext = false;
	if (i < n && p[i] == '*') {
		*ext = true;
		i++;
	}
	if (i != n)
		return -1;
	*idx = v;
	return 2;
}

int mime_param(const char *val, size_t n, const char *attr, char *out,
    size_t cap, bool *trunc)
{
	struct pval plain = { 0 }, star = { 0 }, seg[MIME_SEGS];
	uint8_t raw[MIME_HDR_MAX];
	char cs[MIME_CS_NAME] = "";
	size_t i = 0, rawlen = 0;
	bool any_seg = false;
	struct ob o;

	memset(seg, 0, sizeof(seg));
	ob_init(&o, out, cap);
	if (trunc)
		*trunc = false;
	/* Skip the type or disposition, up to the first ';' outside quotes. */
	while (i < n && val[i] != ';') {
		if (val[i] == '"') {
			for (i++; i < n && val[i] != '"'; i++)
				if (val[i] == '\\')
					i++;
		}
		i++;
	}
	while (i < n) {
		size_t ns, ne;
		struct pval v = { 0 };
		unsigned idx = 0;
		bool ext = false;
		int m;

		while (i < n && (val[i] == ';' || is_wsp((uint8_t)val[i])))
			i++;
		ns = i;
		while (i < n && val[i] != '=' && val[i] != ';')
			i++;
		ne = i;
		while (ne > ns && is_wsp((uint8_t)val[ne - 1]))
			ne--;
		if (i >= n || val[i] != '=')
			continue;
		i++;
		while (i < n && is_wsp((uint8_t)val[i]))
			i++;
		if (i < n && val[i] == '"') {
			v.quoted = true;
			v.p = val + ++i;
			while (i < n && val[i] != '"') {
				if (val[i] == '\\' && i + 1 < n)
					i++;
				i++;
			}
			v.n = (size_t)(val + (i < n ? i : n) - v.p);
			if (i < n)
				i++;
			while (i < n && val[i] != ';')
				i++;	/* junk after the closing quote */
		} else {
			v.p = val + i;
			while (i < n && val[i] != ';')
				i++;
			v.n = (size_t)(val + i - v.p);
			while (v.n && is_wsp((uint8_t)v.p[v.n - 1]))
				v.n--;
		}
		v.set = true;
		m = pname_match(val + ns, ne - ns, attr, &idx, &ext);
		if (m == 0 && !plain.set) {
			plain = v;
		} else if (m == 1 && !star.set) {
			star = v;
			star.ext = true;
		} else if (m == 2 && idx < MIME_SEGS && !seg[idx].set) {
			seg[idx] = v;
			seg[idx].ext = ext;
			any_seg = true;
		}
	}
	if (star.set || (any_seg && seg[0].set)) {
		/* RFC 2231: the first piece may carry charset'lang'. */
		unsigned nseg = star.set ? 1 : MIME_SEGS;

		for (unsigned s = 0; s < nseg; s++) {
			const struct pval *v = star.set ? &star : &seg[s];
			size_t k, off = 0;
			uint8_t *b = raw + rawlen;

			if (!v->set)
				break;	/* continuations stop at a hole */
			k = pval_copy(v, b, sizeof(raw) - rawlen);
			if (v->ext && s == 0) {
				uint8_t *q1 = memchr(b, '\'', k), *q2 = NULL;

				if (q1)
					q2 = memchr(q1 + 1, '\'',
					    k - (size_t)(q1 + 1 - b));
				if (q1 && q2) {
					if (!cs_norm((const char *)b,
					    (size_t)(q1 - b), cs))
						cs[0] = '\0';
					off = (size_t)(q2 + 1 - b);
					memmove(b, b + off, k - off);
					k -= off;
				}
			}
			if (v->ext)
				k = pct_decode(b, k);
			rawlen += k;
		}
		conv_put(&o, cs, raw, rawlen);
		if (trunc)
			*trunc = o.trunc;
		return 0;
	}
	if (!plain.set)
		return -1;
	rawlen = pval_copy(&plain, raw, sizeof(raw));
	mime_decode_words((const char *)raw, rawlen, out, cap, trunc);
	return 0;
}

/* ------------------------------------------------------------------------
 * The streamed parser
 * --------------------------------------------------------------------- */

static void part_reset(struct mime_parser *mp)
{
	mp->cte = MIME_CTE_IDENTITY;
	mp->eol_pending = false;
	mp->have_hdr = false;
	mp->htrunc = false;
	mp->is_multipart = mp->is_message = mp->disp_attach = false;
	mp->fname_trunc = mp->cname_trunc = false;
	mp->b64chars = 0;
	mp->size = 0;
	mp->hlen = 0;
	mp->boundary[0] = '\0';
	mp->ctype[0] = '\0';
	mp->fname[0] = '\0';
	mp->cname[0] = '\0';
}

void mime_init(struct mime_parser *mp, const struct mime_sink *sink,
    void *ctx)
{
	mp->sink = sink;
	mp->ctx = ctx;
	mp->phase = MP_HEADERS;
	mp->depth = 0;
	mp->level = 0;
	mp->mid = false;
	mp->headlen = 0;
	mp->parts = 1;
	mp->too_deep = 0;
	part_reset(mp);
}

/* Emits the leaf part now ending, if it names a file or is an attachment. */
static void part_end(struct mime_parser *mp)
{
	struct mime_part pt;

	if (mp->phase == MP_SKIP || mp->is_multipart)
		return;
	if (!mp->fname[0] && !mp->cname[0] && !mp->disp_attach)
		return;
	if (!mp->sink || !mp->sink->part)
		return;
	memset(&pt, 0, sizeof(pt));
	if (mp->fname[0]) {
		memcpy(pt.filename, mp->fname, sizeof(pt.filename));
		pt.name_truncated = mp->fname_trunc;
	} else {
		memcpy(pt.filename, mp->cname, sizeof(pt.filename));
		pt.name_truncated = mp->cname_trunc;
	}
	memcpy(pt.content_type, mp->ctype, sizeof(pt.content_type));
	/* RFC 2045 6.8: 4 characters carry 3 bytes; padding is not counted. */
	pt.size = mp->cte == MIME_CTE_BASE64 ? mp->b64chars * 3 / 4 : mp->size;
	pt.attachment = mp->disp_attach;
	pt.depth = mp->depth;
	mp->sink->part(mp->ctx, &pt);
}

static void hdr_content_type(struct mime_parser *mp, const char *v, size_t n)
{
	size_t i = 0, k = 0;
	bool t;

	while (i < n && is_wsp((uint8_t)v[i]))
		i++;
	while (i < n && v[i] != ';' && !is_wsp((uint8_t)v[i]) &&
	    k + 1 < sizeof(mp->ctype))
		mp->ctype[k++] = (char)lower((uint8_t)v[i++]);
	mp->ctype[k] = '\0';
	mp->is_multipart = !strncmp(mp->ctype, "multipart/", 10);
	mp->is_message = !strcmp(mp->ctype, "message/rfc822") ||
	    !strcmp(mp->ctype, "message/global");
	if (mp->is_multipart &&
	    (mime_param(v, n, "boundary", mp->boundary, sizeof(mp->boundary),
	    &t) != 0 || !mp->boundary[0]))
		mp->is_multipart = false;	/* no boundary: read as a leaf */
	if (mime_param(v, n, "name", mp->cname, sizeof(mp->cname), &t) == 0)
		mp->cname_trunc = t;
}

static void hdr_disposition(struct mime_parser *mp, const char *v, size_t n)
{
	size_t i = 0, s;
	bool t;

	while (i < n && is_wsp((uint8_t)v[i]))
		i++;
	s = i;
	while (i < n && v[i] != ';' && !is_wsp((uint8_t)v[i]))
		i++;
	mp->disp_attach = ieq(v + s, i - s, "attachment");
	if (mime_param(v, n, "filename", mp->fname, sizeof(mp->fname), &t) == 0)
		mp->fname_trunc = t;
}

static void hdr_cte(struct mime_parser *mp, const char *v, size_t n)
{
	while (n && is_wsp((uint8_t)v[0])) {
		v++;
		n--;
	}
	while (n && is_wsp((uint8_t)v[n - 1]))
		n--;
	if (ieq(v, n, "base64"))
		mp->cte = MIME_CTE_BASE64;
	else if (ieq(v, n, "quoted-printable"))
		mp->cte = MIME_CTE_QP;
	else
		mp->cte = MIME_CTE_IDENTITY;
}

/* The unfolded header in hdr[] is complete. */
static void hdr_flush(struct mime_parser *mp)
{
	const char *h = mp->hdr, *v;
	size_t n = mp->hlen, c, vn;

	if (!mp->have_hdr)
		return;
	mp->have_hdr = false;
	c = 0;
	while (c < n && h[c] != ':')
		c++;
	if (c == n)
		return;
	vn = c;
	while (vn > 0 && is_wsp((uint8_t)h[vn - 1]))
		vn--;
	v = h + c + 1;
	n -= c + 1;
	while (n && is_wsp((uint8_t)v[0])) {
		v++;
		n--;
	}
	while (n && is_wsp((uint8_t)v[n - 1]))
		n--;
	if (ieq(h, vn, "content-type"))
		hdr_content_type(mp, v, n);
	else if (ieq(h, vn, "content-disposition"))
		hdr_disposition(mp, v, n);
	else if (ieq(h, vn, "content-transfer-encoding"))
		hdr_cte(mp, v, n);
	if (mp->sink && mp->sink->header)
		mp->sink->header(mp->ctx, mp->level, h, vn, v, n, mp->htrunc);
}

static void hdr_append(struct mime_parser *mp, const uint8_t *p, size_t n)
{
	size_t room = sizeof(mp->hdr) - mp->hlen;

	if (n > room) {
		n = room;
		mp->htrunc = true;
	}
	memcpy(mp->hdr + mp->hlen, p, n);
	mp->hlen += (uint32_t)n;
}

/* A header line looks like "name:" (RFC 5322 3.6.8, obs: WSP before ':'). */
static bool is_field_start(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < n && is_wsp(p[i]))
		i++;
	return i < n && p[i] == ':';
}

static void headers_end(struct mime_parser *mp)
{
	hdr_flush(mp);
	if (mp->is_multipart) {
		if (mp->depth < MIME_MAX_DEPTH) {
			struct mime_bnd *b = &mp->stack[mp->depth++];

			b->len = (uint8_t)strlen(mp->boundary);
			memcpy(b->b, mp->boundary, sizeof(b->b));
			mp->phase = MP_SKIP;	/* the preamble */
			return;
		}
		mp->too_deep++;
		mp->is_multipart = false;	/* read it as one opaque leaf */
	} else if (mp->is_message && !mp->disp_attach && !mp->fname[0] &&
	    !mp->cname[0] && mp->cte == MIME_CTE_IDENTITY) {
		/* RFC 2046 5.2.1: the body is a message; its headers follow. */
		part_reset(mp);
		if (mp->level < 255)
			mp->level++;
		mp->parts++;
		mp->phase = MP_HEADERS;
		return;
	}
	mp->phase = MP_BODY;
}

/* Index+1 of the stack boundary this line delimits (negative: closing), 0. */
static int boundary_match(const struct mime_parser *mp, const uint8_t *p,
    size_t n)
{
	if (n < 3 || p[0] != '-' || p[1] != '-')
		return 0;
	for (int i = mp->depth - 1; i >= 0; i--) {
		const struct mime_bnd *b = &mp->stack[i];
		size_t k = 2u + b->len;
		bool close = false;

		if (n < k || memcmp(p + 2, b->b, b->len) != 0)
			continue;
		if (n >= k + 2 && p[k] == '-' && p[k + 1] == '-') {
			close = true;
			k += 2;
		}
		while (k < n && is_wsp(p[k]))
			k++;
		if (k == n)
			return close ? -(i + 1) : i + 1;
	}
	return 0;
}

/* Counts decoded bytes of a body piece; 'start': it begins a line. */
static void body_piece(struct mime_parser *mp, const uint8_t *p, size_t n,
    bool start, bool eol)
{
	size_t i;

	switch (mp->cte) {
	case MIME_CTE_BASE64:
		for (i = 0; i < n; i++)
			if (b64v(p[i]) >= 0)
				mp->b64chars++;
		break;
	case MIME_CTE_QP:
		if (eol) {
			/* RFC 2045 6.7 rule 3: trailing whitespace is padding. */
			while (n && is_wsp(p[n - 1]))
				n--;
		}
		if (start && mp->eol_pending)
			mp->size += 2;
		mp->eol_pending = false;
		for (i = 0; i < n; i++) {
			if (p[i] == '=' && i + 2 < n &&
			    hexv(p[i + 1]) >= 0 && hexv(p[i + 2]) >= 0)
				i += 2;
			else if (p[i] == '=' && i + 1 == n && eol)
				break;		/* soft line break */
			mp->size++;
		}
		if (eol && !(n && p[n - 1] == '='))
			mp->eol_pending = true;
		break;
	default:
		if (start && mp->eol_pending)
			mp->size += 2;
		mp->size += n;
		mp->eol_pending = eol;
		break;
	}
}

static void feed_piece(struct mime_parser *mp, const uint8_t *p, size_t n,
    unsigned flags)
{
	bool eol = (flags & MIME_EOL) != 0;
	bool start = !mp->mid;

	mp->mid = !eol;
	if (start && eol && mp->depth) {
		int b = boundary_match(mp, p, n);

		if (b) {
			int i = b > 0 ? b - 1 : -b - 1;

			if (mp->phase == MP_HEADERS)
				headers_end(mp);
			part_end(mp);
			if (b > 0) {
				mp->depth = (uint8_t)(i + 1);
				part_reset(mp);
				mp->parts++;
				mp->level = (uint8_t)(i + 1);
				mp->phase = MP_HEADERS;
			} else {
				mp->depth = (uint8_t)i;
				mp->phase = MP_SKIP;	/* the epilogue */
			}
			return;
		}
	}
	switch (mp->phase) {
	case MP_HEADERS:
		if (!start) {
			if (mp->have_hdr)
				hdr_append(mp, p, n);
			return;
		}
		if (n == 0) {
			if (eol)
				headers_end(mp);
			return;
		}
		if (is_wsp(p[0])) {
			if (mp->have_hdr)
				hdr_append(mp, p, n);	/* RFC 5322 2.2.3 */
			return;
		}
		if (!is_field_start(p, n) && (eol || n >= MIME_HDR_MAX)) {
			/* Not a header: the body starts without a blank line. */
			headers_end(mp);
			if (mp->phase == MP_BODY)
				body_piece(mp, p, n, true, eol);
			return;
		}
		hdr_flush(mp);
		mp->have_hdr = true;
		mp->htrunc = false;
		mp->hlen = 0;
		hdr_append(mp, p, n);
		return;
	case MP_BODY:
		body_piece(mp, p, n, start, eol);
		return;
	default:
		return;
	}
}

void mime_feed(struct mime_parser *mp, const uint8_t *p, size_t n,
    unsigned flags)
{
	uint8_t h[MIME_HEAD_MAX];
	size_t hn;

	if (!mp->headlen && (mp->mid || (flags & MIME_EOL))) {
		feed_piece(mp, p, n, flags);
		return;
	}
	/* The start of a line is arriving in pieces: join what is short. */
	if (mp->headlen + n <= MIME_HEAD_MAX) {
		memcpy(mp->head + mp->headlen, p, n);
		mp->headlen = (uint8_t)(mp->headlen + n);
		if (!(flags & MIME_EOL))
			return;
		hn = mp->headlen;
		memcpy(h, mp->head, hn);
		mp->headlen = 0;
		feed_piece(mp, h, hn, MIME_EOL);
		return;
	}
	hn = mp->headlen;
	memcpy(h, mp->head, hn);
	mp->headlen = 0;
	if (hn)
		feed_piece(mp, h, hn, 0);
	feed_piece(mp, p, n, flags);
}

void mime_finish(struct mime_parser *mp)
{
	if (mp->headlen) {
		uint8_t h[MIME_HEAD_MAX];
		size_t hn = mp->headlen;

		memcpy(h, mp->head, hn);
		mp->headlen = 0;
		feed_piece(mp, h, hn, MIME_EOL);
	}
	if (mp->phase == MP_HEADERS)
		headers_end(mp);
	part_end(mp);
	mp->phase = MP_SKIP;
	mp->depth = 0;
}

/* ------------------------------------------------------------------------
 * File names
 * --------------------------------------------------------------------- */

/*
 * Extensions Windows runs, opens as code or mounts.  Sources: Microsoft's
 * blocked attachment list for Outlook, and the image formats (iso, img,
 * vhd) used to carry payloads past mark-of-the-web.
 */
static const char *const exec_ext[] = {
	"exe", "scr", "js", "jse", "vbs", "vbe", "bat", "cmd", "ps1", "psm1",
	"hta", "lnk", "iso", "img", "vhd", "vhdx", "msi", "msp", "jar", "com",
	"pif", "cpl", "wsf", "wsh", "wsc", "dll", "reg", "msc", "chm", "scf",
	"inf", "application", "gadget", "appx", "msix", "xll", "url",
};

/* Decodes one UTF-8 code point at s[i]; an invalid byte counts as itself. */
static uint32_t u8_next(const uint8_t *s, size_t n, size_t *i)
{
	uint32_t c = s[*i];
	size_t more;

	if (c >= 0xc0 && c < 0xe0) {
		more = 1;
		c &= 0x1f;
	} else if (c >= 0xe0 && c < 0xf0) {
		more = 2;
		c &= 0x0f;
	} else if (c >= 0xf0 && c < 0xf8) {
		more = 3;
		c &= 0x07;
	} else {
		(*i)++;
		return c;
	}
	if (*i + more >= n) {
		(*i)++;
		return s[*i - 1];
	}
	for (size_t k = 1; k <= more; k++) {
		if ((s[*i + k] & 0xc0) != 0x80) {
			(*i)++;
			return s[*i - 1];
		}
		c = c << 6 | (s[*i + k] & 0x3f);
	}
	*i += 1 + more;
	return c;
}

static bool is_bidi(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f;
}

static bool ext_exec(const char *e, size_t n)
{
	for (size_t i = 0; i < sizeof(exec_ext) / sizeof(exec_ext[0]); i++)
		if (ieq(e, n, exec_ext[i]))
			return true;
	return false;
}

unsigned mime_name_flags(const char *name)
{
	char clean[MIME_NAME_MAX];
	const uint8_t *s = (const uint8_t *)name;
	size_t n = strlen(name), i = 0, k = 0, e1, e2;
	unsigned fl = 0;

	while (i < n) {
		size_t st = i;
		uint32_t c = u8_next(s, n, &i);

		if (is_bidi(c)) {
			fl |= MIME_NAME_BIDI;
			continue;
		}
		if (k + (i - st) < sizeof(clean)) {
			memcpy(clean + k, s + st, i - st);
			k += i - st;
		}
	}
	while (k && (clean[k - 1] == '.' || clean[k - 1] == ' '))
		k--;
	e1 = k;
	while (e1 > 0 && clean[e1 - 1] != '.')
		e1--;
	if (e1 == 0)
		return fl;
	if (ext_exec(clean + e1, k - e1)) {
		fl |= MIME_NAME_EXECUTABLE;
		/* A decoy extension before it, maybe padded with spaces. */
		e2 = e1 - 1;
		while (e2 > 0 && clean[e2 - 1] == ' ')
			e2--;
		k = e2;
		while (e2 > 0 && clean[e2 - 1] != '.' && k - e2 <= 5)
			e2--;
		if (e2 > 1 && clean[e2 - 1] == '.' && k > e2 && k - e2 <= 5)
			fl |= MIME_NAME_DOUBLE_EXT;
	}
	return fl;
}

size_t mime_name_visible(const char *name, char *out, size_t cap)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t n = strlen(name), i = 0;
	struct ob o;

	ob_init(&o, out, cap);
	while (i < n) {
		size_t st = i;
		uint32_t c = u8_next(s, n, &i);

		if (c == 0x202e) {
			/* Find the run's end, then copy its code points backwards. */
			size_t rs = i, re = i, j = i;

			while (j < n) {
				size_t cs = j;
				uint32_t d = u8_next(s, n, &j);

				if (d == 0x202c) {
					re = cs;
					break;
				}
				re = j;
			}
			for (size_t end = re; end > rs;) {
				size_t b = end - 1;

				while (b > rs && (s[b] & 0xc0) == 0x80)
					b--;
				{
					size_t t = b;
					uint32_t d = u8_next(s, n, &t);

					if (!is_bidi(d))
						ob_put(&o, s + b, end - b);
				}
				end = b;
			}
			i = re;
			continue;
		}
		if (!is_bidi(c))
			ob_put(&o, s + st, i - st);
	}
	return o.len;
}
