/* SPDX-License-Identifier: Apache-2.0 */
/* Time-limited TURN credentials in coturn's REST-API scheme
 * (use-auth-secret): username "<expiry>:<badge>", password
 * base64(HMAC-SHA1(secret, username)). Pure: negative errno codes. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* Makes the pair valid until @now + @ttl (seconds). *username and
 * *password are transfer full. Returns 0, or -EINVAL for an empty secret or
 * badge, -EIO if HMAC fails. */
int turn_credentials(const char *secret, const char *badge, gint64 now, gint64 ttl,
                     char **username, char **password);

/* The RTCIceServer list a browser passes to RTCPeerConnection:
 * [{"urls":[...],"username":..,"credential":..}], or NULL when @urls is
 * empty or NULL. Transfer full. */
JsonNode *turn_ice_servers(char *const *urls, const char *secret, const char *badge, gint64 now,
                           gint64 ttl);
