"""Phase 3: every operation of docs/openapi.yaml through schemathesis, with the write and
the read token; each of its checks, and ours, counts."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from fuzz_suite.checks import error_body_problem
from fuzz_suite.run import Run, redact
from fuzz_suite.spec import OPENAPI


def phase_schemathesis(run: Run) -> None:
    """Every operation of docs/openapi.yaml through schemathesis, with the write token
    and with the read token; every schemathesis check failure is a failure."""
    from schemathesis.generation import GenerationMode
    from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
    from schemathesis.generation.overrides import Override

    run.phase = "schemathesis"
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: run.count_request())
    # The write pass runs every phase (examples, coverage, fuzzing); the read pass fuzzes.
    everything = [HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]
    for token_name, examples, modes in (("ayse-write", run.args.examples, everything),
                                        ("ayse-read", max(5, run.args.examples // 2), [HypothesisTestMode.FUZZING])):
        config = schemathesis.Config.from_dict({
            "auth": {"openapi": {"bearer": {"bearer": run.tokens[token_name]}}},
            # 413 too_large is how docs/openapi.yaml itself refuses over-long batches.
            "checks": {"negative_data_rejection": {"expected-statuses": [
                "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]},
                       # Schema-valid is not always valid: OpenAPI 3.0 cannot state a change's
                       # cross-field rules (its clock holds its own dot, `replaces` is inside the
                       # clock, the entity id matches the kind, seqs follow each other), which
                       # the server checks and refuses with 422 (docs/protocol.md). 5xx stays a
                       # failure through the not_a_server_error check.
                       "positive_data_acceptance": {"expected-statuses": [
                           "2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]}},
        })
        schema = schemathesis.openapi.from_path(str(OPENAPI), config=config)
        schema.config.update(base_url=run.base, request_timeout=30)
        schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                        with_security_parameters=False)
        for result in schema.get_all_operations():
            operation = result.ok()
            override = Override(path_parameters={"corpus": "news"}) if "{corpus}" in operation.path else Override()

            call = schemathesis_caller(run, session, operation.label, token_name)
            hypothesis_settings = settings(
                max_examples=examples, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            test = create_test(operation=operation, test_func=call, config=HypothesisTestConfig(
                project=schema.config,
                modes=modes, settings=hypothesis_settings, explicit_settings=hypothesis_settings, override=override))
            test = hypothesis.seed(run.args.seed)(test)
            start, before = time.monotonic(), run.sent["schemathesis"]
            try:
                test()
            except hypothesis.errors.Unsatisfiable:
                pass  # negative data for an operation without parameters: nothing to negate
            run.ensure_server(f"schemathesis {operation.label}")
            if run.args.verbose:
                print(f"  {token_name} {operation.label}: {run.sent['schemathesis'] - before} requests, "
                      f"{time.monotonic() - start:.1f} s", flush=True)
    session.close()


def schemathesis_caller(run: Run, session: requests.Session, label: str, token_name: str) -> Callable:
    """The body of a schemathesis test: send the case, apply our checks and every
    schemathesis check, record what fails (never raise, so every example runs)."""

    def call(case) -> None:
        clamp_wait(case)
        try:
            response = case.call(base_url=run.base, session=session, timeout=30)
        except requests.RequestException as error:
            run.count_status("none")
            run.fail(("schemathesis", token_name, label, "no answer"), "schemathesis: no answer",
                     f"    request: {redact(run, case.as_curl_command(base_url=run.base))[:1500]}\n"
                     f"    problem: {error!r}")
            run.ensure_server(f"schemathesis {label}")
            return
        run.count_status(response.status_code)
        check_schemathesis_response(run, token_name, label, case, response)
        note_schemathesis_push(run, case, response, token_name)
        try:
            case.validate_response(response, transport_kwargs={"base_url": run.base, "session": session})
        except (Exception, BaseExceptionGroup) as failure:  # FailureGroup is a BaseExceptionGroup
            record_schemathesis_failure(run, token_name, label, case, response, failure)

    return call


def clamp_wait(case) -> None:
    """Long polls (wait=S with nothing new) hold an answer for S seconds: valid waits are
    cut to 1 s so the phase stays short. Long polling itself is tested in phase 4."""
    query = case.query
    if isinstance(query, dict) and isinstance(query.get("wait"), int) and not isinstance(query["wait"], bool) \
            and 1 < query["wait"] <= 60:
        query["wait"] = 1


def check_schemathesis_response(run: Run, token_name: str, label: str, case, response) -> None:
    """Our own checks on a schemathesis answer: < 500, 4xx bodies are error objects."""
    problems = []
    if response.status_code >= 500:
        problems.append(f"server error: {response.status_code}")
    if 400 <= response.status_code < 500 and case.method.upper() != "HEAD":
        problem = error_body_problem(response.content, "")
        if problem:
            problems.append(problem)
    for problem in problems:
        category = problem.split(":")[0]
        run.fail(("schemathesis", category, response.status_code), f"schemathesis: {category} [{response.status_code}]",
                 f"    request: {redact(run, case.as_curl_command(base_url=run.base))[:1500]}\n    problem: {problem}\n"
                 f"    answer: {response.status_code} {response.content[:400]!r}", f"{case.method.upper()} {case.path}")


def note_schemathesis_push(run: Run, case, response, token_name: str) -> None:
    """A push schemathesis got acknowledged must be stored too: remember its dots."""
    if case.method.upper() != "POST" or response.status_code != 200 or not isinstance(case.body, dict):
        return
    try:
        if response.json().get("stored", 0) == 0:
            return
    except ValueError:
        return
    for change in case.body.get("changes") or []:
        if isinstance(change, dict) and isinstance(change.get("replica"), str) and type(change.get("seq")) is int:
            run.acked.setdefault((change["replica"], change["seq"]), None)


def record_schemathesis_failure(run: Run, token_name: str, label: str, case, response, failure: BaseException) -> None:
    """One failure per (operation, schemathesis check, status)."""
    message = redact(run, str(failure))
    titles = sorted({line[2:].strip() for line in message.splitlines() if line.startswith("- ")}) \
        or [type(failure).__name__]
    for title in titles:
        key = ("schemathesis", label, title, response.status_code)
        reason = response.content[:200].decode("utf-8", "replace")
        try:
            error = json.loads(response.content)["error"]
            reason = f"{error['code']}: {error['message']}"
        except Exception:
            pass
        # One variant per kind of reason: ids and numbers left out.
        reason = re.sub(r"\b[0-9A-Za-z]{26}\b(:\d+)?|\d+", "…", reason)[:140]
        run.fail(key, f"schemathesis {label}: {title} [{response.status_code}]",
                 f"    token: {token_name}\n" + "\n".join("    " + line for line in message.strip().splitlines()[:40]),
                 reason)
