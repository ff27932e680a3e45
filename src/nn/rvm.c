/*
 * Robust Video Matting: feeds for the specialiser, and the state pairs
 * (see rvm.h).
 */
#include "rvm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"
#include "format/tfjs_specialise.h"

int nn_rvm_internal_size(int width, int height, float ratio, int *w, int *h)
{
    if (width < 1 || height < 1 || !isfinite(ratio) || ratio <= 0.0f || ratio > 4.0f)
        return BACKDROP_EINVAL;
    if (ratio == 1.0f) {
        *w = width, *h = height;
        return 0;
    }
    /* float32 product, truncated toward zero: Cast(float(W) * r) */
    float fw = (float)width * ratio, fh = (float)height * ratio;
    if (fw < 1.0f || fh < 1.0f)
        return BACKDROP_EINVAL;
    *w = (int)fw, *h = (int)fh;
    return 0;
}

/* Replaces the outputs fgr and pha by the refiner's coefficients A and b:
 * the inputs of the two resizes to the frame's size, A the one whose
 * result is multiplied by the guide, b the one added. */
static int cut_before_refiner(NnGraph *g, int width, int height, char *err, size_t errlen)
{
    int A = -1, b = -1;
    for (int k = 0; k < g->num_ops; k++) {
        const NnOp *rs = &g->ops[k];
        if (rs->type != NN_OP_RESIZE_BILINEAR || rs->out_w != width || rs->out_h != height)
            continue;
        for (int j = k + 1; j < g->num_ops; j++) {
            const NnOp *use = &g->ops[j];
            int reads = use->num_inputs == 2 && (use->inputs[0] == rs->output || use->inputs[1] == rs->output);
            if (reads && use->type == NN_OP_MUL)
                A = rs->inputs[0];
            else if (reads && use->type == NN_OP_ADD)
                b = rs->inputs[0];
        }
    }
    if (A < 0 || b < 0 || g->tensors[A].rank != 4 || g->tensors[A].shape[3] != 4 ||
        memcmp(g->tensors[A].shape, g->tensors[b].shape, sizeof(g->tensors[A].shape))) {
        if (err && errlen)
            snprintf(err, errlen, "not a Robust Video Matting model: no fast guided filter before the outputs");
        return BACKDROP_EINVAL;
    }
    /* Drop fgr and pha, add the coefficients. */
    int n = 0;
    for (int k = 0; k < g->num_outputs; k++) {
        if (!strcmp(g->outputs[k].name, "fgr") || !strcmp(g->outputs[k].name, "pha")) {
            free(g->outputs[k].name);
            continue;
        }
        g->outputs[n++] = g->outputs[k];
    }
    /* State pairs name output ports by index: rebuilt by the caller. */
    g->num_outputs = n;
    int e = nn_graph_add_output(g, "fgf_A", A);
    if (!e)
        e = nn_graph_add_output(g, "fgf_b", b);
    if (!e)
        e = nn_graph_prune(g);
    return e;
}

int nn_rvm_build(NnGraph *g, const TfjsModel *m, int width, int height, float ratio, unsigned flags, char *err,
                 size_t errlen)
{
    int iw, ih;
    if (nn_rvm_internal_size(width, height, ratio, &iw, &ih)) {
        if (err && errlen)
            snprintf(err, errlen, "%dx%d at downsample ratio %g: the encoder would work below 1x1 or above 4x",
                     width, height, (double)ratio);
        memset(g, 0, sizeof(*g));
        return BACKDROP_EINVAL;
    }
    TfjsFeed feeds[2 + NN_RVM_STATES] = {
        { .name = "src", .rank = 4, .shape = { 1, height, width, 3 } },
        { .name = "downsample_ratio", .constant = 1, .value = ratio },
        { .name = "r1i", .rank = -1 },
        { .name = "r2i", .rank = -1 },
        { .name = "r3i", .rank = -1 },
        { .name = "r4i", .rank = -1 },
    };
    int e = tfjs_specialise(m, feeds, 2 + NN_RVM_STATES, g, err, errlen);
    if (e)
        return e;
    int coefficients = (flags & NN_RVM_COEFFICIENTS) && ratio != 1.0f;
    if (coefficients && (e = cut_before_refiner(g, width, height, err, errlen))) {
        nn_graph_free(g);
        return e;
    }
    /* Splits and concatenations folded into the convolutions: XNNPACK
     * lacks both, the engine would copy them in C between runtimes. */
    if ((e = nn_graph_fold_channel_moves(g))) {
        nn_graph_free(g);
        return e;
    }
    for (int k = 1; k <= NN_RVM_STATES && !e; k++) {
        char in[8], out[8];
        snprintf(in, sizeof(in), "r%di", k);
        snprintf(out, sizeof(out), "r%do", k);
        int i = nn_graph_find_input(g, in), o = nn_graph_find_output(g, out);
        if (i < 0 || o < 0) {
            if (err && errlen)
                snprintf(err, errlen, "not a Robust Video Matting model: no %s / %s", in, out);
            e = BACKDROP_EINVAL;
            break;
        }
        e = nn_graph_add_state(g, o, i);
    }
    if (!e && !coefficients && (nn_graph_find_output(g, "pha") < 0 || nn_graph_find_output(g, "fgr") < 0)) {
        if (err && errlen)
            snprintf(err, errlen, "not a Robust Video Matting model: no pha / fgr output");
        e = BACKDROP_EINVAL;
    }
    if (!e)
        e = nn_graph_validate(g, err, errlen);
    if (e)
        nn_graph_free(g);
    return e;
}

/* ---- the refiner's last step ------------------------------------------- */

/* TF ResizeBilinear, half-pixel centres: source coordinate
 * (d + 0.5) * in / out - 0.5 in float, taps floor() and floor() + 1, both
 * clamped into [0, in - 1], weight the fraction. */
static void taps(int d, int in, int out, int *i0, int *step, float *f)
{
    float scale = (float)in / (float)out;
    float s = ((float)d + 0.5f) * scale - 0.5f;
    float fl = floorf(s);
    int lo = (int)fl, hi = lo + 1;
    *f = s - fl;
    if (lo < 0)
        lo = 0;
    if (hi > in - 1)
        hi = in - 1;
    if (hi < lo)
        hi = lo;
    *i0 = lo;
    *step = hi - lo;
}

int nn_rvm_refiner_init(NnRvmRefiner *r, int width, int height, int coef_w, int coef_h)
{
    memset(r, 0, sizeof(*r));
    if (width < 1 || height < 1 || coef_w < 1 || coef_h < 1)
        return BACKDROP_EINVAL;
    r->width = width, r->height = height, r->coef_w = coef_w, r->coef_h = coef_h;
    r->x0 = malloc((size_t)width * sizeof(*r->x0));
    r->xstep = malloc((size_t)width);
    r->fx = malloc((size_t)width * sizeof(*r->fx));
    if (!r->x0 || !r->xstep || !r->fx) {
        nn_rvm_refiner_free(r);
        return BACKDROP_ENOMEM;
    }
    for (int x = 0; x < width; x++) {
        int step;
        taps(x, coef_w, width, &r->x0[x], &step, &r->fx[x]);
        r->xstep[x] = (unsigned char)step;
    }
    return 0;
}

void nn_rvm_refiner_free(NnRvmRefiner *r)
{
    free(r->x0);
    free(r->xstep);
    free(r->fx);
    memset(r, 0, sizeof(*r));
}

void nn_rvm_refiner_row(const NnRvmRefiner *r, int y, int *y0, int *ystep, float *fy)
{
    taps(y, r->coef_h, r->height, y0, ystep, fy);
}

/* Channel k of a coefficient tensor at frame pixel (x, row taps). */
static inline float sample(const NnRvmRefiner *r, int k, int x, const float *row0, const float *row1, float fy)
{
    int x0 = r->x0[x], x1 = x0 + r->xstep[x];
    float fx = r->fx[x];
    float top = row0[4 * x0 + k] + (row0[4 * x1 + k] - row0[4 * x0 + k]) * fx;
    float bottom = row1[4 * x0 + k] + (row1[4 * x1 + k] - row1[4 * x0 + k]) * fx;
    return top + (bottom - top) * fy;
}

/* The two coefficient rows (of A and of b) frame row y reads, and the
 * weight of the second. */
static void row_pointers(const NnRvmRefiner *r, const float *A, const float *b, int y, const float **a0,
                         const float **a1, const float **b0, const float **b1, float *fy)
{
    int y0, ystep;
    nn_rvm_refiner_row(r, y, &y0, &ystep, fy);
    size_t pitch = 4 * (size_t)r->coef_w;
    *a0 = A + y0 * pitch, *a1 = *a0 + ystep * pitch;
    *b0 = b + y0 * pitch, *b1 = *b0 + ystep * pitch;
}

static inline float clamp01(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

void nn_rvm_refine_alpha_row(const NnRvmRefiner *r, const float *A, const float *b, int y, const float *src,
                             uint8_t *alpha)
{
    const float *a0, *a1, *b0, *b1;
    float fy;
    row_pointers(r, A, b, y, &a0, &a1, &b0, &b1, &fy);
    for (int x = 0; x < r->width; x++) {
        const float *p = src + 3 * (size_t)x;
        float grey = (p[0] + p[1] + p[2]) * (1.0f / 3.0f);
        float pha = sample(r, 3, x, a0, a1, fy) * grey + sample(r, 3, x, b0, b1, fy);
        alpha[x] = (uint8_t)(clamp01(pha) * 255.0f + 0.5f);
    }
}

void nn_rvm_refine_fgr(const NnRvmRefiner *r, const float *A, const float *b, int x, int y, const float *rgb,
                       float *fgr)
{
    const float *a0, *a1, *b0, *b1;
    float fy;
    row_pointers(r, A, b, y, &a0, &a1, &b0, &b1, &fy);
    for (int c = 0; c < 3; c++)
        fgr[c] = clamp01(sample(r, c, x, a0, a1, fy) * rgb[c] + sample(r, c, x, b0, b1, fy) + rgb[c]);
}
