/* SPDX-License-Identifier: Apache-2.0 */
#include "roster.h"

#include "passhash.h"

#include <string.h>

struct Roster {
  gint refs;
  GPtrArray *entries;   /* RosterEntry*, owned */
  GHashTable *by_badge; /* badge (borrowed) -> RosterEntry* (borrowed) */
};

/* The columns a header may name. */
typedef enum {
  COL_BADGE,
  COL_NAME, /* stage 1: one name column */
  COL_FAMILY,
  COL_GIVEN,
  COL_ENTITY,
  COL_CATEGORY,
  COL_ROLES,
  COL_EMAIL,
  COL_LDC,
  COL_CODE_HASH,
  COL_N,
} Column;

static const char *const column_names[COL_N] = {
  [COL_BADGE] = "badge",       [COL_NAME] = "name",         [COL_FAMILY] = "family_name",
  [COL_GIVEN] = "given_name",  [COL_ENTITY] = "entity",     [COL_CATEGORY] = "category",
  [COL_ROLES] = "roles",       [COL_EMAIL] = "email",       [COL_LDC] = "ldc",
  [COL_CODE_HASH] = "code_hash",
};

#define HEADER_HELP                                                                           \
  "header must name the columns badge,family_name,given_name,entity,category,roles,email,"   \
  "ldc[,code_hash] (or stage 1's badge,name,entity,category,roles,code_hash)"

static const char *const category_names[] = {
  [ROSTER_MEMBER_STATE] = "member_state", [ROSTER_SECTOR_MEMBER] = "sector_member",
  [ROSTER_ASSOCIATE] = "associate",       [ROSTER_ACADEMIA] = "academia",
  [ROSTER_OBSERVER] = "observer",         [ROSTER_SECRETARIAT] = "secretariat",
  [ROSTER_CATEGORY_OTHER] = "other",
};

const char *
roster_category_name(RosterCategory category)
{
  if ((guint)category >= G_N_ELEMENTS(category_names))
    return "unknown";
  return category_names[category];
}

RosterCategory
roster_category_from_id(const char *id)
{
  for (guint i = 0; i < ROSTER_CATEGORY_OTHER; i++)
    if (strcmp(id, category_names[i]) == 0)
      return (RosterCategory)i;
  return ROSTER_CATEGORY_OTHER;
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
booth_syntax_valid(const char *lang)
{
  size_t n = strlen(lang);
  if (n < 2 || n > 3)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_islower(lang[i]))
      return FALSE;
  return TRUE;
}

/* NULL if @role is fine, else the reason (transfer full). */
static char *
role_problem(const char *role, const Meeting *meeting)
{
  MeetingRole bit;
  if (strcmp(role, "delegate") == 0)
    bit = MEETING_ROLE_DELEGATE;
  else if (strcmp(role, "operator") == 0)
    bit = MEETING_ROLE_OPERATOR;
  else if (strcmp(role, "chair") == 0)
    bit = MEETING_ROLE_CHAIR;
  else if (g_str_has_prefix(role, "interpreter:")) {
    const char *booth = role + strlen("interpreter:");
    if (!booth_syntax_valid(booth))
      return g_strdup_printf("unknown role '%s'", role);
    if (meeting && !meeting_has_booth(meeting, booth))
      return g_strdup_printf("role '%s': the meeting has no '%s' booth", role, booth);
    bit = MEETING_ROLE_INTERPRETER;
  } else {
    return g_strdup_printf("unknown role '%s' (delegate, interpreter:<booth>, operator, chair)",
                           role);
  }
  if (meeting && !meeting_allows_role(meeting, bit))
    return g_strdup_printf("role '%s' is not allowed at this meeting", role);
  return NULL;
}

gboolean
roster_entry_has_role(const RosterEntry *entry, const char *role)
{
  for (char **r = entry->roles; r && *r; r++)
    if (strcmp(*r, role) == 0)
      return TRUE;
  return FALSE;
}

char *
roster_entry_roles_text(const RosterEntry *entry)
{
  return g_strjoinv(";", entry->roles);
}

RosterEntry *
roster_entry_new(void)
{
  RosterEntry *e = g_new0(RosterEntry, 1);
  e->badge = g_strdup("");
  e->name = g_strdup("");
  e->entity = g_strdup("");
  e->roles = g_new0(char *, 1);
  e->family_name = g_strdup("");
  e->given_name = g_strdup("");
  e->email = g_strdup("");
  e->category_id = g_strdup("");
  return e;
}

RosterEntry *
roster_entry_copy(const RosterEntry *src)
{
  RosterEntry *e = g_new0(RosterEntry, 1);
  e->badge = g_strdup(src->badge);
  e->name = g_strdup(src->name);
  e->entity = g_strdup(src->entity);
  e->category = src->category;
  e->roles = g_strdupv(src->roles);
  e->code_hash = g_strdup(src->code_hash);
  e->family_name = g_strdup(src->family_name);
  e->given_name = g_strdup(src->given_name);
  e->email = g_strdup(src->email);
  e->ldc = src->ldc;
  e->revoked = src->revoked;
  e->category_id = g_strdup(src->category_id);
  return e;
}

void
roster_entry_free(RosterEntry *e)
{
  if (!e)
    return;
  g_free(e->badge);
  g_free(e->name);
  g_free(e->entity);
  g_strfreev(e->roles);
  g_free(e->code_hash);
  g_free(e->family_name);
  g_free(e->given_name);
  g_free(e->email);
  g_free(e->category_id);
  g_free(e);
}

Roster *
roster_new(void)
{
  Roster *r = g_new0(Roster, 1);
  r->refs = 1;
  r->entries = g_ptr_array_new_with_free_func((GDestroyNotify)roster_entry_free);
  r->by_badge = g_hash_table_new(g_str_hash, g_str_equal);
  return r;
}

Roster *
roster_ref(Roster *roster)
{
  g_atomic_int_inc(&roster->refs);
  return roster;
}

void
roster_free(Roster *roster)
{
  if (!roster || !g_atomic_int_dec_and_test(&roster->refs))
    return;
  g_hash_table_destroy(roster->by_badge);
  g_ptr_array_free(roster->entries, TRUE);
  g_free(roster);
}

gboolean
roster_add(Roster *roster, RosterEntry *entry)
{
  if (g_hash_table_contains(roster->by_badge, entry->badge)) {
    roster_entry_free(entry);
    return FALSE;
  }
  g_ptr_array_add(roster->entries, entry);
  g_hash_table_insert(roster->by_badge, entry->badge, entry);
  return TRUE;
}

const RosterEntry *
roster_lookup(const Roster *roster, const char *badge)
{
  return badge ? g_hash_table_lookup(roster->by_badge, badge) : NULL;
}

const RosterEntry *
roster_nth(const Roster *roster, guint i)
{
  return i < roster->entries->len ? roster->entries->pdata[i] : NULL;
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

/* After a syntax error: on to the next physical line. */
static void
csv_skip_line(CsvReader *r)
{
  const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
  r->p = nl ? nl + 1 : r->end;
  if (nl)
    r->line++;
}

/* Reads one record into @fields (strings appended, owned by the array).
 * Returns 1 when a record was read, 0 at end of input, or ROSTER_EINVAL
 * with *@reason set (transfer full) and the reader past the bad line. */
static int
csv_read_record(CsvReader *r, GPtrArray *fields, char **reason)
{
  GString *field = g_string_new(NULL);
  gboolean quoted = FALSE, was_quoted = FALSE;
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
        *reason = g_strdup("stray quote inside a field");
        rc = ROSTER_EINVAL;
        csv_skip_line(r);
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
      *reason = g_strdup("text after a closing quote");
      rc = ROSTER_EINVAL;
      csv_skip_line(r);
      goto done;
    } else if (c == '\0') {
      *reason = g_strdup("NUL byte");
      rc = ROSTER_EINVAL;
      csv_skip_line(r);
      goto done;
    } else {
      g_string_append_c(field, c);
    }
  }
  if (quoted) {
    *reason = g_strdup("quoted field not closed");
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

/* Column index of each Column in the file, or -1. */
typedef struct {
  int at[COL_N];
  guint n; /* columns in the header */
} Layout;

/* NULL if the header is usable, else the reason (transfer full). */
static char *
layout_parse(GPtrArray *f, Layout *l)
{
  for (guint c = 0; c < COL_N; c++)
    l->at[c] = -1;
  l->n = f->len;
  for (guint i = 0; i < f->len; i++) {
    const char *name = g_strstrip((char *)f->pdata[i]);
    guint c;
    for (c = 0; c < COL_N; c++)
      if (strcmp(name, column_names[c]) == 0)
        break;
    if (c == COL_N)
      return g_strdup_printf("header: unknown column '%s'; " HEADER_HELP, name);
    if (l->at[c] >= 0)
      return g_strdup_printf("header: column '%s' twice", name);
    l->at[c] = (int)i;
  }
  static const Column required[] = {COL_BADGE, COL_ENTITY, COL_CATEGORY, COL_ROLES};
  for (guint i = 0; i < G_N_ELEMENTS(required); i++)
    if (l->at[required[i]] < 0)
      return g_strdup_printf("header: no '%s' column; " HEADER_HELP, column_names[required[i]]);
  if (l->at[COL_NAME] >= 0 && (l->at[COL_FAMILY] >= 0 || l->at[COL_GIVEN] >= 0))
    return g_strdup("header: 'name' together with family_name/given_name; " HEADER_HELP);
  if (l->at[COL_NAME] < 0 && l->at[COL_FAMILY] < 0)
    return g_strdup("header: no 'family_name' column; " HEADER_HELP);
  if (l->at[COL_NAME] >= 0 && l->at[COL_CODE_HASH] < 0)
    return g_strdup("header: stage 1's format needs its code_hash column; " HEADER_HELP);
  return NULL;
}

static const char *
field(GPtrArray *f, const Layout *l, Column c)
{
  return l->at[c] >= 0 ? f->pdata[l->at[c]] : "";
}

static int
ldc_parse(const char *s, gboolean *out)
{
  static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0", ""};
  for (guint i = 0; i < G_N_ELEMENTS(yes); i++)
    if (g_ascii_strcasecmp(s, yes[i]) == 0)
      return (*out = TRUE), ROSTER_OK;
  for (guint i = 0; i < G_N_ELEMENTS(no); i++)
    if (g_ascii_strcasecmp(s, no[i]) == 0)
      return (*out = FALSE), ROSTER_OK;
  return ROSTER_EINVAL;
}

static gboolean
email_valid(const char *s)
{
  const char *at = strchr(s, '@');
  if (!*s)
    return TRUE; /* optional */
  if (!at || at == s || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.'))
    return FALSE;
  for (const char *p = s; *p; p++)
    if ((guchar)*p <= ' ' || *p == ',' || *p == ';' || *p == '<' || *p == '>' || *p == '"')
      return FALSE;
  return strlen(s) <= 254;
}

static gboolean
text_valid(const char *s)
{
  if (!g_utf8_validate(s, -1, NULL) || strlen(s) > 256)
    return FALSE;
  for (const char *p = s; *p; p++)
    if ((guchar)*p < ' ' && *p != '\t')
      return FALSE;
  return TRUE;
}

static void
problem_add(GPtrArray *problems, guint line, char *reason)
{
  RosterProblem *p = g_new0(RosterProblem, 1);
  p->line = line;
  p->reason = reason;
  g_ptr_array_add(problems, p);
}

static void
problem_free(gpointer data)
{
  RosterProblem *p = data;
  g_free(p->reason);
  g_free(p);
}

char *
roster_problem_format(const RosterProblem *p)
{
  return g_strdup_printf("line %u: %s", p->line, p->reason);
}

/* NULL and *@out, or the reason why the line is bad (transfer full). */
static char *
parse_entry(GPtrArray *f, const Layout *l, const Meeting *meeting, guint flags, RosterEntry **out)
{
  gboolean ldc = FALSE;

  for (guint i = 0; i < f->len; i++)
    g_strstrip(f->pdata[i]);
  const char *badge = field(f, l, COL_BADGE), *entity = field(f, l, COL_ENTITY);
  const char *category = field(f, l, COL_CATEGORY), *roles = field(f, l, COL_ROLES);
  const char *hash = field(f, l, COL_CODE_HASH), *email = field(f, l, COL_EMAIL);
  const char *family = l->at[COL_NAME] >= 0 ? field(f, l, COL_NAME) : field(f, l, COL_FAMILY);
  const char *given = field(f, l, COL_GIVEN);

  if (!roster_badge_valid(badge))
    return g_strdup_printf("bad badge '%s' (1-64 of A-Z a-z 0-9 . _ -)", badge);
  if (!*family || !*entity)
    return g_strdup(l->at[COL_NAME] >= 0 ? "empty name or entity"
                                         : "empty family_name or entity");
  if (!text_valid(family) || !text_valid(given) || !text_valid(entity))
    return g_strdup("a name or the entity is not UTF-8 text of at most 256 bytes");
  if (meeting ? !meeting_find_category(meeting, category)
              : roster_category_from_id(category) == ROSTER_CATEGORY_OTHER)
    return g_strdup_printf("unknown category '%s'%s", category,
                           meeting ? " (not one of the meeting's categories)" : "");
  g_auto(GStrv) role_list = g_strsplit(roles, ";", -1);
  if (!role_list[0] || (!role_list[1] && !*g_strstrip(role_list[0])))
    return g_strdup("no roles");
  for (char **r = role_list; *r; r++) {
    char *why = role_problem(g_strstrip(*r), meeting);
    if (why)
      return why;
    for (char **s = role_list; s < r; s++)
      if (strcmp(*s, *r) == 0)
        return g_strdup_printf("role '%s' twice", *r);
  }
  if (!email_valid(email))
    return g_strdup_printf("bad email '%s'", email);
  if (ldc_parse(field(f, l, COL_LDC), &ldc) < 0)
    return g_strdup_printf("bad ldc '%s' (true/false, yes/no, 1/0)", field(f, l, COL_LDC));
  if ((*hash || (flags & ROSTER_REQUIRE_CODE_HASH)) && passhash_check_format(hash) < 0)
    return g_strdup("bad code_hash format (expected pbkdf2-sha256$ITER$SALT$HASH)");

  RosterEntry *e = g_new0(RosterEntry, 1);
  e->badge = g_strdup(badge);
  e->family_name = g_strdup(l->at[COL_NAME] >= 0 ? "" : family);
  e->given_name = g_strdup(given);
  e->name = *given ? g_strdup_printf("%s %s", given, family) : g_strdup(family);
  e->entity = g_strdup(entity);
  e->category_id = g_strdup(category);
  e->category = roster_category_from_id(category);
  e->roles = g_steal_pointer(&role_list);
  e->email = g_strdup(email);
  e->ldc = ldc;
  e->code_hash = *hash ? g_strdup(hash) : NULL;
  *out = e;
  return NULL;
}

int
roster_parse_checked(const char *text, gsize len, const Meeting *meeting, guint flags,
                     Roster **out, GPtrArray **problems_out)
{
  CsvReader r = {text, text + len, 1};
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(problem_free);
  g_autoptr(GHashTable) first_line = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Roster *roster = roster_new();
  gboolean have_header = FALSE;
  Layout layout = {0};

  *out = NULL;
  if (problems_out)
    *problems_out = NULL;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    r.p += 3;

  for (;;) {
    g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
    guint line = r.line;
    char *why = NULL;
    if (r.p < r.end && *r.p == '#') { /* comment line */
      csv_skip_line(&r);
      continue;
    }
    int rc = csv_read_record(&r, fields, &why);
    if (rc < 0) {
      problem_add(problems, line, why);
      if (!have_header)
        break;
      continue;
    }
    if (rc == 0)
      break;
    if (record_is_blank(fields))
      continue;
    if (!have_header) {
      if ((why = layout_parse(fields, &layout))) {
        problem_add(problems, line, why);
        break; /* the lines cannot be read without it */
      }
      have_header = TRUE;
      continue;
    }
    if (fields->len != layout.n) {
      problem_add(problems, line,
                  g_strdup_printf("%u columns, expected %u", fields->len, layout.n));
      continue;
    }
    RosterEntry *e = NULL;
    if ((why = parse_entry(fields, &layout, meeting, flags, &e))) {
      problem_add(problems, line, why);
      continue;
    }
    guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(first_line, e->badge));
    if (seen) {
      problem_add(problems, line,
                  g_strdup_printf("duplicate badge '%s' (first on line %u)", e->badge, seen));
      roster_entry_free(e);
      continue;
    }
    g_hash_table_insert(first_line, g_strdup(e->badge), GUINT_TO_POINTER(line));
    roster_add(roster, e);
  }
  if (!have_header && problems->len == 0)
    problem_add(problems, 1, g_strdup("header missing; " HEADER_HELP));
  if (problems->len > 0) {
    roster_free(roster);
    if (problems_out)
      *problems_out = g_steal_pointer(&problems);
    return ROSTER_EINVAL;
  }
  *out = roster;
  return ROSTER_OK;
}

int
roster_parse(const char *text, gsize len, Roster **out, char **detail)
{
  g_autoptr(GPtrArray) problems = NULL;
  int rc = roster_parse_checked(text, len, NULL, ROSTER_REQUIRE_CODE_HASH, out, &problems);
  if (rc < 0 && detail) {
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < problems->len; i++) {
      g_autofree char *one = roster_problem_format(problems->pdata[i]);
      g_string_append_printf(s, "%s%s", i ? "\n" : "", one);
    }
    *detail = g_string_free(s, FALSE);
  }
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
