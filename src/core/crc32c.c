/*
 * crc32c.c — CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of every log batch, group offset and checkpoint file.
 *
 * Two implementations with the same results: the SSE4.2 crc32 instruction
 * (8 bytes per instruction; chosen at first use when the CPU has it) and a
 * table-driven "slicing-by-8" fallback for other CPUs.  Both are tested
 * against the RFC 3720 (iSCSI) vectors in tests/unit/test_log.c.
 * The caller passes the previous crc (0 to start); no pre/post inversion is
 * needed by callers: it is done here.
 */
#include "core/crc32c.h"

#include <pthread.h>
#include <string.h>

static uint32_t table[8][256];

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have_sse42;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][i] = c;
    }
    for (int i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
#if defined(__x86_64__)
    __builtin_cpu_init();
    have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
    pthread_once(&once, crc_init);
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t lo = get32(p) ^ c, hi = get32(p + 4);
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
            table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
            table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
            table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
    return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return ~c32;
}
#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t n)
{
    pthread_once(&once, crc_init);
#if defined(__x86_64__)
    if (have_sse42)
        return crc_hw(crc, buf, n);
#endif
    return crc32c_sw(crc, buf, n);
}
