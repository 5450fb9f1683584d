/*
 * registry_doc.h — renders the option tables of every registered connector
 * and format as Markdown; `weir` writes it out as docs/CONNECTORS.md so the
 * documentation can never drift from what the validator accepts.
 */
#ifndef WEIR_REGISTRY_DOC_H
#define WEIR_REGISTRY_DOC_H

#include "core/strbuf.h"

/* Appends the whole document to sb. */
void conn_doc_markdown(struct strbuf *sb);

#endif
