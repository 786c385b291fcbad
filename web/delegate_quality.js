// SPDX-License-Identifier: Apache-2.0
// The delegate's connection quality: getStats every 5 s (loss, round trip,
// jitter), shown in plain words and sent to the server as 'quality'.
import { measureQuality, showQuality } from './common.js';

export const QUALITY_EVERY_MS = 5000;
let timer = null;
let last = null;

export function startQuality(pc, send) {
  stopQuality();
  const prev = {};
  const tick = async () => {
    if (!pc || pc.connectionState === 'closed') return;
    try {
      last = await measureQuality(pc, prev);
      showQuality(last);
      window.rostrum.quality = last;
      send({ type: 'quality', ...last });
    } catch (err) {
      console.warn('getStats failed', err);
    }
  };
  // the first reading soon after connecting, then every 5 s
  setTimeout(tick, 1000);
  timer = setInterval(tick, QUALITY_EVERY_MS);
}

export function stopQuality() {
  if (timer) clearInterval(timer);
  timer = null;
}

export function lastQuality() {
  return last;
}
