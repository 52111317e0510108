# What a gesture on the one button does in each mode (ui.py has the map):
#   idle:    tap = start (while a plan reminder glows: its moment), double tap = next
#            protocol, hold = show the choice
#   playing: tap = pause, hold = stop;  paused: tap = resume, hold = stop
#   rating:  the rating scale takes the gestures (ui.Rating)
# ui and touch belong to the cue room (app.py, Device.cues): taken in the
# functions that show a cue, so an idle device holds neither.
import gestures
import session as ss
from micropython import const

_CHOICE_MS = const(1500)  # how long the ring shows the chosen protocol


class Buttons:
    def __init__(self, dev):
        self.dev = dev
        self._choice_until = 0
        self._choice_on = False

    def on(self, ev):
        dev = self.dev
        s = dev.session
        m = s.mode
        if m == ss.RATING_BEFORE or m == ss.RATING_AFTER:
            dev.rating.event(ev)  # the value comes from rating.poll() once it is felt
        elif m == ss.PLAYING:
            if ev == gestures.TAP:
                s.pause()
            elif ev == gestures.HOLD:
                s.stop()  # ended as stopped
        elif m == ss.PAUSED:
            if ev == gestures.TAP:
                s.resume()
            elif ev == gestures.HOLD:
                s.stop()
        else:
            st = dev.storage
            if st.table is None:
                blink(dev.board, 2, 150)  # two short blinks: nothing to play yet
            elif ev == gestures.TAP:
                self._choice_on = False
                if not dev.reminders.tap(dev):  # a tap on a reminder plays its moment
                    s.begin(st.selected)
            elif ev == gestures.DOUBLE:
                st.choose_next()
                self._show_choice()
            elif ev == gestures.HOLD:
                self._show_choice()

    def showing(self):
        """The choice is on the ring (the cue room stays while it is)."""
        return self._choice_on

    def step(self):
        """Idle: the choice shown on the ring goes dark after a while."""
        if self._choice_on and self.dev.session.mode == ss.IDLE:
            clk = self.dev.clk
            if clk.ticks_diff(clk.ticks_ms(), self._choice_until) >= 0:
                self._choice_on = False
                self.dev.board.ring.off()

    def _show_choice(self):
        import touch as tc
        import ui

        dev = self.dev
        t = dev.storage.table
        if t is None:
            return
        touch = dev.cues().touch  # felt too: slot n is n slow taps (eyes closed)
        ui.show_choice(dev.board.ring, dev.storage.selected, t.count())
        now = dev.clk.ticks_ms()
        self._choice_on = True
        self._choice_until = dev.clk.ticks_add(now, _CHOICE_MS)
        touch.off()
        touch.setup_ui()
        touch.play_count(dev.storage.selected + 1, now, 0, tc.CHOICE_PERIOD_MS)


def blink(board, times, ms):
    """The on-board LED blinks `times` (the board's idle() keeps the link served)."""
    status = board.status
    for _ in range(times):
        status.value(1)
        board.idle(ms)
        status.value(0)
        board.idle(ms)
