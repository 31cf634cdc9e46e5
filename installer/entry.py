"""The frozen program's first module: the `genesis` command, as the console script runs it.

freeze_support must come before anything else: the local backend starts its workers with the
"spawn" method, and in a frozen program each worker is this same executable started again, which
must run the worker and not the command line.
"""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from genesis_desktop.cli import main

    sys.exit(main())
