/*
 * output_json_modbus.c - the JSON layout of the "modbus" event object.
 *
 *   "modbus": {
 *     "transaction_id", "unit_id",
 *     "function_code",        request function code (exception bit cleared)
 *     "function",             name; "<NAME>_EXCEPTION" for an exception
 *                             response, "unknown-<n>" for a code with no
 *                             name (as Zeek's modbus consts)
 *     "category",             read / write / diagnostic / program /
 *                             identification / user-defined / other
 *     ["address"], ["quantity"],        FC 23: the read part
 *     ["write_address"], ["write_quantity"],   FC 23: the write part
 *     ["and_mask"], ["or_mask"],        FC 22
 *     ["subfunction"], ["subfunction_name"],   FC 8
 *     ["mei_type"],                     FC 43
 *     ["device_id": {"read_device_id_code", "object_id",
 *        ["conformity_level", "more_follows", "next_object_id",
 *         "number_of_objects"], "vendor", "product_code", "revision",
 *        "vendor_url", "product_name", "model_name",
 *        "user_application_name", ["extended": [{"id", "value"}]],
 *        ["truncated"]}],               FC 43/14
 *     ["fifo_count"],                   FC 24 (address is the FIFO pointer)
 *     ["file_records": [{"reference_type", "file", "record", "length",
 *        ["values"], ["truncated"]}]], ["file_records_truncated"],  FC 20/21
 *     ["umas": {"session", ["subfunction", "name"],
 *        ["status", "status_name"]}],   FC 90
 *     ["request_values"], ["response_values"],
 *     ["exception_code", "exception"],
 *     "matched", ["rtt_ms"],
 *     ["request_seen": false], ["response_seen": false],
 *     ["timed_out"], ["request_lost"]
 *   }
 *
 * Values layout (request_values / response_values), one object:
 *   {"start": 100, "values": [10, 20, 30]}     registers (integers)
 *   {"start": 0, "values": [true, false]}      coils / discrete inputs
 *   {"values": [...]}                          no address (FC 7 status bits,
 *                                              FC 8, 11, 24 registers)
 *   {"hex": "0a0b", "length": 2}               opaque data (FC 12, 17, 90,
 *                                              43 other MEI, unknown codes)
 * values[i] belongs to address start + i.  FC 5 also carries "raw" (the
 * 16-bit value on the wire, 0xFF00 = ON).  "truncated": true is added when
 * the wire carried more than the event kept.  FC 23: request_values are the
 * registers written (start = write_address), response_values the registers
 * read (start = address).
 *
 * Reference: MODBUS Application Protocol Specification V1.1b3, 6.1-6.21
 * and 7 (exception codes); names from the tables in dissectors/modbus.c.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "output.h"

static void put_name_or_unknown(struct jw *w, const char *key,
    const char *name, unsigned code)
{
	char b[24];

	if (name) {
		jw_str(w, key, name);
		return;
	}
	snprintf(b, sizeof(b), "unknown-%u", code);
	jw_str(w, key, b);
}

static void put_values(struct jw *w, const char *key,
    const struct ev_modbus_values *v, uint8_t fc)
{
	if (v->kind == MODBUS_VAL_NONE)
		return;
	/* no data bytes at all (e.g. UMAS READ_ID): nothing to say */
	if (v->kind == MODBUS_VAL_BYTES && v->count == 0 && !v->truncated)
		return;
	jw_obj_open(w, key);
	if (v->kind == MODBUS_VAL_BYTES) {
		jw_hex(w, "hex", v->bytes, v->count);
		jw_u64(w, "length", v->count);
	} else {
		if (v->has_start)
			jw_u64(w, "start", v->start);
		jw_arr_open(w, "values");
		for (unsigned i = 0; i < v->count; i++) {
			if (v->kind == MODBUS_VAL_REGS && i < EV_MODBUS_MAX_REGS)
				jw_u64(w, NULL, v->regs[i]);
			else if (v->kind == MODBUS_VAL_BITS &&
			    i < EV_MODBUS_MAX_BITS)
				jw_bool(w, NULL, ev_modbus_bit(v, i));
		}
		jw_arr_close(w);
		/* FC 5: the wire value, so a bad coil value stays visible */
		if (fc == 0x05 && v->kind == MODBUS_VAL_BITS && v->count == 1)
			jw_u64(w, "raw", v->regs[0]);
	}
	if (v->truncated)
		jw_bool(w, "truncated", true);
	jw_obj_close(w);
}

static void put_devid(struct jw *w, const struct ev_modbus_devid *d)
{
	unsigned next = 0;

	jw_obj_open(w, "device_id");
	jw_u64(w, "read_device_id_code", d->read_code);
	jw_u64(w, "object_id", d->object_id);
	if (d->has_response) {
		jw_u64(w, "conformity_level", d->conformity);
		jw_bool(w, "more_follows", d->more_follows == 0xFF);
		jw_u64(w, "next_object_id", d->next_object_id);
		jw_u64(w, "number_of_objects", d->nobjects);
	}
	for (unsigned i = 0; i < d->nobjs && i < EV_MODBUS_MAX_DEVID_OBJS; i++) {
		const struct ev_modbus_devid_obj *o = &d->objs[i];
		const char *name = modbus_devid_obj_name(o->id);

		if (!name) {
			next++;
			continue;
		}
		/* Spec 6.21 calls object 6 UserApplicationName. */
		if (o->id == 6)
			name = "user_application_name";
		jw_str(w, name, o->value);
	}
	if (next) {
		jw_arr_open(w, "extended");
		for (unsigned i = 0; i < d->nobjs && i < EV_MODBUS_MAX_DEVID_OBJS;
		    i++) {
			const struct ev_modbus_devid_obj *o = &d->objs[i];

			if (modbus_devid_obj_name(o->id))
				continue;
			jw_obj_open(w, NULL);
			jw_u64(w, "id", o->id);
			jw_str(w, "value", o->value);
			jw_obj_close(w);
		}
		jw_arr_close(w);
	}
	{
		bool trunc = d->truncated;

		for (unsigned i = 0; i < d->nobjs && i < EV_MODBUS_MAX_DEVID_OBJS;
		    i++)
			trunc = trunc || d->objs[i].truncated;
		if (trunc)
			jw_bool(w, "truncated", true);
	}
	jw_obj_close(w);
}

static void put_file_recs(struct jw *w, const struct ev_modbus *e)
{
	unsigned n = e->nfile_recs < EV_MODBUS_MAX_FILE_RECS ? e->nfile_recs :
	    EV_MODBUS_MAX_FILE_RECS;

	jw_arr_open(w, "file_records");
	for (unsigned i = 0; i < n; i++) {
		const struct ev_modbus_file_rec *f = &e->file_recs[i];

		jw_obj_open(w, NULL);
		jw_u64(w, "reference_type", f->ref_type);
		if (f->has_ref) {
			jw_u64(w, "file", f->file);
			jw_u64(w, "record", f->record);
		}
		jw_u64(w, "length", f->length);
		if (f->ndata) {
			jw_arr_open(w, "values");
			for (unsigned k = 0; k < f->ndata &&
			    k < EV_MODBUS_FILE_REC_REGS; k++)
				jw_u64(w, NULL, f->data[k]);
			jw_arr_close(w);
		}
		if (f->truncated)
			jw_bool(w, "truncated", true);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	if (e->file_recs_truncated)
		jw_bool(w, "file_records_truncated", true);
}

static void put_umas(struct jw *w, const struct ev_modbus *e)
{
	jw_obj_open(w, "umas");
	jw_u64(w, "session", e->umas_session);
	/* the UMAS code is only known from a request we kept */
	if (e->has_request && !e->request_lost) {
		jw_u64(w, "subfunction", e->umas_fc);
		put_name_or_unknown(w, "name", modbus_umas_name(e->umas_fc),
		    e->umas_fc);
	}
	if (e->has_umas_status) {
		jw_u64(w, "status", e->umas_status);
		put_name_or_unknown(w, "status_name",
		    modbus_umas_name(e->umas_status), e->umas_status);
	}
	jw_obj_close(w);
}

void json_put_modbus(struct jw *w, const struct ev_modbus *e)
{
	const char *fname = modbus_func_name(e->fc & 0x7F);
	size_t fname_len = fname ? strlen(fname) : 0;
	char fb[64];

	jw_obj_open(w, "modbus");
	jw_u64(w, "transaction_id", e->tid);
	jw_u64(w, "unit_id", e->unit);
	jw_u64(w, "function_code", e->fc & 0x7F);
	if (fname && !e->exception && fname_len < sizeof(fb)) {
		/* the common case, without a printf */
		jw_strn(w, "function", fname, fname_len);
	} else {
		if (fname)
			snprintf(fb, sizeof(fb), "%s%s", fname,
			    e->exception ? "_EXCEPTION" : "");
		else
			snprintf(fb, sizeof(fb), "unknown-%u%s", e->fc & 0x7F,
			    e->exception ? "_EXCEPTION" : "");
		jw_str(w, "function", fb);
	}
	jw_str(w, "category", modbus_category_name(e->category));
	if (e->has_address)
		jw_u64(w, "address", e->address);
	if (e->has_quantity)
		jw_u64(w, "quantity", e->quantity);
	if (e->has_write) {
		jw_u64(w, "write_address", e->write_address);
		jw_u64(w, "write_quantity", e->write_quantity);
	}
	if (e->has_masks) {
		jw_u64(w, "and_mask", e->and_mask);
		jw_u64(w, "or_mask", e->or_mask);
	}
	if (e->has_subfunction) {
		jw_u64(w, "subfunction", e->subfunction);
		put_name_or_unknown(w, "subfunction_name",
		    modbus_diag_name(e->subfunction), e->subfunction);
	}
	if (e->has_mei)
		jw_u64(w, "mei_type", e->mei_type);
	if (e->has_devid)
		put_devid(w, &e->devid);
	if (e->has_fifo && e->has_response && !e->exception)
		jw_u64(w, "fifo_count", e->fifo_count);
	if (e->nfile_recs || e->file_recs_truncated)
		put_file_recs(w, e);
	if (e->has_umas)
		put_umas(w, e);
	put_values(w, "request_values", &e->req, e->fc);
	put_values(w, "response_values", &e->resp, e->fc);
	if (e->exception) {
		jw_u64(w, "exception_code", e->exception_code);
		put_name_or_unknown(w, "exception",
		    modbus_exception_name(e->exception_code),
		    e->exception_code);
	}
	jw_bool(w, "matched", e->matched);
	if (e->matched)
		jw_dbl(w, "rtt_ms", (double)e->rtt_us / 1000.0, 3);
	if (!e->has_request)
		jw_bool(w, "request_seen", false);
	if (!e->has_response)
		jw_bool(w, "response_seen", false);
	if (e->timed_out)
		jw_bool(w, "timed_out", true);
	if (e->request_lost)
		jw_bool(w, "request_lost", true);
	jw_obj_close(w);
}
