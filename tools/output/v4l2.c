/*
 * The v4l2 sink: a v4l2loopback virtual camera ("/dev/videoN", or
 * "v4l2:PATH" for a device elsewhere), which video-call programs and
 * browsers then read as a camera.
 *
 * At open: the device is opened for writing, VIDIOC_QUERYCAP must show
 * v4l2loopback taking output (v4l2dev_check_loopback), the format is set
 * with VIDIOC_S_FMT (YUYV by default, I420 with --v4l2-format i420; an even
 * width) and the driver's answer checked (v4l2dev_check_format), the frame
 * rate offered with VIDIOC_S_PARM, and one swscale context made from the
 * frames' format, size, matrix and range to the device's BT.601 limited
 * range. Per frame: one sws_scale() into the device's frame buffer, laid
 * out by the driver's bytesperline, and one write() of the whole image (the
 * driver takes each write as one frame). The buffer keeps the last frame,
 * so output_repeat_last() is one more write() and no conversion.
 *
 * Frames go out live: there is nothing to complete, commit or remove.
 * There is no encoder, so --codec does not apply and there is no alpha.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libavutil/pixdesc.h>

#include "../v4l2dev.h"

typedef struct V4l2Sink {
    int fd;              /* the device, open for writing; -1 when closed */
    uint8_t *buf;        /* one whole image, sizeimage bytes; the last frame written */
    size_t size;         /* sizeimage: what each write() sends */
    uint8_t *plane[3];   /* inside buf: Y (or packed YUYV), U, V */
    int stride[3];
    struct SwsContext *sws; /* frames' format -> device format, made once */
} V4l2Sink;

static int v4l2_probe(const char *path)
{
    return v4l2dev_is_device_name(path);
}

static void v4l2_close(Output *o)
{
    V4l2Sink *s = o->sink_data;
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    sws_freeContext(s->sws);
    av_free(s->buf);
    av_freep(&o->sink_data);
}

/* Transparent frames cannot go to a camera; this is what
 * output_check_alpha() asks before anything is opened. */
static int v4l2_encoder(const char *path, const char *codec_name, int alpha, const AVCodec **codec, char *err,
                        size_t errlen)
{
    *codec = NULL;
    if (alpha)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: a virtual camera has no alpha; "
                        OUT_ALPHA_FORMATS, path);
    return 0;
}

/* The whole image to the device. The driver takes a write() as one frame;
 * a signal may still cut one short, so the rest follows. */
static int write_image(Output *o, V4l2Sink *s, char *err, size_t errlen)
{
    size_t done = 0;
    while (done < s->size) {
        ssize_t n = write(s->fd, s->buf + done, s->size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            if (e == ENODEV || e == ENXIO || e == EBUSY)
                return AVERROR(-v4l2dev_open_error(V4L2_ROLE_LOOPBACK, v4l2dev_path(o->path), e, err, errlen));
            return out_fail(err, errlen, AVERROR(e), "%s: cannot write a frame to the virtual camera: %s",
                            o->path, strerror(e));
        }
        done += (size_t)n;
    }
    return 0;
}

static int v4l2_open(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    const char *path = v4l2dev_path(o->path);
    if (opt->codec)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: --codec does not apply to a virtual camera, which "
                        "takes raw frames (choose them with --v4l2-format yuyv|i420)", o->path);
    int ret = v4l2_encoder(o->path, NULL, out_has_alpha(opt->pix_fmt), &(const AVCodec *){ NULL }, err, errlen);
    if (ret < 0)
        return ret;
    /* The format first (no device needed): a size the device cannot take
     * fails the same way everywhere. */
    struct v4l2_format asked, got;
    if ((ret = v4l2dev_loopback_format(&asked, opt->v4l2_format, opt->width, opt->height, o->path, err,
                                       errlen)) < 0)
        return AVERROR(-ret);

    V4l2Sink *s = o->sink_data = av_mallocz(sizeof(*s));
    if (!s)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    s->fd = -1;
    struct v4l2_capability cap;
    int fd = v4l2dev_open(V4L2_ROLE_LOOPBACK, path, O_WRONLY, &cap, err, errlen);
    if (fd < 0)
        return AVERROR(-fd);
    s->fd = fd;
    if ((ret = v4l2dev_check_loopback(&cap, path, err, errlen)) < 0)
        return AVERROR(-ret);
    got = asked;
    if (ioctl(fd, VIDIOC_S_FMT, &got) != 0) {
        int e = errno;
        if (e == EBUSY)
            return AVERROR(-v4l2dev_open_error(V4L2_ROLE_LOOPBACK, path, e, err, errlen));
        return out_fail(err, errlen, AVERROR(e), "%s: the virtual camera refused the format %dx%d %s: %s",
                        o->path, opt->width, opt->height, opt->v4l2_format == V4L2_OUT_I420 ? "i420" : "yuyv",
                        strerror(e));
    }
    if ((ret = v4l2dev_check_format(&asked, &got, path, err, errlen)) < 0)
        return AVERROR(-ret);
    /* The rate the consumers are told; a driver without S_PARM on output
     * (old v4l2loopback) simply takes frames as they come. */
    if (opt->frame_rate.num > 0 && opt->frame_rate.den > 0) {
        struct v4l2_streamparm parm;
        memset(&parm, 0, sizeof(parm));
        parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        parm.parm.output.timeperframe.numerator = (uint32_t)opt->frame_rate.den;
        parm.parm.output.timeperframe.denominator = (uint32_t)opt->frame_rate.num;
        ioctl(fd, VIDIOC_S_PARM, &parm);
    }

    /* The image as the driver lays it out: bytesperline for Y (or the
     * packed row), half of it for U and V, each plane right after the one
     * before (v4l2dev_frame_bytes counts the same). */
    const struct v4l2_pix_format *pix = &got.fmt.pix;
    s->size = pix->sizeimage;
    if (!(s->buf = av_mallocz(s->size)))
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    int i420 = pix->pixelformat == V4L2_PIX_FMT_YUV420;
    s->plane[0] = s->buf;
    s->stride[0] = (int)pix->bytesperline;
    if (i420) {
        s->stride[1] = s->stride[2] = (int)pix->bytesperline / 2;
        s->plane[1] = s->plane[0] + (size_t)s->stride[0] * pix->height;
        s->plane[2] = s->plane[1] + (size_t)s->stride[1] * ((pix->height + 1) / 2);
    }
    enum AVPixelFormat dst = i420 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUYV422;
    s->sws = sws_getContext(opt->width, opt->height, opt->pix_fmt, opt->width, opt->height, dst, SWS_BICUBIC,
                            NULL, NULL, NULL);
    if (!s->sws)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: cannot convert %s to %s", o->path,
                        av_get_pix_fmt_name(opt->pix_fmt), av_get_pix_fmt_name(dst));
    /* From the frames' own matrix and range (grey and RGB: full range) to
     * what a camera sends: BT.601, limited range. */
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(opt->pix_fmt);
    int src_full = !d || (d->flags & AV_PIX_FMT_FLAG_RGB) || d->nb_components <= 2 ||
                   opt->color_range == AVCOL_RANGE_JPEG;
    sws_setColorspaceDetails(s->sws, sws_getCoefficients(opt->colorspace), src_full,
                             sws_getCoefficients(AVCOL_SPC_SMPTE170M), 0, 0, 1 << 16, 1 << 16);
    return 0;
}

static int v4l2_raw(Output *o, const AVFrame *frame, char *err, size_t errlen)
{
    V4l2Sink *s = o->sink_data;
    int ret = sws_scale(s->sws, (const uint8_t *const *)frame->data, frame->linesize, 0, o->height, s->plane,
                        s->stride);
    if (ret != o->height)
        return out_fail(err, errlen, ret < 0 ? ret : AVERROR_EXTERNAL, "%s: cannot convert the frame", o->path);
    return write_image(o, s, err, errlen);
}

static int v4l2_repeat(Output *o, char *err, size_t errlen)
{
    return write_image(o, o->sink_data, err, errlen);
}

const OutputSink output_sink_v4l2 = {
    .name = "v4l2",
    .probe = v4l2_probe,
    .open = v4l2_open,
    .encoder = v4l2_encoder,
    .raw = v4l2_raw,
    .repeat = v4l2_repeat,
    .close = v4l2_close,
};
