/*
 * Output module of the backdrop CLI; the contract is in output.h.
 *
 * One Output is one of four kinds, decided from the destination name:
 *   KIND_NULL      "null": frames are counted and dropped.
 *   KIND_VIDEO     a container file. A video encoder (and, for audio, either
 *                  a straight packet copy or decoder + resampler + encoder)
 *                  feed a muxer that writes "<dir>/.<name>.part-<pid>";
 *                  output_commit() renames it to <name> after the trailer.
 *   KIND_IMAGE     one picture. The image encoder's packet is the whole file;
 *                  it is written under the same kind of temporary name and
 *                  renamed by output_commit().
 *   KIND_SEQUENCE  a name with a %d pattern. Each packet of the image encoder
 *                  is written to the temporary of the name for its number
 *                  (1, 2, ...); output_commit() renames them all, so a failed
 *                  run leaves whatever was there before untouched. A missing
 *                  directory of the pattern is created (and removed again
 *                  when the run fails).
 *
 * A destination that is a special file (a device, a FIFO) is written in
 * place: renaming onto it would replace the device with a regular file. A
 * destination that is a symbolic link gets its target replaced, not the link;
 * an existing file's permission bits (and, for root, owner) are kept. No
 * name that is one of the input's files (opt->protect) is ever renamed over.
 *
 * Images are written without the image2 muxer: an image encoder's packet is
 * a complete file, and writing it ourselves lets us control the names.
 */
#include "output.h"
#include "message.h"
#include "paths.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/avstring.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

typedef enum OutputKind {
    KIND_NULL,
    KIND_VIDEO,
    KIND_IMAGE,
    KIND_SEQUENCE,
} OutputKind;

typedef struct SequenceFile {
    char *tmp;   /* written, waiting for the commit */
    char *final; /* the pattern's name for its number */
} SequenceFile;

typedef enum AudioMode {
    AUDIO_NONE,      /* no audio stream in the output; packets are dropped */
    AUDIO_COPY,      /* packets go to the muxer unchanged */
    AUDIO_TRANSCODE, /* decode, resample, re-encode */
} AudioMode;

struct Output {
    OutputKind kind;
    char *path;       /* the destination as given (a pattern for sequences) */
    char *final;      /* KIND_VIDEO / KIND_IMAGE: the name renamed into (links resolved) */
    char *tmp;        /* KIND_VIDEO / KIND_IMAGE: the temporary file name */
    int tmp_exists;   /* tmp is on disk and belongs to us */
    int in_place;     /* final is a special file, written directly (tmp == final) */
    int completed;    /* output_complete() succeeded: only the renames remain */
    FileIdSet *protect; /* the input's files: never renamed over */

    /* The frames the caller promised in output_open(). */
    int width, height;
    enum AVPixelFormat in_fmt;
    int64_t frames;   /* frames accepted so far */
    AVRational in_tb; /* of the caller's frame->pts */
    int64_t last_pts; /* encoder time base; AV_NOPTS_VALUE before the first */
    int64_t pts_step; /* one frame duration in the encoder time base, >= 1 */

    /* Video or image encoding (every kind but KIND_NULL). */
    AVCodecContext *venc;
    struct SwsContext *sws; /* NULL when frames already have the encoder's format */
    AVFrame *picture;       /* the only frame ever handed to the video encoder */
    AVFrame *staging;       /* caller's format, when that is not the encoder's (or null) */
    AVPacket *pkt;          /* scratch packet, blank between uses */

    /* Container (KIND_VIDEO). */
    AVFormatContext *fc;
    AVStream *vst;

    /* Audio (KIND_VIDEO only). */
    AudioMode audio_mode;
    AVStream *ast;
    AVRational audio_in_tb;   /* time base of the caller's audio packets */
    AVCodecContext *adec, *aenc;
    AVFrame *decoded;         /* decoder output */
    AVFrame *aframe;          /* encoder input, aenc->frame_size samples */
    int chunk;                /* samples per encoder frame */
    SwrContext *swr;          /* made for the first decoded frame's format */
    AVChannelLayout swr_layout;
    int swr_rate;
    enum AVSampleFormat swr_fmt;
    uint8_t **abuf;           /* resampler output, abuf_samples capacity */
    int abuf_samples;
    AVAudioFifo *fifo;        /* resampled samples waiting for a full chunk */
    int64_t audio_next_pts;   /* in 1/aenc->sample_rate; NOPTS until known */

    /* Pictures written (KIND_IMAGE, KIND_SEQUENCE). For sequences, files[]
     * holds each picture's temporary (on disk, ours) and final name. */
    int64_t images;
    SequenceFile *files;
    size_t nfiles, files_cap;
    /* Directories this output created for a sequence, outermost first;
     * removed again (when still empty) if the run fails. */
    char **made_dirs;
    size_t nmade_dirs;
};

/* ---------------------------------------------------------------------- */
/* Small helpers */

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes the message (when err is usable) and returns code. */
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message_vset(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

static const char *base_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? slash + 1 : file;
}

/* The extension without its dot, or NULL. A leading dot ("/x/.png") names a
 * hidden file, not an extension. */
static const char *extension_of(const char *file)
{
    const char *base = base_of(file);
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : NULL;
}

static char *dir_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return av_strdup(".");
    if (slash == file)
        return av_strdup("/");
    return av_strndup(file, (size_t)(slash - file));
}

/* "<dir>/.<base>.part-<pid>": same directory, so rename(2) cannot cross
 * file systems; hidden, so a half-written file is not mistaken for output;
 * the pid keeps two concurrent runs apart. */
static char *temp_name_for(const char *file)
{
    const char *base = base_of(file);
    return av_asprintf("%.*s.%s.part-%ld", (int)(base - file), file, base,
                       (long)getpid());
}

/* True when the name holds a printf integer conversion: '%', optional
 * digits (a leading 0 included), 'd'. "%%" is a literal percent sign. */
static int has_frame_pattern(const char *s)
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

/* Image extensions and the encoder that writes a complete file of that type. */
static const struct {
    const char *ext;
    const char *encoder;
} image_types[] = {
    { "png", "png" },   { "jpg", "mjpeg" }, { "jpeg", "mjpeg" },
    { "bmp", "bmp" },   { "webp", "libwebp" },
    { "tif", "tiff" },  { "tiff", "tiff" },
    { "pgm", "pgm" },   { "ppm", "ppm" },
};

static const char *image_encoder_for(const char *ext)
{
    if (!ext)
        return NULL;
    for (size_t i = 0; i < sizeof image_types / sizeof image_types[0]; i++)
        if (!av_strcasecmp(ext, image_types[i].ext))
            return image_types[i].encoder;
    return NULL;
}

/* Writes a whole file (size 0: an empty one). On failure nothing is left
 * at path. */
static int write_file(const char *path, const uint8_t *data, size_t size)
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
static int check_destination(const char *name, const char *file,
                             char *err, size_t errlen)
{
    char *dir = dir_of(file);
    if (!dir)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", name);
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
        ret = fail(err, errlen, AVERROR(e), "%s: cannot write to directory '%s': %s",
                   name, dir, strerror(e));
    else if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
        ret = fail(err, errlen, AVERROR(EISDIR), "%s: is a directory", name);
    av_free(dir);
    return ret;
}

/* Creates an empty file, so that what access(2) cannot tell (root on a
 * pseudo file system, say) still fails at open rather than at the end. */
static int create_empty(const char *name, const char *file, char *err, size_t errlen)
{
    int ret = write_file(file, NULL, 0);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot create '%s': %s", name, file,
                    av_err2str(ret));
    return 0;
}

/* The same test for a sequence: the first picture's temporary is created
 * and removed again. */
static int probe_create(const char *name, const char *file, char *err, size_t errlen)
{
    char *probe = temp_name_for(file);
    if (!probe)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", name);
    int ret = create_empty(name, probe, err, errlen);
    if (ret >= 0)
        unlink(probe);
    av_free(probe);
    return ret;
}

/* Creates the missing directories above file (mkdir -p), remembering each
 * so that a failed run can remove them again. */
static int make_directories(Output *o, const char *file, char *err, size_t errlen)
{
    char *dir = dir_of(file);
    if (!dir)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    struct stat st;
    int ret = 0;
    if (stat(dir, &st) == 0) {
        av_free(dir);
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
                ret = fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
            else if (mkdir(dir, 0777) != 0) {
                int e = errno;
                av_freep(&made[o->nmade_dirs]);
                ret = fail(err, errlen, AVERROR(e), "%s: cannot create directory '%s': %s",
                           o->path, dir, strerror(e));
            } else {
                o->nmade_dirs++;
            }
        }
        dir[end] = saved;
    }
    av_free(dir);
    return ret;
}

/* The name output_commit() renames into, and whether it is written in
 * place (a special file). A symbolic link is replaced by way of its target,
 * so that the link still points where it did. */
static int choose_final(Output *o, char *err, size_t errlen)
{
    o->in_place = path_is_special(o->path);
    char *final = o->in_place ? strdup(o->path) : path_rename_target(o->path);
    if (!final)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: cannot resolve the name", o->path);
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
 * loses nothing); else the format that loses least. AV_PIX_FMT_NONE when
 * the encoder has no usable format for this size. */
static enum AVPixelFormat choose_pix_fmt(const AVCodec *codec, enum AVPixelFormat src,
                                         int width, int height)
{
    enum { MAX_CANDIDATES = 256 };
    enum AVPixelFormat usable[MAX_CANDIDATES + 1];
    int n = 0, exact = 0, has_420 = 0;

    if (!codec->pix_fmts)
        return src; /* the encoder does not say: assume it takes anything */
    for (const enum AVPixelFormat *p = codec->pix_fmts;
         *p != AV_PIX_FMT_NONE && n < MAX_CANDIDATES; p++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*p);
        if (!d || (d->flags & AV_PIX_FMT_FLAG_HWACCEL) || is_yuvj(*p))
            continue;
        if (needs_whole_chroma(codec->id) &&
            ((width & ((1 << d->log2_chroma_w) - 1)) ||
             (height & ((1 << d->log2_chroma_h) - 1))))
            continue;
        usable[n++] = *p;
        exact |= *p == src;
        has_420 |= *p == AV_PIX_FMT_YUV420P;
    }
    usable[n] = AV_PIX_FMT_NONE;
    if (exact)
        return src;
    if (has_420 && (prefers_420(codec->id) || family_of(src) == FAMILY_GRAY))
        return AV_PIX_FMT_YUV420P;
    return n ? avcodec_find_best_pix_fmt_of_list(usable, src, 0, NULL) : AV_PIX_FMT_NONE;
}

/* Opens o->venc for codec with the caller's frame description, and makes
 * o->picture (and o->sws when the format or range must change). */
static int open_video_encoder(Output *o, const AVCodec *codec, const OutputOptions *opt,
                              int global_header, char *err, size_t errlen)
{
    enum AVPixelFormat dst = choose_pix_fmt(codec, opt->pix_fmt, opt->width, opt->height);
    if (dst == AV_PIX_FMT_NONE)
        return fail(err, errlen, AVERROR(EINVAL),
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
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
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
        return fail(err, errlen, ret, "%s: cannot open encoder '%s' (%dx%d %s): %s",
                    o->path, codec->name, c->width, c->height,
                    av_get_pix_fmt_name(dst), av_err2str(ret));
    if (crf_ignored)
        return fail(err, errlen, AVERROR(EINVAL), "%s: encoder '%s' has no crf option",
                    o->path, codec->name);

    o->picture = av_frame_alloc();
    o->pkt = av_packet_alloc();
    if (!o->picture || !o->pkt)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
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
        return fail(err, errlen, ret, "%s: out of memory", o->path);

    int range_change = in_family != FAMILY_RGB && out_family != FAMILY_RGB &&
                       in_range != out_range;
    if (dst != opt->pix_fmt || range_change) {
        o->sws = sws_getContext(opt->width, opt->height, opt->pix_fmt,
                                c->width, c->height, dst, SWS_BICUBIC, NULL, NULL, NULL);
        if (!o->sws)
            return fail(err, errlen, AVERROR(EINVAL), "%s: cannot convert %s to %s",
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

/* The default video encoder for a container, or the one named by the
 * caller; checks that the container can hold what it makes. */
static int find_video_encoder(const Output *o, const AVOutputFormat *ofmt, const char *name,
                              const AVCodec **codec, char *err, size_t errlen)
{
    const AVCodec *c = NULL;
    if (name) {
        c = avcodec_find_encoder_by_name(name);
        if (!c)
            return fail(err, errlen, AVERROR_ENCODER_NOT_FOUND,
                        "%s: unknown video encoder '%s'", o->path, name);
        if (c->type != AVMEDIA_TYPE_VIDEO)
            return fail(err, errlen, AVERROR(EINVAL), "%s: '%s' is not a video encoder",
                        o->path, name);
    } else if (ofmt->video_codec == AV_CODEC_ID_VP8 || ofmt->video_codec == AV_CODEC_ID_VP9) {
        c = avcodec_find_encoder_by_name("libvpx-vp9");
    } else if (avformat_query_codec(ofmt, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) == 1) {
        c = avcodec_find_encoder_by_name("libx264");
    }
    if (!c && ofmt->video_codec != AV_CODEC_ID_NONE)
        c = avcodec_find_encoder(ofmt->video_codec);
    if (!c)
        return fail(err, errlen, AVERROR_ENCODER_NOT_FOUND,
                    "%s: no video encoder available for format '%s'", o->path, ofmt->name);
    /* 1 = accepted, 0 = refused, negative = the muxer does not say. */
    if (avformat_query_codec(ofmt, c->id, FF_COMPLIANCE_NORMAL) == 0)
        return fail(err, errlen, AVERROR(EINVAL), "%s: format '%s' cannot hold %s video",
                    o->path, ofmt->name, avcodec_get_name(c->id));
    *codec = c;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Audio set-up */

/* A layout with a defined channel order: "unspecified" (N channels from a
 * container that did not say which) becomes FFmpeg's default for N. */
static int normalized_layout(AVChannelLayout *dst, const AVChannelLayout *src)
{
    if (src->order == AV_CHANNEL_ORDER_UNSPEC) {
        av_channel_layout_default(dst, src->nb_channels);
        return 0;
    }
    return av_channel_layout_copy(dst, src);
}

/* The input's layout if the encoder takes it; else the encoder's first
 * layout with as many channels; else its largest layout with fewer; else
 * its first. */
static int choose_layout(const AVCodec *codec, const AVChannelLayout *in, AVChannelLayout *out)
{
    const AVChannelLayout *l, *pick = NULL;
    if (!codec->ch_layouts)
        return av_channel_layout_copy(out, in);
    for (l = codec->ch_layouts; l->nb_channels; l++)
        if (!av_channel_layout_compare(l, in))
            return av_channel_layout_copy(out, in);
    for (l = codec->ch_layouts; l->nb_channels; l++)
        if (l->nb_channels == in->nb_channels)
            return av_channel_layout_copy(out, l);
    for (l = codec->ch_layouts; l->nb_channels; l++)
        if (l->nb_channels < in->nb_channels && (!pick || l->nb_channels > pick->nb_channels))
            pick = l;
    return av_channel_layout_copy(out, pick ? pick : codec->ch_layouts);
}

/* The input's rate if supported, else the lowest supported rate above it,
 * else the highest (Opus: 44.1 kHz becomes 48 kHz). */
static int choose_sample_rate(const AVCodec *codec, int in)
{
    const int *r = codec->supported_samplerates;
    int above = 0, highest = 0;
    if (!r)
        return in;
    for (; *r; r++) {
        if (*r == in)
            return in;
        if (*r > in && (!above || *r < above))
            above = *r;
        highest = FFMAX(highest, *r);
    }
    return above ? above : highest;
}

static enum AVSampleFormat choose_sample_fmt(const AVCodec *codec, enum AVSampleFormat in)
{
    const enum AVSampleFormat *f = codec->sample_fmts;
    if (!f)
        return in;
    for (; *f != AV_SAMPLE_FMT_NONE; f++)
        if (*f == in)
            return in;
    return codec->sample_fmts[0];
}

/* Adds the audio stream to o->fc: a copy when the container accepts the
 * codec, else a decoder and the container's default audio encoder. A
 * container without audio (default audio codec none) gets no stream. */
static int setup_audio(Output *o, const AVStream *in, char *err, size_t errlen)
{
    const AVOutputFormat *ofmt = o->fc->oformat;
    const AVCodecParameters *par = in->codecpar;
    int ret;

    if (par->codec_type != AVMEDIA_TYPE_AUDIO)
        return fail(err, errlen, AVERROR(EINVAL), "%s: the audio stream is not audio", o->path);
    o->audio_in_tb = in->time_base;

    if (avformat_query_codec(ofmt, par->codec_id, FF_COMPLIANCE_NORMAL) == 1) {
        o->ast = avformat_new_stream(o->fc, NULL);
        if (!o->ast)
            return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        ret = avcodec_parameters_copy(o->ast->codecpar, par);
        if (ret < 0)
            return fail(err, errlen, ret, "%s: out of memory", o->path);
        o->ast->codecpar->codec_tag = 0; /* the input container's tag may not apply */
        o->ast->time_base = in->time_base;
        o->audio_mode = AUDIO_COPY;
        return 0;
    }
    if (ofmt->audio_codec == AV_CODEC_ID_NONE)
        return 0;

    const AVCodec *dec = avcodec_find_decoder(par->codec_id);
    const AVCodec *enc = avcodec_find_encoder(ofmt->audio_codec);
    if (!dec)
        return fail(err, errlen, AVERROR_DECODER_NOT_FOUND,
                    "%s: no decoder for the %s audio, which format '%s' cannot hold",
                    o->path, avcodec_get_name(par->codec_id), ofmt->name);
    if (!enc)
        return fail(err, errlen, AVERROR_ENCODER_NOT_FOUND,
                    "%s: no %s audio encoder for format '%s'", o->path,
                    avcodec_get_name(ofmt->audio_codec), ofmt->name);

    o->adec = avcodec_alloc_context3(dec);
    o->aenc = avcodec_alloc_context3(enc);
    o->decoded = av_frame_alloc();
    o->aframe = av_frame_alloc();
    if (!o->adec || !o->aenc || !o->decoded || !o->aframe)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    ret = avcodec_parameters_to_context(o->adec, par);
    if (ret >= 0) {
        o->adec->pkt_timebase = in->time_base;
        ret = avcodec_open2(o->adec, dec, NULL);
    }
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot open the %s audio decoder: %s",
                    o->path, dec->name, av_err2str(ret));

    AVChannelLayout in_layout = { 0 };
    if (par->ch_layout.nb_channels <= 0 || par->sample_rate <= 0)
        return fail(err, errlen, AVERROR(EINVAL), "%s: the audio stream has no %s",
                    o->path, par->sample_rate <= 0 ? "sample rate" : "channel count");
    ret = normalized_layout(&in_layout, &par->ch_layout);
    if (ret >= 0)
        ret = choose_layout(enc, &in_layout, &o->aenc->ch_layout);
    av_channel_layout_uninit(&in_layout);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: out of memory", o->path);
    o->aenc->sample_rate = choose_sample_rate(enc, par->sample_rate);
    o->aenc->sample_fmt = choose_sample_fmt(enc, o->adec->sample_fmt);
    o->aenc->time_base = (AVRational){ 1, o->aenc->sample_rate };
    if (ofmt->flags & AVFMT_GLOBALHEADER)
        o->aenc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ret = avcodec_open2(o->aenc, enc, NULL);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot open the %s audio encoder: %s",
                    o->path, enc->name, av_err2str(ret));

    o->ast = avformat_new_stream(o->fc, NULL);
    if (!o->ast)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    ret = avcodec_parameters_from_context(o->ast->codecpar, o->aenc);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: out of memory", o->path);
    o->ast->time_base = o->aenc->time_base;

    /* Encoders without a fixed frame size take any count; 1024 is as good
     * a chunk as any. */
    o->chunk = o->aenc->frame_size > 0 ? o->aenc->frame_size : 1024;
    o->aframe->format = o->aenc->sample_fmt;
    o->aframe->sample_rate = o->aenc->sample_rate;
    o->aframe->nb_samples = o->chunk;
    ret = av_channel_layout_copy(&o->aframe->ch_layout, &o->aenc->ch_layout);
    if (ret >= 0)
        ret = av_frame_get_buffer(o->aframe, 0);
    o->fifo = av_audio_fifo_alloc(o->aenc->sample_fmt, o->aenc->ch_layout.nb_channels,
                                  2 * o->chunk);
    if (ret < 0 || !o->fifo)
        return fail(err, errlen, ret < 0 ? ret : AVERROR(ENOMEM), "%s: out of memory", o->path);
    o->audio_next_pts = AV_NOPTS_VALUE;
    o->audio_mode = AUDIO_TRANSCODE;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Opening */

static int open_video_file(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    const char *ext = extension_of(o->path);
    const AVOutputFormat *ofmt = av_guess_format(NULL, o->path, NULL);
    const AVCodec *codec = NULL;
    int ret;

    if (!ofmt && !ext)
        return fail(err, errlen, AVERROR_MUXER_NOT_FOUND,
                    "%s: no file extension to choose the output format by "
                    "(use mp4, mkv, webm, mov, or an image pattern)", o->path);
    if (!ofmt)
        return fail(err, errlen, AVERROR_MUXER_NOT_FOUND,
                    "%s: unknown output format '.%s' (use mp4, mkv, webm, mov, or an image pattern)",
                    o->path, ext);
    /* Muxers that do their own file handling (image2, hls, segment, ...)
     * would write names of their own choosing, beyond our temp-and-rename. */
    if (ofmt->flags & AVFMT_NOFILE)
        return fail(err, errlen, AVERROR(EINVAL),
                    "%s: output format '%s' is not supported (use mp4, mkv, webm, mov, or an image pattern)",
                    o->path, ofmt->name);
    if (opt->time_base.num <= 0 || opt->time_base.den <= 0)
        return fail(err, errlen, AVERROR(EINVAL), "%s: invalid time base %d/%d",
                    o->path, opt->time_base.num, opt->time_base.den);
    ret = find_video_encoder(o, ofmt, opt->codec, &codec, err, errlen);
    if (ret < 0)
        return ret;

    o->tmp = o->in_place ? av_strdup(o->final) : temp_name_for(o->final);
    if (!o->tmp)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    /* The muxer is forced: the temporary name has no useful extension. */
    ret = avformat_alloc_output_context2(&o->fc, ofmt, NULL, o->tmp);
    if (ret < 0 || !(o->vst = avformat_new_stream(o->fc, NULL)))
        return fail(err, errlen, ret < 0 ? ret : AVERROR(ENOMEM), "%s: out of memory", o->path);

    ret = open_video_encoder(o, codec, opt, !!(ofmt->flags & AVFMT_GLOBALHEADER), err, errlen);
    if (ret < 0)
        return ret;
    ret = avcodec_parameters_from_context(o->vst->codecpar, o->venc);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: out of memory", o->path);
    o->vst->time_base = o->venc->time_base; /* a hint; the muxer may change it */
    o->vst->avg_frame_rate = o->venc->framerate;
    o->vst->sample_aspect_ratio = o->venc->sample_aspect_ratio;
    if (opt->display_matrix) {
        uint8_t *sd = av_stream_new_side_data(o->vst, AV_PKT_DATA_DISPLAYMATRIX,
                                              9 * sizeof(int32_t));
        if (!sd)
            return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        memcpy(sd, opt->display_matrix, 9 * sizeof(int32_t));
    }
    if (opt->audio) {
        ret = setup_audio(o, opt->audio, err, errlen);
        if (ret < 0)
            return ret;
    }

    ret = avio_open(&o->fc->pb, o->tmp, AVIO_FLAG_WRITE);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot create '%s': %s", o->path, o->tmp,
                    av_err2str(ret));
    o->tmp_exists = !o->in_place;
    ret = avformat_write_header(o->fc, NULL);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot write the %s header: %s", o->path,
                    ofmt->name, av_err2str(ret));
    return 0;
}

static int open_images(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    const char *ext = extension_of(o->path);
    /* A known image extension names the file type, so its encoder writes
     * the files: --codec and --crf are video-file settings (the CLI hands
     * them to the matte too) and would otherwise put, say, H.264 packets
     * into .png files. Only an unknown extension takes the --codec. */
    const char *name = image_encoder_for(ext);
    int by_extension = name != NULL;
    if (!name)
        name = opt->codec;
    const AVCodec *codec;
    int ret;

    if (!name)
        return fail(err, errlen, AVERROR(EINVAL),
                    "%s: unknown image format '%s%s' (use png, jpg, bmp, webp, tiff, pgm or ppm)",
                    o->path, ext ? "." : "", ext ? ext : "");
    codec = avcodec_find_encoder_by_name(name);
    if (!codec)
        return fail(err, errlen, AVERROR_ENCODER_NOT_FOUND, "%s: %s video encoder '%s'",
                    o->path, opt->codec ? "unknown" : "missing", name);
    if (codec->type != AVMEDIA_TYPE_VIDEO)
        return fail(err, errlen, AVERROR(EINVAL), "%s: '%s' is not a video encoder",
                    o->path, name);
    if (o->kind == KIND_IMAGE) {
        /* The picture's temporary exists from now on (and is filled when
         * the encoder delivers): a failure to create it shows now. */
        o->tmp = o->in_place ? av_strdup(o->final) : temp_name_for(o->final);
        if (!o->tmp)
            return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        if (!o->in_place) {
            if ((ret = create_empty(o->path, o->tmp, err, errlen)) < 0)
                return ret;
            o->tmp_exists = 1;
        }
    }
    OutputOptions image_opt = *opt;
    if (by_extension)
        image_opt.crf = -1;
    /* The time base means nothing to a picture, but encoders require one. */
    if (image_opt.time_base.num <= 0 || image_opt.time_base.den <= 0)
        image_opt.time_base = (AVRational){ 1, 25 };
    return open_video_encoder(o, codec, &image_opt, 0, err, errlen);
}

int output_open(Output **out, const OutputOptions *opt, char *err, size_t errlen)
{
    if (!out || !opt || !opt->path || !*opt->path)
        return fail(err, errlen, AVERROR(EINVAL), "output: no destination given");
    *out = NULL;
    if (opt->width <= 0 || opt->height <= 0 || !av_pix_fmt_desc_get(opt->pix_fmt))
        return fail(err, errlen, AVERROR(EINVAL), "%s: invalid frame description %dx%d %s",
                    opt->path, opt->width, opt->height,
                    opt->pix_fmt == AV_PIX_FMT_NONE ? "none" : "(unknown format)");

    Output *o = av_mallocz(sizeof *o);
    if (!o || !(o->path = av_strdup(opt->path))) {
        av_free(o);
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", opt->path);
    }
    o->width = opt->width;
    o->height = opt->height;
    o->in_fmt = opt->pix_fmt;
    o->last_pts = AV_NOPTS_VALUE;
    o->protect = opt->protect;

    int ret = 0;
    if (!strcmp(o->path, "null")) {
        o->kind = KIND_NULL;
    } else if (has_frame_pattern(o->path)) {
        /* The pattern must be one FFmpeg expands; checking the directory
         * of the first name also covers patterns in the directory part. */
        char first[4096];
        o->kind = KIND_SEQUENCE;
        if (av_get_frame_filename2(first, sizeof first, o->path, 1, 0) < 0)
            ret = fail(err, errlen, AVERROR(EINVAL),
                       "%s: invalid image sequence pattern (use one %%d or %%0Nd)", o->path);
        else if ((ret = make_directories(o, first, err, errlen)) >= 0 &&
                 (ret = check_destination(o->path, first, err, errlen)) >= 0 &&
                 (ret = probe_create(o->path, first, err, errlen)) >= 0)
            ret = open_images(o, opt, err, errlen);
    } else {
        o->kind = image_encoder_for(extension_of(o->path)) ? KIND_IMAGE : KIND_VIDEO;
        if (!*base_of(o->path))
            ret = fail(err, errlen, AVERROR(EISDIR), "%s: is a directory", o->path);
        else if ((ret = choose_final(o, err, errlen)) >= 0 &&
                 (o->in_place || (ret = check_destination(o->path, o->final, err, errlen)) >= 0))
            ret = o->kind == KIND_IMAGE ? open_images(o, opt, err, errlen)
                                        : open_video_file(o, opt, err, errlen);
    }
    if (ret < 0) {
        output_abort(&o);
        return ret;
    }
    *out = o;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Writing */

/* Writes one picture packet of an image kind; the packet is consumed. */
static int write_picture(Output *o, AVPacket *pkt, char *err, size_t errlen)
{
    int ret;
    if (o->kind == KIND_IMAGE) {
        /* Only one frame is ever accepted, so there is only one packet. */
        ret = write_file(o->tmp, pkt->data, (size_t)pkt->size);
        av_packet_unref(pkt);
        if (ret < 0)
            return fail(err, errlen, ret, "%s: cannot write '%s': %s", o->path, o->tmp,
                        av_err2str(ret));
        o->tmp_exists = !o->in_place;
        o->images++;
        return 0;
    }

    char name[4096];
    if (av_get_frame_filename2(name, sizeof name, o->path, (int)(o->images + 1), 0) < 0) {
        av_packet_unref(pkt);
        return fail(err, errlen, AVERROR(EINVAL), "%s: cannot make the name of picture %" PRId64,
                    o->path, o->images + 1);
    }
    if (o->nfiles == o->files_cap) {
        size_t cap = o->files_cap ? 2 * o->files_cap : 64;
        SequenceFile *files = av_realloc_array(o->files, cap, sizeof *files);
        if (!files) {
            av_packet_unref(pkt);
            return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        }
        o->files = files;
        o->files_cap = cap;
    }
    char *final = av_strdup(name);
    char *tmp = temp_name_for(name);
    if (!final || !tmp) {
        ret = fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    } else if ((ret = write_file(tmp, pkt->data, (size_t)pkt->size)) < 0) {
        fail(err, errlen, ret, "%s: cannot write '%s': %s", o->path, tmp, av_err2str(ret));
    } else {
        /* From now on ours to remove on failure, or to rename at the end. */
        o->files[o->nfiles++] = (SequenceFile){ tmp, final };
        tmp = final = NULL;
        o->images++;
    }
    av_packet_unref(pkt);
    av_free(final);
    av_free(tmp);
    return ret;
}

/* Hands every packet the video encoder has ready to the muxer or to the
 * picture writer. Returns at EAGAIN (needs input) or EOF (flushed). */
static int drain_video(Output *o, char *err, size_t errlen)
{
    for (;;) {
        int ret = avcodec_receive_packet(o->venc, o->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return fail(err, errlen, ret, "%s: video encoding failed: %s", o->path,
                        av_err2str(ret));
        if (o->kind != KIND_VIDEO) {
            ret = write_picture(o, o->pkt, err, errlen);
            if (ret < 0)
                return ret;
            continue;
        }
        /* Encoders rarely set durations; without one the muxer has to
         * guess the last frame's. */
        if (o->pkt->duration <= 0)
            o->pkt->duration = o->pts_step;
        av_packet_rescale_ts(o->pkt, o->venc->time_base, o->vst->time_base);
        o->pkt->stream_index = o->vst->index;
        ret = av_interleaved_write_frame(o->fc, o->pkt); /* consumes the packet */
        if (ret < 0)
            return fail(err, errlen, ret, "%s: cannot write video: %s", o->path,
                        av_err2str(ret));
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
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    o->staging->format = o->in_fmt;
    o->staging->width = o->width;
    o->staging->height = o->height;
    int ret = av_frame_get_buffer(o->staging, 0);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: out of memory", o->path);
    return 0;
}

AVFrame *output_frame(Output *o, char *err, size_t errlen)
{
    if (!o) {
        fail(err, errlen, AVERROR(EINVAL), "output: no output");
        return NULL;
    }
    int direct = o->kind != KIND_NULL && !o->sws;
    if (!direct && make_staging(o, err, errlen) < 0)
        return NULL;
    AVFrame *f = direct ? o->picture : o->staging;
    /* The encoder may still hold a reference to the previous picture
     * (frame threads, lookahead): then this gives the frame a fresh buffer,
     * else it is a no-op and the one buffer is reused. */
    int ret = av_frame_make_writable(f);
    if (ret < 0) {
        fail(err, errlen, ret, "%s: out of memory", o->path);
        return NULL;
    }
    return f;
}

int output_write_video(Output *o, const AVFrame *frame, char *err, size_t errlen)
{
    if (!o || !frame)
        return fail(err, errlen, AVERROR(EINVAL), "output: no output or frame");
    if (o->kind == KIND_NULL) {
        o->frames++;
        return 0;
    }
    if (frame->width != o->width || frame->height != o->height || frame->format != o->in_fmt)
        return fail(err, errlen, AVERROR(EINVAL),
                    "%s: frame is %dx%d %s, but the output was opened for %dx%d %s",
                    o->path, frame->width, frame->height,
                    av_get_pix_fmt_name(frame->format) ? av_get_pix_fmt_name(frame->format) : "?",
                    o->width, o->height, av_get_pix_fmt_name(o->in_fmt));
    if (o->kind == KIND_IMAGE && o->frames >= 1) {
        const char *ext = extension_of(o->path); /* non-NULL: it made this KIND_IMAGE */
        return fail(err, errlen, AVERROR(EINVAL),
                    "%s: single image output but the input has more than one frame; "
                    "use a pattern such as %.*s_%%06d.%s",
                    o->path, (int)(ext - 1 - o->path), o->path, ext);
    }

    /* A frame from output_frame() is the picture itself: no copy. Another
     * frame is copied rather than referenced: it may not be reference
     * counted, and its properties (picture type, side data) must not steer
     * the encoder. */
    int ret = 0;
    if (frame != o->picture && (ret = av_frame_make_writable(o->picture)) < 0)
        return fail(err, errlen, ret, "%s: out of memory", o->path);
    if (frame == o->picture) {
        /* filled in place */
    } else if (o->sws) {
        ret = sws_scale(o->sws, (const uint8_t *const *)frame->data, frame->linesize, 0, o->height,
                        o->picture->data, o->picture->linesize);
        if (ret != o->height)
            return fail(err, errlen, ret < 0 ? ret : AVERROR_EXTERNAL, "%s: cannot convert the frame",
                        o->path);
    } else if ((ret = av_frame_copy(o->picture, frame)) < 0)
        return fail(err, errlen, ret, "%s: cannot copy the frame: %s", o->path,
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
        return fail(err, errlen, ret, "%s: video encoding failed: %s", o->path,
                    av_err2str(ret));
    o->frames++;
    return drain_video(o, err, errlen);
}

/* Audio transcoding: packet -> decoder -> resampler -> fifo -> encoder. */

static int drain_audio_encoder(Output *o, char *err, size_t errlen)
{
    for (;;) {
        int ret = avcodec_receive_packet(o->aenc, o->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return fail(err, errlen, ret, "%s: audio encoding failed: %s", o->path,
                        av_err2str(ret));
        av_packet_rescale_ts(o->pkt, o->aenc->time_base, o->ast->time_base);
        o->pkt->stream_index = o->ast->index;
        ret = av_interleaved_write_frame(o->fc, o->pkt);
        if (ret < 0)
            return fail(err, errlen, ret, "%s: cannot write audio: %s", o->path,
                        av_err2str(ret));
    }
}

/* Encodes whole chunks from the fifo; with flush, also the remainder, as a
 * short last frame if the encoder allows one, else padded with silence. */
static int encode_fifo(Output *o, int flush, char *err, size_t errlen)
{
    int small_last = !!(o->aenc->codec->capabilities &
                        (AV_CODEC_CAP_SMALL_LAST_FRAME | AV_CODEC_CAP_VARIABLE_FRAME_SIZE));
    while (av_audio_fifo_size(o->fifo) >= o->chunk ||
           (flush && av_audio_fifo_size(o->fifo) > 0)) {
        int n = FFMIN(av_audio_fifo_size(o->fifo), o->chunk);
        o->aframe->nb_samples = o->chunk; /* the size make_writable allocates */
        int ret = av_frame_make_writable(o->aframe);
        if (ret < 0)
            return fail(err, errlen, ret, "%s: out of memory", o->path);
        if (av_audio_fifo_read(o->fifo, (void **)o->aframe->extended_data, n) != n)
            return fail(err, errlen, AVERROR_BUG, "%s: audio fifo underrun", o->path);
        if (n < o->chunk && small_last)
            o->aframe->nb_samples = n;
        else if (n < o->chunk)
            av_samples_set_silence(o->aframe->extended_data, n, o->chunk - n,
                                   o->aenc->ch_layout.nb_channels, o->aenc->sample_fmt);
        o->aframe->pts = o->audio_next_pts;
        o->audio_next_pts += o->aframe->nb_samples;
        ret = avcodec_send_frame(o->aenc, o->aframe);
        if (ret < 0)
            return fail(err, errlen, ret, "%s: audio encoding failed: %s", o->path,
                        av_err2str(ret));
        ret = drain_audio_encoder(o, err, errlen);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* (Re)makes the resampler for the format of frame; the decoder's output
 * format is only certain once it has produced a frame. */
static int setup_resampler(Output *o, const AVFrame *frame, char *err, size_t errlen)
{
    AVChannelLayout layout = { 0 };
    int ret = normalized_layout(&layout, &frame->ch_layout);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: out of memory", o->path);
    if (o->swr && !av_channel_layout_compare(&layout, &o->swr_layout) &&
        frame->sample_rate == o->swr_rate && frame->format == o->swr_fmt) {
        av_channel_layout_uninit(&layout);
        return 0;
    }
    swr_free(&o->swr); /* a format change mid-stream drops its few buffered samples */
    av_channel_layout_uninit(&o->swr_layout);
    o->swr_layout = layout; /* takes ownership */
    o->swr_rate = frame->sample_rate;
    o->swr_fmt = frame->format;
    ret = swr_alloc_set_opts2(&o->swr, &o->aenc->ch_layout, o->aenc->sample_fmt,
                              o->aenc->sample_rate, &layout, frame->format,
                              frame->sample_rate, 0, NULL);
    if (ret >= 0)
        ret = swr_init(o->swr);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot resample %d Hz %s audio: %s", o->path,
                    frame->sample_rate, av_get_sample_fmt_name(frame->format),
                    av_err2str(ret));
    return 0;
}

/* Resamples frame (NULL: drains the resampler) into the fifo. */
static int resample(Output *o, const AVFrame *frame, char *err, size_t errlen)
{
    int in_samples = frame ? frame->nb_samples : 0;
    int room = swr_get_out_samples(o->swr, in_samples);
    if (room < 0)
        return fail(err, errlen, room, "%s: resampling failed", o->path);
    if (room > o->abuf_samples) {
        if (o->abuf)
            av_freep(&o->abuf[0]);
        av_freep(&o->abuf);
        o->abuf_samples = 0;
        int ret = av_samples_alloc_array_and_samples(&o->abuf, NULL,
                                                     o->aenc->ch_layout.nb_channels,
                                                     room, o->aenc->sample_fmt, 0);
        if (ret < 0)
            return fail(err, errlen, ret, "%s: out of memory", o->path);
        o->abuf_samples = room;
    }
    int n = swr_convert(o->swr, o->abuf, o->abuf_samples,
                        frame ? (const uint8_t **)frame->extended_data : NULL, in_samples);
    if (n < 0)
        return fail(err, errlen, n, "%s: resampling failed: %s", o->path, av_err2str(n));
    if (n > 0 && av_audio_fifo_write(o->fifo, (void **)o->abuf, n) != n)
        return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    return 0;
}

/* Decodes pkt (NULL: flushes the decoder) and encodes what is complete. */
static int transcode_audio(Output *o, const AVPacket *pkt, char *err, size_t errlen)
{
    int ret = avcodec_send_packet(o->adec, pkt);
    /* A damaged packet costs a moment of sound, not the whole run. */
    if (ret == AVERROR_INVALIDDATA)
        return 0;
    if (ret < 0 && ret != AVERROR_EOF)
        return fail(err, errlen, ret, "%s: audio decoding failed: %s", o->path,
                    av_err2str(ret));
    for (;;) {
        ret = avcodec_receive_frame(o->adec, o->decoded);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return fail(err, errlen, ret, "%s: audio decoding failed: %s", o->path,
                        av_err2str(ret));
        ret = setup_resampler(o, o->decoded, err, errlen);
        if (ret >= 0 && o->audio_next_pts == AV_NOPTS_VALUE) {
            /* The output audio starts where the input's does; from then on
             * its timestamps count samples. */
            int64_t start = o->decoded->best_effort_timestamp;
            o->audio_next_pts = start == AV_NOPTS_VALUE ? 0 :
                av_rescale_q(start, o->audio_in_tb, o->aenc->time_base);
        }
        if (ret >= 0)
            ret = resample(o, o->decoded, err, errlen);
        av_frame_unref(o->decoded);
        if (ret >= 0)
            ret = encode_fifo(o, 0, err, errlen);
        if (ret < 0)
            return ret;
    }
}

int output_write_audio(Output *o, const AVPacket *pkt, char *err, size_t errlen)
{
    if (!o || !pkt)
        return fail(err, errlen, AVERROR(EINVAL), "output: no output or packet");
    if (o->audio_mode == AUDIO_TRANSCODE)
        return transcode_audio(o, pkt, err, errlen);
    if (o->audio_mode == AUDIO_NONE)
        return 0;

    int ret = av_packet_ref(o->pkt, pkt);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: out of memory", o->path);
    av_packet_rescale_ts(o->pkt, o->audio_in_tb, o->ast->time_base);
    o->pkt->stream_index = o->ast->index;
    o->pkt->pos = -1;
    ret = av_interleaved_write_frame(o->fc, o->pkt); /* consumes the packet */
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot write audio: %s", o->path, av_err2str(ret));
    return 0;
}

int64_t output_frames(const Output *o)
{
    return o ? o->frames : 0;
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

/* Pushes the last samples out of decoder, resampler, fifo and encoder. */
static int flush_audio(Output *o, char *err, size_t errlen)
{
    int ret = transcode_audio(o, NULL, err, errlen);
    if (ret < 0)
        return ret;
    if (o->swr && (ret = resample(o, NULL, err, errlen)) < 0)
        return ret;
    if ((ret = encode_fifo(o, 1, err, errlen)) < 0)
        return ret;
    ret = avcodec_send_frame(o->aenc, NULL);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: audio encoding failed: %s", o->path,
                    av_err2str(ret));
    return drain_audio_encoder(o, err, errlen);
}

/* Flushes encoders and completes the files; the temporary of a video or
 * single image is still under its temporary name on return. */
static int complete(Output *o, char *err, size_t errlen)
{
    int ret;
    if (o->kind == KIND_NULL)
        return 0;
    ret = avcodec_send_frame(o->venc, NULL);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: video encoding failed: %s", o->path,
                    av_err2str(ret));
    ret = drain_video(o, err, errlen);
    if (ret < 0)
        return ret;
    if (o->kind == KIND_IMAGE && !o->images)
        return fail(err, errlen, AVERROR(EINVAL), "%s: no frame to write", o->path);
    if (o->kind != KIND_VIDEO)
        return 0;

    if (o->audio_mode == AUDIO_TRANSCODE && (ret = flush_audio(o, err, errlen)) < 0)
        return ret;
    ret = av_write_trailer(o->fc);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot finish the file: %s", o->path,
                    av_err2str(ret));
    /* Closing flushes the last buffered bytes: a full disk shows up here. */
    ret = avio_closep(&o->fc->pb);
    if (ret < 0)
        return fail(err, errlen, ret, "%s: cannot write '%s': %s", o->path, o->tmp,
                    av_err2str(ret));
    return 0;
}

int output_complete(Output *o, char *err, size_t errlen)
{
    if (!o)
        return fail(err, errlen, AVERROR(EINVAL), "output: nothing to complete");
    int ret = complete(o, err, errlen);
    if (ret >= 0)
        o->completed = 1;
    return ret;
}

/* Renaming onto one of the input's files is refused: the last guard (the
 * command line was checked before anything was written). */
static int check_replace(const Output *o, const char *name, char *err, size_t errlen)
{
    FileId id;
    if (o->protect && path_file_id(name, &id) && fileid_set_contains(o->protect, id))
        return fail(err, errlen, AVERROR(EEXIST), "%s: '%s' is one of the input's files; "
                    "nothing was written", o->path, name);
    return 0;
}

/* Renames tmp onto name, keeping the replaced file's permission bits. */
static int rename_into_place(const Output *o, const char *tmp, const char *name, char *err,
                             size_t errlen)
{
    int e = -path_replace(tmp, name);
    if (e)
        return fail(err, errlen, AVERROR(e), "%s: cannot rename '%s' into place: %s", o->path,
                    tmp, strerror(e));
    return 0;
}

static int commit(Output *o, char *err, size_t errlen)
{
    int ret = 0;
    if (o->kind == KIND_VIDEO || o->kind == KIND_IMAGE) {
        if (!o->tmp_exists)
            return 0; /* in place, or null */
        if ((ret = check_replace(o, o->final, err, errlen)) < 0 ||
            (ret = rename_into_place(o, o->tmp, o->final, err, errlen)) < 0)
            return ret;
        o->tmp_exists = 0;
        return 0;
    }
    /* A sequence: every name is checked before the first is replaced; a
     * picture whose name is a symbolic link replaces the link's target. */
    for (size_t i = 0; i < o->nfiles && ret >= 0; i++) {
        char *target = path_rename_target(o->files[i].final);
        if (!target)
            return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        av_free(o->files[i].final);
        o->files[i].final = av_strdup(target);
        free(target);
        if (!o->files[i].final)
            return fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        ret = check_replace(o, o->files[i].final, err, errlen);
    }
    for (size_t i = 0; i < o->nfiles && ret >= 0; i++) {
        ret = rename_into_place(o, o->files[i].tmp, o->files[i].final, err, errlen);
        if (ret >= 0)
            av_freep(&o->files[i].tmp); /* in place: no longer ours to remove */
    }
    return ret;
}

int output_commit(Output **out, char *err, size_t errlen)
{
    Output *o = out ? *out : NULL;
    if (!o || !o->completed)
        return fail(err, errlen, AVERROR(EINVAL), "output: nothing completed to commit");
    *out = NULL;
    int ret = commit(o, err, errlen);
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
