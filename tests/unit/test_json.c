/*
 * test_json.c — the json format: decoding nested rows, arrays, maps, escapes,
 * numbers given as strings, missing fields, exact error reasons for malformed
 * input and wrong types, ignore-parse-errors, and the encoder round trip.
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

/* ---- fixture: a table of given columns and json options ---------------------- */

struct fx {
    struct arena a;
    struct table_ctx t;
    struct opt_set *opts;
    struct decoder *dec;
    struct encoder *enc;
    struct batch *b;
};

static void fx_init(struct fx *f, int n, const char **names,
                    const struct sql_type **types, int n_opts, const char **kv)
{
    memset(f, 0, sizeof(*f));
    arena_init(&f->a, 0);
    const char *keys[16], *vals[16];
    int m = 0;
    keys[m] = "connector", vals[m++] = "filesystem";
    keys[m] = "path", vals[m++] = "/tmp/x";
    keys[m] = "format", vals[m++] = "json";
    for (int i = 0; i < n_opts; i++)
        keys[m] = kv[2 * i], vals[m++] = kv[2 * i + 1];
    struct weir_error err = {0};
    int rc = conn_validate(conn_lookup("filesystem"), NULL, "t", m, keys, vals, true,
                           &f->opts, &err);
    if (rc != WEIR_OK)
        fail_msg("validate: %s", err.message);
    f->t.table_name = "t";
    f->t.n_cols = n;
    f->t.col_names = names;
    f->t.col_types = types;
    f->t.opts = f->opts;
    f->t.format = format_lookup("json");
    f->t.parallelism = 1;
    assert_int_equal(f->t.format->decoder_create(&f->t, &f->dec, &err), WEIR_OK);
    assert_int_equal(f->t.format->encoder_create(&f->t, &f->enc, &err), WEIR_OK);
    f->b = batch_new(n, types);
}

static void fx_free(struct fx *f)
{
    f->dec->ops->free(f->dec);
    f->enc->ops->free(f->enc);
    batch_free(f->b);
    opt_set_free(f->opts);
    arena_free(&f->a);
}

/* Decodes s into the next row; returns rc, error text in *msg (static). */
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

static const char *enc(struct fx *f, int row, struct strbuf *sb)
{
    struct weir_error err = {0};
    sb_clear(sb);
    assert_int_equal(f->enc->ops->encode(f->enc, f->b, row, sb, &err), WEIR_OK);
    return sb->buf;
}

static void assert_str(const struct vec *v, int row, const char *want)
{
    assert_false(vec_is_null(v, row));
    assert_int_equal(v->s[row].len, strlen(want));
    assert_memory_equal(v->s[row].ptr, want, strlen(want));
}

/* ---- tests -------------------------------------------------------------------- */

static void test_flat_and_projection(void **state)
{
    (void)state;
    const char *names[] = {"amount", "user_id", "action"};
    const struct sql_type *types[] = {&type_double, &type_bigint, &type_string};
    struct fx f;
    fx_init(&f, 3, names, types, 0, NULL);
    assert_int_equal(dec(&f, "{\"user_id\":123456,\"action\":\"click\",\"item\":\"i-1\","
                             "\"amount\":12.5,\"ts\":\"2024-01-01 10:00:00\"}", NULL, NULL),
                     WEIR_OK);
    assert_int_equal(f.b->cols[1].i64[0], 123456);
    assert_str(&f.b->cols[2], 0, "click");
    assert_true(f.b->cols[0].f64[0] == 12.5);
    /* whitespace, field order, unknown nested values skipped */
    assert_int_equal(dec(&f, " { \"x\" : {\"a\":[1,2,{\"b\":null}]} , \"action\" : \"v\" ,"
                             "\"user_id\" : -7 } ", NULL, NULL), WEIR_OK);
    assert_int_equal(f.b->cols[1].i64[1], -7);
    assert_str(&f.b->cols[2], 1, "v");
    assert_true(vec_is_null(&f.b->cols[0], 1));     /* missing → NULL */
    fx_free(&f);
}

static void test_numbers_as_strings(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    const char *names[] = {"i", "d", "dec", "b", "s", "ti"};
    const struct sql_type *types[] = {&type_int, &type_double, type_decimal(&a, 10, 2),
                                      &type_boolean, &type_string, &type_tinyint};
    struct fx f;
    fx_init(&f, 6, names, types, 0, NULL);
    assert_int_equal(dec(&f, "{\"i\":\"101\",\"d\":\"1.5\",\"dec\":\"3.14159\","
                             "\"b\":\"TRUE\",\"s\":42,\"ti\":\" 7 \"}", NULL, NULL),
                     WEIR_OK);
    assert_int_equal(f.b->cols[0].i64[0], 101);
    assert_true(f.b->cols[1].f64[0] == 1.5);
    assert_true(f.b->cols[2].i128[0] == 314);        /* HALF_UP to scale 2 */
    assert_int_equal(f.b->cols[3].b[0], 1);
    assert_str(&f.b->cols[4], 0, "42");
    assert_int_equal(f.b->cols[5].i64[0], 7);
    /* fraction into INT truncates (Jackson asInt); object into STRING: compact text */
    assert_int_equal(dec(&f, "{\"i\":12.9,\"d\":3,\"dec\":123456789.5,\"s\":{ \"k\" : [1, 2] }}",
                         NULL, NULL), WEIR_OK);
    assert_int_equal(f.b->cols[0].i64[1], 12);
    assert_true(f.b->cols[1].f64[1] == 3.0);
    assert_true(vec_is_null(&f.b->cols[2], 1));     /* does not fit DECIMAL(10,2) */
    assert_str(&f.b->cols[4], 1, "{\"k\":[1,2]}");
    fx_free(&f);
    arena_free(&a);
}

static void test_escapes(void **state)
{
    (void)state;
    const char *names[] = {"s", "k\"ey"};
    const struct sql_type *types[] = {&type_string, &type_string};
    struct fx f;
    fx_init(&f, 2, names, types, 0, NULL);
    assert_int_equal(dec(&f, "{\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\\t\","
                             "\"k\\\"ey\":\"x\"}", NULL, NULL), WEIR_OK);
    assert_str(&f.b->cols[0], 0, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80\t");
    assert_str(&f.b->cols[1], 0, "x");
    fx_free(&f);
}

static void test_nested(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct sql_type *row = type_new(&a, T_ROW);
    static const char *fn[] = {"id", "name"};
    const struct sql_type *ft[] = {&type_bigint, &type_string};
    row->n_fields = 2;
    row->field_names = fn;
    row->field_types = ft;
    struct sql_type *arr = type_new(&a, T_ARRAY);
    arr->elem = &type_int;
    struct sql_type *map = type_new(&a, T_MAP);
    map->elem = &type_string;
    map->value = &type_bigint;
    struct sql_type *arr_row = type_new(&a, T_ARRAY);
    arr_row->elem = row;
    const char *names[] = {"person", "tags", "m", "people"};
    const struct sql_type *types[] = {row, arr, map, arr_row};
    struct fx f;
    fx_init(&f, 4, names, types, 0, NULL);
    assert_int_equal(dec(&f, "{\"person\":{\"name\":\"ann\",\"id\":1,\"x\":true},"
                             "\"tags\":[1,2,3],\"m\":{\"a\":1,\"b\":null},"
                             "\"people\":[{\"id\":5},{\"id\":6,\"name\":\"z\"}]}",
                         NULL, NULL), WEIR_OK);
    assert_int_equal(dec(&f, "{\"person\":null,\"tags\":[],\"people\":null}", NULL, NULL),
                     WEIR_OK);
    assert_int_equal(dec(&f, "{\"tags\":[7]}", NULL, NULL), WEIR_OK);
    struct vec *p = &f.b->cols[0];
    assert_int_equal(p->children[0].i64[0], 1);
    assert_str(&p->children[1], 0, "ann");
    assert_true(vec_is_null(p, 1));
    struct vec *t = &f.b->cols[1];
    assert_int_equal(t->offsets[1], 3);
    assert_int_equal(t->children[0].i64[2], 3);
    assert_int_equal(t->offsets[2], 3);              /* empty array */
    assert_int_equal(t->offsets[3], 4);
    assert_int_equal(t->children[0].i64[3], 7);
    struct vec *m = &f.b->cols[2];
    assert_int_equal(m->offsets[1], 2);
    assert_str(&m->children[0], 1, "b");
    assert_true(vec_is_null(&m->children[1], 1));
    assert_true(vec_is_null(m, 1));                  /* missing map */
    assert_int_equal(m->offsets[2], 2);
    struct vec *pp = &f.b->cols[3];
    assert_int_equal(pp->offsets[1], 2);
    assert_int_equal(pp->children[0].children[0].i64[1], 6);
    assert_true(vec_is_null(&pp->children[0].children[1], 0));

    /* encode: compact objects in schema order */
    struct strbuf sb = {0};
    assert_string_equal(enc(&f, 0, &sb),
                        "{\"person\":{\"id\":1,\"name\":\"ann\"},\"tags\":[1,2,3],"
                        "\"m\":{\"a\":1,\"b\":null},"
                        "\"people\":[{\"id\":5,\"name\":null},{\"id\":6,\"name\":\"z\"}]}");
    assert_string_equal(enc(&f, 1, &sb),
                        "{\"person\":null,\"tags\":[],\"m\":null,\"people\":null}");
    sb_free(&sb);
    fx_free(&f);
    arena_free(&a);
}

static void test_malformed_reasons(void **state)
{
    (void)state;
    const char *names[] = {"user_id", "age"};
    const struct sql_type *types[] = {&type_bigint, &type_int};
    struct fx f;
    fx_init(&f, 2, names, types, 0, NULL);
    char msg[512];
    static const struct {
        const char *in, *reason;
    } cases[] = {
        {"{\"user_id\" 17}", "expected ':' after key \"user_id\" at byte 11"},
        {"{\"user_id\":1 \"age\":2}", "expected ',' or '}' after the value of \"user_id\" "
                                      "at byte 13"},
        {"[1,2]", "expected '{' at byte 0"},
        {"", "empty record at byte 0"},
        {"{\"user_id\":1", "unexpected end of record at byte 12"},
        {"{\"user_id\":\"abc", "unterminated string at byte 11"},
        {"{\"user_id\":01}", "invalid number (leading zero) at byte 11"},
        {"{\"user_id\":1}x", "unexpected 'x' after the end of the object at byte 13"},
        {"{\"zz\":[1,}", "unexpected character '}' at byte 9"},
        {"{\"zz\":\"\\q\"}", "invalid escape '\\q' at byte 7"},
        {"{\"zz\":tru}", "unexpected character 't' at byte 6"},
        {"{user_id:1}", "expected a key in double quotes at byte 1"},
        {"{\"age\":\"abc\"}", "field \"age\": cannot convert \"abc\" to INT"},
        {"{\"age\":3000000000}", "field \"age\": cannot convert 3000000000 to INT"},
        {"{\"age\":[1]}", "field \"age\": cannot convert [1] to INT"},
        {"{\"age\":true}", "field \"age\": cannot convert true to INT"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = dec(&f, cases[i].in, NULL, msg);
        if (rc != WEIR_ERR_PARSE || strcmp(msg, cases[i].reason) != 0)
            fail_msg("input %s: rc %d, got '%s', want '%s'", cases[i].in, rc, msg,
                     cases[i].reason);
    }
    assert_int_equal(f.b->n, 0);
    fx_free(&f);
}

static void test_ignore_parse_errors(void **state)
{
    (void)state;
    const char *names[] = {"a", "b"};
    const struct sql_type *types[] = {&type_int, &type_string};
    const char *opts[] = {"json.ignore-parse-errors", "true"};
    struct fx f;
    fx_init(&f, 2, names, types, 1, opts);
    bool lossy;
    char msg[256];
    assert_int_equal(dec(&f, "{\"a\":\"x\",\"b\":\"ok\"}", &lossy, msg), WEIR_OK);
    assert_true(lossy);
    assert_true(vec_is_null(&f.b->cols[0], 0));
    assert_str(&f.b->cols[1], 0, "ok");
    assert_int_equal(dec(&f, "{\"a\":5}", &lossy, msg), WEIR_OK);
    assert_false(lossy);
    /* malformed records still fail (the caller dead-letters and skips them) */
    assert_int_equal(dec(&f, "{\"a\":", &lossy, msg), WEIR_ERR_PARSE);
    fx_free(&f);
}

static void test_fail_on_missing(void **state)
{
    (void)state;
    const char *names[] = {"a", "b"};
    const struct sql_type *types[] = {&type_int, &type_string};
    const char *opts[] = {"json.fail-on-missing-field", "true"};
    struct fx f;
    fx_init(&f, 2, names, types, 1, opts);
    char msg[256];
    assert_int_equal(dec(&f, "{\"a\":1}", NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, "field \"b\" is missing (json.fail-on-missing-field is true)");
    fx_free(&f);

    /* both options together are a configuration error */
    const char *keys[] = {"connector", "path", "format", "json.fail-on-missing-field",
                          "json.ignore-parse-errors"};
    const char *vals[] = {"filesystem", "/x", "json", "true", "true"};
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    assert_int_equal(conn_validate(conn_lookup("filesystem"), NULL, "t", 5, keys, vals,
                                   true, &o, &err), WEIR_ERR_CONFIG);
    assert_string_equal(err.message, "table 't': options 'json.fail-on-missing-field' "
                                     "and 'json.ignore-parse-errors' cannot both be true");
    err_clear(&err);
}

static void test_temporal_round_trip(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    const char *names[] = {"ts", "d", "ltz", "dec", "s"};
    const struct sql_type *types[] = {type_timestamp(&a, T_TIMESTAMP, 3), &type_date,
                                      type_timestamp(&a, T_TIMESTAMP_LTZ, 3),
                                      type_decimal(&a, 10, 2), &type_string};
    struct fx f;
    fx_init(&f, 5, names, types, 0, NULL);
    assert_int_equal(dec(&f, "{\"ts\":\"2024-01-01 10:00:00.5\",\"d\":\"2020-04-15\","
                             "\"ltz\":\"1970-01-01T00:00:04.001Z\",\"dec\":11,"
                             "\"s\":\"tab\\there\"}", NULL, NULL), WEIR_OK);
    assert_int_equal(dec(&f, "{\"ts\":\"2024-01-01T10:00:00\"}", NULL, NULL), WEIR_OK);
    assert_int_equal(f.b->cols[0].i64[0], 1704103200500000LL);
    assert_int_equal(f.b->cols[0].i64[1], 1704103200000000LL);
    assert_int_equal(f.b->cols[2].i64[0], 4001000);
    struct strbuf sb = {0};
    const char *line = enc(&f, 0, &sb);
    assert_non_null(strstr(line, "\"d\":\"2020-04-15\""));
    assert_non_null(strstr(line, "\"s\":\"tab\\there\""));
    /* and back */
    char *copy = mem_strdup(line);
    assert_int_equal(dec(&f, copy, NULL, NULL), WEIR_OK);
    assert_int_equal(f.b->cols[0].i64[2], f.b->cols[0].i64[0]);
    assert_int_equal(f.b->cols[1].i64[2], f.b->cols[1].i64[0]);
    assert_int_equal(f.b->cols[2].i64[2], f.b->cols[2].i64[0]);
    assert_true(f.b->cols[3].i128[2] == 1100);
    assert_str(&f.b->cols[4], 2, "tab\there");
    mem_free(copy);
    sb_free(&sb);
    fx_free(&f);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_and_projection),
        cmocka_unit_test(test_numbers_as_strings),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_malformed_reasons),
        cmocka_unit_test(test_ignore_parse_errors),
        cmocka_unit_test(test_fail_on_missing),
        cmocka_unit_test(test_temporal_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
