/*
 * test_core.c — unit tests for src/core (errors, memory, arenas, string
 * buffers, types) and src/exec/batch.c (vectors, selection, compaction).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/strbuf.h"
#include "core/types.h"
#include "exec/batch.h"

static void test_err_first_wins(void **state)
{
    (void)state;
    struct weir_error e = {0};
    e.loc = WEIR_LOC_NONE;
    assert_int_equal(err_set(&e, WEIR_ERR_IO, "first %d", 1), WEIR_ERR_IO);
    err_set(&e, WEIR_ERR_BIND, "second");
    assert_int_equal(e.code, WEIR_ERR_IO);
    assert_string_equal(e.message, "first 1");
    err_reset(&e, WEIR_ERR_CONFIG, "replaced");
    assert_int_equal(e.code, WEIR_ERR_CONFIG);
    assert_string_equal(e.message, "replaced");
    err_clear(&e);
    assert_false(err_is_set(&e));
    assert_int_equal(err_set(NULL, WEIR_ERR_IO, "x"), WEIR_ERR_IO);   /* NULL err is fine */
    assert_string_equal(weir_rc_name(WEIR_ERR_SYNTAX), "WEIR_ERR_SYNTAX");
    assert_string_equal(weir_rc_str(WEIR_ERR_NOMEM), "out of memory");
}

static void test_err_render(void **state)
{
    (void)state;
    const char *text = "SELECT a\nFROM tbl WHERE x = 1";
    struct weir_error e = {0};
    err_set_at(&e, WEIR_ERR_BIND, (struct weir_loc){14, 3}, "table 'tbl' not found");
    int line, col;
    err_line_col(text, 14, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 6);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    err_render(f, &e, "job.sql", text);
    fclose(f);
    assert_string_equal(buf, "job.sql:2:6: error: table 'tbl' not found\n"
                             "  FROM tbl WHERE x = 1\n"
                             "       ^~~\n");
    free(buf);
    /* columns count characters, not bytes */
    err_line_col("'é' x", 5, &line, &col);
    assert_int_equal(col, 5);
    err_clear(&e);
}

static void test_arena(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 128);
    char *p = arena_strdup(&a, "hello");
    void *big = arena_alloc(&a, 10000);   /* larger than a block */
    memset(big, 1, 10000);
    assert_string_equal(p, "hello");
    assert_int_equal(((uintptr_t)arena_alloc(&a, 3)) % 16, 0);
    assert_string_equal(arena_sprintf(&a, "%d-%s", 7, "x"), "7-x");
    int64_t before = mem_bytes_in_use();
    arena_reset(&a);
    assert_true(mem_bytes_in_use() <= before);
    arena_free(&a);
}

static void test_mem_accounting(void **state)
{
    (void)state;
    int64_t base = mem_bytes_in_use();
    void *p = mem_alloc(1000);
    assert_int_equal(mem_bytes_in_use() - base, 1000);
    p = mem_realloc(p, 3000);
    assert_int_equal(mem_bytes_in_use() - base, 3000);
    mem_free(p);
    assert_int_equal(mem_bytes_in_use(), base);
    char *s = mem_sprintf("%0300d", 5);   /* longer than the stack buffer */
    assert_int_equal(strlen(s), 300);
    mem_free(s);
}

static void test_strbuf(void **state)
{
    (void)state;
    struct strbuf sb = {0};
    sb_adds(&sb, "ab");
    sb_addc(&sb, 'c');
    sb_addf(&sb, "%d", 42);
    for (int i = 0; i < 100; i++)
        sb_addf(&sb, "%s", "0123456789");
    assert_int_equal(sb.len, 5 + 1000);
    assert_memory_equal(sb.buf, "abc42", 5);
    sb_clear(&sb);
    assert_string_equal(sb.buf, "");
    sb_free(&sb);
}

static void test_types(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    assert_string_equal(type_to_sql(&a, type_decimal(&a, 23, 3)), "DECIMAL(23, 3)");
    assert_string_equal(type_to_sql(&a, &type_string), "STRING");
    assert_string_equal(type_to_sql(&a, type_varchar(&a, 20)), "VARCHAR(20)");
    const struct sql_type *ts = type_with_time_attr(&a, &type_timestamp3, TA_ROWTIME);
    assert_string_equal(type_to_sql(&a, type_with_nullable(&a, ts, false)),
                        "TIMESTAMP(3) NOT NULL *ROWTIME*");
    assert_true(type_equal(ts, &type_timestamp3));
    assert_false(type_equal(type_decimal(&a, 10, 2), type_decimal(&a, 10, 3)));
    assert_int_equal(type_lane(&type_int), LANE_I64);
    assert_int_equal(type_lane(type_decimal(&a, 5, 1)), LANE_I128);
    int p, s;
    type_decimal_of(&type_bigint, &p, &s);
    assert_int_equal(p, 19);
    assert_int_equal(type_int_bits(&type_smallint), 16);
    arena_free(&a);
}

static void test_batch_select_compact(void **state)
{
    (void)state;
    const struct sql_type *types[] = {&type_bigint, &type_string};
    struct batch *b = batch_new(2, types);
    for (int i = 0; i < 10; i++) {
        b->cols[0].i64[i] = i * 10;
        char buf[16];
        snprintf(buf, sizeof buf, "r%d", i);
        vec_set_str(&b->cols[1], i, buf, strlen(buf));
    }
    b->n = 10;
    vec_set_null(&b->cols[0], 7);
    assert_true(vec_is_null(&b->cols[0], 7));
    assert_false(vec_is_null(&b->cols[0], 6));
    b->sel = mem_alloc(BATCH_CAP * sizeof(uint16_t));
    uint16_t keep[] = {1, 7, 9};
    memcpy(b->sel, keep, sizeof keep);
    b->n_sel = 3;
    assert_int_equal(batch_live(b), 3);
    assert_int_equal(batch_row(b, 2), 9);
    batch_compact(b);
    assert_null(b->sel);
    assert_int_equal(b->n, 3);
    assert_int_equal(b->cols[0].i64[0], 10);
    assert_true(vec_is_null(&b->cols[0], 1));
    assert_int_equal(b->cols[0].i64[2], 90);
    assert_memory_equal(b->cols[1].s[2].ptr, "r9", 2);
    batch_reset(b);
    assert_int_equal(b->n, 0);
    assert_false(vec_is_null(&b->cols[0], 1));
    batch_free(b);
}

static void test_batch_append_rows(void **state)
{
    (void)state;
    const struct sql_type *types[] = {&type_int, &type_string};
    struct batch *src = batch_new(2, types), *dst = batch_new(2, types);
    src->n = 3;
    src->cols[0].i64[0] = 5;
    src->cols[0].i64[1] = 6;
    vec_set_null(&src->cols[0], 2);
    vec_set_str(&src->cols[1], 0, "five", 4);
    vec_set_null(&src->cols[1], 1);
    vec_set_str(&src->cols[1], 2, "", 0);
    batch_ensure_kinds(src);
    src->kinds[1] = RK_DELETE;
    int rows[] = {1, 0, 2};
    batch_append_rows(dst, src, rows, 3);
    assert_int_equal(dst->n, 3);
    assert_int_equal(dst->cols[0].i64[0], 6);
    assert_int_equal(dst->cols[0].i64[1], 5);
    assert_true(vec_is_null(&dst->cols[0], 2));
    assert_false(vec_is_null(&dst->cols[0], 0));
    assert_true(vec_is_null(&dst->cols[1], 0));
    assert_int_equal(dst->cols[1].s[1].len, 4);
    assert_memory_equal(dst->cols[1].s[1].ptr, "five", 4);
    assert_true(dst->cols[1].s[1].ptr != src->cols[1].s[0].ptr);   /* copied: own arena */
    assert_false(vec_is_null(&dst->cols[1], 2));
    assert_int_equal(dst->cols[1].s[2].len, 0);
    assert_int_equal(batch_kind(dst, 0), RK_DELETE);
    assert_int_equal(batch_kind(dst, 1), RK_INSERT);
    /* appending after existing rows */
    int again[] = {0};
    batch_append_rows(dst, src, again, 1);
    assert_int_equal(dst->n, 4);
    assert_int_equal(dst->cols[0].i64[3], 5);
    assert_int_equal(batch_kind(dst, 3), RK_INSERT);
    assert_string_equal(row_kind_str(RK_UPDATE_BEFORE), "-U");
    batch_free(src);
    batch_free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_first_wins),
        cmocka_unit_test(test_err_render),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_mem_accounting),
        cmocka_unit_test(test_strbuf),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_batch_select_compact),
        cmocka_unit_test(test_batch_append_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
