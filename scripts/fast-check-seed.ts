// Property tests draw from one fixed seed, so every run (CI's included) is reproducible and a
// failure can be replayed. FC_SEED=<n> picks another seed; FC_SEED=random draws a fresh one per
// run (fast-check prints it with any counterexample) — run that way to explore new inputs.
import fc from 'fast-check';

const chosen = process.env.FC_SEED;
if (chosen !== 'random') {
  const seed = chosen === undefined ? 20261123 : Number(chosen);
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or 'random', got '${chosen}'`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
