# Recording stand-ins for the rp2 `machine` classes the HAL uses.
LOG = []


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1

    def __init__(self, id, mode=-1, pull=-1):
        self.id = id
        self.mode = mode
        self.pull = pull
        self._v = 1
        LOG.append(("pin", id, mode, pull))

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = v
        LOG.append(("pinval", self.id, v))


class PWM:
    def __init__(self, pin):
        self.pin = pin
        self.f = 0
        self.duties = []

    def freq(self, f):
        self.f = f

    def duty_u16(self, d):
        self.duties.append(d)

    def deinit(self):
        self.duties.append(-1)


class ADC:
    def __init__(self, pin):
        self.pin = pin

    def read_u16(self):
        return 1000


def unique_id():
    return b"\x01\x02\x03\x04\x05\x06\x07\x08"


def reset():
    raise SystemExit


class SoftI2C:
    """A bus with no module on it: every transfer fails as a real one would."""

    def __init__(self, scl=None, sda=None, freq=0):
        LOG.append(("i2c", scl.id, sda.id, freq))

    def readfrom_mem_into(self, addr, reg, buf):
        raise OSError(5)  # EIO: no acknowledge

    def writeto_mem(self, addr, reg, buf):
        raise OSError(5)
