/*
 * Input module of the backdrop CLI: opens anything FFmpeg reads (file, URL,
 * image-sequence pattern such as frames/%06d.png, "-" for stdin), decodes the
 * best video stream and hands out, in demuxing order, decoded video frames
 * converted to a format libbackdrop accepts and the raw packets of the best
 * audio stream (for copying or re-encoding by the output).
 *
 * A camera (a V4L2 device, "/dev/video*" or "v4l2:PATH") is read by
 * libavdevice's video4linux2 demuxer, MJPEG decoded by FFmpeg; opening it
 * checks the device first (tools/v4l2dev.h) so that a missing, busy or
 * forbidden one gets its own one-line message.
 *
 * Pictures (image files, image sequences, pictures on a pipe) are handed out
 * upright as their EXIF orientation says (tools/orient.h): they carry no
 * display matrix to the output. Video keeps its stored orientation; its
 * display matrix is the caller's to pass on (input_rotation()).
 *
 * Errors: functions return 0 or a negative AVERROR code and write a one-line,
 * human-readable message (no trailing newline, naming the input) to err.
 */
#ifndef BACKDROP_TOOLS_INPUT_H
#define BACKDROP_TOOLS_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

typedef struct Input Input;

typedef enum InputErrorPolicy {
    INPUT_ON_ERROR_SKIP = 0, /* drop undecodable packets/frames, count them, go on */
    INPUT_ON_ERROR_STOP,     /* the first decoder error ends the run with an error */
} InputErrorPolicy;

typedef struct InputOptions {
    const char *url;            /* path, URL, pattern with %d, or "-" for stdin */
    int threads;                /* decoder threads; 0 = automatic */
    InputErrorPolicy on_error;
    /* Pixel format handed out. AV_PIX_FMT_NONE: YUV420P (and YUVJ420P,
     * relabelled YUV420P with color_range JPEG) pass through untouched;
     * other YUV/grey formats are converted to YUV420P, RGB-like formats
     * (rgb*, bgr*, rgba, pal8, ...) to RGB24, each with one swscale context
     * made on the first frame (and again only if the size/format changes).
     * AV_PIX_FMT_BGR24 or AV_PIX_FMT_RGB24 force that packed format for
     * every frame (seed-compat uses BGR24 with SWS_BICUBIC, as OpenCV's
     * FFmpeg capture does). AV_PIX_FMT_GRAY8 (mattes) hands out one
     * full-range plane: 8-bit grey as decoded (taken as full range
     * whatever its label, as swscale and FFmpeg's own conversions do),
     * anything else converted by its labels (YUV's luma with limited range
     * expanded to 0..255, RGB's BT.601 luma). Frames
     * keep pts (best effort timestamp), color_range and colorspace. */
    enum AVPixelFormat want_format;
    /* A video background (tools/background.c): video only (no audio
     * events); frames turned upright by the stream's display matrix, as
     * input_load_image() turns a picture; a forced RGB24/BGR24 converted
     * by the frames' range and matrix labels rather than swscale's
     * defaults; and looped: when the stream ends after at least one frame,
     * an INPUT_EVENT_RESTART, then its frames again from the start (a seek,
     * or the input opened again when the demuxer cannot seek). A stream
     * that ends without a frame gives EOF in its first pass and an error in
     * later ones. */
    int background;
    /* A background only: the frames' size as displayed (upright). Frames
     * of exactly its aspect ratio are scaled to it while converted (the
     * picture stage then has nothing to fit, only to convert); others keep
     * their size. 0: keep every size. */
    int fit_width, fit_height;
    /* A camera only (a V4L2 device: "/dev/video*" or "v4l2:PATH", see
     * input.c's source table), else ignored: the video4linux2 demuxer's
     * video_size ("WxH"), framerate ("30", "30000/1001") and input_format
     * ("mjpeg", "yuyv422", ...); NULL = the device's current setting. A
     * camera that does not give the size asked for is refused. */
    const char *video_size, *framerate, *input_format;
} InputOptions;

typedef enum InputEventType {
    INPUT_EVENT_VIDEO = 1, /* ev->frame holds a decoded, converted video frame */
    INPUT_EVENT_AUDIO,     /* ev->packet holds an audio packet (input time base) */
    INPUT_EVENT_EOF,       /* all streams drained */
    INPUT_EVENT_RESTART,   /* background: the stream ended and starts again */
} InputEventType;

typedef struct InputEvent {
    InputEventType type;
    AVFrame *frame;   /* owned by Input; valid until the next input_next() */
    AVPacket *packet; /* owned by Input; valid until the next input_next() */
} InputEvent;

int input_open(Input **in, const InputOptions *opt, char *err, size_t errlen);

/* Next frame or packet. Returns 0 with *ev filled (EOF included), or a
 * negative AVERROR with err filled. */
int input_next(Input *in, InputEvent *ev, char *err, size_t errlen);

AVFormatContext *input_format(const Input *in);
AVStream *input_video_stream(const Input *in);   /* never NULL after open */
AVStream *input_audio_stream(const Input *in);   /* NULL when there is none */
/* Display rotation in degrees (0, 90, 180, 270, or other) from the stream's
 * display matrix; 0 when absent. */
double input_rotation(const Input *in);
/* 1 when the input is one picture file (named, not a frame-number
 * pattern, not stdin), which holds one frame: a still. */
int input_is_still(const Input *in);
/* Total frames if known (nb_frames or duration x rate), else 0: for progress. */
int64_t input_frame_estimate(const Input *in);
/* How many packets/frames were skipped because they failed to decode. */
int64_t input_skipped(const Input *in);
void input_close(Input **in);

/* Decodes the first frame of an image (or video) file into a newly allocated
 * RGB24 AVFrame (*out, caller frees with av_frame_free), upright: turned as
 * its EXIF orientation, else its stream's display matrix, says. Used for
 * background pictures. */
int input_load_image(const char *path, AVFrame **out, char *err, size_t errlen);

#endif
