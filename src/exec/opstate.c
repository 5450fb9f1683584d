/*
 * opstate.c — what the stateful operators share to write and read their
 * checkpoint records (opstate.h).
 */
#include "exec/opstate.h"

#include <string.h>

#include "connectors/options.h"
#include "core/datetime.h"
#include "state/table.h"

void op_ttl_set(struct op_ttl *t, int64_t ttl_us, bool manual)
{
    t->ttl_us = ttl_us > 0 ? ttl_us : 0;
    t->manual = manual;
}

int64_t op_ttl_clock(struct op_ttl *t)
{
    if (!t->manual)
        t->now = dt_now_us();
    return t->now;
}

void op_ttl_tick(struct op_ttl *t, int64_t now_us)
{
    if (t->manual)
        t->now = now_us;
    else
        op_ttl_clock(t);
}

int64_t op_ttl_deadline(const struct op_ttl *t, int64_t written)
{
    return written > INT64_MAX - t->ttl_us ? INT64_MAX : written + t->ttl_us;
}

bool op_ttl_expired(const struct op_ttl *t, int64_t written)
{
    return t->ttl_us > 0 && op_ttl_deadline(t, written) <= t->now;
}

int op_ttl_parse(const char *value, int64_t *ttl_us, struct weir_error *err)
{
    int64_t ms = 0;
    *ttl_us = 0;
    if (value && opt_parse_duration_ms(value, &ms) != WEIR_OK)
        return err_set(err, WEIR_ERR_CONFIG,
                       "'table.exec.state.ttl' expects a duration: a number and a unit of "
                       "d, h, min, s or ms (such as '1 h', '10 min', '500 ms'; 0 never "
                       "expires state), got '%s'", value);
    *ttl_us = ms > INT64_MAX / 1000 ? INT64_MAX : ms * 1000;
    return WEIR_OK;
}

int opstate_corrupt(const struct op *op, const char *what, struct weir_error *err)
{
    return err_set(err, WEIR_ERR_CORRUPT, "checkpointed state of %s does not decode: %s",
                   op->label, what);
}

void opstate_fingerprint_type(struct strbuf *fp, const struct sql_type *t)
{
    /* what decides the encoded bytes: the type and, for decimals, the scale */
    snap_put_u8(fp, t ? t->id : 0xff);
    snap_put_u32(fp, t ? (uint32_t)t->scale : 0);
}

uint32_t opstate_fingerprint_done(const struct strbuf *fp)
{
    uint64_t h = state_hash(fp->buf ? fp->buf : "", fp->len);
    return (uint32_t)(h ^ (h >> 32));
}

void opstate_put_header(struct strbuf *out, uint8_t type, uint32_t fingerprint)
{
    snap_put_u8(out, OPSTATE_VERSION);
    snap_put_u8(out, type);
    snap_put_u32(out, fingerprint);
}

int opstate_get_header(const struct op *op, struct snap_rd *rd, uint32_t fingerprint,
                       uint8_t *type, struct weir_error *err)
{
    uint8_t version = snap_get_u8(rd);
    *type = snap_get_u8(rd);
    uint32_t fp = snap_get_u32(rd);
    if (rd->bad)
        return opstate_corrupt(op, "truncated record", err);
    if (version != OPSTATE_VERSION)
        return err_set(err, WEIR_ERR_CORRUPT,
                       "checkpointed state of %s has record format %u; this weir reads %u",
                       op->label, version, OPSTATE_VERSION);
    if (fp != fingerprint)
        return err_set(err, WEIR_ERR_CONFIG,
                       "checkpointed state of %s was written by another query (its inputs, "
                       "keys, window or aggregates differ); start it without that checkpoint",
                       op->label);
    return WEIR_OK;
}

int opstate_check_key_group(const struct op *op, const void *key, size_t len, int kg,
                            int max_parallelism, struct weir_error *err)
{
    if (state_key_group(state_hash(key, len), max_parallelism) == kg)
        return WEIR_OK;
    return err_set(err, WEIR_ERR_CONFIG,
                   "checkpointed state of %s: a key is tagged with key group %d but belongs "
                   "to another one under pipeline.max-parallelism %d (it cannot change "
                   "between a checkpoint and its restore)",
                   op->label, kg, max_parallelism);
}

/* Checks one value of type t at p[*pos..len) the way state_key_decode would
 * read it; false when it runs past the end or is malformed. */
static bool check_value(const unsigned char *p, size_t len, size_t *pos,
                        const struct sql_type *t)
{
    if (*pos >= len || p[*pos] > 1)
        return false;
    if (p[(*pos)++] == 0)
        return true;   /* NULL */
    size_t need = 0;
    uint32_t n;
    switch (type_lane(t)) {
    case LANE_BOOL: need = 1; break;
    case LANE_I64:
    case LANE_F64: need = 8; break;
    case LANE_I128: need = 16; break;
    case LANE_STR:
        if (len - *pos < 4)
            return false;
        memcpy(&n, p + *pos, 4);
        *pos += 4;
        need = n;
        break;
    case LANE_NESTED:
        if (t->id == T_ROW) {
            for (int k = 0; k < t->n_fields; k++)
                if (!check_value(p, len, pos, t->field_types[k]))
                    return false;
            return true;
        }
        if (len - *pos < 4)
            return false;
        memcpy(&n, p + *pos, 4);
        *pos += 4;
        /* every element takes at least its marker byte: this bounds n */
        if (n > len - *pos)
            return false;
        for (uint32_t e = 0; e < n; e++)
            if (!check_value(p, len, pos, t->elem) ||
                (t->id == T_MAP && !check_value(p, len, pos, t->value)))
                return false;
        return true;
    case LANE_NONE: break;
    }
    if (len - *pos < need)
        return false;
    *pos += need;
    return true;
}

bool opstate_row_check(const void *bytes, size_t len, const struct sql_type *const *types, int n)
{
    const unsigned char *p = bytes;
    size_t pos = 0;
    /* as state_key_decode: columns while bytes remain */
    for (int c = 0; c < n && pos < len; c++)
        if (!check_value(p, len, &pos, types[c]))
            return false;
    return pos == len;
}

void opstate_put_mark(struct snap_writer *w, uint8_t type, uint32_t fingerprint,
                      const struct op *op, int64_t wm)
{
    snap_begin(w, SNAP_OPERATOR);
    opstate_put_header(&w->buf, type, fingerprint);
    snap_put_u32(&w->buf, (uint32_t)op->instance);
    snap_put_i64(&w->buf, wm);
    snap_end(w);
}

int opstate_restore_mark(const struct op *op, struct snap_rd *rd, int64_t *wm, bool *own,
                         struct weir_error *err)
{
    uint32_t instance = snap_get_u32(rd);
    int64_t mark = snap_get_i64(rd);
    if (rd->bad || rd->pos != rd->len || mark == WM_IDLE)
        return opstate_corrupt(op, "bad watermark mark", err);
    if ((int)instance == op->instance) {
        *wm = mark;
        *own = true;
    } else if (!*own && mark > *wm) {
        *wm = mark;
    }
    return WEIR_OK;
}
