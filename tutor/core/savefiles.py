"""The disk side of saves: a per-learner lock, atomic writes, quarantine, ownership.

A write never leaves a half-written save: the new text goes to a temporary file
in the same folder, is fsynced, and replaces the old file in one rename (then
the folder is fsynced so the rename survives a power cut). Any failure leaves
the previous save untouched and becomes a SaveError that says what happened.

In a class folder anyone may create a file first under a classmate's name (a save,
a lock, a folder, a FIFO). The tutor never reads, writes or locks a file it does not
own: it says whose it is and whom to ask to remove it.
"""

from __future__ import annotations

import errno
import fcntl
import glob
import os
import pwd
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from tutor.core.explained import ExplainedError

# Owner reads and writes; the folder's group (the teacher's, in a class folder) reads.
SAVE_MODE = 0o640
# Only the owner may open a lock: a lock others could open, they could hold forever.
LOCK_MODE = 0o600
# A folder the tutor creates for one person is private; a class folder is set up by hand.
PRIVATE_DIR_MODE = 0o700
# A save takes milliseconds; a lock held longer is held on purpose (or by a stopped tutor).
LOCK_WAIT_S = 2.0
# Above any save this tutor writes (see tutor.core.progress); a bigger file is not one.
MAX_SAVE_BYTES = 4 * 1024 * 1024
# Older tutors kept blocks of any size: the learner's own save is read up to this, to keep its progress.
MAX_OLD_SAVE_BYTES = 32 * 1024 * 1024

_ERRNO_KEYS = {
    errno.ENOSPC: "save.disk_full",
    errno.EDQUOT: "save.disk_full",
    errno.EROFS: "save.read_only",
    errno.EACCES: "save.permission",
    errno.EPERM: "save.permission",
}


class SaveError(ExplainedError):
    """Progress could not be saved (or the saves folder cannot be used); the old save is kept."""


class SaveUnreadable(Exception):
    """The file is not a save this tutor can read (not a regular file, bad UTF-8 or JSON, wrong shape)."""


def save_error(error: OSError, path: Path) -> SaveError:
    """The OSError as a SaveError naming the cause and the path."""
    key = _ERRNO_KEYS.get(error.errno or 0, "save.os_error")
    return SaveError(key, path=str(path), detail=error.strerror or str(error))


def account_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def not_yours(path: Path, owner_uid: int) -> SaveError:
    """The refusal of a file someone else owns: whose it is, and whom to ask to remove it."""
    me = os.geteuid()
    values = {"path": str(path), "owner": account_name(owner_uid), "me": account_name(me)}
    try:
        folder_owner = os.stat(path.parent).st_uid
    except OSError:
        folder_owner = owner_uid
    if folder_owner == me:  # your own folder: you may remove it yourself
        return SaveError("save.not_yours_remove", **values)
    if folder_owner == owner_uid:  # the folder's owner made it: only they can say why
        return SaveError("save.not_yours_folder_owner", **values)
    return SaveError("save.not_yours", ask=account_name(folder_owner), **values)


def refuse_if_not_mine(path: Path) -> None:
    """SaveError if `path` exists and belongs to another account (what it is does not matter)."""
    try:
        owner = os.lstat(path).st_uid
    except FileNotFoundError:
        return
    except OSError as error:
        raise save_error(error, path) from None
    if owner != os.geteuid():
        raise not_yours(path, owner)


def read_regular_file(path: Path, limit: int = MAX_SAVE_BYTES) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes. In a shared folder anyone
    may leave a symlink, a folder or a FIFO under a save's name: never follow the one, never block on
    the other, never read more than `limit`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise SaveUnreadable("a symbolic link, not a save") from None
        raise save_error(error, path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SaveUnreadable("a folder, not a save")
        if not stat.S_ISREG(info.st_mode):
            raise SaveUnreadable("not a regular file")
        if info.st_size > limit:
            raise SaveUnreadable(f"{info.st_size} bytes, more than a save can hold")
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise save_error(error, path) from None
    finally:
        os.close(fd)
    if size > limit:  # grew while read
        raise SaveUnreadable(f"more than {limit} bytes, more than a save can hold")
    return b"".join(chunks)


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    except OSError as error:
        raise save_error(error, folder) from None
    if not folder.is_dir():
        raise SaveError("save.not_a_folder", path=str(folder))


@contextmanager
def locked(lock_path: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path` (created if missing, refused if someone else's) for the block."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, LOCK_MODE)
    except OSError as error:
        refuse_if_not_mine(lock_path)  # a classmate's lock under this name explains the refusal best
        raise save_error(error, lock_path) from None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():  # opened through group or other bits: its owner could hold it forever
            raise not_yours(lock_path, info.st_uid)
        if not stat.S_ISREG(info.st_mode):
            raise SaveError("save.lock_not_a_file", path=str(lock_path))
        deadline = time.monotonic() + wait_s
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SaveError("save.lock_busy", path=str(lock_path)) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text`, all or nothing."""
    folder = path.parent
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise save_error(error, path) from None
    try:
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), SAVE_MODE)
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        raise save_error(error, path) from None
    fsync_folder(folder)


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files a killed writer of `path` left behind. Call under the lock:
    then no other writer of `path` can be half-way through."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        _remove_quietly(str(stale))


def fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # the rename is done; only its durability across a power cut is at stake
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def quarantine(path: Path, now: datetime | None = None) -> Path:
    """Move an unreadable save aside as `<name>.corrupt-<UTC time>`, never over another one."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    try:
        os.rename(path, target)
    except OSError as error:
        raise save_error(error, path) from None
    fsync_folder(path.parent)
    return target


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
