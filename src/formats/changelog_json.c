/*
 * changelog_json.c — the changelog formats 'debezium-json' and 'canal-json':
 * JSON envelopes around database rows that say how each row changed, read as
 * a changelog (+I / -U / +U / -D rows) and written from one.  Semantics are
 * Flink's (DebeziumJson* and CanalJson* in flink-json).
 *
 * debezium-json reads {"before": row, "after": row, "op": ...} ("source",
 * "ts_ms", ... skipped): op "c" or "r" (snapshot read) is +I after, "u" is
 * -U before then +U after, "d" is -D before.  A "u" or "d" without "before"
 * fails with Flink's REPLICA IDENTITY hint (Debezium's Postgres connector
 * leaves it null unless the table is REPLICA IDENTITY FULL).  With
 * 'debezium-json.schema-include' the envelope is under "payload" (Kafka
 * Connect's schemas.enable); "schema" is skipped.  Writing: +I and +U become
 * {"before":null,"after":row,"op":"c"}, -U and -D {"before":row,"after":null,
 * "op":"d"} — Flink cannot fold -U/+U into one "u" either.  Flink refuses
 * schema-include for writing, and so does weir.
 *
 * canal-json reads {"data": [rows], "old": [rows], "type": ...} ("database",
 * "table", "es", "ts", "sql", ... skipped), several rows per message: type
 * INSERT is +I per element of "data", DELETE -D per element, UPDATE -U, +U
 * per element, the -U being data[i] overlaid with old[i] — canal's "old"
 * holds only the fields that changed, so a field absent from old[i] kept its
 * value, and one present (null included) had that value before.  CREATE (a
 * DDL event) holds no rows; any other type is an error, as in Flink.
 * 'canal-json.database.include' / '.table.include' keep only records whose
 * "database" / "table" the regular expression matches whole (Java's
 * Pattern.matches; compiled here with PCRE2, which agrees on the patterns
 * database and table names need); other records hold no rows and are not
 * decoded further, so another table's rows never fail this one's schema.
 * Writing: +I and +U become {"data":[row],"type":"INSERT"}, -U and -D
 * {"data":[row],"type":"DELETE"}.
 *
 * Where weir differs from Flink: a record Flink would fail on (or drop
 * silently with ignore-parse-errors) goes to the dead-letter output with the
 * reason, like every other format's; ignore-parse-errors still turns fields
 * that do not convert into NULL.  Flink decides whether a field is in
 * canal's "old" by searching the whole "old" array (JsonNode.findValue), so
 * when old[0] and old[1] name different fields it NULLs fields of rows that
 * did not change them; weir looks in old[i] only.  A record holds at most
 * BATCH_CAP rows (its rows travel in one batch; see format.h).
 *
 * The envelope is walked twice: once to find its members (the JSON order is
 * the producer's: canal puts "type" last), then the rows are decoded where
 * they are, with json.c's compiled schema (formats/json.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"
#include "core/mem.h"
#include "formats/format.h"
#include "formats/json.h"

enum cj_kind { CJ_DEBEZIUM, CJ_CANAL };

struct cj_dec {
    struct decoder base;
    enum cj_kind kind;
    struct json_dec *rows;          /* before/after/data rows; also walks the envelope */
    struct json_dec *old;           /* canal: old[i] overlaid on a copy of data[i] */
    bool schema_include;            /* debezium-json.schema-include */
    pcre2_code *db_re, *table_re;   /* canal-json.database.include / .table.include */
    pcre2_match_data *md;
    struct weir_error *err;
};

static int parse_err(struct cj_dec *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A record-level error (no byte position: it is about the record's meaning). */
static int parse_err(struct cj_dec *d, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(d->err, WEIR_ERR_PARSE, "%s", msg);
}

static bool is_null(const struct json_span *s)
{
    return s->s == NULL || *s->s == 'n';
}

/* Room for `need` more rows after `used` of them at row `row`?  Else AGAIN
 * (the caller retries in an empty batch) or, in an empty batch, an error. */
static int room(struct cj_dec *d, int row, int used, int need)
{
    if (row + used + need <= BATCH_CAP)
        return WEIR_OK;
    if (row > 0)
        return WEIR_AGAIN;
    return parse_err(d, "the record holds more than %d rows, more than a batch holds "
                     "(a record's rows are never split between batches)", BATCH_CAP);
}

/* The text of a string member (unescaped), or of any other value as it is
 * written; NULL (error set) if malformed. */
static const char *member_text(struct cj_dec *d, const struct json_span *s, const char *end,
                               size_t *n)
{
    const char *t = s->s;
    if (*s->s == '"') {
        if (json_string(d->rows, s->s, end, &t, n) == NULL)
            return NULL;
        return t;
    }
    *n = (size_t)(s->e - s->s);
    return t;
}

static void set_kind(struct batch *b, int row, enum row_kind k)
{
    batch_ensure_kinds(b);
    b->kinds[row] = (uint8_t)k;
}

/* The row object at s into row r. */
static int row_at(struct json_dec *jd, const struct json_span *s, const char *end,
                  struct batch *b, int r)
{
    return json_dec_row(jd, s->s, end, b, r) ? WEIR_OK : WEIR_ERR_PARSE;
}

/* ---- debezium-json ------------------------------------------------------------- */

/* The record's top-level object: the spans of the named members (the rest
 * skipped), and nothing after it. */
static int envelope(struct cj_dec *d, const char *rec, const char *end,
                    const char *const *names, int n, struct json_span *m)
{
    const char *p = json_ws(rec, end);
    if (p >= end)
        return json_fail(d->rows, p, "empty record");
    if (*p != '{')
        return json_fail(d->rows, p, "expected '{'");
    const char *q = json_members(d->rows, p, end, names, n, m);
    if (q == NULL)
        return WEIR_ERR_PARSE;
    q = json_ws(q, end);
    if (q < end)
        return json_fail(d->rows, q, "unexpected '%c' after the end of the object", *q);
    return WEIR_OK;
}

/* Flink's words: Debezium's Postgres connector leaves "before" null unless the
 * table is REPLICA IDENTITY FULL */
#define DBZ_REPLICA_HINT                                                                  \
    "the \"before\" field of %s message is null, if you are using Debezium Postgres "     \
    "Connector, please check the Postgres table has been set REPLICA IDENTITY to FULL "   \
    "level"

static int dbz_decode(struct cj_dec *d, const char *rec, const char *end, struct batch *b,
                      int row, int *n_rows)
{
    enum { F_BEFORE, F_AFTER, F_OP, F_PAYLOAD, F_SCHEMA, F_N };
    static const char *const names[F_N] = {"before", "after", "op", "payload", "schema"};
    struct json_span m[F_N];
    int erc = envelope(d, rec, end, names, F_N, m);
    if (erc)
        return erc;
    if (d->schema_include) {
        if (is_null(&m[F_PAYLOAD]))
            return parse_err(d, "\"payload\" is %s%s", m[F_PAYLOAD].s ? "null" : "missing",
                             m[F_OP].s ? "; the record looks like Debezium JSON without "
                                         "a schema: set 'debezium-json.schema-include' "
                                         "to 'false'" : "");
        if (*m[F_PAYLOAD].s != '{')
            return json_fail(d->rows, m[F_PAYLOAD].s, "\"payload\": expected '{'");
        if (json_members(d->rows, m[F_PAYLOAD].s, end, names, F_PAYLOAD, m) == NULL)
            return WEIR_ERR_PARSE;
    }
    if (is_null(&m[F_OP])) {
        if (!d->schema_include && m[F_PAYLOAD].s && m[F_SCHEMA].s)
            return parse_err(d, "\"op\" is missing; the record has \"schema\" and "
                             "\"payload\": set 'debezium-json.schema-include' to 'true'");
        return parse_err(d, "\"op\" is %s", m[F_OP].s ? "null" : "missing");
    }
    size_t n;
    const char *op = member_text(d, &m[F_OP], end, &n);
    if (op == NULL)
        return WEIR_ERR_PARSE;
    int rc;
    if (n == 1 && (*op == 'c' || *op == 'r')) {
        if (is_null(&m[F_AFTER]))
            return parse_err(d, "the \"after\" field of %s message is null",
                             *op == 'c' ? "a CREATE" : "a READ");
        if ((rc = room(d, row, 0, 1)) != WEIR_OK ||
            (rc = row_at(d->rows, &m[F_AFTER], end, b, row)) != WEIR_OK)
            return rc;
        set_kind(b, row, RK_INSERT);
        *n_rows = 1;
    } else if (n == 1 && *op == 'u') {
        if (is_null(&m[F_BEFORE]))
            return parse_err(d, DBZ_REPLICA_HINT, "UPDATE");
        if (is_null(&m[F_AFTER]))
            return parse_err(d, "the \"after\" field of an UPDATE message is null");
        if ((rc = room(d, row, 0, 2)) != WEIR_OK ||
            (rc = row_at(d->rows, &m[F_BEFORE], end, b, row)) != WEIR_OK ||
            (rc = row_at(d->rows, &m[F_AFTER], end, b, row + 1)) != WEIR_OK)
            return rc;
        set_kind(b, row, RK_UPDATE_BEFORE);
        set_kind(b, row + 1, RK_UPDATE_AFTER);
        *n_rows = 2;
    } else if (n == 1 && *op == 'd') {
        if (is_null(&m[F_BEFORE]))
            return parse_err(d, DBZ_REPLICA_HINT, "DELETE");
        if ((rc = room(d, row, 0, 1)) != WEIR_OK ||
            (rc = row_at(d->rows, &m[F_BEFORE], end, b, row)) != WEIR_OK)
            return rc;
        set_kind(b, row, RK_DELETE);
        *n_rows = 1;
    } else {
        return parse_err(d, "unknown \"op\" value \"%.*s\"", n > 64 ? 64 : (int)n, op);
    }
    return WEIR_OK;
}

/* ---- canal-json ---------------------------------------------------------------- */

/* Does the member (a string, or any value's text as Jackson's asText gives
 * it: "" for objects and arrays) match re whole? */
static int canal_match(struct cj_dec *d, pcre2_code *re, const struct json_span *s,
                       const char *end, const char *what, bool *match)
{
    if (s->s == NULL)
        return parse_err(d, "\"%s\" is missing (needed by 'canal-json.%s.include')", what,
                         what);
    size_t n = 0;
    const char *t = "";
    if (*s->s != '{' && *s->s != '[' && (t = member_text(d, s, end, &n)) == NULL)
        return WEIR_ERR_PARSE;
    *match = pcre2_match(re, (PCRE2_SPTR)t, n, 0, 0, d->md, NULL) >= 0;
    return WEIR_OK;
}

/* Steps the walk of an array: *p is at its '[' (first) or just after an
 * element; leaves *p at the next element (*more) or at the closing ']'. */
static int next_elem(struct cj_dec *d, const char **p, const char *end, bool first,
                     bool *more)
{
    const char *q = json_ws(first ? *p + 1 : *p, end);
    if (!first && q < end && *q == ',') {
        q = json_ws(q + 1, end);
    } else if (q < end && *q == ']') {
        *more = false;
        *p = q;
        return WEIR_OK;
    } else if (!first) {
        return json_fail(d->rows, q, "expected ',' or ']' in array");
    }
    *more = true;
    *p = q;
    return WEIR_OK;
}

static int canal_decode(struct cj_dec *d, const char *rec, const char *end, struct batch *b,
                        int row, int *n_rows)
{
    enum { F_DATA, F_OLD, F_TYPE, F_DATABASE, F_TABLE, F_N };
    static const char *const names[F_N] = {"data", "old", "type", "database", "table"};
    struct json_span m[F_N];
    int erc = envelope(d, rec, end, names, F_N, m);
    if (erc)
        return erc;
    bool match = true;
    int rc;
    if (d->db_re && (rc = canal_match(d, d->db_re, &m[F_DATABASE], end, "database",
                                      &match)) != WEIR_OK)
        return rc;
    if (match && d->table_re &&
        (rc = canal_match(d, d->table_re, &m[F_TABLE], end, "table", &match)) != WEIR_OK)
        return rc;
    if (!match)
        return WEIR_OK;     /* another database's or table's change */
    if (is_null(&m[F_TYPE]))
        return parse_err(d, "\"type\" is %s", m[F_TYPE].s ? "null" : "missing");
    size_t n;
    const char *type = member_text(d, &m[F_TYPE], end, &n);
    if (type == NULL)
        return WEIR_ERR_PARSE;
    enum row_kind k;
    bool update = false;
    if (n == 6 && memcmp(type, "INSERT", 6) == 0) {
        k = RK_INSERT;
    } else if (n == 6 && memcmp(type, "DELETE", 6) == 0) {
        k = RK_DELETE;
    } else if (n == 6 && memcmp(type, "UPDATE", 6) == 0) {
        k = RK_UPDATE_AFTER;
        update = true;
    } else if (n == 6 && memcmp(type, "CREATE", 6) == 0) {
        return WEIR_OK;     /* a DDL event: no rows */
    } else {
        return parse_err(d, "unknown \"type\" value \"%.*s\"", n > 64 ? 64 : (int)n, type);
    }
    if (is_null(&m[F_DATA]))
        return parse_err(d, "\"data\" is %s in a%s %.*s message",
                         m[F_DATA].s ? "null" : "missing", *type == 'D' ? "" : "n", (int)n,
                         type);
    if (*m[F_DATA].s != '[')
        return json_fail(d->rows, m[F_DATA].s, "\"data\": expected '['");
    if (update) {
        if (is_null(&m[F_OLD]))
            return parse_err(d, "\"old\" is %s in an UPDATE message",
                             m[F_OLD].s ? "null" : "missing");
        if (*m[F_OLD].s != '[')
            return json_fail(d->rows, m[F_OLD].s, "\"old\": expected '['");
    }
    const char *dp = m[F_DATA].s, *op = m[F_OLD].s;
    int used = 0;
    for (int i = 0;; i++) {
        bool more;
        if ((rc = next_elem(d, &dp, end, i == 0, &more)) != WEIR_OK)
            return rc;
        if (!more)
            break;
        if ((rc = room(d, row, used, update ? 2 : 1)) != WEIR_OK)
            return rc;
        if (update) {
            bool old_more;
            if ((rc = next_elem(d, &op, end, i == 0, &old_more)) != WEIR_OK)
                return rc;
            if (!old_more)
                return parse_err(d, "\"old\" has fewer elements than \"data\" (%d)", i);
            /* before: data[i], then the fields old[i] names; after: data[i]
             * decoded again, not copied: ARRAY and MAP columns lay their
             * elements out row after row, so a row is complete before the
             * next one starts */
            if (json_dec_row(d->rows, dp, end, b, row + used) == NULL ||
                (op = json_dec_row(d->old, op, end, b, row + used)) == NULL)
                return WEIR_ERR_PARSE;
            set_kind(b, row + used++, RK_UPDATE_BEFORE);
        }
        if ((dp = json_dec_row(d->rows, dp, end, b, row + used)) == NULL)
            return WEIR_ERR_PARSE;
        set_kind(b, row + used++, k);
    }
    *n_rows = used;
    return WEIR_OK;
}

/* ---- the decoder --------------------------------------------------------------- */

static int cj_decode_rows(struct decoder *dec, const char *rec, size_t len, struct batch *b,
                          int row, int *n_rows, bool *lossy, struct weir_error *err)
{
    struct cj_dec *d = (struct cj_dec *)dec;
    *n_rows = 0;
    if (len == 0)
        return WEIR_OK;     /* a tombstone: Flink skips it */
    d->err = err;
    json_dec_begin(d->rows, rec, len, lossy, err);
    if (d->old)
        json_dec_begin(d->old, rec, len, lossy, err);
    int rc = d->kind == CJ_DEBEZIUM ? dbz_decode(d, rec, rec + len, b, row, n_rows) :
                                      canal_decode(d, rec, rec + len, b, row, n_rows);
    if (rc != WEIR_OK) {
        *n_rows = 0;
        if (rc < 0 && !err_is_set(err))
            err_set(err, WEIR_ERR_PARSE, "malformed json");
    }
    return rc;
}

static void cj_dec_free(struct decoder *dec)
{
    struct cj_dec *d = (struct cj_dec *)dec;
    if (d == NULL)
        return;
    json_dec_destroy(d->rows);
    json_dec_destroy(d->old);
    pcre2_match_data_free(d->md);
    pcre2_code_free(d->db_re);
    pcre2_code_free(d->table_re);
    mem_free(d);
}

static const struct decoder_ops cj_dec_ops = {
    .decode = NULL,
    .free = cj_dec_free,
    .decode_rows = cj_decode_rows,
};

/* Compiles a whole-value pattern ('<opt>' names it in the error). */
static pcre2_code *include_compile(const char *opt, const char *pattern,
                                   struct weir_error *err)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF |
                                   PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        err_set(err, WEIR_ERR_CONFIG, "option '%s': %s at offset %d of '%s'", opt,
                (const char *)msg, (int)eo, pattern);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

static int cj_decoder_create(const struct table_ctx *t, enum cj_kind kind,
                             struct decoder **out, struct weir_error *err)
{
    const char *fmt = kind == CJ_DEBEZIUM ? "debezium-json" : "canal-json";
    char key[64];
    snprintf(key, sizeof(key), "%s.ignore-parse-errors", fmt);
    struct json_dec_opts o = {.ignore_errors = opt_bool(t->opts, key, false)};
    struct cj_dec *d = mem_calloc(1, sizeof(*d));
    d->base.ops = &cj_dec_ops;
    d->kind = kind;
    d->rows = json_dec_new(t, &o);
    if (kind == CJ_DEBEZIUM) {
        d->schema_include = opt_bool(t->opts, "debezium-json.schema-include", false);
        *out = &d->base;
        return WEIR_OK;
    }
    o.overlay = true;
    d->old = json_dec_new(t, &o);
    struct weir_error e2 = {0};
    static const char *const inc[2] = {"canal-json.database.include",
                                       "canal-json.table.include"};
    for (int i = 0; i < 2; i++) {
        if (!opt_has(t->opts, inc[i]))
            continue;
        pcre2_code *re = include_compile(inc[i], opt_str(t->opts, inc[i], ""), &e2);
        if (re == NULL) {
            err_set(err, WEIR_ERR_CONFIG, "table '%s': %s", t->table_name, e2.message);
            err_clear(&e2);
            cj_dec_free(&d->base);
            return WEIR_ERR_CONFIG;
        }
        *(i == 0 ? &d->db_re : &d->table_re) = re;
    }
    if (d->db_re || d->table_re)
        d->md = pcre2_match_data_create(1, NULL);
    *out = &d->base;
    return WEIR_OK;
}

static int dbz_decoder_create(const struct table_ctx *t, struct decoder **out,
                              struct weir_error *err)
{
    return cj_decoder_create(t, CJ_DEBEZIUM, out, err);
}

static int canal_decoder_create(const struct table_ctx *t, struct decoder **out,
                                struct weir_error *err)
{
    return cj_decoder_create(t, CJ_CANAL, out, err);
}

/* ---- the encoders -------------------------------------------------------------- */

struct cj_enc {
    struct encoder base;
    enum cj_kind kind;
    struct encoder *row;            /* json.c's row object */
};

static int cj_encode(struct encoder *enc, const struct batch *b, int row,
                     struct strbuf *out, struct weir_error *err)
{
    struct cj_enc *e = (struct cj_enc *)enc;
    enum row_kind k = batch_kind(b, row);
    bool add = k == RK_INSERT || k == RK_UPDATE_AFTER;
    int rc;
    if (e->kind == CJ_DEBEZIUM) {
        sb_adds(out, add ? "{\"before\":null,\"after\":" : "{\"before\":");
        if ((rc = e->row->ops->encode(e->row, b, row, out, err)) != WEIR_OK)
            return rc;
        sb_adds(out, add ? ",\"op\":\"c\"}" : ",\"after\":null,\"op\":\"d\"}");
    } else {
        sb_adds(out, "{\"data\":[");
        if ((rc = e->row->ops->encode(e->row, b, row, out, err)) != WEIR_OK)
            return rc;
        sb_adds(out, add ? "],\"type\":\"INSERT\"}" : "],\"type\":\"DELETE\"}");
    }
    return WEIR_OK;
}

static void cj_enc_free(struct encoder *enc)
{
    struct cj_enc *e = (struct cj_enc *)enc;
    if (e == NULL)
        return;
    e->row->ops->free(e->row);
    mem_free(e);
}

static const struct encoder_ops cj_enc_ops = {cj_encode, cj_enc_free};

static struct encoder *cj_enc_new(const struct table_ctx *t, enum cj_kind kind)
{
    struct cj_enc *e = mem_calloc(1, sizeof(*e));
    e->base.ops = &cj_enc_ops;
    e->kind = kind;
    e->row = json_row_encoder_new(t, kind == CJ_DEBEZIUM ? "debezium-json" : "canal-json");
    return &e->base;
}

static int dbz_encoder_create(const struct table_ctx *t, struct encoder **out,
                              struct weir_error *err)
{
    if (opt_bool(t->opts, "debezium-json.schema-include", false))
        return err_set(err, WEIR_ERR_CONFIG, "table '%s': debezium-json cannot write "
                       "with 'debezium-json.schema-include' = 'true' (Flink's Debezium "
                       "JSON serialization does not support it either); remove it from "
                       "the sink table", t->table_name);
    *out = cj_enc_new(t, CJ_DEBEZIUM);
    return WEIR_OK;
}

static int canal_encoder_create(const struct table_ctx *t, struct encoder **out,
                                struct weir_error *err)
{
    (void)err;
    *out = cj_enc_new(t, CJ_CANAL);
    return WEIR_OK;
}

/* The include patterns must compile; checked when the table is declared. */
static int canal_validate(const struct opt_set *o, struct weir_error *err)
{
    static const char *const inc[2] = {"canal-json.database.include",
                                       "canal-json.table.include"};
    for (int i = 0; i < 2; i++) {
        if (!opt_has(o, inc[i]))
            continue;
        pcre2_code *re = include_compile(inc[i], opt_str(o, inc[i], ""), err);
        if (re == NULL)
            return WEIR_ERR_CONFIG;
        pcre2_code_free(re);
    }
    return WEIR_OK;
}

/* ---- option tables ------------------------------------------------------------- */

#define JSON_ENCODING_OPTIONS(F)                                                        \
    {F ".timestamp-format.standard", OPT_ENUM, "SQL", "SQL|ISO-8601", false,            \
     "timestamp text written: SQL 'yyyy-MM-dd HH:mm:ss.s' or ISO-8601 "                 \
     "'yyyy-MM-ddTHH:mm:ss.s'; both are read"},                                         \
    {F ".map-null-key.mode", OPT_ENUM, "FAIL", "FAIL|DROP|LITERAL", false,              \
     "what the encoder does with a MAP entry whose key is NULL"},                       \
    {F ".map-null-key.literal", OPT_STRING, "null", NULL, false,                        \
     "the key written for NULL map keys in LITERAL mode"},                              \
    {F ".encode.decimal-as-plain-number", OPT_BOOL, "false", NULL, false,               \
     "write DECIMAL values without scientific notation"}

static const struct opt_def dbz_options[] = {
    {"debezium-json.schema-include", OPT_BOOL, "false", NULL, false,
     "the records are Kafka Connect JSON with a schema (value.converter.schemas.enable): "
     "the change is under \"payload\"; reading only"},
    {"debezium-json.ignore-parse-errors", OPT_BOOL, "false", NULL, false,
     "a field that cannot be converted becomes NULL (the record is still copied to "
     "the dead-letter output); records that are not Debezium changes are always "
     "dead-lettered"},
    JSON_ENCODING_OPTIONS("debezium-json"),
    {NULL},
};

static const struct opt_def canal_options[] = {
    {"canal-json.ignore-parse-errors", OPT_BOOL, "false", NULL, false,
     "a field that cannot be converted becomes NULL (the record is still copied to "
     "the dead-letter output); records that are not Canal changes are always "
     "dead-lettered"},
    JSON_ENCODING_OPTIONS("canal-json"),
    {"canal-json.database.include", OPT_STRING, NULL, NULL, false,
     "read only records whose \"database\" this regular expression matches whole "
     "(Java Pattern syntax, run by PCRE2); reading only"},
    {"canal-json.table.include", OPT_STRING, NULL, NULL, false,
     "read only records whose \"table\" this regular expression matches whole; "
     "reading only"},
    {NULL},
};

const struct format_def fmt_debezium_json = {
    .name = "debezium-json",
    .options = dbz_options,
    .changelog = true,
    .decoder_create = dbz_decoder_create,
    .encoder_create = dbz_encoder_create,
    .validate = NULL,
};

const struct format_def fmt_canal_json = {
    .name = "canal-json",
    .options = canal_options,
    .changelog = true,
    .decoder_create = canal_decoder_create,
    .encoder_create = canal_encoder_create,
    .validate = canal_validate,
};
