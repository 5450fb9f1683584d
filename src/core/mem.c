/*
 * mem.c — allocation wrappers with a live-byte counter, and arenas (see mem.h).
 *
 * The counter keeps a small header in front of each block so mem_free knows the
 * size; it is updated with relaxed atomics because workers allocate concurrently.
 */
#include "core/mem.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int64_t live_bytes;

#define HDR 16   /* keeps 16-byte alignment for the caller */

static void oom(size_t size)
{
    fprintf(stderr, "weir: out of memory allocating %zu bytes\n", size);
    abort();
}

void *mem_alloc(size_t size)
{
    unsigned char *p = malloc(size + HDR);
    if (p == NULL)
        oom(size);
    *(size_t *)p = size;
    atomic_fetch_add_explicit(&live_bytes, (int64_t)size, memory_order_relaxed);
    return p + HDR;
}

void *mem_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        oom(SIZE_MAX);
    void *p = mem_alloc(n * size);
    memset(p, 0, n * size);
    return p;
}

void *mem_realloc(void *p, size_t size)
{
    if (p == NULL)
        return mem_alloc(size);
    unsigned char *base = (unsigned char *)p - HDR;
    size_t old = *(size_t *)base;
    unsigned char *q = realloc(base, size + HDR);
    if (q == NULL)
        oom(size);
    *(size_t *)q = size;
    atomic_fetch_add_explicit(&live_bytes, (int64_t)size - (int64_t)old,
                              memory_order_relaxed);
    return q + HDR;
}

void mem_free(void *p)
{
    if (p == NULL)
        return;
    unsigned char *base = (unsigned char *)p - HDR;
    atomic_fetch_sub_explicit(&live_bytes, (int64_t) * (size_t *)base,
                              memory_order_relaxed);
    free(base);
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

char *mem_strndup(const char *s, size_t n)
{
    char *p = mem_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Formats into a stack buffer first: short messages need one pass, and it
 * avoids vsnprintf(NULL, 0, ...), which gcc -fsanitize=undefined flags. */
char *mem_vsprintf(const char *fmt, va_list ap)
{
    char tmp[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *p = mem_alloc((size_t)n + 1);
    if ((size_t)n < sizeof tmp)
        memcpy(p, tmp, (size_t)n + 1);
    else
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *mem_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = mem_vsprintf(fmt, ap);
    va_end(ap);
    return p;
}

int64_t mem_bytes_in_use(void)
{
    return atomic_load_explicit(&live_bytes, memory_order_relaxed);
}

void mem_grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return;
    int n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    *arr = mem_realloc(*arr, (size_t)n * elem);
    *cap = n;
}

int64_t mem_grow_small(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int n = *cap ? *cap : 1;
    while (n < need)
        n *= 2;
    *arr = mem_realloc(*arr, (size_t)n * elem);
    int64_t grew = (int64_t)(n - *cap) * (int64_t)elem;
    *cap = n;
    return grew;
}

/* ---- arenas ---------------------------------------------------------------- */

struct arena_block {
    struct arena_block *next;   /* older block */
    size_t size;                /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->total = 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct arena_block *b = a->head;
    if (b == NULL || b->size - b->used < size) {
        if (a->block_size == 0)
            a->block_size = 64 * 1024;
        size_t bs = size > a->block_size ? size : a->block_size;
        b = mem_alloc(sizeof(*b) + bs);
        b->size = bs;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        a->total += bs;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *arena_calloc(struct arena *a, size_t size)
{
    void *p = arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *tmp = mem_vsprintf(fmt, ap);
    va_end(ap);
    char *p = arena_strdup(a, tmp);
    mem_free(tmp);
    return p;
}

void arena_reset(struct arena *a)
{
    struct arena_block *b = a->head;
    if (b == NULL)
        return;
    /* keep the largest-reuse candidate: the newest block */
    struct arena_block *old = b->next;
    while (old) {
        struct arena_block *n = old->next;
        a->total -= old->size;
        mem_free(old);
        old = n;
    }
    b->next = NULL;
    b->used = 0;
}

void arena_free(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *n = b->next;
        mem_free(b);
        b = n;
    }
    a->head = NULL;
    a->total = 0;
}
