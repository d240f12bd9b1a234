// Piscina worker module of the sweep pool (pool.ts `PiscinaPool`): registers tsx in this worker
// thread (as bin/maker.js does in the main thread), then exports `runTask` as the task function.
import { register } from 'tsx/esm/api';

register();
const { runTask } = await import('./run-one.ts');
export default runTask;
