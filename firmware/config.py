# Device configuration: config.json on the device's flash, every key checked
# against its allowed range. A bad or missing value falls back to its default;
# the caller signals a bad file on the status LED. Never raises.
import json

from contract import DAY_CAP, NIGHT_CAP

DEFAULTS = {
    "ring_pin": 16,
    "ring_leds": 12,
    "motor_pin": 15,
    "motor_freq": 25000,  # Hz, above hearing so the motor does not whine
    "button_pin": 14,
    "light_pin": -1,  # 26 for an ADC0 light sensor; -1 = none
    "rtc": 0,  # battery-backed clock module on I2C: 0 none, 1 DS3231, 2 PCF8563 (rtc.py)
    "rtc_sda": 4,
    "rtc_scl": 5,
    "day_cap": DAY_CAP,  # brightest LED byte, 1..255
    "night_cap": NIGHT_CAP,
    "motor_cap": 200,  # 0..255
    "touch_strength": -1,  # the patient's motor strength 0..255 (`ontspan feel`); -1 = the protocol's
    "night_start": 21,  # hours, local time of the clock the host sets
    "night_end": 7,
    "log_capacity": 1536,  # practice-log records kept (32 B each; the oldest 4 KB segment goes first)
}

# key -> (min, max)
LIMITS = {
    "ring_pin": (0, 29),
    "ring_leds": (8, 24),
    "motor_pin": (0, 29),
    "motor_freq": (20000, 40000),
    "button_pin": (0, 29),
    "light_pin": (-1, 29),
    "rtc": (0, 2),
    "rtc_sda": (0, 29),
    "rtc_scl": (0, 29),
    "day_cap": (1, 255),
    "night_cap": (1, 255),
    "motor_cap": (0, 255),
    "touch_strength": (-1, 255),
    "night_start": (0, 23),
    "night_end": (0, 23),
    "log_capacity": (256, 16384),  # 16384 records = 512 KiB of the 1408 KiB filesystem
}

FILE = "/config.json"


def check(values):
    """Merge `values` over the defaults; returns (config, list of bad keys)."""
    cfg = dict(DEFAULTS)
    bad = []
    if not isinstance(values, dict):
        return cfg, ["<file>"]
    for key in values:
        v = values[key]
        lim = LIMITS.get(key)
        if lim is None or not isinstance(v, int) or isinstance(v, bool) or not lim[0] <= v <= lim[1]:
            bad.append(key)
        else:
            cfg[key] = v
    return cfg, bad


def load(root):
    """Read root + FILE; returns (config, ok). Missing file = defaults and ok."""
    try:
        with open(root + FILE) as f:
            values = json.load(f)
    except OSError:
        return dict(DEFAULTS), True
    except Exception:
        return dict(DEFAULTS), False
    cfg, bad = check(values)
    return cfg, not bad


def save(root, values):
    """Write a checked config atomically (temp file, then rename)."""
    tmp = root + FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(values, f)
    import os

    os.rename(tmp, root + FILE)
