#!/usr/bin/env bash
# Short GPU smoke of MicroCoder-GRPO: a few `microcoder train` rollout rounds with bf16 compute on fp32
# master weights, LiveCodeBench evaluation during training (the repository's fixture, two lengths),
# a model snapshot, the training-curve plot and a 3-point temperature calibration, on whatever model
# is on the machine.
#
# The GPU machines cannot download anything, so the model is, in order: $MODEL (a local dir or a
# Hub id already in the cache), the first causal LM found in the local Hugging Face cache, or the
# tiny random model (then this checks the GPU code path, not learning). The dataset is written here
# (a dozen stdin problems with tests) so nothing outside the repo is needed.
#
#   bash scripts/gpu_smoke_train.sh                 # works in /tmp/gpu_smoke; key files also go to $OUT
#   MODEL=/models/Qwen3-1.7B STEPS=6 bash scripts/gpu_smoke_train.sh
#
# Packages missing on the machine (trl, datasets, ...) must be carried as wheels; the first check
# lists them. Exit status: non-zero when any stage fails; the summary lines say which.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
WORK=${WORK:-/tmp/gpu_smoke}
STEPS=${STEPS:-4}
MAX_TOKENS=${MAX_TOKENS:-512}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
rm -rf "$WORK" && mkdir -p "$WORK"
status=0

echo "== environment"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
"$PY" - <<'EOF' || exit 3
import importlib.metadata as md, importlib.util, sys
need = ["torch", "transformers", "trl", "accelerate", "datasets", "typer", "rich", "pyarrow", "matplotlib", "yaml", "numpy"]
missing = [m for m in need if importlib.util.find_spec(m) is None]
for name in ("torch", "transformers", "trl", "accelerate", "datasets"):
    try:
        print(f"{name} {md.version(name)}")
    except md.PackageNotFoundError:
        pass
import torch
print("cuda available:", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
if missing:
    sys.exit(f"missing packages: {', '.join(missing)} (carry them as wheels, see /work/.library/device/README.md)")
EOF

if [ -z "${MODEL:-}" ]; then
  MODEL=$("$PY" - <<'EOF'
import json, os, pathlib
roots = [os.environ.get("HF_HOME", ""), os.path.expanduser("~/.cache/huggingface"), "/models", "/root/models"]
found = []
for root in filter(None, roots):
    for cfg in pathlib.Path(root).glob("**/config.json"):
        try:
            arch = json.loads(cfg.read_text()).get("architectures") or []
        except (OSError, ValueError):
            continue
        if any(a.endswith("ForCausalLM") for a in arch) and any(cfg.parent.glob("*.safetensors")):
            found.append(str(cfg.parent))
found.sort(key=lambda p: ("qwen" not in p.lower(), p))
print(found[0] if found else "tiny-random")
EOF
)
fi
echo "== model: $MODEL"

echo "== dataset"
"$PY" - "$WORK/data" <<'EOF' || exit 3
import sys
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
from mccore.schema import Problem, TestCase, arrow_schema

def problem(i: int) -> Problem:
    k = i + 2
    return Problem(
        problem_id=f"smoke-{i}", source="gpu-smoke", title=f"Multiply by {k}",
        statement=f"Read one integer n from standard input and print n * {k}.\n\nInput: one line with n (|n| <= 10^9).\nOutput: one line with n * {k}.",
        tests=tuple(TestCase(f"{n}\n", f"{n * k}\n", is_public=j == 0) for j, n in enumerate((3, -7, 10**9))),
    )

out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
problems = [problem(i) for i in range(12)]
for split, rows in (("train", problems[:8]), ("test", problems[8:])):
    pq.write_table(pa.Table.from_pylist([p.to_row() for p in rows], schema=arrow_schema()), out / f"{split}-00000.parquet")
print(f"wrote {len(problems)} problems to {out}")
EOF

echo "== train ($STEPS rollout rounds: 4 prompts x 4 responses, 2 updates each)"
start=$(date +%s)
"$PY" cli.py train --model "$MODEL" --dataset "$WORK/data" --output "$WORK/run" --max-steps "$STEPS" \
  --num-generations 4 --max-completion-length "$MAX_TOKENS" --temperature-schedule "0.6@0,1.2@2" \
  --report-to none --no-resume --log-mask-decisions \
  --set rollout_prompts=4 --set updates_per_rollout=2 --set per_device_train_batch_size=8 \
  --set 'save_strategy="no"' --set snapshot_steps=2 --set lcb_eval_every=2 \
  --set lcb_eval_dataset=tests/fixtures/lcb --set lcb_eval_max_problems=6 \
  --set "lcb_eval_max_tokens=[$((MAX_TOKENS / 2)),$MAX_TOKENS]" 2>&1 | tee "$WORK/train.log"
train_rc=${PIPESTATUS[0]}
echo "train exit $train_rc after $(( $(date +%s) - start )) s"; [ "$train_rc" = 0 ] || status=1

echo "== plot"
"$PY" cli.py train plot "$WORK/run" || status=1

echo "== calibrate-temperature (3 points)"
"$PY" cli.py train calibrate-temperature --dataset "$WORK/data" --model "$MODEL" --output "$WORK/calibration" \
  --temperatures 0.6,1.2,1.8 --num-prompts 4 --num-generations 4 --max-tokens "$MAX_TOKENS"
cal_rc=$?  # 2 with "no temperature reaches diversity" is a valid outcome for a weak model; files are still written
[ -f "$WORK/calibration/calibration.json" ] || status=1

echo "== summary"
"$PY" - "$WORK" "$MODEL" "$train_rc" "$cal_rc" <<'EOF'
import json, sys
from pathlib import Path
work, model, train_rc, cal_rc = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
print(f"model={model} train_exit={train_rc} calibrate_exit={cal_rc}")
metrics = work / "run" / "metrics.jsonl"
if metrics.is_file():
    for line in metrics.read_text().splitlines():
        r = json.loads(line)
        keys = ("step", "optimizer_step", "reward_mean", "response_length_mean", "truncation_rate", "masked_fraction",
                "masked_of_eligible", "diversity", "temperature", "clip_high_fraction", "step_time_s", "reward_time_s")
        keys += tuple(k for k in r if k.startswith("eval_lcb_") and k.endswith("pass_at_1"))
        print(" ".join(f"{k}={r.get(k)}" for k in keys))
cal = work / "calibration" / "calibration.json"
if cal.is_file():
    c = json.loads(cal.read_text())
    print("calibration:", {p["temperature"]: round(p["diversity"], 3) for p in c["points"]}, "selected:", c["selected_temperature"])
for png in sorted(work.glob("**/*.png")):
    print("plot:", png)
EOF
if [ -n "${OUT:-}" ]; then  # the device tool returns at most 8 files, 2 folders down: copy the ones that matter
  for f in run/metrics.jsonl run/eval_lcb.jsonl run/training_curves.png calibration/calibration.json \
           calibration/calibration.png train.log; do
    [ -f "$WORK/$f" ] && cp "$WORK/$f" "$OUT/$(basename "$f")"
  done
fi
exit $status
