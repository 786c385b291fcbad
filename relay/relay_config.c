/* SPDX-License-Identifier: Apache-2.0 */
#include "relay_config.h"

#include "strlist.h"

#include <gio/gio.h>
#include <string.h>

#define SECTION "relay"

static char *
get_string(GKeyFile *kf, const char *key, const char *fallback)
{
  char *v = g_key_file_get_string(kf, SECTION, key, NULL);
  if (!v)
    return g_strdup(fallback);
  g_strstrip(v);
  return v;
}

static gboolean
get_int(GKeyFile *kf, const char *key, int fallback, int min, int max, int *out, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!g_key_file_has_key(kf, SECTION, key, NULL)) {
    *out = fallback;
    return TRUE;
  }
  int v = g_key_file_get_integer(kf, SECTION, key, &local);
  if (local || v < min || v > max) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[relay] %s must be an integer from %d to %d", key, min, max);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

RelayConfig *
relay_config_load(const char *path, GError **error)
{
  static const struct {
    const char *name;
    FloorSource value;
  } sources[] = {
    {"tone", FLOOR_SOURCE_TONE},
    {"file", FLOOR_SOURCE_FILE},
    {"pipeline", FLOOR_SOURCE_PIPELINE},
  };
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(RelayConfig) cfg = g_new0(RelayConfig, 1);
  g_autofree char *source = NULL;
  gboolean found = FALSE;

  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error(error, "%s: ", path);
    return NULL;
  }
  cfg->control_socket = get_string(kf, "control_socket", "var/relay.sock");
  {
    g_autofree char *binds = get_string(kf, "bind_address", "127.0.0.1");
    cfg->bind_addresses = strlist_split(binds);
  }
  cfg->public_address = get_string(kf, "public_address", "");
  cfg->dtls_role = get_string(kf, "dtls_role", "auto");
  cfg->srtp_profiles =
      get_string(kf, "srtp_profiles", "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80");
  cfg->ice_tcp = g_key_file_get_boolean(kf, SECTION, "ice_tcp", NULL);
  cfg->floor_file = get_string(kf, "floor_file", "");
  cfg->floor_pipeline = get_string(kf, "floor_pipeline", "");
  cfg->metrics_address = get_string(kf, "metrics_address", "127.0.0.1");
  source = get_string(kf, "floor_source", "tone");
  for (size_t i = 0; i < G_N_ELEMENTS(sources); i++)
    if (strcmp(source, sources[i].name) == 0) {
      cfg->floor_source = sources[i].value;
      found = TRUE;
    }
  if (!found) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [relay] floor_source must be tone, file or pipeline, not '%s'", path, source);
    return NULL;
  }
  if (!get_int(kf, "floor_tone_hz", 440, 20, 20000, &cfg->floor_tone_hz, error) ||
      !get_int(kf, "floor_bitrate", 32000, 6000, 510000, &cfg->floor_bitrate, error) ||
      !get_int(kf, "consent_timeout_s", 30, 2, 3600, &cfg->consent_timeout_s, error) ||
      !get_int(kf, "report_interval_ms", 1000, 100, 60000, &cfg->report_interval_ms, error) ||
      !get_int(kf, "stats_interval_s", 5, 1, 3600, &cfg->stats_interval_s, error) ||
      !get_int(kf, "metrics_port", 9464, -1, 65535, &cfg->metrics_port, error) ||
      !get_int(kf, "ice_port", 0, 0, 65535, &cfg->ice_port, error)) {
    g_prefix_error(error, "%s: ", path);
    return NULL;
  }
  if (cfg->floor_source == FLOOR_SOURCE_FILE && !cfg->floor_file[0]) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [relay] floor_source = file needs floor_file", path);
    return NULL;
  }
  if (cfg->floor_source == FLOOR_SOURCE_PIPELINE && !cfg->floor_pipeline[0]) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [relay] floor_source = pipeline needs floor_pipeline", path);
    return NULL;
  }
  if (!cfg->bind_addresses[0]) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [relay] bind_address needs at least one IP address", path);
    return NULL;
  }
  if (strcmp(cfg->dtls_role, "auto") != 0 && strcmp(cfg->dtls_role, "passive") != 0 &&
      strcmp(cfg->dtls_role, "active") != 0) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [relay] dtls_role must be auto, passive or active, not '%s'", path,
                cfg->dtls_role);
    return NULL;
  }
  if (!cfg->control_socket[0] || strlen(cfg->control_socket) >= 108) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [relay] control_socket must be a path shorter than 108 bytes", path);
    return NULL;
  }
  return g_steal_pointer(&cfg);
}

void
relay_config_free(RelayConfig *cfg)
{
  if (!cfg)
    return;
  g_free(cfg->control_socket);
  g_strfreev(cfg->bind_addresses);
  g_free(cfg->public_address);
  g_free(cfg->dtls_role);
  g_free(cfg->srtp_profiles);
  g_free(cfg->floor_file);
  g_free(cfg->floor_pipeline);
  g_free(cfg->metrics_address);
  g_free(cfg);
}
