/*
 * The TensorFlow.js graph-model reader (tfjs.h): model.json is parsed by
 * json-c, then walked once into owned C structures, each value checked
 * (type, range, size) before use. Both the JSON and the shards are
 * untrusted:
 *  - json-c gets the exact length, a nesting limit and strict mode; a NUL
 *    byte or anything after the top-level value is refused, so the text we
 *    validate is the text that was parsed;
 *  - every count read from the JSON (nodes, inputs, attributes, list
 *    elements, weights, dims) is bounded (tfjs.h) before anything is
 *    allocated for it; a weight's byte size is checked against the shard
 *    bytes still unread before its values are allocated, so weight memory
 *    is at most 4x the shard bytes the caller holds;
 *  - names that may appear in messages are printable ASCII (checked), so
 *    a reason stays on one line; messages cut names at 120 bytes.
 * There is no recursion: the JSON structure walked has a fixed depth.
 *
 * Protobuf JSON mapping facts used (what tfjs-converter writes): int64 are
 * decimal strings (numbers are accepted too), floats are numbers or
 * "NaN"/"Infinity"/"-Infinity", bytes are base64, enums are names (or
 * numbers). Weight decoding follows tfjs-core io.decodeWeights: weights of
 * a manifest group are packed back to back over the group's shard files in
 * order (a weight may straddle two files); uint8/uint16 quantised float32
 * weights are q * scale + min in double, stored to float32 (rounded once);
 * float16 ones are IEEE half floats; bool weights are one byte each.
 */
#include "tfjs.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop/backdrop.h"

/* The ops the RVM graph uses (shared/golden/rvm/ops.txt); the next step
 * gives each its meaning. */
static const char *const ops[] = {
    "Add", "AddV2", "AvgPool", "BatchToSpaceND", "BroadcastTo", "Cast", "ConcatV2", "Const", "Conv2D",
    "DepthwiseConv2dNative", "Equal", "FloorMod", "FusedDepthwiseConv2dNative", "Identity", "Maximum",
    "Mean", "Merge", "Minimum", "Mul", "NoOp", "Pack", "Pad", "Placeholder", "RealDiv", "Relu6",
    "ResizeBilinear", "Shape", "Sigmoid", "Slice", "SpaceToBatchND", "Split", "SplitV", "Square",
    "Squeeze", "StridedSlice", "Sub", "Switch", "Tanh", "_FusedConv2D",
};

static const struct {
    const char *name;
    int value;
} dtypes[] = {
    { "DT_FLOAT", TFJS_DT_FLOAT }, { "DT_DOUBLE", TFJS_DT_DOUBLE }, { "DT_INT32", TFJS_DT_INT32 },
    { "DT_UINT8", TFJS_DT_UINT8 }, { "DT_INT16", TFJS_DT_INT16 },   { "DT_INT8", TFJS_DT_INT8 },
    { "DT_STRING", TFJS_DT_STRING }, { "DT_COMPLEX64", TFJS_DT_COMPLEX64 }, { "DT_INT64", TFJS_DT_INT64 },
    { "DT_BOOL", TFJS_DT_BOOL },   { "DT_UINT16", TFJS_DT_UINT16 }, { "DT_HALF", TFJS_DT_HALF },
};

/* ======================================================================
 * Errors and small checks
 * ====================================================================== */

typedef struct Ctx {
    char *err;
    size_t errlen;
} Ctx;

#ifdef __GNUC__
__attribute__((format(printf, 3, 4)))
#endif
static int fail(Ctx *c, int code, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* A string of the file: printable ASCII, 1..TFJS_MAX_NAME bytes. Only such
 * strings are ever put in a message unescaped. */
static int is_text(const char *s, size_t len)
{
    if (len == 0 || len > TFJS_MAX_NAME)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

/* Copies up to 60 bytes of an unchecked string for a message, replacing
 * anything unprintable. */
static const char *shown(char buf[64], const char *s, size_t len)
{
    size_t n = len < 60 ? len : 60;
    for (size_t i = 0; i < n; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) ? '?' : s[i];
    buf[n] = '\0';
    return buf;
}

static char *dup_text(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* Member key of obj if it is of type t (json_type_null: any); NULL if absent. */
static json_object *member(json_object *obj, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* A printable string member (see is_text); *s NULL when absent. */
static int text_member(Ctx *c, json_object *obj, const char *key, const char *what, const char **s, size_t *len)
{
    json_object *v = member(obj, key);
    *s = NULL;
    *len = 0;
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return fail(c, BACKDROP_EINVAL, "%s: \"%s\" is not a string", what, key);
    const char *t = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    char buf[64];
    if (!is_text(t, n))
        return fail(c, BACKDROP_EINVAL, "%s: \"%s\" '%s' is empty, too long or not printable ASCII", what, key,
                    shown(buf, t, n));
    *s = t;
    *len = n;
    return 0;
}

/* An integer: a JSON integer, or a decimal string (protobuf's int64). */
static int get_int64(json_object *v, int64_t *out)
{
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v); /* saturates: callers bound it */
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return -1;
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v), i = 0;
    int neg = 0;
    if (n && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n || n - i > 19)
        return -1;
    uint64_t acc = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        acc = acc * 10 + (uint64_t)(s[i] - '0'); /* <= 19 digits: no wrap */
    }
    if (acc > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)acc : (int64_t)acc;
    return 0;
}

/* A float: a JSON number or one of protobuf's names for the non-finite. */
static int get_double(json_object *v, double *out)
{
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
        *out = json_object_get_double(v);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return -1;
    const char *s = json_object_get_string(v);
    if (!strcmp(s, "NaN"))
        *out = NAN;
    else if (!strcmp(s, "Infinity"))
        *out = INFINITY;
    else if (!strcmp(s, "-Infinity"))
        *out = -INFINITY;
    else
        return -1;
    return 0;
}

/* Standard base64 (RFC 4648, '=' padding optional) -> NUL-terminated
 * bytes. Returns NULL with *bad = 1 on invalid text or a decoded NUL,
 * NULL with *bad = 0 when out of memory. */
static char *base64_text(const char *s, size_t n, int *bad)
{
    *bad = 1;
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return NULL;
    char *out = malloc(n / 4 * 3 + 3);
    if (!out) {
        *bad = 0;
        return NULL;
    }
    size_t len = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int v = ch >= 'A' && ch <= 'Z' ? ch - 'A'
              : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
              : ch >= '0' && ch <= '9' ? ch - '0' + 52
              : ch == '+' ? 62 : ch == '/' ? 63 : -1;
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            char byte = (char)((acc >> bits) & 0xff);
            if (byte == 0) { /* names and flags: a NUL would cut them short */
                free(out);
                return NULL;
            }
            out[len++] = byte;
        }
    }
    out[len] = '\0';
    *bad = 0;
    return out;
}

static int lookup_dtype_name(const char *s)
{
    for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
        if (!strcmp(s, dtypes[i].name))
            return dtypes[i].value;
    return -1;
}

/* A DataType given by name or number; -1 when unknown. */
static int get_dtype(json_object *v)
{
    if (json_object_is_type(v, json_type_string))
        return lookup_dtype_name(json_object_get_string(v));
    int64_t k;
    if (json_object_is_type(v, json_type_int) && !get_int64(v, &k))
        for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
            if (dtypes[i].value == k)
                return dtypes[i].value;
    return -1;
}

/* ======================================================================
 * Name table: open addressing over an array of names (not owned)
 * ====================================================================== */

typedef struct Names {
    int *slot; /* index + 1, 0 = empty */
    size_t mask;
    char *const *name; /* stride bytes apart */
    size_t stride;
} Names;

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static const char *name_at(const Names *t, int i)
{
    return *(char *const *)((const char *)t->name + (size_t)i * t->stride);
}

static int names_init(Names *t, int count, char *const *first_name, size_t stride)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)count)
        cap *= 2;
    t->slot = calloc(cap, sizeof(int));
    t->mask = cap - 1;
    t->name = first_name;
    t->stride = stride;
    return t->slot ? 0 : -1;
}

/* Index of the name s[0..n), or -1. */
static int names_find(const Names *t, const char *s, size_t n)
{
    for (size_t k = hash_name(s, n) & t->mask;; k = (k + 1) & t->mask) {
        int i = t->slot[k] - 1;
        if (i < 0)
            return -1;
        const char *name = name_at(t, i);
        if (strlen(name) == n && !memcmp(name, s, n))
            return i;
    }
}

/* Adds entry i; returns the index already holding its name, or -1. */
static int names_add(Names *t, int i)
{
    const char *s = name_at(t, i);
    size_t n = strlen(s);
    int old = names_find(t, s, n);
    if (old >= 0)
        return old;
    size_t k = hash_name(s, n) & t->mask;
    while (t->slot[k])
        k = (k + 1) & t->mask;
    t->slot[k] = i + 1;
    return -1;
}

/* ======================================================================
 * Freeing
 * ====================================================================== */

static void free_attr(TfjsAttr *a)
{
    free(a->name);
    free(a->s);
    free(a->ints);
    free(a->floats);
    if (a->strings)
        for (int i = 0; i < a->count; i++)
            free(a->strings[i]);
    free(a->strings);
    free(a->types);
}

void tfjs_model_free(TfjsModel *m)
{
    for (int i = 0; i < m->num_nodes; i++) {
        TfjsNode *n = &m->nodes[i];
        free(n->name);
        free(n->op);
        free(n->inputs);
        for (int k = 0; k < n->num_attrs; k++)
            free_attr(&n->attrs[k]);
        free(n->attrs);
    }
    free(m->nodes);
    free(m->order);
    for (int i = 0; i < m->num_weights; i++) {
        free(m->weights[i].name);
        free(m->weights[i].f32);
        free(m->weights[i].i32);
    }
    free(m->weights);
    for (int i = 0; i < m->num_inputs; i++)
        free(m->inputs[i].key);
    free(m->inputs);
    for (int i = 0; i < m->num_outputs; i++)
        free(m->outputs[i].key);
    free(m->outputs);
    memset(m, 0, sizeof(*m));
}

/* ======================================================================
 * Attributes
 * ====================================================================== */

#define ENOMEM_FAIL(c) fail(c, BACKDROP_ENOMEM, "out of memory reading model.json")

/* A TensorShapeProto: {"dim": [{"size": "n"}...]} or {"unknownRank": true}.
 * min_dim: -1 where unknown sizes are allowed, else 0. */
static int read_shape(Ctx *c, json_object *v, const char *what, int min_dim, int *rank, int64_t dims[TFJS_MAX_RANK])
{
    if (!json_object_is_type(v, json_type_object))
        return fail(c, BACKDROP_EINVAL, "%s: shape is not an object", what);
    json_object *unknown = member(v, "unknownRank"), *dim = member(v, "dim");
    if (unknown && json_object_get_boolean(unknown)) {
        if (min_dim >= 0)
            return fail(c, BACKDROP_EINVAL, "%s: a constant's shape must have a known rank", what);
        if (dim)
            return fail(c, BACKDROP_EINVAL, "%s: shape has both unknownRank and dims", what);
        *rank = -1;
        return 0;
    }
    *rank = 0;
    if (!dim)
        return 0; /* no dims: a scalar */
    if (!json_object_is_type(dim, json_type_array))
        return fail(c, BACKDROP_EINVAL, "%s: shape \"dim\" is not an array", what);
    size_t r = json_object_array_length(dim);
    if (r > TFJS_MAX_RANK)
        return fail(c, BACKDROP_ENOTSUP, "%s: rank %zu is over %d", what, r, TFJS_MAX_RANK);
    for (size_t i = 0; i < r; i++) {
        json_object *d = json_object_array_get_idx(dim, i), *size;
        int64_t s = 0; /* protobuf omits a zero size */
        if (!json_object_is_type(d, json_type_object))
            return fail(c, BACKDROP_EINVAL, "%s: dim %zu is not an object", what, i);
        if ((size = member(d, "size")) && get_int64(size, &s))
            return fail(c, BACKDROP_EINVAL, "%s: dim %zu size is not an integer", what, i);
        if (s < min_dim || s > INT32_MAX)
            return fail(c, BACKDROP_EINVAL, "%s: dim %zu is %lld", what, i, (long long)s);
        dims[i] = s;
    }
    *rank = (int)r;
    return 0;
}

/* A "list" attribute value: {} or one of {"i"|"f"|"s"|"type": [...]}. */
static int read_list(Ctx *c, json_object *v, const char *what, TfjsAttr *a)
{
    if (!json_object_is_type(v, json_type_object))
        return fail(c, BACKDROP_EINVAL, "%s: list is not an object", what);
    int keys = json_object_object_length(v);
    if (keys == 0) {
        a->kind = TFJS_ATTR_LIST_EMPTY;
        return 0;
    }
    json_object *arr;
    const char *kind;
    if ((arr = member(v, "i")))
        kind = "i", a->kind = TFJS_ATTR_LIST_INT;
    else if ((arr = member(v, "f")))
        kind = "f", a->kind = TFJS_ATTR_LIST_FLOAT;
    else if ((arr = member(v, "s")))
        kind = "s", a->kind = TFJS_ATTR_LIST_STRING;
    else if ((arr = member(v, "type")))
        kind = "type", a->kind = TFJS_ATTR_LIST_TYPE;
    else
        return fail(c, BACKDROP_ENOTSUP, "%s: list of an unsupported kind", what);
    if (keys != 1)
        return fail(c, BACKDROP_EINVAL, "%s: list has %d kinds of values", what, keys);
    if (!json_object_is_type(arr, json_type_array))
        return fail(c, BACKDROP_EINVAL, "%s: list \"%s\" is not an array", what, kind);
    size_t n = json_object_array_length(arr);
    if (n > TFJS_MAX_LIST)
        return fail(c, BACKDROP_ENOTSUP, "%s: list of %zu values is over %d", what, n, TFJS_MAX_LIST);
    if (n == 0) {
        a->kind = TFJS_ATTR_LIST_EMPTY;
        return 0;
    }
    switch (a->kind) {
    case TFJS_ATTR_LIST_INT: a->ints = calloc(n, sizeof(*a->ints)); break;
    case TFJS_ATTR_LIST_FLOAT: a->floats = calloc(n, sizeof(*a->floats)); break;
    case TFJS_ATTR_LIST_STRING: a->strings = calloc(n, sizeof(*a->strings)); break;
    default: a->types = calloc(n, sizeof(*a->types)); break;
    }
    if (!a->ints && !a->floats && !a->strings && !a->types)
        return ENOMEM_FAIL(c);
    a->count = (int)n; /* from here on free_attr frees what was made */
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        int bad = 0;
        switch (a->kind) {
        case TFJS_ATTR_LIST_INT: bad = get_int64(e, &a->ints[i]); break;
        case TFJS_ATTR_LIST_FLOAT: bad = get_double(e, &a->floats[i]); break;
        case TFJS_ATTR_LIST_STRING:
            if (!json_object_is_type(e, json_type_string))
                return fail(c, BACKDROP_EINVAL, "%s: list element %zu is not a string", what, i);
            a->strings[i] = base64_text(json_object_get_string(e), (size_t)json_object_get_string_len(e), &bad);
            if (!a->strings[i] && !bad)
                return ENOMEM_FAIL(c);
            break;
        default:
            if ((a->types[i] = get_dtype(e)) < 0)
                return fail(c, BACKDROP_ENOTSUP, "%s: list element %zu is an unknown type", what, i);
            break;
        }
        if (bad)
            return fail(c, BACKDROP_EINVAL, "%s: list element %zu is not a valid \"%s\" value", what, i, kind);
    }
    return 0;
}

/* One AttrValue: an object with exactly one member naming its kind. */
static int read_attr(Ctx *c, json_object *v, const char *what, TfjsAttr *a)
{
    if (!json_object_is_type(v, json_type_object) || json_object_object_length(v) != 1)
        return fail(c, BACKDROP_EINVAL, "%s: value is not an object with one member", what);
    json_object *x;
    if ((x = member(v, "i"))) {
        a->kind = TFJS_ATTR_INT;
        if (get_int64(x, &a->i))
            return fail(c, BACKDROP_EINVAL, "%s: \"i\" is not an integer", what);
    } else if ((x = member(v, "f"))) {
        a->kind = TFJS_ATTR_FLOAT;
        if (get_double(x, &a->f))
            return fail(c, BACKDROP_EINVAL, "%s: \"f\" is not a number", what);
    } else if ((x = member(v, "b"))) {
        a->kind = TFJS_ATTR_BOOL;
        if (!json_object_is_type(x, json_type_boolean))
            return fail(c, BACKDROP_EINVAL, "%s: \"b\" is not true or false", what);
        a->b = json_object_get_boolean(x) ? 1 : 0;
    } else if ((x = member(v, "s"))) {
        int bad = 0;
        a->kind = TFJS_ATTR_STRING;
        if (!json_object_is_type(x, json_type_string))
            return fail(c, BACKDROP_EINVAL, "%s: \"s\" is not a string", what);
        if (!(a->s = base64_text(json_object_get_string(x), (size_t)json_object_get_string_len(x), &bad)))
            return bad ? fail(c, BACKDROP_EINVAL, "%s: \"s\" is not base64 of a NUL-free string", what)
                       : ENOMEM_FAIL(c);
    } else if ((x = member(v, "type"))) {
        a->kind = TFJS_ATTR_TYPE;
        if ((a->type = get_dtype(x)) < 0)
            return fail(c, BACKDROP_ENOTSUP, "%s: unknown type", what);
    } else if ((x = member(v, "shape"))) {
        a->kind = TFJS_ATTR_SHAPE;
        return read_shape(c, x, what, -1, &a->rank, a->dims);
    } else if ((x = member(v, "list"))) {
        return read_list(c, x, what, a);
    } else if ((x = member(v, "tensor"))) {
        a->kind = TFJS_ATTR_TENSOR;
        if (!json_object_is_type(x, json_type_object))
            return fail(c, BACKDROP_EINVAL, "%s: \"tensor\" is not an object", what);
        json_object *dt = member(x, "dtype"), *shape = member(x, "tensorShape");
        if (json_object_object_length(x) != (dt != NULL) + (shape != NULL))
            return fail(c, BACKDROP_ENOTSUP, "%s: inline tensor values are not supported (only weights)", what);
        if (!dt || (a->type = get_dtype(dt)) < 0)
            return fail(c, BACKDROP_ENOTSUP, "%s: tensor of a missing or unknown dtype", what);
        a->rank = 0;
        return shape ? read_shape(c, shape, what, 0, &a->rank, a->dims) : 0;
    } else {
        return fail(c, BACKDROP_ENOTSUP, "%s: attribute of an unsupported kind", what);
    }
    return 0;
}

static int read_attrs(Ctx *c, json_object *attr, const char *node, TfjsNode *n)
{
    if (!json_object_is_type(attr, json_type_object))
        return fail(c, BACKDROP_EINVAL, "node '%.120s': \"attr\" is not an object", node);
    int count = json_object_object_length(attr);
    if (count > TFJS_MAX_ATTRS)
        return fail(c, BACKDROP_ENOTSUP, "node '%.120s': %d attributes, over %d", node, count, TFJS_MAX_ATTRS);
    if (count == 0)
        return 0;
    if (!(n->attrs = calloc((size_t)count, sizeof(*n->attrs))))
        return ENOMEM_FAIL(c);
    json_object_object_foreach(attr, key, val) {
        char what[256];
        char buf[64];
        size_t len = strlen(key);
        if (!is_text(key, len))
            return fail(c, BACKDROP_EINVAL, "node '%.120s': attribute name '%s' is not printable ASCII", node,
                        shown(buf, key, len));
        TfjsAttr *a = &n->attrs[n->num_attrs++];
        if (!(a->name = dup_text(key, len)))
            return ENOMEM_FAIL(c);
        snprintf(what, sizeof(what), "node '%.120s' attribute '%.60s'", node, key);
        int e = read_attr(c, val, what, a);
        if (e)
            return e;
    }
    return 0;
}

/* ======================================================================
 * Nodes
 * ====================================================================== */

static int supported_op(const char *op)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(op, ops[i]))
            return 1;
    return 0;
}

/* First pass over one node: name, op, attributes, and the input count
 * (inputs are resolved once every name is known). */
static int read_node(Ctx *c, json_object *obj, int index, TfjsNode *n)
{
    char what[64];
    const char *name, *op;
    size_t name_len, op_len;
    int e;
    snprintf(what, sizeof(what), "node %d", index);
    if (!json_object_is_type(obj, json_type_object))
        return fail(c, BACKDROP_EINVAL, "%s is not an object", what);
    if ((e = text_member(c, obj, "name", what, &name, &name_len)))
        return e;
    if (!name)
        return fail(c, BACKDROP_EINVAL, "%s has no name", what);
    if (name[0] == '^' || memchr(name, ':', name_len))
        return fail(c, BACKDROP_EINVAL, "%s: name '%.120s' contains ':' or starts with '^'", what, name);
    if (!(n->name = dup_text(name, name_len)))
        return ENOMEM_FAIL(c);
    snprintf(what, sizeof(what), "node '%.40s'", name);
    if ((e = text_member(c, obj, "op", what, &op, &op_len)))
        return e;
    if (!op)
        return fail(c, BACKDROP_EINVAL, "node '%.120s' has no op", name);
    if (!supported_op(op))
        return fail(c, BACKDROP_ENOTSUP, "node '%.120s': op '%.60s' is not supported", name, op);
    if (!(n->op = dup_text(op, op_len)))
        return ENOMEM_FAIL(c);
    json_object *in = member(obj, "input"), *attr = member(obj, "attr");
    if (in) {
        if (!json_object_is_type(in, json_type_array))
            return fail(c, BACKDROP_EINVAL, "node '%.120s': \"input\" is not an array", name);
        size_t k = json_object_array_length(in);
        if (k > TFJS_MAX_NODE_INPUTS)
            return fail(c, BACKDROP_ENOTSUP, "node '%.120s': %zu inputs, over %d", name, k, TFJS_MAX_NODE_INPUTS);
        if (k && !(n->inputs = calloc(k, sizeof(*n->inputs))))
            return ENOMEM_FAIL(c);
        n->num_inputs = (int)k;
    }
    n->weight = -1;
    return attr ? read_attrs(c, attr, name, n) : 0;
}

/* A node reference "name", "name:k" (k: 1..6 digits, <= TFJS_MAX_OUTPUT_
 * INDEX) or, where control is allowed, "^name". */
static int resolve_ref(Ctx *c, const Names *names, const char *what, const char *s, size_t n, int allow_control,
                       TfjsInput *in)
{
    char buf[64];
    if (!is_text(s, n))
        return fail(c, BACKDROP_EINVAL, "%s: reference '%s' is empty or not printable ASCII", what, shown(buf, s, n));
    size_t start = allow_control && s[0] == '^' ? 1 : 0, end = n;
    const char *colon = memchr(s, ':', n);
    in->control = (int)start;
    in->output = 0;
    if (colon) {
        size_t digits = n - (size_t)(colon - s) - 1;
        long k = 0;
        int ok = !in->control && digits >= 1 && digits <= 6;
        for (size_t i = 0; ok && i < digits; i++) {
            char d = colon[1 + i];
            ok = d >= '0' && d <= '9';
            k = k * 10 + (d - '0');
        }
        if (!ok || k > TFJS_MAX_OUTPUT_INDEX)
            return fail(c, BACKDROP_EINVAL, "%s: '%.120s' has a bad output index", what, s);
        in->output = (int)k;
        end = (size_t)(colon - s);
    }
    in->node = names_find(names, s + start, end - start);
    if (in->node < 0)
        return fail(c, BACKDROP_EINVAL, "%s: '%.120s' names no node", what, s);
    return 0;
}

static int resolve_inputs(Ctx *c, const Names *names, json_object *nodes, TfjsModel *m)
{
    for (int i = 0; i < m->num_nodes; i++) {
        TfjsNode *n = &m->nodes[i];
        json_object *in = member(json_object_array_get_idx(nodes, (size_t)i), "input");
        char what[160];
        snprintf(what, sizeof(what), "node '%.120s' input", n->name);
        for (int k = 0; k < n->num_inputs; k++) {
            json_object *v = json_object_array_get_idx(in, (size_t)k);
            if (!json_object_is_type(v, json_type_string))
                return fail(c, BACKDROP_EINVAL, "%s %d is not a string", what, k);
            int e = resolve_ref(c, names, what, json_object_get_string(v), (size_t)json_object_get_string_len(v), 1,
                                &n->inputs[k]);
            if (e)
                return e;
        }
    }
    return 0;
}

/* Kahn's algorithm over every edge, control edges included: a node is
 * ready once all its input edges are consumed. The queue is seeded in
 * index order, so the order is deterministic. When nodes remain, each has
 * an unprocessed input; following such inputs num_nodes times must end on
 * a cycle, whose node is named. */
static int check_acyclic(Ctx *c, TfjsModel *m)
{
    int n = m->num_nodes, e = 0;
    size_t edges = 0;
    for (int i = 0; i < n; i++)
        edges += (size_t)m->nodes[i].num_inputs;
    int *pending = calloc((size_t)n, sizeof(int)), *first = calloc((size_t)n + 1, sizeof(int));
    int *fill = calloc((size_t)n, sizeof(int)), *users = malloc((edges ? edges : 1) * sizeof(int));
    m->order = malloc((size_t)n * sizeof(int));
    if (!pending || !first || !fill || !users || !m->order) {
        e = ENOMEM_FAIL(c);
        goto done;
    }
    /* users of node j: users[first[j] .. first[j + 1]), one per edge. */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < m->nodes[i].num_inputs; k++)
            first[m->nodes[i].inputs[k].node + 1]++;
    for (int j = 0; j < n; j++)
        first[j + 1] += first[j];
    for (int i = 0; i < n; i++) {
        pending[i] = m->nodes[i].num_inputs;
        for (int k = 0; k < m->nodes[i].num_inputs; k++) {
            int j = m->nodes[i].inputs[k].node;
            users[first[j] + fill[j]++] = i;
        }
    }
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (!pending[i])
            m->order[tail++] = i;
    while (head < tail) {
        int j = m->order[head++];
        for (int u = first[j]; u < first[j + 1]; u++)
            if (--pending[users[u]] == 0)
                m->order[tail++] = users[u];
    }
    if (tail < n) {
        int at = 0;
        while (!pending[at])
            at++;
        for (int step = 0; step < n; step++) {
            const TfjsNode *nd = &m->nodes[at];
            for (int k = 0; k < nd->num_inputs; k++)
                if (pending[nd->inputs[k].node]) {
                    at = nd->inputs[k].node;
                    break;
                }
        }
        e = fail(c, BACKDROP_EINVAL, "the graph has a cycle through node '%.120s'", m->nodes[at].name);
    }
done:
    free(pending);
    free(first);
    free(fill);
    free(users);
    return e;
}

/* ======================================================================
 * Weights
 * ====================================================================== */

/* Reads across the shard files of one manifest group. */
typedef struct Cursor {
    const uint8_t *const *shards;
    const size_t *sizes;
    int shard;   /* current file */
    size_t pos;  /* in it */
    size_t used; /* bytes of the group read so far */
    size_t total;
} Cursor;

/* Copies n bytes (n <= total - used, checked by the caller). */
static void take(Cursor *cu, uint8_t *dst, size_t n)
{
    cu->used += n;
    while (n) {
        size_t avail = cu->sizes[cu->shard] - cu->pos;
        if (!avail) {
            cu->shard++;
            cu->pos = 0;
            continue;
        }
        size_t k = n < avail ? n : avail;
        memcpy(dst, cu->shards[cu->shard] + cu->pos, k);
        dst += k;
        cu->pos += k;
        n -= k;
    }
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* IEEE half -> float: value = m * 2^-24 for subnormals (exponent 0),
 * (1024 + m) * 2^(e - 25) for normals; both exact in float. */
static float half_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (e == 0x1f)
        v = mant ? NAN : INFINITY;
    else if (e == 0)
        v = ldexpf((float)mant, -24);
    else
        v = ldexpf((float)(1024 + mant), e - 25);
    return (h & 0x8000) ? -v : v;
}

static int read_quantization(Ctx *c, json_object *q, TfjsWeight *w)
{
    const char *dt;
    size_t len;
    int e;
    if (!json_object_is_type(q, json_type_object))
        return fail(c, BACKDROP_EINVAL, "weight '%.120s': \"quantization\" is not an object", w->name);
    if ((e = text_member(c, q, "dtype", "quantization", &dt, &len)))
        return e;
    if (!dt)
        return fail(c, BACKDROP_EINVAL, "weight '%.120s': quantization has no dtype", w->name);
    if (!strcmp(dt, "uint8"))
        w->quant = TFJS_QUANT_UINT8;
    else if (!strcmp(dt, "uint16"))
        w->quant = TFJS_QUANT_UINT16;
    else if (!strcmp(dt, "float16"))
        w->quant = TFJS_QUANT_FLOAT16;
    else
        return fail(c, BACKDROP_ENOTSUP, "weight '%.120s': quantization dtype '%.40s' is not supported", w->name, dt);
    if (w->dtype != TFJS_FLOAT32)
        return fail(c, BACKDROP_ENOTSUP, "weight '%.120s': only float32 weights may be quantised", w->name);
    if (w->quant == TFJS_QUANT_FLOAT16)
        return 0;
    json_object *mn = member(q, "min"), *sc = member(q, "scale");
    if (!mn || !sc || get_double(mn, &w->min) || get_double(sc, &w->scale))
        return fail(c, BACKDROP_EINVAL, "weight '%.120s': quantization min or scale missing or not a number", w->name);
    /* A constant tensor quantises with scale 0; negative or non-finite
     * parameters cannot come from the converter. */
    if (!isfinite(w->min) || !isfinite(w->scale) || w->scale < 0)
        return fail(c, BACKDROP_EINVAL, "weight '%.120s': quantization min %g / scale %g not finite or scale < 0",
                    w->name, w->min, w->scale);
    return 0;
}

/* Converts raw shard bytes into the weight's values. */
static void decode_weight(TfjsWeight *w, const uint8_t *raw)
{
    for (size_t i = 0; i < w->count; i++) {
        if (w->dtype == TFJS_BOOL) {
            w->i32[i] = raw[i] != 0;
        } else if (w->dtype == TFJS_INT32) {
            uint32_t u = le32(raw + 4 * i);
            memcpy(&w->i32[i], &u, 4);
        } else if (w->quant == TFJS_QUANT_NONE) {
            uint32_t u = le32(raw + 4 * i);
            memcpy(&w->f32[i], &u, 4);
        } else if (w->quant == TFJS_QUANT_FLOAT16) {
            w->f32[i] = half_value((uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8));
        } else {
            unsigned q = w->quant == TFJS_QUANT_UINT8 ? raw[i] : (unsigned)(raw[2 * i] | raw[2 * i + 1] << 8);
            /* As JavaScript: the double product and sum, rounded once to
             * float32 on the store. (ISO C mode: GCC does not contract
             * this into an FMA, which would round differently.) */
            double v = (double)q * w->scale;
            v = v + w->min;
            w->f32[i] = (float)v;
        }
    }
}

static int read_weight(Ctx *c, json_object *obj, int index, Cursor *cu, TfjsWeight *w)
{
    const char *name, *dt;
    size_t len;
    char what[64];
    int e;
    snprintf(what, sizeof(what), "weight %d", index);
    w->node = -1;
    if (!json_object_is_type(obj, json_type_object))
        return fail(c, BACKDROP_EINVAL, "%s is not an object", what);
    if ((e = text_member(c, obj, "name", what, &name, &len)))
        return e;
    if (!name)
        return fail(c, BACKDROP_EINVAL, "%s has no name", what);
    if (!(w->name = dup_text(name, len)))
        return ENOMEM_FAIL(c);
    if ((e = text_member(c, obj, "dtype", what, &dt, &len)))
        return e;
    if (!dt)
        return fail(c, BACKDROP_EINVAL, "weight '%.120s' has no dtype", name);
    if (!strcmp(dt, "float32"))
        w->dtype = TFJS_FLOAT32;
    else if (!strcmp(dt, "int32"))
        w->dtype = TFJS_INT32;
    else if (!strcmp(dt, "bool"))
        w->dtype = TFJS_BOOL;
    else if (!strcmp(dt, "string") || !strcmp(dt, "complex64"))
        return fail(c, BACKDROP_ENOTSUP, "weight '%.120s': dtype '%s' is not supported", name, dt);
    else
        return fail(c, BACKDROP_EINVAL, "weight '%.120s': unknown dtype '%.40s'", name, dt);
    json_object *q = member(obj, "quantization");
    if (q && (e = read_quantization(c, q, w)))
        return e;

    json_object *shape = member(obj, "shape");
    if (!shape || !json_object_is_type(shape, json_type_array))
        return fail(c, BACKDROP_EINVAL, "weight '%.120s': \"shape\" missing or not an array", name);
    size_t rank = json_object_array_length(shape);
    if (rank > TFJS_MAX_RANK)
        return fail(c, BACKDROP_ENOTSUP, "weight '%.120s': rank %zu is over %d", name, rank, TFJS_MAX_RANK);
    w->rank = (int)rank;
    /* Bounded by the byte cap: a weight cannot have more elements than
     * the largest accepted shards have bytes. Checked per factor, so the
     * product never overflows. */
    size_t count = 1;
    for (size_t i = 0; i < rank; i++) {
        int64_t d;
        if (get_int64(json_object_array_get_idx(shape, i), &d) || d < 0 || d > INT32_MAX)
            return fail(c, BACKDROP_EINVAL, "weight '%.120s': dim %zu is not an integer in [0, 2^31)", name, i);
        w->shape[i] = d;
        if (d && count > TFJS_MAX_WEIGHT_BYTES / (size_t)d)
            return fail(c, BACKDROP_EINVAL, "weight '%.120s': shape has too many elements", name);
        count *= (size_t)d;
    }
    w->count = count;
    size_t elem = w->dtype == TFJS_BOOL || w->quant == TFJS_QUANT_UINT8 ? 1
                : w->quant == TFJS_QUANT_UINT16 || w->quant == TFJS_QUANT_FLOAT16 ? 2 : 4;
    size_t bytes = count * elem; /* <= 4 GiB: count <= 1 GiB */
    if (bytes > cu->total - cu->used)
        return fail(c, BACKDROP_EINVAL, "weight '%.120s' needs %zu bytes at byte %zu, the shards hold %zu", name,
                    bytes, cu->used, cu->total);
    if (!count)
        return 0;
    uint8_t *raw = malloc(bytes);
    if (w->dtype == TFJS_FLOAT32)
        w->f32 = malloc(count * sizeof(float));
    else
        w->i32 = malloc(count * sizeof(int32_t));
    if (!raw || (!w->f32 && !w->i32)) {
        free(raw);
        return ENOMEM_FAIL(c);
    }
    take(cu, raw, bytes);
    decode_weight(w, raw);
    free(raw);
    return 0;
}

/* The manifest: groups of {paths, weights}; a group's weights fill its
 * shard files exactly. */
static int read_weights(Ctx *c, json_object *manifest, const uint8_t *const *shards, const size_t *sizes,
                        int num_shards, TfjsModel *m)
{
    size_t groups = 0, paths = 0, weights = 0;
    if (manifest) {
        if (!json_object_is_type(manifest, json_type_array))
            return fail(c, BACKDROP_EINVAL, "\"weightsManifest\" is not an array");
        groups = json_object_array_length(manifest);
    }
    /* First pass: shapes of the groups, so that nothing is read before
     * the shard count is known to match. */
    for (size_t g = 0; g < groups; g++) {
        json_object *grp = json_object_array_get_idx(manifest, g), *p, *w;
        if (!json_object_is_type(grp, json_type_object) || !(p = member(grp, "paths")) ||
            !json_object_is_type(p, json_type_array) || !(w = member(grp, "weights")) ||
            !json_object_is_type(w, json_type_array))
            return fail(c, BACKDROP_EINVAL, "weight group %zu: not an object with \"paths\" and \"weights\" arrays",
                        g);
        paths += json_object_array_length(p);
        weights += json_object_array_length(w);
        if (weights > TFJS_MAX_WEIGHTS)
            return fail(c, BACKDROP_ENOTSUP, "the manifest lists over %d weights", TFJS_MAX_WEIGHTS);
        for (size_t k = 0; k < json_object_array_length(p); k++)
            if (!json_object_is_type(json_object_array_get_idx(p, k), json_type_string))
                return fail(c, BACKDROP_EINVAL, "weight group %zu: path %zu is not a string", g, k);
    }
    if (paths != (size_t)num_shards)
        return fail(c, BACKDROP_EINVAL, "the manifest lists %zu weight file(s), %d given", paths, num_shards);
    size_t all = 0;
    for (int i = 0; i < num_shards; i++) {
        if (!shards[i] && sizes[i])
            return fail(c, BACKDROP_EINVAL, "weight file %d: no data", i);
        if (sizes[i] > TFJS_MAX_WEIGHT_BYTES - all)
            return fail(c, BACKDROP_ENOTSUP, "the weight files hold over %zu bytes", TFJS_MAX_WEIGHT_BYTES);
        all += sizes[i];
    }
    if (weights && !(m->weights = calloc(weights, sizeof(*m->weights))))
        return ENOMEM_FAIL(c);
    int shard = 0;
    for (size_t g = 0; g < groups; g++) {
        json_object *grp = json_object_array_get_idx(manifest, g);
        json_object *p = member(grp, "paths"), *w = member(grp, "weights");
        int np = (int)json_object_array_length(p);
        Cursor cu = { shards, sizes, shard, 0, 0, 0 };
        for (int k = 0; k < np; k++)
            cu.total += sizes[shard + k];
        for (size_t k = 0; k < json_object_array_length(w); k++) {
            int i = m->num_weights++;
            int e = read_weight(c, json_object_array_get_idx(w, k), i, &cu, &m->weights[i]);
            if (e)
                return e;
        }
        if (cu.used != cu.total)
            return fail(c, BACKDROP_EINVAL, "weight group %zu: the weights use %zu bytes, its files hold %zu", g,
                        cu.used, cu.total);
        shard += np;
    }
    return 0;
}

/* TF DataType of a weight dtype. */
static int weight_dtype(TfjsDtype d)
{
    return d == TFJS_FLOAT32 ? TFJS_DT_FLOAT : d == TFJS_INT32 ? TFJS_DT_INT32 : TFJS_DT_BOOL;
}

/* Every Const node gets the weight of its name; its declared dtype and
 * shape must be the weight's. */
static int link_consts(Ctx *c, TfjsModel *m)
{
    Names names = { 0 };
    int e = 0;
    if (m->num_weights && names_init(&names, m->num_weights, &m->weights[0].name, sizeof(TfjsWeight)))
        return ENOMEM_FAIL(c);
    for (int i = 0; i < m->num_weights && !e; i++) {
        int old = names_add(&names, i);
        if (old >= 0)
            e = fail(c, BACKDROP_EINVAL, "weight '%.120s' appears twice in the manifest (%d and %d)", m->weights[i].name,
                     old, i);
    }
    for (int i = 0; i < m->num_nodes && !e; i++) {
        TfjsNode *n = &m->nodes[i];
        if (strcmp(n->op, "Const"))
            continue;
        int w = m->num_weights ? names_find(&names, n->name, strlen(n->name)) : -1;
        if (w < 0) {
            e = fail(c, BACKDROP_EINVAL, "Const node '%.120s' has no weight of that name", n->name);
            break;
        }
        const TfjsWeight *wt = &m->weights[w];
        const TfjsAttr *dt = tfjs_node_attr(n, "dtype"), *val = tfjs_node_attr(n, "value");
        int same = 1;
        if (dt)
            same = dt->kind == TFJS_ATTR_TYPE && dt->type == weight_dtype(wt->dtype);
        if (val) {
            same = same && val->kind == TFJS_ATTR_TENSOR && val->type == weight_dtype(wt->dtype) &&
                   val->rank == wt->rank;
            for (int k = 0; same && k < wt->rank; k++)
                same = val->dims[k] == wt->shape[k];
        }
        if (!same) {
            e = fail(c, BACKDROP_EINVAL, "Const node '%.120s': dtype or shape differs from its weight's", n->name);
            break;
        }
        n->weight = w;
        m->weights[w].node = i;
    }
    free(names.slot);
    return e;
}

/* ======================================================================
 * Signature
 * ====================================================================== */

static int read_ports(Ctx *c, const Names *names, json_object *obj, int inputs, TfjsModel *m, int *count,
                      TfjsPort **ports)
{
    const char *which = inputs ? "input" : "output";
    if (!obj)
        return 0;
    if (!json_object_is_type(obj, json_type_object))
        return fail(c, BACKDROP_EINVAL, "signature %ss: not an object", which);
    int n = json_object_object_length(obj);
    if (n == 0)
        return 0;
    if (!(*ports = calloc((size_t)n, sizeof(**ports))))
        return ENOMEM_FAIL(c);
    json_object_object_foreach(obj, key, val) {
        char what[200], buf[64];
        size_t len = strlen(key);
        const char *ref;
        size_t ref_len;
        int e;
        if (!is_text(key, len))
            return fail(c, BACKDROP_EINVAL, "signature %s: key '%s' is not printable ASCII", which, shown(buf, key, len));
        TfjsPort *p = &(*ports)[(*count)++];
        if (!(p->key = dup_text(key, len)))
            return ENOMEM_FAIL(c);
        snprintf(what, sizeof(what), "signature %s '%.120s'", which, key);
        if (!json_object_is_type(val, json_type_object))
            return fail(c, BACKDROP_EINVAL, "%s: not an object", what);
        if ((e = text_member(c, val, "name", what, &ref, &ref_len)))
            return e;
        if (!ref)
            return fail(c, BACKDROP_EINVAL, "%s has no \"name\"", what);
        TfjsInput in;
        if ((e = resolve_ref(c, names, what, ref, ref_len, 0, &in)))
            return e;
        if (inputs && strcmp(m->nodes[in.node].op, "Placeholder"))
            return fail(c, BACKDROP_EINVAL, "%s: node '%.120s' is a %s, not a Placeholder", what,
                        m->nodes[in.node].name, m->nodes[in.node].op);
        p->node = in.node;
        p->output = in.output;
    }
    return 0;
}

/* ======================================================================
 * The whole file
 * ====================================================================== */

static int parse_json(Ctx *c, const uint8_t *json, size_t size, json_object **root)
{
    *root = NULL;
    if (size > TFJS_MAX_JSON_BYTES)
        return fail(c, BACKDROP_ENOTSUP, "model.json of %zu bytes is over %zu", size, TFJS_MAX_JSON_BYTES);
    const uint8_t *nul = memchr(json, 0, size);
    if (nul)
        return fail(c, BACKDROP_EINVAL, "model.json has a NUL byte at %zu", (size_t)(nul - json));
    json_tokener *tok = json_tokener_new_ex(TFJS_JSON_DEPTH);
    if (!tok)
        return ENOMEM_FAIL(c);
    /* Strict: no comments, single quotes or trailing data; UTF-8 checked. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, (const char *)json, (int)size);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int e = 0;
    if (je == json_tokener_continue || (!o && je == json_tokener_success))
        e = fail(c, BACKDROP_EINVAL, "model.json is truncated (%zu bytes)", size);
    else if (!o || je != json_tokener_success)
        e = fail(c, BACKDROP_EINVAL, "model.json is not valid JSON (byte %zu: %s)", end, json_tokener_error_desc(je));
    for (size_t i = end; !e && i < size; i++)
        if (json[i] != ' ' && json[i] != '\t' && json[i] != '\n' && json[i] != '\r')
            e = fail(c, BACKDROP_EINVAL, "model.json has data after its JSON value (byte %zu)", i);
    if (!e && !json_object_is_type(o, json_type_object))
        e = fail(c, BACKDROP_EINVAL, "model.json is not a JSON object");
    if (e)
        json_object_put(o);
    else
        *root = o;
    return e;
}

static int read_model(Ctx *c, json_object *root, const uint8_t *const *shards, const size_t *sizes, int num_shards,
                      TfjsModel *m)
{
    const char *format;
    size_t len;
    int e;
    if ((e = text_member(c, root, "format", "model.json", &format, &len)))
        return e;
    if (!format || strcmp(format, "graph-model"))
        return fail(c, BACKDROP_EINVAL, "model.json: format is '%.40s', not 'graph-model'", format ? format : "");
    json_object *topo = member(root, "modelTopology"), *nodes;
    if (!topo || !json_object_is_type(topo, json_type_object) || !(nodes = member(topo, "node")) ||
        !json_object_is_type(nodes, json_type_array))
        return fail(c, BACKDROP_EINVAL, "model.json: no \"modelTopology\" object with a \"node\" array");
    size_t count = json_object_array_length(nodes);
    if (count == 0)
        return fail(c, BACKDROP_EINVAL, "model.json: the graph has no nodes");
    if (count > TFJS_MAX_NODES)
        return fail(c, BACKDROP_ENOTSUP, "model.json: %zu nodes, over %d", count, TFJS_MAX_NODES);
    if (!(m->nodes = calloc(count, sizeof(*m->nodes))))
        return ENOMEM_FAIL(c);
    for (size_t i = 0; i < count; i++) {
        m->num_nodes++; /* counted first: a half-read node is freed too */
        if ((e = read_node(c, json_object_array_get_idx(nodes, i), (int)i, &m->nodes[i])))
            return e;
    }
    Names names;
    if (names_init(&names, m->num_nodes, &m->nodes[0].name, sizeof(TfjsNode)))
        return ENOMEM_FAIL(c);
    for (int i = 0; i < m->num_nodes && !e; i++) {
        int old = names_add(&names, i);
        if (old >= 0)
            e = fail(c, BACKDROP_EINVAL, "nodes %d and %d are both named '%.120s'", old, i, m->nodes[i].name);
    }
    if (!e)
        e = resolve_inputs(c, &names, nodes, m);
    if (!e)
        e = read_weights(c, member(root, "weightsManifest"), shards, sizes, num_shards, m);
    if (!e)
        e = link_consts(c, m);
    json_object *sig = member(root, "signature");
    if (!e && sig && !json_object_is_type(sig, json_type_object))
        e = fail(c, BACKDROP_EINVAL, "model.json: \"signature\" is not an object");
    if (!e && sig)
        e = read_ports(c, &names, member(sig, "inputs"), 1, m, &m->num_inputs, &m->inputs);
    if (!e && sig)
        e = read_ports(c, &names, member(sig, "outputs"), 0, m, &m->num_outputs, &m->outputs);
    free(names.slot);
    return e ? e : check_acyclic(c, m);
}

int tfjs_model_read(TfjsModel *m, const uint8_t *json, size_t json_size, const uint8_t *const *shards,
                    const size_t *shard_sizes, int num_shards, char *err, size_t errlen)
{
    Ctx c = { err, errlen };
    if (err && errlen)
        err[0] = '\0';
    if (!m)
        return fail(&c, BACKDROP_EINVAL, "no model to read into");
    memset(m, 0, sizeof(*m));
    if ((!json && json_size) || num_shards < 0 || (num_shards && (!shards || !shard_sizes)))
        return fail(&c, BACKDROP_EINVAL, "invalid arguments");
    json_object *root;
    int e = parse_json(&c, json ? json : (const uint8_t *)"", json_size, &root);
    if (e)
        return e;
    e = read_model(&c, root, shards, shard_sizes, num_shards, m);
    json_object_put(root);
    if (e)
        tfjs_model_free(m);
    return e;
}

int tfjs_model_find_node(const TfjsModel *m, const char *name)
{
    for (int i = 0; i < m->num_nodes; i++)
        if (!strcmp(m->nodes[i].name, name))
            return i;
    return -1;
}

const TfjsAttr *tfjs_node_attr(const TfjsNode *n, const char *name)
{
    for (int i = 0; i < n->num_attrs; i++)
        if (!strcmp(n->attrs[i].name, name))
            return &n->attrs[i];
    return NULL;
}
