/* SPDX-License-Identifier: Apache-2.0 */
/* Access-code hashing: PBKDF2-HMAC-SHA256 (OpenSSL), 16-byte random salt.
 * Encoded form: pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>.
 * Pure: no loop, no sockets, no globals. */
#pragma once

#include <glib.h>

#define PASSHASH_DEFAULT_ITERATIONS 100000u
#define PASSHASH_MIN_ITERATIONS 1000u
#define PASSHASH_MAX_ITERATIONS 10000000u
#define PASSHASH_SALT_LEN 16
#define PASSHASH_HASH_LEN 32

/* Error codes: negative, errno style. */
enum {
  PASSHASH_OK = 0,
  PASSHASH_EMISMATCH = -13, /* EACCES: well-formed, wrong code */
  PASSHASH_EINVAL = -22,    /* malformed encoded string or bad argument */
  PASSHASH_EIO = -5,        /* OpenSSL failure */
};

/* Hashes @code with a fresh random salt. Returns PASSHASH_OK and *out
 * (transfer full) or a negative code. @iterations 0 means the default. */
int passhash_hash(const char *code, guint iterations, char **out);

/* Checks @code against @encoded in constant time (CRYPTO_memcmp).
 * Returns PASSHASH_OK, PASSHASH_EMISMATCH or PASSHASH_EINVAL. */
int passhash_verify(const char *code, const char *encoded);

/* Checks only the format of @encoded: PASSHASH_OK or PASSHASH_EINVAL. */
int passhash_check_format(const char *encoded);
