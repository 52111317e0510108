# `ontspan feel`: one cue played on the motor now, so therapist and patient can
# tune the strength together; the chosen strength is kept in the config and
# every session uses it. Only while no session or rating runs.
import link
import touch as tc
from contract import FEEL_PAUSE, FEEL_RATING, FEEL_RESUME, FEEL_SAVE
from program import K_POSITION


def _pattern(kind):
    if kind == FEEL_PAUSE:
        return tc.PAUSE
    if kind == FEEL_RESUME:
        return tc.RESUME
    return tc.edge_pattern(kind, 0xFF)


def play(dev, kind, count, strength, flags):
    """(status, strength used, ms the cue lasts); status 0 or a link.ERR_* code."""
    if dev.busy():  # never over a session, a pause or a rating
        return link.ERR_BUSY, 0, 0
    counted = kind == K_POSITION or kind == FEEL_RATING
    pat = None if counted else _pattern(kind)
    if pat is None and not counted:
        return link.ERR_VALUE, 0, 0
    t = dev.engine.touch
    if flags & FEEL_SAVE:
        bad = dev.set_config({"touch_strength": strength})  # flash: only here, while idle
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
    else:
        t.play(pat, now)
        ms = tc.pattern_ms(pat)
    t.service(now)  # the app's loop services it from here on
    return 0, t.strength, ms
