/*
 * timers.c — the min-heap behind keyed event-time timers (see timers.h).
 */
#include "state/timers.h"
#include "core/mem.h"

void timers_push(struct timers *t, int64_t time, uint64_t hash, const char *key, size_t len)
{
    MEM_GROW(t->items, t->cap, t->n + 1);
    struct timer it = {time, hash, (uint32_t)len, mem_strndup(key, len)};
    t->key_bytes += (int64_t)len;
    int i = t->n++;
    while (i > 0 && t->items[(i - 1) / 2].time > time) {
        t->items[i] = t->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->items[i] = it;
}

int timers_pop_due(struct timers *t, int64_t limit, struct timer *out)
{
    if (t->n == 0 || t->items[0].time > limit)
        return 0;
    *out = t->items[0];
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

int64_t timers_bytes(const struct timers *t)
{
    return (int64_t)t->cap * (int64_t)sizeof(struct timer) + t->key_bytes;
}

void timers_free(struct timers *t)
{
    for (int i = 0; i < t->n; i++)
        mem_free(t->items[i].key);
    mem_free(t->items);
    t->items = NULL;
    t->n = t->cap = 0;
    t->key_bytes = 0;
}
