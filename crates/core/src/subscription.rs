//! Live data handed to front ends: a receiver of updates tied to the task producing them.

use tokio::{sync::mpsc, task::JoinHandle};

/// A stream of updates (the current value first, then changes). Dropping it stops the task
/// that produces the updates: unsubscribing is dropping.
#[derive(Debug)]
pub struct Subscription<T> {
    updates: mpsc::UnboundedReceiver<T>,
    task: JoinHandle<()>,
}

impl<T: Send + 'static> Subscription<T> {
    /// Runs `produce` on the runtime, giving it the sending side of the subscription.
    pub(crate) fn spawn<F, Fut>(produce: F) -> Self
    where
        F: FnOnce(UpdateSender<T>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (sender, updates) = mpsc::unbounded_channel();
        let task = tokio::spawn(produce(UpdateSender(sender)));
        Self { updates, task }
    }

    /// The next update; `None` once the producer has ended (its account signed out, say).
    pub async fn next(&mut self) -> Option<T> {
        self.updates.recv().await
    }

    /// An update if one is already waiting, without waiting for one.
    pub fn try_next(&mut self) -> Option<T> {
        self.updates.try_recv().ok()
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The producing side of a [`Subscription`].
#[derive(Debug)]
pub(crate) struct UpdateSender<T>(mpsc::UnboundedSender<T>);

impl<T> UpdateSender<T> {
    /// Sends an update; `false` when the subscriber is gone and the producer should stop.
    pub(crate) fn send(&self, update: T) -> bool {
        self.0.send(update).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };

    use super::Subscription;

    /// Sets its flag when the producing task is dropped (aborted or finished).
    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn dropping_a_subscription_stops_its_task() {
        let stopped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(stopped.clone());
        // A producer that never notices its subscriber is gone (it waits on something else,
        // as SDK streams do): only aborting the task ends it.
        let mut subscription = Subscription::spawn(|sender| async move {
            let _flag = flag;
            sender.send(0);
            std::future::pending::<()>().await;
        });
        assert_eq!(subscription.next().await, Some(0));
        assert!(!stopped.load(Ordering::SeqCst));
        drop(subscription);
        for _ in 0..100 {
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        panic!("the producing task still runs after its subscription was dropped");
    }
}
