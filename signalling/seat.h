/* SPDX-License-Identifier: Apache-2.0 */
/* One WebSocket connection and the seat it holds (ws.c), shared with the
 * meeting's handlers (console.c). Loop thread only.
 *
 * Ownership: lws's per-session data points at the WsConn; relay requests in
 * flight hold a reference, so a reply that arrives after the socket closed
 * finds wsi == NULL and cleans up instead. SigApp.conns lists every open
 * connection (borrowed); SigApp.peers the seats (see app.h). */
#pragma once

#include "app.h"

#include <libwebsockets.h>

typedef enum { WS_IDLE, WS_JOINING, WS_JOINED } WsState;

typedef struct WsConn {
  int refs;
  SigApp *app;
  struct lws *wsi; /* NULL once closed, and for an adopted seat */
  GByteArray *rx;  /* current message, reassembled from fragments */
  GQueue tx;       /* char* JSON texts to send */
  WsState state;
  char *badge;     /* set at hello or join */
  char *peer;      /* set at join */
  char *item;      /* agenda item the current attendance interval is filed under */
  char *session;   /* session it is filed under (NULL between sessions) */
  char *remote;    /* peer address, for logs */
  gboolean superseded; /* the same badge joined again while this join was in flight */
  gboolean adopted;    /* a seat kept across a signalling restart, owned by app->peers */
  guint grace_timer;   /* adopted: ends the seat if no page resumes it */
  /* the meeting (console.c): from the roster at hello/join */
  unsigned roles;   /* MeetingRole bits */
  char *booth;      /* an interpreter's booth, or NULL */
  char *category;   /* roster category id */
  gboolean console; /* said hello: gets the meeting's pushes */
  char *channel;    /* what the second track carries ("floor", "fr", ...), or NULL */
  JsonNode *quality;    /* last `quality` report, or NULL */
  JsonNode *soundcheck; /* last sound-check result, or NULL */
  int place;            /* last `hand` place sent (0: none, -1: send again) */
  gboolean has_floor;   /* last `floor` sent */
  gboolean muted;       /* a speaker's own mute (the page mutes its track) */
  const char *request;  /* the type being handled (static), for `error.request` */
} WsConn;

/* A connection with no socket yet (lws sets wsi; the fuzz target and
 * tests keep none: what is sent to it is dropped). Transfer full. */
WsConn *ws_conn_new_detached(SigApp *app, const char *remote);
WsConn *ws_conn_ref(WsConn *c);
void ws_conn_unref(WsConn *c);

/* Queues @node (taken) for the client; dropped if the socket closed. */
void ws_send_node(WsConn *c, JsonNode *node);
void ws_send_error(WsConn *c, const char *code, const char *message);
/* {"type": @type} */
void ws_send_simple(WsConn *c, const char *type);

/* Queues an attendance event of this seat (group commit); @done (may be
 * NULL) runs once it is on disk. */
void ws_record(WsConn *c, const char *kind, const char *reason, AttendanceDoneFunc done,
               gpointer user);
/* Ends the seat's join: a leave row with @reason, out of the seat table,
 * peer.remove to the relay when @tell_relay. An adopted seat is freed: do
 * not touch @c afterwards unless you hold a reference. */
void ws_end_join(WsConn *c, gboolean tell_relay, const char *reason);

/* One text message from the client: strict JSON, table dispatch on "type"
 * (ws.c's own types, then console.c's); a bad one gets an `error`. */
void ws_dispatch(WsConn *c, const char *text, gsize len);

/* The badge of a valid token (transfer full), or NULL after telling the
 * client why not. */
char *ws_verify_token(WsConn *c, const char *token);
