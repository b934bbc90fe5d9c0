/*
 * ev_http.h - the HTTP/1.x transaction event (included by event.h after
 * struct ev_hdr).
 *
 * One event per request/response pair, filled by dissectors/http.c and
 * serialized by sensor/output_json_http.c.  Every string is copied into a
 * fixed-size, NUL-terminated array; a bit in 'trunc' says when the wire
 * carried more than was kept.  No pointers into packets.  Credentials are
 * never stored: an Authorization header leaves only its scheme and, for
 * Basic, the user name (the part before the first ':').
 */
#ifndef SPANLOG_EV_HTTP_H
#define SPANLOG_EV_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#define EV_HTTP_METHOD_MAX 24
#define EV_HTTP_HOST_MAX 256
#define EV_HTTP_URL_MAX 1024
#define EV_HTTP_PROTO_MAX 16
#define EV_HTTP_UA_MAX 256
#define EV_HTTP_REFER_MAX 256
#define EV_HTTP_CTYPE_MAX 128
#define EV_HTTP_TARGET_MAX 262		/* host (255) + ':' + port */
#define EV_HTTP_AUTH_SCHEME_MAX 24
#define EV_HTTP_AUTH_USER_MAX 128
#define EV_HTTP_MAX_HDRS 32		/* header names kept per side */
#define EV_HTTP_HDR_BUF 640		/* NUL-separated names, per side */

/* Which field lost bytes (bits of ev_http.trunc). */
enum ev_http_trunc {
	EV_HTTP_TR_METHOD = 1 << 0,
	EV_HTTP_TR_HOST = 1 << 1,
	EV_HTTP_TR_URL = 1 << 2,
	EV_HTTP_TR_UA = 1 << 3,
	EV_HTTP_TR_REFER = 1 << 4,
	EV_HTTP_TR_CTYPE = 1 << 5,
	EV_HTTP_TR_TARGET = 1 << 6,
	EV_HTTP_TR_AUTH = 1 << 7,
	EV_HTTP_TR_REQ_HDRS = 1 << 8,	/* more names than were kept */
	EV_HTTP_TR_RESP_HDRS = 1 << 9,
	EV_HTTP_TR_PROTO = 1 << 10,
};

/* How the transaction went (bits of ev_http.flags). */
enum ev_http_flag {
	EV_HTTP_HAS_REQUEST = 1 << 0,	/* a request line was seen */
	EV_HTTP_HAS_RESPONSE = 1 << 1,	/* a (final) status line was seen */
	EV_HTTP_REQ_INCOMPLETE = 1 << 2, /* flow ended inside the request */
	EV_HTTP_RESP_INCOMPLETE = 1 << 3, /* flow ended inside the response */
	EV_HTTP_GAP = 1 << 4,		/* a stream gap hit this transaction */
	EV_HTTP_TUNNEL = 1 << 5,	/* CONNECT 2xx or 101: rest is opaque */
	EV_HTTP_REQ_CHUNKED = 1 << 6,
	EV_HTTP_RESP_CHUNKED = 1 << 7,
	EV_HTTP_NO_RECORD = 1 << 8,	/* record pool full: request-line only */
	EV_HTTP_HTTP09 = 1 << 9,	/* HTTP/0.9 simple request */
};

struct ev_http {
	struct ev_hdr h;		/* ts = time of the request line */
	uint32_t flags;			/* enum ev_http_flag */
	uint32_t trunc;			/* enum ev_http_trunc */
	uint32_t trans_depth;		/* 1 for the first transaction */
	uint16_t status;		/* final status; 0 = none seen */
	uint16_t interim_status;	/* last 1xx before it (100), or 0 */
	uint16_t http_port;		/* from Host/CONNECT target; 0 = none */
	uint64_t rtt_us;		/* first response byte - request time */
	bool has_rtt;
	uint64_t length;		/* response body bytes (gaps counted) */
	uint64_t request_body_len;
	char method[EV_HTTP_METHOD_MAX];
	char hostname[EV_HTTP_HOST_MAX];	/* Host header, port removed */
	char url[EV_HTTP_URL_MAX];		/* request-target as sent */
	char protocol[EV_HTTP_PROTO_MAX];	/* "HTTP/1.1" */
	char user_agent[EV_HTTP_UA_MAX];
	char referer[EV_HTTP_REFER_MAX];
	char content_type[EV_HTTP_CTYPE_MAX];	/* response media type, no params */
	char connect_target[EV_HTTP_TARGET_MAX]; /* CONNECT host:port */
	char auth_scheme[EV_HTTP_AUTH_SCHEME_MAX];
	char auth_user[EV_HTTP_AUTH_USER_MAX];	/* Basic only; never a password */
	uint8_t n_req_hdrs, n_resp_hdrs;
	uint16_t req_hdr_len, resp_hdr_len;	/* bytes used in the buffers */
	char req_hdrs[EV_HTTP_HDR_BUF];		/* names, each NUL-ended */
	char resp_hdrs[EV_HTTP_HDR_BUF];
};

#endif
