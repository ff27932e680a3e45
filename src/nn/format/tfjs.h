/*
 * The TensorFlow.js graph-model reader: model.json + its weight shards, in
 * memory -> TfjsModel, a validated and owned copy of the TensorFlow graph.
 *
 * This is not yet an NnGraph (graph.h): a TF.js graph still computes shapes
 * at run time (Shape, StridedSlice, Pack...) and has v1 control flow
 * (Switch/Merge). Specialising it into a static NnGraph for one input size
 * is a later step that starts from this structure. What the reader already
 * guarantees, so that step need not check it again:
 *
 *  - nodes have distinct names (printable ASCII without ':' or a leading
 *    '^'; at most TFJS_MAX_NAME bytes) and an op of the supported list
 *    (tfjs.c: ops[]; anything else is BACKDROP_ENOTSUP naming node and op);
 *  - every input is resolved: a node index in [0, num_nodes), an output
 *    index in [0, TFJS_MAX_OUTPUT_INDEX] (0 for control inputs), a control
 *    flag ("^name" in the file). Whether that output exists for the op is
 *    the next step's business: it depends on attributes (Split num_split);
 *  - the graph, control edges included, is acyclic; order[] lists every
 *    node once, each after all its inputs (deterministic: Kahn's
 *    algorithm with a queue seeded in file order);
 *  - attributes are decoded from the protobuf JSON mapping: int64 given as
 *    strings or numbers, strings (base64 in the file) decoded and
 *    NUL-terminated (a string with a NUL inside is refused), types as
 *    TfjsDataType. An empty list ("list": {}) is TFJS_ATTR_LIST_EMPTY;
 *  - weights: every manifest entry, in manifest order, decoded: float32
 *    (dequantised from uint8/uint16 as float32(q * scale + min) computed in
 *    double, or from float16) into f32; int32 and bool (0/1) into i32.
 *    Exactly the bytes of the shards were used: none missing, none left;
 *  - every Const node is linked to the weight of its name (weight index on
 *    the node, node index on the weight), whose dtype and shape agree with
 *    the node's "dtype" and "value" attributes when those are present.
 *    Inline tensor values in the JSON are refused (ENOTSUP): the TF.js
 *    converter puts every constant in the weights;
 *  - signature inputs name Placeholder nodes, outputs any node; both keep
 *    the file's order and name a node output as "node:k" (":k" optional).
 */
#ifndef BACKDROP_NN_FORMAT_TFJS_H
#define BACKDROP_NN_FORMAT_TFJS_H

#include <stddef.h>
#include <stdint.h>

/* Bounds that keep a hostile file from making us allocate without limit.
 * The RVM model has 910 nodes, 425 weights, names of up to ~200 bytes,
 * at most 6 inputs per node and 12 attributes. */
#define TFJS_MAX_JSON_BYTES ((size_t)64 << 20)
#define TFJS_MAX_WEIGHT_BYTES ((size_t)1 << 30) /* sum of the shards */
#define TFJS_MAX_NODES 100000
#define TFJS_MAX_WEIGHTS 100000
#define TFJS_MAX_NODE_INPUTS 4096
#define TFJS_MAX_ATTRS 256
#define TFJS_MAX_LIST 65536 /* elements of a list attribute */
#define TFJS_MAX_NAME 4096
#define TFJS_MAX_OUTPUT_INDEX 65535
#define TFJS_MAX_RANK 8
#define TFJS_JSON_DEPTH 32 /* json-c nesting limit; model.json needs ~9 */

/* TensorFlow DataType numbers (tensorflow/core/framework/types.proto),
 * the ones the reader names. Others are refused (ENOTSUP). */
typedef enum TfjsDataType {
    TFJS_DT_FLOAT = 1,
    TFJS_DT_DOUBLE = 2,
    TFJS_DT_INT32 = 3,
    TFJS_DT_UINT8 = 4,
    TFJS_DT_INT16 = 5,
    TFJS_DT_INT8 = 6,
    TFJS_DT_STRING = 7,
    TFJS_DT_COMPLEX64 = 8,
    TFJS_DT_INT64 = 9,
    TFJS_DT_BOOL = 10,
    TFJS_DT_UINT16 = 17,
    TFJS_DT_HALF = 19,
} TfjsDataType;

typedef enum TfjsAttrKind {
    TFJS_ATTR_INT,         /* i */
    TFJS_ATTR_FLOAT,       /* f */
    TFJS_ATTR_BOOL,        /* b (0 or 1) */
    TFJS_ATTR_STRING,      /* s */
    TFJS_ATTR_TYPE,        /* type */
    TFJS_ATTR_SHAPE,       /* rank (-1: unknown rank), dims (each >= -1; -1 unknown) */
    TFJS_ATTR_TENSOR,      /* type (dtype), rank >= 0, dims (each >= 0): a Const's shape */
    TFJS_ATTR_LIST_EMPTY,  /* count = 0 */
    TFJS_ATTR_LIST_INT,    /* count, ints */
    TFJS_ATTR_LIST_FLOAT,  /* count, floats */
    TFJS_ATTR_LIST_STRING, /* count, strings */
    TFJS_ATTR_LIST_TYPE,   /* count, types */
} TfjsAttrKind;

/* One attribute; only the fields of its kind are set, the others are 0. */
typedef struct TfjsAttr {
    char *name;
    TfjsAttrKind kind;
    int64_t i;
    double f;
    int b;
    int type;       /* TfjsDataType */
    char *s;        /* decoded bytes + NUL */
    int rank;
    int64_t dims[TFJS_MAX_RANK];
    int count;
    int64_t *ints;
    double *floats;
    char **strings;
    int *types;
} TfjsAttr;

typedef struct TfjsInput {
    int node;
    int output;
    int control; /* "^name": an ordering edge, no data */
} TfjsInput;

typedef struct TfjsNode {
    char *name;
    char *op;
    int num_inputs;
    TfjsInput *inputs;
    int num_attrs;
    TfjsAttr *attrs;
    int weight; /* Const: index into weights; other ops: -1 */
} TfjsNode;

typedef enum TfjsDtype { TFJS_FLOAT32 = 0, TFJS_INT32, TFJS_BOOL } TfjsDtype;

/* How a weight was stored in the shard. */
typedef enum TfjsQuant { TFJS_QUANT_NONE = 0, TFJS_QUANT_UINT8, TFJS_QUANT_UINT16, TFJS_QUANT_FLOAT16 } TfjsQuant;

typedef struct TfjsWeight {
    char *name;
    int rank; /* 0: a scalar */
    int64_t shape[TFJS_MAX_RANK];
    TfjsDtype dtype;
    size_t count;    /* product of shape (1 for a scalar, 0 if a dim is 0) */
    TfjsQuant quant;
    double min, scale; /* uint8/uint16 only: finite, scale >= 0 */
    float *f32;      /* FLOAT32: count values (NULL when count is 0) */
    int32_t *i32;    /* INT32, BOOL: count values */
    int node;        /* the Const node of this name, or -1 (unused weight) */
} TfjsWeight;

/* A signature entry: key -> output 'output' of node 'node'. */
typedef struct TfjsPort {
    char *key;
    int node;
    int output;
} TfjsPort;

typedef struct TfjsModel {
    int num_nodes;
    TfjsNode *nodes;
    int *order; /* num_nodes entries: a topological order */
    int num_weights;
    TfjsWeight *weights;
    int num_inputs;
    TfjsPort *inputs;
    int num_outputs;
    TfjsPort *outputs;
} TfjsModel;

/* Reads a graph model. json/json_size: model.json; shards[i]/shard_sizes[i]:
 * the weight files in manifest order (every group's "paths", groups in
 * order), num_shards of them: exactly as many as the manifest lists.
 * Nothing of the buffers is referenced after return. On failure returns
 * BACKDROP_EINVAL (malformed), BACKDROP_ENOTSUP (valid but unsupported: op,
 * dtype, inline tensor, size over the bounds above) or BACKDROP_ENOMEM,
 * writes a one-line reason naming the node or weight into err (may be
 * NULL) and leaves *m empty (zeroed). *m is overwritten, not freed. */
int tfjs_model_read(TfjsModel *m, const uint8_t *json, size_t json_size, const uint8_t *const *shards,
                    const size_t *shard_sizes, int num_shards, char *err, size_t errlen);

/* Frees everything and zeroes *m; safe on an empty model. */
void tfjs_model_free(TfjsModel *m);

/* Index of the node called name, or -1. Linear. */
int tfjs_model_find_node(const TfjsModel *m, const char *name);

/* The attribute called name of a node, or NULL. */
const TfjsAttr *tfjs_node_attr(const TfjsNode *n, const char *name);

#endif
