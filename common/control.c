/* SPDX-License-Identifier: Apache-2.0 */
#include "control.h"

#include <string.h>

#include "json_text.h"

typedef enum { F_STRING, F_INT, F_BOOL, F_STRING_ARRAY, F_NUMBER, F_OBJECT_ARRAY } FieldType;
typedef gboolean (*FieldCheck)(JsonNode *node);

typedef struct {
  const char *name;
  FieldType type;
  gboolean required;
  FieldCheck check;
} FieldSpec;

typedef struct {
  const char *name;
  const FieldSpec *fields;
} MessageSpec;

static gboolean
check_peer_id(JsonNode *node)
{
  const char *s = json_node_get_string(node);
  size_t n = strlen(s);
  if (n == 0 || n > 64)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
check_short_text(JsonNode *node)
{
  size_t n = strlen(json_node_get_string(node));
  return n > 0 && n <= 64;
}

static gboolean
check_role(JsonNode *node)
{
  static const char *const roles[] = {"delegate", "interpreter", "operator", "chair"};
  const char *s = json_node_get_string(node);
  for (size_t i = 0; i < G_N_ELEMENTS(roles); i++)
    if (strcmp(s, roles[i]) == 0)
      return TRUE;
  return FALSE;
}

/* "floor" always; at most one "channel" and one "mic" besides. */
static gboolean
check_tracks(JsonNode *node)
{
  static const char *const names[] = {"floor", "channel", "mic"};
  JsonArray *a = json_node_get_array(node);
  guint n = json_array_get_length(a), seen = 0;
  if (n == 0 || n > G_N_ELEMENTS(names))
    return FALSE;
  for (guint i = 0; i < n; i++) {
    const char *t = json_array_get_string_element(a, i);
    guint k = 0;
    while (k < G_N_ELEMENTS(names) && strcmp(t, names[k]) != 0)
      k++;
    if (k == G_N_ELEMENTS(names) || (seen & (1u << k)))
      return FALSE;
    seen |= 1u << k;
  }
  return (seen & 1u) != 0;
}

static gboolean
check_sdp(JsonNode *node)
{
  size_t n = strlen(json_node_get_string(node));
  return n > 0 && n < CTL_MAX_LINE;
}

/* A language code as in [relay] languages: 2-8 of [a-z-]. */
static gboolean
check_language(JsonNode *node)
{
  const char *s = json_node_get_string(node);
  size_t n = strlen(s);
  if (n < 2 || n > 8)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_islower(s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

/* "floor", "none" or "channel:<language>". */
static gboolean
check_product(JsonNode *node)
{
  const char *s = json_node_get_string(node);
  if (strcmp(s, "floor") == 0 || strcmp(s, "none") == 0)
    return TRUE;
  if (strncmp(s, "channel:", 8) != 0)
    return FALSE;
  g_autoptr(JsonNode) lang = json_node_new(JSON_NODE_VALUE);
  json_node_set_string(lang, s + 8);
  return check_language(lang);
}

/* A peer id, or "" for none. */
static gboolean
check_peer_or_none(JsonNode *node)
{
  return json_node_get_string(node)[0] == '\0' || check_peer_id(node);
}

/* A name that is also a folder name: 1-64 of [A-Za-z0-9._-], not "." first. */
static gboolean
check_file_name(JsonNode *node)
{
  return check_peer_id(node) && json_node_get_string(node)[0] != '.';
}

static gboolean
check_venue_state(JsonNode *node)
{
  const char *s = json_node_get_string(node);
  return strcmp(s, "up") == 0 || strcmp(s, "lost") == 0;
}

static gboolean
check_recording_state(JsonNode *node)
{
  static const char *const states[] = {"idle", "recording", "error"};
  const char *s = json_node_get_string(node);
  for (size_t i = 0; i < G_N_ELEMENTS(states); i++)
    if (strcmp(s, states[i]) == 0)
      return TRUE;
  return FALSE;
}

static const FieldSpec agenda_item_fields[] = {
  {"meeting", F_STRING, TRUE, check_file_name},
  /* null or absent: no live session / no item; recording stops */
  {"session", F_STRING, FALSE, check_file_name},
  {"item", F_STRING, FALSE, check_file_name},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec venue_state_fields[] = {
  {"state", F_STRING, TRUE, check_venue_state},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec recording_state_fields[] = {
  {"state", F_STRING, TRUE, check_recording_state},
  {"reason", F_STRING, FALSE, NULL},
  {"meeting", F_STRING, FALSE, check_file_name},
  {"session", F_STRING, FALSE, check_file_name},
  {"item", F_STRING, FALSE, check_file_name},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec peer_add_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {"participant", F_STRING, TRUE, check_short_text},
  {"role", F_STRING, TRUE, check_role},
  {"tracks", F_STRING_ARRAY, TRUE, check_tracks},
  {"offer", F_STRING, TRUE, check_sdp},
  {"booth", F_STRING, FALSE, check_language},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec booth_live_fields[] = {
  {"booth", F_STRING, TRUE, check_language},
  {"peer", F_STRING, TRUE, check_peer_or_none},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec peer_on_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {"on", F_BOOL, TRUE, NULL},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec booth_input_fields[] = {
  {"booth", F_STRING, TRUE, check_language},
  {"source", F_STRING, TRUE, check_product},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec booth_output_fields[] = {
  {"booth", F_STRING, TRUE, check_language},
  {"channel", F_STRING, TRUE, check_product},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec listener_channel_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {"channel", F_STRING, TRUE, check_product},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec peer_update_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {"offer", F_STRING, TRUE, check_sdp},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec peer_only_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec no_fields[] = {
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec peer_event_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {"participant", F_STRING, FALSE, NULL},
  {"srtp_profile", F_STRING, FALSE, NULL},
  {"reason", F_STRING, FALSE, NULL},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec present_event_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {"participant", F_STRING, TRUE, check_short_text},
  {"role", F_STRING, TRUE, check_role},
  {"state", F_STRING, TRUE, NULL},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec stats_event_fields[] = {
  {"peer", F_STRING, TRUE, check_peer_id},
  {"participant", F_STRING, FALSE, NULL},
  {"packets_sent", F_INT, TRUE, NULL},
  {"rtcp_received", F_INT, TRUE, NULL},
  {"bad_received", F_INT, TRUE, NULL},
  {"fraction_lost", F_INT, TRUE, NULL},
  {"cumulative_lost", F_INT, TRUE, NULL},
  {"jitter_ms", F_INT, TRUE, NULL},
  {"rtt_ms", F_INT, TRUE, NULL},
  {"mic_packets", F_INT, FALSE, NULL},
  {"mic_level_dbov", F_INT, FALSE, NULL},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec level_event_fields[] = {
  {"product", F_STRING, FALSE, NULL},
  {"peer", F_STRING, FALSE, check_peer_id},
  {"dbfs", F_NUMBER, TRUE, NULL},
  {"peak_dbfs", F_NUMBER, TRUE, NULL},
  {"limiting", F_BOOL, TRUE, NULL},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec booth_state_fields[] = {
  {"booth", F_STRING, TRUE, check_language},
  {"live", F_STRING, TRUE, NULL},
  {"cough", F_BOOL, TRUE, NULL},
  {"input", F_STRING, TRUE, NULL},
  {"output", F_STRING, TRUE, NULL},
  {NULL, 0, FALSE, NULL},
};
static const FieldSpec reply_fields[] = {
  {"answer", F_STRING, FALSE, NULL},
  {"error", F_STRING, FALSE, NULL},
  {"message", F_STRING, FALSE, NULL},
  {"count", F_INT, FALSE, NULL},
  {"product", F_STRING, FALSE, NULL},
  {"products", F_OBJECT_ARRAY, FALSE, NULL},
  {"venue", F_STRING, FALSE, NULL},
  {"recording", F_STRING, FALSE, NULL},
  {NULL, 0, FALSE, NULL},
};

static const MessageSpec requests[] = {
  {"peer.add", peer_add_fields},
  {"peer.update", peer_update_fields},
  {"peer.remove", peer_only_fields},
  {"peer.list", no_fields},
  {"ping", no_fields},
  {"floor.grant", peer_only_fields},
  {"floor.revoke", peer_only_fields},
  {"booth.live", booth_live_fields},
  {"booth.cough", peer_on_fields},
  {"booth.input", booth_input_fields},
  {"booth.output", booth_output_fields},
  {"listener.channel", listener_channel_fields},
  {"listener.lowbw", peer_on_fields},
  {"audio.state", no_fields},
  {"agenda.item", agenda_item_fields},
};
static const MessageSpec events[] = {
  {"peer.connected", peer_event_fields},
  {"peer.lost", peer_event_fields},
  {"peer.present", present_event_fields},
  {"stats", stats_event_fields},
  {"level", level_event_fields},
  {"booth.state", booth_state_fields},
  {"venue.state", venue_state_fields},
  {"recording.state", recording_state_fields},
};

static const struct {
  int code;
  const char *name;
} error_names[] = {
  {CTL_EBADJSON, "bad_json"},       {CTL_EBADVERSION, "bad_version"},
  {CTL_EBADREQUEST, "bad_request"}, {CTL_EUNKNOWNTYPE, "unknown_type"},
  {CTL_ETOOLONG, "too_long"},
};

const char *
ctl_error_name(int code)
{
  for (size_t i = 0; i < G_N_ELEMENTS(error_names); i++)
    if (error_names[i].code == code)
      return error_names[i].name;
  return "internal";
}

static gboolean
node_has_type(JsonNode *node, FieldType type)
{
  if (JSON_NODE_HOLDS_ARRAY(node) && type == F_STRING_ARRAY) {
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *e = json_array_get_element(a, i);
      if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
        return FALSE;
    }
    return TRUE;
  }
  if (JSON_NODE_HOLDS_ARRAY(node) && type == F_OBJECT_ARRAY) {
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++)
      if (!JSON_NODE_HOLDS_OBJECT(json_array_get_element(a, i)))
        return FALSE;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(node))
    return FALSE;
  GType t = json_node_get_value_type(node);
  switch (type) {
  case F_STRING:
    return t == G_TYPE_STRING;
  case F_INT:
    return t == G_TYPE_INT64;
  case F_NUMBER:
    return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
  case F_BOOL:
    return t == G_TYPE_BOOLEAN;
  default:
    return FALSE;
  }
}

static int
check_fields(JsonObject *obj, const FieldSpec *fields, char **detail)
{
  for (const FieldSpec *f = fields; f->name; f++) {
    JsonNode *node = json_object_get_member(obj, f->name);
    if (!node || JSON_NODE_HOLDS_NULL(node)) {
      if (f->required) {
        if (detail)
          *detail = g_strdup_printf("missing field '%s'", f->name);
        return CTL_EBADREQUEST;
      }
      continue;
    }
    if (!node_has_type(node, f->type) || (f->check && !f->check(node))) {
      if (detail)
        *detail = g_strdup_printf("field '%s' has a wrong type or value", f->name);
      return CTL_EBADREQUEST;
    }
  }
  return CTL_OK;
}

static const MessageSpec *
find_spec(const MessageSpec *table, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

static int
fail(int code, char **detail, const char *text)
{
  if (detail && !*detail)
    *detail = g_strdup(text);
  return code;
}

static gint64
read_id(JsonObject *obj)
{
  JsonNode *n = json_object_get_member(obj, "id");
  if (!n || !node_has_type(n, F_INT))
    return -1;
  gint64 id = json_node_get_int(n);
  return id < 0 ? -1 : id;
}

static int
parse_kind(JsonObject *obj, CtlMessage *out, char **detail)
{
  JsonNode *type = json_object_get_member(obj, "type");
  JsonNode *event = json_object_get_member(obj, "event");
  JsonNode *ok = json_object_get_member(obj, "ok");
  const MessageSpec *spec;

  if (type) {
    out->kind = CTL_KIND_REQUEST;
    if (out->id < 0)
      return fail(CTL_EBADREQUEST, detail, "missing or negative 'id'");
    if (!node_has_type(type, F_STRING))
      return fail(CTL_EBADREQUEST, detail, "'type' is not a string");
    out->name = json_node_get_string(type);
    spec = find_spec(requests, G_N_ELEMENTS(requests), out->name);
    if (!spec)
      return fail(CTL_EUNKNOWNTYPE, detail, "unknown request type");
    return check_fields(obj, spec->fields, detail);
  }
  if (event) {
    out->kind = CTL_KIND_EVENT;
    if (!node_has_type(event, F_STRING))
      return fail(CTL_EBADREQUEST, detail, "'event' is not a string");
    out->name = json_node_get_string(event);
    spec = find_spec(events, G_N_ELEMENTS(events), out->name);
    if (!spec)
      return fail(CTL_EUNKNOWNTYPE, detail, "unknown event");
    return check_fields(obj, spec->fields, detail);
  }
  if (ok) {
    out->kind = CTL_KIND_REPLY;
    if (!node_has_type(ok, F_BOOL))
      return fail(CTL_EBADREQUEST, detail, "'ok' is not a boolean");
    out->ok = json_node_get_boolean(ok);
    int rc = check_fields(obj, reply_fields, detail);
    JsonNode *code = json_object_get_member(obj, "error");
    if (rc == CTL_OK && !out->ok && (!code || !node_has_type(code, F_STRING)))
      return fail(CTL_EBADREQUEST, detail, "error reply without an 'error' code");
    return rc;
  }
  return fail(CTL_EBADREQUEST, detail, "message has no 'type', 'event' or 'ok'");
}

int
ctl_parse(const char *line, gsize len, CtlMessage *out, char **detail)
{
  JsonNode *v;
  int rc;

  memset(out, 0, sizeof *out);
  out->id = -1;
  if (detail)
    *detail = NULL;
  if (len > 0 && line[len - 1] == '\n')
    len--;
  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (len >= CTL_MAX_LINE) /* the limit counts the newline */
    return fail(CTL_ETOOLONG, detail, "line longer than 65536 bytes");
  /* strict JSON only (json_text.h): json-glib's own parser is lenient */
  if (json_text_parse_object(line, len, &out->obj, detail) < 0)
    return fail(CTL_EBADJSON, detail, "not strict JSON");
  json_object_seal(out->obj); /* read-only, as json_parser_new_immutable() gave */
  out->id = read_id(out->obj);

  v = json_object_get_member(out->obj, "v");
  if (!v || !node_has_type(v, F_INT) || json_node_get_int(v) != CTL_VERSION) {
    rc = fail(CTL_EBADVERSION, detail, "'v' must be 1");
    goto fail;
  }
  rc = parse_kind(out->obj, out, detail);
  if (rc != CTL_OK)
    goto fail;
  return CTL_OK;

fail:
  {
    gint64 id = out->id;
    ctl_message_clear(out);
    out->id = id;
  }
  return rc;
}

void
ctl_message_clear(CtlMessage *msg)
{
  if (msg->obj)
    json_object_unref(msg->obj);
  memset(msg, 0, sizeof *msg);
  msg->id = -1;
}

const char *
ctl_get_string(const CtlMessage *msg, const char *field)
{
  JsonNode *n = msg->obj ? json_object_get_member(msg->obj, field) : NULL;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static void
copy_member(JsonObject *src, const char *name, JsonNode *node, gpointer dest)
{
  json_object_set_member(dest, name, json_node_copy(node));
}

static char *
finish(JsonObject *obj, JsonObject *extra)
{
  g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
  if (extra)
    json_object_foreach_member(extra, copy_member, obj);
  json_node_take_object(root, obj);
  g_autofree char *text = json_text_write(root); /* escapes what json-glib leaves raw */
  return g_strconcat(text, "\n", NULL);
}

static JsonObject *
base_object(void)
{
  JsonObject *obj = json_object_new();
  json_object_set_int_member(obj, "v", CTL_VERSION);
  return obj;
}

char *
ctl_build_request(gint64 id, const char *type, JsonObject *extra)
{
  JsonObject *obj = base_object();
  json_object_set_int_member(obj, "id", id);
  json_object_set_string_member(obj, "type", type);
  return finish(obj, extra);
}

char *
ctl_build_reply_ok(gint64 id, JsonObject *extra)
{
  JsonObject *obj = base_object();
  json_object_set_int_member(obj, "id", id);
  json_object_set_boolean_member(obj, "ok", TRUE);
  return finish(obj, extra);
}

char *
ctl_build_reply_error(gint64 id, const char *code, const char *message)
{
  JsonObject *obj = base_object();
  if (id >= 0)
    json_object_set_int_member(obj, "id", id);
  else
    json_object_set_null_member(obj, "id");
  json_object_set_boolean_member(obj, "ok", FALSE);
  json_object_set_string_member(obj, "error", code);
  json_object_set_string_member(obj, "message", message ? message : code);
  return finish(obj, NULL);
}

char *
ctl_build_event(const char *event, const char *peer, JsonObject *extra)
{
  JsonObject *obj = base_object();
  json_object_set_string_member(obj, "event", event);
  if (peer) /* level and booth.state events of a product or a booth have none */
    json_object_set_string_member(obj, "peer", peer);
  return finish(obj, extra);
}
