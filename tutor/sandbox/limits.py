"""A bound on how many processes and threads one run may have: a fork bomb stops at it.

RLIMIT_NPROC counts every task of the user and is not enforced for root, so a run gets
its own pids cgroup when the machine lets the tutor make one (root, or a delegated
cgroup), and an RLIMIT_NPROC of what the user already runs plus the bound otherwise.
"""

from __future__ import annotations

import functools
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Each fork of a process that has torch loaded copies its page tables before the cgroup
# refuses it, and each exit unmaps torch's libraries under locks every copy shares: a
# bomb of 128 such processes takes seconds to die on a busy 2-core machine, one of 32
# about one. Threads count too, hence the cap on torch's threads.
MAX_TASKS = 32
MAX_THREADS = 4


@dataclass(frozen=True)
class ProcessBound:
    """A pids cgroup made for one run; the worker joins it before any learner code runs."""

    path: Path

    @classmethod
    def create(cls) -> ProcessBound | None:
        """A fresh cgroup for this run, or None when none can be made here."""
        for parent in _own_pids_cgroups():
            path = parent / f"minigpt-tutor-run-{os.getpid()}"
            try:
                _make_fresh(path)
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(MAX_TASKS))
                return cls(path)
            except OSError:
                path.rmdir()
        return None

    def join(self) -> None:
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def members(self) -> list[int]:
        try:
            return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def freeze(self) -> None:
        """No new process or thread from now on, so killing what is there finishes."""
        try:
            (self.path / "pids.max").write_text("0")
        except OSError:
            pass  # the cgroup is already gone

    def remove(self) -> None:
        for _ in range(1000):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # busy: a member not yet reaped, or one that escaped the subreaper
                for pid in self.members():
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
                time.sleep(0.001)


def cap_torch_threads(torch: Any) -> None:
    """`torch.set_num_threads(n)` gives at most MAX_THREADS: a classroom machine is shared,
    and a thread libgomp cannot create past the task bound would crash the run."""
    set_num_threads = torch.set_num_threads

    @functools.wraps(set_num_threads)
    def capped(count: int) -> None:
        set_num_threads(max(1, min(int(count), MAX_THREADS)))

    torch.set_num_threads = capped


def limit_tasks_without_cgroup() -> None:
    """RLIMIT_NPROC for a user who is not root: what the user runs now, plus the bound."""
    if os.geteuid() == 0:
        return  # root ignores RLIMIT_NPROC
    running = _tasks_of_user(os.getuid())
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    wanted = running + MAX_TASKS
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft == resource.RLIM_INFINITY or wanted < soft:
        resource.setrlimit(resource.RLIMIT_NPROC, (wanted, hard))


def _tasks_of_user(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue  # it ended while we looked
    return count


def _make_fresh(path: Path) -> None:
    """mkdir, first removing an empty folder a killed supervisor of the same pid left."""
    try:
        path.mkdir()
    except FileExistsError:
        path.rmdir()
        path.mkdir()


def _own_pids_cgroups() -> list[Path]:
    """This process's cgroup folders on the mounts that offer the pids controller."""
    try:
        memberships = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    own: dict[str, str] = {}  # "pids" (cgroup v1) or "" (v2) -> path inside the hierarchy
    for line in memberships:
        _, controllers, path = line.split(":", 2)
        if controllers == "" or "pids" in controllers.split(","):
            own["pids" if controllers else ""] = path
    found = []
    for line in mounts:
        fields = line.split()
        separator = fields.index("-")
        root, mount_point, fstype, options = fields[3], fields[4], fields[separator + 1], fields[separator + 3]
        key = "pids" if fstype == "cgroup" and "pids" in options.split(",") else "" if fstype == "cgroup2" else None
        if key is None or key not in own:
            continue
        inside = os.path.relpath(own[key], root) if own[key].startswith(root) else None
        if inside is not None:
            found.append(Path(mount_point) / inside)
    return found
