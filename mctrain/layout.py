"""How a rollout round maps onto processes, micro-batches and optimizer updates.

The paper (verl's vocabulary) configures a run by prompts per rollout (``train_batch_size``,
64), responses per prompt (G) and mini-batches per rollout (``train_batch_size /
ppo_mini_batch_size`` optimizer updates). TRL instead derives the rollout size from the
per-device batch, the process count and the accumulation steps, so the same TRL numbers mean
32 updates per rollout on one GPU and 2 on sixteen. `RolloutLayout` goes the other way: from
the paper's three numbers, the process count and the per-device micro-batch (a memory
choice), it derives TRL's gradient accumulation and steps per generation, or says exactly
why the layout cannot honour the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RolloutLayout:
    """R prompts x G responses per rollout, U optimizer updates per rollout, on W processes of micro-batch B."""

    prompts: int  # R
    generations: int  # G
    updates: int  # U
    processes: int  # W
    micro_batch: int  # B, per_device_train_batch_size

    def __post_init__(self) -> None:
        for name in ("prompts", "generations", "updates", "processes", "micro_batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"rollout layout: {name} must be >= 1, got {getattr(self, name)}")
        r, g, u, w, b = self.prompts, self.generations, self.updates, self.processes, self.micro_batch
        where = f"a rollout of {r} prompts x {g} responses = {r * g} responses"
        if (r * g) % u:
            raise ValueError(f"{where} does not split into updates_per_rollout={u} equal mini-batches")
        if (r * g // u) % w:
            raise ValueError(
                f"{where} in {u} mini-batches of {r * g // u} responses does not split over {w} processes; "
                f"choose rollout_prompts or updates_per_rollout so that {w} divides the mini-batch"
            )
        if (r * g // u // w) % b:
            raise ValueError(
                f"{where} gives each of {w} processes {r * g // u // w} responses per update, not a multiple of "
                f"per_device_train_batch_size={b}; pick a micro-batch that divides {r * g // u // w}"
            )

    @property
    def responses(self) -> int:
        return self.prompts * self.generations

    @property
    def gradient_accumulation_steps(self) -> int:
        """Micro-batches each process accumulates per optimizer update."""
        return self.responses // self.updates // self.processes // self.micro_batch

    @property
    def steps_per_generation(self) -> int:
        """TRL's micro-steps per rollout: U updates x gradient accumulation."""
        return self.updates * self.gradient_accumulation_steps

    def describe(self) -> str:
        return (
            f"{self.prompts} prompts x {self.generations} responses per rollout, {self.updates} optimizer updates "
            f"per rollout, on {self.processes} process(es) of micro-batch {self.micro_batch} "
            f"(gradient accumulation {self.gradient_accumulation_steps})"
        )
