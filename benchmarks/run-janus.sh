#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The same listeners against Janus 1.1.2's Streaming plugin (Debian package
# janus), for comparison: one Opus mountpoint (id 1) fed by GStreamer at
# 32 kb/s, HTTP API on 127.0.0.1:8088. Janus's libnice never gathers on
# loopback, so ICE uses this host's first non-loopback IPv4 address (ICE_ADDR
# to override) on both sides: the packets still never leave the host.
#   benchmarks/run-janus.sh BUILD_DIR N DURATION_S [loadgen options...]
set -eu
build=${1:?build dir}
n=${2:?listeners}
duration=${3:?seconds}
shift 3
ice_addr=${ICE_ADDR:-$(hostname -I | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$')}
dir=$(mktemp -d /tmp/rostrum-janus.XXXXXX)
mkdir -p "$dir/cfg"
cat > "$dir/cfg/janus.jcfg" <<CFG
general: { configs_folder = "$dir/cfg" plugins_folder = "/usr/lib/x86_64-linux-gnu/janus/plugins"
  transports_folder = "/usr/lib/x86_64-linux-gnu/janus/transports"
  events_folder = "/usr/lib/x86_64-linux-gnu/janus/events"
  loggers_folder = "/usr/lib/x86_64-linux-gnu/janus/loggers"
  debug_level = 4 session_timeout = 60 event_loops = 1 }
plugins: { disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_videoroom.so,libjanus_voicemail.so" }
transports: { disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so" }
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
media: { rtp_port_range = "20000-40000" }
nat: { ice_enforce_list = "$ice_addr" nice_debug = false }
CFG
cat > "$dir/cfg/janus.transport.http.jcfg" <<CFG
general: { json = "compact" base_path = "/janus" http = true port = 8088 ip = "127.0.0.1" https = false }
admin: { admin_http = false }
CFG
cat > "$dir/cfg/janus.plugin.streaming.jcfg" <<CFG
general: { }
bench: { type = "rtp" id = 1 description = "floor" audio = true video = false
  audioport = 5002 audiopt = 111 audiocodec = "opus" audioiface = "127.0.0.1" }
CFG
pids=
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT INT TERM
janus -F "$dir/cfg" -C "$dir/cfg/janus.jcfg" > "$dir/janus.log" 2>&1 &
janus=$!
pids=$janus
i=0
until grep -q "HTTP webserver started" "$dir/janus.log" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 $janus 2>/dev/null; then cat "$dir/janus.log" >&2; exit 2; fi
  sleep 0.1
done
gst-launch-1.0 -q audiotestsrc is-live=true freq=440 ! audioconvert ! audioresample ! \
  audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=32000 frame-size=20 ! rtpopuspay pt=111 ! \
  udpsink host=127.0.0.1 port=5002 > "$dir/gst.log" 2>&1 &
pids="$! $pids"
sleep 1
rc=0
"$build/benchmarks/loadgen/rostrum-loadgen" --adapter janus --janus http://127.0.0.1:8088/janus \
  --mountpoint 1 --ice-address "$ice_addr" --listeners "$n" --duration "$duration" --relay-pid $janus "$@" || rc=$?
echo "run-janus: logs in $dir" >&2
exit $rc
