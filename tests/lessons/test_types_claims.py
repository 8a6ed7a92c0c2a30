"""What the types lessons (12 and 13) say about torch, run: dtypes, messages, the context limit."""

from __future__ import annotations

import pytest
import torch

from minigpt import data
from minigpt.model import GPTConfig, build_model
from tests.lessons.quoting import assert_symptom_quotes_torch
from tutor.core.course import Course
from tutor.core.lessons import Lesson
from tutor.core.results import DiagnosisKind, Status
from tutor.core.runner import RunLimits, run_block

TYPES_LESSONS = ["float-token-ids", "generate-past-block-size"]


def with_settings(lesson: Lesson, **settings: object) -> Lesson:
    check = lesson.check.model_copy(update={"settings": {**lesson.check.settings, **settings}})
    return lesson.model_copy(update={"check": check})


@pytest.mark.parametrize("lesson_id", TYPES_LESSONS)
def test_the_symptom_quotes_torchs_message_verbatim_in_both_languages(course: Course, lesson_id: str) -> None:
    assert_symptom_quotes_torch(course.get(lesson_id))


def test_an_untyped_buffer_is_float32_and_assignment_converts_silently() -> None:
    x = torch.zeros(4, 8)
    x[0] = torch.tensor([17, 3, 0, 58, 1, 2, 3, 4])  # int64 ids
    assert x.dtype == torch.float32 and x[0, 0].item() == 17.0
    assert torch.empty(4, 8).dtype == torch.ones(4, 8).dtype == torch.float32
    assert torch.tensor(2**24, dtype=torch.float32).long().item() == 2**24
    assert torch.tensor(2**24 + 1, dtype=torch.float32).long().item() != 2**24 + 1  # past 2**24 ids are lost


def test_the_embedding_takes_long_or_int_and_the_loss_long_or_byte(course: Course) -> None:
    lesson = course.get("float-token-ids")
    patient = RunLimits(timeout_s=120)  # a busy machine must not turn a slow run into a timeout here
    messages = [run_block(lesson, wrong.code, limits=patient).diagnosis for wrong in lesson.wrong_fixes]
    assert all(m is not None for m in messages)
    only_x, int32, byte = (m.message for m in messages)  # type: ignore[union-attr]
    assert only_x == "expected target dtype to be Long or Byte, but got Float"
    assert int32 == "expected target dtype to be Long or Byte, but got Int"  # got past the embedding
    assert "'indices' to have one of the following scalar types: Long, Int; but got torch.ByteTensor instead" in byte


def test_the_tables_the_lessons_name() -> None:
    tokenizer, corpus = data.encode_corpus()
    gpt = build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=0)
    assert tuple(gpt.tok_emb.weight.shape) == (59, 64)
    assert tuple(gpt.pos_emb.weight.shape) == (8, 64)
    assert 0 <= int(corpus.min()) and int(corpus.max()) <= 58


def test_the_broken_generate_raises_on_the_learners_self_call(course: Course) -> None:
    lesson = course.get("generate-past-block-size")
    result = run_block(lesson, lesson.code.starter)
    assert result.diagnosis is not None and result.diagnosis.line is not None
    assert lesson.code.starter.splitlines()[result.diagnosis.line - 1].strip() == "logits, _ = self(idx)"


@pytest.mark.parametrize(("new_tokens", "status"), [(8, Status.PASSED), (9, Status.FAILED)])
def test_feeding_the_whole_sequence_is_safe_up_to_block_size(course: Course, new_tokens: int, status: Status) -> None:
    lesson = with_settings(course.get("generate-past-block-size"), new_tokens=new_tokens)
    result = run_block(lesson, lesson.code.starter)
    assert result.status is status
    if status is Status.FAILED:
        assert result.diagnosis is not None and result.diagnosis.kind is DiagnosisKind.INDEX_ERROR


def test_cross_entropy_takes_long_or_byte_targets_and_the_embedding_refuses_byte() -> None:
    """Lesson 12's safe note: `torch.long` is the one type both the embedding and the loss take."""
    logits = torch.randn(6, 59)
    targets = torch.randint(0, 59, (6,))
    by_long = torch.nn.functional.cross_entropy(logits, targets)
    by_byte = torch.nn.functional.cross_entropy(logits, targets.to(torch.uint8))
    assert torch.equal(by_long, by_byte)
    with pytest.raises(RuntimeError, match="Long or Byte, but got Int"):
        torch.nn.functional.cross_entropy(logits, targets.int())
    table = torch.nn.Embedding(59, 4)
    table(targets.int())  # Int indices are fine for the embedding
    with pytest.raises(RuntimeError, match="Long, Int; but got torch.ByteTensor"):
        table(targets.to(torch.uint8))
