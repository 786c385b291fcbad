/* SPDX-License-Identifier: Apache-2.0 */
#include "json_text.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at @s (at most @len bytes), 0 if
 * there is none: no overlong forms, no surrogates, nothing above U+10FFFF
 * (RFC 3629). Stores the code point in *@cp. The reader and the writer share
 * it, so whatever the writer copies raw the reader accepts. */
static gsize
utf8_sequence(const guchar *s, gsize len, gunichar *cp)
{
  guchar c = s[0];
  gsize n;
  guchar lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    *cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    *cp = c & 0x0f;
    if (c == 0xe0)
      lo = 0xa0;
    else if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    *cp = c & 0x07;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f;
  } else {
    return 0;
  }
  if (len < n || s[1] < lo || s[1] > hi)
    return 0;
  for (gsize i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    *cp = (*cp << 6) | (s[i] & 0x3f);
  }
  return n;
}

/* ---- writer ---- */

static void
write_string(GString *out, const char *str)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *s = (const guchar *)str;
  gsize len = strlen(str), i = 0;

  g_string_append_c(out, '"');
  while (i < len) {
    gsize run = i;
    while (run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
      run++;
    g_string_append_len(out, str + i, (gssize)(run - i));
    if ((i = run) == len)
      break;

    guchar c = s[i];
    gunichar cp;
    gsize n;
    switch (c) {
    case '"':
      g_string_append(out, "\\\"");
      break;
    case '\\':
      g_string_append(out, "\\\\");
      break;
    case '\b':
      g_string_append(out, "\\b");
      break;
    case '\t':
      g_string_append(out, "\\t");
      break;
    case '\n':
      g_string_append(out, "\\n");
      break;
    case '\f':
      g_string_append(out, "\\f");
      break;
    case '\r':
      g_string_append(out, "\\r");
      break;
    default:
      if (c < 0x80) { /* other C0 controls and DEL */
        g_string_append(out, "\\u00");
        g_string_append_c(out, hex[c >> 4]);
        g_string_append_c(out, hex[c & 0xf]);
        break;
      }
      n = utf8_sequence(s + i, len - i, &cp);
      if (n == 0)
        g_string_append(out, "\\ufffd");
      else if (cp == 0x2028 || cp == 0x2029)
        g_string_append(out, cp == 0x2028 ? "\\u2028" : "\\u2029");
      else
        g_string_append_len(out, str + i, (gssize)n);
      i += n ? n : 1;
      continue;
    }
    i++;
  }
  g_string_append_c(out, '"');
}

static void
write_double(GString *out, double d)
{
  static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite(d)) {
    g_string_append(out, "null");
    return;
  }
  for (size_t k = 0; k < G_N_ELEMENTS(formats); k++) {
    g_ascii_formatd(buf, sizeof buf, formats[k], d);
    if (g_ascii_strtod(buf, NULL) == d)
      break;
  }
  g_string_append(out, buf);
  if (!strpbrk(buf, ".e"))
    g_string_append(out, ".0");
}

static void write_node(GString *out, JsonNode *node);

static void
write_object(GString *out, JsonObject *obj)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gboolean first = TRUE;

  g_string_append_c(out, '{');
  json_object_iter_init_ordered(&iter, obj);
  while (json_object_iter_next_ordered(&iter, &name, &member)) {
    if (!first)
      g_string_append_c(out, ',');
    first = FALSE;
    write_string(out, name);
    g_string_append_c(out, ':');
    write_node(out, member);
  }
  g_string_append_c(out, '}');
}

static void
write_array(GString *out, JsonArray *array)
{
  guint n = json_array_get_length(array);

  g_string_append_c(out, '[');
  for (guint i = 0; i < n; i++) {
    if (i > 0)
      g_string_append_c(out, ',');
    write_node(out, json_array_get_element(array, i));
  }
  g_string_append_c(out, ']');
}

static void
write_value(GString *out, JsonNode *node)
{
  GType type = json_node_get_value_type(node);

  if (type == G_TYPE_INT64)
    g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
  else if (type == G_TYPE_DOUBLE)
    write_double(out, json_node_get_double(node));
  else if (type == G_TYPE_BOOLEAN)
    g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
  else if (type == G_TYPE_STRING && json_node_get_string(node))
    write_string(out, json_node_get_string(node));
  else
    g_string_append(out, "null");
}

static void
write_node(GString *out, JsonNode *node)
{
  switch (node ? json_node_get_node_type(node) : JSON_NODE_NULL) {
  case JSON_NODE_OBJECT:
    if (json_node_get_object(node))
      write_object(out, json_node_get_object(node));
    else
      g_string_append(out, "null");
    break;
  case JSON_NODE_ARRAY:
    if (json_node_get_array(node))
      write_array(out, json_node_get_array(node));
    else
      g_string_append(out, "null");
    break;
  case JSON_NODE_VALUE:
    write_value(out, node);
    break;
  case JSON_NODE_NULL:
  default:
    g_string_append(out, "null");
    break;
  }
}

char *
json_text_write(JsonNode *node)
{
  g_return_val_if_fail(node != NULL, NULL);
  GString *out = g_string_sized_new(256);
  write_node(out, node);
  return g_string_free(out, FALSE);
}

/* ---- reader ---- */

typedef struct {
  const guchar *s;
  gsize len;
  gsize pos;
  int depth;
  int code;
  char *detail;
} Reader;

/* Records the first error; returns FALSE. */
static gboolean
reader_fail(Reader *r, int code, const char *what)
{
  if (r->code == 0) {
    r->code = code;
    r->detail = g_strdup_printf("%s at byte %" G_GSIZE_FORMAT, what, r->pos);
  }
  return FALSE;
}

static void
skip_space(Reader *r)
{
  while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' || r->s[r->pos] == '\n' ||
                             r->s[r->pos] == '\r'))
    r->pos++;
}

static int
hex_digit(guchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads the four hex digits of a \u escape at r->pos; -1 if malformed. */
static gint32
read_hex4(Reader *r)
{
  gint32 v = 0;
  if (r->len - r->pos < 4)
    return -1;
  for (int k = 0; k < 4; k++) {
    int d = hex_digit(r->s[r->pos + (gsize)k]);
    if (d < 0)
      return -1;
    v = v << 4 | d;
  }
  r->pos += 4;
  return v;
}

/* After the backslash and 'u' of an escape; appends the character. */
static gboolean
read_unicode_escape(Reader *r, GString *out)
{
  gint32 cp = read_hex4(r), lo;

  if (cp < 0)
    return reader_fail(r, -EINVAL, "malformed \\u escape");
  if (cp == 0)
    return reader_fail(r, -EILSEQ, "\\u0000 inside a string");
  if (cp >= 0xdc00 && cp <= 0xdfff)
    return reader_fail(r, -EILSEQ, "unpaired surrogate escape");
  if (cp >= 0xd800 && cp <= 0xdbff) {
    if (r->len - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u')
      return reader_fail(r, -EILSEQ, "unpaired surrogate escape");
    r->pos += 2;
    lo = read_hex4(r);
    if (lo < 0)
      return reader_fail(r, -EINVAL, "malformed \\u escape");
    if (lo < 0xdc00 || lo > 0xdfff)
      return reader_fail(r, -EILSEQ, "unpaired surrogate escape");
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
  }
  g_string_append_unichar(out, (gunichar)cp);
  return TRUE;
}

/* At the opening quote; returns the decoded string (transfer full). */
static char *
read_string(Reader *r)
{
  GString *out = g_string_new(NULL);

  r->pos++;
  for (;;) {
    gsize run = r->pos;
    while (run < r->len && r->s[run] >= 0x20 && r->s[run] < 0x80 && r->s[run] != '"' &&
           r->s[run] != '\\')
      run++;
    g_string_append_len(out, (const char *)r->s + r->pos, (gssize)(run - r->pos));
    r->pos = run;
    if (r->pos == r->len) {
      reader_fail(r, -EINVAL, "unterminated string");
      goto fail;
    }

    guchar c = r->s[r->pos];
    gunichar cp;
    gsize n;
    if (c == '"') {
      r->pos++;
      return g_string_free(out, FALSE);
    }
    if (c < 0x20) {
      reader_fail(r, -EINVAL, "control character inside a string");
      goto fail;
    }
    if (c >= 0x80) {
      if ((n = utf8_sequence(r->s + r->pos, r->len - r->pos, &cp)) == 0) {
        reader_fail(r, -EILSEQ, "invalid UTF-8 inside a string");
        goto fail;
      }
      g_string_append_len(out, (const char *)r->s + r->pos, (gssize)n);
      r->pos += n;
      continue;
    }
    /* a backslash */
    if (++r->pos == r->len) {
      reader_fail(r, -EINVAL, "unterminated string");
      goto fail;
    }
    c = r->s[r->pos++];
    switch (c) {
    case '"':
    case '\\':
    case '/':
      g_string_append_c(out, (char)c);
      break;
    case 'b':
      g_string_append_c(out, '\b');
      break;
    case 'f':
      g_string_append_c(out, '\f');
      break;
    case 'n':
      g_string_append_c(out, '\n');
      break;
    case 'r':
      g_string_append_c(out, '\r');
      break;
    case 't':
      g_string_append_c(out, '\t');
      break;
    case 'u':
      if (!read_unicode_escape(r, out))
        goto fail;
      break;
    default:
      r->pos--;
      reader_fail(r, -EINVAL, "invalid escape inside a string");
      goto fail;
    }
  }

fail:
  g_string_free(out, TRUE);
  return NULL;
}

static gboolean
is_digit(Reader *r)
{
  return r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9';
}

/* The number token r->s[start..r->pos) as a node; NULL on overflow. */
static JsonNode *
number_node(Reader *r, gsize start, gboolean integral)
{
  g_autofree char *token = g_strndup((const char *)r->s + start, r->pos - start);
  JsonNode *node = json_node_new(JSON_NODE_VALUE);

  errno = 0;
  if (integral) {
    gint64 v = g_ascii_strtoll(token, NULL, 10);
    if (errno == ERANGE)
      goto range;
    json_node_set_int(node, v);
  } else {
    double v = g_ascii_strtod(token, NULL);
    if (!isfinite(v)) /* underflow to 0 or a subnormal is fine */
      goto range;
    json_node_set_double(node, v);
  }
  return node;

range:
  json_node_unref(node);
  r->pos = start;
  reader_fail(r, -ERANGE, integral ? "integer outside 64 bits" : "number beyond double range");
  return NULL;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and nothing else: no "+1",
 * "01", "1.", ".5", hex, inf or nan, which json-glib or strtod would take. */
static JsonNode *
read_number(Reader *r)
{
  gsize start = r->pos;
  gboolean integral = TRUE;

  if (r->s[r->pos] == '-')
    r->pos++;
  if (!is_digit(r))
    goto malformed;
  if (r->s[r->pos] == '0') {
    r->pos++;
  } else {
    while (is_digit(r))
      r->pos++;
  }
  if (r->pos < r->len && r->s[r->pos] == '.') {
    integral = FALSE;
    r->pos++;
    if (!is_digit(r))
      goto malformed;
    while (is_digit(r))
      r->pos++;
  }
  if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
    integral = FALSE;
    r->pos++;
    if (r->pos < r->len && (r->s[r->pos] == '+' || r->s[r->pos] == '-'))
      r->pos++;
    if (!is_digit(r))
      goto malformed;
    while (is_digit(r))
      r->pos++;
  }
  return number_node(r, start, integral);

malformed:
  reader_fail(r, -EINVAL, "malformed number");
  return NULL;
}

static JsonNode *
read_literal(Reader *r)
{
  static const char *const words[] = {"true", "false", "null"};
  for (size_t k = 0; k < G_N_ELEMENTS(words); k++) {
    gsize n = strlen(words[k]);
    if (r->len - r->pos >= n && memcmp(r->s + r->pos, words[k], n) == 0) {
      r->pos += n;
      if (k == 2)
        return json_node_new(JSON_NODE_NULL);
      JsonNode *node = json_node_new(JSON_NODE_VALUE);
      json_node_set_boolean(node, k == 0);
      return node;
    }
  }
  reader_fail(r, -EINVAL, "unexpected character (not strict JSON)");
  return NULL;
}

static JsonNode *read_value(Reader *r);

/* At '{' or '['; counts one level of nesting. */
static gboolean
enter(Reader *r)
{
  if (++r->depth > JSON_TEXT_MAX_DEPTH)
    return reader_fail(r, -EINVAL, "nested deeper than 64 levels");
  r->pos++;
  skip_space(r);
  return TRUE;
}

/* After a member or element: TRUE at ',' (consumed), FALSE at @close
 * (consumed) or on an error (r->code set). */
static gboolean
next_item(Reader *r, guchar close)
{
  skip_space(r);
  if (r->pos < r->len && r->s[r->pos] == ',') {
    r->pos++;
    skip_space(r);
    return TRUE;
  }
  if (r->pos < r->len && r->s[r->pos] == close) {
    r->pos++;
    r->depth--;
    return FALSE;
  }
  if (r->pos == r->len)
    reader_fail(r, -EINVAL, close == '}' ? "unterminated object" : "unterminated array");
  else
    reader_fail(r, -EINVAL, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
  return FALSE;
}

static JsonNode *
read_object(Reader *r)
{
  JsonObject *obj;
  JsonNode *node;

  if (!enter(r))
    return NULL;
  obj = json_object_new();
  if (r->pos < r->len && r->s[r->pos] == '}') {
    r->pos++;
    r->depth--;
    goto done;
  }
  do {
    if (r->pos == r->len || r->s[r->pos] != '"') {
      reader_fail(r, -EINVAL, r->pos == r->len ? "unterminated object" : "expected a member name");
      goto fail;
    }
    gsize at = r->pos;
    g_autofree char *name = read_string(r);
    if (!name)
      goto fail;
    if (json_object_has_member(obj, name)) {
      r->pos = at;
      reader_fail(r, -EINVAL, "duplicate member name");
      goto fail;
    }
    skip_space(r);
    if (r->pos == r->len || r->s[r->pos] != ':') {
      reader_fail(r, -EINVAL, "expected ':'");
      goto fail;
    }
    r->pos++;
    skip_space(r);
    JsonNode *value = read_value(r);
    if (!value)
      goto fail;
    json_object_set_member(obj, name, value);
  } while (next_item(r, '}'));
  if (r->code)
    goto fail;

done:
  node = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(node, obj);
  return node;

fail:
  json_object_unref(obj);
  return NULL;
}

static JsonNode *
read_array(Reader *r)
{
  JsonArray *array;
  JsonNode *node;

  if (!enter(r))
    return NULL;
  array = json_array_new();
  if (r->pos < r->len && r->s[r->pos] == ']') {
    r->pos++;
    r->depth--;
    goto done;
  }
  do {
    JsonNode *value = read_value(r);
    if (!value)
      goto fail;
    json_array_add_element(array, value);
  } while (next_item(r, ']'));
  if (r->code)
    goto fail;

done:
  node = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(node, array);
  return node;

fail:
  json_array_unref(array);
  return NULL;
}

/* At the first byte of a value (whitespace already skipped). */
static JsonNode *
read_value(Reader *r)
{
  if (r->pos == r->len) {
    reader_fail(r, -EINVAL, "expected a value");
    return NULL;
  }
  switch (r->s[r->pos]) {
  case '{':
    return read_object(r);
  case '[':
    return read_array(r);
  case '"': {
    g_autofree char *str = read_string(r);
    if (!str)
      return NULL;
    JsonNode *node = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(node, str);
    return node;
  }
  default:
    if (r->s[r->pos] == '-' || is_digit(r))
      return read_number(r);
    return read_literal(r);
  }
}

int
json_text_parse_object(const char *text, gsize len, JsonObject **out, char **detail)
{
  Reader r = {.s = (const guchar *)text, .len = len};
  const void *nul = len > 0 ? memchr(text, '\0', len) : NULL;
  JsonNode *root = NULL;

  *out = NULL;
  if (detail)
    *detail = NULL;
  if (nul) {
    r.pos = (gsize)((const char *)nul - text);
    reader_fail(&r, -EINVAL, "NUL byte");
    goto fail;
  }
  skip_space(&r);
  if (r.pos == r.len || r.s[r.pos] != '{') {
    reader_fail(&r, -EINVAL, "not a JSON object");
    goto fail;
  }
  if (!(root = read_object(&r)))
    goto fail;
  skip_space(&r);
  if (r.pos != r.len) {
    reader_fail(&r, -EINVAL, "text after the JSON object");
    goto fail;
  }
  *out = json_object_ref(json_node_get_object(root));
  json_node_unref(root);
  return 0;

fail:
  if (root)
    json_node_unref(root);
  if (detail)
    *detail = r.detail;
  else
    g_free(r.detail);
  return r.code;
}

JsonNode *
json_text_node(JsonObject *o)
{
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

void
json_text_set_string_or_null(JsonObject *o, const char *name, const char *value)
{
  if (value)
    json_object_set_string_member(o, name, value);
  else
    json_object_set_null_member(o, name);
}
