# Motor cues for eyes closed (see docs/cues.md): each cue kind is a rhythm
# (pulse count, grouping, duration), never an intensity, so it is told apart
# lying in the dark. Levels are 0..255 of the session's strength; the board's
# motor model applies the device's motor cap and kick-starts the ERM.
# Integers only, no allocation (tick runs under heap_lock in the tests).
from contract import KIND_COUNT, TOUCH_STRENGTH
from haptic import (
    BUILTIN,
    builtin_at,
    left_at,
    level_at,
    motor_buf,
    motor_pattern,
    pattern_ms,
    position_taps,
)
from micropython import const
from program import K_POSITION

# Edge patterns come from the style (haptic.py, haptic.motor_pattern); the
# one-shots below are records of the same form: a segment count, then
# (level, time in 10 ms) pairs; level 255 = the session's strength, 0 = a gap.
PAUSE = b"\x01\xff\x3c"  # one long 600 ms: paused
RESUME = b"\x03\xff\x0a\x00\x0a\xff\x0a"  # . .  quick pair: going on
STEP_UP = b"\x01\xff\x0a"  # rating one up: one tap
STEP_DOWN = b"\x03\xff\x0a\x00\x0c\xff\x0a"  # rating one down: two taps
STEP_EDGE = b"\x01\xff\x28"  # rating reached 0 or 10: one long
# states outside the cues, each a rhythm no cue kind has (docs/cues.md, Every felt signature)
RATING_OPEN = b"\x05\xff\x28\x00\x14\xff\x0a\x00\x0f\xff\x0a"  # - . .  the scale waits: 400/200/100/150/100
RATING_DONE = b"\x03\xff\x32\x00\x14\xff\x0a"  # - .  taken: 500/200/100, then the value
RATING_TIMEOUT = b"\x05\xff\x0a\x00\x0f\xff\x32\x00\x0f\xff\x0a"  # . - .  not rated, going on: 100/150/500/150/100

GAP_MS = const(100)  # silence before any pulse: an ERM merges pulses closer than this

# counted taps: position (body region 1..4) and the rating played back
_COUNT_ON_MS = const(120)
_COUNT_PERIOD_MS = const(370)  # 120 on, 250 off
CHOICE_PERIOD_MS = const(500)  # the protocol chosen (slot n: n taps), slower: 120 on, 380 off
_COUNT_GROUP = const(5)  # after every 5th tap a longer gap
_COUNT_GROUP_GAP_MS = const(400)
_ZERO_MS = const(500)  # a count of 0 is one long pulse

# body region of the 17 standard PMR groups a..q: 1 legs, 2 trunk, 3 arms, 4 face and neck
_REGION = const(b"\x01\x01\x01\x01\x01\x01\x02\x02\x03\x03\x03\x03\x02\x04\x04\x04\x04")


def region(number, group, groups):
    """Taps for a PMR group: its body region if standard, else its place in the
    block (first 1, last 4, the others spread between)."""
    if number < len(_REGION):
        return _REGION[number]
    if groups < 2:
        return 1
    return 1 + group * 3 // (groups - 1)


def count_left(count, el, ms=_COUNT_PERIOD_MS):
    # ms until counted taps next change (on/off), el ms after they start
    if count <= 0:
        return _ZERO_MS - el if el < _ZERO_MS else 0
    group_ms = _COUNT_GROUP * ms + _COUNT_GROUP_GAP_MS
    r = el % group_ms
    k = r // ms
    if k >= _COUNT_GROUP:
        return group_ms - r
    o = r - k * ms
    return _COUNT_ON_MS - o if o < _COUNT_ON_MS else ms - o


def count_at(count, el, ms=_COUNT_PERIOD_MS):
    # 0..255 of `count` counted taps el ms after they start
    if count <= 0:
        return 255 if el < _ZERO_MS else 0
    group_ms = _COUNT_GROUP * ms + _COUNT_GROUP_GAP_MS
    g = el // group_ms
    el -= g * group_ms
    k = el // ms
    if k >= _COUNT_GROUP or g * _COUNT_GROUP + k >= count:
        return 0
    return 255 if el - k * ms < _COUNT_ON_MS else 0


def count_ms(count, ms=_COUNT_PERIOD_MS):
    # how long `count` counted taps last
    if count <= 0:
        return _ZERO_MS
    g = (count - 1) // _COUNT_GROUP
    k = count - 1 - g * _COUNT_GROUP
    return g * (_COUNT_GROUP * ms + _COUNT_GROUP_GAP_MS) + k * ms + _COUNT_ON_MS


class Touch:
    """Plays the current edge's pattern (edge(), update()) and one-shot cues
    (play(), play_count(), service()) such as pause, resume and rating steps.
    A new edge always wins over a one-shot, so every edge is felt at its start."""

    def __init__(self, motor, clock, on_max_ms):
        self.motor = motor
        self.clock = clock
        self.on_max_ms = on_max_ms  # longest continuous on-time, whatever a pattern says
        self.strength = 0  # of this session (or of the rating), 0..255
        self.device_strength = -1  # the patient's own (config touch_strength); -1 = not set
        self.level = 0
        self._bufs = [BUILTIN] * (KIND_COUNT + 1)  # per cue kind 1..KIND_COUNT: where its record is (the table or BUILTIN)
        self._pat = [-1] * (KIND_COUNT + 1)  # per cue kind 1..KIND_COUNT: offset of its record there, -1 = silent
        self._ebuf = BUILTIN  # the current edge's buffer
        self.taps = False  # POSITION edges tap the body region
        self._edge = -1  # offset of the current edge's record in _ebuf
        self._edge_count = -1  # or its counted taps (position)
        self._edge_t = 0  # ticks when the current edge was handled
        self._shot = None  # a one-shot record (bytes)
        self._shot_at = 0  # its offset in _shot
        self._shot_count = -1  # or counted taps
        self._shot_t = 0
        self._shot_lead = 0  # ms of quiet before the one-shot
        self._since = -1  # on: when the pulse began; off: when the last one ended while
        # its gap is owed (GAP_MS), else -1
        self._locked = False
        self.left = 0  # ms until the pattern next changes (0: nothing due); the loop wakes then

    def setup(self, style_strength, table, si):
        # a session: the patient's strength if set, else the style's; a style of 0
        # stays off; the style's pattern per cue kind (haptic.motor_pattern)
        d = self.device_strength
        self.strength = 0 if style_strength == 0 else (d if d >= 0 else style_strength)
        pat = self._pat
        bufs = self._bufs
        for k in range(1, KIND_COUNT + 1):
            pat[k] = motor_pattern(table, si, k)
            bufs[k] = motor_buf(table, si, k)
        self.taps = position_taps(table, si)

    def setup_builtin(self):
        # the built-in patterns for every kind (feel without a protocol)
        for k in range(1, KIND_COUNT + 1):
            self._bufs[k] = BUILTIN
            self._pat[k] = builtin_at(k)
        self.taps = True

    def setup_ui(self):
        # outside a session (rating, feel): the patient's strength, else the default
        d = self.device_strength
        self.strength = d if d >= 0 else TOUCH_STRENGTH

    def edge_record(self, kind):
        # (buffer, offset) of cue kind `kind` under the current style; offset -1: silent
        if kind < 1 or kind > KIND_COUNT:
            return BUILTIN, -1
        return self._bufs[kind], self._pat[kind]

    def off(self):
        # the gap after a pulse cut here still holds for whatever plays next
        if self.level:
            self._set(0, self.clock.ticks_ms())
        self._edge = -1
        self._edge_count = -1
        self._shot = None
        self._shot_count = -1
        self._locked = False
        self.level = 0
        self.motor.set(0)

    def edge(self, kind, count):
        # a new edge starts: its pattern (position: `count` taps), one-shots end.
        # The pattern's time starts at the first update, not at the edge's
        # deadline, so an edge handled late still plays its first pulse whole.
        self._edge_t = -1
        self._shot = None
        self._shot_count = -1
        self._edge = -1
        self._edge_count = -1
        if kind == K_POSITION:
            if self.taps:
                self._edge_count = count
        elif 1 <= kind <= KIND_COUNT:
            self._edge = self._pat[kind]
            self._ebuf = self._bufs[kind]

    def play(self, pat, now, lead_ms=0, at=0):
        # a one-shot cue now (or after lead_ms of quiet): the record at `at` in `pat`
        self._shot = pat
        self._shot_at = at
        self._shot_count = -1
        self._shot_t = now
        self._shot_lead = lead_ms

    def play_count(self, count, now, lead_ms=0, ms=_COUNT_PERIOD_MS):
        # `count` taps, one every `ms` (the choice: CHOICE_PERIOD_MS)
        self._shot = None
        self._shot_count = count
        self._shot_at = ms  # (a record's offset for a pattern; the tap period for counted taps)
        self._shot_t = now
        self._shot_lead = lead_ms

    def busy(self, now):
        # a one-shot is still playing, or the gap after its last pulse is not over
        # (what follows, a session's first cue, then starts on time)
        if self._shot is None and self._shot_count < 0:
            return not self.level and self._since >= 0 and self.clock.ticks_diff(now, self._since) < GAP_MS
        el = self.clock.ticks_diff(now, self._shot_t) - self._shot_lead
        if self._shot is not None:
            return el < pattern_ms(self._shot, self._shot_at)
        return el < count_ms(self._shot_count, self._shot_at)

    def _shot_level(self, now):
        # 0..255 of the one-shot now, or -1 when none is playing
        if self._shot is None and self._shot_count < 0:
            return -1
        el = self.clock.ticks_diff(now, self._shot_t) - self._shot_lead
        if el < 0:
            self.left = -el
            return 0
        sh = self._shot
        if sh is not None:
            at = self._shot_at
            if el < pattern_ms(sh, at):
                self.left = left_at(sh, at, el)
                return level_at(sh, at, el)
            self._shot = None
        elif el < count_ms(self._shot_count, self._shot_at):
            self.left = count_left(self._shot_count, el, self._shot_at)
            return count_at(self._shot_count, el, self._shot_at)
        self._shot_count = -1
        return -1

    def update(self, now):
        # every tick while a session plays
        lv = self._shot_level(now)
        if lv < 0:
            if self._edge_t < 0:
                self._edge_t = now
                if self.level:  # a pulse the new edge cuts ends here; its gap comes first
                    self._set(0, now)
            el = self.clock.ticks_diff(now, self._edge_t)
            if el < 0:  # moved on for a gap: not begun yet
                lv = 0
                self.left = -el
            elif self._edge >= 0:
                lv = level_at(self._ebuf, self._edge, el)
                self.left = left_at(self._ebuf, self._edge, el)
            elif self._edge_count >= 0:
                lv = count_at(self._edge_count, el)
                self.left = count_left(self._edge_count, el) if el < count_ms(self._edge_count) else 0
            else:
                lv = 0
                self.left = 0
        self._set(lv, now)

    def service(self, now):
        # outside a session's ticks (paused, rating): only one-shots play
        self.left = 0
        lv = self._shot_level(now)
        self._set(lv if lv > 0 else 0, now)

    def _set(self, lv, now):
        # every motor change passes here, so every felt sequence keeps its gaps: a
        # pulse due less than GAP_MS after the last one ended waits, and the rest of
        # its pattern (the one-shot's if one plays, else the edge's) moves on with it
        clock = self.clock
        lv = lv * self.strength // 255
        if not self.level and self._since >= 0 and clock.ticks_diff(now, self._since) >= GAP_MS:
            self._since = -1  # paid (and forgotten: ticks_diff of an old off would wrap)
        if lv == 0:
            self._locked = False
        elif self._locked:
            lv = 0  # stays off until the cue itself lets go
        elif self.level == 0:
            if self._since >= 0:
                d = GAP_MS - clock.ticks_diff(now, self._since)
                if self._shot is not None or self._shot_count >= 0:
                    self._shot_t = clock.ticks_add(self._shot_t, d)
                else:
                    self._edge_t = clock.ticks_add(self._edge_t, d)
                self.left = d
                return
            self._since = now
        elif clock.ticks_diff(now, self._since) >= self.on_max_ms:
            lv = 0
            self._locked = True
        if lv != self.level:
            if not lv:  # the gap owed from now; none for a pulse cut in the ms it began
                self._since = now if clock.ticks_diff(now, self._since) > 0 else -1
            self.level = lv
            self.motor.set(lv)
