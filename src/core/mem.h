/*
 * mem.h — every allocation in weir goes through here.
 *
 * Out-of-memory policy: control-plane allocations (mem_alloc & co.) abort with a
 * message, as Redis does: a process that cannot allocate a few hundred bytes for
 * its plan cannot do anything useful.  Data-plane memory comes from arenas whose
 * lifetime is named (batch, query, compile scratch); long-lived operator state
 * lives in state/ with its own accounting.  mem_bytes_in_use() feeds the metrics.
 */
#ifndef WEIR_MEM_H
#define WEIR_MEM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *mem_alloc(size_t size);                 /* never NULL; aborts on OOM */
void *mem_calloc(size_t n, size_t size);      /* zeroed */
void *mem_realloc(void *p, size_t size);
void mem_free(void *p);                       /* NULL is fine */
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
char *mem_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *mem_vsprintf(const char *fmt, va_list ap);
int64_t mem_bytes_in_use(void);               /* live bytes from mem_alloc */

/* Grow *arr (of *cap elements of size elem) so that it holds at least need. */
void mem_grow(void **arr, int *cap, int need, size_t elem);
#define MEM_GROW(arr, cap, need) \
    mem_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)))
/* As mem_grow, but from one element up: for the many small arrays of keyed
 * state (a join key's rows, a Top-N partition's entries), where most hold
 * one and MEM_GROW's first eight would be most of the memory.  Returns the
 * bytes the array grew by, for state metrics. */
int64_t mem_grow_small(void **arr, int *cap, int need, size_t elem);
#define MEM_GROW_SMALL(arr, cap, need) \
    mem_grow_small((void **)&(arr), &(cap), (need), sizeof(*(arr)))

/*
 * Arena: bump allocation from chained blocks, freed all at once.  Used for the
 * AST/plan (query lifetime), compile scratch, and batch payloads (strings),
 * which are reset after the batch has gone downstream.
 */
struct arena_block;
struct arena {
    struct arena_block *head;   /* current block (newest) */
    size_t block_size;          /* default size of new blocks */
    size_t total;               /* bytes reserved in all blocks */
};

void arena_init(struct arena *a, size_t block_size);  /* 0: 64 KiB */
void *arena_alloc(struct arena *a, size_t size);       /* 16-byte aligned, never NULL */
void *arena_calloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_sprintf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keeps the first block for reuse, frees the rest. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
