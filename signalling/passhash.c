/* SPDX-License-Identifier: Apache-2.0 */
#include "passhash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "pbkdf2-sha256$"

typedef struct {
  guint iterations;
  guint8 salt[PASSHASH_SALT_LEN];
  guint8 hash[PASSHASH_HASH_LEN];
} Parsed;

/* Strict standard base64 of exactly @want bytes. */
static int
decode_b64(const char *s, guint8 *dst, gsize want)
{
  gsize n = strlen(s), out_len = 0;
  if (n != ((want + 2) / 3) * 4)
    return PASSHASH_EINVAL;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/' && s[i] != '=')
      return PASSHASH_EINVAL;
  g_autofree guint8 *raw = g_base64_decode(s, &out_len);
  if (!raw || out_len != want)
    return PASSHASH_EINVAL;
  memcpy(dst, raw, want);
  return PASSHASH_OK;
}

static int
parse(const char *encoded, Parsed *p)
{
  if (!encoded || !g_str_has_prefix(encoded, PREFIX))
    return PASSHASH_EINVAL;
  g_auto(GStrv) parts = g_strsplit(encoded + strlen(PREFIX), "$", -1);
  if (g_strv_length(parts) != 3)
    return PASSHASH_EINVAL;
  const char *it = parts[0];
  if (!*it || strlen(it) > 8)
    return PASSHASH_EINVAL;
  for (const char *c = it; *c; c++)
    if (!g_ascii_isdigit(*c))
      return PASSHASH_EINVAL;
  guint64 iter = g_ascii_strtoull(it, NULL, 10);
  if (iter < PASSHASH_MIN_ITERATIONS || iter > PASSHASH_MAX_ITERATIONS)
    return PASSHASH_EINVAL;
  p->iterations = (guint)iter;
  if (decode_b64(parts[1], p->salt, sizeof p->salt) < 0 ||
      decode_b64(parts[2], p->hash, sizeof p->hash) < 0)
    return PASSHASH_EINVAL;
  return PASSHASH_OK;
}

static int
derive(const char *code, const guint8 *salt, guint iterations, guint8 *out)
{
  size_t n = strlen(code);
  if (n > G_MAXINT)
    return PASSHASH_EINVAL;
  if (PKCS5_PBKDF2_HMAC(code, (int)n, salt, PASSHASH_SALT_LEN, (int)iterations,
                        EVP_sha256(), PASSHASH_HASH_LEN, out) != 1)
    return PASSHASH_EIO;
  return PASSHASH_OK;
}

int
passhash_hash(const char *code, guint iterations, char **out)
{
  guint8 salt[PASSHASH_SALT_LEN], hash[PASSHASH_HASH_LEN];
  int rc;

  *out = NULL;
  if (!code)
    return PASSHASH_EINVAL;
  if (iterations == 0)
    iterations = PASSHASH_DEFAULT_ITERATIONS;
  if (iterations < PASSHASH_MIN_ITERATIONS || iterations > PASSHASH_MAX_ITERATIONS)
    return PASSHASH_EINVAL;
  if (RAND_bytes(salt, sizeof salt) != 1)
    return PASSHASH_EIO;
  rc = derive(code, salt, iterations, hash);
  if (rc < 0)
    return rc;
  g_autofree char *s64 = g_base64_encode(salt, sizeof salt);
  g_autofree char *h64 = g_base64_encode(hash, sizeof hash);
  *out = g_strdup_printf(PREFIX "%u$%s$%s", iterations, s64, h64);
  OPENSSL_cleanse(hash, sizeof hash);
  return PASSHASH_OK;
}

int
passhash_verify(const char *code, const char *encoded)
{
  Parsed p;
  guint8 hash[PASSHASH_HASH_LEN];
  int rc;

  if (!code || parse(encoded, &p) < 0)
    return PASSHASH_EINVAL;
  rc = derive(code, p.salt, p.iterations, hash);
  if (rc < 0)
    return rc;
  rc = CRYPTO_memcmp(hash, p.hash, sizeof hash) == 0 ? PASSHASH_OK : PASSHASH_EMISMATCH;
  OPENSSL_cleanse(hash, sizeof hash);
  return rc;
}

int
passhash_check_format(const char *encoded)
{
  Parsed p;
  return parse(encoded, &p);
}
