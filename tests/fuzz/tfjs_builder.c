/* See tfjs_builder.h. */
#include "tfjs_builder.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends to buf (cap bytes, len used); on overflow sets m->overflow. */
#ifdef __GNUC__
__attribute__((format(printf, 5, 6)))
#endif
static void put(TjModel *m, char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len)
        m->overflow = 1;
    else
        *len += (size_t)n;
}

#define NODES(m, ...) put(m, (m)->nodes, TJ_MAX_NODES, &(m)->nodes_len, __VA_ARGS__)
#define TEXT(m, field, ...) put(m, (m)->field, TJ_MAX_TEXT, &(m)->field##_len, __VA_ARGS__)

void tj_init(TjModel *m)
{
    memset(m, 0, sizeof(*m));
}

/* Closes the attributes and the node before a new one starts. */
static void close_node(TjModel *m)
{
    if (!m->nodes_len)
        return;
    NODES(m, "%s}", m->open_attrs ? "}" : "");
    m->open_attrs = 0;
}

void tj_node(TjModel *m, const char *name, const char *op, const char *inputs)
{
    close_node(m);
    NODES(m, "%s\n  {\"name\": \"%s\", \"op\": \"%s\"", m->nodes_len ? "," : "", name, op);
    if (inputs) {
        NODES(m, ", \"input\": [\"");
        for (const char *p = inputs; *p; p++) {
            if (*p == ',')
                NODES(m, "\", \"");
            else
                NODES(m, "%c", *p);
        }
        NODES(m, "\"]");
    }
}

/* Starts attribute key of the open node. */
static void attr(TjModel *m, const char *key)
{
    NODES(m, m->open_attrs ? ", \"%s\": " : ", \"attr\": {\"%s\": ", key);
    m->open_attrs = 1;
}

void tj_attr_i(TjModel *m, const char *key, long long value)
{
    attr(m, key);
    NODES(m, "{\"i\": \"%lld\"}", value);
}

void tj_attr_b(TjModel *m, const char *key, int value)
{
    attr(m, key);
    NODES(m, "{\"b\": %s}", value ? "true" : "false");
}

void tj_attr_f(TjModel *m, const char *key, double value)
{
    attr(m, key);
    NODES(m, "{\"f\": %.17g}", value);
}

static void base64(TjModel *m, const char *s)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    NODES(m, "\"");
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        NODES(m, "%c%c%c%c", digits[v >> 18], digits[(v >> 12) & 63], i + 1 < n ? digits[(v >> 6) & 63] : '=',
              i + 2 < n ? digits[v & 63] : '=');
    }
    NODES(m, "\"");
}

void tj_attr_s(TjModel *m, const char *key, const char *value)
{
    attr(m, key);
    NODES(m, "{\"s\": ");
    base64(m, value);
    NODES(m, "}");
}

void tj_attr_type(TjModel *m, const char *key, const char *dtype)
{
    attr(m, key);
    NODES(m, "{\"type\": \"%s\"}", dtype);
}

void tj_attr_ints(TjModel *m, const char *key, int n, const long long *values)
{
    attr(m, key);
    NODES(m, "{\"list\": {\"i\": [");
    for (int k = 0; k < n; k++)
        NODES(m, "%s\"%lld\"", k ? ", " : "", values[k]);
    NODES(m, "]}}");
}

void tj_attr_strs(TjModel *m, const char *key, int n, const char *const *values)
{
    attr(m, key);
    NODES(m, "{\"list\": {\"s\": [");
    for (int k = 0; k < n; k++) {
        NODES(m, k ? ", " : "");
        base64(m, values[k]);
    }
    NODES(m, "]}}");
}

static void shape_proto(TjModel *m, int rank, const int *dims)
{
    if (rank < 0) {
        NODES(m, "{\"unknownRank\": true}");
        return;
    }
    NODES(m, "{");
    if (rank > 0) {
        NODES(m, "\"dim\": [");
        for (int d = 0; d < rank; d++)
            NODES(m, "%s{\"size\": \"%d\"}", d ? ", " : "", dims[d]);
        NODES(m, "]");
    }
    NODES(m, "}");
}

void tj_attr_shape(TjModel *m, const char *key, int rank, const int *dims)
{
    attr(m, key);
    NODES(m, "{\"shape\": ");
    shape_proto(m, rank, dims);
    NODES(m, "}");
}

void tj_placeholder(TjModel *m, const char *name, int rank, const int *dims)
{
    tj_node(m, name, "Placeholder", NULL);
    tj_attr_type(m, "dtype", "DT_FLOAT");
    tj_attr_shape(m, "shape", rank, dims);
    TEXT(m, inputs, "%s\"%s\": {\"name\": \"%s:0\", \"dtype\": \"DT_FLOAT\"}",
        m->inputs_len ? ", " : "", name, name);
}

static void weight(TjModel *m, const char *name, const char *dtype, int rank, const int *shape, const void *values)
{
    size_t count = 1;
    TEXT(m, manifest, "%s\n   {\"name\": \"%s\", \"shape\": [", m->manifest_len ? "," : "", name);
    for (int d = 0; d < rank; d++) {
        TEXT(m, manifest, "%s%d", d ? ", " : "", shape[d]);
        count *= (size_t)shape[d];
    }
    TEXT(m, manifest, "], \"dtype\": \"%s\"}", dtype);
    if (count * 4 > TJ_MAX_BIN - m->bin_len) {
        m->overflow = 1;
        return;
    }
    /* little-endian, whatever the host */
    const uint8_t *src = values;
    for (size_t k = 0; k < count; k++) {
        uint32_t v;
        memcpy(&v, src + 4 * k, 4);
        for (int b = 0; b < 4; b++)
            m->bin[m->bin_len++] = (uint8_t)(v >> (8 * b));
    }
}

void tj_weight_f(TjModel *m, const char *name, int rank, const int *shape, const float *values)
{
    weight(m, name, "float32", rank, shape, values);
}

void tj_const_f(TjModel *m, const char *name, int rank, const int *shape, const float *values)
{
    tj_node(m, name, "Const", NULL);
    tj_attr_type(m, "dtype", "DT_FLOAT");
    tj_weight_f(m, name, rank, shape, values);
}

void tj_const_i(TjModel *m, const char *name, int rank, const int *shape, const int32_t *values)
{
    tj_node(m, name, "Const", NULL);
    tj_attr_type(m, "dtype", "DT_INT32");
    weight(m, name, "int32", rank, shape, values);
}

void tj_output(TjModel *m, const char *key, const char *ref)
{
    TEXT(m, outputs, "%s\"%s\": {\"name\": \"%s\"}", m->outputs_len ? ", " : "", key, ref);
}

long tj_json(const TjModel *m, char *buf, size_t size)
{
    if (m->overflow)
        return -1;
    int n = snprintf(buf, size,
                     "{\"format\": \"graph-model\", \"generatedBy\": \"tfjs_builder\", \"convertedBy\": null,\n"
                     " \"signature\": {\"inputs\": {%s}, \"outputs\": {%s}},\n"
                     " \"modelTopology\": {\"node\": [%s%s\n ], \"library\": {}, \"versions\": {\"producer\": 716}},\n"
                     " \"weightsManifest\": [{\"paths\": [\"w.bin\"], \"weights\": [%s\n ]}]}\n",
                     m->inputs, m->outputs, m->nodes, m->nodes_len ? (m->open_attrs ? "}}" : "}") : "", m->manifest);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

float tj_value(int seed, long k)
{
    long v = (k * 7 + (long)seed * 13 + k * k * 3) % 33; /* 0 .. 32 */
    return (float)(v - 16) / 8.0f;
}

/* ---- the specialiser's test models --------------------------------- */

/* A float constant of tj_value(seed, k). */
static void const_seeded(TjModel *m, const char *name, int rank, const int *shape, int seed)
{
    float v[1024];
    size_t count = 1;
    for (int d = 0; d < rank; d++)
        count *= (size_t)shape[d];
    if (count > sizeof(v) / sizeof(v[0])) {
        m->overflow = 1;
        return;
    }
    for (size_t k = 0; k < count; k++)
        v[k] = tj_value(seed, (long)k);
    tj_const_f(m, name, rank, shape, v);
}

static void const_ivec(TjModel *m, const char *name, int n, const int32_t *values)
{
    tj_const_i(m, name, 1, (int[]){ n }, values);
}

static void const_scalar(TjModel *m, const char *name, float value)
{
    tj_const_f(m, name, 0, NULL, &value);
}

static void input_x(TjModel *m, int h, int w, int c)
{
    tj_placeholder(m, "x", 4, (int[]){ 1, h, w, c });
}

static void hw_attr(TjModel *m, const char *key, int h, int w)
{
    tj_attr_ints(m, key, 4, (long long[]){ 1, h, w, 1 });
}

static void fused_attrs(TjModel *m, const char *padding, int stride, const char *act)
{
    tj_attr_type(m, "T", "DT_FLOAT");
    tj_attr_s(m, "padding", padding);
    hw_attr(m, "strides", stride, stride);
    hw_attr(m, "dilations", 1, 1);
    tj_attr_s(m, "data_format", "NHWC");
    tj_attr_i(m, "num_args", 1);
    tj_attr_strs(m, "fused_ops", 2, (const char *[]){ "BiasAdd", act });
}

void tj_model_pad_depthwise(TjModel *m, int h, int w, int stride, const int pads[4])
{
    tj_init(m);
    input_x(m, h, w, 3);
    const_ivec(m, "pads", 8, (int32_t[]){ 0, 0, pads[0], pads[1], pads[2], pads[3], 0, 0 });
    const_seeded(m, "filter", 4, (int[]){ 3, 3, 3, 2 }, 1);
    const_seeded(m, "bias", 1, (int[]){ 6 }, 2);
    tj_node(m, "pad", "Pad", "x,pads");
    tj_node(m, "dw", "FusedDepthwiseConv2dNative", "pad,filter,bias");
    fused_attrs(m, "VALID", stride, "Relu6");
    tj_output(m, "y", "dw:0");
}

void tj_model_dilated(TjModel *m, int h, int w, int pre, int base)
{
    tj_init(m);
    input_x(m, h, w, 2);
    const char *in = "x";
    if (pre > 0) {
        const_ivec(m, "pads", 8, (int32_t[]){ 0, 0, pre, pre, pre, pre, 0, 0 });
        tj_node(m, "pad", "Pad", "x,pads");
        in = "pad";
    }
    int eh = (2 - (h + 2 * pre + 2 * base) % 2) % 2, ew = (2 - (w + 2 * pre + 2 * base) % 2) % 2;
    const_ivec(m, "block", 2, (int32_t[]){ 2, 2 });
    tj_const_i(m, "paddings", 2, (int[]){ 2, 2 }, (int32_t[]){ base, base + eh, base, base + ew });
    tj_const_i(m, "crops", 2, (int[]){ 2, 2 }, (int32_t[]){ 0, eh, 0, ew });
    const_seeded(m, "filter", 4, (int[]){ 3, 3, 2, 1 }, 3);
    char inputs[64];
    snprintf(inputs, sizeof(inputs), "%s,block,paddings", in);
    tj_node(m, "s2b", "SpaceToBatchND", inputs);
    tj_node(m, "dw", "DepthwiseConv2dNative", "s2b,filter");
    tj_attr_s(m, "padding", "VALID");
    hw_attr(m, "strides", 1, 1);
    hw_attr(m, "dilations", 1, 1);
    tj_node(m, "b2s", "BatchToSpaceND", "dw,block,crops");
    tj_output(m, "y", "b2s:0");
}

void tj_model_hard_swish(TjModel *m, int h, int w, int same_x)
{
    tj_init(m);
    input_x(m, h, w, 4);
    const_scalar(m, "sixth", 1.0f / 6.0f);
    const_scalar(m, "three", 3.0f);
    const_ivec(m, "axis", 1, (int32_t[]){ 3 });
    const char *first = "x";
    if (!same_x) {
        tj_node(m, "sig", "Sigmoid", "x");
        first = "sig";
    }
    char inputs[64];
    snprintf(inputs, sizeof(inputs), "sixth,%s", first);
    tj_node(m, "truediv", "Mul", inputs);
    tj_node(m, "add", "AddV2", "x,three");
    tj_node(m, "relu6", "Relu6", "add");
    tj_node(m, "mul", "Mul", "truediv,relu6");
    tj_node(m, "cat", "ConcatV2", "x,x,axis");
    tj_attr_i(m, "N", 2);
    tj_node(m, "clip", "Relu6", "cat");
    tj_output(m, "y", "mul:0");
    tj_output(m, "z", "clip:0");
}

void tj_model_mean(TjModel *m, int h, int w)
{
    tj_init(m);
    input_x(m, h, w, 3);
    const_ivec(m, "hw", 2, (int32_t[]){ 1, 2 });
    const_ivec(m, "c", 1, (int32_t[]){ 3 });
    tj_node(m, "a", "Mean", "x,hw");
    tj_attr_b(m, "keep_dims", 1);
    tj_node(m, "b", "Mean", "x,c");
    tj_attr_b(m, "keep_dims", 1);
    tj_output(m, "a", "a");
    tj_output(m, "b", "b:0");
}

void tj_model_split_concat(TjModel *m, int h, int w)
{
    tj_init(m);
    input_x(m, h, w, 6);
    const_ivec(m, "dim", 1, (int32_t[]){ 3 });
    const_ivec(m, "last", 1, (int32_t[]){ -1 });
    const_ivec(m, "sizes", 3, (int32_t[]){ 2, -1, 1 });
    tj_node(m, "sp", "Split", "dim,x");
    tj_attr_i(m, "num_split", 2);
    tj_node(m, "sv", "SplitV", "x,sizes,last");
    tj_attr_i(m, "num_split", 3);
    tj_node(m, "cat", "ConcatV2", "sv:2,sp:1,sv,sp:0,dim");
    tj_attr_i(m, "N", 4);
    tj_output(m, "s0", "sp:0");
    tj_output(m, "s1", "sp:1");
    tj_output(m, "v1", "sv:1");
    tj_output(m, "cat", "cat:0");
}

/* A Const in a branch of a v1 cond: live when its pivot is. */
static void branch_const(TjModel *m, const char *name, const char *pivot, float value)
{
    char control[64];
    snprintf(control, sizeof(control), "^%s", pivot);
    tj_node(m, name, "Const", control);
    tj_attr_type(m, "dtype", "DT_FLOAT");
    tj_weight_f(m, name, 0, NULL, &value);
}

void tj_model_switch(TjModel *m, int h, int w)
{
    tj_init(m);
    input_x(m, h, w, 2);
    tj_placeholder(m, "r", 0, NULL);
    tj_const_f(m, "one", 1, (int[]){ 1 }, (float[]){ 1.0f });
    tj_node(m, "eq", "Equal", "r,one");
    tj_attr_b(m, "incompatible_shape_error", 0);
    tj_node(m, "pred", "Squeeze", "eq");
    tj_node(m, "sw", "Switch", "x,pred");
    tj_node(m, "scaled", "Mul", "sw,r");
    tj_node(m, "tanh", "Tanh", "scaled");
    tj_node(m, "sig", "Sigmoid", "sw:1");
    tj_node(m, "merge", "Merge", "tanh,sig");
    tj_attr_i(m, "N", 2);
    tj_output(m, "y", "merge:0");
    /* tf.cond(r == 1, lambda: 2.0, lambda: 3.0) * x, as TF v1 writes it */
    tj_node(m, "sw_pred", "Switch", "pred,pred");
    tj_node(m, "pivot_f", "Identity", "sw_pred");
    tj_node(m, "pivot_t", "Identity", "sw_pred:1");
    branch_const(m, "two", "pivot_t", 2.0f);
    branch_const(m, "three", "pivot_f", 3.0f);
    tj_node(m, "k_merge", "Merge", "two,three");
    tj_attr_i(m, "N", 2);
    tj_node(m, "k", "Mul", "x,k_merge");
    tj_output(m, "k", "k");
}

/* Cast to DstT. */
static void cast(TjModel *m, const char *name, const char *input, const char *from, const char *to)
{
    tj_node(m, name, "Cast", input);
    tj_attr_type(m, "SrcT", from);
    tj_attr_type(m, "DstT", to);
    tj_attr_b(m, "Truncate", 0);
}

static void strided_slice(TjModel *m, const char *name, const char *inputs, int shrink)
{
    tj_node(m, name, "StridedSlice", inputs);
    tj_attr_i(m, "begin_mask", 0);
    tj_attr_i(m, "end_mask", 0);
    tj_attr_i(m, "ellipsis_mask", 0);
    tj_attr_i(m, "new_axis_mask", 0);
    tj_attr_i(m, "shrink_axis_mask", shrink);
}

static void resize(TjModel *m, const char *name, const char *inputs, int half_pixel)
{
    tj_node(m, name, "ResizeBilinear", inputs);
    tj_attr_b(m, "align_corners", 0);
    tj_attr_b(m, "half_pixel_centers", half_pixel);
}

void tj_model_shape_resize(TjModel *m, int h, int w)
{
    tj_init(m);
    input_x(m, h, w, 2);
    tj_placeholder(m, "r", 0, NULL);
    const_ivec(m, "i1", 1, (int32_t[]){ 1 });
    const_ivec(m, "i2", 1, (int32_t[]){ 2 });
    const_ivec(m, "i3", 1, (int32_t[]){ 3 });
    const_scalar(m, "k", 1.5f);
    tj_node(m, "shape", "Shape", "x");
    tj_attr_type(m, "out_type", "DT_INT32");
    strided_slice(m, "h", "shape,i1,i2,i1", 1);
    strided_slice(m, "w", "shape,i2,i3,i1", 1);
    tj_node(m, "hw", "Pack", "h,w");
    tj_attr_i(m, "N", 2);
    tj_attr_i(m, "axis", 0);
    cast(m, "hwf", "hw", "DT_INT32", "DT_FLOAT");
    tj_node(m, "scaled", "Mul", "hwf,r");
    cast(m, "size", "scaled", "DT_FLOAT", "DT_INT32");
    resize(m, "y", "x,size", 1);
    strided_slice(m, "hw2", "shape,i1,i3,i1", 0);
    cast(m, "hwf2", "hw2", "DT_INT32", "DT_FLOAT");
    tj_node(m, "scaled2", "Mul", "hwf2,k");
    cast(m, "size2", "scaled2", "DT_FLOAT", "DT_INT32");
    resize(m, "z", "x,size2", 0);
    tj_output(m, "y", "y");
    tj_output(m, "z", "z");
}

void tj_model_fused_conv(TjModel *m, int h, int w)
{
    tj_init(m);
    input_x(m, h, w, 2);
    const_seeded(m, "filter", 4, (int[]){ 3, 2, 2, 3 }, 4);
    const_seeded(m, "bias", 1, (int[]){ 3 }, 5);
    tj_node(m, "conv", "_FusedConv2D", "x,filter,bias");
    fused_attrs(m, "SAME", 2, "Relu");
    tj_attr_b(m, "use_cudnn_on_gpu", 1);
    tj_attr_f(m, "epsilon", 0.0);
    tj_output(m, "y", "conv");
}
