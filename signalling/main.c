/* SPDX-License-Identifier: Apache-2.0 */
/* rostrum-signalling: parse --config, load, listen, run the loop. */
#include "app.h"
#include "epoll_poll.h"
#include "server.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static gboolean
on_signal(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *meeting = NULL;
  g_autofree char *session = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
     "INI file with a [signalling] section (default config/rostrum.ini)", "FILE"},
    {"meeting", 'm', 0, G_OPTION_ARG_STRING, &meeting,
     "The meeting to run instead of [signalling] meeting: a name in meetings_dir or a file",
     "NAME"},
    {"session", 's', 0, G_OPTION_ARG_STRING, &session,
     "The session to open at start instead of [signalling] session (\"\": none)", "ID"},
    G_OPTION_ENTRY_NULL,
  };

  /* First of all: whatever umask we inherit, what this daemon creates is
   * for its own user only. SQLite creates the attendance database and its
   * -wal/-shm 0644 less the umask; the keys are 0600 anyway. */
  umask(077);
  g_autoptr(GOptionContext) opts = g_option_context_new("- Rostrum signalling server");
  g_option_context_add_main_entries(opts, entries, NULL);
  if (!g_option_context_parse(opts, &argc, &argv, &error)) {
    fprintf(stderr, "rostrum-signalling: %s\n", error->message);
    return 2;
  }
  if (!config_path)
    config_path = g_strdup("config/rostrum.ini");

  SigConfig *cfg = sigconfig_load(config_path, &error);
  if (!cfg) {
    fprintf(stderr, "rostrum-signalling: %s\n", error->message);
    return 1;
  }
  if (meeting) {
    g_free(cfg->meeting);
    cfg->meeting = g_steal_pointer(&meeting);
    if (!session) { /* the config's session belongs to its own meeting */
      g_free(cfg->session);
      cfg->session = g_strdup("");
    }
  }
  if (session) {
    g_free(cfg->session);
    cfg->session = g_steal_pointer(&session);
  }
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  if (!epoll_poll_install(NULL))
    fprintf(stderr, "rostrum-signalling: no epoll; polling every connection each wake-up\n");
  g_autoptr(SigApp) app = sig_app_new(cfg, loop, &error);
  if (!app || !server_start(app, &error)) {
    fprintf(stderr, "rostrum-signalling: %s\n", error->message);
    return 1;
  }
  guint sigint = g_unix_signal_add(SIGINT, on_signal, loop);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, loop);
  printf("signalling: meeting %s, session %s\n", app->meeting->id,
         app->live.open ? app->live.session->id : "(none open)");
  printf("signalling: listening on https://%s:%d/\n", app->cfg->listen_address, app->port);
  fflush(stdout);

  g_main_loop_run(loop);

  g_source_remove(sigint);
  g_source_remove(sigterm);
  g_clear_pointer(&app, sig_app_free);
  return 0;
}
