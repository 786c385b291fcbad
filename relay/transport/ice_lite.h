/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's ICE-lite transport (RFC 8445 lite, RFC 7675 consent, RFC 6544
 * passive ICE-TCP): ONE UDP socket and one TCP listener per bind address,
 * shared by every peer and demultiplexed by STUN USERNAME (for checks) and
 * by source address (for everything else). STUN messages are parsed and
 * built with libnice's STUN library; libnice's agent is not used, since it
 * gives every peer its own socket and GSource, which made each wakeup of
 * the loop cost O(listeners) (measured in the fan-out benchmark).
 * Runs on the thread-default GMainContext. GError on set-up; the per-packet
 * path returns negative errno codes. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sdp.h"

typedef struct IceLite IceLite;
typedef struct IceStream IceStream;

typedef struct {
  /* a datagram that is not STUN, from an address this stream validated */
  void (*packet)(IceStream *stream, const uint8_t *data, size_t len, void *user);
  /* the first address validated (data can flow), or a newly nominated one */
  void (*route)(IceStream *stream, void *user);
} IceStreamEvents;

typedef struct {
  guint64 stun_ok;          /* checks answered */
  guint64 stun_unknown;     /* checks for no stream, or failing integrity */
  guint64 unknown_source;   /* non-STUN datagrams from unvalidated addresses */
  guint64 malformed;        /* broken STUN, TCP framing errors */
  guint64 tcp_connections;  /* accepted */
} IceLiteStats;

/* Binds UDP and TCP on @port (0: a free port, the same for all addresses
 * and both protocols when possible) of each address in @addresses.
 * @public_address: announced instead of the bound ones, or NULL.
 * Transfer full. */
IceLite *ice_lite_new(char *const *addresses, int port, gboolean tcp, const char *public_address,
                      GError **error);
void ice_lite_free(IceLite *ice);
const IceLiteStats *ice_lite_stats(const IceLite *ice);

/* A peer's ICE session with fresh local credentials. @remote_ufrag/pwd are
 * copied. Events come on the loop. Transfer full; free with
 * ice_stream_free(). */
IceStream *ice_stream_new(IceLite *ice, const char *remote_ufrag, const char *remote_pwd,
                          const IceStreamEvents *events, void *user);
void ice_stream_free(IceStream *s);
const char *ice_stream_local_ufrag(const IceStream *s);
const char *ice_stream_local_pwd(const IceStream *s);
/* ICE restart: new local credentials, the peer's new ones; routes stay
 * until the peer validates a new one. */
void ice_stream_restart(IceStream *s, const char *remote_ufrag, const char *remote_pwd);
/* Monotonic time of the last authenticated STUN check from the peer. */
gint64 ice_stream_last_check(const IceStream *s);

/* Host candidates of every bound address (UDP, and TCP passive). Returns
 * how many were written. */
size_t ice_lite_candidates(const IceLite *ice, SdpCandidate *out, size_t max);

/* Sends one datagram on the stream's route. Returns 0, -ENOTCONN without a
 * route, -EAGAIN when the socket is full, -EIO otherwise. */
int ice_stream_send(IceStream *s, const uint8_t *data, size_t len);

/* Asks the CPU to fetch what ice_stream_udp_route reads. Reads @s. */
void ice_stream_prefetch(const IceStream *s);

/* For batching: the UDP socket and address of the stream's route. Returns
 * FALSE for a TCP route or none (then use ice_stream_send()). The pointers
 * stay valid until the next event of this stream. */
gboolean ice_stream_udp_route(const IceStream *s, int *fd, const struct sockaddr **addr,
                              socklen_t *addrlen);
