/* SPDX-License-Identifier: Apache-2.0 */
/* Client side of the control link (docs/control.md): connects to the
 * relay's Unix socket, sends requests built by ctl_build_request(), matches
 * replies by id, forwards events. Reconnects every 500 ms while the relay
 * is away. Runs on the thread-default GMainContext; GError idiom. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define RELAY_CLIENT_ERROR (relay_client_error_quark())
GQuark relay_client_error_quark(void);

typedef enum {
  RELAY_CLIENT_ERROR_DISCONNECTED, /* not connected, or the link dropped */
  RELAY_CLIENT_ERROR_TIMEOUT,      /* no reply in time */
  RELAY_CLIENT_ERROR_REMOTE,       /* the relay replied ok:false */
} RelayClientError;

#define RELAY_CLIENT_RETRY_MS 500
#define RELAY_CLIENT_TIMEOUT_MS 10000

typedef struct RelayClient RelayClient;

/* Called once per request. On success @reply is the reply object (transfer
 * none) and @error NULL; otherwise @reply is NULL and @error says why (for
 * RELAY_CLIENT_ERROR_REMOTE the message is "<code>: <text>" and
 * @remote_code the wire code). */
typedef void (*RelayReplyFunc)(JsonObject *reply, const GError *error,
                               const char *remote_code, gpointer user_data);
/* Called for each event; @event, @peer and @msg are transfer none. */
typedef void (*RelayEventFunc)(const char *event, const char *peer, JsonObject *msg,
                               gpointer user_data);
/* Called when the link goes up (TRUE) or down (FALSE). May be NULL. */
typedef void (*RelayStateFunc)(gboolean connected, gpointer user_data);

/* Starts connecting to @socket_path. Returns the client (transfer full). */
RelayClient *relay_client_new(const char *socket_path, RelayEventFunc on_event,
                              RelayStateFunc on_state, gpointer user_data);
/* Closes the link; callbacks of pending requests are not called. */
void relay_client_free(RelayClient *rc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RelayClient, relay_client_free)

gboolean relay_client_is_connected(RelayClient *rc);

/* Sends a request of @type with the members of @fields (transfer none, may
 * be NULL). @on_reply is called later, never from inside this call. Returns
 * FALSE with RELAY_CLIENT_ERROR_DISCONNECTED if the link is down. */
gboolean relay_client_request(RelayClient *rc, const char *type, JsonObject *fields,
                              RelayReplyFunc on_reply, gpointer user_data, GError **error);
