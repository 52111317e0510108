# One practice session, from the press that starts it to its END record: the
# START and END records, the tension ratings before and after, the practice
# time without pauses, and how it ended.
#
# Flash is written only between cues: the START record before the first cue,
# the END record after the last (on the rp2 a flash erase halts everything).
import logrecord as lr
from micropython import const

# what the device is doing; anything but IDLE makes it busy (see busy())
IDLE = const(0)  # own: app.py maps modes to STATUS's STATE_*
PLAYING = const(1)  # own
PAUSED = const(2)  # own
RATING_BEFORE = const(3)
RATING_AFTER = const(4)

_PAUSE_MAX_MS = const(900000)  # a session paused for 15 min is stopped: PAUSED_TOO_LONG


class Session:
    def __init__(self, dev):
        self.dev = dev  # the app: time, board, engine, rating (while a session is on), log, storage
        self.mode = IDLE
        self.index = -1  # protocol index of the current session
        self.total_s = 0  # its length in seconds, worked out once when it starts (STATUS asks often)
        self.moment = lr.NO_MOMENT  # the planned moment it answers (reminder tap)
        self.rate = 0  # its rating mode: the protocol's, or the plan moment's override
        self.rec = bytearray(lr.SIZE)  # START, then turned into END
        self._open = False  # the START is on the flash, its END is not
        self._start_up = 0  # uptime s at the START record
        self._start_wall_known = False
        self._outcome = lr.OUT_NONE  # kept from the last cue until the END (after a rating)
        self._actual = 0
        self._blocks = 0
        self._groups = 0
        self._t0 = 0  # ticks at the first cue
        self._paused_at = 0
        self._paused_ms = 0  # pauses so far, left out of the practice time

    def busy(self):
        """True while a session plays, is paused or waits for a rating: the one
        predicate the busy guard (service.py) and the storage use."""
        return self.mode != IDLE

    # -- start -------------------------------------------------------------------
    def begin(self, index, moment=lr.NO_MOMENT):
        """Start protocol `index` as the patient would: the rating first if it asks.
        `moment`: the planned moment a tap on its reminder answers."""
        dev = self.dev
        t = dev.storage.table
        if t is None or index < 0 or index >= t.count() or self.mode != IDLE:
            return False
        dev.cues()  # the cue room (app.py): loaded now, at the start, not in the loop
        self.index = index
        self.moment = moment
        self.rate = t.rating(index)
        if moment != lr.NO_MOMENT:
            self.rate = dev.reminders.rating(dev, moment, self.rate)
        if self.rate == 2:
            self.mode = RATING_BEFORE
            dev.rating.begin()
        else:
            self._play(lr.NOT_RATED)
        return True

    def _play(self, before):
        dev = self.dev
        t = dev.storage.table
        i = self.index
        if t is None:
            self.mode = IDLE
            return
        night = dev.set_night_cap()
        self.total_s = t.duration_ms(i) // 1000
        lr.pack_into(
            self.rec, 0, lr.START, 0, dev.log.boot, dev.up_s, 0,
            t.proto_id(i), t.crc(), min(self.total_s, 0xFFFE), 0, 0, 0,
            lr.OUT_NONE, before, lr.NOT_RATED, self.moment,
        )
        dev.wall_into(self.rec, lr.LOG_O_WALL, dev.up_s)  # Unix seconds only as halves
        lr.seal(self.rec, 0)
        self._start_wall_known = dev.clock_set
        self._start_up = dev.up_s
        self._paused_ms = 0
        self._append()
        self._open = True
        self._t0 = dev.clk.ticks_ms()
        dev.engine.start(t, i, night)
        self.mode = PLAYING

    # -- pause -------------------------------------------------------------------
    def pause(self):
        if self.mode == PLAYING:
            self.dev.engine.pause()
            self._paused_at = self.dev.clk.ticks_ms()
            self.mode = PAUSED

    def resume(self):
        if self.mode == PAUSED:
            clk = self.dev.clk
            self._paused_ms += clk.ticks_diff(clk.ticks_ms(), self._paused_at)
            self.dev.engine.resume()
            self.mode = PLAYING

    def played_s(self):
        """Practice time so far, pauses left out."""
        clk = self.dev.clk
        now = clk.ticks_ms()
        ms = clk.ticks_diff(now, self._t0) - self._paused_ms
        if self.mode == PAUSED:
            ms -= clk.ticks_diff(now, self._paused_at)
        return ms // 1000 if ms > 0 else 0

    # -- end ---------------------------------------------------------------------
    def ended(self, outcome):
        """The cues are over: rate if the protocol asks for it, then log."""
        dev = self.dev
        e = dev.engine
        self._outcome = outcome
        self._actual = self.played_s()
        self._blocks = e.blocks_done
        self._groups = e.groups_done
        e.stop()
        t = dev.storage.table
        if outcome == lr.OUT_COMPLETED and t is not None and self.rate:
            self.mode = RATING_AFTER
            dev.rating.begin()
        else:
            self._finish(lr.NOT_RATED)

    def _finish(self, after):
        dev = self.dev
        rec = self.rec
        lr.finish(rec, 0, min(self._actual, 0xFFFE), min(self._blocks, 254),
                  min(self._groups, 254), self._outcome, after)
        if dev.clock_set and not self._start_wall_known:
            dev.wall_into(rec, lr.LOG_O_WALL, self._start_up)
            lr.seal(rec, 0)
        self._append()
        self._open = False
        self.mode = IDLE
        dev.board.ring.off()
        dev.board.motor.set(0)

    def _append(self):
        try:
            self.dev.log.append(self.rec)
        except OSError:
            pass  # a full or failing flash must not stop the cues

    def rated(self, value):
        if self.mode == RATING_BEFORE:
            self._play(value)
        elif self.mode == RATING_AFTER:
            self._finish(value)

    def stop(self):
        """STOP from the host, or a hold on the button."""
        m = self.mode
        if m == PLAYING or m == PAUSED:
            self.ended(lr.OUT_STOPPED)
        elif m == RATING_BEFORE:
            self.mode = IDLE
            self.dev.engine.touch.off()  # the scale's felt cues end with it
            self.dev.board.ring.off()
        elif m == RATING_AFTER:
            self._finish(lr.NOT_RATED)

    def fault(self):
        """The app failed: close an open session with FAULT (the board is already off)."""
        if self._open:
            if self.mode == PLAYING or self.mode == PAUSED:
                self._actual = self.played_s()
                e = self.dev.engine
                self._blocks = e.blocks_done
                self._groups = e.groups_done
            self._outcome = lr.OUT_FAULT
            rec = self.rec
            lr.finish(rec, 0, min(self._actual, 0xFFFE), min(self._blocks, 254),
                      min(self._groups, 254), lr.OUT_FAULT, lr.NOT_RATED)
            self._append()
            self._open = False
        self.mode = IDLE

    # -- every loop pass -----------------------------------------------------------
    def step(self):
        m = self.mode
        dev = self.dev
        if m == PLAYING:
            e = dev.engine
            e.tick()
            if e.done():
                self.ended(lr.OUT_COMPLETED)
        elif m == PAUSED:
            if dev.clk.ticks_diff(dev.clk.ticks_ms(), self._paused_at) >= _PAUSE_MAX_MS:
                self.ended(lr.OUT_PAUSED_TOO_LONG)
        elif m == RATING_BEFORE or m == RATING_AFTER:
            v = dev.rating.poll()  # WAITING (-1), the value once felt back, or NOT_RATED
            if v >= 0:
                self.rated(v)

    def status_into(self, st):
        """STATUS fields into the list st: [1] pid (0 when idle), [3] elapsed_s, [4] remaining_s."""
        t = self.dev.storage.table
        m = self.mode
        st[1] = st[3] = st[4] = 0
        if t is None or m == IDLE or self.index < 0:
            return
        st[1] = t.proto_id(self.index)
        if m == PLAYING or m == PAUSED:
            elapsed = self.dev.engine.elapsed_ms() // 1000
            left = self.total_s - elapsed
            st[3] = elapsed
            st[4] = left if left > 0 else 0
