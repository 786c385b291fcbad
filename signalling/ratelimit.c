/* SPDX-License-Identifier: Apache-2.0 */
#include "ratelimit.h"

/* Above this many keys, expired ones are swept on each failure so that a
 * stream of random badges cannot grow the table without bound. */
#define RATELIMIT_SWEEP_AT 4096

struct RateLimit {
  guint max;
  gint64 window;
  GHashTable *keys; /* char* (owned) -> GArray of gint64 (owned) */
};

RateLimit *
ratelimit_new(guint max_failures, gint64 window_us)
{
  RateLimit *rl = g_new0(RateLimit, 1);
  rl->max = max_failures;
  rl->window = window_us;
  rl->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify)g_array_unref);
  return rl;
}

void
ratelimit_free(RateLimit *rl)
{
  if (!rl)
    return;
  g_hash_table_destroy(rl->keys);
  g_free(rl);
}

static void
expire(RateLimit *rl, GArray *times, gint64 now)
{
  guint keep = 0;
  while (keep < times->len && g_array_index(times, gint64, keep) <= now - rl->window)
    keep++;
  if (keep)
    g_array_remove_range(times, 0, keep);
}

gboolean
ratelimit_blocked(RateLimit *rl, const char *key, gint64 now)
{
  GArray *times = g_hash_table_lookup(rl->keys, key);
  if (!times)
    return FALSE;
  expire(rl, times, now);
  return times->len >= rl->max;
}

static gboolean
sweep_one(gpointer key, gpointer value, gpointer user_data)
{
  gint64 *args = user_data; /* {now, window} */
  GArray *times = value;
  return times->len == 0 || g_array_index(times, gint64, times->len - 1) <= args[0] - args[1];
}

void
ratelimit_fail(RateLimit *rl, const char *key, gint64 now)
{
  GArray *times = g_hash_table_lookup(rl->keys, key);
  if (!times && g_hash_table_size(rl->keys) >= RATELIMIT_SWEEP_AT) {
    gint64 args[2] = {now, rl->window};
    g_hash_table_foreach_remove(rl->keys, sweep_one, args);
  }
  if (!times) {
    times = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_hash_table_insert(rl->keys, g_strdup(key), times);
  }
  expire(rl, times, now);
  g_array_append_val(times, now);
  /* Never keep more than needed to decide. */
  if (times->len > rl->max + 1)
    g_array_remove_range(times, 0, times->len - rl->max - 1);
}

void
ratelimit_reset(RateLimit *rl, const char *key)
{
  g_hash_table_remove(rl->keys, key);
}

guint
ratelimit_size(RateLimit *rl)
{
  return g_hash_table_size(rl->keys);
}
