/*
 * lines.h — the one test helper the operator tests share beyond their rigs:
 * text's lines in sorted order, to compare outputs whose order is not
 * defined (tests/unit/oprig.h and test_opstate_agg.c).
 */
#ifndef WEIR_TEST_LINES_H
#define WEIR_TEST_LINES_H

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/strbuf.h"

static inline int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted, as one string (caller frees). */
static inline char *sorted(const char *text)
{
    char *copy = mem_strdup(text), *save = NULL;
    char **lines = NULL;
    int n = 0, cap = 0;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        MEM_GROW(lines, cap, n + 1);
        lines[n++] = l;
    }
    if (n > 1)
        qsort(lines, (size_t)n, sizeof(*lines), cmp_lines);
    struct strbuf sb = {0};
    for (int i = 0; i < n; i++) {
        sb_adds(&sb, lines[i]);
        sb_addc(&sb, '\n');
    }
    mem_free(lines);
    mem_free(copy);
    return sb.buf ? sb_steal(&sb) : mem_strdup("");
}

#endif
