#!/usr/bin/env python3
"""Where guichetd's threads spend their time under load: on the CPU, waiting for a CPU, or
asleep, and why they slept (the kernel stack at the switch-out).

Reads `perf sched timehist -g` output (stdin) for one process; prints a line per thread
that used 1 % of the time or more, by its name (guichetd names its threads: writer, reader,
loop …). A line of timehist is one time on a CPU: the time off the CPU before it (its wait),
the end of that wait spent runnable without a CPU (its delay), its run time, and the stack at
which it left the CPU; the next line's wait belongs to that stack.

    bench/offcpu.py --pid PID < timehist.txt     (bench/offcpu runs it)
"""
import argparse
import collections
import re
import sys

LINE = re.compile(r'^\s*(\d+\.\d+)\s+\[(\d+)\]\s+(\S.*?)\[(\d+)(?:/(\d+))?\]\s+'
                  r'([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*(.*)$')


PREEMPTED = 'preempted'


def reason(stack):
    """Why a thread left the CPU, from the kernel's stack at the switch."""
    if not stack:
        return 'unknown'
    s = stack
    if 'fsync' in s or 'fdatasync' in s or 'blkdev_issue_flush' in s:
        return 'fsync (the commit)'
    if 'futex' in s:
        return 'futex (a lock or a condition: a queue)'
    if 'epoll' in s:
        return 'epoll_wait (the loop: no event)'
    if 'exit_to_user_mode' in s or 'irqentry' in s or 'preempt' in s:
        return PREEMPTED
    if 'pwrite' in s or 'write' in s or 'folio' in s:
        return 'write (page cache)'
    if 'read' in s:
        return 'read'
    return s.split(' <- ')[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--pid', type=int, required=True)
    args = ap.parse_args()

    runs = collections.defaultdict(float)
    delay = collections.defaultdict(float)
    asleep = collections.defaultdict(lambda: collections.defaultdict(float))
    last_stack = {}
    names = {}
    first = last = None
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        t = float(m.group(1))
        first = t if first is None else first
        last = t
        tid = int(m.group(4))
        pid = int(m.group(5) or m.group(4))
        if pid != args.pid:
            continue
        names[tid] = m.group(3).strip()
        wait, sch, run = float(m.group(6)), float(m.group(7)), float(m.group(8))
        # The wait is the whole time off the CPU, the delay its runnable end; a thread
        # preempted was runnable all along.
        why = reason(last_stack.get(tid, ''))
        if why == PREEMPTED:
            delay[tid] += wait
        elif tid in last_stack:
            asleep[tid][why] += max(wait - sch, 0.0)
            delay[tid] += sch
        runs[tid] += run
        last_stack[tid] = m.group(9).strip()
    if first is None:
        sys.exit('offcpu: no sched events read')
    span = (last - first) * 1000.0
    print(f'over {span / 1000:.2f} s; per thread, % of the wall time:')
    for tid in sorted(runs):
        if runs[tid] < span * 0.01:
            continue
        name = names[tid]
        parts = [f'on CPU {runs[tid] / span * 100:5.1f}',
                 f'runnable, no CPU {delay[tid] / span * 100:4.1f}']
        for why, ms in sorted(asleep[tid].items(), key=lambda kv: -kv[1]):
            if ms >= span * 0.005:
                parts.append(f'{why} {ms / span * 100:4.1f}')
        print(f'  {name:>8} [{tid}]: ' + '; '.join(parts))


if __name__ == '__main__':
    main()
