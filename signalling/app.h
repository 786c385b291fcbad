/* SPDX-License-Identifier: Apache-2.0 */
/* The signalling daemon's state: config, roster, venue, attendance log,
 * login limiter, relay link and the lws context. One per process, owned by
 * main.c; everything runs on the GLib main loop thread. GError idiom. */
#pragma once

#include "attendance.h"
#include "attendance_queue.h"
#include "login.h"
#include "ratelimit.h"
#include "relay_client.h"
#include "roster.h"
#include "roster_sync.h"
#include "sigconfig.h"
#include "live.h"
#include "meeting.h"
#include "speakers.h"

#include <glib.h>

struct lws_context;
struct lws_vhost;

typedef struct SigApp {
  SigConfig *cfg;             /* owned */
  Roster *roster;             /* owned (a reference): swapped by roster_sync */
  RosterSync *roster_sync;    /* owned: follows rostrum-admin's changes */
  Meeting *meeting;           /* owned: config/meetings/<name>.json */
  Live live;                  /* the session, open/closed, the agenda item */
  Speakers *speakers;         /* owned: the speakers' list */
  GPtrArray *booths;          /* owned: Booth* (relay/audio/booth.h), the meeting's
                               * booths in its language order */
  GHashTable *conns;          /* WsConn* set (borrowed): every open WebSocket */
  guint console_timer;        /* booth time-outs, throttled pushes */
  gboolean participants_dirty; /* push the participant list at the next tick */
  GHashTable *levels;         /* product or badge -> JsonNode* (owned): relay levels */
  gboolean levels_dirty;
  GHashTable *relay_states;   /* "venue.state"/"recording.state" -> JsonNode* (owned):
                               * the last of each, for the operator */
  GHashTable *sim_live;       /* booth code -> peer id (both owned): the relay's
                               * simulated interpreter live there ([relay]
                               * sim_booths, the demo's), from booth.state */
  AttendanceLog *attendance;  /* owned */
  AttendanceQueue *journal;   /* owned: group commit into attendance */
  RateLimit *limiter;         /* owned: login failures per badge */
  RateLimit *addr_limiter;    /* owned: login failures per client address */
  RelayClient *relay;         /* owned */
  guint8 *token_key;          /* owned */
  gsize token_key_len;
  char *turn_secret; /* coturn static-auth-secret, or NULL without TURN */
  char *dummy_hash;           /* owned; verified for unknown badges */
  LoginContext login;         /* borrows the fields above */
  GHashTable *peers;          /* peer id -> WsConn*: seats joining or joined; a seat
                               * adopted after a restart (no WebSocket yet) is owned
                               * by this table, the others are borrowed */
  GHashTable *present;        /* peer id -> participant (owned): the relay's peers,
                               * collected while a peer.list is in flight */
  gboolean listing;           /* a peer.list is in flight */
  gboolean reconciled;        /* seats match the relay's peers (resume allowed) */
  gboolean shutting_down;     /* closing WebSockets keep their seats for the next process */
  guint relay_down_timer;     /* the relay link is down: end the seats when it fires */
  char **origins;             /* owned: allowed Origin values (web origin check) */

  GMainLoop *loop;            /* borrowed */
  void *foreign_loops[1];     /* lws wants an array that outlives the context */
  struct lws_context *lws;    /* owned */
  GThreadPool *hash_pool;     /* owned: PBKDF2 checks of logins, off the loop */
  struct lws_vhost *vhost;    /* owned by lws */
  int port;                   /* the real listening port */
} SigApp;

/* Loads roster, venue, secrets (created at first start), opens the database
 * and starts the relay link. Returns the app (transfer full) or NULL. Does
 * not listen yet: see server_start(). @cfg is taken (transfer full). */
SigApp *sig_app_new(SigConfig *cfg, GMainLoop *loop, GError **error);
void sig_app_free(SigApp *app);

/* Computes the allowed web origins once the port is known (server_start):
 * [signalling] public_origins, or else https://<listen_address>:<port> and
 * its loopback aliases. */
void sig_app_set_origins(SigApp *app);
/* TRUE if @origin (an Origin header value, may be NULL) is allowed.
 * "null" and a missing Origin never are. */
gboolean sig_app_origin_allowed(const SigApp *app, const char *origin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SigApp, sig_app_free)
