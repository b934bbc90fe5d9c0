/*
 * output_json_device.c - the JSON layout of the "device" event object
 * (the device log, built by ot/device_log.c).
 *
 *   "device": {"ip", "port", "protocol" ("modbus" | "dnp3"),
 *              "kind" ("command" | "summary" | "state"),
 *              ["unit"],          Modbus unit id / DNP3 outstation address
 *              ["master"],        DNP3 master link address
 *              "action", ["by"], "detail", ["detail_truncated"],
 *              ["result"],
 *              ["count", "failed", "first", "last"]}   summaries only
 *
 * The envelope (src_ip, dest_ip, ...) is that of the source event; "ip"
 * is always the device and "by" the client that sent the request.
 */
#include <string.h>

#include "json.h"
#include "output.h"

static const char *const kind_names[] = {
	[DEVICE_KIND_COMMAND] = "command",
	[DEVICE_KIND_SUMMARY] = "summary",
	[DEVICE_KIND_STATE] = "state",
};

void json_put_device(struct jw *w, const struct ev_device *e)
{
	jw_obj_open(w, "device");
	jw_ip(w, "ip", e->family, e->ip);
	jw_u64(w, "port", e->port);
	jw_str(w, "protocol", e->proto == DEVICE_PROTO_DNP3 ? "dnp3" : "modbus");
	jw_str(w, "kind", e->kind < sizeof(kind_names) / sizeof(kind_names[0]) ?
	    kind_names[e->kind] : "unknown");
	if (e->has_unit)
		jw_u64(w, "unit", e->unit);
	if (e->has_master)
		jw_u64(w, "master", e->master);
	jw_strn(w, "action", e->action, strnlen(e->action, sizeof(e->action)));
	if (e->has_by)
		jw_ip(w, "by", e->family, e->by);
	jw_strn(w, "detail", e->detail, strnlen(e->detail, sizeof(e->detail)));
	if (e->detail_truncated)
		jw_bool(w, "detail_truncated", true);
	if (e->result[0])
		jw_strn(w, "result", e->result,
		    strnlen(e->result, sizeof(e->result)));
	if (e->kind == DEVICE_KIND_SUMMARY) {
		jw_u64(w, "count", e->count);
		jw_u64(w, "failed", e->failed);
		jw_time(w, "first", e->first_us);
		jw_time(w, "last", e->last_us);
	}
	jw_obj_close(w);
}
