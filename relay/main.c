/* SPDX-License-Identifier: Apache-2.0 */
/* rostrum-relay: parses arguments, loads the config, runs the loop. */
#include <glib-unix.h>
#include <gst/gst.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "relay.h"

static gboolean
on_signal(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
     "INI file with a [relay] section (default config/rostrum.ini)", "FILE"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) opts = g_option_context_new("- Rostrum media relay");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayConfig) cfg = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  Relay *relay;

  /* First of all: whatever umask we inherit, what this daemon creates (the
   * control socket; GStreamer's files) is for its own user only. */
  umask(077);
  /* Media is what everyone hears: on a shared machine the relay's loop
   * (the fan-out) goes before logins, browsers and builds. Without the
   * permission (CAP_SYS_NICE) it runs at normal priority. */
  if (setpriority(PRIO_PROCESS, 0, -10) != 0)
    g_printerr("relay: runs at normal priority (no permission to raise it)\n");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_add_group(opts, gst_init_get_option_group());
  if (!g_option_context_parse(opts, &argc, &argv, &error)) {
    g_printerr("rostrum-relay: %s\n", error->message);
    return 2;
  }
  if (!(cfg = relay_config_load(config_path ? config_path : "config/rostrum.ini", &error))) {
    g_printerr("rostrum-relay: %s\n", error->message);
    return 2;
  }
  loop = g_main_loop_new(NULL, FALSE);
  if (!(relay = relay_new(cfg, &error))) {
    g_printerr("rostrum-relay: %s\n", error->message);
    return 1;
  }
  g_unix_signal_add(SIGINT, on_signal, loop);
  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_print("relay: DTLS fingerprint sha-256 %s\n", relay_fingerprint(relay));
  if (relay_metrics_port(relay) >= 0)
    g_print("relay: metrics http://%s:%d/metrics\n", cfg->metrics_address,
            relay_metrics_port(relay));
  g_print("relay: control socket %s\n", cfg->control_socket);
  fflush(stdout);
  g_main_loop_run(loop);
  relay_free(relay);
  return 0;
}
