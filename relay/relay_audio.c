/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's side of the audio engine: who hears which product (the
 * fan-out's pointing), the control requests that change it, level events
 * and metrics. Main loop thread. */
#include "relay_private.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const char *
errno_code(int rc)
{
  switch (rc) {
  case -ENOENT:
    return "unknown";
  case -EPERM:
    return "not_allowed";
  case -EBUSY:
    return "busy";
  case -ELOOP:
    return "loop";
  case -ENOSPC:
    return "full";
  default:
    return "bad_request";
  }
}

static char *
reply_errno(const CtlMessage *msg, int rc, const char *what)
{
  g_autofree char *text = g_strdup_printf("%s: %s", what, g_strerror(-rc));
  return ctl_build_reply_error(msg->id, errno_code(rc), text);
}

/* The peer of the request's "peer" and its info; NULL with *reply set. */
static RelayPeer *
request_peer(Relay *relay, const CtlMessage *msg, PeerInfo **info, char **reply)
{
  const char *id = ctl_get_string(msg, "peer");
  RelayPeer *peer = id ? g_hash_table_lookup(relay->by_id, id) : NULL;
  *info = peer ? g_hash_table_lookup(relay->info, id) : NULL;
  if (!peer || !*info) {
    *reply = ctl_build_reply_error(msg->id, "unknown_peer", "no peer with this id");
    return NULL;
  }
  return peer;
}

/* {booth, live, cough, input, output} of @lang's booth (transfer full), or
 * NULL if it is none: the booth.state event and audio.state's "booths". */
static JsonObject *
booth_state_json(Relay *relay, const char *lang)
{
  AudioBoothState st;
  if (!audio_engine_booth_state(relay->engine, lang, &st))
    return NULL;
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "booth", lang);
  json_object_set_string_member(o, "live", st.live);
  json_object_set_boolean_member(o, "cough", st.cough);
  json_object_set_string_member(o, "input", audio_engine_product_name(relay->engine, st.input));
  json_object_set_string_member(o, "output", audio_engine_product_name(relay->engine, st.output));
  return o;
}

static void
emit_booth_state(Relay *relay, const char *lang)
{
  g_autoptr(JsonObject) o = booth_state_json(relay, lang);
  if (o)
    relay_emit(relay, "booth.state", NULL, o);
}

/* booth.state of the booth whose interpreter @info is (with a microphone). */
static void
emit_peer_booth_state(Relay *relay, const PeerInfo *info)
{
  if (info->mic >= 0 && info->booth >= 0)
    emit_booth_state(relay, audio_engine_language(relay->engine, (unsigned)info->booth));
}

void
relay_audio_point(Relay *relay, RelayPeer *peer, PeerInfo *info)
{
  AudioEngine *e = relay->engine;
  int floor = AUDIO_PRODUCT_FLOOR;
  if (info->booth >= 0)
    floor = audio_engine_booth_input_product(e, audio_engine_language(e, (unsigned)info->booth));
  else if (info->mic >= 0 && audio_engine_speaker_minus(e, info->mic) >= 0)
    floor = audio_engine_speaker_minus(e, info->mic);
  int channel = info->has_channel_track ? info->channel : FANOUT_NONE;
  if (info->lowbw) {
    int want = channel != FANOUT_NONE ? channel : floor;
    if (info->lowbw_of != want) {
      int lb = audio_engine_lowbw(e, want, TRUE);
      if (info->lowbw_of >= 0)
        audio_engine_lowbw(e, info->lowbw_of, FALSE);
      info->lowbw_of = lb >= 0 ? want : -1;
    }
    int lb = info->lowbw_of >= 0 ? audio_engine_lowbw_product(e, info->lowbw_of) : -1;
    floor = lb >= 0 ? lb : want;
    channel = FANOUT_NONE;
  } else if (info->lowbw_of >= 0) {
    audio_engine_lowbw(e, info->lowbw_of, FALSE);
    info->lowbw_of = -1;
  }
  fanout_point(relay->fanout, peer, RELAY_TRACK_FLOOR, floor);
  fanout_point(relay->fanout, peer, RELAY_TRACK_CHANNEL, channel);
}

void
relay_audio_forget(Relay *relay, PeerInfo *info)
{
  if (info->lowbw_of >= 0)
    audio_engine_lowbw(relay->engine, info->lowbw_of, FALSE);
  info->lowbw_of = -1;
  if (info->mic >= 0) {
    audio_engine_mic_remove(relay->engine, info->mic);
    emit_peer_booth_state(relay, info);
  }
  info->mic = -1;
}

void
relay_audio_booth_joined(Relay *relay, const PeerInfo *info)
{
  emit_peer_booth_state(relay, info);
}

/* Every peer whose pointing depends on a booth or a speaker: re-point all
 * (a few hundred peers; requests are rare). */
static void
repoint_all(Relay *relay)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, relay->by_id);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    PeerInfo *info = g_hash_table_lookup(relay->info, key);
    if (info)
      relay_audio_point(relay, value, info);
  }
}

static char *
handle_floor(Relay *relay, const CtlMessage *msg, gboolean on)
{
  PeerInfo *info;
  char *reply = NULL;
  RelayPeer *peer = request_peer(relay, msg, &info, &reply);
  if (!peer)
    return reply;
  if (info->mic < 0)
    return ctl_build_reply_error(msg->id, "no_mic", "the peer has no microphone track");
  int rc = audio_engine_floor(relay->engine, info->mic, on);
  if (rc < 0)
    return reply_errno(msg, rc, "floor");
  relay_audio_point(relay, peer, info);
  g_print("relay: peer %s %s the floor\n", relay_peer_id(peer), on ? "has" : "no longer has");
  g_autoptr(JsonObject) extra = json_object_new();
  if (on)
    json_object_set_string_member(extra, "product", audio_engine_product_name(relay->engine, rc));
  return ctl_build_reply_ok(msg->id, extra);
}

static char *
handle_floor_grant(Relay *relay, const CtlMessage *msg)
{
  return handle_floor(relay, msg, TRUE);
}

static char *
handle_floor_revoke(Relay *relay, const CtlMessage *msg)
{
  return handle_floor(relay, msg, FALSE);
}

static char *
handle_booth_live(Relay *relay, const CtlMessage *msg)
{
  const char *booth = ctl_get_string(msg, "booth");
  const char *id = ctl_get_string(msg, "peer");
  int mic = -1;
  if (*id) {
    PeerInfo *info = g_hash_table_lookup(relay->info, id);
    if (!info || info->mic < 0)
      return ctl_build_reply_error(msg->id, "unknown_peer", "no interpreter with a microphone");
    mic = info->mic;
  }
  int rc = audio_engine_booth_live(relay->engine, booth, mic);
  if (rc < 0)
    return reply_errno(msg, rc, "booth.live");
  emit_booth_state(relay, booth);
  return ctl_build_reply_ok(msg->id, NULL);
}

static char *
handle_booth_cough(Relay *relay, const CtlMessage *msg)
{
  PeerInfo *info;
  char *reply = NULL;
  if (!request_peer(relay, msg, &info, &reply))
    return reply;
  gboolean on = json_object_get_boolean_member(msg->obj, "on");
  int rc = info->mic < 0 ? -ENOENT : audio_engine_cough(relay->engine, info->mic, on);
  if (rc < 0)
    return reply_errno(msg, rc, "booth.cough");
  if (info->booth >= 0)
    emit_booth_state(relay, audio_engine_language(relay->engine, (unsigned)info->booth));
  return ctl_build_reply_ok(msg->id, NULL);
}

static char *
handle_booth_input(Relay *relay, const CtlMessage *msg)
{
  const char *booth = ctl_get_string(msg, "booth");
  int product = audio_engine_product_by_name(relay->engine, ctl_get_string(msg, "source"));
  int rc = product < 0 ? product : audio_engine_booth_input(relay->engine, booth, product);
  if (rc < 0)
    return reply_errno(msg, rc, "booth.input");
  repoint_all(relay);
  emit_booth_state(relay, booth);
  return ctl_build_reply_ok(msg->id, NULL);
}

static char *
handle_booth_output(Relay *relay, const CtlMessage *msg)
{
  const char *booth = ctl_get_string(msg, "booth");
  const char *channel = ctl_get_string(msg, "channel");
  if (!g_str_has_prefix(channel, "channel:"))
    return ctl_build_reply_error(msg->id, "bad_request", "'channel' must be channel:L");
  int rc = audio_engine_booth_output(relay->engine, booth, channel + 8);
  if (rc < 0)
    return reply_errno(msg, rc, "booth.output");
  emit_booth_state(relay, booth);
  return ctl_build_reply_ok(msg->id, NULL);
}

static char *
handle_listener_channel(Relay *relay, const CtlMessage *msg)
{
  PeerInfo *info;
  char *reply = NULL;
  RelayPeer *peer = request_peer(relay, msg, &info, &reply);
  if (!peer)
    return reply;
  const char *name = ctl_get_string(msg, "channel");
  int product =
      strcmp(name, "none") == 0 ? FANOUT_NONE : audio_engine_product_by_name(relay->engine, name);
  if (product < FANOUT_NONE)
    return ctl_build_reply_error(msg->id, "unknown", "no such channel in this meeting");
  if (!info->has_channel_track && !info->lowbw)
    return ctl_build_reply_error(msg->id, "no_track", "the peer has no channel track");
  info->channel = product;
  relay_audio_point(relay, peer, info);
  return ctl_build_reply_ok(msg->id, NULL);
}

static char *
handle_listener_lowbw(Relay *relay, const CtlMessage *msg)
{
  PeerInfo *info;
  char *reply = NULL;
  RelayPeer *peer = request_peer(relay, msg, &info, &reply);
  if (!peer)
    return reply;
  info->lowbw = json_object_get_boolean_member(msg->obj, "on");
  relay_audio_point(relay, peer, info);
  return ctl_build_reply_ok(msg->id, NULL);
}

static void
add_level(JsonObject *o, const AudioLevel *l)
{
  json_object_set_double_member(o, "dbfs", l->level.rms_dbfs);
  json_object_set_double_member(o, "peak_dbfs", l->level.true_peak_dbfs);
  json_object_set_boolean_member(o, "limiting", l->limiting);
}

static char *
handle_audio_state(Relay *relay, const CtlMessage *msg)
{
  g_autoptr(JsonObject) extra = json_object_new();
  JsonArray *products = json_array_new();
  AudioEngineStats st;
  audio_engine_stats(relay->engine, &st);
  for (int p = 0; p < AUDIO_MAX_PRODUCTS; p++) {
    const char *name = audio_engine_product_name(relay->engine, p);
    AudioLevel l;
    if (!name)
      continue;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", name);
    json_object_set_int_member(o, "listeners", fanout_listeners(relay->fanout, p));
    if (audio_engine_product_level(relay->engine, p, &l))
      add_level(o, &l);
    json_array_add_object_element(products, o);
  }
  json_object_set_array_member(extra, "products", products);
  JsonArray *booths = json_array_new();
  for (unsigned i = 0; audio_engine_language(relay->engine, i); i++) {
    JsonObject *b = booth_state_json(relay, audio_engine_language(relay->engine, i));
    if (b)
      json_array_add_object_element(booths, b);
  }
  json_object_set_array_member(extra, "booths", booths);
  json_object_set_int_member(extra, "count", st.encoders);
  json_object_set_string_member(extra, "venue", relay_venue_state(relay->venue));
  json_object_set_string_member(extra, "recording", relay_venue_recording_state(relay->venue));
  return ctl_build_reply_ok(msg->id, extra);
}

static const struct {
  const char *type;
  RelayRequestHandler handle;
} handlers[] = {
    {"floor.grant", handle_floor_grant},
    {"floor.revoke", handle_floor_revoke},
    {"booth.live", handle_booth_live},
    {"booth.cough", handle_booth_cough},
    {"booth.input", handle_booth_input},
    {"booth.output", handle_booth_output},
    {"listener.channel", handle_listener_channel},
    {"listener.lowbw", handle_listener_lowbw},
    {"audio.state", handle_audio_state},
};

RelayRequestHandler
relay_audio_handler(const char *type)
{
  for (size_t i = 0; i < G_N_ELEMENTS(handlers); i++)
    if (strcmp(type, handlers[i].type) == 0)
      return handlers[i].handle;
  return NULL;
}

gboolean
relay_audio_on_level_tick(gpointer data)
{
  Relay *relay = data;
  AudioEngine *e = relay->engine;
  AudioLevel l;
  for (unsigned p = 0; p <= audio_engine_languages(e); p++) {
    if (!audio_engine_product_level(e, (int)p, &l))
      continue;
    g_autoptr(JsonObject) o = json_object_new();
    json_object_set_string_member(o, "product", audio_engine_product_name(e, (int)p));
    add_level(o, &l);
    relay_emit(relay, "level", NULL, o);
  }
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, relay->info);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    PeerInfo *info = value;
    if (info->mic < 0 || !audio_engine_mic_level(e, info->mic, &l))
      continue;
    if (l.level.rms_dbfs <= AUDIO_SILENCE_DBFS)
      continue; /* an idle microphone: nothing to show */
    g_autoptr(JsonObject) o = json_object_new();
    add_level(o, &l);
    relay_emit(relay, "level", key, o);
  }
  return G_SOURCE_CONTINUE;
}

void
relay_audio_metrics(Relay *relay, GString *out)
{
  AudioEngineStats st;
  AudioEngine *e = relay->engine;
  audio_engine_stats(e, &st);
  g_string_append_printf(out,
                         "# HELP rostrum_audio_encoders Opus encoders that ran in the last tick.\n"
                         "# TYPE rostrum_audio_encoders gauge\n"
                         "rostrum_audio_encoders %u\n"
                         "# HELP rostrum_audio_decoders Microphones decoded in the last tick.\n"
                         "# TYPE rostrum_audio_decoders gauge\n"
                         "rostrum_audio_decoders %u\n"
                         "# TYPE rostrum_audio_ticks_total counter\n"
                         "rostrum_audio_ticks_total %" G_GUINT64_FORMAT "\n"
                         "# TYPE rostrum_audio_late_ticks_total counter\n"
                         "rostrum_audio_late_ticks_total %" G_GUINT64_FORMAT "\n"
                         "# HELP rostrum_audio_tick_cpu_seconds Engine CPU per 20 ms tick.\n"
                         "# TYPE rostrum_audio_tick_cpu_seconds gauge\n"
                         "rostrum_audio_tick_cpu_seconds %.6f\n"
                         "# TYPE rostrum_audio_mic_packets_total counter\n"
                         "rostrum_audio_mic_packets_total %" G_GUINT64_FORMAT "\n"
                         "# HELP rostrum_audio_dropped_total Packets dropped between threads.\n"
                         "# TYPE rostrum_audio_dropped_total counter\n"
                         "rostrum_audio_dropped_total{queue=\"mic\"} %" G_GUINT64_FORMAT "\n"
                         "rostrum_audio_dropped_total{queue=\"out\"} %" G_GUINT64_FORMAT "\n"
                         "# TYPE rostrum_audio_venue_underruns_total counter\n"
                         "rostrum_audio_venue_underruns_total %" G_GUINT64_FORMAT "\n"
                         "# HELP rostrum_audio_latency_ms Microphone packet in to product packet "
                         "out.\n"
                         "# TYPE rostrum_audio_latency_ms gauge\n"
                         "rostrum_audio_latency_ms{quantile=\"0.5\"} %.0f\n"
                         "rostrum_audio_latency_ms{quantile=\"0.99\"} %.0f\n",
                         st.encoders, st.decoders, st.ticks, st.late_ticks, st.tick_cpu_us / 1e6,
                         st.mic_packets, st.mic_dropped, st.out_dropped, st.venue_underruns,
                         st.latency_p50_ms, st.latency_p99_ms);
  /* every microphone's jitter buffer, summed (jitter.h says what each is) */
  static const struct {
    const char *what;
    size_t offset;
  } jitter_counters[] = {
      {"received", offsetof(JitterStats, received)},
      {"late", offsetof(JitterStats, late)},
      {"lost", offsetof(JitterStats, lost)},
      {"fec", offsetof(JitterStats, fec_used)},
      {"plc", offsetof(JitterStats, plc)},
      {"underrun", offsetof(JitterStats, underruns)},
      {"dtx_fill", offsetof(JitterStats, gap_fill)},
      {"dropped", offsetof(JitterStats, dropped)},
      {"drained", offsetof(JitterStats, drained)},
      {"regrown", offsetof(JitterStats, regrown)},
      {"duplicate", offsetof(JitterStats, duplicate)},
      {"invalid", offsetof(JitterStats, invalid)},
      {"out_of_window", offsetof(JitterStats, out_of_window)},
      {"resync", offsetof(JitterStats, resyncs)},
  };
  g_string_append(out, "# HELP rostrum_audio_jitter_total Microphone jitter buffers, summed: "
                       "packets by outcome.\n"
                       "# TYPE rostrum_audio_jitter_total counter\n");
  for (size_t i = 0; i < G_N_ELEMENTS(jitter_counters); i++)
    g_string_append_printf(
        out, "rostrum_audio_jitter_total{what=\"%s\"} %" G_GUINT64_FORMAT "\n",
        jitter_counters[i].what,
        *(const guint64 *)((const char *)&st.jitter + jitter_counters[i].offset));
  g_string_append(out, "# HELP rostrum_audio_product_listeners Tracks receiving the product.\n"
                       "# TYPE rostrum_audio_product_listeners gauge\n"
                       "# HELP rostrum_audio_product_dbfs Short-term RMS level.\n"
                       "# TYPE rostrum_audio_product_dbfs gauge\n"
                       "# HELP rostrum_audio_product_limiting The limiter reduces gain now.\n"
                       "# TYPE rostrum_audio_product_limiting gauge\n");
  for (int p = 0; p < AUDIO_MAX_PRODUCTS; p++) {
    const char *name = audio_engine_product_name(e, p);
    AudioLevel l;
    if (!name)
      continue;
    g_string_append_printf(out, "rostrum_audio_product_listeners{product=\"%s\"} %u\n", name,
                           fanout_listeners(relay->fanout, p));
    if (audio_engine_product_level(e, p, &l))
      g_string_append_printf(out,
                             "rostrum_audio_product_dbfs{product=\"%s\"} %.1f\n"
                             "rostrum_audio_product_limiting{product=\"%s\"} %d\n",
                             name, l.level.rms_dbfs, name, l.limiting ? 1 : 0);
  }
  g_string_append(out, "# HELP rostrum_audio_mic_dbfs A decoded microphone's short-term RMS.\n"
                       "# TYPE rostrum_audio_mic_dbfs gauge\n");
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, relay->info);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    PeerInfo *info = value;
    AudioLevel l;
    if (info->mic >= 0 && audio_engine_mic_level(e, info->mic, &l) &&
        l.level.rms_dbfs > AUDIO_SILENCE_DBFS)
      g_string_append_printf(out, "rostrum_audio_mic_dbfs{peer=\"%s\"} %.1f\n", (const char *)key,
                             l.level.rms_dbfs);
  }
}
