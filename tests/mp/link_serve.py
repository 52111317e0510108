# A link server on stdin/stdout for host-client tests: the real Link and
# service on a FakeDev, the loop an app would run. Prints a REPL-like banner
# first, as a device does, so the host must skip text.
import sys
import time

import fake_dev
import link
import service

sys.stdout.write("MicroPython v1.x on unix; link test server\r\n")
dev = fake_dev.FakeDev()
lk = link.Link(sys.stdin.buffer, sys.stdout.buffer)
disp = link.Dispatcher(service, dev)
while True:
    req = lk.poll(256)
    if req is not None:
        if req[0] == 0x31:  # STOP: print REPL-ish text around the reply, like a debug print
            sys.stdout.write("stopping\r\n")
        disp.handle(lk, req)
    else:
        time.sleep_ms(1)
