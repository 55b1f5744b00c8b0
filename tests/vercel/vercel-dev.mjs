// The stack for vercel-dev.test.mjs: a fresh database, its own Sockudo, and `vercel dev --local`
// (the CLI pinned in tools/vercel-dev) serving the Next.js app (next dev) and the real api/**/*.rs
// functions (Vercel's Rust runtime) from the repo root, as one project.
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../e2e/support.mjs";

export const VERCEL_CLI = join(ROOT, "tools/vercel-dev/node_modules/vercel/dist/vc.js");

/** The local stack's settings as scripts/lib/env.sh exports them (anything already in the environment wins). */
function stackEnv() {
  const out = spawnSync("bash", ["-c", 'source scripts/lib/env.sh >/dev/null && env -0'], { cwd: ROOT, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`sourcing scripts/lib/env.sh failed: ${out.stderr}`);
  return Object.fromEntries(out.stdout.split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(cmd, args, env) {
  const out = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${out.status}: ${out.stderr}${out.stdout}`);
  return out.stdout;
}

const gone = (pgid) => {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return error.code === "ESRCH";
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** HS256 session token, as the Next.js app would issue it. */
export function sessionToken(secret, claims) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ exp: Math.floor(Date.now() / 1000) + 600, ...claims })}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

/**
 * Starts everything; returns { baseUrl, env, pgid, stop, output }. stop() ends every process this
 * started (vercel dev runs in its own process group with cargo and the function binaries under it),
 * drops the database and resolves to the list of what could not be cleaned up.
 */
export async function startVercelDev() {
  if (!existsSync(VERCEL_CLI)) {
    throw new Error(`The pinned Vercel CLI is not installed (${VERCEL_CLI}): run \`(cd tools/vercel-dev && npm install --no-save)\`.`);
  }
  const base = stackEnv();
  // `vercel dev` gives the functions the repo root's .env over its own environment.
  const dotenv = join(ROOT, ".env");
  const clash = existsSync(dotenv) && /^\s*(export\s+)?(DATABASE_URL|PUSHER_\w+|SESSION_SECRET)\s*=/m.test(readFileSync(dotenv, "utf8"));
  if (clash) throw new Error(`${dotenv} sets DATABASE_URL, PUSHER_* or SESSION_SECRET, which would override this test's stack under vercel dev; move it aside.`);
  const [port, sockudoPort] = [await freePort(), await freePort()];
  const database = `messaging_vercel_dev_${process.pid}`;
  const databaseUrl = new URL(base.TEST_DATABASE_URL);
  databaseUrl.pathname = `/${database}`;
  const scratch = mkdtempSync(join(tmpdir(), "vercel-dev-"));
  const env = {
    ...base,
    DATABASE_URL: databaseUrl.href,
    SOCKUDO_PORT: String(sockudoPort),
    PUSHER_PORT: String(sockudoPort),
    SOCKUDO_STATE_DIR: join(scratch, "sockudo"),
    SOCKUDO_WEBHOOK_URL: `http://127.0.0.1:${port}/api/pusher/webhook`,
    NEXT_PUBLIC_PUSHER_PORT: String(sockudoPort),
    VERCEL_TELEMETRY_DISABLED: "1",
    NEXT_TELEMETRY_DISABLED: "1",
    // Its own folder: a `next dev` from scripts/dev may hold .next in this checkout.
    NEXT_DIST_DIR: ".next-test",
    // The plain Node CLI (macOS would otherwise trampoline into an optional native build).
    VERCEL_CLI_USE_NATIVE_BINARY: "0",
  };
  // Migrations would go to the unpooled URL; PORT is the e2e dev server's; a set flag makes `vercel dev` refuse
  // to run; with no MESSAGING_DEV_API_ORIGIN, next.config.mjs forwards nothing: Vercel routes /api itself.
  for (const name of ["DATABASE_URL_UNPOOLED", "PORT", "API_PORT", "__VERCEL_DEV_RUNNING", "MESSAGING_DEV_API_ORIGIN"]) delete env[name];

  const steps = [];
  const stop = async () => {
    const problems = [];
    for (const step of steps.reverse()) problems.push(await step().catch((error) => error.message));
    return problems.filter(Boolean);
  };
  try {
    run("psql", [base.TEST_DATABASE_URL, "-qc", `CREATE DATABASE "${database}"`], env);
    steps.push(async () => {
      run("psql", [base.TEST_DATABASE_URL, "-qc", `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`], env);
    });
    run("cargo", ["run", "--quiet", "--bin", "migrate"], env);
    run("scripts/sockudo", ["start"], env);
    steps.push(async () => {
      run("scripts/sockudo", ["stop"], env);
      rmSync(scratch, { recursive: true, force: true });
    });

    const logDir = join(ROOT, ".stack");
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, "vercel-dev.log"));
    const output = [];
    const args = ["dev", "--local", "--yes", "--listen", `127.0.0.1:${port}`];
    // 0 = any free port for the local Queues/Schedules/Runtime Cache servers (fixed 4782-4784 by default).
    args.push("--queue-port", "0", "--runtime-cache-port", "0", "--schedules-port", "0");
    args.push("--global-config", join(scratch, "vercel-global"));
    const child = spawn(process.execPath, [VERCEL_CLI, ...args], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const pgid = child.pid;
    const keep = (chunk) => {
      log.write(chunk);
      output.push(chunk.toString());
      if (output.length > 400) output.splice(0, output.length - 400);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    // If the test process dies first, take the group with it.
    const onExit = () => !gone(pgid) && process.kill(-pgid, "SIGKILL");
    process.once("exit", onExit);
    steps.push(async () => {
      if (!gone(pgid)) process.kill(-pgid, "SIGTERM");
      // An unref'd timer: a pending one would hold the test process open after the group is gone.
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
      for (let i = 0; i < 100 && !gone(pgid); i++) await sleep(100);
      if (!gone(pgid)) process.kill(-pgid, "SIGKILL");
      await sleep(200);
      process.removeListener("exit", onExit);
      log.end();
      return gone(pgid) ? null : `vercel dev's process group ${pgid} outlived SIGTERM and SIGKILL`;
    });

    const baseUrl = `http://127.0.0.1:${port}`;
    let running = true;
    exited.then(() => (running = false));
    for (const deadline = Date.now() + 180_000; ; ) {
      if (!running) throw new Error(`vercel dev exited before it was ready:\n${output.join("")}`);
      // The sign-in page: Next is up and has compiled a page.
      const up = await fetch(`${baseUrl}/sign-in`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error(`vercel dev did not answer on ${baseUrl} within 180 s:\n${output.join("")}`);
      await sleep(250);
    }
    return { baseUrl, env, pgid, stop, output: () => output.join("") };
  } catch (error) {
    await stop();
    throw error;
  }
}
