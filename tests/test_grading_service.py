"""Issue 15, section 1: the grading service on a real loopback HTTP server.

The `sandbox-fusion` PyPI client and a verl-shaped payload against `/run_code`; the native batch
`/grade` (rows equal to the in-process grader's, through `RemoteGrader` too); the bearer token,
request-size, queue and timeout limits; metrics; and a graceful shutdown of the real CLI process
that still answers the request in flight.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from service_harness import LiveService, free_port, gauge, get, post, reference_and_mutant_items

import mceval
from mccore.schema import Problem, TestCase
from mceval.batch_format import encode_batch, sample_row
from mceval.pool import open_grader
from mceval.service.settings import ServiceSettings
from mceval.types import GradeConfig

sandbox_fusion = pytest.importorskip("sandbox_fusion")

DOUBLE = Problem("double", "test", "", time_limit_s=2, tests=tuple(TestCase(f"{i}\n", f"{2 * i}\n") for i in range(4)))
BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\nprint(2 * int(input()))"
MICROCODER = str(Path(sys.executable).parent / "microcoder")


@pytest.fixture(scope="module")
def service():
    live = LiveService(ServiceSettings(port=free_port(), config=GradeConfig(workers=2)))
    yield live
    live.stop()


def _small_service(**options) -> LiveService:
    return LiveService(ServiceSettings(port=free_port(), config=GradeConfig(workers=1), **options))


# ------------------------------------------------------------------ SandboxFusion compatibility
def test_sandbox_fusion_client_runs_code(service):
    run = lambda **kw: sandbox_fusion.run_code(sandbox_fusion.RunCodeRequest(language="python", **kw),  # noqa: E731
                                               endpoint=service.url, max_attempts=1)
    ok = run(code="import sys\nprint(int(input()) * 2)\nprint('note', file=sys.stderr)", stdin="21\n")
    assert ok.status == sandbox_fusion.RunStatus.Success
    assert ok.run_result.status == sandbox_fusion.CommandRunStatus.Finished
    assert (ok.run_result.return_code, ok.run_result.stdout) == (0, "42\n")
    assert ok.run_result.execution_time is not None and ok.compile_result is None

    failed = run(code="import sys\nprint('partial')\nsys.exit(3)")
    assert failed.status == sandbox_fusion.RunStatus.Failed
    assert (failed.run_result.return_code, failed.run_result.stdout) == (3, "partial\n")
    assert sandbox_fusion.summary_run_code_result(failed, sandbox_fusion.SummaryMapping()) == "Failed"

    slow = run(code="while True: pass", run_timeout=0.5)
    assert slow.status == sandbox_fusion.RunStatus.Failed
    assert slow.run_result.status == sandbox_fusion.CommandRunStatus.TimeLimitExceeded

    broken = run(code="def f(:\n    pass")
    assert broken.status == sandbox_fusion.RunStatus.Failed and broken.run_result.return_code == 1
    assert "SyntaxError" in broken.run_result.stderr


def test_other_languages_get_sandbox_fusions_error_form(service):
    with pytest.raises(Exception, match="language 'cpp' is not supported"):
        sandbox_fusion.run_code(sandbox_fusion.RunCodeRequest(code="int main(){}", language="cpp"),
                                endpoint=service.url, max_attempts=1)
    status, _, body = post(service.url + "/run_code", {"code": "print(1)", "language": "python",
                                                       "files": {"data.txt": "aGk="}})
    assert status == 200 and body["status"] == "SandboxError" and "files" in body["message"]
    assert body["run_result"] is None


def test_verl_shaped_payload(service):
    """The exact JSON verl's SandboxFusion reward posts (with memory_limit_MB), judged as verl does."""
    payload = {"compile_timeout": 10, "run_timeout": 10, "code": "a, b = map(int, input().split())\nprint(a + b)",
               "stdin": "2 3\n", "memory_limit_MB": 256, "language": "python", "files": {}, "fetch_files": []}
    status, _, body = post(service.url + "/run_code", payload)
    assert status == 200 and body["status"] == "Success"
    assert body["run_result"]["status"] == "Finished" and body["run_result"]["stdout"].rstrip("\n") == "5"
    hog = {**payload, "code": "x = bytearray(600 * 1024 * 1024)\nprint(len(x))", "memory_limit_MB": 256}
    status, _, body = post(service.url + "/run_code", hog)
    assert status == 200 and body["status"] == "Failed" and body["run_result"]["return_code"] != 0


# ------------------------------------------------------------------ the native batch endpoint
@pytest.fixture(scope="module")
def leetcode_items(real_data):
    items = reference_and_mutant_items(real_data, problems=6, tests=6)
    return items + [(DOUBLE, "print(2 * int(input()))"), (DOUBLE, "print(0)"), (DOUBLE, None)]


def test_batch_rows_equal_the_in_process_graders(service, leetcode_items):
    local = mceval.grade(leetcode_items, GradeConfig(workers=2))
    status, _, body = post(service.url + "/grade", encode_batch(leetcode_items, GradeConfig()))
    assert status == 200
    expected = [sample_row(p, i, r) for i, ((p, _), r) in enumerate(zip(leetcode_items, local))]
    strip = lambda rows: [{**r, "tests": [(t["index"], t["verdict"]) for t in r["tests"]]} for r in rows]  # noqa: E731
    assert strip(body["rows"]) == strip(expected)
    assert [r["verdict"] for r in body["rows"]][-3:] == ["AC", "WA", "NO_CODE"]
    assert {r["verdict"] for r in body["rows"][:-3]} == {"AC", "WA"}


def test_remote_grader_through_a_url(service, leetcode_items):
    with open_grader(service.url, GradeConfig()) as grader:
        seen = []
        results = grader.submit(leetcode_items, on_result=seen.append).result(timeout=120)
    local = mceval.grade(leetcode_items, GradeConfig(workers=2))
    assert [(r.question_id, r.sample_index, r.verdict) for r in results] == \
        [(r.question_id, r.sample_index, r.verdict) for r in local]
    assert len(seen) == len(leetcode_items)


def test_request_options_and_raw_responses(service):
    half = "x = int(input())\nprint(2 * x if x % 2 == 0 else -1)"
    body = {"problems": [DOUBLE.to_row()], "extract": "robust", "config": {"early_exit": False},
            "samples": [{"problem_id": "double", "response": f"Here:\n```python\n{half}\n```", "sample_index": 5}]}
    status, _, answer = post(service.url + "/grade", body)
    assert status == 200
    (row,) = answer["rows"]
    assert (row["sample_index"], row["verdict"], row["num_passed"], len(row["tests"])) == (5, "WA", 2, 4)


@pytest.mark.parametrize("body, message", [
    ({"problems": [], "samples": [{"problem": 0}]}, "'problems' must be a non-empty list"),
    ({"problems": [{"problem_id": "x", "tests": []}], "samples": [{"problem": 0, "code": "1"}]}, "has no tests"),
    ({"problems": [DOUBLE.to_row()], "samples": [{"problem": 3, "code": "1"}]}, "samples[0].problem must index"),
    ({"problems": [DOUBLE.to_row()], "samples": [{"problem": 0}], "config": {"workers": 64}}, "unknown option"),
    ({"problems": [DOUBLE.to_row()], "samples": [{"problem": 0}], "config": {"timeout_s": -1}}, "positive number"),
])
def test_bad_batches_get_one_line(service, body, message):
    status, _, answer = post(service.url + "/grade", body)
    assert status == 400 and message in answer["detail"] and "\n" not in answer["detail"]


def test_metrics_and_health(service):
    post(service.url + "/grade", encode_batch([(DOUBLE, "print(2 * int(input()))")], GradeConfig()))
    status, text = get(service.url + "/metrics")
    assert status == 200
    assert gauge(text, "in_flight_samples") == 0 and gauge(text, "workers") == 2
    assert gauge(text, "sandbox_restarts") == 0
    assert 'mceval_samples_total{verdict="AC"}' in text and 'endpoint="/grade",status="200"' in text
    status, health = get(service.url + "/health")
    data = json.loads(health)
    assert status == 200 and data["status"] == "ok" and data["verdicts"]["AC"] >= 1


# ------------------------------------------------------------------ hardening
def test_bearer_token():
    live = _small_service(token="s3cret")
    try:
        payload = {"code": "print(7)", "language": "python"}
        assert post(live.url + "/run_code", payload)[0] == 401
        assert post(live.url + "/run_code", payload, headers={"Authorization": "Bearer wrong"})[0] == 401
        status, _, body = post(live.url + "/run_code", payload, headers={"Authorization": "Bearer s3cret"})
        assert status == 200 and body["run_result"]["stdout"] == "7\n"
        status, _, body = post(live.url + "/token/s3cret/run_code", payload)  # for clients without headers
        assert status == 200 and body["status"] == "Success"
        assert post(live.url + "/token/nope/run_code", payload)[0] == 401
        assert get(live.url + "/metrics")[0] == 401 and get(live.url + "/health")[0] == 200
    finally:
        live.stop()


def test_request_size_limit():
    live = _small_service(max_request_mb=0.01)  # 10 KiB
    try:
        big = {"code": "print(1)" + " " * 20_000, "language": "python"}
        status, _, body = post(live.url + "/run_code", big)
        assert status == 413 and "exceeds the limit" in body["detail"]
        connection = http.client.HTTPConnection("127.0.0.1", live.settings.port, timeout=30)
        connection.putrequest("POST", "/grade")  # chunked: no Content-Length to refuse it early
        connection.putheader("Transfer-Encoding", "chunked")
        connection.putheader("Content-Type", "application/json")
        connection.endheaders()
        for _ in range(4):
            chunk = b"x" * 4096
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
        assert connection.getresponse().status == 413
        assert post(live.url + "/run_code", {"code": "print(1)", "language": "python"})[0] == 200
    finally:
        live.stop()


def test_bounded_queue_answers_429_with_retry_after():
    live = _small_service(max_queue=2)
    try:
        slow = encode_batch([(DOUBLE, BUSY.format(s=0.4))] * 2, GradeConfig())
        first: list = []
        thread = threading.Thread(target=lambda: first.append(post(live.url + "/grade", slow)))
        thread.start()
        deadline = time.monotonic() + 30
        while live.app.state.service.admission.in_flight < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        status, headers, body = post(live.url + "/grade", encode_batch([(DOUBLE, "print(0)")], GradeConfig()))
        assert status == 429 and int(headers["retry-after"]) >= 1 and "server busy" in body["detail"]
        status, _, body = post(live.url + "/grade", encode_batch([(DOUBLE, "print(0)")] * 3, GradeConfig()))
        assert status == 413 and "split it" in body["detail"]
        thread.join(timeout=120)
        assert first[0][0] == 200 and [r["verdict"] for r in first[0][2]["rows"]] == ["AC", "AC"]
        assert live.app.state.service.admission.in_flight == 0
    finally:
        live.stop()


def test_request_timeout_is_504():
    live = _small_service(request_timeout_s=0.3)
    try:
        status, _, body = post(live.url + "/grade", encode_batch([(DOUBLE, BUSY.format(s=0.3))], GradeConfig()))
        assert status == 504 and "--request-timeout" in body["detail"]
    finally:
        live.stop()


def test_graceful_shutdown_finishes_the_request_in_flight():
    """SIGTERM to the real `microcoder eval serve` process while a batch runs: the batch is still
    answered in full, then the process exits 0 and the port is closed."""
    port = free_port()
    server = subprocess.Popen([MICROCODER, "eval", "serve", "--port", str(port), "--workers", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while get_or_none(url + "/health") is None:
            assert server.poll() is None and time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)
        answer: list = []
        batch = encode_batch([(DOUBLE, BUSY.format(s=0.3))] * 3, GradeConfig())
        thread = threading.Thread(target=lambda: answer.append(post(url + "/grade", batch)))
        thread.start()
        while gauge(get(url + "/metrics")[1], "in_flight_samples") < 3:
            time.sleep(0.02)
        server.send_signal(signal.SIGTERM)
        thread.join(timeout=120)
        assert server.wait(timeout=60) == 0
        status, _, body = answer[0]
        assert status == 200 and [r["verdict"] for r in body["rows"]] == ["AC"] * 3
        assert get_or_none(url + "/health") is None
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
        server.wait()


def get_or_none(url: str):
    try:
        return get(url)
    except OSError:
        return None


# ------------------------------------------------------------------ dataset verification on a remote grader
def test_build_dataset_verification_through_the_service(service, real_data):
    from mcdata.collect import CollectConfig, SourceSpec, collect
    from mcdata.report import BuildReport
    from mcdata.verify import VerifyConfig, verify_problems

    spec = SourceSpec("apps", str(real_data / "apps-coderl-sample" / "apps_train_sample.jsonl"))
    problems = list(collect([spec], CollectConfig(), BuildReport(strict=True)))[:4]
    stats = lambda kept: {p.problem_id: (p.stats["verify_status"], p.stats["verify_ref_verdicts"], len(p.tests))  # noqa: E731
                          for p in kept}
    remote = stats(verify_problems(problems, VerifyConfig(min_tests=1, grader=service.url), BuildReport()))
    local = stats(verify_problems(problems, VerifyConfig(min_tests=1, workers=2), BuildReport()))
    assert remote == local and len(remote) >= 2
