// The node side of the benchmark harness (tests/bench/bench.h has the C side):
// a peer registers its subjects and facts, then serves "round N" lines on
// stdin with one warmed, timed round of subject N as a JSON line.
import { createInterface } from 'node:readline';

const subjects = [];
const seconds = Number(process.env.BENCH_SECONDS || 0.2) || 0.2;
const emit = (kind, bench, tcase, subject, rest = {}) =>
  console.log(JSON.stringify({ kind, bench, case: tcase, subject, ...rest }));

// fn does `ops` operations per call (it may be async); it must consume its result.
export function subject(bench, tcase, name, fn, ops = 1) {
  subjects.push({ bench, tcase, name, fn, ops, warmed: false });
  emit('subject', bench, tcase, name, { id: subjects.length - 1 });
}

export const fact = (bench, tcase, name, metric, value) => emit('fact', bench, tcase, name, { metric, value });
export const note = (bench, tcase, name, text) => emit('note', bench, tcase, name, { note: text });

async function timed(s, budget) {
  let calls = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) await s.fn();
    calls += batch;
    if (batch < 1 << 16) batch *= 2;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < budget);
  return (calls * s.ops) / elapsed;
}

export async function serve() {
  console.log(JSON.stringify({ kind: 'ready' }));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const m = /^round (\d+)$/.exec(line.trim());
    const s = m && subjects[Number(m[1])];
    if (!s) throw new Error(`expected "round N" with N < ${subjects.length}, got ${line}`);
    if (!s.warmed) {
      await timed(s, seconds / 2); // the JIT compiles the hot path before anything counts
      s.warmed = true;
    }
    const value = await timed(s, seconds);
    emit('round', s.bench, s.tcase, s.name, { metric: 'ops_per_s', value });
  }
}
