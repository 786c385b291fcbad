/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between console.c (meeting, speakers' list, pushes) and booths.c
 * (the interpretation booths). Loop thread only. */
#pragma once

#include "console.h"
#include "json_text.h"

typedef void (*ConsoleHandlerFunc)(WsConn *c, JsonObject *msg);
typedef struct {
  const char *type;
  unsigned roles;     /* MeetingRole bits, any of; 0: anyone */
  gboolean needs_seat; /* the sender must hold a joined seat */
  ConsoleHandlerFunc handle;
} ConsoleHandler;

/* The roster entry of @badge (transfer none) or NULL. */
const RosterEntry *console_entry(SigApp *app, const char *badge);
/* Sends the relay @request (@fields borrowed); a refusal is told to @who
 * (may be NULL) as an `error`. */
void console_relay(SigApp *app, WsConn *who, const char *request, JsonObject *fields);
/* Sends @node (taken; a copy to each) to every open connection @want takes. */
void console_broadcast(SigApp *app, gboolean (*want)(const WsConn *, gconstpointer),
                       gconstpointer data, JsonNode *node);
gboolean console_is_staff(const WsConn *c);
/* console_broadcast()'s filter for the chair's and operator's consoles. */
gboolean console_want_staff(const WsConn *c, gconstpointer data);
/* The string / boolean member @name, or NULL / -1 after a bad_request. */
const char *console_string(WsConn *c, JsonObject *msg, const char *name);
int console_bool(WsConn *c, JsonObject *msg, const char *name);
WsConn *console_seat_of(SigApp *app, const char *badge);
/* The audit log: @c's badge did @action on @target (may be NULL) with
 * @detail (may be NULL); durable when it returns (a failure is logged). */
void console_audit(WsConn *c, const char *action, const char *target, const char *detail);
void console_push_queue(SigApp *app);

/* {"badge","name","entity"} of @badge into @o. */
void console_set_person(SigApp *app, JsonObject *o, const char *badge);
/* An `error` for a negative errno from live.c / speakers.c about @what. */
void console_reply_errno(WsConn *c, int rc, const char *what);

/* console_queue.c: the speakers' list */
const ConsoleHandler *console_queue_handler(const char *type);
/* The `queue` message for the staff (transfer full). */
JsonNode *console_queue_message(SigApp *app);
/* Each delegate's `hand` place and `floor`, where they changed. */
void console_push_hands(SigApp *app);
/* A badge named in a staff message, on the roster; NULL after an error. */
const char *console_roster_badge(WsConn *c, JsonObject *msg);
/* The relay's floor.grant / floor.revoke for @badge's seat (none: onsite). */
void console_floor_to_relay(SigApp *app, WsConn *who, const char *badge, gboolean grant);

/* booths.c */
void console_booths_init(SigApp *app);
void console_booths_free(SigApp *app);
/* Expires handover requests; pushes what changed. Every console tick. */
void console_booths_tick(SigApp *app);
const ConsoleHandler *console_booth_handler(const char *type);
/* Every booth's state to @c if it is an operator; its own to an interpreter. */
void console_push_booths_to(WsConn *c);
void console_booth_joined(WsConn *c);
void console_booth_left(WsConn *c);
