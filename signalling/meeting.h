/* SPDX-License-Identifier: Apache-2.0 */
/* A meeting from config/meetings/<id>.json (schema: docs/meetings.md): days,
 * sessions with times, agenda, languages and booths, participant categories,
 * who may attend a closed session, the roles a login may hold.
 *
 * The parser validates the whole file and reports every error it finds, each
 * with the file, the JSON path ("sessions[2].end") and a reason; a file with
 * any error does not load at all. Pure: no main loop, no sockets, no globals;
 * the only outside input is the system's time zone database (GTimeZone),
 * read to check each session's UTC offset against the meeting's zone. */
#pragma once

#include <glib.h>

/* What went wrong, so that tests and tools need not match the text. */
typedef enum {
  MEETING_ERR_IO,              /* the file could not be read */
  MEETING_ERR_JSON,            /* not strict JSON, or not an object */
  MEETING_ERR_UNKNOWN_FIELD,   /* a member the schema does not have */
  MEETING_ERR_MISSING,         /* a required member is absent */
  MEETING_ERR_TYPE,            /* string/boolean/array/object expected */
  MEETING_ERR_EMPTY,           /* an empty string or array where one is needed */
  MEETING_ERR_SYNTAX,          /* an id, code or name of the wrong shape */
  MEETING_ERR_DATE,            /* not an ISO 8601 calendar date (YYYY-MM-DD) */
  MEETING_ERR_TIME,            /* not an ISO 8601 time (hh:mm[:ss][Z|±hh:mm]) */
  MEETING_ERR_TIMEZONE,        /* not a time zone of the tz database */
  MEETING_ERR_OFFSET,          /* UTC offset missing, not allowed, or wrong for the zone */
  MEETING_ERR_ORDER,           /* end not after start, days out of order */
  MEETING_ERR_DUPLICATE,       /* an id (code) given twice */
  MEETING_ERR_UNKNOWN_DAY,     /* a session on a day the meeting does not have */
  MEETING_ERR_UNKNOWN_SESSION, /* an agenda item on an unknown session */
  MEETING_ERR_LANGUAGE,        /* not a BCP 47-like tag */
  MEETING_ERR_BOOTH,           /* a booth for a language the meeting lacks or has no booth for */
  MEETING_ERR_CATEGORY,        /* a category referenced but not defined */
  MEETING_ERR_ROLE,            /* a role the program does not know or the meeting does not allow */
  MEETING_ERR_INCONSISTENT,    /* parts that contradict each other (see the reason) */
} MeetingErrorKind;

typedef struct {
  MeetingErrorKind kind;
  char *file;   /* as given to meeting_load_file, or "<memory>" */
  char *path;   /* JSON path of the member, "" for the document itself */
  char *reason; /* English, one line */
} MeetingError;

typedef struct {
  char *id;
  char *date;  /* "YYYY-MM-DD", or NULL: not set yet (the seed is silent) */
  GDate gdate; /* valid only if date != NULL */
} MeetingDay;

/* Seconds since local midnight; the UTC offset in seconds when given. */
typedef struct {
  int seconds;
  gboolean has_offset;
  int offset;
} MeetingTime;

typedef struct {
  char *id;
  const MeetingDay *day; /* transfer none, into Meeting.days */
  MeetingTime start, end;
  char *title;
  gboolean closed; /* held as a closed session (closed_session_* may attend) */
  char **booths;   /* NULL-terminated language codes staffed in this session */
} MeetingSession;

typedef struct {
  char *id;
  char *title;
  const MeetingSession *session; /* transfer none, NULL if not tied to one */
} MeetingItem;

typedef struct {
  char *code; /* BCP 47-like: "en", "zh", "es-419" */
  char *name; /* in the language itself */
  gboolean booth;
} MeetingLanguage;

typedef struct {
  char *id; /* "member_state" */
  char *label;
} MeetingCategory;

/* Roles a login may hold (the roster's roles column). */
typedef enum {
  MEETING_ROLE_DELEGATE = 1 << 0,
  MEETING_ROLE_INTERPRETER = 1 << 1,
  MEETING_ROLE_OPERATOR = 1 << 2,
  MEETING_ROLE_CHAIR = 1 << 3,
} MeetingRole;

/* Read-only once loaded; every pointer is owned by the Meeting. */
typedef struct {
  char *id;      /* the file's name without ".json" */
  char *acronym; /* "WTPF-26", or NULL */
  char *title;
  char *reference; /* the convening document, or NULL */
  char *location;
  char *timezone;                   /* tz database name, "Europe/Zurich" */
  GPtrArray *days;                  /* MeetingDay* */
  GPtrArray *sessions;              /* MeetingSession* */
  GPtrArray *agenda;                /* MeetingItem* */
  GPtrArray *languages;             /* MeetingLanguage* */
  GPtrArray *categories;            /* MeetingCategory* */
  char **closed_session_categories; /* NULL-terminated category ids */
  unsigned closed_session_roles;    /* MeetingRole bits admitted whatever the category */
  unsigned roles;                   /* MeetingRole bits allowed */
} Meeting;

/* Parses and validates @len bytes of meeting JSON; @file names it in the
 * errors (NULL: "<memory>"). Returns 0 and *@out (transfer full, free with
 * meeting_free) or a negative errno code and *@out = NULL:
 *   -EINVAL  the file has errors;  -EIO / -ENOENT  it could not be read.
 * *@errors (if not NULL) receives a GPtrArray of every MeetingError found
 * (transfer full, free with g_ptr_array_unref; empty on success). */
int meeting_parse(const char *text, gsize len, const char *file, Meeting **out, GPtrArray **errors);
/* Reads @path and parses it; also checks that "id" is the file's name. */
int meeting_load_file(const char *path, Meeting **out, GPtrArray **errors);
void meeting_free(Meeting *meeting);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Meeting, meeting_free)

/* "file: path: reason" (transfer full). */
char *meeting_error_format(const MeetingError *error);

/* Lookups by id; transfer none, NULL if there is none. */
const MeetingDay *meeting_find_day(const Meeting *meeting, const char *id);
const MeetingSession *meeting_find_session(const Meeting *meeting, const char *id);
const MeetingItem *meeting_find_item(const Meeting *meeting, const char *id);
const MeetingLanguage *meeting_find_language(const Meeting *meeting, const char *code);
const MeetingCategory *meeting_find_category(const Meeting *meeting, const char *id);

/* TRUE if @code is a meeting language with a booth. */
gboolean meeting_has_booth(const Meeting *meeting, const char *code);
/* The MeetingRole for "delegate", "interpreter", "operator", "chair"; 0 otherwise. */
MeetingRole meeting_role_from_name(const char *name);
/* TRUE if the meeting allows @role. */
gboolean meeting_allows_role(const Meeting *meeting, MeetingRole role);
/* TRUE if a participant of @category holding @roles (MeetingRole bits) may
 * attend a closed session: the category is in closed_session_categories, or
 * one of the roles is in closed_session_roles. */
gboolean meeting_may_attend_closed(const Meeting *meeting, const char *category, unsigned roles);
