# The standard protocol library, shipped in the host package as `ontspan.library`.
