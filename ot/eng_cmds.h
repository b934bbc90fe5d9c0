/*
 * eng_cmds.h - the engineering-activity rule table: which Modbus, DNP3 and
 * remote-access operations an OT engineer wants to be told about.
 *
 * One static const row per (protocol, code[, sub-code]) with a class, a
 * severity, a stable signature id and the source the code comes from
 * (ot/eng_cmds.c).  Classification is a table lookup; the few rules that
 * need state (a new client, a missing SELECT, an OT zone) carry a
 * condition that the caller (ot/alerts.c) checks.
 *
 * Pure data and lookups: no state, no allocation, safe from any thread.
 */
#ifndef SPANLOG_OT_ENG_CMDS_H
#define SPANLOG_OT_ENG_CMDS_H

#include <stddef.h>
#include <stdint.h>

#include "../sensor/event.h"

enum eng_proto {
	ENG_PROTO_MODBUS,
	ENG_PROTO_DNP3,
	ENG_PROTO_APP,		/* a flow's nDPI protocol name (rule.app) */
};

enum eng_class {
	ENG_CLASS_RESTART,
	ENG_CLASS_STOP,
	ENG_CLASS_START,
	ENG_CLASS_PROGRAM_DOWNLOAD,
	ENG_CLASS_PROGRAM_UPLOAD,
	ENG_CLASS_FIRMWARE,
	ENG_CLASS_CONFIG_CHANGE,
	ENG_CLASS_DIAGNOSTIC,
	ENG_CLASS_FILE_OP,
	ENG_CLASS_IDENTIFICATION,
	ENG_CLASS_TIME_WRITE,
	ENG_CLASS_UNSOLICITED_CONTROL,
	ENG_CLASS_CONTROL_WITHOUT_SELECT,
	ENG_CLASS_REMOTE_ACCESS,
	ENG_CLASS__COUNT
};

/* Extra condition a row needs before it fires (checked by ot/alerts.c). */
enum eng_cond {
	ENG_COND_NONE,
	ENG_COND_NEW_CLIENT,	/* first time this (client, device) pair */
	ENG_COND_NO_SELECT,	/* no SELECT from this master to this
				   outstation shortly before */
	ENG_COND_INTO_OT_ZONE,	/* the server is in an OT zone (ot/zones.h) */
};

#define ENG_ANY (-1)		/* sub-code wildcard */

struct eng_rule {
	uint8_t proto;		/* enum eng_proto */
	int16_t code;		/* Modbus FC / DNP3 FC; -1 for APP rows */
	int32_t sub;		/* Modbus: FC 8 sub-function, FC 43 MEI type,
				   FC 90 UMAS code; DNP3 WRITE: object group;
				   ENG_ANY: every sub-code without its own row */
	const char *app;	/* APP rows: nDPI protocol name, else NULL */
	uint8_t cls;		/* enum eng_class */
	uint8_t severity;	/* 1 (low) .. 3 (high) */
	uint8_t cond;		/* enum eng_cond */
	const char *signature;	/* "ot.eng.dnp3_cold_restart", stable */
	const char *desc;	/* noun phrase: "a DNP3 cold restart (FC 13)" */
	const char *source;	/* where the code is defined */
};

/* The whole table (static storage) and its length. */
const struct eng_rule *eng_rules(size_t *n);

/*
 * The row for (proto, code, sub): the exact row if there is one, else the
 * (proto, code, ENG_ANY) row, else NULL.  Static storage.
 */
const struct eng_rule *eng_match(uint8_t proto, int code, int32_t sub);

/* The APP row whose name equals 'ndpi_name' (case-sensitive), or NULL. */
const struct eng_rule *eng_match_app(const char *ndpi_name);

/*
 * Every row a request event matches, up to 'max' into out[] (a DNP3 WRITE
 * of g50 and g80 gives two).  Only requests count: a response-only event
 * gives none.  Conditions are not checked here.  Returns the number found.
 */
size_t eng_classify_modbus(const struct ev_modbus *e,
    const struct eng_rule **out, size_t max);
size_t eng_classify_dnp3(const struct ev_dnp3 *e,
    const struct eng_rule **out, size_t max);

/* "restart", "program_download", ...; "unknown" when out of range. */
const char *eng_class_name(uint8_t cls);

/* True for classes that make the client an engineering workstation. */
int eng_class_is_programming(uint8_t cls);

#endif
