/*
 * The picture sinks. An image encoder's packet is a complete file, so the
 * files are written here rather than by FFmpeg's image2 muxer, which lets
 * us choose the names:
 *  - image: one picture named by its extension (png, jpg, ...); its
 *    temporary exists from open (so that a destination that cannot be
 *    written fails before any work) and is renamed at the commit;
 *  - sequence: a %d pattern; each picture goes to the temporary of its
 *    number's name, and all are renamed at the commit, every name checked
 *    before the first is replaced.
 */
#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../paths.h"

/* The encoder of a picture named path. A known image extension names the
 * file type, so its encoder writes the files: --codec and --crf are
 * video-file settings (the CLI hands them to the matte too) and would
 * otherwise put, say, H.264 packets into .png files. Only an unknown
 * extension takes the --codec. Transparent pictures need a type that keeps
 * alpha (png, tiff, webp) or, by --codec, an encoder with alpha. */
static int images_encoder(const char *path, const char *codec_name, int alpha, const AVCodec **codec,
                          char *err, size_t errlen)
{
    const char *ext = out_extension_of(path);
    const char *name = out_image_encoder_for(ext);
    int by_extension = name != NULL;
    if (!name)
        name = codec_name;
    if (!name)
        return out_fail(err, errlen, AVERROR(EINVAL),
                    "%s: unknown image format '%s%s' (use png, jpg, bmp, webp, tiff, pgm or ppm)",
                    path, ext ? "." : "", ext ? ext : "");
    if (alpha && by_extension && !out_image_keeps_alpha(ext))
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: .%s pictures have no alpha; " OUT_ALPHA_FORMATS,
                        path, ext);
    const AVCodec *c = avcodec_find_encoder_by_name(name);
    if (!c)
        return out_fail(err, errlen, AVERROR_ENCODER_NOT_FOUND, "%s: %s video encoder '%s'",
                    path, by_extension ? "missing" : "unknown", name);
    if (c->type != AVMEDIA_TYPE_VIDEO)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: '%s' is not a video encoder",
                    path, name);
    int ret = alpha ? out_check_alpha_encoder(path, c, err, errlen) : 0;
    if (ret < 0)
        return ret;
    *codec = c;
    return 0;
}

static int images_open(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    const AVCodec *codec;
    int by_extension = out_image_encoder_for(out_extension_of(o->path)) != NULL;
    int ret = images_encoder(o->path, opt->codec, out_has_alpha(opt->pix_fmt), &codec, err, errlen);
    if (ret < 0)
        return ret;
    if (o->sink == &output_sink_image) {
        /* The picture's temporary exists from now on (and is filled when
         * the encoder delivers): a failure to create it shows now. */
        o->tmp = o->in_place ? av_strdup(o->final) : out_temp_name(o->final);
        if (!o->tmp)
            return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        if (!o->in_place) {
            if ((ret = out_create_empty(o->path, o->tmp, err, errlen)) < 0)
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
    return out_open_video_encoder(o, codec, &image_opt, 0, err, errlen);
}

static int image_open(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    int ret = out_prepare_single(o, err, errlen);
    return ret < 0 ? ret : images_open(o, opt, err, errlen);
}

/* The pattern must be one FFmpeg expands; checking the directory of the
 * first name also covers patterns in the directory part. */
static int sequence_open(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    char first[4096];
    int ret;
    if (av_get_frame_filename2(first, sizeof first, o->path, 1, 0) < 0)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: invalid image sequence pattern (use one %%d or %%0Nd)",
                        o->path);
    if ((ret = out_make_directories(o, first, err, errlen)) < 0 ||
        (ret = out_check_destination(o->path, first, err, errlen)) < 0 ||
        (ret = out_probe_create(o->path, first, err, errlen)) < 0)
        return ret;
    return images_open(o, opt, err, errlen);
}

/* Only one frame is ever accepted, so there is only one packet. */
static int image_packet(Output *o, AVPacket *pkt, char *err, size_t errlen)
{
    int ret;
    ret = out_write_file(o->tmp, pkt->data, (size_t)pkt->size);
    av_packet_unref(pkt);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot write '%s': %s", o->path, o->tmp,
                    av_err2str(ret));
    o->tmp_exists = !o->in_place;
    o->images++;
    return 0;
}

static int image_frame(Output *o, char *err, size_t errlen)
{
    if (o->frames < 1)
        return 0;
    const char *ext = out_extension_of(o->path); /* non-NULL: it made this an image */
    return out_fail(err, errlen, AVERROR(EINVAL),
                    "%s: single image output but the input has more than one frame; "
                    "use a pattern such as %.*s_%%06d.%s",
                    o->path, (int)(ext - 1 - o->path), o->path, ext);
}

static int image_complete(Output *o, char *err, size_t errlen)
{
    if (!o->images)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: no frame to write", o->path);
    return 0;
}

static int sequence_packet(Output *o, AVPacket *pkt, char *err, size_t errlen)
{
    int ret;
    char name[4096];
    if (av_get_frame_filename2(name, sizeof name, o->path, (int)(o->images + 1), 0) < 0) {
        av_packet_unref(pkt);
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: cannot make the name of picture %" PRId64,
                    o->path, o->images + 1);
    }
    if (o->nfiles == o->files_cap) {
        size_t cap = o->files_cap ? 2 * o->files_cap : 64;
        SequenceFile *files = av_realloc_array(o->files, cap, sizeof *files);
        if (!files) {
            av_packet_unref(pkt);
            return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        }
        o->files = files;
        o->files_cap = cap;
    }
    char *final = av_strdup(name);
    char *tmp = out_temp_name(name);
    if (!final || !tmp) {
        ret = out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    } else if ((ret = out_write_file(tmp, pkt->data, (size_t)pkt->size)) < 0) {
        out_fail(err, errlen, ret, "%s: cannot write '%s': %s", o->path, tmp, av_err2str(ret));
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

static int sequence_commit(Output *o, char *err, size_t errlen)
{
    int ret = 0;
    /* A sequence: every name is checked before the first is replaced; a
     * picture whose name is a symbolic link replaces the link's target. */
    for (size_t i = 0; i < o->nfiles && ret >= 0; i++) {
        char *target = path_rename_target(o->files[i].final);
        if (!target)
            return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        av_free(o->files[i].final);
        o->files[i].final = av_strdup(target);
        free(target);
        if (!o->files[i].final)
            return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        ret = out_check_replace(o, o->files[i].final, err, errlen);
    }
    for (size_t i = 0; i < o->nfiles && ret >= 0; i++) {
        ret = out_rename_into_place(o, o->files[i].tmp, o->files[i].final, err, errlen);
        if (ret >= 0)
            av_freep(&o->files[i].tmp); /* in place: no longer ours to remove */
    }
    return ret;
}

static int image_probe(const char *path)
{
    return out_image_encoder_for(out_extension_of(path)) != NULL;
}

const OutputSink output_sink_image = {
    .name = "image",
    .probe = image_probe,
    .open = image_open,
    .encoder = images_encoder,
    .frame = image_frame,
    .packet = image_packet,
    .complete = image_complete,
    .commit = out_commit_single,
};

const OutputSink output_sink_sequence = {
    .name = "sequence",
    .probe = out_has_frame_pattern,
    .open = sequence_open,
    .encoder = images_encoder,
    .packet = sequence_packet,
    .commit = sequence_commit,
};
