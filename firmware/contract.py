# The one definition of every value the firmware and the host share: versions,
# link commands and codes, table opcodes and limits, cue kinds, STATUS states,
# log record layout. MicroPython folds the const()s; the host imports this
# same file as `ontspan.firmware.contract` (CPython has no micropython module,
# so const is the identity there).
try:
    from micropython import const
except ImportError:

    def const(x):
        return x


# the firmware release; the host package takes its version from here too
FIRMWARE_VERSION = "0.2.0"

# -- cues: one default for each brightness cap and the touch strength --------
DAY_CAP = const(160)  # brightest LED byte by day (config day_cap)
NIGHT_CAP = const(24)  # brightest LED byte at night (config night_cap, style night_brightness)
TOUCH_STRENGTH = const(110)  # motor strength 0..255 unless the patient chose one (`ontspan feel`)

# -- feel: play one cue on the device now (`ontspan feel`, docs/cues.md) -------
# request: kind u8, count u8, strength u8, flags u8; reply: strength u8, ms u16
CMD_FEEL = const(0x34)
FEEL_PAUSE = const(20)  # kinds besides the cue kinds 1..10 (TENSE, IN, ...)
FEEL_RESUME = const(21)
FEEL_RATING = const(22)  # the rating played back: `count` taps
FEEL_SAVE = const(1)  # flags: keep `strength` as the patient's (config touch_strength)
