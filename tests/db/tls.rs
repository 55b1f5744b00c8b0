//! TLS with `sslmode=require`: a throwaway Postgres with ssl=on and its own CA.
//!
//! The connection succeeds only when the server's certificate chains to the
//! CA given in `sslrootcert` and names the host; otherwise it fails, clearly.
//! The server takes only hostssl + SCRAM, so `channel_binding=require` is
//! exercised too (tls-server-end-point from tokio-postgres-rustls).

use messaging::db::{Db, DbError, DbOptions, migrate};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const PASSWORD: &str = "tls-test-password";

/// A Postgres server of its own in a temp dir, stopped and removed on drop.
struct Instance {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The newest Debian Postgres server binaries (/usr/lib/postgresql/<major>/bin).
fn server_bin() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut majors: Vec<u32> = std::fs::read_dir(root)
        .map_err(|e| format!("{}: {e} (run scripts/postgres ensure)", root.display()))?
        .filter_map(|d| d.ok()?.file_name().to_str()?.parse().ok())
        .filter(|v: &u32| root.join(v.to_string()).join("bin/initdb").exists())
        .collect();
    majors.sort_unstable();
    let major = majors.pop().ok_or("no initdb under /usr/lib/postgresql")?;
    Ok(root.join(major.to_string()).join("bin"))
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// `args` is split on whitespace (no argument here contains any).
fn openssl(dir: &Path, args: &str) -> Result<(), String> {
    run(Command::new("openssl")
        .current_dir(dir)
        .args(args.split_whitespace()))
    .map(|_| ())
}

const EC_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

fn make_ca(dir: &Path, name: &str) -> Result<(), String> {
    openssl(
        dir,
        &format!(
            "req -x509 -new {EC_KEY} -keyout {name}.key -out {name}.crt -days 2 -subj /CN={name} \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ),
    )
}

impl Instance {
    fn start() -> Result<Self, String> {
        let bin = server_bin()?;
        let as_postgres = run(Command::new("id").arg("-u"))?.trim() == "0";
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("messaging-tls-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let instance = Self {
            dir: dir.clone(),
            bin,
            port,
            as_postgres,
        };

        make_ca(&dir, "ca")?;
        make_ca(&dir, "other-ca")?;
        openssl(
            &dir,
            &format!("req -new {EC_KEY} -keyout server.key -out server.csr -subj /CN=localhost"),
        )?;
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|e| e.to_string())?;
        openssl(
            &dir,
            "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
             -out server.crt -days 2 -extfile server.ext",
        )?;
        std::fs::write(dir.join("pw"), PASSWORD).map_err(|e| e.to_string())?;
        run(Command::new("chmod")
            .args(["600", "server.key"])
            .current_dir(&dir))?;
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }

        let data = dir.join("data");
        instance.pg(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                "-N",
                "--auth=trust",
            ],
            &[&format!("--pwfile={}", dir.join("pw").display())],
        )?;
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{d}'\n\
             ssl = on\nssl_cert_file = '{d}/server.crt'\nssl_key_file = '{d}/server.key'\n\
             max_connections = 20\nshared_buffers = 16MB\nfsync = off\n",
            d = dir.display()
        );
        append(&data.join("postgresql.conf"), &conf)?;
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        )
        .map_err(|e| e.to_string())?;
        let log = dir.join("log");
        instance.pg(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-t",
                "30",
            ],
            &["start"],
        )?;
        Ok(instance)
    }

    /// Runs a server binary, as the postgres user when we are root (initdb and postgres refuse root).
    fn pg(&self, tool: &str, args: &[&str], more: &[&str]) -> Result<String, String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        run(cmd.args(args).args(more).current_dir(&self.dir))
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/postgres?hostaddr=127.0.0.1&{query}",
            self.port
        )
    }

    fn ca(&self, name: &str) -> String {
        self.dir.join(format!("{name}.crt")).display().to_string()
    }
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

impl Drop for Instance {
    fn drop(&mut self) {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let _ = self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w"], &["stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn options() -> DbOptions {
    DbOptions {
        pool_size: 2,
        connect_timeout: Duration::from_secs(5),
        ..DbOptions::default()
    }
}

/// Connects through a fresh `Db` and reports whether the session is encrypted.
async fn ssl_in_use(url: &str) -> Result<bool, DbError> {
    let db = Db::with_options(url, &options())?;
    let client = db.client().await?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

fn chain(err: DbError) -> String {
    format!("{:#}", anyhow::Error::new(err))
}

#[tokio::test]
async fn sslmode_require_verifies_the_server_certificate() {
    let pg = Instance::start().expect("a throwaway TLS Postgres");

    let trusted = pg.url(
        "localhost",
        &format!(
            "sslmode=require&sslrootcert={}&channel_binding=require",
            pg.ca("ca")
        ),
    );
    assert!(ssl_in_use(&trusted).await.expect("trusted CA connects"));
    let full = pg.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", pg.ca("ca")),
    );
    assert!(ssl_in_use(&full).await.expect("verify-full connects"));
    // The migration runner's own connection honours the same settings.
    let applied = migrate::run(&trusted).await.expect("migrations over TLS");
    assert_eq!(applied.len(), migrate::MIGRATIONS.len());

    // Public roots only (no sslrootcert): a private CA is not trusted.
    let err = ssl_in_use(&pg.url("localhost", "sslmode=require"))
        .await
        .expect_err("untrusted certificate");
    assert!(err.is_unavailable(), "{err:?}");
    let why = chain(err);
    assert!(why.contains("invalid peer certificate"), "{why}");

    let err = ssl_in_use(&pg.url(
        "localhost",
        &format!("sslmode=require&sslrootcert={}", pg.ca("other-ca")),
    ))
    .await
    .expect_err("certificate from another CA");
    let why = chain(err);
    assert!(why.contains("invalid peer certificate"), "{why}");

    // The certificate names localhost, not 127.0.0.1: the host name is checked.
    let err = ssl_in_use(&pg.url(
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={}", pg.ca("ca")),
    ))
    .await
    .expect_err("wrong host name");
    let why = chain(err);
    assert!(why.contains("invalid peer certificate"), "{why}");

    // Without sslmode the connection is plain, which this server refuses.
    assert!(
        ssl_in_use(&pg.url("localhost", "application_name=plain"))
            .await
            .is_err()
    );

    let missing = pg.url(
        "localhost",
        "sslmode=require&sslrootcert=/nonexistent/ca.pem",
    );
    match Db::with_options(&missing, &options()) {
        Err(DbError::Config(why)) => assert!(why.contains("/nonexistent/ca.pem"), "{why}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}
