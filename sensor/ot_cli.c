/*
 * ot_cli.c - `spanlog baseline ...` and `spanlog assets` (see ot_cli.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../ot/assets.h"
#include "../ot/baseline.h"
#include "../ot/state.h"
#include "config.h"
#include "ot_cli.h"
#include "output.h"

#define OT_CLI_LINE (1u << 20)	/* one JSON line */

struct accept_args {
	char **what;
	int n;
	bool all;
	bool enforce;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: spanlog baseline show|diff [-c CONFIG] [--state PATH]\n"
	    "       spanlog baseline accept EDGE|IP [...] [-c CONFIG] [--state PATH]\n"
	    "       spanlog baseline accept-all|enforce [-c CONFIG] [--state PATH]\n"
	    "       spanlog assets [--json] [-c CONFIG] [--state PATH]\n"
	    "\n"
	    "EDGE is CLIENT>SERVER:PROTO/PORT as `baseline diff` prints it, e.g.\n"
	    "10.10.1.12>10.10.2.20:tcp/502 (IPv6 in brackets; 'public' for the\n"
	    "public end of an edge).  Accepting an edge also accepts its\n"
	    "function codes, write ranges and its two devices.\n");
}

bool ot_cli_is_command(int argc, char **argv)
{
	return argc > 1 && (strcmp(argv[1], "baseline") == 0 ||
	    strcmp(argv[1], "assets") == 0);
}

static int do_accept(void *arg)
{
	struct accept_args *a = arg;
	char err[256];

	if (a->enforce) {
		baseline_enforce();
		printf("the baseline is enforcing from now on\n");
		return 0;
	}
	if (a->all) {
		printf("accepted %zu new items\n", baseline_accept_all());
		return 0;
	}
	for (int i = 0; i < a->n; i++) {
		if (baseline_accept(a->what[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "spanlog: %s (nothing saved)\n", err);
			return -1;
		}
		printf("accepted %s\n", a->what[i]);
	}
	return 0;
}

static int print_assets_json(void)
{
	struct ev_asset *list = calloc(ASSETS_LIST_MAX, sizeof(*list));
	char *buf = malloc(OT_CLI_LINE);
	size_t n;

	if (!list || !buf) {
		free(list);
		free(buf);
		fprintf(stderr, "spanlog: out of memory\n");
		return 1;
	}
	n = assets_list(list, ASSETS_LIST_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t len;

		list[i].h.type = EV_ASSET;
		list[i].reason = ASSET_REASON_INVENTORY;
		len = json_event(&list[i].h, "", buf, OT_CLI_LINE - 1);
		if (len)
			printf("%.*s\n", (int)len, buf);
	}
	free(list);
	free(buf);
	return 0;
}

/* Value of an option "NAME VALUE" or "NAME=VALUE" at argv[*i], or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int ot_cli_main(int argc, char **argv)
{
	static struct config cfg;
	const char *state = NULL, *cmd = argv[1], *sub = NULL, *v;
	char **words = calloc((size_t)argc, sizeof(*words));
	int nwords = 0, rc;
	bool json = false, have_cfg = false;
	char err[1024] = "";
	struct stat st;

	if (!words)
		return 1;
	config_defaults(&cfg);
	for (int i = 2; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--config")) ||
		    (v = opt_value(argc, argv, &i, "-c"))) {
			have_cfg = true;
			if (config_load(&cfg, v, err, sizeof(err)) != 0) {
				fprintf(stderr, "spanlog: %s\n", err);
				free(words);
				return 1;
			}
		} else if ((v = opt_value(argc, argv, &i, "--state"))) {
			state = v;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			free(words);
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "spanlog: unknown option '%s'\n", argv[i]);
			usage(stderr);
			free(words);
			return 1;
		} else {
			words[nwords++] = argv[i];
		}
	}
	rc = 1;
	if (strcmp(cmd, "baseline") == 0) {
		if (nwords == 0)
			goto bad;
		sub = words[0];
		if (strcmp(sub, "accept") != 0 && nwords > 1)
			goto bad;
	} else if (nwords > 0 || strcmp(cmd, "assets") != 0) {
		goto bad;
	}
	if (!state)
		state = cfg.ot_state_file[0] ? cfg.ot_state_file : NULL;
	if (!state) {
		fprintf(stderr, "spanlog: no state file: give --state PATH or -c "
		    "CONFIG with ot.state_file\n");
		goto out;
	}
	/* the period in the file, unless a config file says otherwise */
	if (stat(state, &st) != 0) {
		fprintf(stderr, "spanlog: no state file at %s yet (spanlog writes "
		    "it when ot.state_file or --state is set)\n", state);
		goto out;
	}
	if (!sub || strcmp(sub, "show") == 0 || strcmp(sub, "diff") == 0) {
		if (state_load(state, err, sizeof(err)) != 0) {
			fprintf(stderr, "spanlog: %s\n", err);
			goto out;
		}
		if (have_cfg)
			baseline_set_period((uint64_t)cfg.ot_learning_hours *
			    3600000000ULL);
		if (!sub)
			rc = json ? print_assets_json() : (assets_print(stdout), 0);
		else if (strcmp(sub, "show") == 0)
			rc = (baseline_print(stdout, false), 0);
		else if (baseline_print(stdout, true) == 0) {
			printf("nothing new since learning\n");
			rc = 0;
		}
		goto out;
	}
	if (strcmp(sub, "accept") == 0 || strcmp(sub, "accept-all") == 0 ||
	    strcmp(sub, "enforce") == 0) {
		struct accept_args a = { words + 1, nwords - 1, false, false };

		a.all = strcmp(sub, "accept-all") == 0;
		a.enforce = strcmp(sub, "enforce") == 0;
		if (strcmp(sub, "accept") == 0 && a.n == 0) {
			fprintf(stderr, "spanlog: baseline accept: name an edge "
			    "or a device\n");
			goto out;
		}
		rc = state_edit(state, do_accept, &a, err, sizeof(err));
		if (rc < 0 && err[0])
			fprintf(stderr, "spanlog: %s\n", err);
		rc = rc == 0 ? 0 : 1;
		goto out;
	}
bad:
	usage(stderr);
out:
	free(words);
	return rc;
}
