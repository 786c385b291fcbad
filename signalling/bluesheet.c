/* SPDX-License-Identifier: Apache-2.0 */
/* Two passes: the log becomes presence intervals per badge and place
 * (grace, roles, check-in), then each interval is cut at the agenda
 * switches and its pieces summed per item. */
#include "bluesheet.h"

#include "json_text.h"

#include <string.h>

/* A presence interval of pass 1. */
typedef struct {
  char *badge, *where, *role; /* borrowed from the events */
  gint64 start, end;          /* end valid when !open */
  gboolean open, lost;        /* lost: ended by a media loss (grace applies) */
} Span;

/* An item period of pass 2: [start, next start). */
typedef struct {
  const char *item;
  gint64 start;
} Period;

gint64
bluesheet_parse_time(const char *iso)
{
  if (!iso)
    return -1;
  g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, NULL);
  if (!t)
    return -1;
  return g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t);
}

char *
bluesheet_format_time(gint64 us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  return t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

void
bluesheet_row_free(BluesheetRow *r)
{
  if (!r)
    return;
  g_free(r->item);
  g_free(r->badge);
  g_free(r->name);
  g_free(r->entity);
  g_free(r->category);
  g_free(r->role);
  g_free(r->where);
  g_array_unref(r->intervals);
  g_free(r);
}

static gboolean
is(const char *kind, const char *want)
{
  return strcmp(kind, want) == 0;
}

static gboolean
media_lost(const char *reason)
{
  return reason && (g_str_has_prefix(reason, "media_") || strcmp(reason, "relay_restarted") == 0);
}

static const char *
where_of(const StorageEvent *e)
{
  if (e->where)
    return e->where;
  return is(e->kind, STORAGE_KIND_CHECK_IN) || is(e->kind, STORAGE_KIND_CHECK_OUT) ? "onsite"
                                                                                   : "remote";
}

/* Pass 1's state: the spans, and where each badge's last one is. */
typedef struct {
  GArray *spans;    /* Span */
  GHashTable *last; /* "badge\x1fwhere" (owned) -> index + 1 into spans */
} Spans;

/* The last span of @badge at @where (open or not), or NULL. */
static Span *
last_span(Spans *sp, const char *badge, const char *where)
{
  g_autofree char *key = g_strconcat(badge, "\x1f", where, NULL);
  guint at = GPOINTER_TO_UINT(g_hash_table_lookup(sp->last, key));
  return at ? &g_array_index(sp->spans, Span, at - 1) : NULL;
}

static void
span_add(Spans *sp, Span s)
{
  g_array_append_val(sp->spans, s);
  g_hash_table_insert(sp->last, g_strconcat(s.badge, "\x1f", s.where, NULL),
                      GUINT_TO_POINTER(sp->spans->len));
}

static void
span_start(Spans *sp, const StorageEvent *e, const char *role, gint64 t)
{
  Span s = {(char *)e->badge, (char *)where_of(e), (char *)role, t, 0, TRUE, FALSE};
  span_add(sp, s);
}

static void
span_close(Span *s, gint64 t, gboolean lost)
{
  s->open = FALSE;
  s->end = MAX(t, s->start);
  s->lost = lost;
}

/* A role event: the badge's open spans end and go on in the new role. */
static void
span_role(Spans *sp, const StorageEvent *e, gint64 t)
{
  static const char *const places[] = {"remote", "onsite"};
  for (guint k = 0; e->role && k < G_N_ELEMENTS(places); k++) {
    Span *o = last_span(sp, e->badge, places[k]);
    if (!o || !o->open || (o->role && strcmp(o->role, e->role) == 0))
      continue;
    Span copy = *o;
    span_close(o, t, FALSE);
    copy.role = (char *)e->role;
    copy.start = t;
    span_add(sp, copy);
  }
}

/* Pass 1: the presence spans; @periods gets the agenda switches. */
static void
collect(const StorageEvent *events, gsize n, gint64 grace, Spans *sp, GArray *periods,
        gint64 *last_t)
{
  GArray *spans = sp->spans;
  const char *first_item = NULL;
  for (gsize i = 0; i < n; i++) {
    const StorageEvent *e = &events[i];
    gint64 t = bluesheet_parse_time(e->wall_time);
    if (t < 0 || !e->kind)
      continue;
    *last_t = MAX(*last_t, t);
    if (is(e->kind, STORAGE_KIND_ITEM)) {
      Period p = {e->agenda_item ? e->agenda_item : "", t};
      g_array_append_val(periods, p);
      continue;
    }
    if (!first_item && e->agenda_item && periods->len == 0)
      first_item = e->agenda_item;
    if (is(e->kind, STORAGE_KIND_SESSION_CLOSE)) {
      for (guint k = 0; k < spans->len; k++) {
        Span *s = &g_array_index(spans, Span, k);
        if (s->open)
          span_close(s, t, FALSE);
      }
      continue;
    }
    if (!e->badge)
      continue;
    Span *s = last_span(sp, e->badge, where_of(e));
    if (is(e->kind, STORAGE_KIND_JOIN) || is(e->kind, STORAGE_KIND_RECONNECT) ||
        is(e->kind, STORAGE_KIND_CHECK_IN)) {
      if (s && s->open)
        continue; /* already present (a second device, a repeated check-in) */
      if (s && s->lost && t - s->end <= grace) {
        s->open = TRUE; /* back within the grace period: the same interval */
        s->lost = FALSE;
        continue;
      }
      span_start(sp, e, e->role ? e->role : s ? s->role : NULL, t);
    } else if (is(e->kind, STORAGE_KIND_LEAVE) || is(e->kind, STORAGE_KIND_CHECK_OUT)) {
      if (s && s->open)
        span_close(s, t, is(e->kind, STORAGE_KIND_LEAVE) && media_lost(e->reason));
    } else if (is(e->kind, STORAGE_KIND_ROLE)) {
      span_role(sp, e, t);
    }
  }
  /* the item before the first switch */
  Period p0 = {first_item ? first_item : "", G_MININT64};
  g_array_prepend_val(periods, p0);
}

static BluesheetRow *
row_get(GHashTable *rows, GPtrArray *order, const char *item, const Span *s, const Roster *roster)
{
  const RosterEntry *r = roster ? roster_lookup(roster, s->badge) : NULL;
  const char *role = s->role ? s->role : r && r->roles && r->roles[0] ? r->roles[0] : "";
  g_autofree char *key = g_strjoin("\x1f", item, s->badge, role, s->where, NULL);
  BluesheetRow *row = g_hash_table_lookup(rows, key);
  if (row)
    return row;
  row = g_new0(BluesheetRow, 1);
  row->item = g_strdup(item);
  row->badge = g_strdup(s->badge);
  row->name = g_strdup(r ? r->name : "");
  row->entity = g_strdup(r ? r->entity : "");
  row->category = g_strdup(r ? r->category_id : "");
  row->role = g_strdup(role);
  row->where = g_strdup(s->where);
  row->first_us = G_MAXINT64;
  row->intervals = g_array_new(FALSE, FALSE, sizeof(BluesheetInterval));
  g_hash_table_insert(rows, g_steal_pointer(&key), row);
  g_ptr_array_add(order, row);
  return row;
}

static void
row_add(BluesheetRow *row, gint64 start, gint64 end, gboolean open)
{
  BluesheetInterval iv = {start, end, open};
  g_array_append_val(row->intervals, iv);
  row->first_us = MIN(row->first_us, start);
  row->last_us = MAX(row->last_us, end);
  row->open = open;
  row->present_us += end - start;
}

/* Item order: the order in which items were first current. */
static guint
item_rank(GArray *periods, const char *item)
{
  for (guint i = 0; i < periods->len; i++)
    if (strcmp(g_array_index(periods, Period, i).item, item) == 0)
      return i;
  return G_MAXUINT;
}

static gint
row_cmp(gconstpointer a, gconstpointer b, gpointer periods)
{
  const BluesheetRow *x = *(BluesheetRow *const *)a, *y = *(BluesheetRow *const *)b;
  guint rx = item_rank(periods, x->item), ry = item_rank(periods, y->item);
  if (rx != ry)
    return rx < ry ? -1 : 1;
  if (x->first_us != y->first_us)
    return x->first_us < y->first_us ? -1 : 1;
  int c = strcmp(x->badge, y->badge);
  return c ? c : strcmp(x->where, y->where);
}

GPtrArray *
bluesheet_compute(const StorageEvent *events, gsize n, const Roster *roster,
                  const BluesheetOptions *opt)
{
  g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(Span));
  g_autoptr(GHashTable) last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Spans sp = {spans, last};
  g_autoptr(GArray) periods = g_array_new(FALSE, FALSE, sizeof(Period));
  g_autoptr(GHashTable) rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *order = g_ptr_array_new_with_free_func((GDestroyNotify)bluesheet_row_free);
  gint64 last_t = 0;

  collect(events, n, opt->grace_us, &sp, periods, &last_t);
  gint64 now = opt->now_us ? opt->now_us : last_t;
  if (opt->per_session) {
    g_array_set_size(periods, 0);
    Period all = {"", G_MININT64};
    g_array_append_val(periods, all);
  }
  for (guint i = 0; i < spans->len; i++) {
    const Span *s = &g_array_index(spans, Span, i);
    gint64 end = s->open ? MAX(now, s->start) : s->end;
    for (guint k = 0; k < periods->len; k++) {
      const Period *p = &g_array_index(periods, Period, k);
      gint64 p_end =
          k + 1 < periods->len ? g_array_index(periods, Period, k + 1).start : G_MAXINT64;
      gint64 a = MAX(s->start, p->start), b = MIN(end, p_end);
      /* a piece with time in it, or a zero-length span where it started */
      if (b > a || (s->start == end && s->start >= p->start && s->start < p_end)) {
        if (opt->item && strcmp(opt->item, p->item) != 0)
          continue;
        row_add(row_get(rows, order, p->item, s, roster), a, MAX(a, b), s->open && b == end);
      }
    }
  }
  g_ptr_array_sort_with_data(order, row_cmp, periods);
  return order;
}

/* ---- writers ---- */

void
bluesheet_csv_field(GString *out, const char *f)
{
  if (!f)
    return;
  if (!strpbrk(f, ",\"\r\n")) {
    g_string_append(out, f);
    return;
  }
  g_string_append_c(out, '"');
  for (const char *p = f; *p; p++) {
    if (*p == '"')
      g_string_append_c(out, '"');
    g_string_append_c(out, *p);
  }
  g_string_append_c(out, '"');
}

static double
minutes(gint64 us)
{
  /* to a tenth of a minute, from whole seconds */
  gint64 s = (us + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC;
  return (double)((s * 10 + 30) / 60) / 10.0;
}

static char *
intervals_text(const BluesheetRow *r)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < r->intervals->len; i++) {
    const BluesheetInterval *iv = &g_array_index(r->intervals, BluesheetInterval, i);
    g_autofree char *a = bluesheet_format_time(iv->start_us);
    g_autofree char *b = iv->open ? g_strdup("..") : bluesheet_format_time(iv->end_us);
    g_string_append_printf(s, "%s%s/%s", i ? ";" : "", a, b);
  }
  return g_string_free(s, FALSE);
}

char *
bluesheet_write_csv(const GPtrArray *rows, const char *session)
{
  GString *out = g_string_new("session,item,badge,name,entity,category,role,where,first_join,"
                              "last_leave,seconds,minutes,intervals\r\n");
  for (guint i = 0; i < rows->len; i++) {
    const BluesheetRow *r = rows->pdata[i];
    g_autofree char *first = bluesheet_format_time(r->first_us);
    g_autofree char *last = r->open ? g_strdup("") : bluesheet_format_time(r->last_us);
    g_autofree char *ivs = intervals_text(r);
    const char *cells[] = {session ? session : "",
                           r->item,
                           r->badge,
                           r->name,
                           r->entity,
                           r->category,
                           r->role,
                           r->where,
                           first,
                           last};
    for (guint c = 0; c < G_N_ELEMENTS(cells); c++) {
      bluesheet_csv_field(out, cells[c]);
      g_string_append_c(out, ',');
    }
    g_string_append_printf(out, "%" G_GINT64_FORMAT ",%.1f,",
                           (r->present_us + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC,
                           minutes(r->present_us));
    bluesheet_csv_field(out, ivs);
    g_string_append(out, "\r\n");
  }
  return g_string_free(out, FALSE);
}

static void
set_time_or_null(JsonObject *o, const char *name, gint64 us, gboolean null)
{
  if (null) {
    json_object_set_null_member(o, name);
    return;
  }
  g_autofree char *t = bluesheet_format_time(us);
  json_object_set_string_member(o, name, t);
}

char *
bluesheet_write_json(const GPtrArray *rows, const char *session, const char *item)
{
  JsonObject *top = json_object_new();
  JsonArray *list = json_array_new();
  json_object_set_string_member(top, "session", session ? session : "");
  if (item)
    json_object_set_string_member(top, "item", item);
  else
    json_object_set_null_member(top, "item");
  for (guint i = 0; i < rows->len; i++) {
    const BluesheetRow *r = rows->pdata[i];
    JsonObject *o = json_object_new();
    JsonArray *ivs = json_array_new();
    json_object_set_string_member(o, "item", r->item);
    json_object_set_string_member(o, "badge", r->badge);
    json_object_set_string_member(o, "name", r->name);
    json_object_set_string_member(o, "entity", r->entity);
    json_object_set_string_member(o, "category", r->category);
    json_object_set_string_member(o, "role", r->role);
    json_object_set_string_member(o, "where", r->where);
    set_time_or_null(o, "first_join", r->first_us, FALSE);
    set_time_or_null(o, "last_leave", r->last_us, r->open);
    json_object_set_int_member(o, "seconds", (r->present_us + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC);
    json_object_set_double_member(o, "minutes", minutes(r->present_us));
    for (guint k = 0; k < r->intervals->len; k++) {
      const BluesheetInterval *iv = &g_array_index(r->intervals, BluesheetInterval, k);
      JsonObject *io = json_object_new();
      set_time_or_null(io, "start", iv->start_us, FALSE);
      set_time_or_null(io, "end", iv->end_us, iv->open);
      json_array_add_object_element(ivs, io);
    }
    json_object_set_array_member(o, "intervals", ivs);
    json_array_add_object_element(list, o);
  }
  json_object_set_array_member(top, "rows", list);
  g_autoptr(JsonNode) n = json_text_node(top);
  return json_text_write(n);
}

static void
count(GHashTable *t, const char *key)
{
  g_hash_table_insert(t, g_strdup(key),
                      GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(t, key)) + 1));
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of @t in strcmp order (transfer container). */
static GPtrArray *
sorted_keys(GHashTable *t)
{
  GPtrArray *keys = g_ptr_array_new();
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, t);
  while (g_hash_table_iter_next(&it, &k, NULL))
    g_ptr_array_add(keys, k);
  g_ptr_array_sort(keys, cmp_str);
  return keys;
}

/* @t (key -> count) as a JSON object in key order. */
static JsonObject *
counts_object(GHashTable *t)
{
  JsonObject *o = json_object_new();
  g_autoptr(GPtrArray) keys = sorted_keys(t);
  for (guint i = 0; i < keys->len; i++)
    json_object_set_int_member(o, keys->pdata[i],
                               GPOINTER_TO_INT(g_hash_table_lookup(t, keys->pdata[i])));
  return o;
}

char *
bluesheet_summary_json(const GPtrArray *rows, const Roster *roster, const char *session)
{
  g_autoptr(GHashTable) where = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) by_cat = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) ldc_entities = g_hash_table_new(g_str_hash, g_str_equal);
  gint64 remote = 0, onsite = 0, both = 0, ldc_people = 0;

  /* badge -> "remote" | "onsite" | "both" */
  for (guint i = 0; i < rows->len; i++) {
    const BluesheetRow *r = rows->pdata[i];
    const char *seen = g_hash_table_lookup(where, r->badge);
    if (!seen)
      g_hash_table_insert(where, r->badge, g_strdup(r->where));
    else if (strcmp(seen, r->where) != 0)
      g_hash_table_insert(where, r->badge, g_strdup("both"));
  }
  g_autoptr(GPtrArray) badges = sorted_keys(where);
  for (guint i = 0; i < badges->len; i++) {
    const char *badge = badges->pdata[i], *w = g_hash_table_lookup(where, badge);
    const RosterEntry *e = roster ? roster_lookup(roster, badge) : NULL;
    remote += strcmp(w, "remote") == 0 || strcmp(w, "both") == 0;
    onsite += strcmp(w, "onsite") == 0 || strcmp(w, "both") == 0;
    both += strcmp(w, "both") == 0;
    count(by_cat, e ? e->category_id : "unknown");
    if (e && e->ldc) {
      ldc_people++;
      g_hash_table_add(ldc_entities, e->entity);
    }
  }
  JsonObject *top = json_object_new(), *w = json_object_new(), *ldc = json_object_new();
  JsonArray *ents = json_array_new();
  json_object_set_string_member(top, "session", session ? session : "");
  json_object_set_int_member(top, "participants", badges->len);
  json_object_set_object_member(top, "by_category", counts_object(by_cat));
  json_object_set_int_member(w, "remote", remote);
  json_object_set_int_member(w, "onsite", onsite);
  json_object_set_int_member(w, "both", both);
  json_object_set_object_member(top, "by_where", w);
  g_autoptr(GPtrArray) names = sorted_keys(ldc_entities);
  for (guint i = 0; i < names->len; i++)
    json_array_add_string_element(ents, names->pdata[i]);
  json_object_set_int_member(ldc, "participants", ldc_people);
  json_object_set_int_member(ldc, "delegations", names->len);
  json_object_set_array_member(ldc, "entities", ents);
  json_object_set_object_member(top, "ldc", ldc);
  g_autoptr(JsonNode) n = json_text_node(top);
  return json_text_write(n);
}
