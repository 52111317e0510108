# What the link handlers (service.py and the modules it loads) ask of the
# device: the documented interface of `dev`. The app's Device and the tests'
# FakeDev provide every member (tests/fw/test_contract_members.py checks both).
# The app does not import this module: as a base class its stub methods would
# be function objects in the Pico's heap that every Device method overrides.
from contract import TABLE_MAX, TABLE_VERSION


class Contract:
    """What the link asks of the device. Status ints are 0 or a link.ERR_*.
    Any OSError from the stage_* calls is answered ERR_STORAGE with its errno."""

    fw_version = "0.0.0"  # str, the firmware release
    table_version = TABLE_VERSION  # table format version the decoder reads
    max_table = TABLE_MAX  # largest table accepted, bytes
    # Objects a device sets on itself (None here: the contract test asks each is there).
    # planlink.py: reminders .root (its files), .plan_buf() (PLAN_MAX bytes), .use(n) (the
    # first n bytes are the plan now, 0: none); GET_PLAN: .data() -> the plan's bytes
    reminders = None
    # feel.py: cues().touch plays the cue; clk.ticks_ms() times it
    clk = None
    # INFO's live fields (info_dict): storage .table/.selected, log .first_seq/.last_seq
    storage = None
    log = None
    clock_rtc = 0  # FLAG_RTC | FLAG_CLOCK_RTC as they stand (the app's boot reads the module)

    def cues(self):
        """The cue engine (app: the cue room, loaded now if it is not); FEEL plays on its touch."""
        raise NotImplementedError

    def busy(self):
        """True while a session plays, is paused or waits for a rating: the busy
        guard then refuses every command in WHEN_IDLE (uploads, SET_CONFIG,
        CLEAR_LOGS, the plan, FEEL)."""
        raise NotImplementedError

    def measure(self):
        """Take the heap (after a collect) and flash-free figures info_dict() reports, and
        the uptime second they were taken at. Asked only while idle: at boot and by an
        INFO that finds them old; a change (COMMIT, SET_CONFIG) rebuilds INFO without it."""
        raise NotImplementedError

    def info_dict(self):
        """The INFO facts: build them with info_doc(), the heap and flash figures as
        measure() took them. Asked only while idle (at boot,
        after a change, every few seconds of INFO); between, INFO reads the live
        fields from these attributes, cheaply and without allocating:
        up_s (int), clock_set, cfg_ok (bools), clock_rtc (flags), log (.first_seq, .last_seq),
        storage (.table: None or a table.Table, .selected: its index)."""
        raise NotImplementedError

    def stage_begin(self, total):
        """Status; open a fresh staging file for `total` bytes."""
        raise NotImplementedError

    def stage_write(self, data):
        """Status; append a memoryview to the staging file."""
        raise NotImplementedError

    def stage_commit(self):
        """0, or a table.E_* code if the decoder refuses: validate the staged file,
        rename it over the live table (atomic) and load it."""
        raise NotImplementedError

    def stage_abort(self):
        """Drop the staging file."""
        raise NotImplementedError

    def table_size(self):
        """Bytes of the live table (0: none)."""
        raise NotImplementedError

    def read_table(self, offset, buf):
        """Bytes of the live table from offset copied into buf; returns how many."""
        raise NotImplementedError

    def set_clock(self, lo, hi, tz_min):
        """Status; Unix seconds (UTC) as low and high u16 half, the local offset in minutes."""
        raise NotImplementedError

    def clock(self):
        """(Unix seconds low u16, high u16, tz_min, is_set): never the seconds as one int."""
        raise NotImplementedError

    def start(self, pid):
        """Status: 0, ERR_NO_PROTOCOL or ERR_BUSY."""
        raise NotImplementedError

    def stop(self):
        """Stop whatever session is on (no-op when idle)."""
        raise NotImplementedError

    def status(self):
        """(state STATE_*, pid, flags FLAG_*, elapsed_s, remaining_s, log_count): a tuple
        or a list the device reuses (the app's allocates nothing)."""
        raise NotImplementedError

    def config_dict(self):
        """The configuration in use (every key of config.defaults())."""
        raise NotImplementedError

    def set_config(self, values):
        """None, or the name (str) of the refused key; applies at once."""
        raise NotImplementedError

    def request_reboot(self, mode):
        """Reboot (mode 1: BOOTSEL) after the reply is written."""
        raise NotImplementedError

    def get_logs(self, from_seq, buf):
        """Whole log records with seq >= from_seq copied into buf; returns how many."""
        raise NotImplementedError

    def log_epoch(self):
        """The log epoch, 4 bytes: the GET_LOGS reply starts with it."""
        raise NotImplementedError

    def clear_logs(self, upto):
        """Status; forget records with seq <= upto."""
        raise NotImplementedError
