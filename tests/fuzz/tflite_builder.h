/*
 * A small writer of .tflite files for tests: a model is described as plain
 * structs (tensors with optional constant bytes, operators with their
 * options as raw fields), then serialised as a FlatBuffer the way the TFLite
 * schema lays it out. Tests edit a description to make one thing wrong at a
 * time; the fuzz seed generator writes a few valid ones. Independent of the
 * reader's code.
 *
 * tb_mini_model() describes a 16-operator model that uses every operator
 * the reader supports (both ADD/MUL operand orders, MEAN, DEQUANTIZE of
 * FLOAT16 weights, a convolution without bias, the MediaPipe transposed
 * convolution) on an 8x8x3 input, in about 3 KB.
 */
#ifndef TESTS_TFLITE_BUILDER_H
#define TESTS_TFLITE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#define TB_MAX_TENSORS 48
#define TB_MAX_OPS 24
#define TB_MAX_ARGS 8
#define TB_MAX_FIELDS 8

/* TensorType, BuiltinOperator and BuiltinOptions values (schema.fbs). */
enum { TB_FLOAT32 = 0, TB_FLOAT16 = 1, TB_INT32 = 2, TB_UINT8 = 3, TB_INT8 = 9 };
enum {
    TB_ADD = 0, TB_AVERAGE_POOL_2D = 1, TB_CONV_2D = 3, TB_DEPTHWISE_CONV_2D = 4, TB_DEQUANTIZE = 6,
    TB_LOGISTIC = 14, TB_MUL = 18, TB_RELU = 19, TB_RESIZE_BILINEAR = 23, TB_SOFTMAX = 25, TB_CUSTOM = 32,
    TB_MEAN = 40, TB_TRANSPOSE_CONV = 67, TB_HARD_SWISH = 117,
};
enum {
    TB_OPT_CONV_2D = 1, TB_OPT_DEPTHWISE_CONV_2D = 2, TB_OPT_POOL_2D = 5, TB_OPT_ADD = 11,
    TB_OPT_RESIZE_BILINEAR = 15, TB_OPT_MUL = 21, TB_OPT_REDUCER = 27, TB_OPT_TRANSPOSE_CONV = 49,
};

typedef enum TbKind { TB_I8 = 1, TB_I32 } TbKind;

/* One scalar field of an options table. */
typedef struct TbField {
    int id;
    TbKind kind;
    int32_t value;
} TbField;

typedef struct TbTensor {
    const char *name;
    int type;
    int rank;                 /* 0..6: tests write invalid ranks too */
    int32_t shape[6];
    const void *data;         /* constant bytes (little-endian), or NULL */
    size_t data_size;
    int buffer;               /* -1: automatic (0 without data); else this index */
} TbTensor;

typedef struct TbOp {
    int builtin;
    const char *custom_code;  /* for TB_CUSTOM */
    int num_inputs, num_outputs;
    int32_t inputs[TB_MAX_ARGS], outputs[TB_MAX_ARGS];
    int options_type;         /* 0: no builtin options table */
    int num_fields;
    TbField fields[TB_MAX_FIELDS];
    const uint8_t *custom_options;
    size_t custom_options_size;
    int force_opcode_index;   /* nonzero: write opcode_index below instead */
    int32_t opcode_index;
} TbOp;

typedef struct TbModel {
    uint32_t version;
    int num_subgraphs;        /* copies of the one subgraph (tests of > 1) */
    int num_tensors, num_ops;
    TbTensor tensors[TB_MAX_TENSORS];
    TbOp ops[TB_MAX_OPS];
    int num_inputs, num_outputs;
    int32_t inputs[4], outputs[4];
} TbModel;

/* Serialises m; returns a malloc'ed buffer (NULL when out of memory). */
uint8_t *tb_serialize(const TbModel *m, size_t *size);

/* Tensor indices of the mini model, for tests that edit it. */
enum {
    MINI_IN, MINI_W0H, MINI_W0, MINI_B0H, MINI_B0, MINI_C0, MINI_H0, MINI_WD, MINI_D0, MINI_R0, MINI_P0,
    MINI_WC, MINI_BC, MINI_C1, MINI_S0, MINI_M0, MINI_AXES, MINI_G0, MINI_A0, MINI_A1, MINI_SIZE, MINI_U0,
    MINI_WT, MINI_BT, MINI_T0, MINI_OUT, MINI_OUT_SHAPE, MINI_TENSORS
};
/* Operator indices of the mini model. */
enum {
    MINI_OP_DEQ_W0, MINI_OP_DEQ_B0, MINI_OP_CONV0, MINI_OP_HSWISH, MINI_OP_DW, MINI_OP_RELU, MINI_OP_POOL,
    MINI_OP_CONV1, MINI_OP_SIGMOID, MINI_OP_MUL, MINI_OP_MEAN, MINI_OP_ADD_BCAST, MINI_OP_ADD, MINI_OP_RESIZE,
    MINI_OP_TCONV, MINI_OP_LOGISTIC, MINI_OPS
};

/* Fills m with the mini model; builtin_tconv selects builtin TRANSPOSE_CONV
 * (with an output_shape tensor) instead of the MediaPipe custom op. */
void tb_mini_model(TbModel *m, int builtin_tconv);

/* The options field of op with this id (added if absent). */
TbField *tb_field(TbOp *op, int id, TbKind kind);

#endif
