/* SPDX-License-Identifier: Apache-2.0 */
/* Attendance event log: stage 1's API, now a thin layer over storage.h
 * (SQLite, WAL, synchronous=FULL): a row is durable once attendance_record()
 * returns TRUE. The log owns its Storage; attendance_storage() lends it for
 * the rest (participants, audit, bluesheets). No main loop; GError idiom. */
#pragma once

#include "storage.h"

#include <glib.h>

#define ATTENDANCE_ERROR (attendance_error_quark())
GQuark attendance_error_quark(void);

typedef enum {
  ATTENDANCE_ERROR_DB,    /* SQLite failed */
  ATTENDANCE_ERROR_INVAL, /* bad argument (e.g. unknown kind) */
} AttendanceError;

typedef struct AttendanceLog AttendanceLog;

/* Opens (creating if needed, migrating to STORAGE_SCHEMA_VERSION) the
 * database at @path (or a storage URI, storage_open()).
 * Returns the log (transfer full, free with attendance_close) or NULL. */
AttendanceLog *attendance_open(const char *path, GError **error);
void attendance_close(AttendanceLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AttendanceLog, attendance_close)

/* The store under the log (transfer none; lives as long as the log). */
Storage *attendance_storage(AttendanceLog *log);

/* One event: StorageEvent (storage.h), whose first seven members are
 * stage 1's: badge, kind, agenda_item, wall_time, mono_us, peer, reason.
 * @kind is one of STORAGE_KIND_* ("join", "leave", "reconnect", ...);
 * @wall_time is ISO 8601 UTC with milliseconds ("2026-05-12T09:30:00.123Z");
 * @mono_us is g_get_monotonic_time(). @reason says why a leave ended the
 * interval (ATTENDANCE_REASON_*). Since schema 3 also meeting, session,
 * role, channel and where ("remote"/"onsite"). Strings are borrowed. */
typedef StorageEvent AttendanceEvent;

/* Why an interval ended (the leave row's reason). */
#define ATTENDANCE_REASON_LEFT "left"             /* the delegate left */
#define ATTENDANCE_REASON_CLOSED "closed"         /* the WebSocket closed */
#define ATTENDANCE_REASON_RESTART "ended_by_restart" /* signalling restarted, no seat to keep */
#define ATTENDANCE_REASON_SUPERSEDED "superseded" /* the same badge joined again */
#define ATTENDANCE_REASON_RELAY "relay_restarted" /* the relay lost every peer */
/* media lost: the relay's peer.lost reason, prefixed "media_" */

/* Appends one event; durable when it returns TRUE. */
gboolean attendance_record(AttendanceLog *log, const char *badge, const char *kind,
                           const char *agenda_item, const char *wall_time, gint64 mono_us,
                           const char *peer, GError **error);

/* Appends @n events in one transaction, so one disk flush for all: every
 * one is durable when it returns TRUE, none is written when FALSE (a bad
 * event fails the whole batch; check them first). */
gboolean attendance_record_many(AttendanceLog *log, const AttendanceEvent *events, gsize n,
                                GError **error);

/* A join with no leave after it (its interval is open). Since schema 3
 * also its session, role, channel and where (each may be NULL). */
typedef struct {
  char *badge, *peer, *agenda_item;
  char *meeting, *session, *role, *channel, *where;
} AttendanceOpenJoin;
void attendance_open_join_free(AttendanceOpenJoin *j);

/* The open intervals: each peer whose last event is a join or reconnect, oldest first.
 * Returns AttendanceOpenJoin* (transfer full, the array frees them) or
 * NULL with @error set. */
GPtrArray *attendance_open_joins(AttendanceLog *log, GError **error);

/* Current wall-clock time in the format above (transfer full). */
char *attendance_wall_time_now(void);

/* Number of rows (for tests and health checks); -1 on error. */
gint64 attendance_count(AttendanceLog *log, GError **error);
