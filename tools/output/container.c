/*
 * The container sink: any destination the others do not claim, a file
 * whose extension names the container (mp4, mkv, webm, mov, avi, nut, ...),
 * with the container's default codec or --codec. Video packets go to the
 * muxer; the input's audio is copied when the container takes its codec,
 * else decoded, resampled and re-encoded. The muxer writes a temporary
 * (or, for a special file, the destination itself), renamed at the commit.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>

/* Transparent video by container (AVOutputFormat.name), when --codec names
 * none: what editors import with its alpha. ProRes 4444 is the editing
 * codec of .mov (alpha coded losslessly); VP9 the one codec with alpha in
 * WebM (browsers play it); FFV1 for .mkv, lossless, so the matte and the
 * colour survive exactly, and FFmpeg's own decoder returns its alpha (VP9's
 * alpha in Matroska needs the libvpx-vp9 decoder). Every other container
 * has no default: --codec must name an encoder with alpha. */
static const struct {
    const char *format;
    const char *encoder;
} alpha_encoders[] = {
    { "mov", "prores_ks" },
    { "webm", "libvpx-vp9" },
    { "matroska", "ffv1" },
};

static int find_video_encoder(const char *path, const AVOutputFormat *ofmt, const char *name, int alpha,
                              const AVCodec **codec, char *err, size_t errlen)
{
    const AVCodec *c = NULL;
    if (name) {
        c = avcodec_find_encoder_by_name(name);
        if (!c)
            return out_fail(err, errlen, AVERROR_ENCODER_NOT_FOUND,
                        "%s: unknown video encoder '%s'", path, name);
        if (c->type != AVMEDIA_TYPE_VIDEO)
            return out_fail(err, errlen, AVERROR(EINVAL), "%s: '%s' is not a video encoder",
                        path, name);
    } else if (alpha) {
        const char *enc = NULL;
        for (size_t i = 0; i < sizeof alpha_encoders / sizeof alpha_encoders[0]; i++)
            if (!strcmp(ofmt->name, alpha_encoders[i].format))
                enc = alpha_encoders[i].encoder;
        if (!enc)
            return out_fail(err, errlen, AVERROR(EINVAL), "%s: format '%s' has no video codec with alpha "
                            "by default; " OUT_ALPHA_FORMATS, path, ofmt->name);
        c = avcodec_find_encoder_by_name(enc);
        if (!c)
            return out_fail(err, errlen, AVERROR_ENCODER_NOT_FOUND,
                            "%s: this FFmpeg has no '%s' encoder for transparent %s", path, enc, ofmt->name);
    } else if (ofmt->video_codec == AV_CODEC_ID_VP8 || ofmt->video_codec == AV_CODEC_ID_VP9) {
        c = avcodec_find_encoder_by_name("libvpx-vp9");
    } else if (avformat_query_codec(ofmt, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) == 1) {
        c = avcodec_find_encoder_by_name("libx264");
    }
    if (!c && ofmt->video_codec != AV_CODEC_ID_NONE)
        c = avcodec_find_encoder(ofmt->video_codec);
    if (!c)
        return out_fail(err, errlen, AVERROR_ENCODER_NOT_FOUND,
                    "%s: no video encoder available for format '%s'", path, ofmt->name);
    int ret = alpha ? out_check_alpha_encoder(path, c, err, errlen) : 0;
    if (ret < 0)
        return ret;
    /* 1 = accepted, 0 = refused, negative = the muxer does not say. */
    if (avformat_query_codec(ofmt, c->id, FF_COMPLIANCE_NORMAL) == 0)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: format '%s' cannot hold %s video",
                    path, ofmt->name, avcodec_get_name(c->id));
    *codec = c;
    return 0;
}

/* The muxer for path, by its extension. */
static int find_format(const char *path, const AVOutputFormat **format, char *err, size_t errlen)
{
    const char *ext = out_extension_of(path);
    const AVOutputFormat *ofmt = av_guess_format(NULL, path, NULL);
    if (!ofmt && !ext)
        return out_fail(err, errlen, AVERROR_MUXER_NOT_FOUND,
                    "%s: no file extension to choose the output format by "
                    "(use mp4, mkv, webm, mov, or an image pattern)", path);
    if (!ofmt)
        return out_fail(err, errlen, AVERROR_MUXER_NOT_FOUND,
                    "%s: unknown output format '.%s' (use mp4, mkv, webm, mov, or an image pattern)",
                    path, ext);
    /* Muxers that do their own file handling (image2, hls, segment, ...)
     * would write names of their own choosing, beyond our temp-and-rename. */
    if (ofmt->flags & AVFMT_NOFILE)
        return out_fail(err, errlen, AVERROR(EINVAL),
                    "%s: output format '%s' is not supported (use mp4, mkv, webm, mov, or an image pattern)",
                    path, ofmt->name);
    *format = ofmt;
    return 0;
}

static int container_encoder(const char *path, const char *codec_name, int alpha, const AVCodec **codec,
                             char *err, size_t errlen)
{
    const AVOutputFormat *ofmt = NULL;
    int ret = find_format(path, &ofmt, err, errlen);
    return ret < 0 ? ret : find_video_encoder(path, ofmt, codec_name, alpha, codec, err, errlen);
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
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: the audio stream is not audio", o->path);
    o->audio_in_tb = in->time_base;

    if (avformat_query_codec(ofmt, par->codec_id, FF_COMPLIANCE_NORMAL) == 1) {
        o->ast = avformat_new_stream(o->fc, NULL);
        if (!o->ast)
            return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        ret = avcodec_parameters_copy(o->ast->codecpar, par);
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: out of memory", o->path);
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
        return out_fail(err, errlen, AVERROR_DECODER_NOT_FOUND,
                    "%s: no decoder for the %s audio, which format '%s' cannot hold",
                    o->path, avcodec_get_name(par->codec_id), ofmt->name);
    if (!enc)
        return out_fail(err, errlen, AVERROR_ENCODER_NOT_FOUND,
                    "%s: no %s audio encoder for format '%s'", o->path,
                    avcodec_get_name(ofmt->audio_codec), ofmt->name);

    o->adec = avcodec_alloc_context3(dec);
    o->aenc = avcodec_alloc_context3(enc);
    o->decoded = av_frame_alloc();
    o->aframe = av_frame_alloc();
    if (!o->adec || !o->aenc || !o->decoded || !o->aframe)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    ret = avcodec_parameters_to_context(o->adec, par);
    if (ret >= 0) {
        o->adec->pkt_timebase = in->time_base;
        ret = avcodec_open2(o->adec, dec, NULL);
    }
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot open the %s audio decoder: %s",
                    o->path, dec->name, av_err2str(ret));

    AVChannelLayout in_layout = { 0 };
    if (par->ch_layout.nb_channels <= 0 || par->sample_rate <= 0)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: the audio stream has no %s",
                    o->path, par->sample_rate <= 0 ? "sample rate" : "channel count");
    ret = normalized_layout(&in_layout, &par->ch_layout);
    if (ret >= 0)
        ret = choose_layout(enc, &in_layout, &o->aenc->ch_layout);
    av_channel_layout_uninit(&in_layout);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
    o->aenc->sample_rate = choose_sample_rate(enc, par->sample_rate);
    o->aenc->sample_fmt = choose_sample_fmt(enc, o->adec->sample_fmt);
    o->aenc->time_base = (AVRational){ 1, o->aenc->sample_rate };
    if (ofmt->flags & AVFMT_GLOBALHEADER)
        o->aenc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ret = avcodec_open2(o->aenc, enc, NULL);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot open the %s audio encoder: %s",
                    o->path, enc->name, av_err2str(ret));

    o->ast = avformat_new_stream(o->fc, NULL);
    if (!o->ast)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    ret = avcodec_parameters_from_context(o->ast->codecpar, o->aenc);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
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
        return out_fail(err, errlen, ret < 0 ? ret : AVERROR(ENOMEM), "%s: out of memory", o->path);
    o->audio_next_pts = AV_NOPTS_VALUE;
    o->audio_mode = AUDIO_TRANSCODE;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Opening */

static int container_open(Output *o, const OutputOptions *opt, char *err, size_t errlen)
{
    int ret = out_prepare_single(o, err, errlen);
    if (ret < 0)
        return ret;
    const AVOutputFormat *ofmt = NULL;
    const AVCodec *codec = NULL;
    if ((ret = find_format(o->path, &ofmt, err, errlen)) < 0)
        return ret;
    if (opt->time_base.num <= 0 || opt->time_base.den <= 0)
        return out_fail(err, errlen, AVERROR(EINVAL), "%s: invalid time base %d/%d",
                    o->path, opt->time_base.num, opt->time_base.den);
    ret = find_video_encoder(o->path, ofmt, opt->codec, out_has_alpha(opt->pix_fmt), &codec, err, errlen);
    if (ret < 0)
        return ret;

    o->tmp = o->in_place ? av_strdup(o->final) : out_temp_name(o->final);
    if (!o->tmp)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
    /* The muxer is forced: the temporary name has no useful extension. */
    ret = avformat_alloc_output_context2(&o->fc, ofmt, NULL, o->tmp);
    if (ret < 0 || !(o->vst = avformat_new_stream(o->fc, NULL)))
        return out_fail(err, errlen, ret < 0 ? ret : AVERROR(ENOMEM), "%s: out of memory", o->path);

    ret = out_open_video_encoder(o, codec, opt, !!(ofmt->flags & AVFMT_GLOBALHEADER), err, errlen);
    if (ret < 0)
        return ret;
    ret = avcodec_parameters_from_context(o->vst->codecpar, o->venc);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
    o->vst->time_base = o->venc->time_base; /* a hint; the muxer may change it */
    o->vst->avg_frame_rate = o->venc->framerate;
    o->vst->sample_aspect_ratio = o->venc->sample_aspect_ratio;
    if (opt->display_matrix) {
        uint8_t *sd = av_stream_new_side_data(o->vst, AV_PKT_DATA_DISPLAYMATRIX,
                                              9 * sizeof(int32_t));
        if (!sd)
            return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
        memcpy(sd, opt->display_matrix, 9 * sizeof(int32_t));
    }
    if (opt->audio) {
        ret = setup_audio(o, opt->audio, err, errlen);
        if (ret < 0)
            return ret;
    }

    ret = avio_open(&o->fc->pb, o->tmp, AVIO_FLAG_WRITE);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot create '%s': %s", o->path, o->tmp,
                    av_err2str(ret));
    o->tmp_exists = !o->in_place;
    ret = avformat_write_header(o->fc, NULL);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot write the %s header: %s", o->path,
                    ofmt->name, av_err2str(ret));
    return 0;
}

/* Audio transcoding: packet -> decoder -> resampler -> fifo -> encoder. */

static int drain_audio_encoder(Output *o, char *err, size_t errlen)
{
    for (;;) {
        int ret = avcodec_receive_packet(o->aenc, o->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: audio encoding failed: %s", o->path,
                        av_err2str(ret));
        av_packet_rescale_ts(o->pkt, o->aenc->time_base, o->ast->time_base);
        o->pkt->stream_index = o->ast->index;
        ret = av_interleaved_write_frame(o->fc, o->pkt);
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: cannot write audio: %s", o->path,
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
            return out_fail(err, errlen, ret, "%s: out of memory", o->path);
        if (av_audio_fifo_read(o->fifo, (void **)o->aframe->extended_data, n) != n)
            return out_fail(err, errlen, AVERROR_BUG, "%s: audio fifo underrun", o->path);
        if (n < o->chunk && small_last)
            o->aframe->nb_samples = n;
        else if (n < o->chunk)
            av_samples_set_silence(o->aframe->extended_data, n, o->chunk - n,
                                   o->aenc->ch_layout.nb_channels, o->aenc->sample_fmt);
        o->aframe->pts = o->audio_next_pts;
        o->audio_next_pts += o->aframe->nb_samples;
        ret = avcodec_send_frame(o->aenc, o->aframe);
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: audio encoding failed: %s", o->path,
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
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
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
        return out_fail(err, errlen, ret, "%s: cannot resample %d Hz %s audio: %s", o->path,
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
        return out_fail(err, errlen, room, "%s: resampling failed", o->path);
    if (room > o->abuf_samples) {
        if (o->abuf)
            av_freep(&o->abuf[0]);
        av_freep(&o->abuf);
        o->abuf_samples = 0;
        int ret = av_samples_alloc_array_and_samples(&o->abuf, NULL,
                                                     o->aenc->ch_layout.nb_channels,
                                                     room, o->aenc->sample_fmt, 0);
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: out of memory", o->path);
        o->abuf_samples = room;
    }
    int n = swr_convert(o->swr, o->abuf, o->abuf_samples,
                        frame ? (const uint8_t **)frame->extended_data : NULL, in_samples);
    if (n < 0)
        return out_fail(err, errlen, n, "%s: resampling failed: %s", o->path, av_err2str(n));
    if (n > 0 && av_audio_fifo_write(o->fifo, (void **)o->abuf, n) != n)
        return out_fail(err, errlen, AVERROR(ENOMEM), "%s: out of memory", o->path);
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
        return out_fail(err, errlen, ret, "%s: audio decoding failed: %s", o->path,
                    av_err2str(ret));
    for (;;) {
        ret = avcodec_receive_frame(o->adec, o->decoded);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return out_fail(err, errlen, ret, "%s: audio decoding failed: %s", o->path,
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

static int container_audio(Output *o, const AVPacket *pkt, char *err, size_t errlen)
{
    if (o->audio_mode == AUDIO_TRANSCODE)
        return transcode_audio(o, pkt, err, errlen);
    if (o->audio_mode == AUDIO_NONE)
        return 0;

    int ret = av_packet_ref(o->pkt, pkt);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: out of memory", o->path);
    av_packet_rescale_ts(o->pkt, o->audio_in_tb, o->ast->time_base);
    o->pkt->stream_index = o->ast->index;
    o->pkt->pos = -1;
    ret = av_interleaved_write_frame(o->fc, o->pkt); /* consumes the packet */
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot write audio: %s", o->path, av_err2str(ret));
    return 0;
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
        return out_fail(err, errlen, ret, "%s: audio encoding failed: %s", o->path,
                    av_err2str(ret));
    return drain_audio_encoder(o, err, errlen);
}

static int container_packet(Output *o, AVPacket *pkt, char *err, size_t errlen)
{
    /* Encoders rarely set durations; without one the muxer has to guess
     * the last frame's. */
    if (pkt->duration <= 0)
        pkt->duration = o->pts_step;
    av_packet_rescale_ts(pkt, o->venc->time_base, o->vst->time_base);
    pkt->stream_index = o->vst->index;
    int ret = av_interleaved_write_frame(o->fc, pkt); /* consumes the packet */
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot write video: %s", o->path, av_err2str(ret));
    return 0;
}

/* The audio's last samples, the trailer, and the file closed. */
static int container_complete(Output *o, char *err, size_t errlen)
{
    int ret;
    if (o->audio_mode == AUDIO_TRANSCODE && (ret = flush_audio(o, err, errlen)) < 0)
        return ret;
    ret = av_write_trailer(o->fc);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot finish the file: %s", o->path, av_err2str(ret));
    /* Closing flushes the last buffered bytes: a full disk shows up here. */
    ret = avio_closep(&o->fc->pb);
    if (ret < 0)
        return out_fail(err, errlen, ret, "%s: cannot write '%s': %s", o->path, o->tmp, av_err2str(ret));
    return 0;
}

static int container_probe(const char *path)
{
    return 1;
}

const OutputSink output_sink_container = {
    .name = "container",
    .probe = container_probe,
    .open = container_open,
    .encoder = container_encoder,
    .packet = container_packet,
    .audio = container_audio,
    .complete = container_complete,
    .commit = out_commit_single,
};
