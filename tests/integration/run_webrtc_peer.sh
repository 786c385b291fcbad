#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Starts rostrum-relay with a 523 Hz floor in a temp dir and checks that an
# independent webrtcbin peer hears 523 Hz (not the 440 Hz default).
#   run_webrtc_peer.sh RELAY_EXE WEBRTC_PEER_EXE
set -euo pipefail

relay_exe=${1:?usage: run_webrtc_peer.sh RELAY_EXE WEBRTC_PEER_EXE}
peer_exe=${2:?usage: run_webrtc_peer.sh RELAY_EXE WEBRTC_PEER_EXE}
tone_hz=523
ready_timeout_s=10

dir=$(mktemp -d "${TMPDIR:-/tmp}/rostrum-webrtc-peer.XXXXXX")
relay_pid=
cleanup() {
  if [[ -n $relay_pid ]] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 "$relay_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$relay_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$dir/rostrum.ini" <<INI
[relay]
control_socket = $dir/relay.sock
bind_address = 127.0.0.1
floor_source = tone
floor_tone_hz = $tone_hz
floor_bitrate = 32000
# a free port: tests run in parallel
metrics_port = 0
INI

mkfifo "$dir/relay.out"
"$relay_exe" --config "$dir/rostrum.ini" >"$dir/relay.out" 2>"$dir/relay.err" &
relay_pid=$!
exec 3<"$dir/relay.out"

ready=
deadline=$((SECONDS + ready_timeout_s))
while ((SECONDS < deadline)); do
  if read -r -t 1 line <&3; then
    echo "relay> $line"
    if [[ $line == "relay: control socket "* ]]; then ready=1; break; fi
  elif ! kill -0 "$relay_pid" 2>/dev/null; then
    break
  fi
done
if [[ -z $ready ]]; then
  echo "run_webrtc_peer: relay not ready within ${ready_timeout_s} s" >&2
  cat "$dir/relay.err" >&2
  exit 1
fi
# keep draining the relay's stdout so it never blocks on a full pipe
cat <&3 >"$dir/relay.rest" &
exec 3<&-

status=0
${PEER_WRAP:-} timeout -k 2 25 "$peer_exe" "$dir/relay.sock" "$tone_hz" || status=$?
if ((status != 0)); then
  echo "run_webrtc_peer: webrtc_peer exited $status; relay stderr:" >&2
  tail -n 50 "$dir/relay.err" >&2
fi
exit "$status"
