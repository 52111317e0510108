# Motor cues for eyes closed (see docs/cues.md): each cue kind is a rhythm
# (pulse count, grouping, duration), never an intensity, so it is told apart
# lying in the dark. Levels are 0..255 of the session's strength; the board's
# motor model applies the device's motor cap and kick-starts the ERM.
# Integers only, no allocation (tick runs under heap_lock in the tests).
from contract import PATTERN_DOUBLE, PATTERN_PULSE, PATTERN_SWELL, PATTERN_TAPS, TOUCH_STRENGTH
from micropython import const
from program import K_CHECK, K_END, K_HOLD, K_IN, K_OUT, K_POSITION, K_RELEASE, K_REST, K_TENSE

# style pattern bits (contract PATTERN_*): which cue families are felt

# A pattern is pairs of (level, time in 10 ms); level 255 = the session's
# strength, 0 = a gap. Pulses >= 100 ms and gaps >= 100 ms: an ERM coin needs
# 50-100 ms to spin up, and shorter gaps merge two pulses into one.
TENSE = b"\xff\x0a\x00\x0a\xff\x0a\x00\x0a\xff\x1e"  # . . -  short, short, long: tension builds
RELEASE = b"\xff\x1e\xc0\x1e\x80\x1e"  # one long pulse that steps down: letting go
IN = b"\xff\x14"  # .  one pulse, 200 ms
HOLD = b"\xff\x32"  # -  one steady pulse, 500 ms
OUT = b"\xff\x0c\x00\x0f\xff\x0c"  # . .  two pulses, 120 ms (breath pacers: in 1, out 2)
REST = b"\xff\x28\x00\x1e\xff\x28"  # - -  two long, slow
CHECK = b"\xff\x0a\x00\x0f\xff\x28"  # . -  a short and a long: look inward
END = b"\xff\x1e\x00\x1e\xff\x1e\x00\x1e\xff\x1e"  # - - -  three long
PAUSE = b"\xff\x3c"  # one long 600 ms: paused
RESUME = b"\xff\x0a\x00\x0a\xff\x0a"  # . .  quick pair: going on
STEP_UP = b"\xff\x0a"  # rating one up: one tap
STEP_DOWN = b"\xff\x0a\x00\x0c\xff\x0a"  # rating one down: two taps
STEP_EDGE = b"\xff\x28"  # rating reached 0 or 10: one long

# counted taps: position (body region 1..4) and the rating played back
_COUNT_ON_MS = const(120)
_COUNT_PERIOD_MS = const(370)  # 120 on, 250 off
_COUNT_GROUP = const(5)  # after every 5th tap a longer gap
_COUNT_GROUP_GAP_MS = const(400)
_ZERO_MS = const(500)  # a count of 0 is one long pulse

# body region of the 17 standard PMR groups a..q: 1 legs, 2 trunk, 3 arms, 4 face and neck
REGION = b"\x01\x01\x01\x01\x01\x01\x02\x02\x03\x03\x03\x03\x02\x04\x04\x04\x04"


def region(number, group, groups):
    """Taps for a PMR group: its body region if standard, else its place in the
    block (first 1, last 4, the others spread between)."""
    if number < len(REGION):
        return REGION[number]
    if groups < 2:
        return 1
    return 1 + group * 3 // (groups - 1)


def edge_pattern(kind, bits):
    # the pattern an edge of this kind plays under style bits, or None
    if kind == K_TENSE:
        return TENSE if bits & PATTERN_TAPS else None
    if kind == K_RELEASE:
        return RELEASE if bits & PATTERN_PULSE else None
    if kind == K_IN:
        return IN if bits & PATTERN_SWELL else None
    if kind == K_HOLD:
        return HOLD if bits & PATTERN_SWELL else None
    if kind == K_OUT:
        return OUT if bits & PATTERN_SWELL else None
    if kind == K_REST:
        return REST if bits & PATTERN_DOUBLE else None
    if kind == K_CHECK:
        return CHECK if bits & PATTERN_DOUBLE else None
    if kind == K_END:
        return END if bits & PATTERN_DOUBLE else None
    return None


def level_at(pat, el):
    # 0..255 of pattern `pat` el ms after its start; 0 once it is over
    i = 0
    n = len(pat)
    while i < n:
        ms = pat[i + 1] * 10
        if el < ms:
            return pat[i]
        el -= ms
        i += 2
    return 0


def left_at(pat, el):
    # ms until pattern `pat` next changes level, el ms after its start (0 when over)
    i = 0
    n = len(pat)
    while i < n:
        ms = pat[i + 1] * 10
        if el < ms:
            return ms - el
        el -= ms
        i += 2
    return 0


def count_left(count, el):
    # ms until counted taps next change (on/off), el ms after they start
    if count <= 0:
        return _ZERO_MS - el if el < _ZERO_MS else 0
    group_ms = _COUNT_GROUP * _COUNT_PERIOD_MS + _COUNT_GROUP_GAP_MS
    r = el % group_ms
    k = r // _COUNT_PERIOD_MS
    if k >= _COUNT_GROUP:
        return group_ms - r
    o = r - k * _COUNT_PERIOD_MS
    return _COUNT_ON_MS - o if o < _COUNT_ON_MS else _COUNT_PERIOD_MS - o


def count_at(count, el):
    # 0..255 of `count` counted taps el ms after they start
    if count <= 0:
        return 255 if el < _ZERO_MS else 0
    group_ms = _COUNT_GROUP * _COUNT_PERIOD_MS + _COUNT_GROUP_GAP_MS
    g = el // group_ms
    el -= g * group_ms
    k = el // _COUNT_PERIOD_MS
    if k >= _COUNT_GROUP or g * _COUNT_GROUP + k >= count:
        return 0
    return 255 if el - k * _COUNT_PERIOD_MS < _COUNT_ON_MS else 0


def count_ms(count):
    # how long `count` counted taps last
    if count <= 0:
        return _ZERO_MS
    g = (count - 1) // _COUNT_GROUP
    k = count - 1 - g * _COUNT_GROUP
    return g * (_COUNT_GROUP * _COUNT_PERIOD_MS + _COUNT_GROUP_GAP_MS) + k * _COUNT_PERIOD_MS + _COUNT_ON_MS


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
        self.pattern = 0  # style bits
        self.level = 0
        self._edge = None  # the current edge's pattern
        self._edge_count = -1  # or its counted taps (position)
        self._edge_t = 0  # ticks when the current edge was handled
        self._shot = None  # a one-shot pattern
        self._shot_count = -1  # or counted taps
        self._shot_t = 0
        self._shot_lead = 0  # ms of quiet before the one-shot
        self._since = 0
        self._locked = False
        self.left = 0  # ms until the pattern next changes (0: nothing due); the loop wakes then

    def setup(self, style_strength, pattern):
        # a session: the patient's strength if set, else the style's; a style of 0 stays off
        d = self.device_strength
        self.strength = 0 if style_strength == 0 else (d if d >= 0 else style_strength)
        self.pattern = pattern

    def setup_ui(self):
        # outside a session (rating, feel): the patient's strength, else the default
        d = self.device_strength
        self.strength = d if d >= 0 else TOUCH_STRENGTH

    def off(self):
        self._edge = None
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
        self._edge = None
        self._edge_count = -1
        if kind == K_POSITION:
            if self.pattern & PATTERN_TAPS:
                self._edge_count = count
        else:
            self._edge = edge_pattern(kind, self.pattern)

    def play(self, pat, now, lead_ms=0):
        # a one-shot cue now (or after lead_ms of quiet)
        self._shot = pat
        self._shot_count = -1
        self._shot_t = now
        self._shot_lead = lead_ms

    def play_count(self, count, now, lead_ms=0):
        self._shot = None
        self._shot_count = count
        self._shot_t = now
        self._shot_lead = lead_ms

    def busy(self, now):
        # a one-shot is still playing
        if self._shot is None and self._shot_count < 0:
            return False
        el = self.clock.ticks_diff(now, self._shot_t) - self._shot_lead
        if self._shot is not None:
            return el < pattern_ms(self._shot)
        return el < count_ms(self._shot_count)

    def _shot_level(self, now):
        # 0..255 of the one-shot now, or -1 when none is playing
        if self._shot is None and self._shot_count < 0:
            return -1
        el = self.clock.ticks_diff(now, self._shot_t) - self._shot_lead
        if el < 0:
            self.left = -el
            return 0
        if self._shot is not None:
            if el < pattern_ms(self._shot):
                self.left = left_at(self._shot, el)
                return level_at(self._shot, el)
            self._shot = None
        elif el < count_ms(self._shot_count):
            self.left = count_left(self._shot_count, el)
            return count_at(self._shot_count, el)
        self._shot_count = -1
        return -1

    def update(self, now):
        # every tick while a session plays
        lv = self._shot_level(now)
        if lv < 0:
            if self._edge_t < 0:
                self._edge_t = now
            el = self.clock.ticks_diff(now, self._edge_t)
            if self._edge is not None:
                lv = level_at(self._edge, el)
                self.left = left_at(self._edge, el)
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
        lv = lv * self.strength // 255
        if lv == 0:
            self._locked = False
        elif self._locked:
            lv = 0  # stays off until the cue itself lets go
        elif self.level == 0:
            self._since = now
        elif self.clock.ticks_diff(now, self._since) >= self.on_max_ms:
            lv = 0
            self._locked = True
        if lv != self.level:
            self.level = lv
            self.motor.set(lv)


def pattern_ms(pat):
    ms = 0
    for i in range(1, len(pat), 2):
        ms += pat[i] * 10
    return ms
