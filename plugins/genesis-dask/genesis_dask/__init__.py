"""Genesis Desktop's Dask backend plugin: jobs' blocks as tasks on a Dask distributed cluster.

Only `genesis_desktop.compute.api` is imported from the program (and `arrays` on the workers, see
task.py). `shutdown()` stops this process's monitors and closes its clients: what happens at exit,
and what a test calls to play a restart of the program.
"""
from __future__ import annotations


def shutdown() -> None:
    from .clients import close_clients
    from .monitor import stop_monitors

    stop_monitors()
    close_clients()
