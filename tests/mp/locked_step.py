# The whole app loop pass (Device.step) under heap_lock, on the rp2 board with
# non-allocating machine/neopixel stand-ins (tests/mp/quiet_rp2), during a
# session with link traffic and button presses. Prints the replies as hex (the
# test decodes them with the host's parser) and what happened.
import time

import micropython
import rp2_app


def run(table_bytes, pid, seconds=4):
    dev, rd, sink = rp2_app.boot(table_bytes, 8192)
    f = rp2_app.frame
    frames = [
        f(0x32, b""),  # STATUS
        f(0x01, b"\x01\x00"),  # HELLO
        f(0x21, b""),  # GET_CLOCK
        f(0x10, b"\x10\x00\x00\x00\x00\x00\x00\x00"),  # PUT_TABLE_BEGIN: busy
        f(0x51, b"\x05\x00\x00\x00"),  # CLEAR_LOGS: busy
        f(0x30, bytes([pid])),  # START while one plays: busy
        f(0x02, b""),  # INFO: the kept reply and its live head
    ]
    for _ in range(20):  # warm up: first calls of ipoll and friends allocate once
        dev.step()
    dev.begin(0)
    for fr in frames:  # each request once before the lock: first uses may cache (HELLO)
        rd.feed(fr)
        for _ in range(5):
            dev.step()
    sink.n = 0
    pin = dev.board.button._pin
    sent = 0
    steps = 0
    t0 = time.ticks_ms()
    micropython.heap_lock()
    try:
        while True:
            el = time.ticks_diff(time.ticks_ms(), t0)
            if el >= seconds * 1000:
                break
            # presses: a tap at 2.0 s pauses, a tap at 2.8 s resumes
            pin.v = 0 if (2000 <= el < 2150 or 2800 <= el < 2950) else 1
            if steps % 25 == 0 and not rd.pending() and sent < 200:
                rd.i = rd.n = 0  # empty: refill without compacting (that would allocate)
                rd.feed(frames[sent % len(frames)])
                sent += 1
            dev.step()
            steps += 1
    finally:
        micropython.heap_unlock()
    pwm = dev.board._pwm
    print("sent", sent, "steps", steps, "frames", dev.engine.frames, "edges", dev.engine.edges,
          "mode", dev.session.mode, "paused_ms", dev.play._paused_ms, "motor_peak", pwm.peak, "writes", dev.board.ring._np.writes)
    rp2_app.print_replies(sink)
