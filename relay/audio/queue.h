/* SPDX-License-Identifier: Apache-2.0 */
/* A bounded queue of small packets between two threads (microphone packets
 * into the engine, product packets out of it): fixed slots allocated once,
 * one lock, copy in and copy out, so the steady state allocates nothing. A
 * push to a full queue drops the packet and counts it: neither side ever
 * waits for the other. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct AudioQueue AudioQueue;

typedef struct {
  int32_t tag;  /* what the packet belongs to (a mic or a product) */
  uint32_t aux; /* a generation, or 0 */
  gint64 t_us;  /* when it was pushed (monotonic) */
  size_t len;
} AudioQueueItem;

/* @slots packets of at most @slot_size bytes. Transfer full. */
AudioQueue *audio_queue_new(unsigned slots, size_t slot_size);
void audio_queue_free(AudioQueue *q);

/* Copies @data in. Returns false (and counts a drop) when full or too long. */
bool audio_queue_push(AudioQueue *q, int32_t tag, uint32_t aux, const uint8_t *data, size_t len);

/* Copies the oldest packet into @data (@cap bytes) and fills @item.
 * Returns false when empty. */
bool audio_queue_pop(AudioQueue *q, AudioQueueItem *item, uint8_t *data, size_t cap);

unsigned audio_queue_length(AudioQueue *q);
guint64 audio_queue_dropped(AudioQueue *q);
