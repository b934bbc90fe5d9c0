/*
 * oui.c - MAC vendor lookup over the generated IEEE table (see oui.h).
 */
#include "oui.h"

const char *oui_vendor(const uint8_t mac[6])
{
	uint32_t key = (uint32_t)mac[0] << 16 | (uint32_t)mac[1] << 8 | mac[2];
	size_t lo = 0, hi = oui_nrows;

	if (mac[0] & 0x03)	/* group (multicast) or locally administered */
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (oui_rows[mid].prefix == key)
			return oui_rows[mid].name < oui_nnames ?
			    oui_names[oui_rows[mid].name] : NULL;
		if (oui_rows[mid].prefix < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
