/*
 * test_regex_format.c — the 'regex' format's decoder: an nginx access-log line
 * becomes typed columns, a record the pattern does not match is a parse error
 * with the reason the dead letters show, text converts like csv (and fails
 * with the column named), optional groups that did not take part are NULL,
 * 'regex.null-literal', 'regex.ignore-parse-errors', and the configuration
 * errors (a column without a group, a pattern that does not compile, a
 * nested type, writing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/datetime.h"
#include "core/mem.h"
#include "formats/format.h"

/* The nginx "combined" log format, as in docs/formats.md. */
#define NGINX_PATTERN                                                                  \
    "(?<remote_addr>\\S+) - (?<remote_user>\\S+) \\[(?<time_local>[^\\]]+)\\] "      \
    "\"(?<method>\\S+) (?<path>\\S+) (?<protocol>[^\"]+)\" (?<status>\\d{3}) "       \
    "(?<body_bytes_sent>\\d+) \"(?<referer>[^\"]*)\" \"(?<user_agent>[^\"]*)\""

struct fixture {
    struct opt_set *o;
    struct table_ctx t;
    struct decoder *dec;
    struct batch *b;
};

/* Validates options (through the tail connector, as a table would) and creates
 * the decoder; returns its rc (err set on failure). */
static int make(struct fixture *fx, int n_cols, const char **names,
                const struct sql_type **types, const char *const *kv,
                struct weir_error *err)
{
    memset(fx, 0, sizeof(*fx));
    const char *keys[16] = {"connector", "path", "format"};
    const char *vals[16] = {"tail", "/tmp/none/*.log", "regex"};
    int n = 3;
    for (int i = 0; kv[i]; i += 2)
        keys[n] = kv[i], vals[n++] = kv[i + 1];
    int rc = conn_validate(conn_lookup("tail"), format_lookup("regex"), "access", n, keys,
                           vals, true, &fx->o, err);
    if (rc != WEIR_OK)
        return rc;
    fx->t = (struct table_ctx){.table_name = "access", .n_cols = n_cols,
                               .col_names = names, .col_types = types, .opts = fx->o,
                               .format = format_lookup("regex"), .parallelism = 1};
    rc = fx->t.format->decoder_create(&fx->t, &fx->dec, err);
    if (rc == WEIR_OK)
        fx->b = batch_new(n_cols, types);
    return rc;
}

static void done(struct fixture *fx)
{
    if (fx->dec)
        fx->dec->ops->free(fx->dec);
    batch_free(fx->b);
    opt_set_free(fx->o);
}

static int decode(struct fixture *fx, const char *rec, bool *lossy, struct weir_error *err)
{
    int row = fx->b->n;
    *lossy = false;
    int rc = fx->dec->ops->decode(fx->dec, rec, strlen(rec), fx->b, row, lossy, err);
    if (rc == WEIR_OK)
        fx->b->n++;
    return rc;
}

static void assert_str(const struct vec *v, int row, const char *want)
{
    assert_false(vec_is_null(v, row));
    assert_int_equal(v->s[row].len, strlen(want));
    assert_memory_equal(v->s[row].ptr, want, strlen(want));
}

static const char *nginx_names[] = {"remote_addr", "remote_user", "time_local", "method",
                                    "path", "protocol", "status", "body_bytes_sent",
                                    "referer", "user_agent"};

static void test_nginx_line_to_columns(void **state)
{
    (void)state;
    const struct sql_type *types[] = {&type_string, &type_string, &type_string,
                                      &type_string, &type_string, &type_string,
                                      &type_int, &type_bigint, &type_string,
                                      &type_string};
    const char *kv[] = {"regex.pattern", NGINX_PATTERN, "regex.null-literal", "-", NULL};
    struct fixture fx;
    struct weir_error err = {0};
    assert_int_equal(make(&fx, 10, nginx_names, types, kv, &err), WEIR_OK);
    bool lossy;
    assert_int_equal(decode(&fx, "198.51.100.2 - alice [10/Oct/2023:13:55:37 +0000] "
                                 "\"POST /api/login HTTP/2.0\" 401 57 "
                                 "\"https://example.com/\" \"Mozilla/5.0 (X11; Linux "
                                 "x86_64)\"", &lossy, &err), WEIR_OK);
    assert_false(lossy);
    struct vec *c = fx.b->cols;
    assert_str(&c[0], 0, "198.51.100.2");
    assert_str(&c[1], 0, "alice");
    assert_str(&c[2], 0, "10/Oct/2023:13:55:37 +0000");
    assert_str(&c[3], 0, "POST");
    assert_str(&c[4], 0, "/api/login");
    assert_str(&c[5], 0, "HTTP/2.0");
    assert_int_equal(c[6].i64[0], 401);
    assert_int_equal(c[7].i64[0], 57);
    assert_str(&c[8], 0, "https://example.com/");
    assert_str(&c[9], 0, "Mozilla/5.0 (X11; Linux x86_64)");
    /* "-" is the null literal; "" (an empty referer group) is not */
    assert_int_equal(decode(&fx, "203.0.113.7 - - [10/Oct/2023:13:55:36 +0000] \"GET / "
                                 "HTTP/1.1\" 200 2326 \"\" \"-\"", &lossy, &err), WEIR_OK);
    assert_true(vec_is_null(&c[1], 1));
    assert_str(&c[8], 1, "");
    assert_true(vec_is_null(&c[9], 1));
    assert_int_equal(c[7].i64[1], 2326);
    done(&fx);
}

static void test_no_match_is_parse_error(void **state)
{
    (void)state;
    const struct sql_type *types[] = {&type_string, &type_string, &type_string,
                                      &type_string, &type_string, &type_string,
                                      &type_int, &type_bigint, &type_string,
                                      &type_string};
    const char *kv[] = {"regex.pattern", NGINX_PATTERN, NULL};
    struct fixture fx;
    struct weir_error err = {0};
    assert_int_equal(make(&fx, 10, nginx_names, types, kv, &err), WEIR_OK);
    bool lossy;
    assert_int_equal(decode(&fx, "this is not an access log line", &lossy, &err),
                     WEIR_ERR_PARSE);
    assert_string_equal(err.message, "does not match regex.pattern");
    err_clear(&err);
    /* invalid UTF-8 cannot break matching */
    assert_int_equal(decode(&fx, "\xff\xfe garbage", &lossy, &err), WEIR_ERR_PARSE);
    err_clear(&err);
    done(&fx);
}

static void test_type_conversion(void **state)
{
    (void)state;
    const char *names[] = {"ts", "n", "amount", "ok", "ratio", "day"};
    const struct sql_type *types[6];
    struct arena a;
    arena_init(&a, 0);
    types[0] = &type_timestamp3;
    types[1] = &type_int;
    types[2] = type_decimal(&a, 10, 2);
    types[3] = &type_boolean;
    types[4] = &type_double;
    types[5] = &type_date;
    const char *kv[] = {"regex.pattern",
                        "^(?<ts>\\S+ \\S+) n=(?<n>\\S+) amount=(?<amount>\\S+) "
                        "ok=(?<ok>\\S+) ratio=(?<ratio>\\S+) day=(?<day>\\S+)$", NULL};
    struct fixture fx;
    struct weir_error err = {0};
    assert_int_equal(make(&fx, 6, names, types, kv, &err), WEIR_OK);
    bool lossy;
    assert_int_equal(decode(&fx, "2024-01-02 03:04:05.678 n=-42 amount=12.5 ok=true "
                                 "ratio=0.25 day=2024-02-29", &lossy, &err), WEIR_OK);
    struct vec *c = fx.b->cols;
    int64_t us;
    assert_true(dt_parse_timestamp("2024-01-02 03:04:05.678", 23, &us));
    assert_int_equal(c[0].i64[0], us);
    assert_int_equal(c[1].i64[0], -42);
    assert_true(c[2].i128[0] == 1250);
    assert_true(c[3].b[0]);
    assert_true(c[4].f64[0] == 0.25);
    int64_t days;
    assert_true(dt_parse_date("2024-02-29", 10, &days));
    assert_int_equal(c[5].i64[0], days);
    /* a value that does not convert names the column and the type */
    assert_int_equal(decode(&fx, "2024-01-02 03:04:05 n=4x amount=1 ok=false ratio=1 "
                                 "day=2024-01-01", &lossy, &err), WEIR_ERR_PARSE);
    assert_string_equal(err.message, "column \"n\": cannot convert '4x' to INT");
    err_clear(&err);
    assert_int_equal(decode(&fx, "2024-01-02 03:04:05 n=99999999999 amount=1 ok=false "
                                 "ratio=1 day=2024-01-01", &lossy, &err), WEIR_ERR_PARSE);
    err_clear(&err);
    done(&fx);

    /* with ignore-parse-errors the cell is NULL and the record reported lossy */
    const char *kv2[] = {"regex.pattern", kv[1], "regex.ignore-parse-errors", "true",
                         NULL};
    assert_int_equal(make(&fx, 6, names, types, kv2, &err), WEIR_OK);
    assert_int_equal(decode(&fx, "2024-01-02 03:04:05 n=4x amount=1 ok=false ratio=1 "
                                 "day=2024-01-01", &lossy, &err), WEIR_OK);
    assert_true(lossy);
    assert_true(vec_is_null(&fx.b->cols[1], 0));
    assert_false(vec_is_null(&fx.b->cols[2], 0));
    done(&fx);
    arena_free(&a);
}

static void test_unmatched_groups_are_null(void **state)
{
    (void)state;
    const char *names[] = {"level", "user", "msg", "code"};
    const struct sql_type *types[] = {&type_string, &type_string, &type_string, &type_int};
    /* user is optional; code is on the other side of an alternation */
    const char *kv[] = {"regex.pattern",
                        "^(?<level>[A-Z]+)(?: user=(?<user>\\w+))? (?:code=(?<code>\\d+)|"
                        "(?<msg>.*))$", NULL};
    struct fixture fx;
    struct weir_error err = {0};
    assert_int_equal(make(&fx, 4, names, types, kv, &err), WEIR_OK);
    bool lossy;
    assert_int_equal(decode(&fx, "INFO user=bob code=7", &lossy, &err), WEIR_OK);
    assert_int_equal(decode(&fx, "WARN disk almost full", &lossy, &err), WEIR_OK);
    struct vec *c = fx.b->cols;
    assert_str(&c[0], 0, "INFO");
    assert_str(&c[1], 0, "bob");
    assert_true(vec_is_null(&c[2], 0));
    assert_int_equal(c[3].i64[0], 7);
    assert_str(&c[0], 1, "WARN");
    assert_true(vec_is_null(&c[1], 1));
    assert_str(&c[2], 1, "disk almost full");
    assert_true(vec_is_null(&c[3], 1));
    done(&fx);
}

static void test_configuration_errors(void **state)
{
    (void)state;
    struct fixture fx;
    struct weir_error err = {0};
    /* a column without a named group */
    const char *names[] = {"level", "message"};
    const struct sql_type *types[] = {&type_string, &type_string};
    const char *kv[] = {"regex.pattern", "^(?<level>\\w+) (?<msg>.*)$", NULL};
    assert_int_equal(make(&fx, 2, names, types, kv, &err), WEIR_ERR_CONFIG);
    assert_string_equal(err.message, "table 'access': column 'message' has no named "
                        "group (?<message>...) in 'regex.pattern'; the pattern's "
                        "groups: level, msg");
    err_clear(&err);
    done(&fx);
    /* group names match columns case-insensitively when not exact */
    const char *names2[] = {"LEVEL", "msg"};
    assert_int_equal(make(&fx, 2, names2, types, kv, &err), WEIR_OK);
    bool lossy;
    assert_int_equal(decode(&fx, "info hello", &lossy, &err), WEIR_OK);
    assert_str(&fx.b->cols[0], 0, "info");
    done(&fx);
    /* a pattern that does not compile is refused when the table is declared */
    const char *bad[] = {"regex.pattern", "(?<a>unclosed", NULL};
    assert_int_equal(make(&fx, 2, names, types, bad, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "option 'regex.pattern': "));
    assert_non_null(strstr(err.message, "at offset 13"));
    err_clear(&err);
    done(&fx);
    /* regex.pattern is required */
    const char *none[] = {NULL};
    assert_int_equal(make(&fx, 2, names, types, none, &err), WEIR_ERR_CONFIG);
    assert_non_null(strstr(err.message, "missing required option 'regex.pattern'"));
    err_clear(&err);
    done(&fx);
    /* nested types are not supported; writing is not supported */
    struct arena a;
    arena_init(&a, 0);
    struct sql_type *at = type_new(&a, T_ARRAY);
    at->elem = &type_string;
    const struct sql_type *arr[] = {at, &type_string};
    assert_int_equal(make(&fx, 2, names2, arr, kv, &err), WEIR_ERR_UNSUPPORTED);
    err_clear(&err);
    done(&fx);
    struct encoder *enc = NULL;
    assert_int_equal(make(&fx, 2, names2, types, kv, &err), WEIR_OK);
    assert_int_equal(fx.t.format->encoder_create(&fx.t, &enc, &err), WEIR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "can only be read"));
    err_clear(&err);
    done(&fx);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nginx_line_to_columns),
        cmocka_unit_test(test_no_match_is_parse_error),
        cmocka_unit_test(test_type_conversion),
        cmocka_unit_test(test_unmatched_groups_are_null),
        cmocka_unit_test(test_configuration_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
