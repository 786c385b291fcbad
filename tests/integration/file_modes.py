#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Both daemons keep their files to their own user, whatever umask they
inherit.

  file_modes.py RELAY_EXE SIGNALLING_EXE

Starts rostrum-relay and rostrum-signalling under umask 022 with a config
(config/rostrum.ini with every path in a temp dir, ports 0) and checks:
relay.sock is 0600 or stricter, and was never seen wider (polled from before
the relay starts, over 1 + SOCKET_ROUNDS starts: best effort, the window
between bind() and a chmod is short); the attendance
database and its -wal/-shm, the token key, the TURN secret and the TLS key
are not group/world accessible; the directories the daemons create are 0700
or stricter.

Exit 0 pass, 1 fail, 77 skip.
"""
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

READY_TIMEOUT_S = 15
HARD_TIMEOUT_S = 80
SOCKET_ROUNDS = 12
REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
T0 = time.monotonic()


class Fail(Exception):
    pass


def log(msg):
    print(f"[{time.monotonic() - T0:6.2f}] {msg}", flush=True)


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(77)


def write_config(tmp):
    """config/rostrum.ini with [relay] and [signalling] keys overridden."""
    overrides = {
        "relay": {
            "control_socket": os.path.join(tmp, "relay.sock"),
            "bind_address": "127.0.0.1",
            "floor_source": "tone",
            "metrics_address": "127.0.0.1",
            "metrics_port": "0",
        },
        "signalling": {
            "listen_address": "127.0.0.1",
            "listen_port": "0",
            "tls_cert": os.path.join(tmp, "tls", "cert.pem"),
            "tls_key": os.path.join(tmp, "tls", "key.pem"),
            "web_root": os.path.join(REPO, "web"),
            "roster": os.path.join(REPO, "config", "roster.csv"),
            "meetings_dir": os.path.join(REPO, "config", "meetings"),
            "database": os.path.join(tmp, "db", "attendance.sqlite"),
            "token_key_file": os.path.join(tmp, "keys", "token.key"),
            "relay_socket": os.path.join(tmp, "relay.sock"),
            # A TURN URL only makes signalling create turn_secret_file; no
            # TURN server is contacted.
            "turn_urls": "turn:127.0.0.1:3478?transport=udp",
            "turn_secret_file": os.path.join(tmp, "keys", "turn.secret"),
        },
    }
    out, section, seen = [], None, set()

    def flush():
        for k, v in overrides.get(section, {}).items():
            if (section, k) not in seen:
                out.append(f"{k} = {v}")

    with open(os.path.join(REPO, "config", "rostrum.ini")) as f:
        for line in f.read().split("\n"):
            sec = re.match(r"^\s*\[([^\]]+)\]", line)
            kv = re.match(r"^\s*([A-Za-z0-9_]+)\s*=", line)
            if sec:
                if section:
                    flush()
                section = sec[1]
                out.append(line)
            elif kv and section in overrides and kv[1] in overrides[section]:
                seen.add((section, kv[1]))
                out.append(f"{kv[1]} = {overrides[section][kv[1]]}")
            else:
                out.append(line)
    if section:
        flush()
    path = os.path.join(tmp, "rostrum.ini")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path, overrides


class Daemon:
    """A daemon whose stdout lines are collected in a thread."""

    def __init__(self, name, argv, tmp, echo=True):
        self.name = name
        self.echo = echo
        self.lines = []
        self.cond = threading.Condition()
        self.err_path = os.path.join(tmp, f"{name}.err")
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if self.echo:
                log(f"{self.name}> {line}")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if rx.search(line):
                        return True
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return False
                self.cond.wait(min(left, 0.2))

    def stderr_tail(self):
        rc = self.proc.poll()
        status = "running" if rc is None else f"exited with {rc}"
        try:
            with open(self.err_path, errors="replace") as f:
                return f"--- {self.name} ({status}) stderr (tail) ---\n" + f.read()[-3000:]
        except OSError:
            return f"--- {self.name} ({status}) ---"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class SocketWatcher:
    """Polls a path as fast as it can until it exists; keeps the first mode."""

    def __init__(self, path):
        self.path = path
        self.first_mode = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        lstat = os.lstat
        while not self.done.is_set():
            try:
                self.first_mode = lstat(self.path).st_mode
                return
            except FileNotFoundError:
                pass

    def stop(self):
        self.done.set()
        self.thread.join(2)


def mode_str(st_mode):
    return f"{stat.S_IMODE(st_mode):04o}"


def run(relay_exe, signalling_exe, tmp):
    failures = []
    config, ov = write_config(tmp)
    sock = ov["relay"]["control_socket"]
    sig = ov["signalling"]

    os.umask(0o022)  # permissive, like a login shell's: the daemons must not rely on it
    watcher = SocketWatcher(sock)
    daemons = []
    try:
        relay = Daemon("relay", [relay_exe, "--config", config], tmp)
        daemons.append(relay)
        if not relay.wait_for(r"^relay: control socket ", READY_TIMEOUT_S):
            raise Fail(f"relay not ready within {READY_TIMEOUT_S} s\n{relay.stderr_tail()}")
        watcher.thread.join(READY_TIMEOUT_S)  # it exists now: let the watcher see it
        watcher.stop()
        signalling = Daemon("signalling", [signalling_exe, "--config", config], tmp)
        daemons.append(signalling)
        if not signalling.wait_for(r"^signalling: listening on https://", READY_TIMEOUT_S):
            raise Fail(f"signalling not ready within {READY_TIMEOUT_S} s\n"
                       f"{signalling.stderr_tail()}")

        # attendance_open() migrates the schema (a write) in WAL mode, so the
        # database, -wal and -shm all exist while signalling runs.
        db = sig["database"]
        private_files = {
            "relay.sock": sock,
            "database": db,
            "database -wal": db + "-wal",
            "database -shm": db + "-shm",
            "token key": sig["token_key_file"],
            "TURN secret": sig["turn_secret_file"],
            "TLS key": sig["tls_key"],
        }
        private_dirs = {
            "database dir": os.path.dirname(db),
            "TLS dir": os.path.dirname(sig["tls_key"]),
            "key dir": os.path.dirname(sig["token_key_file"]),
        }

        if watcher.first_mode is None:
            failures.append("relay.sock: watcher never saw the socket")
        else:
            log(f"relay.sock first seen with mode {mode_str(watcher.first_mode)}")
            if not stat.S_ISSOCK(watcher.first_mode):
                failures.append("relay.sock: not a socket")
            if watcher.first_mode & 0o077:
                failures.append(f"relay.sock: appeared with mode {mode_str(watcher.first_mode)}"
                                " (group/world bits set before the chmod)")

        for what, path in private_files.items():
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                failures.append(f"{what}: {path} does not exist")
                continue
            log(f"{what}: {mode_str(st.st_mode)} {path}")
            if st.st_mode & 0o077:
                failures.append(f"{what}: mode {mode_str(st.st_mode)}, group/world bits set")
        try:
            st = os.lstat(sock)
            if stat.S_IMODE(st.st_mode) & ~0o600:
                failures.append(f"relay.sock: mode {mode_str(st.st_mode)}, wanted 0600 or stricter")
        except FileNotFoundError:
            pass  # reported above
        for what, path in private_dirs.items():
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                failures.append(f"{what}: {path} does not exist")
                continue
            log(f"{what}: {mode_str(st.st_mode)} {path}")
            if st.st_mode & 0o077:
                failures.append(f"{what}: mode {mode_str(st.st_mode)}, group/world bits set")

        for d in daemons:
            if d.proc.poll() is not None:
                failures.append(f"{d.name} exited early ({d.proc.returncode})\n{d.stderr_tail()}")
    finally:
        watcher.stop()
        for d in reversed(daemons):
            d.stop()
    failures += probe_socket_race(relay_exe, tmp)
    if failures:
        raise Fail("\n".join(failures))


def probe_socket_race(relay_exe, tmp):
    """Starts the relay SOCKET_ROUNDS more times with only a [relay] config,
    watching for the control socket; a socket bound under a wide umask and
    chmod-ed later is caught in about 40 % of the starts."""
    failures = []
    for i in range(SOCKET_ROUNDS):
        d = os.path.join(tmp, f"race-{i}")
        os.mkdir(d)
        sock = os.path.join(d, "relay.sock")
        config = os.path.join(d, "relay.ini")
        with open(config, "w") as f:
            f.write(f"[relay]\ncontrol_socket = {sock}\nbind_address = 127.0.0.1\n"
                    "floor_source = tone\nmetrics_port = -1\n")
        watcher = SocketWatcher(sock)
        relay = Daemon(f"relay-{i}", [relay_exe, "--config", config], d, echo=False)
        try:
            watcher.thread.join(READY_TIMEOUT_S)
        finally:
            watcher.stop()
            relay.stop()
        if watcher.first_mode is None:
            failures.append(f"round {i}: the relay never made {sock}\n{relay.stderr_tail()}")
        elif watcher.first_mode & 0o077:
            failures.append(f"round {i}: relay.sock appeared with mode "
                            f"{mode_str(watcher.first_mode)} before its chmod")
    log(f"socket race: {SOCKET_ROUNDS} more starts, {len(failures)} bad")
    return failures


def on_alarm(signum, frame):
    raise Fail(f"hard timeout ({HARD_TIMEOUT_S} s)")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    relay_exe, signalling_exe = sys.argv[1], sys.argv[2]
    for exe in (relay_exe, signalling_exe):
        if not os.access(exe, os.X_OK):
            skip(f"{exe} is not built")
    if not os.path.exists(os.path.join(REPO, "config", "rostrum.ini")):
        skip("config/rostrum.ini not found next to this script")
    signal.signal(signal.SIGALRM, on_alarm)  # nothing here may hang the suite
    signal.alarm(HARD_TIMEOUT_S)
    tmp = tempfile.mkdtemp(prefix="rostrum-file-modes-")
    try:
        run(relay_exe, signalling_exe, tmp)
    except Fail as e:
        log(f"FAIL: {e}")
        return 1
    finally:
        signal.alarm(0)
        shutil.rmtree(tmp, ignore_errors=True)
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
