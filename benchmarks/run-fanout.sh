#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fan-out benchmark against a real relay, control adapter:
#   benchmarks/run-fanout.sh BUILD_DIR N DURATION_S [loadgen options...]
# Starts build/relay/rostrum-relay with a temporary INI (tone floor, 32 kb/s),
# runs rostrum-loadgen with --relay-pid (the relay's CPU and RSS over the
# window), stops the relay. Exit code: the load generator's.
set -eu
build=${1:?build dir}
n=${2:?listeners}
duration=${3:?seconds}
shift 3
dir=$(mktemp -d /tmp/rostrum-fanout.XXXXXX)
cat > "$dir/relay.ini" <<INI
[relay]
control_socket = $dir/relay.sock
bind_address = 127.0.0.1
floor_source = tone
floor_tone_hz = 440
floor_bitrate = 32000
metrics_port = 0
INI
"$build/relay/rostrum-relay" -c "$dir/relay.ini" > "$dir/relay.log" 2>&1 &
relay=$!
trap 'kill $relay 2>/dev/null || true; wait $relay 2>/dev/null || true' EXIT INT TERM
i=0
while ! grep -q '^relay: control socket' "$dir/relay.log" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 $relay 2>/dev/null; then
    echo "run-fanout: the relay did not start:" >&2
    cat "$dir/relay.log" >&2
    exit 2
  fi
  sleep 0.1
done
rc=0
"$build/benchmarks/loadgen/rostrum-loadgen" --adapter control --control "$dir/relay.sock" \
  --listeners "$n" --duration "$duration" --relay-pid $relay "$@" || rc=$?
echo "run-fanout: relay log: $dir/relay.log ($(grep -c connected "$dir/relay.log" || true) connected)" >&2
exit $rc
