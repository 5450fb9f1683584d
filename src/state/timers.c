/*
 * timers.c — the FIFO and min-heap behind keyed event-time timers (see
 * timers.h).
 */
#include "state/timers.h"
#include "core/mem.h"

#include <string.h>

/* The FIFO's i-th timer from its head. */
static struct timer *fifo_at(struct timers *t, int i)
{
    int p = t->f_head + i;
    return &t->fifo[p >= t->f_cap ? p - t->f_cap : p];
}

static void fifo_push(struct timers *t, struct timer it)
{
    if (t->f_n == t->f_cap) {
        /* unwrap into a ring twice the size */
        int cap = t->f_cap ? t->f_cap * 2 : 64;
        struct timer *r = mem_alloc((size_t)cap * sizeof(*r));
        for (int i = 0; i < t->f_n; i++)
            r[i] = *fifo_at(t, i);
        mem_free(t->fifo);
        t->fifo = r;
        t->f_cap = cap;
        t->f_head = 0;
    }
    *fifo_at(t, t->f_n++) = it;
}

void timers_push(struct timers *t, int64_t time, uint64_t hash, const char *key, size_t len)
{
    struct timer it = {time, hash, (uint32_t)len, NULL, {0}};
    if (len <= sizeof(it.small))
        memcpy(it.small, key, len);
    else
        it.key = mem_strndup(key, len);
    if (it.key)
        t->key_bytes += (int64_t)len;   /* allocated apart */
    if (t->f_n == 0 || fifo_at(t, t->f_n - 1)->time <= time) {
        fifo_push(t, it);
        return;
    }
    MEM_GROW(t->items, t->cap, t->n + 1);
    int i = t->n++;
    while (i > 0 && t->items[(i - 1) / 2].time > time) {
        t->items[i] = t->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->items[i] = it;
}

int timers_pop_due(struct timers *t, int64_t limit, struct timer *out)
{
    if (t->f_n > 0 && t->fifo[t->f_head].time <= limit &&
        (t->n == 0 || t->fifo[t->f_head].time <= t->items[0].time)) {
        *out = t->fifo[t->f_head];
        if (out->key == NULL)
            out->key = out->small;
        else
            t->key_bytes -= out->key_len;
        t->f_head = t->f_head + 1 == t->f_cap ? 0 : t->f_head + 1;
        t->f_n--;
        return 1;
    }
    if (t->n == 0 || t->items[0].time > limit)
        return 0;
    *out = t->items[0];
    if (out->key == NULL)
        out->key = out->small;
    else
        t->key_bytes -= out->key_len;
    struct timer last = t->items[--t->n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= t->n)
            break;
        if (c + 1 < t->n && t->items[c + 1].time < t->items[c].time)
            c++;
        if (t->items[c].time >= last.time)
            break;
        t->items[i] = t->items[c];
        i = c;
    }
    if (t->n > 0)
        t->items[i] = last;
    return 1;
}

void timer_done(struct timer *popped)
{
    if (popped->key != popped->small)
        mem_free(popped->key);
    popped->key = NULL;
}

int64_t timers_bytes(const struct timers *t)
{
    return (int64_t)(t->cap + t->f_cap) * (int64_t)sizeof(struct timer) + t->key_bytes;
}

void timers_free(struct timers *t)
{
    for (int i = 0; i < t->n; i++)
        mem_free(t->items[i].key);   /* NULL for a short key */
    for (int i = 0; i < t->f_n; i++)
        mem_free(fifo_at(t, i)->key);
    mem_free(t->items);
    mem_free(t->fifo);
    t->items = NULL;
    t->fifo = NULL;
    t->n = t->cap = 0;
    t->f_head = t->f_n = t->f_cap = 0;
    t->key_bytes = 0;
}
