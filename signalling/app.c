/* SPDX-License-Identifier: Apache-2.0 */
#include "app.h"

#include "passhash.h"
#include "server.h"
#include "tlsfiles.h"
#include "ws.h"

#include <gio/gio.h>
#include <openssl/rand.h>
#include <string.h>

static gboolean
set_error_from_detail(GError **error, int rc, char *detail)
{
  g_set_error(error, G_IO_ERROR, rc == -5 ? G_IO_ERROR_NOT_FOUND : G_IO_ERROR_INVALID_DATA, "%s",
              detail ? detail : "error");
  g_free(detail);
  return FALSE;
}

static char *
make_dummy_hash(void)
{
  guint8 random[16];
  char *hash = NULL;
  RAND_bytes(random, sizeof random);
  g_autofree char *code = g_base64_encode(random, sizeof random);
  passhash_hash(code, 0, &hash);
  return hash;
}

SigApp *
sig_app_new(SigConfig *cfg, GMainLoop *loop, GError **error)
{
  g_autoptr(SigApp) app = g_new0(SigApp, 1);
  char *detail = NULL;
  int rc;

  app->cfg = cfg;
  app->loop = loop;
  app->peers = g_hash_table_new(g_str_hash, g_str_equal);
  if ((rc = roster_load_file(cfg->roster, &app->roster, &detail)) < 0) {
    char *msg = g_strdup_printf("roster %s: %s", cfg->roster, detail ? detail : "error");
    g_free(detail);
    set_error_from_detail(error, rc, msg);
    return NULL;
  }
  if ((rc = venue_load_file(cfg->venue, &app->venue, &detail)) < 0) {
    set_error_from_detail(error, rc, detail);
    return NULL;
  }
  if (!tlsfiles_ensure_cert(cfg->tls_cert, cfg->tls_key, error))
    return NULL;
  app->token_key = tlsfiles_ensure_token_key(cfg->token_key_file, &app->token_key_len, error);
  if (!app->token_key)
    return NULL;
  if (cfg->turn_urls[0] && !(app->turn_secret = tlsfiles_ensure_text_secret(cfg->turn_secret_file,
                                                                              error)))
    return NULL;
  g_autofree char *db_dir = g_path_get_dirname(cfg->database);
  g_mkdir_with_parents(db_dir, 0700);
  app->attendance = attendance_open(cfg->database, error);
  if (!app->attendance)
    return NULL;
  app->journal = attendance_queue_new(app->attendance, NULL);
  app->dummy_hash = make_dummy_hash();
  if (!app->dummy_hash) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot compute a password hash");
    return NULL;
  }
  app->limiter = ratelimit_new(LOGIN_MAX_FAILURES, LOGIN_WINDOW_US);
  app->login = (LoginContext){
    .roster = app->roster,
    .limiter = app->limiter,
    .key = app->token_key,
    .key_len = app->token_key_len,
    .ttl = cfg->token_ttl_seconds,
    .dummy_hash = app->dummy_hash,
    .turn_urls = cfg->turn_urls,
    .turn_secret = app->turn_secret,
    .turn_ttl = cfg->turn_ttl_seconds,
  };
  app->relay = relay_client_new(cfg->relay_socket, ws_on_relay_event, ws_on_relay_state, app);
  return g_steal_pointer(&app);
}

void
sig_app_free(SigApp *app)
{
  if (!app)
    return;
  server_stop(app);
  relay_client_free(app->relay);
  g_hash_table_destroy(app->peers);
  ratelimit_free(app->limiter);
  attendance_queue_free(app->journal); /* writes what waits */
  attendance_close(app->attendance);
  g_free(app->dummy_hash);
  if (app->token_key)
    memset(app->token_key, 0, app->token_key_len);
  g_free(app->token_key);
  g_free(app->turn_secret);
  venue_free(app->venue);
  roster_free(app->roster);
  sigconfig_free(app->cfg);
  g_free(app);
}
