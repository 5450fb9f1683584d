/*
 * gen_events.c — writes N user-behaviour events as NDJSON and as CSV, the
 * input of bench/stateless.sh.  Deterministic: the same N and seed give the
 * same bytes on every machine (splitmix64, no libc rand, no locale).
 *
 *   gen_events N SEED OUT.ndjson OUT.csv
 *
 * One event, the same values in both files (the CSV has no header, fields in
 * schema order user_id, action, item_id, amount, ts, then device and page,
 * which only the CSV log line carries so that both lines are ~80 bytes):
 *
 *   {"user_id":48213,"action":"click","item_id":9321,"amount":12.50,"ts":1704103200}
 *   48213,click,9321,12.50,1704103200,android,/item/9321/detail?ref=home&pos=3
 *
 * Value distributions (what the benchmark filter sees):
 *   user_id  uniform 1..99999            item_id  uniform 1..9999
 *   action   view 55%, click 25%, cart 12%, purchase 8%
 *   amount   uniform 0.01..99.99, always two decimals
 *   ts       2024-01-01 00:00:00 UTC plus the event index (seconds)
 * so `amount > 50 AND action <> 'view'` keeps about 22% of the events.  An
 * NDJSON line averages ~80 bytes, a CSV line ~80 too.
 *
 * Prints one line to stdout: events, bytes of each file, and how many events
 * the benchmark filter keeps (a third, independent correctness count).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BUF (1 << 20)

static uint64_t rng_state;

/* splitmix64: tiny, fast, and good enough for test data */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* uniform in [lo, hi]; the modulo bias is irrelevant at these ranges */
static uint64_t rng_range(uint64_t lo, uint64_t hi)
{
    return lo + rng_next() % (hi - lo + 1);
}

/* Writes v in decimal at p; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}

#define PUT_LIT(p, lit) put_str((p), (lit), sizeof(lit) - 1)

struct out {
    FILE *f;
    char buf[OUT_BUF];
    size_t len;
    uint64_t bytes;
};

static void out_flush(struct out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len) {
        perror("gen_events: write");
        exit(1);
    }
    o->bytes += o->len;
    o->len = 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: gen_events N SEED OUT.ndjson OUT.csv\n");
        return 2;
    }
    uint64_t n = strtoull(argv[1], NULL, 10);
    rng_state = strtoull(argv[2], NULL, 10);
    static struct out js, cs;
    js.f = fopen(argv[3], "wb");
    cs.f = fopen(argv[4], "wb");
    if (js.f == NULL || cs.f == NULL) {
        perror("gen_events: open");
        return 1;
    }
    static const struct {
        const char *name;
        size_t len;
        unsigned pct;                   /* cumulative percentage */
    } actions[] = {{"view", 4, 55}, {"click", 5, 80}, {"cart", 4, 92}, {"purchase", 8, 100}};
    static const struct {
        const char *name;
        size_t len;
    } devices[] = {{"android", 7}, {"ios", 3}, {"web", 3}, {"mini_program", 12}},
      refs[] = {{"home", 4}, {"search", 6}, {"recommend", 9}, {"share", 5}};
    const uint64_t ts0 = 1704067200;    /* 2024-01-01 00:00:00 UTC */
    uint64_t kept = 0;

    for (uint64_t i = 0; i < n; i++) {
        uint64_t user = rng_range(1, 99999);
        unsigned roll = (unsigned)rng_range(0, 99);
        int a = 0;
        while (roll >= actions[a].pct)
            a++;
        uint64_t item = rng_range(1, 9999);
        uint64_t cents = rng_range(1, 9999);
        uint64_t ts = ts0 + i;
        /* drawn after the fields above so those keep their values */
        unsigned dev = (unsigned)rng_range(0, 3), ref = (unsigned)rng_range(0, 3);
        uint64_t pos = rng_range(1, 60);
        if (cents > 5000 && a != 0)     /* amount > 50 AND action <> 'view' */
            kept++;

        /* the amount as text, always two decimals */
        char amt[16], *e = put_u64(amt, cents / 100);
        *e++ = '.';
        *e++ = (char)('0' + cents / 10 % 10);
        *e++ = (char)('0' + cents % 10);
        size_t amt_len = (size_t)(e - amt);

        if (js.len > OUT_BUF - 256)
            out_flush(&js);
        char *p = js.buf + js.len;
        p = PUT_LIT(p, "{\"user_id\":");
        p = put_u64(p, user);
        p = PUT_LIT(p, ",\"action\":\"");
        p = put_str(p, actions[a].name, actions[a].len);
        p = PUT_LIT(p, "\",\"item_id\":");
        p = put_u64(p, item);
        p = PUT_LIT(p, ",\"amount\":");
        p = put_str(p, amt, amt_len);
        p = PUT_LIT(p, ",\"ts\":");
        p = put_u64(p, ts);
        p = PUT_LIT(p, "}\n");
        js.len = (size_t)(p - js.buf);

        if (cs.len > OUT_BUF - 256)
            out_flush(&cs);
        p = cs.buf + cs.len;
        p = put_u64(p, user);
        *p++ = ',';
        p = put_str(p, actions[a].name, actions[a].len);
        *p++ = ',';
        p = put_u64(p, item);
        *p++ = ',';
        p = put_str(p, amt, amt_len);
        *p++ = ',';
        p = put_u64(p, ts);
        /* a log line carries more than the JSON's five fields: the device and
         * the page, so that a CSV line is ~80 bytes like an NDJSON one */
        *p++ = ',';
        p = put_str(p, devices[dev].name, devices[dev].len);
        p = PUT_LIT(p, ",/item/");
        p = put_u64(p, item);
        p = PUT_LIT(p, "/detail?ref=");
        p = put_str(p, refs[ref].name, refs[ref].len);
        p = PUT_LIT(p, "&pos=");
        p = put_u64(p, pos);
        *p++ = '\n';
        cs.len = (size_t)(p - cs.buf);
    }
    out_flush(&js);
    out_flush(&cs);
    if (fclose(js.f) != 0 || fclose(cs.f) != 0) {
        perror("gen_events: close");
        return 1;
    }
    printf("events %llu json_bytes %llu csv_bytes %llu kept %llu\n", (unsigned long long)n,
           (unsigned long long)js.bytes, (unsigned long long)cs.bytes,
           (unsigned long long)kept);
    return 0;
}
