/* SPDX-License-Identifier: Apache-2.0 */
/* One interpretation booth: up to two interpreters (by peer id), which one's
 * microphone is live, handover between them, the cough key, the booth's
 * input (the floor or another booth's channel: relay / pivot) and its
 * outgoing channel (its language, or a retour language the config allows).
 *
 * Rules (the engine relies on them):
 * - at most one microphone of a booth is live, ever: `live` is one slot;
 * - booth_mic_on() by an interpreter while the partner is live is refused
 *   (-EBUSY): taking over is a handover request, never a second live mic;
 * - handover: either interpreter requests (the live one offering, or the
 *   partner asking), the other accepts: the live mic moves to the partner at
 *   once, so the next frame the engine produces is the partner's (the
 *   boundary is the tick). A request is dropped on decline, on cancel by its
 *   author, after handover_timeout_ms (checked by booth_tick() against the
 *   caller's clock), and whenever the live mic changes otherwise;
 * - cough: only the live interpreter; while held the mic stays live but the
 *   channel carries silence (never the floor); a change of live mic releases it;
 * - the live interpreter leaving (booth_remove_interpreter()) leaves no mic on;
 * - booth_set_input() and booth_set_output() refuse a change that would make
 *   booths hear each other in a circle (A <- B <- A, or A hearing itself).
 *
 * Across booths, a channel should have one live producer: before
 * booth_mic_on() or booth_set_output() the engine checks channel_producer()
 * (channel.h) so that two booths never go live into the same channel.
 *
 * Pure: no clock reads (the caller passes now_ms), no allocation after
 * booth_new(). Strings passed in are copied; strings returned are owned by
 * the booth (transfer none) and stay valid until the next call that changes
 * what they describe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define BOOTH_INTERPRETERS 2
#define BOOTH_LANG_MAX 15 /* channel / language id, without the NUL */
#define BOOTH_MAX_RETOUR 4
#define BOOTH_MAX_BOOTHS 64       /* booths the loop checks look at */
#define BOOTH_INPUT_FLOOR "floor" /* the input that is not a booth's channel */

typedef struct {
  const char *lang;                     /* its own channel (required) */
  const char *retour[BOOTH_MAX_RETOUR]; /* other channels it may work into */
  size_t n_retour;
  unsigned handover_timeout_ms; /* 0: the default, 10 s */
} BoothConfig;

/* What changed since the previous booth_tick(): a mask of these. */
enum {
  BOOTH_EV_LIVE = 1 << 0,              /* the live mic changed: booth_live_peer() */
  BOOTH_EV_HANDOVER_REQUEST = 1 << 1,  /* booth_handover_from() */
  BOOTH_EV_HANDOVER_ACCEPTED = 1 << 2, /* with BOOTH_EV_LIVE */
  BOOTH_EV_HANDOVER_DECLINED = 1 << 3,
  BOOTH_EV_HANDOVER_TIMEOUT = 1 << 4,
  BOOTH_EV_HANDOVER_CANCELLED = 1 << 5, /* by its author, or made moot */
  BOOTH_EV_COUGH = 1 << 6,              /* booth_coughing() */
  BOOTH_EV_INPUT = 1 << 7,
  BOOTH_EV_OUTPUT = 1 << 8,
  BOOTH_EV_ROSTER = 1 << 9, /* an interpreter joined or left */
};

typedef struct Booth Booth;

/* Returns NULL with errno EINVAL (no or bad lang, too many retours) or
 * ENOMEM. Transfer full: free with booth_free(). Input: the floor; output:
 * @cfg->lang. */
Booth *booth_new(const BoothConfig *cfg);
void booth_free(Booth *b);

/* Returns the interpreter's slot (0 or 1, kept until removal), -EINVAL (id
 * empty or longer than AUDIO_PEER_ID_MAX), -EEXIST or -ENOSPC. */
int booth_add_interpreter(Booth *b, const char *peer);
/* Returns 0 or -ENOENT. */
int booth_remove_interpreter(Booth *b, const char *peer);

/* Returns 0 (also when already on), -ENOENT or -EBUSY (the partner is live). */
int booth_mic_on(Booth *b, const char *peer);
/* Returns 0, -ENOENT or -EPERM (@peer is not live). */
int booth_mic_off(Booth *b, const char *peer);
/* The control link's booth.live: makes @peer's mic the live one, switching
 * from the partner in one step (a handover agreed elsewhere), or none when
 * @peer is NULL. Returns 0 or -ENOENT. */
int booth_switch_live(Booth *b, const char *peer);

/* Returns 0, -ENOENT (@peer not in the booth), -ENOTCONN (no partner),
 * -EINVAL (no mic is live: the partner just turns its mic on) or -EBUSY (a
 * request is pending). */
int booth_handover_request(Booth *b, const char *peer, uint64_t now_ms);
/* By the other interpreter than the requester. Return 0, -ENOENT, or
 * -EINVAL (no request, or @peer made it). */
int booth_handover_accept(Booth *b, const char *peer);
int booth_handover_decline(Booth *b, const char *peer);
/* By the requester. Returns 0, -ENOENT or -EINVAL. */
int booth_handover_cancel(Booth *b, const char *peer);

/* Returns 0, -ENOENT or -EPERM (@peer is not live). */
int booth_cough(Booth *b, const char *peer, bool held);

/* Booth @idx of @booths[@n] hears @input (BOOTH_INPUT_FLOOR or a channel
 * id). Returns 0, -EINVAL or -ELOOP. */
int booth_set_input(Booth *const *booths, size_t n, size_t idx, const char *input);
/* Booth @idx works into @output (its lang or one of its retours). Returns 0,
 * -EINVAL, -EPERM (not allowed by the config), -ELOOP, or -EBUSY (this
 * booth's mic is live and another booth's live mic feeds @output). */
int booth_set_output(Booth *const *booths, size_t n, size_t idx, const char *output);

/* Would booth @from hearing @input (or working into @output) close a loop?
 * 1 yes, 0 no, -EINVAL (bad arguments, n > BOOTH_MAX_BOOTHS). */
int booth_input_would_loop(const Booth *const *booths, size_t n, size_t from, const char *input);
int booth_output_would_loop(const Booth *const *booths, size_t n, size_t from, const char *output);

/* Expires a pending request at @now_ms and returns the events since the
 * previous tick (then cleared). Call once per engine tick. */
unsigned booth_tick(Booth *b, uint64_t now_ms);

/* Transfer none. NULL when no mic is live / no request is pending. */
const char *booth_live_peer(const Booth *b);
int booth_live_slot(const Booth *b); /* -1 when none */
const char *booth_handover_from(const Booth *b);
bool booth_mic_is_on(const Booth *b, const char *peer);
bool booth_coughing(const Booth *b);
const char *booth_lang(const Booth *b);
const char *booth_input(const Booth *b);
const char *booth_output(const Booth *b);
/* -1 when @peer is not in the booth; the peer in @slot, or NULL. */
int booth_slot_of(const Booth *b, const char *peer);
const char *booth_peer(const Booth *b, int slot);
