/* SPDX-License-Identifier: Apache-2.0 */
/* The recorder: every product it is given (the floor and each channel),
 * per agenda item, as Ogg/Opus from the products' own packets (no
 * re-encode), in <dir>/<meeting>/<session>/<item>/<product>.opus
 * ("channel:fr" is channel-fr.opus), with <dir>/<meeting>/<session>/index.json
 * listing every file (item, product, start and end wall time, duration,
 * file, size).
 *
 * The main loop hands packets and agenda item changes over through one
 * bounded queue (queue.c), in order, so a file ends exactly at the packet
 * boundary where the item changed; a writer thread does every disk access.
 * The main loop never waits: when the writer falls behind the queue drops
 * and counts. A failing disk (full, unwritable) stops the recording with
 * a log line and an error state until the next agenda item retries; it
 * never touches the media. GError idiom for construction. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct Recorder Recorder;

typedef enum {
  RECORDER_IDLE,      /* no agenda item (or item null) */
  RECORDER_RECORDING, /* files are being written */
  RECORDER_ERROR,     /* stopped by a disk error until the next agenda item */
} RecorderState;

typedef struct {
  RecorderState state;
  char reason[256]; /* RECORDER_ERROR: what failed (path: strerror) */
  guint64 packets, bytes, files, errors;
  guint64 dropped;    /* packets the writer could not keep up with */
  guint32 generation; /* bumped at every state change, for the events */
} RecorderStats;

/* Records into @dir the products numbered 0..@n_products-1, named
 * @names (copied: "floor", "channel:fr"). Starts the writer thread.
 * Transfer full. */
Recorder *recorder_new(const char *dir, const char *const *names, unsigned n_products,
                       GError **error);
/* Closes every file (an end-of-stream page each) and the index. */
void recorder_free(Recorder *r);

/* Main loop: one product packet (RTP, borrowed). Never blocks. */
void recorder_packet(Recorder *r, int product, const uint8_t *rtp, size_t len);
/* Main loop: the agenda item changes; @item NULL stops recording (then
 * @session may be ""). The names are checked by the caller (control.c:
 * file-safe). */
void recorder_set_item(Recorder *r, const char *meeting, const char *session, const char *item);

void recorder_stats(Recorder *r, RecorderStats *out);
/* "idle", "recording", "error" (static). */
const char *recorder_state_name(RecorderState s);
