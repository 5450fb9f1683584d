/*
 * nexmark.c — the 'nexmark' source: the Nexmark benchmark's stream of Person,
 * Auction and Bid events, generated in memory with the options of
 * nexmark-flink's NexmarkSourceOptions.  The model (ids, event mix, hot keys,
 * timestamps, field draws and string shapes) follows /work/shared/NEXMARK.md
 * §3.4–3.5 field by field; only the randomness differs, on purpose:
 *
 *   - Deterministic.  Flink's generator is unseeded; here every event draws
 *     from its own random stream seeded from (seed, eventId) (NEXMARK.md
 *     §3.6, as Beam seeds per event id).  An event is therefore a pure
 *     function of (seed, eventId) and its split's geometry: a checkpoint
 *     position is the number of events each split emitted, and seeking
 *     regenerates the same events.
 *   - Projection-independent.  Projection push-down only ever removes whole
 *     top-level columns; a ROW that is produced has all of its fields drawn in
 *     the §3.5 order from its event's private stream, and a ROW that is not
 *     produced draws nothing.  Since no stream is shared between events or
 *     ROWs, a value never depends on which columns are produced.  (A pruned
 *     ROW type — a subset of fields — is accepted too: the absent fields are
 *     drawn and dropped, so values stay the same.)
 *   - Fast.  Bounded ints are Lemire's multiply-shift with rejection; the 99
 *     names, the hot and 10,000 channel names/URLs and the 1 MiB pad string
 *     are built once per process from a fixed seed into static memory that is
 *     never freed or written again, and the columns point at it (zero-copy):
 *     a Bid copies no bytes at all.  Only the per-event strings of persons and
 *     auctions (e-mail, credit card, item name, description) go to the
 *     batch's arena.
 *
 * Event time starts at a FIXED baseTime, NX_BASE_TIME_MS = 2015-07-15T00:00Z
 * (Flink uses the wall clock at job start, which makes runs incomparable).
 * Splits follow GeneratorConfig.split: subtask i of n gets event ids from
 * 1 + i·⌊N/n⌋ (the last one the remainder) on a shared timeline advancing
 * 1e6·n/rate µs per event.  Flink's quirks are kept, so results compare:
 * bidder ids carry FIRST_PERSON_ID twice, pad characters run 'H'..'z', and
 * channel 1's channel_id is Math.abs(Integer.MIN_VALUE).
 *
 * Only the ROW that matches event_type is non-NULL; the other ROWs and all of
 * their fields are marked NULL (their lanes hold whatever was there before).
 *
 * Position (checkpoint text):
 *   v1
 *   splits <n>                 the number of splits (the first run's parallelism)
 *   split <i> <events>         per split this subtask reads: events emitted
 * A split's events (ids, spacing, timestamps) depend on n, so the splits of a
 * job never change: restored with another parallelism P, subtask s reads the
 * old splits i with i mod P == s, each from the one position that has it,
 * with the event-time spacing of n splits — the union of the events before
 * and after is exactly those of the uninterrupted job.  A subtask with
 * several splits emits from the one that is furthest behind; one without a
 * split (P > n) is done, or idle when the table is unbounded.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "connectors/connector.h"
#include "connectors/position.h"
#include "core/mem.h"

/* ---- model constants (NexmarkConfiguration / generator classes) ------------------ */

#define NX_BASE_TIME_MS 1436918400000LL  /* 2015-07-15T00:00:00Z, every run */
#define NX_FIRST_PERSON_ID 1000
#define NX_FIRST_AUCTION_ID 1000
#define NX_FIRST_CATEGORY_ID 10
#define NX_NUM_CATEGORIES 5
#define NX_HOT_BLOCK 100            /* HOT_{SELLER,AUCTION,BIDDER}_RATIO: id block size */
#define NX_ACTIVE_PEOPLE 1000       /* numActivePeople */
#define NX_IN_FLIGHT_AUCTIONS 100   /* numInFlightAuctions */
#define NX_ID_LEAD 10               /* PERSON_ID_LEAD = AUCTION_ID_LEAD */
#define NX_HOT_CHANNELS_RATIO 2
#define NX_CHANNELS 10000
#define NX_PAD_LEN (1 << 20)        /* the shared 1 MiB padding source */
#define NX_PAD_COPIES 3             /* pad repeated so long extras stay contiguous */
#define NX_MAX_AVG_SIZE (1 << 20)   /* cap on *.avg-size, see exact_string() */
#define NX_URL_MAX 80               /* 55 + "&channel_id=" + 11 digits, rounded up */

enum nx_type { NX_PERSON = 0, NX_AUCTION = 1, NX_BID = 2 };

/* ---- produced schema -------------------------------------------------------------- */

enum nx_kind { K_BIGINT, K_STRING, K_TIMESTAMP };

struct nx_field {
    const char *name;       /* case-sensitive, as in ddl_gen.sql */
    enum nx_kind kind;
};

enum { P_ID, P_NAME, P_EMAIL, P_CARD, P_CITY, P_STATE, P_DATETIME, P_EXTRA, P_N };
enum { A_ID, A_ITEM, A_DESC, A_INITIAL, A_RESERVE, A_DATETIME, A_EXPIRES, A_SELLER,
       A_CATEGORY, A_EXTRA, A_N };
enum { B_AUCTION, B_BIDDER, B_PRICE, B_CHANNEL, B_URL, B_DATETIME, B_EXTRA, B_N };

static const struct nx_field person_fields[P_N] = {
    {"id", K_BIGINT}, {"name", K_STRING}, {"emailAddress", K_STRING},
    {"creditCard", K_STRING}, {"city", K_STRING}, {"state", K_STRING},
    {"dateTime", K_TIMESTAMP}, {"extra", K_STRING},
};
static const struct nx_field auction_fields[A_N] = {
    {"id", K_BIGINT}, {"itemName", K_STRING}, {"description", K_STRING},
    {"initialBid", K_BIGINT}, {"reserve", K_BIGINT}, {"dateTime", K_TIMESTAMP},
    {"expires", K_TIMESTAMP}, {"seller", K_BIGINT}, {"category", K_BIGINT},
    {"extra", K_STRING},
};
static const struct nx_field bid_fields[B_N] = {
    {"auction", K_BIGINT}, {"bidder", K_BIGINT}, {"price", K_BIGINT},
    {"channel", K_STRING}, {"url", K_STRING}, {"dateTime", K_TIMESTAMP},
    {"extra", K_STRING},
};

static const char *const row_names[3] = {"person", "auction", "bid"};
static const struct nx_field *const row_fields[3] = {person_fields, auction_fields,
                                                     bid_fields};
static const int row_n_fields[3] = {P_N, A_N, B_N};

/* ---- random numbers --------------------------------------------------------------- */

/*
 * Every event starts a fresh stream, so seeding must be cheap: the state is
 * the SplitMix64 finalizer of key ^ eventId (a bijection, so distinct events
 * get distinct, well-spread states), and the stream is wyrand — a Weyl
 * sequence through one 64×64→128 multiply per draw (passes BigCrush and
 * PractRand), half the multiplies of a SplitMix64 stream.  Measured: the
 * draws are about a third of a bid's cost.
 */
struct nx_rng {
    uint64_t s;
};

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t rng_next(struct nx_rng *r)
{
    r->s += 0xA0761D6478BD642FULL;
    unsigned __int128 t = (unsigned __int128)r->s * (r->s ^ 0xE7037ED1A0B428DBULL);
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

/* R(n): uniform in [0, n), n >= 1 — Lemire's multiply-shift, with rejection so
 * it is exactly uniform (the retry is taken with probability < n / 2^64). */
static inline uint64_t rng_below(struct nx_rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t t = -n % n;
        while (lo < t) {
            m = (unsigned __int128)rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Uniform double in [0, 1) with 53 random bits, as Java's nextDouble. */
static inline double rng_unit(struct nx_rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * nextString(m, special): 3 + R(m - 3) characters, then trimmed of spaces as
 * Java's String.trim() (nothing to trim when special is not a space).  Writes
 * at most m - 1 bytes to out; returns the length.
 *
 * A character is R(338) = R(13)·26 + R(26) (13 × 26 = 338): the special
 * character when R(13) = 0 (p = 1/13), else 'a' + R(26).  Each R(338) is a
 * Lemire draw on a 21-bit slice of a 64-bit draw, three characters per draw;
 * the rejection (slice·338 mod 2^21 < 2^21 mod 338 = 200) keeps it exactly
 * uniform and costs a fresh slice once in ~10,000 characters.
 */
static size_t gen_string(struct nx_rng *r, char *out, int m, char special)
{
    size_t len = 3 + (size_t)rng_below(r, (uint64_t)(m - 3));
    uint64_t x = 0;
    int slices = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t prod;
        do {
            if (slices == 0) {
                x = rng_next(r);
                slices = 3;
            }
            prod = (uint32_t)(x & 0x1FFFFF) * 338u;
            x >>= 21;
            slices--;
        } while ((prod & 0x1FFFFF) < 200);
        uint32_t v = prod >> 21;
        out[i] = v < 26 ? special : (char)('a' + v % 26);
    }
    if (special != ' ')
        return len;
    size_t b = 0, e = len;
    while (b < e && out[b] == ' ')
        b++;
    while (e > b && out[e - 1] == ' ')
        e--;
    if (b > 0)
        memmove(out, out + b, e - b);
    return e - b;
}

/* ---- process-wide tables ---------------------------------------------------------- */

/*
 * Built once (pthread_once) from a fixed seed, independent of the 'seed'
 * option, as the JVM builds them once per process; never written afterwards,
 * so string columns may point into them for the life of the process.
 */
#define NX_TABLE_SEED 0x4E65786D61726BULL   /* "Nexmark" */

static const char *const first_names[11] = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah",
    "Deiter", "Walter",
};
static const char *const last_names[9] = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones",
    "Noris",
};
static const struct str cities[10] = {
    STR_LIT("Phoenix"), STR_LIT("Los Angeles"), STR_LIT("San Francisco"),
    STR_LIT("Boise"), STR_LIT("Portland"), STR_LIT("Bend"), STR_LIT("Redmond"),
    STR_LIT("Seattle"), STR_LIT("Kent"), STR_LIT("Cheyenne"),
};
static const struct str states[6] = {
    STR_LIT("AZ"), STR_LIT("CA"), STR_LIT("ID"), STR_LIT("OR"), STR_LIT("WA"),
    STR_LIT("WY"),
};
static const struct str hot_channels[4] = {
    STR_LIT("Google"), STR_LIT("Facebook"), STR_LIT("Baidu"), STR_LIT("Apple"),
};

static struct {
    char pad[NX_PAD_COPIES * NX_PAD_LEN];   /* the pad, repeated */
    char name_bytes[11 * 9 * 16];
    char url_bytes[(4 + NX_CHANNELS) * NX_URL_MAX];
    char channel_bytes[NX_CHANNELS * 16];
    struct str names[11 * 9];               /* FIRST[i] + " " + LAST[j] at i*9+j */
    struct str hot_urls[4];
    /* channel c: "channel-<c>" and its URL side by side, so that the random
     * pick of a bid costs one cache miss, not two */
    struct {
        struct str name, url;
    } channels[NX_CHANNELS];
    double exp2_frac[256];                  /* 2^(j/256), for PRICE() */
} nx_tab;
static pthread_once_t nx_tab_once = PTHREAD_ONCE_INIT;

/* BASEURL(): "https://www.nexmark.com/" + S_(5) + "/" + S_(5) + "/" + S_(5) +
 * "/item.htm?query=1" (52..55 bytes). */
static size_t base_url(struct nx_rng *r, char *out)
{
    size_t n = 0;
    memcpy(out, "https://www.nexmark.com/", 24);
    n = 24;
    for (int i = 0; i < 3; i++) {
        n += gen_string(r, out + n, 5, '_');
        if (i < 2)
            out[n++] = '/';
    }
    memcpy(out + n, "/item.htm?query=1", 17);
    return n + 17;
}

/* Java's Integer.reverse read as a signed int, then Math.abs — which leaves
 * Integer.MIN_VALUE (channel 1) negative, as it does in Java. */
static int64_t java_abs_reverse(uint32_t c)
{
    uint32_t v = 0;
    for (int i = 0; i < 32; i++)
        v |= ((c >> i) & 1u) << (31 - i);
    int32_t s = (int32_t)v;
    return s == INT32_MIN ? s : (s < 0 ? -(int64_t)s : s);
}

static void nx_tables_build(void)
{
    struct nx_rng r = {NX_TABLE_SEED};
    char *p = nx_tab.name_bytes;
    for (int i = 0; i < 11; i++)
        for (int j = 0; j < 9; j++) {
            int n = sprintf(p, "%s %s", first_names[i], last_names[j]);
            nx_tab.names[i * 9 + j] = (struct str){p, (uint32_t)n};
            p += n + 1;
        }
    char *u = nx_tab.url_bytes;
    for (int i = 0; i < 4; i++) {
        size_t n = base_url(&r, u);
        nx_tab.hot_urls[i] = (struct str){u, (uint32_t)n};
        u += NX_URL_MAX;
    }
    char *ch = nx_tab.channel_bytes;
    for (int c = 0; c < NX_CHANNELS; c++) {
        size_t n = base_url(&r, u);
        if (rng_below(&r, 10) > 0)
            n += (size_t)sprintf(u + n, "&channel_id=%lld",
                                 (long long)java_abs_reverse((uint32_t)c));
        nx_tab.channels[c].url = (struct str){u, (uint32_t)n};
        u += NX_URL_MAX;
        int m = sprintf(ch, "channel-%d", c);
        nx_tab.channels[c].name = (struct str){ch, (uint32_t)m};
        ch += 16;
    }
    /* nextExactString: a signed 32-bit draw per 6 characters, each 'a' + the
     * signed remainder mod 26, so characters run 'H'..'z' as in Java */
    int32_t rnd = 0;
    int left = 0;
    for (int i = 0; i < NX_PAD_LEN; i++) {
        if (left == 0) {
            rnd = (int32_t)(uint32_t)rng_next(&r);
            left = 6;
        }
        nx_tab.pad[i] = (char)('a' + rnd % 26);
        rnd /= 26;
        left--;
    }
    for (int k = 1; k < NX_PAD_COPIES; k++)
        memcpy(nx_tab.pad + (size_t)k * NX_PAD_LEN, nx_tab.pad, NX_PAD_LEN);
    for (int j = 0; j < 256; j++)
        nx_tab.exp2_frac[j] = exp2(j / 256.0);
}

/* EXACT(len): a slice of the pad at offset R(1 MiB − len), as nexmark-flink
 * does for len < 512 KiB.  Longer slices (only with avg-size above ~400 KiB)
 * start at R(1 MiB) in the repeated pad, which keeps them contiguous. */
static inline struct str exact_string(struct nx_rng *r, int64_t len)
{
    uint64_t off = len < NX_PAD_LEN / 2 ? rng_below(r, (uint64_t)(NX_PAD_LEN - len))
                                        : rng_below(r, NX_PAD_LEN);
    return (struct str){nx_tab.pad + off, (uint32_t)len};
}

/* EXTRA(cur, avg): padding that brings an event to about avg bytes. */
static inline struct str gen_extra(struct nx_rng *r, int64_t cur, int64_t avg)
{
    if (cur > avg)
        return (struct str){nx_tab.pad, 0};
    int64_t d = avg - cur;
    int64_t delta = (2 * d + 5) / 10;   /* Math.round(0.2·d): 0.2·d is never a tie */
    int64_t size = d - delta;
    if (delta > 0)
        size += (int64_t)rng_below(r, 2 * (uint64_t)delta);
    return exact_string(r, size);
}

/*
 * PRICE(): round(10^(6U) · 100) cents, log-uniform over [$1, $1M).  10^(6U) is
 * computed as 2^x, x = 6U·log2(10) = n + j/256 + f: 2^n exactly, 2^(j/256)
 * from a table and 2^f (f < 1/256) by a degree-4 polynomial, relative error
 * ~1e-15 — inline, and measurably cheaper than a call to exp().
 */
static inline int64_t gen_price(struct nx_rng *r)
{
    double x = rng_unit(r) * 19.931568569324174;
    int k = (int)(x * 256.0);
    double y = (x - k * (1.0 / 256.0)) * 0.6931471805599453;
    double p = 1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (1.0 / 24.0))));
    double v = (double)(1u << (k >> 8)) * nx_tab.exp2_frac[k & 255] * p * 100.0;
    return (int64_t)(v + 0.5);
}

/* ---- the source ------------------------------------------------------------------- */

/* A split of the event ids (GeneratorConfig.split). */
struct nx_split {
    int index;                      /* 0..n_splits-1 */
    int64_t first_event_id;
    int64_t max_events;             /* events in this split */
    int64_t limit;                  /* min(max_events, this split's stop-at) */
    int64_t next;                   /* events emitted so far: the position */
    int64_t pace_t0_ns;             /* monotonic time pacing started */
    int64_t pace_k0;                /* next at that time */
};

struct nx_source {
    struct source base;
    /* produced columns (-1 = not produced) */
    int col_type;                   /* event_type */
    int col_row[3];                 /* person, auction, bid */
    int8_t child[3][A_N];           /* per ROW and model field (A_N is the most
                                       fields): child index, or -1 */
    /* model */
    int64_t P, A, T;                /* proportions and their total */
    int64_t hot_auctions, hot_bidders, hot_sellers;
    int64_t avg_person, avg_auction, avg_bid;
    int64_t auction_horizon;        /* events until 100 more auctions: 100·T/A */
    double delay_us;                /* event-time spacing of a split */
    uint64_t seed_key;
    /* splits */
    int64_t total, stop_at, rate;   /* events.num (or the unbounded size), stop-at */
    int n_splits;                   /* of the job: its first run's parallelism */
    struct nx_split *splits;        /* the ones this subtask reads */
    int n_mine;
    /* emission */
    bool paced;                     /* rate.limited or !max-emit-speed */
    bool keep_alive;
};

static int64_t now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Event time (ms) of event number num, as Java's
 * baseTime + (long)(num * interEventDelayUs) / 1000. */
static inline int64_t ts_ms(const struct nx_source *g, int64_t num)
{
    return NX_BASE_TIME_MS + (int64_t)((double)num * g->delay_us) / 1000;
}

/* Base-0 id of the last person created at or before event id (ep·T + off). */
static inline int64_t last_person(const struct nx_source *g, int64_t ep, int64_t off)
{
    return ep * g->P + (off < g->P - 1 ? off : g->P - 1);
}

/* Base-0 id of the last auction created at or before the event (−1 before
 * the first). */
static inline int64_t last_auction(const struct nx_source *g, int64_t ep, int64_t off)
{
    if (off < g->P) {
        ep--;
        off = g->A - 1;
    } else if (off >= g->P + g->A) {
        off = g->A - 1;
    } else {
        off -= g->P;
    }
    return ep * g->A + off;
}

/* One of the 1000 most recent persons, or up to 10 not yet created. */
static inline int64_t random_person(struct nx_rng *r, int64_t last)
{
    int64_t np = last + 1;
    int64_t act = np < NX_ACTIVE_PEOPLE ? np : NX_ACTIVE_PEOPLE;
    return np - act + (int64_t)rng_below(r, (uint64_t)(act + NX_ID_LEAD));
}

/* One of the 100 most recent auctions, or up to 10 not yet created. */
static inline int64_t random_auction(struct nx_rng *r, int64_t last)
{
    int64_t lo = last - NX_IN_FLIGHT_AUCTIONS > 0 ? last - NX_IN_FLIGHT_AUCTIONS : 0;
    return lo + (int64_t)rng_below(r, (uint64_t)(last - lo + 1 + NX_ID_LEAD));
}

static inline void put_i64(struct vec *v, int row, int64_t x)
{
    if (v)
        v->i64[row] = x;
}

static inline void put_str(struct vec *v, int row, struct str s)
{
    if (v)
        v->s[row] = s;
}

/* Where one event goes: the row, its ids and time. */
struct nx_event {
    int row;
    int64_t id;             /* eventId */
    int64_t ep, off;        /* id div T, id mod T */
    int64_t num;            /* event number (1-based within the split) */
    int64_t ts;             /* event time, ms */
};

static void gen_person(const struct nx_source *g, struct vec *const *c, struct arena *a,
                       const struct nx_event *e)
{
    struct nx_rng r = {mix64(g->seed_key ^ (uint64_t)e->id)};
    int row = e->row;
    put_i64(c[P_ID], row, last_person(g, e->ep, e->off) + NX_FIRST_PERSON_ID);
    uint64_t first = rng_below(&r, 11);
    struct str name = nx_tab.names[first * 9 + rng_below(&r, 9)];
    /* e-mail (<= 15 bytes) and credit card (19) share one allocation */
    char *buf = arena_alloc(a, 15 + 19);
    size_t el = gen_string(&r, buf, 7, ' ');
    buf[el++] = '@';
    el += gen_string(&r, buf + el, 5, ' ');
    memcpy(buf + el, ".com", 4);
    el += 4;
    char *card = buf + el;
    for (int k = 0; k < 4; k++) {
        unsigned v = (unsigned)rng_below(&r, 10000);
        char *d = card + 5 * k;
        d[0] = (char)('0' + v / 1000);
        d[1] = (char)('0' + v / 100 % 10);
        d[2] = (char)('0' + v / 10 % 10);
        d[3] = (char)('0' + v % 10);
        if (k < 3)
            d[4] = ' ';
    }
    struct str city = cities[rng_below(&r, 10)];
    struct str state = states[rng_below(&r, 6)];
    int64_t cur = 8 + name.len + (int64_t)el + 19 + city.len + state.len;
    struct str extra = gen_extra(&r, cur, g->avg_person);
    put_str(c[P_NAME], row, name);
    put_str(c[P_EMAIL], row, (struct str){buf, (uint32_t)el});
    put_str(c[P_CARD], row, (struct str){card, 19});
    put_str(c[P_CITY], row, city);
    put_str(c[P_STATE], row, state);
    put_i64(c[P_DATETIME], row, e->ts * 1000);
    put_str(c[P_EXTRA], row, extra);
}

static void gen_auction(const struct nx_source *g, struct vec *const *c,
                        struct arena *a, const struct nx_event *e)
{
    struct nx_rng r = {mix64(g->seed_key ^ (uint64_t)e->id)};
    int row = e->row;
    put_i64(c[A_ID], row, last_auction(g, e->ep, e->off) + NX_FIRST_AUCTION_ID);
    int64_t lastp = last_person(g, e->ep, e->off);
    int64_t seller = rng_below(&r, (uint64_t)g->hot_sellers) > 0
                         ? lastp / NX_HOT_BLOCK * NX_HOT_BLOCK
                         : random_person(&r, lastp);
    int64_t category = NX_FIRST_CATEGORY_ID + (int64_t)rng_below(&r, NX_NUM_CATEGORIES);
    int64_t initial = gen_price(&r);
    int64_t horizon = ts_ms(g, e->num + g->auction_horizon) - e->ts;
    int64_t span = 2 * horizon > 1 ? 2 * horizon : 1;
    int64_t expires = e->ts + 1 + (int64_t)rng_below(&r, (uint64_t)span);
    char *buf = arena_alloc(a, 19 + 99);
    size_t il = gen_string(&r, buf, 20, ' ');
    size_t dl = gen_string(&r, buf + il, 100, ' ');
    int64_t reserve = initial + gen_price(&r);
    struct str extra = gen_extra(&r, 8 + (int64_t)(il + dl) + 40, g->avg_auction);
    put_str(c[A_ITEM], row, (struct str){buf, (uint32_t)il});
    put_str(c[A_DESC], row, (struct str){buf + il, (uint32_t)dl});
    put_i64(c[A_INITIAL], row, initial);
    put_i64(c[A_RESERVE], row, reserve);
    put_i64(c[A_DATETIME], row, e->ts * 1000);
    put_i64(c[A_EXPIRES], row, expires * 1000);
    put_i64(c[A_SELLER], row, seller + NX_FIRST_PERSON_ID);
    put_i64(c[A_CATEGORY], row, category);
    put_str(c[A_EXTRA], row, extra);
}

static void gen_bid(const struct nx_source *g, struct vec *const *c,
                    const struct nx_event *e)
{
    struct nx_rng r = {mix64(g->seed_key ^ (uint64_t)e->id)};
    int row = e->row;
    int64_t lasta = last_auction(g, e->ep, e->off);
    int64_t auction = rng_below(&r, (uint64_t)g->hot_auctions) > 0
                          ? lasta / NX_HOT_BLOCK * NX_HOT_BLOCK
                          : random_auction(&r, lasta);
    int64_t lastp = last_person(g, e->ep, e->off);
    int64_t bidder = rng_below(&r, (uint64_t)g->hot_bidders) > 0
                         ? lastp / NX_HOT_BLOCK * NX_HOT_BLOCK + 1
                         : random_person(&r, lastp);
    int64_t price = gen_price(&r);
    struct str channel, url;
    if (rng_below(&r, NX_HOT_CHANNELS_RATIO) > 0) {
        uint64_t i = rng_below(&r, 4);
        channel = hot_channels[i];
        url = nx_tab.hot_urls[i];
    } else {
        uint64_t k = rng_below(&r, NX_CHANNELS);
        channel = nx_tab.channels[k].name;
        url = nx_tab.channels[k].url;
    }
    struct str extra = gen_extra(&r, 32, g->avg_bid);
    put_i64(c[B_AUCTION], row, auction + NX_FIRST_AUCTION_ID);
    /* FIRST_PERSON_ID twice, as nexmark-flink does (NEXMARK.md §3.5 Bid 2):
     * bidder ids sit 1000 above person ids, which q23's P.id = B.bidder sees */
    put_i64(c[B_BIDDER], row, bidder + 2 * NX_FIRST_PERSON_ID);
    put_i64(c[B_PRICE], row, price);
    put_str(c[B_CHANNEL], row, channel);
    put_str(c[B_URL], row, url);
    put_i64(c[B_DATETIME], row, e->ts * 1000);
    put_str(c[B_EXTRA], row, extra);
}

/*
 * Rows [from, to) of ROW vector v (and each of its children) become valid where
 * the event type is t and NULL elsewhere; rows outside the range keep their
 * bits.  Done a 64-row word at a time: per-row bit twiddling on nine bitmaps
 * would cost more than generating a bid.
 */
static void set_row_validity(struct vec *v, const uint8_t *types, int from, int to,
                             uint8_t t)
{
    if (v->valid == NULL)
        vec_make_validity(v);
    for (int k = 0; k < v->n_children; k++)
        if (v->children[k].valid == NULL)
            vec_make_validity(&v->children[k]);
    for (int w = from >> 6; w <= (to - 1) >> 6; w++) {
        int lo = w << 6 > from ? w << 6 : from;
        int hi = (w + 1) << 6 < to ? (w + 1) << 6 : to;
        uint64_t bits = 0, range = 0;
        for (int i = lo; i < hi; i++) {
            bits |= (uint64_t)(types[i] == t) << (i & 63);
            range |= 1ULL << (i & 63);
        }
        v->valid[w] = (v->valid[w] & ~range) | bits;
        for (int k = 0; k < v->n_children; k++) {
            uint64_t *cv = v->children[k].valid;
            cv[w] = (cv[w] & ~range) | bits;
        }
    }
}

static int nx_open(struct source *src, struct weir_error *err)
{
    (void)err;
    struct nx_source *g = (struct nx_source *)src;
    int64_t now = now_mono_ns();
    for (int i = 0; i < g->n_mine; i++) {
        g->splits[i].pace_t0_ns = now;
        g->splits[i].pace_k0 = g->splits[i].next;
    }
    return WEIR_OK;
}

/* The split to emit from: the unfinished one furthest behind, NULL if none. */
static struct nx_split *nx_pick(struct nx_source *g)
{
    struct nx_split *best = NULL;
    for (int i = 0; i < g->n_mine; i++) {
        struct nx_split *sp = &g->splits[i];
        if (sp->next < sp->limit && (best == NULL || sp->next < best->next))
            best = sp;
    }
    return best;
}

static int nx_poll(struct source *src, struct batch *out, struct weir_error *err)
{
    (void)err;
    struct nx_source *g = (struct nx_source *)src;
    struct nx_split *sp = nx_pick(g);
    if (sp == NULL) {
        if (!g->keep_alive && src->bounded)
            return WEIR_DONE;
        src->wait_ms = 100;     /* idle, as Flink's NOTHING_AVAILABLE */
        return WEIR_AGAIN;
    }
    int64_t left = sp->limit - sp->next;
    int64_t want = BATCH_CAP - out->n;
    if (want > left)
        want = left;
    if (g->paced) {
        /* the j-th event after pacing started is due j·delay µs later; per
         * split that is rate/n events per second, rate in all */
        double el_us = (double)(now_mono_ns() - sp->pace_t0_ns) / 1e3;
        int64_t done = sp->next - sp->pace_k0;
        int64_t allowed = (int64_t)(el_us / g->delay_us) + 1 - done;
        if (allowed <= 0) {
            double wait_us = (double)done * g->delay_us - el_us;
            src->wait_ms = (int)(wait_us / 1000) + 1;
            return WEIR_AGAIN;
        }
        if (want > allowed)
            want = allowed;
    }
    if (want <= 0)
        return WEIR_OK;

    /* the produced ROW vectors and their children by model field */
    struct vec *rows[3] = {NULL, NULL, NULL};
    struct vec *kids[3][A_N];
    for (int t = 0; t < 3; t++) {
        if (g->col_row[t] >= 0)
            rows[t] = &out->cols[g->col_row[t]];
        for (int f = 0; f < row_n_fields[t]; f++)
            kids[t][f] = rows[t] && g->child[t][f] >= 0
                             ? &rows[t]->children[g->child[t][f]] : NULL;
    }
    struct vec *vtype = g->col_type >= 0 ? &out->cols[g->col_type] : NULL;
    if (vtype)
        for (int r = out->n; r < out->n + (int)want; r++)
            vec_set_valid(vtype, r);

    uint8_t types[BATCH_CAP];
    int from = out->n, to = out->n + (int)want;
    struct nx_event e;
    e.num = sp->next + 1;
    e.id = sp->first_event_id + e.num;
    e.ep = e.id / g->T;
    e.off = e.id % g->T;
    for (e.row = from; e.row < to; e.row++) {
        uint8_t t = e.off < g->P ? NX_PERSON : e.off < g->P + g->A ? NX_AUCTION : NX_BID;
        types[e.row] = t;
        if (vtype)
            vtype->i64[e.row] = t;
        if (rows[t]) {
            e.ts = ts_ms(g, e.num);
            if (t == NX_BID)
                gen_bid(g, kids[NX_BID], &e);
            else if (t == NX_AUCTION)
                gen_auction(g, kids[NX_AUCTION], &out->arena, &e);
            else
                gen_person(g, kids[NX_PERSON], &out->arena, &e);
        }
        e.num++;
        e.id++;
        if (++e.off == g->T) {
            e.off = 0;
            e.ep++;
        }
    }
    for (int t = 0; t < 3; t++)
        if (rows[t])
            set_row_validity(rows[t], types, from, to, (uint8_t)t);
    out->n = to;
    sp->next += want;
    atomic_fetch_add_explicit(&src->metrics.rows, want, memory_order_relaxed);
    if (!g->keep_alive && src->bounded && nx_pick(g) == NULL)
        return WEIR_DONE;
    return WEIR_OK;
}

static int nx_position(struct source *src, struct strbuf *pos)
{
    struct nx_source *g = (struct nx_source *)src;
    sb_addf(pos, "v1\nsplits %d\n", g->n_splits);
    for (int i = 0; i < g->n_mine; i++)
        sb_addf(pos, "split %d %lld\n", g->splits[i].index, (long long)g->splits[i].next);
    return WEIR_OK;
}

/* Split i of n, with the geometry of GeneratorConfig.split. */
static struct nx_split nx_split_of(const struct nx_source *g, int n, int i)
{
    struct nx_split sp = {.index = i};
    int64_t per = g->total / n;
    sp.first_event_id = 1 + i * per;
    sp.max_events = i == n - 1 ? g->total - per * (n - 1) : per;
    sp.limit = sp.max_events;
    if (g->stop_at >= 0) {
        /* split like events.num: the last split takes the remainder */
        int64_t mine = i == n - 1 ? g->stop_at - g->stop_at / n * (n - 1) : g->stop_at / n;
        if (mine < sp.limit)
            sp.limit = mine;
    }
    return sp;
}

/* Gives this subtask the splits i < n with i mod P == subtask, from 0. */
static void nx_set_splits(struct nx_source *g, int n)
{
    const struct table_ctx *t = g->base.table;
    int P = t->parallelism > 0 ? t->parallelism : 1;
    g->n_splits = n;
    g->n_mine = 0;
    mem_free(g->splits);
    g->splits = mem_calloc((size_t)(n / P + 1), sizeof(*g->splits));
    for (int i = t->subtask; i < n; i += P)
        g->splits[g->n_mine++] = nx_split_of(g, n, i);
    g->delay_us = 1e6 / (double)g->rate * (double)n;
}

/* Old subtask s's position: *n its split count, then each "split" line is
 * applied to the splits this subtask owns (seen[i] marks the split as taken). */
static int nx_parse(struct nx_source *g, int s, const char *pos, int *n, bool **seen,
                    struct weir_error *err)
{
    struct pos_reader rd;
    const char *why;
    int rc = pos_begin(&rd, pos, "nexmark", g->base.table->table_name, s, 96, err);
    if (rc != WEIR_OK)
        return rc;
    while (pos_next(&rd, &why)) {
        long long a = -1, b = -1;
        char tail;
        if (why != NULL)
            return pos_bad_line(&rd, why, err);
        if (rd.k == 1) {
            if (sscanf(rd.buf, "splits %lld%c", &a, &tail) != 1 || a < 1 || a > 1 << 20)
                why = "expected 'splits <n>' first";
            else if (*n > 0 && *n != a)
                why = "its split count differs from another subtask's";
            else if (*n == 0) {
                *n = (int)a;
                nx_set_splits(g, *n);
                *seen = mem_calloc((size_t)*n, sizeof(bool));
            }
        } else if (sscanf(rd.buf, "split %lld %lld%c", &a, &b, &tail) != 2 || a < 0 ||
                   a >= *n || b < 0) {
            why = "expected 'split <index> <events>' with an index below the "
                  "split count";
        } else if ((*seen)[a]) {
            why = "the split is in two positions";
        } else {
            (*seen)[a] = true;
            for (int i = 0; i < g->n_mine; i++) {
                struct nx_split *sp = &g->splits[i];
                if (sp->index != a)
                    continue;
                if (b > sp->max_events)
                    why = "more events than the split holds (was 'events.num' "
                          "changed?)";
                else
                    sp->next = b;
            }
        }
        if (why != NULL)
            return pos_bad_line(&rd, why, err);
    }
    if (*n == 0)
        return pos_bad(&rd, "no 'splits' line", err);
    return WEIR_OK;
}

static int nx_seek(struct source *src, const char *const *pos, int old_parallelism,
                   struct weir_error *err)
{
    struct nx_source *g = (struct nx_source *)src;
    int n = 0, rc = WEIR_OK;
    bool *seen = NULL;
    for (int s = 0; s < old_parallelism && rc == WEIR_OK; s++)
        if (pos[s] != NULL)
            rc = nx_parse(g, s, pos[s], &n, &seen, err);
    mem_free(seen);
    if (rc != WEIR_OK)
        return rc;
    /* nothing recorded: as a fresh start; else splits no position names
     * start from their first event */
    if (n == 0)
        nx_set_splits(g, g->n_splits);
    nx_open(src, err);
    return WEIR_OK;
}

static void nx_close(struct source *src)
{
    struct nx_source *g = (struct nx_source *)src;
    if (g != NULL)
        mem_free(g->splits);
    mem_free(src);
}

static const struct source_ops nx_ops = {
    .open = nx_open,
    .poll = nx_poll,
    .position = nx_position,
    .seek = nx_seek,
    .close = nx_close,
};

/* ---- create: schema and options ---------------------------------------------------- */

static const char *kind_sql(enum nx_kind k)
{
    return k == K_BIGINT ? "BIGINT" : k == K_STRING ? "STRING" : "TIMESTAMP(3)";
}

static bool kind_ok(enum nx_kind k, const struct sql_type *t)
{
    switch (k) {
    case K_BIGINT:
        return t->id == T_BIGINT;
    case K_STRING:
        return t->id == T_VARCHAR;
    case K_TIMESTAMP:
        /* the values are whole milliseconds: any precision from 3 up holds them */
        return (t->id == T_TIMESTAMP || t->id == T_TIMESTAMP_LTZ) && t->precision >= 3;
    }
    return false;
}

/* Maps the fields of ROW column `col` (which serves model row t) to model fields. */
static int map_row(struct nx_source *g, const struct table_ctx *t, int col, int rt,
                   struct weir_error *err)
{
    const struct sql_type *ty = t->col_types[col];
    const struct nx_field *mf = row_fields[rt];
    int nf = row_n_fields[rt];
    struct arena a;
    int rc = WEIR_OK;
    arena_init(&a, 0);
    if (ty->id != T_ROW) {
        rc = err_set(err, WEIR_ERR_CONFIG,
                     "table '%s': nexmark column '%s' must be a ROW, not %s",
                     t->table_name, row_names[rt], type_to_sql(&a, ty));
        goto done;
    }
    for (int f = 0; f < nf; f++)
        g->child[rt][f] = -1;
    for (int k = 0; k < ty->n_fields; k++) {
        const char *fn = ty->field_names[k];
        int f = 0;
        while (f < nf && strcmp(mf[f].name, fn) != 0)
            f++;
        if (f == nf) {
            struct strbuf sb = {0};
            for (int i = 0; i < nf; i++)
                sb_addf(&sb, "%s%s", i ? ", " : "", mf[i].name);
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': nexmark column '%s' has no field '%s'; its "
                         "fields: %s", t->table_name, row_names[rt], fn, sb.buf);
            sb_free(&sb);
            goto done;
        }
        if (!kind_ok(mf[f].kind, ty->field_types[k])) {
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': nexmark field '%s.%s' is %s, but the generator "
                         "produces %s", t->table_name, row_names[rt], fn,
                         type_to_sql(&a, ty->field_types[k]), kind_sql(mf[f].kind));
            goto done;
        }
        if (g->child[rt][f] >= 0) {
            rc = err_set(err, WEIR_ERR_CONFIG,
                         "table '%s': nexmark column '%s' lists field '%s' twice",
                         t->table_name, row_names[rt], fn);
            goto done;
        }
        g->child[rt][f] = (int8_t)k;
    }
done:
    arena_free(&a);
    return rc;
}

static int map_columns(struct nx_source *g, const struct table_ctx *t,
                       struct weir_error *err)
{
    g->col_type = g->col_row[0] = g->col_row[1] = g->col_row[2] = -1;
    for (int c = 0; c < t->n_cols; c++) {
        const char *nm = t->col_names[c];
        if (t->col_metadata && t->col_metadata[c])
            return err_set(err, WEIR_ERR_CONFIG,
                           "table '%s': connector 'nexmark' has no metadata (column "
                           "'%s' asks for '%s')", t->table_name, nm, t->col_metadata[c]);
        if (strcmp(nm, "event_type") == 0) {
            if (!type_is_integer(t->col_types[c])) {
                struct arena a;
                arena_init(&a, 0);
                int rc = err_set(err, WEIR_ERR_CONFIG,
                                 "table '%s': nexmark column 'event_type' is %s, but "
                                 "the generator produces INT", t->table_name,
                                 type_to_sql(&a, t->col_types[c]));
                arena_free(&a);
                return rc;
            }
            g->col_type = c;
            continue;
        }
        int rt = 0;
        while (rt < 3 && strcmp(row_names[rt], nm) != 0)
            rt++;
        if (rt == 3)
            return err_set(err, WEIR_ERR_CONFIG,
                           "table '%s': connector 'nexmark' has no column '%s'; it "
                           "produces event_type, person, auction, bid", t->table_name,
                           nm);
        g->col_row[rt] = c;
        int rc = map_row(g, t, c, rt, err);
        if (rc)
            return rc;
    }
    return WEIR_OK;
}

/* An integer option checked against [lo, hi]. */
static int int_opt(const struct table_ctx *t, const char *key, int64_t lo, int64_t hi,
                   int64_t *out, struct weir_error *err)
{
    int64_t v = opt_int(t->opts, key, 0);
    if (v < lo || v > hi)
        return err_set(err, WEIR_ERR_CONFIG,
                       "table '%s': option '%s' must be between %lld and %lld, got %lld",
                       t->table_name, key, (long long)lo, (long long)hi, (long long)v);
    *out = v;
    return WEIR_OK;
}

static int size_opt(const struct table_ctx *t, const char *key, int64_t *out,
                    struct weir_error *err)
{
    int64_t v = opt_size(t->opts, key, 0);
    if (v > NX_MAX_AVG_SIZE)
        return err_set(err, WEIR_ERR_CONFIG,
                       "table '%s': option '%s' must be at most 1mb, got %lld bytes",
                       t->table_name, key, (long long)v);
    *out = v;
    return WEIR_OK;
}

static int nx_source_create(const struct table_ctx *t, struct source **out,
                            struct weir_error *err)
{
    struct nx_source *g = mem_calloc(1, sizeof(*g));
    int64_t rate = 1, events = 0, stop_at = -1, bids = 1;
    int rc;
    g->base.ops = &nx_ops;
    g->base.table = t;
    g->base.wait_ms = 1;
    if ((rc = map_columns(g, t, err)) ||
        (rc = int_opt(t, "first-event.rate", 1, INT32_MAX, &rate, err)) ||
        (rc = int_opt(t, "next-event.rate", 1, INT32_MAX, &(int64_t){0}, err)) ||
        (rc = int_opt(t, "events.num", 0, INT64_MAX, &events, err)) ||
        (rc = int_opt(t, "person.proportion", 1, 1000000, &g->P, err)) ||
        (rc = int_opt(t, "auction.proportion", 1, 1000000, &g->A, err)) ||
        (rc = int_opt(t, "bid.proportion", 1, 1000000, &bids, err)) ||
        (rc = int_opt(t, "bid.hot-ratio.auctions", 1, INT32_MAX, &g->hot_auctions,
                      err)) ||
        (rc = int_opt(t, "bid.hot-ratio.bidders", 1, INT32_MAX, &g->hot_bidders, err)) ||
        (rc = int_opt(t, "auction.hot-ratio.sellers", 1, INT32_MAX, &g->hot_sellers,
                      err)) ||
        (rc = int_opt(t, "stop-at", -1, INT64_MAX, &stop_at, err)) ||
        (rc = size_opt(t, "person.avg-size", &g->avg_person, err)) ||
        (rc = size_opt(t, "auction.avg-size", &g->avg_auction, err)) ||
        (rc = size_opt(t, "bid.avg-size", &g->avg_bid, err)))
        goto fail;
    if (opt_duration_ms(t->opts, "rate.period", 0) <= 0) {
        rc = err_set(err, WEIR_ERR_CONFIG, "table '%s': option 'rate.period' must be "
                     "positive", t->table_name);
        goto fail;
    }
    g->T = g->P + g->A + bids;
    g->auction_horizon = NX_IN_FLIGHT_AUCTIONS * g->T / g->A;

    /* GeneratorConfig: N = 0 means "unbounded", scaled down as Flink does to
     * keep size estimates from overflowing (368,934,881,474,191 by default) */
    int64_t max_size = g->avg_person > g->avg_auction ? g->avg_person : g->avg_auction;
    if (g->avg_bid > max_size)
        max_size = g->avg_bid;
    if (max_size < 1)
        max_size = 1;
    g->total = events > 0 ? events : INT64_MAX / (g->T * max_size);
    g->stop_at = stop_at;
    g->rate = rate;
    nx_set_splits(g, t->parallelism > 0 ? t->parallelism : 1);
    g->seed_key = mix64((uint64_t)opt_int(t->opts, "seed", 0) + NX_TABLE_SEED);
    g->keep_alive = opt_bool(t->opts, "keep-alive", false);
    g->paced = opt_bool(t->opts, "rate.limited", false) ||
               !opt_bool(t->opts, "max-emit-speed", true);
    g->base.bounded = (events > 0 || stop_at >= 0) && !g->keep_alive;
    pthread_once(&nx_tab_once, nx_tables_build);
    *out = &g->base;
    return WEIR_OK;
fail:
    nx_close(&g->base);
    return rc;
}

static const struct opt_def nx_options[] = {
    {"first-event.rate", OPT_INT, "10000", NULL, false,
     "events per second over all subtasks; sets the event-time spacing "
     "(1e6·parallelism/rate µs per event per subtask) and, when paced, the emission "
     "rate"},
    {"next-event.rate", OPT_INT, "10000", NULL, false,
     "second rate of the SQUARE/SINE shapes; accepted and ignored, as in "
     "nexmark-flink"},
    {"rate.shape", OPT_ENUM, "SQUARE", "SQUARE|SINE", false,
     "rate curve; accepted and ignored, as in nexmark-flink"},
    {"rate.period", OPT_DURATION, "600 s", NULL, false,
     "period of the rate curve; accepted and ignored, as in nexmark-flink"},
    {"rate.limited", OPT_BOOL, "false", NULL, false,
     "emit at most first-event.rate events per second of wall-clock time"},
    {"events.num", OPT_INT, "0", NULL, false,
     "events over all subtasks; the table is bounded when > 0 (0 = unbounded)"},
    {"person.proportion", OPT_INT, "1", NULL, false,
     "persons per block of person+auction+bid proportion event ids"},
    {"auction.proportion", OPT_INT, "3", NULL, false,
     "auctions per block (they follow the persons)"},
    {"bid.proportion", OPT_INT, "46", NULL, false,
     "bids per block (they follow the auctions)"},
    {"person.avg-size", OPT_SIZE, "200b", NULL, false,
     "average person size that 'extra' pads to (at most 1mb)"},
    {"auction.avg-size", OPT_SIZE, "500b", NULL, false,
     "average auction size that 'extra' pads to (at most 1mb)"},
    {"bid.avg-size", OPT_SIZE, "100b", NULL, false,
     "average bid size that 'extra' pads to, channel and url not counted (at most 1mb)"},
    {"bid.hot-ratio.auctions", OPT_INT, "2", NULL, false,
     "a bid goes to the hot auction with probability 1 - 1/ratio"},
    {"bid.hot-ratio.bidders", OPT_INT, "4", NULL, false,
     "a bid comes from the hot bidder with probability 1 - 1/ratio"},
    {"auction.hot-ratio.sellers", OPT_INT, "4", NULL, false,
     "an auction is by the hot seller with probability 1 - 1/ratio"},
    {"keep-alive", OPT_BOOL, "false", NULL, false,
     "stay idle after the last event instead of ending the table"},
    {"stop-at", OPT_INT, "-1", NULL, false,
     "stop after this many events over all subtasks (-1 = no stop); a job restored "
     "without it continues from there"},
    {"max-emit-speed", OPT_BOOL, "true", NULL, false,
     "emit as fast as possible; false paces events to their event-time spacing"},
    {"seed", OPT_INT, "0", NULL, false,
     "weir: seed of the per-event random streams; the same seed gives the same "
     "events on every run"},
    {NULL},
};

const struct connector_def conn_nexmark = {
    .name = "nexmark",
    .caps = CONN_SOURCE,
    .options = nx_options,
    .needs_format = false,
    .description = "Generates the Nexmark benchmark's Person/Auction/Bid events "
                   "(nexmark-flink's model and options). Deterministic: event "
                   "time starts at 2015-07-15T00:00:00Z and every event is a pure "
                   "function of 'seed' and its event id.",
    .source_create = nx_source_create,
};
