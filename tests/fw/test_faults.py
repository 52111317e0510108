"""The app's fault window (firmware/faults.py Window) under MicroPython, on a clock near the 2^30 wrap."""

DAY = 86400 * 1000


def faults_stop(mpy, gaps, ran=None):
    """Whether the app stays at the REPL at each fault, faults `gaps` ms apart (Pico ticks)."""
    ran = ran or [0] * len(gaps)
    out = mpy.check(
        "import faults\nfrom fakes import Clock\nimport ticks\n"
        "c = Clock(ticks.PERIOD - 20000)\nw = faults.Window(c, 3, 60000)\nr = []\n"
        f"for g, up in zip({gaps!r}, {ran!r}):\n"
        "    c.advance(g)\n    r.append(int(w.fault(up)))\nprint(*r)"
    )
    return [int(x) for x in out.split()]


def test_three_faults_within_a_minute_across_the_wrap_stop_the_restarts(mpy):
    assert faults_stop(mpy, [1000, 10000, 10000]) == [0, 0, 1]  # the clock wraps between them


def test_faults_a_week_apart_never_look_recent(mpy):
    # 8 days between the first and the third is more than half the 12.4-day period:
    # a plain ticks_diff comes out negative there
    assert faults_stop(mpy, [1000, 4 * DAY, 4 * DAY, 4 * DAY]) == [0, 0, 0, 0]
    assert faults_stop(mpy, [1000, 10 * DAY, 10000, 2 * DAY]) == [0, 0, 0, 0]


def test_a_full_wrap_between_faults_counts_the_time_the_app_ran(mpy):
    # 2^30 ms + 10 s apart look 10 s apart on the ticks; the app's uptime says otherwise
    full = (1 << 30) + 10000
    assert faults_stop(mpy, [1000, full, full], [0, full, full]) == [0, 0, 0]
    assert faults_stop(mpy, [1000, 5000, 5000, 70000], [0, 5000, 5000, 70000]) == [0, 0, 1, 0]
