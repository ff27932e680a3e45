/* Outputs that would replace the input or each other; see overlap.h. */
#include "overlap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "message.h"

/* image2 looks for the first frame among these numbers, as FFmpeg's
 * start_number_range default says, then reads on until a number is missing. */
#define IMAGE2_FIRST_NUMBERS 5
/* Two patterns in one directory are compared number by number up to here;
 * a collision beyond it is still refused, exactly, when the outputs are
 * committed. A pattern in a directory name is followed for fewer numbers. */
#define PATTERN_OVERLAP_LIMIT 1000000
#define DIR_PATTERN_LIMIT 1000

typedef enum TargetKind { TARGET_NONE, TARGET_FILE, TARGET_SEQUENCE, TARGET_DIR_SEQUENCE } TargetKind;

/* One output as it lands on disk. */
typedef struct Target {
    const NamedOutput *named;
    TargetKind kind;
    char *canonical;  /* FILE: the file; SEQUENCE: its directory */
    const char *base; /* SEQUENCE: the pattern of the names in that directory */
    int exists;       /* FILE: it exists, and id is its identity */
    FileId id;
    FileIdSet members; /* SEQUENCE: the files on disk its pattern names */
    char **names;      /* DIR_SEQUENCE: canonical names of numbers 1..count */
    size_t count;
} Target;

/* The input as the demuxer will open it: "file:" is FFmpeg's own spelling
 * of a local file; other protocols read nothing from this disk. */
static const char *local_input(const char *input)
{
    if (!strncmp(input, "file:", 5))
        return input + 5;
    return strstr(input, "://") ? NULL : input;
}

int overlap_input_files(const char *input, FileIdSet *files, char *err, size_t errlen)
{
    FileId id;
    if (!strcmp(input, "-")) {
        struct stat st;
        if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
            id.dev = st.st_dev;
            id.ino = st.st_ino;
            if (fileid_set_add(files, id) < 0)
                goto nomem;
        }
        return 0;
    }
    const char *path = local_input(input);
    if (!path)
        return 0;
    if (path_file_id(path, &id))
        return fileid_set_add(files, id) < 0 ? (message_set(err, errlen, "out of memory"), -1) : 0;
    if (!path_has_pattern(path))
        return 0;
    char name[4096];
    int64_t n = 0;
    for (; n < IMAGE2_FIRST_NUMBERS; n++)
        if (path_pattern_name(name, sizeof(name), path, n) == 0 && path_file_id(name, &id))
            break;
    for (; path_pattern_name(name, sizeof(name), path, n) == 0 && path_file_id(name, &id); n++)
        if (fileid_set_add(files, id) < 0)
            goto nomem;
    return 0;
nomem:
    message_set(err, errlen, "out of memory");
    return -1;
}

/* Every file in dir whose name the pattern base gives for a number >= 1. */
static int collect_members(Target *t)
{
    DIR *d = opendir(t->canonical);
    if (!d)
        return 0; /* a directory that does not exist yet holds nothing */
    struct dirent *e;
    char path[8192];
    int ret = 0;
    while (ret == 0 && (e = readdir(d)) != NULL) {
        if (!path_pattern_matches(t->base, e->d_name, 1))
            continue;
        FileId id;
        snprintf(path, sizeof(path), "%s/%s", t->canonical, e->d_name);
        if (path_file_id(path, &id))
            ret = fileid_set_add(&t->members, id);
    }
    closedir(d);
    return ret;
}

static int resolve_target(Target *t, const NamedOutput *named)
{
    memset(t, 0, sizeof(*t));
    t->named = named;
    const char *path = named->path;
    if (!path || !strcmp(path, "null") || path_is_special(path))
        return 0;
    if (!path_has_pattern(path)) {
        t->kind = TARGET_FILE;
        t->exists = path_file_id(path, &t->id);
        return (t->canonical = path_canonical(path)) ? 0 : -1;
    }
    char *dir = path_dir(path);
    if (!dir)
        return -1;
    if (!path_has_pattern(dir)) {
        t->kind = TARGET_SEQUENCE;
        t->base = path_base(path);
        t->canonical = path_canonical(dir);
        free(dir);
        return t->canonical ? collect_members(t) : -1;
    }
    free(dir);
    /* The number is in a directory name: follow the first numbers. */
    t->kind = TARGET_DIR_SEQUENCE;
    if (!(t->names = calloc(DIR_PATTERN_LIMIT, sizeof(*t->names))))
        return -1;
    char name[4096];
    for (int64_t n = 1; n <= DIR_PATTERN_LIMIT; n++) {
        if (path_pattern_name(name, sizeof(name), path, n) < 0)
            break;
        FileId id;
        if ((path_file_id(name, &id) && fileid_set_add(&t->members, id) < 0) ||
            !(t->names[t->count] = path_canonical(name)))
            return -1;
        t->count++;
    }
    return 0;
}

static void free_target(Target *t)
{
    free(t->canonical);
    for (size_t i = 0; i < t->count; i++)
        free(t->names[i]);
    free(t->names);
    fileid_set_free(&t->members);
}

/* Whether the canonical name is one that t writes. */
static int target_writes(const Target *t, const char *name)
{
    switch (t->kind) {
    case TARGET_FILE:
        return !strcmp(t->canonical, name);
    case TARGET_SEQUENCE: {
        const char *base = path_base(name);
        size_t dlen = (size_t)(base - name) - 1;
        if (base == name + 1) /* in the root directory */
            dlen = 1;
        return strlen(t->canonical) == dlen && !strncmp(t->canonical, name, dlen) &&
               path_pattern_matches(t->base, base, 1);
    }
    case TARGET_DIR_SEQUENCE:
        for (size_t i = 0; i < t->count; i++)
            if (!strcmp(t->names[i], name))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* Whether a and b write a common file; example receives one such name. */
static int targets_collide(Target *a, Target *b, char *example, size_t size)
{
    if (a->kind == TARGET_NONE || b->kind == TARGET_NONE)
        return 0;
    if (b->kind == TARGET_FILE || (a->kind != TARGET_FILE && b->kind == TARGET_DIR_SEQUENCE)) {
        Target *t = a;
        a = b;
        b = t;
    }
    /* Now a is a FILE, or a DIR_SEQUENCE and b a SEQUENCE, or both SEQUENCE. */
    if (a->kind == TARGET_FILE) {
        FileId id;
        int linked = b->kind == TARGET_FILE ? b->exists && a->exists && !memcmp(&a->id, &b->id, sizeof(id))
                                            : a->exists && fileid_set_contains(&b->members, a->id);
        if (linked || target_writes(b, a->canonical)) {
            if (b->kind != TARGET_FILE)
                snprintf(example, size, "%s", a->named->path);
            return 1;
        }
        return 0;
    }
    if (a->kind == TARGET_DIR_SEQUENCE) {
        for (size_t i = 0; i < a->count; i++) {
            if (target_writes(b, a->names[i])) {
                snprintf(example, size, "%s", a->names[i]);
                return 1;
            }
        }
        return 0;
    }
    int64_t n;
    if (!strcmp(a->canonical, b->canonical) &&
        path_patterns_overlap(a->base, b->base, PATTERN_OVERLAP_LIMIT, &n)) {
        char name[4096];
        path_pattern_name(name, sizeof(name), a->named->path, n);
        snprintf(example, size, "%s", name);
        return 1;
    }
    for (size_t i = 0; i < a->members.count; i++) {
        if (fileid_set_contains(&b->members, a->members.ids[i])) {
            snprintf(example, size, "a file both patterns name through a link");
            return 1;
        }
    }
    return 0;
}

/* The first name of t that is one of the input's files, into example. */
static int target_replaces_input(Target *t, FileIdSet *input_files, char *example, size_t size)
{
    if (t->kind == TARGET_FILE)
        return t->exists && fileid_set_contains(input_files, t->id);
    if (t->kind == TARGET_NONE)
        return 0;
    for (size_t i = 0; i < t->members.count; i++) {
        if (fileid_set_contains(input_files, t->members.ids[i])) {
            snprintf(example, size, "a file it names");
            /* Find the name again for the message. */
            if (t->kind == TARGET_SEQUENCE) {
                DIR *d = opendir(t->canonical);
                struct dirent *e;
                while (d && (e = readdir(d)) != NULL) {
                    char path[8192];
                    FileId id;
                    snprintf(path, sizeof(path), "%s/%s", t->canonical, e->d_name);
                    if (path_pattern_matches(t->base, e->d_name, 1) && path_file_id(path, &id) &&
                        !memcmp(&id, &t->members.ids[i], sizeof(id))) {
                        snprintf(example, size, "%s", path);
                        break;
                    }
                }
                if (d)
                    closedir(d);
            }
            return 1;
        }
    }
    return 0;
}

/* Resolves every output; NULL (with err) on failure. */
static Target *resolve_all(const NamedOutput *outputs, int count, char *err, size_t errlen)
{
    Target *targets = calloc((size_t)count, sizeof(*targets));
    if (!targets) {
        message_set(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < count; i++) {
        if (resolve_target(&targets[i], &outputs[i]) < 0) {
            message_set(err, errlen, "%s %s: cannot resolve the name (too long, or out of memory)",
                        outputs[i].option, outputs[i].path);
            for (int j = 0; j <= i; j++)
                free_target(&targets[j]);
            free(targets);
            return NULL;
        }
    }
    return targets;
}

static void free_all(Target *targets, int count)
{
    for (int i = 0; i < count; i++)
        free_target(&targets[i]);
    free(targets);
}

int overlap_check_reads(FileIdSet *files, const char *what, const char *name,
                        const NamedOutput *outputs, int count, char *err, size_t errlen)
{
    Target *targets = resolve_all(outputs, count, err, errlen);
    if (!targets)
        return -1;
    int ret = 0;
    char example[8192];
    for (int i = 0; i < count && ret == 0; i++) {
        Target *t = &targets[i];
        example[0] = '\0';
        if (target_replaces_input(t, files, example, sizeof(example))) {
            if (t->kind == TARGET_FILE)
                message_set(err, errlen, "%s %s: that is the %s (%s); choose another name",
                            t->named->option, t->named->path, what, name);
            else
                message_set(err, errlen, "%s %s: it would write over the %s (%s is %s); "
                            "choose another name", t->named->option, t->named->path, what,
                            example, name);
            ret = -1;
        }
    }
    free_all(targets, count);
    return ret;
}

int overlap_check_outputs(const NamedOutput *outputs, int count, char *err, size_t errlen)
{
    Target *targets = resolve_all(outputs, count, err, errlen);
    if (!targets)
        return -1;
    int ret = 0;
    char example[8192];
    for (int i = 0; i < count && ret == 0; i++) {
        for (int j = i + 1; j < count && ret == 0; j++) {
            example[0] = '\0';
            if (!targets_collide(&targets[i], &targets[j], example, sizeof(example)))
                continue;
            if (example[0])
                message_set(err, errlen, "%s %s and %s %s would write the same file (%s); "
                            "choose different names", outputs[i].option, outputs[i].path,
                            outputs[j].option, outputs[j].path, example);
            else
                message_set(err, errlen, "%s %s and %s %s are the same file; choose different "
                            "names", outputs[i].option, outputs[i].path, outputs[j].option,
                            outputs[j].path);
            ret = -1;
        }
    }
    free_all(targets, count);
    return ret;
}
