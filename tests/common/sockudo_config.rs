//! The Sockudo config each test server gets: loopback only, no rate limits,
//! no metrics listener, an in-memory queue (else webhooks are off), quick
//! shutdown and bounded webhook retries, one unlimited app.

pub fn config_toml(
    port: u16,
    app_id: &str,
    key: &str,
    secret: &str,
    webhook_url: Option<&str>,
) -> String {
    let webhooks = webhook_url.map_or(String::new(), |url| {
        format!(
            "\n[[app_manager.array.apps.policy.webhooks]]\nurl = \"{url}\"\nevent_types = [\"channel_occupied\", \"channel_vacated\", \"member_added\", \"member_removed\", \"client_event\"]\n"
        )
    });
    format!(
        r#"host = "127.0.0.1"
port = {port}
debug = false
shutdown_grace_period = 1

[logging]
colors_enabled = false
include_target = true

[rate_limiter]
enabled = false

[metrics]
enabled = false

[queue]
driver = "memory"

[webhooks.batching]
enabled = false

[webhooks.retry]
enabled = true
max_attempts = 2
max_elapsed_time_ms = 2000
initial_backoff_ms = 100
max_backoff_ms = 500

[app_manager]
driver = "memory"

[[app_manager.array.apps]]
id = "{app_id}"
key = "{key}"
secret = "{secret}"
enabled = true

[app_manager.array.apps.policy.limits]
max_connections = 0

[app_manager.array.apps.policy.features]
enable_client_messages = true
enable_user_authentication = true
{webhooks}"#
    )
}
