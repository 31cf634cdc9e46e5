"""Compute: job model, plugin API and registry, the local backend, kernels and the worker entry.

Qt-free and ORM-free. Plugins import only `genesis_desktop.compute.api`. This file imports nothing,
so that worker processes and manifest look-ups stay cheap.
"""
