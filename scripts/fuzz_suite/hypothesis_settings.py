"""Hypothesis settings for the adversarial tests: derandomized, seeded, no shrinking."""

from __future__ import annotations

from collections.abc import Callable

import hypothesis
from hypothesis import HealthCheck, Phase, settings

from fuzz_suite.run import Run


def fuzz(run: Run, weight: float) -> Callable:
    """Hypothesis settings for a phase-4 test: derandomized, seeded, no shrinking (no test
    ever raises: failures are recorded and the run goes on)."""
    examples = max(3, int(run.args.examples * weight))

    def decorate(test: Callable) -> Callable:
        test = settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])(test)
        return hypothesis.seed(run.args.seed)(test)

    return decorate
