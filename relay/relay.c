/* SPDX-License-Identifier: Apache-2.0 */
#include "relay.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "relay_private.h"
#include "rtp.h"
#include "sdp.h"

const char *
relay_fingerprint(const Relay *relay)
{
  return relay->cert->fingerprint;
}

int
relay_metrics_port(const Relay *relay)
{
  return relay->metrics ? metrics_server_port(relay->metrics) : -1;
}

void
relay_emit(Relay *relay, const char *event, const char *peer, JsonObject *extra)
{
  g_autofree char *line = ctl_build_event(event, peer, extra);
  control_server_broadcast(relay->control, line);
}

static void
emit_event(Relay *relay, const char *event, RelayPeer *peer, const char *key, const char *value)
{
  g_autoptr(JsonObject) extra = json_object_new();
  json_object_set_string_member(extra, "participant", relay_peer_participant(peer));
  if (key)
    json_object_set_string_member(extra, key, value);
  relay_emit(relay, event, relay_peer_id(peer), extra);
}

/* Unlinks the peer from every table; the caller frees it. */
static RelayPeer *
unlink_peer(Relay *relay, const char *id)
{
  RelayPeer *peer = NULL;
  char *key = NULL;
  if (!g_hash_table_steal_extended(relay->by_id, id, (gpointer *)&key, (gpointer *)&peer))
    return NULL;
  g_free(key);
  fanout_forget(relay->fanout, peer);
  PeerInfo *info = g_hash_table_lookup(relay->info, id);
  if (info)
    relay_audio_forget(relay, info);
  g_hash_table_remove(relay->info, id);
  return peer;
}

static void
on_peer_connected(RelayPeer *peer, void *user)
{
  Relay *relay = user;
  fanout_attach(relay->fanout, peer);
  g_print("relay: peer %s (%s) connected, %s\n", relay_peer_id(peer), relay_peer_participant(peer),
          relay_peer_srtp_profile(peer));
  emit_event(relay, "peer.connected", peer, "srtp_profile", relay_peer_srtp_profile(peer));
}

static gboolean
free_peer_idle(gpointer data)
{
  relay_peer_free(data);
  return G_SOURCE_REMOVE;
}

static void
on_peer_lost(RelayPeer *peer, const char *reason, void *user)
{
  Relay *relay = user;
  relay->peers_lost++;
  g_print("relay: peer %s (%s) lost: %s\n", relay_peer_id(peer), relay_peer_participant(peer),
          reason);
  emit_event(relay, "peer.lost", peer, "reason", reason);
  unlink_peer(relay, relay_peer_id(peer));
  g_idle_add(free_peer_idle, peer); /* we are inside one of its callbacks */
}

static void
on_mic(RelayPeer *peer, const uint8_t *rtp, size_t len, void *user)
{
  Relay *relay = user;
  PeerInfo *info = g_hash_table_lookup(relay->info, relay_peer_id(peer));
  if (info && info->mic >= 0)
    audio_engine_mic_packet(relay->engine, info->mic, rtp, len);
}

/* A product's packet from the engine: to each of its listeners. */
static void
on_product_packet(int product, const uint8_t *rtp, size_t len, void *user)
{
  Relay *relay = user;
  if (product == AUDIO_PRODUCT_FLOOR && len >= RTP_HEADER_MIN) {
    relay->last_rtp_ts = rtp_get32(rtp + 4);
    relay->last_rtp_us = g_get_monotonic_time();
    relay->floor_packets++;
  }
  fanout_send(relay->fanout, product, rtp, len);
  if (relay->venue)
    relay_venue_packet(relay->venue, product, rtp, len);
}

static void
collect_peer(RelayPeer *peer, void *user)
{
  g_ptr_array_add(user, peer);
}

/* The connected peers, for a walk that may drop some (transfer container). */
static GPtrArray *
connected_peers(Relay *relay)
{
  GPtrArray *a = g_ptr_array_sized_new(fanout_peers(relay->fanout));
  fanout_foreach_peer(relay->fanout, collect_peer, a);
  return a;
}

/* Sender reports to every listener, and RFC 7675 consent: over a copy of
 * the list, since a peer that lost consent leaves the fan-out. */
static gboolean
on_report_tick(gpointer data)
{
  Relay *relay = data;
  gint64 now = g_get_monotonic_time();
  uint32_t rtp_ts = relay->last_rtp_ts + (uint32_t)((now - relay->last_rtp_us) * 48 / 1000);
  uint64_t ntp = rtp_ntp_time(g_get_real_time());
  gint64 timeout = (gint64)relay->cfg->consent_timeout_s * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) peers = connected_peers(relay);
  for (guint i = 0; i < peers->len; i++) {
    RelayPeer *peer = peers->pdata[i];
    if (relay_peer_tick(peer, now, timeout)) /* a lost one is freed later, from idle */
      relay_peer_send_report(peer, rtp_ts, ntp);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stats_tick(gpointer data)
{
  Relay *relay = data;
  g_autoptr(GPtrArray) peers = connected_peers(relay);
  for (guint i = 0; i < peers->len; i++) {
    RelayPeer *peer = peers->pdata[i];
    const RelayPeerStats *st = relay_peer_stats(peer);
    g_autoptr(JsonObject) extra = json_object_new();
    json_object_set_string_member(extra, "participant", relay_peer_participant(peer));
    json_object_set_int_member(extra, "packets_sent", (gint64)st->packets_sent);
    json_object_set_int_member(extra, "rtcp_received", (gint64)st->rtcp_received);
    json_object_set_int_member(extra, "bad_received", (gint64)st->bad_received);
    json_object_set_int_member(extra, "fraction_lost", st->fraction_lost);
    json_object_set_int_member(extra, "cumulative_lost", st->cumulative_lost);
    json_object_set_int_member(extra, "jitter_ms", (gint64)(st->jitter_ms + 0.5));
    json_object_set_int_member(extra, "rtt_ms", st->rtt_ms < 0 ? -1 : (gint64)(st->rtt_ms + 0.5));
    json_object_set_int_member(extra, "mic_packets", (gint64)st->mic_packets);
    if (st->mic_level_dbov <= 0)
      json_object_set_int_member(extra, "mic_level_dbov", st->mic_level_dbov);
    relay_emit(relay, "stats", relay_peer_id(peer), extra);
  }
  return G_SOURCE_CONTINUE;
}

static void
render_metrics(GString *out, void *user)
{
  Relay *relay = user;
  guint64 sent = 0, bad = 0, rtcp = 0, mic = 0, dtls_dropped = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, relay->by_id);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    const RelayPeerStats *st = relay_peer_stats(value);
    sent += st->packets_sent;
    bad += st->bad_received;
    rtcp += st->rtcp_received;
    mic += st->mic_packets;
    dtls_dropped += st->dtls_dropped;
  }
  g_string_append_printf(out,
                         "# HELP rostrum_relay_peers Peers announced by signalling.\n"
                         "# TYPE rostrum_relay_peers gauge\n"
                         "rostrum_relay_peers %u\n"
                         "# HELP rostrum_relay_listeners Peers receiving the floor now.\n"
                         "# TYPE rostrum_relay_listeners gauge\n"
                         "rostrum_relay_listeners %u\n"
                         "# TYPE rostrum_relay_peers_added_total counter\n"
                         "rostrum_relay_peers_added_total %" G_GUINT64_FORMAT "\n"
                         "# TYPE rostrum_relay_peers_lost_total counter\n"
                         "rostrum_relay_peers_lost_total %" G_GUINT64_FORMAT "\n"
                         "# TYPE rostrum_relay_peer_add_refused_total counter\n"
                         "rostrum_relay_peer_add_refused_total %" G_GUINT64_FORMAT "\n"
                         "# TYPE rostrum_relay_floor_packets_total counter\n"
                         "rostrum_relay_floor_packets_total %" G_GUINT64_FORMAT "\n"
                         "# HELP rostrum_relay_peer_packets_sent Packets sent to current peers.\n"
                         "# TYPE rostrum_relay_peer_packets_sent gauge\n"
                         "rostrum_relay_peer_packets_sent %" G_GUINT64_FORMAT "\n"
                         "# TYPE rostrum_relay_peer_rtcp_received gauge\n"
                         "rostrum_relay_peer_rtcp_received %" G_GUINT64_FORMAT "\n"
                         "# HELP rostrum_relay_peer_bad_received Undecryptable or malformed.\n"
                         "# TYPE rostrum_relay_peer_bad_received gauge\n"
                         "rostrum_relay_peer_bad_received %" G_GUINT64_FORMAT "\n"
                         "# HELP rostrum_relay_peer_mic_packets Microphone packets received.\n"
                         "# TYPE rostrum_relay_peer_mic_packets gauge\n"
                         "rostrum_relay_peer_mic_packets %" G_GUINT64_FORMAT "\n",
                         g_hash_table_size(relay->by_id), fanout_peers(relay->fanout), relay->peers_added,
                         relay->peers_lost, relay->add_refused, relay->floor_packets, sent, rtcp,
                         bad, mic);
  g_string_append_printf(out,
                         "# HELP rostrum_relay_peer_dtls_dropped DTLS records refused unread "
                         "(also in bad_received).\n"
                         "# TYPE rostrum_relay_peer_dtls_dropped gauge\n"
                         "rostrum_relay_peer_dtls_dropped %" G_GUINT64_FORMAT "\n",
                         dtls_dropped);
  const IceLiteStats *ice = ice_lite_stats(relay->ice);
  g_string_append_printf(out,
                         "# HELP rostrum_relay_ice_checks_total ICE checks answered.\n"
                         "# TYPE rostrum_relay_ice_checks_total counter\n"
                         "rostrum_relay_ice_checks_total %" G_GUINT64_FORMAT "\n"
                         "# HELP rostrum_relay_dropped_total Datagrams refused before any peer "
                         "saw them.\n"
                         "# TYPE rostrum_relay_dropped_total counter\n"
                         "rostrum_relay_dropped_total{why=\"stun_unknown_or_forged\"} %"
                         G_GUINT64_FORMAT "\n"
                         "rostrum_relay_dropped_total{why=\"unknown_source\"} %" G_GUINT64_FORMAT
                         "\n"
                         "rostrum_relay_dropped_total{why=\"malformed\"} %" G_GUINT64_FORMAT "\n"
                         "# TYPE rostrum_relay_ice_tcp_connections_total counter\n"
                         "rostrum_relay_ice_tcp_connections_total %" G_GUINT64_FORMAT "\n",
                         ice->stun_ok, ice->stun_unknown, ice->unknown_source, ice->malformed,
                         ice->tcp_connections);
  relay_audio_metrics(relay, out);
  relay_venue_metrics(relay->venue, out);
  g_string_append(out, "# HELP rostrum_relay_peer_rtt_seconds From RTCP receiver reports.\n"
                       "# TYPE rostrum_relay_peer_rtt_seconds gauge\n");
  g_autoptr(GPtrArray) peers = connected_peers(relay);
  for (guint i = 0; i < peers->len; i++) {
    RelayPeer *peer = peers->pdata[i];
    const RelayPeerStats *st = relay_peer_stats(peer);
    if (st->rtt_ms >= 0)
      g_string_append_printf(out, "rostrum_relay_peer_rtt_seconds{peer=\"%s\"} %.4f\n",
                             relay_peer_id(peer), st->rtt_ms / 1000.0);
  }
}

/* The tracks signalling granted beyond the floor (docs/control.md). */
static unsigned
tracks_allowed(const CtlMessage *msg)
{
  JsonArray *tracks = json_object_get_array_member(msg->obj, "tracks");
  unsigned allow = 0;
  for (guint i = 0; i < json_array_get_length(tracks); i++) {
    const char *t = json_array_get_string_element(tracks, i);
    if (strcmp(t, "channel") == 0)
      allow |= SDP_ALLOW_CHANNEL;
    else if (strcmp(t, "mic") == 0)
      allow |= SDP_ALLOW_MIC;
  }
  return allow;
}

/* Parses the request's 'offer'. Returns NULL, or the error reply. */
static char *
parse_offer(const CtlMessage *msg, SdpOffer *offer)
{
  const char *text = ctl_get_string(msg, "offer");
  int rc = sdp_parse_offer(text, strlen(text), offer);
  if (rc >= 0)
    return NULL;
  g_autofree char *why = g_strdup_printf("the offer is not valid SDP for WebRTC: %s",
                                         g_strerror(-rc));
  return ctl_build_reply_error(msg->id, "bad_sdp", why);
}

static char *
reply_answer(const CtlMessage *msg, const char *answer)
{
  g_autoptr(JsonObject) extra = json_object_new();
  json_object_set_string_member(extra, "answer", answer);
  return ctl_build_reply_ok(msg->id, extra);
}

static char *
handle_peer_add(Relay *relay, const CtlMessage *msg)
{
  const char *id = ctl_get_string(msg, "peer");
  const char *participant = ctl_get_string(msg, "participant");
  g_autofree SdpOffer *offer = g_new0(SdpOffer, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  char *reply;
  RelayPeer *peer;

  const char *role = ctl_get_string(msg, "role");
  const char *booth = ctl_get_string(msg, "booth");
  gboolean interpreter = strcmp(role, "interpreter") == 0;

  relay->add_refused++; /* until it succeeds */
  if (g_hash_table_contains(relay->by_id, id))
    return ctl_build_reply_error(msg->id, "duplicate_peer", "a peer with this id exists");
  if (interpreter && (!booth || audio_engine_channel(relay->engine, booth) < 0))
    return ctl_build_reply_error(msg->id, "bad_request",
                                 "an interpreter needs 'booth', a language of the meeting");
  if ((reply = parse_offer(msg, offer)))
    return reply;
  peer = relay_peer_new(&relay->env, id, participant, offer, tracks_allowed(msg), &answer,
                        &error);
  if (!peer)
    return ctl_build_reply_error(msg->id,
                                 g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)
                                     ? "bad_sdp"
                                     : "internal",
                                 error->message);
  PeerInfo *info = g_new0(PeerInfo, 1);
  g_strlcpy(info->role, role, sizeof info->role);
  info->booth = interpreter ? audio_engine_channel(relay->engine, booth) - 1 : -1;
  info->mic = -1;
  info->lowbw_of = -1;
  info->has_channel_track = relay_peer_has_track(peer, RELAY_TRACK_CHANNEL);
  /* an interpreter monitors its own channel (to hear the partner) */
  info->channel = interpreter ? 1 + info->booth : FANOUT_NONE;
  if (relay_peer_has_track(peer, RELAY_TRACK_MIC) &&
      (info->mic = audio_engine_mic_add(relay->engine, id, interpreter ? booth : NULL)) < 0) {
    int rc = info->mic;
    g_free(info);
    relay_peer_free(peer);
    return ctl_build_reply_error(msg->id, rc == -ENOSPC ? "full" : "internal",
                                 rc == -ENOSPC ? "no room for another microphone (or the booth "
                                                 "has two interpreters)"
                                               : "the audio engine refused the microphone");
  }
  relay->add_refused--;
  relay->peers_added++;
  g_hash_table_insert(relay->by_id, g_strdup(id), peer);
  g_hash_table_insert(relay->info, g_strdup(id), info);
  relay_audio_point(relay, peer, info);
  relay_audio_booth_joined(relay, info);
  return reply_answer(msg, answer);
}

static char *
handle_peer_update(Relay *relay, const CtlMessage *msg)
{
  RelayPeer *peer = g_hash_table_lookup(relay->by_id, ctl_get_string(msg, "peer"));
  g_autofree SdpOffer *offer = g_new0(SdpOffer, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  char *reply;

  if (!peer)
    return ctl_build_reply_error(msg->id, "unknown_peer", "no peer with this id");
  if ((reply = parse_offer(msg, offer)))
    return reply;
  answer = relay_peer_restart_ice(peer, offer, &error);
  if (!answer)
    return ctl_build_reply_error(msg->id, "bad_sdp", error->message);
  g_print("relay: peer %s (%s) restarts ICE\n", relay_peer_id(peer), relay_peer_participant(peer));
  return reply_answer(msg, answer);
}

static char *
handle_peer_remove(Relay *relay, const CtlMessage *msg)
{
  RelayPeer *peer = unlink_peer(relay, ctl_get_string(msg, "peer"));
  if (!peer)
    return ctl_build_reply_error(msg->id, "unknown_peer", "no peer with this id");
  relay_peer_free(peer);
  return ctl_build_reply_ok(msg->id, NULL);
}

/* The relay's peers, one peer.present event each, then the reply: a
 * signalling that (re)connects reconciles its seats with them
 * (docs/control.md, "Reconcile"). Events and the reply share the one
 * ordered stream, so every peer.present precedes the reply. */
static char *
handle_peer_list(Relay *relay, const CtlMessage *msg)
{
  GHashTableIter it;
  gpointer key, value;
  gint64 n = 0;
  g_hash_table_iter_init(&it, relay->by_id);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    RelayPeer *peer = value;
    PeerInfo *info = g_hash_table_lookup(relay->info, key);
    g_autoptr(JsonObject) extra = json_object_new();
    json_object_set_string_member(extra, "participant", relay_peer_participant(peer));
    json_object_set_string_member(extra, "role", info ? info->role : "delegate");
    json_object_set_string_member(extra, "state",
                                  relay_peer_srtp_profile(peer) ? "connected" : "waiting");
    relay_emit(relay, "peer.present", key, extra);
    n++;
  }
  g_autoptr(JsonObject) extra = json_object_new();
  json_object_set_int_member(extra, "count", n);
  return ctl_build_reply_ok(msg->id, extra);
}

static char *
handle_ping(Relay *relay, const CtlMessage *msg)
{
  return ctl_build_reply_ok(msg->id, NULL);
}

static const struct {
  const char *type;
  RelayRequestHandler handle;
} request_handlers[] = {
  {"peer.add", handle_peer_add},
  {"peer.update", handle_peer_update},
  {"peer.remove", handle_peer_remove},
  {"peer.list", handle_peer_list},
  {"ping", handle_ping},
};

static char *
dispatch(const CtlMessage *msg, void *user)
{
  for (size_t i = 0; i < G_N_ELEMENTS(request_handlers); i++)
    if (strcmp(msg->name, request_handlers[i].type) == 0)
      return request_handlers[i].handle(user, msg);
  RelayRequestHandler audio = relay_audio_handler(msg->name);
  if (audio)
    return audio(user, msg);
  RelayRequestHandler venue = relay_venue_handler(msg->name);
  if (venue)
    return venue(user, msg);
  return ctl_build_reply_error(msg->id, "unknown_type", "no handler for this request");
}

Relay *
relay_new(const RelayConfig *cfg, GError **error)
{
  Relay *relay = g_new0(Relay, 1);
  uint32_t ssrc = g_random_int();

  relay->cfg = cfg;
  relay->ctx = g_main_context_ref_thread_default();
  relay->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)relay_peer_free);
  relay->info = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  relay->fanout = fanout_new(AUDIO_MAX_PRODUCTS);
  relay->ice = ice_lite_new(cfg->bind_addresses, cfg->ice_port, cfg->ice_tcp,
                           cfg->public_address[0] ? cfg->public_address : NULL, error);
  if (!relay->ice)
    goto fail;
  if (!(relay->cert = dtls_cert_new(error)) || !(relay->dtls = dtls_context_new(relay->cert, cfg->srtp_profiles, error)))
    goto fail;
  relay->env = (RelayPeerEnv){
    .ice = relay->ice,
    .dtls = relay->dtls,
    .fingerprint = relay->cert->fingerprint,
    .dtls_role = cfg->dtls_role,
    .floor_ssrc = ssrc,
    .channel_ssrc = ssrc ^ 0x5a5a5a5au,
    .events = {on_peer_connected, on_peer_lost, on_mic},
    .user = relay,
  };
  if (!(relay->engine = audio_engine_new(cfg, relay->ctx, on_product_packet, relay, error)))
    goto fail;
  if (!(relay->control = control_server_new(cfg->control_socket, dispatch, relay, error)))
    goto fail;
  if (!(relay->venue = relay_venue_new(relay, error)))
    goto fail;
  if (cfg->metrics_port >= 0 &&
      !(relay->metrics = metrics_server_new(cfg->metrics_address, cfg->metrics_port,
                                            render_metrics, relay, error)))
    goto fail;
  relay->report_timer = g_timeout_add((guint)cfg->report_interval_ms, on_report_tick, relay);
  relay->stats_timer = g_timeout_add_seconds((guint)cfg->stats_interval_s, on_stats_tick, relay);
  relay->level_timer =
      g_timeout_add((guint)cfg->level_interval_ms, relay_audio_on_level_tick, relay);
  return relay;

fail:
  relay_free(relay);
  return NULL;
}

void
relay_free(Relay *relay)
{
  if (!relay)
    return;
  if (relay->report_timer)
    g_source_remove(relay->report_timer);
  if (relay->stats_timer)
    g_source_remove(relay->stats_timer);
  if (relay->level_timer)
    g_source_remove(relay->level_timer);
  metrics_server_free(relay->metrics);
  relay_venue_free(relay->venue); /* its tap off before the engine goes */
  relay->venue = NULL;
  control_server_free(relay->control);
  audio_engine_free(relay->engine); /* no product packet after this */
  fanout_free(relay->fanout);
  g_hash_table_destroy(relay->by_id);
  g_hash_table_destroy(relay->info);
  ice_lite_free(relay->ice);
  dtls_context_free(relay->dtls);
  dtls_cert_free(relay->cert);
  g_main_context_unref(relay->ctx);
  g_free(relay);
}
