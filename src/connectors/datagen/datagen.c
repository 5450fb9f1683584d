/*
 * datagen.c — the 'datagen' source: rows generated in memory, with Flink's
 * options ('rows-per-second', 'number-of-rows', 'fields.<col>.kind' random or
 * sequence, '.min'/'.max', '.max-past', '.length', '.start'/'.end',
 * '.null-rate').
 *
 * Unlike Flink's unseeded generator, weir's datagen is reproducible: the
 * table is a sequence of rows numbered 0, 1, 2, ... and a random value is a
 * pure function of (column name, row number) — a counter-based generator
 * (splitmix64 over the row number, seeded per column) — so the same job
 * produces the same rows on every run, at any parallelism, whatever columns
 * the planner projects.  Only time columns differ run to run: like Flink they
 * are "now" (minus a random amount up to '.max-past').  Row g has sequence
 * value start+g; the table ends before row min('number-of-rows', end-start+1).
 *
 * Parallelism splits work as Flink does: subtask i of P emits rows i, i+P,
 * i+2P, ... (sequence values start+i, start+i+P, ...), so 'number-of-rows' is
 * divided among the subtasks with the first N mod P taking one row more, and
 * so is 'rows-per-second'.
 *
 * Position (checkpoint text):
 *   v1
 *   class <P> <i> <next>          rows ≡ i (mod P) below next are emitted
 *   done <M> <r> <below>          rows ≡ r (mod M) below `below` are emitted too
 * A subtask emits its rows in increasing order, so "class" (its own rows,
 * below its cursor) says it all until the job is restored with another
 * parallelism.  Then each new subtask takes the rows of its new class that no
 * old position covers: it starts at the lowest row some old subtask had not
 * reached, skips the rows another old subtask had already emitted (kept as
 * "done" lines until its cursor passes them), and the union of what was
 * emitted before and after is every row exactly once.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "connectors/connector.h"
#include "connectors/position.h"
#include "core/datetime.h"
#include "core/decimal.h"
#include "core/mem.h"

enum dg_kind { DG_RANDOM, DG_SEQUENCE };

struct dg_field {
    int col;                        /* produced column */
    const char *name;
    const struct sql_type *type;
    enum dg_kind kind;
    uint64_t seed;                  /* per column */
    bool has_min, has_max;
    double dmin, dmax;              /* FLOAT/DOUBLE/DECIMAL bounds */
    int64_t imin, imax;             /* integer bounds */
    int64_t start, end;             /* sequence */
    int64_t max_past_us;
    int length;                     /* strings, bytes, collection sizes */
    bool var_len;
    double null_rate;
};

/* Rows g ≡ res (mod mod) with g < below: emitted by an earlier run. */
struct dg_done {
    int64_t mod, res, below;
};

struct dg_source {
    struct source base;
    int n_fields;
    struct dg_field *fields;
    int64_t total;                  /* rows of the table; INT64_MAX = unbounded */
    int64_t next;                   /* the next row of this subtask's class */
    struct dg_done *holes;          /* rows of this class past `next` already emitted */
    int n_holes, cap_holes;
    int64_t emitted;                /* rows produced by this instance (rate) */
    double rate;                    /* rows per second for this subtask; 0 = no limit */
    int64_t t0_ns;                  /* monotonic start of the rate window */
    int64_t at_t0;                  /* emitted at t0 */
};

/* ---- generator ---------------------------------------------------------------- */

static inline uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;    /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static inline double unit(uint64_t r)
{
    return (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t type_int_min(const struct sql_type *t)
{
    int bits = type_int_bits(t);
    return bits == 64 ? INT64_MIN : -(1LL << (bits - 1));
}

static int64_t type_int_max(const struct sql_type *t)
{
    int bits = type_int_bits(t);
    return bits == 64 ? INT64_MAX : (1LL << (bits - 1)) - 1;
}

/* Truncates a microsecond value to the type's fractional precision. */
static int64_t trunc_prec(int64_t us, int p)
{
    static const int64_t div[] = {1000000, 100000, 10000, 1000, 100, 10, 1};
    if (p >= 6)
        return us;
    return dt_floor_div(us, div[p < 0 ? 0 : p]) * div[p < 0 ? 0 : p];
}

/* One random value of type t with the field's settings (nested values use
 * defaults) into row `row` of v; *s is the row's generator state. */
static void gen_random(const struct dg_field *f, const struct sql_type *t, bool top,
                       struct vec *v, int row, uint64_t *s, int64_t now_us)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t r = splitmix(s);
    switch (t->id) {
    case T_BOOLEAN:
        v->b[row] = r & 1;
        break;
    case T_TINYINT:
    case T_SMALLINT:
    case T_INT:
    case T_BIGINT: {
        int64_t lo = top && f->has_min ? f->imin : type_int_min(t);
        int64_t hi = top && f->has_max ? f->imax : type_int_max(t);
        uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
        v->i64[row] = (int64_t)((uint64_t)lo + (span ? r % span : r));
        break;
    }
    case T_FLOAT:
    case T_DOUBLE: {
        double lo = top && f->has_min ? f->dmin :
                    t->id == T_FLOAT ? 1.4e-45 : 4.9e-324;
        double hi = top && f->has_max ? f->dmax :
                    t->id == T_FLOAT ? 3.4028234663852886e38 : 1.7976931348623157e308;
        double x = lo + unit(r) * (hi - lo);
        if (!isfinite(x))
            x = lo + unit(r) * hi - unit(r) * lo;
        v->f64[row] = t->id == T_FLOAT ? (double)(float)x : x;
        break;
    }
    case T_DECIMAL: {
        dec128 u = 0;
        if (top && (f->has_min || f->has_max)) {
            double lo = f->has_min ? f->dmin : 0, hi = f->has_max ? f->dmax : lo + 1;
            if (!dec_from_double(lo + unit(r) * (hi - lo), t->precision, t->scale, &u))
                u = 0;
        } else {
            /* anywhere in the type's range */
            dec128 lim = dec_pow10[t->precision];
            unsigned __int128 big = ((unsigned __int128)r << 64 | splitmix(s)) >> 2;
            u = (dec128)(big % (unsigned __int128)(2 * lim - 1)) - (lim - 1);
        }
        v->i128[row] = u;
        break;
    }
    case T_CHAR:
    case T_VARCHAR:
    case T_BINARY:
    case T_VARBINARY: {
        int len = top ? f->length : 100;
        if (t->id == T_CHAR || t->id == T_BINARY)
            len = t->length;
        else if (t->length > 0 && len > t->length)
            len = t->length;
        if (top && f->var_len && len > 0)
            len = 1 + (int)(r % (uint64_t)len);
        char *p = arena_alloc(v->arena, len ? (size_t)len : 1);
        bool bin = type_is_binary(t);
        uint64_t bits = 0;
        for (int i = 0; i < len; i++) {
            if ((i & 7) == 0)
                bits = splitmix(s);
            p[i] = bin ? (char)(bits & 0xff) : hex[bits & 15];
            bits >>= 8;
        }
        v->s[row].ptr = p;
        v->s[row].len = (uint32_t)len;
        break;
    }
    case T_DATE:
    case T_TIME:
    case T_TIMESTAMP:
    case T_TIMESTAMP_LTZ: {
        int64_t past = top && f->max_past_us > 0 ? (int64_t)(r % (uint64_t)f->max_past_us)
                                                 : 0;
        int64_t inst = now_us - past;
        int64_t wall = dt_ltz_to_local(inst);
        if (t->id == T_TIMESTAMP_LTZ)
            v->i64[row] = trunc_prec(inst, t->precision);
        else if (t->id == T_TIMESTAMP)
            v->i64[row] = trunc_prec(wall, t->precision);
        else if (t->id == T_DATE)
            v->i64[row] = dt_ts_date(wall);
        else
            v->i64[row] = trunc_prec(dt_ts_time(wall), t->precision);
        break;
    }
    case T_ROW:
        for (int i = 0; i < t->n_fields; i++) {
            vec_set_valid(&v->children[i], row);
            gen_random(f, t->field_types[i], false, &v->children[i], row, s, now_us);
        }
        break;
    case T_ARRAY:
    case T_MAP: {
        int n = top && f->length != 100 ? f->length : 3;
        int start = row > 0 ? v->offsets[row] : 0;
        for (int k = 0; k < v->n_children; k++)
            vec_reserve(&v->children[k], start + n);
        for (int i = 0; i < n; i++) {
            vec_set_valid(&v->children[0], start + i);
            gen_random(f, t->elem, false, &v->children[0], start + i, s, now_us);
            if (t->id == T_MAP) {
                vec_set_valid(&v->children[1], start + i);
                gen_random(f, t->value, false, &v->children[1], start + i, s, now_us);
            }
        }
        v->offsets[row + 1] = start + n;
        break;
    }
    default:
        break;
    }
}

/* A sequence value (start + row number), as in Flink's SequenceGenerator. */
static void gen_sequence(const struct dg_field *f, struct vec *v, int row, int64_t val)
{
    const struct sql_type *t = f->type;
    switch (t->id) {
    case T_FLOAT:
    case T_DOUBLE:
        v->f64[row] = (double)val;
        break;
    case T_DECIMAL:
        if (!dec_from_i64(val, t->precision, t->scale, &v->i128[row]))
            vec_set_null(v, row);
        break;
    case T_CHAR:
    case T_VARCHAR: {
        char buf[24];
        int n = snprintf(buf, sizeof(buf), "%lld", (long long)val);
        vec_set_str(v, row, buf, (size_t)n);
        break;
    }
    default:
        v->i64[row] = val;
        break;
    }
}

/* ---- source ------------------------------------------------------------------- */

static int dg_open(struct source *src, struct weir_error *err)
{
    (void)err;
    struct dg_source *g = (struct dg_source *)src;
    g->t0_ns = now_mono_ns();
    g->at_t0 = g->emitted;
    return WEIR_OK;
}

/* The parallelism and subtask of this instance. */
static int dg_par(const struct dg_source *g)
{
    const struct table_ctx *t = g->base.table;
    return t->parallelism > 0 ? t->parallelism : 1;
}

/* The row after g in this subtask's class (capped at the end of the table). */
static int64_t dg_step(const struct dg_source *g, int64_t row)
{
    int64_t P = dg_par(g);
    return g->total - row <= P ? g->total : row + P;
}

/* Was row g emitted by an earlier run? */
static bool dg_is_done(const struct dg_source *g, int64_t row)
{
    for (int i = 0; i < g->n_holes; i++) {
        const struct dg_done *h = &g->holes[i];
        if (row < h->below && row % h->mod == h->res)
            return true;
    }
    return false;
}

/* Drops the holes the cursor has passed. */
static void dg_prune(struct dg_source *g)
{
    int k = 0;
    for (int i = 0; i < g->n_holes; i++)
        if (g->holes[i].below > g->next)
            g->holes[k++] = g->holes[i];
    g->n_holes = k;
}

/* Rows skipped (emitted before a restore) per poll at most, so that a poll
 * stays short however far the old subtasks had run apart. */
#define DG_SKIP_MAX (1 << 16)

static int dg_poll(struct source *src, struct batch *out, struct weir_error *err)
{
    (void)err;
    struct dg_source *g = (struct dg_source *)src;
    if (g->next >= g->total)
        return WEIR_DONE;
    int64_t want = BATCH_CAP - out->n;
    if (g->rate > 0) {
        /* rows allowed so far in this window */
        double secs = (double)(now_mono_ns() - g->t0_ns) / 1e9;
        int64_t allowed = (int64_t)(secs * g->rate) - (g->emitted - g->at_t0);
        if (allowed <= 0) {
            double wait = (1.0 - (secs * g->rate - floor(secs * g->rate))) / g->rate;
            src->wait_ms = (int)(wait * 1000) + 1;
            return WEIR_AGAIN;
        }
        if (want > allowed)
            want = allowed;
    }
    int64_t now_us = dt_now_us();
    int64_t made = 0;
    for (int skips = 0; made < want && g->next < g->total && skips < DG_SKIP_MAX;) {
        int64_t idx = g->next;
        g->next = dg_step(g, idx);
        if (g->n_holes > 0 && dg_is_done(g, idx)) {
            skips++;
            continue;
        }
        int row = out->n++;
        made++;
        g->emitted++;
        for (int i = 0; i < g->n_fields; i++) {
            const struct dg_field *f = &g->fields[i];
            struct vec *v = &out->cols[f->col];
            uint64_t s = f->seed ^ ((uint64_t)idx * 0xD1B54A32D192ED03ULL);
            if (f->null_rate > 0 && unit(splitmix(&s)) < f->null_rate) {
                vec_set_null(v, row);
                if (v->type->id == T_ARRAY || v->type->id == T_MAP)
                    v->offsets[row + 1] = row > 0 ? v->offsets[row] : 0;
                continue;
            }
            vec_set_valid(v, row);
            if (f->kind == DG_SEQUENCE)
                gen_sequence(f, v, row, f->start + idx);
            else
                gen_random(f, f->type, true, v, row, &s, now_us);
        }
    }
    if (g->n_holes > 0)
        dg_prune(g);
    atomic_fetch_add_explicit(&src->metrics.rows, made, memory_order_relaxed);
    if (g->next >= g->total)
        return WEIR_DONE;
    return WEIR_OK;
}

static int dg_position(struct source *src, struct strbuf *pos)
{
    struct dg_source *g = (struct dg_source *)src;
    sb_addf(pos, "v1\nclass %d %d %lld\n", dg_par(g), src->table->subtask,
            (long long)g->next);
    for (int i = 0; i < g->n_holes; i++)
        sb_addf(pos, "done %lld %lld %lld\n", (long long)g->holes[i].mod,
                (long long)g->holes[i].res, (long long)g->holes[i].below);
    return WEIR_OK;
}

/*
 * Parses old subtask s's position into *hs (every line is a set of emitted
 * rows); *cls gets its "class" line (mod 0 if it has none).
 */
static int dg_parse(const struct dg_source *g, int s, const char *pos, struct dg_done **hs,
                    int *n, int *cap, struct dg_done *cls, struct weir_error *err)
{
    struct pos_reader rd;
    const char *why;
    cls->mod = 0;
    int rc = pos_begin(&rd, pos, "datagen", g->base.table->table_name, s, 128, err);
    if (rc != WEIR_OK)
        return rc;
    while (pos_next(&rd, &why)) {
        long long m = 0, r = -1, b = -1;
        char tail;
        bool is_class = strncmp(rd.line, "class ", 6) == 0;
        if (why == NULL &&
            (sscanf(rd.buf, is_class ? "class %lld %lld %lld%c" : "done %lld %lld %lld%c",
                    &m, &r, &b, &tail) != 3 || m < 1 || r < 0 || r >= m || b < 0 ||
             (is_class && cls->mod != 0)))
            why = "expected 'class <P> <subtask> <next row>' once, then 'done <modulus> "
                  "<residue> <below>' lines";
        if (why != NULL)
            return pos_bad_line(&rd, why, err);
        struct dg_done d = {m, r, b};
        if (is_class)
            *cls = d;
        MEM_GROW(*hs, *cap, *n + 1);
        (*hs)[(*n)++] = d;
    }
    if (cls->mod == 0)
        return pos_bad(&rd, "no 'class' line", err);
    return WEIR_OK;
}

/* The first row of this subtask's class at or after row (the end if none). */
static int64_t dg_class_from(const struct dg_source *g, int64_t row)
{
    int64_t P = dg_par(g), me = g->base.table->subtask;
    __int128 first = (__int128)row + ((me - row % P) % P + P) % P;
    return first < g->total ? (int64_t)first : g->total;
}

static int dg_seek(struct source *src, const char *const *pos, int old_parallelism,
                   struct weir_error *err)
{
    struct dg_source *g = (struct dg_source *)src;
    int64_t P = dg_par(g), me = src->table->subtask;
    struct dg_done *hs = NULL;
    int n = 0, cap = 0, rc = WEIR_OK;
    /* every row below the lowest cursor is emitted when each old subtask's
     * own class is known: the cursors cover every residue */
    bool all = old_parallelism > 0;
    int64_t frontier = INT64_MAX;
    for (int s = 0; s < old_parallelism && rc == WEIR_OK; s++) {
        struct dg_done cls = {0};
        if (pos[s] == NULL) {
            all = false;
            continue;
        }
        rc = dg_parse(g, s, pos[s], &hs, &n, &cap, &cls, err);
        if (rc == WEIR_OK && (cls.mod != old_parallelism || cls.res != s))
            all = false;
        if (rc == WEIR_OK && cls.below < frontier)
            frontier = cls.below;
    }
    if (rc != WEIR_OK) {
        mem_free(hs);
        return rc;
    }
    if (!all)
        frontier = 0;
    g->next = dg_class_from(g, frontier);
    g->n_holes = 0;
    for (int i = 0; i < n; i++) {
        /* only sets that meet this class can hold its rows */
        if ((me - hs[i].res) % pos_gcd64(hs[i].mod, P) != 0 || hs[i].below <= g->next)
            continue;
        MEM_GROW(g->holes, g->cap_holes, g->n_holes + 1);
        g->holes[g->n_holes++] = hs[i];
    }
    mem_free(hs);
    /* a set that holds every row of the class below its bound moves the cursor
     * at once (unchanged parallelism: the subtask's own old cursor); each pass
     * that moves it retires a set, so there are at most n_holes + 1 passes */
    for (bool moved = true; moved;) {
        moved = false;
        for (int i = 0; i < g->n_holes; i++) {
            const struct dg_done *h = &g->holes[i];
            if (P % h->mod != 0 || h->below <= g->next)
                continue;
            g->next = dg_class_from(g, h->below);
            moved = true;
        }
    }
    dg_prune(g);
    g->t0_ns = now_mono_ns();
    g->at_t0 = g->emitted;
    return WEIR_OK;
}

static void dg_close(struct source *src)
{
    struct dg_source *g = (struct dg_source *)src;
    if (g == NULL)
        return;
    mem_free(g->fields);
    mem_free(g->holes);
    mem_free(g);
}

static const struct source_ops dg_ops = {
    .open = dg_open,
    .poll = dg_poll,
    .position = dg_position,
    .seek = dg_seek,
    .close = dg_close,
};

/* The column name X of a 'fields.X.<suffix>' key; NULL if the key has another
 * form.  Suffixes are matched from the end so that X may hold dots. */
static const char *field_suffixes[] = {
    ".kind", ".min", ".max", ".max-past", ".length", ".var-len", ".start", ".end",
    ".null-rate", NULL,
};

static char *key_column(const char *key)
{
    if (strncmp(key, "fields.", 7) != 0)
        return NULL;
    size_t kl = strlen(key);
    for (int i = 0; field_suffixes[i]; i++) {
        size_t sl = strlen(field_suffixes[i]);
        if (kl > 7 + sl && strcmp(key + kl - sl, field_suffixes[i]) == 0)
            return mem_strndup(key + 7, kl - 7 - sl);
    }
    return NULL;
}

static int dg_source_create(const struct table_ctx *t, struct source **out,
                            struct weir_error *err)
{
    const struct opt_set *o = t->opts;
    int rc = WEIR_OK;
    char key[512];
    struct dg_source *g = mem_calloc(1, sizeof(*g));
    g->base.ops = &dg_ops;
    g->base.table = t;
    g->fields = mem_calloc((size_t)(t->n_cols ? t->n_cols : 1), sizeof(struct dg_field));

    /* every fields.X.* key must name a physical column */
    int n_names = t->all_physical_names ? t->n_all_physical : t->n_cols;
    const char *const *names = t->all_physical_names ? t->all_physical_names
                                                     : t->col_names;
    for (int i = 0; i < opt_count(o); i++) {
        char *col = key_column(opt_key_at(o, i));
        if (col == NULL)
            continue;
        bool found = false;
        for (int c = 0; c < n_names && !found; c++)
            found = strcmp(names[c], col) == 0;
        if (!found) {
            struct strbuf sb = {0};
            for (int c = 0; c < n_names; c++)
                sb_addf(&sb, "%s%s", c ? ", " : "", names[c]);
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': option '%s' refers to unknown column '%s'; "
                         "columns: %s", t->table_name, opt_key_at(o, i), col,
                         sb.buf ? sb.buf : "");
            sb_free(&sb);
            mem_free(col);
            goto fail;
        }
        mem_free(col);
    }

    for (int c = 0; c < t->n_cols; c++) {
        if (t->col_metadata && t->col_metadata[c])
            continue;
        struct dg_field *f = &g->fields[g->n_fields++];
        const struct sql_type *ty = t->col_types[c];
        const char *nm = t->col_names[c];
        f->col = c;
        f->name = nm;
        f->type = ty;
        f->seed = hash_str(nm) ^ 0x5EEDULL;
        snprintf(key, sizeof(key), "fields.%s.kind", nm);
        f->kind = strcasecmp(opt_str(o, key, "random"), "sequence") == 0 ? DG_SEQUENCE
                                                                         : DG_RANDOM;
        snprintf(key, sizeof(key), "fields.%s.null-rate", nm);
        f->null_rate = opt_double(o, key, 0);
        snprintf(key, sizeof(key), "fields.%s.length", nm);
        f->length = (int)opt_int(o, key, 100);
        snprintf(key, sizeof(key), "fields.%s.var-len", nm);
        f->var_len = opt_bool(o, key, false);
        snprintf(key, sizeof(key), "fields.%s.max-past", nm);
        f->max_past_us = opt_duration_ms(o, key, 0) * 1000;
        if (f->null_rate < 0 || f->null_rate > 1) {
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': option 'fields.%s.null-rate' must be between 0 "
                         "and 1", t->table_name, nm);
            goto fail;
        }
        if (f->length < 0) {
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': option 'fields.%s.length' must not be negative",
                         t->table_name, nm);
            goto fail;
        }
        bool numeric = type_is_numeric(ty);
        bool integer = type_is_integer(ty);
        const char *mins, *maxs;
        snprintf(key, sizeof(key), "fields.%s.min", nm);
        mins = opt_str(o, key, NULL);
        snprintf(key, sizeof(key), "fields.%s.max", nm);
        maxs = opt_str(o, key, NULL);
        if ((mins || maxs) && !numeric) {
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': options 'fields.%s.min'/'max' need a numeric "
                         "column", t->table_name, nm);
            goto fail;
        }
        if (mins || maxs) {
            bool okmin = true, okmax = true;
            if (integer) {
                if (mins)
                    okmin = opt_parse_int(mins, &f->imin) == WEIR_OK &&
                            f->imin >= type_int_min(ty);
                if (maxs)
                    okmax = opt_parse_int(maxs, &f->imax) == WEIR_OK &&
                            f->imax <= type_int_max(ty);
            } else {
                if (mins)
                    okmin = opt_parse_double(mins, &f->dmin) == WEIR_OK;
                if (maxs)
                    okmax = opt_parse_double(maxs, &f->dmax) == WEIR_OK;
            }
            if (!okmin || !okmax) {
                rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': option 'fields.%s.%s' expects a number in the "
                             "range of the column's type, got '%s'", t->table_name, nm,
                             okmin ? "max" : "min", okmin ? maxs : mins);
                goto fail;
            }
            f->has_min = mins != NULL;
            f->has_max = maxs != NULL;
            if (f->has_min && f->has_max &&
                (integer ? f->imin > f->imax : f->dmin > f->dmax)) {
                rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': 'fields.%s.min' is greater than "
                             "'fields.%s.max'", t->table_name, nm, nm);
                goto fail;
            }
        }
        if (f->kind == DG_SEQUENCE) {
            if (!numeric && !type_is_string(ty)) {
                struct arena a;
                arena_init(&a, 0);
                rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': column '%s' of type %s cannot be a sequence "
                             "(only numeric and string columns can)", t->table_name, nm,
                             type_to_sql(&a, ty));
                arena_free(&a);
                goto fail;
            }
            char k2[512];
            snprintf(key, sizeof(key), "fields.%s.start", nm);
            snprintf(k2, sizeof(k2), "fields.%s.end", nm);
            if (!opt_has(o, key) || !opt_has(o, k2)) {
                rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': a sequence needs both '%s' and '%s'",
                             t->table_name, key, k2);
                goto fail;
            }
            f->start = opt_int(o, key, 0);
            f->end = opt_int(o, k2, 0);
            if (f->start > f->end) {
                rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': '%s' (%lld) is greater than '%s' (%lld)",
                             t->table_name, key, (long long)f->start, k2,
                             (long long)f->end);
                goto fail;
            }
        }
        if (type_is_interval(ty) || ty->id == T_NULL) {
            struct arena a;
            arena_init(&a, 0);
            rc = err_set(err, WEIR_ERR_UNSUPPORTED,
                         "table '%s': datagen cannot generate column '%s' of type %s",
                         t->table_name, nm, type_to_sql(&a, ty));
            arena_free(&a);
            goto fail;
        }
    }

    int P = t->parallelism > 0 ? t->parallelism : 1;
    g->total = INT64_MAX;
    g->next = t->subtask;
    bool bounded = false;
    if (opt_has(o, "number-of-rows")) {
        int64_t total = opt_int(o, "number-of-rows", 0);
        if (total < 0) {
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': 'number-of-rows' must not be negative",
                         t->table_name);
            goto fail;
        }
        g->total = total;
        bounded = true;
    }
    int64_t rps = opt_int(o, "rows-per-second", 10000);
    if (rps < 0) {
        rc = err_set(err, WEIR_ERR_CONFIG,
                     "table '%s': 'rows-per-second' must not be negative", t->table_name);
        goto fail;
    }
    g->rate = (double)rps / P;
    for (int i = 0; i < g->n_fields; i++) {
        const struct dg_field *f = &g->fields[i];
        if (f->kind != DG_SEQUENCE)
            continue;
        __int128 span = (__int128)f->end - f->start + 1;
        if (span < g->total)
            g->total = (int64_t)span;
        bounded = true;
    }
    g->base.bounded = bounded;
    g->base.wait_ms = 1;
    *out = &g->base;
    return WEIR_OK;
fail:
    dg_close(&g->base);
    return rc;
}

static const struct opt_def dg_options[] = {
    {"rows-per-second", OPT_INT, "10000", NULL, false,
     "rows generated per second, over all parallel instances (0 = no limit)"},
    {"number-of-rows", OPT_INT, NULL, NULL, false,
     "total rows to generate; the table is bounded when set (default: unbounded)"},
    {"fields.#.kind", OPT_ENUM, "random", "random|sequence", false,
     "how a column's values are generated"},
    {"fields.#.min", OPT_STRING, NULL, NULL, false,
     "smallest random value of a numeric column (default: the type's minimum)"},
    {"fields.#.max", OPT_STRING, NULL, NULL, false,
     "largest random value of a numeric column (default: the type's maximum)"},
    {"fields.#.max-past", OPT_DURATION, "0", NULL, false,
     "random time columns are now minus up to this much"},
    {"fields.#.length", OPT_INT, "100", NULL, false,
     "length of random strings and bytes (capped at the type's length); size of "
     "collections (3 when not set)"},
    {"fields.#.var-len", OPT_BOOL, "false", NULL, false,
     "random strings get a random length from 1 to 'length'"},
    {"fields.#.start", OPT_INT, NULL, NULL, false, "first value of a sequence"},
    {"fields.#.end", OPT_INT, NULL, NULL, false,
     "last value of a sequence; the table ends when a sequence is exhausted"},
    {"fields.#.null-rate", OPT_DOUBLE, "0", NULL, false,
     "fraction of NULL values, 0 to 1"},
    {"scan.parallelism", OPT_INT, NULL, NULL, false,
     "number of parallel source instances"},
    {NULL},
};

const struct connector_def conn_datagen = {
    .name = "datagen",
    .caps = CONN_SOURCE,
    .options = dg_options,
    .needs_format = false,
    .description = "Generates rows in memory: random values or sequences per column. "
                   "Reproducible: the same job yields the same values on every run "
                   "(time columns excepted, which are 'now' as in Flink).",
    .source_create = dg_source_create,
};
