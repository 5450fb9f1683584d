/*
 * fn_int.h — private helpers shared by the built-in function modules
 * (fn_string.c, fn_regex.c, fn_math.c, fn_time.c, fn_json.c, fn_misc.c) and the
 * registry in func.c.  Nothing outside src/exec/fn_*.c and func.c includes it.
 *
 * Each module exports one table of struct func_def; func.c stitches the tables
 * into the registry.  The helpers here keep every bind hook short (argument
 * checking against a compact spec, literal inspection, result nullability) and
 * every kernel tight (row iteration, UTF-8 stepping, arena output).
 *
 * Kernels may mutate their call state (RAND(seed)'s generator, the regex
 * match data and per-row pattern cache): an expression tree is evaluated by
 * one task at a time, as its scratch vectors already require.
 */
#ifndef WEIR_FN_INT_H
#define WEIR_FN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "exec/expr.h"
#include "exec/func.h"

/* ---- module tables (func.c concatenates them) ------------------------------ */

extern const struct func_def fn_string_defs[];
extern const int fn_string_count;
extern const struct func_def fn_regex_defs[];
extern const int fn_regex_count;
extern const struct func_def fn_math_defs[];
extern const int fn_math_count;
extern const struct func_def fn_time_defs[];
extern const int fn_time_count;
extern const struct func_def fn_json_defs[];
extern const int fn_json_count;
extern const struct func_def fn_misc_defs[];
extern const int fn_misc_count;


/* ---- bind helpers ------------------------------------------------------------ */

/*
 * Checks the argument types against spec, one letter per argument:
 *   S  character string (CHAR/VARCHAR)        Y  string or binary
 *   I  integer (TINYINT..BIGINT)              N  any numeric (kept as is)
 *   D  numeric, cast to DOUBLE                Z  BOOLEAN
 *   T  TIMESTAMP or TIMESTAMP_LTZ             d  DATE, TIMESTAMP or TIMESTAMP_LTZ
 *   t  DATE, TIME, TIMESTAMP or LTZ           *  anything
 * A trailing '+' repeats the letter before it for the remaining arguments.
 * An untyped NULL argument is accepted everywhere and cast to the letter's
 * natural type (S → STRING, I → INT, D/N → DOUBLE, Z → BOOLEAN, T/d/t →
 * TIMESTAMP(3)).  On mismatch (count or type) sets the error
 *   "<NAME> expects <expected>, got (<types>)"
 * and returns WEIR_ERR_BIND.  Fills fb->cast_to for D and NULL arguments.
 */
int fn_check_args(struct func_bind *fb, struct weir_error *err, const char *spec,
                  const char *expected);
/* Sets the standard mismatch error and returns WEIR_ERR_BIND. */
int fn_bind_mismatch(struct func_bind *fb, struct weir_error *err, const char *expected);
/* Sets a free-form bind error at the call: "<NAME>: <message>". */
int fn_bind_fail(struct func_bind *fb, struct weir_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when argument i is a literal (after folding); copies it into *v. */
bool fn_arg_literal(const struct func_bind *fb, int i, struct value *v);
/* True when argument i is a non-NULL string literal; *s borrows its bytes. */
bool fn_arg_str_literal(const struct func_bind *fb, int i, struct str *s);
/* True when argument i is a non-NULL integer literal. */
bool fn_arg_int_literal(const struct func_bind *fb, int i, int64_t *out);
/* True when argument i is the NULL literal (typed or not). */
bool fn_arg_null_literal(const struct func_bind *fb, int i);

/*
 * Symbol arguments (TRIM's BOTH, EXTRACT's unit, JSON_VALUE's ON ERROR mode)
 * arrive as STRING literals holding the upper-case word.  Returns the index of
 * the literal in names (NULL-terminated); on anything else sets a bind error
 * naming the function, the position and the accepted words.
 */
int fn_arg_symbol(struct func_bind *fb, struct weir_error *err, int i,
                  const char *const *names, int *out);

/* True when some argument type is nullable. */
bool fn_args_nullable(const struct func_bind *fb);
/* t with nullability = any argument nullable || may_be_null (strict funcs). */
const struct sql_type *fn_result(struct func_bind *fb, const struct sql_type *t,
                                 bool may_be_null);
/* "STRING", "DECIMAL(10, 2)", ... without NOT NULL / time-attribute markers. */
const char *fn_type_name(struct func_bind *fb, const struct sql_type *t);

/* ---- kernel helpers ---------------------------------------------------------- */

/* Row index of the k-th row to compute. */
#define FN_ROW(sel, k) ((sel) != NULL ? (int)(sel)[k] : (k))
/* Loops i over the rows to compute; expects `sel` and `n` in scope.  The sel
 * test is loop-invariant, so the compiler unswitches it. */
#define FN_FOREACH(i) \
    for (int fn_k_ = 0, i = 0; fn_k_ < n && ((i = FN_ROW(sel, fn_k_)), 1); fn_k_++)

/* Shorthand for a kernel's signature. */
#define FN_EVAL_ARGS                                                              \
    const struct func_call *call, const struct vec *args, const uint16_t *sel, int n, \
        struct vec *out, struct weir_error *err
#define FN_UNUSED_EVAL_ARGS \
    do {                    \
        (void)call;         \
        (void)args;         \
        (void)err;          \
    } while (0)

/* Result strings: bytes go to out->arena (batch lifetime).  Kernels may also
 * return slices of an argument's bytes (SUBSTRING, TRIM, SPLIT_INDEX ...): the
 * argument vectors live at least as long as the result within a batch. */
static inline char *fn_out_alloc(struct vec *out, size_t n)
{
    return arena_alloc(out->arena, n != 0 ? n : 1);
}
static inline void fn_set_str(struct vec *out, int i, const char *p, size_t n)
{
    out->s[i].ptr = p;
    out->s[i].len = (uint32_t)n;
}
static inline void fn_set_null(struct vec *out, int i) { vec_set_null(out, i); }
/* Kernels that produce NULLs themselves mark produced rows valid: the output
 * vector is reused across batches. */
static inline void fn_set_valid(struct vec *out, int i)
{
    if (out->valid != NULL)
        vec_set_valid(out, i);
}

/*
 * Type-specialised kernels: a bind hook that picks one of several loops (ABS of
 * INT vs DOUBLE vs DECIMAL, FLOOR of a number vs a timestamp) stores a
 * struct fn_dispatch as the call state and registers fn_dispatch_eval as the
 * function's eval; no per-row type switch remains.
 */
struct fn_dispatch {
    func_eval_fn eval;          /* the chosen kernel */
    void *state;                /* the kernel's own data; kernels receive the
                                   fn_dispatch itself as call->state */
    int aux;                    /* small per-call constant (unit, digits ...) */
    int aux2;
};
int fn_dispatch_eval(const struct func_call *call, const struct vec *args,
                     const uint16_t *sel, int n, struct vec *out, struct weir_error *err);
/* Allocates a dispatch state in fb->arena and installs it. */
struct fn_dispatch *fn_dispatch_set(struct func_bind *fb, func_eval_fn eval, void *state);

/* FLOOR/CEIL(t TO unit): the temporal half of FLOOR/CEIL, bound in fn_time.c;
 * fn_math.c forwards to it when the first argument is temporal. */
int fn_bind_floor_ceil_time(struct func_bind *fb, struct weir_error *err, bool ceil);

/* Sign-extends the low `bits` bits of v: integer results wrap like the JVM. */
static inline int64_t fn_wrap(int64_t v, int bits)
{
    if (bits >= 64 || bits <= 0)
        return v;
    uint64_t m = 1ULL << (bits - 1);
    uint64_t u = (uint64_t)v & ((m << 1) - 1);
    return (int64_t)((u ^ m) - m);
}

/* ---- UTF-8 ------------------------------------------------------------------- */

/* Bytes in the sequence that starts with lead byte c (1 for invalid bytes, so
 * broken input still advances). */
static inline int utf8_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xF0 && c < 0xF8)
        return 4;
    if (c >= 0xE0)
        return c < 0xF0 ? 3 : 1;
    if (c >= 0xC0)
        return 2;
    return 1;
}
/* Characters in p[0..n): counts the bytes that are not continuation bytes
 * (10xxxxxx), eight at a time. */
static inline size_t utf8_count(const char *p, size_t n)
{
    size_t cont = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        /* bit 7 set and bit 6 clear */
        cont += (size_t)__builtin_popcountll(w & ~(w << 1) & 0x8080808080808080ULL);
    }
    for (; i < n; i++)
        cont += ((unsigned char)p[i] & 0xC0) == 0x80;
    return n - cont;
}
/* Byte offset just past the first k characters of p[0..n) (n if shorter). */
static inline size_t utf8_skip(const char *p, size_t n, size_t k)
{
    size_t i = 0;
    while (k > 0 && i < n) {
        i += (size_t)utf8_seq_len((unsigned char)p[i]);
        k--;
    }
    return i < n ? i : n;
}
/* Decodes one code point at p (n > 0 bytes left); *adv gets its byte length.
 * Invalid bytes decode as themselves (Latin-1), one byte each. */
static inline uint32_t utf8_decode(const char *p, size_t n, int *adv)
{
    const unsigned char *u = (const unsigned char *)p;
    int l = utf8_seq_len(u[0]);
    if (l == 1 || (size_t)l > n) {
        *adv = 1;
        return u[0];
    }
    uint32_t cp = u[0] & (0x7F >> l);
    for (int j = 1; j < l; j++) {
        if ((u[j] & 0xC0) != 0x80) {
            *adv = 1;
            return u[0];
        }
        cp = (cp << 6) | (u[j] & 0x3F);
    }
    *adv = l;
    return cp;
}
/* Writes cp as UTF-8 into o (room for 4); returns the byte count. */
static inline int utf8_encode(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Byte index of needle in hay at or after byte from, or -1 (memmem). */
static inline long fn_find(const char *hay, size_t hay_len, size_t from,
                           const char *needle, size_t needle_len)
{
    if (from > hay_len)
        return -1;
    if (needle_len == 0)
        return (long)from;
    const char *p = memmem(hay + from, hay_len - from, needle, needle_len);
    return p != NULL ? (long)(p - hay) : -1;
}

/* Upper-case hex digits, for HEX and the digests (which use lower case). */
extern const char fn_hex_upper[16];
extern const char fn_hex_lower[16];

#endif
