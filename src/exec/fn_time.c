/*
 * fn_time.c — temporal functions (SQL.md f.4): DATE_FORMAT, TO_TIMESTAMP,
 * TO_TIMESTAMP_LTZ, TO_DATE, FROM_UNIXTIME, UNIX_TIMESTAMP, EXTRACT and its
 * shorthands (YEAR ... SECOND), FLOOR/CEIL(t TO unit), TIMESTAMPADD,
 * TIMESTAMPDIFF, CURRENT_TIMESTAMP & co, CONVERT_TZ.
 *
 * All calendar work is core/datetime.h's; this file binds types and runs the
 * loops.  TIMESTAMP values are wall clocks; TIMESTAMP_LTZ values are instants
 * that are turned into session-zone wall clocks (dt_ltz_to_local) wherever a
 * calendar field is read, as Flink does with table.local-time-zone.  Unit and
 * mode keywords arrive as upper-case STRING literals (see func.c).
 */
#include <stdlib.h>
#include <strings.h>

#include "core/datetime.h"
#include "core/decimal.h"
#include "exec/fn_int.h"

/* How a temporal argument becomes a wall clock. */
enum tkind { TK_TS, TK_LTZ, TK_DATE, TK_TIME };

static enum tkind tkind_of(const struct sql_type *t)
{
    switch (t->id) {
    case T_TIMESTAMP_LTZ: return TK_LTZ;
    case T_DATE: return TK_DATE;
    case T_TIME: return TK_TIME;
    default: return TK_TS;
    }
}

static inline int64_t to_wall(enum tkind k, int64_t v)
{
    switch (k) {
    case TK_LTZ: return dt_ltz_to_local(v);
    case TK_DATE: return v * DT_US_PER_DAY;
    default: return v;
    }
}

static const struct sql_type *ts3_nullable(struct func_bind *fb, enum type_id id, int p,
                                           bool nullable)
{
    return type_with_nullable(fb->arena, type_timestamp(fb->arena, id, p), nullable);
}

/* Compiles the pattern of argument i when it is a literal; *pat stays NULL
 * otherwise.  A bad literal pattern is a bind error. */
static int bind_pattern(struct func_bind *fb, struct weir_error *err, int i,
                        struct dt_pattern **pat)
{
    struct str s;
    *pat = NULL;
    if (i >= fb->n_args || !fn_arg_str_literal(fb, i, &s))
        return WEIR_OK;
    struct weir_error e2 = {0};
    if (dt_pattern_compile(fb->arena, s.ptr, s.len, pat, &e2) != WEIR_OK) {
        int rc = fn_bind_fail(fb, err, "bad date pattern '%.*s': %s", (int)s.len, s.ptr,
                              e2.message ? e2.message : "invalid");
        err_clear(&e2);
        return rc;
    }
    return WEIR_OK;
}

/* The row's pattern: the bind-time one or a compile of the row's text into the
 * batch arena (NULL when it does not compile). */
static const struct dt_pattern *row_pattern(const struct dt_pattern *lit, const struct vec *v,
                                            int i, struct arena *a)
{
    if (lit != NULL)
        return lit;
    struct dt_pattern *p;
    if (dt_pattern_compile(a, v->s[i].ptr, v->s[i].len, &p, NULL) != WEIR_OK)
        return NULL;
    return p;
}

static struct dt_pattern *default_pattern(struct arena *a)
{
    struct dt_pattern *p = NULL;
    static const char fmt[] = "yyyy-MM-dd HH:mm:ss";
    dt_pattern_compile(a, fmt, sizeof(fmt) - 1, &p, NULL);
    return p;
}

/* ---- DATE_FORMAT -------------------------------------------------------------- */

struct fmt_state {
    struct dt_pattern *pat;     /* literal pattern, or NULL */
    enum tkind kind;            /* of argument 0 (TK_TS for strings: parsed) */
    bool from_string;
    int64_t resolution;         /* DATE_FORMAT: dt_pattern_resolution of pat */
};

static int bind_date_format(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp = "(TIMESTAMP | STRING, STRING)";
    if (fb->n_args != 2)
        return fn_bind_mismatch(fb, err, exp);
    const struct sql_type *t = fb->arg_types[0];
    bool str = type_is_string(t);
    int rc = fn_check_args(fb, err, str ? "SS" : "tS", exp);
    if (rc)
        return rc;
    if (t->id == T_TIME)
        return fn_bind_mismatch(fb, err, exp);
    struct fmt_state *st = arena_calloc(fb->arena, sizeof(*st));
    if ((rc = bind_pattern(fb, err, 1, &st->pat)))
        return rc;
    st->from_string = str;
    st->kind = t->id == T_NULL ? TK_TS : tkind_of(t);
    st->resolution = st->pat ? dt_pattern_resolution(st->pat) : 0;
    fb->state = st;
    fb->result = fn_result(fb, &type_string, str);
    return WEIR_OK;
}

static int eval_date_format(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fmt_state *st = call->state;
    char buf[256];
    /* Rows in time order mostly repeat the previous row's text (Nexmark
     * q15/q16 format days and minutes): a row in the same span of the
     * pattern's resolution shares the previous row's bytes (a fifth of
     * those queries' CPU went to formatting). */
    bool reuse = st->resolution > 0 && !st->from_string && st->kind != TK_LTZ;
    int64_t last_span = INT64_MIN;
    const char *last = NULL;
    size_t last_n = 0;
    FN_FOREACH(i) {
        int64_t wall = 0;
        int32_t off = 0;
        bool parsed = true;
        if (st->from_string) {
            struct str s = args[0].s[i];
            parsed = dt_parse_timestamp(s.ptr, s.len, &wall);
        } else {
            int64_t v = args[0].i64[i];
            wall = to_wall(st->kind, v);
            if (st->kind == TK_LTZ)
                off = dt_zone_offset_at(dt_floor_div(v, DT_US_PER_SEC));
        }
        if (reuse) {
            int64_t span = dt_floor_div(wall, st->resolution);
            if (last != NULL && span == last_span) {
                fn_set_str(out, i, last, last_n);
                fn_set_valid(out, i);
                continue;
            }
            last_span = span;
        }
        const struct dt_pattern *p = parsed ? row_pattern(st->pat, &args[1], i, out->arena) : NULL;
        if (p == NULL) {
            fn_set_null(out, i);
            last = NULL;
            continue;
        }
        size_t n = dt_pattern_format(p, wall, off, buf, sizeof buf);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        char *o = fn_out_alloc(out, n);
        memcpy(o, buf, n);
        fn_set_str(out, i, o, n);
        fn_set_valid(out, i);
        last = o;
        last_n = n;
    }
    return WEIR_OK;
}

/* ---- TO_TIMESTAMP, TO_DATE ---------------------------------------------------------- */

static int bind_to_timestamp(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS", "(STRING[, STRING])");
    if (rc)
        return rc;
    struct fmt_state *st = arena_calloc(fb->arena, sizeof(*st));
    if ((rc = bind_pattern(fb, err, 1, &st->pat)))
        return rc;
    fb->state = st;
    fb->result = ts3_nullable(fb, T_TIMESTAMP, 3, true);
    return WEIR_OK;
}

/* Parses with the pattern; an offset in the text converts to UTC. */
static bool parse_with(const struct dt_pattern *p, struct str s, int64_t *wall)
{
    bool has_off;
    int32_t off;
    if (!dt_pattern_parse(p, s.ptr, s.len, wall, &has_off, &off))
        return false;
    if (has_off)
        *wall -= (int64_t)off * DT_US_PER_SEC;
    return true;
}

/* NULL when the text does not parse (Flink returns null). */
static int eval_to_timestamp(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fmt_state *st = call->state;
    bool with_fmt = call->n_args == 2;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        int64_t w;
        bool ok;
        if (!with_fmt) {
            ok = dt_parse_timestamp(s.ptr, s.len, &w);
        } else {
            const struct dt_pattern *p = row_pattern(st->pat, &args[1], i, out->arena);
            ok = p != NULL && parse_with(p, s, &w);
        }
        if (!ok) {
            fn_set_null(out, i);
            continue;
        }
        out->i64[i] = w - dt_floor_mod(w, DT_US_PER_MS);   /* TIMESTAMP(3) */
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

static int bind_to_date(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS", "(STRING[, STRING])");
    if (rc)
        return rc;
    struct fmt_state *st = arena_calloc(fb->arena, sizeof(*st));
    if ((rc = bind_pattern(fb, err, 1, &st->pat)))
        return rc;
    fb->state = st;
    fb->result = type_with_nullable(fb->arena, &type_date, true);
    return WEIR_OK;
}

static int eval_to_date(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fmt_state *st = call->state;
    bool with_fmt = call->n_args == 2;
    FN_FOREACH(i) {
        struct str s = args[0].s[i];
        int64_t d = 0, w;
        bool ok;
        if (!with_fmt) {
            ok = dt_cast_parse_date(s.ptr, s.len, &d);
        } else {
            const struct dt_pattern *p = row_pattern(st->pat, &args[1], i, out->arena);
            ok = p != NULL && parse_with(p, s, &w);
            if (ok)
                d = dt_ts_date(w);
        }
        if (!ok) {
            fn_set_null(out, i);
            continue;
        }
        out->i64[i] = d;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

/* ---- TO_TIMESTAMP_LTZ ------------------------------------------------------------------ */

/* Flink's bounds: 0000-01-01T00:00:00 .. 9999-12-31T23:59:59.999 in millis. */
#define MIN_EPOCH_MILLIS (-62167219200000LL)
#define MAX_EPOCH_MILLIS 253402300799999LL

/* A precision that is not a literal: 0 or 3 per row, else NULL. */
static int ltz_row_precision(const struct vec *args, int i)
{
    int64_t p = args[1].i64[i];
    return p == 0 || p == 3 ? (int)p : -1;
}

static int ltz_from_i(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    FN_FOREACH(i) {
        int p = d->aux >= 0 ? d->aux : ltz_row_precision(args, i);
        if (p < 0) {
            fn_set_null(out, i);
            continue;
        }
        int64_t mul = p == 0 ? 1000 : 1;   /* to millis */
        int64_t v = args[0].i64[i];
        if (v < MIN_EPOCH_MILLIS / mul || v > MAX_EPOCH_MILLIS / mul) {
            fn_set_null(out, i);
            continue;
        }
        out->i64[i] = v * mul * DT_US_PER_MS;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

static int ltz_from_f(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    FN_FOREACH(i) {
        int p = d->aux >= 0 ? d->aux : ltz_row_precision(args, i);
        if (p < 0) {
            fn_set_null(out, i);
            continue;
        }
        double v = args[0].f64[i] * (p == 0 ? 1000.0 : 1.0);
        if (!(v >= (double)MIN_EPOCH_MILLIS && v <= (double)MAX_EPOCH_MILLIS)) {
            fn_set_null(out, i);
            continue;
        }
        out->i64[i] = (int64_t)v * DT_US_PER_MS;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

static int ltz_from_d(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    int s = d->aux2;
    FN_FOREACH(i) {
        int p = d->aux >= 0 ? d->aux : ltz_row_precision(args, i);
        if (p < 0) {
            fn_set_null(out, i);
            continue;
        }
        __int128 ms = args[0].i128[i] * (p == 0 ? 1000 : 1) / dec_pow10[s];   /* toward 0 */
        if (ms < MIN_EPOCH_MILLIS || ms > MAX_EPOCH_MILLIS) {
            fn_set_null(out, i);
            continue;
        }
        out->i64[i] = (int64_t)ms * DT_US_PER_MS;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

static int bind_to_timestamp_ltz(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "NI", "(NUMERIC[, INT precision])");
    if (rc)
        return rc;
    int64_t p = 3;
    bool lit = fb->n_args < 2 || fn_arg_int_literal(fb, 1, &p);
    if (!lit)
        p = -1;   /* checked per row */
    else if (p != 0 && p != 3)
        return fn_bind_fail(fb, err,
                            "the precision value '%lld' is unsupported, the supported value "
                            "is '0' for second or '3' for millisecond", (long long)p);
    const struct sql_type *t = fb->arg_types[0];
    if (t->id == T_NULL)
        t = fb->cast_to[0] = &type_bigint;
    func_eval_fn f = type_lane(t) == LANE_I64 ? ltz_from_i
                     : type_lane(t) == LANE_F64 ? ltz_from_f : ltz_from_d;
    struct fn_dispatch *d = fn_dispatch_set(fb, f, NULL);
    d->aux = (int)p;
    d->aux2 = t->scale;
    fb->result = ts3_nullable(fb, T_TIMESTAMP_LTZ, 3, true);
    return WEIR_OK;
}

/* ---- FROM_UNIXTIME, UNIX_TIMESTAMP ------------------------------------------------------ */

static int bind_from_unixtime(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "IS", "(BIGINT[, STRING])");
    if (rc)
        return rc;
    struct fmt_state *st = arena_calloc(fb->arena, sizeof(*st));
    if ((rc = bind_pattern(fb, err, 1, &st->pat)))
        return rc;
    if (fb->n_args == 1)
        st->pat = default_pattern(fb->arena);
    fb->state = st;
    fb->result = fn_result(fb, &type_string, false);
    return WEIR_OK;
}

static int eval_from_unixtime(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fmt_state *st = call->state;
    char buf[256];
    FN_FOREACH(i) {
        const struct dt_pattern *p = row_pattern(st->pat, &args[1], i, out->arena);
        if (p == NULL) {
            fn_set_null(out, i);
            continue;
        }
        int64_t secs = args[0].i64[i];
        int64_t wall = dt_ltz_to_local(secs * DT_US_PER_SEC);
        size_t n = dt_pattern_format(p, wall, dt_zone_offset_at(secs), buf, sizeof buf);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        char *o = fn_out_alloc(out, n);
        memcpy(o, buf, n);
        fn_set_str(out, i, o, n);
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

static int bind_unix_timestamp(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SS", "([STRING[, STRING]])");
    if (rc)
        return rc;
    struct fmt_state *st = arena_calloc(fb->arena, sizeof(*st));
    if ((rc = bind_pattern(fb, err, 1, &st->pat)))
        return rc;
    if (fb->n_args == 1)
        st->pat = default_pattern(fb->arena);
    fb->state = st;
    fb->result = fn_result(fb, &type_bigint, false);
    return WEIR_OK;
}

/* UNIX_TIMESTAMP(): now; UNIX_TIMESTAMP(s[, fmt]): parsed in the session zone
 * (unless the text carries an offset); unparseable → Long.MIN_VALUE. */
static int eval_unix_timestamp(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fmt_state *st = call->state;
    if (call->n_args == 0) {
        int64_t now = dt_floor_div(dt_now_us(), DT_US_PER_SEC);
        FN_FOREACH(i) out->i64[i] = now;
        return WEIR_OK;
    }
    FN_FOREACH(i) {
        const struct dt_pattern *p = row_pattern(st->pat, &args[1], i, out->arena);
        struct str s = args[0].s[i];
        int64_t wall;
        bool has_off;
        int32_t off;
        if (p == NULL || !dt_pattern_parse(p, s.ptr, s.len, &wall, &has_off, &off)) {
            out->i64[i] = INT64_MIN;
            continue;
        }
        int64_t inst = has_off ? wall - (int64_t)off * DT_US_PER_SEC : dt_local_to_ltz(wall);
        out->i64[i] = dt_floor_div(inst, DT_US_PER_SEC);
    }
    return WEIR_OK;
}

/* ---- EXTRACT and shorthands -------------------------------------------------------------- */

struct extract_state {
    enum dt_unit unit;
    enum tkind kind;
};

static int extract_any(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    const struct extract_state *st = d->state;
    const struct vec *t = &args[call->n_args - 1];
    enum dt_unit u = st->unit;
    switch (st->kind) {
    case TK_DATE:
        FN_FOREACH(i) out->i64[i] = dt_extract_date(u, t->i64[i]);
        break;
    case TK_TIME:
        FN_FOREACH(i) out->i64[i] = dt_extract_time(u, t->i64[i]);
        break;
    case TK_LTZ:
        FN_FOREACH(i) out->i64[i] = dt_extract_ts(u, dt_ltz_to_local(t->i64[i]));
        break;
    default:
        FN_FOREACH(i) out->i64[i] = dt_extract_ts(u, t->i64[i]);
        break;
    }
    return WEIR_OK;
}

/* HOUR/MINUTE/SECOND of a TIMESTAMP: the hot Nexmark case (q14), inline. */
static int extract_ts_hms(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    const struct extract_state *st = d->state;
    const int64_t *t = args[call->n_args - 1].i64;
    int64_t div = st->unit == DT_HOUR ? DT_US_PER_HOUR
                  : st->unit == DT_MINUTE ? DT_US_PER_MIN : DT_US_PER_SEC;
    int64_t mod = st->unit == DT_HOUR ? 24 : 60;
    FN_FOREACH(i) out->i64[i] = dt_floor_mod(dt_floor_div(t[i], div), mod);
    return WEIR_OK;
}

static int bind_extract_unit(struct func_bind *fb, struct weir_error *err, enum dt_unit u,
                             int t_arg, const char *exp)
{
    const struct sql_type *t = fb->arg_types[t_arg];
    if (t->id == T_NULL)
        t = fb->cast_to[t_arg] = &type_timestamp3;
    if (!type_is_temporal(t))
        return fn_bind_mismatch(fb, err, exp);
    bool time_unit = u <= DT_HOUR || u == DT_EPOCH;
    bool date_unit = !time_unit || u == DT_EPOCH;
    if ((t->id == T_DATE && !date_unit) || (t->id == T_TIME && !time_unit))
        return fn_bind_fail(fb, err, "cannot extract %s from %s", dt_unit_name(u),
                            fn_type_name(fb, t));
    struct extract_state *st = arena_calloc(fb->arena, sizeof(*st));
    st->unit = u;
    st->kind = tkind_of(t);
    bool fast = st->kind == TK_TS && (u == DT_HOUR || u == DT_MINUTE || u == DT_SECOND);
    fn_dispatch_set(fb, fast ? extract_ts_hms : extract_any, st);
    fb->result = fn_result(fb, &type_bigint, false);
    return WEIR_OK;
}

static int bind_extract(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp = "('unit', DATE | TIME | TIMESTAMP | TIMESTAMP_LTZ)";
    if (fb->n_args != 2)
        return fn_bind_mismatch(fb, err, exp);
    struct str s;
    enum dt_unit u;
    if (!fn_arg_str_literal(fb, 0, &s) || !dt_unit_parse(s.ptr, s.len, &u))
        return fn_bind_fail(fb, err, "argument 1 must be a time unit (YEAR, MONTH, DAY, "
                                     "HOUR, MINUTE, SECOND, ...)");
    return bind_extract_unit(fb, err, u, 1, exp);
}

/* YEAR(t), QUARTER, MONTH, WEEK, DAYOFYEAR, DAYOFMONTH, DAYOFWEEK, HOUR,
 * MINUTE, SECOND: EXTRACT with the unit fixed by the name. */
static int bind_extract_short(struct func_bind *fb, struct weir_error *err)
{
    static const struct {
        const char *name;
        enum dt_unit u;
    } map[] = {
        {"YEAR", DT_YEAR},      {"QUARTER", DT_QUARTER}, {"MONTH", DT_MONTH},
        {"WEEK", DT_WEEK},      {"DAYOFYEAR", DT_DOY},   {"DAYOFMONTH", DT_DAY},
        {"DAYOFWEEK", DT_DOW},  {"HOUR", DT_HOUR},       {"MINUTE", DT_MINUTE},
        {"SECOND", DT_SECOND},
    };
    if (fb->n_args != 1)
        return fn_bind_mismatch(fb, err, "(DATE | TIME | TIMESTAMP)");
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        if (strcmp(map[k].name, fb->def->name) == 0)
            return bind_extract_unit(fb, err, map[k].u, 0, "(DATE | TIME | TIMESTAMP)");
    return fn_bind_fail(fb, err, "internal: unknown shorthand");
}

/* ---- FLOOR/CEIL(t TO unit) ------------------------------------------------------------- */

static int floor_ts(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    enum dt_unit u = (enum dt_unit)d->aux;
    bool ceil = d->aux2 & 1;
    enum tkind k = (enum tkind)(d->aux2 >> 1);
    const int64_t *t = args[0].i64;
    switch (k) {
    case TK_DATE:
        FN_FOREACH(i) out->i64[i] = u < DT_DAY ? t[i]
                                    : ceil ? dt_ceil_date(u, t[i]) : dt_floor_date(u, t[i]);
        break;
    case TK_LTZ:
        FN_FOREACH(i) {
            int64_t w = dt_ltz_to_local(t[i]);
            out->i64[i] = dt_local_to_ltz(ceil ? dt_ceil_ts(u, w) : dt_floor_ts(u, w));
        }
        break;
    default:
        /* TIME: the same arithmetic on micros of day (day 0) */
        FN_FOREACH(i) out->i64[i] = ceil ? dt_ceil_ts(u, t[i]) : dt_floor_ts(u, t[i]);
        break;
    }
    return WEIR_OK;
}

int fn_bind_floor_ceil_time(struct func_bind *fb, struct weir_error *err, bool ceil)
{
    static const char *exp = "(DATE | TIME | TIMESTAMP | TIMESTAMP_LTZ, 'unit')";
    if (fb->n_args != 2 || !type_is_temporal(fb->arg_types[0]))
        return fn_bind_mismatch(fb, err, exp);
    struct str s;
    enum dt_unit u;
    if (!fn_arg_str_literal(fb, 1, &s) || !dt_unit_parse(s.ptr, s.len, &u) ||
        u < DT_MILLISECOND || u > DT_MILLENNIUM)
        return fn_bind_fail(fb, err, "argument 2 must be a time unit (MILLISECOND ... "
                                     "MILLENNIUM)");
    const struct sql_type *t = fb->arg_types[0];
    struct fn_dispatch *d = fn_dispatch_set(fb, floor_ts, NULL);
    d->aux = (int)u;
    d->aux2 = (ceil ? 1 : 0) | ((int)tkind_of(t) << 1);
    fb->result = fn_result(fb, t, false);
    return WEIR_OK;
}

/* ---- TIMESTAMPADD, TIMESTAMPDIFF ----------------------------------------------------------- */

static bool tsadd_unit(struct func_bind *fb, int i, enum dt_unit *u)
{
    struct str s;
    if (!fn_arg_str_literal(fb, i, &s) || !dt_unit_parse(s.ptr, s.len, u))
        return false;
    return *u >= DT_MICROSECOND && *u <= DT_YEAR;
}

static int tsadd(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    enum dt_unit u = (enum dt_unit)d->aux;
    enum tkind k = (enum tkind)d->aux2;
    bool to_ts = call->result->id == T_TIMESTAMP && k == TK_DATE;
    FN_FOREACH(i) {
        int64_t n_units = args[1].i64[i], v = args[2].i64[i], r;
        bool ok;
        switch (k) {
        case TK_DATE:
            ok = dt_ts_add(u, n_units, v * DT_US_PER_DAY, &r);
            if (ok && !to_ts)
                r = dt_ts_date(r);
            break;
        case TK_TIME:
            ok = dt_ts_add(u, n_units, v, &r);
            r = dt_floor_mod(r, DT_US_PER_DAY);
            break;
        case TK_LTZ:
            if (u <= DT_WEEK) {
                ok = dt_ts_add(u, n_units, v, &r);   /* fixed durations on the instant */
            } else {
                ok = dt_ts_add(u, n_units, dt_ltz_to_local(v), &r);
                if (ok)
                    r = dt_local_to_ltz(r);
            }
            break;
        default:
            ok = dt_ts_add(u, n_units, v, &r);
            break;
        }
        if (!ok) {
            fn_set_null(out, i);
            continue;
        }
        out->i64[i] = r;
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

static int bind_timestampadd(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp = "('unit', INT, DATE | TIME | TIMESTAMP | TIMESTAMP_LTZ)";
    int rc = fn_check_args(fb, err, "SIt", exp);
    if (rc)
        return rc;
    enum dt_unit u;
    if (!tsadd_unit(fb, 0, &u))
        return fn_bind_fail(fb, err, "argument 1 must be a time unit (MICROSECOND ... YEAR)");
    const struct sql_type *t = fb->arg_types[2];
    if (t->id == T_NULL)
        t = &type_timestamp3;
    enum tkind k = tkind_of(t);
    const struct sql_type *res = t;
    /* Calcite: a DATE plus a sub-day unit is a TIMESTAMP */
    if (k == TK_DATE && u < DT_DAY)
        res = type_timestamp(fb->arena, T_TIMESTAMP,
                             u == DT_MICROSECOND ? 6 : u == DT_MILLISECOND ? 3 : 0);
    struct fn_dispatch *d = fn_dispatch_set(fb, tsadd, NULL);
    d->aux = (int)u;
    d->aux2 = (int)k;
    fb->result = fn_result(fb, res, true);
    return WEIR_OK;
}

static int tsdiff(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    enum dt_unit u = (enum dt_unit)d->aux;
    enum tkind k1 = (enum tkind)(d->aux2 & 3), k2 = (enum tkind)(d->aux2 >> 2);
    bool both_ltz = k1 == TK_LTZ && k2 == TK_LTZ;
    FN_FOREACH(i) {
        int64_t a = args[1].i64[i], b = args[2].i64[i];
        if (!(both_ltz && u <= DT_WEEK)) {
            a = to_wall(k1, a);
            b = to_wall(k2, b);
        }
        out->i64[i] = fn_wrap(dt_ts_diff(u, a, b), 32);
    }
    return WEIR_OK;
}

static int bind_timestampdiff(struct func_bind *fb, struct weir_error *err)
{
    static const char *exp = "('unit', temporal, temporal)";
    int rc = fn_check_args(fb, err, "Stt", exp);
    if (rc)
        return rc;
    enum dt_unit u;
    if (!tsadd_unit(fb, 0, &u))
        return fn_bind_fail(fb, err, "argument 1 must be a time unit (MICROSECOND ... YEAR)");
    enum tkind k1 = fb->arg_types[1]->id == T_NULL ? TK_TS : tkind_of(fb->arg_types[1]);
    enum tkind k2 = fb->arg_types[2]->id == T_NULL ? TK_TS : tkind_of(fb->arg_types[2]);
    struct fn_dispatch *d = fn_dispatch_set(fb, tsdiff, NULL);
    d->aux = (int)u;
    d->aux2 = (int)k1 | ((int)k2 << 2);
    fb->result = fn_result(fb, &type_int, false);
    return WEIR_OK;
}

/* ---- CURRENT_TIMESTAMP & co ---------------------------------------------------------------- */

enum now_kind { NOW_LTZ, NOW_LOCAL_TS, NOW_DATE, NOW_TIME };

static int bind_now(struct func_bind *fb, struct weir_error *err)
{
    if (fb->n_args != 0)
        return fn_bind_mismatch(fb, err, "()");
    const char *nm = fb->def->name;
    enum now_kind k;
    const struct sql_type *t;
    if (strcmp(nm, "LOCALTIMESTAMP") == 0) {
        k = NOW_LOCAL_TS;
        t = &type_timestamp3;
    } else if (strcmp(nm, "CURRENT_DATE") == 0) {
        k = NOW_DATE;
        t = &type_date;
    } else if (strcmp(nm, "CURRENT_TIME") == 0 || strcmp(nm, "LOCALTIME") == 0) {
        k = NOW_TIME;
        t = &type_time0;
    } else {
        k = NOW_LTZ;
        t = &type_timestamp_ltz3;
    }
    fn_dispatch_set(fb, NULL, NULL)->aux = (int)k;
    fb->result = type_with_nullable(fb->arena, t, false);
    return WEIR_OK;
}

/* One clock read per batch: rows of a batch arrive together. */
static int eval_now(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct fn_dispatch *d = call->state;
    int64_t now = dt_now_us();
    now -= dt_floor_mod(now, DT_US_PER_MS);
    int64_t v;
    switch ((enum now_kind)d->aux) {
    case NOW_LOCAL_TS: v = dt_ltz_to_local(now); break;
    case NOW_DATE: v = dt_ts_date(dt_ltz_to_local(now)); break;
    case NOW_TIME: {
        int64_t t = dt_ts_time(dt_ltz_to_local(now));
        v = t - t % DT_US_PER_SEC;   /* TIME(0) */
        break;
    }
    default: v = now; break;
    }
    FN_FOREACH(i) out->i64[i] = v;
    return WEIR_OK;
}

/* ---- CONVERT_TZ --------------------------------------------------------------------------- */

/*
 * Fixed-offset zone ids only: "UTC", "GMT", "UT", "Z", "+08:00", "-0530",
 * "GMT+8", "UTC-03:00".  Region ids (Asia/Shanghai) need a per-zone offset
 * lookup that core/datetime.h does not offer yet (it only keeps the session
 * zone); they are rejected at bind time when literal, NULL per row otherwise.
 */
static bool fixed_zone(struct str z, int32_t *off)
{
    const char *p = z.ptr, *e = z.ptr + z.len;
    if (e - p >= 3 && (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0))
        p += 3;
    else if (e - p >= 2 && strncasecmp(p, "UT", 2) == 0)
        p += 2;
    else if (e - p == 1 && (*p == 'Z' || *p == 'z'))
        p++;
    if (p == e) {
        *off = 0;
        return true;
    }
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1;
    int h = 0, m = 0, nd = 0;
    while (p < e && *p >= '0' && *p <= '9' && nd < 2) {
        h = h * 10 + (*p++ - '0');
        nd++;
    }
    if (nd == 0)
        return false;
    if (p < e && *p == ':')
        p++;
    nd = 0;
    while (p < e && *p >= '0' && *p <= '9' && nd < 2) {
        m = m * 10 + (*p++ - '0');
        nd++;
    }
    if (p != e || h > 18 || m > 59)
        return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

struct tz_state {
    bool from_lit, to_lit;
    int32_t from_off, to_off;
    struct dt_pattern *pat;
};

static int bind_convert_tz(struct func_bind *fb, struct weir_error *err)
{
    int rc = fn_check_args(fb, err, "SSS", "(STRING, STRING from_tz, STRING to_tz)");
    if (rc)
        return rc;
    struct tz_state *st = arena_calloc(fb->arena, sizeof(*st));
    struct str z;
    for (int k = 1; k <= 2; k++) {
        if (!fn_arg_str_literal(fb, k, &z))
            continue;
        int32_t off;
        if (!fixed_zone(z, &off))
            return err_set_at(err, WEIR_ERR_UNSUPPORTED, fb->loc,
                              "CONVERT_TZ: time zone '%.*s' is not supported yet (only UTC/GMT "
                              "and fixed offsets like '+08:00')", (int)z.len, z.ptr);
        if (k == 1) {
            st->from_lit = true;
            st->from_off = off;
        } else {
            st->to_lit = true;
            st->to_off = off;
        }
    }
    st->pat = default_pattern(fb->arena);
    fb->state = st;
    fb->result = fn_result(fb, &type_string, true);
    return WEIR_OK;
}

static int eval_convert_tz(FN_EVAL_ARGS)
{
    FN_UNUSED_EVAL_ARGS;
    const struct tz_state *st = call->state;
    char buf[64];
    FN_FOREACH(i) {
        int32_t fo = st->from_off, to = st->to_off;
        int64_t w;
        if ((!st->from_lit && !fixed_zone(args[1].s[i], &fo)) ||
            (!st->to_lit && !fixed_zone(args[2].s[i], &to)) ||
            !dt_pattern_parse(st->pat, args[0].s[i].ptr, args[0].s[i].len, &w, &(bool){0},
                              &(int32_t){0})) {
            fn_set_null(out, i);
            continue;
        }
        w += (int64_t)(to - fo) * DT_US_PER_SEC;
        size_t n = dt_pattern_format(st->pat, w, to, buf, sizeof buf);
        char *o = fn_out_alloc(out, n);
        memcpy(o, buf, n);
        fn_set_str(out, i, o, n);
        fn_set_valid(out, i);
    }
    return WEIR_OK;
}

/* ---- table ------------------------------------------------------------------------------ */

#define S FN_STRICT
#define SHORT(nm) {nm, 1, 1, S, bind_extract_short, fn_dispatch_eval, NULL, nm "(temporal)"}
#define NOW(nm) {nm, 0, 0, FN_NONDETERMINISTIC, bind_now, eval_now, NULL, nm "()"}
const struct func_def fn_time_defs[] = {
    {"DATE_FORMAT", 2, 2, S, bind_date_format, eval_date_format, NULL,
     "DATE_FORMAT(TIMESTAMP | STRING, STRING pattern)"},
    {"TO_TIMESTAMP", 1, 2, S, bind_to_timestamp, eval_to_timestamp, NULL,
     "TO_TIMESTAMP(STRING[, STRING pattern])"},
    {"TO_TIMESTAMP_LTZ", 1, 2, S, bind_to_timestamp_ltz, fn_dispatch_eval, NULL,
     "TO_TIMESTAMP_LTZ(NUMERIC, INT precision)"},
    {"TO_DATE", 1, 2, S, bind_to_date, eval_to_date, NULL, "TO_DATE(STRING[, STRING pattern])"},
    {"FROM_UNIXTIME", 1, 2, S, bind_from_unixtime, eval_from_unixtime, NULL,
     "FROM_UNIXTIME(BIGINT seconds[, STRING pattern])"},
    {"UNIX_TIMESTAMP", 0, 2, S | FN_NONDETERMINISTIC, bind_unix_timestamp, eval_unix_timestamp,
     NULL, "UNIX_TIMESTAMP([STRING[, STRING pattern]])"},
    {"EXTRACT", 2, 2, S | FN_CONST_ARGS, bind_extract, fn_dispatch_eval, NULL,
     "EXTRACT('unit', temporal)"},
    SHORT("YEAR"),
    SHORT("QUARTER"),
    SHORT("MONTH"),
    SHORT("WEEK"),
    SHORT("DAYOFYEAR"),
    SHORT("DAYOFMONTH"),
    SHORT("DAYOFWEEK"),
    SHORT("HOUR"),
    SHORT("MINUTE"),
    SHORT("SECOND"),
    {"TIMESTAMPADD", 3, 3, S | FN_CONST_ARGS, bind_timestampadd, fn_dispatch_eval, NULL,
     "TIMESTAMPADD('unit', INT, temporal)"},
    {"TIMESTAMPDIFF", 3, 3, S | FN_CONST_ARGS, bind_timestampdiff, fn_dispatch_eval, NULL,
     "TIMESTAMPDIFF('unit', temporal, temporal)"},
    NOW("CURRENT_TIMESTAMP"),
    NOW("NOW"),
    NOW("LOCALTIMESTAMP"),
    NOW("CURRENT_DATE"),
    NOW("CURRENT_TIME"),
    NOW("LOCALTIME"),
    NOW("CURRENT_ROW_TIMESTAMP"),
    {"CONVERT_TZ", 3, 3, S, bind_convert_tz, eval_convert_tz, NULL,
     "CONVERT_TZ(STRING, STRING from_tz, STRING to_tz)"},
};
#undef NOW
#undef SHORT
#undef S
const int fn_time_count = (int)(sizeof(fn_time_defs) / sizeof(fn_time_defs[0]));
