# `ontspan feel`: one cue played on the motor now, so therapist and patient can
# tune the strength together; the chosen strength is kept in the config and
# every session uses it. Only while idle: FEEL is in the busy guard
# (service.WHEN_IDLE), saved or not, so it never plays over a session, a pause
# or a rating and its config write is the guard's decision too. With FEEL_STYLE
# the cue plays as the style of protocol `count` in the loaded table would.
import link
import touch as tc
from contract import FEEL_PAUSE, FEEL_RATING, FEEL_RESUME, FEEL_SAVE, FEEL_STYLE, KIND_COUNT
from program import K_PAUSE, K_POSITION


def _record(dev, t, kind, count, flags):
    # (buffer, offset) of the cue's record; offset -1: this cue has none (silent)
    if kind == FEEL_PAUSE:
        return tc.PAUSE, 0
    if kind == FEEL_RESUME:
        return tc.RESUME, 0
    if flags & FEEL_STYLE:
        table = getattr(getattr(dev, "storage", None), "table", None)
        i = table.index_of(count) if table is not None else -1
        if table is None or i < 0:
            return None, -1
        t.setup(1, table, table.style_index(i))  # strength is set after this
    else:
        t.setup_builtin()
    return t.edge_record(kind)


def play(dev, kind, count, strength, flags):
    """(status, strength used, ms the cue lasts); status 0 or a link.ERR_* code."""
    counted = kind == K_POSITION or kind == FEEL_RATING
    if not counted and kind != FEEL_PAUSE and kind != FEEL_RESUME and (kind < 1 or kind > KIND_COUNT or kind == K_PAUSE):
        return link.ERR_VALUE, 0, 0
    t = dev.cues().touch
    buf, at = (None, 0) if counted else _record(dev, t, kind, count, flags)
    if buf is None and not counted:
        return link.ERR_NO_PROTOCOL, 0, 0
    if flags & FEEL_SAVE:
        bad = dev.set_config({"touch_strength": strength})  # flash: idle only (the busy guard)
        if bad:
            return link.ERR_VALUE, 0, 0
    t.off()
    t.setup_ui()
    if not flags & FEEL_SAVE and strength != 0xFF:
        t.strength = strength  # try a strength without keeping it
    now = dev.clk.ticks_ms()
    if counted:
        t.play_count(count, now)
        ms = tc.count_ms(count)
    elif at < 0:
        ms = 0  # silent in this style: nothing to feel
    else:
        t.play(buf, now, 0, at)
        ms = tc.pattern_ms(buf, at)
    t.service(now)  # the app's loop services it from here on
    return 0, t.strength, ms
