#!/usr/bin/env bash
# Installs sluice-agent on this machine: the binary, /etc/sluice/agent.yml (kept if it
# exists), the state directory, and the systemd unit (enabled and started where systemd
# runs). Usage, as root, from a checkout with a release build or with --binary:
#   agents/install.sh [--binary PATH] [--bootstrap HOST:PORT] [--prefix /usr/local]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
binary="$here/../.build/release/sluice-agent"
bootstrap=""
prefix="/usr/local"
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --bootstrap) bootstrap="$2"; shift 2 ;;
        --prefix) prefix="$2"; shift 2 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$binary" ] || { echo "no agent binary at $binary (swift build -c release --product sluice-agent)" >&2; exit 1; }

install -D -m 0755 "$binary" "$prefix/bin/sluice-agent"

if ! id sluice-agent >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /var/lib/sluice-agent --shell /usr/sbin/nologin sluice-agent
fi
for group in adm systemd-journal; do
    if getent group "$group" >/dev/null; then usermod -a -G "$group" sluice-agent; fi
done

install -d -m 0755 /etc/sluice
if [ ! -e /etc/sluice/agent.yml ]; then
    sed "s|state_dir: ./sluice-data/agent|state_dir: /var/lib/sluice-agent|" "$here/../etc/agent.yml" > /etc/sluice/agent.yml
    if [ -n "$bootstrap" ]; then
        sed -i "s|bootstrap: 127.0.0.1:9092|bootstrap: $bootstrap|" /etc/sluice/agent.yml
    fi
    chmod 0644 /etc/sluice/agent.yml
fi
"$prefix/bin/sluice-agent" check-config /etc/sluice/agent.yml

install -d -m 0750 -o sluice-agent -g sluice-agent /var/lib/sluice-agent
sed "s|/usr/local/bin/sluice-agent|$prefix/bin/sluice-agent|g" "$here/sluice-agent.service" > /etc/systemd/system/sluice-agent.service

if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now sluice-agent.service
    echo "sluice-agent installed and started (journalctl -u sluice-agent)"
else
    echo "sluice-agent installed; systemd is not running here, start it with:"
    echo "  $prefix/bin/sluice-agent --config /etc/sluice/agent.yml"
fi
