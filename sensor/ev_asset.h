/*
 * ev_asset.h - the asset inventory event (included by event.h after struct
 * ev_hdr).
 *
 * One record per device, built by ot/assets.c from flow, Modbus, DNP3,
 * HTTP, DNS and SMTP events, serialized by sensor/output_json_asset.c.
 * Written at the end of capture for every device (the inventory) and,
 * when enabled, as a device is first seen and when its identity changes
 * (see ot/assets.h).  Fixed-size and copied.  It is composed from the
 * per-address and per-MAC tables when it is written or listed; it is not
 * what the inventory stores or persists (ot/assets_int.h is).
 */
#ifndef SPANLOG_EV_ASSET_H
#define SPANLOG_EV_ASSET_H

#include <stdbool.h>
#include <stdint.h>

#define EV_ASSET_MAX_IPS 4
#define EV_ASSET_MAX_SERVED 8
#define EV_ASSET_MAX_UNITS 8
#define EV_ASSET_MAX_DNP3 4
#define EV_ASSET_STR 64

/* Roles, as bits of ev_asset.roles; names in asset_role_name(). */
enum asset_role {
	ASSET_ROLE_MODBUS_CLIENT = 1 << 0,
	ASSET_ROLE_MODBUS_SERVER = 1 << 1,
	ASSET_ROLE_DNP3_MASTER = 1 << 2,
	ASSET_ROLE_DNP3_OUTSTATION = 1 << 3,
	ASSET_ROLE_HTTP_CLIENT = 1 << 4,
	ASSET_ROLE_HTTP_SERVER = 1 << 5,
	ASSET_ROLE_DNS_CLIENT = 1 << 6,
	ASSET_ROLE_DNS_SERVER = 1 << 7,
	ASSET_ROLE_SMTP_CLIENT = 1 << 8,
	ASSET_ROLE_SMTP_SERVER = 1 << 9,
	ASSET_ROLE_ENG_WORKSTATION = 1 << 10,
	ASSET_ROLE_GATEWAY = 1 << 11,	/* one MAC, many IPs: a router */
	ASSET_ROLE__COUNT = 12,		/* number of bits */
};

/* Why the record was written. */
enum asset_reason {
	ASSET_REASON_NEW,
	ASSET_REASON_IDENTITY,		/* vendor/product/revision changed */
	ASSET_REASON_INVENTORY,		/* end of capture: the full record */
};

/* Where the identity (id_vendor, id_product, id_revision) came from. */
enum asset_id_source {
	ASSET_ID_NONE,
	ASSET_ID_MODBUS,		/* Modbus FC 43/14 Read Device Identification */
	ASSET_ID_DNP3,			/* DNP3 group 0 device attributes */
	ASSET_ID__COUNT,
};

struct ev_asset_served {
	uint8_t proto;			/* 6 tcp, 17 udp */
	uint16_t port;
	const char *app;		/* static: dissector or nDPI name */
};

struct ev_asset {
	struct ev_hdr h;		/* ts of the change; no addresses */
	uint64_t asset_id;		/* hash of the key (MAC, or IP if routed) */
	uint8_t reason;			/* enum asset_reason */
	bool has_mac;			/* false: keyed by IP (routed traffic) */
	uint8_t mac[6];
	const char *vendor;		/* static: IEEE OUI name, or NULL */
	uint8_t nips;
	uint8_t ip_family[EV_ASSET_MAX_IPS];	/* 4 or 6, per ips[i] */
	uint8_t ips[EV_ASSET_MAX_IPS][16];
	uint64_t first_us, last_us;
	uint32_t roles;			/* enum asset_role bits */
	uint8_t nserved;
	struct ev_asset_served served[EV_ASSET_MAX_SERVED];
	uint8_t nunits;			/* Modbus unit ids answered for */
	uint8_t units[EV_ASSET_MAX_UNITS];
	uint8_t ndnp3;			/* DNP3 link addresses used */
	uint16_t dnp3_addrs[EV_ASSET_MAX_DNP3];
	bool has_identity;		/* FC 43/14 or DNP3 g0 identity seen */
	char id_vendor[EV_ASSET_STR];
	char id_product[EV_ASSET_STR];
	char id_revision[EV_ASSET_STR];	/* firmware (software) version */
	char zone[32];			/* zone of ips[0], or "" */
	uint8_t id_source;		/* enum asset_id_source: the last answer
					 * that set an identity field */
};

/* "modbus_client", ...; NULL for a bit that is not a role. */
const char *asset_role_name(uint32_t bit);

/* "modbus" (FC 43/14), "dnp3" (g0); NULL for ASSET_ID_NONE or out of range. */
const char *asset_id_source_name(uint8_t src);

#endif
