# A device for link tests: the `dev` contract of firmware/service.py, kept in
# memory, with the calls it received recorded in `log`.
import binascii

import link


class FakeDev:
    fw_version = "0.1.0"
    table_version = 1
    max_table = 8192

    def __init__(self):
        self.log = []
        self.table = b""
        self.stage = None
        self.refuse = 0  # table error code stage_commit returns
        self.busy = False
        self.epoch = 0
        self.tz = 0
        self.clock_set = False
        self.playing = 0
        self.cfg = {"night_start": "22:00", "max_brightness": 80}
        self.reboot_mode = None

    def info_dict(self):
        return {"fw": self.fw_version, "table_crc": binascii.crc32(self.table), "ids": [1, 2]}

    def stage_begin(self, total):
        self.log.append(("begin", total))
        if self.busy:
            return link.ERR_BUSY
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

    def set_clock(self, epoch, tz):
        self.epoch = epoch
        self.tz = tz
        self.clock_set = True
        return 0

    def clock(self):
        return (self.epoch, self.tz, self.clock_set)

    def start(self, pid):
        self.log.append(("start", pid))
        if pid not in (1, 2):
            return link.ERR_NO_PROTOCOL
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
        for k in values:
            if k not in self.cfg:
                return k
        self.cfg.update(values)
        return None

    def request_reboot(self, mode):
        self.reboot_mode = mode
