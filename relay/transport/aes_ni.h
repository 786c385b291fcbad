/* SPDX-License-Identifier: Apache-2.0 */
/* AES-128 encryption on the AES-NI instructions, in the shape of the block
 * and CTR32 functions that OpenSSL's GCM mode (openssl/modes.h,
 * CRYPTO_gcm128_*) takes. Only the AES rounds are here: the mode, GHASH
 * (PCLMUL) and the tag check are OpenSSL's.
 *
 * Why: through EVP, a 92-byte SRTP-GCM packet costs ~410 ns on this
 * machine, most of it EVP's per-call provider dispatch (IV set, two
 * updates, final, a ctrl for the tag); OpenSSL's own AES-NI code is only
 * reachable through EVP. CRYPTO_gcm128 with these functions costs ~170 ns
 * and ~600 bytes per key instead of ~1.2 kB. The relay protects every
 * floor packet once per listener, so this is the hot loop.
 *
 * AES-NI runs in constant time (no tables). Callers check
 * aes_ni_available() and keep EVP as the fallback. No GLib. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The expanded encryption key: 11 round keys. Wipe with OPENSSL_cleanse. */
typedef struct {
  uint8_t rk[11][16];
} AesNiKey;

/* True when the CPU has AES-NI and PCLMULQDQ (OpenSSL's GHASH uses the
 * latter by itself). Every other function requires it. */
bool aes_ni_available(void);

void aes_ni_set_key(AesNiKey *key, const uint8_t raw[16]);

/* block128_f: one block, @key is an AesNiKey. */
void aes_ni_block(const unsigned char in[16], unsigned char out[16], const void *key);

/* ctr128_f (CTR32): @blocks blocks from the counter block @ivec, whose low
 * 32 bits (big-endian) count and wrap; @ivec itself is left unchanged, as
 * CRYPTO_gcm128_encrypt_ctr32 expects. */
void aes_ni_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
                  const unsigned char ivec[16]);
