/* SPDX-License-Identifier: Apache-2.0 */
/* The interpretation booths as signalling runs them: which interpreters
 * are in each booth, whose microphone is live, handover request → accept
 * (or time-out), the cough key, the booth's input and outgoing channel. The
 * state machine is relay/audio/booth.c, the same one the relay's engine
 * uses, so both sides agree on the rules; signalling decides and tells the
 * relay (booth.live, booth.cough, booth.input, booth.output). Booths are
 * keyed by the interpreters' peer ids. */
#include "booth.h"
#include "console_private.h"

#include <errno.h>
#include <string.h>

#define HANDOVER_TIMEOUT_MS 10000

static uint64_t
now_ms(void)
{
  return (uint64_t)(g_get_monotonic_time() / 1000);
}

static int
booth_index(SigApp *app, const char *code)
{
  for (guint i = 0; code && i < app->booths->len; i++)
    if (strcmp(booth_lang(app->booths->pdata[i]), code) == 0)
      return (int)i;
  return -1;
}

/* What booth @l may work into besides its own language (retour): English
 * first (the usual B language), then the other booths, at most
 * BOOTH_MAX_RETOUR. Returns how many were put in @out. */
static size_t
retour_of(const Meeting *m, const MeetingLanguage *l, const char **out)
{
  size_t n = 0;
  if (strcmp(l->code, "en") != 0 && meeting_has_booth(m, "en"))
    out[n++] = "en";
  for (guint j = 0; j < m->languages->len && n < BOOTH_MAX_RETOUR; j++) {
    const MeetingLanguage *o = m->languages->pdata[j];
    if (o->booth && o != l && strcmp(o->code, "en") != 0)
      out[n++] = o->code;
  }
  return n;
}

void
console_booths_init(SigApp *app)
{
  const Meeting *m = app->meeting;
  app->booths = g_ptr_array_new_with_free_func((GDestroyNotify)booth_free);
  app->sim_live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < m->languages->len; i++) {
    const MeetingLanguage *l = m->languages->pdata[i];
    if (!l->booth)
      continue;
    BoothConfig cfg = {.lang = l->code, .handover_timeout_ms = HANDOVER_TIMEOUT_MS};
    cfg.n_retour = retour_of(m, l, cfg.retour);
    Booth *b = booth_new(&cfg);
    if (b)
      g_ptr_array_add(app->booths, b);
    else
      g_warning("booth %s: cannot be set up", l->code);
  }
}

void
console_booths_free(SigApp *app)
{
  if (app->booths)
    g_ptr_array_unref(app->booths);
  if (app->sim_live)
    g_hash_table_unref(app->sim_live);
}

/* The badge of the interpreter with @peer, or NULL. */
static const char *
badge_of(SigApp *app, const char *peer)
{
  WsConn *s = peer ? g_hash_table_lookup(app->peers, peer) : NULL;
  return s ? s->badge : NULL;
}

static JsonNode *
booth_message(SigApp *app, const Booth *b)
{
  JsonObject *o = json_object_new();
  JsonArray *interpreters = json_array_new();
  guint listeners = 0;
  const char *lang = booth_lang(b);

  json_object_set_string_member(o, "type", "booth");
  json_object_set_string_member(o, "code", lang);
  for (int slot = 0; slot < BOOTH_INTERPRETERS; slot++) {
    const char *peer = booth_peer(b, slot);
    WsConn *s = peer ? g_hash_table_lookup(app->peers, peer) : NULL;
    if (!s)
      continue;
    const RosterEntry *e = console_entry(app, s->badge);
    JsonObject *i = json_object_new();
    json_object_set_string_member(i, "badge", s->badge);
    json_object_set_string_member(i, "name", e ? e->name : s->badge);
    json_object_set_boolean_member(i, "connected", s->wsi != NULL);
    json_object_set_boolean_member(i, "mic", booth_mic_is_on(b, peer));
    json_array_add_object_element(interpreters, i);
  }
  const char *live = badge_of(app, booth_live_peer(b));
  const char *sim = live ? NULL : g_hash_table_lookup(app->sim_live, lang);
  if (sim) { /* the demo's tone: live, not seated, no badge */
    JsonObject *i = json_object_new();
    json_object_set_string_member(i, "badge", sim);
    json_object_set_string_member(i, "name", sim);
    json_object_set_boolean_member(i, "connected", TRUE);
    json_object_set_boolean_member(i, "mic", TRUE);
    json_object_set_boolean_member(i, "simulated", TRUE);
    json_array_add_object_element(interpreters, i);
    live = sim;
  }
  json_object_set_array_member(o, "interpreters", interpreters);
  json_text_set_string_or_null(o, "live", live);
  const char *input = booth_input(b);
  g_autofree char *source = strcmp(input, BOOTH_INPUT_FLOOR) == 0
                                ? g_strdup(input)
                                : g_strdup_printf("channel:%s", input);
  json_object_set_string_member(o, "input", source);
  json_object_set_string_member(o, "output", booth_output(b));
  JsonArray *outputs = json_array_new();
  const char *retour[BOOTH_MAX_RETOUR];
  const MeetingLanguage *ml = meeting_find_language(app->meeting, lang);
  json_array_add_string_element(outputs, lang);
  for (size_t i = 0, n = ml ? retour_of(app->meeting, ml, retour) : 0; i < n; i++)
    json_array_add_string_element(outputs, retour[i]);
  json_object_set_array_member(o, "outputs", outputs);
  json_object_set_boolean_member(o, "cough", booth_coughing(b));
  const char *from = badge_of(app, booth_handover_from(b));
  if (from) {
    JsonObject *h = json_object_new();
    json_object_set_string_member(h, "from", from);
    json_object_set_int_member(h, "timeout_ms", HANDOVER_TIMEOUT_MS);
    json_object_set_object_member(o, "handover", h);
  } else {
    json_object_set_null_member(o, "handover");
  }
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, app->peers);
  while (g_hash_table_iter_next(&it, NULL, &v))
    listeners += g_strcmp0(((WsConn *)v)->channel, lang) == 0;
  json_object_set_int_member(o, "listeners", listeners);
  return json_text_node(o);
}

static gboolean
want_booth(const WsConn *c, gconstpointer lang)
{
  return c->console &&
         ((c->roles & MEETING_ROLE_OPERATOR) || g_strcmp0(c->booth, lang) == 0);
}

static void
push_booth(SigApp *app, const Booth *b)
{
  console_broadcast(app, want_booth, booth_lang(b), booth_message(app, b));
}

void
console_push_booths_to(WsConn *c)
{
  for (guint i = 0; i < c->app->booths->len; i++)
    if (want_booth(c, booth_lang(c->app->booths->pdata[i])))
      ws_send_node(c, booth_message(c->app, c->app->booths->pdata[i]));
}

/* The relay follows the booth's live microphone. */
static void
tell_live(SigApp *app, WsConn *who, const Booth *b)
{
  g_autoptr(JsonObject) f = json_object_new();
  const char *live = booth_live_peer(b);
  json_object_set_string_member(f, "booth", booth_lang(b));
  json_object_set_string_member(f, "peer", live ? live : "");
  console_relay(app, who, "booth.live", f);
}

void
console_booths_tick(SigApp *app)
{
  uint64_t now = now_ms();
  for (guint i = 0; i < app->booths->len; i++) {
    Booth *b = app->booths->pdata[i];
    unsigned ev = booth_tick(b, now);
    if (ev & BOOTH_EV_HANDOVER_TIMEOUT)
      g_message("booth %s: handover request timed out", booth_lang(b));
    if (ev)
      push_booth(app, b);
  }
}

void
console_booth_joined(WsConn *c)
{
  SigApp *app = c->app;
  int i = booth_index(app, c->booth);
  if (i < 0)
    return;
  Booth *b = app->booths->pdata[i];
  int rc = booth_add_interpreter(b, c->peer);
  if (rc < 0) {
    g_warning("booth %s: interpreter %s not added (%d)", c->booth, c->badge, rc);
    return;
  }
  /* the second track monitors the booth's own channel: the partner */
  g_autoptr(JsonObject) f = json_object_new();
  g_autofree char *own = g_strdup_printf("channel:%s", booth_output(b));
  json_object_set_string_member(f, "peer", c->peer);
  json_object_set_string_member(f, "channel", own);
  console_relay(app, NULL, "listener.channel", f);
  push_booth(app, b);
}

void
console_booth_left(WsConn *c)
{
  SigApp *app = c->app;
  int i = booth_index(app, c->booth);
  if (i < 0 || !c->peer)
    return;
  Booth *b = app->booths->pdata[i];
  gboolean was_live = g_strcmp0(booth_live_peer(b), c->peer) == 0;
  if (booth_remove_interpreter(b, c->peer) < 0)
    return;
  if (was_live)
    tell_live(app, NULL, b); /* none: the channel carries the floor */
  push_booth(app, b);
}

/* The sender's booth, or NULL after an error (not an interpreter with a
 * seat in a booth). */
static Booth *
own_booth(WsConn *c)
{
  int i = booth_index(c->app, c->booth);
  Booth *b = i < 0 ? NULL : c->app->booths->pdata[i];
  if (!b || booth_slot_of(b, c->peer) < 0) {
    ws_send_error(c, "forbidden", "You are not in a booth.");
    return NULL;
  }
  return b;
}

static void
booth_error(WsConn *c, int rc)
{
  static const struct {
    int rc;
    const char *code, *text;
  } table[] = {
    {-EBUSY, "partner_live", "Your partner's microphone is on: ask for a handover."},
    {-EPERM, "forbidden", "Only the live interpreter can do that."},
    {-ENOTCONN, "conflict", "Your partner is not in the booth."},
    {-EINVAL, "conflict", "No microphone is live, or there is no such request."},
    {-ELOOP, "bad_request", "Booths would hear each other in a circle."},
    {-ENOENT, "forbidden", "You are not in this booth."},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
    if (table[i].rc == rc) {
      ws_send_error(c, table[i].code, table[i].text);
      return;
    }
  ws_send_error(c, "bad_request", "The booth refused the request.");
}

static void
handle_mic(WsConn *c, JsonObject *msg)
{
  Booth *b = own_booth(c);
  int on = b ? console_bool(c, msg, "on") : -1;
  if (on < 0)
    return;
  const char *before = booth_live_peer(b);
  gboolean changed = g_strcmp0(before, on ? c->peer : NULL) != 0;
  int rc = on ? booth_mic_on(b, c->peer) : booth_mic_off(b, c->peer);
  if (rc < 0 && !(rc == -EPERM && !on)) {
    booth_error(c, rc);
    return;
  }
  if (changed)
    tell_live(c->app, c, b);
  push_booth(c->app, b);
}

static void
handle_cough(WsConn *c, JsonObject *msg)
{
  Booth *b = own_booth(c);
  int held = b ? console_bool(c, msg, "held") : -1;
  int rc;
  if (held < 0)
    return;
  if ((rc = booth_cough(b, c->peer, held)) < 0) {
    booth_error(c, rc);
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "peer", c->peer);
  json_object_set_boolean_member(f, "on", held);
  console_relay(c->app, c, "booth.cough", f);
  push_booth(c->app, b);
}

static void
handle_handover(WsConn *c, JsonObject *msg)
{
  Booth *b = own_booth(c);
  const char *action = b ? console_string(c, msg, "action") : NULL;
  int rc;
  if (!action)
    return;
  const char *live_before = booth_live_peer(b);
  g_autofree char *before = g_strdup(live_before);
  if (strcmp(action, "request") == 0)
    rc = booth_handover_request(b, c->peer, now_ms());
  else if (strcmp(action, "accept") == 0)
    rc = booth_handover_accept(b, c->peer);
  else if (strcmp(action, "decline") == 0)
    rc = booth_handover_decline(b, c->peer);
  else if (strcmp(action, "cancel") == 0)
    rc = booth_handover_cancel(b, c->peer);
  else {
    ws_send_error(c, "bad_request", "'action' is request, accept, decline or cancel.");
    return;
  }
  if (rc < 0) {
    booth_error(c, rc);
    return;
  }
  if (g_strcmp0(before, booth_live_peer(b)) != 0)
    tell_live(c->app, c, b);
  push_booth(c->app, b);
}

static void
handle_input(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  Booth *b = own_booth(c);
  const char *source = b ? console_string(c, msg, "source") : NULL;
  int rc;
  if (!source)
    return;
  const char *input = g_str_has_prefix(source, "channel:") ? source + 8 : source;
  if (strcmp(input, BOOTH_INPUT_FLOOR) != 0 && booth_index(app, input) < 0) {
    ws_send_error(c, "bad_request", "'source' is floor or channel:<a booth's language>.");
    return;
  }
  if (strcmp(input, booth_output(b)) == 0) {
    ws_send_error(c, "bad_request", "A booth cannot work from its own channel.");
    return;
  }
  rc = booth_set_input((Booth *const *)app->booths->pdata, app->booths->len,
                       (size_t)booth_index(app, c->booth), input);
  if (rc < 0) {
    booth_error(c, rc);
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "booth", c->booth);
  json_object_set_string_member(f, "source", source);
  console_relay(app, c, "booth.input", f);
  push_booth(app, b);
}

static void
handle_output(WsConn *c, JsonObject *msg)
{
  SigApp *app = c->app;
  Booth *b = own_booth(c);
  const char *channel = b ? console_string(c, msg, "channel") : NULL;
  int rc;
  if (!channel)
    return;
  const char *lang = g_str_has_prefix(channel, "channel:") ? channel + 8 : channel;
  rc = booth_set_output((Booth *const *)app->booths->pdata, app->booths->len,
                        (size_t)booth_index(app, c->booth), lang);
  if (rc < 0) {
    if (rc == -EPERM)
      ws_send_error(c, "forbidden", "This booth may not work into that channel.");
    else
      booth_error(c, rc);
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  g_autofree char *product = g_strdup_printf("channel:%s", lang);
  json_object_set_string_member(f, "booth", c->booth);
  json_object_set_string_member(f, "channel", product);
  console_relay(app, c, "booth.output", f);
  push_booth(app, b);
}

/* The interpreter's second track: its own channel (the partner), another
 * booth's, or the floor. */
static void
handle_monitor(WsConn *c, JsonObject *msg)
{
  const char *product = own_booth(c) ? console_string(c, msg, "product") : NULL;
  if (!product)
    return;
  const char *lang = g_str_has_prefix(product, "channel:") ? product + 8 : NULL;
  if (strcmp(product, "floor") != 0 && (!lang || !meeting_has_booth(c->app->meeting, lang))) {
    ws_send_error(c, "bad_request", "'product' is floor or channel:<a booth's language>.");
    return;
  }
  g_autoptr(JsonObject) f = json_object_new();
  json_object_set_string_member(f, "peer", c->peer);
  json_object_set_string_member(f, "channel", product);
  console_relay(c->app, c, "listener.channel", f);
}

/* "Slow down" or a text line, to the chair and the operator. */
static void
handle_message(WsConn *c, JsonObject *msg)
{
  const char *kind = console_string(c, msg, "kind");
  if (!kind)
    return;
  const char *text = json_object_get_string_member_with_default(msg, "text", "");
  if (strcmp(kind, "slow_down") != 0 && strcmp(kind, "text") != 0) {
    ws_send_error(c, "bad_request", "'kind' is slow_down or text.");
    return;
  }
  if (strlen(text) > 500 || !g_utf8_validate(text, -1, NULL)) {
    ws_send_error(c, "bad_request", "'text' is at most 500 bytes of UTF-8.");
    return;
  }
  JsonObject *o = json_object_new();
  g_autofree char *at = attendance_wall_time_now();
  json_object_set_string_member(o, "type", "message");
  const RosterEntry *e = console_entry(c->app, c->badge);
  json_object_set_string_member(o, "from", c->badge);
  json_object_set_string_member(o, "name", e ? e->name : c->badge);
  json_text_set_string_or_null(o, "booth", c->booth);
  json_object_set_string_member(o, "kind", kind);
  json_object_set_string_member(o, "text", text);
  json_object_set_string_member(o, "at", at);
  console_broadcast(c->app, console_want_staff, NULL, json_text_node(o));
}

/* The relay's audio.state at each link-up: its booths' states (the demo's
 * simulated interpreters), and its channels against the meeting's booths —
 * a booth the relay has no channel for ([relay] languages, a file of its
 * own) would put its interpreters where nobody hears them; said in the log,
 * where a technician looks after a start. */
static void
relay_state_reply(JsonObject *reply, const GError *error, const char *remote_code,
                  gpointer user_data)
{
  SigApp *app = user_data;
  (void)remote_code;
  if (!reply) {
    g_warning("audio.state: %s (the meeting's booths not checked against the relay)",
              error->message);
    return;
  }
  JsonNode *bn = json_object_get_member(reply, "booths");
  JsonArray *states = bn && JSON_NODE_HOLDS_ARRAY(bn) ? json_node_get_array(bn) : NULL;
  for (guint k = 0; states && k < json_array_get_length(states); k++) {
    JsonNode *e = json_array_get_element(states, k);
    if (JSON_NODE_HOLDS_OBJECT(e))
      console_booths_relay_state(app, json_node_get_object(e));
  }
  JsonNode *pn = json_object_get_member(reply, "products");
  JsonArray *products = pn && JSON_NODE_HOLDS_ARRAY(pn) ? json_node_get_array(pn) : NULL;
  g_autoptr(GString) missing = g_string_new(NULL);
  guint booths = 0;
  for (guint i = 0; i < app->meeting->languages->len; i++) {
    const MeetingLanguage *l = app->meeting->languages->pdata[i];
    g_autofree char *want = g_strdup_printf("channel:%s", l->code);
    gboolean found = FALSE;
    if (!l->booth)
      continue;
    booths++;
    for (guint k = 0; products && k < json_array_get_length(products) && !found; k++) {
      JsonNode *e = json_array_get_element(products, k);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
      JsonNode *name = o ? json_object_get_member(o, "name") : NULL;
      found =
          name && JSON_NODE_HOLDS_VALUE(name) && g_strcmp0(json_node_get_string(name), want) == 0;
    }
    if (!found)
      g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", l->code);
  }
  if (missing->len)
    g_warning("meeting %s: the relay has no channel for booth(s) %s: add them to [relay] "
              "languages, or their interpreters are heard by nobody",
              app->meeting->id, missing->str);
  else
    g_message("meeting %s: the relay has a channel for each of its %u booth(s)", app->meeting->id,
              booths);
}

void
console_booths_relay_state(SigApp *app, JsonObject *state)
{
  JsonNode *bn = json_object_get_member(state, "booth");
  JsonNode *ln = json_object_get_member(state, "live");
  const char *lang = bn && JSON_NODE_HOLDS_VALUE(bn) ? json_node_get_string(bn) : NULL;
  const char *live = ln && JSON_NODE_HOLDS_VALUE(ln) ? json_node_get_string(ln) : NULL;
  if (!lang)
    return;
  gboolean sim = live && g_str_has_prefix(live, "sim-");
  const char *had = g_hash_table_lookup(app->sim_live, lang);
  if (sim ? g_strcmp0(had, live) == 0 : !had)
    return; /* nothing that signalling does not know already */
  if (sim)
    g_hash_table_replace(app->sim_live, g_strdup(lang), g_strdup(live));
  else
    g_hash_table_remove(app->sim_live, lang);
  int i = booth_index(app, lang);
  if (i >= 0)
    push_booth(app, app->booths->pdata[i]);
}

void
console_booths_check_relay(SigApp *app)
{
  g_autoptr(GError) error = NULL;
  if (!relay_client_request(app->relay, "audio.state", NULL, relay_state_reply, app, &error))
    g_warning("audio.state: %s", error->message);
}

static const ConsoleHandler handlers[] = {
  {"booth.mic", MEETING_ROLE_INTERPRETER, TRUE, handle_mic},
  {"booth.cough", MEETING_ROLE_INTERPRETER, TRUE, handle_cough},
  {"booth.handover", MEETING_ROLE_INTERPRETER, TRUE, handle_handover},
  {"booth.input", MEETING_ROLE_INTERPRETER, TRUE, handle_input},
  {"booth.output", MEETING_ROLE_INTERPRETER, TRUE, handle_output},
  {"booth.monitor", MEETING_ROLE_INTERPRETER, TRUE, handle_monitor},
  {"message", MEETING_ROLE_INTERPRETER, FALSE, handle_message},
};

const ConsoleHandler *
console_booth_handler(const char *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++)
    if (strcmp(handlers[i].type, type) == 0)
      return &handlers[i];
  return NULL;
}
