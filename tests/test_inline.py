"""The build writes the contract's values into each firmware module as const():
no module imports the contract on a device, and a wrong inline is refused at build."""

import ast

import pytest

from ontspan.device.inline import inline_all, inline_contract, names_read_from_outside
from ontspan.device.install import firmware_sources
from ontspan.errors import OntspanError
from ontspan.paths import FIRMWARE_DIR

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
