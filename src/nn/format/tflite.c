/*
 * The .tflite reader: a FlatBuffers file in memory -> NnGraph (graph.h).
 *
 * The file is untrusted. Every byte is read through the accessors below,
 * which check offset and size against the buffer before touching it, load
 * with memcpy (nothing in the file is assumed aligned) and decode little-
 * endian whatever the host. The walk follows the TFLite schema top-down with
 * a fixed depth (Model -> SubGraph -> Tensor/Operator -> options table, plus
 * Buffer and OperatorCode), so nesting is bounded by the code itself; there
 * is no recursion. FlatBuffers offsets to tables, vectors and strings are
 * unsigned and non-zero, so they only point forward and cannot loop; a
 * shared sub-object (legal in FlatBuffers) is simply read twice, and the
 * amounts copied out of the file are capped (counts, names, constants).
 *
 * Each operator is checked as it is read (types, operand roles, options,
 * shapes, execution order), in the file's terms: error messages use the
 * file's indices and names, as a model viewer shows them. FLOAT16 constants
 * feeding DEQUANTIZE are folded: the DEQUANTIZE output becomes a float32
 * constant and the op disappears. Tensors are compacted to the ones the
 * remaining ops use, so graph indices are not the file's. The finished
 * graph then goes through nn_graph_validate(), the IR's own rules, like
 * every reader's; what this file checks first only serves better messages
 * and the refinements listed in tflite.h.
 *
 * Schema facts used (tensorflow/lite/schema/schema.fbs, version 3):
 *   Model:        0 version:uint, 1 operator_codes:[OperatorCode],
 *                 2 subgraphs:[SubGraph], 4 buffers:[Buffer]
 *   SubGraph:     0 tensors:[Tensor], 1 inputs:[int], 2 outputs:[int],
 *                 3 operators:[Operator]
 *   Tensor:       0 shape:[int], 1 type:byte, 2 buffer:uint, 3 name:string,
 *                 5 is_variable:bool, 6 sparsity:table
 *   Buffer:       0 data:[ubyte], 1 offset:ulong, 2 size:ulong
 *   OperatorCode: 0 deprecated_builtin_code:byte, 1 custom_code:string,
 *                 2 version:int, 3 builtin_code:int
 *   Operator:     0 opcode_index:uint, 1 inputs:[int], 2 outputs:[int],
 *                 3 builtin_options_type:ubyte, 4 builtin_options:table,
 *                 5 custom_options:[ubyte]
 */
#include "tflite.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"

#define MODEL_MAX_BYTES ((size_t)256 << 20)
/* Far above the selfie models (360 tensors, 246 operators, 116 buffers);
 * they bound what a hostile file can make us allocate per entry. */
#define MAX_TENSORS 65536
#define MAX_OPERATORS 65536
#define MAX_OP_ARGS 8          /* longest inputs/outputs list accepted */
#define NAME_MAX_COPY 255      /* names are for people: longer ones are cut */
#define RESIZE_MAX_SIZE 16384

/* TensorType values. */
enum { TT_FLOAT32 = 0, TT_FLOAT16 = 1, TT_INT32 = 2 };

/* BuiltinOperator values this reader knows. */
enum {
    OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONV_2D = 3, OP_DEPTHWISE_CONV_2D = 4,
    OP_DEQUANTIZE = 6, OP_LOGISTIC = 14, OP_MUL = 18, OP_RELU = 19,
    OP_RESIZE_BILINEAR = 23, OP_CUSTOM = 32, OP_MEAN = 40, OP_TRANSPOSE_CONV = 67,
    OP_HARD_SWISH = 117,
};

/* BuiltinOptions union tags (1-based position in the schema's union). */
enum {
    OPT_CONV_2D = 1, OPT_DEPTHWISE_CONV_2D = 2, OPT_POOL_2D = 5, OPT_ADD = 11,
    OPT_RESIZE_BILINEAR = 15, OPT_MUL = 21, OPT_REDUCER = 27, OPT_TRANSPOSE_CONV = 49,
};

#define CUSTOM_TRANSPOSE_CONV "Convolution2DTransposeBias"

/* ======================================================================
 * Errors
 * ====================================================================== */

typedef struct Reader {
    const uint8_t *data;
    size_t size;
    char *err;
    size_t errlen;
    /* What is being read, prefixed to accessor errors: "tensor 3 'x'". */
    char where[128];
} Reader;

#ifdef __GNUC__
__attribute__((format(printf, 3, 4)))
#endif
static int fail(Reader *r, int code, const char *fmt, ...)
{
    if (r->err && r->errlen) {
        size_t used = 0;
        if (r->where[0]) {
            int n = snprintf(r->err, r->errlen, "%s: ", r->where);
            used = n < 0 ? 0 : (size_t)n >= r->errlen ? r->errlen - 1 : (size_t)n;
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + used, r->errlen - used, fmt, ap);
        va_end(ap);
    }
    return code;
}

#ifdef __GNUC__
__attribute__((format(printf, 2, 3)))
#endif
static void set_where(Reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->where, sizeof(r->where), fmt, ap);
    va_end(ap);
}

/* Copies at most cap bytes of a file string into out (NUL-terminated),
 * replacing control characters so a message stays on one line. */
static void clean_copy(char *out, size_t outsize, const uint8_t *s, size_t len)
{
    size_t n = len < outsize - 1 ? len : outsize - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] < 0x20 || s[i] >= 0x7f) ? '?' : (char)s[i]; /* printable ASCII only */
    out[n] = '\0';
}

/* ======================================================================
 * FlatBuffers accessors
 *
 * Positions are size_t offsets from the start of the buffer. A function
 * returns 0 or a BACKDROP_E* code with the message already written.
 * ====================================================================== */

static int in_bounds(const Reader *r, size_t pos, size_t len)
{
    return pos <= r->size && len <= r->size - pos;
}

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int32_t load_i32(const uint8_t *p)
{
    uint32_t u = load_u32(p);
    int32_t v;
    memcpy(&v, &u, sizeof(v)); /* two's complement reinterpretation */
    return v;
}

static uint64_t load_u64(const uint8_t *p)
{
    return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

/* A table: its position, and the vtable that describes it. */
typedef struct FbTable {
    size_t pos;
    size_t vtable;
    uint16_t vtable_size; /* bytes, including the two size fields */
    uint16_t table_size;  /* bytes of inline table data, from pos */
} FbTable;

/* A vector: position of element 0 and element count. */
typedef struct FbVec {
    size_t pos;
    uint32_t len;
} FbVec;

/* Opens the table at pos. Its first word is a signed offset back to the
 * vtable (vtable = pos - soffset); the vtable holds its own size, the
 * table's inline size, then one 16-bit field offset per field id. */
static int fb_table_at(Reader *r, size_t pos, const char *what, FbTable *t)
{
    if (!in_bounds(r, pos, 4))
        return fail(r, BACKDROP_EINVAL, "%s: table at %zu lies outside the %zu-byte file", what, pos, r->size);
    int64_t vt = (int64_t)pos - (int64_t)load_i32(r->data + pos);
    if (vt < 0 || !in_bounds(r, (size_t)vt, 4))
        return fail(r, BACKDROP_EINVAL, "%s: vtable of the table at %zu lies outside the file", what, pos);
    t->pos = pos;
    t->vtable = (size_t)vt;
    t->vtable_size = load_u16(r->data + t->vtable);
    t->table_size = load_u16(r->data + t->vtable + 2);
    if (t->vtable_size < 4 || (t->vtable_size & 1) || !in_bounds(r, t->vtable, t->vtable_size))
        return fail(r, BACKDROP_EINVAL, "%s: vtable at %zu has an invalid size %u", what, t->vtable, t->vtable_size);
    if (t->table_size < 4 || !in_bounds(r, pos, t->table_size))
        return fail(r, BACKDROP_EINVAL, "%s: table at %zu has an invalid size %u", what, pos, t->table_size);
    return 0;
}

/* Finds field id of width bytes: *at = its absolute position, or 0 when the
 * field is absent (FlatBuffers then means "the schema default"). */
static int fb_field(Reader *r, const FbTable *t, int id, size_t width, const char *name, size_t *at)
{
    size_t slot = 4 + 2 * (size_t)id;
    *at = 0;
    if (slot + 2 > t->vtable_size)
        return 0; /* written by an older schema: absent */
    uint16_t off = load_u16(r->data + t->vtable + slot);
    if (off == 0)
        return 0;
    if (off < 4 || (size_t)off + width > t->table_size)
        return fail(r, BACKDROP_EINVAL, "field '%s' at table offset %u overruns its %u-byte table", name, off,
                    t->table_size);
    *at = t->pos + off;
    return 0;
}

static int fb_u8(Reader *r, const FbTable *t, int id, const char *name, uint8_t def, uint8_t *v)
{
    size_t at;
    int e = fb_field(r, t, id, 1, name, &at);
    *v = at ? r->data[at] : def;
    return e;
}

static int fb_i8(Reader *r, const FbTable *t, int id, const char *name, int8_t def, int8_t *v)
{
    uint8_t u;
    int e = fb_u8(r, t, id, name, (uint8_t)def, &u);
    *v = (int8_t)(u < 128 ? u : (int)u - 256);
    return e;
}

static int fb_i32(Reader *r, const FbTable *t, int id, const char *name, int32_t def, int32_t *v)
{
    size_t at;
    int e = fb_field(r, t, id, 4, name, &at);
    *v = at ? load_i32(r->data + at) : def;
    return e;
}

static int fb_u32(Reader *r, const FbTable *t, int id, const char *name, uint32_t def, uint32_t *v)
{
    size_t at;
    int e = fb_field(r, t, id, 4, name, &at);
    *v = at ? load_u32(r->data + at) : def;
    return e;
}

static int fb_u64(Reader *r, const FbTable *t, int id, const char *name, uint64_t def, uint64_t *v)
{
    size_t at;
    int e = fb_field(r, t, id, 8, name, &at);
    *v = at ? load_u64(r->data + at) : def;
    return e;
}

/* Follows the unsigned offset stored at 'at' (relative to 'at' itself). */
static int fb_deref(Reader *r, size_t at, const char *name, size_t *target)
{
    uint32_t off = load_u32(r->data + at); /* caller checked 4 bytes at 'at' */
    *target = 0;
    if (off == 0 || !in_bounds(r, at, (size_t)off) || !in_bounds(r, at + off, 4))
        return fail(r, BACKDROP_EINVAL, "'%s': offset %u at %zu points outside the file", name, off, at);
    *target = at + off;
    return 0;
}

/* Sub-table in field id; *present = 0 when absent. */
static int fb_table_field(Reader *r, const FbTable *t, int id, const char *name, FbTable *out, int *present)
{
    size_t at, target;
    int e;
    *present = 0;
    if ((e = fb_field(r, t, id, 4, name, &at)) || !at)
        return e;
    if ((e = fb_deref(r, at, name, &target)) || (e = fb_table_at(r, target, name, out)))
        return e;
    *present = 1;
    return 0;
}

/* Vector of elem_size-byte elements in field id; absent = empty. The length
 * is checked against the bytes left after the length word, by division so
 * that nothing can overflow. */
static int fb_vec_field(Reader *r, const FbTable *t, int id, size_t elem_size, const char *name, FbVec *v)
{
    size_t at, target;
    int e;
    v->pos = 0;
    v->len = 0;
    if ((e = fb_field(r, t, id, 4, name, &at)) || !at)
        return e;
    if ((e = fb_deref(r, at, name, &target)))
        return e;
    uint32_t len = load_u32(r->data + target);
    size_t room = r->size - (target + 4); /* target + 4 <= size: checked by fb_deref */
    if (len > room / elem_size)
        return fail(r, BACKDROP_EINVAL, "vector '%s' of %u elements at %zu overruns the file", name, len, target);
    v->pos = target + 4;
    v->len = len;
    return 0;
}

/* String in field id: a byte vector followed by a NUL, both in bounds.
 * Absent = "". *s points into the file and is not NUL-terminated by
 * contract of the caller's use (length given). */
static int fb_string_field(Reader *r, const FbTable *t, int id, const char *name, const uint8_t **s, size_t *len)
{
    FbVec v;
    int e = fb_vec_field(r, t, id, 1, name, &v);
    *s = (const uint8_t *)"";
    *len = 0;
    if (e || !v.pos)
        return e;
    if (!in_bounds(r, v.pos, (size_t)v.len + 1) || r->data[v.pos + v.len] != 0)
        return fail(r, BACKDROP_EINVAL, "string '%s' at %zu is not NUL-terminated", name, v.pos);
    *s = r->data + v.pos;
    *len = v.len;
    return 0;
}

/* Element i (< v->len, checked by the caller) of a vector of tables. */
static int fb_vec_table(Reader *r, const FbVec *v, uint32_t i, const char *name, FbTable *out)
{
    size_t target;
    int e = fb_deref(r, v->pos + (size_t)i * 4, name, &target);
    return e ? e : fb_table_at(r, target, name, out);
}

static int32_t fb_vec_i32(const Reader *r, const FbVec *v, uint32_t i)
{
    return load_i32(r->data + v->pos + (size_t)i * 4);
}

/* ======================================================================
 * IEEE 754 half -> single
 * ====================================================================== */

/* Exact for every pattern: normals rebias the exponent (15 -> 127),
 * subnormals (value = mantissa * 2^-24) are renormalised, zeros keep their
 * sign, infinities stay infinite and NaNs keep sign and payload (shifted
 * into the top of the single mantissa, so a quiet NaN stays quiet). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | mantissa << 13;
    } else if (exponent != 0) {
        bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        /* Shift the leading 1 up to bit 10 (the implicit bit of a normal);
         * each shift lowers the exponent by one. At most 10 iterations. */
        uint32_t e = 127 - 15 + 1;
        while (!(mantissa & 0x400)) {
            mantissa <<= 1;
            e--;
        }
        bits = sign | e << 23 | (mantissa & 0x3ff) << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

/* ======================================================================
 * The model, as read from the file
 * ====================================================================== */

typedef enum Def {
    DEF_NONE = 0, /* not yet written: using it is an error */
    DEF_CONST,    /* constant: file data, a folded DEQUANTIZE, or a zero bias */
    DEF_INPUT,    /* the graph input */
    DEF_OP,       /* written by a kept operator */
} Def;

typedef enum Source {
    SRC_NONE = 0,
    SRC_FILE,     /* data points into the file, type as tensor type */
    SRC_FLOAT16,  /* folded DEQUANTIZE: data points to FLOAT16 file bytes */
    SRC_ZERO,     /* synthesised bias of a convolution without one */
} Source;

typedef struct FileTensor {
    int type;
    int rank;
    int32_t shape[NN_MAX_RANK];
    size_t count;
    const uint8_t *data; /* buffer bytes in the file, NULL if none */
    size_t data_size;
    const uint8_t *name; /* in the file (or a literal), name_len bytes */
    size_t name_len;
    int synthetic_op;    /* SRC_ZERO only: the file op it was made for */
    Def def;
    Source src;
    int used;            /* referenced by the final graph */
    int index;           /* index in the final graph */
} FileTensor;

typedef struct Loader {
    Reader r;
    FbVec opcodes, buffers;
    FbTable subgraph;
    FileTensor *tensors; /* num_file_tensors entries, then synthesised ones */
    int num_file_tensors, num_tensors, max_tensors;
    NnOp *ops;
    int num_ops;
    int *producer;       /* per tensor: index in ops of its writer, or -1 */
    int input, output;   /* file indices */
} Loader;

static const char *const builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION",
    "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN",
    "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
    "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
    "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",
    "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
    "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",
    "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY",
    "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
    "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
    "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
    "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
    "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
    "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
    "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
    "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU",
    "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",
    "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
    "RIGHT_SHIFT",
};

/* Name of a builtin code for messages; out-of-table codes get a number. */
static const char *builtin_name(int32_t code, char *buf, size_t bufsize)
{
    if (code >= 0 && (size_t)code < sizeof(builtin_names) / sizeof(builtin_names[0]))
        return builtin_names[code];
    snprintf(buf, bufsize, "BUILTIN_%ld", (long)code);
    return buf;
}

static const char *type_name(int type)
{
    static const char *const names[] = { "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING",
                                         "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64",
                                         "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32",
                                         "UINT16", "INT4" };
    return type >= 0 && (size_t)type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown type";
}

/* "tensor 17 'conv2d_3/Kernel'" (file index, cleaned name) into buf. */
static const char *tensor_label(const Loader *L, int i, char *buf, size_t bufsize)
{
    const FileTensor *t = &L->tensors[i];
    char name[64];
    clean_copy(name, sizeof(name), t->name, t->name_len);
    if (t->src == SRC_ZERO)
        snprintf(buf, bufsize, "zero bias of op %d", t->synthetic_op);
    else
        snprintf(buf, bufsize, "tensor %d '%s'", i, name);
    return buf;
}

static size_t type_size(int type)
{
    return type == TT_FLOAT16 ? 2 : 4;
}

/* ---- tensors ----------------------------------------------------------- */

static int read_tensor(Loader *L, const FbVec *vec, int i)
{
    Reader *r = &L->r;
    FileTensor *t = &L->tensors[i];
    FbTable tt;
    int e;
    set_where(r, "tensor %d", i);
    if ((e = fb_vec_table(r, vec, (uint32_t)i, "tensors", &tt)))
        return e;
    if ((e = fb_string_field(r, &tt, 3, "name", &t->name, &t->name_len)))
        return e;
    char label[sizeof(r->where)];
    char name[64];
    clean_copy(name, sizeof(name), t->name, t->name_len);
    set_where(r, "tensor %d '%s'", i, name);
    snprintf(label, sizeof(label), "%s", r->where);

    FbVec shape;
    int8_t type;
    uint32_t buffer;
    uint8_t is_variable;
    FbTable sub;
    int has_sparsity;
    if ((e = fb_vec_field(r, &tt, 0, 4, "shape", &shape)) || (e = fb_i8(r, &tt, 1, "type", 0, &type)) ||
        (e = fb_u32(r, &tt, 2, "buffer", 0, &buffer)) || (e = fb_u8(r, &tt, 5, "is_variable", 0, &is_variable)) ||
        (e = fb_table_field(r, &tt, 6, "sparsity", &sub, &has_sparsity)))
        return e;

    if (shape.len < 1 || shape.len > NN_MAX_RANK)
        return fail(r, BACKDROP_ENOTSUP, "rank %u; supported ranks are 1 to %d", shape.len, NN_MAX_RANK);
    t->rank = (int)shape.len;
    t->count = 1;
    for (int d = 0; d < t->rank; d++) {
        int32_t dim = fb_vec_i32(r, &shape, (uint32_t)d);
        if (dim < 1)
            return fail(r, BACKDROP_EINVAL, "dimension %d is %ld; dimensions must be positive", d, (long)dim);
        /* count * dim <= NN_MAX_ELEMENTS, tested without overflow */
        if ((size_t)dim > NN_MAX_ELEMENTS / t->count)
            return fail(r, BACKDROP_ENOTSUP, "more than %zu elements (dimension %d is %ld)", NN_MAX_ELEMENTS, d,
                        (long)dim);
        t->shape[d] = dim;
        t->count *= (size_t)dim;
    }
    t->type = type;
    if (type != TT_FLOAT32 && type != TT_FLOAT16 && type != TT_INT32)
        return fail(r, BACKDROP_ENOTSUP, "type %s (%d) is not supported", type_name(type), type);
    if (is_variable)
        return fail(r, BACKDROP_ENOTSUP, "variable tensors are not supported");
    if (has_sparsity)
        return fail(r, BACKDROP_ENOTSUP, "sparse tensors are not supported");

    if (buffer >= L->buffers.len)
        return fail(r, BACKDROP_EINVAL, "buffer index %lu is out of range (%u buffers)", (unsigned long)buffer,
                    L->buffers.len);
    FbTable bt;
    FbVec bytes;
    uint64_t ext_offset, ext_size;
    set_where(r, "%s: buffer %lu", label, (unsigned long)buffer);
    if ((e = fb_vec_table(r, &L->buffers, buffer, "buffers", &bt)) || (e = fb_vec_field(r, &bt, 0, 1, "data", &bytes)) ||
        (e = fb_u64(r, &bt, 1, "offset", 0, &ext_offset)) || (e = fb_u64(r, &bt, 2, "size", 0, &ext_size)))
        return e;
    /* Models over 2 GB keep buffer data after the FlatBuffer ("valid if
     * offset > 1"); we read models of at most 256 MiB. */
    if (ext_offset > 1 || ext_size > 0)
        return fail(r, BACKDROP_ENOTSUP, "data stored outside the FlatBuffer is not supported");
    set_where(r, "%s", label);
    if (bytes.len > 0) {
        /* count <= NN_MAX_ELEMENTS, so count * 4 cannot overflow size_t */
        size_t need = t->count * type_size(t->type);
        if (bytes.len != need)
            return fail(r, BACKDROP_EINVAL, "buffer %lu holds %u bytes, shape needs %zu", (unsigned long)buffer,
                        bytes.len, need);
        t->data = r->data + bytes.pos;
        t->data_size = bytes.len;
        t->def = DEF_CONST;
        t->src = SRC_FILE;
    } else if (t->type != TT_FLOAT32) {
        return fail(r, BACKDROP_ENOTSUP, "%s tensors must be constants (only FLOAT32 activations are supported)",
                    type_name(t->type));
    }
    return 0;
}

/* ---- graph input and output -------------------------------------------- */

static int read_io(Loader *L, int id, const char *what, int channels, int *out)
{
    Reader *r = &L->r;
    FbVec v;
    int e;
    set_where(r, "subgraph 0");
    if ((e = fb_vec_field(r, &L->subgraph, id, 4, what, &v)))
        return e;
    if (v.len != 1)
        return fail(r, v.len ? BACKDROP_ENOTSUP : BACKDROP_EINVAL, "%u graph %ss; exactly one is supported", v.len,
                    what);
    int32_t i = fb_vec_i32(r, &v, 0);
    if (i < 0 || i >= L->num_file_tensors)
        return fail(r, BACKDROP_EINVAL, "graph %s is tensor %ld, out of range (%d tensors)", what, (long)i,
                    L->num_file_tensors);
    const FileTensor *t = &L->tensors[i];
    char label[96];
    tensor_label(L, i, label, sizeof(label));
    if (t->def == DEF_CONST)
        return fail(r, BACKDROP_EINVAL, "graph %s %s is a constant", what, label);
    if (t->rank != 4 || t->shape[0] != 1 || t->shape[3] != channels)
        return fail(r, BACKDROP_ENOTSUP, "graph %s %s has shape [%ld,%ld,%ld,%ld] (rank %d); expected [1,H,W,%d]",
                    what, label, (long)t->shape[0], (long)(t->rank > 1 ? t->shape[1] : 0),
                    (long)(t->rank > 2 ? t->shape[2] : 0), (long)(t->rank > 3 ? t->shape[3] : 0), t->rank,
                    channels);
    *out = i;
    return 0;
}

/* ======================================================================
 * Operators
 * ====================================================================== */

/* One operator being read: where it came from and what it refers to. */
typedef struct OpCtx {
    int index;         /* in the file */
    char name[64];     /* for messages: "CONV_2D", "Convolution2DTransposeBias" */
    FbTable table;
    int num_in, num_out;
    int32_t in[MAX_OP_ARGS], out[MAX_OP_ARGS];
} OpCtx;

static const char *label_of(const Loader *L, int i, char *buf, size_t n)
{
    return tensor_label(L, i, buf, n);
}

static int check_arg_counts(Loader *L, const OpCtx *c, int min_in, int max_in)
{
    if (c->num_in < min_in || c->num_in > max_in) {
        if (min_in == max_in)
            return fail(&L->r, BACKDROP_EINVAL, "%d inputs, expected %d", c->num_in, min_in);
        return fail(&L->r, BACKDROP_EINVAL, "%d inputs, expected %d to %d", c->num_in, min_in, max_in);
    }
    if (c->num_out != 1)
        return fail(&L->r, BACKDROP_EINVAL, "%d outputs, expected 1", c->num_out);
    return 0;
}

/* Input k must be a tensor already defined (constant, graph input, or
 * written by an earlier operator), of the given type. */
static int use_input(Loader *L, const OpCtx *c, int k, int type, const char *role)
{
    int32_t i = c->in[k];
    char label[96];
    if (i < 0)
        return fail(&L->r, BACKDROP_EINVAL, "%s (input %d) is missing (-1)", role, k);
    label_of(L, i, label, sizeof(label));
    const FileTensor *t = &L->tensors[i];
    if (t->def == DEF_NONE)
        return fail(&L->r, BACKDROP_EINVAL, "%s %s is used before any operator writes it", role, label);
    if (t->type != type)
        return fail(&L->r, t->type == TT_FLOAT16 ? BACKDROP_ENOTSUP : BACKDROP_EINVAL,
                    "%s %s is %s, expected %s", role, label, type_name(t->type), type_name(type));
    return 0;
}

/* The data input of an operator must be computed, not constant: the
 * reader folds nothing but DEQUANTIZE, and executors expect weights only
 * in the weight slots (and in one operand of ADD/MUL). */
static int require_activation(Loader *L, int i, const char *role)
{
    char label[96];
    if (L->tensors[i].def == DEF_CONST)
        return fail(&L->r, BACKDROP_ENOTSUP, "%s %s is a constant; operators on constants are not supported", role,
                    label_of(L, i, label, sizeof(label)));
    return 0;
}

static int require_const(Loader *L, const OpCtx *c, int k, const char *role)
{
    char label[96];
    if (L->tensors[c->in[k]].def != DEF_CONST)
        return fail(&L->r, BACKDROP_ENOTSUP, "%s %s is not a constant", role, label_of(L, c->in[k], label, sizeof(label)));
    return 0;
}

/* The output must be a FLOAT32 tensor that nothing has defined yet. */
static int check_output(Loader *L, const OpCtx *c)
{
    int32_t o = c->out[0];
    char label[96];
    if (o < 0)
        return fail(&L->r, BACKDROP_EINVAL, "output is missing (-1)");
    label_of(L, o, label, sizeof(label));
    const FileTensor *t = &L->tensors[o];
    if (t->type != TT_FLOAT32)
        return fail(&L->r, BACKDROP_EINVAL, "output %s is %s, expected FLOAT32", label, type_name(t->type));
    if (t->def == DEF_CONST)
        return fail(&L->r, BACKDROP_EINVAL, "output %s is a constant", label);
    if (t->def == DEF_INPUT)
        return fail(&L->r, BACKDROP_EINVAL, "output %s is the graph input", label);
    if (t->def == DEF_OP)
        return fail(&L->r, BACKDROP_EINVAL, "output %s is already written by an earlier operator", label);
    return 0;
}

static int shape_is(const FileTensor *t, int rank, const int32_t *dims)
{
    if (t->rank != rank)
        return 0;
    for (int d = 0; d < rank; d++)
        if (t->shape[d] != dims[d])
            return 0;
    return 1;
}

static void shape_str(const FileTensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < t->rank && used < n; d++) {
        int k = snprintf(buf + used, n - used, "%s%ld", d ? "," : "[", (long)t->shape[d]);
        used += k > 0 ? (size_t)k : 0;
    }
    if (used < n)
        snprintf(buf + used, n - used, "]");
}

static int fail_shape(Loader *L, const char *role, int i, const char *expected)
{
    char label[96], shape[64];
    label_of(L, i, label, sizeof(label));
    shape_str(&L->tensors[i], shape, sizeof(shape));
    return fail(&L->r, BACKDROP_EINVAL, "%s %s has shape %s, expected %s", role, label, shape, expected);
}

/* Activations flowing through operators are [1,H,W,C]. */
static int require_nhwc(Loader *L, int i, const char *role)
{
    const FileTensor *t = &L->tensors[i];
    if (t->rank != 4 || t->shape[0] != 1)
        return fail_shape(L, role, i, "[1,H,W,C]");
    return 0;
}

static int read_activation(Loader *L, int8_t code, NnActivation *act)
{
    switch (code) {
    case 0: *act = NN_ACT_NONE; return 0;
    case 1: *act = NN_ACT_RELU; return 0;
    case 2: *act = NN_ACT_RELU_N1_TO_1; return 0;
    case 3: *act = NN_ACT_RELU6; return 0;
    case 4: return fail(&L->r, BACKDROP_ENOTSUP, "fused activation TANH is not supported");
    case 5: return fail(&L->r, BACKDROP_ENOTSUP, "fused activation SIGN_BIT is not supported");
    default: return fail(&L->r, BACKDROP_EINVAL, "fused activation %d is invalid", code);
    }
}

static int read_padding(Loader *L, int8_t code, NnPadding *pad)
{
    if (code == 0)
        *pad = NN_PAD_SAME;
    else if (code == 1)
        *pad = NN_PAD_VALID;
    else
        return fail(&L->r, BACKDROP_EINVAL, "padding %d is invalid", code);
    return 0;
}

/* The builtin options table, when present, must be of the expected union
 * type. Absent options mean every field takes its schema default. */
static int options_table(Loader *L, const OpCtx *c, int expected, FbTable *opt, int *present)
{
    uint8_t type;
    int e;
    if ((e = fb_u8(&L->r, &c->table, 3, "builtin_options_type", 0, &type)) ||
        (e = fb_table_field(&L->r, &c->table, 4, "builtin_options", opt, present)))
        return e;
    if (*present && type != expected)
        return fail(&L->r, BACKDROP_EINVAL, "builtin options of union type %u, expected %d", type, expected);
    return 0;
}

/* Output size of a convolution or pooling window along one axis, TFLite's
 * rule: SAME = ceil(in / stride), VALID = ceil((in - eff + 1) / stride).
 * Returns 0 when VALID leaves nothing. */
static int64_t window_out(NnPadding pad, int64_t in, int64_t eff, int64_t stride)
{
    if (pad == NN_PAD_SAME)
        return (in + stride - 1) / stride;
    return in >= eff ? (in - eff + stride) / stride : 0;
}

/* Checks stride/dilation >= 1 and that out matches the window rule; also
 * that (out - 1) * stride + eff fits in int, so executors may compute
 * padding in int. axis: "height"/"width". */
static int check_window(Loader *L, const char *axis, NnPadding pad, int64_t in, int64_t k, int64_t stride,
                        int64_t dilation, int64_t out)
{
    if (stride < 1)
        return fail(&L->r, BACKDROP_EINVAL, "%s stride %lld must be positive", axis, (long long)stride);
    if (dilation < 1)
        return fail(&L->r, BACKDROP_EINVAL, "%s dilation %lld must be positive", axis, (long long)dilation);
    int64_t eff = (k - 1) * dilation + 1; /* k <= NN_MAX_ELEMENTS, dilation < 2^31: no overflow */
    int64_t want = window_out(pad, in, eff, stride);
    if (want < 1)
        return fail(&L->r, BACKDROP_EINVAL, "VALID window of %lld is larger than the input %s %lld",
                    (long long)eff, axis, (long long)in);
    if (out != want)
        return fail(&L->r, BACKDROP_EINVAL, "output %s is %lld; %s padding, stride %lld and window %lld give %lld",
                    axis, (long long)out, pad == NN_PAD_SAME ? "SAME" : "VALID", (long long)stride, (long long)eff,
                    (long long)want);
    if ((out - 1) * stride + eff > INT_MAX)
        return fail(&L->r, BACKDROP_ENOTSUP, "%s window span exceeds %d", axis, INT_MAX);
    return 0;
}

static NnOp *new_op(Loader *L, NnOpType type, const OpCtx *c)
{
    NnOp *op = &L->ops[L->num_ops];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->output = c->out[0];
    return op;
}

/* Records a kept op: its output is now defined. */
static void commit_op(Loader *L, NnOp *op)
{
    L->tensors[op->output].def = DEF_OP;
    L->producer[op->output] = L->num_ops;
    L->num_ops++;
}

/* A convolution without bias gets a zero bias of n elements, so every
 * convolution in the IR has three inputs. */
static int zero_bias(Loader *L, const OpCtx *c, int32_t n, int *index)
{
    if (L->num_tensors >= L->max_tensors)
        return fail(&L->r, BACKDROP_EINVAL, "too many tensors"); /* cannot happen: one slot per op */
    FileTensor *t = &L->tensors[L->num_tensors];
    memset(t, 0, sizeof(*t));
    t->type = TT_FLOAT32;
    t->rank = 1;
    t->shape[0] = n;
    t->count = (size_t)n;
    t->name = (const uint8_t *)"zero_bias";
    t->name_len = 9;
    t->synthetic_op = c->index;
    t->def = DEF_CONST;
    t->src = SRC_ZERO;
    *index = L->num_tensors++;
    return 0;
}

/* Bias of a convolution: input k, optional (absent or -1) -> zeros. */
static int conv_bias(Loader *L, const OpCtx *c, int k, int32_t channels, int *index)
{
    int e;
    if (k >= c->num_in || c->in[k] < 0)
        return zero_bias(L, c, channels, index);
    if ((e = use_input(L, c, k, TT_FLOAT32, "bias")) || (e = require_const(L, c, k, "bias")))
        return e;
    const FileTensor *b = &L->tensors[c->in[k]];
    if (b->rank != 1 || b->shape[0] != channels) {
        char expected[32];
        snprintf(expected, sizeof(expected), "[%ld]", (long)channels);
        return fail_shape(L, "bias", c->in[k], expected);
    }
    *index = c->in[k];
    return 0;
}

static int op_conv(Loader *L, const OpCtx *c, int depthwise)
{
    Reader *r = &L->r;
    FbTable opt;
    int present, e;
    int8_t pad_code = 0, act_code = 0;
    int32_t sw = 0, sh = 0, dw = 1, dh = 1, mult = 0;
    if ((e = check_arg_counts(L, c, 2, 3)) ||
        (e = options_table(L, c, depthwise ? OPT_DEPTHWISE_CONV_2D : OPT_CONV_2D, &opt, &present)))
        return e;
    if (present) {
        /* Same ids 0-2 in both; depthwise inserts depth_multiplier at 3. */
        int a = depthwise ? 4 : 3, d = depthwise ? 5 : 4;
        if ((e = fb_i8(r, &opt, 0, "padding", 0, &pad_code)) || (e = fb_i32(r, &opt, 1, "stride_w", 0, &sw)) ||
            (e = fb_i32(r, &opt, 2, "stride_h", 0, &sh)) ||
            (e = fb_i8(r, &opt, a, "fused_activation_function", 0, &act_code)) ||
            (e = fb_i32(r, &opt, d, "dilation_w_factor", 1, &dw)) ||
            (e = fb_i32(r, &opt, d + 1, "dilation_h_factor", 1, &dh)))
            return e;
        if (depthwise && (e = fb_i32(r, &opt, 3, "depth_multiplier", 0, &mult)))
            return e;
    }
    NnOp op;
    memset(&op, 0, sizeof(op));
    if ((e = read_padding(L, pad_code, &op.padding)) || (e = read_activation(L, act_code, &op.activation)))
        return e;
    if ((e = use_input(L, c, 0, TT_FLOAT32, "input")) || (e = use_input(L, c, 1, TT_FLOAT32, "filter")) ||
        (e = require_const(L, c, 1, "filter")) || (e = check_output(L, c)))
        return e;
    if ((e = require_activation(L, c->in[0], "input")) || (e = require_nhwc(L, c->in[0], "input")) || (e = require_nhwc(L, c->out[0], "output")))
        return e;
    const FileTensor *in = &L->tensors[c->in[0]], *f = &L->tensors[c->in[1]], *out = &L->tensors[c->out[0]];
    int32_t in_c = in->shape[3];
    int32_t out_c;
    if (f->rank != 4)
        return fail_shape(L, "filter", c->in[1], depthwise ? "[1,KH,KW,C*M]" : "[O,KH,KW,I]");
    if (depthwise) {
        out_c = f->shape[3];
        if (f->shape[0] != 1)
            return fail_shape(L, "filter", c->in[1], "[1,KH,KW,C*M]");
        if (out_c % in_c != 0)
            return fail(r, BACKDROP_EINVAL, "filter has %ld channels, not a multiple of the input's %ld",
                        (long)out_c, (long)in_c);
        /* TFLite derives the multiplier from the shapes and ignores the
         * option beyond version 1; a value that contradicts them is wrong. */
        if (mult != 0 && mult != out_c / in_c)
            return fail(r, BACKDROP_EINVAL, "depth_multiplier %ld, but the shapes give %ld", (long)mult,
                        (long)(out_c / in_c));
        op.depth_multiplier = out_c / in_c;
    } else {
        out_c = f->shape[0];
        if (f->shape[3] != in_c)
            return fail(r, BACKDROP_EINVAL, "filter has %ld input channels, input has %ld", (long)f->shape[3],
                        (long)in_c);
    }
    if (out->shape[3] != out_c)
        return fail(r, BACKDROP_EINVAL, "output has %ld channels, filter gives %ld", (long)out->shape[3], (long)out_c);
    if ((e = check_window(L, "height", op.padding, in->shape[1], f->shape[1], sh, dh, out->shape[1])) ||
        (e = check_window(L, "width", op.padding, in->shape[2], f->shape[2], sw, dw, out->shape[2])))
        return e;
    int bias;
    if ((e = conv_bias(L, c, 2, out_c, &bias)))
        return e;
    NnOp *dst = new_op(L, depthwise ? NN_OP_DEPTHWISE_CONV_2D : NN_OP_CONV_2D, c);
    dst->padding = op.padding;
    dst->activation = op.activation;
    dst->depth_multiplier = op.depth_multiplier;
    dst->num_inputs = 3;
    dst->inputs[0] = c->in[0];
    dst->inputs[1] = c->in[1];
    dst->inputs[2] = bias;
    dst->stride_h = sh;
    dst->stride_w = sw;
    dst->dilation_h = dh;
    dst->dilation_w = dw;
    dst->filter_h = f->shape[1];
    dst->filter_w = f->shape[2];
    commit_op(L, dst);
    return 0;
}

/* Transposed convolution, MediaPipe's custom op or builtin TRANSPOSE_CONV.
 * Both are mapped to one IR op whose padding rule is
 *   total = max((in - 1) * stride + k - out, 0), total / 2 before,
 * which is what each runtime computes for the shapes accepted here. */
static int op_transpose_conv(Loader *L, const OpCtx *c, int builtin)
{
    Reader *r = &L->r;
    int e;
    NnPadding pad = NN_PAD_SAME;
    NnActivation act = NN_ACT_NONE;
    int32_t sw, sh;
    int x, w, bias_slot; /* positions of input and weights in the file's list */
    if (builtin) {
        /* inputs: output_shape (INT32 [4]), weights, input, bias (optional) */
        FbTable opt;
        int present;
        int8_t pad_code = 0, act_code = 0;
        sw = sh = 0;
        if ((e = check_arg_counts(L, c, 3, 4)) || (e = options_table(L, c, OPT_TRANSPOSE_CONV, &opt, &present)))
            return e;
        if (present && ((e = fb_i8(r, &opt, 0, "padding", 0, &pad_code)) || (e = fb_i32(r, &opt, 1, "stride_w", 0, &sw)) ||
                        (e = fb_i32(r, &opt, 2, "stride_h", 0, &sh)) ||
                        (e = fb_i8(r, &opt, 3, "fused_activation_function", 0, &act_code))))
            return e;
        if ((e = read_padding(L, pad_code, &pad)) || (e = read_activation(L, act_code, &act)))
            return e;
        x = 2, w = 1, bias_slot = 3;
    } else {
        /* inputs: input, weights, bias. custom_options: MediaPipe hands the
         * raw bytes to the kernel as a TfLiteTransposeConvParams struct:
         * int32 padding (TfLitePadding: 1 SAME, 2 VALID), int32 stride_w,
         * int32 stride_h (little-endian). Newer struct versions append
         * fields MediaPipe ignores; we accept them only as zeros. */
        FbVec opts;
        if ((e = check_arg_counts(L, c, 3, 3)) || (e = fb_vec_field(r, &c->table, 5, 1, "custom_options", &opts)))
            return e;
        if (opts.len < 12)
            return fail(r, BACKDROP_EINVAL, "custom options hold %u bytes, expected 12 (padding, stride_w, stride_h)",
                        opts.len);
        for (uint32_t k = 12; k < opts.len; k++)
            if (r->data[opts.pos + k] != 0)
                return fail(r, BACKDROP_ENOTSUP, "custom options byte %u is non-zero; only padding and strides are supported",
                            k);
        int32_t pad_code = load_i32(r->data + opts.pos);
        sw = load_i32(r->data + opts.pos + 4);
        sh = load_i32(r->data + opts.pos + 8);
        if (pad_code == 1)
            pad = NN_PAD_SAME;
        else if (pad_code == 2)
            pad = NN_PAD_VALID;
        else
            return fail(r, BACKDROP_EINVAL, "custom option padding %ld is invalid (1 SAME, 2 VALID)", (long)pad_code);
        x = 0, w = 1, bias_slot = 2;
    }
    if (sw < 1 || sh < 1)
        return fail(r, BACKDROP_EINVAL, "strides %ldx%ld must be positive", (long)sh, (long)sw);
    if ((e = use_input(L, c, x, TT_FLOAT32, "input")) || (e = use_input(L, c, w, TT_FLOAT32, "filter")) ||
        (e = require_const(L, c, w, "filter")) || (e = check_output(L, c)))
        return e;
    if ((e = require_activation(L, c->in[x], "input")) || (e = require_nhwc(L, c->in[x], "input")) || (e = require_nhwc(L, c->out[0], "output")))
        return e;
    const FileTensor *in = &L->tensors[c->in[x]], *f = &L->tensors[c->in[w]], *out = &L->tensors[c->out[0]];
    if (f->rank != 4)
        return fail_shape(L, "filter", c->in[w], "[O,KH,KW,I]");
    if (f->shape[3] != in->shape[3])
        return fail(r, BACKDROP_EINVAL, "filter has %ld input channels, input has %ld", (long)f->shape[3],
                    (long)in->shape[3]);
    if (out->shape[3] != f->shape[0])
        return fail(r, BACKDROP_EINVAL, "output has %ld channels, filter gives %ld", (long)out->shape[3],
                    (long)f->shape[0]);
    const int64_t ins[2] = { in->shape[1], in->shape[2] }, ks[2] = { f->shape[1], f->shape[2] },
                  st[2] = { sh, sw }, outs[2] = { out->shape[1], out->shape[2] };
    static const char *const axis[2] = { "height", "width" };
    for (int a = 0; a < 2; a++) {
        int64_t span = (ins[a] - 1) * st[a] + ks[a]; /* < 2^26 * 2^31 + 2^26: no overflow */
        if (span > INT_MAX)
            return fail(r, BACKDROP_ENOTSUP, "%s span exceeds %d", axis[a], INT_MAX);
        int64_t want;
        /* Whatever the op, a forward convolution of the output must map
         * back onto the input; then the padding rule above holds. */
        if (window_out(pad, outs[a], ks[a], st[a]) != ins[a])
            return fail(r, BACKDROP_EINVAL, "output %s %lld does not map back to input %s %lld", axis[a],
                        (long long)outs[a], axis[a], (long long)ins[a]);
        if (builtin && pad == NN_PAD_SAME) {
            /* TRANSPOSE_CONV takes its output size from a tensor: SAME
             * leaves it free within one stride. */
            want = outs[a];
        } else if (pad == NN_PAD_SAME) {
            /* MediaPipe: pad = max(0, k - (in - 1) % s - 1), out = span - pad */
            int64_t p = ks[a] - (ins[a] - 1) % st[a] - 1;
            want = span - (p > 0 ? p : 0);
        } else {
            want = span;
        }
        if (outs[a] != want)
            return fail(r, BACKDROP_EINVAL, "output %s is %lld, the operator gives %lld", axis[a], (long long)outs[a],
                        (long long)want);
    }
    if (builtin) {
        /* output_shape: an INT32 constant [4] equal to the output's shape */
        if ((e = use_input(L, c, 0, TT_INT32, "output_shape")) || (e = require_const(L, c, 0, "output_shape")))
            return e;
        const FileTensor *s = &L->tensors[c->in[0]];
        if (s->rank != 1 || s->shape[0] != 4)
            return fail_shape(L, "output_shape", c->in[0], "[4]");
        for (int d = 0; d < 4; d++)
            if (load_i32(s->data + 4 * d) != out->shape[d])
                return fail(r, BACKDROP_EINVAL, "output_shape[%d] is %ld, the output tensor has %ld", d,
                            (long)load_i32(s->data + 4 * d), (long)out->shape[d]);
    }
    int bias;
    if ((e = conv_bias(L, c, bias_slot, f->shape[0], &bias)))
        return e;
    NnOp *dst = new_op(L, NN_OP_TRANSPOSE_CONV_BIAS, c);
    dst->padding = pad;
    dst->activation = act;
    dst->num_inputs = 3;
    dst->inputs[0] = c->in[x];
    dst->inputs[1] = c->in[w];
    dst->inputs[2] = bias;
    dst->stride_h = sh;
    dst->stride_w = sw;
    dst->dilation_h = dst->dilation_w = 1;
    dst->filter_h = f->shape[1];
    dst->filter_w = f->shape[2];
    commit_op(L, dst);
    return 0;
}

static int op_average_pool(Loader *L, const OpCtx *c)
{
    Reader *r = &L->r;
    FbTable opt;
    int present, e;
    int8_t pad_code = 0, act_code = 0;
    int32_t sw = 0, sh = 0, fw = 0, fh = 0;
    if ((e = check_arg_counts(L, c, 1, 1)) || (e = options_table(L, c, OPT_POOL_2D, &opt, &present)))
        return e;
    if (present && ((e = fb_i8(r, &opt, 0, "padding", 0, &pad_code)) || (e = fb_i32(r, &opt, 1, "stride_w", 0, &sw)) ||
                    (e = fb_i32(r, &opt, 2, "stride_h", 0, &sh)) || (e = fb_i32(r, &opt, 3, "filter_width", 0, &fw)) ||
                    (e = fb_i32(r, &opt, 4, "filter_height", 0, &fh)) ||
                    (e = fb_i8(r, &opt, 5, "fused_activation_function", 0, &act_code))))
        return e;
    NnPadding pad = NN_PAD_SAME;
    NnActivation act = NN_ACT_NONE;
    if ((e = read_padding(L, pad_code, &pad)) || (e = read_activation(L, act_code, &act)))
        return e;
    if ((e = use_input(L, c, 0, TT_FLOAT32, "input")) || (e = check_output(L, c)) ||
        (e = require_activation(L, c->in[0], "input")) || (e = require_nhwc(L, c->in[0], "input")) || (e = require_nhwc(L, c->out[0], "output")))
        return e;
    const FileTensor *in = &L->tensors[c->in[0]], *out = &L->tensors[c->out[0]];
    /* A window larger than the input averages padding only in part; no
     * model needs it and it keeps filter_h * filter_w <= H * W. */
    if (fh < 1 || fw < 1 || fh > in->shape[1] || fw > in->shape[2])
        return fail(r, BACKDROP_EINVAL, "filter %ldx%ld does not fit the %ldx%ld input", (long)fh, (long)fw,
                    (long)in->shape[1], (long)in->shape[2]);
    if (out->shape[3] != in->shape[3])
        return fail(r, BACKDROP_EINVAL, "output has %ld channels, input has %ld", (long)out->shape[3],
                    (long)in->shape[3]);
    if ((e = check_window(L, "height", pad, in->shape[1], fh, sh, 1, out->shape[1])) ||
        (e = check_window(L, "width", pad, in->shape[2], fw, sw, 1, out->shape[2])))
        return e;
    NnOp *dst = new_op(L, NN_OP_AVERAGE_POOL_2D, c);
    dst->padding = pad;
    dst->activation = act;
    dst->num_inputs = 1;
    dst->inputs[0] = c->in[0];
    dst->stride_h = sh;
    dst->stride_w = sw;
    dst->filter_h = fh;
    dst->filter_w = fw;
    commit_op(L, dst);
    return 0;
}

/* MEAN over height and width with keep_dims (the landscape model's global
 * pooling) is an AVERAGE_POOL_2D whose VALID window is the whole input. */
static int op_mean(Loader *L, const OpCtx *c)
{
    Reader *r = &L->r;
    FbTable opt;
    int present, e;
    uint8_t keep = 0;
    if ((e = check_arg_counts(L, c, 2, 2)) || (e = options_table(L, c, OPT_REDUCER, &opt, &present)))
        return e;
    if (present && (e = fb_u8(r, &opt, 0, "keep_dims", 0, &keep)))
        return e;
    if ((e = use_input(L, c, 0, TT_FLOAT32, "input")) || (e = use_input(L, c, 1, TT_INT32, "axes")) ||
        (e = require_const(L, c, 1, "axes")) || (e = check_output(L, c)) || (e = require_activation(L, c->in[0], "input")) || (e = require_nhwc(L, c->in[0], "input")))
        return e;
    if (!keep)
        return fail(r, BACKDROP_ENOTSUP, "MEAN without keep_dims is not supported");
    const FileTensor *in = &L->tensors[c->in[0]], *axes = &L->tensors[c->in[1]];
    if (axes->rank != 1 || axes->count != 2)
        return fail(r, BACKDROP_ENOTSUP, "only MEAN over axes {1, 2} is supported (%zu axes given)", axes->count);
    int seen = 0;
    for (int k = 0; k < 2; k++) {
        int32_t a = load_i32(axes->data + 4 * k);
        if (a < 0 && a >= -4)
            a += 4;
        if (a != 1 && a != 2)
            return fail(r, BACKDROP_ENOTSUP, "only MEAN over axes {1, 2} is supported (axis %ld)",
                        (long)load_i32(axes->data + 4 * k));
        seen |= 1 << a;
    }
    if (seen != 6)
        return fail(r, BACKDROP_ENOTSUP, "only MEAN over axes {1, 2} is supported (an axis is repeated)");
    const int32_t want[4] = { 1, 1, 1, in->shape[3] };
    if (!shape_is(&L->tensors[c->out[0]], 4, want))
        return fail_shape(L, "output", c->out[0], "[1,1,1,C]");
    NnOp *dst = new_op(L, NN_OP_AVERAGE_POOL_2D, c);
    dst->padding = NN_PAD_VALID;
    dst->activation = NN_ACT_NONE;
    dst->num_inputs = 1;
    dst->inputs[0] = c->in[0];
    dst->stride_h = dst->filter_h = in->shape[1];
    dst->stride_w = dst->filter_w = in->shape[2];
    commit_op(L, dst);
    return 0;
}

/* ADD and MUL: same shapes, or one operand [1,1,1,C] broadcast over the
 * other's H and W. The IR puts the full-shape operand first (both ops are
 * commutative in IEEE arithmetic, so swapping changes no result). */
static int op_binary(Loader *L, const OpCtx *c, NnOpType type, int opt_type)
{
    Reader *r = &L->r;
    FbTable opt;
    int present, e;
    int8_t act_code = 0;
    NnActivation act = NN_ACT_NONE;
    if ((e = check_arg_counts(L, c, 2, 2)) || (e = options_table(L, c, opt_type, &opt, &present)))
        return e;
    if (present && (e = fb_i8(r, &opt, 0, "fused_activation_function", 0, &act_code)))
        return e;
    if ((e = read_activation(L, act_code, &act)) || (e = use_input(L, c, 0, TT_FLOAT32, "first operand")) ||
        (e = use_input(L, c, 1, TT_FLOAT32, "second operand")) || (e = check_output(L, c)) ||
        (e = require_nhwc(L, c->out[0], "output")))
        return e;
    if (L->tensors[c->in[0]].def == DEF_CONST && L->tensors[c->in[1]].def == DEF_CONST)
        return require_activation(L, c->in[0], "first operand");
    const FileTensor *out = &L->tensors[c->out[0]];
    const int32_t bcast[4] = { 1, 1, 1, out->shape[3] };
    int a = c->in[0], b = c->in[1];
    if (!shape_is(&L->tensors[a], 4, out->shape)) {
        /* only the second may be smaller: try the other order */
        a = c->in[1];
        b = c->in[0];
    }
    if (!shape_is(&L->tensors[a], 4, out->shape)) {
        char shape[64];
        shape_str(out, shape, sizeof(shape));
        return fail(r, BACKDROP_EINVAL, "neither operand has the output shape %s", shape);
    }
    if (!shape_is(&L->tensors[b], 4, out->shape) && !shape_is(&L->tensors[b], 4, bcast)) {
        char expected[64];
        shape_str(out, expected, sizeof(expected));
        snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), " or [1,1,1,%ld]",
                 (long)out->shape[3]);
        return fail_shape(L, "operand", b, expected);
    }
    NnOp *dst = new_op(L, type, c);
    dst->activation = act;
    dst->num_inputs = 2;
    dst->inputs[0] = a;
    dst->inputs[1] = b;
    commit_op(L, dst);
    return 0;
}

static int op_unary(Loader *L, const OpCtx *c, NnOpType type)
{
    int e;
    if ((e = check_arg_counts(L, c, 1, 1)) || (e = use_input(L, c, 0, TT_FLOAT32, "input")) ||
        (e = require_activation(L, c->in[0], "input")) || (e = check_output(L, c)) ||
        (e = require_nhwc(L, c->out[0], "output")))
        return e;
    if (!shape_is(&L->tensors[c->in[0]], 4, L->tensors[c->out[0]].shape)) {
        char expected[64];
        shape_str(&L->tensors[c->out[0]], expected, sizeof(expected));
        return fail_shape(L, "input", c->in[0], expected);
    }
    NnOp *dst = new_op(L, type, c);
    dst->num_inputs = 1;
    dst->inputs[0] = c->in[0];
    commit_op(L, dst);
    return 0;
}

static int op_resize_bilinear(Loader *L, const OpCtx *c)
{
    Reader *r = &L->r;
    FbTable opt;
    int present, e;
    uint8_t align = 0, half = 0;
    if ((e = check_arg_counts(L, c, 2, 2)) || (e = options_table(L, c, OPT_RESIZE_BILINEAR, &opt, &present)))
        return e;
    if (present && ((e = fb_u8(r, &opt, 2, "align_corners", 0, &align)) ||
                    (e = fb_u8(r, &opt, 3, "half_pixel_centers", 0, &half))))
        return e;
    if (align && half)
        return fail(r, BACKDROP_EINVAL, "align_corners and half_pixel_centers are both set");
    if ((e = use_input(L, c, 0, TT_FLOAT32, "input")) || (e = use_input(L, c, 1, TT_INT32, "size")) ||
        (e = require_const(L, c, 1, "size")) || (e = check_output(L, c)) || (e = require_activation(L, c->in[0], "input")) || (e = require_nhwc(L, c->in[0], "input")))
        return e;
    const FileTensor *in = &L->tensors[c->in[0]], *size = &L->tensors[c->in[1]];
    if (size->rank != 1 || size->shape[0] != 2)
        return fail_shape(L, "size", c->in[1], "[2]");
    int32_t oh = load_i32(size->data), ow = load_i32(size->data + 4);
    if (oh < 1 || ow < 1 || oh > RESIZE_MAX_SIZE || ow > RESIZE_MAX_SIZE)
        return fail(r, BACKDROP_EINVAL, "size %ldx%ld is outside 1..%d", (long)oh, (long)ow, RESIZE_MAX_SIZE);
    const int32_t want[4] = { 1, oh, ow, in->shape[3] };
    if (!shape_is(&L->tensors[c->out[0]], 4, want)) {
        char expected[64];
        snprintf(expected, sizeof(expected), "[1,%ld,%ld,%ld]", (long)oh, (long)ow, (long)in->shape[3]);
        return fail_shape(L, "output", c->out[0], expected);
    }
    NnOp *dst = new_op(L, NN_OP_RESIZE_BILINEAR, c);
    dst->num_inputs = 1;
    dst->inputs[0] = c->in[0];
    dst->align_corners = align != 0;
    dst->half_pixel_centers = half != 0;
    dst->out_h = oh;
    dst->out_w = ow;
    commit_op(L, dst);
    return 0;
}

/* DEQUANTIZE of a FLOAT16 constant is folded: its output becomes a
 * constant whose data is the converted input. No IR op is emitted. */
static int op_dequantize(Loader *L, const OpCtx *c)
{
    int e;
    if ((e = check_arg_counts(L, c, 1, 1)))
        return e;
    char label[96];
    int32_t i = c->in[0];
    if (i < 0)
        return fail(&L->r, BACKDROP_EINVAL, "input (input 0) is missing (-1)");
    FileTensor *in = &L->tensors[i];
    if (in->type != TT_FLOAT16 || in->def != DEF_CONST)
        return fail(&L->r, BACKDROP_ENOTSUP, "only FLOAT16 constants can be dequantized (%s is %s%s)",
                    label_of(L, i, label, sizeof(label)), in->def == DEF_CONST ? "" : "non-constant ",
                    type_name(in->type));
    if ((e = check_output(L, c)))
        return e;
    FileTensor *out = &L->tensors[c->out[0]];
    if (!shape_is(out, in->rank, in->shape)) {
        char expected[64];
        shape_str(in, expected, sizeof(expected));
        return fail_shape(L, "output", c->out[0], expected);
    }
    out->def = DEF_CONST;
    out->src = SRC_FLOAT16;
    out->data = in->data;
    out->data_size = in->data_size;
    return 0;
}

/* Reads operator k of the file and validates it against what earlier
 * operators defined. */
static int read_operator(Loader *L, const FbVec *vec, int k)
{
    Reader *r = &L->r;
    OpCtx c;
    int e;
    memset(&c, 0, sizeof(c));
    c.index = k;
    set_where(r, "operator %d", k);
    if ((e = fb_vec_table(r, vec, (uint32_t)k, "operators", &c.table)))
        return e;
    uint32_t opcode_index;
    if ((e = fb_u32(r, &c.table, 0, "opcode_index", 0, &opcode_index)))
        return e;
    if (opcode_index >= L->opcodes.len)
        return fail(r, BACKDROP_EINVAL, "opcode index %lu is out of range (%u operator codes)",
                    (unsigned long)opcode_index, L->opcodes.len);

    /* The operator code: builtin_code is the real field; files from before
     * it existed only have deprecated_builtin_code (a byte), and newer files
     * put 127 there for codes above it. TFLite takes the larger. */
    FbTable oc;
    int8_t deprecated;
    int32_t code;
    const uint8_t *custom;
    size_t custom_len;
    set_where(r, "operator %d: operator code %lu", k, (unsigned long)opcode_index);
    if ((e = fb_vec_table(r, &L->opcodes, opcode_index, "operator_codes", &oc)) ||
        (e = fb_i8(r, &oc, 0, "deprecated_builtin_code", 0, &deprecated)) ||
        (e = fb_i32(r, &oc, 3, "builtin_code", 0, &code)) ||
        (e = fb_string_field(r, &oc, 1, "custom_code", &custom, &custom_len)))
        return e;
    if (deprecated > code)
        code = deprecated;
    char buf[32];
    if (code == OP_CUSTOM)
        clean_copy(c.name, sizeof(c.name), custom, custom_len);
    else
        snprintf(c.name, sizeof(c.name), "%s", builtin_name(code, buf, sizeof(buf)));
    set_where(r, "operator %d (%s)", k, c.name);

    FbVec ins, outs;
    if ((e = fb_vec_field(r, &c.table, 1, 4, "inputs", &ins)) || (e = fb_vec_field(r, &c.table, 2, 4, "outputs", &outs)))
        return e;
    if (ins.len > MAX_OP_ARGS || outs.len > MAX_OP_ARGS)
        return fail(r, BACKDROP_EINVAL, "%u inputs and %u outputs; at most %d of each are expected", ins.len, outs.len,
                    MAX_OP_ARGS);
    c.num_in = (int)ins.len;
    c.num_out = (int)outs.len;
    for (int j = 0; j < c.num_in + c.num_out; j++) {
        int32_t t = j < c.num_in ? fb_vec_i32(r, &ins, (uint32_t)j) : fb_vec_i32(r, &outs, (uint32_t)(j - c.num_in));
        /* -1 marks an optional input left out; whether that is allowed is
         * the operator's business. */
        if (t < -1 || t >= L->num_file_tensors)
            return fail(r, BACKDROP_EINVAL, "%s %d is tensor %ld, out of range (%d tensors)",
                        j < c.num_in ? "input" : "output", j < c.num_in ? j : j - c.num_in, (long)t,
                        L->num_file_tensors);
        if (j < c.num_in)
            c.in[j] = t;
        else
            c.out[j - c.num_in] = t;
    }

    /* Error text after this point is "operator K (NAME): ..." */
    switch (code) {
    case OP_CONV_2D: return op_conv(L, &c, 0);
    case OP_DEPTHWISE_CONV_2D: return op_conv(L, &c, 1);
    case OP_TRANSPOSE_CONV: return op_transpose_conv(L, &c, 1);
    case OP_AVERAGE_POOL_2D: return op_average_pool(L, &c);
    case OP_MEAN: return op_mean(L, &c);
    case OP_ADD: return op_binary(L, &c, NN_OP_ADD, OPT_ADD);
    case OP_MUL: return op_binary(L, &c, NN_OP_MUL, OPT_MUL);
    case OP_HARD_SWISH: return op_unary(L, &c, NN_OP_HARD_SWISH);
    case OP_RELU: return op_unary(L, &c, NN_OP_RELU);
    case OP_LOGISTIC: return op_unary(L, &c, NN_OP_LOGISTIC);
    case OP_RESIZE_BILINEAR: return op_resize_bilinear(L, &c);
    case OP_DEQUANTIZE: return op_dequantize(L, &c);
    case OP_CUSTOM:
        r->where[0] = '\0';
        if (custom_len == strlen(CUSTOM_TRANSPOSE_CONV) && !memcmp(custom, CUSTOM_TRANSPOSE_CONV, custom_len)) {
            set_where(r, "operator %d (%s)", k, c.name);
            return op_transpose_conv(L, &c, 0);
        }
        return fail(r, BACKDROP_ENOTSUP, "unsupported custom operator '%s' (op %d)", c.name, k);
    default:
        r->where[0] = '\0';
        return fail(r, BACKDROP_ENOTSUP, "unsupported operator %s (op %d)", c.name, k);
    }
}

/* ======================================================================
 * Building the graph
 * ====================================================================== */

/* Copies the constant's values as float32. */
static void convert_constant(const FileTensor *t, float *dst)
{
    switch (t->src) {
    case SRC_FILE: /* FLOAT32 (INT32 constants never reach the graph) */
        for (size_t k = 0; k < t->count; k++) {
            uint32_t bits = load_u32(t->data + 4 * k);
            memcpy(&dst[k], &bits, sizeof(float));
        }
        break;
    case SRC_FLOAT16:
        for (size_t k = 0; k < t->count; k++)
            dst[k] = half_to_float(load_u16(t->data + 2 * k));
        break;
    default: /* SRC_ZERO: calloc'ed */
        break;
    }
}

/* Keeps the tensors the ops use (plus input and output), renumbers them in
 * file order, converts constants and fills g. */
static int build_graph(Loader *L, NnGraph *g)
{
    Reader *r = &L->r;
    r->where[0] = '\0';
    L->tensors[L->input].used = 1;
    L->tensors[L->output].used = 1;
    for (int k = 0; k < L->num_ops; k++) {
        L->tensors[L->ops[k].output].used = 1;
        for (int j = 0; j < L->ops[k].num_inputs; j++)
            L->tensors[L->ops[k].inputs[j]].used = 1;
    }
    int count = 0;
    size_t const_elements = 0;
    for (int i = 0; i < L->num_tensors; i++) {
        FileTensor *t = &L->tensors[i];
        if (!t->used)
            continue;
        t->index = count++;
        if (t->def == DEF_CONST) {
            /* Shared buffers could multiply the data; cap the total. */
            if (t->count > NN_MAX_ELEMENTS - const_elements)
                return fail(r, BACKDROP_ENOTSUP, "constants hold more than %zu elements in all", NN_MAX_ELEMENTS);
            const_elements += t->count;
        }
    }
    g->tensors = calloc((size_t)count, sizeof(*g->tensors));
    if (!g->tensors)
        return fail(r, BACKDROP_ENOMEM, "out of memory for %d tensors", count);
    g->num_tensors = count;
    for (int i = 0; i < L->num_tensors; i++) {
        const FileTensor *t = &L->tensors[i];
        if (!t->used)
            continue;
        NnTensor *dst = &g->tensors[t->index];
        dst->dtype = NN_DTYPE_FLOAT32;
        dst->rank = t->rank;
        memcpy(dst->shape, t->shape, sizeof(dst->shape));
        dst->count = t->count;
        size_t n = t->name_len < NAME_MAX_COPY ? t->name_len : NAME_MAX_COPY;
        dst->name = malloc(n + 1);
        if (!dst->name)
            return fail(r, BACKDROP_ENOMEM, "out of memory for tensor names");
        clean_copy(dst->name, n + 1, t->name, t->name_len);
        if (t->def == DEF_CONST) {
            float *values = calloc(t->count, sizeof(float));
            if (!values)
                return fail(r, BACKDROP_ENOMEM, "out of memory for %zu weights of %s", t->count, dst->name);
            convert_constant(t, values);
            dst->data = values;
        }
    }
    g->ops = calloc((size_t)(L->num_ops ? L->num_ops : 1), sizeof(*g->ops));
    if (!g->ops)
        return fail(r, BACKDROP_ENOMEM, "out of memory for %d operators", L->num_ops);
    g->num_ops = L->num_ops;
    for (int k = 0; k < L->num_ops; k++) {
        NnOp *op = &g->ops[k];
        *op = L->ops[k];
        op->output = L->tensors[op->output].index;
        for (int j = 0; j < op->num_inputs; j++)
            op->inputs[j] = L->tensors[op->inputs[j]].index;
    }
    /* logits: what the final LOGISTIC reads, when an op computes it (an
     * output port must be written by an op). */
    const NnOp *last = &L->ops[L->producer[L->output]];
    int logits = last->type == NN_OP_LOGISTIC && L->producer[last->inputs[0]] >= 0;
    if (nn_graph_add_input(g, "input", L->tensors[L->input].index) ||
        nn_graph_add_output(g, "output", L->tensors[L->output].index) ||
        (logits && nn_graph_add_output(g, "logits", L->tensors[last->inputs[0]].index)))
        return fail(r, BACKDROP_ENOMEM, "out of memory for the graph's ports");
    /* The checks above should leave nothing for this to find; if they do,
     * the IR's rules still decide. */
    char why[200];
    int e = nn_graph_validate(g, why, sizeof(why));
    return e ? fail(r, e, "graph: %s", why) : 0;
}

static int load(Loader *L, NnGraph *g)
{
    Reader *r = &L->r;
    int e;
    if (r->size > MODEL_MAX_BYTES)
        return fail(r, BACKDROP_ENOTSUP, "model of %zu bytes exceeds the %zu-byte limit", r->size, MODEL_MAX_BYTES);
    if (r->size < 8)
        return fail(r, BACKDROP_EINVAL, "%zu bytes is too short for a TFLite model", r->size);
    if (memcmp(r->data + 4, "TFL3", 4) != 0) {
        char id[8];
        clean_copy(id, sizeof(id), r->data + 4, 4);
        return fail(r, BACKDROP_EINVAL, "not a TFLite model: file identifier '%s', expected 'TFL3'", id);
    }
    FbTable model, sg;
    FbVec subgraphs, tensors, operators;
    uint32_t version;
    set_where(r, "model");
    if ((e = fb_table_at(r, load_u32(r->data), "root table", &model)) ||
        (e = fb_u32(r, &model, 0, "version", 0, &version)))
        return e;
    if (version != 3)
        return fail(r, BACKDROP_ENOTSUP, "schema version %lu, expected 3", (unsigned long)version);
    if ((e = fb_vec_field(r, &model, 1, 4, "operator_codes", &L->opcodes)) ||
        (e = fb_vec_field(r, &model, 2, 4, "subgraphs", &subgraphs)) ||
        (e = fb_vec_field(r, &model, 4, 4, "buffers", &L->buffers)))
        return e;
    if (subgraphs.len == 0)
        return fail(r, BACKDROP_EINVAL, "no subgraph");
    if (subgraphs.len > 1)
        return fail(r, BACKDROP_ENOTSUP, "%u subgraphs; only single-graph models are supported", subgraphs.len);
    set_where(r, "subgraph 0");
    if ((e = fb_vec_table(r, &subgraphs, 0, "subgraphs", &sg)) || (e = fb_vec_field(r, &sg, 0, 4, "tensors", &tensors)) ||
        (e = fb_vec_field(r, &sg, 3, 4, "operators", &operators)))
        return e;
    L->subgraph = sg;
    if (tensors.len > MAX_TENSORS)
        return fail(r, BACKDROP_ENOTSUP, "%u tensors; at most %d are supported", tensors.len, MAX_TENSORS);
    if (operators.len > MAX_OPERATORS)
        return fail(r, BACKDROP_ENOTSUP, "%u operators; at most %d are supported", operators.len, MAX_OPERATORS);
    if (operators.len == 0)
        return fail(r, BACKDROP_EINVAL, "no operators");

    /* One extra tensor slot per operator for synthesised zero biases. */
    L->num_file_tensors = L->num_tensors = (int)tensors.len;
    L->max_tensors = (int)(tensors.len + operators.len);
    L->tensors = calloc((size_t)L->max_tensors, sizeof(*L->tensors));
    L->producer = malloc((size_t)L->max_tensors * sizeof(*L->producer));
    L->ops = calloc(operators.len, sizeof(*L->ops));
    if (!L->tensors || !L->producer || !L->ops)
        return fail(r, BACKDROP_ENOMEM, "out of memory for %u tensors and %u operators", tensors.len, operators.len);
    for (int i = 0; i < L->max_tensors; i++)
        L->producer[i] = -1;

    for (int i = 0; i < L->num_file_tensors; i++)
        if ((e = read_tensor(L, &tensors, i)))
            return e;
    if ((e = read_io(L, 1, "input", 3, &L->input)) || (e = read_io(L, 2, "output", 1, &L->output)))
        return e;
    L->tensors[L->input].def = DEF_INPUT;
    for (int k = 0; k < (int)operators.len; k++)
        if ((e = read_operator(L, &operators, k)))
            return e;
    set_where(r, "subgraph 0");
    if (L->producer[L->output] < 0) {
        char label[96];
        return fail(r, BACKDROP_EINVAL, "graph output %s is not written by any operator",
                    label_of(L, L->output, label, sizeof(label)));
    }
    return build_graph(L, g);
}

int nn_graph_load_tflite(NnGraph *g, const uint8_t *data, size_t size, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!g) {
        if (err && errlen)
            snprintf(err, errlen, "no graph to load into");
        return BACKDROP_EINVAL;
    }
    memset(g, 0, sizeof(*g));
    Loader L;
    memset(&L, 0, sizeof(L));
    L.r.data = data;
    L.r.size = data ? size : 0;
    L.r.err = err;
    L.r.errlen = errlen;
    int e = load(&L, g);
    free(L.tensors);
    free(L.producer);
    free(L.ops);
    if (e)
        nn_graph_free(g);
    return e;
}
