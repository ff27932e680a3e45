/*
 * See tflite_builder.h. The FlatBuffer is written back to front, as the
 * FlatBuffers library does: children are written before their parents, so
 * every unsigned offset from a parent points forward (to higher addresses)
 * in the finished buffer. Positions are kept as distances from the end
 * ("refs"), which do not move while the buffer grows at the front; the
 * total is padded to 16 bytes so that alignment from the end is alignment
 * in the file too.
 */
#include "tflite_builder.h"

#include <stdlib.h>
#include <string.h>

typedef struct Tb {
    uint8_t *buf; /* content lives in buf[cap - used, cap) */
    size_t cap, used;
    int oom;
    size_t table_start;
    size_t field_ref[16]; /* ref of each field of the open table, 0 = absent */
} Tb;

static void tb_reserve(Tb *b, size_t n)
{
    if (b->oom || b->cap - b->used >= n)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->used < n)
        cap *= 2;
    uint8_t *p = malloc(cap);
    if (!p) {
        b->oom = 1;
        return;
    }
    if (b->used)
        memcpy(p + cap - b->used, b->buf + b->cap - b->used, b->used);
    free(b->buf);
    b->buf = p;
    b->cap = cap;
}

static void tb_prepend(Tb *b, const void *data, size_t n)
{
    tb_reserve(b, n);
    if (b->oom || n == 0)
        return;
    b->used += n;
    if (data)
        memcpy(b->buf + b->cap - b->used, data, n);
    else
        memset(b->buf + b->cap - b->used, 0, n);
}

/* Pads so that after prepending size bytes, used is a multiple of align. */
static void tb_align(Tb *b, size_t size, size_t align)
{
    size_t pad = (align - (b->used + size) % align) % align;
    tb_prepend(b, NULL, pad);
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void tb_u32(Tb *b, uint32_t v)
{
    uint8_t p[4];
    le32(p, v);
    tb_align(b, 4, 4);
    tb_prepend(b, p, 4);
}

/* An offset to ref, written here: target - here, both from the start. */
static void tb_offset(Tb *b, size_t ref)
{
    tb_align(b, 4, 4);
    tb_u32(b, (uint32_t)(b->used + 4 - ref));
}

static size_t tb_vec_bytes(Tb *b, const void *data, size_t n, size_t align)
{
    tb_align(b, n, align < 4 ? 4 : align);
    tb_prepend(b, data, n);
    tb_u32(b, (uint32_t)n);
    return b->used;
}

static size_t tb_vec_i32(Tb *b, const int32_t *v, size_t n)
{
    tb_align(b, 4 * n, 4);
    for (size_t i = n; i-- > 0;) {
        uint8_t p[4];
        le32(p, (uint32_t)v[i]);
        tb_prepend(b, p, 4);
    }
    tb_u32(b, (uint32_t)n);
    return b->used;
}

static size_t tb_vec_refs(Tb *b, const size_t *refs, size_t n)
{
    tb_align(b, 4 * n, 4);
    for (size_t i = n; i-- > 0;)
        tb_offset(b, refs[i]);
    tb_u32(b, (uint32_t)n);
    return b->used;
}

static size_t tb_string(Tb *b, const char *s)
{
    size_t n = strlen(s);
    tb_align(b, n + 1, 4);
    tb_prepend(b, NULL, 1);
    tb_prepend(b, s, n);
    tb_u32(b, (uint32_t)n);
    return b->used;
}

static void tb_start(Tb *b)
{
    b->table_start = b->used;
    memset(b->field_ref, 0, sizeof(b->field_ref));
}

static void tb_add_i8(Tb *b, int id, int8_t v)
{
    tb_prepend(b, &v, 1);
    b->field_ref[id] = b->used;
}

static void tb_add_i32(Tb *b, int id, int32_t v)
{
    tb_u32(b, (uint32_t)v);
    b->field_ref[id] = b->used;
}

static void tb_add_ref(Tb *b, int id, size_t ref)
{
    tb_offset(b, ref);
    b->field_ref[id] = b->used;
}

/* Closes the table: the soffset to its vtable first, then the vtable in
 * front of it (so soffset = table - vtable is positive). */
static size_t tb_end(Tb *b)
{
    tb_u32(b, 0); /* soffset, patched below */
    size_t table = b->used;
    int nfields = 0;
    for (int id = 0; id < 16; id++)
        if (b->field_ref[id])
            nfields = id + 1;
    uint8_t vt[4 + 2 * 16];
    size_t vt_size = 4 + 2 * (size_t)nfields;
    vt[0] = (uint8_t)vt_size;
    vt[1] = (uint8_t)(vt_size >> 8);
    size_t table_size = table - b->table_start;
    vt[2] = (uint8_t)table_size;
    vt[3] = (uint8_t)(table_size >> 8);
    for (int id = 0; id < nfields; id++) {
        size_t off = b->field_ref[id] ? table - b->field_ref[id] : 0;
        vt[4 + 2 * id] = (uint8_t)off;
        vt[5 + 2 * id] = (uint8_t)(off >> 8);
    }
    tb_prepend(b, vt, vt_size);
    if (!b->oom)
        le32(b->buf + b->cap - table, (uint32_t)(b->used - table));
    return table;
}

TbField *tb_field(TbOp *op, int id, TbKind kind)
{
    for (int i = 0; i < op->num_fields; i++)
        if (op->fields[i].id == id)
            return &op->fields[i];
    if (op->num_fields == TB_MAX_FIELDS)
        return &op->fields[TB_MAX_FIELDS - 1];
    TbField *f = &op->fields[op->num_fields++];
    f->id = id;
    f->kind = kind;
    f->value = 0;
    return f;
}

uint8_t *tb_serialize(const TbModel *m, size_t *size)
{
    Tb b;
    memset(&b, 0, sizeof(b));
    size_t buffer_refs[TB_MAX_TENSORS + 1], tensor_refs[TB_MAX_TENSORS], op_refs[TB_MAX_OPS];
    size_t code_refs[TB_MAX_OPS];
    int tensor_buffer[TB_MAX_TENSORS];
    int num_buffers = 0;

    /* Buffers: 0 is the empty sentinel, then one per constant. */
    tb_start(&b);
    buffer_refs[num_buffers++] = tb_end(&b);
    for (int i = 0; i < m->num_tensors; i++) {
        const TbTensor *t = &m->tensors[i];
        tensor_buffer[i] = 0;
        if (t->data) {
            size_t data = tb_vec_bytes(&b, t->data, t->data_size, 16);
            tb_start(&b);
            tb_add_ref(&b, 0, data);
            tensor_buffer[i] = num_buffers;
            buffer_refs[num_buffers++] = tb_end(&b);
        }
        if (t->buffer >= 0)
            tensor_buffer[i] = t->buffer;
    }
    size_t buffers = tb_vec_refs(&b, buffer_refs, (size_t)num_buffers);

    for (int i = 0; i < m->num_tensors; i++) {
        const TbTensor *t = &m->tensors[i];
        size_t name = tb_string(&b, t->name ? t->name : "");
        size_t shape = tb_vec_i32(&b, t->shape, (size_t)t->rank);
        tb_start(&b);
        tb_add_ref(&b, 0, shape);
        tb_add_i32(&b, 2, tensor_buffer[i]);
        tb_add_ref(&b, 3, name);
        tb_add_i8(&b, 1, (int8_t)t->type);
        tensor_refs[i] = tb_end(&b);
    }
    size_t tensors = tb_vec_refs(&b, tensor_refs, (size_t)m->num_tensors);

    /* Operator codes, one per distinct (builtin, custom code). */
    int code_of[TB_MAX_OPS], num_codes = 0;
    for (int k = 0; k < m->num_ops; k++) {
        const TbOp *op = &m->ops[k];
        code_of[k] = -1;
        for (int j = 0; j < k && code_of[k] < 0; j++) {
            const TbOp *o = &m->ops[j];
            if (o->builtin == op->builtin &&
                (o->builtin != TB_CUSTOM || !strcmp(o->custom_code ? o->custom_code : "", op->custom_code ? op->custom_code : "")))
                code_of[k] = code_of[j];
        }
        if (code_of[k] >= 0)
            continue;
        size_t custom = op->builtin == TB_CUSTOM ? tb_string(&b, op->custom_code ? op->custom_code : "") : 0;
        tb_start(&b);
        tb_add_i32(&b, 2, 1); /* version */
        tb_add_i32(&b, 3, op->builtin);
        if (custom)
            tb_add_ref(&b, 1, custom);
        tb_add_i8(&b, 0, (int8_t)(op->builtin < 127 ? op->builtin : 127));
        code_of[k] = num_codes;
        code_refs[num_codes++] = tb_end(&b);
    }
    size_t codes = tb_vec_refs(&b, code_refs, (size_t)num_codes);

    for (int k = 0; k < m->num_ops; k++) {
        const TbOp *op = &m->ops[k];
        size_t ins = tb_vec_i32(&b, op->inputs, (size_t)op->num_inputs);
        size_t outs = tb_vec_i32(&b, op->outputs, (size_t)op->num_outputs);
        size_t options = 0, custom = 0;
        if (op->options_type) {
            tb_start(&b);
            for (int f = 0; f < op->num_fields; f++) {
                if (op->fields[f].kind == TB_I32)
                    tb_add_i32(&b, op->fields[f].id, op->fields[f].value);
            }
            for (int f = 0; f < op->num_fields; f++) {
                if (op->fields[f].kind == TB_I8)
                    tb_add_i8(&b, op->fields[f].id, (int8_t)op->fields[f].value);
            }
            options = tb_end(&b);
        }
        if (op->custom_options)
            custom = tb_vec_bytes(&b, op->custom_options, op->custom_options_size, 4);
        tb_start(&b);
        tb_add_i32(&b, 0, op->force_opcode_index ? op->opcode_index : code_of[k]);
        tb_add_ref(&b, 1, ins);
        tb_add_ref(&b, 2, outs);
        if (options)
            tb_add_ref(&b, 4, options);
        if (custom)
            tb_add_ref(&b, 5, custom);
        if (options)
            tb_add_i8(&b, 3, (int8_t)op->options_type);
        op_refs[k] = tb_end(&b);
    }
    size_t ops = tb_vec_refs(&b, op_refs, (size_t)m->num_ops);
    size_t gin = tb_vec_i32(&b, m->inputs, (size_t)m->num_inputs);
    size_t gout = tb_vec_i32(&b, m->outputs, (size_t)m->num_outputs);
    size_t sg_name = tb_string(&b, "main");
    tb_start(&b);
    tb_add_ref(&b, 0, tensors);
    tb_add_ref(&b, 1, gin);
    tb_add_ref(&b, 2, gout);
    tb_add_ref(&b, 3, ops);
    tb_add_ref(&b, 4, sg_name);
    size_t sg = tb_end(&b);
    size_t sg_refs[4] = { sg, sg, sg, sg };
    int num_sg = m->num_subgraphs < 4 ? m->num_subgraphs : 4;
    size_t subgraphs = tb_vec_refs(&b, sg_refs, (size_t)num_sg);
    size_t description = tb_string(&b, "backdrop test model");

    tb_start(&b);
    tb_add_i32(&b, 0, (int32_t)m->version);
    tb_add_ref(&b, 1, codes);
    tb_add_ref(&b, 2, subgraphs);
    tb_add_ref(&b, 3, description);
    tb_add_ref(&b, 4, buffers);
    size_t root = tb_end(&b);

    /* Header: root offset, then the file identifier. */
    tb_align(&b, 8, 16);
    tb_prepend(&b, "TFL3", 4);
    tb_offset(&b, root);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    uint8_t *out = malloc(b.used);
    if (out)
        memcpy(out, b.buf + b.cap - b.used, b.used);
    *size = b.used;
    free(b.buf);
    return out;
}

/* ---- the mini model ---------------------------------------------------- */

/* Constant data: deterministic, distinct, small values. FLOAT16 patterns
 * are written directly. */
static uint16_t w0_half[4 * 3 * 3 * 3];
static uint16_t b0_half[4];
static float wd[1 * 3 * 3 * 4], wc[4 * 4], bc[4], wt[1 * 2 * 2 * 4], bt[1];
static const int32_t axes[2] = { 1, 2 }, size_hw[2] = { 8, 8 }, out_shape[4] = { 1, 16, 16, 1 };
static const uint8_t tconv_options[12] = { 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0 }; /* SAME, 2, 2 */

static void fill_constants(void)
{
    for (size_t i = 0; i < sizeof(w0_half) / 2; i++)
        w0_half[i] = (uint16_t)(0x3000 + 37 * i); /* 0.125 .. ~0.9, increasing */
    for (size_t i = 0; i < 4; i++)
        b0_half[i] = (uint16_t)(0xb800 + i); /* about -0.5 */
    for (size_t i = 0; i < sizeof(wd) / sizeof(wd[0]); i++)
        wd[i] = 0.05f * (float)(i % 7) - 0.1f;
    for (size_t i = 0; i < 16; i++)
        wc[i] = (i % 5 == 0) ? 1.0f : -0.25f;
    for (size_t i = 0; i < 4; i++)
        bc[i] = 0.5f - 0.25f * (float)i;
    for (size_t i = 0; i < sizeof(wt) / sizeof(wt[0]); i++)
        wt[i] = 0.125f * (float)i - 1.0f;
    bt[0] = 0.25f;
}

static void tensor(TbModel *m, int i, const char *name, int type, int rank, int32_t d0, int32_t d1, int32_t d2,
                   int32_t d3, const void *data, size_t size)
{
    TbTensor *t = &m->tensors[i];
    t->name = name;
    t->type = type;
    t->rank = rank;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->shape[2] = d2;
    t->shape[3] = d3;
    t->data = data;
    t->data_size = size;
    t->buffer = -1;
}

static TbOp *op(TbModel *m, int k, int builtin, int options_type, int num_inputs, int32_t i0, int32_t i1,
                int32_t i2, int32_t out)
{
    TbOp *o = &m->ops[k];
    o->builtin = builtin;
    o->options_type = options_type;
    o->num_inputs = num_inputs;
    o->inputs[0] = i0;
    o->inputs[1] = i1;
    o->inputs[2] = i2;
    o->num_outputs = 1;
    o->outputs[0] = out;
    return o;
}

static void window_options(TbOp *o, int padding, int stride_h, int stride_w)
{
    tb_field(o, 0, TB_I8)->value = padding;
    tb_field(o, 1, TB_I32)->value = stride_w;
    tb_field(o, 2, TB_I32)->value = stride_h;
}

void tb_mini_model(TbModel *m, int builtin_tconv)
{
    fill_constants();
    memset(m, 0, sizeof(*m));
    m->version = 3;
    m->num_subgraphs = 1;
    m->num_tensors = MINI_TENSORS;
    m->num_ops = MINI_OPS;
    m->num_inputs = m->num_outputs = 1;
    m->inputs[0] = MINI_IN;
    m->outputs[0] = MINI_OUT;

    tensor(m, MINI_IN, "input", TB_FLOAT32, 4, 1, 8, 8, 3, NULL, 0);
    tensor(m, MINI_W0H, "conv0/Kernel", TB_FLOAT16, 4, 4, 3, 3, 3, w0_half, sizeof(w0_half));
    tensor(m, MINI_W0, "conv0/Kernel_dequantize", TB_FLOAT32, 4, 4, 3, 3, 3, NULL, 0);
    tensor(m, MINI_B0H, "conv0/Bias", TB_FLOAT16, 1, 4, 0, 0, 0, b0_half, sizeof(b0_half));
    tensor(m, MINI_B0, "conv0/Bias_dequantize", TB_FLOAT32, 1, 4, 0, 0, 0, NULL, 0);
    tensor(m, MINI_C0, "conv0", TB_FLOAT32, 4, 1, 4, 4, 4, NULL, 0);
    tensor(m, MINI_H0, "hswish", TB_FLOAT32, 4, 1, 4, 4, 4, NULL, 0);
    tensor(m, MINI_WD, "dw/Kernel", TB_FLOAT32, 4, 1, 3, 3, 4, wd, sizeof(wd));
    tensor(m, MINI_D0, "dw", TB_FLOAT32, 4, 1, 4, 4, 4, NULL, 0);
    tensor(m, MINI_R0, "relu", TB_FLOAT32, 4, 1, 4, 4, 4, NULL, 0);
    tensor(m, MINI_P0, "pool", TB_FLOAT32, 4, 1, 1, 1, 4, NULL, 0);
    tensor(m, MINI_WC, "se/Kernel", TB_FLOAT32, 4, 4, 1, 1, 4, wc, sizeof(wc));
    tensor(m, MINI_BC, "se/Bias", TB_FLOAT32, 1, 4, 0, 0, 0, bc, sizeof(bc));
    tensor(m, MINI_C1, "se", TB_FLOAT32, 4, 1, 1, 1, 4, NULL, 0);
    tensor(m, MINI_S0, "se_sigmoid", TB_FLOAT32, 4, 1, 1, 1, 4, NULL, 0);
    tensor(m, MINI_M0, "se_mul", TB_FLOAT32, 4, 1, 4, 4, 4, NULL, 0);
    tensor(m, MINI_AXES, "mean/Axes", TB_INT32, 1, 2, 0, 0, 0, axes, sizeof(axes));
    tensor(m, MINI_G0, "mean", TB_FLOAT32, 4, 1, 1, 1, 4, NULL, 0);
    tensor(m, MINI_A0, "add_bcast", TB_FLOAT32, 4, 1, 4, 4, 4, NULL, 0);
    tensor(m, MINI_A1, "add", TB_FLOAT32, 4, 1, 4, 4, 4, NULL, 0);
    tensor(m, MINI_SIZE, "up/Size", TB_INT32, 1, 2, 0, 0, 0, size_hw, sizeof(size_hw));
    tensor(m, MINI_U0, "up", TB_FLOAT32, 4, 1, 8, 8, 4, NULL, 0);
    tensor(m, MINI_WT, "tconv/Kernel", TB_FLOAT32, 4, 1, 2, 2, 4, wt, sizeof(wt));
    tensor(m, MINI_BT, "tconv/Bias", TB_FLOAT32, 1, 1, 0, 0, 0, bt, sizeof(bt));
    tensor(m, MINI_T0, "tconv", TB_FLOAT32, 4, 1, 16, 16, 1, NULL, 0);
    tensor(m, MINI_OUT, "output", TB_FLOAT32, 4, 1, 16, 16, 1, NULL, 0);
    tensor(m, MINI_OUT_SHAPE, "tconv/OutputShape", TB_INT32, 1, 4, 0, 0, 0, out_shape, sizeof(out_shape));

    op(m, MINI_OP_DEQ_W0, TB_DEQUANTIZE, 0, 1, MINI_W0H, 0, 0, MINI_W0);
    op(m, MINI_OP_DEQ_B0, TB_DEQUANTIZE, 0, 1, MINI_B0H, 0, 0, MINI_B0);
    TbOp *o = op(m, MINI_OP_CONV0, TB_CONV_2D, TB_OPT_CONV_2D, 3, MINI_IN, MINI_W0, MINI_B0, MINI_C0);
    window_options(o, 0, 2, 2);
    tb_field(o, 3, TB_I8)->value = 3; /* RELU6 */
    tb_field(o, 4, TB_I32)->value = 1;
    tb_field(o, 5, TB_I32)->value = 1;
    op(m, MINI_OP_HSWISH, TB_HARD_SWISH, 0, 1, MINI_C0, 0, 0, MINI_H0);
    /* depthwise without bias: -1 in the bias slot */
    o = op(m, MINI_OP_DW, TB_DEPTHWISE_CONV_2D, TB_OPT_DEPTHWISE_CONV_2D, 3, MINI_H0, MINI_WD, -1, MINI_D0);
    window_options(o, 0, 1, 1);
    tb_field(o, 3, TB_I32)->value = 1; /* depth_multiplier */
    op(m, MINI_OP_RELU, TB_RELU, 0, 1, MINI_D0, 0, 0, MINI_R0);
    o = op(m, MINI_OP_POOL, TB_AVERAGE_POOL_2D, TB_OPT_POOL_2D, 1, MINI_R0, 0, 0, MINI_P0);
    window_options(o, 1, 4, 4);
    tb_field(o, 3, TB_I32)->value = 4;
    tb_field(o, 4, TB_I32)->value = 4;
    o = op(m, MINI_OP_CONV1, TB_CONV_2D, TB_OPT_CONV_2D, 3, MINI_P0, MINI_WC, MINI_BC, MINI_C1);
    window_options(o, 1, 1, 1);
    op(m, MINI_OP_SIGMOID, TB_LOGISTIC, 0, 1, MINI_C1, 0, 0, MINI_S0);
    /* broadcast operand first */
    op(m, MINI_OP_MUL, TB_MUL, TB_OPT_MUL, 2, MINI_S0, MINI_R0, 0, MINI_M0);
    o = op(m, MINI_OP_MEAN, TB_MEAN, TB_OPT_REDUCER, 2, MINI_M0, MINI_AXES, 0, MINI_G0);
    tb_field(o, 0, TB_I8)->value = 1; /* keep_dims */
    /* broadcast operand second, fused RELU */
    o = op(m, MINI_OP_ADD_BCAST, TB_ADD, TB_OPT_ADD, 2, MINI_M0, MINI_G0, 0, MINI_A0);
    tb_field(o, 0, TB_I8)->value = 1;
    op(m, MINI_OP_ADD, TB_ADD, TB_OPT_ADD, 2, MINI_A0, MINI_R0, 0, MINI_A1);
    o = op(m, MINI_OP_RESIZE, TB_RESIZE_BILINEAR, TB_OPT_RESIZE_BILINEAR, 2, MINI_A1, MINI_SIZE, 0, MINI_U0);
    tb_field(o, 3, TB_I8)->value = 1; /* half_pixel_centers */
    if (builtin_tconv) {
        o = op(m, MINI_OP_TCONV, TB_TRANSPOSE_CONV, TB_OPT_TRANSPOSE_CONV, 4, MINI_OUT_SHAPE, MINI_WT, MINI_U0,
               MINI_T0);
        o->inputs[3] = MINI_BT;
        window_options(o, 0, 2, 2);
    } else {
        o = op(m, MINI_OP_TCONV, TB_CUSTOM, 0, 3, MINI_U0, MINI_WT, MINI_BT, MINI_T0);
        o->custom_code = "Convolution2DTransposeBias";
        o->custom_options = tconv_options;
        o->custom_options_size = sizeof(tconv_options);
    }
    op(m, MINI_OP_LOGISTIC, TB_LOGISTIC, 0, 1, MINI_T0, 0, 0, MINI_OUT);
}
