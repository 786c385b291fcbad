/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's side of venue audio (main loop thread): the venue feed's
 * state as control-link events (`venue.state`) and metrics, the recorder
 * of every product per agenda item (`agenda.item`, `recording.state`) and
 * the products out to the venue as RTP. docs/audio.md, "Venue audio". */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Relay Relay;
typedef struct RelayVenue RelayVenue;

/* Starts the venue outputs and the recorder the config asks for, and the
 * watch on the venue feed. @relay is borrowed and outlives it. Transfer
 * full. */
RelayVenue *relay_venue_new(Relay *relay, GError **error);
void relay_venue_free(RelayVenue *rv);

/* Every product packet on its way to the fan-out (borrowed). */
void relay_venue_packet(RelayVenue *rv, int product, const uint8_t *rtp, size_t len);

/* "venue.state" / "recording.state" for the audio.state reply (static). */
const char *relay_venue_state(RelayVenue *rv);
const char *relay_venue_recording_state(RelayVenue *rv);

/* Its part of /metrics. */
void relay_venue_metrics(RelayVenue *rv, GString *out);
