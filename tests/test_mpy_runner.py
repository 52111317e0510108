"""The runner really is MicroPython, and it reports failures."""


def test_runs_micropython(mpy):
    out = mpy.check("import sys; print(sys.implementation.name)")
    assert out.strip() == "micropython"


def test_exception_is_reported(mpy):
    res = mpy.run("raise ValueError('boom')")
    assert not res.ok
    assert "ValueError: boom" in res.output
