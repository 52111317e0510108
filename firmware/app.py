# The device application: boot, the loop, and the way out when something
# fails. The work is done in rooms: session.py (records, ratings, outcome),
# buttons.py (what a gesture means), storage.py (table, upload, selection,
# config file), faults.py (safe, FAULT, counted); service.py is the link's
# view of the Device below.
#
# The cue room (cueroom.py: engine, light, touch, program, the rating scale)
# is loaded when a cue is first needed and dropped when the device is idle again.
# The link room (link, frame, service, infolink: the host's requests) is loaded
# at the host's first byte and stays: a device at the bedside, on a charger,
# never holds it (_link_room).
#
# Exception path: an unhandled error turns the motor off and the ring dark,
# closes an open session with FAULT, counts the fault (INFO shows it) and
# starts the app again within a second. Three faults within a minute leave
# the device dark at the REPL, so `ontspan install` can always repair it.
# Ctrl-C from the host (mpremote) gives the REPL and never restarts.
import sys

__import__("keepbuiltins")  # first: every later import of a built-in is a lookup (its comment)
sys.modules.pop("keepbuiltins", None)  # done: nothing holds it, its code goes with a collect
import storage  # the table's buffer is sized by the table itself, made in Storage()

# isort: split
import gc
import time

import buttons
import config
import cueroom
import daynight
import faults
import hal
import logbook
import reminder
import session as ss
import wallclock
from contract import (
    ERR_BUSY,
    ERR_NO_PROTOCOL,
    ERR_STATE,
    FIRMWARE_VERSION,
    FLAG_CLOCK,
    FLAG_CLOCK_RTC,
    FLAG_CONFIG_DEFAULT,
    FLAG_NIGHT,
    FLAG_TABLE,
    STATE_IDLE,
    STATE_PAUSED,
    STATE_PLAYING,
    STATE_RATING,
    TABLE_VERSION,
)
from micropython import const

# Run from source (the tests), every module has taken the contract's values by
# name now: let the contract module itself go (its dictionary, some KB of heap).
# On a device the build wrote the values into each module and the contract was
# never loaded (host/ontspan/device/inline.py).
sys.modules.pop("contract", None)

_FRAME_MS = const(20)
_IDLE_MS = const(20)
_LINK_BYTES_PLAYING = const(64)  # bounded link work per tick while cues run
_LINK_BYTES_IDLE = const(600)
# A request is taken only when the next frame or cue edge is at least this far off:
# the longest pass with a request, measured on the rp2 port, is ~11 ms (GET_LOGS
# while a session plays), and a frame comes every 16 ms, so requests fit right
# after a frame and never hold one. Held back this many passes, one is taken anyway.
_REQUEST_MS = const(12)
_HOLD_MAX = const(8)
# Requests leave garbage that slows every pass and ends in a collect wherever the
# heap runs out (8-13 ms on a Pico: a late frame). The app collects in a pass with
# request slack once the host has been quiet _GC_QUIET_MS after it talked, idle or
# not, and while a session is on after _GC_AFTER requests too (docs/link.md,
# "Timing rules"); idle, a host that keeps talking (an upload) is never held up.
_GC_AFTER = const(8)
_GC_QUIET_MS = const(100)
_ROOMS_QUIET_MS = const(5000)  # the host's rooms (service.drop_rooms) go once it is this quiet
_RESTART_MS = const(300)  # after a fault, before the app starts again
_FAULT_WINDOW_MS = const(60000)
_FAULTS_TO_STOP = const(3)  # this many within the window: stay at the REPL

_STATE_OF_MODE = (STATE_IDLE, STATE_PLAYING, STATE_PAUSED, STATE_RATING, STATE_RATING)
_prepared = False


class Device(wallclock.WallClock, cueroom.CueRoom):
    fw_version = FIRMWARE_VERSION
    table_version = TABLE_VERSION
    max_table = storage.MAX_TABLE
    after_reply = None  # fn(dev) -> None a handler leaves to run once its reply is sent
    clock_rtc = 0  # FLAG_RTC | FLAG_CLOCK_RTC, set by rtc() in open()

    def __init__(self):
        """Flash, config and board only: enough for the exception path to turn it off."""
        global _prepared
        if not _prepared:  # the flash stays mounted across app restarts
            hal.prepare()
            _prepared = True
        self.root = hal.FS_ROOT
        self.cfg, self.cfg_ok = config.load(self.root)
        self.board = hal.board(self.cfg)
        self.session = ss.Session(self)  # holds nothing yet: the exception path may ask it

    def open(self):
        """Everything else up to the idle loop."""
        b = self.board
        self.start_clock(b.clock)  # self.clk: the ticks (clock() is the wall clock for the link)
        self.faults, self.last_fault = faults.read(self.root)
        self.log = logbook.Logbook(self.root + "/log", self.cfg["log_capacity"])
        self.log.open()
        self.storage = storage.Storage(self.root, self.session.busy)
        self.buttons = buttons.Buttons(self)
        self.daynight = daynight.DayNight()
        self.reminders = reminder.ReminderRoom(self.root, b.ring)  # the practice plan
        self.rtc(-1)  # the battery-backed clock, if one is fitted
        self._reboot = -1
        self._held = 0  # passes a request has been held back (see _REQUEST_MS)
        self._served = 0  # requests answered since the last collect (see _GC_AFTER)
        self._served_ms = 0  # ticks of the last one
        self._rooms = False  # a request may have loaded a host's room (service.drop_rooms)
        self._status = [0, 0, 0, 0, 0, 0]
        # what measure() took (small ints, no object to keep): heap free and in use after
        # a collect, flash free, at uptime second
        self._heap_free = self._heap_used = self._measured_s = 0
        self._flash_free = -1
        self.link = self.disp = None  # the link room: at the host's first byte (_serve)
        return self

    def ready(self):
        """After the greeting: heap and flash measured (INFO's figures, ~40 ms of a Pico) while
        idle, before the host's first byte is read: what a patient's device holds."""
        if not self._heap_used:  # (once: the figures stay until an INFO finds them old)
            self.measure()

    def _link_room(self):
        """The link, its handlers, INFO's bytes and GET_CONFIG's JSON (~75 ms of a Pico,
        once): the host has talked. It stays, for the next request may come mid-session."""
        import link
        import service

        self.ready()
        lk = self.link
        if lk is None:  # (the tests give streams of their own)
            lk = self.link = link.Link(sys.stdin.buffer, sys.stdout.buffer, self.board.clock)
        d = self.disp = link.Dispatcher(service, self, False)
        service.ready(self, True)
        return lk, d

    def _serve(self, max_bytes):
        """Read up to max_bytes from the host and answer a request that is whole (truthy)."""
        lk, d = self.link, self.disp
        if d is None or lk is None:
            if lk is None and not self.board.host_waiting():
                return None  # no host: no link room
            lk, d = self._link_room()
        req = lk.poll(max_bytes)
        if req:
            d.handle(lk, req)
        return req

    # -- what service.py asks of the device (devicecontract.Contract) ----------
    def busy(self):
        return self.session.busy()

    def measure(self):
        # a collect and a walk of the filesystem (~40 ms of a Pico): at boot and when an
        # INFO finds the figures old, never for a table or config change (infolink.changed)
        gc.collect()
        self._heap_free, self._heap_used = gc.mem_free(), gc.mem_alloc()  # type: ignore[attr-defined]  # MicroPython only
        self._flash_free = self.storage.flash_free()
        self._measured_s = self.up_s

    def info_dict(self):
        t = self.storage.table
        lg = self.log
        st = self.storage
        import infolink  # (the link room's: only INFO asks)

        return infolink.info_doc(
            FIRMWARE_VERSION, self.board.device_id().hex(), t.crc() if t else 0, st.size if t else 0,
            [t.proto_id(i) for i in range(t.count())] if t else [], t.proto_id(st.selected) if t else None,
            {"count": lg.count, "capacity": lg.capacity, "first": lg.first_seq, "last": lg.last_seq,
             "epoch": lg.epoch_hex()},
            lg.boot, self._flash_free, self.clock_set, self._measured_s, self.cfg_ok, self.faults,
            self.last_fault, self._heap_free, self._heap_used,
        )  # fmt: skip

    def stage_begin(self, total):
        return self.storage.stage_begin(total)

    def stage_write(self, data):
        return ERR_STATE if self.storage.stage_write(data) else 0

    def stage_commit(self):
        return self.storage.stage_commit()

    def stage_abort(self):
        self.storage.stage_abort()

    def table_size(self):
        return self.storage.size

    def read_table(self, offset, buf):
        return self.storage.read_table(offset, buf)

    def start(self, pid):
        t = self.storage.table
        if t is None or t.index_of(pid) < 0:
            return ERR_NO_PROTOCOL
        if self.busy():
            return ERR_BUSY
        self.session.begin(t.index_of(pid))
        return 0

    def stop(self):
        self.session.stop()

    def begin(self, index):
        """Start protocol `index` as a tap would (bench and tests)."""
        return self.session.begin(index)

    def status(self):
        # one list, filled in place: STATUS is what a host polls, so it allocates nothing
        st = self._status
        s = self.session
        s.status_into(st)
        flags = (FLAG_TABLE if self.storage.table else 0) | (FLAG_CLOCK if self.clock_set else 0)
        flags |= self.clock_rtc
        # night as last decided (each second, and at once on a new clock or config): what the
        # ring follows; deciding again here read the light sensor on every request
        flags |= (FLAG_NIGHT if self.daynight.night else 0) | (0 if self.cfg_ok else FLAG_CONFIG_DEFAULT)
        st[0] = _STATE_OF_MODE[s.mode]
        st[2] = flags
        st[5] = self.log.count
        self.reminders.status_into(self, st)
        return st

    def config_dict(self):
        return self.cfg

    def set_config(self, values):
        merged = dict(self.cfg)
        merged.update(values)
        cfg, bad = config.check(merged)
        if bad:
            return bad[0]
        self.storage.save_config(cfg)
        self.cfg = cfg
        self.cfg_ok = True
        self.apply_config()
        if self.engine:
            self.engine.touch.device_strength = cfg.get("touch_strength", -1)
        if not self.clock_rtc & FLAG_CLOCK_RTC or not cfg["rtc"]:
            self.rtc(self.wall_s() if self.clock_set else -1)  # a module named now takes the clock, or gives its own
        return None

    def apply_config(self):
        """Every key takes effect now: caps, night hours, motor, pins, log size."""
        cfg = self.cfg
        if self.board.apply(cfg) and self.engine:
            self._build_cues()  # a new ring or motor object: the cues must drive it
        e = self.engine
        if e:
            e.device_cap = cfg["day_cap"]
            e.night_cap = cfg["night_cap"]
        self.log.capacity = cfg["log_capacity"]
        self.set_night_cap()

    def request_reboot(self, mode):
        self._reboot = mode  # after the reply is on the wire

    def get_logs(self, from_seq, buf):
        return self.log.read_into(buf, from_seq)

    def log_epoch(self):
        return self.log.epoch

    def clear_logs(self, upto):
        self.log.clear_upto(upto)
        return 0

    # -- the loop ----------------------------------------------------------------
    def boot_animation(self):
        """The greeting on the ring (greet.py, boot only); a host that talks ends it."""
        import greet

        greet.greet(self, _FRAME_MS)
        sys.modules.pop("greet", None)

    def signal_bad_config(self):
        """Three slow blinks of the on-board LED: the config was bad, defaults are in use."""
        buttons.blink(self.board, 3, 250)

    def _sleep_ms(self):
        """Time until the engine next needs the CPU (deadline or frame), at most _IDLE_MS."""
        e = self.engine
        if e is None:  # the cue room is not loaded: nothing to feel or play
            return _IDLE_MS
        if self.session.mode != ss.PLAYING:
            c = e.touch.left  # a one-shot's pulse (rating, choice, feel) begins or ends
            return c if 0 < c < _IDLE_MS else _IDLE_MS
        ms = e.ms_to_next(self.clk.ticks_ms())
        return ms if ms < _IDLE_MS else _IDLE_MS

    def step(self):
        """One pass of the main loop."""
        b = self.board
        self._tick_uptime()
        self._follow_night()
        ev = b.button.poll()
        if ev:
            self.buttons.on(ev)
        s = self.session
        s.step()
        self.buttons.step()
        self.reminders.step(self)
        req = None
        slack = self._sleep_ms() >= _REQUEST_MS
        if slack and self._served and (self._host_quiet(_GC_QUIET_MS) or (self._served >= _GC_AFTER and s.busy())):
            gc.collect()  # the requests' garbage, in the slack after a frame (_GC_AFTER)
            self._served = 0
            self._held = 0
        elif slack or self._held >= _HOLD_MAX:
            self._held = 0
            req = self._serve(_LINK_BYTES_PLAYING if s.mode == ss.PLAYING else _LINK_BYTES_IDLE)
        else:
            self._held += 1  # bytes wait in the port until the frame or edge is out
        if req:
            self._served += 1
            self._rooms = True
            self._served_ms = self.clk.ticks_ms()
            if self._reboot >= 0:
                b.deinit()
                b.reset(self._reboot)
        elif self._rooms and not s.busy() and self._host_quiet(_ROOMS_QUIET_MS):
            import service

            self._rooms = service.drop_rooms()  # the therapist's tools are done with them
        if self.after_reply:  # in this pass, before a tap or request can start a session
            self.after_reply = self.after_reply(self)
        e = self.engine
        if e and s.mode != ss.PLAYING:  # (now: a request or gesture may just have started a session)
            t = e.touch
            t.service(self.clk.ticks_ms())  # pause, rating and `feel` cues
            if s.mode == ss.IDLE and not t.left and not self.buttons.showing():
                self.drop_cues()
        b.motor.service()
        if not req:
            b.idle(self._sleep_ms(), not self._held)

    def _host_quiet(self, ms):
        """No request came for ms (one that has just come waits a frame more)."""
        c = self.clk
        return c.ticks_diff(c.ticks_ms(), self._served_ms) >= ms

    def loop(self):
        while True:
            self.step()


def boot():
    """Everything up to the idle loop, without the animation (the bench times this)."""
    dev = Device().open()
    dev.ready()
    return dev


def run():
    window = faults.Window(time, _FAULTS_TO_STOP, _FAULT_WINDOW_MS)
    count = 0
    while True:
        dev = None
        try:
            dev = Device()
            dev.open()
            if count == 0:  # a restart after a fault skips the greeting: back at once
                if not dev.cfg_ok:
                    dev.signal_bad_config()
                dev.boot_animation()
            dev.ready()
            dev.loop()
        except KeyboardInterrupt:
            faults.safe(dev)
            raise  # Ctrl-C from the host: leave the cues dark and give the REPL
        except Exception as e:
            faults.note(dev, e)
            sys.print_exception(e)  # type: ignore[attr-defined]  # MicroPython only
            count += 1
            if window.fault(getattr(dev, "up_s", 0) * 1000):
                print(
                    "ontspan: %d faults within a minute; staying at the REPL "
                    "(ontspan install repairs the firmware)" % _FAULTS_TO_STOP
                )
                return
            time.sleep_ms(_RESTART_MS)
