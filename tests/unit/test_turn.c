/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "turn.h"

static void
rest_api_vector(void **state)
{
  char *user, *pass;
  assert_int_equal(turn_credentials("0123456789abcdef", "WTPF-0001", 1700000000, 3600, &user, &pass),
                   0);
  assert_string_equal(user, "1700003600:WTPF-0001");
  /* python3: base64(hmac.new(b"0123456789abcdef", user, sha1).digest()) */
  assert_string_equal(pass, "OglT3rpZRBjRt36lj2L33chIodQ=");
  g_free(user);
  g_free(pass);
}

static void
refuses_bad_input(void **state)
{
  char *user, *pass;
  assert_int_equal(turn_credentials("", "B", 1, 1, &user, &pass), -EINVAL);
  assert_null(user);
  assert_int_equal(turn_credentials("secret", "", 1, 1, &user, &pass), -EINVAL);
  /* a colon would let a badge forge another expiry */
  assert_int_equal(turn_credentials("secret", "9999999999:X", 1, 1, &user, &pass), -EINVAL);
}

static void
ice_servers_json(void **state)
{
  char *urls[] = {"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp", NULL};
  char *none[] = {NULL};
  JsonNode *n = turn_ice_servers(urls, "0123456789abcdef", "WTPF-0001", 1700000000, 3600);
  assert_non_null(n);
  JsonObject *s = json_array_get_object_element(json_node_get_array(n), 0);
  assert_int_equal(json_array_get_length(json_object_get_array_member(s, "urls")), 2);
  assert_string_equal(json_object_get_string_member(s, "username"), "1700003600:WTPF-0001");
  assert_string_equal(json_object_get_string_member(s, "credential"),
                      "OglT3rpZRBjRt36lj2L33chIodQ=");
  json_node_unref(n);
  assert_null(turn_ice_servers(none, "secret", "B", 1, 1));
  assert_null(turn_ice_servers(NULL, "secret", "B", 1, 1));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(rest_api_vector),
    cmocka_unit_test(refuses_bad_input),
    cmocka_unit_test(ice_servers_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
