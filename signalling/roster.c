/* SPDX-License-Identifier: Apache-2.0 */
#include "roster.h"

#include "passhash.h"

#include <string.h>

#define ROSTER_COLUMNS 6

struct Roster {
  GPtrArray *entries; /* RosterEntry*, owned */
  GHashTable *by_badge; /* badge (borrowed) -> RosterEntry* (borrowed) */
};

static const char *const header[ROSTER_COLUMNS] = {
  "badge", "name", "entity", "category", "roles", "code_hash",
};

static const char *const category_names[] = {
  [ROSTER_MEMBER_STATE] = "member_state", [ROSTER_SECTOR_MEMBER] = "sector_member",
  [ROSTER_ASSOCIATE] = "associate",       [ROSTER_ACADEMIA] = "academia",
  [ROSTER_OBSERVER] = "observer",         [ROSTER_SECRETARIAT] = "secretariat",
};

const char *
roster_category_name(RosterCategory category)
{
  if ((guint)category >= G_N_ELEMENTS(category_names))
    return "unknown";
  return category_names[category];
}

static int
category_parse(const char *s, RosterCategory *out)
{
  for (guint i = 0; i < G_N_ELEMENTS(category_names); i++)
    if (strcmp(s, category_names[i]) == 0) {
      *out = (RosterCategory)i;
      return ROSTER_OK;
    }
  return ROSTER_EINVAL;
}

gboolean
roster_badge_valid(const char *badge)
{
  size_t n = strlen(badge);
  if (n == 0 || n > 64)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum(badge[i]) && badge[i] != '.' && badge[i] != '_' && badge[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
booth_valid(const char *lang)
{
  size_t n = strlen(lang);
  if (n < 2 || n > 3)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_islower(lang[i]))
      return FALSE;
  return TRUE;
}

static gboolean
role_valid(const char *role)
{
  if (strcmp(role, "delegate") == 0 || strcmp(role, "operator") == 0 ||
      strcmp(role, "chair") == 0)
    return TRUE;
  if (g_str_has_prefix(role, "interpreter:"))
    return booth_valid(role + strlen("interpreter:"));
  return FALSE;
}

gboolean
roster_entry_has_role(const RosterEntry *entry, const char *role)
{
  for (char **r = entry->roles; r && *r; r++)
    if (strcmp(*r, role) == 0)
      return TRUE;
  return FALSE;
}

static void
entry_free(gpointer data)
{
  RosterEntry *e = data;
  g_free(e->badge);
  g_free(e->name);
  g_free(e->entity);
  g_strfreev(e->roles);
  g_free(e->code_hash);
  g_free(e);
}

void
roster_free(Roster *roster)
{
  if (!roster)
    return;
  g_hash_table_destroy(roster->by_badge);
  g_ptr_array_free(roster->entries, TRUE);
  g_free(roster);
}

const RosterEntry *
roster_lookup(const Roster *roster, const char *badge)
{
  return badge ? g_hash_table_lookup(roster->by_badge, badge) : NULL;
}

guint
roster_size(const Roster *roster)
{
  return roster->entries->len;
}

/* CSV reader state: one record at a time, RFC 4180 quoting. */
typedef struct {
  const char *p, *end;
  guint line; /* current physical line, 1-based */
} CsvReader;

/* Reads one record into @fields (strings appended, owned by the array).
 * Returns 1 when a record was read, 0 at end of input, or ROSTER_EINVAL. */
static int
csv_read_record(CsvReader *r, GPtrArray *fields, char **detail)
{
  GString *field = g_string_new(NULL);
  gboolean quoted = FALSE, was_quoted = FALSE;
  guint start_line = r->line;
  int rc = 1;

  if (r->p >= r->end) {
    rc = 0;
    goto done;
  }
  while (r->p < r->end) {
    char c = *r->p++;
    if (quoted) {
      if (c == '"') {
        if (r->p < r->end && *r->p == '"') {
          g_string_append_c(field, '"');
          r->p++;
        } else {
          quoted = FALSE;
        }
      } else {
        if (c == '\n')
          r->line++;
        g_string_append_c(field, c);
      }
      continue;
    }
    if (c == '"') {
      if (field->len > 0 || was_quoted) {
        *detail = g_strdup_printf("line %u: stray quote inside a field", r->line);
        rc = ROSTER_EINVAL;
        goto done;
      }
      quoted = was_quoted = TRUE;
    } else if (c == ',') {
      g_ptr_array_add(fields, g_string_free(field, FALSE));
      field = g_string_new(NULL);
      was_quoted = FALSE;
    } else if (c == '\r' && r->p < r->end && *r->p == '\n') {
      continue;
    } else if (c == '\n') {
      r->line++;
      break;
    } else if (was_quoted) {
      *detail = g_strdup_printf("line %u: text after a closing quote", r->line);
      rc = ROSTER_EINVAL;
      goto done;
    } else {
      g_string_append_c(field, c);
    }
  }
  if (quoted) {
    *detail = g_strdup_printf("line %u: quoted field not closed", start_line);
    rc = ROSTER_EINVAL;
    goto done;
  }
  g_ptr_array_add(fields, g_string_free(field, FALSE));
  field = NULL;
done:
  if (field)
    g_string_free(field, TRUE);
  return rc;
}

static gboolean
record_is_blank(GPtrArray *fields)
{
  return fields->len == 1 && g_strstrip((char *)fields->pdata[0])[0] == '\0';
}

static int
parse_entry(GPtrArray *f, guint line, RosterEntry **out, char **detail)
{
  RosterEntry *e;
  RosterCategory cat;

  for (guint i = 0; i < ROSTER_COLUMNS; i++)
    g_strstrip(f->pdata[i]);
  const char *badge = f->pdata[0], *name = f->pdata[1], *entity = f->pdata[2];
  const char *category = f->pdata[3], *roles = f->pdata[4], *hash = f->pdata[5];

  if (!roster_badge_valid(badge)) {
    *detail = g_strdup_printf("line %u: bad badge '%s' (1-64 of A-Z a-z 0-9 . _ -)", line, badge);
    return ROSTER_EINVAL;
  }
  if (!*name || !*entity) {
    *detail = g_strdup_printf("line %u: empty name or entity", line);
    return ROSTER_EINVAL;
  }
  if (category_parse(category, &cat) < 0) {
    *detail = g_strdup_printf("line %u: unknown category '%s'", line, category);
    return ROSTER_EINVAL;
  }
  g_auto(GStrv) role_list = g_strsplit(roles, ";", -1);
  if (!role_list[0]) {
    *detail = g_strdup_printf("line %u: no roles", line);
    return ROSTER_EINVAL;
  }
  for (char **r = role_list; *r; r++) {
    g_strstrip(*r);
    if (!role_valid(*r)) {
      *detail = g_strdup_printf("line %u: unknown role '%s'", line, *r);
      return ROSTER_EINVAL;
    }
  }
  if (passhash_check_format(hash) < 0) {
    *detail = g_strdup_printf("line %u: bad code_hash format (expected "
                              "pbkdf2-sha256$ITER$SALT$HASH)", line);
    return ROSTER_EINVAL;
  }
  e = g_new0(RosterEntry, 1);
  e->badge = g_strdup(badge);
  e->name = g_strdup(name);
  e->entity = g_strdup(entity);
  e->category = cat;
  e->roles = g_steal_pointer(&role_list);
  e->code_hash = g_strdup(hash);
  *out = e;
  return ROSTER_OK;
}

int
roster_parse(const char *text, gsize len, Roster **out, char **detail)
{
  CsvReader r = {text, text + len, 1};
  g_autofree char *msg = NULL;
  Roster *roster = g_new0(Roster, 1);
  gboolean have_header = FALSE;
  int rc = ROSTER_OK;

  roster->entries = g_ptr_array_new_with_free_func(entry_free);
  roster->by_badge = g_hash_table_new(g_str_hash, g_str_equal);
  *out = NULL;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    r.p += 3;

  for (;;) {
    g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
    guint line = r.line;
    if (r.p < r.end && *r.p == '#') { /* comment line */
      const char *nl = memchr(r.p, '\n', (size_t)(r.end - r.p));
      r.p = nl ? nl + 1 : r.end;
      r.line++;
      continue;
    }
    rc = csv_read_record(&r, fields, &msg);
    if (rc < 0)
      goto fail;
    if (rc == 0)
      break;
    if (record_is_blank(fields))
      continue;
    if (fields->len != ROSTER_COLUMNS) {
      msg = g_strdup_printf("line %u: %u columns, expected %d", line, fields->len,
                            ROSTER_COLUMNS);
      rc = ROSTER_EINVAL;
      goto fail;
    }
    if (!have_header) {
      for (guint i = 0; i < ROSTER_COLUMNS; i++)
        if (strcmp(g_strstrip((char *)fields->pdata[i]), header[i]) != 0) {
          msg = g_strdup_printf("line %u: header must be "
                                "badge,name,entity,category,roles,code_hash", line);
          rc = ROSTER_EINVAL;
          goto fail;
        }
      have_header = TRUE;
      continue;
    }
    RosterEntry *e = NULL;
    rc = parse_entry(fields, line, &e, &msg);
    if (rc < 0)
      goto fail;
    if (g_hash_table_contains(roster->by_badge, e->badge)) {
      msg = g_strdup_printf("line %u: duplicate badge '%s'", line, e->badge);
      entry_free(e);
      rc = ROSTER_EINVAL;
      goto fail;
    }
    g_ptr_array_add(roster->entries, e);
    g_hash_table_insert(roster->by_badge, e->badge, e);
  }
  if (!have_header) {
    msg = g_strdup("line 1: missing header");
    rc = ROSTER_EINVAL;
    goto fail;
  }
  *out = roster;
  return ROSTER_OK;

fail:
  roster_free(roster);
  if (detail)
    *detail = g_steal_pointer(&msg);
  return rc;
}

int
roster_load_file(const char *path, Roster **out, char **detail)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  *out = NULL;
  if (!g_file_get_contents(path, &text, &len, &error)) {
    if (detail)
      *detail = g_strdup(error->message);
    return ROSTER_EIO;
  }
  return roster_parse(text, len, out, detail);
}
