/* What a name refers to on disk; see paths.h. */
#include "paths.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>

int path_file_id(const char *path, FileId *id)
{
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return 0;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    return 1;
}

static int compare_ids(const void *a, const void *b)
{
    const FileId *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return 0;
}

int fileid_set_add(FileIdSet *set, FileId id)
{
    if (set->count == set->capacity) {
        size_t cap = set->capacity ? 2 * set->capacity : 16;
        FileId *ids = realloc(set->ids, cap * sizeof(*ids));
        if (!ids)
            return -1;
        set->ids = ids;
        set->capacity = cap;
    }
    set->ids[set->count++] = id;
    set->sorted = 0;
    return 0;
}

int fileid_set_contains(FileIdSet *set, FileId id)
{
    if (!set->count)
        return 0;
    if (!set->sorted) {
        qsort(set->ids, set->count, sizeof(*set->ids), compare_ids);
        set->sorted = 1;
    }
    return bsearch(&id, set->ids, set->count, sizeof(*set->ids), compare_ids) != NULL;
}

void fileid_set_free(FileIdSet *set)
{
    free(set->ids);
    memset(set, 0, sizeof(*set));
}

char *path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

const char *path_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Appends the components of rest to buf (an absolute, resolved directory),
 * resolving "." and ".." by the letters: nothing below buf exists, so there
 * is no link to follow. 0, or -1 when the result does not fit. */
static int append_lexically(char *buf, size_t size, const char *rest)
{
    size_t len = strlen(buf);
    while (*rest) {
        size_t n = strcspn(rest, "/");
        if (n == 0 || (n == 1 && rest[0] == '.')) {
            /* empty or "." */
        } else if (n == 2 && rest[0] == '.' && rest[1] == '.') {
            char *slash = strrchr(buf, '/');
            len = slash && slash != buf ? (size_t)(slash - buf) : 1;
            buf[len] = '\0';
        } else {
            int need_slash = len > 1;
            if (len + need_slash + n + 1 > size)
                return -1;
            if (need_slash)
                buf[len++] = '/';
            memcpy(buf + len, rest, n);
            len += n;
            buf[len] = '\0';
        }
        rest += n;
        while (*rest == '/')
            rest++;
    }
    return 0;
}

char *path_canonical(const char *path)
{
    char abs[PATH_MAX];
    if (!path || !*path)
        return NULL;
    if (path[0] == '/') {
        if (strlen(path) >= sizeof(abs))
            return NULL;
        strcpy(abs, path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)) ||
            snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= (int)sizeof(abs))
            return NULL;
    }
    /* Cut components off the end until the rest exists; realpath resolves
     * that part, the cut part is appended by the letters. */
    size_t len = strlen(abs);
    for (;;) {
        char saved = abs[len];
        abs[len] = '\0';
        char *resolved = realpath(len ? abs : "/", NULL);
        abs[len] = saved;
        if (resolved) {
            char out[PATH_MAX];
            size_t rlen = strlen(resolved);
            if (rlen >= sizeof(out)) {
                free(resolved);
                return NULL;
            }
            memcpy(out, resolved, rlen + 1);
            free(resolved);
            if (append_lexically(out, sizeof(out), abs + len) < 0)
                return NULL;
            return strdup(out);
        }
        if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
            return NULL;
        if (len == 0)
            return NULL;
        /* Drop the last component (and the slashes before it). */
        while (len > 0 && abs[len - 1] == '/')
            len--;
        while (len > 0 && abs[len - 1] != '/')
            len--;
        while (len > 1 && abs[len - 1] == '/')
            len--;
    }
}

/* The pattern split where the number goes: what comes before and after it
 * (with "%%" turned into '%') and the zero-padded width. */
typedef struct PatternParts {
    char prefix[PATH_MAX], suffix[PATH_MAX];
    int width;
} PatternParts;

/* Follows av_get_frame_filename2(): after '%', digits give the width (more
 * digits may follow a further run), then 'd' is the number and '%' a literal
 * percent sign; anything else, or a second number, makes it invalid. */
static int split_pattern(const char *pattern, PatternParts *p)
{
    char *out = p->prefix;
    size_t len = 0;
    int found = 0;
    for (const char *s = pattern; *s; s++) {
        char c = *s;
        if (c == '%') {
            int width;
            do {
                width = 0;
                while (*++s >= '0' && *s <= '9') {
                    if (width > INT_MAX / 10 - 255)
                        return -1;
                    width = width * 10 + (*s - '0');
                }
                c = *s;
            } while (c >= '0' && c <= '9');
            if (c == 'd') {
                /* A wider number makes a name no file system takes. */
                if (found || width > NAME_MAX)
                    return -1;
                found = 1;
                out[len] = '\0';
                p->width = width;
                out = p->suffix;
                len = 0;
                continue;
            }
            if (c != '%')
                return -1;
        }
        if (len + 1 >= PATH_MAX)
            return -1;
        out[len++] = c;
    }
    out[len] = '\0';
    return found ? 0 : -1;
}

int path_has_pattern(const char *s)
{
    PatternParts *p = malloc(sizeof(*p));
    int ok = p && split_pattern(s, p) == 0;
    free(p);
    return ok;
}

int path_pattern_name(char *buf, size_t size, const char *pattern, int64_t n)
{
    if (n < 0 || n > INT_MAX)
        return -1;
    return av_get_frame_filename2(buf, (int)size, pattern, (int)n, 0) < 0 ? -1 : 0;
}

/* Whether name is p's name for a number >= min_number. */
static int parts_match(const PatternParts *p, const char *name, int64_t min_number)
{
    size_t nlen = strlen(name), plen = strlen(p->prefix), slen = strlen(p->suffix);
    if (nlen <= plen + slen || strncmp(name, p->prefix, plen) || strcmp(name + nlen - slen, p->suffix))
        return 0;
    const char *digits = name + plen;
    size_t dlen = nlen - plen - slen;
    if (dlen > 10)
        return 0;
    int64_t number = 0;
    for (size_t i = 0; i < dlen; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return 0;
        number = number * 10 + (digits[i] - '0');
    }
    /* The name must be exactly how the number is written. */
    char written[32];
    snprintf(written, sizeof(written), "%0*" PRId64, p->width, number);
    return number >= min_number && number <= INT_MAX && strlen(written) == dlen &&
           !memcmp(written, digits, dlen);
}

int path_pattern_matches(const char *pattern, const char *name, int64_t min_number)
{
    PatternParts *p = malloc(sizeof(*p));
    int match = p && split_pattern(pattern, p) == 0 && parts_match(p, name, min_number);
    free(p);
    return match;
}

/* Whether the texts agree where both have letters: a and b must share their
 * first min(len) bytes (from the end when from_end); the longer one's extra
 * bytes stand where the other pattern has digits, so they must be digits. */
static int fixed_parts_agree(const char *a, const char *b, int from_end)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
    const char *longer = la > lb ? a : b;
    size_t extra = la > lb ? la - lb : lb - la;
    if (from_end ? memcmp(a + la - n, b + lb - n, n) : memcmp(a, b, n))
        return 0;
    const char *rest = from_end ? longer : longer + n;
    for (size_t i = 0; i < extra; i++)
        if (rest[i] < '0' || rest[i] > '9')
            return 0;
    return 1;
}

int path_patterns_overlap(const char *a, const char *b, int64_t limit, int64_t *number)
{
    PatternParts *pa = malloc(sizeof(*pa)), *pb = malloc(sizeof(*pb));
    int found = 0;
    if (pa && pb && split_pattern(a, pa) == 0 && split_pattern(b, pb) == 0 &&
        fixed_parts_agree(pa->prefix, pb->prefix, 0) && fixed_parts_agree(pa->suffix, pb->suffix, 1)) {
        /* The letters allow it: try the numbers. */
        char name[2 * PATH_MAX + 32];
        for (int64_t n = 1; n <= limit && n <= INT_MAX && !found; n++) {
            snprintf(name, sizeof(name), "%s%0*" PRId64 "%s", pa->prefix, pa->width, n, pa->suffix);
            if (parts_match(pb, name, 1)) {
                found = 1;
                *number = n;
            }
        }
    }
    free(pa);
    free(pb);
    return found;
}

/* The descriptor of this process that a name stands for (/dev/stdout,
 * /dev/fd/N, /proc/self/fd/N), -2 for another process's descriptor
 * (/proc/PID/fd/N), or -1. */
static int descriptor_named(const char *path)
{
    static const char *const standard[] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };
    for (int i = 0; i < 3; i++)
        if (!strcmp(path, standard[i]))
            return i;
    const char *number = NULL;
    if (!strncmp(path, "/dev/fd/", 8))
        number = path + 8;
    else if (!strncmp(path, "/proc/self/fd/", 14))
        number = path + 14;
    else if (!strncmp(path, "/proc/thread-self/fd/", 21))
        number = path + 21;
    else if (!strncmp(path, "/proc/", 6)) {
        const char *fd = strstr(path + 6, "/fd/");
        return fd != NULL && strchr(path + 6, '/') == fd ? -2 : -1;
    }
    if (!number || !*number || strlen(number) > 9 || strspn(number, "0123456789") != strlen(number))
        return -1;
    return atoi(number);
}

/* Follows path's links one at a time (as the kernel would, up to its limit)
 * and says what it reaches: 1 for a special file, with *fd set when a name
 * on the way stands for a descriptor; 0 for a regular file, a directory or
 * nothing. */
static int classify(const char *path, int *fd)
{
    char cur[PATH_MAX];
    *fd = -1;
    if (strlen(path) >= sizeof(cur))
        return 0;
    strcpy(cur, path);
    for (int hops = 0; hops < 40; hops++) {
        if ((*fd = descriptor_named(cur)) != -1)
            return 1;
        struct stat st;
        if (lstat(cur, &st) != 0)
            return 0;
        if (!S_ISLNK(st.st_mode))
            return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof(target) - 1);
        if (n < 0)
            return 0;
        target[n] = '\0';
        if (target[0] == '/') {
            strcpy(cur, target);
        } else {
            char *dir = path_dir(cur);
            int fits = dir && snprintf(cur, sizeof(cur), "%s/%s", dir, target) < (int)sizeof(cur);
            free(dir);
            if (!fits)
                return 0;
        }
    }
    return 0;
}

int path_is_special(const char *path)
{
    int fd;
    return !path || !strcmp(path, "-") || classify(path, &fd);
}

int path_descriptor(const char *path)
{
    int fd;
    if (!strcmp(path, "-"))
        return STDOUT_FILENO;
    return classify(path, &fd) && fd >= 0 ? fd : -1;
}

int path_replace(const char *tmp, const char *name)
{
    struct stat st;
    if (stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
        if (chmod(tmp, st.st_mode & 07777) != 0)
            return -errno;
        if (geteuid() == 0 && chown(tmp, st.st_uid, st.st_gid) != 0)
            return -errno;
    }
    return rename(tmp, name) == 0 ? 0 : -errno;
}

char *path_rename_target(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return path_canonical(path);
    return strdup(path);
}
