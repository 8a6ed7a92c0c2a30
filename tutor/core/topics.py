"""The course map's schema: the topics in learning order, each with what it teaches.

The map is one file in the lessons folder, `topics.toml`; a lesson names its topic by id.
Reading the file lives in `course.py`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from tutor.core.lessons import SLUG, Frozen, Text

TOPICS_FILE = "topics.toml"


class Topic(Frozen):
    id: str
    title: Text
    teaches: Text  # one line: what the topic teaches, shown under its title

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lowercase letters, digits and single dashes, e.g. 'autograd'")
        return value

    @field_validator("teaches")
    @classmethod
    def _one_line(cls, value: Text) -> Text:
        broken = [code for code, text in value.root.items() if "\n" in text.strip()]
        if broken:
            raise ValueError(f"one line: no line break ({', '.join(broken)})")
        return value


class CourseMap(Frozen):
    format_version: Literal[1]
    topics: list[Topic] = Field(min_length=1)  # in learning order

    @field_validator("topics")
    @classmethod
    def _each_once(cls, topics: list[Topic]) -> list[Topic]:
        seen: set[str] = set()
        for index, topic in enumerate(topics):
            if topic.id in seen:
                raise ValueError(f"topics[{index}]: {topic.id!r} is listed twice")
            seen.add(topic.id)
        return topics
