/* SPDX-License-Identifier: Apache-2.0 */
/* rostrum-loadgen: one process simulating N receive-only WebRTC audio
 * listeners (libnice full ICE, DTLS client, SRTP) against a fan-out server,
 * reached through an adapter (the relay's control socket, Rostrum's
 * signalling, or Janus's Streaming plugin). */
#pragma once

#include <gio/gio.h>
#include <glib.h>

typedef struct {
  char *control_path; /* control: the relay's control socket */
  /* control: NULL for listeners with the floor track only; else they also
   * have a channel track (tracks ["floor","channel"]), pointed at this
   * product ("channel:fr") with listener.channel once peer.add answered */
  char *channel;
  char *url;          /* rostrum: https://127.0.0.1:8443 */
  char *badge_prefix; /* rostrum: "BENCH-" → BENCH-00001 for listener 0 */
  char *code;         /* rostrum: the roster's shared access code */
  char *janus_url;    /* janus: http://127.0.0.1:8088/janus */
  gint64 mountpoint;  /* janus: the Streaming mountpoint id */
  gboolean prelogin;  /* rostrum: every listener logs in before the timed joins */
  unsigned login_concurrency; /* rostrum, prelogin: logins in flight at most */
  gboolean trace;     /* log each signalling step on stderr (--verbose) */
} LoadgenAdapterArgs;

/* @sdp: the remote SDP (the answer; Janus's offer), or NULL and @error
 * (both borrowed). */
typedef void (*LoadgenSdpFunc)(const char *sdp, const char *error, void *user);
/* The server dropped listener @index on its own (relay peer.lost...). */
typedef void (*LoadgenLostFunc)(unsigned index, const char *reason, void *user);
/* prepare() is over; @summary: one line for the report, without the
 * "loadgen: " prefix (borrowed). */
typedef void (*LoadgenPreparedFunc)(const char *summary, void *user);

/* One way of asking a server to take a listener. All calls on the loop's
 * thread; callbacks come from the loop, never from inside the call. */
typedef struct {
  const char *name;
  gboolean remote_offers; /* the server offers and the listener answers */
  /* The summary's join_from=: the first step inside the join clock, which
   * starts at the listener's ICE stream ("login", "request"). */
  const char *join_from;
  /* The same after prepare(): the clock then starts at the join() call. */
  const char *join_from_prepared;
  /* Transfer full, free with destroy(). */
  gpointer (*create)(const LoadgenAdapterArgs *args, GMainContext *ctx, LoadgenLostFunc lost,
                     void *user, GError **error);
  /* Optional: untimed work for listeners 0..@n-1 before the first join
   * (rostrum --prelogin: log in and keep the tokens). Returns FALSE if the
   * args ask for none; else @done follows once, from the loop, and join()
   * for those listeners then starts at the server's join request. */
  gboolean (*prepare)(gpointer self, unsigned n, LoadgenPreparedFunc done, void *user);
  /* @offer: the listener's SDP (borrowed), NULL when remote_offers. */
  void (*join)(gpointer self, unsigned index, const char *offer, LoadgenSdpFunc done, void *user);
  /* remote_offers only: the listener's answer (borrowed). */
  void (*answer)(gpointer self, unsigned index, const char *answer);
  void (*leave)(gpointer self, unsigned index);
  /* Nothing is in flight any more (every leave acknowledged or failed). */
  gboolean (*idle)(gpointer self);
  void (*destroy)(gpointer self);
} LoadgenAdapterOps;

extern const LoadgenAdapterOps loadgen_adapter_control;
extern const LoadgenAdapterOps loadgen_adapter_rostrum;
extern const LoadgenAdapterOps loadgen_adapter_janus;

/* By name ("control", "rostrum", "janus"); NULL if unknown. Static. */
const LoadgenAdapterOps *loadgen_adapter_find(const char *name);

#define LOADGEN_MAX_SERVER_PIDS 4

typedef struct {
  unsigned listeners;
  double duration_s;     /* measurement window once every listener joined */
  double warmup_s;       /* wait this long after the last join before the window */
  double join_rate;      /* joins per second; 0: all at once */
  double join_timeout_s; /* per listener, request → first packet */
  unsigned decrypt_every; /* decrypt every K-th listener; 0: none, 1: all */
  const char *csv_path;   /* NULL: no CSV */
  const char *spread_csv_path; /* per sequence number: first arrival, spread */
  const LoadgenAdapterOps *adapter;
  LoadgenAdapterArgs adapter_args;
  int relay_pid;          /* > 0: sample its CPU and RSS over the window */
  /* The server's processes (relay, signalling...), whose CPU over the join
   * phase is summed into server CPU per join; 0-terminated, or empty
   * (then relay_pid alone). */
  int server_pids[LOADGEN_MAX_SERVER_PIDS + 1];
  unsigned ice_pacing_ms; /* libnice Ta for the whole agent */
  const char *ice_address; /* the one local ICE address, "127.0.0.1" by default */
  /* Every listener offers a second receive-only track (the relay's channel
   * track) and counts it apart; control adapter only (adapter_args.channel). */
  gboolean channel_track;
  gboolean verbose;
} LoadgenConfig;

/* Runs the benchmark on the thread-default main context. Returns the exit
 * code: 0 if every listener joined and received audio, 1 if not, 2 when it
 * could not start (then @error is set). */
int loadgen_run(const LoadgenConfig *cfg, GError **error);
