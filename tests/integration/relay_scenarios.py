#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Relay scenarios with the webrtcbin peer (tests/integration/webrtc_peer.c)
and an observer on the control socket (the relay broadcasts its events to
every client, so the observer only reads lines).

  relay_scenarios.py consent RELAY_EXE WEBRTC_PEER_EXE
      consent_timeout_s = 4: a live peer (RTCP every 0.5 s) is kept; after
      kill -9 of the peer (no goodbye) the observer gets peer.lost
      consent_expired within consent_timeout_s + 3 s, and /metrics then says
      rostrum_relay_listeners 0.

  relay_scenarios.py hostile RELAY_EXE WEBRTC_PEER_EXE
      with a peer connected and hearing the floor: garbage datagrams, fake
      DTLS/RTP/RTCP and STUN with unknown credentials at the relay's ICE UDP
      port (from a stranger and, as root, spoofed from the peer's own
      address: every kind of forged DTLS record, which must be counted and
      dropped, never end the peer), garbage on the ICE-TCP port, and a
      second peer whose offer names another DTLS fingerprint (peer.lost
      fingerprint_mismatch). The relay must stay up, answer ping, keep
      sending, and the first peer must still hear the tone. Without raw
      sockets (not root) the spoofed part cannot run: everything else
      still runs, then the scenario says SKIP and exits 77.

  relay_scenarios.py ice RELAY_EXE WEBRTC_PEER_EXE
      the relay bound to 127.0.0.1 and ::1 with ICE-TCP: a peer.add with a
      synthetic offer gets host candidates on both families; a correctly
      signed ICE check over UDP/IPv6, TCP/IPv6 (RFC 4571 framing) and
      UDP/IPv4 gets a Binding success whose XOR-MAPPED-ADDRESS is the
      sender and whose MESSAGE-INTEGRITY is keyed with the relay's
      password; a check signed with a wrong password gets nothing. Then a
      relay with public_address announces that address in its candidates.

Each run uses its own temp dir and free ports, and is bounded by a hard
alarm. Exit 0 pass, 1 fail, 77 skip.
"""
import hashlib
import hmac
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib

TONE_HZ = 587
READY_TIMEOUT_S = 10
T0 = time.monotonic()


class Fail(Exception):
    pass


def log(msg):
    print(f"[{time.monotonic() - T0:6.2f}] {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class LineReader:
    """Collects the lines of a stream in a thread; wait_for() polls them."""

    def __init__(self, stream, name, echo=True):
        self.lines = []
        self.cond = threading.Condition()
        self.name = name
        self.echo = echo
        threading.Thread(target=self._run, args=(stream,), daemon=True).start()

    def _run(self, stream):
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n") if isinstance(raw, bytes) else raw.rstrip("\n")
            if self.echo:
                log(f"{self.name}> {line}")
            with self.cond:
                self.lines.append((time.monotonic(), line))
                self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        """First line matching the regex: (time, match) or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    m = rx.search(line)
                    if m:
                        return t, m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


class Scenario:
    def __init__(self, relay_exe, peer_exe):
        self.relay_exe = relay_exe
        self.peer_exe = peer_exe
        self.dir = tempfile.mkdtemp(prefix="rostrum-scenario-")
        self.sock_path = os.path.join(self.dir, "relay.sock")
        self.procs = []
        self.relay = None
        self.metrics_url = None
        self.observer = None
        self.events = []  # (time, parsed event)
        self.replies = {}
        self.ev_cond = threading.Condition()
        self.skipped = []  # parts that could not run here, and why

    def skip(self, reason):
        """A part of the scenario cannot run here: the rest goes on, and
        the scenario then exits 77 (skip) unless something failed."""
        log(f"cannot run: {reason}")
        self.skipped.append(reason)

    # --- relay --------------------------------------------------------
    def start_relay(self, **keys):
        conf = {
            "control_socket": self.sock_path,
            "bind_address": "127.0.0.1",
            "floor_source": "tone",
            "floor_tone_hz": str(TONE_HZ),
            "metrics_address": "127.0.0.1",
            "metrics_port": "0",
        }
        conf.update({k: str(v) for k, v in keys.items()})
        path = os.path.join(self.dir, "rostrum.ini")
        with open(path, "w") as f:
            f.write("[relay]\n" + "".join(f"{k} = {v}\n" for k, v in conf.items()))
        self.relay_err = open(os.path.join(self.dir, "relay.err"), "wb")
        self.relay = subprocess.Popen([self.relay_exe, "--config", path], stdout=subprocess.PIPE,
                                      stderr=self.relay_err)
        self.procs.append(self.relay)
        self.relay_out = LineReader(self.relay.stdout, "relay")
        m = self.relay_out.wait_for(r"^relay: metrics (http://\S+)", READY_TIMEOUT_S)
        ready = self.relay_out.wait_for(r"^relay: control socket ", READY_TIMEOUT_S)
        check(m and ready, f"relay not ready within {READY_TIMEOUT_S} s\n{self.relay_stderr()}")
        self.metrics_url = m[1][1]
        self.start_observer()

    def relay_stderr(self):
        try:
            with open(os.path.join(self.dir, "relay.err"), errors="replace") as f:
                return "--- relay stderr (tail) ---\n" + f.read()[-3000:]
        except OSError:
            return ""

    def relay_alive(self):
        return self.relay.poll() is None

    def metrics(self):
        # generous: a sanitized relay busy with 50 joining listeners answers slowly
        with urllib.request.urlopen(self.metrics_url, timeout=15) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    # --- control observer -----------------------------------------------
    def start_observer(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.sock_path)
        s.settimeout(None)
        self.observer = s
        threading.Thread(target=self._observe, args=(s.makefile("rb"),), daemon=True).start()

    def _observe(self, f):
        for raw in f:
            try:
                msg = json.loads(raw)
            except ValueError:
                log(f"observer: not JSON: {raw[:200]!r}")
                continue
            with self.ev_cond:
                if "event" in msg:
                    if msg["event"] != "stats":
                        log(f"observer: {raw.decode().strip()}")
                    self.events.append((time.monotonic(), msg))
                elif "id" in msg:
                    self.replies[msg["id"]] = msg
                self.ev_cond.notify_all()

    def wait_event(self, pred, timeout):
        deadline = time.monotonic() + timeout
        with self.ev_cond:
            while True:
                for t, e in self.events:
                    if pred(e):
                        return t, e
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.ev_cond.wait(left)

    def events_for(self, peer, name=None):
        with self.ev_cond:
            return [(t, e) for t, e in self.events
                    if e.get("peer") == peer and (name is None or e.get("event") == name)]

    def ping(self, req_id, timeout=3):
        return self.request({"v": 1, "id": req_id, "type": "ping"}, timeout)

    def request(self, msg, timeout=3):
        req_id = msg["id"]
        self.observer.sendall(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        with self.ev_cond:
            while req_id not in self.replies and time.monotonic() < deadline:
                self.ev_cond.wait(deadline - time.monotonic())
            return self.replies.get(req_id)

    # --- webrtcbin peers --------------------------------------------------
    def start_peer(self, name, *opts):
        err = open(os.path.join(self.dir, f"{name}.err"), "wb")
        p = subprocess.Popen([self.peer_exe, *opts, self.sock_path, str(TONE_HZ)],
                             stdout=subprocess.PIPE, stderr=err)
        p.err_path = err.name
        p.out = LineReader(p.stdout, name)
        self.procs.append(p)
        return p

    @staticmethod
    def peer_sdp(peer, which):
        """The offer or answer the peer logged (stderr), as text."""
        with open(peer.err_path, errors="replace") as f:
            text = f.read()
        m = re.search(rf"webrtc_peer: {which}[^\n]*:\n(v=0.*?)(?:\nwebrtc_peer: |\Z)", text, re.S)
        return m[1] if m else ""

    @staticmethod
    def stderr_tail(peer):
        with open(peer.err_path, errors="replace") as f:
            return f.read()[-3000:]

    def cleanup_relay(self):
        """Stops the relay and its observer, so start_relay() can run again."""
        if self.observer:
            self.observer.close()
            self.observer = None
        self.relay.send_signal(signal.SIGTERM)
        self.relay.wait(timeout=5)
        self.procs.remove(self.relay)
        with self.ev_cond:
            self.events.clear()
            self.replies.clear()

    def cleanup(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=3)
        if self.observer:
            self.observer.close()
        if os.environ.get("ROSTRUM_KEEP_TMP"):
            log(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- consent ----------------------------------------------------------------
CONSENT_S = 4


def scenario_consent(sc):
    sc.start_relay(consent_timeout_s=CONSENT_S, stats_interval_s=1)
    # RTCP every ~0.5 s (GStreamer's default, 5 s randomised, is longer than
    # consent_timeout_s = 4 and would expire a live peer)
    peer = sc.start_peer("peer", "--peer-id", "gst-consent", "--hold", "--timeout", "40",
                         "--rtcp-interval-ms", "500")
    check(sc.relay_out.wait_for(r"^relay: peer gst-consent \(TEST-GST\) connected, ", 15),
          f"relay did not log the peer connected\n{sc.stderr_tail(peer)}")
    check(peer.out.wait_for(r"^webrtc_peer: holding", 10),
          f"the peer did not hear the tone\n{sc.stderr_tail(peer)}")

    # alive and refreshing consent: kept past the consent window
    time.sleep(CONSENT_S + 1.5)
    lost = sc.events_for("gst-consent", "peer.lost")
    check(not lost, f"a live peer was dropped: {lost}")
    stats = [e for _, e in sc.events_for("gst-consent", "stats")]
    check(stats and stats[-1]["rtcp_received"] >= 3, f"relay counted no RTCP from the peer: {stats[-1:]}")
    log(f"live peer still connected {CONSENT_S + 1.5} s after the tone check, rtcp_received {stats[-1]['rtcp_received']}")
    check(sc.metrics().get("rostrum_relay_listeners") == 1, "listeners is not 1 while the peer is alive")

    peer.kill()  # SIGKILL: no goodbye, no RTCP BYE, no ICE close
    t_kill = time.monotonic()
    peer.wait(timeout=5)
    log("peer killed with SIGKILL")
    got = sc.wait_event(lambda e: e.get("event") == "peer.lost" and e.get("peer") == "gst-consent",
                        CONSENT_S + 3)
    check(got, f"no peer.lost within {CONSENT_S + 3} s of the kill")
    t_lost, ev = got
    after = t_lost - t_kill
    check(ev.get("reason") == "consent_expired", f"peer.lost reason: {ev}")
    check(ev.get("participant") == "TEST-GST", f"peer.lost participant: {ev}")
    # the last RTCP was at most ~0.75 s before the kill: an earlier loss was
    # not the consent timer
    check(after >= CONSENT_S - 1.5, f"peer.lost only {after:.1f} s after the kill")
    log(f"peer.lost consent_expired {after:.1f} s after the kill")
    check(sc.relay_out.wait_for(r"^relay: peer gst-consent \(TEST-GST\) lost: consent_expired$", 2),
          "relay did not log the loss")
    m = {}
    for _ in range(20):
        m = sc.metrics()
        if m.get("rostrum_relay_listeners") == 0:
            break
        time.sleep(0.1)
    check(m.get("rostrum_relay_listeners") == 0, f"rostrum_relay_listeners after the loss: {m}")
    check(m.get("rostrum_relay_peers") == 0, f"rostrum_relay_peers after the loss: {m}")
    log(f"metrics: listeners {m['rostrum_relay_listeners']:.0f}, peers {m['rostrum_relay_peers']:.0f}, "
        f"peers_lost_total {m.get('rostrum_relay_peers_lost_total', -1):.0f}")
    check(sc.relay_alive(), "relay died")


# --- hostile ----------------------------------------------------------------
def stun_request(username, integrity=True, fingerprint=True, bogus_len=False):
    def attr(t, v):
        return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)

    tid = os.urandom(12)
    body = attr(0x0006, username)  # USERNAME
    body += attr(0x0024, struct.pack("!I", random.getrandbits(32)))  # PRIORITY
    body += attr(0x802A, os.urandom(8))  # ICE-CONTROLLING
    if integrity:
        body += attr(0x0008, os.urandom(20))  # MESSAGE-INTEGRITY, wrong key
    if fingerprint:
        hdr = struct.pack("!HHI", 0x0001, len(body) + 8, 0x2112A442) + tid
        crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack("!I", crc))
    length = len(body) + (400 if bogus_len else 0)
    return struct.pack("!HHI", 0x0001, length, 0x2112A442) + tid + body


def dtls_record(ctype, epoch, body, version=0xFEFD, bogus_len=False):
    seq = random.getrandbits(48)
    length = len(body) + (1000 if bogus_len else 0)
    return struct.pack("!BHH", ctype, version, epoch) + seq.to_bytes(6, "big") + \
        struct.pack("!H", length & 0xFFFF) + body


FAKE_DTLS_KINDS = 6


def fake_dtls(kind=None):
    if kind is None:
        kind = random.randrange(FAKE_DTLS_KINDS)
    if kind == 0:  # ClientHello, epoch 0
        hello = os.urandom(random.randint(40, 200))
        hs = struct.pack("!B", 1) + len(hello).to_bytes(3, "big") + struct.pack("!H", 0) + \
            (0).to_bytes(3, "big") + len(hello).to_bytes(3, "big") + hello
        return dtls_record(22, 0, hs)
    if kind == 1:  # fatal alert in clear
        return dtls_record(21, 0, bytes([2, random.choice([10, 20, 40, 42, 48, 80])]))
    if kind == 2:  # "encrypted" alert / application data, epoch 1
        return dtls_record(random.choice([21, 23]), 1, os.urandom(random.randint(16, 120)))
    if kind == 3:  # ChangeCipherSpec
        return dtls_record(20, random.choice([0, 1]), b"\x01")
    if kind == 4:  # length field larger than the datagram
        return dtls_record(22, 0, os.urandom(30), bogus_len=True)
    return bytes([random.randint(20, 63)]) + os.urandom(random.randint(0, 80))  # DTLS-ish first byte


def fake_rtp():
    hdr = struct.pack("!BBHII", 0x80, random.choice([111, 111 | 0x80, 0, 96]),
                      random.getrandbits(16), random.getrandbits(32), random.getrandbits(32))
    return hdr + os.urandom(random.randint(0, 200))


def fake_rtcp():
    pt = random.choice([200, 201, 202, 203, 205, 206])
    body = os.urandom(random.choice([4, 20, 44, 100]))
    pkt = struct.pack("!BBH", 0x80 | random.randint(0, 1), pt, len(body) // 4) + body
    if random.random() < 0.5:  # SRTCP index (E bit) + auth tag
        pkt += struct.pack("!I", 0x80000000 | random.getrandbits(31)) + os.urandom(10)
    return pkt


def spoofed_udp(src, dst, payload):
    """IPv4 + UDP header by hand (UDP checksum 0: none, allowed in IPv4)."""
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), random.getrandbits(16), 0, 64,
                     socket.IPPROTO_UDP, 0, socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
    return ip + udp


def candidates(sdp, transport):
    """(addr, port) of the SDP's host candidates over udp or tcp."""
    out = []
    for m in re.finditer(r"^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ host(.*)$", sdp, re.M):
        if m[1].lower() == transport and (transport == "udp" or "tcptype passive" in m[4]):
            out.append((m[2], int(m[3])))
    return out


def tcp_abuse(addr):
    """Garbage on the relay's passive ICE-TCP port; returns a connection
    left open (silent) for the caller to close later."""
    def conn():
        s = socket.create_connection(addr, timeout=2)
        return s

    def send_close(payload, rst=False):
        try:
            s = conn()
            s.sendall(payload)
            if rst:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        except OSError as e:
            log(f"tcp: {e} (the relay may close on garbage: fine)")

    def frame(b):
        return struct.pack("!H", len(b)) + b

    send_close(os.urandom(4096))
    send_close(b"".join(frame(os.urandom(random.randint(1, 300))) for _ in range(30)))
    send_close(b"".join(frame(stun_request(b"nobody:evil")) for _ in range(20)))
    send_close(b"".join(frame(fake_dtls()) for _ in range(20)) + b"".join(frame(fake_rtcp()) for _ in range(20)))
    send_close(b"\xff\xff" + os.urandom(100))  # frame announced, never completed
    send_close(b"\x00\x00" * 50)  # empty frames
    send_close(os.urandom(64), rst=True)
    idle = conn()  # holds a slot, says nothing
    idle.sendall(b"\x00")  # half a length prefix
    return idle


def scenario_hostile(sc):
    sc.start_relay(ice_tcp="true", stats_interval_s=1)
    good = sc.start_peer("good", "--peer-id", "gst-good", "--hold", "--timeout", "60")
    check(good.out.wait_for(r"^webrtc_peer: holding", 15),
          f"the good peer did not hear the tone\n{sc.stderr_tail(good)}")
    answer = sc.peer_sdp(good, "answer")
    offer = sc.peer_sdp(good, "offer")
    relay_udp = candidates(answer, "udp")
    relay_tcp = candidates(answer, "tcp")
    peer_udp = candidates(offer, "udp")
    check(relay_udp, f"no UDP host candidate in the relay's answer:\n{answer}")
    check(relay_tcp, f"no passive TCP candidate in the relay's answer (ice_tcp = true):\n{answer}")
    ufrag = re.search(r"^a=ice-ufrag:(\S+)", answer, re.M)[1]
    log(f"relay ICE udp {relay_udp[0]}, tcp {relay_tcp[0]}, ufrag {ufrag}; good peer at {peer_udp[:1]}")
    m0 = sc.metrics()

    # 1. a stranger's datagrams at the relay's ICE UDP port
    dst = relay_udp[0]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    makers = [
        lambda: os.urandom(random.randint(1, 1400)),
        fake_dtls, fake_rtp, fake_rtcp,
        lambda: stun_request(b"nobody:evil"),
        lambda: stun_request(f"{ufrag}:evil".encode()),  # our ufrag, wrong key
        lambda: stun_request(f"{ufrag}:evil".encode(), integrity=False),
        lambda: stun_request(b"x" * 600, fingerprint=False, bogus_len=True),
        lambda: b"",
    ]
    sent = 0
    for i in range(360):
        try:
            u.sendto(makers[i % len(makers)](), dst)
            sent += 1
        except OSError as e:
            log(f"udp send: {e}")
        if i % 20 == 0:
            time.sleep(0.005)
    # nothing we sent carries the relay's key: it may answer with STUN
    # errors, never with a Binding success (0x0101)
    replies = []
    u.settimeout(0.3)
    try:
        while len(replies) < 1000:
            replies.append(u.recv(2048))
    except (socket.timeout, OSError):
        pass
    u.close()
    kinds = sorted({r[:2].hex() for r in replies})
    log(f"sent {sent} garbage datagrams from a stranger to {dst}; {len(replies)} replies, "
        f"first bytes {kinds}")
    check(not any(r[:2] == b"\x01\x01" for r in replies),
          "the relay answered a STUN request with a wrong key with a Binding success")

    # 2. the same, spoofed from the connected peer's own address (raw
    # socket), and then every kind of forged DTLS record in turn
    spoofed = 0
    raw = None
    if not peer_udp:
        sc.skip("no UDP host candidate in the good peer's offer to spoof from")
    elif ipaddress.ip_address(peer_udp[0][0]).version != 4:
        sc.skip(f"the good peer's candidate {peer_udp[0][0]} is not IPv4 (spoofed_udp builds IPv4)")
    else:
        try:
            raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        except OSError as e:  # PermissionError without root or CAP_NET_RAW
            sc.skip(f"no raw socket to spoof the good peer's address: {e}")
    if raw:
        payloads = [makers[i % 4]() if i % 5 else stun_request(b"nobody:evil") for i in range(160)]
        payloads += [fake_dtls(kind) for kind in range(FAKE_DTLS_KINDS) for _ in range(20)]
        for i, payload in enumerate(payloads):
            raw.sendto(spoofed_udp(peer_udp[0], dst, payload), (dst[0], 0))
            spoofed += 1
            if i % 20 == 0:
                time.sleep(0.005)
        raw.close()
        log(f"sent {spoofed} garbage datagrams spoofed from the good peer {peer_udp[0]}")

    # 3. garbage on ICE-TCP
    idle = tcp_abuse(relay_tcp[0])
    log("sent garbage over 7 TCP connections, one left open")

    # 4. a peer whose offer names a certificate it does not have
    forged = sc.start_peer("forged", "--peer-id", "gst-forged", "--participant", "TEST-FORGED",
                           "--forge-fingerprint", "--expect-lost", "fingerprint_mismatch",
                           "--timeout", "20")
    try:
        rc = forged.wait(timeout=25)
    except subprocess.TimeoutExpired:
        forged.kill()
        rc = "timeout"
    check(rc == 0, f"forged peer exited {rc}\n{sc.stderr_tail(forged)}")
    ev = sc.wait_event(lambda e: e.get("event") == "peer.lost" and e.get("peer") == "gst-forged", 2)
    check(ev and ev[1].get("reason") == "fingerprint_mismatch", f"peer.lost for the forged peer: {ev}")
    check(not sc.events_for("gst-forged", "peer.connected"), "the forged peer got peer.connected")
    check(sc.relay_out.wait_for(r"^relay: peer gst-forged \(TEST-FORGED\) lost: fingerprint_mismatch$", 2),
          "relay did not log the forged peer's loss")
    idle.close()

    # 5. the relay is unharmed
    check(sc.relay_alive(), f"relay died (exit {sc.relay.poll()})\n{sc.relay_stderr()}")
    reply = sc.ping(4242)
    check(reply and reply.get("ok") is True, f"relay does not answer ping: {reply}")
    lost = sc.events_for("gst-good", "peer.lost")
    check(not lost, f"the good peer was dropped: {lost}\n{sc.relay_stderr()}")
    m1 = sc.metrics()
    time.sleep(1.0)
    m2 = sc.metrics()
    sent_key = "rostrum_relay_peer_packets_sent"
    check(m2[sent_key] > m1[sent_key] > m0[sent_key],
          f"{sent_key} does not keep rising: {m0[sent_key]:.0f} {m1[sent_key]:.0f} {m2[sent_key]:.0f}")
    check(m2.get("rostrum_relay_listeners") == 1, f"listeners: {m2.get('rostrum_relay_listeners')}")
    bad = m2.get("rostrum_relay_peer_bad_received", 0) - m0.get("rostrum_relay_peer_bad_received", 0)
    dtls_dropped = m2.get("rostrum_relay_peer_dtls_dropped", 0) - m0.get("rostrum_relay_peer_dtls_dropped", 0)
    log(f"metrics: packets_sent {m0[sent_key]:.0f} -> {m2[sent_key]:.0f}, bad_received +{bad:.0f} "
        f"(DTLS records dropped +{dtls_dropped:.0f}), "
        f"peers_lost_total {m2.get('rostrum_relay_peers_lost_total', -1):.0f}")
    # the stranger's garbage and forged checks are counted before any peer sees them
    def dropped(m, why):
        return m.get(f'rostrum_relay_dropped_total{{why="{why}"}}', 0)
    for why in ("unknown_source", "stun_unknown_or_forged"):
        check(dropped(m2, why) > dropped(m0, why), f"garbage not counted as dropped ({why})")
    log(f"metrics: dropped unknown_source +{dropped(m2, 'unknown_source') - dropped(m0, 'unknown_source'):.0f}, "
        f"stun_unknown_or_forged +{dropped(m2, 'stun_unknown_or_forged') - dropped(m0, 'stun_unknown_or_forged'):.0f}")
    if spoofed:
        # spoofed SRTCP from the selected pair reaches the peer's handler
        check(bad > 0, "spoofed garbage from the peer's address was not counted in bad_received")
        check(dtls_dropped > 0, "forged DTLS records from the peer's address were not counted "
              "(rostrum_relay_peer_dtls_dropped)")

    # 6. and the good peer still hears the floor, on fresh audio
    good.send_signal(signal.SIGUSR1)
    try:
        rc = good.wait(timeout=10)
    except subprocess.TimeoutExpired:
        good.kill()
        rc = "timeout"
    check(rc == 0, f"the good peer's re-check exited {rc}\n{sc.stderr_tail(good)}")
    check(sc.relay_alive(), "relay died")
    err = sc.relay_stderr()
    check(not re.search(r"CRITICAL|ERROR|runtime error|AddressSanitizer", err),
          f"the relay complained on stderr\n{err}")


SYNTHETIC_OFFER = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n")


def signed_check(username, key):
    """An ICE Binding request as a browser sends it, signed with @key."""
    def attr(t, v):
        return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)
    tid = os.urandom(12)
    body = attr(0x0006, username) + attr(0x0024, struct.pack("!I", 0x6e7f00ff))
    body += attr(0x802A, os.urandom(8)) + attr(0x0025, b"")  # ICE-CONTROLLING, USE-CANDIDATE
    hdr = struct.pack("!HHI", 0x0001, len(body) + 24, 0x2112A442) + tid
    body += attr(0x0008, hmac.new(key, hdr + body, hashlib.sha1).digest())
    hdr = struct.pack("!HHI", 0x0001, len(body) + 8, 0x2112A442) + tid
    crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
    body += attr(0x8028, struct.pack("!I", crc))
    return struct.pack("!HHI", 0x0001, len(body), 0x2112A442) + tid + body, tid


def check_success(resp, tid, key, sender):
    """A Binding success for @tid, integrity with @key, mapped to @sender."""
    check(resp is not None and len(resp) >= 20, "no answer to a valid check")
    typ, length, cookie = struct.unpack("!HHI", resp[:8])
    check(typ == 0x0101 and cookie == 0x2112A442 and resp[8:20] == tid,
          f"not a Binding success for our transaction: type {typ:#06x}")
    attrs, off, mapped, mi_ok = {}, 20, None, False
    while off + 4 <= 20 + length:
        t, n = struct.unpack("!HH", resp[off:off + 4])
        v = resp[off + 4:off + 4 + n]
        if t == 0x0020:  # XOR-MAPPED-ADDRESS
            port = struct.unpack("!H", v[2:4])[0] ^ 0x2112
            xkey = struct.pack("!I", 0x2112A442) + tid
            raw = bytes(a ^ b for a, b in zip(v[4:], xkey))
            mapped = (socket.inet_ntop(socket.AF_INET if v[1] == 1 else socket.AF_INET6, raw), port)
        if t == 0x0008:  # MESSAGE-INTEGRITY over everything before it, length up to it
            hdr = struct.pack("!HHI", typ, off + 24 - 20, cookie) + tid
            mi_ok = hmac.compare_digest(hmac.new(key, hdr + resp[20:off], hashlib.sha1).digest(), v)
        off += 4 + n + (-n % 4)
    check(mi_ok, "the answer's MESSAGE-INTEGRITY is not keyed with the relay's password")
    check(mapped == (sender[0], sender[1]), f"XOR-MAPPED-ADDRESS {mapped}, sender {sender}")


def udp_exchange(family, addr, data):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    try:
        s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        s.sendto(data, addr)
        try:
            return s.recv(2048), s.getsockname()
        except socket.timeout:
            return None, s.getsockname()
    finally:
        s.close()


def tcp_exchange(addr, data):
    s = socket.create_connection(addr, timeout=2)
    try:
        s.sendall(struct.pack("!H", len(data)) + data)
        head = s.recv(2)
        n = struct.unpack("!H", head)[0]
        body = b""
        while len(body) < n:
            chunk = s.recv(n - len(body))
            check(chunk, "TCP closed mid-frame")
            body += chunk
        return body, s.getsockname()
    finally:
        s.close()


def add_synthetic_peer(sc, req_id, peer):
    ufrag, pwd = "lgUf", "synthetic-peer-password-0123"
    r = sc.request({"v": 1, "id": req_id, "type": "peer.add", "peer": peer, "participant": "IPV6",
                    "role": "delegate", "tracks": ["floor"],
                    "offer": SYNTHETIC_OFFER.format(ufrag=ufrag, pwd=pwd)})
    check(r and r.get("ok"), f"peer.add refused: {r}")
    answer = r["answer"]
    relay_ufrag = re.search(r"a=ice-ufrag:(\S+)", answer)[1]
    relay_pwd = re.search(r"a=ice-pwd:(\S+)", answer)[1]
    return answer, f"{relay_ufrag}:{ufrag}".encode(), relay_pwd.encode()


def scenario_ice(sc):
    sc.start_relay(bind_address="127.0.0.1, ::1", ice_tcp="true")
    answer, username, key = add_synthetic_peer(sc, 1, "ipv6-1")
    cands = re.findall(r"a=candidate:\S+ 1 (udp|tcp) \d+ (\S+) (\d+) typ host", answer)
    log(f"candidates: {cands}")
    for want in (("udp", "127.0.0.1"), ("udp", "::1"), ("tcp", "127.0.0.1"), ("tcp", "::1")):
        check(any(c[0] == want[0] and c[1] == want[1] for c in cands), f"no {want} candidate")
    port = int(cands[0][2])
    for transport, family, host in (("udp", socket.AF_INET6, "::1"), ("udp", socket.AF_INET, "127.0.0.1"),
                                    ("tcp", socket.AF_INET6, "::1")):
        req, tid = signed_check(username, key)
        if transport == "udp":
            resp, me = udp_exchange(family, (host, port), req)
        else:
            resp, me = tcp_exchange((host, port), req)
        check_success(resp, tid, key, me[:2])
        log(f"{transport} {host}: Binding success, mapped to {me[:2]}")
    bad, _ = signed_check(username, b"not-the-relay-password")
    resp, _ = udp_exchange(socket.AF_INET6, ("::1", port), bad)
    check(resp is None, "a check signed with the wrong password was answered")
    check(sc.relay_alive(), "relay died")
    sc.cleanup_relay()
    sc.start_relay(bind_address="127.0.0.1", public_address="198.51.100.7")
    answer, _, _ = add_synthetic_peer(sc, 2, "public-1")
    addrs = set(re.findall(r"a=candidate:\S+ 1 \w+ \d+ (\S+) \d+ typ host", answer))
    check(addrs == {"198.51.100.7"}, f"public_address not announced alone: {addrs}")
    log("public_address announced in every candidate")


SCENARIOS = {"consent": (scenario_consent, 30), "hostile": (scenario_hostile, 60),
             "ice": (scenario_ice, 30)}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in SCENARIOS:
        print(f"usage: {sys.argv[0]} {{{'|'.join(SCENARIOS)}}} RELAY_EXE WEBRTC_PEER_EXE", file=sys.stderr)
        return 2
    fn, budget_s = SCENARIOS[sys.argv[1]]
    sc = Scenario(sys.argv[2], sys.argv[3])

    def on_signal(signum, frame):
        raise Fail(f"hard timeout after {budget_s} s" if signum == signal.SIGALRM
                   else f"terminated by signal {signum}")

    for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    signal.alarm(budget_s)
    status = 0
    try:
        fn(sc)
        if sc.skipped:
            log(f"everything else in {sys.argv[1]} passed")
            print(f"SKIP: {sys.argv[1]}: part of the scenario did not run ({'; '.join(sc.skipped)})",
                  flush=True)
            status = 77
        else:
            log(f"PASS {sys.argv[1]}")
    except Fail as e:
        log(f"FAIL {sys.argv[1]}: {e}")
        status = 1
    finally:
        signal.alarm(0)
        for sig in (signal.SIGTERM, signal.SIGINT):  # cleanup is bounded: let it finish
            signal.signal(sig, signal.SIG_IGN)
        sc.cleanup()
    return status


if __name__ == "__main__":
    sys.exit(main())
