# MicroPython looks for a file of the same name before it takes a built-in module
# such as os or json (a file may extend it), at every import, and keeps no record
# of the built-in: each `import os` searched the flash again (~15 ms of a Pico;
# twenty such imports were 300 ms of the boot). Taken once here with no path to
# search and kept in sys.modules, every later import of them is a lookup. (Not
# machine or neopixel: the hal's, and the tests' fakes of them are files.) Here,
# not in main.py: main.py's code stays in the heap while the app runs (app.py imports
# this first and lets it go).
import sys

_path = sys.path[:]
sys.path[:] = []
for _name in ("os", "json", "struct", "time", "select", "binascii"):
    try:
        sys.modules[_name] = __import__(_name)
    except ImportError:
        pass
sys.path[:] = _path

