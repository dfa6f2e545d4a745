#!/usr/bin/env bash
# One-time set-up of a Debian 12 / Ubuntu 22.04+ machine for building, running and testing the
# workbench: the WebKitGTK stack Tauri needs, Xvfb and WebKitWebDriver for the end-to-end test,
# a CJK font, the MinGW toolchain for the Windows cross-check, tauri-driver, and Debian's
# PostgreSQL server for the server-mode tests (its own service is not used: the tests start a
# throw-away cluster, scripts/pg-cluster.sh).
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential pkg-config curl ca-certificates openssl libssl-dev \
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev \
  xvfb xauth webkit2gtk-driver dbus-daemon imagemagick fonts-noto-cjk \
  gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 sqlite3 \
  poppler-utils python3 python3-pip libreoffice-writer-nogui postgresql \
  wine wine64 nsis >/dev/null

# PDFium (as Chrome and Edge render PDFs) for the printed-document tests.
if ! python3 -c "import pypdfium2, PIL" >/dev/null 2>&1; then
  python3 -m pip install -q --break-system-packages pypdfium2==5.15.2 pillow==13.0.0 \
    || python3 -m pip install -q pypdfium2==5.15.2 pillow==13.0.0
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --version 2.1.0 --locked
fi
rustup target add x86_64-pc-windows-gnu >/dev/null
echo "setup done"
