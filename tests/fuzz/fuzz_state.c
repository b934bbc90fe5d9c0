/*
 * fuzz_state.c - libFuzzer target for the state-file lines (ot/state.h):
 * baseline_state_read() and assets_state_read(), then everything that
 * walks what they loaded (write, print, accept, the silence check).
 *
 * The input is text; each line goes to its reader as a state file line
 * would.  The first byte picks the mode: bit 0 merge (acceptance only)
 * instead of load, bit 1 accept everything afterwards.  A state file is
 * written by spanlog itself, but it sits on disk where anything may damage
 * it, so it is read as hostile input like a pcap.
 *
 *   scripts/fuzz.sh 60 fuzz_state
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dissectors/dissector.h"
#include "../../ot/assets.h"
#include "../../ot/baseline.h"

static volatile size_t fuzz_sink;

/*
 * Not linked (scripts/fuzz.sh leaves the flow table and the output layer
 * out of the archive); the name tables the baseline prints pull in the
 * dissectors, which refer to these.
 */
void flow_ev_init(struct flow_ctx *fc, struct ev_hdr *h, enum ev_type type,
    enum dir d)
{
	(void)fc;
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->dir = d;
}

void flow_anomaly(struct flow_ctx *fc, enum dir d, enum anomaly_code code,
    const char *layer, const char *fmt, ...)
{
	(void)fc;
	(void)d;
	(void)layer;
	(void)fmt;
	fuzz_sink += (size_t)code;
}

/* Alerts (silence checks) end here. */
void out_emit(const struct ev_hdr *ev)
{
	fuzz_sink += (size_t)ev->type;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, err[256];
	size_t i = 1, n = 0;
	uint8_t mode = size ? data[0] : 0;
	FILE *sink;

	baseline_reset();
	assets_reset();
	line = malloc(size + 1);
	if (!line)
		return 0;
	while (i <= size) {
		if (i == size || data[i] == '\n') {
			line[n] = '\0';
			if (baseline_state_owns(line))
				(void)baseline_state_read(line, mode & 1, err,
				    sizeof(err));
			else if (strncmp(line, "asset ", 6) == 0)
				(void)assets_state_read(line, err, sizeof(err));
			n = 0;
		} else {
			line[n++] = (char)data[i];
		}
		i++;
	}
	free(line);
	if (mode & 2)
		fuzz_sink += baseline_accept_all();
	sink = fopen("/dev/null", "w");
	if (sink) {
		(void)baseline_state_write(sink);
		(void)assets_state_write(sink);
		fuzz_sink += baseline_print(sink, (mode & 4) != 0);
		assets_print(sink);
		fclose(sink);
	}
	baseline_finish(UINT64_MAX / 2);
	return 0;
}
