/* SPDX-License-Identifier: Apache-2.0 */
/* The speakers' list on the consoles: delegates ask for the floor and
 * withdraw, the chair and the operator add onsite speakers, reorder, grant
 * (the relay's floor.grant for a remote seat) and revoke; every change goes
 * to every staff console at once, and each delegate learns its place and
 * whether it has the floor. The list itself is speakers.c (pure). */
#include "console_private.h"

#include <errno.h>
#include <string.h>

JsonNode *
console_queue_message(SigApp *app)
{
  JsonObject *o = json_object_new();
  JsonArray *entries = json_array_new();
  JsonArray *speaking = json_array_new();
  const GPtrArray *q = speakers_queue(app->speakers);
  const GPtrArray *sp = speakers_current(app->speakers);
  gint64 now = g_get_monotonic_time();

  json_object_set_string_member(o, "type", "queue");
  for (guint i = 0; i < q->len; i++) {
    const SpeakerRequest *r = q->pdata[i];
    JsonObject *e = json_object_new();
    console_set_person(app, e, r->badge);
    json_object_set_int_member(e, "place", i + 1);
    json_object_set_boolean_member(e, "onsite", r->onsite);
    json_object_set_string_member(e, "requested_at", r->requested_at);
    json_array_add_object_element(entries, e);
  }
  for (guint i = 0; i < sp->len; i++) {
    const Speaker *s = sp->pdata[i];
    JsonObject *e = json_object_new();
    console_set_person(app, e, s->badge);
    json_object_set_boolean_member(e, "onsite", s->onsite);
    json_object_set_string_member(e, "since", s->since);
    json_object_set_int_member(e, "seconds", (now - s->since_us) / G_USEC_PER_SEC);
    json_array_add_object_element(speaking, e);
  }
  json_object_set_array_member(o, "entries", entries);
  json_object_set_array_member(o, "speaking", speaking);
  return json_text_node(o);
}

/* Each console of a delegate: its place in the list and whether it has the
 * floor, when either changed. */
void
console_push_hands(SigApp *app)
{
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, app->conns);
  while (g_hash_table_iter_next(&it, &k, NULL)) {
    WsConn *c = k;
    if (!c->badge || !c->wsi)
      continue;
    int place = speakers_place(app->speakers, c->badge);
    const Speaker *s = speakers_speaking(app->speakers, c->badge);
    if (place != c->place) {
      JsonObject *o = json_object_new();
      json_object_set_string_member(o, "type", "hand");
      if (place)
        json_object_set_int_member(o, "place", place);
      else
        json_object_set_null_member(o, "place");
      ws_send_node(c, json_text_node(o));
      c->place = place;
    }
    if (!!s != c->has_floor) {
      JsonObject *o = json_object_new();
      json_object_set_string_member(o, "type", "floor");
      json_object_set_boolean_member(o, "granted", s != NULL);
      if (s)
        json_object_set_string_member(o, "since", s->since);
      else
        json_object_set_null_member(o, "since");
      ws_send_node(c, json_text_node(o));
      c->has_floor = s != NULL;
    }
  }
}

void
console_push_queue(SigApp *app)
{
  console_broadcast(app, console_want_staff, NULL, console_queue_message(app));
  console_push_hands(app);
}

static void
handle_hand(WsConn *c, JsonObject *msg)
{
  int up = console_bool(c, msg, "up");
  SigApp *app = c->app;
  int rc = 0;
  if (up < 0)
    return;
  gchar *wall = attendance_wall_time_now();
  if (up)
    rc = speakers_request(app->speakers, c->badge, FALSE, g_get_monotonic_time(), wall);
  else
    rc = speakers_withdraw(app->speakers, c->badge);
  g_free(wall);
  if (rc < 0 && rc != -EEXIST && rc != -ENOENT) {
    console_reply_errno(c, rc, "request");
    return;
  }
  c->place = -1; /* always answer with the place */
  console_push_queue(app);
}

/* A badge named in an operator's message, on the roster. */
const char *
console_roster_badge(WsConn *c, JsonObject *msg)
{
  const char *badge = console_string(c, msg, "badge");
  if (badge && !console_entry(c->app, badge)) {
    ws_send_error(c, "not_found", "No participant has this badge.");
    return NULL;
  }
  return badge;
}

void
console_floor_to_relay(SigApp *app, WsConn *who, const char *badge, gboolean grant)
{
  WsConn *seat = console_seat_of(app, badge);
  if (!seat)
    return; /* onsite: the room's microphone */
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "peer", seat->peer);
  console_relay(app, who, grant ? "floor.grant" : "floor.revoke", f);
}

static void
handle_queue_grant(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  const char *badge = console_roster_badge(c, msg);
  if (!badge)
    return;
  g_autofree char *wall = attendance_wall_time_now();
  int rc = speakers_grant(app->speakers, badge, console_seat_of(app, badge) == NULL,
                          g_get_monotonic_time(), wall);
  if (rc < 0) {
    console_reply_errno(c, rc, "the floor");
    return;
  }
  console_floor_to_relay(app, c, badge, TRUE);
  g_message("%s gave the floor to %s", c->badge, badge);
  console_audit(c, "queue.grant", badge, NULL);
  console_push_queue(app);
  app->participants_dirty = TRUE;
}

static void
handle_queue_revoke(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  const char *badge = console_roster_badge(c, msg);
  if (!badge)
    return;
  int rc = speakers_revoke(app->speakers, badge);
  if (rc < 0) {
    console_reply_errno(c, rc, "speaker");
    return;
  }
  console_floor_to_relay(app, c, badge, FALSE);
  console_audit(c, "queue.revoke", badge, NULL);
  console_push_queue(app);
  app->participants_dirty = TRUE;
}

static void
handle_queue_add(WsConn *c, JsonObject *msg)
{
  const char *badge = console_roster_badge(c, msg);
  if (!badge)
    return;
  g_autofree char *wall = attendance_wall_time_now();
  int rc = speakers_request(c->app->speakers, badge, console_seat_of(c->app, badge) == NULL,
                            g_get_monotonic_time(), wall);
  if (rc < 0) {
    console_reply_errno(c, rc, "speaker");
    return;
  }
  console_audit(c, "queue.add", badge, NULL);
  console_push_queue(c->app);
}

static void
handle_queue_remove(WsConn *c, JsonObject *msg)
{
  const char *badge = console_roster_badge(c, msg);
  int rc;
  if (!badge)
    return;
  if ((rc = speakers_withdraw(c->app->speakers, badge)) < 0) {
    console_reply_errno(c, rc, "request");
    return;
  }
  console_audit(c, "queue.remove", badge, NULL);
  console_push_queue(c->app);
}

static void
handle_queue_reorder(WsConn *c, JsonObject *msg)
{
  const char *badge = console_roster_badge(c, msg);
  JsonNode *place = json_object_get_member(msg, "place");
  int rc;
  if (!badge)
    return;
  if (!place || !JSON_NODE_HOLDS_VALUE(place) || json_node_get_value_type(place) != G_TYPE_INT64) {
    ws_send_error(c, "bad_request", "'queue.reorder' needs an integer 'place'.");
    return;
  }
  gint64 p = json_node_get_int(place);
  if ((rc = speakers_move(c->app->speakers, badge, (int)CLAMP(p, -1, G_MAXINT))) < 0) {
    console_reply_errno(c, rc, "place");
    return;
  }
  {
    g_autofree char *detail = g_strdup_printf("place %" G_GINT64_FORMAT, p);
    console_audit(c, "queue.reorder", badge, detail);
  }
  console_push_queue(c->app);
}

#define SPEAKERS (MEETING_ROLE_DELEGATE | MEETING_ROLE_CHAIR)
#define STAFF (MEETING_ROLE_OPERATOR | MEETING_ROLE_CHAIR)

static const ConsoleHandler handlers[] = {
  {"hand", SPEAKERS, FALSE, handle_hand},
  {"queue.add", MEETING_ROLE_OPERATOR, FALSE, handle_queue_add},
  {"queue.remove", STAFF, FALSE, handle_queue_remove},
  {"queue.reorder", STAFF, FALSE, handle_queue_reorder},
  {"queue.grant", STAFF, FALSE, handle_queue_grant},
  {"queue.revoke", STAFF, FALSE, handle_queue_revoke},
};

const ConsoleHandler *
console_queue_handler(const char *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++)
    if (strcmp(handlers[i].type, type) == 0)
      return &handlers[i];
  return NULL;
}
