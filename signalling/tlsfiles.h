/* SPDX-License-Identifier: Apache-2.0 */
/* First-start secrets: a self-signed TLS certificate and the token key.
 * Runs before the loop starts; GError idiom. */
#pragma once

#include <glib.h>

/* If @cert_path or @key_path is missing, writes a new self-signed
 * certificate (EC P-256, CN=localhost, SAN DNS:localhost, IP:127.0.0.1,
 * one year) and its key (mode 0600), creating parent directories. */
gboolean tlsfiles_ensure_cert(const char *cert_path, const char *key_path, GError **error);

/* Reads the 32-byte token key from @path, writing 32 random bytes (mode
 * 0600) first if the file is missing. Returns the key (transfer full,
 * *len set) or NULL. */
guint8 *tlsfiles_ensure_token_key(const char *path, gsize *len, GError **error);

/* Reads a text secret (one word, e.g. coturn's static-auth-secret) from
 * @path, writing 64 random hex characters (mode 0600) first if the file is
 * missing. Returns it without surrounding space (transfer full) or NULL. */
char *tlsfiles_ensure_text_secret(const char *path, GError **error);
