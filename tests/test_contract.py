"""firmware/contract.py is the one definition of every shared value: the host sees
exactly what MicroPython sees, host tables cover every code, and no module
defines a contract name a second time."""

import ast
import re
import struct
from pathlib import Path

from ontspan.device import codec, replies
from ontspan.firmware import contract
from ontspan.paths import FIRMWARE_DIR
from ontspan.protocols import decoder, haptics, ops, timeline
from ontspan.shared import code_names

REPO = Path(__file__).parents[1]
HOST_DIR = REPO / "host" / "ontspan"
PUBLIC = sorted(k for k in vars(contract) if not k.startswith("_") and k != "const")

DUMP = """
import gc
gc.collect()
before = gc.mem_alloc()
import contract
gc.collect()
print("heap", gc.mem_alloc() - before)
for k in sorted(dir(contract)):
    if not k.startswith("_") and k not in ("const", "micropython"):
        print(k, repr(getattr(contract, k)))
"""


def test_host_sees_the_values_micropython_sees(mpy):
    out = mpy.check(DUMP).splitlines()
    heap = int(out[0].split()[1])
    seen = {}
    for line in out[1:]:
        name, _, text = line.partition(" ")
        seen[name] = ast.literal_eval(text)
    host = {k: getattr(contract, k) for k in PUBLIC}
    assert seen == host
    # what importing the contract costs the firmware (unix port, 64-bit words: about
    # twice the Pico's); a guard against the module growing without anyone noticing
    print(f"contract: {len(seen)} names, {heap} bytes of heap on import")
    assert heap < 16_000


def test_every_value_is_a_const_or_a_string():
    """MicroPython keeps ints small and folded only when they are const()s."""
    src = (FIRMWARE_DIR / "contract.py").read_text()
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            name = node.targets[0].id  # type: ignore[attr-defined]
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str | bytes):
                continue
            if name == "COMMANDS":  # derived from the CMD_ values above (test below)
                continue
            assert isinstance(value, ast.Call) and value.func.id == "const", name  # type: ignore[attr-defined]


def test_commands_name_every_cmd_by_its_handler():
    assert dict(contract.COMMANDS) == {v: k.lower() for v, k in code_names("CMD_").items()}


def test_host_tables_cover_every_code():
    assert {c.value: c.name for c in codec.Cmd} == code_names("CMD_")
    assert {s.value: s.name for s in codec.Status} == code_names("ERR_", keep_prefix=True) | {
        contract.OK: "OK"
    }
    table_errors = {v for v in code_names("E_") if v != contract.E_OK}
    assert set(replies.TABLE_ERRORS) == set(replies.TABLE_REFUSALS) == table_errors
    assert set(decoder.ERROR_NAMES) == table_errors | {contract.E_OK}
    assert set(replies.FLAG_NAMES) == set(code_names("FLAG_"))
    assert set(replies.STATE_NAMES) == set(code_names("STATE_"))
    assert set(ops.OP_ARGS) == set(ops.OP_NAMES) == set(code_names("OP_"))
    assert set(timeline.KIND_NAMES) == set(code_names("K_"))
    # per-kind tables (style motor slots, the firmware's pattern arrays) hold KIND_COUNT
    assert sorted(code_names("K_")) == list(range(1, contract.KIND_COUNT + 1))


def test_firmware_serves_every_command(mpy):
    """Dispatcher finds handler `foo` for CMD_FOO: every contract command has one."""
    out = mpy.check(
        "import contract, link, service\n"
        "d = link.Dispatcher(service, None)\n"
        "print(sorted(d.table))\n"
        "print(sorted(getattr(contract, k) for k in dir(contract) if k.startswith('CMD_')))\n"
    ).split("\n")
    assert out[0] == out[1]


def _literal(v: ast.expr) -> int | bytes | None:
    if isinstance(v, ast.Call) and getattr(v.func, "id", "") == "const" and v.args:
        v = v.args[0]
    if (
        isinstance(v, ast.Constant)
        and isinstance(v.value, int | bytes)
        and not isinstance(v.value, bool)
    ):
        return v.value
    return None


def _defined(path: Path) -> list[tuple[str, int | bytes, int]]:
    """Module-level constants with their lines: NAME = <literal>, NAME = const(<literal>),
    and A, B = <literals> or range(...). A line marked `# oracle` (a deliberate
    independent copy) or `# own` (the same word for another thing) is left out."""
    text = path.read_text()
    lines = text.splitlines()
    found: list[tuple[str, int | bytes, int]] = []
    for node in ast.parse(text).body:
        if not isinstance(node, ast.Assign) or re.search(
            r"# (oracle|own)\b", lines[node.lineno - 1]
        ):
            continue
        target, v = node.targets[0], node.value
        if isinstance(target, ast.Name):
            names, values = [target.id], [_literal(v)]
        elif isinstance(target, ast.Tuple):
            names = [e.id if isinstance(e, ast.Name) else "" for e in target.elts]
            if isinstance(v, ast.Tuple):
                values = [_literal(e) for e in v.elts]
            elif isinstance(v, ast.Call) and getattr(v.func, "id", "") == "range":
                values = list(range(*(ast.literal_eval(a) for a in v.args)))
            else:
                continue
        else:
            continue
        found += [
            (n, val, node.lineno)
            for n, val in zip(names, values, strict=False)
            if n and val is not None
        ]
    return found


def _words(name: str) -> list[str]:
    return [w for w in name.split("_") if w]


def _copied(name: str, value: int | bytes) -> list[str]:
    """The contract names `name = value` copies: the same name (leading _ aside), or
    a contract name of the same value whose words it reuses, in order (NOT_RATED,
    LOG_NOT_RATED) or shuffled (RATING_STATE, STATE_RATING)."""
    bare = name.lstrip("_")
    if bare in CONTRACT:
        return [bare]
    w = _words(bare)
    hits = []
    for k, v in CONTRACT.items():
        if type(v) is not type(value) or v != value:
            continue
        it = iter(_words(k))
        if set(w) == set(_words(k)) or all(x in it for x in w):
            hits.append(k)
    return hits


CONTRACT = {k: getattr(contract, k) for k in PUBLIC}
ORACLE = REPO / "tests" / "fw" / "fwtables.py"  # the independent tables, from the docs


def test_no_module_defines_a_contract_name_again():
    copies = []
    files = [p for p in FIRMWARE_DIR.glob("*.py") if p.name != "contract.py"]
    files += list(HOST_DIR.rglob("*.py"))
    files += [p for p in (REPO / "tests").rglob("*.py") if p != ORACLE]
    files += list((REPO / "bench").rglob("*.py"))
    for path in files:
        for name, value, line in _defined(path):
            hits = _copied(name, value)
            if hits:
                copies.append(f"{path.relative_to(REPO)}:{line}: {name} = {value!r} copies {hits}")
    assert copies == []


def test_the_copy_guard_sees_copies(tmp_path):
    """The guard above must fail on each way a copy has been written."""
    f = tmp_path / "m.py"
    f.write_text(
        "from micropython import const\n"
        "_SIZE = const(32)\n"  # LOG_RECORD_SIZE
        "NOT_RATED = 255\n"  # LOG_NOT_RATED
        "RATING_STATE = 3\n"  # STATE_RATING
        "IDLE, PLAYING = 0, 1\n"  # STATE_IDLE, STATE_PLAYING
        "TABLE_MAX = 9000\n"  # a contract name, whatever its value
        "E_OK, E_LENGTH = range(2)\n"
        "PLAYING_TOO = 1\n"  # not a copy: words the contract name has not
        "PAUSED = 2  # own\n"  # marked: left out
        "STATE_IDLE = 0  # oracle\n"
    )
    found = {n: _copied(n, v) for n, v, _ in _defined(f)}
    assert found == {
        "_SIZE": ["LOG_RECORD_SIZE"],
        "NOT_RATED": ["LOG_NOT_RATED"],
        "RATING_STATE": ["STATE_RATING"],
        "IDLE": ["STATE_IDLE"],
        "PLAYING": ["STATE_PLAYING"],
        "TABLE_MAX": ["TABLE_MAX"],
        "E_OK": ["E_OK"],
        "E_LENGTH": ["E_LENGTH"],
        "PLAYING_TOO": [],
    }


DOCS = Path(__file__).parents[1] / "docs"


def _rows(text: str, header: str) -> dict[str, str]:
    """First column -> second column of the markdown table after `header`."""
    blocks = text[text.index(header) :].split("\n\n")
    block = blocks[0] if header.startswith("|") else blocks[1]
    rows = {}
    for line in block.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1]
    return rows


def test_table_format_doc_states_the_contract_limits():
    """docs/table-format.md is read by people; its numbers are held to the contract."""
    rows = _rows((DOCS / "table-format.md").read_text(), "Hard limits")
    c = contract
    want = {
        "GROUP group number": f"0..{c.GROUP_MAX}",
        "tense_ds": f"{c.TENSE_DS_MIN}..{c.TENSE_DS_MAX} ",
        "feel_ds": f"{c.FEEL_DS_MIN}..{c.FEEL_DS_MAX} ",
        "reps": f"{c.REPS_MIN}..{c.REPS_MAX}",
        "breath in/out": f"{c.BREATH_DS_MIN}..{c.BREATH_DS_MAX} ds",
        "breath hold/pause": f"0..{c.GAP_DS_MAX} ds",
        "BREATH length": f"1..{c.BREATH_S_MAX} s, or 1..{c.BREATH_CYCLES_MAX} cycles",
        "BREATH ramp_s": f"0..{c.RAMP_S_MAX}",
        "REST seconds": f"{c.REST_S_MIN}..{c.REST_S_MAX}",
        "CHECK seconds": f"{c.CHECK_S_MIN}..{c.CHECK_S_MAX}, prompt 0..{c.PROMPT_MAX}",
    }
    for field, text in want.items():
        assert rows[field].startswith(text), (field, rows[field])


def test_table_format_doc_states_the_cue_kinds():
    rows = _rows((DOCS / "table-format.md").read_text(), "| kind | code |")
    assert {int(code): kind for kind, code in rows.items()} == code_names("K_")


def _firmware_literal(module: str, name: str):
    """A module-level literal of a firmware file, read without running it."""
    for node in ast.parse((FIRMWARE_DIR / module).read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{module}: no {name}")


def test_host_builtin_patterns_are_the_firmware_records():
    """protocols/haptics.py BUILTIN (what the host previews and compiles) equals the
    records firmware/haptic.py plays for a style that says "built in"."""
    records = _firmware_literal("haptic.py", "BUILTIN")
    at = _firmware_literal("haptic.py", "BUILTIN_AT")
    firmware = {}
    for kind, off in enumerate(at, start=1):
        if off != 255:
            segs = [
                (records[off + 1 + 2 * i], records[off + 2 + 2 * i] * haptics.UNIT_MS)
                for i in range(records[off])
            ]
            firmware[timeline.KIND_NAMES[kind].lower()] = tuple(segs)
    assert firmware == haptics.BUILTIN


def test_op_sizes_are_the_host_op_layouts(mpy):
    """firmware/programtime.py keeps op sizes as code (no table in RAM): each is the
    opcode byte plus the host's argument layout (protocols/ops.py OP_ARGS)."""
    out = mpy.check(
        f"import programtime\nprint([programtime.op_size(op) for op in {sorted(ops.OP_ARGS)}])"
    )
    assert ast.literal_eval(out.strip()) == [
        1 + struct.calcsize(ops.OP_ARGS[op]) for op in sorted(ops.OP_ARGS)
    ]


def _offsets(fmt: str, start: int) -> list[int]:
    at, out = start, []
    for code in fmt.lstrip("<"):
        out.append(at)
        at += struct.calcsize("<" + code)
    return out


def test_plan_layouts_are_the_plan_offsets():
    """The host packs a plan with PLAN_*_FIELDS, the firmware reads it by PLAN_H_*/PLAN_M_*."""
    c = contract
    header = [
        c.PLAN_H_COUNT,
        c.PLAN_H_LENGTH,
        c.PLAN_H_START,
        c.PLAN_H_END,
        c.PLAN_H_WEEKS,
        c.PLAN_H_TRIAL,
    ]
    assert _offsets(c.PLAN_HEADER_FIELDS, c.PLAN_H_COUNT) == header
    assert c.PLAN_H_COUNT + struct.calcsize(c.PLAN_HEADER_FIELDS) == c.PLAN_HEADER
    moment = [c.PLAN_M_MINUTE, c.PLAN_M_PROTOCOL, c.PLAN_M_DAYS, c.PLAN_M_WINDOW, c.PLAN_M_RATING]
    assert _offsets(c.PLAN_MOMENT_FIELDS, 0) == moment
    assert struct.calcsize(c.PLAN_MOMENT_FIELDS) == c.PLAN_MOMENT
