/*
 * registry.c — the table of built-in connectors, validation of a table's WITH
 * options against a connector (and its format), legacy option normalisation
 * and the Markdown rendering of every option table (docs/CONNECTORS.md).
 *
 * Adding a connector = one `extern` line and one entry in `connectors[]`
 * below; its directory exports `const struct connector_def conn_<name>`.
 * Validation is strict as Flink's factory helper is: an unknown key is an
 * error listing the valid keys, a malformed value names the expected form.
 */
#include "connectors/connector.h"
#include "connectors/registry_doc.h"

#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "formats/format.h"

extern const struct connector_def conn_datagen;
extern const struct connector_def conn_print;
extern const struct connector_def conn_blackhole;
extern const struct connector_def conn_filesystem;
extern const struct connector_def conn_nexmark;
extern const struct connector_def conn_tail;
extern const struct connector_def conn_log;
extern const struct connector_def conn_sqlite;

static const struct connector_def *const connectors[] = {
    &conn_datagen,
    &conn_print,
    &conn_blackhole,
    &conn_filesystem,
    &conn_nexmark,
    &conn_tail,
    &conn_log,
    &conn_sqlite,
};
#define N_CONNECTORS ((int)(sizeof(connectors) / sizeof(connectors[0])))

const struct connector_def *conn_lookup(const char *name)
{
    if (name == NULL)
        return NULL;
    for (int i = 0; i < N_CONNECTORS; i++)
        if (strcmp(connectors[i]->name, name) == 0)
            return connectors[i];
    return NULL;
}

const struct connector_def *conn_at(int i)
{
    return i >= 0 && i < N_CONNECTORS ? connectors[i] : NULL;
}

void conn_names(struct strbuf *sb)
{
    for (int i = 0; i < N_CONNECTORS; i++) {
        if (i)
            sb_adds(sb, ", ");
        sb_adds(sb, connectors[i]->name);
    }
}

static void format_names(struct strbuf *sb)
{
    const struct format_def *f;
    for (int i = 0; (f = format_at(i)) != NULL; i++) {
        if (i)
            sb_adds(sb, ", ");
        sb_adds(sb, f->name);
    }
}

/* ---- legacy descriptor options ---------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Legacy keys that carried the schema or versions: no modern counterpart. */
static bool legacy_dropped(const char *k)
{
    return strcmp(k, "connector.property-version") == 0 ||
           strcmp(k, "connector.version") == 0 ||
           strcmp(k, "format.property-version") == 0 ||
           strcmp(k, "format.derive-schema") == 0 ||
           strcmp(k, "format.schema") == 0 || strcmp(k, "format.json-schema") == 0 ||
           strcmp(k, "update-mode") == 0 || starts_with(k, "format.fields.") ||
           starts_with(k, "schema.");
}

int conn_normalize_options(int n, const char *const *keys, const char *const *values,
                           char ***keys_out, char ***values_out)
{
    char **ko = mem_calloc((size_t)(n ? n : 1), sizeof(char *));
    char **vo = mem_calloc((size_t)(n ? n : 1), sizeof(char *));
    /* the format's name decides where 'format.x' goes: find it first */
    const char *fmt = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i], "format") == 0 || strcmp(keys[i], "format.type") == 0)
            fmt = values[i];
    int m = 0;
    for (int i = 0; i < n; i++) {
        const char *k = keys[i];
        if (legacy_dropped(k))
            continue;
        if (strcmp(k, "connector.type") == 0)
            ko[m] = mem_strdup("connector");
        else if (strcmp(k, "connector.path") == 0)
            ko[m] = mem_strdup("path");
        else if (strcmp(k, "format.type") == 0)
            ko[m] = mem_strdup("format");
        else if (starts_with(k, "format.") && fmt)
            ko[m] = mem_sprintf("%s.%s", fmt, k + strlen("format."));
        else
            ko[m] = mem_strdup(k);
        vo[m++] = mem_strdup(values[i]);
    }
    *keys_out = ko;
    *values_out = vo;
    return m;
}

void conn_options_free(int n, char **keys, char **values)
{
    for (int i = 0; i < n; i++) {
        mem_free(keys[i]);
        mem_free(values[i]);
    }
    mem_free(keys);
    mem_free(values);
}

/* ---- validation ------------------------------------------------------------- */

/* "path, format, source.monitor-interval, ..." for the unknown-key message. */
static void valid_keys(struct strbuf *sb, const struct connector_def *def,
                       const struct format_def *fmt)
{
    bool first = true;
    for (const struct opt_def *d = def->options; d && d->name; d++) {
        sb_adds(sb, first ? "" : ", ");
        sb_adds(sb, d->name);
        first = false;
    }
    for (const struct opt_def *d = fmt ? fmt->options : NULL; d && d->name; d++) {
        sb_adds(sb, first ? "" : ", ");
        sb_adds(sb, d->name);
        first = false;
    }
    if (first)
        sb_adds(sb, "(none besides 'connector')");
}

int conn_validate(const struct connector_def *def, const struct format_def *fmt,
                  const char *table_name, int n_in, const char *const *keys_in,
                  const char *const *values_in, bool as_source,
                  struct opt_set **out, struct weir_error *err)
{
    char **keys, **values;
    int n = conn_normalize_options(n_in, keys_in, values_in, &keys, &values);
    struct opt_set *o = opt_set_new();
    struct weir_error e2 = {0};
    struct strbuf sb = {0};
    int rc = WEIR_OK;
    *out = NULL;

    if (!(def->caps & (as_source ? CONN_SOURCE : CONN_SINK))) {
        rc = err_set(err, WEIR_ERR_CONFIG,
                     "table '%s': connector '%s' cannot be used as a %s", table_name,
                     def->name, as_source ? "source (it only writes)" :
                                            "sink (it only reads)");
        goto fail;
    }
    /* resolve the format first: its options are valid keys */
    if (fmt == NULL && def->needs_format) {
        for (int i = 0; i < n; i++) {
            if (strcmp(keys[i], "format") != 0)
                continue;
            fmt = format_lookup(values[i]);
            if (fmt == NULL) {
                format_names(&sb);
                rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': unknown format '%s' for connector '%s'; "
                             "available formats: %s", table_name, values[i],
                             def->name, sb.buf);
                goto fail;
            }
        }
    }
    opt_set_add_defs(o, def->options);
    if (fmt)
        opt_set_add_defs(o, fmt->options);

    for (int i = 0; i < n; i++) {
        const char *k = keys[i], *v = values[i];
        for (int j = 0; j < i; j++) {
            if (strcmp(keys[j], k) == 0) {
                rc = err_set(err, WEIR_ERR_CONFIG,
                             "table '%s': option '%s' is given twice", table_name, k);
                goto fail;
            }
        }
        if (strcmp(k, "connector") == 0) {
            opt_set_put(o, k, v, NULL);
            continue;
        }
        const struct opt_def *d = NULL;
        if (strcmp(k, "format") == 0 && def->needs_format) {
            opt_set_put(o, k, v, NULL);
            continue;
        }
        size_t fl = fmt ? strlen(fmt->name) : 0;
        if (fmt && strncmp(k, fmt->name, fl) == 0 && k[fl] == '.')
            d = opt_def_find(fmt->options, k);
        if (d == NULL)
            d = opt_def_find(def->options, k);
        if (d == NULL) {
            valid_keys(&sb, def, fmt);
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': unknown option '%s' for connector '%s'; "
                         "valid options: %s", table_name, k, def->name, sb.buf);
            goto fail;
        }
        if (opt_check(d, k, v, &e2) != WEIR_OK) {
            rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': %s", table_name,
                         e2.message);
            goto fail;
        }
        opt_set_put(o, k, v, d);
    }

    /* required keys (wildcard definitions cannot be required) */
    const struct opt_def *tables[2] = {def->options, fmt ? fmt->options : NULL};
    for (int t = 0; t < 2; t++) {
        for (const struct opt_def *d = tables[t]; d && d->name; d++) {
            if (!d->required || opt_has(o, d->name))
                continue;
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': missing required option '%s' for connector '%s'",
                         table_name, d->name, def->name);
            goto fail;
        }
    }
    if (def->needs_format && fmt == NULL) {
        format_names(&sb);
        rc = err_set(err, WEIR_ERR_CONFIG,
                     "table '%s': missing required option 'format' for connector "
                     "'%s' (one of: %s)", table_name, def->name, sb.buf);
        goto fail;
    }
    if (fmt && fmt->validate && fmt->validate(o, &e2) != WEIR_OK) {
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': %s", table_name, e2.message);
        goto fail;
    }
    *out = o;
    o = NULL;
fail:
    opt_set_free(o);
    err_clear(&e2);
    sb_free(&sb);
    conn_options_free(n, keys, values);
    return rc;
}

/* ---- docs/CONNECTORS.md ----------------------------------------------------- */

/* A table cell: '|' would end the cell early. */
static void md_cell(struct strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            sb_adds(sb, "\\|");
        else if (*s == '\n')
            sb_addc(sb, ' ');
        else
            sb_addc(sb, *s);
    }
}

static void md_options(struct strbuf *sb, const struct opt_def *defs)
{
    if (defs == NULL || defs->name == NULL) {
        sb_adds(sb, "No options besides `connector`.\n\n");
        return;
    }
    sb_adds(sb, "| Option | Type | Default | Required | Description |\n");
    sb_adds(sb, "| --- | --- | --- | --- | --- |\n");
    for (const struct opt_def *d = defs; d->name; d++) {
        sb_addf(sb, "| `%s` | ", d->name);
        if (d->type == OPT_ENUM) {
            sb_adds(sb, "enum: ");
            md_cell(sb, d->values);
        } else {
            sb_adds(sb, opt_type_name(d->type));
        }
        sb_adds(sb, " | ");
        if (d->default_value)
            sb_addf(sb, "`%s`", d->default_value);
        else
            sb_adds(sb, "—");
        sb_addf(sb, " | %s | ", d->required ? "yes" : "no");
        md_cell(sb, d->description);
        sb_adds(sb, " |\n");
    }
    sb_adds(sb, "\n");
}

void conn_doc_markdown(struct strbuf *sb)
{
    sb_adds(sb, "<!-- generated from the option tables in src/connectors and "
                "src/formats — do not edit -->\n");
    sb_adds(sb, "# Connectors and formats\n\n");
    sb_adds(sb, "Every table's `WITH` options are checked against these tables: an "
                "unknown key or a malformed value is an error that names the valid "
                "keys or the expected form.  Durations are written like Flink's "
                "(`10 s`, `1 min`, `100ms`, `2h`, `1d`; a bare number is "
                "milliseconds), memory sizes like `128mb` or `64 kb` (powers of "
                "1024; a bare number is bytes).  `#` in a key stands for a column "
                "name.\n\n");
    sb_adds(sb, "## Connectors\n\n");
    for (int i = 0; i < N_CONNECTORS; i++) {
        const struct connector_def *c = connectors[i];
        const char *role = (c->caps & CONN_SOURCE) && (c->caps & CONN_SINK) ?
                               "source and sink" :
                           (c->caps & CONN_SOURCE) ? "source" : "sink";
        sb_addf(sb, "### `%s` (%s)\n\n", c->name, role);
        if (c->description)
            sb_addf(sb, "%s\n\n", c->description);
        if (c->needs_format)
            sb_adds(sb, "Takes a `format` and that format's options.\n\n");
        md_options(sb, c->options);
    }
    sb_adds(sb, "## Formats\n\n");
    const struct format_def *f;
    for (int i = 0; (f = format_at(i)) != NULL; i++) {
        sb_addf(sb, "### `%s`\n\n", f->name);
        md_options(sb, f->options);
    }
}
