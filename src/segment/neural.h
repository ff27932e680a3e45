/*
 * What every neural segmentation method shares, so that a model family is
 * glue only: a method loads its model into an NnGraph, says which input
 * takes the picture and which output is the per-pixel probability (or
 * alpha), and this module does the rest:
 *
 *   engine     built by name (the method's option "engine", engine.h) on
 *              the first frame; state pairs are the engine's business
 *   framing    how a frame of another aspect ratio meets the network's
 *              input: windows (default), pad, stretch, crop, or track (one
 *              window that follows the people, windows every so often)
 *   rotation   tensors turned upright for sideways video, answers back
 *   soft map   the probability map (windows blended) and its placement
 *              in the frame, handed on as the matte; the refine stage
 *              makes the alpha
 *
 * Contract for the network (checked at open):
 *   image input  [1,H,W,3] FLOAT32, RGB in [0,1] (resampled from the frame)
 *   map output   [1,H,W,1] FLOAT32, same H and W, in [0,1]
 * Any other input is the method's to fill, once after neural_open()
 * (nn_engine_input(n->engine, port)), unless it is a state input.
 *
 * A graph with state pairs (recurrent) sees one window per frame: windows
 * of one frame would hand each other their state, so WINDOWS falls back to
 * PAD; and a new frame shape starts a new clip (the state is reset).
 *
 * Lifetime: the graph must outlive the Neural (neural_close() first).
 */
#ifndef BACKDROP_SEGMENT_NEURAL_H
#define BACKDROP_SEGMENT_NEURAL_H

#include "../pipeline.h"
#include "../nn/engine.h"
#include "../nn/resample.h"

/* Up to 8 windows: aspect ratios up to about 7:1; beyond, PAD is used. */
#define NEURAL_MAX_WINDOWS 8

/* The framings, in the order of the methods' option "framing". */
typedef enum NeuralFraming {
    NEURAL_FRAMING_STRETCH = 0,
    NEURAL_FRAMING_CROP,
    NEURAL_FRAMING_PAD,
    NEURAL_FRAMING_WINDOWS,
    NEURAL_FRAMING_TRACK,
} NeuralFraming;

/* TRACK: a box in frame pixels (stored orientation), [x0, x1) x [y0, y1). */
typedef struct NeuralBox {
    double x0, y0, x1, y1;
} NeuralBox;

/* The tracked window for the people's box 'people' (the pixels the last
 * map calls person), in a frame of frame_w x frame_h, of the network
 * input's aspect tw:th:
 *   margin     a quarter of the box's longer side on every side, at least
 *              NEURAL_TRACK_MIN_MARGIN of the frame's short side;
 *   size       of the input's aspect, just enough for box and margin, at
 *              least NEURAL_TRACK_MIN_SIZE and at most all of the largest
 *              window that fits in the frame (as tall as a 16:9 frame);
 *   smoothing  with the last window 'previous' (NULL: none): its centre
 *              moves half way to the new one, it grows at once but shrinks
 *              by a quarter of the difference per frame; then it is
 *              shifted (or grown) just enough to hold the box with the
 *              minimum margin; but it stays put when it holds that and
 *              would move its centre and size by less than
 *              NEURAL_TRACK_DEAD_BAND of the frame's short side;
 *   clipping   shifted, never shrunk, into the frame.
 * Returns 1 with *window, or 0 when the box with the minimum margin does
 * not fit in the largest window (the caller runs the full pass). Pure. */
#define NEURAL_TRACK_MIN_MARGIN 0.03
#define NEURAL_TRACK_MIN_SIZE 0.4
#define NEURAL_TRACK_DEAD_BAND 0.02
int neural_track_window(const NeuralBox *people, const NeuralBox *previous, int frame_w, int frame_h, int tw, int th,
                        NeuralBox *window);

/* What a method tells the shared part about its network. */
typedef struct NeuralModel {
    const char *method;  /* prefix of log messages: "selfie" */
    const NnGraph *graph;
    int image_input;     /* index in graph->inputs */
    int map_output;      /* index in graph->outputs */
} NeuralModel;

typedef struct Neural {
    /* per context */
    const char *method;
    const NnGraph *graph;
    int image_input, map_output;
    NnEngine *engine;        /* built on the first frame */
    float *input;            /* the engine's image input (H x W x 3) */
    const float *output;     /* the engine's map output (H x W) */
    int tensor_w, tensor_h;  /* the network's input, upright */
    int recurrent;           /* the graph has state pairs */
    /* Rotation (clockwise quarter turns that show the stored frame
     * upright). All geometry below works in the stored frame's orientation,
     * where the tensor is stored_w x stored_h (swapped for odd turns); when
     * turned, the tensor is resampled into 'turned_input', turned upright
     * into the network's input, and the answer turned back into
     * 'turned_output'. */
    int quarter_turns;
    int stored_w, stored_h;
    float *turned_input, *turned_output;
    /* per shape */
    int width, height;
    int windows;                         /* tensors run per frame */
    /* One resampler: for WINDOWS it fills 'wide', the whole covered frame
     * at map resolution (map_w x map_h x 3), from which each window's
     * tensor is a block copy (window offsets are whole map pixels, so this
     * equals resampling each window on its own, at a third of the cost). */
    NnFrameToTensor to_tensor;
    float *wide;
    /* WINDOWS with more than one window: the blended map (map_w x map_h,
     * covering the frame), each window's offset in it along the long axis,
     * and its normalised blend weight per map column (or row). */
    int horizontal;                      /* windows spread along x */
    int offset[NEURAL_MAX_WINDOWS];
    float *weights;                      /* windows x long-axis length of the map */
    float *blended;
    int map_w, map_h;
    /* The network's input picture aligned with the last map: 'wide' or
     * the tensor; NULL when there is none. */
    const float *picture;
    /* TRACK (on the WINDOWS geometry, whose map it keeps): 'track_every' is
     * the method's runtime option, read each frame; the resampler moves
     * with the window (room for the largest), the map's columns and rows
     * hold their position in it. The state says when the next full pass
     * is due, and what it saw. */
    int track;
    int track_every;
    NnFrameToTensor track_tensor;
    double max_window_w, max_window_h;
    int *track_i0;                       /* per map column, then per row: left tap, -1 outside */
    float *track_f;                      /* and its weight of the right tap */
    float *track_full;                   /* the last full pass's map, while the window is tried */
    NeuralBox window;                    /* the tracked window; x1 == x0: none */
    int since_full;                      /* frames since the last full pass; -1: none yet */
    double full_mass;                    /* sum of the map of the last full pass */
    long long tracked_frames, full_passes; /* counts, per shape (tests, bench) */
    /* Skipping (not with TRACK, nor a recurrent graph): the method's
     * runtime options max_skip and skip_change, read each frame. An
     * inference is skipped, and the last map handed on again, while the
     * picture is nearly the one the network saw last ('seen') and the map
     * is at most max_skip frames old. */
    int max_skip;
    float skip_change;
    float *seen;
    size_t seen_capacity;
    int seen_valid, skipped;
    long long skipped_total;
    const float *last_map;               /* one window: the last map handed on */
} Neural;

/* Checks the network against the contract above. n must be zeroed. Logs
 * the reason of a failure. neural_close() is due even when this fails. */
int neural_open(Neural *n, const NeuralModel *m, const BackdropLogger *log);
void neural_close(Neural *n);

/* Per frame shape: builds the engine called engine on the first call,
 * takes the rotation from env, sets up framing, and describes the soft map
 * in *info. neural_uninit() is due even when this fails. */
int neural_init(Neural *n, const BdEnv *env, const BdShape *shape, NeuralFraming framing, const char *engine,
                BdMatteInfo *info);
void neural_uninit(Neural *n);

/* Runs the network on the frame; *soft receives the probability map (the
 * matte's soft map, as described by neural_init). Allocates nothing.
 * Returns 0 or the engine's error. */
int neural_segment(Neural *n, const BackdropFrame *in, const float **soft);
/* The picture the last neural_segment judged, aligned with its map, and
 * how it relates to the frame (BdMatte.picture): into m. */
void neural_picture(const Neural *n, BdMatte *m);

#endif
