/*
 * dnp3_objects.c - DNP3 name tables for the output layer.
 *
 * Static strings for function codes, IIN bits, CROB control codes, control
 * status codes, object groups, link-layer functions and device-attribute
 * variations.  The decoder itself is dissectors/dnp3.c and dnp3_decode.c;
 * nothing here reads packet bytes.  Declared in sensor/ev_dnp3.h.
 *
 * Reference: IEEE 1815-2012 (DNP3), table 4-1 (application function codes),
 * 4.2.2.7.2 (IIN bits), table 11-6/11-7 (CROB control code), table 11-8
 * (control status), clause 9.2.4 (link functions), A.1 (group 0 attributes).
 * Function names spelled as Zeek's dnp3 analyzer spells them.
 */
#include <stddef.h>
#include <stdint.h>

#include "../sensor/event.h"

/* Application function codes, IEEE 1815-2012 table 4-1. */
static const char *const dnp3_func_names[] = {
	[0] = "CONFIRM",
	[1] = "READ",
	[2] = "WRITE",
	[3] = "SELECT",
	[4] = "OPERATE",
	[5] = "DIRECT_OPERATE",
	[6] = "DIRECT_OPERATE_NR",
	[7] = "IMMED_FREEZE",
	[8] = "IMMED_FREEZE_NR",
	[9] = "FREEZE_CLEAR",
	[10] = "FREEZE_CLEAR_NR",
	[11] = "FREEZE_AT_TIME",
	[12] = "FREEZE_AT_TIME_NR",
	[13] = "COLD_RESTART",
	[14] = "WARM_RESTART",
	[15] = "INITIALIZE_DATA",
	[16] = "INITIALIZE_APPL",
	[17] = "START_APPL",
	[18] = "STOP_APPL",
	[19] = "SAVE_CONFIG",
	[20] = "ENABLE_UNSOLICITED",
	[21] = "DISABLE_UNSOLICITED",
	[22] = "ASSIGN_CLASS",
	[23] = "DELAY_MEASURE",
	[24] = "RECORD_CURRENT_TIME",
	[25] = "OPEN_FILE",
	[26] = "CLOSE_FILE",
	[27] = "DELETE_FILE",
	[28] = "GET_FILE_INFO",
	[29] = "AUTHENTICATE_FILE",
	[30] = "ABORT_FILE",
	[31] = "ACTIVATE_CONFIG",
	[32] = "AUTHENTICATE_REQ",
	[33] = "AUTH_REQ_NO_ACK",
	[129] = "RESPONSE",
	[130] = "UNSOLICITED_RESPONSE",
	[131] = "AUTHENTICATE_RESP",
};

const char *dnp3_func_name(uint8_t fc)
{
	if (fc >= sizeof(dnp3_func_names) / sizeof(dnp3_func_names[0]))
		return NULL;
	return dnp3_func_names[fc];
}

/* Indexed by bit of (IIN1 << 8 | IIN2); IEEE 1815-2012 4.2.2.7.2. */
static const char *const dnp3_iin_names[16] = {
	[0] = "NO_FUNC_CODE_SUPPORT",	/* IIN2.0 */
	[1] = "OBJECT_UNKNOWN",
	[2] = "PARAMETER_ERROR",
	[3] = "EVENT_BUFFER_OVERFLOW",
	[4] = "ALREADY_EXECUTING",
	[5] = "CONFIG_CORRUPT",
	[6] = "RESERVED_2",
	[7] = "RESERVED_1",		/* IIN2.7 */
	[8] = "ALL_STATIONS",		/* IIN1.0 */
	[9] = "CLASS_1_EVENTS",
	[10] = "CLASS_2_EVENTS",
	[11] = "CLASS_3_EVENTS",
	[12] = "NEED_TIME",
	[13] = "LOCAL_CONTROL",
	[14] = "DEVICE_TROUBLE",
	[15] = "DEVICE_RESTART",	/* IIN1.7 */
};

const char *dnp3_iin_name(unsigned bit)
{
	if (bit >= 16)
		return NULL;
	return dnp3_iin_names[bit];
}

/* CROB operation type, control code bits 0-3 (table 11-6). */
static const char *const dnp3_op_names[16] = {
	[0] = "NUL",
	[1] = "PULSE_ON",
	[2] = "PULSE_OFF",
	[3] = "LATCH_ON",
	[4] = "LATCH_OFF",
};

const char *dnp3_control_op_name(uint8_t code)
{
	return dnp3_op_names[code & 0x0f];
}

/* Trip-close code, control code bits 6-7 (table 11-7). */
const char *dnp3_control_tcc_name(uint8_t code)
{
	switch (code >> 6) {
	case 1:
		return "CLOSE";
	case 2:
		return "TRIP";
	case 3:
		return "RESERVED";
	default:
		return NULL;
	}
}

/* Control status codes (table 11-8). */
static const char *const dnp3_status_names[] = {
	[0] = "SUCCESS",
	[1] = "TIMEOUT",
	[2] = "NO_SELECT",
	[3] = "FORMAT_ERROR",
	[4] = "NOT_SUPPORTED",
	[5] = "ALREADY_ACTIVE",
	[6] = "HARDWARE_ERROR",
	[7] = "LOCAL",
	[8] = "TOO_MANY_OBJS",
	[9] = "NOT_AUTHORIZED",
	[10] = "AUTOMATION_INHIBIT",
	[11] = "PROCESSING_LIMITED",
	[12] = "OUT_OF_RANGE",
	[13] = "DOWNSTREAM_LOCAL",
	[14] = "ALREADY_COMPLETE",
	[15] = "BLOCKED",
	[16] = "CANCELLED",
	[17] = "BLOCKED_OTHER_MASTER",
	[18] = "DOWNSTREAM_FAIL",
	[126] = "NON_PARTICIPATING",
	[127] = "UNDEFINED",
};

const char *dnp3_control_status_name(uint8_t status)
{
	if (status >= sizeof(dnp3_status_names) / sizeof(dnp3_status_names[0]))
		return NULL;
	return dnp3_status_names[status];
}

/* Object groups (IEEE 1815-2012 annex A). */
static const char *const dnp3_group_names[] = {
	[0] = "device_attributes",
	[1] = "binary_input",
	[2] = "binary_input_event",
	[3] = "double_bit_input",
	[4] = "double_bit_input_event",
	[10] = "binary_output",
	[11] = "binary_output_event",
	[12] = "binary_output_command",
	[13] = "binary_output_command_event",
	[20] = "counter",
	[21] = "frozen_counter",
	[22] = "counter_event",
	[23] = "frozen_counter_event",
	[30] = "analog_input",
	[31] = "frozen_analog_input",
	[32] = "analog_input_event",
	[33] = "frozen_analog_input_event",
	[34] = "analog_input_deadband",
	[40] = "analog_output_status",
	[41] = "analog_output",
	[42] = "analog_output_event",
	[43] = "analog_output_command_event",
	[50] = "time_and_date",
	[51] = "time_and_date_cto",
	[52] = "time_delay",
	[60] = "class_data",
	[70] = "file_control",
	[80] = "internal_indications",
	[81] = "storage_object",
	[82] = "device_profile",
	[83] = "data_set_registration",
	[85] = "data_set_prototype",
	[86] = "data_set_descriptor",
	[87] = "data_set",
	[88] = "data_set_event",
	[90] = "application_identifier",
	[91] = "activate_config_status",
	[100] = "floating_point",
	[101] = "bcd",
	[102] = "unsigned_integer",
	[110] = "octet_string",
	[111] = "octet_string_event",
	[112] = "virtual_terminal_output",
	[113] = "virtual_terminal_event",
	[120] = "authentication",
	[121] = "security_statistic",
	[122] = "security_statistic_event",
};

const char *dnp3_group_name(uint8_t group)
{
	if (group >= sizeof(dnp3_group_names) / sizeof(dnp3_group_names[0]))
		return NULL;
	return dnp3_group_names[group];
}

/* Link functions, IEEE 1815-2012 9.2.4.1.3 (PRM=1) and 9.2.4.1.4 (PRM=0). */
static const char *const dnp3_link_pri_names[16] = {
	[0] = "RESET_LINK_STATES",
	[2] = "TEST_LINK_STATES",
	[3] = "CONFIRMED_USER_DATA",
	[4] = "UNCONFIRMED_USER_DATA",
	[9] = "REQUEST_LINK_STATUS",
};

static const char *const dnp3_link_sec_names[16] = {
	[0] = "ACK",
	[1] = "NACK",
	[11] = "LINK_STATUS",
	[15] = "NOT_SUPPORTED",
};

const char *dnp3_link_func_name(uint8_t ctrl)
{
	if (ctrl & 0x40)
		return dnp3_link_pri_names[ctrl & 0x0f];
	return dnp3_link_sec_names[ctrl & 0x0f];
}

/* Group 0 (device attributes) variations, IEEE 1815-2012 A.1. */
static const char *const dnp3_attr_names[256] = {
	[196] = "config_id",
	[197] = "config_version",
	[198] = "config_build_date",
	[199] = "config_change_date",
	[200] = "config_signature",
	[201] = "config_signature_algorithm",
	[202] = "mrid",
	[203] = "altitude",
	[204] = "longitude",
	[205] = "latitude",
	[206] = "user_assigned_secondary_operator_name",
	[207] = "user_assigned_primary_operator_name",
	[208] = "user_assigned_system_name",
	[209] = "secure_auth_version",
	[210] = "secure_auth_stats_count",
	[211] = "user_specific_attributes_count",
	[212] = "master_data_sets_max",
	[213] = "outstation_data_sets_max",
	[214] = "master_data_set_prototypes_max",
	[215] = "outstation_data_set_prototypes_max",
	[216] = "frozen_analog_input_event_max",
	[217] = "local_timing_accuracy",
	[218] = "time_accuracy_duration",
	[219] = "analog_output_event_support",
	[220] = "analog_output_max_index",
	[221] = "analog_output_count",
	[222] = "binary_output_event_support",
	[223] = "binary_output_max_index",
	[224] = "binary_output_count",
	[225] = "frozen_counter_event_support",
	[226] = "frozen_counter_support",
	[227] = "counter_event_support",
	[228] = "counter_max_index",
	[229] = "counter_count",
	[230] = "frozen_analog_input_support",
	[231] = "analog_input_event_support",
	[232] = "analog_input_max_index",
	[233] = "analog_input_count",
	[234] = "double_bit_input_event_support",
	[235] = "double_bit_input_max_index",
	[236] = "double_bit_input_count",
	[237] = "binary_input_event_support",
	[238] = "binary_input_max_index",
	[239] = "binary_input_count",
	[240] = "max_tx_fragment_size",
	[241] = "max_rx_fragment_size",
	[242] = "device_manufacturers_software_version",
	[243] = "device_manufacturers_hardware_version",
	[244] = "user_assigned_owner_name",
	[245] = "user_assigned_location",
	[246] = "user_assigned_id_code",
	[247] = "user_assigned_device_name",
	[248] = "device_serial_number",
	[249] = "dnp_subset_and_conformance",
	[250] = "device_manufacturers_product_name",
	[252] = "device_manufacturers_name",
	[254] = "all_attributes_request",
	[255] = "list_of_attribute_variations",
};

const char *dnp3_attr_name(uint8_t variation)
{
	return dnp3_attr_names[variation];
}
