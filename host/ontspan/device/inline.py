"""Constants written into the firmware's code as it is built for a device.

firmware/contract.py stays the one definition, and the firmware's source keeps
`from contract import X`, `from gestures import TAP` and `ss.PLAYING`, which the
tests run as they are. On a Pico each of those costs RAM and time: the contract
module loads (its 260 names interned, its dictionary built), every name taken
becomes a global of the importing module (one dictionary slot and one interned
name), and `ss.PLAYING` is a dictionary lookup on every pass of the loop. What
is built for a device instead:

- `from contract import X` (and `from m import X` of another module's constant)
  becomes `_X = const(value)`, the module's own uses renamed `_X`: MicroPython
  folds a private const() into the code and keeps no name for it;
- `m.X` of another module's constant (an int, a short string or bytes) becomes
  the value itself;
- a constant no other module reads any more goes private where it is defined, and
  one worked out from others is worked out here.

A table or a long string stays one global that each reader looks up (a copy in
every function that reads it would cost more than its name).
No module imports the contract on the device, so it never loads there.
"""

import ast
import functools
import io
import operator
import runpy
import tokenize
from pathlib import Path

from ..errors import OntspanError

CONTRACT = "contract"
_PASSES = 8  # a constant passed on through modules settles in a pass per step
_SMALL_BYTES, _SMALL_TUPLE = 16, 8


def contract_values(src: Path) -> dict[str, object]:
    """The contract's public values (ints, strings, bytes, tuples of them), as the host reads it."""
    found = runpy.run_path(str(src / f"{CONTRACT}.py"))
    return {k: v for k, v in found.items() if not k.startswith("_") and _constant(v)}


def _constant(v: object) -> bool:
    if isinstance(v, tuple):
        return all(_constant(x) for x in v)
    return isinstance(v, (int, str, bytes)) and not isinstance(v, bool)


@functools.lru_cache(maxsize=512)
def _nodes(tree: ast.Module) -> tuple[ast.AST, ...]:
    """Every node of a parsed module, walked once (a build asks each module many times)."""
    return tuple(ast.walk(tree))


def module_consts(tree: ast.Module) -> dict[str, object]:
    """A module's public small constants (`all_consts`, `_small`)."""
    return {k: v for k, v in all_consts(tree).items() if not k.startswith("_") and _small(v)}


def all_consts(tree: ast.Module) -> dict[str, object]:
    """Every constant of a module: `NAME = const(<literal>)`, and an upper-case NAME (or
    _NAME) given, once at the top and never again, a value worked out from literals and
    the module's constants above it (`_MAX_RAW = _FRAME_HEAD + _MAX_PAYLOAD + 4`)."""
    known: dict[str, object] = {}
    again = {
        t.id
        for n in _nodes(tree)
        if isinstance(n, ast.AugAssign | ast.AnnAssign) and isinstance(t := n.target, ast.Name)
    }
    again |= {g for n in _nodes(tree) if isinstance(n, ast.Global | ast.Nonlocal) for g in n.names}
    counts: dict[str, int] = {}
    for n in _nodes(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            counts[n.id] = counts.get(n.id, 0) + 1
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            continue
        name, v = node.targets[0].id, node.value
        if isinstance(v, ast.Call) and getattr(v.func, "id", "") == "const" and len(v.args) == 1:
            v = v.args[0]
        elif not name.lstrip("_").isupper() or counts.get(name) != 1 or name in again:
            continue
        value = _value(v, known)
        if value is not _NOT and _constant(value):
            known[name] = value
    return known


_NOT = object()
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}


def _value(node: ast.expr, known: dict[str, object]) -> object:
    """The value of a constant expression (literals, known names, integer arithmetic)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return known.get(node.id, _NOT)
    if isinstance(node, ast.Tuple):
        items = [_value(e, known) for e in node.elts]
        return _NOT if _NOT in items else tuple(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Invert):
        x = _value(node.operand, known)
        if isinstance(x, int):
            return -x if isinstance(node.op, ast.USub) else ~x
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = _value(node.left, known), _value(node.right, known)
        if isinstance(a, int) and isinstance(b, int):
            return _OPS[type(node.op)](a, b)
    return _NOT


def _small(v: object) -> bool:
    """Worth a copy in each function that reads it rather than one global: an int, a
    short string or bytes, a few of those in a tuple (a name costs some 25 bytes)."""
    if isinstance(v, tuple):
        return len(v) <= _SMALL_TUPLE and all(_small(x) for x in v)
    return not isinstance(v, str | bytes) or len(v) <= _SMALL_BYTES


_NOT = object()


def as_consts(name: str, source: str, consts: dict[str, object]) -> str:
    """Each of the module's constants in `consts` defined as `NAME = const(value)`."""
    tree = ast.parse(source, name)
    lines = source.splitlines(keepends=True)
    for node in reversed(tree.body):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in consts
        ):
            target = node.targets[0].id
            end = node.end_lineno or node.lineno
            lines[node.lineno - 1 : end] = [f"{target} = const({consts[target]!r})\n"]
    return "".join(lines)


def _module_aliases(tree: ast.Module, modules: set[str]) -> dict[str, str]:
    """Local name -> firmware module, for `import m` and `import m as n` in this module."""
    out = {}
    for node in _nodes(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules:
                    out[a.asname or a.name] = a.name
    return out


def names_read_from_outside(
    trees: dict[str, ast.Module], modules: set[str] | None = None
) -> dict[str, set[str]]:
    """module -> names the modules in `trees` read from it (`m.X`, `from m import X`)."""
    modules = set(trees) | (modules or set())
    read: dict[str, set[str]] = {m: set() for m in modules}
    for tree in trees.values():
        aliases = _module_aliases(tree, modules)
        for node in _nodes(tree):
            if isinstance(node, ast.ImportFrom) and node.module in modules and not node.level:
                read[node.module].update(a.name for a in node.names)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                read[aliases[node.value.id]].add(node.attr)
    return read


def inline_imports(
    name: str,
    source: str,
    module: str,
    values: dict[str, object],
    public: set[str],
    strict: bool = False,
) -> str:
    """`source` (module `name`) with the constants it takes by `from <module> import`
    made into const() lines; other names stay imported. `public`: names other modules
    read from this one, which keep their global. `strict`: every name must be a constant."""
    tree = ast.parse(source, name)
    imports = [
        n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == module and not n.level
    ]
    if not imports or not any(a.name in values for n in imports for a in n.names) and not strict:
        return source
    if strict and any(
        isinstance(n, ast.Import) and any(a.name == module for a in n.names) for n in ast.walk(tree)
    ):
        raise OntspanError(
            f"{name}: reads the {module} module itself (`import {module}`); "
            f"take names with `from {module} import X`, which the build inlines"
        )
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    rename: dict[str, str] = {}
    replaced: dict[int, list[str]] = {}  # first line of an import -> its new lines
    for node in imports:
        lines, kept = [], []
        for a in node.names:
            local = a.asname or a.name
            if a.name not in values:
                if strict:
                    raise OntspanError(
                        f"{name}:{node.lineno}: `{a.name}` is not a constant of "
                        f"{module}.py (ints, strings, bytes and tuples of them inline)"
                    )
                kept.append(f"{a.name} as {local}" if a.asname else a.name)
                continue
            if local not in public and not local.startswith("_"):
                if f"_{local}" in taken:
                    raise OntspanError(
                        f"{name}: `_{local}` is taken, so `{local}` cannot be "
                        f"inlined as it; use `{local}` itself"
                    )
                rename[local] = "_" + local
            lines.append(f"{rename.get(local, local)} = const({values[a.name]!r})\n")
        if kept:
            lines.append(f"from {module} import {', '.join(kept)}\n")
        replaced[node.lineno] = lines
        for ln in range(node.lineno + 1, (node.end_lineno or node.lineno) + 1):
            replaced[ln] = []
    new: list[str] = []
    for row, text in enumerate(
        _renamed(source, rename, set(replaced)).splitlines(keepends=True), 1
    ):
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


def inline_contract(name: str, source: str, values: dict[str, object], public: set[str]) -> str:
    """Every `from contract import` of `source` made into const() lines."""
    return inline_imports(name, source, CONTRACT, values, public, strict=True)


def fold_attributes(name: str, source: str, consts: dict[str, dict[str, object]]) -> str:
    """`m.X` (m a local name in `consts`, X one of its constants) replaced by the value:
    an int, string or bytes is a constant of the code (a tuple is not on every port)."""
    edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    toks = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.NL, tokenize.COMMENT)
    ]
    for i in range(len(toks) - 2):
        a, dot, b = toks[i], toks[i + 1], toks[i + 2]
        if (
            a.type == tokenize.NAME
            and a.string in consts
            and dot.string == "."
            and b.type == tokenize.NAME
            and b.string in consts[a.string]
            and not (i and toks[i - 1].string == ".")
        ):
            v = consts[a.string][b.string]
            neg = isinstance(v, int) and v < 0
            edits.append((a.start, b.end, f"({v!r})" if neg else repr(v)))
    if not edits:
        return source
    lines = source.splitlines(keepends=True)
    for (row, c0), (row1, c1), text in reversed(edits):
        if row != row1:
            raise OntspanError(f"{name}:{row}: a constant read across lines")
        lines[row - 1] = lines[row - 1][:c0] + text + lines[row - 1][c1:]
    built = "".join(lines)
    try:
        ast.parse(built, name)
    except SyntaxError as e:  # `m.X = ...`: refused here, not found on a device
        raise OntspanError(f"{name}:{e.lineno}: a constant of another module is assigned") from e
    return built


def privatize(name: str, source: str, names: set[str]) -> str:
    """The module's public constants in `names` (read by no other module) made private."""
    if not names:
        return source
    tree = ast.parse(source, name)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    rename = {n: "_" + n for n in names if "_" + n not in taken}
    built = _renamed(source, rename, set())
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
                f"{name}:{node.lineno}: `{node.arg}=` is a constant's name as a keyword"
            )


def inline_all(src: Path, sources: list[Path]) -> dict[Path, str]:
    """Each firmware module's text as built for a device (the contract's own file as it is)."""
    paths = {p.stem: p for p in sources}
    texts = {m: p.read_text(encoding="utf-8") for m, p in paths.items()}
    mods = [m for m in texts if m != CONTRACT]
    values = contract_values(src)
    read = names_read_from_outside({m: ast.parse(t, m) for m, t in texts.items()})
    for m in mods:
        texts[m] = inline_contract(paths[m].name, texts[m], values, read[m])
    for _ in range(_PASSES):  # other modules' constants, until nothing changes
        trees = {m: ast.parse(texts[m], m) for m in mods}
        consts = {m: module_consts(trees[m]) for m in mods}
        read = names_read_from_outside(trees)
        before = dict(texts)
        for m in mods:
            taken_from = {n.module or "" for n in trees[m].body if isinstance(n, ast.ImportFrom)}
            for other in sorted(taken_from & set(mods) - {m}):
                texts[m] = inline_imports(paths[m].name, texts[m], other, consts[other], read[m])
            plain = {
                alias: {k: v for k, v in consts[o].items() if not isinstance(v, tuple)}
                for alias, o in _module_aliases(trees[m], set(mods)).items()
            }
            texts[m] = fold_attributes(paths[m].name, texts[m], plain)
        if texts == before:
            break
    trees = {m: ast.parse(texts[m], m) for m in mods}
    read = names_read_from_outside(trees)
    for m in mods:
        unread = {k: v for k, v in module_consts(trees[m]).items() if k not in read[m]}
        own = {k: v for k, v in all_consts(trees[m]).items() if k.startswith("_") and _small(v)}
        texts[m] = as_consts(paths[m].name, texts[m], {**own, **unread})  # no work at import
        texts[m] = privatize(paths[m].name, texts[m], set(unread))
    return {paths[m]: t for m, t in texts.items()}
