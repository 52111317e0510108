# Plays one protocol of a validated table: cue edges on absolute deadlines (no drift,
# wrap-safe ticks), frames rate-limited by the clock, motor cues under an on-time cap.
# tick() allocates nothing in steady state (tests run it under heap_lock).
import touch as tc
from contract import (
    NIGHT_CAP,
    STYLE_CAP_DAY,
    STYLE_CAP_NIGHT,
    STYLE_DAY,
    STYLE_MOTOR,
    STYLE_NIGHT,
)
from light import Light
from micropython import const
from program import K_END, K_POSITION, K_RELEASE, K_TENSE, NO_GROUP, Program
from touch import Touch

# the engine's own states (STATUS reports contract STATE_*, mapped in app.py)
IDLE = const(0)  # own
PLAYING = const(1)  # own
PAUSED = const(2)  # own
DONE = const(3)

FRAME_MS = const(16)  # 62.5 frames/s when ticked often enough
_LATE_BUCKETS = const(16)  # lateness histogram 0..15 ms, last bucket is 15+
LATE_RING = const(32)  # last lateness values, ms (clamped to 255)

_DEVICE_CAP = const(255)
_MOTOR_ON_MAX_MS = const(1500)
_PAUSE_DIM_SHIFT = const(2)


class Engine:
    def __init__(
        self,
        ring,
        motor,
        clock,
        device_cap=_DEVICE_CAP,
        night_cap=NIGHT_CAP,
        motor_on_max_ms=_MOTOR_ON_MAX_MS,
        on_edge=None,
    ):
        self.ring = ring
        self.clock = clock
        self.device_cap = device_cap
        self.night_cap = night_cap
        self.prog = Program()
        self.light = Light(ring)
        self.touch = Touch(motor, clock, motor_on_max_ms)  # the board's motor applies its cap
        self.on_edge = on_edge  # optional fn(engine), called once per edge
        self.late_hist = [0] * _LATE_BUCKETS
        self.late_ring = bytearray(LATE_RING)
        self.state = IDLE
        self.night = False
        self.cap = 0
        self._table = None
        self._style = 0
        self._si = 0
        self._reset_counters()

    def _reset_counters(self):
        self.kind = 0
        self.block = NO_GROUP
        self.group = NO_GROUP
        self.t = 0  # session ms of the current edge
        self.edges = 0
        self.groups_done = 0
        self.blocks_done = 0
        self.frames = 0
        self.ticks = 0
        self.late_max = 0
        self.late_i = 0
        h = self.late_hist
        for i in range(_LATE_BUCKETS):
            h[i] = 0
        r = self.late_ring
        for i in range(LATE_RING):
            r[i] = 0
        self._t0 = 0  # ticks at session time 0 (moved on by pauses)
        self._start = 0  # ticks when the current edge began
        self._deadline = 0  # ticks when it ends
        self._next_frame = 0
        self._paused_at = 0

    def start(self, table, index, night=False):
        # Play protocol `index` of a validated Table; False if it cannot be played.
        if table.err or index < 0 or index >= table.count():
            return False
        self.stop()
        self._reset_counters()
        self._table = table
        self._si = table.style_index(index)
        self._style = table.style_at(self._si)
        self.prog.reset(table.buf, table.program(index))
        self.set_night(night)
        now = self.clock.ticks_ms()
        self._t0 = now
        self._deadline = now
        self._next_frame = now
        self.state = PLAYING
        self.tick()
        return True

    def set_night(self, night):
        # palette and caps for day or night; night colours never carry blue
        self.night = bool(night)
        t = self._table
        if t is None:
            return
        b = t.buf
        so = self._style
        src = so + (STYLE_NIGHT if night else STYLE_DAY)
        pal = self.light.pal
        for i in range(12):
            pal[i] = 0 if night and i % 3 == 2 else b[src + i]
        if night:
            # at night a colour gives the hue only: the night cap already sets how
            # bright, and a dark colour under it would sink onto the floor byte
            for j in range(0, 12, 3):
                m = pal[j] if pal[j] > pal[j + 1] else pal[j + 1]
                if m:
                    pal[j] = pal[j] * 255 // m
                    pal[j + 1] = pal[j + 1] * 255 // m
        cap = b[so + (STYLE_CAP_NIGHT if night else STYLE_CAP_DAY)]
        cap = min(cap, self.device_cap)
        if night:
            cap = min(cap, self.night_cap)
        self.cap = cap
        self.ring.set_cap(cap)
        self.touch.setup(b[so + STYLE_MOTOR], t, self._si)

    def tick(self):
        if self.state != PLAYING:
            if self.state == PAUSED:
                self.touch.service(self.clock.ticks_ms())  # the pause cue plays on
            return
        clock = self.clock
        now = clock.ticks_ms()
        self.ticks = (self.ticks + 1) & 0x3FFFFFF  # stays a small int on rp2
        while True:
            late = clock.ticks_diff(now, self._deadline)
            if late < 0:
                break
            self._edge(late)
            if self.state != PLAYING:
                return
        el = clock.ticks_diff(now, self._start)
        self.touch.update(clock.ticks_ms())  # after on_edge, which may have stalled (gc, trace)
        if clock.ticks_diff(now, self._next_frame) >= 0:
            self.light.draw(self.prog, el)
            self.ring.show()
            self.frames += 1
            nf = clock.ticks_add(self._next_frame, FRAME_MS)
            # after a stall, restart the frame schedule instead of bursting
            self._next_frame = nf if clock.ticks_diff(nf, now) > 0 else clock.ticks_add(now, FRAME_MS)

    def _edge(self, late):
        # the current edge has ended (or the session just began): move to the next
        p = self.prog
        if not p.next():
            self._finish()
            return
        k = p.kind
        self.kind = k
        self.block = p.block
        self.group = p.group
        self.t = p.t
        self.edges += 1
        in_group = k == K_POSITION or k == K_TENSE or k == K_RELEASE
        self.groups_done = p.groups_started - 1 if in_group else p.groups_started
        self.blocks_done = p.blocks_started if k == K_END else p.blocks_started - 1
        clock = self.clock
        self._start = clock.ticks_add(self._t0, p.t)
        self._deadline = clock.ticks_add(self._t0, p.t + p.dur)
        self._late(late)
        self.touch.edge(k, tc.region(p.number, p.group, p.groups) if k == K_POSITION else 0)
        f = self.on_edge
        if f is not None:
            f(self)

    def _late(self, late):
        if late > self.late_max:
            self.late_max = late
        self.late_hist[late if late < _LATE_BUCKETS - 1 else _LATE_BUCKETS - 1] += 1
        self.late_ring[self.late_i] = late if late < 255 else 255
        self.late_i = (self.late_i + 1) % LATE_RING

    def _finish(self):
        self.groups_done = self.prog.groups_started
        self.blocks_done = self.prog.blocks_started
        self._dark()
        self.state = DONE

    def _dark(self):
        self.touch.off()
        self.light.clear()
        self.ring.show()

    def ms_to_next(self, now):
        # how long the main loop may sleep before the next edge or frame is due
        if self.state != PLAYING:
            return FRAME_MS
        clock = self.clock
        a = clock.ticks_diff(self._deadline, now)
        b = clock.ticks_diff(self._next_frame, now)
        ms = a if a < b else b
        c = self.touch.left  # a motor pulse ends or begins: on time, not at the next frame
        if 0 < c < ms:
            ms = c
        return ms if ms > 0 else 0

    def elapsed_ms(self):
        # session time now (frozen while paused)
        if self.state == PLAYING:
            return self.clock.ticks_diff(self.clock.ticks_ms(), self._t0)
        if self.state == PAUSED:
            return self.clock.ticks_diff(self._paused_at, self._t0)
        return self.prog.t

    def pause(self):
        if self.state != PLAYING:
            return
        self._paused_at = self.clock.ticks_ms()
        self.state = PAUSED
        self.touch.off()
        self.touch.play(tc.PAUSE, self._paused_at)
        self.light.dim(_PAUSE_DIM_SHIFT)  # a steady low frame: paused, not finished
        self.ring.show()

    def resume(self):
        if self.state != PAUSED:
            return
        clock = self.clock
        now = clock.ticks_ms()
        d = clock.ticks_diff(now, self._paused_at)
        self._t0 = clock.ticks_add(self._t0, d)
        self._start = clock.ticks_add(self._start, d)
        self._deadline = clock.ticks_add(self._deadline, d)
        self._next_frame = now
        self.state = PLAYING
        self.touch.play(tc.RESUME, now)  # until the next edge, which always wins
        self.tick()

    def done(self):
        """The program has played to its end (the session asks, not knowing the states)."""
        return self.state == DONE

    def stop(self):
        if self.state == PLAYING or self.state == PAUSED:
            self._dark()
        self.state = IDLE


def alloc_per_ticks(engine, n, step=0):
    # bench hook: bytes the heap grew by over n ticks (gc off so nothing is freed);
    # step > 0 moves a virtual clock (one with advance(ms)) that much per tick
    import gc

    clock = engine.clock
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for _ in range(n):
        if step:
            clock.advance(step)
        engine.tick()
    b = gc.mem_alloc()
    gc.enable()
    return b - a
