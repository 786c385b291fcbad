/* SPDX-License-Identifier: Apache-2.0 */
#include "fanout.h"

#include <string.h>
#include <sys/socket.h>

#include "rtp.h"

#define SEND_BATCH 64
#define SEND_SLOT (1500 + SRTP_LINK_TRAILER)

typedef struct {
  RelayPeer *peer;
  RelayTrack track;
} Sub;

/* Where a peer's two tracks point, and their places in the products'
 * arrays while attached (for removal by swap with the last). */
typedef struct {
  RelayPeer *peer;
  int product[2];
  guint index[2];
  gboolean attached;
} PeerSubs;

/* Listeners whose datagrams wait for one sendmmsg on the same socket, each
 * in its own slot: the slots are reused batch after batch, so they stay in
 * cache (a buffer per listener would be a cold line per packet). */
typedef struct {
  int fd;
  unsigned n;
  size_t rtp_len;
  struct mmsghdr msgs[SEND_BATCH];
  struct iovec iov[SEND_BATCH];
  RelayPeer *who[SEND_BATCH];
  uint8_t slot[SEND_BATCH][SEND_SLOT];
} SendBatch;

struct Fanout {
  unsigned n_products;
  GArray **subs;      /* per product: Sub */
  GHashTable *peers;  /* RelayPeer* → PeerSubs* (owned) */
  unsigned attached;
  SendBatch *batch;
};

static int
slot_of(RelayTrack track)
{
  return track == RELAY_TRACK_CHANNEL ? 1 : 0;
}

Fanout *
fanout_new(unsigned n_products)
{
  Fanout *f = g_new0(Fanout, 1);
  f->n_products = n_products;
  f->subs = g_new0(GArray *, n_products);
  for (unsigned i = 0; i < n_products; i++)
    f->subs[i] = g_array_new(FALSE, FALSE, sizeof(Sub));
  f->peers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  f->batch = g_new0(SendBatch, 1);
  return f;
}

void
fanout_free(Fanout *f)
{
  if (!f)
    return;
  for (unsigned i = 0; i < f->n_products; i++)
    g_array_unref(f->subs[i]);
  g_free(f->subs);
  g_hash_table_destroy(f->peers);
  g_free(f->batch);
  g_free(f);
}

static PeerSubs *
subs_of(Fanout *f, RelayPeer *peer)
{
  PeerSubs *ps = g_hash_table_lookup(f->peers, peer);
  if (!ps) {
    ps = g_new0(PeerSubs, 1);
    ps->peer = peer;
    ps->product[0] = ps->product[1] = FANOUT_NONE;
    g_hash_table_insert(f->peers, peer, ps);
  }
  return ps;
}

static void
unlink_track(Fanout *f, PeerSubs *ps, int k)
{
  int p = ps->product[k];
  if (!ps->attached || p < 0)
    return;
  GArray *a = f->subs[p];
  guint i = ps->index[k], last = a->len - 1;
  if (i != last) { /* the last one takes this place */
    Sub moved = g_array_index(a, Sub, last);
    g_array_index(a, Sub, i) = moved;
    PeerSubs *other = g_hash_table_lookup(f->peers, moved.peer);
    other->index[slot_of(moved.track)] = i;
  }
  g_array_set_size(a, last);
}

static void
link_track(Fanout *f, PeerSubs *ps, int k)
{
  int p = ps->product[k];
  if (!ps->attached || p < 0)
    return;
  Sub s = {ps->peer, k ? RELAY_TRACK_CHANNEL : RELAY_TRACK_FLOOR};
  ps->index[k] = f->subs[p]->len;
  g_array_append_val(f->subs[p], s);
}

void
fanout_point(Fanout *f, RelayPeer *peer, RelayTrack track, int product)
{
  PeerSubs *ps = subs_of(f, peer);
  int k = slot_of(track);
  if (product >= (int)f->n_products)
    product = FANOUT_NONE;
  if (ps->product[k] == product)
    return;
  unlink_track(f, ps, k);
  ps->product[k] = product;
  link_track(f, ps, k);
  relay_peer_repoint(peer, track);
}

int
fanout_product_of(const Fanout *f, const RelayPeer *peer, RelayTrack track)
{
  PeerSubs *ps = g_hash_table_lookup(f->peers, peer);
  return ps ? ps->product[slot_of(track)] : FANOUT_NONE;
}

void
fanout_attach(Fanout *f, RelayPeer *peer)
{
  PeerSubs *ps = subs_of(f, peer);
  if (ps->attached)
    return;
  ps->attached = TRUE;
  f->attached++;
  link_track(f, ps, 0);
  link_track(f, ps, 1);
}

void
fanout_forget(Fanout *f, RelayPeer *peer)
{
  PeerSubs *ps = g_hash_table_lookup(f->peers, peer);
  if (!ps)
    return;
  unlink_track(f, ps, 0);
  unlink_track(f, ps, 1);
  if (ps->attached)
    f->attached--;
  g_hash_table_remove(f->peers, peer);
}

unsigned
fanout_listeners(const Fanout *f, int product)
{
  return product >= 0 && product < (int)f->n_products ? f->subs[product]->len : 0;
}

unsigned
fanout_peers(const Fanout *f)
{
  return f->attached;
}

void
fanout_foreach_peer(const Fanout *f, void (*fn)(RelayPeer *peer, void *user), void *user)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, f->peers);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    PeerSubs *ps = value;
    if (ps->attached)
      fn(ps->peer, user);
  }
}

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

/* One pass over the product's listeners: each gets the same packet
 * protected with its own keys; UDP datagrams leave in sendmmsg batches. */
void
fanout_send(Fanout *f, int product, const uint8_t *rtp, size_t len)
{
  if (product < 0 || product >= (int)f->n_products)
    return;
  SendBatch *b = f->batch;
  GArray *a = f->subs[product];
  const Sub *subs = (const Sub *)(void *)a->data;
  guint n = a->len;
  b->fd = -1;
  b->n = 0;
  b->rtp_len = len;
  for (guint i = 0; i < n; i++) {
    if (i + 4 < n) /* the walk's cache misses, fetched a few listeners ahead */
      relay_peer_prefetch(subs[i + 4].peer, -1);
    for (int stage = 0; stage < RELAY_PEER_PREFETCH_STAGES - 1; stage++)
      if (i + 3 - (guint)stage < n)
        relay_peer_prefetch(subs[i + 3 - (guint)stage].peer, stage);
    batch_protect(b, subs[i].peer, subs[i].track, rtp, len);
  }
  if (b->n > 0)
    batch_flush(b);
}
