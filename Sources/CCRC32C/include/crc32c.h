#ifndef SLUICE_CRC32C_H
#define SLUICE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka's RecordBatch v2 uses.
/// `crc` is the CRC of the bytes before `data` (0 to start), so calls chain over pieces.
/// Uses the CPU's crc32 instruction when present (SSE 4.2 / ARMv8 CRC), three streams
/// interleaved to hide its latency; otherwise a portable slice-by-8 table.
uint32_t sluice_crc32c(uint32_t crc, const void *data, size_t length);

/// The portable table implementation alone, for tests and benchmarks.
uint32_t sluice_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// 1 when `sluice_crc32c` runs on the CPU's crc32 instruction.
int sluice_crc32c_uses_hardware(void);

#endif
