/* SPDX-License-Identifier: Apache-2.0 */
#include "peer.h"

#include "rtp.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#define CONNECT_TIMEOUT_S 30
/* After the handshake the DTLS state only serves retransmissions of our
 * last flight, should the peer not have got it; browsers give up on a
 * handshake well within this. Then it goes: ~25 kB per listener. */
#define DTLS_KEEP_S 60
#define PACKET_MAX 1500

typedef enum {
  PEER_WAITING, /* ICE and DTLS in progress */
  PEER_CONNECTED,
  PEER_LOST,
} PeerState;

/* A receive track's continuity across products: out = in + offset. */
typedef struct {
  uint16_t seq_off, last_seq;
  uint32_t ts_off, last_ts;
  bool started, resync;
} TrackOut;

struct RelayPeer {
  /* What the fan-out reads for every packet comes first, in two cache
   * lines that relay_peer_prefetch's caller fetches ahead. */
  PeerState state;
  uint8_t floor_pt, channel_pt, mic_pt;
  SrtpLink *srtp;
  IceStream *ice;
  TrackOut out[2]; /* floor, channel */
  SdpPlan plan;
  RelayPeerStats stats;
  /* the rest */
  RelayPeerEnv env;
  char id[65];
  char participant[65];
  char fingerprint[100]; /* the peer's, as signalled; fixed for its lifetime */
  gboolean is_server;
  unsigned allow;
  int mic_level_ext; /* RFC 6464 extension id, or -1 */
  DtlsSession *dtls;
  const char *srtp_profile;
  guint dtls_timer;    /* while handshaking: retransmission */
  guint connect_timer; /* while waiting */
  gint64 connected_us;
  GQueue pending; /* GBytes*: DTLS datagrams waiting for a route */
  uint8_t tx[PACKET_MAX + SRTP_LINK_TRAILER];
  uint8_t rx[PACKET_MAX + SRTP_LINK_TRAILER];
};

const char *
relay_peer_id(const RelayPeer *peer)
{
  return peer->id;
}

const char *
relay_peer_participant(const RelayPeer *peer)
{
  return peer->participant;
}

const char *
relay_peer_srtp_profile(const RelayPeer *peer)
{
  return peer->srtp_profile;
}

static void
clear_timer(guint *id)
{
  if (*id) {
    g_source_remove(*id);
    *id = 0;
  }
}

static void
lose(RelayPeer *peer, const char *reason)
{
  if (peer->state == PEER_LOST)
    return;
  peer->state = PEER_LOST;
  clear_timer(&peer->dtls_timer);
  clear_timer(&peer->connect_timer);
  peer->env.events.lost(peer, reason, peer->env.user);
}

/* A DTLS client (the relay when the browser offers passive) speaks first,
 * possibly before any check arrived: its flight waits for a route (a
 * flight is a few datagrams) instead of costing a 1 s retransmission. */
#define PENDING_MAX 8

static int
send_datagram(const uint8_t *data, size_t len, void *user)
{
  RelayPeer *peer = user;
  int rc = ice_stream_send(peer->ice, data, len);
  if (rc == -ENOTCONN && peer->state == PEER_WAITING &&
      g_queue_get_length(&peer->pending) < PENDING_MAX)
    g_queue_push_tail(&peer->pending, g_bytes_new(data, len));
  return rc;
}

static void
flush_pending(RelayPeer *peer)
{
  GBytes *b;
  while ((b = g_queue_pop_head(&peer->pending))) {
    gsize n;
    const uint8_t *d = g_bytes_get_data(b, &n);
    ice_stream_send(peer->ice, d, n);
    g_bytes_unref(b);
  }
}

static gboolean on_dtls_timer(gpointer data);

static void
arm_dtls_timer(RelayPeer *peer)
{
  clear_timer(&peer->dtls_timer);
  int ms = dtls_session_timeout_ms(peer->dtls);
  if (ms >= 0)
    peer->dtls_timer = g_timeout_add(ms > 0 ? (guint)ms : 1, on_dtls_timer, peer);
}

static void
on_dtls_state(RelayPeer *peer, DtlsState state)
{
  DtlsSrtpKeys keys;
  switch (state) {
  case DTLS_HANDSHAKING:
    arm_dtls_timer(peer);
    return;
  case DTLS_BAD_FINGERPRINT:
    lose(peer, "fingerprint_mismatch");
    return;
  case DTLS_FAILED:
    /* a browser's normal goodbye is no failure */
    lose(peer, dtls_session_closed(peer->dtls) ? "closed" : "dtls_failed");
    return;
  case DTLS_CONNECTED:
    break;
  }
  if (peer->state != PEER_WAITING)
    return;
  clear_timer(&peer->dtls_timer);
  if (dtls_session_srtp_keys(peer->dtls, &keys) < 0 || !(peer->srtp = srtp_link_new(&keys))) {
    lose(peer, "dtls_failed");
    return;
  }
  peer->srtp_profile = keys.profile;
  memset(&keys, 0, sizeof keys);
  clear_timer(&peer->connect_timer);
  peer->state = PEER_CONNECTED;
  peer->stats.last_heard_us = peer->connected_us = g_get_monotonic_time();
  peer->env.events.connected(peer, peer->env.user);
}

static gboolean
on_dtls_timer(gpointer data)
{
  RelayPeer *peer = data;
  peer->dtls_timer = 0;
  on_dtls_state(peer, dtls_session_handle_timeout(peer->dtls));
  return G_SOURCE_REMOVE;
}

static gboolean
on_connect_timeout(gpointer data)
{
  RelayPeer *peer = data;
  peer->connect_timer = 0;
  lose(peer, "timeout");
  return G_SOURCE_REMOVE;
}

static void
read_reports(RelayPeer *peer, const uint8_t *buf, size_t len)
{
  RtcpInfo info;
  if (rtcp_parse(buf, len, &info) < 0) {
    peer->stats.bad_received++;
    return;
  }
  for (size_t i = 0; i < info.n_reports; i++) {
    const RtcpReportBlock *b = &info.reports[i];
    if (b->ssrc != peer->env.floor_ssrc)
      continue;
    peer->stats.fraction_lost = b->fraction_lost;
    peer->stats.cumulative_lost = b->cumulative_lost;
    peer->stats.jitter_ms = b->jitter / 48.0;
    int64_t rtt = rtcp_rtt(b, (uint32_t)(rtp_ntp_time(g_get_real_time()) >> 16));
    if (rtt >= 0 && rtt < 65536 * 10)
      peer->stats.rtt_ms = (double)rtt * 1000.0 / 65536.0;
  }
}

/* RTP from the peer: its microphone, if signalling granted one (a
 * listener sends none). The transport checks it and reads its level (RFC
 * 6464); the audio engine gets it (events.mic). */
static void
on_mic(RelayPeer *peer, size_t len)
{
  RtpHeader h;
  int n;
  if (peer->plan.mic_index < 0 || (n = srtp_link_unprotect(peer->srtp, peer->rx, len)) < 0 ||
      rtp_parse(peer->rx, (size_t)n, &h) < 0 || h.payload_type != peer->mic_pt) {
    peer->stats.bad_received++;
    return;
  }
  peer->stats.mic_packets++;
  peer->stats.last_heard_us = g_get_monotonic_time();
  bool voice;
  int level = rtp_audio_level(&h, peer->mic_level_ext, &voice);
  if (level >= 0)
    peer->stats.mic_level_dbov = -level;
  if (peer->env.events.mic)
    peer->env.events.mic(peer, peer->rx, (size_t)n, peer->env.user);
}

static void
on_packet(IceStream *stream, const uint8_t *in, size_t len, void *data)
{
  RelayPeer *peer = data;

  if (peer->state == PEER_LOST)
    return;
  if (dtls_is_record(in, len)) {
    guint64 dropped = 1; /* no DTLS state any more (DTLS_KEEP_S): nothing to say */
    DtlsState st = DTLS_CONNECTED;
    if (peer->dtls) {
      dropped = dtls_session_dropped(peer->dtls);
      st = dtls_session_feed(peer->dtls, in, len);
      dropped = dtls_session_dropped(peer->dtls) - dropped;
    }
    if (dropped) {
      /* forged from the peer's address, most likely: once per peer */
      if (!peer->stats.dtls_dropped)
        g_print("relay: peer %s: dropped a DTLS record: malformed, unauthenticated or out of "
                "place (more are counted, not logged)\n",
                peer->id);
      peer->stats.dtls_dropped += dropped;
      peer->stats.bad_received += dropped;
    }
    if (peer->dtls)
      on_dtls_state(peer, st);
    return;
  }
  if (len < 12 || len > PACKET_MAX || (in[0] & 0xc0) != 0x80 || !peer->srtp) {
    peer->stats.bad_received++;
    return;
  }
  memcpy(peer->rx, in, len);
  if (!rtp_is_rtcp(in, len)) {
    on_mic(peer, len);
    return;
  }
  int n = srtp_link_unprotect_rtcp(peer->srtp, peer->rx, len);
  if (n < 0) {
    peer->stats.bad_received++;
    return;
  }
  peer->stats.rtcp_received++;
  peer->stats.last_heard_us = g_get_monotonic_time();
  read_reports(peer, peer->rx, (size_t)n);
}


static void
on_route(IceStream *stream, void *data)
{
  RelayPeer *peer = data;
  if (peer->state != PEER_WAITING)
    return;
  flush_pending(peer);
  on_dtls_state(peer, dtls_session_start(peer->dtls));
}

const RelayPeerStats *
relay_peer_stats(const RelayPeer *peer)
{
  return &peer->stats;
}

void
relay_peer_send_report(RelayPeer *peer, uint32_t rtp_ts, uint64_t ntp)
{
  if (peer->state != PEER_CONNECTED)
    return;
  int n = rtcp_build_sr(peer->tx, sizeof peer->tx, peer->env.floor_ssrc, ntp, rtp_ts,
                        (uint32_t)peer->stats.packets_sent, (uint32_t)peer->stats.octets_sent);
  int m = rtcp_build_sdes_cname(peer->tx + n, sizeof peer->tx - (size_t)n, peer->env.floor_ssrc,
                                "rostrum");
  if (n < 0 || m < 0)
    return;
  n = srtp_link_protect_rtcp(peer->srtp, peer->tx, (size_t)(n + m), sizeof peer->tx);
  if (n > 0)
    ice_stream_send(peer->ice, peer->tx, (size_t)n);
}

gboolean
relay_peer_tick(RelayPeer *peer, gint64 now_us, gint64 timeout_us)
{
  if (peer->state != PEER_CONNECTED)
    return TRUE;
  if (peer->dtls && now_us - peer->connected_us >= (gint64)DTLS_KEEP_S * G_USEC_PER_SEC) {
    dtls_session_free(peer->dtls);
    peer->dtls = NULL;
  }
  /* RFC 7675: the browser's ICE consent checks, or its RTCP */
  gint64 heard = MAX(peer->stats.last_heard_us, ice_stream_last_check(peer->ice));
  if (now_us - heard <= timeout_us)
    return TRUE;
  lose(peer, "consent_expired");
  return FALSE;
}

int
relay_peer_protect_rtp(RelayPeer *peer, RelayTrack track, const uint8_t *rtp, size_t len,
                       uint8_t *buf, size_t cap)
{
  gboolean channel = track == RELAY_TRACK_CHANNEL;
  if (peer->state != PEER_CONNECTED || len < 12 || len + SRTP_LINK_TRAILER > cap ||
      (channel && peer->plan.channel_index < 0))
    return -EAGAIN;
  memcpy(buf, rtp, len);
  TrackOut *o = &peer->out[channel ? 1 : 0];
  uint16_t seq = rtp_get16(rtp + 2);
  uint32_t ts = rtp_get32(rtp + 4);
  bool marker = (rtp[1] & 0x80) != 0;
  if (o->resync && o->started) { /* another product from now on: continue this track */
    o->seq_off = (uint16_t)(o->last_seq + 1 - seq);
    o->ts_off = o->last_ts + RTP_FRAME_SAMPLES - ts;
    marker = true;
  }
  o->resync = false;
  o->started = true;
  o->last_seq = (uint16_t)(seq + o->seq_off);
  o->last_ts = ts + o->ts_off;
  buf[1] = (uint8_t)((marker ? 0x80 : 0) | (channel ? peer->channel_pt : peer->floor_pt));
  rtp_put16(buf + 2, o->last_seq);
  rtp_put32(buf + 4, o->last_ts);
  rtp_put32(buf + 8, channel ? peer->env.channel_ssrc : peer->env.floor_ssrc);
  return srtp_link_protect(peer->srtp, buf, len, cap);
}

void
relay_peer_repoint(RelayPeer *peer, RelayTrack track)
{
  if (track == RELAY_TRACK_FLOOR || track == RELAY_TRACK_CHANNEL)
    peer->out[track == RELAY_TRACK_CHANNEL ? 1 : 0].resync = true;
}

void
relay_peer_prefetch(const RelayPeer *peer, int stage)
{
  if (stage < 0) { /* the peer's hot lines */
    __builtin_prefetch(peer);
    __builtin_prefetch((const char *)peer + 64);
    return;
  }
  if (peer->state != PEER_CONNECTED)
    return;
  switch (stage) {
  case 0:
    __builtin_prefetch(peer->srtp);
    __builtin_prefetch(peer->ice);
    return;
  case 1:
    srtp_link_prefetch(peer->srtp, 0);
    ice_stream_prefetch(peer->ice);
    return;
  default:
    srtp_link_prefetch(peer->srtp, 1);
    return;
  }
}

gboolean
relay_peer_has_track(const RelayPeer *peer, RelayTrack track)
{
  switch (track) {
  case RELAY_TRACK_FLOOR:
    return TRUE;
  case RELAY_TRACK_CHANNEL:
    return peer->plan.channel_index >= 0;
  case RELAY_TRACK_MIC:
    return peer->plan.mic_index >= 0;
  }
  return FALSE;
}

void
relay_peer_count_sent(RelayPeer *peer, size_t rtp_len, gboolean ok)
{
  if (!ok) {
    peer->stats.send_errors++;
    return;
  }
  peer->stats.packets_sent++;
  peer->stats.octets_sent += rtp_len - RTP_HEADER_MIN;
}

gboolean
relay_peer_udp_route(const RelayPeer *peer, int *fd, const struct sockaddr **addr,
                     socklen_t *addrlen)
{
  return ice_stream_udp_route(peer->ice, fd, addr, addrlen);
}

int
relay_peer_send_datagram(RelayPeer *peer, const uint8_t *data, size_t len)
{
  return ice_stream_send(peer->ice, data, len);
}

static char *
make_answer(RelayPeer *peer, const SdpOffer *offer, gboolean is_server, GError **error)
{
  SdpCandidate cands[SDP_MAX_CANDIDATES];
  char buf[16384];

  SdpAnswerParams params = {
    .offer = offer,
    .plan = &peer->plan,
    .session_id = g_random_int() | ((uint64_t)g_random_int() << 31),
    .ice_ufrag = ice_stream_local_ufrag(peer->ice),
    .ice_pwd = ice_stream_local_pwd(peer->ice),
    .fingerprint = peer->env.fingerprint,
    .setup = is_server ? SDP_SETUP_PASSIVE : SDP_SETUP_ACTIVE,
    .floor_ssrc = peer->env.floor_ssrc,
    .channel_ssrc = peer->env.channel_ssrc,
    .cname = "rostrum",
    .n_candidates = ice_lite_candidates(peer->env.ice, cands, G_N_ELEMENTS(cands)),
    .candidates = cands,
  };
  if (params.n_candidates == 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no local ICE candidate");
    return NULL;
  }
  int n = sdp_print_answer(&params, buf, sizeof buf);
  if (n < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot print the answer (%d)", n);
    return NULL;
  }
  return g_strndup(buf, (gsize)n);
}

/* The payload types and extension ids the plan's m-lines use. */
static void
take_plan(RelayPeer *peer, const SdpOffer *offer)
{
  const SdpPlan *plan = &peer->plan;
  peer->floor_pt = (uint8_t)offer->media[plan->floor_index].opus_pt;
  if (plan->channel_index >= 0)
    peer->channel_pt = (uint8_t)offer->media[plan->channel_index].opus_pt;
  peer->mic_level_ext = -1;
  if (plan->mic_index >= 0) {
    peer->mic_pt = (uint8_t)offer->media[plan->mic_index].opus_pt;
    peer->mic_level_ext = offer->media[plan->mic_index].audio_level_ext;
  }
}

RelayPeer *
relay_peer_new(const RelayPeerEnv *env, const char *id, const char *participant,
               const SdpOffer *offer, unsigned allow, char **answer, GError **error)
{
  static const IceStreamEvents ice_events = {on_packet, on_route};
  SdpPlan plan;
  RelayPeer *peer;
  gboolean is_server;

  if (sdp_plan(offer, allow, &plan) < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "the offer has no audio section that can receive Opus 48 kHz over DTLS-SRTP "
                "with rtcp-mux");
    return NULL;
  }
  if (strcmp(offer->fingerprint_alg, "sha-256") != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "the offer's DTLS fingerprint must be sha-256, not '%s'", offer->fingerprint_alg);
    return NULL;
  }
  peer = g_new0(RelayPeer, 1);
  peer->env = *env;
  peer->stats.rtt_ms = -1;
  peer->stats.mic_level_dbov = 1; /* none yet */
  g_strlcpy(peer->id, id, sizeof peer->id);
  g_strlcpy(peer->participant, participant, sizeof peer->participant);
  peer->plan = plan;
  peer->allow = allow;
  take_plan(peer, offer);
  g_strlcpy(peer->fingerprint, offer->fingerprint, sizeof peer->fingerprint);
  /* RFC 8842: an active offerer makes us the server, a passive one the
   * client; for actpass the configuration decides (server by default) */
  if (offer->setup == SDP_SETUP_ACTPASS || offer->setup == SDP_SETUP_NONE)
    is_server = strcmp(env->dtls_role ? env->dtls_role : "auto", "active") != 0;
  else
    is_server = offer->setup == SDP_SETUP_ACTIVE;
  peer->is_server = is_server;

  peer->ice = ice_stream_new(env->ice, offer->ice_ufrag, offer->ice_pwd, &ice_events, peer);
  peer->dtls = dtls_session_new(env->dtls, is_server, offer->fingerprint, send_datagram, peer);
  if (!peer->dtls) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make a DTLS session");
    goto fail;
  }
  *answer = make_answer(peer, offer, is_server, error);
  if (!*answer)
    goto fail;
  peer->connect_timer = g_timeout_add_seconds(CONNECT_TIMEOUT_S, on_connect_timeout, peer);
  return peer;

fail:
  relay_peer_free(peer);
  return NULL;
}

char *
relay_peer_restart_ice(RelayPeer *peer, const SdpOffer *offer, GError **error)
{
  SdpPlan plan;
  if (sdp_plan(offer, peer->allow, &plan) < 0 || plan.floor_index != peer->plan.floor_index ||
      plan.channel_index != peer->plan.channel_index || plan.mic_index != peer->plan.mic_index ||
      offer->media[plan.floor_index].opus_pt != peer->floor_pt) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "the new offer must keep the audio sections and their Opus payload types");
    return NULL;
  }
  /* the DTLS association survives an ICE restart; a new certificate would
   * be a renegotiation, which the relay refuses */
  if (strcmp(offer->fingerprint, peer->fingerprint) != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "the new offer changes the DTLS fingerprint");
    return NULL;
  }
  if (peer->state == PEER_LOST) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the peer is already lost");
    return NULL;
  }
  ice_stream_restart(peer->ice, offer->ice_ufrag, offer->ice_pwd);
  /* a delegate whose network changed is not silent: give it the full consent window again */
  peer->stats.last_heard_us = g_get_monotonic_time();
  return make_answer(peer, offer, peer->is_server, error);
}

void
relay_peer_free(RelayPeer *peer)
{
  if (!peer)
    return;
  clear_timer(&peer->dtls_timer);
  clear_timer(&peer->connect_timer);
  ice_stream_free(peer->ice);
  dtls_session_free(peer->dtls);
  srtp_link_free(peer->srtp);
  g_queue_clear_full(&peer->pending, (GDestroyNotify)g_bytes_unref);
  g_free(peer);
}
