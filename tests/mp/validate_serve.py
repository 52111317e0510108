# The firmware's table validator as a filter for differential tests: one table a
# line on stdin (hex), its tablecheck.validate() code a line on stdout. One interpreter
# start serves any number of tables.
import sys

import tablecheck

while True:
    line = sys.stdin.readline()
    if not line:
        break
    print(tablecheck.validate(bytes.fromhex(line.strip())))
