"""The Textual tutor: the course, a lesson's editor, its runs and hints; and the teacher's
live view of a class.

Only this package imports textual; it never imports torch (runs happen in the
sandboxed child through `tutor.core.runner`).
"""
