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
 * Metadata (Flink's "Available Metadata"; format_def.metadata): debezium's
 * "ts_ms", "source" and "schema", canal's "database", "table", "sqlType",
 * "pkNames" and "ts", read as Flink declares them and copied into every row
 * of the record.  A connector that forwards them asks through
 * table_ctx.col_format_metadata; only the members those columns need are
 * decoded, after the rows (a record that does not fit the batch costs none).
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
#include "exec/cast.h"
#include "formats/format.h"
#include "formats/json.h"

enum cj_kind { CJ_DEBEZIUM, CJ_CANAL };

/* ---- metadata: Flink's DebeziumJsonDecodingFormat / CanalJsonDecodingFormat ---- */

static const struct sql_type map_str_str = {.id = T_MAP, .nullable = true,
                                            .elem = &type_string, .value = &type_string};
static const struct sql_type map_str_int = {.id = T_MAP, .nullable = true,
                                            .elem = &type_string, .value = &type_int};
static const struct sql_type array_str = {.id = T_ARRAY, .nullable = true,
                                          .elem = &type_string};

/* Indexes into the tables below. */
enum { DM_SCHEMA, DM_INGESTION_TS, DM_SOURCE_TS, DM_SOURCE_DB, DM_SOURCE_SCHEMA,
       DM_SOURCE_TABLE, DM_SOURCE_PROPS };
enum { CM_DATABASE, CM_TABLE, CM_SQL_TYPE, CM_PK_NAMES, CM_INGESTION_TS };

static const struct format_meta dbz_metadata[] = {
    {"schema", &type_string},
    {"ingestion-timestamp", &type_timestamp_ltz3},
    {"source.timestamp", &type_timestamp_ltz3},
    {"source.database", &type_string},
    {"source.schema", &type_string},
    {"source.table", &type_string},
    {"source.properties", &map_str_str},
    {NULL, NULL},
};

static const struct format_meta canal_metadata[] = {
    {"database", &type_string},
    {"table", &type_string},
    {"sql-type", &map_str_int},
    {"pk-names", &array_str},
    {"ingestion-timestamp", &type_timestamp_ltz3},
    {NULL, NULL},
};

/*
 * The envelope members the metadata comes from, decoded as Flink declares
 * them (so "source" values that are numbers or objects read as their JSON
 * text, and "ts_ms" may be a number or a numeric string).  Each format's
 * metadata key k reads member meta_member[k].
 */
enum { DB_SCHEMA, DB_TS, DB_SOURCE, DB_N };
static const char *const dbz_members[DB_N] = {"schema", "ts_ms", "source"};
static const struct sql_type *const dbz_member_types[DB_N] = {&type_string, &type_bigint,
                                                              &map_str_str};
static const int dbz_meta_member[] = {DB_SCHEMA, DB_TS, DB_SOURCE, DB_SOURCE, DB_SOURCE,
                                      DB_SOURCE, DB_SOURCE};

enum { CB_DATABASE, CB_TABLE, CB_SQL_TYPE, CB_PK_NAMES, CB_TS, CB_N };
static const char *const canal_members[CB_N] = {"database", "table", "sqlType", "pkNames",
                                                "ts"};
static const struct sql_type *const canal_member_types[CB_N] = {
    &type_string, &type_string, &map_str_int, &array_str, &type_bigint};
static const int canal_meta_member[] = {CB_DATABASE, CB_TABLE, CB_SQL_TYPE, CB_PK_NAMES,
                                        CB_TS};

#define MEMBERS_MAX CB_N

/* A metadata column the decoder fills. */
struct cj_meta {
    int col;                        /* in the batch */
    const char *name;               /* the column's, for messages */
    int key;                        /* index into the format's metadata table */
    struct vec val;                 /* a derived value (timestamps, source.*), row 0 */
    struct vec cast;                /* the value cast to the column's type, row 0 */
    bool needs_cast;                /* the column is declared as another type */
};

struct cj_dec {
    struct decoder base;
    enum cj_kind kind;
    struct json_dec *rows;          /* before/after/data rows; also walks the envelope */
    struct json_dec *old;           /* canal: old[i] overlaid on a copy of data[i] */
    bool schema_include;            /* debezium-json.schema-include */
    pcre2_code *db_re, *table_re;   /* canal-json.database.include / .table.include */
    pcre2_match_data *md;
    struct weir_error *err;
    /* metadata columns (none: nothing below is used) */
    int n_meta;
    struct cj_meta *meta;
    const int *meta_member;         /* dbz_meta_member or canal_meta_member */
    struct json_dec *members;       /* decodes the envelope members they read */
    struct batch *mvals;            /* ... into row 0 of these, one per member */
    bool member_used[MEMBERS_MAX];
    struct json_span spans[MEMBERS_MAX];  /* the members of the record */
    bool ignore_errors;             /* <format>.ignore-parse-errors */
    bool *lossy;
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
    /* payload's members come before F_PAYLOAD (the payload walk takes those) */
    enum { F_BEFORE, F_AFTER, F_OP, F_TS, F_SOURCE, F_PAYLOAD, F_SCHEMA, F_N };
    static const char *const names[F_N] = {"before", "after", "op",    "ts_ms",
                                           "source", "payload", "schema"};
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
    d->spans[DB_SCHEMA] = m[F_SCHEMA];
    d->spans[DB_TS] = m[F_TS];
    d->spans[DB_SOURCE] = m[F_SOURCE];
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
    enum { F_DATA, F_OLD, F_TYPE, F_DATABASE, F_TABLE, F_SQL_TYPE, F_PK_NAMES, F_TS, F_N };
    static const char *const names[F_N] = {"data",  "old",     "type",    "database",
                                           "table", "sqlType", "pkNames", "ts"};
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
    for (int i = 0; i < CB_N; i++)     /* F_DATABASE.. are canal_members' order */
        d->spans[i] = m[F_DATABASE + i];
    return WEIR_OK;
}

/* ---- metadata columns ---------------------------------------------------------- */

/* The value of key k in the MAP<STRING, STRING> at row 0 of v (the last
 * one when a key repeats, as in Jackson's tree); NULL if absent or null. */
static const struct str *map_get(const struct vec *v, const char *k)
{
    if (vec_is_null(v, 0))
        return NULL;
    size_t n = strlen(k);
    for (int e = v->offsets[1] - 1; e >= v->offsets[0]; e--) {
        const struct str *key = &v->children[0].s[e];
        if (key->len == n && memcmp(key->ptr, k, n) == 0)
            return vec_is_null(&v->children[1], e) ? NULL : &v->children[1].s[e];
    }
    return NULL;
}

/* ms since the epoch into row 0 of out (TIMESTAMP_LTZ, microseconds), or,
 * past what microseconds hold (±292,000 years), the error `what` says. */
static int put_millis(struct cj_dec *d, struct vec *out, bool ok, int64_t ms,
                      const char *what, const struct str *text)
{
    int64_t us;
    if (ok && !__builtin_mul_overflow(ms, 1000, &us)) {
        out->i64[0] = us;
        vec_set_valid(out, 0);
        return WEIR_OK;
    }
    if (d->ignore_errors) {
        vec_set_null(out, 0);
        if (d->lossy)
            *d->lossy = true;
        return WEIR_OK;
    }
    if (text)
        return parse_err(d, "%s: cannot convert \"%.*s\" to milliseconds since the epoch",
                         what, text->len > 64 ? 64 : (int)text->len, text->ptr);
    return parse_err(d, "%s: %lld ms is out of the range of TIMESTAMP_LTZ", what,
                     (long long)ms);
}

/* "ts_ms" / "ts" (BIGINT at row 0 of v) as TIMESTAMP_LTZ. */
static int ts_from_millis(struct cj_dec *d, struct vec *out, const struct vec *v,
                          const char *what)
{
    if (vec_is_null(v, 0)) {
        vec_set_null(out, 0);
        return WEIR_OK;
    }
    return put_millis(d, out, true, v->i64[0], what, NULL);
}

/* source.ts_ms as Flink reads it: Long.parseLong of the text. */
static int source_ts(struct cj_dec *d, struct vec *out, const struct vec *src)
{
    const struct str *t = map_get(src, "ts_ms");
    if (t == NULL) {
        vec_set_null(out, 0);
        return WEIR_OK;
    }
    int64_t ms = 0;
    bool neg = t->len > 0 && t->ptr[0] == '-';
    size_t i = t->len > 0 && (t->ptr[0] == '-' || t->ptr[0] == '+');
    bool ok = i < t->len;
    for (; ok && i < t->len; i++) {
        int dig = t->ptr[i] - '0';
        ok = dig >= 0 && dig <= 9 && !__builtin_mul_overflow(ms, 10, &ms) &&
             !__builtin_add_overflow(ms, neg ? -dig : dig, &ms);
    }
    return put_millis(d, out, ok, ms, "\"source\".\"ts_ms\"", t);
}

/* The string value of key k of the source map (then of k2, if given). */
static void source_str(struct vec *out, const struct vec *src, const char *k, const char *k2)
{
    const struct str *t = map_get(src, k);
    if (t == NULL && k2)
        t = map_get(src, k2);
    if (t == NULL) {
        vec_set_null(out, 0);
        return;
    }
    out->s[0] = *t;     /* the bytes stay in mvals' arena until the next record */
    vec_set_valid(out, 0);
}

/*
 * Fills the metadata columns of rows row .. row + n - 1 (one record's rows
 * share its metadata).  Only the members the columns need are decoded.
 */
static int fill_meta(struct cj_dec *d, const char *end, struct batch *b, int row, int n)
{
    batch_reset(d->mvals);
    for (int k = 0; k < MEMBERS_MAX; k++) {
        if (!d->member_used[k])
            continue;
        const struct json_span *sp = &d->spans[k];
        if (json_dec_value(d->members, k, sp->s, end, &d->mvals->cols[k], 0) == NULL)
            return WEIR_ERR_PARSE;
    }
    for (int i = 0; i < d->n_meta; i++) {
        struct cj_meta *m = &d->meta[i];
        const struct vec *mv = &d->mvals->cols[d->meta_member[m->key]];
        const struct vec *v = &m->val;
        int rc = WEIR_OK;
        if (d->kind == CJ_DEBEZIUM) {
            switch (m->key) {
            case DM_INGESTION_TS: rc = ts_from_millis(d, &m->val, mv, "\"ts_ms\""); break;
            case DM_SOURCE_TS: rc = source_ts(d, &m->val, mv); break;
            case DM_SOURCE_DB: source_str(&m->val, mv, "db", NULL); break;
            case DM_SOURCE_SCHEMA: source_str(&m->val, mv, "schema", NULL); break;
            case DM_SOURCE_TABLE: source_str(&m->val, mv, "table", "collection"); break;
            default: v = mv; break;     /* schema, source.properties: the member */
            }
        } else if (m->key == CM_INGESTION_TS) {
            rc = ts_from_millis(d, &m->val, mv, "\"ts\"");
        } else {
            v = mv;
        }
        if (rc != WEIR_OK)
            return rc;
        if (m->needs_cast) {
            struct weir_error e2 = {0};
            if (cast_vec(v, &m->cast, NULL, 1, CAST_STRICT, &e2) != WEIR_OK) {
                rc = parse_err(d, "metadata column '%s': %s", m->name,
                               e2.message ? e2.message : "cannot cast");
                err_clear(&e2);
                return rc;
            }
            v = &m->cast;
        }
        for (int r = row; r < row + n; r++)
            vec_copy_row(&b->cols[m->col], r, v, 0);
    }
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
    d->lossy = lossy;
    json_dec_begin(d->rows, rec, len, lossy, err);
    if (d->old)
        json_dec_begin(d->old, rec, len, lossy, err);
    int rc = d->kind == CJ_DEBEZIUM ? dbz_decode(d, rec, rec + len, b, row, n_rows) :
                                      canal_decode(d, rec, rec + len, b, row, n_rows);
    if (rc == WEIR_OK && *n_rows > 0 && d->n_meta > 0) {
        json_dec_begin(d->members, rec, len, lossy, err);
        rc = fill_meta(d, rec + len, b, row, *n_rows);
    }
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
    json_dec_destroy(d->members);
    for (int i = 0; i < d->n_meta; i++) {
        vec_free(&d->meta[i].val);
        vec_free(&d->meta[i].cast);
    }
    mem_free(d->meta);
    if (d->mvals)
        batch_free(d->mvals);
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

/* The metadata columns t asks the format for (the connector checked the
 * keys and the binder that the column types are castable from Flink's). */
static void meta_setup(struct cj_dec *d, const struct table_ctx *t,
                       const struct json_dec_opts *o)
{
    const struct format_meta *tab = d->kind == CJ_DEBEZIUM ? dbz_metadata : canal_metadata;
    for (int i = 0; t->col_format_metadata && i < t->n_cols; i++) {
        const char *k = t->col_format_metadata[i];
        int key = -1;
        for (int j = 0; k && tab[j].key; j++)
            if (strcmp(tab[j].key, k) == 0)
                key = j;
        if (key < 0)
            continue;
        if (d->meta == NULL)
            d->meta = mem_calloc((size_t)t->n_cols, sizeof(*d->meta));
        d->meta[d->n_meta++] = (struct cj_meta){.col = i, .name = t->col_names[i],
                                                .key = key};
    }
    if (d->n_meta == 0)
        return;
    bool dbz = d->kind == CJ_DEBEZIUM;
    int n = dbz ? DB_N : CB_N;
    d->meta_member = dbz ? dbz_meta_member : canal_meta_member;
    const struct sql_type *const *types = dbz ? dbz_member_types : canal_member_types;
    struct table_ctx mt = {
        .table_name = t->table_name,
        .n_cols = n,
        .col_names = dbz ? dbz_members : canal_members,
        .col_types = types,
    };
    d->members = json_dec_new(&mt, o);
    d->mvals = batch_new(n, types);
    for (int i = 0; i < d->n_meta; i++) {
        struct cj_meta *m = &d->meta[i];
        const struct sql_type *mty = tab[m->key].type, *cty = t->col_types[m->col];
        d->member_used[d->meta_member[m->key]] = true;
        vec_init(&m->val, mty, 1, &d->mvals->arena);
        m->needs_cast = !type_equal(mty, cty);
        if (m->needs_cast)
            vec_init(&m->cast, cty, 1, &d->mvals->arena);
    }
}

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
    d->ignore_errors = o.ignore_errors;
    d->rows = json_dec_new(t, &o);
    meta_setup(d, t, &o);
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
    .metadata = dbz_metadata,
};

const struct format_def fmt_canal_json = {
    .name = "canal-json",
    .options = canal_options,
    .changelog = true,
    .decoder_create = canal_decoder_create,
    .encoder_create = canal_encoder_create,
    .validate = canal_validate,
    .metadata = canal_metadata,
};
