// CRC-32C in C because Swift cannot yet emit the crc32 instruction portably.
//
// Hardware path: the crc32 instruction has a latency of 3 cycles and a throughput of 1
// per cycle, so one dependency chain runs at a third of the possible speed. Large inputs
// are cut into three adjacent stripes computed in parallel and then joined: the CRC
// register of a stripe is "shifted" past the zero bytes of the next stripe with a table
// (the shift is linear over GF(2), so 4 lookups of 256 entries do it), then XORed.
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define SLUICE_HW_X86 1
#elif defined(__aarch64__)
#include <arm_acle.h>
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#define SLUICE_HW_ARM 1
#endif

#define POLY 0x82F63B78u
#define LONG_STRIPE 8192u
#define SHORT_STRIPE 256u

static uint32_t slice_table[8][256];
static uint32_t long_shift[4][256];
static uint32_t short_shift[4][256];
static int hardware_available;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

// Raw (unconditioned) register update, one byte at a time: the reference definition.
static uint32_t register_bytewise(uint32_t reg, const unsigned char *p, size_t n) {
    while (n--) {
        reg ^= *p++;
        for (int k = 0; k < 8; k++) reg = (reg >> 1) ^ (POLY & (0u - (reg & 1u)));
    }
    return reg;
}

// The register after `zeros` zero bytes, starting from `reg` (used only to build tables).
static uint32_t register_after_zeros(uint32_t reg, size_t zeros) {
    while (zeros--) reg = slice_table[0][reg & 0xff] ^ (reg >> 8);
    return reg;
}

static void build_shift_table(uint32_t table[4][256], size_t zeros) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) basis[bit] = register_after_zeros(1u << bit, zeros);
    for (int byte = 0; byte < 4; byte++) {
        for (uint32_t value = 0; value < 256; value++) {
            uint32_t shifted = 0;
            for (int bit = 0; bit < 8; bit++)
                if (value & (1u << bit)) shifted ^= basis[byte * 8 + bit];
            table[byte][value] = shifted;
        }
    }
}

static inline uint32_t shift(const uint32_t table[4][256], uint32_t reg) {
    return table[0][reg & 0xff] ^ table[1][(reg >> 8) & 0xff] ^ table[2][(reg >> 16) & 0xff] ^
           table[3][reg >> 24];
}

static void initialize(void) {
    for (uint32_t n = 0; n < 256; n++) {
        unsigned char byte = (unsigned char)n;
        slice_table[0][n] = register_bytewise(0, &byte, 1);
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t reg = slice_table[0][n];
        for (int k = 1; k < 8; k++) {
            reg = slice_table[0][reg & 0xff] ^ (reg >> 8);
            slice_table[k][n] = reg;
        }
    }
    build_shift_table(long_shift, LONG_STRIPE);
    build_shift_table(short_shift, SHORT_STRIPE);
#if defined(SLUICE_HW_X86)
    __builtin_cpu_init();
    hardware_available = __builtin_cpu_supports("sse4.2");
#elif defined(SLUICE_HW_ARM)
    hardware_available = (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#endif
}

static uint32_t register_portable(uint32_t reg, const unsigned char *p, size_t n) {
    while (n && ((uintptr_t)p & 7)) {
        reg = slice_table[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
        n--;
    }
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word = __builtin_bswap64(word);
#endif
        word ^= reg;
        reg = slice_table[7][word & 0xff] ^ slice_table[6][(word >> 8) & 0xff] ^
              slice_table[5][(word >> 16) & 0xff] ^ slice_table[4][(word >> 24) & 0xff] ^
              slice_table[3][(word >> 32) & 0xff] ^ slice_table[2][(word >> 40) & 0xff] ^
              slice_table[1][(word >> 48) & 0xff] ^ slice_table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) reg = slice_table[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
    return reg;
}

#if defined(SLUICE_HW_X86)
#define HW_ATTR __attribute__((target("sse4.2")))
#define HW_U8(r, b) _mm_crc32_u8((r), (b))
#define HW_U64(r, w) ((uint32_t)_mm_crc32_u64((r), (w)))
#elif defined(SLUICE_HW_ARM)
#define HW_ATTR __attribute__((target("+crc")))
#define HW_U8(r, b) __crc32cb((r), (b))
#define HW_U64(r, w) __crc32cd((r), (w))
#endif

#if defined(HW_ATTR)
static inline uint64_t load64(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, 8);
    return word;
}

// Three stripes of `stripe` bytes each, joined with the shift table for that length.
HW_ATTR static uint32_t register_three_stripes(uint32_t reg, const unsigned char **pp, size_t *np,
                                               size_t stripe, const uint32_t table[4][256]) {
    const unsigned char *p = *pp;
    size_t n = *np;
    while (n >= 3 * stripe) {
        uint32_t a = reg, b = 0, c = 0;
        const unsigned char *end = p + stripe;
        while (p < end) {
            a = HW_U64(a, load64(p));
            b = HW_U64(b, load64(p + stripe));
            c = HW_U64(c, load64(p + 2 * stripe));
            p += 8;
        }
        reg = shift(table, shift(table, a) ^ b) ^ c;
        p += 2 * stripe;
        n -= 3 * stripe;
    }
    *pp = p;
    *np = n;
    return reg;
}

HW_ATTR static uint32_t register_hardware(uint32_t reg, const unsigned char *p, size_t n) {
    while (n && ((uintptr_t)p & 7)) {
        reg = HW_U8(reg, *p++);
        n--;
    }
    reg = register_three_stripes(reg, &p, &n, LONG_STRIPE, long_shift);
    reg = register_three_stripes(reg, &p, &n, SHORT_STRIPE, short_shift);
    while (n >= 8) {
        reg = HW_U64(reg, load64(p));
        p += 8;
        n -= 8;
    }
    while (n--) reg = HW_U8(reg, *p++);
    return reg;
}
#endif

uint32_t sluice_crc32c(uint32_t crc, const void *data, size_t length) {
    pthread_once(&init_once, initialize);
#if defined(HW_ATTR)
    if (hardware_available) return ~register_hardware(~crc, (const unsigned char *)data, length);
#endif
    return ~register_portable(~crc, (const unsigned char *)data, length);
}

uint32_t sluice_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    pthread_once(&init_once, initialize);
    return ~register_portable(~crc, (const unsigned char *)data, length);
}

int sluice_crc32c_uses_hardware(void) {
    pthread_once(&init_once, initialize);
    return hardware_available;
}
