/* SPDX-License-Identifier: Apache-2.0 */
/* rostrum-loadgen: parses arguments and runs the benchmark. */
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

/* "1/K" (every K-th listener), "all", "none" or "0". */
static gboolean
parse_sample(const char *text, unsigned *every)
{
  if (strcmp(text, "all") == 0) {
    *every = 1;
    return TRUE;
  }
  if (strcmp(text, "none") == 0 || strcmp(text, "0") == 0) {
    *every = 0;
    return TRUE;
  }
  if (!g_str_has_prefix(text, "1/"))
    return FALSE;
  char *end = NULL;
  guint64 k = g_ascii_strtoull(text + 2, &end, 10);
  if (!end || *end || k == 0 || k > G_MAXUINT)
    return FALSE;
  *every = (unsigned)k;
  return TRUE;
}

int
main(int argc, char **argv)
{
  gint listeners = 10, join_timeout = 30, relay_pid = 0, ice_pacing = 2, login_concurrency = 0;
  gdouble duration = 10, join_rate = 0, warmup = 0;
  g_autofree char *ice_address = NULL;
  g_autofree char *csv = NULL, *spread_csv = NULL, *adapter = NULL, *sample = NULL;
  g_autofree char *server_pids = NULL, *tracks = NULL;
  gboolean verbose = FALSE, prelogin = FALSE;
  LoadgenConfig cfg;
  memset(&cfg, 0, sizeof cfg);
  GOptionEntry entries[] = {
    {"listeners", 'n', 0, G_OPTION_ARG_INT, &listeners, "Listeners to simulate (10)", "N"},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
     "Measurement window once all joined, seconds (10)", "S"},
    {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup,
     "Seconds to wait after the last join before the window opens (0)", "S"},
    {"join-rate", 'r', 0, G_OPTION_ARG_DOUBLE, &join_rate,
     "Joins started per second; 0 = all at once (0)", "R"},
    {"join-timeout", 0, 0, G_OPTION_ARG_INT, &join_timeout,
     "A listener without audio this long after its request has failed (30)", "S"},
    {"decrypt-sample", 0, 0, G_OPTION_ARG_STRING, &sample,
     "SRTP-decrypt every packet of 1/K of the listeners, 'all' or 'none' (1/10)", "1/K"},
    {"csv", 0, 0, G_OPTION_ARG_FILENAME, &csv, "One row per listener into FILE", "FILE"},
    {"spread-csv", 0, 0, G_OPTION_ARG_FILENAME, &spread_csv,
     "One row per packet seen by every decrypting listener: first arrival (ms), spread (ms)",
     "FILE"},
    {"adapter", 'a', 0, G_OPTION_ARG_STRING, &adapter,
     "How listeners join: control | rostrum | janus (control)", "NAME"},
    {"control", 0, 0, G_OPTION_ARG_FILENAME, &cfg.adapter_args.control_path,
     "control: the relay's control socket", "PATH"},
    {"tracks", 0, 0, G_OPTION_ARG_STRING, &tracks,
     "control: what each listener receives: 'floor', or 'floor,channel' (a second receive-only "
     "m-line, pointed at --channel; both counted apart) (floor)",
     "LIST"},
    {"channel", 0, 0, G_OPTION_ARG_STRING, &cfg.adapter_args.channel,
     "control, --tracks floor,channel: the channel track's product, sent as listener.channel "
     "once peer.add answered (channel:fr)",
     "PRODUCT"},
    {"url", 0, 0, G_OPTION_ARG_STRING, &cfg.adapter_args.url,
     "rostrum: signalling base URL (https://127.0.0.1:8443)", "URL"},
    {"badge-prefix", 0, 0, G_OPTION_ARG_STRING, &cfg.adapter_args.badge_prefix,
     "rostrum: badges are PREFIX00001... (BENCH-)", "PREFIX"},
    {"code", 0, 0, G_OPTION_ARG_STRING, &cfg.adapter_args.code,
     "rostrum: the access code shared by the benchmark badges", "CODE"},
    {"prelogin", 0, 0, G_OPTION_ARG_NONE, &prelogin,
     "rostrum: log every listener in first (untimed, its own summary line), then time the "
     "joins with the kept tokens: WebSocket -> first packet (join_from=token)",
     NULL},
    {"login-concurrency", 0, 0, G_OPTION_ARG_INT, &login_concurrency,
     "rostrum, --prelogin: logins in flight at most (8)", "K"},
    {"janus", 0, 0, G_OPTION_ARG_STRING, &cfg.adapter_args.janus_url,
     "janus: HTTP API URL (http://127.0.0.1:8088/janus)", "URL"},
    {"mountpoint", 0, 0, G_OPTION_ARG_INT64, &cfg.adapter_args.mountpoint,
     "janus: Streaming mountpoint id (1)", "ID"},
    {"relay-pid", 0, 0, G_OPTION_ARG_INT, &relay_pid,
     "Sample this process's CPU and RSS over the window", "PID"},
    {"server-pids", 0, 0, G_OPTION_ARG_STRING, &server_pids,
     "The server's processes, whose CPU over the join phase is summed per join (relay-pid)",
     "PID[,PID...]"},
    {"ice-pacing-ms", 0, 0, G_OPTION_ARG_INT, &ice_pacing,
     "libnice Ta for the whole agent, ms (2)", "MS"},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING, &ice_address,
     "The only local ICE address (127.0.0.1); Janus's libnice skips loopback, so its runs use "
     "the host's own interface address",
     "ADDR"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log every join", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) opts =
      g_option_context_new("- simulate WebRTC audio listeners against a fan-out server");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries(opts, entries, NULL);
  if (!g_option_context_parse(opts, &argc, &argv, &error)) {
    g_printerr("rostrum-loadgen: %s\n", error->message);
    return 2;
  }
  cfg.adapter = loadgen_adapter_find(adapter ? adapter : "control");
  if (!cfg.adapter) {
    g_printerr("rostrum-loadgen: unknown adapter '%s'\n", adapter);
    return 2;
  }
  if (listeners < 1 || listeners > 100000 || duration <= 0 || duration > 86400 || warmup < 0 || warmup > 3600 || join_rate < 0 ||
      join_timeout < 1 || ice_pacing < 1 || ice_pacing > 1000) {
    g_printerr("rostrum-loadgen: an option is out of range\n");
    return 2;
  }
  if (prelogin && !cfg.adapter->prepare) {
    g_printerr("rostrum-loadgen: --prelogin needs --adapter rostrum\n");
    return 2;
  }
  if (login_concurrency && !prelogin) {
    g_printerr("rostrum-loadgen: --login-concurrency applies to --prelogin only\n");
    return 2;
  }
  if (login_concurrency < 0 || login_concurrency > 10000) {
    g_printerr("rostrum-loadgen: --login-concurrency takes 1..10000\n");
    return 2;
  }
  if (tracks && strcmp(tracks, "floor,channel") == 0) {
    if (cfg.adapter != &loadgen_adapter_control) {
      g_printerr("rostrum-loadgen: --tracks floor,channel needs --adapter control\n");
      return 2;
    }
    cfg.channel_track = TRUE;
    if (!cfg.adapter_args.channel)
      cfg.adapter_args.channel = g_strdup("channel:fr");
  } else if (tracks && strcmp(tracks, "floor") != 0) {
    g_printerr("rostrum-loadgen: --tracks takes floor or floor,channel\n");
    return 2;
  }
  if (cfg.adapter_args.channel && !cfg.channel_track) {
    g_printerr("rostrum-loadgen: --channel applies to --tracks floor,channel only\n");
    return 2;
  }
  cfg.adapter_args.prelogin = prelogin;
  cfg.adapter_args.login_concurrency = login_concurrency ? (unsigned)login_concurrency : 8;
  cfg.decrypt_every = 10;
  if (sample && !parse_sample(sample, &cfg.decrypt_every)) {
    g_printerr("rostrum-loadgen: --decrypt-sample takes 1/K, all or none\n");
    return 2;
  }
  cfg.listeners = (unsigned)listeners;
  cfg.duration_s = duration;
  cfg.warmup_s = warmup;
  cfg.join_rate = join_rate;
  cfg.join_timeout_s = join_timeout;
  cfg.csv_path = csv;
  cfg.spread_csv_path = spread_csv;
  cfg.relay_pid = relay_pid;
  if (server_pids) {
    g_auto(GStrv) parts = g_strsplit(server_pids, ",", -1);
    guint n = 0;
    for (guint i = 0; parts[i]; i++) {
      char *end = NULL;
      long pid = strtol(parts[i], &end, 10);
      if (end == parts[i] || *end || pid <= 0 || n == LOADGEN_MAX_SERVER_PIDS) {
        g_printerr("rostrum-loadgen: --server-pids: at most %d positive PIDs, comma-separated\n",
                   LOADGEN_MAX_SERVER_PIDS);
        return 2;
      }
      cfg.server_pids[n++] = (int)pid;
    }
  }
  cfg.ice_pacing_ms = (unsigned)ice_pacing;
  cfg.verbose = verbose;
  cfg.adapter_args.trace = verbose;
  cfg.ice_address = ice_address;
  if (!cfg.adapter_args.url)
    cfg.adapter_args.url = g_strdup("https://127.0.0.1:8443");
  if (!cfg.adapter_args.badge_prefix)
    cfg.adapter_args.badge_prefix = g_strdup("BENCH-");
  if (!cfg.adapter_args.janus_url)
    cfg.adapter_args.janus_url = g_strdup("http://127.0.0.1:8088/janus");
  if (!cfg.adapter_args.mountpoint)
    cfg.adapter_args.mountpoint = 1;

  int rc = loadgen_run(&cfg, &error);
  if (error)
    g_printerr("rostrum-loadgen: %s\n", error->message);
  g_free(cfg.adapter_args.control_path);
  g_free(cfg.adapter_args.channel);
  g_free(cfg.adapter_args.url);
  g_free(cfg.adapter_args.badge_prefix);
  g_free(cfg.adapter_args.code);
  g_free(cfg.adapter_args.janus_url);
  return rc;
}
