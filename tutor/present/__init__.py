"""How the tutor shows things, once, for both front ends: the command line prints these
Rich renderables, the Textual app puts the same ones in its widgets.

Everything here turns core data into text in one language; it imports rich and the core,
never textual, torch, the sandbox or either front end.
"""
