/* SPDX-License-Identifier: Apache-2.0 */
/* Signed expiring login token:
 *   base64url(payload) "." base64url(HMAC-SHA256(key, payload))
 * payload = {"b":badge,"iat":unix s,"exp":unix s,"n":16 hex nonce}.
 * Pure: no loop, no sockets, no globals. */
#pragma once

#include <glib.h>

#define TOKEN_KEY_LEN 32
#define TOKEN_MAX_LEN 1024

/* Error codes: negative, errno style. */
enum {
  TOKEN_OK = 0,
  TOKEN_EMALFORMED = -22, /* EINVAL: not a token */
  TOKEN_EBADSIG = -74,    /* EBADMSG: signature does not match */
  TOKEN_EEXPIRED = -62,   /* ETIME: past its expiry */
  TOKEN_EIO = -5,         /* crypto failure */
};

/* Signs a token for @badge valid from @now for @ttl seconds.
 * Returns TOKEN_OK and *out (transfer full), or a negative code. */
int token_sign(const guint8 *key, gsize key_len, const char *badge, gint64 now,
               gint64 ttl, char **out);

/* Verifies @token at time @now (unix seconds). Returns TOKEN_OK and
 * *badge (transfer full) and, if not NULL, *expires_at; or a negative code
 * (then *badge is NULL). Malformed is checked first, then the signature,
 * then the expiry. */
int token_verify(const guint8 *key, gsize key_len, const char *token, gint64 now,
                 char **badge, gint64 *expires_at);

/* Static name of a code: "malformed", "bad_signature", "expired". */
const char *token_error_name(int code);
