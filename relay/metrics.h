/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal HTTP endpoint serving Prometheus text at GET /metrics (and a
 * 404 elsewhere). Meant for localhost: it has no authentication. */
#pragma once

#include <glib.h>

typedef struct MetricsServer MetricsServer;

/* Appends the exposition text to @out. */
typedef void (*MetricsRender)(GString *out, void *user);

/* Listens on @address:@port (0 picks a free port). Transfer full. */
MetricsServer *metrics_server_new(const char *address, int port, MetricsRender render, void *user,
                                  GError **error);
void metrics_server_free(MetricsServer *server);
/* The port actually bound. */
int metrics_server_port(const MetricsServer *server);
