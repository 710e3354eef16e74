"""MicroCoder-GRPO: GRPO for code with conditional truncation masking, diversity-determined
temperature and no-KL high clipping, on TRL's GRPOTrainer.

Modules: `algo/` (engine-free masking, repetition, answer completeness, advantages, diversity,
schedules, DAPO pieces), `config` (MicroCoderGRPOConfig, counted in rollout rounds), `layout`
(rollout round -> processes, micro-batches, updates), `engine` (precision, saves, vLLM context,
grader size), `data` (problems -> prompts), `reward` and `reward_funcs` (the grader and the other
rewards), `rollout_batch` (dynamic sampling's batch surgery), `trainer` (MicroCoderGRPOTrainer),
`metrics` (RUN_DIR/metrics.jsonl), `lcb_eval` (LiveCodeBench during training), `progress`, `train`
(`run_training`, what `microcoder train` calls), `calibrate` and `plot` (its subcommands).
"""
