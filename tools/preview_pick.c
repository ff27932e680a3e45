/* What the preview's keys choose; see preview_pick.h. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "backdrop/backdrop.h"
#include "message.h"
#include "preview_pick.h"

int pick_is_picture_name(const char *name)
{
    static const char *const extensions[] = { "jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff" };
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || strchr(dot, '/'))
        return 0;
    for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
        if (!strcasecmp(dot + 1, extensions[i]))
            return 1;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The picture files of folder (its path: "" is the current directory) in
 * *names, sorted; their count, or -1 with err. */
static int list_pictures(const char *folder, char ***names, char *err, size_t errlen)
{
    const char *open_as = folder[0] ? folder : ".";
    DIR *d = opendir(open_as);
    if (!d) {
        message_set(err, errlen, "%s: cannot list the folder: %s", open_as, strerror(errno));
        return -1;
    }
    char **list = NULL, path[4096];
    int count = 0, room = 0, ok = 1;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.' || !pick_is_picture_name(e->d_name))
            continue;
        /* A directory or a device called x.png is no picture. */
        if ((size_t)snprintf(path, sizeof(path), "%s%s", folder, e->d_name) >= sizeof(path) ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (count == room) {
            room = room ? 2 * room : 16;
            char **grown = realloc(list, (size_t)room * sizeof(*list));
            ok = grown != NULL;
            if (ok)
                list = grown;
        }
        if (ok && !(list[count] = strdup(e->d_name)))
            ok = 0;
        else if (ok)
            count++;
    }
    closedir(d);
    if (!ok) {
        for (int i = 0; i < count; i++)
            free(list[i]);
        free(list);
        message_set(err, errlen, "out of memory");
        return -1;
    }
    if (count)
        qsort(list, (size_t)count, sizeof(*list), by_name);
    *names = list;
    return count;
}

int pick_picture(const char *current, const char *dir, int step, char *out, size_t outlen, char *err,
                 size_t errlen)
{
    /* folder: the directory part with its '/' ("" for the current
     * directory); base: current's name in it, or NULL. */
    char folder[4096];
    const char *base = NULL;
    if (current && pick_is_picture_name(current)) {
        const char *slash = strrchr(current, '/');
        size_t len = slash ? (size_t)(slash - current) + 1 : 0;
        if (len >= sizeof(folder)) {
            message_set(err, errlen, "%s: the path is too long", current);
            return -1;
        }
        memcpy(folder, current, len);
        folder[len] = '\0';
        base = current + len;
    } else if (dir) {
        size_t len = strlen(dir);
        if ((size_t)snprintf(folder, sizeof(folder), "%s%s", dir, len && dir[len - 1] == '/' ? "" : "/") >=
            sizeof(folder)) {
            message_set(err, errlen, "%s: the path is too long", dir);
            return -1;
        }
    } else {
        message_set(err, errlen, "the background is not a picture and no --backgrounds DIR was given: "
                    "no folder of pictures to step through");
        return -1;
    }
    char **names = NULL;
    int count = list_pictures(folder, &names, err, errlen);
    if (count < 0)
        return -1;
    int ret = -1;
    if (count == 0) {
        message_set(err, errlen, "%s: no pictures (jpg, jpeg, png, webp, bmp, tif) in the folder",
                    folder[0] ? folder : "./");
    } else {
        /* Where current stands in the sorted list: its index, or where it
         * would be inserted (so that a name not there steps to its
         * neighbours); without one, before the first. */
        int at = -1, found = 0;
        if (base) {
            at = 0;
            while (at < count && strcmp(names[at], base) < 0)
                at++;
            found = at < count && !strcmp(names[at], base);
        }
        int pick;
        if (step > 0)
            pick = base ? (found ? at + 1 : at) % count : 0;
        else
            pick = base ? (at - 1 + count) % count : count - 1;
        if ((size_t)snprintf(out, outlen, "%s%s", folder, names[pick]) >= outlen)
            message_set(err, errlen, "%s%s: the path is too long", folder, names[pick]);
        else
            ret = 0;
    }
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return ret;
}

const char *pick_colour(const char *current)
{
    static const char *const cycle[] = { "green", "blue", "black", "white", "gray" };
    const size_t n = sizeof(cycle) / sizeof(cycle[0]);
    for (size_t i = 0; current && i < n; i++)
        if (!strcasecmp(current, cycle[i]))
            return cycle[(i + 1) % n];
    return cycle[0];
}

double pick_blur(double strength, int height, int up)
{
    double s = strength > 0 ? strength : height / 24.0;
    s = up ? s * 1.5 : s / 1.5;
    s = round(s * 10.0) / 10.0;
    return s < 1.0 ? 1.0 : s > 1000.0 ? 1000.0 : s;
}

/* Whether method name takes its matte from the caller. */
static int takes_matte(const char *name)
{
    const BackdropComponent *c;
    for (int i = 0; (c = backdrop_component(i)); i++)
        if (c->kind == BACKDROP_COMPONENT_METHOD && !strcmp(c->name, name))
            return (c->flags & BACKDROP_COMPONENT_MATTE_INPUT) != 0;
    return 0;
}

const char *pick_method(const char *current)
{
    const char *first = NULL, *m;
    int after = 0;
    for (int i = 0; (m = backdrop_method_name(i)); i++) {
        if (takes_matte(m))
            continue;
        if (after)
            return m;
        if (!first)
            first = m;
        after = current && !strcmp(m, current);
    }
    return first ? first : current;
}
