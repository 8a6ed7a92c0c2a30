"""What Linux lets a process say about itself (prctl), for the tutor's processes and a run's.

- non-dumpable: another process of the same user can no longer read this one's memory,
  environment or descriptors under /proc, nor attach a debugger to it;
- child subreaper: orphans of its descendants come back to it, not to init;
- a parent-death signal: killed the moment its parent dies;
- no privileges: a run started as root keeps root's uid but none of its capabilities,
  so it cannot read another process's /proc entries either.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_CAPBSET_DROP = 24
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_CAPABILITY_VERSION_3 = 0x20080522


def _prctl(option: int, value: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(option, value, 0, 0, 0)


def _check(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), f"prctl({what}) failed")


def make_undumpable() -> None:
    _check(_prctl(_PR_SET_DUMPABLE, 0), "PR_SET_DUMPABLE")


def become_subreaper() -> None:
    _check(_prctl(_PR_SET_CHILD_SUBREAPER, 1), "PR_SET_CHILD_SUBREAPER")


def die_with_parent(parent: int) -> None:
    """SIGKILL when the parent dies; if it already has (we were reparented), die now."""
    _check(_prctl(_PR_SET_PDEATHSIG, signal.SIGKILL), "PR_SET_PDEATHSIG")
    if os.getppid() != parent:
        os._exit(1)


def drop_privileges() -> None:
    """Give up every capability for good (a root run's): none now, none after an exec."""
    if os.geteuid() != 0:
        return
    capability = 0
    while _prctl(_PR_CAPBSET_DROP, capability) == 0:
        capability += 1
    _check(_prctl(_PR_SET_NO_NEW_PRIVS, 1), "PR_SET_NO_NEW_PRIVS")
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable, twice: all empty
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def children_of(parent: int) -> list[int]:
    """Pids whose parent is `parent`, read from /proc (the `children` file is not always built in)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


def kill_orphans(spare: set[int], *, other_sessions_only: bool = False, within_s: float = 5.0) -> None:
    """As a subreaper: kill and reap every child not in `spare`, until none is left.

    `other_sessions_only` spares too the children in this process's own session (a
    program's editor, say): every process of a run lives in a session of its own.
    Children of those that die come back in turn, so the sweep repeats; it gives up
    after `within_s` rather than hold its caller forever.
    """
    me, own_session = os.getpid(), os.getsid(0)
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        orphans = [pid for pid in children_of(me)
                   if pid not in spare and not (other_sessions_only and session_of(pid) == own_session)]
        if not orphans:
            return
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # already gone
        for pid in orphans:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # reaped already
