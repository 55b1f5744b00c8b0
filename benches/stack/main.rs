//! The stack benchmark: send latency and throughput against their floor,
//! end-to-end delivery, history and channel auth, cold start, memory and
//! binary sizes, measured on the release binaries as deployed. With
//! `--latency`: the same functions behind delaying proxies (latency.rs).
//!
//! Run it with `scripts/bench` (it builds, brings up Postgres and its own
//! Sockudo, creates a fresh database and sets the environment), which calls
//! `cargo bench --bench stack -- [--quick]`. Under `cargo test` (no `--bench`
//! argument) it only checks its own arithmetic.

mod args;
mod cold_start;
mod cpu;
mod delivery;
mod floor;
mod history;
mod http;
mod latency;
mod latency_cold;
mod latency_report;
mod load;
mod machine;
mod memory;
mod proxy;
mod proxy_http;
mod pusher_js;
mod report;
mod seed;
mod send;
mod stack;
mod stats;
mod table;
mod targets;
mod ws;

use anyhow::Context;
use args::Options;
use report::{Memory, Report};
use stack::{FUNCTIONS, Stack};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.iter().any(|a| a == "--bench") {
        run(args).await
    } else {
        stats::self_check()
            .and_then(|()| proxy::self_check())
            .map(|()| eprintln!("stack bench: not run under cargo test; use scripts/bench"))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> anyhow::Result<()> {
    // reqwest (the Pusher client) is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = Options::parse(args)?;
    if options.latency {
        return run_latency(options).await;
    }
    let plan = &options.plan;
    let stack = Stack::from_env(options.bin_dir.clone())?;
    let db = seed::connect(&stack.config.database_url).await?;
    let mut machine = machine::describe(&db).await;
    let workers = plan.concurrencies.iter().copied().max().unwrap_or(1);
    eprintln!(
        "bench: seeding {workers} conversations and {} history messages",
        plan.history_rows
    );
    let seeded = seed::seed(&db, workers, plan.history_rows).await?;

    let send_fn = stack.start("messages_send").await?;
    let history_fn = stack.start("messages_history").await?;
    let auth_fn = stack.start("pusher_auth").await?;
    let sends = send::run_all(&stack, plan, &send_fn, &seeded.workers).await?;
    let send_peak_kb = memory::peak_rss_kb(send_fn.pid());
    eprintln!("bench: delivery of {} messages", plan.delivery_messages);
    let delivery = delivery::run(&stack, plan, &send_fn, &auth_fn, &seeded.delivery).await?;
    let pusher_js = pusher_js::run(&stack, plan, &send_fn, &auth_fn, &seeded.delivery).await?;
    let reads = history::run(&stack, plan, &history_fn, &auth_fn, &seeded).await?;
    let memory = Memory {
        send_peak_kb,
        history_peak_kb: memory::peak_rss_kb(history_fn.pid()),
        auth_peak_kb: memory::peak_rss_kb(auth_fn.pid()),
    };
    drop((send_fn, history_fn, auth_fn));

    // The floor's outbox rows were never triggered: marked, so that the
    // cron's cold start has nothing to redeliver.
    db.execute(
        "UPDATE outbox SET delivered_at = now() WHERE delivered_at IS NULL",
        &[],
    )
    .await?;
    // Tables as autovacuum would leave them after the load's burst of writes
    // (dead outbox index entries, stale statistics for the new messages).
    db.batch_execute("VACUUM (ANALYZE)").await?;
    let first = seeded
        .workers
        .first()
        .context("no conversation seeded")?
        .clone();
    let message_id: i64 = db
        .query_one(
            "SELECT min(id) FROM messages WHERE conversation_id = $1",
            &[&first.conversation],
        )
        .await?
        .get(0);
    let requests = cold_start::Requests {
        pair: first,
        message_id,
    };
    let cold = cold_start::run(&stack, &requests, plan.cold_runs).await?;
    let fresh_connection_ms =
        cold_start::fresh_connection_ms(&stack.config.database_url, plan.cold_runs).await?;

    machine.load_after = machine::load_1min();
    let mut report = Report {
        machine,
        quick: plan.quick,
        command: if plan.quick {
            "scripts/bench --quick"
        } else {
            "scripts/bench"
        }
        .into(),
        pool_size: stack.pool_size(),
        extra_env: stack.extra_env(),
        history_rows: seeded.history_rows,
        history_seed_s: seeded.history_seed_s,
        send: sends,
        delivery,
        pusher_js,
        reads,
        cold_start: cold,
        fresh_connection_ms,
        memory,
        binaries: memory::binary_sizes(&options.bin_dir, &FUNCTIONS)?,
        verdicts: Vec::new(),
    };
    report.judge();
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.out, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", options.out.display()))?;
    println!("{}", report.text());
    eprintln!("bench: wrote {}", options.out.display());
    Ok(())
}

/// `--latency`: each profile of latency.rs, then the pusher-js delivery on loopback.
async fn run_latency(options: Options) -> anyhow::Result<()> {
    let plan = &options.plan;
    let stack = Stack::from_env(options.bin_dir.clone())?;
    // The functions' DATABASE_URL asks for TLS and SCRAM; seeding takes a plain local connection.
    let seed_url = std::env::var("BENCH_SEED_DATABASE_URL")
        .context("BENCH_SEED_DATABASE_URL (run it through scripts/bench --latency)")?;
    let db = seed::connect(&seed_url).await?;
    let mut machine = machine::describe(&db).await;
    let seeded = seed::seed(&db, 1, 200).await?;
    let pair = seeded
        .workers
        .first()
        .context("no conversation seeded")?
        .clone();
    let mut requests = cold_start::Requests {
        pair: pair.clone(),
        message_id: 0,
    };
    latency::first_message(&stack, &requests).await?;
    requests.message_id = db
        .query_one(
            "SELECT min(id) FROM messages WHERE conversation_id = $1",
            &[&pair.conversation],
        )
        .await?
        .get(0);
    // Loopback delivery first: a slow Node run never costs the profiles' figures.
    let send_fn = stack.start("messages_send").await?;
    let auth_fn = stack.start("pusher_auth").await?;
    let delivery_ws = delivery::run(&stack, plan, &send_fn, &auth_fn, &seeded.delivery).await?;
    let pusher_js = pusher_js::run(&stack, plan, &send_fn, &auth_fn, &seeded.delivery).await?;
    drop((send_fn, auth_fn));
    let targets = latency::Targets::of(&stack)?;
    let direct_tls = latency_cold::direct_tls(&stack.config.database_url).await;
    let mut profiles = Vec::new();
    for profile in latency::PROFILES {
        profiles.push(latency::profile(&stack, &targets, &requests, plan, profile).await?);
    }
    machine.load_after = machine::load_1min();
    let report = latency_report::LatencyReport {
        machine,
        quick: plan.quick,
        command: if plan.quick {
            "scripts/bench --latency --quick"
        } else {
            "scripts/bench --latency"
        }
        .into(),
        database: std::env::var("BENCH_DATABASE_NOTE").unwrap_or_default(),
        direct_tls,
        profiles,
        pusher_js,
        delivery_ws,
    };
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.out, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", options.out.display()))?;
    println!("{}", report.text());
    eprintln!("bench: wrote {}", options.out.display());
    Ok(())
}
