"""Run every benchmark, each in its own process (each points Django at its own database).

python -m bench            # all of them
python -m bench brokering  # some of them
"""

import subprocess
import sys

BENCHES = ["brokering", "dashboard", "lists", "deadlines", "load", "invoicing"]


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or BENCHES
    failed = []
    for name in names:
        print(f"== bench.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"benchmarks missing their targets or failing: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
