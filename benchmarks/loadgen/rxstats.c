/* SPDX-License-Identifier: Apache-2.0 */
#include "rxstats.h"

#include <stdlib.h>
#include <string.h>

void
loadgen_rx_init(LoadgenRxStats *s)
{
  memset(s, 0, sizeof *s);
}

void
loadgen_rx_begin_window(LoadgenRxStats *s)
{
  s->base_ext = s->started ? s->max_ext + 1 : 0;
  s->packets = 0;
  s->dups = 0;
  s->late = 0;
}

int64_t
loadgen_rx_packet(LoadgenRxStats *s, uint16_t seq, uint32_t ts, int64_t arrival_us)
{
  s->last_arrival_us = arrival_us;
  int64_t ext;

  if (!s->started) {
    s->started = true;
    ext = seq;
    s->max_ext = ext;
    s->first_ext = ext;
    if (s->base_ext == 0)
      s->base_ext = ext;
    s->expected_prior = 0;
    s->received_prior = 0;
  } else {
    ext = s->max_ext + (int16_t)(uint16_t)(seq - (uint16_t)s->max_ext);
    if (ext > s->max_ext)
      s->max_ext = ext;
  }
  uint32_t *slot = &s->seen[(uint64_t)ext % LOADGEN_RX_HISTORY];
  bool dup = *slot == (uint32_t)(ext + 1);
  if (ext >= s->base_ext) {
    s->packets++;
    if (dup)
      s->dups++;
  } else {
    s->late++;
  }
  if (dup)
    return -1;
  *slot = (uint32_t)(ext + 1);
  s->received++;

  /* RFC 3550 A.8: transit time in timestamp units; only its changes count */
  int64_t arrival = arrival_us * LOADGEN_RTP_CLOCK / 1000000;
  int64_t transit = arrival - (int64_t)ts;
  if (s->have_transit) {
    int64_t d = transit - s->last_transit;
    if (d < 0)
      d = -d;
    /* a timestamp jump (DTX, source restart) is not jitter */
    if (d < LOADGEN_RTP_CLOCK)
      s->jitter += ((double)d - s->jitter) / 16.0;
  }
  s->have_transit = true;
  s->last_transit = transit;
  return ext;
}

uint64_t
loadgen_rx_expected(const LoadgenRxStats *s)
{
  if (!s->started || s->max_ext < s->base_ext)
    return 0;
  return (uint64_t)(s->max_ext - s->base_ext + 1);
}

uint64_t
loadgen_rx_lost(const LoadgenRxStats *s)
{
  uint64_t expected = loadgen_rx_expected(s);
  uint64_t got = s->packets - s->dups;
  return expected > got ? expected - got : 0;
}

double
loadgen_rx_jitter_ms(const LoadgenRxStats *s)
{
  return s->jitter * 1000.0 / LOADGEN_RTP_CLOCK;
}

void
loadgen_rx_report(LoadgenRxStats *s, uint8_t *fraction, int32_t *cumulative)
{
  int64_t expected = s->started ? s->max_ext - s->first_ext + 1 : 0;
  int64_t lost = expected - (int64_t)s->received;
  int64_t exp_int = expected - s->expected_prior;
  int64_t lost_int = lost - (int64_t)(s->expected_prior - s->received_prior);

  s->expected_prior = expected;
  s->received_prior = (int64_t)s->received;
  *fraction = (exp_int <= 0 || lost_int <= 0) ? 0 : (uint8_t)((lost_int << 8) / exp_int);
  if (lost > 0x7fffff)
    lost = 0x7fffff;
  if (lost < -0x800000)
    lost = -0x800000;
  *cumulative = (int32_t)lost;
}

LoadgenSpread *
loadgen_spread_new(unsigned expected)
{
  LoadgenSpread *sp = calloc(1, sizeof *sp);
  if (sp)
    sp->expected = expected;
  return sp;
}

void
loadgen_spread_free(LoadgenSpread *sp)
{
  if (!sp)
    return;
  free(sp->samples);
  free(sp->firsts);
  free(sp);
}

static void
close_slot(LoadgenSpread *sp, LoadgenSpreadSlot *slot)
{
  if (!slot->key)
    return;
  if (slot->count >= sp->expected) {
    if (sp->n_samples == sp->cap_samples) {
      size_t cap = sp->cap_samples ? sp->cap_samples * 2 : 1024;
      int64_t *v = realloc(sp->samples, cap * sizeof *v);
      if (v)
        sp->samples = v;
      int64_t *f = realloc(sp->firsts, cap * sizeof *f);
      if (f)
        sp->firsts = f;
      if (!v || !f)
        goto done;
      sp->cap_samples = cap;
    }
    sp->firsts[sp->n_samples] = slot->first_us;
    sp->samples[sp->n_samples++] = slot->last_us - slot->first_us;
  } else {
    sp->incomplete++;
  }
done:
  memset(slot, 0, sizeof *slot);
}

void
loadgen_spread_add(LoadgenSpread *sp, uint32_t key, int64_t arrival_us)
{
  if (!key)
    return;
  LoadgenSpreadSlot *slot = &sp->slots[key % LOADGEN_SPREAD_SLOTS];
  if (slot->key != key) {
    close_slot(sp, slot);
    slot->key = key;
    slot->first_us = slot->last_us = arrival_us;
  }
  /* arrival times are the kernel's, read in whatever order the listeners'
   * sockets are served: the earliest and the latest, not first and last read */
  if (arrival_us < slot->first_us)
    slot->first_us = arrival_us;
  if (arrival_us > slot->last_us)
    slot->last_us = arrival_us;
  slot->count++;
}

bool
loadgen_rtp_payload_key(const uint8_t *pkt, size_t len, uint32_t *key)
{
  if (len < 12 || (pkt[0] & 0xc0) != 0x80)
    return false;
  size_t off = 12 + 4 * (size_t)(pkt[0] & 0x0f);
  if (pkt[0] & 0x10) { /* header extension */
    if (off + 4 > len)
      return false;
    off += 4 + 4 * (size_t)(pkt[off + 2] << 8 | pkt[off + 3]);
  }
  size_t end = len;
  if (pkt[0] & 0x20) { /* padding */
    if (pkt[len - 1] > len)
      return false;
    end = len - pkt[len - 1];
  }
  if (off >= end)
    return false;
  uint32_t h = 2166136261u;
  for (size_t i = off; i < end; i++)
    h = (h ^ pkt[i]) * 16777619u;
  *key = h ? h : 1;
  return true;
}

void
loadgen_spread_flush(LoadgenSpread *sp)
{
  for (size_t i = 0; i < LOADGEN_SPREAD_SLOTS; i++)
    close_slot(sp, &sp->slots[i]);
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double
loadgen_quantile(double *v, size_t n, double q)
{
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, cmp_double);
  size_t rank = (size_t)(q * (double)n + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return v[rank - 1];
}
