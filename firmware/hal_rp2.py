# Board support for the Raspberry Pi Pico: the only module (with hal_sim) that
# touches machine/neopixel. Pins and counts come from config.
import select
import sys
import time

import gestures
import machine
import motor
import pixels
from micropython import const

# a built-in is searched for on the flash at every import (app.py): neopixel's
# own `import machine` finds this one kept
sys.modules["machine"] = machine
import neopixel  # noqa: E402

_GRB = const(b"\x01\x00\x02")  # WS2812B wire order: byte 0 is green



class Ring(pixels.Ring):
    def __init__(self, pin, n, cap):
        self._np = neopixel.NeoPixel(machine.Pin(pin, machine.Pin.OUT), n)
        super().__init__(n, cap, self._np.buf, _GRB)  # render straight into the driver's buffer

    def show(self):
        self.render_out()
        self._np.write()


class Button:
    def __init__(self, pin, clock):
        self._pin = machine.Pin(pin, machine.Pin.IN, machine.Pin.PULL_UP)
        self._g = gestures.Gestures(clock)

    def poll(self):
        return self._g.update(self._pin.value() == 0)  # pressed pulls to GND


class Board:
    fs_root = ""  # the flash filesystem is the root on the Pico

    @staticmethod
    def mount_flash():
        pass  # MicroPython mounts it before main.py runs

    def __init__(self, cfg):
        self.clock = time  # ticks_ms, ticks_add, ticks_diff (period 2^30): no wrapper class
        self.status = machine.Pin("LED", machine.Pin.OUT)  # the on-board LED: value(1) lights it
        # the config in use, by reference: the app replaces its dict on a change and
        # never edits it, so apply() can compare against this one without a copy
        self._cfg = cfg
        self.ring = Ring(cfg["ring_pin"], cfg["ring_leds"], cfg["day_cap"])
        self._pwm = machine.PWM(machine.Pin(cfg["motor_pin"]))
        self.motor = self._new_motor(cfg)
        self.button = Button(cfg["button_pin"], self.clock)
        self._adc = self._new_adc(cfg)
        self._i2c = self._new_i2c(cfg)
        self._poll = select.poll()
        self._poll.register(sys.stdin, select.POLLIN)

    def _new_motor(self, cfg):
        pwm = self._pwm
        pwm.freq(cfg["motor_freq"])
        pwm.duty_u16(0)
        return motor.Motor(pwm.duty_u16, self.clock, cfg["motor_cap"])

    @staticmethod
    def _new_adc(cfg):
        return machine.ADC(cfg["light_pin"]) if cfg["light_pin"] >= 26 else None

    @staticmethod
    def _new_i2c(cfg):
        # the clock module (rtc.py) is read at boot and written on SET_CLOCK only:
        # a software bus on any two pins is fast enough
        if not cfg["rtc"]:
            return None
        return machine.SoftI2C(scl=machine.Pin(cfg["rtc_scl"]), sda=machine.Pin(cfg["rtc_sda"]), freq=100000)

    def rtc(self, a, r, buf, write=False):
        """The clock module at I2C address a: registers from r read into buf, or written
        from it; False when none answers."""
        i2c = self._i2c
        if i2c is None:
            return False
        try:
            if write:
                i2c.writeto_mem(a, r, buf)
            else:
                i2c.readfrom_mem_into(a, r, buf)
        except OSError:
            return False
        return True

    def apply(self, cfg):
        """Take a new config (a new dict, never the one in use edited) at once (called while idle). Returns True when the ring or
        the motor object was replaced (a pin or the LED count changed): the app then
        rebuilds what holds them."""
        old = self._cfg
        self._cfg = cfg
        new = False
        if old["ring_pin"] != cfg["ring_pin"] or old["ring_leds"] != cfg["ring_leds"]:
            self.ring.off()
            self.ring = Ring(cfg["ring_pin"], cfg["ring_leds"], cfg["day_cap"])
            new = True
        if old["motor_pin"] != cfg["motor_pin"]:
            self.motor.off()
            self._pwm.deinit()
            self._pwm = machine.PWM(machine.Pin(cfg["motor_pin"]))
            self.motor = self._new_motor(cfg)
            new = True
        self._pwm.freq(cfg["motor_freq"])
        self.motor.set_cap(cfg["motor_cap"])
        if old["button_pin"] != cfg["button_pin"]:
            self.button = Button(cfg["button_pin"], self.clock)
        if old["light_pin"] != cfg["light_pin"]:
            self._adc = self._new_adc(cfg)
        if old["rtc"] != cfg["rtc"] or old["rtc_sda"] != cfg["rtc_sda"] or old["rtc_scl"] != cfg["rtc_scl"]:
            self._i2c = self._new_i2c(cfg)
        return new

    def device_id(self):
        return machine.unique_id()

    def light(self):
        """Ambient light 0..65535, or -1 without a sensor."""
        return self._adc.read_u16() if self._adc else -1

    def host_waiting(self):
        """Bytes from the host wait on the serial line (the app loads its link room)."""
        for _ in self._poll.ipoll(0):
            return True
        return False

    def idle(self, ms, wake=True):
        """Sleep up to ms, waking early when serial bytes arrive (wake) or not at all:
        the loop holds a request back until after the next frame."""
        if not wake:
            time.sleep_ms(ms)
            return
        for _ in self._poll.ipoll(ms):
            break

    def edge(self, kind, block, group, late_ms):
        pass  # only the sim records cue edges

    def reset(self, mode=0):
        if mode == 1:
            machine.bootloader()  # BOOTSEL: the Pico shows up as a USB drive
        machine.reset()

    def deinit(self):
        """Motor off, ring dark: every way out of the app passes here."""
        self.motor.off()
        self.ring.off()
        self.status.value(0)
