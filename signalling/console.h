/* SPDX-License-Identifier: Apache-2.0 */
/* The meeting over the WebSocket (docs/websocket.md, "The meeting"): who a
 * login is (roles from the roster), whether the session admits them, the
 * session and agenda controls, the speakers' list, the booths, and the
 * state pushed to every console as it changes. Signalling decides; the
 * relay executes (floor.grant, booth.live, booth.cough, ...).
 *
 * Table dispatch on "type" with the roles each message needs; every bad or
 * forbidden message gets an `error` reply with a reason. Loop thread only. */
#pragma once

#include "app.h"
#include "seat.h"

/* Speakers' list, booths, the console timer. Called by sig_app_new. */
void console_init(SigApp *app);
void console_free(SigApp *app);

/* Handles @type if it is a meeting message: TRUE (replied or acted),
 * FALSE if the type is not one of them. */
gboolean console_dispatch(WsConn *c, const char *type, JsonObject *msg);

/* What the attendance log files the seat's role as: "interpreter:fr",
 * "operator", "chair" or "delegate" (static or c's own string). */
const char *console_role_name(const WsConn *c);
/* Fills c->roles, c->booth, c->category from the roster for c->badge. */
void console_identify(WsConn *c);
/* A join: identifies c->badge, checks that the session admits it (a closed
 * session), that its booth has room, and returns the relay's peer.add
 * fields for its role (role, tracks, booth; transfer full). NULL after
 * telling the client why not. */
JsonObject *console_admit(WsConn *c);
/* The seat is joined (its "joined" was sent) / has ended (before it leaves
 * the seat table's view: c->peer and c->badge still set). */
void console_seat_joined(WsConn *c);
void console_seat_ended(WsConn *c);

/* Relay events other than peer.connected/lost/present: level, stats,
 * booth.state, venue and recording states. */
void console_on_relay_event(SigApp *app, const char *event, const char *peer, JsonObject *msg);

/* Asks the relay for its audio.state (once per link-up): takes its booths'
 * states and logs every booth of the meeting that has no channel there
 * ([relay] languages). */
void console_booths_check_relay(SigApp *app);

/* A booth's state as the relay says it ({booth, live, ...}: the booth.state
 * event, audio.state's "booths"): the demo's simulated interpreters, whom
 * signalling does not seat, are shown live where the relay has them. */
void console_booths_relay_state(SigApp *app, JsonObject *state);

/* The roster changed (rostrum-admin): every seat and console of a badge
 * in @gone (revoked or removed; char*) is told `removed` (`revoked`) and its
 * media ends at once; the others get their roles again. */
void console_roster_changed(SigApp *app, const GPtrArray *gone);

/* {"id","title",...} of agenda item @id, or a JSON null (transfer full). */
JsonNode *console_item_json(SigApp *app, const char *id);
