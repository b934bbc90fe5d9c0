/*
 * main.c - spanlog: a passive network sensor.
 *
 * Wires configuration, outputs and the pipeline together.  Everything that
 * can fail at startup fails here, with one line naming what and why.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "../ot/baseline.h"
#include "../ot/state.h"
#include "ot_cli.h"
#include "output.h"
#include "pipeline.h"

#define SPANLOG_VERSION "0.1.0"

static volatile sig_atomic_t stop_flag, save_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		save_flag = 1;	/* live: save the state file (and merge) now */
	else
		stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: spanlog -r PATH [-r PATH ...] [options]\n"
	    "       spanlog -i IFACE [options]\n"
	    "       spanlog baseline show|diff|accept EDGE|accept-all|enforce\n"
	    "       spanlog assets [--json]\n"
	    "\n"
	    "input:\n"
	    "  -r, --read PATH        pcap/pcapng file, '-' for stdin, or a directory\n"
	    "                         (recursive); several -r are read as one capture\n"
	    "  -i, --interface IFACE  live capture (promiscuous, never transmits)\n"
	    "  -f, --bpf FILTER       BPF filter for live capture\n"
	    "  -s, --snaplen N        bytes per packet to capture\n"
	    "output:\n"
	    "  -o, --output FILE      JSON lines to FILE ('-' = stdout, the default)\n"
	    "  --sensor NAME          sensor name in every event (default: hostname)\n"
	    "  --redis URL            also XADD events to Redis streams: redis://host:port/db\n"
	    "                         or rediss:// (password: redis.password_file/_env)\n"
	    "  --spool DIR            disk spool for events Redis could not take yet\n"
	    "  --state PATH           keep the inventory and learned baseline in PATH\n"
	    "                         across runs (ot.state_file)\n"
	    "processing:\n"
	    "  -c, --config FILE      spanlog.yaml (see deploy/spanlog.yaml)\n"
	    "  -w, --workers N        worker threads (default: number of cores)\n"
	    "  --max-flows N          flow table size for the whole sensor\n"
	    "  --no-ndpi              do not classify flows with nDPI\n"
	    "  --no-dissect           flow records only: no protocol dissectors\n"
	    "  --stats-interval S     stats event every S seconds (live)\n"
	    "  --geoip-city PATH      GeoIP2/GeoLite2 City or Country .mmdb\n"
	    "  --geoip-asn PATH       GeoLite2 ASN .mmdb\n"
	    "  --progress, --no-progress  progress line on stderr (default: if a tty)\n"
	    "  -V, --version          print the version\n"
	    "  -h, --help             this text\n");
}

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max,
    uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *s == '-' || v < min || v > max) {
		fprintf(stderr, "spanlog: %s: expected a number from %u to %u, "
		    "got '%s'\n", opt, min, max, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

enum { OPT_SENSOR = 256, OPT_MAX_FLOWS, OPT_NO_NDPI, OPT_NO_DISSECT, OPT_STATS, OPT_PROGRESS,
	OPT_NO_PROGRESS, OPT_GEOIP_CITY, OPT_GEOIP_ASN, OPT_REDIS, OPT_SPOOL,
	OPT_STATE };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "interface", required_argument, NULL, 'i' },
		{ "bpf", required_argument, NULL, 'f' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'w' },
		{ "sensor", required_argument, NULL, OPT_SENSOR },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "no-ndpi", no_argument, NULL, OPT_NO_NDPI },
		{ "no-dissect", no_argument, NULL, OPT_NO_DISSECT },
		{ "stats-interval", required_argument, NULL, OPT_STATS },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "geoip-city", required_argument, NULL, OPT_GEOIP_CITY },
		{ "geoip-asn", required_argument, NULL, OPT_GEOIP_ASN },
		{ "redis", required_argument, NULL, OPT_REDIS },
		{ "spool", required_argument, NULL, OPT_SPOOL },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct config cfg;
	const char *cfg_path = NULL;
	char err[1024];
	struct sigaction sa;
	int c, rc;

	if (ot_cli_is_command(argc, argv))
		return ot_cli_main(argc, argv);
	config_defaults(&cfg);
	/* First pass: only -c, so the file applies before other flags. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:i:f:s:o:c:w:Vh", longopts, NULL)) != -1)
		if (c == 'c')
			cfg_path = optarg;
	if (cfg_path && config_load(&cfg, cfg_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanlog: %s\n", err);
		return 1;
	}
	opterr = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:f:s:o:c:w:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cfg.nread >= CONFIG_MAX_READ) {
				fprintf(stderr, "spanlog: at most %d -r options\n",
				    CONFIG_MAX_READ);
				return 1;
			}
			cfg.read[cfg.nread++] = optarg;
			break;
		case 'i':
			snprintf(cfg.iface, sizeof(cfg.iface), "%s", optarg);
			break;
		case 'f':
			snprintf(cfg.bpf, sizeof(cfg.bpf), "%s", optarg);
			break;
		case 's':
			if (parse_u32("--snaplen", optarg, 64, 262144, &cfg.snaplen))
				return 1;
			break;
		case 'o':
			snprintf(cfg.out_file, sizeof(cfg.out_file), "%s", optarg);
			break;
		case 'c':
			break;
		case 'w':
			if (parse_u32("--workers", optarg, 1, 256, &cfg.workers))
				return 1;
			break;
		case OPT_SENSOR:
			snprintf(cfg.sensor, sizeof(cfg.sensor), "%s", optarg);
			break;
		case OPT_MAX_FLOWS:
			if (parse_u32("--max-flows", optarg, 16, 100000000,
			    &cfg.max_flows))
				return 1;
			break;
		case OPT_NO_NDPI:
			cfg.ndpi_enabled = false;
			break;
		case OPT_NO_DISSECT:
			cfg.dissect_enabled = false;
			break;
		case OPT_STATS:
			if (parse_u32("--stats-interval", optarg, 0, 86400,
			    &cfg.stats_interval))
				return 1;
			break;
		case OPT_PROGRESS:
			cfg.progress_set = 1;
			break;
		case OPT_NO_PROGRESS:
			cfg.progress_set = -1;
			break;
		case OPT_GEOIP_CITY:
			snprintf(cfg.geoip_city, sizeof(cfg.geoip_city), "%s",
			    optarg);
			break;
		case OPT_GEOIP_ASN:
			snprintf(cfg.geoip_asn, sizeof(cfg.geoip_asn), "%s",
			    optarg);
			break;
		case OPT_REDIS:
			snprintf(cfg.redis_url, sizeof(cfg.redis_url), "%s", optarg);
			break;
		case OPT_STATE:
			snprintf(cfg.ot_state_file, sizeof(cfg.ot_state_file), "%s",
			    optarg);
			break;
		case OPT_SPOOL:
			snprintf(cfg.redis_spool_dir, sizeof(cfg.redis_spool_dir),
			    "%s", optarg);
			break;
		case 'V':
			printf("spanlog %s\n", SPANLOG_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "spanlog: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (config_validate(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanlog: %s\n", err);
		return 1;
	}
	if (out_init(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanlog: %s\n", err);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cfg.iface[0])	/* offline, SIGHUP keeps its default: stop */
		sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The inventory and baseline of earlier runs (zones are loaded). */
	if (cfg.ot_state_file[0] &&
	    state_load(cfg.ot_state_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanlog: %s\n", err);
		(void)out_shutdown();
		return 1;
	}
	/* The configured learning period wins over the one in the file. */
	baseline_set_period((uint64_t)cfg.ot_learning_hours * 3600000000ULL);

	err[0] = '\0';
	rc = pipeline_run(&cfg, &stop_flag, &save_flag, err, sizeof(err));
	if (cfg.ot_state_file[0]) {
		char serr[1024];

		if (state_save(cfg.ot_state_file, serr, sizeof(serr)) != 0) {
			fprintf(stderr, "spanlog: %s\n", serr);
			if (rc == 0)
				rc = 1;
		}
	}
	if (out_shutdown() != 0 && rc == 0)
		rc = 1;
	/* Offline read errors were reported as they happened. */
	if (rc != 0 && err[0] && !(rc == 2 && cfg.nread))
		fprintf(stderr, "spanlog: %s\n", err);
	return rc;
}
