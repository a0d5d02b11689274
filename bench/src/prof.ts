import { sinkDuckDbScenarios } from './scenarios/sink-duckdb';
const prepared = await sinkDuckDbScenarios[0]!.prepare({ brokers: [], quick: false });
const ratios: number[] = [];
for (let i = 0; i < 8; i++) {
  const a = await prepared.ours.run();
  const b = await prepared.baseline.run();
  ratios.push((a.work / a.wallSeconds!) / (b.work / b.wallSeconds!));
}
ratios.sort();
console.log('median ratio', ratios[4]!.toFixed(2), ratios.map((r) => r.toFixed(2)).join(' '));
