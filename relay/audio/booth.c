/* SPDX-License-Identifier: Apache-2.0 */
#include "booth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BOOTH_DEFAULT_TIMEOUT_MS 10000

typedef struct {
  bool present;
  char id[AUDIO_PEER_ID_MAX + 1];
} BoothSeat;

struct Booth {
  char lang[BOOTH_LANG_MAX + 1];
  char retour[BOOTH_MAX_RETOUR][BOOTH_LANG_MAX + 1];
  size_t n_retour;
  unsigned timeout_ms;
  char input[BOOTH_LANG_MAX + 1];
  char output[BOOTH_LANG_MAX + 1];
  BoothSeat seat[BOOTH_INTERPRETERS];
  int live; /* slot whose mic is on, or -1 */
  bool cough;
  int request_from; /* slot that asked for a handover, or -1 */
  uint64_t request_at;
  bool request_timed; /* request_at is set: compared at the next tick */
  unsigned events;
};

/* A channel id: 1..BOOTH_LANG_MAX of [a-z0-9_-]. */
static bool
booth_id_valid(const char *s)
{
  size_t n;
  if (!s)
    return false;
  n = strlen(s);
  if (n == 0 || n > BOOTH_LANG_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

static void
booth_copy(char *dst, const char *src, size_t cap)
{
  size_t n = strlen(src);
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

Booth *
booth_new(const BoothConfig *cfg)
{
  Booth *b;

  if (!cfg || !booth_id_valid(cfg->lang) || cfg->n_retour > BOOTH_MAX_RETOUR) {
    errno = EINVAL;
    return NULL;
  }
  for (size_t i = 0; i < cfg->n_retour; i++) {
    if (!booth_id_valid(cfg->retour[i]) || strcmp(cfg->retour[i], BOOTH_INPUT_FLOOR) == 0) {
      errno = EINVAL;
      return NULL;
    }
  }
  if (strcmp(cfg->lang, BOOTH_INPUT_FLOOR) == 0) {
    errno = EINVAL;
    return NULL;
  }
  b = calloc(1, sizeof *b);
  if (!b) {
    errno = ENOMEM;
    return NULL;
  }
  booth_copy(b->lang, cfg->lang, sizeof b->lang);
  for (size_t i = 0; i < cfg->n_retour; i++)
    booth_copy(b->retour[i], cfg->retour[i], sizeof b->retour[i]);
  b->n_retour = cfg->n_retour;
  b->timeout_ms = cfg->handover_timeout_ms ? cfg->handover_timeout_ms : BOOTH_DEFAULT_TIMEOUT_MS;
  booth_copy(b->input, BOOTH_INPUT_FLOOR, sizeof b->input);
  booth_copy(b->output, b->lang, sizeof b->output);
  b->live = -1;
  b->request_from = -1;
  return b;
}

void
booth_free(Booth *b)
{
  free(b);
}

int
booth_slot_of(const Booth *b, const char *peer)
{
  if (!peer)
    return -1;
  for (int i = 0; i < BOOTH_INTERPRETERS; i++)
    if (b->seat[i].present && strcmp(b->seat[i].id, peer) == 0)
      return i;
  return -1;
}

const char *
booth_peer(const Booth *b, int slot)
{
  if (slot < 0 || slot >= BOOTH_INTERPRETERS || !b->seat[slot].present)
    return NULL;
  return b->seat[slot].id;
}

static void
booth_drop_request(Booth *b, unsigned why)
{
  if (b->request_from < 0)
    return;
  b->request_from = -1;
  b->events |= why;
}

/* Every change of the live mic goes through here. */
static void
booth_set_live(Booth *b, int slot)
{
  if (b->live == slot)
    return;
  b->live = slot;
  b->events |= BOOTH_EV_LIVE;
  if (b->cough) {
    b->cough = false;
    b->events |= BOOTH_EV_COUGH;
  }
  booth_drop_request(b, BOOTH_EV_HANDOVER_CANCELLED);
}

int
booth_add_interpreter(Booth *b, const char *peer)
{
  size_t n = peer ? strlen(peer) : 0;
  if (n == 0 || n > AUDIO_PEER_ID_MAX)
    return -EINVAL;
  if (booth_slot_of(b, peer) >= 0)
    return -EEXIST;
  for (int i = 0; i < BOOTH_INTERPRETERS; i++) {
    if (b->seat[i].present)
      continue;
    b->seat[i].present = true;
    memcpy(b->seat[i].id, peer, n + 1);
    b->events |= BOOTH_EV_ROSTER;
    return i;
  }
  return -ENOSPC;
}

int
booth_remove_interpreter(Booth *b, const char *peer)
{
  int slot = booth_slot_of(b, peer);
  if (slot < 0)
    return -ENOENT;
  if (b->live == slot)
    booth_set_live(b, -1);
  booth_drop_request(b, BOOTH_EV_HANDOVER_CANCELLED); /* a booth of one has no partner */
  b->seat[slot].present = false;
  b->seat[slot].id[0] = '\0';
  b->events |= BOOTH_EV_ROSTER;
  return 0;
}

int
booth_mic_on(Booth *b, const char *peer)
{
  int slot = booth_slot_of(b, peer);
  if (slot < 0)
    return -ENOENT;
  if (b->live >= 0 && b->live != slot)
    return -EBUSY;
  booth_set_live(b, slot);
  return 0;
}

int
booth_mic_off(Booth *b, const char *peer)
{
  int slot = booth_slot_of(b, peer);
  if (slot < 0)
    return -ENOENT;
  if (b->live != slot)
    return -EPERM;
  booth_set_live(b, -1);
  return 0;
}

int
booth_switch_live(Booth *b, const char *peer)
{
  int slot = -1;
  if (peer && (slot = booth_slot_of(b, peer)) < 0)
    return -ENOENT;
  booth_set_live(b, slot);
  return 0;
}

int
booth_handover_request(Booth *b, const char *peer, uint64_t now_ms)
{
  int slot = booth_slot_of(b, peer);
  if (slot < 0)
    return -ENOENT;
  if (!b->seat[1 - slot].present)
    return -ENOTCONN;
  if (b->live < 0)
    return -EINVAL;
  if (b->request_from >= 0)
    return -EBUSY;
  b->request_from = slot;
  b->request_at = now_ms;
  b->events |= BOOTH_EV_HANDOVER_REQUEST;
  return 0;
}

/* The slot answering the pending request, or a negative errno. */
static int
booth_answerer(const Booth *b, const char *peer)
{
  int slot = booth_slot_of(b, peer);
  if (slot < 0)
    return -ENOENT;
  if (b->request_from < 0 || b->request_from == slot)
    return -EINVAL;
  return slot;
}

int
booth_handover_accept(Booth *b, const char *peer)
{
  int slot = booth_answerer(b, peer);
  if (slot < 0)
    return slot;
  b->request_from = -1; /* answered: not "cancelled" by the switch below */
  booth_set_live(b, 1 - b->live);
  b->events |= BOOTH_EV_HANDOVER_ACCEPTED;
  return 0;
}

int
booth_handover_decline(Booth *b, const char *peer)
{
  int slot = booth_answerer(b, peer);
  if (slot < 0)
    return slot;
  booth_drop_request(b, BOOTH_EV_HANDOVER_DECLINED);
  return 0;
}

int
booth_handover_cancel(Booth *b, const char *peer)
{
  int slot = booth_slot_of(b, peer);
  if (slot < 0)
    return -ENOENT;
  if (b->request_from != slot)
    return -EINVAL;
  booth_drop_request(b, BOOTH_EV_HANDOVER_CANCELLED);
  return 0;
}

int
booth_cough(Booth *b, const char *peer, bool held)
{
  int slot = booth_slot_of(b, peer);
  if (slot < 0)
    return -ENOENT;
  if (b->live != slot)
    return -EPERM;
  if (b->cough != held) {
    b->cough = held;
    b->events |= BOOTH_EV_COUGH;
  }
  return 0;
}

unsigned
booth_tick(Booth *b, uint64_t now_ms)
{
  unsigned ev;
  if (b->request_from >= 0 && now_ms >= b->request_at + b->timeout_ms)
    booth_drop_request(b, BOOTH_EV_HANDOVER_TIMEOUT);
  ev = b->events;
  b->events = 0;
  return ev;
}

/* Loop check over the booths' "hears" graph: booth X depends on every booth
 * whose output is X's input. With booth @idx's input or output replaced,
 * is @idx reachable from itself? Loops that do not pass through @idx were
 * refused when they were about to form. */
static int
booth_would_loop(const Booth *const *booths, size_t n, size_t idx, const char *input,
                 const char *output)
{
  size_t stack[BOOTH_MAX_BOOTHS];
  uint64_t seen = 0;
  size_t top = 0;

  if (!booths || n > BOOTH_MAX_BOOTHS || idx >= n)
    return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!booths[i])
      return -EINVAL;
  stack[top++] = idx;
  seen |= 1ull << idx;
  while (top > 0) {
    size_t x = stack[--top];
    const char *hears = x == idx && input ? input : booths[x]->input;
    if (strcmp(hears, BOOTH_INPUT_FLOOR) == 0)
      continue;
    for (size_t y = 0; y < n; y++) {
      const char *makes = y == idx && output ? output : booths[y]->output;
      if (strcmp(makes, hears) != 0)
        continue;
      if (y == idx)
        return 1;
      if (!(seen & 1ull << y)) {
        seen |= 1ull << y;
        stack[top++] = y;
      }
    }
  }
  return 0;
}

int
booth_input_would_loop(const Booth *const *booths, size_t n, size_t from, const char *input)
{
  if (!booth_id_valid(input))
    return -EINVAL;
  return booth_would_loop(booths, n, from, input, NULL);
}

int
booth_output_would_loop(const Booth *const *booths, size_t n, size_t from, const char *output)
{
  if (!booth_id_valid(output))
    return -EINVAL;
  return booth_would_loop(booths, n, from, NULL, output);
}

int
booth_set_input(Booth *const *booths, size_t n, size_t idx, const char *input)
{
  int r = booth_input_would_loop((const Booth *const *)booths, n, idx, input);
  if (r < 0)
    return r;
  if (r > 0)
    return -ELOOP;
  Booth *b = booths[idx];
  if (strcmp(b->input, input) != 0) {
    booth_copy(b->input, input, sizeof b->input);
    b->events |= BOOTH_EV_INPUT;
  }
  return 0;
}

int
booth_set_output(Booth *const *booths, size_t n, size_t idx, const char *output)
{
  bool allowed;
  int r = booth_output_would_loop((const Booth *const *)booths, n, idx, output);
  if (r < 0)
    return r;
  Booth *b = booths[idx];
  allowed = strcmp(output, b->lang) == 0;
  for (size_t i = 0; i < b->n_retour; i++)
    allowed |= strcmp(output, b->retour[i]) == 0;
  if (!allowed)
    return -EPERM;
  if (r > 0)
    return -ELOOP;
  if (b->live >= 0) {
    for (size_t i = 0; i < n; i++)
      if (i != idx && booths[i]->live >= 0 && strcmp(booths[i]->output, output) == 0)
        return -EBUSY;
  }
  if (strcmp(b->output, output) != 0) {
    booth_copy(b->output, output, sizeof b->output);
    b->events |= BOOTH_EV_OUTPUT;
  }
  return 0;
}

const char *
booth_live_peer(const Booth *b)
{
  return b->live >= 0 ? b->seat[b->live].id : NULL;
}

int
booth_live_slot(const Booth *b)
{
  return b->live;
}

const char *
booth_handover_from(const Booth *b)
{
  return b->request_from >= 0 ? b->seat[b->request_from].id : NULL;
}

bool
booth_mic_is_on(const Booth *b, const char *peer)
{
  int slot = booth_slot_of(b, peer);
  return slot >= 0 && slot == b->live;
}

bool
booth_coughing(const Booth *b)
{
  return b->cough;
}

const char *
booth_lang(const Booth *b)
{
  return b->lang;
}

const char *
booth_input(const Booth *b)
{
  return b->input;
}

const char *
booth_output(const Booth *b)
{
  return b->output;
}
