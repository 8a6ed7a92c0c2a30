"""Hostile learner blocks, each with the status and the words the tutor answers with.

Every block first appends its worker's and supervisor's pids to a record file (and
blocks that start processes add theirs), so a test can prove none outlives the run.
Shared by the tests and by `measure.py`, which times each block through the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutor.core.lessons import Lesson
from tutor.core.results import Status

SHORT_TIMEOUT_S = 3.0
SLOW_IMPORT_S = 60.0  # for a warm runner to import torch on a machine busy with other work


def record(path: Path) -> str:
    """A line of block code that records this process and its parent."""
    return f"import os as _o\nopen({str(path)!r}, 'a').write(f'{{_o.getpid()}} {{_o.getppid()}}\\n')\n"


@dataclass(frozen=True)
class Hostile:
    name: str
    block: Callable[[Lesson, Path], str | bytes]  # (lesson, record file) -> the block
    status: Status
    says: str  # words the result carries
    where: str = "message"  # "message" or "stdout"
    timeout_s: float = 10.0


BACKGROUND = """import subprocess, time
_child = subprocess.Popen(['sleep', '600'], start_new_session=True)
open({path!r}, 'a').write(f'{{_child.pid}}\\n')
if _o.fork() == 0:  # a daemon: double fork, a new session, the middle process gone
    _o.setsid()
    if _o.fork() == 0:
        open({path!r}, 'a').write(f'{{_o.getpid()}}\\n')
        time.sleep(600)
    _o._exit(0)
"""

FORK_BOMB = """def forward(self, h):
    while True:
        try:
            if _o.fork() == 0:
                open({path!r}, 'a').write(f'{{_o.getpid()}}\\n')
        except OSError:
            pass
"""

# The block's own result pipe: the one write-only pipe past stderr.
RESULT_FD = """
def _result_fd():
    import fcntl, os
    for name in os.listdir('/proc/self/fd'):
        fd = int(name)
        try:
            if fd > 2 and os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:') \\
                    and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                return fd
        except OSError:
            pass
"""

SPARSE_RESULT = RESULT_FD + """
with open('huge', 'wb') as huge:
    huge.truncate(2 * 2**30)  # 2 GiB that take no disk
with open('huge', 'rb') as huge:
    _sent = 0
    while _sent < 2 * 2**30:  # each call moves at most what the pipe takes
        _sent += _o.sendfile(_result_fd(), huge.fileno(), _sent, 2 * 2**30 - _sent)
"""

PASSING_REPORT = ('{"outcome": "compared", "subject": "gradients", "comparisons": [{"name": "lm_head.weight", '
                  '"max_abs_diff": 0.0, "rel_diff": 0.0, "missing": false, "matches": true}], "outputs": [], '
                  '"evidence": {}}')

CASES = [
    Hostile("endless loop", lambda l, p: record(p) + "def forward(self, h):\n    while True:\n        pass\n",
            Status.TIMEOUT, "stopped after 3 s", timeout_s=SHORT_TIMEOUT_S),
    Hostile("a FIFO for the progress file, then an endless loop",
            lambda l, p: record(p) + "_o.remove('progress.txt')\n_o.mkfifo('progress.txt')\n"
            "def forward(self, h):\n    while True:\n        pass\n",
            Status.TIMEOUT, "stopped after 3 s", timeout_s=SHORT_TIMEOUT_S),
    Hostile("forged progress, then an endless loop",
            lambda l, p: record(p) + "open('progress.txt', 'a').write('9' * 5_000_000 + ' 10\\n')\n"
            "def forward(self, h):\n    while True:\n        pass\n",
            Status.TIMEOUT, "stopped after 3 s", timeout_s=SHORT_TIMEOUT_S),
    Hostile("memory bomb", lambda l, p: record(p) + "def forward(self, h):\n    hoard = []\n    while True:\n"
            "        hoard.append(bytearray(2**26))\n", Status.FAILED, "forward raised: MemoryError"),
    Hostile("one huge tensor", lambda l, p: record(p) + "import torch\ndef forward(self, h):\n"
            "    return torch.empty(2**40)\n", Status.FAILED, "can't allocate memory"),
    Hostile("printing 100 MB", lambda l, p: record(p) + "import sys\nsys.stdout.write('x' * 100_000_000)\n" + l.code.fix,
            Status.PASSED, "bytes of output not kept", where="stdout"),
    Hostile("os._exit(3)", lambda l, p: record(p) + "_o._exit(3)\n" + l.code.fix, Status.CRASHED, "exit code 3"),
    Hostile("segfault", lambda l, p: record(p) + "import ctypes\nctypes.string_at(0)\n" + l.code.fix,
            Status.CRASHED, "killed by SIGSEGV"),
    Hostile("sys.exit()", lambda l, p: record(p) + "def forward(self, h):\n    import sys\n    sys.exit()\n",
            Status.FAILED, "forward raised: SystemExit"),
    Hostile("raise KeyboardInterrupt", lambda l, p: record(p) + "def forward(self, h):\n    raise KeyboardInterrupt\n",
            Status.FAILED, "forward raised: KeyboardInterrupt"),
    Hostile("raise SystemExit at the top", lambda l, p: record(p) + "raise SystemExit(0)\n" + l.code.fix,
            Status.FAILED, "defining the block raised: SystemExit"),
    Hostile("unbounded recursion", lambda l, p: record(p) + "def forward(self, h):\n    return forward(self, h)\n",
            Status.FAILED, "RecursionError"),
    Hostile("input()", lambda l, p: record(p) + "def forward(self, h):\n    input('name? ')\n    return h\n",
            Status.FAILED, "EOFError"),
    Hostile("a background child and a daemon", lambda l, p: record(p) + BACKGROUND.format(path=str(p)) + l.code.fix,
            Status.PASSED, "match the control"),
    Hostile("fork bomb", lambda l, p: record(p) + FORK_BOMB.format(path=str(p)),
            Status.TIMEOUT, "stopped after 3 s", timeout_s=SHORT_TIMEOUT_S),
    Hostile("torch.set_num_threads(64)", lambda l, p: record(p) + "import torch\ntorch.set_num_threads(64)\n"
            "print('threads:', torch.get_num_threads())\n" + l.code.fix, Status.PASSED, "threads: 4", where="stdout"),
    Hostile("deleting the model's forward", lambda l, p: record(p) + "from minigpt.model import Block\n"
            "del Block.forward\n" + l.code.fix, Status.PASSED, "match the control"),
    Hostile("renaming the function", lambda l, p: record(p) + l.code.fix.replace("def forward", "def forward_v2"),
            Status.INVALID, "must define `forward`"),
    Hostile("deleting the function", lambda l, p: record(p) + l.code.fix + "del forward\n",
            Status.INVALID, "must define `forward`"),
    Hostile("a changed signature", lambda l, p: record(p) + "def forward(self, h, extra):\n    return h\n",
            Status.INVALID, "forward(self, h)"),
    Hostile("the wrong return type", lambda l, p: record(p) + "def forward(self, h):\n    return 0\n",
            Status.INVALID, "int ≠ Tensor"),
    Hostile("a syntax error", lambda l, p: record(p) + "def forward(self, h):\n    h = h +\n",
            Status.INVALID, "SyntaxError"),
    Hostile("a 10 MB block", lambda l, p: record(p) + "# " + "x" * (10 * 2**20) + "\n" + l.code.fix,
            Status.PASSED, "match the control"),
    Hostile("non-UTF-8 bytes", lambda l, p: record(p).encode() + b"# \xff\xfe\n" + l.code.fix.encode(),
            Status.INVALID, "not UTF-8"),
    Hostile("the starter, a passing report.json, os._exit(0)", lambda l, p: record(p) + "open('report.json', 'w')"
            f".write({PASSING_REPORT!r})\n_o._exit(0)\n" + l.code.starter, Status.CRASHED, "is empty"),
    Hostile("the starter, torch.allclose = lambda *a, **k: True", lambda l, p: record(p) + "import torch\n"
            "torch.allclose = lambda *a, **k: True\n" + l.code.starter, Status.FAILED, "modified in place"),
    Hostile("the starter, forward = Block.forward", lambda l, p: record(p) + "from minigpt.model import Block\n"
            "forward = Block.forward\n", Status.FAILED, "not available to your block"),
    Hostile("killing its supervisor", lambda l, p: record(p) + BACKGROUND.format(path=str(p)) +
            "_o.kill(_o.getppid(), 9)\n" + l.code.fix, Status.CRASHED, "killed by SIGKILL"),
    Hostile("a 2 GiB result", lambda l, p: record(p) + SPARSE_RESULT + l.code.fix, Status.CRASHED,
            "larger than 16 MB"),
]
