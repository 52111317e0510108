# Link handlers that change the practice plan (docs/link.md, docs/plans.md);
# service.py loads this module on first use, at idle (GET_PLAN is there). They use the
# app's reminder room (dev.reminders, reminder.py) and its table
# (dev.storage.table). PUT_PLAN and CLEAR_PLAN write flash: the busy guard
# (service.py) refuses them while a session plays.
from contract import (
    ERR_NO_PROTOCOL,
    ERR_PAYLOAD,
    ERR_PLAN_REFUSED,
    ERR_STORAGE,
    PLAN_MAX,
)
from link import fail, ok
from reminder import E_NO_PROTOCOL


def put_plan(dev, lk, p, out):
    if len(p) > PLAN_MAX:
        return fail(ERR_PAYLOAD)
    try:
        r = dev.reminders.put(p, dev.storage.table)
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
    dev.reminders.clear()
    return ok()
