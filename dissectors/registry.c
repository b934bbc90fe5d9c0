/*
 * registry.c - the one list of protocols in the program.
 *
 * Adding a protocol means one new file in dissectors/ and one line here.
 * Order matters only among dissectors whose probes could both say yes.
 */
#include <stddef.h>

#include "dissector.h"

extern const struct dissector dns_dissector;
extern const struct dissector dns_tcp_dissector;
extern const struct dissector http_dissector;
extern const struct dissector smtp_dissector;
extern const struct dissector modbus_dissector;
extern const struct dissector dnp3_dissector;

const struct dissector *const dissectors[] = {
	&dns_dissector,
	&dns_tcp_dissector,
	&http_dissector,
	&smtp_dissector,
	&modbus_dissector,
	&dnp3_dissector,
	NULL
};
