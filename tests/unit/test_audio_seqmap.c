/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of output seq/ts continuity across source switches
 * (relay/audio/seqmap.c). */
#include "seqmap.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define SRC_CHANNEL 1u
#define SRC_FLOOR 2u

typedef struct {
  SeqMap map;
  SeqMapOut prev;
  unsigned sent, markers;
} Stream;

/* Sends one packet and checks the invariants: seq +1, ts advanced by
 * @want_advance (when not the first packet). */
static void
send(Stream *s, uint32_t source, uint16_t seq, uint32_t ts, uint32_t elapsed, uint32_t want_advance,
     bool want_marker)
{
  SeqMapOut o;
  assert_int_equal(seqmap_next(&s->map, source, seq, ts, elapsed, &o), 0);
  if (s->sent > 0) {
    assert_int_equal(o.seq, (uint16_t)(s->prev.seq + 1u));
    assert_int_equal(o.ts - s->prev.ts, want_advance);
  }
  assert_int_equal(o.marker, want_marker);
  s->markers += o.marker;
  s->sent++;
  s->prev = o;
}

static void
switch_a_b_a_with_wrap(void **state)
{
  Stream s = {0};
  seqmap_init(&s.map, 65533, 0xfffffc00u); /* output wraps in both seq and ts */

  /* A: the channel's encoder, arbitrary offsets */
  uint16_t a_seq = 1000;
  uint32_t a_ts = 5000;
  for (int i = 0; i < 5; i++, a_seq++, a_ts += 960)
    send(&s, SRC_CHANNEL, a_seq, a_ts, 960, 960, i == 0);
  assert_int_equal(s.prev.seq, 1); /* 65533, 65534, 65535, 0, 1 */
  assert_int_equal(s.prev.ts, (uint32_t)(0xfffffc00u + 4u * 960u));

  /* B: forwarded floor packets, input wrapping too */
  uint16_t b_seq = 65534;
  uint32_t b_ts = 0xfffffe00u;
  for (int i = 0; i < 6; i++, b_seq++, b_ts += 960)
    send(&s, SRC_FLOOR, b_seq, b_ts, 960, 960, i == 0);

  /* back to A, whose counters moved on meanwhile (the encoder kept running) */
  a_seq = (uint16_t)(a_seq + 300);
  a_ts += 300 * 960;
  for (int i = 0; i < 5; i++, a_seq++, a_ts += 960)
    send(&s, SRC_CHANNEL, a_seq, a_ts, 960, 960, i == 0);
  assert_int_equal(s.sent, 16);
  assert_int_equal(s.markers, 3);
}

static void
loss_within_a_source_is_a_ts_gap(void **state)
{
  Stream s = {0};
  seqmap_init(&s.map, 10, 100000);
  send(&s, SRC_FLOOR, 500, 48000, 960, 0, true);
  send(&s, SRC_FLOOR, 501, 48960, 960, 960, false);
  /* 502 and 503 lost upstream: output seq still +1, ts jumps by 3 frames */
  send(&s, SRC_FLOOR, 504, 48960 + 3 * 960, 960, 3 * 960, false);
  /* a DTX pause: 400 ms without packets, seq contiguous */
  send(&s, SRC_FLOOR, 505, 48960 + 3 * 960 + 19200, 960, 19200, false);
  assert_int_equal(s.prev.seq, 13);
}

static void
stale_packets_are_refused(void **state)
{
  Stream s = {0};
  SeqMapOut o;
  seqmap_init(&s.map, 0, 0);
  send(&s, SRC_CHANNEL, 7, 7000, 960, 0, true);
  send(&s, SRC_CHANNEL, 8, 7960, 960, 960, false);
  SeqMap before = s.map;
  assert_int_equal(seqmap_next(&s.map, SRC_CHANNEL, 8, 7960, 960, &o), -ESTALE); /* duplicate */
  assert_int_equal(seqmap_next(&s.map, SRC_CHANNEL, 6, 6040, 960, &o), -ESTALE); /* reordered */
  assert_memory_equal(&before, &s.map, sizeof before);
  send(&s, SRC_CHANNEL, 9, 8920, 960, 960, false);
}

static void
source_restart_counts_as_a_switch(void **state)
{
  Stream s = {0};
  SeqMapOut o;
  seqmap_init(&s.map, 0, 0);
  send(&s, SRC_CHANNEL, 1, 1000, 960, 0, true);
  send(&s, SRC_CHANNEL, 2, 1960, 960, 960, false);
  /* same source, ts far ahead (restarted encoder): real elapsed time, marker */
  send(&s, SRC_CHANNEL, 3, 1960 + 20 * 48000, 960, 960, true);
  /* ts backwards with a newer seq */
  send(&s, SRC_CHANNEL, 4, 50, 1920, 1920, true);
  send(&s, SRC_CHANNEL, 5, 1010, 960, 960, false);
  /* a switch needs the elapsed time */
  assert_int_equal(seqmap_next(&s.map, SRC_FLOOR, 9, 9, 0, &o), -EINVAL);
  send(&s, SRC_FLOOR, 9, 9, 960, 960, true);
}

static void
long_run_never_goes_backwards(void **state)
{
  /* alternate sources every few packets over many wraps of the output seq */
  Stream s = {0};
  uint16_t seq[2] = {12345, 40000};
  uint32_t ts[2] = {0x7ffffff0u, 0xfffff000u};
  uint64_t total = 0;
  seqmap_init(&s.map, 65000, 0xffff0000u);
  for (unsigned i = 0; i < 200000; i++) {
    unsigned src = (i / 7) % 2;
    bool sw = i > 0 && i % 7 == 0;
    send(&s, src + 1, seq[src], ts[src], 960, i == 0 ? 0 : 960, i == 0 || sw);
    total += i == 0 ? 0 : 960;
    seq[0]++, seq[1]++;
    ts[0] += 960, ts[1] += 960;
  }
  assert_int_equal(s.prev.ts, (uint32_t)(0xffff0000u + total));
  assert_int_equal(s.prev.seq, (uint16_t)(65000u + 199999u));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(switch_a_b_a_with_wrap),
      cmocka_unit_test(loss_within_a_source_is_a_ts_gap),
      cmocka_unit_test(stale_packets_are_refused),
      cmocka_unit_test(source_restart_counts_as_a_switch),
      cmocka_unit_test(long_run_never_goes_backwards),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
