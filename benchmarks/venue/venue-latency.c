/* SPDX-License-Identifier: Apache-2.0 */
/* venue-latency: venue RTP in -> listener packet out, through a running
 * rostrum-relay (BENCHMARKS.md, "Venue RTP in: latency").
 *
 * Plays the venue's mixing desk: L24 48 kHz stereo RTP, one packet every
 * --ptime ms (absolute deadlines on CLOCK_MONOTONIC), silence with a burst
 * of 1 kHz at -12 dBFS (100 ms) every 503 ms (the burst's phase against
 * the relay's 20 ms tick moves 3 ms each time). Receives the floor as the
 * relay's venue_out Opus stream (the floor's own packets, sent by the main
 * loop right after it fanned the same packet out to the listeners), decodes
 * it with libopus and finds each burst's onset (the first sample above
 * -26 dBFS after 100 ms under it). Latency of an onset = when the output
 * packet carrying it arrived - when the input packet carrying the burst's
 * first sample was sent.
 *
 *   venue-latency --in PORT --out PORT [--seconds 40] [--ptime 1]
 * Prints each onset with VENUE_LATENCY_VERBOSE=1, then n, p50, p99, max. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <netinet/in.h>
#include <opus.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RATE 48000
#define PERIOD_MS 503
#define BURST_MS 100
#define AMP 0.25       /* -12 dBFS */
#define THRESHOLD 0.05 /* -26 dBFS */
#define MAX_BURSTS 4096

static int in_port, out_port, seconds = 40, ptime_ms = 1;
static gint64 burst_sent_us[MAX_BURSTS]; /* by burst number */
static volatile int sending = 1;

static gint64
now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
sender(void *arg)
{
  (void)arg;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)in_port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  const int spp = RATE / 1000 * ptime_ms; /* samples per packet */
  uint8_t pkt[12 + 20 * 48 * 6];
  uint16_t seq = 1;
  uint32_t ts = 0;
  uint64_t sample = 0;
  const uint64_t total = (uint64_t)seconds * RATE;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (sample < total) {
    pkt[0] = 0x80;
    pkt[1] = 97;
    pkt[2] = (uint8_t)(seq >> 8);
    pkt[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++)
      pkt[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
    memcpy(pkt + 8, "\x12\x34\x56\x78", 4);
    for (int i = 0; i < spp; i++) {
      uint64_t s = sample + (uint64_t)i;
      uint64_t in_period = s % (RATE / 1000 * PERIOD_MS);
      double v = in_period < (uint64_t)RATE / 1000 * BURST_MS
                     ? AMP * sin(2 * G_PI * 1000.0 * (double)in_period / RATE)
                     : 0.0;
      int32_t q = (int32_t)lrint(v * 8388607.0);
      for (int c = 0; c < 2; c++) {
        uint8_t *p = pkt + 12 + (i * 2 + c) * 3;
        p[0] = (uint8_t)(q >> 16);
        p[1] = (uint8_t)(q >> 8);
        p[2] = (uint8_t)q;
      }
    }
    uint64_t period = (uint64_t)RATE / 1000 * PERIOD_MS;
    int starts_burst =
        sample % period == 0 || (sample / period != (sample + (uint64_t)spp - 1) / period);
    sendto(fd, pkt, 12 + (size_t)spp * 6, 0, (struct sockaddr *)&to, sizeof to);
    if (starts_burst) {
      uint64_t b = (sample + (uint64_t)spp - 1) / period;
      if (b < MAX_BURSTS)
        burst_sent_us[b] = now_us();
    }
    sample += (uint64_t)spp;
    ts += (uint32_t)spp;
    seq++;
    next.tv_nsec += ptime_ms * 1000000L;
    while (next.tv_nsec >= 1000000000L) {
      next.tv_nsec -= 1000000000L;
      next.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  sending = 0;
  close(fd);
  return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--in") == 0)
      in_port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--out") == 0)
      out_port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0)
      seconds = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--ptime") == 0)
      ptime_ms = atoi(argv[i + 1]);
  }
  if (!in_port || !out_port || seconds < 2 || (ptime_ms != 1 && ptime_ms != 4)) {
    fprintf(stderr, "usage: %s --in PORT --out PORT [--seconds S] [--ptime 1|4]\n", argv[0]);
    return 2;
  }
  gboolean verbose = g_getenv("VENUE_LATENCY_VERBOSE") != NULL;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)out_port)};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
    perror("bind --out");
    return 1;
  }
  struct timeval tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int err = 0;
  OpusDecoder *dec = opus_decoder_create(RATE, 1, &err);
  pthread_t th;
  gint64 start = now_us();
  pthread_create(&th, NULL, sender, NULL);

  double lat[MAX_BURSTS];
  int n = 0, quiet = 0, burst = 0;
  float pcm[5760];
  uint8_t buf[1600];
  while (sending || now_us() - start < (gint64)(seconds + 1) * 1000000) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    gint64 t = now_us();
    if (len < 13) {
      if (!sending)
        break;
      continue;
    }
    int got = opus_decode_float(dec, buf + 12, (opus_int32)(len - 12), pcm, 5760, 0);
    for (int i = 0; i < got; i++) {
      if (fabsf(pcm[i]) < THRESHOLD) {
        quiet++;
        continue;
      }
      if (quiet >= RATE / 10) { /* an onset after 100 ms of quiet */
        /* the burst it belongs to: the latest sent before this packet */
        while (burst + 1 < MAX_BURSTS && burst_sent_us[burst + 1] && burst_sent_us[burst + 1] < t)
          burst++;
        if (burst_sent_us[burst] && t - burst_sent_us[burst] < PERIOD_MS * 1000) {
          lat[n] = (double)(t - burst_sent_us[burst]) / 1000.0;
          if (verbose)
            printf("onset %d (burst %d): %.2f ms\n", n, burst, lat[n]);
          n++;
        }
      }
      quiet = 0;
    }
  }
  pthread_join(th, NULL);
  if (n < 3) {
    printf("venue-latency: only %d onsets came back (is the relay running with floor_source = "
           "rtp on --in and venue_out floor:127.0.0.1:<--out>:opus?)\n",
           n);
    return 1;
  }
  qsort(lat, (size_t)n, sizeof *lat, cmp_double);
  printf(
      "venue-latency: ptime %d ms, %d onsets: p50 %.1f ms, p99 %.1f ms, max %.1f ms, min %.1f ms\n",
      ptime_ms, n, lat[n / 2], lat[(int)ceil(0.99 * n) - 1], lat[n - 1], lat[0]);
  opus_decoder_destroy(dec);
  return 0;
}
