"""Every check also runs its target at a second shape (3 sequences of 5 tokens, below the
block size of 8), so a fix right at the lesson's own shape only fails, and says where."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tutor.core.course import Course
from tutor.core.i18n import say
from tutor.core.results import RunResult, Status
from tutor.core.runner import run_block
from tutor.core.warm import RunnerSession

ATTENTION_HEAD = '''
def forward(self, x: Tensor) -> Tensor:
    B, T, C = x.size()
    q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
    q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
    k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
    v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
'''
ATTENTION_TAIL = '''
    att = F.softmax(att, dim=-1)
    y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
    return self.c_proj(y)
'''
RIGHT_AT_ONE_SHAPE = {
    # the mask at its full size: broadcasts only when T is the block size
    "missing-causal-mask": ATTENTION_HEAD + '    att = att.masked_fill(self.mask == 0, float("-inf"))' + ATTENTION_TAIL,
    # the block size written in: a mean over 8 positions, whatever T is
    "cross-entropy-unflattened": '''
def sequence_loss(logits: Tensor, targets: Tensor) -> Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1)) * logits.size(1) / 8
''',
    # the batch size written in
    "no-grad-forward": '''
def train_step(model: GPT, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor) -> float:
    optimizer.zero_grad()
    logits, _ = model(x)
    loss = torch.nn.functional.cross_entropy(logits.view(4 * 8, -1), y.view(4 * 8))
    loss.backward()
    optimizer.step()
    return loss.item()
''',
    # every sequence continued with the first one's token
    "generate-past-block-size": '''
def generate(self, idx: Tensor, max_new_tokens: int, generator: torch.Generator | None = None) -> Tensor:
    for _ in range(max_new_tokens):
        logits, _ = self(idx[:, -self.config.block_size:])
        probs = F.softmax(logits[:, -1, :], dim=-1)
        idx_next = torch.multinomial(probs[:1], 1, generator=generator).expand(idx.size(0), 1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
''',
}
# Every other lesson's own fix with its shape written in (right where T is the block size):
# the line of the fix, and that line as written for one shape.
FIX_WRITTEN_FOR_ONE_SHAPE = {
    "inplace-residual": ("h = h + self.attn(self.ln1(h))", "h = h + self.attn(self.ln1(h)).view(-1, 8, h.size(-1))"),
    "data-residual": ("h = h + self.attn(self.ln1(h))", "h = h + self.attn(self.ln1(h)).view(-1, 8, h.size(-1))"),
    "inplace-softmax": (".view(B, T, C)  # re-assemble", ".view(B, 8, C)  # re-assemble"),
    "view-after-transpose": (".view(B, T, C)  # re-assemble", ".view(B, 8, C)  # re-assemble"),
    "scores-without-transpose": (".view(B, T, C)  # re-assemble", ".view(B, 8, C)  # re-assemble"),
    "softmax-wrong-dim": (".view(B, T, C)  # re-assemble", ".view(B, 8, C)  # re-assemble"),
    "mask-overflow-half": (".view(B, T, C)  # re-assemble", ".view(B, 8, C)  # re-assemble"),
    "clip-before-unscale": ("model(x, y)", "model(x.view(-1, 8), y.view(-1, 8))"),
    "detach-embeddings": ("torch.arange(T, device=idx.device)", "torch.arange(8, device=idx.device)"),
    "float-token-ids": ("torch.zeros(batch_size, block_size, dtype", "torch.zeros(batch_size, 8, dtype"),
    "step-before-backward": ("model(x, y)", "model(x.view(-1, 8), y.view(-1, 8))"),
    "forgotten-zero-grad": ("model(x, y)", "model(x.view(-1, 8), y.view(-1, 8))"),
    "targets-not-shifted": ("len(data) - block_size", "len(data) - 8"),
    "functional-dropout-always-on": ("h = self.proj(F.gelu(self.fc(x)))", "h = self.proj(F.gelu(self.fc(x))).view(-1, 8, x.size(-1))"),
    "ctx-attribute-inplace": ("h = self.fc(x)  # (B, T, 4C)", "h = self.fc(x).view(-1, 8, 4 * x.size(-1))  # (B, T, 4C)"),
    "no-grad-inplace-scale": (".view(B, T, C)  # re-assemble", ".view(B, 8, C)  # re-assemble"),
    "broadcast-token-loss": ("targets.view(-1, 1).clamp(min=0)).squeeze(1)", "targets.view(32, 1).clamp(min=0)).squeeze(1)"),
    "clip-before-backward": ("model(x, y)", "model(x.view(-1, 8), y.view(-1, 8))"),
    "scheduler-before-step": ("model(x, y)", "model(x.view(-1, 8), y.view(-1, 8))"),
    "accumulation-undivided": ("model(xs, ys)", "model(xs.view(-1, 8), ys.view(-1, 8))"),
}
# Targets without a shape of their own: `sgd_step` walks the parameters, `train` takes its
# batches from its caller, and so do `train_with_validation` and `estimate_loss` (whose
# windows are the model's block size); `new_head_optimizer` builds a layer and an optimizer;
# a checkpoint's loaders take a whole model's tensors; the model's constructor sizes its
# tensors from the config alone.
SHAPELESS = {"minigpt.train:sgd_step", "minigpt.train:train", "minigpt.train:train_with_validation",
             "minigpt.train:estimate_loss", "minigpt.train:new_head_optimizer",
             "minigpt.checkpoint:load_weights", "minigpt.checkpoint:load_legacy_weights",
             "minigpt.checkpoint:load_model",
             "minigpt.model:GPT.__init__"}
# The same lessons' blocks written for any shape: they pass.
FOR_ANY_SHAPE = {
    "missing-causal-mask": ATTENTION_HEAD + '    att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))' + ATTENTION_TAIL,
    "cross-entropy-unflattened": '''
def sequence_loss(logits: Tensor, targets: Tensor) -> Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
''',
}


@pytest.fixture(scope="module")
def session() -> Iterator[RunnerSession]:
    with RunnerSession(optimizers=True) as warm:
        yield warm


def checked(course: Course, lesson_id: str, block: str, session: RunnerSession) -> RunResult:
    return run_block(course.get(lesson_id), block, session=session)


@pytest.mark.parametrize("lesson_id", sorted(RIGHT_AT_ONE_SHAPE))
def test_a_fix_right_at_the_lessons_shape_only_fails_and_names_the_other_shape(
        course: Course, lesson_id: str, session: RunnerSession) -> None:
    result = checked(course, lesson_id, RIGHT_AT_ONE_SHAPE[lesson_id], session)
    assert result.status is Status.FAILED, result.message
    assert "3 sequences of 5 tokens" in result.message
    assert result.wording is not None
    assert "3 secuencias de 5 tokens" in say(result.wording, "es")
    assert all(comparison.matches for comparison in result.gradients)  # its own shape was right


def test_every_lesson_with_a_shaped_target_has_a_fix_right_at_one_shape_only(course: Course) -> None:
    covered = set(RIGHT_AT_ONE_SHAPE) | set(FIX_WRITTEN_FOR_ONE_SHAPE)
    assert covered == {lesson.id for lesson in course.lessons if lesson.target not in SHAPELESS}


@pytest.mark.parametrize("lesson_id", sorted(FIX_WRITTEN_FOR_ONE_SHAPE))
def test_each_lessons_own_fix_written_for_one_shape_fails_at_the_other(
        course: Course, lesson_id: str, session: RunnerSession) -> None:
    line, for_one_shape = FIX_WRITTEN_FOR_ONE_SHAPE[lesson_id]
    fix = course.get(lesson_id).code.fix
    assert line in fix
    result = checked(course, lesson_id, fix.replace(line, for_one_shape), session)
    assert result.status is Status.FAILED, result.message
    assert "3 sequences of 5 tokens" in result.message
    assert all(comparison.matches for comparison in result.gradients)  # its own shape was right


@pytest.mark.parametrize("lesson_id", sorted(FOR_ANY_SHAPE))
def test_the_same_block_written_for_any_shape_passes(course: Course, lesson_id: str, session: RunnerSession) -> None:
    result = checked(course, lesson_id, FOR_ANY_SHAPE[lesson_id], session)
    assert result.status is Status.PASSED, result.message
