// The stack the reliability suite breaks on purpose, all of it its own: a throwaway Postgres
// cluster (initdb into a temp dir, on its own port: the machine's shared Postgres is never
// restarted), a Sockudo, a TCP proxy in front of Sockudo's HTTP API that can delay or hold
// triggers, and the dev server binary (every function's handler on one port).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, chownSync, readdirSync, rmSync, mkdirSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const env = process.env;
export const PORTS = {
  server: Number(env.RELIABILITY_PORT ?? 3266),
  sockudo: Number(env.RELIABILITY_SOCKUDO_PORT ?? 6266),
  proxy: Number(env.RELIABILITY_PROXY_PORT ?? 6267),
  postgres: Number(env.RELIABILITY_PG_PORT ?? 6269),
};
export const SECRETS = {
  session: "reliability-session-secret-0123456789abcdef",
  cron: "reliability-cron-secret",
  appId: "300001",
  key: "relkey0123456789abcde",
  secret: "relsecret0123456789abcd",
};
export const PUSHER_TIMEOUT_MS = Number(env.RELIABILITY_PUSHER_TIMEOUT_MS ?? 1000);

function pgBin() {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b));
  if (!versions.length) throw new Error("no /usr/lib/postgresql/*/bin (scripts/postgres ensure installs it)");
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}

/** Runs a Postgres tool as the postgres user when we are root (initdb refuses root). */
function pgTool(tool, args, { check = true } = {}) {
  const bin = path.join(pgBin(), tool);
  const root = process.getuid?.() === 0;
  const cmd = root ? "runuser" : bin;
  const argv = root ? ["-u", "postgres", "--", bin, ...args] : args;
  const result = spawnSync(cmd, argv, { encoding: "utf8" });
  if (check && result.status !== 0) throw new Error(`${tool} ${args.join(" ")}: ${result.stderr || result.stdout}`);
  return result;
}

/** A Postgres cluster of its own, in a temp dir, on PORTS.postgres. */
export class Postgres {
  constructor(port = PORTS.postgres) {
    this.port = port;
    this.dir = mkdtempSync(path.join(tmpdir(), "reliability-pg-"));
    if (process.getuid?.() === 0) chownSync(this.dir, uid("postgres"), gid("postgres"));
    this.data = path.join(this.dir, "data");
    pgTool("initdb", ["-D", this.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    this.url = `postgres://postgres@127.0.0.1:${port}/messaging`;
  }

  /** Faults use these: the clients' event loop keeps running meanwhile. */
  async startAsync() {
    await pgToolAsync("pg_ctl", ["-D", this.data, "-l", path.join(this.dir, "log"), "-o", this.options(), "-w", "-t", "30", "start"]);
  }

  async stopAsync(mode = "immediate") {
    await pgToolAsync("pg_ctl", ["-D", this.data, "-m", mode, "-w", "stop"]);
  }

  options() {
    return `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  }

  start() {
    // fsync off: a throwaway cluster; an immediate stop is a crash of the server, not of the OS.
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
    pgTool("pg_ctl", ["-D", this.data, "-l", path.join(this.dir, "log"), "-o", opts, "-w", "-t", "30", "start"]);
  }

  /** `immediate`: the server dies without a checkpoint and recovers from WAL on start. */
  stop(mode = "immediate") {
    pgTool("pg_ctl", ["-D", this.data, "-m", mode, "-w", "stop"], { check: false });
  }

  createDatabase() {
    const r = spawnSync(path.join(pgBin(), "psql"), ["-h", "127.0.0.1", "-p", String(this.port), "-U", "postgres", "-qc", "CREATE DATABASE messaging"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`createdb: ${r.stderr}`);
  }

  /** One value from a query, through psql (the harness's own view of the truth). */
  query(sql) {
    const r = spawnSync(path.join(pgBin(), "psql"), ["-h", "127.0.0.1", "-p", String(this.port), "-U", "postgres", "-d", "messaging", "-XqtAc", sql], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
    return r.stdout.trim();
  }

  destroy() {
    this.stop("fast");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A command run without blocking the event loop (the clients keep timing their requests). */
function runAsync(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")}: ${out}`))));
  });
}

function pgToolAsync(tool, args) {
  const bin = path.join(pgBin(), tool);
  return process.getuid?.() === 0 ? runAsync("runuser", ["-u", "postgres", "--", bin, ...args]) : runAsync(bin, args);
}

function uid(name) {
  return Number(spawnSync("id", ["-u", name], { encoding: "utf8" }).stdout.trim());
}
function gid(name) {
  return Number(spawnSync("id", ["-g", name], { encoding: "utf8" }).stdout.trim());
}

/** Sockudo through scripts/sockudo, with its state in .stack/reliability-sockudo. */
export class Sockudo {
  constructor(port = PORTS.sockudo) {
    this.port = port;
    this.env = {
      ...process.env,
      SOCKUDO_PORT: String(port),
      SOCKUDO_STATE_DIR: path.join(ROOT, ".stack", "reliability-sockudo"),
      PUSHER_APP_ID: SECRETS.appId,
      NEXT_PUBLIC_PUSHER_KEY: SECRETS.key,
      PUSHER_SECRET: SECRETS.secret,
      SOCKUDO_WEBHOOK_URL: `http://127.0.0.1:${PORTS.server}/api/pusher/webhook`,
    };
  }
  start() {
    const r = spawnSync(path.join(ROOT, "scripts/sockudo"), ["start"], { env: this.env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`sockudo start: ${r.stderr}${r.stdout}`);
  }
  startAsync() {
    return runAsync(path.join(ROOT, "scripts/sockudo"), ["start"], { env: this.env });
  }
  stopAsync() {
    return runAsync(path.join(ROOT, "scripts/sockudo"), ["stop"], { env: this.env });
  }
  stop() {
    spawnSync(path.join(ROOT, "scripts/sockudo"), ["stop"], { env: this.env, encoding: "utf8" });
  }
}

/**
 * A TCP proxy in front of Sockudo's HTTP API (the functions' PUSHER_PORT). Modes:
 * `pass`; `delay` (each connection's first bytes wait `delayMs`); `hold` (accepted, never
 * forwarded: a trigger in flight forever, until the caller's timeout).
 */
export class Proxy {
  constructor(listen = PORTS.proxy, target = PORTS.sockudo) {
    this.mode = "pass";
    this.delayMs = 0;
    this.sockets = new Set();
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.on("close", () => this.sockets.delete(client));
      client.on("error", () => {});
      const mode = this.mode;
      if (mode === "hold") return; // read nothing, answer nothing
      const connect = () => {
        if (client.destroyed) return;
        const upstream = net.connect(target, "127.0.0.1");
        this.sockets.add(upstream);
        upstream.on("close", () => this.sockets.delete(upstream));
        upstream.on("error", () => client.destroy());
        client.on("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      };
      if (mode === "delay") {
        client.pause();
        setTimeout(() => {
          client.resume();
          connect();
        }, this.delayMs);
      } else connect();
    });
    this.listening = new Promise((resolve) => this.server.listen(listen, "127.0.0.1", resolve));
  }
  close() {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** The dev server binary (DEVSERVER_BIN, default target/debug/devserver): every route on one port. */
export class Server {
  constructor(databaseUrl, extraEnv = {}) {
    this.env = {
      PATH: process.env.PATH,
      PORT: String(PORTS.server),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: "8",
      PUSHER_APP_ID: SECRETS.appId,
      NEXT_PUBLIC_PUSHER_KEY: SECRETS.key,
      PUSHER_SECRET: SECRETS.secret,
      NEXT_PUBLIC_PUSHER_CLUSTER: "mt1",
      PUSHER_HOST: "127.0.0.1",
      PUSHER_PORT: String(PORTS.proxy),
      PUSHER_SCHEME: "http",
      PUSHER_TIMEOUT_MS: String(PUSHER_TIMEOUT_MS),
      SESSION_SECRET: SECRETS.session,
      CRON_SECRET: SECRETS.cron,
      // Load runs measure delivery, not the limiter: far above what 32 senders do, still counted.
      RATE_LIMIT_SEND: "1000000/60s",
      RATE_LIMIT_TYPING: "1000000/60s",
      RATE_LIMIT_REACT: "1000000/60s",
      RATE_LIMIT_CHANNEL_AUTH: "1000000/60s",
      RATE_LIMIT_CONVERSATION_CREATE: "1000000/60s",
      RUST_LOG: "warn",
      ...extraEnv,
    };
    // A null in extraEnv unsets that variable (a stack without SESSION_SECRET, say).
    for (const [k, v] of Object.entries(this.env)) if (v === null) delete this.env[k];
    this.bin = process.env.DEVSERVER_BIN ?? path.join(ROOT, "target/debug/devserver");
    mkdirSync(path.join(ROOT, ".stack"), { recursive: true });
    this.logPath = path.join(ROOT, ".stack", "reliability-server.log");
    this.base = `http://127.0.0.1:${PORTS.server}`;
  }

  async start() {
    const log = openSync(this.logPath, "a");
    this.child = spawn(this.bin, [], { env: this.env, stdio: ["ignore", log, log], cwd: ROOT });
    this.exited = new Promise((resolve) => this.child.on("exit", resolve));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const r = await fetch(`${this.base}/api/dev/config`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) return;
      } catch {}
      if (this.child.exitCode !== null) throw new Error(`the dev server exited (${this.child.exitCode}); see ${this.logPath}`);
      if (Date.now() > deadline) throw new Error(`the dev server did not answer in 60 s; see ${this.logPath}`);
      await sleep(100);
    }
  }

  /** SIGKILL: the process dies wherever it is, as a function instance can. */
  async kill() {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill("SIGTERM");
    await Promise.race([this.exited, sleep(5000)]);
    if (this.child.exitCode === null) await this.kill();
  }
}

/** Everything above, started in order; `stop()` undoes it all. */
export async function startStack(extraEnv = {}) {
  const pg = new Postgres();
  pg.start();
  pg.createDatabase();
  const sockudo = new Sockudo();
  sockudo.stop(); // a leftover from an interrupted run
  sockudo.start();
  const proxy = new Proxy();
  await proxy.listening;
  const server = new Server(pg.url, extraEnv);
  await server.start();
  return {
    pg,
    sockudo,
    proxy,
    server,
    base: server.base,
    async stop() {
      await server.stop();
      await proxy.close();
      sockudo.stop();
      pg.destroy();
    },
  };
}
