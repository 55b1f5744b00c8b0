// The repository's layout as one Vercel project: Next.js at the root beside api/**/*.rs, one copy of the
// client code and of React, no route claimed twice, and nothing pointing outside the repository.
// Static checks: no stack needed (scripts/test step 2).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (file) => readFileSync(join(ROOT, file), "utf8");

function walk(dir, keep) {
  const out = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (keep(entry.name)) out.push(path.split(sep).join("/"));
  }
  return out;
}

/** URL paths of the Rust functions: api/messages/send.rs -> /api/messages/send. */
const rustRoutes = () => walk("api", (n) => n.endsWith(".rs")).map((f) => `/${f.replace(/\.rs$/, "")}`);

/** URL paths of Next's route handlers: app/api/session/route.ts -> /api/session (route groups dropped). */
const nextRoutes = () =>
  walk("app", (n) => /^route\.(ts|tsx|js|mjs)$/.test(n)).map(
    (f) => `/${f.replace(/^app\//, "").replace(/\/route\.\w+$/, "").split("/").filter((s) => !/^\(.*\)$/.test(s)).join("/")}`,
  );

test("Next's route handlers and the Rust functions claim disjoint paths", () => {
  const rust = rustRoutes();
  const next = nextRoutes();
  assert.ok(rust.includes("/api/messages/send"), `api/**/*.rs found: ${rust}`);
  assert.ok(next.includes("/api/session"), `app/**/route.* found: ${next}`);
  // The dev server's own routes (devserver/main.rs) are forwarded by `next dev` too.
  const devOnly = ["/api/dev/login", "/api/dev/config"];
  for (const path of next) {
    assert.ok(![...rust, ...devOnly].includes(path), `${path} is both a Next route handler and a Rust function`);
    // A catch-all or dynamic segment under /api would shadow functions too.
    assert.ok(!/\[/.test(path), `${path}: no dynamic Next route handlers under /api`);
  }
});

test("every api/**/*.rs has its [[bin]] in Cargo.toml, and vercel.json names the framework", () => {
  const cargo = read("Cargo.toml");
  for (const route of rustRoutes()) assert.ok(cargo.includes(`path = "${route.slice(1)}.rs"`), `${route}.rs has no [[bin]]`);
  const vercel = JSON.parse(read("vercel.json"));
  assert.equal(vercel.framework, "nextjs");
  assert.ok(!JSON.stringify(vercel).includes('"runtime"'), "no runtime key in vercel.json");
  assert.ok(!existsSync(join(ROOT, ".vercel/project.json")), ".vercel/project.json would make `vercel dev --local` go online");
  const scripts = JSON.parse(read("package.json")).scripts ?? {};
  assert.ok(!/vercel\s+dev/.test(scripts.dev ?? ""), "a `dev` script calling `vercel dev` is refused by the CLI");
  assert.ok(existsSync(join(ROOT, "next.config.mjs")) && existsSync(join(ROOT, "app/layout.tsx")));
});

test("one React and one pusher-js: web/ is a workspace of the root package, hoisted", () => {
  const { workspaces } = JSON.parse(read("package.json"));
  assert.deepEqual(workspaces, ["web"]);
  assert.ok(!existsSync(join(ROOT, "web/package-lock.json")), "web/ must not have a lock of its own");
  for (const name of ["react", "react-dom", "pusher-js"]) {
    const fromRoot = createRequire(join(ROOT, "package.json")).resolve(`${name}/package.json`);
    const fromWeb = createRequire(join(ROOT, "web/src/use-realtime-messages.ts")).resolve(`${name}/package.json`);
    const fromNext = createRequire(createRequire(join(ROOT, "package.json")).resolve("next/package.json")).resolve(`${name}/package.json`, {});
    assert.equal(relative(ROOT, fromWeb), `node_modules/${name}/package.json`);
    assert.equal(fromRoot, fromWeb, `${name}: the app and web/src resolve different copies`);
    if (name !== "pusher-js") assert.equal(fromNext, fromRoot, `${name}: Next resolves another copy`);
  }
  const copies = execFileSync("find", ["node_modules", "-path", "*/react/package.json", "-not", "-path", "node_modules/next/dist/compiled/*", "-not", "-path", "*/@types/*"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  assert.deepEqual(copies, ["node_modules/react/package.json"], "more than one installed copy of react");
});

test("the app imports the client modules from web/src (one copy), not copies of its own", () => {
  const tsconfig = JSON.parse(read("tsconfig.json"));
  assert.deepEqual(tsconfig.compilerOptions.paths["@messaging/client/*"], ["./web/src/*"]);
  const appFiles = walk("app", (n) => /\.(ts|tsx)$/.test(n));
  const clientModules = readdirSync(join(ROOT, "web/src"));
  for (const file of appFiles) {
    const name = file.split("/").pop();
    assert.ok(!clientModules.includes(name), `${file} duplicates web/src/${name}`);
  }
  assert.ok(appFiles.some((f) => read(f).includes('"@messaging/client/use-realtime-messages"')), "the app uses the hook");
  for (const gone of ["web/demo", "web/build.mjs", "scripts/build-web", "public/index.html"]) {
    assert.ok(!existsSync(join(ROOT, gone)), `${gone} is the old esbuild demo`);
  }
});

test("nothing in the repository points outside it", () => {
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  const offenders = [];
  for (const file of files) {
    if (!existsSync(join(ROOT, file)) || /\.(png|jpg|lock)$/.test(file)) continue;
    const text = readFileSync(join(ROOT, file), "utf8");
    // This file names the pattern it looks for.
    if (file === "tests/layout/repository.test.mjs") continue;
    if (/\.\.\/shared\b|\bshared\/(API\.md|pusher\/)/.test(text)) offenders.push(file);
  }
  assert.deepEqual(offenders, [], "files referring to the contract folder beside the repository");
});

test("no network at build or run time: no Google fonts, no remote images", () => {
  for (const file of walk("app", (n) => /\.(ts|tsx|css)$/.test(n))) {
    const text = read(file);
    assert.ok(!text.includes("next/font/google"), `${file} loads a Google font`);
    assert.ok(!/url\(\s*["']?https?:/.test(text), `${file} loads a remote asset`);
    assert.ok(!/src=["{]`?https?:/.test(text), `${file} loads a remote image`);
  }
  const config = read("next.config.mjs");
  assert.ok(!/remotePatterns|domains/.test(config), "no remote images configured");
});
