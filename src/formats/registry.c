/*
 * registry.c — the table of built-in record formats.  Adding a format = one
 * `extern` line and one entry in `formats[]`; its file exports
 * `const struct format_def fmt_<name>`.
 */
#include "formats/format.h"

#include <string.h>

extern const struct format_def fmt_canal_json;
extern const struct format_def fmt_csv;
extern const struct format_def fmt_debezium_json;
extern const struct format_def fmt_json;
extern const struct format_def fmt_raw;
extern const struct format_def fmt_regex;

static const struct format_def *const formats[] = {
    &fmt_canal_json,
    &fmt_csv,
    &fmt_debezium_json,
    &fmt_json,
    &fmt_raw,
    &fmt_regex,
};
#define N_FORMATS ((int)(sizeof(formats) / sizeof(formats[0])))

const struct format_def *format_lookup(const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; i < N_FORMATS; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

const struct format_def *format_at(int i)
{
    return i >= 0 && i < N_FORMATS ? formats[i] : NULL;
}

const struct format_meta *format_meta_find(const struct format_def *fmt, const char *key)
{
    for (const struct format_meta *m = fmt ? fmt->metadata : NULL; m && m->key; m++)
        if (strcmp(m->key, key) == 0)
            return m;
    return NULL;
}
