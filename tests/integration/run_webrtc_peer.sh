#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Starts rostrum-relay with a 523 Hz floor in a temp dir and checks that an
# independent webrtcbin peer hears 523 Hz (not the 440 Hz default).
#   run_webrtc_peer.sh RELAY_EXE WEBRTC_PEER_EXE [OPTION...]
# Options (the meson matrix uses them; none = the relay's defaults):
#   --set KEY=VALUE         extra [relay] key in the relay's config (repeatable)
#   --expect-profile NAME   the peer.connected event and the relay's log must
#                           name this SRTP profile
#   --expect-setup ROLE     the relay's answer must say a=setup:ROLE
#                           (active: the relay is the DTLS client)
#   --mic-hz F              the peer also sends an F Hz microphone (tracks
#                           floor+mic); the relay's stats must count it
set -euo pipefail

usage="usage: run_webrtc_peer.sh RELAY_EXE WEBRTC_PEER_EXE [--set KEY=VALUE]... [--expect-profile NAME] [--expect-setup ROLE] [--mic-hz F]"
relay_exe=${1:?$usage}
peer_exe=${2:?$usage}
shift 2
tone_hz=523
ready_timeout_s=10
declare -A relay_keys=(
  [bind_address]=127.0.0.1
  [floor_source]=tone
  [floor_tone_hz]=$tone_hz
  [floor_bitrate]=32000
  [metrics_port]=0 # a free port: tests run in parallel
)
expect_profile=
peer_opts=()
while (($#)); do
  case $1 in
    --set)
      [[ ${2:-} == ?*=* ]] || { echo "$usage" >&2; exit 2; }
      relay_keys[${2%%=*}]=${2#*=}
      shift 2 ;;
    --expect-profile)
      expect_profile=${2:?$usage}
      peer_opts+=(--expect-profile "$2")
      shift 2 ;;
    --expect-setup)
      peer_opts+=(--expect-setup "${2:?$usage}")
      shift 2 ;;
    --mic-hz) # the peer also sends a microphone; the relay must count it
      peer_opts+=(--mic-hz "${2:?$usage}")
      relay_keys[stats_interval_s]=1
      shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done

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

{
  echo "[relay]"
  echo "control_socket = $dir/relay.sock"
  for k in "${!relay_keys[@]}"; do echo "$k = ${relay_keys[$k]}"; done
} >"$dir/rostrum.ini"
sed 's/^/config> /' "$dir/rostrum.ini"

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
${PEER_WRAP:-} timeout -k 2 25 "$peer_exe" "${peer_opts[@]}" "$dir/relay.sock" "$tone_hz" || status=$?
if ((status != 0)); then
  echo "run_webrtc_peer: webrtc_peer exited $status; relay stderr:" >&2
  tail -n 50 "$dir/relay.err" >&2
  exit "$status"
fi

if [[ -n $expect_profile ]]; then
  # the relay logs "relay: peer ID (PARTICIPANT) connected, PROFILE"
  want="relay: peer gst-1 (TEST-GST) connected, $expect_profile"
  for _ in $(seq 20); do grep -qxF "$want" "$dir/relay.rest" && break; sleep 0.1; done
  sed 's/^/relay> /' "$dir/relay.rest"
  if ! grep -qxF "$want" "$dir/relay.rest"; then
    echo "run_webrtc_peer: FAIL: the relay did not log '$want'" >&2
    exit 1
  fi
  echo "run_webrtc_peer: relay logged $expect_profile"
fi
exit 0
