"""Instructions per JS function from a callgrind run of node.

    python3 bench/callgrind-by-function.py callgrind.40000.out /tmp/perf-<pid>.map [TOP]

The callgrind file must come from --dump-instr=yes and the map from node's
--perf-basic-prof of the same run (bench/callgrind-per-server.sh with
BY_FUNCTION=1 makes both). Self instructions of each JIT-compiled function,
most first; then what fell outside the map (V8 itself, libm's exp, ...).
"""
import sys, re, bisect, collections
cg, mp = sys.argv[1], sys.argv[2]
syms = []
for line in open(mp):
    a, size, name = line.rstrip('\n').split(' ', 2)
    syms.append((int(a, 16), int(size, 16), name))
syms.sort(); starts = [s[0] for s in syms]
cost = collections.Counter(); total = 0; unknown = collections.Counter()
addr = 0; skip = False; obj = ''; fn = ''
def sub(tok, cur):
    if tok == '*': return cur
    if tok[0] == '+': return cur + int(tok[1:], 0)
    if tok[0] == '-': return cur - int(tok[1:], 0)
    return int(tok, 0)
for line in open(cg):
    if line.startswith('ob='): obj = line.strip(); continue
    if line.startswith('fn='): fn = line.strip(); continue
    if line.startswith('calls='): skip = True; continue
    if not line or line[0] not in '0123456789+-*': continue
    parts = line.split()
    if len(parts) < 3: continue
    a = sub(parts[0], addr)
    if skip:
        skip = False; addr = a; continue
    addr = a; c = int(parts[2]); total += c
    i = bisect.bisect_right(starts, addr) - 1
    if i >= 0 and addr < syms[i][0] + syms[i][1]:
        cost[re.sub(r' 0x[0-9a-f]+', '', syms[i][2])] += c
    else:
        unknown[obj + ' ' + fn] += c
print(f'total {total:,}')
for k, v in cost.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 30):
    print(f'{v:>14,} {k}')
print('-- outside the JIT map')
for k, v in unknown.most_common(8):
    print(f'{v:>14,} {k[:120]}')
