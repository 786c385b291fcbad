/* SPDX-License-Identifier: Apache-2.0 */
#include "peer.h"

#include "rtp.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#define CONNECT_TIMEOUT_S 30
#define PACKET_MAX 1500

typedef enum {
  PEER_WAITING, /* ICE and DTLS in progress */
  PEER_CONNECTED,
  PEER_LOST,
} PeerState;

struct RelayPeer {
  RelayPeerEnv env;
  char id[65];
  char participant[65];
  char fingerprint[100]; /* the peer's, as signalled; fixed for its lifetime */
  gboolean is_server;
  int audio_index;
  guint stream_id;
  PeerState state;
  uint8_t payload_type;
  DtlsSession *dtls;
  SrtpLink *srtp;
  const char *srtp_profile;
  guint dtls_timer;
  guint connect_timer;
  GQueue pending; /* GBytes*: DTLS datagrams waiting for a selected pair */
  /* the selected UDP pair, for sending media without libnice's per-call
   * agent lock and stream lookup (linear in the number of peers) */
  int media_fd;
  struct sockaddr_storage media_addr;
  socklen_t media_addrlen;
  uint8_t tx[PACKET_MAX + SRTP_LINK_TRAILER];
  uint8_t rx[PACKET_MAX + SRTP_LINK_TRAILER];
  RelayPeerStats stats;
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

guint
relay_peer_stream_id(const RelayPeer *peer)
{
  return peer->stream_id;
}

const char *
relay_peer_srtp_profile(const RelayPeer *peer)
{
  return peer->srtp_profile;
}

gboolean
relay_peer_is_connected(const RelayPeer *peer)
{
  return peer->state == PEER_CONNECTED;
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

/* A browser may start DTLS as soon as its first check succeeds, before it
 * nominates the pair; a lite agent has no selected pair until then, so the
 * reply flight cannot go out yet. It waits here (a flight is a few
 * datagrams) instead of costing the browser a 1 s retransmission. */
#define PENDING_MAX 8

static int
send_datagram(const uint8_t *data, size_t len, void *user)
{
  RelayPeer *peer = user;
  gint n = nice_agent_send(peer->env.agent, peer->stream_id, 1, (guint)len, (const gchar *)data);
  if (n == (gint)len)
    return 0;
  if (peer->state == PEER_WAITING && g_queue_get_length(&peer->pending) < PENDING_MAX)
    g_queue_push_tail(&peer->pending, g_bytes_new(data, len));
  return -1;
}

static void
flush_pending(RelayPeer *peer)
{
  GBytes *b;
  while ((b = g_queue_pop_head(&peer->pending))) {
    gsize n;
    const gchar *d = g_bytes_get_data(b, &n);
    nice_agent_send(peer->env.agent, peer->stream_id, 1, (guint)n, d);
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
    lose(peer, "dtls_failed");
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
  peer->stats.last_heard_us = g_get_monotonic_time();
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

static uint32_t
ntp_middle(gint64 real_us)
{
  /* seconds since 1900 in the high 16 bits, the fraction in the low 16 */
  guint64 secs = (guint64)(real_us / G_USEC_PER_SEC) + 2208988800u;
  guint64 frac = ((guint64)(real_us % G_USEC_PER_SEC) << 16) / G_USEC_PER_SEC;
  return (uint32_t)((secs << 16) | frac);
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
    int64_t rtt = rtcp_rtt(b, ntp_middle(g_get_real_time()));
    if (rtt >= 0 && rtt < 65536 * 10)
      peer->stats.rtt_ms = (double)rtt * 1000.0 / 65536.0;
  }
}

static void
on_receive(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
           gpointer data)
{
  RelayPeer *peer = data;
  const uint8_t *in = (const uint8_t *)buf;

  if (peer->state == PEER_LOST)
    return;
  if (dtls_is_record(in, len)) {
    on_dtls_state(peer, dtls_session_feed(peer->dtls, in, len));
    return;
  }
  if (len < 12 || len > PACKET_MAX || !rtp_is_rtcp(in, len) || !peer->srtp) {
    peer->stats.bad_received++; /* a listener sends no RTP: only RTCP is expected */
    return;
  }
  memcpy(peer->rx, in, len);
  int n = srtp_link_unprotect_rtcp(peer->srtp, peer->rx, len);
  if (n < 0) {
    peer->stats.bad_received++;
    return;
  }
  peer->stats.rtcp_received++;
  peer->stats.last_heard_us = g_get_monotonic_time();
  read_reports(peer, peer->rx, (size_t)n);
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
    nice_agent_send(peer->env.agent, peer->stream_id, 1, (guint)n, (const gchar *)peer->tx);
}

gboolean
relay_peer_check_consent(RelayPeer *peer, gint64 now_us, gint64 timeout_us)
{
  if (peer->state != PEER_CONNECTED || now_us - peer->stats.last_heard_us <= timeout_us)
    return TRUE;
  lose(peer, "consent_expired");
  return FALSE;
}

void
relay_peer_pair_selected(RelayPeer *peer)
{
  NiceCandidate *local = NULL, *remote = NULL;
  GSocket *sock = nice_agent_get_selected_socket(peer->env.agent, peer->stream_id, 1);
  peer->media_fd = -1;
  if (sock && nice_agent_get_selected_pair(peer->env.agent, peer->stream_id, 1, &local, &remote) &&
      local->transport == NICE_CANDIDATE_TRANSPORT_UDP) {
    memset(&peer->media_addr, 0, sizeof peer->media_addr);
    nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&peer->media_addr);
    peer->media_addrlen = peer->media_addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                  : sizeof(struct sockaddr_in);
    peer->media_fd = g_socket_get_fd(sock);
  }
  if (sock)
    g_object_unref(sock);
}

void
relay_peer_ice_state(RelayPeer *peer, NiceComponentState state)
{
  if (peer->state == PEER_LOST)
    return;
  if (state == NICE_COMPONENT_STATE_FAILED) {
    lose(peer, "ice_failed");
    return;
  }
  if ((state == NICE_COMPONENT_STATE_READY || state == NICE_COMPONENT_STATE_CONNECTED) &&
      peer->state == PEER_WAITING) {
    relay_peer_pair_selected(peer);
    flush_pending(peer);
    on_dtls_state(peer, dtls_session_start(peer->dtls));
  }
}

void
relay_peer_send_rtp(RelayPeer *peer, const uint8_t *rtp, size_t len)
{
  if (peer->state != PEER_CONNECTED || len < 12 || len > PACKET_MAX)
    return;
  memcpy(peer->tx, rtp, len);
  peer->tx[1] = (uint8_t)((rtp[1] & 0x80) | peer->payload_type);
  int n = srtp_link_protect(peer->srtp, peer->tx, len, sizeof peer->tx);
  if (n <= 0)
    return;
  if (peer->media_fd >= 0) {
    if (sendto(peer->media_fd, peer->tx, (size_t)n, MSG_DONTWAIT,
               (const struct sockaddr *)&peer->media_addr, peer->media_addrlen) < 0) {
      peer->stats.send_errors++;
      return;
    }
  } else if (nice_agent_send(peer->env.agent, peer->stream_id, 1, (guint)n,
                             (const gchar *)peer->tx) < 0) {
    peer->stats.send_errors++;
    return;
  }
  peer->stats.packets_sent++;
  peer->stats.octets_sent += len - RTP_HEADER_MIN;
}

static void
add_remote_candidates(RelayPeer *peer, const SdpOffer *offer)
{
  GSList *list = NULL;
  for (size_t i = 0; i < offer->n_candidates; i++) {
    const SdpCandidate *c = &offer->candidates[i];
    NiceCandidate *nc;
    if (c->component != 1 || strcmp(c->transport, "udp") != 0)
      continue;
    nc = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
    /* browsers hide host addresses behind mDNS names: those are skipped and
     * the peer is learnt from its checks (peer-reflexive) */
    if (!nice_address_set_from_string(&nc->addr, c->address)) {
      nice_candidate_free(nc);
      continue;
    }
    nice_address_set_port(&nc->addr, c->port);
    nc->stream_id = peer->stream_id;
    nc->component_id = 1;
    nc->priority = c->priority;
    nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    g_strlcpy(nc->foundation, c->foundation, sizeof nc->foundation);
    list = g_slist_append(list, nc);
  }
  if (list)
    nice_agent_set_remote_candidates(peer->env.agent, peer->stream_id, 1, list);
  g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

static size_t
local_candidates(RelayPeer *peer, SdpCandidate *out, size_t max)
{
  GSList *list = nice_agent_get_local_candidates(peer->env.agent, peer->stream_id, 1);
  size_t n = 0;
  for (GSList *l = list; l && n < max; l = l->next) {
    NiceCandidate *nc = l->data;
    SdpCandidate *c = &out[n];
    /* a lite agent only answers: of TCP it offers the passive side */
    if (nc->transport != NICE_CANDIDATE_TRANSPORT_UDP &&
        nc->transport != NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE)
      continue;
    memset(c, 0, sizeof *c);
    g_strlcpy(c->foundation, nc->foundation, sizeof c->foundation);
    c->component = 1;
    g_strlcpy(c->transport, nc->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp",
              sizeof c->transport);
    c->priority = nc->priority;
    nice_address_to_string(&nc->addr, c->address);
    if (peer->env.public_address)
      g_strlcpy(c->address, peer->env.public_address, sizeof c->address);
    c->port = (uint16_t)nice_address_get_port(&nc->addr);
    g_strlcpy(c->type, "host", sizeof c->type);
    n++;
  }
  g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
  return n;
}

static char *
make_answer(RelayPeer *peer, const SdpOffer *offer, int audio, gboolean is_server, GError **error)
{
  SdpCandidate cands[SDP_MAX_CANDIDATES];
  g_autofree char *ufrag = NULL, *pwd = NULL;
  char buf[8192];

  if (!nice_agent_get_local_credentials(peer->env.agent, peer->stream_id, &ufrag, &pwd)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no ICE credentials");
    return NULL;
  }
  SdpAnswerParams params = {
    .offer = offer,
    .audio_index = audio,
    .session_id = g_random_int() | ((uint64_t)g_random_int() << 31),
    .ice_ufrag = ufrag,
    .ice_pwd = pwd,
    .fingerprint = peer->env.fingerprint,
    .setup = is_server ? SDP_SETUP_PASSIVE : SDP_SETUP_ACTIVE,
    .ssrc = peer->env.floor_ssrc,
    .cname = "rostrum",
    .n_candidates = local_candidates(peer, cands, G_N_ELEMENTS(cands)),
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

RelayPeer *
relay_peer_new(const RelayPeerEnv *env, const char *id, const char *participant,
               const SdpOffer *offer, char **answer, GError **error)
{
  int audio = sdp_offer_audio_index(offer);
  RelayPeer *peer;
  gboolean is_server;

  if (audio < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "the offer has no audio section with Opus 48 kHz, rtcp-mux and DTLS-SRTP");
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
  peer->media_fd = -1;
  g_strlcpy(peer->id, id, sizeof peer->id);
  g_strlcpy(peer->participant, participant, sizeof peer->participant);
  peer->payload_type = (uint8_t)offer->media[audio].opus_pt;
  peer->audio_index = audio;
  g_strlcpy(peer->fingerprint, offer->fingerprint, sizeof peer->fingerprint);
  /* RFC 8842: an active offerer makes us the server, a passive one the
   * client; for actpass the configuration decides (server by default) */
  if (offer->setup == SDP_SETUP_ACTPASS || offer->setup == SDP_SETUP_NONE)
    is_server = strcmp(env->dtls_role ? env->dtls_role : "auto", "active") != 0;
  else
    is_server = offer->setup == SDP_SETUP_ACTIVE;

  peer->stream_id = nice_agent_add_stream(env->agent, 1);
  if (!peer->stream_id) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot add an ICE stream");
    g_free(peer);
    return NULL;
  }
  nice_agent_set_remote_credentials(env->agent, peer->stream_id, offer->ice_ufrag, offer->ice_pwd);
  nice_agent_attach_recv(env->agent, peer->stream_id, 1, env->ctx, on_receive, peer);
  if (!nice_agent_gather_candidates(env->agent, peer->stream_id)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open an ICE port");
    goto fail;
  }
  add_remote_candidates(peer, offer);
  peer->dtls = dtls_session_new(env->dtls, is_server, offer->fingerprint, send_datagram, peer);
  if (!peer->dtls) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make a DTLS session");
    goto fail;
  }
  peer->is_server = is_server;
  *answer = make_answer(peer, offer, audio, is_server, error);
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
  int audio = sdp_offer_audio_index(offer);
  if (audio < 0 || offer->media[audio].opus_pt != peer->payload_type) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "the new offer must keep the audio section and its Opus payload type");
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
  if (!nice_agent_restart_stream(peer->env.agent, peer->stream_id) ||
      !nice_agent_set_remote_credentials(peer->env.agent, peer->stream_id, offer->ice_ufrag,
                                         offer->ice_pwd)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the ICE stream does not restart");
    return NULL;
  }
  add_remote_candidates(peer, offer);
  /* a delegate whose network changed is not silent: give it the full consent window again */
  peer->stats.last_heard_us = g_get_monotonic_time();
  return make_answer(peer, offer, audio, peer->is_server, error);
}

void
relay_peer_free(RelayPeer *peer)
{
  if (!peer)
    return;
  clear_timer(&peer->dtls_timer);
  clear_timer(&peer->connect_timer);
  nice_agent_attach_recv(peer->env.agent, peer->stream_id, 1, peer->env.ctx, NULL, NULL);
  nice_agent_remove_stream(peer->env.agent, peer->stream_id);
  dtls_session_free(peer->dtls);
  srtp_link_free(peer->srtp);
  g_queue_clear_full(&peer->pending, (GDestroyNotify)g_bytes_unref);
  g_free(peer);
}
