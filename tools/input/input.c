/*
 * Input module of the backdrop CLI; the contract is in input.h.
 *
 * Decoding follows the send/receive model: input_next() first asks the
 * decoder for a frame and reads from the container only when the decoder
 * wants more data. Because avcodec_receive_frame() has returned EAGAIN
 * before every avcodec_send_packet(), the send never reports EAGAIN and no
 * packet has to be held back.
 */
#include "input.h"
#include "../message.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <unistd.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/pixdesc.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>

#include "orient.h"
#include "../v4l2dev.h"

/* Container read errors in a row tolerated under INPUT_ON_ERROR_SKIP. A
 * demuxer normally resynchronises within a few packets; the bound stops one
 * that fails without advancing from spinning forever. */
#define MAX_READ_RETRIES 64

#define SKIP_HINT "; use --on-error skip to continue past it"

/* How a failure to open is worded: the video input and a background
 * picture describe the same problems differently. */
typedef struct Wording {
    const char *prefix;    /* put before every reason */
    const char *not_media; /* FFmpeg cannot make sense of the content */
    const char *no_video;  /* media, but without any picture in it */
} Wording;

static const Wording video_wording = {"", "not a video file", "no video stream"};
static const Wording image_wording = {"cannot read background image: ", "not an image",
                                      "no picture in it"};
static const Wording background_wording = {"", "not a picture or video", "no picture or video in it"};

/* Destination frames on buffers from a pool of one size and format. The
 * reader moves handed-out frames into its queue, so a destination cannot
 * simply keep its buffer; a pooled buffer goes back to the pool when the
 * last reference to it is dropped, so a steady stream allocates nothing
 * per frame whoever holds the frames. */
typedef struct FramePool {
    AVBufferPool *pool;
    int width, height;
    enum AVPixelFormat fmt;
    int linesize[4];
    size_t plane_size[4];
} FramePool;

/* Turns decoded frames into the format handed out. The swscale context and
 * the destination pool live as long as the source keeps its size, format
 * and colour labels, so a steady stream converts without allocating. */
typedef struct Converter {
    struct SwsContext *sws;
    /* What sws was made for; -1 in src_full / src_space means that the
     * context runs on swscale's defaults instead of the frame's labels. */
    int src_w, src_h, dst_w, dst_h;
    enum AVPixelFormat src_fmt, dst_fmt;
    int src_full;
    int src_space;
    FramePool pool;
    AVFrame *out; /* destination, on a buffer from pool */
} Converter;

struct Input {
    char *name; /* the input as messages call it */
    AVFormatContext *fmt;
    AVStream *video;
    AVStream *audio; /* NULL when the input has no usable audio */
    AVCodecContext *dec;
    AVPacket *pkt;     /* last packet read; handed out as the audio event */
    AVFrame *decoded;  /* decoder output; handed out as is when it fits */
    Converter conv;
    /* Pictures (image files, sequences, image pipes) are handed out upright
     * as their EXIF orientation says, turned into 'upright' (buffers from
     * upright_pool); video keeps its display matrix instead. */
    int is_picture;
    int is_still; /* one picture file: not a pattern, not a pipe */
    FramePool upright_pool;
    AVFrame *upright;
    enum AVPixelFormat want;
    InputErrorPolicy on_error;
    /* InputOptions.background: loop, no audio, labels, upright video. To
     * open the input again, its url and decoder threads; the orientation
     * that shows its video upright (1: as stored). */
    int background;
    char *url;
    int threads;
    int video_orientation;
    int fit_width, fit_height; /* background: InputOptions.fit_width/height */
    int64_t pass_frames; /* background: frames of the current pass */
    int passes;          /* background: passes started again */
    int64_t frames;   /* video frames decoded so far, i.e. the 0-based index of the next */
    int64_t skipped;
    int read_retries; /* consecutive read errors skipped */
    int flushing;     /* the container is exhausted and the decoder was told so */
    int done;         /* the decoder is drained: only EOF events remain */
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message_vset(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *display_name(const char *url)
{
    return strcmp(url, "-") == 0 ? "stdin" : url;
}

/* True when url holds a printf-style frame number ("%d", "%06d"), which only
 * the image2 demuxer expands. URLs with a scheme are left alone: there "%2d"
 * is an escaped '-', not a pattern. */
static int is_sequence_pattern(const char *url)
{
    if (strstr(url, "://"))
        return 0;
    const char *p = url;
    while ((p = strchr(p, '%')) != NULL) {
        p++;
        if (*p == '%') { /* "%%" is a literal percent sign */
            p++;
            continue;
        }
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p == 'd')
            return 1;
    }
    return 0;
}

/* Whether the demuxer reads pictures: image files and sequences (image2),
 * and pictures on a pipe (image2pipe, jpeg_pipe, png_pipe, webp_pipe, ...). */
static int is_picture_demuxer(const AVInputFormat *f)
{
    size_t n = strlen(f->name);
    return strncmp(f->name, "image2", 6) == 0 || (n > 5 && strcmp(f->name + n - 5, "_pipe") == 0);
}

/* RGB-like sources (packed or planar RGB, palette, Bayer) are handed out as
 * RGB24; everything else is YUV or grey and becomes YUV420P. */
static int is_rgb_like(enum AVPixelFormat fmt)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    return d && (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BAYER));
}

/* The yuvj formats are their yuv twins labelled full range. swscale warns
 * about them, so it is given the twin and told the range explicitly. */
static enum AVPixelFormat without_jpeg_label(enum AVPixelFormat fmt)
{
    switch (fmt) {
    case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: return AV_PIX_FMT_YUV411P;
    default: return fmt;
    }
}

/* Whether the frame's code values span 0..255. An explicit color_range wins,
 * except over a yuvj format, which is full range by definition; unlabelled
 * grey counts as full range, as it does in swscale (PNG, PGM). */
static int is_full_range(const AVFrame *f)
{
    enum AVPixelFormat fmt = f->format;
    if (is_rgb_like(fmt) || without_jpeg_label(fmt) != fmt)
        return 1;
    if (f->color_range != AVCOL_RANGE_UNSPECIFIED)
        return f->color_range == AVCOL_RANGE_JPEG;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    return d && d->nb_components <= 2;
}

/* The timing and colour labels of src, without side data or metadata, whose
 * copies would allocate on every frame. */
static void copy_frame_labels(AVFrame *dst, const AVFrame *src)
{
    dst->pts = src->pts;
    dst->pkt_dts = src->pkt_dts;
    dst->best_effort_timestamp = src->best_effort_timestamp;
    dst->pkt_duration = src->pkt_duration;
    dst->sample_aspect_ratio = src->sample_aspect_ratio;
    dst->key_frame = src->key_frame;
    dst->pict_type = src->pict_type;
    dst->color_range = src->color_range;
    dst->colorspace = src->colorspace;
    dst->color_primaries = src->color_primaries;
    dst->color_trc = src->color_trc;
    dst->chroma_location = AVCHROMA_LOC_UNSPECIFIED;
}

/* Buffers still in use stay valid; the pool goes when the last returns. */
static void frame_pool_free(FramePool *fp)
{
    av_buffer_pool_uninit(&fp->pool);
}

/* Points *pout (allocated when NULL, its previous buffer released) at a
 * buffer of its own from the pool, laid out for this size and format; the
 * pool is remade when they change. */
static int frame_pool_get(FramePool *fp, AVFrame **pout, int width, int height,
                          enum AVPixelFormat fmt)
{
    if (!fp->pool || fp->width != width || fp->height != height || fp->fmt != fmt) {
        frame_pool_free(fp);
        /* Rows 64-byte aligned and the end padded, as av_frame_get_buffer()
         * lays frames out for swscale's vector code. */
        ptrdiff_t strides[4];
        int ret = av_image_fill_linesizes(fp->linesize, fmt, FFALIGN(width, 64));
        for (int i = 0; i < 4; i++)
            strides[i] = fp->linesize[i];
        if (ret < 0 || (ret = av_image_fill_plane_sizes(fp->plane_size, fmt, height, strides)) < 0)
            return ret;
        size_t total = AV_INPUT_BUFFER_PADDING_SIZE;
        for (int i = 0; i < 4; i++)
            total += fp->plane_size[i];
        if (!(fp->pool = av_buffer_pool_init(total, NULL)))
            return AVERROR(ENOMEM);
        fp->width = width;
        fp->height = height;
        fp->fmt = fmt;
    }
    if (!*pout && !(*pout = av_frame_alloc()))
        return AVERROR(ENOMEM);
    AVFrame *out = *pout;
    av_frame_unref(out);
    if (!(out->buf[0] = av_buffer_pool_get(fp->pool)))
        return AVERROR(ENOMEM);
    out->width = width;
    out->height = height;
    out->format = fmt;
    uint8_t *plane = out->buf[0]->data;
    for (int i = 0; i < 4 && fp->plane_size[i]; i++) {
        out->data[i] = plane;
        out->linesize[i] = fp->linesize[i];
        plane += fp->plane_size[i];
    }
    return 0;
}

/* Writes src as shown upright into *pout (a frame from fp), with src's
 * labels; the sample aspect ratio turns with the picture. */
static int turn_upright(FramePool *fp, AVFrame **pout, const AVFrame *src, int orientation)
{
    int swap = orient_swaps_axes(orientation);
    int ret = frame_pool_get(fp, pout, swap ? src->height : src->width,
                             swap ? src->width : src->height, src->format);
    if (ret < 0)
        return ret;
    orient_apply(*pout, src, orientation);
    copy_frame_labels(*pout, src);
    AVRational sar = src->sample_aspect_ratio;
    if (swap && sar.num > 0 && sar.den > 0)
        (*pout)->sample_aspect_ratio = (AVRational){ sar.den, sar.num };
    return 0;
}

static void converter_free(Converter *c)
{
    sws_freeContext(c->sws);
    c->sws = NULL;
    av_frame_free(&c->out);
    frame_pool_free(&c->pool);
}

/* Converts src into c->out in dst_fmt, at dst_w x dst_h (the source's size
 * but for a background scaled to the frames').
 *
 * With use_labels, the source's range and matrix come from the frame's
 * labels; a YUV destination keeps the source's range (full in, full out), so
 * that no levels are squeezed, and is labelled accordingly. Without, swscale
 * sees the decoder's format as is and applies its defaults, exactly as
 * OpenCV's capture does (needed for bit-exact seed compatibility). */
static int converter_run(Converter *c, const AVFrame *src, enum AVPixelFormat dst_fmt, int dst_w, int dst_h,
                         int use_labels)
{
    if (src->width <= 0 || src->height <= 0)
        return AVERROR_INVALIDDATA;

    enum AVPixelFormat src_fmt = src->format;
    /* A grey destination is a matte: alpha levels, full range whatever the
     * source's range (limited video's 16..235 become 0..255; swscale takes
     * grey itself as full range whatever its label, and so do we). */
    int dst_is_grey = dst_fmt == AV_PIX_FMT_GRAY8;
    int dst_is_yuv = !is_rgb_like(dst_fmt) && !dst_is_grey;
    int src_full = use_labels ? is_full_range(src) : -1;
    int src_space = use_labels ? (int)src->colorspace : -1;

    if (!c->sws || c->src_w != src->width || c->src_h != src->height || c->src_fmt != src_fmt ||
        c->dst_fmt != dst_fmt || c->dst_w != dst_w || c->dst_h != dst_h || c->src_full != src_full ||
        c->src_space != src_space) {
        /* Scaling (backgrounds only) is bilinear: enough for a background
         * and half the work of bicubic on the decoding thread. */
        int scaled = dst_w != src->width || dst_h != src->height;
        sws_freeContext(c->sws);
        c->sws = sws_getContext(src->width, src->height,
                                use_labels ? without_jpeg_label(src_fmt) : src_fmt,
                                dst_w, dst_h, dst_fmt, scaled ? SWS_BILINEAR : SWS_BICUBIC, NULL, NULL, NULL);
        if (!c->sws)
            return AVERROR(ENOSYS);
        /* The same table on both sides: YUV to YUV keeps the matrix, and
         * for RGB destinations only the source table is used. */
        if (use_labels) {
            const int *table = sws_getCoefficients(src->colorspace);
            int dst_full = dst_is_yuv ? src_full : 1;
            if (sws_setColorspaceDetails(c->sws, table, src_full, table, dst_full, 0, 1 << 16,
                                         1 << 16) < 0) {
                sws_freeContext(c->sws);
                c->sws = NULL;
                return AVERROR(ENOTSUP);
            }
        }
        c->src_w = src->width;
        c->src_h = src->height;
        c->dst_w = dst_w;
        c->dst_h = dst_h;
        c->src_fmt = src_fmt;
        c->dst_fmt = dst_fmt;
        c->src_full = src_full;
        c->src_space = src_space;
    }

    int ret = frame_pool_get(&c->pool, &c->out, dst_w, dst_h, dst_fmt);
    if (ret < 0)
        return ret;
    AVFrame *out = c->out;
    ret = sws_scale(c->sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
                    out->data, out->linesize);
    if (ret < 0)
        return ret;
    if (ret != dst_h)
        return AVERROR_EXTERNAL;

    copy_frame_labels(out, src);
    if (use_labels && ((dst_is_yuv && src_full) || dst_is_grey))
        out->color_range = AVCOL_RANGE_JPEG;
    return 0;
}

static double stream_rotation(const AVStream *st);

/* The best real video stream. Cover art (an attached picture) is not video:
 * an audio file with a cover has no video stream for our purpose. */
static int find_video_stream(AVFormatContext *fmt)
{
    int best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (best < 0 || !(fmt->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        return best;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
    }
    return AVERROR_STREAM_NOT_FOUND;
}

/* Where an input name leads, as a table in the manner of dav1d's
 * tools/input/: the first source whose probe takes the name says what FFmpeg
 * opens and with which demuxer (NULL: FFmpeg probes the content). A camera
 * is a V4L2 device named "v4l2:PATH" or "/dev/video*" (whether it exists or
 * not, so that a missing one is reported as a missing camera), read with
 * libavdevice's video4linux2; other special files (/dev/stdin, a FIFO) stay
 * files. */
typedef struct InputSource {
    const char *name;
    int (*probe)(const char *url);
    const char *demuxer;
    const char *(*target)(const char *url);
} InputSource;

static int is_stdin(const char *url)
{
    return !strcmp(url, "-");
}

static const char *stdin_target(const char *url)
{
    return "pipe:0";
}

static int any_name(const char *url)
{
    return 1;
}

static const char *same_target(const char *url)
{
    return url;
}

static const char *camera_target(const char *url)
{
    return v4l2dev_path(url);
}

static const InputSource sources[] = {
    { "stdin", is_stdin, NULL, stdin_target },
    { "camera", v4l2dev_is_device_name, "video4linux2", camera_target },
    { "sequence", is_sequence_pattern, "image2", same_target },
    { "file", any_name, NULL, same_target }, /* files and URLs */
};

static const InputSource *source_of(const char *url)
{
    size_t i = 0;
    while (!sources[i].probe(url))
        i++; /* the last source takes any name */
    return &sources[i];
}

static void register_devices(void)
{
    avdevice_register_all();
}

/* Before libavdevice opens a camera: the device is there, a character
 * device, ours to open, and captures video. Each failure is its own
 * message (v4l2dev.h) rather than FFmpeg's bare strerror. */
static int check_camera(const char *path, char *err, size_t errlen)
{
    struct v4l2_capability cap;
    int fd = v4l2dev_open(V4L2_ROLE_CAMERA, path, O_RDWR | O_NONBLOCK, &cap, err, errlen);
    if (fd < 0)
        return AVERROR(-fd);
    int ret = v4l2dev_check_camera(&cap, path, err, errlen);
    close(fd);
    return ret < 0 ? AVERROR(-ret) : 0;
}

/* A camera's options for the video4linux2 demuxer (NULL opt: none). */
static int camera_options(AVDictionary **d, const InputOptions *opt)
{
    int ret = 0;
    if (opt && opt->video_size)
        ret = av_dict_set(d, "video_size", opt->video_size, 0);
    if (ret >= 0 && opt && opt->framerate)
        ret = av_dict_set(d, "framerate", opt->framerate, 0);
    if (ret >= 0 && opt && opt->input_format)
        ret = av_dict_set(d, "input_format", opt->input_format, 0);
    return ret;
}

/* Opens url ("-" = stdin) and finds its video stream. On failure *pfmt is
 * NULL and err names the input. opt: the camera options, or NULL. */
static int open_media(AVFormatContext **pfmt, AVStream **pvideo, const char *url,
                      const char *name, const Wording *w, const InputOptions *opt, char *err, size_t errlen)
{
    const InputSource *src = source_of(url);
    int camera = !strcmp(src->name, "camera");
    AVDictionary *dict = NULL;
    int ret;
    if (camera) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, register_devices);
        if ((ret = check_camera(src->target(url), err, errlen)) < 0 ||
            (ret = camera_options(&dict, opt)) < 0) {
            if (ret == AVERROR(ENOMEM))
                set_error(err, errlen, "%s: out of memory", name);
            av_dict_free(&dict);
            *pfmt = NULL;
            return ret;
        }
    }
    const AVInputFormat *forced = src->demuxer ? av_find_input_format(src->demuxer) : NULL;
    if (camera && !forced) {
        set_error(err, errlen, "%s: this FFmpeg has no video4linux2 input (libavdevice built without it)", name);
        av_dict_free(&dict);
        *pfmt = NULL;
        return AVERROR_DEMUXER_NOT_FOUND;
    }
    AVFormatContext *fmt = NULL;
    ret = avformat_open_input(&fmt, src->target(url), forced, &dict);
    av_dict_free(&dict);
    if (ret < 0 && camera) {
        /* Busy and friends show only now (VIDIOC_S_FMT, REQBUFS,
         * STREAMON); EINVAL is a setting the camera does not take. */
        int e = AVUNERROR(ret);
        if (e == EINVAL)
            set_error(err, errlen, "%s: the camera refused --size/--fps/--input-format (%s); "
                      "backdrop --list-devices shows what it offers", name, av_err2str(ret));
        else if (e == EBUSY || e == EACCES || e == EPERM || e == ENOENT || e == ENODEV || e == ENXIO)
            v4l2dev_open_error(V4L2_ROLE_CAMERA, src->target(url), e, err, errlen);
        else
            set_error(err, errlen, "%s: cannot start the camera: %s", name, av_err2str(ret));
        *pfmt = NULL;
        return ret;
    }
    if (ret < 0) {
        /* Probing fails with INVALIDDATA, or EOF when a weak guess reads
         * past the end: either way FFmpeg found no format it knows. */
        if (ret == AVERROR_INVALIDDATA || ret == AVERROR_EOF)
            set_error(err, errlen, "%s: %s%s (%s)", name, w->prefix, w->not_media, av_err2str(ret));
        else
            set_error(err, errlen, "%s: %s%s", name, w->prefix, av_err2str(ret));
        *pfmt = NULL;
        return ret;
    }
    /* FFmpeg renders longer .txt files as ANSI art; nobody means that. */
    if (strcmp(fmt->iformat->name, "tty") == 0) {
        set_error(err, errlen, "%s: %s%s (it is text)", name, w->prefix, w->not_media);
        ret = AVERROR_INVALIDDATA;
        goto fail;
    }
    ret = avformat_find_stream_info(fmt, NULL);
    if (ret < 0) {
        if (ret == AVERROR_INVALIDDATA || ret == AVERROR_EOF)
            set_error(err, errlen, "%s: %s%s (%s)", name, w->prefix, w->not_media, av_err2str(ret));
        else
            set_error(err, errlen, "%s: %scannot read stream information (%s)", name, w->prefix,
                      av_err2str(ret));
        goto fail;
    }
    ret = find_video_stream(fmt);
    if (ret < 0) {
        set_error(err, errlen, "%s: %s%s", name, w->prefix, w->no_video);
        goto fail;
    }
    *pvideo = fmt->streams[ret];
    /* The driver silently picks the nearest size it has; a camera run
     * asked for one size and gets that or an error. */
    int want_w, want_h;
    if (camera && opt && opt->video_size && sscanf(opt->video_size, "%dx%d", &want_w, &want_h) == 2 &&
        ((*pvideo)->codecpar->width != want_w || (*pvideo)->codecpar->height != want_h)) {
        set_error(err, errlen, "%s: the camera has no %dx%d in this format (it gave %dx%d); "
                  "backdrop --list-devices shows its sizes", name, want_w, want_h,
                  (*pvideo)->codecpar->width, (*pvideo)->codecpar->height);
        ret = AVERROR(EINVAL);
        goto fail;
    }
    *pfmt = fmt;
    return 0;

fail:
    avformat_close_input(&fmt);
    *pfmt = NULL;
    return ret;
}

/* strict: for JPEG and PNG, decoder errors are errors (AV_EF_EXPLODE) and
 * checksums are checked (AV_EF_CRCCHECK), instead of damage being concealed
 * as it should be for video. Only there: they conceal silently otherwise,
 * and AV_EF_EXPLODE was checked to accept every intact file (1,700 photos
 * and icons), whereas the TIFF decoder, for one, then rejects intact files
 * over tags it does not know. The other picture decoders fail on damage
 * anyway (WebP, BMP, TIFF, GIF: checked on truncated files). */
static int open_decoder(AVCodecContext **pdec, const AVStream *st, int threads, int strict,
                        const char *name, const Wording *w, char *err, size_t errlen)
{
    *pdec = NULL;
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) {
        set_error(err, errlen, "%s: %sno decoder for video codec %s", name, w->prefix,
                  avcodec_get_name(st->codecpar->codec_id));
        return AVERROR_DECODER_NOT_FOUND;
    }
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    if (!dec) {
        set_error(err, errlen, "%s: out of memory", name);
        return AVERROR(ENOMEM);
    }
    int ret = avcodec_parameters_to_context(dec, st->codecpar);
    if (ret >= 0) {
        dec->pkt_timebase = st->time_base;
        dec->thread_count = threads;
        dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        if (strict && (codec->id == AV_CODEC_ID_MJPEG || codec->id == AV_CODEC_ID_PNG))
            dec->err_recognition |= AV_EF_EXPLODE | AV_EF_CRCCHECK;
        ret = avcodec_open2(dec, codec, NULL);
    }
    if (ret < 0) {
        set_error(err, errlen, "%s: %scannot open the %s decoder (%s)", name, w->prefix,
                  codec->name, av_err2str(ret));
        avcodec_free_context(&dec);
        return ret;
    }
    *pdec = dec;
    return 0;
}

/* Lets the demuxer skip what input_next() would throw away anyway. */
static void discard_other_streams(Input *in)
{
    for (unsigned i = 0; i < in->fmt->nb_streams; i++) {
        AVStream *st = in->fmt->streams[i];
        if (st != in->video && st != in->audio)
            st->discard = AVDISCARD_ALL;
    }
}

int input_open(Input **pin, const InputOptions *opt, char *err, size_t errlen)
{
    if (!pin) {
        set_error(err, errlen, "input: no place to store the input");
        return AVERROR(EINVAL);
    }
    *pin = NULL;
    if (!opt || !opt->url || !*opt->url) {
        set_error(err, errlen, "input: no input given");
        return AVERROR(EINVAL);
    }
    const char *name = display_name(opt->url);
    if (opt->threads < 0) {
        set_error(err, errlen, "%s: invalid decoder thread count %d", name, opt->threads);
        return AVERROR(EINVAL);
    }
    if (opt->want_format != AV_PIX_FMT_NONE && opt->want_format != AV_PIX_FMT_BGR24 &&
        opt->want_format != AV_PIX_FMT_RGB24 && opt->want_format != AV_PIX_FMT_GRAY8) {
        const char *fmt_name = av_get_pix_fmt_name(opt->want_format);
        set_error(err, errlen, "%s: cannot hand out pixel format %s", name,
                  fmt_name ? fmt_name : "(unknown)");
        return AVERROR(EINVAL);
    }
    if (opt->on_error != INPUT_ON_ERROR_SKIP && opt->on_error != INPUT_ON_ERROR_STOP) {
        set_error(err, errlen, "%s: invalid error policy %d", name, (int)opt->on_error);
        return AVERROR(EINVAL);
    }

    Input *in = av_mallocz(sizeof(*in));
    if (!in || !(in->name = av_strdup(name)) || !(in->pkt = av_packet_alloc()) ||
        !(in->decoded = av_frame_alloc())) {
        set_error(err, errlen, "%s: out of memory", name);
        input_close(&in);
        return AVERROR(ENOMEM);
    }
    in->want = opt->want_format;
    in->on_error = opt->on_error;
    in->background = opt->background;
    in->threads = opt->threads;
    if (in->background && opt->fit_width > 0 && opt->fit_height > 0) {
        in->fit_width = opt->fit_width;
        in->fit_height = opt->fit_height;
    }
    if (in->background && !(in->url = av_strdup(opt->url))) {
        set_error(err, errlen, "%s: out of memory", name);
        input_close(&in);
        return AVERROR(ENOMEM);
    }

    const Wording *w = in->background ? &background_wording : &video_wording;
    int ret = open_media(&in->fmt, &in->video, opt->url, in->name, w, opt, err, errlen);
    if (ret < 0)
        goto fail;
    ret = open_decoder(&in->dec, in->video, opt->threads, 0, in->name, w, err, errlen);
    if (ret < 0)
        goto fail;
    in->is_picture = is_picture_demuxer(in->fmt->iformat);
    in->is_still = in->is_picture && !strcmp(source_of(opt->url)->name, "file");
    in->video_orientation = in->background ? orient_from_rotation(stream_rotation(in->video)) : 1;

    ret = in->background ? -1 : av_find_best_stream(in->fmt, AVMEDIA_TYPE_AUDIO, -1, in->video->index, NULL, 0);
    if (ret >= 0)
        in->audio = in->fmt->streams[ret];
    discard_other_streams(in);
    *pin = in;
    return 0;

fail:
    input_close(&in);
    return ret;
}

/* Applies the error policy to a failure reported by the decoder. Returns 0
 * to go on, or the error with err filled. */
static int decode_failed(Input *in, int code, char *err, size_t errlen)
{
    if (code == AVERROR(ENOMEM)) {
        set_error(err, errlen, "%s: out of memory while decoding video", in->name);
        return code;
    }
    if (in->on_error == INPUT_ON_ERROR_SKIP) {
        in->skipped++;
        return 0;
    }
    set_error(err, errlen, "%s: %s at frame %" PRId64 " (%s)" SKIP_HINT, in->name,
              code == AVERROR_INVALIDDATA ? "corrupt video data" : "cannot decode video",
              in->frames, av_err2str(code));
    return code;
}

/* Applies the error policy to a failed av_read_frame(). Only INVALIDDATA is
 * worth retrying: the demuxer can resynchronise on the next packet, whereas
 * I/O errors do not go away. */
/* An MP4 or MOV whose index (moov) follows the media data can only be read
 * by seeking back to the data: from a pipe the demuxer finds the index at the
 * end and then cannot reach a single packet. */
static int needs_seeking(const Input *in)
{
    return in->frames == 0 && in->fmt->pb && !(in->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL) &&
           !strncmp(in->fmt->iformat->name, "mov,", 4);
}

static int read_failed(Input *in, int code, char *err, size_t errlen)
{
    if (needs_seeking(in)) {
        set_error(err, errlen, "%s: this mp4/mov keeps its index at the end and needs seeking; "
                  "give the file name, or use a streamable container on a pipe (mkv, nut, ts, "
                  "or mp4 made with -movflags +faststart)", in->name);
        return code < 0 ? code : AVERROR_INVALIDDATA;
    }
    if (code != AVERROR_INVALIDDATA) {
        set_error(err, errlen, "%s: read error after %" PRId64 " frames (%s)", in->name,
                  in->frames, av_err2str(code));
        return code;
    }
    if (in->on_error == INPUT_ON_ERROR_STOP) {
        set_error(err, errlen, "%s: corrupt data after %" PRId64 " frames (%s)" SKIP_HINT,
                  in->name, in->frames, av_err2str(code));
        return code;
    }
    if (in->read_retries >= MAX_READ_RETRIES) {
        set_error(err, errlen, "%s: corrupt data after %" PRId64 " frames (%s); giving up after %d "
                  "unreadable packets in a row", in->name, in->frames, av_err2str(code),
                  MAX_READ_RETRIES);
        return code;
    }
    in->read_retries++;
    in->skipped++;
    return 0;
}

/* Reads one packet and routes it. Returns 1 when ev holds an audio packet,
 * 0 when the decoder may have something new, or a negative error. */
static int read_packet(Input *in, InputEvent *ev, char *err, size_t errlen)
{
    int ret = av_read_frame(in->fmt, in->pkt);
    if (ret == AVERROR(EAGAIN)) {
        /* Live sources (devices, some network protocols) have nothing yet;
         * wait a little, as FFmpeg's CLI does, instead of spinning. */
        av_usleep(10000);
        return 0;
    }
    if (ret == AVERROR_EOF) {
        /* An empty packet starts draining: the decoder gives up the frames
         * it still holds (reordering, frame threads), then reports EOF. It
         * drains even when this call reports an error. */
        in->flushing = 1;
        ret = avcodec_send_packet(in->dec, NULL);
        return ret < 0 ? decode_failed(in, ret, err, errlen) : 0;
    }
    if (ret < 0)
        return read_failed(in, ret, err, errlen);
    in->read_retries = 0;

    if (in->audio && in->pkt->stream_index == in->audio->index) {
        ev->type = INPUT_EVENT_AUDIO;
        ev->packet = in->pkt;
        return 1;
    }
    if (in->pkt->stream_index != in->video->index) {
        av_packet_unref(in->pkt);
        return 0;
    }
    ret = avcodec_send_packet(in->dec, in->pkt);
    av_packet_unref(in->pkt);
    return ret < 0 ? decode_failed(in, ret, err, errlen) : 0;
}

/* Hands out in->decoded in the wanted format: as is when it already is, else
 * converted into the reused buffer. */
static int hand_out_frame(Input *in, InputEvent *ev, char *err, size_t errlen)
{
    AVFrame *f = in->decoded;
    f->pts = f->best_effort_timestamp;
    /* Read now: a converted frame gives the decoded one back below. */
    int orientation = in->is_picture ? orient_of_frame(f) : in->video_orientation;

    enum AVPixelFormat target = in->want;
    if (target == AV_PIX_FMT_NONE)
        target = is_rgb_like(f->format) ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUV420P;

    /* A background of the frames' aspect ratio (upright) is scaled to
     * their size here, on the reader thread, so that the library only
     * converts it; any other keeps its size and is fitted by the library. */
    int out_w = f->width, out_h = f->height;
    if (in->fit_width) {
        int swap = orient_swaps_axes(orientation);
        int fw = swap ? in->fit_height : in->fit_width, fh = swap ? in->fit_width : in->fit_height;
        if ((int64_t)f->width * fh == (int64_t)f->height * fw) {
            out_w = fw;
            out_h = fh;
        }
    }
    int same_size = out_w == f->width && out_h == f->height;
    if (f->format == target && same_size) {
        ev->frame = f;
    } else if (f->format == AV_PIX_FMT_YUVJ420P && target == AV_PIX_FMT_YUV420P && same_size) {
        f->format = AV_PIX_FMT_YUV420P;
        f->color_range = AVCOL_RANGE_JPEG;
        ev->frame = f;
    } else {
        /* Forced BGR24/RGB24 must match OpenCV, so it ignores the labels;
         * mattes (GRAY8) and a background's colours follow them. */
        int use_labels = in->want == AV_PIX_FMT_NONE || in->want == AV_PIX_FMT_GRAY8 || in->background;
        int ret = converter_run(&in->conv, f, target, out_w, out_h, use_labels);
        if (ret < 0) {
            const char *from = av_get_pix_fmt_name(f->format);
            set_error(err, errlen, "%s: cannot convert frame %" PRId64 " (%dx%d %s) to %s (%s)",
                      in->name, in->frames - 1, f->width, f->height, from ? from : "?",
                      av_get_pix_fmt_name(target), av_err2str(ret));
            return ret;
        }
        ev->frame = in->conv.out;
        av_frame_unref(f); /* give the decoder its buffer back early */
    }
    if (orientation != 1) {
        int ret = turn_upright(&in->upright_pool, &in->upright, ev->frame, orientation);
        if (ret < 0) {
            set_error(err, errlen, "%s: out of memory while turning picture %" PRId64 " upright",
                      in->name, in->frames - 1);
            return ret;
        }
        ev->frame = in->upright;
        av_frame_unref(f);
    }
    ev->type = INPUT_EVENT_VIDEO;
    return 0;
}

/* A background's stream from its start again: a seek to the first
 * timestamp and a flushed decoder, or, when the demuxer cannot seek there,
 * the input opened again (the converter and the pools are kept: the frames
 * have the same shape). */
static int start_again(Input *in, char *err, size_t errlen)
{
    int64_t start = in->video->start_time != AV_NOPTS_VALUE ? in->video->start_time : 0;
    int ret = is_stdin(in->url) ? AVERROR(ESPIPE)
                                : avformat_seek_file(in->fmt, in->video->index, INT64_MIN, start, start, 0);
    if (ret >= 0) {
        avcodec_flush_buffers(in->dec);
    } else if (is_stdin(in->url)) {
        set_error(err, errlen, "%s: cannot start the video again from a pipe; give a file", in->name);
        return ret;
    } else {
        avcodec_free_context(&in->dec);
        avformat_close_input(&in->fmt);
        in->video = NULL;
        ret = open_media(&in->fmt, &in->video, in->url, in->name, &background_wording, NULL, err, errlen);
        if (ret >= 0)
            ret = open_decoder(&in->dec, in->video, in->threads, 0, in->name, &background_wording, err, errlen);
        if (ret < 0)
            return ret; /* input_close() copes with what is left */
        discard_other_streams(in);
    }
    in->flushing = 0;
    in->done = 0;
    in->read_retries = 0;
    in->pass_frames = 0;
    in->passes++;
    return 0;
}

int input_next(Input *in, InputEvent *ev, char *err, size_t errlen)
{
    if (!in || !ev) {
        set_error(err, errlen, "input: no input or event");
        return AVERROR(EINVAL);
    }
    memset(ev, 0, sizeof(*ev));
    /* What the previous event handed out is no longer the caller's. */
    av_packet_unref(in->pkt);
    av_frame_unref(in->decoded);

    for (;;) {
        if (in->done) {
            if (in->background && in->pass_frames > 0) {
                int ret = start_again(in, err, errlen);
                if (ret < 0)
                    return ret;
                ev->type = INPUT_EVENT_RESTART;
                return 0;
            }
            if (in->background && in->passes > 0) {
                set_error(err, errlen, "%s: no frame could be decoded after starting again", in->name);
                return AVERROR_INVALIDDATA;
            }
            ev->type = INPUT_EVENT_EOF;
            return 0;
        }
        int ret = avcodec_receive_frame(in->dec, in->decoded);
        if (ret == 0) {
            in->frames++;
            in->pass_frames++;
            return hand_out_frame(in, ev, err, errlen);
        }
        if (ret == AVERROR_EOF || (ret == AVERROR(EAGAIN) && in->flushing)) {
            /* A draining decoder never asks for input; EAGAIN there would
             * loop forever, so it ends the stream as EOF does. */
            in->done = 1;
            continue;
        }
        if (ret != AVERROR(EAGAIN)) {
            ret = decode_failed(in, ret, err, errlen);
            if (ret < 0)
                return ret;
            continue;
        }
        ret = read_packet(in, ev, err, errlen);
        if (ret != 0)
            return ret < 0 ? ret : 0;
    }
}

AVFormatContext *input_format(const Input *in)
{
    return in ? in->fmt : NULL;
}

AVStream *input_video_stream(const Input *in)
{
    return in ? in->video : NULL;
}

AVStream *input_audio_stream(const Input *in)
{
    return in ? in->audio : NULL;
}

/* The clockwise turn in whole degrees, 0 <= angle < 360, that the display
 * matrix of st gives; 0 without one. */
static double stream_rotation(const AVStream *st)
{
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size < 9 * sizeof(int32_t))
        return 0;
    /* av_display_rotation_get() gives the counter-clockwise angle of the
     * matrix; showing the picture upright takes the clockwise turn of the
     * same size, the convention of the old "rotate" tag. Whole degrees, as
     * in FFmpeg's CLI, drop atan2's noise on exact quarter turns. */
    double degrees = -av_display_rotation_get((const int32_t *)matrix);
    if (!isfinite(degrees)) /* a degenerate (zero-scale) matrix */
        return 0;
    degrees = fmod(round(degrees), 360.0);
    if (degrees < 0)
        degrees += 360.0;
    return degrees == 0 ? 0 : degrees; /* no -0 */
}

double input_rotation(const Input *in)
{
    return in ? stream_rotation(in->video) : 0;
}

int input_is_still(const Input *in)
{
    return in && in->is_still;
}

int64_t input_frame_estimate(const Input *in)
{
    if (!in)
        return 0;
    const AVStream *st = in->video;
    if (st->nb_frames > 0)
        return st->nb_frames;
    AVRational rate = st->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0)
        return 0;
    /* duration x rate, done as a rescale to the frame period */
    if (st->duration > 0)
        return av_rescale_q(st->duration, st->time_base, av_inv_q(rate));
    if (in->fmt->duration > 0)
        return av_rescale_q(in->fmt->duration, AV_TIME_BASE_Q, av_inv_q(rate));
    return 0;
}

int64_t input_skipped(const Input *in)
{
    return in ? in->skipped : 0;
}

void input_close(Input **pin)
{
    if (!pin || !*pin)
        return;
    Input *in = *pin;
    converter_free(&in->conv);
    av_frame_free(&in->upright);
    frame_pool_free(&in->upright_pool);
    av_frame_free(&in->decoded);
    av_packet_free(&in->pkt);
    avcodec_free_context(&in->dec);
    avformat_close_input(&in->fmt);
    av_free(in->name);
    av_free(in->url);
    av_free(in);
    *pin = NULL;
}

/* Whether one packet of a picture reaches its format's end marker. The JPEG
 * decoder conceals a missing tail (the last rows come out grey), even with
 * AV_EF_EXPLODE when only the last bytes are gone, and the PNG decoder
 * accepts a file without its final chunk; the end markers tell. Other
 * formats (WebP, BMP, TIFF, ...) fail to decode when cut, and so does data
 * that does not even start like its format (the decoder says so): 1. */
static int picture_is_whole(enum AVCodecID id, const uint8_t *p, size_t size)
{
    if (id == AV_CODEC_ID_MJPEG && size >= 2 && p[0] == 0xFF && p[1] == 0xD8) {
        /* Segments after SOI carry their length; the entropy-coded data
         * after SOS has no 0xFF byte other than the stuffed FF 00 and the
         * restart markers FF D0..D7, so the walk steps over it byte by byte
         * until EOI (FF D9). An embedded thumbnail's EOI sits inside its
         * APP1 segment and is skipped with it. */
        for (size_t i = 2; i + 1 < size;) {
            uint8_t m = p[i + 1];
            if (p[i] != 0xFF || m == 0xFF) /* data, or a fill byte before a marker */
                i++;
            else if (m == 0xD9)
                return 1;
            else if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) /* no length */
                i += 2;
            else if (i + 3 < size)
                i += 2 + (size_t)(p[i + 2] << 8 | p[i + 3]);
            else
                break;
        }
        return 0;
    }
    if (id == AV_CODEC_ID_PNG && size >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        /* Chunks: 4-byte length, 4-byte type, data, 4-byte CRC; the last
         * is IEND, whose CRC the decoder checks with AV_EF_CRCCHECK. */
        for (size_t i = 8; i + 12 <= size; i += 12 + (size_t)AV_RB32(p + i))
            if (memcmp(p + i + 4, "IEND", 4) == 0)
                return 1;
        return 0;
    }
    return 1;
}

/* The message for a background the decoder failed on; returns code. */
static int picture_failed(int code, const char *name, char *err, size_t errlen)
{
    const char *prefix = image_wording.prefix;
    if (code == AVERROR(ENOMEM))
        set_error(err, errlen, "%s: %sout of memory", name, prefix);
    else
        set_error(err, errlen, "%s: %struncated or damaged (%s)", name, prefix, av_err2str(code));
    return code;
}

/* Decodes the first frame of the stream into frame. A background has no
 * later frame to fall back on, and a concealed one shows as flat areas, so
 * anything short of a whole, cleanly decoded picture fails, with a message
 * saying that the file is truncated or damaged. */
static int decode_first_frame(AVFormatContext *fmt, AVCodecContext *dec, int stream_index,
                              AVPacket *pkt, AVFrame *frame, const char *name, char *err,
                              size_t errlen)
{
    const char *prefix = image_wording.prefix;
    int flushing = 0;
    for (;;) {
        int ret = avcodec_receive_frame(dec, frame);
        if (ret == 0) {
            if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)) {
                set_error(err, errlen, "%s: %struncated or damaged (errors concealed while decoding)",
                          name, prefix);
                return AVERROR_INVALIDDATA;
            }
            return 0;
        }
        if (ret == AVERROR_EOF || (ret == AVERROR(EAGAIN) && flushing)) {
            set_error(err, errlen, "%s: %struncated or damaged (no picture could be decoded)", name,
                      prefix);
            return AVERROR_INVALIDDATA;
        }
        if (ret != AVERROR(EAGAIN))
            return picture_failed(ret, name, err, errlen);

        ret = av_read_frame(fmt, pkt);
        if (ret == AVERROR_EOF) {
            flushing = 1;
            ret = avcodec_send_packet(dec, NULL);
        } else if (ret < 0) {
            set_error(err, errlen, "%s: %sread error (%s)", name, prefix, av_err2str(ret));
            return ret;
        } else if (pkt->stream_index != stream_index) {
            av_packet_unref(pkt);
            continue;
        } else if (!picture_is_whole(dec->codec_id, pkt->data, (size_t)pkt->size)) {
            av_packet_unref(pkt);
            set_error(err, errlen, "%s: %struncated or damaged (the picture stops before its end "
                      "marker)", name, prefix);
            return AVERROR_INVALIDDATA;
        } else {
            ret = avcodec_send_packet(dec, pkt);
            av_packet_unref(pkt);
        }
        if (ret < 0)
            return picture_failed(ret, name, err, errlen);
    }
}

int input_load_image(const char *path, AVFrame **out, char *err, size_t errlen)
{
    if (!out) {
        set_error(err, errlen, "input: no place to store the image");
        return AVERROR(EINVAL);
    }
    *out = NULL;
    if (!path || !*path) {
        set_error(err, errlen, "no background image given");
        return AVERROR(EINVAL);
    }
    const char *name = display_name(path);
    const char *prefix = image_wording.prefix;

    AVFormatContext *fmt = NULL;
    AVStream *st = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *frame = NULL;
    Converter conv = {0};

    int ret = open_media(&fmt, &st, path, name, &image_wording, NULL, err, errlen);
    if (ret < 0)
        goto done;
    ret = open_decoder(&dec, st, 1, 1, name, &image_wording, err, errlen);
    if (ret < 0)
        goto done;
    if (!(pkt = av_packet_alloc()) || !(frame = av_frame_alloc())) {
        ret = AVERROR(ENOMEM);
        set_error(err, errlen, "%s: %sout of memory", name, prefix);
        goto done;
    }
    ret = decode_first_frame(fmt, dec, st->index, pkt, frame, name, err, errlen);
    if (ret < 0)
        goto done;
    if (frame->width <= 0 || frame->height <= 0) {
        ret = AVERROR_INVALIDDATA;
        set_error(err, errlen, "%s: %sthe picture is empty (%dx%d)", name, prefix, frame->width,
                  frame->height);
        goto done;
    }
    ret = converter_run(&conv, frame, AV_PIX_FMT_RGB24, frame->width, frame->height, 1);
    if (ret < 0) {
        const char *from = av_get_pix_fmt_name(frame->format);
        set_error(err, errlen, "%s: %scannot convert %s to rgb24 (%s)", name, prefix,
                  from ? from : "?", av_err2str(ret));
        goto done;
    }
    /* The library takes the picture upright: a photo's EXIF orientation,
     * else (a video's first frame) its stream's display matrix. */
    int orientation = orient_of_frame(frame);
    if (orientation == 1)
        orientation = orient_from_rotation(stream_rotation(st));
    if (orientation != 1) {
        FramePool pool = {0};
        AVFrame *upright = NULL;
        ret = turn_upright(&pool, &upright, conv.out, orientation);
        frame_pool_free(&pool);
        av_frame_free(&conv.out);
        if (ret < 0) {
            av_frame_free(&upright);
            set_error(err, errlen, "%s: %sout of memory", name, prefix);
            goto done;
        }
        conv.out = upright;
    }
    conv.out->color_range = AVCOL_RANGE_JPEG;
    *out = conv.out;
    conv.out = NULL;

done:
    converter_free(&conv);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    return ret;
}
