# Board support for the Raspberry Pi Pico: the only module (with hal_sim) that
# touches machine/neopixel. Pins and counts come from config.
import select
import sys
import time

import gestures
import machine
import neopixel
import pixels
from micropython import const

_GRB = b"\x01\x00\x02"  # WS2812B wire order: byte 0 is green
_KICK_DUTY = const(45000)  # ~70 % duty to overcome ERM stall friction
_KICK_MS = const(30)
_KICK_BELOW = const(120)  # levels below this need a kick from standstill
_MAX_ON_MS = const(8000)  # hard cap on continuous vibration, whatever asks for it


class Clock:
    """time.ticks_* (period 2^30 on the Pico)."""

    def ticks_ms(self):
        return time.ticks_ms()

    def ticks_add(self, a, b):
        return time.ticks_add(a, b)

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)


class Ring(pixels.Ring):
    def __init__(self, pin, n, cap):
        self._np = neopixel.NeoPixel(machine.Pin(pin, machine.Pin.OUT), n)
        super().__init__(n, cap, self._np.buf, _GRB)  # render straight into the driver's buffer

    def show(self):
        self.render_out()
        self._np.write()


class Motor:
    """ERM motor on a MOSFET, PWM above hearing; kick-start and an on-time cap."""

    def __init__(self, pin, freq, cap, clock):
        self._pwm = machine.PWM(machine.Pin(pin))
        self._pwm.freq(freq)
        self._pwm.duty_u16(0)
        self._cap = cap
        self._clock = clock
        self.level = 0
        self._on_t = 0
        self._kick_until = 0
        self._kicking = False
        self._tripped = False

    def set(self, level):
        if level <= 0:
            level = 0
            self._tripped = False
        elif level > 255:
            level = 255
        if level == self.level:
            return
        now = self._clock.ticks_ms()
        if self.level == 0 and level:
            self._on_t = now
            if level < _KICK_BELOW:
                self._kicking = True
                self._kick_until = self._clock.ticks_add(now, _KICK_MS)
        self.level = level
        self._apply()

    def _apply(self):
        if self._tripped or not self.level:
            duty = 0
        elif self._kicking:
            duty = _KICK_DUTY
        else:
            duty = self.level * self._cap * 257 // 255
        self._pwm.duty_u16(duty)

    def service(self):
        """Called every loop: ends the kick pulse, enforces the on-time cap."""
        if not self.level:
            return
        now = self._clock.ticks_ms()
        if self._kicking and self._clock.ticks_diff(now, self._kick_until) >= 0:
            self._kicking = False
            self._apply()
        if not self._tripped and self._clock.ticks_diff(now, self._on_t) >= _MAX_ON_MS:
            self._tripped = True
            self._apply()

    def off(self):
        self.level = 0
        self._kicking = False
        self._pwm.duty_u16(0)


class Button:
    def __init__(self, pin, clock):
        self._pin = machine.Pin(pin, machine.Pin.IN, machine.Pin.PULL_UP)
        self._g = gestures.Gestures(clock)

    def poll(self):
        return self._g.update(self._pin.value() == 0)  # pressed pulls to GND


class Status:
    def __init__(self):
        self._pin = machine.Pin("LED", machine.Pin.OUT)

    def set(self, on):
        self._pin.value(1 if on else 0)


class Board:
    fs_root = ""  # the flash filesystem is the root on the Pico

    @staticmethod
    def mount_flash():
        pass  # MicroPython mounts it before main.py runs

    def __init__(self, cfg):
        self.clock = Clock()
        self.ring = Ring(cfg["ring_pin"], cfg["ring_leds"], cfg["day_cap"])
        self.motor = Motor(cfg["motor_pin"], cfg["motor_freq"], cfg["motor_cap"], self.clock)
        self.button = Button(cfg["button_pin"], self.clock)
        self.status = Status()
        self._adc = machine.ADC(cfg["light_pin"]) if cfg["light_pin"] >= 26 else None
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)

    def device_id(self):
        return machine.unique_id()

    def light(self):
        """Ambient light 0..65535, or -1 without a sensor."""
        return self._adc.read_u16() if self._adc else -1

    def idle(self, ms):
        """Sleep up to ms, waking early when serial bytes arrive."""
        for _ in self._poll.ipoll(ms):
            break

    def edge(self, kind, block, group, late_ms):
        pass  # only the sim records cue edges

    def reset(self, mode=0):
        if mode == 1:
            machine.bootloader()  # BOOTSEL: the Pico shows up as a USB drive
        machine.reset()

    def deinit(self):
        self.motor.off()
        self.ring.off()
        self.status.set(False)
