/*
 * Output module of the backdrop CLI; the contract is in output.h.
 *
 * A destination is claimed by one of five sinks (the table sinks[] below;
 * one file each, in the manner of dav1d's tools/output/):
 *   null       "null": frames are counted and dropped (null.c).
 *   v4l2       "/dev/video*" or "v4l2:PATH": a v4l2loopback virtual camera,
 *              raw YUYV or I420 frames written as they come (v4l2.c).
 *   sequence   a name with a %d pattern: each picture is written to the
 *              temporary of the name for its number (1, 2, ...), and all are
 *              renamed at the commit, so a failed run leaves whatever was
 *              there before untouched; missing folders are created (and
 *              removed again when the run fails) (images.c).
 *   image      one picture by its extension: the image encoder's packet is
 *              the whole file, written under a temporary name (images.c).
 *   container  anything else: a container file by its extension; a video
 *              encoder (and, for audio, either a straight packet copy or
 *              decoder + resampler + encoder) feed a muxer that writes
 *              "<dir>/.<name>.part-<pid>" (container.c).
 * This file holds what they share: the encoder set-up, frames in (the
 * caller fills the encoder's own picture, output_frame()), completing and
 * committing, and the helpers.
 *
 * A destination that is a special file (a device, a FIFO) is written in
 * place: renaming onto it would replace the device with a regular file. A
 * destination that is a symbolic link gets its target replaced, not the link;
 * an existing file's permission bits (and, for root, owner) are kept. No
 * name that is one of the input's files (opt->protect) is ever renamed over.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/avstring.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>

#include "../message.h"
#include "../paths.h"

/* In order: the first sink whose probe claims the destination gets it. */
static const OutputSink *const sinks[] = {
    &output_sink_null,
    &output_sink_v4l2, /* before the rest: /dev/video* is a device, not a file */
    &output_sink_sequence,
    &output_sink_image,
    &output_sink_container, /* claims anything */
};

/* ---------------------------------------------------------------------- */
/* Small helpers */

/* Writes the message (when err is usable) and returns code. */
int out_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message_vset(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* The extension without its dot, or NULL. A leading dot ("/x/.png") names a
 * hidden file, not an extension. */
const char *out_extension_of(const char *file)
{
    const char *base = path_base(file);
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : NULL;
}

/* "<dir>/.<base>.part-<pid>": same directory, so rename(2) cannot cross
 * file systems; hidden, so a half-written file is not mistaken for output;
 * the pid keeps two concurrent runs apart. */
char *out_temp_name(const char *file)
{
    const char *base = path_base(file);
    return av_asprintf("%.*s.%s.part-%ld", (int)(base - file), file, base,
                       (long)getpid());
}

/* True when the name holds a printf integer conversion: '%', optional
 * digits (a leading 0 included), 'd'. "%%" is a literal percent sign. */
int out_has_frame_pattern(const char *s)
{
    for (; *s; s++) {
        if (*s != '%')
            continue;
        if (s[1] == '%') {
            s++;
            continue;
        }
        const char *p = s + 1;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p == 'd')
            return 1;
    }
    return 0;
}

/* Image extensions, the encoder that writes a complete file of that type,
 * and whether the type keeps an alpha channel that readers take as such
 * (a 32-bit BMP's fourth byte is widely ignored; JPEG, PGM, PPM have none). */
static const struct {
    const char *ext;
    const char *encoder;
    int alpha;
} image_types[] = {
    { "png", "png", 1 },   { "jpg", "mjpeg", 0 }, { "jpeg", "mjpeg", 0 },
    { "bmp", "bmp", 0 },   { "webp", "libwebp", 1 },
    { "tif", "tiff", 1 },  { "tiff", "tiff", 1 },
    { "pgm", "pgm", 0 },   { "ppm", "ppm", 0 },
};

static int image_type_of(const char *ext)
{
    if (!ext)
        return -1;
    for (size_t i = 0; i < sizeof image_types / sizeof image_types[0]; i++)
        if (!av_strcasecmp(ext, image_types[i].ext))
            return (int)i;
    return -1;
}

const char *out_image_encoder_for(const char *ext)
{
    int i = image_type_of(ext);
    return i < 0 ? NULL : image_types[i].encoder;
}

int out_image_keeps_alpha(const char *ext)
{
    int i = image_type_of(ext);
    return i >= 0 && image_types[i].alpha;
}

int out_has_alpha(enum AVPixelFormat fmt)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    return d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
}

/* An encoder that does not list its formats is taken at its word in
 * choose_pix_fmt, but for alpha it must say: nothing else shows that it
 * keeps the fourth channel. */
int out_check_alpha_encoder(const char *path, const AVCodec *codec, char *err, size_t errlen)
{
    for (const enum AVPixelFormat *p = codec->pix_fmts; p && *p != AV_PIX_FMT_NONE; p++)
        if (out_has_alpha(*p))
            return 0;
    return out_fail(err, errlen, AVERROR(EINVAL),
                    "%s: encoder '%s' has no pixel format with alpha; " OUT_ALPHA_FORMATS, path,
                    codec->name);
}

/* Writes a whole file (size 0: an empty one). On failure nothing is left
 * at path. */
int out_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return AVERROR(errno);
    int saved = 0;
    if (size && fwrite(data, 1, size, f) != size)
        saved = errno ? errno : EIO;
    if (fclose(f) != 0 && !saved)
        saved = errno ? errno : EIO;
    if (saved) {
        unlink(path);
        return AVERROR(saved);
    }
    return 0;
}

/* The directory that will receive the file must exist and accept new
 * entries (write + search permission); checked at open so that a bad
 * destination fails before any work is done. name is used in messages. */
int out_check_destination(const char *name, const char *file,
                             char *err, size_t errlen)
{
    char *dir = path_dir(file);
    if (!dir)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", name);
    struct stat st;
    int e = 0;
    if (stat(dir, &st) != 0)
        e = errno;
    else if (!S_ISDIR(st.st_mode))
        e = ENOTDIR;
    else if (access(dir, W_OK | X_OK) != 0)
        e = errno;
    int ret = 0;
    if (e)
        ret = out_fail(err, errlen, AVERROR(e), "%s: cannot write to directory '%s': %s",
                   name, dir, strerror(e));
    else if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
        ret = out_fail(err, errlen, AVERROR(EISDIR), "%s: is a directory", name);
    free(dir);
    return ret;
}

/* Creates an empty file, so that what access(2) cannot tell (root on a
 * pseudo file system, say) still fails at open rather than at the end. */
int out_create_empty(const char *name, const char *file, char *err, size_t errlen)
{
    int ret = out_write_file(file, NULL, 0);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot create '%s': %s", name, file,
                    av_err2str(ret));
    return 0;
}

/* The same test for a sequence: the first picture's temporary is created
 * and removed again. */
int out_probe_create(const char *name, const char *file, char *err, size_t errlen)
{
    char *probe = out_temp_name(file);
    if (!probe)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", name);
    int ret = out_create_empty(name, probe, err, errlen);
    if (ret >= 0)
        unlink(probe);
    av_free(probe);
    return ret;
}

/* Creates the missing directories above file (mkdir -p), remembering each
 * so that a failed run can remove them again. */
int out_make_directories(Output *o, const char *file, char *err, size_t errlen)
{
    char *dir = path_dir(file);
    if (!dir)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    struct stat st;
    int ret = 0;
    if (stat(dir, &st) == 0) {
        free(dir);
        return 0;
    }
    /* Each prefix ending before a '/' (and the whole), outermost first. */
    size_t len = strlen(dir);
    for (size_t end = 1; end <= len && ret >= 0; end++) {
        if (end < len && dir[end] != '/')
            continue;
        char saved = dir[end];
        dir[end] = '\0';
        if (stat(dir, &st) != 0) {
            char **made = av_realloc_array(o->made_dirs, o->nmade_dirs + 1, sizeof(*made));
            if (made)
                o->made_dirs = made;
            if (!made || !(made[o->nmade_dirs] = av_strdup(dir)))
                ret = out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
            else if (mkdir(dir, 0777) != 0) {
                int e = errno;
                av_freep(&made[o->nmade_dirs]);
                ret = out_fail(err, errlen, AVERROR(e), "%s: cannot create directory '%s': %s",
                           o->path, dir, strerror(e));
            } else {
                o->nmade_dirs++;
            }
        }
        dir[end] = saved;
    }
    free(dir);
    return ret;
}

/* The name output_commit() renames into, and whether it is written in
 * place (a special file). A symbolic link is replaced by way of its target,
 * so that the link still points where it did. */
int out_prepare_single(Output *o, char *err, size_t errlen)
{
    int ret;
    if (!*path_base(o->path))
        return out_fail(err, errlen, AVERROR(EISDIR), "%s: is a directory", o->path);
    if ((ret = out_choose_final(o, err, errlen)) < 0 ||
        (!o->in_place && (ret = out_check_destination(o->path, o->final, err, errlen)) < 0))
        return ret;
    return 0;
}

int out_choose_final(Output *o, char *err, size_t errlen)
{
    o->in_place = path_is_special(o->path);
    char *final = o->in_place ? strdup(o->path) : path_rename_target(o->path);
    if (!final)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: cannot resolve the name", o->path);
    o->final = final;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Video encoder set-up */

enum { FAMILY_RGB, FAMILY_YUV, FAMILY_GRAY };

/* Which colour model a pixel format's samples are in; palettes count as RGB. */
static int family_of(enum AVPixelFormat fmt)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    if (!d || (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)))
        return FAMILY_RGB;
    return d->nb_components <= 2 ? FAMILY_GRAY : FAMILY_YUV;
}

/* The YUVJ formats only say "full range", which color_range says too;
 * swscale warns about them, so they are never chosen. */
static int is_yuvj(enum AVPixelFormat fmt)
{
    return fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P ||
           fmt == AV_PIX_FMT_YUVJ444P || fmt == AV_PIX_FMT_YUVJ440P ||
           fmt == AV_PIX_FMT_YUVJ411P;
}

/* H.264 and HEVC code picture sizes in whole chroma samples: 4:2:0 cannot
 * describe an odd width or height. */
static int needs_whole_chroma(enum AVCodecID id)
{
    return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC;
}

/* Delivery codecs: anything but 8-bit 4:2:0 needs a profile that many
 * players (browsers, phones, hardware decoders) lack. */
static int prefers_420(enum AVCodecID id)
{
    return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC ||
           id == AV_CODEC_ID_VP8 || id == AV_CODEC_ID_VP9 || id == AV_CODEC_ID_AV1;
}

/* The encoder's pixel format for frames in src: src itself when the encoder
 * takes it (so the GRAY8 matte stays grey where possible); else 4:2:0 for
 * delivery codecs, and for grey sources (their chroma is flat, so 4:2:0
 * loses nothing); else the format that loses least. A source with alpha
 * (transparent output) only ever gets a format with alpha, 4:2:0 being
 * YUVA420P. AV_PIX_FMT_NONE when the encoder has no usable format for this
 * size (or, for alpha, none with alpha). */
static enum AVPixelFormat choose_pix_fmt(const AVCodec *codec, enum AVPixelFormat src,
                                         int width, int height)
{
    enum { MAX_CANDIDATES = 256 };
    enum AVPixelFormat usable[MAX_CANDIDATES + 1];
    int n = 0, exact = 0, has_420 = 0;
    int alpha = out_has_alpha(src);
    enum AVPixelFormat fmt_420 = alpha ? AV_PIX_FMT_YUVA420P : AV_PIX_FMT_YUV420P;

    if (!codec->pix_fmts) /* the encoder does not say: assume it takes anything but alpha */
        return alpha ? AV_PIX_FMT_NONE : src;
    for (const enum AVPixelFormat *p = codec->pix_fmts;
         *p != AV_PIX_FMT_NONE && n < MAX_CANDIDATES; p++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*p);
        if (!d || (d->flags & AV_PIX_FMT_FLAG_HWACCEL) || is_yuvj(*p))
            continue;
        if (alpha && !(d->flags & AV_PIX_FMT_FLAG_ALPHA))
            continue;
        if (needs_whole_chroma(codec->id) &&
            ((width & ((1 << d->log2_chroma_w) - 1)) ||
             (height & ((1 << d->log2_chroma_h) - 1))))
            continue;
        usable[n++] = *p;
        exact |= *p == src;
        has_420 |= *p == fmt_420;
    }
    usable[n] = AV_PIX_FMT_NONE;
    if (exact)
        return src;
    if (has_420 && (prefers_420(codec->id) || family_of(src) == FAMILY_GRAY))
        return fmt_420;
    return n ? avcodec_find_best_pix_fmt_of_list(usable, src, 0, NULL) : AV_PIX_FMT_NONE;
}

/* Opens o->venc for codec with the caller's frame description, and makes
 * o->picture (and o->sws when the format or range must change). */
int out_open_video_encoder(Output *o, const AVCodec *codec, const OutputOptions *opt,
                              int global_header, char *err, size_t errlen)
{
    enum AVPixelFormat dst = choose_pix_fmt(codec, opt->pix_fmt, opt->width, opt->height);
    /* Transparent frames: an encoder without alpha says so (the sinks
     * check this first; this is the last guard). */
    if (dst == AV_PIX_FMT_NONE && out_has_alpha(opt->pix_fmt) &&
        out_check_alpha_encoder(o->path, codec, err, errlen) < 0)
        return AVERROR(EINVAL);
    if (dst == AV_PIX_FMT_NONE)
        return out_fail(err, errlen, AVERROR(EINVAL),
                    "%s: encoder '%s' has no pixel format for %dx%d %s frames",
                    o->path, codec->name, opt->width, opt->height,
                    av_get_pix_fmt_name(opt->pix_fmt));

    /* Colour: the matte (grey) is full range by definition; YUV frames say
     * what they are (unspecified = limited); RGB is converted to limited
     * BT.601 YUV, and tagged so, for a YUV encoder. JPEG is full range. */
    int in_family = family_of(opt->pix_fmt), out_family = family_of(dst);
    enum AVColorRange in_range = AVCOL_RANGE_JPEG;
    if (in_family == FAMILY_YUV && opt->color_range != AVCOL_RANGE_JPEG)
        in_range = AVCOL_RANGE_MPEG;
    enum AVColorRange out_range;
    enum AVColorSpace out_space;
    if (out_family == FAMILY_RGB) {
        out_range = AVCOL_RANGE_JPEG;
        out_space = AVCOL_SPC_RGB;
    } else {
        out_range = codec->id == AV_CODEC_ID_MJPEG ? AVCOL_RANGE_JPEG :
                    in_family == FAMILY_RGB ? AVCOL_RANGE_MPEG : in_range;
        out_space = in_family == FAMILY_YUV ? opt->colorspace : AVCOL_SPC_SMPTE170M;
    }

    AVCodecContext *c = o->venc = avcodec_alloc_context3(codec);
    if (!c)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    c->width = opt->width;
    c->height = opt->height;
    c->pix_fmt = dst;
    /* The encoder counts frame periods when the rate is known: MPEG-1/2
     * take only their standard rates as a clock and MPEG-4 part 2 none
     * finer than 1/65535, where inputs often come with 1/90000. Frames
     * off that grid (variable rate) move by less than half a period. */
    c->time_base = opt->time_base;
    if (opt->frame_rate.num > 0 && opt->frame_rate.den > 0) {
        c->framerate = opt->frame_rate;
        c->time_base = av_inv_q(opt->frame_rate);
    }
    o->in_tb = opt->time_base;
    if (opt->sample_aspect_ratio.num > 0 && opt->sample_aspect_ratio.den > 0)
        c->sample_aspect_ratio = opt->sample_aspect_ratio;
    c->color_range = out_range;
    c->colorspace = out_space;
    c->color_primaries = opt->color_primaries;
    c->color_trc = opt->color_trc;
    c->thread_count = opt->threads;
    if (global_header)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    AVDictionary *opts = NULL;
    if (!strcmp(codec->name, "libx264") || !strcmp(codec->name, "libx264rgb"))
        av_dict_set(&opts, "preset", "veryfast", 0);
    /* x265 prints to stderr itself rather than through av_log: make it as
     * quiet as FFmpeg's own log is (SVT-AV1, the other such encoder, reads
     * SVT_LOG, which the CLI sets). */
    if (!strcmp(codec->name, "libx265"))
        av_dict_set(&opts, "x265-params",
                    av_log_get_level() >= AV_LOG_WARNING ? "log-level=warning" : "log-level=none", 0);
    if (!strcmp(codec->name, "libvpx-vp9")) {
        /* "good" at cpu-used 5 with row threading: several times faster
         * than libvpx's defaults at a small cost in size. */
        av_dict_set(&opts, "deadline", "good", 0);
        av_dict_set(&opts, "cpu-used", "5", 0);
        av_dict_set(&opts, "row-mt", "1", 0);
    }
    /* libvpx codes VP8's alpha as a second stream, which alternate
     * reference frames would break (it refuses to open with them). */
    if (!strcmp(codec->name, "libvpx") && out_has_alpha(dst))
        av_dict_set(&opts, "auto-alt-ref", "0", 0);
    /* ProRes carries alpha only in the 4444 profiles; prores_ks would pick
     * 4444 by itself for a 4:4:4 format, but that is its choice to change. */
    if (!strcmp(codec->name, "prores_ks") && out_has_alpha(dst))
        av_dict_set(&opts, "profile", "4444", 0);
    if (opt->crf >= 0) {
        av_dict_set_int(&opts, "crf", opt->crf, 0);
        if (codec->id == AV_CODEC_ID_VP8 || codec->id == AV_CODEC_ID_VP9)
            c->bit_rate = 0; /* libvpx: crf alone means constant quality */
    }
    int ret = avcodec_open2(c, codec, &opts);
    /* Options the encoder took are removed from opts; a crf left over
     * means this encoder has no such option. */
    int crf_ignored = ret >= 0 && av_dict_get(opts, "crf", NULL, 0) != NULL;
    av_dict_free(&opts);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot open encoder '%s' (%dx%d %s): %s",
                    o->path, codec->name, c->width, c->height,
                    av_get_pix_fmt_name(dst), av_err2str(ret));
    if (crf_ignored)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: encoder '%s' has no crf option",
                    o->path, codec->name);

    o->picture = av_frame_alloc();
    o->pkt = av_packet_alloc();
    if (!o->picture || !o->pkt)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    o->picture->format = dst;
    o->picture->width = c->width;
    o->picture->height = c->height;
    o->picture->color_range = c->color_range;
    o->picture->colorspace = c->colorspace;
    o->picture->color_primaries = c->color_primaries;
    o->picture->color_trc = c->color_trc;
    o->picture->sample_aspect_ratio = c->sample_aspect_ratio;
    ret = av_frame_get_buffer(o->picture, 0);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);

    int range_change = in_family != FAMILY_RGB && out_family != FAMILY_RGB &&
                       in_range != out_range;
    if (dst != opt->pix_fmt || range_change) {
        o->sws = sws_getContext(opt->width, opt->height, opt->pix_fmt,
                                c->width, c->height, dst, SWS_BICUBIC, NULL, NULL, NULL);
        if (!o->sws)
            return out_fail(err, errlen, AVERROR(EINVAL), "%s: cannot convert %s to %s",
                        o->path, av_get_pix_fmt_name(opt->pix_fmt),
                        av_get_pix_fmt_name(dst));
        /* Matrices and ranges on both sides; swscale ignores the ones that
         * do not apply (RGB has neither). An unknown matrix means BT.601. */
        sws_setColorspaceDetails(o->sws, sws_getCoefficients(opt->colorspace),
                                 in_range == AVCOL_RANGE_JPEG,
                                 sws_getCoefficients(out_space),
                                 out_range == AVCOL_RANGE_JPEG, 0, 1 << 16, 1 << 16);
    }

    o->pts_step = 1;
    if (c->framerate.num > 0 && c->framerate.den > 0)
        o->pts_step = FFMAX(1, av_rescale_q(1, av_inv_q(c->framerate), c->time_base));
    return 0;
}

/* The first sink whose probe claims path; the container sink claims all. */
static const OutputSink *sink_for(const char *path)
{
    for (size_t i = 0; i < sizeof(sinks) / sizeof(sinks[0]) - 1; i++)
        if (sinks[i]->probe(path))
            return sinks[i];
    return &output_sink_container;
}

int output_check_alpha(const char *path, const char *codec, char *err, size_t errlen)
{
    if (!path || !*path)
        return out_fail(err, errlen, AVERROR(EINVAL), "output: no destination given");
    const OutputSink *sink = sink_for(path);
    const AVCodec *enc;
    return sink->encoder ? sink->encoder(path, codec, 1, &enc, err, errlen) : 0;
}

/* The default video encoder for a container, or the one named by the
 * caller; checks that the container can hold what it makes. */
int output_open(Output **out, const OutputOptions *opt, char *err, size_t errlen)
{
    if (!out || !opt || !opt->path || !*opt->path)
        return out_fail(err, errlen, AVERROR(EINVAL), "output: no destination given");
    *out = NULL;
    if (opt->width <= 0 || opt->height <= 0 || !av_pix_fmt_desc_get(opt->pix_fmt))
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: invalid frame description %dx%d %s",
                    opt->path, opt->width, opt->height,
                    opt->pix_fmt == AV_PIX_FMT_NONE ? "none" : "(unknown format)");

    Output *o = av_mallocz(sizeof *o);
    if (!o || !(o->path = av_strdup(opt->path))) {
        av_free(o);
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", opt->path);
    }
    o->width = opt->width;
    o->height = opt->height;
    o->in_fmt = opt->pix_fmt;
    o->last_pts = AV_NOPTS_VALUE;
    o->protect = opt->protect;

    o->sink = sink_for(o->path);
    int ret = o->sink->open(o, opt, err, errlen);
    if (ret < 0) {
        output_abort(&o);
        return ret;
    }
    *out = o;
    return 0;
}

/* Hands every packet the video encoder has ready to the sink. Returns at EAGAIN (needs input) or EOF (flushed). */
int out_drain_video(Output *o, char *err, size_t errlen)
{
    for (;;) {
        int ret = avcodec_receive_packet(o->venc, o->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: video encoding failed: %s", o->path,
                        av_err2str(ret));
        if ((ret = o->sink->packet(o, o->pkt, err, errlen)) < 0)
            return ret;
    }
}

/* A frame in the caller's format for the caller to fill: with sws (or for
 * "null") a staging frame, else the encoder's own picture. */
static int make_staging(Output *o, char *err, size_t errlen)
{
    if (o->staging)
        return 0;
    o->staging = av_frame_alloc();
    if (!o->staging)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    o->staging->format = o->in_fmt;
    o->staging->width = o->width;
    o->staging->height = o->height;
    int ret = av_frame_get_buffer(o->staging, 0);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
    return 0;
}

AVFrame *output_frame(Output *o, char *err, size_t errlen)
{
    if (!o) {
        out_fail(err, errlen, AVERROR(EINVAL), "output: no output");
        return NULL;
    }
    int direct = o->venc && !o->sws;
    if (!direct && make_staging(o, err, errlen) < 0)
        return NULL;
    AVFrame *f = direct ? o->picture : o->staging;
    /* The encoder may still hold a reference to the previous picture
     * (frame threads, lookahead): then this gives the frame a fresh buffer,
     * else it is a no-op and the one buffer is reused. */
    int ret = av_frame_make_writable(f);
    if (ret < 0) {
        out_fail(err, errlen, ret, "%s: out of memory", o->path);
        return NULL;
    }
    return f;
}

int output_write_video(Output *o, const AVFrame *frame, char *err, size_t errlen)
{
    if (!o || !frame)
        return out_fail(err, errlen, AVERROR(EINVAL), "output: no output or frame");
    if (!o->venc && !o->sink->raw) { /* null */
        o->frames++;
        return 0;
    }
    if (frame->width != o->width || frame->height != o->height || frame->format != o->in_fmt)
        return out_fail(err, errlen, AVERROR(EINVAL),
                    "%s: frame is %dx%d %s, but the output was opened for %dx%d %s",
                    o->path, frame->width, frame->height,
                    av_get_pix_fmt_name(frame->format) ? av_get_pix_fmt_name(frame->format) : "?",
                    o->width, o->height, av_get_pix_fmt_name(o->in_fmt));
    int ret;
    if (!o->venc) { /* a sink that takes frames as they are (v4l2) */
        if ((ret = o->sink->raw(o, frame, err, errlen)) < 0)
            return ret;
        o->frames++;
        return 0;
    }
    ret = o->sink->frame ? o->sink->frame(o, err, errlen) : 0;
    if (ret < 0)
        return ret;

    /* A frame from output_frame() is the picture itself: no copy. Another
     * frame is copied rather than referenced: it may not be reference
     * counted, and its properties (picture type, side data) must not steer
     * the encoder. */
    if (frame != o->picture && (ret = av_frame_make_writable(o->picture)) < 0)
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
    if (frame == o->picture) {
        /* filled in place */
    } else if (o->sws) {
        ret = sws_scale(o->sws, (const uint8_t *const *)frame->data, frame->linesize, 0, o->height,
                        o->picture->data, o->picture->linesize);
        if (ret != o->height)
            return out_fail(err, errlen, ret < 0 ? ret : AVERROR_EXTERNAL, "%s: cannot convert the frame",
                        o->path);
    } else if ((ret = av_frame_copy(o->picture, frame)) < 0)
        return out_fail(err, errlen, ret, "%s: cannot copy the frame: %s", o->path,
                    av_err2str(ret));

    /* Timestamps must increase for the encoder and the muxer: a missing or
     * non-increasing pts becomes the previous one plus a frame duration. */
    int64_t pts = frame->pts;
    if (pts != AV_NOPTS_VALUE)
        pts = av_rescale_q_rnd(pts, o->in_tb, o->venc->time_base,
                               AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
    if (pts == AV_NOPTS_VALUE || (o->last_pts != AV_NOPTS_VALUE && pts <= o->last_pts))
        pts = o->last_pts == AV_NOPTS_VALUE ? 0 : o->last_pts + o->pts_step;
    o->last_pts = pts;
    o->picture->pts = pts;
    o->picture->pict_type = AV_PICTURE_TYPE_NONE;

    ret = avcodec_send_frame(o->venc, o->picture);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: video encoding failed: %s", o->path,
                    av_err2str(ret));
    o->frames++;
    return out_drain_video(o, err, errlen);
}

int output_repeat_last(Output *o, char *err, size_t errlen)
{
    if (!o)
        return out_fail(err, errlen, AVERROR(EINVAL), "output: no output");
    if (o->frames == 0)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: no frame written yet to repeat", o->path);
    if (!o->venc) { /* null counts; v4l2 writes its converted frame again */
        int ret = o->sink->repeat ? o->sink->repeat(o, err, errlen) : 0;
        if (ret >= 0)
            o->frames++;
        return ret;
    }
    /* An encoder: the picture still holds the last frame (the caller fills
     * it only through output_frame() for the next one); sent again one
     * frame period later. */
    int ret = o->sink->frame ? o->sink->frame(o, err, errlen) : 0;
    if (ret < 0)
        return ret;
    if ((ret = av_frame_make_writable(o->picture)) < 0) /* keeps the pixels */
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
    o->last_pts += o->pts_step;
    o->picture->pts = o->last_pts;
    o->picture->pict_type = AV_PICTURE_TYPE_NONE;
    ret = avcodec_send_frame(o->venc, o->picture);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: video encoding failed: %s", o->path, av_err2str(ret));
    o->frames++;
    return out_drain_video(o, err, errlen);
}

int output_write_audio(Output *o, const AVPacket *pkt, char *err, size_t errlen)
{
    if (!o || !pkt)
        return out_fail(err, errlen, AVERROR(EINVAL), "output: no output or packet");
    return o->sink->audio ? o->sink->audio(o, pkt, err, errlen) : 0;
}

int64_t output_frames(const Output *o)
{
    return o ? o->frames : 0;
}

int output_is_realtime(const Output *o)
{
    return o && !o->venc; /* null and v4l2: no encoder, no timestamps */
}

/* ---------------------------------------------------------------------- */
/* Finishing */

/* Deletes every file of this run that is not in place yet: the temporary,
 * each picture of a sequence, and the directories made for them. */
static void remove_files(Output *o)
{
    if (o->fc && o->fc->pb)
        avio_closep(&o->fc->pb);
    if (o->tmp_exists)
        unlink(o->tmp);
    o->tmp_exists = 0;
    for (size_t i = 0; i < o->nfiles; i++)
        if (o->files[i].tmp)
            unlink(o->files[i].tmp);
    for (size_t i = o->nmade_dirs; i-- > 0;)
        rmdir(o->made_dirs[i]); /* fails, harmlessly, if something else is in it */
}

static void free_output(Output *o)
{
    if (o->sink && o->sink->close)
        o->sink->close(o);
    avcodec_free_context(&o->venc);
    avcodec_free_context(&o->adec);
    avcodec_free_context(&o->aenc);
    sws_freeContext(o->sws);
    swr_free(&o->swr);
    av_channel_layout_uninit(&o->swr_layout);
    av_frame_free(&o->picture);
    av_frame_free(&o->staging);
    av_frame_free(&o->decoded);
    av_frame_free(&o->aframe);
    av_packet_free(&o->pkt);
    if (o->abuf)
        av_freep(&o->abuf[0]);
    av_freep(&o->abuf);
    if (o->fifo)
        av_audio_fifo_free(o->fifo);
    if (o->fc) {
        if (o->fc->pb)
            avio_closep(&o->fc->pb);
        avformat_free_context(o->fc);
    }
    for (size_t i = 0; i < o->nfiles; i++) {
        av_free(o->files[i].tmp);
        av_free(o->files[i].final);
    }
    av_free(o->files);
    for (size_t i = 0; i < o->nmade_dirs; i++)
        av_free(o->made_dirs[i]);
    av_free(o->made_dirs);
    av_free(o->tmp);
    free(o->final);
    av_free(o->path);
    av_free(o);
}

/* Flushes the encoder and lets the sink finish its files; they are still
 * under their temporary names on return. */
static int complete(Output *o, char *err, size_t errlen)
{
    if (o->venc) {
        int ret = avcodec_send_frame(o->venc, NULL);
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: video encoding failed: %s", o->path, av_err2str(ret));
        if ((ret = out_drain_video(o, err, errlen)) < 0)
            return ret;
    }
    return o->sink->complete ? o->sink->complete(o, err, errlen) : 0;
}

int output_complete(Output *o, char *err, size_t errlen)
{
    if (!o)
        return out_fail(err, errlen, AVERROR(EINVAL), "output: nothing to complete");
    int ret = complete(o, err, errlen);
    if (ret >= 0)
        o->completed = 1;
    return ret;
}

/* Renaming onto one of the input's files is refused: the last guard (the
 * command line was checked before anything was written). */
int out_check_replace(const Output *o, const char *name, char *err, size_t errlen)
{
    FileId id;
    if (o->protect && path_file_id(name, &id) && fileid_set_contains(o->protect, id))
        return out_fail(err, errlen, AVERROR(EEXIST), "%s: '%s' is one of the input's files; "
                    "nothing was written", o->path, name);
    return 0;
}

/* Renames tmp onto name, keeping the replaced file's permission bits. */
int out_rename_into_place(const Output *o, const char *tmp, const char *name, char *err,
                             size_t errlen)
{
    int e = -path_replace(tmp, name);
    if (e)
        return out_fail(err, errlen, AVERROR(e), "%s: cannot rename '%s' into place: %s", o->path,
                    tmp, strerror(e));
    return 0;
}

int out_commit_single(Output *o, char *err, size_t errlen)
{
    int ret;
    if (!o->tmp_exists)
        return 0; /* written in place */
    if ((ret = out_check_replace(o, o->final, err, errlen)) < 0 ||
        (ret = out_rename_into_place(o, o->tmp, o->final, err, errlen)) < 0)
        return ret;
    o->tmp_exists = 0;
    return 0;
}

int output_commit(Output **out, char *err, size_t errlen)
{
    Output *o = out ? *out : NULL;
    if (!o || !o->completed)
        return out_fail(err, errlen, AVERROR(EINVAL), "output: nothing completed to commit");
    *out = NULL;
    int ret = o->sink->commit ? o->sink->commit(o, err, errlen) : 0;
    if (ret < 0)
        remove_files(o);
    free_output(o);
    return ret;
}

int output_finish(Output **out, char *err, size_t errlen)
{
    int ret = output_complete(out ? *out : NULL, err, errlen);
    if (ret < 0) {
        output_abort(out);
        return ret;
    }
    return output_commit(out, err, errlen);
}

void output_abort(Output **out)
{
    if (!out || !*out)
        return;
    remove_files(*out);
    free_output(*out);
    *out = NULL;
}

