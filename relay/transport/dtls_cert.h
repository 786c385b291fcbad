/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's DTLS identity: a fresh ECDSA P-256 self-signed certificate made
 * at start, and SHA-256 fingerprints (RFC 8122 form) of certificates. */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

typedef struct {
  EVP_PKEY *key;
  X509 *cert;
  char fingerprint[96]; /* "AB:CD:..." uppercase, sha-256 */
} DtlsCert;

/* Makes a new key and certificate. Returns NULL and sets @error on failure.
 * Transfer full: free with dtls_cert_free(). */
DtlsCert *dtls_cert_new(GError **error);
void dtls_cert_free(DtlsCert *cert);

/* Writes the SHA-256 fingerprint of @cert into @out (≥ 96 bytes).
 * Returns 0 or -EIO. */
int dtls_cert_fingerprint(X509 *cert, char *out, size_t size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DtlsCert, dtls_cert_free)
