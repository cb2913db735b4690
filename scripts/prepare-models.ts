// Placeholder until the model generators land: ensures the model folders the build and tests need.
export interface PrepareOptions { models: string[]; log: (msg: string) => void }
export async function prepareModels(_o: PrepareOptions): Promise<void> {}
if (import.meta.main) await prepareModels({ models: ['demo-colors'], log: console.log });
