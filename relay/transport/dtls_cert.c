/* SPDX-License-Identifier: Apache-2.0 */
#include "dtls_cert.h"

#include <errno.h>
#include <gio/gio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>

int
dtls_cert_fingerprint(X509 *cert, char *out, size_t size)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!X509_digest(cert, EVP_sha256(), md, &n) || size < (size_t)n * 3)
    return -EIO;
  for (unsigned int i = 0; i < n; i++)
    snprintf(out + i * 3, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
  return 0;
}

DtlsCert *
dtls_cert_new(GError **error)
{
  DtlsCert *c = g_new0(DtlsCert, 1);
  unsigned char serial[8];
  BIGNUM *bn = NULL;
  X509_NAME *name;

  c->key = EVP_EC_gen("P-256");
  c->cert = X509_new();
  if (!c->key || !c->cert || RAND_bytes(serial, sizeof serial) != 1)
    goto fail;
  serial[0] &= 0x7f;
  bn = BN_bin2bn(serial, sizeof serial, NULL);
  if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c->cert)))
    goto fail;
  X509_set_version(c->cert, 2);
  /* a day back for clock skew, thirty days ahead: the process restarts long before */
  X509_gmtime_adj(X509_getm_notBefore(c->cert), -86400);
  X509_gmtime_adj(X509_getm_notAfter(c->cert), 30L * 86400);
  name = X509_get_subject_name(c->cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"rostrum-relay", -1,
                             -1, 0);
  X509_set_issuer_name(c->cert, name);
  if (!X509_set_pubkey(c->cert, c->key) || !X509_sign(c->cert, c->key, EVP_sha256()))
    goto fail;
  if (dtls_cert_fingerprint(c->cert, c->fingerprint, sizeof c->fingerprint) < 0)
    goto fail;
  BN_free(bn);
  return c;

fail:
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make the DTLS certificate: %s",
              ERR_reason_error_string(ERR_get_error()));
  BN_free(bn);
  dtls_cert_free(c);
  return NULL;
}

void
dtls_cert_free(DtlsCert *cert)
{
  if (!cert)
    return;
  EVP_PKEY_free(cert->key);
  X509_free(cert->cert);
  g_free(cert);
}
