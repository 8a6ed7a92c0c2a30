"""The learner's place in the course: how much of each topic is solved, and the lesson to take next."""

from __future__ import annotations

from dataclasses import dataclass

from tutor.core.course import Course
from tutor.core.lessons import Lesson
from tutor.core.progress import LearnerSave, LessonState
from tutor.core.topics import Topic


@dataclass(frozen=True)
class TopicPlace:
    topic: Topic
    lessons: list[Lesson]  # in course order
    solved: int


@dataclass(frozen=True)
class Place:
    topics: list[TopicPlace]  # the topics that have lessons, in learning order
    next_lesson: Lesson | None  # the first unsolved lesson in course order; None once all are solved

    def is_next(self, lesson: Lesson) -> bool:
        return self.next_lesson is not None and lesson.id == self.next_lesson.id

    @property
    def solved(self) -> int:
        return sum(topic.solved for topic in self.topics)

    @property
    def total(self) -> int:
        return sum(len(topic.lessons) for topic in self.topics)


def place_in(course: Course, save: LearnerSave) -> Place:
    solved = {lesson.id for lesson in course.lessons if save.state(lesson.id) is LessonState.SOLVED}
    topics = [TopicPlace(topic, lessons, sum(1 for lesson in lessons if lesson.id in solved))
              for topic, lessons in course.by_topic()]
    return Place(topics, next((lesson for lesson in course.lessons if lesson.id not in solved), None))
