/* SPDX-License-Identifier: Apache-2.0 */
#include "secure_rtp.h"

#include <errno.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
#include <stdlib.h>
#include <string.h>

#include "aes_ni.h"
#include "rtp.h"

#define HMAC_TAG_LEN 10 /* SHA1_80 */
#define GCM_TAG_LEN 16
#define RTCP_HEADER 8 /* V/P/RC, PT, length, sender SSRC: never encrypted */

struct SecureRtp {
  SecureRtpProfile profile;
  uint8_t salt[14]; /* session salt: 14 bytes (AES-CM) or 12 (GCM) */
  /* GCM on AES-NI (aes_ni.h): OpenSSL's GCM mode over our AES rounds;
   * otherwise cipher does all. */
  GCM128_CONTEXT *gcm;
  EVP_CIPHER_CTX *cipher; /* AES-128-GCM or AES-128-CTR, keyed once */
  EVP_MAC_CTX *mac;       /* HMAC-SHA1, keyed once (AES-CM only) */
  AesNiKey aes;
};

/* GCM128_CONTEXT is opaque; OpenSSL 3's is ~400 bytes (counters, H, the
 * 16-entry GHASH table). Prefetching past its end is harmless. */
#define GCM_CTX_PREFETCH 448

static int aes_ni_mode = -1; /* -1: ask the CPU once */

void
secure_rtp_use_aes_ni(bool on)
{
  aes_ni_mode = on && aes_ni_available();
}

static void
prefetch_lines(const void *p, size_t n)
{
  for (size_t off = 0; off < n; off += 64)
    __builtin_prefetch((const char *)p + off);
}

void
secure_rtp_prefetch(const SecureRtp *c, int stage)
{
  if (stage == 0)
    prefetch_lines(c, sizeof *c);
  else if (c->gcm)
    prefetch_lines(c->gcm, GCM_CTX_PREFETCH);
}

static bool
use_aes_ni(void)
{
  if (aes_ni_mode < 0)
    aes_ni_mode = aes_ni_available();
  return aes_ni_mode;
}

/* RFC 3711 4.3.3: the AES-CM PRF keyed with the master key, IV = master
 * salt (zero-padded to 112 bits) with the label at octet 7. */
static int
derive(const uint8_t *master_key, const uint8_t *master_salt, size_t salt_len, uint8_t label,
       uint8_t *out, size_t n)
{
  uint8_t iv[16] = {0};
  uint8_t zeros[32] = {0};
  int len = 0, rc = -EIO;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

  memcpy(iv, master_salt, salt_len);
  iv[7] ^= label;
  if (ctx && n <= sizeof zeros &&
      EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, master_key, iv) == 1 &&
      EVP_EncryptUpdate(ctx, out, &len, zeros, (int)n) == 1 && (size_t)len == n)
    rc = 0;
  EVP_CIPHER_CTX_free(ctx);
  return rc;
}

static int
init_keys(SecureRtp *c, uint8_t base, const uint8_t *key, const uint8_t *salt, size_t salt_len)
{
  uint8_t session_key[16], auth_key[20];
  int rc = -EIO;

  if (derive(key, salt, salt_len, base, session_key, sizeof session_key) < 0)
    return -EIO;
  if (c->profile == SECURE_RTP_AEAD_AES_128_GCM && use_aes_ni()) {
    aes_ni_set_key(&c->aes, session_key);
    if (derive(key, salt, salt_len, base + 2, c->salt, 12) == 0 &&
        (c->gcm = CRYPTO_gcm128_new(&c->aes, aes_ni_block)))
      rc = 0;
  } else if (c->profile == SECURE_RTP_AEAD_AES_128_GCM) {
    if (derive(key, salt, salt_len, base + 2, c->salt, 12) == 0 &&
        (c->cipher = EVP_CIPHER_CTX_new()) &&
        EVP_EncryptInit_ex(c->cipher, EVP_aes_128_gcm(), NULL, session_key, NULL) == 1)
      rc = 0;
  } else {
    OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
      OSSL_PARAM_construct_end(),
    };
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac && (c->mac = EVP_MAC_CTX_new(hmac)) &&
        derive(key, salt, salt_len, base + 1, auth_key, sizeof auth_key) == 0 &&
        derive(key, salt, salt_len, base + 2, c->salt, 14) == 0 &&
        (c->cipher = EVP_CIPHER_CTX_new()) &&
        EVP_EncryptInit_ex(c->cipher, EVP_aes_128_ctr(), NULL, session_key, NULL) == 1 &&
        EVP_MAC_init(c->mac, auth_key, sizeof auth_key, params) == 1)
      rc = 0;
    EVP_MAC_free(hmac);
  }
  OPENSSL_cleanse(session_key, sizeof session_key);
  OPENSSL_cleanse(auth_key, sizeof auth_key);
  return rc;
}

SecureRtp *
secure_rtp_new(SecureRtpProfile profile, bool rtcp, const uint8_t *master_key, size_t key_len,
                const uint8_t *master_salt, size_t salt_len)
{
  size_t want_salt = profile == SECURE_RTP_AEAD_AES_128_GCM ? 12 : 14;
  SecureRtp *c;
  if (key_len != 16 || salt_len != want_salt)
    return NULL;
  if (!(c = calloc(1, sizeof *c)))
    return NULL;
  c->profile = profile;
  if (init_keys(c, rtcp ? 0x03 : 0x00, master_key, master_salt, salt_len) < 0) {
    secure_rtp_free(c);
    return NULL;
  }
  return c;
}

void
secure_rtp_free(SecureRtp *c)
{
  if (!c)
    return;
  if (c->gcm)
    CRYPTO_gcm128_release(c->gcm); /* cleanses it */
  EVP_CIPHER_CTX_free(c->cipher);
  EVP_MAC_CTX_free(c->mac);
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
}

/* AEAD: AAD = @aad (+ @aad2), the rest encrypted in place, tag written at
 * @tag. For decryption the tag is read from @tag and checked. */
static int
gcm(SecureRtp *c, bool enc, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
    const uint8_t *aad2, size_t aad2_len, uint8_t *data, size_t n, uint8_t *tag)
{
  int len = 0;
  if (c->gcm) {
    GCM128_CONTEXT *g = c->gcm;
    CRYPTO_gcm128_setiv(g, iv, 12);
    if (CRYPTO_gcm128_aad(g, aad, aad_len) != 0 ||
        (aad2_len && CRYPTO_gcm128_aad(g, aad2, aad2_len) != 0))
      return -EIO;
    if (enc) {
      if (n && CRYPTO_gcm128_encrypt_ctr32(g, data, data, n, aes_ni_ctr32) != 0)
        return -EIO;
      CRYPTO_gcm128_tag(g, tag, GCM_TAG_LEN);
      return 0;
    }
    if (n && CRYPTO_gcm128_decrypt_ctr32(g, data, data, n, aes_ni_ctr32) != 0)
      return -EIO;
    return CRYPTO_gcm128_finish(g, tag, GCM_TAG_LEN) == 0 ? 0 : -EACCES; /* CRYPTO_memcmp */
  }
  int (*init)(EVP_CIPHER_CTX *, const EVP_CIPHER *, ENGINE *, const unsigned char *,
              const unsigned char *) = enc ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  int (*update)(EVP_CIPHER_CTX *, unsigned char *, int *, const unsigned char *, int) =
      enc ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  if (init(c->cipher, NULL, NULL, NULL, iv) != 1 ||
      update(c->cipher, NULL, &len, aad, (int)aad_len) != 1 ||
      (aad2_len && update(c->cipher, NULL, &len, aad2, (int)aad2_len) != 1) ||
      (n && update(c->cipher, data, &len, data, (int)n) != 1))
    return -EIO;
  if (enc)
    return EVP_EncryptFinal_ex(c->cipher, data + n, &len) == 1 &&
                   EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) == 1
               ? 0
               : -EIO;
  if (EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) != 1)
    return -EIO;
  return EVP_DecryptFinal_ex(c->cipher, data + n, &len) == 1 ? 0 : -EACCES;
}

/* AES-CM is its own inverse: the keystream XORed in place. */
static int
ctr(SecureRtp *c, const uint8_t iv[16], uint8_t *data, size_t n)
{
  int len = 0;
  return EVP_EncryptInit_ex(c->cipher, NULL, NULL, NULL, iv) == 1 &&
                 (n == 0 || EVP_EncryptUpdate(c->cipher, data, &len, data, (int)n) == 1)
             ? 0
             : -EIO;
}

/* HMAC-SHA1 over @a and @b, the first 80 bits into @tag. */
static int
hmac80(SecureRtp *c, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
       uint8_t *tag)
{
  uint8_t md[EVP_MAX_MD_SIZE];
  size_t md_len = 0;
  if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(c->mac, a, a_len) != 1 ||
      EVP_MAC_update(c->mac, b, b_len) != 1 || EVP_MAC_final(c->mac, md, &md_len, sizeof md) != 1 ||
      md_len < HMAC_TAG_LEN)
    return -EIO;
  memcpy(tag, md, HMAC_TAG_LEN);
  return 0;
}

/* RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt;
 * RFC 3711 4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16). */
static void
rtp_iv(const SecureRtp *c, const uint8_t *buf, const uint8_t rocb[4], uint8_t iv[16])
{
  memset(iv, 0, 16);
  if (c->profile == SECURE_RTP_AEAD_AES_128_GCM) {
    memcpy(iv + 2, buf + 8, 4);
    memcpy(iv + 6, rocb, 4);
    memcpy(iv + 10, buf + 2, 2);
    for (int i = 0; i < 12; i++)
      iv[i] ^= c->salt[i];
    return;
  }
  memcpy(iv, c->salt, 14);
  for (int i = 0; i < 4; i++) {
    iv[4 + i] ^= buf[8 + i];
    iv[8 + i] ^= rocb[i];
  }
  iv[12] ^= buf[2];
  iv[13] ^= buf[3];
}

int
secure_rtp_protect_rtp(SecureRtp *c, uint8_t *buf, size_t len, size_t cap, uint32_t roc)
{
  RtpHeader h;
  uint8_t iv[16], rocb[4];
  if (cap < len + SECURE_RTP_TRAILER || len > INT_MAX / 2 || rtp_parse(buf, len, &h) < 0)
    return -EINVAL;
  uint8_t *payload = buf + h.header_len;
  size_t plen = len - h.header_len; /* padding, if any, is encrypted too */
  rtp_put32(rocb, roc);
  rtp_iv(c, buf, rocb, iv);
  if (c->profile == SECURE_RTP_AEAD_AES_128_GCM) {
    if (gcm(c, true, iv, buf, h.header_len, NULL, 0, payload, plen, payload + plen) < 0)
      return -EIO;
    return (int)(len + GCM_TAG_LEN);
  }
  /* the tag covers the header, the encrypted payload and the ROC */
  if (ctr(c, iv, payload, plen) < 0 || hmac80(c, buf, len, rocb, 4, buf + len) < 0)
    return -EIO;
  return (int)(len + HMAC_TAG_LEN);
}

int
secure_rtp_unprotect_rtp(SecureRtp *c, uint8_t *buf, size_t len, uint32_t roc)
{
  RtpHeader h;
  uint8_t iv[16], rocb[4], tag[HMAC_TAG_LEN];
  bool gcm_profile = c->profile == SECURE_RTP_AEAD_AES_128_GCM;
  size_t tag_len = gcm_profile ? GCM_TAG_LEN : HMAC_TAG_LEN;
  if (len < RTP_HEADER_MIN + tag_len || len > INT_MAX / 2)
    return -EINVAL;
  size_t clear = len - tag_len;
  /* the header is in the clear; its padding bit speaks of the decrypted
   * payload, so parse it without the padding check */
  uint8_t first = buf[0];
  buf[0] &= (uint8_t)~0x20;
  int rc = rtp_parse(buf, clear, &h);
  buf[0] = first;
  if (rc < 0)
    return -EINVAL;
  rtp_put32(rocb, roc);
  rtp_iv(c, buf, rocb, iv);
  uint8_t *payload = buf + h.header_len;
  size_t plen = clear - h.header_len;
  if (gcm_profile) {
    rc = gcm(c, false, iv, buf, h.header_len, NULL, 0, payload, plen, buf + clear);
    return rc < 0 ? rc : (int)clear;
  }
  if (hmac80(c, buf, clear, rocb, 4, tag) < 0)
    return -EIO;
  if (CRYPTO_memcmp(tag, buf + clear, HMAC_TAG_LEN) != 0)
    return -EACCES;
  return ctr(c, iv, payload, plen) < 0 ? -EIO : (int)clear;
}

/* RFC 7714 9.1 and RFC 3711 4.1.1 for SRTCP: the SSRC and the index. */
static void
rtcp_iv(const SecureRtp *c, const uint8_t *buf, uint32_t index, uint8_t iv[16])
{
  memset(iv, 0, 16);
  if (c->profile == SECURE_RTP_AEAD_AES_128_GCM) {
    memcpy(iv + 2, buf + 4, 4);
    rtp_put32(iv + 8, index & 0x7fffffffu);
    for (int i = 0; i < 12; i++)
      iv[i] ^= c->salt[i];
    return;
  }
  memcpy(iv, c->salt, 14);
  for (int i = 0; i < 4; i++)
    iv[4 + i] ^= buf[4 + i];
  uint8_t ib[4];
  rtp_put32(ib, index & 0x7fffffffu);
  for (int i = 0; i < 4; i++)
    iv[10 + i] ^= ib[i];
}

int
secure_rtp_protect_rtcp(SecureRtp *c, uint8_t *buf, size_t len, size_t cap, uint32_t index)
{
  uint8_t iv[16], eidx[4];
  if (len < RTCP_HEADER || cap < len + SECURE_RTP_TRAILER || len > INT_MAX / 2)
    return -EINVAL;
  rtp_put32(eidx, 0x80000000u | (index & 0x7fffffffu)); /* E = 1: encrypted */
  rtcp_iv(c, buf, index, iv);
  uint8_t *body = buf + RTCP_HEADER;
  size_t blen = len - RTCP_HEADER;
  if (c->profile == SECURE_RTP_AEAD_AES_128_GCM) {
    /* header | ciphertext | tag | E+index; the AAD is header and E+index */
    if (gcm(c, true, iv, buf, RTCP_HEADER, eidx, 4, body, blen, buf + len) < 0)
      return -EIO;
    memcpy(buf + len + GCM_TAG_LEN, eidx, 4);
    return (int)(len + GCM_TAG_LEN + 4);
  }
  /* header | ciphertext | E+index | tag over all before it */
  if (ctr(c, iv, body, blen) < 0)
    return -EIO;
  memcpy(buf + len, eidx, 4);
  if (hmac80(c, buf, len + 4, NULL, 0, buf + len + 4) < 0)
    return -EIO;
  return (int)(len + 4 + HMAC_TAG_LEN);
}

int
secure_rtp_unprotect_rtcp(SecureRtp *c, uint8_t *buf, size_t len, uint32_t *index)
{
  uint8_t iv[16], tag[HMAC_TAG_LEN];
  bool gcm_profile = c->profile == SECURE_RTP_AEAD_AES_128_GCM;
  size_t trailer = 4 + (gcm_profile ? GCM_TAG_LEN : HMAC_TAG_LEN);
  if (len < RTCP_HEADER + trailer || len > INT_MAX / 2)
    return -EINVAL;
  size_t clear = len - trailer;
  const uint8_t *eidx = gcm_profile ? buf + len - 4 : buf + clear;
  uint32_t word = rtp_get32(eidx);
  *index = word & 0x7fffffffu;
  rtcp_iv(c, buf, *index, iv);
  if (gcm_profile) {
    if (!(word & 0x80000000u))
      return -EACCES; /* unencrypted SRTCP: nobody sends it, nobody gets it */
    int rc = gcm(c, false, iv, buf, RTCP_HEADER, eidx, 4, buf + RTCP_HEADER,
                 clear - RTCP_HEADER, buf + clear);
    return rc < 0 ? rc : (int)clear;
  }
  if (hmac80(c, buf, clear + 4, NULL, 0, tag) < 0)
    return -EIO;
  if (CRYPTO_memcmp(tag, buf + clear + 4, HMAC_TAG_LEN) != 0)
    return -EACCES;
  if ((word & 0x80000000u) && ctr(c, iv, buf + RTCP_HEADER, clear - RTCP_HEADER) < 0)
    return -EIO;
  return (int)clear;
}
