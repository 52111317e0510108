"""The `ontspan` command line: argument parsing and printing over the library; nothing imports it."""
