"""`RayGrader`: the `Grader` API over a Ray cluster, one grader actor per node.

Why: a dataset job verifying hundreds of thousands of problems, or a trainer on several nodes,
needs more cores than one machine has. Each node with CPUs gets one actor holding a local
`mceval.Grader` sized to that node (its Ray CPU count, at most its physical cores; or
`GradeConfig.workers` per node). A batch is cut into chunks of one node's worker count; each node
keeps `in_flight_per_node` chunks queued, and the next chunk goes to the node with the least work
per worker, so a fast or idle node takes more (balanced by load). Results are placed by position: in input order, each filled
once. When a node dies mid-batch, only the chunks it had not returned are sent to the other
nodes; nothing is lost and no sample is counted twice. Nodes that join later get an actor at the
next batch.

Install the package on every node (the actors import `mceval`); a trainer already inside Ray
(verl) shares its connection.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

import ray
from ray.exceptions import ActorUnavailableError, ObjectLostError, RayActorError, RayTaskError, WorkerCrashedError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from mceval.grader import GradeItem, Grader, ItemLike, _normalise
from mceval.pool import FutureGrader, sandbox_restarts
from mceval.types import GradeConfig, SampleResult
from mceval.workers import default_workers

_log = logging.getLogger("mceval.ray_pool")
NODE_LOST = (RayActorError, ActorUnavailableError, WorkerCrashedError, ObjectLostError)


class RayGraderError(RuntimeError):
    """No node can grade (none alive with CPUs), in one line."""


@ray.remote(num_cpus=0, max_concurrency=64)
class _NodeGrader:
    """One node's grader; threaded, so several chunks queue inside its `Grader` at once."""

    def __init__(self, config: GradeConfig, cap_to_cores: bool) -> None:
        if cap_to_cores:  # one sandbox per physical core of THIS node at most (mceval.workers)
            config = replace(config, workers=min(config.workers or 1, default_workers()))
        self.grader = Grader(config)

    def grade(self, items: list[GradeItem]) -> list[SampleResult]:
        return self.grader.submit(items).result()

    def restarts(self) -> int:
        return sandbox_restarts(self.grader)

    def close(self) -> None:
        self.grader.close()


@dataclass
class _Node:
    node_id: str
    actor: Any
    workers: int
    in_flight: int = 0  # samples sent and not yet returned


class RayGrader(FutureGrader):
    """Grades on every Ray node with CPUs (see the module docstring).

    Args:
        config: grading options; `workers` is per node (None: the node's Ray CPU count / `share`,
            at most its physical cores).
        address: passed to `ray.init` when this process has not joined a cluster yet
            (None: RAY_ADDRESS or a local cluster; "auto"; "ray://HOST:PORT").
        share: RayGraders of one job grading on the cluster at once (a trainer's processes).
        in_flight_per_node: chunks queued per node, so a node never idles between round trips.
    """

    def __init__(self, config: GradeConfig = GradeConfig(), *, address: str | None = None, share: int = 1,
                 in_flight_per_node: int = 2) -> None:
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            ray.init(address=address, log_to_driver=False)
        self.config = config
        self.share = max(1, share)
        self.in_flight_per_node = max(1, in_flight_per_node)
        self._nodes: dict[str, _Node] = {}
        self._lost: set[str] = set()  # nodes whose actor died: never used again by this grader
        self._lock = threading.Lock()
        self.requeued = 0  # samples re-sent because their node died (a test and the load bench read it)
        self._closed = False

    # ---- nodes
    def _refresh_nodes(self) -> None:
        """An actor on every live node with CPUs that has none yet."""
        for info in ray.nodes():
            node_id, cpus = info["NodeID"], int(info.get("Resources", {}).get("CPU", 0))
            if not info.get("Alive") or cpus < 1 or node_id in self._lost:
                continue
            with self._lock:
                if node_id in self._nodes:
                    continue
                workers = self.config.workers or max(1, cpus // self.share)
                actor = _NodeGrader.options(
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)
                ).remote(replace(self.config, workers=workers), self.config.workers is None)
                self._nodes[node_id] = _Node(node_id, actor, workers)

    def _drop(self, node: _Node, exc: BaseException) -> None:
        with self._lock:
            if self._nodes.pop(node.node_id, None) is None:
                return
            self._lost.add(node.node_id)
        _log.warning("Ray node %s lost (%s); its unfinished samples go to the other nodes",
                     node.node_id[:12], type(exc).__name__)
        try:
            ray.kill(node.actor)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def _least_loaded(self, need_room: bool) -> _Node | None:
        """The node with the least work per worker; with `need_room`, only one with room for a chunk
        (a batch with nothing in flight takes the least loaded anyway: concurrent batches all move)."""
        with self._lock:
            nodes = [n for n in self._nodes.values()
                     if not need_room or n.in_flight < self.in_flight_per_node * n.workers]
            return min(nodes, key=lambda n: n.in_flight / n.workers, default=None)

    # ---- a batch
    def submit(self, items: Sequence[ItemLike], on_result: Callable[[SampleResult], None] | None = None
               ) -> Future[list[SampleResult]]:
        """Grade `items` on the cluster in the background; the Future holds results in input order."""
        if self._closed:
            raise RuntimeError("RayGrader is closed")
        normalised = _normalise(items)
        future: Future[list[SampleResult]] = Future()
        thread = threading.Thread(target=self._run, args=(normalised, future, on_result),
                                  name="mceval-ray-batch", daemon=True)
        thread.start()
        return future

    def _run(self, items: list[GradeItem], future: Future, on_result: Callable | None) -> None:
        try:
            future.set_result(self._dispatch(items, on_result))
        except BaseException as exc:  # noqa: BLE001 - delivered through the Future
            future.set_exception(exc)

    def _dispatch(self, items: list[GradeItem], on_result: Callable | None) -> list[SampleResult]:
        results: list[SampleResult | None] = [None] * len(items)
        pending: deque[int] = deque(range(len(items)))
        in_flight: dict[Any, tuple[_Node, list[int]]] = {}
        self._refresh_nodes()
        while pending or in_flight:
            while pending and (node := self._least_loaded(need_room=bool(in_flight))) is not None:
                chunk = [pending.popleft() for _ in range(min(node.workers, len(pending)))]
                ref = node.actor.grade.remote([items[i] for i in chunk])
                with self._lock:
                    node.in_flight += len(chunk)
                in_flight[ref] = (node, chunk)
            if not in_flight:
                raise RayGraderError("no Ray node with CPUs is alive to grade "
                                     f"({len(self._lost)} lost); {len(pending)} samples ungraded")
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0)
            for ref in ready:
                node, chunk = in_flight.pop(ref)
                with self._lock:
                    node.in_flight -= len(chunk)
                try:
                    graded = ray.get(ref)
                except NODE_LOST as exc:
                    self._drop(node, exc)
                    pending.extendleft(reversed(chunk))
                    with self._lock:
                        self.requeued += len(chunk)
                    self._refresh_nodes()
                    continue
                except RayTaskError as exc:  # the grader itself failed there (e.g. no sandbox)
                    raise exc.as_instanceof_cause() from None
                for pos, result in zip(chunk, graded):
                    if results[pos] is None:
                        results[pos] = result
                        if on_result is not None:
                            on_result(result)
        return results  # type: ignore[return-value]

    # ---- status and shutdown
    def nodes(self) -> dict[str, dict[str, int]]:
        """{node id: {workers, in_flight}} of the nodes in use (for metrics and tests)."""
        with self._lock:
            return {n.node_id: {"workers": n.workers, "in_flight": n.in_flight} for n in self._nodes.values()}

    def sandbox_restarts(self) -> int:
        """Sandbox restarts summed over the live nodes."""
        with self._lock:
            actors = [n.actor for n in self._nodes.values()]
        return sum(ray.get([a.restarts.remote() for a in actors], timeout=30)) if actors else 0

    def close(self) -> None:
        """Close every node's grader, then leave Ray if this grader joined it."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            nodes, self._nodes = list(self._nodes.values()), {}
        for node in nodes:
            try:
                ray.get(node.actor.close.remote(), timeout=60)
                ray.kill(node.actor)
            except Exception as exc:  # noqa: BLE001 - a node already gone
                _log.info("closing the grader on node %s: %s", node.node_id[:12], exc)
        if self._owns_ray:
            ray.shutdown()
