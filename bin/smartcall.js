#!/usr/bin/env node
// The `smartcall` command. The TypeScript sources are compiled to dist/ by `npm run build`.
import('../dist/src/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
