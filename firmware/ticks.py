# Tick arithmetic with the Pico's period: time.ticks_ms() on the board wraps at
# 2^30 ms (about 12.4 days). The sim's clock, the test fakes and the host (reading
# sim traces, as ontspan.firmware.ticks) wrap at the same place with these two
# functions. No imports, so MicroPython and CPython both load it; the board
# itself uses time.ticks_* and never imports this module.
PERIOD = 0x40000000
_MASK = 0x3FFFFFFF  # PERIOD - 1
_HALF = 0x20000000  # PERIOD // 2: diffs beyond it count as negative


def ticks_add(a, b):
    return (a + b) & _MASK


def ticks_diff(a, b):
    # a - b in ms, correct across one wrap, in -PERIOD/2 .. PERIOD/2 - 1
    d = (a - b) & _MASK
    return d - PERIOD if d >= _HALF else d
