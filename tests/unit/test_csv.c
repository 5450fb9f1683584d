/*
 * test_csv.c — the csv format: positions through the projection, quoting,
 * delimiters, escape character, null literal, comments, arrays, field count
 * and conversion errors, ignore-parse-errors, and the encoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "formats/format.h"

struct fx {
    struct table_ctx t;
    struct opt_set *opts;
    struct decoder *dec;
    struct encoder *enc;
    struct batch *b;
};

/* Produced columns = the physical ones picked by proj (NULL: all). */
static void fx_init(struct fx *f, int n_all, const char **names,
                    const struct sql_type **types, int n, const int *proj, int n_opts,
                    const char **kv)
{
    static const char *pn[16];
    static const struct sql_type *pt[16];
    static int ident[16];
    memset(f, 0, sizeof(*f));
    const char *keys[16], *vals[16];
    int m = 0;
    keys[m] = "connector", vals[m++] = "filesystem";
    keys[m] = "path", vals[m++] = "/tmp/x";
    keys[m] = "format", vals[m++] = "csv";
    for (int i = 0; i < n_opts; i++)
        keys[m] = kv[2 * i], vals[m++] = kv[2 * i + 1];
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("filesystem"), NULL, "t", m, keys, vals, true,
                      &f->opts, &err) != WEIR_OK)
        fail_msg("validate: %s", err.message);
    for (int i = 0; i < 16; i++)
        ident[i] = i;
    if (proj == NULL) {
        proj = ident;
        n = n_all;
    }
    for (int i = 0; i < n; i++) {
        pn[i] = names[proj[i]];
        pt[i] = types[proj[i]];
    }
    f->t.table_name = "t";
    f->t.n_cols = n;
    f->t.col_names = pn;
    f->t.col_types = pt;
    f->t.n_all_physical = n_all;
    f->t.all_physical_names = names;
    f->t.all_physical_types = types;
    f->t.projection = proj;
    f->t.opts = f->opts;
    f->t.format = format_lookup("csv");
    f->t.parallelism = 1;
    assert_int_equal(f->t.format->decoder_create(&f->t, &f->dec, &err), WEIR_OK);
    assert_int_equal(f->t.format->encoder_create(&f->t, &f->enc, &err), WEIR_OK);
    f->b = batch_new(n, pt);
}

static void fx_free(struct fx *f)
{
    f->dec->ops->free(f->dec);
    f->enc->ops->free(f->enc);
    batch_free(f->b);
    opt_set_free(f->opts);
}

static int dec(struct fx *f, const char *s, bool *lossy, char *msg)
{
    struct weir_error err = {0};
    bool l = false;
    int rc = f->dec->ops->decode(f->dec, s, strlen(s), f->b, f->b->n, &l, &err);
    if (rc == WEIR_OK)
        f->b->n++;
    if (lossy)
        *lossy = l;
    if (msg)
        strcpy(msg, err.message ? err.message : "");
    err_clear(&err);
    return rc;
}

static void assert_str(const struct vec *v, int row, const char *want)
{
    assert_false(vec_is_null(v, row));
    if (v->s[row].len != strlen(want) || memcmp(v->s[row].ptr, want, strlen(want)) != 0)
        fail_msg("row %d: got '%.*s', want '%s'", row, (int)v->s[row].len,
                 v->s[row].ptr, want);
}

static const char *names5[] = {"id", "name", "price", "ts", "tag"};

static void test_projection_and_quotes(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    const struct sql_type *types[] = {&type_bigint, &type_string, &type_double,
                                      type_timestamp(&a, T_TIMESTAMP, 3), &type_string};
    const int proj[] = {4, 0, 2};
    struct fx f;
    fx_init(&f, 5, names5, types, 3, proj, 0, NULL);
    assert_int_equal(dec(&f, "1,ann,2.5,2024-01-01 10:00:00,red", NULL, NULL), WEIR_OK);
    assert_int_equal(dec(&f, "2,\"b, \"\"q\"\"\",1e3,x,\"\"", NULL, NULL), WEIR_OK);
    assert_int_equal(dec(&f, "3,,-0.5,,\"a\nb\"", NULL, NULL), WEIR_OK);
    assert_str(&f.b->cols[0], 0, "red");
    assert_int_equal(f.b->cols[1].i64[0], 1);
    assert_true(f.b->cols[2].f64[0] == 2.5);
    assert_str(&f.b->cols[0], 1, "");                 /* quoted empty string */
    assert_true(f.b->cols[2].f64[1] == 1000.0);
    assert_str(&f.b->cols[0], 2, "a\nb");
    assert_true(f.b->cols[2].f64[2] == -0.5);
    fx_free(&f);
    arena_free(&a);
}

static void test_options(void **state)
{
    (void)state;
    const char *names[] = {"a", "b", "c"};
    const struct sql_type *types[] = {&type_int, &type_string, &type_string};
    const char *opts[] = {"csv.field-delimiter", "|", "csv.null-literal", "N/A",
                          "csv.allow-comments", "true", "csv.escape-character", "\\\\",
                          "csv.quote-character", "'"};
    struct fx f;
    fx_init(&f, 3, names, types, 0, NULL, 5, opts);
    assert_int_equal(dec(&f, "# a comment", NULL, NULL), WEIR_DONE);
    assert_int_equal(dec(&f, "N/A|x\\|y|'q|uoted'", NULL, NULL), WEIR_OK);
    assert_true(vec_is_null(&f.b->cols[0], 0));
    assert_str(&f.b->cols[1], 0, "x|y");
    assert_str(&f.b->cols[2], 0, "q|uoted");
    /* encoder: the null literal, quoting with the configured quote */
    struct strbuf sb = {0};
    struct weir_error err = {0};
    assert_int_equal(f.enc->ops->encode(f.enc, f.b, 0, &sb, &err), WEIR_OK);
    assert_string_equal(sb.buf, "N/A|'x|y'|'q|uoted'");
    sb_free(&sb);
    fx_free(&f);
}

static void test_errors(void **state)
{
    (void)state;
    const char *names[] = {"id", "age", "name"};
    const struct sql_type *types[] = {&type_bigint, &type_int, &type_string};
    struct fx f;
    fx_init(&f, 3, names, types, 0, NULL, 0, NULL);
    char msg[256];
    assert_int_equal(dec(&f, "1,abc,x", NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, "column \"age\" (field 2): cannot convert 'abc' to INT");
    assert_int_equal(dec(&f, "1,,x", NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, "column \"age\" (field 2): cannot convert '' to INT");
    assert_int_equal(dec(&f, "1,2", NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, "row length mismatch: 3 fields expected but got 2");
    assert_int_equal(dec(&f, "1,2,x,y", NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, "row length mismatch: 3 fields expected but got 4");
    assert_int_equal(dec(&f, "1,2,\"x", NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, "unterminated quoted field 3 starting at byte 4");
    assert_int_equal(dec(&f, "1,\"2\"z,x", NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, "expected ',' after the closing quote of field 2 at byte 5");
    assert_int_equal(dec(&f, "1, 42 ,x", NULL, msg), WEIR_OK);   /* numbers trimmed */
    assert_int_equal(f.b->cols[1].i64[0], 42);
    fx_free(&f);

    const char *opts[] = {"csv.ignore-parse-errors", "true"};
    fx_init(&f, 3, names, types, 0, NULL, 1, opts);
    bool lossy;
    assert_int_equal(dec(&f, "1,abc,x", &lossy, msg), WEIR_OK);
    assert_true(lossy);
    assert_true(vec_is_null(&f.b->cols[1], 0));
    assert_int_equal(dec(&f, "7", &lossy, msg), WEIR_OK);
    assert_true(lossy);
    assert_int_equal(f.b->cols[0].i64[1], 7);
    assert_true(vec_is_null(&f.b->cols[2], 1));
    fx_free(&f);
}

static void test_arrays_and_encode(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct sql_type *arr = type_new(&a, T_ARRAY);
    arr->elem = &type_int;
    const char *names[] = {"id", "xs", "s", "d"};
    const struct sql_type *types[] = {&type_bigint, arr, &type_string,
                                      type_decimal(&a, 5, 2)};
    struct fx f;
    fx_init(&f, 4, names, types, 0, NULL, 0, NULL);
    assert_int_equal(dec(&f, "1,1;2;3,\"he said \"\"hi\"\"\",1.5", NULL, NULL), WEIR_OK);
    assert_int_equal(dec(&f, "2,,plain,-0.125", NULL, NULL), WEIR_OK);
    assert_int_equal(f.b->cols[1].offsets[1], 3);
    assert_int_equal(f.b->cols[1].children[0].i64[2], 3);
    assert_int_equal(f.b->cols[1].offsets[2], 3);
    assert_true(f.b->cols[3].i128[1] == -13);          /* HALF_UP */
    struct strbuf sb = {0};
    struct weir_error err = {0};
    assert_int_equal(f.enc->ops->encode(f.enc, f.b, 0, &sb, &err), WEIR_OK);
    assert_string_equal(sb.buf, "1,1;2;3,\"he said \"\"hi\"\"\",1.50");
    sb_free(&sb);
    fx_free(&f);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_projection_and_quotes),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_arrays_and_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
