/*
 * varint.h — unsigned LEB128 integers (7 bits a byte, low bits first): the
 * lengths in log segments' records and in the packed records operators keep
 * in memory (join sides, Top-N entries).  Small values take one byte.
 */
#ifndef WEIR_CORE_VARINT_H
#define WEIR_CORE_VARINT_H

#include <stdbool.h>
#include <stdint.h>

#define VARINT_MAX 10                      /* bytes of the largest u64 */

/* Writes v at p; returns the byte after it. */
static inline unsigned char *varint_put(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* Reads a value written by varint_put (from memory the operator wrote
 * itself: trusted); returns the byte after it. */
static inline const unsigned char *varint_get(const unsigned char *p, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0;; shift += 7) {
        unsigned char c = *p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80) || shift >= 63)
            break;
    }
    *v = x;
    return p;
}

/* Reads a varint from [*p, end), untrusted bytes (a file); false if it is
 * truncated or too long. */
static inline bool varint_get_bounded(const unsigned char **p, const unsigned char *end,
                                      uint64_t *v)
{
    const unsigned char *q = *p;
    if (q < end && *q < 0x80) {     /* the common one-byte case */
        *v = *q;
        *p = q + 1;
        return true;
    }
    uint64_t r = 0;
    for (int shift = 0; shift < 70 && q < end; shift += 7) {
        unsigned char b = *q++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = r;
            *p = q;
            return true;
        }
    }
    return false;
}

static inline int varint_len(uint64_t v)
{
    int n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

#endif
