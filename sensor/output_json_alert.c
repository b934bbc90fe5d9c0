/*
 * output_json_alert.c - the JSON layout of the "alert" event object
 * (ot/alerts.c, ot/assets.c).
 *
 *   "alert": {"id", "signature", "category", "severity" (1-3),
 *             "message",
 *             "evidence": {"protocol", ["function"], ["subfunction"],
 *                          ["unit"], "detail"},
 *             "src": {"ip", ["vendor"], ["zone"]},
 *             "dest": {"ip", ["vendor"], ["zone"]},
 *             "first_seen", "last_seen", "count", "update"}
 *
 * "id" is the same for the first report and every update of one alert;
 * "update" is true on the updates (count so far).
 */
#include <string.h>

#include "json.h"
#include "output.h"

static void put_side(struct jw *w, const char *key,
    const struct ev_alert_side *s)
{
	if (!s->family)
		return;
	jw_obj_open(w, key);
	jw_ip(w, "ip", s->family, s->ip);
	if (s->vendor[0])
		jw_strn(w, "vendor", s->vendor, strnlen(s->vendor,
		    sizeof(s->vendor)));
	if (s->zone[0])
		jw_strn(w, "zone", s->zone, strnlen(s->zone, sizeof(s->zone)));
	jw_obj_close(w);
}

void json_put_alert(struct jw *w, const struct ev_alert *e)
{
	jw_obj_open(w, "alert");
	jw_u64(w, "id", e->alert_id);
	jw_str(w, "signature", e->signature ? e->signature : "unknown");
	jw_str(w, "category", e->category ? e->category : "unknown");
	jw_u64(w, "severity", e->severity);
	jw_strn(w, "message", e->message, strnlen(e->message,
	    sizeof(e->message)));
	jw_obj_open(w, "evidence");
	if (e->protocol)
		jw_str(w, "protocol", e->protocol);
	if (e->has_function)
		jw_u64(w, "function", e->function);
	if (e->has_subfunction)
		jw_i64(w, "subfunction", e->subfunction);
	if (e->has_unit)
		jw_u64(w, "unit", e->unit);
	jw_strn(w, "detail", e->detail, strnlen(e->detail, sizeof(e->detail)));
	jw_obj_close(w);
	put_side(w, "src", &e->src);
	put_side(w, "dest", &e->dst);
	jw_time(w, "first_seen", e->first_us);
	jw_time(w, "last_seen", e->last_us);
	jw_u64(w, "count", e->count);
	jw_bool(w, "update", e->update);
	jw_obj_close(w);
}
