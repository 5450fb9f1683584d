/*
 * options.h — typed option tables for connectors and formats, and the parsed
 * key/value set a table's WITH clause becomes.
 *
 * A connector declares its options as a table of `struct opt_def` (name, type,
 * default, allowed values, description): the registry validates against it and
 * the same table generates docs/CONNECTORS.md.  Keys may contain one `#`
 * wildcard matching a single dotted segment (datagen's 'fields.#.kind') or end
 * in `*` (kafka's 'properties.*').
 */
#ifndef WEIR_OPTIONS_H
#define WEIR_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

enum opt_type {
    OPT_STRING,
    OPT_INT,        /* 64-bit integer */
    OPT_DOUBLE,
    OPT_BOOL,       /* true/false */
    OPT_DURATION,   /* Flink durations: "10 s", "1min", "100ms", "2 h"; stored in ms */
    OPT_SIZE,       /* "128MB", "64 kb"; stored in bytes */
    OPT_ENUM,       /* one of `values` ("a|b|c"), case-insensitive */
    OPT_CHAR,       /* a single character (csv delimiters), "\t" allowed */
};

struct opt_def {
    const char *name;           /* key; NULL ends a table */
    enum opt_type type;
    const char *default_value;  /* NULL = no default */
    const char *values;         /* OPT_ENUM: "a|b|c" */
    bool required;
    const char *description;
};

struct opt_set;                 /* opaque: validated key/value pairs */

/* Parses a value of the given type; errors say what form was expected. */
int opt_parse_duration_ms(const char *s, int64_t *out);
int opt_parse_size(const char *s, int64_t *out);
int opt_parse_bool(const char *s, bool *out);

/* Getters fall back to the definition's default, then to dflt. */
const char *opt_str(const struct opt_set *o, const char *key, const char *dflt);
int64_t opt_int(const struct opt_set *o, const char *key, int64_t dflt);
double opt_double(const struct opt_set *o, const char *key, double dflt);
bool opt_bool(const struct opt_set *o, const char *key, bool dflt);
int64_t opt_duration_ms(const struct opt_set *o, const char *key, int64_t dflt);
int64_t opt_size(const struct opt_set *o, const char *key, int64_t dflt);
char opt_char(const struct opt_set *o, const char *key, char dflt);
bool opt_has(const struct opt_set *o, const char *key);   /* explicitly set */
/* Iterates explicitly set keys (for wildcard options like fields.#.kind). */
int opt_count(const struct opt_set *o);
const char *opt_key_at(const struct opt_set *o, int i);
const char *opt_value_at(const struct opt_set *o, int i);
void opt_set_free(struct opt_set *o);

/* ---- building and checking sets (registry.c; also usable by tests and by
 * connectors that validate nested option groups) ------------------------------ */

int opt_parse_int(const char *s, int64_t *out);
int opt_parse_double(const char *s, double *out);
int opt_parse_char(const char *s, char *out);      /* "x", "\t", "\u0001" */
/* The definition in defs matching key (exact name first, then `#`/`*`
 * patterns); NULL if none. */
const struct opt_def *opt_def_find(const struct opt_def *defs, const char *key);
/* Checks value against def's type.  On error sets err to
 * "option 'k' expects <form>, got 'v'" and returns WEIR_ERR_CONFIG. */
int opt_check(const struct opt_def *def, const char *key, const char *value,
              struct weir_error *err);
/* Human form of a type for messages and docs ("integer", "duration", ...). */
const char *opt_type_name(enum opt_type t);
struct opt_set *opt_set_new(void);                 /* caller frees with opt_set_free */
/* Adds a definition table consulted for defaults (borrowed: static tables). */
void opt_set_add_defs(struct opt_set *o, const struct opt_def *defs);
/* Sets key = value (both copied; replaces an earlier value).  ENUM values are
 * stored in the definition's spelling.  def may be NULL. */
void opt_set_put(struct opt_set *o, const char *key, const char *value,
                 const struct opt_def *def);

#endif
