/*
 * The CLI's V4L2 device checks (tools/v4l2dev.c) on made-up devices: what
 * VIDIOC_QUERYCAP of a v4l2loopback node, a USB camera and others fills in,
 * and what VIDIOC_S_FMT answers. No device is opened: the machine running
 * the tests may have no V4L2 at all.
 */
#include <errno.h>
#include <string.h>

#include "v4l2dev.h"
#include "suites.h"

/* A capability as the driver fills it: strings NUL-padded, device_caps for
 * the node (V4L2_CAP_DEVICE_CAPS set), capabilities for the whole device. */
static struct v4l2_capability fake_cap(const char *driver, const char *card, uint32_t device_caps)
{
    struct v4l2_capability c;
    memset(&c, 0, sizeof(c));
    strncpy((char *)c.driver, driver, sizeof(c.driver));
    strncpy((char *)c.card, card, sizeof(c.card));
    c.device_caps = device_caps;
    c.capabilities = device_caps | V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_DEVICE_CAPS;
    return c;
}

static int test_v4l2_loopback_accepted(void)
{
    char err[256] = "";
    /* exclusive_caps=1 before anyone writes: output only. */
    struct v4l2_capability c = fake_cap(V4L2DEV_LOOPBACK_DRIVER, "backdrop",
                                        V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_STREAMING | V4L2_CAP_READWRITE);
    CHECK_INT(v4l2dev_check_loopback(&c, "/dev/video9", err, sizeof(err)), 0);
    /* exclusive_caps=0: both at once. */
    c = fake_cap(V4L2DEV_LOOPBACK_DRIVER, "Dummy video device (0x0000)",
                 V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING);
    CHECK_INT(v4l2dev_check_loopback(&c, "/dev/video9", err, sizeof(err)), 0);
    /* A driver without device_caps: the device's capabilities count. */
    c = fake_cap(V4L2DEV_LOOPBACK_DRIVER, "old", 0);
    c.capabilities = V4L2_CAP_VIDEO_OUTPUT;
    CHECK_INT(v4l2dev_check_loopback(&c, "/dev/video9", err, sizeof(err)), 0);
    return UNIT_PASS;
}

static int test_v4l2_camera_refused_as_output(void)
{
    char err[512] = "";
    struct v4l2_capability c = fake_cap("uvcvideo", "HD Pro Webcam C920",
                                        V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING);
    CHECK_INT(v4l2dev_check_loopback(&c, "/dev/video0", err, sizeof(err)), -ENODEV);
    CHECK(strstr(err, "/dev/video0") && strstr(err, "not a v4l2loopback device") && strstr(err, "uvcvideo") &&
          strstr(err, "HD Pro Webcam C920") && strstr(err, V4L2DEV_LOOPBACK_RECIPE), "message: %s", err);
    /* ... and accepted as a camera. */
    CHECK_INT(v4l2dev_check_camera(&c, "/dev/video0", err, sizeof(err)), 0);
    /* A loopback someone else writes to (exclusive_caps=1): capture only. */
    c = fake_cap(V4L2DEV_LOOPBACK_DRIVER, "backdrop", V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING);
    CHECK_INT(v4l2dev_check_loopback(&c, "/dev/video9", err, sizeof(err)), -EBUSY);
    CHECK(strstr(err, "busy") && strstr(err, "another program"), "message: %s", err);
    /* A card name filling the whole array (no NUL) is still printed whole
     * and nothing past it. */
    c = fake_cap("uvcvideo", "", V4L2_CAP_VIDEO_CAPTURE);
    memset(c.card, 'A', sizeof(c.card));
    CHECK_INT(v4l2dev_check_loopback(&c, "/dev/video0", err, sizeof(err)), -ENODEV);
    CHECK(strstr(err, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"), "message: %s", err);
    return UNIT_PASS;
}

static int test_v4l2_capture_only_and_output_only(void)
{
    char err[512] = "";
    /* A UVC camera's second node: metadata only, no pictures. */
    struct v4l2_capability c = fake_cap("uvcvideo", "HD Pro Webcam C920", V4L2_CAP_META_CAPTURE);
    CHECK_INT(v4l2dev_check_camera(&c, "/dev/video1", err, sizeof(err)), -ENODEV);
    CHECK(strstr(err, "/dev/video1") && strstr(err, "not a camera") && strstr(err, "metadata"), "message: %s", err);
    /* The virtual camera nobody feeds is no camera to read. */
    c = fake_cap(V4L2DEV_LOOPBACK_DRIVER, "backdrop", V4L2_CAP_VIDEO_OUTPUT);
    CHECK_INT(v4l2dev_check_camera(&c, "/dev/video9", err, sizeof(err)), -ENODEV);
    CHECK(strstr(err, "virtual camera with nobody writing"), "message: %s", err);
    /* A capture-only device that is not v4l2loopback as output. */
    c = fake_cap("bttv", "BT878 video", V4L2_CAP_VIDEO_CAPTURE);
    CHECK_INT(v4l2dev_check_loopback(&c, "/dev/video2", err, sizeof(err)), -ENODEV);
    CHECK(strstr(err, "driver bttv"), "message: %s", err);
    return UNIT_PASS;
}

static int test_v4l2_format_request(void)
{
    char err[512] = "";
    struct v4l2_format f;
    CHECK_INT(v4l2dev_loopback_format(&f, V4L2_OUT_YUYV, 1280, 720, "/dev/video9", err, sizeof(err)), 0);
    CHECK_INT(f.type, V4L2_BUF_TYPE_VIDEO_OUTPUT);
    CHECK_INT(f.fmt.pix.pixelformat, V4L2_PIX_FMT_YUYV);
    CHECK_INT(f.fmt.pix.width, 1280);
    CHECK_INT(f.fmt.pix.height, 720);
    CHECK_INT(f.fmt.pix.bytesperline, 2560);
    CHECK_INT(f.fmt.pix.sizeimage, 2560 * 720);
    CHECK_INT(f.fmt.pix.field, V4L2_FIELD_NONE);
    CHECK_INT(v4l2dev_loopback_format(&f, V4L2_OUT_I420, 640, 360, "/dev/video9", err, sizeof(err)), 0);
    CHECK_INT(f.fmt.pix.pixelformat, V4L2_PIX_FMT_YUV420);
    CHECK_INT(f.fmt.pix.bytesperline, 640);
    CHECK_INT(f.fmt.pix.sizeimage, 640 * 360 * 3 / 2);
    /* YUYV of odd height is fine (whole rows of pairs). */
    CHECK_INT(v4l2dev_loopback_format(&f, V4L2_OUT_YUYV, 320, 241, "/dev/video9", err, sizeof(err)), 0);
    return UNIT_PASS;
}

static int test_v4l2_format_odd_width(void)
{
    char err[512] = "";
    struct v4l2_format f;
    CHECK_INT(v4l2dev_loopback_format(&f, V4L2_OUT_YUYV, 321, 240, "/dev/video9", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "/dev/video9") && strstr(err, "321x240") && strstr(err, "even width"), "message: %s", err);
    CHECK_INT(v4l2dev_loopback_format(&f, V4L2_OUT_I420, 320, 241, "/dev/video9", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "even height") && strstr(err, "i420"), "message: %s", err);
    CHECK_INT(v4l2dev_loopback_format(&f, V4L2_OUT_YUYV, 0, 240, "/dev/video9", err, sizeof(err)), -EINVAL);
    CHECK_INT(v4l2dev_loopback_format(&f, (V4l2OutFormat)7, 320, 240, "/dev/video9", err, sizeof(err)), -EINVAL);
    return UNIT_PASS;
}

static int test_v4l2_format_answer(void)
{
    char err[512] = "";
    struct v4l2_format asked, got;
    CHECK_INT(v4l2dev_loopback_format(&asked, V4L2_OUT_I420, 640, 480, "/dev/video9", err, sizeof(err)), 0);
    got = asked;
    CHECK_INT(v4l2dev_check_format(&asked, &got, "/dev/video9", err, sizeof(err)), 0);
    /* Padded rows with an image to match are fine. */
    got.fmt.pix.bytesperline = 704;
    got.fmt.pix.sizeimage = (uint32_t)v4l2dev_frame_bytes(&got.fmt.pix);
    CHECK_INT(got.fmt.pix.sizeimage, 704 * 480 + 2 * 352 * 240);
    CHECK_INT(v4l2dev_check_format(&asked, &got, "/dev/video9", err, sizeof(err)), 0);
    /* ... but an image too small for them is not. */
    got.fmt.pix.sizeimage = 640 * 480 * 3 / 2;
    CHECK_INT(v4l2dev_check_format(&asked, &got, "/dev/video9", err, sizeof(err)), -EINVAL);
    /* Another format (the driver kept the one a writer fixed). */
    got = asked;
    got.fmt.pix.pixelformat = V4L2_PIX_FMT_NV12;
    CHECK_INT(v4l2dev_check_format(&asked, &got, "/dev/video9", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "YU12") && strstr(err, "NV12"), "message: %s", err);
    /* Another size. */
    got = asked;
    got.fmt.pix.width = 1280;
    got.fmt.pix.height = 720;
    CHECK_INT(v4l2dev_check_format(&asked, &got, "/dev/video9", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "640x480") && strstr(err, "1280x720"), "message: %s", err);
    return UNIT_PASS;
}

static int test_v4l2_open_errors(void)
{
    char err[512] = "";
    CHECK_INT(v4l2dev_open_error(V4L2_ROLE_CAMERA, "/dev/video0", ENOENT, err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "/dev/video0: no such device") && strstr(err, "--list-devices"), "message: %s", err);
    v4l2dev_open_error(V4L2_ROLE_LOOPBACK, "/dev/video9", ENOENT, err, sizeof(err));
    CHECK(strstr(err, "v4l2loopback") && strstr(err, V4L2DEV_LOOPBACK_RECIPE), "message: %s", err);
    v4l2dev_open_error(V4L2_ROLE_CAMERA, "/dev/video0", EACCES, err, sizeof(err));
    CHECK(strstr(err, "permission denied") && strstr(err, "'video' group"), "message: %s", err);
    v4l2dev_open_error(V4L2_ROLE_CAMERA, "/dev/video0", EBUSY, err, sizeof(err));
    CHECK(strstr(err, "busy") && strstr(err, "another program"), "message: %s", err);
    /* The names: a prefix or /dev/video, nothing else. */
    CHECK(v4l2dev_is_device_name("/dev/video0") && v4l2dev_is_device_name("v4l2:/dev/cam"), "device names");
    CHECK(!v4l2dev_is_device_name("/dev/null") && !v4l2dev_is_device_name("video0.mp4") &&
          !v4l2dev_is_device_name("null"), "other names");
    CHECK(!strcmp(v4l2dev_path("v4l2:/dev/cam"), "/dev/cam") && !strcmp(v4l2dev_path("/dev/video2"), "/dev/video2"),
          "paths");
    return UNIT_PASS;
}

const UnitTest v4l2_tests[] = {
    UNIT_TEST(v4l2_loopback_accepted),
    UNIT_TEST(v4l2_camera_refused_as_output),
    UNIT_TEST(v4l2_capture_only_and_output_only),
    UNIT_TEST(v4l2_format_request),
    UNIT_TEST(v4l2_format_odd_width),
    UNIT_TEST(v4l2_format_answer),
    UNIT_TEST(v4l2_open_errors),
    UNIT_TESTS_END
};
