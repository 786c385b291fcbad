/* SPDX-License-Identifier: Apache-2.0 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <glib-unix.h>

#include "rtp.h"
#include "sdp.h"
#include "sdpgen.h"
#include "srtp_link.h"

#include <srtp2/srtp.h>

static int reference_receiver(const DtlsSrtpKeys *keys, srtp_t *out);

#define PACKET_MAX 1500
#define SDP_MAX 8192
#define RX_BATCH 32   /* datagrams per recvmmsg() */
#define RX_EVENTS 256 /* ready sockets per epoll_wait() */

/* Arrival times are the kernel's (SO_TIMESTAMPNS): when the packet
 * reached the listener's socket, not when this one process, serving
 * thousands of listeners in turn, got round to reading it. */
#define RX_CMSG_SPACE CMSG_SPACE(sizeof(struct timespec))

struct LoadgenRxLoop {
  int epfd;
  GSource *source;
  GMainContext *park; /* never iterated: libnice's sources of the sockets we read */
  struct mmsghdr msgs[RX_BATCH];
  struct iovec iov[RX_BATCH];
  struct sockaddr_storage from[RX_BATCH];
  union {
    struct cmsghdr align;
    uint8_t buf[RX_CMSG_SPACE];
  } cmsg[RX_BATCH];
  uint8_t bufs[RX_BATCH][PACKET_MAX + 1];
};

struct LoadgenListener {
  LoadgenListenerEnv env;
  unsigned index;
  gboolean decrypt;
  LoadgenListenerState state;
  char *fail_reason;
  guint stream_id;
  gboolean is_client, dtls_started, joining, left;
  DtlsSession *dtls;
  SrtpLink *srtp;   /* SRTCP both ways */
  srtp_t rtp_rx;    /* libsrtp: an implementation independent of the relay's */
  GSource *dtls_timer, *join_timer;
  gint64 t_open_us;    /* the ICE stream: join timeout, traces */
  gint64 t_request_us; /* the join clock's start */
  gint64 t_first_us;
  uint32_t ssrc, media_ssrc;
  uint32_t lsr; /* middle of the last SR's NTP time */
  gint64 lsr_at_us;
  guint64 errors;
  LoadgenRxStats rx;
  /* env.channel_track: the relay's channel track, told apart by its SSRC */
  uint32_t channel_ssrc;
  LoadgenRxStats rx_channel;
  int media_fd; /* > 0 once the rxloop reads (a dup of) the selected pair's socket */
  GSource *release_idle; /* then removes the ICE stream from the agent */
  struct sockaddr_storage remote; /* the selected pair's remote address */
  socklen_t remote_len;
  uint8_t buf[PACKET_MAX + SRTP_LINK_TRAILER];
};

static void
trace(LoadgenListener *l, const char *what)
{
  if (l->env.trace)
    g_printerr("loadgen: lg-%u +%.1f ms %s\n", l->index,
               (double)(g_get_monotonic_time() - l->t_open_us) / 1000.0, what);
}

GSource *
loadgen_timeout_on(GMainContext *ctx, guint ms, GSourceFunc fn, gpointer data)
{
  GSource *s = g_timeout_source_new(ms);
  g_source_set_callback(s, fn, data, NULL);
  g_source_attach(s, ctx);
  return s;
}

void
loadgen_clear_source(GSource **s)
{
  if (*s) {
    g_source_destroy(*s);
    g_source_unref(*s);
    *s = NULL;
  }
}

static void
fail(LoadgenListener *l, const char *reason)
{
  if (l->state == LOADGEN_LISTENER_FAILED)
    return;
  l->state = LOADGEN_LISTENER_FAILED;
  l->fail_reason = g_strdup(reason);
  loadgen_clear_source(&l->dtls_timer);
  loadgen_clear_source(&l->join_timer);
  l->env.failed(l, reason, l->env.user);
}

/* Through libnice, or on our own socket once the stream left the agent. */
static gint
send_packet(LoadgenListener *l, const uint8_t *data, size_t len)
{
  if (l->media_fd > 0) {
    ssize_t n = sendto(l->media_fd, data, len, MSG_DONTWAIT, (const struct sockaddr *)&l->remote,
                       l->remote_len);
    return n < 0 ? -1 : (gint)n;
  }
  return nice_agent_send(l->env.agent, l->stream_id, 1, (guint)len, (const gchar *)data);
}

static int
send_datagram(const uint8_t *data, size_t len, void *user)
{
  LoadgenListener *l = user;
  gint n = send_packet(l, data, len);
  trace(l, n == (gint)len ? "dtls record out" : "dtls record NOT sent");
  return n == (gint)len ? 0 : -1;
}

static gboolean on_dtls_timer(gpointer data);
static void take_socket(LoadgenListener *l);

static void
on_dtls_state(LoadgenListener *l, DtlsState state)
{
  DtlsSrtpKeys keys;

  if (l->state != LOADGEN_LISTENER_CONNECTING)
    return;
  switch (state) {
  case DTLS_HANDSHAKING: {
    loadgen_clear_source(&l->dtls_timer);
    int ms = dtls_session_timeout_ms(l->dtls);
    if (ms >= 0)
      l->dtls_timer = loadgen_timeout_on(l->env.ctx, ms > 0 ? (guint)ms : 1, on_dtls_timer, l);
    return;
  }
  case DTLS_BAD_FINGERPRINT:
    fail(l, "fingerprint_mismatch");
    return;
  case DTLS_FAILED:
    fail(l, "dtls_failed");
    return;
  case DTLS_CONNECTED:
    break;
  }
  loadgen_clear_source(&l->dtls_timer);
  if (dtls_session_srtp_keys(l->dtls, &keys) < 0 || !(l->srtp = srtp_link_new(&keys)) ||
      (l->decrypt && reference_receiver(&keys, &l->rtp_rx) < 0)) {
    fail(l, "srtp_keys");
    return;
  }
  memset(&keys, 0, sizeof keys);
  l->state = LOADGEN_LISTENER_KEYED;
  trace(l, "dtls connected");
  take_socket(l);
}

/* The relay protects RTP with its own OpenSSL code; the sample of
 * listeners that decrypt does it with libsrtp, so every decrypted packet
 * also checks the relay against another implementation. */
static int
reference_receiver(const DtlsSrtpKeys *keys, srtp_t *out)
{
  srtp_policy_t policy;
  uint8_t master[32 + 14];
  memset(&policy, 0, sizeof policy);
  if (strcmp(keys->profile, "SRTP_AEAD_AES_128_GCM") == 0) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  memcpy(master, keys->remote_key, keys->key_len);
  memcpy(master + keys->key_len, keys->remote_salt, keys->salt_len);
  policy.key = master;
  policy.ssrc.type = ssrc_any_inbound;
  policy.window_size = 1024;
  int rc = srtp_create(out, &policy) == srtp_err_status_ok ? 0 : -1;
  memset(master, 0, sizeof master);
  return rc;
}

static gboolean
on_dtls_timer(gpointer data)
{
  LoadgenListener *l = data;
  g_source_unref(l->dtls_timer);
  l->dtls_timer = NULL;
  on_dtls_state(l, dtls_session_handle_timeout(l->dtls));
  return G_SOURCE_REMOVE;
}

static const char *
state_name(LoadgenListenerState state)
{
  static const char *const names[] = {"idle",   "gathering", "signalling", "ice/dtls",
                                      "keyed",  "joined",    "failed"};
  return (unsigned)state < G_N_ELEMENTS(names) ? names[state] : "?";
}

static gboolean
on_join_timeout(gpointer data)
{
  LoadgenListener *l = data;
  g_source_unref(l->join_timer);
  l->join_timer = NULL;
  g_autofree char *reason =
      g_strdup_printf("timeout in %s%s", state_name(l->state),
                      l->state == LOADGEN_LISTENER_CONNECTING && l->dtls_started ? " (dtls)" : "");
  fail(l, reason);
  return G_SOURCE_REMOVE;
}

static void
on_rtcp(LoadgenListener *l, const uint8_t *in, size_t len)
{
  RtcpInfo info;
  memcpy(l->buf, in, len);
  int n = srtp_link_unprotect_rtcp(l->srtp, l->buf, len);
  if (n < 0 || rtcp_parse(l->buf, (size_t)n, &info) < 0) {
    l->errors++;
    return;
  }
  if (info.has_sr) {
    l->lsr = (uint32_t)(info.sr_ntp >> 16);
    l->lsr_at_us = g_get_monotonic_time();
  }
}

/* The join ends with the first packet of any track. */
static void
first_packet(LoadgenListener *l, gint64 now, const char *what)
{
  if (l->state != LOADGEN_LISTENER_KEYED)
    return;
  l->state = LOADGEN_LISTENER_JOINED;
  l->t_first_us = now;
  loadgen_clear_source(&l->join_timer);
  trace(l, what);
  l->env.joined(l, l->env.user);
}

/* @now: the packet's arrival, monotonic µs */
static void
on_rtp(LoadgenListener *l, const uint8_t *in, size_t len, gint64 now)
{
  const uint8_t *pkt = in;
  int clear_len = -1;

  if ((in[0] & 0xc0) != 0x80) {
    l->errors++;
    return;
  }
  if (l->decrypt) {
    memcpy(l->buf, in, len);
    clear_len = (int)len;
    if (srtp_unprotect(l->rtp_rx, l->buf, &clear_len) != srtp_err_status_ok) {
      l->errors++; /* authentication or replay failure */
      return;
    }
    pkt = l->buf;
  }
  /* SRTP leaves the header in clear: counting listeners read it as is */
  uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
  uint32_t ssrc = rtp_get32(pkt + 8);
  if (l->env.channel_track && ssrc == l->channel_ssrc) {
    /* the channel's packets: counted apart, out of the spread (a tone's
     * Opus packets repeat, so its payloads cannot name a packet) */
    loadgen_rx_packet(&l->rx_channel, seq, rtp_get32(pkt + 4), now);
    first_packet(l, now, "first packet (channel)");
    return;
  }
  l->media_ssrc = ssrc;
  int64_t ext = loadgen_rx_packet(&l->rx, seq, rtp_get32(pkt + 4), now);
  first_packet(l, now, "first packet");
  /* The spread matches one packet across listeners by its payload: a
   * server may rewrite sequence numbers and timestamps per listener (Janus
   * does), never the Opus payload. Only decrypting listeners see it. */
  uint32_t key;
  if (clear_len > 0 && ext >= 0 && *l->env.measuring &&
      loadgen_rtp_payload_key(pkt, (size_t)clear_len, &key))
    loadgen_spread_add(l->env.spread, key, now);
}

/* One datagram (not STUN) on the listener's socket, from libnice or the
 * rxloop; @at_us: its arrival, monotonic. */
static void
on_datagram(LoadgenListener *l, const uint8_t *in, size_t len, gint64 at_us)
{
  if (l->state < LOADGEN_LISTENER_CONNECTING || l->state == LOADGEN_LISTENER_FAILED)
    return;
  if (dtls_is_record(in, len)) {
    if (l->state == LOADGEN_LISTENER_CONNECTING)
      trace(l, "dtls record in");
    if (l->dtls)
      on_dtls_state(l, dtls_session_feed(l->dtls, in, len));
    return;
  }
  if (!l->srtp)
    return;
  if (len < RTP_HEADER_MIN || len > PACKET_MAX) {
    l->errors++;
    return;
  }
  if (rtp_is_rtcp(in, len))
    on_rtcp(l, in, len);
  else
    on_rtp(l, in, len, at_us);
}

static void
on_receive(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
           gpointer data)
{
  on_datagram(data, (const uint8_t *)buf, len, g_get_monotonic_time());
}

static gboolean
same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
  if (a->ss_family != b->ss_family)
    return FALSE;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return FALSE;
}

/* The kernel's receive time of @h in the monotonic clock, or @fallback. */
static gint64
arrival_us(const struct msghdr *h, gint64 real_to_mono, gint64 fallback)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000 + real_to_mono;
    }
  return fallback;
}

/* Reads every ready socket until it would block, RX_BATCH datagrams a call. */
static gboolean
rxloop_dispatch(gint fd, GIOCondition condition, gpointer data)
{
  LoadgenRxLoop *rx = data;
  struct epoll_event evs[RX_EVENTS];
  /* kernel timestamps are CLOCK_REALTIME; the rest of the run is monotonic */
  gint64 now_mono = g_get_monotonic_time();
  gint64 real_to_mono = now_mono - g_get_real_time();

  int n = epoll_wait(fd, evs, RX_EVENTS, 0);
  for (int i = 0; i < n; i++) {
    LoadgenListener *l = evs[i].data.ptr;
    int sfd = l->media_fd;
    for (;;) {
      for (unsigned j = 0; j < RX_BATCH; j++) {
        rx->msgs[j].msg_hdr.msg_namelen = sizeof rx->from[j];
        rx->msgs[j].msg_hdr.msg_controllen = sizeof rx->cmsg[j];
        rx->msgs[j].msg_hdr.msg_flags = 0;
      }
      int m = recvmmsg(sfd, rx->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
      if (m <= 0)
        break; /* EAGAIN, or an error (ICMP) that the call cleared */
      for (int k = 0; k < m; k++) {
        const struct msghdr *h = &rx->msgs[k].msg_hdr;
        size_t len = rx->msgs[k].msg_len;
        /* like libnice: only the selected remote; STUN (RFC 7983: 0..3) is
         * not media (the relay is ice-lite and sends no checks) */
        if (!same_address(&rx->from[k], &l->remote) || len == 0 || rx->bufs[k][0] < 4)
          continue;
        if (h->msg_flags & MSG_TRUNC) {
          l->errors++;
          continue;
        }
        on_datagram(l, rx->bufs[k], len, arrival_us(h, real_to_mono, now_mono));
      }
      if (m < RX_BATCH)
        break;
    }
  }
  return G_SOURCE_CONTINUE;
}

LoadgenRxLoop *
loadgen_rxloop_new(GMainContext *ctx, GError **error)
{
  LoadgenRxLoop *rx = g_new0(LoadgenRxLoop, 1);
  rx->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (rx->epfd < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "epoll: %s", g_strerror(e));
    g_free(rx);
    return NULL;
  }
  for (unsigned j = 0; j < RX_BATCH; j++) {
    rx->iov[j].iov_base = rx->bufs[j];
    rx->iov[j].iov_len = sizeof rx->bufs[j];
    rx->msgs[j].msg_hdr.msg_name = &rx->from[j];
    rx->msgs[j].msg_hdr.msg_iov = &rx->iov[j];
    rx->msgs[j].msg_hdr.msg_iovlen = 1;
    rx->msgs[j].msg_hdr.msg_control = rx->cmsg[j].buf;
  }
  rx->park = g_main_context_new();
  rx->source = g_unix_fd_source_new(rx->epfd, G_IO_IN);
  g_source_set_callback(rx->source, G_SOURCE_FUNC(rxloop_dispatch), rx, NULL);
  g_source_attach(rx->source, ctx);
  return rx;
}

void
loadgen_rxloop_free(LoadgenRxLoop *rx)
{
  if (!rx)
    return;
  loadgen_clear_source(&rx->source);
  close(rx->epfd);
  g_main_context_unref(rx->park);
  g_free(rx);
}

/* The ICE stream leaves the agent (whose timers walk every stream); our
 * dup of its socket keeps the port. Not from inside libnice's callback. */
static gboolean
on_release(gpointer data)
{
  LoadgenListener *l = data;
  g_source_unref(l->release_idle);
  l->release_idle = NULL;
  if (l->stream_id) {
    nice_agent_remove_stream(l->env.agent, l->stream_id);
    l->stream_id = 0;
  }
  return G_SOURCE_REMOVE;
}

/* The media phase: a dup of the selected pair's socket goes to the rxloop,
 * libnice's GSource for it to a context nobody iterates (libnice then never
 * reads it), then the stream leaves the agent; DTLS records and receiver
 * reports go out with sendto() to the selected remote address. If anything
 * is missing, libnice keeps the listener. */
static void
take_socket(LoadgenListener *l)
{
  LoadgenRxLoop *rx = l->env.rxloop;
  NiceCandidate *local = NULL, *remote = NULL;

  if (!rx || l->media_fd > 0 ||
      !nice_agent_get_selected_pair(l->env.agent, l->stream_id, 1, &local, &remote))
    return;
  GSocket *sock = nice_agent_get_selected_socket(l->env.agent, l->stream_id, 1);
  if (!sock)
    return;
  int fd = fcntl(g_socket_get_fd(sock), F_DUPFD_CLOEXEC, 3);
  g_object_unref(sock);
  if (fd < 0)
    return;
  memset(&l->remote, 0, sizeof l->remote);
  nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&l->remote);
  l->remote_len = l->remote.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0 ||
      epoll_ctl(rx->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    close(fd);
    return;
  }
  l->media_fd = fd;
  /* may run inside libnice's own receive callback: libnice checks whether
   * its source was destroyed meanwhile */
  nice_agent_attach_recv(l->env.agent, l->stream_id, 1, rx->park, NULL, NULL);
  /* not an idle priority: a busy loop (libnice's check timer) starves idles */
  l->release_idle = g_idle_source_new();
  g_source_set_priority(l->release_idle, G_PRIORITY_DEFAULT);
  g_source_set_callback(l->release_idle, on_release, l, NULL);
  g_source_attach(l->release_idle, l->env.ctx);
  trace(l, "media: rxloop");
}

LoadgenListener *
loadgen_listener_new(const LoadgenListenerEnv *env, unsigned index, gboolean decrypt)
{
  LoadgenListener *l = g_new0(LoadgenListener, 1);
  l->env = *env;
  l->index = index;
  l->decrypt = decrypt;
  l->ssrc = g_random_int();
  loadgen_rx_init(&l->rx);
  loadgen_rx_init(&l->rx_channel);
  return l;
}

void
loadgen_listener_free(LoadgenListener *l)
{
  if (!l)
    return;
  loadgen_clear_source(&l->dtls_timer);
  loadgen_clear_source(&l->join_timer);
  loadgen_clear_source(&l->release_idle);
  if (l->media_fd > 0) {
    epoll_ctl(l->env.rxloop->epfd, EPOLL_CTL_DEL, l->media_fd, NULL);
    close(l->media_fd);
  }
  if (l->stream_id) {
    nice_agent_attach_recv(l->env.agent, l->stream_id, 1, l->env.ctx, NULL, NULL);
    nice_agent_remove_stream(l->env.agent, l->stream_id);
  }
  dtls_session_free(l->dtls);
  srtp_link_free(l->srtp);
  if (l->rtp_rx)
    srtp_dealloc(l->rtp_rx);
  g_free(l->fail_reason);
  g_free(l);
}

guint
loadgen_listener_open(LoadgenListener *l)
{
  l->t_open_us = l->t_request_us = g_get_monotonic_time();
  l->join_timer = loadgen_timeout_on(l->env.ctx, (guint)(l->env.join_timeout_s * 1000), on_join_timeout, l);
  l->stream_id = nice_agent_add_stream(l->env.agent, 1);
  if (!l->stream_id) {
    fail(l, "ice_stream");
    return 0;
  }
  nice_agent_attach_recv(l->env.agent, l->stream_id, 1, l->env.ctx, on_receive, l);
  return l->stream_id;
}

void
loadgen_listener_gather(LoadgenListener *l)
{
  if (l->state != LOADGEN_LISTENER_IDLE || !l->stream_id)
    return;
  l->state = LOADGEN_LISTENER_GATHERING;
  /* gathering host candidates may report done before this returns */
  if (!nice_agent_gather_candidates(l->env.agent, l->stream_id))
    fail(l, "ice_gather");
}

/* Our SDP: an offer (actpass) for the relay, an answer (active) for a
 * server that offered. Transfer full, NULL on failure. */
static char *
print_sdp(LoadgenListener *l, const char *setup, const char *mid, int pt)
{
  g_autofree char *ufrag = NULL, *pwd = NULL;
  SdpCandidate cands[SDP_MAX_CANDIDATES];
  size_t n = 0;
  char buf[SDP_MAX];

  if (!nice_agent_get_local_credentials(l->env.agent, l->stream_id, &ufrag, &pwd))
    return NULL;
  GSList *list = nice_agent_get_local_candidates(l->env.agent, l->stream_id, 1);
  for (GSList *it = list; it && n < G_N_ELEMENTS(cands); it = it->next) {
    NiceCandidate *nc = it->data;
    if (nc->transport != NICE_CANDIDATE_TRANSPORT_UDP || nc->type != NICE_CANDIDATE_TYPE_HOST)
      continue;
    SdpCandidate *c = &cands[n++];
    memset(c, 0, sizeof *c);
    g_strlcpy(c->foundation, nc->foundation, sizeof c->foundation);
    c->component = 1;
    g_strlcpy(c->transport, "udp", sizeof c->transport);
    c->priority = nc->priority;
    nice_address_to_string(&nc->addr, c->address);
    c->port = (uint16_t)nice_address_get_port(&nc->addr);
    g_strlcpy(c->type, "host", sizeof c->type);
  }
  g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
  LoadgenSdpParams p = {
    .session_id = (uint64_t)g_random_int() << 31 | g_random_int(),
    .ice_ufrag = ufrag,
    .ice_pwd = pwd,
    .fingerprint = l->env.fingerprint,
    .setup = setup,
    .mid = mid,
    .payload_type = pt,
    .channel_mid = l->env.channel_track && !l->env.adapter->remote_offers ? "1" : NULL,
    .n_candidates = n,
    .candidates = cands,
  };
  int len = n ? loadgen_sdp_print(&p, buf, sizeof buf) : -1;
  return len > 0 ? g_strndup(buf, (gsize)len) : NULL;
}

static void
set_remote(LoadgenListener *l, const SdpOffer *remote)
{
  GSList *list = NULL;
  nice_agent_set_remote_credentials(l->env.agent, l->stream_id, remote->ice_ufrag,
                                    remote->ice_pwd);
  for (size_t i = 0; i < remote->n_candidates; i++) {
    const SdpCandidate *c = &remote->candidates[i];
    if (c->component != 1 || strcmp(c->transport, "udp") != 0)
      continue;
    NiceCandidate *nc = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
    if (!nice_address_set_from_string(&nc->addr, c->address)) {
      nice_candidate_free(nc);
      continue;
    }
    nice_address_set_port(&nc->addr, c->port);
    nc->stream_id = l->stream_id;
    nc->component_id = 1;
    nc->priority = c->priority;
    nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    g_strlcpy(nc->foundation, c->foundation, sizeof nc->foundation);
    list = g_slist_append(list, nc);
  }
  if (list)
    nice_agent_set_remote_candidates(l->env.agent, l->stream_id, 1, list);
  g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

static void
on_remote_sdp(const char *sdp, const char *error, void *user)
{
  LoadgenListener *l = user;
  g_autofree SdpOffer *remote = g_new0(SdpOffer, 1);
  const SdpMedia *audio = NULL;

  if (l->state != LOADGEN_LISTENER_SIGNALLING)
    return;
  if (!sdp) {
    g_autofree char *reason = g_strdup_printf("signalling: %s", error ? error : "no SDP");
    fail(l, reason);
    return;
  }
  if (l->env.trace && l->index == 0)
    g_printerr("loadgen: lg-0 remote SDP:\n%s", sdp);
  if (sdp_parse_offer(sdp, strlen(sdp), remote) < 0) {
    fail(l, "bad_remote_sdp");
    return;
  }
  for (size_t i = 0; i < remote->n_media && !audio; i++)
    if (strcmp(remote->media[i].media, "audio") == 0 && remote->media[i].opus_pt >= 0)
      audio = &remote->media[i];
  if (!audio || strcmp(remote->fingerprint_alg, "sha-256") != 0) {
    fail(l, "bad_remote_sdp");
    return;
  }
  /* the relay rejects a second track it was not allowed (tracks) */
  if (l->env.channel_track && loadgen_sdp_track_ssrc(sdp, "channel", &l->channel_ssrc) < 0) {
    fail(l, "no_channel_track_in_answer");
    return;
  }
  if (l->env.adapter->remote_offers) {
    g_autofree char *answer = print_sdp(l, "active", audio->mid, audio->opus_pt);
    if (!answer) {
      fail(l, "local_sdp");
      return;
    }
    if (l->env.trace && l->index == 0)
      g_printerr("loadgen: lg-0 answer:\n%s", answer);
    l->env.adapter->answer(l->env.adapter_self, l->index, answer);
  }
  /* RFC 8842: we are the DTLS client unless the remote side is active */
  l->is_client = remote->setup != SDP_SETUP_ACTIVE;
  l->dtls = dtls_session_new(l->env.dtls, !l->is_client, remote->fingerprint, send_datagram, l);
  if (!l->dtls) {
    fail(l, "dtls_session");
    return;
  }
  l->state = LOADGEN_LISTENER_CONNECTING;
  trace(l, "remote sdp");
  set_remote(l, remote);
}

void
loadgen_listener_gathered(LoadgenListener *l)
{
  if (l->state != LOADGEN_LISTENER_GATHERING)
    return;
  g_autofree char *offer = NULL;
  if (!l->env.adapter->remote_offers && !(offer = print_sdp(l, "actpass", "0", 111))) {
    fail(l, "local_sdp");
    return;
  }
  l->state = LOADGEN_LISTENER_SIGNALLING;
  l->joining = TRUE;
  trace(l, "gathered");
  if (l->env.clock_from_request)
    l->t_request_us = g_get_monotonic_time();
  l->env.adapter->join(l->env.adapter_self, l->index, offer, on_remote_sdp, l);
}

void
loadgen_listener_ice_state(LoadgenListener *l, NiceComponentState state)
{
  if (l->state != LOADGEN_LISTENER_CONNECTING)
    return;
  trace(l, nice_component_state_to_string(state));
  if (state == NICE_COMPONENT_STATE_FAILED) {
    fail(l, "ice_failed");
    return;
  }
  if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) &&
      l->is_client && !l->dtls_started) {
    l->dtls_started = TRUE;
    on_dtls_state(l, dtls_session_start(l->dtls));
  }
}

void
loadgen_listener_lost(LoadgenListener *l, const char *reason)
{
  g_autofree char *text = g_strdup_printf("lost: %s", reason ? reason : "?");
  fail(l, text);
}

void
loadgen_listener_send_report(LoadgenListener *l)
{
  uint8_t fraction;
  int32_t cumulative;

  if (l->left || !l->srtp || !l->rx.started)
    return;
  uint8_t *p = l->buf;
  /* a second block for the channel track once it carries something; the
   * relay sends sender reports for the floor's SSRC only (no LSR here) */
  gboolean two = l->env.channel_track && l->rx_channel.started;
  size_t rr_len = two ? 56 : 32;
  p[0] = two ? 0x82 : 0x81; /* V=2, one or two report blocks */
  p[1] = 201;
  p[2] = 0;
  p[3] = (uint8_t)(rr_len / 4 - 1);
  rtp_put32(p + 4, l->ssrc);
  rtp_put32(p + 8, l->media_ssrc);
  loadgen_rx_report(&l->rx, &fraction, &cumulative);
  rtp_put32(p + 12, (uint32_t)fraction << 24 | ((uint32_t)cumulative & 0xffffff));
  rtp_put32(p + 16, (uint32_t)l->rx.max_ext);
  rtp_put32(p + 20, (uint32_t)l->rx.jitter);
  rtp_put32(p + 24, l->lsr);
  gint64 dlsr = l->lsr ? (g_get_monotonic_time() - l->lsr_at_us) * 65536 / G_USEC_PER_SEC : 0;
  rtp_put32(p + 28, (uint32_t)dlsr);
  if (two) {
    rtp_put32(p + 32, l->channel_ssrc);
    loadgen_rx_report(&l->rx_channel, &fraction, &cumulative);
    rtp_put32(p + 36, (uint32_t)fraction << 24 | ((uint32_t)cumulative & 0xffffff));
    rtp_put32(p + 40, (uint32_t)l->rx_channel.max_ext);
    rtp_put32(p + 44, (uint32_t)l->rx_channel.jitter);
    rtp_put32(p + 48, 0);
    rtp_put32(p + 52, 0);
  }
  char cname[16];
  g_snprintf(cname, sizeof cname, "lg-%u", l->index);
  int m = rtcp_build_sdes_cname(p + rr_len, PACKET_MAX - rr_len, l->ssrc, cname);
  if (m < 0)
    return;
  int n = srtp_link_protect_rtcp(l->srtp, p, rr_len + (size_t)m, sizeof l->buf);
  if (n < 0 || send_packet(l, p, (size_t)n) != n)
    l->errors++;
}

void
loadgen_listener_begin_window(LoadgenListener *l)
{
  loadgen_rx_begin_window(&l->rx);
  loadgen_rx_begin_window(&l->rx_channel);
}

void
loadgen_listener_leave(LoadgenListener *l)
{
  if (l->left)
    return;
  l->left = TRUE;
  loadgen_clear_source(&l->join_timer);
  loadgen_clear_source(&l->dtls_timer);
  if (l->joining && l->env.adapter->leave)
    l->env.adapter->leave(l->env.adapter_self, l->index);
}

unsigned
loadgen_listener_index(const LoadgenListener *l)
{
  return l->index;
}

LoadgenListenerState
loadgen_listener_state(const LoadgenListener *l)
{
  return l->state;
}

const char *
loadgen_listener_fail_reason(const LoadgenListener *l)
{
  return l->fail_reason;
}

gboolean
loadgen_listener_decrypts(const LoadgenListener *l)
{
  return l->decrypt;
}

double
loadgen_listener_join_ms(const LoadgenListener *l)
{
  return l->t_first_us ? (double)(l->t_first_us - l->t_request_us) / 1000.0 : -1;
}

const LoadgenRxStats *
loadgen_listener_rx(const LoadgenListener *l)
{
  return &l->rx;
}

const LoadgenRxStats *
loadgen_listener_rx_track(const LoadgenListener *l, LoadgenTrack track)
{
  return track == LOADGEN_TRACK_CHANNEL ? &l->rx_channel : &l->rx;
}

guint64
loadgen_listener_errors(const LoadgenListener *l)
{
  return l->errors;
}
