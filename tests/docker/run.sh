#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The venue's Docker set, end to end (issue 22): makes the base image
# (scripts/docker-base), builds the images, starts docker/compose.yaml under a
# project name and ports of its own, waits until every service is healthy,
# then venue.test.mjs joins headless Chromium delegates from the host (one
# through TURN), hears the floor and a channel, restarts the signalling
# container and checks attendance and media across it; last, scripts/venue
# backup and restore of the attendance database. Everything the test
# made goes at the end: containers, network, volumes, images, build cache;
# the base image stays (cached for the next run), as does a daemon's data
# root the test made (/var/lib/rostrum-test-docker). ROSTRUM_DOCKER_KEEP=1
# keeps the set running (with a daemon that was running already), to look at.
# With no Docker daemon running it starts one (dockerd --bridge=none
# --iptables=false, its own data root and socket) and stops it after. Exits
# 77 (SKIP) saying why when Docker cannot run here.
#   tests/docker/run.sh [SOURCE_DIR]
set -uo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
t_start=$SECONDS
stamp() { printf '[%4d s] %s\n' $((SECONDS - t_start)) "$*"; }

command -v docker >/dev/null || skip "no docker client (scripts/setup installs docker.io)"
command -v node >/dev/null || skip "no node"
[ -x /usr/bin/chromium ] || skip "no /usr/bin/chromium"
[ -d "$src/tests/browser/node_modules/playwright-core" ] ||
  skip "playwright-core is not installed (npm ci in tests/browser)"
if docker compose version >/dev/null 2>&1; then compose_cmd=(docker compose)
elif command -v docker-compose >/dev/null; then compose_cmd=(docker-compose)
else skip "neither 'docker compose' nor docker-compose (scripts/setup installs docker-compose)"; fi

tmp=$(mktemp -d /tmp/rostrum-docker.XXXXXX)
dockerd_pid=
project=rostrum-test-$$
export COMPOSE_PROJECT_NAME=$project ROSTRUM_IMAGE=rostrum-test ROSTRUM_TAG=t$$
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
# scripts/venue and compose both read COMPOSE_FILE
export COMPOSE_FILE=$src/docker/compose.yaml:$tmp/override.yaml
compose=("${compose_cmd[@]}")
dc() { "${compose[@]}" "$@"; }

cleanup() {
  local rc=$?
  trap '' INT TERM # finish the clean-up even when asked to stop again
  if [ -n "${ROSTRUM_DOCKER_KEEP:-}" ] && [ -z "$dockerd_pid" ]; then
    echo "kept (ROSTRUM_DOCKER_KEEP): ${compose[*]} down --volumes --rmi all"
    cp "$tmp/override.yaml" "/tmp/$project.override.yaml"
  elif [ -f "$tmp/override.yaml" ] && docker info >/dev/null 2>&1; then
    stamp "teardown"
    # (relay and signalling share one image: the second removal finds it gone)
    dc down --volumes --rmi all --remove-orphans >"$tmp/down.log" 2>&1 ||
      grep -v 'not found' "$tmp/down.log"
    # the build stage's intermediate images (labelled in docker/Dockerfile)
    docker image prune -f --filter label=org.rostrum.stage=build >/dev/null 2>&1 || true
    left=$(docker ps -aq --filter "label=com.docker.compose.project=$project"; docker volume ls -q | grep "^${project}_")
    [ -z "$left" ] || { echo "left behind: $left"; rc=1; }
  fi
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$dockerd_pid" 2>/dev/null
    for m in "$tmp"/exec/netns/*; do [ -e "$m" ] && umount "$m" 2>/dev/null; done
  fi
  rm -rf "$tmp"
  stamp "done (exit $rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- a daemon: the one that runs, or our own ---------------------------------
if docker info >/dev/null 2>&1; then
  stamp "using the running Docker daemon ($(docker info -f '{{.ServerVersion}}'))"
else
  command -v dockerd >/dev/null || skip "no Docker daemon runs and dockerd is not installed (scripts/setup installs docker.io)"
  [ "$(id -u)" -eq 0 ] || skip "no Docker daemon runs, and starting one needs root"
  mkdir -p "$tmp/exec"
  export DOCKER_HOST=unix://$tmp/docker.sock
  dockerd --bridge=none --iptables=false --ip6tables=false \
    --data-root /var/lib/rostrum-test-docker --exec-root "$tmp/exec" \
    --pidfile "$tmp/dockerd.pid" -H "$DOCKER_HOST" >"$tmp/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 150); do docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  if ! docker info >/dev/null 2>&1; then
    tail -5 "$tmp/dockerd.log"
    dockerd_pid_was=$dockerd_pid
    skip "Docker cannot run here: dockerd (pid $dockerd_pid_was) did not come up (log above)"
  fi
  stamp "started dockerd $(docker info -f '{{.ServerVersion}}') (--bridge=none, data root /var/lib/rostrum-test-docker)"
fi

# --- ports of its own (host networking) --------------------------------------
read -r https_port metrics_port ice_port turn_port turn_min < <(python3 - <<'PY'
import socket
def free(udp_too):
    while True:
        t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
        if not udp_too: t.close(); return p
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try: u.bind(("127.0.0.1", p)); u.close(); t.close(); return p
        except OSError: t.close()
ports = [free(False), free(False), free(True), free(True)]
print(*ports, 40000 + ports[0] % 20000)
PY
)
export ROSTRUM_ADDRESS=127.0.0.1 ROSTRUM_HTTPS_PORT=$https_port ROSTRUM_METRICS_PORT=$metrics_port
export ROSTRUM_ICE_PORT=$ice_port ROSTRUM_TURN_PORT=$turn_port ROSTRUM_TURN_ALLOW_LOOPBACK=1
export ROSTRUM_TURN_MIN_PORT=$turn_min ROSTRUM_TURN_MAX_PORT=$((turn_min + 199))
# the test's own floor and booths, through the generic ROSTRUM_RELAY_* keys
cat > "$tmp/override.yaml" <<YAML
version: "3.8"
services:
  relay:
    environment:
      ROSTRUM_RELAY_FLOOR_TONE_HZ: "660"
      ROSTRUM_RELAY_SIM_BOOTHS: "fr:550, es:770"
      ROSTRUM_RELAY_STATS_INTERVAL_S: "1"
YAML
stamp "project $project: https $https_port, ICE $ice_port udp+tcp, TURN $turn_port, metrics $metrics_port"

# --- base, images, start -----------------------------------------------------
t0=$SECONDS
"$src/scripts/docker-base" || exit 1
stamp "base image ready in $((SECONDS - t0)) s"
t0=$SECONDS
dc build >"$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; exit 1; }
build_s=$((SECONDS - t0))
stamp "images built in ${build_s} s: $(docker image inspect -f '{{.RepoTags}} {{.Size}}' \
  "$ROSTRUM_IMAGE:$ROSTRUM_TAG" "$ROSTRUM_IMAGE-coturn:$ROSTRUM_TAG" |
  awk '{ printf "%s %.0f MB; ", $1, $2 / 1e6 }')"

# what the runtime image's size is made of: its largest packages
echo "largest packages in $ROSTRUM_IMAGE:$ROSTRUM_TAG (kB, as dpkg declares them, before the image's path excludes): $(docker run --rm --network host \
  --entrypoint dpkg-query "$ROSTRUM_IMAGE:$ROSTRUM_TAG" -W -f '${Installed-Size} ${Package}\n' |
  sort -rn | head -8 | tr '\n' ',' )"

healthy() { # every service healthy; prints the states
  local s id st ok=0
  for s in relay signalling coturn; do
    id=$(dc ps -q "$s" 2>/dev/null)
    st=$( [ -n "$id" ] && docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || echo missing)
    printf '%s=%s ' "$s" "$st"
    [ "$st" = healthy ] || ok=1
  done
  return $ok
}
# the venue's one command, timed: with the images built just above, what is
# left is compose's look at its build cache, the start and the health checks
t0=$(date +%s%N)
"$src/scripts/venue" up >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; exit 1; }
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
stamp "cold start to healthy (scripts/venue up): $((ms / 1000)).$((ms % 1000 / 100)) s ($(healthy))"
grep 'Delegates open' "$tmp/up.log"
# each service's process: not root, and what its health check said
for s in relay signalling coturn; do
  id=$(dc ps -q "$s")
  uid=$(docker exec "$id" awk '/^Uid:/ { print $2 }' /proc/1/status)
  echo "$s: runs as uid $uid; health: $(docker inspect -f '{{(index .State.Health.Log 0).Output}}' "$id" | tr -s '\n' ' ')"
  [ -n "$uid" ] && [ "$uid" -ne 0 ] || { echo "$s runs as root"; exit 1; }
done

volume=$(docker volume inspect -f '{{.Mountpoint}}' "${project}_var") || exit 1
db=$volume/attendance.sqlite
# --- the browser part ---------------------------------------------------------
stamp "delegates from the host (venue.test.mjs)"
ROSTRUM_URL="https://127.0.0.1:$https_port/" ROSTRUM_DB="$db" ROSTRUM_TEST_IMAGE="$ROSTRUM_IMAGE:$ROSTRUM_TAG" \
ROSTRUM_COMPOSE="$(printf '%s\n' "${compose[@]}")" \
ROSTRUM_FLOOR_HZ=660 ROSTRUM_FR_HZ=550 \
  node --test --test-reporter=spec "$here/venue.test.mjs"
rc=$?
if ((rc != 0)); then
  dc ps; dc logs --tail 40
  exit $rc
fi
stamp "after the test: $(healthy)"
stamp "attendance in the volume ($db):"
rows="SELECT id, badge, kind, coalesce(reason, '') FROM attendance_event ORDER BY id"
sqlite3 -readonly "$db" "$rows" || exit 1
"$src/scripts/venue" backup "$tmp/backup.sqlite" || exit 1
[ "$(sqlite3 -readonly "$db" "$rows")" = "$(sqlite3 "$tmp/backup.sqlite" "$rows")" ] ||
  { echo "the backup differs from the live database"; exit 1; }
stamp "scripts/venue backup: the same rows as the live database"
# a lost database (every row deleted under the running signalling), then the
# backup put back: the rows are the backup's and signalling is healthy
sqlite3 "$db" "DELETE FROM attendance_event" || exit 1
"$src/scripts/venue" restore "$tmp/backup.sqlite" >"$tmp/restore.log" 2>&1 || { cat "$tmp/restore.log"; exit 1; }
[ "$(sqlite3 -readonly "$db" "$rows")" = "$(sqlite3 "$tmp/backup.sqlite" "$rows")" ] ||
  { echo "after restore:"; sqlite3 -readonly "$db" "$rows"; exit 1; }
stamp "scripts/venue restore: the backup's $(sqlite3 "$tmp/backup.sqlite" 'SELECT count(*) FROM attendance_event') rows are back; $(healthy)"
exit 0
