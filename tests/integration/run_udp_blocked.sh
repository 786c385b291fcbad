#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The delegate test on a network that drops every UDP packet: a private
# network namespace with lo and a veth pair (198.18.0.1/24, 198.18.0.2/24,
# both ends inside: Chromium gathers nothing on a loopback-only host) and an
# nftables rule dropping UDP. Relay (bind_address 198.18.0.1, ice_tcp = true),
# signalling and Chromium all run inside it; the delegate must hear the floor
# over ICE-TCP and every succeeded candidate pair must be TCP.
#   run_udp_blocked.sh NODE DELEGATE_TEST_MJS      (env ROSTRUM_BUILD as for it)
# Exit 77 (skip) when network namespaces or nftables are not available.
set -euo pipefail

node=${1:?usage: run_udp_blocked.sh NODE DELEGATE_TEST_MJS}
test_file=${2:?usage: run_udp_blocked.sh NODE DELEGATE_TEST_MJS}
ns=rostrum-udpblk-$$-$RANDOM
created=

cleanup() {
  if [[ -n $created ]]; then
    # whatever still runs inside (a stuck Chromium) goes with the namespace
    local pids
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() { echo "SKIP: $*"; exit 77; }
command -v ip >/dev/null || skip "no ip(8)"
command -v nft >/dev/null || skip "no nft(8)"
ip netns add "$ns" 2>/dev/null || skip "ip netns add is not permitted here"
created=1
in_ns() { ip netns exec "$ns" "$@"; }

# No IPv6 duplicate address detection: a link-local address that turns from
# tentative to valid while Chromium loads the page is a network change to it
# (page.goto failed with net::ERR_NETWORK_CHANGED once in CI)
in_ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null || true
ip -n "$ns" link set lo up
ip -n "$ns" link add v0 type veth peer name v1 || skip "no veth"
ip -n "$ns" addr add 198.18.0.1/24 dev v0
ip -n "$ns" addr add 198.18.0.2/24 dev v1
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
# and the links settled before anything starts: up, no address tentative
for _ in $(seq 50); do
  if ! ip -n "$ns" addr show | grep -q tentative &&
    ip -n "$ns" link show v0 | grep -q 'state UP' && ip -n "$ns" link show v1 | grep -q 'state UP'; then
    break
  fi
  sleep 0.1
done
in_ns nft add table inet f || skip "nftables not usable"
in_ns nft add chain inet f out '{ type filter hook output priority 0; }'
in_ns nft add rule inet f out meta l4proto udp counter drop
# the rule really drops: a UDP datagram to ourselves must not arrive
if in_ns python3 -c '
import socket, sys
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("198.18.0.1", 0)); r.settimeout(0.5)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try: s.sendto(b"x", r.getsockname())
except OSError: sys.exit(1)
try: r.recv(10)
except socket.timeout: sys.exit(1)
'; then
  echo "run_udp_blocked: FAIL: UDP still passes in $ns" >&2
  exit 1
fi

udp_dropped() { in_ns nft list chain inet f out | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
dropped_before=$(udp_dropped)
status=0
ROSTRUM_RELAY_OVERRIDES='{"bind_address":"198.18.0.1","ice_tcp":"true"}' \
ROSTRUM_EXPECT_PROTOCOL=tcp \
  timeout -k 5 140 ip netns exec "$ns" "$node" "$test_file" || status=$?

dropped=$(($(udp_dropped) - dropped_before))
echo "run_udp_blocked: UDP packets dropped during the test: $dropped"
if ((status == 0 && dropped == 0)); then
  # Chromium always tries its UDP candidates first: none dropped means the
  # test did not exercise the fallback it is about
  echo "run_udp_blocked: FAIL: no UDP packet was dropped, so nothing tried UDP" >&2
  status=1
fi
exit "$status"
