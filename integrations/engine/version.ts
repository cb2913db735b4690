// The clipscope version recorded in every run's metadata, read from package.json. A JSON import
// (not a path relative to this file) so it still works when Vite bundles the engine into a build.
import pkg from '../../package.json' with { type: 'json' };

export const CLIPSCOPE_VERSION: string = pkg.version;
