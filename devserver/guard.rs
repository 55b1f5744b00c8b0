//! What keeps a web page the developer visits from using the dev server:
//! only loopback `Host` names are answered (DNS rebinding points a foreign
//! name at 127.0.0.1), and the dev login exists only over a local database.

use std::net::IpAddr;

/// `localhost`, `*.localhost`, a loopback IP (v4 or `[::1]`), with or without a port.
pub fn is_loopback_host(host: Option<&str>) -> bool {
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inside, tail)) if tail.is_empty() || is_port_suffix(tail) => inside,
            _ => return false,
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) if is_port_suffix(&format!(":{port}")) => name,
            Some(_) => return false,
            None => host,
        }
    };
    is_loopback_name(name)
}

fn is_port_suffix(s: &str) -> bool {
    s.strip_prefix(':')
        .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A Unix socket, or every TCP host a loopback name. Anything we cannot read is not local.
pub fn is_local_database(url: &str) -> bool {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !is_url {
        // libpq's key=value form: every host= must be local; none means the Unix socket.
        let hosts: Vec<&str> = url
            .split_whitespace()
            .filter_map(|kv| kv.strip_prefix("host=").or(kv.strip_prefix("hostaddr=")))
            .collect();
        return hosts
            .iter()
            .all(|h| h.starts_with('/') || is_loopback_name(h));
    }
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query_hosts: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "host" || k == "hostaddr")
        .map(|(_, v)| v.into_owned())
        .collect();
    if url.contains('[') && !url.contains(']') {
        return false;
    }
    // postgres://user@host1,host2/db: the url crate sees only an opaque authority.
    let authority = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
        .unwrap_or("");
    let hosts_part = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let url_hosts = split_hosts(hosts_part);
    url_hosts.iter().all(|h| {
        h.is_empty() || h.starts_with("%2F") || h.starts_with("%2f") || is_loopback_host(Some(h))
    }) && query_hosts
        .iter()
        .all(|h| h.starts_with('/') || is_loopback_name(h))
}

fn split_hosts(hosts: &str) -> Vec<&str> {
    hosts.split(',').map(str::trim).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_host_names_are_answered() {
        for ok in [
            "localhost",
            "localhost:3000",
            "127.0.0.1:3230",
            "127.1.2.3",
            "[::1]:3000",
            "[::1]",
            "app.localhost:3000",
            "LOCALHOST.",
        ] {
            assert!(is_loopback_host(Some(ok)), "{ok}");
        }
        for bad in [
            "evil.example:3000",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "192.168.1.10:3000",
            "0.0.0.0:3000",
            "[::2]:3000",
            "localhost:3000:1",
            "localhost:abc",
            "",
        ] {
            assert!(!is_loopback_host(Some(bad)), "{bad}");
        }
        assert!(!is_loopback_host(None));
    }

    #[test]
    fn only_local_databases_allow_the_dev_login() {
        for ok in [
            "postgres://postgres@127.0.0.1:5432/messaging_dev",
            "postgres://postgres@localhost/messaging_dev",
            "postgresql://u:p@[::1]:5432/db",
            "postgres:///messaging_dev",
            "postgres://%2Fvar%2Frun%2Fpostgresql/db",
            "postgres://u@/db?host=/var/run/postgresql",
            "host=/var/run/postgresql dbname=x",
            "host=127.0.0.1 dbname=x",
            "dbname=x",
        ] {
            assert!(is_local_database(ok), "{ok}");
        }
        for bad in [
            "postgres://u:p@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require",
            "postgres://u@db.internal:5432/x",
            "postgres://u@127.0.0.1,db.example.com/x",
            "postgres://u@localhost/x?host=db.example.com",
            "postgres://u@localhost/x?hostaddr=10.0.0.5",
            "host=db.example.com dbname=x",
            "postgres://u@[::1/x",
        ] {
            assert!(!is_local_database(bad), "{bad}");
        }
    }
}
