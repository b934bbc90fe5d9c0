/*
 * event.c - static names for event enums (shared by every layer).
 */
#include <stddef.h>

#include "event.h"

static const char *const anomaly_names[ANOM__COUNT] = {
#define ANOMALY_NAME(sym, name) [ANOM_##sym] = name,
	ANOMALY_LIST(ANOMALY_NAME)
#undef ANOMALY_NAME
};

const char *anomaly_name(enum anomaly_code c)
{
	if ((unsigned)c >= ANOM__COUNT)
		return "unknown";
	return anomaly_names[c];
}
