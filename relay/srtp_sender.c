/* SPDX-License-Identifier: Apache-2.0 */
#include "srtp_sender.h"

#include <errno.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"

#define HMAC_TAG_LEN 10 /* SHA1_80 */
#define GCM_TAG_LEN 16

struct SrtpSender {
  SrtpSenderProfile profile;
  EVP_CIPHER_CTX *cipher; /* AES-128-GCM or AES-128-CTR, keyed once */
  EVP_MAC_CTX *mac;       /* HMAC-SHA1, keyed once (AES-CM only) */
  uint8_t salt[14];       /* session salt: 14 bytes (AES-CM) or 12 (GCM) */
  uint32_t roc;
  uint16_t last_seq;
  bool started;
};

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
init_gcm(SrtpSender *s, const uint8_t *key, const uint8_t *salt, size_t salt_len)
{
  uint8_t session_key[16];
  if (derive(key, salt, salt_len, 0x00, session_key, sizeof session_key) < 0 ||
      derive(key, salt, salt_len, 0x02, s->salt, 12) < 0)
    return -EIO;
  int ok = EVP_EncryptInit_ex(s->cipher, EVP_aes_128_gcm(), NULL, session_key, NULL) == 1;
  memset(session_key, 0, sizeof session_key);
  return ok ? 0 : -EIO;
}

static int
init_cm(SrtpSender *s, const uint8_t *key, const uint8_t *salt, size_t salt_len)
{
  uint8_t session_key[16], auth_key[20];
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
    OSSL_PARAM_construct_end(),
  };
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  int rc = -EIO;

  if (hmac && (s->mac = EVP_MAC_CTX_new(hmac)) &&
      derive(key, salt, salt_len, 0x00, session_key, sizeof session_key) == 0 &&
      derive(key, salt, salt_len, 0x01, auth_key, sizeof auth_key) == 0 &&
      derive(key, salt, salt_len, 0x02, s->salt, 14) == 0 &&
      EVP_EncryptInit_ex(s->cipher, EVP_aes_128_ctr(), NULL, session_key, NULL) == 1 &&
      EVP_MAC_init(s->mac, auth_key, sizeof auth_key, params) == 1)
    rc = 0;
  EVP_MAC_free(hmac);
  memset(session_key, 0, sizeof session_key);
  memset(auth_key, 0, sizeof auth_key);
  return rc;
}

SrtpSender *
srtp_sender_new(SrtpSenderProfile profile, const uint8_t *master_key, size_t key_len,
                const uint8_t *master_salt, size_t salt_len)
{
  size_t want_salt = profile == SRTP_SENDER_AEAD_AES_128_GCM ? 12 : 14;
  SrtpSender *s;
  if (key_len != 16 || salt_len != want_salt)
    return NULL;
  if (!(s = calloc(1, sizeof *s)))
    return NULL;
  s->profile = profile;
  if (!(s->cipher = EVP_CIPHER_CTX_new()) ||
      (profile == SRTP_SENDER_AEAD_AES_128_GCM ? init_gcm(s, master_key, master_salt, salt_len)
                                               : init_cm(s, master_key, master_salt, salt_len)) <
          0) {
    srtp_sender_free(s);
    return NULL;
  }
  return s;
}

void
srtp_sender_free(SrtpSender *s)
{
  if (!s)
    return;
  EVP_CIPHER_CTX_free(s->cipher);
  EVP_MAC_CTX_free(s->mac);
  memset(s, 0, sizeof *s);
  free(s);
}

static void
advance_roc(SrtpSender *s, uint16_t seq)
{
  /* in-order sender: a step backwards by more than half the space is a wrap */
  if (s->started && seq < s->last_seq && (uint16_t)(s->last_seq - seq) > 0x8000)
    s->roc++;
  s->last_seq = seq;
  s->started = true;
}

static int
protect_gcm(SrtpSender *s, uint8_t *buf, size_t len, const RtpHeader *h)
{
  uint8_t iv[12] = {0};
  int n = 0;
  /* RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt */
  memcpy(iv + 2, buf + 8, 4);
  iv[6] = (uint8_t)(s->roc >> 24);
  iv[7] = (uint8_t)(s->roc >> 16);
  iv[8] = (uint8_t)(s->roc >> 8);
  iv[9] = (uint8_t)s->roc;
  memcpy(iv + 10, buf + 2, 2);
  for (int i = 0; i < 12; i++)
    iv[i] ^= s->salt[i];
  uint8_t *payload = buf + h->header_len;
  int plen = (int)(len - h->header_len); /* padding, if any, is encrypted too */
  if (EVP_EncryptInit_ex(s->cipher, NULL, NULL, NULL, iv) != 1 ||
      EVP_EncryptUpdate(s->cipher, NULL, &n, buf, (int)h->header_len) != 1 ||
      EVP_EncryptUpdate(s->cipher, payload, &n, payload, plen) != 1 ||
      EVP_EncryptFinal_ex(s->cipher, payload + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(s->cipher, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, payload + plen) != 1)
    return -EIO;
  return (int)h->header_len + plen + GCM_TAG_LEN;
}

static int
protect_cm(SrtpSender *s, uint8_t *buf, size_t len, const RtpHeader *h)
{
  uint8_t iv[16] = {0};
  uint8_t roc[4] = {(uint8_t)(s->roc >> 24), (uint8_t)(s->roc >> 16), (uint8_t)(s->roc >> 8),
                    (uint8_t)s->roc};
  uint8_t tag[EVP_MAX_MD_SIZE];
  size_t tag_len = 0;
  int n = 0;
  /* RFC 3711 4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16) */
  memcpy(iv, s->salt, 14);
  for (int i = 0; i < 4; i++)
    iv[4 + i] ^= buf[8 + i];
  for (int i = 0; i < 4; i++)
    iv[8 + i] ^= roc[i];
  iv[12] ^= buf[2];
  iv[13] ^= buf[3];
  uint8_t *payload = buf + h->header_len;
  int plen = (int)(len - h->header_len);
  size_t total = len;
  if (EVP_EncryptInit_ex(s->cipher, NULL, NULL, NULL, iv) != 1 ||
      EVP_EncryptUpdate(s->cipher, payload, &n, payload, plen) != 1)
    return -EIO;
  /* the tag covers the header, the encrypted payload and the ROC */
  if (EVP_MAC_init(s->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(s->mac, buf, total) != 1 ||
      EVP_MAC_update(s->mac, roc, sizeof roc) != 1 ||
      EVP_MAC_final(s->mac, tag, &tag_len, sizeof tag) != 1 || tag_len < HMAC_TAG_LEN)
    return -EIO;
  memcpy(buf + total, tag, HMAC_TAG_LEN);
  return (int)(total + HMAC_TAG_LEN);
}

int
srtp_sender_protect(SrtpSender *s, uint8_t *buf, size_t len, size_t cap)
{
  RtpHeader h;
  if (cap < len + SRTP_SENDER_TRAILER || len > INT_MAX / 2 || rtp_parse(buf, len, &h) < 0)
    return -EINVAL;
  advance_roc(s, h.seq);
  return s->profile == SRTP_SENDER_AEAD_AES_128_GCM ? protect_gcm(s, buf, len, &h)
                                                    : protect_cm(s, buf, len, &h);
}
