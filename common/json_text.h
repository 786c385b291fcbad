/* SPDX-License-Identifier: Apache-2.0 */
/* The project's one strict JSON reader and writer (RFC 8259), on json-glib's
 * data model. json-glib's own text layer is lenient when reading (comments,
 * several top-level values, "\x41", 01, duplicate names, integer wrap-around)
 * and wrong when writing (1.6.6 leaves U+001F raw, writes inf/nan as "inf.0",
 * passes invalid UTF-8 through), so no text crosses a link but through here.
 * Pure: no sockets, no main loop, no globals. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* Containers nested deeper than this are refused by the reader; the
 * top-level object counts as level 1. */
#define JSON_TEXT_MAX_DEPTH 64

/* Writes @node as compact JSON (no whitespace, members in insertion order),
 * without a trailing newline. Returns the text (transfer full); NULL only if
 * @node is NULL.
 *
 * The output is always valid UTF-8 and strict JSON that JSON.parse and
 * json_text_parse_object() accept (given an object within the depth limit):
 * - inside strings and member names every character below U+0020 and U+007F
 *   are escaped (\b \t \n \f \r, else \u00XX), as are '"', '\\' and U+2028 /
 *   U+2029 (line terminators to JavaScript source);
 * - a byte that does not begin a valid UTF-8 sequence (json-glib expects
 *   valid UTF-8 but does not check) is written as \ufffd, one per byte, so the
 *   rest of the string survives; two member names that differ only there
 *   come out as the same name, which the reader then refuses as a duplicate;
 * - integers exactly; doubles in the shortest of %.15g/%.16g/%.17g that reads
 *   back to the same double, with ".0" added to integral values so they read
 *   back as doubles; NaN and infinities (not JSON) as null, like JSON.stringify;
 * - a value node holding nothing, a NULL string, object or array as null.
 * Nesting is not limited here; the reader refuses what is too deep. */
char *json_text_write(JsonNode *node);

/* Reads @len bytes of @text (need not be NUL-terminated) as exactly one JSON
 * object, surrounded by nothing but JSON whitespace (space, tab, CR, LF).
 * Strict RFC 8259 plus: no duplicate member names, no "\u0000", no nesting
 * deeper than JSON_TEXT_MAX_DEPTH. Integers (no fraction, no exponent) become
 * gint64 values, other numbers doubles; linear time, bounded stack.
 *
 * Returns 0 and sets *@out to the object (transfer full, not sealed), or a
 * negative code and sets *@out to NULL:
 *   -EINVAL  not strict JSON: syntax, raw control character or NUL byte,
 *            invalid escape, duplicate member name, too deep, not an object,
 *            text after the object;
 *   -EILSEQ  invalid UTF-8 in a string, an unpaired surrogate escape, or
 *            "\u0000" (a C string cannot hold it);
 *   -ERANGE  an integer outside gint64 or a number beyond double range.
 * If @detail is not NULL it receives a human reason with the byte offset
 * (transfer full) on error and NULL on success. */
int json_text_parse_object(const char *text, gsize len, JsonObject **out, char **detail);

/* A node holding @o (taken: transfer full of @o, full of the node). */
JsonNode *json_text_node(JsonObject *o);
/* Sets member @name to the string @value (copied), or to null when @value
 * is NULL. */
void json_text_set_string_or_null(JsonObject *o, const char *name, const char *value);
