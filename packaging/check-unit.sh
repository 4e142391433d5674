#!/usr/bin/env bash
# Checks packaging/pacta-node.service with systemd-analyze verify, in a scratch root
# holding the unit, the binary it starts and the system's units. systemd-analyze
# exits 0 on a setting it cannot parse (it only warns), so any output is a failure.
# Usage: packaging/check-unit.sh PATH/TO/pacta-node
set -euo pipefail
bin=${1:?usage: check-unit.sh PATH/TO/pacta-node}
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp "$bin" "$root/usr/bin/pacta-node"
cp "$(type -P kill)" "$root/usr/bin/kill"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$here/pacta-node.service" "$root/etc/systemd/system/"
out=$(systemd-analyze verify --root="$root" /etc/systemd/system/pacta-node.service 2>&1) || {
    echo "$out"; exit 1; }
if [ -n "$out" ]; then
    echo "systemd-analyze verify warned about pacta-node.service:"; echo "$out"; exit 1
fi
echo "pacta-node.service: systemd-analyze verify found nothing to say"
