/* SPDX-License-Identifier: Apache-2.0 */
#include "queue.h"

#include <string.h>

struct AudioQueue {
  GMutex lock;
  unsigned slots, head, count;
  size_t slot_size;
  AudioQueueItem *items;
  uint8_t *data;
  guint64 dropped;
};

AudioQueue *
audio_queue_new(unsigned slots, size_t slot_size)
{
  AudioQueue *q = g_new0(AudioQueue, 1);
  g_mutex_init(&q->lock);
  q->slots = slots;
  q->slot_size = slot_size;
  q->items = g_new0(AudioQueueItem, slots);
  q->data = g_malloc((gsize)slots * slot_size);
  return q;
}

void
audio_queue_free(AudioQueue *q)
{
  if (!q)
    return;
  g_mutex_clear(&q->lock);
  g_free(q->items);
  g_free(q->data);
  g_free(q);
}

bool
audio_queue_push(AudioQueue *q, int32_t tag, uint32_t aux, const uint8_t *data, size_t len)
{
  gint64 now = g_get_monotonic_time();
  bool ok = false;
  g_mutex_lock(&q->lock);
  if (q->count < q->slots && len <= q->slot_size) {
    unsigned i = (q->head + q->count) % q->slots;
    q->items[i] = (AudioQueueItem){tag, aux, now, len};
    memcpy(q->data + (size_t)i * q->slot_size, data, len);
    q->count++;
    ok = true;
  } else {
    q->dropped++;
  }
  g_mutex_unlock(&q->lock);
  return ok;
}

bool
audio_queue_pop(AudioQueue *q, AudioQueueItem *item, uint8_t *data, size_t cap)
{
  bool ok = false;
  g_mutex_lock(&q->lock);
  while (q->count > 0) {
    unsigned i = q->head;
    q->head = (q->head + 1) % q->slots;
    q->count--;
    if (q->items[i].len > cap) { /* cannot happen with matching sizes; never overflow */
      q->dropped++;
      continue;
    }
    *item = q->items[i];
    memcpy(data, q->data + (size_t)i * q->slot_size, item->len);
    ok = true;
    break;
  }
  g_mutex_unlock(&q->lock);
  return ok;
}

unsigned
audio_queue_length(AudioQueue *q)
{
  g_mutex_lock(&q->lock);
  unsigned n = q->count;
  g_mutex_unlock(&q->lock);
  return n;
}

guint64
audio_queue_dropped(AudioQueue *q)
{
  g_mutex_lock(&q->lock);
  guint64 n = q->dropped;
  g_mutex_unlock(&q->lock);
  return n;
}
