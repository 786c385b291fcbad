/* SPDX-License-Identifier: Apache-2.0 */
#include "token.h"

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

static char *
b64url_encode(const guint8 *data, gsize len)
{
  char *s = g_base64_encode(data, len);
  char *w = s;
  for (char *r = s; *r; r++) {
    if (*r == '=')
      continue;
    *w++ = *r == '+' ? '-' : *r == '/' ? '_' : *r;
  }
  *w = '\0';
  return s;
}

/* Value of a base64url character, or -1. */
static int
b64url_value(char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

/* Strict: only the canonical unpadded spelling of some bytes decodes, so a
 * token has exactly one accepted form (no '=', no '+' or '/', no length 4n+1,
 * unused low bits of the last character zero). Returns NULL on bad input
 * (transfer full). */
static guint8 *
b64url_decode(const char *s, gsize n, gsize *out_len)
{
  if (n == 0 || n % 4 == 1)
    return NULL;
  guint8 *out = g_malloc(n / 4 * 3 + 2);
  gsize len = 0, i;
  guint32 acc = 0;
  for (i = 0; i < n; i++) {
    int v = b64url_value(s[i]);
    if (v < 0)
      goto fail;
    acc = acc << 6 | (guint32)v;
    if (i % 4 == 3) {
      out[len++] = (guint8)(acc >> 16);
      out[len++] = (guint8)(acc >> 8);
      out[len++] = (guint8)acc;
      acc = 0;
    }
  }
  if (n % 4 == 2) { /* 12 bits: one byte and 4 unused bits */
    if (acc & 0xf)
      goto fail;
    out[len++] = (guint8)(acc >> 4);
  } else if (n % 4 == 3) { /* 18 bits: two bytes and 2 unused bits */
    if (acc & 0x3)
      goto fail;
    out[len++] = (guint8)(acc >> 10);
    out[len++] = (guint8)(acc >> 2);
  }
  *out_len = len;
  return out;

fail:
  g_free(out);
  return NULL;
}

static int
mac(const guint8 *key, gsize key_len, const char *data, gsize len, guint8 out[32])
{
  unsigned int out_len = 0;
  if (key_len == 0 || key_len > G_MAXINT)
    return TOKEN_EMALFORMED;
  if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, len, out,
            &out_len) ||
      out_len != 32)
    return TOKEN_EIO;
  return TOKEN_OK;
}

int
token_sign(const guint8 *key, gsize key_len, const char *badge, gint64 now, gint64 ttl,
           char **out)
{
  guint8 nonce[8], sig[32];
  int rc;

  *out = NULL;
  if (!badge || !*badge || ttl <= 0)
    return TOKEN_EMALFORMED;
  if (RAND_bytes(nonce, sizeof nonce) != 1)
    return TOKEN_EIO;
  g_autofree char *nonce_hex = g_malloc(sizeof nonce * 2 + 1);
  for (gsize i = 0; i < sizeof nonce; i++)
    g_snprintf(nonce_hex + 2 * i, 3, "%02x", nonce[i]);

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "b");
  json_builder_add_string_value(b, badge);
  json_builder_set_member_name(b, "iat");
  json_builder_add_int_value(b, now);
  json_builder_set_member_name(b, "exp");
  json_builder_add_int_value(b, now + ttl);
  json_builder_set_member_name(b, "n");
  json_builder_add_string_value(b, nonce_hex);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *payload = json_to_string(root, FALSE);

  rc = mac(key, key_len, payload, strlen(payload), sig);
  if (rc < 0)
    return rc;
  g_autofree char *p64 = b64url_encode((const guint8 *)payload, strlen(payload));
  g_autofree char *s64 = b64url_encode(sig, sizeof sig);
  *out = g_strconcat(p64, ".", s64, NULL);
  return TOKEN_OK;
}

static gboolean
get_int(JsonObject *o, const char *name, gint64 *v)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return FALSE;
  *v = json_node_get_int(n);
  return TRUE;
}

int
token_verify(const guint8 *key, gsize key_len, const char *token, gint64 now, char **badge,
             gint64 *expires_at)
{
  guint8 want[32];
  gsize payload_len = 0, sig_len = 0;
  gint64 iat, exp;
  int rc;

  *badge = NULL;
  if (!token || strlen(token) > TOKEN_MAX_LEN)
    return TOKEN_EMALFORMED;
  const char *dot = strchr(token, '.');
  if (!dot || strchr(dot + 1, '.'))
    return TOKEN_EMALFORMED;
  g_autofree guint8 *payload =
    b64url_decode(token, (gsize)(dot - token), &payload_len);
  g_autofree guint8 *sig = b64url_decode(dot + 1, strlen(dot + 1), &sig_len);
  if (!payload || !sig || sig_len != sizeof want)
    return TOKEN_EMALFORMED;

  rc = mac(key, key_len, (const char *)payload, payload_len, want);
  if (rc < 0)
    return rc;
  if (CRYPTO_memcmp(want, sig, sizeof want) != 0)
    return TOKEN_EBADSIG;

  /* Signed by us: the payload is ours, but stay strict anyway. */
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  if (memchr(payload, '\0', payload_len) ||
      !json_parser_load_from_data(parser, (const char *)payload, (gssize)payload_len, NULL))
    return TOKEN_EMALFORMED;
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root))
    return TOKEN_EMALFORMED;
  JsonObject *o = json_node_get_object(root);
  JsonNode *b = json_object_get_member(o, "b");
  if (!b || !JSON_NODE_HOLDS_VALUE(b) || json_node_get_value_type(b) != G_TYPE_STRING ||
      !get_int(o, "iat", &iat) || !get_int(o, "exp", &exp))
    return TOKEN_EMALFORMED;
  if (now >= exp)
    return TOKEN_EEXPIRED;
  *badge = g_strdup(json_node_get_string(b));
  if (expires_at)
    *expires_at = exp;
  return TOKEN_OK;
}

const char *
token_error_name(int code)
{
  switch (code) {
  case TOKEN_OK:
    return "ok";
  case TOKEN_EBADSIG:
    return "bad_signature";
  case TOKEN_EEXPIRED:
    return "expired";
  case TOKEN_EMALFORMED:
    return "malformed";
  default:
    return "internal";
  }
}
