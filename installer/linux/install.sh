#!/bin/sh
# Install Genesis Desktop from this unpacked folder: the program under PREFIX/opt/genesis-desktop,
# the `genesis` command in PREFIX/bin, and its menu entry and icons under PREFIX/share.
#   ./install.sh                      for you alone (PREFIX=~/.local)
#   sudo PREFIX=/usr/local ./install.sh   for everyone on this machine
#   ./install.sh --uninstall          removes what it installed
set -eu
PREFIX=${PREFIX:-"$HOME/.local"}
HERE=$(cd "$(dirname "$0")" && pwd)
APP=genesis-desktop
TARGET="$PREFIX/opt/$APP"
DESKTOP="$PREFIX/share/applications/$APP.desktop"

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$TARGET" "$PREFIX/bin/genesis" "$DESKTOP" \
        "$PREFIX/share/icons/hicolor/scalable/apps/$APP.svg" "$PREFIX/share/icons/hicolor/256x256/apps/$APP.png"
    echo "removed Genesis Desktop from $PREFIX"
    exit 0
fi

mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$PREFIX/share/applications" \
    "$PREFIX/share/icons/hicolor/scalable/apps" "$PREFIX/share/icons/hicolor/256x256/apps"
# A new version replaces the old one whole: files of the old bundle must not linger beside the new.
rm -rf "$TARGET.new"
mkdir "$TARGET.new"
cp -a "$HERE/genesis" "$HERE/_internal" "$TARGET.new/"
rm -rf "$TARGET"
mv "$TARGET.new" "$TARGET"
ln -sf "$TARGET/genesis" "$PREFIX/bin/genesis"
cp "$HERE/share/icons/hicolor/scalable/apps/$APP.svg" "$PREFIX/share/icons/hicolor/scalable/apps/"
cp "$HERE/share/icons/hicolor/256x256/apps/$APP.png" "$PREFIX/share/icons/hicolor/256x256/apps/"
# The entry names the installed program by its full path: PREFIX/bin need not be on the menu's PATH.
sed -e "s|^Exec=genesis |Exec=$TARGET/genesis |" -e "s|^TryExec=genesis$|TryExec=$TARGET/genesis|" \
    "$HERE/share/applications/$APP.desktop" > "$DESKTOP"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" || true
echo "installed Genesis Desktop in $TARGET; run: $PREFIX/bin/genesis (or find it in the menu)"
