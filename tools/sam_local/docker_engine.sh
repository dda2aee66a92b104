#!/usr/bin/env bash
# Make sure a Docker engine answers (for `sam local invoke`). As root, installs Debian's docker.io when
# dockerd is missing and starts dockerd in the background (its log: .local/dockerd.log). Exits non-zero,
# saying why, when no engine can be had.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .local

engine_answers() { docker info >/dev/null 2>&1; }

if engine_answers; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-engine: no Docker engine answers, and only root may install or start one here." >&2
  echo "  Install Debian's docker.io and start dockerd (or join the docker group), then retry." >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  echo "docker-engine: installing Debian's docker.io (apt-get)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
echo "docker-engine: starting dockerd in the background (log: .local/dockerd.log)"
nohup dockerd >.local/dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if engine_answers; then echo "docker-engine: ready"; exit 0; fi
  sleep 1
done
echo "docker-engine: dockerd did not answer within 60 s; its log ends with:" >&2
tail -n 20 .local/dockerd.log >&2 || true
exit 1
