/* SPDX-License-Identifier: Apache-2.0 */
#include "ice_lite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>
#include <string.h>
#include <unistd.h>

#define DGRAM_MAX 1500
#define RECV_BATCH 32
#define TCP_FRAME_MAX 4096
#define TCP_CONN_MAX 4096
#define TCP_IDLE_US (10 * G_USEC_PER_SEC) /* unvalidated connections */
#define UFRAG_LEN 8
#define PWD_LEN 24

typedef struct {
  IceLite *ice;
  int fd;
  int index;
  int family;
  char address[64];
  GSource *source;
} UdpSocket;

typedef struct {
  IceLite *ice;
  int fd;
  GSource *source;
  char address[64];
} TcpListener;

typedef struct {
  IceLite *ice;
  int fd;
  GSource *source;
  IceStream *stream; /* once a check on it validated */
  gint64 opened_us;
  size_t len;
  uint8_t buf[TCP_FRAME_MAX + 2];
} TcpConn;

/* The address a datagram came from, on which of our sockets: the key that
 * routes non-STUN traffic to its stream. Compared bytewise. */
typedef struct {
  uint8_t sock;
  uint8_t family;
  uint16_t port;
  uint8_t ip[16];
} AddrKey;

typedef enum { ROUTE_NONE, ROUTE_UDP, ROUTE_TCP } RouteKind;

typedef struct {
  RouteKind kind;
  UdpSocket *udp;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  TcpConn *conn;
} Route;

struct IceStream {
  IceLite *ice;
  char local_ufrag[UFRAG_LEN + 1];
  char local_pwd[PWD_LEN + 1];
  char remote_ufrag[SDP_TOKEN_MAX + 1];
  char remote_pwd[SDP_TOKEN_MAX + 1];
  IceStreamEvents events;
  void *user;
  Route route;
  gboolean nominated;
  GArray *keys; /* AddrKey: this stream's entries in ice->by_addr */
  gint64 last_check;
};

struct IceLite {
  GPtrArray *udp;       /* UdpSocket* */
  GPtrArray *listeners; /* TcpListener* */
  GList *conns;         /* TcpConn* */
  guint n_conns;
  guint sweep_timer;
  int port;
  char *public_address;
  GHashTable *by_ufrag; /* local ufrag → IceStream* */
  GHashTable *by_addr;  /* AddrKey* (owned) → IceStream* */
  StunAgent stun;
  IceStream *validating; /* set by the integrity callback */
  uint64_t tie;
  IceLiteStats stats;
  /* receive batch */
  uint8_t rx[RECV_BATCH][DGRAM_MAX];
};

static const uint16_t known_attributes[] = {
  STUN_ATTRIBUTE_USERNAME,     STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_ERROR_CODE,
  STUN_ATTRIBUTE_PRIORITY,     STUN_ATTRIBUTE_USE_CANDIDATE,     STUN_ATTRIBUTE_ICE_CONTROLLED,
  STUN_ATTRIBUTE_ICE_CONTROLLING, STUN_ATTRIBUTE_FINGERPRINT,   STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
  STUN_ATTRIBUTE_SOFTWARE,     STUN_ATTRIBUTE_NOMINATION,        0,
};

static guint
addr_key_hash(gconstpointer p)
{
  const AddrKey *k = p;
  guint h = k->sock * 31u + k->family * 7u + k->port;
  for (size_t i = 0; i < sizeof k->ip; i++)
    h = h * 33u + k->ip[i];
  return h;
}

static gboolean
addr_key_equal(gconstpointer a, gconstpointer b)
{
  return memcmp(a, b, sizeof(AddrKey)) == 0;
}

static void
make_key(AddrKey *k, int sock, const struct sockaddr_storage *ss)
{
  memset(k, 0, sizeof *k);
  k->sock = (uint8_t)sock;
  k->family = (uint8_t)ss->ss_family;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
    k->port = in->sin_port;
    memcpy(k->ip, &in->sin_addr, 4);
  } else {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    k->port = in6->sin6_port;
    memcpy(k->ip, &in6->sin6_addr, 16);
  }
}

const IceLiteStats *
ice_lite_stats(const IceLite *ice)
{
  return &ice->stats;
}

const char *
ice_stream_local_ufrag(const IceStream *s)
{
  return s->local_ufrag;
}

const char *
ice_stream_local_pwd(const IceStream *s)
{
  return s->local_pwd;
}

gint64
ice_stream_last_check(const IceStream *s)
{
  return s->last_check;
}

/* ---- STUN ---- */

static bool
validate_username(StunAgent *agent, StunMessage *msg, uint8_t *username, uint16_t len,
                  uint8_t **password, size_t *password_len, void *data)
{
  IceLite *ice = data;
  char local[UFRAG_LEN + 1];
  const uint8_t *colon = memchr(username, ':', len);
  /* "relay-ufrag:peer-ufrag" (RFC 8445 7.2.2) */
  if (!colon || colon - username != UFRAG_LEN)
    return false;
  memcpy(local, username, UFRAG_LEN);
  local[UFRAG_LEN] = '\0';
  IceStream *s = g_hash_table_lookup(ice->by_ufrag, local);
  size_t rlen = (size_t)(len - UFRAG_LEN - 1);
  if (!s || rlen != strlen(s->remote_ufrag) || memcmp(colon + 1, s->remote_ufrag, rlen) != 0)
    return false;
  ice->validating = s;
  *password = (uint8_t *)s->local_pwd;
  *password_len = PWD_LEN;
  return true;
}

static void
set_route(IceStream *s, const Route *r, gboolean nominate)
{
  gboolean same = s->route.kind == r->kind &&
                  (r->kind == ROUTE_TCP ? s->route.conn == r->conn
                                        : s->route.udp == r->udp && s->route.addrlen == r->addrlen &&
                                              memcmp(&s->route.addr, &r->addr, r->addrlen) == 0);
  /* the first validated address carries data at once (a browser starts
   * DTLS before it nominates); a nomination then decides */
  if (same || (s->route.kind != ROUTE_NONE && !nominate))
    return;
  s->route = *r;
  s->nominated = s->nominated || nominate;
  s->events.route(s, s->user);
}

static void
remember_udp(IceStream *s, const Route *r)
{
  AddrKey k;
  make_key(&k, r->udp->index, &r->addr);
  IceStream *owner = g_hash_table_lookup(s->ice->by_addr, &k);
  if (owner == s)
    return;
  g_hash_table_replace(s->ice->by_addr, g_memdup2(&k, sizeof k), s);
  g_array_append_val(s->keys, k);
}

/* Answers an ICE check; on success the sender's address becomes a route of
 * the stream. @reply receives the response to send (or len 0). */
static IceStream *
handle_stun(IceLite *ice, const uint8_t *buf, size_t len, const Route *from, uint8_t *reply,
            size_t *reply_len)
{
  StunMessage req, msg;
  bool control = false;
  *reply_len = 0;
  if (stun_message_validate_buffer_length(buf, len, true) != (int)len) {
    ice->stats.malformed++;
    return NULL;
  }
  ice->validating = NULL;
  StunValidationStatus v =
      stun_agent_validate(&ice->stun, &req, buf, len, validate_username, ice);
  IceStream *s = ice->validating;
  if (v != STUN_VALIDATION_SUCCESS || !s) {
    /* unknown user or bad integrity: no answer, no amplification */
    ice->stats.stun_unknown++;
    return NULL;
  }
  if (stun_message_get_class(&req) != STUN_REQUEST ||
      stun_message_get_method(&req) != STUN_BINDING)
    return NULL;
  *reply_len = DGRAM_MAX;
  StunUsageIceReturn rc = stun_usage_ice_conncheck_create_reply(
      &ice->stun, &req, &msg, reply, reply_len, &from->addr, from->addrlen, &control, ice->tie,
      STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  if (rc != STUN_USAGE_ICE_RETURN_SUCCESS) {
    /* a role conflict would need us controlling: a lite agent never is */
    if (rc != STUN_USAGE_ICE_RETURN_ROLE_CONFLICT)
      *reply_len = 0;
    return NULL;
  }
  ice->stats.stun_ok++;
  s->last_check = g_get_monotonic_time();
  if (from->kind == ROUTE_UDP)
    remember_udp(s, from);
  else
    from->conn->stream = s;
  set_route(s, from, stun_usage_ice_conncheck_use_candidate(&req));
  return s;
}

static gboolean
is_stun(const uint8_t *buf, size_t len)
{
  /* RFC 7983: 0..3, and the RFC 5389 magic cookie */
  return len >= 20 && buf[0] < 4 && buf[4] == 0x21 && buf[5] == 0x12 && buf[6] == 0xA4 &&
         buf[7] == 0x42;
}

/* ---- UDP ---- */

static void
on_udp_datagram(UdpSocket *u, const uint8_t *buf, size_t len, const struct sockaddr_storage *from,
                socklen_t fromlen)
{
  IceLite *ice = u->ice;
  if (is_stun(buf, len)) {
    Route r = {.kind = ROUTE_UDP, .udp = u, .addrlen = fromlen};
    uint8_t reply[DGRAM_MAX];
    size_t n;
    memcpy(&r.addr, from, fromlen);
    handle_stun(ice, buf, len, &r, reply, &n);
    if (n > 0)
      sendto(u->fd, reply, n, MSG_DONTWAIT, (const struct sockaddr *)from, fromlen);
    return;
  }
  AddrKey k;
  make_key(&k, u->index, from);
  IceStream *s = g_hash_table_lookup(ice->by_addr, &k);
  if (!s) {
    ice->stats.unknown_source++;
    return;
  }
  s->events.packet(s, buf, len, s->user);
}

static gboolean
on_udp_readable(gint fd, GIOCondition cond, gpointer data)
{
  UdpSocket *u = data;
  IceLite *ice = u->ice;
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  struct sockaddr_storage from[RECV_BATCH];

  /* bounded: a flood yields to the rest of the loop after a few batches */
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < RECV_BATCH; i++) {
      iov[i] = (struct iovec){ice->rx[i], DGRAM_MAX};
      msgs[i].msg_hdr = (struct msghdr){
        .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      break;
    for (int i = 0; i < n; i++)
      if (!(msgs[i].msg_hdr.msg_flags & MSG_TRUNC))
        on_udp_datagram(u, ice->rx[i], msgs[i].msg_len, &from[i], msgs[i].msg_hdr.msg_namelen);
    if (n < RECV_BATCH)
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- TCP (RFC 6544 passive, RFC 4571 framing) ---- */

static void
conn_close(TcpConn *c)
{
  IceLite *ice = c->ice;
  /* a stream routed over this connection loses its route */
  if (c->stream && c->stream->route.kind == ROUTE_TCP && c->stream->route.conn == c)
    c->stream->route.kind = ROUTE_NONE;
  ice->conns = g_list_remove(ice->conns, c);
  ice->n_conns--;
  g_source_destroy(c->source);
  g_source_unref(c->source);
  close(c->fd);
  g_free(c);
}

static int
conn_send(TcpConn *c, const uint8_t *data, size_t len)
{
  uint8_t head[2] = {(uint8_t)(len >> 8), (uint8_t)len};
  struct iovec iov[2] = {{head, 2}, {(void *)data, len}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t n = sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n == (ssize_t)(len + 2))
    return 0;
  /* a partial frame would desynchronise the stream: drop the connection
   * (audio at 32 kb/s only fills a socket buffer on a dead link) */
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return -EAGAIN;
  return -EIO;
}

static gboolean
conn_frame(TcpConn *c, const uint8_t *frame, size_t len)
{
  IceLite *ice = c->ice;
  if (is_stun(frame, len)) {
    Route r = {.kind = ROUTE_TCP, .conn = c};
    socklen_t alen = sizeof r.addr;
    uint8_t reply[DGRAM_MAX];
    size_t n;
    getpeername(c->fd, (struct sockaddr *)&r.addr, &alen);
    r.addrlen = alen;
    handle_stun(ice, frame, len, &r, reply, &n);
    return n == 0 || conn_send(c, reply, n) == 0;
  }
  if (!c->stream) {
    ice->stats.unknown_source++;
    return TRUE;
  }
  c->stream->events.packet(c->stream, frame, len, c->stream->user);
  return TRUE;
}

static gboolean
on_conn_readable(gint fd, GIOCondition cond, gpointer data)
{
  TcpConn *c = data;
  ssize_t n = recv(fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    conn_close(c);
    return G_SOURCE_REMOVE;
  }
  if (n < 0)
    return G_SOURCE_CONTINUE;
  c->len += (size_t)n;
  size_t off = 0;
  while (c->len - off >= 2) {
    size_t flen = (size_t)(c->buf[off] << 8 | c->buf[off + 1]);
    if (flen == 0 || flen > TCP_FRAME_MAX) {
      c->ice->stats.malformed++;
      conn_close(c);
      return G_SOURCE_REMOVE;
    }
    if (c->len - off < flen + 2)
      break;
    if (!conn_frame(c, c->buf + off + 2, flen)) {
      conn_close(c);
      return G_SOURCE_REMOVE;
    }
    off += flen + 2;
  }
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_listener_readable(gint fd, GIOCondition cond, gpointer data)
{
  TcpListener *l = data;
  IceLite *ice = l->ice;
  for (int i = 0; i < 16; i++) {
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
      break;
    if (ice->n_conns >= TCP_CONN_MAX) {
      close(cfd);
      continue;
    }
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    TcpConn *c = g_new0(TcpConn, 1);
    c->ice = ice;
    c->fd = cfd;
    c->opened_us = g_get_monotonic_time();
    c->source = g_unix_fd_source_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(c->source, (GSourceFunc)(void (*)(void))on_conn_readable, c, NULL);
    g_source_attach(c->source, NULL);
    ice->conns = g_list_prepend(ice->conns, c);
    ice->n_conns++;
    ice->stats.tcp_connections++;
  }
  return G_SOURCE_CONTINUE;
}

/* Connections that never carried a valid check are closed after a while:
 * garbage over TCP must not hold sockets forever. */
static gboolean
on_sweep(gpointer data)
{
  IceLite *ice = data;
  gint64 now = g_get_monotonic_time();
  for (GList *l = ice->conns; l;) {
    TcpConn *c = l->data;
    l = l->next;
    if (!c->stream && now - c->opened_us > TCP_IDLE_US)
      conn_close(c);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- set-up ---- */

static int
open_socket(const char *address, int type, int port, struct sockaddr_storage *bound, int *family,
            GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
  struct sockaddr_storage ss;
  socklen_t len;
  int fd, one = 1;

  if (!inet) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "[relay] bind_address '%s' is not an IP address", address);
    return -1;
  }
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(inet, (guint16)port);
  len = (socklen_t)g_socket_address_get_native_size(sa);
  g_socket_address_to_native(sa, &ss, sizeof ss, NULL);
  *family = ss.ss_family;
  fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto fail;
  if (type == SOCK_STREAM)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (type == SOCK_STREAM && listen(fd, 256) < 0))
    goto fail;
  len = sizeof *bound;
  getsockname(fd, (struct sockaddr *)bound, &len);
  return fd;

fail:
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot bind %s %s:%d: %s",
              type == SOCK_STREAM ? "TCP" : "UDP", address, port, g_strerror(errno));
  if (fd >= 0)
    close(fd);
  return -1;
}

static int
sockaddr_port(const struct sockaddr_storage *ss)
{
  return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                        : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void
udp_free(UdpSocket *u)
{
  if (u->source) {
    g_source_destroy(u->source);
    g_source_unref(u->source);
  }
  close(u->fd);
  g_free(u);
}

static void
listener_free(TcpListener *l)
{
  if (l->source) {
    g_source_destroy(l->source);
    g_source_unref(l->source);
  }
  close(l->fd);
  g_free(l);
}

static GSource *
watch(int fd, GSourceFunc func, gpointer data)
{
  GSource *src = g_unix_fd_source_new(fd, G_IO_IN);
  g_source_set_callback(src, func, data, NULL);
  g_source_attach(src, NULL);
  return src;
}

IceLite *
ice_lite_new(char *const *addresses, int port, gboolean tcp, const char *public_address,
             GError **error)
{
  IceLite *ice = g_new0(IceLite, 1);
  struct sockaddr_storage bound;
  int family;

  ice->udp = g_ptr_array_new_with_free_func((GDestroyNotify)udp_free);
  ice->listeners = g_ptr_array_new_with_free_func((GDestroyNotify)listener_free);
  ice->by_ufrag = g_hash_table_new(g_str_hash, g_str_equal);
  ice->by_addr = g_hash_table_new_full(addr_key_hash, addr_key_equal, g_free, NULL);
  ice->public_address = public_address && *public_address ? g_strdup(public_address) : NULL;
  ice->tie = ((uint64_t)g_random_int() << 32) | g_random_int();
  ice->port = port;
  stun_agent_init(&ice->stun, known_attributes, STUN_COMPATIBILITY_RFC5389,
                  STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
  for (char *const *a = addresses; *a; a++) {
    int fd = open_socket(*a, SOCK_DGRAM, ice->port, &bound, &family, error);
    if (fd < 0)
      goto fail;
    if (ice->port == 0)
      ice->port = sockaddr_port(&bound);
    UdpSocket *u = g_new0(UdpSocket, 1);
    u->ice = ice;
    u->fd = fd;
    u->family = family;
    u->index = (int)ice->udp->len;
    g_strlcpy(u->address, *a, sizeof u->address);
    int size = 4 << 20; /* room for a burst of the whole fan-out */
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    u->source = watch(fd, (GSourceFunc)(void (*)(void))on_udp_readable, u);
    g_ptr_array_add(ice->udp, u);
    if (!tcp)
      continue;
    fd = open_socket(*a, SOCK_STREAM, ice->port, &bound, &family, error);
    if (fd < 0)
      goto fail;
    TcpListener *l = g_new0(TcpListener, 1);
    l->ice = ice;
    l->fd = fd;
    g_strlcpy(l->address, *a, sizeof l->address);
    l->source = watch(fd, (GSourceFunc)(void (*)(void))on_listener_readable, l);
    g_ptr_array_add(ice->listeners, l);
  }
  ice->sweep_timer = g_timeout_add_seconds(5, on_sweep, ice);
  return ice;

fail:
  ice_lite_free(ice);
  return NULL;
}

void
ice_lite_free(IceLite *ice)
{
  if (!ice)
    return;
  while (ice->conns)
    conn_close(ice->conns->data);
  if (ice->sweep_timer)
    g_source_remove(ice->sweep_timer);
  g_ptr_array_unref(ice->udp);
  g_ptr_array_unref(ice->listeners);
  g_hash_table_destroy(ice->by_ufrag);
  g_hash_table_destroy(ice->by_addr);
  g_free(ice->public_address);
  g_free(ice);
}

static void
fill_candidate(const IceLite *ice, SdpCandidate *c, const char *transport, guint index,
               uint32_t type_pref, const char *address)
{
  memset(c, 0, sizeof *c);
  g_snprintf(c->foundation, sizeof c->foundation, "%c%u", transport[0], index);
  c->component = 1;
  g_strlcpy(c->transport, transport, sizeof c->transport);
  c->priority = (type_pref << 24) | ((65535u - index) << 8) | 255u;
  g_strlcpy(c->address, ice->public_address ? ice->public_address : address, sizeof c->address);
  c->port = (uint16_t)ice->port;
  g_strlcpy(c->type, "host", sizeof c->type);
}

size_t
ice_lite_candidates(const IceLite *ice, SdpCandidate *out, size_t max)
{
  size_t n = 0;
  /* RFC 8445 5.1.2.1: host type preference 126; TCP below every UDP
   * candidate, to be used only where UDP is blocked */
  for (guint i = 0; i < ice->udp->len && n < max; i++)
    fill_candidate(ice, &out[n++], "udp", i, 126,
                   ((const UdpSocket *)ice->udp->pdata[i])->address);
  for (guint i = 0; i < ice->listeners->len && n < max; i++)
    fill_candidate(ice, &out[n++], "tcp", i, 90,
                   ((const TcpListener *)ice->listeners->pdata[i])->address);
  return n;
}

/* ---- streams ---- */

static void
random_token(char *out, size_t n)
{
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[g_random_int_range(0, 64)];
  out[n] = '\0';
}

static void
new_credentials(IceStream *s)
{
  do {
    random_token(s->local_ufrag, UFRAG_LEN);
  } while (g_hash_table_contains(s->ice->by_ufrag, s->local_ufrag));
  random_token(s->local_pwd, PWD_LEN);
  g_hash_table_insert(s->ice->by_ufrag, s->local_ufrag, s);
}

IceStream *
ice_stream_new(IceLite *ice, const char *remote_ufrag, const char *remote_pwd,
               const IceStreamEvents *events, void *user)
{
  IceStream *s = g_new0(IceStream, 1);
  s->ice = ice;
  s->events = *events;
  s->user = user;
  s->keys = g_array_new(FALSE, FALSE, sizeof(AddrKey));
  g_strlcpy(s->remote_ufrag, remote_ufrag, sizeof s->remote_ufrag);
  g_strlcpy(s->remote_pwd, remote_pwd, sizeof s->remote_pwd);
  new_credentials(s);
  return s;
}

void
ice_stream_restart(IceStream *s, const char *remote_ufrag, const char *remote_pwd)
{
  g_hash_table_remove(s->ice->by_ufrag, s->local_ufrag);
  g_strlcpy(s->remote_ufrag, remote_ufrag, sizeof s->remote_ufrag);
  g_strlcpy(s->remote_pwd, remote_pwd, sizeof s->remote_pwd);
  s->nominated = FALSE;
  new_credentials(s);
}

void
ice_stream_free(IceStream *s)
{
  if (!s)
    return;
  IceLite *ice = s->ice;
  g_hash_table_remove(ice->by_ufrag, s->local_ufrag);
  for (guint i = 0; i < s->keys->len; i++) {
    AddrKey *k = &g_array_index(s->keys, AddrKey, i);
    if (g_hash_table_lookup(ice->by_addr, k) == s)
      g_hash_table_remove(ice->by_addr, k);
  }
  for (GList *l = ice->conns; l; l = l->next) {
    TcpConn *c = l->data;
    if (c->stream == s)
      c->stream = NULL; /* swept later unless another check claims it */
  }
  g_array_unref(s->keys);
  g_free(s);
}

int
ice_stream_send(IceStream *s, const uint8_t *data, size_t len)
{
  switch (s->route.kind) {
  case ROUTE_UDP: {
    ssize_t n = sendto(s->route.udp->fd, data, len, MSG_DONTWAIT,
                       (const struct sockaddr *)&s->route.addr, s->route.addrlen);
    if (n == (ssize_t)len)
      return 0;
    return (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ? -EAGAIN : -EIO;
  }
  case ROUTE_TCP: {
    int rc = conn_send(s->route.conn, data, len);
    if (rc == -EIO)
      conn_close(s->route.conn); /* clears the route */
    return rc;
  }
  default:
    return -ENOTCONN;
  }
}

void
ice_stream_prefetch(const IceStream *s)
{
  __builtin_prefetch(&s->route);
  __builtin_prefetch(s->route.udp);
}

gboolean
ice_stream_udp_route(const IceStream *s, int *fd, const struct sockaddr **addr, socklen_t *addrlen)
{
  if (s->route.kind != ROUTE_UDP)
    return FALSE;
  *fd = s->route.udp->fd;
  *addr = (const struct sockaddr *)&s->route.addr;
  *addrlen = s->route.addrlen;
  return TRUE;
}
