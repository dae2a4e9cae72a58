#!/usr/bin/env bash
# Installs Docker Compose v2 where Debian bookworm has only v1.29 (which rejects what v2 files use: top-level `name:`,
# secrets from `environment`, `up --wait`): the docker-compose package of Debian's trixie suite (a CLI plugin that
# runs on bookworm), fetched alone with a separate sources list and state folder (trixie never enters the system's
# sources), unpacked to /usr/local/lib/docker/cli-plugins/docker-compose and linked as /usr/local/bin/docker-compose.
# Does nothing when v2 is there.
set -euo pipefail
plugin=/usr/local/lib/docker/cli-plugins/docker-compose
if "$plugin" version 2>/dev/null | grep -qE 'version v?2\.'; then
  ln -sf "$plugin" /usr/local/bin/docker-compose
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "compose-v2: run as root to install Compose v2." >&2; exit 1; }

echo "compose-v2: installing the Compose v2 plugin from Debian's trixie suite (that package alone)" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/sources" "$work/unpacked"
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "${mirror:-http://deb.debian.org/debian}" > "$work/sources/trixie.sources"
apt_options=(-qq -oDir::Etc::SourceList=/dev/null -oDir::Etc::SourceParts="$work/sources" -oDir::State::Lists="$work/lists"
  -oDir::Cache::Archives="$work/archives" -oDebug::NoLocking=1 -oAPT::Sandbox::User=root)
apt-get "${apt_options[@]}" update >&2 || { echo "compose-v2: could not read Debian's trixie package list." >&2; exit 1; }
(cd "$work" && apt-get "${apt_options[@]}" download docker-compose >&2) || { echo "compose-v2: could not download docker-compose from trixie." >&2; exit 1; }
dpkg-deb -x "$work"/docker-compose_*.deb "$work/unpacked"
mkdir -p "$(dirname "$plugin")"
install -m 0755 "$(find "$work/unpacked" -path '*cli-plugins/docker-compose' -type f | head -n 1)" "$plugin"
"$plugin" version >/dev/null 2>&1 || { echo "compose-v2: the plugin does not run on this machine." >&2; exit 1; }
ln -sf "$plugin" /usr/local/bin/docker-compose
