/*
 * Output module of the backdrop CLI. One Output writes one destination:
 *   - a video file, container chosen by the extension (mp4, mkv, webm, mov,
 *     avi, nut, ...), default codec per container, --codec / --crf overrides;
 *   - an image sequence, when the name holds a printf pattern (%d, %06d);
 *   - a single image (png, jpg, bmp, webp, tiff extension without pattern):
 *     only one frame may be written;
 *   - "null": frames are accepted and dropped (for benchmarks);
 *   - a v4l2loopback virtual camera, "/dev/videoN" or "v4l2:PATH": raw
 *     YUYV or I420 frames written as they come, no encoder, nothing to
 *     commit (tools/output/v4l2.c).
 * Nothing half-written is left behind: files are written under a temporary
 * name in the destination directory and renamed by output_commit();
 * output_abort() removes everything this Output created. Special files
 * (devices, FIFOs) are written in place; see output.c.
 *
 * Errors: 0 or a negative AVERROR code, with a one-line message in err.
 */
#ifndef BACKDROP_TOOLS_OUTPUT_H
#define BACKDROP_TOOLS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>

#include "../paths.h"

typedef struct Output Output;

typedef struct OutputOptions {
    const char *path;            /* destination, or "null" */
    const char *codec;           /* encoder name, NULL = container default */
    int crf;                     /* -1 = encoder default; else passed as "crf" */
    int threads;                 /* encoder threads; 0 = automatic */
    /* The frames that will be written. */
    int width, height;
    /* YUV420P, RGB24, BGR24 or GRAY8; or, for transparent output, their
     * alpha variants YUVA420P, RGBA, BGRA (straight alpha): the encoder
     * then gets a format with alpha, the destination's default encoder is
     * one that has alpha (.mov ProRes 4444, .webm VP9, .mkv FFV1; .png,
     * .tiff, .webp pictures), and a destination that cannot keep the
     * alpha is refused (see output_check_alpha). */
    enum AVPixelFormat pix_fmt;
    AVRational time_base;        /* of the frames' pts */
    AVRational frame_rate;       /* nominal; {0,1} if unknown */
    AVRational sample_aspect_ratio;
    enum AVColorRange color_range;
    enum AVColorSpace colorspace;
    enum AVColorPrimaries color_primaries;
    enum AVColorTransferCharacteristic color_trc;
    /* Display matrix side data of the input stream (rotation), or NULL. */
    const uint8_t *display_matrix;   /* 9 x int32, as in AV_PKT_DATA_DISPLAYMATRIX */
    /* Input audio stream to carry over (copied if the container accepts
     * the codec, else decoded and re-encoded), or NULL for no audio. */
    const AVStream *audio;
    /* Files that must never be replaced (the input's), or NULL. Kept by
     * reference: it must outlive the Output. */
    FileIdSet *protect;
    /* A virtual camera: the V4l2OutFormat (tools/v4l2dev.h) it is fed,
     * 0 = YUYV; ignored by every other destination. */
    int v4l2_format;
} OutputOptions;

int output_open(Output **out, const OutputOptions *opt, char *err, size_t errlen);
/* Whether output_open() would accept transparent frames for path with
 * codec (NULL: the default): 0, or a negative AVERROR with the reason in
 * err. Looks at names only (no file is touched), so a run can check its
 * command line before the first frame is decoded. */
int output_check_alpha(const char *path, const char *codec, char *err, size_t errlen);
/* The frame to fill for the next output_write_video(): writable, of the
 * size and format given at open. When the encoder takes that format it is
 * the encoder's own picture, which output_write_video() then sends without a
 * copy. Owned by the Output; NULL (with err) when out of memory. */
AVFrame *output_frame(Output *out, char *err, size_t errlen);
/* frame->pts is in opt->time_base. A frame from output_frame() is sent as
 * it is; any other is copied (converted when needed), not modified or kept. */
int output_write_video(Output *out, const AVFrame *frame, char *err, size_t errlen);
/* The last frame written once more, for a live run whose processing is
 * late (the consumer of a virtual camera wants a steady rate). A virtual
 * camera writes its converted frame again (no conversion); an encoder gets
 * its last picture again one frame period later; null counts it. Valid
 * only after a frame was written, and only if output_frame()'s picture
 * was not filled since. */
int output_repeat_last(Output *out, char *err, size_t errlen);
/* An audio packet of opt->audio, timestamps in that stream's time base. */
int output_write_audio(Output *out, const AVPacket *pkt, char *err, size_t errlen);
/* Flushes encoders, writes trailers and closes the files, which stay under
 * their temporary names. After a failure, abort. */
int output_complete(Output *out, char *err, size_t errlen);
/* Renames a completed output's files into place and frees it (*out = NULL).
 * With several outputs, complete them all before committing any: then a
 * late failure leaves none of them in place. */
int output_commit(Output **out, char *err, size_t errlen);
/* Complete and commit; on failure everything is removed and freed. */
int output_finish(Output **out, char *err, size_t errlen);
/* Removes whatever was written, frees. Accepts NULL / pointer to NULL. */
void output_abort(Output **out);
/* Number of video frames written so far (repeats included). */
int64_t output_frames(const Output *out);
/* Whether frames go out as they come, without timestamps: a virtual
 * camera, and null (which stands in for one). A live run keeps these at a
 * steady rate (tools/pacer.h). */
int output_is_realtime(const Output *out);

#endif
