"""Check a Dealflow ledger export with nothing but Python 3: python3 verify.py [events.json | events.csv]

Recomputes every event's SHA-256 from its public fields and the previous hash, checks the links
and head.json, and prints the event count and head hash to compare with the public dashboard.
"""

import csv
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path


def load(path: Path) -> Iterator[dict[str, object]]:
    """The events one at a time: a million of them need not fit in memory."""
    flags = ("is_main_hub", "is_foreign")
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix == ".csv":
            for row in csv.DictReader(handle):
                yield {k: int(v) if k == "seq" else (v == "true" if k in flags else v or None) for k, v in row.items()}
            return
        first, second = handle.readline().strip(), handle.readline().strip().rstrip(",")
        if first == "[" and second.startswith("{") and second.endswith("}"):  # as exported: one event a line
            yield json.loads(second)
            for line in handle:
                if line.strip().startswith("{"):
                    yield json.loads(line.strip().rstrip(","))
        else:  # any other layout of the same JSON array
            handle.seek(0)
            yield from json.load(handle)


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("events.json")
    previous, count = "0" * 64, 0
    for count, event in enumerate(load(path), start=1):
        document = {key: value for key, value in event.items() if key != "hash"}
        encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if (event["seq"], event["prev_hash"], hashlib.sha256(encoded).hexdigest()) != (count, previous, event["hash"]):
            print(f"BROKEN at event #{count} ({event.get('event_id')}): it does not match its hash or its place")
            return 1
        previous = str(event["hash"])
    head_file = path.with_name("head.json")
    if head_file.exists():
        head = json.loads(head_file.read_text(encoding="utf-8"))
        if (head["event_count"], head["head_hash"]) != (count, previous):
            print(f"BROKEN: head.json names {head['event_count']} events ending in {head['head_hash']}")
            return 1
    print(f"OK: {count} events, head hash {previous}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
