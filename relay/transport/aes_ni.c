/* SPDX-License-Identifier: Apache-2.0 */
#include "aes_ni.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define AES_NI __attribute__((target("aes,sse4.1")))

bool
aes_ni_available(void)
{
  __builtin_cpu_init();
  return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
}

/* FIPS-197 5.2 with AESKEYGENASSIST: w[i] = w[i-1] ^ w[i-4] folded over
 * the four words by three shifts, then the RotWord/SubWord/Rcon word. */
AES_NI static __m128i
expand_step(__m128i key, __m128i assist)
{
  assist = _mm_shuffle_epi32(assist, 0xff);
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

#define EXPAND(i, rcon)                                                                   \
  rk[i] = expand_step(rk[i - 1], _mm_aeskeygenassist_si128(rk[i - 1], rcon));             \
  _mm_storeu_si128((__m128i *)key->rk[i], rk[i])

AES_NI void
aes_ni_set_key(AesNiKey *key, const uint8_t raw[16])
{
  __m128i rk[11];
  rk[0] = _mm_loadu_si128((const __m128i *)raw);
  _mm_storeu_si128((__m128i *)key->rk[0], rk[0]);
  EXPAND(1, 0x01);
  EXPAND(2, 0x02);
  EXPAND(3, 0x04);
  EXPAND(4, 0x08);
  EXPAND(5, 0x10);
  EXPAND(6, 0x20);
  EXPAND(7, 0x40);
  EXPAND(8, 0x80);
  EXPAND(9, 0x1b);
  EXPAND(10, 0x36);
  memset(rk, 0, sizeof rk);
}

AES_NI static inline __m128i
encrypt(const AesNiKey *key, __m128i x)
{
  x = _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)key->rk[0]));
  for (int i = 1; i < 10; i++)
    x = _mm_aesenc_si128(x, _mm_loadu_si128((const __m128i *)key->rk[i]));
  return _mm_aesenclast_si128(x, _mm_loadu_si128((const __m128i *)key->rk[10]));
}

AES_NI void
aes_ni_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
  _mm_storeu_si128((__m128i *)out, encrypt(key, _mm_loadu_si128((const __m128i *)in)));
}

AES_NI void
aes_ni_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
             const unsigned char ivec[16])
{
  uint8_t cb[16];
  memcpy(cb, ivec, 16);
  uint32_t ctr = (uint32_t)cb[12] << 24 | (uint32_t)cb[13] << 16 | (uint32_t)cb[14] << 8 | cb[15];
  for (size_t b = 0; b < blocks; b++, ctr++) {
    cb[12] = (uint8_t)(ctr >> 24);
    cb[13] = (uint8_t)(ctr >> 16);
    cb[14] = (uint8_t)(ctr >> 8);
    cb[15] = (uint8_t)ctr;
    __m128i ks = encrypt(key, _mm_loadu_si128((const __m128i *)cb));
    __m128i data = _mm_loadu_si128((const __m128i *)(in + 16 * b));
    _mm_storeu_si128((__m128i *)(out + 16 * b), _mm_xor_si128(ks, data));
  }
}

#else /* not x86: EVP only */

bool
aes_ni_available(void)
{
  return false;
}

void
aes_ni_set_key(AesNiKey *key, const uint8_t raw[16])
{
  (void)key;
  (void)raw;
  __builtin_trap();
}

void
aes_ni_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
  (void)in;
  (void)out;
  (void)key;
  __builtin_trap();
}

void
aes_ni_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
             const unsigned char ivec[16])
{
  (void)in;
  (void)out;
  (void)blocks;
  (void)key;
  (void)ivec;
  __builtin_trap();
}
#endif
