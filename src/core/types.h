/*
 * types.h — SQL types (Flink's logical types) and how their values are held.
 *
 * A `struct sql_type` is immutable once built and shared by pointer; the plan arena
 * owns it.  Physical lanes (what a column vector stores per row):
 *
 *   BOOLEAN                          uint8_t   0/1
 *   TINYINT SMALLINT INT BIGINT      int64_t   (wrapped to the type's width after
 *                                               arithmetic, as the JVM does)
 *   DATE                             int64_t   days since 1970-01-01
 *   TIME(p)                          int64_t   microseconds since midnight
 *   TIMESTAMP(p)                     int64_t   microseconds since 1970-01-01T00:00
 *                                               (wall clock, no zone)
 *   TIMESTAMP_LTZ(p)                 int64_t   microseconds since the epoch (instant)
 *   INTERVAL YEAR TO MONTH           int64_t   months
 *   INTERVAL DAY TO SECOND           int64_t   microseconds
 *   FLOAT, DOUBLE                    double    (FLOAT values are rounded to float)
 *   DECIMAL(p,s)                     __int128  unscaled value (value = u / 10^s)
 *   CHAR VARCHAR STRING BINARY BYTES struct str (pointer + length into an arena)
 *   ROW                              child vectors, one per field
 *   ARRAY, MAP                       int32 offsets + child vector(s)
 *
 * One lane for all integers keeps the vectorised kernels few; precision beyond
 * microseconds (TIMESTAMP(7..9)) is truncated — documented in docs/SQL.md.
 */
#ifndef WEIR_TYPES_H
#define WEIR_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mem.h"

enum type_id {
    T_NULL,          /* type of the bare NULL literal, before coercion */
    T_BOOLEAN,
    T_TINYINT,
    T_SMALLINT,
    T_INT,
    T_BIGINT,
    T_FLOAT,
    T_DOUBLE,
    T_DECIMAL,
    T_CHAR,
    T_VARCHAR,       /* STRING is VARCHAR(2147483647) */
    T_BINARY,
    T_VARBINARY,     /* BYTES is VARBINARY(2147483647) */
    T_DATE,
    T_TIME,
    T_TIMESTAMP,
    T_TIMESTAMP_LTZ,
    T_INTERVAL_YM,
    T_INTERVAL_DT,
    T_ARRAY,
    T_MAP,
    T_ROW,
    T__COUNT
};

enum phys_lane {
    LANE_BOOL,       /* uint8_t */
    LANE_I64,        /* int64_t */
    LANE_F64,        /* double */
    LANE_I128,       /* __int128 */
    LANE_STR,        /* struct str */
    LANE_NESTED,     /* ROW / ARRAY / MAP: children */
    LANE_NONE,       /* T_NULL: validity only */
};

enum time_attr {
    TA_NONE,
    TA_ROWTIME,      /* event-time attribute (has a WATERMARK) */
    TA_PROCTIME,     /* processing-time attribute (PROCTIME()) */
};

#define TYPE_MAX_LENGTH 2147483647
#define DECIMAL_MAX_PRECISION 38

struct sql_type {
    uint8_t id;                 /* enum type_id */
    bool nullable;
    uint8_t time_attr;          /* enum time_attr */
    int32_t precision;          /* DECIMAL p, TIME/TIMESTAMP fractional digits */
    int32_t scale;              /* DECIMAL s */
    int32_t length;             /* CHAR/VARCHAR/BINARY n */
    const struct sql_type *elem;     /* ARRAY element, MAP key */
    const struct sql_type *value;    /* MAP value */
    int n_fields;                    /* ROW */
    const char *const *field_names;  /* ROW, case-sensitive */
    const struct sql_type *const *field_types;
};

/* A byte string slice; the bytes live in some arena (batch, plan, state). */
struct str {
    const char *ptr;
    uint32_t len;
};
#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})

/* Shared singletons for the simple types (nullable, default parameters). */
extern const struct sql_type type_null, type_boolean, type_tinyint, type_smallint,
    type_int, type_bigint, type_float, type_double, type_string, type_bytes,
    type_date, type_time0, type_timestamp3, type_timestamp_ltz3, type_interval_ym,
    type_interval_dt;

/* The type predicates are inline: kernels test them per row (a call each
 * was 3% of Nexmark q11's instructions). */
static inline enum phys_lane type_lane(const struct sql_type *t)
{
    switch (t->id) {
    case T_NULL: return LANE_NONE;
    case T_BOOLEAN: return LANE_BOOL;
    case T_FLOAT:
    case T_DOUBLE: return LANE_F64;
    case T_DECIMAL: return LANE_I128;
    case T_CHAR:
    case T_VARCHAR:
    case T_BINARY:
    case T_VARBINARY: return LANE_STR;
    case T_ARRAY:
    case T_MAP:
    case T_ROW: return LANE_NESTED;
    default: return LANE_I64;
    }
}
/* TINYINT..BIGINT */
static inline bool type_is_integer(const struct sql_type *t)
{
    return t->id >= T_TINYINT && t->id <= T_BIGINT;
}
/* integers, FLOAT, DOUBLE, DECIMAL */
static inline bool type_is_numeric(const struct sql_type *t)
{
    return t->id >= T_TINYINT && t->id <= T_DECIMAL;
}
/* FLOAT, DOUBLE */
static inline bool type_is_approx(const struct sql_type *t)
{
    return t->id == T_FLOAT || t->id == T_DOUBLE;
}
/* CHAR, VARCHAR */
static inline bool type_is_string(const struct sql_type *t)
{
    return t->id == T_CHAR || t->id == T_VARCHAR;
}
static inline bool type_is_binary(const struct sql_type *t)
{
    return t->id == T_BINARY || t->id == T_VARBINARY;
}
/* DATE TIME TIMESTAMP LTZ */
static inline bool type_is_temporal(const struct sql_type *t)
{
    return t->id == T_DATE || t->id == T_TIME || t->id == T_TIMESTAMP ||
           t->id == T_TIMESTAMP_LTZ;
}
/* TIMESTAMP or LTZ */
static inline bool type_is_timestamp(const struct sql_type *t)
{
    return t->id == T_TIMESTAMP || t->id == T_TIMESTAMP_LTZ;
}
static inline bool type_is_interval(const struct sql_type *t)
{
    return t->id == T_INTERVAL_YM || t->id == T_INTERVAL_DT;
}
/* Integer width in bits for TINYINT..BIGINT (8/16/32/64), else 0. */
int type_int_bits(const struct sql_type *t);
/* Equal ignoring nullability and time attribute. */
bool type_equal(const struct sql_type *a, const struct sql_type *b);

/* Constructors: result lives in arena a. */
struct sql_type *type_new(struct arena *a, enum type_id id);
const struct sql_type *type_decimal(struct arena *a, int p, int s);
const struct sql_type *type_varchar(struct arena *a, int n);
const struct sql_type *type_char(struct arena *a, int n);
const struct sql_type *type_timestamp(struct arena *a, enum type_id id, int p);
const struct sql_type *type_with_nullable(struct arena *a, const struct sql_type *t,
                                          bool nullable);
const struct sql_type *type_with_time_attr(struct arena *a, const struct sql_type *t,
                                           enum time_attr ta);
/* DECIMAL precision/scale an integer type widens to (TINYINT → DECIMAL(3,0), ...,
 * BIGINT → DECIMAL(19,0)); for DECIMAL its own. */
void type_decimal_of(const struct sql_type *t, int *p, int *s);

/* Flink's SQL spelling: "INT", "DECIMAL(10, 2)", "TIMESTAMP(3)",
 * "TIMESTAMP_LTZ(3)", "VARCHAR(20)", "STRING", "ROW<`a` INT, `b` STRING>",
 * with " NOT NULL" when not nullable and " *ROWTIME*" / " *PROCTIME*" markers.
 * Result in arena a. */
const char *type_to_sql(struct arena *a, const struct sql_type *t);

#endif
