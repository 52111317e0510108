# Device configuration: config.json on the device's flash, every key checked
# against its allowed range. A bad or missing value falls back to its default;
# the caller signals a bad file on the status LED. Never raises.
import json

from contract import DAY_CAP, NIGHT_CAP

# Every key in one row: name, default, lowest, highest. One flat tuple, not a dict of
# defaults and a dict of (min, max) tuples: the app keeps its own dict (defaults()
# made with the file's values), so the module holds no dict and no tuple per key.
_KEYS = (
    "ring_pin", 16, 0, 29,
    "ring_leds", 12, 8, 24,
    "motor_pin", 15, 0, 29,
    "motor_freq", 25000, 20000, 40000,  # Hz, above hearing so the motor does not whine
    "button_pin", 14, 0, 29,
    "light_pin", -1, -1, 29,  # 26 for an ADC0 light sensor; -1 = none
    "rtc", 0, 0, 2,  # battery-backed clock module on I2C: 0 none, 1 DS3231, 2 PCF8563 (rtc.py)
    "rtc_sda", 4, 0, 29,
    "rtc_scl", 5, 0, 29,
    "day_cap", DAY_CAP, 1, 255,  # brightest LED byte
    "night_cap", NIGHT_CAP, 1, 255,
    "motor_cap", 200, 0, 255,
    "touch_strength", -1, -1, 255,  # the patient's motor strength (`ontspan feel`); -1 = the protocol's
    "night_start", 21, 0, 23,  # hours, local time of the clock the host sets
    "night_end", 7, 0, 23,
    # practice-log records kept (32 B each; the oldest 4 KB segment goes first);
    # 16384 records = 512 KiB of the 1408 KiB filesystem
    "log_capacity", 1536, 256, 16384,
)


def defaults():
    """A new dict of every key at its default."""
    k = _KEYS
    return {k[i]: k[i + 1] for i in range(0, len(k), 4)}


FILE = "/config.json"


def check(values):
    """Merge `values` over the defaults; returns (config, list of bad keys)."""
    cfg = defaults()
    bad = []
    if not isinstance(values, dict):
        return cfg, ["<file>"]
    k = _KEYS
    for key in values:
        v = values[key]
        i = k.index(key) if key in cfg else -1  # (a key is never equal to a number)
        if i < 0 or not isinstance(v, int) or isinstance(v, bool) or not k[i + 2] <= v <= k[i + 3]:
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
