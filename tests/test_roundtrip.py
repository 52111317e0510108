"""Round trip: random valid protocol TOML -> host checker -> compile_table -> the real
firmware decoder and engine under MicroPython on a virtual clock -> the same cue
edges (t_ms, kind, block, group) as the host timeline, and the same duration.

Hypothesis writes protocol files as text (PMR with block and group overrides,
custom groups, breathing in seconds or cycles, with or without a ramp given in
seconds or minutes, belly breathing, rest, check, repeats nested two deep) and
puts one to three of them in a table. All tables of one example are played in a
single MicroPython process (tables in a temp dir, one JSON line per protocol).

The virtual clock jumps straight to each deadline plus a small pseudo-random
overshoot, with extra ticks in between, so a whole 90-minute session costs a few
thousand ticks; it starts just before the 2^30 tick wrap so sessions cross it.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ontspan.protocols.compiler import compile_table
from ontspan.protocols.decoder import decode_table
from ontspan.protocols.model import MAX_SESSION_MS, STANDARD_GROUPS, Protocol
from ontspan.protocols.parser import parse_protocol
from ontspan.protocols.timeline import duration_ms, edges

LETTERS = sorted(STANDARD_GROUPS)
PROMPTS = ("jaw", "shoulders", "hands", "face", "belly")
MAX_OVERSHOOT = 3  # ms the virtual clock may run past a deadline before the tick

# Plays every protocol of every table in DIR (files 0.bin, 1.bin, ... COUNT-1) and
# prints one JSON line per protocol: validation error, duration, edges as the
# engine handled them, and the worst lateness it measured itself.
PLAYER = """
import json, engine, fakes, table
DIR = %r
COUNT = %d
OVER = %d
x = 987654321
def rnd(n):
    global x
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return (x >> 8) %% n
for f in range(COUNT):
    with open(DIR + '/' + str(f) + '.bin', 'rb') as fh:
        buf = fh.read()
    t = table.Table(buf)
    if t.err:
        print(json.dumps({'file': f, 'err': t.err}))
        continue
    for i in range(t.count()):
        clock = fakes.Clock(0x40000000 - 1 - rnd(20000))
        eng = engine.Engine(fakes.Ring(12), fakes.Motor(clock), clock)
        got = []
        t0 = clock.now
        def hook(e, got=got, clock=clock, t0=t0):
            got.append([e.t, e.kind, e.block, e.group, clock.ticks_diff(clock.now, t0)])
        eng.on_edge = hook
        ok = eng.start(t, i, rnd(2) == 1)
        ticks = 0
        while ok and eng.state != engine.DONE and ticks < 200000:
            d = clock.ticks_diff(eng._deadline, clock.now)
            if d > 40 and rnd(3) == 0:
                clock.advance(1 + rnd(d - 1))  # a tick between edges: frames, motor
            else:
                clock.advance((d if d > 0 else 0) + rnd(OVER + 1))
            eng.tick()
            ticks += 1
        print(json.dumps({'file': f, 'index': i, 'id': t.proto_id(i), 'err': 0, 'ok': ok,
                          'state': eng.state, 'dur': t.duration_ms(i), 'edges': got,
                          'late_max': eng.late_max, 'frames': eng.frames}))
"""


# ---------------------------------------------------------------- TOML writers


def secs(ds: int) -> str:
    """Deciseconds as a TOML number of seconds: 45 -> 4.5, 60 -> 6."""
    return str(ds // 10) if ds % 10 == 0 else f"{ds // 10}.{ds % 10}"


def kv(pairs: dict[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in pairs.items())


NUMBERED = {"oorlel": 200, "pink": 201, "wenkbrauw": 254}  # always given their own number


@st.composite
def group_item(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["letter", "standard", "custom", "numbered"]))
    over: dict[str, str] = {}
    if draw(st.booleans()):
        over["tense_s"] = secs(draw(st.integers(10, 100)))
    if draw(st.booleans()):
        over["feel_s"] = secs(draw(st.integers(50, 300)))
    if draw(st.booleans()):
        over["reps"] = str(draw(st.integers(1, 3)))
    if kind == "letter":
        return json.dumps(draw(st.sampled_from(LETTERS)))
    if kind == "standard":
        t = {"standard": json.dumps(draw(st.sampled_from(LETTERS)))}
        if draw(st.booleans()):
            t["name"] = json.dumps(draw(st.sampled_from(["voet", "kaak", "schouders"])))
    elif kind == "custom":
        name = draw(st.sampled_from(["schouders", "kaken", "handen", "tenen", "rug"]))
        t = {"name": json.dumps(name), "instruction": json.dumps("rustig aanspannen")}
    else:
        name = draw(st.sampled_from(sorted(NUMBERED)))
        t = {"name": json.dumps(name), "number": str(NUMBERED[name])}
    if kind != "standard" and draw(st.booleans()):
        t["feet"] = "true"
    return "{ " + kv({**t, **over}) + " }"


@st.composite
def pmr_block(draw: st.DrawFn) -> list[str]:
    lines = ['type = "pmr"']
    if draw(st.booleans()):
        lines.append(f"tense_s = {secs(draw(st.integers(10, 100)))}")
    if draw(st.booleans()):
        lines.append(f"feet_tense_s = {secs(draw(st.integers(10, 100)))}")
    if draw(st.booleans()):
        lines.append(f"feel_s = {secs(draw(st.integers(50, 300)))}")
    if draw(st.booleans()):
        lines.append(f"reps = {draw(st.integers(1, 3))}")
    groups = [draw(group_item()) for _ in range(draw(st.integers(1, 3)))]
    lines.append(f"groups = [{', '.join(groups)}]")
    return lines


@st.composite
def breath_block(draw: st.DrawFn) -> list[str]:
    lines = ['type = "breath"']
    mode = draw(st.sampled_from(["seconds", "minutes", "cycles"]))
    if draw(st.booleans()):
        lines.append("belly = true")
    if draw(st.booleans()):
        # a ramp: the phases are proportions, scaled to from/to breaths per minute
        # (3..10 bpm keeps every scaled phase inside its limits)
        lines.append(f"in_s = {secs(draw(st.integers(20, 60)))}")
        lines.append(f"out_s = {secs(draw(st.integers(20, 60)))}")
        if draw(st.booleans()):
            lines.append(f"hold_s = {secs(draw(st.integers(0, 20)))}")
        if draw(st.booleans()):
            lines.append(f"pause_s = {secs(draw(st.integers(0, 20)))}")
        rate = {"from_bpm": str(draw(st.integers(3, 10))), "to_bpm": str(draw(st.integers(3, 10)))}
        if draw(st.booleans()):
            rate["seconds"] = str(draw(st.integers(1, 400)))
        else:
            rate["minutes"] = draw(st.sampled_from(["1", "2", "0.5", "1.5"]))
        lines.append(f"ramp = {{ {kv(rate)} }}")
    else:
        lines.append(f"in_s = {secs(draw(st.integers(10, 80)))}")
        lines.append(f"out_s = {secs(draw(st.integers(10, 80)))}")
        if draw(st.booleans()):
            lines.append(f"hold_s = {secs(draw(st.integers(0, 40)))}")
        if draw(st.booleans()):
            lines.append(f"pause_s = {secs(draw(st.integers(0, 40)))}")
    if mode == "seconds":
        lines.append(f"seconds = {draw(st.integers(1, 300))}")
    elif mode == "minutes":
        lines.append(f"minutes = {draw(st.sampled_from(['1', '2', '0.5', '0.25']))}")
    else:
        lines.append(f"cycles = {draw(st.integers(1, 12))}")
    return lines


def simple_block(kind: str) -> st.SearchStrategy[list[str]]:
    if kind == "pmr":
        return pmr_block()
    if kind == "breath":
        return breath_block()
    if kind == "rest":
        return st.one_of(
            st.integers(10, 240).map(lambda s: ['type = "rest"', f"seconds = {s}"]),
            st.sampled_from(["1", "0.5", "2"]).map(lambda m: ['type = "rest"', f"minutes = {m}"]),
        )
    return st.tuples(st.sampled_from(PROMPTS), st.integers(3, 120)).map(
        lambda pc: ['type = "check"', f'prompt = "{pc[0]}"', f"seconds = {pc[1]}"]
    )


# a block tree: ("pmr"|"breath"|"rest"|"check", lines) or ("repeat", count, [children])
Tree = tuple


@st.composite
def block_tree(draw: st.DrawFn, depth: int) -> Tree:
    kinds = ["pmr", "breath", "rest", "check"] + (["repeat"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "repeat":
        count = draw(st.integers(2, 3))
        kids = [draw(block_tree(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
        return ("repeat", count, kids)
    return (kind, draw(simple_block(kind)))


def render(trees: list[Tree], prefix: str = "block") -> list[str]:
    out: list[str] = []
    for tree in trees:
        out.append(f"\n[[{prefix}]]")
        if tree[0] == "repeat":
            out += ['type = "repeat"', f"count = {tree[1]}"]
            out += render(tree[2], prefix + ".blocks")
        else:
            out += tree[1]
    return out


@st.composite
def protocol_text(draw: st.DrawFn, pid: int) -> str:
    head = [f"id = {pid}", f'name = "p-{pid}"', f'title = "Protocol {pid}"']
    rating = draw(st.sampled_from([None, "none", "after", "before_after"]))
    if rating:
        head.append(f'rating = "{rating}"')
    style = []
    if draw(st.booleans()):
        style = [
            "\n[style]",
            f"motor_strength = {draw(st.integers(0, 255))}",
            f"day_brightness = {draw(st.integers(1, 255))}",
            f"swell_on_breath = {draw(st.sampled_from(['true', 'false']))}",
        ]
    trees = [draw(block_tree(0)) for _ in range(draw(st.integers(1, 4)))]
    return "\n".join(head + style + render(trees)) + "\n"


def check_valid(text: str) -> Protocol | None:
    """The host must accept every generated file; None only when it is too long."""
    proto, diags = parse_protocol(text, "gen.toml")
    errors = [d for d in diags if d.severity == "error"]
    if errors and all("the session lasts" in d.message for d in errors):
        return None
    assert not errors, "\n".join(map(str, errors)) + "\n---\n" + text
    assert proto is not None
    return proto


@st.composite
def table_protocols(draw: st.DrawFn) -> list[Protocol]:
    ids = draw(st.lists(st.integers(1, 254), min_size=1, max_size=3, unique=True))
    out = []
    for pid in ids:
        proto = check_valid(draw(protocol_text(pid)))
        if proto is not None:  # over 90 min: leave it out of the table
            out.append(proto)
    if not out:  # every one was too long: a small one instead
        out.append(check_valid(f'id = {ids[0]}\nname = "x"\ntitle = "x"\n'
                               '[[block]]\ntype = "check"\nprompt = "jaw"\nseconds = 3\n'))
    return [p for p in out if p is not None]


def play_tables(mpy, tmp: Path, tables: list[bytes]) -> list[dict]:
    for i, data in enumerate(tables):
        (tmp / f"{i}.bin").write_bytes(data)
    out = mpy.check(PLAYER % (str(tmp), len(tables), MAX_OVERSHOOT), timeout=120)
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
@given(st.lists(table_protocols(), min_size=1, max_size=5))
def test_firmware_plays_what_the_host_timeline_says(mpy, tmp_path_factory, tables):
    tmp = tmp_path_factory.mktemp("rt")
    blobs = [compile_table(protos) for protos in tables]
    got = play_tables(mpy, tmp, blobs)
    want_count = sum(len(p) for p in tables)
    assert len(got) == want_count, got
    by_key = {(g["file"], g["id"]): g for g in got}
    for f, (protos, blob) in enumerate(zip(tables, blobs, strict=True)):
        decoded = decode_table(blob)
        for proto in protos:
            g = by_key[(f, proto.id)]
            assert g["err"] == 0 and g["ok"] and g["state"] == 3  # validated, played to DONE
            want = [list(e) for e in edges(proto)]
            assert want == [list(e) for e in edges(decoded.program(proto.id))]
            fw = [e[:4] for e in g["edges"]]
            assert fw == want, f"protocol {proto.id} of table {f}: first difference at " + str(
                next((i, a, b) for i, (a, b) in enumerate(zip(fw, want, strict=False)) if a != b)
                if any(a != b for a, b in zip(fw, want, strict=False))
                else f"length {len(fw)} != {len(want)}"
            )
            assert g["dur"] == duration_ms(proto) <= MAX_SESSION_MS
            # each edge was handled after its deadline and at most one overshoot late,
            # and the engine's own lateness measure agrees
            lates = [at - e[0] for e, at in zip(g["edges"], (e[4] for e in g["edges"]), strict=True)]
            assert all(0 <= late <= MAX_OVERSHOOT for late in lates), lates
            assert g["late_max"] == max(lates)
