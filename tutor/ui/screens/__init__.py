"""The tutor's screens: the course, a lesson, help and confirmation."""
