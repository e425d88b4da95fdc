# Parses chunked STOMP streams with Python stompest's StompParser, for tests/parser_differential_test.ts.
# stdin: JSON [{"version": "1.2", "chunks": [base64, ...]}, ...]
# stdout: JSON [{"items": ["heart-beat" | [command, [[name, value], ...], base64 body]], "error": str|null}]
import base64
import json
import sys

from stompest.protocol import StompParser
from stompest.protocol.frame import StompHeartBeat

out = []
for stream in json.load(sys.stdin):
    parser = StompParser(stream["version"])
    items, error = [], None
    try:
        for chunk in stream["chunks"]:
            parser.add(base64.b64decode(chunk))
            while parser.canRead():
                item = parser.get()
                if isinstance(item, StompHeartBeat):
                    items.append("heart-beat")
                else:
                    items.append([item.command, [list(h) for h in item.rawHeaders],
                                  base64.b64encode(item.body).decode()])
    except Exception as e:  # reported, not raised: the test compares it
        error = "%s: %s" % (type(e).__name__, e)
    out.append({"items": items, "error": error})
json.dump(out, sys.stdout)
