/* SPDX-License-Identifier: Apache-2.0 */
/* The floor product: a GStreamer pipeline that makes the floor audio and
 * encodes it once (Opus 48 kHz, 20 ms) into RTP. Each packet is handed to
 * the caller on the caller's GMainContext, ready to be fanned out. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "relay_config.h"

typedef struct Floor Floor;

/* @rtp is borrowed for the duration of the call. */
typedef void (*FloorPacketFunc)(const uint8_t *rtp, size_t len, void *user);

/* Builds and starts the pipeline. @ssrc is the floor stream's SSRC.
 * Transfer full. */
Floor *floor_new(const RelayConfig *cfg, uint32_t ssrc, GMainContext *ctx, FloorPacketFunc func,
                 void *user, GError **error);
void floor_free(Floor *floor);

/* The gst-launch description floor_new() would build (transfer full). */
char *floor_describe(const RelayConfig *cfg, uint32_t ssrc);
