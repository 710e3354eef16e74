"""MicroCoder-GRPO: GRPO for code with conditional truncation masking, diversity-determined
temperature and no-KL high clipping, on TRL's GRPOTrainer."""
