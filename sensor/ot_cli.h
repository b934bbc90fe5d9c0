/*
 * ot_cli.h - the operator commands that work on the state file
 * (ot/state.h), without capturing anything:
 *
 *   spanlog baseline show          the mode, learning window, and every
 *                                  device, edge, function and range
 *   spanlog baseline diff          only what is new since learning (exit 1
 *                                  when there is something, 0 when not)
 *   spanlog baseline accept X...   accept edges (CLIENT>SERVER:PROTO/PORT,
 *                                  as diff prints them) or devices (IP)
 *   spanlog baseline accept-all    accept everything new
 *   spanlog baseline enforce       end learning now
 *   spanlog assets [--json]        the inventory, as a table or as "asset"
 *                                  JSON lines
 *
 * Each takes -c CONFIG (for ot.state_file and ot.learning_hours) and/or
 * --state PATH.
 */
#ifndef SPANLOG_OT_CLI_H
#define SPANLOG_OT_CLI_H

#include <stdbool.h>

/* True if argv[1] names one of these commands. */
bool ot_cli_is_command(int argc, char **argv);

/* Runs it; the process exit code. */
int ot_cli_main(int argc, char **argv);

#endif
