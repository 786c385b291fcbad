/* SPDX-License-Identifier: Apache-2.0 */
#include "app.h"

#include "console.h"
#include "passhash.h"
#include "server.h"
#include "tlsfiles.h"
#include "ws.h"

#include <gio/gio.h>
#include <openssl/rand.h>
#include <string.h>

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

/* A restart goes on where the meeting was: the session open (or none) and
 * closed or not, and the item, as the event log last says for this
 * meeting. FALSE when the log has no session event of it (a new meeting:
 * [signalling] session applies). */
static gboolean
restore_live(SigApp *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = storage_events(attendance_storage(app->attendance), NULL, &error);
  const StorageEvent *open = NULL, *restrict_ = NULL, *item = NULL;
  gboolean any = FALSE;
  if (!events) {
    g_warning("meeting state not restored: %s", error->message);
    return FALSE;
  }
  for (guint i = 0; i < events->len; i++) {
    const StorageEvent *e = &((StorageEventRow *)events->pdata[i])->e;
    if (g_strcmp0(e->meeting, app->meeting->id) != 0)
      continue;
    if (strcmp(e->kind, STORAGE_KIND_SESSION_OPEN) == 0) {
      any = TRUE;
      open = e;
      restrict_ = NULL;
      item = e;
    } else if (strcmp(e->kind, STORAGE_KIND_SESSION_CLOSE) == 0) {
      any = TRUE;
      open = NULL;
    } else if (open && strcmp(e->kind, STORAGE_KIND_SESSION_RESTRICT) == 0) {
      restrict_ = e;
    } else if (open && strcmp(e->kind, STORAGE_KIND_ITEM) == 0) {
      item = e;
    }
  }
  if (!any)
    return FALSE;
  if (open && live_open(&app->live, open->session) == 0) {
    if (item && item->agenda_item)
      live_set_item(&app->live, item->agenda_item);
    if (restrict_)
      live_restrict(&app->live, g_strcmp0(restrict_->reason, "closed") == 0);
    g_message("meeting %s: session %s restored (%s, item %s)", app->meeting->id,
              open->session, app->live.closed ? "closed" : "open",
              app->live.item ? app->live.item->id : "none");
  } else {
    g_message("meeting %s: no session open (as the log says)", app->meeting->id);
  }
  return TRUE;
}

/* The meeting file, validated whole: every error is reported. */
static gboolean
load_meeting(SigApp *app, GError **error)
{
  g_autofree char *path = sigconfig_meeting_path(app->cfg);
  g_autoptr(GPtrArray) errors = NULL;
  if (meeting_load_file(path, &app->meeting, &errors) < 0) {
    g_autoptr(GString) all = g_string_new(NULL);
    for (guint i = 0; errors && i < errors->len; i++) {
      g_autofree char *line = meeting_error_format(errors->pdata[i]);
      g_string_append_printf(all, "%s%s", i ? "\n" : "", line);
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "meeting %s:\n%s", path,
                all->len ? all->str : "cannot be read");
    return FALSE;
  }
  live_init(&app->live, app->meeting);
  if (restore_live(app))
    return TRUE;
  if (*app->cfg->session && live_open(&app->live, app->cfg->session) < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "[signalling] session: '%s' is not a session of meeting %s", app->cfg->session,
                app->meeting->id);
    return FALSE;
  }
  if (app->live.open) { /* in the log, so that a restart goes on from here */
    g_autofree char *wall = attendance_wall_time_now();
    AttendanceEvent e = {.kind = STORAGE_KIND_SESSION_OPEN,
                         .agenda_item = live_item_id(&app->live),
                         .wall_time = wall,
                         .mono_us = g_get_monotonic_time(),
                         .reason = "config",
                         .meeting = app->meeting->id,
                         .session = app->live.session->id};
    if (!attendance_record_many(app->attendance, &e, 1, error))
      return FALSE;
  }
  return TRUE;
}

/* rostrum-admin changed the participants: log in against the new roster
 * (a login in flight keeps a reference to the old one). A revoked badge is
 * absent from @fresh, so its tokens no longer join (ws.c looks it up). */
static void
on_roster_changed(Roster *fresh, const GPtrArray *gone, gpointer user)
{
  SigApp *app = user;
  roster_free(app->roster);
  app->roster = roster_ref(fresh);
  app->login.roster = app->roster;
  for (guint i = 0; i < gone->len; i++)
    g_message("roster: %s revoked or removed", (const char *)gone->pdata[i]);
  console_roster_changed(app, gone);
}

SigApp *
sig_app_new(SigConfig *cfg, GMainLoop *loop, GError **error)
{
  g_autoptr(SigApp) app = g_new0(SigApp, 1);

  app->cfg = cfg;
  app->loop = loop;
  app->peers = g_hash_table_new(g_str_hash, g_str_equal);
  app->present = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *db_dir = g_path_get_dirname(cfg->database);
  g_mkdir_with_parents(db_dir, 0700);
  app->attendance = attendance_open(cfg->database, error);
  if (!app->attendance)
    return NULL;
  if (!load_meeting(app, error))
    return NULL;
  /* the roster lives in the database; [signalling] roster (if set) is
   * imported into it first, checked against the meeting. rostrum-admin's
   * changes are picked up live. */
  app->roster = roster_sync_load(attendance_storage(app->attendance), cfg->roster, app->meeting,
                                 error);
  if (!app->roster)
    return NULL;
  app->roster_sync = roster_sync_new(attendance_storage(app->attendance), app->roster, 0,
                                     on_roster_changed, app);
  if (!tlsfiles_ensure_cert(cfg->tls_cert, cfg->tls_key, error))
    return NULL;
  app->token_key = tlsfiles_ensure_token_key(cfg->token_key_file, &app->token_key_len, error);
  if (!app->token_key)
    return NULL;
  if (cfg->turn_urls[0] && !(app->turn_secret = tlsfiles_ensure_text_secret(cfg->turn_secret_file,
                                                                              error)))
    return NULL;
  app->journal = attendance_queue_new(app->attendance, NULL);
  app->dummy_hash = make_dummy_hash();
  if (!app->dummy_hash) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot compute a password hash");
    return NULL;
  }
  app->limiter = ratelimit_new(LOGIN_MAX_FAILURES, LOGIN_WINDOW_US);
  app->addr_limiter = ratelimit_new(LOGIN_MAX_ADDRESS_FAILURES, LOGIN_WINDOW_US);
  app->login = (LoginContext){
    .roster = app->roster,
    .limiter = app->limiter,
    .addr_limiter = app->addr_limiter,
    .key = app->token_key,
    .key_len = app->token_key_len,
    .ttl = cfg->token_ttl_seconds,
    .dummy_hash = app->dummy_hash,
    .turn_urls = cfg->turn_urls,
    .turn_secret = app->turn_secret,
    .turn_ttl = cfg->turn_ttl_seconds,
  };
  console_init(app);
  app->relay = relay_client_new(cfg->relay_socket, ws_on_relay_event, ws_on_relay_state, app);
  return g_steal_pointer(&app);
}

void
sig_app_free(SigApp *app)
{
  if (!app)
    return;
  app->shutting_down = TRUE; /* the seats stay for the next process to adopt */
  server_stop(app);
  relay_client_free(app->relay);
  if (app->relay_down_timer)
    g_source_remove(app->relay_down_timer);
  ws_drop_seats(app);
  g_hash_table_destroy(app->peers);
  g_hash_table_destroy(app->present);
  g_strfreev(app->origins);
  ratelimit_free(app->limiter);
  ratelimit_free(app->addr_limiter);
  roster_sync_free(app->roster_sync);
  attendance_queue_free(app->journal); /* writes what waits */
  attendance_close(app->attendance);
  g_free(app->dummy_hash);
  if (app->token_key)
    memset(app->token_key, 0, app->token_key_len);
  g_free(app->token_key);
  g_free(app->turn_secret);
  console_free(app);
  meeting_free(app->meeting);
  roster_free(app->roster);
  sigconfig_free(app->cfg);
  g_free(app);
}

static gboolean
is_loopback(const char *addr)
{
  return strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0 ||
         strcmp(addr, "localhost") == 0;
}

void
sig_app_set_origins(SigApp *app)
{
  GPtrArray *o = g_ptr_array_new();
  const char *addr = app->cfg->listen_address;
  g_strfreev(app->origins);
  for (char **u = app->cfg->public_origins; u && *u; u++)
    g_ptr_array_add(o, g_strdup(*u));
  if (o->len == 0) {
    if (strchr(addr, ':'))
      g_ptr_array_add(o, g_strdup_printf("https://[%s]:%d", addr, app->port));
    else
      g_ptr_array_add(o, g_strdup_printf("https://%s:%d", addr, app->port));
    if (is_loopback(addr) || strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0) {
      g_ptr_array_add(o, g_strdup_printf("https://localhost:%d", app->port));
      g_ptr_array_add(o, g_strdup_printf("https://127.0.0.1:%d", app->port));
      g_ptr_array_add(o, g_strdup_printf("https://[::1]:%d", app->port));
    }
  }
  g_ptr_array_add(o, NULL);
  app->origins = (char **)g_ptr_array_free(o, FALSE);
}

gboolean
sig_app_origin_allowed(const SigApp *app, const char *origin)
{
  if (!origin || !*origin || strcmp(origin, "null") == 0 || !app->origins)
    return FALSE;
  for (char **o = app->origins; *o; o++)
    if (g_ascii_strcasecmp(*o, origin) == 0)
      return TRUE;
  return FALSE;
}
