"""Tests never touch the user's folders: the run's private home (conftest.py,
pytest_configure) is in place before any fixture, also for the processes tests
start, and a write into the real folders fails where it is tried (and the run)."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import conftest
import pytest
from ontspan.archive.store import default_path
from ontspan.device.names import data_dir, save_names
from platformdirs import user_data_dir

HOME = Path(os.environ["HOME"])


def _inside_private_home(p: str | Path) -> bool:
    return Path(p).resolve().is_relative_to(HOME.resolve())


def test_the_data_paths_point_into_the_private_home():
    assert HOME.name.startswith("ontspan-tests-home-")
    for real in conftest.REAL_USER_FOLDERS:
        assert not _inside_private_home(real), real
    for p in (data_dir(), default_path(), Path.home(), user_data_dir("ontspan", appauthor=False)):
        assert _inside_private_home(p), p


def test_a_process_a_test_starts_sees_the_private_home_too():
    code = ("from ontspan.archive.store import default_path; from ontspan.device.names import data_dir;"
            "from platformdirs import user_data_dir as u;"
            "print(default_path()); print(data_dir()); print(u('ontspan', appauthor=False))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for line in out.stdout.split():
        assert _inside_private_home(line), line


def test_stored_names_land_in_the_private_home():
    save_names("0123456789abcdef", "crc", {"1": "pmr-kort"})
    assert list(data_dir().glob("devices/*.names.json"))
    assert not conftest.WRITES_REFUSED


def test_a_write_into_the_real_folders_is_refused_and_counted():
    real = conftest.REAL_USER_FOLDERS[0] / "devices" / "probe-from-the-tests.names.json"
    refused = len(conftest.WRITES_REFUSED)
    try:
        with pytest.raises(PermissionError, match="must not write the user's folders"):
            real.open("w")
        with pytest.raises(PermissionError):
            sqlite3.connect(conftest.REAL_USER_FOLDERS[0] / "archive.sqlite3")
        assert not real.exists()
        assert conftest.WRITES_REFUSED[refused:] == [
            str(real), str(conftest.REAL_USER_FOLDERS[0] / "archive.sqlite3")]
    finally:
        del conftest.WRITES_REFUSED[refused:]  # (this run did not really write there)
