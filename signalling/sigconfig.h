/* SPDX-License-Identifier: Apache-2.0 */
/* The [signalling] section of the INI config (GKeyFile). GError idiom. */
#pragma once

#include <glib.h>

typedef struct {
  char *listen_address;
  guint16 listen_port; /* 0: pick a free port */
  char *tls_cert;
  char *tls_key;
  char *web_root;
  char *roster;
  char *meeting;      /* a name in meetings_dir, or a path to a .json file */
  char *meetings_dir; /* config/meetings */
  char *session;      /* opened at start when nothing else is saved; "" none */
  char *database;
  char *token_key_file;
  gint64 token_ttl_seconds;
  char *relay_socket;
  char **turn_urls;      /* handed to browsers with their login; empty: no TURN */
  char *turn_secret_file; /* coturn's static-auth-secret, made at first start */
  gint64 turn_ttl_seconds;
  char **public_origins; /* web origins browsers load the pages from; empty: derived */
} SigConfig;

/* Loads @path. Returns the config (transfer full, free with
 * sigconfig_free) or NULL with @error set. Missing keys get defaults. */
SigConfig *sigconfig_load(const char *path, GError **error);
void sigconfig_free(SigConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SigConfig, sigconfig_free)
/* The meeting file: @cfg->meeting itself when it is a path, else
 * meetings_dir/<meeting>.json (transfer full). */
char *sigconfig_meeting_path(const SigConfig *cfg);
