/* SPDX-License-Identifier: Apache-2.0 */
#include "relay.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#include "control_server.h"
#include "dtls_cert.h"
#include "floor.h"
#include "ice_lite.h"
#include "metrics.h"
#include "peer.h"
#include "rtp.h"
#include "sdp.h"

struct Relay {
  const RelayConfig *cfg;
  GHashTable *roles;     /* peer id → role (owned strings), as signalling announced */
  GMainContext *ctx;
  IceLite *ice;
  DtlsCert *cert;
  DtlsContext *dtls;
  Floor *floor;
  ControlServer *control;
  GHashTable *by_id;     /* peer id → RelayPeer* (owned) */
  GPtrArray *fanout;     /* RelayPeer* connected, borrowed: the per-packet walk */
  struct SendBatch *batch; /* owned: the fan-out's send slots */
  MetricsServer *metrics;
  RelayPeerEnv env;
  guint report_timer, stats_timer;
  /* the floor's clock, for sender reports */
  uint32_t last_rtp_ts;
  gint64 last_rtp_us;
  /* totals, including peers that are gone */
  guint64 floor_packets, peers_added, peers_lost;
  guint64 add_refused;
};

typedef char *(*RequestHandler)(Relay *relay, const CtlMessage *msg);

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

static void
emit_event(Relay *relay, const char *event, RelayPeer *peer, const char *key, const char *value)
{
  g_autoptr(JsonObject) extra = json_object_new();
  json_object_set_string_member(extra, "participant", relay_peer_participant(peer));
  if (key)
    json_object_set_string_member(extra, key, value);
  g_autofree char *line = ctl_build_event(event, relay_peer_id(peer), extra);
  control_server_broadcast(relay->control, line);
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
  g_ptr_array_remove_fast(relay->fanout, peer);
  g_hash_table_remove(relay->roles, id);
  return peer;
}

static void
on_peer_connected(RelayPeer *peer, void *user)
{
  Relay *relay = user;
  g_ptr_array_add(relay->fanout, peer);
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

#define SEND_BATCH 64
#define SEND_SLOT (1500 + SRTP_LINK_TRAILER)

/* Listeners whose datagrams wait for one sendmmsg on the same socket, each
 * in its own slot: the slots are reused batch after batch, so they stay in
 * cache (a buffer per listener would be a cold line per packet). */
typedef struct SendBatch {
  int fd;
  unsigned n;
  size_t rtp_len;
  struct mmsghdr msgs[SEND_BATCH];
  struct iovec iov[SEND_BATCH];
  RelayPeer *who[SEND_BATCH];
  uint8_t slot[SEND_BATCH][SEND_SLOT];
} SendBatch;

static void
batch_flush(SendBatch *b)
{
  unsigned off = 0;
  while (off < b->n) {
    int r = sendmmsg(b->fd, b->msgs + off, b->n - off, MSG_DONTWAIT);
    if (r <= 0) { /* this one failed (socket full): count it and go on */
      relay_peer_count_sent(b->who[off++], b->rtp_len, FALSE);
      continue;
    }
    for (int i = 0; i < r; i++)
      relay_peer_count_sent(b->who[off + (unsigned)i], b->rtp_len, TRUE);
    off += (unsigned)r;
  }
  b->n = 0;
}

/* Protects @rtp for @peer's @track into the next free slot and queues it
 * (ICE-TCP routes are sent at once). */
static void
batch_protect(SendBatch *b, RelayPeer *peer, RelayTrack track, const uint8_t *rtp, size_t len)
{
  const struct sockaddr *addr;
  socklen_t addrlen;
  int fd;
  if (b->n == SEND_BATCH)
    batch_flush(b);
  uint8_t *buf = b->slot[b->n];
  int n = relay_peer_protect_rtp(peer, track, rtp, len, buf, SEND_SLOT);
  if (n <= 0)
    return;
  if (!relay_peer_udp_route(peer, &fd, &addr, &addrlen)) {
    relay_peer_count_sent(peer, len, relay_peer_send_datagram(peer, buf, (size_t)n) == 0);
    return;
  }
  if (b->n > 0 && fd != b->fd) { /* another socket (address family): send what waits */
    batch_flush(b);
    memcpy(b->slot[0], buf, (size_t)n);
    buf = b->slot[0];
  }
  b->fd = fd;
  b->iov[b->n] = (struct iovec){buf, (size_t)n};
  b->msgs[b->n].msg_hdr = (struct msghdr){
    .msg_name = (void *)addr, .msg_namelen = addrlen, .msg_iov = &b->iov[b->n], .msg_iovlen = 1};
  b->who[b->n++] = peer;
}

/* One pass over the listeners: each gets the same packet protected with its
 * own keys; UDP datagrams leave in sendmmsg batches.
 * Until interpretation exists, a listener's channel track carries the floor
 * (DESIGN: a silent or unstaffed booth's channel carries the floor). */
static void
fan_out(Relay *relay, const uint8_t *rtp, size_t len)
{
  SendBatch *b = relay->batch;
  b->fd = -1;
  b->n = 0;
  b->rtp_len = len;
  RelayPeer **peers = (RelayPeer **)relay->fanout->pdata;
  guint n = relay->fanout->len;
  for (guint i = 0; i < n; i++) {
    RelayPeer *peer = peers[i];
    if (i + 4 < n) /* the walk's cache misses, fetched a few listeners ahead */
      relay_peer_prefetch(peers[i + 4], -1);
    for (int stage = 0; stage < RELAY_PEER_PREFETCH_STAGES - 1; stage++)
      if (i + 3 - (guint)stage < n)
        relay_peer_prefetch(peers[i + 3 - (guint)stage], stage);
    batch_protect(b, peer, RELAY_TRACK_FLOOR, rtp, len);
    if (relay_peer_has_track(peer, RELAY_TRACK_CHANNEL))
      batch_protect(b, peer, RELAY_TRACK_CHANNEL, rtp, len);
  }
  if (b->n > 0)
    batch_flush(b);
}

static void
on_floor_packet(const uint8_t *rtp, size_t len, void *user)
{
  Relay *relay = user;
  if (len >= 12) {
    relay->last_rtp_ts = rtp_get32(rtp + 4);
    relay->last_rtp_us = g_get_monotonic_time();
  }
  relay->floor_packets++;
  fan_out(relay, rtp, len);
}

/* Sender reports to every listener, and RFC 7675 consent: walk backwards,
 * since a peer that lost consent leaves the array. */
static gboolean
on_report_tick(gpointer data)
{
  Relay *relay = data;
  gint64 now = g_get_monotonic_time();
  uint32_t rtp_ts = relay->last_rtp_ts + (uint32_t)((now - relay->last_rtp_us) * 48 / 1000);
  uint64_t ntp = rtp_ntp_time(g_get_real_time());
  gint64 timeout = (gint64)relay->cfg->consent_timeout_s * G_USEC_PER_SEC;
  for (guint i = relay->fanout->len; i-- > 0;) {
    RelayPeer *peer = relay->fanout->pdata[i];
    if (relay_peer_tick(peer, now, timeout))
      relay_peer_send_report(peer, rtp_ts, ntp);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stats_tick(gpointer data)
{
  Relay *relay = data;
  for (guint i = 0; i < relay->fanout->len; i++) {
    RelayPeer *peer = relay->fanout->pdata[i];
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
    g_autofree char *line = ctl_build_event("stats", relay_peer_id(peer), extra);
    control_server_broadcast(relay->control, line);
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
                         g_hash_table_size(relay->by_id), relay->fanout->len, relay->peers_added,
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
  g_string_append(out, "# HELP rostrum_relay_peer_rtt_seconds From RTCP receiver reports.\n"
                       "# TYPE rostrum_relay_peer_rtt_seconds gauge\n");
  for (guint i = 0; i < relay->fanout->len; i++) {
    RelayPeer *peer = relay->fanout->pdata[i];
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

  relay->add_refused++; /* until it succeeds */
  if (g_hash_table_contains(relay->by_id, id))
    return ctl_build_reply_error(msg->id, "duplicate_peer", "a peer with this id exists");
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
  relay->add_refused--;
  relay->peers_added++;
  g_hash_table_insert(relay->by_id, g_strdup(id), peer);
  g_hash_table_insert(relay->roles, g_strdup(id), g_strdup(ctl_get_string(msg, "role")));
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
    g_autoptr(JsonObject) extra = json_object_new();
    json_object_set_string_member(extra, "participant", relay_peer_participant(peer));
    json_object_set_string_member(extra, "role", g_hash_table_lookup(relay->roles, key));
    json_object_set_string_member(extra, "state",
                                  g_ptr_array_find(relay->fanout, peer, NULL) ? "connected"
                                                                              : "waiting");
    g_autofree char *line = ctl_build_event("peer.present", key, extra);
    control_server_broadcast(relay->control, line);
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
  RequestHandler handle;
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
  relay->fanout = g_ptr_array_new();
  relay->roles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  relay->batch = g_new0(SendBatch, 1);
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
    .events = {on_peer_connected, on_peer_lost},
    .user = relay,
  };
  if (!(relay->floor = floor_new(cfg, ssrc, relay->ctx, on_floor_packet, relay, error)))
    goto fail;
  if (!(relay->control = control_server_new(cfg->control_socket, dispatch, relay, error)))
    goto fail;
  if (cfg->metrics_port >= 0 &&
      !(relay->metrics = metrics_server_new(cfg->metrics_address, cfg->metrics_port,
                                            render_metrics, relay, error)))
    goto fail;
  relay->report_timer = g_timeout_add((guint)cfg->report_interval_ms, on_report_tick, relay);
  relay->stats_timer = g_timeout_add_seconds((guint)cfg->stats_interval_s, on_stats_tick, relay);
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
  metrics_server_free(relay->metrics);
  control_server_free(relay->control);
  floor_free(relay->floor);
  g_ptr_array_set_size(relay->fanout, 0);
  g_hash_table_destroy(relay->by_id);
  g_hash_table_destroy(relay->roles);
  g_ptr_array_unref(relay->fanout);
  g_free(relay->batch);
  ice_lite_free(relay->ice);
  dtls_context_free(relay->dtls);
  dtls_cert_free(relay->cert);
  g_main_context_unref(relay->ctx);
  g_free(relay);
}
