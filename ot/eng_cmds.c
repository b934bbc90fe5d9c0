/*
 * eng_cmds.c - the engineering-activity rule table (see eng_cmds.h).
 *
 * One row per (protocol, code[, sub-code]).  A row says what class of
 * engineering activity the operation is, how much an operator should care
 * (severity 1 low .. 3 high), the stable signature id alerts carry, and
 * where the code comes from, so a reviewer can check every number.
 *
 * Sources:
 *   MODBUS Application Protocol Specification V1.1b3 (6.8 FC 8 and its
 *   sub-function table, 6.13 FC 17, 6.14/6.15 FC 20/21, 6.21 FC 43/14);
 *   Zeek base/protocols/modbus/consts.zeek and modbus-protocol.pac (the
 *   legacy programming codes 9, 13, 18, 19, 40, 125, 126);
 *   Schneider UMAS function codes as decoded by nDPI/Wireshark (FC 90);
 *   IEEE 1815-2012 table 4-1 (DNP3 function codes), A.25 (g50 time),
 *   A.41 (g80 IIN), Zeek base/protocols/dnp3/consts.zeek;
 *   nDPI protocol names (ndpi_get_proto_name) for remote-access tools.
 *
 * Not here: reads and writes of process values (those are the baseline's
 * business, not engineering activity), UMAS reads/monitoring (0x01-0x06,
 * 0x20-0x24: an HMI does them all day), Modbus FC 43 MEI 13 (CANopen).
 */
#include <string.h>

#include "eng_cmds.h"

#define ENG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MB ENG_PROTO_MODBUS
#define DN ENG_PROTO_DNP3
#define AP ENG_PROTO_APP
#define C(x) ENG_CLASS_##x

#define SRC_MB "Modbus App Protocol V1.1b3"
#define SRC_MB_ZEEK "Zeek modbus consts.zeek"
#define SRC_UMAS "Schneider UMAS (nDPI/Wireshark)"
#define SRC_DNP3 "IEEE 1815-2012 table 4-1; Zeek dnp3 consts.zeek"
#define SRC_NDPI "nDPI protocol name"

/* clang-format off */
static const struct eng_rule eng_table[] = {
	/* ---- Modbus FC 8 diagnostics (sub-function) ---- */
	{ MB, 0x08, 0x01, NULL, C(RESTART), 3, ENG_COND_NONE,
	  "ot.eng.modbus_restart_comms",
	  "a Modbus restart-communications diagnostic (FC 8/0x01)", SRC_MB " 6.8.1" },
	{ MB, 0x08, 0x04, NULL, C(STOP), 3, ENG_COND_NONE,
	  "ot.eng.modbus_force_listen_only",
	  "a Modbus force-listen-only diagnostic (FC 8/0x04)", SRC_MB " 6.8.1" },
	{ MB, 0x08, ENG_ANY, NULL, C(DIAGNOSTIC), 1, ENG_COND_NONE,
	  "ot.eng.modbus_diagnostics",
	  "a Modbus diagnostics request (FC 8)", SRC_MB " 6.8" },
	/* ---- Modbus identification and files ---- */
	{ MB, 0x11, ENG_ANY, NULL, C(IDENTIFICATION), 1, ENG_COND_NONE,
	  "ot.eng.modbus_report_server_id",
	  "a Modbus report-server-id request (FC 17)", SRC_MB " 6.13" },
	{ MB, 0x14, ENG_ANY, NULL, C(FILE_OP), 1, ENG_COND_NONE,
	  "ot.eng.modbus_read_file_record",
	  "a Modbus read-file-record request (FC 20)", SRC_MB " 6.14" },
	{ MB, 0x15, ENG_ANY, NULL, C(FILE_OP), 2, ENG_COND_NONE,
	  "ot.eng.modbus_write_file_record",
	  "a Modbus write-file-record request (FC 21)", SRC_MB " 6.15" },
	{ MB, 0x2B, 0x0E, NULL, C(IDENTIFICATION), 1, ENG_COND_NEW_CLIENT,
	  "ot.eng.modbus_read_device_id",
	  "a Modbus read-device-identification from a new client (FC 43/14)",
	  SRC_MB " 6.21" },
	/* ---- Modbus legacy programming (Modicon) and firmware ---- */
	{ MB, 0x09, ENG_ANY, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.modbus_program_484",
	  "a Modbus PROGRAM_484 request (FC 9)", SRC_MB_ZEEK },
	{ MB, 0x0D, ENG_ANY, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.modbus_program_584_984",
	  "a Modbus PROGRAM_584_984 request (FC 13)", SRC_MB_ZEEK },
	{ MB, 0x12, ENG_ANY, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.modbus_program_884_u84",
	  "a Modbus PROGRAM_884_U84 request (FC 18)", SRC_MB_ZEEK },
	{ MB, 0x13, ENG_ANY, NULL, C(RESTART), 2, ENG_COND_NONE,
	  "ot.eng.modbus_reset_comm_link",
	  "a Modbus RESET_COMM_LINK_884_U84 request (FC 19)", SRC_MB_ZEEK },
	{ MB, 0x28, ENG_ANY, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.modbus_program_concept",
	  "a Modbus PROGRAM_CONCEPT request (FC 40)", SRC_MB_ZEEK },
	{ MB, 0x7D, ENG_ANY, NULL, C(FIRMWARE), 3, ENG_COND_NONE,
	  "ot.eng.modbus_firmware_replacement",
	  "a Modbus FIRMWARE_REPLACEMENT request (FC 125)", SRC_MB_ZEEK },
	{ MB, 0x7E, ENG_ANY, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.modbus_program_584_984_2",
	  "a Modbus PROGRAM_584_984_2 request (FC 126)", SRC_MB_ZEEK },
	/* ---- Modbus FC 90: Schneider UMAS (sub = UMAS function code) ---- */
	{ MB, 0x5A, 0x10, NULL, C(CONFIG_CHANGE), 2, ENG_COND_NONE,
	  "ot.eng.umas_take_reservation",
	  "a UMAS take-PLC-reservation (engineering session, FC 90/0x10)", SRC_UMAS },
	{ MB, 0x5A, 0x30, NULL, C(PROGRAM_UPLOAD), 2, ENG_COND_NONE,
	  "ot.eng.umas_initialize_upload",
	  "a UMAS initialize-upload (FC 90/0x30)", SRC_UMAS },
	{ MB, 0x5A, 0x31, NULL, C(PROGRAM_UPLOAD), 2, ENG_COND_NONE,
	  "ot.eng.umas_upload_block",
	  "a UMAS upload-block (FC 90/0x31)", SRC_UMAS },
	{ MB, 0x5A, 0x32, NULL, C(PROGRAM_UPLOAD), 2, ENG_COND_NONE,
	  "ot.eng.umas_end_upload",
	  "a UMAS end-strategy-upload (FC 90/0x32)", SRC_UMAS },
	{ MB, 0x5A, 0x33, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.umas_initialize_download",
	  "a UMAS initialize-download (FC 90/0x33)", SRC_UMAS },
	{ MB, 0x5A, 0x34, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.umas_download_block",
	  "a UMAS download-block (FC 90/0x34)", SRC_UMAS },
	{ MB, 0x5A, 0x35, NULL, C(PROGRAM_DOWNLOAD), 3, ENG_COND_NONE,
	  "ot.eng.umas_end_download",
	  "a UMAS end-strategy-download (FC 90/0x35)", SRC_UMAS },
	{ MB, 0x5A, 0x40, NULL, C(START), 3, ENG_COND_NONE,
	  "ot.eng.umas_start_plc",
	  "a UMAS start-PLC (FC 90/0x40)", SRC_UMAS },
	{ MB, 0x5A, 0x41, NULL, C(STOP), 3, ENG_COND_NONE,
	  "ot.eng.umas_stop_plc",
	  "a UMAS stop-PLC (FC 90/0x41)", SRC_UMAS },

	/* ---- DNP3 (code = application function code) ---- */
	{ DN, 4, ENG_ANY, NULL, C(CONTROL_WITHOUT_SELECT), 2, ENG_COND_NO_SELECT,
	  "ot.eng.dnp3_operate_without_select",
	  "a DNP3 OPERATE with no SELECT before it (FC 4)", SRC_DNP3 },
	{ DN, 5, ENG_ANY, NULL, C(CONTROL_WITHOUT_SELECT), 2, ENG_COND_NO_SELECT,
	  "ot.eng.dnp3_direct_operate",
	  "a DNP3 DIRECT_OPERATE without SELECT (FC 5)", SRC_DNP3 },
	{ DN, 6, ENG_ANY, NULL, C(CONTROL_WITHOUT_SELECT), 2, ENG_COND_NO_SELECT,
	  "ot.eng.dnp3_direct_operate_nr",
	  "a DNP3 DIRECT_OPERATE_NR without SELECT (FC 6)", SRC_DNP3 },
	{ DN, 13, ENG_ANY, NULL, C(RESTART), 3, ENG_COND_NONE,
	  "ot.eng.dnp3_cold_restart",
	  "a DNP3 cold restart (FC 13)", SRC_DNP3 },
	{ DN, 14, ENG_ANY, NULL, C(RESTART), 2, ENG_COND_NONE,
	  "ot.eng.dnp3_warm_restart",
	  "a DNP3 warm restart (FC 14)", SRC_DNP3 },
	{ DN, 15, ENG_ANY, NULL, C(CONFIG_CHANGE), 2, ENG_COND_NONE,
	  "ot.eng.dnp3_initialize_data",
	  "a DNP3 INITIALIZE_DATA (FC 15)", SRC_DNP3 },
	{ DN, 16, ENG_ANY, NULL, C(RESTART), 3, ENG_COND_NONE,
	  "ot.eng.dnp3_initialize_application",
	  "a DNP3 INITIALIZE_APPL (FC 16)", SRC_DNP3 },
	{ DN, 17, ENG_ANY, NULL, C(START), 3, ENG_COND_NONE,
	  "ot.eng.dnp3_start_application",
	  "a DNP3 START_APPL (FC 17)", SRC_DNP3 },
	{ DN, 18, ENG_ANY, NULL, C(STOP), 3, ENG_COND_NONE,
	  "ot.eng.dnp3_stop_application",
	  "a DNP3 STOP_APPL (FC 18)", SRC_DNP3 },
	{ DN, 19, ENG_ANY, NULL, C(CONFIG_CHANGE), 2, ENG_COND_NONE,
	  "ot.eng.dnp3_save_configuration",
	  "a DNP3 SAVE_CONFIG (FC 19)", SRC_DNP3 },
	{ DN, 20, ENG_ANY, NULL, C(UNSOLICITED_CONTROL), 1, ENG_COND_NONE,
	  "ot.eng.dnp3_enable_unsolicited",
	  "a DNP3 ENABLE_UNSOLICITED (FC 20)", SRC_DNP3 },
	{ DN, 21, ENG_ANY, NULL, C(UNSOLICITED_CONTROL), 2, ENG_COND_NONE,
	  "ot.eng.dnp3_disable_unsolicited",
	  "a DNP3 DISABLE_UNSOLICITED (FC 21)", SRC_DNP3 },
	{ DN, 25, ENG_ANY, NULL, C(FILE_OP), 2, ENG_COND_NONE,
	  "ot.eng.dnp3_open_file",
	  "a DNP3 OPEN_FILE (FC 25)", SRC_DNP3 },
	{ DN, 26, ENG_ANY, NULL, C(FILE_OP), 1, ENG_COND_NONE,
	  "ot.eng.dnp3_close_file",
	  "a DNP3 CLOSE_FILE (FC 26)", SRC_DNP3 },
	{ DN, 27, ENG_ANY, NULL, C(FILE_OP), 3, ENG_COND_NONE,
	  "ot.eng.dnp3_delete_file",
	  "a DNP3 DELETE_FILE (FC 27)", SRC_DNP3 },
	{ DN, 28, ENG_ANY, NULL, C(FILE_OP), 1, ENG_COND_NONE,
	  "ot.eng.dnp3_get_file_info",
	  "a DNP3 GET_FILE_INFO (FC 28)", SRC_DNP3 },
	{ DN, 29, ENG_ANY, NULL, C(FILE_OP), 1, ENG_COND_NONE,
	  "ot.eng.dnp3_authenticate_file",
	  "a DNP3 AUTHENTICATE_FILE (FC 29)", SRC_DNP3 },
	{ DN, 30, ENG_ANY, NULL, C(FILE_OP), 1, ENG_COND_NONE,
	  "ot.eng.dnp3_abort_file",
	  "a DNP3 ABORT_FILE (FC 30)", SRC_DNP3 },
	{ DN, 31, ENG_ANY, NULL, C(CONFIG_CHANGE), 3, ENG_COND_NONE,
	  "ot.eng.dnp3_activate_config",
	  "a DNP3 ACTIVATE_CONFIG (FC 31)", SRC_DNP3 },
	/* WRITE: sub = object group */
	{ DN, 2, 50, NULL, C(TIME_WRITE), 1, ENG_COND_NONE,
	  "ot.eng.dnp3_write_time",
	  "a DNP3 write of the outstation time (FC 2, g50)", SRC_DNP3 "; A.25" },
	{ DN, 2, 80, NULL, C(DIAGNOSTIC), 1, ENG_COND_NONE,
	  "ot.eng.dnp3_iin_clear",
	  "a DNP3 write clearing IIN bits (FC 2, g80)", SRC_DNP3 "; A.41" },

	/* ---- remote-access tools into an OT zone (nDPI name) ---- */
	{ AP, -1, ENG_ANY, "RDP", C(REMOTE_ACCESS), 2, ENG_COND_INTO_OT_ZONE,
	  "ot.eng.remote_access_rdp", "an RDP session", SRC_NDPI },
	{ AP, -1, ENG_ANY, "VNC", C(REMOTE_ACCESS), 2, ENG_COND_INTO_OT_ZONE,
	  "ot.eng.remote_access_vnc", "a VNC session", SRC_NDPI },
	{ AP, -1, ENG_ANY, "TeamViewer", C(REMOTE_ACCESS), 3,
	  ENG_COND_INTO_OT_ZONE, "ot.eng.remote_access_teamviewer",
	  "a TeamViewer session", SRC_NDPI },
	{ AP, -1, ENG_ANY, "AnyDesk", C(REMOTE_ACCESS), 3, ENG_COND_INTO_OT_ZONE,
	  "ot.eng.remote_access_anydesk", "an AnyDesk session", SRC_NDPI },
	{ AP, -1, ENG_ANY, "SSH", C(REMOTE_ACCESS), 2, ENG_COND_INTO_OT_ZONE,
	  "ot.eng.remote_access_ssh", "an SSH session", SRC_NDPI },
	{ AP, -1, ENG_ANY, "Telnet", C(REMOTE_ACCESS), 3, ENG_COND_INTO_OT_ZONE,
	  "ot.eng.remote_access_telnet", "a Telnet session", SRC_NDPI },
};
/* clang-format on */

static const char *const eng_class_names[ENG_CLASS__COUNT] = {
	[ENG_CLASS_RESTART] = "restart",
	[ENG_CLASS_STOP] = "stop",
	[ENG_CLASS_START] = "start",
	[ENG_CLASS_PROGRAM_DOWNLOAD] = "program_download",
	[ENG_CLASS_PROGRAM_UPLOAD] = "program_upload",
	[ENG_CLASS_FIRMWARE] = "firmware",
	[ENG_CLASS_CONFIG_CHANGE] = "config_change",
	[ENG_CLASS_DIAGNOSTIC] = "diagnostic",
	[ENG_CLASS_FILE_OP] = "file_op",
	[ENG_CLASS_IDENTIFICATION] = "identification",
	[ENG_CLASS_TIME_WRITE] = "time_write",
	[ENG_CLASS_UNSOLICITED_CONTROL] = "unsolicited_control",
	[ENG_CLASS_CONTROL_WITHOUT_SELECT] = "control_without_select",
	[ENG_CLASS_REMOTE_ACCESS] = "remote_access",
};

const struct eng_rule *eng_rules(size_t *n)
{
	*n = ENG_ARRAY_SIZE(eng_table);
	return eng_table;
}

const char *eng_class_name(uint8_t cls)
{
	return cls < ENG_CLASS__COUNT ? eng_class_names[cls] : "unknown";
}

int eng_class_is_programming(uint8_t cls)
{
	return cls == ENG_CLASS_PROGRAM_DOWNLOAD ||
	    cls == ENG_CLASS_PROGRAM_UPLOAD || cls == ENG_CLASS_FIRMWARE ||
	    cls == ENG_CLASS_START || cls == ENG_CLASS_STOP;
}

const struct eng_rule *eng_match(uint8_t proto, int code, int32_t sub)
{
	const struct eng_rule *any = NULL;

	for (size_t i = 0; i < ENG_ARRAY_SIZE(eng_table); i++) {
		const struct eng_rule *r = &eng_table[i];

		if (r->proto != proto || r->code != code)
			continue;
		if (r->sub == sub)
			return r;
		if (r->sub == ENG_ANY)
			any = r;
	}
	return any;
}

const struct eng_rule *eng_match_app(const char *ndpi_name)
{
	if (ndpi_name == NULL)
		return NULL;
	for (size_t i = 0; i < ENG_ARRAY_SIZE(eng_table); i++)
		if (eng_table[i].proto == ENG_PROTO_APP &&
		    strcmp(eng_table[i].app, ndpi_name) == 0)
			return &eng_table[i];
	return NULL;
}

size_t eng_classify_modbus(const struct ev_modbus *e,
    const struct eng_rule **out, size_t max)
{
	uint8_t fc = e->fc & 0x7F;
	int32_t sub = ENG_ANY;
	const struct eng_rule *r;

	if (!e->has_request || max == 0)
		return 0;
	/* the sub-code that selects a row, where the function has one */
	if (fc == 0x08 && e->has_subfunction)
		sub = e->subfunction;
	else if (fc == 0x2B && e->has_mei)
		sub = e->mei_type;
	else if (fc == 0x5A && e->has_umas && !e->request_lost)
		sub = e->umas_fc;
	else if (fc == 0x2B || fc == 0x5A)
		return 0;	/* no row for an unknown MEI type / UMAS code */
	r = eng_match(ENG_PROTO_MODBUS, fc, sub);
	if (r == NULL)
		return 0;
	out[0] = r;
	return 1;
}

size_t eng_classify_dnp3(const struct ev_dnp3 *e,
    const struct eng_rule **out, size_t max)
{
	const struct dnp3_msg *m = &e->req;
	const struct eng_rule *r;
	size_t n = 0;

	if (!m->present || max == 0)
		return 0;
	if (m->func != 2) {
		r = eng_match(ENG_PROTO_DNP3, m->func, ENG_ANY);
		if (r)
			out[n++] = r;
		return n;
	}
	/* WRITE: one row per object group that has one, each at most once */
	for (unsigned i = 0; i < m->nobjects && i < DNP3_EV_MAX_OBJECTS; i++) {
		bool dup = false;

		r = eng_match(ENG_PROTO_DNP3, 2, m->objects[i].group);
		if (r == NULL || r->sub == ENG_ANY)
			continue;
		for (size_t k = 0; k < n; k++)
			dup = dup || out[k] == r;
		if (!dup && n < max)
			out[n++] = r;
	}
	return n;
}
