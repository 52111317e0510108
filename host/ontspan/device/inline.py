"""The contract's values written into each firmware module as it is built for a device.

firmware/contract.py stays the one definition, and the firmware's source keeps
`from contract import X`, which the tests run as it is. On a Pico that import is
expensive: the contract module loads (its 260 names interned, its dictionary built),
and every name taken becomes a global of the importing module (one dictionary slot
each). What is built for a device instead says `_X = const(value)`, the module's
own uses of X renamed `_X`: MicroPython folds a private const() into the code and
keeps no name for it. A name another module reads (`service.STATE_IDLE`,
`from link import ERR_BUSY`) stays public: `X = const(value)` folds the module's
own uses and keeps the one global the reader needs. So no module imports the
contract on the device, and the contract module never loads there.
"""

import ast
import io
import runpy
import tokenize
from pathlib import Path

from ..errors import OntspanError

CONTRACT = "contract"


def contract_values(src: Path) -> dict[str, object]:
    """The contract's public values (ints, strings, bytes, tuples of them), as the host reads it."""
    found = runpy.run_path(str(src / f"{CONTRACT}.py"))
    return {k: v for k, v in found.items() if not k.startswith("_") and _constant(v)}


def _constant(v: object) -> bool:
    if isinstance(v, tuple):
        return all(_constant(x) for x in v)
    return isinstance(v, (int, str, bytes)) and not isinstance(v, bool)


def _module_aliases(tree: ast.Module, modules: set[str]) -> dict[str, str]:
    """Local name -> firmware module, for `import m` and `import m as n` in this module."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules:
                    out[a.asname or a.name] = a.name
    return out


def names_read_from_outside(trees: dict[str, ast.Module]) -> dict[str, set[str]]:
    """module -> names other modules read from it (`m.X`, `from m import X`)."""
    modules = set(trees)
    read: dict[str, set[str]] = {m: set() for m in modules}
    for tree in trees.values():
        aliases = _module_aliases(tree, modules)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in modules and not node.level:
                read[node.module].update(a.name for a in node.names)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                read[aliases[node.value.id]].add(node.attr)
    return read


def inline_contract(name: str, source: str, values: dict[str, object], public: set[str]) -> str:
    """`source` (module `name`) with every `from contract import` made into const() lines.

    `public`: the names other modules read from this one; they keep their global."""
    tree = ast.parse(source, name)
    imports = [
        n
        for n in tree.body
        if isinstance(n, ast.ImportFrom) and n.module == CONTRACT and not n.level
    ]
    if not imports:
        return source
    if any(
        isinstance(n, ast.Import) and any(a.name == CONTRACT for a in n.names)
        for n in ast.walk(tree)
    ):
        raise OntspanError(
            f"{name}: reads the contract module itself (`import {CONTRACT}`); "
            f"take names with `from {CONTRACT} import X`, which the build inlines"
        )
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    rename: dict[str, str] = {}
    replaced: dict[int, list[str]] = {}  # first line of an import -> its const() lines
    for node in imports:
        consts = []
        for a in node.names:
            if a.name not in values:
                raise OntspanError(
                    f"{name}:{node.lineno}: `{a.name}` is not a constant of "
                    f"{CONTRACT}.py (ints, strings, bytes and tuples of them inline)"
                )
            local = a.asname or a.name
            if local not in public and not local.startswith("_"):
                if f"_{local}" in taken:
                    raise OntspanError(
                        f"{name}: `_{local}` is taken, so `{local}` cannot be "
                        f"inlined as it; use `{local}` itself"
                    )
                rename[local] = "_" + local
            consts.append(f"{rename.get(local, local)} = const({values[a.name]!r})\n")
        replaced[node.lineno] = consts
        for ln in range(node.lineno + 1, (node.end_lineno or node.lineno) + 1):
            replaced[ln] = []
    new: list[str] = []
    for row, text in enumerate(_renamed(source, rename, set(replaced)).splitlines(keepends=True), 1):
        new.extend(replaced.get(row, [text]))
    if not any(
        isinstance(n, ast.ImportFrom)
        and n.module == "micropython"
        and any(a.name == "const" for a in n.names)
        for n in tree.body
    ):
        new.insert(_after_docstring(tree), "from micropython import const\n")
    built = "".join(new)
    _check(name, tree, built, rename)
    return built


def _after_docstring(tree: ast.Module) -> int:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return first.end_lineno or 0
    return 0


def _renamed(source: str, rename: dict[str, str], skip_lines: set[int]) -> str:
    """`source` with each name token in `rename` replaced, except attributes (`x.NAME`)."""
    if not rename:
        return source
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    prev = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if (
            tok.type == tokenize.NAME
            and tok.string in rename
            and tok.start[0] not in skip_lines
            and not (prev is not None and prev.type == tokenize.OP and prev.string == ".")
        ):
            edits.append((tok.start[0], tok.start[1], tok.end[1], rename[tok.string]))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            prev = tok
    for row, c0, c1, new in reversed(edits):
        ln = lines[row - 1]
        lines[row - 1] = ln[:c0] + new + ln[c1:]
    return "".join(lines)


def _check(name: str, source: ast.Module, text: str, rename: dict[str, str]) -> None:
    """The built module must parse and read none of the renamed names (an f-string, a
    keyword argument): a wrong build is refused here, not found on a device."""
    for node in ast.walk(ast.parse(text, name)):
        if isinstance(node, ast.Name) and node.id in rename:
            raise OntspanError(f"{name}:{node.lineno}: `{node.id}` could not be inlined here")
    for node in ast.walk(source):
        if isinstance(node, ast.keyword) and node.arg in rename:
            raise OntspanError(
                f"{name}:{node.lineno}: `{node.arg}=` is a contract name as a keyword"
            )


def inline_all(src: Path, sources: list[Path]) -> dict[Path, str]:
    """Each firmware module's text as built for a device (the contract's own file as it is)."""
    values = contract_values(src)
    texts = {p: p.read_text(encoding="utf-8") for p in sources}
    trees = {p.stem: ast.parse(t, p.name) for p, t in texts.items()}
    read = names_read_from_outside(trees)
    return {
        p: t if p.stem == CONTRACT else inline_contract(p.name, t, values, read[p.stem])
        for p, t in texts.items()
    }
