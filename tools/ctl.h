/*
 * The client of the control socket: backdrop ctl PATH COMMAND...
 */
#ifndef BACKDROP_TOOLS_CTL_H
#define BACKDROP_TOOLS_CTL_H

#include <stddef.h>
#include <stdio.h>

/* How long the client waits for an answer. */
#define CTL_TIMEOUT_MS 10000

/* backdrop ctl: argv[0] is "ctl" (main calls ctl_main(argc - 1, argv + 1)
 * when its argv[1] is "ctl"), argv[1] the socket, argv[2..] the words of
 * one command, joined by spaces. Prints the answer; returns the exit
 * status: 0 for "ok" or the stats, 1 for an error answer or when the
 * server cannot be reached or does not answer, 2 for a usage error. */
int ctl_main(int argc, char **argv);

/* ctl_main with its output and errors going to out and errf. */
int ctl_run(int argc, char **argv, FILE *out, FILE *errf, int timeout_ms);

/* Sends line (no "\n" in it) to the server at path and reads its one-line
 * answer (without "\n") into answer. 0, or -1 with a one-line message. */
int ctl_request(const char *path, const char *line, char *answer, size_t size, int timeout_ms,
                char *err, size_t errlen);

#endif
