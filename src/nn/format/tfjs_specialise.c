/*
 * TF.js graph model -> static NnGraph for fixed shapes (see
 * tfjs_specialise.h for what is lowered to what).
 *
 * One pass over the nodes in topological order (TfjsModel.order) gives
 * every node output a Val: dead, constant, a tensor of the graph being
 * built, or one of two short-lived markers of the dilated-convolution
 * pattern. Ops are emitted eagerly; a rewrite (hard-swish, a fused Relu6,
 * a Pad folded into a convolution) emits a new op from the inputs of the
 * ones it replaces, and nn_graph_prune() drops whatever no output needs.
 * Constants are small (shapes, scalars) or borrowed from the model's
 * weights; nothing here runs per frame.
 */
#include "tfjs_specialise.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"

typedef enum ValKind {
    V_NONE = 0,  /* not computed (a node not visited yet, or a NoOp) */
    V_DEAD,      /* on an untaken branch */
    V_CONST,     /* known now */
    V_TENSOR,    /* a tensor of the graph */
    V_PENDING,   /* a run-time input whose shape its BroadcastTo gives */
    V_S2B,       /* SpaceToBatchND output, waiting for its depthwise convolution */
    V_S2B_CONV,  /* ... and its convolution, waiting for BatchToSpaceND */
} ValKind;

typedef struct Val {
    ValKind kind;
    /* V_CONST: FLOAT32 (f) or INT32 (i; TF bools as 0/1 with is_bool). */
    NnDType dtype;
    int is_bool;
    int rank;
    int32_t shape[NN_MAX_RANK];
    size_t count;
    float *f;
    int32_t *i;
    int owned; /* f / i allocated here (else borrowed from the model's weights) */
    /* V_TENSOR: the graph tensor and the op writing it (-1: a graph input). */
    int tensor;
    int op;
    /* V_PENDING: the feed. V_S2B / V_S2B_CONV: the source tensor, the block
     * and the zero padding [top, bottom, left, right]; the convolution node. */
    int feed;
    int block[2];
    int pads[4];
    int conv_node;
} Val;

typedef struct Spec {
    const TfjsModel *m;
    const TfjsFeed *feeds;
    int num_feeds;
    int *feed_tensor; /* per feed: its graph tensor (-1: constant or not yet shaped) */
    NnGraph *g;
    Val *vals;        /* node n's output k is vals[first[n] + k] */
    int *first;
    int *num_out;
    int node;         /* the node being lowered, for messages */
    char *err;
    size_t errlen;
} Spec;

/* ======================================================================
 * Errors
 * ====================================================================== */

/* The tail of a node name, short enough for a one-line message: RVM's
 * names carry a ~70-byte common prefix. */
static const char *short_name(const char *name)
{
    size_t n = strlen(name);
    return n > 60 ? name + n - 60 : name;
}

#ifdef __GNUC__
__attribute__((format(printf, 3, 4)))
#endif
static int fail(Spec *S, int code, const char *fmt, ...)
{
    if (S->err && S->errlen) {
        size_t used = 0;
        if (S->node >= 0) {
            const TfjsNode *n = &S->m->nodes[S->node];
            int k = snprintf(S->err, S->errlen, "node %s%s (%s): ", strlen(n->name) > 60 ? "..." : "",
                             short_name(n->name), n->op);
            used = k > 0 && (size_t)k < S->errlen ? (size_t)k : S->errlen - 1;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(S->err + used, S->errlen - used, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ======================================================================
 * Values
 * ====================================================================== */

static void val_free(Val *v)
{
    if (v->owned) {
        free(v->f);
        free(v->i);
    }
    memset(v, 0, sizeof(*v));
}

static int count_of(int rank, const int32_t *shape, size_t *count)
{
    size_t c = 1;
    for (int d = 0; d < rank; d++) {
        if (shape[d] < 0)
            return BACKDROP_EINVAL;
        if (shape[d] && c > NN_MAX_ELEMENTS / (size_t)shape[d])
            return BACKDROP_ENOTSUP;
        c *= (size_t)shape[d];
    }
    *count = c;
    return 0;
}

/* A new constant of this dtype and shape, zeroed, owned. */
static int const_new(Spec *S, Val *v, NnDType dtype, int rank, const int32_t *shape)
{
    memset(v, 0, sizeof(*v));
    size_t count;
    int e = count_of(rank, shape, &count);
    if (e)
        return fail(S, e, "constant of %s size", e == BACKDROP_EINVAL ? "negative" : "excessive");
    v->kind = V_CONST;
    v->dtype = dtype;
    v->rank = rank;
    if (rank > 0) /* a scalar's shape may be NULL, which memcpy must not get */
        memcpy(v->shape, shape, (size_t)rank * sizeof(*shape));
    v->count = count;
    v->owned = 1;
    if (dtype == NN_DTYPE_FLOAT32)
        v->f = calloc(count ? count : 1, sizeof(float));
    else
        v->i = calloc(count ? count : 1, sizeof(int32_t));
    return v->f || v->i ? 0 : BACKDROP_ENOMEM;
}

/* Element k of a constant as a double (int or float). */
static double const_at(const Val *v, size_t k)
{
    return v->dtype == NN_DTYPE_FLOAT32 ? (double)v->f[k] : (double)v->i[k];
}

/* The shape of a tensor or constant value. */
static const int32_t *val_shape(const Spec *S, const Val *v, int *rank)
{
    if (v->kind == V_TENSOR) {
        const NnTensor *t = &S->g->tensors[v->tensor];
        *rank = t->rank;
        return t->shape;
    }
    *rank = v->rank;
    return v->shape;
}

/* ======================================================================
 * Inputs and attributes of the node being lowered
 * ====================================================================== */

/* The k-th data input (control inputs skipped), or NULL. */
static Val *in_val(Spec *S, int k)
{
    const TfjsNode *n = &S->m->nodes[S->node];
    for (int j = 0; j < n->num_inputs; j++) {
        if (n->inputs[j].control)
            continue;
        if (k-- == 0)
            return &S->vals[S->first[n->inputs[j].node] + n->inputs[j].output];
    }
    return NULL;
}

static int num_data_inputs(const TfjsNode *n)
{
    int c = 0;
    for (int j = 0; j < n->num_inputs; j++)
        c += !n->inputs[j].control;
    return c;
}

static Val *out_val(Spec *S, int k)
{
    return &S->vals[S->first[S->node] + k];
}

static int want_inputs(Spec *S, int min, int max)
{
    int c = num_data_inputs(&S->m->nodes[S->node]);
    if (c < min || c > max)
        return min == max ? fail(S, BACKDROP_EINVAL, "%d inputs, expected %d", c, min)
                          : fail(S, BACKDROP_EINVAL, "%d inputs, expected %d to %d", c, min, max);
    return 0;
}

/* Input k must be a constant (of an integer dtype when ints is set). */
static int want_const(Spec *S, int k, int ints, const char *role, Val **out)
{
    Val *v = in_val(S, k);
    if (v->kind != V_CONST)
        return fail(S, BACKDROP_ENOTSUP, "the %s is computed at run time, not a constant", role);
    if (ints && v->dtype != NN_DTYPE_INT32)
        return fail(S, BACKDROP_EINVAL, "the %s is not an integer tensor", role);
    *out = v;
    return 0;
}

static int want_tensor(Spec *S, int k, int rank, const char *role, Val **out)
{
    Val *v = in_val(S, k);
    if (v->kind == V_PENDING)
        return fail(S, BACKDROP_EINVAL, "the %s is input '%s', whose shape is not known (give it one)", role,
                    S->feeds[v->feed].name);
    if (v->kind == V_S2B)
        return fail(S, BACKDROP_ENOTSUP,
                    "the %s is a SpaceToBatchND output, which only a plain VALID depthwise convolution may read", role);
    if (v->kind == V_S2B_CONV)
        return fail(S, BACKDROP_ENOTSUP,
                    "the %s is a SpaceToBatchND convolution, which only its BatchToSpaceND may read", role);
    if (v->kind != V_TENSOR)
        return fail(S, BACKDROP_ENOTSUP, "the %s is not a run-time tensor", role);
    if (rank && S->g->tensors[v->tensor].rank != rank)
        return fail(S, BACKDROP_ENOTSUP, "the %s has rank %d, expected %d", role, S->g->tensors[v->tensor].rank,
                    rank);
    *out = v;
    return 0;
}

static const TfjsAttr *attr(const Spec *S, const char *name)
{
    return tfjs_node_attr(&S->m->nodes[S->node], name);
}

static int64_t attr_int(const Spec *S, const char *name, int64_t def)
{
    const TfjsAttr *a = attr(S, name);
    return a && a->kind == TFJS_ATTR_INT ? a->i : def;
}

static int attr_bool(const Spec *S, const char *name, int def)
{
    const TfjsAttr *a = attr(S, name);
    return a && a->kind == TFJS_ATTR_BOOL ? a->b : def;
}

static const char *attr_string(const Spec *S, const char *name, const char *def)
{
    const TfjsAttr *a = attr(S, name);
    return a && a->kind == TFJS_ATTR_STRING ? a->s : def;
}

/* An NHWC [1, h, w, 1] list attribute (strides, dilations, ksize). */
static int attr_hw(Spec *S, const char *name, int def, int *h, int *w)
{
    const TfjsAttr *a = attr(S, name);
    if (!a || a->kind == TFJS_ATTR_LIST_EMPTY) {
        *h = *w = def;
        return 0;
    }
    if (a->kind != TFJS_ATTR_LIST_INT || a->count != 4 || a->ints[0] != 1 || a->ints[3] != 1 || a->ints[1] < 1 ||
        a->ints[2] < 1 || a->ints[1] > 4096 || a->ints[2] > 4096)
        return fail(S, BACKDROP_ENOTSUP, "attribute %s is not [1, h, w, 1] with 1 <= h, w <= 4096", name);
    *h = (int)a->ints[1];
    *w = (int)a->ints[2];
    return 0;
}

static int want_nhwc(Spec *S)
{
    const char *f = attr_string(S, "data_format", "NHWC");
    return strcmp(f, "NHWC") ? fail(S, BACKDROP_ENOTSUP, "data_format %s (only NHWC)", f) : 0;
}

static int attr_padding(Spec *S, NnPadding *p)
{
    const char *s = attr_string(S, "padding", "");
    if (!strcmp(s, "SAME"))
        *p = NN_PAD_SAME;
    else if (!strcmp(s, "VALID"))
        *p = NN_PAD_VALID;
    else
        return fail(S, BACKDROP_ENOTSUP, "padding '%s' (SAME or VALID only)", s);
    return 0;
}

/* ======================================================================
 * Emitting
 * ====================================================================== */

/* Output k of the node as a new tensor of the graph, written by op. */
static int emit(Spec *S, NnOp *op, int rank, const int32_t *shape, int k)
{
    size_t count;
    int e = count_of(rank, shape, &count);
    if (e)
        return fail(S, BACKDROP_ENOTSUP, "output of %s size", e == BACKDROP_EINVAL ? "negative" : "excessive");
    if (!count)
        return fail(S, BACKDROP_EINVAL, "empty output");
    const char *name = S->m->nodes[S->node].name;
    char buf[TFJS_MAX_NAME + 16];
    if (k)
        snprintf(buf, sizeof(buf), "%s:%d", name, k);
    int t = nn_graph_add_tensor(S->g, NN_DTYPE_FLOAT32, rank, shape, NULL, k ? buf : name);
    if (t < 0)
        return t;
    op->output = t;
    int index = nn_graph_add_op(S->g, op);
    if (index < 0)
        return index;
    Val *v = out_val(S, k);
    val_free(v);
    v->kind = V_TENSOR;
    v->tensor = t;
    v->op = index;
    return 0;
}

/* A float constant as a graph tensor (copied; the graph owns it). */
static int const_tensor(Spec *S, const Val *c, const char *suffix, int *t)
{
    if (c->dtype != NN_DTYPE_FLOAT32)
        return fail(S, BACKDROP_ENOTSUP, "an integer constant as a float operand");
    float *data = malloc((c->count ? c->count : 1) * sizeof(float));
    if (!data)
        return BACKDROP_ENOMEM;
    if (c->count)
        memcpy(data, c->f, c->count * sizeof(float));
    char name[TFJS_MAX_NAME + 16];
    snprintf(name, sizeof(name), "%s/%s", S->m->nodes[S->node].name, suffix);
    int r = nn_graph_add_tensor(S->g, NN_DTYPE_FLOAT32, c->rank, c->shape, data, name);
    if (r < 0)
        return r;
    *t = r;
    return 0;
}

/* A tensor of n floats made here (taken over by the graph). */
static int new_const_tensor(Spec *S, float *data, int rank, const int32_t *shape, const char *suffix, int *t)
{
    char name[TFJS_MAX_NAME + 16];
    snprintf(name, sizeof(name), "%s/%s", S->m->nodes[S->node].name, suffix);
    int r = nn_graph_add_tensor(S->g, NN_DTYPE_FLOAT32, rank, shape, data, name);
    if (r < 0)
        return r;
    *t = r;
    return 0;
}

static int scalar_tensor(Spec *S, float value, const char *suffix, int *t)
{
    float *data = malloc(sizeof(float));
    if (!data)
        return BACKDROP_ENOMEM;
    *data = value;
    return new_const_tensor(S, data, 0, NULL, suffix, t);
}

static void alias(Spec *S, int k, const Val *src)
{
    Val *v = out_val(S, k);
    val_free(v);
    *v = *src;
    v->owned = 0; /* the source keeps its data */
}

/* ======================================================================
 * Constant folding
 * ====================================================================== */

/* numpy broadcasting of two shapes (rank <= 4). */
static int broadcast(int ra, const int32_t *a, int rb, const int32_t *b, int *r, int32_t *out)
{
    *r = ra > rb ? ra : rb;
    for (int d = 0; d < *r; d++) {
        int da = d - (*r - ra), db = d - (*r - rb);
        int32_t x = da >= 0 ? a[da] : 1, y = db >= 0 ? b[db] : 1;
        if (x != y && x != 1 && y != 1)
            return BACKDROP_EINVAL;
        out[d] = x == 1 ? y : x;
    }
    return 0;
}

/* Flat index into an operand of shape (r, s) for output coordinates c of
 * rank ro (broadcast dimensions read index 0). */
static size_t broadcast_index(int ro, const int32_t *c, int r, const int32_t *s)
{
    size_t k = 0;
    for (int d = 0; d < r; d++) {
        int dc = d + ro - r;
        k = k * (size_t)s[d] + (size_t)(s[d] == 1 ? 0 : c[dc]);
    }
    return k;
}

static int is_binary_tf(const char *op)
{
    return !strcmp(op, "Add") || !strcmp(op, "AddV2") || !strcmp(op, "Sub") || !strcmp(op, "Mul") ||
           !strcmp(op, "RealDiv") || !strcmp(op, "Maximum") || !strcmp(op, "Minimum") ||
           !strcmp(op, "FloorMod") || !strcmp(op, "Equal");
}

static int fold_binary(Spec *S, const char *op, const Val *a, const Val *b)
{
    int r;
    int32_t shape[NN_MAX_RANK];
    if (broadcast(a->rank, a->shape, b->rank, b->shape, &r, shape))
        return fail(S, BACKDROP_EINVAL, "operand shapes do not broadcast");
    int ints = a->dtype == NN_DTYPE_INT32 && b->dtype == NN_DTYPE_INT32;
    int equal = !strcmp(op, "Equal");
    Val out;
    int e = const_new(S, &out, ints || equal ? NN_DTYPE_INT32 : NN_DTYPE_FLOAT32, r, shape);
    if (e)
        return e;
    out.is_bool = equal;
    int32_t c[NN_MAX_RANK] = { 0 };
    for (size_t k = 0; k < out.count; k++) {
        double x = const_at(a, broadcast_index(r, c, a->rank, a->shape));
        double y = const_at(b, broadcast_index(r, c, b->rank, b->shape));
        double z;
        if (equal) {
            z = a->dtype == NN_DTYPE_FLOAT32 || b->dtype == NN_DTYPE_FLOAT32 ? (float)x == (float)y : x == y;
        } else if (!strcmp(op, "Add") || !strcmp(op, "AddV2")) {
            z = x + y;
        } else if (!strcmp(op, "Sub")) {
            z = x - y;
        } else if (!strcmp(op, "Mul")) {
            z = x * y;
        } else if (!strcmp(op, "Maximum")) {
            z = x > y ? x : y;
        } else if (!strcmp(op, "Minimum")) {
            z = x < y ? x : y;
        } else if (!strcmp(op, "RealDiv")) {
            if (ints) {
                val_free(&out);
                return fail(S, BACKDROP_ENOTSUP, "integer RealDiv");
            }
            z = x / y;
        } else { /* FloorMod */
            if (ints && y == 0) {
                val_free(&out);
                return fail(S, BACKDROP_EINVAL, "integer modulo by zero");
            }
            z = x - floor(x / y) * y;
        }
        if (out.dtype == NN_DTYPE_INT32) {
            if (!(z >= -2147483648.0 && z <= 2147483647.0)) {
                val_free(&out);
                return fail(S, BACKDROP_EINVAL, "integer overflow");
            }
            out.i[k] = (int32_t)z;
        } else {
            /* Float operands: compute as TF does, in float32. */
            float fx = (float)x, fy = (float)y, fz;
            if (!strcmp(op, "Add") || !strcmp(op, "AddV2"))
                fz = fx + fy;
            else if (!strcmp(op, "Sub"))
                fz = fx - fy;
            else if (!strcmp(op, "Mul"))
                fz = fx * fy;
            else if (!strcmp(op, "RealDiv"))
                fz = fx / fy;
            else
                fz = (float)z;
            out.f[k] = fz;
        }
        for (int d = r - 1; d >= 0; d--) {
            if (++c[d] < shape[d])
                break;
            c[d] = 0;
        }
    }
    Val *v = out_val(S, 0);
    val_free(v);
    *v = out;
    return 0;
}

/* A rank-1 StridedSlice of a rank-1 constant (shape arithmetic). */
static int fold_strided_slice(Spec *S, const Val *x)
{
    Val *b, *e, *st;
    int err;
    if ((err = want_const(S, 1, 1, "begin", &b)) || (err = want_const(S, 2, 1, "end", &e)) ||
        (err = want_const(S, 3, 1, "strides", &st)))
        return err;
    if (x->rank != 1 || b->count != 1 || e->count != 1 || st->count != 1)
        return fail(S, BACKDROP_ENOTSUP, "only a one-axis slice of a vector is folded");
    if (attr_int(S, "ellipsis_mask", 0) || attr_int(S, "new_axis_mask", 0))
        return fail(S, BACKDROP_ENOTSUP, "ellipsis_mask or new_axis_mask");
    int64_t n = x->shape[0], stride = st->i[0];
    int shrink = attr_int(S, "shrink_axis_mask", 0) & 1;
    if (stride == 0)
        return fail(S, BACKDROP_EINVAL, "stride 0");
    int64_t lo = b->i[0], hi = e->i[0];
    if (shrink) {
        if (lo < 0)
            lo += n;
        if (lo < 0 || lo >= n)
            return fail(S, BACKDROP_EINVAL, "index %ld out of a vector of %ld", (long)b->i[0], (long)n);
        Val out;
        if ((err = const_new(S, &out, x->dtype, 0, NULL)))
            return err;
        out.is_bool = x->is_bool;
        if (x->dtype == NN_DTYPE_FLOAT32)
            out.f[0] = x->f[lo];
        else
            out.i[0] = x->i[lo];
        Val *v = out_val(S, 0);
        val_free(v);
        *v = out;
        return 0;
    }
    /* Python slicing: negative indices count from the end, then clamp. */
    if (attr_int(S, "begin_mask", 0) & 1)
        lo = stride > 0 ? 0 : n - 1;
    else {
        lo = lo < 0 ? lo + n : lo;
        lo = stride > 0 ? (lo < 0 ? 0 : lo > n ? n : lo) : (lo < -1 ? -1 : lo > n - 1 ? n - 1 : lo);
    }
    if (attr_int(S, "end_mask", 0) & 1)
        hi = stride > 0 ? n : -1;
    else {
        hi = hi < 0 ? hi + n : hi;
        hi = stride > 0 ? (hi < 0 ? 0 : hi > n ? n : hi) : (hi < -1 ? -1 : hi > n - 1 ? n - 1 : hi);
    }
    int32_t len = 0;
    for (int64_t k = lo; stride > 0 ? k < hi : k > hi; k += stride)
        len++;
    Val out;
    if ((err = const_new(S, &out, x->dtype, 1, &len)))
        return err;
    out.is_bool = x->is_bool;
    int32_t j = 0;
    for (int64_t k = lo; stride > 0 ? k < hi : k > hi; k += stride, j++) {
        if (x->dtype == NN_DTYPE_FLOAT32)
            out.f[j] = x->f[k];
        else
            out.i[j] = x->i[k];
    }
    Val *v = out_val(S, 0);
    val_free(v);
    *v = out;
    return 0;
}

/* Pack of scalars or equal-shaped constants along axis 0. */
static int fold_pack(Spec *S, int n)
{
    if (attr_int(S, "axis", 0) != 0)
        return fail(S, BACKDROP_ENOTSUP, "Pack along an axis other than 0");
    const Val *a = in_val(S, 0);
    if (a->rank >= NN_MAX_RANK)
        return fail(S, BACKDROP_ENOTSUP, "Pack of rank-%d constants", a->rank);
    int32_t shape[NN_MAX_RANK];
    shape[0] = n;
    memcpy(shape + 1, a->shape, (size_t)a->rank * sizeof(int32_t));
    int ints = 1;
    for (int k = 0; k < n; k++) {
        const Val *v = in_val(S, k);
        if (v->rank != a->rank || memcmp(v->shape, a->shape, (size_t)a->rank * sizeof(int32_t)))
            return fail(S, BACKDROP_EINVAL, "Pack of constants of different shapes");
        ints &= v->dtype == NN_DTYPE_INT32;
    }
    Val out;
    int e = const_new(S, &out, ints ? NN_DTYPE_INT32 : NN_DTYPE_FLOAT32, a->rank + 1, shape);
    if (e)
        return e;
    for (int k = 0; k < n; k++) {
        const Val *v = in_val(S, k);
        for (size_t j = 0; j < a->count; j++) {
            if (ints)
                out.i[(size_t)k * a->count + j] = v->i[j];
            else
                out.f[(size_t)k * a->count + j] = (float)const_at(v, j);
        }
    }
    Val *v = out_val(S, 0);
    val_free(v);
    *v = out;
    return 0;
}

static int fold_cast(Spec *S, const Val *x)
{
    const TfjsAttr *dst = attr(S, "DstT");
    if (!dst || dst->kind != TFJS_ATTR_TYPE)
        return fail(S, BACKDROP_EINVAL, "no DstT");
    NnDType to;
    if (dst->type == TFJS_DT_FLOAT)
        to = NN_DTYPE_FLOAT32;
    else if (dst->type == TFJS_DT_INT32)
        to = NN_DTYPE_INT32;
    else
        return fail(S, BACKDROP_ENOTSUP, "cast to type %d", dst->type);
    Val out;
    int e = const_new(S, &out, to, x->rank, x->shape);
    if (e)
        return e;
    for (size_t k = 0; k < x->count; k++) {
        double v = const_at(x, k);
        if (to == NN_DTYPE_FLOAT32) {
            out.f[k] = (float)v;
        } else {
            /* float -> int truncates toward zero, as TF's Cast. */
            if (!(v > -2147483649.0 && v < 2147483648.0)) {
                val_free(&out);
                return fail(S, BACKDROP_EINVAL, "cast of %g to int32 overflows", v);
            }
            out.i[k] = (int32_t)v;
        }
    }
    Val *v = out_val(S, 0);
    val_free(v);
    *v = out;
    return 0;
}

static int fold_squeeze(Spec *S, const Val *x)
{
    const TfjsAttr *a = attr(S, "squeeze_dims");
    int drop[NN_MAX_RANK] = { 0 };
    if (a && a->kind == TFJS_ATTR_LIST_INT) {
        for (int k = 0; k < a->count; k++) {
            int64_t d = a->ints[k] < 0 ? a->ints[k] + x->rank : a->ints[k];
            if (d < 0 || d >= x->rank || x->shape[d] != 1)
                return fail(S, BACKDROP_EINVAL, "squeeze of dimension %ld", (long)a->ints[k]);
            drop[d] = 1;
        }
    } else {
        for (int d = 0; d < x->rank; d++)
            drop[d] = x->shape[d] == 1;
    }
    Val *v = out_val(S, 0);
    alias(S, 0, x);
    int r = 0;
    for (int d = 0; d < x->rank; d++)
        if (!drop[d])
            v->shape[r++] = x->shape[d];
    v->rank = r;
    return 0;
}

static int fold_shape(Spec *S, const Val *x)
{
    int rank;
    const int32_t *shape = val_shape(S, x, &rank);
    int32_t n = rank;
    Val out;
    int e = const_new(S, &out, NN_DTYPE_INT32, 1, &n);
    if (e)
        return e;
    memcpy(out.i, shape, (size_t)rank * sizeof(int32_t));
    Val *v = out_val(S, 0);
    val_free(v);
    *v = out;
    return 0;
}

/* ======================================================================
 * Operators
 * ====================================================================== */

/* Relu6 can be fused into the op writing x when that op takes an
 * activation and has none yet. */
static int can_take_activation(const NnOp *op)
{
    switch (op->type) {
    case NN_OP_CONV_2D:
    case NN_OP_DEPTHWISE_CONV_2D:
    case NN_OP_AVERAGE_POOL_2D:
    case NN_OP_ADD:
    case NN_OP_MUL:
    case NN_OP_SUB:
    case NN_OP_DIV:
        return op->activation == NN_ACT_NONE;
    default:
        return 0;
    }
}

static int op_relu6(Spec *S)
{
    Val *x = NULL;
    int e = want_tensor(S, 0, 0, "input", &x);
    if (e)
        return e;
    const NnTensor *t = &S->g->tensors[x->tensor];
    int32_t shape[NN_MAX_RANK];
    memcpy(shape, t->shape, sizeof(shape));
    if (x->op >= 0 && can_take_activation(&S->g->ops[x->op])) {
        NnOp op = S->g->ops[x->op]; /* a copy; the original goes if nothing else reads it */
        op.activation = NN_ACT_RELU6;
        return emit(S, &op, t->rank, shape, 0);
    }
    /* min(max(x, 0), 6) as two ops. */
    int zero, six;
    if ((e = scalar_tensor(S, 0.0f, "zero", &zero)) || (e = scalar_tensor(S, 6.0f, "six", &six)))
        return e;
    NnOp lo = { .type = NN_OP_MAXIMUM, .num_inputs = 2, .inputs = { x->tensor, zero } };
    if ((e = emit(S, &lo, t->rank, shape, 0)))
        return e;
    NnOp hi = { .type = NN_OP_MINIMUM, .num_inputs = 2, .inputs = { out_val(S, 0)->tensor, six } };
    return emit(S, &hi, t->rank, shape, 0);
}

static int op_unary(Spec *S, NnOpType type)
{
    Val *x = NULL;
    int e = want_tensor(S, 0, 0, "input", &x);
    if (e)
        return e;
    const NnTensor *t = &S->g->tensors[x->tensor];
    int32_t shape[NN_MAX_RANK];
    memcpy(shape, t->shape, sizeof(shape));
    NnOp op = { .type = type, .num_inputs = 1, .inputs = { x->tensor } };
    return emit(S, &op, t->rank, shape, 0);
}

/* The scalar constant operand of a binary op of the graph, if any. */
static int scalar_operand(const NnGraph *g, const NnOp *op, float *value, int *other)
{
    for (int k = 0; k < 2; k++) {
        const NnTensor *t = &g->tensors[op->inputs[k]];
        if (t->data && t->count == 1) {
            *value = ((const float *)t->data)[0];
            *other = op->inputs[1 - k];
            return 1;
        }
    }
    return 0;
}

/* a * b where a = x * (1/6) and b = relu6(x + 3): MobileNetV3's
 * hard-swish; x is returned. */
static int is_hard_swish(const NnGraph *g, const Val *a, const Val *b, int *x)
{
    if (a->op < 0 || b->op < 0)
        return 0;
    const NnOp *mul = &g->ops[a->op], *add = &g->ops[b->op];
    float k6, k3;
    int x1, x2;
    return mul->type == NN_OP_MUL && mul->activation == NN_ACT_NONE && scalar_operand(g, mul, &k6, &x1) &&
           fabsf(k6 - 1.0f / 6.0f) < 1e-6f && add->type == NN_OP_ADD && add->activation == NN_ACT_RELU6 &&
           scalar_operand(g, add, &k3, &x2) && k3 == 3.0f && x1 == x2 && !g->tensors[x1].data && (*x = x1, 1);
}

static int op_binary(Spec *S, const char *tf)
{
    int e = want_inputs(S, 2, 2);
    if (e)
        return e;
    Val *a = in_val(S, 0), *b = in_val(S, 1);
    if (a->kind == V_CONST && b->kind == V_CONST)
        return fold_binary(S, tf, a, b);
    for (int k = 0; k < 2; k++) {
        Val *v = k ? b : a;
        if (v->kind != V_CONST && v->kind != V_TENSOR)
            return want_tensor(S, k, 0, "operand", &v);
    }
    NnOpType type;
    int commutes = 1;
    if (!strcmp(tf, "Add") || !strcmp(tf, "AddV2"))
        type = NN_OP_ADD;
    else if (!strcmp(tf, "Mul"))
        type = NN_OP_MUL;
    else if (!strcmp(tf, "Maximum"))
        type = NN_OP_MAXIMUM;
    else if (!strcmp(tf, "Minimum"))
        type = NN_OP_MINIMUM;
    else if (!strcmp(tf, "Sub"))
        type = NN_OP_SUB, commutes = 0;
    else if (!strcmp(tf, "RealDiv"))
        type = NN_OP_DIV, commutes = 0;
    else
        return fail(S, BACKDROP_ENOTSUP, "%s of run-time tensors", tf);
    int ra, rb, r;
    const int32_t *sa = val_shape(S, a, &ra), *sb = val_shape(S, b, &rb);
    int32_t shape[NN_MAX_RANK];
    if (ra > NN_MAX_RANK || rb > NN_MAX_RANK || broadcast(ra, sa, rb, sb, &r, shape))
        return fail(S, BACKDROP_EINVAL, "operand shapes do not broadcast");
    int x;
    if (type == NN_OP_MUL && a->kind == V_TENSOR && b->kind == V_TENSOR &&
        (is_hard_swish(S->g, a, b, &x) || is_hard_swish(S->g, b, a, &x))) {
        NnOp op = { .type = NN_OP_HARD_SWISH, .num_inputs = 1, .inputs = { x } };
        return emit(S, &op, r, shape, 0);
    }
    int ta, tb;
    if (a->kind == V_CONST) {
        if ((e = const_tensor(S, a, "a", &ta)))
            return e;
    } else {
        ta = a->tensor;
    }
    if (b->kind == V_CONST) {
        if ((e = const_tensor(S, b, "b", &tb)))
            return e;
    } else {
        tb = b->tensor;
    }
    /* Constants second where the order does not matter: engines may
     * prefer it (XNNPACK's static operand). */
    if (commutes && a->kind == V_CONST) {
        int t = ta;
        ta = tb;
        tb = t;
    }
    NnOp op = { .type = type, .num_inputs = 2, .inputs = { ta, tb } };
    return emit(S, &op, r, shape, 0);
}

/* Window output size along one axis (TF: SAME = ceil(in / s), VALID =
 * (in - eff_k) / s + 1); 0 when the window does not fit. */
static int64_t window_out(NnPadding p, int64_t in, int64_t eff_k, int64_t s)
{
    if (p == NN_PAD_SAME)
        return (in + s - 1) / s;
    return in >= eff_k ? (in - eff_k) / s + 1 : 0;
}

/* The filter of a convolution from TF's HWIO [kh, kw, cin, cout] to the
 * IR's OHWI, or a depthwise HWCM kept as [1, kh, kw, C*M], for an input
 * of in_c channels (cin or C; a depthwise filter of another C would be
 * read as another depth multiplier). */
static int conv_filter(Spec *S, const Val *w, int depthwise, int32_t in_c, int *t)
{
    if (w->dtype != NN_DTYPE_FLOAT32 || w->rank != 4)
        return fail(S, BACKDROP_EINVAL, "the filter is not a float tensor of rank 4");
    int32_t kh = w->shape[0], kw = w->shape[1], ci = w->shape[2], co = w->shape[3];
    if (ci != in_c)
        return fail(S, BACKDROP_EINVAL, "a filter of %d input channels for an input of %d", ci, in_c);
    float *data = malloc((w->count ? w->count : 1) * sizeof(float));
    if (!data)
        return BACKDROP_ENOMEM;
    int32_t shape[4];
    if (depthwise) {
        memcpy(data, w->f, w->count * sizeof(float));
        shape[0] = 1, shape[1] = kh, shape[2] = kw, shape[3] = ci * co;
    } else {
        for (int32_t y = 0; y < kh; y++)
            for (int32_t x = 0; x < kw; x++)
                for (int32_t i = 0; i < ci; i++)
                    for (int32_t o = 0; o < co; o++)
                        data[(((size_t)o * kh + y) * kw + x) * ci + i] = w->f[(((size_t)y * kw + x) * ci + i) * co + o];
        shape[0] = co, shape[1] = kh, shape[2] = kw, shape[3] = ci;
    }
    return new_const_tensor(S, data, 4, shape, "filter", t);
}

/* Emits a convolution of source tensor src with explicit zero padding
 * pads[4] (top, bottom, left, right) or TF padding p, folding a PAD op
 * that wrote src into the convolution's own padding. */
static int emit_conv(Spec *S, NnOpType type, int src, NnPadding p, const int pads_in[4], int stride_h,
                     int stride_w, int dil_h, int dil_w, int filter, int bias, NnActivation act)
{
    const NnGraph *g = S->g;
    int pads[4] = { 0, 0, 0, 0 };
    if (pads_in)
        memcpy(pads, pads_in, sizeof(pads));
    int32_t kh = g->tensors[filter].shape[1], kw = g->tensors[filter].shape[2];
    int64_t eff_h = (int64_t)(kh - 1) * dil_h + 1, eff_w = (int64_t)(kw - 1) * dil_w + 1;
    /* A PAD right before a VALID window is the window's padding, as far
     * as the window reaches (explicit pads are at most eff - 1 a side). */
    if (p == NN_PAD_VALID) {
        for (int k = 0; k < g->num_ops; k++) {
            const NnOp *pad = &g->ops[k];
            if (pad->type == NN_OP_PAD && pad->output == src) {
                if (pads[0] + pad->pad_top < eff_h && pads[1] + pad->pad_bottom < eff_h &&
                    pads[2] + pad->pad_left < eff_w && pads[3] + pad->pad_right < eff_w) {
                    pads[0] += pad->pad_top, pads[1] += pad->pad_bottom;
                    pads[2] += pad->pad_left, pads[3] += pad->pad_right;
                    src = pad->inputs[0];
                }
                break;
            }
        }
    }
    if (pads[0] >= eff_h || pads[1] >= eff_h || pads[2] >= eff_w || pads[3] >= eff_w) {
        /* Beyond the window's reach: a PAD of its own, then VALID. */
        const NnTensor *t = &g->tensors[src];
        int32_t shape[4] = { t->shape[0], t->shape[1] + pads[0] + pads[1], t->shape[2] + pads[2] + pads[3],
                             t->shape[3] };
        NnOp pad = { .type = NN_OP_PAD, .num_inputs = 1, .inputs = { src }, .pad_top = pads[0],
                     .pad_bottom = pads[1], .pad_left = pads[2], .pad_right = pads[3] };
        int e = emit(S, &pad, 4, shape, 0);
        if (e)
            return e;
        src = out_val(S, 0)->tensor;
        memset(pads, 0, sizeof(pads));
    }
    const NnTensor *in = &g->tensors[src], *w = &g->tensors[filter];
    int explicit_pads = pads[0] || pads[1] || pads[2] || pads[3];
    int64_t oh = explicit_pads ? window_out(NN_PAD_VALID, (int64_t)in->shape[1] + pads[0] + pads[1], eff_h, stride_h)
                               : window_out(p, in->shape[1], eff_h, stride_h);
    int64_t ow = explicit_pads ? window_out(NN_PAD_VALID, (int64_t)in->shape[2] + pads[2] + pads[3], eff_w, stride_w)
                               : window_out(p, in->shape[2], eff_w, stride_w);
    if (oh < 1 || ow < 1 || oh > INT32_MAX || ow > INT32_MAX)
        return fail(S, BACKDROP_EINVAL, "the window does not fit the input");
    int32_t co = type == NN_OP_CONV_2D ? w->shape[0] : w->shape[3];
    if (type == NN_OP_CONV_2D ? w->shape[3] != in->shape[3] : co % in->shape[3] != 0)
        return fail(S, BACKDROP_EINVAL, "a filter of %d input channels for an input of %d",
                    type == NN_OP_CONV_2D ? w->shape[3] : co, in->shape[3]);
    NnOp op = {
        .type = type, .num_inputs = bias >= 0 ? 3 : 2, .inputs = { src, filter, bias },
        .padding = explicit_pads ? NN_PAD_EXPLICIT : p,
        .stride_h = stride_h, .stride_w = stride_w, .filter_h = kh, .filter_w = kw,
        .dilation_h = dil_h, .dilation_w = dil_w, .activation = act,
        .pad_top = pads[0], .pad_bottom = pads[1], .pad_left = pads[2], .pad_right = pads[3],
    };
    if (type == NN_OP_DEPTHWISE_CONV_2D)
        op.depth_multiplier = co / in->shape[3];
    int32_t shape[4] = { in->shape[0], (int32_t)oh, (int32_t)ow, co };
    return emit(S, &op, 4, shape, 0);
}

/* _FusedConv2D, Conv2D, FusedDepthwiseConv2dNative, DepthwiseConv2dNative. */
static int op_conv(Spec *S, int depthwise, int fused)
{
    int e = want_inputs(S, fused ? 3 : 2, fused ? 3 : 2);
    if (e)
        return e;
    if ((e = want_nhwc(S)))
        return e;
    NnActivation act = NN_ACT_NONE;
    if (fused) {
        const TfjsAttr *f = attr(S, "fused_ops");
        if (!f || f->kind != TFJS_ATTR_LIST_STRING || f->count < 1 || f->count > 2 || strcmp(f->strings[0], "BiasAdd"))
            return fail(S, BACKDROP_ENOTSUP, "fused_ops other than [BiasAdd] or [BiasAdd, Relu/Relu6]");
        if (f->count == 2) {
            if (!strcmp(f->strings[1], "Relu"))
                act = NN_ACT_RELU;
            else if (!strcmp(f->strings[1], "Relu6"))
                act = NN_ACT_RELU6;
            else
                return fail(S, BACKDROP_ENOTSUP, "fused op %s", f->strings[1]);
        }
        if (attr_int(S, "num_args", 1) != 1)
            return fail(S, BACKDROP_ENOTSUP, "num_args %ld", (long)attr_int(S, "num_args", 1));
    }
    NnPadding p = NN_PAD_VALID;
    int sh, sw, dh, dw;
    if ((e = attr_padding(S, &p)) || (e = attr_hw(S, "strides", 1, &sh, &sw)) ||
        (e = attr_hw(S, "dilations", 1, &dh, &dw)))
        return e;
    Val *w = NULL, *bias = NULL;
    if ((e = want_const(S, 1, 0, "filter", &w)) || (fused && (e = want_const(S, 2, 0, "bias", &bias))))
        return e;
    Val *x = in_val(S, 0);
    if (x->kind == V_S2B) {
        /* The middle of a dilated convolution: wait for BatchToSpaceND. */
        if (!depthwise || fused || p != NN_PAD_VALID || sh != 1 || sw != 1 || dh != 1 || dw != 1)
            return fail(S, BACKDROP_ENOTSUP, "SpaceToBatchND before anything but a plain VALID depthwise convolution");
        Val *v = out_val(S, 0);
        alias(S, 0, x);
        v->kind = V_S2B_CONV;
        v->conv_node = S->node;
        return 0;
    }
    if ((e = want_tensor(S, 0, 4, "input", &x)))
        return e;
    int filter, bias_t = -1;
    if ((e = conv_filter(S, w, depthwise, S->g->tensors[x->tensor].shape[3], &filter)))
        return e;
    if (bias) {
        if (bias->rank != 1 || bias->dtype != NN_DTYPE_FLOAT32)
            return fail(S, BACKDROP_EINVAL, "the bias is not a float vector");
        int64_t channels = depthwise ? (int64_t)w->shape[2] * w->shape[3] : w->shape[3];
        if ((int64_t)bias->count != channels)
            return fail(S, BACKDROP_EINVAL, "a bias of %zu for %lld output channels", bias->count, (long long)channels);
        if ((e = const_tensor(S, bias, "bias", &bias_t)))
            return e;
    }
    return emit_conv(S, depthwise ? NN_OP_DEPTHWISE_CONV_2D : NN_OP_CONV_2D, x->tensor, p, NULL, sh, sw, dh, dw,
                     filter, bias_t, act);
}

static int op_space_to_batch(Spec *S)
{
    Val *x, *block, *pads;
    int e;
    if ((e = want_inputs(S, 3, 3)) || (e = want_tensor(S, 0, 4, "input", &x)) ||
        (e = want_const(S, 1, 1, "block shape", &block)) || (e = want_const(S, 2, 1, "paddings", &pads)))
        return e;
    if (block->count != 2 || pads->count != 4 || block->i[0] < 1 || block->i[1] < 1 || block->i[0] > 64 ||
        block->i[1] > 64)
        return fail(S, BACKDROP_ENOTSUP, "only a 2-D block of 1..64 and [2, 2] paddings");
    const NnTensor *t = &S->g->tensors[x->tensor];
    for (int k = 0; k < 4; k++)
        if (pads->i[k] < 0 || pads->i[k] > 64)
            return fail(S, BACKDROP_ENOTSUP, "padding %d", pads->i[k]);
    if ((t->shape[1] + pads->i[0] + pads->i[1]) % block->i[0] || (t->shape[2] + pads->i[2] + pads->i[3]) % block->i[1])
        return fail(S, BACKDROP_EINVAL, "the padded size is not a multiple of the block");
    int tensor = x->tensor, op = x->op;
    Val *v = out_val(S, 0);
    val_free(v);
    v->kind = V_S2B;
    v->tensor = tensor;
    v->op = op;
    v->block[0] = block->i[0], v->block[1] = block->i[1];
    memcpy(v->pads, pads->i, 4 * sizeof(int));
    return 0;
}

static int op_batch_to_space(Spec *S)
{
    int e = want_inputs(S, 3, 3);
    if (e)
        return e;
    Val *x = in_val(S, 0), *block, *crops;
    if (x->kind != V_S2B_CONV)
        return fail(S, BACKDROP_ENOTSUP, "BatchToSpaceND not closing a SpaceToBatchND convolution");
    if ((e = want_const(S, 1, 1, "block shape", &block)) || (e = want_const(S, 2, 1, "crops", &crops)))
        return e;
    if (block->count != 2 || crops->count != 4 || block->i[0] != x->block[0] || block->i[1] != x->block[1])
        return fail(S, BACKDROP_ENOTSUP, "block shape differs from its SpaceToBatchND's");
    for (int k = 0; k < 4; k++)
        if (crops->i[k] < 0 || crops->i[k] > 64)
            return fail(S, BACKDROP_ENOTSUP, "crop %d", crops->i[k]);
    /* On the padded input, the batched VALID convolution equals a VALID
     * convolution dilated by the block; crops at the end remove what the
     * extra padding at the end added, crops at the start are not lowered. */
    int pads[4] = { x->pads[0], x->pads[1] - crops->i[1], x->pads[2], x->pads[3] - crops->i[3] };
    if (crops->i[0] || crops->i[2] || pads[1] < 0 || pads[3] < 0)
        return fail(S, BACKDROP_ENOTSUP, "crops [%d %d %d %d] after paddings [%d %d %d %d]", crops->i[0], crops->i[1],
                    crops->i[2], crops->i[3], x->pads[0], x->pads[1], x->pads[2], x->pads[3]);
    int src = x->tensor, block_h = x->block[0], block_w = x->block[1];
    int conv = x->conv_node, self = S->node;
    /* Read the convolution's filter as its own node does. */
    S->node = conv;
    Val *w = NULL;
    if ((e = want_const(S, 1, 0, "filter", &w)))
        return e;
    int filter;
    e = conv_filter(S, w, 1, S->g->tensors[src].shape[3], &filter);
    S->node = self;
    if (e)
        return e;
    return emit_conv(S, NN_OP_DEPTHWISE_CONV_2D, src, NN_PAD_VALID, pads, 1, 1, block_h, block_w, filter, -1,
                     NN_ACT_NONE);
}

static int op_pad(Spec *S)
{
    Val *x, *pads;
    int e;
    if ((e = want_inputs(S, 2, 2)) || (e = want_tensor(S, 0, 4, "input", &x)) ||
        (e = want_const(S, 1, 1, "paddings", &pads)))
        return e;
    if (pads->count != 8 || pads->i[0] || pads->i[1] || pads->i[6] || pads->i[7])
        return fail(S, BACKDROP_ENOTSUP, "padding other than [[0,0],[t,b],[l,r],[0,0]]");
    for (int k = 2; k < 6; k++)
        if (pads->i[k] < 0 || pads->i[k] > 4096)
            return fail(S, BACKDROP_ENOTSUP, "padding %d", pads->i[k]);
    const NnTensor *t = &S->g->tensors[x->tensor];
    int32_t shape[4] = { t->shape[0], t->shape[1] + pads->i[2] + pads->i[3], t->shape[2] + pads->i[4] + pads->i[5],
                         t->shape[3] };
    NnOp op = { .type = NN_OP_PAD, .num_inputs = 1, .inputs = { x->tensor }, .pad_top = pads->i[2],
                .pad_bottom = pads->i[3], .pad_left = pads->i[4], .pad_right = pads->i[5] };
    return emit(S, &op, 4, shape, 0);
}

static int op_avg_pool(Spec *S)
{
    Val *x = NULL;
    int e, kh, kw, sh, sw;
    NnPadding p = NN_PAD_VALID;
    if ((e = want_inputs(S, 1, 1)) || (e = want_tensor(S, 0, 4, "input", &x)) || (e = want_nhwc(S)) ||
        (e = attr_padding(S, &p)) || (e = attr_hw(S, "ksize", 1, &kh, &kw)) || (e = attr_hw(S, "strides", 1, &sh, &sw)))
        return e;
    const NnTensor *t = &S->g->tensors[x->tensor];
    int32_t shape[4] = { t->shape[0], (int32_t)window_out(p, t->shape[1], kh, sh),
                         (int32_t)window_out(p, t->shape[2], kw, sw), t->shape[3] };
    if (shape[1] < 1 || shape[2] < 1)
        return fail(S, BACKDROP_EINVAL, "the window does not fit the input");
    NnOp op = { .type = NN_OP_AVERAGE_POOL_2D, .num_inputs = 1, .inputs = { x->tensor }, .padding = p,
                .stride_h = sh, .stride_w = sw, .filter_h = kh, .filter_w = kw };
    return emit(S, &op, 4, shape, 0);
}

static int op_mean(Spec *S)
{
    Val *x, *axes;
    int e;
    if ((e = want_inputs(S, 2, 2)) || (e = want_tensor(S, 0, 4, "input", &x)) ||
        (e = want_const(S, 1, 1, "axes", &axes)))
        return e;
    if (!attr_bool(S, "keep_dims", 0))
        return fail(S, BACKDROP_ENOTSUP, "Mean without keep_dims");
    int over[4] = { 0 };
    for (size_t k = 0; k < axes->count; k++) {
        int a = axes->i[k] < 0 ? axes->i[k] + 4 : axes->i[k];
        if (a < 0 || a > 3)
            return fail(S, BACKDROP_EINVAL, "axis %d of a rank-4 tensor", axes->i[k]);
        over[a] = 1;
    }
    const NnTensor *t = &S->g->tensors[x->tensor];
    int32_t n = t->shape[0], h = t->shape[1], w = t->shape[2], c = t->shape[3];
    if (!over[0] && over[1] && over[2] && !over[3]) {
        NnOp op = { .type = NN_OP_AVERAGE_POOL_2D, .num_inputs = 1, .inputs = { x->tensor }, .padding = NN_PAD_VALID,
                    .stride_h = 1, .stride_w = 1, .filter_h = h, .filter_w = w };
        int32_t shape[4] = { n, 1, 1, c };
        return emit(S, &op, 4, shape, 0);
    }
    if (!over[0] && !over[1] && !over[2] && over[3]) {
        /* The channel mean as a 1x1 convolution with taps 1/C. */
        float *taps = malloc((size_t)c * sizeof(float));
        if (!taps)
            return BACKDROP_ENOMEM;
        for (int32_t k = 0; k < c; k++)
            taps[k] = 1.0f / (float)c;
        int32_t wshape[4] = { 1, 1, 1, c };
        int filter;
        if ((e = new_const_tensor(S, taps, 4, wshape, "taps", &filter)))
            return e;
        return emit_conv(S, NN_OP_CONV_2D, x->tensor, NN_PAD_VALID, NULL, 1, 1, 1, 1, filter, -1, NN_ACT_NONE);
    }
    return fail(S, BACKDROP_ENOTSUP, "Mean over axes other than {1, 2} or {3}");
}

static int op_resize(Spec *S)
{
    Val *x, *size;
    int e;
    if ((e = want_inputs(S, 2, 2)) || (e = want_tensor(S, 0, 4, "input", &x)) ||
        (e = want_const(S, 1, 1, "size", &size)))
        return e;
    if (size->count != 2 || size->i[0] < 1 || size->i[1] < 1)
        return fail(S, BACKDROP_EINVAL, "size is not two positive integers");
    int align = attr_bool(S, "align_corners", 0), half = attr_bool(S, "half_pixel_centers", 0);
    if (align && half)
        return fail(S, BACKDROP_EINVAL, "align_corners and half_pixel_centers together");
    const NnTensor *t = &S->g->tensors[x->tensor];
    int32_t shape[4] = { t->shape[0], size->i[0], size->i[1], t->shape[3] };
    NnOp op = { .type = NN_OP_RESIZE_BILINEAR, .num_inputs = 1, .inputs = { x->tensor }, .align_corners = align,
                .half_pixel_centers = half, .out_h = size->i[0], .out_w = size->i[1] };
    return emit(S, &op, 4, shape, 0);
}

/* A SLICE of x for output k of the node: channels [c0, c0 + n), or the
 * box begin[4] + size[4]. */
static int emit_slice(Spec *S, int x, const int32_t begin[4], const int32_t size[4], int k)
{
    const NnTensor *t = &S->g->tensors[x];
    if (!memcmp(size, t->shape, sizeof(int32_t) * 4) && !begin[0] && !begin[1] && !begin[2] && !begin[3]) {
        Val v = { .kind = V_TENSOR, .tensor = x, .op = -1 };
        /* the whole tensor: no op (the writer, if any, stays the same) */
        for (int j = 0; j < S->g->num_ops; j++)
            if (S->g->ops[j].output == x)
                v.op = j;
        alias(S, k, &v);
        return 0;
    }
    NnOp op = { .type = NN_OP_SLICE, .num_inputs = 1, .inputs = { x } };
    for (int d = 0; d < 4; d++)
        op.begin[d] = begin[d];
    return emit(S, &op, 4, size, k);
}

static int channel_axis(Spec *S, const Val *axis)
{
    if (axis->count != 1 || (axis->i[0] != 3 && axis->i[0] != -1))
        return fail(S, BACKDROP_ENOTSUP, "split or concatenation along an axis other than the channels");
    return 0;
}

/* The channel counts of each output of Split (equal) or SplitV (sizes,
 * one of which may be -1: the rest). */
static int split_parts(Spec *S, int v2, const Val *sizes, int n, int32_t c, int32_t *part)
{
    if (v2) {
        if ((int)sizes->count != n)
            return fail(S, BACKDROP_EINVAL, "%zu sizes for %d outputs", sizes->count, n);
        int open = -1;
        int64_t sum = 0;
        for (int k = 0; k < n; k++) {
            part[k] = sizes->i[k];
            if (part[k] == -1 && open < 0)
                open = k;
            else if (part[k] < 0)
                return fail(S, BACKDROP_EINVAL, "size %d", part[k]);
            else
                sum += part[k];
        }
        if (open >= 0)
            part[open] = sum <= c ? (int32_t)(c - sum) : -1, sum = c;
        if (sum != c || (open >= 0 && part[open] < 0))
            return fail(S, BACKDROP_EINVAL, "sizes do not add up to the %d channels", c);
    } else {
        if (c % n)
            return fail(S, BACKDROP_EINVAL, "%d channels do not split in %d", c, n);
        for (int k = 0; k < n; k++)
            part[k] = c / n;
    }
    return 0;
}

static int op_split(Spec *S, int v2)
{
    int e = want_inputs(S, v2 ? 3 : 2, v2 ? 3 : 2);
    if (e)
        return e;
    Val *x, *axis, *sizes = NULL;
    if ((e = want_tensor(S, v2 ? 0 : 1, 4, "input", &x)) || (e = want_const(S, v2 ? 2 : 0, 1, "axis", &axis)) ||
        (v2 && (e = want_const(S, 1, 1, "sizes", &sizes))) || (e = channel_axis(S, axis)))
        return e;
    int n = S->num_out[S->node];
    int tensor = x->tensor;
    const NnTensor *t = &S->g->tensors[tensor];
    int32_t c = t->shape[3], at = 0;
    if (n > c)
        return fail(S, BACKDROP_EINVAL, "%d outputs for %d channels", n, c);
    int32_t *part = malloc((size_t)n * sizeof(*part));
    if (!part)
        return BACKDROP_ENOMEM;
    e = split_parts(S, v2, sizes, n, c, part);
    for (int k = 0; k < n && !e; k++) {
        t = &S->g->tensors[tensor];
        int32_t begin[4] = { 0, 0, 0, at }, size[4] = { t->shape[0], t->shape[1], t->shape[2], part[k] };
        if (part[k] == 0)
            e = fail(S, BACKDROP_ENOTSUP, "an empty split");
        else
            e = emit_slice(S, tensor, begin, size, k);
        at += part[k];
    }
    free(part);
    return e;
}

static int op_slice(Spec *S)
{
    Val *x, *b, *sz;
    int e;
    if ((e = want_inputs(S, 3, 3)) || (e = want_tensor(S, 0, 4, "input", &x)) ||
        (e = want_const(S, 1, 1, "begin", &b)) || (e = want_const(S, 2, 1, "size", &sz)))
        return e;
    if (b->count != 4 || sz->count != 4)
        return fail(S, BACKDROP_EINVAL, "begin and size are not 4 integers");
    const NnTensor *t = &S->g->tensors[x->tensor];
    int32_t begin[4], size[4];
    for (int d = 0; d < 4; d++) {
        begin[d] = b->i[d];
        size[d] = sz->i[d] == -1 ? t->shape[d] - begin[d] : sz->i[d];
        if (begin[d] < 0 || size[d] < 1 || (int64_t)begin[d] + size[d] > t->shape[d])
            return fail(S, BACKDROP_EINVAL, "slice [%d, +%d) of a dimension of %d", b->i[d], sz->i[d], t->shape[d]);
    }
    return emit_slice(S, x->tensor, begin, size, 0);
}

static int op_concat(Spec *S)
{
    const TfjsNode *node = &S->m->nodes[S->node];
    int n = num_data_inputs(node) - 1, e;
    Val *axis;
    if (n < 1)
        return fail(S, BACKDROP_EINVAL, "no inputs");
    if ((e = want_const(S, n, 1, "axis", &axis)) || (e = channel_axis(S, axis)))
        return e;
    Val *first;
    if ((e = want_tensor(S, 0, 4, "input", &first)))
        return e;
    if (n == 1) {
        alias(S, 0, first);
        return 0;
    }
    /* Up to three at a time; a longer list is a chain (the running result
     * is the first input of the next link). */
    int acc = first->tensor;
    for (int k = 1; k < n;) {
        int take = n - k >= 2 ? 2 : 1;
        NnOp op = { .type = NN_OP_CONCAT, .num_inputs = 1 + take, .inputs = { acc } };
        const NnTensor *a = &S->g->tensors[acc];
        int32_t shape[4] = { a->shape[0], a->shape[1], a->shape[2], a->shape[3] };
        for (int j = 0; j < take; j++) {
            Val *v;
            if ((e = want_tensor(S, k + j, 4, "input", &v)))
                return e;
            const NnTensor *t = &S->g->tensors[v->tensor];
            if (t->shape[0] != shape[0] || t->shape[1] != shape[1] || t->shape[2] != shape[2])
                return fail(S, BACKDROP_EINVAL, "inputs of different sizes");
            op.inputs[1 + j] = v->tensor;
            shape[3] += t->shape[3];
        }
        if ((e = emit(S, &op, 4, shape, 0)))
            return e;
        acc = out_val(S, 0)->tensor;
        k += take;
    }
    return 0;
}

static int op_broadcast_to(Spec *S)
{
    Val *shape;
    int e;
    if ((e = want_inputs(S, 2, 2)) || (e = want_const(S, 1, 1, "shape", &shape)))
        return e;
    if (shape->rank != 1 || shape->count < 1 || shape->count > NN_MAX_RANK)
        return fail(S, BACKDROP_ENOTSUP, "a target shape of rank %zu", shape->count);
    int rank = (int)shape->count;
    for (int d = 0; d < rank; d++)
        if (shape->i[d] < 1)
            return fail(S, BACKDROP_EINVAL, "dimension %d", shape->i[d]);
    Val *x = in_val(S, 0);
    if (x->kind == V_PENDING) {
        /* The feed left this input's shape open: this is it. */
        int feed = x->feed;
        int t = nn_graph_add_tensor(S->g, NN_DTYPE_FLOAT32, rank, shape->i, NULL, S->feeds[feed].name);
        if (t < 0)
            return t;
        S->feed_tensor[feed] = t;
        /* Every Val still pending on this feed is now the tensor. */
        int total = S->first[S->m->num_nodes];
        for (int k = 0; k < total; k++)
            if (S->vals[k].kind == V_PENDING && S->vals[k].feed == feed)
                S->vals[k] = (Val){ .kind = V_TENSOR, .tensor = t, .op = -1 };
        alias(S, 0, &(Val){ .kind = V_TENSOR, .tensor = t, .op = -1 });
        return 0;
    }
    if (x->kind == V_TENSOR) {
        const NnTensor *t = &S->g->tensors[x->tensor];
        if (t->rank == rank && !memcmp(t->shape, shape->i, (size_t)rank * sizeof(int32_t))) {
            alias(S, 0, x);
            return 0;
        }
    }
    return fail(S, BACKDROP_ENOTSUP, "broadcast of anything but an input of open shape or a tensor to its own shape");
}

/* ======================================================================
 * The pass
 * ====================================================================== */

/* Strips a trailing ":0" for comparing keys and names. */
static int same_key(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= 2 && !strcmp(a + la - 2, ":0"))
        la -= 2;
    if (lb >= 2 && !strcmp(b + lb - 2, ":0"))
        lb -= 2;
    return la == lb && !memcmp(a, b, la);
}

static int op_placeholder(Spec *S)
{
    const TfjsModel *m = S->m;
    int port = -1;
    for (int k = 0; k < m->num_inputs; k++)
        if (m->inputs[k].node == S->node)
            port = k;
    int feed = -1;
    for (int k = 0; port >= 0 && k < S->num_feeds; k++)
        if (same_key(S->feeds[k].name, m->inputs[port].key))
            feed = k;
    if (feed < 0)
        return fail(S, BACKDROP_EINVAL, "a Placeholder without a value (not fed)");
    const TfjsFeed *f = &S->feeds[feed];
    Val *v = out_val(S, 0);
    if (f->constant) {
        int e = const_new(S, v, NN_DTYPE_FLOAT32, 0, NULL);
        if (e)
            return e;
        v->f[0] = f->value;
        return 0;
    }
    if (f->rank == -1) {
        v->kind = V_PENDING;
        v->feed = feed;
        return 0;
    }
    int t = nn_graph_add_tensor(S->g, NN_DTYPE_FLOAT32, f->rank, f->shape, NULL, f->name);
    if (t < 0)
        return t;
    S->feed_tensor[feed] = t;
    *v = (Val){ .kind = V_TENSOR, .tensor = t, .op = -1 };
    return 0;
}

static int op_const(Spec *S)
{
    const TfjsNode *n = &S->m->nodes[S->node];
    if (n->weight < 0)
        return fail(S, BACKDROP_EINVAL, "a constant without a weight");
    const TfjsWeight *w = &S->m->weights[n->weight];
    if (w->rank > NN_MAX_RANK)
        return fail(S, BACKDROP_ENOTSUP, "a constant of rank %d", w->rank);
    Val *v = out_val(S, 0);
    v->kind = V_CONST;
    v->dtype = w->dtype == TFJS_FLOAT32 ? NN_DTYPE_FLOAT32 : NN_DTYPE_INT32;
    v->is_bool = w->dtype == TFJS_BOOL;
    v->rank = w->rank;
    for (int d = 0; d < w->rank; d++) {
        if (w->shape[d] > INT32_MAX)
            return fail(S, BACKDROP_ENOTSUP, "a constant dimension of %ld", (long)w->shape[d]);
        v->shape[d] = (int32_t)w->shape[d];
    }
    v->count = w->count;
    v->f = w->f32;
    v->i = w->i32;
    v->owned = 0;
    return 0;
}

/* A node all of whose outputs are dead: a control input from it is dead.
 * One from a Switch (one side always live) never is. */
static int node_dead(const Spec *S, int node)
{
    for (int k = 0; k < S->num_out[node]; k++)
        if (S->vals[S->first[node] + k].kind != V_DEAD)
            return 0;
    return 1;
}

/* Ops whose data-input count is fixed, checked once before any lowering
 * or folding reads their inputs (the others check their own). */
static const struct {
    const char *op;
    int inputs;
} arity[] = {
    { "StridedSlice", 4 }, { "Cast", 1 },    { "Squeeze", 1 }, { "Relu6", 1 },   { "Sigmoid", 1 },
    { "Tanh", 1 },         { "Square", 1 },  { "Add", 2 },     { "AddV2", 2 },   { "Sub", 2 },
    { "Mul", 2 },          { "RealDiv", 2 }, { "Maximum", 2 }, { "Minimum", 2 }, { "FloorMod", 2 },
    { "Equal", 2 },
};

static int check_arity(Spec *S)
{
    const char *op = S->m->nodes[S->node].op;
    for (size_t k = 0; k < sizeof(arity) / sizeof(arity[0]); k++)
        if (!strcmp(op, arity[k].op))
            return want_inputs(S, arity[k].inputs, arity[k].inputs);
    return 0;
}

/* Lowers S->node: its Val(s) from its inputs' ones. */
static int lower(Spec *S)
{
    const TfjsNode *n = &S->m->nodes[S->node];
    const char *op = n->op;
    int nin = num_data_inputs(n);

    /* A dead control input makes the node dead, constants included (a
     * v1 cond's constants hang on its pivots); only Merge looks past dead
     * inputs. */
    for (int j = 0; strcmp(op, "Merge") && j < n->num_inputs; j++) {
        if (n->inputs[j].control && node_dead(S, n->inputs[j].node)) {
            for (int k = 0; k < S->num_out[S->node]; k++)
                out_val(S, k)->kind = V_DEAD;
            return 0;
        }
    }
    if (!strcmp(op, "Const"))
        return op_const(S);
    if (!strcmp(op, "Placeholder"))
        return op_placeholder(S);
    if (!strcmp(op, "NoOp"))
        return 0;
    if (!strcmp(op, "Merge")) {
        /* The one live input (v1 control flow: exactly one arrives). */
        for (int k = 0; k < nin; k++) {
            Val *v = in_val(S, k);
            if (v->kind != V_DEAD && v->kind != V_NONE) {
                alias(S, 0, v);
                Val *index = out_val(S, 1);
                int e = const_new(S, index, NN_DTYPE_INT32, 0, NULL);
                if (!e)
                    index->i[0] = k;
                return e;
            }
        }
        out_val(S, 0)->kind = out_val(S, 1)->kind = V_DEAD;
        return 0;
    }
    /* A dead input makes every output dead. */
    for (int k = 0; k < nin; k++) {
        ValKind kind = in_val(S, k)->kind;
        if (kind == V_DEAD || kind == V_NONE) {
            for (int j = 0; j < S->num_out[S->node]; j++)
                out_val(S, j)->kind = V_DEAD;
            return 0;
        }
    }
    if (!strcmp(op, "Switch")) {
        int e = want_inputs(S, 2, 2);
        if (e)
            return e;
        Val *pred = in_val(S, 1);
        if (pred->kind != V_CONST || pred->count != 1)
            return fail(S, BACKDROP_ENOTSUP, "the predicate is not known at specialisation");
        int taken = const_at(pred, 0) != 0;
        alias(S, taken, in_val(S, 0));
        out_val(S, !taken)->kind = V_DEAD;
        return 0;
    }
    if (!strcmp(op, "Identity")) {
        int e = want_inputs(S, 1, 1);
        if (!e)
            alias(S, 0, in_val(S, 0));
        return e;
    }
    if (!strcmp(op, "Shape")) {
        int e = want_inputs(S, 1, 1);
        if (e)
            return e;
        Val *x = in_val(S, 0);
        if (x->kind != V_CONST && x->kind != V_TENSOR)
            return want_tensor(S, 0, 0, "input", &x);
        return fold_shape(S, x);
    }

    int e = check_arity(S);
    if (e)
        return e;

    /* Shape arithmetic: every input constant. */
    int all_const = 1;
    for (int k = 0; k < nin; k++)
        all_const &= in_val(S, k)->kind == V_CONST;
    if (all_const && nin > 0) {
        if (!strcmp(op, "StridedSlice"))
            return fold_strided_slice(S, in_val(S, 0));
        if (!strcmp(op, "Pack"))
            return fold_pack(S, nin);
        if (!strcmp(op, "Cast"))
            return fold_cast(S, in_val(S, 0));
        if (!strcmp(op, "Squeeze"))
            return fold_squeeze(S, in_val(S, 0));
        if (is_binary_tf(op))
            return fold_binary(S, op, in_val(S, 0), in_val(S, 1));
        if (!strcmp(op, "BroadcastTo") || !strcmp(op, "Identity"))
            ; /* handled below */
        else
            return fail(S, BACKDROP_ENOTSUP, "an operator on constants only that is not folded");
    }

    if (!strcmp(op, "_FusedConv2D"))
        return op_conv(S, 0, 1);
    if (!strcmp(op, "Conv2D"))
        return op_conv(S, 0, 0);
    if (!strcmp(op, "FusedDepthwiseConv2dNative"))
        return op_conv(S, 1, 1);
    if (!strcmp(op, "DepthwiseConv2dNative"))
        return op_conv(S, 1, 0);
    if (is_binary_tf(op))
        return op_binary(S, op);
    if (!strcmp(op, "Relu6"))
        return op_relu6(S);
    if (!strcmp(op, "Sigmoid"))
        return op_unary(S, NN_OP_LOGISTIC);
    if (!strcmp(op, "Tanh"))
        return op_unary(S, NN_OP_TANH);
    if (!strcmp(op, "Square"))
        return op_unary(S, NN_OP_SQUARE);
    if (!strcmp(op, "Pad"))
        return op_pad(S);
    if (!strcmp(op, "AvgPool"))
        return op_avg_pool(S);
    if (!strcmp(op, "Mean"))
        return op_mean(S);
    if (!strcmp(op, "ResizeBilinear"))
        return op_resize(S);
    if (!strcmp(op, "ConcatV2"))
        return op_concat(S);
    if (!strcmp(op, "Split"))
        return op_split(S, 0);
    if (!strcmp(op, "SplitV"))
        return op_split(S, 1);
    if (!strcmp(op, "Slice"))
        return op_slice(S);
    if (!strcmp(op, "BroadcastTo"))
        return op_broadcast_to(S);
    if (!strcmp(op, "SpaceToBatchND"))
        return op_space_to_batch(S);
    if (!strcmp(op, "BatchToSpaceND"))
        return op_batch_to_space(S);
    return fail(S, BACKDROP_ENOTSUP, "not lowered for run-time tensors");
}

/* How many outputs a node has, from its op and attributes. */
static int outputs_of(Spec *S, int node, int *n)
{
    const TfjsNode *nd = &S->m->nodes[node];
    if (!strcmp(nd->op, "Switch") || !strcmp(nd->op, "Merge")) {
        *n = 2;
    } else if (!strcmp(nd->op, "Split") || !strcmp(nd->op, "SplitV")) {
        const TfjsAttr *a = tfjs_node_attr(nd, "num_split");
        if (!a || a->kind != TFJS_ATTR_INT || a->i < 1 || a->i > TFJS_MAX_LIST) {
            S->node = node;
            return fail(S, BACKDROP_EINVAL, "num_split missing or not in 1..%d", TFJS_MAX_LIST);
        }
        *n = (int)a->i;
    } else {
        *n = 1;
    }
    return 0;
}

static int specialise(Spec *S)
{
    const TfjsModel *m = S->m;
    int nn = m->num_nodes, e;
    S->first = malloc(((size_t)nn + 1) * sizeof(int));
    S->num_out = malloc(((size_t)nn + 1) * sizeof(int));
    S->feed_tensor = malloc(((size_t)S->num_feeds + 1) * sizeof(int));
    if (!S->first || !S->num_out || !S->feed_tensor)
        return BACKDROP_ENOMEM;
    for (int k = 0; k < S->num_feeds; k++)
        S->feed_tensor[k] = -1;
    int64_t total = 0;
    for (int i = 0; i < nn; i++) {
        if ((e = outputs_of(S, i, &S->num_out[i])))
            return e;
        S->first[i] = (int)total;
        total += S->num_out[i];
        if (total > INT32_MAX / 2)
            return fail(S, BACKDROP_ENOTSUP, "too many node outputs");
    }
    S->first[nn] = (int)total;
    S->vals = calloc((size_t)total + 1, sizeof(Val));
    if (!S->vals)
        return BACKDROP_ENOMEM;
    /* Every data input names an output its node has. */
    for (int i = 0; i < nn; i++) {
        const TfjsNode *n = &m->nodes[i];
        for (int j = 0; j < n->num_inputs; j++) {
            const TfjsInput *in = &n->inputs[j];
            if (!in->control && in->output >= S->num_out[in->node]) {
                S->node = i;
                return fail(S, BACKDROP_EINVAL, "input %d is output %d of a node with %d", j, in->output,
                            S->num_out[in->node]);
            }
        }
    }
    for (int k = 0; k < nn; k++) {
        S->node = m->order[k];
        if ((e = lower(S)))
            return e;
    }
    S->node = -1;

    /* Ports: run-time inputs in feed order, outputs in signature order. */
    for (int k = 0; k < S->num_feeds; k++) {
        const TfjsFeed *f = &S->feeds[k];
        if (f->constant)
            continue;
        if (S->feed_tensor[k] < 0)
            return fail(S, BACKDROP_EINVAL, "input '%s': its shape was left open and nothing in the graph gives it",
                        f->name);
        char name[TFJS_MAX_NAME + 1];
        snprintf(name, sizeof(name), "%s", f->name);
        size_t len = strlen(name);
        if (len >= 2 && !strcmp(name + len - 2, ":0"))
            name[len - 2] = '\0';
        if ((e = nn_graph_add_input(S->g, name, S->feed_tensor[k])))
            return e;
    }
    for (int k = 0; k < m->num_outputs; k++) {
        const TfjsPort *p = &m->outputs[k];
        if (p->output >= S->num_out[p->node])
            return fail(S, BACKDROP_EINVAL, "output '%s' names output %d of a node with %d", p->key, p->output,
                        S->num_out[p->node]);
        const Val *v = &S->vals[S->first[p->node] + p->output];
        if (v->kind != V_TENSOR || v->op < 0)
            return fail(S, BACKDROP_ENOTSUP, "output '%s' is %s", p->key,
                        v->kind == V_DEAD || v->kind == V_NONE ? "not computed for these inputs"
                        : v->kind == V_CONST                   ? "a constant"
                        : v->kind == V_TENSOR                  ? "an input passed through"
                                                               : "not a tensor");
        char name[TFJS_MAX_NAME + 1];
        snprintf(name, sizeof(name), "%s", p->key);
        size_t len = strlen(name);
        if (len >= 2 && !strcmp(name + len - 2, ":0"))
            name[len - 2] = '\0';
        if ((e = nn_graph_add_output(S->g, name, v->tensor)))
            return e;
    }
    if ((e = nn_graph_prune(S->g)))
        return e;
    return nn_graph_validate(S->g, S->err, S->errlen);
}

int tfjs_specialise(const TfjsModel *m, const TfjsFeed *feeds, int num_feeds, NnGraph *g, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!g)
        return BACKDROP_EINVAL;
    memset(g, 0, sizeof(*g));
    Spec S = { .m = m, .feeds = feeds, .num_feeds = num_feeds, .g = g, .node = -1, .err = err, .errlen = errlen };
    if (!m || !m->num_nodes || (num_feeds && !feeds) || num_feeds < 0)
        return fail(&S, BACKDROP_EINVAL, "no model or no feeds");
    if (!m->num_outputs)
        return fail(&S, BACKDROP_EINVAL, "the model's signature has no outputs");
    /* One feed per signature input. */
    for (int k = 0; k < num_feeds; k++) {
        const TfjsFeed *f = &feeds[k];
        int found = 0;
        for (int j = 0; j < m->num_inputs; j++)
            found |= f->name && same_key(f->name, m->inputs[j].key);
        if (!found)
            return fail(&S, BACKDROP_EINVAL, "feed '%s' is not an input of the model", f->name ? f->name : "(null)");
        for (int j = 0; j < k; j++)
            if (same_key(f->name, feeds[j].name))
                return fail(&S, BACKDROP_EINVAL, "input '%s' fed twice", f->name);
        if (!f->constant && f->rank != -1) {
            if (f->rank < 1 || f->rank > NN_MAX_RANK)
                return fail(&S, BACKDROP_EINVAL, "input '%s': rank %d", f->name, f->rank);
            for (int d = 0; d < f->rank; d++)
                if (f->shape[d] < 1)
                    return fail(&S, BACKDROP_EINVAL, "input '%s': dimension %d is %d", f->name, d, f->shape[d]);
        }
        if (f->constant && !isfinite(f->value))
            return fail(&S, BACKDROP_EINVAL, "input '%s': value not finite", f->name);
    }
    for (int j = 0; j < m->num_inputs; j++) {
        int found = 0;
        for (int k = 0; k < num_feeds; k++)
            found |= same_key(feeds[k].name, m->inputs[j].key);
        if (!found)
            return fail(&S, BACKDROP_EINVAL, "input '%s' of the model is not fed", m->inputs[j].key);
    }
    int e = specialise(&S);
    if (S.vals)
        for (int k = 0; k < S.first[m->num_nodes]; k++)
            val_free(&S.vals[k]);
    free(S.vals);
    free(S.first);
    free(S.num_out);
    free(S.feed_tensor);
    if (e)
        nn_graph_free(g);
    return e;
}
