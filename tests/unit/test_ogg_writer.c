/* SPDX-License-Identifier: Apache-2.0 */
/* ogg_writer.c: the pages of an Ogg/Opus stream, byte for byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ogg_writer.h"

typedef struct {
  uint8_t data[1 << 20];
  size_t len;
  int fail_after; /* pages; -1: never */
} Sink;

static int
sink_write(void *user, const uint8_t *data, size_t len)
{
  Sink *s = user;
  if (s->fail_after == 0)
    return -ENOSPC;
  if (s->fail_after > 0)
    s->fail_after--;
  memcpy(s->data + s->len, data, len);
  s->len += len;
  return 0;
}

static uint32_t
le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
  return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

typedef struct {
  uint8_t flags;
  uint64_t granule;
  uint32_t seq;
  unsigned n_segments;
  const uint8_t *segments, *body;
  size_t body_len, len;
} Page;

/* Parses the page at @p and checks its CRC. */
static Page
page_at(const uint8_t *p)
{
  Page pg = {0};
  assert_memory_equal(p, "OggS", 4);
  assert_int_equal(p[4], 0);
  pg.flags = p[5];
  pg.granule = le64(p + 6);
  pg.seq = le32(p + 18);
  pg.n_segments = p[26];
  pg.segments = p + 27;
  for (unsigned i = 0; i < pg.n_segments; i++)
    pg.body_len += pg.segments[i];
  pg.body = p + 27 + pg.n_segments;
  pg.len = 27 + pg.n_segments + pg.body_len;
  uint8_t copy[70000];
  memcpy(copy, p, pg.len);
  memset(copy + 22, 0, 4);
  assert_int_equal(ogg_crc32(copy, pg.len), le32(p + 22));
  return pg;
}

static void
test_crc_vector(void **state)
{
  (void)state;
  /* CRC-32/CKSUM's check value 0x765e7680 without its final inversion */
  assert_int_equal(ogg_crc32((const uint8_t *)"123456789", 9), 0x89a1897fu);
}

static void
test_stream(void **state)
{
  (void)state;
  static Sink s;
  OggWriter w;
  uint8_t pkt[300];
  memset(&s, 0, sizeof s);
  s.fail_after = -1;
  memset(pkt, 0xab, sizeof pkt);
  assert_int_equal(ogg_opus_begin(&w, 0x1234, 1, "rostrum", sink_write, &s), 0);
  Page head = page_at(s.data);
  assert_int_equal(head.flags, 0x02);
  assert_int_equal(head.seq, 0);
  assert_int_equal(head.body_len, 19);
  assert_memory_equal(head.body, "OpusHead\x01\x01\x00\x00\x80\xbb\x00\x00\x00\x00\x00", 19);
  Page tags = page_at(s.data + head.len);
  assert_int_equal(tags.flags, 0);
  assert_memory_equal(tags.body, "OpusTags\x07\x00\x00\x00rostrum\x00\x00\x00\x00", 23);
  size_t audio0 = head.len + tags.len;
  /* 60 packets: a page of 50, then 10 at the end of stream; a 255-byte
   * packet laces as 255 + 0 */
  for (int i = 0; i < 60; i++)
    assert_int_equal(ogg_opus_packet(&w, pkt, i == 3 ? 255 : 100, 960), 0);
  assert_int_equal(ogg_opus_end(&w), 0);
  Page p1 = page_at(s.data + audio0);
  assert_int_equal(p1.seq, 2);
  assert_int_equal(p1.granule, 50 * 960);
  assert_int_equal(p1.n_segments, 51);
  assert_int_equal(p1.segments[3], 255);
  assert_int_equal(p1.segments[4], 0);
  Page p2 = page_at(s.data + audio0 + p1.len);
  assert_int_equal(p2.flags, 0x04);
  assert_int_equal(p2.granule, 60 * 960);
  assert_int_equal(p2.n_segments, 10);
  assert_int_equal(audio0 + p1.len + p2.len, s.len);
  assert_int_equal(w.bytes, s.len);
  assert_int_equal(ogg_opus_packet(&w, pkt, 0, 960), -EMSGSIZE);
}

static void
test_write_error(void **state)
{
  (void)state;
  static Sink s;
  OggWriter w;
  uint8_t pkt[100] = {0};
  memset(&s, 0, sizeof s);
  s.fail_after = 2; /* the two headers, then the disk is full */
  assert_int_equal(ogg_opus_begin(&w, 1, 1, "r", sink_write, &s), 0);
  int rc = 0;
  for (int i = 0; i < 50 && rc == 0; i++)
    rc = ogg_opus_packet(&w, pkt, sizeof pkt, 960);
  assert_int_equal(rc, -ENOSPC);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_crc_vector),
      cmocka_unit_test(test_stream),
      cmocka_unit_test(test_write_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
