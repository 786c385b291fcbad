/* SPDX-License-Identifier: Apache-2.0 */
#include "ws.h"

#include "server.h"
#include "token.h"
#include "control.h"

#include <string.h>

typedef enum { WS_IDLE, WS_JOINING, WS_JOINED } WsState;

/* One WebSocket connection. lws's per-session data holds a pointer to it;
 * relay requests in flight hold a reference, so a reply that arrives after
 * the socket closed finds wsi == NULL and cleans up instead. */
typedef struct {
  int refs;
  SigApp *app;
  struct lws *wsi; /* NULL once closed */
  GByteArray *rx;  /* current message, reassembled from fragments */
  GQueue tx;       /* char* JSON texts to send */
  WsState state;
  char *badge;     /* set at join */
  char *peer;      /* set at join */
  char *item;      /* agenda item id at join */
  char *remote;    /* peer address, for logs */
} WsConn;

typedef void (*WsHandler)(WsConn *c, JsonObject *msg);

static WsConn *
conn_ref(WsConn *c)
{
  c->refs++;
  return c;
}

static void
conn_unref(WsConn *c)
{
  if (--c->refs > 0)
    return;
  g_byte_array_unref(c->rx);
  g_queue_clear_full(&c->tx, g_free);
  g_free(c->badge);
  g_free(c->peer);
  g_free(c->item);
  g_free(c->remote);
  g_free(c);
}

static void
send_node(WsConn *c, JsonNode *node)
{
  if (c->wsi) {
    g_queue_push_tail(&c->tx, json_to_string(node, FALSE));
    lws_callback_on_writable(c->wsi);
  }
  json_node_unref(node);
}

static JsonNode *
wrap(JsonObject *o)
{
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

static void
send_error(WsConn *c, const char *code, const char *message)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "error");
  json_object_set_string_member(o, "code", code);
  json_object_set_string_member(o, "message", message);
  send_node(c, wrap(o));
}

static void
send_simple(WsConn *c, const char *type)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", type);
  send_node(c, wrap(o));
}

/* Queues an attendance event of this connection's join (group commit:
 * attendance_queue.h); @done runs once it is on disk. */
static void
record(WsConn *c, const char *kind, AttendanceDoneFunc done, gpointer user)
{
  g_autofree char *wall = attendance_wall_time_now();
  AttendanceEvent e = {c->badge, kind, c->item, wall, g_get_monotonic_time(), c->peer};
  attendance_queue_add(c->app->journal, &e, done, user);
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
  relay_client_request(app->relay, "peer.remove", f, remove_reply, g_strdup(peer), NULL);
}

/* Ends a join: attendance row (@done, may be NULL, once it is on disk),
 * peer table, back to idle. */
static void
end_join(WsConn *c, gboolean tell_relay, AttendanceDoneFunc done, gpointer user)
{
  if (c->state != WS_JOINED)
    return;
  record(c, "leave", done, user);
  g_hash_table_remove(c->app->peers, c->peer);
  if (tell_relay)
    relay_remove(c->app, c->peer);
  c->state = WS_IDLE;
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
    const VenueItem *item = venue_find_item(c->app->venue, c->item);
    json_object_set_member(o, "agenda_item", venue_item_to_json(item));
    send_node(c, wrap(o));
  }
  conn_unref(c);
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

  if (!c->wsi) { /* closed meanwhile */
    if (reply)
      relay_remove(app, c->peer);
    g_hash_table_remove(app->peers, c->peer);
    goto done;
  }
  if (!reply || !answer) {
    g_hash_table_remove(app->peers, c->peer);
    c->state = WS_IDLE;
    if (g_error_matches(error, RELAY_CLIENT_ERROR, RELAY_CLIENT_ERROR_REMOTE)) {
      g_autofree char *msg = g_strdup_printf("The relay refused the connection (%s).", code);
      send_error(c, g_strcmp0(code, "bad_sdp") == 0 ? "bad_request" : "relay_unavailable", msg);
    } else {
      send_error(c, "relay_unavailable",
                 "The audio relay is not available. Please try again in a moment.");
    }
    if (reply)
      relay_remove(app, c->peer);
    goto done;
  }
  c->state = WS_JOINED;
  JoinAck *ack = g_new0(JoinAck, 1);
  ack->c = conn_ref(c);
  ack->peer = g_strdup(c->peer);
  ack->answer = g_strdup(answer);
  record(c, "join", join_recorded, ack);
done:
  conn_unref(c);
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

static void
handle_join(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  g_autofree char *badge = NULL;
  g_autoptr(GError) error = NULL;
  const char *token = json_object_get_string_member_with_default(msg, "token", NULL);
  const char *offer = json_object_get_string_member_with_default(msg, "offer", NULL);
  int rc;

  if (c->state != WS_IDLE) {
    send_error(c, "already_joined", "This connection has already joined.");
    return;
  }
  if (!token || !offer || !*offer || strlen(offer) >= CTL_MAX_LINE / 2) {
    send_error(c, "bad_request", "'join' needs a string 'token' and an SDP 'offer'.");
    return;
  }
  rc = token_verify(app->token_key, app->token_key_len, token, g_get_real_time() / G_USEC_PER_SEC,
                    &badge, NULL);
  if (rc == TOKEN_EEXPIRED) {
    send_error(c, "expired_token", "Your session has expired. Please log in again.");
    return;
  }
  if (rc < 0 || !roster_lookup(app->roster, badge)) {
    send_error(c, "bad_token", "The login token is not valid. Please log in again.");
    return;
  }
  g_free(c->badge);
  g_free(c->peer);
  g_free(c->item);
  c->badge = g_steal_pointer(&badge);
  c->peer = new_peer_id(app);
  c->item = g_strdup(app->venue->current_item);

  g_autoptr(JsonObject) f = json_object_new();
  JsonArray *tracks = json_array_new();
  json_array_add_string_element(tracks, "floor");
  json_object_set_string_member(f, "peer", c->peer);
  json_object_set_string_member(f, "participant", c->badge);
  json_object_set_string_member(f, "role", "delegate");
  json_object_set_array_member(f, "tracks", tracks);
  json_object_set_string_member(f, "offer", offer);
  if (!relay_client_request(app->relay, "peer.add", f, join_reply, conn_ref(c), &error)) {
    conn_unref(c);
    send_error(c, "relay_unavailable",
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
  send_simple(c, "left"); /* nothing if closed meanwhile */
  conn_unref(c);
}

static void
handle_leave(WsConn *c, JsonObject *msg)
{
  if (c->state == WS_JOINING) {
    send_error(c, "bad_request", "A join is in progress; leave after it completes.");
    return;
  }
  if (c->state != WS_JOINED) {
    send_error(c, "bad_request", "Not joined.");
    return;
  }
  end_join(c, TRUE, left_recorded, conn_ref(c));
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
    send_error(c, g_strcmp0(code, "bad_sdp") == 0 ? "bad_request" : "relay_unavailable",
               "The relay could not restart the connection; please join again.");
    goto done;
  }
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", "restarted");
  json_object_set_string_member(o, "answer", answer);
  send_node(c, wrap(o));
done:
  conn_unref(c);
}

/* ICE restart: the delegate's network changed; same seat, same peer, new
 * ICE credentials (docs/control.md peer.update). */
static void
handle_restart(WsConn *c, JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  const char *offer = json_object_get_string_member_with_default(msg, "offer", NULL);
  if (c->state != WS_JOINED) {
    send_error(c, "bad_request", "Not joined.");
    return;
  }
  if (!offer || !*offer || strlen(offer) >= CTL_MAX_LINE / 2) {
    send_error(c, "bad_request", "'restart' needs an SDP 'offer'.");
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "peer", c->peer);
  json_object_set_string_member(f, "offer", offer);
  if (!relay_client_request(c->app->relay, "peer.update", f, restart_reply, conn_ref(c),
                            &error)) {
    conn_unref(c);
    send_error(c, "relay_unavailable",
               "The audio relay is not available. Please try again in a moment.");
  }
}

static const struct {
  const char *type;
  WsHandler handle;
} handlers[] = {
  {"join", handle_join},
  {"leave", handle_leave},
  {"restart", handle_restart},
};

static void
dispatch(WsConn *c, const char *text, gsize len)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  JsonNode *root;
  JsonObject *msg;
  const char *type;

  if (!json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
      !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
    send_error(c, "bad_request", "Message is not a JSON object.");
    return;
  }
  msg = json_node_get_object(root);
  type = json_object_get_string_member_with_default(msg, "type", NULL);
  if (!type) {
    send_error(c, "bad_request", "Message has no string 'type'.");
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++)
    if (strcmp(handlers[i].type, type) == 0) {
      handlers[i].handle(c, msg);
      return;
    }
  send_error(c, "bad_request", "Unknown message type.");
}

void
ws_on_relay_event(const char *event, const char *peer, JsonObject *msg, gpointer user_data)
{
  SigApp *app = user_data;
  WsConn *c = peer ? g_hash_table_lookup(app->peers, peer) : NULL;
  gboolean lost = strcmp(event, "peer.lost") == 0;

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
  send_node(c, wrap(o));
  if (lost)
    end_join(c, FALSE, NULL, NULL); /* the relay already dropped it */
}

void
ws_on_relay_state(gboolean connected, gpointer user_data)
{
  SigApp *app = user_data;
  g_autoptr(GList) conns = NULL;

  if (connected)
    return;
  /* The relay restarted: its peers are gone. */
  conns = g_hash_table_get_values(app->peers);
  for (GList *l = conns; l; l = l->next) {
    WsConn *c = l->data;
    if (c->state != WS_JOINED)
      continue;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", "media");
    json_object_set_string_member(o, "state", "lost");
    json_object_set_string_member(o, "reason", "relay_unavailable");
    send_node(c, wrap(o));
    end_join(c, FALSE, NULL, NULL);
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
    send_error(c, "bad_request", "Binary messages are not accepted; send JSON text.");
  else
    dispatch(c, (const char *)c->rx->data, c->rx->len);
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
    char uri[64] = "";
    lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    return strcmp(uri, "/ws") == 0 ? 0 : 1;
  }
  case LWS_CALLBACK_ESTABLISHED: {
    char addr[64] = "";
    c = g_new0(WsConn, 1);
    c->refs = 1;
    c->app = lws_context_user(lws_get_context(wsi));
    c->wsi = wsi;
    c->rx = g_byte_array_new();
    g_queue_init(&c->tx);
    lws_get_peer_simple(wsi, addr, sizeof addr);
    c->remote = g_strdup(addr);
    *slot = c;
    return 0;
  }
  case LWS_CALLBACK_RECEIVE:
    return c ? receive(c, in, len) : -1;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return c ? write_one(c) : 0;
  case LWS_CALLBACK_CLOSED:
    if (!c)
      return 0;
    end_join(c, TRUE, NULL, NULL); /* a close while joined counts as leave */
    c->wsi = NULL;
    *slot = NULL;
    conn_unref(c);
    return 0;
  default:
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}
