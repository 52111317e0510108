# Plays a protocol on the fakes with a virtual clock; collects every edge with the
# tick (ms after start) at which the engine handled it.
import engine
import fakes
import table


class Run:
    def __init__(self, buf, index=0, night=False, start=0x40000000 - 5000, n=12, **caps):
        self.clock = fakes.Clock(start)
        self.ring = fakes.Ring(n)
        self.motor = fakes.Motor(self.clock)
        self.table = table.Table(buf)
        self.engine = engine.Engine(self.ring, self.motor, self.clock, **caps)
        self.edges = []
        self.t0 = self.clock.now
        self.engine.on_edge = self._edge
        self.ok = self.engine.start(self.table, index, night)

    def _edge(self, e):
        at = self.clock.ticks_diff(self.clock.now, self.t0)
        self.edges.append((e.t, e.kind, e.block, e.group, at))

    def play(self, steps=(7,), limit=10_000_000):
        # tick with the step sizes in turn until the session is over
        c = self.clock
        e = self.engine
        i = 0
        k = len(steps)
        while e.state != engine.DONE and i < limit:
            c.advance(steps[i % k])
            e.tick()
            i += 1
        return i

    def until(self, t_ms, step=7):
        # tick until session time t_ms (by the engine's own clock)
        c = self.clock
        e = self.engine
        while e.state == engine.PLAYING and e.elapsed_ms() < t_ms:
            c.advance(step)
            e.tick()


def irregular(n=997, seed=12345, top=23):
    # pseudo-random tick steps 1..top ms (an LCG: same on every run)
    out = []
    x = seed
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(1 + (x >> 16) % top)
    return out
