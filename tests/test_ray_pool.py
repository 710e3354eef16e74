"""Issue 15, section 2: the Ray backend on a real multi-node Ray cluster on this machine.

`ray.cluster_utils.Cluster` starts a head (no CPUs, as on a GPU trainer's head) and two worker
nodes with one CPU each, as separate raylets. The same batch graded by `RayGrader` and by the
in-process `Grader` gets the same verdicts; a node killed (SIGKILL) mid-batch costs only a re-run
of its unfinished samples: every sample still gets exactly one row, with the same verdicts, and
later batches run on the surviving and newly joined nodes.
"""

from __future__ import annotations

import time

import pytest
from service_harness import reference_and_mutant_items

import mceval
from mccore.schema import Problem, TestCase
from mceval.pool import open_grader
from mceval.types import GradeConfig

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

pytestmark = pytest.mark.slow  # three raylets start in ~15-20 s on the 2-core CI machine

STORE = 80 * 1024 * 1024  # object store per node: the batches are small
DOUBLE = Problem("double", "test", "", time_limit_s=2, tests=tuple(TestCase(f"{i}\n", f"{2 * i}\n") for i in range(4)))
BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.1: pass\nprint(2 * int(input()))"


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": STORE})
    for _ in range(2):
        cluster.add_node(num_cpus=1, object_store_memory=STORE)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def items(real_data):
    out = reference_and_mutant_items(real_data, problems=5, tests=5)
    for i in range(14):  # slow enough that a node is still busy when it is killed
        out.append((DOUBLE, BUSY if i % 2 == 0 else "print(2 * int(input()) + 1)"))
    return out


def _verdicts(results):
    return [(r.question_id, r.sample_index, r.verdict.value) for r in results]


def test_same_verdicts_as_in_process_and_a_node_killed_mid_batch(cluster, items):
    expected = _verdicts(mceval.grade(items, GradeConfig(workers=2)))
    with open_grader("ray", GradeConfig()) as grader:  # joins the cluster this process is connected to
        assert _verdicts(grader.grade(items)) == expected
        nodes = grader.nodes()
        assert len(nodes) == 2 and all(n["workers"] == 1 for n in nodes.values())

        seen: list = []
        future = grader.submit(items, on_result=seen.append)
        deadline = time.monotonic() + 120
        while len(seen) < 4 or not any(n["in_flight"] for n in grader.nodes().values()):
            assert time.monotonic() < deadline and not future.done(), "the batch ended before a node could be killed"
            time.sleep(0.02)
        victim_id = next(node_id for node_id, n in grader.nodes().items() if n["in_flight"])
        victim = next(node for node in cluster.list_all_nodes() if node.node_id == victim_id)
        cluster.remove_node(victim, allow_graceful=False)
        results = future.result(timeout=300)

        assert _verdicts(results) == expected  # in input order, same verdicts
        assert len({(r.question_id, r.sample_index) for r in results}) == len(items)  # each sample once
        assert grader.requeued >= 1 and victim_id not in grader.nodes()
        assert len(seen) == len(items)  # on_result once per sample, the re-run ones included

        cluster.add_node(num_cpus=1, object_store_memory=STORE)  # a node joining later is used
        cluster.wait_for_nodes()
        assert _verdicts(grader.grade(items[:6])) == expected[:6]
        assert len(grader.nodes()) == 2
