# A device for link tests: devicecontract.Contract kept in memory, with the calls it
# received recorded in `log`. INFO comes from service.info_doc and the config
# from config.defaults()/config.check, so its keys are the firmware's own; the
# live fields INFO reads (up_s, clock_set, cfg_ok, log, storage) are here too.
import binascii

import config
import devicecontract
import engine
import fakes
import link
import service
from contract import FIRMWARE_VERSION, PLAN_MAX, TABLE_MAX, TABLE_VERSION


class _Calls(list):
    """The calls received; also the log span INFO reads (none stored)."""

    first_seq = 0
    last_seq = 0


class _Ids:
    def __init__(self, ids):
        self.ids = ids

    def proto_id(self, i):
        return self.ids[i]


class _Storage:
    def __init__(self, dev):
        self._dev = dev
        self.selected = 0

    @property
    def table(self):
        return _Ids([1, 2]) if self._dev.table else None


class _Reminders:
    """The reminder room as planlink.py and GET_PLAN use it: the plan's bytes in plan_buf()
    (use(n) takes the first n), its files under root; never checked here."""

    def __init__(self):
        self.root = ""
        self.buf = bytearray(PLAN_MAX)
        self.size = 0

    def plan_buf(self):
        return self.buf

    def use(self, n):
        self.size = n

    def data(self):
        return memoryview(self.buf)[: self.size]


class FakeDev(devicecontract.Contract):
    fw_version = FIRMWARE_VERSION
    table_version = TABLE_VERSION
    max_table = TABLE_MAX

    def __init__(self):
        self.log = _Calls()
        self.storage = _Storage(self)
        self.clk = fakes.Clock()
        self.engine = engine.Engine(fakes.Ring(), fakes.Motor(self.clk), self.clk)  # FEEL's touch
        self.reminders = _Reminders()
        self.up_s = 0
        self.measures = 0
        self.cfg_ok = True
        self.table = b""
        self.stage = None
        self.refuse = 0  # table error code stage_commit returns
        self.playing = 0
        self.paused = False
        self.epoch = 0
        self.tz = 0
        self.clock_set = False
        self.cfg = config.defaults()
        self.reboot_mode = None
        self.records = 0

    def cues(self):
        return self.engine

    def busy(self):
        return bool(self.playing)

    def measure(self):
        self.measures += 1  # INFO's figures taken again (a collect and a filesystem walk on a Pico)

    def info_dict(self):
        t = self.table
        return service.info_doc(
            self.fw_version, "0102030405060708", binascii.crc32(t) if t else 0, len(t),
            [1, 2] if t else [], 1 if t else None,
            {"count": self.records, "capacity": self.cfg["log_capacity"], "first": 0, "last": 0,
             "epoch": "00000000"},
            1, 1 << 20, self.clock_set, 0, True, 0, None, 150000, 50000,
        )

    def stage_begin(self, total):
        self.log.append(("begin", total))
        self.stage = bytearray()
        return 0

    def stage_write(self, data):
        self.stage.extend(data)
        return 0

    def stage_commit(self):
        self.log.append(("commit", len(self.stage)))
        if self.refuse:
            return self.refuse
        self.table = bytes(self.stage)
        self.stage = None
        return 0

    def stage_abort(self):
        self.log.append(("abort",))
        self.stage = None

    def table_size(self):
        return len(self.table)

    def read_table(self, offset, buf):
        n = min(len(buf), len(self.table) - offset)
        buf[:n] = self.table[offset : offset + n]
        return n

    def set_clock(self, lo, hi, tz):
        self.epoch = (hi << 16) | lo  # a test fake: the unix port's small ints are 62-bit
        self.tz = tz
        self.clock_set = True
        return 0

    def clock(self):
        return (self.epoch & 0xFFFF, self.epoch >> 16, self.tz, self.clock_set)

    def start(self, pid):
        self.log.append(("start", pid))
        if pid not in (1, 2):
            return link.ERR_NO_PROTOCOL
        if self.playing:
            return link.ERR_BUSY
        self.playing = pid
        return 0

    def stop(self):
        self.log.append(("stop",))
        self.playing = 0

    def status(self):
        return (1 if self.playing else 0, self.playing, 0x03, 65, 300, 42)

    def config_dict(self):
        return self.cfg

    def set_config(self, values):
        merged = dict(self.cfg)
        merged.update(values)
        cfg, bad = config.check(merged)
        if bad:
            return bad[0]
        self.cfg = cfg
        return None

    def request_reboot(self, mode):
        self.reboot_mode = mode

    def get_logs(self, from_seq, buf):
        return 0

    def log_epoch(self):
        return b"\x00\x00\x00\x00"

    def clear_logs(self, upto):
        self.log.append(("clear", upto))
        return 0
