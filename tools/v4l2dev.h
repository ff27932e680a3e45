/*
 * V4L2 devices for the backdrop CLI: a camera read through libavdevice
 * (tools/input, source "camera") and a v4l2loopback virtual camera written
 * by tools/output/v4l2.c. This file talks to the kernel directly (open,
 * VIDIOC_QUERYCAP, VIDIOC_ENUM_*, VIDIOC_S_FMT) and has no FFmpeg in it.
 *
 * The checks of what a device says (v4l2dev_check_camera,
 * v4l2dev_check_loopback, v4l2dev_loopback_format, v4l2dev_check_format,
 * v4l2dev_open_error) are pure functions of the structures the kernel fills,
 * so that the unit tests can drive them with made-up devices
 * (tests/unit/test_v4l2.c): the machine the tests run on may have no V4L2.
 *
 * Errors: 0 (or a descriptor) on success, else a negative errno value with a
 * one-line message in err naming the device and the likely cause.
 */
#ifndef BACKDROP_TOOLS_V4L2DEV_H
#define BACKDROP_TOOLS_V4L2DEV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/videodev2.h>

/* The setup recipe every loopback error points to (README, "Live: webcam
 * to virtual camera"). */
#define V4L2DEV_LOOPBACK_RECIPE "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=backdrop"

/* The driver name v4l2loopback reports in struct v4l2_capability.driver
 * (0.12.x and later). */
#define V4L2DEV_LOOPBACK_DRIVER "v4l2 loopback"

typedef enum V4l2Role {
    V4L2_ROLE_CAMERA,   /* read frames from it (-i) */
    V4L2_ROLE_LOOPBACK, /* write frames to it (-o) */
} V4l2Role;

/* The pixel formats the loopback sink writes: the two that browsers, Zoom
 * and Teams read from a v4l2loopback device. The order is --v4l2-format's. */
typedef enum V4l2OutFormat {
    V4L2_OUT_YUYV = 0, /* packed 4:2:2, V4L2_PIX_FMT_YUYV (default) */
    V4L2_OUT_I420,     /* planar 4:2:0, V4L2_PIX_FMT_YUV420 */
} V4l2OutFormat;

/* Whether a name is meant as a V4L2 device: "v4l2:ANYTHING", or a path
 * starting "/dev/video". Names only; nothing is opened. */
int v4l2dev_is_device_name(const char *name);
/* The path inside such a name ("v4l2:" removed). */
const char *v4l2dev_path(const char *name);

/* The message for errno e from opening (or starting) the device at path as
 * role; returns -e. ENOENT names the likely cause (no camera / no
 * v4l2loopback, with the recipe), EACCES the video group, EBUSY the other
 * program. */
int v4l2dev_open_error(V4l2Role role, const char *path, int e, char *err, size_t errlen);

/* Opens path (a character device: anything else is refused, ENOTTY) with
 * flags and asks VIDIOC_QUERYCAP into *cap. Returns the descriptor, or a
 * negative errno with err filled. */
int v4l2dev_open(V4l2Role role, const char *path, int flags, struct v4l2_capability *cap, char *err,
                 size_t errlen);

/* The capabilities of the opened node: device_caps when the driver fills
 * them (V4L2_CAP_DEVICE_CAPS), else the whole device's. */
uint32_t v4l2dev_caps(const struct v4l2_capability *cap);

/* A camera: the node captures single-planar video (what libavdevice's
 * video4linux2 reads). */
int v4l2dev_check_camera(const struct v4l2_capability *cap, const char *path, char *err, size_t errlen);

/* A virtual camera: driver "v4l2 loopback" and the node takes video output
 * now (with exclusive_caps=1 it shows output only while nobody writes). */
int v4l2dev_check_loopback(const struct v4l2_capability *cap, const char *path, char *err, size_t errlen);

/* Fills *f, the VIDIOC_S_FMT request for width x height frames in which.
 * The width must be even (browsers refuse odd ones; YUYV's pairs need it),
 * and for I420 the height too (v4l2loopback sizes 4:2:0 as w*h*3/2). */
int v4l2dev_loopback_format(struct v4l2_format *f, V4l2OutFormat which, int width, int height,
                            const char *path, char *err, size_t errlen);

/* What the driver answered to request 'asked' (both VIDIOC_S_FMT, output
 * type): the same pixel format and size, rows of at least the width's
 * bytes, and an image large enough for them. */
int v4l2dev_check_format(const struct v4l2_format *asked, const struct v4l2_format *got, const char *path,
                         char *err, size_t errlen);

/* The bytes one frame of f takes as laid out by its bytesperline (planes
 * of I420: Y, then U and V with half the stride and half the rows). */
size_t v4l2dev_frame_bytes(const struct v4l2_pix_format *pix);

/* --list-devices: every /dev/video* with its name, driver, and for cameras
 * the formats (as --input-format names them), sizes and frame rates, to
 * out. Returns the number of devices; with none, 0 and err says why. */
int v4l2dev_list(FILE *out, char *err, size_t errlen);

#endif
