// @ts-check
import { defineConfig } from 'astro/config';
import react from '@astrojs/react';
import clipscope from './integrations/clipscope/index.ts';

// The demo report: content/images classified by the demo model with content/dictionary.yaml.
// CLIPSCOPE_IMAGES, CLIPSCOPE_DICTIONARY and CLIPSCOPE_MODEL override the paths (see README).
export default defineConfig({
  // For GitHub Pages under a repository name, set base: '/<repo>/' (or CLIPSCOPE_BASE, see README).
  base: process.env.CLIPSCOPE_BASE ?? '/',
  integrations: [react(), clipscope({})],
});
