#!/usr/bin/env bash
# A private container engine for AgentC2's containers tier, on a machine with no image registry:
#   scripts/containers.sh up      install what is missing, start the engine, build the stand-in images (idempotent)
#   scripts/containers.sh images  build the three service images from their committed Dockerfiles
#   scripts/containers.sh down    stop every container and the engine, and undo what the engine changed on the machine
#
# The engine has its own socket, data root, exec root, bridge and address pool (AGENTC2_ENGINE_POOL, a private range),
# so a plain `docker info` keeps failing and the AppHost's `auto` mode never sees it. Clients use the DOCKER_HOST line
# `up` prints last. Stand-in images (scripts/containers/README.md) are test doubles built from Debian packages under the
# exact names and tags the artifacts pin. `down` leaves the machine as before `up`, installed packages aside.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE="${AGENTC2_ENGINE_STATE:-/var/tmp/agentc2-engine}"
SOCKET="$STATE/docker.sock"
BRIDGE="agentc2br0"
BRIDGE_ADDRESS="10.213.127.1/24"
POOL="${AGENTC2_ENGINE_POOL:-10.213.0.0/18}"
BASE_IMAGE="agentc2.local/debian:bookworm"
export DOCKER_HOST="unix://$SOCKET"

say() { echo "containers: $*" >&2; }
fail() { say "$*"; exit 1; }

# Each stand-in folder and the image name it is built as (scripts/containers/README.md).
STANDINS=(
  "aspnet mcr.microsoft.com/dotnet/aspnet:10.0"
  "sdk mcr.microsoft.com/dotnet/sdk:10.0"
  "postgres docker.io/library/postgres:18.3"
  "redis docker.io/library/redis:8.6"
  "caddy docker.io/library/caddy:2.10.2-alpine"
  "prometheus prom/prometheus:v2.55.1"
  "alertmanager prom/alertmanager:v0.27.0"
)

preconditions() {
  [ "$(id -u)" -eq 0 ] || fail "must run as root (it starts a Docker engine and changes network rules)."
  [ -d /sys/fs/cgroup ] && [ -n "$(ls -A /sys/fs/cgroup 2>/dev/null)" ] || fail "no cgroups are mounted at /sys/fs/cgroup: a container engine cannot run here."
}

engine_pid() { [ -f "$STATE/dockerd.pid" ] && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null && cat "$STATE/dockerd.pid"; }

install_missing() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v nft >/dev/null 2>&1 || missing+=(nftables)
  command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # docker.io tries to start the system's engine; there is none to start here, and none is wanted.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || true
    for tool in dockerd nft mmdebstrap iptables; do command -v "$tool" >/dev/null 2>&1 || fail "could not install $tool."; done
  fi
  # The system's own engine must not run: stop what the package may have started.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker.socket docker.service containerd.service >/dev/null 2>&1 || true; fi
  # Compose v2 (bookworm has only v1): one package from Debian's trixie suite.
  scripts/compose-v2.sh || fail "could not install the compose v2 plugin."
}

# What the engine changes outside its folders, recorded once so that `down` can put it back.
record_machine() {
  [ -f "$STATE/before/recorded" ] && return
  mkdir -p "$STATE/before"
  nft list ruleset > "$STATE/before/ruleset.nft"
  sysctl -n net.ipv4.ip_forward > "$STATE/before/ip_forward"
  for path in /run/docker /var/lib/docker /etc/docker/key.json; do
    [ -e "$path" ] && echo "$path" >> "$STATE/before/existing" || true
  done
  ip -o link show type bridge | awk -F': ' '{ print $2 }' | cut -d@ -f1 > "$STATE/before/bridges"
  touch "$STATE/before/recorded"
}

start_engine() {
  if engine_pid >/dev/null; then
    docker info >/dev/null 2>&1 && return
  fi
  if [ -S "$SOCKET" ] && ! engine_pid >/dev/null; then
    # A socket without our engine: another engine's (refuse), or one left by an engine that died (remove it).
    docker info >/dev/null 2>&1 && fail "another engine owns $SOCKET: stop it, or set AGENTC2_ENGINE_STATE to another folder."
    rm -f "$SOCKET"
  fi
  record_machine
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_ADDRESS" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi
  mkdir -p "$STATE/data" "$STATE/exec"
  say "starting the engine on $SOCKET"
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid dockerd -H "$DOCKER_HOST" --data-root "$STATE/data" --exec-root "$STATE/exec" \
    --pidfile "$STATE/dockerd.pid" --bridge "$BRIDGE" --mtu 1400 --default-address-pool "base=$POOL,size=24" \
    > "$STATE/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    sleep 0.5
  done
  tail -n 20 "$STATE/dockerd.log" >&2 || true
  fail "the engine did not answer within 30 s (its log is above)."
}

# The image's stand-in folder, fingerprinted: a changed folder is built again.
fingerprint() { (cd "scripts/containers/$1" && cat ./* | sha256sum | cut -c1-16); }

build_base() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return
  say "building $BASE_IMAGE with mmdebstrap (about a minute)"
  local rootfs="$STATE/rootfs.tar"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$rootfs" /etc/apt/sources.list.d/debian.sources >&2 \
    || fail "mmdebstrap could not build the Debian base image."
  docker import -c 'CMD ["/bin/bash"]' "$rootfs" "$BASE_IMAGE" >/dev/null
  rm -f "$rootfs"
}

build_standin() {
  local folder=$1 image=$2 print context
  print=$(fingerprint "$folder")
  if [ "$(docker image inspect -f '{{ index .Config.Labels "agentc2.standin" }}' "$image" 2>/dev/null)" = "$print" ]; then return; fi
  say "building the stand-in $image"
  context=$(mktemp -d "$STATE/context-XXXX")
  cp -a "scripts/containers/$folder/." "$context/"
  local dotnet_root
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  case "$folder" in
    aspnet)
      mkdir -p "$context/dotnet/shared"
      cp -al "$dotnet_root/dotnet" "$dotnet_root/host" "$context/dotnet/" 2>/dev/null || cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$context/dotnet/"
      cp -al "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$context/dotnet/shared/" 2>/dev/null \
        || cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$context/dotnet/shared/" ;;
    sdk)
      cp -al "$dotnet_root" "$context/dotnet" 2>/dev/null || cp -a "$dotnet_root" "$context/dotnet"
      cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt" ;;
  esac
  if ! DOCKER_BUILDKIT=0 docker build -q --force-rm --label "agentc2.standin=$print" -t "$image" "$context" > /dev/null 2> "$STATE/build-$folder.log"; then
    tail -n 30 "$STATE/build-$folder.log" >&2
    rm -rf "$context"
    fail "the stand-in $image did not build (its log is above)."
  fi
  rm -rf "$context"
}

up() {
  preconditions
  install_missing
  mkdir -p "$STATE"
  # A step that fails leaves nothing running: the engine it started is stopped and the machine restored.
  trap 'status=$?; [ "$status" -eq 0 ] || { say "undoing the engine after the failure"; down >/dev/null 2>&1 || true; }' EXIT
  start_engine
  build_base
  for standin in "${STANDINS[@]}"; do build_standin $standin; done
  trap - EXIT
  echo "export DOCKER_HOST=$DOCKER_HOST"
}

images() {
  docker info >/dev/null 2>&1 || fail "the engine is not running: run scripts/containers.sh up first."
  local registry="${REGISTRY:-agentc2.local}" tag="${TAG:-dev}"
  for service in agent worker frontend; do
    local project dockerfile started
    project="AgentC2.${service^}"
    dockerfile="$project/Dockerfile"
    started=$(date +%s)
    say "building $registry/agentc2-$service:$tag from $dockerfile"
    if ! DOCKER_BUILDKIT=0 docker build -q --force-rm -f "$dockerfile" -t "$registry/agentc2-$service:$tag" . > /dev/null 2> "$STATE/build-$service.log"; then
      tail -n 30 "$STATE/build-$service.log" >&2
      fail "$dockerfile did not build (its log is above)."
    fi
    say "built $registry/agentc2-$service:$tag in $(( $(date +%s) - started )) s, $(docker image inspect -f '{{ .Size }}' "$registry/agentc2-$service:$tag" | awk '{ printf "%d MB", $1 / 1000000 }')"
  done
}

down() {
  [ "$(id -u)" -eq 0 ] || fail "must run as root."
  if engine_pid >/dev/null && docker info >/dev/null 2>&1; then
    docker swarm leave --force >/dev/null 2>&1 || true
    local containers
    containers=$(docker ps -aq)
    [ -n "$containers" ] && docker rm -f $containers >/dev/null 2>&1 || true
    docker network prune -f >/dev/null 2>&1 || true
  fi
  if pid=$(engine_pid); then
    say "stopping the engine (process $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Its containerd and shims (started by it, under its exec root) end with it; anything left is ended here.
  pkill -KILL -f "$STATE/exec" 2>/dev/null || true
  if [ -d "$STATE" ]; then
    grep -q " $STATE/" /proc/mounts 2>/dev/null && awk -v s="$STATE/" 'index($2, s) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l || true
  fi
  if [ -f "$STATE/before/recorded" ]; then
    nft flush ruleset && nft -f "$STATE/before/ruleset.nft"
    sysctl -qw net.ipv4.ip_forward="$(cat "$STATE/before/ip_forward")"
    for path in /run/docker /var/lib/docker /etc/docker/key.json; do
      grep -qx "$path" "$STATE/before/existing" 2>/dev/null || rm -rf "$path"
    done
  fi
  # The engine's bridges: its own, and those it made for networks (not there before `up`).
  for link in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    if [ "$link" = "$BRIDGE" ] || { [ -f "$STATE/before/bridges" ] && ! grep -qx "$link" "$STATE/before/bridges"; }; then
      ip link delete "$link" 2>/dev/null || true
    fi
  done
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  images) images ;;
  down) down ;;
  *) echo "usage: scripts/containers.sh up | images | down" >&2; exit 2 ;;
esac
