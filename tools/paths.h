/*
 * What a name on the command line refers to on disk. The CLI refuses to
 * write over its input or to let two outputs share a file, whatever the
 * spelling ("x.mp4", "./x.mp4", an absolute path, a symbolic or hard link,
 * an image pattern whose numbers hit a file); these are the facts it
 * compares.
 */
#ifndef BACKDROP_TOOLS_PATHS_H
#define BACKDROP_TOOLS_PATHS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A file's identity: two names with the same identity are the same file. */
typedef struct FileId {
    dev_t dev;
    ino_t ino;
} FileId;

/* A set of identities, sorted for lookup. */
typedef struct FileIdSet {
    FileId *ids;
    size_t count, capacity;
    int sorted;
} FileIdSet;

/* 1 and *id filled when path names an existing file (links followed), else 0. */
int path_file_id(const char *path, FileId *id);
int fileid_set_add(FileIdSet *set, FileId id);        /* 0 or -1 (out of memory) */
int fileid_set_contains(FileIdSet *set, FileId id);
void fileid_set_free(FileIdSet *set);

/* The absolute spelling of path with every symbolic link, ".", ".." and
 * repeated '/' resolved as far as the path exists; the part that does not
 * exist yet is appended with "." and ".." resolved by the letters. NULL when
 * out of memory or the result would exceed PATH_MAX. free() it. */
char *path_canonical(const char *path);

/* Directory part ("." when none, "/" for the root) and base name. The
 * directory is malloc'd (NULL when out of memory); the base points into
 * path. */
char *path_dir(const char *path);
const char *path_base(const char *path);

/* Image patterns as FFmpeg expands them (av_get_frame_filename2): exactly
 * one "%d" or "%0Nd" ("%Nd" pads with zeros too), "%%" for a percent sign. */
int path_has_pattern(const char *s);
/* Writes the name for number n; 0, or -1 when the pattern is invalid or the
 * name does not fit. */
int path_pattern_name(char *buf, size_t size, const char *pattern, int64_t n);
/* 1 when name is the pattern's name for some number >= min_number. */
int path_pattern_matches(const char *pattern, const char *name, int64_t min_number);
/* 1 when the two patterns give the same name for some numbers 1..limit of
 * the first (and >= 1 of the second); *number is then the first's number. */
int path_patterns_overlap(const char *a, const char *b, int64_t limit, int64_t *number);

/* Whether an output named path is written in place rather than under a
 * temporary name renamed at the end: "-" (standard output), an existing
 * file that is neither regular nor a directory (a character device such as
 * /dev/null, a FIFO, a socket), or a name that reaches a file descriptor
 * (/dev/stdout, /dev/fd/N, /proc/self/fd/N, directly or through links).
 * Renaming onto such a name would replace the device or the link itself. */
int path_is_special(const char *path);
/* For a special name that stands for one of this process's descriptors
 * ("-" and /dev/stdout: 1), that descriptor: writing to it shares the
 * shell's file offset, where opening the name anew would not. Else -1. */
int path_descriptor(const char *path);

/* Renames tmp onto name, first giving tmp the permission bits (and, for
 * root, the owner) of the regular file it replaces, if any. 0 or -errno. */
int path_replace(const char *tmp, const char *name);

/* The name to rename onto so that a symbolic link keeps pointing where it
 * did: its target when path is a link, else path. malloc'd; NULL when out
 * of memory. */
char *path_rename_target(const char *path);

#endif
