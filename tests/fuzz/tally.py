"""What the fuzz suite sent and saw, in one module (conftest and tests import it by one name)."""
from collections import Counter

TALLY: Counter = Counter()          # (door, status) -> requests
PARSED: Counter = Counter()         # (parser, outcome) -> inputs
