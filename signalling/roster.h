/* SPDX-License-Identifier: Apache-2.0 */
/* Roster: the accreditation list, parsed from CSV (RFC 4180 quoting).
 * Header: badge,name,entity,category,roles,code_hash. Roles are separated
 * by ';': delegate, interpreter:<booth>, operator, chair. Lines starting
 * with '#' outside quotes are comments. Pure: no loop, no sockets. */
#pragma once

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

/* Parses a whole roster. On success returns ROSTER_OK and *out (transfer
 * full, free with roster_free). On error nothing is loaded, *out is NULL and
 * *detail (if not NULL) receives "line N: ..." (transfer full). */
int roster_parse(const char *text, gsize len, Roster **out, char **detail);
int roster_load_file(const char *path, Roster **out, char **detail);
void roster_free(Roster *roster);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Roster, roster_free)

/* Entry by badge (transfer none), or NULL. */
const RosterEntry *roster_lookup(const Roster *roster, const char *badge);
guint roster_size(const Roster *roster);

/* Wire name of a category ("member_state", ...). Static string. */
const char *roster_category_name(RosterCategory category);
/* TRUE if the entry has @role (exact match, e.g. "delegate"). */
gboolean roster_entry_has_role(const RosterEntry *entry, const char *role);
/* TRUE if @badge is a valid badge id. */
gboolean roster_badge_valid(const char *badge);
