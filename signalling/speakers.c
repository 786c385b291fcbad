/* SPDX-License-Identifier: Apache-2.0 */
#include "speakers.h"

#include <errno.h>
#include <string.h>

struct Speakers {
  GPtrArray *queue;    /* SpeakerRequest*, owned */
  GPtrArray *speaking; /* Speaker*, owned */
  guint max_speaking;
  guint64 version;
};

static void
request_free(gpointer p)
{
  SpeakerRequest *r = p;
  g_free(r->badge);
  g_free(r->requested_at);
  g_free(r);
}

static void
speaker_free(gpointer p)
{
  Speaker *s = p;
  g_free(s->badge);
  g_free(s->since);
  g_free(s);
}

Speakers *
speakers_new(guint max_speaking)
{
  Speakers *s = g_new0(Speakers, 1);
  s->queue = g_ptr_array_new_with_free_func(request_free);
  s->speaking = g_ptr_array_new_with_free_func(speaker_free);
  s->max_speaking = max_speaking;
  return s;
}

void
speakers_free(Speakers *s)
{
  if (!s)
    return;
  g_ptr_array_unref(s->queue);
  g_ptr_array_unref(s->speaking);
  g_free(s);
}

/* Index in the queue, or -1. */
static int
queue_index(const Speakers *s, const char *badge)
{
  for (guint i = 0; i < s->queue->len; i++)
    if (strcmp(((SpeakerRequest *)s->queue->pdata[i])->badge, badge) == 0)
      return (int)i;
  return -1;
}

static int
speaking_index(const Speakers *s, const char *badge)
{
  for (guint i = 0; i < s->speaking->len; i++)
    if (strcmp(((Speaker *)s->speaking->pdata[i])->badge, badge) == 0)
      return (int)i;
  return -1;
}

int
speakers_request(Speakers *s, const char *badge, gboolean onsite, gint64 now_us,
                 const char *now_wall)
{
  if (queue_index(s, badge) >= 0)
    return -EEXIST;
  if (speaking_index(s, badge) >= 0)
    return -EISCONN;
  SpeakerRequest *r = g_new0(SpeakerRequest, 1);
  r->badge = g_strdup(badge);
  r->onsite = onsite;
  r->requested_us = now_us;
  r->requested_at = g_strdup(now_wall);
  g_ptr_array_add(s->queue, r);
  s->version++;
  return (int)s->queue->len;
}

int
speakers_withdraw(Speakers *s, const char *badge)
{
  int i = queue_index(s, badge);
  if (i < 0)
    return -ENOENT;
  g_ptr_array_remove_index(s->queue, (guint)i);
  s->version++;
  return 0;
}

int
speakers_move(Speakers *s, const char *badge, int place)
{
  int i = queue_index(s, badge);
  if (i < 0)
    return -ENOENT;
  if (place < 1)
    return -EINVAL;
  guint to = MIN((guint)place - 1, s->queue->len - 1);
  if (to == (guint)i)
    return 0;
  gpointer r = g_ptr_array_steal_index(s->queue, (guint)i);
  g_ptr_array_insert(s->queue, (gint)to, r);
  s->version++;
  return 0;
}

int
speakers_grant(Speakers *s, const char *badge, gboolean onsite, gint64 now_us,
               const char *now_wall)
{
  if (speaking_index(s, badge) >= 0)
    return -EISCONN;
  if (s->max_speaking && s->speaking->len >= s->max_speaking)
    return -EBUSY;
  int i = queue_index(s, badge);
  if (i >= 0) {
    onsite = ((SpeakerRequest *)s->queue->pdata[i])->onsite;
    g_ptr_array_remove_index(s->queue, (guint)i);
  }
  Speaker *sp = g_new0(Speaker, 1);
  sp->badge = g_strdup(badge);
  sp->onsite = onsite;
  sp->since_us = now_us;
  sp->since = g_strdup(now_wall);
  g_ptr_array_add(s->speaking, sp);
  s->version++;
  return 0;
}

int
speakers_revoke(Speakers *s, const char *badge)
{
  int i = speaking_index(s, badge);
  if (i < 0)
    return -ENOENT;
  g_ptr_array_remove_index(s->speaking, (guint)i);
  s->version++;
  return 0;
}

gboolean
speakers_forget(Speakers *s, const char *badge)
{
  gboolean was = speakers_withdraw(s, badge) == 0;
  return speakers_revoke(s, badge) == 0 || was;
}

int
speakers_place(const Speakers *s, const char *badge)
{
  return queue_index(s, badge) + 1;
}

const Speaker *
speakers_speaking(const Speakers *s, const char *badge)
{
  int i = speaking_index(s, badge);
  return i < 0 ? NULL : s->speaking->pdata[i];
}

const GPtrArray *
speakers_queue(const Speakers *s)
{
  return s->queue;
}

const GPtrArray *
speakers_current(const Speakers *s)
{
  return s->speaking;
}

guint64
speakers_version(const Speakers *s)
{
  return s->version;
}
