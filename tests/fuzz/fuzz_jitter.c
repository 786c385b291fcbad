/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: a microphone's jitter buffer (relay/audio/jitter.c) fed
 * whatever a remote peer's RTP may carry — any sequence number, timestamp,
 * payload and arrival time, in any order — between pops at any time, with
 * wait budgets and resets. Checks what the engine relies on at every pop:
 * the kind is one of four, a frame to decode has a payload of the buffer's
 * own within its size, every frame's length is one Opus can have, and no
 * counter ever goes back.
 *
 * Input: byte 0 picks the config; then operations, each a byte (low two
 * bits: push, pop, budget, reset) and its fields, little-endian. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
  const uint8_t *p;
  size_t left;
} Reader;

static uint32_t
take(Reader *r, unsigned bytes)
{
  uint32_t v = 0;
  for (unsigned i = 0; i < bytes && r->left > 0; i++, r->p++, r->left--)
    v |= (uint32_t)*r->p << (8 * i);
  return v;
}

static void
check_counters(const JitterStats *before, const JitterStats *now)
{
  const uint64_t *a = (const uint64_t *)before, *b = (const uint64_t *)now;
  for (size_t i = 0; i < sizeof *now / sizeof(uint64_t); i++)
    if (b[i] < a[i])
      __builtin_trap();
}

static void
check_frame(int kind, const JitterFrame *f, size_t max_payload)
{
  if (kind < JITTER_EMPTY || kind > JITTER_PLC || (int)f->kind != kind)
    __builtin_trap();
  if (kind == JITTER_EMPTY)
    return;
  /* 2.5 ms to 120 ms at 48 kHz */
  if (f->samples < 120 || f->samples > 5760)
    __builtin_trap();
  if (kind == JITTER_PACKET || kind == JITTER_FEC) {
    if (!f->payload || f->len == 0 || f->len > max_payload)
      __builtin_trap();
    /* the payload is readable to its end (ASan checks the access) */
    volatile uint8_t sink = f->payload[0] ^ f->payload[f->len - 1];
    (void)sink;
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const unsigned targets[] = {20, 40, 60, 30};
  static const unsigned capacities[] = {16, 4, 64, 256};
  Reader r = {data, size};
  JitterConfig cfg;
  JitterBuffer *jb;
  JitterStats before, now;
  uint8_t payload[AUDIO_MAX_PAYLOAD + 64];
  int64_t clock_us = 1;

  jitter_config_default(&cfg);
  uint32_t pick = take(&r, 1);
  cfg.target_ms = targets[pick & 3];
  cfg.capacity = capacities[(pick >> 2) & 3];
  cfg.max_ms = cfg.target_ms + ((pick >> 4) & 1 ? 20 : 60);
  cfg.drain_after_ms = (pick >> 5) & 1 ? 0 : 200;
  cfg.resync_after = 1 + ((pick >> 6) & 3);
  if (!(jb = jitter_new(&cfg)))
    __builtin_trap();
  jitter_stats(jb, &before);

  for (unsigned n = 0; r.left > 0 && n < 4000; n++) {
    uint32_t op = take(&r, 1);
    switch (op & 3) {
    case 0: { /* push, with an arrival time unless bit 2 */
      uint16_t seq = (uint16_t)take(&r, 2);
      uint32_t ts = take(&r, 4);
      size_t len = take(&r, 1) | ((op >> 3) & 7) << 8; /* up to 2047 */
      if (len > r.left)
        len = r.left;
      if (len > sizeof payload)
        len = sizeof payload;
      memcpy(payload, r.p, len);
      r.p += len;
      r.left -= len;
      clock_us += take(&r, 1) * 250;
      int rc = (op & 4) ? jitter_push(jb, seq, ts, payload, len)
                        : jitter_push_at(jb, seq, ts, payload, len, clock_us);
      if (rc != 0 && rc != -EINVAL && rc != -EEXIST && rc != -ETIME && rc != -ERANGE)
        __builtin_trap();
      break;
    }
    case 1: { /* pop, a tick (or any time) later */
      JitterFrame f;
      clock_us += (op & 4) ? 20000 : take(&r, 2) * 10;
      int kind = jitter_pop_at(jb, clock_us, &f);
      check_frame(kind, &f, cfg.max_payload);
      break;
    }
    case 2:
      jitter_set_wait_budget(jb, (int64_t)take(&r, 2) * 10);
      break;
    case 3:
      if ((op >> 2) == 0x3f) { /* rare */
        /* a reset forgets every packet: nothing to play until the target
         * depth is there again */
        JitterFrame f;
        jitter_reset(jb);
        if (jitter_pop_at(jb, clock_us, &f) != JITTER_EMPTY)
          __builtin_trap();
      }
      break;
    }
    jitter_stats(jb, &now);
    check_counters(&before, &now);
    before = now;
  }
  jitter_free(jb);
  return 0;
}
