"""`calibrate_temperature`: a real sweep with the tiny random model through the hf backend on CPU."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mccore.schema import Problem, arrow_schema
from mccore.schema import TestCase as ProblemTest
from mctrain.algo.temperature import NoTemperatureReachesTarget
from mctrain.calibrate import CalibrationConfig, calibrate_temperature

G = 4


class CountingBackend:
    """The real hf backend, counting which temperatures it was asked to sample (to check resume)."""

    def __init__(self, backend):
        self.backend = backend
        self.temperatures: list[float] = []

    def iter_generate(self, prompts, sampling):
        self.temperatures.append(sampling.temperature)
        return self.backend.iter_generate(prompts, sampling)


@pytest.fixture(scope="module")
def hf_backend():
    from mcgen.backends import make_backend

    return make_backend("hf", model="tiny-random", device="cpu")


@pytest.fixture()
def dataset_dir(tmp_path):
    """A Parquet folder laid out like build-dataset output (train and test files)."""
    problems = [
        Problem(problem_id=f"p{i}", source="unit", statement=f"Add {i} to n.", tests=(ProblemTest("1\n", f"{i + 1}\n"),))
        for i in range(6)
    ]
    folder = tmp_path / "data"
    folder.mkdir()
    for name, part in (("train-00000.parquet", problems[:5]), ("test-00000.parquet", problems[5:])):
        pq.write_table(pa.Table.from_pylist([p.to_row() for p in part], schema=arrow_schema()), folder / name)
    return folder


def _cfg(dataset_dir, out, **kw):
    base = dict(dataset=str(dataset_dir), output_dir=str(out), num_prompts=3, num_generations=G, max_tokens=12)
    return CalibrationConfig(**{**base, **kw})


def test_calibration_prompts_come_from_the_named_split(dataset_dir, tmp_path, hf_backend):
    result = calibrate_temperature(
        _cfg(dataset_dir, tmp_path / "split", temperatures=(1.0,), dataset_split="test", target=0.5),
        backend=hf_backend,
        progress=False,
    )
    saved = json.loads(result.json_path.read_text())
    assert saved["settings"]["problem_ids"] == ["p5"]  # the test split holds only p5
    assert len(result.points[0].per_prompt_diversity) == 1


def test_sweep_picks_lowest_temperature_reaching_target_and_resumes(dataset_dir, tmp_path, hf_backend):
    out = tmp_path / "cal"
    backend = CountingBackend(hf_backend)
    result = calibrate_temperature(_cfg(dataset_dir, out, temperatures=(0.05, 1.2)), backend=backend, progress=False)
    # near-greedy sampling repeats one response G times -> distinct-4 = 1/G; T=1.2 gibberish is all distinct
    assert result.diversity_by_temperature == {0.05: 1 / G, 1.2: 1.0}
    assert result.selected_temperature == 1.2
    assert all(0 <= p.truncation_rate <= 1 and 0 < p.response_tokens_mean <= 12 for p in result.points)
    saved = json.loads(result.json_path.read_text())
    assert saved["selected_temperature"] == 1.2 and [p["temperature"] for p in saved["points"]] == [0.05, 1.2]
    assert result.plot_path.read_bytes().startswith(b"\x89PNG")

    # adding a candidate re-samples only that one; a lower target now picks it
    result = calibrate_temperature(
        _cfg(dataset_dir, out, temperatures=(0.05, 0.6, 1.2), target=0.5), backend=backend, progress=False
    )
    assert backend.temperatures == [0.05, 1.2, 0.6]
    assert result.selected_temperature == 0.6
    # other sampling settings start over
    cfg = _cfg(dataset_dir, out, temperatures=(0.05,), target=0.25, max_tokens=8)
    calibrate_temperature(cfg, backend=backend, progress=False)
    assert backend.temperatures[-1] == 0.05 and len(backend.temperatures) == 4


def test_no_temperature_reaching_target_still_writes_results(dataset_dir, tmp_path, hf_backend):
    out = tmp_path / "miss"
    with pytest.raises(NoTemperatureReachesTarget, match=r"highest was 0\.250 at T=0\.05.*sweep saved to"):
        calibrate_temperature(_cfg(dataset_dir, out, temperatures=(0.05,)), backend=hf_backend, progress=False)
    saved = json.loads((out / "calibration.json").read_text())
    assert saved["selected_temperature"] is None and saved["points"][0]["diversity"] == 0.25
    assert (out / "calibration.png").is_file()


def test_edit_distance_metric_and_own_backend(dataset_dir, tmp_path):
    """No backend passed: calibrate builds the hf backend itself from cfg.model."""
    result = calibrate_temperature(
        _cfg(dataset_dir, tmp_path / "ed", temperatures=(0.05, 1.5), metric="edit_distance", num_prompts=2),
        progress=False,
    )
    low, high = result.points
    assert low.diversity == 0.0  # identical programs
    assert 0.5 < high.diversity <= 1.0


def test_config_errors_are_reported_together():
    with pytest.raises(ValueError, match=r"target must be in \(0, 1\].*num_generations must be >= 2"):
        CalibrationConfig(target=0, num_generations=1)
    with pytest.raises(ValueError, match="needs a dataset"):
        calibrate_temperature(CalibrationConfig(), progress=False)


def test_cli_calibrate_temperature(dataset_dir, tmp_path):
    """`microcoder train calibrate-temperature` end to end (tiny model, hf backend), and its clear failure."""
    from typer.testing import CliRunner

    from cli import app

    args = ["train", "calibrate-temperature", "--dataset", str(dataset_dir), "--num-prompts", "2",
            "--num-generations", str(G), "--max-tokens", "8"]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "ok"), "--temperatures", "0.05,1.5"])
    assert result.exit_code == 0, result.output
    assert "selected temperature: 1.5" in result.output
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "miss"), "--temperatures", "0.05"])
    assert result.exit_code == 2
    assert "no temperature reaches diversity 0.7" in result.output
    assert json.loads((tmp_path / "miss" / "calibration.json").read_text())["selected_temperature"] is None


def test_default_sweep_size_follows_the_model(monkeypatch):
    """The paper-sized sweep (16 prompts x 8 x 4K tokens) would take ~25 minutes for the tiny model on CPU."""
    import mctrain.config as config_module

    tiny = CalibrationConfig(model="tiny-random")
    assert (tiny.num_prompts, tiny.num_generations, tiny.max_tokens) == (4, 4, 128)
    monkeypatch.setattr(config_module, "_has_accelerator", lambda: False)
    cpu = CalibrationConfig(model="Qwen/Qwen3-4B-Instruct-2507")
    assert (cpu.num_prompts, cpu.max_tokens) == (4, 128)
    monkeypatch.setattr(config_module, "_has_accelerator", lambda: True)
    gpu = CalibrationConfig(model="Qwen/Qwen3-4B-Instruct-2507", backend="vllm")
    assert (gpu.num_prompts, gpu.num_generations, gpu.max_tokens) == (16, 8, 4096)
    explicit = CalibrationConfig(model="tiny-random", num_prompts=2, max_tokens=16)  # an explicit size wins
    assert (explicit.num_prompts, explicit.num_generations, explicit.max_tokens) == (2, 4, 16)
