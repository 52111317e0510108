# A session from its START record to its END: what session.py's Session does once a
# session is on (rating, playing, pauses, the END and its outcome). It belongs to the
# cue room (cueroom.py): loaded with the engine when a session starts and dropped
# with it at idle, so an idle device (a patient's night) keeps only the Session's
# mode and the few lines that answer "busy?" and STATUS. What the session on keeps
# (its record, times, counts) is this module's too: there is one session at a time,
# the room stays from its start to its END, and it goes with the room.
#
# Flash is written only between cues: the START record before the first cue, the
# END record after the last (on the rp2 a flash erase halts everything).
import logrecord as lr
import session as ss
from micropython import const

_PAUSE_MAX_MS = const(900000)  # a session paused for 15 min is stopped: PAUSED_TOO_LONG

_rec = bytearray(lr.SIZE)  # START, then turned into END
_moment = lr.NO_MOMENT  # the planned moment it answers (reminder tap)
_rate = 0  # its rating mode: the protocol's, or the plan moment's override
_total_s = 0  # its length in seconds, worked out once when it starts (STATUS asks often)
_start_up = 0  # uptime s at the START record
_start_wall_known = False
_outcome = lr.OUT_NONE  # kept from the last cue until the END (after a rating)
_actual = 0
_blocks = 0
_groups = 0
_t0 = 0  # ticks at the first cue
_paused_at = 0
_paused_ms = 0  # pauses so far, left out of the practice time


def begin(s, t, index, moment):
    """Start protocol `index` of table t: the rating first if it asks."""
    global _moment, _rate
    dev = s.dev
    s.index = index
    _moment = moment
    _rate = t.rating(index)
    if moment != lr.NO_MOMENT:
        _rate = dev.reminders.rating(dev, moment, _rate)
    if _rate == 2:
        s.mode = ss.RATING_BEFORE
        dev.rating.begin()
    else:
        _play(s, lr.NOT_RATED)


def _play(s, before):
    global _total_s, _start_wall_known, _start_up, _paused_ms, _t0
    dev = s.dev
    t = dev.storage.table
    i = s.index
    if t is None:
        s.mode = ss.IDLE
        return
    night = dev.set_night_cap()
    _total_s = t.duration_ms(i) // 1000
    rec = _rec
    lr.pack_into(
        rec, 0, lr.START, 0, dev.log.boot, dev.up_s, 0,
        t.proto_id(i), t.crc(), min(_total_s, 0xFFFE), 0, 0, 0,
        lr.OUT_NONE, before, lr.NOT_RATED, _moment,
    )
    dev.wall_into(rec, lr.LOG_O_WALL, dev.up_s)  # Unix seconds only as halves
    lr.seal(rec, 0)
    _start_wall_known = dev.clock_set
    _start_up = dev.up_s
    _paused_ms = 0
    _append(s)
    s.record_open = True
    _t0 = dev.clk.ticks_ms()
    dev.engine.start(t, i, night)
    s.mode = ss.PLAYING


def pause(s):
    global _paused_at
    dev = s.dev
    dev.engine.pause()
    _paused_at = dev.clk.ticks_ms()
    s.mode = ss.PAUSED


def resume(s):
    global _paused_ms
    dev = s.dev
    clk = dev.clk
    _paused_ms += clk.ticks_diff(clk.ticks_ms(), _paused_at)
    dev.engine.resume()
    s.mode = ss.PLAYING


def _played_s(s):
    # practice time so far, pauses left out
    clk = s.dev.clk
    now = clk.ticks_ms()
    ms = clk.ticks_diff(now, _t0) - _paused_ms
    if s.mode == ss.PAUSED:
        ms -= clk.ticks_diff(now, _paused_at)
    return ms // 1000 if ms > 0 else 0


def ended(s, outcome):
    """The cues are over: rate if the protocol asks for it, then log."""
    global _outcome, _actual, _blocks, _groups
    dev = s.dev
    e = dev.engine
    _outcome = outcome
    _actual = _played_s(s)
    _blocks = e.blocks_done
    _groups = e.groups_done
    e.stop()
    t = dev.storage.table
    if outcome == lr.OUT_COMPLETED and t is not None and _rate:
        s.mode = ss.RATING_AFTER
        dev.rating.begin()
    else:
        _finish(s, lr.NOT_RATED)


def _finish(s, after):
    dev = s.dev
    rec = _rec
    lr.finish(rec, 0, min(_actual, 0xFFFE), min(_blocks, 254),
              min(_groups, 254), _outcome, after)
    if dev.clock_set and not _start_wall_known:
        dev.wall_into(rec, lr.LOG_O_WALL, _start_up)
        lr.seal(rec, 0)
    _append(s)
    s.record_open = False
    s.mode = ss.IDLE
    dev.board.ring.off()
    dev.board.motor.set(0)


def _append(s):
    try:
        s.dev.log.append(_rec)
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
    global _outcome, _actual, _blocks, _groups
    if s.mode == ss.PLAYING or s.mode == ss.PAUSED:
        _actual = _played_s(s)
        e = s.dev.engine
        _blocks = e.blocks_done
        _groups = e.groups_done
    _outcome = lr.OUT_FAULT
    lr.finish(_rec, 0, min(_actual, 0xFFFE), min(_blocks, 254),
              min(_groups, 254), lr.OUT_FAULT, lr.NOT_RATED)
    _append(s)
    s.record_open = False


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
        if dev.clk.ticks_diff(dev.clk.ticks_ms(), _paused_at) >= _PAUSE_MAX_MS:
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
        left = _total_s - elapsed
        st[3] = elapsed
        st[4] = left if left > 0 else 0
