"""The closing report: requests per phase, statuses, notes and every distinct failure."""

from __future__ import annotations

from fuzz_suite.run import Run


def summary(run: Run, elapsed: float) -> None:
    """Prints requests per phase, statuses, notes and every distinct failure."""
    if run.server_log.exists():
        errors = [line for line in run.server_log.read_text(errors="replace").splitlines() if " error " in line]
        if errors:
            run.note(f"the server logged {len(errors)} errors, e.g. {errors[0][:200]!r} (--keep keeps server.log)")
    print("\n== summary ==")
    for phase in ("setup", "seed", "schemathesis", "adversarial", "final"):
        print(f"  {phase:<13} {run.sent[phase]:>6} requests")
    print(f"  {'total':<13} {sum(run.sent.values()):>6} requests in {elapsed:.1f} s")
    histogram = ", ".join(f"{status}: {count}" for status, count in sorted(run.statuses.items()))
    print(f"  statuses: {histogram}")
    if run.notes:
        print("\n== notes (not failures) ==")
        for note in run.notes:
            print(f"  - {note}")
    if run.failures:
        print(f"\n== {len(run.failures)} distinct failures ==")
        for number, failure in enumerate(run.failures.values(), 1):
            print(f"\n[{number}] {failure.title} (x{failure.count})")
            if failure.variants:
                print(f"    seen with: {'; '.join(failure.variants)}")
            print(failure.example)
        print(f"\nFAILED: {len(run.failures)} distinct failures ({sum(f.count for f in run.failures.values())} in all)")
    else:
        print("\nOK: every check passed")
