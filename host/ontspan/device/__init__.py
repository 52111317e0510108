"""The device over USB serial: frame codec, reply payloads, the request client,
and the workflows built on them (flash, the names store).

    codec    frames on the wire, command and status codes (docs/link.md)
    replies  reply payloads as values; error replies as one line
    transport  requests by id, resends, round trips (one request, or a pipeline)
    client   Link: one method per command, on the transport
    names    what a flashed table's ids mean, kept on this computer
    flash    check, compile, upload and verify a table
"""
