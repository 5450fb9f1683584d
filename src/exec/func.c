/*
 * func.c — the registry of built-in scalar functions (see func.h) and the bind
 * helpers every fn_*.c module shares (fn_int.h).
 *
 * The registry is the concatenation of one table per module; lookups are a
 * case-insensitive linear scan, which is fine at bind time (~150 names).
 * Native UDFs that `CREATE FUNCTION f AS 'java.Class'` may bind to are listed
 * separately (func_lookup_class): they are not SQL built-ins.
 *
 * Argument conventions the parser/binder must follow for the non-function
 * syntax of some built-ins (symbols are STRING literals holding the keyword in
 * upper case; underscores join multi-word keywords):
 *
 *   TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)  → TRIM('BOTH'|'LEADING'|'TRAILING', chars, s)
 *                                                   (chars ' ' when absent); TRIM(s) also accepted
 *   EXTRACT(unit FROM t)                          → EXTRACT('HOUR', t)   units: MILLENNIUM CENTURY
 *                                                   DECADE YEAR QUARTER MONTH WEEK DAY DOY DOW
 *                                                   ISODOW ISOYEAR HOUR MINUTE SECOND MILLISECOND
 *                                                   MICROSECOND NANOSECOND EPOCH
 *   FLOOR(t TO unit), CEIL(t TO unit)             → FLOOR(t, 'HOUR'), CEIL(t, 'DAY')
 *                                                   units: MILLISECOND SECOND MINUTE HOUR DAY WEEK
 *                                                   MONTH QUARTER YEAR DECADE CENTURY MILLENNIUM
 *   TIMESTAMPADD(unit, n, t)                      → TIMESTAMPADD('HOUR', n, t)
 *   TIMESTAMPDIFF(unit, t1, t2)                   → TIMESTAMPDIFF('DAY', t1, t2)
 *                                                   units (both): MICROSECOND MILLISECOND SECOND
 *                                                   MINUTE HOUR DAY WEEK MONTH QUARTER YEAR
 *                                                   (SQL_TSI_* spellings accepted too)
 *   POSITION(a IN b)                              → POSITION(a, b)
 *   SUBSTRING(s FROM i [FOR n])                   → SUBSTRING(s, i [, n])
 *   s IS [NOT] JSON [VALUE|SCALAR|ARRAY|OBJECT]   → IS_JSON(s [, 'VALUE'|'SCALAR'|'ARRAY'|'OBJECT'])
 *                                                   (NOT applied by the binder around the call)
 *   JSON_VALUE(j, p [RETURNING T] [x ON EMPTY] [y ON ERROR])
 *       → JSON_VALUE(j, p) or JSON_VALUE(j, p, ret) or
 *         JSON_VALUE(j, p, ret, empty_mode, empty_default, error_mode, error_default)
 *         ret: a NULL literal whose type is T (CAST(NULL AS T)); a NULL of type
 *              NULL or STRING means the default STRING
 *         *_mode: 'NULL' | 'ERROR' | 'DEFAULT'; *_default: any expression (NULL
 *                 literal when the mode is not DEFAULT), cast to T by the binder
 *                 as instructed through cast_to
 *   JSON_QUERY(j, p [wrapper] [x ON EMPTY] [y ON ERROR])
 *       → JSON_QUERY(j, p [, wrapper [, empty_mode [, error_mode]]])
 *         wrapper: 'WITHOUT_ARRAY' | 'WITH_CONDITIONAL_ARRAY' | 'WITH_UNCONDITIONAL_ARRAY'
 *         modes:   'NULL' | 'ERROR' | 'EMPTY_ARRAY' | 'EMPTY_OBJECT'
 *   JSON_EXISTS(j, p [x ON ERROR])               → JSON_EXISTS(j, p [, 'TRUE'|'FALSE'|'UNKNOWN'|'ERROR'])
 *   JSON paths may start with 'lax ' (default) or 'strict '.
 */
#include "exec/func.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exec/fn_int.h"

const char fn_hex_upper[16] = "0123456789ABCDEF";
const char fn_hex_lower[16] = "0123456789abcdef";

/* ---- registry -------------------------------------------------------------- */

struct fn_module {
    const struct func_def *defs;
    const int *count;
};

static const struct fn_module modules[] = {
    {fn_math_defs, &fn_math_count},
    {fn_string_defs, &fn_string_count},
    {fn_regex_defs, &fn_regex_count},
    {fn_time_defs, &fn_time_count},
    {fn_json_defs, &fn_json_count},
    {fn_misc_defs, &fn_misc_count},
};
#define N_MODULES ((int)(sizeof(modules) / sizeof(modules[0])))

const struct func_def *func_at(int i)
{
    if (i < 0)
        return NULL;
    for (int m = 0; m < N_MODULES; m++) {
        if (i < *modules[m].count)
            return &modules[m].defs[i];
        i -= *modules[m].count;
    }
    return NULL;
}

const struct func_def *func_lookup(const char *name)
{
    for (int m = 0; m < N_MODULES; m++)
        for (int i = 0; i < *modules[m].count; i++)
            if (strcasecmp(modules[m].defs[i].name, name) == 0)
                return &modules[m].defs[i];
    return NULL;
}

/* Native implementations of Java UDF classes (Nexmark's CountChar). */
extern const struct func_def fn_udf_count_char;

static const struct {
    const char *java_class;
    const struct func_def *def;
} udf_classes[] = {
    {"com.github.nexmark.flink.udf.CountChar", &fn_udf_count_char},
};

const struct func_def *func_lookup_class(const char *java_class)
{
    for (size_t i = 0; i < sizeof(udf_classes) / sizeof(udf_classes[0]); i++)
        if (strcmp(udf_classes[i].java_class, java_class) == 0)
            return udf_classes[i].def;
    return NULL;
}

/* Case-insensitive Levenshtein distance, capped: names are short (< 64). */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = a[i - 1], cb = b[j - 1];
            if (ca >= 'a' && ca <= 'z')
                ca -= 32;
            if (cb >= 'a' && cb <= 'z')
                cb -= 32;
            int d = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            cur[j] = d;
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

const struct func_def *func_suggest(const char *name)
{
    const struct func_def *best = NULL;
    int best_d = 3;
    int len = (int)strlen(name);
    for (int i = 0;; i++) {
        const struct func_def *d = func_at(i);
        if (d == NULL)
            break;
        int e = edit_distance(name, d->name);
        /* A 2-letter name is 2 edits away from every other short name. */
        if (e < best_d && e < len) {
            best = d;
            best_d = e;
        }
    }
    return best;
}

/* ---- dispatch (fn_int.h) ---------------------------------------------------- */

int fn_dispatch_eval(const struct func_call *call, const struct vec *args,
                     const uint16_t *sel, int n, struct vec *out, struct weir_error *err)
{
    const struct fn_dispatch *d = call->state;
    struct func_call inner = *call;
    inner.state = (void *)d;
    return d->eval(&inner, args, sel, n, out, err);
}

struct fn_dispatch *fn_dispatch_set(struct func_bind *fb, func_eval_fn eval, void *state)
{
    struct fn_dispatch *d = arena_calloc(fb->arena, sizeof(*d));
    d->eval = eval;
    d->state = state;
    fb->state = d;
    return d;
}

/* ---- bind helpers (fn_int.h) ------------------------------------------------ */

const char *fn_type_name(struct func_bind *fb, const struct sql_type *t)
{
    if (t->nullable == false || t->time_attr != TA_NONE) {
        struct sql_type *c = arena_alloc(fb->arena, sizeof(*c));
        *c = *t;
        c->nullable = true;
        c->time_attr = TA_NONE;
        t = c;
    }
    return type_to_sql(fb->arena, t);
}

int fn_bind_mismatch(struct func_bind *fb, struct weir_error *err, const char *expected)
{
    char got[512];
    size_t n = 0;
    got[0] = '\0';
    for (int i = 0; i < fb->n_args; i++) {
        const char *tn = fn_type_name(fb, fb->arg_types[i]);
        int w = snprintf(got + n, sizeof(got) - n, "%s%s", i ? ", " : "", tn);
        if (w < 0 || (size_t)w >= sizeof(got) - n)
            break;
        n += (size_t)w;
    }
    return err_set_at(err, WEIR_ERR_BIND, fb->loc, "%s expects %s, got (%s)",
                      fb->def->name, expected, got);
}

int fn_bind_fail(struct func_bind *fb, struct weir_error *err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set_at(err, WEIR_ERR_BIND, fb->loc, "%s: %s", fb->def->name, msg);
}

static const struct sql_type *with_null_of(struct func_bind *fb, int i,
                                           const struct sql_type *t)
{
    return type_with_nullable(fb->arena, t, fb->arg_types[i]->nullable);
}

static bool spec_ok(char c, const struct sql_type *t)
{
    switch (c) {
    case 'S': return type_is_string(t);
    case 'Y': return type_is_string(t) || type_is_binary(t);
    case 'I': return type_is_integer(t);
    case 'N':
    case 'D': return type_is_numeric(t);
    case 'Z': return t->id == T_BOOLEAN;
    case 'T': return type_is_timestamp(t);
    case 'd': return t->id == T_DATE || type_is_timestamp(t);
    case 't': return type_is_temporal(t);
    case '*': return true;
    default: return false;
    }
}

static const struct sql_type *spec_null_type(char c)
{
    switch (c) {
    case 'S':
    case 'Y':
    case '*': return &type_string;
    case 'I': return &type_int;
    case 'N':
    case 'D': return &type_double;
    case 'Z': return &type_boolean;
    default: return &type_timestamp3;
    }
}

int fn_check_args(struct func_bind *fb, struct weir_error *err, const char *spec,
                  const char *expected)
{
    size_t sl = strlen(spec);
    bool rep = sl > 0 && spec[sl - 1] == '+';
    if (rep)
        sl--;
    if (fb->n_args < fb->def->min_args || (!rep && (size_t)fb->n_args > sl) ||
        (fb->def->max_args >= 0 && fb->n_args > fb->def->max_args))
        return fn_bind_mismatch(fb, err, expected);
    for (int i = 0; i < fb->n_args; i++) {
        char c = (size_t)i < sl ? spec[i] : spec[sl - 1];
        const struct sql_type *t = fb->arg_types[i];
        if (t->id == T_NULL) {
            if (fb->cast_to)
                fb->cast_to[i] = spec_null_type(c);
            continue;
        }
        if (!spec_ok(c, t))
            return fn_bind_mismatch(fb, err, expected);
        if (c == 'D' && t->id != T_DOUBLE && fb->cast_to)
            fb->cast_to[i] = with_null_of(fb, i, &type_double);
    }
    return WEIR_OK;
}

bool fn_arg_literal(const struct func_bind *fb, int i, struct value *v)
{
    if (fb->args == NULL || i >= fb->n_args || fb->args[i] == NULL)
        return false;
    return expr_literal_value(fb->args[i], v);
}

bool fn_arg_str_literal(const struct func_bind *fb, int i, struct str *s)
{
    struct value v;
    if (!type_is_string(fb->arg_types[i]) && !type_is_binary(fb->arg_types[i]))
        return false;
    if (!fn_arg_literal(fb, i, &v) || v.is_null)
        return false;
    *s = v.s;
    return true;
}

bool fn_arg_int_literal(const struct func_bind *fb, int i, int64_t *out)
{
    struct value v;
    if (!type_is_integer(fb->arg_types[i]))
        return false;
    if (!fn_arg_literal(fb, i, &v) || v.is_null)
        return false;
    *out = v.i;
    return true;
}

bool fn_arg_null_literal(const struct func_bind *fb, int i)
{
    struct value v;
    if (fb->arg_types[i]->id == T_NULL)
        return true;
    return fn_arg_literal(fb, i, &v) && v.is_null;
}

int fn_arg_symbol(struct func_bind *fb, struct weir_error *err, int i,
                  const char *const *names, int *out)
{
    struct str s;
    if (i < fb->n_args && fn_arg_str_literal(fb, i, &s)) {
        for (int k = 0; names[k] != NULL; k++)
            if (strlen(names[k]) == s.len && strncasecmp(names[k], s.ptr, s.len) == 0) {
                *out = k;
                return WEIR_OK;
            }
    }
    char list[512];
    size_t n = 0;
    list[0] = '\0';
    for (int k = 0; names[k] != NULL && n < sizeof(list) - 64; k++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", k ? ", " : "", names[k]);
    if (i < fb->n_args && fn_arg_str_literal(fb, i, &s))
        return err_set_at(err, WEIR_ERR_BIND, fb->loc,
                          "%s: argument %d must be one of %s, got '%.*s'",
                          fb->def->name, i + 1, list, (int)s.len, s.ptr);
    return err_set_at(err, WEIR_ERR_BIND, fb->loc,
                      "%s: argument %d must be one of %s", fb->def->name, i + 1, list);
}

bool fn_args_nullable(const struct func_bind *fb)
{
    for (int i = 0; i < fb->n_args; i++)
        if (fb->arg_types[i]->nullable)
            return true;
    return false;
}

const struct sql_type *fn_result(struct func_bind *fb, const struct sql_type *t,
                                 bool may_be_null)
{
    return type_with_nullable(fb->arena, t, may_be_null || fn_args_nullable(fb));
}
