/* SPDX-License-Identifier: Apache-2.0 */
/* Storage: everything signalling keeps on disk, behind one narrow interface
 * so that a second backend (PostgreSQL for several signalling nodes) is a
 * second implementation of StorageOps (storage_backend.h), not a rewrite.
 *
 * The embedded default is SQLite (storage_sqlite.c): WAL journal,
 * synchronous=FULL, versioned migrations (PRAGMA user_version,
 * STORAGE_SCHEMA_VERSION). Every write function returns only after its
 * data is durable (on disk, survives kill -9 and power loss); a batch is one
 * transaction, so one flush (group commit: attendance_queue.h).
 *
 * Three things are stored:
 *  - participants: the roster (RosterEntry of roster.h) with code hashes and
 *    revocation; rostrum-admin writes it, the daemon reads it and watches
 *    storage_participants_version() to reload it while it runs;
 *  - the event log: attendance and session events (StorageEvent);
 *  - the audit log: operator and chair actions (StorageAudit).
 *
 * In the daemon the Storage is the attendance log's (attendance_storage());
 * events go through the group commit (attendance_queue_add() with the
 * schema-3 fields set: session, role, channel, where; "item" at an agenda
 * switch, "session_*" with the operator's badge), operator and chair
 * actions through storage_audit(). Bluesheets are computed from
 * storage_events(session) (bluesheet.h, export.h): events without a
 * session belong to none.
 *
 * Not thread-safe: one Storage per thread (the daemon: the loop thread).
 * Several processes may open the same database (the daemon and
 * rostrum-admin): SQLite serialises their writers (busy timeout 5 s).
 * GError idiom (STORAGE_ERROR). Strings passed in are borrowed; what is
 * returned is documented per function. */
#pragma once

#include "roster.h"

#include <glib.h>

#define STORAGE_ERROR (storage_error_quark())
GQuark storage_error_quark(void);

typedef enum {
  STORAGE_ERROR_DB,          /* the backend failed (I/O, corrupt, locked too long) */
  STORAGE_ERROR_INVAL,       /* bad argument (unknown kind, missing field) */
  STORAGE_ERROR_NOT_FOUND,   /* no such participant */
  STORAGE_ERROR_VERSION,     /* the database is newer than this program */
  STORAGE_ERROR_UNSUPPORTED, /* a backend this build does not have */
} StorageError;

/* The schema this program writes; older databases are migrated in place
 * at open (version 2: the attendance log of stage 1). */
#define STORAGE_SCHEMA_VERSION 3

typedef struct Storage Storage;

/* Opens the store named by @uri: a file path or "sqlite:PATH" (created if
 * missing, migrated to STORAGE_SCHEMA_VERSION). "postgresql://..." is
 * reserved (STORAGE_ERROR_UNSUPPORTED). Returns the store (transfer full,
 * free with storage_close) or NULL with @error set. */
Storage *storage_open(const char *uri, GError **error);
void storage_close(Storage *storage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Storage, storage_close)

/* The schema version of the open database (== STORAGE_SCHEMA_VERSION). */
int storage_schema_version(Storage *storage);

/* ---- the event log ---------------------------------------------------- */

/* Event kinds (StorageEvent.kind). */
#define STORAGE_KIND_JOIN "join"           /* media of a remote participant starts */
#define STORAGE_KIND_LEAVE "leave"         /* it ends; reason says why */
#define STORAGE_KIND_RECONNECT "reconnect" /* ICE restart / rejoin within grace: same interval */
#define STORAGE_KIND_ROLE "role"           /* the participant's role changed (role) */
#define STORAGE_KIND_CHANNEL "channel"     /* the channel heard changed (channel) */
#define STORAGE_KIND_CHECK_IN "check_in"   /* onsite arrival (rostrum-admin, console) */
#define STORAGE_KIND_CHECK_OUT "check_out" /* onsite departure */
#define STORAGE_KIND_ITEM "item"           /* agenda switch: agenda_item is the new item */
#define STORAGE_KIND_SESSION_OPEN "session_open"
#define STORAGE_KIND_SESSION_CLOSE "session_close"
#define STORAGE_KIND_SESSION_RESTRICT "session_restrict" /* reason: "closed" or "open" */

/* TRUE if @kind is one of STORAGE_KIND_*. */
gboolean storage_kind_valid(const char *kind);

/* One event. The first seven members are stage 1's AttendanceEvent in its
 * order (attendance.h: typedef StorageEvent AttendanceEvent), so positional
 * initialisers keep working; the rest were added in schema 3.
 * Required: kind, wall_time; badge for every kind but item and session_*
 * (there it is the operator's badge, or NULL). Others may be NULL.
 * Strings are borrowed. */
typedef struct {
  const char *badge;       /* the participant (or the actor of a session/item event) */
  const char *kind;        /* STORAGE_KIND_* */
  const char *agenda_item; /* the current item (for "item": the new one) */
  const char *wall_time;   /* ISO 8601 UTC with ms: "2026-05-12T09:30:00.123Z" */
  gint64 mono_us;          /* g_get_monotonic_time() of the writing process */
  const char *peer;        /* the relay's peer id (remote media), or NULL */
  const char *reason;      /* why a leave ended the interval (ATTENDANCE_REASON_*) */
  /* schema 3 */
  const char *meeting; /* meeting id ("wtpf-26") */
  const char *session; /* session id ("s1") */
  const char *role;    /* "delegate", "interpreter:fr", "operator", "chair" */
  const char *channel; /* language code heard ("fr"), "floor", or NULL */
  const char *where;   /* "remote" or "onsite"; NULL: remote for join/leave */
} StorageEvent;

/* Appends @n events in one transaction: all durable when it returns TRUE,
 * none written when FALSE (every event is checked first). */
gboolean storage_record_events(Storage *storage, const StorageEvent *events, gsize n,
                               GError **error);

/* An event read back: its id (order of writing) and the event; the strings
 * are owned by the row. */
typedef struct {
  gint64 id;
  StorageEvent e;
} StorageEventRow;
void storage_event_row_free(StorageEventRow *row);

/* Every event of @session (NULL: every event), oldest first. Returns
 * StorageEventRow* (transfer full; the array frees them) or NULL. */
GPtrArray *storage_events(Storage *storage, const char *session, GError **error);

/* Open remote intervals: for each peer, its last event when that is not a
 * leave (a join, reconnect, channel or role event), oldest first. StorageEventRow* (transfer full) or NULL. */
GPtrArray *storage_open_joins(Storage *storage, GError **error);

/* The session open now according to the log (the last session_open with no
 * session_close after it) and its current item. Returns TRUE and sets
 * *@session / *@item (transfer full; *@item may be NULL) when one is open,
 * FALSE when none is (or on error, then @error is set). */
gboolean storage_current_session(Storage *storage, char **session, char **item, GError **error);

/* Number of events; -1 on error. */
gint64 storage_event_count(Storage *storage, GError **error);

/* ---- participants ------------------------------------------------------ */

/* Imports every entry of @roster in one transaction: a new badge is
 * inserted, a known one updated (names, entity, category, roles, email,
 * ldc); its code hash is replaced only when the entry has one, its
 * revocation is left as it is. Durable when it returns TRUE. */
gboolean storage_participants_import(Storage *storage, const Roster *roster, GError **error);

/* The stored participants as a Roster (transfer full, roster_free), in
 * badge order. @with_revoked FALSE leaves revoked badges out (what the
 * daemon logs in against: a revoked badge is unknown to it). */
Roster *storage_participants_load(Storage *storage, gboolean with_revoked, GError **error);

/* Sets (or, with @code_hash NULL, clears) the badge's code hash.
 * STORAGE_ERROR_NOT_FOUND if the badge is not stored. */
gboolean storage_participant_set_code_hash(Storage *storage, const char *badge,
                                           const char *code_hash, GError **error);
/* Revokes (or restores) a badge. STORAGE_ERROR_NOT_FOUND if unknown. */
gboolean storage_participant_set_revoked(Storage *storage, const char *badge, gboolean revoked,
                                         GError **error);

/* A number that changes whenever the participants change, whoever changed
 * them (this process or rostrum-admin in another); -1 on error. Cheap (one
 * indexed read): the daemon polls it and reloads on a change. */
gint64 storage_participants_version(Storage *storage, GError **error);

/* ---- the audit log ----------------------------------------------------- */

/* One operator or chair action. actor, action and wall_time required;
 * target (the badge acted on, a session, an item) and detail may be NULL.
 * Strings borrowed. */
typedef struct {
  const char *actor;     /* badge of who did it ("admin:<user>" for rostrum-admin) */
  const char *action;    /* "session.open", "queue.grant", "revoke", "codes.issue", ... */
  const char *target;    /* on whom / on what */
  const char *detail;    /* free text or JSON */
  const char *wall_time; /* ISO 8601 UTC with ms */
} StorageAudit;

/* Appends one audit entry; durable when it returns TRUE. */
gboolean storage_audit(Storage *storage, const StorageAudit *entry, GError **error);

typedef struct {
  gint64 id;
  StorageAudit a; /* strings owned by the row */
} StorageAuditRow;
void storage_audit_row_free(StorageAuditRow *row);

/* Every audit entry, oldest first: StorageAuditRow* (transfer full) or NULL. */
GPtrArray *storage_audit_list(Storage *storage, GError **error);
