/*
 * output_json_http.c - the JSON layout of the "http" event (Suricata EVE
 * names where EVE has one).
 *
 *   "http": {
 *     "hostname", "http_port", "url", "http_method", "protocol",
 *     "http_user_agent", "http_refer", "status", "interim_status",
 *     "http_content_type", "length", "request_body_len", "trans_depth",
 *     "rtt_ms", "connect_target", "auth_scheme", "auth_user",
 *     "request_headers": [names], "response_headers": [names],
 *     "matched", "truncated", "truncated_fields": [..], "request_incomplete",
 *     "response_incomplete", "gap", "tunnel", "chunked_request",
 *     "chunked_response", "http09", "no_record"
 *   }
 *
 * Empty strings and zero codes are left out; the booleans "matched" and
 * "truncated" are always written.
 */
#include <string.h>

#include "event.h"
#include "json.h"
#include "output.h"

static void put_opt_str(struct jw *w, const char *key, const char *s)
{
	if (s[0])
		jw_str(w, key, s);
}

static void put_names(struct jw *w, const char *key, const char *buf,
    uint16_t len, uint8_t n)
{
	size_t off = 0;

	jw_arr_open(w, key);
	for (uint8_t i = 0; i < n && off < len; i++) {
		size_t l = strnlen(buf + off, len - off);

		jw_strn(w, NULL, buf + off, l);
		off += l + 1;
	}
	jw_arr_close(w);
}

static const struct {
	uint32_t bit;
	const char *name;
} http_trunc_names[] = {
	{ EV_HTTP_TR_METHOD, "http_method" },
	{ EV_HTTP_TR_HOST, "hostname" },
	{ EV_HTTP_TR_URL, "url" },
	{ EV_HTTP_TR_PROTO, "protocol" },
	{ EV_HTTP_TR_UA, "http_user_agent" },
	{ EV_HTTP_TR_REFER, "http_refer" },
	{ EV_HTTP_TR_CTYPE, "http_content_type" },
	{ EV_HTTP_TR_TARGET, "connect_target" },
	{ EV_HTTP_TR_AUTH, "auth_user" },
	{ EV_HTTP_TR_REQ_HDRS, "request_headers" },
	{ EV_HTTP_TR_RESP_HDRS, "response_headers" },
};

void json_put_http(struct jw *w, const struct ev_http *e)
{
	bool both = (e->flags & EV_HTTP_HAS_REQUEST) &&
	    (e->flags & EV_HTTP_HAS_RESPONSE);

	jw_obj_open(w, "http");
	put_opt_str(w, "hostname", e->hostname);
	if (e->http_port)
		jw_u64(w, "http_port", e->http_port);
	put_opt_str(w, "url", e->url);
	put_opt_str(w, "http_method", e->method);
	put_opt_str(w, "protocol", e->protocol);
	put_opt_str(w, "http_user_agent", e->user_agent);
	put_opt_str(w, "http_refer", e->referer);
	if (e->status)
		jw_u64(w, "status", e->status);
	if (e->interim_status)
		jw_u64(w, "interim_status", e->interim_status);
	put_opt_str(w, "http_content_type", e->content_type);
	if (e->flags & EV_HTTP_HAS_RESPONSE)
		jw_u64(w, "length", e->length);
	if (e->flags & EV_HTTP_HAS_REQUEST)
		jw_u64(w, "request_body_len", e->request_body_len);
	jw_u64(w, "trans_depth", e->trans_depth);
	if (e->has_rtt)
		jw_dbl(w, "rtt_ms", (double)e->rtt_us / 1000.0, 3);
	put_opt_str(w, "connect_target", e->connect_target);
	put_opt_str(w, "auth_scheme", e->auth_scheme);
	put_opt_str(w, "auth_user", e->auth_user);
	if (e->flags & EV_HTTP_HAS_REQUEST)
		put_names(w, "request_headers", e->req_hdrs, e->req_hdr_len,
		    e->n_req_hdrs);
	if (e->flags & EV_HTTP_HAS_RESPONSE)
		put_names(w, "response_headers", e->resp_hdrs, e->resp_hdr_len,
		    e->n_resp_hdrs);
	jw_bool(w, "matched", both);
	jw_bool(w, "truncated", e->trunc != 0);
	if (e->trunc) {
		jw_arr_open(w, "truncated_fields");
		for (size_t i = 0; i < sizeof(http_trunc_names) /
		    sizeof(http_trunc_names[0]); i++)
			if (e->trunc & http_trunc_names[i].bit)
				jw_str(w, NULL, http_trunc_names[i].name);
		jw_arr_close(w);
	}
	if (e->flags & EV_HTTP_REQ_INCOMPLETE)
		jw_bool(w, "request_incomplete", true);
	if (e->flags & EV_HTTP_RESP_INCOMPLETE)
		jw_bool(w, "response_incomplete", true);
	if (e->flags & EV_HTTP_GAP)
		jw_bool(w, "gap", true);
	if (e->flags & EV_HTTP_TUNNEL)
		jw_bool(w, "tunnel", true);
	if (e->flags & EV_HTTP_REQ_CHUNKED)
		jw_bool(w, "chunked_request", true);
	if (e->flags & EV_HTTP_RESP_CHUNKED)
		jw_bool(w, "chunked_response", true);
	if (e->flags & EV_HTTP_HTTP09)
		jw_bool(w, "http09", true);
	if (e->flags & EV_HTTP_NO_RECORD)
		jw_bool(w, "no_record", true);
	jw_obj_close(w);
}
