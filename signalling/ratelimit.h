/* SPDX-License-Identifier: Apache-2.0 */
/* Sliding-window failure counter per key (login brute-force limit).
 * Pure: the caller passes the time; no loop, no globals. */
#pragma once

#include <glib.h>

typedef struct RateLimit RateLimit;

/* At most @max_failures failures per key within @window_us microseconds.
 * Returns a new limiter (transfer full, free with ratelimit_free). */
RateLimit *ratelimit_new(guint max_failures, gint64 window_us);
void ratelimit_free(RateLimit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RateLimit, ratelimit_free)

/* TRUE if @key already has max_failures failures in the window ending @now. */
gboolean ratelimit_blocked(RateLimit *rl, const char *key, gint64 now);
/* Counts one failure for @key at @now. */
void ratelimit_fail(RateLimit *rl, const char *key, gint64 now);
/* Forgets @key (after a successful login). */
void ratelimit_reset(RateLimit *rl, const char *key);
/* Number of keys tracked (tests). */
guint ratelimit_size(RateLimit *rl);
