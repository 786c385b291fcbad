/* SPDX-License-Identifier: Apache-2.0 */
/* Bluesheets: who attended which agenda item of a session, from where, in
 * which role, from when to when. Pure: events in (storage.h StorageEvent,
 * the session's log in order), rows out; no loop, no database.
 *
 * Rules (docs/roster.md, "Bluesheets"):
 *  - a remote interval opens at a join and closes at a leave; a leave for a
 *    lost medium (reason "media_*" or "relay_restarted") followed by a join
 *    or reconnect of the same badge within the grace period is one interval,
 *    not two (the gap counts as present);
 *  - onsite intervals run from check_in to check_out;
 *  - a role event splits the badge's open intervals; session_close ends all;
 *  - an agenda switch ("item") splits every interval at the switch: each
 *    piece goes to the item that was current then. Before the first item
 *    event, the item named by the first event that names one;
 *  - intervals still open at the end run to @now_us and are marked open.
 * Times are the events' wall times (monotonic times of different
 * processes, daemon and rostrum-admin, cannot be compared). */
#pragma once

#include "roster.h"
#include "storage.h"

#include <glib.h>

#define BLUESHEET_GRACE_DEFAULT_S 60

typedef struct {
  gint64 grace_us;      /* rejoin within this after a media loss: one interval */
  const char *item;     /* only this item's rows, or NULL: every item */
  gboolean per_session; /* one row per participant for the whole session */
  gint64 now_us;        /* end of intervals still open (µs since the epoch, UTC);
                         * 0: the last event's time */
} BluesheetOptions;

typedef struct {
  gint64 start_us, end_us; /* µs since the epoch, UTC */
  gboolean open;           /* still running at the end of the log */
} BluesheetInterval;

/* One participant on one item in one role from one place. Owned strings. */
typedef struct {
  char *item; /* agenda item id; "" for per_session or when none is known */
  char *badge;
  char *name; /* from the roster; "" if the badge is not in it */
  char *entity;
  char *category;
  char *role;               /* the event's role, else the roster's first role */
  char *where;              /* "remote" or "onsite" */
  gint64 first_us, last_us; /* first join, last leave (the end of the last interval) */
  gboolean open;            /* the last interval is still open */
  gint64 present_us;        /* sum of the intervals */
  GArray *intervals;        /* BluesheetInterval, in time order */
} BluesheetRow;
void bluesheet_row_free(BluesheetRow *row);

/* The bluesheet of @n events of one session (oldest first). @roster (may be
 * NULL) gives names, entities and categories. Returns BluesheetRow* (transfer
 * full; the array frees them), ordered by item (in the order items were
 * first current), then first join, then badge. Events whose wall time does
 * not parse are skipped. */
GPtrArray *bluesheet_compute(const StorageEvent *events, gsize n, const Roster *roster,
                             const BluesheetOptions *options);

/* "2026-05-12T09:30:00Z" (to the second, UTC; transfer full). */
char *bluesheet_format_time(gint64 us);
/* Parses an ISO 8601 time with a zone; -1 if it does not parse. */
gint64 bluesheet_parse_time(const char *iso);

/* CSV (RFC 4180: CRLF, quotes where needed), header
 * session,item,badge,name,entity,category,role,where,first_join,last_leave,
 * seconds,minutes,intervals — intervals as "START/END;..." (END ".." while
 * open). Transfer full. */
char *bluesheet_write_csv(const GPtrArray *rows, const char *session);
/* {"session","item","rows":[{...,"intervals":[{"start","end"}]}]} through
 * json_text (transfer full). @item: the filter used, or NULL. */
char *bluesheet_write_json(const GPtrArray *rows, const char *session, const char *item);

/* A session's summary from its per_session rows: participants by category,
 * by remote/onsite (both counted once each way and as "both"), and the
 * delegations (entities) of least developed countries present.
 * {"session","participants","by_category":{},"by_where":{"remote","onsite",
 * "both"},"ldc":{"participants","delegations","entities":[]}} (transfer full). */
char *bluesheet_summary_json(const GPtrArray *session_rows, const Roster *roster,
                             const char *session);

/* One CSV field, quoted if it needs it (RFC 4180), appended to @out. */
void bluesheet_csv_field(GString *out, const char *field);
