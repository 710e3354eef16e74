"""MicroCoder-GRPO: GRPO for code with conditional truncation masking, diversity-determined
temperature and no-KL high clipping, on TRL's GRPOTrainer.

Modules: `algo/` (engine-free masking, advantages, repetition, diversity, temperature),
`config` (MicroCoderGRPOConfig), `data` (problems -> prompts), `reward` (the grader as a TRL
reward), `trainer` (MicroCoderGRPOTrainer), `metrics` (RUN_DIR/metrics.jsonl), `heldout`
(periodic held-out pass@1), `train` (`run_training`, what `microcoder train` calls),
`calibrate` and `plot` (the `calibrate-temperature` and `plot` subcommands).
"""
