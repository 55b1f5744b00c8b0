// `vercel build` (the pinned CLI, offline, no login) on a copy of the repository: .vercel/output holds
// Next's output (its pages, route handler and static files) and one Rust function per api/**/*.rs with
// runtime "executable", and the config routes /api/... to those functions.
//
// The copy has its own .vercel/project.json (`vercel build` reads project settings from there; the
// checkout itself must not have one, or `vercel dev --local` goes online). Locally the CLI's Rust builder
// cross-compiles with `cargo zigbuild` (zig is not installed here); VERCEL_BUILD_IMAGE=1 makes it build
// as on Vercel's build machines, `cargo build --release --bin NAME`, into this checkout's target/.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, test } from "node:test";
import { ROOT } from "../e2e/support.mjs";
import { VERCEL_CLI } from "./vercel-dev.mjs";

// Outside the checkout: a `next dev` running in it would see the copy's files change and reload its pages.
const WORK = join(tmpdir(), `messaging-vercel-build-${process.getuid?.() ?? 0}`);
const OUTPUT = join(WORK, ".vercel/output");
let log = "";

function rustFunctions() {
  const walk = (dir) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith(".rs") ? [`${dir}/${e.name}`] : [],
    );
  return walk("api").map((f) => f.replace(/\.rs$/, ""));
}

before(async () => {
  assert.ok(existsSync(VERCEL_CLI), `the pinned Vercel CLI is not installed: (cd tools/vercel-dev && npm install --no-save)`);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  // What a fresh clone has (tracked and new files, nothing ignored), plus the installed packages.
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(WORK, file)), { recursive: true });
    cpSync(join(ROOT, file), join(WORK, file));
  }
  // Hard links when on one filesystem (quick); Turbopack refuses a node_modules symlinked from outside.
  try {
    execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(WORK, "node_modules")], { stdio: "ignore" });
  } catch {
    rmSync(join(WORK, "node_modules"), { recursive: true, force: true });
    execFileSync("cp", ["-a", join(ROOT, "node_modules"), join(WORK, "node_modules")]);
  }
  mkdirSync(join(WORK, ".vercel"), { recursive: true });
  writeFileSync(join(WORK, ".vercel/project.json"), JSON.stringify({ projectId: "prj_local_build", orgId: "team_local_build", settings: { framework: "nextjs" } }));

  const env = {
    ...process.env,
    VERCEL_TELEMETRY_DISABLED: "1",
    NEXT_TELEMETRY_DISABLED: "1",
    VERCEL_CLI_USE_NATIVE_BINARY: "0",
    VERCEL_BUILD_IMAGE: "1",
    CARGO_TARGET_DIR: join(ROOT, "target"),
    // The release profile's fat LTO links each of the nine binaries for minutes on a small machine; the
    // layout of the output is what this test checks (VERCEL_BUILD_FULL_LTO=1 builds exactly as deployed).
    ...(process.env.VERCEL_BUILD_FULL_LTO === "1" ? {} : { CARGO_PROFILE_RELEASE_LTO: "off", CARGO_PROFILE_RELEASE_CODEGEN_UNITS: "16" }),
  };
  for (const name of ["__VERCEL_BUILD_RUNNING", "__VERCEL_DEV_RUNNING", "NEXT_DIST_DIR", "MESSAGING_DEV_API_ORIGIN", "PORT"]) delete env[name];
  const child = spawn(process.execPath, [VERCEL_CLI, "build", "--yes", "--global-config", join(WORK, ".vercel-global")], { cwd: WORK, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (c) => (log += c));
  child.stderr.on("data", (c) => (log += c));
  const code = await new Promise((resolve) => child.once("exit", resolve));
  writeFileSync(join(ROOT, ".stack/vercel-build.log"), log);
  assert.equal(code, 0, `vercel build failed:\n${log.slice(-4000)}`);
});

test("one executable function per api/**/*.rs, built by Vercel's Rust runtime", () => {
  const functions = rustFunctions();
  assert.ok(functions.length >= 9, `api/**/*.rs: ${functions}`);
  for (const fn of functions) {
    const dir = join(OUTPUT, "functions", `${fn}.func`);
    assert.ok(existsSync(dir), `${fn}.func is missing from .vercel/output/functions`);
    const config = JSON.parse(readFileSync(join(dir, ".vc-config.json"), "utf8"));
    assert.equal(config.runtime, "executable", `${fn}: runtime`);
    assert.equal(config.handler, "executable", `${fn}: handler`);
    // The CLI may point at the compiled file (filePathMap, relative to the project) instead of copying it.
    const mapped = config.filePathMap?.[config.handler];
    const binary = mapped ? join(WORK, mapped) : join(dir, config.handler);
    assert.ok(statSync(binary).mode & 0o111, `${fn}: the handler is not executable`);
    // An x86-64 ELF program (the Linux functions' target).
    const head = readFileSync(binary).subarray(0, 20);
    assert.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${fn}: not an ELF file`);
    assert.equal(head.readUInt16LE(18), 0x3e, `${fn}: not x86-64`);
  }
});

test("Next's output sits beside them: its pages, its route handler and its static files", () => {
  const functions = join(OUTPUT, "functions");
  const names = execFileSync("find", [functions, "-name", "*.func", "-maxdepth", "4"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((p) => p.slice(functions.length + 1));
  for (const page of ["sign-in.func", "api/session.func"]) {
    assert.ok(names.some((n) => n === page || n.endsWith(`/${page}`) || n === `index.func`), `${page} not in ${names.join(", ")}`);
  }
  const session = JSON.parse(readFileSync(join(functions, "api/session.func/.vc-config.json"), "utf8"));
  assert.match(session.runtime, /^nodejs/, "the Next route handler runs on Node.js");
  assert.ok(existsSync(join(OUTPUT, "static/_next/static")), "Next's static assets");
  const config = JSON.parse(readFileSync(join(OUTPUT, "config.json"), "utf8"));
  assert.equal(config.version, 3);
  assert.equal(config.framework?.slug ?? "nextjs", "nextjs");
  assert.ok(config.crons?.some((c) => c.path === "/api/cron/redeliver"), "vercel.json's cron");
});

test("the build read nothing from the network and left no source in the static output", () => {
  assert.doesNotMatch(log, /fonts\.googleapis|ENOTFOUND|EAI_AGAIN/);
  const statics = execFileSync("find", [join(OUTPUT, "static"), "-type", "f"], { encoding: "utf8" }).split("\n").filter(Boolean);
  assert.ok(!statics.some((f) => /\.(rs|toml)$|\/app\/_lib\//.test(f)), "source files in the static output");
});
