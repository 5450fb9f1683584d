/*
 * test_nexmark.c — the nexmark source: the 1/3/46 event mix per 50-id block,
 * ids and hot keys, event-time spacing, determinism run to run and after seek,
 * values independent of the projection, Flink's split layout, NULL rows,
 * bounded/unbounded/stop-at/keep-alive, pacing, option and schema errors, and
 * a small throughput measurement (printed, not asserted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "connectors/connector.h"
#include "core/mem.h"

#define BASE_MS 1436918400000LL     /* 2015-07-15T00:00:00Z */

/* ---- fixtures ------------------------------------------------------------------- */

static struct opt_set *opts_for(int n, const char *const *kv)
{
    const char *keys[32], *vals[32];
    keys[0] = "connector";
    vals[0] = "nexmark";
    for (int i = 0; i < n; i++)
        keys[i + 1] = kv[2 * i], vals[i + 1] = kv[2 * i + 1];
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    if (conn_validate(conn_lookup("nexmark"), NULL, "datagen", n + 1, keys, vals, true,
                      &o, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    return o;
}

/* The ddl_gen.sql schema. */
struct schema {
    struct arena a;
    const struct sql_type *event_type, *person, *auction, *bid;
};

static const struct sql_type *row_type(struct arena *a, int n, const char *const *names,
                                       const struct sql_type *const *types)
{
    struct sql_type *t = type_new(a, T_ROW);
    t->n_fields = n;
    t->field_names = names;
    t->field_types = types;
    return t;
}

static const char *const person_names[] = {"id", "name", "emailAddress", "creditCard",
                                           "city", "state", "dateTime", "extra"};
static const char *const auction_names[] = {"id", "itemName", "description",
                                            "initialBid", "reserve", "dateTime",
                                            "expires", "seller", "category", "extra"};
static const char *const bid_names[] = {"auction", "bidder", "price", "channel", "url",
                                        "dateTime", "extra"};

static void schema_init(struct schema *s)
{
    arena_init(&s->a, 0);
    const struct sql_type *S = &type_string, *L = &type_bigint;
    const struct sql_type *ts = type_timestamp(&s->a, T_TIMESTAMP, 3);
    static const struct sql_type *pt[8], *at[10], *bt[7];
    const struct sql_type *p[] = {L, S, S, S, S, S, ts, S};
    const struct sql_type *a[] = {L, S, S, L, L, ts, ts, L, L, S};
    const struct sql_type *b[] = {L, L, L, S, S, ts, S};
    memcpy(pt, p, sizeof(p));
    memcpy(at, a, sizeof(a));
    memcpy(bt, b, sizeof(b));
    s->event_type = &type_int;
    s->person = row_type(&s->a, 8, person_names, pt);
    s->auction = row_type(&s->a, 10, auction_names, at);
    s->bid = row_type(&s->a, 7, bid_names, bt);
}

/* A table of some of the four columns ("tpab" letters pick them). */
struct table {
    struct table_ctx ctx;
    const char *names[4];
    const struct sql_type *types[4];
};

static void table_init(struct table *t, const struct schema *s, const char *cols,
                       struct opt_set *o, int subtask, int parallelism)
{
    memset(t, 0, sizeof(*t));
    int n = 0;
    for (const char *c = cols; *c; c++) {
        switch (*c) {
        case 't': t->names[n] = "event_type"; t->types[n++] = s->event_type; break;
        case 'p': t->names[n] = "person"; t->types[n++] = s->person; break;
        case 'a': t->names[n] = "auction"; t->types[n++] = s->auction; break;
        case 'b': t->names[n] = "bid"; t->types[n++] = s->bid; break;
        }
    }
    t->ctx = (struct table_ctx){.table_name = "datagen", .n_cols = n,
                                .col_names = t->names, .col_types = t->types, .opts = o,
                                .subtask = subtask, .parallelism = parallelism};
}

static struct source *open_source(struct table *t)
{
    struct source *src = NULL;
    struct weir_error err = {0};
    if (conn_lookup("nexmark")->source_create(&t->ctx, &src, &err) != WEIR_OK)
        fail_msg("%s", err.message);
    assert_int_equal(src->ops->open(src, &err), WEIR_OK);
    return src;
}

/* Polls one full batch (or to the end); returns the last poll's code. */
static int poll_batch(struct source *src, struct batch *b)
{
    struct weir_error err = {0};
    int rc = WEIR_OK;
    while (b->n < BATCH_CAP && rc == WEIR_OK) {
        rc = src->ops->poll(src, b, &err);
        assert_true(rc == WEIR_OK || rc == WEIR_DONE);
    }
    return rc;
}

static int col_of(const struct table *t, const char *name)
{
    for (int i = 0; i < t->ctx.n_cols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return -1;
}

static bool str_eq(struct str a, struct str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static bool str_is(struct str a, const char *s)
{
    return a.len == strlen(s) && memcmp(a.ptr, s, a.len) == 0;
}

/* Row i of ROW vector v (rows of batch a and b) are equal, field by field. */
static void assert_rows_equal(const struct vec *va, int ia, const struct vec *vb, int ib)
{
    assert_int_equal(vec_is_null(va, ia), vec_is_null(vb, ib));
    if (vec_is_null(va, ia))
        return;
    for (int f = 0; f < va->n_children; f++) {
        const struct vec *ca = &va->children[f], *cb = &vb->children[f];
        assert_false(vec_is_null(ca, ia));
        if (type_lane(ca->type) == LANE_STR)
            assert_true(str_eq(ca->s[ia], cb->s[ib]));
        else
            assert_int_equal(ca->i64[ia], cb->i64[ib]);
    }
}

/* ---- the event mix, ids and field shapes ------------------------------------------ */

static void test_mix_ids_fields(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    const char *kv[] = {"events.num", "20000"};
    struct opt_set *o = opts_for(1, kv);
    struct table t;
    table_init(&t, &s, "tpab", o, 0, 1);
    struct source *src = open_source(&t);
    assert_true(src->bounded);
    struct batch *b = batch_new(4, t.types);
    int count[3] = {0}, blocks[3] = {0}, hot_bidder = 0, hot_auction = 0;
    /* split 0 starts at event id 2, so the first person is id 1001 (eid 50)
     * and the first auction 1001 (eid 2, the second of its block) */
    int64_t next_person = 1001, next_auction = 1001, k = 0;
    int rc = WEIR_OK;
    while (rc != WEIR_DONE) {
        batch_reset(b);
        rc = poll_batch(src, b);
        for (int i = 0; i < b->n; i++, k++) {
            int64_t eid = 2 + k, off = eid % 50, ep = eid / 50;
            int ty = (int)b->cols[0].i64[i];
            assert_int_equal(ty, off < 1 ? 0 : off < 4 ? 1 : 2);
            count[ty]++;
            if (off == 49) {            /* a whole block seen: 1/3/46 */
                assert_int_equal(count[0] - blocks[0], eid < 50 ? 0 : 1);
                assert_int_equal(count[1] - blocks[1], eid < 50 ? 2 : 3);
                assert_int_equal(count[2] - blocks[2], 46);
                memcpy(blocks, count, sizeof(blocks));
            }
            int64_t last_p = ep;    /* lastPerson with P = 1, base 0 */
            int64_t last_a = off < 1 ? ep * 3 - 1 : ep * 3 + (off < 4 ? off - 1 : 2);
            const struct vec *p = &b->cols[1], *a = &b->cols[2], *bd = &b->cols[3];
            int64_t ts_us = (BASE_MS + (k + 1) * 100 / 1000) * 1000;
            if (ty == 0) {
                assert_int_equal(p->children[0].i64[i], next_person++);
                assert_int_equal(p->children[0].i64[i], 1000 + eid / 50);
                assert_int_equal(p->children[6].i64[i], ts_us);
                struct str name = p->children[1].s[i], email = p->children[2].s[i];
                struct str card = p->children[3].s[i];
                assert_non_null(memchr(name.ptr, ' ', name.len));
                assert_non_null(memchr(email.ptr, '@', email.len));
                assert_memory_equal(email.ptr + email.len - 4, ".com", 4);
                assert_int_equal(card.len, 19);
                for (int c = 0; c < 19; c++)
                    assert_true(c % 5 == 4 ? card.ptr[c] == ' '
                                           : card.ptr[c] >= '0' && card.ptr[c] <= '9');
                assert_int_equal(p->children[5].s[i].len, 2);
                /* person: about 200 bytes in all */
                int64_t size = 8 + name.len + email.len + 19 + p->children[4].s[i].len +
                               2 + p->children[7].s[i].len;
                assert_true(size >= 150 && size <= 250);
            } else if (ty == 1) {
                assert_int_equal(a->children[0].i64[i], next_auction++);
                assert_int_equal(a->children[0].i64[i], last_a + 1000);
                int64_t initial = a->children[3].i64[i], reserve = a->children[4].i64[i];
                assert_true(initial >= 100 && initial <= 100000000);
                assert_true(reserve > initial);
                assert_int_equal(a->children[5].i64[i], ts_us);
                assert_true(a->children[6].i64[i] > ts_us);         /* expires */
                int64_t seller = a->children[7].i64[i] - 1000;
                assert_true(seller >= 0 && seller <= last_p + 10);
                int64_t cat = a->children[8].i64[i];
                assert_true(cat >= 10 && cat <= 14);
                assert_true(a->children[1].s[i].len <= 19);
                assert_true(a->children[2].s[i].len <= 99);
            } else {
                int64_t auction = bd->children[0].i64[i] - 1000;
                int64_t bidder = bd->children[1].i64[i] - 2000;   /* Flink's +1000 twice */
                int64_t lo = last_a - 100 > 0 ? last_a - 100 : 0;
                assert_true(auction >= lo && auction <= last_a + 10);
                assert_true(bidder >= 0 && bidder <= last_p + 10);
                hot_auction += auction == last_a / 100 * 100;
                hot_bidder += bidder == last_p / 100 * 100 + 1;
                int64_t price = bd->children[2].i64[i];
                assert_true(price >= 100 && price <= 100000000);
                struct str ch = bd->children[3].s[i], url = bd->children[4].s[i];
                assert_true(str_is(ch, "Google") || str_is(ch, "Facebook") ||
                            str_is(ch, "Baidu") || str_is(ch, "Apple") ||
                            (ch.len > 8 && memcmp(ch.ptr, "channel-", 8) == 0));
                assert_true(url.len >= 52 && url.len <= 55 + 23);
                assert_memory_equal(url.ptr, "https://www.nexmark.com/", 24);
                assert_int_equal(bd->children[5].i64[i], ts_us);
                struct str extra = bd->children[6].s[i];
                assert_true(extra.len >= 54 && extra.len <= 81);
                for (uint32_t c = 0; c < extra.len; c++)
                    assert_true(extra.ptr[c] >= 'H' && extra.ptr[c] <= 'z');
            }
        }
    }
    assert_int_equal(k, 20000);
    /* hot keys: a bid is for the hot auction with p >= 1/2 (the random pick can
     * hit it too) and from the hot bidder with p >= 3/4 */
    double fa = (double)hot_auction / count[2], fb = (double)hot_bidder / count[2];
    assert_true(fa > 0.48 && fa < 0.56);
    assert_true(fb > 0.72 && fb < 0.79);
    src->ops->close(src);
    batch_free(b);
    opt_set_free(o);
    arena_free(&s.a);
}

/* Other proportions: 2 persons, 5 auctions, 13 bids per block of 20 ids. */
static void test_custom_proportions(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    const char *kv[] = {"events.num", "2000", "person.proportion", "2",
                        "auction.proportion", "5", "bid.proportion", "13"};
    struct opt_set *o = opts_for(4, kv);
    struct table t;
    table_init(&t, &s, "tpab", o, 0, 1);
    struct source *src = open_source(&t);
    struct batch *b = batch_new(4, t.types);
    assert_int_equal(poll_batch(src, b), WEIR_DONE);
    assert_int_equal(b->n, 2000);
    /* ids 0 and 1 (persons) are never generated: the first person is 1002 */
    int64_t next_person = 1002, next_auction = 1000;
    for (int i = 0; i < b->n; i++) {
        int64_t eid = 2 + i, off = eid % 20;
        int ty = (int)b->cols[0].i64[i];
        assert_int_equal(ty, off < 2 ? 0 : off < 7 ? 1 : 2);
        if (ty == 0)
            assert_int_equal(b->cols[1].children[0].i64[i], next_person++);
        else if (ty == 1)
            assert_int_equal(b->cols[2].children[0].i64[i], next_auction++);
        else
            assert_true(b->cols[3].children[0].i64[i] - 1000 < next_auction + 10);
    }
    assert_int_equal(next_person, 1002 + 2 * 100);   /* eids 20..2001 */
    assert_int_equal(next_auction, 1000 + 5 * 100);
    src->ops->close(src);
    batch_free(b);
    opt_set_free(o);
    arena_free(&s.a);
}

/* ---- event time ------------------------------------------------------------------- */

static void test_timestamps(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    const char *kv[] = {"events.num", "6000", "first-event.rate", "1000"};
    struct opt_set *o = opts_for(2, kv);
    for (int sub = 0; sub < 2; sub++) {
        struct table t;
        table_init(&t, &s, "tpab", o, sub, 2);
        struct source *src = open_source(&t);
        struct batch *b = batch_new(4, t.types);
        int64_t k = 0, prev = 0;
        int rc = WEIR_OK;
        while (rc != WEIR_DONE) {
            batch_reset(b);
            rc = poll_batch(src, b);
            for (int i = 0; i < b->n; i++, k++) {
                int ty = (int)b->cols[0].i64[i];
                int64_t ts = b->cols[1 + ty].children[ty == 0 ? 6 : 5].i64[i];
                /* 1000 events/s over 2 subtasks: 2 ms apart on each */
                assert_int_equal(ts, (BASE_MS + (k + 1) * 2) * 1000);
                assert_true(ts >= prev);
                prev = ts;
            }
        }
        assert_int_equal(k, 3000);
        src->ops->close(src);
        batch_free(b);
    }
    opt_set_free(o);
    arena_free(&s.a);
}

/* ---- determinism and seek ----------------------------------------------------------- */

static void test_determinism_seek(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    const char *kv[] = {"events.num", "10000"};
    struct opt_set *o = opts_for(1, kv);
    struct table t;
    table_init(&t, &s, "tpab", o, 0, 1);
    struct source *s1 = open_source(&t), *s2 = open_source(&t);
    struct batch *b1 = batch_new(4, t.types), *b2 = batch_new(4, t.types);
    poll_batch(s1, b1);
    poll_batch(s2, b2);
    assert_int_equal(b1->n, BATCH_CAP);
    for (int i = 0; i < b1->n; i++)
        for (int c = 1; c < 4; c++)
            assert_rows_equal(&b1->cols[c], i, &b2->cols[c], i);
    struct strbuf pos = {0};
    s1->ops->position(s1, &pos);
    assert_string_equal(pos.buf, "v1\nsplits 1\nsplit 0 2048\n");

    /* continuation of s1 == a new source seeked to its position */
    batch_reset(b1);
    poll_batch(s1, b1);
    struct source *s3;
    struct weir_error err = {0};
    assert_int_equal(conn_lookup("nexmark")->source_create(&t.ctx, &s3, &err), WEIR_OK);
    assert_int_equal(s3->ops->seek(s3, (const char *const[]){pos.buf}, 1, &err), WEIR_OK);
    assert_int_equal(s3->ops->open(s3, &err), WEIR_OK);
    batch_reset(b2);
    poll_batch(s3, b2);
    for (int i = 0; i < b1->n; i++) {
        assert_int_equal(b1->cols[0].i64[i], b2->cols[0].i64[i]);
        for (int c = 1; c < 4; c++)
            assert_rows_equal(&b1->cols[c], i, &b2->cols[c], i);
    }
    assert_int_equal(s3->ops->seek(s3, (const char *const[]){"rows=5"}, 1, &err), WEIR_ERR_CORRUPT);
    err_clear(&err);
    assert_int_equal(s3->ops->seek(s3, (const char *const[]){"v1\nsplits 1\nsplit 0 10001\n"}, 1, &err), WEIR_ERR_CORRUPT);
    err_clear(&err);

    /* another seed: other values, same ids and types */
    const char *kv2[] = {"events.num", "10000", "seed", "7"};
    struct opt_set *o2 = opts_for(2, kv2);
    struct table t2;
    table_init(&t2, &s, "tpab", o2, 0, 1);
    struct source *s4 = open_source(&t2), *s5 = open_source(&t);
    batch_reset(b1);
    batch_reset(b2);
    poll_batch(s4, b1);
    poll_batch(s5, b2);
    int same = 0, bids = 0;
    for (int i = 0; i < b1->n; i++) {
        assert_int_equal(b1->cols[0].i64[i], b2->cols[0].i64[i]);
        if (b1->cols[0].i64[i] != 2)
            continue;
        bids++;
        same += b1->cols[3].children[2].i64[i] == b2->cols[3].children[2].i64[i];
    }
    assert_true(bids > 1800 && same < 20);
    s4->ops->close(s4);
    s5->ops->close(s5);
    opt_set_free(o2);

    sb_free(&pos);
    s1->ops->close(s1);
    s2->ops->close(s2);
    s3->ops->close(s3);
    batch_free(b1);
    batch_free(b2);
    opt_set_free(o);
    arena_free(&s.a);
}

/* ---- projection ----------------------------------------------------------------------- */

static void test_projection_independent(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    const char *kv[] = {"events.num", "4096"};
    struct opt_set *o = opts_for(1, kv);
    static const char *const layouts[] = {"tpab", "b", "bt", "ap", "p", "t"};
    struct table full;
    table_init(&full, &s, "tpab", o, 0, 1);
    struct source *sf = open_source(&full);
    struct batch *bf = batch_new(4, full.types);
    poll_batch(sf, bf);
    for (size_t l = 1; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
        struct table t;
        table_init(&t, &s, layouts[l], o, 0, 1);
        struct source *src = open_source(&t);
        struct batch *b = batch_new(t.ctx.n_cols, t.types);
        poll_batch(src, b);
        assert_int_equal(b->n, bf->n);
        for (int c = 0; c < t.ctx.n_cols; c++) {
            int fc = col_of(&full, t.names[c]);
            for (int i = 0; i < b->n; i++) {
                if (fc == 0)
                    assert_int_equal(b->cols[c].i64[i], bf->cols[0].i64[i]);
                else
                    assert_rows_equal(&b->cols[c], i, &bf->cols[fc], i);
            }
        }
        src->ops->close(src);
        batch_free(b);
    }
    /* a pruned ROW (only bid.price, bid.url) keeps its values */
    const char *const pn[] = {"url", "price"};
    const struct sql_type *pty[] = {&type_string, &type_bigint};
    const struct sql_type *pruned = row_type(&s.a, 2, pn, pty);
    struct table t;
    table_init(&t, &s, "b", o, 0, 1);
    t.types[0] = pruned;
    struct source *src = open_source(&t);
    struct batch *b = batch_new(1, t.types);
    poll_batch(src, b);
    for (int i = 0; i < b->n; i++) {
        assert_int_equal(vec_is_null(&b->cols[0], i), vec_is_null(&bf->cols[3], i));
        if (vec_is_null(&b->cols[0], i))
            continue;
        assert_true(str_eq(b->cols[0].children[0].s[i], bf->cols[3].children[4].s[i]));
        assert_int_equal(b->cols[0].children[1].i64[i], bf->cols[3].children[2].i64[i]);
    }
    src->ops->close(src);
    batch_free(b);
    sf->ops->close(sf);
    batch_free(bf);
    opt_set_free(o);
    arena_free(&s.a);
}

/* ---- splits ------------------------------------------------------------------------- */

static void test_split_layout(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    const char *kv[] = {"events.num", "1001"};
    struct opt_set *o = opts_for(1, kv);
    struct batch *b[2];
    for (int sub = 0; sub < 2; sub++) {
        struct table t;
        table_init(&t, &s, "tpab", o, sub, 2);
        struct source *src = open_source(&t);
        b[sub] = batch_new(4, t.types);
        assert_int_equal(poll_batch(src, b[sub]), WEIR_DONE);
        /* per = 500; the last split takes the remainder */
        assert_int_equal(b[sub]->n, sub == 0 ? 500 : 501);
        /* ids 2.. and 502..: the first person of each */
        int64_t first_eid = sub == 0 ? 2 : 502;
        for (int i = 0; i < b[sub]->n; i++) {
            int64_t off = (first_eid + i) % 50;
            assert_int_equal(b[sub]->cols[0].i64[i], off < 1 ? 0 : off < 4 ? 1 : 2);
            if (off == 0)
                assert_int_equal(b[sub]->cols[1].children[0].i64[i],
                                 1000 + (first_eid + i) / 50);
        }
        src->ops->close(src);
    }
    /* the same event-time timeline on both */
    for (int i = 0; i < 500; i++) {
        int t0 = (int)b[0]->cols[0].i64[i], t1 = (int)b[1]->cols[0].i64[i];
        int f0 = t0 == 0 ? 6 : 5, f1 = t1 == 0 ? 6 : 5;
        assert_int_equal(b[0]->cols[1 + t0].children[f0].i64[i],
                         b[1]->cols[1 + t1].children[f1].i64[i]);
    }
    batch_free(b[0]);
    batch_free(b[1]);
    opt_set_free(o);
    arena_free(&s.a);
}

/* ---- NULL rows ---------------------------------------------------------------------- */

static void test_null_rows(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    const char *kv[] = {"events.num", "3000"};
    struct opt_set *o = opts_for(1, kv);
    struct table t;
    table_init(&t, &s, "tpab", o, 0, 1);
    struct source *src = open_source(&t);
    struct batch *b = batch_new(4, t.types);
    struct weir_error err = {0};
    assert_int_equal(src->ops->poll(src, b, &err), WEIR_OK);
    assert_int_equal(b->n, BATCH_CAP);
    /* a batch that already holds 1000 rows: the poll appends after them and
     * leaves their validity alone */
    batch_reset(b);
    b->n = 1000;
    assert_int_equal(src->ops->poll(src, b, &err), WEIR_DONE);
    assert_int_equal(b->n, 1000 + 3000 - BATCH_CAP);
    for (int i = 0; i < 1000; i++)
        for (int c = 1; c < 4; c++)
            assert_false(vec_is_null(&b->cols[c], i));
    for (int i = 1000; i < b->n; i++) {
        int ty = (int)b->cols[0].i64[i];
        for (int c = 1; c < 4; c++) {
            const struct vec *v = &b->cols[c];
            bool null = c - 1 != ty;
            assert_int_equal(vec_is_null(v, i), null);
            for (int f = 0; f < v->n_children; f++)
                assert_int_equal(vec_is_null(&v->children[f], i), null);
        }
    }
    src->ops->close(src);
    batch_free(b);
    opt_set_free(o);
    arena_free(&s.a);
}

/* ---- bounds: unbounded, stop-at, keep-alive, pacing -------------------------------- */

static void test_bounds_and_pacing(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    struct weir_error err = {0};
    struct table t;

    struct opt_set *o = opts_for(0, NULL);
    table_init(&t, &s, "t", o, 0, 1);
    struct source *src = open_source(&t);
    assert_false(src->bounded);
    struct strbuf pos = {0};
    /* the unbounded count: Long.MAX / (50 · 500) */
    assert_int_equal(src->ops->seek(src, (const char *const[]){"v1\nsplits 1\nsplit 0 368934881474191\n"}, 1, &err), WEIR_OK);
    assert_int_equal(src->ops->seek(src, (const char *const[]){"v1\nsplits 1\nsplit 0 368934881474192\n"}, 1, &err),
                     WEIR_ERR_CORRUPT);
    err_clear(&err);
    src->ops->close(src);
    opt_set_free(o);

    const char *kv[] = {"stop-at", "300"};
    o = opts_for(1, kv);
    for (int sub = 0; sub < 2; sub++) {
        table_init(&t, &s, "t", o, sub, 2);
        src = open_source(&t);
        assert_true(src->bounded);
        struct batch *b = batch_new(1, t.types);
        assert_int_equal(poll_batch(src, b), WEIR_DONE);
        assert_int_equal(b->n, 150);
        src->ops->position(src, &pos);
        char want[64];
        snprintf(want, sizeof(want), "v1\nsplits 2\nsplit %d 150\n", sub);
        assert_string_equal(pos.buf, want);
        sb_clear(&pos);
        batch_free(b);
        src->ops->close(src);
    }
    opt_set_free(o);

    const char *kv2[] = {"events.num", "10", "keep-alive", "true"};
    o = opts_for(2, kv2);
    table_init(&t, &s, "t", o, 0, 1);
    src = open_source(&t);
    assert_false(src->bounded);
    struct batch *b = batch_new(1, t.types);
    assert_int_equal(src->ops->poll(src, b, &err), WEIR_OK);
    assert_int_equal(b->n, 10);
    assert_int_equal(src->ops->poll(src, b, &err), WEIR_AGAIN);
    assert_int_equal(b->n, 10);
    src->ops->close(src);
    batch_free(b);
    opt_set_free(o);

    /* 1000 events/s paced: the first event now, the next ones 1 ms apart */
    const char *kv3[] = {"max-emit-speed", "false", "first-event.rate", "1000"};
    o = opts_for(2, kv3);
    table_init(&t, &s, "t", o, 0, 1);
    src = open_source(&t);
    b = batch_new(1, t.types);
    int rc = src->ops->poll(src, b, &err);
    assert_int_equal(rc, WEIR_OK);
    assert_true(b->n >= 1 && b->n <= 3);
    int n_again = 0;
    for (int i = 0; i < 5; i++) {
        rc = src->ops->poll(src, b, &err);
        if (rc == WEIR_AGAIN) {
            n_again++;
            assert_true(src->wait_ms >= 1 && src->wait_ms <= 2);
            struct timespec d = {0, src->wait_ms * 1000000L};
            nanosleep(&d, NULL);
        }
    }
    assert_true(n_again >= 1);
    assert_true(b->n < 20);
    src->ops->close(src);
    batch_free(b);
    opt_set_free(o);
    sb_free(&pos);
    arena_free(&s.a);
}

/* ---- errors ------------------------------------------------------------------------- */

static void test_validation(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    struct {
        int n;
        const char *kv[4];
        const char *msg;
    } cases[] = {
        {1, {"events.num", "-1"},
         "table 'datagen': option 'events.num' must be between 0 and "
         "9223372036854775807, got -1"},
        {1, {"auction.proportion", "0"},
         "table 'datagen': option 'auction.proportion' must be between 1 and 1000000, "
         "got 0"},
        {1, {"first-event.rate", "0"},
         "table 'datagen': option 'first-event.rate' must be between 1 and 2147483647, "
         "got 0"},
        {1, {"bid.hot-ratio.bidders", "0"},
         "table 'datagen': option 'bid.hot-ratio.bidders' must be between 1 and "
         "2147483647, got 0"},
        {1, {"bid.avg-size", "2mb"},
         "table 'datagen': option 'bid.avg-size' must be at most 1mb, got 2097152 bytes"},
        {1, {"stop-at", "-2"},
         "table 'datagen': option 'stop-at' must be between -1 and 9223372036854775807, "
         "got -2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct opt_set *o = opts_for(cases[i].n, cases[i].kv);
        struct table t;
        table_init(&t, &s, "tpab", o, 0, 1);
        struct source *src = NULL;
        struct weir_error err = {0};
        assert_int_equal(conn_lookup("nexmark")->source_create(&t.ctx, &src, &err),
                         WEIR_ERR_CONFIG);
        assert_string_equal(err.message, cases[i].msg);
        err_clear(&err);
        opt_set_free(o);
    }

    /* the registry's own checks: types and enum values */
    const char *keys[] = {"connector", "rate.shape"}, *vals[] = {"nexmark", "TRIANGLE"};
    struct opt_set *o = NULL;
    struct weir_error err = {0};
    assert_int_equal(conn_validate(conn_lookup("nexmark"), NULL, "datagen", 2, keys, vals,
                                   true, &o, &err), WEIR_ERR_CONFIG);
    err_clear(&err);
    const char *vals2[] = {"nexmark", "x"}, *keys2[] = {"connector", "keep-alive"};
    assert_int_equal(conn_validate(conn_lookup("nexmark"), NULL, "datagen", 2, keys2, vals2,
                                   true, &o, &err), WEIR_ERR_CONFIG);
    err_clear(&err);
    assert_int_equal(conn_validate(conn_lookup("nexmark"), NULL, "datagen", 1, keys, vals,
                                   false, &o, &err), WEIR_ERR_CONFIG);
    err_clear(&err);

    /* schema errors */
    o = opts_for(0, NULL);
    const char *const bad_names[] = {"auction", "bidder", "price", "channel", "url",
                                     "dateTime", "extra"};
    const struct sql_type *bad_types[] = {&type_bigint, &type_int, &type_bigint,
                                          &type_string, &type_string,
                                          &type_timestamp3, &type_string};
    const char *const odd_names[] = {"auction", "bogus"};
    const struct sql_type *odd_types[] = {&type_bigint, &type_bigint};
    struct {
        const char *name;
        const struct sql_type *type;
        const char *msg;
    } sc[] = {
        {"event_type", &type_string,
         "table 'datagen': nexmark column 'event_type' is STRING, but the generator "
         "produces INT"},
        {"bid", row_type(&s.a, 7, bad_names, bad_types),
         "table 'datagen': nexmark field 'bid.bidder' is INT, but the generator "
         "produces BIGINT"},
        {"bid", row_type(&s.a, 2, odd_names, odd_types),
         "table 'datagen': nexmark column 'bid' has no field 'bogus'; its fields: "
         "auction, bidder, price, channel, url, dateTime, extra"},
        {"bid", &type_bigint,
         "table 'datagen': nexmark column 'bid' must be a ROW, not BIGINT"},
        {"bids", &type_bigint,
         "table 'datagen': connector 'nexmark' has no column 'bids'; it produces "
         "event_type, person, auction, bid"},
    };
    for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
        const char *names[] = {sc[i].name};
        const struct sql_type *types[] = {sc[i].type};
        struct table_ctx c = {.table_name = "datagen", .n_cols = 1, .col_names = names,
                              .col_types = types, .opts = o, .parallelism = 1};
        struct source *src = NULL;
        assert_int_equal(conn_lookup("nexmark")->source_create(&c, &src, &err),
                         WEIR_ERR_CONFIG);
        assert_string_equal(err.message, sc[i].msg);
        err_clear(&err);
    }
    opt_set_free(o);
    arena_free(&s.a);
}

/* ---- throughput (printed) ------------------------------------------------------------ */

/* Thread CPU time: the test machine is shared, and wall time would count
 * the time other processes hold the core. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_one(const struct schema *s, const char *cols, const char *label)
{
#if defined(__SANITIZE_ADDRESS__)
    const char *kv[] = {"events.num", "400000"};     /* instrumented: keep it short */
#else
    const char *kv[] = {"events.num", "4000000"};
#endif
    struct opt_set *o = opts_for(1, kv);
    struct table t;
    table_init(&t, s, cols, o, 0, 1);
    struct source *src = open_source(&t);
    struct batch *b = batch_new(t.ctx.n_cols, t.types);
    int64_t n = 0;
    double best = 1e9;
    for (int run = 0; run < 3; run++) {     /* best of three */
        struct weir_error err = {0};
        assert_int_equal(src->ops->seek(src, (const char *const[]){"v1\nsplits 1\nsplit 0 0\n"}, 1, &err), WEIR_OK);
        n = 0;
        double t0 = cpu_s();
        int rc = WEIR_OK;
        while (rc != WEIR_DONE) {
            batch_reset(b);
            rc = poll_batch(src, b);
            n += b->n;
        }
        double dt = cpu_s() - t0;
        best = dt < best ? dt : best;
    }
    print_message("nexmark %-26s %lld events in %.3f s CPU: %.2f M events/s\n", label,
                  (long long)n, best, (double)n / best / 1e6);
    src->ops->close(src);
    batch_free(b);
    opt_set_free(o);
}

static void test_bench(void **state)
{
    (void)state;
    struct schema s;
    schema_init(&s);
    bench_one(&s, "tpab", "full (event_type+3 ROWs)");
    bench_one(&s, "tb", "event_type + bid");
    bench_one(&s, "t", "event_type only");
    arena_free(&s.a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mix_ids_fields),
        cmocka_unit_test(test_custom_proportions),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_determinism_seek),
        cmocka_unit_test(test_projection_independent),
        cmocka_unit_test(test_split_layout),
        cmocka_unit_test(test_null_rows),
        cmocka_unit_test(test_bounds_and_pacing),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
