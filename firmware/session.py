# One practice session, from the press that starts it to its END record: the
# START and END records, the tension ratings before and after, the practice
# time without pauses, and how it ended.
#
# The Session is its mode, and what an idle device asks of it: busy? (the busy
# guard), STATUS, and a tap or START that begins one. What a session does once it
# is on is sessionplay.py, part of the cue room (cueroom.py: dev.play, loaded with
# the engine when a session starts, dropped with it at idle): an idle device keeps
# none of that code, nor the session's record and times (sessionplay.py keeps them).
import logrecord as lr
from micropython import const

# what the device is doing; anything but IDLE makes it busy (see busy())
IDLE = const(0)  # own: app.py maps modes to STATUS's STATE_*
PLAYING = const(1)  # own
PAUSED = const(2)  # own
RATING_BEFORE = const(3)
RATING_AFTER = const(4)


class Session:
    def __init__(self, dev):
        self.dev = dev  # the app: time, board, engine, rating (while a session is on), log, storage
        self.mode = IDLE
        self.index = -1  # protocol index of the current session
        self.record_open = False  # its START is on the flash, its END is not (the room holds both)

    def busy(self):
        """True while a session plays, is paused or waits for a rating: the one
        predicate the busy guard (service.py) and the storage use."""
        return self.mode != IDLE

    def begin(self, index, moment=lr.NO_MOMENT):
        """Start protocol `index` as the patient would: the rating first if it asks.
        `moment`: the planned moment a tap on its reminder answers."""
        dev = self.dev
        t = dev.storage.table
        if t is None or index < 0 or index >= t.count() or self.mode != IDLE:
            return False
        dev.cues()  # the cue room (cueroom.py, with dev.play): loaded now, at the start, not in the loop
        dev.play.begin(self, t, index, moment)
        return True

    # while a session is on, the cue room is loaded (dev.play: sessionplay.py)
    def pause(self):
        if self.mode == PLAYING:
            self.dev.play.pause(self)

    def resume(self):
        if self.mode == PAUSED:
            self.dev.play.resume(self)

    def stop(self):
        """STOP from the host, or a hold on the button."""
        if self.mode != IDLE:
            self.dev.play.stop(self)

    def fault(self):
        """The app failed: close an open session with FAULT (the board is already off)."""
        if self.record_open:  # a START is written only with the cue room loaded, and it stays till the END
            self.dev.play.fault(self)
        self.mode = IDLE

    def step(self):
        if self.mode != IDLE:
            self.dev.play.step(self)

    def status_into(self, st):
        """STATUS fields into the list st: [1] pid (0 when idle), [3] elapsed_s, [4] remaining_s."""
        t = self.dev.storage.table
        st[1] = st[3] = st[4] = 0
        if t is None or self.mode == IDLE or self.index < 0:
            return
        self.dev.play.status_into(self, st, t)
