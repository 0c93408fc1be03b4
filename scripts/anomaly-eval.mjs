// `npm run anomaly:eval`: install, build, then score seeded synthetic traffic with the anomaly
// model (test/bench/anomaly-eval.ts) and print detection and false-alarm figures. Extra
// arguments go to it, e.g. `npm run anomaly:eval -- --keys 100 --weeks 3 --threshold 70`.
import { runBuilt } from './lib.mjs';

runBuilt('test/dist/bench/anomaly-eval.js', process.argv.slice(2));
