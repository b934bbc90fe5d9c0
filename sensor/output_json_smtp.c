/*
 * output_json_smtp.c - the JSON layout of the "smtp" event: the envelope
 * ("smtp", Suricata EVE / Zeek smtp.log names where they have one) and the
 * message ("email").
 *
 *   "smtp": {
 *     "helo", "mail_from", "rcpt_to": [..], "auth_mech", "starttls",
 *     "status": [final reply codes, in order], "trans_depth",
 *     "chunking", "gap", "incomplete", "no_record", "rcpt_to_dropped",
 *     "truncated", "truncated_fields": [..]
 *   },
 *   "email": {                               (only when content was seen)
 *     "from": {"name", "address"}, "to": [{"name", "address"}], "cc": [..],
 *     "reply_to": {"name", "address"}, "subject", "message_id", "date",
 *     "x_mailer", "received": [..],
 *     "attachment": [{"filename", "visible_name", "content_type", "size",
 *                     "executable", "double_extension", "bidi_override",
 *                     "disposition_attachment"}],
 *     "from_mismatch", "mime_too_deep", "*_dropped"
 *   }
 *
 * Empty strings are left out; "name" is left out of an address without a
 * display name; the booleans "starttls", "truncated", "executable" and
 * "from_mismatch" are always written, the other flags only when true.
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

static void put_addr(struct jw *w, const char *key,
    const struct ev_smtp_addr *a)
{
	jw_obj_open(w, key);
	put_opt_str(w, "name", a->name);
	jw_str(w, "address", a->address);
	jw_obj_close(w);
}

static void put_addrs(struct jw *w, const char *key,
    const struct ev_smtp_addr *a, uint8_t n)
{
	jw_arr_open(w, key);
	for (uint8_t i = 0; i < n && i < EV_SMTP_MAX_ADDRS; i++)
		put_addr(w, NULL, &a[i]);
	jw_arr_close(w);
}

static void put_opt_bool(struct jw *w, const char *key, bool v)
{
	if (v)
		jw_bool(w, key, true);
}

static void put_opt_u64(struct jw *w, const char *key, uint64_t v)
{
	if (v)
		jw_u64(w, key, v);
}

static const struct {
	uint32_t bit;
	const char *name;
} smtp_trunc_names[] = {
	{ EV_SMTP_TR_HELO, "helo" },
	{ EV_SMTP_TR_MAIL_FROM, "mail_from" },
	{ EV_SMTP_TR_RCPT, "rcpt_to" },
	{ EV_SMTP_TR_STATUS, "status" },
	{ EV_SMTP_TR_FROM, "from" },
	{ EV_SMTP_TR_TO, "to" },
	{ EV_SMTP_TR_CC, "cc" },
	{ EV_SMTP_TR_REPLY_TO, "reply_to" },
	{ EV_SMTP_TR_SUBJECT, "subject" },
	{ EV_SMTP_TR_MSGID, "message_id" },
	{ EV_SMTP_TR_DATE, "date" },
	{ EV_SMTP_TR_MAILER, "x_mailer" },
	{ EV_SMTP_TR_RECEIVED, "received" },
	{ EV_SMTP_TR_ATTACH, "attachment" },
};

static void put_attach(struct jw *w, const struct ev_smtp_attach *a)
{
	jw_obj_open(w, NULL);
	jw_str(w, "filename", a->filename);
	if (a->flags & EV_SMTP_ATT_BIDI)
		jw_str(w, "visible_name", a->visible);
	put_opt_str(w, "content_type", a->content_type);
	jw_u64(w, "size", a->size);
	jw_bool(w, "executable", (a->flags & EV_SMTP_ATT_EXECUTABLE) != 0);
	put_opt_bool(w, "double_extension",
	    (a->flags & EV_SMTP_ATT_DOUBLE_EXT) != 0);
	put_opt_bool(w, "bidi_override", (a->flags & EV_SMTP_ATT_BIDI) != 0);
	put_opt_bool(w, "disposition_attachment",
	    (a->flags & EV_SMTP_ATT_DISPOSITION) != 0);
	put_opt_bool(w, "filename_truncated",
	    (a->flags & EV_SMTP_ATT_NAME_TRUNC) != 0);
	jw_obj_close(w);
}

static void put_email(struct jw *w, const struct ev_smtp *e)
{
	jw_obj_open(w, "email");
	if (e->flags & EV_SMTP_HAS_FROM_HDR)
		put_addr(w, "from", &e->from);
	put_addrs(w, "to", e->to, e->n_to);
	put_addrs(w, "cc", e->cc, e->n_cc);
	if (e->flags & EV_SMTP_HAS_REPLY_TO)
		put_addr(w, "reply_to", &e->reply_to);
	put_opt_str(w, "subject", e->subject);
	put_opt_str(w, "message_id", e->message_id);
	put_opt_str(w, "date", e->date);
	put_opt_str(w, "x_mailer", e->x_mailer);
	jw_arr_open(w, "received");
	for (uint8_t i = 0; i < e->n_received && i < EV_SMTP_MAX_RECEIVED; i++)
		jw_str(w, NULL, e->received[i]);
	jw_arr_close(w);
	jw_arr_open(w, "attachment");
	for (uint8_t i = 0; i < e->n_attach && i < EV_SMTP_MAX_ATTACH; i++)
		put_attach(w, &e->attach[i]);
	jw_arr_close(w);
	jw_bool(w, "from_mismatch", (e->flags & EV_SMTP_FROM_MISMATCH) != 0);
	put_opt_bool(w, "mime_too_deep", (e->flags & EV_SMTP_MIME_TOO_DEEP) != 0);
	put_opt_u64(w, "to_dropped", e->n_to_dropped);
	put_opt_u64(w, "cc_dropped", e->n_cc_dropped);
	put_opt_u64(w, "received_dropped", e->n_received_dropped);
	put_opt_u64(w, "attachment_dropped", e->n_attach_dropped);
	jw_obj_close(w);
}

void json_put_smtp(struct jw *w, const struct ev_smtp *e)
{
	jw_obj_open(w, "smtp");
	put_opt_str(w, "helo", e->helo);
	put_opt_str(w, "mail_from", e->mail_from);
	jw_arr_open(w, "rcpt_to");
	for (uint8_t i = 0; i < e->n_rcpt && i < EV_SMTP_MAX_RCPT; i++)
		jw_str(w, NULL, e->rcpt_to[i]);
	jw_arr_close(w);
	put_opt_str(w, "auth_mech", e->auth_mech);
	jw_bool(w, "starttls", (e->flags & EV_SMTP_STARTTLS) != 0);
	jw_arr_open(w, "status");
	for (uint8_t i = 0; i < e->n_status && i < EV_SMTP_MAX_STATUS; i++)
		jw_u64(w, NULL, e->status[i]);
	jw_arr_close(w);
	jw_u64(w, "trans_depth", e->trans_depth);
	put_opt_bool(w, "chunking", (e->flags & EV_SMTP_BDAT) != 0);
	put_opt_bool(w, "gap", (e->flags & EV_SMTP_GAP) != 0);
	put_opt_bool(w, "incomplete", (e->flags & EV_SMTP_INCOMPLETE) != 0);
	put_opt_bool(w, "no_record", (e->flags & EV_SMTP_NO_RECORD) != 0);
	put_opt_u64(w, "rcpt_to_dropped", e->n_rcpt_dropped);
	jw_bool(w, "truncated", e->trunc != 0);
	if (e->trunc) {
		jw_arr_open(w, "truncated_fields");
		for (size_t i = 0; i < sizeof(smtp_trunc_names) /
		    sizeof(smtp_trunc_names[0]); i++)
			if (e->trunc & smtp_trunc_names[i].bit)
				jw_str(w, NULL, smtp_trunc_names[i].name);
		jw_arr_close(w);
	}
	jw_obj_close(w);
	if (e->flags & EV_SMTP_HAS_MESSAGE)
		put_email(w, e);
}
