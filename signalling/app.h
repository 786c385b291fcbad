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
#include "sigconfig.h"
#include "venue.h"

#include <glib.h>

struct lws_context;
struct lws_vhost;

typedef struct SigApp {
  SigConfig *cfg;             /* owned */
  Roster *roster;             /* owned */
  Venue *venue;               /* owned */
  AttendanceLog *attendance;  /* owned */
  AttendanceQueue *journal;   /* owned: group commit into attendance */
  RateLimit *limiter;         /* owned */
  RelayClient *relay;         /* owned */
  guint8 *token_key;          /* owned */
  gsize token_key_len;
  char *turn_secret; /* coturn static-auth-secret, or NULL without TURN */
  char *dummy_hash;           /* owned; verified for unknown badges */
  LoginContext login;         /* borrows the fields above */
  GHashTable *peers;          /* peer id -> WsConn* (borrowed), joined peers */

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
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SigApp, sig_app_free)
