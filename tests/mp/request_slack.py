# A request is taken between frames, never just before one: drives the app's loop pass
# (app.Device.step) with the time to the next frame or cue edge set by hand, and prints
# "<ms to next> <polled 0/1> <slept wake 0/1>" per pass.
import hal
import hal_rp2
import hal_sim

hal_sim.Board.mount_flash()
hal_rp2.Board.fs_root = "/flash"
hal.impl = hal_rp2
hal.FS_ROOT = "/flash"

import app  # noqa: E402


def run(waits):
    dev = app.boot()
    log = []
    polls = [0]
    link_poll = dev.link.poll

    def poll(n):
        polls[0] += 1
        return link_poll(n)

    def idle(ms, wake=True):
        log.append(wake)

    dev.link.poll = poll
    dev.board.idle = idle
    for w in waits:
        dev._sleep_ms = lambda: w  # noqa: B023  (this pass's value)
        before = polls[0]
        dev.step()
        print(w, polls[0] - before, int(log[-1]))
