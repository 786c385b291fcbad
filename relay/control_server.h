/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's end of the control link: a Unix stream socket carrying JSON
 * lines (docs/control.md). It frames and validates lines; requests go to the
 * handler, whose reply line is written back; events go to every client. */
#pragma once

#include <glib.h>

#include "control.h"

typedef struct ControlServer ControlServer;

/* Returns the reply line for a valid request (transfer full). */
typedef char *(*ControlHandler)(const CtlMessage *request, void *user);

/* Listens on @path (a stale socket file is replaced). Transfer full. */
ControlServer *control_server_new(const char *path, ControlHandler handler, void *user,
                                  GError **error);
void control_server_free(ControlServer *server);

/* Writes @line (borrowed, newline-terminated) to every connected client. */
void control_server_broadcast(ControlServer *server, const char *line);
