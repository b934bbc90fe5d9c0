/*
 * json_test.c - the JSON writer: escaping per RFC 8259 section 7, UTF-8
 * validation per RFC 3629 section 4, numbers and timestamps.
 */
#include <string.h>

#include "sensor/json.h"
#include "testhelp.h"

static char buf[512];

static const char *str1(const char *s, size_t n)
{
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	jw_strn(&w, NULL, s, n);
	buf[w.len] = '\0';
	return buf;
}

int main(void)
{
	struct jw w;
	char t[40];

	test_cond("plain", !strcmp(str1("abc", 3), "\"abc\""));
	test_cond("quote and backslash", !strcmp(str1("a\"b\\c", 5), "\"a\\\"b\\\\c\""));
	test_cond("newline, cr, tab", !strcmp(str1("\n\r\t", 3), "\"\\n\\r\\t\""));
	test_cond("other control", !strcmp(str1("\x01\x1f", 2), "\"\\u0001\\u001f\""));
	test_cond("nul inside", !strcmp(str1("a\0b", 3), "\"a\\u0000b\""));
	/* U+00E9 (2 bytes), U+3042 (3 bytes), U+1F600 (4 bytes) pass through */
	test_cond("valid utf-8", !strcmp(str1("\xc3\xa9\xe3\x81\x82\xf0\x9f\x98\x80", 9),
	    "\"\xc3\xa9\xe3\x81\x82\xf0\x9f\x98\x80\""));
	test_cond("lone continuation byte", !strcmp(str1("\x80", 1), "\"\\u0080\""));
	test_cond("overlong 2-byte form of '/'", !strcmp(str1("\xc0\xaf", 2), "\"\\u00c0\\u00af\""));
	test_cond("overlong 3-byte form", !strcmp(str1("\xe0\x80\xaf", 3), "\"\\u00e0\\u0080\\u00af\""));
	test_cond("surrogate U+D800", !strcmp(str1("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\""));
	test_cond("past U+10FFFF", !strcmp(str1("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\""));
	test_cond("cut sequence", !strcmp(str1("\xe3\x81", 2), "\"\\u00e3\\u0081\""));

	jw_init(&w, buf, sizeof(buf));
	jw_obj_open(&w, NULL);
	jw_u64(&w, "a", 0);
	jw_u64(&w, "b", 18446744073709551615ULL);
	jw_i64(&w, "c", -9223372036854775807LL - 1);
	jw_bool(&w, "d", true);
	jw_dbl(&w, "e", 1.5, 3);
	jw_arr_open(&w, "f");
	jw_u64(&w, NULL, 1);
	jw_u64(&w, NULL, 2);
	jw_arr_close(&w);
	jw_obj_open(&w, "g");
	jw_obj_close(&w);
	jw_obj_close(&w);
	buf[w.len] = '\0';
	test_cond("object layout", !strcmp(buf, "{\"a\":0,\"b\":18446744073709551615,"
	    "\"c\":-9223372036854775808,\"d\":true,\"e\":1.500,\"f\":[1,2],\"g\":{}}"));

	jw_init(&w, buf, 8);
	jw_str(&w, NULL, "0123456789");
	test_cond("overflow is flagged", w.overflow);

	/* 1704067200 = 2024-01-01T00:00:00Z; 951782400 = 2000-02-29T00:00:00Z */
	json_format_time(1704067200000000ULL + 5, t, sizeof(t));
	test_cond("time", !strcmp(t, "2024-01-01T00:00:00.000005Z"));
	json_format_time(951782400ULL * 1000000 + 999999, t, sizeof(t));
	test_cond("leap day", !strcmp(t, "2000-02-29T00:00:00.999999Z"));
	json_format_time(951782401ULL * 1000000, t, sizeof(t));
	test_cond("next second (cache refresh)", !strcmp(t, "2000-02-29T00:00:01.000000Z"));
	return test_report();
}
