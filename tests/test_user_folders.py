"""Tests never touch the user's folders: the run's private home (conftest.py,
pytest_configure) is in place before any fixture, also for the processes tests
start, and nothing appeared in the real folders (checked again at the run's end)."""

import os
import subprocess
import sys
from pathlib import Path

import conftest
from ontspan.archive import default_path
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
    code = ("from ontspan.archive import default_path; from ontspan.device.names import data_dir;"
            "from platformdirs import user_data_dir as u;"
            "print(default_path()); print(data_dir()); print(u('ontspan', appauthor=False))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for line in out.stdout.split():
        assert _inside_private_home(line), line


def test_stored_names_land_in_the_private_home():
    save_names("0123456789abcdef", "crc", {"1": "pmr-kort"})
    assert list(data_dir().glob("devices/*.names.json"))
    assert not conftest.real_user_folders_changed()


def test_nothing_appeared_in_the_real_folders_so_far():
    assert not conftest.real_user_folders_changed()


def test_the_check_sees_a_file_that_appears(tmp_path, monkeypatch):
    real = tmp_path / "real"
    (real / "devices").mkdir(parents=True)
    monkeypatch.setattr(conftest, "REAL_USER_FOLDERS", [real])
    monkeypatch.setattr(conftest, "_REAL_BEFORE", conftest.real_user_files())
    assert not conftest.real_user_folders_changed()
    (real / "devices" / "x.names.json").write_text("{}")
    assert conftest.real_user_folders_changed() == [str(real / "devices" / "x.names.json")]
