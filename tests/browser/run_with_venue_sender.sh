#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A browser test with the floor from the venue's RTP (issue 21): a gst-launch
# mixing desk sends a 660 Hz tone (L24, stereo, 1 ms packets) to a free
# loopback port, and the test's relay takes it as floor_source = rtp.
#   run_with_venue_sender.sh NODE TEST.mjs
# Skips (77) without gst-launch-1.0.
set -eu
node=${1:?node}
test=${2:?test}
command -v gst-launch-1.0 >/dev/null || { echo "SKIP: gst-launch-1.0 not found (the venue sender)"; exit 77; }
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rt=""
if [ "$(id -u)" = 0 ] && command -v chrt >/dev/null; then rt="chrt -f 5"; fi
$rt gst-launch-1.0 -q audiotestsrc is-live=true wave=sine freq=660 volume=0.5 samplesperbuffer=48 \
  ! audio/x-raw,rate=48000,channels=2 ! rtpL24pay pt=97 min-ptime=1000000 max-ptime=1000000 \
  ! udpsink host=127.0.0.1 port="$port" sync=true &
sender=$!
trap 'kill $sender 2>/dev/null || true' EXIT
echo "venue sender: 660 Hz L24 stereo 1 ms -> 127.0.0.1:$port"
ROSTRUM_RELAY_OVERRIDES="{\"floor_source\":\"rtp\",\"venue_rtp_address\":\"127.0.0.1\",\"venue_rtp_port\":\"$port\",\"venue_rtp_format\":\"L24\",\"venue_rtp_channels\":\"2\",\"venue_rtp_ptime_ms\":\"1\"}" \
  "$node" "$test"
