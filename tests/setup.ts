// fast-check seeding: set FC_SEED=<n> to replay a failure exactly (fast-check prints the seed and
// path of every failure). In CI (CI=true) the seed is fixed so that a red run can be reproduced
// bit for bit; locally each run explores new cases.
import fc from 'fast-check';

const fromEnv = process.env.FC_SEED;
const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : process.env.CI ? 20261124 : undefined;
if (seed !== undefined) fc.configureGlobal({ seed });
