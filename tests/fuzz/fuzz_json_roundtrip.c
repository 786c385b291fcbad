/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the strict JSON reader and writer (common/json_text.c).
 * 1. What the reader accepts, json-glib accepts too and reads the same (we
 *    are a strict subset); the writer writes it so that it reads back equal
 *    and writes back identical.
 * 2. The input as a string inside control-link messages: whatever the
 *    builders write, ctl_parse accepts, with the string intact. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "control.h"
#include "json_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      __builtin_trap();                                                                            \
  } while (0)

static gboolean same_node(JsonNode *a, JsonNode *b);

/* json_node_equal, except that doubles may differ in the last bits: json-glib
 * 1.6.6 reads some decimals one ulp off (2.2250738585072011e-308). */
static gboolean
same_value(JsonNode *a, JsonNode *b)
{
  GType ta = json_node_get_value_type(a), tb = json_node_get_value_type(b);
  if (ta != tb)
    return FALSE;
  if (ta == G_TYPE_DOUBLE) {
    double x = json_node_get_double(a), y = json_node_get_double(b);
    return x == y || fabs(x - y) <= 1e-15 * fmax(fabs(x), fabs(y));
  }
  return json_node_equal(a, b);
}

static gboolean
same_node(JsonNode *a, JsonNode *b)
{
  if (json_node_get_node_type(a) != json_node_get_node_type(b))
    return FALSE;
  switch (json_node_get_node_type(a)) {
  case JSON_NODE_OBJECT: {
    JsonObject *oa = json_node_get_object(a), *ob = json_node_get_object(b);
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;
    if (json_object_get_size(oa) != json_object_get_size(ob))
      return FALSE;
    json_object_iter_init(&iter, oa);
    while (json_object_iter_next(&iter, &name, &member))
      if (!json_object_has_member(ob, name) || !same_node(member, json_object_get_member(ob, name)))
        return FALSE;
    return TRUE;
  }
  case JSON_NODE_ARRAY: {
    JsonArray *aa = json_node_get_array(a), *ab = json_node_get_array(b);
    guint n = json_array_get_length(aa);
    if (json_array_get_length(ab) != n)
      return FALSE;
    for (guint i = 0; i < n; i++)
      if (!same_node(json_array_get_element(aa, i), json_array_get_element(ab, i)))
        return FALSE;
    return TRUE;
  }
  case JSON_NODE_VALUE:
    return same_value(a, b);
  default:
    return TRUE;
  }
}

static void
reader_round_trip(const uint8_t *data, size_t size)
{
  JsonObject *obj = NULL, *back = NULL;
  char *detail = NULL;
  int rc = json_text_parse_object((const char *)data, size, &obj, &detail);

  if (rc != 0) {
    CHECK(rc == -EINVAL || rc == -EILSEQ || rc == -ERANGE);
    CHECK(obj == NULL && detail != NULL && detail[0] != '\0');
    g_free(detail);
    return;
  }
  CHECK(obj != NULL && detail == NULL);
  JsonNode *node = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(node, obj);

  /* json-glib reads it the same (it must: strict JSON is a subset of its) */
  JsonParser *parser = json_parser_new();
  CHECK(json_parser_load_from_data(parser, (const char *)data, (gssize)size, NULL));
  CHECK(same_node(node, json_parser_get_root(parser)));
  g_object_unref(parser);

  /* written, read back equal; written again, identical */
  char *text = json_text_write(node);
  CHECK(g_utf8_validate(text, -1, NULL));
  for (const char *p = text; *p; p++)
    CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
  rc = json_text_parse_object(text, strlen(text), &back, &detail);
  CHECK(rc == 0);
  JsonNode *back_node = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(back_node, back);
  CHECK(json_node_equal(node, back_node));
  char *again = json_text_write(back_node);
  CHECK(strcmp(text, again) == 0);

  g_free(again);
  g_free(text);
  json_node_unref(back_node);
  json_node_unref(node);
}

/* ctl_parse accepts @line; returns the message's string @field (transfer full). */
static char *
parse_line(char *line, gint64 want_id, const char *field)
{
  CtlMessage msg;
  char *detail = NULL;
  size_t len = strlen(line);
  int rc = ctl_parse(line, len, &msg, &detail);
  char *value = NULL;

  if (len > CTL_MAX_LINE) {
    CHECK(rc == CTL_ETOOLONG);
  } else {
    CHECK(rc == CTL_OK);
    CHECK(msg.id == want_id);
    value = g_strdup(ctl_get_string(&msg, field));
    CHECK(value != NULL);
  }
  ctl_message_clear(&msg);
  g_free(detail);
  g_free(line);
  return value;
}

static void
builders_accept(const uint8_t *data, size_t size)
{
  /* a C string ends at the first NUL; JSON strings must be UTF-8 */
  char *s = g_strndup((const char *)data, size);
  gboolean valid = g_utf8_validate(s, -1, NULL);
  JsonObject *extra = json_object_new();
  char *got;

  json_object_set_string_member(extra, "reason", s);
  got = parse_line(ctl_build_event("peer.lost", "p-1", extra), -1, "reason");
  CHECK(got == NULL || !valid || strcmp(got, s) == 0);
  g_free(got);
  json_object_unref(extra);

  extra = json_object_new();
  if (s[0] != '\0') {
    json_object_set_string_member(extra, "peer", "p-1");
    json_object_set_string_member(extra, "offer", s);
    got = parse_line(ctl_build_request((gint64)size, "peer.update", extra), (gint64)size, "offer");
  } else {
    json_object_set_string_member(extra, "x", s);
    got = parse_line(ctl_build_request((gint64)size, "ping", extra), (gint64)size, "x");
  }
  CHECK(got == NULL || !valid || strcmp(got, s) == 0);
  g_free(got);
  json_object_unref(extra);

  got = parse_line(ctl_build_reply_error(7, "bad_sdp", s), 7, "message");
  CHECK(got == NULL || !valid || strcmp(got, s) == 0);
  g_free(got);
  g_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  reader_round_trip(data, size);
  builders_accept(data, size);
  return 0;
}
