/* SPDX-License-Identifier: Apache-2.0 */
#include "meeting.h"

#include "json_text.h"
#include "meeting_lex.h"

#include <errno.h>
#include <string.h>

#define MEETING_MAX_FILE (1024 * 1024)

typedef struct {
  const char *file;
  GPtrArray *errors;
  GTimeZone *tz; /* NULL if the meeting's zone is bad */
  GHashTable *day_ids, *session_ids, *item_ids, *language_codes, *category_ids;
  GHashTable *bad_dates; /* MeetingDay* whose date was refused: no offset checks */
} Ctx;

/* ---- errors ---- */

static void
error_free(gpointer data)
{
  MeetingError *e = data;
  g_free(e->file);
  g_free(e->path);
  g_free(e->reason);
  g_free(e);
}

G_GNUC_PRINTF(4, 5)
static void
report(Ctx *c, MeetingErrorKind kind, const char *path, const char *fmt, ...)
{
  MeetingError *e = g_new0(MeetingError, 1);
  va_list ap;
  va_start(ap, fmt);
  e->reason = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  e->kind = kind;
  e->file = g_strdup(c->file);
  e->path = g_strdup(path);
  g_ptr_array_add(c->errors, e);
}

char *
meeting_error_format(const MeetingError *e)
{
  if (!*e->path)
    return g_strdup_printf("%s: %s", e->file, e->reason);
  return g_strdup_printf("%s: %s: %s", e->file, e->path, e->reason);
}

/* "sessions[2]" + "end" → "sessions[2].end"; "" + "end" → "end". */
static char *
field_path(const char *parent, const char *name)
{
  return *parent ? g_strdup_printf("%s.%s", parent, name) : g_strdup(name);
}

static char *
index_path(const char *parent, guint i)
{
  return g_strdup_printf("%s[%u]", parent, i);
}

/* ---- JSON shapes ---- */

typedef enum { T_STRING, T_STRING_OR_NULL, T_BOOL, T_ARRAY } FieldType;

typedef struct {
  const char *name;
  FieldType type;
  gboolean required;
} Field;

static const char *
node_kind(JsonNode *n)
{
  if (JSON_NODE_HOLDS_NULL(n))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT(n))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY(n))
    return "an array";
  GType t = json_node_get_value_type(n);
  if (t == G_TYPE_STRING)
    return "a string";
  if (t == G_TYPE_BOOLEAN)
    return "a boolean";
  return "a number";
}

static gboolean
is_string(JsonNode *n)
{
  return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
}

static gboolean
is_bool(JsonNode *n)
{
  return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN;
}

static const char *const type_names[] = {
    [T_STRING] = "a string",
    [T_STRING_OR_NULL] = "a string or null",
    [T_BOOL] = "a boolean",
    [T_ARRAY] = "an array",
};

static gboolean
type_ok(JsonNode *n, FieldType t)
{
  switch (t) {
  case T_STRING:
    return is_string(n);
  case T_STRING_OR_NULL:
    return is_string(n) || JSON_NODE_HOLDS_NULL(n);
  case T_BOOL:
    return is_bool(n);
  case T_ARRAY:
    return JSON_NODE_HOLDS_ARRAY(n);
  }
  return FALSE;
}

static const Field *
find_field(const Field *fields, const char *name)
{
  for (const Field *f = fields; f->name; f++)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

/* Reports unknown members, missing required ones, wrong types, empty
 * strings and arrays where a value is needed. */
static void
check_object(Ctx *c, JsonObject *o, const char *path, const Field *fields)
{
  g_autoptr(GList) names = json_object_get_members(o);
  for (GList *l = names; l; l = l->next) {
    const char *name = l->data;
    g_autofree char *p = field_path(path, name);
    const Field *f = find_field(fields, name);
    if (!f) {
      report(c, MEETING_ERR_UNKNOWN_FIELD, p, "unknown field");
      continue;
    }
    JsonNode *n = json_object_get_member(o, name);
    if (!type_ok(n, f->type))
      report(c, MEETING_ERR_TYPE, p, "expected %s, got %s", type_names[f->type], node_kind(n));
    else if (is_string(n) && !*json_node_get_string(n))
      report(c, MEETING_ERR_EMPTY, p, "empty string");
  }
  for (const Field *f = fields; f->name; f++)
    if (f->required && !json_object_has_member(o, f->name)) {
      g_autofree char *p = field_path(path, f->name);
      report(c, MEETING_ERR_MISSING, p, "missing");
    }
}

/* The member if check_object found it well typed and non-empty, else NULL. */
static JsonNode *
member(JsonObject *o, const char *name, FieldType t)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !type_ok(n, t) || (is_string(n) && !*json_node_get_string(n)))
    return NULL;
  return n;
}

static const char *
member_string(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name, T_STRING_OR_NULL);
  return n && is_string(n) ? json_node_get_string(n) : NULL;
}

/* The elements of an array member as a loop: each non-object element is
 * reported; returns the array or NULL. */
static JsonArray *
member_array(Ctx *c, JsonObject *o, const char *path, const char *name, gboolean nonempty)
{
  JsonNode *n = member(o, name, T_ARRAY);
  if (!n)
    return NULL;
  JsonArray *a = json_node_get_array(n);
  if (nonempty && json_array_get_length(a) == 0) {
    g_autofree char *p = field_path(path, name);
    report(c, MEETING_ERR_EMPTY, p, "empty array");
  }
  return a;
}

/* Element @i as an object, or reports it and returns NULL. */
static JsonObject *
element_object(Ctx *c, JsonArray *a, guint i, const char *p)
{
  JsonNode *e = json_array_get_element(a, i);
  if (!JSON_NODE_HOLDS_OBJECT(e)) {
    report(c, MEETING_ERR_TYPE, p, "expected an object, got %s", node_kind(e));
    return NULL;
  }
  return json_node_get_object(e);
}

/* Element @i as a non-empty string, or reports it and returns NULL. */
static const char *
element_string(Ctx *c, JsonArray *a, guint i, const char *p)
{
  JsonNode *e = json_array_get_element(a, i);
  if (!is_string(e)) {
    report(c, MEETING_ERR_TYPE, p, "expected a string, got %s", node_kind(e));
    return NULL;
  }
  if (!*json_node_get_string(e)) {
    report(c, MEETING_ERR_EMPTY, p, "empty string");
    return NULL;
  }
  return json_node_get_string(e);
}

static void
check_notes(Ctx *c, JsonObject *o, const char *path)
{
  JsonArray *a = member_array(c, o, path, "notes", TRUE);
  if (!a)
    return;
  g_autofree char *base = field_path(path, "notes");
  for (guint i = 0; i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path(base, i);
    element_string(c, a, i, p);
  }
}

/* ---- the Meeting ---- */

static void
day_free(gpointer data)
{
  MeetingDay *d = data;
  g_free(d->id);
  g_free(d->date);
  g_free(d);
}

static void
session_free(gpointer data)
{
  MeetingSession *s = data;
  g_free(s->id);
  g_free(s->title);
  g_strfreev(s->booths);
  g_free(s);
}

static void
item_free(gpointer data)
{
  MeetingItem *it = data;
  g_free(it->id);
  g_free(it->title);
  g_free(it);
}

static void
language_free(gpointer data)
{
  MeetingLanguage *l = data;
  g_free(l->code);
  g_free(l->name);
  g_free(l);
}

static void
category_free(gpointer data)
{
  MeetingCategory *cat = data;
  g_free(cat->id);
  g_free(cat->label);
  g_free(cat);
}

void
meeting_free(Meeting *m)
{
  if (!m)
    return;
  g_free(m->id);
  g_free(m->acronym);
  g_free(m->title);
  g_free(m->reference);
  g_free(m->location);
  g_free(m->timezone);
  g_clear_pointer(&m->days, g_ptr_array_unref);
  g_clear_pointer(&m->sessions, g_ptr_array_unref);
  g_clear_pointer(&m->agenda, g_ptr_array_unref);
  g_clear_pointer(&m->languages, g_ptr_array_unref);
  g_clear_pointer(&m->categories, g_ptr_array_unref);
  g_strfreev(m->closed_session_categories);
  g_free(m);
}

/* What an id table holds: the object and where its id was first given. */
typedef struct {
  gpointer obj;
  char *path;
} Claim;

static void
claim_free(gpointer data)
{
  Claim *cl = data;
  g_free(cl->path);
  g_free(cl);
}

static GHashTable *
id_table_new(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, claim_free);
}

/* The object registered under @id, or NULL. */
static gpointer
id_lookup(GHashTable *seen, const char *id)
{
  Claim *cl = g_hash_table_lookup(seen, id);
  return cl ? cl->obj : NULL;
}

/* Registers @id in @seen under @p, or reports a duplicate. */
static gboolean
claim_id(Ctx *c, GHashTable *seen, const char *id, const char *p, gpointer obj)
{
  const Claim *first = g_hash_table_lookup(seen, id);
  if (first) {
    report(c, MEETING_ERR_DUPLICATE, p, "duplicate id '%s' (first at %s)", id, first->path);
    return FALSE;
  }
  Claim *cl = g_new(Claim, 1);
  cl->obj = obj;
  cl->path = g_strdup(p);
  g_hash_table_insert(seen, g_strdup(id), cl);
  return TRUE;
}

static const Field top_fields[] = {
    {"_spdx", T_STRING, FALSE},
    {"id", T_STRING, TRUE},
    {"acronym", T_STRING, FALSE},
    {"title", T_STRING, TRUE},
    {"reference", T_STRING, FALSE},
    {"theme", T_STRING, FALSE},
    {"location", T_STRING, TRUE},
    {"timezone", T_STRING, TRUE},
    {"days", T_ARRAY, TRUE},
    {"sessions", T_ARRAY, TRUE},
    {"agenda", T_ARRAY, TRUE},
    {"languages", T_ARRAY, TRUE},
    {"categories", T_ARRAY, TRUE},
    {"closed_session_categories", T_ARRAY, FALSE},
    {"closed_session_roles", T_ARRAY, FALSE},
    {"roles", T_ARRAY, TRUE},
    {"notes", T_ARRAY, FALSE},
    {NULL, 0, FALSE},
};

static const Field day_fields[] = {
    {"id", T_STRING, TRUE},
    {"date", T_STRING_OR_NULL, TRUE},
    {"notes", T_ARRAY, FALSE},
    {NULL, 0, FALSE},
};

static const Field session_fields[] = {
    {"id", T_STRING, TRUE},     {"day", T_STRING, TRUE},   {"start", T_STRING, TRUE},
    {"end", T_STRING, TRUE},    {"title", T_STRING, TRUE}, {"closed", T_BOOL, FALSE},
    {"booths", T_ARRAY, FALSE}, {"notes", T_ARRAY, FALSE}, {NULL, 0, FALSE},
};

static const Field item_fields[] = {
    {"id", T_STRING, TRUE},    {"title", T_STRING, TRUE}, {"session", T_STRING, FALSE},
    {"notes", T_ARRAY, FALSE}, {NULL, 0, FALSE},
};

static const Field language_fields[] = {
    {"code", T_STRING, TRUE},  {"name", T_STRING, TRUE}, {"booth", T_BOOL, TRUE},
    {"notes", T_ARRAY, FALSE}, {NULL, 0, FALSE},
};

static const Field category_fields[] = {
    {"id", T_STRING, TRUE},
    {"label", T_STRING, TRUE},
    {"notes", T_ARRAY, FALSE},
    {NULL, 0, FALSE},
};

static const struct {
  const char *name;
  MeetingRole role;
} role_names[] = {
    {"delegate", MEETING_ROLE_DELEGATE},
    {"interpreter", MEETING_ROLE_INTERPRETER},
    {"operator", MEETING_ROLE_OPERATOR},
    {"chair", MEETING_ROLE_CHAIR},
};

MeetingRole
meeting_role_from_name(const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS(role_names); i++)
    if (name && strcmp(role_names[i].name, name) == 0)
      return role_names[i].role;
  return 0;
}

static void
parse_top(Ctx *c, JsonObject *o, Meeting *m)
{
  const char *s;
  check_object(c, o, "", top_fields);
  check_notes(c, o, "");
  if ((s = member_string(o, "id")) && !meeting_lex_slug_ok(s))
    report(c, MEETING_ERR_SYNTAX, "id",
           "'%s' is not a meeting id (lower-case letters and digits joined by '-')", s);
  m->id = g_strdup(s);
  m->acronym = g_strdup(member_string(o, "acronym"));
  m->title = g_strdup(member_string(o, "title"));
  m->reference = g_strdup(member_string(o, "reference"));
  m->location = g_strdup(member_string(o, "location"));
  if ((s = member_string(o, "timezone"))) {
    m->timezone = g_strdup(s);
    if (meeting_lex_timezone_syntax_ok(s))
      c->tz = g_time_zone_new_identifier(s);
    if (!c->tz)
      report(c, MEETING_ERR_TIMEZONE, "timezone",
             "'%s' is not a time zone of the tz database (e.g. Europe/Zurich)", s);
  }
}

static void
parse_days(Ctx *c, JsonObject *o, Meeting *m)
{
  JsonArray *a = member_array(c, o, "", "days", TRUE);
  const MeetingDay *prev = NULL;
  g_autofree char *prev_path = NULL;
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path("days", i);
    JsonObject *e = element_object(c, a, i, p);
    if (!e)
      continue;
    check_object(c, e, p, day_fields);
    check_notes(c, e, p);
    MeetingDay *d = g_new0(MeetingDay, 1);
    const char *id = member_string(e, "id"), *date = member_string(e, "date");
    d->id = g_strdup(id);
    g_ptr_array_add(m->days, d);
    if (!member(e, "date", T_STRING_OR_NULL))
      g_hash_table_add(c->bad_dates, d); /* missing or wrong: not "no date yet" */
    if (id) {
      g_autofree char *pid = field_path(p, "id");
      if (!meeting_lex_id_ok(id))
        report(c, MEETING_ERR_SYNTAX, pid, "'%s' is not an id ([A-Za-z0-9._-], at most 64)", id);
      else
        claim_id(c, c->day_ids, id, pid, d);
    }
    if (date) {
      g_autofree char *pd = field_path(p, "date");
      if (!meeting_lex_date_parse(date, &d->gdate)) {
        report(c, MEETING_ERR_DATE, pd, "'%s' is not an ISO 8601 date (YYYY-MM-DD)", date);
        g_hash_table_add(c->bad_dates, d);
        continue;
      }
      d->date = g_strdup(date);
      if (prev && g_date_compare(&prev->gdate, &d->gdate) >= 0)
        report(c, MEETING_ERR_ORDER, pd, "%s is not after %s (%s)", date, prev->date, prev_path);
      prev = d;
      g_free(prev_path);
      prev_path = g_steal_pointer(&pd);
    }
  }
}

static void
parse_languages(Ctx *c, JsonObject *o, Meeting *m)
{
  JsonArray *a = member_array(c, o, "", "languages", TRUE);
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path("languages", i);
    JsonObject *e = element_object(c, a, i, p);
    if (!e)
      continue;
    check_object(c, e, p, language_fields);
    check_notes(c, e, p);
    const char *code = member_string(e, "code");
    JsonNode *booth = member(e, "booth", T_BOOL);
    MeetingLanguage *l = g_new0(MeetingLanguage, 1);
    l->name = g_strdup(member_string(e, "name"));
    l->booth = booth && json_node_get_boolean(booth);
    g_ptr_array_add(m->languages, l);
    if (!code)
      continue;
    g_autofree char *pc = field_path(p, "code");
    if (!meeting_lex_language_ok(code)) {
      report(c, MEETING_ERR_LANGUAGE, pc, "'%s' is not a BCP 47 language tag (e.g. en, zh, es-419)",
             code);
      continue;
    }
    l->code = g_strdup(code);
    g_autofree char *folded = g_ascii_strdown(code, -1);
    claim_id(c, c->language_codes, folded, pc, l);
  }
}

static void
parse_categories(Ctx *c, JsonObject *o, Meeting *m)
{
  JsonArray *a = member_array(c, o, "", "categories", TRUE);
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path("categories", i);
    JsonObject *e = element_object(c, a, i, p);
    if (!e)
      continue;
    check_object(c, e, p, category_fields);
    check_notes(c, e, p);
    const char *id = member_string(e, "id");
    MeetingCategory *cat = g_new0(MeetingCategory, 1);
    cat->label = g_strdup(member_string(e, "label"));
    g_ptr_array_add(m->categories, cat);
    if (!id)
      continue;
    g_autofree char *pid = field_path(p, "id");
    if (!meeting_lex_category_id_ok(id)) {
      report(c, MEETING_ERR_SYNTAX, pid, "'%s' is not a category id ([a-z][a-z0-9_]*)", id);
      continue;
    }
    cat->id = g_strdup(id);
    claim_id(c, c->category_ids, id, pid, cat);
  }
}

/* An array of role names: the MeetingRole bits; unknown names, duplicates,
 * roles outside @allowed (if not 0) and roles in @forbidden are reported. */
static unsigned
parse_role_list(Ctx *c, JsonObject *o, const char *name, gboolean nonempty, unsigned allowed,
                unsigned forbidden)
{
  JsonArray *a = member_array(c, o, "", name, nonempty);
  unsigned bits = 0;
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path(name, i);
    const char *s = element_string(c, a, i, p);
    if (!s)
      continue;
    MeetingRole r = meeting_role_from_name(s);
    if (!r)
      report(c, MEETING_ERR_ROLE, p, "unknown role '%s' (delegate, interpreter, operator, chair)",
             s);
    else if (bits & r)
      report(c, MEETING_ERR_DUPLICATE, p, "role '%s' given twice", s);
    else if (allowed && !(allowed & r))
      report(c, MEETING_ERR_ROLE, p, "role '%s' is not in the meeting's roles", s);
    else if (r & forbidden)
      report(c, MEETING_ERR_ROLE, p,
             "role '%s' would admit every category; name categories in closed_session_categories",
             s);
    bits |= r;
  }
  return bits;
}

static void
parse_closed_categories(Ctx *c, JsonObject *o, Meeting *m)
{
  JsonArray *a = member_array(c, o, "", "closed_session_categories", FALSE);
  GPtrArray *ids = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path("closed_session_categories", i);
    const char *s = element_string(c, a, i, p);
    if (!s)
      continue;
    if (!id_lookup(c->category_ids, s))
      report(c, MEETING_ERR_CATEGORY, p, "category '%s' is not defined in categories", s);
    else if (!g_hash_table_add(seen, (gpointer)s))
      report(c, MEETING_ERR_DUPLICATE, p, "category '%s' given twice", s);
    else
      g_ptr_array_add(ids, g_strdup(s));
  }
  g_ptr_array_add(ids, NULL);
  m->closed_session_categories = (char **)g_ptr_array_free(ids, FALSE);
}

/* Parses a session time and checks its offset against the day and zone. */
static gboolean
parse_session_time(Ctx *c, JsonObject *e, const char *p, const char *name, const MeetingDay *day,
                   MeetingTime *t)
{
  const char *s = member_string(e, name);
  if (!s)
    return FALSE;
  g_autofree char *pt = field_path(p, name);
  if (!meeting_lex_time_parse(s, t)) {
    report(c, MEETING_ERR_TIME, pt, "'%s' is not an ISO 8601 time (hh:mm[:ss][Z|±hh:mm])", s);
    return FALSE;
  }
  if (!day || g_hash_table_contains(c->bad_dates, day))
    return TRUE;
  if (!day->date && t->has_offset) {
    report(c, MEETING_ERR_OFFSET, pt,
           "'%s' has a UTC offset but day '%s' has no date, so its offset is not known", s,
           day->id);
    return FALSE;
  }
  int zone_off = t->offset; /* the zone's offset at that local time, if known */
  if (day->date && c->tz) {
    g_autoptr(GDateTime) dt = g_date_time_new(
        c->tz, g_date_get_year(&day->gdate), g_date_get_month(&day->gdate),
        g_date_get_day(&day->gdate), t->seconds / 3600, t->seconds / 60 % 60, t->seconds % 60);
    if (dt)
      zone_off = (int)(g_date_time_get_utc_offset(dt) / G_USEC_PER_SEC);
  }
  g_autofree char *want = meeting_lex_offset_text(zone_off);
  if (day->date && !t->has_offset) {
    report(c, MEETING_ERR_OFFSET, pt, "'%s' lacks its UTC offset (day '%s' is %s)%s%.5s%s", s,
           day->id, day->date, c->tz ? ", e.g. " : "", c->tz ? s : "", c->tz ? want : "");
    return FALSE;
  }
  if (zone_off != t->offset) {
    g_autofree char *got = meeting_lex_offset_text(t->offset);
    report(c, MEETING_ERR_OFFSET, pt, "UTC offset %s is not that of %s on %s (%s)", got,
           g_time_zone_get_identifier(c->tz), day->date, want);
    return FALSE;
  }
  return TRUE;
}

static void
parse_session_booths(Ctx *c, JsonObject *e, const char *p, Meeting *m, MeetingSession *s)
{
  JsonArray *a = member_array(c, e, p, "booths", FALSE);
  GPtrArray *codes = g_ptr_array_new();
  if (!a) {
    for (guint i = 0; i < m->languages->len; i++) {
      const MeetingLanguage *l = m->languages->pdata[i];
      if (l->booth && l->code)
        g_ptr_array_add(codes, g_strdup(l->code));
    }
  }
  g_autofree char *base = field_path(p, "booths");
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *pb = index_path(base, i);
    const char *code = element_string(c, a, i, pb);
    if (!code)
      continue;
    g_autofree char *folded = g_ascii_strdown(code, -1);
    const MeetingLanguage *l = id_lookup(c->language_codes, folded);
    if (!l)
      report(c, MEETING_ERR_BOOTH, pb, "'%s' is not a language of the meeting", code);
    else if (!l->booth)
      report(c, MEETING_ERR_BOOTH, pb, "language '%s' has no booth", code);
    else if (!g_hash_table_add(seen, g_steal_pointer(&folded)))
      report(c, MEETING_ERR_DUPLICATE, pb, "booth '%s' given twice", code);
    else
      g_ptr_array_add(codes, g_strdup(l->code));
  }
  g_ptr_array_add(codes, NULL);
  s->booths = (char **)g_ptr_array_free(codes, FALSE);
}

static void
parse_sessions(Ctx *c, JsonObject *o, Meeting *m)
{
  JsonArray *a = member_array(c, o, "", "sessions", TRUE);
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path("sessions", i);
    JsonObject *e = element_object(c, a, i, p);
    if (!e)
      continue;
    check_object(c, e, p, session_fields);
    check_notes(c, e, p);
    MeetingSession *s = g_new0(MeetingSession, 1);
    g_ptr_array_add(m->sessions, s);
    const char *id = member_string(e, "id"), *day = member_string(e, "day");
    JsonNode *closed = member(e, "closed", T_BOOL);
    s->id = g_strdup(id);
    s->title = g_strdup(member_string(e, "title"));
    s->closed = closed && json_node_get_boolean(closed);
    if (id) {
      g_autofree char *pid = field_path(p, "id");
      if (!meeting_lex_id_ok(id))
        report(c, MEETING_ERR_SYNTAX, pid, "'%s' is not an id ([A-Za-z0-9._-], at most 64)", id);
      else
        claim_id(c, c->session_ids, id, pid, s);
    }
    if (day && !(s->day = id_lookup(c->day_ids, day))) {
      g_autofree char *pd = field_path(p, "day");
      report(c, MEETING_ERR_UNKNOWN_DAY, pd, "the meeting has no day '%s'", day);
    }
    gboolean ok_start = parse_session_time(c, e, p, "start", s->day, &s->start);
    gboolean ok_end = parse_session_time(c, e, p, "end", s->day, &s->end);
    if (ok_start && ok_end &&
        s->end.seconds - s->end.offset <= s->start.seconds - s->start.offset) {
      g_autofree char *pe = field_path(p, "end");
      report(c, MEETING_ERR_ORDER, pe, "'%s' is not after start '%s'", member_string(e, "end"),
             member_string(e, "start"));
    }
    parse_session_booths(c, e, p, m, s);
    if (s->closed && !m->closed_session_categories[0]) {
      g_autofree char *pc = field_path(p, "closed");
      report(c, MEETING_ERR_INCONSISTENT, pc,
             "a closed session, but the meeting names no closed_session_categories");
    }
  }
}

static void
parse_agenda(Ctx *c, JsonObject *o, Meeting *m)
{
  JsonArray *a = member_array(c, o, "", "agenda", TRUE);
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    g_autofree char *p = index_path("agenda", i);
    JsonObject *e = element_object(c, a, i, p);
    if (!e)
      continue;
    check_object(c, e, p, item_fields);
    check_notes(c, e, p);
    MeetingItem *it = g_new0(MeetingItem, 1);
    g_ptr_array_add(m->agenda, it);
    const char *id = member_string(e, "id"), *session = member_string(e, "session");
    it->id = g_strdup(id);
    it->title = g_strdup(member_string(e, "title"));
    if (id) {
      g_autofree char *pid = field_path(p, "id");
      if (!meeting_lex_id_ok(id))
        report(c, MEETING_ERR_SYNTAX, pid, "'%s' is not an id ([A-Za-z0-9._-], at most 64)", id);
      else
        claim_id(c, c->item_ids, id, pid, it);
    }
    if (session && !(it->session = id_lookup(c->session_ids, session))) {
      g_autofree char *ps = field_path(p, "session");
      report(c, MEETING_ERR_UNKNOWN_SESSION, ps, "the meeting has no session '%s'", session);
    }
  }
}

/* Booths need interpreters and interpreters need booths. */
static void
check_roles_against_booths(Ctx *c, JsonObject *o, Meeting *m)
{
  if (!member(o, "roles", T_ARRAY))
    return;
  gboolean booth = FALSE;
  for (guint i = 0; i < m->languages->len; i++)
    booth |= ((MeetingLanguage *)m->languages->pdata[i])->booth;
  gboolean interp = (m->roles & MEETING_ROLE_INTERPRETER) != 0;
  if (booth && !interp)
    report(c, MEETING_ERR_INCONSISTENT, "roles",
           "a language has a booth, but role 'interpreter' is not allowed");
  else if (!booth && interp)
    report(c, MEETING_ERR_INCONSISTENT, "roles",
           "role 'interpreter' is allowed, but no language has a booth");
}

int
meeting_parse(const char *text, gsize len, const char *file, Meeting **out, GPtrArray **errors)
{
  Ctx c = {
      .file = file ? file : "<memory>",
      .errors = g_ptr_array_new_with_free_func(error_free),
      .day_ids = id_table_new(),
      .session_ids = id_table_new(),
      .item_ids = id_table_new(),
      .language_codes = id_table_new(),
      .category_ids = id_table_new(),
      .bad_dates = g_hash_table_new(NULL, NULL),
  };
  g_autoptr(JsonObject) o = NULL;
  g_autofree char *detail = NULL;
  Meeting *m = g_new0(Meeting, 1);

  *out = NULL;
  m->days = g_ptr_array_new_with_free_func(day_free);
  m->sessions = g_ptr_array_new_with_free_func(session_free);
  m->agenda = g_ptr_array_new_with_free_func(item_free);
  m->languages = g_ptr_array_new_with_free_func(language_free);
  m->categories = g_ptr_array_new_with_free_func(category_free);
  if (json_text_parse_object(text, len, &o, &detail) < 0) {
    report(&c, MEETING_ERR_JSON, "", "not a strict JSON object: %s", detail ? detail : "?");
    goto done;
  }
  parse_top(&c, o, m);
  parse_days(&c, o, m);
  parse_languages(&c, o, m);
  parse_categories(&c, o, m);
  m->roles = parse_role_list(&c, o, "roles", TRUE, 0, 0);
  parse_closed_categories(&c, o, m);
  m->closed_session_roles =
      parse_role_list(&c, o, "closed_session_roles", FALSE, m->roles, MEETING_ROLE_DELEGATE);
  parse_sessions(&c, o, m);
  parse_agenda(&c, o, m);
  check_roles_against_booths(&c, o, m);

done:
  g_clear_pointer(&c.tz, g_time_zone_unref);
  g_hash_table_unref(c.day_ids);
  g_hash_table_unref(c.session_ids);
  g_hash_table_unref(c.item_ids);
  g_hash_table_unref(c.language_codes);
  g_hash_table_unref(c.category_ids);
  g_hash_table_unref(c.bad_dates);
  int rc = c.errors->len ? -EINVAL : 0;
  if (rc < 0)
    meeting_free(m);
  else
    *out = m;
  if (errors)
    *errors = c.errors;
  else
    g_ptr_array_unref(c.errors);
  return rc;
}

int
meeting_load_file(const char *path, Meeting **out, GPtrArray **errors)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  *out = NULL;
  if (!g_file_get_contents(path, &text, &len, &error) || len > MEETING_MAX_FILE) {
    Ctx c = {.file = path, .errors = g_ptr_array_new_with_free_func(error_free)};
    int rc = error && g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? -ENOENT : -EIO;
    report(&c, MEETING_ERR_IO, "", "%s",
           error ? error->message : "larger than 1 MiB, not a meeting file");
    if (errors)
      *errors = c.errors;
    else
      g_ptr_array_unref(c.errors);
    return rc;
  }
  int rc = meeting_parse(text, len, path, out, errors);
  if (rc < 0)
    return rc;
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *want = g_strdup_printf("%s.json", (*out)->id);
  if (strcmp(base, want) != 0) {
    if (errors) {
      Ctx c = {.file = path, .errors = *errors};
      report(&c, MEETING_ERR_INCONSISTENT, "id", "'%s' does not match the file name %s", (*out)->id,
             base);
    }
    g_clear_pointer(out, meeting_free);
    return -EINVAL;
  }
  return 0;
}

/* ---- accessors ---- */

#define FIND(array, type, field, key)                                                              \
  do {                                                                                             \
    for (guint i_ = 0; key && i_ < (array)->len; i_++) {                                           \
      const type *x_ = (array)->pdata[i_];                                                         \
      if (x_->field && strcmp(x_->field, key) == 0)                                                \
        return x_;                                                                                 \
    }                                                                                              \
    return NULL;                                                                                   \
  } while (0)

const MeetingDay *
meeting_find_day(const Meeting *m, const char *id)
{
  FIND(m->days, MeetingDay, id, id);
}

const MeetingSession *
meeting_find_session(const Meeting *m, const char *id)
{
  FIND(m->sessions, MeetingSession, id, id);
}

const MeetingItem *
meeting_find_item(const Meeting *m, const char *id)
{
  FIND(m->agenda, MeetingItem, id, id);
}

const MeetingCategory *
meeting_find_category(const Meeting *m, const char *id)
{
  FIND(m->categories, MeetingCategory, id, id);
}

const MeetingLanguage *
meeting_find_language(const Meeting *m, const char *code)
{
  for (guint i = 0; code && i < m->languages->len; i++) {
    const MeetingLanguage *l = m->languages->pdata[i];
    if (g_ascii_strcasecmp(l->code, code) == 0)
      return l;
  }
  return NULL;
}

gboolean
meeting_has_booth(const Meeting *m, const char *code)
{
  const MeetingLanguage *l = meeting_find_language(m, code);
  return l && l->booth;
}

gboolean
meeting_allows_role(const Meeting *m, MeetingRole role)
{
  return role && (m->roles & role) == (unsigned)role;
}

gboolean
meeting_may_attend_closed(const Meeting *m, const char *category, unsigned roles)
{
  if (roles & m->closed_session_roles)
    return TRUE;
  for (char **c = m->closed_session_categories; category && *c; c++)
    if (strcmp(*c, category) == 0)
      return TRUE;
  return FALSE;
}
