# Device configuration: config.json on the device's flash, every key checked
# against its allowed range. A bad or missing value falls back to its default;
# the caller signals a bad file on the status LED. Never raises.
import json

from contract import DAY_CAP, NIGHT_CAP

# Every key's name, then its default and range, one row per key in two flat tuples: not
# a dict of defaults beside a dict of (min, max) tuples. The app keeps its own dict
# (defaults() made with the file's values), so the module holds no dict and no tuple per key.
_NAMES = (
    "ring_pin", "ring_leds", "motor_pin", "motor_freq", "button_pin", "light_pin", "rtc", "rtc_sda",
    "rtc_scl", "day_cap", "night_cap", "motor_cap", "touch_strength", "night_start", "night_end",
    "log_capacity",
)
_VALUES = (  # default, lowest, highest
    16, 0, 29,  # ring_pin
    12, 8, 24,  # ring_leds
    15, 0, 29,  # motor_pin
    25000, 20000, 40000,  # motor_freq: Hz, above hearing so the motor does not whine
    14, 0, 29,  # button_pin
    -1, -1, 29,  # light_pin: 26 for an ADC0 light sensor; -1 = none
    0, 0, 2,  # rtc: battery-backed clock module on I2C: 0 none, 1 DS3231, 2 PCF8563 (rtc.py)
    4, 0, 29,  # rtc_sda
    5, 0, 29,  # rtc_scl
    DAY_CAP, 1, 255,  # day_cap: brightest LED byte
    NIGHT_CAP, 1, 255,  # night_cap
    200, 0, 255,  # motor_cap
    -1, -1, 255,  # touch_strength: the patient's motor strength (`ontspan feel`); -1 = the protocol's
    21, 0, 23,  # night_start: hours, local time of the clock the host sets
    7, 0, 23,  # night_end
    # log_capacity: practice-log records kept (32 B each; the oldest 4 KB segment goes
    # first); 16384 records = 512 KiB of the 1408 KiB filesystem
    1536, 256, 16384,
)


def defaults():
    """A new dict of every key at its default."""
    n = _NAMES
    v = _VALUES
    return {n[i]: v[3 * i] for i in range(len(n))}


FILE = "/config.json"


def check(values):
    """Merge `values` over the defaults; returns (config, list of bad keys)."""
    cfg = defaults()
    bad = []
    if not isinstance(values, dict):
        return cfg, ["<file>"]
    r = _VALUES
    for key in values:
        v = values[key]
        i = 3 * _NAMES.index(key) if key in cfg else -1
        if i < 0 or not isinstance(v, int) or isinstance(v, bool) or not r[i + 1] <= v <= r[i + 2]:
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
        return defaults(), True
    except Exception:
        return defaults(), False
    cfg, bad = check(values)
    return cfg, not bad


def save(root, values):
    """Write a checked config atomically (temp file, then rename)."""
    tmp = root + FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(values, f)
    import os

    os.rename(tmp, root + FILE)
