// Generates the model folders the tests run on (models/synthetic-tiny, models/demo-colors), once per
// test run and only when missing or stale, the same way `npm run build` does.
import { prepareModels } from '../scripts/prepare-models.ts';

export default async function setup(): Promise<void> {
  await prepareModels({ models: ['synthetic-tiny', 'demo-colors'], log: () => {} });
}
