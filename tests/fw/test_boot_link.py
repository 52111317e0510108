"""Boot without a busy spin: the greeting sleeps between frames, and a HELLO sent
at power-up is answered within the first frames, not after the greeting (device
ticks from the firmware's own clock, compared with the greeting's length)."""

import pytest
from conftest import run_on_rp2_board
from ontspan.mpy import HEAPSIZE

BOOT_MS = 1200  # ui._GREET_MS
FRAME_MS = 20  # app._FRAME_MS


def _run(mpy, tmp_path, talk):
    printed = run_on_rp2_board(
        mpy, f"import boot_link\nboot_link.run({talk})",
        tmp_path, HEAPSIZE,
    )
    return {ln.split()[0]: ln.split()[1] for ln in printed.splitlines() if ln.strip()}


def test_quiet_greeting_sleeps_every_frame(mpy, tmp_path):
    out = _run(mpy, tmp_path, False)
    assert int(out["anim_ms"]) >= BOOT_MS and out["replies"] == "-"
    assert int(out["idles"]) >= BOOT_MS // FRAME_MS // 2  # a sleep per frame, not a spin


def test_hello_at_power_up_is_answered_before_the_greeting_would_end(mpy, tmp_path):
    from ontspan.device.codec import Frame, FrameParser

    out = _run(mpy, tmp_path, True)
    replies = [e for e in FrameParser().feed(bytes.fromhex(out["replies"])) if isinstance(e, Frame)]
    assert [(r.code, r.status) for r in replies] == [(0x81, 0)]
    assert 0 <= int(out["reply_ms"]) < BOOT_MS
    assert int(out["anim_ms"]) < BOOT_MS  # the host talks: the greeting gives way


@pytest.mark.parametrize("talk", [True])
def test_greeting_with_a_host_never_spins(mpy, tmp_path, talk):
    out = _run(mpy, tmp_path, talk)
    # bytes waiting on the link are read, so the frames that ran each slept once
    assert int(out["idles"]) <= int(out["anim_ms"]) // FRAME_MS + 1
