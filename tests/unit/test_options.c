/*
 * test_options.c — option value parsers (durations, sizes, characters), the
 * typed getters with defaults, and every validation message of conn_validate,
 * legacy option normalisation and the generated connector docs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "connectors/registry_doc.h"
#include "core/mem.h"
#include "formats/format.h"

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t ms;
    } ok[] = {
        {"10s", 10000}, {"10 s", 10000}, {"1 min", 60000}, {"1min", 60000},
        {"100ms", 100}, {"2h", 7200000}, {"1d", 86400000}, {"250", 250},
        {"3 SECONDS", 3000}, {"5m", 300000}, {"1500us", 1}, {" 7 days ", 604800000},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t v = -1;
        assert_int_equal(opt_parse_duration_ms(ok[i].in, &v), WEIR_OK);
        assert_int_equal(v, ok[i].ms);
    }
    const char *bad[] = {"", "s", "10 parsecs", "-1 s", "1.5 s", "10 s x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v;
        assert_int_not_equal(opt_parse_duration_ms(bad[i], &v), WEIR_OK);
    }
}

static void test_sizes_bools_chars(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(opt_parse_size("128MB", &v), WEIR_OK);
    assert_int_equal(v, 128LL << 20);
    assert_int_equal(opt_parse_size("64 kb", &v), WEIR_OK);
    assert_int_equal(v, 64 << 10);
    assert_int_equal(opt_parse_size("1gb", &v), WEIR_OK);
    assert_int_equal(v, 1LL << 30);
    assert_int_equal(opt_parse_size("4096", &v), WEIR_OK);
    assert_int_equal(v, 4096);
    assert_int_equal(opt_parse_size("12 bytes", &v), WEIR_OK);
    assert_int_equal(v, 12);
    assert_int_not_equal(opt_parse_size("lots", &v), WEIR_OK);
    bool b;
    assert_int_equal(opt_parse_bool("TRUE", &b), WEIR_OK);
    assert_true(b);
    assert_int_not_equal(opt_parse_bool("yes", &b), WEIR_OK);
    char c;
    assert_int_equal(opt_parse_char("\\t", &c), WEIR_OK);
    assert_int_equal(c, '\t');
    assert_int_equal(opt_parse_char("|", &c), WEIR_OK);
    assert_int_equal(c, '|');
    assert_int_equal(opt_parse_char("\\u0001", &c), WEIR_OK);
    assert_int_equal(c, 1);
    assert_int_not_equal(opt_parse_char("ab", &c), WEIR_OK);
}

/* Runs conn_validate; returns rc and copies the message. */
static int validate(const char *conn, bool as_source, int n, const char **kv,
                    struct opt_set **out, char *msg)
{
    const char *keys[32], *vals[32];
    for (int i = 0; i < n; i++) {
        keys[i] = kv[2 * i];
        vals[i] = kv[2 * i + 1];
    }
    struct weir_error err = {0};
    struct opt_set *o = NULL;
    int rc = conn_validate(conn_lookup(conn), NULL, "orders", n, keys, vals, as_source,
                           &o, &err);
    strcpy(msg, err.message ? err.message : "");
    err_clear(&err);
    if (out)
        *out = o;
    else
        opt_set_free(o);
    return rc;
}

static void test_validate_messages(void **state)
{
    (void)state;
    char msg[2048];
    const char *unknown[] = {"connector", "filesystem", "path", "/x", "format", "csv",
                             "foo", "1"};
    assert_int_equal(validate("filesystem", true, 4, unknown, NULL, msg), WEIR_ERR_CONFIG);
    assert_true(strncmp(msg, "table 'orders': unknown option 'foo' for connector "
                             "'filesystem'; valid options: path, format, "
                             "source.monitor-interval, ", 110) == 0);
    assert_non_null(strstr(msg, "csv.field-delimiter"));   /* the format's too */

    const char *badint[] = {"connector", "datagen", "rows-per-second", "fast"};
    assert_int_equal(validate("datagen", true, 2, badint, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': option 'rows-per-second' expects an "
                             "integer, got 'fast'");

    const char *badenum[] = {"connector", "datagen", "fields.id.kind", "counter"};
    assert_int_equal(validate("datagen", true, 2, badenum, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': option 'fields.id.kind' expects one of "
                             "random, sequence, got 'counter'");

    const char *baddur[] = {"connector", "filesystem", "path", "/x", "format", "json",
                            "source.monitor-interval", "soon"};
    assert_int_equal(validate("filesystem", true, 4, baddur, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': option 'source.monitor-interval' expects "
                             "a duration like '10 s', '1 min' or '100ms', got 'soon'");

    const char *missing[] = {"connector", "filesystem", "format", "json"};
    assert_int_equal(validate("filesystem", true, 2, missing, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': missing required option 'path' for "
                             "connector 'filesystem'");

    const char *nofmt[] = {"connector", "filesystem", "path", "/x"};
    assert_int_equal(validate("filesystem", true, 2, nofmt, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': missing required option 'format' for "
                             "connector 'filesystem'");

    const char *badfmt[] = {"connector", "filesystem", "path", "/x", "format", "xml"};
    assert_int_equal(validate("filesystem", true, 3, badfmt, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': unknown format 'xml' for connector "
                             "'filesystem'; available formats: canal-json, csv, debezium-json, "
                             "json, raw, regex");

    const char *badchar[] = {"connector", "filesystem", "path", "/x", "format", "csv",
                             "csv.field-delimiter", ";;"};
    assert_int_equal(validate("filesystem", true, 4, badchar, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': option 'csv.field-delimiter' expects a "
                             "single character, got ';;'");

    const char *twice[] = {"connector", "print", "print-identifier", "a",
                           "print-identifier", "b"};
    assert_int_equal(validate("print", false, 3, twice, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': option 'print-identifier' is given twice");

    const char *bh[] = {"connector", "blackhole", "x", "1"};
    assert_int_equal(validate("blackhole", false, 2, bh, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': unknown option 'x' for connector "
                             "'blackhole'; valid options: (none besides 'connector')");

    const char *role[] = {"connector", "print"};
    assert_int_equal(validate("print", true, 1, role, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': connector 'print' cannot be used as a "
                             "source (it only writes)");

    const char *charset[] = {"connector", "filesystem", "path", "/x", "format", "raw",
                             "raw.charset", "GBK"};
    assert_int_equal(validate("filesystem", true, 4, charset, NULL, msg), WEIR_ERR_CONFIG);
    assert_string_equal(msg, "table 'orders': option 'raw.charset': unsupported charset "
                             "'GBK'; supported: UTF-8");
}

static void test_getters_and_defaults(void **state)
{
    (void)state;
    char msg[1024];
    struct opt_set *o;
    const char *kv[] = {"connector", "filesystem", "path", "file:///data", "format",
                        "csv", "sink.rolling-policy.file-size", "1kb",
                        "sink.partition-commit.trigger", "PARTITION-TIME",
                        "csv.field-delimiter", "\\t"};
    assert_int_equal(validate("filesystem", false, 6, kv, &o, msg), WEIR_OK);
    assert_int_equal(opt_size(o, "sink.rolling-policy.file-size", 0), 1024);
    assert_int_equal(opt_duration_ms(o, "sink.rolling-policy.rollover-interval", 0),
                     30 * 60 * 1000);                        /* definition default */
    assert_string_equal(opt_str(o, "sink.partition-commit.trigger", ""),
                        "partition-time");                   /* canonical spelling */
    assert_int_equal(opt_char(o, "csv.field-delimiter", ','), '\t');
    assert_int_equal(opt_char(o, "csv.quote-character", 0), '"');
    assert_true(opt_has(o, "path"));
    assert_false(opt_has(o, "csv.null-literal"));
    assert_int_equal(opt_int(o, "nothing", 42), 42);
    assert_int_equal(opt_count(o), 6);
    assert_string_equal(opt_key_at(o, 1), "path");
    assert_string_equal(opt_value_at(o, 1), "file:///data");
    opt_set_free(o);

    /* wildcard keys */
    const char *dg[] = {"connector", "datagen", "fields.a.b.kind", "sequence",
                        "fields.id.max-past", "5 s"};
    assert_int_equal(validate("datagen", true, 3, dg, &o, msg), WEIR_OK);
    assert_int_equal(opt_duration_ms(o, "fields.id.max-past", 0), 5000);
    assert_int_equal(opt_int(o, "fields.x.length", 0), 100);
    opt_set_free(o);
}

static void test_legacy(void **state)
{
    (void)state;
    const char *keys[] = {"connector.type", "connector.path", "format.type",
                          "format.field-delimiter", "connector.property-version",
                          "format.derive-schema"};
    const char *vals[] = {"filesystem", "file:///tmp/side_input.txt", "csv", "|", "1",
                          "true"};
    char **k, **v;
    int n = conn_normalize_options(6, keys, vals, &k, &v);
    assert_int_equal(n, 4);
    assert_string_equal(k[0], "connector");
    assert_string_equal(k[1], "path");
    assert_string_equal(k[2], "format");
    assert_string_equal(k[3], "csv.field-delimiter");
    assert_string_equal(v[3], "|");
    conn_options_free(n, k, v);
    /* conn_validate takes the legacy form directly */
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    assert_int_equal(conn_validate(conn_lookup("filesystem"), NULL, "side_input", 3, keys,
                                   vals, true, &o, &err), WEIR_OK);
    assert_string_equal(opt_str(o, "path", ""), "file:///tmp/side_input.txt");
    opt_set_free(o);
}

static void test_registry_and_docs(void **state)
{
    (void)state;
    assert_non_null(conn_lookup("datagen"));
    assert_non_null(conn_lookup("print"));
    assert_non_null(conn_lookup("blackhole"));
    assert_non_null(conn_lookup("filesystem"));
    assert_null(conn_lookup("nope"));
    assert_null(conn_at(100));
    struct strbuf sb = {0};
    conn_names(&sb);
    assert_string_equal(sb.buf, "datagen, print, blackhole, filesystem, nexmark, tail, log, sqlite");
    sb_clear(&sb);
    conn_doc_markdown(&sb);
    assert_non_null(strstr(sb.buf, "### `filesystem` (source and sink)"));
    assert_non_null(strstr(sb.buf, "| `sink.rolling-policy.file-size` | memory size | "
                                   "`128mb` | no |"));
    assert_non_null(strstr(sb.buf, "### `json`"));
    assert_non_null(strstr(sb.buf, "enum: random\\|sequence"));
    sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_sizes_bools_chars),
        cmocka_unit_test(test_validate_messages),
        cmocka_unit_test(test_getters_and_defaults),
        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_registry_and_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
