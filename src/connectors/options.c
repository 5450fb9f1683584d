/*
 * options.c — parsing of typed option values (Flink durations and memory sizes,
 * booleans, characters) and the validated key/value set a WITH clause becomes.
 *
 * Values are kept as the text the user wrote (ENUMs in their canonical
 * spelling) and parsed again by each getter: getters run when a connector is
 * created, never per record, so there is nothing to gain from caching.  A key
 * not set falls back to its definition's default, found through the option
 * tables the set was built against (opt_set_add_defs).
 *
 * Patterns: `#` in a definition name matches a non-empty run of characters
 * (normally one dotted segment, but a column called `a.b` still matches
 * 'fields.#.kind'); a trailing `*` matches any non-empty rest.
 */
#include "connectors/options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

struct opt_item {
    char *key;                      /* owned */
    char *value;                    /* owned */
    const struct opt_def *def;      /* borrowed, may be NULL */
};

#define OPT_MAX_DEFS 8

struct opt_set {
    struct opt_item *items;
    int n, cap;
    const struct opt_def *defs[OPT_MAX_DEFS];   /* tables consulted for defaults */
    int n_defs;
};

/* ---- value parsers ---------------------------------------------------------- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int opt_parse_int(const char *s, int64_t *out)
{
    s = skip_ws(s);
    if (*s == '\0')
        return WEIR_ERR_CONFIG;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno == ERANGE)
        return WEIR_ERR_CONFIG;
    if (*skip_ws(end) != '\0')
        return WEIR_ERR_CONFIG;
    *out = v;
    return WEIR_OK;
}

int opt_parse_double(const char *s, double *out)
{
    s = skip_ws(s);
    if (*s == '\0')
        return WEIR_ERR_CONFIG;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *skip_ws(end) != '\0' || isnan(v))
        return WEIR_ERR_CONFIG;
    *out = v;
    return WEIR_OK;
}

int opt_parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0) {
        *out = true;
        return WEIR_OK;
    }
    if (strcasecmp(s, "false") == 0) {
        *out = false;
        return WEIR_OK;
    }
    return WEIR_ERR_CONFIG;
}

/* Reads "<digits><ws><unit>" with the unit matched case-insensitively against
 * a table of (label, multiplier); the bare number uses `bare`. */
struct unit {
    const char *label;
    int64_t mult;       /* >0: multiply; <0: divide by -mult */
};

static int parse_with_units(const char *s, const struct unit *units, int64_t bare,
                            int64_t *out)
{
    s = skip_ws(s);
    if (!isdigit((unsigned char)*s))
        return WEIR_ERR_CONFIG;
    uint64_t v = 0;
    while (isdigit((unsigned char)*s)) {
        if (v > (uint64_t)INT64_MAX / 10)
            return WEIR_ERR_CONFIG;
        v = v * 10 + (uint64_t)(*s++ - '0');
        if (v > (uint64_t)INT64_MAX)
            return WEIR_ERR_CONFIG;
    }
    s = skip_ws(s);
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    int64_t mult = bare;
    if (n > 0) {
        const struct unit *u = units;
        for (; u->label; u++)
            if (strlen(u->label) == n && strncasecmp(u->label, s, n) == 0)
                break;
        if (u->label == NULL)
            return WEIR_ERR_CONFIG;
        mult = u->mult;
    }
    if (mult < 0) {
        *out = (int64_t)(v / (uint64_t)-mult);
        return WEIR_OK;
    }
    if (mult > 0 && v > (uint64_t)INT64_MAX / (uint64_t)mult)
        return WEIR_ERR_CONFIG;
    *out = (int64_t)v * mult;
    return WEIR_OK;
}

/* Flink's TimeUtils labels (days .. nanoseconds); stored in milliseconds, so
 * sub-millisecond units truncate. */
static const struct unit duration_units[] = {
    {"d", 86400000}, {"day", 86400000}, {"days", 86400000},
    {"h", 3600000}, {"hour", 3600000}, {"hours", 3600000},
    {"min", 60000}, {"m", 60000}, {"minute", 60000}, {"minutes", 60000},
    {"s", 1000}, {"sec", 1000}, {"secs", 1000}, {"second", 1000}, {"seconds", 1000},
    {"ms", 1}, {"milli", 1}, {"millis", 1}, {"millisecond", 1}, {"milliseconds", 1},
    {"us", -1000}, {"\xc2\xb5s", -1000}, {"micro", -1000}, {"micros", -1000},
    {"microsecond", -1000}, {"microseconds", -1000},
    {"ns", -1000000}, {"nano", -1000000}, {"nanos", -1000000},
    {"nanosecond", -1000000}, {"nanoseconds", -1000000},
    {NULL, 0},
};

int opt_parse_duration_ms(const char *s, int64_t *out)
{
    return parse_with_units(s, duration_units, 1, out);
}

/* Flink's MemorySize labels: powers of 1024. */
static const struct unit size_units[] = {
    {"b", 1}, {"bytes", 1},
    {"k", 1LL << 10}, {"kb", 1LL << 10}, {"kibibytes", 1LL << 10},
    {"m", 1LL << 20}, {"mb", 1LL << 20}, {"mebibytes", 1LL << 20},
    {"g", 1LL << 30}, {"gb", 1LL << 30}, {"gibibytes", 1LL << 30},
    {"t", 1LL << 40}, {"tb", 1LL << 40}, {"tebibytes", 1LL << 40},
    {NULL, 0},
};

int opt_parse_size(const char *s, int64_t *out)
{
    return parse_with_units(s, size_units, 1, out);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A single byte, or a backslash escape as Flink's csv options allow them
 * ('\t', '\u0001'); multi-byte characters are not single bytes and fail. */
int opt_parse_char(const char *s, char *out)
{
    if (s[0] != '\0' && s[1] == '\0') {
        *out = s[0];
        return WEIR_OK;
    }
    if (s[0] != '\\')
        return WEIR_ERR_CONFIG;
    if (s[1] != '\0' && s[2] == '\0') {
        switch (s[1]) {
        case 't': *out = '\t'; return WEIR_OK;
        case 'n': *out = '\n'; return WEIR_OK;
        case 'r': *out = '\r'; return WEIR_OK;
        case '0': *out = '\0'; return WEIR_OK;
        case '\\': *out = '\\'; return WEIR_OK;
        case '\'': *out = '\''; return WEIR_OK;
        case '"': *out = '"'; return WEIR_OK;
        default: return WEIR_ERR_CONFIG;
        }
    }
    if ((s[1] == 'u' || s[1] == 'U') && strlen(s) == 6) {
        int v = 0;
        for (int i = 2; i < 6; i++) {
            int h = hexval((unsigned char)s[i]);
            if (h < 0)
                return WEIR_ERR_CONFIG;
            v = v * 16 + h;
        }
        if (v > 0x7f)
            return WEIR_ERR_CONFIG;
        *out = (char)v;
        return WEIR_OK;
    }
    return WEIR_ERR_CONFIG;
}

/* ---- definitions ------------------------------------------------------------ */

/* Does pattern (an opt_def name) match key? */
static bool pattern_match(const char *pat, const char *key)
{
    const char *hash = strchr(pat, '#');
    size_t plen = strlen(pat);
    if (hash) {
        size_t pre = (size_t)(hash - pat), suf = plen - pre - 1;
        size_t klen = strlen(key);
        return klen > pre + suf && strncmp(pat, key, pre) == 0 &&
               strcmp(key + klen - suf, hash + 1) == 0;
    }
    if (plen > 0 && pat[plen - 1] == '*')
        return strlen(key) > plen - 1 && strncmp(pat, key, plen - 1) == 0;
    return false;
}

const struct opt_def *opt_def_find(const struct opt_def *defs, const char *key)
{
    if (defs == NULL)
        return NULL;
    for (const struct opt_def *d = defs; d->name; d++)
        if (strcmp(d->name, key) == 0)
            return d;
    for (const struct opt_def *d = defs; d->name; d++)
        if (pattern_match(d->name, key))
            return d;
    return NULL;
}

const char *opt_type_name(enum opt_type t)
{
    switch (t) {
    case OPT_STRING: return "string";
    case OPT_INT: return "integer";
    case OPT_DOUBLE: return "number";
    case OPT_BOOL: return "boolean";
    case OPT_DURATION: return "duration";
    case OPT_SIZE: return "memory size";
    case OPT_ENUM: return "enum";
    case OPT_CHAR: return "character";
    }
    return "?";
}

/* Finds value in "a|b|c" case-insensitively; returns its start or NULL. */
static const char *enum_find(const char *values, const char *v, size_t *len)
{
    size_t vl = strlen(v);
    const char *p = values;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == vl && strncasecmp(p, v, n) == 0) {
            *len = n;
            return p;
        }
        p = bar ? bar + 1 : NULL;
    }
    return NULL;
}

int opt_check(const struct opt_def *def, const char *key, const char *value,
              struct weir_error *err)
{
    int64_t i;
    double d;
    bool b;
    char c;
    size_t n;
    switch (def->type) {
    case OPT_STRING:
        return WEIR_OK;
    case OPT_INT:
        if (opt_parse_int(value, &i) == WEIR_OK)
            return WEIR_OK;
        return err_set(err, WEIR_ERR_CONFIG, "option '%s' expects an integer, got '%s'",
                       key, value);
    case OPT_DOUBLE:
        if (opt_parse_double(value, &d) == WEIR_OK)
            return WEIR_OK;
        return err_set(err, WEIR_ERR_CONFIG, "option '%s' expects a number, got '%s'",
                       key, value);
    case OPT_BOOL:
        if (opt_parse_bool(value, &b) == WEIR_OK)
            return WEIR_OK;
        return err_set(err, WEIR_ERR_CONFIG,
                       "option '%s' expects true or false, got '%s'", key, value);
    case OPT_DURATION:
        if (opt_parse_duration_ms(value, &i) == WEIR_OK)
            return WEIR_OK;
        return err_set(err, WEIR_ERR_CONFIG,
                       "option '%s' expects a duration like '10 s', '1 min' or "
                       "'100ms', got '%s'", key, value);
    case OPT_SIZE:
        if (opt_parse_size(value, &i) == WEIR_OK)
            return WEIR_OK;
        return err_set(err, WEIR_ERR_CONFIG,
                       "option '%s' expects a memory size like '128mb' or '64 kb', "
                       "got '%s'", key, value);
    case OPT_ENUM:
        if (enum_find(def->values, value, &n))
            return WEIR_OK;
        {
            /* "a|b|c" → "a, b, c" */
            const char *vals = def->values ? def->values : "";
            char *pretty = mem_alloc(2 * strlen(vals) + 1), *q = pretty;
            for (const char *p = vals; *p; p++) {
                if (*p == '|') {
                    *q++ = ',';
                    *q++ = ' ';
                } else {
                    *q++ = *p;
                }
            }
            *q = '\0';
            int rc = err_set(err, WEIR_ERR_CONFIG,
                             "option '%s' expects one of %s, got '%s'", key, pretty,
                             value);
            mem_free(pretty);
            return rc;
        }
    case OPT_CHAR:
        if (opt_parse_char(value, &c) == WEIR_OK)
            return WEIR_OK;
        return err_set(err, WEIR_ERR_CONFIG,
                       "option '%s' expects a single character, got '%s'", key, value);
    }
    return WEIR_ERR_INTERNAL;
}

/* ---- sets ------------------------------------------------------------------- */

struct opt_set *opt_set_new(void)
{
    return mem_calloc(1, sizeof(struct opt_set));
}

void opt_set_add_defs(struct opt_set *o, const struct opt_def *defs)
{
    if (defs == NULL || o->n_defs == OPT_MAX_DEFS)
        return;
    for (int i = 0; i < o->n_defs; i++)
        if (o->defs[i] == defs)
            return;
    o->defs[o->n_defs++] = defs;
}

static struct opt_item *find_item(const struct opt_set *o, const char *key)
{
    if (o == NULL)
        return NULL;
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->items[i].key, key) == 0)
            return &o->items[i];
    return NULL;
}

void opt_set_put(struct opt_set *o, const char *key, const char *value,
                 const struct opt_def *def)
{
    char *v;
    size_t n;
    const char *canon;
    if (def && def->type == OPT_ENUM && (canon = enum_find(def->values, value, &n)))
        v = mem_strndup(canon, n);
    else
        v = mem_strdup(value);
    struct opt_item *it = find_item(o, key);
    if (it) {
        mem_free(it->value);
        it->value = v;
        it->def = def;
        return;
    }
    MEM_GROW(o->items, o->cap, o->n + 1);
    o->items[o->n++] = (struct opt_item){mem_strdup(key), v, def};
}

void opt_set_free(struct opt_set *o)
{
    if (o == NULL)
        return;
    for (int i = 0; i < o->n; i++) {
        mem_free(o->items[i].key);
        mem_free(o->items[i].value);
    }
    mem_free(o->items);
    mem_free(o);
}

/* The text of key: set value, else its definition's default, else NULL. */
static const char *raw_value(const struct opt_set *o, const char *key)
{
    struct opt_item *it = find_item(o, key);
    if (it)
        return it->value;
    if (o == NULL)
        return NULL;
    for (int i = 0; i < o->n_defs; i++) {
        const struct opt_def *d = opt_def_find(o->defs[i], key);
        if (d)
            return d->default_value;
    }
    return NULL;
}

const char *opt_str(const struct opt_set *o, const char *key, const char *dflt)
{
    const char *v = raw_value(o, key);
    return v ? v : dflt;
}

int64_t opt_int(const struct opt_set *o, const char *key, int64_t dflt)
{
    const char *v = raw_value(o, key);
    int64_t r;
    return v && opt_parse_int(v, &r) == WEIR_OK ? r : dflt;
}

double opt_double(const struct opt_set *o, const char *key, double dflt)
{
    const char *v = raw_value(o, key);
    double r;
    return v && opt_parse_double(v, &r) == WEIR_OK ? r : dflt;
}

bool opt_bool(const struct opt_set *o, const char *key, bool dflt)
{
    const char *v = raw_value(o, key);
    bool r;
    return v && opt_parse_bool(v, &r) == WEIR_OK ? r : dflt;
}

int64_t opt_duration_ms(const struct opt_set *o, const char *key, int64_t dflt)
{
    const char *v = raw_value(o, key);
    int64_t r;
    return v && opt_parse_duration_ms(v, &r) == WEIR_OK ? r : dflt;
}

int64_t opt_size(const struct opt_set *o, const char *key, int64_t dflt)
{
    const char *v = raw_value(o, key);
    int64_t r;
    return v && opt_parse_size(v, &r) == WEIR_OK ? r : dflt;
}

char opt_char(const struct opt_set *o, const char *key, char dflt)
{
    const char *v = raw_value(o, key);
    char r;
    return v && opt_parse_char(v, &r) == WEIR_OK ? r : dflt;
}

bool opt_has(const struct opt_set *o, const char *key)
{
    return find_item(o, key) != NULL;
}

int opt_count(const struct opt_set *o)
{
    return o ? o->n : 0;
}

const char *opt_key_at(const struct opt_set *o, int i)
{
    return o && i >= 0 && i < o->n ? o->items[i].key : NULL;
}

const char *opt_value_at(const struct opt_set *o, int i)
{
    return o && i >= 0 && i < o->n ? o->items[i].value : NULL;
}
