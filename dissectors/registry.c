/*
 * registry.c - the one list of protocols in the program.
 *
 * Adding a protocol means one new file in dissectors/ and one line here.
 * Order matters only among dissectors whose probes could both say yes.
 */
#include <stddef.h>

#include "dissector.h"

const struct dissector *const dissectors[] = {
	NULL
};
