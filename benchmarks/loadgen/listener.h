/* SPDX-License-Identifier: Apache-2.0 */
/* One simulated listener: an ICE stream on the load generator's shared
 * full-mode agent, a DTLS client (or server) session, SRTP keys, the
 * receive statistics and a receiver report every second. */
#pragma once

#include <agent.h>
#include <glib.h>

#include "dtls.h"
#include "loadgen.h"
#include "rxstats.h"

typedef struct LoadgenListener LoadgenListener;

/* The media phase's receive path: once a listener is keyed, its selected
 * pair's UDP socket (a dup) goes to one epoll set, read with recvmmsg() by
 * one GSource; libnice's GSource for it is parked on a context nobody
 * iterates and the ICE stream then leaves the agent (libnice's check timer
 * walks every stream of the agent on each tick). Keyed listeners cost
 * nothing while idle and a wake-up reads every ready socket in batches. */
typedef struct LoadgenRxLoop LoadgenRxLoop;

/* Transfer full; NULL and @error if epoll is unavailable. */
LoadgenRxLoop *loadgen_rxloop_new(GMainContext *ctx, GError **error);
/* After every listener using it was freed. */
void loadgen_rxloop_free(LoadgenRxLoop *rx);

typedef enum {
  LOADGEN_LISTENER_IDLE = 0,
  LOADGEN_LISTENER_GATHERING,
  LOADGEN_LISTENER_SIGNALLING, /* waiting for the remote SDP */
  LOADGEN_LISTENER_CONNECTING, /* ICE and DTLS */
  LOADGEN_LISTENER_KEYED,      /* SRTP keys, no packet yet */
  LOADGEN_LISTENER_JOINED,     /* audio arrived */
  LOADGEN_LISTENER_FAILED,
} LoadgenListenerState;

/* What every listener shares; all borrowed, outliving the listeners. */
typedef struct {
  NiceAgent *agent;
  GMainContext *ctx;
  DtlsContext *dtls;
  const char *fingerprint; /* ours, sha-256 */
  const LoadgenAdapterOps *adapter;
  gpointer adapter_self;
  LoadgenSpread *spread;    /* fed while *measuring */
  const gboolean *measuring;
  double join_timeout_s;
  /* The join clock starts at the adapter's join() call (after gathering),
   * not at loadgen_listener_open(): the adapter prepared the listeners */
  gboolean clock_from_request;
  gboolean trace; /* log each step of every join on stderr */
  void (*joined)(LoadgenListener *l, void *user);
  void (*failed)(LoadgenListener *l, const char *reason, void *user);
  void *user;
  LoadgenRxLoop *rxloop; /* NULL: libnice delivers the media too */
  /* Offer a second receive-only m-line (the relay's channel track) and
   * count what arrives on it apart, by the SSRC the answer gives it. */
  gboolean channel_track;
} LoadgenListenerEnv;

typedef enum {
  LOADGEN_TRACK_FLOOR = 0,
  LOADGEN_TRACK_CHANNEL,
} LoadgenTrack;

/* Transfer full. @decrypt: SRTP-decrypt every packet, else only count. */
LoadgenListener *loadgen_listener_new(const LoadgenListenerEnv *env, unsigned index,
                                      gboolean decrypt);
void loadgen_listener_free(LoadgenListener *l);

/* Opens the ICE stream: returns its id, 0 on failure (the listener is then
 * FAILED). The join timeout runs from here, and the join clock unless
 * env->clock_from_request. */
guint loadgen_listener_open(LoadgenListener *l);
/* Gathers; the join request follows when the agent reports gathering done
 * (loadgen_listener_gathered()), which may be before this returns. */
void loadgen_listener_gather(LoadgenListener *l);
void loadgen_listener_gathered(LoadgenListener *l);
void loadgen_listener_ice_state(LoadgenListener *l, NiceComponentState state);
/* The server dropped it. */
void loadgen_listener_lost(LoadgenListener *l, const char *reason);
/* An SRTCP receiver report (+ SDES) about the media source. */
void loadgen_listener_send_report(LoadgenListener *l);
void loadgen_listener_begin_window(LoadgenListener *l);
/* Asks the server to drop it and stops reporting. */
void loadgen_listener_leave(LoadgenListener *l);

unsigned loadgen_listener_index(const LoadgenListener *l);
LoadgenListenerState loadgen_listener_state(const LoadgenListener *l);
const char *loadgen_listener_fail_reason(const LoadgenListener *l);
gboolean loadgen_listener_decrypts(const LoadgenListener *l);
/* Join clock start (see clock_from_request) → first packet, ms; -1 if none
 * arrived. */
double loadgen_listener_join_ms(const LoadgenListener *l);
/* The floor track's (every packet's, with one track). */
const LoadgenRxStats *loadgen_listener_rx(const LoadgenListener *l);
/* One track's; the channel's stays empty without env->channel_track. */
const LoadgenRxStats *loadgen_listener_rx_track(const LoadgenListener *l, LoadgenTrack track);
/* SRTP authentication failures (decrypting listeners) and other errors. */
guint64 loadgen_listener_errors(const LoadgenListener *l);

/* GLib timers on @ctx, shared by the load generator's modules. */
GSource *loadgen_timeout_on(GMainContext *ctx, guint ms, GSourceFunc fn, gpointer data);
/* Destroys and unrefs *s if set, and clears it. */
void loadgen_clear_source(GSource **s);
