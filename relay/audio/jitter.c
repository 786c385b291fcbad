/* SPDX-License-Identifier: Apache-2.0 */
#include "jitter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define JITTER_SLACK 120                   /* a packet starting up to 2.5 ms late still plays */
#define JITTER_LATE_WINDOW 512             /* seqs behind the play-out point that count as late */
#define JITTER_MAX_FUTURE (5 * AUDIO_RATE) /* ts further ahead is out of window */
#define JITTER_DTX_LEN 2                   /* an Opus DTX packet is its TOC, at most 2 bytes */
#define JITTER_MIN_WAIT_US 10000 /* a wait-budget drain leaves every packet this much wait */
#define JITTER_HOLD_DRAINS 10    /* after a regrow: no wait-budget drain for 10 × drain_after */

typedef struct {
  bool used;
  uint16_t seq;
  uint32_t ts;
  unsigned samples;
  size_t len;
  int64_t arrival_us;
  uint8_t *data;
} JitterSlot;

struct JitterBuffer {
  JitterConfig cfg;
  unsigned mask;
  unsigned target, max, idle_reset; /* in samples */
  JitterSlot *slots;
  uint8_t *store;

  bool have_ref; /* base is set: the window is (base, base + capacity) */
  bool started;
  uint16_t base;    /* started: the last seq consumed */
  uint32_t play_ts; /* started: start of the next frame */
  unsigned count;
  unsigned last_samples;
  size_t last_len;
  uint64_t hist; /* bit k: seq base - k was received (duplicates) */
  unsigned idle; /* samples concealed in a row with nothing buffered */
  unsigned cand_count;
  uint16_t cand_seq;
  /* draining */
  unsigned drain_after; /* in pops of the last packet length */
  unsigned over_pops;   /* pops in a row with a packet too many */
  uint64_t late_seen;   /* st.late at the last pop */
  unsigned wait_drains; /* drains by the wait budget not undone by a regrow */
  unsigned hold_pops;   /* pops left with the wait budget's drains off */
  int64_t wait_budget_us;
  unsigned len_avg64; /* payload bytes × 64, averaged over played packets (~1 s) */
  JitterStats st;
};

static inline int32_t
ts_diff(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b);
}

static inline int
seq_diff(uint16_t a, uint16_t b)
{
  return (int16_t)(uint16_t)(a - b);
}

int
jitter_opus_samples(const uint8_t *p, size_t len)
{
  static const unsigned silk[4] = {480, 960, 1920, 2880};
  static const unsigned celt[4] = {120, 240, 480, 960};
  unsigned config, frame, n;

  if (!p || len < 1)
    return -EINVAL;
  config = p[0] >> 3;
  if (config < 12)
    frame = silk[config & 3];
  else if (config < 16)
    frame = config & 1 ? 960 : 480;
  else
    frame = celt[config & 3];
  switch (p[0] & 3) {
  case 0:
    n = 1;
    break;
  case 1: /* two frames of equal size */
    if ((len - 1) % 2 != 0)
      return -EINVAL;
    n = 2;
    break;
  case 2:
    if (len < 2)
      return -EINVAL;
    n = 2;
    break;
  default:
    if (len < 2 || (p[1] & 0x3f) == 0)
      return -EINVAL;
    n = p[1] & 0x3fu;
    break;
  }
  if (n * frame > AUDIO_OPUS_MAX_SAMPLES)
    return -EINVAL;
  return (int)(n * frame);
}

void
jitter_config_default(JitterConfig *cfg)
{
  cfg->capacity = 16;
  cfg->max_payload = AUDIO_MAX_PAYLOAD;
  cfg->target_ms = 40;
  cfg->max_ms = 100;
  cfg->idle_reset_ms = 1000;
  cfg->resync_after = 3;
  cfg->drain_after_ms = 1000;
}

static bool
jitter_config_valid(const JitterConfig *c)
{
  return c->capacity >= 4 && c->capacity <= JITTER_MAX_CAPACITY &&
         (c->capacity & (c->capacity - 1)) == 0 && c->max_payload > 0 && c->max_payload <= 65535 &&
         c->target_ms <= 1000 && c->max_ms > c->target_ms && c->max_ms <= 5000 &&
         c->idle_reset_ms >= AUDIO_FRAME_MS && c->idle_reset_ms <= 60000 && c->resync_after >= 1 &&
         c->drain_after_ms <= 60000;
}

JitterBuffer *
jitter_new(const JitterConfig *cfg)
{
  JitterBuffer *jb = NULL;

  if (!cfg || !jitter_config_valid(cfg)) {
    errno = EINVAL;
    return NULL;
  }
  jb = calloc(1, sizeof *jb);
  if (!jb)
    goto fail;
  jb->cfg = *cfg;
  jb->mask = cfg->capacity - 1;
  jb->target = cfg->target_ms * AUDIO_SAMPLES_PER_MS;
  jb->max = cfg->max_ms * AUDIO_SAMPLES_PER_MS;
  jb->idle_reset = cfg->idle_reset_ms * AUDIO_SAMPLES_PER_MS;
  jb->drain_after = cfg->drain_after_ms / AUDIO_FRAME_MS;
  jb->slots = calloc(cfg->capacity, sizeof *jb->slots);
  jb->store = malloc(cfg->capacity * cfg->max_payload);
  if (!jb->slots || !jb->store)
    goto fail;
  for (unsigned i = 0; i < cfg->capacity; i++)
    jb->slots[i].data = jb->store + i * cfg->max_payload;
  jitter_reset(jb);
  return jb;

fail:
  jitter_free(jb);
  errno = ENOMEM;
  return NULL;
}

void
jitter_free(JitterBuffer *jb)
{
  if (!jb)
    return;
  free(jb->store);
  free(jb->slots);
  free(jb);
}

void
jitter_reset(JitterBuffer *jb)
{
  for (unsigned i = 0; i < jb->cfg.capacity; i++)
    jb->slots[i].used = false;
  jb->count = 0;
  jb->have_ref = false;
  jb->started = false;
  jb->hist = 0;
  jb->idle = 0;
  jb->cand_count = 0;
  jb->last_samples = AUDIO_FRAME;
  jb->last_len = 0;
  jb->over_pops = 0;
  jb->len_avg64 = 0;
  jb->wait_drains = 0;
  jb->hold_pops = 0;
}

void
jitter_stats(const JitterBuffer *jb, JitterStats *out)
{
  *out = jb->st;
}

void
jitter_stats_add(JitterStats *sum, const JitterStats *more)
{
  /* every field is a uint64_t counter */
  _Static_assert(sizeof(JitterStats) % sizeof(uint64_t) == 0, "JitterStats: counters only");
  uint64_t *a = (uint64_t *)sum;
  const uint64_t *b = (const uint64_t *)more;
  for (size_t i = 0; i < sizeof(JitterStats) / sizeof(uint64_t); i++)
    a[i] += b[i];
}

static int jitter_out_of_window(JitterBuffer *jb, uint16_t seq, uint32_t ts, const uint8_t *payload,
                                size_t len);

int
jitter_push(JitterBuffer *jb, uint16_t seq, uint32_t ts, const uint8_t *payload, size_t len)
{
  return jitter_push_at(jb, seq, ts, payload, len, 0);
}

int
jitter_push_at(JitterBuffer *jb, uint16_t seq, uint32_t ts, const uint8_t *payload, size_t len,
               int64_t arrival_us)
{
  int samples = jitter_opus_samples(payload, len);
  JitterSlot *slot;
  int d;

  if (samples < 0 || len > jb->cfg.max_payload) {
    jb->st.invalid++;
    return -EINVAL;
  }
  if (!jb->have_ref) {
    /* before the start, centre the window on the first packet so that
     * earlier ones reordered behind it still fit */
    jb->base = (uint16_t)(seq - jb->cfg.capacity / 2);
    jb->have_ref = true;
  }
  d = seq_diff(seq, jb->base);
  if (jb->started) {
    if (d <= 0 && d > -JITTER_LATE_WINDOW) {
      if (-d < 64 && (jb->hist >> -d & 1)) {
        jb->st.duplicate++;
        return -EEXIST;
      }
      jb->st.late++;
      return -ETIME;
    }
    if (d > 0 && d < (int)jb->cfg.capacity) {
      int32_t ahead = ts_diff(ts, jb->play_ts);
      if (ahead > JITTER_MAX_FUTURE)
        return jitter_out_of_window(jb, seq, ts, payload, len);
      if (ahead + samples <= 0) {
        jb->st.late++;
        return -ETIME;
      }
    }
  }
  if (d <= 0 || d >= (int)jb->cfg.capacity)
    return jitter_out_of_window(jb, seq, ts, payload, len);

  slot = &jb->slots[seq & jb->mask];
  if (slot->used) { /* the window maps each seq to its own slot: same seq */
    jb->st.duplicate++;
    return -EEXIST;
  }
  slot->used = true;
  slot->seq = seq;
  slot->ts = ts;
  slot->samples = (unsigned)samples;
  slot->len = len;
  slot->arrival_us = arrival_us;
  memcpy(slot->data, payload, len);
  jb->count++;
  jb->cand_count = 0;
  jb->st.received++;
  return 0;
}

/* Stray packet, or the first of a restarted stream: restart once
 * resync_after of them came in a row with consecutive seqs. */
static int
jitter_out_of_window(JitterBuffer *jb, uint16_t seq, uint32_t ts, const uint8_t *payload,
                     size_t len)
{
  jb->st.out_of_window++;
  if (jb->cand_count > 0 && seq == (uint16_t)(jb->cand_seq + 1u))
    jb->cand_count++;
  else
    jb->cand_count = 1;
  jb->cand_seq = seq;
  if (jb->cand_count < jb->cfg.resync_after)
    return -ERANGE;
  jitter_reset(jb);
  jb->st.resyncs++;
  return jitter_push_at(jb, seq, ts, payload, len, 0); /* in window now: no recursion */
}

/* The buffered packet with the lowest seq after base, or NULL. */
static JitterSlot *
jitter_head(const JitterBuffer *jb)
{
  if (jb->count == 0)
    return NULL;
  for (unsigned d = 1; d < jb->cfg.capacity; d++) {
    JitterSlot *s = &jb->slots[(jb->base + d) & jb->mask];
    if (s->used && s->seq == (uint16_t)(jb->base + d))
      return s;
  }
  return NULL;
}

/* End of the newest buffered packet, relative to @from. */
static int32_t
jitter_newest_end(const JitterBuffer *jb, uint32_t from)
{
  int32_t end = 0;
  for (unsigned i = 0; i < jb->cfg.capacity; i++) {
    const JitterSlot *s = &jb->slots[i];
    if (s->used && ts_diff(s->ts + s->samples, from) > end)
      end = ts_diff(s->ts + s->samples, from);
  }
  return end;
}

/* Moves base to @seq; @received says whether @seq itself arrived. */
static void
jitter_advance(JitterBuffer *jb, uint16_t seq, bool received)
{
  int shift = seq_diff(seq, jb->base);
  if (shift <= 0)
    return;
  jb->hist = shift >= 64 ? 0 : jb->hist << shift;
  if (received)
    jb->hist |= 1;
  jb->base = seq;
}

static void
jitter_consume(JitterBuffer *jb, JitterSlot *s)
{
  jitter_advance(jb, s->seq, true);
  s->used = false;
  jb->count--;
}

/* Drops packets that end before the play-out point, counting them in
 * @counter. */
static void
jitter_discard_passed(JitterBuffer *jb, uint64_t *counter)
{
  JitterSlot *h;
  while ((h = jitter_head(jb)) && ts_diff(h->ts + h->samples, jb->play_ts) <= 0) {
    jitter_consume(jb, h);
    (*counter)++;
  }
}

enum { DEEP_NO = 0, DEEP_DEPTH, DEEP_WAIT };
static int jitter_too_deep(const JitterBuffer *jb, const JitterSlot *h, int64_t now_us);
static void jitter_drop_head(JitterBuffer *jb, JitterSlot *h, int why);

static bool
jitter_try_start(JitterBuffer *jb, int64_t now_us)
{
  JitterSlot *h = jitter_head(jb);
  if (!h)
    return false;
  int32_t span = jitter_newest_end(jb, h->ts);
  if (span < (int32_t)jb->target)
    return false;
  jb->started = true;
  jb->base = (uint16_t)(h->seq - 1u);
  jb->hist = 0;
  jb->idle = 0;
  /* a burst that arrived before the first pop: keep only the target depth */
  jb->play_ts = h->ts + (uint32_t)(span - (int32_t)jb->target);
  jitter_discard_passed(jb, &jb->st.dropped);
  /* with a wait budget, start within it rather than drain a second later */
  if ((h = jitter_head(jb)) && jitter_too_deep(jb, h, now_us) == DEEP_WAIT)
    jitter_drop_head(jb, h, DEEP_WAIT);
  return true;
}

/* Over max depth: drop the oldest packets back to the target. */
static void
jitter_trim(JitterBuffer *jb)
{
  JitterSlot *h;
  if (jitter_newest_end(jb, jb->play_ts) <= (int32_t)jb->max)
    return;
  while (jitter_newest_end(jb, jb->play_ts) > (int32_t)jb->target && (h = jitter_head(jb))) {
    jb->play_ts = h->ts + h->samples;
    jitter_consume(jb, h);
    jb->st.dropped++;
  }
}

/* Largest multiple of 2.5 ms (an Opus frame size) not above @n, at least one. */
static unsigned
jitter_frame_floor(int32_t n)
{
  unsigned s = (unsigned)n / AUDIO_OPUS_MIN_SAMPLES * AUDIO_OPUS_MIN_SAMPLES;
  return s < AUDIO_OPUS_MIN_SAMPLES ? AUDIO_OPUS_MIN_SAMPLES : s;
}

static int
jitter_emit(JitterFrame *out, JitterKind kind, const JitterSlot *s, uint32_t ts, unsigned samples)
{
  out->kind = kind;
  out->payload = s ? s->data : NULL;
  out->len = s ? s->len : 0;
  out->seq = s ? s->seq : 0;
  out->ts = ts;
  out->samples = samples;
  out->arrival_us = s && kind == JITTER_PACKET ? s->arrival_us : 0;
  return (int)kind;
}

void
jitter_set_wait_budget(JitterBuffer *jb, int64_t budget_us)
{
  jb->wait_budget_us = budget_us > 0 ? budget_us : 0;
}

/* Does the buffer hold a packet more than it needs, with @h at its head:
 * DEEP_DEPTH (a packet above the target), DEEP_WAIT (past the budget)? */
static int
jitter_too_deep(const JitterBuffer *jb, const JitterSlot *h, int64_t now_us)
{
  if (jitter_newest_end(jb, jb->play_ts) >= (int32_t)(jb->target + h->samples))
    return DEEP_DEPTH;
  if (jb->wait_budget_us <= 0 || jb->hold_pops > 0 || now_us <= 0 || h->arrival_us <= 0)
    return DEEP_NO;
  int64_t wait = now_us - h->arrival_us;
  int64_t packet_us = (int64_t)h->samples * 1000 / AUDIO_SAMPLES_PER_MS;
  return wait > jb->wait_budget_us && wait - packet_us >= JITTER_MIN_WAIT_US ? DEEP_WAIT : DEEP_NO;
}

/* Drops the head @h to bring the delay back; @why: jitter_too_deep()'s. */
static void
jitter_drop_head(JitterBuffer *jb, JitterSlot *h, int why)
{
  jb->play_ts = h->ts + h->samples;
  jitter_consume(jb, h);
  jb->st.drained++;
  jb->wait_drains += why == DEEP_WAIT;
}

/* Draining (jitter.h): drops the head @h when the buffer has been a packet
 * too deep for drain_after pops, and it is quiet or it has been twice as
 * long. @late: a packet came late since the last pop. Returns whether it
 * did. */
static bool
jitter_drain(JitterBuffer *jb, JitterSlot *h, int64_t now_us, bool late)
{
  int why = late || !jb->drain_after ? DEEP_NO : jitter_too_deep(jb, h, now_us);
  if (why == DEEP_NO) {
    jb->over_pops = 0;
    return false;
  }
  if (++jb->over_pops < jb->drain_after)
    return false;
  bool quiet = h->len <= JITTER_DTX_LEN || h->len * 128 <= jb->len_avg64;
  if (!quiet && jb->over_pops < 2 * jb->drain_after)
    return false;
  jitter_drop_head(jb, h, why);
  jb->over_pops = 0;
  return true;
}

int
jitter_pop(JitterBuffer *jb, JitterFrame *out)
{
  return jitter_pop_at(jb, 0, out);
}

int
jitter_pop_at(JitterBuffer *jb, int64_t now_us, JitterFrame *out)
{
  JitterSlot *h;

  if (!jb->started && !jitter_try_start(jb, now_us))
    return jitter_emit(out, JITTER_EMPTY, NULL, 0, 0);
  jitter_discard_passed(jb, &jb->st.late);
  jitter_trim(jb);
  bool late = jb->st.late != jb->late_seen;
  jb->late_seen = jb->st.late;
  if (jb->hold_pops > 0)
    jb->hold_pops--;
  if (late && jb->wait_drains > 0) {
    /* the wait budget cut too far for this sender: give a packet back
     * (conceal one frame without moving on) and hold its drains a while */
    jb->wait_drains--;
    jb->hold_pops = JITTER_HOLD_DRAINS * jb->drain_after;
    jb->st.regrown++;
    jb->st.plc++;
    return jitter_emit(out, JITTER_PLC, NULL, jb->play_ts, jb->last_samples);
  }

  h = jitter_head(jb);
  if (h && ts_diff(h->ts, jb->play_ts) <= JITTER_SLACK && jitter_drain(jb, h, now_us, late))
    h = jitter_head(jb);
  if (!h) {
    unsigned samples = jb->last_samples;
    if (jb->last_len <= JITTER_DTX_LEN) {
      jb->st.gap_fill++; /* the sender is in DTX: nothing is missing */
    } else {
      jb->st.plc++;
      jb->st.underruns++;
    }
    jb->idle += samples;
    if (jb->idle >= jb->idle_reset) {
      jitter_reset(jb);
      return jitter_emit(out, JITTER_EMPTY, NULL, 0, 0);
    }
    uint32_t ts = jb->play_ts;
    jb->play_ts += samples;
    return jitter_emit(out, JITTER_PLC, NULL, ts, samples);
  }
  jb->idle = 0;

  int32_t gap = ts_diff(h->ts, jb->play_ts);
  int missing = seq_diff(h->seq, jb->base) - 1;
  if (gap <= JITTER_SLACK) {
    jb->st.lost += (unsigned)missing;
    jb->play_ts = h->ts + h->samples;
    jb->last_samples = h->samples;
    jb->last_len = h->len;
    /* average payload size, for what "quiet" is */
    jb->len_avg64 = jb->len_avg64 ? jb->len_avg64 - jb->len_avg64 / 64 + (unsigned)h->len
                                  : (unsigned)h->len * 64;
    jitter_consume(jb, h); /* the data stays until the next push */
    return jitter_emit(out, JITTER_PACKET, h, h->ts, h->samples);
  }

  uint32_t ts = jb->play_ts;
  if (missing >= 1 && gap <= (int32_t)(jb->last_samples + JITTER_SLACK)) {
    /* the frame just before h is missing: h's in-band FEC carries it */
    unsigned samples = jitter_frame_floor(gap);
    jb->st.lost += (unsigned)missing;
    jb->st.fec_used++;
    jitter_advance(jb, (uint16_t)(h->seq - 1u), false);
    jb->play_ts += samples;
    return jitter_emit(out, JITTER_FEC, h, ts, samples);
  }

  /* h is further ahead: conceal one frame (loss) or fill a DTX pause */
  unsigned samples =
      jitter_frame_floor(gap < (int32_t)jb->last_samples ? gap : (int32_t)jb->last_samples);
  if (missing >= 1)
    jb->st.plc++;
  else
    jb->st.gap_fill++;
  jb->play_ts += samples;
  return jitter_emit(out, JITTER_PLC, NULL, ts, samples);
}

unsigned
jitter_depth(const JitterBuffer *jb)
{
  return jb->started ? (unsigned)jitter_newest_end(jb, jb->play_ts) : 0;
}
