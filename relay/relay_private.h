/* SPDX-License-Identifier: Apache-2.0 */
/* What relay.c (peers, the control link) and relay_audio.c (the audio
 * engine's requests, levels) share. Not for other modules. */
#pragma once

#include <glib.h>

#include "audio/engine.h"
#include "control.h"
#include "control_server.h"
#include "dtls_cert.h"
#include "fanout.h"
#include "ice_lite.h"
#include "metrics.h"
#include "peer.h"
#include "relay.h"
#include "relay_venue.h"

/* What signalling announced about a peer, and what it hears now. */
typedef struct {
  char role[16];
  int booth;   /* interpreter: its booth's language index, else -1 */
  int mic;     /* its microphone in the engine, or -1 */
  int channel; /* what its channel track carries: a product, or FANOUT_NONE */
  gboolean lowbw;
  int lowbw_of; /* the product whose low-bandwidth encode it holds, or -1 */
  gboolean has_channel_track;
} PeerInfo;

struct Relay {
  const RelayConfig *cfg;
  GMainContext *ctx;
  IceLite *ice;
  DtlsCert *cert;
  DtlsContext *dtls;
  AudioEngine *engine;
  RelayVenue *venue; /* venue feed state, recording, venue outputs */
  Fanout *fanout;
  ControlServer *control;
  GHashTable *by_id; /* peer id → RelayPeer* (owned) */
  GHashTable *info;  /* peer id → PeerInfo* (owned) */
  MetricsServer *metrics;
  RelayPeerEnv env;
  guint report_timer, stats_timer, level_timer;
  /* the floor's clock, for sender reports */
  uint32_t last_rtp_ts;
  gint64 last_rtp_us;
  /* totals, including peers that are gone */
  guint64 floor_packets, peers_added, peers_lost;
  guint64 add_refused;
};

typedef char *(*RelayRequestHandler)(Relay *relay, const CtlMessage *msg);

/* Broadcasts an event (transfer none of @extra's members: copied). */
void relay_emit(Relay *relay, const char *event, const char *peer, JsonObject *extra);

/* Re-points @peer's two tracks from its PeerInfo (relay_audio.c): the
 * floor track carries its mix-minus while it speaks, its booth's input if
 * it interprets, else the floor; the channel track what it chose; a
 * low-bandwidth peer gets one track, from the low-bitrate encode. */
void relay_audio_point(Relay *relay, RelayPeer *peer, PeerInfo *info);
/* The peer goes: its low-bandwidth hold and its microphone (an
 * interpreter's booth then says its state: the demo's simulated
 * interpreter may be back). */
void relay_audio_forget(Relay *relay, PeerInfo *info);
/* booth.state for the booth an interpreter @info was just added to (the
 * demo's simulated interpreter leaves it). */
void relay_audio_booth_joined(Relay *relay, const PeerInfo *info);

/* The audio requests (docs/control.md, "The audio engine"), for the
 * relay's dispatch table: NULL when @type is not one of them. */
RelayRequestHandler relay_audio_handler(const char *type);

/* The venue requests (agenda.item; relay_venue.c), likewise. */
RelayRequestHandler relay_venue_handler(const char *type);

/* Level events every level_interval_ms. */
gboolean relay_audio_on_level_tick(gpointer relay);
/* The engine's part of /metrics. */
void relay_audio_metrics(Relay *relay, GString *out);
