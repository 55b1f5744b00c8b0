//! Serves `/api/conversations/mute`; the logic is in `messaging::routes`.
#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    messaging::vercel::run(messaging::routes::Route::ConversationsMute).await
}
