/*
 * Inside the output module (tools/output/): the Output every sink shares,
 * the sink interface, and the helpers the sinks use. Not for the rest of
 * the CLI, which uses output.h.
 */
#ifndef BACKDROP_TOOLS_OUTPUT_INTERNAL_H
#define BACKDROP_TOOLS_OUTPUT_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include "output.h"

typedef struct Output Output;

/* A kind of destination, as in dav1d's tools/output/: the first sink whose
 * probe claims the name gets it (output.c, sinks[]). Every sink but null
 * has a video encoder set up by output.c; the sink decides what becomes of
 * its packets and how the files are completed and committed. */
typedef struct OutputSink {
    const char *name;
    int (*probe)(const char *path);
    /* Creates what the destination needs (temporaries, muxer, encoder via
     * out_open_video_encoder); fails early for a destination that cannot be
     * written. */
    int (*open)(Output *o, const OutputOptions *opt, char *err, size_t errlen);
    /* Optional (null has no encoder): the video encoder this destination
     * gets, by its name and the --codec name (NULL: the sink's default);
     * alpha: the frames carry transparency, so the encoder must keep it.
     * Fails with the one-line reason. Used by open, and before any frame by
     * output_check_alpha(). */
    int (*encoder)(const char *path, const char *codec_name, int alpha, const AVCodec **codec,
                   char *err, size_t errlen);
    /* Optional: may refuse a frame before it is encoded. */
    int (*frame)(Output *o, char *err, size_t errlen);
    /* An encoded video packet; consumed. */
    int (*packet)(Output *o, AVPacket *pkt, char *err, size_t errlen);
    /* Optional: an input audio packet (others drop audio). */
    int (*audio)(Output *o, const AVPacket *pkt, char *err, size_t errlen);
    /* After the encoder is flushed: finish the files (still temporaries). */
    int (*complete)(Output *o, char *err, size_t errlen);
    /* Renames the completed files into place. */
    int (*commit)(Output *o, char *err, size_t errlen);
    /* Optional, for a sink without an encoder (v4l2): a frame of the size
     * and format given at open, written as it is handed in. */
    int (*raw)(Output *o, const AVFrame *frame, char *err, size_t errlen);
    /* Optional: the last frame written once more (output_repeat_last). */
    int (*repeat)(Output *o, char *err, size_t errlen);
    /* Optional: frees o->sink_data (called however the Output ends). */
    void (*close)(Output *o);
} OutputSink;

extern const OutputSink output_sink_null, output_sink_sequence, output_sink_image, output_sink_container,
    output_sink_v4l2;

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
    const OutputSink *sink; /* what the destination is (see sinks[] in output.c) */
    char *path;       /* the destination as given (a pattern for sequences) */
    char *final;      /* container, image: the name renamed into (links resolved) */
    char *tmp;        /* container, image: the temporary file name */
    int tmp_exists;   /* tmp is on disk and belongs to us */
    int in_place;     /* final is a special file, written directly (tmp == final) */
    int completed;    /* output_complete() succeeded: only the renames remain */
    FileIdSet *protect; /* the input's files: never renamed over */
    void *sink_data;  /* the sink's own state (v4l2), freed by sink->close */

    /* The frames the caller promised in output_open(). */
    int width, height;
    enum AVPixelFormat in_fmt;
    int64_t frames;   /* frames accepted so far */
    AVRational in_tb; /* of the caller's frame->pts */
    int64_t last_pts; /* encoder time base; AV_NOPTS_VALUE before the first */
    int64_t pts_step; /* one frame duration in the encoder time base, >= 1 */

    /* Video or image encoding (every sink but null). */
    AVCodecContext *venc;
    struct SwsContext *sws; /* NULL when frames already have the encoder's format */
    AVFrame *picture;       /* the only frame ever handed to the video encoder */
    AVFrame *staging;       /* caller's format, when that is not the encoder's (or null) */
    AVPacket *pkt;          /* scratch packet, blank between uses */

    /* The container sink. */
    AVFormatContext *fc;
    AVStream *vst;

    /* Audio (the container sink only). */
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

    /* Pictures written (image, sequence). For sequences, files[]
     * holds each picture's temporary (on disk, ours) and final name. */
    int64_t images;
    SequenceFile *files;
    size_t nfiles, files_cap;
    /* Directories this output created for a sequence, outermost first;
     * removed again (when still empty) if the run fails. */
    char **made_dirs;
    size_t nmade_dirs;
};

/* Shared helpers (output.c). */
int out_fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *out_extension_of(const char *file);
char *out_temp_name(const char *file);
int out_has_frame_pattern(const char *s);
const char *out_image_encoder_for(const char *ext);
/* The image type of ext keeps an alpha channel that readers take as such
 * (png, tiff, webp); false for unknown extensions. */
int out_image_keeps_alpha(const char *ext);
/* The pixel format carries alpha. */
int out_has_alpha(enum AVPixelFormat fmt);
/* For transparent frames: the encoder has a pixel format with alpha, else
 * fails saying which destinations carry alpha. */
int out_check_alpha_encoder(const char *path, const AVCodec *codec, char *err, size_t errlen);
/* The end of every message that refuses a transparent destination. */
#define OUT_ALPHA_FORMATS "transparent output needs .png (picture or %%d sequence), .mov (ProRes 4444), " \
                          ".webm (VP9 with alpha) or .mkv (FFV1)"
int out_write_file(const char *path, const uint8_t *data, size_t size);
int out_check_destination(const char *name, const char *file, char *err, size_t errlen);
int out_create_empty(const char *name, const char *file, char *err, size_t errlen);
int out_probe_create(const char *name, const char *file, char *err, size_t errlen);
int out_make_directories(Output *o, const char *file, char *err, size_t errlen);
int out_choose_final(Output *o, char *err, size_t errlen);
/* For a sink that writes one file: the name is not a directory, the final
 * name chosen (out_choose_final), and unless it is written in place, its
 * directory accepts new files. */
int out_prepare_single(Output *o, char *err, size_t errlen);
int out_open_video_encoder(Output *o, const AVCodec *codec, const OutputOptions *opt, int global_header,
                           char *err, size_t errlen);
int out_check_replace(const Output *o, const char *name, char *err, size_t errlen);
int out_rename_into_place(const Output *o, const char *tmp, const char *name, char *err, size_t errlen);
/* Commits a sink with one temporary file (o->tmp -> o->final). */
int out_commit_single(Output *o, char *err, size_t errlen);

#endif
