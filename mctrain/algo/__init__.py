"""MicroCoder-GRPO algorithm pieces as engine-free functions (no TRL imports), reusable by any trainer."""
