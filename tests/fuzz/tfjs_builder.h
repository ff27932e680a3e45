/*
 * A small writer of TF.js graph models for tests: nodes with their inputs
 * and attributes, Const nodes with their weights, the signature; out come
 * model.json text and one weight file, as the TF.js converter lays them
 * out (protobuf JSON mapping: int64 as strings, strings base64, every
 * constant in the weights). Independent of the reader's code.
 *
 * Below the writer, the small models of the specialiser's unit tests
 * (tests/unit/test_tfjs_spec.c), one lowering each; the fuzz seed
 * generator writes them too. Their float weights are tj_value(seed, k)
 * for element k, with the seeds named in each model's comment, so a test
 * can recompute them without reading the model back.
 */
#ifndef TESTS_TFJS_BUILDER_H
#define TESTS_TFJS_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#define TJ_MAX_NODES 8192 /* bytes of node JSON */
#define TJ_MAX_TEXT 4096  /* bytes of manifest, signature inputs, outputs each */
#define TJ_MAX_BIN 16384  /* bytes of weights */

typedef struct TjModel {
    char nodes[TJ_MAX_NODES];
    char manifest[TJ_MAX_TEXT];
    char inputs[TJ_MAX_TEXT];
    char outputs[TJ_MAX_TEXT];
    size_t nodes_len, manifest_len, inputs_len, outputs_len;
    uint8_t bin[TJ_MAX_BIN];
    size_t bin_len;
    int open_attrs; /* attributes written to the last node */
    int overflow;   /* something did not fit: tj_json() fails */
} TjModel;

void tj_init(TjModel *m);

/* A node; inputs is a comma-separated list ("x,sp:1,^k") or NULL. The
 * tj_attr_* calls after it add its attributes. */
void tj_node(TjModel *m, const char *name, const char *op, const char *inputs);
void tj_attr_i(TjModel *m, const char *key, long long value);
void tj_attr_b(TjModel *m, const char *key, int value);
void tj_attr_f(TjModel *m, const char *key, double value);
void tj_attr_s(TjModel *m, const char *key, const char *value);     /* base64-encoded here */
void tj_attr_type(TjModel *m, const char *key, const char *dtype);  /* "DT_FLOAT" */
void tj_attr_ints(TjModel *m, const char *key, int n, const long long *values);
void tj_attr_strs(TjModel *m, const char *key, int n, const char *const *values);
/* rank -1: unknown rank; a dim -1: unknown size. */
void tj_attr_shape(TjModel *m, const char *key, int rank, const int *dims);

/* A Placeholder of this shape (rank -1: unknown) and its signature input,
 * keyed by its name. */
void tj_placeholder(TjModel *m, const char *name, int rank, const int *dims);
/* A Const node with its weight (float32 or int32, rank 0..4). */
void tj_const_f(TjModel *m, const char *name, int rank, const int *shape, const float *values);
void tj_const_i(TjModel *m, const char *name, int rank, const int *shape, const int32_t *values);
/* The float32 weight alone, for a Const node written with tj_node (one
 * with control inputs, say). */
void tj_weight_f(TjModel *m, const char *name, int rank, const int *shape, const float *values);
/* A signature output: key -> "node" or "node:k". */
void tj_output(TjModel *m, const char *key, const char *ref);

/* model.json of what was written, NUL-terminated in buf; its length, or
 * -1 when it does not fit or something overflowed. The weights are
 * m->bin[0 .. m->bin_len), one file ("w.bin"). */
long tj_json(const TjModel *m, char *buf, size_t size);

/* Weight values: small multiples of 1/8 in [-2, 2], exact in float,
 * different for each seed and not symmetric in k. */
float tj_value(int seed, long k);

/* ---- the specialiser's test models --------------------------------- *
 * Input x is [1, h, w, c] (given in the Placeholder's shape); outputs as
 * named. Float weights tj_value(seed, k) in the layout TensorFlow gives
 * them (conv HWIO, depthwise HWCM). */

/* y = FusedDepthwiseConv2dNative(Pad(x, [[0,0],[pt,pb],[pl,pr],[0,0]]),
 * filter [3,3,3,2] seed 1, bias [6] seed 2, VALID, stride s,
 * fused_ops [BiasAdd, Relu6]); c = 3. */
void tj_model_pad_depthwise(TjModel *m, int h, int w, int stride, const int pads[4]);

/* TensorFlow's dilated depthwise convolution (3x3, rate 2), as Keras
 * writes DepthwiseConv2D(3, dilation_rate=2) after ZeroPadding2D(pre):
 * Pad (when pre > 0), SpaceToBatchND(block [2,2], paddings
 * [[base,base+eh],[base,base+ew]]), DepthwiseConv2dNative(filter
 * [3,3,2,1] seed 3, VALID), BatchToSpaceND(crops [[0,eh],[0,ew]]) -> y.
 * base 0 is padding='valid', base 2 'same'; eh, ew make the padded size
 * even (tf.required_space_to_batch_paddings). c = 2. */
void tj_model_dilated(TjModel *m, int h, int w, int pre, int base);

/* y = Mul(Mul(1/6, x), Relu6(AddV2(x, 3))) (hard-swish as the RVM model
 * writes it), or with same_x 0 the first x replaced by Sigmoid(x) (not a
 * hard-swish); z = Relu6(ConcatV2(x, x, axis 3)). c = 4. */
void tj_model_hard_swish(TjModel *m, int h, int w, int same_x);

/* a = Mean(x, [1, 2]), b = Mean(x, [3]), keep_dims. c = 3. */
void tj_model_mean(TjModel *m, int h, int w);

/* sp = Split(3, x, num_split 2); sv = SplitV(x, [2, -1, 1], -1);
 * outputs s0 = sp:0, s1 = sp:1, v1 = sv:1, cat = ConcatV2(sv:2, sp:1,
 * sv:0, sp:0, 3). c = 6. */
void tj_model_split_concat(TjModel *m, int h, int w);

/* Scalar input r. pred = Squeeze(Equal(r, [1.0])); sw = Switch(x, pred);
 * y = Merge(Tanh(Mul(sw:0, r)), Sigmoid(sw:1)): sigmoid(x) when r is 1,
 * tanh(r x) otherwise. k = x * tf.cond(pred, 2.0, 3.0) as TF v1 writes a
 * cond of constants: each Const with a control input from its branch's
 * pivot (Identity of Switch(pred, pred)), then Merge. c = 2. */
void tj_model_switch(TjModel *m, int h, int w);

/* Scalar input r. y = ResizeBilinear(x, Cast<int>(Cast<float>(Pack(
 * StridedSlice(Shape(x), [1], [2], [1], shrink), StridedSlice(..., [2],
 * [3], [1], shrink))) * r), half_pixel_centers); z = ResizeBilinear(x,
 * Cast<int>(Cast<float>(StridedSlice(Shape(x), [1], [3], [1])) * 1.5))
 * (neither align_corners nor half-pixel centres). c = 2. */
void tj_model_shape_resize(TjModel *m, int h, int w);

/* y = _FusedConv2D(x, filter [3,2,2,3] seed 4, bias [3] seed 5, SAME,
 * stride 2, fused_ops [BiasAdd, Relu]). c = 2. */
void tj_model_fused_conv(TjModel *m, int h, int w);

#endif
