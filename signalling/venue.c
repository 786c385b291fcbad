/* SPDX-License-Identifier: Apache-2.0 */
#include "venue.h"

#include <string.h>

static void
item_free(gpointer data)
{
  VenueItem *it = data;
  g_free(it->id);
  g_free(it->title);
  g_free(it);
}

void
venue_free(Venue *v)
{
  if (!v)
    return;
  g_free(v->meeting);
  g_free(v->title);
  g_free(v->dates);
  g_free(v->location);
  g_strfreev(v->languages);
  if (v->agenda)
    g_ptr_array_free(v->agenda, TRUE);
  g_free(v->current_item);
  g_free(v);
}

/* Borrowed string member, or NULL if absent, null, empty or not a string. */
static const char *
get_str(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  const char *s = json_node_get_string(n);
  return *s ? s : NULL;
}

static int
bad(char **detail, char *msg)
{
  if (detail)
    *detail = msg;
  else
    g_free(msg);
  return VENUE_EINVAL;
}

static int
parse_languages(JsonObject *o, Venue *v, char **detail)
{
  JsonNode *n = json_object_get_member(o, "languages");
  if (!n || !JSON_NODE_HOLDS_ARRAY(n))
    return bad(detail, g_strdup("venue: 'languages' must be an array of strings"));
  JsonArray *a = json_node_get_array(n);
  guint len = json_array_get_length(a);
  if (len == 0)
    return bad(detail, g_strdup("venue: 'languages' is empty"));
  v->languages = g_new0(char *, len + 1);
  for (guint i = 0; i < len; i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING ||
        strlen(json_node_get_string(e)) < 2 || strlen(json_node_get_string(e)) > 3)
      return bad(detail, g_strdup_printf("venue: languages[%u] is not a language code", i));
    v->languages[i] = g_strdup(json_node_get_string(e));
  }
  return VENUE_OK;
}

static int
parse_agenda(JsonObject *o, Venue *v, char **detail)
{
  JsonNode *n = json_object_get_member(o, "agenda");
  if (!n || !JSON_NODE_HOLDS_ARRAY(n))
    return bad(detail, g_strdup("venue: 'agenda' must be an array of {id, title}"));
  JsonArray *a = json_node_get_array(n);
  guint len = json_array_get_length(a);
  if (len == 0)
    return bad(detail, g_strdup("venue: 'agenda' is empty"));
  v->agenda = g_ptr_array_new_with_free_func(item_free);
  for (guint i = 0; i < len; i++) {
    JsonNode *e = json_array_get_element(a, i);
    JsonObject *eo = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
    const char *id = eo ? get_str(eo, "id") : NULL;
    const char *title = eo ? get_str(eo, "title") : NULL;
    if (!id || !title)
      return bad(detail, g_strdup_printf("venue: agenda[%u] needs a string 'id' and 'title'", i));
    if (venue_find_item(v, id))
      return bad(detail, g_strdup_printf("venue: agenda[%u]: duplicate id '%s'", i, id));
    VenueItem *it = g_new0(VenueItem, 1);
    it->id = g_strdup(id);
    it->title = g_strdup(title);
    g_ptr_array_add(v->agenda, it);
  }
  return VENUE_OK;
}

int
venue_parse(const char *data, gsize len, Venue **out, char **detail)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = NULL;
  g_autoptr(Venue) v = g_new0(Venue, 1);
  JsonObject *o;
  const char *s;
  int rc;

  *out = NULL;
  if (detail)
    *detail = NULL;
  if (!json_parser_load_from_data(parser, data, (gssize)len, &error))
    return bad(detail, g_strdup_printf("venue: bad JSON: %s", error->message));
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root))
    return bad(detail, g_strdup("venue: top level must be a JSON object"));
  o = json_node_get_object(root);
  if (!(s = get_str(o, "meeting")))
    return bad(detail, g_strdup("venue: 'meeting' (string) is missing"));
  v->meeting = g_strdup(s);
  v->title = g_strdup(get_str(o, "title") ? get_str(o, "title") : v->meeting);
  v->dates = g_strdup(get_str(o, "dates") ? get_str(o, "dates") : "");
  v->location = g_strdup(get_str(o, "location") ? get_str(o, "location") : "");
  if ((rc = parse_languages(o, v, detail)) < 0 || (rc = parse_agenda(o, v, detail)) < 0)
    return rc;
  s = get_str(o, "current_item");
  if (!s)
    s = ((VenueItem *)v->agenda->pdata[0])->id;
  if (!venue_find_item(v, s))
    return bad(detail, g_strdup_printf("venue: current_item '%s' is not in the agenda", s));
  v->current_item = g_strdup(s);
  *out = g_steal_pointer(&v);
  return VENUE_OK;
}

int
venue_load_file(const char *path, Venue **out, char **detail)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  *out = NULL;
  if (!g_file_get_contents(path, &text, &len, &error)) {
    if (detail)
      *detail = g_strdup(error->message);
    return VENUE_EIO;
  }
  int rc = venue_parse(text, len, out, detail);
  if (rc < 0 && detail && *detail) {
    char *with_path = g_strdup_printf("%s: %s", path, *detail);
    g_free(*detail);
    *detail = with_path;
  }
  return rc;
}

const VenueItem *
venue_find_item(const Venue *venue, const char *id)
{
  if (!venue->agenda || !id)
    return NULL;
  for (guint i = 0; i < venue->agenda->len; i++) {
    const VenueItem *it = venue->agenda->pdata[i];
    if (strcmp(it->id, id) == 0)
      return it;
  }
  return NULL;
}

const VenueItem *
venue_current(const Venue *venue)
{
  return venue_find_item(venue, venue->current_item);
}

int
venue_set_current(Venue *venue, const char *id)
{
  if (!venue_find_item(venue, id))
    return VENUE_ENOENT;
  g_free(venue->current_item);
  venue->current_item = g_strdup(id);
  return VENUE_OK;
}

JsonNode *
venue_item_to_json(const VenueItem *item)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "id", item->id);
  json_object_set_string_member(o, "title", item->title);
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

JsonNode *
venue_to_json(const Venue *venue)
{
  JsonObject *o = json_object_new();
  JsonArray *langs = json_array_new();
  JsonArray *agenda = json_array_new();

  json_object_set_string_member(o, "meeting", venue->meeting);
  json_object_set_string_member(o, "title", venue->title);
  json_object_set_string_member(o, "dates", venue->dates);
  json_object_set_string_member(o, "location", venue->location);
  for (char **l = venue->languages; *l; l++)
    json_array_add_string_element(langs, *l);
  json_object_set_array_member(o, "languages", langs);
  for (guint i = 0; i < venue->agenda->len; i++)
    json_array_add_element(agenda, venue_item_to_json(venue->agenda->pdata[i]));
  json_object_set_array_member(o, "agenda", agenda);
  json_object_set_member(o, "current_item", venue_item_to_json(venue_current(venue)));
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}
