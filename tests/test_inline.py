"""The build writes constants into the firmware's code: the contract's values and other
modules' constants as const() in each module, `m.X` as the value, and a constant no
other module reads made private. No module imports the contract on a device, a wrong
inline is refused at build, and what the device runs is what the tests run (the sim
plays this build)."""

import ast
from pathlib import Path

import pytest
from ontspan.device.build import firmware_sources
from ontspan.device.inline import (
    all_consts,
    fold_attributes,
    inline_all,
    inline_contract,
    inline_imports,
    names_read_from_outside,
    privatize,
)
from ontspan.errors import OntspanError
from ontspan.paths import FIRMWARE_DIR

REPO = Path(__file__).parents[1]

VALUES = {"A": 5, "B": "<BBH", "C": b"\x01", "T": ((1, "hello"),)}

MODULE = '''"""Doc."""
from contract import A, B as FORMAT, T
from micropython import const


def f(x):
    return x.A + A + len(FORMAT) + len(T)
'''


def test_private_names_are_renamed_attributes_are_not():
    out = inline_contract("m.py", MODULE, VALUES, public=set())
    assert (
        "_A = const(5)" in out
        and "_FORMAT = const('<BBH')" in out
        and "_T = const(((1, 'hello'),))" in out
    )
    assert "return x.A + _A + len(_FORMAT) + len(_T)" in out
    assert "contract" not in out


def test_a_name_another_module_reads_stays_public():
    out = inline_contract("m.py", MODULE, VALUES, public={"A"})
    assert "\nA = const(5)" in out and "x.A + A +" in out


def test_const_is_imported_when_the_module_did_not():
    out = inline_contract("m.py", "from contract import A\nprint(A)\n", VALUES, public=set())
    assert out == "from micropython import const\n_A = const(5)\nprint(_A)\n"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("from contract import A\nprint(f'{A}')\n", "could not be inlined"),
        ("from contract import A\nf(A=1)\n", "as a keyword"),
        ("import contract\nfrom contract import A\n", "reads the contract module itself"),
        ("from contract import NOPE\n", "not a constant of contract.py"),
        ("from contract import A\n_A = 1\n", "`_A` is taken"),
    ],
)
def test_what_cannot_be_inlined_is_refused(source, says):
    with pytest.raises(OntspanError, match=says):
        inline_contract("m.py", source, VALUES, public=set())


def test_the_built_firmware_never_imports_the_contract():
    sources = firmware_sources(FIRMWARE_DIR)
    built = inline_all(FIRMWARE_DIR, sources)
    for path, text in built.items():
        if path.stem == "contract":
            continue
        tree = ast.parse(text)
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.ImportFrom) and node.module == "contract"), path.name
            assert not (
                isinstance(node, ast.Import) and any(a.name == "contract" for a in node.names)
            ), path.name
    # and every name one module reads from another is still there in the built text
    read = names_read_from_outside({p.stem: ast.parse(t) for p, t in built.items()})
    for path, text in built.items():
        tree = ast.parse(text)
        defined = {
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        defined |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        defined |= {
            a.asname or a.name
            for n in tree.body
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        }
        missing = {n for n in read[path.stem] if n.isupper() and n not in defined}
        assert not missing, (path.name, missing)


def test_another_modules_constants_are_taken_as_consts_and_the_rest_imported():
    src = "from gestures import TAP, Gestures\nprint(TAP, Gestures)\n"
    out = inline_imports("m.py", src, "gestures", {"TAP": 1}, public=set())
    assert (
        out
        == "from micropython import const\n_TAP = const(1)\nfrom gestures import Gestures\nprint(_TAP, Gestures)\n"
    )


def test_a_module_attribute_read_becomes_its_value():
    src = "import session as ss\nif m == ss.PLAYING or ss.Session or x.ss.PLAYING:\n    f(ss.NEG, ss.B)\n"
    out = fold_attributes("m.py", src, {"ss": {"PLAYING": 1, "NEG": -2, "B": b"\x01"}})
    assert (
        out
        == "import session as ss\nif m == 1 or ss.Session or x.ss.PLAYING:\n    f((-2), b'\\x01')\n"
    )
    with pytest.raises(OntspanError):  # a store is not a read
        fold_attributes("m.py", "import session as ss\nss.PLAYING = 2\n", {"ss": {"PLAYING": 1}})


def test_constants_are_worked_out_and_only_once_given_names_count():
    tree = ast.parse(
        "_A = const(4)\nB = _A + 1\n_C = (B, -_A, 1 << 3)\nD = [1]\nE = 1\nE = 2\n"
        "F = 3\ndef f():\n    global F\n    F = 4\n_buf = bytearray(_A)\n"
    )
    assert all_consts(tree) == {"_A": 4, "B": 5, "_C": (5, -4, 8)}


def test_privatize_renames_uses_but_not_attributes():
    out = privatize("m.py", "X = const(1)\nprint(X, o.X)\n", {"X"})
    assert out == "_X = const(1)\nprint(_X, o.X)\n"


def test_what_devices_run_from_outside_still_finds_its_names():
    """Scripts run on a device against the installed modules (the Pico bench) read
    only names the build left public."""
    built = {
        p.stem: ast.parse(t)
        for p, t in inline_all(FIRMWARE_DIR, firmware_sources(FIRMWARE_DIR)).items()
    }
    scripts = [REPO / "tests" / "mp" / "pico_handler_times.py", REPO / "bench" / "pico_rounds.py"]
    read = names_read_from_outside({s.stem: ast.parse(s.read_text()) for s in scripts}, set(built))
    for module, names in read.items():
        if module not in built:
            continue
        tree = built[module]
        defined = {
            t.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        defined |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        defined |= {
            a.asname or a.name
            for n in tree.body
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        }
        assert names <= defined, (module, names - defined)
