/*
 * What every neural segmentation method shares, so that a model family is
 * glue only: a method loads its model into an NnGraph, says which input
 * takes the picture and which output is the per-pixel probability (or
 * alpha), and this module does the rest:
 *
 *   engine     built by name from settings.nn_engine (engine.h), once per
 *              context; state pairs are the engine's business
 *   framing    how a frame of another aspect ratio meets the network's
 *              input: windows (default), pad, stretch, crop
 *   rotation   tensors turned upright for sideways video, answers back
 *   matte      probability map -> alpha at frame size (resample.c):
 *              bilinear, threshold with a soft ramp
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

#include "method.h"
#include "../nn/engine.h"
#include "../nn/resample.h"

/* Up to 8 windows: aspect ratios up to about 7:1; beyond, PAD is used. */
#define NEURAL_MAX_WINDOWS 8

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
    NnEngine *engine;
    float *input;            /* the engine's image input (H x W x 3) */
    const float *output;     /* the engine's map output (H x W) */
    int tensor_w, tensor_h;  /* the network's input, upright */
    int recurrent;           /* the graph has state pairs */
    float threshold, softness;
    BackdropFraming framing;
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
    NnTensorToAlpha to_alpha;
    /* CROP: the frame area the map covers; alpha 0 outside. */
    int crop_x0, crop_y0, crop_w, crop_h;
} Neural;

/* Checks the network against the contract above, builds the engine chosen
 * in s and reads the settings every neural method shares (threshold,
 * softness, framing, rotation, engine). n must be zeroed. Logs the reason
 * of a failure. neural_close() is due even when this fails. */
int neural_open(Neural *n, const NeuralModel *m, const BackdropSettings *s, pthreadpool_t pool,
                const BackdropLogger *log);
void neural_close(Neural *n);

/* Per frame shape (MethodConfig); neural_uninit() is due even when this
 * fails. */
int neural_init(Neural *n, const MethodConfig *cfg);
void neural_uninit(Neural *n);

/* Writes width x height alpha for the frame. Allocates nothing. Returns 0
 * or the engine's error. */
int neural_segment(Neural *n, const BackdropFrame *in, uint8_t *alpha, ptrdiff_t alpha_stride);

#endif
