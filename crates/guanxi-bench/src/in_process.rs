//! The real app served in this process on a free port, with an API key of every scope: how the
//! benchmarks that time the server from the inside start it.

use guanxi_engine::segment::Rule;
use guanxi_store::{NewSegment, SegmentStore};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct InProcess {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A Bearer key with every scope.
    pub key: String,
    stop: oneshot::Sender<()>,
    server: JoinHandle<anyhow::Result<()>>,
}

impl InProcess {
    /// Issues a key named `name` and serves `app` until `stop`.
    pub async fn serve(app: guanxi::App, name: &str) -> anyhow::Result<Self> {
        let all = ["ingest", "read", "write", "admin"].map(String::from);
        let (_, key) = guanxi_app::keys::create_api_key(app.store.as_ref(), name, &all).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            base,
            key,
            stop,
            server,
        })
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await?
    }
}

/// Creates the segment `key` with the rule `text` unless it exists.
pub async fn ensure_segment(
    store: &dyn SegmentStore,
    key: &str,
    name: &str,
    text: &str,
) -> anyhow::Result<()> {
    if store.segment_id(key).await.is_ok() {
        return Ok(());
    }
    let segment = NewSegment {
        key: key.to_owned(),
        name: name.to_owned(),
        description: String::new(),
        rule: Rule::from_text(text)?.to_json().to_string(),
        auto_tag: None,
    };
    store
        .create_segment(&segment, chrono::Utc::now().timestamp_millis())
        .await?;
    Ok(())
}
