/*
 * raw.c — the 'raw' format: the whole record is the value of the table's one
 * physical column, as Flink's raw format.
 *
 * STRING/CHAR/VARCHAR and BYTES hold the bytes as they are ('raw.charset' must
 * be UTF-8: the only charset weir handles, and bytes are not re-encoded).
 * Numeric and BOOLEAN columns hold the value in binary of the type's width
 * (TINYINT 1, SMALLINT 2, INT/FLOAT 4, BIGINT/DOUBLE 8 bytes, BOOLEAN 1) in
 * 'raw.endianness' byte order, big-endian by default; a record of another size
 * is a parse error.  An empty record in a binary numeric column is NULL (Flink
 * maps a null message to NULL; a line-based source has no null messages).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "formats/format.h"

struct raw_codec {
    struct decoder dec;
    struct encoder enc;
    int col;                        /* the physical column (produced index) */
    const struct sql_type *type;
    const char *name;
    bool little;                    /* raw.endianness = little-endian */
};

/* Width in bytes of the binary form, 0 for byte strings. */
static int raw_width(const struct sql_type *t)
{
    switch (t->id) {
    case T_BOOLEAN:
    case T_TINYINT: return 1;
    case T_SMALLINT: return 2;
    case T_INT:
    case T_FLOAT: return 4;
    case T_BIGINT:
    case T_DOUBLE: return 8;
    default: return 0;
    }
}

static int raw_decode(struct decoder *dec, const char *rec, size_t len, struct batch *b,
                      int row, bool *lossy, struct weir_error *err)
{
    (void)lossy;
    struct raw_codec *r = (struct raw_codec *)((char *)dec - offsetof(struct raw_codec, dec));
    struct vec *v = &b->cols[r->col];
    int w = raw_width(r->type);
    if (w == 0) {
        vec_set_str(v, row, rec, len);
        vec_set_valid(v, row);
        return WEIR_OK;
    }
    if (len == 0) {
        vec_set_null(v, row);
        return WEIR_OK;
    }
    if (len != (size_t)w)
        return err_set(err, WEIR_ERR_PARSE,
                       "column \"%s\": a raw %d-byte value is expected, got %zu bytes",
                       r->name, w, len);
    uint64_t u = 0;
    for (int i = 0; i < w; i++) {
        unsigned char c = (unsigned char)rec[r->little ? w - 1 - i : i];
        u = u << 8 | c;
    }
    switch (r->type->id) {
    case T_BOOLEAN: v->b[row] = u != 0; break;
    case T_TINYINT: v->i64[row] = (int8_t)u; break;
    case T_SMALLINT: v->i64[row] = (int16_t)u; break;
    case T_INT: v->i64[row] = (int32_t)u; break;
    case T_BIGINT: v->i64[row] = (int64_t)u; break;
    case T_FLOAT: {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, 4);
        v->f64[row] = f;
        break;
    }
    case T_DOUBLE: memcpy(&v->f64[row], &u, 8); break;
    default: break;
    }
    vec_set_valid(v, row);
    return WEIR_OK;
}

static int raw_encode(struct encoder *enc, const struct batch *b, int row,
                      struct strbuf *out, struct weir_error *err)
{
    (void)err;
    struct raw_codec *r = (struct raw_codec *)((char *)enc - offsetof(struct raw_codec, enc));
    const struct vec *v = &b->cols[0];
    if (vec_is_null(v, row))
        return WEIR_OK;     /* an empty record, as Flink writes null as no bytes */
    int w = raw_width(r->type);
    if (w == 0) {
        sb_add(out, v->s[row].ptr, v->s[row].len);
        return WEIR_OK;
    }
    uint64_t u = 0;
    switch (r->type->id) {
    case T_BOOLEAN: u = v->b[row] != 0; break;
    case T_FLOAT: {
        float f = (float)v->f64[row];
        uint32_t u32;
        memcpy(&u32, &f, 4);
        u = u32;
        break;
    }
    case T_DOUBLE: memcpy(&u, &v->f64[row], 8); break;
    default: u = (uint64_t)v->i64[row]; break;
    }
    char buf[8];
    for (int i = 0; i < w; i++)
        buf[r->little ? i : w - 1 - i] = (char)(u >> (8 * i));
    sb_add(out, buf, (size_t)w);
    return WEIR_OK;
}

static void raw_dec_free(struct decoder *dec)
{
    if (dec)
        mem_free((char *)dec - offsetof(struct raw_codec, dec));
}

static void raw_enc_free(struct encoder *enc)
{
    if (enc)
        mem_free((char *)enc - offsetof(struct raw_codec, enc));
}

static const struct decoder_ops raw_dec_ops = {raw_decode, raw_dec_free};
static const struct encoder_ops raw_enc_ops = {raw_encode, raw_enc_free};

static int raw_validate(const struct opt_set *o, struct weir_error *err)
{
    const char *cs = opt_str(o, "raw.charset", "UTF-8");
    if (strcasecmp(cs, "UTF-8") != 0 && strcasecmp(cs, "UTF8") != 0)
        return err_set(err, WEIR_ERR_CONFIG,
                       "option 'raw.charset': unsupported charset '%s'; supported: UTF-8",
                       cs);
    return WEIR_OK;
}

static struct raw_codec *raw_create(const struct table_ctx *t, struct weir_error *err)
{
    struct weir_error e2 = {0};
    if (raw_validate(t->opts, &e2) != WEIR_OK) {
        err_set(err, WEIR_ERR_CONFIG, "table '%s': %s", t->table_name, e2.message);
        err_clear(&e2);
        return NULL;
    }
    int col = -1, n = 0;
    for (int i = 0; i < t->n_cols; i++) {
        if (t->col_metadata && t->col_metadata[i])
            continue;
        col = i;
        n++;
    }
    if (n != 1) {
        err_set(err, WEIR_ERR_CONFIG,
                "table '%s': the raw format needs exactly one physical column, the "
                "table has %d", t->table_name, n);
        return NULL;
    }
    const struct sql_type *ty = t->col_types[col];
    if (raw_width(ty) == 0 && !type_is_string(ty) && !type_is_binary(ty)) {
        struct arena a;
        arena_init(&a, 0);
        err_set(err, WEIR_ERR_UNSUPPORTED,
                "table '%s': the raw format cannot hold column '%s' of type %s "
                "(use STRING, BYTES, BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT "
                "or DOUBLE)", t->table_name, t->col_names[col], type_to_sql(&a, ty));
        arena_free(&a);
        return NULL;
    }
    struct raw_codec *r = mem_calloc(1, sizeof(*r));
    r->dec.ops = &raw_dec_ops;
    r->enc.ops = &raw_enc_ops;
    r->col = col;
    r->type = ty;
    r->name = t->col_names[col];
    r->little = strcasecmp(opt_str(t->opts, "raw.endianness", "big-endian"),
                           "little-endian") == 0;
    return r;
}

static int raw_decoder_create(const struct table_ctx *t, struct decoder **out,
                              struct weir_error *err)
{
    struct raw_codec *r = raw_create(t, err);
    if (r == NULL)
        return err && err->code ? err->code : WEIR_ERR_CONFIG;
    *out = &r->dec;
    return WEIR_OK;
}

static int raw_encoder_create(const struct table_ctx *t, struct encoder **out,
                              struct weir_error *err)
{
    struct raw_codec *r = raw_create(t, err);
    if (r == NULL)
        return err && err->code ? err->code : WEIR_ERR_CONFIG;
    r->col = 0;     /* the sink's batch holds just this column */
    *out = &r->enc;
    return WEIR_OK;
}

static const struct opt_def raw_options[] = {
    {"raw.charset", OPT_STRING, "UTF-8", NULL, false,
     "charset of STRING values; only UTF-8 is supported"},
    {"raw.endianness", OPT_ENUM, "big-endian", "big-endian|little-endian", false,
     "byte order of numeric values"},
    {NULL},
};

const struct format_def fmt_raw = {
    .name = "raw",
    .options = raw_options,
    .changelog = false,
    .decoder_create = raw_decoder_create,
    .encoder_create = raw_encoder_create,
    .validate = raw_validate,
};
