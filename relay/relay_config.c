/* SPDX-License-Identifier: Apache-2.0 */
#include "relay_config.h"

#include "strlist.h"

#include <errno.h>
#include <gio/gio.h>
#include <net/if.h>
#include <stdlib.h>
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

static gboolean
get_bool(GKeyFile *kf, const char *key, gboolean fallback, gboolean *out, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!g_key_file_has_key(kf, SECTION, key, NULL)) {
    *out = fallback;
    return TRUE;
  }
  *out = g_key_file_get_boolean(kf, SECTION, key, &local);
  if (local) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[relay] %s must be true or false", key);
    return FALSE;
  }
  return TRUE;
}

static gboolean
is_language(const char *s)
{
  size_t n = strlen(s);
  if (n < 2 || n > 8)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_islower(s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
has_language(char **langs, const char *lang)
{
  return g_strv_contains((const char *const *)langs, lang);
}

/* languages, retour and sim_booths: every code known, no duplicate. */
static gboolean
check_audio(RelayConfig *cfg, GError **error)
{
  guint n = g_strv_length(cfg->languages);
  if (n > 16) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[relay] languages: at most 16, not %u", n);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    if (!is_language(cfg->languages[i])) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "[relay] languages: '%s' is not a language code like fr", cfg->languages[i]);
      return FALSE;
    }
    for (guint k = 0; k < i; k++)
      if (strcmp(cfg->languages[k], cfg->languages[i]) == 0) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[relay] languages: '%s' twice", cfg->languages[i]);
        return FALSE;
      }
  }
  for (char **r = cfg->retour; *r; r++) {
    g_auto(GStrv) pair = g_strsplit(*r, ":", 2);
    if (!pair[0] || !pair[1] || !has_language(cfg->languages, pair[0]) ||
        !has_language(cfg->languages, pair[1]) || strcmp(pair[0], pair[1]) == 0) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "[relay] retour: '%s' is not BOOTH:CHANNEL with two different languages of "
                  "'languages'", *r);
      return FALSE;
    }
  }
  for (char **b = cfg->sim_booths; *b; b++) {
    g_auto(GStrv) pair = g_strsplit(*b, ":", 2);
    char *end = NULL;
    double hz = pair[0] && pair[1] ? g_ascii_strtod(pair[1], &end) : 0;
    if (!pair[0] || !has_language(cfg->languages, pair[0]) || !end || *end || hz < 20 ||
        hz > 20000) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "[relay] sim_booths: '%s' is not BOOTH:HZ (a language of 'languages', "
                  "20-20000 Hz)", *b);
      return FALSE;
    }
  }
  return TRUE;
}

static const struct {
  const char *name;
  VenueFormat value;
} venue_formats[] = {
  {"L24", VENUE_FORMAT_L24},
  {"L16", VENUE_FORMAT_L16},
  {"opus", VENUE_FORMAT_OPUS},
};

const char *
venue_format_name(VenueFormat f)
{
  for (size_t i = 0; i < G_N_ELEMENTS(venue_formats); i++)
    if (venue_formats[i].value == f)
      return venue_formats[i].name;
  return "?";
}

static int
parse_format(const char *s, VenueFormat *out)
{
  for (size_t i = 0; i < G_N_ELEMENTS(venue_formats); i++)
    if (g_ascii_strcasecmp(s, venue_formats[i].name) == 0) {
      *out = venue_formats[i].value;
      return 0;
    }
  return -EINVAL;
}

static gboolean
is_ip_literal(const char *s)
{
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(s);
  return a != NULL;
}

int
venue_out_parse(const char *text, VenueOutSpec *out)
{
  /* from the right: FORMAT, PORT, ADDRESS (maybe [v6]); the rest is the product */
  const char *fmt = strrchr(text, ':');
  if (!fmt || parse_format(fmt + 1, &out->format) < 0)
    return -EINVAL;
  const char *port = fmt - 1;
  while (port >= text && *port != ':')
    port--;
  if (port < text)
    return -EINVAL;
  char *end = NULL;
  long p = strtol(port + 1, &end, 10);
  if (end != fmt || p < 1 || p > 65535)
    return -EINVAL;
  out->port = (int)p;
  const char *addr_end = port, *addr;
  if (addr_end > text && addr_end[-1] == ']') {
    addr = addr_end - 1;
    while (addr >= text && *addr != '[')
      addr--;
    if (addr <= text || addr[-1] != ':')
      return -EINVAL;
    if ((size_t)(addr_end - addr - 2) >= sizeof out->address)
      return -EINVAL;
    g_strlcpy(out->address, addr + 1, (size_t)(addr_end - addr - 1));
    addr--; /* the ':' before '[' */
  } else {
    addr = addr_end - 1;
    while (addr >= text && *addr != ':')
      addr--;
    if (addr < text || (size_t)(addr_end - addr - 1) >= sizeof out->address)
      return -EINVAL;
    g_strlcpy(out->address, addr + 1, (size_t)(addr_end - addr));
  }
  if (!is_ip_literal(out->address) || addr <= text ||
      (size_t)(addr - text) >= sizeof out->product)
    return -EINVAL;
  g_strlcpy(out->product, text, (size_t)(addr - text) + 1);
  if (strcmp(out->product, "floor") != 0 && strcmp(out->product, "remote") != 0 &&
      !g_str_has_prefix(out->product, "channel:"))
    return -EINVAL;
  return 0;
}

/* floor_source = rtp, recording and venue_out: every value usable. */
static gboolean
check_venue(GKeyFile *kf, RelayConfig *cfg, GError **error)
{
  g_autofree char *fmt = get_string(kf, "venue_rtp_format", "L24");
  g_autofree char *outs = get_string(kf, "venue_out", "");
  if (parse_format(fmt, &cfg->venue_rtp_format) < 0) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[relay] venue_rtp_format must be L24, L16 or opus, not '%s'", fmt);
    return FALSE;
  }
  if (!get_int(kf, "venue_rtp_port", 5004, 1, 65535, &cfg->venue_rtp_port, error) ||
      !get_int(kf, "venue_rtp_channels", 2, 1, 2, &cfg->venue_rtp_channels, error) ||
      !get_int(kf, "venue_rtp_pt", cfg->venue_rtp_format == VENUE_FORMAT_OPUS ? 111 : 97, 0,
               127, &cfg->venue_rtp_pt, error) ||
      !get_int(kf, "venue_rtp_jitter_ms", 5, 1, 100, &cfg->venue_rtp_jitter_ms, error) ||
      !get_int(kf, "venue_rtp_ptime_ms", cfg->venue_rtp_format == VENUE_FORMAT_OPUS ? 20 : 1,
               1, 20, &cfg->venue_rtp_ptime_ms, error) ||
      !get_int(kf, "venue_ptp_domain", -1, -1, 127, &cfg->venue_ptp_domain, error))
    return FALSE;
  if (cfg->venue_rtp_pt >= 72 && cfg->venue_rtp_pt <= 76) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[relay] venue_rtp_pt %d collides with RTCP (72-76)", cfg->venue_rtp_pt);
    return FALSE;
  }
  if (cfg->venue_rtp_format == VENUE_FORMAT_OPUS && cfg->venue_rtp_ptime_ms != 10 &&
      cfg->venue_rtp_ptime_ms != 20) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[relay] venue_rtp_ptime_ms must be 10 or 20 with opus, not %d",
                cfg->venue_rtp_ptime_ms);
    return FALSE;
  }
  if (cfg->floor_source == FLOOR_SOURCE_RTP && !is_ip_literal(cfg->venue_rtp_address)) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[relay] floor_source = rtp needs venue_rtp_address, an IP address (a "
                "multicast group to join or a local address), not '%s'",
                cfg->venue_rtp_address);
    return FALSE;
  }
  const char *ifaces[] = {"venue_rtp_interface", cfg->venue_rtp_interface, "venue_out_interface",
                          cfg->venue_out_interface};
  for (size_t i = 0; i < G_N_ELEMENTS(ifaces); i += 2)
    if (ifaces[i + 1][0] && (strlen(ifaces[i + 1]) >= 16 || !if_nametoindex(ifaces[i + 1]))) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "[relay] %s: no network interface '%s' here", ifaces[i], ifaces[i + 1]);
      return FALSE;
    }
  g_auto(GStrv) specs = strlist_split(outs);
  for (char **o = specs; *o; o++) {
    VenueOutSpec spec;
    if (cfg->n_venue_out == VENUE_OUT_MAX) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "[relay] venue_out: at most %d streams", VENUE_OUT_MAX);
      return FALSE;
    }
    if (venue_out_parse(*o, &spec) < 0 ||
        (g_str_has_prefix(spec.product, "channel:") &&
         !has_language(cfg->languages, spec.product + 8))) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "[relay] venue_out: '%s' is not PRODUCT:ADDRESS:PORT:FORMAT (PRODUCT floor, "
                  "remote or channel:L of 'languages'; an IP address, [v6] in brackets; FORMAT "
                  "L24, L16 or opus)", *o);
      return FALSE;
    }
    cfg->venue_out[cfg->n_venue_out++] = spec;
  }
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
    {"rtp", FLOOR_SOURCE_RTP},
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
  cfg->venue_rtp_address = get_string(kf, "venue_rtp_address", "");
  cfg->recording_dir = get_string(kf, "recording_dir", "");
  cfg->venue_out_sdp_dir = get_string(kf, "venue_out_sdp_dir", "");
  cfg->venue_rtp_interface = get_string(kf, "venue_rtp_interface", "");
  cfg->venue_out_interface = get_string(kf, "venue_out_interface", "");
  source = get_string(kf, "floor_source", "tone");
  for (size_t i = 0; i < G_N_ELEMENTS(sources); i++)
    if (strcmp(source, sources[i].name) == 0) {
      cfg->floor_source = sources[i].value;
      found = TRUE;
    }
  if (!found) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [relay] floor_source must be tone, file, pipeline or rtp, not '%s'", path, source);
    return NULL;
  }
  if (!get_int(kf, "floor_tone_hz", 440, 20, 20000, &cfg->floor_tone_hz, error) ||
      !get_int(kf, "floor_bitrate", 32000, 6000, 510000, &cfg->floor_bitrate, error) ||
      !get_int(kf, "consent_timeout_s", 30, 2, 3600, &cfg->consent_timeout_s, error) ||
      !get_int(kf, "report_interval_ms", 1000, 100, 60000, &cfg->report_interval_ms, error) ||
      !get_int(kf, "stats_interval_s", 5, 1, 3600, &cfg->stats_interval_s, error) ||
      !get_int(kf, "metrics_port", 9464, -1, 65535, &cfg->metrics_port, error) ||
      !get_int(kf, "ice_port", 0, 0, 65535, &cfg->ice_port, error) ||
      !get_int(kf, "channel_bitrate", 32000, 6000, 510000, &cfg->channel_bitrate, error) ||
      !get_int(kf, "lowbw_bitrate", 16000, 6000, 510000, &cfg->lowbw_bitrate, error) ||
      !get_int(kf, "ramp_ms", 300, 20, 5000, &cfg->ramp_ms, error) ||
      !get_int(kf, "mic_jitter_ms", 40, 10, 200, &cfg->mic_jitter_ms, error) ||
      !get_int(kf, "level_interval_ms", 1000, 100, 60000, &cfg->level_interval_ms, error) ||
      !get_bool(kf, "opus_fec", TRUE, &cfg->opus_fec, error) ||
      !get_bool(kf, "opus_dtx", FALSE, &cfg->opus_dtx, error)) {
    g_prefix_error(error, "%s: ", path);
    return NULL;
  }
  {
    g_autofree char *langs = get_string(kf, "languages", "");
    g_autofree char *retour = get_string(kf, "retour", "");
    g_autofree char *sims = get_string(kf, "sim_booths", "");
    g_autofree char *ceiling = get_string(kf, "limiter_ceiling_db", "-3");
    char *end = NULL;
    cfg->languages = strlist_split(langs);
    cfg->retour = strlist_split(retour);
    cfg->sim_booths = strlist_split(sims);
    cfg->limiter_ceiling_db = g_ascii_strtod(ceiling, &end);
    if (!end || *end || cfg->limiter_ceiling_db < -20 || cfg->limiter_ceiling_db > 0) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "%s: [relay] limiter_ceiling_db must be a number from -20 to 0", path);
      return NULL;
    }
    g_autofree char *loud = get_string(kf, "floor_loudness_dbfs", "");
    cfg->floor_leveler = loud[0] != '\0';
    cfg->floor_loudness_dbfs = cfg->floor_leveler ? g_ascii_strtod(loud, &end) : -23.0;
    if (cfg->floor_leveler &&
        (!end || *end || cfg->floor_loudness_dbfs < -40 || cfg->floor_loudness_dbfs > -6)) {
      g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                  "%s: [relay] floor_loudness_dbfs must be empty (off) or from -40 to -6", path);
      return NULL;
    }
    if (!check_audio(cfg, error) || !check_venue(kf, cfg, error)) {
      g_prefix_error(error, "%s: ", path);
      return NULL;
    }
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
  g_free(cfg->venue_rtp_address);
  g_free(cfg->recording_dir);
  g_free(cfg->venue_out_sdp_dir);
  g_free(cfg->venue_rtp_interface);
  g_free(cfg->venue_out_interface);
  g_strfreev(cfg->languages);
  g_strfreev(cfg->retour);
  g_strfreev(cfg->sim_booths);
  g_free(cfg);
}
