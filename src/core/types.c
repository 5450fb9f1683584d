/*
 * types.c — SQL type constructors, predicates and Flink-style type names
 * (see types.h for the physical representation of each type).
 */
#include "core/types.h"

#include <stdio.h>
#include <string.h>

#define SIMPLE(nm, tid, p) \
    const struct sql_type nm = {.id = (tid), .nullable = true, .precision = (p)}
SIMPLE(type_null, T_NULL, 0);
SIMPLE(type_boolean, T_BOOLEAN, 0);
SIMPLE(type_tinyint, T_TINYINT, 0);
SIMPLE(type_smallint, T_SMALLINT, 0);
SIMPLE(type_int, T_INT, 0);
SIMPLE(type_bigint, T_BIGINT, 0);
SIMPLE(type_float, T_FLOAT, 0);
SIMPLE(type_double, T_DOUBLE, 0);
SIMPLE(type_date, T_DATE, 0);
SIMPLE(type_time0, T_TIME, 0);
SIMPLE(type_timestamp3, T_TIMESTAMP, 3);
SIMPLE(type_timestamp_ltz3, T_TIMESTAMP_LTZ, 3);
SIMPLE(type_interval_ym, T_INTERVAL_YM, 0);
SIMPLE(type_interval_dt, T_INTERVAL_DT, 3);
const struct sql_type type_string = {.id = T_VARCHAR, .nullable = true,
                                     .length = TYPE_MAX_LENGTH};
const struct sql_type type_bytes = {.id = T_VARBINARY, .nullable = true,
                                    .length = TYPE_MAX_LENGTH};

int type_int_bits(const struct sql_type *t)
{
    switch (t->id) {
    case T_TINYINT: return 8;
    case T_SMALLINT: return 16;
    case T_INT: return 32;
    case T_BIGINT: return 64;
    default: return 0;
    }
}

bool type_equal(const struct sql_type *a, const struct sql_type *b)
{
    if (a == b)
        return true;
    if (a->id != b->id)
        return false;
    switch (a->id) {
    case T_DECIMAL:
        return a->precision == b->precision && a->scale == b->scale;
    case T_CHAR:
    case T_VARCHAR:
    case T_BINARY:
    case T_VARBINARY:
        return a->length == b->length;
    case T_TIME:
    case T_TIMESTAMP:
    case T_TIMESTAMP_LTZ:
        return a->precision == b->precision;
    case T_ARRAY:
        return type_equal(a->elem, b->elem);
    case T_MAP:
        return type_equal(a->elem, b->elem) && type_equal(a->value, b->value);
    case T_ROW:
        if (a->n_fields != b->n_fields)
            return false;
        for (int i = 0; i < a->n_fields; i++)
            if (strcmp(a->field_names[i], b->field_names[i]) != 0 ||
                !type_equal(a->field_types[i], b->field_types[i]))
                return false;
        return true;
    default:
        return true;
    }
}

struct sql_type *type_new(struct arena *a, enum type_id id)
{
    struct sql_type *t = arena_calloc(a, sizeof(*t));
    t->id = (uint8_t)id;
    t->nullable = true;
    if (id == T_VARCHAR || id == T_VARBINARY)
        t->length = TYPE_MAX_LENGTH;
    else if (id == T_CHAR || id == T_BINARY)
        t->length = 1;
    else if (id == T_DECIMAL) {
        t->precision = 10;
        t->scale = 0;
    } else if (id == T_TIMESTAMP || id == T_TIMESTAMP_LTZ)
        t->precision = 6;
    return t;
}

const struct sql_type *type_decimal(struct arena *a, int p, int s)
{
    struct sql_type *t = type_new(a, T_DECIMAL);
    t->precision = p;
    t->scale = s;
    return t;
}

const struct sql_type *type_varchar(struct arena *a, int n)
{
    struct sql_type *t = type_new(a, T_VARCHAR);
    t->length = n;
    return t;
}

const struct sql_type *type_char(struct arena *a, int n)
{
    struct sql_type *t = type_new(a, T_CHAR);
    t->length = n;
    return t;
}

const struct sql_type *type_timestamp(struct arena *a, enum type_id id, int p)
{
    struct sql_type *t = type_new(a, id);
    t->precision = p;
    return t;
}

const struct sql_type *type_with_nullable(struct arena *a, const struct sql_type *t,
                                          bool nullable)
{
    if (t->nullable == nullable)
        return t;
    struct sql_type *c = arena_alloc(a, sizeof(*c));
    *c = *t;
    c->nullable = nullable;
    return c;
}

const struct sql_type *type_with_time_attr(struct arena *a, const struct sql_type *t,
                                           enum time_attr ta)
{
    if (t->time_attr == ta)
        return t;
    struct sql_type *c = arena_alloc(a, sizeof(*c));
    *c = *t;
    c->time_attr = (uint8_t)ta;
    return c;
}

void type_decimal_of(const struct sql_type *t, int *p, int *s)
{
    *s = 0;
    switch (t->id) {
    case T_TINYINT: *p = 3; break;
    case T_SMALLINT: *p = 5; break;
    case T_INT: *p = 10; break;
    case T_BIGINT: *p = 19; break;
    case T_DECIMAL:
        *p = t->precision;
        *s = t->scale;
        break;
    default: *p = 38; break;
    }
}

static void put(char *buf, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l < cap) {
        memcpy(buf + *n, s, l);
        *n += l;
        buf[*n] = '\0';
    }
}

static void type_fmt(char *buf, size_t cap, size_t *n, const struct sql_type *t)
{
    char tmp[64];
    switch (t->id) {
    case T_NULL: put(buf, cap, n, "NULL"); break;
    case T_BOOLEAN: put(buf, cap, n, "BOOLEAN"); break;
    case T_TINYINT: put(buf, cap, n, "TINYINT"); break;
    case T_SMALLINT: put(buf, cap, n, "SMALLINT"); break;
    case T_INT: put(buf, cap, n, "INT"); break;
    case T_BIGINT: put(buf, cap, n, "BIGINT"); break;
    case T_FLOAT: put(buf, cap, n, "FLOAT"); break;
    case T_DOUBLE: put(buf, cap, n, "DOUBLE"); break;
    case T_DECIMAL:
        snprintf(tmp, sizeof tmp, "DECIMAL(%d, %d)", t->precision, t->scale);
        put(buf, cap, n, tmp);
        break;
    case T_CHAR:
        snprintf(tmp, sizeof tmp, "CHAR(%d)", t->length);
        put(buf, cap, n, tmp);
        break;
    case T_VARCHAR:
        if (t->length == TYPE_MAX_LENGTH)
            put(buf, cap, n, "STRING");
        else {
            snprintf(tmp, sizeof tmp, "VARCHAR(%d)", t->length);
            put(buf, cap, n, tmp);
        }
        break;
    case T_BINARY:
        snprintf(tmp, sizeof tmp, "BINARY(%d)", t->length);
        put(buf, cap, n, tmp);
        break;
    case T_VARBINARY:
        if (t->length == TYPE_MAX_LENGTH)
            put(buf, cap, n, "BYTES");
        else {
            snprintf(tmp, sizeof tmp, "VARBINARY(%d)", t->length);
            put(buf, cap, n, tmp);
        }
        break;
    case T_DATE: put(buf, cap, n, "DATE"); break;
    case T_TIME:
        snprintf(tmp, sizeof tmp, "TIME(%d)", t->precision);
        put(buf, cap, n, tmp);
        break;
    case T_TIMESTAMP:
        snprintf(tmp, sizeof tmp, "TIMESTAMP(%d)", t->precision);
        put(buf, cap, n, tmp);
        break;
    case T_TIMESTAMP_LTZ:
        snprintf(tmp, sizeof tmp, "TIMESTAMP_LTZ(%d)", t->precision);
        put(buf, cap, n, tmp);
        break;
    case T_INTERVAL_YM: put(buf, cap, n, "INTERVAL YEAR TO MONTH"); break;
    case T_INTERVAL_DT: put(buf, cap, n, "INTERVAL DAY TO SECOND"); break;
    case T_ARRAY:
        put(buf, cap, n, "ARRAY<");
        type_fmt(buf, cap, n, t->elem);
        put(buf, cap, n, ">");
        break;
    case T_MAP:
        put(buf, cap, n, "MAP<");
        type_fmt(buf, cap, n, t->elem);
        put(buf, cap, n, ", ");
        type_fmt(buf, cap, n, t->value);
        put(buf, cap, n, ">");
        break;
    case T_ROW:
        put(buf, cap, n, "ROW<");
        for (int i = 0; i < t->n_fields; i++) {
            if (i)
                put(buf, cap, n, ", ");
            put(buf, cap, n, "`");
            put(buf, cap, n, t->field_names[i]);
            put(buf, cap, n, "` ");
            type_fmt(buf, cap, n, t->field_types[i]);
        }
        put(buf, cap, n, ">");
        break;
    default: put(buf, cap, n, "?"); break;
    }
    if (!t->nullable && t->id != T_NULL)
        put(buf, cap, n, " NOT NULL");
    if (t->time_attr == TA_ROWTIME)
        put(buf, cap, n, " *ROWTIME*");
    else if (t->time_attr == TA_PROCTIME)
        put(buf, cap, n, " *PROCTIME*");
}

const char *type_to_sql(struct arena *a, const struct sql_type *t)
{
    char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    type_fmt(buf, sizeof buf, &n, t);
    return arena_strdup(a, buf);
}
