/* SPDX-License-Identifier: Apache-2.0 */
#include "ws.h"

#include "console.h"
#include "seat.h"

#include "server.h"
#include "token.h"
#include "control.h"
#include "json_text.h"

#include <string.h>

/* An adopted seat waits this long for its page to resume it. */
#define ADOPT_GRACE_S 30
/* The relay link may drop for this long before the seats end. */
#define RELAY_DOWN_GRACE_MS 3000

typedef void (*WsHandler)(WsConn *c, JsonObject *msg);

WsConn *
ws_conn_new_detached(SigApp *app, const char *remote)
{
  WsConn *c = g_new0(WsConn, 1);
  c->refs = 1;
  c->app = app;
  c->rx = g_byte_array_new();
  g_queue_init(&c->tx);
  c->remote = g_strdup(remote);
  return c;
}

WsConn *
ws_conn_ref(WsConn *c)
{
  c->refs++;
  return c;
}

void
ws_conn_unref(WsConn *c)
{
  if (--c->refs > 0)
    return;
  g_byte_array_unref(c->rx);
  g_queue_clear_full(&c->tx, g_free);
  g_free(c->badge);
  g_free(c->peer);
  g_free(c->item);
  g_free(c->session);
  g_free(c->remote);
  g_free(c->booth);
  g_free(c->category);
  g_free(c->channel);
  if (c->quality)
    json_node_unref(c->quality);
  if (c->soundcheck)
    json_node_unref(c->soundcheck);
  g_free(c);
}

void
ws_send_node(WsConn *c, JsonNode *node)
{
  if (c->wsi) {
    g_queue_push_tail(&c->tx, json_text_write(node));
    lws_callback_on_writable(c->wsi);
  }
  json_node_unref(node);
}

void
ws_send_error(WsConn *c, const char *code, const char *message)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "error");
  json_object_set_string_member(o, "code", code);
  json_object_set_string_member(o, "message", message);
  if (c->request) /* which message this answers, when known */
    json_object_set_string_member(o, "request", c->request);
  ws_send_node(c, json_text_node(o));
}

void
ws_send_simple(WsConn *c, const char *type)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", type);
  ws_send_node(c, json_text_node(o));
}

/* Queues an attendance event of this connection's join (group commit:
 * attendance_queue.h); @done runs once it is on disk. */
void
ws_record(WsConn *c, const char *kind, const char *reason, AttendanceDoneFunc done, gpointer user)
{
  g_autofree char *wall = attendance_wall_time_now();
  SigApp *app = c->app;
  AttendanceEvent e = {.badge = c->badge,
                       .kind = kind,
                       .agenda_item = c->item,
                       .wall_time = wall,
                       .mono_us = g_get_monotonic_time(),
                       .peer = c->peer,
                       .reason = reason,
                       .meeting = app->meeting->id,
                       .session = c->session,
                       .role = console_role_name(c),
                       .channel = c->channel,
                       .where = "remote"};
  attendance_queue_add(app->journal, &e, done, user);
}

static void
remove_reply(JsonObject *reply, const GError *error, const char *code, gpointer user_data)
{
  char *peer = user_data;
  if (error)
    g_message("peer.remove %s: %s", peer, error->message);
  g_free(peer);
}

static void
relay_remove(SigApp *app, const char *peer)
{
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "peer", peer);
  char *copy = g_strdup(peer);
  if (!relay_client_request(app->relay, "peer.remove", f, remove_reply, copy, NULL))
    g_free(copy); /* the link is down: the relay's reconcile removes it */
}

/* An adopted seat leaves the table: the table's reference goes. */
static void
disown(WsConn *c)
{
  if (!c->adopted)
    return;
  c->adopted = FALSE;
  if (c->grace_timer)
    g_source_remove(c->grace_timer);
  c->grace_timer = 0;
  ws_conn_unref(c);
}

/* Ends a join: attendance row with @reason (@done, may be NULL, once it is
 * on disk), peer table, back to idle. An adopted seat is freed: do not
 * touch @c afterwards unless you hold a reference. */
static void
end_join(WsConn *c, gboolean tell_relay, const char *reason, AttendanceDoneFunc done,
         gpointer user)
{
  if (c->state != WS_JOINED)
    return;
  ws_record(c, "leave", reason, done, user);
  g_hash_table_remove(c->app->peers, c->peer);
  if (tell_relay)
    relay_remove(c->app, c->peer);
  c->state = WS_IDLE;
  console_seat_ended(c);
  disown(c);
}

void
ws_end_join(WsConn *c, gboolean tell_relay, const char *reason)
{
  end_join(c, tell_relay, reason, NULL, NULL);
}

static void
send_media_lost(WsConn *c, const char *reason)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "media");
  json_object_set_string_member(o, "state", "lost");
  json_object_set_string_member(o, "reason", reason);
  ws_send_node(c, json_text_node(o));
}

static void
send_superseded(WsConn *c)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "superseded");
  json_object_set_string_member(o, "message",
                                "You joined the meeting from another device or window; "
                                "the audio here has stopped.");
  ws_send_node(c, json_text_node(o));
}

/* A join waiting for its attendance row to be durable before "joined". */
typedef struct {
  WsConn *c; /* a reference */
  char *peer;
  char *answer;
} JoinAck;

static void
join_recorded(gboolean ok, const GError *error, gpointer user)
{
  JoinAck *ack = user;
  WsConn *c = ack->c;
  /* still this join (not left, not closed)? A failed row is logged by the
   * queue; the delegate still gets the floor. */
  if (c->wsi && c->state == WS_JOINED && g_strcmp0(c->peer, ack->peer) == 0) {
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", "joined");
    json_object_set_string_member(o, "peer", c->peer);
    json_object_set_string_member(o, "answer", ack->answer);
    json_object_set_member(o, "agenda_item", console_item_json(c->app, c->item));
    ws_send_node(c, json_text_node(o));
    console_seat_joined(c);
  }
  ws_conn_unref(c);
  g_free(ack->peer);
  g_free(ack->answer);
  g_free(ack);
}

static void
join_reply(JsonObject *reply, const GError *error, const char *code, gpointer user_data)
{
  WsConn *c = user_data;
  SigApp *app = c->app;
  const char *answer = reply ? json_object_get_string_member_with_default(reply, "answer", NULL)
                             : NULL;

  if (!c->wsi || c->superseded) { /* closed or superseded meanwhile */
    if (reply)
      relay_remove(app, c->peer);
    g_hash_table_remove(app->peers, c->peer);
    c->state = WS_IDLE;
    c->superseded = FALSE;
    goto done;
  }
  if (!reply || !answer) {
    g_hash_table_remove(app->peers, c->peer);
    c->state = WS_IDLE;
    if (g_error_matches(error, RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_REMOTE)) {
      g_autofree char *msg = g_strdup_printf("The relay refused the connection (%s).", code);
      ws_send_error(c, g_strcmp0(code, "bad_sdp") == 0 ? "bad_request"
                       : g_strcmp0(code, "full") == 0  ? "booth_full"
                                                       : "relay_unavailable",
                    msg);
    } else {
      ws_send_error(c, "relay_unavailable",
                 "The audio relay is not available. Please try again in a moment.");
    }
    if (reply)
      relay_remove(app, c->peer);
    goto done;
  }
  c->state = WS_JOINED;
  JoinAck *ack = g_new0(JoinAck, 1);
  ack->c = ws_conn_ref(c);
  ack->peer = g_strdup(c->peer);
  ack->answer = g_strdup(answer);
  ws_record(c, "join", NULL, join_recorded, ack);
done:
  ws_conn_unref(c);
}

static char *
new_peer_id(SigApp *app)
{
  for (;;) {
    char *id = g_strdup_printf("p-%08x", g_random_int());
    if (!g_hash_table_contains(app->peers, id))
      return id;
    g_free(id);
  }
}

/* One badge, one seat (docs/websocket.md, "One badge, one seat"): the
 * newer join supersedes every older seat of the same badge. */
static void
supersede_badge(SigApp *app, const char *badge)
{
  g_autoptr(GList) seats = g_hash_table_get_values(app->peers);
  for (GList *l = seats; l; l = l->next) {
    WsConn *old = l->data;
    if (g_strcmp0(old->badge, badge) != 0)
      continue;
    g_message("badge %s joined again: seat %s superseded", badge, old->peer);
    send_superseded(old);
    if (old->state == WS_JOINING)
      old->superseded = TRUE; /* join_reply removes it */
    else
      end_join(old, TRUE, ATTENDANCE_REASON_SUPERSEDED, NULL, NULL);
  }
}

/* The badge of a valid token, or NULL after telling the client why not. */
char *
ws_verify_token(WsConn *c, const char *token)
{
  SigApp *app = c->app;
  char *badge = NULL;
  int rc = token ? token_verify(app->token_key, app->token_key_len, token,
                                g_get_real_time() / G_USEC_PER_SEC, &badge, NULL)
                 : TOKEN_EMALFORMED;
  if (rc == TOKEN_EEXPIRED) {
    ws_send_error(c, "expired_token", "Your session has expired. Please log in again.");
    return NULL;
  }
  if (rc < 0 || !roster_lookup(app->roster, badge)) {
    g_free(badge);
    ws_send_error(c, "bad_token", "The login token is not valid. Please log in again.");
    return NULL;
  }
  return badge;
}

static void
handle_join(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  g_autofree char *badge = NULL;
  g_autoptr(GError) error = NULL;
  const char *token = json_object_get_string_member_with_default(msg, "token", NULL);
  const char *offer = json_object_get_string_member_with_default(msg, "offer", NULL);

  if (c->state != WS_IDLE) {
    ws_send_error(c, "already_joined", "This connection has already joined.");
    return;
  }
  if (!token || !offer || !*offer || strlen(offer) >= CTL_MAX_LINE / 2) {
    ws_send_error(c, "bad_request", "'join' needs a string 'token' and an SDP 'offer'.");
    return;
  }
  if (!(badge = ws_verify_token(c, token)))
    return;
  g_free(c->badge);
  c->badge = g_steal_pointer(&badge);
  /* who this is, and whether the session admits them (a closed session) */
  g_autoptr(JsonObject) f = console_admit(c);
  if (!f)
    return;
  supersede_badge(app, c->badge);
  g_free(c->peer);
  g_free(c->item);
  c->peer = new_peer_id(app);
  c->item = g_strdup(live_item_id(&app->live));
  g_free(c->session);
  c->session = g_strdup(app->live.open ? app->live.session->id : NULL);
  json_object_set_string_member(f, "peer", c->peer);
  json_object_set_string_member(f, "participant", c->badge);
  json_object_set_string_member(f, "offer", offer);
  if (!relay_client_request(app->relay, "peer.add", f, join_reply, ws_conn_ref(c), &error)) {
    ws_conn_unref(c);
    ws_send_error(c, "relay_unavailable",
               "The audio relay is not available. Please try again in a moment.");
    return;
  }
  c->state = WS_JOINING;
  g_hash_table_insert(app->peers, c->peer, c);
}

static void
left_recorded(gboolean ok, const GError *error, gpointer user)
{
  WsConn *c = user;
  ws_send_simple(c, "left"); /* nothing if closed meanwhile */
  ws_conn_unref(c);
}

static void
handle_leave(WsConn *c, JsonObject *msg)
{
  if (c->state == WS_JOINING) {
    ws_send_error(c, "bad_request", "A join is in progress; leave after it completes.");
    return;
  }
  if (c->state != WS_JOINED) {
    ws_send_error(c, "bad_request", "Not joined.");
    return;
  }
  end_join(c, TRUE, ATTENDANCE_REASON_LEFT, left_recorded, ws_conn_ref(c));
}

static void
restart_reply(JsonObject *reply, const GError *error, const char *code, gpointer user_data)
{
  WsConn *c = user_data;
  const char *answer = reply ? json_object_get_string_member_with_default(reply, "answer", NULL)
                             : NULL;
  if (!c->wsi)
    goto done;
  if (!answer) {
    ws_send_error(c, g_strcmp0(code, "bad_sdp") == 0 ? "bad_request" : "relay_unavailable",
               "The relay could not restart the connection; please join again.");
    goto done;
  }
  if (c->state == WS_JOINED)
    ws_record(c, "reconnect", NULL, NULL, NULL); /* an ICE restart: the same interval */
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "restarted");
  json_object_set_string_member(o, "answer", answer);
  ws_send_node(c, json_text_node(o));
done:
  ws_conn_unref(c);
}

/* ICE restart: the delegate's network changed; same seat, same peer, new
 * ICE credentials (docs/control.md peer.update). */
static void
handle_restart(WsConn *c, JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  const char *offer = json_object_get_string_member_with_default(msg, "offer", NULL);
  if (c->state != WS_JOINED) {
    ws_send_error(c, "bad_request", "Not joined.");
    return;
  }
  if (!offer || !*offer || strlen(offer) >= CTL_MAX_LINE / 2) {
    ws_send_error(c, "bad_request", "'restart' needs an SDP 'offer'.");
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "peer", c->peer);
  json_object_set_string_member(f, "offer", offer);
  if (!relay_client_request(c->app->relay, "peer.update", f, restart_reply, ws_conn_ref(c),
                            &error)) {
    ws_conn_unref(c);
    ws_send_error(c, "relay_unavailable",
               "The audio relay is not available. Please try again in a moment.");
  }
}

/* A page whose WebSocket dropped (a signalling restart, a network blip)
 * kept its media: it takes its seat back with its token and peer id. */
static void
handle_resume(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  const char *token = json_object_get_string_member_with_default(msg, "token", NULL);
  const char *peer = json_object_get_string_member_with_default(msg, "peer", NULL);
  g_autofree char *badge = NULL;
  WsConn *seat;

  if (c->state != WS_IDLE) {
    ws_send_error(c, "already_joined", "This connection has already joined.");
    return;
  }
  if (!token || !peer) {
    ws_send_error(c, "bad_request", "'resume' needs a string 'token' and 'peer'.");
    return;
  }
  if (!app->reconciled) {
    ws_send_error(c, "not_ready", "The server is starting; please try again in a moment.");
    return;
  }
  if (!(badge = ws_verify_token(c, token)))
    return;
  seat = g_hash_table_lookup(app->peers, peer);
  if (!seat || seat->state != WS_JOINED || g_strcmp0(seat->badge, badge) != 0) {
    ws_send_error(c, "unknown_seat", "Your audio connection has ended; joining again.");
    return;
  }
  g_free(c->badge);
  c->badge = g_steal_pointer(&badge);
  c->peer = g_strdup(seat->peer);
  c->item = g_strdup(seat->item);
  c->session = g_strdup(seat->session);
  c->channel = g_strdup(seat->channel);
  console_identify(c);
  c->state = WS_JOINED;
  g_hash_table_remove(app->peers, seat->peer);
  g_hash_table_insert(app->peers, c->peer, c);
  seat->state = WS_IDLE; /* an old WebSocket of the same page, if any, leaves nothing */
  disown(seat);
  g_message("seat %s (%s) resumed from %s", c->peer, c->badge, c->remote);

  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "resumed");
  json_object_set_string_member(o, "peer", c->peer);
  json_object_set_member(o, "agenda_item", console_item_json(app, c->item));
  ws_send_node(c, json_text_node(o));
}

typedef struct {
  WsConn *c; /* a reference */
  char *type, *value;
} ListenerAck;

static void
listener_reply(JsonObject *reply, const GError *error, const char *code, gpointer user_data)
{
  ListenerAck *ack = user_data;
  WsConn *c = ack->c;
  if (!reply) {
    ws_send_error(c, g_strcmp0(code, "unknown") == 0 ? "bad_request" : "relay_unavailable",
               g_strcmp0(code, "unknown") == 0 ? "This meeting has no such channel."
                                               : "The audio relay did not switch the channel.");
  } else {
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", ack->type);
    if (strcmp(ack->type, "channel") == 0) {
      json_object_set_string_member(o, "channel", ack->value);
      if (g_strcmp0(c->channel, ack->value) != 0 && c->state == WS_JOINED) {
        g_free(c->channel);
        c->channel = g_strdup(ack->value);
        ws_record(c, "channel", NULL, NULL, NULL);
      }
    }
    else
      json_object_set_boolean_member(o, "on", strcmp(ack->value, "on") == 0);
    ws_send_node(c, json_text_node(o));
  }
  ws_conn_unref(c);
  g_free(ack->type);
  g_free(ack->value);
  g_free(ack);
}

/* Sends the relay @request for this seat; the page gets @type back. */
static void
listener_request(WsConn *c, const char *request, JsonObject *fields, const char *type,
                 const char *value)
{
  g_autoptr(GError) error = NULL;
  ListenerAck *ack = g_new0(ListenerAck, 1);
  ack->c = ws_conn_ref(c);
  ack->type = g_strdup(type);
  ack->value = g_strdup(value);
  json_object_set_string_member(fields, "peer", c->peer);
  if (!relay_client_request(c->app->relay, request, fields, listener_reply, ack, &error))
    listener_reply(NULL, error, NULL, ack);
}

/* Which interpretation the delegate's second track carries: "floor",
 * "none", or a language of the meeting (docs/websocket.md). */
static void
handle_channel(WsConn *c, JsonObject *msg)
{
  const char *channel = json_object_get_string_member_with_default(msg, "channel", NULL);
  if (c->state != WS_JOINED) {
    ws_send_error(c, "bad_request", "Not joined.");
    return;
  }
  if (!channel) {
    ws_send_error(c, "bad_request", "'channel' needs a string 'channel'.");
    return;
  }
  gboolean known = strcmp(channel, "floor") == 0 || strcmp(channel, "none") == 0 ||
                   meeting_has_booth(c->app->meeting, channel);
  if (!known) {
    ws_send_error(c, "bad_request", "This meeting has no such channel.");
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  g_autofree char *product = strcmp(channel, "floor") == 0 || strcmp(channel, "none") == 0
                                 ? g_strdup(channel)
                                 : g_strdup_printf("channel:%s", channel);
  json_object_set_string_member(f, "channel", product);
  listener_request(c, "listener.channel", f, "channel", channel);
}

/* A weak link: one track, from a low-bitrate encode. */
static void
handle_lowbw(WsConn *c, JsonObject *msg)
{
  JsonNode *on = json_object_get_member(msg, "on");
  if (c->state != WS_JOINED) {
    ws_send_error(c, "bad_request", "Not joined.");
    return;
  }
  if (!on || !JSON_NODE_HOLDS_VALUE(on) || json_node_get_value_type(on) != G_TYPE_BOOLEAN) {
    ws_send_error(c, "bad_request", "'lowbw' needs a boolean 'on'.");
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_boolean_member(f, "on", json_node_get_boolean(on));
  listener_request(c, "listener.lowbw", f, "lowbw", json_node_get_boolean(on) ? "on" : "off");
}

static const struct {
  const char *type;
  WsHandler handle;
} handlers[] = {
  {"channel", handle_channel},
  {"lowbw", handle_lowbw},
  {"join", handle_join},
  {"leave", handle_leave},
  {"restart", handle_restart},
  {"resume", handle_resume},
};

void
ws_dispatch(WsConn *c, const char *text, gsize len)
{
  g_autoptr(JsonObject) msg = NULL;
  g_autofree char *why = NULL;
  const char *type;

  if (json_text_parse_object(text, len, &msg, &why) < 0) {
    g_autofree char *text_why = g_strdup_printf("Message is not a strict JSON object (%s).", why);
    ws_send_error(c, "bad_request", text_why);
    return;
  }
  type = json_object_get_string_member_with_default(msg, "type", NULL);
  if (!type) {
    ws_send_error(c, "bad_request", "Message has no string 'type'.");
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++)
    if (strcmp(handlers[i].type, type) == 0) {
      c->request = handlers[i].type;
      handlers[i].handle(c, msg);
      c->request = NULL;
      return;
    }
  if (!console_dispatch(c, type, msg))
    ws_send_error(c, "bad_request", "Unknown message type.");
}

static void
on_peer_present(SigApp *app, const char *peer, JsonObject *msg)
{
  const char *participant = json_object_get_string_member_with_default(msg, "participant", "");
  if (app->listing)
    g_hash_table_insert(app->present, g_strdup(peer), g_strdup(participant));
}

void
ws_on_relay_event(const char *event, const char *peer, JsonObject *msg, gpointer user_data)
{
  SigApp *app = user_data;
  WsConn *c;

  if (!peer) {
    console_on_relay_event(app, event, NULL, msg);
    return;
  }
  if (strcmp(event, "peer.present") == 0) {
    on_peer_present(app, peer, msg);
    return;
  }
  /* only these change a seat; levels, stats and booth states go to the
   * consoles */
  gboolean lost = strcmp(event, "peer.lost") == 0;
  if (!lost && strcmp(event, "peer.connected") != 0) {
    console_on_relay_event(app, event, peer, msg);
    return;
  }
  c = g_hash_table_lookup(app->peers, peer);
  if (!c || c->state != WS_JOINED)
    return;
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "media");
  json_object_set_string_member(o, "state", lost ? "lost" : "connected");
  const char *reason = json_object_get_string_member_with_default(msg, "reason", NULL);
  if (reason)
    json_object_set_string_member(o, "reason", reason);
  else
    json_object_set_null_member(o, "reason");
  ws_send_node(c, json_text_node(o));
  if (lost) {
    g_autofree char *why = g_strdup_printf("media_%s", reason ? reason : "lost");
    end_join(c, FALSE, why, NULL, NULL); /* the relay already dropped it */
  }
}

/* Ends every seat (the relay lost its peers, or stayed away). */
static void
end_all_seats(SigApp *app, const char *reason, gboolean only_absent)
{
  g_autoptr(GList) seats = g_hash_table_get_values(app->peers);
  for (GList *l = seats; l; l = l->next) {
    WsConn *c = l->data;
    if (c->state != WS_JOINED || (only_absent && g_hash_table_contains(app->present, c->peer)))
      continue;
    send_media_lost(c, reason);
    end_join(c, FALSE, reason, NULL, NULL);
  }
}

static gboolean
on_adopt_expired(gpointer data)
{
  WsConn *c = data;
  c->grace_timer = 0;
  g_message("seat %s (%s) not resumed within %d s: ended", c->peer, c->badge, ADOPT_GRACE_S);
  end_join(c, TRUE, ATTENDANCE_REASON_RESTART, NULL, NULL);
  return G_SOURCE_REMOVE;
}

/* A seat the relay still has and the database shows as joined: kept for
 * its page to resume, owned by the peer table. */
static void
adopt(SigApp *app, const AttendanceOpenJoin *j)
{
  WsConn *c = ws_conn_new_detached(app, "(adopted)");
  c->state = WS_JOINED;
  c->badge = g_strdup(j->badge);
  c->peer = g_strdup(j->peer);
  c->item = g_strdup(j->agenda_item);
  c->session = g_strdup(j->session);
  c->channel = g_strdup(j->channel);
  console_identify(c);
  c->adopted = TRUE;
  c->grace_timer = g_timeout_add_seconds(ADOPT_GRACE_S, on_adopt_expired, c);
  g_hash_table_insert(app->peers, c->peer, c);
  g_message("seat %s (%s) kept across the restart; waiting for its page", c->peer, c->badge);
}

/* docs/control.md "Reconcile": the relay's peers (app->present) against
 * our seats and the open intervals in the database. */
static void
reconcile(SigApp *app)
{
  g_autoptr(GError) error = NULL;
  guint adopted = 0, removed = 0, closed = 0;

  /* seats the relay no longer has: it restarted */
  end_all_seats(app, ATTENDANCE_REASON_RELAY, TRUE);
  attendance_queue_flush(app->journal); /* their leave rows, before reading intervals */
  g_autoptr(GPtrArray) open = attendance_open_joins(app->attendance, &error);
  if (!open) {
    g_critical("reconcile: %s", error->message);
    open = g_ptr_array_new();
  }
  for (guint i = 0; i < open->len; i++) {
    AttendanceOpenJoin *j = open->pdata[i];
    const char *participant = g_hash_table_lookup(app->present, j->peer);
    WsConn *c = g_hash_table_lookup(app->peers, j->peer);
    if (c)
      continue; /* a live seat of this process */
    if (participant && strcmp(participant, j->badge) == 0 && roster_lookup(app->roster, j->badge)) {
      adopt(app, j);
      adopted++;
      continue;
    }
    WsConn tmp = {.app = app, .badge = j->badge, .peer = j->peer, .item = j->agenda_item,
                  .session = j->session, .channel = j->channel};
    ws_record(&tmp, "leave", ATTENDANCE_REASON_RESTART, NULL, NULL);
    closed++;
  }
  /* relay peers nobody can claim */
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, app->present);
  while (g_hash_table_iter_next(&it, &key, NULL))
    if (!g_hash_table_contains(app->peers, key)) {
      relay_remove(app, key);
      removed++;
    }
  g_hash_table_remove_all(app->present);
  app->reconciled = TRUE;
  g_message("reconciled with the relay: %u seat(s) kept, %u interval(s) ended by restart, "
            "%u unknown peer(s) removed",
            adopted, closed, removed);
  console_booths_check_relay(app);
}

static void
list_reply(JsonObject *reply, const GError *error, const char *code, gpointer user_data)
{
  SigApp *app = user_data;
  app->listing = FALSE;
  if (!reply && !g_error_matches(error, RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_REMOTE)) {
    /* the link dropped again: the next link-up lists again */
    g_hash_table_remove_all(app->present);
    return;
  }
  if (!reply)
    g_warning("peer.list refused (%s): reconciling as if the relay had no peers", error->message);
  reconcile(app);
}

static gboolean
on_relay_down(gpointer data)
{
  SigApp *app = data;
  app->relay_down_timer = 0;
  end_all_seats(app, "relay_unavailable", FALSE);
  return G_SOURCE_REMOVE;
}

void
ws_on_relay_state(gboolean connected, gpointer user_data)
{
  SigApp *app = user_data;
  g_autoptr(GError) error = NULL;

  if (!connected) {
    /* a relay that restarts comes back within the grace; its peers are
     * then gone and the reconcile ends their seats */
    app->reconciled = FALSE;
    app->listing = FALSE;
    if (!app->relay_down_timer)
      app->relay_down_timer = g_timeout_add(RELAY_DOWN_GRACE_MS, on_relay_down, app);
    return;
  }
  if (app->relay_down_timer) {
    g_source_remove(app->relay_down_timer);
    app->relay_down_timer = 0;
  }
  g_hash_table_remove_all(app->present);
  app->listing = TRUE;
  if (!relay_client_request(app->relay, "peer.list", NULL, list_reply, app, &error)) {
    app->listing = FALSE;
    g_warning("peer.list: %s", error->message);
  }
}

void
ws_drop_seats(SigApp *app)
{
  g_autoptr(GList) seats = g_hash_table_get_values(app->peers);
  for (GList *l = seats; l; l = l->next) {
    WsConn *c = l->data;
    if (!c->adopted)
      continue;
    g_hash_table_remove(app->peers, c->peer);
    disown(c);
  }
}

static int
write_one(WsConn *c)
{
  char *text = g_queue_pop_head(&c->tx);
  if (!text)
    return 0;
  size_t n = strlen(text);
  g_autofree unsigned char *buf = g_malloc(LWS_PRE + n);
  memcpy(buf + LWS_PRE, text, n);
  g_free(text);
  if (lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
    return -1;
  if (!g_queue_is_empty(&c->tx))
    lws_callback_on_writable(c->wsi);
  return 0;
}

static int
receive(WsConn *c, const void *in, size_t len)
{
  if (c->rx->len + len > SERVER_MAX_MESSAGE) {
    static const char reason[] = "message too large";
    lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)reason,
                     sizeof reason - 1);
    return -1;
  }
  g_byte_array_append(c->rx, in, (guint)len);
  if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi) > 0)
    return 0;
  if (lws_frame_is_binary(c->wsi))
    ws_send_error(c, "bad_request", "Binary messages are not accepted; send JSON text.");
  else
    ws_dispatch(c, (const char *)c->rx->data, c->rx->len);
  g_byte_array_set_size(c->rx, 0);
  return 0;
}

int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
            size_t len)
{
  WsConn **slot = user;
  WsConn *c = slot ? *slot : NULL;

  switch (reason) {
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
    char uri[64] = "", origin[256] = "";
    SigApp *app = lws_context_user(lws_get_context(wsi));
    lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    if (strcmp(uri, "/ws") != 0)
      return 1;
    /* a browser always sends Origin: another site's page (or a sandboxed
     * "null" one) must not act with a delegate's token */
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0 ||
        !sig_app_origin_allowed(app, origin)) {
      g_message("WebSocket refused: Origin '%s' is not allowed", origin);
      return 1;
    }
    return 0;
  }
  case LWS_CALLBACK_ESTABLISHED: {
    char addr[64] = "";
    lws_get_peer_simple(wsi, addr, sizeof addr);
    c = ws_conn_new_detached(lws_context_user(lws_get_context(wsi)), addr);
    c->wsi = wsi;
    *slot = c;
    g_hash_table_add(c->app->conns, c);
    return 0;
  }
  case LWS_CALLBACK_RECEIVE:
    return c ? receive(c, in, len) : -1;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return c ? write_one(c) : 0;
  case LWS_CALLBACK_CLOSED:
    if (!c)
      return 0;
    /* a close while joined counts as leave, except at shutdown: the next
     * process adopts the seat and the page resumes it (docs/control.md) */
    if (!c->app->shutting_down) {
      end_join(c, TRUE, ATTENDANCE_REASON_CLOSED, NULL, NULL);
    } else if (c->state != WS_IDLE) {
      g_hash_table_remove(c->app->peers, c->peer);
      c->state = WS_IDLE;
    }
    g_hash_table_remove(c->app->conns, c);
    c->wsi = NULL;
    *slot = NULL;
    ws_conn_unref(c);
    return 0;
  default:
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}
