import { defineConfig } from 'vite';

// The app loads the built files from ui/dist (tauri.conf.json frontendDist); no dev server
// is needed for a debug `cargo build`. Relative base so the files also open from disk.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: { port: 1420, strictPort: true },
});
