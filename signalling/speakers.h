/* SPDX-License-Identifier: Apache-2.0 */
/* The speakers' list: one queue in request order that mixes remote
 * delegates (they ask from their page) and onsite ones (the operator enters
 * them), which the chair and the operator reorder, grant and revoke; and who
 * holds the floor now, each with the time it was given (the speaking
 * clock). A grant takes the speaker out of the queue.
 *
 * Pure: no clock reads (callers pass monotonic and wall times), no loop.
 * Strings passed in are copied. Errors: negative errno codes. */
#pragma once

#include <glib.h>

typedef struct {
  char *badge;
  gboolean onsite;     /* entered by the operator, speaks from the room */
  gint64 requested_us; /* monotonic */
  char *requested_at;  /* wall time, ISO 8601 */
} SpeakerRequest;

typedef struct {
  char *badge;
  gboolean onsite;
  gint64 since_us; /* monotonic, when the floor was given */
  char *since;     /* wall time */
} Speaker;

typedef struct Speakers Speakers;

/* At most @max_speaking may hold the floor at once (0: no limit). Transfer
 * full: free with speakers_free(). */
Speakers *speakers_new(guint max_speaking);
void speakers_free(Speakers *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Speakers, speakers_free)

/* Appends @badge. Returns its 1-based place, -EEXIST (already waiting) or
 * -EISCONN (already holds the floor). */
int speakers_request(Speakers *s, const char *badge, gboolean onsite, gint64 now_us,
                     const char *now_wall);
/* Takes @badge out of the queue. Returns 0 or -ENOENT. */
int speakers_withdraw(Speakers *s, const char *badge);
/* Moves @badge to 1-based @place (clamped to the queue's length). Returns
 * 0, -ENOENT or -EINVAL (@place < 1). */
int speakers_move(Speakers *s, const char *badge, int place);
/* Gives @badge the floor: out of the queue if it was there (a grant to a
 * delegate who did not ask is allowed: the chair calls on them). Returns 0,
 * -EISCONN (already speaking) or -EBUSY (max_speaking hold it). */
int speakers_grant(Speakers *s, const char *badge, gboolean onsite, gint64 now_us,
                   const char *now_wall);
/* Ends @badge's turn. Returns 0 or -ENOENT. */
int speakers_revoke(Speakers *s, const char *badge);
/* Forgets @badge everywhere (left, removed). TRUE if it was anywhere. */
gboolean speakers_forget(Speakers *s, const char *badge);

/* 1-based place of @badge in the queue, or 0. */
int speakers_place(const Speakers *s, const char *badge);
/* The speaker entry of @badge (transfer none) or NULL. */
const Speaker *speakers_speaking(const Speakers *s, const char *badge);
/* The queue in order (SpeakerRequest*) and those speaking (Speaker*), in
 * the order they got the floor. Transfer none. */
const GPtrArray *speakers_queue(const Speakers *s);
const GPtrArray *speakers_current(const Speakers *s);
/* Bumped on every change, so callers know when to push the list. */
guint64 speakers_version(const Speakers *s);
