"""The practice-log archive on the PC: pulling logs from a device, the SQLite store, its schema and rows."""
