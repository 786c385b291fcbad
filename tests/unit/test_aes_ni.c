/* SPDX-License-Identifier: Apache-2.0 */
/* aes_ni: the FIPS-197 vector, the CTR32 wrap, and OpenSSL's GCM mode on
 * these rounds against EVP's AES-128-GCM for every length 0-300 and a
 * full-size packet, in place as secure_rtp uses it. Skipped on a CPU
 * without AES-NI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/modes.h>

#include "aes_ni.h"

static int
need_aes_ni(void **state)
{
  (void)state;
  if (!aes_ni_available()) {
    print_message("no AES-NI on this CPU: secure_rtp uses EVP\n");
    skip();
  }
  return 0;
}

/* FIPS-197 appendix C.1 */
static void
fips197_vector(void **state)
{
  static const uint8_t key[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  static const uint8_t pt[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  static const uint8_t ct[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
  AesNiKey k;
  uint8_t out[16];
  need_aes_ni(state);
  aes_ni_set_key(&k, key);
  aes_ni_block(pt, out, &k);
  assert_memory_equal(out, ct, 16);
}

/* Counter blocks ...fffffffe, ...ffffffff, then ...00000000: only the low
 * 32 bits count, and @ivec is left as it was. */
static void
ctr32_wraps_low_word(void **state)
{
  AesNiKey k;
  uint8_t key[16] = {7}, ivec[16], keep[16], zeros[48] = {0}, out[48], want[16];
  need_aes_ni(state);
  aes_ni_set_key(&k, key);
  memset(ivec, 0xab, 12);
  memset(ivec + 12, 0xff, 4);
  ivec[15] = 0xfe;
  memcpy(keep, ivec, 16);
  aes_ni_ctr32(zeros, out, 3, &k, ivec);
  assert_memory_equal(ivec, keep, 16);
  uint8_t block[16];
  memcpy(block, ivec, 16);
  aes_ni_block(block, want, &k);
  assert_memory_equal(out, want, 16);
  block[15] = 0xff;
  aes_ni_block(block, want, &k);
  assert_memory_equal(out + 16, want, 16);
  memset(block + 12, 0, 4); /* the wrap: bytes 0-11 unchanged */
  aes_ni_block(block, want, &k);
  assert_memory_equal(out + 32, want, 16);
}

static void
evp_gcm(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
        const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
  int len = 0;
  EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
  assert_non_null(e);
  assert_int_equal(EVP_EncryptInit_ex(e, EVP_aes_128_gcm(), NULL, key, iv), 1);
  assert_int_equal(EVP_EncryptUpdate(e, NULL, &len, aad, (int)aad_len), 1);
  assert_int_equal(EVP_EncryptUpdate(e, out, &len, in, (int)n), 1);
  assert_int_equal(EVP_EncryptFinal_ex(e, out + len, &len), 1);
  assert_int_equal(EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
  EVP_CIPHER_CTX_free(e);
}

static uint32_t rng = 0x12345678;
static uint8_t
next_byte(void)
{
  rng = rng * 1103515245u + 12345u;
  return (uint8_t)(rng >> 16);
}

static void
one_case(size_t n)
{
  uint8_t key[16], iv[12], aad[20], pt[1500], buf[1500], want[1500], tag[16], want_tag[16];
  for (size_t i = 0; i < sizeof key; i++)
    key[i] = next_byte();
  for (size_t i = 0; i < sizeof iv; i++)
    iv[i] = next_byte();
  for (size_t i = 0; i < sizeof aad; i++)
    aad[i] = next_byte();
  for (size_t i = 0; i < n; i++)
    pt[i] = next_byte();
  size_t aad_len = 12 + n % 9; /* an RTP header, sometimes with CSRC bytes */
  evp_gcm(key, iv, aad, aad_len, pt, n, want, want_tag);

  AesNiKey k;
  aes_ni_set_key(&k, key);
  GCM128_CONTEXT *g = CRYPTO_gcm128_new(&k, aes_ni_block);
  assert_non_null(g);
  memcpy(buf, pt, n);
  CRYPTO_gcm128_setiv(g, iv, sizeof iv);
  assert_int_equal(CRYPTO_gcm128_aad(g, aad, aad_len), 0);
  assert_int_equal(CRYPTO_gcm128_encrypt_ctr32(g, buf, buf, n, aes_ni_ctr32), 0);
  CRYPTO_gcm128_tag(g, tag, 16);
  assert_memory_equal(buf, want, n);
  assert_memory_equal(tag, want_tag, 16);

  /* and back, in place; a flipped tag bit fails */
  CRYPTO_gcm128_setiv(g, iv, sizeof iv);
  assert_int_equal(CRYPTO_gcm128_aad(g, aad, aad_len), 0);
  assert_int_equal(CRYPTO_gcm128_decrypt_ctr32(g, buf, buf, n, aes_ni_ctr32), 0);
  assert_int_equal(CRYPTO_gcm128_finish(g, tag, 16), 0);
  assert_memory_equal(buf, pt, n);
  tag[n % 16] ^= 1;
  CRYPTO_gcm128_setiv(g, iv, sizeof iv);
  assert_int_equal(CRYPTO_gcm128_aad(g, aad, aad_len), 0);
  assert_int_equal(CRYPTO_gcm128_decrypt_ctr32(g, buf, buf, n, aes_ni_ctr32), 0);
  assert_int_not_equal(CRYPTO_gcm128_finish(g, tag, 16), 0);
  CRYPTO_gcm128_release(g);
}

static void
gcm_matches_evp(void **state)
{
  need_aes_ni(state);
  for (size_t n = 0; n <= 300; n++)
    one_case(n);
  one_case(1500);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(fips197_vector),
    cmocka_unit_test(ctr32_wraps_low_word),
    cmocka_unit_test(gcm_matches_evp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
