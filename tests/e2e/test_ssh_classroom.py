"""A classroom over real SSH: two learners log in, use the tutor in tmux, and the teacher reads the report.

What it sets up (and removes afterwards): an sshd of its own on 127.0.0.1 on a free
high port, with fresh host and user keys and its own config; a class group; two
learner accounts in it, each with the README's shell-profile set-up (PATH and
MINIGPT_TUTOR_SAVES); a class saves folder owned by the teacher (root here) with the
class group, mode 3770 (setgid: files get the class group; sticky: nobody removes or
replaces another's file).

The learners run the tutor from this machine's Python, which may live in a folder
others cannot enter (here /root, mode 0700). The test adds o+x (enter, not list) to
each folder on the way that lacks it and puts the modes back at the end; on a real
classroom machine the tutor is installed where everyone can run it. Needs root,
/usr/sbin/sshd, ssh, ssh-keygen and tmux (`.ci/run` installs them); skipped otherwise.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tutor.core.course import load_course
from tutor.core.i18n import tr
from tutor.core.locations import checkout_dir
from tutor.core.progress import LearnerSave, LessonState, read_save

SSHD = "/usr/sbin/sshd"
TOOLS = ("ssh", "ssh-keygen", "tmux", "useradd", "userdel", "groupadd", "groupdel", "runuser")
CLASS_DIR_MODE = 0o3770
RUN_WAIT_S = 180  # a run on real torch, on a busy machine


def missing_requirement() -> str | None:
    if os.geteuid() != 0:
        return "creates users and runs sshd: needs root (CI runs as root)"
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is not installed (`.ci/run` installs openssh-server)"
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        return f"missing: {', '.join(absent)}"
    if not (Path(sys.executable).parent / "minigpt-tutor").exists():
        return f"minigpt-tutor is not installed next to {sys.executable}"
    return None


pytestmark = [pytest.mark.timeout(900),
              pytest.mark.skipif(missing_requirement() is not None, reason=str(missing_requirement()))]


def run(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{shlex.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def wait_for(what: str, condition: Callable[[], object], timeout: float, explain: Callable[[], str] = str) -> None:
    """Poll until `condition()` is true; after `timeout` seconds fail, saying what never happened."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{explain()}")
        time.sleep(0.25)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_traversable(paths: list[Path], stack: ExitStack) -> None:
    """Give others o+x on every folder leading to `paths`, restoring each changed mode at exit."""
    folders = {parent for path in paths for parent in [path, *path.parents] if parent.is_dir()}
    for folder in sorted(folders):
        mode = stat.S_IMODE(folder.stat().st_mode)
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            stack.callback(folder.chmod, mode)


@dataclass
class Classroom:
    saves: Path
    group: str
    learners: tuple[str, str]
    port: int
    key: Path
    sshd_log: Path
    work: Path
    sessions: dict[str, subprocess.Popen] = field(default_factory=dict)

    def ssh(self, user: str, *, tty: bool = False) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-p", str(self.port), "-i", str(self.key), "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", *(["-tt"] if tty else []), f"{user}@127.0.0.1"]

    def remote(self, user: str, command: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`command` in the user's login shell, over SSH (so ~/.profile applies, as for a learner)."""
        return run(*self.ssh(user), f"bash -lc {shlex.quote(command)}", check=check, timeout=timeout)

    def start_tutor(self, user: str, options: str = "") -> None:
        """Log in with a TTY and run the tutor (with `options`) inside tmux, as a learner would."""
        log = (self.work / f"{user}.session.log").open("wb")
        command = f"stty cols 120 rows 40 && exec tmux new-session -s tutor minigpt-tutor {options}"
        self.sessions[user] = subprocess.Popen([*self.ssh(user, tty=True), f"bash -lc {shlex.quote(command)}"],
                                               stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                               env={**os.environ, "TERM": "xterm-256color"})
        log.close()

    def keys(self, user: str, *keys: str) -> None:
        self.remote(user, shlex.join(["tmux", "send-keys", "-t", "tutor", *keys]))

    def screen(self, user: str) -> str:
        done = self.remote(user, "tmux capture-pane -p -t tutor", check=False)
        return done.stdout if done.returncode == 0 else f"(no pane: {done.stderr.strip()})"

    def save(self, user: str) -> LearnerSave | None:
        path = self.saves / f"{user}.json"
        return read_save(path) if path.exists() else None

    def lesson(self, user: str, lesson_id: str):
        save = self.save(user)
        return save.lessons.get(lesson_id) if save else None

    def explain(self, user: str) -> Callable[[str], str]:
        def text() -> str:
            session = self.work / f"{user}.session.log"
            return (f"--- {user}'s screen ---\n{self.screen(user)}\n--- save ---\n{self.save(user)}\n"
                    f"--- session ---\n{session.read_bytes()[-2000:]!r}\n"
                    f"--- sshd ---\n{self.sshd_log.read_text(errors='replace')[-2000:]}")
        return text


def add_learner(name: str, group: str, home_setup: dict[str, str], public_key: str, stack: ExitStack) -> None:
    run("useradd", "--create-home", "--shell", "/bin/bash", "--groups", group, "--password", "*", name)
    stack.callback(remove_user, name)
    home = Path(pwd.getpwnam(name).pw_dir)
    files = {".ssh/authorized_keys": public_key, **home_setup}
    for relative, text in files.items():
        path = home / relative
        path.parent.mkdir(mode=0o700, exist_ok=True)
        with path.open("a", encoding="utf-8") as stream:
            stream.write(text)
        for owned in (path, path.parent):
            shutil.chown(owned, name, name)
    (home / ".ssh/authorized_keys").chmod(0o600)


def remove_user(name: str) -> None:
    """Stop the user's tmux (which the test started) and remove the account and its home."""
    run("runuser", "-u", name, "--", "tmux", "kill-server", check=False)
    deadline = time.monotonic() + 15
    while run("userdel", "--remove", name, check=False).returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.5)  # the last sshd session of the user is still closing
    if name in {entry.pw_name for entry in pwd.getpwall()}:
        run("userdel", "--remove", "--force", name, check=False)


def start_sshd(work: Path, port: int, users: tuple[str, str], stack: ExitStack) -> Path:
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_key"))
    config = work / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {work / 'host_key'}", f"PidFile {work / 'sshd.pid'}",
        "AuthorizedKeysFile .ssh/authorized_keys", "PubkeyAuthentication yes", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "PermitRootLogin no",
        f"AllowUsers {' '.join(users)}", "PrintMotd no", "PrintLastLog no", ""]))
    privsep = Path("/run/sshd")
    if not privsep.exists():
        privsep.mkdir(mode=0o755, parents=True)
        stack.callback(shutil.rmtree, privsep, True)
    log = work / "sshd.log"
    with log.open("wb") as stream:
        server = subprocess.Popen([SSHD, "-f", str(config), "-D", "-e"], stdout=stream, stderr=subprocess.STDOUT)
    stack.callback(stop, server)

    def listening() -> bool:
        assert server.poll() is None, f"sshd exited:\n{log.read_text(errors='replace')}"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0
    wait_for("sshd to listen", listening, 20, lambda: log.read_text(errors="replace"))
    return log


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def classroom() -> Iterator[Classroom]:
    tag = secrets.token_hex(3)
    group, learners = f"mgtclass{tag}", (f"mgta{tag}", f"mgtb{tag}")
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="minigpt-ssh-"))
        stack.callback(shutil.rmtree, work, True)
        class_root = Path(tempfile.mkdtemp(prefix="minigpt-class-"))
        stack.callback(shutil.rmtree, class_root, True)
        class_root.chmod(0o755)
        bin_dir = Path(sys.executable).parent
        make_traversable([bin_dir, Path(sys.executable).resolve(), Path(sysconfig.get_paths()["purelib"]),
                          checkout_dir() or Path(tempfile.gettempdir())], stack)

        run("groupadd", group)
        stack.callback(run, "groupdel", group, check=False)
        saves = class_root / "saves"
        saves.mkdir()
        shutil.chown(saves, "root", group)
        saves.chmod(CLASS_DIR_MODE)  # after chown, which clears setgid

        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "learner_key"))
        public_key = (work / "learner_key.pub").read_text()
        fix = load_course().lessons[0].code.fix
        profile = (f"export PATH={shlex.quote(str(bin_dir))}:\"$PATH\"\nexport MINIGPT_TUTOR_SAVES={saves}\n"
                   'export VISUAL="$HOME/apply-fix"\n')
        for name in learners:
            add_learner(name, group, {".profile": profile, "fix.py": fix,
                                      # an "editor" that types the reference fix for the learner
                                      "apply-fix": '#!/bin/sh\ncat "$HOME/fix.py" > "$1"\n'}, public_key, stack)
            home = Path(pwd.getpwnam(name).pw_dir)
            (home / "apply-fix").chmod(0o755)
        port = free_port()
        log = start_sshd(work, port, learners, stack)
        room = Classroom(saves, group, learners, port, work / "learner_key", log, work)
        stack.callback(lambda: [stop(p) for p in room.sessions.values()])
        for name in learners:  # usable over SSH, from the profile's PATH, before any tutor session
            imported = room.remote(name, "command -v minigpt-tutor && python3 -c 'import tutor.cli'", check=False)
            assert imported.returncode == 0, f"{name} cannot run the tutor:\n{imported.stdout}{imported.stderr}"
        yield room


def test_two_learners_over_ssh_and_the_teachers_report(classroom: Classroom) -> None:
    room, (ana, bea) = classroom, classroom.learners
    first = load_course().lessons[0]
    for name in (ana, bea):
        room.start_tutor(name)
    for name in (ana, bea):
        wait_for(f"{name}'s tutor to start", lambda n=name: f"learner: {n}" in room.screen(n), 90, room.explain(name))

    # ana: opens the first lesson, runs the broken block, takes the first hint, quits.
    room.keys(ana, "Enter")
    wait_for("ana to open the first lesson", lambda: (room.save(ana) or LearnerSave(learner=ana)).last_lesson
             == first.id, 30, room.explain(ana))
    room.keys(ana, "r")
    wait_for("ana's run to be recorded", lambda: getattr(room.lesson(ana, first.id), "runs", 0) >= 1, RUN_WAIT_S,
             room.explain(ana))
    wait_for("ana's screen to show the verdict", lambda: tr("status.failed", "en") in room.screen(ana), 30,
             room.explain(ana))
    room.keys(ana, "h")
    wait_for("ana's hint", lambda: getattr(room.lesson(ana, first.id), "hint_rung", 0) == 1, 30, room.explain(ana))
    room.keys(ana, "q")
    room.sessions[ana].wait(timeout=60)

    # bea: opens it, climbs to the direct hint, writes the fix in her $VISUAL, runs it: solved.
    room.keys(bea, "Enter")
    wait_for("bea to open the first lesson", lambda: (room.save(bea) or LearnerSave(learner=bea)).last_lesson
             == first.id, 30, room.explain(bea))
    for rung in (1, 2, 3):
        room.keys(bea, "h")
        if rung == 3:  # the direct hint asks first
            wait_for("the direct hint's question", lambda: tr("ui.confirm.direct_hint", "en") in room.screen(bea),
                     30, room.explain(bea))
            room.keys(bea, "y")
        wait_for(f"bea's hint {rung}", lambda r=rung: getattr(room.lesson(bea, first.id), "hint_rung", 0) == r,
                 30, room.explain(bea))
    room.keys(bea, "e")
    wait_for("bea's edited block to be saved", lambda: getattr(room.lesson(bea, first.id), "last_block", None)
             == first.code.fix, 60, room.explain(bea))
    room.keys(bea, "r")
    wait_for("bea's lesson to be solved", lambda: getattr(room.lesson(bea, first.id), "state", None)
             is LessonState.SOLVED, RUN_WAIT_S, room.explain(bea))
    room.keys(bea, "q")
    room.sessions[bea].wait(timeout=60)

    # Each learner's own `progress`, over SSH.
    shown = room.remote(ana, "minigpt-tutor progress")
    assert f"Progress of {ana}" in shown.stdout and "attempted" in shown.stdout

    # The teacher's report.
    report = json.loads(run(sys.executable, "-m", "tutor", "report", "--saves-dir", str(room.saves),
                            "--format", "json").stdout)
    by_name = {entry["learner"]: entry["lessons"][first.id] for entry in report["learners"]}
    assert set(by_name) == {ana, bea}
    assert (by_name[ana]["state"], by_name[ana]["hint_rung"]) == ("attempted", 1)
    assert by_name[ana]["runs"] == 1 and by_name[ana]["time_spent_s"] > 0
    assert (by_name[bea]["state"], by_name[bea]["hint_rung"], by_name[bea]["hints_at_solve"]) == ("solved", 3, 3)
    summary = next(s for s in report["summary"] if s["lesson"] == first.id)
    assert (summary["learners"], summary["attempted"], summary["solved"], summary["direct_hint"]) == (2, 2, 1, 1)
    table = run(sys.executable, "-m", "tutor", "report", "--saves-dir", str(room.saves)).stdout
    assert ana in table and bea in table


def test_a_learner_cannot_change_or_remove_anothers_save(classroom: Classroom) -> None:
    room, (ana, bea) = classroom, classroom.learners
    theirs = room.saves / f"{bea}.json"
    if not theirs.exists():  # when run alone: bea saves something first
        room.remote(bea, "python3 -c \"import os; from tutor.core.progress import ProgressStore; ProgressStore("
                         f"os.environ['MINIGPT_TUTOR_SAVES'], '{bea}').record_hint('any-lesson', 1)\"")
    before = theirs.read_bytes()
    info = theirs.stat()
    assert (info.st_uid, info.st_gid) == (pwd.getpwnam(bea).pw_uid, grp.getgrnam(room.group).gr_gid)
    assert stat.S_IMODE(info.st_mode) == 0o640
    assert stat.S_IMODE(room.saves.stat().st_mode) == CLASS_DIR_MODE

    def as_ana(command: str) -> subprocess.CompletedProcess[str]:
        return run("runuser", "-u", ana, "--", "sh", "-c", command, check=False)

    target = shlex.quote(str(theirs))
    attempts = {
        "write": as_ana(f"echo '{{}}' > {target}"),
        "delete": as_ana(f"rm -f {target}"),
        "replace": as_ana(f"echo '{{}}' > {room.saves}/{ana}.forged && mv -f {room.saves}/{ana}.forged {target}"),
    }
    for what, done in attempts.items():
        assert done.returncode != 0, f"ana could {what} bea's save"
        assert "not permitted" in done.stderr or "Permission denied" in done.stderr, done.stderr
    through_tutor = room.remote(ana, f"minigpt-tutor --learner {bea} reset --all --yes", check=False)
    assert through_tutor.returncode == 2
    assert f"belongs to {bea}, not to you ({ana})" in " ".join((through_tutor.stdout + through_tutor.stderr).split())
    assert theirs.read_bytes() == before
    # In this layout the class group may read each other's saves (see the README for a private one).
    assert as_ana(f"cat {target}").returncode == 0


def test_a_private_class_folder_hides_saves_from_other_learners(classroom: Classroom) -> None:
    """The README's private layout: only the class enters the parent folder; the saves folder belongs
    to the teacher's own group (root's here) and learners create their files through the "other" bits."""
    room, (ana, bea) = classroom, classroom.learners
    parent = room.saves.parent / "private"
    saves = parent / "saves"
    saves.mkdir(parents=True)
    shutil.chown(parent, "root", room.group)
    parent.chmod(0o750)
    saves.chmod(0o3773)
    record = ("import sys; from tutor.core.progress import ProgressStore; "
              "ProgressStore(sys.argv[1], sys.argv[2]).record_hint('inplace-residual', 1)")
    for name in (ana, bea):
        run("runuser", "-u", name, "--", sys.executable, "-c", record, str(saves), name)
        info = (saves / f"{name}.json").stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (pwd.getpwnam(name).pw_uid, 0, 0o640)

    theirs = shlex.quote(str(saves / f"{bea}.json"))
    for what, command in {"read": f"cat {theirs}", "list": f"ls {saves}", "write": f"echo '{{}}' > {theirs}",
                          "delete": f"rm -f {theirs}"}.items():
        done = run("runuser", "-u", ana, "--", "sh", "-c", command, check=False)
        assert done.returncode != 0, f"ana could {what} in the private folder"
    report = json.loads(run(sys.executable, "-m", "tutor", "report", "--saves-dir", str(saves),
                            "--format", "json").stdout)
    assert {entry["learner"] for entry in report["learners"]} == {ana, bea}


def class_folder(room: Classroom, name: str) -> Path:
    """A fresh class saves folder beside the first, set up as the README says (mode 3770, class group)."""
    saves = room.saves.parent / name
    saves.mkdir()
    shutil.chown(saves, "root", room.group)
    saves.chmod(CLASS_DIR_MODE)
    return saves


def test_a_file_planted_under_a_classmates_name_is_refused_naming_its_owner(classroom: Classroom) -> None:
    """Before bea's first session ana plants a save already "17 solved", a folder, or a lock under bea's
    name. bea's tutor refuses each, saying whose it is and whom to ask; the teacher's report shows the
    owner; nothing of bea's own save is lost."""
    room, (ana, bea) = classroom, classroom.learners
    forged = json.dumps({"schema_version": 3, "lessons": {lesson.id: {"state": "solved"}
                                                          for lesson in load_course().lessons}})
    plants = {"a forged save": f"printf '%s' {shlex.quote(forged)} > SAVES/{bea}.json",
              "a folder": f"mkdir SAVES/{bea}.json",
              "a private lock": f"umask 077 && touch SAVES/.{bea}.lock"}
    for n, (what, plant) in enumerate(plants.items()):
        saves = class_folder(room, f"planted{n}")
        planted = run("runuser", "-u", ana, "--", "sh", "-c", plant.replace("SAVES", str(saves)), check=False)
        assert planted.returncode == 0, f"ana could not plant {what}: {planted.stderr}"
        # A hint writes to the save (a reset with nothing saved would not even take the lock).
        refused = room.remote(bea, f"minigpt-tutor --saves-dir {saves} hint inplace-residual --yes", check=False)
        said = refused.stdout + refused.stderr
        assert refused.returncode == 2 and "Traceback" not in said, said
        assert f"belongs to {ana}, not to you ({bea})" in " ".join(said.split()), said
        assert "Ask root, who owns the saves folder (usually the teacher), to remove it" in " ".join(said.split())
        if what == "a forged save":
            report = json.loads(run(sys.executable, "-m", "tutor", "report", "--saves-dir", str(saves),
                                    "--format", "json").stdout)
            (entry,) = report["learners"]
            assert (entry["learner"], entry["owner"], entry["owner_is_learner"]) == (bea, ana, False)
            table = run("env", "COLUMNS=200", sys.executable, "-m", "tutor", "report", "--saves-dir", str(saves))
            assert f"the file belongs to {ana}" in table.stdout
        # The teacher removes the planted file; bea's tutor then saves as usual.
        run("rm", "-rf", str(saves / f"{bea}.json"), str(saves / f".{bea}.lock"))
        room.remote(bea, "python3 -c \"from tutor.core.progress import ProgressStore; "
                         f"ProgressStore('{saves}', '{bea}').record_hint('inplace-residual', 1)\"")
        assert read_save(saves / f"{bea}.json").lessons["inplace-residual"].hint_rung == 1
        assert (saves / f"{bea}.json").stat().st_uid == pwd.getpwnam(bea).pw_uid


def test_a_tutor_started_over_a_planted_folder_says_whose_it_is(classroom: Classroom) -> None:
    room, (ana, bea) = classroom, classroom.learners
    saves = class_folder(room, "planted-tui")
    run("runuser", "-u", ana, "--", "mkdir", str(saves / f"{bea}.json"))
    room.start_tutor(bea, f"--saves-dir {saves}")
    wait_for("bea's tutor to start and say whose the folder is",
             lambda: f"learner: {bea}" in room.screen(bea) and "belongs to" in room.screen(bea), 90, room.explain(bea))
    room.keys(bea, "q")
    room.sessions[bea].wait(timeout=60)


HOLD_SHARED_LOCK = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666); "
                    "os.fchmod(fd, 0o666); fcntl.flock(fd, fcntl.LOCK_SH); print('held', flush=True); time.sleep(120)")


def test_a_lock_a_classmate_holds_is_refused_at_once_and_loses_nothing(classroom: Classroom) -> None:
    """ana plants bea's lock, writable by all, and holds a shared lock on it: bea's save is refused at
    once with the owner's name, instead of waiting on the lock and failing."""
    room, (ana, bea) = classroom, classroom.learners
    saves = class_folder(room, "held-lock")
    lock = saves / f".{bea}.lock"
    holder = subprocess.Popen(["runuser", "-u", ana, "--", sys.executable, "-c", HOLD_SHARED_LOCK, str(lock)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        record = (f"import sys; from tutor.core.progress import ProgressStore; "
                  f"ProgressStore(sys.argv[1], '{bea}').record_hint('inplace-residual', 2)")
        refused = run("runuser", "-u", bea, "--", sys.executable, "-c", record, str(saves), check=False)
        assert refused.returncode != 0
        assert f"belongs to {ana}, not to you ({bea})" in refused.stderr, refused.stderr
        assert not (saves / f"{bea}.json").exists()
    finally:
        holder.kill()
        holder.wait(timeout=30)
