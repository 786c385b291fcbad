/* SPDX-License-Identifier: Apache-2.0 */
#include "console.h"

#include "booth.h"
#include "console_private.h"

#include <errno.h>
#include <string.h>

/* Booth time-outs and the throttled pushes (participants, levels). */
#define CONSOLE_TICK_MS 250
#define PARTICIPANTS_EVERY_TICKS 4

/* ---------------------------------------------------------------- who */

const RosterEntry *
console_entry(SigApp *app, const char *badge)
{
  return badge ? roster_lookup(app->roster, badge) : NULL;
}

void
console_identify(WsConn *c)
{
  const RosterEntry *e = console_entry(c->app, c->badge);
  const char *booth = NULL;
  g_clear_pointer(&c->booth, g_free);
  g_clear_pointer(&c->category, g_free);
  c->roles = 0;
  if (!e)
    return;
  c->roles = live_roles_mask(e->roles, &booth);
  c->booth = g_strdup(booth);
  c->category = g_strdup(roster_category_name(e->category));
}

const char *
console_role_name(const WsConn *c)
{
  static __thread char buf[48];
  if (c->booth) {
    g_snprintf(buf, sizeof buf, "interpreter:%s", c->booth);
    return buf;
  }
  return (c->roles & MEETING_ROLE_OPERATOR) ? "operator"
         : (c->roles & MEETING_ROLE_CHAIR) && !(c->roles & MEETING_ROLE_DELEGATE) ? "chair"
                                                                                   : "delegate";
}

static guint
booth_interpreters(SigApp *app, const char *booth, const char *except_badge)
{
  guint n = 0;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, app->peers);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    WsConn *s = v;
    if (g_strcmp0(s->booth, booth) == 0 && g_strcmp0(s->badge, except_badge) != 0)
      n++;
  }
  return n;
}

JsonObject *
console_admit(WsConn *c)
{
  SigApp *app = c->app;
  console_identify(c);
  if (!live_admits(&app->live, c->category, c->roles)) {
    ws_send_error(c, "session_closed",
                  "This session is closed: only Member States, the secretariat and the "
                  "interpreters may attend. You can join again when it reopens.");
    return NULL;
  }
  JsonObject *f = json_object_new();
  JsonArray *tracks = json_array_new();
  json_array_add_string_element(tracks, "floor");
  json_array_add_string_element(tracks, "channel");
  if (c->roles & (MEETING_ROLE_DELEGATE | MEETING_ROLE_CHAIR | MEETING_ROLE_INTERPRETER))
    json_array_add_string_element(tracks, "mic");
  json_object_set_array_member(f, "tracks", tracks);
  if (c->booth && meeting_has_booth(app->meeting, c->booth)) {
    /* a second seat of the same badge supersedes the first: not counted */
    if (booth_interpreters(app, c->booth, c->badge) >= BOOTH_INTERPRETERS) {
      json_object_unref(f);
      ws_send_error(c, "booth_full", "Two interpreters are already in this booth.");
      return NULL;
    }
    json_object_set_string_member(f, "role", "interpreter");
    json_object_set_string_member(f, "booth", c->booth);
  } else {
    json_object_set_string_member(f, "role", "delegate");
  }
  return f;
}

/* ------------------------------------------------------- relay requests */

typedef struct {
  WsConn *c; /* a reference, or NULL: nobody to tell */
  char *what;
} RelayAck;

static void
relay_ack(JsonObject *reply, const GError *error, const char *code, gpointer user_data)
{
  RelayAck *ack = user_data;
  if (!reply) {
    g_message("relay %s: %s", ack->what, error ? error->message : "refused");
    if (ack->c) {
      g_autofree char *msg = g_strdup_printf("The audio relay refused %s (%s).", ack->what,
                                             code ? code : "unavailable");
      ws_send_error(ack->c, "relay_refused", msg);
    }
  }
  if (ack->c)
    ws_conn_unref(ack->c);
  g_free(ack->what);
  g_free(ack);
}

void
console_relay(SigApp *app, WsConn *who, const char *request, JsonObject *fields)
{
  g_autoptr(GError) error = NULL;
  RelayAck *ack = g_new0(RelayAck, 1);
  ack->c = who ? ws_conn_ref(who) : NULL;
  ack->what = g_strdup(request);
  if (!relay_client_request(app->relay, request, fields, relay_ack, ack, &error))
    relay_ack(NULL, error, NULL, ack);
}

void
console_audit(WsConn *c, const char *action, const char *target, const char *detail)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wall = attendance_wall_time_now();
  StorageAudit a = {.actor = c->badge, .action = action, .target = target, .detail = detail,
                    .wall_time = wall};
  if (!storage_audit(attendance_storage(c->app->attendance), &a, &error))
    g_critical("audit %s %s by %s not written: %s", action, target ? target : "", c->badge,
               error->message);
}

/* --------------------------------------------------------------- pushes */

JsonNode *
console_item_json(SigApp *app, const char *id)
{
  const MeetingItem *it = id ? meeting_find_item(app->meeting, id) : NULL;
  if (!it)
    return json_node_new(JSON_NODE_NULL);
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "id", it->id);
  json_object_set_string_member(o, "title", it->title);
  return json_text_node(o);
}

gboolean
console_is_staff(const WsConn *c)
{
  return c->console && (c->roles & (MEETING_ROLE_OPERATOR | MEETING_ROLE_CHAIR));
}

static gboolean
is_operator(const WsConn *c)
{
  return c->console && (c->roles & MEETING_ROLE_OPERATOR);
}

/* Sends @node (a copy to each) to every connection @want accepts. */
void
console_broadcast(SigApp *app, gboolean (*want)(const WsConn *, gconstpointer),
                  gconstpointer data, JsonNode *node)
{
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, app->conns);
  while (g_hash_table_iter_next(&it, &k, NULL)) {
    WsConn *c = k;
    if (c->wsi && want(c, data))
      ws_send_node(c, json_node_copy(node));
  }
  json_node_unref(node);
}

static gboolean
want_console(const WsConn *c, gconstpointer data)
{
  return c->console;
}

gboolean
console_want_staff(const WsConn *c, gconstpointer data)
{
  return console_is_staff(c);
}

static gboolean
want_operator(const WsConn *c, gconstpointer data)
{
  return is_operator(c);
}

static JsonNode *
meeting_message(SigApp *app)
{
  g_autoptr(JsonNode) m = live_to_json(&app->live);
  JsonObject *o = json_object_ref(json_node_get_object(m));
  json_object_set_string_member(o, "type", "meeting");
  return json_text_node(o);
}

static void
push_meeting(SigApp *app)
{
  console_broadcast(app, want_console, NULL, meeting_message(app));
}

void
console_set_person(SigApp *app, JsonObject *o, const char *badge)
{
  const RosterEntry *e = console_entry(app, badge);
  json_object_set_string_member(o, "badge", badge);
  json_object_set_string_member(o, "name", e ? e->name : badge);
  json_object_set_string_member(o, "entity", e ? e->entity : "");
}




static JsonNode *
participants_message(SigApp *app)
{
  JsonObject *o = json_object_new();
  JsonArray *list = json_array_new();
  GHashTableIter it;
  gpointer v;
  json_object_set_string_member(o, "type", "participants");
  g_hash_table_iter_init(&it, app->peers);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    WsConn *s = v;
    if (s->state != WS_JOINED)
      continue;
    JsonObject *p = json_object_new();
    console_set_person(app, p, s->badge);
    json_object_set_string_member(p, "category", s->category ? s->category : "");
    json_object_set_string_member(p, "role", console_role_name(s));
    if (s->booth)
      json_object_set_string_member(p, "booth", s->booth);
    json_object_set_string_member(p, "peer", s->peer);
    json_object_set_string_member(p, "channel", s->channel ? s->channel : "none");
    json_object_set_boolean_member(p, "remote", TRUE);
    json_object_set_boolean_member(p, "onsite", FALSE);
    json_object_set_boolean_member(p, "connected", s->wsi != NULL);
    json_object_set_member(p, "quality",
                           s->quality ? json_node_copy(s->quality) : json_node_new(JSON_NODE_NULL));
    json_object_set_member(p, "soundcheck", s->soundcheck ? json_node_copy(s->soundcheck)
                                                          : json_node_new(JSON_NODE_NULL));
    json_object_set_boolean_member(p, "speaking", speakers_speaking(app->speakers, s->badge) != NULL);
    json_object_set_boolean_member(p, "muted", s->muted);
    json_array_add_object_element(list, p);
  }
  json_object_set_array_member(o, "list", list);
  json_object_set_int_member(o, "count", json_array_get_length(list));
  return json_text_node(o);
}

static JsonNode *
levels_message(SigApp *app)
{
  JsonObject *o = json_object_new();
  JsonObject *products = json_object_new();
  JsonObject *mics = json_object_new();
  GHashTableIter it;
  gpointer k, v;
  json_object_set_string_member(o, "type", "levels");
  g_hash_table_iter_init(&it, app->levels);
  while (g_hash_table_iter_next(&it, &k, &v))
    json_object_set_member(g_str_has_prefix(k, "mic:") ? mics : products,
                           g_str_has_prefix(k, "mic:") ? (char *)k + 4 : k, json_node_copy(v));
  json_object_set_object_member(o, "products", products);
  json_object_set_object_member(o, "mics", mics);
  return json_text_node(o);
}

static gboolean
want_levels(const WsConn *c, gconstpointer data)
{
  return c->console && (c->roles & (MEETING_ROLE_OPERATOR | MEETING_ROLE_INTERPRETER));
}

static gboolean
on_tick(gpointer data)
{
  SigApp *app = data;
  static guint ticks;
  console_booths_tick(app);
  if (++ticks % PARTICIPANTS_EVERY_TICKS == 0) {
    if (app->participants_dirty) {
      app->participants_dirty = FALSE;
      console_broadcast(app, want_operator, NULL, participants_message(app));
    }
    if (app->levels_dirty) {
      app->levels_dirty = FALSE;
      console_broadcast(app, want_levels, NULL, levels_message(app));
    }
  }
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ attendance */

/* A session or agenda event in the log, by @actor (the bluesheet splits
 * every open interval at an "item" and ends them at "session_close"). */
static void
meeting_recorded(gboolean ok, const GError *error, gpointer user)
{
  push_meeting(user); /* what the consoles see is on disk: a restart goes on from it */
}

static void
record_meeting_event(SigApp *app, const char *actor, const char *kind, const char *reason)
{
  g_autofree char *wall = attendance_wall_time_now();
  AttendanceEvent e = {.badge = actor,
                       .kind = kind,
                       .agenda_item = app->live.item ? app->live.item->id : NULL,
                       .wall_time = wall,
                       .mono_us = g_get_monotonic_time(),
                       .reason = reason,
                       .meeting = app->meeting->id,
                       .session = app->live.session ? app->live.session->id : NULL};
  attendance_queue_add(app->journal, &e, meeting_recorded, app);
}

/* Every joined seat follows the session and item: a session that opens
 * gets a join of each seat already connected (its own log starts there). */
static void
refile_seats(SigApp *app, gboolean new_session)
{
  const char *item = live_item_id(&app->live);
  const char *session = app->live.open ? app->live.session->id : NULL;
  g_autoptr(GList) seats = g_hash_table_get_values(app->peers);
  for (GList *l = seats; l; l = l->next) {
    WsConn *s = l->data;
    if (s->state != WS_JOINED)
      continue;
    g_free(s->item);
    s->item = g_strdup(item);
    g_free(s->session);
    s->session = g_strdup(session);
    if (new_session && session)
      ws_record(s, "join", NULL, NULL, NULL);
  }
}

/* Removes from the media every seat the session no longer admits. */
static guint
enforce_admission(SigApp *app)
{
  guint n = 0;
  g_autoptr(GList) seats = g_hash_table_get_values(app->peers);
  for (GList *l = seats; l; l = l->next) {
    WsConn *s = l->data;
    if (s->state != WS_JOINED || live_admits(&app->live, s->category, s->roles))
      continue;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", "removed");
    json_object_set_string_member(o, "reason", "session_closed");
    json_object_set_string_member(o, "message",
                                  "The session is now closed to Member States. Your audio "
                                  "has stopped; you can join again when it reopens.");
    ws_send_node(s, json_text_node(o));
    ws_end_join(s, TRUE, "session_closed");
    n++;
  }
  return n;
}

/* Tells the relay which item is current (its recordings split there). */
static void
tell_relay_item(SigApp *app)
{
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "meeting", app->meeting->id);
  if (app->live.session)
    json_object_set_string_member(f, "session", app->live.session->id);
  else
    json_object_set_null_member(f, "session");
  const char *item = live_item_id(&app->live);
  if (item)
    json_object_set_string_member(f, "item", item);
  else
    json_object_set_null_member(f, "item");
  console_relay(app, NULL, "agenda.item", f);
}

/* After any change of the session or item: the log, the seats, the
 * relay, every console. */
static void
meeting_changed(WsConn *by, const char *kind, const char *reason)
{
  SigApp *app = by->app;
  record_meeting_event(app, by->badge, kind, reason);
  refile_seats(app, strcmp(kind, STORAGE_KIND_SESSION_OPEN) == 0);
  guint removed = enforce_admission(app);
  if (removed)
    g_message("session closed: %u participant(s) removed from the media", removed);
  tell_relay_item(app);
  app->participants_dirty = TRUE;
}

/* -------------------------------------------------------------- handlers */

void
console_reply_errno(WsConn *c, int rc, const char *what)
{
  static const struct {
    int rc;
    const char *code, *text;
  } table[] = {
    {-ENOENT, "not_found", "There is no such"},
    {-EALREADY, "conflict", "A session is already open: close it first"},
    {-ENOTCONN, "conflict", "No session is open"},
    {-EEXIST, "conflict", "Already in the speakers' list"},
    {-EISCONN, "conflict", "Already holds the floor"},
    {-EBUSY, "conflict", "Not now, busy"},
    {-EINVAL, "bad_request", "Not valid"},
    {-EPERM, "forbidden", "Only the live interpreter can do that"},
    {-ELOOP, "bad_request", "Booths would hear each other in a circle"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
    if (table[i].rc == rc) {
      g_autofree char *msg = g_strdup_printf("%s: %s.", table[i].text, what);
      ws_send_error(c, table[i].code, msg);
      return;
    }
  ws_send_error(c, "bad_request", "The request failed.");
}

const char *
console_string(WsConn *c, JsonObject *msg, const char *name)
{
  JsonNode *n = json_object_get_member(msg, name);
  if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  g_autofree char *text = g_strdup_printf("This message needs a string '%s'.", name);
  ws_send_error(c, "bad_request", text);
  return NULL;
}

int
console_bool(WsConn *c, JsonObject *msg, const char *name)
{
  JsonNode *n = json_object_get_member(msg, name);
  if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN)
    return json_node_get_boolean(n);
  g_autofree char *text = g_strdup_printf("This message needs a boolean '%s'.", name);
  ws_send_error(c, "bad_request", text);
  return -1;
}

static void
send_welcome(WsConn *c)
{
  SigApp *app = c->app;
  const RosterEntry *e = console_entry(app, c->badge);
  JsonObject *o = json_object_new();
  JsonArray *roles = json_array_new();
  json_object_set_string_member(o, "type", "welcome");
  json_object_set_string_member(o, "badge", c->badge);
  json_object_set_string_member(o, "name", e->name);
  json_object_set_string_member(o, "entity", e->entity);
  json_object_set_string_member(o, "category", c->category);
  for (char **r = e->roles; *r; r++)
    json_array_add_string_element(roles, *r);
  json_object_set_array_member(o, "roles", roles);
  if (c->booth)
    json_object_set_string_member(o, "booth", c->booth);
  g_autoptr(JsonNode) m = live_to_json(&app->live);
  json_object_set_member(o, "meeting", g_steal_pointer(&m));
  ws_send_node(c, json_text_node(o));
}

static void
handle_hello(WsConn *c, JsonObject *msg)
{
  const char *token = console_string(c, msg, "token");
  g_autofree char *badge = NULL;
  if (!token || !(badge = ws_verify_token(c, token)))
    return;
  if (c->badge && strcmp(c->badge, badge) != 0) {
    ws_send_error(c, "bad_request", "This connection belongs to another badge.");
    return;
  }
  g_free(c->badge);
  c->badge = g_steal_pointer(&badge);
  console_identify(c);
  c->console = TRUE;
  c->place = 0;
  c->has_floor = FALSE;
  send_welcome(c);
  if (console_is_staff(c))
    ws_send_node(c, console_queue_message(c->app));
  if (is_operator(c)) {
    GHashTableIter it;
    gpointer v;
    ws_send_node(c, participants_message(c->app));
    ws_send_node(c, levels_message(c->app));
    g_hash_table_iter_init(&it, c->app->relay_states);
    while (g_hash_table_iter_next(&it, NULL, &v))
      ws_send_node(c, json_node_copy(v));
  }
  console_push_booths_to(c);
  console_push_hands(c->app);
}

static void
handle_session_open(WsConn *c, JsonObject *msg)
{
  const char *id = console_string(c, msg, "session");
  int rc;
  if (!id)
    return;
  if ((rc = live_open(&c->app->live, id)) < 0) {
    console_reply_errno(c, rc, "session");
    return;
  }
  g_message("%s opened session %s", c->badge, id);
  console_audit(c, "session.open", id, NULL);
  meeting_changed(c, STORAGE_KIND_SESSION_OPEN, NULL);
}

static void
handle_session_close(WsConn *c, JsonObject *msg)
{
  int rc = live_close(&c->app->live);
  if (rc < 0) {
    console_reply_errno(c, rc, "session");
    return;
  }
  g_message("%s closed session %s", c->badge, c->app->live.session->id);
  console_audit(c, "session.close", c->app->live.session->id, NULL);
  meeting_changed(c, STORAGE_KIND_SESSION_CLOSE, NULL);
}

static void
handle_session_restrict(WsConn *c, JsonObject *msg)
{
  int closed = console_bool(c, msg, "closed");
  int rc;
  if (closed < 0)
    return;
  if ((rc = live_restrict(&c->app->live, closed)) < 0) {
    console_reply_errno(c, rc, "session");
    return;
  }
  g_message("%s made session %s %s", c->badge, c->app->live.session->id,
            closed ? "closed (Member States only)" : "open to all");
  console_audit(c, "session.restrict", c->app->live.session->id, closed ? "closed" : "open");
  meeting_changed(c, STORAGE_KIND_SESSION_RESTRICT, closed ? "closed" : "open");
}

static void
handle_agenda_set(WsConn *c, JsonObject *msg)
{
  const char *id = console_string(c, msg, "item");
  int rc;
  if (!id)
    return;
  if ((rc = live_set_item(&c->app->live, id)) < 0) {
    console_reply_errno(c, rc, "agenda item");
    return;
  }
  g_message("%s switched to agenda item %s", c->badge, id);
  console_audit(c, "agenda.set", id, NULL);
  meeting_changed(c, STORAGE_KIND_ITEM, NULL);
}

/* The joined seat of @badge, or NULL (onsite, or not connected). */
WsConn *
console_seat_of(SigApp *app, const char *badge)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, app->peers);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    WsConn *s = v;
    if (s->state == WS_JOINED && g_strcmp0(s->badge, badge) == 0)
      return s;
  }
  return NULL;
}









static void
handle_participant_remove(WsConn *c, JsonObject *msg)
{
  const char *badge = console_roster_badge(c, msg);
  if (!badge)
    return;
  WsConn *seat = console_seat_of(c->app, badge);
  if (!seat) {
    ws_send_error(c, "not_found", "This participant is not connected.");
    return;
  }
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "removed");
  json_object_set_string_member(o, "reason", "removed_by_operator");
  json_object_set_string_member(o, "message",
                                "The meeting's secretariat has ended your connection.");
  ws_send_node(seat, json_text_node(o));
  g_message("%s removed %s", c->badge, badge);
  console_audit(c, "participant.remove", badge, NULL);
  ws_end_join(seat, TRUE, "removed_by_operator");
}

static void
handle_participant_mute(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  const char *badge = console_roster_badge(c, msg);
  if (!badge)
    return;
  if (speakers_revoke(app->speakers, badge) < 0) {
    ws_send_error(c, "conflict", "This participant does not hold the floor.");
    return;
  }
  console_floor_to_relay(app, c, badge, FALSE);
  console_audit(c, "participant.mute", badge, NULL);
  console_push_queue(app);
}

/* The speaker's own mute (the page mutes its track; the operator sees it). */
static void
handle_mute(WsConn *c, JsonObject *msg)
{
  int on = console_bool(c, msg, "on");
  if (on < 0)
    return;
  c->muted = on;
  c->app->participants_dirty = TRUE;
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "mute");
  json_object_set_boolean_member(o, "on", on);
  ws_send_node(c, json_text_node(o));
}

/* Onsite presence, entered by the operator at the desk (or rostrum-admin
 * checkin): a check_in / check_out event in the log. */
static void
handle_checkin(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  const char *badge = console_roster_badge(c, msg);
  int onsite = badge ? console_bool(c, msg, "onsite") : -1;
  if (onsite < 0)
    return;
  if (!app->live.open) {
    ws_send_error(c, "conflict", "No session is open: check-in is per session.");
    return;
  }
  g_autofree char *wall = attendance_wall_time_now();
  const RosterEntry *e = console_entry(app, badge);
  AttendanceEvent ev = {.badge = badge,
                        .kind = onsite ? STORAGE_KIND_CHECK_IN : STORAGE_KIND_CHECK_OUT,
                        .agenda_item = live_item_id(&app->live),
                        .wall_time = wall,
                        .mono_us = g_get_monotonic_time(),
                        .meeting = app->meeting->id,
                        .session = app->live.session->id,
                        .role = e->roles[0],
                        .where = "onsite"};
  attendance_queue_add(app->journal, &ev, NULL, NULL);
  console_audit(c, onsite ? "checkin" : "checkout", badge, NULL);
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "checkin");
  json_object_set_string_member(o, "badge", badge);
  json_object_set_boolean_member(o, "onsite", onsite);
  ws_send_node(c, json_text_node(o));
}

static JsonNode *
copy_object_of(JsonObject *msg, const char *const *fields)
{
  JsonObject *o = json_object_new();
  for (const char *const *f = fields; *f; f++) {
    JsonNode *n = json_object_get_member(msg, *f);
    if (n && JSON_NODE_HOLDS_VALUE(n))
      json_object_set_member(o, *f, json_node_copy(n));
  }
  return json_text_node(o);
}

static void
handle_quality(WsConn *c, JsonObject *msg)
{
  static const char *const fields[] = {"loss", "rtt_ms", "jitter_ms", NULL};
  if (c->quality)
    json_node_unref(c->quality);
  c->quality = copy_object_of(msg, fields);
  c->app->participants_dirty = TRUE;
}

static void
handle_soundcheck(WsConn *c, JsonObject *msg)
{
  static const char *const fields[] = {"level_dbfs", "peak_dbfs", "clipping", "noise_dbfs",
                                       "narrowband", "ok", NULL};
  if (c->soundcheck)
    json_node_unref(c->soundcheck);
  c->soundcheck = copy_object_of(msg, fields);
  c->app->participants_dirty = TRUE;
}

#define ANY_ROLE (MEETING_ROLE_DELEGATE | MEETING_ROLE_INTERPRETER | MEETING_ROLE_OPERATOR | \
                  MEETING_ROLE_CHAIR)
#define STAFF (MEETING_ROLE_OPERATOR | MEETING_ROLE_CHAIR)

/* Who may send what: roles (any of), and whether the sender must hold a
 * joined seat (its media) rather than only have said hello. */
static const ConsoleHandler handlers[] = {
  {"hello", 0, FALSE, handle_hello},
  {"mute", MEETING_ROLE_DELEGATE | MEETING_ROLE_CHAIR, TRUE, handle_mute},
  {"quality", ANY_ROLE, TRUE, handle_quality},
  {"soundcheck", ANY_ROLE, FALSE, handle_soundcheck},
  {"session.open", MEETING_ROLE_OPERATOR, FALSE, handle_session_open},
  {"session.close", MEETING_ROLE_OPERATOR, FALSE, handle_session_close},
  {"session.restrict", MEETING_ROLE_OPERATOR, FALSE, handle_session_restrict},
  {"agenda.set", STAFF, FALSE, handle_agenda_set},
  {"participant.remove", MEETING_ROLE_OPERATOR, FALSE, handle_participant_remove},
  {"participant.mute", MEETING_ROLE_OPERATOR, FALSE, handle_participant_mute},
  {"checkin", MEETING_ROLE_OPERATOR, FALSE, handle_checkin},
};

gboolean
console_dispatch(WsConn *c, const char *type, JsonObject *msg)
{
  const ConsoleHandler *h = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(handlers) && !h; i++)
    if (strcmp(handlers[i].type, type) == 0)
      h = &handlers[i];
  if (!h)
    h = console_queue_handler(type);
  if (!h)
    h = console_booth_handler(type);
  if (!h)
    return FALSE;
  c->request = h->type; /* the refusals below name it too */
  if (h->roles && (!c->badge || !console_entry(c->app, c->badge))) {
    ws_send_error(c, "bad_request", "Say hello with your login token first.");
    c->request = NULL;
    return TRUE;
  }
  if (h->roles && !(c->roles & h->roles)) {
    ws_send_error(c, "forbidden", "Your role does not allow this.");
    c->request = NULL;
    return TRUE;
  }
  if (h->needs_seat && c->state != WS_JOINED) {
    ws_send_error(c, "bad_request", "Not joined.");
    c->request = NULL;
    return TRUE;
  }
  c->request = h->type;
  h->handle(c, msg);
  c->request = NULL;
  return TRUE;
}

/* ----------------------------------------------------------- lifecycle */

void
console_seat_joined(WsConn *c)
{
  console_booth_joined(c);
  c->app->participants_dirty = TRUE;
  console_push_hands(c->app);
}

void
console_seat_ended(WsConn *c)
{
  SigApp *app = c->app;
  console_booth_left(c);
  /* a speaker who leaves gives the floor back; a request stays only for
   * an onsite entry (no seat) */
  if (speakers_speaking(app->speakers, c->badge) || speakers_place(app->speakers, c->badge)) {
    speakers_forget(app->speakers, c->badge);
    console_push_queue(app);
  }
  c->has_floor = FALSE;
  app->participants_dirty = TRUE;
}

void
console_roster_changed(SigApp *app, const GPtrArray *gone)
{
  g_autoptr(GList) conns = g_hash_table_get_keys(app->conns);
  g_autoptr(GList) seats = g_hash_table_get_values(app->peers);
  conns = g_list_concat(conns, g_steal_pointer(&seats));
  for (GList *l = conns; l; l = l->next) {
    WsConn *c = l->data;
    gboolean revoked = FALSE;
    for (guint i = 0; c->badge && i < gone->len && !revoked; i++)
      revoked = strcmp(c->badge, gone->pdata[i]) == 0;
    if (!revoked) {
      console_identify(c);
      continue;
    }
    if (c->console || c->state == WS_JOINED) {
      JsonObject *o = json_object_new();
      json_object_set_string_member(o, "type", "removed");
      json_object_set_string_member(o, "reason", "revoked");
      json_object_set_string_member(o, "message",
                                    "Your accreditation has been withdrawn; the audio has "
                                    "stopped. Please contact the registration desk.");
      ws_send_node(c, json_text_node(o));
    }
    c->console = FALSE;
    c->roles = 0;
    if (c->state == WS_JOINED) {
      g_message("badge %s revoked: seat %s ended", c->badge, c->peer);
      ws_end_join(c, TRUE, "revoked"); /* may free an adopted seat: nothing after */
    }
  }
}

void
console_on_relay_event(SigApp *app, const char *event, const char *peer, JsonObject *msg)
{
  if (strcmp(event, "level") == 0) {
    static const char *const fields[] = {"dbfs", "peak_dbfs", "limiting", NULL};
    const char *product = json_object_get_string_member_with_default(msg, "product", NULL);
    WsConn *s = peer ? g_hash_table_lookup(app->peers, peer) : NULL;
    g_autofree char *key = product ? g_strdup(product)
                           : s     ? g_strdup_printf("mic:%s", s->badge)
                                   : NULL;
    if (key) {
      JsonNode *n = copy_object_of(msg, fields);
      JsonObject *o = json_node_get_object(n);
      if (json_object_has_member(o, "dbfs")) { /* the consoles' name for the RMS level */
        json_object_set_member(o, "level_dbfs", json_object_dup_member(o, "dbfs"));
        json_object_remove_member(o, "dbfs");
      }
      g_hash_table_replace(app->levels, g_steal_pointer(&key), n);
      app->levels_dirty = TRUE;
    }
  } else if (strcmp(event, "booth.state") == 0) {
    console_booths_relay_state(app, msg);
  } else if (strcmp(event, "stats") == 0 && peer) {
    app->participants_dirty = TRUE;
  } else if (strcmp(event, "venue.state") == 0 || strcmp(event, "recording.state") == 0) {
    /* the venue feed and the recorder, for the operator (kept for a
     * console that says hello later): {"type":"venue"|"recording",...} */
    JsonObject *o = json_object_new();
    GList *names = json_object_get_members(msg);
    for (GList *l = names; l; l = l->next)
      if (strcmp(l->data, "event") != 0 && strcmp(l->data, "v") != 0)
        json_object_set_member(o, l->data, json_object_dup_member(msg, l->data));
    g_list_free(names);
    json_object_set_string_member(o, "type", strcmp(event, "venue.state") == 0 ? "venue"
                                                                             : "recording");
    JsonNode *n = json_text_node(o);
    g_hash_table_replace(app->relay_states, g_strdup(event), json_node_copy(n));
    console_broadcast(app, want_operator, NULL, n);
  }
}

void
console_init(SigApp *app)
{
  app->speakers = speakers_new(0);
  app->conns = g_hash_table_new(g_direct_hash, g_direct_equal);
  app->levels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)json_node_unref);
  app->relay_states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)json_node_unref);
  console_booths_init(app);
  app->console_timer = g_timeout_add(CONSOLE_TICK_MS, on_tick, app);
}

void
console_free(SigApp *app)
{
  if (app->console_timer)
    g_source_remove(app->console_timer);
  console_booths_free(app);
  speakers_free(app->speakers);
  if (app->conns)
    g_hash_table_destroy(app->conns);
  if (app->levels)
    g_hash_table_destroy(app->levels);
  if (app->relay_states)
    g_hash_table_destroy(app->relay_states);
}
