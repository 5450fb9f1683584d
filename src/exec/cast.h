/*
 * cast.h — CAST / TRY_CAST and the planner's implicit casts, on column vectors.
 *
 * cast_allowed() is the binder's matrix (Flink LogicalTypeCasts, SQL.md b.3);
 * cast_vec() converts the live rows of one vector into another vector of the target
 * type with Flink 1.15+ runtime semantics: a failing conversion fails the job
 * (CAST_STRICT) or yields NULL (TRY_CAST, legacy mode); values that overflow a
 * DECIMAL become NULL; integer narrowing wraps like Java.  Kernels are specialised
 * per (source lane, target lane) pair.
 */
#ifndef WEIR_CAST_H
#define WEIR_CAST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/types.h"
#include "exec/batch.h"

enum cast_mode {
    CAST_STRICT,    /* CAST: a value that cannot be converted fails the job */
    CAST_TRY,       /* TRY_CAST: NULL instead */
    CAST_LEGACY,    /* table.exec.legacy-cast-behaviour = ENABLED: NULL, and no
                       CHAR/VARCHAR/BINARY length trimming or padding */
};

/* Whether `from` may be cast to `to`: implicitly (planner-inserted: widening
 * numerics, CHAR↔VARCHAR, BINARY↔VARBINARY, NULL→any, DATE→TIMESTAMP,
 * TIMESTAMP↔TIMESTAMP_LTZ, equal types with other lengths/precisions) or, when
 * is_explicit, by CAST.  Nullability and time attributes are ignored. */
bool cast_allowed(const struct sql_type *from, const struct sql_type *to, bool is_explicit);

/* Casts rows of `in` into the same rows of `out`.  `out` was vec_init'ed with the
 * target type and at least in's capacity; strings produced go to out->arena.
 * sel[0..n) are the live rows (sel NULL = rows 0..n-1); other rows of out are left
 * untouched.  NULL in → NULL out.  Returns WEIR_OK, or in CAST_STRICT mode
 * WEIR_ERR_RUNTIME with a message like "cannot cast 'abc' to INT" (err set), or
 * WEIR_ERR_UNSUPPORTED for a pair cast_allowed() rejects. */
int cast_vec(const struct vec *in, struct vec *out, const uint16_t *sel, int n,
             enum cast_mode mode, struct weir_error *err);

#endif
