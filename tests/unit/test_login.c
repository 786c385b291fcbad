/* SPDX-License-Identifier: Apache-2.0 */
/* login.c and ratelimit.c: the POST /api/login logic without a server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "login.h"
#include "passhash.h"
#include "token.h"

#include <string.h>

typedef struct {
  Roster *roster;
  RateLimit *rl;
  RateLimit *addr_rl;
  char *dummy;
  LoginContext ctx;
} Fixture;

static const guint8 key[32] = "0123456789abcdef0123456789abcdef";
#define NOW_US (G_GINT64_CONSTANT(1780000000) * G_USEC_PER_SEC)

static int
setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_autofree char *h = NULL;
  passhash_hash("floor-4401", PASSHASH_MIN_ITERATIONS, &h);
  passhash_hash("dummy", PASSHASH_MIN_ITERATIONS, &f->dummy);
  g_autofree char *csv = g_strdup_printf("badge,name,entity,category,roles,code_hash\n"
                                         "WTPF-0001,Amina Okafor,Nigeria,member_state,delegate,%s\n",
                                         h);
  if (roster_parse(csv, strlen(csv), &f->roster, NULL) < 0)
    return -1;
  f->rl = ratelimit_new(LOGIN_MAX_FAILURES, LOGIN_WINDOW_US);
  f->addr_rl = ratelimit_new(LOGIN_MAX_ADDRESS_FAILURES, LOGIN_WINDOW_US);
  f->ctx = (LoginContext){.roster = f->roster, .limiter = f->rl, .addr_limiter = f->addr_rl,
                          .key = key, .key_len = sizeof key, .ttl = 600, .dummy_hash = f->dummy};
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fixture *f = *state;
  roster_free(f->roster);
  ratelimit_free(f->rl);
  ratelimit_free(f->addr_rl);
  g_free(f->dummy);
  g_free(f);
  return 0;
}

static guint
login(Fixture *f, const char *body, gint64 now, char **resp)
{
  return login_handle(&f->ctx, body, strlen(body), now, resp);
}

static void
test_success(void **state)
{
  Fixture *f = *state;
  g_autofree char *resp = NULL, *badge = NULL;
  assert_int_equal(login(f, "{\"badge\":\"WTPF-0001\",\"code\":\"floor-4401\"}", NOW_US, &resp), 200);
  g_autoptr(JsonParser) p = json_parser_new();
  assert_true(json_parser_load_from_data(p, resp, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(p));
  assert_int_equal(json_object_get_int_member(o, "expires_at"), 1780000000 + 600);
  JsonObject *part = json_object_get_object_member(o, "participant");
  assert_string_equal(json_object_get_string_member(part, "category"), "member_state");
  assert_string_equal(json_object_get_string_member(part, "name"), "Amina Okafor");
  assert_int_equal(token_verify(key, sizeof key, json_object_get_string_member(o, "token"),
                                1780000001, &badge, NULL),
                   TOKEN_OK);
  assert_string_equal(badge, "WTPF-0001");
  assert_false(json_object_has_member(o, "ice_servers")); /* no TURN configured */
}

/* With TURN configured, the login carries credentials for this badge. */
static void
test_success_with_turn(void **state)
{
  Fixture *f = *state;
  char *urls[] = {"turn:127.0.0.1:3478?transport=udp", NULL};
  g_autofree char *resp = NULL;
  f->ctx.turn_urls = urls;
  f->ctx.turn_secret = "0123456789abcdef";
  f->ctx.turn_ttl = 3600;
  assert_int_equal(login(f, "{\"badge\":\"WTPF-0001\",\"code\":\"floor-4401\"}", NOW_US, &resp), 200);
  g_autoptr(JsonParser) p = json_parser_new();
  assert_true(json_parser_load_from_data(p, resp, -1, NULL));
  JsonObject *o = json_node_get_object(json_parser_get_root(p));
  JsonArray *servers = json_object_get_array_member(o, "ice_servers");
  assert_non_null(servers);
  JsonObject *s0 = json_array_get_object_element(servers, 0);
  assert_string_equal(json_object_get_string_member(s0, "username"), "1780003600:WTPF-0001");
  assert_non_null(json_object_get_string_member(s0, "credential"));
}

static void
test_wrong_and_unknown_same_answer(void **state)
{
  Fixture *f = *state;
  g_autofree char *a = NULL, *b = NULL;
  assert_int_equal(login(f, "{\"badge\":\"WTPF-0001\",\"code\":\"nope\"}", NOW_US, &a), 401);
  assert_int_equal(login(f, "{\"badge\":\"WTPF-9999\",\"code\":\"nope\"}", NOW_US, &b), 401);
  assert_string_equal(a, b);
  assert_string_equal(a, "{\"error\":\"wrong_credentials\","
                         "\"message\":\"Badge number or access code is not correct.\"}");
}

static void
test_bad_request(void **state)
{
  Fixture *f = *state;
  static const char *const bodies[] = {
    "", "{", "[]", "{\"badge\":\"WTPF-0001\"}", "{\"badge\":1,\"code\":\"x\"}",
    "{\"badge\":\"\",\"code\":\"x\"}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
    g_autofree char *resp = NULL;
    assert_int_equal(login(f, bodies[i], NOW_US, &resp), 400);
    assert_non_null(strstr(resp, "\"bad_request\""));
  }
}

static void
test_rate_limit(void **state)
{
  Fixture *f = *state;
  for (int i = 0; i < LOGIN_MAX_FAILURES; i++) {
    g_autofree char *resp = NULL;
    assert_int_equal(login(f, "{\"badge\":\"WTPF-0001\",\"code\":\"x\"}", NOW_US + i, &resp), 401);
  }
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;
  /* Blocked even with the right code, until the window has passed. */
  assert_int_equal(login(f, "{\"badge\":\"WTPF-0001\",\"code\":\"floor-4401\"}", NOW_US + 10, &r1), 429);
  assert_non_null(strstr(r1, "too_many_attempts"));
  assert_int_equal(login(f, "{\"badge\":\"WTPF-0001\",\"code\":\"floor-4401\"}",
                         NOW_US + LOGIN_WINDOW_US + 10, &r2), 200);
  /* Other badges are not affected. */
  assert_int_equal(login(f, "{\"badge\":\"WTPF-0002\",\"code\":\"x\"}", NOW_US + 11, &r3), 401);
}

/* As the HTTP server does it: begin (with the client's address), verify,
 * finish. */
static guint
login_from(Fixture *f, const char *address, const char *badge, const char *code, gint64 now)
{
  g_autofree char *body = g_strdup_printf("{\"badge\":\"%s\",\"code\":\"%s\"}", badge, code);
  g_autofree char *resp = NULL;
  LoginJob *job = NULL;
  guint status = login_begin(&f->ctx, body, strlen(body), now, address, &job, &resp);
  if (job) {
    login_job_verify(job);
    g_free(resp);
    resp = NULL;
    status = login_finish(&f->ctx, job, now, &resp);
    login_job_free(job);
  }
  return status;
}

/* 1000 wrong codes from one address, each for another badge (so no badge's
 * own limit is reached): throttled per address after 30; the right code
 * from that address is refused too, from another address it works. */
static void
test_rate_limit_per_address(void **state)
{
  Fixture *f = *state;
  int wrong = 0, throttled = 0;
  for (int i = 0; i < 1000; i++) {
    g_autofree char *badge = g_strdup_printf("WTPF-%04d", 2000 + i);
    guint st = login_from(f, "192.0.2.7", badge, "guess", NOW_US + i);
    wrong += st == 401;
    throttled += st == 429;
  }
  print_message("1000 wrong codes from one address: %d answered 401, %d throttled (429)\n", wrong,
                throttled);
  assert_int_equal(wrong, LOGIN_MAX_ADDRESS_FAILURES);
  assert_int_equal(throttled, 1000 - LOGIN_MAX_ADDRESS_FAILURES);
  assert_int_equal(login_from(f, "192.0.2.7", "WTPF-0001", "floor-4401", NOW_US + 2000), 429);
  assert_int_equal(login_from(f, "198.51.100.9", "WTPF-0001", "floor-4401", NOW_US + 2001), 200);
  /* a success elsewhere does not lift the address's block */
  assert_int_equal(login_from(f, "192.0.2.7", "WTPF-0001", "floor-4401", NOW_US + 2002), 429);
  assert_int_equal(login_from(f, "192.0.2.7", "WTPF-0001", "floor-4401",
                              NOW_US + 1000 + LOGIN_WINDOW_US), 200);
}

static void
test_ratelimit_window(void **state)
{
  g_autoptr(RateLimit) rl = ratelimit_new(2, 100);
  assert_false(ratelimit_blocked(rl, "a", 0));
  ratelimit_fail(rl, "a", 0);
  ratelimit_fail(rl, "a", 50);
  assert_true(ratelimit_blocked(rl, "a", 60));
  assert_false(ratelimit_blocked(rl, "b", 60));
  assert_false(ratelimit_blocked(rl, "a", 101)); /* first failure expired */
  assert_true(ratelimit_blocked(rl, "a", 100) == FALSE);
  ratelimit_fail(rl, "a", 120);
  assert_true(ratelimit_blocked(rl, "a", 130));
  ratelimit_reset(rl, "a");
  assert_false(ratelimit_blocked(rl, "a", 130));
  assert_int_equal(ratelimit_size(rl), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_success, setup, teardown),
    cmocka_unit_test_setup_teardown(test_success_with_turn, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wrong_and_unknown_same_answer, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_request, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rate_limit_per_address, setup, teardown),
    cmocka_unit_test(test_ratelimit_window),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
