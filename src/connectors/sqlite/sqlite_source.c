/*
 * sqlite_source.c — the sqlite source: a bounded scan of one SQLite table, in
 * rowid order (also a FULL lookup cache's load), and the key-by-key reader of
 * a lookup join's dimension, at the end (connector overview and storage
 * mapping: sqlite.c).
 *
 * Values come back by the storage class SQLite holds them in: INTEGER into
 * integer and BOOLEAN columns directly, INTEGER/REAL into FLOAT/DOUBLE, BLOB or
 * TEXT into BYTES as raw bytes, and anything else through the text rules of
 * the csv format (formats/convert.h), so '2024-01-01 12:00:00.123' reads as a
 * TIMESTAMP and '12.50' as a DECIMAL.  A value that does not convert (text in
 * an INT column, an integer out of range) sends its row to the dead-letter
 * output with position '<path>:<table>:rowid <n>' and the column named in the
 * reason; the scan goes on.
 *
 * Parallel instances split the table by rowid modulo the parallelism
 * (subtask s of P reads the rowids r with r mod P == s, r mod P taken in
 * 0..P-1 for negative rowids too), each in rowid order.  A table made WITHOUT
 * ROWID has no rowid: the first instance scans it in its key order and dead
 * letters name the row number.
 *
 * Position (checkpoint text), after the last row stepped over (returned or
 * dead-lettered):
 *   v1
 *   class <P> <s> <next | end>    rowids ≡ s (mod P) below next were read
 *                                 (end: all of them — the scan finished)
 *   done <M> <r> <next | end>     rowids ≡ r (mod M) below next were read too
 *   rows <n>                      WITHOUT ROWID (first instance): rows stepped over
 * "done" lines appear after a restore with another parallelism: a new
 * subtask reads the rowids of its new class that no old position covers (the
 * scan's WHERE leaves the others out), and drops each line once its cursor
 * has passed it.  The union of the rows read before and after is every row
 * exactly once.  A WITHOUT ROWID table's scan stays with the first instance.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/position.h"
#include "connectors/sqlite/sqlite.h"
#include "core/mem.h"
#include "exec/deadletter.h"
#include "formats/convert.h"

/* Rowids r ≡ res (mod mod) with r < next (all of them if `all`) were read. */
struct sq_read {
    int64_t mod, res, next;
    bool all;
};

struct sq_source {
    struct source base;
    sqlite3 *db;                    /* NULL until open */
    sqlite3_stmt *st;               /* the scan; NULL once done */
    const char *path, *table;       /* borrowed from the option set */
    int64_t busy_ms;
    bool has_rowid;                 /* column 0 of the scan is the rowid */
    struct sq_read mine;            /* this subtask's class and cursor */
    struct sq_read *holes;          /* rowids of the class read by an earlier run */
    int n_holes, cap_holes;
    int64_t last_rowid;             /* of the last row stepped over (dead letters) */
    int64_t n_read;                 /* rows stepped over (WITHOUT ROWID position) */
    int64_t skip;                   /* rows still to skip after a seek (no rowid) */
    struct strbuf tmp;              /* scratch for fmt_text_to_scalar */
};

/* Appends "rowid in r's class" to sql. */
static void add_class(struct strbuf *sql, const struct sq_read *r)
{
    if (r->mod > 1)
        sb_addf(sql, "((rowid %% %lld) + %lld) %% %lld = %lld", (long long)r->mod,
                (long long)r->mod, (long long)r->mod, (long long)r->res);
    else
        sb_adds(sql, "1");
}

/* Does the table have rowids (it was not made WITHOUT ROWID)? */
static bool has_rowid(struct sq_source *sq)
{
    struct strbuf sql = {0};
    sb_adds(&sql, "SELECT rowid FROM ");
    sq_ident(&sql, sq->table);
    sqlite3_stmt *st = NULL;
    bool yes = sqlite3_prepare_v2(sq->db, sql.buf, -1, &st, NULL) == SQLITE_OK;
    sqlite3_finalize(st);
    sb_free(&sql);
    return yes;
}

/* "SELECT rowid, <the table's columns> FROM <table>" into sql (cleared
 * first), with NULL for the rowid of a WITHOUT ROWID table: the statement
 * the scan and the lookup both extend. */
static void select_columns(struct strbuf *sql, const struct sq_source *sq, bool with_rowid)
{
    const struct table_ctx *t = sq->base.table;
    sb_clear(sql);
    sb_adds(sql, with_rowid ? "SELECT rowid" : "SELECT NULL");
    for (int i = 0; i < t->n_cols; i++) {
        sb_adds(sql, ", ");
        sq_ident(sql, t->col_names[i]);
    }
    sb_adds(sql, " FROM ");
    sq_ident(sql, sq->table);
}

static int prepare_scan(struct sq_source *sq, struct weir_error *err)
{
    const struct table_ctx *t = sq->base.table;
    struct strbuf sql = {0};
    int rc = WEIR_OK;
    for (int with_rowid = 1; with_rowid >= 0; with_rowid--) {
        select_columns(&sql, sq, with_rowid);
        if (with_rowid) {
            sb_adds(&sql, " WHERE rowid >= ?1 AND ");
            add_class(&sql, &sq->mine);
            for (int i = 0; i < sq->n_holes; i++) {
                const struct sq_read *h = &sq->holes[i];
                sb_adds(&sql, " AND NOT (");
                add_class(&sql, h);
                if (!h->all)
                    sb_addf(&sql, " AND rowid < %lld", (long long)h->next);
                sb_adds(&sql, ")");
            }
            sb_adds(&sql, " ORDER BY rowid");
        }
        if (sqlite3_prepare_v2(sq->db, sql.buf, -1, &sq->st, NULL) == SQLITE_OK) {
            sq->has_rowid = with_rowid;
            if (with_rowid && sq->mine.all) {
                /* prepared only to learn that the table has rowids */
                sqlite3_finalize(sq->st);
                sq->st = NULL;
            } else if (with_rowid) {
                sqlite3_bind_int64(sq->st, 1, sq->mine.next);
            } else if (t->subtask > 0) {
                /* no rowid to split by: the first instance reads it all */
                sqlite3_finalize(sq->st);
                sq->st = NULL;
            }
            goto out;
        }
        if (with_rowid) {
            /* a real error: never fall back to a whole-table scan then */
            char *msg = mem_strdup(sqlite3_errmsg(sq->db));
            if (has_rowid(sq))
                rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot scan '%s' in '%s': %s",
                             sq->table, sq->path, msg);
            mem_free(msg);
            if (rc != WEIR_OK)
                goto out;
        }
    }
    rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot scan '%s' in '%s': %s", sq->table,
                 sq->path, sqlite3_errmsg(sq->db));
out:
    sb_free(&sql);
    return rc;
}

static int sq_src_open(struct source *src, struct weir_error *err)
{
    struct sq_source *sq = (struct sq_source *)src;
    if (sq->db != NULL)
        return WEIR_OK;
    sq->db = sq_open(sq->path, false, sq->busy_ms, err);
    if (sq->db == NULL)
        return WEIR_ERR_CONNECTOR;
    int rc = sq_check_columns(sq->db, sq->path, sq->table, src->table, err);
    if (rc == WEIR_DONE)
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': sqlite database '%s' has no table '%s'",
                     src->table->table_name, sq->path, sq->table);
    return rc ? rc : prepare_scan(sq, err);
}

/* Reads column c of the current row into row `row` of v.  False (with *why
 * set) when the value does not convert. */
static bool get_value(struct sq_source *sq, struct vec *v, int row, int c, const char **why)
{
    sqlite3_stmt *st = sq->st;
    int storage = sqlite3_column_type(st, c);
    if (storage == SQLITE_NULL) {
        vec_set_null(v, row);
        return true;
    }
    const struct sql_type *t = v->type;
    switch ((enum type_id)t->id) {
    case T_BOOLEAN:
        if (storage == SQLITE_INTEGER) {
            v->b[row] = sqlite3_column_int64(st, c) != 0;
            vec_set_valid(v, row);
            return true;
        }
        break;
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT:
        if (storage == SQLITE_INTEGER) {
            int64_t x = sqlite3_column_int64(st, c);
            int bits = type_int_bits(t);
            if (bits < 64 && (x < -(INT64_C(1) << (bits - 1)) ||
                              x >= (INT64_C(1) << (bits - 1)))) {
                *why = "out of range";
                return false;
            }
            v->i64[row] = x;
            vec_set_valid(v, row);
            return true;
        }
        break;
    case T_FLOAT:
    case T_DOUBLE:
        if (storage == SQLITE_INTEGER || storage == SQLITE_FLOAT) {
            double d = sqlite3_column_double(st, c);
            v->f64[row] = t->id == T_FLOAT ? (double)(float)d : d;
            vec_set_valid(v, row);
            return true;
        }
        break;
    case T_BINARY:
    case T_VARBINARY: {
        const void *p = sqlite3_column_blob(st, c);
        vec_set_str(v, row, p ? p : "", (size_t)sqlite3_column_bytes(st, c));
        vec_set_valid(v, row);
        return true;
    }
    case T_INTERVAL_YM:
    case T_INTERVAL_DT:
        if (storage == SQLITE_INTEGER) {
            v->i64[row] = sqlite3_column_int64(st, c);
            vec_set_valid(v, row);
            return true;
        }
        *why = "an interval is stored as an INTEGER";
        return false;
    default:
        break;
    }
    const char *s = (const char *)sqlite3_column_text(st, c);
    size_t n = (size_t)sqlite3_column_bytes(st, c);
    if (s != NULL && fmt_text_to_scalar(v, row, s, n, &sq->tmp))
        return true;
    *why = "does not convert";
    return false;
}

static const char *storage_name(int storage)
{
    switch (storage) {
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT: return "REAL";
    case SQLITE_TEXT: return "TEXT";
    case SQLITE_BLOB: return "BLOB";
    default: return "NULL";
    }
}

static void dead_letter(struct sq_source *sq, int c, const char *why)
{
    const struct table_ctx *t = sq->base.table;
    struct arena scratch;
    arena_init(&scratch, 1024);
    struct strbuf pos = {0}, reason = {0};
    int storage = sqlite3_column_type(sq->st, c + 1);
    if (sq->has_rowid)
        sb_addf(&pos, "%s:%s:rowid %" PRId64, sq->path, sq->table, sq->last_rowid);
    else
        sb_addf(&pos, "%s:%s:row %" PRId64, sq->path, sq->table, sq->n_read);
    sb_addf(&reason, "column '%s': %s value %s as %s", t->col_names[c],
            storage_name(storage), why, type_to_sql(&scratch, t->col_types[c]));
    const char *raw = (const char *)sqlite3_column_text(sq->st, c + 1);
    dlq_write(t->dlq, t->table_name, pos.buf, reason.buf, raw ? raw : "",
              (size_t)sqlite3_column_bytes(sq->st, c + 1));
    atomic_fetch_add_explicit(&sq->base.metrics.dead_letters, 1, memory_order_relaxed);
    sb_free(&pos);
    sb_free(&reason);
    arena_free(&scratch);
}

static int sq_src_poll(struct source *src, struct batch *out, struct weir_error *err)
{
    struct sq_source *sq = (struct sq_source *)src;
    const struct table_ctx *t = src->table;
    if (sq->db == NULL) {
        int rc = sq_src_open(src, err);
        if (rc)
            return rc;
    }
    int added = 0;
    while (sq->st != NULL && out->n < BATCH_CAP) {
        int rc = sqlite3_step(sq->st);
        if (rc == SQLITE_DONE) {
            /* ends the read transaction: writers' checkpoints may go on */
            sqlite3_finalize(sq->st);
            sq->st = NULL;
            if (sq->has_rowid) {
                sq->mine.all = true;
                sq->n_holes = 0;
            }
            break;
        }
        if (rc != SQLITE_ROW) {
            int code = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: scanning '%s' in '%s' "
                               "failed: %s", sq->table, sq->path, sqlite3_errmsg(sq->db));
            if (err)
                err->retriable = (rc & 0xff) == SQLITE_BUSY;
            return code;
        }
        sq->n_read++;
        if (sq->has_rowid) {
            sq->last_rowid = sqlite3_column_int64(sq->st, 0);
            if (sq->last_rowid == INT64_MAX)
                sq->mine.all = true;
            else
                sq->mine.next = sq->last_rowid + 1;
        } else if (sq->skip > 0) {
            sq->skip--;
            continue;
        }
        int row = out->n;
        bool ok = true;
        for (int c = 0; c < t->n_cols && ok; c++) {
            const char *why = NULL;
            if (!get_value(sq, &out->cols[c], row, c + 1, &why)) {
                dead_letter(sq, c, why);
                ok = false;
            }
        }
        if (ok) {
            out->n++;
            added++;
        }
    }
    /* the cursor has passed these: they say nothing more */
    int k = 0;
    for (int i = 0; i < sq->n_holes; i++)
        if (!sq->mine.all && (sq->holes[i].all || sq->holes[i].next > sq->mine.next))
            sq->holes[k++] = sq->holes[i];
    sq->n_holes = k;
    atomic_fetch_add_explicit(&src->metrics.rows, added, memory_order_relaxed);
    return sq->st == NULL ? WEIR_DONE : WEIR_OK;
}

static void put_read(struct strbuf *pos, const char *kind, const struct sq_read *r)
{
    if (r->all)
        sb_addf(pos, "%s %lld %lld end\n", kind, (long long)r->mod, (long long)r->res);
    else
        sb_addf(pos, "%s %lld %lld %lld\n", kind, (long long)r->mod, (long long)r->res,
                (long long)r->next);
}

static int sq_src_position(struct source *src, struct strbuf *pos)
{
    struct sq_source *sq = (struct sq_source *)src;
    sb_adds(pos, "v1\n");
    if (sq->db != NULL && !sq->has_rowid) {
        if (src->table->subtask == 0)
            sb_addf(pos, "rows %" PRId64 "\n", sq->n_read);
        return WEIR_OK;
    }
    put_read(pos, "class", &sq->mine);
    for (int i = 0; i < sq->n_holes; i++)
        put_read(pos, "done", &sq->holes[i]);
    return WEIR_OK;
}

/* Is rowid set h (or anything it tells) relevant to this subtask's class
 * from its cursor on? */
static bool hole_matters(const struct sq_source *sq, const struct sq_read *h)
{
    if ((sq->mine.res - h->res) % pos_gcd64(h->mod, sq->mine.mod) != 0)
        return false;
    return h->all || h->next > sq->mine.next;
}

/*
 * Reads old subtask s's position: "class"/"done" lines are appended to *rs,
 * its class line (mod 0: none) to *cls, a "rows" line to *rows.
 */
static int sq_parse(const struct sq_source *sq, int s, const char *pos,
                    struct sq_read **rs, int *n, int *cap, struct sq_read *cls,
                    int64_t *rows, struct weir_error *err)
{
    struct pos_reader rdr;
    const char *why;
    cls->mod = 0;
    int rc = pos_begin(&rdr, pos, "sqlite", sq->base.table->table_name, s, 128, err);
    if (rc != WEIR_OK)
        return rc;
    while (pos_next(&rdr, &why)) {
        char word[8], at[24];
        long long m = 0, r = -1, x;
        char tail;
        if (why != NULL)
            return pos_bad_line(&rdr, why, err);
        if (sscanf(rdr.buf, "rows %lld%c", &x, &tail) == 1 && x >= 0) {
            if (*rows >= 0)
                why = "a second 'rows' line";
            *rows = x;
        } else if (sscanf(rdr.buf, "%7s %lld %lld %23s%c", word, &m, &r, at, &tail) != 4 ||
                   (strcmp(word, "class") != 0 && strcmp(word, "done") != 0) ||
                   m < 1 || r < 0 || r >= m) {
            why = "expected 'class <P> <subtask> <next rowid|end>', 'done <modulus> "
                  "<residue> <next rowid|end>' or 'rows <n>'";
        } else {
            struct sq_read rd = {m, r, 0, strcmp(at, "end") == 0};
            char *end = NULL;
            if (!rd.all) {
                errno = 0;
                rd.next = strtoll(at, &end, 10);
                if (errno != 0 || end == at || *end != '\0')
                    why = "the next rowid is not a number";
            }
            if (why == NULL && strcmp(word, "class") == 0) {
                if (cls->mod != 0)
                    why = "a second 'class' line";
                *cls = rd;
            }
            MEM_GROW(*rs, *cap, *n + 1);
            (*rs)[(*n)++] = rd;
        }
        if (why != NULL)
            return pos_bad_line(&rdr, why, err);
    }
    return WEIR_OK;
}

static int sq_src_seek(struct source *src, const char *const *pos, int old_parallelism,
                       struct weir_error *err)
{
    struct sq_source *sq = (struct sq_source *)src;
    int rc;
    /* the table's kind decides which lines count */
    if (sq->db == NULL && (rc = sq_src_open(src, err)) != WEIR_OK)
        return rc;
    struct sq_read *rs = NULL;
    int n = 0, cap = 0;
    int64_t rows = -1;
    /* every rowid below the lowest cursor was read when each old subtask's
     * class line is there: together they cover every residue */
    bool all = old_parallelism > 0;
    bool frontier_all = true;       /* every old class was read to its end */
    int64_t frontier = INT64_MAX;
    rc = WEIR_OK;
    for (int s = 0; s < old_parallelism && rc == WEIR_OK; s++) {
        struct sq_read cls = {0};
        if (pos[s] == NULL) {
            all = false;
            continue;
        }
        rc = sq_parse(sq, s, pos[s], &rs, &n, &cap, &cls, &rows, err);
        if (rc != WEIR_OK)
            break;
        if (cls.mod != old_parallelism || cls.res != s)
            all = false;
        else if (!cls.all) {
            frontier_all = false;
            if (cls.next < frontier)
                frontier = cls.next;
        }
    }
    if (rc == WEIR_OK) {
        sq->n_holes = 0;
        sq->mine.all = false;
        sq->mine.next = INT64_MIN;
        if (all && frontier_all)
            sq->mine.all = true;
        else if (all)
            sq->mine.next = frontier;
        for (int i = 0; i < n && !sq->mine.all; i++) {
            if (!hole_matters(sq, &rs[i]))
                continue;
            /* a set holding the whole class (unchanged parallelism: the
             * subtask's own old cursor) moves the cursor instead */
            if (sq->mine.mod % rs[i].mod == 0 && rs[i].all) {
                sq->mine.all = true;
                continue;
            }
            MEM_GROW(sq->holes, sq->cap_holes, sq->n_holes + 1);
            sq->holes[sq->n_holes++] = rs[i];
        }
        for (int i = 0; i < sq->n_holes && !sq->mine.all; i++)
            if (sq->mine.mod % sq->holes[i].mod == 0 && sq->holes[i].next > sq->mine.next)
                sq->mine.next = sq->holes[i].next;
        if (sq->mine.all)
            sq->n_holes = 0;
        int k = 0;
        for (int i = 0; i < sq->n_holes; i++)
            if (hole_matters(sq, &sq->holes[i]))
                sq->holes[k++] = sq->holes[i];
        sq->n_holes = k;
        /* WITHOUT ROWID: the first subtask goes on from the old first one's count */
        sq->skip = !sq->has_rowid && src->table->subtask == 0 && rows > 0 ? rows : 0;
        sq->n_read = 0;
        sqlite3_finalize(sq->st);
        sq->st = NULL;
        rc = prepare_scan(sq, err);
    }
    mem_free(rs);
    return rc;
}

static void sq_src_close(struct source *src)
{
    struct sq_source *sq = (struct sq_source *)src;
    if (sq == NULL)
        return;
    sqlite3_finalize(sq->st);
    sqlite3_close_v2(sq->db);
    sb_free(&sq->tmp);
    mem_free(sq->holes);
    mem_free(sq);
}

static const struct source_ops sq_source_ops = {
    .open = sq_src_open,
    .poll = sq_src_poll,
    .position = sq_src_position,
    .seek = sq_src_seek,
    .close = sq_src_close,
};

int sqlite_source_create(const struct table_ctx *t, struct source **out,
                         struct weir_error *err)
{
    (void)err;     /* nested types were refused by sqlite.c */
    struct sq_source *sq = mem_calloc(1, sizeof(*sq));
    sq->base.ops = &sq_source_ops;
    sq->base.table = t;
    sq->base.bounded = true;
    sq->base.wait_ms = 0;
    sq->path = opt_str(t->opts, "path", "");
    sq->table = opt_str(t->opts, "table-name", "");
    sq->busy_ms = opt_duration_ms(t->opts, "busy-timeout", 5000);
    sq->mine = (struct sq_read){t->parallelism > 1 ? t->parallelism : 1,
                                t->parallelism > 1 ? t->subtask : 0, INT64_MIN, false};
    *out = &sq->base;
    return WEIR_OK;
}

/* ---- lookup: the rows of one key, queried when a lookup join asks ------------- */

/*
 * One prepared SELECT of the produced columns WHERE each key column = ?, on
 * a connection opened read-only: the lookup never takes a write lock, and
 * each query is its own read transaction (the statement is reset when its
 * rows are out), so with the WAL a writer is never blocked and the next
 * query sees what it committed.  Key values are bound in the storage form
 * the sink writes (sq_bind) and compared by SQLite (column affinity applies:
 * 1 finds '1' in a TEXT column).  A row whose values do not convert goes to
 * the dead-letter output, as in a scan, and is left out.
 */
struct sq_lookup {
    struct lookup_source base;
    struct sq_source sq;            /* its statement, conversion and dead letters */
    bool stepping;                  /* a key's rows are being returned */
};

static int lookup_prepare(struct sq_lookup *lk, int n_keys, const int *key_cols,
                          struct weir_error *err)
{
    struct sq_source *sq = &lk->sq;
    const struct table_ctx *t = sq->base.table;
    struct strbuf sql = {0};
    int rc = WEIR_OK;
    for (int with_rowid = 1; with_rowid >= 0; with_rowid--) {
        select_columns(&sql, sq, with_rowid);
        for (int q = 0; q < n_keys; q++) {
            sb_adds(&sql, q ? " AND " : " WHERE ");
            sq_ident(&sql, t->col_names[key_cols[q]]);
            sb_addf(&sql, " = ?%d", q + 1);
        }
        /* a key's rows in the order a scan returns them */
        sb_adds(&sql, with_rowid ? " ORDER BY rowid" : "");
        if (sqlite3_prepare_v2(sq->db, sql.buf, -1, &sq->st, NULL) == SQLITE_OK) {
            sq->has_rowid = with_rowid;
            goto out;
        }
        if (with_rowid && has_rowid(sq))
            break;      /* a real error, not a WITHOUT ROWID table */
    }
    rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot query '%s' in '%s': %s", sq->table,
                 sq->path, sqlite3_errmsg(sq->db));
out:
    sb_free(&sql);
    return rc;
}

static int sq_lookup(struct lookup_source *ls, const struct vec *const *keys, int row,
                     struct batch *out, struct weir_error *err)
{
    struct sq_lookup *lk = (struct sq_lookup *)ls;
    struct sq_source *sq = &lk->sq;
    const struct table_ctx *t = ls->table;
    int n_keys = sqlite3_bind_parameter_count(sq->st);
    if (!lk->stepping) {
        for (int q = 0; q < n_keys; q++)
            sq_bind(sq->st, q + 1, keys[q], row, &sq->tmp);
        lk->stepping = true;
    }
    while (out->n < BATCH_CAP) {
        int rc = sqlite3_step(sq->st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            int code = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: looking up a key of '%s' in "
                               "'%s' failed: %s", sq->table, sq->path, sqlite3_errmsg(sq->db));
            if (err)
                err->retriable = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
            sqlite3_reset(sq->st);
            lk->stepping = false;
            return code;
        }
        sq->n_read++;
        if (sq->has_rowid)
            sq->last_rowid = sqlite3_column_int64(sq->st, 0);
        int r = out->n;
        bool ok = true;
        for (int c = 0; c < t->n_cols && ok; c++) {
            const char *why = NULL;
            if (!get_value(sq, &out->cols[c], r, c + 1, &why)) {
                dead_letter(sq, c, why);
                ok = false;
            }
        }
        out->n += ok;
    }
    if (out->n == BATCH_CAP)
        return WEIR_AGAIN;
    /* ends the read transaction: the next key sees the newest commit */
    sqlite3_reset(sq->st);
    sqlite3_clear_bindings(sq->st);
    lk->stepping = false;
    return WEIR_OK;
}

static void sq_lookup_close(struct lookup_source *ls)
{
    struct sq_lookup *lk = (struct sq_lookup *)ls;
    if (lk == NULL)
        return;
    sqlite3_finalize(lk->sq.st);
    sqlite3_close_v2(lk->sq.db);
    sb_free(&lk->sq.tmp);
    mem_free(lk);
}

static const struct lookup_ops sq_lookup_ops = {
    .lookup = sq_lookup,
    .close = sq_lookup_close,
};

int sqlite_lookup_create(const struct table_ctx *t, int n_keys, const int *key_cols,
                         struct lookup_conf *conf, struct lookup_source **out,
                         struct weir_error *err)
{
    (void)conf;
    struct sq_lookup *lk = mem_calloc(1, sizeof(*lk));
    lk->base.ops = &sq_lookup_ops;
    lk->base.table = t;
    struct sq_source *sq = &lk->sq;
    sq->base.table = t;
    sq->path = opt_str(t->opts, "path", "");
    sq->table = opt_str(t->opts, "table-name", "");
    sq->busy_ms = opt_duration_ms(t->opts, "busy-timeout", 5000);
    int rc = sqlite3_open_v2(sq->path, &sq->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        rc = err_set(err, WEIR_ERR_CONNECTOR, "sqlite: cannot open database '%s': %s", sq->path,
                     sq->db ? sqlite3_errmsg(sq->db) : sqlite3_errstr(rc));
    } else {
        sqlite3_busy_timeout(sq->db, sq->busy_ms > 0x7fffffff ? 0x7fffffff : (int)sq->busy_ms);
        rc = sq_check_columns(sq->db, sq->path, sq->table, t, err);
        if (rc == WEIR_DONE)
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': sqlite database '%s' has no table '%s'",
                         t->table_name, sq->path, sq->table);
        if (rc == WEIR_OK)
            rc = lookup_prepare(lk, n_keys, key_cols, err);
    }
    if (rc) {
        sq_lookup_close(&lk->base);
        return rc;
    }
    *out = &lk->base;
    return WEIR_OK;
}
