//! Graceful shutdown: one signal that every long-running task watches.

use tokio::sync::watch;

/// Triggers shutdown. Dropping it triggers it too, so a panicking owner cannot leave tasks
/// running forever.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// Watches for shutdown. Cheap to clone; hand one to every task.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(rx))
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when shutdown is triggered (at once if it already was).
    pub async fn wait(&mut self) {
        // An error means the trigger was dropped, which also means "stop".
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
