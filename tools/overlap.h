/*
 * Before anything is written: refuse outputs that would replace the input or
 * each other. Names are compared by what they refer to, not by how they are
 * spelled: "x.mp4", "./x.mp4" and "/abs/x.mp4" are one file, so are a
 * symbolic or a hard link and its target, and an image pattern
 * ("f/%03d.png") stands for every name its numbers produce.
 *
 * The input's files are also kept as a set of identities that the outputs
 * check once more, exactly, just before they rename anything into place.
 */
#ifndef BACKDROP_TOOLS_OVERLAP_H
#define BACKDROP_TOOLS_OVERLAP_H

#include <stddef.h>

#include "paths.h"

typedef struct NamedOutput {
    const char *option; /* as the command line said it: "-o", "--matte", "--stats" */
    const char *path;   /* NULL: not given */
} NamedOutput;

/* Collects the identities of the files the input reads: the file itself
 * (stdin too, when it is a file), or for an image pattern every frame the
 * image2 demuxer would read. 0, or -1 with a message. */
int overlap_input_files(const char *input, FileIdSet *files, char *err, size_t errlen);

/* 0 when no output replaces one of files (what the program reads: the
 * input, the background picture); else -1 with a one-line message saying
 * "that is the <what> (<name>)". "null" and special files (devices, FIFOs,
 * standard output; written in place) are not compared. */
int overlap_check_reads(FileIdSet *files, const char *what, const char *name,
                        const NamedOutput *outputs, int count, char *err, size_t errlen);

/* 0 when no two outputs write a common file; else -1 with a message naming
 * both. */
int overlap_check_outputs(const NamedOutput *outputs, int count, char *err, size_t errlen);

#endif
