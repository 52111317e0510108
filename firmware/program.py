# Steps through one protocol's program and produces its cue edges by the Timing
# rules of docs/table-format.md. Pure integer state: next() never allocates.
# Cue kinds (K_*) come from contract.py; light.py and touch.py read them as program.K_*.
from contract import (
    BREATH_BELLY,
    BREATH_CYCLES,
    END_MS,
    K_CHECK,
    K_END,
    K_HOLD,
    K_IN,
    K_OUT,
    K_PAUSE,
    K_POSITION,
    K_RELEASE,
    K_REST,
    K_TENSE,
    NO_GROUP,
    OP_BREATH,
    OP_CHECK,
    OP_END_REPEAT,
    OP_GROUP,
    OP_PMR,
    OP_REPEAT,
    OP_REST,
    POSITION_MS,
)
from micropython import const
from programtime import phase_ms

# where next() resumes
_S_OP = const(0)
_S_TENSE = const(1)
_S_RELEASE = const(2)
_S_CYCLE = const(3)
_S_HOLD = const(4)
_S_OUT = const(5)
_S_PAUSE = const(6)
_S_DONE = const(7)


class Program:
    def __init__(self):
        # per REPEAT level (at most 2): body pc, rounds left, block counter at REPEAT
        self._rep = [0] * 6
        self.reset(b"\x01", 0)

    def reset(self, buf, pc):
        self._buf = buf
        self._pc = pc
        self._sp = 0
        self._sub = _S_OP
        self._nblock = 0
        self.t = 0  # session ms of the current edge
        self.dur = 0  # its length in ms
        self.kind = 0
        self.block = NO_GROUP
        self.group = NO_GROUP
        self.groups = 0  # GROUPs in the current PMR block
        self.number = 0
        self.reps = 0
        self.rep = 0
        self.belly = False
        self.prompt = 0
        self.blocks_started = 0
        self.groups_started = 0
        # breath state
        self._bpc = 0
        self._e = 0
        self._cycles = 0
        self._hold = 0
        self._out = 0
        self._pause = 0
        self._tense = 0
        self._feel = 0

    def _emit(self, kind, dur):
        self.kind = kind
        self.dur = dur
        return True

    def next(self):
        # Move to the next edge; False once the END edge has ended.
        self.t += self.dur
        b = self._buf
        while True:
            s = self._sub
            if s == _S_TENSE:
                self._sub = _S_RELEASE
                return self._emit(K_TENSE, self._tense)
            if s == _S_RELEASE:
                self.rep += 1
                self._sub = _S_TENSE if self.rep < self.reps else _S_OP
                return self._emit(K_RELEASE, self._feel)
            if s == _S_CYCLE:
                if not self._cycle_starts():
                    self._sub = _S_OP
                    continue
                return self._start_cycle()
            if s == _S_HOLD:
                self._sub = _S_OUT
                if self._hold:
                    return self._emit(K_HOLD, self._hold)
                continue
            if s == _S_OUT:
                self._sub = _S_PAUSE
                return self._emit(K_OUT, self._out)
            if s == _S_PAUSE:
                self._sub = _S_CYCLE
                self._cycles += 1
                if self._pause:
                    return self._emit(K_PAUSE, self._pause)
                continue
            if s == _S_DONE:
                self.dur = 0
                return False
            # _S_OP: fetch the next op
            pc = self._pc
            op = b[pc]
            if op == OP_GROUP:
                self._pc = pc + 6
                self.group += 1
                self.number = b[pc + 1]  # the group's number (a..q are 0..16)
                self.groups_started += 1
                if self.group == 0:
                    self.blocks_started += 1
                self._tense = b[pc + 2] * 100
                self._feel = (b[pc + 3] | (b[pc + 4] << 8)) * 100
                self.reps = b[pc + 5]
                self.rep = 0
                self._sub = _S_TENSE
                return self._emit(K_POSITION, POSITION_MS)
            if op == OP_PMR:
                self._pc = pc + 2
                self.block = self._nblock
                self._nblock += 1
                self.groups = b[pc + 1]
                self.group = -1  # GROUP ops count up from here
                continue
            if op == OP_BREATH:
                self._pc = pc + 14
                self._new_block()
                self._bpc = pc
                self._e = 0
                self._cycles = 0
                self.belly = bool(b[pc + 1] & BREATH_BELLY)
                self._sub = _S_CYCLE
                continue
            if op == OP_REST:
                self._pc = pc + 3
                self._new_block()
                return self._emit(K_REST, (b[pc + 1] | (b[pc + 2] << 8)) * 1000)
            if op == OP_CHECK:
                self._pc = pc + 3
                self._new_block()
                self.prompt = b[pc + 1]
                return self._emit(K_CHECK, b[pc + 2] * 1000)
            if op == OP_REPEAT:
                r = self._rep
                i = self._sp * 3
                r[i] = pc + 2
                r[i + 1] = b[pc + 1]
                r[i + 2] = self._nblock
                self._sp += 1
                self._pc = pc + 2
                continue
            if op == OP_END_REPEAT:
                r = self._rep
                i = self._sp * 3 - 3
                r[i + 1] -= 1
                if r[i + 1] > 0:
                    self._pc = r[i]
                    self._nblock = r[i + 2]  # blocks keep their program-order index
                else:
                    self._sp -= 1
                    self._pc = pc + 1
                continue
            # OP_END (a validated table has nothing else here)
            self._sub = _S_DONE
            self.block = NO_GROUP
            self.group = NO_GROUP
            return self._emit(K_END, END_MS)

    def _new_block(self):
        self.block = self._nblock
        self._nblock += 1
        self.group = NO_GROUP
        self.blocks_started += 1

    def _cycle_starts(self):
        b = self._buf
        pc = self._bpc
        n = b[pc + 12] | (b[pc + 13] << 8)
        if b[pc + 1] & BREATH_CYCLES:
            return self._cycles < n
        return self._e < n * 1000

    def _start_cycle(self):
        # all phases of a cycle use e at the cycle's start
        b = self._buf
        pc = self._bpc
        e = self._e
        ramp = b[pc + 10] | (b[pc + 11] << 8)
        tin = phase_ms(b[pc + 2], b[pc + 6], e, ramp)
        self._hold = phase_ms(b[pc + 3], b[pc + 7], e, ramp)
        self._out = phase_ms(b[pc + 4], b[pc + 8], e, ramp)
        self._pause = phase_ms(b[pc + 5], b[pc + 9], e, ramp)
        self._e = e + tin + self._hold + self._out + self._pause
        self._sub = _S_HOLD
        return self._emit(K_IN, tin)
