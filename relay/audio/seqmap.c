/* SPDX-License-Identifier: Apache-2.0 */
#include "seqmap.h"

#include <errno.h>

void
seqmap_init(SeqMap *m, uint16_t first_seq, uint32_t first_ts)
{
  m->started = false;
  m->source = 0;
  m->in_seq = 0;
  m->in_ts = 0;
  /* the first packet adds nothing: store the values one step back */
  m->out_seq = (uint16_t)(first_seq - 1u);
  m->out_ts = first_ts;
}

int
seqmap_next(SeqMap *m, uint32_t source, uint16_t in_seq, uint32_t in_ts, uint32_t elapsed,
            SeqMapOut *out)
{
  uint32_t advance;
  bool marker;

  if (!m->started) {
    advance = 0;
    marker = true;
  } else if (source == m->source) {
    int16_t dseq = (int16_t)(uint16_t)(in_seq - m->in_seq);
    uint32_t dts = in_ts - m->in_ts;
    if (dseq <= 0)
      return -ESTALE;
    if (dts != 0 && dts <= SEQMAP_MAX_TS_GAP) {
      advance = dts;
      marker = false;
    } else {
      /* the source restarted (same ts, backwards, or far ahead): treat it
       * as a switch */
      if (elapsed == 0)
        return -EINVAL;
      advance = elapsed;
      marker = true;
    }
  } else {
    if (elapsed == 0)
      return -EINVAL;
    advance = elapsed;
    marker = true;
  }

  m->started = true;
  m->source = source;
  m->in_seq = in_seq;
  m->in_ts = in_ts;
  m->out_seq = (uint16_t)(m->out_seq + 1u);
  m->out_ts += advance;
  out->seq = m->out_seq;
  out->ts = m->out_ts;
  out->marker = marker;
  return 0;
}
