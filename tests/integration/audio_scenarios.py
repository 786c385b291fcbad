#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The audio engine's scenarios (issue 18, "Tests"): webrtcbin peers
(tests/integration/audio_peer.c) as speakers, interpreters and listeners,
each sending a tone of its own as its microphone, and the control link
driven directly with the requests of docs/control.md ("The audio engine").
Which tone arrives where is read from the peers' reports: per 10 ms of
decoded audio and per received track, the energy at each tone's frequency
(all fitted at once: no leakage between tones), RMS, sample peak, SSRC and
when the RTP packet carrying it arrived.

  audio_scenarios.py SCENARIO RELAY_EXE AUDIO_PEER_EXE [LOADGEN_EXE]

Voices, every one at -16 dBFS: the venue 440 Hz; speakers A 1000 Hz and
B 1300 Hz; fr interpreters F1 700 Hz and F2 900 Hz; es interpreter E1
1100 Hz. Listener L1 has a floor and a channel track.
A tone is "present" at >= -22 dB and "absent" at <= -36 dB (amplitude,
dBFS); a leak would show near -16. In a mix of several tones the floor's
32 kb/s encode leaves coding noise up to -34 on the other tones'
frequencies, so there "absent" also passes within 6 dB of the median of
frequencies nobody sends (and 12 dB under a voice).

  mixminus   after floor.grant A the floor listener hears 440 + 1000 and A
             hears 440, not 1000; with A and B granted each hears the other,
             not itself; after floor.revoke A nobody hears 1000.
  channels   booth.live fr F1: L1's channel fr carries 700, not the floor;
             booth.live fr "": channel fr carries the floor, level-matched
             (within 1 dB of L1's floor track) and ramped in (no window of
             the first 100 ms louder than the floor's steady peak + 1 dB),
             not 700; booth.input es channel:fr: E1's floor track carries
             700; channel es carries 1100.
  handover   booth.live fr F1 -> F2 (four times, both ways): on L1's channel
             never both tones at >= their steady level - 6 dB in one 10 ms
             window, the gap (last window with the old tone to the first
             with the new one, on the track's own timeline) <= 40 ms, and
             no floor in the gap.
  cough      booth.cough F1 on: channel fr silent (no 700, no 440) within
             20 ms (median of five), stays silent while held, 700 returns
             on release.
  switch     listener.channel channel:fr -> channel:es: L1 hears 1100
             within 100 ms (median of four switches), same SSRC, same pad,
             one peer.connected, no peer.lost: no renegotiation.
  limiter    speaker S at speech level (1000 Hz, -20 dBFS), venue at
             -20 dBFS: at L1 both come out within 0.5 dB of what was sent
             (the limiter is transparent). Then speaker Q, a full-scale
             3 kHz square, also granted, and interpreter F1 with a full-scale
             square live in fr: the relay's level events for floor and
             channel fr say limiting, true peak <= -3 dBFS + 0.1 dB; on the
             floor (L1), S's mix-minus (S's floor track) and channel fr
             (L1's channel) the decoded sample peak and every decoded 10 ms
             window's RMS <= -3 + 0.5 dB (the margin and why: see
             scenario_limiter). After Q leaves the floor, S is back within
             0.5 dB, and the floor's limiter never acted on speech level.
  fullband   a 14 kHz tone (A on the floor, F1 in fr) reaches L1's floor,
             B's mix-minus, channel fr, and channel es (carrying the floor):
             each decoded spectrum's 12-16 kHz band > -40 dB (sent -16) and
             bins above -60 dB reach past 12 kHz.
  encoders   rostrum_audio_encoders in /metrics (A granted, F1 live, two
             listeners) is the same while 48 more listeners join with
             rostrum-loadgen (50 listeners) and after they leave.

How times are measured (switch, cough): the script takes the monotonic
clock just before it writes the request; audio_peer stamps each RTP packet
as it reaches its jitter buffer (after SRTP, before any waiting) and maps
each decoded 10 ms window back to the packet that carried its first sample
(both are CLOCK_MONOTONIC; packets are matched across the jitter buffer by
SSRC and RTP timestamp). The change is the first window that shows it with
the next two agreeing; the delay is when its packet would have arrived on
time (its media time plus the track's smallest arrival-minus-media offset
over the 2 s before the request) minus the request: what the relay took to
put the change on the wire, plus loopback. Neither our jitter buffer, nor
the decoder's one-packet FEC look-ahead, nor a peer stamping packets late
when it is short of CPU is in it (checked against a raw capture on lo:
the peer's stamps lag the wire by 0.5 ms median, 1.3 ms p90, with rare
bursts of ~45 ms that the on-time estimate removes). The arrival as
stamped is printed too. It is quantised by the packet (20 ms): a relay
that applies requests at its next 20 ms tick shows 0-20 ms, hence the
median of several tries at varied phases.
The handover gap is measured on the track's own timeline (decoded samples,
timestamp gaps filled), i.e. what the listener hears, in 10 ms windows.

Each scenario has its own temp dir and a hard alarm, prints its figures,
and exits 0 pass, 1 fail, 77 skip.
"""
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relay_scenarios  # noqa: E402
from relay_scenarios import Fail, LineReader, Scenario, check, log  # noqa: E402

FLOOR_HZ = 440
A_HZ, B_HZ, F1_HZ, F2_HZ, E1_HZ = 1000, 1300, 700, 900, 1100
REPORT_HZ = [FLOOR_HZ, F1_HZ, F2_HZ, A_HZ, E1_HZ, B_HZ]
VOICE_DB = -16.0  # every tone, the venue's too
PRESENT_DB = VOICE_DB - 6.0
ABSENT_DB = VOICE_DB - 20.0
WINDOW_MS = 10
READY_S = 25
SETTLE_S = 0.6   # after a request, before a steady measurement
MEASURE_S = 1.0  # length of a steady measurement
CEILING_DB = -3.0
# The venue is a 440 Hz tone at VOICE_DB from a pipeline rather than
# floor_source = tone, whose level is fixed at -6 dBFS (relay/audio/venue.c):
# the floor's Opus encode (32 kb/s, FEC at 10 % loss) leaves coding noise
# about 30 dB under the loudest tone on the other tones' frequencies, so
# the tones must be of one level to tell "absent" from noise; and venue +
# two speakers must stay under the limiter's ceiling (here -6.5 dBFS), or
# its gain modulation adds products of its own.
VENUE = {"floor_source": "pipeline",
         "floor_pipeline": f"audiotestsrc is-live=true wave=sine freq={FLOOR_HZ} "
                           f"volume={10 ** (VOICE_DB / 20):.4f}"}
VOICE = ["--mic-gain-db", f"{VOICE_DB:g}"]


class Skip(Exception):
    pass


def e_db(w, hz):
    e = w["e"].get(f"{hz:g}")
    return 10.0 * math.log10(e) if e and e > 0 else -200.0


class Reports(LineReader):
    """An audio_peer's stdout: report windows by track, other lines kept
    (and echoed) for wait_for()."""

    def __init__(self, stream, name, peer_id, save_path):
        self.peer_id = peer_id
        self.save = open(save_path, "w")  # every line, for ROSTRUM_KEEP_TMP=1
        self.windows = {}
        self.mono0 = None
        self.last_known = {}  # pad -> (when, media_ms) of its last window with a packet
        super().__init__(stream, name, echo=False)

    def _run(self, stream):
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            now = time.monotonic()
            self.save.write(line + "\n")
            try:
                msg = json.loads(line)
            except ValueError:
                log(f"{self.name}: not JSON: {line[:200]}")
                continue
            with self.cond:
                if "e" in msg and "track" in msg:
                    self._stamp(msg)
                    self.windows.setdefault(msg["track"], []).append(msg)
                else:
                    if "start" in msg:
                        self.mono0 = msg["mono_us"] / 1e6
                    # events are broadcast to every peer: echo only our own
                    if "event" not in msg or (msg.get("peer") == self.peer_id and
                                              msg["event"] not in ("stats", "level")):
                        log(f"{self.name}> {line[:300]}")
                    self.lines.append((now, line))
                self.cond.notify_all()

    def _stamp(self, w):
        """A window's time ("when", monotonic s): its packet's arrival; for
        audio no packet carried (concealment, a filled timestamp gap) the
        last arrival on its pad plus the media time since."""
        pad = w.get("pad")
        if w["rx_ms"] >= 0:
            w["when"] = self.mono0 + w["rx_ms"] / 1000.0
            self.last_known[pad] = (w["when"], w["media_ms"])
        elif pad in self.last_known:
            when, media = self.last_known[pad]
            w["when"] = when + (w["media_ms"] - media) / 1000.0
        else:
            w["when"] = self.mono0 + w["t_ms"] / 1000.0

    @staticmethod
    def when(w):
        return w["when"]

    def track(self, name):
        with self.cond:
            return list(self.windows.get(name, []))

    def wait_windows(self, track, until, timeout=5.0):
        """Waits until the track has a window that arrived after @until."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                ws = self.windows.get(track, [])
                if ws and self.when(ws[-1]) >= until:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)


class AudioScenario(Scenario):
    def __init__(self, relay_exe, peer_exe, loadgen_exe=None):
        super().__init__(relay_exe, peer_exe)
        self.loadgen_exe = loadgen_exe
        self.next_id = 100
        self.peers = {}

    def start_relay(self, **keys):
        conf = {"languages": "en, fr, es", **VENUE}
        conf.update(keys)
        super().start_relay(**conf)

    # --- peers ------------------------------------------------------------
    def peer(self, name, peer_id, role="delegate", booth=None, tracks="floor", mic_hz=None,
             hz=REPORT_HZ, extra=(), timeout_s=120):
        args = [self.peer_exe, "--peer-id", peer_id, "--participant", name.upper(), "--role", role,
                "--tracks", tracks, "--report-hz", ",".join(f"{f:g}" for f in hz),
                "--report-method", "fit", "--timeout", str(timeout_s)]
        if booth:
            args += ["--booth", booth]
        if mic_hz:
            args += ["--mic-hz", str(mic_hz), *VOICE]
        args += [*extra, self.sock_path]
        err = open(os.path.join(self.dir, f"{name}.err"), "wb")
        # srtpdec's warnings say when the relay's SRTP does not authenticate
        env = dict(os.environ, GST_DEBUG_NO_COLOR="1", GST_DEBUG=",".join(
            x for x in ("srtpdec:2", os.environ.get("GST_DEBUG")) if x))
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, env=env)
        p.err_path = err.name
        p.name = name
        p.peer_id = peer_id
        p.rep = Reports(p.stdout, name, peer_id, os.path.join(self.dir, f"{name}.jsonl"))
        self.procs.append(p)
        self.peers[name] = p
        return p

    def wait_ready(self, *peers):
        deadline = time.monotonic() + READY_S
        for p in peers:
            got = p.rep.wait_for(r'^\{"ready":true', max(0.1, deadline - time.monotonic()))
            if not got:
                check(p.poll() is None, f"{p.name} exited {p.poll()}\n{self.stderr_tail(p)}")
                with open(p.err_path, errors="replace") as f:
                    auth = f.read().count("Error authentication packet")
                why = (f": {auth} RTP packets from the relay failed SRTP authentication "
                       "(srtpdec)" if auth else "")
                raise Fail(f"{p.name} ({p.peer_id}) decoded no floor audio within {READY_S} s"
                           f"{why}\n{self.stderr_tail(p)[-1500:]}\n{self.relay_stderr()}")
        log("ready: " + ", ".join(p.name for p in peers))

    # --- control ------------------------------------------------------------
    def req(self, type_, **fields):
        """Sends a request; returns (reply, time just before it was written)."""
        self.next_id += 1
        msg = {"v": 1, "id": self.next_id, "type": type_, **fields}
        t = time.monotonic()
        r = self.request(msg, timeout=3)
        check(r is not None, f"no reply to {type_} {fields} within 3 s")
        if not r.get("ok"):
            hint = ""
            if r.get("error") == "unknown_type":
                hint = (" (this relay does not know the audio engine's requests yet: "
                        "docs/control.md, 'The audio engine: products and who hears what')")
            raise Fail(f"relay refused {type_} {fields}: {r.get('error')}: {r.get('message')}{hint}")
        log(f"request {type_} {fields}: ok")
        return r, t

    # --- analysis ------------------------------------------------------------
    def steady(self, p, track, t0, t1=None, what=None):
        """Median level (dB) per frequency, median RMS, max peak over the
        windows of @track that arrived in [t0, t1]."""
        t1 = t1 if t1 is not None else t0 + MEASURE_S
        left = t1 - time.monotonic()
        if left > 0:
            time.sleep(left)
        if not p.rep.wait_windows(track, t1, timeout=5):
            raise Fail(f"{p.name}'s {track} track: no audio after {t1 - relay_scenarios.T0:.2f} s "
                       f"({len(p.rep.track(track))} windows in all)\n{self.stderr_tail(p)}")
        ws = [w for w in p.rep.track(track) if t0 <= p.rep.when(w) <= t1]
        want = (t1 - t0) * 1000 / WINDOW_MS
        check(len(ws) >= want * 0.6, f"{p.name}'s {track} track: {len(ws)} windows in "
              f"{t1 - t0:.1f} s, want ~{want:.0f}")
        hzs = [float(k) for k in ws[0]["e"]]
        out = {"n": len(ws), "rms": statistics.median(w["rms_dbfs"] for w in ws),
               "peak": max(w["peak"] for w in ws),
               "peak_med": statistics.median(w["peak"] for w in ws)}
        for hz in hzs:
            out[hz] = statistics.median(e_db(w, hz) for w in ws)
        label = what or f"{p.name} {track}"
        log(f"{label}: " + ", ".join(f"{hz:g} Hz {out[hz]:.1f}" for hz in hzs) +
            f" dB; rms {out['rms']:.1f}, peak {out['peak']:.2f} dBFS ({len(ws)} windows)")
        return out

    def expect(self, lv, what, present=(), absent=(), noise=()):
        """@noise: frequencies nobody sends in this scenario; their median is
        the product's coding-noise floor. A tone is absent at <= ABSENT_DB,
        or, in a product whose noise is higher (a mix of several tones at
        32 kb/s), within 6 dB of that noise and still 12 dB under a voice."""
        floor = statistics.median(lv[float(hz)] for hz in noise) if noise else -200.0
        for hz in present:
            check(lv[float(hz)] >= PRESENT_DB,
                  f"{what}: {hz} Hz at {lv[float(hz)]:.1f} dB, want present (>= {PRESENT_DB:.0f})")
        for hz in absent:
            v = lv[float(hz)]
            check(v <= ABSENT_DB or (v <= floor + 6.0 and v <= VOICE_DB - 12.0),
                  f"{what}: {hz} Hz at {v:.1f} dB, want absent (<= {ABSENT_DB:.0f}, or <= the "
                  f"noise {floor:.1f} + 6 dB)")

    def first_change(self, p, track, t_req, pred, run=3, horizon=1.0):
        """The first window of @track that arrived after @t_req from which
        @pred holds for @run windows: (index, window, delay ms)."""
        p.rep.wait_windows(track, t_req + horizon, timeout=horizon + 5)
        ws = p.rep.track(track)
        for i, w in enumerate(ws):
            if p.rep.when(w) < t_req:
                continue
            if all(pred(x) for x in ws[i:i + run]) and len(ws[i:i + run]) == run:
                return i, w, (p.rep.when(w) - t_req) * 1000.0
        return None, None, None

    def on_time(self, p, track, w, t_req):
        """When window @w's packet would have reached the peer had nothing on
        the way delayed it, in ms after @t_req: the track's smallest
        (arrival - media time) over the 2 s before the request, plus the
        packet's media time. The relay sends on a 20 ms tick; a peer short
        of CPU stamps packets late, in bursts, and this undoes that. None
        without reference packets."""
        ws = p.rep.track(track)
        first = {}  # media time of each packet's first window
        for x in ws:
            first.setdefault((x["pad"], x["seq"]), x["media_ms"])
        ref = [x["when"] - first[(x["pad"], x["seq"])] / 1000.0 for x in ws
               if x["rx_ms"] >= 0 and t_req - 2.0 <= x["when"] <= t_req]
        if not ref:
            return None
        media = first.get((w["pad"], w["seq"]), w["media_ms"]) if w["rx_ms"] >= 0 else w["media_ms"]
        return (min(ref) + media / 1000.0 - t_req) * 1000.0

    def metric(self, name):
        m = self.metrics()
        vals = [v for k, v in m.items() if k == name or k.startswith(name + "{")]
        return sum(vals) if vals else None

    def level_events(self, t0, t1, product=None, peer=None):
        with self.ev_cond:
            return [e for t, e in self.events if e.get("event") == "level" and t0 <= t <= t1 and
                    (product is None or e.get("product") == product) and
                    (peer is None or e.get("peer") == peer)]


def present(hz):
    return lambda w: e_db(w, hz) >= PRESENT_DB


# --- mixminus ---------------------------------------------------------------
def scenario_mixminus(sc):
    MM_NOISE = [F1_HZ, F2_HZ, E1_HZ]  # no interpreter here
    sc.start_relay()
    a = sc.peer("A", "spk-a", tracks="floor,mic", mic_hz=A_HZ)
    b = sc.peer("B", "spk-b", tracks="floor,mic", mic_hz=B_HZ)
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel")
    sc.wait_ready(a, b, l1)
    t = time.monotonic()
    lv = sc.steady(l1, "floor", t, t + MEASURE_S, "before any grant: L1 floor")
    sc.expect(lv, "L1 floor before any grant", present=[FLOOR_HZ], absent=[A_HZ, B_HZ], noise=MM_NOISE)

    _, t = sc.req("floor.grant", peer="spk-a")
    lv = sc.steady(l1, "floor", t + SETTLE_S, what="A granted: L1 floor")
    sc.expect(lv, "L1 floor with A granted", present=[FLOOR_HZ, A_HZ], absent=[B_HZ], noise=MM_NOISE)
    lv = sc.steady(a, "floor", t + SETTLE_S, what="A granted: A floor (mix-minus)")
    sc.expect(lv, "A's floor track (its mix-minus)", present=[FLOOR_HZ], absent=[A_HZ, B_HZ], noise=MM_NOISE)

    _, t = sc.req("floor.grant", peer="spk-b")
    lv = sc.steady(l1, "floor", t + SETTLE_S, what="A+B granted: L1 floor")
    sc.expect(lv, "L1 floor with A and B granted", present=[FLOOR_HZ, A_HZ, B_HZ])
    lv = sc.steady(a, "floor", t + SETTLE_S, what="A+B granted: A floor")
    sc.expect(lv, "A's floor track with A and B granted", present=[FLOOR_HZ, B_HZ], absent=[A_HZ], noise=MM_NOISE)
    lv = sc.steady(b, "floor", t + SETTLE_S, what="A+B granted: B floor")
    sc.expect(lv, "B's floor track with A and B granted", present=[FLOOR_HZ, A_HZ], absent=[B_HZ], noise=MM_NOISE)

    _, t = sc.req("floor.revoke", peer="spk-a")
    lv = sc.steady(l1, "floor", t + SETTLE_S, what="A revoked: L1 floor")
    sc.expect(lv, "L1 floor after A's revoke", present=[FLOOR_HZ, B_HZ], absent=[A_HZ], noise=MM_NOISE)
    lv = sc.steady(a, "floor", t + SETTLE_S, what="A revoked: A floor")
    sc.expect(lv, "A's floor track after its revoke", present=[FLOOR_HZ, B_HZ], absent=[A_HZ], noise=MM_NOISE)
    lv = sc.steady(b, "floor", t + SETTLE_S, what="A revoked: B floor")
    sc.expect(lv, "B's floor track after A's revoke", present=[FLOOR_HZ], absent=[A_HZ, B_HZ], noise=MM_NOISE)
    check(sc.relay_alive(), "relay died")


# --- channels ---------------------------------------------------------------
def scenario_channels(sc):
    sc.start_relay()
    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F1_HZ)
    e1 = sc.peer("E1", "int-e1", role="interpreter", booth="es", tracks="floor,channel,mic",
                 mic_hz=E1_HZ)
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel")
    sc.wait_ready(f1, e1, l1)

    sc.req("booth.live", booth="fr", peer="int-f1")
    _, t = sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="fr live F1: L1 channel:fr")
    sc.expect(lv, "L1's channel fr with F1 live", present=[F1_HZ], absent=[FLOOR_HZ, E1_HZ])
    lv = sc.steady(l1, "floor", t + SETTLE_S, what="fr live F1: L1 floor")
    sc.expect(lv, "L1's floor track", present=[FLOOR_HZ], absent=[F1_HZ, E1_HZ])
    lv = sc.steady(f1, "floor", t + SETTLE_S, what="F1's floor track (its input: floor)")
    sc.expect(lv, "F1's floor track", present=[FLOOR_HZ], absent=[F1_HZ])
    floor_ref = sc.steady(l1, "floor", t + SETTLE_S, what="L1 floor (reference for the ramp)")

    # no microphone on in booth fr: the channel carries the floor, ramped in
    _, t = sc.req("booth.live", booth="fr", peer="")
    i, w, delay = sc.first_change(
        l1, "channel", t, lambda x: e_db(x, FLOOR_HZ) >= -40 and e_db(x, F1_HZ) <= ABSENT_DB,
        run=3, horizon=2.0)
    check(w is not None, "channel fr did not start carrying the floor (440 Hz) within 2 s of "
          "booth.live fr \"\"")
    ws = l1.rep.track("channel")
    first = ws[i:i + 100 // WINDOW_MS]
    ramp = [e_db(x, FLOOR_HZ) for x in first]
    worst = max(x["peak"] for x in first)
    log(f"floor into channel fr: onset {delay:.0f} ms after the request; 440 Hz over the first "
        f"100 ms: " + " ".join(f"{v:.1f}" for v in ramp) +
        f" dB; peak {worst:.2f} dBFS vs the floor's steady peak {floor_ref['peak_med']:.2f} dBFS")
    check(worst <= floor_ref["peak_med"] + 1.0,
          f"channel fr's first 100 ms of floor peak at {worst:.2f} dBFS, above the floor's steady "
          f"peak {floor_ref['peak_med']:.2f} + 1 dB: a burst, not a ramp")
    lv = sc.steady(l1, "channel", t + 1.2, t + 2.2, what="fr off: L1 channel:fr")
    sc.expect(lv, "L1's channel fr with no microphone on", present=[FLOOR_HZ], absent=[F1_HZ])
    check(abs(lv[float(FLOOR_HZ)] - floor_ref[float(FLOOR_HZ)]) <= 1.0,
          f"channel fr carries the floor at {lv[float(FLOOR_HZ)]:.1f} dB, the floor itself is at "
          f"{floor_ref[float(FLOOR_HZ)]:.1f} dB: not level-matched (1 dB)")

    # relay interpretation: booth es works from channel fr
    sc.req("booth.live", booth="fr", peer="int-f1")
    sc.req("booth.input", booth="es", source="channel:fr")
    _, t = sc.req("booth.live", booth="es", peer="int-e1")
    lv = sc.steady(e1, "floor", t + SETTLE_S, what="es input channel:fr: E1 floor track")
    sc.expect(lv, "E1's floor track (booth es hears channel fr)", present=[F1_HZ],
              absent=[FLOOR_HZ, E1_HZ])
    _, t = sc.req("listener.channel", peer="lis-1", channel="channel:es")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="es live E1: L1 channel:es")
    sc.expect(lv, "L1's channel es with E1 live", present=[E1_HZ], absent=[FLOOR_HZ, F1_HZ])
    check(sc.relay_alive(), "relay died")


# --- handover ---------------------------------------------------------------
def scenario_handover(sc):
    sc.start_relay()
    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F1_HZ)
    f2 = sc.peer("F2", "int-f2", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F2_HZ)
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel")
    sc.wait_ready(f1, f2, l1)
    sc.req("booth.live", booth="fr", peer="int-f1")
    _, t = sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="F1 live: L1 channel:fr")
    sc.expect(lv, "channel fr with F1 live", present=[F1_HZ], absent=[F2_HZ, FLOOR_HZ])
    steady = {F1_HZ: lv[float(F1_HZ)]}
    gaps = []
    live, other = ("int-f1", F1_HZ), ("int-f2", F2_HZ)
    for k in range(4):
        old_hz, (new_peer, new_hz) = live[1], other
        _, t = sc.req("booth.live", booth="fr", peer=new_peer)
        i9, w9, _ = sc.first_change(l1, "channel", t, present(new_hz), run=3, horizon=1.5)
        check(w9 is not None, f"channel fr never carried {new_hz} Hz after booth.live fr {new_peer}")
        delay = sc.on_time(l1, "channel", w9, t) or float("nan")
        ws = l1.rep.track("channel")
        olds = [j for j in range(max(0, i9 - 50), i9 + 1) if e_db(ws[j], old_hz) >= PRESENT_DB]
        check(olds, f"no window with {old_hz} Hz before the first with {new_hz} Hz")
        i7 = olds[-1]
        gap = ws[i9]["media_ms"] - (ws[i7]["media_ms"] + WINDOW_MS)
        after = sc.steady(l1, "channel", t + SETTLE_S, what=f"after handover {k + 1}: channel fr")
        sc.expect(after, f"channel fr after handover to {new_peer}", present=[new_hz],
                  absent=[old_hz, FLOOR_HZ])
        steady[new_hz] = after[float(new_hz)]
        # both at once: each at >= its steady level - 6 dB (more than half
        # its amplitude) in one window. A clean switch splits at most one
        # window between the two, and then one of them is below half.
        both = [x for x in ws[max(0, i7 - 20):i9 + 20]
                if e_db(x, old_hz) >= steady[old_hz] - 6 and e_db(x, new_hz) >= steady[new_hz] - 6]
        floor_in_gap = [x for x in ws[i7 + 1:i9] if e_db(x, FLOOR_HZ) > ABSENT_DB]
        around = " ".join(f"{e_db(x, old_hz):.0f}/{e_db(x, new_hz):.0f}"
                          for x in ws[max(0, i7 - 2):i9 + 3])
        log(f"handover {k + 1} {old_hz}->{new_hz} Hz: gap {max(0.0, gap):.0f} ms "
            f"(last {old_hz} window at {ws[i7]['media_ms']:.0f} ms, first {new_hz} at "
            f"{ws[i9]['media_ms']:.0f} ms of the track), {new_hz} Hz on the wire "
            f"{delay:.0f} ms after the request; windows old/new dB: {around}")
        check(not both, f"handover {k + 1}: both {old_hz} and {new_hz} Hz in one window: "
              + "; ".join(f"{x['media_ms']:.0f} ms {e_db(x, old_hz):.1f}/{e_db(x, new_hz):.1f} dB"
                          for x in both))
        check(not floor_in_gap, f"handover {k + 1}: the floor in the gap: "
              + "; ".join(f"{x['media_ms']:.0f} ms {e_db(x, FLOOR_HZ):.1f} dB" for x in floor_in_gap))
        gaps.append(max(0.0, gap))
        live, other = other, live
    log(f"handover gaps: {', '.join(f'{g:.0f}' for g in gaps)} ms (max {max(gaps):.0f}, "
        f"limit 40)")
    check(max(gaps) <= 40, f"handover gap {max(gaps):.0f} ms > 40 ms")
    check(sc.relay_alive(), "relay died")


# --- cough ------------------------------------------------------------------
def scenario_cough(sc):
    sc.start_relay()
    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F1_HZ)
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel")
    sc.wait_ready(f1, l1)
    sc.req("booth.live", booth="fr", peer="int-f1")
    _, t = sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="F1 live: L1 channel:fr")
    sc.expect(lv, "channel fr with F1 live", present=[F1_HZ], absent=[FLOOR_HZ])

    def silent(x):
        return e_db(x, F1_HZ) <= ABSENT_DB and e_db(x, FLOOR_HZ) <= ABSENT_DB

    delays = []
    for k in range(5):
        time.sleep(0.137 * k)  # vary the request's phase against the 20 ms ticks
        _, t_on = sc.req("booth.cough", peer="int-f1", on=True)
        time.sleep(0.8)
        _, t_off = sc.req("booth.cough", peer="int-f1", on=False)
        # analysed afterwards: a relay that sent nothing while coughing is
        # seen once packets come back (the gap is filled with silence)
        i, w, rx_delay = sc.first_change(l1, "channel", t_on, silent, run=3, horizon=1.2)
        check(w is not None and l1.rep.when(w) < t_off,
              f"cough {k + 1}: channel fr not silent while held (no three windows without 700 "
              "and 440 Hz)")
        ws = [x for x in l1.rep.track("channel") if l1.rep.when(w) < l1.rep.when(x) < t_off]
        loud = [x for x in ws if not silent(x)]
        check(not loud, f"cough {k + 1}: channel fr not silent while held: " + "; ".join(
            f"{x['media_ms']:.0f} ms 700 Hz {e_db(x, F1_HZ):.1f} / 440 Hz {e_db(x, FLOOR_HZ):.1f} dB"
            for x in loud[:5]))
        j, w2, back = sc.first_change(l1, "channel", t_off, present(F1_HZ), run=3, horizon=0.8)
        check(w2 is not None, f"cough {k + 1}: 700 Hz did not come back within 0.8 s of release")
        trace = " ".join(f"{(l1.rep.when(x) - t_on) * 1000:.0f}:{e_db(x, F1_HZ):.0f}"
                         for x in l1.rep.track("channel")[max(0, i - 6):i + 2])
        delay = sc.on_time(l1, "channel", w, t_on)
        check(delay is not None, f"cough {k + 1}: no channel packets before the request")
        log(f"cough {k + 1}: silent {delay:.1f} ms after the request (arrived {rx_delay:.1f}; "
            f"packet seq {w['seq']}, "
            f"{len(ws)} silent windows while held), 700 Hz back {back:.1f} ms after the release; "
            f"windows (ms after the request: 700 Hz dB) {trace}")
        delays.append(delay)
        time.sleep(0.3)
    med = statistics.median(delays)
    log(f"cough delays: {', '.join(f'{d:.1f}' for d in delays)} ms (packet on time); median "
        f"{med:.1f}, max {max(delays):.1f} (limit 20 ms, on the median)")
    check(med <= 20.0, f"cough: channel fr silent a median {med:.1f} ms after the request, > 20 ms")
    lv = sc.steady(l1, "channel", time.monotonic(), what="after the last release")
    sc.expect(lv, "channel fr after the cough", present=[F1_HZ], absent=[FLOOR_HZ])
    check(sc.relay_alive(), "relay died")


# --- switch -----------------------------------------------------------------
def scenario_switch(sc):
    sc.start_relay()
    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F1_HZ)
    e1 = sc.peer("E1", "int-e1", role="interpreter", booth="es", tracks="floor,channel,mic",
                 mic_hz=E1_HZ)
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel")
    sc.wait_ready(f1, e1, l1)
    sc.req("booth.live", booth="fr", peer="int-f1")
    sc.req("booth.live", booth="es", peer="int-e1")
    _, t = sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="L1 channel:fr")
    sc.expect(lv, "L1's channel fr", present=[F1_HZ], absent=[E1_HZ, FLOOR_HZ])
    delays = []
    to = [("channel:es", E1_HZ, F1_HZ), ("channel:fr", F1_HZ, E1_HZ)] * 2
    for k, (chan, new_hz, old_hz) in enumerate(to):
        time.sleep(0.113 * k)
        _, t = sc.req("listener.channel", peer="lis-1", channel=chan)
        i, w, rx_delay = sc.first_change(l1, "channel", t, present(new_hz), run=3, horizon=1.0)
        check(w is not None, f"switch {k + 1} to {chan}: {new_hz} Hz not heard within 1 s")
        delay = sc.on_time(l1, "channel", w, t)
        check(delay is not None, f"switch {k + 1}: no channel packets before the request")
        lv = sc.steady(l1, "channel", t + SETTLE_S, t + SETTLE_S + 0.6, what=f"after switch {k + 1}")
        sc.expect(lv, f"L1's channel after the switch to {chan}", present=[new_hz], absent=[old_hz])
        trace = " ".join(f"{(l1.rep.when(x) - t) * 1000:.0f}:{e_db(x, old_hz):.0f}/{e_db(x, new_hz):.0f}"
                         for x in l1.rep.track("channel")[max(0, i - 4):i + 2])
        log(f"switch {k + 1} to {chan}: {new_hz} Hz {delay:.1f} ms after the request (arrived "
            f"{rx_delay:.1f}); windows (ms after the request: old/new dB) {trace}")
        delays.append(delay)
    ws = l1.rep.track("channel")
    ssrcs = sorted({x["ssrc"] for x in ws})
    pads = sorted({x["pad"] for x in ws})
    connected = [e for _, e in sc.events_for("lis-1", "peer.connected")]
    lost = [e for _, e in sc.events_for("lis-1", "peer.lost")]
    med = statistics.median(delays)
    log(f"switch delays: {', '.join(f'{d:.1f}' for d in delays)} ms; median {med:.1f} (limit "
        f"100); channel track SSRCs {ssrcs}, pads {pads}, peer.connected x{len(connected)}, "
        f"peer.lost x{len(lost)}")
    check(len(ssrcs) == 1, f"the channel track's SSRC changed across the switches: {ssrcs}")
    check(len(pads) == 1, f"webrtcbin made a new pad for the channel track: {pads}")
    check(len(connected) == 1 and not lost, f"L1 reconnected or was lost: {connected} {lost}")
    check(med <= 100.0, f"switch: the new channel heard a median {med:.1f} ms after the request")
    check(sc.relay_alive(), "relay died")


# --- limiter ----------------------------------------------------------------
LIMIT_HZ = [FLOOR_HZ, A_HZ, 3000]


def scenario_limiter(sc):
    # The limiter bounds the product's true peak before its encoder (the
    # relay's level events report it); Opus then overshoots on limited,
    # harmonic-rich audio: a 3 kHz square limited to -3 dBFS true peak
    # decodes with peaks at -2.3 dBFS at 64 kb/s and clipping at 32 kb/s,
    # and even a clean 3 kHz sine at -3 dBFS decodes at -2.0 at 32 kb/s. So
    # what a listener decodes is checked twice: its sample peak <= -3 dBFS
    # + 0.5 dB, which holds only because the engine trims for the codec
    # (relay/audio, "codec trim"), and its RMS <= -3 + 0.5 dB, which any
    # limiter must give (RMS <= true peak, and Opus keeps band energy within
    # 0.1 dB, measured); an unlimited full-scale square reads 0 dBFS on both.
    sc.start_relay(floor_source="pipeline",
                   floor_pipeline=f"audiotestsrc is-live=true wave=sine freq={FLOOR_HZ} volume=0.1",
                   level_interval_ms=500)
    s = sc.peer("S", "spk-s", tracks="floor,mic", mic_hz=A_HZ, hz=LIMIT_HZ,
                extra=["--mic-gain-db", "-20"])
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel", hz=LIMIT_HZ)
    sc.wait_ready(s, l1)
    _, t = sc.req("floor.grant", peer="spk-s")
    lv = sc.steady(l1, "floor", t + SETTLE_S, t + SETTLE_S + 2.0, what="speech level: L1 floor")
    speech, venue = lv[float(A_HZ)], lv[float(FLOOR_HZ)]
    log(f"speech level through the floor: {speech:.2f} dB (sent -20.00), venue {venue:.2f} dB "
        f"(sent -20.00)")
    ev = sc.level_events(t + SETTLE_S, time.monotonic())
    for e in ev[-8:]:
        if e.get("peer") == "spk-s" or e.get("product") == "floor":
            log(f"level event {e.get('product') or e.get('peer')}: dbfs {e.get('dbfs'):.2f}, "
                f"peak_dbfs {e.get('peak_dbfs'):.2f}, limiting {e.get('limiting')}")
    # Decoded: within what Opus's coding of pure tones leaves (see below).
    check(abs(speech + 20.0) <= 0.75, f"speech level changed: {speech:.2f} dB, sent -20.00 (0.75 dB)")
    check(abs(venue + 20.0) <= 0.75, f"venue level changed: {venue:.2f} dB, sent -20.00 (0.75 dB)")
    check(not any(e.get("limiting") for e in ev if e.get("product") == "floor"),
          "the floor's limiter acts on speech-level audio")
    floor_before = [e["dbfs"] for e in ev if e.get("product") == "floor"]
    check(floor_before, "no level event for the floor before the square")
    floor_before = statistics.median(floor_before)
    # Two tones of -20 dB peak (-23.01 dBFS RMS each) sum to -20.0 dBFS RMS:
    # before the encoder the limiter must leave that exactly.
    check(abs(floor_before + 20.0) <= 0.2,
          f"the floor before the encoder is {floor_before:.2f} dBFS RMS, want -20.0 (0.2 dB)")

    square = ["--mic-wave", "square", "--mic-gain-db", "0"]
    q = sc.peer("Q", "spk-q", tracks="floor,mic", mic_hz=3000, hz=LIMIT_HZ, extra=square)
    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=3000, hz=LIMIT_HZ, extra=square)
    sc.wait_ready(q, f1)
    sc.req("booth.live", booth="fr", peer="int-f1")
    sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    _, t = sc.req("floor.grant", peer="spk-q")
    limit = CEILING_DB + 0.5
    for who, track, what in ((l1, "floor", "floor (L1)"), (s, "floor", "S's mix-minus"),
                             (l1, "channel", "channel fr (L1)")):
        lv = sc.steady(who, track, t + SETTLE_S, t + SETTLE_S + 2.0, what=f"square: {what}")
        check(lv[3000.0] >= PRESENT_DB, f"{what}: the square is not there ({lv[3000.0]:.1f} dB)")
        ws = [x for x in who.rep.track(track)
              if t + SETTLE_S <= who.rep.when(x) <= t + SETTLE_S + 2]
        worst_rms = max(x["rms_dbfs"] for x in ws)
        log(f"square: {what}: decoded sample peak {lv['peak']:.2f} dBFS, window RMS up to "
            f"{worst_rms:.2f} dBFS (limit {limit:.1f} for both)")
        check(worst_rms <= limit, f"{what}: a window's RMS is {worst_rms:.2f} dBFS > {limit:.1f}")
        check(lv["peak"] <= limit, f"{what}: decoded sample peak {lv['peak']:.2f} dBFS > {limit:.1f}")
    ev = sc.level_events(t + SETTLE_S, time.monotonic())
    mics = {e["peer"]: e for e in ev if e.get("peer")}
    for who in ("spk-q", "int-f1"):
        if who in mics:
            log(f"level event {who} (input): dbfs {mics[who].get('dbfs'):.2f}, peak_dbfs "
                f"{mics[who].get('peak_dbfs'):.2f}")
    products = sorted({e["product"] for e in ev if e.get("product")})
    for name in ("floor", "channel:fr") + tuple(x for x in products if x.startswith("minus:")):
        pe = [e for e in ev if e.get("product") == name]
        check(pe, f"no level event for product {name} (events for {products})")
        tp = max(e.get("peak_dbfs", -200.0) for e in pe)
        lim = sorted({e.get("limiting") for e in pe})
        log(f"level events {name}: true peak up to {tp:.2f} dBFS, limiting {lim}")
        check(tp <= CEILING_DB + 0.1, f"{name}: true peak {tp:.2f} dBFS above the -3 dBFS ceiling")
        check(any(e.get("limiting") for e in pe), f"{name}: the level events never say limiting")

    # Recovery is judged first before the encoder, where the relay's level
    # events see the product exactly: the floor's RMS back to what it was
    # before the square (0.2 dB) and no limiting. What the listener decodes
    # adds Opus's coding of two pure tones, and the encoder codes them
    # differently after a loud passage: with the limiter idle again (RMS
    # exact before the encoder) the decoded 1000 Hz tone read -19.31 ..
    # -19.89 dB over 20 runs, against -19.65 .. -19.94 before the square. So
    # the decoded level gets 1 dB; a limiter that holds any gain reduction
    # fails the check before the encoder first.
    _, t = sc.req("floor.revoke", peer="spk-q")
    lv = sc.steady(l1, "floor", t + SETTLE_S, t + SETTLE_S + 1.5, what="square gone: L1 floor")
    after = sc.level_events(t + SETTLE_S, time.monotonic(), product="floor")
    check(after, "no level event for the floor after the square")
    floor_after = statistics.median(e["dbfs"] for e in after)
    log(f"after the square: floor before the encoder {floor_after:.2f} dBFS RMS (before "
        f"{floor_before:.2f}), limiting {sorted({e.get('limiting') for e in after})}; decoded "
        f"speech {lv[float(A_HZ)]:.2f} dB (before {speech:.2f})")
    check(abs(floor_after - floor_before) <= 0.2,
          f"the limiter did not recover: the floor at {floor_after:.2f} dBFS RMS before the "
          f"encoder, {floor_before:.2f} before the square")
    check(not any(e.get("limiting") for e in after), "the floor still limits after the square")
    check(abs(lv[float(A_HZ)] + 20.0) <= 1.0,
          f"the limiter did not recover: decoded speech at {lv[float(A_HZ)]:.2f} dB, sent -20.00")
    check(sc.relay_alive(), "relay died")


# --- fullband ---------------------------------------------------------------
FULL_HZ = [FLOOR_HZ, 12000, 14000]


def scenario_fullband(sc):
    sc.start_relay()
    spec = ["--spectrum", "5"]
    a = sc.peer("A", "spk-a", tracks="floor,mic", mic_hz=14000, hz=FULL_HZ)
    b = sc.peer("B", "spk-b", tracks="floor,mic", mic_hz=B_HZ, hz=FULL_HZ, extra=spec)
    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=14000, hz=FULL_HZ)
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel", hz=FULL_HZ, extra=spec)
    l2 = sc.peer("L2", "lis-2", tracks="floor,channel", hz=FULL_HZ, extra=spec)
    sc.wait_ready(a, b, f1, l1, l2)
    sc.req("floor.grant", peer="spk-a")
    sc.req("floor.grant", peer="spk-b")
    sc.req("booth.live", booth="fr", peer="int-f1")
    sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    _, t = sc.req("listener.channel", peer="lis-2", channel="channel:es")
    products = ((l1, "floor", "floor"), (b, "floor", "B's mix-minus"),
                (l1, "channel", "channel fr (F1)"), (l2, "channel", "channel es (the floor)"))
    for who, track, what in products:  # per 10 ms, for the record
        sc.steady(who, track, t + SETTLE_S, what=f"14 kHz: {what}")
    # Opus codes the 12-16 kHz band by its energy and folds in its fine
    # structure, so a fit at exactly 14 kHz reads 20 dB low (-37 for -16
    # sent); the band's power (a 16384-point spectrum, 5 s into each track;
    # the channel tracks start later) says whether 14 kHz got through.
    for who, track, what in products:
        got = who.rep.wait_for(rf'"spectrum":true,"track":"{track}"', 15)
        check(got, f"{what}: no spectrum line")
        msg = json.loads(got[1].string)
        log(f"{what}: spectrum above {msg['threshold_db']:.0f} dB up to {msg['max_hz']:.0f} Hz; "
            f"12-16 kHz band {msg['band_db']:.1f} dB (sent -16); peak {msg['peak_hz']:.0f} Hz at "
            f"{msg['peak_db']:.1f} dB")
        check(msg["band_db"] > -40.0, f"{what}: 12-16 kHz at {msg['band_db']:.1f} dB (want > -40): "
              "a narrowband path")
        check(msg["max_hz"] > 12000, f"{what}: spectrum ends at {msg['max_hz']:.0f} Hz (want > 12 kHz)")
    check(sc.relay_alive(), "relay died")


# --- encoders ---------------------------------------------------------------
def scenario_encoders(sc):
    if not sc.loadgen_exe or not os.access(sc.loadgen_exe, os.X_OK):
        raise Skip(f"no rostrum-loadgen at {sc.loadgen_exe!r} (ninja benchmarks/loadgen/rostrum-loadgen)")
    sc.start_relay()
    a = sc.peer("A", "spk-a", tracks="floor,mic", mic_hz=A_HZ, extra=["--report-ms", "0"])
    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F1_HZ, extra=["--report-ms", "0"])
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel")
    l2 = sc.peer("L2", "lis-2", tracks="floor,channel")
    for p in (a, f1):
        check(p.rep.wait_for(r'"event":"peer.connected","peer":"' + p.peer_id, READY_S),
              f"{p.name} did not connect\n{sc.stderr_tail(p)}")
    sc.wait_ready(l1, l2)
    sc.req("floor.grant", peer="spk-a")
    sc.req("booth.live", booth="fr", peer="int-f1")
    sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    sc.req("listener.channel", peer="lis-2", channel="channel:es")
    time.sleep(1.0)

    def sample(what):
        vals = []
        for _ in range(3):
            vals.append(sc.metric("rostrum_audio_encoders"))
            time.sleep(0.3)
        check(vals[0] is not None, "no rostrum_audio_encoders in /metrics")
        listeners = sc.metric("rostrum_relay_listeners")
        log(f"{what}: rostrum_audio_encoders {vals}, rostrum_relay_listeners {listeners}")
        check(len(set(vals)) == 1, f"{what}: the encoder gauge moves: {vals}")
        return vals[0], listeners

    enc2, n2 = sample("2 listeners")
    state, _ = sc.req("audio.state")
    log(f"audio.state: {json.dumps(state.get('products'))[:1500]}")
    lg_out = open(os.path.join(sc.dir, "loadgen.out"), "wb")
    lg_err = open(os.path.join(sc.dir, "loadgen.err"), "wb")
    lg = subprocess.Popen([sc.loadgen_exe, "--adapter", "control", "--control", sc.sock_path,
                           "--listeners", "48", "--join-timeout", "20", "--warmup", "1",
                           "--duration", "6", "--decrypt-sample", "none"],
                          stdout=lg_out, stderr=lg_err)
    sc.procs.append(lg)
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        n = sc.metric("rostrum_relay_listeners") or 0
        if n >= n2 + 48:
            break
        check(lg.poll() is None, f"loadgen exited {lg.poll()} before its listeners joined")
        time.sleep(0.3)
    check((sc.metric("rostrum_relay_listeners") or 0) >= n2 + 48,
          f"the 48 loadgen listeners did not all join: {sc.metric('rostrum_relay_listeners')}")
    time.sleep(1.0)
    enc50, n50 = sample("50 listeners")
    rc = lg.wait(timeout=30)
    with open(lg_out.name, errors="replace") as f:
        summary = [line for line in f if line.startswith("loadgen: listeners=")]
    log(f"loadgen exit {rc}: {summary[-1].strip() if summary else '(no summary)'}")
    check(rc == 0, f"loadgen exited {rc}")
    time.sleep(1.0)
    enc_after, _ = sample("after loadgen left")
    log(f"rostrum_audio_encoders: {enc2:.0f} with {n2:.0f} listeners, {enc50:.0f} with "
        f"{n50:.0f}, {enc_after:.0f} after")
    check(enc2 == enc50 == enc_after, f"the encoder count follows the listeners: {enc2} / {enc50} / "
          f"{enc_after}")
    check(enc2 >= 3, f"rostrum_audio_encoders {enc2}: want at least floor, A's mix-minus and "
          "channel fr")
    check(sc.relay_alive(), "relay died")


# --- the demo's simulated booth ---------------------------------------------
SIM_HZ = 1500  # sim_booths = fr:SIM_HZ; nobody else sends it


def scenario_sim_booth(sc):
    # [relay] sim_booths holds a booth only until real interpreters come:
    # the first one's add takes the sim out (nobody live: channel fr carries
    # the floor), both of the booth's places go to real interpreters, and the
    # sim is back live when the last has gone.
    hz = [FLOOR_HZ, F1_HZ, F2_HZ, SIM_HZ]
    sc.start_relay(sim_booths=f"fr:{SIM_HZ}")
    l1 = sc.peer("L1", "lis-1", tracks="floor,channel", hz=hz)
    sc.wait_ready(l1)
    _, t = sc.req("listener.channel", peer="lis-1", channel="channel:fr")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="sim live: L1 channel:fr")
    sc.expect(lv, "channel fr with the simulated interpreter", present=[SIM_HZ],
              absent=[FLOOR_HZ, F1_HZ, F2_HZ])

    f1 = sc.peer("F1", "int-f1", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F1_HZ, hz=hz)
    f2 = sc.peer("F2", "int-f2", role="interpreter", booth="fr", tracks="floor,channel,mic",
                 mic_hz=F2_HZ, hz=hz)
    sc.wait_ready(f1, f2)  # before the fix F2 was refused: the sim held one of two places
    t = time.monotonic()
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="two real interpreters, none live: channel:fr")
    sc.expect(lv, "channel fr with the booth's real interpreters in, none live",
              present=[FLOOR_HZ], absent=[SIM_HZ, F1_HZ, F2_HZ])

    _, t = sc.req("booth.live", booth="fr", peer="int-f2")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="F2 live: channel:fr")
    sc.expect(lv, "channel fr with F2 live", present=[F2_HZ], absent=[SIM_HZ, F1_HZ, FLOOR_HZ])

    sc.req("peer.remove", peer="int-f1")
    _, t = sc.req("peer.remove", peer="int-f2")
    lv = sc.steady(l1, "channel", t + SETTLE_S, what="booth empty again: channel:fr")
    sc.expect(lv, "channel fr after the real interpreters left", present=[SIM_HZ],
              absent=[F1_HZ, F2_HZ, FLOOR_HZ])
    check(sc.relay_alive(), "relay died")


SCENARIOS = {"mixminus": (scenario_mixminus, 60), "channels": (scenario_channels, 60),
             "handover": (scenario_handover, 60), "cough": (scenario_cough, 60),
             "switch": (scenario_switch, 60), "limiter": (scenario_limiter, 75),
             "fullband": (scenario_fullband, 60), "encoders": (scenario_encoders, 90),
             "sim-booth": (scenario_sim_booth, 60)}


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in SCENARIOS:
        print(f"usage: {sys.argv[0]} {{{'|'.join(SCENARIOS)}}} RELAY_EXE AUDIO_PEER_EXE "
              "[LOADGEN_EXE]", file=sys.stderr)
        return 2
    name = sys.argv[1]
    fn, budget_s = SCENARIOS[name]
    sc = AudioScenario(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
    return run_scenario(name, fn, budget_s, sc)


def run_scenario(name, fn, budget_s, sc):
    """Runs @fn(@sc) under a hard alarm of @budget_s; cleans up; returns the
    exit status (0 pass, 1 fail, 77 skip). venue_scenarios.py uses it too."""

    def on_signal(signum, frame):
        raise Fail(f"hard timeout after {budget_s} s" if signum == signal.SIGALRM
                   else f"terminated by signal {signum}")

    for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    signal.alarm(budget_s)
    status = 0
    try:
        fn(sc)
        log(f"PASS {name}")
    except Skip as e:
        log(f"SKIP {name}: {e}")
        status = 77
    except Fail as e:
        log(f"FAIL {name}: {e}")
        status = 1
    finally:
        signal.alarm(0)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        sc.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
