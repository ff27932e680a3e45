/* See tfjs_check.h. Quadratic where that is simplest: models checked here
 * are at most the RVM graph (910 nodes). */
#include "tfjs_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int broken(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return 1;
}

static int printable(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    return 1;
}

int tfjs_model_is_empty(const TfjsModel *m)
{
    return !m->num_nodes && !m->nodes && !m->order && !m->num_weights && !m->weights && !m->num_inputs &&
           !m->inputs && !m->num_outputs && !m->outputs;
}

int tfjs_model_check(const TfjsModel *m, char *why, size_t whylen)
{
    int n = m->num_nodes;
    if (n < 1 || !m->nodes || !m->order)
        return broken(why, whylen, "no nodes");
    for (int i = 0; i < n; i++) {
        const TfjsNode *nd = &m->nodes[i];
        if (!printable(nd->name) || strchr(nd->name, ':') || nd->name[0] == '^' || !printable(nd->op))
            return broken(why, whylen, "node %d: bad name or op", i);
        for (int j = 0; j < i; j++)
            if (!strcmp(m->nodes[j].name, nd->name))
                return broken(why, whylen, "nodes %d and %d share a name", j, i);
        if (nd->num_inputs < 0 || (nd->num_inputs && !nd->inputs))
            return broken(why, whylen, "node %d: inputs", i);
        for (int k = 0; k < nd->num_inputs; k++) {
            const TfjsInput *in = &nd->inputs[k];
            if (in->node < 0 || in->node >= n || in->output < 0 || in->output > TFJS_MAX_OUTPUT_INDEX ||
                (in->control && in->output) || (in->control != 0 && in->control != 1))
                return broken(why, whylen, "node %d input %d out of range", i, k);
        }
        if (nd->num_attrs < 0 || (nd->num_attrs && !nd->attrs))
            return broken(why, whylen, "node %d: attrs", i);
        for (int k = 0; k < nd->num_attrs; k++) {
            const TfjsAttr *a = &nd->attrs[k];
            if (!printable(a->name))
                return broken(why, whylen, "node %d attr %d: name", i, k);
            int ok = 1;
            switch (a->kind) {
            case TFJS_ATTR_STRING: ok = a->s != NULL; break;
            case TFJS_ATTR_SHAPE: ok = a->rank >= -1 && a->rank <= TFJS_MAX_RANK; break;
            case TFJS_ATTR_TENSOR: ok = a->rank >= 0 && a->rank <= TFJS_MAX_RANK; break;
            case TFJS_ATTR_LIST_EMPTY: ok = a->count == 0; break;
            case TFJS_ATTR_LIST_INT: ok = a->count > 0 && a->ints; break;
            case TFJS_ATTR_LIST_FLOAT: ok = a->count > 0 && a->floats; break;
            case TFJS_ATTR_LIST_TYPE: ok = a->count > 0 && a->types; break;
            case TFJS_ATTR_LIST_STRING:
                ok = a->count > 0 && a->strings;
                for (int j = 0; ok && j < a->count; j++)
                    ok = a->strings[j] != NULL;
                break;
            case TFJS_ATTR_BOOL: ok = a->b == 0 || a->b == 1; break;
            default: break;
            }
            if (!ok)
                return broken(why, whylen, "node %d attr '%s': fields do not match its kind", i, a->name);
            if (a->kind == TFJS_ATTR_SHAPE || a->kind == TFJS_ATTR_TENSOR)
                for (int d = 0; d < a->rank; d++)
                    if (a->dims[d] < (a->kind == TFJS_ATTR_SHAPE ? -1 : 0))
                        return broken(why, whylen, "node %d attr '%s': dim %d", i, a->name, d);
        }
        int is_const = !strcmp(nd->op, "Const");
        if (is_const ? (nd->weight < 0 || nd->weight >= m->num_weights || m->weights[nd->weight].node != i)
                     : nd->weight != -1)
            return broken(why, whylen, "node %d: weight link", i);
    }
    /* order: a permutation with every input placed earlier */
    int *pos = malloc((size_t)n * sizeof(int));
    if (!pos)
        return broken(why, whylen, "out of memory");
    for (int i = 0; i < n; i++)
        pos[i] = -1;
    int bad = 0;
    for (int p = 0; p < n && !bad; p++) {
        int i = m->order[p];
        if (i < 0 || i >= n || pos[i] >= 0)
            bad = broken(why, whylen, "order is not a permutation (position %d)", p);
        else
            pos[i] = p;
    }
    for (int i = 0; i < n && !bad; i++)
        for (int k = 0; k < m->nodes[i].num_inputs && !bad; k++)
            if (pos[m->nodes[i].inputs[k].node] >= pos[i])
                bad = broken(why, whylen, "order puts node %d before its input %d", i, k);
    free(pos);
    if (bad)
        return 1;
    if (m->num_weights < 0 || (m->num_weights && !m->weights))
        return broken(why, whylen, "weights");
    for (int w = 0; w < m->num_weights; w++) {
        const TfjsWeight *wt = &m->weights[w];
        if (!printable(wt->name) || wt->rank < 0 || wt->rank > TFJS_MAX_RANK)
            return broken(why, whylen, "weight %d: name or rank", w);
        size_t count = 1;
        for (int d = 0; d < wt->rank; d++) {
            if (wt->shape[d] < 0)
                return broken(why, whylen, "weight %d: negative dim", w);
            count *= (size_t)wt->shape[d];
        }
        if (count != wt->count)
            return broken(why, whylen, "weight %d: count %zu, shape gives %zu", w, wt->count, count);
        int f = wt->dtype == TFJS_FLOAT32;
        if ((count && f && (!wt->f32 || wt->i32)) || (count && !f && (!wt->i32 || wt->f32)) ||
            (!count && (wt->f32 || wt->i32)))
            return broken(why, whylen, "weight %d: value arrays", w);
        if (!f && wt->quant != TFJS_QUANT_NONE)
            return broken(why, whylen, "weight %d: quantised non-float", w);
        if (wt->dtype == TFJS_BOOL)
            for (size_t k = 0; k < count; k++)
                if (wt->i32[k] != 0 && wt->i32[k] != 1)
                    return broken(why, whylen, "weight %d: bool value %d", w, (int)wt->i32[k]);
        if (wt->node != -1 && (wt->node < 0 || wt->node >= n || m->nodes[wt->node].weight != w ||
                               strcmp(m->nodes[wt->node].name, wt->name)))
            return broken(why, whylen, "weight %d: node link", w);
        for (int v = 0; v < w; v++)
            if (!strcmp(m->weights[v].name, wt->name))
                return broken(why, whylen, "weights %d and %d share a name", v, w);
    }
    for (int side = 0; side < 2; side++) {
        int count = side ? m->num_outputs : m->num_inputs;
        const TfjsPort *ports = side ? m->outputs : m->inputs;
        if (count < 0 || (count && !ports))
            return broken(why, whylen, "signature ports");
        for (int p = 0; p < count; p++)
            if (!printable(ports[p].key) || ports[p].node < 0 || ports[p].node >= n || ports[p].output < 0 ||
                ports[p].output > TFJS_MAX_OUTPUT_INDEX ||
                (!side && strcmp(m->nodes[ports[p].node].op, "Placeholder")))
                return broken(why, whylen, "signature %s %d", side ? "output" : "input", p);
    }
    return 0;
}
