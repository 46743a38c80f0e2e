"""The lock that keeps two runs out of one output folder, and never reaches outside it.

`OUT/.lock` is created with `O_CREAT | O_EXCL | O_NOFOLLOW`: a symbolic link or a folder in
its place is refused with a message, and nothing it points at is opened. The lock names its
holder (pid and the process's start time), so a lock left by a run that was killed, or whose
pid now belongs to another process, is recognised as stale and taken over. Creating, checking
and taking over happen under an advisory lock on the folder itself, so two runs starting at
once cannot both take a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from pathlib import Path
from typing import Any

from .errors import Messages, PolicyExtractError, shown_path

LOCK_NAME = ".lock"
TOOL = "policy-extract"
_MAX_LOCK_BYTES = 4096


class OutputLock:
    """Hold `out_dir/.lock` for a run (a context manager)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_NAME
        self._identity: tuple[int, int] | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        folder = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            handle = self._create_or_take_over()
            try:
                os.write(handle, json.dumps(holder_of(os.getpid())).encode())
                info = os.fstat(handle)
                self._identity = (info.st_dev, info.st_ino)
            finally:
                os.close(handle)
        finally:
            os.close(folder)  # closing releases the folder's flock
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Remove the lock if it is still this run's (a run that took it over as stale owns it now)."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if (info.st_dev, info.st_ino) == self._identity:
            self.path.unlink(missing_ok=True)

    def _create_or_take_over(self) -> int:
        try:
            return _create(self.path)
        except FileExistsError:
            pass
        holder = _read_holder(self.path)
        if holder is not None and is_running(holder):
            raise PolicyExtractError(Messages.E002.format(path=shown_path(self.path.parent), pid=holder["pid"]))
        self.path.unlink()
        return _create(self.path)


def holder_of(pid: int) -> dict[str, Any]:
    """What a lock records of the run holding it: the tool, its pid and that process's start time."""
    return {"tool": TOOL, "pid": pid, "started": process_start_time(pid)}


def is_running(holder: dict[str, Any]) -> bool:
    """Whether the run a lock names is alive: its pid exists and is the same process (same start time)."""
    pid = holder.get("pid")
    if holder.get("tool") != TOOL or type(pid) is not int or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    started = holder.get("started")
    return started is None or started == process_start_time(pid)


def process_start_time(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux's /proc), or None where unknown.

    A pid is reused once its process ends; the pair (pid, start time) names one process for good.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return int(fields[19])  # field 22 of proc(5), counted after the command name
    except (OSError, IndexError, ValueError):
        return None


def _create(path: Path) -> int:
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    return os.open(path, flags, 0o644)


def _read_holder(path: Path) -> dict[str, Any] | None:
    """The holder a lock file names, or None when it names none (empty, garbage, another tool's).

    Raises:
        PolicyExtractError: when `.lock` is a symbolic link, a folder or anything but a plain file.
    """
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a plain file"
        raise PolicyExtractError(Messages.E007.format(path=shown_path(path), kind=kind))
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        content = os.read(handle, _MAX_LOCK_BYTES)
    finally:
        os.close(handle)
    try:
        holder = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return holder if isinstance(holder, dict) else None
