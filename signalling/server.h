/* SPDX-License-Identifier: Apache-2.0 */
/* HTTPS + WebSocket front door: libwebsockets on the GLib main loop.
 * Serves web/ at "/", the JSON API at "/api" (docs/websocket.md) and the
 * WebSocket at "/ws" (ws.c). Loop thread only; GError idiom. */
#pragma once

#include "app.h"

/* Largest accepted HTTP body and WebSocket message; bigger WebSocket
 * messages close the connection with 1009. */
#define SERVER_MAX_MESSAGE 65536

/* Creates the lws context and starts listening; app->port gets the real
 * port (useful with listen_port = 0). */
gboolean server_start(SigApp *app, GError **error);
/* Destroys the lws context (idempotent). */
void server_stop(SigApp *app);
