#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fan-out benchmark through Rostrum's front door (login + WebSocket join):
#   benchmarks/run-rostrum.sh BUILD_DIR N DURATION_S [loadgen options...]
# Makes a roster of N benchmark badges, starts the relay and signalling on
# loopback with a temporary INI, runs rostrum-loadgen --adapter rostrum,
# stops both. Exit code: the load generator's. LOADGEN_CPU=LIST pins the
# load generator with taskset -c LIST (the servers stay unpinned).
set -eu
build=${1:?build dir}
n=${2:?listeners}
duration=${3:?seconds}
shift 3
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/rostrum-bench.XXXXXX)
code=bench-code-1
"$src/benchmarks/make-roster.sh" "$n" "$dir/roster.csv" "$code" "$build/signalling/rostrum-admin"
cat > "$dir/rostrum.ini" <<INI
[relay]
control_socket = $dir/relay.sock
bind_address = 127.0.0.1
floor_source = tone
floor_bitrate = 32000
metrics_port = 0

[signalling]
listen_address = 127.0.0.1
listen_port = 0
tls_cert = $dir/tls/cert.pem
tls_key = $dir/tls/key.pem
web_root = $src/web
roster = $dir/roster.csv
meetings_dir = $src/config/meetings
session = day-1-am
database = $dir/attendance.sqlite
token_key_file = $dir/token.key
relay_socket = $dir/relay.sock
INI
pids=
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT INT TERM
wait_line() { # FILE PATTERN PID
  i=0
  while ! grep -q "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 150 ] || ! kill -0 "$3" 2>/dev/null; then
      echo "run-rostrum: $1 did not show '$2':" >&2
      cat "$1" >&2
      exit 2
    fi
    sleep 0.1
  done
}
"$build/relay/rostrum-relay" -c "$dir/rostrum.ini" > "$dir/relay.log" 2>&1 &
relay=$!
pids="$relay"
wait_line "$dir/relay.log" '^relay: control socket' $relay
"$build/signalling/rostrum-signalling" -c "$dir/rostrum.ini" > "$dir/signalling.log" 2>&1 &
sig=$!
pids="$sig $pids"
wait_line "$dir/signalling.log" '^signalling: listening on' $sig
url=$(sed -n 's|^signalling: listening on \(https://[^/]*\)/.*|\1|p' "$dir/signalling.log" | head -1)
rc=0
pin=
[ -n "${LOADGEN_CPU:-}" ] && pin="taskset -c $LOADGEN_CPU"
$pin "$build/benchmarks/loadgen/rostrum-loadgen" --adapter rostrum --url "$url" --code "$code" \
  --listeners "$n" --duration "$duration" --relay-pid $relay "$@" || rc=$?
echo "run-rostrum: logs in $dir" >&2
exit $rc
