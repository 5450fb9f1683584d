/*
 * test_queue.c — unit tests for src/exec/queue.c: FIFO order, a full queue
 * blocking its producer (backpressure, measured), the stop flag, a consumer
 * waiting on a set of queues, 4-producer fan-in with per-producer order and no
 * loss, and queued batches freed with the queue.  Throughput is printed, not
 * asserted.  Meant to be clean under ThreadSanitizer too:
 *   gcc -std=c17 -g -O1 -fsanitize=thread -D_GNU_SOURCE -Isrc -pthread \
 *       tests/unit/test_queue.c src/exec/queue.c src/exec/batch.c src/core/[a-z]*.c \
 *       -lcmocka -lm -lpcre2-8 -o /tmp/tq && /tmp/tq
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "exec/batch.h"
#include "exec/exchange.h"
#include "exec/queue.h"
#include "state/table.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static struct msg wm(int64_t v) { return (struct msg){.kind = MSG_WATERMARK, .value = v}; }

/* The stop flag is written with an atomic builtin, as the runtime must, so
 * ThreadSanitizer sees no race with the queue's reads. */
static void set_stop(volatile int *stop) { __atomic_store_n(stop, 1, __ATOMIC_RELAXED); }

/* ---- single thread ---------------------------------------------------------------- */

static void test_fifo(void **state)
{
    (void)state;
    struct queue *q = queue_new(5);   /* rounded up to 8 */
    struct msg m;
    assert_false(queue_try_pop(q, &m));
    assert_int_equal(queue_size(q), 0);
    int64_t blocked = 0;
    for (int round = 0; round < 10; round++) {   /* wraps around the ring */
        for (int i = 0; i < 8; i++)
            assert_true(queue_push(q, wm(round * 100 + i), NULL, &blocked));
        assert_int_equal(queue_size(q), 8);
        for (int i = 0; i < 8; i++) {
            assert_true(queue_try_pop(q, &m));
            assert_int_equal(m.kind, MSG_WATERMARK);
            assert_int_equal(m.value, round * 100 + i);
        }
        assert_false(queue_try_pop(q, &m));
    }
    assert_int_equal(blocked, 0);   /* never full: nothing measured */
    /* every kind passes through unchanged */
    queue_push(q, (struct msg){.kind = MSG_BARRIER, .value = 42}, NULL, NULL);
    queue_push(q, (struct msg){.kind = MSG_END}, NULL, NULL);
    assert_true(queue_try_pop(q, &m));
    assert_int_equal(m.kind, MSG_BARRIER);
    assert_int_equal(m.value, 42);
    assert_true(queue_try_pop(q, &m));
    assert_int_equal(m.kind, MSG_END);
    queue_free(q);
    queue_free(NULL);

    struct queue *one = queue_new(0);   /* capacity 1 still works */
    assert_true(queue_push(one, wm(1), NULL, NULL));
    assert_int_equal(queue_size(one), 1);
    volatile int stop = 1;             /* full and stopped: returns at once */
    assert_false(queue_push(one, wm(2), &stop, NULL));
    assert_true(queue_try_pop(one, &m));
    assert_int_equal(m.value, 1);
    queue_free(one);
}

static void test_free_releases_batches(void **state)
{
    (void)state;
    int64_t mem0 = mem_bytes_in_use();
    const struct sql_type *types[] = {&type_bigint, &type_string};
    struct queue *q = queue_new(4);
    for (int i = 0; i < 3; i++) {
        struct batch *b = batch_new(2, types);
        vec_set_str(&b->cols[1], 0, "payload", 7);
        queue_push(q, (struct msg){.kind = MSG_BATCH, .batch = b}, NULL, NULL);
    }
    queue_push(q, wm(5), NULL, NULL);
    queue_free(q);   /* frees the three batches still queued */
    assert_int_equal(mem_bytes_in_use(), mem0);
}

/* ---- blocking ----------------------------------------------------------------------- */

struct producer {
    struct queue *q;
    volatile int *stop;
    int64_t from, n;        /* pushes watermarks from..from+n-1, then MSG_END */
    int64_t blocked_ns;
    int64_t pushed;         /* pushes that succeeded */
    bool stopped;           /* a push returned false */
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    for (int64_t i = 0; i < p->n; i++) {
        if (!queue_push(p->q, wm(p->from + i), p->stop, &p->blocked_ns)) {
            p->stopped = true;
            return NULL;
        }
        p->pushed++;
    }
    if (!queue_push(p->q, (struct msg){.kind = MSG_END}, p->stop, &p->blocked_ns))
        p->stopped = true;
    return NULL;
}

static void test_full_queue_blocks_producer(void **state)
{
    (void)state;
    struct queue *q = queue_new(4);
    struct producer p = {.q = q, .n = 12};
    pthread_t th;
    int64_t t0 = now_ns();
    pthread_create(&th, NULL, producer_main, &p);
    /* the producer fills the ring and then has to wait for us */
    while (queue_size(q) < 4)
        sleep_ms(1);
    sleep_ms(60);
    assert_int_equal(queue_size(q), 4);
    struct msg m;
    int64_t expect = 0;
    while (expect < 12) {
        if (queue_try_pop(q, &m)) {
            assert_int_equal(m.kind, MSG_WATERMARK);
            assert_int_equal(m.value, expect);
            expect++;
        }
    }
    while (!queue_try_pop(q, &m))
        ;
    assert_int_equal(m.kind, MSG_END);
    pthread_join(th, NULL);
    int64_t elapsed = now_ns() - t0;
    /* it was blocked for most of our 60 ms sleep, and never longer than we ran */
    assert_true(p.blocked_ns >= 40 * 1000000);
    assert_true(p.blocked_ns <= elapsed);
    printf("producer blocked %.1f ms of %.1f ms\n", p.blocked_ns / 1e6, elapsed / 1e6);
    queue_free(q);
}

static void test_stop_unblocks_producer(void **state)
{
    (void)state;
    struct queue *q = queue_new(2);
    volatile int stop = 0;
    struct producer p = {.q = q, .stop = &stop, .n = 100};
    pthread_t th;
    pthread_create(&th, NULL, producer_main, &p);
    while (queue_size(q) < 2)
        sleep_ms(1);
    sleep_ms(20);
    int64_t t0 = now_ns();
    set_stop(&stop);
    pthread_join(th, NULL);
    int64_t took = now_ns() - t0;
    assert_true(p.stopped);
    assert_int_equal(p.pushed, 2);
    assert_true(p.blocked_ns > 0);
    /* *stop is polled at least every 10 ms; allow a loaded machine slack */
    assert_true(took < 200 * 1000000);
    printf("stop seen after %.2f ms\n", took / 1e6);
    queue_free(q);
}

/* ---- queue sets ------------------------------------------------------------------- */

static void test_set_wait(void **state)
{
    (void)state;
    struct queue_set *s = queue_set_new();
    struct queue *a = queue_new(4), *b = queue_new(4);
    queue_set_add(s, a);
    queue_set_add(s, b);
    /* empty: waits out the timeout */
    int64_t t0 = now_ns();
    queue_set_wait(s, 30, NULL);
    int64_t waited = now_ns() - t0;
    assert_true(waited >= 29 * 1000000);
    /* non-empty: returns at once */
    queue_push(b, wm(1), NULL, NULL);
    t0 = now_ns();
    queue_set_wait(s, 5000, NULL);
    assert_true(now_ns() - t0 < 50 * 1000000);
    struct msg m;
    assert_true(queue_try_pop(b, &m));
    /* stop bounds an endless wait */
    volatile int stop = 1;
    t0 = now_ns();
    queue_set_wait(s, -1, &stop);
    assert_true(now_ns() - t0 < 50 * 1000000);
    /* a push from another thread wakes a consumer waiting without timeout */
    struct producer p = {.q = a, .n = 1};
    pthread_t th;
    t0 = now_ns();
    pthread_create(&th, NULL, producer_main, &p);
    queue_set_wait(s, -1, NULL);
    assert_true(queue_size(a) >= 1);
    pthread_join(th, NULL);
    queue_set_free(s);
    queue_free(a);
    queue_free(b);
    queue_set_free(NULL);
}

enum { N_PROD = 4, PER_PROD = 250000 };

/* The consumer side of the fan-in: waits on the set, drains every queue, and
 * checks that each producer's messages arrive in order and complete. */
static void fan_in(int capacity, const char *label)
{
    struct queue_set *s = queue_set_new();
    struct queue *qs[N_PROD];
    struct producer ps[N_PROD];
    pthread_t th[N_PROD];
    for (int i = 0; i < N_PROD; i++) {
        qs[i] = queue_new(capacity);
        queue_set_add(s, qs[i]);
        ps[i] = (struct producer){.q = qs[i], .from = (int64_t)i << 32, .n = PER_PROD};
    }
    int64_t t0 = now_ns();
    for (int i = 0; i < N_PROD; i++)
        pthread_create(&th[i], NULL, producer_main, &ps[i]);
    int64_t next[N_PROD] = {0};
    int ended = 0;
    int64_t total = 0;
    long waits = 0;
    while (ended < N_PROD) {
        bool any = false;
        for (int i = 0; i < N_PROD; i++) {
            struct msg m;
            /* a bounded drain per queue keeps the service fair */
            for (int k = 0; k < 64 && queue_try_pop(qs[i], &m); k++) {
                any = true;
                if (m.kind == MSG_END) {
                    assert_int_equal(next[i], PER_PROD);
                    ended++;
                    continue;
                }
                assert_int_equal(m.kind, MSG_WATERMARK);
                assert_int_equal(m.value >> 32, i);            /* right queue */
                assert_int_equal(m.value & 0xffffffff, next[i]);  /* in order */
                next[i]++;
                total++;
            }
        }
        if (!any) {
            queue_set_wait(s, 1000, NULL);
            waits++;
        }
    }
    int64_t dt = now_ns() - t0;
    int64_t blocked = 0;
    for (int i = 0; i < N_PROD; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(next[i], PER_PROD);
        blocked += ps[i].blocked_ns;
    }
    assert_int_equal(total, (int64_t)N_PROD * PER_PROD);
    printf("fan-in %s: %d producers x %d msgs, capacity %d: %.1f M msgs/s, "
           "consumer waits %ld, producers blocked %.1f ms in all\n",
           label, N_PROD, PER_PROD, capacity, (double)total / ((double)dt / 1e9) / 1e6, waits,
           blocked / 1e6);
    for (int i = 0; i < N_PROD; i++)
        queue_free(qs[i]);
    queue_set_free(s);
}

static void test_fan_in(void **state)
{
    (void)state;
    fan_in(1024, "roomy");
    fan_in(8, "tight");   /* constant backpressure: many sleeps and wake-ups */
}

/* Plain SPSC throughput, one producer, one consumer spinning on try_pop. */
static void test_spsc_throughput(void **state)
{
    (void)state;
    enum { N = 2000000 };
    struct queue *q = queue_new(1024);
    struct producer p = {.q = q, .n = N};
    pthread_t th;
    int64_t t0 = now_ns();
    pthread_create(&th, NULL, producer_main, &p);
    int64_t expect = 0;
    struct msg m;
    for (;;) {
        if (!queue_try_pop(q, &m))
            continue;
        if (m.kind == MSG_END)
            break;
        assert_true(m.value == expect);
        expect++;
    }
    int64_t dt = now_ns() - t0;
    pthread_join(th, NULL);
    assert_int_equal(expect, N);
    printf("spsc: %.1f M msgs/s\n", (double)N / ((double)dt / 1e9) / 1e6);
    queue_free(q);
}

/* ---- exchanges -------------------------------------------------------------------- */

/* Pushes rows through a hash exchange of P = 2 receivers on columns
 * keys[0..n_keys) and checks every row reached the owner of its key group
 * with the hash state_key_encode + state_hash give (what the window reuses
 * and what checkpoints group keys by; issue 3): once with a one-BIGINT key
 * (hashed from the value) and once with (BIGINT, VARCHAR) (encoded). */
static void exchange_routes(int n_keys)
{
    enum { P = 2, MAXPAR = 128, N = 1000 };
    struct arena ar;
    arena_init(&ar, 0);
    const struct sql_type *types[2] = {&type_bigint, type_varchar(&ar, 10)};
    struct exchange *x = exchange_new(1, P, MAXPAR, false);
    struct expr cols[2] = {{.kind = EX_COLUMN, .type = types[0], .index = 0},
                           {.kind = EX_COLUMN, .type = types[1], .index = 1}};
    struct expr *keys[2] = {&cols[0], &cols[1]};
    volatile int abort_flag = 0;
    struct op *xo = op_exchange_out_new(1, x, 0, keys, n_keys, &abort_flag);
    op_exchange_out_types(xo, 2, types);
    /* every third row is dropped by a selection, every seventh key is NULL */
    struct batch *b = batch_new(2, types);
    b->sel = mem_alloc(BATCH_CAP * sizeof(uint16_t));
    for (int i = 0; i < N; i++) {
        b->cols[0].i64[i] = (int64_t)i * 7919 - 500;
        if (i % 7 == 0)
            vec_set_null(&b->cols[0], i);
        char s[8];
        snprintf(s, sizeof(s), "k%d", i % 13);
        vec_set_str(&b->cols[1], i, s, strlen(s));
        if (i % 3 != 0)
            b->sel[b->n_sel++] = (uint16_t)i;
    }
    b->n = N;
    struct eval_ctx ctx = {&ar, 0};
    struct weir_error err = {0};
    assert_int_equal(xo->ops->push(xo, 0, b, &ctx, &err), WEIR_OK);
    struct strbuf key = {0};
    int got = 0;
    for (int to = 0; to < P; to++) {
        struct msg m;
        while (queue_try_pop(x->q[to], &m)) {
            struct batch *c = m.batch;
            assert_int_equal(m.kind, MSG_BATCH);
            assert_ptr_equal(c->hash_src, x);
            const struct vec *kv[2] = {&c->cols[0], &c->cols[1]};
            for (int i = 0; i < c->n; i++) {
                state_key_encode(&key, kv, n_keys, i);
                uint64_t h = state_hash(key.buf, key.len);
                assert_true(c->hashes[i] == h);
                assert_int_equal(x->owner[state_key_group(h, MAXPAR)], to);
                got++;
            }
            batch_free(c);
        }
    }
    assert_int_equal(got, b->n_sel);
    sb_free(&key);
    batch_free(b);
    op_free(xo);
    exchange_free(x);
    arena_free(&ar);
}

static void test_exchange_hashes(void **state)
{
    (void)state;
    exchange_routes(1);
    exchange_routes(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_free_releases_batches),
        cmocka_unit_test(test_full_queue_blocks_producer),
        cmocka_unit_test(test_stop_unblocks_producer),
        cmocka_unit_test(test_set_wait),
        cmocka_unit_test(test_fan_in),
        cmocka_unit_test(test_spsc_throughput),
        cmocka_unit_test(test_exchange_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
