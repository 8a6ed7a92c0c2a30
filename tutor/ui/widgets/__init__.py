"""Widgets of the tutor: they show what they are given and never touch the disk."""
