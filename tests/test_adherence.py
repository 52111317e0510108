"""Adherence against a two-week plan, from synthetic archive sessions: exact counts."""

import datetime as dt
import json
from dataclasses import dataclass

from ontspan.archive.store import Session
from ontspan.plan.check import parse_plan
from ontspan.report.adherence import LATE, MISSED, ON_TIME, PENDING, adherence

PLAN, _ = parse_plan("""\
[plan]
start = 2026-12-01
weeks = 2
trial_sessions = 4
[[moment]]
time = "13:00"
protocol = "pmr-kort"
[[moment]]
time = "21:30"
protocol = "avondritueel"
""")
assert PLAN is not None
NOON, EVENING = 0, 1


@dataclass(frozen=True)
class Row(Session):
    """An archive session with the planned moment log v2 records."""

    moment: int | None = None


_seq = iter(range(1, 1000, 2))


def row(day: int, hm: str, moment: int | None = None, before: int | None = None,
        after: int | None = None, actual_s: int | None = 900, clock: bool = True) -> Row:
    h, m = map(int, hm.split(":"))
    wall = int(dt.datetime(2026, 12, day, h, m).timestamp()) if clock else None
    return Row("dev", next(_seq), None, 1, 0, wall, "device" if clock else None, 2, "pmr-kort",
               0, 900, actual_s, 1, 0, "COMPLETED", before, after, "", moment=moment)


SESSIONS = [
    # week 1
    row(1, "13:05", NOON, 7, 4), row(1, "21:30", EVENING, 6, 3),
    row(2, "13:20", None, 5, 5),  # by time: late for noon
    row(2, "21:40", actual_s=20),  # stopped at once: not practice, the evening is missed
    row(3, "08:00", None, 8, 6),  # before the first slot: extra (but a trial session)
    row(3, "12:50"),  # in noon's slot, before the time: on time
    row(3, "13:30"),  # noon already answered: extra
    *[row(d, "13:00", NOON) for d in (4, 5, 6, 7)],
    row(4, "22:30"),  # an hour late for the evening
    # week 2
    *[row(d, "13:01", NOON) for d in (8, 9, 10)],
    *[row(d, "21:31", EVENING) for d in (8, 9, 10, 11, 12, 13)],
    row(14, "21:31", EVENING, clock=False),  # no wall clock: cannot be placed
]
REMINDED = [(dt.date(2026, 12, 3), EVENING), (dt.date(2026, 12, 11), NOON)]


def test_two_weeks_exact() -> None:
    a = adherence(PLAN, SESSIONS, dt.datetime(2026, 12, 15, 10, 0), REMINDED)
    assert a.total.to_json() == {"on_time": 16, "late": 2, "missed": 10, "planned": 28}
    assert [c.to_json() for c in a.per_moment] == [
        {"on_time": 9, "late": 1, "missed": 4, "planned": 14},
        {"on_time": 7, "late": 1, "missed": 6, "planned": 14},
    ]
    assert {w: c.to_json() for w, c in a.per_week.items()} == {
        1: {"on_time": 7, "late": 2, "missed": 5, "planned": 14},
        2: {"on_time": 9, "late": 0, "missed": 5, "planned": 14},
    }  # no week 3: after the block's last day (14 Dec) nothing is planned, missed or pending
    assert a.occurrences[-1].day == dt.date(2026, 12, 14)
    assert PENDING not in {o.status for o in a.occurrences}
    by_key = {(o.day.day, o.moment): o for o in a.occurrences}
    assert (by_key[(2, NOON)].status, by_key[(2, NOON)].delay_min) == (LATE, 20)
    assert (by_key[(3, NOON)].status, by_key[(3, NOON)].delay_min) == (ON_TIME, -10)
    assert (by_key[(4, EVENING)].status, by_key[(4, EVENING)].delay_min) == (LATE, 60)
    assert by_key[(3, EVENING)].status == MISSED and by_key[(3, EVENING)].reminded
    assert by_key[(11, NOON)].reminded and not by_key[(12, NOON)].reminded
    assert by_key[(2, EVENING)].status == MISSED and by_key[(14, EVENING)].status == MISSED
    assert len(a.extra) == 2
    assert a.block.text == "the 14-day practice block is over: time to judge"
    trial = a.trial.to_json()
    assert [(s["before"], s["after"], s["drop"]) for s in trial["sessions"]] == [
        (7, 4, 3), (6, 3, 3), (5, 5, 0), (8, 6, 2)]
    assert (trial["done"], trial["complete"], trial["drops"], trial["rated"]) == (4, True, 3, 4)
    assert (trial["mean_before"], trial["mean_after"]) == (6.5, 4.5)
    text = "\n".join(a.lines())
    assert "on time 16, late 2, missed 10; extra sessions 2" in text
    assert "3 of 4 rated showed a drop" in text


def test_mid_block_and_before_the_start() -> None:
    a = adherence(PLAN, SESSIONS, dt.datetime(2026, 12, 9, 13, 10))
    assert a.block.text == "day 9 of 14" and not a.block.time_to_judge
    # the 9th's noon was answered at 13:01; its evening is still ahead
    assert a.total.to_json() == {"on_time": 10, "late": 2, "missed": 5, "planned": 17}
    assert a.occurrences[-1].status == PENDING
    early = adherence(PLAN, [], dt.datetime(2026, 11, 28, 9, 0))
    assert early.block.text == "the practice block starts in 3 day(s)"
    assert early.occurrences == [] and early.trial.to_json()["done"] == 0


def test_a_window_that_closed_unanswered_is_missed_until_practice_comes() -> None:
    at = dt.datetime(2026, 12, 1, 13, 16)
    assert adherence(PLAN, [], at).occurrences[0].status == MISSED
    assert adherence(PLAN, [], at - dt.timedelta(minutes=2)).occurrences[0].status == PENDING
    late = adherence(PLAN, [row(1, "14:00")], at.replace(hour=15))
    assert late.occurrences[0].status == LATE


def test_report_with_a_plan_file(tmp_path, capsys) -> None:
    """Through the CLI: archive records (log v2, with moments and a MISSED record)."""
    from ontspan.archive.store import Archive
    from ontspan.cli.main import main
    from ontspan.logformat import NOT_RATED, Outcome, Record, RecordType
    from synth_logs import SYNTH_TABLE_CRC, session

    today = dt.date.today()
    start = today - dt.timedelta(days=3)
    plan = tmp_path / "plan.toml"
    # reminders end yesterday, so the test does not depend on the time of day
    plan.write_text(f'[plan]\nstart = {start}\nend = {today - dt.timedelta(days=1)}\n'
                    'weeks = 3\ntrial_sessions = 2\n'
                    '[[moment]]\ntime = "13:00"\nprotocol = "pmr-kort"\n')
    at = [dt.datetime.combine(start + dt.timedelta(days=d), dt.time(13, 2)) for d in range(3)]
    recs = session(1, at[0], before=7, after=3) + session(3, at[2].replace(hour=18), 6, 6)
    recs[0] = Record(**{**recs[0].__dict__, "moment": 0})  # answered on the device
    recs[1] = Record(**{**recs[1].__dict__, "moment": 0})
    missed_at = int(at[1].replace(minute=0).timestamp())
    recs.append(Record(RecordType.MISSED, 5, 1, 0, missed_at, 2, SYNTH_TABLE_CRC, 900, 0, 0, 0,
                       Outcome.NONE, NOT_RATED, NOT_RATED, moment=0))
    with Archive(tmp_path / "a.sqlite3") as ar:
        ar.store("pico-7", recs, names={SYNTH_TABLE_CRC: {1: "pmr-kort"}}, epoch="5eed0001")
    db = str(tmp_path / "a.sqlite3")
    out = tmp_path / "r.html"
    args = ["report", "--db", db, "-o", str(out), "--plan-file", str(plan)]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)[0]["plan"]  # one summary per device
    assert doc["total"] == {"on_time": 1, "late": 1, "missed": 1, "planned": 3}
    assert doc["block"]["text"] == "day 4 of 21"
    assert [o["reminded"] for o in doc["occurrences"][:3]] == [False, True, False]
    assert (doc["trial"]["done"], doc["trial"]["drops"]) == (2, 1)
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "day 4 of 21" in text and "on time 1, late 1, missed 1" in text
    assert "<h2>The practice plan</h2>" in out.read_text()
    plan.write_text("[plan]\nstart = 2026-02-30\n")
    assert main(args) == 2
    assert capsys.readouterr().err.startswith(f"ontspan: {plan}:2: error: not valid TOML")
