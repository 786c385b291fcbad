/* SPDX-License-Identifier: Apache-2.0 */
/* The delegate WebSocket at /ws (docs/websocket.md): JSON text messages,
 * table dispatch on "type", join/leave through the relay, attendance rows.
 * Loop thread only. */
#pragma once

#include "app.h"

#include <libwebsockets.h>

/* lws protocol callback (protocols[0]). */
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                size_t len);

/* Relay link callbacks (see relay_client.h); @user_data is the SigApp. */
void ws_on_relay_event(const char *event, const char *peer, JsonObject *msg, gpointer user_data);
void ws_on_relay_state(gboolean connected, gpointer user_data);

/* Frees the seats adopted after a restart that no page has resumed yet,
 * without writing anything (shutdown: the next process adopts them). */
void ws_drop_seats(SigApp *app);
