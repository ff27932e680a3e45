/* The preview window (--preview): see preview.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"
#include "options.h"
#include "preview.h"
#include "preview_pick.h"

#if BD_HAVE_SDL2

#include <SDL.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

/* The window's largest first size (frames are scaled down to fit, their
 * aspect kept; the user may resize it). */
#define MAX_WINDOW_W 1280
#define MAX_WINDOW_H 800
#define TITLE_PERIOD 0.25   /* seconds between title updates, at least */
#define MESSAGE_SECONDS 3.0 /* a refusal stays in the title this long */
#define LATENCY_RING 32     /* the title's latency: median of the last frames' */
#define CHECKER_CELL 16     /* pixels of the frame */
#define MAX_TEST_KEYS 64

typedef struct TestKey {
    long long after;        /* pushed once this many frames were shown */
    char name[8];           /* a character, or space/esc/left/right/close */
} TestKey;

struct Preview {
    SDL_Window *window;
    SDL_Renderer *renderer;
    /* Made for the frames' geometry (width x height, format): the frames'
     * texture, the checkerboard under frames with alpha, and for a format
     * without a texture of its own a conversion to RGBA (its buffer). */
    SDL_Texture *texture, *checker;
    struct SwsContext *sws;
    uint8_t *rgba[4];
    int rgba_stride[4];
    int width, height, format; /* format -1: no frame yet */
    long long shown;           /* frames shown */
    /* The title: fps over the last second or so, latency's median. */
    double started, title_at, fps_at, fps;
    long long fps_shown;
    float latency[LATENCY_RING];
    int latency_count, latency_next;
    char message[256];
    double message_until;
    /* What the keys step from: the background last taken (-b at first). */
    char background[CONTROL_LINE_MAX + 1];
    int has_background;
    char *dir;                 /* --backgrounds, or NULL */
    /* Test hooks. */
    TestKey keys[MAX_TEST_KEYS];
    int key_count, key_next;
    char *dump;
};

int preview_available(void)
{
    return 1;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* BACKDROP_TEST_PREVIEW_KEYS: "N:KEY,N:KEY,...". -1 with err when malformed. */
static int parse_test_keys(Preview *p, const char *spec, char *err, size_t errlen)
{
    const char *s = spec;
    while (*s) {
        char *end;
        long long n = strtoll(s, &end, 10);
        size_t len = end[0] == ':' ? strcspn(end + 1, ",") : 0;
        if (end == s || n < 0 || !len || len >= sizeof(p->keys[0].name) || p->key_count == MAX_TEST_KEYS) {
            message_set(err, errlen, "BACKDROP_TEST_PREVIEW_KEYS: '%s' is not N:KEY,N:KEY,... (at most %d)", spec,
                        MAX_TEST_KEYS);
            return -1;
        }
        TestKey *k = &p->keys[p->key_count++];
        k->after = n;
        memcpy(k->name, end + 1, len);
        k->name[len] = '\0';
        s = end + 1 + len;
        if (*s == ',')
            s++;
    }
    return 0;
}

int preview_open(Preview **pp, const char *dir, const char *background, char *err, size_t errlen)
{
    Preview *p = calloc(1, sizeof(*p));
    if (!p || (dir && !(p->dir = strdup(dir)))) {
        free(p);
        message_set(err, errlen, "out of memory");
        return -1;
    }
    *pp = p;
    p->format = -1;
    if (background && strlen(background) < sizeof(p->background)) {
        strcpy(p->background, background);
        p->has_background = 1;
    }
    const char *keys = getenv("BACKDROP_TEST_PREVIEW_KEYS"), *dump = getenv("BACKDROP_TEST_PREVIEW_DUMP");
    if (keys && parse_test_keys(p, keys, err, errlen) < 0)
        return -1;
    if (dump && *dump && !(p->dump = strdup(dump))) {
        message_set(err, errlen, "out of memory");
        return -1;
    }
    /* Ctrl-C and SIGTERM are backdrop's (they finish the output): SDL must
     * not take them over. No waiting for the display's refresh: the live
     * loop must never block in the preview. */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint(SDL_HINT_RENDER_VSYNC, "0");
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        message_set(err, errlen, "--preview: cannot open a window: %s; is there a display?", SDL_GetError());
        SDL_Quit();
        free(p->dir);
        free(p->dump);
        free(p);
        *pp = NULL;
        return -1;
    }
    /* Without a display SDL 2.26 falls back to drivers that draw nowhere;
     * only a driver asked for by name (the tests') is taken as one. */
    const char *driver = SDL_GetCurrentVideoDriver(), *asked = getenv("SDL_VIDEODRIVER");
    if (driver && (!strcmp(driver, "offscreen") || !strcmp(driver, "dummy")) && !(asked && *asked)) {
        message_set(err, errlen, "--preview: cannot open a window: no display found (SDL fell back to its %s "
                    "driver); is there a display?", driver);
        return -1;
    }
    p->window = SDL_CreateWindow("backdrop", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 320, 240,
                                 SDL_WINDOW_HIDDEN | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (!p->window || !(p->renderer = SDL_CreateRenderer(p->window, -1, 0))) {
        message_set(err, errlen, "--preview: cannot open a window: %s; is there a display?", SDL_GetError());
        return -1;
    }
    SDL_StartTextInput(); /* keys arrive as the text they type */
    p->started = p->fps_at = seconds_now();
    return 0;
}

/* The frames' texture format, or SDL_PIXELFORMAT_UNKNOWN for a format
 * converted to RGBA first. */
static Uint32 texture_format(int format)
{
    switch (format) {
    case AV_PIX_FMT_YUV420P: return SDL_PIXELFORMAT_IYUV;
    case AV_PIX_FMT_RGB24: return SDL_PIXELFORMAT_RGB24;
    case AV_PIX_FMT_BGR24: return SDL_PIXELFORMAT_BGR24;
    case AV_PIX_FMT_RGBA: return SDL_PIXELFORMAT_RGBA32;  /* bytes R, G, B, A */
    case AV_PIX_FMT_BGRA: return SDL_PIXELFORMAT_BGRA32;
    default: return SDL_PIXELFORMAT_UNKNOWN;
    }
}

static void free_textures(Preview *p)
{
    if (p->texture)
        SDL_DestroyTexture(p->texture);
    if (p->checker)
        SDL_DestroyTexture(p->checker);
    p->texture = p->checker = NULL;
    sws_freeContext(p->sws);
    p->sws = NULL;
    av_freep(&p->rgba[0]);
    p->format = -1;
}

/* Makes the textures for frames like f, and sizes and shows the window
 * (the first time). */
static int make_textures(Preview *p, const AVFrame *f, char *err, size_t errlen)
{
    free_textures(p);
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
    int alpha = desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA);
    Uint32 tf = texture_format(f->format);
    if (tf == SDL_PIXELFORMAT_IYUV) {
        /* SDL's YUV -> RGB as the library reads the frame (tools wrap_frame):
         * the range as tagged, BT.709 when tagged so or untagged from 720
         * lines up, else BT.601. Global in SDL: set before the texture. */
        int bt709 = f->colorspace == AVCOL_SPC_BT709 || (f->colorspace == AVCOL_SPC_UNSPECIFIED && f->height >= 720);
        SDL_SetYUVConversionMode(f->color_range == AVCOL_RANGE_JPEG ? SDL_YUV_CONVERSION_JPEG
                                 : bt709 ? SDL_YUV_CONVERSION_BT709 : SDL_YUV_CONVERSION_BT601);
    }
    if (tf == SDL_PIXELFORMAT_UNKNOWN) {
        /* Any other format (YUVA420P, grey) is converted, by buffers made
         * here, once. */
        tf = SDL_PIXELFORMAT_RGBA32;
        p->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height, AV_PIX_FMT_RGBA,
                                SWS_BILINEAR, NULL, NULL, NULL);
        if (!p->sws || av_image_alloc(p->rgba, p->rgba_stride, f->width, f->height, AV_PIX_FMT_RGBA, 32) < 0) {
            message_set(err, errlen, "--preview: cannot convert frames of %s: out of memory",
                        desc ? desc->name : "?");
            return -1;
        }
        int bt709 = f->colorspace == AVCOL_SPC_BT709 || (f->colorspace == AVCOL_SPC_UNSPECIFIED && f->height >= 720);
        const int *coeffs = sws_getCoefficients(bt709 ? SWS_CS_ITU709 : SWS_CS_ITU601);
        sws_setColorspaceDetails(p->sws, coeffs, f->color_range == AVCOL_RANGE_JPEG, coeffs, 1, 0, 1 << 16,
                                 1 << 16);
    }
    p->texture = SDL_CreateTexture(p->renderer, tf, SDL_TEXTUREACCESS_STREAMING, f->width, f->height);
    if (!p->texture)
        goto fail;
    if (alpha) {
        /* The frame blended over a checkerboard: the transparent parts show
         * as the familiar grey squares. Static, filled once. */
        uint8_t *cells = malloc((size_t)f->width * (size_t)f->height * 3);
        if (!cells) {
            message_set(err, errlen, "--preview: out of memory");
            return -1;
        }
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++)
                memset(cells + ((size_t)y * (size_t)f->width + (size_t)x) * 3,
                       ((x / CHECKER_CELL) + (y / CHECKER_CELL)) % 2 ? 0x99 : 0x66, 3);
        p->checker = SDL_CreateTexture(p->renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STATIC, f->width,
                                       f->height);
        int bad = !p->checker || SDL_UpdateTexture(p->checker, NULL, cells, f->width * 3) != 0;
        free(cells);
        if (bad || SDL_SetTextureBlendMode(p->texture, SDL_BLENDMODE_BLEND) != 0)
            goto fail;
    }
    if (SDL_RenderSetLogicalSize(p->renderer, f->width, f->height) != 0)
        goto fail;
    if (p->width == 0) {
        /* The first frame: the window at its size, scaled down to fit. */
        double scale = 1.0;
        if (f->width > MAX_WINDOW_W)
            scale = (double)MAX_WINDOW_W / f->width;
        if (f->height * scale > MAX_WINDOW_H)
            scale = (double)MAX_WINDOW_H / f->height;
        int w = (int)(f->width * scale + 0.5), h = (int)(f->height * scale + 0.5);
        SDL_SetWindowSize(p->window, w > 0 ? w : 1, h > 0 ? h : 1);
        SDL_SetWindowPosition(p->window, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
        SDL_ShowWindow(p->window);
    }
    p->width = f->width;
    p->height = f->height;
    p->format = f->format;
    return 0;
fail:
    message_set(err, errlen, "--preview: cannot draw frames of %dx%d %s: %s", f->width, f->height,
                desc ? desc->name : "?", SDL_GetError());
    return -1;
}

/* The frame into the texture: no conversion for the formats SDL has. */
static int upload(Preview *p, const AVFrame *f)
{
    if (f->format == AV_PIX_FMT_YUV420P)
        return SDL_UpdateYUVTexture(p->texture, NULL, f->data[0], f->linesize[0], f->data[1], f->linesize[1],
                                    f->data[2], f->linesize[2]);
    if (p->sws) {
        sws_scale(p->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, p->rgba, p->rgba_stride);
        return SDL_UpdateTexture(p->texture, NULL, p->rgba[0], p->rgba_stride[0]);
    }
    return SDL_UpdateTexture(p->texture, NULL, f->data[0], f->linesize[0]);
}

static int draw(Preview *p)
{
    SDL_SetRenderDrawColor(p->renderer, 0, 0, 0, 255);
    if (SDL_RenderClear(p->renderer) != 0 || (p->checker && SDL_RenderCopy(p->renderer, p->checker, NULL, NULL)) ||
        SDL_RenderCopy(p->renderer, p->texture, NULL, NULL) != 0)
        return -1;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void update_title(Preview *p, const PreviewStatus *st, double now)
{
    char title[512];
    int len = snprintf(title, sizeof(title), "backdrop: %s", st->method ? st->method : "?");
    if (p->fps > 0)
        len += snprintf(title + len, sizeof(title) - (size_t)len, " | %.1f fps", p->fps);
    if (p->latency_count) {
        float sorted[LATENCY_RING];
        memcpy(sorted, p->latency, sizeof(float) * (size_t)p->latency_count);
        qsort(sorted, (size_t)p->latency_count, sizeof(float), by_value);
        len += snprintf(title + len, sizeof(title) - (size_t)len, " | %.1f ms", sorted[p->latency_count / 2] * 1e3);
    }
    if (st->paused)
        len += snprintf(title + len, sizeof(title) - (size_t)len, " | paused");
    if (p->message[0] && now < p->message_until)
        snprintf(title + len, sizeof(title) - (size_t)len, " | %s", p->message);
    SDL_SetWindowTitle(p->window, title);
    p->title_at = now;
}

int preview_show(Preview *p, const AVFrame *f, double latency, const PreviewStatus *st, char *err, size_t errlen)
{
    if (f->width != p->width || f->height != p->height || f->format != p->format)
        if (make_textures(p, f, err, errlen) < 0)
            return -1;
    if (upload(p, f) != 0 || draw(p) != 0) {
        message_set(err, errlen, "--preview: cannot draw a frame: %s", SDL_GetError());
        return -1;
    }
    SDL_RenderPresent(p->renderer);
    p->shown++;
    p->latency[p->latency_next] = (float)latency;
    p->latency_next = (p->latency_next + 1) % LATENCY_RING;
    if (p->latency_count < LATENCY_RING)
        p->latency_count++;
    double now = seconds_now();
    if (now - p->fps_at >= 1.0 || (p->fps == 0 && now - p->fps_at >= TITLE_PERIOD)) {
        p->fps = (double)(p->shown - p->fps_shown) / (now - p->fps_at);
        if (now - p->fps_at >= 1.0) {
            p->fps_at = now;
            p->fps_shown = p->shown;
        }
    }
    if (now - p->title_at >= TITLE_PERIOD)
        update_title(p, st, now);
    return 0;
}

/* The test hook's keys due now, pushed as the events a keyboard makes. */
static void push_test_keys(Preview *p)
{
    while (p->key_next < p->key_count && p->shown >= p->keys[p->key_next].after) {
        const char *name = p->keys[p->key_next++].name;
        SDL_Event e;
        memset(&e, 0, sizeof(e));
        SDL_Keycode sym = !strcmp(name, "esc") ? SDLK_ESCAPE : !strcmp(name, "left") ? SDLK_LEFT
                        : !strcmp(name, "right") ? SDLK_RIGHT : 0;
        if (!strcmp(name, "close")) {
            e.type = SDL_WINDOWEVENT;
            e.window.event = SDL_WINDOWEVENT_CLOSE;
            e.window.windowID = SDL_GetWindowID(p->window);
        } else if (sym) {
            e.type = SDL_KEYDOWN;
            e.key.state = SDL_PRESSED;
            e.key.keysym.sym = sym;
            e.key.windowID = SDL_GetWindowID(p->window);
        } else {
            e.type = SDL_TEXTINPUT;
            e.text.windowID = SDL_GetWindowID(p->window);
            snprintf(e.text.text, sizeof(e.text.text), "%s", !strcmp(name, "space") ? " " : name);
        }
        SDL_PushEvent(&e);
    }
}

static int refuse(Preview *p, char key, char *msg, size_t msglen, const char *why)
{
    message_set(msg, msglen, "key %c: %s", key, why);
    snprintf(p->message, sizeof(p->message), "%s", msg);
    p->message_until = seconds_now() + MESSAGE_SECONDS;
    p->title_at = 0; /* shown with the next frame */
    return PREVIEW_REFUSED;
}

/* What key (a character; arrows and Esc mapped to theirs) does now:
 * PREVIEW_NONE for a key without a meaning. */
static int key_command(Preview *p, char key, const PreviewStatus *st, ControlCommand *cmd, char *msg, size_t msglen)
{
    char why[MESSAGE_MAX];
    memset(cmd, 0, sizeof(*cmd));
    switch (key) {
    case ' ':
    case 'p':
        cmd->kind = st->paused ? CONTROL_RESUME : CONTROL_PAUSE;
        return PREVIEW_COMMAND;
    case 'n':
    case 'N':
        if (pick_picture(p->has_background ? p->background : NULL, p->dir, key == 'n' ? 1 : -1, cmd->value,
                         sizeof(cmd->value), why, sizeof(why)) < 0)
            return refuse(p, key, msg, msglen, why);
        cmd->kind = CONTROL_SET_BACKGROUND;
        return PREVIEW_COMMAND;
    case 'b':
        cmd->kind = CONTROL_SET_BACKGROUND;
        snprintf(cmd->value, sizeof(cmd->value), "blur");
        return PREVIEW_COMMAND;
    case '+':
    case '=': /* '+' unshifted on many keyboards */
    case '-': {
        double s = pick_blur(st->blur ? st->blur_strength : 0, p->height, key != '-');
        /* A blur background gets the new strength; another becomes blur
         * with it. */
        cmd->kind = st->blur ? CONTROL_SET_BLUR : CONTROL_SET_BACKGROUND;
        snprintf(cmd->value, sizeof(cmd->value), st->blur ? "%.1f" : "blur:%.1f", s);
        return PREVIEW_COMMAND;
    }
    case 'c':
        cmd->kind = CONTROL_SET_BACKGROUND;
        snprintf(cmd->value, sizeof(cmd->value), "%s", pick_colour(p->has_background ? p->background : NULL));
        return PREVIEW_COMMAND;
    case 'm': {
        const char *next = pick_method(st->method);
        if (!next || (st->method && !strcmp(next, st->method)))
            return refuse(p, key, msg, msglen, "this build has no other method to switch to");
        cmd->kind = CONTROL_SET_METHOD;
        snprintf(cmd->value, sizeof(cmd->value), "%s", next);
        return PREVIEW_COMMAND;
    }
    case 'q':
        cmd->kind = CONTROL_QUIT;
        return PREVIEW_COMMAND;
    default:
        return PREVIEW_NONE;
    }
}

int preview_poll(Preview *p, const PreviewStatus *st, ControlCommand *cmd, char *msg, size_t msglen)
{
    push_test_keys(p);
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        char key = 0;
        switch (e.type) {
        case SDL_QUIT:
            key = 'q';
            break;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_CLOSE)
                key = 'q';
            break;
        case SDL_KEYDOWN:
            /* Keys that type no text; the others come as SDL_TEXTINPUT. */
            key = e.key.keysym.sym == SDLK_ESCAPE ? 'q' : e.key.keysym.sym == SDLK_RIGHT ? 'n'
                : e.key.keysym.sym == SDLK_LEFT ? 'N' : 0;
            break;
        case SDL_TEXTINPUT:
            if (e.text.text[0] > 0 && !e.text.text[1]) /* one ASCII character */
                key = e.text.text[0];
            break;
        default:
            break;
        }
        int ret = key ? key_command(p, key, st, cmd, msg, msglen) : PREVIEW_NONE;
        if (ret != PREVIEW_NONE)
            return ret;
    }
    return PREVIEW_NONE;
}

void preview_result(Preview *p, const ControlCommand *cmd, int ok, const char *answer)
{
    if (ok && cmd->kind == CONTROL_SET_BACKGROUND) {
        snprintf(p->background, sizeof(p->background), "%s", cmd->value);
        p->has_background = 1;
    }
    if (!ok) {
        snprintf(p->message, sizeof(p->message), "%s", strncmp(answer, "error: ", 7) ? answer : answer + 7);
        p->message_until = seconds_now() + MESSAGE_SECONDS;
        p->title_at = 0;
    }
}

/* BACKDROP_TEST_PREVIEW_DUMP: the last frame drawn again over the whole
 * window (its aspect is the frames') and read back. Errors go to stderr:
 * only the tests ask for it. */
static void write_dump(Preview *p)
{
    int w = 0, h = 0;
    uint8_t *pixels = NULL;
    FILE *f = NULL;
    const char *why = NULL;
    SDL_RenderSetLogicalSize(p->renderer, 0, 0);
    SDL_RenderSetViewport(p->renderer, NULL);
    if (SDL_GetRendererOutputSize(p->renderer, &w, &h) != 0 || w <= 0 || h <= 0 || draw(p) != 0)
        why = SDL_GetError();
    else if (!(pixels = malloc((size_t)w * (size_t)h * 3)))
        why = "out of memory";
    else if (SDL_RenderReadPixels(p->renderer, NULL, SDL_PIXELFORMAT_RGB24, pixels, w * 3) != 0)
        why = SDL_GetError();
    else if (!(f = fopen(p->dump, "wb")))
        why = strerror(errno);
    else {
        fprintf(f, "P6\n# title: %s\n%d %d\n255\n", SDL_GetWindowTitle(p->window), w, h);
        fwrite(pixels, 1, (size_t)w * (size_t)h * 3, f);
        if (fclose(f) != 0)
            why = strerror(errno);
    }
    if (why)
        fprintf(stderr, "backdrop: BACKDROP_TEST_PREVIEW_DUMP %s: %s\n", p->dump, why);
    free(pixels);
}

void preview_close(Preview **pp)
{
    Preview *p = pp ? *pp : NULL;
    if (!p)
        return;
    if (p->dump && p->texture)
        write_dump(p);
    free_textures(p);
    if (p->renderer)
        SDL_DestroyRenderer(p->renderer);
    if (p->window)
        SDL_DestroyWindow(p->window);
    SDL_Quit();
    free(p->dir);
    free(p->dump);
    free(p);
    *pp = NULL;
}

#else /* built without SDL2 */

int preview_available(void)
{
    return 0;
}

int preview_open(Preview **p, const char *dir, const char *background, char *err, size_t errlen)
{
    *p = NULL;
    message_set(err, errlen, "--preview: this backdrop was built without SDL2 (install libsdl2-dev and rebuild)");
    return -1;
}

int preview_show(Preview *p, const AVFrame *frame, double latency, const PreviewStatus *status, char *err,
                 size_t errlen)
{
    return 0;
}

int preview_poll(Preview *p, const PreviewStatus *status, ControlCommand *cmd, char *msg, size_t msglen)
{
    return PREVIEW_NONE;
}

void preview_result(Preview *p, const ControlCommand *cmd, int ok, const char *answer)
{
}

void preview_close(Preview **p)
{
}

#endif
