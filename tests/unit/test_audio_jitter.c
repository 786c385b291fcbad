/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the microphone jitter buffer (relay/audio/jitter.c). */
#include "jitter.h"

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define TOC_CELT_20MS 0xf8 /* config 31 (CELT fullband 20 ms), one frame */
#define TOC_SILK_40MS 0x50 /* config 10 (SILK wideband 40 ms), one frame */

typedef struct {
  JitterBuffer *jb;
  uint16_t seq0;
  uint32_t ts0;
} Fixture;

/* A 20 ms packet whose payload says which seq it is. */
static int
push_n(JitterBuffer *jb, uint16_t seq, uint32_t ts)
{
  uint8_t p[3] = {TOC_CELT_20MS, (uint8_t)(seq >> 8), (uint8_t)seq};
  return jitter_push(jb, seq, ts, p, sizeof p);
}

static uint16_t
payload_seq(const JitterFrame *f)
{
  assert_int_equal(f->len, 3);
  return (uint16_t)(f->payload[1] << 8 | f->payload[2]);
}

static JitterBuffer *
new_default(void)
{
  JitterConfig cfg;
  jitter_config_default(&cfg);
  JitterBuffer *jb = jitter_new(&cfg);
  assert_non_null(jb);
  return jb;
}

static void
expect_packet(JitterBuffer *jb, uint16_t seq)
{
  JitterFrame f;
  assert_int_equal(jitter_pop(jb, &f), JITTER_PACKET);
  assert_int_equal(f.seq, seq);
  assert_int_equal(payload_seq(&f), seq);
  assert_int_equal(f.samples, AUDIO_FRAME);
}

static void
expect_kind(JitterBuffer *jb, JitterKind kind, unsigned samples)
{
  JitterFrame f;
  assert_int_equal(jitter_pop(jb, &f), kind);
  assert_int_equal(f.samples, samples);
}

#define TS(i) (ts0 + (uint32_t)(i)*AUDIO_FRAME)
#define SEQ(i) ((uint16_t)(seq0 + (i)))

static void
in_order(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  const uint16_t seq0 = 1000;
  const uint32_t ts0 = 123456;
  JitterFrame f;

  assert_int_equal(jitter_pop(jb, &f), JITTER_EMPTY);
  assert_int_equal(push_n(jb, SEQ(0), TS(0)), 0);
  assert_int_equal(jitter_pop(jb, &f), JITTER_EMPTY); /* 20 ms < 40 ms target */
  assert_int_equal(push_n(jb, SEQ(1), TS(1)), 0);
  expect_packet(jb, SEQ(0));
  assert_int_equal(jitter_depth(jb), AUDIO_FRAME);
  for (int i = 2; i < 100; i++) {
    assert_int_equal(push_n(jb, SEQ(i), TS(i)), 0);
    expect_packet(jb, SEQ(i - 1));
  }
  jitter_stats(jb, &st);
  assert_int_equal(st.received, 100);
  assert_int_equal(st.lost + st.late + st.duplicate + st.plc + st.fec_used + st.dropped, 0);
  jitter_free(jb);
}

static void
reordering_within_depth(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  const uint16_t seq0 = 7;
  const uint32_t ts0 = 0;
  /* arrival order: pairs swapped (the very first packet arrives second);
   * one packet arrives per tick, one pop per tick from the second on */
  const int order[] = {1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10};
  int next = 0;
  for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
    assert_int_equal(push_n(jb, SEQ(order[k]), TS(order[k])), 0);
    if (k > 0)
      expect_packet(jb, SEQ(next++));
  }
  assert_int_equal(next, 11);
  jitter_stats(jb, &st);
  assert_int_equal(st.lost + st.late + st.plc + st.fec_used, 0);
  jitter_free(jb);
}

/* Steady stream of 20 ms packets with the given seqs missing; one pop per
 * push once started. Records the kinds popped. */
static void
run_with_loss(JitterBuffer *jb, uint16_t seq0, uint32_t ts0, int n, const int *lost, int n_lost,
              JitterKind *kinds, uint16_t *seqs)
{
  JitterFrame f;
  int k = 0;
  for (int i = 0; i < n; i++) {
    bool drop = false;
    for (int j = 0; j < n_lost; j++)
      drop |= lost[j] == i;
    if (!drop)
      assert_int_equal(push_n(jb, SEQ(i), TS(i)), 0);
    if (i == 0)
      continue; /* reach the 40 ms target */
    kinds[k] = (JitterKind)jitter_pop(jb, &f);
    seqs[k] = f.seq;
    if (kinds[k] == JITTER_FEC || kinds[k] == JITTER_PACKET)
      assert_int_equal(payload_seq(&f), f.seq);
    if (kinds[k] != JITTER_EMPTY)
      assert_int_equal(f.ts, TS(k)); /* play-out time runs on */
    k++;
  }
}

static void
loss_of_one_uses_fec(void **state)
{
  JitterBuffer *jb = new_default();
  JitterKind kinds[20];
  uint16_t seqs[20];
  JitterStats st;
  const int lost[] = {5};
  run_with_loss(jb, 100, 9600, 20, lost, 1, kinds, seqs);
  for (int k = 0; k < 19; k++) {
    JitterKind want = k == 5 ? JITTER_FEC : JITTER_PACKET;
    assert_int_equal(kinds[k], want);
    assert_int_equal(seqs[k], 100 + k + (k == 5)); /* FEC carries the next packet's seq */
  }
  jitter_stats(jb, &st);
  assert_int_equal(st.lost, 1);
  assert_int_equal(st.fec_used, 1);
  assert_int_equal(st.plc, 0);
  jitter_free(jb);
}

static void
loss_of_two_plc_then_fec(void **state)
{
  JitterBuffer *jb = new_default();
  JitterKind kinds[20];
  uint16_t seqs[20];
  JitterStats st;
  const int lost[] = {5, 6};
  run_with_loss(jb, 100, 9600, 20, lost, 2, kinds, seqs);
  assert_int_equal(kinds[4], JITTER_PACKET);
  assert_int_equal(kinds[5], JITTER_PLC);
  assert_int_equal(kinds[6], JITTER_FEC);
  assert_int_equal(seqs[6], 107);
  assert_int_equal(kinds[7], JITTER_PACKET);
  assert_int_equal(seqs[7], 107);
  jitter_stats(jb, &st);
  assert_int_equal(st.lost, 2);
  assert_int_equal(st.fec_used, 1);
  assert_int_equal(st.plc, 1);
  jitter_free(jb);
}

static void
burst_loss(void **state)
{
  JitterBuffer *jb = new_default();
  JitterKind kinds[30];
  uint16_t seqs[30];
  JitterStats st;
  const int lost[] = {10, 11, 12, 13, 14};
  run_with_loss(jb, 0, 0, 30, lost, 5, kinds, seqs);
  for (int k = 10; k < 14; k++)
    assert_int_equal(kinds[k], JITTER_PLC);
  assert_int_equal(kinds[14], JITTER_FEC);
  assert_int_equal(kinds[15], JITTER_PACKET);
  assert_int_equal(seqs[15], 15);
  jitter_stats(jb, &st);
  assert_int_equal(st.lost, 5);
  assert_int_equal(st.fec_used, 1);
  assert_int_equal(st.plc, 4);
  jitter_free(jb);
}

static void
wrap_at_65535(void **state)
{
  JitterBuffer *jb = new_default();
  JitterKind kinds[20];
  uint16_t seqs[20];
  JitterStats st;
  const int lost[] = {8}; /* seq 65535 + 1 = 0: lose the one after 65535... */
  /* seq 65528 .. 11, ts wrapping too; lose index 8 (seq 0) */
  run_with_loss(jb, 65528, 0xffffd000u, 20, lost, 1, kinds, seqs);
  for (int k = 0; k < 19; k++)
    assert_int_equal(kinds[k], k == 8 ? JITTER_FEC : JITTER_PACKET);
  assert_int_equal(seqs[7], 65535);
  assert_int_equal(seqs[8], 1);
  assert_int_equal(seqs[9], 1);
  assert_int_equal(seqs[10], 2);
  jitter_stats(jb, &st);
  assert_int_equal(st.lost, 1);
  assert_int_equal(st.late + st.duplicate + st.out_of_window, 0);
  jitter_free(jb);
}

static void
duplicates_and_late(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  const uint16_t seq0 = 500;
  const uint32_t ts0 = 48000;
  assert_int_equal(push_n(jb, SEQ(0), TS(0)), 0);
  assert_int_equal(push_n(jb, SEQ(0), TS(0)), -EEXIST); /* buffered */
  assert_int_equal(push_n(jb, SEQ(1), TS(1)), 0);
  expect_packet(jb, SEQ(0));
  assert_int_equal(push_n(jb, SEQ(0), TS(0)), -EEXIST); /* already played */
  /* seq 2 is late: its frame is concealed by FEC from 3, then it arrives */
  expect_packet(jb, SEQ(1));
  assert_int_equal(push_n(jb, SEQ(3), TS(3)), 0);
  expect_kind(jb, JITTER_FEC, AUDIO_FRAME);
  assert_int_equal(push_n(jb, SEQ(2), TS(2)), -ETIME);
  expect_packet(jb, SEQ(3));
  assert_int_equal(push_n(jb, SEQ(3), TS(3)), -EEXIST);
  /* a packet whose seq is new but whose time has passed */
  assert_int_equal(push_n(jb, SEQ(4), TS(0)), -ETIME);
  /* very late: 300 seqs back */
  assert_int_equal(push_n(jb, (uint16_t)(seq0 - 300), ts0), -ETIME);
  jitter_stats(jb, &st);
  assert_int_equal(st.duplicate, 3);
  assert_int_equal(st.late, 3);
  assert_int_equal(st.received, 3);
  jitter_free(jb);
}

static void
garbage_is_refused(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  uint8_t big[AUDIO_MAX_PAYLOAD + 1];
  memset(big, 0, sizeof big);
  big[0] = TOC_CELT_20MS;
  const uint8_t code3_no_frames[2] = {TOC_CELT_20MS | 3, 0};
  const uint8_t code3_too_long[2] = {TOC_CELT_20MS | 3, 7};  /* 7 x 20 ms > 120 ms */
  const uint8_t code1_odd[4] = {TOC_CELT_20MS | 1, 1, 2, 3}; /* 3 bytes: not two halves */
  assert_int_equal(jitter_push(jb, 1, 0, NULL, 3), -EINVAL);
  assert_int_equal(jitter_push(jb, 1, 0, big, 0), -EINVAL);
  assert_int_equal(jitter_push(jb, 1, 0, big, sizeof big), -EINVAL);
  assert_int_equal(jitter_push(jb, 1, 0, code3_no_frames, 2), -EINVAL);
  assert_int_equal(jitter_push(jb, 1, 0, code3_too_long, 2), -EINVAL);
  assert_int_equal(jitter_push(jb, 1, 0, code1_odd, 4), -EINVAL);
  jitter_stats(jb, &st);
  assert_int_equal(st.invalid, 6);
  assert_int_equal(st.received, 0);

  /* durations from the TOC */
  const uint8_t silk10 = 0x00, silk60 = 0x18, hybrid10 = 0x60, celt2_5 = 0x80;
  const uint8_t two20[3] = {TOC_CELT_20MS | 1, 0, 0}, three20[2] = {TOC_CELT_20MS | 3, 3};
  assert_int_equal(jitter_opus_samples(&silk10, 1), 480);
  assert_int_equal(jitter_opus_samples(&silk60, 1), 2880);
  assert_int_equal(jitter_opus_samples(&hybrid10, 1), 480);
  assert_int_equal(jitter_opus_samples(&celt2_5, 1), 120);
  assert_int_equal(jitter_opus_samples(two20, 3), 1920);
  assert_int_equal(jitter_opus_samples(three20, 2), 2880);

  JitterConfig cfg;
  jitter_config_default(&cfg);
  cfg.capacity = 12; /* not a power of two */
  assert_null(jitter_new(&cfg));
  assert_int_equal(errno, EINVAL);
  jitter_config_default(&cfg);
  cfg.max_ms = cfg.target_ms;
  assert_null(jitter_new(&cfg));
  jitter_free(jb);
}

static void
seq_jump_resyncs(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  uint16_t seq0 = 100;
  uint32_t ts0 = 0;
  assert_int_equal(push_n(jb, SEQ(0), TS(0)), 0);
  for (int i = 1; i < 10; i++) {
    assert_int_equal(push_n(jb, SEQ(i), TS(i)), 0);
    expect_packet(jb, SEQ(i - 1));
  }
  /* one stray packet far ahead: dropped, the stream goes on */
  assert_int_equal(push_n(jb, 9000, 5), -ERANGE);
  assert_int_equal(push_n(jb, SEQ(10), TS(10)), 0);
  expect_packet(jb, SEQ(9));
  /* the sender restarts with new seq and ts: the third one resyncs */
  seq0 = 40000;
  ts0 = 77777777;
  assert_int_equal(push_n(jb, SEQ(0), TS(0)), -ERANGE);
  expect_packet(jb, 110); /* the old stream's last packet */
  assert_int_equal(push_n(jb, SEQ(1), TS(1)), -ERANGE);
  assert_int_equal(push_n(jb, SEQ(2), TS(2)), 0);
  expect_kind(jb, JITTER_EMPTY, 0); /* refilling to the target */
  assert_int_equal(push_n(jb, SEQ(3), TS(3)), 0);
  expect_packet(jb, SEQ(2));
  assert_int_equal(push_n(jb, SEQ(4), TS(4)), 0);
  expect_packet(jb, SEQ(3));
  jitter_stats(jb, &st);
  assert_int_equal(st.resyncs, 1);
  assert_int_equal(st.out_of_window, 4);
  assert_int_equal(st.lost, 0);
  jitter_free(jb);
}

static void
underrun_then_idle_reset(void **state)
{
  JitterConfig cfg;
  jitter_config_default(&cfg);
  cfg.idle_reset_ms = 100;
  JitterBuffer *jb = jitter_new(&cfg);
  JitterStats st;
  const uint16_t seq0 = 1;
  const uint32_t ts0 = 1;
  push_n(jb, SEQ(0), TS(0));
  push_n(jb, SEQ(1), TS(1));
  expect_packet(jb, SEQ(0));
  expect_packet(jb, SEQ(1));
  for (int i = 0; i < 4; i++)
    expect_kind(jb, JITTER_PLC, AUDIO_FRAME); /* 80 ms concealed */
  expect_kind(jb, JITTER_EMPTY, 0);           /* 100 ms: the speaker stopped */
  expect_kind(jb, JITTER_EMPTY, 0);
  jitter_stats(jb, &st);
  assert_int_equal(st.underruns, 5);
  /* the speaker comes back 1 s later */
  push_n(jb, SEQ(52), TS(52));
  expect_kind(jb, JITTER_EMPTY, 0);
  push_n(jb, SEQ(53), TS(53));
  expect_packet(jb, SEQ(52));
  jitter_stats(jb, &st);
  assert_int_equal(st.lost, 0); /* restarted fresh: no gap counted */
  jitter_free(jb);
}

static void
dtx_pause_is_not_loss(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  JitterFrame f;
  const uint8_t dtx[1] = {TOC_CELT_20MS};
  const uint16_t seq0 = 10;
  const uint32_t ts0 = 0;
  push_n(jb, SEQ(0), TS(0));
  push_n(jb, SEQ(1), TS(1));
  expect_packet(jb, SEQ(0));
  expect_packet(jb, SEQ(1));
  /* DTX: seq 12 at frame 2, then seq 13 at frame 22 (400 ms later) */
  assert_int_equal(jitter_push(jb, SEQ(2), TS(2), dtx, 1), 0);
  assert_int_equal(jitter_pop(jb, &f), JITTER_PACKET);
  assert_int_equal(f.len, 1);
  for (int i = 3; i < 22; i++) {
    if (i == 20)
      assert_int_equal(jitter_push(jb, SEQ(3), TS(22), dtx, 1), 0);
    assert_int_equal(jitter_pop(jb, &f), JITTER_PLC);
    assert_int_equal(f.ts, TS(i));
  }
  assert_int_equal(jitter_pop(jb, &f), JITTER_PACKET);
  assert_int_equal(f.seq, SEQ(3));
  assert_int_equal(f.ts, TS(22));
  jitter_stats(jb, &st);
  assert_int_equal(st.lost, 0);
  assert_int_equal(st.plc, 0);
  assert_int_equal(st.fec_used, 0);
  assert_int_equal(st.gap_fill, 19);
  jitter_free(jb);
}

static void
packets_of_40ms(void **state)
{
  JitterBuffer *jb = new_default();
  JitterFrame f;
  JitterStats st;
  for (unsigned i = 0; i < 10; i++) {
    uint8_t p[2] = {TOC_SILK_40MS, (uint8_t)i};
    assert_int_equal(jitter_push(jb, (uint16_t)(60000 + i), 1920 * i, p, 2), 0);
    assert_int_equal(jitter_pop(jb, &f), JITTER_PACKET); /* 40 ms reaches the target */
    assert_int_equal(f.samples, 1920);
    assert_int_equal(f.payload[1], i);
  }
  /* lose one 40 ms packet: FEC for 40 ms */
  uint8_t p[2] = {TOC_SILK_40MS, 11};
  assert_int_equal(jitter_push(jb, 60011, 1920 * 11, p, 2), 0);
  assert_int_equal(jitter_pop(jb, &f), JITTER_FEC);
  assert_int_equal(f.samples, 1920);
  assert_int_equal(jitter_pop(jb, &f), JITTER_PACKET);
  jitter_stats(jb, &st);
  assert_int_equal(st.lost, 1);
  jitter_free(jb);
}

static void
depth_stays_bounded(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  const uint16_t seq0 = 3;
  const uint32_t ts0 = 0;
  push_n(jb, SEQ(0), TS(0));
  push_n(jb, SEQ(1), TS(1));
  expect_packet(jb, SEQ(0));
  /* a burst of 10 more (the sender's clock ran ahead, or a queue flushed) */
  for (int i = 2; i < 12; i++)
    assert_int_equal(push_n(jb, SEQ(i), TS(i)), 0);
  assert_true(jitter_depth(jb) > 100 * AUDIO_SAMPLES_PER_MS);
  expect_packet(jb, SEQ(10)); /* dropped back to the 40 ms target */
  assert_int_equal(jitter_depth(jb), AUDIO_FRAME);
  jitter_stats(jb, &st);
  assert_int_equal(st.dropped, 9);
  jitter_free(jb);

  /* a burst before the first pop keeps only the target too */
  jb = new_default();
  for (int i = 0; i < 6; i++)
    push_n(jb, SEQ(i), TS(i));
  expect_packet(jb, SEQ(4));
  jitter_free(jb);
}

/* xorshift32: a fixed seed, the same run every time */
static uint32_t
rng_next(uint32_t *x)
{
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void
simulated_network(void **state)
{
  /* 20 ms packets, each delayed 0..30 ms (so reordered at times), 3 % lost
   * on the way; the engine pops every 20 ms. Play-out time must run on
   * without a hole, and every seq must be either played or counted lost. */
  enum { N_PKT = 5000, MS = AUDIO_SAMPLES_PER_MS };
  static int arrival_ms[N_PKT];
  JitterBuffer *jb = new_default();
  JitterStats st;
  JitterFrame f;
  uint32_t rng = 12345;
  unsigned sent_lost = 0, packets = 0, fec = 0, plc = 0;
  const uint16_t seq0 = 65000;
  const uint32_t ts0 = 4000000000u;
  bool started = false;
  uint32_t next_ts = 0;

  for (int i = 0; i < N_PKT; i++) {
    bool lost = rng_next(&rng) % 100 < 3;
    arrival_ms[i] = lost ? -1 : i * 20 + (int)(rng_next(&rng) % 31);
    sent_lost += lost;
  }
  for (int now = 0; now < N_PKT * 20; now++) {
    for (int i = now / 20 - 2; i <= now / 20; i++)
      if (i >= 0 && arrival_ms[i] == now)
        push_n(jb, SEQ(i), TS(i));
    if (now % 20 != 5)
      continue; /* the tick */
    int kind = jitter_pop(jb, &f);
    if (kind == JITTER_EMPTY) {
      assert_false(started);
      continue;
    }
    if (started)
      assert_int_equal(f.ts, next_ts);
    started = true;
    next_ts = f.ts + f.samples;
    packets += kind == JITTER_PACKET;
    fec += kind == JITTER_FEC;
    plc += kind == JITTER_PLC;
  }
  jitter_stats(jb, &st);
  print_message("sent lost %u: packets %u fec %u plc %u, late %u lost %u dropped %u\n", sent_lost,
                packets, fec, plc, (unsigned)st.late, (unsigned)st.lost, (unsigned)st.dropped);
  assert_int_equal(st.fec_used, fec);
  assert_true(st.lost >= sent_lost);
  assert_true(st.lost + packets + st.dropped + jitter_depth(jb) / AUDIO_FRAME >= N_PKT - 2);
  assert_true(st.late < N_PKT / 50); /* a 40 ms target covers most of 30 ms jitter */
  assert_int_equal(st.duplicate + st.invalid + st.out_of_window + st.resyncs, 0);
  jitter_free(jb);
}

/* A 20 ms packet of @len bytes (>= 3) whose payload says which seq it is,
 * arriving at @at_us. */
static int
push_at(JitterBuffer *jb, uint16_t seq, uint32_t ts, size_t len, int64_t at_us)
{
  uint8_t p[64] = {TOC_CELT_20MS, (uint8_t)(seq >> 8), (uint8_t)seq};
  return jitter_push_at(jb, seq, ts, p, len, at_us);
}

/* A sender 0.1 % fast against our 20 ms pops: without draining, the delay
 * ratchets up to max_ms; with it, the buffer drops a packet whenever it
 * has held one too many for a second, and play-out runs on. */
static unsigned
fast_sender(unsigned drain_after_ms, unsigned *max_depth, unsigned *drained)
{
  enum { SECONDS = 60 };
  JitterConfig cfg;
  jitter_config_default(&cfg);
  cfg.drain_after_ms = drain_after_ms;
  JitterBuffer *jb = jitter_new(&cfg);
  JitterStats st;
  JitterFrame f;
  const uint16_t seq0 = 100;
  const uint32_t ts0 = 0;
  int i = 0, plc = 0;
  uint32_t next_ts = 0;
  bool started = false;
  *max_depth = 0;
  for (int64_t now = 0; now < SECONDS * 1000000LL; now += 20000) {
    /* packets every 19.98 ms, arriving until 15 ms after each pop */
    for (; (int64_t)i * 19980 <= now + 15000; i++)
      assert_int_equal(push_at(jb, SEQ(i), TS(i), 3, (int64_t)i * 19980 + 1), 0);
    unsigned depth = jitter_depth(jb);
    int kind = jitter_pop_at(jb, now + 15001, &f);
    if (kind == JITTER_EMPTY)
      continue;
    jitter_stats(jb, &st);
    if (started && kind == JITTER_PACKET)
      assert_true(f.ts == next_ts || f.ts == next_ts + AUDIO_FRAME); /* a drained packet */
    plc += kind != JITTER_PACKET;
    started = true;
    next_ts = f.ts + f.samples;
    if (now > 2000000 && depth > *max_depth)
      *max_depth = depth;
  }
  jitter_stats(jb, &st);
  *drained = (unsigned)st.drained;
  assert_int_equal(plc, 0);
  jitter_free(jb);
  return (unsigned)st.dropped;
}

static void
fast_sender_drains_back(void **state)
{
  unsigned depth, drained, dropped;
  dropped = fast_sender(0, &depth, &drained);
  print_message("no draining: depth up to %u ms, %u dropped over max_ms\n",
                depth / AUDIO_SAMPLES_PER_MS, dropped);
  assert_true(depth >= 100 * AUDIO_SAMPLES_PER_MS); /* climbs to max_ms */
  assert_int_equal(drained, 0);
  dropped = fast_sender(1000, &depth, &drained);
  print_message("draining: depth up to %u ms, %u drained, %u dropped\n",
                depth / AUDIO_SAMPLES_PER_MS, drained, dropped);
  assert_true(depth <= 60 * AUDIO_SAMPLES_PER_MS); /* the target and one packet at most */
  assert_int_equal(dropped, 0);
  /* 60 s at +1000 ppm is 3 packets too many: one drain each */
  assert_true(drained >= 2 && drained <= 4);
}

/* A packet too many: the drained one is a quiet one when one comes. */
static void
drain_prefers_a_quiet_packet(void **state)
{
  JitterBuffer *jb = new_default();
  JitterStats st;
  JitterFrame f;
  const uint16_t seq0 = 7;
  const uint32_t ts0 = 1000;
  int i = 0, dropped_seq = -1;
  /* loud packets (40 bytes), every 37th quiet (4 bytes); started at two
   * deep, then three (one too many) */
#define PUSH() (push_at(jb, SEQ(i), TS(i), i % 37 == 36 ? 4 : 40, 0), i++)
  PUSH();
  PUSH();
  assert_int_equal(jitter_pop(jb, &f), JITTER_PACKET);
  assert_int_equal(f.seq, SEQ(0));
  PUSH();
  uint16_t expect = SEQ(1);
  for (int pop = 0; pop < 120; pop++) {
    PUSH();
    assert_int_equal(jitter_pop(jb, &f), JITTER_PACKET);
    if (f.seq != expect) {
      assert_int_equal(dropped_seq, -1); /* one only */
      dropped_seq = (uint16_t)(f.seq - 1 - seq0);
    }
    expect = (uint16_t)(f.seq + 1);
  }
#undef PUSH
  jitter_stats(jb, &st);
  print_message("drained seq index %d (quiet ones: 36, 73, ...)\n", dropped_seq);
  assert_int_equal(st.drained, 1);
  assert_int_equal(dropped_seq, 73); /* the first quiet one after a second too deep */
  jitter_free(jb);
}

/* With arrival times: a wait budget drains a buffer that keeps every
 * packet longer than the budget, not one where a drain would make them
 * late. Packets arrive at k·20 + @phase ms, pops run at p·20 ms. */
static void
wait_budget(void **state)
{
  /* target 40, arriving 1 ms after a pop: they wait 39 ms, budget 38: one
   * drain, then 19 ms; arriving 10 ms after: 30 ms, none; target 20, 1 ms
   * after: 19 ms, budget 18, none (a drain would leave them no time) */
  static const unsigned target[] = {40, 40, 20}, phase[] = {1, 10, 1}, waits[] = {19, 30, 19};
  static const int drains[] = {1, 0, 0};
  for (int t = 0; t < 3; t++) {
    JitterConfig cfg;
    jitter_config_default(&cfg);
    cfg.target_ms = target[t];
    cfg.max_ms = target[t] + 60;
    JitterBuffer *jb = jitter_new(&cfg);
    JitterStats st;
    JitterFrame f;
    const uint16_t seq0 = 1;
    const uint32_t ts0 = 0;
    int64_t wait = 0;
    int k = 0;
    jitter_set_wait_budget(jb, (int64_t)(target[t] - 2) * 1000);
    for (int64_t ms = 0; ms < 4000; ms++) {
      if (ms == (int64_t)k * 20 + phase[t]) {
        assert_int_equal(push_at(jb, SEQ(k), TS(k), 3, ms * 1000), 0);
        k++;
      }
      if (ms % 20 == 0 && jitter_pop_at(jb, ms * 1000, &f) == JITTER_PACKET)
        wait = ms * 1000 - f.arrival_us;
    }
    jitter_stats(jb, &st);
    print_message("target %u ms, arriving %u ms after a pop: %u drained, wait %.1f ms\n", target[t],
                  phase[t], (unsigned)st.drained, (double)wait / 1000.0);
    assert_int_equal(st.drained, drains[t]);
    assert_int_equal(wait, waits[t] * 1000);
    assert_int_equal(st.late + st.plc, 0);
    jitter_free(jb);
  }
}

/* A late packet after a wait-budget drain gives the packet back, and the
 * budget's drains stay off for a while: the buffer does not saw. */
static void
late_packet_regrows(void **state)
{
  JitterConfig cfg;
  jitter_config_default(&cfg);
  JitterBuffer *jb = jitter_new(&cfg);
  JitterStats st;
  JitterFrame f;
  const uint16_t seq0 = 1;
  const uint32_t ts0 = 0;
  int64_t wait = 0, wait_before = 0;
  jitter_set_wait_budget(jb, 38000);
  int pushed = 0;
  for (int64_t ms = 0; ms < 8000; ms++) {
    /* every packet 1 ms after a pop, but packet 150 25 ms later */
    for (int k = pushed; k < pushed + 3; k++) {
      int64_t at = (int64_t)k * 20 + 1 + (k == 150 ? 25 : 0);
      if (at == ms)
        push_at(jb, SEQ(k), TS(k), 3, ms * 1000);
    }
    while ((int64_t)pushed * 20 + 1 + (pushed == 150 ? 25 : 0) <= ms)
      pushed++;
    if (ms % 20 == 0 && jitter_pop_at(jb, ms * 1000, &f) == JITTER_PACKET) {
      wait = ms * 1000 - f.arrival_us;
      if (ms < 2900)
        wait_before = wait;
    }
  }
  jitter_stats(jb, &st);
  print_message("wait %.0f ms before the late packet, %.0f ms after; drained %u, regrown %u, "
                "late %u\n",
                (double)wait_before / 1000, (double)wait / 1000, (unsigned)st.drained,
                (unsigned)st.regrown, (unsigned)st.late);
  assert_int_equal(wait_before, 19000);
  assert_int_equal(st.late, 1);
  assert_int_equal(st.regrown, 1);
  assert_int_equal(st.drained, 1); /* not again within the hold (10 s) */
  assert_int_equal(wait, 39000);
  jitter_free(jb);
}

static void
stats_add_sums_every_counter(void **state)
{
  JitterStats a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.late = 2;
  b.late = 3;
  b.drained = 1;
  b.resyncs = 4;
  jitter_stats_add(&a, &b);
  assert_int_equal(a.late, 5);
  assert_int_equal(a.drained, 1);
  assert_int_equal(a.resyncs, 4);
  assert_int_equal(a.received, 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(in_order),
      cmocka_unit_test(reordering_within_depth),
      cmocka_unit_test(loss_of_one_uses_fec),
      cmocka_unit_test(loss_of_two_plc_then_fec),
      cmocka_unit_test(burst_loss),
      cmocka_unit_test(wrap_at_65535),
      cmocka_unit_test(duplicates_and_late),
      cmocka_unit_test(garbage_is_refused),
      cmocka_unit_test(seq_jump_resyncs),
      cmocka_unit_test(underrun_then_idle_reset),
      cmocka_unit_test(dtx_pause_is_not_loss),
      cmocka_unit_test(packets_of_40ms),
      cmocka_unit_test(depth_stays_bounded),
      cmocka_unit_test(simulated_network),
      cmocka_unit_test(fast_sender_drains_back),
      cmocka_unit_test(drain_prefers_a_quiet_packet),
      cmocka_unit_test(wait_budget),
      cmocka_unit_test(late_packet_regrows),
      cmocka_unit_test(stats_add_sums_every_counter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
