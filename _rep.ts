import { loadScenarioFile } from '/work/main/src/scenario/index.ts';
import { backtest } from '/work/main/src/backtest/index.ts';
const store = process.argv[2]; const n = +(process.argv[3] ?? 6);
const scenario = loadScenarioFile('/work/main/scenarios/btcusdt-20240808-glft.yaml', { set: [`data.store=${store}`] });
const cpus: number[] = []; let hash = '';
for (let i = 0; i < n; i++) {
  const c0 = process.cpuUsage();
  const o = await backtest(scenario, () => 'bench', { decodeThread: 'main' } as never);
  const c = process.cpuUsage(c0); cpus.push((c.user + c.system) / 1e6); hash = o.result.eventLogHash.slice(7, 15);
}
const warm = cpus.slice(2).sort((a, b) => a - b);
console.log(JSON.stringify({ hash, min: warm[0].toFixed(3), med: warm[warm.length >> 1].toFixed(3), all: cpus.map((x) => x.toFixed(2)).join(' ') }));
