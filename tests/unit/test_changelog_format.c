/*
 * test_changelog_format.c — the changelog formats debezium-json and canal-json
 * (src/formats/changelog_json.c): row kinds per op / type, canal's several
 * rows per record and its "old" overlay, schema-include, the include
 * filters, exact dead-letter reasons, ignore-parse-errors, the encoders and
 * their options, the decode_rows contract at the end of a batch (WEIR_AGAIN,
 * a record larger than a batch), and the three sources that decode records
 * (filesystem, log, tail): a record whose rows do not fit ends the poll
 * before it, and the position taken between the two polls lies before it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "core/value_fmt.h"
#include "exec/deadletter.h"
#include "formats/format.h"
#include "log/log.h"
#include "scratch.h"


SCRATCH_FIXTURES("cjson")

/* ---- fixture: a filesystem table of the given columns, format and options ---- */

struct fx {
    struct arena a;
    struct table_ctx t;
    struct opt_set *opts;
    struct decoder *dec;
    struct batch *b;
    char printed[64][320];          /* the rows decoded so far, in print form */
};

static struct opt_set *validate(const char *fmt, const char *const *kv, bool as_source,
                                char *msg)
{
    const char *keys[16], *vals[16];
    int m = 0;
    keys[m] = "connector", vals[m++] = "filesystem";
    keys[m] = "format", vals[m++] = fmt;
    bool path = false;
    for (int i = 0; kv && kv[i]; i += 2) {
        path |= strcmp(kv[i], "path") == 0;
        keys[m] = kv[i], vals[m++] = kv[i + 1];
    }
    if (!path)
        keys[m] = "path", vals[m++] = "/tmp/x";
    struct weir_error err = {0};
    struct opt_set *o = NULL;
    int rc = conn_validate(conn_lookup("filesystem"), NULL, "t", m, keys, vals, as_source,
                           &o, &err);
    if (msg)
        strcpy(msg, err.message ? err.message : "");
    else if (rc != WEIR_OK)
        fail_msg("validate: %s", err.message);
    err_clear(&err);
    return o;
}

/* f->a is the caller's (initialised; it may hold the column types).  md /
 * fmd: the columns' metadata keys as declared / as the format's (or NULL). */
static void fx_init_md(struct fx *f, const char *fmt, int n, const char **names,
                       const struct sql_type **types, const char *const *md,
                       const char *const *fmd, const char *const *kv)
{
    struct arena a = f->a;
    memset(f, 0, sizeof(*f));
    f->a = a;
    f->opts = validate(fmt, kv, true, NULL);
    f->t.table_name = "t";
    f->t.n_cols = n;
    f->t.col_names = names;
    f->t.col_types = types;
    f->t.col_metadata = md;
    f->t.col_format_metadata = fmd;
    f->t.opts = f->opts;
    f->t.format = format_lookup(fmt);
    f->t.parallelism = 1;
    struct weir_error err = {0};
    if (f->t.format->decoder_create(&f->t, &f->dec, &err) != WEIR_OK)
        fail_msg("decoder: %s", err.message);
    assert_null(f->dec->ops->decode);
    f->b = batch_new(n, types);
}

static void fx_init(struct fx *f, const char *fmt, int n, const char **names,
                    const struct sql_type **types, const char *const *kv)
{
    fx_init_md(f, fmt, n, names, types, NULL, NULL, kv);
}

static void fx_free(struct fx *f)
{
    f->dec->ops->free(f->dec);
    batch_free(f->b);
    opt_set_free(f->opts);
    arena_free(&f->a);
}

/* Decodes s at the end of the batch; returns rc, the error text in msg (if
 * given), and appends the rows (print form) to f->printed. */
static int dec(struct fx *f, const char *s, int *n_rows, bool *lossy, char *msg)
{
    struct weir_error err = {0};
    bool l = false;
    int n = -1, row = f->b->n;
    int rc = f->dec->ops->decode_rows(f->dec, s, strlen(s), f->b, row, &n, &l, &err);
    if (rc == WEIR_OK) {
        for (int i = 0; i < n; i++) {
            struct strbuf sb = {0};
            vfmt_print_row(&sb, batch_kind(f->b, row + i), f->b->cols, f->b->n_cols,
                           row + i);
            snprintf(f->printed[(row + i) % 64], sizeof(f->printed[0]), "%s", sb.buf);
            sb_free(&sb);
        }
        f->b->n += n;
    } else {
        assert_int_equal(n, 0);
    }
    if (n_rows)
        *n_rows = n;
    if (lossy)
        *lossy = l;
    if (msg)
        strcpy(msg, err.message ? err.message : "");
    else if (rc < 0)
        fail_msg("decode %s: %s", s, err.message);
    err_clear(&err);
    return rc;
}

/* Expects the record to fail with exactly this reason. */
static void dec_fails(struct fx *f, const char *s, const char *reason)
{
    char msg[600];
    int n;
    assert_int_equal(dec(f, s, &n, NULL, msg), WEIR_ERR_PARSE);
    assert_string_equal(msg, reason);
}

static void expect_rows(struct fx *f, int from, const char *const *want)
{
    int i = 0;
    for (; want[i]; i++) {
        assert_true(from + i < f->b->n);
        assert_string_equal(f->printed[(from + i) % 64], want[i]);
    }
    assert_int_equal(f->b->n, from + i);
}

static const char *p_names[] = {"id", "name", "weight"};
static const struct sql_type *p_types[3];

static void products(struct fx *f, const char *fmt, const char *const *kv)
{
    p_types[0] = &type_int;
    p_types[1] = &type_string;
    p_types[2] = type_decimal(&f->a, 10, 2);
    fx_init(f, fmt, 3, p_names, p_types, kv);
}

/* ---- debezium-json -------------------------------------------------------------- */

static void test_debezium_ops(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    products(&f, "debezium-json", NULL);
    int n;
    assert_int_equal(dec(&f, "{\"before\":null,\"after\":{\"id\":111,\"name\":\"scooter\","
                             "\"weight\":5.18},\"source\":{\"db\":\"inv\",\"ts_ms\":1},"
                             "\"op\":\"c\",\"ts_ms\":1589362330904,\"transaction\":null}",
                         &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 1);
    /* op first, whitespace, snapshot read */
    assert_int_equal(dec(&f, " { \"op\" : \"r\" , \"after\" : {\"weight\":\"8.1\",\"id\":"
                             "\"112\",\"name\":null} } ", &n, NULL, NULL), WEIR_OK);
    assert_int_equal(dec(&f, "{\"before\":{\"id\":111,\"name\":\"scooter\",\"weight\":5.18},"
                             "\"after\":{\"id\":111,\"name\":\"scooter\",\"weight\":5.15},"
                             "\"op\":\"u\"}", &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(dec(&f, "{\"before\":{\"id\":112},\"after\":null,\"op\":\"d\"}", &n,
                         NULL, NULL), WEIR_OK);
    /* a tombstone (empty record) holds no rows */
    assert_int_equal(f.dec->ops->decode_rows(f.dec, "", 0, f.b, f.b->n, &n, NULL, NULL),
                     WEIR_OK);
    assert_int_equal(n, 0);
    static const char *const want[] = {
        "+I[111, scooter, 5.18]", "+I[112, null, 8.10]", "-U[111, scooter, 5.18]",
        "+U[111, scooter, 5.15]", "-D[112, null, null]", NULL};
    expect_rows(&f, 0, want);
    fx_free(&f);
}

static void test_debezium_schema_include(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    static const char *const kv[] = {"debezium-json.schema-include", "true", NULL};
    products(&f, "debezium-json", kv);
    assert_int_equal(dec(&f, "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":"
                             "\"before\"}]},\"payload\":{\"before\":{\"id\":1,\"name\":"
                             "\"a\",\"weight\":1},\"after\":{\"id\":1,\"name\":\"b\","
                             "\"weight\":2},\"op\":\"u\"}}", NULL, NULL, NULL), WEIR_OK);
    static const char *const want[] = {"-U[1, a, 1.00]", "+U[1, b, 2.00]", NULL};
    expect_rows(&f, 0, want);
    dec_fails(&f, "{\"schema\":{}}", "\"payload\" is missing");
    dec_fails(&f, "{\"schema\":{},\"payload\":null}", "\"payload\" is null");
    dec_fails(&f, "{\"before\":null,\"after\":{\"id\":1},\"op\":\"c\"}",
              "\"payload\" is missing; the record looks like Debezium JSON without a "
              "schema: set 'debezium-json.schema-include' to 'false'");
    dec_fails(&f, "{\"payload\":[1]}", "\"payload\": expected '{' at byte 11");
    fx_free(&f);

    /* without the option, a record with a schema says so */
    arena_init(&f.a, 0);
    products(&f, "debezium-json", NULL);
    dec_fails(&f, "{\"schema\":{},\"payload\":{\"op\":\"c\"}}",
              "\"op\" is missing; the record has \"schema\" and \"payload\": set "
              "'debezium-json.schema-include' to 'true'");
    fx_free(&f);
}

static void test_debezium_errors(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    products(&f, "debezium-json", NULL);
    dec_fails(&f, "{\"before\":null,\"after\":null,\"op\":\"x\"}",
              "unknown \"op\" value \"x\"");
    dec_fails(&f, "{\"op\":7,\"after\":{}}", "unknown \"op\" value \"7\"");
    dec_fails(&f, "{\"after\":{\"id\":1}}", "\"op\" is missing");
    dec_fails(&f, "{\"after\":{\"id\":1},\"op\":null}", "\"op\" is null");
    dec_fails(&f, "{\"before\":null,\"after\":{\"id\":1},\"op\":\"u\"}",
              "the \"before\" field of UPDATE message is null, if you are using Debezium "
              "Postgres Connector, please check the Postgres table has been set REPLICA "
              "IDENTITY to FULL level");
    dec_fails(&f, "{\"before\":null,\"after\":null,\"op\":\"d\"}",
              "the \"before\" field of DELETE message is null, if you are using Debezium "
              "Postgres Connector, please check the Postgres table has been set REPLICA "
              "IDENTITY to FULL level");
    dec_fails(&f, "{\"before\":{\"id\":1},\"op\":\"u\"}",
              "the \"after\" field of an UPDATE message is null");
    dec_fails(&f, "{\"after\":null,\"op\":\"c\"}",
              "the \"after\" field of a CREATE message is null");
    dec_fails(&f, "{\"after\":{\"id\":\"x\"},\"op\":\"c\"}",
              "field \"id\": cannot convert \"x\" to INT");
    dec_fails(&f, "{\"after\":5,\"op\":\"c\"}", "expected '{' at byte 9");
    dec_fails(&f, "{\"after\":{\"id\":1},\"op\":\"c}", "unterminated string at byte 23");
    dec_fails(&f, "{\"after\":{\"id\":1},\"op\":\"c\"} x",
              "unexpected 'x' after the end of the object at byte 28");
    dec_fails(&f, "[1]", "expected '{' at byte 0");
    dec_fails(&f, "   ", "empty record at byte 3");
    assert_int_equal(f.b->n, 0);
    fx_free(&f);
}

static void test_debezium_ignore_parse_errors(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    static const char *const kv[] = {"debezium-json.ignore-parse-errors", "true", NULL};
    products(&f, "debezium-json", kv);
    bool lossy;
    assert_int_equal(dec(&f, "{\"before\":{\"id\":\"x\",\"name\":\"a\"},\"after\":{\"id\":2,"
                             "\"name\":\"a\",\"weight\":\"heavy\"},\"op\":\"u\"}", NULL,
                         &lossy, NULL), WEIR_OK);
    assert_true(lossy);
    static const char *const want[] = {"-U[null, a, null]", "+U[2, a, null]", NULL};
    expect_rows(&f, 0, want);
    /* the record itself must still be a Debezium change */
    dec_fails(&f, "{\"op\":\"x\"}", "unknown \"op\" value \"x\"");
    fx_free(&f);
}

/* ---- canal-json ----------------------------------------------------------------- */

static void test_canal_rows(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    products(&f, "canal-json", NULL);
    int n;
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":\"101\",\"name\":\"scooter\",\"weight\":"
                             "\"3.14\"},{\"id\":\"102\",\"name\":\"car\",\"weight\":\"8.1\"},"
                             "{\"id\":\"103\",\"name\":null,\"weight\":null}],\"database\":"
                             "\"inventory\",\"es\":1589373515000,\"id\":3,\"isDdl\":false,"
                             "\"mysqlType\":{\"id\":\"INTEGER\"},\"old\":null,\"pkNames\":"
                             "[\"id\"],\"sql\":\"\",\"sqlType\":{\"id\":4},\"table\":"
                             "\"products\",\"ts\":1589373515477,\"type\":\"INSERT\"}", &n,
                         NULL, NULL), WEIR_OK);
    assert_int_equal(n, 3);
    /* old[i] holds the changed fields only: absent = unchanged, null = was NULL */
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":\"101\",\"name\":\"scooter\",\"weight\":"
                             "\"5.17\"},{\"id\":\"102\",\"name\":\"truck\",\"weight\":"
                             "\"8.1\"},{\"id\":\"103\",\"name\":\"bike\",\"weight\":\"1\"}],"
                             "\"old\":[{\"weight\":\"3.14\"},{\"name\":\"car\"},{\"name\":"
                             "null,\"weight\":null}],\"type\":\"UPDATE\"}", &n, NULL, NULL),
                     WEIR_OK);
    assert_int_equal(n, 6);
    assert_int_equal(dec(&f, "{\"type\":\"DELETE\",\"data\":[{\"id\":\"102\",\"name\":"
                             "\"truck\",\"weight\":\"8.1\"}]}", &n, NULL, NULL), WEIR_OK);
    assert_int_equal(dec(&f, "{\"data\":null,\"database\":\"inventory\",\"isDdl\":true,"
                             "\"sql\":\"CREATE TABLE x (a INT)\",\"type\":\"CREATE\"}", &n,
                         NULL, NULL), WEIR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(dec(&f, "{\"data\":[],\"type\":\"INSERT\"}", &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 0);
    static const char *const want[] = {
        "+I[101, scooter, 3.14]", "+I[102, car, 8.10]", "+I[103, null, null]",
        "-U[101, scooter, 3.14]", "+U[101, scooter, 5.17]",
        "-U[102, car, 8.10]", "+U[102, truck, 8.10]",
        "-U[103, null, null]", "+U[103, bike, 1.00]",
        "-D[102, truck, 8.10]", NULL};
    expect_rows(&f, 0, want);
    fx_free(&f);
}

/* Nested and variable-length columns survive the overlay (ARRAY rows are
 * laid out one after another in the child vector). */
static void test_canal_overlay_nested(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    struct sql_type *row = type_new(&f.a, T_ROW);
    static const char *fn[] = {"x", "y"};
    const struct sql_type *ft[] = {&type_int, &type_string};
    row->n_fields = 2;
    row->field_names = fn;
    row->field_types = ft;
    struct sql_type *arr = type_new(&f.a, T_ARRAY);
    arr->elem = &type_int;
    static const char *names[] = {"id", "r", "tags"};
    static const struct sql_type *types[3];
    types[0] = &type_int;
    types[1] = row;
    types[2] = arr;
    fx_init(&f, "canal-json", 3, names, types, NULL);
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":1,\"r\":{\"x\":1,\"y\":\"a\"},\"tags\":[1,2]},"
                             "{\"id\":2,\"r\":null,\"tags\":[3]}],\"old\":[{\"r\":{\"x\":0}},"
                             "{\"tags\":[4,5,6]}],\"type\":\"UPDATE\"}", NULL, NULL, NULL),
                     WEIR_OK);
    static const char *const want[] = {
        "-U[1, +I[0, null], [1, 2]]", "+U[1, +I[1, a], [1, 2]]",
        "-U[2, null, [4, 5, 6]]", "+U[2, null, [3]]", NULL};
    expect_rows(&f, 0, want);
    fx_free(&f);
}

static void test_canal_errors(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    products(&f, "canal-json", NULL);
    dec_fails(&f, "{\"data\":[{\"id\":\"1\"}],\"type\":\"ALTER\"}",
              "unknown \"type\" value \"ALTER\"");
    dec_fails(&f, "{\"data\":[{\"id\":\"1\"}]}", "\"type\" is missing");
    dec_fails(&f, "{\"data\":null,\"type\":\"INSERT\"}", "\"data\" is null in an INSERT "
              "message");
    dec_fails(&f, "{\"type\":\"DELETE\"}", "\"data\" is missing in a DELETE message");
    dec_fails(&f, "{\"data\":{\"id\":1},\"type\":\"INSERT\"}",
              "\"data\": expected '[' at byte 8");
    dec_fails(&f, "{\"data\":[{\"id\":1}],\"type\":\"UPDATE\"}",
              "\"old\" is missing in an UPDATE message");
    dec_fails(&f, "{\"data\":[{\"id\":1},{\"id\":2}],\"old\":[{\"id\":0}],\"type\":\"UPDATE\"}",
              "\"old\" has fewer elements than \"data\" (1)");
    dec_fails(&f, "{\"data\":[{\"id\":1},null],\"type\":\"INSERT\"}", "expected '{' at byte 18");
    dec_fails(&f, "{\"data\":[{\"id\":1} {\"id\":2}],\"type\":\"INSERT\"}",
              "expected ',' or ']' at byte 18");
    dec_fails(&f, "{\"data\":[{\"id\":\"one\"}],\"type\":\"INSERT\"}",
              "field \"id\": cannot convert \"one\" to INT");
    assert_int_equal(f.b->n, 0);
    fx_free(&f);
}

static void test_canal_include(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    static const char *const kv[] = {"canal-json.database.include", "inv(entory)?",
                                     "canal-json.table.include", "prod.*", NULL};
    products(&f, "canal-json", kv);
    int n;
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":1}],\"database\":\"inventory\",\"table\":"
                             "\"products\",\"type\":\"INSERT\"}", &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 1);
    /* another database's or table's record is not decoded at all: its data may
     * not even fit this table's schema; the match is whole, not a search */
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":\"x\"}],\"database\":\"inventory2\","
                             "\"table\":\"products\",\"type\":\"INSERT\"}", &n, NULL, NULL),
                     WEIR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":\"x\"}],\"database\":\"inv\","
                             "\"table\":\"orders\",\"type\":\"DDL?\"}", &n, NULL, NULL),
                     WEIR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":2}],\"database\":\"inv\",\"table\":"
                             "\"prod_1\",\"type\":\"DELETE\"}", &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 1);
    dec_fails(&f, "{\"data\":[{\"id\":1}],\"table\":\"products\",\"type\":\"INSERT\"}",
              "\"database\" is missing (needed by 'canal-json.database.include')");
    static const char *const want[] = {"+I[1, null, null]", "-D[2, null, null]", NULL};
    expect_rows(&f, 0, want);
    fx_free(&f);
}

/* ---- the end of a batch --------------------------------------------------------- */

static void test_batch_room(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    products(&f, "debezium-json", NULL);
    const char *u = "{\"before\":{\"id\":1},\"after\":{\"id\":2},\"op\":\"u\"}";
    const char *c = "{\"after\":{\"id\":3},\"op\":\"c\"}";
    struct weir_error err = {0};
    int n = -1;
    bool lossy = false;
    assert_int_equal(f.dec->ops->decode_rows(f.dec, u, strlen(u), f.b, BATCH_CAP - 1, &n,
                                             &lossy, &err), WEIR_AGAIN);
    assert_int_equal(n, 0);
    assert_false(err_is_set(&err));
    assert_int_equal(f.dec->ops->decode_rows(f.dec, c, strlen(c), f.b, BATCH_CAP - 1, &n,
                                             &lossy, &err), WEIR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(f.dec->ops->decode_rows(f.dec, u, strlen(u), f.b, BATCH_CAP - 2, &n,
                                             &lossy, &err), WEIR_OK);
    assert_int_equal(n, 2);
    fx_free(&f);

    arena_init(&f.a, 0);
    products(&f, "canal-json", NULL);
    struct strbuf big = {0};
    sb_adds(&big, "{\"type\":\"INSERT\",\"data\":[");
    for (int i = 0; i < BATCH_CAP; i++)
        sb_addf(&big, "%s{\"id\":%d}", i ? "," : "", i);
    sb_adds(&big, "]}");
    /* exactly a batch: fits at row 0 only */
    assert_int_equal(f.dec->ops->decode_rows(f.dec, big.buf, big.len, f.b, 1, &n, &lossy,
                                             &err), WEIR_AGAIN);
    assert_int_equal(f.dec->ops->decode_rows(f.dec, big.buf, big.len, f.b, 0, &n, &lossy,
                                             &err), WEIR_OK);
    assert_int_equal(n, BATCH_CAP);
    assert_int_equal(f.b->cols[0].i64[BATCH_CAP - 1], BATCH_CAP - 1);
    /* one more: never fits */
    big.len -= 2;
    sb_adds(&big, ",{\"id\":-1}]}");
    assert_int_equal(f.dec->ops->decode_rows(f.dec, big.buf, big.len, f.b, 0, &n, &lossy,
                                             &err), WEIR_ERR_PARSE);
    assert_int_equal(n, 0);
    assert_string_equal(err.message, "the record holds more than 2048 rows, more than a "
                                     "batch holds (a record's rows are never split between "
                                     "batches)");
    err_clear(&err);
    /* an UPDATE's two rows per element count */
    const char *upd = "{\"type\":\"UPDATE\",\"data\":[{\"id\":1},{\"id\":2}],\"old\":[{},{}]}";
    assert_int_equal(f.dec->ops->decode_rows(f.dec, upd, strlen(upd), f.b, BATCH_CAP - 3, &n,
                                             &lossy, &err), WEIR_AGAIN);
    assert_int_equal(f.dec->ops->decode_rows(f.dec, upd, strlen(upd), f.b, BATCH_CAP - 4, &n,
                                             &lossy, &err), WEIR_OK);
    assert_int_equal(n, 4);
    sb_free(&big);
    fx_free(&f);
}

/* ---- metadata columns ------------------------------------------------------------ */

static void test_metadata_tables(void **state)
{
    (void)state;
    const struct format_def *dbz = format_lookup("debezium-json");
    const struct format_def *canal = format_lookup("canal-json");
    static const char *const dkeys[] = {"schema", "ingestion-timestamp", "source.timestamp",
                                        "source.database", "source.schema", "source.table",
                                        "source.properties", NULL};
    static const char *const ckeys[] = {"database", "table", "sql-type", "pk-names",
                                        "ingestion-timestamp", NULL};
    int i = 0;
    for (; dkeys[i]; i++)
        assert_string_equal(dbz->metadata[i].key, dkeys[i]);
    assert_null(dbz->metadata[i].key);
    for (i = 0; ckeys[i]; i++)
        assert_string_equal(canal->metadata[i].key, ckeys[i]);
    assert_null(canal->metadata[i].key);
    assert_int_equal(format_meta_find(dbz, "source.timestamp")->type->id, T_TIMESTAMP_LTZ);
    assert_int_equal(format_meta_find(dbz, "source.properties")->type->id, T_MAP);
    assert_int_equal(format_meta_find(canal, "pk-names")->type->id, T_ARRAY);
    assert_int_equal(format_meta_find(canal, "sql-type")->type->value->id, T_INT);
    assert_null(format_meta_find(canal, "source.table"));
    assert_null(format_meta_find(dbz, "value.source.table"));
    assert_null(format_meta_find(format_lookup("json"), "schema"));
    assert_null(format_meta_find(NULL, "schema"));
}

/* Every key, between physical columns and beside a connector's metadata column
 * (left alone); the rows of one record share its metadata; absent is NULL. */
static void test_debezium_metadata(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    const char *names[] = {"ing", "id", "src_ts", "db", "sch", "tbl", "props", "schema",
                           "off", "name"};
    struct sql_type *map = type_new(&f.a, T_MAP);
    map->elem = &type_string;
    map->value = &type_string;
    const struct sql_type *types[] = {&type_timestamp_ltz3, &type_int,
                                      &type_timestamp_ltz3, &type_string, &type_string,
                                      &type_string, map, &type_string, &type_bigint,
                                      &type_string};
    const char *const md[] = {"value.ingestion-timestamp", NULL, "value.source.timestamp",
                              "value.source.database", "value.source.schema",
                              "value.source.table", "value.source.properties",
                              "value.schema", "offset", NULL};
    const char *const fmd[] = {"ingestion-timestamp", NULL, "source.timestamp",
                               "source.database", "source.schema", "source.table",
                               "source.properties", "schema", NULL, NULL};
    fx_init_md(&f, "debezium-json", 10, names, types, md, fmd, NULL);
    /* the connector's column: whatever it holds stays */
    for (int r = 0; r < 4; r++)
        f.b->cols[8].i64[r] = 7;
    int n;
    assert_int_equal(dec(&f, "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\"},\"op\":"
                             "\"c\",\"ts_ms\":1589362330904,\"source\":{\"db\":\"inv\","
                             "\"schema\":\"public\",\"table\":\"products\",\"ts_ms\":"
                             "1589362330000,\"lsn\":5,\"x\":{\"a\": [1, 2]},\"y\":null}}",
                         &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(dec(&f, "{\"op\":\"u\",\"before\":{\"id\":1,\"name\":\"a\"},\"after\":"
                             "{\"id\":1,\"name\":\"b\"},\"ts_ms\":\"1589362331000\","
                             "\"source\":{\"collection\":\"c\",\"table\":null,\"ts_ms\":"
                             "\"-1\"},\"schema\":{\"type\": \"struct\",\n\"x\":\"a b\"}}",
                         &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(dec(&f, "{\"before\":{\"id\":1,\"name\":\"b\"},\"after\":null,\"op\":"
                             "\"d\",\"source\":null}", &n, NULL, NULL), WEIR_OK);
    static const char *const want[] = {
        "+I[2020-05-13T09:32:10.904Z, 1, 2020-05-13T09:32:10Z, inv, public, products, "
        "{db=inv, schema=public, table=products, ts_ms=1589362330000, lsn=5, "
        "x={\"a\":[1,2]}, y=null}, null, 7, a]",
        "-U[2020-05-13T09:32:11Z, 1, 1969-12-31T23:59:59.999Z, null, null, c, "
        "{collection=c, table=null, ts_ms=-1}, {\"type\":\"struct\",\"x\":\"a b\"}, 7, a]",
        "+U[2020-05-13T09:32:11Z, 1, 1969-12-31T23:59:59.999Z, null, null, c, "
        "{collection=c, table=null, ts_ms=-1}, {\"type\":\"struct\",\"x\":\"a b\"}, 7, b]",
        "-D[null, 1, null, null, null, null, null, null, 7, b]", NULL};
    expect_rows(&f, 0, want);
    /* metadata that does not convert fails the record, ... */
    dec_fails(&f, "{\"op\":\"c\",\"after\":{\"id\":2},\"source\":{\"ts_ms\":1.5}}",
              "\"source\".\"ts_ms\": cannot convert \"1.5\" to milliseconds since the "
              "epoch");
    dec_fails(&f, "{\"op\":\"c\",\"after\":{\"id\":2},\"ts_ms\":true}",
              "field \"ts_ms\": cannot convert true to BIGINT");
    dec_fails(&f, "{\"op\":\"c\",\"after\":{\"id\":2},\"source\":{\"ts_ms\":"
                  "\"-9223372036854775809\"}}",
              "\"source\".\"ts_ms\": cannot convert \"-9223372036854775809\" to "
              "milliseconds since the epoch");
    dec_fails(&f, "{\"op\":\"c\",\"after\":{\"id\":2},\"source\":{\"ts_ms\":\"+\"}}",
              "\"source\".\"ts_ms\": cannot convert \"+\" to milliseconds since the epoch");
    dec_fails(&f, "{\"op\":\"c\",\"after\":{\"id\":2},\"ts_ms\":9223372036854775807}",
              "\"ts_ms\": 9223372036854775807 ms is out of the range of TIMESTAMP_LTZ");
    dec_fails(&f, "{\"op\":\"c\",\"after\":{\"id\":2},\"source\":[1]}",
              "field \"source\": cannot convert [1] to MAP<STRING, STRING>");
    /* ... unless the rows did not fit: nothing is decoded, the record comes again */
    struct weir_error err = {0};
    bool lossy = false;
    const char *u = "{\"op\":\"u\",\"before\":{\"id\":3},\"after\":{\"id\":3},\"ts_ms\":\"x\"}";
    assert_int_equal(f.dec->ops->decode_rows(f.dec, u, strlen(u), f.b, BATCH_CAP - 1, &n,
                                             &lossy, &err), WEIR_AGAIN);
    assert_false(err_is_set(&err));
    fx_free(&f);

    /* ignore-parse-errors: NULL, and the record is lossy */
    arena_init(&f.a, 0);
    static const char *const kv[] = {"debezium-json.ignore-parse-errors", "true", NULL};
    map = type_new(&f.a, T_MAP);
    map->elem = &type_string;
    map->value = &type_string;
    types[6] = map;
    fx_init_md(&f, "debezium-json", 10, names, types, md, fmd, kv);
    bool l;
    assert_int_equal(dec(&f, "{\"op\":\"c\",\"after\":{\"id\":2},\"ts_ms\":\"soon\","
                             "\"source\":{\"ts_ms\":\"x\",\"db\":\"d\"}}", &n, &l, NULL),
                     WEIR_OK);
    assert_true(l);
    static const char *const want2[] = {
        "+I[null, 2, null, d, null, null, {ts_ms=x, db=d}, null, 0, null]", NULL};
    expect_rows(&f, 0, want2);
    fx_free(&f);
}

/* schema-include: "ts_ms" and "source" are the payload's; the column types
 * may be any the metadata casts to. */
static void test_debezium_metadata_payload_cast(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    const char *names[] = {"id", "ts", "tbl", "ts_text"};
    const struct sql_type *types[] = {&type_int, type_timestamp(&f.a, T_TIMESTAMP, 0),
                                      type_varchar(&f.a, 3), &type_string};
    const char *const md[] = {NULL, "value.source.timestamp", "value.source.table",
                              "value.ingestion-timestamp"};
    const char *const fmd[] = {NULL, "source.timestamp", "source.table",
                               "ingestion-timestamp"};
    static const char *const kv[] = {"debezium-json.schema-include", "true", NULL};
    fx_init_md(&f, "debezium-json", 4, names, types, md, fmd, kv);
    assert_int_equal(dec(&f, "{\"schema\":{},\"ts_ms\":1,\"source\":{\"table\":\"top\"},"
                             "\"payload\":{\"op\":\"c\",\"after\":{\"id\":1},\"ts_ms\":"
                             "1589362330904,\"source\":{\"table\":\"products\",\"ts_ms\":"
                             "1589362330904}}}", NULL, NULL, NULL), WEIR_OK);
    static const char *const want[] = {
        "+I[1, 2020-05-13T09:32:10, pro, 2020-05-13 09:32:10.904]", NULL};
    expect_rows(&f, 0, want);
    fx_free(&f);
}

static void test_canal_metadata(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    struct sql_type *map = type_new(&f.a, T_MAP);
    map->elem = &type_string;
    map->value = &type_int;
    struct sql_type *arr = type_new(&f.a, T_ARRAY);
    arr->elem = &type_string;
    const char *names[] = {"id", "db", "tbl", "types", "pks", "ts"};
    const struct sql_type *types[] = {&type_int, &type_string, &type_string, map, arr,
                                      &type_timestamp_ltz3};
    const char *const md[] = {NULL, "value.database", "value.table", "value.sql-type",
                              "value.pk-names", "value.ingestion-timestamp"};
    const char *const fmd[] = {NULL, "database", "table", "sql-type", "pk-names",
                               "ingestion-timestamp"};
    fx_init_md(&f, "canal-json", 6, names, types, md, fmd, NULL);
    int n;
    assert_int_equal(dec(&f, "{\"data\":[{\"id\":\"1\"},{\"id\":\"2\"}],\"database\":\"inv\","
                             "\"table\":\"products\",\"sqlType\":{\"id\":4,\"name\":12},"
                             "\"pkNames\":[\"id\"],\"ts\":1589373515477,\"type\":\"INSERT\"}",
                         &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(dec(&f, "{\"type\":\"UPDATE\",\"data\":[{\"id\":\"1\"}],\"old\":[{}],"
                             "\"pkNames\":[\"id\",null],\"sqlType\":null,\"table\":\"t2\"}",
                         &n, NULL, NULL), WEIR_OK);
    assert_int_equal(n, 2);
    /* a DDL event: no rows, nothing else */
    assert_int_equal(dec(&f, "{\"data\":null,\"database\":\"inv\",\"type\":\"CREATE\"}", &n,
                         NULL, NULL), WEIR_OK);
    assert_int_equal(n, 0);
    static const char *const want[] = {
        "+I[1, inv, products, {id=4, name=12}, [id], 2020-05-13T12:38:35.477Z]",
        "+I[2, inv, products, {id=4, name=12}, [id], 2020-05-13T12:38:35.477Z]",
        "-U[1, null, t2, null, [id, null], null]",
        "+U[1, null, t2, null, [id, null], null]", NULL};
    expect_rows(&f, 0, want);
    dec_fails(&f, "{\"type\":\"INSERT\",\"data\":[{}],\"sqlType\":{\"id\":\"x\"}}",
              "field \"sqlType\": cannot convert \"x\" to INT");
    fx_free(&f);
}

/* ---- encoders ------------------------------------------------------------------- */

static struct encoder *encoder(const char *fmt, const char *const *kv, int n,
                               const char **names, const struct sql_type **types,
                               struct opt_set **o, char *msg)
{
    *o = validate(fmt, kv, false, NULL);
    struct table_ctx t = {.table_name = "t", .n_cols = n, .col_names = names,
                          .col_types = types, .opts = *o, .format = format_lookup(fmt),
                          .parallelism = 1};
    struct encoder *e = NULL;
    struct weir_error err = {0};
    int rc = t.format->encoder_create(&t, &e, &err);
    if (msg)
        strcpy(msg, err.message ? err.message : "");
    else if (rc != WEIR_OK)
        fail_msg("encoder: %s", err.message);
    err_clear(&err);
    return e;
}

/* A batch of 4 rows (+I, -U, +U, -D) of (id INT, name STRING, w DECIMAL(10, 2)). */
static struct batch *changelog_batch(const struct sql_type **types)
{
    struct batch *b = batch_new(3, types);
    batch_ensure_kinds(b);
    static const enum row_kind k[] = {RK_INSERT, RK_UPDATE_BEFORE, RK_UPDATE_AFTER,
                                      RK_DELETE};
    for (int i = 0; i < 4; i++) {
        b->cols[0].i64[i] = i + 1;
        if (i == 1)
            vec_set_null(&b->cols[1], i);
        else
            vec_set_str(&b->cols[1], i, "a\"b", 3);
        b->cols[2].i128[i] = i == 3 ? 27 : 150;
        b->kinds[i] = (uint8_t)k[i];
    }
    b->n = 4;
    return b;
}

static void test_encoders(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    static const char *names[] = {"id", "name", "w"};
    const struct sql_type *types[] = {&type_int, &type_string, type_decimal(&a, 10, 2)};
    struct batch *b = changelog_batch(types);
    struct opt_set *o;
    struct weir_error err = {0};
    struct strbuf sb = {0};

    struct encoder *e = encoder("debezium-json", NULL, 3, names, types, &o, NULL);
    static const char *const dbz[] = {
        "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\\\"b\",\"w\":1.50},\"op\":\"c\"}",
        "{\"before\":{\"id\":2,\"name\":null,\"w\":1.50},\"after\":null,\"op\":\"d\"}",
        "{\"before\":null,\"after\":{\"id\":3,\"name\":\"a\\\"b\",\"w\":1.50},\"op\":\"c\"}",
        "{\"before\":{\"id\":4,\"name\":\"a\\\"b\",\"w\":0.27},\"after\":null,\"op\":\"d\"}"};
    for (int i = 0; i < 4; i++) {
        sb_clear(&sb);
        assert_int_equal(e->ops->encode(e, b, i, &sb, &err), WEIR_OK);
        assert_string_equal(sb.buf, dbz[i]);
    }
    e->ops->free(e);
    opt_set_free(o);

    e = encoder("canal-json", NULL, 3, names, types, &o, NULL);
    static const char *const canal[] = {
        "{\"data\":[{\"id\":1,\"name\":\"a\\\"b\",\"w\":1.50}],\"type\":\"INSERT\"}",
        "{\"data\":[{\"id\":2,\"name\":null,\"w\":1.50}],\"type\":\"DELETE\"}",
        "{\"data\":[{\"id\":3,\"name\":\"a\\\"b\",\"w\":1.50}],\"type\":\"INSERT\"}",
        "{\"data\":[{\"id\":4,\"name\":\"a\\\"b\",\"w\":0.27}],\"type\":\"DELETE\"}"};
    for (int i = 0; i < 4; i++) {
        sb_clear(&sb);
        assert_int_equal(e->ops->encode(e, b, i, &sb, &err), WEIR_OK);
        assert_string_equal(sb.buf, canal[i]);
    }
    e->ops->free(e);
    opt_set_free(o);

    /* a batch without kinds is all +I */
    mem_free(b->kinds);
    b->kinds = NULL;
    e = encoder("canal-json", NULL, 3, names, types, &o, NULL);
    sb_clear(&sb);
    assert_int_equal(e->ops->encode(e, b, 3, &sb, &err), WEIR_OK);
    assert_string_equal(sb.buf, "{\"data\":[{\"id\":4,\"name\":\"a\\\"b\",\"w\":0.27}],"
                                "\"type\":\"INSERT\"}");
    e->ops->free(e);
    opt_set_free(o);
    batch_free(b);
    sb_free(&sb);
    arena_free(&a);
}

/* The json options work under each format's prefix. */
static void test_encoder_options(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct sql_type *map = type_new(&a, T_MAP);
    map->elem = &type_string;
    map->value = &type_int;
    static const char *names[] = {"ts", "d", "m"};
    const struct sql_type *types[] = {&type_timestamp3, type_decimal(&a, 20, 12), map};
    struct batch *b = batch_new(3, types);
    b->cols[0].i64[0] = 1586937600123000LL;     /* 2020-04-15 08:00:00.123 */
    b->cols[1].i128[0] = 27000;                 /* 0.000000027000 */
    vec_reserve(&b->cols[2].children[0], 1);
    vec_reserve(&b->cols[2].children[1], 1);
    vec_set_null(&b->cols[2].children[0], 0);
    b->cols[2].children[1].i64[0] = 7;
    b->cols[2].offsets[1] = 1;
    b->n = 1;
    struct opt_set *o;
    struct strbuf sb = {0};
    struct weir_error err = {0};
    static const char *const kv[] = {"debezium-json.timestamp-format.standard", "ISO-8601",
                                     "debezium-json.encode.decimal-as-plain-number", "true",
                                     "debezium-json.map-null-key.mode", "LITERAL",
                                     "debezium-json.map-null-key.literal", "nil", NULL};
    struct encoder *e = encoder("debezium-json", kv, 3, names, types, &o, NULL);
    assert_int_equal(e->ops->encode(e, b, 0, &sb, &err), WEIR_OK);
    assert_string_equal(sb.buf, "{\"before\":null,\"after\":{\"ts\":\"2020-04-15T08:00:00.123\","
                                "\"d\":0.000000027000,\"m\":{\"nil\":7}},\"op\":\"c\"}");
    e->ops->free(e);
    opt_set_free(o);

    e = encoder("canal-json", NULL, 3, names, types, &o, NULL);
    sb_clear(&sb);
    assert_int_equal(e->ops->encode(e, b, 0, &sb, &err), WEIR_ERR_RUNTIME);
    assert_string_equal(err.message, "column \"m\": json cannot encode a map with a null key; "
                                     "set 'canal-json.map-null-key.mode' to 'DROP' or "
                                     "'LITERAL'");
    err_clear(&err);
    e->ops->free(e);
    opt_set_free(o);
    batch_free(b);
    sb_free(&sb);
    arena_free(&a);
}

/* What Flink writes for -U / +U reads back as -D / +I. */
static void test_round_trip(void **state)
{
    (void)state;
    struct fx f;
    arena_init(&f.a, 0);
    products(&f, "debezium-json", NULL);
    static const char *names[] = {"id", "name", "weight"};
    struct batch *b = changelog_batch(p_types);
    struct opt_set *o;
    struct encoder *e = encoder("debezium-json", NULL, 3, names, p_types, &o, NULL);
    struct strbuf sb = {0};
    struct weir_error err = {0};
    for (int i = 0; i < 4; i++) {
        sb_clear(&sb);
        assert_int_equal(e->ops->encode(e, b, i, &sb, &err), WEIR_OK);
        assert_int_equal(dec(&f, sb.buf, NULL, NULL, NULL), WEIR_OK);
    }
    static const char *const want[] = {"+I[1, a\"b, 1.50]", "-D[2, null, 1.50]",
                                       "+I[3, a\"b, 1.50]", "-D[4, a\"b, 0.27]", NULL};
    expect_rows(&f, 0, want);
    e->ops->free(e);
    opt_set_free(o);
    batch_free(b);
    sb_free(&sb);
    fx_free(&f);
}

static void test_options(void **state)
{
    (void)state;
    assert_true(format_lookup("debezium-json")->changelog);
    assert_true(format_lookup("canal-json")->changelog);
    assert_false(format_lookup("json")->changelog);
    char msg[2048];
    static const char *const missing_field[] = {"debezium-json.fail-on-missing-field",
                                                "true", NULL};
    assert_null(validate("debezium-json", missing_field, true, msg));
    assert_non_null(strstr(msg, "unknown option 'debezium-json.fail-on-missing-field' for "
                                "connector 'filesystem'; valid options: "));
    assert_non_null(strstr(msg, "debezium-json.schema-include, debezium-json.ignore-parse-"
                                "errors, debezium-json.timestamp-format.standard, "
                                "debezium-json.map-null-key.mode, debezium-json.map-null-"
                                "key.literal, debezium-json.encode.decimal-as-plain-number"));
    static const char *const bad_mode[] = {"canal-json.map-null-key.mode", "KEEP", NULL};
    assert_null(validate("canal-json", bad_mode, true, msg));
    assert_non_null(strstr(msg, "canal-json.map-null-key.mode"));
    static const char *const bad_re[] = {"canal-json.table.include", "a(b", NULL};
    assert_null(validate("canal-json", bad_re, true, msg));
    assert_string_equal(msg, "table 't': option 'canal-json.table.include': missing closing "
                             "parenthesis at offset 3 of 'a(b'");
    static const char *const json_key[] = {"json.ignore-parse-errors", "true", NULL};
    assert_null(validate("canal-json", json_key, true, msg));

    /* Flink's Debezium serializer does not write the schema */
    static const char *names[] = {"id"};
    const struct sql_type *types[] = {&type_int};
    static const char *const incl[] = {"debezium-json.schema-include", "true", NULL};
    struct opt_set *o;
    assert_null(encoder("debezium-json", incl, 1, names, types, &o, msg));
    assert_string_equal(msg, "table 't': debezium-json cannot write with "
                             "'debezium-json.schema-include' = 'true' (Flink's Debezium JSON "
                             "serialization does not support it either); remove it from the "
                             "sink table");
    opt_set_free(o);
}

/* ---- sources -------------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return mem_strdup("");
    struct strbuf sb = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_add(&sb, chunk, n);
    fclose(f);
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

/* 2047 inserts, then an update (2 rows), an insert and a bad record. */
static void write_changes(struct strbuf *sb, const char *sep)
{
    for (int i = 0; i < BATCH_CAP - 1; i++)
        sb_addf(sb, "{\"after\":{\"id\":%d},\"op\":\"c\"}%s", i, sep);
}

static const char *const tail_recs[] = {
    "{\"before\":{\"id\":1},\"after\":{\"id\":-1},\"op\":\"u\"}",
    "{\"after\":{\"id\":5000},\"op\":\"r\"}",
    "{\"op\":\"x\"}",
};

/* Polls src until it has `want` more rows or ends; returns the kinds and ids
 * of those rows as "+I5000 ..." and the number of polls with rows. */
static int drain(struct source *src, struct batch *b, int want, struct strbuf *got,
                 int *polls)
{
    struct weir_error err = {0};
    int total = 0, rc = WEIR_OK;
    for (int guard = 0; guard < 100000 && total < want; guard++) {
        batch_reset(b);
        rc = src->ops->poll(src, b, &err);
        if (rc < 0)
            fail_msg("poll: %s", err.message);
        if (b->n > 0) {
            (*polls)++;
            for (int i = 0; i < b->n; i++)
                if (i == 0 || i >= b->n - 3)
                    sb_addf(got, "%s%s%lld", got->len ? " " : "",
                            row_kind_str(batch_kind(b, i)), (long long)b->cols[0].i64[i]);
            total += b->n;
        }
        if (rc == WEIR_DONE)
            break;
        if (rc == WEIR_AGAIN)
            usleep(2000);
    }
    return total;
}

static void test_filesystem_source(void **state)
{
    (void)state;
    char path[300], dlq_path[300];
    snprintf(path, sizeof(path), "%s/in.json", root);
    snprintf(dlq_path, sizeof(dlq_path), "%s/dlq.jsonl", root);
    struct strbuf text = {0};
    write_changes(&text, "\n");
    for (int i = 0; i < 3; i++)
        sb_addf(&text, "%s\n", tail_recs[i]);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fwrite(text.buf, 1, text.len, fp);
    fclose(fp);
    const char *kv[] = {"path", path, NULL};
    struct opt_set *o = validate("debezium-json", kv, true, NULL);
    struct weir_error err = {0};
    struct deadletter *dlq = dlq_open(dlq_path, &err);
    const char *names[] = {"id", "file"};
    const struct sql_type *types[] = {&type_int, &type_string};
    const char *md[] = {NULL, "file.name"};
    struct table_ctx t = {.table_name = "t", .n_cols = 2, .col_names = names,
                          .col_types = types, .col_metadata = md, .opts = o,
                          .format = format_lookup("debezium-json"), .dlq = dlq,
                          .parallelism = 1};
    struct source *src;
    assert_int_equal(conn_lookup("filesystem")->source_create(&t, &src, &err), WEIR_OK);
    assert_int_equal(src->ops->open(src, &err), WEIR_OK);
    struct batch *b = batch_new(2, types);
    /* the update does not fit after 2047 rows: the first poll ends before it */
    batch_reset(b);
    assert_int_equal(src->ops->poll(src, b, &err), WEIR_OK);
    assert_int_equal(b->n, BATCH_CAP - 1);
    struct strbuf pos = {0};
    assert_int_equal(src->ops->position(src, &pos), WEIR_OK);
    size_t upd_off = text.len - strlen(tail_recs[0]) - strlen(tail_recs[1]) -
                     strlen(tail_recs[2]) - 3;
    char want[600];
    snprintf(want, sizeof(want), "v1\ncur %zu %d %s\n", upd_off, BATCH_CAP - 1, path);
    assert_string_equal(pos.buf, want);
    struct strbuf got = {0};
    int polls = 0;
    assert_int_equal(drain(src, b, 3, &got, &polls), 3);
    assert_string_equal(got.buf, "-U1 +U-1 +I5000");
    assert_int_equal(polls, 1);
    assert_int_equal(b->cols[1].s[1].len, 7);
    assert_memory_equal(b->cols[1].s[1].ptr, "in.json", 7);
    src->ops->close(src);

    /* a restart from that position reads the update again, whole */
    assert_int_equal(conn_lookup("filesystem")->source_create(&t, &src, &err), WEIR_OK);
    assert_int_equal(src->ops->open(src, &err), WEIR_OK);
    const char *const p[1] = {pos.buf};
    assert_int_equal(src->ops->seek(src, p, 1, &err), WEIR_OK);
    sb_clear(&got);
    polls = 0;
    assert_int_equal(drain(src, b, 3, &got, &polls), 3);
    assert_string_equal(got.buf, "-U1 +U-1 +I5000");
    src->ops->close(src);
    dlq_close(dlq);
    char *d = slurp(dlq_path);
    assert_non_null(strstr(d, "unknown \\\"op\\\" value \\\"x\\\""));
    mem_free(d);
    batch_free(b);
    opt_set_free(o);
    sb_free(&pos);
    sb_free(&got);
    sb_free(&text);
}

static void test_log_source(void **state)
{
    (void)state;
    char dir[300], dlq_path[300];
    snprintf(dir, sizeof(dir), "%s/data", root);
    snprintf(dlq_path, sizeof(dlq_path), "%s/dlq.jsonl", root);
    struct log_topic_config cfg;
    log_topic_config_default(&cfg);
    cfg.n_partitions = 1;
    struct weir_error err = {0};
    assert_int_equal(log_topic_create(dir, "cdc", &cfg, &err), WEIR_OK);
    struct log_appender *a;
    assert_int_equal(log_appender_open(dir, "cdc", 0, 0, &a, NULL, &err), WEIR_OK);
    struct strbuf text = {0};
    write_changes(&text, "\n");
    int n_recs = 0;
    for (char *s = text.buf, *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
        struct log_record r = {.key_len = -1, .value = s, .value_len = (int32_t)(nl - s)};
        assert_int_equal(log_append(a, &r, 1, NULL, &err), WEIR_OK);
        n_recs++;
    }
    /* a tombstone (null value) and an empty value hold no rows */
    struct log_record tomb[2] = {{.key_len = -1, .value = NULL, .value_len = -1},
                                 {.key_len = -1, .value = "", .value_len = 0}};
    assert_int_equal(log_append(a, tomb, 2, NULL, &err), WEIR_OK);
    for (int i = 0; i < 3; i++) {
        struct log_record r = {.key_len = -1, .value = tail_recs[i],
                               .value_len = (int32_t)strlen(tail_recs[i])};
        assert_int_equal(log_append(a, &r, 1, NULL, &err), WEIR_OK);
    }
    log_appender_close(a);
    const char *kv[] = {"data-dir", dir, "topic", "cdc", "scan.bounded.mode",
                        "latest-offset", NULL};
    const char *keys[16], *vals[16];
    int m = 0;
    keys[m] = "connector", vals[m++] = "log";
    keys[m] = "format", vals[m++] = "debezium-json";
    for (int i = 0; kv[i]; i += 2)
        keys[m] = kv[i], vals[m++] = kv[i + 1];
    struct opt_set *o = NULL;
    if (conn_validate(conn_lookup("log"), NULL, "t", m, keys, vals, true, &o, &err) !=
        WEIR_OK)
        fail_msg("%s", err.message);
    struct deadletter *dlq = dlq_open(dlq_path, &err);
    const char *names[] = {"id", "off"};
    const struct sql_type *types[] = {&type_int, &type_bigint};
    const char *md[] = {NULL, "offset"};
    const char *all[] = {"id"};
    const struct sql_type *all_types[] = {&type_int};
    const int proj[] = {0, -1};
    struct table_ctx t = {.table_name = "t", .n_cols = 2, .col_names = names,
                          .col_types = types, .col_metadata = md, .n_all_physical = 1,
                          .all_physical_names = all, .all_physical_types = all_types,
                          .projection = proj, .opts = o,
                          .format = format_lookup("debezium-json"), .dlq = dlq,
                          .parallelism = 1};
    struct source *src;
    if (conn_lookup("log")->source_create(&t, &src, &err) != WEIR_OK ||
        src->ops->open(src, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    struct batch *b = batch_new(2, types);
    struct strbuf got = {0};
    int polls = 0;
    assert_int_equal(drain(src, b, BATCH_CAP - 1, &got, &polls), BATCH_CAP - 1);
    assert_int_equal(polls, 1);
    struct strbuf pos = {0};
    assert_int_equal(src->ops->position(src, &pos), WEIR_OK);
    char want[200];
    /* the tombstones are consumed, the update is not */
    snprintf(want, sizeof(want), "v1\npart 0 %d %d\n", n_recs + 2, n_recs + 5);
    assert_string_equal(pos.buf, want);
    sb_clear(&got);
    assert_int_equal(drain(src, b, 3, &got, &polls), 3);
    assert_string_equal(got.buf, "-U1 +U-1 +I5000");
    /* both rows of the update carry its offset */
    assert_int_equal(b->cols[1].i64[0], n_recs + 2);
    assert_int_equal(b->cols[1].i64[1], n_recs + 2);
    src->ops->close(src);
    dlq_close(dlq);
    char *d = slurp(dlq_path);
    assert_int_equal(strstr(d, "tombstone") == NULL, 1);
    assert_non_null(strstr(d, "unknown \\\"op\\\" value \\\"x\\\""));
    mem_free(d);
    batch_free(b);
    opt_set_free(o);
    sb_free(&got);
    sb_free(&pos);
    sb_free(&text);
}

static void test_tail_source(void **state)
{
    (void)state;
    char path[300], dlq_path[300];
    snprintf(path, sizeof(path), "%s/app.log", root);
    snprintf(dlq_path, sizeof(dlq_path), "%s/dlq.jsonl", root);
    struct strbuf text = {0};
    write_changes(&text, "\n");
    size_t upd_off = text.len;
    for (int i = 0; i < 3; i++)
        sb_addf(&text, "%s\n", tail_recs[i]);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fwrite(text.buf, 1, text.len, fp);
    fclose(fp);
    const char *keys[] = {"connector", "path", "format", "scan.bounded"};
    const char *vals[] = {"tail", path, "debezium-json", "true"};
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("tail"), NULL, "t", 4, keys, vals, true, &o, &err) !=
        WEIR_OK)
        fail_msg("%s", err.message);
    struct deadletter *dlq = dlq_open(dlq_path, &err);
    const char *names[] = {"id", "off"};
    const struct sql_type *types[] = {&type_int, &type_bigint};
    const char *md[] = {NULL, "file.offset"};
    struct table_ctx t = {.table_name = "t", .n_cols = 2, .col_names = names,
                          .col_types = types, .col_metadata = md, .opts = o,
                          .format = format_lookup("debezium-json"), .dlq = dlq,
                          .parallelism = 1};
    struct source *src;
    if (conn_lookup("tail")->source_create(&t, &src, &err) != WEIR_OK ||
        src->ops->open(src, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    struct batch *b = batch_new(2, types);
    struct strbuf got = {0};
    int polls = 0;
    assert_int_equal(drain(src, b, BATCH_CAP - 1, &got, &polls), BATCH_CAP - 1);
    assert_int_equal(polls, 1);
    /* the update is held for the next poll: the position stays before it */
    struct strbuf pos = {0};
    assert_int_equal(src->ops->position(src, &pos), WEIR_OK);
    char want[64];
    snprintf(want, sizeof(want), " %zu ", upd_off);
    assert_non_null(strstr(pos.buf, want));
    sb_clear(&got);
    assert_int_equal(drain(src, b, 3, &got, &polls), 3);
    assert_string_equal(got.buf, "-U1 +U-1 +I5000");
    assert_int_equal(b->cols[1].i64[0], (int64_t)upd_off);
    assert_int_equal(b->cols[1].i64[1], (int64_t)upd_off);
    src->ops->close(src);

    /* a restart from that position reads the update again, whole */
    if (conn_lookup("tail")->source_create(&t, &src, &err) != WEIR_OK ||
        src->ops->open(src, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    const char *const p[1] = {pos.buf};
    assert_int_equal(src->ops->seek(src, p, 1, &err), WEIR_OK);
    sb_clear(&got);
    assert_int_equal(drain(src, b, 3, &got, &polls), 3);
    assert_string_equal(got.buf, "-U1 +U-1 +I5000");
    src->ops->close(src);
    dlq_close(dlq);
    batch_free(b);
    opt_set_free(o);
    sb_free(&got);
    sb_free(&pos);
    sb_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debezium_ops),
        cmocka_unit_test(test_debezium_schema_include),
        cmocka_unit_test(test_debezium_errors),
        cmocka_unit_test(test_debezium_ignore_parse_errors),
        cmocka_unit_test(test_canal_rows),
        cmocka_unit_test(test_canal_overlay_nested),
        cmocka_unit_test(test_canal_errors),
        cmocka_unit_test(test_canal_include),
        cmocka_unit_test(test_batch_room),
        cmocka_unit_test(test_metadata_tables),
        cmocka_unit_test(test_debezium_metadata),
        cmocka_unit_test(test_debezium_metadata_payload_cast),
        cmocka_unit_test(test_canal_metadata),
        cmocka_unit_test(test_encoders),
        cmocka_unit_test(test_encoder_options),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_options),
        cmocka_unit_test_setup_teardown(test_filesystem_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_source, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
