/* SPDX-License-Identifier: Apache-2.0 */
/* Which product goes to which listeners, in one place, keyed by product id
 * (the audio engine's numbers), and the per-packet walk that sends one
 * product packet to each of them: SRTP per listener into reused send
 * slots, sendmmsg batches per socket. A later edge relay is one more
 * subscriber of a product. Main loop thread only.
 *
 * A peer's track points at one product (or none). Pointing is remembered
 * for peers that are not connected yet; only attached (connected) peers are
 * walked. Re-pointing a connected track continues its sequence numbers and
 * timestamps (relay_peer_repoint): no renegotiation. */
#pragma once

#include <glib.h>

#include "peer.h"

#define FANOUT_NONE (-1)

typedef struct Fanout Fanout;

/* Products are 0..@n_products-1. Transfer full. */
Fanout *fanout_new(unsigned n_products);
void fanout_free(Fanout *f);

/* @peer's @track (RELAY_TRACK_FLOOR or RELAY_TRACK_CHANNEL) now carries
 * @product, or FANOUT_NONE. The peer is borrowed until fanout_forget(). */
void fanout_point(Fanout *f, RelayPeer *peer, RelayTrack track, int product);
int fanout_product_of(const Fanout *f, const RelayPeer *peer, RelayTrack track);
/* The peer is connected: its tracks start receiving. */
void fanout_attach(Fanout *f, RelayPeer *peer);
/* The peer goes away: no reference to it is kept. */
void fanout_forget(Fanout *f, RelayPeer *peer);

/* Sends @rtp (borrowed) of @product to every attached track pointing at it. */
void fanout_send(Fanout *f, int product, const uint8_t *rtp, size_t len);

/* Attached tracks receiving @product. */
unsigned fanout_listeners(const Fanout *f, int product);
/* Attached peers (a peer with two tracks counts once). */
unsigned fanout_peers(const Fanout *f);
/* Calls @fn for each attached peer (it may not change the fan-out). */
void fanout_foreach_peer(const Fanout *f, void (*fn)(RelayPeer *peer, void *user), void *user);
