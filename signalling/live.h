/* SPDX-License-Identifier: Apache-2.0 */
/* The meeting as it runs: which session is current, whether it is open
 * (running) and whether it is closed (restricted to closed_session_* of the
 * meeting: Member States, secretariat, interpreters for WTPF-26), and the
 * current agenda item. Who may attend, and the JSON the consoles get.
 *
 * Pure: no loop, no sockets, no clock. The Live borrows its Meeting, which
 * must outlive it. Errors: negative errno codes. */
#pragma once

#include "meeting.h"

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
  const Meeting *meeting;        /* borrowed */
  const MeetingSession *session; /* the current session, or NULL before the first */
  gboolean open;                 /* the session is running */
  gboolean closed;               /* restricted (a closed session) */
  const MeetingItem *item;       /* the current agenda item, or NULL */
  guint64 version;               /* bumped on every change */
} Live;

/* No session, nothing open. */
void live_init(Live *live, const Meeting *meeting);

/* Opens session @id (closed if the meeting holds it as a closed session)
 * and makes its first agenda item current (the meeting's first item when
 * none is tied to the session) unless the current item belongs to it.
 * Returns 0, -ENOENT (no such session) or -EALREADY (a session is open:
 * close it first). */
int live_open(Live *live, const char *id);
/* Ends the open session. Returns 0 or -ENOTCONN (none open). */
int live_close(Live *live);
/* Restricts the open session (TRUE) or opens it to all (FALSE). Returns 0
 * (also when unchanged) or -ENOTCONN. */
int live_restrict(Live *live, gboolean closed);
/* Makes agenda item @id current. Returns 0, -ENOENT, or -ENOTCONN (no
 * session open). */
int live_set_item(Live *live, const char *id);

/* TRUE if a participant of @category holding @roles (MeetingRole bits) may
 * be in the meeting now: always, except in a closed session. */
gboolean live_admits(const Live *live, const char *category, unsigned roles);

/* The current item's id while a session is open, else NULL (transfer none):
 * what an attendance row is filed under. */
const char *live_item_id(const Live *live);

/* MeetingRole bits of roster roles ("delegate", "interpreter:fr", ...);
 * *@booth (if not NULL) receives the first interpreter booth (transfer
 * none, into @roles) or NULL. Unknown roles count for nothing. */
unsigned live_roles_mask(char *const *roles, const char **booth);

/* The meeting for the consoles (docs/websocket.md "The meeting"): id,
 * acronym, title, languages, agenda, sessions, session (with status and
 * closed) and item. Transfer full. */
JsonNode *live_to_json(const Live *live);
/* GET /api/venue: the above plus the delegate page's older fields
 * ("meeting", "languages" as codes, "current_item"). Transfer full. */
JsonNode *live_venue_json(const Live *live);
