/* SPDX-License-Identifier: Apache-2.0 */
/* RTP sequence-number and timestamp continuity for one output stream whose
 * packets come from several sources in turn: a channel carries its own
 * encoder's packets while an interpreter is live and the floor's forwarded
 * packets while the booth is off. Listeners must see one stream.
 *
 * Rules (the engine relies on them):
 * - every packet sent gets the previous output seq + 1: a packet lost
 *   before the relay is not a gap in the output (listeners see no loss);
 * - within one source the output ts advances by that source's ts delta, so
 *   loss and DTX pauses stay gaps in time;
 * - on a switch of source (or a source's ts jumping backwards or by more
 *   than SEQMAP_MAX_TS_GAP) the output ts advances by the samples the caller
 *   says have elapsed since the previous output packet, and the marker bit
 *   is set (RFC 3551 4.1: first packet after a discontinuity);
 * - a packet that is not newer than the previous one of the same source
 *   (duplicate or reordered) is refused: the output never goes backwards.
 *
 * Pure value type: embed it, no allocation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "frame.h"

#define SEQMAP_MAX_TS_GAP (10u * AUDIO_RATE) /* 10 s within one source */

/* Fields are private. */
typedef struct {
  bool started;
  uint32_t source; /* source of the previous packet */
  uint16_t in_seq; /* previous packet's input seq and ts */
  uint32_t in_ts;
  uint16_t out_seq; /* previous packet's output seq and ts */
  uint32_t out_ts;
} SeqMap;

typedef struct {
  uint16_t seq;
  uint32_t ts;
  bool marker;
} SeqMapOut;

/* The first packet will carry @first_seq and @first_ts (random per RFC
 * 3550 5.1, chosen by the caller). */
void seqmap_init(SeqMap *m, uint16_t first_seq, uint32_t first_ts);

/* Maps the next packet to send: from @source (any id the caller keeps
 * stable per source), with input @in_seq and @in_ts. @elapsed is the number
 * of samples since the previous output packet; it is used on the first
 * packet after a switch and must then be > 0. Fills @out (transfer none).
 * Returns 0, -ESTALE (not newer than the previous packet of the same
 * source: do not send it; nothing changed) or -EINVAL (switch with
 * @elapsed 0). */
int seqmap_next(SeqMap *m, uint32_t source, uint16_t in_seq, uint32_t in_ts, uint32_t elapsed,
                SeqMapOut *out);
