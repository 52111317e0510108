# The cue room, mixed into app.Device: the engine (light, touch, program, the
# motor patterns of haptic.py, programtime.py), the rating scale (ui.Rating) and
# what a session does once it is on (sessionplay.py, as dev.play).
# It is loaded when a cue is first needed (a session starts, the choice is
# shown, FEEL plays) and dropped when the device
# is idle again with nothing felt and no choice shown: an idle device (a
# patient's night, mostly) holds none of its code or buffers. Loading is an
# event (a tap, a request: ~12 KB of code read from flash), never a pass of the
# loop; dropping allocates nothing (the next collect frees the room).
# While a session is on (busy) the room is always there: session.py asks
# dev.engine, dev.rating and dev.play only then.
# pyright: reportAttributeAccessIssue=false
# (a mixin: board and cfg are the Device's)
import sys

# imported by nothing outside the room (table.py imports haptic and programtime where a cue asks)
_MODULES = ("sessionplay", "ui", "engine", "light", "touch", "program", "haptic", "programtime")


class CueRoom:
    engine = None  # while the room is loaded
    rating = None
    play = None  # sessionplay.py: a session once it is on

    def cues(self):
        """The engine of the cue room, loaded now if it is not (an event, not the loop)."""
        if self.engine is None:
            self._build_cues()
        return self.engine

    def drop_cues(self):
        """Idle, nothing felt, no choice shown: let the cue room go (the next collect frees it)."""
        self.engine = self.rating = self.play = None
        for m in _MODULES:
            sys.modules.pop(m, None)

    def _build_cues(self):
        import engine as eng
        import sessionplay
        import ui

        self.play = sessionplay
        b = self.board
        self.engine = eng.Engine(
            b.ring,
            b.motor,
            b.clock,
            device_cap=self.cfg["day_cap"],
            night_cap=self.cfg["night_cap"],
            on_edge=self._on_edge,
        )  # the motor cap is the motor model's (motor.py), applied once
        self.engine.touch.device_strength = self.cfg.get("touch_strength", -1)
        self.rating = ui.Rating(b.ring, b.clock, self.engine.touch)

    def _on_edge(self, e):
        # the sim records each cue edge with how late it was handled; a no-op on the Pico
        r = e.late_ring
        self.board.edge(e.kind, e.block, e.group, r[(e.late_i - 1) % len(r)])
