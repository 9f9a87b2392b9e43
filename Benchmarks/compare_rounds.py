"""Compares two servers measured in alternated rounds by `strata bench nfs`: medians per figure, the ratio
(more than 1 is better for the first), and the rounds the first won, each round's two back-to-back runs
compared (this machine drifts between rounds, so a ratio of medians can hide who led in each).

    python3 compare_rounds.py WORK ROUNDS FIRST SECOND [FIRST_RSS_KIB SECOND_RSS_KIB]

reads WORK/FIRST.N.out and WORK/SECOND.N.out for N in 1..ROUNDS (their `metric NAME VALUE UNIT` lines) and
prints a table, then `ratio NAME VALUE` lines and the first server's `metric` lines (medians)."""
import statistics
import sys


def metrics(work, server, rounds):
    """Per metric: its value in each round (in round order) and its unit."""
    runs = {}
    for r in range(1, rounds + 1):
        for line in open(f"{work}/{server}.{r}.out"):
            parts = line.split()
            if len(parts) == 4 and parts[0] == "metric":
                runs.setdefault(parts[1], ([], parts[3]))[0].append(float(parts[2]))
    return runs


def better(value, other, unit):
    """The first server's figure over the second's, oriented so that more than 1 is better for the first."""
    if not (value and other):
        return float("nan")
    return other / value if unit == "ms" else value / other


def main():
    work, rounds, first_name, second_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rss = [int(v) / 1024 for v in sys.argv[5:7]]
    first, second = metrics(work, first_name, rounds), metrics(work, second_name, rounds)
    ratios = []
    print(f"{'metric':28}{first_name.capitalize():>16}{second_name.capitalize():>16}{'ratio':>9}{'won':>7}  unit")
    for name, (values, unit) in first.items():
        if name not in second:
            continue
        others = second[name][0]
        value, other = statistics.median(values), statistics.median(others)
        ratio = better(value, other, unit)
        won = f"{sum(better(v, o, unit) > 1 for v, o in zip(values, others))}/{min(len(values), len(others))}"
        ratios.append((name, ratio))
        print(f"{name:28}{value:16.3f}{other:16.3f}{ratio:9.2f}{won:>7}  {unit}")
    if rss:
        print(f"{'server peak RSS':28}{rss[0]:16.1f}{rss[1]:16.1f}{'':16}  MiB")
    print()
    for name, ratio in ratios:
        print(f"ratio {name.removeprefix('nfs.')} {ratio:.2f}")
    for name, (values, unit) in first.items():
        print(f"metric {name} {statistics.median(values)} {unit}")
    if rss:
        print(f"metric {first_name.lower()}.peak-rss {rss[0]:.1f} MiB")


main()
