# The device application: boot, load, loop. One skeleton with a global
# exception handler that leaves the motor off and the ring dark.
#
# Flash is written only between cues: the START record before the first cue,
# the END record after the last, tables only while no session plays (on the
# rp2 a flash erase halts everything for tens of ms).
import os
import sys

import config
import daynight
import engine as eng
import gestures
import hal
import link
import logbook
import logrecord as lr
import service
import table
import ui
from contract import FIRMWARE_VERSION
from micropython import const

# modes of the one-button UI
IDLE = const(0)
PLAYING = const(1)
PAUSED = const(2)
RATING_BEFORE = const(3)
RATING_AFTER = const(4)

_FRAME_MS = const(20)
_IDLE_MS = const(20)
_BOOT_MS = const(1200)
_CHOICE_MS = const(1500)  # how long the ring shows the chosen protocol
_PAUSE_MAX_MS = const(900000)  # a session paused for 15 min is stopped
_LINK_BYTES_PLAYING = const(64)  # bounded link work per tick while cues run
_LINK_BYTES_IDLE = const(600)
_MAX_TABLE = const(8192)
_TABLE = "/table.bin"
_STAGE = "/table.new"
_STATE = "/state.json"


class Device:
    fw_version = FIRMWARE_VERSION
    table_version = 1
    max_table = _MAX_TABLE

    def __init__(self):
        hal.prepare()
        self.root = hal.FS_ROOT
        self.cfg, self.cfg_ok = config.load(self.root)
        b = hal.board(self.cfg)
        self.board = b
        self.clk = b.clock  # ticks source (clock() is the wall clock for the link)
        self._last = b.clock.ticks_ms()
        self.up_s = 0  # uptime that never wraps: whole seconds plus a ms remainder
        self._up_ms = 0
        self.epoch_base = 0  # wall clock = epoch_base + up_s once the host set it
        self.tz_min = 0
        self.clock_set = False
        self.log = logbook.Logbook(self.root + "/log", self.cfg["log_capacity"])
        self.log.open()
        self.engine = eng.Engine(
            b.ring, b.motor, b.clock,
            device_cap=self.cfg["day_cap"],
            night_cap=self.cfg["night_cap"],
            on_edge=self._on_edge,
        )
        self.engine.touch.device_strength = self.cfg.get("touch_strength", -1)
        self.daynight = daynight.DayNight()
        self._night_up_s = -1  # uptime second of the last day/night decision
        self.rating = ui.Rating(b.ring, b.clock, self.engine.touch)
        self.table = None
        self._table_buf = None
        self.load_table()
        self.selected = self._load_selection()
        self.mode = IDLE
        self.index = -1  # protocol index of the current session
        self.rec = bytearray(lr.SIZE)  # the current session's record: START, then END
        self._start_up = 0  # uptime s at the START record
        self._start_wall_known = False
        self._outcome = lr.OUT_NONE  # kept from the last cue until the END record (after a rating)
        self._actual = 0
        self._blocks = 0
        self._groups = 0
        self._paused_at = 0
        self._choice_until = 0
        self._choice_on = False
        self._reboot = -1
        self._stage = None
        self.link = link.Link(sys.stdin.buffer, sys.stdout.buffer, b.clock)
        self.disp = link.Dispatcher(service, self)

    # -- table and selection -------------------------------------------------
    def load_table(self):
        """Load and validate the table; a bad or missing one leaves no table (never raises)."""
        try:
            with open(self.root + _TABLE, "rb") as f:
                buf = f.read(_MAX_TABLE + 1)
        except OSError:
            buf = b""
        t = table.Table(buf) if buf else None
        if t is not None and t.err:
            t = None
        self.table = t
        self._table_buf = buf if t else None
        return t

    def _load_selection(self):
        try:
            with open(self.root + _STATE) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            pid = 0
        t = self.table
        if t is None or not t.count():
            return 0
        i = t.index_of(pid)
        return i if i >= 0 else 0

    def _save_selection(self):
        t = self.table
        if t is None:
            return
        try:
            with open(self.root + _STATE + ".tmp", "w") as f:
                f.write(str(t.proto_id(self.selected)))
            os.rename(self.root + _STATE + ".tmp", self.root + _STATE)
        except OSError:
            pass

    # -- time ------------------------------------------------------------------
    def _tick_uptime(self):
        now = self.clk.ticks_ms()
        self._up_ms += self.clk.ticks_diff(now, self._last)
        self._last = now
        if self._up_ms >= 1000:
            s = self._up_ms // 1000
            self.up_s += s
            self._up_ms -= s * 1000

    def wall(self):
        return self.epoch_base + self.up_s if self.clock_set else 0

    def is_night(self):
        cfg = self.cfg
        return self.daynight.decide(self.up_s, cfg["night_start"], cfg["night_end"], self.board.light())

    def _follow_night(self):
        # once a second: caps and palette follow the clock, in a session too
        if self._night_up_s == self.up_s:
            return
        self._night_up_s = self.up_s
        night = self._set_night_cap()
        e = self.engine
        if (self.mode == PLAYING or self.mode == PAUSED) and night != e.night:
            e.set_night(night)

    def _set_night_cap(self):
        """The ring's device cap for now (day or night); returns whether it is night."""
        night = self.is_night()
        self.board.ring.set_device_cap(self.cfg["night_cap"] if night else self.cfg["day_cap"])
        return night

    # -- sessions --------------------------------------------------------------
    def begin(self, index):
        """Start protocol `index` as the patient would: optional rating first."""
        t = self.table
        if t is None or index < 0 or index >= t.count():
            return False
        self.index = index
        if t.rating(index) == 2:
            self.mode = RATING_BEFORE
            self.rating.begin()
        else:
            self._play(lr.NOT_RATED)
        return True

    def _play(self, before):
        t = self.table
        i = self.index
        if t is None:
            self.mode = IDLE
            return
        night = self._set_night_cap()
        lr.pack_into(
            self.rec, 0, lr.START, 0, self.log.boot, self.up_s, self.wall(),
            t.proto_id(i), t.crc(), min(t.duration_ms(i) // 1000, 0xFFFE), 0, 0, 0,
            lr.OUT_NONE, before, lr.NOT_RATED,
        )
        self._start_wall_known = self.clock_set
        self._start_up = self.up_s
        self._append()
        self.engine.start(t, i, night)
        self.mode = PLAYING

    def _ended(self, outcome):
        """The cues are over: rate if the protocol asks for it, then log."""
        e = self.engine
        self._outcome = outcome
        self._actual = self.up_s - self._start_up
        self._blocks = e.blocks_done
        self._groups = e.groups_done
        e.stop()
        t = self.table
        if outcome == lr.OUT_COMPLETED and t is not None and t.rating(self.index):
            self.mode = RATING_AFTER
            self.rating.begin()
        else:
            self._finish(lr.NOT_RATED)

    def _finish(self, after):
        rec = self.rec
        lr.finish(rec, 0, min(self._actual, 0xFFFE), min(self._blocks, 254),
                  min(self._groups, 254), self._outcome, after)
        if self.clock_set and not self._start_wall_known:
            lr.set_wall(rec, 0, self.epoch_base + self._start_up)
        self._append()
        self.mode = IDLE
        self.board.ring.off()
        self.board.motor.set(0)

    def _append(self):
        try:
            self.log.append(self.rec)
        except OSError:
            pass  # a full or failing flash must not stop the cues

    def _rated(self, value):
        if self.mode == RATING_BEFORE:
            self._play(value)
        else:
            self._finish(value)

    def _on_edge(self, e):
        # the sim records each cue edge with how late it was handled; a no-op on the Pico
        self.board.edge(e.kind, e.block, e.group, e.late_ring[(e.late_i - 1) % eng.LATE_RING])

    # -- button ----------------------------------------------------------------
    def on_button(self, ev):
        m = self.mode
        if m == RATING_BEFORE or m == RATING_AFTER:
            self.rating.event(ev)  # the value comes from rating.poll() once it is felt
        elif m == PLAYING:
            if ev == gestures.TAP:
                self.engine.pause()
                self._paused_at = self.clk.ticks_ms()
                self.mode = PAUSED
            elif ev == gestures.HOLD:
                self._ended(lr.OUT_STOPPED)
        elif m == PAUSED:
            if ev == gestures.TAP:
                self.engine.resume()
                self.mode = PLAYING
            elif ev == gestures.HOLD:
                self._ended(lr.OUT_STOPPED)
        else:
            t = self.table
            if t is None:
                self._no_table()
            elif ev == gestures.TAP:
                self._choice_on = False
                self.begin(self.selected)
            elif ev == gestures.DOUBLE:
                self.selected = (self.selected + 1) % t.count()
                self._save_selection()
                self._show_choice()
            elif ev == gestures.HOLD:
                self._show_choice()

    def _show_choice(self):
        t = self.table
        if t is None:
            return
        ui.show_choice(self.board.ring, self.selected, t.count())
        self._choice_on = True
        self._choice_until = self.clk.ticks_add(self.clk.ticks_ms(), _CHOICE_MS)

    def _no_table(self):
        self._blink(2, 150)  # two short blinks: nothing to play yet

    def _blink(self, times, ms):
        status = self.board.status
        for _ in range(times):
            status.set(True)
            self.board.idle(ms)
            status.set(False)
            self.board.idle(ms)

    # -- link: what service.py asks of the device -------------------------------
    def info_dict(self):
        t = self.table
        lg = self.log
        try:
            st = os.statvfs(self.root or "/")
            free = st[0] * st[3]
        except OSError:
            free = -1
        return {
            "firmware": FIRMWARE_VERSION,
            "device_id": self.board.device_id().hex(),
            "table": {
                "version": 1,
                "crc": ("%08x" % t.crc()) if t else None,
                "size": len(self._table_buf) if t and self._table_buf else 0,
            },
            "protocols": [t.proto_id(i) for i in range(t.count())] if t else [],
            "selected": t.proto_id(self.selected) if t else None,
            "logs": {"count": lg.count, "capacity": lg.capacity, "first": lg.first_seq, "last": lg.last_seq},
            "boot": lg.boot,
            "flash_free": free,
            "clock": {"set": self.clock_set, "uptime_s": self.up_s},
            "config_ok": self.cfg_ok,  # the config itself: GET_CONFIG (INFO stays in one frame)
        }

    def stage_begin(self, total):
        if self.mode != IDLE:
            return link.ERR_BUSY
        self.stage_abort()
        self._stage = open(self.root + _STAGE, "wb")
        return 0

    def stage_write(self, data):
        if self._stage is None:
            return link.ERR_STATE
        self._stage.write(data)
        return 0

    def stage_commit(self):
        f = self._stage
        if f is None:
            return table.E_LENGTH
        f.close()
        self._stage = None
        with open(self.root + _STAGE, "rb") as f:
            buf = f.read(_MAX_TABLE + 1)
        err = table.validate(buf)
        if err:
            self._remove(_STAGE)
            return err
        os.rename(self.root + _STAGE, self.root + _TABLE)  # atomic on littlefs
        self.load_table()
        self.selected = self._load_selection()
        return 0

    def stage_abort(self):
        if self._stage is not None:
            try:
                self._stage.close()
            except OSError:
                pass
            self._stage = None
        self._remove(_STAGE)

    def _remove(self, name):
        try:
            os.remove(self.root + name)
        except OSError:
            pass

    def table_size(self):
        return len(self._table_buf) if self.table and self._table_buf else 0

    def read_table(self, offset, buf):
        src = self._table_buf
        if not src:
            return 0
        n = min(len(buf), len(src) - offset)
        buf[:n] = src[offset:offset + n]
        return n

    def set_clock(self, epoch_s, tz_min):
        self._tick_uptime()
        self.epoch_base = epoch_s - self.up_s
        self.tz_min = tz_min
        self.clock_set = True
        self.daynight.set_clock(epoch_s, tz_min, self.up_s)
        self._night_up_s = -1
        return 0

    def clock(self):
        return self.wall(), self.tz_min, self.clock_set

    def start(self, pid):
        t = self.table
        if t is None or t.index_of(pid) < 0:
            return link.ERR_NO_PROTOCOL
        if self.mode != IDLE:
            return link.ERR_BUSY
        self.begin(t.index_of(pid))
        return 0

    def stop(self):
        m = self.mode
        if m == PLAYING or m == PAUSED:
            self._ended(lr.OUT_STOPPED)
        elif m == RATING_BEFORE:
            self.mode = IDLE
            self.board.ring.off()
        elif m == RATING_AFTER:
            self._finish(lr.NOT_RATED)

    def status(self):
        t = self.table
        pid = t.proto_id(self.index) if t and self.mode != IDLE and self.index >= 0 else 0
        flags = (service.F_TABLE if t else 0) | (service.F_CLOCK if self.clock_set else 0)
        flags |= (service.F_NIGHT if self.is_night() else 0) | (0 if self.cfg_ok else service.F_CONFIG_DEFAULT)
        state = (service.ST_IDLE, service.ST_PLAYING, service.ST_PAUSED,
                 service.ST_RATING, service.ST_RATING)[self.mode]
        elapsed = remaining = 0
        if self.mode == PLAYING or self.mode == PAUSED:
            elapsed = self.engine.elapsed_ms() // 1000
            if t:
                remaining = max(0, t.duration_ms(self.index) // 1000 - elapsed)
        return state, pid, flags, elapsed, remaining, self.log.count

    def config_dict(self):
        return self.cfg

    def set_config(self, values):
        merged = dict(self.cfg)
        merged.update(values)
        cfg, bad = config.check(merged)
        if bad:
            return bad[0]
        config.save(self.root, cfg)
        self.cfg = cfg
        self.engine.device_cap = cfg["day_cap"]
        self.engine.night_cap = cfg["night_cap"]
        self.engine.touch.device_strength = cfg.get("touch_strength", -1)
        return None

    def request_reboot(self, mode):
        self._reboot = mode  # after the reply is on the wire

    def get_logs(self, from_seq, buf):
        return self.log.read_into(buf, from_seq)

    def clear_logs(self, upto):
        if self.mode != IDLE:
            return link.ERR_BUSY
        self.log.clear_upto(upto)
        return 0

    # -- the loop ----------------------------------------------------------------
    def boot_animation(self):
        """A warm dot runs once around the ring and fades: 'I am alive', never startling."""
        ring = self.board.ring
        clock = self.clk
        buf = ring.buf
        n = ring.n
        self._set_night_cap()
        t0 = clock.ticks_ms()
        while True:
            e = clock.ticks_diff(clock.ticks_ms(), t0)
            if e >= _BOOT_MS:
                break
            pos = e * n // _BOOT_MS
            level = 255 - e * 255 // _BOOT_MS
            for i in range(n):
                j = 3 * i
                on = level if i == pos else 0
                buf[j] = on
                buf[j + 1] = on * 2 // 5
                buf[j + 2] = 0
            ring.show()
            self.board.idle(_FRAME_MS)
        ring.off()

    def signal_bad_config(self):
        """Three slow blinks of the on-board LED: the config was bad, defaults are in use."""
        self._blink(3, 250)

    def _sleep_ms(self):
        """Time until the engine next needs the CPU (deadline or frame), at most _IDLE_MS."""
        if self.mode != PLAYING:
            return _IDLE_MS
        ms = self.engine.ms_to_next(self.clk.ticks_ms())
        return ms if ms < _IDLE_MS else _IDLE_MS

    def step(self):
        """One pass of the main loop."""
        b = self.board
        self._tick_uptime()
        self._follow_night()
        ev = b.button.poll()
        if ev:
            self.on_button(ev)
        m = self.mode
        if m == PLAYING:
            e = self.engine
            e.tick()
            if e.state == eng.DONE:
                self._ended(lr.OUT_COMPLETED)
        elif m == PAUSED:
            if self.clk.ticks_diff(self.clk.ticks_ms(), self._paused_at) >= _PAUSE_MAX_MS:
                self._ended(lr.OUT_STOPPED)
        elif m == RATING_BEFORE or m == RATING_AFTER:
            v = self.rating.poll()
            if v != ui.WAITING:
                self._rated(v)
        elif self._choice_on and self.clk.ticks_diff(self.clk.ticks_ms(), self._choice_until) >= 0:
            self._choice_on = False
            b.ring.off()
        req = self.link.poll(_LINK_BYTES_PLAYING if m == PLAYING else _LINK_BYTES_IDLE)
        if req:
            self.disp.handle(self.link, req)
            if self._reboot >= 0:
                b.deinit()
                b.reset(self._reboot)
        if self.mode != PLAYING:  # (now: a request or gesture may just have started a session)
            self.engine.touch.service(self.clk.ticks_ms())  # pause, rating and `feel` cues
        b.motor.service()
        if not req:
            b.idle(self._sleep_ms())

    def loop(self):
        while True:
            self.step()


def boot():
    """Everything up to the idle loop, without the animation (the bench times this)."""
    return Device()


def run():
    dev = None
    try:
        dev = boot()
        if not dev.cfg_ok:
            dev.signal_bad_config()
        dev.boot_animation()
        dev.loop()
    except KeyboardInterrupt:
        if dev:
            dev.board.deinit()
        raise  # Ctrl-C from the host: leave the cues dark and give the REPL
    except Exception as e:
        if dev:
            dev.board.deinit()
        sys.print_exception(e)  # type: ignore[attr-defined]  # MicroPython only
        raise
