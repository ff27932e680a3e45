/*
 * Robust Video Matting: feeds for the specialiser, and the state pairs
 * (see rvm.h).
 */
#include "rvm.h"

#include <math.h>
#include <stdio.h>
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

int nn_rvm_build(NnGraph *g, const TfjsModel *m, int width, int height, float ratio, char *err, size_t errlen)
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
    if (!e && (nn_graph_find_output(g, "pha") < 0 || nn_graph_find_output(g, "fgr") < 0)) {
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
