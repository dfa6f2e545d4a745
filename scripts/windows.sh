#!/usr/bin/env bash
# The Windows product, made on Linux: the app cross-compiled for x86_64-pc-windows-gnu (MinGW),
# a per-user NSIS installer (64-bit, Debian's makensis), the installer run silently under Wine,
# and the core's and the CLI's tests run under Wine.
# Output: target/windows/户厕摸排整改工作台-<version>-setup.exe
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
TARGET=x86_64-pc-windows-gnu
VERSION=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' tauri.conf.json)
OUT_DIR=target/windows
step() { echo "== windows.sh $(date -u +%T) (+${SECONDS}s): $*"; }
mkdir -p "$OUT_DIR"

step "the app, dist profile"
# 1. The app, with the size-optimised `dist` profile (Cargo.toml).
cargo build --locked --profile dist --target "$TARGET" -p huce-app
EXE="target/$TARGET/dist/huce-app.exe"

step "the installer"
# 2. The installer, at most 25 MB.
SETUP="$OUT_DIR/户厕摸排整改工作台-$VERSION-setup.exe"
makensis -V2 -INPUTCHARSET UTF8 \
  -DVERSION="$VERSION" -DEXE="$(pwd)/$EXE" -DOUT="$(pwd)/$SETUP" \
  -DICON="$(pwd)/assets/icons/icon.ico" -DFONTLICENSE="$(pwd)/assets/fonts/LICENSE-OFL.txt" \
  packaging/windows/installer.nsi
SIZE=$(stat -c %s "$SETUP")
echo "windows: app $(stat -c %s "$EXE") bytes; installer $SETUP: $SIZE bytes"
if [ "$SIZE" -gt $((25 * 1024 * 1024)) ]; then
  echo "windows: the installer is over 25 MB" >&2
  exit 1
fi

step "the installer under Wine"
# 3. Wine: a fresh prefix, the installer run silently for this user, then uninstalled.
export WINEPREFIX="$(pwd)/target/wine-prefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
rm -rf "$WINEPREFIX"
wineboot --init >/dev/null 2>&1
wineserver --wait
# Wine 8 (Debian 12) lacks bcryptprimitives.dll, which Rust's standard library loads for random
# numbers; a test-only stand-in goes into the prefix (never into the installer).
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  packaging/windows/wine/bcryptprimitives.c -ladvapi32
wine "$SETUP" /S
PROGRAMS=$(find "$WINEPREFIX/drive_c/users" -maxdepth 5 -type d -path '*AppData/Local/Programs' | head -n 1)
INSTALLED="$PROGRAMS/户厕摸排整改工作台"
test -f "$INSTALLED/huce-app.exe" || { echo "windows: the installer did not install the app" >&2; exit 1; }
find "$WINEPREFIX/drive_c/users" -name '户厕摸排整改工作台.lnk' | grep -q . \
  || { echo "windows: no shortcut" >&2; exit 1; }
wine "$INSTALLED/uninstall.exe" /S
wineserver --wait
sleep 2
test ! -f "$INSTALLED/huce-app.exe" || { echo "windows: the uninstaller left the app" >&2; exit 1; }
echo "windows: the installer installs per user (no administrator) and uninstalls under Wine"

step "the core's and the CLI's tests under Wine"
# 4. The core's and the CLI's tests, as Windows programs under Wine (paths with Chinese
#    characters and spaces, the database in %APPDATA%, file locking, a backup to another
#    drive letter; the CLI's demo, import, export, print, sample and verify commands).
#    The core's server tests connect from Wine to the PostgreSQL cluster on this Linux host
#    (#18): the Windows client against a real server.
if [ -z "${HUCE_TEST_PG:-}" ]; then
  HUCE_TEST_PG="$(bash scripts/pg-cluster.sh start)"
  trap 'bash scripts/pg-cluster.sh stop' EXIT
fi
export HUCE_TEST_PG
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
cargo test --locked --target "$TARGET" -p huce-core -p huce-cli
