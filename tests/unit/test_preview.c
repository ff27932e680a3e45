/*
 * What the preview's keys choose (tools/preview_pick.c), without a window:
 * picture names, the next and previous picture of a folder made here, the
 * colour cycle, the blur steps, the next method.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backdrop/backdrop.h"
#include "preview_pick.h"
#include "suites.h"

static int test_preview_pick_picture_names(void)
{
    const char *yes[] = { "a.jpg", "a.JPEG", "b.png", "c.webp", "d.BMP", "e.tif", "f.tiff", "dir/x.png", "a.b.png" };
    const char *no[] = { "a.txt", "png", ".png", "a.png.txt", "a.", "a", "dir.png/x", "a.mp4", "a.gif" };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        CHECK(pick_is_picture_name(yes[i]), "'%s' is a picture's name", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        CHECK(!pick_is_picture_name(no[i]), "'%s' is not a picture's name", no[i]);
    return UNIT_PASS;
}

static void remove_tree(void *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (const char *)dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", (const char *)dir);
    free(dir);
}

static int touch(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* pick_picture(current, dir, step) gives expected. */
static int picks(const char *current, const char *dir, int step, const char *expected)
{
    char out[1024], err[1024];
    CHECK(pick_picture(current, dir, step, out, sizeof(out), err, sizeof(err)) == 0,
          "from '%s' (dir %s) by %d: refused: %s", current ? current : "(none)", dir ? dir : "(none)", step, err);
    CHECK(!strcmp(out, expected), "from '%s' (dir %s) by %d: '%s', expected '%s'", current ? current : "(none)",
          dir ? dir : "(none)", step, out, expected);
    return UNIT_PASS;
}

static int refuses(const char *current, const char *dir, const char *expected)
{
    char out[1024], err[1024];
    CHECK(pick_picture(current, dir, 1, out, sizeof(out), err, sizeof(err)) == -1, "from '%s': '%s' accepted",
          current ? current : "(none)", out);
    CHECK(strstr(err, expected) && !strchr(err, '\n'), "from '%s': message '%s' does not say '%s'",
          current ? current : "(none)", err, expected);
    return UNIT_PASS;
}

static int test_preview_pick_folder(void)
{
    char tmpl[] = "/tmp/bdpick-XXXXXX";
    CHECK(mkdtemp(tmpl), "mkdtemp");
    char *dir = strdup(tmpl);
    CHECK(dir, "out of memory");
    unit_defer(remove_tree, dir);
    char pics[600], empty[600], sub[600];
    snprintf(pics, sizeof(pics), "%s/pics", dir);
    snprintf(empty, sizeof(empty), "%s/empty", dir);
    snprintf(sub, sizeof(sub), "%s/pics/sub.png", dir);
    CHECK(mkdir(pics, 0755) == 0 && mkdir(empty, 0755) == 0 && mkdir(sub, 0755) == 0, "mkdir");
    /* Sorted by bytes: C.PNG < a.jpg < b.png; the rest is skipped. */
    const char *files[] = { "b.png", "a.jpg", "C.PNG", "notes.txt", ".hidden.png", "clip.mp4" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        CHECK(touch(pics, files[i]) == 0, "cannot make %s", files[i]);
    char cur[700], want[700];
#define P(name) (snprintf(cur, sizeof(cur), "%s/%s", pics, name), cur)
#define W(name) (snprintf(want, sizeof(want), "%s/%s", pics, name), want)
    TRY(picks(P("a.jpg"), NULL, 1, W("b.png")));
    TRY(picks(P("b.png"), NULL, 1, W("C.PNG")));   /* wraps */
    TRY(picks(P("C.PNG"), NULL, -1, W("b.png")));  /* wraps back */
    TRY(picks(P("b.png"), NULL, -1, W("a.jpg")));
    /* A picture not (or no longer) there: its neighbours by name. */
    TRY(picks(P("aa.png"), NULL, 1, W("b.png")));
    TRY(picks(P("aa.png"), NULL, -1, W("a.jpg")));
    /* Not a picture: the folder given, from its first or last picture. */
    TRY(picks("blue", pics, 1, W("C.PNG")));
    TRY(picks(NULL, pics, -1, W("b.png")));
    TRY(picks(P("clip.mp4"), pics, 1, W("C.PNG")));
    char slash[700];
    snprintf(slash, sizeof(slash), "%s/", pics);
    TRY(picks("blur:20", slash, 1, W("C.PNG"))); /* one '/' between */
#undef P
#undef W
    TRY(refuses("blue", NULL, "--backgrounds"));
    TRY(refuses(NULL, empty, "no pictures"));
    snprintf(cur, sizeof(cur), "%s/gone", dir);
    TRY(refuses(NULL, cur, "cannot list the folder"));
    /* The path does not fit: refused, never cut. */
    char out[8], err[256];
    snprintf(cur, sizeof(cur), "%s/pics/a.jpg", dir);
    CHECK(pick_picture(cur, NULL, 1, out, sizeof(out), err, sizeof(err)) == -1 && strstr(err, "too long"),
          "a path longer than out accepted");
    /* Relative: the directory part kept as given. */
    char home[1024];
    CHECK(getcwd(home, sizeof(home)), "getcwd");
    CHECK(chdir(pics) == 0, "chdir");
    int ret = picks("a.jpg", NULL, 1, "b.png");
    if (ret == UNIT_PASS)
        ret = picks("../pics/a.jpg", NULL, -1, "../pics/C.PNG");
    CHECK(chdir(home) == 0, "chdir back");
    return ret;
}

static int test_preview_pick_colour_blur_method(void)
{
    const char *cycle[] = { "green", "blue", "black", "white", "gray", "green" };
    for (int i = 0; i < 5; i++)
        CHECK(!strcmp(pick_colour(cycle[i]), cycle[i + 1]), "after %s: %s", cycle[i], pick_colour(cycle[i]));
    CHECK(!strcmp(pick_colour("BLUE"), "black"), "case");
    CHECK(!strcmp(pick_colour(NULL), "green") && !strcmp(pick_colour("red"), "green") &&
          !strcmp(pick_colour("pics/a.png"), "green"), "not in the cycle: green");

    /* Automatic at 480 lines is 20 px. */
    CHECK(pick_blur(0, 480, 1) == 30.0, "up from automatic: %g", pick_blur(0, 480, 1));
    CHECK(pick_blur(30, 480, 0) == 20.0, "down from 30: %g", pick_blur(30, 480, 0));
    CHECK(pick_blur(10, 480, 1) == 15.0, "up from 10: %g", pick_blur(10, 480, 1));
    CHECK(pick_blur(900, 480, 1) == 1000.0 && pick_blur(1.2, 480, 0) == 1.0, "limits");
    CHECK(pick_blur(7, 480, 0) == 4.7, "a tenth: %g", pick_blur(7, 480, 0));

    /* The methods other than external, each once around the cycle. */
    const char *first = pick_method(NULL), *m = first;
    CHECK(first && backdrop_method_name(0), "no method");
    int n = 0, methods = 0;
    for (int i = 0; backdrop_method_name(i); i++)
        methods += strcmp(backdrop_method_name(i), "external") != 0;
    do {
        CHECK(strcmp(m, "external"), "external offered");
        m = pick_method(m);
        n++;
    } while (strcmp(m, first) && n <= methods);
    CHECK_INT(n, methods);
    CHECK(!strcmp(pick_method("nonsense"), first), "an unknown method: the first");
    return UNIT_PASS;
}

const UnitTest preview_tests[] = {
    UNIT_TEST(preview_pick_picture_names),
    UNIT_TEST(preview_pick_folder),
    UNIT_TEST(preview_pick_colour_blur_method),
    UNIT_TESTS_END
};
