#!/bin/sh
# Installs what test/card/vpcd/pcsc.test.ts needs to put a Tessera card into a PC/SC reader:
#   pcscd            the PC/SC daemon (pcsc-lite)
#   vsmartcard-vpcd  the vsmartcard virtual reader driver (libifdvpcd.so + /etc/reader.conf.d/vpcd)
#   opensc           opensc-tool, a PC/SC client that lists readers and sends APDUs
#   pcsc-tools       scriptor (scripted APDU sessions) and pcsc_scan
# Idempotent: does nothing when all four are installed. Debian/Ubuntu only; needs root (or sudo).
# It does not start pcscd: the test starts its own in the foreground and stops it.
set -eu

PACKAGES="pcscd vsmartcard-vpcd opensc pcsc-tools"

missing=""
for package in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $package"
  fi
done

if [ -z "$missing" ]; then
  echo "pcsc-setup: already installed:$(for p in $PACKAGES; do printf ' %s=%s' "$p" "$(dpkg-query -W -f='${Version}' "$p")"; done)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1; then
  as_root="sudo"
else
  echo "pcsc-setup: need root (or sudo) to install:$missing" >&2
  exit 1
fi

echo "pcsc-setup: installing:$missing"
# policy-rc.d in containers refuses to start services; the packages install fine regardless.
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086 # the package list is meant to split into words
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
echo "pcsc-setup: installed:$(for p in $PACKAGES; do printf ' %s=%s' "$p" "$(dpkg-query -W -f='${Version}' "$p")"; done)"
