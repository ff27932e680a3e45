/* V4L2 devices of the backdrop CLI; see v4l2dev.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strverscmp */
#endif
#include "v4l2dev.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "message.h"

#define VIDEO_GROUP_HINT "add yourself to the 'video' group (sudo usermod -aG video $USER, then log in again)"

int v4l2dev_is_device_name(const char *name)
{
    return name && (!strncmp(name, "v4l2:", 5) || !strncmp(name, "/dev/video", 10));
}

const char *v4l2dev_path(const char *name)
{
    return strncmp(name, "v4l2:", 5) ? name : name + 5;
}

int v4l2dev_open_error(V4l2Role role, const char *path, int e, char *err, size_t errlen)
{
    int camera = role == V4L2_ROLE_CAMERA;
    switch (e) {
    case ENOENT:
        if (camera)
            message_set(err, errlen, "%s: no such device: no camera there (is it plugged in and its driver "
                        "loaded? backdrop --list-devices shows the devices)", path);
        else
            message_set(err, errlen, "%s: no such device: is v4l2loopback loaded? " V4L2DEV_LOOPBACK_RECIPE,
                        path);
        break;
    case ENODEV:
    case ENXIO:
        message_set(err, errlen, "%s: the device is gone (%s)%s", path,
                    camera ? "camera unplugged or its driver unloaded?" : "v4l2loopback unloaded?",
                    camera ? "" : "; " V4L2DEV_LOOPBACK_RECIPE);
        break;
    case EACCES:
    case EPERM:
        message_set(err, errlen, "%s: permission denied: " VIDEO_GROUP_HINT, path);
        break;
    case EBUSY:
        message_set(err, errlen, "%s: busy: %s", path,
                    camera ? "another program is using the camera; close it and try again"
                           : "another program is writing to this virtual camera");
        break;
    case ENOTTY:
        message_set(err, errlen, "%s: not a V4L2 video device%s", path,
                    camera ? "" : "; is v4l2loopback loaded? " V4L2DEV_LOOPBACK_RECIPE);
        break;
    default:
        message_set(err, errlen, "%s: cannot open the %s: %s", path, camera ? "camera" : "virtual camera",
                    strerror(e));
        break;
    }
    return -e;
}

int v4l2dev_open(V4l2Role role, const char *path, int flags, struct v4l2_capability *cap, char *err,
                 size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return v4l2dev_open_error(role, path, errno, err, errlen);
    /* A regular file or a FIFO called /dev/video0 is no device: writing to
     * it would fill the disk, reading it is not what was meant. */
    if (!S_ISCHR(st.st_mode)) {
        message_set(err, errlen, "%s: not a video device (not a character device)%s", path,
                    role == V4L2_ROLE_CAMERA ? "" : "; is v4l2loopback loaded? " V4L2DEV_LOOPBACK_RECIPE);
        return -ENOTTY;
    }
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return v4l2dev_open_error(role, path, errno, err, errlen);
    memset(cap, 0, sizeof(*cap));
    if (ioctl(fd, VIDIOC_QUERYCAP, cap) != 0) {
        int e = errno == EINVAL ? ENOTTY : errno; /* old drivers answer EINVAL to unknown ioctls */
        close(fd);
        return v4l2dev_open_error(role, path, e, err, errlen);
    }
    return fd;
}

uint32_t v4l2dev_caps(const struct v4l2_capability *cap)
{
    return (cap->capabilities & V4L2_CAP_DEVICE_CAPS) ? cap->device_caps : cap->capabilities;
}

/* The kernel's fixed-size strings are NUL-terminated when shorter than
 * their array, else not: these copies always are. */
static void cap_string(char *dst, const uint8_t *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int v4l2dev_check_camera(const struct v4l2_capability *cap, const char *path, char *err, size_t errlen)
{
    uint32_t caps = v4l2dev_caps(cap);
    if (caps & V4L2_CAP_VIDEO_CAPTURE)
        return 0;
    char card[sizeof(cap->card) + 1], driver[sizeof(cap->driver) + 1];
    cap_string(card, cap->card, sizeof(cap->card));
    cap_string(driver, cap->driver, sizeof(cap->driver));
    const char *what = (caps & V4L2_CAP_VIDEO_OUTPUT) ? "it is a video output"
                       : (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ? "it captures multi-planar video only"
                       : (caps & V4L2_CAP_META_CAPTURE) ? "it captures metadata, not pictures"
                                                          : "it has no video capture";
    if (!strcmp(driver, V4L2DEV_LOOPBACK_DRIVER) && (caps & V4L2_CAP_VIDEO_OUTPUT))
        what = "a virtual camera with nobody writing to it yet";
    message_set(err, errlen, "%s: '%s' (driver %s) is not a camera: %s (backdrop --list-devices shows the devices)",
                path, card, driver, what);
    return -ENODEV;
}

int v4l2dev_check_loopback(const struct v4l2_capability *cap, const char *path, char *err, size_t errlen)
{
    char card[sizeof(cap->card) + 1], driver[sizeof(cap->driver) + 1];
    cap_string(card, cap->card, sizeof(cap->card));
    cap_string(driver, cap->driver, sizeof(cap->driver));
    if (strcmp(driver, V4L2DEV_LOOPBACK_DRIVER)) {
        message_set(err, errlen, "%s: not a v4l2loopback device ('%s', driver %s): a virtual camera needs "
                    "v4l2loopback; " V4L2DEV_LOOPBACK_RECIPE, path, card, driver);
        return -ENODEV;
    }
    /* exclusive_caps=1 (what Chrome needs) shows VIDEO_OUTPUT only until a
     * writer streams; capture alone then means someone else writes. */
    if (!(v4l2dev_caps(cap) & V4L2_CAP_VIDEO_OUTPUT)) {
        message_set(err, errlen, "%s: busy: the virtual camera '%s' takes no output now (another program is "
                    "writing to it)", path, card);
        return -EBUSY;
    }
    return 0;
}

static uint32_t fourcc_of(V4l2OutFormat which)
{
    return which == V4L2_OUT_I420 ? V4L2_PIX_FMT_YUV420 : V4L2_PIX_FMT_YUYV;
}

size_t v4l2dev_frame_bytes(const struct v4l2_pix_format *pix)
{
    size_t bpl = pix->bytesperline, h = pix->height;
    if (pix->pixelformat == V4L2_PIX_FMT_YUV420)
        return bpl * h + 2 * (bpl / 2) * ((h + 1) / 2);
    return bpl * h;
}

int v4l2dev_loopback_format(struct v4l2_format *f, V4l2OutFormat which, int width, int height,
                            const char *path, char *err, size_t errlen)
{
    if (which != V4L2_OUT_YUYV && which != V4L2_OUT_I420) {
        message_set(err, errlen, "%s: unknown virtual camera format %d", path, (int)which);
        return -EINVAL;
    }
    /* 16384 keeps every product below in 32 bits with room to spare. */
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
        message_set(err, errlen, "%s: cannot send %dx%d frames to a virtual camera", path, width, height);
        return -EINVAL;
    }
    const char *name = which == V4L2_OUT_I420 ? "i420" : "yuyv";
    if (width % 2 || (which == V4L2_OUT_I420 && height % 2)) {
        message_set(err, errlen, "%s: the frames are %dx%d; a virtual camera in %s needs an even %s "
                    "(browsers refuse odd sizes); use a camera size or a video of even size",
                    path, width, height, name, width % 2 ? "width" : "height");
        return -EINVAL;
    }
    memset(f, 0, sizeof(*f));
    f->type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    struct v4l2_pix_format *pix = &f->fmt.pix;
    pix->width = (uint32_t)width;
    pix->height = (uint32_t)height;
    pix->pixelformat = fourcc_of(which);
    pix->field = V4L2_FIELD_NONE;
    pix->bytesperline = which == V4L2_OUT_I420 ? (uint32_t)width : 2u * (uint32_t)width;
    pix->sizeimage = (uint32_t)v4l2dev_frame_bytes(pix);
    /* What cameras send and browsers assume: BT.601, limited range. */
    pix->colorspace = V4L2_COLORSPACE_SMPTE170M;
    return 0;
}

int v4l2dev_check_format(const struct v4l2_format *asked, const struct v4l2_format *got, const char *path,
                         char *err, size_t errlen)
{
    const struct v4l2_pix_format *a = &asked->fmt.pix, *g = &got->fmt.pix;
    if (got->type != asked->type || g->pixelformat != a->pixelformat) {
        char want[5], have[5];
        for (int i = 0; i < 4; i++) {
            want[i] = (char)(a->pixelformat >> (8 * i));
            have[i] = (char)(g->pixelformat >> (8 * i));
            if ((unsigned char)have[i] < 32 || (unsigned char)have[i] > 126)
                have[i] = '?';
        }
        want[4] = have[4] = '\0';
        message_set(err, errlen, "%s: the virtual camera refused pixel format %s (it offers %s); "
                    "try the other --v4l2-format", path, want, have);
        return -EINVAL;
    }
    if (g->width != a->width || g->height != a->height) {
        message_set(err, errlen, "%s: the virtual camera refused %ux%u (it offers %ux%u); another program "
                    "may have fixed its format (v4l2loopback keep_format or a running writer)",
                    path, a->width, a->height, g->width, g->height);
        return -EINVAL;
    }
    /* Rows may be padded; never shorter than the pixels. The image must
     * hold every row at that stride, or a write would be cut. */
    if (g->bytesperline < a->bytesperline || g->sizeimage < v4l2dev_frame_bytes(g)) {
        message_set(err, errlen, "%s: the virtual camera's layout does not fit %ux%u frames (%u bytes a row, "
                    "%u an image)", path, g->width, g->height, g->bytesperline, g->sizeimage);
        return -EINVAL;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* --list-devices */

/* The name --input-format (libavdevice's input_format) takes for a fourcc,
 * or NULL. */
static const char *input_format_name(uint32_t fourcc)
{
    static const struct { uint32_t fourcc; const char *name; } names[] = {
        { V4L2_PIX_FMT_MJPEG, "mjpeg" },     { V4L2_PIX_FMT_JPEG, "mjpeg" },
        { V4L2_PIX_FMT_YUYV, "yuyv422" },    { V4L2_PIX_FMT_UYVY, "uyvy422" },
        { V4L2_PIX_FMT_YUV420, "yuv420p" },  { V4L2_PIX_FMT_NV12, "nv12" },
        { V4L2_PIX_FMT_H264, "h264" },       { V4L2_PIX_FMT_RGB24, "rgb24" },
        { V4L2_PIX_FMT_BGR24, "bgr24" },     { V4L2_PIX_FMT_GREY, "gray" },
        { V4L2_PIX_FMT_YUV422P, "yuv422p" }, { V4L2_PIX_FMT_YVYU, "yvyu422" },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].fourcc == fourcc)
            return names[i].name;
    return NULL;
}

/* " @ 30, 15 fps" for one size, from VIDIOC_ENUM_FRAMEINTERVALS. */
static void print_rates(FILE *out, int fd, uint32_t fourcc, uint32_t w, uint32_t h)
{
    struct v4l2_frmivalenum iv;
    memset(&iv, 0, sizeof(iv));
    iv.pixel_format = fourcc;
    iv.width = w;
    iv.height = h;
    for (iv.index = 0; ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &iv) == 0; iv.index++) {
        if (iv.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            if (iv.discrete.numerator)
                fprintf(out, "%s%g", iv.index ? ", " : " @ ", (double)iv.discrete.denominator / iv.discrete.numerator);
        } else {
            const struct v4l2_fract *lo = &iv.stepwise.max, *hi = &iv.stepwise.min; /* longest period = lowest rate */
            if (lo->numerator && hi->numerator)
                fprintf(out, " @ %g..%g", (double)lo->denominator / lo->numerator,
                        (double)hi->denominator / hi->numerator);
            break;
        }
    }
    if (iv.index > 0)
        fputs(" fps", out);
}

static void print_formats(FILE *out, int fd)
{
    struct v4l2_fmtdesc fd_desc;
    memset(&fd_desc, 0, sizeof(fd_desc));
    fd_desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    for (fd_desc.index = 0; ioctl(fd, VIDIOC_ENUM_FMT, &fd_desc) == 0; fd_desc.index++) {
        char desc[sizeof(fd_desc.description) + 1];
        cap_string(desc, fd_desc.description, sizeof(fd_desc.description));
        const char *name = input_format_name(fd_desc.pixelformat);
        char fourcc[5];
        for (int i = 0; i < 4; i++)
            fourcc[i] = (char)(fd_desc.pixelformat >> (8 * i));
        fourcc[4] = '\0';
        fprintf(out, "  --input-format %s (%s, %s):\n", name ? name : fourcc, fourcc, desc);
        struct v4l2_frmsizeenum fs;
        memset(&fs, 0, sizeof(fs));
        fs.pixel_format = fd_desc.pixelformat;
        for (fs.index = 0; ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) == 0; fs.index++) {
            if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
                fprintf(out, "    --size %ux%u", fs.discrete.width, fs.discrete.height);
                print_rates(out, fd, fs.pixel_format, fs.discrete.width, fs.discrete.height);
                fputc('\n', out);
            } else {
                fprintf(out, "    --size %ux%u to %ux%u\n", fs.stepwise.min_width, fs.stepwise.min_height,
                        fs.stepwise.max_width, fs.stepwise.max_height);
                break;
            }
        }
    }
}

static int by_number(const void *a, const void *b)
{
    return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

int v4l2dev_list(FILE *out, char *err, size_t errlen)
{
    glob_t g;
    int found = glob("/dev/video*", 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
    if (!found) {
        if (access("/sys/class/video4linux", F_OK) != 0)
            message_set(err, errlen, "no V4L2 devices (/dev/video* absent, and the kernel has no video4linux "
                        "class: is the kernel's media support or the camera driver loaded?)");
        else
            message_set(err, errlen, "no V4L2 devices (/dev/video* absent; is the camera plugged in and its "
                        "driver loaded? for a virtual camera: " V4L2DEV_LOOPBACK_RECIPE ")");
        globfree(&g);
        return 0;
    }
    qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), by_number); /* video2 before video10 */
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *path = g.gl_pathv[i];
        struct v4l2_capability cap;
        char why[MESSAGE_MAX];
        /* Non-blocking and read-only: listing must neither wait for nor
         * disturb a program streaming from it. */
        int fd = v4l2dev_open(V4L2_ROLE_CAMERA, path, O_RDONLY | O_NONBLOCK, &cap, why, sizeof(why));
        if (fd < 0) {
            fprintf(out, "%s\n", why);
            continue;
        }
        char card[sizeof(cap.card) + 1], driver[sizeof(cap.driver) + 1], bus[sizeof(cap.bus_info) + 1];
        cap_string(card, cap.card, sizeof(cap.card));
        cap_string(driver, cap.driver, sizeof(cap.driver));
        cap_string(bus, cap.bus_info, sizeof(cap.bus_info));
        uint32_t caps = v4l2dev_caps(&cap);
        int loopback = !strcmp(driver, V4L2DEV_LOOPBACK_DRIVER);
        fprintf(out, "%s: '%s' (driver %s, %s):%s%s%s\n", path, card, driver, bus,
                (caps & V4L2_CAP_VIDEO_CAPTURE) ? " camera (input)" : "",
                (caps & V4L2_CAP_VIDEO_OUTPUT) ? " video output" : "",
                loopback ? " [v4l2loopback: usable with -o]" :
                !(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_OUTPUT)) ? " no video (metadata or other)" : "");
        if ((caps & V4L2_CAP_VIDEO_CAPTURE) && !loopback)
            print_formats(out, fd);
        close(fd);
    }
    globfree(&g);
    return found;
}
