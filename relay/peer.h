/* SPDX-License-Identifier: Apache-2.0 */
/* One remote WebRTC peer of the relay: its ICE stream on the relay's shared
 * ICE-lite agent, its DTLS session and its SRTP keys. A peer is created from
 * the browser's offer and writes the relay's answer. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "dtls.h"
#include "ice_lite.h"
#include "sdp.h"
#include "srtp_link.h"

typedef struct RelayPeer RelayPeer;

/* The audio a peer exchanges with the relay: up to two tracks it receives
 * (the floor, one language channel) and one it sends (its microphone). */
typedef enum {
  RELAY_TRACK_FLOOR,
  RELAY_TRACK_CHANNEL,
  RELAY_TRACK_MIC,
} RelayTrack;

/* What the relay knows of a peer's reception (RTCP receiver reports) and
 * traffic. Times are monotonic (g_get_monotonic_time()). */
typedef struct {
  guint64 packets_sent, octets_sent; /* RTP, octets of payload as in SR */
  guint64 rtcp_received;
  guint64 bad_received; /* undecryptable, malformed or replayed */
  guint64 dtls_dropped; /* of those, DTLS records refused (dtls_session_dropped()) */
  guint64 send_errors;  /* socket full or gone */
  guint8 fraction_lost; /* of 256, from the last report */
  gint32 cumulative_lost;
  double jitter_ms;
  double rtt_ms; /* -1 until a report echoes one of our SRs */
  gint64 last_heard_us; /* last authenticated packet from the peer */
  guint64 mic_packets;  /* authenticated RTP from the peer's microphone */
  int mic_level_dbov;   /* its last RFC 6464 level, -127..0; 1 when none */
} RelayPeerStats;

typedef struct {
  /* audio is flowing: DTLS done, fingerprint matched, SRTP keyed */
  void (*connected)(RelayPeer *peer, void *user);
  /* the peer failed or went away; the owner should free it (not from
   * inside this callback). @reason: "closed" (DTLS close_notify),
   * "dtls_failed", "fingerprint_mismatch", "timeout" (not connected in
   * time), "consent_expired". Static string. */
  void (*lost)(RelayPeer *peer, const char *reason, void *user);
  /* an authenticated microphone packet (@rtp borrowed: clear RTP); may be
   * NULL */
  void (*mic)(RelayPeer *peer, const uint8_t *rtp, size_t len, void *user);
} RelayPeerEvents;

/* What every peer shares; all borrowed and outliving the peers. */
typedef struct {
  IceLite *ice; /* the shared ICE-lite sockets */
  DtlsContext *dtls;
  const char *fingerprint; /* the relay's certificate, sha-256 */
  const char *dtls_role;      /* "auto", "passive" or "active" for an actpass offer */
  uint32_t floor_ssrc;
  uint32_t channel_ssrc;
  RelayPeerEvents events;
  void *user;
} RelayPeerEnv;

/* @allow: SDP_ALLOW_* (sdp.h), the tracks beyond the floor that signalling
 * granted. Opens an ICE stream for @offer and prints the answer into @answer
 * (transfer full, out). Returns NULL and sets @error if the offer cannot be
 * served. Transfer full: free with relay_peer_free(). */
RelayPeer *relay_peer_new(const RelayPeerEnv *env, const char *id, const char *participant,
                          const SdpOffer *offer, unsigned allow, char **answer, GError **error);
void relay_peer_free(RelayPeer *peer);

/* ICE restart (RFC 8445 9): new credentials from @offer, new local ones in
 * the returned answer (transfer full); DTLS and SRTP carry on. NULL and
 * @error if the offer changes the fingerprint or drops the audio. */
char *relay_peer_restart_ice(RelayPeer *peer, const SdpOffer *offer, GError **error);

const char *relay_peer_id(const RelayPeer *peer);
const char *relay_peer_participant(const RelayPeer *peer);
/* NULL until connected. Static string. */
const char *relay_peer_srtp_profile(const RelayPeer *peer);

const RelayPeerStats *relay_peer_stats(const RelayPeer *peer);

/* Sends a sender report (SR + SDES CNAME) for the floor stream: @rtp_ts is
 * the floor's RTP time now, @ntp the wall clock in NTP format. */
void relay_peer_send_report(RelayPeer *peer, uint32_t rtp_ts, uint64_t ntp);

/* A connected peer's housekeeping, once per report interval (the relay's
 * one timer, rather than a GSource per listener, which GLib would walk on
 * every loop iteration): frees the DTLS state DTLS_KEEP_S after the
 * handshake, and drops the peer ("consent_expired") if nothing
 * authenticated came from it (ICE consent checks or SRTCP) for
 * @timeout_us: RFC 7675 lets a sender keep sending only while the receiver
 * keeps consenting. Returns FALSE if it was dropped. */
gboolean relay_peer_tick(RelayPeer *peer, gint64 now_us, gint64 timeout_us);

/* Sending a floor or channel packet, in the fan-out's three steps for
 * batching with sendmmsg: protect a copy of @rtp into the caller's @buf
 * (@cap ≥ len + SRTP_LINK_TRAILER; returns its length, ≤ 0 when nothing is
 * to be sent), look up where it goes, then report whether it went. The
 * caller's buffers are reused batch after batch, so they stay in cache. */
/* The track will carry another product (the fan-out re-pointed it): its
 * next packet continues the track's sequence numbers and timestamps, with
 * the marker bit set, so the browser sees one stream (same SSRC, no
 * renegotiation). */
void relay_peer_repoint(RelayPeer *peer, RelayTrack track);

int relay_peer_protect_rtp(RelayPeer *peer, RelayTrack track, const uint8_t *rtp, size_t len,
                           uint8_t *buf, size_t cap);
/* The fan-out's pointer chase (peer → SRTP link → keys → cipher state,
 * peer → ICE route), one level per stage, so that a walk over thousands of
 * listeners does not wait on a cache miss at each level: call with stage
 * -1, 0, 1, 2 for the listeners 4, 3, 2, 1 places ahead. Stage -1 reads
 * nothing; each later stage reads only what the one before fetched. */
#define RELAY_PEER_PREFETCH_STAGES 4
void relay_peer_prefetch(const RelayPeer *peer, int stage);
/* Whether the peer negotiated @track. */
gboolean relay_peer_has_track(const RelayPeer *peer, RelayTrack track);
gboolean relay_peer_udp_route(const RelayPeer *peer, int *fd, const struct sockaddr **addr,
                              socklen_t *addrlen);
void relay_peer_count_sent(RelayPeer *peer, size_t rtp_len, gboolean ok);
/* Sends a datagram (borrowed) on the peer's route: 0 or a negative errno. */
int relay_peer_send_datagram(RelayPeer *peer, const uint8_t *data, size_t len);
