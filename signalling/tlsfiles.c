/* SPDX-License-Identifier: Apache-2.0 */
#include "tlsfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_KEY_BYTES 32

static gboolean
ensure_parent(const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0700) < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s",
                dir, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

/* fopen() for writing with mode @mode (created fresh). */
static FILE *
open_private(const char *path, int mode, GError **error)
{
  int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot write %s: %s",
                path, g_strerror(e));
    return NULL;
  }
  return fdopen(fd, "w");
}

static gboolean
ssl_fail(const char *what, GError **error)
{
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "OpenSSL: %s failed", what);
  return FALSE;
}

static gboolean
add_ext(X509 *cert, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!ext)
    return FALSE;
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1;
}

gboolean
tlsfiles_ensure_cert(const char *cert_path, const char *key_path, GError **error)
{
  EVP_PKEY *pkey = NULL;
  X509 *cert = NULL;
  FILE *f = NULL;
  gboolean ok = FALSE;
  guint8 serial[16];

  if (g_file_test(cert_path, G_FILE_TEST_EXISTS) && g_file_test(key_path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!ensure_parent(cert_path, error) || !ensure_parent(key_path, error))
    return FALSE;

  pkey = EVP_EC_gen("P-256");
  cert = X509_new();
  if (!pkey || !cert) {
    ssl_fail("key generation", error);
    goto fail;
  }
  if (RAND_bytes(serial, sizeof serial) != 1) {
    ssl_fail("RAND_bytes", error);
    goto fail;
  }
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_set_version(cert, 2);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
  X509_set_pubkey(cert, pkey);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (!add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
      !add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert, NID_ext_key_usage, "serverAuth")) {
    ssl_fail("X509 extensions", error);
    goto fail;
  }
  if (X509_sign(cert, pkey, EVP_sha256()) <= 0) {
    ssl_fail("X509_sign", error);
    goto fail;
  }
  if (!(f = open_private(key_path, 0600, error)))
    goto fail;
  if (PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
    ssl_fail("writing the key", error);
    goto fail;
  }
  fclose(f);
  if (!(f = open_private(cert_path, 0644, error)))
    goto fail;
  if (PEM_write_X509(f, cert) != 1) {
    ssl_fail("writing the certificate", error);
    goto fail;
  }
  ok = TRUE;

fail:
  if (f)
    fclose(f);
  X509_free(cert);
  EVP_PKEY_free(pkey);
  return ok;
}

/* Writes @data to a new private file at @path. */
static gboolean
write_secret(const char *path, const void *data, size_t len, GError **error)
{
  FILE *f;
  if (!ensure_parent(path, error) || !(f = open_private(path, 0600, error)))
    return FALSE;
  size_t w = fwrite(data, 1, len, f);
  if (fclose(f) != 0 || w != len) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot write %s", path);
    return FALSE;
  }
  return TRUE;
}

guint8 *
tlsfiles_ensure_token_key(const char *path, gsize *len, GError **error)
{
  guint8 *key = NULL;
  gsize n = 0;

  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    guint8 fresh[TOKEN_KEY_BYTES];
    if (RAND_bytes(fresh, sizeof fresh) != 1) {
      ssl_fail("RAND_bytes", error);
      return NULL;
    }
    gboolean ok = write_secret(path, fresh, sizeof fresh, error);
    OPENSSL_cleanse(fresh, sizeof fresh);
    if (!ok)
      return NULL;
  }
  if (!g_file_get_contents(path, (char **)&key, &n, error))
    return NULL;
  if (n < 16) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: token key must be at least 16 bytes (32 recommended)", path);
    g_free(key);
    return NULL;
  }
  *len = n;
  return key;
}

char *
tlsfiles_ensure_text_secret(const char *path, GError **error)
{
  char *text = NULL;

  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    guint8 fresh[32];
    char hex[2 * sizeof fresh + 2];
    if (RAND_bytes(fresh, sizeof fresh) != 1) {
      ssl_fail("RAND_bytes", error);
      return NULL;
    }
    for (size_t i = 0; i < sizeof fresh; i++)
      snprintf(hex + 2 * i, 3, "%02x", fresh[i]);
    hex[2 * sizeof fresh] = '\n';
    hex[2 * sizeof fresh + 1] = '\0';
    gboolean ok = write_secret(path, hex, strlen(hex), error);
    OPENSSL_cleanse(fresh, sizeof fresh);
    if (!ok)
      return NULL;
  }
  if (!g_file_get_contents(path, &text, NULL, error))
    return NULL;
  g_strstrip(text);
  if (strlen(text) < 16 || strpbrk(text, " \t\r\n")) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: the secret must be one word of at least 16 characters", path);
    g_free(text);
    return NULL;
  }
  return text;
}
