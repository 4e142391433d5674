#!/usr/bin/env bash
# Builds the Debian package with cargo-deb from the binaries already built in
# target/debug (CI builds them for the tests; a release is `cargo deb -p pacta-node`),
# and checks with dpkg-deb that it installs both binaries and the unit, and that its
# postinst creates the user and enables the unit.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deb --version >/dev/null 2>&1; then
    cargo install --quiet --locked cargo-deb --version 3.8.0
fi
cargo build --quiet -p pacta-node -p pacta-cli
out=target/debian/pacta-ci.deb
# --profile dev: the binaries the tests ran; cargo-deb warns that dev is for CI only.
cargo deb -p pacta-node --no-build --profile dev -o "$out" 2>/dev/null
contents=$(dpkg-deb -c "$out")
for path in ./usr/bin/pacta-node ./usr/bin/pacta ./usr/lib/systemd/system/pacta-node.service; do
    grep -q " $path\$" <<<"$contents" || { echo "$out lacks $path:"; echo "$contents"; exit 1; }
done
control=$(mktemp -d)
trap 'rm -rf "$control"' EXIT
dpkg-deb -e "$out" "$control"
grep -q "adduser --system" "$control/postinst" || { echo "postinst creates no user"; exit 1; }
grep -q "deb-systemd-helper enable" "$control/postinst" || { echo "postinst does not enable the unit"; exit 1; }
echo "$out: both binaries, the unit, a postinst that creates the user and enables the unit"
dpkg-deb -c "$out" | grep -E "usr/bin/|\.service$"
