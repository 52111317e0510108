# The boot animation with a host talking or not (then the loop's first passes): counts the animation's sleeps
# (board.idle calls) and the device ticks from its start to the first reply byte.
# Prints "idles <n>", "reply_ms <ticks or -1>", "anim_ms <ticks>" and the replies.
import hal
import hal_rp2
import hal_sim

hal_sim.Board.mount_flash()
hal_rp2.Board.fs_root = "/flash"
hal.impl = hal_rp2
hal.FS_ROOT = "/flash"

import app  # noqa: E402
import fake_stream  # noqa: E402
import link  # noqa: E402
import reflash  # noqa: E402


class Sink:
    def __init__(self, clk):
        self.clk = clk
        self.at = -1
        self.out = bytearray()

    def write(self, b, n=-1):
        if n < 0:
            n = len(b)
        if self.at < 0:
            self.at = self.clk.ticks_ms()
        self.out.extend(b[:n])
        return n


def run(talk):
    dev = app.boot()
    rd = fake_stream.Reader(size=512)
    sink = Sink(dev.clk)
    dev.link = link.Link(rd, sink, dev.clk)
    dev.board.host_waiting = rd.pending  # the fake's bytes stand for the serial line's
    if talk:
        rd.feed(reflash._frame(0x01, b"\x01\x00"))  # HELLO, there before the first frame
    idles = [0]
    board_idle = dev.board.idle

    def idle(ms, wake=True):
        idles[0] += 1
        board_idle(ms, wake)

    dev.board.idle = idle
    clk = dev.clk
    t0 = clk.ticks_ms()
    dev.boot_animation()
    t1 = clk.ticks_ms()
    dev.ready()
    for _ in range(10):  # the loop's first passes: the link room loads and answers
        if not talk or sink.at >= 0:
            break
        dev.step()
    print("idles", idles[0])
    print("reply_ms", clk.ticks_diff(sink.at, t0) if sink.at >= 0 else -1)
    print("anim_ms", clk.ticks_diff(t1, t0))
    print("replies", bytes(sink.out).hex() or "-")
