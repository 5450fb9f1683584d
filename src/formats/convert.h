/*
 * convert.h — text → typed value conversion shared by the text formats whose
 * fields are plain text (csv, regex).  The rules are Flink's csv format's
 * (CsvToRowDataConverters): numbers are trimmed and strict, BOOLEAN is Java's
 * parseBoolean (only "true" is true), BYTES are base64, DATE/TIME/TIMESTAMP
 * use the SQL literal forms (a trailing 'Z' is accepted on timestamps), a
 * DECIMAL that does not fit its precision is NULL.  Moved out of csv.c for
 * the regex format (issue 6, part 4).
 */
#ifndef WEIR_CONVERT_H
#define WEIR_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/strbuf.h"
#include "exec/batch.h"

/*
 * Converts text s[0..n) into row `row` of v, whose type must be a scalar
 * (not ARRAY, MAP or ROW).  Returns false when the text does not convert (the
 * row's value is then undefined; the caller reports or NULLs it).  tmp is
 * scratch for BYTES (caller-owned, reused across calls).  Marks the row valid
 * on success.
 */
bool fmt_text_to_scalar(struct vec *v, int row, const char *s, size_t n,
                        struct strbuf *tmp);

/* True if fmt_text_to_scalar handles type t. */
bool fmt_text_type_ok(const struct sql_type *t);
/* Drops spaces and tabs around a value's text; false when nothing is left. */
bool fmt_trim_blanks(const char **s, size_t *n);
/* Decodes base64 (standard or URL-safe alphabet, '=' ends it) into out;
 * mime: line breaks and spaces are skipped, as in Jackson's binary values. */
bool fmt_base64_decode(struct strbuf *out, const char *s, size_t n, bool mime);

#endif
