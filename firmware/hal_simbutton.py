# The simulated device's button: gestures injected over the control FIFO (tap,
# double, hold) played as pin levels of a real duration in device time, read by the
# firmware's own gesture code. Only the sim board (hal_sim.py) uses it.
import gestures
from micropython import const

_TAP_MS = const(120)
_GAP_MS = const(120)  # between the two presses of a double tap
_AFTER_MS = const(500)  # after a gesture: longer than the double-tap window, so taps stay taps
_HOLD_MS = const(2600)


class Button:
    """Injected gestures as levels of a real duration in device time. A level
    starts at the loop pass that first reads it and ends at its time, but never
    before a pass DEBOUNCE_MS after its start has read it too (the firmware's
    debounce needs that second look). While a level is held the clock is paced:
    device time passes only in the board's sleeps, each cut to land on the
    level's next edge, so a loaded host or a high speed makes a gesture slower
    in real time, never different in device time, and none is lost."""

    def __init__(self, board):
        self._board = board
        self._g = gestures.Gestures(board.clock)
        self._queue = []  # [(pressed, ms)]
        self._level = False
        self._start = 0
        self._until = 0
        self._confirmed = False  # a pass DEBOUNCE_MS after the start has read the level
        self._active = False  # a level is held (the clock is paced)

    def inject(self, name):
        q = self._queue
        if name == "tap":
            q.extend([(True, _TAP_MS), (False, _AFTER_MS)])
        elif name == "double":
            q.extend([(True, _TAP_MS), (False, _GAP_MS), (True, _TAP_MS), (False, _AFTER_MS)])
        elif name == "hold":
            q.extend([(True, _HOLD_MS), (False, _AFTER_MS)])
        else:
            return
        b = self._board
        b.trace.write("B %d %s" % (b.clock.ticks_ms(), name))

    def busy(self):
        """A gesture is waiting or still being pressed or released."""
        return self._active or len(self._queue) > 0

    def step_ms(self, ms):
        """How much device time a sleep of ms may let pass: -1 when no level is held
        (real time runs), else ms cut to the level's next edge; ms once the edge is
        due (the next pass of the loop looks at it; sleeps outside the loop run)."""
        if not self._active:
            return -1
        c = self._board.clock
        edge = self._until if self._confirmed else c.ticks_add(self._start, gestures.DEBOUNCE_MS)
        left = c.ticks_diff(edge, c.ticks_ms())
        return left if 0 < left < ms else ms

    def poll(self):
        clock = self._board.clock
        now = clock.ticks_ms()
        if self._active:
            if not self._confirmed:
                self._confirmed = clock.ticks_diff(now, self._start) >= gestures.DEBOUNCE_MS
            elif clock.ticks_diff(now, self._until) >= 0:
                self._active = False  # over: this pass reads the next level, if any
        if not self._active and self._queue:
            if not clock.frozen:
                clock.freeze()  # paced from the first edge on
            level, ms = self._queue.pop(0)
            self._level = level
            self._start = now
            self._until = clock.ticks_add(now, ms)
            self._confirmed = False
            self._active = True
        ev = self._g.update(self._level)
        if ev:
            self._board.trace.write("G %d %d" % (now, ev))
        return ev
