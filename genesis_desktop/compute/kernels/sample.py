"""A small kernel for testing the engine and any backend: pi by Monte Carlo, with knobs to make it slow
or fail. It is the conformance suite's kernel and `genesis self-test`'s small local job, so it ships
with the program and every backend that runs genesis kernels can run it.
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import numpy as np

from ..jobs import finite, whole_number
from ..kernel import Estimate, Partial, SpecError, block_rng, checkpoint

Z95 = 1.959963984540054  # two-sided 95% normal quantile


class PiKernel:
    name = "pi"
    version = "1"
    defaults: Mapping[str, Any] = {"blocks": 16, "samples_per_block": 100_000, "sleep_s": 0.0, "fail_block": None}

    def prepare(self, params: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(params) - set(self.defaults)
        if unknown:
            raise SpecError(f"pi: unknown parameters {sorted(unknown)}; known: {', '.join(self.defaults)}")
        p = {**self.defaults, **params}
        return {
            "blocks": whole_number("blocks", p["blocks"], minimum=1, maximum=100_000),
            # 5M points are 80 MB of doubles per worker: the ceiling keeps a typo from swapping.
            "samples_per_block": whole_number("samples_per_block", p["samples_per_block"], minimum=1,
                                              maximum=5_000_000),
            "sleep_s": finite("sleep_s", p["sleep_s"], low=0.0, high=600.0),
            "fail_block": whole_number("fail_block", p["fail_block"], minimum=0, optional=True),
        }

    def block_count(self, params: Mapping[str, Any]) -> int:
        return params["blocks"]

    def run_block(self, params: Mapping[str, Any], seed: int, block: int) -> Partial:
        if params["fail_block"] == block:
            raise RuntimeError(f"block {block} fails on purpose (fail_block = {block})")
        points = block_rng(seed, 0, block).random((params["samples_per_block"], 2))
        inside = np.count_nonzero(np.einsum("ij,ij->i", points, points) <= 1.0)
        if params["sleep_s"]:  # a stand-in for a heavy block, for tests of cancel and resume
            until = time.monotonic() + params["sleep_s"]
            while (left := until - time.monotonic()) > 0:
                checkpoint()  # as a long kernel would between its chunks
                time.sleep(min(left, 0.02))
        return {"inside": np.array([inside], dtype=np.int64),
                "samples": np.array([params["samples_per_block"]], dtype=np.int64)}

    def combine(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> dict[str, Any]:
        (e,) = self.estimates(params, partials)
        return {"pi": e.value, "low": e.low, "high": e.high, "samples": e.samples}

    def estimates(self, params: Mapping[str, Any], partials: Sequence[Partial]) -> list[Estimate]:
        # Integer sums: exact, so the result cannot depend on the order blocks finished in.
        inside = int(sum(int(p["inside"].sum()) for p in partials))
        samples = int(sum(int(p["samples"].sum()) for p in partials))
        share = inside / samples if samples else 0.0
        half = Z95 * 4.0 * math.sqrt(share * (1.0 - share) / samples) if samples else math.inf
        return [Estimate("pi", 4.0 * share, 4.0 * share - half, 4.0 * share + half, samples)]


PI = PiKernel()
