/* SPDX-License-Identifier: Apache-2.0 */
#include "turn.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

int
turn_credentials(const char *secret, const char *badge, gint64 now, gint64 ttl, char **username,
                 char **password)
{
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  char *user;

  *username = *password = NULL;
  if (!secret || !*secret || !badge || !*badge || strchr(badge, ':'))
    return -EINVAL;
  user = g_strdup_printf("%" G_GINT64_FORMAT ":%s", now + ttl, badge);
  if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)user, strlen(user),
            mac, &mac_len)) {
    g_free(user);
    return -EIO;
  }
  *username = user;
  *password = g_base64_encode(mac, mac_len);
  return 0;
}

JsonNode *
turn_ice_servers(char *const *urls, const char *secret, const char *badge, gint64 now, gint64 ttl)
{
  g_autofree char *user = NULL, *pass = NULL;
  if (!urls || !urls[0] || turn_credentials(secret, badge, now, ttl, &user, &pass) < 0)
    return NULL;
  JsonArray *list = json_array_new();
  for (char *const *u = urls; *u; u++)
    json_array_add_string_element(list, *u);
  JsonObject *server = json_object_new();
  json_object_set_array_member(server, "urls", list);
  json_object_set_string_member(server, "username", user);
  json_object_set_string_member(server, "credential", pass);
  JsonArray *servers = json_array_new();
  json_array_add_object_element(servers, server);
  JsonNode *node = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(node, servers);
  return node;
}
