// @ts-check
import { defineConfig } from 'astro/config';
import react from '@astrojs/react';
import clipscope from './integrations/clipscope/index.ts';

// The demo report: content/images classified by the demo model (models/demo-colors) with
// content/dictionary.yaml. CLIPSCOPE_IMAGES, CLIPSCOPE_DICTIONARY and CLIPSCOPE_MODEL override the
// three paths, so the same config builds a report of any folder (see README, "Site options").
export default defineConfig({
  // GitHub Pages serves a project site under /<repo>/: set CLIPSCOPE_BASE=/<repo>/ (the Pages
  // workflow does). Every link and asset of the report is built relative to this base.
  base: process.env.CLIPSCOPE_BASE || '/',
  trailingSlash: 'ignore',
  // No Markdown in the report; Shiki's inline styles would not pass the CSP anyway.
  markdown: { syntaxHighlight: false },
  // A Content-Security-Policy meta tag on every page: only the site's own scripts and styles (Astro
  // adds the hashes of what it emits), images from the site itself, no other host, no plugins.
  security: {
    csp: {
      directives: ["default-src 'self'", "img-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'"],
    },
  },
  // Scripts as files of the site, never inlined (Vite inlines small ones by default): the large view's
  // script (src/scripts/viewer.ts) is served as /_astro/*.js under script-src 'self'.
  vite: { build: { assetsInlineLimit: 0 } },
  integrations: [
    react(),
    clipscope({
      samplesPerCategory: 12,
      validation: { perCategory: 20 },
    }),
  ],
});
