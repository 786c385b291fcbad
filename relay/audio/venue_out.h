/* SPDX-License-Identifier: Apache-2.0 */
/* The products out to the venue as RTP (venue_out): each stream one
 * product (the floor, a channel, or the remote speakers alone for the PA)
 * to one address, with an SDP file each (venue_out_sdp_dir) for the venue's
 * receivers.
 *
 * L24/L16 (AES67-style, 1 ms packets, 48 kHz mono): the product's PCM as
 * listeners hear it (after its limiter) from the engine's tap, through a
 * GStreamer pipeline (appsrc ! rtpL24pay ! udpsink, sync on the clock, so
 * the 1 ms packets are paced). Its clock is GstPtpClock when
 * venue_ptp_domain is set and PTP syncs, else the system clock; the
 * pipeline's base time is 0, so RTP timestamps follow the clock (AES67's
 * mediaclk:direct=0).
 * Opus: the product's own packets (no re-encode), sent from the main loop
 * with the stream's own SSRC; the remote speakers alone, which listeners
 * never get, are encoded for it in the pipeline.
 * GError idiom for construction. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "relay_config.h"

typedef struct VenueOut VenueOut;

typedef struct {
  guint64 packets; /* Opus passthrough packets sent */
  guint64 frames;  /* PCM frames handed to the pipeline */
  guint64 errors;  /* sends that failed, frames the pipeline refused */
  gboolean ptp;    /* the pipeline runs on a PTP clock */
} VenueOutStats;

/* @products[i]: the tap's product number of @cfg->venue_out[i]
 * (AUDIO_PRODUCT_FLOOR, a channel, or AUDIO_TAP_REMOTE). Transfer full. */
VenueOut *venue_out_new(const RelayConfig *cfg, const int *products, GError **error);
void venue_out_free(VenueOut *o);

/* Engine thread: one frame (AUDIO_FRAME samples, borrowed) of @product. */
void venue_out_pcm(VenueOut *o, int product, const float *pcm);
/* Main loop: one RTP packet of @product (borrowed). */
void venue_out_packet(VenueOut *o, int product, const uint8_t *rtp, size_t len);

void venue_out_stats(VenueOut *o, VenueOutStats *out);

/* The SDP of one stream (transfer full). @refclk: the a=ts-refclk value
 * ("local" or "ptp=IEEE1588-2008:..."). */
char *venue_out_sdp(const VenueOutSpec *spec, unsigned pt, uint32_t ssrc, const char *refclk);
