// Builds the demo page into dist/ as flat files (the dev server serves dist/ at /).
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, "dist");

// Next.js inlines NEXT_PUBLIC_* into browser code; the demo build does the same (empty when unset:
// the demo reads its Pusher settings from /api/dev/config instead).
const publicEnv = ["KEY", "CLUSTER", "HOST", "PORT", "FORCE_TLS"].map((name) => `NEXT_PUBLIC_PUSHER_${name}`);
const define = Object.fromEntries([
  ["process.env.NODE_ENV", JSON.stringify("production")],
  ...publicEnv.map((name) => [`process.env.${name}`, JSON.stringify(process.env[name] ?? "")]),
]);

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: { main: join(root, "demo/main.tsx") },
  outdir: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  jsx: "automatic",
  define,
  logLevel: "warning",
  metafile: true,
});
await copyFile(join(root, "demo/index.html"), join(out, "index.html"));
await copyFile(join(root, "demo/styles.css"), join(out, "styles.css"));
for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  console.log(`${file.replace(`${root}/`, "")}  ${(bytes / 1024).toFixed(1)} KiB`);
}
