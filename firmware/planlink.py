# Link handlers that change the practice plan (docs/link.md, docs/plans.md);
# service.py loads this module on first use, at idle (GET_PLAN is there). They store
# the plan for the app's reminder room (dev.reminders, reminder.py), checked against
# its table (dev.storage.table). PUT_PLAN and CLEAR_PLAN write flash: the busy guard
# (service.py) refuses them while a session plays.
import os

from contract import (
    ERR_NO_PROTOCOL,
    ERR_PAYLOAD,
    ERR_PLAN_REFUSED,
    ERR_STORAGE,
    PLAN_MAX,
)
from link import fail, ok
from micropython import const
from reminder import PLAN_FILE, plan_module

E_NO_PROTOCOL = const(100)  # put(): a moment names a protocol the table lacks
_STAGE = const("/plan.new")


def put(room, data, table):
    """0, a PLAN_E_* code or E_NO_PROTOCOL; a good plan replaces the one stored for the
    reminder room atomically (stage file, then rename). OSError passes to the caller."""
    p = plan_module().Plan(data)
    if p.err:
        return p.err
    for i in range(p.count()):
        if table is None or table.index_of(p.protocol(i)) < 0:
            return E_NO_PROTOCOL
    with open(room.root + _STAGE, "wb") as f:
        f.write(data)
    os.rename(room.root + _STAGE, room.root + PLAN_FILE)
    room.plan_buf()[: len(data)] = data
    room.use(len(data))
    return 0


def clear(room):
    """No plan: the file goes, the reminders stop."""
    try:
        os.remove(room.root + PLAN_FILE)
    except OSError:
        pass
    room.use(0)


def put_plan(dev, lk, p, out):
    if len(p) > PLAN_MAX:
        return fail(ERR_PAYLOAD)
    try:
        r = put(dev.reminders, p, dev.storage.table)
    except OSError as e:
        out[0] = (e.args[0] if e.args and isinstance(e.args[0], int) else 0) & 0xFF
        return fail(ERR_STORAGE, 1)
    if r == E_NO_PROTOCOL:
        return fail(ERR_NO_PROTOCOL)
    if r:
        out[0] = r
        return fail(ERR_PLAN_REFUSED, 1)
    return ok()


def clear_plan(dev, lk, p, out):
    clear(dev.reminders)
    return ok()
