/* SPDX-License-Identifier: Apache-2.0 */
#include "engine_venue.h"

#include "engine_private.h"

void
audio_engine_set_pcm_tap(AudioEngine *e, AudioPcmTap tap, void *user)
{
  g_mutex_lock(&e->lock);
  e->pcm_tap = tap;
  e->pcm_tap_user = user;
  g_mutex_unlock(&e->lock);
}

void
audio_engine_venue_stats(AudioEngine *e, AudioVenueStats *out)
{
  audio_venue_stats(e->venue, out);
}

/* Under the lock, so that audio_engine_set_pcm_tap(NULL) returns only once
 * no call is running: the tap's user may be freed then. Taps do not block. */
void
engine_tap_tick(AudioEngine *e)
{
  g_mutex_lock(&e->lock);
  AudioPcmTap tap = e->pcm_tap;
  void *user = e->pcm_tap_user;
  if (tap) {
    for (unsigned i = 0; i <= e->n_lang; i++)
      if (e->products[i].active)
        tap((int)i, e->products[i].pcm, user);
    const float *remote = mix_bus_minus(e->bus, e->venue_bus);
    if (remote)
      tap(AUDIO_TAP_REMOTE, remote, user);
  }
  g_mutex_unlock(&e->lock);
}
