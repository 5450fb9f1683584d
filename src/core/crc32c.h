/*
 * crc32c.h — CRC-32C (Castagnoli): the checksum of log batches, group
 * offsets and checkpoint files.  Pass the previous crc (0 to start); the
 * pre/post inversion is done inside.
 */
#ifndef WEIR_CRC32C_H
#define WEIR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t n);
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t n);   /* the table fallback */

#endif
