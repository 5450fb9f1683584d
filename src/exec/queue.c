/*
 * queue.c — bounded SPSC message queues and the consumer's wait over several
 * of them (see queue.h for the contract).
 *
 * Memory layout: a queue is one 64-byte-aligned block of four cache lines so
 * the two threads never write the same line on the fast path:
 *
 *   line 0  consumer:  head (next slot to read), its cached copy of tail
 *   line 1  producer:  tail (next slot to write), its cached copy of head
 *   line 2  read-only: ring pointer, mask, set
 *   line 3  slow path: producer-waiting flag, mutex, condition variable
 *
 * followed by the ring itself (a separate allocation of capacity msgs).
 * head and tail count messages forever (size_t; wrap-around is harmless with
 * unsigned arithmetic) and index the ring with & mask.  Each side keeps a
 * cached copy of the other's index and reloads it only when the cache says
 * full/empty, so a steady stream costs no cross-core traffic on the indexes.
 *
 * Sleeping and waking (Dekker handshakes, no lost wake-ups):
 *
 *   full queue   the producer spins briefly, then sets `waiting` and re-reads
 *                head; the consumer, after storing head, reads `waiting`.  Both
 *                pairs are seq_cst, so at least one side sees the other: either
 *                the producer sees the freed slot or the consumer sees it
 *                waiting.  The consumer wakes it once the queue is down to half
 *                (hysteresis: one wake-up per half ring, not per message).
 *   empty set    the consumer sets set->sleeping and re-reads every tail; a
 *                producer, after storing tail, reads set->sleeping and, if set,
 *                whether the queue was empty before its message.  Only then
 *                does it take the set's mutex and signal.
 *
 * Both sleeps are also bounded to 10 ms slices so *stop is honoured even
 * though whoever sets it does not signal.  seq_cst loads/stores are used for
 * the handshakes instead of fences: ThreadSanitizer understands them, and on
 * x86 a seq_cst store costs what the fence would.
 */
#include "exec/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"

#define CACHE_LINE 64
#define STOP_SLICE_NS (10 * 1000 * 1000)   /* longest sleep between *stop checks */
#define SPIN_ROUNDS 256                    /* polls before a producer sleeps */

struct queue_set {
    pthread_mutex_t mu;                 /* guards the consumer's sleep */
    pthread_cond_t cv;                  /* a producer pushed into an empty queue */
    _Alignas(CACHE_LINE) atomic_int sleeping;   /* consumer is (about to be) asleep */
    _Alignas(CACHE_LINE) struct queue **queues; /* the consumer's inputs */
    int n_queues;
    int cap_queues;
    void *raw;                          /* allocation holding this aligned struct */
};

struct queue {
    _Alignas(CACHE_LINE) atomic_size_t head;    /* @thread consumer */
    size_t cached_tail;                 /* consumer's last view of tail */
    _Alignas(CACHE_LINE) atomic_size_t tail;    /* @thread producer */
    size_t cached_head;                 /* producer's last view of head */
    _Alignas(CACHE_LINE) struct msg *ring;
    size_t mask;                        /* capacity - 1 */
    struct queue_set *set;              /* consumer's set, NULL = none */
    void *raw;                          /* allocation holding this aligned struct */
    _Alignas(CACHE_LINE) atomic_int waiting;    /* producer asleep on a full queue */
    pthread_mutex_t mu;
    pthread_cond_t not_full;
};

/* ---- small helpers -------------------------------------------------------------- */

/* The stop flag is a plain volatile int in the API (set from another thread
 * or a signal handler); reading it with an atomic builtin keeps that a defined,
 * race-free access. */
static inline bool stopped(volatile int *stop)
{
    return stop != NULL && __atomic_load_n(stop, __ATOMIC_RELAXED) != 0;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec ns_to_ts(int64_t ns)
{
    return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

/* Condition variables on CLOCK_MONOTONIC: wall-clock jumps must not stretch
 * or cut a wait. */
static void cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

/* mem_alloc aligns to 16; the structs want a cache line of their own. */
static void *alloc_aligned(size_t size, void **raw)
{
    *raw = mem_alloc(size + CACHE_LINE - 1);
    uintptr_t p = ((uintptr_t)*raw + CACHE_LINE - 1) & ~(uintptr_t)(CACHE_LINE - 1);
    memset((void *)p, 0, size);
    return (void *)p;
}

/* ---- queues --------------------------------------------------------------------- */

struct queue *queue_new(int capacity)
{
    size_t cap = 1;
    while (cap < (size_t)(capacity > 1 ? capacity : 1))
        cap <<= 1;
    void *raw;
    struct queue *q = alloc_aligned(sizeof(*q), &raw);
    q->raw = raw;
    q->ring = mem_calloc(cap, sizeof(struct msg));
    q->mask = cap - 1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    atomic_init(&q->waiting, 0);
    pthread_mutex_init(&q->mu, NULL);
    cond_init_monotonic(&q->not_full);
    return q;
}

/* Once its producer has stopped; drains what is left, freeing batches. */
void queue_free(struct queue *q)
{
    if (q == NULL)
        return;
    struct msg m;
    while (queue_try_pop(q, &m))
        if (m.kind == MSG_BATCH)
            batch_free(m.batch);
    pthread_cond_destroy(&q->not_full);
    pthread_mutex_destroy(&q->mu);
    mem_free(q->ring);
    mem_free(q->raw);
}

int queue_size(const struct queue *q)
{
    /* head first: tail can only grow meanwhile, so the difference never
     * underflows even when read from a third thread */
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    size_t t = atomic_load_explicit(&q->tail, memory_order_acquire);
    return (int)(t - h);
}

/* Slow path of queue_push: the ring is full.  Spins, then sleeps on not_full
 * in slices of at most 10 ms.  Returns false if *stop was raised.
 * @thread producer */
static bool push_wait(struct queue *q, size_t t, volatile int *stop, int64_t *blocked_ns)
{
    size_t cap = q->mask + 1;
    int64_t t0 = now_ns();
    bool ok = true;
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        cpu_relax();
        q->cached_head = atomic_load_explicit(&q->head, memory_order_acquire);
        if (t - q->cached_head < cap)
            goto done;
    }
    pthread_mutex_lock(&q->mu);
    for (;;) {
        /* Dekker with queue_try_pop: announce, then re-read head */
        atomic_store_explicit(&q->waiting, 1, memory_order_seq_cst);
        q->cached_head = atomic_load_explicit(&q->head, memory_order_seq_cst);
        if (t - q->cached_head < cap)
            break;
        if (stopped(stop)) {
            ok = false;
            break;
        }
        struct timespec dl = ns_to_ts(now_ns() + STOP_SLICE_NS);
        pthread_cond_timedwait(&q->not_full, &q->mu, &dl);
    }
    atomic_store_explicit(&q->waiting, 0, memory_order_relaxed);
    pthread_mutex_unlock(&q->mu);
done:
    if (blocked_ns)
        *blocked_ns += now_ns() - t0;
    return ok;
}

bool queue_push(struct queue *q, struct msg m, volatile int *stop, int64_t *blocked_ns)
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (t - q->cached_head > q->mask) {
        q->cached_head = atomic_load_explicit(&q->head, memory_order_acquire);
        if (t - q->cached_head > q->mask && !push_wait(q, t, stop, blocked_ns))
            return false;
    }
    q->ring[t & q->mask] = m;
    struct queue_set *s = q->set;
    if (s == NULL) {
        atomic_store_explicit(&q->tail, t + 1, memory_order_release);
        return true;
    }
    /* Dekker with queue_set_wait: publish, then look for a sleeping consumer.
     * It can only be asleep on this queue if the queue was empty before this
     * message, i.e. head has reached t. */
    atomic_store_explicit(&q->tail, t + 1, memory_order_seq_cst);
    if (atomic_load_explicit(&s->sleeping, memory_order_seq_cst) &&
        atomic_load_explicit(&q->head, memory_order_seq_cst) == t) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    return true;
}

bool queue_try_push(struct queue *q, struct msg m)
{
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (t - q->cached_head > q->mask) {
        q->cached_head = atomic_load_explicit(&q->head, memory_order_acquire);
        if (t - q->cached_head > q->mask)
            return false;
    }
    q->ring[t & q->mask] = m;
    atomic_store_explicit(&q->tail, t + 1, memory_order_release);
    return true;
}

bool queue_try_pop(struct queue *q, struct msg *m)
{
    size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
    if (h == q->cached_tail) {
        q->cached_tail = atomic_load_explicit(&q->tail, memory_order_acquire);
        if (h == q->cached_tail)
            return false;
    }
    *m = q->ring[h & q->mask];
    size_t half = (q->mask + 1) / 2;
    if (q->cached_tail - (h + 1) > half) {
        /* Still more than half full even by the (possibly stale, hence low)
         * cached tail: a sleeping producer is not due a wake-up yet, so no
         * handshake is needed. */
        atomic_store_explicit(&q->head, h + 1, memory_order_release);
        return true;
    }
    /* Dekker with push_wait: publish the freed slot, then look for a waiting
     * producer; wake it once the ring is down to half.  exchange makes exactly
     * one pop do the signalling per wait. */
    atomic_store_explicit(&q->head, h + 1, memory_order_seq_cst);
    if (atomic_load_explicit(&q->waiting, memory_order_seq_cst) &&
        atomic_load_explicit(&q->tail, memory_order_seq_cst) - (h + 1) <= half &&
        atomic_exchange_explicit(&q->waiting, 0, memory_order_seq_cst)) {
        pthread_mutex_lock(&q->mu);
        pthread_cond_signal(&q->not_full);
        pthread_mutex_unlock(&q->mu);
    }
    return true;
}

/* ---- queue sets ----------------------------------------------------------------- */

struct queue_set *queue_set_new(void)
{
    void *raw;
    struct queue_set *s = alloc_aligned(sizeof(*s), &raw);
    s->raw = raw;
    atomic_init(&s->sleeping, 0);
    pthread_mutex_init(&s->mu, NULL);
    cond_init_monotonic(&s->cv);
    return s;
}

void queue_set_add(struct queue_set *s, struct queue *q)
{
    MEM_GROW(s->queues, s->cap_queues, s->n_queues + 1);
    s->queues[s->n_queues++] = q;
    q->set = s;
}

/* True if some queue of the set has a message; order as the handshake needs
 * (seq_cst) when called after announcing sleep.  @thread consumer */
static bool set_any(struct queue_set *s, memory_order mo)
{
    for (int i = 0; i < s->n_queues; i++) {
        struct queue *q = s->queues[i];
        size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
        if (h != q->cached_tail)
            return true;
        if (atomic_load_explicit(&q->tail, mo) != h)
            return true;
    }
    return false;
}

void queue_set_wait(struct queue_set *s, int timeout_ms, volatile int *stop)
{
    if (set_any(s, memory_order_acquire) || timeout_ms == 0 || stopped(stop))
        return;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ns() + (int64_t)timeout_ms * 1000000;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        atomic_store_explicit(&s->sleeping, 1, memory_order_seq_cst);
        if (set_any(s, memory_order_seq_cst) || stopped(stop))
            break;
        int64_t now = now_ns();
        if (now >= deadline)
            break;
        int64_t wake = deadline - now > STOP_SLICE_NS ? now + STOP_SLICE_NS : deadline;
        struct timespec dl = ns_to_ts(wake);
        pthread_cond_timedwait(&s->cv, &s->mu, &dl);
    }
    atomic_store_explicit(&s->sleeping, 0, memory_order_relaxed);
    pthread_mutex_unlock(&s->mu);
}

void queue_set_free(struct queue_set *s)
{
    if (s == NULL)
        return;
    /* Called once every producer of its queues has stopped (they read the set
     * when pushing).  The queues are not the set's: whoever created them frees
     * them, before or after this. */
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    mem_free(s->queues);
    mem_free(s->raw);
}
