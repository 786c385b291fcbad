/* SPDX-License-Identifier: Apache-2.0 */
/* The relay: the ICE-lite agent, the DTLS identity, the floor product and
 * its fan-out to every connected peer, and the control link that adds and
 * removes peers. Runs on the thread-default GMainContext. */
#pragma once

#include <glib.h>

#include "relay_config.h"

typedef struct Relay Relay;

/* @cfg is borrowed and must outlive the relay. Transfer full. */
Relay *relay_new(const RelayConfig *cfg, GError **error);
void relay_free(Relay *relay);

/* The SHA-256 fingerprint of this run's DTLS certificate (borrowed). */
const char *relay_fingerprint(const Relay *relay);
/* The port of the /metrics endpoint, or -1 when it is off. */
int relay_metrics_port(const Relay *relay);
