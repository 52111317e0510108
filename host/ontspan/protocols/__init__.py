"""Protocols: the TOML language, the table the device plays, and the cue timeline.

Layers, each importing only those above it:

    model       dataclasses and vocabulary of a checked protocol
    positions   key path -> source line, for diagnostics
    checker     Diagnostic and the typed getters that report problems
    ops         opcodes and a protocol as ops (the table's program)
    timeline    cue edges and durations of ops (the oracle for the engine)
    compiler    protocols -> table bytes
    decoder     table bytes -> ops, with every check of the format
    blocks      the [[block]] array of a file
    parser      one file -> Protocol + diagnostics
    files       several files: expand_paths, check_paths, cross-file checks
"""
