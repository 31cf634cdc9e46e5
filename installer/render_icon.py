"""Render the program's icon (resources/icons/genesis.svg, as installed) to a PNG: the 256-pixel
icon of the Linux package, and what PyInstaller turns into the Windows .ico and the macOS .icns."""
import sys

from genesis_desktop.ui.app import make_application
from genesis_desktop.ui.resources import svg_pixmap

make_application()
if not svg_pixmap("genesis", 256).save(sys.argv[1], "PNG"):
    sys.exit(f"could not write {sys.argv[1]}")
