# The one definition of every value the firmware and the host share: versions,
# link commands and codes, table opcodes and limits, cue kinds, STATUS states,
# log record layout. MicroPython folds the const()s; the host imports this
# same file as `ontspan.firmware.contract` (CPython has no micropython module,
# so const is the identity there).
try:
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:

    def const(x):
        return x


# the firmware release; the host package takes its version from here too
FIRMWARE_VERSION = "0.2.0"
