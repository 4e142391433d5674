//! What the node answers while its store is being checked at start-up: `/healthz`
//! says it is alive and starting, `/readyz` and everything else answer 503 with the
//! reason, so that an orchestrator neither kills a node busy checking a large store nor
//! sends it traffic.

use std::time::Duration;

use anyhow::Result;
use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

/// The server answering while the store is checked.
#[derive(Debug)]
pub struct Starting {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// Serves the starting answers on a second handle of `listener`'s socket; returns the
/// listener itself, for the node once the store is open.
pub fn serve(listener: TcpListener) -> Result<(TcpListener, Starting)> {
    let socket = listener.into_std()?;
    let early = TcpListener::from_std(socket.try_clone()?)?;
    let listener = TcpListener::from_std(socket)?;
    let app = axum::Router::new()
        .route(
            "/healthz",
            get(|| async { Json(serde_json::json!({"status": "starting"})) }),
        )
        .fallback(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, "1")],
                Json(serde_json::json!({
                    "reason": "starting",
                    "error": "the node is checking its store and serves once it is done",
                })),
            )
                .into_response()
        });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(early, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = served.await {
            tracing::warn!("answering while the store is checked: {e}");
        }
    });
    Ok((listener, Starting { stop, task }))
}

impl Starting {
    /// Stops answering; connections it holds get a second to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(1), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn while_the_store_is_checked_the_node_is_alive_and_not_ready() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let (listener, starting) = serve(listener).expect("serving");
        let client = crate::replicate::client().expect("the node's HTTP client");
        let live = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(live.status(), 200);
        let ready = client
            .get(format!("http://{addr}/readyz"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(ready.status(), 503);
        assert_eq!(ready.headers()["retry-after"], "1");
        let body: serde_json::Value = ready.json().await.expect("JSON");
        assert_eq!(body["reason"], "starting");
        starting.stop().await;
        // The socket is still the node's: a connection made now waits for it.
        drop(listener);
    }
}
