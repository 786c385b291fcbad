#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The limiter, chosen by measurement (BENCHMARKS.md, "Limiter"):
#   benchmarks/limiter/compare.sh [BUILD_DIR] [SECONDS] [REPEAT]
# Runs BUILD_DIR/benchmarks/limiter/limiter-bench on a full-scale 3 kHz
# square, a +20 dB 3 kHz burst, fs/4 at 45 degrees and a speech-level signal,
# plus a real (synthesised) voice from espeak-ng when it is installed.
# Benchmark-only packages: lsp-plugins-lv2 x42-plugins swh-plugins
# (espeak-ng optional); gstreamer1.0-plugins-bad provides the lv2 and ladspa
# elements.
set -eu
build=${1:-build}
seconds=${2:-60}
repeat=${3:-1}
bench="$build/benchmarks/limiter/limiter-bench"
[ -x "$bench" ] || { echo "compare.sh: build $bench first (ninja -C $build)" >&2; exit 1; }
for e in lsp-plug-in-plugins-lv2-limiter-mono gareus-org-oss-lv2-dpl-mono \
         ladspa-fast-lookahead-limiter-1913-so-fastlookaheadlimiter; do
  gst-inspect-1.0 "$e" > /dev/null 2>&1 ||
    echo "compare.sh: GStreamer element $e missing (apt-get install lsp-plugins-lv2 x42-plugins swh-plugins)" >&2
done
dir=$(mktemp -d /tmp/rostrum-limiter.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
speech=
if command -v espeak-ng > /dev/null 2>&1; then
  espeak-ng -v en -s 150 -w "$dir/voice.wav" \
    "The meeting is called to order. I give the floor to the distinguished delegate of France. \
Thank you, Madam Chair. My delegation wishes to thank the secretariat for the report, \
and we support the proposal as amended by the working group." 2> /dev/null
  gst-launch-1.0 -q filesrc location="$dir/voice.wav" ! wavparse ! audioconvert ! audioresample ! \
    audio/x-raw,format=F32LE,rate=48000,channels=1 ! filesink location="$dir/voice.f32"
  speech="--speech $dir/voice.f32"
fi
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'); $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gstreamer $(gst-launch-1.0 --version | sed -n 's/^GStreamer //p'); $(dpkg-query -W -f '${Package} ${Version}; ' lsp-plugins-lv2 x42-plugins swh-plugins 2> /dev/null)"
echo "command: $bench --seconds $seconds --repeat $repeat ${speech:+--speech voice.f32}"
echo
# shellcheck disable=SC2086
"$bench" --seconds "$seconds" --repeat "$repeat" $speech
