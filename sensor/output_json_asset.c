/*
 * output_json_asset.c - the JSON layout of the "asset" event object (the
 * inventory, ot/assets.c).  The envelope has no addresses: the record is
 * about one device, named here.
 *
 *   "asset": {"id", "reason" ("new" | "identity" | "inventory"),
 *             ["mac", "vendor"], "routed" (keyed by IP),
 *             "ips": [...], ["zone"], "first_seen", "last_seen",
 *             "roles": [...], "served": [{"proto", "port", ["app"]}],
 *             ["modbus_units": [...]], ["dnp3_addresses": [...]],
 *             ["identity": {"vendor", "product", "revision",
 *                           "source" ("modbus" FC 43/14 | "dnp3" g0)}]}
 */
#include <string.h>

#include "json.h"
#include "output.h"

static const char *const reason_names[] = {
	[ASSET_REASON_NEW] = "new",
	[ASSET_REASON_IDENTITY] = "identity",
	[ASSET_REASON_INVENTORY] = "inventory",
};

void json_put_asset(struct jw *w, const struct ev_asset *e)
{
	jw_obj_open(w, "asset");
	jw_u64(w, "id", e->asset_id);
	jw_str(w, "reason", e->reason < sizeof(reason_names) /
	    sizeof(reason_names[0]) ? reason_names[e->reason] : "unknown");
	if (e->has_mac) {
		jw_mac(w, "mac", e->mac);
		if (e->vendor)
			jw_str(w, "vendor", e->vendor);
	}
	jw_bool(w, "routed", !e->has_mac);
	jw_arr_open(w, "ips");
	for (unsigned i = 0; i < e->nips && i < EV_ASSET_MAX_IPS; i++)
		jw_ip(w, NULL, e->ip_family[i], e->ips[i]);
	jw_arr_close(w);
	if (e->zone[0])
		jw_strn(w, "zone", e->zone, strnlen(e->zone, sizeof(e->zone)));
	jw_time(w, "first_seen", e->first_us);
	jw_time(w, "last_seen", e->last_us);
	jw_arr_open(w, "roles");
	for (unsigned i = 0; i < ASSET_ROLE__COUNT; i++)
		if (e->roles & (1u << i))
			jw_str(w, NULL, asset_role_name(1u << i));
	jw_arr_close(w);
	jw_arr_open(w, "served");
	for (unsigned i = 0; i < e->nserved && i < EV_ASSET_MAX_SERVED; i++) {
		const struct ev_asset_served *s = &e->served[i];

		jw_obj_open(w, NULL);
		jw_str(w, "proto", s->proto == 6 ? "tcp" : s->proto == 17 ?
		    "udp" : "other");
		jw_u64(w, "port", s->port);
		if (s->app)
			jw_str(w, "app", s->app);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	if (e->nunits) {
		jw_arr_open(w, "modbus_units");
		for (unsigned i = 0; i < e->nunits && i < EV_ASSET_MAX_UNITS; i++)
			jw_u64(w, NULL, e->units[i]);
		jw_arr_close(w);
	}
	if (e->ndnp3) {
		jw_arr_open(w, "dnp3_addresses");
		for (unsigned i = 0; i < e->ndnp3 && i < EV_ASSET_MAX_DNP3; i++)
			jw_u64(w, NULL, e->dnp3_addrs[i]);
		jw_arr_close(w);
	}
	if (e->has_identity) {
		jw_obj_open(w, "identity");
		jw_strn(w, "vendor", e->id_vendor, strnlen(e->id_vendor,
		    sizeof(e->id_vendor)));
		jw_strn(w, "product", e->id_product, strnlen(e->id_product,
		    sizeof(e->id_product)));
		jw_strn(w, "revision", e->id_revision, strnlen(e->id_revision,
		    sizeof(e->id_revision)));
		if (asset_id_source_name(e->id_source))
			jw_str(w, "source", asset_id_source_name(e->id_source));
		jw_obj_close(w);
	}
	jw_obj_close(w);
}
