/* SPDX-License-Identifier: Apache-2.0 */
/* Roster: the accreditation list, parsed from CSV (RFC 4180 quoting).
 * The columns are named by the header line (docs/roster.md), in any order:
 *   badge,family_name,given_name,entity,category,roles,email,ldc[,code_hash]
 * and stage 1's badge,name,entity,category,roles,code_hash still reads.
 * Roles are separated by ';': delegate, interpreter:<booth>, operator,
 * chair. Lines starting with '#' outside quotes are comments. Every bad line
 * is reported (number and reason), and a file with any is refused whole.
 * Pure: no loop, no sockets. Refcounted: roster_ref / roster_free. */
#pragma once

#include "meeting.h"

#include <glib.h>

/* Error codes: negative, errno style. */
enum {
  ROSTER_OK = 0,
  ROSTER_EINVAL = -22, /* bad content; the detail names the line */
  ROSTER_EIO = -5,     /* file could not be read */
};

typedef enum {
  ROSTER_MEMBER_STATE,
  ROSTER_SECTOR_MEMBER,
  ROSTER_ASSOCIATE,
  ROSTER_ACADEMIA,
  ROSTER_OBSERVER,
  ROSTER_SECRETARIAT,
  ROSTER_CATEGORY_OTHER, /* a meeting's own category: see category_id */
} RosterCategory;

typedef struct {
  char *badge;     /* [A-Za-z0-9._-], 1..64 chars */
  char *name;      /* display name: "given family" (or the legacy name column) */
  char *entity;
  RosterCategory category;
  char **roles;    /* NULL-terminated, e.g. "delegate", "interpreter:fr" */
  char *code_hash; /* passhash format, or NULL: no code issued yet (cannot log in) */
  /* added with the import format of docs/roster.md */
  char *family_name;  /* never NULL ("" if the legacy name column was used) */
  char *given_name;   /* never NULL, may be "" */
  char *email;        /* never NULL, may be "" */
  gboolean ldc;       /* a delegation of a least developed country */
  gboolean revoked;   /* only from storage_participants_load(with_revoked) */
  char *category_id;  /* the category as written (a meeting's category id) */
} RosterEntry;

typedef struct Roster Roster;

/* One bad line of an import. */
typedef struct {
  guint line;   /* 1-based physical line where the record starts */
  char *reason; /* English, one line, without the "line N: " */
} RosterProblem;

/* roster_parse_checked() flags */
enum {
  ROSTER_REQUIRE_CODE_HASH = 1 << 0, /* every entry must have a code_hash */
};

/* Parses a whole roster and checks it against @meeting (may be NULL: the
 * six built-in categories and any booth code then): category one of the
 * meeting's, interpreter booths the meeting's, roles the meeting allows.
 * Returns ROSTER_OK and *out (transfer full, roster_free), or ROSTER_EINVAL,
 * *out = NULL and, if @problems is not NULL, *problems = every bad line as
 * RosterProblem* in line order (transfer full; g_ptr_array_unref). */
int roster_parse_checked(const char *text, gsize len, const Meeting *meeting, guint flags,
                         Roster **out, GPtrArray **problems);
/* "line N: reason" (transfer full). */
char *roster_problem_format(const RosterProblem *p);

/* Stage 1's parser: as roster_parse_checked(..., NULL,
 * ROSTER_REQUIRE_CODE_HASH, ...); *detail (if not NULL) receives every
 * problem as "line N: ...", one per line (transfer full). */
int roster_parse(const char *text, gsize len, Roster **out, char **detail);
int roster_load_file(const char *path, Roster **out, char **detail);
/* Drops a reference; the last one frees. */
void roster_free(Roster *roster);
Roster *roster_ref(Roster *roster);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Roster, roster_free)

/* Building a roster (storage): an empty one (transfer full), and adding
 * @entry (transfer full; freed and FALSE if the badge is already there). */
Roster *roster_new(void);
gboolean roster_add(Roster *roster, RosterEntry *entry);
/* The @i-th entry in file / insertion order (transfer none). */
const RosterEntry *roster_nth(const Roster *roster, guint i);
/* An empty entry with every string "" (transfer full), a deep copy, free. */
RosterEntry *roster_entry_new(void);
RosterEntry *roster_entry_copy(const RosterEntry *entry);
void roster_entry_free(RosterEntry *entry);
/* The category of @id among the built-in ones, ROSTER_CATEGORY_OTHER if none. */
RosterCategory roster_category_from_id(const char *id);
/* The roles joined by ';' (transfer full). */
char *roster_entry_roles_text(const RosterEntry *entry);

/* Entry by badge (transfer none), or NULL. */
const RosterEntry *roster_lookup(const Roster *roster, const char *badge);
guint roster_size(const Roster *roster);

/* Wire name of a category ("member_state", ...; "other" for
 * ROSTER_CATEGORY_OTHER: use entry->category_id). Static string. */
const char *roster_category_name(RosterCategory category);
/* TRUE if the entry has @role (exact match, e.g. "delegate"). */
gboolean roster_entry_has_role(const RosterEntry *entry, const char *role);
/* TRUE if @badge is a valid badge id. */
gboolean roster_badge_valid(const char *badge);
