/*
 * test_state.c — unit tests for src/state/table.c: the keyed state hash
 * table (insert/get/delete, value pointers stable across growth, iteration
 * with deletion, memory accounting), the key hash and key groups, and the key
 * encoding (equality rules for every lane, decode round trip).  Ends with a
 * small upsert timing that is printed, not asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "core/mem.h"
#include "core/strbuf.h"
#include "core/types.h"
#include "exec/batch.h"
#include "state/chainlog.h"
#include "state/spill.h"
#include "state/table.h"
#include "state/timers.h"

/* ---- helpers ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic, so a failure reproduces */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void *up(struct state_table *t, const void *k, size_t len, bool *ins)
{
    return state_table_upsert(t, k, len, state_hash(k, len), ins);
}

static void *get(struct state_table *t, const void *k, size_t len)
{
    return state_table_get(t, k, len, state_hash(k, len));
}

static bool del(struct state_table *t, const void *k, size_t len)
{
    return state_table_delete(t, k, len, state_hash(k, len));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- table ------------------------------------------------------------------------ */

static void test_insert_get_delete(void **state)
{
    (void)state;
    struct state_table *t = state_table_new(16, 128);
    /* lengths around every special case: empty, < 4, 4..7, 8..16, long, and
     * bigger than the largest size class (its own chunk) */
    static const size_t lens[] = {0, 1, 3, 4, 7, 8, 13, 16, 17, 40, 100, 1500, 5000};
    enum { NL = sizeof(lens) / sizeof(lens[0]) };
    unsigned char *keys[NL];
    void *vals[NL];
    for (int i = 0; i < NL; i++) {
        keys[i] = malloc(lens[i] + 1);
        for (size_t j = 0; j < lens[i]; j++)
            keys[i][j] = (unsigned char)(j * 7 + i);
        bool ins = false;
        vals[i] = up(t, keys[i], lens[i], &ins);
        assert_true(ins);
        assert_non_null(vals[i]);
        assert_true(((uintptr_t)vals[i] & 15) == 0);   /* __int128 accumulators */
        static const unsigned char zero[16];
        assert_memory_equal(vals[i], zero, 16);
        memset(vals[i], 0xa0 + i, 16);
    }
    assert_int_equal(state_table_count(t), NL);
    for (int i = 0; i < NL; i++) {
        bool ins = true;
        assert_ptr_equal(up(t, keys[i], lens[i], &ins), vals[i]);
        assert_false(ins);
        assert_ptr_equal(get(t, keys[i], lens[i]), vals[i]);
        assert_int_equal(((unsigned char *)vals[i])[15], 0xa0 + i);
    }
    /* a key that is a prefix of another is a different key */
    assert_null(get(t, keys[NL - 1], 39));
    assert_null(get(t, "nope", 4));
    assert_false(del(t, "nope", 4));
    for (int i = 0; i < NL; i += 2)
        assert_true(del(t, keys[i], lens[i]));
    for (int i = 0; i < NL; i++) {
        if (i % 2 == 0) {
            assert_null(get(t, keys[i], lens[i]));
            assert_false(del(t, keys[i], lens[i]));
        } else {
            assert_ptr_equal(get(t, keys[i], lens[i]), vals[i]);
        }
    }
    assert_int_equal(state_table_count(t), NL / 2);
    /* reinserted keys come back zeroed */
    bool ins = false;
    unsigned char *v = up(t, keys[0], lens[0], &ins);
    assert_true(ins);
    for (int j = 0; j < 16; j++)
        assert_int_equal(v[j], 0);
    for (int i = 0; i < NL; i++)
        free(keys[i]);
    state_table_free(t);
    state_table_free(NULL);
}

static void test_value_size_zero_set(void **state)
{
    (void)state;
    struct state_table *t = state_table_new(0, 8);
    for (int64_t k = 0; k < 1000; k++)
        assert_non_null(up(t, &k, 8, NULL));
    for (int64_t k = 0; k < 2000; k++)
        assert_true((get(t, &k, 8) != NULL) == (k < 1000));
    for (int64_t k = 0; k < 1000; k += 2)
        assert_true(del(t, &k, 8));
    for (int64_t k = 0; k < 1000; k++)
        assert_true((get(t, &k, 8) != NULL) == (k % 2 == 1));
    state_table_free(t);
}

static void test_growth_keeps_pointers(void **state)
{
    (void)state;
    enum { N = 1000000 };
    struct state_table *t = state_table_new(24, 128);
    uint64_t **ptrs = malloc(N * sizeof(*ptrs));
    for (uint64_t k = 0; k < N; k++) {
        bool ins = false;
        ptrs[k] = up(t, &k, 8, &ins);
        assert_true(ins);
        ptrs[k][0] = k * 3 + 1;
        ptrs[k][1] = ~k;
        ptrs[k][2] = k ^ 0x5555;
        /* the early entries are re-checked while the index doubles under them */
        if ((k & (k - 1)) == 0)
            for (uint64_t j = 0; j < k && j < 1000; j++)
                assert_true(ptrs[j][0] == j * 3 + 1);
    }
    assert_int_equal(state_table_count(t), N);
    for (uint64_t k = 0; k < N; k++) {
        assert_ptr_equal(get(t, &k, 8), ptrs[k]);
        assert_true(ptrs[k][0] == k * 3 + 1 && ptrs[k][1] == ~k && ptrs[k][2] == (k ^ 0x5555));
    }
    /* deleting half and inserting new keys reuses memory but never moves the
     * survivors */
    for (uint64_t k = 0; k < N; k += 2)
        assert_true(del(t, &k, 8));
    for (uint64_t k = N; k < N + N / 2; k++)
        ((uint64_t *)up(t, &k, 8, NULL))[0] = k;
    for (uint64_t k = 1; k < N; k += 2)
        assert_true(get(t, &k, 8) == ptrs[k] && ptrs[k][0] == k * 3 + 1);
    free(ptrs);
    state_table_free(t);
}

static void test_iteration(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct state_table *t = state_table_new(8, 64);
    for (int64_t k = 0; k < N; k++)
        *(int64_t *)up(t, &k, 8, NULL) = k;
    unsigned char *seen = calloc(N, 1);

    /* every entry exactly once, with its key group */
    struct state_iter it;
    int n = 0;
    state_iter_init(&it, t);
    while (state_iter_next(&it)) {
        int64_t k;
        assert_int_equal(it.key_len, 8);
        memcpy(&k, it.key, 8);
        assert_true(k >= 0 && k < N);
        assert_int_equal(*(int64_t *)it.value, k);
        assert_int_equal(seen[k]++, 0);
        assert_int_equal(it.key_group, state_key_group(state_hash(&k, 8), 64));
        n++;
    }
    assert_int_equal(n, N);
    assert_false(state_iter_next(&it));   /* stays finished */

    /* deleting the current entry: still every entry once */
    memset(seen, 0, N);
    n = 0;
    state_iter_init(&it, t);
    while (state_iter_next(&it)) {
        int64_t k;
        memcpy(&k, it.key, 8);
        assert_int_equal(seen[k]++, 0);
        n++;
        if (k % 3 != 1)
            state_iter_delete(&it);
    }
    assert_int_equal(n, N);
    assert_int_equal(state_table_count(t), (N + 1) / 3);
    for (int64_t k = 0; k < N; k++)
        assert_true((get(t, &k, 8) != NULL) == (k % 3 == 1));

    /* delete everything through the iterator */
    n = 0;
    state_iter_init(&it, t);
    while (state_iter_next(&it)) {
        n++;
        state_iter_delete(&it);
    }
    assert_int_equal(n, (N + 1) / 3);
    assert_int_equal(state_table_count(t), 0);
    state_iter_init(&it, t);
    assert_false(state_iter_next(&it));
    free(seen);
    state_table_free(t);
}

/* Small, nearly full tables make runs that wrap around the end of the index —
 * the case where a backward shift moves an entry from slot 0 to the top. */
static void test_iteration_wraparound(void **state)
{
    (void)state;
    for (int round = 0; round < 3000; round++) {
        struct state_table *t = state_table_new(8, 128);
        int nk = 5 + (int)(rng() % 7);   /* up to 11 in 16 slots */
        uint64_t keys[16];
        for (int i = 0; i < nk; i++) {
            keys[i] = rng();
            *(int *)up(t, &keys[i], 8, NULL) = i;
        }
        uint64_t del_mask = rng();
        int seen[16] = {0};
        struct state_iter it;
        state_iter_init(&it, t);
        while (state_iter_next(&it)) {
            int i = *(int *)it.value;
            seen[i]++;
            if ((del_mask >> i) & 1)
                state_iter_delete(&it);
        }
        for (int i = 0; i < nk; i++) {
            assert_int_equal(seen[i], 1);
            assert_true((get(t, &keys[i], 8) != NULL) == !((del_mask >> i) & 1));
        }
        state_table_free(t);
    }
}

static void test_bytes_accounting(void **state)
{
    (void)state;
    enum { N = 200000 };
    int64_t mem0 = mem_bytes_in_use();
    struct state_table *t = state_table_new(16, 128);
    int64_t empty = state_table_bytes(t);
    /* the table's figure is exactly what it holds from the allocator */
    assert_int_equal(mem_bytes_in_use() - mem0, empty);
    assert_true(empty < 4096);
    char key[40];
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, "user-%d-%s", i, i % 2 ? "web" : "app-ios");
        up(t, key, (size_t)len, NULL);
    }
    int64_t full = state_table_bytes(t);
    assert_int_equal(mem_bytes_in_use() - mem0, full);
    /* at least the keys, values and index slots */
    assert_true(full > (int64_t)N * (16 + 12 + 16));
    assert_true(full < (int64_t)N * 120);
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, "user-%d-%s", i, i % 2 ? "web" : "app-ios");
        assert_true(del(t, key, (size_t)len));
    }
    int64_t after = state_table_bytes(t);
    assert_int_equal(mem_bytes_in_use() - mem0, after);
    assert_int_equal(state_table_count(t), 0);
    /* the index shrinks back and empty chunks are released (but one per class
     * may be kept as a spare) */
    assert_true(after < full / 4);
    assert_true(after < 3 * 1024 * 1024);
    /* the same through iteration: bytes shrink once the walk is over */
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, "k%d", i);
        up(t, key, (size_t)len, NULL);
    }
    full = state_table_bytes(t);
    struct state_iter it;
    state_iter_init(&it, t);
    while (state_iter_next(&it))
        state_iter_delete(&it);
    after = state_table_bytes(t);
    assert_int_equal(mem_bytes_in_use() - mem0, after);
    assert_true(after < full / 4);
    state_table_free(t);
    assert_int_equal(mem_bytes_in_use(), mem0);
}

/* ---- hash and key groups -------------------------------------------------------- */

/* state_hash_i64_key is the hash of the encoded one-BIGINT key: the exchanges
 * route by it and the checkpoints group keys by state_hash of the bytes, so
 * the two must never disagree. */
static void test_hash_i64_key(void **state)
{
    (void)state;
    struct arena ar;
    arena_init(&ar, 0);
    struct vec v;
    vec_init(&v, &type_bigint, 1, &ar);
    const struct vec *cols[1] = {&v};
    struct strbuf sb = {0};
    int64_t edge[] = {0, 1, -1, 42, INT64_MIN, INT64_MAX, 0x0102030405060708LL,
                      (int64_t)0x8000000000000001ULL, 255, 256, 1LL << 32};
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 100000; i++) {
        int64_t k;
        if (i < (int)(sizeof(edge) / sizeof(edge[0]))) {
            k = edge[i];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;   /* xorshift */
            k = (int64_t)(i & 1 ? x : x >> (i % 60));
        }
        v.i64[0] = k;
        state_key_encode(&sb, cols, 1, 0);
        assert_true(state_hash_i64_key(k) == state_hash(sb.buf, sb.len));
    }
    /* a batch of them, through a selection, NULLs included */
    struct vec w;
    vec_init(&w, &type_bigint, 8, &ar);
    const struct vec *wcols[1] = {&w};
    for (int i = 0; i < 8; i++)
        w.i64[i] = i * 1000003 - 3;
    vec_set_null(&w, 2);
    vec_set_null(&w, 5);
    const uint16_t sel[5] = {7, 2, 0, 5, 3};
    uint64_t out[8];
    state_hash_i64_keys(&w, sel, 5, out);
    for (int k = 0; k < 5; k++) {
        state_key_encode(&sb, wcols, 1, sel[k]);
        assert_true(out[k] == state_hash(sb.buf, sb.len));
    }
    state_hash_i64_keys(&w, NULL, 8, out);
    for (int i = 0; i < 8; i++) {
        state_key_encode(&sb, wcols, 1, i);
        assert_true(out[i] == state_hash(sb.buf, sb.len));
    }
    vec_free(&w);
    sb_free(&sb);
    vec_free(&v);
    arena_free(&ar);
}

static void test_hash_and_key_groups(void **state)
{
    (void)state;
    /* snapshots are written per key group: the hash must never change between
     * builds.  These values pin it. */
    assert_true(state_hash("", 0) == state_hash("", 0));
    uint64_t h_abc = state_hash("abc", 3);
    uint64_t h_long = state_hash("the quick brown fox jumps over the lazy dog, twice over", 55);
    int64_t k42 = 42;
    uint64_t h_42 = state_hash(&k42, 8);
    printf("state_hash pins: abc=%016llx long=%016llx 42=%016llx\n",
           (unsigned long long)h_abc, (unsigned long long)h_long, (unsigned long long)h_42);
    assert_true(h_abc == 0xb4808df22d44ffcfULL);
    assert_true(h_long == 0x743bea79fee875acULL);
    assert_true(h_42 == 0xc73c7e9ff277cd8fULL);
    /* length is part of the hash: "a" and "a\0" differ, and so do prefixes */
    assert_true(state_hash("a", 1) != state_hash("a\0", 2));
    assert_true(state_hash("abcdefgh", 8) != state_hash("abcdefgh", 7));

    /* groups are in range, stable, and spread evenly over sequential keys */
    enum { G = 128, N = 1000000 };
    static int counts[G];
    memset(counts, 0, sizeof counts);
    for (int64_t k = 0; k < N; k++) {
        uint64_t h = state_hash(&k, 8);
        int g = state_key_group(h, G);
        assert_true(g >= 0 && g < G);
        assert_int_equal(g, state_key_group(h, G));
        counts[g]++;
    }
    for (int g = 0; g < G; g++)
        assert_true(counts[g] > N / G * 9 / 10 && counts[g] < N / G * 11 / 10);
    assert_int_equal(state_key_group(0, 128), 0);
    assert_int_equal(state_key_group(UINT64_MAX, 128), 127);
    assert_int_equal(state_key_group(UINT64_MAX, 1), 0);

    /* the low bits (the index position) are spread too */
    static int low[1024];
    memset(low, 0, sizeof low);
    for (int64_t k = 0; k < 1024 * 64; k++)
        low[state_hash(&k, 8) & 1023]++;
    for (int i = 0; i < 1024; i++)
        assert_true(low[i] > 20 && low[i] < 120);
    /* one flipped input bit flips about half the output bits */
    long flips = 0;
    for (int i = 0; i < 1000; i++) {
        unsigned char buf[24];
        for (int j = 0; j < 24; j++)
            buf[j] = (unsigned char)rng();
        uint64_t a = state_hash(buf, 24);
        buf[i % 24] ^= (unsigned char)(1u << (i % 8));
        flips += __builtin_popcountll(a ^ state_hash(buf, 24));
    }
    assert_true(flips > 1000 * 28 && flips < 1000 * 36);
}

/* ---- keys ------------------------------------------------------------------------- */

/* Encodes row r of the columns into a fresh buffer (caller frees). */
static struct strbuf enc(struct vec *const *cols, int n, int r)
{
    struct strbuf sb = {0};
    state_key_encode(&sb, (const struct vec *const *)cols, n, r);
    return sb;
}

static bool enc_eq(struct vec *const *cols, int n, int r1, int r2)
{
    struct strbuf a = enc(cols, n, r1), b = enc(cols, n, r2);
    bool eq = a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0;
    sb_free(&a);
    sb_free(&b);
    return eq;
}

static void test_key_equality(void **state)
{
    (void)state;
    struct arena ar;
    arena_init(&ar, 0);
    struct vec vi, vd, vs, vs2;
    vec_init(&vi, &type_bigint, 16, &ar);
    vec_init(&vd, &type_double, 16, &ar);
    vec_init(&vs, &type_string, 16, &ar);
    vec_init(&vs2, &type_string, 16, &ar);
    struct vec *c1[] = {&vi};
    struct vec *cd[] = {&vd};
    struct vec *cs[] = {&vs};
    struct vec *css[] = {&vs, &vs2};

    /* NULL equals NULL, differs from every value including 0 */
    vec_set_null(&vi, 0);
    vec_set_null(&vi, 1);
    vi.i64[2] = 0;
    vi.i64[3] = 0;
    vi.i64[4] = 1;
    assert_true(enc_eq(c1, 1, 0, 1));
    assert_false(enc_eq(c1, 1, 0, 2));
    assert_true(enc_eq(c1, 1, 2, 3));
    assert_false(enc_eq(c1, 1, 3, 4));
    /* a NULL's stale lane value does not leak into the key */
    vi.i64[0] = 77;
    assert_true(enc_eq(c1, 1, 0, 1));

    /* doubles: -0.0 == 0.0, every NaN equal, NULL apart */
    vd.f64[0] = 0.0;
    vd.f64[1] = -0.0;
    vd.f64[2] = NAN;
    vd.f64[3] = -NAN;
    uint64_t odd_nan = 0x7ff0000000000123ULL;
    memcpy(&vd.f64[4], &odd_nan, 8);
    vd.f64[5] = 1.5;
    vec_set_null(&vd, 6);
    vd.f64[7] = INFINITY;
    assert_true(enc_eq(cd, 1, 0, 1));
    assert_true(enc_eq(cd, 1, 2, 3));
    assert_true(enc_eq(cd, 1, 2, 4));
    assert_false(enc_eq(cd, 1, 0, 2));
    assert_false(enc_eq(cd, 1, 0, 6));
    assert_false(enc_eq(cd, 1, 2, 7));

    /* strings: bytes as-is, embedded NULs count, empty differs from NULL */
    vec_set_str(&vs, 0, "a\0b", 3);
    vec_set_str(&vs, 1, "a\0b", 3);
    vec_set_str(&vs, 2, "a\0c", 3);
    vec_set_str(&vs, 3, "a", 1);
    vec_set_str(&vs, 4, "", 0);
    vec_set_null(&vs, 5);
    vec_set_str(&vs, 6, "a  ", 3);   /* CHAR padding is kept */
    assert_true(enc_eq(cs, 1, 0, 1));
    assert_false(enc_eq(cs, 1, 0, 2));
    assert_false(enc_eq(cs, 1, 0, 3));
    assert_false(enc_eq(cs, 1, 4, 5));
    assert_false(enc_eq(cs, 1, 3, 6));
    /* column boundaries are part of the key: ("ab","c") != ("a","bc") */
    vec_set_str(&vs, 8, "ab", 2);
    vec_set_str(&vs2, 8, "c", 1);
    vec_set_str(&vs, 9, "a", 1);
    vec_set_str(&vs2, 9, "bc", 2);
    vec_set_str(&vs, 10, "ab", 2);
    vec_set_str(&vs2, 10, "c", 1);
    assert_false(enc_eq(css, 2, 8, 9));
    assert_true(enc_eq(css, 2, 8, 10));
    /* (NULL, "x") != ("x", NULL) */
    vec_set_null(&vs, 11);
    vec_set_str(&vs2, 11, "x", 1);
    vec_set_str(&vs, 12, "x", 1);
    vec_set_null(&vs2, 12);
    assert_false(enc_eq(css, 2, 11, 12));

    /* buffer is cleared first */
    struct strbuf sb = {0};
    state_key_encode(&sb, (const struct vec *const *)c1, 1, 4);
    size_t one = sb.len;
    state_key_encode(&sb, (const struct vec *const *)c1, 1, 4);
    assert_int_equal(sb.len, one);
    assert_int_equal(one, 9);
    sb_free(&sb);

    vec_free(&vi);
    vec_free(&vd);
    vec_free(&vs);
    vec_free(&vs2);
    arena_free(&ar);
}

static void test_key_rows(void **state)
{
    (void)state;
    struct arena ar;
    arena_init(&ar, 0);
    static const char *const names[] = {"id", "name"};
    const struct sql_type *const ftypes[] = {&type_int, &type_string};
    struct sql_type rt = {.id = T_ROW, .nullable = true, .n_fields = 2,
                          .field_names = names, .field_types = ftypes};
    struct vec vr;
    vec_init(&vr, &rt, 16, &ar);
    struct vec *cols[] = {&vr};
    /* row 0 and 1: equal rows; 2: NULL row; 3: row of NULL fields; 4: another
     * row of NULL fields; 5: differs in the nested string */
    for (int r = 0; r < 2; r++) {
        vr.children[0].i64[r] = 7;
        vec_set_str(&vr.children[1], r, "x\0y", 3);
    }
    vec_set_null(&vr, 2);
    for (int r = 3; r < 5; r++) {
        vec_set_null(&vr.children[0], r);
        vec_set_null(&vr.children[1], r);
    }
    vr.children[0].i64[5] = 7;
    vec_set_str(&vr.children[1], 5, "x\0z", 3);
    assert_true(enc_eq(cols, 1, 0, 1));
    assert_false(enc_eq(cols, 1, 2, 3));
    assert_true(enc_eq(cols, 1, 3, 4));
    assert_false(enc_eq(cols, 1, 0, 5));
    vec_free(&vr);
    arena_free(&ar);
}

static void test_key_decode_round_trip(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    const struct sql_type *dec = type_decimal(&a, 20, 2);
    static const char *const names[] = {"x", "s"};
    const struct sql_type *const ftypes[] = {&type_double, &type_string};
    struct sql_type rt = {.id = T_ROW, .nullable = true, .n_fields = 2,
                          .field_names = names, .field_types = ftypes};
    struct sql_type at = {.id = T_ARRAY, .nullable = true, .elem = &type_bigint};
    const struct sql_type *types[] = {&type_boolean, &type_bigint, &type_double, dec,
                                      &type_string,  &rt,          &at,          &type_null};
    enum { NC = 8, NR = 6 };
    struct batch *src = batch_new(NC, types);
    struct batch *dst = batch_new(NC, types);
    for (int r = 0; r < NR; r++) {
        src->cols[0].b[r] = (uint8_t)(r & 1);
        src->cols[1].i64[r] = (int64_t)r * -1000003;
        src->cols[2].f64[r] = r * 0.25 - 1;
        src->cols[3].i128[r] = ((__int128)r << 70) - 5;
        /* "s<r>" and, for row 2, an embedded NUL and more bytes after it */
        char s[16] = "s0\0tail";
        s[1] = (char)('0' + r);
        vec_set_str(&src->cols[4], r, s, r == 2 ? 7 : 2);
        src->cols[5].children[0].f64[r] = r * 1.5;
        vec_set_str(&src->cols[5].children[1], r, "nested", (size_t)r);
        /* ARRAY: r elements */
        int first = src->cols[6].offsets[r];
        vec_reserve(&src->cols[6].children[0], first + r);
        for (int e = 0; e < r; e++)
            src->cols[6].children[0].i64[first + e] = r * 10 + e;
        if (r == 3)
            vec_set_null(&src->cols[6].children[0], first + 1);
        src->cols[6].offsets[r + 1] = first + r;
        vec_set_null(&src->cols[7], r);
    }
    src->n = NR;
    /* a sprinkle of NULLs at every level */
    vec_set_null(&src->cols[0], 1);
    vec_set_null(&src->cols[1], 2);
    vec_set_null(&src->cols[3], 3);
    vec_set_null(&src->cols[4], 4);
    vec_set_null(&src->cols[5], 5);
    vec_set_null(&src->cols[5].children[1], 0);
    vec_set_null(&src->cols[6], 4);
    src->cols[6].offsets[5] = src->cols[6].offsets[4];
    src->cols[6].offsets[6] = src->cols[6].offsets[5] + 5;

    struct vec *sc[NC], *dc[NC];
    for (int c = 0; c < NC; c++) {
        sc[c] = &src->cols[c];
        dc[c] = &dst->cols[c];
    }
    for (int r = 0; r < NR; r++) {
        struct strbuf k1 = enc(sc, NC, r);
        size_t used = state_key_decode(k1.buf, k1.len, dc, NC, r);
        assert_int_equal(used, k1.len);
        struct strbuf k2 = enc(dc, NC, r);
        assert_int_equal(k1.len, k2.len);
        assert_memory_equal(k1.buf, k2.buf, k1.len);
        sb_free(&k1);
        sb_free(&k2);
    }
    /* spot checks on the decoded values */
    assert_true(vec_is_null(&dst->cols[0], 1));
    assert_int_equal(dst->cols[1].i64[5], 5 * -1000003);
    assert_true(dst->cols[3].i128[4] == ((__int128)4 << 70) - 5);
    assert_int_equal(dst->cols[4].s[2].len, 7);
    assert_memory_equal(dst->cols[4].s[2].ptr, "s2\0tail", 7);
    assert_true(dst->cols[4].s[2].ptr != src->cols[4].s[2].ptr);   /* copied */
    assert_true(vec_is_null(&dst->cols[5].children[1], 0));
    assert_true(vec_is_null(&dst->cols[5], 5));
    assert_int_equal(dst->cols[6].offsets[4] - dst->cols[6].offsets[3], 3);
    assert_true(vec_is_null(&dst->cols[6].children[0], dst->cols[6].offsets[3] + 1));
    assert_true(vec_is_null(&dst->cols[7], 0));
    batch_free(src);
    batch_free(dst);
    arena_free(&a);
}

/* ---- lazy (copy-on-write) snapshots ------------------------------------------------------ */

#define SNAP_KEYS 3000

/* Key of id: "id:<n>" padded to one of several lengths (several size classes,
 * and now and then a key too big for any class: a chunk of its own). */
static size_t snap_key(unsigned id, char *buf)
{
    size_t len = (size_t)sprintf(buf, "id:%u", id);
    size_t pad = id % 97 == 0 ? 1500 : (id % 7) * 40;
    memset(buf + len, '.', pad);
    buf[len + pad] = '\0';
    return len + pad;
}

/* The id of a key written by snap_key (keys are not NUL-terminated). */
static unsigned snap_key_id(const void *key, size_t len)
{
    char buf[32];
    size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
    memcpy(buf, key, n);
    buf[n] = '\0';
    unsigned id = UINT32_MAX;
    assert_int_equal(sscanf(buf, "id:%u", &id), 1);
    return id;
}

static void snap_write_entry(struct snap_writer *w, const void *ctx, const void *key,
                             size_t len, int kg, const void *value)
{
    assert_int_equal(*(const int *)ctx, 4242);   /* the walk's copy of the context */
    snap_begin(w, kg);
    snap_put_bytes(&w->buf, key, len);
    snap_put_i64(&w->buf, *(const int64_t *)value);
    snap_end(w);
}

/* The records of w must be exactly the model (want/present) as it was when
 * the snapshot started: each key once, with its value of that moment. */
static void check_snapshot(const struct snap_writer *w, const int64_t *want,
                           const bool *present)
{
    bool *seen = calloc(SNAP_KEYS, 1);
    struct snap_iter it;
    struct snap_rd rd;
    int kg;
    int64_t n = 0, n_present = 0;
    snap_iter_init(&it, w->buf.buf, w->buf.len);
    while (snap_iter_next(&it, &kg, &rd)) {
        size_t len;
        const char *key = snap_get_bytes(&rd, &len);
        int64_t v = snap_get_i64(&rd);
        assert_false(rd.bad);
        unsigned id = snap_key_id(key, len);
        assert_true(id < SNAP_KEYS);
        assert_true(present[id]);
        assert_false(seen[id]);
        seen[id] = true;
        assert_int_equal(v, want[id]);
        assert_int_equal(kg, state_key_group(state_hash(key, len), 128));
        n++;
    }
    assert_false(it.bad);
    for (int i = 0; i < SNAP_KEYS; i++)
        n_present += present[i];
    assert_int_equal(n, n_present);
    free(seen);
}

/* Random upserts, changes, deletes and iterations while a walk copies the
 * table a little at a time: every snapshot is the table as it was when the
 * walk started. */
static void test_lazy_snapshot(void **state)
{
    (void)state;
    struct state_table *t = state_table_new(sizeof(int64_t), 128);
    int64_t *val = calloc(SNAP_KEYS, sizeof(int64_t)), *want = calloc(SNAP_KEYS, sizeof(int64_t));
    bool *present = calloc(SNAP_KEYS, 1), *want_present = calloc(SNAP_KEYS, 1);
    char key[2048];
    int ctx = 4242;
    for (int round = 0; round < 8; round++) {
        struct snap_writer w = {0};
        memcpy(want, val, SNAP_KEYS * sizeof(int64_t));
        memcpy(want_present, present, SNAP_KEYS);
        state_table_walk(t, &w, snap_write_entry, &ctx, sizeof(ctx));
        ctx = 0;   /* the walk keeps its own copy */
        for (int op = 0; op < 6000; op++) {
            unsigned id = (unsigned)(rng() % SNAP_KEYS);
            size_t len = snap_key(id, key);
            switch (rng() % 8) {
            case 0:
            case 1:
            case 2: {   /* upsert and change */
                bool ins;
                int64_t *v = up(t, key, len, &ins);
                assert_int_equal(ins, !present[id]);
                *v += 1 + (int64_t)id;
                val[id] = *v;
                present[id] = true;
                break;
            }
            case 3: {   /* change through get */
                int64_t *v = get(t, key, len);
                assert_int_equal(v != NULL, present[id]);
                if (v)
                    val[id] = *v = *v * 3 + 1;
                break;
            }
            case 4:
            case 5:     /* delete */
                assert_int_equal(del(t, key, len), present[id]);
                present[id] = false;
                val[id] = 0;
                break;
            case 6:     /* copy a few more */
                state_walks_step(&w, (int64_t)(rng() % 64));
                break;
            default:
                if (rng() % 50 == 0) {   /* iterate, changing and deleting */
                    struct state_iter it;
                    state_iter_init(&it, t);
                    while (state_iter_next(&it)) {
                        unsigned k = snap_key_id(it.key, it.key_len);
                        if (k % 5 == 0) {
                            state_iter_delete(&it);
                            present[k] = false;
                            val[k] = 0;
                        } else {
                            val[k] = ++*(int64_t *)it.value;
                        }
                    }
                }
            }
        }
        ctx = 4242;
        if (round == 7) {
            state_table_free(t);   /* freeing the table writes what is pending */
            t = NULL;
        }
        state_walks_end(&w, true);
        check_snapshot(&w, want, want_present);
        sb_free(&w.buf);
    }
    free(val);
    free(want);
    free(present);
    free(want_present);
}

/* A new walk of a table whose previous walk is still copying finishes that
 * one first, into its own section. */
static void test_lazy_snapshot_overlap(void **state)
{
    (void)state;
    struct state_table *t = state_table_new(sizeof(int64_t), 128);
    static int64_t val[SNAP_KEYS], first[SNAP_KEYS];
    static bool present[SNAP_KEYS];
    char key[2048];
    int ctx = 4242;
    for (unsigned id = 0; id < SNAP_KEYS; id++) {
        size_t len = snap_key(id, key);
        val[id] = *(int64_t *)up(t, key, len, NULL) = id;
        present[id] = true;
    }
    struct snap_writer a = {0}, b = {0};
    state_table_walk(t, &a, snap_write_entry, &ctx, sizeof(ctx));
    state_walks_step(&a, 100);
    assert_false(state_walks_done(&a));
    memcpy(first, val, sizeof(val));
    for (unsigned id = 0; id < SNAP_KEYS; id += 3) {
        size_t len = snap_key(id, key);
        val[id] = ++*(int64_t *)get(t, key, len);
    }
    state_table_walk(t, &b, snap_write_entry, &ctx, sizeof(ctx));
    assert_true(state_walks_done(&a));
    for (unsigned id = 1; id < SNAP_KEYS; id += 3) {
        size_t len = snap_key(id, key);
        *(int64_t *)get(t, key, len) += 1000;
    }
    state_walks_end(&b, true);
    state_walks_end(&a, true);
    check_snapshot(&a, first, present);
    check_snapshot(&b, val, present);
    sb_free(&a.buf);
    sb_free(&b.buf);
    state_table_free(t);
}


/* ---- speed (printed, not asserted) ----------------------------------------------- */

static void test_upsert_speed(void **state)
{
    (void)state;
    static const int sizes[] = {1 << 10, 1 << 14, 1 << 16, 1 << 20};
    for (int s = 0; s < 4; s++) {
        int n = sizes[s];
        struct state_table *t = state_table_new(16, 128);
        /* keys that look like ids: scattered, not 0..n-1 */
        for (int64_t i = 0; i < n; i++) {
            int64_t k = i * 0x9E3779B1LL;
            up(t, &k, 8, NULL);
        }
        /* best of five rounds: the figure is for a quiet machine, and a
         * shared one rarely is for a whole run */
#ifdef __SANITIZE_ADDRESS__
        const long ops = 400 * 1000;   /* the figure means nothing there */
#else
        const long ops = 4 * 1000 * 1000;
#endif
        uint64_t x = 88172645463325252ULL;
        double best = 1e9;
        for (int round = 0; round < 5; round++) {
            double t0 = now_s();
            for (long i = 0; i < ops; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                int64_t k = (int64_t)(x & (uint64_t)(n - 1)) * 0x9E3779B1LL;
                int64_t *v = state_table_upsert(t, &k, 8, state_hash(&k, 8), NULL);
                v[0]++;
            }
            double dt = now_s() - t0;
            best = dt < best ? dt : best;
        }
        printf("state_table: %7d keys of 8 bytes, random order: %.1f M upserts/s "
               "(hash included), %.1f MB\n",
               n, (double)ops / best / 1e6, (double)state_table_bytes(t) / 1e6);
        state_table_free(t);
    }
}

/* Keyed timers pop in time order, only when due, with their keys; the held
 * bytes go back to the fixed part once popped. */
static void test_timers(void **state)
{
    (void)state;
    struct timers t = {0};
    uint64_t rnd = 42;
    for (int i = 0; i < 1000; i++) {
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t when = (int64_t)(rnd >> 40) % 500;
        char key[32];
        int n = snprintf(key, sizeof key, "k%lld", (long long)when);
        timers_push(&t, when, (uint64_t)when, key, (size_t)n);
    }
    assert_int_equal(t.n + t.f_n, 1000);
    assert_true(t.n > 0 && t.f_n > 0);   /* both the heap and the FIFO hold some */
    struct timer it;
    int64_t last = INT64_MIN;
    int popped = 0;
    while (timers_pop_due(&t, 249, &it)) {
        assert_true(it.time >= last && it.time <= 249);
        char key[32];
        int n = snprintf(key, sizeof key, "k%lld", (long long)it.time);
        assert_int_equal(it.key_len, n);
        assert_memory_equal(it.key, key, (size_t)n);
        last = it.time;
        popped++;
        timer_done(&it);
    }
    assert_true(popped > 0 && popped < 1000);
    assert_int_equal(t.n + t.f_n, 1000 - popped);
    assert_true(t.n == 0 || t.items[0].time >= 250);
    assert_true(t.f_n == 0 || t.fifo[t.f_head].time >= 250);
    while (timers_pop_due(&t, INT64_MAX, &it)) {
        assert_true(it.time >= last);
        last = it.time;
        timer_done(&it);
    }
    assert_int_equal(t.n + t.f_n, 0);
    assert_int_equal(t.key_bytes, 0);
    assert_false(timers_pop_due(&t, INT64_MAX, &it));
    /* in time order they all take the FIFO, whose ring wraps around as it
     * is popped and pushed in turn; one going back in time takes the heap */
    int64_t next = 0, want = 0;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 40; i++, next++)
            timers_push(&t, next, 0, "k", 1);
        if (round == 25) {
            timers_push(&t, want, 0, "b", 1);   /* as early as the next due */
            assert_int_equal(t.n, 1);
        }
        for (int i = 0; i < 39; i++) {
            assert_true(timers_pop_due(&t, INT64_MAX, &it));
            assert_true(it.time >= want);
            want = it.time;
            timer_done(&it);
        }
    }
    assert_true(t.f_cap <= 128);   /* the ring was reused, not grown per push */
    while (timers_pop_due(&t, INT64_MAX, &it)) {
        assert_true(it.time >= want);
        want = it.time;
        timer_done(&it);
    }
    assert_int_equal(t.key_bytes, 0);
    timers_free(&t);
}

/* The spill file: appends across the write buffer's flushes and one larger
 * than the buffer read back byte for byte, from the file and from the
 * buffer; a read past the end is an error; the file is gone from its
 * directory from the start; a larger in-memory tail is kept to its size,
 * serves reads, and shrinks on request. */
/* Disk space allocated to this process's spill files (unlinked: their
 * /proc/self/fd links end in "(deleted)"). */
static int64_t spill_files_allocated(void)
{
    int64_t bytes = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char path[300], link[512];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        struct stat st;
        if (strstr(link, "/spill-") && strstr(link, "(deleted)") && stat(path, &st) == 0)
            bytes += (int64_t)st.st_blocks * 512;
    }
    closedir(d);
    return bytes;
}

static void test_spill(void **state)
{
    (void)state;
    char dir[] = "/tmp/weir-spill-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct weir_error err = {0};
    struct spill *sp = spill_open(dir, "test", &err);
    assert_non_null(sp);
    assert_int_equal(rmdir(dir), 0);   /* empty: the file was unlinked */
    enum { N = 3000 };
    uint64_t offs[N];
    size_t lens[N];
    char *buf = mem_alloc(3 << 20);
    uint64_t total = 0;
    for (int i = 0; i < N; i++) {
        lens[i] = i == 1500 ? (size_t)(3 << 20) : (size_t)(i * 7 % 1000 + 1);
        for (size_t b = 0; b < lens[i]; b++)
            buf[b] = (char)(i * 31 + (int)b);
        assert_int_equal(spill_append(sp, buf, lens[i], &offs[i], &err), WEIR_OK);
        assert_int_equal(offs[i], total);
        total += lens[i];
    }
    assert_int_equal(spill_size(sp), total);
    for (int i = N - 1; i >= 0; i -= 7) {
        assert_int_equal(spill_read(sp, offs[i], buf, lens[i], &err), WEIR_OK);
        for (size_t b = 0; b < lens[i]; b++)
            if (buf[b] != (char)(i * 31 + (int)b))
                fail_msg("record %d byte %zu differs", i, b);
    }
    assert_int_equal(spill_read(sp, total - 2, buf, 4, &err), WEIR_ERR_IO);
    assert_non_null(strstr(err.message, "test"));
    err_clear(&err);
    assert_int_equal(spill_mem_bytes(sp), 1 << 20);   /* the write buffer */
    /* a larger tail keeps the newest 4 MiB in memory, and shrinks back */
    assert_int_equal(spill_set_tail(sp, 4 << 20, &err), WEIR_OK);
    uint64_t off2 = 0;
    for (int i = 0; i < 2000; i++) {
        for (size_t b = 0; b < 5000; b++)
            buf[b] = (char)(i * 17 + (int)b);
        assert_int_equal(spill_append(sp, buf, 5000, &off2, &err), WEIR_OK);
        assert_true(spill_mem_bytes(sp) <= 4 << 20);
    }
    assert_int_equal(spill_mem_bytes(sp), 4 << 20);
    for (int i = 0; i < 2000; i += 3) {
        assert_int_equal(spill_read(sp, total + (uint64_t)i * 5000, buf, 5000, &err), WEIR_OK);
        for (size_t b = 0; b < 5000; b++)
            if (buf[b] != (char)(i * 17 + (int)b))
                fail_msg("tail record %d byte %zu differs", i, b);
    }
    assert_int_equal(spill_set_tail(sp, 0, &err), WEIR_OK);
    assert_int_equal(spill_mem_bytes(sp), 1 << 20);
    assert_int_equal(spill_read(sp, offs[1500], buf, lens[1500], &err), WEIR_OK);
    assert_int_equal(buf[7], (char)(1500 * 31 + 7));
    /* the dead front gives its disk space back, whole MiB at a time, and
     * what follows it reads as it was written */
    uint64_t disk = spill_disk_bytes(sp);
    /* all but the tail's last, part filled MiB is in the file */
    assert_true(disk <= spill_size(sp) && disk + (1 << 20) > spill_size(sp));
    assert_true(spill_files_allocated() >= (int64_t)disk);
    uint64_t keep = total + 1002 * 5000;   /* record 1002 of the 5000-byte ones */
    spill_discard(sp, keep);
    if (spill_disk_bytes(sp) == disk) {
        print_message("spill_discard: this file system punches no holes\n");
    } else {
        assert_int_equal(spill_disk_bytes(sp), disk - (keep & ~(uint64_t)((1 << 20) - 1)));
        int64_t held = spill_files_allocated();
        if (held > (int64_t)spill_disk_bytes(sp) + (1 << 20))
            fail_msg("the file still holds %lld bytes", (long long)held);
    }
    for (int i = 1002; i < 2000; i += 7) {
        assert_int_equal(spill_read(sp, total + (uint64_t)i * 5000, buf, 5000, &err), WEIR_OK);
        for (size_t b = 0; b < 5000; b++)
            if (buf[b] != (char)(i * 17 + (int)b))
                fail_msg("record %d byte %zu differs after the discard", i, b);
    }
    mem_free(buf);
    spill_close(sp);
}

/* ---- chainlog ---------------------------------------------------------------------- */

/* A model of keyed expiring rows against the log: every row appended is
 * either released once (through the callback, expired) or still on its
 * key's chain; chains hold their key's rows only, positions falling; a key
 * whose last row went left the table; every row that has not expired is on
 * its chain; a snapshot's chains read at the barrier's floor stay as they
 * were while expiry keeps their memory; stragglers far in the future (a
 * straggler in every so many rows) do not make the log keep everything
 * after them; a row larger than a chunk takes several. */
enum { CL_KEYS = 300, CL_ROWS = 200000 };

struct cl_model {
    struct state_table *t;
    int64_t *expire;               /* by row id */
    uint32_t *len;
    uint8_t *gone;                 /* released */
    int64_t wm;
    int64_t released;
    int64_t moves;
};

static void cl_release(void *ctx, const struct cl_rec *r)
{
    struct cl_model *m = ctx;
    uint32_t key, id;
    memcpy(&key, r->data, 4);
    memcpy(&id, r->data + 4, 4);
    if (r->moved) {
        /* a live row moved along: its bytes (read back by the chains) are
         * there already */
        assert_true(r->expire > m->wm);
        assert_memory_equal(r->moved, r->data, r->len);
        m->moves++;
        return;
    }
    if (m->gone[id])
        fail_msg("row %u released twice", id);
    if (r->expire > m->wm || r->expire != m->expire[id])
        fail_msg("row %u released at watermark %lld, expiring at %lld", id, (long long)m->wm,
                 (long long)r->expire);
    m->gone[id] = 1;
    m->released++;
    if (r->last) {
        uint64_t *head = get(m->t, &key, 4);
        assert_ptr_equal(head, r->head);
        assert_true(state_table_delete_value(m->t, head));
    }
}

/* Reads the chain of key k from head (ids into out, newest first); returns
 * how many. */
static int cl_chain_from(const struct chainlog *lg, uint64_t head, uint32_t k, uint64_t floor,
                         uint32_t *out, int max)
{
    int n = 0;
    struct cl_rec r;
    uint64_t last = UINT64_MAX;
    for (uint64_t pos = head; chainlog_read(lg, pos, floor, &r); pos = r.prev) {
        uint32_t key;
        assert_true(pos < last);
        last = pos;
        memcpy(&key, r.data, 4);
        assert_int_equal(key, k);
        assert_true(n < max);
        memcpy(&out[n++], r.data + 4, 4);
    }
    return n;
}

static int cl_chain(const struct chainlog *lg, struct state_table *t, uint32_t k, uint64_t floor,
                    uint32_t *out, int max)
{
    uint64_t *head = get(t, &k, 4);
    return head ? cl_chain_from(lg, *head, k, floor, out, max) : 0;
}

static void test_chainlog(void **state)
{
    (void)state;
    struct chainlog lg;
    chainlog_init(&lg);
    struct cl_model m = {state_table_new(sizeof(uint64_t), 128), NULL, NULL, NULL, INT64_MIN, 0, 0};
    m.expire = mem_calloc(CL_ROWS, sizeof(*m.expire));
    m.len = mem_calloc(CL_ROWS, sizeof(*m.len));
    m.gone = mem_calloc(CL_ROWS, 1);
    uint32_t *ids = mem_alloc(CL_ROWS * sizeof(*ids));
    unsigned char *row = mem_alloc(3 << 20);
    memset(row, 'x', 3 << 20);
    int64_t max_chunks = 0, live_bytes = 0;
    for (uint32_t id = 0; id < CL_ROWS; id++) {
        uint32_t k = (uint32_t)(rng() % CL_KEYS);
        /* in about time order, a few far ahead */
        int64_t t = (int64_t)id * 10 + (int64_t)(rng() % 2000);
        if (rng() % 5000 == 0)
            t += 50000000;
        size_t len = id == 777 ? (size_t)(2 << 20) + 5 : 8 + rng() % 400;
        m.len[id] = (uint32_t)len;
        memcpy(row, &k, 4);
        memcpy(row + 4, &id, 4);
        bool ins;
        uint64_t *head = up(m.t, &k, 4, &ins);
        memcpy(chainlog_append(&lg, head, t, len), row, len);
        m.expire[id] = t;
        if (id % 1000 == 999) {
            m.wm = (int64_t)id * 10 - 30000;
            chainlog_expire(&lg, m.wm, false, cl_release, &m);
        }
        if (id % 10000 == 9999) {
            /* every row not expired is on its key's chain, once */
            live_bytes = 0;
            for (uint32_t j = 0; j <= id; j++) {
                if (m.expire[j] > m.wm)
                    live_bytes += 28 + m.len[j];
                if (m.expire[j] > m.wm && m.gone[j])
                    fail_msg("row %u released before it expired", j);
            }
            int64_t on_chains = 0;
            uint8_t *seen = mem_calloc(CL_ROWS, 1);
            for (uint32_t k2 = 0; k2 < CL_KEYS; k2++) {
                int n = cl_chain(&lg, m.t, k2, chainlog_floor(&lg), ids, CL_ROWS);
                for (int i = 0; i < n; i++) {
                    assert_false(m.gone[ids[i]]);
                    assert_false(seen[ids[i]]);
                    seen[ids[i]] = 1;
                }
                on_chains += n;
            }
            for (uint32_t j = 0; j <= id; j++)
                if (!m.gone[j] && !seen[j])
                    fail_msg("row %u is neither released nor on its chain", j);
            mem_free(seen);
            assert_int_equal(on_chains + m.released, (int64_t)id + 1);
            assert_int_equal(lg.records, on_chains);
            int64_t chunks = (int64_t)(lg.next - lg.live);
            if (chunks > max_chunks)
                max_chunks = chunks;
            /* stragglers move on instead of keeping their chunks and all
             * after them (every row would stay: 47 MB); the big row takes
             * 3 seqs, the front and the last chunk may be part full */
            if (chunks > 2 * ((live_bytes >> CL_BITS) + 1) + 5)
                fail_msg("at row %u the log holds %lld chunks for %lld live bytes", id,
                         (long long)chunks, (long long)live_bytes);
        }
    }
    assert_true(max_chunks > 0);
    assert_true(m.moves > 0);
    m.wm = INT64_MAX;
    chainlog_expire(&lg, m.wm, false, cl_release, &m);
    assert_int_equal(m.released, CL_ROWS);
    assert_int_equal(state_table_count(m.t), 0);
    assert_int_equal(lg.records, 0);
    chainlog_free(&lg);
    assert_int_equal(lg.bytes, 0);
    state_table_free(m.t);
    mem_free(m.expire);
    mem_free(m.len);
    mem_free(m.gone);
    mem_free(ids);
    mem_free(row);
}

/* A snapshot's walk reads the chains as they were at its barrier: expiry
 * under keep releases rows (and keys) but keeps their memory readable at
 * the barrier's floor, and gives it back on the next call without keep. */
static void test_chainlog_snapshot(void **state)
{
    (void)state;
    enum { KEYS = 50, ROWS = 60000 };
    struct chainlog lg;
    chainlog_init(&lg);
    struct cl_model m = {state_table_new(sizeof(uint64_t), 128), NULL, NULL, NULL, INT64_MIN, 0, 0};
    m.expire = mem_calloc(ROWS, sizeof(*m.expire));
    m.gone = mem_calloc(ROWS, 1);
    unsigned char row[64] = {0};
    for (uint32_t id = 0; id < ROWS; id++) {
        uint32_t k = id < ROWS / 2 ? (uint32_t)(rng() % KEYS) : KEYS + id % 7;
        memcpy(row, &k, 4);
        memcpy(row + 4, &id, 4);
        bool ins;
        uint64_t *head = up(m.t, &k, 4, &ins);
        m.expire[id] = id;
        memcpy(chainlog_append(&lg, head, id, sizeof row), row, sizeof row);
    }
    uint64_t floor = chainlog_floor(&lg), heads[KEYS];
    uint32_t *before = mem_alloc(ROWS * sizeof(*before)), *ids = mem_alloc(ROWS * sizeof(*ids));
    int nb[KEYS], off[KEYS], total = 0;
    for (uint32_t k = 0; k < KEYS; k++) {
        uint64_t *h = get(m.t, &k, 4);
        assert_non_null(h);
        heads[k] = *h;
        off[k] = total;
        nb[k] = cl_chain_from(&lg, heads[k], k, floor, before + total, ROWS - total);
        total += nb[k];
    }
    assert_int_equal(total, ROWS / 2);
    int64_t bytes = lg.bytes;
    /* past the chunk the first half ends in: every key of it goes */
    m.wm = ROWS / 2 + 2 * (1 << CL_BITS) / (28 + 64);
    chainlog_expire(&lg, m.wm, true, cl_release, &m);
    assert_true(m.released >= ROWS / 2);
    assert_true(chainlog_floor(&lg) > floor);
    assert_int_equal(lg.bytes, bytes);
    for (uint32_t k = 0; k < KEYS; k++) {
        assert_null(get(m.t, &k, 4));
        int n = cl_chain_from(&lg, heads[k], k, floor, ids, ROWS);
        assert_int_equal(n, nb[k]);
        assert_memory_equal(ids, before + off[k], (size_t)n * sizeof(*ids));
        /* read at the live floor, the chain has gone */
        assert_int_equal(cl_chain_from(&lg, heads[k], k, chainlog_floor(&lg), ids, ROWS), 0);
    }
    chainlog_expire(&lg, m.wm, false, cl_release, &m);
    assert_int_equal(lg.first, lg.live);   /* given back (or kept as spares) */
    for (uint32_t k = 0; k < KEYS; k++)
        assert_int_equal(cl_chain_from(&lg, heads[k], k, floor, ids, ROWS), 0);
    m.wm = INT64_MAX;
    chainlog_expire(&lg, m.wm, false, cl_release, &m);
    assert_int_equal(m.released, ROWS);
    assert_int_equal(state_table_count(m.t), 0);
    chainlog_free(&lg);
    state_table_free(m.t);
    mem_free(m.expire);
    mem_free(m.gone);
    mem_free(before);
    mem_free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_get_delete),
        cmocka_unit_test(test_spill),
        cmocka_unit_test(test_chainlog),
        cmocka_unit_test(test_chainlog_snapshot),
        cmocka_unit_test(test_value_size_zero_set),
        cmocka_unit_test(test_growth_keeps_pointers),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_iteration_wraparound),
        cmocka_unit_test(test_bytes_accounting),
        cmocka_unit_test(test_hash_and_key_groups),
        cmocka_unit_test(test_key_equality),
        cmocka_unit_test(test_key_rows),
        cmocka_unit_test(test_key_decode_round_trip),
        cmocka_unit_test(test_hash_i64_key),
        cmocka_unit_test(test_upsert_speed),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_lazy_snapshot),
        cmocka_unit_test(test_lazy_snapshot_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
