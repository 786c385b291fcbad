/* SPDX-License-Identifier: Apache-2.0 */
/* What one listener measured of the stream it receives (RFC 3550 A.1, A.3,
 * A.8): packets, sequence gaps, duplicates, inter-arrival jitter, and the
 * fan-out spread across listeners: per packet, the arrival at the first and
 * at the last listener. Pure: no GLib, no sockets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOADGEN_RX_HISTORY 256 /* duplicate detection reaches this far back */
#define LOADGEN_RTP_CLOCK 48000

typedef struct {
  bool started;
  int64_t max_ext;  /* highest extended sequence number seen */
  int64_t first_ext; /* the first packet's */
  int64_t base_ext;  /* first extended number counted (window start) */
  uint64_t received; /* distinct packets since the first, for reports */
  uint64_t packets; /* counted since the window start, duplicates included */
  uint64_t dups;
  uint64_t late;    /* older than the window start: not counted */
  double jitter;    /* RFC 3550 J, in RTP timestamp units */
  bool have_transit;
  int64_t last_transit;
  /* for receiver reports (RFC 3550 A.3) */
  int64_t expected_prior, received_prior;
  int64_t last_arrival_us; /* the newest packet's arrival (monotonic), 0: none yet */
  uint32_t seen[LOADGEN_RX_HISTORY]; /* ext + 1 of recent packets */
} LoadgenRxStats;

void loadgen_rx_init(LoadgenRxStats *s);
/* Counts from the next packet on; the jitter estimate carries on. */
void loadgen_rx_begin_window(LoadgenRxStats *s);
/* One RTP packet arrived at @arrival_us (monotonic). Returns its extended
 * sequence number, or -1 if it is a duplicate. */
int64_t loadgen_rx_packet(LoadgenRxStats *s, uint16_t seq, uint32_t ts, int64_t arrival_us);
uint64_t loadgen_rx_expected(const LoadgenRxStats *s);
/* Expected minus distinct packets received; never negative. */
uint64_t loadgen_rx_lost(const LoadgenRxStats *s);
double loadgen_rx_jitter_ms(const LoadgenRxStats *s);
/* Fills a receiver report block's fraction lost (of 256) and cumulative
 * lost, and moves the interval on. */
void loadgen_rx_report(LoadgenRxStats *s, uint8_t *fraction, int32_t *cumulative);

/* The fan-out spread: per packet, the arrival at the first and at the last
 * listener. A packet is known by a key (loadgen_rtp_payload_key(): servers
 * may rewrite sequence numbers and timestamps per listener, not the
 * payload); slots are indexed by key and a slot is closed when another key
 * takes it, or at the end. A packet counts when @expected listeners saw it;
 * one whose slot was taken early counts as incomplete. */
#define LOADGEN_SPREAD_SLOTS 4096

typedef struct {
  uint32_t key; /* 0 = empty */
  uint32_t count;
  int64_t first_us, last_us;
} LoadgenSpreadSlot;

typedef struct {
  unsigned expected; /* listeners that must see a packet for it to count */
  LoadgenSpreadSlot slots[LOADGEN_SPREAD_SLOTS];
  int64_t *samples; /* last - first, µs, of every complete packet */
  int64_t *firsts;  /* and its first arrival */
  size_t n_samples, cap_samples;
  uint64_t incomplete; /* packets some listener never got (or whose slot was reused) */
} LoadgenSpread;

/* Transfer full; NULL when out of memory. */
LoadgenSpread *loadgen_spread_new(unsigned expected);
void loadgen_spread_free(LoadgenSpread *sp);
/* @key: non-zero. */
void loadgen_spread_add(LoadgenSpread *sp, uint32_t key, int64_t arrival_us);
/* Closes every open slot. */
void loadgen_spread_flush(LoadgenSpread *sp);
/* A non-zero 32-bit hash (FNV-1a) of a clear RTP packet's payload (after
 * CSRCs and header extension) into *key; false if malformed or empty. */
bool loadgen_rtp_payload_key(const uint8_t *pkt, size_t len, uint32_t *key);

/* The @q quantile (0..1) of @v (sorted in place), nearest rank; 0 if empty. */
double loadgen_quantile(double *v, size_t n, double q);
