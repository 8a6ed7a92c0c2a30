"""The worker of an experiment: train the mini-GPT with one variant of a block.

The supervisor runs it for a job of kind "experiment", as it runs a check: the same
limits, the block compiled before torch is imported and installed in place of the
lesson's target (tutor/sandbox/block.py), then AdamW on the shipped corpus. Progress
goes to a file the tutor polls, so nothing the block prints can be taken for it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from pathlib import Path
from types import CodeType

import numpy

from tutor.core.experiment import (BATCH_SIZE, CHILD_OUTCOME, FILE_SIZE_MB, FIRST_GRADIENTS, GRADIENTS, LEARNING_RATE,
                                   LOSSES, PROGRESS, ChildOutcome)
from tutor.core.job import BLOCK_FILENAME, ExperimentJob
from tutor.sandbox.block import BlockInvalid, Target, compile_block
from tutor.sandbox.child import limit_resources


def train_in(job: ExperimentJob, scratch: Path) -> int:
    limit_resources(job.memory_mb)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_MB * 2**20, FILE_SIZE_MB * 2**20))  # a block printing forever
    outcome = experiment(job, scratch)
    partial = scratch / (CHILD_OUTCOME + ".part")
    partial.write_text(outcome.model_dump_json(), encoding="utf-8")
    os.replace(partial, scratch / CHILD_OUTCOME)
    return 0


def experiment(job: ExperimentJob, scratch: Path) -> ChildOutcome:
    try:
        code = compile_block(scratch / BLOCK_FILENAME) if job.replace_target else None
    except BlockInvalid as problem:
        return ChildOutcome(status="invalid", detail=f"line {problem.line}: {problem.detail}")

    import torch  # once the block compiles

    torch.set_num_threads(1)  # the tiny model gains nothing from threads
    trainer = Trainer(job, scratch)
    try:
        if code is not None:
            trainer.install(code)
        with torch.autograd.set_detect_anomaly(job.detect_anomaly):
            trainer.train()
    except BlockInvalid as problem:
        return ChildOutcome(status="invalid", detail=_invalid_detail(problem), parameters=trainer.parameters)
    except BaseException as error:  # the block's own SystemExit and KeyboardInterrupt are results too
        traceback.print_exception(error, file=sys.stderr)
        sys.stderr.flush()
        trainer.save()
        return ChildOutcome(status="raised", steps_done=len(trainer.losses), phase=trainer.phase,
                            exception=type(error).__name__, parameters=trainer.parameters)
    trainer.save()
    return ChildOutcome(status="finished", steps_done=len(trainer.losses), parameters=trainer.parameters)


def _invalid_detail(problem: BlockInvalid) -> str:
    if problem.reason in ("missing_target", "not_callable"):
        return f"the block must define `{problem.detail}`"
    return problem.detail


class Trainer:
    """AdamW on random windows of the corpus, as minigpt.train, one step at a time."""

    def __init__(self, job: ExperimentJob, scratch: Path) -> None:
        import dataclasses

        import torch

        from minigpt import data, model

        self.job = job
        self.scratch = scratch
        tokenizer, self.corpus = data.encode_corpus()
        config = dataclasses.replace(model.GPTConfig.tiny(tokenizer.vocab_size), n_layer=job.n_layer)
        self.model = model.build_model(config, seed=job.seed)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=LEARNING_RATE)
        self.generator = torch.Generator().manual_seed(job.seed)
        self.parameters = [name for name, _ in self.model.named_parameters()]
        self.losses: list[float] = []
        self.first_gradients: dict[str, numpy.ndarray] | None = None
        self.phase = "setup"

    def install(self, code: CodeType) -> None:
        """Put the learner's function in place of the target; BlockInvalid if it cannot be."""
        target = Target.resolve(self.job.target)
        self.phase = "define"
        target.install(target.learner_function(code))

    def train(self) -> None:
        from minigpt import data

        with (self.scratch / PROGRESS).open("a", encoding="utf-8") as progress:
            for step in range(self.job.steps):
                x, y = data.get_batch(self.corpus, BATCH_SIZE, self.model.config.block_size, self.generator)
                self.optimizer.zero_grad(set_to_none=True)
                self.phase = "forward"
                _, loss = self.model(x, y)
                self.phase = "backward"
                loss.backward()
                if step == 0:
                    self.first_gradients = self.gradients()
                self.phase = "step"
                self.optimizer.step()
                self.losses.append(loss.item())
                progress.write(f"{step + 1} {self.losses[-1]}\n")
                progress.flush()

    def gradients(self) -> dict[str, numpy.ndarray]:
        """Every gradient there is now; a backward that raised leaves those it got to."""
        return {name: p.grad.detach().numpy().copy() for name, p in self.model.named_parameters() if p.grad is not None}

    def save(self) -> None:
        (self.scratch / LOSSES).write_text(json.dumps(self.losses), encoding="utf-8")
        last = self.gradients()
        numpy.savez(self.scratch / GRADIENTS, **last)
        numpy.savez(self.scratch / FIRST_GRADIENTS, **(self.first_gradients if self.first_gradients is not None else last))

