/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the control-link schema (common/control.c, docs/control.md).
 * The bug_* cases are regressions: gaps once found between control.c and
 * the documented schema. */
#include "control.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define OFFER "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
/* the same offer JSON-escaped, as it travels inside a line */
#define OFFER_JSON "v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\n"

/* Parses @text; returns the code and leaves the message in @msg and the
 * detail (transfer full) in @detail. */
static int
ctltest_parse(const char *text, CtlMessage *msg, char **detail)
{
  return ctl_parse(text, strlen(text), msg, detail);
}

/* Asserts @text parses to @want and, on error, that @want_id is recovered and
 * a detail message is given. */
static void
ctltest_expect(const char *text, int want, gint64 want_id)
{
  CtlMessage msg;
  g_autofree char *detail = NULL;
  int rc = ctltest_parse(text, &msg, &detail);
  if (rc != want)
    print_error("line: %s\nrc %d (%s), want %d (%s), detail: %s\n", text, rc,
                ctl_error_name(rc), want, ctl_error_name(want), detail ? detail : "(none)");
  assert_int_equal(rc, want);
  assert_int_equal(msg.id, want_id);
  if (want != CTL_OK) {
    assert_non_null(detail);
    assert_true(strlen(detail) > 0);
    assert_null(msg.obj);
  } else {
    assert_non_null(msg.obj);
  }
  ctl_message_clear(&msg);
}

static char *
ctltest_peer_add(const char *peer, const char *participant, const char *role,
                 const char *tracks_json, const char *offer_json)
{
  return g_strdup_printf("{\"v\":1,\"id\":5,\"type\":\"peer.add\",\"peer\":%s,"
                         "\"participant\":%s,\"role\":%s,\"tracks\":%s,\"offer\":%s}",
                         peer, participant, role, tracks_json, offer_json);
}

static void
ctltest_peer_add_expect(const char *peer, const char *participant, const char *role,
                        const char *tracks_json, const char *offer_json, int want)
{
  g_autofree char *line = ctltest_peer_add(peer, participant, role, tracks_json, offer_json);
  ctltest_expect(line, want, 5);
}

static void
test_valid_requests(void **state)
{
  CtlMessage msg;
  char *detail = NULL;
  const char *line = "{\"v\":1,\"id\":7,\"type\":\"peer.add\",\"peer\":\"gst-1\","
                     "\"participant\":\"WTPF-0001\",\"role\":\"delegate\","
                     "\"tracks\":[\"floor\"],\"offer\":\"" "v=0\\r\\n" "\"}\n";

  assert_int_equal(ctltest_parse(line, &msg, &detail), CTL_OK);
  assert_null(detail);
  assert_int_equal(msg.kind, CTL_KIND_REQUEST);
  assert_int_equal(msg.id, 7);
  assert_string_equal(msg.name, "peer.add");
  assert_string_equal(ctl_get_string(&msg, "peer"), "gst-1");
  assert_string_equal(ctl_get_string(&msg, "participant"), "WTPF-0001");
  assert_string_equal(ctl_get_string(&msg, "role"), "delegate");
  assert_string_equal(ctl_get_string(&msg, "offer"), "v=0\r\n");
  assert_null(ctl_get_string(&msg, "tracks")); /* not a string */
  assert_null(ctl_get_string(&msg, "nope"));
  ctl_message_clear(&msg);
  assert_null(msg.obj);
  assert_int_equal(msg.id, -1);

  assert_int_equal(ctltest_parse("{\"v\":1,\"id\":8,\"type\":\"peer.remove\",\"peer\":\"a.b_c-D9\"}",
                                 &msg, &detail),
                   CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_REQUEST);
  assert_string_equal(msg.name, "peer.remove");
  assert_int_equal(msg.id, 8);
  ctl_message_clear(&msg);

  /* CRLF ending, whitespace, id 0, key order, unknown extra members */
  assert_int_equal(ctltest_parse(" { \"type\" : \"ping\", \"id\" : 0, \"v\" : 1, \"x\" : [1,{}] }\r\n",
                                 &msg, &detail),
                   CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_REQUEST);
  assert_string_equal(msg.name, "ping");
  assert_int_equal(msg.id, 0);
  ctl_message_clear(&msg);

  /* large id */
  ctltest_expect("{\"v\":1,\"id\":9007199254740993,\"type\":\"ping\"}", CTL_OK,
                 G_GINT64_CONSTANT(9007199254740993));

  /* every role, both track list lengths, boundary lengths */
  static const char *const roles[] = {"\"delegate\"", "\"interpreter\"", "\"operator\"", "\"chair\""};
  for (size_t i = 0; i < G_N_ELEMENTS(roles); i++)
    ctltest_peer_add_expect("\"p\"", "\"B\"", roles[i], "[\"floor\"]", "\"" OFFER_JSON "\"", CTL_OK);
  ctltest_peer_add_expect("\"p\"", "\"B\"", "\"chair\"", "[\"floor\",\"mic\"]", "\"x\"", CTL_OK);
  ctltest_peer_add_expect("\"p\"", "\"B\"", "\"interpreter\"", "[\"mic\",\"channel\",\"floor\"]",
                          "\"x\"", CTL_OK);
  g_autofree char *id64 = g_strdup_printf("\"%s\"", "0123456789012345678901234567890123456789012345678901234567890123");
  ctltest_peer_add_expect(id64, id64, "\"delegate\"", "[\"floor\"]", "\"x\"", CTL_OK);
}

static void
test_valid_replies_and_events(void **state)
{
  CtlMessage msg;
  char *detail = NULL;

  assert_int_equal(ctltest_parse("{\"v\":1,\"id\":7,\"ok\":true,\"answer\":\"v=0\"}", &msg, &detail), CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_REPLY);
  assert_true(msg.ok);
  assert_null(msg.name);
  assert_int_equal(msg.id, 7);
  assert_string_equal(ctl_get_string(&msg, "answer"), "v=0");
  ctl_message_clear(&msg);

  assert_int_equal(ctltest_parse("{\"v\":1,\"id\":null,\"ok\":false,\"error\":\"bad_json\",\"message\":\"m\"}",
                                 &msg, &detail),
                   CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_REPLY);
  assert_false(msg.ok);
  assert_int_equal(msg.id, -1);
  assert_string_equal(ctl_get_string(&msg, "error"), "bad_json");
  ctl_message_clear(&msg);

  assert_int_equal(ctltest_parse("{\"v\":1,\"event\":\"peer.connected\",\"peer\":\"p1\","
                                 "\"participant\":\"WTPF-0001\",\"srtp_profile\":\"AEAD_AES_128_GCM\"}",
                                 &msg, &detail),
                   CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_EVENT);
  assert_string_equal(msg.name, "peer.connected");
  assert_int_equal(msg.id, -1);
  ctl_message_clear(&msg);

  ctltest_expect("{\"v\":1,\"event\":\"peer.lost\",\"peer\":\"p1\",\"reason\":\"ice_failed\"}", CTL_OK, -1);
}

static void
test_bad_json(void **state)
{
  static const char *const lines[] = {
    "", "\n", "   ", "{", "}", "{\"v\":1,", "[]", "[{\"v\":1,\"id\":1,\"type\":\"ping\"}]",
    "1", "\"ping\"", "null", "true", "{v:1}", "{\"v\":1,\"id\":1,\"type\":\"ping\",}",
    "{\"v\":1,\"id\":1,\"type\":\"ping\"} garbage", "{\"v\":1,\"id\":1,\"type\":\"ping\"} 5",
    "{\"v\":1,\"id\":1,\"type\":\"ping\",\"x\":\"\xc3\x28\"}", /* invalid UTF-8 */
    "\xff\xfe{}",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
    ctltest_expect(lines[i], CTL_EBADJSON, -1);

  /* NUL byte inside the line, even where JSON would otherwise be valid */
  static const char nul_line[] = "{\"v\":1,\"id\":1,\"type\":\"ping\"}\0{}";
  CtlMessage msg;
  g_autofree char *detail = NULL;
  assert_int_equal(ctl_parse(nul_line, sizeof nul_line - 1, &msg, &detail), CTL_EBADJSON);
  assert_non_null(detail);
  assert_int_equal(msg.id, -1);
  assert_string_equal(ctl_error_name(CTL_EBADJSON), "bad_json");
}

static void
test_bad_version(void **state)
{
  static const char *const lines[] = {
    "{\"id\":3,\"type\":\"ping\"}",          "{\"v\":2,\"id\":3,\"type\":\"ping\"}",
    "{\"v\":0,\"id\":3,\"type\":\"ping\"}",  "{\"v\":\"1\",\"id\":3,\"type\":\"ping\"}",
    "{\"v\":1.5,\"id\":3,\"type\":\"ping\"}", "{\"v\":null,\"id\":3,\"type\":\"ping\"}",
    "{\"v\":true,\"id\":3,\"type\":\"ping\"}", "{\"v\":[1],\"id\":3,\"type\":\"ping\"}",
    "{\"v\":-1,\"id\":3,\"ok\":true}",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
    ctltest_expect(lines[i], CTL_EBADVERSION, 3);
  ctltest_expect("{\"v\":2,\"event\":\"peer.lost\",\"peer\":\"p\"}", CTL_EBADVERSION, -1);
  assert_string_equal(ctl_error_name(CTL_EBADVERSION), "bad_version");
}

static void
test_bad_request_envelope(void **state)
{
  /* id missing, negative or mistyped: bad_request, id unreadable */
  static const char *const no_id[] = {
    "{\"v\":1,\"type\":\"ping\"}",           "{\"v\":1,\"id\":-1,\"type\":\"ping\"}",
    "{\"v\":1,\"id\":\"7\",\"type\":\"ping\"}", "{\"v\":1,\"id\":1.5,\"type\":\"ping\"}",
    "{\"v\":1,\"id\":null,\"type\":\"ping\"}", "{\"v\":1,\"id\":true,\"type\":\"ping\"}",
    "{\"v\":1,\"id\":[1],\"type\":\"ping\"}",  "{\"v\":1,\"id\":{},\"type\":\"ping\"}",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(no_id); i++)
    ctltest_expect(no_id[i], CTL_EBADREQUEST, -1);

  /* type mistyped; no type/event/ok at all */
  ctltest_expect("{\"v\":1,\"id\":4,\"type\":5}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1,\"id\":4,\"type\":null}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1,\"id\":4,\"type\":[\"ping\"]}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1,\"id\":4}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1}", CTL_EBADREQUEST, -1);
  /* replies: ok not a boolean, error reply without error code, mistyped fields */
  ctltest_expect("{\"v\":1,\"id\":4,\"ok\":1}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1,\"id\":4,\"ok\":\"true\"}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1,\"id\":4,\"ok\":false}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1,\"id\":4,\"ok\":true,\"answer\":5}", CTL_EBADREQUEST, 4);
  ctltest_expect("{\"v\":1,\"id\":4,\"ok\":false,\"error\":[]}", CTL_EBADREQUEST, 4);
  /* events: event mistyped, peer missing or bad */
  ctltest_expect("{\"v\":1,\"event\":1,\"peer\":\"p\"}", CTL_EBADREQUEST, -1);
  ctltest_expect("{\"v\":1,\"event\":\"peer.lost\"}", CTL_EBADREQUEST, -1);
  ctltest_expect("{\"v\":1,\"event\":\"peer.lost\",\"peer\":\"a b\"}", CTL_EBADREQUEST, -1);
  ctltest_expect("{\"v\":1,\"event\":\"peer.lost\",\"peer\":\"p\",\"reason\":3}", CTL_EBADREQUEST, -1);
  assert_string_equal(ctl_error_name(CTL_EBADREQUEST), "bad_request");
}

static void
test_bad_request_fields(void **state)
{
  const char *ok_offer = "\"" OFFER_JSON "\"";
  /* missing fields */
  ctltest_expect("{\"v\":1,\"id\":5,\"type\":\"peer.remove\"}", CTL_EBADREQUEST, 5);
  ctltest_expect("{\"v\":1,\"id\":5,\"type\":\"peer.add\",\"participant\":\"B\",\"role\":\"delegate\","
                 "\"tracks\":[\"floor\"],\"offer\":\"x\"}",
                 CTL_EBADREQUEST, 5);
  ctltest_expect("{\"v\":1,\"id\":5,\"type\":\"peer.add\",\"peer\":\"p\",\"role\":\"delegate\","
                 "\"tracks\":[\"floor\"],\"offer\":\"x\"}",
                 CTL_EBADREQUEST, 5);
  ctltest_expect("{\"v\":1,\"id\":5,\"type\":\"peer.add\",\"peer\":\"p\",\"participant\":\"B\","
                 "\"tracks\":[\"floor\"],\"offer\":\"x\"}",
                 CTL_EBADREQUEST, 5);
  ctltest_expect("{\"v\":1,\"id\":5,\"type\":\"peer.add\",\"peer\":\"p\",\"participant\":\"B\","
                 "\"role\":\"delegate\",\"offer\":\"x\"}",
                 CTL_EBADREQUEST, 5);
  ctltest_expect("{\"v\":1,\"id\":5,\"type\":\"peer.add\",\"peer\":\"p\",\"participant\":\"B\","
                 "\"role\":\"delegate\",\"tracks\":[\"floor\"]}",
                 CTL_EBADREQUEST, 5);

  /* bad peer ids: empty, too long, forbidden characters, mistyped, null */
  static const char *const bad_peers[] = {
    "\"\"", "\"a b\"", "\"a/b\"", "\"../x\"", "\"a\\nb\"", "\"\\u00e9\"", "\"a;b\"", "\"a\\\"b\"",
    "\"0123456789012345678901234567890123456789012345678901234567890123X\"", "5", "null",
    "[\"p\"]", "{}", "true",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad_peers); i++) {
    ctltest_peer_add_expect(bad_peers[i], "\"B\"", "\"delegate\"", "[\"floor\"]", ok_offer, CTL_EBADREQUEST);
    g_autofree char *rm =
      g_strdup_printf("{\"v\":1,\"id\":6,\"type\":\"peer.remove\",\"peer\":%s}", bad_peers[i]);
    ctltest_expect(rm, CTL_EBADREQUEST, 6);
  }

  /* participant: empty, over 64, mistyped */
  ctltest_peer_add_expect("\"p\"", "\"\"", "\"delegate\"", "[\"floor\"]", ok_offer, CTL_EBADREQUEST);
  ctltest_peer_add_expect("\"p\"", "\"0123456789012345678901234567890123456789012345678901234567890123X\"",
                          "\"delegate\"", "[\"floor\"]", ok_offer, CTL_EBADREQUEST);
  ctltest_peer_add_expect("\"p\"", "42", "\"delegate\"", "[\"floor\"]", ok_offer, CTL_EBADREQUEST);

  /* role: unknown, wrong case, mistyped */
  static const char *const bad_roles[] = {"\"admin\"", "\"Delegate\"", "\"\"", "1", "[\"chair\"]", "null"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad_roles); i++)
    ctltest_peer_add_expect("\"p\"", "\"B\"", bad_roles[i], "[\"floor\"]", ok_offer, CTL_EBADREQUEST);

  /* tracks: empty, repeated, no floor, too many, unknown, non-string elements, not an array */
  static const char *const bad_tracks[] = {
    "[]", "[\"floor\",\"floor\"]", "[\"mic\"]", "[\"floor\",\"mic\",\"channel\",\"mic\"]",
    "[\"en\"]", "[\"floor\",\"fr\"]", "[1]",
    "[null]", "[[\"floor\"]]", "\"floor\"", "{\"floor\":1}", "null",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad_tracks); i++)
    ctltest_peer_add_expect("\"p\"", "\"B\"", "\"delegate\"", bad_tracks[i], ok_offer, CTL_EBADREQUEST);

  /* offer: empty or mistyped */
  ctltest_peer_add_expect("\"p\"", "\"B\"", "\"delegate\"", "[\"floor\"]", "\"\"", CTL_EBADREQUEST);
  ctltest_peer_add_expect("\"p\"", "\"B\"", "\"delegate\"", "[\"floor\"]", "7", CTL_EBADREQUEST);
  ctltest_peer_add_expect("\"p\"", "\"B\"", "\"delegate\"", "[\"floor\"]", "{\"sdp\":\"v=0\"}", CTL_EBADREQUEST);
}

/* The audio engine's requests and events (docs/control.md, "The audio
 * engine"): each field checked, every bad one refused. */
static void
test_audio_requests(void **state)
{
  static const struct {
    const char *line;
    int want;
  } cases[] = {
    {"{\"v\":1,\"id\":1,\"type\":\"floor.grant\",\"peer\":\"p-1\"}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"floor.grant\"}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":1,\"type\":\"floor.revoke\",\"peer\":\"p 1\"}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.live\",\"booth\":\"fr\",\"peer\":\"p-1\"}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.live\",\"booth\":\"fr\",\"peer\":\"\"}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.live\",\"booth\":\"FR\",\"peer\":\"\"}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.cough\",\"peer\":\"p-1\",\"on\":true}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.cough\",\"peer\":\"p-1\",\"on\":1}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.input\",\"booth\":\"es\",\"source\":\"channel:fr\"}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.input\",\"booth\":\"es\",\"source\":\"channel:\"}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.input\",\"booth\":\"es\",\"source\":\"venue\"}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":1,\"type\":\"booth.output\",\"booth\":\"fr\",\"channel\":\"channel:en\"}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"listener.channel\",\"peer\":\"p-1\",\"channel\":\"none\"}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"listener.channel\",\"peer\":\"p-1\",\"channel\":\"channel:fr\"}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"listener.channel\",\"peer\":\"p-1\"}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":1,\"type\":\"listener.lowbw\",\"peer\":\"p-1\",\"on\":false}", CTL_OK},
    {"{\"v\":1,\"id\":1,\"type\":\"audio.state\"}", CTL_OK},
    {"{\"v\":1,\"event\":\"level\",\"product\":\"floor\",\"dbfs\":-20.5,\"peak_dbfs\":-3,\"limiting\":false}", CTL_OK},
    {"{\"v\":1,\"event\":\"level\",\"product\":\"floor\",\"dbfs\":\"loud\",\"peak_dbfs\":-3,\"limiting\":false}", CTL_EBADREQUEST},
    {"{\"v\":1,\"id\":2,\"ok\":true,\"products\":[{\"name\":\"floor\"}]}", CTL_OK},
    {"{\"v\":1,\"id\":2,\"ok\":true,\"products\":[\"floor\"]}", CTL_EBADREQUEST},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    CtlMessage msg;
    g_autofree char *detail = NULL;
    int rc = ctltest_parse(cases[i].line, &msg, &detail);
    if (rc != cases[i].want)
      print_error("line: %s\nrc %d, want %d (%s)\n", cases[i].line, rc, cases[i].want,
                  detail ? detail : "");
    assert_int_equal(rc, cases[i].want);
    ctl_message_clear(&msg);
  }
}

static void
test_unknown_type(void **state)
{
  ctltest_expect("{\"v\":1,\"id\":11,\"type\":\"floor.take\"}", CTL_EUNKNOWNTYPE, 11);
  ctltest_expect("{\"v\":1,\"id\":11,\"type\":\"PING\"}", CTL_EUNKNOWNTYPE, 11);
  ctltest_expect("{\"v\":1,\"id\":11,\"type\":\"\"}", CTL_EUNKNOWNTYPE, 11);
  ctltest_expect("{\"v\":1,\"id\":11,\"type\":\"peer.connected\"}", CTL_EUNKNOWNTYPE, 11);
  ctltest_expect("{\"v\":1,\"event\":\"levels\",\"peer\":\"p\"}", CTL_EUNKNOWNTYPE, -1);
  ctltest_expect("{\"v\":1,\"event\":\"ping\",\"peer\":\"p\"}", CTL_EUNKNOWNTYPE, -1);
  assert_string_equal(ctl_error_name(CTL_EUNKNOWNTYPE), "unknown_type");
  assert_string_equal(ctl_error_name(-1000), "internal");
}

/* A syntactically valid request padded to exactly @len bytes (the padding
 * sits in an ignored member), optionally ending with '\n'. */
static char *
ctltest_padded_ping(gsize len, gboolean newline)
{
  GString *s = g_string_new("{\"v\":1,\"id\":12,\"type\":\"ping\",\"pad\":\"");
  gsize tail = strlen("\"}") + (newline ? 1 : 0);
  while (s->len + tail < len)
    g_string_append_c(s, 'a');
  g_string_append(s, newline ? "\"}\n" : "\"}");
  g_assert(s->len == len);
  return g_string_free(s, FALSE);
}

static void
test_too_long(void **state)
{
  CtlMessage msg;
  char *detail = NULL;

  /* well under and just under the limit (without newline) */
  g_autofree char *ok1 = ctltest_padded_ping(CTL_MAX_LINE - 1, FALSE);
  assert_int_equal(ctl_parse(ok1, strlen(ok1), &msg, &detail), CTL_OK);
  assert_int_equal(msg.id, 12);
  ctl_message_clear(&msg);

  /* 65536 bytes of content + newline: too long; id is not read */
  g_autofree char *big = ctltest_padded_ping(CTL_MAX_LINE + 1, TRUE);
  assert_int_equal(ctl_parse(big, strlen(big), &msg, &detail), CTL_ETOOLONG);
  assert_non_null(detail);
  assert_null(msg.obj);
  g_clear_pointer(&detail, g_free);

  /* a megabyte of garbage: too_long, not bad_json, and fast */
  gsize n = 1 << 20;
  g_autofree char *junk = g_malloc(n);
  memset(junk, '{', n);
  assert_int_equal(ctl_parse(junk, n, &msg, &detail), CTL_ETOOLONG);
  g_clear_pointer(&detail, g_free);
  assert_string_equal(ctl_error_name(CTL_ETOOLONG), "too_long");

  /* detail may be NULL */
  assert_int_equal(ctl_parse(junk, n, &msg, NULL), CTL_ETOOLONG);
  assert_int_equal(ctl_parse("{", 1, &msg, NULL), CTL_EBADJSON);
  const char *unknown = "{\"v\":1,\"id\":2,\"type\":\"x\"}";
  assert_int_equal(ctl_parse(unknown, strlen(unknown), &msg, NULL), CTL_EUNKNOWNTYPE);
  assert_int_equal(msg.id, 2);
}

static void
test_builders_round_trip(void **state)
{
  CtlMessage msg;
  char *detail = NULL;
  g_autoptr(JsonObject) extra = json_object_new();
  json_object_set_string_member(extra, "peer", "gst-1");
  json_object_set_string_member(extra, "participant", "TEST-GST");
  json_object_set_string_member(extra, "role", "delegate");
  JsonArray *tracks = json_array_new();
  json_array_add_string_element(tracks, "floor");
  json_object_set_array_member(extra, "tracks", tracks);
  /* SDP with CR/LF, quotes and a backslash must survive escaping */
  json_object_set_string_member(extra, "offer", OFFER "a=x:\"q\"\\\r\n");

  g_autofree char *req = ctl_build_request(42, "peer.add", extra);
  assert_true(g_str_has_suffix(req, "\n"));
  assert_ptr_equal(strchr(req, '\n'), req + strlen(req) - 1); /* one line */
  assert_int_equal(ctl_parse(req, strlen(req), &msg, &detail), CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_REQUEST);
  assert_int_equal(msg.id, 42);
  assert_string_equal(msg.name, "peer.add");
  assert_string_equal(ctl_get_string(&msg, "offer"), OFFER "a=x:\"q\"\\\r\n");
  assert_string_equal(ctl_get_string(&msg, "participant"), "TEST-GST");
  ctl_message_clear(&msg);
  /* extra was copied, not taken */
  assert_true(json_object_has_member(extra, "offer"));

  g_autofree char *ping = ctl_build_request(0, "ping", NULL);
  assert_int_equal(ctl_parse(ping, strlen(ping), &msg, &detail), CTL_OK);
  assert_string_equal(msg.name, "ping");
  assert_int_equal(msg.id, 0);
  ctl_message_clear(&msg);

  g_autoptr(JsonObject) ans = json_object_new();
  json_object_set_string_member(ans, "answer", "v=0\r\n");
  g_autofree char *ok = ctl_build_reply_ok(42, ans);
  assert_int_equal(ctl_parse(ok, strlen(ok), &msg, &detail), CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_REPLY);
  assert_true(msg.ok);
  assert_int_equal(msg.id, 42);
  assert_string_equal(ctl_get_string(&msg, "answer"), "v=0\r\n");
  ctl_message_clear(&msg);

  g_autofree char *err = ctl_build_reply_error(9, "unknown_peer", "no such peer");
  assert_int_equal(ctl_parse(err, strlen(err), &msg, &detail), CTL_OK);
  assert_false(msg.ok);
  assert_int_equal(msg.id, 9);
  assert_string_equal(ctl_get_string(&msg, "error"), "unknown_peer");
  assert_string_equal(ctl_get_string(&msg, "message"), "no such peer");
  ctl_message_clear(&msg);

  g_autofree char *err_null = ctl_build_reply_error(-1, "bad_json", NULL);
  assert_non_null(strstr(err_null, "\"id\":null"));
  assert_int_equal(ctl_parse(err_null, strlen(err_null), &msg, &detail), CTL_OK);
  assert_false(msg.ok);
  assert_int_equal(msg.id, -1);
  assert_string_equal(ctl_get_string(&msg, "message"), "bad_json");
  ctl_message_clear(&msg);

  g_autoptr(JsonObject) ev = json_object_new();
  json_object_set_string_member(ev, "participant", "WTPF-0001");
  json_object_set_string_member(ev, "srtp_profile", "AEAD_AES_128_GCM");
  g_autofree char *evl = ctl_build_event("peer.connected", "p-1", ev);
  assert_int_equal(ctl_parse(evl, strlen(evl), &msg, &detail), CTL_OK);
  assert_int_equal(msg.kind, CTL_KIND_EVENT);
  assert_string_equal(msg.name, "peer.connected");
  assert_string_equal(ctl_get_string(&msg, "peer"), "p-1");
  assert_string_equal(ctl_get_string(&msg, "srtp_profile"), "AEAD_AES_128_GCM");
  ctl_message_clear(&msg);

  /* every error code's wire name parses back as a valid error reply */
  static const int codes[] = {CTL_EBADJSON, CTL_EBADVERSION, CTL_EBADREQUEST, CTL_EUNKNOWNTYPE, CTL_ETOOLONG};
  for (size_t i = 0; i < G_N_ELEMENTS(codes); i++) {
    g_autofree char *e = ctl_build_reply_error((gint64)i, ctl_error_name(codes[i]), "x");
    assert_int_equal(ctl_parse(e, strlen(e), &msg, &detail), CTL_OK);
    assert_string_equal(ctl_get_string(&msg, "error"), ctl_error_name(codes[i]));
    ctl_message_clear(&msg);
  }
}

static void
test_hostile_input(void **state)
{
  CtlMessage msg;
  char *detail = NULL;
  /* nesting inside an ignored member: moderate is fine, deep is refused
   * before json-glib recurses into it */
  GString *s = g_string_new("{\"v\":1,\"id\":13,\"type\":\"ping\",\"x\":");
  for (int i = 0; i < 60; i++)
    g_string_append_c(s, '[');
  for (int i = 0; i < 60; i++)
    g_string_append_c(s, ']');
  g_string_append_c(s, '}');
  assert_int_equal(ctl_parse(s->str, s->len, &msg, &detail), CTL_OK);
  assert_int_equal(msg.id, 13);
  ctl_message_clear(&msg);
  g_string_truncate(s, strlen("{\"v\":1,\"id\":13,\"type\":\"ping\",\"x\":"));
  for (int i = 0; i < 32000; i++)
    g_string_append_c(s, '[');
  GString *open_only = g_string_new_len(s->str, (gssize)s->len);
  for (int i = 0; i < 32000; i++)
    g_string_append_c(s, ']');
  g_string_append_c(s, '}');
  assert_int_equal(ctl_parse(s->str, s->len, &msg, &detail), CTL_EBADJSON);
  assert_int_equal(msg.id, -1);
  g_clear_pointer(&detail, g_free);
  assert_int_equal(ctl_parse(open_only->str, open_only->len, &msg, &detail), CTL_EBADJSON);
  g_clear_pointer(&detail, g_free);
  g_string_free(s, TRUE);
  g_string_free(open_only, TRUE);

  /* pseudo-random bytes, and random mutations of a valid line: any code, no crash */
  GRand *rand = g_rand_new_with_seed(20260101);
  const char *valid = "{\"v\":1,\"id\":7,\"type\":\"peer.add\",\"peer\":\"gst-1\",\"participant\":\"B\","
                      "\"role\":\"delegate\",\"tracks\":[\"floor\"],\"offer\":\"v=0\"}";
  gsize vlen = strlen(valid);
  char buf[512];
  for (int round = 0; round < 20000; round++) {
    gsize n;
    if (round % 2) {
      n = (gsize)g_rand_int_range(rand, 0, sizeof buf);
      for (gsize i = 0; i < n; i++)
        buf[i] = (char)g_rand_int_range(rand, 0, 256);
    } else {
      n = vlen;
      memcpy(buf, valid, n);
      for (int k = g_rand_int_range(rand, 1, 4); k > 0; k--)
        buf[g_rand_int_range(rand, 0, (gint32)n)] = (char)g_rand_int_range(rand, 0, 256);
    }
    int rc = ctl_parse(buf, n, &msg, &detail);
    assert_true(rc <= 0 && rc >= CTL_ETOOLONG);
    if (rc == CTL_OK) {
      assert_non_null(msg.obj);
      assert_null(detail);
    } else {
      assert_non_null(detail);
      assert_null(msg.obj);
    }
    g_clear_pointer(&detail, g_free);
    ctl_message_clear(&msg);
  }
  g_rand_free(rand);
}

/* ---- strictness found missing by these tests, now enforced ---- */

/* docs: "at most 65 536 bytes including the newline" */
static void
bug_limit_includes_newline(void **state)
{
  CtlMessage msg;
  g_autofree char *line = ctltest_padded_ping(CTL_MAX_LINE, TRUE);
  assert_int_equal(ctl_parse(line, strlen(line), &msg, NULL), CTL_OK);
  ctl_message_clear(&msg);
}

/* A "\u0000" escape must not let an invalid peer id through truncated. */
static void
bug_escaped_nul_in_peer(void **state)
{
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"peer.remove\",\"peer\":\"ab\\u0000/../x\"}", CTL_EBADJSON, -1);
}

/* An error reply must carry an error code; null is not one. */
static void
bug_error_reply_null_code(void **state)
{
  ctltest_expect("{\"v\":1,\"id\":1,\"ok\":false,\"error\":null}", CTL_EBADREQUEST, 1);
}

/* One JSON object per line: a second top-level value must not be ignored. */
static void
bug_two_objects_one_line(void **state)
{
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"ping\"} {\"v\":1,\"id\":2,\"type\":\"peer.remove\",\"peer\":\"p\"}",
                 CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"ping\"} [1]", CTL_EBADJSON, -1);
}

/* json-glib is lenient: single quotes, comments and hex numbers are not JSON. */
static void
bug_lenient_json(void **state)
{
  ctltest_expect("{'v':1,'id':1,'type':'ping'}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"ping\" /* c */}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":0x10,\"type\":\"ping\"}", CTL_EBADJSON, -1);
}

/* json-glib 1.6.6 writes U+001F raw inside strings; the strict reader then
 * refused the builders' own line and, unable to read the id, the signalling
 * waited 10 s for a reply to a join whose SDP held 0x1f (issue 17). */
static void
bug_unit_separator_in_offer(void **state)
{
  CtlMessage msg;
  g_autofree char *detail = NULL;
  g_autoptr(JsonObject) extra = json_object_new();
  json_object_set_string_member(extra, "peer", "p-1");
  json_object_set_string_member(extra, "participant", "WTPF-\x1f");
  json_object_set_string_member(extra, "role", "delegate");
  JsonArray *tracks = json_array_new();
  json_array_add_string_element(tracks, "floor");
  json_object_set_array_member(extra, "tracks", tracks);
  json_object_set_string_member(extra, "offer", "v=0\r\ns=\x1f\r\n");

  g_autofree char *req = ctl_build_request(77, "peer.add", extra);
  assert_non_null(strstr(req, "s=\\u001f"));
  assert_int_equal(ctl_parse(req, strlen(req), &msg, &detail), CTL_OK);
  assert_int_equal(msg.id, 77);
  assert_string_equal(ctl_get_string(&msg, "offer"), "v=0\r\ns=\x1f\r\n");
  assert_string_equal(ctl_get_string(&msg, "participant"), "WTPF-\x1f");
  ctl_message_clear(&msg);

  g_autoptr(JsonObject) ans = json_object_new();
  json_object_set_string_member(ans, "answer", "v=0\r\ns=\x1f\r\n");
  g_autofree char *ok = ctl_build_reply_ok(77, ans);
  assert_int_equal(ctl_parse(ok, strlen(ok), &msg, &detail), CTL_OK);
  assert_int_equal(msg.id, 77);
  assert_string_equal(ctl_get_string(&msg, "answer"), "v=0\r\ns=\x1f\r\n");
  ctl_message_clear(&msg);

  g_autofree char *err = ctl_build_reply_error(78, "bad_sdp", "bad line 's=\x1f'");
  assert_int_equal(ctl_parse(err, strlen(err), &msg, &detail), CTL_OK);
  assert_int_equal(msg.id, 78);
  ctl_message_clear(&msg);

  /* a raw 0x1f inside a string is still refused: the reader stays strict */
  ctltest_expect("{\"v\":1,\"id\":79,\"type\":\"ping\",\"x\":\"\x1f\"}", CTL_EBADJSON, -1);
}

/* json-glib keeps the last of two equal member names: "id" and "peer" must
 * not have two values, one seen by a logger and another by the relay. */
static void
bug_duplicate_member_names(void **state)
{
  ctltest_expect("{\"v\":1,\"id\":1,\"id\":2,\"type\":\"ping\"}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"peer.remove\",\"peer\":\"p\",\"peer\":\"q\"}",
                 CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"v\":1,\"id\":1,\"type\":\"ping\"}", CTL_EBADJSON, -1);
}

/* More of json-glib's leniency: "01", ".5", "\x41" read as "x41", numbers
 * that overflow to inf or wrap around, lone surrogate escapes. */
static void
bug_lenient_numbers_and_escapes(void **state)
{
  ctltest_expect("{\"v\":1,\"id\":01,\"type\":\"ping\"}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":.5e1,\"type\":\"ping\"}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":18446744073709551617,\"type\":\"ping\"}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":3,\"type\":\"peer.remove\",\"peer\":\"\\x41\"}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"ping\",\"x\":1e999}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"ping\",\"x\":\"\\udc00\"}", CTL_EBADJSON, -1);
  ctltest_expect("{\"v\":1,\"id\":1,\"type\":\"ping\"}\f", CTL_EBADJSON, -1);
}

/* Random text, valid UTF-8, heavy in control characters (U+001F above all),
 * quotes, backslashes and non-ASCII; 1..@max_bytes bytes. */
static char *
ctltest_random_text(GRand *rand, gsize max_bytes)
{
  static const gunichar wide[] = {0xe9, 0x7ff, 0x2028, 0x2029, 0xfeff, 0xfffd, 0xffff, 0x1f3a4,
                                  0x10ffff};
  GString *s = g_string_new(NULL);
  gsize want = (gsize)g_rand_int_range(rand, 1, (gint32)max_bytes + 1);
  while (s->len < want) {
    gsize before = s->len;
    switch (g_rand_int_range(rand, 0, 5)) {
    case 0:
      g_string_append_c(s, '\x1f');
      break;
    case 1:
      g_string_append_c(s, (char)g_rand_int_range(rand, 0x01, 0x20));
      break;
    case 2:
      g_string_append_c(s, "\"\\/\x7f"[g_rand_int_range(rand, 0, 4)]);
      break;
    case 3:
      g_string_append_unichar(s, wide[g_rand_int_range(rand, 0, G_N_ELEMENTS(wide))]);
      break;
    default:
      g_string_append_c(s, (char)g_rand_int_range(rand, 0x20, 0x7f));
      break;
    }
    if (s->len > max_bytes) /* keep whole characters within the bound */
      g_string_truncate(s, before);
    if (s->len == 0 && max_bytes < 4)
      g_string_append_c(s, 'x');
  }
  return g_string_free(s, FALSE);
}

static char *
ctltest_random_peer_id(GRand *rand)
{
  static const char chars[] = "abcXYZ019._-";
  char id[65];
  int n = g_rand_int_range(rand, 1, 65);
  for (int i = 0; i < n; i++)
    id[i] = chars[g_rand_int_range(rand, 0, sizeof chars - 1)];
  id[n] = '\0';
  return g_strdup(id);
}

/* Members the schema does not know, with random names and values. */
static void
ctltest_add_random_extras(GRand *rand, JsonObject *extra)
{
  for (int i = g_rand_int_range(rand, 0, 3); i > 0; i--) {
    g_autofree char *text = ctltest_random_text(rand, 16);
    g_autofree char *name = g_strconcat("x-", text, NULL);
    g_autofree char *value = ctltest_random_text(rand, 200);
    json_object_set_string_member(extra, name, value);
  }
}

/* Whatever the builders write, ctl_parse accepts with the id and the strings
 * intact: random ids and random string contents in every string field. */
static void
bug_unit_separator_builders_round_trip(void **state)
{
  GRand *rand = g_rand_new_with_seed(17002);
  for (int round = 0; round < 3000; round++) {
    g_autoptr(JsonObject) extra = json_object_new();
    gint64 id = g_rand_boolean(rand) ? g_rand_int_range(rand, 0, 1000)
                                     : (gint64)(((guint64)g_rand_int(rand) << 32 | g_rand_int(rand)) >> 1);
    g_autofree char *peer = ctltest_random_peer_id(rand);
    g_autofree char *s1 = ctltest_random_text(rand, 64);
    g_autofree char *s2 = ctltest_random_text(rand, 4000);
    const char *field = NULL, *want_name = NULL;
    g_autofree char *line = NULL;
    CtlKind want_kind;
    gint64 want_id = id;

    ctltest_add_random_extras(rand, extra);
    switch (round % 6) {
    case 0: /* peer.add: participant 1..64 bytes, offer any length */
      json_object_set_string_member(extra, "peer", peer);
      json_object_set_string_member(extra, "participant", s1);
      json_object_set_string_member(extra, "role", "interpreter");
      {
        JsonArray *tracks = json_array_new();
        json_array_add_string_element(tracks, "floor");
        json_array_add_string_element(tracks, "mic");
        json_object_set_array_member(extra, "tracks", tracks);
      }
      json_object_set_string_member(extra, "offer", s2);
      line = ctl_build_request(id, want_name = "peer.add", extra);
      want_kind = CTL_KIND_REQUEST;
      field = "offer";
      break;
    case 1:
      json_object_set_string_member(extra, "peer", peer);
      json_object_set_string_member(extra, "offer", s2);
      line = ctl_build_request(id, want_name = "peer.update", extra);
      want_kind = CTL_KIND_REQUEST;
      field = "offer";
      break;
    case 2:
      json_object_set_string_member(extra, "answer", s2);
      line = ctl_build_reply_ok(id, extra);
      want_kind = CTL_KIND_REPLY;
      field = "answer";
      break;
    case 3:
      if (round % 4 == 3)
        want_id = id = -1; /* "id": null */
      line = ctl_build_reply_error(id, s1, s2);
      want_kind = CTL_KIND_REPLY;
      field = "message";
      break;
    case 4:
      json_object_set_string_member(extra, "participant", s1);
      json_object_set_string_member(extra, "reason", s2);
      line = ctl_build_event(want_name = "peer.lost", peer, extra);
      want_kind = CTL_KIND_EVENT;
      want_id = -1;
      field = "reason";
      break;
    default:
      line = ctl_build_request(id, want_name = "ping", extra);
      want_kind = CTL_KIND_REQUEST;
      break;
    }

    CtlMessage msg;
    g_autofree char *detail = NULL;
    int rc = ctl_parse(line, strlen(line), &msg, &detail);
    if (rc != CTL_OK)
      print_error("round %d: %s\nrc %d: %s\n", round, line, rc, detail);
    assert_int_equal(rc, CTL_OK);
    assert_int_equal(msg.kind, want_kind);
    assert_int_equal(msg.id, want_id);
    if (want_name)
      assert_string_equal(msg.name, want_name);
    if (field)
      assert_string_equal(ctl_get_string(&msg, field), s2);
    if (round % 6 == 0)
      assert_string_equal(ctl_get_string(&msg, "participant"), s1);
    if (round % 6 == 3)
      assert_string_equal(ctl_get_string(&msg, "error"), s1);
    /* one line, and no raw control character on it */
    for (const char *p = line; *p; p++)
      assert_true((unsigned char)*p >= 0x20 || (*p == '\n' && p[1] == '\0'));
    ctl_message_clear(&msg);
  }
  g_rand_free(rand);
}

/* agenda.item (the recorder's item changes) and the venue events */
static void
test_venue_messages(void **state)
{
  (void)state;
  ctltest_expect("{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"wtpf-26\","
                 "\"session\":\"day-1-am\",\"item\":\"3\"}", CTL_OK, 3);
  ctltest_expect("{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"wtpf-26\","
                 "\"session\":\"day-1-am\",\"item\":null}", CTL_OK, 3);
  /* what signalling sends with no live session */
  ctltest_expect("{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"wtpf-26\","
                 "\"session\":null,\"item\":null}", CTL_OK, 3);
  const char *bad[] = {
    "{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"session\":\"s\",\"item\":\"3\"}",
    "{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"m\",\"session\":7}",
    "{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"..\",\"session\":\"s\"}",
    "{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"m\",\"session\":\"a/b\"}",
    "{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"m\",\"session\":\"s\",\"item\":3}",
    "{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"m\",\"session\":\"s\",\"item\":\"\"}",
    "{\"v\":1,\"id\":3,\"type\":\"agenda.item\",\"meeting\":\"m\",\"session\":\".hidden\"}",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    ctltest_expect(bad[i], CTL_EBADREQUEST, 3);
  ctltest_expect("{\"v\":1,\"event\":\"venue.state\",\"state\":\"lost\"}", CTL_OK, -1);
  ctltest_expect("{\"v\":1,\"event\":\"venue.state\",\"state\":\"gone\"}", CTL_EBADREQUEST, -1);
  ctltest_expect("{\"v\":1,\"event\":\"recording.state\",\"state\":\"error\","
                 "\"reason\":\"writing x: No space left on device\"}", CTL_OK, -1);
  ctltest_expect("{\"v\":1,\"event\":\"recording.state\",\"state\":\"recording\","
                 "\"meeting\":\"m\",\"session\":\"s\",\"item\":\"1\"}", CTL_OK, -1);
}

int
main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_requests),      cmocka_unit_test(test_valid_replies_and_events),
    cmocka_unit_test(test_bad_json),            cmocka_unit_test(test_bad_version),
    cmocka_unit_test(test_bad_request_envelope), cmocka_unit_test(test_bad_request_fields),
    cmocka_unit_test(test_audio_requests),
    cmocka_unit_test(test_venue_messages),
    cmocka_unit_test(test_unknown_type),        cmocka_unit_test(test_too_long),
    cmocka_unit_test(test_builders_round_trip), cmocka_unit_test(test_hostile_input),
    cmocka_unit_test(bug_limit_includes_newline),
    cmocka_unit_test(bug_escaped_nul_in_peer),
    cmocka_unit_test(bug_error_reply_null_code),
    cmocka_unit_test(bug_two_objects_one_line),
    cmocka_unit_test(bug_lenient_json),
    cmocka_unit_test(bug_unit_separator_in_offer),
    cmocka_unit_test(bug_duplicate_member_names),
    cmocka_unit_test(bug_lenient_numbers_and_escapes),
    cmocka_unit_test(bug_unit_separator_builders_round_trip),
  };
  return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
