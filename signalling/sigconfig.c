/* SPDX-License-Identifier: Apache-2.0 */
#include "sigconfig.h"

#include "strlist.h"
#include <string.h>

#define GROUP "signalling"

static char *
get_string(GKeyFile *kf, const char *key, const char *fallback)
{
  char *v = g_key_file_get_string(kf, GROUP, key, NULL);
  if (v) {
    g_strstrip(v);
    if (*v)
      return v;
    g_free(v);
  }
  return g_strdup(fallback);
}

SigConfig *
sigconfig_load(const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  g_autoptr(SigConfig) cfg = g_new0(SigConfig, 1);
  gint64 port;

  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error(error, "%s: ", path);
    return NULL;
  }
  if (!g_key_file_has_group(kf, GROUP)) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                "%s: no [" GROUP "] section", path);
    return NULL;
  }
  cfg->listen_address = get_string(kf, "listen_address", "127.0.0.1");
  port = g_key_file_has_key(kf, GROUP, "listen_port", NULL)
           ? g_key_file_get_int64(kf, GROUP, "listen_port", &local)
           : 8443;
  if (local || port < 0 || port > 65535) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: listen_port must be 0..65535", path);
    return NULL;
  }
  cfg->listen_port = (guint16)port;
  cfg->tls_cert = get_string(kf, "tls_cert", "var/tls/cert.pem");
  cfg->tls_key = get_string(kf, "tls_key", "var/tls/key.pem");
  cfg->web_root = get_string(kf, "web_root", "web");
  cfg->roster = get_string(kf, "roster", "config/roster.csv");
  cfg->meeting = get_string(kf, "meeting", "wtpf-26");
  cfg->meetings_dir = get_string(kf, "meetings_dir", "config/meetings");
  cfg->session = get_string(kf, "session", "");
  cfg->database = get_string(kf, "database", "var/attendance.sqlite");
  cfg->token_key_file = get_string(kf, "token_key_file", "var/token.key");
  cfg->relay_socket = get_string(kf, "relay_socket", "var/relay.sock");
  cfg->token_ttl_seconds = g_key_file_has_key(kf, GROUP, "token_ttl_seconds", NULL)
                             ? g_key_file_get_int64(kf, GROUP, "token_ttl_seconds", &local)
                             : 3600;
  if (local || cfg->token_ttl_seconds < 10 || cfg->token_ttl_seconds > 7 * 86400) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: token_ttl_seconds must be 10..604800", path);
    return NULL;
  }
  {
    g_autofree char *urls = get_string(kf, "turn_urls", "");
    cfg->turn_urls = strlist_split(urls);
    for (char **u = cfg->turn_urls; *u; u++)
      if (!g_str_has_prefix(*u, "turn:") && !g_str_has_prefix(*u, "turns:") &&
          !g_str_has_prefix(*u, "stun:")) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s: turn_urls: '%s' is not a turn:, turns: or stun: URL", path, *u);
        return NULL;
      }
  }
  {
    g_autofree char *origins = get_string(kf, "public_origins", "");
    cfg->public_origins = strlist_split(origins);
    for (char **o = cfg->public_origins; *o; o++)
      if (!g_str_has_prefix(*o, "https://") || strchr(*o + 8, '/')) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s: public_origins: '%s' is not an origin like https://host:port", path, *o);
        return NULL;
      }
  }
  cfg->turn_secret_file = get_string(kf, "turn_secret_file", "var/turn.secret");
  cfg->turn_ttl_seconds = g_key_file_has_key(kf, GROUP, "turn_ttl_seconds", NULL)
                            ? g_key_file_get_int64(kf, GROUP, "turn_ttl_seconds", &local)
                            : 86400;
  if (local || cfg->turn_ttl_seconds < 60 || cfg->turn_ttl_seconds > 7 * 86400) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: turn_ttl_seconds must be 60..604800", path);
    return NULL;
  }
  return g_steal_pointer(&cfg);
}

char *
sigconfig_meeting_path(const SigConfig *cfg)
{
  if (g_str_has_suffix(cfg->meeting, ".json") || strchr(cfg->meeting, '/'))
    return g_strdup(cfg->meeting);
  return g_strdup_printf("%s/%s.json", cfg->meetings_dir, cfg->meeting);
}

void
sigconfig_free(SigConfig *cfg)
{
  if (!cfg)
    return;
  g_free(cfg->listen_address);
  g_strfreev(cfg->turn_urls);
  g_strfreev(cfg->public_origins);
  g_free(cfg->turn_secret_file);
  g_free(cfg->tls_cert);
  g_free(cfg->tls_key);
  g_free(cfg->web_root);
  g_free(cfg->roster);
  g_free(cfg->meeting);
  g_free(cfg->meetings_dir);
  g_free(cfg->session);
  g_free(cfg->database);
  g_free(cfg->token_key_file);
  g_free(cfg->relay_socket);
  g_free(cfg);
}
