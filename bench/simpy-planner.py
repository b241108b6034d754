"""The simple planner's model in SimPy 2 (Debian's python3-simpy 2.3.1), for
`npm run bench`'s side-by-side line: six devices, each escalated FLR -> bus
reset -> power cycle after a crash, an exponential reinit time and a success
draw per attempt, one `yield` per step. Prints one JSON line:
{"crashes": N, "seconds": S, "crashesPerSecond": R, "cpuSeconds": C,
"crashesPerCpuSecond": R', ...}.

Usage: python3 bench/simpy-planner.py [crashes]
"""

import json
import random
import sys
import time

import SimPy
from SimPy.Simulation import Process, activate, hold, initialize, simulate

DEVICES = 6
# (mean reinit seconds, odds the attempt brings the device back) per escalation step
STEPS = [(0.15, 0.80), (1.0, 0.90), (180.0, 1.0)]


class Fleet(Process):
    """Crashes one server after another; each crash brings six devices back."""

    def __init__(self, crashes, rng):
        Process.__init__(self, name="fleet")
        self.crashes = crashes
        self.rng = rng
        self.recovered = 0

    def run(self):
        rng = self.rng
        for _ in range(self.crashes):
            for _ in range(DEVICES):
                for mean, odds in STEPS:
                    yield hold, self, rng.expovariate(1.0 / mean)
                    if rng.random() < odds:
                        self.recovered += 1
                        break


def main():
    crashes = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    initialize()
    fleet = Fleet(crashes, random.Random(11))
    activate(fleet, fleet.run())
    start = time.perf_counter()
    cpu_start = time.process_time()
    simulate(until=1e18)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    print(
        json.dumps(
            {
                "crashes": crashes,
                "seconds": seconds,
                "crashesPerSecond": crashes / seconds,
                "cpuSeconds": cpu_seconds,
                "crashesPerCpuSecond": crashes / cpu_seconds,
                "devicesRecovered": fleet.recovered,
                "simpy": getattr(SimPy, "__version__", "2.x"),
            }
        )
    )


if __name__ == "__main__":
    main()
