"""The plan file: checking with lines, the bytes for the device, pinned vectors."""

import datetime as dt
import json
import os
import struct
import zlib
from pathlib import Path

import pytest
from ontspan.plan.check import is_plan_source, load_plan, parse_plan
from ontspan.plan.model import (
    EPOCH,
    ERROR_NAMES,
    Moment,
    Plan,
    PlanError,
    check_bytes,
    day_number,
    decode_plan,
    encode_plan,
)
from ontspan.shared import C

VECTORS = Path(__file__).parent / "vectors" / "plan"
REGEN = os.environ.get("ONTSPAN_REGEN_VECTORS") == "1"
IDS = json.loads((VECTORS / "ids.json").read_text())
CODE_NAMES = {v: f"PLAN_E_{n}" for v, n in ERROR_NAMES.items()} | {0: "OK"}

GOOD = """\
[plan]
start = "2026-12-01"
weeks = 3
trial_sessions = 4
[[moment]]
time = "21:30"
protocol = "avondritueel"
days = "daily"
[[moment]]
time = "13:00"
protocol = "pmr-kort"
days = ["ma", "wo", "Fri"]
"""


def _plan(text: str) -> Plan:
    plan, diags = parse_plan(text, "p.toml")
    assert plan is not None, [str(d) for d in diags]
    return plan


def _errors(text: str) -> list[str]:
    plan, diags = parse_plan(text, "p.toml")
    assert plan is None
    return [str(d) for d in diags if d.severity == "error"]


def test_good_plan_sorts_moments_by_time() -> None:
    p = _plan(GOOD)
    assert p.start == dt.date(2026, 12, 1) and p.weeks == 3 and p.trial_sessions == 4
    assert p.moments == (
        Moment(13 * 60, "pmr-kort", 0b10101, 15),
        Moment(21 * 60 + 30, "avondritueel", 0x7F, 15),
    )
    assert p.block_end == dt.date(2026, 12, 21)
    assert is_plan_source(GOOD) and not is_plan_source("id = 1\nname = 'x'\n")


def test_days_in_dutch_and_english_and_sets() -> None:
    for days, mask in [
        ('"daily"', 0x7F), ('"weekdays"', 0x1F), ('"weekend"', 0x60), ('"zo"', 0x40),
        ('["maandag", "di", "WO", "thu", "friday", "za", "su"]', 0x7F),
        ('["mo", "tu", "we", "th", "fr", "sa", "zo."]', 0x7F),
    ]:
        p = _plan(f'[plan]\nstart = 2026-12-01\n[[moment]]\ntime = "8:05"\n'
                  f'protocol = "pmr-kort"\ndays = {days}\n')
        assert p.moments[0].days == mask and p.moments[0].minute == 8 * 60 + 5


def test_errors_name_file_line_and_key() -> None:
    errors = _errors("""\
[plan]
start = "2026-02-30"
weeks = 13
[[moment]]
time = "13:00"
protocol = "pmr-kort"
days = ["ma", "maa"]
window = 3
[[moment]]
time = "13:10"
protocol = "pmr kort"
""")
    assert errors == [
        "p.toml:2: error: plan.start: `start` must be a date like \"2026-12-01\", "
        "got '2026-02-30' (string)",
        "p.toml:3: error: plan.weeks: `weeks` is 13; allowed 1 to 12",
        "p.toml:7: error: moment[0].days[1]: 'maa' (string) is not a weekday; "
        "use ma, di, wo, do, vr, za, zo (or mon..sun)",
        "p.toml:8: error: moment[0].window: `window` is 3 min; allowed 5 to 120 min",
        "p.toml:11: error: moment[1].protocol: `protocol` is 'pmr kort'; give a protocol's "
        "name, such as 'pmr-kort'",
    ]


def test_overlap_and_midnight_are_errors() -> None:
    errors = _errors("""\
[plan]
start = 2026-12-01
window = 20
[[moment]]
time = "13:00"
protocol = "pmr-kort"
days = ["ma", "di"]
[[moment]]
time = "13:15"
protocol = "adem-4-6"
days = ["di", "wo"]
[[moment]]
time = "23:50"
protocol = "avondritueel"
window = 5
[[moment]]
time = "23:56"
protocol = "avondritueel"
""")
    assert errors == [
        "p.toml:9: error: moment[1].time: 13:15 falls in the 20-min reminder window of the "
        "13:00 moment (di); moments on one day must be a window apart",
        "p.toml:17: error: moment[3].time: the reminder window of 20 min after 23:56 runs "
        "past midnight; plan it earlier or shorten `window`",
    ]


def test_missing_parts_and_bad_toml() -> None:
    assert _errors("[plan]\nweeks = 2\n") == [
        "p.toml: error: no moments: add at least one [[moment]] with time, protocol and days",
        'p.toml:1: error: plan: missing required key `start` (the first day, e.g. "2026-12-01")',
    ]
    assert _errors("[plan\n")[0].startswith("p.toml:1: error: not valid TOML")
    moments = "".join(f'[[moment]]\ntime = "{h:02d}:00"\nprotocol = "x"\n' for h in range(17))
    assert "a plan holds at most 16" in _errors(f"[plan]\nstart = 2026-12-01\n{moments}")[0]


def test_warnings_do_not_refuse() -> None:
    plan, diags = parse_plan(GOOD.replace("weeks = 3", "weeks = 1\nend = 2026-12-03"), "p.toml")
    assert plan is not None
    assert [d.key for d in diags] == ["plan.weeks", "plan.end"]


def test_encode_decode_round_trip_and_unknown_protocol() -> None:
    p = _plan(GOOD)
    data = encode_plan(p, {"pmr-kort": 2, "avondritueel": 20})
    assert len(data) == 12 + 2 * 6 + 4 and check_bytes(data) == 0
    assert data[:4] == b"OP\x01\x02" and struct.unpack_from("<H", data, 6)[0] == day_number(p.start)
    assert struct.unpack("<I", data[-4:])[0] == zlib.crc32(data[:-4])
    back = decode_plan(data, {2: "pmr-kort", 20: "avondritueel"})
    assert back == p
    assert decode_plan(data).moments[0].protocol == "#2"
    with pytest.raises(PlanError, match="does not have: avondritueel .on the device: pmr-kort"):
        encode_plan(p, {"pmr-kort": 2})
    with pytest.raises(PlanError, match="CRC"):
        decode_plan(data[:-1] + bytes([data[-1] ^ 1]))


def test_occurrences_respect_start_end_and_days() -> None:
    p = _plan(GOOD.replace("weeks = 3", "weeks = 3\nend = 2026-12-03"))
    got = list(p.occurrences(dt.date(2026, 11, 30), dt.date(2026, 12, 5)))
    # 1 Dec 2026 is a Tuesday: Tue evening, Wed noon + evening, Thu evening, then the end
    d = dt.date
    assert got == [(d(2026, 12, 1), 1), (d(2026, 12, 2), 0), (d(2026, 12, 2), 1),
                   (d(2026, 12, 3), 1)]


# ---------------------------------------------------------------- vectors


def _reference_due(plan: Plan, day: dt.date, minute: int) -> tuple[int, int]:
    """(due moment or -1, minutes to the next window opening or -1), read from docs/plans.md."""
    due = next((i for i, m in enumerate(plan.moments) if plan.planned_on(day) and m.on(day)
                and m.minute <= minute < m.ends), -1)
    for ahead in range(8):
        d = day + dt.timedelta(days=ahead)
        for m in plan.moments:
            if plan.planned_on(d) and m.on(d) and (ahead or m.minute >= minute):
                return due, ahead * 1440 + m.minute - minute
    return due, -1


QUERIES = [("2026-11-30", "13:05"), ("2026-12-01", "00:00"), ("2026-12-01", "12:59"),
           ("2026-12-01", "13:00"), ("2026-12-01", "13:14"), ("2026-12-01", "13:15"),
           ("2026-12-07", "07:39"), ("2026-12-07", "07:40"), ("2026-12-12", "10:05"),
           ("2026-12-12", "21:59"), ("2026-12-12", "22:00"), ("2027-01-31", "21:45"),
           ("2027-02-01", "10:00"), ("2026-12-31", "23:59")]


def _vector_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    expected: dict[str, object] = {}
    for src in sorted(VECTORS.glob("*.toml")):
        plan, diags = load_plan(src)
        assert plan is not None, [str(d) for d in diags]
        data = encode_plan(plan, IDS)
        files[f"{src.stem}.bin"] = data
        cases = []
        for day_s, time_s in QUERIES:
            day = dt.date.fromisoformat(day_s)
            h, m = map(int, time_s.split(":"))
            cases.append([day_number(day), h * 60 + m, *_reference_due(plan, day, h * 60 + m)])
        expected[src.stem] = {
            "start_day": day_number(plan.start),
            "end_day": 0xFFFF if plan.end is None else day_number(plan.end),
            "weeks": plan.weeks, "trial_sessions": plan.trial_sessions, "crc": zlib.crc32(data[:-4]),
            "moments": [[m.minute, IDS[m.protocol], m.days, m.window, m.ends]
                        for m in plan.moments],
            "due": cases,
        }
    files["expected.json"] = (json.dumps(expected, indent=1) + "\n").encode()
    bad, codes = _bad_plans(files["daily.bin"])
    files.update({f"bad/{k}.bin": v for k, v in bad.items()})
    files["bad/expected.json"] = (json.dumps(codes, indent=1, sort_keys=True) + "\n").encode()
    return files


def _seal(b: bytearray) -> bytes:
    b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
    return bytes(b)


def _patched(good: bytes, **fields: int) -> bytes:
    b = bytearray(good)
    for name, value in fields.items():
        off, fmt = {"count": (3, "B"), "length": (4, "<H"), "start": (6, "<H"), "end": (8, "<H"),
                    "weeks": (10, "B"), "trial": (11, "B"), "version": (2, "B"),
                    "m0_minute": (12, "<H"), "m0_protocol": (14, "B"), "m0_days": (15, "B"),
                    "m0_window": (16, "B"), "m0_rating": (17, "B"), "m1_minute": (18, "<H"),
                    "m1_days": (21, "B")}[name]
        struct.pack_into(fmt, b, off, value)
    return _seal(b)


def _bad_plans(good: bytes) -> tuple[dict[str, bytes], dict[str, str]]:
    seventeen = bytearray(good[:12] + good[12:18] * 17 + bytes(4))
    seventeen[3] = 17
    struct.pack_into("<H", seventeen, 4, len(seventeen))
    cases = {
        "short": (good[:21], "PLAN_E_LENGTH"),
        "erased": (b"\xff" * len(good), "PLAN_E_MAGIC"),
        "magic": (_seal(bytearray(b"OS" + good[2:])), "PLAN_E_MAGIC"),
        "version": (_patched(good, version=2), "PLAN_E_VERSION"),
        "length-field": (_patched(good, length=len(good) + 6), "PLAN_E_LENGTH"),
        "count-vs-length": (_patched(good, count=3), "PLAN_E_LENGTH"),
        "crc": (good[:-1] + bytes([good[-1] ^ 0x80]), "PLAN_E_CRC"),
        "too-many": (_seal(seventeen), "PLAN_E_HEADER"),
        "start-none": (_patched(good, start=0xFFFF), "PLAN_E_HEADER"),
        "end-before-start": (_patched(good, end=100), "PLAN_E_HEADER"),
        "weeks-0": (_patched(good, weeks=0), "PLAN_E_HEADER"),
        "trial-21": (_patched(good, trial=21), "PLAN_E_HEADER"),
        "minute-1440": (_patched(good, m0_minute=1440), "PLAN_E_MOMENT"),
        "protocol-0": (_patched(good, m0_protocol=0), "PLAN_E_MOMENT"),
        "protocol-255": (_patched(good, m0_protocol=255), "PLAN_E_MOMENT"),
        "no-days": (_patched(good, m0_days=0), "PLAN_E_MOMENT"),
        "day-bit-7": (_patched(good, m0_days=0xFF), "PLAN_E_MOMENT"),
        "window-4": (_patched(good, m0_window=4), "PLAN_E_MOMENT"),
        "window-121": (_patched(good, m0_window=121), "PLAN_E_MOMENT"),
        "past-midnight": (_patched(good, m0_minute=1430, m1_minute=1435), "PLAN_E_MOMENT"),
        # a rating override's days without its mode (bits 0-1) say nothing
        "rating-days-no-mode": (_patched(good, m0_rating=4), "PLAN_E_MOMENT"),
        "unsorted": (_patched(good, m0_minute=1300), "PLAN_E_ORDER"),
        "overlap": (_patched(good, m1_minute=13 * 60 + 14), "PLAN_E_ORDER"),
    }
    return {k: v for k, (v, _) in cases.items()}, {k: c for k, (_, c) in cases.items()}


def test_pinned_vectors() -> None:
    files = _vector_files()
    if REGEN:
        for name, data in files.items():
            (VECTORS / name).write_bytes(data)
    for name, data in files.items():
        assert (VECTORS / name).read_bytes() == data, f"{name} changed; see README.md"


def test_bad_vectors_get_their_code_on_the_host() -> None:
    codes = json.loads((VECTORS / "bad" / "expected.json").read_text())
    for name, code in codes.items():
        data = (VECTORS / "bad" / f"{name}.bin").read_bytes()
        assert CODE_NAMES[check_bytes(data)] == code, name
        with pytest.raises(PlanError):
            decode_plan(data)


def test_day_zero_is_a_monday() -> None:
    assert EPOCH.weekday() == 0 and day_number(dt.date(2026, 12, 1)) == 1065
    assert dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp() == C.PLAN_EPOCH_UNIX


def test_check_command_tells_plans_from_protocols(tmp_path, capsys) -> None:
    from ontspan.cli.main import main

    good = tmp_path / "plan.toml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('"21:30"', '"21:70"'))
    proto = Path(__file__).parent.parent / "protocols" / "pmr-kort.toml"
    assert main(["check", str(good), str(proto)]) == 0
    out = capsys.readouterr().out  # neither protocol rates before and after: the trial can't
    assert out.endswith("2 file(s) checked: 0 error(s), 1 warning(s)\n")
    assert "never be rated before and after (pmr-kort asks none; avondritueel asks none)" in out
    assert main(["check", str(bad)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{bad}:6: error: moment[0].time: `time` must be a time of day like "
                   "\"21:30\", got '21:70' (string)",
                   "1 file(s) checked: 1 error(s), 0 warning(s)"]
    assert main(["check", "--json", str(tmp_path)]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["plans"] == [str(bad), str(good)] and len(doc["diagnostics"]) == 2  # + the warning


def test_moment_rating_override_in_toml_and_bytes() -> None:
    from ontspan.plan.check import parse_plan
    from ontspan.plan.ratings import trial_rating_warning

    base = ('[plan]\nstart = 2026-12-01\n[[moment]]\ntime = "21:30"\nprotocol = "avondritueel"\n')
    plan, diags = parse_plan(base + 'rating = "both"\nrating_days = 7\n')
    assert plan is not None and not diags
    m = plan.moments[0]
    assert (m.rating_mode, m.rating_days, m.rating) == ("before_after", 7, 3 | 7 << 2)
    data = encode_plan(plan, {"avondritueel": 5})
    assert check_bytes(data) == 0 and data[12 + 5] == m.rating
    assert decode_plan(data, {5: "avondritueel"}) == plan
    assert trial_rating_warning(plan) is None
    plain, _ = parse_plan(base)
    assert plain is not None and encode_plan(plain, {"avondritueel": 5})[12 + 5] == 0
    warn = trial_rating_warning(plain)
    assert warn and "avondritueel asks none" in warn and "pmr-17" in warn and "rating_days" in warn
    for bad, msg in (('rating = "before"\n', "allowed"), ("rating_days = 3\n", "goes with"),
                     ('rating = "both"\nrating_days = 64\n', "rating_days")):
        plan, diags = parse_plan(base + bad)
        assert plan is None and msg in str(diags[0]), bad
