/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "token.h"

#include <string.h>

static const guint8 key[32] = "0123456789abcdef0123456789abcdef";
static const guint8 other_key[32] = "fedcba9876543210fedcba9876543210";
#define NOW 1780000000

static char *
sign(void)
{
  char *t = NULL;
  if (token_sign(key, sizeof key, "WTPF-0001", NOW, 3600, &t) != TOKEN_OK)
    fail_msg("token_sign failed");
  return t;
}

static void
test_valid(void **state)
{
  g_autofree char *t = sign();
  g_autofree char *badge = NULL;
  gint64 exp = 0;
  assert_null(strchr(t, '='));
  assert_null(strchr(t, '+'));
  assert_int_equal(token_verify(key, sizeof key, t, NOW + 10, &badge, &exp), TOKEN_OK);
  assert_string_equal(badge, "WTPF-0001");
  assert_int_equal(exp, NOW + 3600);
  g_autofree char *t2 = sign();
  assert_string_not_equal(t, t2); /* nonce */
}

static void
test_expired(void **state)
{
  g_autofree char *t = sign();
  char *badge = (char *)0x1;
  assert_int_equal(token_verify(key, sizeof key, t, NOW + 3600, &badge, NULL), TOKEN_EEXPIRED);
  assert_null(badge);
  assert_string_equal(token_error_name(TOKEN_EEXPIRED), "expired");
}

static void
test_tampered_payload(void **state)
{
  g_autofree char *t = sign();
  char *badge = NULL;
  t[5] = t[5] == 'A' ? 'B' : 'A';
  assert_int_equal(token_verify(key, sizeof key, t, NOW, &badge, NULL), TOKEN_EBADSIG);
  assert_null(badge);
}

static void
test_forged_payload(void **state)
{
  /* Replace the payload with another badge's, keep the signature. */
  g_autofree char *t = sign();
  const char *payload = "{\"b\":\"WTPF-0002\",\"iat\":1780000000,\"exp\":1790000000,\"n\":\"00\"}";
  g_autofree char *p64 = g_base64_encode((const guint8 *)payload, strlen(payload));
  for (char *c = p64; *c; c++)
    *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
  char *eq = strchr(p64, '=');
  if (eq)
    *eq = '\0';
  gsize dot = (gsize)(strchr(t, '.') - t);
  g_autofree char *forged = g_strconcat(p64, t + dot, NULL);
  char *badge = NULL;
  assert_int_equal(token_verify(key, sizeof key, forged, NOW, &badge, NULL), TOKEN_EBADSIG);
}

static void
test_tampered_signature(void **state)
{
  g_autofree char *t = sign();
  char *badge = NULL;
  gsize i = (gsize)(strchr(t, '.') - t) + 3;
  t[i] = t[i] == 'A' ? 'B' : 'A';
  assert_int_equal(token_verify(key, sizeof key, t, NOW, &badge, NULL), TOKEN_EBADSIG);
}

static void
test_wrong_key(void **state)
{
  g_autofree char *t = sign();
  char *badge = NULL;
  assert_int_equal(token_verify(other_key, sizeof other_key, t, NOW, &badge, NULL),
                   TOKEN_EBADSIG);
}

/* Flips the lowest unused bit of the last character of @part (the @len
 * characters at @s): a non-canonical spelling of the same bytes. */
static void
flip_padding_bit(char *s, gsize len)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  assert_true(len % 4 == 2 || len % 4 == 3); /* there are unused bits */
  const char *at = strchr(alphabet, s[len - 1]);
  assert_non_null(at);
  assert_int_equal((at - alphabet) & 1, 0); /* canonical: unused bits are zero */
  s[len - 1] = alphabet[(at - alphabet) | 1];
}

static void
test_noncanonical_signature(void **state)
{
  g_autofree char *t = sign();
  char *badge = NULL;
  char *sig = strchr(t, '.') + 1;
  assert_int_equal(strlen(sig), 43);
  flip_padding_bit(sig, strlen(sig));
  assert_int_equal(token_verify(key, sizeof key, t, NOW, &badge, NULL), TOKEN_EMALFORMED);
  assert_null(badge);
}

static void
test_noncanonical_payload(void **state)
{
  /* Badges of three lengths: at least one leaves unused bits in the payload. */
  static const char *const badges[] = {"WTPF-0001", "WTPF-00012", "WTPF-000123"};
  gboolean tried = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(badges); i++) {
    g_autofree char *t = NULL;
    char *badge = NULL;
    assert_int_equal(token_sign(key, sizeof key, badges[i], NOW, 3600, &t), TOKEN_OK);
    gsize len = (gsize)(strchr(t, '.') - t);
    if (len % 4 == 0)
      continue;
    flip_padding_bit(t, len);
    assert_int_equal(token_verify(key, sizeof key, t, NOW, &badge, NULL), TOKEN_EMALFORMED);
    assert_null(badge);
    tried = TRUE;
  }
  assert_true(tried);
}

static void
test_padded_or_foreign(void **state)
{
  /* '=' padding, the standard alphabet's '+' and '/', and a length of 4n+1
   * are all refused, wherever they are. */
  static const char *const suffix[] = {"=", "==", "+", "/", "A"};
  char *badge = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(suffix); i++) {
    g_autofree char *t = sign();
    char *dot = strchr(t, '.');
    gboolean lengthen = suffix[i][0] == 'A'; /* pad with 'A' up to 4n+1 */
    g_autofree char *sig_tail = lengthen ? g_strnfill(5 - strlen(dot + 1) % 4, 'A')
                                         : g_strdup(suffix[i]);
    g_autofree char *p_tail = lengthen ? g_strnfill(5 - (gsize)(dot - t) % 4, 'A')
                                       : g_strdup(suffix[i]);
    g_autofree char *sig_bad = g_strconcat(t, sig_tail, NULL);
    assert_int_equal(token_verify(key, sizeof key, sig_bad, NOW, &badge, NULL),
                     TOKEN_EMALFORMED);
    *dot = '\0';
    g_autofree char *payload_bad = g_strconcat(t, p_tail, ".", dot + 1, NULL);
    assert_int_equal(token_verify(key, sizeof key, payload_bad, NOW, &badge, NULL),
                     TOKEN_EMALFORMED);
  }
  assert_null(badge);
}

static void
test_garbage(void **state)
{
  static const char *const bad[] = {
    "", ".", "abc", "abc.", ".abc", "a.b.c", "!!!!.????", "eyJ9.AAAA",
    "eyJiIjoiV1RQRi0wMDAxIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* short sig */
  };
  char *badge = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_int_equal(token_verify(key, sizeof key, bad[i], NOW, &badge, NULL),
                     TOKEN_EMALFORMED);
  assert_int_equal(token_verify(key, sizeof key, NULL, NOW, &badge, NULL), TOKEN_EMALFORMED);
  g_autofree char *huge = g_strnfill(5000, 'A');
  assert_int_equal(token_verify(key, sizeof key, huge, NOW, &badge, NULL), TOKEN_EMALFORMED);
  assert_null(badge);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid),
    cmocka_unit_test(test_expired),
    cmocka_unit_test(test_tampered_payload),
    cmocka_unit_test(test_forged_payload),
    cmocka_unit_test(test_tampered_signature),
    cmocka_unit_test(test_wrong_key),
    cmocka_unit_test(test_garbage),
    cmocka_unit_test(test_noncanonical_signature),
    cmocka_unit_test(test_noncanonical_payload),
    cmocka_unit_test(test_padded_or_foreign),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
