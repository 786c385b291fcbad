/* SPDX-License-Identifier: Apache-2.0 */
#include "live.h"

#include "json_text.h"

#include <errno.h>
#include <string.h>

void
live_init(Live *live, const Meeting *meeting)
{
  *live = (Live){.meeting = meeting};
}

/* The first agenda item tied to @s, else the meeting's first item. */
static const MeetingItem *
first_item_of(const Meeting *m, const MeetingSession *s)
{
  for (guint i = 0; i < m->agenda->len; i++) {
    const MeetingItem *it = m->agenda->pdata[i];
    if (it->session == s)
      return it;
  }
  return m->agenda->len ? m->agenda->pdata[0] : NULL;
}

int
live_open(Live *live, const char *id)
{
  const MeetingSession *s = id ? meeting_find_session(live->meeting, id) : NULL;
  if (!s)
    return -ENOENT;
  if (live->open)
    return -EALREADY;
  live->session = s;
  live->open = TRUE;
  live->closed = s->closed;
  /* an item carried over from the previous session stays only if it is
   * not tied to another session */
  if (!live->item || (live->item->session && live->item->session != s))
    live->item = first_item_of(live->meeting, s);
  live->version++;
  return 0;
}

int
live_close(Live *live)
{
  if (!live->open)
    return -ENOTCONN;
  live->open = FALSE;
  live->closed = FALSE;
  live->version++;
  return 0;
}

int
live_restrict(Live *live, gboolean closed)
{
  if (!live->open)
    return -ENOTCONN;
  if (live->closed != closed) {
    live->closed = closed;
    live->version++;
  }
  return 0;
}

int
live_set_item(Live *live, const char *id)
{
  const MeetingItem *it = id ? meeting_find_item(live->meeting, id) : NULL;
  if (!it)
    return -ENOENT;
  if (!live->open)
    return -ENOTCONN;
  if (it != live->item) {
    live->item = it;
    live->version++;
  }
  return 0;
}

gboolean
live_admits(const Live *live, const char *category, unsigned roles)
{
  if (!live->open || !live->closed)
    return TRUE;
  return meeting_may_attend_closed(live->meeting, category, roles);
}

const char *
live_item_id(const Live *live)
{
  return live->open && live->item ? live->item->id : NULL;
}

unsigned
live_roles_mask(char *const *roles, const char **booth)
{
  unsigned mask = 0;
  if (booth)
    *booth = NULL;
  for (char *const *r = roles; r && *r; r++) {
    if (g_str_has_prefix(*r, "interpreter:")) {
      mask |= MEETING_ROLE_INTERPRETER;
      if (booth && !*booth)
        *booth = *r + strlen("interpreter:");
      continue;
    }
    mask |= meeting_role_from_name(*r) & ~(unsigned)MEETING_ROLE_INTERPRETER;
  }
  return mask;
}

static JsonNode *
item_json(const MeetingItem *it)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "id", it->id);
  json_object_set_string_member(o, "title", it->title);
  json_text_set_string_or_null(o, "session", it->session ? it->session->id : NULL);
  return json_text_node(o);
}

static char *
time_text(const MeetingTime *t)
{
  return g_strdup_printf("%02d:%02d", t->seconds / 3600, t->seconds / 60 % 60);
}

static JsonNode *
session_json(const MeetingSession *s)
{
  JsonObject *o = json_object_new();
  g_autofree char *start = time_text(&s->start);
  g_autofree char *end = time_text(&s->end);
  json_object_set_string_member(o, "id", s->id);
  json_object_set_string_member(o, "title", s->title);
  json_object_set_string_member(o, "day", s->day->id);
  json_text_set_string_or_null(o, "date", s->day->date);
  json_object_set_string_member(o, "start", start);
  json_object_set_string_member(o, "end", end);
  json_object_set_boolean_member(o, "closed_by_default", s->closed);
  return json_text_node(o);
}

/* How each role's page captures its microphone (getUserMedia constraints):
 * a delegate's echo cancellation on (laptop speakers would send the
 * interpretation back to the floor), no noise suppression or gain pumping
 * on what every interpreter hears; an interpreter's all off (AIIC). */
static JsonObject *
capture_json(void)
{
  static const struct {
    const char *role;
    gboolean ec, ns, agc;
  } roles[] = {{"delegate", TRUE, FALSE, FALSE}, {"interpreter", FALSE, FALSE, FALSE}};
  JsonObject *o = json_object_new();
  for (gsize i = 0; i < G_N_ELEMENTS(roles); i++) {
    JsonObject *r = json_object_new();
    json_object_set_boolean_member(r, "echoCancellation", roles[i].ec);
    json_object_set_boolean_member(r, "noiseSuppression", roles[i].ns);
    json_object_set_boolean_member(r, "autoGainControl", roles[i].agc);
    json_object_set_object_member(o, roles[i].role, r);
  }
  return o;
}

static void
fill(const Live *live, JsonObject *o)
{
  const Meeting *m = live->meeting;
  JsonArray *langs = json_array_new();
  JsonArray *agenda = json_array_new();
  JsonArray *sessions = json_array_new();

  json_object_set_string_member(o, "id", m->id);
  json_text_set_string_or_null(o, "acronym", m->acronym);
  json_object_set_string_member(o, "title", m->title);
  json_object_set_string_member(o, "location", m->location);
  json_object_set_string_member(o, "timezone", m->timezone);
  for (guint i = 0; i < m->languages->len; i++) {
    const MeetingLanguage *l = m->languages->pdata[i];
    JsonObject *lo = json_object_new();
    json_object_set_string_member(lo, "code", l->code);
    json_object_set_string_member(lo, "name", l->name);
    json_object_set_boolean_member(lo, "booth", l->booth);
    json_array_add_element(langs, json_text_node(lo));
  }
  json_object_set_array_member(o, "languages", langs);
  for (guint i = 0; i < m->agenda->len; i++)
    json_array_add_element(agenda, item_json(m->agenda->pdata[i]));
  json_object_set_array_member(o, "agenda", agenda);
  for (guint i = 0; i < m->sessions->len; i++)
    json_array_add_element(sessions, session_json(m->sessions->pdata[i]));
  json_object_set_array_member(o, "sessions", sessions);
  if (live->session) {
    JsonObject *so = json_object_new();
    json_object_set_string_member(so, "id", live->session->id);
    json_object_set_string_member(so, "title", live->session->title);
    json_object_set_string_member(so, "status", live->open ? "open" : "idle");
    json_object_set_boolean_member(so, "closed", live->closed);
    json_object_set_object_member(o, "session", so);
  } else {
    json_object_set_null_member(o, "session");
  }
  if (live->item)
    json_object_set_member(o, "item", item_json(live->item));
  else
    json_object_set_null_member(o, "item");
  json_object_set_object_member(o, "capture", capture_json());
}

JsonNode *
live_to_json(const Live *live)
{
  JsonObject *o = json_object_new();
  fill(live, o);
  return json_text_node(o);
}

JsonNode *
live_venue_json(const Live *live)
{
  JsonObject *o = json_object_new();
  fill(live, o);
  /* the delegate page's first fields: languages as codes, under their own
   * names in "language_names" */
  JsonArray *codes = json_array_new();
  for (guint i = 0; i < live->meeting->languages->len; i++) {
    const MeetingLanguage *l = live->meeting->languages->pdata[i];
    if (l->booth)
      json_array_add_string_element(codes, l->code);
  }
  json_object_set_member(o, "language_names", json_object_dup_member(o, "languages"));
  json_object_set_array_member(o, "languages", codes);
  json_object_set_string_member(o, "meeting", live->meeting->acronym ? live->meeting->acronym
                                                                     : live->meeting->id);
  if (live->item)
    json_object_set_member(o, "current_item", item_json(live->item));
  else
    json_object_set_null_member(o, "current_item");
  return json_text_node(o);
}
