# A session from its START record to its END: what session.py's Session does once a
# session is on (rating, playing, pauses, the END and its outcome). It belongs to the
# cue room (cueroom.py): loaded with the engine when a session starts and dropped
# with it at idle, so an idle device (a patient's night) keeps only the Session's
# state and the few lines that answer "busy?" and STATUS.
#
# Flash is written only between cues: the START record before the first cue, the
# END record after the last (on the rp2 a flash erase halts everything).
import logrecord as lr
import session as ss
from micropython import const

_PAUSE_MAX_MS = const(900000)  # a session paused for 15 min is stopped: PAUSED_TOO_LONG


def begin(s, t, index, moment):
    """Start protocol `index` of table t: the rating first if it asks."""
    dev = s.dev
    s.index = index
    s.moment = moment
    s.rate = t.rating(index)
    if moment != lr.NO_MOMENT:
        s.rate = dev.reminders.rating(dev, moment, s.rate)
    if s.rate == 2:
        s.mode = ss.RATING_BEFORE
        dev.rating.begin()
    else:
        _play(s, lr.NOT_RATED)


def _play(s, before):
    dev = s.dev
    t = dev.storage.table
    i = s.index
    if t is None:
        s.mode = ss.IDLE
        return
    night = dev.set_night_cap()
    s.total_s = t.duration_ms(i) // 1000
    rec = s.rec
    lr.pack_into(
        rec, 0, lr.START, 0, dev.log.boot, dev.up_s, 0,
        t.proto_id(i), t.crc(), min(s.total_s, 0xFFFE), 0, 0, 0,
        lr.OUT_NONE, before, lr.NOT_RATED, s.moment,
    )
    dev.wall_into(rec, lr.LOG_O_WALL, dev.up_s)  # Unix seconds only as halves
    lr.seal(rec, 0)
    s._start_wall_known = dev.clock_set
    s._start_up = dev.up_s
    s._paused_ms = 0
    _append(s)
    s._open = True
    s._t0 = dev.clk.ticks_ms()
    dev.engine.start(t, i, night)
    s.mode = ss.PLAYING


def pause(s):
    dev = s.dev
    dev.engine.pause()
    s._paused_at = dev.clk.ticks_ms()
    s.mode = ss.PAUSED


def resume(s):
    dev = s.dev
    clk = dev.clk
    s._paused_ms += clk.ticks_diff(clk.ticks_ms(), s._paused_at)
    dev.engine.resume()
    s.mode = ss.PLAYING


def _played_s(s):
    # practice time so far, pauses left out
    clk = s.dev.clk
    now = clk.ticks_ms()
    ms = clk.ticks_diff(now, s._t0) - s._paused_ms
    if s.mode == ss.PAUSED:
        ms -= clk.ticks_diff(now, s._paused_at)
    return ms // 1000 if ms > 0 else 0


def ended(s, outcome):
    """The cues are over: rate if the protocol asks for it, then log."""
    dev = s.dev
    e = dev.engine
    s._outcome = outcome
    s._actual = _played_s(s)
    s._blocks = e.blocks_done
    s._groups = e.groups_done
    e.stop()
    t = dev.storage.table
    if outcome == lr.OUT_COMPLETED and t is not None and s.rate:
        s.mode = ss.RATING_AFTER
        dev.rating.begin()
    else:
        _finish(s, lr.NOT_RATED)


def _finish(s, after):
    dev = s.dev
    rec = s.rec
    lr.finish(rec, 0, min(s._actual, 0xFFFE), min(s._blocks, 254),
              min(s._groups, 254), s._outcome, after)
    if dev.clock_set and not s._start_wall_known:
        dev.wall_into(rec, lr.LOG_O_WALL, s._start_up)
        lr.seal(rec, 0)
    _append(s)
    s._open = False
    s.mode = ss.IDLE
    dev.board.ring.off()
    dev.board.motor.set(0)


def _append(s):
    try:
        s.dev.log.append(s.rec)
    except OSError:
        pass  # a full or failing flash must not stop the cues


def stop(s):
    """STOP from the host, or a hold on the button (a session is on)."""
    m = s.mode
    if m == ss.PLAYING or m == ss.PAUSED:
        ended(s, lr.OUT_STOPPED)
    elif m == ss.RATING_BEFORE:
        s.mode = ss.IDLE
        s.dev.engine.touch.off()  # the scale's felt cues end with it
        s.dev.board.ring.off()
    elif m == ss.RATING_AFTER:
        _finish(s, lr.NOT_RATED)


def fault(s):
    """The app failed with the START on the flash: its END says FAULT (the board is off)."""
    if s.mode == ss.PLAYING or s.mode == ss.PAUSED:
        s._actual = _played_s(s)
        e = s.dev.engine
        s._blocks = e.blocks_done
        s._groups = e.groups_done
    s._outcome = lr.OUT_FAULT
    lr.finish(s.rec, 0, min(s._actual, 0xFFFE), min(s._blocks, 254),
              min(s._groups, 254), lr.OUT_FAULT, lr.NOT_RATED)
    _append(s)
    s._open = False


def step(s):
    """A loop pass while a session is on."""
    m = s.mode
    dev = s.dev
    if m == ss.PLAYING:
        e = dev.engine
        e.tick()
        if e.done():
            ended(s, lr.OUT_COMPLETED)
    elif m == ss.PAUSED:
        if dev.clk.ticks_diff(dev.clk.ticks_ms(), s._paused_at) >= _PAUSE_MAX_MS:
            ended(s, lr.OUT_PAUSED_TOO_LONG)
    else:  # RATING_BEFORE or RATING_AFTER
        v = dev.rating.poll()  # WAITING (-1), the value once felt back, or NOT_RATED
        if v >= 0:
            if m == ss.RATING_BEFORE:
                _play(s, v)
            else:
                _finish(s, v)


def status_into(s, st, t):
    """STATUS's pid, elapsed_s and remaining_s of the session on (st[1], st[3], st[4])."""
    m = s.mode
    st[1] = t.proto_id(s.index)
    if m == ss.PLAYING or m == ss.PAUSED:
        elapsed = s.dev.engine.elapsed_ms() // 1000
        left = s.total_s - elapsed
        st[3] = elapsed
        st[4] = left if left > 0 else 0
