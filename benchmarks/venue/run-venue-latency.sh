#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Venue RTP in -> listener packet out (BENCHMARKS.md, "Venue RTP in: latency").
#   benchmarks/venue/run-venue-latency.sh BUILD_DIR [SECONDS] [PTIME_MS] [JITTER_MS]
set -eu
build=${1:?build dir}
secs=${2:-40}
ptime=${3:-1}
jitter=${4:-5}
dir=$(mktemp -d)
trap 'kill $relay 2>/dev/null || true; rm -rf "$dir"' EXIT
ports=$(python3 -c 'import socket
ps=[]
ss=[]
for _ in range(2):
    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); ss.append(s); ps.append(s.getsockname()[1])
print(*ps)')
set -- $ports
cat > "$dir/relay.ini" <<INI
[relay]
control_socket = $dir/relay.sock
bind_address = 127.0.0.1
metrics_port = 0
languages = en, fr
floor_source = rtp
venue_rtp_address = 127.0.0.1
venue_rtp_port = $1
venue_rtp_format = L24
venue_rtp_channels = 2
venue_rtp_ptime_ms = $ptime
venue_rtp_jitter_ms = $jitter
venue_out = floor:127.0.0.1:$2:opus
INI
${RELAY_PREFIX:-} "$build/relay/rostrum-relay" --config "$dir/relay.ini" >"$dir/relay.out" 2>&1 &
relay=$!
sleep 1
# the mixing desk is hardware: the sender must not be what stutters (root: SCHED_FIFO 5)
rt=""
if [ "$(id -u)" = 0 ] && command -v chrt >/dev/null; then rt="chrt -f 5"; fi
$rt "$build/benchmarks/venue/venue-latency" --in "$1" --out "$2" --seconds "$secs" --ptime "$ptime"
url=$(sed -n "s/^relay: metrics //p" "$dir/relay.out")
[ -n "$url" ] && curl -s "$url" | grep -E "^rostrum_(audio_venue_underruns|venue_(losses|rtp_packets))" || true
