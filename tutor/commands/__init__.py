"""The sub-commands of `minigpt-tutor`, one module each."""
